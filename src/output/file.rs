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
//! ordinary way: the bytes on disk are the same either way.
//!
//! A direct write returns only when the disk has the block, so each file has a writer thread
//! that does the writing: the thread formatting rows hands it a full block and goes on filling
//! the other one, and waits only when the disk is a whole block behind.
//!
//! `OMNI_BUFFERED_WRITES=1` asks for the ordinary way everywhere (a filesystem that takes
//! `O_DIRECT` but is slow with it).

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread::JoinHandle;

/// Bytes written per direct write: large enough that the disk, not the system call, sets the
/// pace (dd measured the same throughput from 1 MiB up).
const BLOCK_BYTES: usize = 1 << 20;

/// Alignment of the buffer's start and of every direct write's size and offset: a page, which
/// every Linux filesystem's logical block size divides.
const ALIGN: usize = 4096;

/// A page-aligned buffer of `BLOCK_BYTES`.
#[derive(Debug)]
struct Block {
    /// `BLOCK_BYTES + ALIGN` bytes; the block starts at `start`, which is page-aligned.
    buf: Vec<u8>,
    start: usize,
}

impl Block {
    fn new() -> Block {
        let buf = vec![0u8; BLOCK_BYTES + ALIGN];
        let start = buf.as_ptr().align_offset(ALIGN);
        Block { buf, start }
    }

    fn bytes(&self, len: usize) -> &[u8] {
        &self.buf[self.start..self.start + len]
    }

    fn bytes_mut(&mut self) -> &mut [u8] {
        &mut self.buf[self.start..self.start + BLOCK_BYTES]
    }
}

/// What the formatting side hands the writer thread: a block and how many of its bytes to
/// write, and whether more will follow (`false` on flush: the bytes must reach the file now,
/// even a partial block, which ends direct writing).
#[derive(Debug)]
struct Filled {
    block: Block,
    len: usize,
    whole: bool,
}

/// A file being written; see the module docs. Finish it with [`OutFile::finish`] (through
/// `OutDir::finish`): dropping it unfinished may leave its last block unwritten, which only
/// happens when the run fails and its staging files are discarded anyway.
#[derive(Debug)]
pub struct OutFile {
    /// The block being filled.
    block: Block,
    /// Bytes in it.
    len: usize,
    /// To the writer thread: filled blocks. From it: blocks written, to fill again.
    filled: Option<SyncSender<Filled>>,
    empty: Receiver<Block>,
    /// The writer thread; it gives the file back, or the first error it met.
    writer: Option<JoinHandle<io::Result<File>>>,
    /// Whether the file still takes direct writes (shared with the writer thread).
    direct: Arc<AtomicBool>,
    /// The file's path, named in every error (a full disk must say where: issue 16).
    path: PathBuf,
}

impl OutFile {
    /// Creates (or truncates) `path` for writing, directly where the filesystem allows, and
    /// starts its writer thread.
    pub fn create(path: &Path) -> io::Result<OutFile> {
        let (file, direct) = match open_direct(path) {
            Ok(file) => (file, true),
            Err(_) => (File::create(path)?, false),
        };
        let direct = Arc::new(AtomicBool::new(direct));
        let (filled_tx, filled_rx) = sync_channel::<Filled>(1);
        let (empty_tx, empty_rx) = sync_channel::<Block>(2);
        // The second block: filled while the writer writes the first.
        empty_tx.send(Block::new()).expect("the channel has room");
        let mut writer = Writer {
            file,
            path: path.to_path_buf(),
            direct: Arc::clone(&direct),
        };
        let handle = std::thread::Builder::new()
            .name("omni-writer".into())
            .spawn(move || {
                let mut failed = None;
                for Filled { block, len, whole } in filled_rx {
                    if failed.is_none()
                        && let Err(e) = writer.write(block.bytes(len), whole)
                    {
                        failed = Some(e);
                    }
                    // The formatting side may be gone (it failed): nothing to hand back then.
                    let _ = empty_tx.send(block);
                }
                match failed {
                    Some(e) => Err(e),
                    None => Ok(writer.file),
                }
            })?;
        Ok(OutFile {
            block: Block::new(),
            len: 0,
            filled: Some(filled_tx),
            empty: empty_rx,
            writer: Some(handle),
            direct,
            path: path.to_path_buf(),
        })
    }

    /// `err` with this file's path in front, of the same kind (a broken pipe stays one).
    fn named(&self, err: io::Error) -> io::Error {
        io::Error::new(err.kind(), format!("{}: {err}", self.path.display()))
    }

    /// Whether the file is still being written past the page cache (for tests).
    pub fn is_direct(&self) -> bool {
        self.direct.load(Ordering::Relaxed)
    }

    /// Writes the pending bytes, ends direct writing (the last block may be partial) and syncs
    /// the file to disk.
    pub fn finish(mut self) -> io::Result<()> {
        let result = self
            .hand_over(false)
            .and_then(|()| self.join())
            .and_then(|file| file.sync_all());
        result.map_err(|e| self.named(e))
    }

