//! Disk habits shared by the two writers, `output` (the out dir) and `state` (the state
//! folder), so that neither imports the other: making a rename durable, naming a folder by its
//! canonical path, and the test-only crash hook that checks what a run killed midway leaves.

use std::fs::File;
use std::path::Path;

/// Makes a rename durable: fsync the folder that holds it (a no-op where folders cannot be
/// opened, as on Windows).
pub fn sync_dir(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

/// The canonical path of a file or folder as text. One that does not exist yet (a first run's
/// out dir) is its folder's canonical path and its name; the path as given when neither can
/// be resolved.
pub fn canonical(path: &Path) -> String {
    let resolved = std::fs::canonicalize(path).ok().or_else(|| {
        let parent = match path.parent()? {
            p if p.as_os_str().is_empty() => Path::new("."),
            p => p,
        };
        Some(std::fs::canonicalize(parent).ok()?.join(path.file_name()?))
    });
    resolved
        .unwrap_or_else(|| path.to_path_buf())
        .display()
        .to_string()
}

/// Test-only crash hook: when `OMNI_TEST_ABORT_AT` names `point`, the process aborts on the
/// spot (no destructors, like `kill -9`), so tests can check what a run killed there leaves.
/// Compiled only into debug builds (what `cargo test` runs): a release binary ignores the
/// variable, so nobody's environment can crash a production run (issue 16).
#[doc(hidden)]
pub fn test_hook(point: &str) {
    #[cfg(debug_assertions)]
    if std::env::var_os("OMNI_TEST_ABORT_AT").is_some_and(|v| v == point) {
        std::process::abort();
    }
    #[cfg(not(debug_assertions))]
    let _ = point;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_names_a_missing_folder_by_its_parent() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("not-yet");
        let parent = std::fs::canonicalize(dir.path()).unwrap();
        assert_eq!(
            canonical(&missing),
            parent.join("not-yet").display().to_string()
        );
        assert_eq!(canonical(dir.path()), parent.display().to_string());
    }
}
