//! Google Ads Customer Match: `google_ads.csv`.
//!
//! Rules (<https://support.google.com/google-ads/answer/7659867>, field guidelines:
//! <https://support.google.com/google-ads/answer/7475964>): a CSV with the English headers
//! `Email`, `Phone`, `First Name`, `Last Name`, `Country`, `Zip`; several `Email` and `Phone`
//! columns are allowed for one customer. Before SHA-256: emails trimmed and lowercased, with the
//! dots before `@` removed for `gmail.com` and `googlemail.com`; phones in E.164 with the `+`
//! and country code. Hashes are lowercase hex.
//!
//! omni writes `Email` and `Phone` columns only: Google matches names only together with
//! `Country` and `Zip`, and profiles carry no postal address.

use std::io::Write;

use super::{Identifiers, MAX_PER_KIND, plain_email, sha256_hex};
use crate::export::outdir::{Evidence, ExportProfile};
use crate::export::suppress::Suppression;

/// The file name.
pub const FILE: &str = "google_ads.csv";

/// Google's email normalization (before hashing).
pub fn normalize_email(email: &str) -> String {
    let email = plain_email(email);
    match email.split_once('@') {
        Some((local, domain @ ("gmail.com" | "googlemail.com"))) => {
            format!("{}@{domain}", local.replace('.', ""))
        }
        _ => email,
    }
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
    let header: Vec<&str> = std::iter::repeat_n("Email", emails)
        .chain(std::iter::repeat_n("Phone", phones))
        .collect();
    w.write_record(&header)?;
    for ids in &rows {
        let mut cells: Vec<String> = Vec::with_capacity(emails + phones);
        cells.extend(hashed(&ids.emails, emails, |e| {
            sha256_hex(&normalize_email(e))
        }));
        cells.extend(hashed(&ids.phones, phones, sha256_hex));
        w.write_record(&cells)?;
    }
    w.flush()?;
    Ok(rows.len() as u64)
}

/// Columns of one kind: the most any row has, between 1 and [`MAX_PER_KIND`].
pub(super) fn columns(counts: impl Iterator<Item = usize>) -> usize {
    counts.max().unwrap_or(0).clamp(1, MAX_PER_KIND)
}

/// `n` cells: the first values hashed, then empty cells.
pub(super) fn hashed(values: &[&str], n: usize, hash: impl Fn(&str) -> String) -> Vec<String> {
    (0..n)
        .map(|i| values.get(i).map_or_else(String::new, |v| hash(v)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Google's documented normalization, then SHA-256 (hex from `sha256sum`).
    #[test]
    fn emails_and_phones_follow_googles_rules() {
        assert_eq!(
            normalize_email(" Ivan.Petrov@GMail.com"),
            "ivanpetrov@gmail.com"
        );
        assert_eq!(
            normalize_email("ivan.petrov@mail.ru"),
            "ivan.petrov@mail.ru"
        );
        let p = ExportProfile {
            emails: vec!["test@example.com".into()],
            phones: vec!["+79161234567".into()],
            ..ExportProfile::default()
        };
        let mut out = Vec::new();
        write(&mut out, &[&p], &Evidence::new(), &Suppression::default()).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "Email,Phone\n\
             973dfe463ec85785f5f95af5ba3906eedb2d931c24e69824a89ea65dba4e813b,\
             c795313d1a25fea4e552388ce7fb6102f550187a1132baa53b9872e5236dd8c6\n"
        );
    }
}
