//! Yandex Audiences, a segment from CRM data: `yandex_audiences.csv`.
//!
//! Rules (<https://yandex.ru/support/audience/en/file>): a CSV, UTF-8, the first line lists the
//! fields (`phone`, `email`), one customer per line, at least one of the two. Phones are digits
//! with the country code and no other characters (`79995551111`); emails lowercase. Values may
//! be hashed; since January 2025 new MD5 hashes are refused, so omni writes SHA-256 (choose
//! "Hashed data", SHA-256, when creating the segment). One field of each kind, so a customer's
//! best phone and best email are written.

use std::io::Write;

use super::{Identifiers, digits, plain_email, sha256_hex};
use crate::export::outdir::{Evidence, ExportProfile};
use crate::export::suppress::Suppression;

/// The file name.
pub const FILE: &str = "yandex_audiences.csv";

/// Writes the file; returns the rows (profiles with an email or a phone).
pub fn write(
    out: impl Write,
    profiles: &[&ExportProfile],
    evidence: &Evidence,
    suppression: &Suppression,
) -> anyhow::Result<u64> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record(["phone", "email"])?;
    let mut rows = 0;
    for p in profiles {
        let ids = Identifiers::of(p, evidence, suppression);
        if ids.is_empty() {
            continue;
        }
        let phone = ids.phones.first().map(|p| sha256_hex(&digits(p)));
        let email = ids.emails.first().map(|e| sha256_hex(&plain_email(e)));
        w.write_record([phone.unwrap_or_default(), email.unwrap_or_default()])?;
        rows += 1;
    }
    w.flush()?;
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Yandex's documented phone form (`79995551111`: digits, country code), then SHA-256
    /// (hex from `sha256sum`).
    #[test]
    fn one_phone_and_one_email_per_line() {
        let p = ExportProfile {
            emails: vec!["test@example.com".into(), "z@example.com".into()],
            phones: vec!["+79161234567".into()],
            ..ExportProfile::default()
        };
        let mut out = Vec::new();
        write(&mut out, &[&p], &Evidence::new(), &Suppression::default()).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "phone,email\n\
             1210f4f193f6032e91cd7117a785a1be09550d79076c4717cdae4c0c45691a30,\
             973dfe463ec85785f5f95af5ba3906eedb2d931c24e69824a89ea65dba4e813b\n"
        );
    }
}
