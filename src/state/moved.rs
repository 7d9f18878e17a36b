//! `--incremental` and files that moved: saved sources whose file was renamed or deleted, and
//! `--forget-source` to drop a saved source (issue 16).
//!
//! An incremental run keeps the rows of every file the state saved and adds the files given
//! now; a file given again under the same path replaces its saved rows. A renamed file
//! (`mv shop.csv shop_2024.csv`) is a new path, so without a check its rows would count twice.
//! Each saved source therefore keeps a content fingerprint (size plus a hash of the first and
//! last 64 KiB: reading that much costs nothing next to reading the file, and a rename keeps
//! every byte). Before any file is read:
//!
//! - a new file with the fingerprint of a saved source whose path no longer exists is that
//!   source renamed: the run stops (it would count the rows twice) and names the fix,
//!   `--forget-source NAME`, which drops the saved copy so the new file replaces it;
//! - saved sources whose path no longer exists and match no new file were deleted (or
//!   renamed and changed): their rows stay in, as `--incremental` promises, and one warning
//!   per run lists them with the same fix;
//! - `--forget-source NAME` (repeatable; a source name or a path) drops a saved source's rows
//!   from this run and the state saved by it. A name that matches no saved source is an error.
//!
//! A state written before fingerprints were kept has none: renames are then only seen as
//! missing paths.

use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use anyhow::bail;

use super::Snapshot;
use crate::disk::canonical;

/// Bytes hashed at each end of a file.
const END_BYTES: u64 = 64 * 1024;

/// The content fingerprint of a regular file (`size:hash` of its first and last 64 KiB);
/// empty for anything else (a pipe must not be opened an extra time) or on an error.
pub fn content_fingerprint(path: &Path) -> String {
    let Ok(meta) = std::fs::metadata(path) else {
        return String::new();
    };
    if !meta.is_file() {
        return String::new();
    }
    let hash = || -> std::io::Result<u64> {
        let mut file = std::fs::File::open(path)?;
        let mut bytes = Vec::with_capacity(2 * END_BYTES as usize);
        (&mut file).take(END_BYTES).read_to_end(&mut bytes)?;
        let tail = meta.len().saturating_sub(END_BYTES).max(END_BYTES);
        if tail < meta.len() {
            file.seek(SeekFrom::Start(tail))?;
            file.take(END_BYTES).read_to_end(&mut bytes)?;
        }
        Ok(xxhash_rust::xxh3::xxh3_64(&bytes))
    };
    hash().map_or(String::new(), |h| format!("{}:{h:016x}", meta.len()))
}

/// What the check decided for the saved sources.
#[derive(Debug, Default)]
pub struct SavedSourcesCheck {
    /// Saved sources to leave out (`--forget-source`), by index.
    pub forgotten: Vec<bool>,
    /// What to tell the user.
    pub warnings: Vec<String>,
}

/// The new files given now, as the check needs them.
pub struct NewFiles<'a> {
    /// Paths as given.
    pub paths: Vec<&'a Path>,
    /// Canonical paths.
    pub canonical: &'a [String],
    /// Content fingerprints.
    pub fingerprints: &'a [String],
}

