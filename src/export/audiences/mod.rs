//! Ad-platform audiences: one file per platform in the upload format it documents, every
//! identifier normalized by that platform's rule and then hashed. No clear email, phone or name
//! is ever written into an audience file (the tests check every cell of every file).
//!
//! | platform | file | hashing | rules |
//! |---|---|---|---|
//! | Google Ads Customer Match | `google_ads.csv` | SHA-256 | [`google`] |
//! | Meta custom audiences | `meta.csv` | SHA-256 | [`meta`] |
//! | Yandex Audiences | `yandex_audiences.csv` | SHA-256 | [`yandex`] |
//! | VK Ads | `vk_ads_emails.txt`, `vk_ads_phones.txt` | MD5 | [`vk`] |
//!
//! Each platform takes the profile's non-suppressed emails and phones, best first (the order of
//! `contacts::ranked`), and skips a profile with none.

use md5::Md5;
use sha2::{Digest, Sha256};

use super::contacts::ranked;
use super::outdir::{Evidence, ExportProfile};
use super::settings::ChannelKey;
use super::suppress::Suppression;

pub mod google;
pub mod meta;
pub mod vk;
pub mod yandex;

/// Most identifiers of one kind written per profile where a platform takes repeated columns.
pub const MAX_PER_KIND: usize = 3;

/// Lowercase hex SHA-256 of the UTF-8 bytes.
pub fn sha256_hex(text: &str) -> String {
    hex(&Sha256::digest(text.as_bytes()))
}

/// Lowercase hex MD5 of the UTF-8 bytes.
pub fn md5_hex(text: &str) -> String {
    hex(&Md5::digest(text.as_bytes()))
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// A profile's exportable identifiers, best first.
pub struct Identifiers<'a> {
    /// Canonical emails.
    pub emails: Vec<&'a str>,
    /// E.164 phones.
    pub phones: Vec<&'a str>,
    /// First and last word of the name, when it has two or more.
    pub name: Option<(&'a str, &'a str)>,
}

impl<'a> Identifiers<'a> {
    /// The identifiers of `profile` that may be exported (suppressed values left out).
    pub fn of(
        profile: &'a ExportProfile,
        evidence: &Evidence,
        suppression: &Suppression,
    ) -> Identifiers<'a> {
        let words: Vec<&str> = profile.name.split_whitespace().collect();
        Identifiers {
            emails: ranked(profile, &ChannelKey::Email, evidence, suppression),
            phones: ranked(profile, &ChannelKey::Phone, evidence, suppression),
            name: (words.len() >= 2).then(|| (words[0], words[words.len() - 1])),
        }
    }

    /// True when there is no email and no phone.
    pub fn is_empty(&self) -> bool {
        self.emails.is_empty() && self.phones.is_empty()
    }
}

/// Trimmed, lowercase, without inner whitespace: the email rule every platform shares.
pub fn plain_email(email: &str) -> String {
    email
        .chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect()
}

/// E.164 without the `+` (`+79161234567` → `79161234567`).
pub fn digits(phone: &str) -> String {
    phone.chars().filter(char::is_ascii_digit).collect()
}

/// Rows written per platform file.
#[derive(Clone, Debug, PartialEq)]
pub struct AudienceCount {
    /// File name.
    pub file: String,
    /// Rows (profiles, or values for one-per-line lists).
    pub rows: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// SHA-256 and MD5 of `test@example.com`, the address the platforms' hashing examples use;
    /// values checked with `sha256sum` and `md5sum` (coreutils).
    #[test]
    fn hashes_are_lowercase_hex_of_the_utf8_bytes() {
        assert_eq!(
            sha256_hex("test@example.com"),
            "973dfe463ec85785f5f95af5ba3906eedb2d931c24e69824a89ea65dba4e813b"
        );
        assert_eq!(
            md5_hex("test@example.com"),
            "55502f40dc8b7c769880b10874abc9d0"
        );
        assert_eq!(plain_email(" Test@Example.COM "), "test@example.com");
        assert_eq!(digits("+79161234567"), "79161234567");
    }
}
