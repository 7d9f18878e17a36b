//! One output file, written in large blocks that bypass the page cache where the filesystem
//! allows it.
//!
//! omni writes its tables once, sequentially, and reads none of it back: caching those bytes
//! gains nothing, and copying them into the page cache costs. On the machines measured here
//! (virtual, 2 cores) that copy is most of the kernel's work in the write stage: writing and
//! syncing 1 GiB took 3.26 s (2.90 s of it system time) through the page cache against 0.71 s
//! (0.14 s) with `O_DIRECT`, and at 5M people `copy_folio_from_iter_atomic` was 22% of the write
//! stage's samples. So on Linux [`OutFile`] opens with `O_DIRECT` and writes whole aligned blocks
//! from an aligned buffer; the last partial block (direct writes must be whole blocks) is
//! appended through a second, ordinary handle when the file is finished, and `sync_all` then
//! makes both durable. Where a filesystem refuses `O_DIRECT` (tmpfs on older kernels, some
//! FUSE and network filesystems), at open or at the first write, the file is written the
//! ordinary way: the bytes on disk are the same either way. `OMNI_BUFFERED_WRITES=1` asks for the
//! ordinary way everywhere (a filesystem that takes `O_DIRECT` but is slow with it).

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// Bytes written per direct write: large enough that the disk, not the system call, sets the
/// pace (dd measured the same throughput from 1 MiB up).
const BLOCK_BYTES: usize = 1 << 20;

/// Alignment of the buffer's start and of every direct write's size and offset: a page, which
/// every Linux filesystem's logical block size divides.
const ALIGN: usize = 4096;

/// A file being written; see the module docs. Finish it with [`OutFile::finish`] (through
/// `OutDir::finish`): dropping it unfinished may leave its last block unwritten, which only
/// happens when the run fails and its staging files are discarded anyway.
#[derive(Debug)]
pub struct OutFile {
    file: File,
    path: PathBuf,
    /// `BLOCK_BYTES + ALIGN` bytes; the block used starts at `start`, which is page-aligned.
    buf: Vec<u8>,
    start: usize,
    /// Bytes waiting in the block.
    len: usize,
    /// Whether `file` was opened with `O_DIRECT` and still takes direct writes.
    direct: bool,
}

impl OutFile {
    /// Creates (or truncates) `path` for writing, directly where the filesystem allows.
    pub fn create(path: &Path) -> io::Result<OutFile> {
        let (file, direct) = match open_direct(path) {
            Ok(file) => (file, true),
            Err(_) => (File::create(path)?, false),
        };
        let buf = vec![0u8; BLOCK_BYTES + ALIGN];
        let start = buf.as_ptr().align_offset(ALIGN);
        Ok(OutFile {
            file,
            path: path.to_path_buf(),
            buf,
            start,
            len: 0,
            direct,
        })
    }

    /// Whether the file is still being written past the page cache (for tests).
    pub fn is_direct(&self) -> bool {
        self.direct
    }

    /// Writes the pending bytes, ends direct writing (the last block may be partial) and syncs
    /// the file to disk.
    pub fn finish(mut self) -> io::Result<()> {
        self.flush()?;
        self.file.sync_all()
    }

    /// Writes the full block. Direct writes that the filesystem refuses (`EINVAL`: it accepted
    /// the flag at open but not these writes) switch the file to ordinary writes for good.
    fn write_block(&mut self) -> io::Result<()> {
        debug_assert_eq!(self.len, BLOCK_BYTES);
        let block = &self.buf[self.start..self.start + BLOCK_BYTES];
        if self.direct {
            match self.file.write_all(block) {
                Ok(()) => {
                    self.len = 0;
                    return Ok(());
                }
                Err(e) if e.raw_os_error() == Some(EINVAL) => self.stop_direct()?,
                Err(e) => return Err(e),
            }
        }
        let block = &self.buf[self.start..self.start + BLOCK_BYTES];
        self.file.write_all(block)?;
        self.len = 0;
        Ok(())
    }

    /// Replaces the direct handle with an ordinary one appending at the end of what the direct
    /// writes put in the file (a refused write wrote nothing, so the end is where it was).
    fn stop_direct(&mut self) -> io::Result<()> {
        self.file = OpenOptions::new().append(true).open(&self.path)?;
        self.direct = false;
        Ok(())
    }
}

