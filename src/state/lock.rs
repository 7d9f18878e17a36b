//! The lock on a state folder: at most one run per state at a time.
//!
//! `DIR/omni.lock` is locked with the operating system's advisory file lock
//! (`File::try_lock`: `flock` on Unix, `LockFileEx` on Windows). The kernel drops the lock when
//! the process ends in any way, `kill -9` included, so a crashed run never leaves a stale lock
//! behind. The file's text (pid, start time, host) is only there to name the holder in the
//! message a second run prints; it is rewritten by each run that takes the lock. Its last line,
//! `saved run N at TIME`, is kept from run to run: it tells a later run that this folder held
//! a state, so a `state.omni` deleted since is noticed (issue 16) instead of starting a new
//! history in silence.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, Write};
use std::path::Path;

use anyhow::{Context, bail};

/// The lock file's name inside the state folder.
pub const LOCK_FILE: &str = "omni.lock";

/// A held lock; released when dropped (or when the process ends).
#[derive(Debug)]
pub struct StateLock {
    file: File,
    /// The holder's lines written at `acquire`.
    holder: String,
    /// `saved run N at TIME`: the last run that saved a state in this folder, if any did.
    saved: Option<String>,
}

/// How the lock file's line about the last saved state starts.
const SAVED_PREFIX: &str = "saved run ";

impl StateLock {
    /// The last state saved in this folder (`saved run N at TIME`), as the lock file recorded.
    pub fn saved_before(&self) -> Option<&str> {
        self.saved.as_deref()
    }

    /// Records that this run saved run `run`'s state (call after the state file is in place).
    pub fn record_saved(&mut self, run: u32) -> anyhow::Result<()> {
        self.saved = Some(format!("{SAVED_PREFIX}{run} at {} UTC", super::now_utc()));
        self.write_text()
    }

    fn write_text(&mut self) -> anyhow::Result<()> {
        let mut text = self.holder.clone();
        if let Some(saved) = &self.saved {
            text.push_str(saved);
            text.push('\n');
        }
        self.file.set_len(0)?;
        self.file.rewind()?;
        self.file.write_all(text.as_bytes())?;
        self.file.flush()?;
        Ok(())
    }
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
    let mut previous = String::new();
    let _ = file.read_to_string(&mut previous);
    let saved = previous
        .lines()
        .find(|line| line.starts_with(SAVED_PREFIX))
        .map(str::to_owned);
    let holder = format!(
        "pid {}\nstarted {} UTC\nhost {}\n",
        std::process::id(),
        super::now_utc(),
        hostname()
    );
    let mut lock = StateLock {
        file,
        holder,
        saved,
    };
    lock.write_text()?;
    Ok(lock)
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

    #[test]
    fn the_last_saved_run_is_kept_from_lock_to_lock() {
        let dir = tempfile::tempdir().unwrap();
        let mut first = acquire(dir.path()).unwrap();
        assert_eq!(first.saved_before(), None);
        first.record_saved(7).unwrap();
        drop(first);
        // A run that saves nothing (it failed) keeps the line for the next one.
        let second = acquire(dir.path()).unwrap();
        assert!(
            second
                .saved_before()
                .unwrap()
                .starts_with("saved run 7 at ")
        );
        drop(second);
        let third = acquire(dir.path()).unwrap();
        assert!(third.saved_before().unwrap().starts_with("saved run 7 at "));
        let text = std::fs::read_to_string(dir.path().join(LOCK_FILE)).unwrap();
        assert!(text.starts_with("pid "), "{text}");
    }
}
