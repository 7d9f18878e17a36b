//! Pipes and devices as inputs (issue 16): `/dev/stdin`, a named pipe, `<(zcat shop.csv.gz)`.
//!
//! omni opens each input twice: its first rows to detect the column roles, then every row. A
//! pipe can be read only once: opened again, a named pipe blocks until a new writer comes (for
//! ever, in a cron job), and `/dev/stdin` or `/dev/fd/63` give what is left, which is nothing.
//! So an input that is not a regular file is copied once, whole, into a temporary file (in
//! `TMPDIR`, readable by the owner only, as it holds customer data), read from there under the
//! name the user gave, and removed when the run ends. Regular files are never copied.
//! What this does not do: bound the copy (a pipe that never ends, or `/dev/zero`, fills the
//! temporary folder as it would fill memory if kept there).

use std::fs::{File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::Context;

/// A temporary copy of a pipe or device input, removed on drop.
#[derive(Debug)]
pub struct Spool {
    path: PathBuf,
}

impl Spool {
    /// Copies `input` into a temporary file when it is a pipe, socket or device (see the module
    /// doc); `None` for a regular file (or a path that is not there: opening it says so).
    pub fn of_stream(input: &Path) -> anyhow::Result<Option<Spool>> {
        if !is_stream(input) {
            return Ok(None);
        }
        let mut source =
            File::open(input).with_context(|| format!("{}: cannot open", input.display()))?;
        let (spool, mut file) = Spool::create()?;
        io::copy(&mut source, &mut file).with_context(|| {
            format!(
                "{}: cannot copy the pipe's data to {} (omni reads a pipe once into a \
                 temporary file; set TMPDIR to a folder with room)",
                input.display(),
                spool.path.display()
            )
        })?;
        Ok(Some(spool))
    }

    /// The temporary copy's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A new, empty temporary file with a name no other run uses.
    fn create() -> anyhow::Result<(Spool, File)> {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let dir = std::env::temp_dir();
        let name = format!(
            "omni-input-{}-{}.tmp",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let path = dir.join(name);
        let mut options = OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let file = options
            .open(&path)
            .with_context(|| format!("{}: cannot create a temporary file", path.display()))?;
        Ok((Spool { path }, file))
    }
}

impl Drop for Spool {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// True for a path (symlinks followed) that is a pipe, a socket or a device: something that
/// can be read only once.
pub fn is_stream(path: &Path) -> bool {
    let Ok(meta) = std::fs::metadata(path) else {
        return false;
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        let kind = meta.file_type();
        kind.is_fifo() || kind.is_socket() || kind.is_char_device() || kind.is_block_device()
    }
    #[cfg(not(unix))]
    {
        !meta.is_file() && !meta.is_dir()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regular_files_are_not_copied() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.csv");
        std::fs::write(&path, "email\na@example.com\n").unwrap();
        assert!(!is_stream(&path));
        assert!(Spool::of_stream(&path).unwrap().is_none());
        assert!(
            Spool::of_stream(&dir.path().join("missing.csv"))
                .unwrap()
                .is_none()
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_named_pipe_is_copied_once_and_the_copy_removed_on_drop() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("pipe.csv");
        let status = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(status.success());
        assert!(is_stream(&fifo));
        let writer = {
            let fifo = fifo.clone();
            std::thread::spawn(move || std::fs::write(fifo, "email\na@example.com\n").unwrap())
        };
        let spool = Spool::of_stream(&fifo).unwrap().expect("a pipe is spooled");
        writer.join().unwrap();
        let copy = spool.path().to_path_buf();
        assert_eq!(
            std::fs::read_to_string(&copy).unwrap(),
            "email\na@example.com\n"
        );
        let mode = std::os::unix::fs::PermissionsExt::mode(
            &std::fs::metadata(&copy).unwrap().permissions(),
        );
        assert_eq!(mode & 0o777, 0o600);
        drop(spool);
        assert!(!copy.exists());
    }
}
