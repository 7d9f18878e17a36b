//! Identifier normalization: raw strings in, canonical identifiers or a [`RejectReason`] out.
//!
//! One module per kind (`email`, `phone`, `card`, `id`), plus the junk blocklist (`junk`) and the
//! parsers for the non-identifier values that feed survivorship (`datetime`, `amount`).
//! [`Normalizers`] is the facade the other stages call: it owns one normalizer per kind and the
//! blocklist, and turns a raw cell into "not filled" (`None`), a canonical value, or a reject.
//!
//! Every normalizer is a pure function of its input and its rules: no I/O, no global state that
//! changes results, safe to call from many rayon workers at once. Nothing here decides which
//! column holds which kind (that is `input::detect`) or whether two values belong to one person
//! (that is `graph`): two records link only when their canonical values are equal.

pub mod amount;
pub mod card;
pub mod datetime;
pub mod email;
pub mod id;
pub mod junk;
pub mod phone;

use serde::{Deserialize, Serialize};

use crate::config::Settings;
use crate::reject::RejectReason;

use card::CardNormalizer;
use email::EmailNormalizer;
use junk::Blocklist;
use phone::PhoneNormalizer;

/// The kind of an identifier. Two records link only through identifiers of the same kind and
/// namespace with the same canonical value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// An email address.
    Email,
    /// A phone number in E.164.
    Phone,
    /// A loyalty card number.
    Card,
    /// A named id namespace from config (e.g. `crm`); the namespace is carried next to the kind.
    Id,
}

impl Kind {
    /// The lowercase name used in outputs (`matched_by`, reports) and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Email => "email",
            Kind::Phone => "phone",
            Kind::Card => "card",
            Kind::Id => "id",
        }
    }
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// All normalizers of a run plus the blocklist, built once from [`Settings`] and shared
/// read-only by the workers.
#[derive(Clone, Debug)]
pub struct Normalizers {
    /// Email canonicalization with the configured alias rules.
    pub email: EmailNormalizer,
    /// Phone to E.164 with the default region from `country`.
    pub phone: PhoneNormalizer,
    /// Card numbers with the configured programme prefixes.
    pub card: CardNormalizer,
    /// Placeholders and junk values (built-in plus `[junk] values`).
    pub blocklist: Blocklist,
}

impl Normalizers {
    /// Builds the normalizers from validated settings (`country`, `[email]`, `[card]`,
    /// `[junk]`). Fails only when the default country is not a region libphonenumber knows.
    pub fn new(settings: &Settings) -> anyhow::Result<Normalizers> {
        let email = EmailNormalizer::new(settings.email.clone());
        let phone = PhoneNormalizer::new(settings.country.as_deref())?;
        let card = CardNormalizer::new(settings.card.clone());
        let blocklist = Blocklist::new(&settings.junk_values, &email, &phone, &card);
        Ok(Normalizers {
            email,
            phone,
            card,
            blocklist,
        })
    }

    /// Normalizes one raw cell of `kind`.
    ///
    /// - `None`: the cell is empty after trimming; that is "not filled", not a reject.
    /// - `Some(Err(JunkValue))`: a placeholder (`n/a`, `нет`, `-`, ...) or a value whose
    ///   canonical form is on the blocklist (`test@test.com`, `+70000000000`, ...).
    /// - `Some(Err(..))`: the kind's own reject (`email_invalid`, `phone_invalid`, ...).
    /// - `Some(Ok(canonical))`: the value to link on.
    ///
    /// `region` is a per-row or per-source hint for phones (`RU`, `ru_RU`, `Россия`, `643`, ...);
    /// hints that are not recognised fall back to the default region. Other kinds ignore it.
    pub fn normalize(
        &self,
        kind: Kind,
        raw: &str,
        region: Option<&str>,
    ) -> Option<Result<String, RejectReason>> {
        let mut out = String::new();
        self.normalize_into(kind, raw, region, &mut out)
            .map(|result| result.map(|()| out))
    }

