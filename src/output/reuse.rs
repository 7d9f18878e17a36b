//! Rows of the previous run's tables that an incremental run copies instead of formatting.
//!
//! New records change only the *raw components* they fall into (records joined by any shared
//! identifier, guards ignored): every guard decision, spanning tree, profile and id of another
//! raw component is the one the previous run made (docs/state.md, "Incremental runs"). Their
//! rows in `profiles.csv`, `edges.csv` and `links.csv` are therefore byte for byte the previous
//! run's rows, and those are still in the out dir. So every run with `--state` stamps the tables
//! it writes (size and xxh3 hash, [`TableStamp`]) into the state; an incremental run writing to
//! the same out dir reads the tables back, checks the stamps, maps every untouched profile and
//! record to its old row and copies it. Everything else is formatted as usual.
//!
//! Any doubt means formatting every row: another out dir, a table edited, missing or of another
//! size, a saved file given again (its old records are gone, so raw components changed), a saved
//! source renamed (its name is in the rows). Takes the combined run and the previous stamps;
//! gives [`Reuse`], which `tables` consults row by row.

use std::io::{self, Write};
use std::path::Path;

use xxhash_rust::xxh3::{Xxh3, xxh3_64};

use crate::extract::Records;
use crate::graph::NONE;
use crate::profile::Profiles;

/// The tables whose rows can be carried, as named in the out dir.
pub const REUSABLE: [&str; 3] = ["profiles.csv", "edges.csv", "links.csv"];

/// A table as written, for the next run to recognise it.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TableStamp {
    /// File name in the out dir.
    pub name: String,
    /// Size in bytes.
    pub bytes: u64,
    /// xxh3-64 of the whole file, 16 hex digits.
    pub xxh3: String,
}

/// The tables a run wrote, and the out dir they were committed to.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct WrittenTables {
    /// The out dir's canonical path.
    pub dir: String,
    /// One stamp per reusable table.
    pub tables: Vec<TableStamp>,
}

/// A writer that counts and hashes what passes through it (cheap: xxh3 runs at memory speed,
/// and the table writers hand it a megabyte at a time).
pub struct Stamped<W: Write> {
    inner: W,
    hasher: Xxh3,
    bytes: u64,
}

impl<W: Write> Stamped<W> {
    /// Wraps `inner`.
    pub fn new(inner: W) -> Self {
        Stamped {
            inner,
            hasher: Xxh3::new(),
            bytes: 0,
        }
    }

    /// The inner writer and the stamp of everything written, named `name`.
    pub fn finish(self, name: &str) -> (W, TableStamp) {
        let stamp = TableStamp {
            name: name.to_owned(),
            bytes: self.bytes,
            xxh3: format!("{:016x}", self.hasher.digest()),
        };
        (self.inner, stamp)
    }
}

impl<W: Write> Write for Stamped<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// A previous table read back whole, cut into rows.
#[derive(Debug)]
pub struct OldTable {
    bytes: Vec<u8>,
    /// Start of every row (the header is row 0), then the end of the file.
    starts: Vec<usize>,
}

impl OldTable {
    /// Reads `dir/stamp.name`; `None` unless its size and hash match the stamp and it is whole
    /// rows of CSV.
    pub fn read(dir: &Path, stamp: &TableStamp) -> Option<OldTable> {
        let bytes = std::fs::read(dir.join(&stamp.name)).ok()?;
        if bytes.len() as u64 != stamp.bytes || format!("{:016x}", xxh3_64(&bytes)) != stamp.xxh3 {
            return None;
        }
        OldTable::parse(bytes)
    }

    /// Cuts `bytes` into rows: a `\n` outside quotes ends a row (omni's tables quote a field
    /// holding a line break, and double the quotes inside, so toggling on every quote tracks
    /// whether the scan is inside a field). `None` when the last row is not ended.
    fn parse(bytes: Vec<u8>) -> Option<OldTable> {
        let mut starts = vec![0];
        let mut quoted = false;
        for at in memchr::memchr2_iter(b'"', b'\n', &bytes) {
            if bytes[at] == b'"' {
                quoted = !quoted;
            } else if !quoted {
                starts.push(at + 1);
            }
        }
        (*starts.last().expect("starts with 0") == bytes.len() && !quoted)
            .then_some(OldTable { bytes, starts })
    }

    /// Data rows (the header left out).
    fn rows(&self) -> usize {
        self.starts.len().saturating_sub(2)
    }

    /// Data row `i` (0-based, after the header), with its line end.
    fn row(&self, i: u32) -> &[u8] {
        let i = i as usize + 1;
        &self.bytes[self.starts[i]..self.starts[i + 1]]
    }

    /// The profile id at the start of data row `i`, as its 17 bytes of text (`None` past the
    /// last row).
    fn id_text(&self, i: u32) -> Option<&[u8]> {
        if i as usize >= self.rows() {
            return None;
        }
        let row = self.row(i);
        (row.len() > 17 && row[0] == b'P' && matches!(row[17], b',' | b'\n')).then(|| &row[..17])
    }
}

