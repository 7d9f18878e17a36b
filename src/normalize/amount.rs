//! Money amounts (purchase totals) for survivorship and reports: `1 234,50 ₽` in, `1234.5` out.
//!
//! Accepted: digits with `.` or `,` as the decimal separator and space (also no-break and thin
//! space), apostrophe, `.` or `,` as the thousands separator; a currency symbol or code before
//! or after (`₽`, `руб.`, `р.`, `RUB`, `$`, `USD`, `€`, `EUR`, `£`, `₸`, ...); a sign (`-`,
//! `−`, `+`) or accounting parentheses `(12.50)`. The currency is dropped, not converted.
//!
//! Separator rule: when both `.` and `,` appear, the last one is the decimal separator. When
//! only one appears several times, it groups thousands. When it appears once, it groups
//! thousands only if exactly three digits follow and 1-3 digits (not a lone `0`) precede it
//! (`1,234` is 1234, `1,23` and `0,500` are decimals); money rarely has three decimals, so this
//! is the less surprising reading. Thousands groups must be three digits (`1.23.4` is refused).
//! Returns `None` for anything else, including `NaN`, `inf` and exponent forms.

/// Currency symbols and codes, lowercase, longer spellings before their prefixes.
const CURRENCIES: [&str; 24] = [
    "руб.", "руб", "р.", "р", "₽", "rub", "rur", "us$", "usd", "$", "eur", "€", "gbp", "£", "kzt",
    "₸", "тг.", "тг", "byn", "uah", "грн.", "грн", "₴", "cny",
];

/// Parses `1 234,50`, `1234.5`, `1,234.50`, `₽ 990` into a number; `None` if not an amount.
pub fn parse_amount(raw: &str) -> Option<f64> {
    let lower = raw.trim().to_lowercase();
    let mut s = lower.as_str();
    let mut negative = false;
    if let Some(inner) = s.strip_prefix('(').and_then(|r| r.strip_suffix(')')) {
        negative = true;
        s = inner;
    }
    let mut signed = negative;
    loop {
        let before = s.len();
        s = s.trim_matches(is_space);
        for currency in CURRENCIES {
            s = s
                .strip_prefix(currency)
                .unwrap_or(s)
                .trim_start_matches(is_space);
            s = s
                .strip_suffix(currency)
                .unwrap_or(s)
                .trim_end_matches(is_space);
        }
        if let Some(rest) = s.strip_prefix(['-', '−', '+']) {
            if signed {
                return None;
            }
            signed = true;
            negative = !s.starts_with('+');
            s = rest;
        }
        if s.len() == before {
            break;
        }
    }
    let value = parse_number(s)?;
    // A digit string past f64's range parses as infinity, which would poison every total it
    // joins (found by `cargo fuzz run amount`, issue 7): not an amount.
    if !value.is_finite() {
        return None;
    }
    Some(if negative { -value } else { value })
}

fn is_space(c: char) -> bool {
    c.is_whitespace() || matches!(c, '\u{a0}' | '\u{202f}' | '\u{2009}')
}

/// Digits and separators only (see the module doc for the separator rule).
fn parse_number(s: &str) -> Option<f64> {
    let compact: String = s
        .chars()
        .filter(|&c| !(is_space(c) || c == '\'' || c == '’'))
        .collect();
    if !compact
        .bytes()
        .all(|b| b.is_ascii_digit() || b == b'.' || b == b',')
        || !compact.bytes().any(|b| b.is_ascii_digit())
    {
        return None;
    }
    let dots = compact.matches('.').count();
    let commas = compact.matches(',').count();
    let (decimal, thousands) = match (dots, commas) {
        (0, 0) => (None, None),
        (_, 0) | (0, _) => {
            let sep = if dots > 0 { '.' } else { ',' };
            let (head, tail) = compact.split_once(sep).expect("the separator occurs");
            let grouping = dots + commas > 1
                || (tail.len() == 3 && (1..=3).contains(&head.len()) && head != "0");
            if grouping {
                (None, Some(sep))
            } else {
                (Some(sep), None)
            }
        }
        _ => {
            let last = compact.rfind(['.', ',']).expect("both separators occur");
            let decimal = char::from(compact.as_bytes()[last]);
            let thousands = if decimal == '.' { ',' } else { '.' };
            (Some(decimal), Some(thousands))
        }
    };
    let (int_part, fraction) = match decimal {
        Some(sep) => {
            let (i, f) = compact.rsplit_once(sep).expect("the separator occurs");
            if f.contains(sep) || i.contains(sep) {
                return None;
            }
            (i, f)
        }
        None => (compact.as_str(), ""),
    };
    if let Some(sep) = thousands
        && !is_grouped(int_part, sep)
    {
        return None;
    }
    let digits: String = int_part.chars().filter(char::is_ascii_digit).collect();
    format!(
        "{}.{}",
        if digits.is_empty() { "0" } else { &digits },
        fraction
    )
    .parse()
    .ok()
}

