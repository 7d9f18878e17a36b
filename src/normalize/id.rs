//! Id namespace values (a CRM customer id, an app user id): linked as written, trimmed.
//!
//! Ids are opaque, so the only changes are trimming and one spreadsheet repair: an all-digit id
//! with a `.0`/`,0` suffix (`12345.0`) loses the suffix, because a spreadsheet turned the id
//! into a float. Nothing else is touched: case, inner spaces and leading zeros can all be
//! significant in someone's id scheme, and guessing would merge different customers. Values
//! with control characters or longer than 256 characters are [`RejectReason::IdInvalid`]: they
//! are broken cells, not ids.

use super::{SpreadsheetNumber, recover_spreadsheet_integer};
use crate::reject::RejectReason;

/// Longest accepted id, in characters.
pub const MAX_ID_CHARS: usize = 256;

/// `raw` is non-empty after trimming. Returns the id as it will be linked.
pub fn normalize(raw: &str) -> Result<String, RejectReason> {
    let mut out = String::new();
    normalize_into(raw, &mut out)?;
    Ok(out)
}

/// [`normalize`] appending the id to `out`; on a reject `out` is unchanged.
pub fn normalize_into(raw: &str, out: &mut String) -> Result<(), RejectReason> {
    let trimmed = raw.trim();
    if trimmed.chars().any(char::is_control) || trimmed.chars().count() > MAX_ID_CHARS {
        return Err(RejectReason::IdInvalid);
    }
    // Only the `.0` form: `1E5` or `1.5E+3` may well be real alphanumeric ids.
    let is_integer_suffix = !trimmed.contains(['e', 'E']);
    match recover_spreadsheet_integer(trimmed) {
        SpreadsheetNumber::Digits(digits) if is_integer_suffix => out.push_str(&digits),
        _ => out.push_str(trimmed),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn ids_are_trimmed_and_otherwise_kept() {
        let cases = [
            ("  CRM-0017 ", "CRM-0017"),
            ("00017", "00017"),
            ("a b  c", "a b  c"),
            ("12345.0", "12345"),
            ("12345,00", "12345"),
            ("1.2345E+4", "1.2345E+4"),
            ("12.50", "12.50"),
        ];
        for (raw, want) in cases {
            assert_eq!(normalize(raw), Ok(want.to_owned()), "{raw}");
        }
    }

    #[test]
    fn control_characters_and_huge_values_are_rejected() {
        assert_eq!(normalize("ab\u{0}c"), Err(RejectReason::IdInvalid));
        assert_eq!(normalize("ab\ncd"), Err(RejectReason::IdInvalid));
        assert_eq!(normalize(&"x".repeat(257)), Err(RejectReason::IdInvalid));
        assert_eq!(normalize(&"я".repeat(256)), Ok("я".repeat(256)));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn never_panics_and_is_idempotent(raw in any::<String>()) {
            if let Ok(id) = normalize(&raw) {
                prop_assert_eq!(normalize(&id), Ok(id.clone()));
            }
        }
    }
}
