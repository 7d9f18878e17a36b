//! Spreadsheet formula escaping of the CSV tables (CSV injection, issue 16).
//!
//! A marketer opens `profiles.csv` in Excel or LibreOffice; a cell that starts with `=`, `+`,
//! `-`, `@`, a tab or a carriage return is read there as a formula, and a hostile export
//! (`=HYPERLINK(...)`, `=cmd|...`) then runs in their spreadsheet. Following OWASP's guidance
//! for files meant for spreadsheets, such a cell is written with a leading `'` (which the
//! spreadsheet shows as text and hides). The exact rule, with `--csv-escape formulas` (the
//! default):
//!
//! - a cell that is only a signed number (`[+-]digits[.digits]`: an E.164 phone
//!   `+79161234567`, a negative amount `-12.50`) is left as it is: a spreadsheet reads it as a
//!   number, not a formula;
//! - any other cell starting with `=`, `+`, `-`, `@`, tab or CR gets a `'` in front;
//! - a cell that already starts with `'` gets one more, so the escape is reversible: removing
//!   one leading `'` from every cell that has one gives back the value exactly ([`unescape`],
//!   which `omni explain` applies when it reads the tables back).
//!
//! `--csv-escape none` (or `csv_escape = "none"` under `[output]` in omni.toml) writes every
//! value as it is, for machine consumers. `report.json` records the mode the tables were
//! written with, so readers (and `omni explain`) know whether to undo it.

use serde::{Deserialize, Serialize};

/// How cells that a spreadsheet would run as formulas are written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum CsvEscape {
    /// Prefix such cells with `'` (OWASP's advice for files opened in spreadsheets).
    #[default]
    Formulas,
    /// Write every value as it is (for programs reading the files).
    None,
}

impl CsvEscape {
    /// The mode of tables written before the escape existed (report.json without the field).
    pub fn unrecorded() -> CsvEscape {
        CsvEscape::None
    }

    /// Whether `value` is written with a leading `'` in this mode.
    #[inline]
    pub fn needs_prefix(self, value: &[u8]) -> bool {
        self == CsvEscape::Formulas
            && match value.first() {
                Some(b'\'') => true,
                Some(b'=' | b'@' | b'\t' | b'\r') => true,
                Some(b'+' | b'-') => !is_signed_number(&value[1..]),
                _ => false,
            }
    }

    /// The value as a reader should see it: one leading `'` removed in `Formulas` mode.
    pub fn unescape(self, cell: &str) -> &str {
        match self {
            CsvEscape::Formulas => cell.strip_prefix('\'').unwrap_or(cell),
            CsvEscape::None => cell,
        }
    }
}

/// `digits[.digits]` (what follows the sign of a signed number).
fn is_signed_number(rest: &[u8]) -> bool {
    let (whole, fraction) = match rest.iter().position(|&b| b == b'.') {
        Some(dot) => (&rest[..dot], Some(&rest[dot + 1..])),
        None => (rest, None),
    };
    let digits = |part: &[u8]| !part.is_empty() && part.iter().all(u8::is_ascii_digit);
    digits(whole) && fraction.is_none_or(digits)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn escaped(value: &str) -> String {
        if CsvEscape::Formulas.needs_prefix(value.as_bytes()) {
            format!("'{value}")
        } else {
            value.to_owned()
        }
    }

    #[test]
    fn formulas_get_a_quote_and_signed_numbers_do_not() {
        for (value, written) in [
            ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("+1+cmd|' /C calc'!A0", "'+1+cmd|' /C calc'!A0"),
            ("-2+3", "'-2+3"),
            ("\tx", "'\tx"),
            ("\rx", "'\rx"),
            ("'quoted", "''quoted"),
            ("-", "'-"),
            ("+", "'+"),
            ("+7 916", "'+7 916"),
            ("+79161234567|+79161234568", "'+79161234567|+79161234568"),
            ("+79161234567", "+79161234567"),
            ("-12.50", "-12.50"),
            ("-0.00", "-0.00"),
            ("+5", "+5"),
            ("-1.", "'-1."),
            ("anna@mail.ru", "anna@mail.ru"),
            ("", ""),
        ] {
            assert_eq!(escaped(value), written, "{value:?}");
        }
    }

    #[test]
    fn none_writes_everything_as_it_is() {
        for value in ["=1+1", "'x", "@a", "-a"] {
            assert!(!CsvEscape::None.needs_prefix(value.as_bytes()));
            assert_eq!(CsvEscape::None.unescape(value), value);
        }
    }

    proptest! {
        #[test]
        fn unescape_gives_back_every_value(value in any::<String>()) {
            let written = escaped(&value);
            prop_assert_eq!(CsvEscape::Formulas.unescape(&written), value.as_str());
            let first = written.as_bytes().first().copied();
            let starts_formula = matches!(first, Some(b'=' | b'@' | b'\t' | b'\r'))
                || (matches!(first, Some(b'+' | b'-')) && !is_signed_number(&written.as_bytes()[1..]));
            prop_assert!(!starts_formula, "{:?}", written);
        }
    }
}
