//! Suppression lists: emails and phones that no export may contain (unsubscribed, bounced,
//! complained), read from files and normalized exactly as `merge` normalizes identifiers, so
//! `Ivan.Petrov@Gmail.com` in the list suppresses `ivanpetrov@gmail.com` in a profile and
//! `8 916 123-45-67` suppresses `+79161234567`.
//!
//! A file is read as text: every cell (split on newlines, `,`, `;` and tabs, quotes trimmed)
//! that normalizes to an email or a phone is suppressed; other cells (a header, a status, a
//! date) are skipped and counted. When the first line has a status column (`status`, `state`,
//! `subscription`, `статус`), only the rows whose status says the contact must not be written
//! to (`unsubscribed`, `bounced`, `complained`, `spam`, `blocked`, `opted out`, `отписан`, ...)
//! count: an email platform's whole export can be given as it is.

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
            let text = text.trim_start_matches('\u{feff}');
            let status = text.lines().next().and_then(status_column);
            for (i, line) in text.lines().enumerate() {
                let cells: Vec<&str> = line
                    .split([',', ';', '\t'])
                    .map(|c| c.trim().trim_matches('"').trim())
                    .collect();
                if let Some(column) = status {
                    let suppressed = cells.get(column).is_some_and(|c| is_suppressed_status(c));
                    if i == 0 || !suppressed {
                        continue;
                    }
                }
                suppression.add(cells.into_iter(), normalizers, regions);
            }
        }
        Ok(suppression)
    }

    fn add<'a>(
        &mut self,
        cells: impl Iterator<Item = &'a str>,
        normalizers: &Normalizers,
        regions: &[String],
    ) {
        for cell in cells.filter(|c| !c.is_empty()) {
            match canonical(cell, normalizers, regions) {
                Some(value) => {
                    self.values.insert(value);
                }
                None => self.skipped += 1,
            }
        }
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

/// The index of a status column in a header line, if it has one.
fn status_column(header: &str) -> Option<usize> {
    header
        .split([',', ';', '\t'])
        .map(|c| c.trim().trim_matches('"').trim().to_lowercase())
        .position(|c| matches!(c.as_str(), "status" | "state" | "subscription" | "статус"))
}

/// Statuses that mean "do not write to this contact".
fn is_suppressed_status(status: &str) -> bool {
    const WORDS: [&str; 10] = [
        "unsub",
        "bounce",
        "complain",
        "spam",
        "block",
        "opt",
        "отпис",
        "отказ",
        "жалоб",
        "недостав",
    ];
    let status = status.to_lowercase();
    WORDS.iter().any(|w| status.contains(w))
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
    fn only_rows_with_a_do_not_contact_status_count_when_the_file_has_statuses() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("email_list.csv");
        std::fs::write(
            &path,
            "\u{feff}id;email;status\n1;a@mail.ru;active\n2;b@mail.ru;unsubscribed\n3;c@mail.ru;Bounced\n",
        )
        .unwrap();
        let normalizers = Normalizers::new(&Settings::default()).unwrap();
        let s = Suppression::read(&[&path], &normalizers, &[]).unwrap();
        assert!(!s.contains("a@mail.ru") && s.contains("b@mail.ru") && s.contains("c@mail.ru"));
        assert_eq!((s.len(), s.skipped), (2, 4));
    }

    #[test]
    fn suppressed_values_are_normalized_like_the_merge() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("unsubscribed.csv");
        std::fs::write(
            &path,
            "email;reason\n\"Ivan.Petrov+news@GoogleMail.com\";unsubscribed\n8 916 123-45-67;bounced\n",
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