    /// [`Normalizers::normalize`] appending the canonical value to `out` instead of returning
    /// it: `Some(Ok(()))` when a value was appended; on `None` or a reject `out` is unchanged.
    /// Emails, cards and ids are written straight into `out` (the parallel workers of
    /// `extract` gather a chunk's values in one buffer, so a value costs no allocation of its
    /// own); phones are parsed into a `String` first.
    pub fn normalize_into(
        &self,
        kind: Kind,
        raw: &str,
        region: Option<&str>,
        out: &mut String,
    ) -> Option<Result<(), RejectReason>> {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return None;
        }
        if self.blocklist.is_placeholder(trimmed)
            || (matches!(kind, Kind::Phone | Kind::Card) && is_one_repeated_digit(trimmed))
        {
            return Some(Err(RejectReason::JunkValue));
        }
        let start = out.len();
        let written = match kind {
            Kind::Email => self.email.normalize_into(trimmed, out),
            // An empty `out` (`normalize`) takes the parsed `String` itself, with no copy.
            Kind::Phone => self.phone.normalize(trimmed, region).map(|value| {
                if out.is_empty() {
                    *out = value;
                } else {
                    out.push_str(&value);
                }
            }),
            Kind::Card => self.card.normalize_into(trimmed, out),
            Kind::Id => id::normalize_into(trimmed, out),
        };
        Some(written.and_then(|()| {
            if self.blocklist.is_junk(kind, &out[start..]) {
                out.truncate(start);
                Err(RejectReason::JunkValue)
            } else {
                Ok(())
            }
        }))
    }
}

/// `0000000000`, `(999) 999-99-99`: five or more digits, all the same, whatever the punctuation.
/// A placeholder typed to get past a required field, not a number that failed to parse.
fn is_one_repeated_digit(value: &str) -> bool {
    let mut digits = value.bytes().filter(u8::is_ascii_digit);
    let Some(first) = digits.next() else {
        return false;
    };
    let mut count = 1;
    for d in digits {
        if d != first {
            return false;
        }
        count += 1;
    }
    count >= 5
}

/// What [`recover_spreadsheet_integer`] found in a cell.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum SpreadsheetNumber {
    /// Not a number a spreadsheet wrote: use the value as it is.
    NotFloat,
    /// The exact digits of an integer written as a float (`79161234567.0`, `7.9161234567E10`).
    Digits(String),
    /// A float that is not an exact integer, or whose mantissa is too short for its exponent
    /// (`7.91612E+10`: the spreadsheet dropped digits when it displayed the number).
    Lossy,
}

