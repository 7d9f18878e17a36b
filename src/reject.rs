//! Why a value or a row could not be used.
//!
//! A reject is data, not an error: the run goes on, the value or row is written to `rejects.csv`
//! with its reason, and the report counts it. The snake_case codes are public (they appear in
//! `rejects.csv` and `report.json`), so they never change once released; new reasons are added.
//! This module only names reasons; the stages that find them live in `input/` and `normalize/`.

use serde::{Deserialize, Serialize};

/// A stable reason code for a rejected value or row.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RejectReason {
    // --- value level: the row is still used through its other values ---
    /// Not a syntactically valid email address.
    EmailInvalid,
    /// The email's domain cannot be converted to ASCII (IDNA) or is not a domain.
    EmailBadDomain,
    /// No phone number could be read from the value (letters, too few digits, ...).
    PhoneUnparseable,
    /// The value parses but is not a possible number for its country (wrong length or prefix).
    PhoneInvalid,
    /// Not a loyalty card number (no digits or letters left, or too short/long).
    CardInvalid,
    /// An id value that is too long or contains control characters.
    IdInvalid,
    /// A known placeholder or junk value (`test@test.com`, `0000000000`, `n/a`, ...) that must
    /// never link two people.
    JunkValue,
    /// A cell of an amount column that is not an amount: `NaN`, `inf`, text (issue 16). The
    /// record keeps no amount; it is not an identifier, so the row is still used.
    AmountInvalid,
    /// A cell of a date column that is not a date: an impossible one (`2024-02-30`,
    /// `31.04.2024`), a year out of 1000-9999, text (issue 16). The record keeps no date from it.
    DateInvalid,
    // --- row level: the whole row ---
    /// The row has a different number of fields than the header.
    RaggedRow,
    /// The row could not be parsed at all (broken quoting, invalid bytes).
    UnreadableRow,
    /// The row was read, but none of its identifier columns holds a usable value.
    NoIdentifier,
    /// A field of the row is longer than `max_field_bytes` (`[limits]` in omni.toml).
    FieldTooLong,
}

impl RejectReason {
    /// Every reason, in code order (used by reports to list all reasons, even unseen ones).
    pub const ALL: [RejectReason; 13] = [
        RejectReason::EmailInvalid,
        RejectReason::EmailBadDomain,
        RejectReason::PhoneUnparseable,
        RejectReason::PhoneInvalid,
        RejectReason::CardInvalid,
        RejectReason::IdInvalid,
        RejectReason::JunkValue,
        RejectReason::AmountInvalid,
        RejectReason::DateInvalid,
        RejectReason::RaggedRow,
        RejectReason::UnreadableRow,
        RejectReason::NoIdentifier,
        RejectReason::FieldTooLong,
    ];

    /// The stable snake_case code written to `rejects.csv` and `report.json`.
    pub fn code(self) -> &'static str {
        match self {
            RejectReason::EmailInvalid => "email_invalid",
            RejectReason::EmailBadDomain => "email_bad_domain",
            RejectReason::PhoneUnparseable => "phone_unparseable",
            RejectReason::PhoneInvalid => "phone_invalid",
            RejectReason::CardInvalid => "card_invalid",
            RejectReason::IdInvalid => "id_invalid",
            RejectReason::JunkValue => "junk_value",
            RejectReason::AmountInvalid => "amount_invalid",
            RejectReason::DateInvalid => "date_invalid",
            RejectReason::RaggedRow => "ragged_row",
            RejectReason::UnreadableRow => "unreadable_row",
            RejectReason::NoIdentifier => "no_identifier",
            RejectReason::FieldTooLong => "field_too_long",
        }
    }

    /// True when the reason concerns an identifier value (what `values_rejected` counts), not
    /// a whole row nor an amount or a date.
    pub fn is_identifier_value(self) -> bool {
        !self.is_row_level()
            && !matches!(
                self,
                RejectReason::AmountInvalid | RejectReason::DateInvalid
            )
    }

    /// True when the reason concerns a whole row rather than one value.
    pub fn is_row_level(self) -> bool {
        matches!(
            self,
            RejectReason::RaggedRow
                | RejectReason::UnreadableRow
                | RejectReason::NoIdentifier
                | RejectReason::FieldTooLong
        )
    }
}

impl std::fmt::Display for RejectReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_match_serde_names() {
        for reason in RejectReason::ALL {
            let json = serde_json::to_string(&reason).unwrap();
            assert_eq!(json, format!("\"{}\"", reason.code()));
        }
    }
}
