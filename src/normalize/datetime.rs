//! Timestamps for survivorship and first/last seen: the date formats exports use, parsed into
//! seconds since the Unix epoch, and formatted back.
//!
//! Accepted (surrounding spaces ignored):
//!
//! | shape | example |
//! |---|---|
//! | ISO date | `2024-03-05`, `2024/03/05` |
//! | ISO date-time | `2024-03-05 12:34`, `2024-03-05T12:34:56`, `...56.123`, `...Z`, `...+03:00`, `...+0300`, `...+03` |
//! | Russian | `05.03.2024`, `5.3.2024 12:34`, `05.03.2024 12:34:56` |
//! | slashes | `05/03/2024` is **mm/dd/yyyy** (US, what Excel writes in an English locale) unless the first number is over 12, then `dd/mm/yyyy` (`25/03/2024`) |
//! | Unix time | 10 digits (seconds) or 13 digits (milliseconds) |
//!
//! A time zone offset, when present, is applied; without one the wall-clock time is taken as
//! UTC (exports rarely say, and the value is only compared with other values of the same
//! exports). Fractional seconds are dropped. Excel serial numbers (`45356`) are refused: they
//! are indistinguishable from counts, ids and amounts. Years run 1000-9999, and seconds 0-59
//! (no leap seconds). The civil-date arithmetic is hand-written (Howard Hinnant's
//! `days_from_civil`), which keeps `chrono`/`jiff` out of the dependency tree for ten lines.

/// Parses a date or date-time in the formats exports use into seconds since the Unix epoch (UTC,
/// or local time taken as UTC). `None` when the value is not a recognisable date.
pub fn parse_timestamp(raw: &str) -> Option<i64> {
    let s = raw.trim();
    let bytes = s.as_bytes();
    if !bytes.is_empty() && bytes.iter().all(u8::is_ascii_digit) {
        return match bytes.len() {
            10 => s.parse().ok(),
            13 => s.parse::<i64>().ok().map(|ms| ms.div_euclid(1000)),
            _ => None,
        };
    }
    let mut cursor = Cursor { bytes, pos: 0 };
    let (year, month, day) = parse_date(&mut cursor)?;
    let days = checked_days(year, month, day)?;
    let seconds = parse_time_and_offset(&mut cursor)?;
    Some(days * 86_400 + seconds)
}

/// Formats seconds since the epoch as `YYYY-MM-DD HH:MM:SS` (or `YYYY-MM-DD` at midnight).
pub fn format_timestamp(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let time = secs.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    if time == 0 {
        format!("{year:04}-{month:02}-{day:02}")
    } else {
        let (h, m, s) = (time / 3600, time / 60 % 60, time % 60);
        format!("{year:04}-{month:02}-{day:02} {h:02}:{m:02}:{s:02}")
    }
}

/// A byte cursor over the input.
struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn eat(&mut self, b: u8) -> bool {
        let hit = self.peek() == Some(b);
        self.pos += usize::from(hit);
        hit
    }

    /// Reads `min..=max` ASCII digits as a number.
    fn number(&mut self, min: usize, max: usize) -> Option<i64> {
        let start = self.pos;
        while self.pos - start < max && self.peek().is_some_and(|b| b.is_ascii_digit()) {
            self.pos += 1;
        }
        let digits = &self.bytes[start..self.pos];
        if digits.len() < min {
            return None;
        }
        Some(
            digits
                .iter()
                .fold(0, |acc, &d| acc * 10 + i64::from(d - b'0')),
        )
    }

    fn at_end(&self) -> bool {
        self.pos == self.bytes.len()
    }
}

/// `yyyy-mm-dd`, `yyyy/mm/dd`, `dd.mm.yyyy`, or `a/b/yyyy` (see the module doc).
fn parse_date(c: &mut Cursor<'_>) -> Option<(i64, i64, i64)> {
    let first = c.number(1, 4)?;
    let first_len = c.pos;
    let sep = c.peek()?;
    if !matches!(sep, b'-' | b'/' | b'.') {
        return None;
    }
    c.pos += 1;
    let second = c.number(1, 2)?;
    if !c.eat(sep) {
        return None;
    }
    if first_len == 4 {
        if sep == b'.' {
            return None;
        }
        let day = c.number(1, 2)?;
        return Some((first, second, day));
    }
    let year = c.number(4, 4)?;
    match sep {
        b'.' => Some((year, second, first)),
        b'/' if first > 12 => Some((year, second, first)),
        b'/' => Some((year, first, second)),
        _ => None,
    }
}

/// Optional `[T ]HH:MM[:SS[.fff]]` and optional `Z`/`±HH[:MM]`; seconds since midnight UTC.
fn parse_time_and_offset(c: &mut Cursor<'_>) -> Option<i64> {
    if c.at_end() {
        return Some(0);
    }
    if !(c.eat(b'T') || c.eat(b't') || c.eat(b' ') || (c.eat(b',') && c.eat(b' '))) {
        return None;
    }
    while c.eat(b' ') {}
    let hour = c.number(1, 2)?;
    if !c.eat(b':') {
        return None;
    }
    let minute = c.number(2, 2)?;
    let second = if c.eat(b':') { c.number(2, 2)? } else { 0 };
    if c.eat(b'.') || c.eat(b',') {
        c.number(1, 9)?;
    }
    if hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    let offset = parse_offset(c)?;
    c.at_end()
        .then_some(hour * 3600 + minute * 60 + second - offset)
}

