//! Writing the run's files into the out dir, atomically.
//!
//! The whole out dir switches at once. Every file is written into a staging folder next to it
//! (`.<name>.omni-tmp-<pid>`, same filesystem), flushed and synced; `commit` then swaps the
//! staging folder with the out dir in one `renameat2(RENAME_EXCHANGE)` call on Linux, so
//! readers see either the whole previous run or the whole new one, and removes the old files.
//! Where that call is not available (other systems, some filesystems), the out dir is renamed
//! aside to `.<name>.omni-old` and the staging folder renamed into place: two renames, with a
//! window of microseconds in which the out dir does not exist; a run killed inside it is
//! repaired by the next run, which renames the old folder back before doing anything else.
//! A run that fails or is killed before `commit` leaves the previous outputs untouched; stale
//! staging folders of dead runs are removed by the next run.
//!
//! Replacing the folder deletes whatever else is in it, so the swap is used only when the out
//! dir is new or holds nothing but omni's own outputs. Otherwise (say `-o .`) each file is
//! written to a hidden temporary name inside the out dir and renamed over its final name at
//! the end, file by file. `tables` knows the column layouts; this module knows only about files.
//!
//! The staging folder carries the out dir's mode, owner and group from its creation, so the
//! swap keeps them; a mount point (which cannot be renamed) is written file by file, with the
//! previous run's outputs this run did not write removed as the swap would (see `folder`).

pub mod changes;
pub mod contacts;
pub mod escape;
mod file;
mod folder;
pub mod format;
pub mod probabilistic;
pub mod reuse;
pub mod tables;

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;

pub use file::OutFile;

/// The files omni writes into an out dir; a folder holding only these may be replaced whole.
pub const OUTPUT_FILES: &[&str] = &[
    "profiles.csv",
    "links.csv",
    "rejects.csv",
    "edges.csv",
    "refused.csv",
    "contacts.csv",
    "profiles.parquet",
    "links.parquet",
    "rejects.parquet",
    "edges.parquet",
    "refused.parquet",
    "contacts.parquet",
    "report.json",
    "report.html",
    "changes.csv",
    "redirects.csv",
];

/// A set of files being written into one out dir, all put in place by `commit`.
#[derive(Debug)]
pub struct OutDir {
    dir: PathBuf,
    /// The staging folder when the whole out dir is swapped; `None` for file-by-file renames.
    staging: Option<PathBuf>,
    /// The existing out dir's mode, given to the staging folder just before the swap.
    mode: Option<u32>,
    /// File-by-file mode: (temporary, final) paths.
    pending: Vec<(PathBuf, PathBuf)>,
    /// Every file opened so far, in order: what the summary says was written.
    written: Vec<String>,
    /// File-by-file mode on a folder holding only omni's outputs (a mount point): outputs of
    /// an earlier run that this one did not write are removed at commit, as a swap would.
    tidy: bool,
    committed: bool,
}

