//! The out dir as a folder: who owns it, whether it is a mount point, and the file-by-file
//! replacement used when the folder itself cannot be swapped (issue 16).
//!
//! The swap replaces the out dir with a staging folder, so the staging folder must already
//! carry the out dir's mode, owner and group: otherwise a `700` or group-restricted folder of
//! customer data becomes a `755` folder of the runner after every run. [`create_staging`]
//! creates it closed (`700`) with the owner and group before any file is written into it, and
//! `OutDir` gives it the out dir's mode just before the swap: there is no moment when the data
//! sits in a more open folder than before.
//! A new out dir gets the umask, like any folder a program creates.
//!
//! A mount point (a Docker or Kubernetes volume, NFS) cannot be renamed (`EBUSY`), nor can a
//! folder be renamed onto another filesystem (`EXDEV`). [`is_mount_point`] lets `OutDir`
//! write such a folder file by file from the start (temporaries inside it, so on its own
//! filesystem); [`replace_files`] is the same replacement for a swap that fails that way at
//! the end (a mount the check did not see).

use std::io;
use std::path::{Path, PathBuf};

use anyhow::Context;

/// Creates the staging folder for `dir`. When `dir` exists, the staging folder gets its owner
/// and group (as far as the runner may give them) and stays closed (`700`, plus `dir`'s setgid
/// bit so files inherit the group) while the files are written; the returned mode is `dir`'s,
/// for [`set_mode`] just before the swap (a read-only `500` out dir must still take the files).
/// A new out dir gets the umask and `None`.
pub fn create_staging(staging: &Path, dir: &Path) -> io::Result<Option<u32>> {
    let Ok(existing) = std::fs::metadata(dir) else {
        std::fs::create_dir(staging)?;
        return Ok(None);
    };
    create_closed(staging)?;
    give_owner(staging, &existing);
    let mode = mode_of(&existing);
    set_mode(staging, 0o700 | (mode & 0o2000))?;
    Ok(Some(mode))
}

#[cfg(unix)]
fn create_closed(path: &Path) -> io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new().mode(0o700).create(path)
}

#[cfg(not(unix))]
fn create_closed(path: &Path) -> io::Result<()> {
    std::fs::create_dir(path)
}

/// Gives `path` the owner and group of `like`. A runner that may not give the owner (not root)
/// still gives the group when it is one of its groups; neither failure is an error (the folder
/// is then the runner's, as any file it writes).
#[cfg(unix)]
fn give_owner(path: &Path, like: &std::fs::Metadata) {
    use std::os::unix::fs::MetadataExt;
    if std::os::unix::fs::chown(path, Some(like.uid()), Some(like.gid())).is_err() {
        let _ = std::os::unix::fs::chown(path, None, Some(like.gid()));
    }
}

#[cfg(not(unix))]
fn give_owner(_: &Path, _: &std::fs::Metadata) {}

#[cfg(unix)]
fn mode_of(meta: &std::fs::Metadata) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    meta.permissions().mode() & 0o7777
}

#[cfg(not(unix))]
fn mode_of(meta: &std::fs::Metadata) -> u32 {
    if meta.permissions().readonly() {
        0o555
    } else {
        0o755
    }
}

/// Sets the permission bits of `path` (set-id and sticky bits included). Done after `chown`,
/// which clears the set-id bits.
#[cfg(unix)]
pub fn set_mode(path: &Path, mode: u32) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
pub fn set_mode(path: &Path, mode: u32) -> io::Result<()> {
    let mut permissions = std::fs::metadata(path)?.permissions();
    permissions.set_readonly(mode & 0o200 == 0);
    std::fs::set_permissions(path, permissions)
}

/// Whether `dir` is a mount point: on another device than its parent, or listed in
/// `/proc/self/mountinfo` (a bind mount of the same filesystem has the same device).
pub fn is_mount_point(dir: &Path) -> bool {
    let Ok(resolved) = std::fs::canonicalize(dir) else {
        return false;
    };
    let Some(parent) = resolved.parent() else {
        return false;
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if let (Ok(a), Ok(b)) = (std::fs::metadata(&resolved), std::fs::metadata(parent))
            && a.dev() != b.dev()
        {
            return true;
        }
    }
    std::fs::read_to_string("/proc/self/mountinfo")
        .is_ok_and(|table| listed_in_mountinfo(&table, &resolved))
}