/// Checks the saved sources against the disk and the new files (see the module docs).
pub fn check(
    saved: &Snapshot,
    new: &NewFiles,
    forget: &[String],
) -> anyhow::Result<SavedSourcesCheck> {
    let forgotten = forgotten(saved, forget)?;
    let mut warnings = Vec::new();
    let mut missing = Vec::new();
    for (i, source) in saved.extracted.sources.iter().enumerate() {
        let canonical_path = &saved.canonical_paths[i];
        if forgotten[i] {
            warnings.push(format!(
                "{}: saved source '{}' forgotten (--forget-source): its {} rows leave the \
                 profiles and the state",
                source.path.display(),
                source.name,
                source.rows_read
            ));
            continue;
        }
        if new.canonical.contains(canonical_path) || Path::new(canonical_path).exists() {
            continue;
        }
        let fingerprint = saved.content_fingerprints.get(i).filter(|f| !f.is_empty());
        let renamed_to = fingerprint
            .and_then(|f| new.fingerprints.iter().position(|g| g == f))
            .map(|j| new.paths[j]);
        if let Some(new_path) = renamed_to {
            bail!(
                "{}: the same content as the saved source '{}' ({}, which no longer exists): \
                 renamed? Its rows would count twice. Give --forget-source {} to drop the saved \
                 copy (the file given now replaces it), or run once without --incremental",
                new_path.display(),
                source.name,
                source.path.display(),
                source.name
            );
        }
        missing.push(format!("'{}' ({})", source.name, source.path.display()));
    }
    if !missing.is_empty() {
        warnings.push(missing_warning(&missing));
    }
    Ok(SavedSourcesCheck {
        forgotten,
        warnings,
    })
}

/// One line for every saved source whose file is gone (a daily folder may lose many).
fn missing_warning(missing: &[String]) -> String {
    const SHOWN: usize = 5;
    let mut list = missing[..missing.len().min(SHOWN)].join(", ");
    if missing.len() > SHOWN {
        list.push_str(&format!(" and {} more", missing.len() - SHOWN));
    }
    format!(
        "{} source{} saved in the state no longer exist{} at {} path: {list}. --incremental \
         keeps their rows in the profiles; if a file was deleted or renamed, drop its rows \
         with --forget-source NAME (or run once without --incremental)",
        missing.len(),
        if missing.len() == 1 { "" } else { "s" },
        if missing.len() == 1 { "s" } else { "" },
        if missing.len() == 1 { "its" } else { "their" },
    )
}

/// Which saved sources `--forget-source` names (by source name, name before `~n`, path as
/// saved, or canonical path); every argument must name at least one.
fn forgotten(saved: &Snapshot, forget: &[String]) -> anyhow::Result<Vec<bool>> {
    let sources = &saved.extracted.sources;
    let mut forgotten = vec![false; sources.len()];
    for wanted in forget {
        let wanted_canonical = canonical(Path::new(wanted));
        let mut found = false;
        for (i, source) in sources.iter().enumerate() {
            let names = source.name == *wanted
                || saved.base_names.get(i) == Some(wanted)
                || source.path == Path::new(wanted);
            if names || saved.canonical_paths[i] == wanted_canonical {
                forgotten[i] = true;
                found = true;
            }
        }
        if !found {
            let mut names: Vec<&str> = sources.iter().map(|s| s.name.as_str()).collect();
            let more = names.len().saturating_sub(20);
            names.truncate(20);
            bail!(
                "--forget-source {wanted}: no saved source has this name or path; the state \
                 holds: {}{}",
                names.join(", "),
                if more > 0 {
                    format!(" and {more} more")
                } else {
                    String::new()
                }
            );
        }
    }
    Ok(forgotten)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_follow_content_not_names() {
        let dir = tempfile::tempdir().unwrap();
        let big: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
        std::fs::write(dir.path().join("a.csv"), &big).unwrap();
        std::fs::write(dir.path().join("b.csv"), &big).unwrap();
        let mut changed = big.clone();
        *changed.last_mut().unwrap() ^= 1;
        std::fs::write(dir.path().join("c.csv"), &changed).unwrap();
        std::fs::write(dir.path().join("d.csv"), b"email\n").unwrap();
        let f = |name: &str| content_fingerprint(&dir.path().join(name));
        assert_eq!(f("a.csv"), f("b.csv"));
        assert_ne!(f("a.csv"), f("c.csv"), "the tail is hashed");
        assert!(f("d.csv").starts_with("6:"));
        assert_eq!(f("missing.csv"), "");
        assert_eq!(content_fingerprint(dir.path()), "", "not a file");
    }
}
