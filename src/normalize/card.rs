//! Loyalty card normalization: one raw cell in, one canonical card number (or a reject) out.
//!
//! The rule, in order:
//!
//! 1. trim, and recover an integer a spreadsheet wrote as a float (`123456.0`, `1,23456E+5`);
//!    a float that lost digits (`1.23E+10`) is [`RejectReason::CardInvalid`];
//! 2. uppercase and remove separators: whitespace, `-`, `.`, `/`, `_`, `:`;
//! 3. strip programme prefixes: the config ones (`[card] strip_prefixes`, compared without
//!    separators and case-insensitively) wherever something is left after them, and the built-in
//!    ones (`CARD`, `КАРТА`, `№`, `NO`, `NR`, `N`, `#`, `LC`) only when a digit follows, so
//!    `NB1234` keeps its `N`;
//! 4. if what is left is all digits, strip leading zeros: spreadsheets drop them, so `000123456`
//!    and `123456` must be the same card. All zeros is [`RejectReason::JunkValue`];
//! 5. the result must be 4-32 characters of `[A-Z0-9]` with at least one digit, else
//!    [`RejectReason::CardInvalid`].
//!
//! Not done: check digits (Luhn and friends differ per programme) and mapping look-alike
//! letters (`O` and `0`), which would merge genuinely different alphanumeric cards.

use super::{SpreadsheetNumber, recover_spreadsheet_integer};
use crate::reject::RejectReason;

/// Card rules from config.
#[derive(Clone, Debug, Default)]
pub struct CardRules {
    /// Extra programme prefixes to strip (case-insensitive), on top of the built-in ones.
    pub strip_prefixes: Vec<String>,
}

/// Built-in prefixes, longest first so `CARD` wins over `C`-anything and `NO` over `N`.
const BUILT_IN_PREFIXES: [&str; 8] = ["КАРТА", "CARD", "NO", "NR", "LC", "№", "N", "#"];

/// Card normalizer.
#[derive(Clone, Debug)]
pub struct CardNormalizer {
    /// Config prefixes, uppercased and without separators, longest first.
    prefixes: Vec<String>,
}

impl CardNormalizer {
    /// Builds a normalizer from its rules.
    pub fn new(rules: CardRules) -> Self {
        let mut prefixes: Vec<String> = rules
            .strip_prefixes
            .iter()
            .map(|p| compact(p))
            .filter(|p| !p.is_empty())
            .collect();
        prefixes.sort_by_key(|p| std::cmp::Reverse(p.len()));
        CardNormalizer { prefixes }
    }

    /// `raw` is non-empty after trimming.
    pub fn normalize(&self, raw: &str) -> Result<String, RejectReason> {
        let mut out = String::new();
        self.normalize_into(raw, &mut out)?;
        Ok(out)
    }

    /// [`CardNormalizer::normalize`] appending the canonical number to `out`; on a reject `out`
    /// is unchanged.
    pub fn normalize_into(&self, raw: &str, out: &mut String) -> Result<(), RejectReason> {
        let trimmed = raw.trim();
        let card = match recover_spreadsheet_integer(trimmed) {
            SpreadsheetNumber::NotFloat => compact(trimmed),
            SpreadsheetNumber::Digits(digits) => digits,
            SpreadsheetNumber::Lossy => return Err(RejectReason::CardInvalid),
        };
        // Prefixes can stack (`CARD №123`), and a digit-only config prefix can appear once the
        // zeros are gone, so strip both until nothing changes: that keeps the result idempotent.
        let mut rest = card.as_str();
        loop {
            let mut stripped = self.strip_prefix(rest);
            if !stripped.is_empty() && stripped.bytes().all(|b| b.is_ascii_digit()) {
                stripped = stripped.trim_start_matches('0');
                if stripped.is_empty() {
                    return Err(RejectReason::JunkValue);
                }
            }
            if stripped.len() == rest.len() {
                break;
            }
            rest = stripped;
        }
        let shape_ok = (4..=32).contains(&rest.len())
            && rest
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
            && rest.bytes().any(|b| b.is_ascii_digit());
        if shape_ok {
            out.push_str(rest);
            Ok(())
        } else {
            Err(RejectReason::CardInvalid)
        }
    }

    /// Removes one config prefix (if something is left) or a run of built-in prefixes (if a
    /// digit follows).
    fn strip_prefix<'a>(&self, card: &'a str) -> &'a str {
        for prefix in &self.prefixes {
            if let Some(rest) = card.strip_prefix(prefix.as_str())
                && !rest.is_empty()
            {
                return rest;
            }
        }
        // Built-in prefixes stack (`КАРТА№123`); strip the whole run, then require a digit.
        let mut rest = card;
        while let Some(stripped) = BUILT_IN_PREFIXES.iter().find_map(|p| rest.strip_prefix(p)) {
            rest = stripped;
        }
        if rest.starts_with(|c: char| c.is_ascii_digit()) {
            rest
        } else {
            card
        }
    }
}