    /// Hands the block to the writer thread and takes an empty one (waiting for it if the
    /// writer is a block behind).
    fn hand_over(&mut self, whole: bool) -> io::Result<()> {
        let lost = || io::Error::other("the output writer thread stopped");
        let filled = self.filled.as_ref().ok_or_else(lost)?;
        let next = match self.empty.recv() {
            Ok(block) => block,
            Err(_) => return Err(self.join().err().unwrap_or_else(lost)),
        };
        let block = std::mem::replace(&mut self.block, next);
        let len = std::mem::take(&mut self.len);
        if filled.send(Filled { block, len, whole }).is_err() {
            return Err(self.join().err().unwrap_or_else(lost));
        }
        Ok(())
    }

    /// Stops the writer thread once it has written everything handed over.
    fn join(&mut self) -> io::Result<File> {
        drop(self.filled.take());
        match self.writer.take() {
            Some(handle) => handle
                .join()
                .unwrap_or_else(|_| Err(io::Error::other("the output writer thread panicked"))),
            None => Err(io::Error::other("the output writer thread already stopped")),
        }
    }
}

impl Write for OutFile {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.write_blocks(data).map_err(|e| self.named(e))
    }

    /// Has every pending byte written. A partial block cannot be written directly, so after
    /// this the file takes ordinary writes: flush once, at the end (as `finish` does).
    fn flush(&mut self) -> io::Result<()> {
        self.flush_blocks().map_err(|e| self.named(e))
    }
}

impl OutFile {
    fn write_blocks(&mut self, data: &[u8]) -> io::Result<usize> {
        let mut rest = data;
        while !rest.is_empty() {
            if self.len == BLOCK_BYTES {
                self.hand_over(true)?;
            }
            let take = (BLOCK_BYTES - self.len).min(rest.len());
            self.block.bytes_mut()[self.len..self.len + take].copy_from_slice(&rest[..take]);
            self.len += take;
            rest = &rest[take..];
        }
        Ok(data.len())
    }

    fn flush_blocks(&mut self) -> io::Result<()> {
        self.hand_over(false)?;
        // The writer has written the block once it hands back the one handed over before:
        // wait for that, so the bytes are in the file when flush returns.
        let other = self.empty.recv().map_err(|_| {
            self.join()
                .err()
                .unwrap_or_else(|| io::Error::other("the output writer thread stopped"))
        })?;
        let filled = self.filled.as_ref().expect("the writer runs until finish");
        // Hand the free block straight back, empty, so the writer stays one block ahead.
        let _ = filled.send(Filled {
            block: other,
            len: 0,
            whole: false,
        });
        Ok(())
    }
}

/// The writer thread's side: the file and how it is written.
struct Writer {
    file: File,
    path: PathBuf,
    direct: Arc<AtomicBool>,
}

impl Writer {
    /// Writes `bytes`: whole blocks directly while the file takes direct writes; a partial one
    /// (`whole` false) ends direct writing, its aligned part still written directly. Direct
    /// writes the filesystem refuses (`EINVAL`: it accepted the flag at open but not these
    /// writes) switch the file to ordinary writes for good.
    fn write(&mut self, bytes: &[u8], whole: bool) -> io::Result<()> {
        let mut rest = bytes;
        if self.direct.load(Ordering::Relaxed) {
            let aligned = if whole {
                bytes.len()
            } else {
                bytes.len() / ALIGN * ALIGN
            };
            // Written by hand rather than `write_all`: after a short direct write the rest is
            // no longer aligned, and the ordinary handle must take over exactly where it ended.
            let mut done = 0;
            while done < aligned {
                match self.file.write(&bytes[done..aligned]) {
                    Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                    Ok(n) => done += n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) if e.raw_os_error() == Some(EINVAL) => {
                        self.stop_direct()?;
                        break;
                    }
                    Err(e) => return Err(e),
                }
            }
            rest = &bytes[done..];
            if !whole {
                self.stop_direct()?;
            }
        }
        self.file.write_all(rest)
    }

    /// Replaces the direct handle with an ordinary one appending at the end of what the direct
    /// writes put in the file (a refused write wrote nothing, so the end is where the bytes
    /// written so far end).
    fn stop_direct(&mut self) -> io::Result<()> {
        if self.direct.swap(false, Ordering::Relaxed) {
            self.file = OpenOptions::new().append(true).open(&self.path)?;
        }
        Ok(())
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

    // See: #16 (a full disk printed "No space left on device" without a path).
    #[cfg(target_os = "linux")]
    #[test]
    fn issue_16_a_full_disk_names_the_file() {
        let Ok(mut file) = OutFile::create(Path::new("/dev/full")) else {
            return;
        };
        let written = file
            .write_all(&pattern(3 * BLOCK_BYTES))
            .and_then(|()| file.flush());
        let err = match written {
            Err(e) => e,
            Ok(()) => file.finish().unwrap_err(),
        };
        assert_eq!(err.raw_os_error(), None, "rewrapped with the path");
        let text = err.to_string();
        assert!(text.starts_with("/dev/full: "), "{text}");
        assert!(text.contains("No space left on device"), "{text}");
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
        // Two whole blocks were handed over; they do not change how the file is written.
        assert_eq!(file.is_direct(), direct, "whole blocks keep the mode");
        file.finish().unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), data);
    }
}