/// Recovers an integer that a spreadsheet stored as a float, by string manipulation only.
///
/// Accepted shapes: `<digits>[.,]0+` and the scientific form `D[.,]DDDD[eE][+]NN` with one
/// leading digit 1-9. The fraction must have exactly `NN` digits, or be shorter with at least 7
/// significant digits in all: writers that print the shortest exact form of a float (Rust,
/// Python, JavaScript) drop only *trailing zeros* (`79919371000` → `7.9919371E10`), while
/// Excel's General format, which rounds for display, shows at most 6 (`7.91612E+10`). Padding such a
/// short mantissa with zeros would invent digits, and two customers whose numbers were cut to
/// the same mantissa would link, so that stays `Lossy`. Never goes through `f64`, which cannot
/// hold every 15+ digit integer exactly.
pub(crate) fn recover_spreadsheet_integer(value: &str) -> SpreadsheetNumber {
    let bytes = value.as_bytes();
    let Some(sep) = bytes.iter().position(|&b| b == b'.' || b == b',') else {
        return SpreadsheetNumber::NotFloat;
    };
    let (int_part, rest) = (&value[..sep], &value[sep + 1..]);
    if int_part.is_empty() || !int_part.bytes().all(|b| b.is_ascii_digit()) {
        return SpreadsheetNumber::NotFloat;
    }
    if !rest.is_empty() && rest.bytes().all(|b| b == b'0') {
        return SpreadsheetNumber::Digits(int_part.to_owned());
    }
    let Some(e) = rest.find(['e', 'E']) else {
        return SpreadsheetNumber::NotFloat;
    };
    let (fraction, exponent) = (&rest[..e], &rest[e + 1..]);
    let exponent = exponent.strip_prefix('+').unwrap_or(exponent);
    let is_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let leading_ok = int_part.len() == 1 && int_part != "0";
    if !leading_ok || !is_digits(fraction) || !is_digits(exponent) || exponent.len() > 2 {
        return SpreadsheetNumber::NotFloat;
    }
    let exponent: usize = exponent
        .parse()
        .expect("one or two ASCII digits always parse");
    // See the doc comment: below 7 significant digits a short mantissa was rounded, not trimmed.
    const EXACT_SIGNIFICANT_DIGITS: usize = 7;
    if fraction.len() > exponent
        || (fraction.len() < exponent && 1 + fraction.len() < EXACT_SIGNIFICANT_DIGITS)
    {
        return SpreadsheetNumber::Lossy;
    }
    let zeros = "0".repeat(exponent - fraction.len());
    SpreadsheetNumber::Digits(format!("{int_part}{fraction}{zeros}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::normalize::card::CardRules;
    use crate::normalize::email::EmailRules;

    /// `normalize_into` after text already in the buffer: that text kept, then exactly what
    /// `normalize` returns; nothing appended for an empty cell or a reject.
    fn check_into(n: &Normalizers, kind: Kind, raw: &str) -> Result<(), String> {
        let mut out = String::from("prefix|");
        let into = n.normalize_into(kind, raw, Some("RU"), &mut out);
        let want = n.normalize(kind, raw, Some("RU"));
        let got = into.map(|r| r.map(|()| out["prefix|".len()..].to_owned()));
        if got != want || !out.starts_with("prefix|") {
            return Err(format!(
                "{kind} {raw:?}: {got:?} (buffer {out:?}) vs {want:?}"
            ));
        }
        if !matches!(want, Some(Ok(_))) && out != "prefix|" {
            return Err(format!("{kind} {raw:?}: buffer {out:?} after {want:?}"));
        }
        Ok(())
    }

    #[test]
    fn normalize_into_appends_what_normalize_returns() {
        let n = normalizers(Some("RU"));
        let cases = [
            "",
            "  ",
            "n/a",
            "-",
            "Ivan.Petrov+shop@GoogleMail.com",
            "i.van@ya.ru",
            "a.b.c@yandex.ru",
            "test@test.com",
            "info@shop.ru",
            "Иван@почта.рф",
            "x@y",
            "\"Ann\" <ann@example.com>",
            "0000 1234 5678",
            "1111",
            "CARD №00123",
            "1.2345E+4",
            "12345.0",
            "8 916 123-45-67",
            "8 800 555-35-35",
            "+7 000 000 00 00",
        ];
        for kind in [Kind::Email, Kind::Phone, Kind::Card, Kind::Id] {
            for raw in cases {
                check_into(&n, kind, raw).unwrap();
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn normalize_into_agrees_on_emails(
            raw in "[ \"<]?[A-Za-z0-9.+_-]{0,8}@?[A-Za-z0-9.-]{0,10}(\\.(ru|com|RU))?[ >]?"
        ) {
            let n = normalizers(Some("RU"));
            let checked = check_into(&n, Kind::Email, &raw);
            proptest::prop_assert!(checked.is_ok(), "{:?}", checked);
        }

        #[test]
        fn normalize_into_agrees_on_cards_and_ids(raw in "[ A-Za-z0-9№.,:/_E+-]{0,14}") {
            let n = normalizers(Some("RU"));
            for kind in [Kind::Card, Kind::Id, Kind::Email] {
                let checked = check_into(&n, kind, &raw);
                proptest::prop_assert!(checked.is_ok(), "{:?}", checked);
            }
        }
    }

    fn normalizers(country: Option<&str>) -> Normalizers {
        let settings = Settings {
            country: country.map(str::to_owned),
            email: EmailRules::default(),
            card: CardRules::default(),
            junk_values: vec!["info@shop.ru".to_owned(), "8 800 555-35-35".to_owned()],
            ..Settings::default()
        };
        Normalizers::new(&settings).expect("RU is a known region")
    }

    #[test]
    fn repeated_digit_placeholders_are_junk_not_invalid() {
        let n = normalizers(Some("RU"));
        for raw in ["0000000000", "(999) 999-99-99", "1111 1111"] {
            assert_eq!(
                n.normalize(Kind::Phone, raw, None),
                Some(Err(RejectReason::JunkValue)),
                "{raw}"
            );
            assert_eq!(
                n.normalize(Kind::Card, raw, None),
                Some(Err(RejectReason::JunkValue)),
                "{raw}"
            );
        }
        assert!(!is_one_repeated_digit("1111"));
        assert!(
            n.normalize(Kind::Phone, "+7 916 123-45-67", None)
                .unwrap()
                .is_ok()
        );
    }

    #[test]
    fn spreadsheet_floats_are_recovered_exactly() {
        use SpreadsheetNumber::*;
        let cases = [
            ("79161234567.0", Digits("79161234567".to_owned())),
            ("79161234567,00", Digits("79161234567".to_owned())),
            ("7.9161234567E10", Digits("79161234567".to_owned())),
            ("7,9161234567E+10", Digits("79161234567".to_owned())),
            ("7.91612E+10", Lossy),
            ("7.967433534E10", Digits("79674335340".to_owned())),
            ("7.9919371E10", Digits("79919371000".to_owned())),
            ("7.99194E+10", Lossy),
            ("7.9161234567E9", Lossy),
            ("12E45", NotFloat),
            ("0.5E1", NotFloat),
            ("916.123.45.67", NotFloat),
            ("8 916 123-45-67", NotFloat),
            ("abc.0", NotFloat),
            (".0", NotFloat),
        ];
        for (raw, want) in cases {
            assert_eq!(recover_spreadsheet_integer(raw), want, "{raw}");
        }
    }

    #[test]
    fn empty_cells_are_not_filled_rather_than_rejected() {
        let n = normalizers(Some("RU"));
        for kind in [Kind::Email, Kind::Phone, Kind::Card, Kind::Id] {
            assert_eq!(n.normalize(kind, "", None), None);
            assert_eq!(n.normalize(kind, " \t ", None), None);
        }
    }

    #[test]
    fn placeholders_are_junk_for_every_kind() {
        let n = normalizers(Some("RU"));
        for raw in [
            "n/a",
            "N/A",
            "null",
            "-",
            "--",
            "?",
            "0",
            "нет",
            "Не указан",
            "unknown",
        ] {
            for kind in [Kind::Email, Kind::Phone, Kind::Card, Kind::Id] {
                assert_eq!(
                    n.normalize(kind, raw, None),
                    Some(Err(RejectReason::JunkValue)),
                    "{kind} {raw}"
                );
            }
        }
    }

    #[test]
    fn facade_dispatches_by_kind() {
        let n = normalizers(Some("RU"));
        let ok = |kind, raw, region| n.normalize(kind, raw, region).expect("filled");
        assert_eq!(
            ok(Kind::Email, " Ivan@Mail.RU ", None),
            Ok("ivan@mail.ru".to_owned())
        );
        assert_eq!(
            ok(Kind::Phone, "8 916 123-45-67", None),
            Ok("+79161234567".to_owned())
        );
        assert_eq!(ok(Kind::Card, "№ 0048-1357", None), Ok("481357".to_owned()));
        assert_eq!(ok(Kind::Id, " CRM-17 ", None), Ok("CRM-17".to_owned()));
    }

    #[test]
    fn region_hint_overrides_default_and_unknown_hints_fall_back() {
        let n = normalizers(Some("RU"));
        let phone = |region| n.normalize(Kind::Phone, "(415) 555-0100", region);
        assert_eq!(phone(None), Some(Ok("+74155550100".to_owned())));
        assert_eq!(phone(Some("en_US")), Some(Ok("+14155550100".to_owned())));
        assert_eq!(phone(Some("США")), Some(Ok("+14155550100".to_owned())));
        assert_eq!(phone(Some("Narnia")), Some(Ok("+74155550100".to_owned())));
    }

    #[test]
    fn blocklisted_canonical_values_are_junk() {
        let n = normalizers(Some("RU"));
        let junk = Some(Err(RejectReason::JunkValue));
        assert_eq!(n.normalize(Kind::Email, "Test@Test.com", None), junk);
        assert_eq!(n.normalize(Kind::Email, "INFO@shop.ru", None), junk);
        assert_eq!(n.normalize(Kind::Phone, "+7 (800) 555-35-35", None), junk);
        assert_eq!(n.normalize(Kind::Phone, "8 999 999 99 99", None), junk);
        assert_eq!(n.normalize(Kind::Card, "1111-1111", None), junk);
    }
}