/// `Z`, `±HH`, `±HHMM`, `±HH:MM`, optionally after one space, in seconds east of UTC.
fn parse_offset(c: &mut Cursor<'_>) -> Option<i64> {
    c.eat(b' ');
    if c.at_end() || c.eat(b'Z') || c.eat(b'z') {
        return Some(0);
    }
    let sign = match c.peek()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    c.pos += 1;
    let hours = c.number(2, 2)?;
    c.eat(b':');
    let minutes = if c.at_end() { 0 } else { c.number(2, 2)? };
    (hours <= 14 && minutes <= 59).then_some(sign * (hours * 3600 + minutes * 60))
}

/// Days since 1970-01-01 for a real calendar date in years 1000-9999.
fn checked_days(year: i64, month: i64, day: i64) -> Option<i64> {
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let month_days = [
        31,
        if leap { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    let valid = (1000..=9999).contains(&year)
        && (1..=12).contains(&month)
        && day >= 1
        && day <= month_days[(month - 1) as usize];
    valid.then(|| days_from_civil(year, month, day))
}

/// Howard Hinnant's `days_from_civil` (proleptic Gregorian).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The inverse of [`days_from_civil`]: (year, month, day) of a day count since 1970-01-01
/// (Howard Hinnant's algorithm; also used by `output::tables` and `synth`).
pub(crate) fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// 2024-03-05 00:00:00 UTC.
    const MARCH_5: i64 = 1_709_596_800;

    #[test]
    fn export_date_formats_are_parsed() {
        let t = |h: i64, m: i64, s: i64| Some(MARCH_5 + h * 3600 + m * 60 + s);
        let cases = [
            ("2024-03-05", t(0, 0, 0)),
            (" 2024-03-05 ", t(0, 0, 0)),
            ("2024/03/05", t(0, 0, 0)),
            ("2024-3-5", t(0, 0, 0)),
            ("2024-03-05 12:34", t(12, 34, 0)),
            ("2024-03-05 12:34:56", t(12, 34, 56)),
            ("2024-03-05T12:34:56", t(12, 34, 56)),
            ("2024-03-05T12:34:56Z", t(12, 34, 56)),
            ("2024-03-05T12:34:56.789Z", t(12, 34, 56)),
            ("2024-03-05T12:34:56,5", t(12, 34, 56)),
            ("2024-03-05T12:34:56+03:00", t(9, 34, 56)),
            ("2024-03-05 12:34:56 +0300", t(9, 34, 56)),
            ("2024-03-05T12:34:56-05", t(17, 34, 56)),
            ("05.03.2024", t(0, 0, 0)),
            ("5.3.2024", t(0, 0, 0)),
            ("05.03.2024 12:34", t(12, 34, 0)),
            ("05.03.2024 12:34:56", t(12, 34, 56)),
            ("05.03.2024, 9:05", t(9, 5, 0)),
            ("03/05/2024", t(0, 0, 0)),
            ("3/5/2024 12:34", t(12, 34, 0)),
            ("25/03/2024", Some(MARCH_5 + 20 * 86_400)),
            ("12/13/2024", parse_timestamp("2024-12-13")),
            ("1709596800", t(0, 0, 0)),
            ("1709596800123", t(0, 0, 0)),
        ];
        for (raw, want) in cases {
            assert_eq!(parse_timestamp(raw), want, "{raw}");
        }
    }

    #[test]
    fn non_dates_are_refused() {
        for raw in [
            "",
            "45356",
            "45356.5",
            "2024-02-30",
            "2023-02-29",
            "2024-13-01",
            "31.04.2024",
            "2024-03-05 24:00",
            "2024-03-05 12:60",
            "2024-03-05T12:34:56+25:00",
            "2024-03-05 garbage",
            "05.03.24",
            "2024.03.05",
            "yesterday",
            "13/13/2024",
        ] {
            assert_eq!(parse_timestamp(raw), None, "{raw}");
        }
    }

    #[test]
    fn leap_days_and_epoch_edges_work() {
        assert_eq!(parse_timestamp("2024-02-29"), Some(1_709_164_800));
        assert_eq!(parse_timestamp("1970-01-01"), Some(0));
        assert_eq!(parse_timestamp("1969-12-31 23:59:59"), Some(-1));
        assert_eq!(parse_timestamp("2000-02-29"), Some(951_782_400));
    }

    #[test]
    fn timestamps_format_with_time_only_when_not_midnight() {
        assert_eq!(format_timestamp(MARCH_5), "2024-03-05");
        assert_eq!(format_timestamp(MARCH_5 + 45_296), "2024-03-05 12:34:56");
        assert_eq!(format_timestamp(-1), "1969-12-31 23:59:59");
        assert_eq!(format_timestamp(0), "1970-01-01");
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn never_panics(raw in any::<String>()) {
            let _ = parse_timestamp(&raw);
        }

        #[test]
        fn format_then_parse_round_trips(secs in -30_610_224_000i64..253_402_300_799) {
            prop_assert_eq!(parse_timestamp(&format_timestamp(secs)), Some(secs));
        }
    }
}
