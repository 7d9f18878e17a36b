//! Meta custom audiences from a customer list: `meta.csv`.
//!
//! Rules (customer file custom audiences, hashing and normalizing:
//! <https://developers.facebook.com/docs/marketing-api/audiences/guides/custom-audiences>):
//! identifier columns named `email`, `phone`, `fn`, `ln` (among others: `zip`, `ct`, `st`,
//! `country`, `dob`, ...), several columns of one identifier allowed. Before SHA-256: emails
//! trimmed and lowercased; phones as digits only with the country code, without `+` or leading
//! zeros; first and last names lowercased, letters only (no punctuation or spaces, UTF-8).
//! Hashes are lowercase hex.

use std::io::Write;

use super::google::{columns, hashed};
use super::{Identifiers, digits, plain_email, sha256_hex};
use crate::export::outdir::{Evidence, ExportProfile};
use crate::export::suppress::Suppression;

/// The file name.
pub const FILE: &str = "meta.csv";

/// Meta's name normalization (before hashing): lowercase letters only.
pub fn normalize_name(name: &str) -> String {
    name.chars()
        .filter(|c| c.is_alphabetic())
        .flat_map(char::to_lowercase)
        .collect()
}

/// Writes the file; returns the rows (profiles with an email or a phone).
pub fn write(
    out: impl Write,
    profiles: &[&ExportProfile],
    evidence: &Evidence,
    suppression: &Suppression,
) -> anyhow::Result<u64> {
    let rows: Vec<Identifiers> = profiles
        .iter()
        .map(|p| Identifiers::of(p, evidence, suppression))
        .filter(|ids| !ids.is_empty())
        .collect();
    let emails = columns(rows.iter().map(|r| r.emails.len()));
    let phones = columns(rows.iter().map(|r| r.phones.len()));
    let mut w = csv::Writer::from_writer(out);
    let header: Vec<&str> = std::iter::repeat_n("email", emails)
        .chain(std::iter::repeat_n("phone", phones))
        .chain(["fn", "ln"])
        .collect();
    w.write_record(&header)?;
    for ids in &rows {
        let mut cells: Vec<String> = Vec::with_capacity(emails + phones + 2);
        cells.extend(hashed(&ids.emails, emails, |e| sha256_hex(&plain_email(e))));
        cells.extend(hashed(&ids.phones, phones, |p| sha256_hex(&digits(p))));
        let name = |part: &str| match normalize_name(part) {
            n if n.is_empty() => String::new(),
            n => sha256_hex(&n),
        };
        match ids.name {
            Some((first, last)) => cells.extend([name(first), name(last)]),
            None => cells.extend([String::new(), String::new()]),
        }
        w.write_record(&cells)?;
    }
    w.flush()?;
    Ok(rows.len() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Meta's documented normalization, then SHA-256 (hex from `sha256sum`).
    #[test]
    fn phones_lose_the_plus_and_names_keep_letters_only() {
        assert_eq!(normalize_name("Ivan,"), "ivan");
        assert_eq!(normalize_name("Анна-Мария"), "аннамария");
        let p = ExportProfile {
            name: "Ivan Petrov".into(),
            emails: vec!["test@example.com".into()],
            phones: vec!["+79161234567".into()],
            ..ExportProfile::default()
        };
        let mut out = Vec::new();
        write(&mut out, &[&p], &Evidence::new(), &Suppression::default()).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "email,phone,fn,ln\n\
             973dfe463ec85785f5f95af5ba3906eedb2d931c24e69824a89ea65dba4e813b,\
             1210f4f193f6032e91cd7117a785a1be09550d79076c4717cdae4c0c45691a30,\
             cd0b9452fc376fc4c35a60087b366f70d883fc901524daf1f122fbd319384f6a,\
             cf13fe2cff28343e661d1ada6a36a7bc04a734ffa5647c8ea767c632032e930a\n"
        );
    }
}