impl Write for OutFile {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        let mut rest = data;
        while !rest.is_empty() {
            if self.len == BLOCK_BYTES {
                self.write_block()?;
            }
            let take = (BLOCK_BYTES - self.len).min(rest.len());
            let at = self.start + self.len;
            self.buf[at..at + take].copy_from_slice(&rest[..take]);
            self.len += take;
            rest = &rest[take..];
        }
        Ok(data.len())
    }

    /// Writes every pending byte. A partial block cannot be written directly, so after this the
    /// file takes ordinary writes: flush once, at the end (as `finish` does).
    fn flush(&mut self) -> io::Result<()> {
        if self.len == BLOCK_BYTES {
            self.write_block()?;
        }
        if self.len > 0 {
            if self.direct {
                // The whole blocks still go directly; the tail through an ordinary handle.
                let whole = self.len / ALIGN * ALIGN;
                if whole > 0 {
                    let blocks = &self.buf[self.start..self.start + whole];
                    match self.file.write_all(blocks) {
                        Ok(()) => {
                            self.buf
                                .copy_within(self.start + whole..self.start + self.len, self.start);
                            self.len -= whole;
                        }
                        Err(e) if e.raw_os_error() == Some(EINVAL) => {}
                        Err(e) => return Err(e),
                    }
                }
                self.stop_direct()?;
            }
            let tail = &self.buf[self.start..self.start + self.len];
            self.file.write_all(tail)?;
            self.len = 0;
        }
        self.file.flush()
    }
}

#[cfg(target_os = "linux")]
const EINVAL: i32 = libc::EINVAL;
#[cfg(not(target_os = "linux"))]
const EINVAL: i32 = 22;

#[cfg(target_os = "linux")]
fn open_direct(path: &Path) -> io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    if std::env::var_os("OMNI_BUFFERED_WRITES").is_some_and(|v| !v.is_empty() && v != "0") {
        return Err(io::Error::other("OMNI_BUFFERED_WRITES is set"));
    }
    OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .custom_flags(libc::O_DIRECT)
        .open(path)
}

#[cfg(not(target_os = "linux"))]
fn open_direct(_: &Path) -> io::Result<File> {
    Err(io::Error::from(io::ErrorKind::Unsupported))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Bytes no two blocks share, so a misplaced block shows.
    fn pattern(len: usize) -> Vec<u8> {
        (0..len).map(|i| (i * 7 + i / 4093) as u8).collect()
    }

    fn write_in_pieces(path: &Path, data: &[u8], piece: usize) -> bool {
        let mut file = OutFile::create(path).unwrap();
        let direct_at_start = file.is_direct();
        for chunk in data.chunks(piece.max(1)) {
            file.write_all(chunk).unwrap();
        }
        file.finish().unwrap();
        direct_at_start
    }

    #[test]
    fn files_hold_exactly_the_bytes_written_at_every_size() {
        let dir = tempfile::tempdir().unwrap();
        let sizes = [
            0,
            1,
            ALIGN - 1,
            ALIGN,
            ALIGN + 1,
            BLOCK_BYTES - 1,
            BLOCK_BYTES,
            BLOCK_BYTES + 1,
            3 * BLOCK_BYTES + 5 * ALIGN + 17,
        ];
        for (i, &size) in sizes.iter().enumerate() {
            let data = pattern(size);
            for piece in [1000, 65_536, BLOCK_BYTES + 3] {
                let path = dir.path().join(format!("f{i}-{piece}"));
                write_in_pieces(&path, &data, piece);
                assert_eq!(
                    std::fs::read(&path).unwrap(),
                    data,
                    "size {size}, piece {piece}"
                );
            }
        }
    }

    #[test]
    fn a_file_written_again_is_truncated_first() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.csv");
        write_in_pieces(&path, &pattern(2 * BLOCK_BYTES + 9), 4096);
        write_in_pieces(&path, b"short\n", 10);
        assert_eq!(std::fs::read(&path).unwrap(), b"short\n");
    }

    #[test]
    fn a_flush_in_the_middle_keeps_every_byte_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.csv");
        let data = pattern(2 * BLOCK_BYTES + 3 * ALIGN + 11);
        let mut file = OutFile::create(&path).unwrap();
        file.write_all(&data[..ALIGN + 5]).unwrap();
        file.flush().unwrap();
        assert!(!file.is_direct(), "a partial block ends direct writing");
        file.write_all(&data[ALIGN + 5..]).unwrap();
        file.finish().unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), data);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn large_files_are_written_past_the_page_cache_where_the_filesystem_allows() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("d.csv");
        let data = pattern(2 * BLOCK_BYTES + 100);
        let mut file = OutFile::create(&path).unwrap();
        let direct = file.is_direct();
        file.write_all(&data).unwrap();
        // Two whole blocks went out; whichever way they went, the file holds them.
        assert_eq!(file.is_direct(), direct, "whole blocks keep the mode");
        assert_eq!(
            std::fs::metadata(&path).unwrap().len() as usize,
            2 * BLOCK_BYTES
        );
        file.finish().unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), data);
    }
}
