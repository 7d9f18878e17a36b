//! The lock on a state folder: at most one run per state at a time.
//!
//! `DIR/omni.lock` is locked with the operating system's advisory file lock
//! (`File::try_lock`: `flock` on Unix, `LockFileEx` on Windows). The kernel drops the lock when
//! the process ends in any way, `kill -9` included, so a crashed run never leaves a stale lock
//! behind. The file's text (pid, start time, host) is only there to name the holder in the
//! message a second run prints; it is rewritten by each run that takes the lock.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, Write};
use std::path::Path;

use anyhow::{Context, bail};

/// The lock file's name inside the state folder.
pub const LOCK_FILE: &str = "omni.lock";

/// A held lock; released when dropped (or when the process ends).
#[derive(Debug)]
pub struct StateLock {
    _file: File,
}

/// Creates `dir` if needed and takes its lock, or fails at once naming the run that holds it.
pub fn acquire(dir: &Path) -> anyhow::Result<StateLock> {
    std::fs::create_dir_all(dir)
        .with_context(|| format!("{}: cannot create the state folder", dir.display()))?;
    let path = dir.join(LOCK_FILE);
    // Not truncated on open: the holder's text must survive until we own the lock.
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .with_context(|| format!("{}: cannot open the lock file", path.display()))?;
    match file.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => {
            let mut holder = String::new();
            let _ = file.read_to_string(&mut holder);
            let holder = holder.trim();
            bail!(
                "{}: another omni run is using this state ({}); wait for it to finish. The \
                 lock is released automatically when that process ends",
                dir.display(),
                if holder.is_empty() {
                    "holder unknown".to_owned()
                } else {
                    holder.replace('\n', ", ")
                }
            );
        }
        Err(std::fs::TryLockError::Error(e)) => {
            return Err(e).with_context(|| format!("{}: cannot lock", path.display()));
        }
    }
    let text = format!(
        "pid {}\nstarted {} UTC\nhost {}\n",
        std::process::id(),
        super::now_utc(),
        hostname()
    );
    file.set_len(0)?;
    file.rewind()?;
    file.write_all(text.as_bytes())?;
    file.flush()?;
    Ok(StateLock { _file: file })
}

fn hostname() -> String {
    std::fs::read_to_string("/etc/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .or_else(|| std::env::var("COMPUTERNAME").ok())
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "unknown".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_on_the_same_folder_is_refused_until_the_first_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let first = acquire(dir.path()).unwrap();
        let err = acquire(dir.path()).unwrap_err().to_string();
        assert!(err.contains("another omni run"), "{err}");
        assert!(
            err.contains(&format!("pid {}", std::process::id())),
            "{err}"
        );
        drop(first);
        acquire(dir.path()).unwrap();
    }
}
