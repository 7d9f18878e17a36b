//! Ad-platform audiences: one file per platform in the upload format it documents, every
//! identifier normalized by that platform's rule and then hashed. No clear email, phone or name
//! is ever written into an audience file (the tests check every cell of every file).
//!
//! | platform | file | hashing |
//! |---|---|---|
//! | Google Ads Customer Match | `google_ads.csv` | SHA-256 |
//! | Meta custom audiences | `meta.csv` | SHA-256 |
//! | Yandex Audiences | `yandex_audiences.csv` | SHA-256 |
//! | VK Ads | `vk_ads_emails.txt`, `vk_ads_phones.txt` | MD5 |
//!
//! The platforms differ only in data (header names, identifiers, normalization, hash, layout:
//! [`platforms::AUDIENCES`], with each platform's rules and links); one writer here serves them
//! all. Each takes the profile's non-suppressed emails and phones, best first (the order of
//! `contacts::ranked`), and skips a profile with none.

use std::collections::HashSet;
use std::io::Write;

use md5::Md5;
use sha2::{Digest, Sha256};

use super::contacts::ranked;
use super::outdir::{Evidence, ExportProfile};
use super::settings::ChannelKey;
use super::suppress::Suppression;

pub mod platforms;

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

    /// The values of one field, best first (a name part is one value or none).
    pub fn values(&self, field: Field) -> Vec<&'a str> {
        match field {
            Field::Email => self.emails.clone(),
            Field::Phone => self.phones.clone(),
            Field::FirstName => self.name.map(|(first, _)| first).into_iter().collect(),
            Field::LastName => self.name.map(|(_, last)| last).into_iter().collect(),
        }
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

/// An identifier a column or a line holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    /// A canonical email.
    Email,
    /// An E.164 phone.
    Phone,
    /// The first word of the name (profiles with two or more words).
    FirstName,
    /// The last word of the name (profiles with two or more words).
    LastName,
}

/// How a file lays identifiers out.
#[derive(Clone, Copy, Debug)]
pub enum Layout {
    /// A CSV with a header and one row per profile that has an email or a phone. Each column
    /// is repeated as many times as the most values any row has of its field, between 1 and
    /// `most`; a row's values fill its columns best first, the rest are empty.
    Rows {
        /// Field and header name, in column order.
        columns: &'static [(Field, &'static str)],
        /// Most columns of one field.
        most: usize,
    },
    /// No header: one hashed value of the field per line, each value once.
    Lines(Field),
}

/// The hash a platform asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Hash {
    /// SHA-256, lowercase hex.
    Sha256,
    /// MD5, lowercase hex.
    Md5,
}

impl Hash {
    fn apply(self, text: &str) -> String {
        match self {
            Hash::Sha256 => sha256_hex(text),
            Hash::Md5 => md5_hex(text),
        }
    }
}

/// One audience file and the rules of its platform.
#[derive(Clone, Copy, Debug)]
pub struct Audience {
    /// The platform's name.
    pub platform: &'static str,
    /// The file name.
    pub file: &'static str,
    /// Header and rows.
    pub layout: Layout,
    /// The hash of every value.
    pub hash: Hash,
    /// A canonical email as the platform wants it before hashing.
    pub email: fn(&str) -> String,
    /// An E.164 phone as the platform wants it before hashing.
    pub phone: fn(&str) -> String,
    /// A first or last name as the platform wants it before hashing.
    pub name: fn(&str) -> String,
}

impl Audience {
    /// Writes the file for `profiles`; returns its rows (profiles, or lines of values).
    pub fn write(
        &self,
        out: impl Write,
        profiles: &[&ExportProfile],
        evidence: &Evidence,
        suppression: &Suppression,
    ) -> anyhow::Result<u64> {
        match self.layout {
            Layout::Rows { columns, most } => {
                self.write_rows(out, columns, most, profiles, evidence, suppression)
            }
            Layout::Lines(field) => self.write_lines(out, field, profiles, evidence, suppression),
        }
    }

    fn write_rows(
        &self,
        out: impl Write,
        columns: &[(Field, &str)],
        most: usize,
        profiles: &[&ExportProfile],
        evidence: &Evidence,
        suppression: &Suppression,
    ) -> anyhow::Result<u64> {
        let rows: Vec<Identifiers> = profiles
            .iter()
            .map(|p| Identifiers::of(p, evidence, suppression))
            .filter(|ids| !ids.is_empty())
            .collect();
        let widths: Vec<usize> = columns
            .iter()
            .map(|&(field, _)| {
                let counts = rows.iter().map(|r| r.values(field).len());
                counts.max().unwrap_or(0).clamp(1, most)
            })
            .collect();
        let mut w = csv::Writer::from_writer(out);
        let header = columns
            .iter()
            .zip(&widths)
            .flat_map(|(&(_, name), &n)| std::iter::repeat_n(name, n));
        w.write_record(header)?;
        for ids in &rows {
            let cells = columns.iter().zip(&widths).flat_map(|(&(field, _), &n)| {
                let values = ids.values(field);
                (0..n).map(move |i| {
                    values
                        .get(i)
                        .map_or_else(String::new, |v| self.hashed(field, v))
                })
            });
            w.write_record(cells.collect::<Vec<String>>())?;
        }
        w.flush()?;
        Ok(rows.len() as u64)
    }

    fn write_lines(
        &self,
        mut out: impl Write,
        field: Field,
        profiles: &[&ExportProfile],
        evidence: &Evidence,
        suppression: &Suppression,
    ) -> anyhow::Result<u64> {
        let mut seen: HashSet<String> = HashSet::new();
        for p in profiles {
            for value in Identifiers::of(p, evidence, suppression).values(field) {
                let hash = self.hashed(field, value);
                if !seen.contains(&hash) {
                    writeln!(out, "{hash}")?;
                    seen.insert(hash);
                }
            }
        }
        out.flush()?;
        Ok(seen.len() as u64)
    }

    /// The value normalized by the platform's rule for its field, then hashed; empty when the
    /// rule leaves nothing (a name of punctuation only).
    fn hashed(&self, field: Field, value: &str) -> String {
        let normalized = match field {
            Field::Email => (self.email)(value),
            Field::Phone => (self.phone)(value),
            Field::FirstName | Field::LastName => (self.name)(value),
        };
        match normalized.is_empty() {
            true => String::new(),
            false => self.hash.apply(&normalized),
        }
    }
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