/// A previous table and, per item of this run (profile or record), its old row or `NONE`.
#[derive(Debug)]
pub struct CopiedTable {
    old: OldTable,
    map: Vec<u32>,
}

impl CopiedTable {
    /// The old row of item `i` (with its line end), when it is copied.
    pub fn row(&self, i: usize) -> Option<&[u8]> {
        let row = self.map[i];
        (row != NONE).then(|| self.old.row(row))
    }

    /// The old rows of item `i` when it is copied: its first row and those after it that start
    /// with the same profile id (a tree of `edges.csv`), as one slice.
    pub fn rows_with_id(&self, i: usize) -> Option<&[u8]> {
        let first = self.map[i];
        let id = (first != NONE).then(|| self.old.id_text(first)).flatten()?;
        let mut end = first + 1;
        while self.old.id_text(end) == Some(id) {
            end += 1;
        }
        let starts = &self.old.starts;
        Some(&self.old.bytes[starts[first as usize + 1]..starts[end as usize + 1]])
    }

    /// Items copied, and items in all.
    fn count(&self) -> (u64, u64) {
        let copied = self.map.iter().filter(|&&row| row != NONE).count();
        (copied as u64, self.map.len() as u64)
    }
}

/// For each previous table that is intact, which of this run's rows it already holds.
#[derive(Debug, Default)]
pub struct Reuse {
    /// `profiles.csv`, per profile.
    pub profiles: Option<CopiedTable>,
    /// `edges.csv`, per profile (the first row of its tree).
    pub edges: Option<CopiedTable>,
    /// `links.csv`, per record.
    pub links: Option<CopiedTable>,
}

impl Reuse {
    /// Profiles whose rows are copied, and all profiles; records whose `links.csv` row is
    /// copied, and all records (zeros for a table that is not copied from).
    pub fn counts(&self) -> [(u64, u64); 2] {
        let count = |table: Option<&CopiedTable>| table.map_or((0, 0), CopiedTable::count);
        [
            count(self.profiles.as_ref().or(self.edges.as_ref())),
            count(self.links.as_ref()),
        ]
    }
}

/// What an incremental run knows about where its records come from.
#[derive(Debug, Default)]
pub struct SavedSources {
    /// For each source of the combined run: whether its records are saved ones (else new).
    pub saved_source: Vec<bool>,
    /// True when every saved source is still there under its old name and in its old order.
    pub saved_sources_intact: bool,
}

/// The previous run's tables, being read and checked on a thread of their own while the run
/// goes on (reading half a gigabyte and cutting it into rows needs nothing else of the run).
#[derive(Debug)]
pub struct Pending(std::thread::JoinHandle<[Option<OldTable>; 3]>);

/// Starts reading the tables [`REUSABLE`] that `previous` stamped, when they are in `dir` (the
/// out dir this run writes to); `None` when there is nothing to read.
pub fn read_previous(previous: Option<&WrittenTables>, dir: &Path) -> Option<Pending> {
    let previous = previous?;
    if previous.dir != crate::disk::canonical(dir) {
        return None;
    }
    let (stamps, dir) = (previous.tables.clone(), dir.to_path_buf());
    let reader = std::thread::Builder::new()
        .name("omni-reuse".into())
        .spawn(move || {
            REUSABLE.map(|name| {
                let stamp = stamps.iter().find(|s| s.name == name)?;
                OldTable::read(&dir, stamp)
            })
        })
        .ok()?;
    Some(Pending(reader))
}

/// Plans the reuse of the previous tables (see the module docs); `None` when nothing can be
/// reused. `carried`: the records whose link result `graph::carry` carried, which are exactly
/// the untouched ones (a run that linked in full copies nothing).
pub fn plan(
    pending: Pending,
    sources: &SavedSources,
    carried: &[bool],
    records: &Records,
    profiles: &Profiles,
) -> Option<Reuse> {
    let [profiles_old, edges_old, links_old] = pending.0.join().ok()?;
    if !sources.saved_sources_intact {
        return None;
    }
    let is_new: Vec<bool> = (0..records.len())
        .map(|r| !sources.saved_source[records.source[r] as usize])
        .collect();
    // A profile's records share one raw component: any of them tells.
    let mut profile_untouched = vec![false; profiles.len()];
    for (&p, &untouched) in profiles.of_record.iter().zip(carried) {
        if p != NONE {
            profile_untouched[p as usize] = untouched;
        }
    }
    let by_id = |old: OldTable| {
        let map = map_by_id(&old, profiles, |p| profile_untouched[p])?;
        Some(CopiedTable { old, map })
    };
    let reuse = Reuse {
        profiles: profiles_old.and_then(by_id),
        edges: edges_old.and_then(by_id),
        links: links_old.and_then(|old| {
            let map = map_saved_records(&old, &is_new, carried)?;
            Some(CopiedTable { old, map })
        }),
    };
    (reuse.profiles.is_some() || reuse.edges.is_some() || reuse.links.is_some()).then_some(reuse)
}