/// `1,234,567`: a first group of 1-3 digits, then groups of exactly 3.
fn is_grouped(int_part: &str, sep: char) -> bool {
    let mut groups = int_part.split(sep);
    let first = groups.next().unwrap_or_default();
    (1..=3).contains(&first.len()) && groups.all(|g| g.len() == 3)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn amounts_in_export_spellings_are_parsed() {
        let cases = [
            ("1234.50", 1234.5),
            ("1234,50", 1234.5),
            ("1 234,50", 1234.5),
            ("1\u{a0}234,50", 1234.5),
            ("1\u{202f}234,50 ₽", 1234.5),
            ("1,234.50", 1234.5),
            ("1.234,50", 1234.5),
            ("1,234,567", 1_234_567.0),
            ("1.234.567,89", 1_234_567.89),
            ("1'234.50", 1234.5),
            ("1,234", 1234.0),
            ("1,23", 1.23),
            ("0,500", 0.5),
            ("990", 990.0),
            ("₽ 990", 990.0),
            ("990 руб.", 990.0),
            ("990р.", 990.0),
            ("990 RUB", 990.0),
            ("$12.99", 12.99),
            ("USD 12.99", 12.99),
            ("12,99 €", 12.99),
            ("-15.00", -15.0),
            ("−15,00 ₽", -15.0),
            ("-$15", -15.0),
            ("$-15", -15.0),
            ("(15.00)", -15.0),
            ("+7", 7.0),
            (".5", 0.5),
        ];
        for (raw, want) in cases {
            assert_eq!(parse_amount(raw), Some(want), "{raw}");
        }
    }

    #[test]
    fn non_numbers_are_refused() {
        for raw in [
            "",
            "abc",
            "₽",
            "1.2.3",
            "1,23,4",
            "1e5",
            "NaN",
            "inf",
            "--5",
            "12-34",
            "1.234.5,6,7",
        ] {
            assert_eq!(parse_amount(raw), None, "{raw}");
        }
    }

    // See: #7 (fuzz target `amount`).
    #[test]
    fn issue_7_amounts_past_the_float_range_are_not_amounts() {
        assert_eq!(parse_amount(&"4".repeat(375)), None);
        assert_eq!(parse_amount(&format!("-{}", "9".repeat(400))), None);
        assert!(parse_amount(&"4".repeat(300)).is_some_and(|a| a > 4.4e299 && a < 4.5e299));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn never_panics(raw in any::<String>()) {
            let _ = parse_amount(&raw);
        }

        #[test]
        fn russian_and_english_spellings_agree(units in 0u64..10_000_000, cents in 0u64..100) {
            let plain = format!("{units}.{cents:02}");
            let russian = format!("{},{cents:02} ₽", group(units, ' '));
            let english = format!("${}.{cents:02}", group(units, ','));
            prop_assert_eq!(parse_amount(&russian), parse_amount(&plain));
            prop_assert_eq!(parse_amount(&english), parse_amount(&plain));
        }
    }

    fn group(n: u64, sep: char) -> String {
        let digits = n.to_string();
        let mut out = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                out.push(sep);
            }
            out.push(c);
        }
        out
    }
}
