//! Writing the run's files into the out dir, atomically.
//!
//! Each file is written to a hidden temporary name in the out dir (same filesystem, so the
//! final `rename` is atomic) and renamed only after every file has been written and flushed.
//! A run that fails or is killed before that leaves the previous outputs untouched; leftover
//! temporary files carry the process id and are removed on the next run. `tables` knows the
//! column layouts; this module knows only about files.

pub mod tables;

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;

/// Write buffers are large: outputs are written in one sequential pass.
const BUFFER_BYTES: usize = 1 << 20;

/// A set of files being written into one out dir, all renamed into place by `commit`.
#[derive(Debug)]
pub struct OutDir {
    dir: PathBuf,
    pending: Vec<(PathBuf, PathBuf)>,
}

impl OutDir {
    /// Creates `dir` if needed, checks it is writable and removes stale temporary files.
    pub fn create(dir: &Path) -> anyhow::Result<OutDir> {
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
        // Fail before the long work, not after it, when the folder is not writable.
        let probe = dir.join(format!(".omni-tmp-{}-probe", std::process::id()));
        File::create(&probe)
            .with_context(|| format!("{}: the output folder is not writable", dir.display()))?;
        let _ = std::fs::remove_file(&probe);
        Ok(OutDir {
            dir: dir.to_path_buf(),
            pending: Vec::new(),
        })
    }

    /// Opens `name` for writing under a temporary name; the returned writer is buffered.
    pub fn file(&mut self, name: &str) -> anyhow::Result<BufWriter<File>> {
        let final_path = self.dir.join(name);
        let temp = self
            .dir
            .join(format!(".omni-tmp-{}-{name}", std::process::id()));
        let file = File::create(&temp).with_context(|| {
            format!("{}: cannot write (is the folder writable?)", temp.display())
        })?;
        self.pending.push((temp, final_path));
        Ok(BufWriter::with_capacity(BUFFER_BYTES, file))
    }

    /// Flushes and syncs a finished writer.
    pub fn finish(writer: BufWriter<File>) -> anyhow::Result<()> {
        let file = writer.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        Ok(())
    }

    /// Renames every written file into place.
    pub fn commit(mut self) -> anyhow::Result<Vec<PathBuf>> {
        let mut done = Vec::new();
        for (temp, final_path) in std::mem::take(&mut self.pending) {
            std::fs::rename(&temp, &final_path)
                .with_context(|| format!("{}: cannot replace", final_path.display()))?;
            done.push(final_path);
        }
        Ok(done)
    }
}

impl Drop for OutDir {
    /// An uncommitted out dir (an error mid-way) removes its temporary files.
    fn drop(&mut self) {
        for (temp, _) in &self.pending {
            let _ = std::fs::remove_file(temp);
        }
    }
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