/// Per profile (in id order), the first old row holding its id, for the untouched profiles;
/// the old rows are in id order too, so one walk maps them. `None` when a row does not start
/// with an id or the ids are out of order (not one of omni's tables).
fn map_by_id(
    old: &OldTable,
    profiles: &Profiles,
    untouched: impl Fn(usize) -> bool,
) -> Option<Vec<u32>> {
    let mut map = vec![NONE; profiles.len()];
    let rows = old.rows() as u32;
    let mut at = 0u32;
    let mut last: &[u8] = b"";
    for (p, slot) in map.iter_mut().enumerate() {
        if !untouched(p) {
            continue;
        }
        let id = profiles.id(p).text();
        while at < rows {
            let text = old.id_text(at)?;
            if text < last {
                return None;
            }
            last = text;
            if text >= &id[..] {
                break;
            }
            at += 1;
        }
        if at < rows && old.id_text(at)? == id {
            *slot = at;
        }
    }
    Some(map)
}

/// Per record, its old row in `links.csv` when it is untouched: the saved records of the
/// combined run are the previous run's records in their order, one row each. `None` when the
/// old table has another number of rows.
fn map_saved_records(old: &OldTable, is_new: &[bool], untouched: &[bool]) -> Option<Vec<u32>> {
    let saved = is_new.iter().filter(|&&new| !new).count();
    if old.rows() != saved {
        return None;
    }
    let mut next = 0u32;
    let map = is_new
        .iter()
        .zip(untouched)
        .map(|(&new, &untouched)| {
            if new {
                return NONE;
            }
            next += 1;
            if untouched { next - 1 } else { NONE }
        })
        .collect();
    Some(map)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_cut_at_line_ends_outside_quotes() {
        let text = b"h1,h2\nP0000000000000001,\"a\nb\"\nP0000000000000002,\"say \"\"hi\"\"\"\n";
        let table = OldTable::parse(text.to_vec()).unwrap();
        assert_eq!(table.rows(), 2);
        assert_eq!(table.row(0), b"P0000000000000001,\"a\nb\"\n");
        assert_eq!(table.row(1), b"P0000000000000002,\"say \"\"hi\"\"\"\n");
        assert_eq!(table.id_text(1), Some(&b"P0000000000000002"[..]));
    }

    #[test]
    fn a_cut_table_is_not_reused() {
        assert!(OldTable::parse(b"h\nrow without end".to_vec()).is_none());
        assert!(OldTable::parse(b"h\n\"open quote\n".to_vec()).is_none());
        assert!(OldTable::parse(b"h\n".to_vec()).is_some());
    }

    #[test]
    fn a_stamp_holds_size_and_hash_of_what_was_written() {
        let mut w = Stamped::new(Vec::new());
        w.write_all(b"abc").unwrap();
        w.write_all(b"def").unwrap();
        let (inner, stamp) = w.finish("t.csv");
        assert_eq!(inner, b"abcdef");
        assert_eq!(stamp.bytes, 6);
        assert_eq!(stamp.xxh3, format!("{:016x}", xxh3_64(b"abcdef")));
    }

    #[test]
    fn an_edited_table_is_not_read_back() {
        let dir = std::env::temp_dir().join(format!("omni-reuse-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let text = b"h\nP0000000000000001,x\n";
        std::fs::write(dir.join("t.csv"), text).unwrap();
        let stamp = TableStamp {
            name: "t.csv".into(),
            bytes: text.len() as u64,
            xxh3: format!("{:016x}", xxh3_64(text)),
        };
        assert!(OldTable::read(&dir, &stamp).is_some());
        std::fs::write(dir.join("t.csv"), b"h\nP0000000000000001,y\n").unwrap();
        assert!(
            OldTable::read(&dir, &stamp).is_none(),
            "same size, other bytes"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_tree_is_the_run_of_rows_with_its_id() {
        let text = b"h\nP0000000000000001,a\nP0000000000000002,b\nP0000000000000002,c\n\
                     P0000000000000003,d\n";
        let table = CopiedTable {
            old: OldTable::parse(text.to_vec()).unwrap(),
            map: vec![NONE, 1, 3],
        };
        assert_eq!(table.rows_with_id(0), None);
        assert_eq!(
            table.rows_with_id(1),
            Some(&b"P0000000000000002,b\nP0000000000000002,c\n"[..])
        );
        assert_eq!(table.rows_with_id(2), Some(&b"P0000000000000003,d\n"[..]));
        assert_eq!(table.row(1), Some(&b"P0000000000000002,b\n"[..]));
        assert_eq!(table.count(), (2, 3));
    }

    #[test]
    fn saved_records_map_to_old_rows_in_order() {
        let old = OldTable::parse(b"h\na\nb\nc\n".to_vec()).unwrap();
        let is_new = [false, true, false, false, true];
        let untouched = [true, false, false, true, false];
        assert_eq!(
            map_saved_records(&old, &is_new, &untouched),
            Some(vec![0, NONE, NONE, 2, NONE])
        );
        assert_eq!(
            map_saved_records(&old, &[false, false], &[true, true]),
            None
        );
    }
}