impl OutDir {
    /// Prepares to write into `dir`: repairs a swap interrupted by a crash, removes what dead
    /// runs left behind and checks that the place is writable, before the long work.
    pub fn create(dir: &Path) -> anyhow::Result<OutDir> {
        let Some((parent, name)) = split(dir) else {
            return OutDir::in_place(dir);
        };
        std::fs::create_dir_all(&parent)
            .with_context(|| format!("{}: cannot create the folder", parent.display()))?;
        let old = parent.join(format!(".{name}.omni-old"));
        if old.exists() {
            if dir.exists() {
                let _ = std::fs::remove_dir_all(&old);
            } else {
                std::fs::rename(&old, dir).with_context(|| {
                    format!("{}: cannot restore the previous outputs", old.display())
                })?;
            }
        }
        remove_dead_staging(&parent, &name);
        // A symlinked out dir stays a symlink: its target is written file by file.
        let symlink = std::fs::symlink_metadata(dir).is_ok_and(|m| m.file_type().is_symlink());
        if symlink || (dir.exists() && !holds_only_outputs(dir)?) {
            return OutDir::in_place(dir);
        }
        // A mount point cannot be renamed: write it file by file (issue 16).
        if dir.exists() && folder::is_mount_point(dir) {
            let mut out = OutDir::in_place(dir)?;
            out.tidy = true;
            return Ok(out);
        }
        let staging = parent.join(format!(".{name}.omni-tmp-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&staging);
        let mode = folder::create_staging(&staging, dir).with_context(|| {
            format!(
                "{}: cannot create the output folder (is {} writable?)",
                dir.display(),
                parent.display()
            )
        })?;
        Ok(OutDir {
            dir: dir.to_path_buf(),
            staging: Some(staging),
            mode,
            pending: Vec::new(),
            written: Vec::new(),
            tidy: false,
            committed: false,
        })
    }

    /// File-by-file mode (see the module docs).
    fn in_place(dir: &Path) -> anyhow::Result<OutDir> {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("{}: cannot create the output folder", dir.display()))?;
        if let Ok(entries) = std::fs::read_dir(dir) {
            for entry in entries.flatten() {
                let name = entry.file_name();
                if name.to_string_lossy().starts_with(".omni-tmp-") {
                    let _ = std::fs::remove_file(entry.path());
                }
            }
        }
        let probe = dir.join(format!(".omni-tmp-{}-probe", std::process::id()));
        std::fs::File::create(&probe)
            .with_context(|| format!("{}: the output folder is not writable", dir.display()))?;
        let _ = std::fs::remove_file(&probe);
        Ok(OutDir {
            dir: dir.to_path_buf(),
            staging: None,
            mode: None,
            pending: Vec::new(),
            written: Vec::new(),
            tidy: false,
            committed: false,
        })
    }

    /// The names of the files opened so far, in the order they were opened.
    pub fn written(&self) -> &[String] {
        &self.written
    }

    /// Opens `name` for writing where it waits for `commit`; the returned writer is buffered
    /// (in large blocks that bypass the page cache where the filesystem allows: see [`OutFile`]).
    pub fn file(&mut self, name: &str) -> anyhow::Result<OutFile> {
        self.written.push(name.to_string());
        let temp = match &self.staging {
            Some(staging) => staging.join(name),
            None => {
                let temp = self.temp_name(name);
                self.pending.push((temp.clone(), self.dir.join(name)));
                temp
            }
        };
        OutFile::create(&temp)
            .with_context(|| format!("{}: cannot write (is the folder writable?)", temp.display()))
    }

    /// Where the file `name`, opened by [`OutDir::file`], waits for `commit` (readable once
    /// finished); `None` for a name not opened.
    pub fn staged(&self, name: &str) -> Option<PathBuf> {
        if !self.written.iter().any(|w| w == name) {
            return None;
        }
        Some(match &self.staging {
            Some(staging) => staging.join(name),
            None => self.temp_name(name),
        })
    }

    /// Forgets the file `name` (a step on the way to another file, `output::format`): it is
    /// removed and not put in place.
    pub fn discard(&mut self, name: &str) -> anyhow::Result<()> {
        let Some(path) = self.staged(name) else {
            return Ok(());
        };
        std::fs::remove_file(&path)
            .with_context(|| format!("{}: cannot remove", path.display()))?;
        self.written.retain(|w| w != name);
        self.pending.retain(|(temp, _)| *temp != path);
        Ok(())
    }

    /// The temporary name of `name` in file-by-file mode.
    fn temp_name(&self, name: &str) -> PathBuf {
        self.dir
            .join(format!(".omni-tmp-{}-{name}", std::process::id()))
    }

    /// Writes what a finished file still holds and syncs it to disk.
    pub fn finish(file: OutFile) -> anyhow::Result<()> {
        file.finish()?;
        Ok(())
    }

    /// Puts every written file in place at once (or file by file, see the module docs).
    pub fn commit(mut self) -> anyhow::Result<()> {
        crate::disk::test_hook("outputs-written");
        match self.staging.clone() {
            Some(staging) => self.swap(&staging)?,
            None => {
                for (temp, final_path) in std::mem::take(&mut self.pending) {
                    std::fs::rename(&temp, &final_path)
                        .with_context(|| format!("{}: cannot replace", final_path.display()))?;
                }
                if self.tidy {
                    folder::remove_stale(&self.dir, &self.written, OUTPUT_FILES);
                }
                crate::disk::sync_dir(&self.dir);
            }
        }
        self.committed = true;
        Ok(())
    }

    fn swap(&self, staging: &Path) -> anyhow::Result<()> {
        self.swap_with(staging, &FolderRenames::SYSTEM)
    }

    /// The swap, with the folder renames given (a seam: tests make them fail as a mount
    /// point does). A folder that cannot be renamed (`EBUSY`, `EXDEV`) gets its files
    /// replaced one by one instead.
    fn swap_with(&self, staging: &Path, renames: &FolderRenames) -> anyhow::Result<()> {
        if let Some(mode) = self.mode {
            folder::set_mode(staging, mode).with_context(|| {
                format!(
                    "{}: cannot give the new outputs the folder's mode",
                    staging.display()
                )
            })?;
        }
        crate::disk::sync_dir(staging);
        let (parent, name) = split(&self.dir).expect("staging is used only for named folders");
        let cannot = || format!("{}: cannot replace the output folder", self.dir.display());
        let by_files = || folder::replace_files(staging, &self.dir, &self.written, OUTPUT_FILES);
        if !self.dir.exists() {
            (renames.rename)(staging, &self.dir).with_context(cannot)?;
        } else {
            match (renames.exchange)(staging, &self.dir) {
                // The staging path now holds the previous outputs.
                Ok(()) => {
                    let _ = std::fs::remove_dir_all(staging);
                }
                Err(e) if folder::cannot_rename_folder(&e) => by_files()?,
                Err(_) => {
                    let old = parent.join(format!(".{name}.omni-old"));
                    match (renames.rename)(&self.dir, &old) {
                        Err(e) if folder::cannot_rename_folder(&e) => return by_files(),
                        moved => moved.with_context(cannot)?,
                    }
                    crate::disk::test_hook("out-moved-aside");
                    (renames.rename)(staging, &self.dir).with_context(cannot)?;
                    let _ = std::fs::remove_dir_all(&old);
                }
            }
        }
        crate::disk::sync_dir(&parent);
        Ok(())
    }
}

/// How the swap renames folders (see [`OutDir::swap_with`]).
struct FolderRenames {
    exchange: fn(&Path, &Path) -> std::io::Result<()>,
    rename: fn(&Path, &Path) -> std::io::Result<()>,
}

impl FolderRenames {
    const SYSTEM: FolderRenames = FolderRenames {
        exchange,
        rename: |from, to| std::fs::rename(from, to),
    };
}

impl Drop for OutDir {
    /// An uncommitted out dir (an error mid-way) removes what it wrote.
    fn drop(&mut self) {
        if self.committed {
            return;
        }
        if let Some(staging) = &self.staging {
            let _ = std::fs::remove_dir_all(staging);
        }
        for (temp, _) in &self.pending {
            let _ = std::fs::remove_file(temp);
        }
    }
}

/// The parent folder and final name of `dir`, when it has a name (not `.`, `..` or `/`).
fn split(dir: &Path) -> Option<(PathBuf, String)> {
    let name = dir.file_name()?.to_str()?.to_owned();
    if name == "." || name == ".." {
        return None;
    }
    let parent = match dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    Some((parent, name))
}

/// True when every entry of `dir` is one of omni's output files (or an old temporary).
fn holds_only_outputs(dir: &Path) -> anyhow::Result<bool> {
    let entries = std::fs::read_dir(dir)
        .with_context(|| format!("{}: cannot read the output folder", dir.display()))?;
    for entry in entries {
        let entry = entry?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let ours = OUTPUT_FILES.contains(&name.as_ref()) || name.starts_with(".omni-tmp-");
        if !ours || !entry.file_type()?.is_file() {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Removes staging folders of runs that are no longer alive (a process id that no longer
/// exists; where that cannot be checked, staging folders are left alone).
fn remove_dead_staging(parent: &Path, name: &str) {
    let prefix = format!(".{name}.omni-tmp-");
    let Ok(entries) = std::fs::read_dir(parent) else {
        return;
    };
    for entry in entries.flatten() {
        let file_name = entry.file_name();
        let Some(pid) = file_name
            .to_string_lossy()
            .strip_prefix(&prefix)
            .map(str::to_owned)
        else {
            continue;
        };
        let alive = Path::new("/proc").join(&pid).exists() || !Path::new("/proc/self").exists();
        if !alive || pid == std::process::id().to_string() {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

/// Atomically exchanges two paths (Linux `renameat2` with `RENAME_EXCHANGE`).
#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> std::io::Result<()> {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
    let c = |p: &Path| {
        CString::new(p.as_os_str().as_bytes())
            .map_err(|_| std::io::Error::from(std::io::ErrorKind::InvalidInput))
    };
    let (a, b) = (c(a)?, c(b)?);
    // SAFETY: both paths are valid NUL-terminated strings that outlive the call; the syscall
    // only reads them. The raw syscall avoids depending on the C library's wrapper (glibc
    // 2.28+ only).
    let rc = unsafe {
        libc::syscall(
            libc::SYS_renameat2,
            libc::AT_FDCWD,
            a.as_ptr(),
            libc::AT_FDCWD,
            b.as_ptr(),
            libc::RENAME_EXCHANGE,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

#[cfg(not(target_os = "linux"))]
fn exchange(_: &Path, _: &Path) -> std::io::Result<()> {
    Err(std::io::Error::from(std::io::ErrorKind::Unsupported))
}

/// Writes `value` as pretty JSON with a trailing newline.
pub fn write_json<T: serde::Serialize>(
    out: &mut OutDir,
    name: &str,
    value: &T,
) -> anyhow::Result<()> {
    let mut writer = out.file(name)?;
    serde_json::to_writer_pretty(&mut writer, value)?;
    writer.write_all(b"\n")?;
    OutDir::finish(writer)
}

/// Writes `text` as a file (UTF-8).
pub fn write_text(out: &mut OutDir, name: &str, text: &str) -> anyhow::Result<()> {
    let mut writer = out.file(name)?;
    writer.write_all(text.as_bytes())?;
    OutDir::finish(writer)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(out: &mut OutDir, name: &str, text: &str) {
        let mut w = out.file(name).unwrap();
        w.write_all(text.as_bytes()).unwrap();
        OutDir::finish(w).unwrap();
    }

    #[test]
    fn an_omni_out_dir_is_replaced_whole() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("out");
        let mut out = OutDir::create(&dir).unwrap();
        write(&mut out, "profiles.csv", "one");
        write(&mut out, "changes.csv", "one");
        assert!(!dir.exists(), "nothing is visible before commit");
        out.commit().unwrap();
        let mut out = OutDir::create(&dir).unwrap();
        write(&mut out, "profiles.csv", "two");
        assert_eq!(
            std::fs::read_to_string(dir.join("profiles.csv")).unwrap(),
            "one"
        );
        out.commit().unwrap();
        assert_eq!(
            std::fs::read_to_string(dir.join("profiles.csv")).unwrap(),
            "two"
        );
        assert!(
            !dir.join("changes.csv").exists(),
            "the old run's files go with it"
        );
        let leftovers: Vec<_> = std::fs::read_dir(tmp.path()).unwrap().collect();
        assert_eq!(
            leftovers.len(),
            1,
            "no staging or old folder is left behind"
        );
    }

    #[test]
    fn written_names_every_file_opened_in_order() {
        let tmp = tempfile::tempdir().unwrap();
        let mut out = OutDir::create(&tmp.path().join("out")).unwrap();
        write(&mut out, "profiles.csv", "one");
        write(&mut out, "changes.csv", "two");
        assert_eq!(out.written(), ["profiles.csv", "changes.csv"]);
        out.commit().unwrap();
    }

    #[test]
    fn a_folder_with_other_files_is_written_file_by_file() {
        // people.parquet: a Parquet file omni does not write, so it is the user's.
        for other in ["notes.txt", "people.parquet"] {
            let tmp = tempfile::tempdir().unwrap();
            std::fs::write(tmp.path().join(other), "mine").unwrap();
            let mut out = OutDir::create(tmp.path()).unwrap();
            write(&mut out, "profiles.csv", "one");
            out.commit().unwrap();
            assert_eq!(
                std::fs::read_to_string(tmp.path().join(other)).unwrap(),
                "mine"
            );
            assert!(tmp.path().join("profiles.csv").exists());
        }
    }

    #[test]
    fn an_uncommitted_run_leaves_the_previous_outputs() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("out");
        let mut out = OutDir::create(&dir).unwrap();
        write(&mut out, "profiles.csv", "one");
        out.commit().unwrap();
        let mut out = OutDir::create(&dir).unwrap();
        write(&mut out, "profiles.csv", "two");
        drop(out);
        assert_eq!(
            std::fs::read_to_string(dir.join("profiles.csv")).unwrap(),
            "one"
        );
        assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 1);
    }

    #[test]
    fn a_swap_interrupted_between_its_renames_is_repaired() {
        let tmp = tempfile::tempdir().unwrap();
        let old = tmp.path().join(".out.omni-old");
        std::fs::create_dir(&old).unwrap();
        std::fs::write(old.join("profiles.csv"), "one").unwrap();
        let out = OutDir::create(&tmp.path().join("out")).unwrap();
        drop(out);
        let dir = tmp.path().join("out");
        assert_eq!(
            std::fs::read_to_string(dir.join("profiles.csv")).unwrap(),
            "one"
        );
    }

    fn busy(_: &Path, _: &Path) -> std::io::Result<()> {
        Err(std::io::Error::from_raw_os_error(16))
    }

    fn cross_device(_: &Path, _: &Path) -> std::io::Result<()> {
        Err(std::io::Error::from_raw_os_error(18))
    }

    // See: #16 (an out dir that is a mount point always failed with EBUSY).
    #[test]
    fn issue_16_a_folder_that_cannot_be_renamed_is_replaced_file_by_file() {
        let seams = [
            FolderRenames {
                exchange: busy,
                rename: busy,
            },
            FolderRenames {
                exchange: cross_device,
                rename: cross_device,
            },
            FolderRenames {
                exchange: |_, _| Err(std::io::ErrorKind::Unsupported.into()),
                rename: busy,
            },
        ];
        for renames in seams {
            let tmp = tempfile::tempdir().unwrap();
            let dir = tmp.path().join("out");
            let mut out = OutDir::create(&dir).unwrap();
            write(&mut out, "profiles.csv", "one");
            write(&mut out, "changes.csv", "one");
            out.commit().unwrap();
            let mut out = OutDir::create(&dir).unwrap();
            write(&mut out, "profiles.csv", "two");
            let staging = out.staging.clone().unwrap();
            out.swap_with(&staging, &renames).unwrap();
            out.committed = true;
            assert_eq!(
                std::fs::read_to_string(dir.join("profiles.csv")).unwrap(),
                "two"
            );
            assert!(!dir.join("changes.csv").exists(), "as the swap would");
            let names: Vec<_> = std::fs::read_dir(tmp.path()).unwrap().collect();
            assert_eq!(names.len(), 1, "the staging folder is gone");
            assert_eq!(
                std::fs::read_dir(&dir).unwrap().count(),
                1,
                "no temporaries"
            );
        }
    }

    // See: #16 (every run reset the out dir's mode to 755).
    #[cfg(unix)]
    #[test]
    fn issue_16_the_out_dir_keeps_its_mode_across_swaps() {
        use std::os::unix::fs::PermissionsExt;
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("out");
        std::fs::create_dir(&dir).unwrap();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).unwrap();
        for round in ["one", "two"] {
            let mut out = OutDir::create(&dir).unwrap();
            write(&mut out, "profiles.csv", round);
            out.commit().unwrap();
            let mode = std::fs::metadata(&dir).unwrap().permissions().mode() & 0o7777;
            assert_eq!(mode, 0o700, "after run {round}");
        }
    }
}