/// Whether `path` is the mount point (fifth field) of a line of `/proc/self/mountinfo`, where
/// spaces, tabs, newlines and backslashes are written as octal escapes (`\040`).
fn listed_in_mountinfo(table: &str, path: &Path) -> bool {
    let wanted = path.to_string_lossy();
    table
        .lines()
        .filter_map(|line| line.split(' ').nth(4))
        .any(|field| unescape_octal(field) == wanted)
}

fn unescape_octal(field: &str) -> String {
    let bytes = field.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let octal = bytes
            .get(i + 1..i + 4)
            .filter(|d| d.iter().all(u8::is_ascii_digit));
        match (bytes[i], octal) {
            (b'\\', Some(d)) => {
                out.push((d[0] - b'0') * 64 + (d[1] - b'0') * 8 + (d[2] - b'0'));
                i += 4;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Whether a failed rename of the out dir means "this folder cannot be renamed" (a mount
/// point, or another filesystem) rather than a real failure.
pub fn cannot_rename_folder(err: &io::Error) -> bool {
    #[cfg(target_os = "linux")]
    {
        matches!(err.raw_os_error(), Some(libc::EBUSY | libc::EXDEV))
    }
    #[cfg(not(target_os = "linux"))]
    {
        matches!(err.raw_os_error(), Some(16 | 18))
    }
}

/// Puts the files of `staging` into `dir` one by one: each is copied to a temporary name
/// inside `dir` (its own filesystem) and synced, then all are renamed over their final names;
/// omni output files of an earlier run that this run did not write (`stale`) are removed, as
/// the swap would have removed them. `staging` is removed at the end.
pub fn replace_files(
    staging: &Path,
    dir: &Path,
    names: &[String],
    stale: &[&str],
) -> anyhow::Result<()> {
    let mut placed: Vec<(PathBuf, PathBuf)> = Vec::with_capacity(names.len());
    for name in names {
        let temp = dir.join(format!(".omni-tmp-{}-{name}", std::process::id()));
        let copied = std::fs::copy(staging.join(name), &temp)
            .and_then(|_| std::fs::File::open(&temp)?.sync_all());
        if let Err(e) = copied {
            for (temp, _) in &placed {
                let _ = std::fs::remove_file(temp);
            }
            let _ = std::fs::remove_file(&temp);
            return Err(e).with_context(|| format!("{}: cannot write", temp.display()));
        }
        placed.push((temp, dir.join(name)));
    }
    for (temp, final_path) in &placed {
        std::fs::rename(temp, final_path)
            .with_context(|| format!("{}: cannot replace", final_path.display()))?;
    }
    remove_stale(dir, names, stale);
    crate::disk::sync_dir(dir);
    let _ = std::fs::remove_dir_all(staging);
    Ok(())
}

/// Removes the files of `stale` in `dir` that are not among `written`.
pub fn remove_stale(dir: &Path, written: &[String], stale: &[&str]) {
    for name in stale.iter().filter(|n| !written.iter().any(|w| w == *n)) {
        let _ = std::fs::remove_file(dir.join(name));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mountinfo_escapes_are_read() {
        let table = "36 35 98:0 / /mnt/my\\040data rw,noatime master:1 - ext3 /dev/root rw\n\
                     37 35 98:0 / /srv rw - ext3 /dev/root rw\n";
        assert!(listed_in_mountinfo(table, Path::new("/mnt/my data")));
        assert!(listed_in_mountinfo(table, Path::new("/srv")));
        assert!(!listed_in_mountinfo(table, Path::new("/mnt")));
    }

    #[test]
    fn a_plain_folder_is_not_a_mount_point() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::create_dir(tmp.path().join("out")).unwrap();
        assert!(!is_mount_point(&tmp.path().join("out")));
    }

    #[cfg(unix)]
    #[test]
    fn staging_stays_closed_and_hands_back_the_mode_of_the_out_dir() {
        use std::os::unix::fs::PermissionsExt;
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("out");
        std::fs::create_dir(&dir).unwrap();
        for (mode, closed) in [
            (0o700, 0o700),
            (0o755, 0o700),
            (0o2770, 0o2700),
            (0o500, 0o700),
        ] {
            std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(mode)).unwrap();
            let staging = tmp.path().join(format!("staging-{mode:o}"));
            assert_eq!(create_staging(&staging, &dir).unwrap(), Some(mode));
            let got = std::fs::metadata(&staging).unwrap().permissions().mode() & 0o7777;
            assert_eq!(got, closed, "{mode:o}");
        }
        let new = tmp.path().join("new-staging");
        assert_eq!(
            create_staging(&new, &tmp.path().join("absent")).unwrap(),
            None
        );
    }
}
