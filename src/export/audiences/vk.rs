//! VK Ads, an audience from a file of contacts: `vk_ads_emails.txt` and `vk_ads_phones.txt`.
//!
//! Rules (<https://vk.ru/faq12114>):
//! a list is one kind of identifier, one value per line, no header (phones, emails, device ids
//! or VK page ids), up to 20 MB. Phones are digits with the country code (`79161234567`),
//! emails lowercase; values may be uploaded as MD5 hashes, which omni writes (lowercase hex),
//! so no clear contact leaves the machine. Every non-suppressed value of every selected profile
//! is listed once.

use std::collections::HashSet;
use std::io::Write;

use super::{Identifiers, digits, md5_hex, plain_email};
use crate::export::outdir::{Evidence, ExportProfile};
use crate::export::suppress::Suppression;

/// The email list's file name.
pub const EMAILS_FILE: &str = "vk_ads_emails.txt";
/// The phone list's file name.
pub const PHONES_FILE: &str = "vk_ads_phones.txt";

/// Writes both lists; returns their line counts (emails, phones).
pub fn write(
    mut emails_out: impl Write,
    mut phones_out: impl Write,
    profiles: &[&ExportProfile],
    evidence: &Evidence,
    suppression: &Suppression,
) -> anyhow::Result<(u64, u64)> {
    let mut seen: HashSet<String> = HashSet::new();
    let (mut emails, mut phones) = (0, 0);
    for p in profiles {
        let ids = Identifiers::of(p, evidence, suppression);
        for e in &ids.emails {
            let hash = md5_hex(&plain_email(e));
            if seen.insert(hash.clone()) {
                writeln!(emails_out, "{hash}")?;
                emails += 1;
            }
        }
        for phone in &ids.phones {
            let hash = md5_hex(&digits(phone));
            if seen.insert(hash.clone()) {
                writeln!(phones_out, "{hash}")?;
                phones += 1;
            }
        }
    }
    emails_out.flush()?;
    phones_out.flush()?;
    Ok((emails, phones))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// MD5 of the documented forms (hex from `md5sum`); a value shared by two profiles is
    /// listed once.
    #[test]
    fn one_md5_per_line_and_kind() {
        let p = ExportProfile {
            emails: vec!["test@example.com".into()],
            phones: vec!["+79161234567".into()],
            ..ExportProfile::default()
        };
        let (mut e, mut ph) = (Vec::new(), Vec::new());
        let counts = write(
            &mut e,
            &mut ph,
            &[&p, &p],
            &Evidence::new(),
            &Suppression::default(),
        )
        .unwrap();
        assert_eq!(counts, (1, 1));
        assert_eq!(
            String::from_utf8(e).unwrap(),
            "55502f40dc8b7c769880b10874abc9d0\n"
        );
        assert_eq!(
            String::from_utf8(ph).unwrap(),
            "b7345b4e50394f906438e994e8eb15f8\n"
        );
    }
}
