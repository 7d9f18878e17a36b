//! Suppression lists: emails and phones that no export may contain (unsubscribed, bounced,
//! complained), read from files and normalized exactly as `merge` normalizes identifiers, so
//! `Ivan.Petrov@Gmail.com` in the list suppresses `ivanpetrov@gmail.com` in a profile and
//! `8 916 123-45-67` suppresses `+79161234567`.
//!
//! A file is read as text: every cell (split on newlines, `,`, `;` and tabs, quotes trimmed)
//! that normalizes to an email or a phone is suppressed; other cells (a header, a status, a
//! date) are skipped and counted.

use std::collections::HashSet;
use std::path::Path;

use anyhow::Context;

use crate::normalize::{Kind, Normalizers};

/// The canonical values never to export.
#[derive(Debug, Default)]
pub struct Suppression {
    values: HashSet<String>,
    /// Cells that were no email or phone.
    pub skipped: u64,
}

impl Suppression {
    /// Reads every file, normalizing phones with the merge's regions (then as international).
    pub fn read(
        files: &[impl AsRef<Path>],
        normalizers: &Normalizers,
        regions: &[String],
    ) -> anyhow::Result<Suppression> {
        let mut suppression = Suppression::default();
        for file in files {
            let path = file.as_ref();
            let bytes =
                std::fs::read(path).with_context(|| format!("{}: cannot read", path.display()))?;
            let text = String::from_utf8_lossy(&bytes);
            for cell in text.split(['\n', '\r', ',', ';', '\t']) {
                let cell = cell.trim().trim_matches('"').trim();
                if cell.is_empty() {
                    continue;
                }
                match canonical(cell, normalizers, regions) {
                    Some(value) => {
                        suppression.values.insert(value);
                    }
                    None => suppression.skipped += 1,
                }
            }
        }
        Ok(suppression)
    }

    /// A list of canonical values as given (tests, callers with their own reading).
    pub fn from_values(values: impl IntoIterator<Item = String>) -> Suppression {
        Suppression {
            values: values.into_iter().collect(),
            skipped: 0,
        }
    }

    /// Distinct suppressed values.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// True when nothing is suppressed.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// Whether a canonical email or phone is suppressed.
    pub fn contains(&self, value: &str) -> bool {
        self.values.contains(value)
    }
}

/// The canonical email or phone a cell stands for, if any.
fn canonical(cell: &str, normalizers: &Normalizers, regions: &[String]) -> Option<String> {
    if cell.contains('@') {
        return normalizers.normalize(Kind::Email, cell, None)?.ok();
    }
    let hints = regions.iter().map(|r| Some(r.as_str())).chain([None]);
    for hint in hints {
        if let Some(Ok(phone)) = normalizers.normalize(Kind::Phone, cell, hint) {
            return Some(phone);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Settings;

    #[test]
    fn suppressed_values_are_normalized_like_the_merge() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("unsubscribed.csv");
        std::fs::write(
            &path,
            "email;status\n\"Ivan.Petrov+news@GoogleMail.com\";unsubscribed\n8 916 123-45-67;bounced\n",
        )
        .unwrap();
        let normalizers = Normalizers::new(&Settings::default()).unwrap();
        let s = Suppression::read(&[&path], &normalizers, &["RU".to_owned()]).unwrap();
        assert!(s.contains("ivanpetrov@gmail.com"), "{s:?}");
        assert!(s.contains("+79161234567"), "{s:?}");
        assert_eq!(s.len(), 2);
        // The header's two cells and the two statuses.
        assert_eq!(s.skipped, 4);
    }
}