/// Uppercase without separators. ASCII cells (nearly all) are done bytewise: ASCII letters
/// uppercase to ASCII, and whitespace is tested as the same `char` the general path tests.
fn compact(value: &str) -> String {
    if !value.is_ascii() {
        return compact_chars(value);
    }
    let mut out = String::with_capacity(value.len());
    out.extend(
        value
            .bytes()
            .filter(|&b| !(char::from(b).is_whitespace() || is_separator(char::from(b))))
            .map(|b| char::from(b.to_ascii_uppercase())),
    );
    out
}

/// [`compact`] for any text.
fn compact_chars(value: &str) -> String {
    value
        .chars()
        .filter(|&c| !(c.is_whitespace() || is_separator(c)))
        .flat_map(char::to_uppercase)
        .collect()
}

fn is_separator(c: char) -> bool {
    matches!(c, '-' | '.' | '/' | '_' | ':')
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The bytewise path equals the general one on ASCII, control characters included.
        #[test]
        fn ascii_compact_equals_the_general_one(value in "[\\x00-\\x7f]{0,24}") {
            prop_assert_eq!(compact(&value), compact_chars(&value));
        }
    }

    #[test]
    fn ascii_compact_keeps_the_general_rules() {
        for value in [
            "",
            " 12-34.56/78_9:0 ",
            "ab\tc\u{b}d\u{c}e\re\n",
            "card no 123",
            "#x",
        ] {
            assert_eq!(compact(value), compact_chars(value), "{value:?}");
        }
        assert_eq!(compact("карта 12"), "КАРТА12");
    }

    fn norm(raw: &str) -> Result<String, RejectReason> {
        CardNormalizer::new(CardRules::default()).normalize(raw)
    }

    #[test]
    fn separators_prefixes_and_leading_zeros_are_removed() {
        let cases = [
            ("0012 3456 7890", "1234567890"),
            ("1234-5678-90", "1234567890"),
            ("000123456", "123456"),
            ("№ 48151623", "48151623"),
            ("N48151623", "48151623"),
            ("#48151623", "48151623"),
            ("Card: 4815-1623", "48151623"),
            ("card 00481516", "481516"),
            ("LC-4815 1623", "48151623"),
            ("Карта № 48151623", "48151623"),
            ("ab-12cd", "AB12CD"),
            ("NB1234", "NB1234"),
            ("48.151.623", "48151623"),
            ("4815/1623_42", "4815162342"),
        ];
        for (raw, want) in cases {
            assert_eq!(norm(raw), Ok(want.to_owned()), "{raw}");
        }
    }

    #[test]
    fn card_stored_as_float_is_recovered() {
        assert_eq!(norm("48151623.0"), Ok("48151623".to_owned()));
        assert_eq!(norm("4,8151623E+7"), Ok("48151623".to_owned()));
        assert_eq!(norm("4.81E+7"), Err(RejectReason::CardInvalid));
    }

    #[test]
    fn config_prefixes_are_stripped_case_insensitively() {
        let rules = CardRules {
            strip_prefixes: vec!["shop-".to_owned(), "ABC".to_owned()],
        };
        let n = CardNormalizer::new(rules);
        assert_eq!(n.normalize("SHOP-004815"), Ok("4815".to_owned()));
        assert_eq!(n.normalize("shop 4815"), Ok("4815".to_owned()));
        assert_eq!(n.normalize("abcX4815"), Ok("X4815".to_owned()));
        assert_eq!(n.normalize("ABC"), Err(RejectReason::CardInvalid));
    }

    #[test]
    fn bad_cards_are_rejected() {
        for raw in [
            "123",
            "ABCDEF",
            "12 3",
            "карта",
            "4815💳1623",
            &"1".repeat(33),
        ] {
            assert_eq!(norm(raw), Err(RejectReason::CardInvalid), "{raw}");
        }
        assert_eq!(norm("0000 0000"), Err(RejectReason::JunkValue));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn never_panics(raw in any::<String>()) {
            let _ = norm(&raw);
        }

        #[test]
        fn is_idempotent_and_canonical(raw in "[ №#a-zA-Z0-9.,/_-]{1,20}") {
            if let Ok(card) = norm(&raw) {
                prop_assert!(card.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit()));
                prop_assert_eq!(norm(&card), Ok(card.clone()));
            }
        }

        #[test]
        fn leading_zeros_and_separators_do_not_matter(n in 1000u64..1_000_000_000_000, zeros in 0usize..4) {
            let plain = n.to_string();
            let padded = format!("{}{}", "0".repeat(zeros), plain);
            let spaced: String = padded.chars().flat_map(|c| [c, ' ']).collect();
            prop_assert_eq!(norm(&spaced), norm(&plain));
        }
    }
}
