//! The CSV layouts of `profiles.csv`, `links.csv` and `rejects.csv` (documented in the README).

use std::io::{self, Write};

use rayon::prelude::*;

use crate::extract::{Extracted, NO_TIME};
use crate::graph::{Clusters, NONE};
use crate::normalize::datetime::{civil_from_days, format_timestamp};
use crate::profile::ids::ProfileId;
use crate::profile::{Profile, Profiles};

use super::OutDir;
use super::escape::CsvEscape;
use super::reuse::{CopiedTable, Reuse, Stamped, TableStamp};

/// The columns of `profiles.csv` (also read back by `omni explain`).
pub const PROFILES_HEADER: [&str; 12] = [
    "profile_id",
    "name",
    "records",
    "sources",
    "emails",
    "phones",
    "cards",
    "ids",
    "first_seen",
    "last_seen",
    "purchases",
    "amount_total",
];

/// The columns of `edges.csv` (also read back by `omni explain`).
pub const EDGES_HEADER: [&str; 9] = [
    "profile_id",
    "source",
    "row",
    "record_key",
    "name",
    "parent_source",
    "parent_row",
    "via_kind",
    "via_value",
];

/// The columns of `refused.csv` (also read back by `omni explain`).
pub const REFUSED_HEADER: [&str; 7] = [
    "source",
    "row",
    "profile_id",
    "kind",
    "value",
    "rule",
    "detail",
];

/// Separator between the values of a multi-valued cell.
const LIST_SEPARATOR: &[u8] = b"|";

/// Bytes gathered before a write to the file.
const FLUSH_AT: usize = 1 << 20;

/// A CSV writer for omni's own tables, in the csv crate's default dialect (comma, `\n` after each
/// row, a field quoted only when it holds a comma, a quote, `\r` or `\n`, quotes doubled), so
/// the files are byte for byte what `csv::Writer` wrote before. It gathers rows in one buffer
/// and hands the file a megabyte at a time; fields are written straight from the slices they
/// live in, without a `String` or a `ByteRecord` per row.
pub(crate) struct CsvSink<W: Write> {
    out: W,
    buf: Vec<u8>,
    /// No field written yet on the current row.
    row_start: bool,
    /// How cells a spreadsheet would run as formulas are written (`output::escape`).
    escape: CsvEscape,
}

impl<W: Write> CsvSink<W> {
    pub(crate) fn new(out: W) -> Self {
        CsvSink {
            out,
            buf: Vec::with_capacity(FLUSH_AT + 64 * 1024),
            row_start: true,
            escape: CsvEscape::None,
        }
    }

    /// The same sink, escaping formula cells as `escape` says.
    pub(crate) fn escaping(mut self, escape: CsvEscape) -> Self {
        self.escape = escape;
        self
    }

    fn separate(&mut self) {
        if !self.row_start {
            self.buf.push(b',');
        }
        self.row_start = false;
    }

    /// Appends a field (with a leading `'` when the escape mode says so).
    pub(crate) fn field(&mut self, value: &[u8]) {
        self.separate();
        let prefix = self.escape.needs_prefix(value);
        if needs_quotes(value) {
            self.buf.push(b'"');
            if prefix {
                self.buf.push(b'\'');
            }
            for &b in value {
                if b == b'"' {
                    self.buf.push(b'"');
                }
                self.buf.push(b);
            }
            self.buf.push(b'"');
        } else {
            if prefix {
                self.buf.push(b'\'');
            }
            self.buf.extend_from_slice(value);
        }
    }

    /// Appends a field that never needs quotes (numbers, ids, reason codes).
    fn plain(&mut self, value: &[u8]) {
        debug_assert!(
            !value
                .iter()
                .any(|&b| matches!(b, b',' | b'"' | b'\n' | b'\r'))
        );
        self.separate();
        self.buf.extend_from_slice(value);
    }

    /// Appends a field that `format` writes straight into the buffer; it must need no quotes
    /// (timestamps, amounts).
    fn plain_with(&mut self, format: impl FnOnce(&mut Vec<u8>)) {
        self.separate();
        let start = self.buf.len();
        format(&mut self.buf);
        debug_assert!(!needs_quotes(&self.buf[start..]));
    }

    /// Appends a field assembled by `build` in `scratch` (lists).
    fn built(&mut self, scratch: &mut Vec<u8>, build: impl FnOnce(&mut Vec<u8>)) {
        scratch.clear();
        build(scratch);
        self.field(scratch);
    }

    /// Ends the row.
    pub(crate) fn end_row(&mut self) -> io::Result<()> {
        self.buf.push(b'\n');
        self.row_start = true;
        if self.buf.len() >= FLUSH_AT {
            self.out.write_all(&self.buf)?;
            self.buf.clear();
        }
        Ok(())
    }

    /// Writes one row of fields.
    pub(crate) fn row<'a>(&mut self, fields: impl IntoIterator<Item = &'a str>) -> io::Result<()> {
        for f in fields {
            self.field(f.as_bytes());
        }
        self.end_row()
    }

    /// Writes out what is buffered and returns the inner writer.
    pub(crate) fn into_inner(mut self) -> io::Result<W> {
        self.out.write_all(&self.buf)?;
        Ok(self.out)
    }

    /// Appends whole rows formatted elsewhere (by [`write_parallel`]).
    fn rows_from(&mut self, rows: &[u8]) -> io::Result<()> {
        debug_assert!(self.row_start);
        if self.buf.len() + rows.len() > FLUSH_AT {
            self.out.write_all(&self.buf)?;
            self.buf.clear();
        }
        if rows.len() >= FLUSH_AT {
            self.out.write_all(rows)
        } else {
            self.buf.extend_from_slice(rows);
            Ok(())
        }
    }
}

impl CsvSink<Vec<u8>> {
    /// Ends the row of an in-memory sink (which cannot fail).
    fn end_row_in_memory(&mut self) {
        self.buf.push(b'\n');
        self.row_start = true;
    }

    /// A sink that only gathers rows in memory, for one task of [`write_parallel`].
    fn in_memory(escape: CsvEscape) -> Self {
        CsvSink {
            out: Vec::new(),
            buf: Vec::with_capacity(TASK_BYTES),
            row_start: true,
            escape,
        }
    }

    /// Appends whole rows (with their line ends) as the previous run wrote them.
    fn copy_rows(&mut self, rows: &[u8]) {
        debug_assert!(self.row_start && rows.ends_with(b"\n"));
        self.buf.extend_from_slice(rows);
    }

    /// The rows written, in order.
    fn into_bytes(mut self) -> Vec<u8> {
        if self.out.is_empty() {
            self.buf
        } else {
            self.out.extend_from_slice(&self.buf);
            self.out
        }
    }
}

/// Bytes a task of [`write_parallel`] typically formats (its buffer's starting capacity).
const TASK_BYTES: usize = 256 * 1024;

/// Tasks formatted at once per thread: enough to balance the threads, few enough that only a
/// few megabytes of formatted rows wait for their turn to be written.
const TASKS_PER_THREAD: usize = 4;

/// Formats rows for the items `0..len` on every thread and writes them in item order, so the
/// file is byte for byte what formatting them one after another writes. `format` gets a range
/// of items and a sink to write their rows to; `per_task` items make one task. The file is
/// written by the calling thread between rounds of tasks.
fn write_parallel<W: Write>(
    w: &mut CsvSink<W>,
    len: usize,
    per_task: usize,
    format: impl Fn(&mut CsvSink<Vec<u8>>, std::ops::Range<usize>) + Sync,
) -> io::Result<()> {
    let per_task = per_task.max(1);
    let per_round = per_task * TASKS_PER_THREAD * rayon::current_num_threads();
    let escape = w.escape;
    for round in (0..len).step_by(per_round) {
        let end = (round + per_round).min(len);
        let parts: Vec<Vec<u8>> = (round..end)
            .step_by(per_task)
            .collect::<Vec<usize>>()
            .into_par_iter()
            .map(|start| {
                let mut sink = CsvSink::in_memory(escape);
                format(&mut sink, start..(start + per_task).min(end));
                sink.into_bytes()
            })
            .collect();
        for part in &parts {
            w.rows_from(part)?;
        }
    }
    Ok(())
}

/// Bytes that make a field quoted: the delimiter, the quote and line ends.
static NEEDS_QUOTES: [bool; 256] = {
    let mut table = [false; 256];
    table[b',' as usize] = true;
    table[b'"' as usize] = true;
    table[b'\n' as usize] = true;
    table[b'\r' as usize] = true;
    table
};

/// Whether a field holds a byte of [`NEEDS_QUOTES`]: eight bytes at a time (the classic
/// "has a zero byte" test on the word XORed with each of the four bytes), the tail through the
/// table.
fn needs_quotes(value: &[u8]) -> bool {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);
    let has = |word: u64, byte: u8| {
        let x = word ^ (ONES * u64::from(byte));
        x.wrapping_sub(ONES) & !x & HIGHS != 0
    };
    let mut words = value.chunks_exact(8);
    for word in &mut words {
        let word = u64::from_ne_bytes(word.try_into().expect("8 bytes"));
        if has(word, b',') | has(word, b'"') | has(word, b'\n') | has(word, b'\r') {
            return true;
        }
    }
    words.remainder().iter().any(|&b| NEEDS_QUOTES[b as usize])
}

/// Appends `n` (below 100) as two digits.
fn push_two_digits(out: &mut Vec<u8>, n: u8) {
    out.extend_from_slice(&[b'0' + n / 10, b'0' + n % 10]);
}

/// Appends what [`format_timestamp`] gives for `secs`, without a `String`: years 1000-9999
/// (all that `parse_timestamp` accepts) are formatted here, any other through it. The civil
/// date comes from `normalize::datetime::civil_from_days`, as there (the test
/// `timestamps_match_format_timestamp` holds the two together).
pub(crate) fn push_timestamp(out: &mut Vec<u8>, secs: i64) {
    let days = secs.div_euclid(86_400);
    let time = secs.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    if !(1000..=9999).contains(&year) {
        out.extend_from_slice(format_timestamp(secs).as_bytes());
        return;
    }
    // Every part is in range here, so the narrowing casts are exact.
    push_two_digits(out, (year / 100) as u8);
    push_two_digits(out, (year % 100) as u8);
    out.push(b'-');
    push_two_digits(out, month as u8);
    out.push(b'-');
    push_two_digits(out, day as u8);
    if time != 0 {
        out.push(b' ');
        push_two_digits(out, (time / 3600) as u8);
        out.push(b':');
        push_two_digits(out, (time / 60 % 60) as u8);
        out.push(b':');
        push_two_digits(out, (time % 60) as u8);
    }
}

/// Appends `amount` exactly as `format!("{amount:.2}")` writes it, without the formatting
/// machinery in the common case. `y = amount * 100` is off the exact product by under 2^-13
/// while |y| < 2^40, so when `y` is within 0.49 of an integer `c`, the exact product is within
/// 0.5 of `c` (no tie to break) and `c` hundredths is the correctly rounded value that `{:.2}`
/// prints. Anything else (near a half cent, huge, not finite) goes through `{:.2}` itself.
fn push_amount(out: &mut Vec<u8>, amount: f64) {
    let y = amount * 100.0;
    let cents = y.round();
    if y.abs() < (1u64 << 40) as f64 && (y - cents).abs() <= 0.49 {
        // `{:.2}` keeps the sign of a negative amount that rounds to zero ("-0.00").
        if amount.is_sign_negative() {
            out.push(b'-');
        }
        // |cents| < 2^40: the cast is exact.
        let cents = cents.abs() as u64;
        out.extend_from_slice(itoa::Buffer::new().format(cents / 100).as_bytes());
        out.push(b'.');
        push_two_digits(out, (cents % 100) as u8);
    } else {
        write!(out, "{amount:.2}").expect("writing to a Vec");
    }
}

type Sink = CsvSink<Stamped<super::OutFile>>;

/// Flushes and syncs a table; gives its stamp (for the next run's [`Reuse`]).
fn finish(sink: Sink, name: &str) -> anyhow::Result<TableStamp> {
    let (file, stamp) = sink.into_inner()?.finish(name);
    OutDir::finish(file)?;
    Ok(stamp)
}

/// Joins `items` into `out` with `|`.
fn join_into<'a>(out: &mut Vec<u8>, items: impl IntoIterator<Item = &'a [u8]>) {
    for (i, item) in items.into_iter().enumerate() {
        if i > 0 {
            out.extend_from_slice(LIST_SEPARATOR);
        }
        out.extend_from_slice(item);
    }
}

/// Writes `profiles.csv`, `links.csv`, `rejects.csv`, `edges.csv` and `refused.csv`, each on
/// its own thread (they are independent; the largest ones take about the same time). Rows that
/// `reuse` says the previous run already wrote are copied from its tables (written with the
/// same `escape`: it is part of the settings fingerprint). Returns the stamps of the tables
/// rows can be carried from (`reuse::REUSABLE`).
pub fn write_tables(
    out: &mut OutDir,
    escape: CsvEscape,
    extracted: &Extracted,
    clusters: &Clusters,
    profiles: &Profiles,
    reuse: Option<&Reuse>,
) -> anyhow::Result<Vec<TableStamp>> {
    let files = TableFiles::open(out, escape)?;
    write_opened(files, extracted, clusters, profiles, reuse)
}

/// The five files of [`write_tables`], opened (in the order the run's summary lists them) and
/// not yet written: [`write_opened`] writes them, beside whatever else the caller runs.
pub struct TableFiles {
    profiles: Sink,
    links: Sink,
    rejects: Sink,
    edges: Sink,
    refused: Sink,
}

impl TableFiles {
    /// Opens the five tables in `out`.
    pub fn open(out: &mut OutDir, escape: CsvEscape) -> anyhow::Result<TableFiles> {
        let mut open = |name: &str| -> anyhow::Result<Sink> {
            Ok(CsvSink::new(Stamped::new(out.file(name)?)).escaping(escape))
        };
        Ok(TableFiles {
            profiles: open("profiles.csv")?,
            links: open("links.csv")?,
            rejects: open("rejects.csv")?,
            edges: open("edges.csv")?,
            refused: open("refused.csv")?,
        })
    }
}

/// [`write_tables`] into files already opened.
pub fn write_opened(
    files: TableFiles,
    extracted: &Extracted,
    clusters: &Clusters,
    profiles: &Profiles,
    reuse: Option<&Reuse>,
) -> anyhow::Result<Vec<TableStamp>> {
    let TableFiles {
        profiles: profiles_w,
        links: links_w,
        rejects: rejects_w,
        edges: edges_w,
        refused: refused_w,
    } = files;
    let reuse = reuse.unwrap_or(&NO_REUSE);
    let ((edges, rejects), (profiles_stamp, (links, refused))) = rayon::join(
        || {
            rayon::join(
                || write_edges(edges_w, extracted, clusters, profiles, reuse.edges.as_ref()),
                || write_rejects(rejects_w, extracted),
            )
        },
        || {
            rayon::join(
                || write_profiles(profiles_w, extracted, profiles, reuse.profiles.as_ref()),
                || {
                    rayon::join(
                        || {
                            write_links(
                                links_w,
                                extracted,
                                clusters,
                                profiles,
                                reuse.links.as_ref(),
                            )
                        },
                        || write_refused(refused_w, extracted, clusters, profiles),
                    )
                },
            )
        },
    );
    rejects?;
    refused?;
    Ok(vec![profiles_stamp?, edges?, links?])
}

/// Nothing to carry (a run without a previous table).
static NO_REUSE: Reuse = Reuse {
    profiles: None,
    edges: None,
    links: None,
};

/// `profiles.csv`: one row per golden profile, ordered by id.
fn write_profiles(
    mut w: Sink,
    extracted: &Extracted,
    profiles: &Profiles,
    reuse: Option<&CopiedTable>,
) -> anyhow::Result<TableStamp> {
    w.row(PROFILES_HEADER)?;
    write_parallel(&mut w, profiles.len(), PROFILES_PER_TASK, |w, range| {
        // Every identifier of the task's profiles looked up in the interner first, in one loop
        // of independent loads (they are all over it), profile after profile.
        let copied = |p: usize| reuse.is_some_and(|t| t.row(p).is_some());
        let values: Vec<(u16, &str)> = range
            .clone()
            .filter(|&p| !copied(p))
            .flat_map(|p| profiles.get(p).identifiers)
            .map(|&ident| extracted.interner.get(ident))
            .collect();
        let mut values = values.iter();
        // So are the names (each is its record's, anywhere in the record columns).
        let names: Vec<Option<&str>> = range
            .clone()
            .filter(|&p| !copied(p))
            .map(|p| profiles.get(p).name(&extracted.records))
            .collect();
        let mut names = names.into_iter();
        let mut row = ProfileRow::default();
        for p in range {
            if let Some(rows) = reuse.and_then(|t| t.row(p)) {
                w.copy_rows(rows);
                continue;
            }
            let profile = profiles.get(p);
            row.split(
                extracted,
                values.by_ref().take(profile.identifiers.len()).copied(),
            );
            let name = names.next().expect("one name per profile not copied");
            row.write(w, extracted, &profile, name);
        }
    })?;
    finish(w, "profiles.csv")
}

/// The buffers a task of `profiles.csv` reuses from row to row, and the formatting of a row.
#[derive(Default)]
struct ProfileRow<'a> {
    /// The profile's emails, phones and cards (namespaces 0, 1, 2).
    lists: [Vec<&'a str>; 3],
    /// Its other identifiers: namespace (without `id:`) and value.
    ids: Vec<(&'a str, &'a str)>,
    scratch: Vec<u8>,
    number: itoa::Buffer,
}

impl<'a> ProfileRow<'a> {
    /// Sorts a profile's identifiers (namespace, value) into `lists` and `ids`.
    fn split(&mut self, extracted: &'a Extracted, values: impl Iterator<Item = (u16, &'a str)>) {
        self.lists.iter_mut().for_each(Vec::clear);
        self.ids.clear();
        for (namespace, value) in values {
            match namespace {
                0..=2 => self.lists[namespace as usize].push(value),
                _ => self.ids.push((
                    extracted
                        .namespace_name(namespace)
                        .trim_start_matches("id:"),
                    value,
                )),
            }
        }
    }

    /// Writes the row of `profile`, whose identifiers were [`split`](Self::split) last.
    fn write(
        &mut self,
        w: &mut CsvSink<Vec<u8>>,
        extracted: &Extracted,
        profile: &Profile<'_>,
        name: Option<&str>,
    ) {
        w.plain(&profile.id.text());
        w.field(name.unwrap_or("").as_bytes());
        w.plain(self.number.format(profile.records.len()).as_bytes());
        w.built(&mut self.scratch, |s| {
            join_into(
                s,
                profile
                    .sources
                    .iter()
                    .map(|&i| extracted.sources[i as usize].name.as_bytes()),
            )
        });
        for list in &self.lists {
            w.built(&mut self.scratch, |s| {
                join_into(s, list.iter().map(|v| v.as_bytes()))
            });
        }
        let ids = &self.ids;
        w.built(&mut self.scratch, |s| {
            for (i, (namespace, value)) in ids.iter().enumerate() {
                if i > 0 {
                    s.extend_from_slice(LIST_SEPARATOR);
                }
                s.extend_from_slice(namespace.as_bytes());
                s.push(b':');
                s.extend_from_slice(value.as_bytes());
            }
        });
        for t in [profile.first_seen, profile.last_seen] {
            if t == NO_TIME {
                w.plain(b"");
            } else {
                w.plain_with(|buf| push_timestamp(buf, t));
            }
        }
        w.plain(self.number.format(profile.purchases).as_bytes());
        if profile.purchases == 0 {
            w.plain(b"");
        } else {
            w.plain_with(|buf| push_amount(buf, profile.amount_total));
        }
        w.end_row_in_memory();
    }
}

/// Profiles per task of `profiles.csv` (about 150 bytes a row).
const PROFILES_PER_TASK: usize = 1024;

/// `links.csv`: one row per input record, in run order (sources by name, then row).
fn write_links(
    mut w: Sink,
    extracted: &Extracted,
    clusters: &Clusters,
    profiles: &Profiles,
    reuse: Option<&CopiedTable>,
) -> anyhow::Result<TableStamp> {
    w.row(["source", "row", "record_key", "profile_id", "matched_by"])?;
    let records = &extracted.records;
    write_parallel(&mut w, records.len(), LINK_ROWS_PER_TASK, |w, range| {
        let mut row_text = itoa::Buffer::new();
        // The profile id and the namespace of `matched_by` sit at random places of large
        // columns: looked up first, in a loop of independent loads (many cache misses in
        // flight at once), then the rows are formatted from them.
        let looked_up: Vec<(Option<ProfileId>, u16)> = range
            .clone()
            .map(|record| {
                if reuse.is_some_and(|t| t.row(record).is_some()) {
                    return (None, NO_NAMESPACE);
                }
                let profile = profiles.of_record[record];
                let id = (profile != NONE).then(|| profiles.id(profile as usize));
                let namespace = match clusters.matched_by[record] {
                    NONE => NO_NAMESPACE,
                    ident => extracted.interner.namespace_of(ident),
                };
                (id, namespace)
            })
            .collect();
        for (record, &(id, namespace)) in range.zip(&looked_up) {
            if let Some(row) = reuse.and_then(|t| t.row(record)) {
                w.copy_rows(row);
                continue;
            }
            let profile_id = id.map(ProfileId::text);
            let matched_by = match namespace {
                NO_NAMESPACE => "",
                namespace => extracted.namespace_name(namespace),
            };
            w.field(
                extracted.sources[records.source[record] as usize]
                    .name
                    .as_bytes(),
            );
            w.plain(row_text.format(records.row.get(record)).as_bytes());
            w.field(records.key.get(record).unwrap_or("").as_bytes());
            w.plain(profile_id.as_ref().map_or(&b""[..], |id| &id[..]));
            w.field(matched_by.as_bytes());
            w.end_row_in_memory();
        }
    })?;
    finish(w, "links.csv")
}

/// No namespace: a record matched by no identifier (namespaces are numbered from 0 up, far
/// below this).
const NO_NAMESPACE: u16 = u16::MAX;

/// Records per task of `links.csv` (about 80 bytes a row).
const LINK_ROWS_PER_TASK: usize = 2048;

/// `rejects.csv`: every rejected value and row, in run order.
fn write_rejects(mut w: Sink, extracted: &Extracted) -> anyhow::Result<()> {
    w.row(["source", "row", "column", "value", "reason"])?;
    let mut row_text = itoa::Buffer::new();
    for reject in &extracted.rejects {
        w.field(extracted.sources[reject.source as usize].name.as_bytes());
        w.plain(row_text.format(reject.row).as_bytes());
        w.field(reject.column.as_bytes());
        w.field(reject.value.as_bytes());
        w.field(reject.reason.code().as_bytes());
        w.end_row()?;
    }
    finish(w, "rejects.csv").map(drop)
}

/// `edges.csv`: every profile's spanning tree, one row per record in breadth-first order from
/// the profile's root: which record it was reached from and through which identifier.
fn write_edges(
    mut w: Sink,
    extracted: &Extracted,
    clusters: &Clusters,
    profiles: &Profiles,
    reuse: Option<&CopiedTable>,
) -> anyhow::Result<TableStamp> {
    w.row(EDGES_HEADER)?;
    let start_of_profile = tree_starts(clusters, profiles);
    // Formatted on every thread, profiles in id order. A profile's records lie all over the
    // columns, so each task first gathers what its rows show in loops of independent loads
    // (many cache misses in flight at once), then formats from what it gathered.
    write_parallel(
        &mut w,
        start_of_profile.len(),
        EDGE_PROFILES_PER_TASK,
        |w, range| {
            let task = &start_of_profile[range];
            let rows = edge_rows(extracted, clusters, profiles, reuse, task);
            write_edge_rows(w, extracted, profiles, reuse, task, &rows);
        },
    )?;
    finish(w, "edges.csv")
}

/// Every profile with the position in `clusters.order` where its tree starts, by profile
/// (id order); within a profile, the tree order `graph` produced.
fn tree_starts(clusters: &Clusters, profiles: &Profiles) -> Vec<(u32, u32)> {
    // Positions as `u32` (record indices are): 8 bytes a profile, not 16, held while every
    // table is written (issue 19, the memory peak).
    let mut start_of_profile: Vec<(u32, u32)> = Vec::with_capacity(profiles.len());
    for (pos, &r) in clusters.order.iter().enumerate() {
        if clusters.parent[r as usize] == NONE {
            let pos = u32::try_from(pos).expect("fewer than 2^32 records");
            start_of_profile.push((profiles.of_record[r as usize], pos));
        }
    }
    start_of_profile.sort_unstable();
    start_of_profile
}

/// The rows of the trees of a task's profiles (from [`tree_starts`]) in tree order, profile
/// after profile, gathered from the columns; copied trees have none.
fn edge_rows<'a>(
    extracted: &'a Extracted,
    clusters: &Clusters,
    profiles: &Profiles,
    reuse: Option<&CopiedTable>,
    task: &[(u32, u32)],
) -> Vec<EdgeRow<'a>> {
    let records = &extracted.records;
    let mut tree: Vec<u32> = Vec::new();
    for &(profile, start) in task {
        let start = start as usize;
        if reuse.is_some_and(|t| t.rows_with_id(profile as usize).is_some()) {
            continue;
        }
        let size = profiles.record_count(profile as usize);
        let members = &clusters.order[start..start + size];
        debug_assert!(
            members
                .iter()
                .all(|&r| profiles.of_record[r as usize] == profile)
        );
        tree.extend_from_slice(members);
    }
    let mut rows: Vec<EdgeRow<'a>> = Vec::new();
    rows.extend(tree.iter().map(|&r| {
        let r = r as usize;
        EdgeRow {
            source: records.source[r],
            row: records.row.get(r),
            key: records.key.get(r).unwrap_or(""),
            name: records.name.get(r).unwrap_or(""),
            parent: clusters.parent[r],
            via: clusters.via[r],
            parent_source: 0,
            parent_row: 0,
            via_ns: 0,
            via_value: "",
        }
    }));
    for row in &mut rows {
        if row.parent != NONE {
            row.parent_source = records.source[row.parent as usize];
            row.parent_row = records.row.get(row.parent as usize);
        }
        if row.via != NONE {
            (row.via_ns, row.via_value) = extracted.interner.get(row.via);
        }
    }
    rows
}

/// Formats the rows of a task's profiles: `rows` from [`edge_rows`], copied trees as the
/// previous run wrote them.
fn write_edge_rows(
    w: &mut CsvSink<Vec<u8>>,
    extracted: &Extracted,
    profiles: &Profiles,
    reuse: Option<&CopiedTable>,
    task: &[(u32, u32)],
    rows: &[EdgeRow<'_>],
) {
    let source_name = |s: u16| extracted.sources[s as usize].name.as_bytes();
    let mut number = itoa::Buffer::new();
    let mut next = rows.iter();
    for &(profile, _) in task {
        let id = profiles.id(profile as usize).text();
        if let Some(tree) = reuse.and_then(|t| t.rows_with_id(profile as usize)) {
            w.copy_rows(tree);
            continue;
        }
        for row in next.by_ref().take(profiles.record_count(profile as usize)) {
            w.plain(&id);
            w.field(source_name(row.source));
            w.plain(number.format(row.row).as_bytes());
            w.field(row.key.as_bytes());
            w.field(row.name.as_bytes());
            if row.parent == NONE {
                w.plain(b"");
                w.plain(b"");
            } else {
                w.field(source_name(row.parent_source));
                w.plain(number.format(row.parent_row).as_bytes());
            }
            if row.via == NONE {
                w.plain(b"");
                w.plain(b"");
            } else {
                w.field(extracted.namespace_name(row.via_ns).as_bytes());
                w.field(row.via_value.as_bytes());
            }
            w.end_row_in_memory();
        }
    }
}

/// One row of `edges.csv`, gathered from the columns before it is formatted.
struct EdgeRow<'a> {
    source: u16,
    row: u64,
    key: &'a str,
    name: &'a str,
    /// The record it was reached from, `NONE` for the root.
    parent: u32,
    /// The identifier it was reached through, `NONE` for the root.
    via: u32,
    /// The parent's source and row (when there is a parent).
    parent_source: u16,
    parent_row: u64,
    /// The namespace and value of `via` (when there is one).
    via_ns: u16,
    via_value: &'a str,
}

/// Profiles per task of `edges.csv` (about 3 rows of 130 bytes each).
const EDGE_PROFILES_PER_TASK: usize = 640;

/// `refused.csv`: every record–identifier link an over-merge guard refused.
fn write_refused(
    mut w: Sink,
    extracted: &Extracted,
    clusters: &Clusters,
    profiles: &Profiles,
) -> anyhow::Result<()> {
    w.row(REFUSED_HEADER)?;
    let records = &extracted.records;
    let mut row = itoa::Buffer::new();
    for refused in &clusters.refused {
        let r = refused.record as usize;
        let profile = profiles.of_record[r];
        let (ns, value) = extracted.interner.get(refused.identifier);
        w.field(
            extracted.sources[records.source[r] as usize]
                .name
                .as_bytes(),
        );
        w.plain(row.format(records.row.get(r)).as_bytes());
        let id = (profile != NONE).then(|| profiles.id(profile as usize).text());
        w.plain(id.as_ref().map_or(&b""[..], |id| &id[..]));
        w.field(extracted.namespace_name(ns).as_bytes());
        w.field(value.as_bytes());
        w.field(refused.rule.code().as_bytes());
        w.field(refused.detail.as_bytes());
        w.end_row()?;
    }
    finish(w, "refused.csv").map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ours(rows: &[Vec<String>]) -> Vec<u8> {
        let mut sink = CsvSink::new(Vec::new());
        for row in rows {
            sink.row(row.iter().map(String::as_str)).unwrap();
        }
        sink.into_inner().unwrap()
    }

    fn csv_crate(rows: &[Vec<String>]) -> Vec<u8> {
        let mut w = csv::Writer::from_writer(Vec::new());
        for row in rows {
            w.write_record(row).unwrap();
        }
        w.into_inner().unwrap()
    }

    #[test]
    fn quoting_matches_the_csv_crate() {
        let rows = vec![
            vec!["a".to_owned(), String::new(), "b,c".to_owned()],
            vec!["say \"hi\"".to_owned(), "x\ny".to_owned(), "r\r".to_owned()],
            vec![
                "Иван|Пётр".to_owned(),
                " lead space".to_owned(),
                "#".to_owned(),
            ],
        ];
        assert_eq!(ours(&rows), csv_crate(&rows));
    }

    proptest! {
        #[test]
        fn any_multi_field_rows_match_the_csv_crate(
            rows in (2usize..6).prop_flat_map(|width| {
                proptest::collection::vec(
                    proptest::collection::vec("[a-z,\"\\r\\n |;é ]{0,6}", width),
                    0..8,
                )
            }),
        ) {
            prop_assert_eq!(ours(&rows), csv_crate(&rows));
        }
    }

    /// The old formatting of an amount, which `push_amount` must equal byte for byte.
    fn amount_text(amount: f64) -> String {
        format!("{amount:.2}")
    }

    fn pushed(push: impl FnOnce(&mut Vec<u8>)) -> String {
        let mut out = b"x".to_vec();
        push(&mut out);
        String::from_utf8(out[1..].to_vec()).unwrap()
    }

    #[test]
    fn amounts_match_the_std_formatting() {
        let cases = [
            0.0,
            -0.0,
            0.004,
            -0.004,
            0.005,
            0.015,
            0.125,
            -0.125,
            0.1 + 0.2,
            1.005,
            2.675,
            99.995,
            -1234.5,
            1e11 + 0.07,
            1e12,
            1e300,
            f64::MAX,
            f64::MIN_POSITIVE,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
        ];
        for amount in cases {
            assert_eq!(
                pushed(|o| push_amount(o, amount)),
                amount_text(amount),
                "{amount:e}"
            );
        }
    }

    #[test]
    fn timestamps_match_format_timestamp() {
        // Midnight, a time of day, leap days, the range edges and outside them (fallback).
        for text in [
            "1000-01-01",
            "1970-01-01 00:00:01",
            "2024-02-29 23:59:59",
            "2000-02-29",
            "2100-03-01 12:00:00",
            "9999-12-31 23:59:59",
        ] {
            let secs = crate::normalize::datetime::parse_timestamp(text).unwrap();
            assert_eq!(pushed(|o| push_timestamp(o, secs)), text);
        }
        for secs in [i64::MIN / 2, -62_135_596_800 - 1, 253_402_300_800, 1 << 40] {
            assert_eq!(
                pushed(|o| push_timestamp(o, secs)),
                format_timestamp(secs),
                "{secs}"
            );
        }
    }

    #[test]
    fn quote_scan_matches_the_table() {
        for value in [
            &b""[..],
            b"abcdefg",
            b"abcdefgh",
            b"abcdefgh,",
            b"a\"bcdefghijklmnop",
            b"abcdefghijklmn\r",
            b"\nabcdefghijklmnop",
            "Иван Петров-Сидоров".as_bytes(),
            b"-=+@ ;|\t\x00\xff\x2b\x2d\x0b\x0c\x21\x23",
        ] {
            assert_eq!(
                needs_quotes(value),
                value.iter().any(|&b| NEEDS_QUOTES[b as usize]),
                "{value:?}"
            );
        }
    }

    proptest! {
        #[test]
        fn any_amount_matches_the_std_formatting(
            cents in -10_000_000_000i64..10_000_000_000,
            addends in proptest::collection::vec(-1_000_000i64..1_000_000, 0..20),
            bits in any::<u64>(),
        ) {
            // Whole cents, sums of cents as the profile builder adds them, and any double.
            let sum = addends.iter().fold(0.0f64, |s, &c| s + c as f64 / 100.0);
            for amount in [cents as f64 / 100.0, sum, f64::from_bits(bits)] {
                prop_assert_eq!(pushed(|o| push_amount(o, amount)), amount_text(amount));
            }
        }

        #[test]
        fn any_timestamp_matches_format_timestamp(secs in -80_000_000_000i64..300_000_000_000) {
            prop_assert_eq!(pushed(|o| push_timestamp(o, secs)), format_timestamp(secs));
        }

        #[test]
        fn any_quote_scan_matches_the_table(value in proptest::collection::vec(any::<u8>(), 0..40)) {
            prop_assert_eq!(
                needs_quotes(&value),
                value.iter().any(|&b| NEEDS_QUOTES[b as usize])
            );
        }
    }

    /// links.csv, whose profile ids and namespaces are looked up ahead of the formatting, is
    /// what the csv crate writes from the columns record by record; so are the identifier
    /// lists of profiles.csv, whose values are looked up ahead too.
    #[test]
    fn looked_up_rows_equal_a_record_by_record_formatting() {
        let dir = tempfile::tempdir().unwrap();
        let (extracted, clusters, profiles) = crate::profile::testing::pipeline(dir.path(), 3000);
        let out_dir = dir.path().join("out");
        let mut out = OutDir::create(&out_dir).unwrap();
        write_tables(
            &mut out,
            CsvEscape::None,
            &extracted,
            &clusters,
            &profiles,
            None,
        )
        .unwrap();
        out.commit().unwrap();

        let records = &extracted.records;
        let mut links = csv::Writer::from_writer(Vec::new());
        links
            .write_record(["source", "row", "record_key", "profile_id", "matched_by"])
            .unwrap();
        for r in 0..records.len() {
            let profile = profiles.of_record[r];
            links
                .write_record([
                    extracted.sources[records.source[r] as usize].name.clone(),
                    records.row.get(r).to_string(),
                    records.key.get(r).unwrap_or("").to_owned(),
                    if profile == NONE {
                        String::new()
                    } else {
                        profiles.id(profile as usize).to_string()
                    },
                    match clusters.matched_by[r] {
                        NONE => String::new(),
                        ident => extracted
                            .namespace_name(extracted.interner.namespace_of(ident))
                            .to_owned(),
                    },
                ])
                .unwrap();
        }
        let expected = links.into_inner().unwrap();
        assert_eq!(std::fs::read(out_dir.join("links.csv")).unwrap(), expected);

        let written = std::fs::read_to_string(out_dir.join("profiles.csv")).unwrap();
        let mut rows = csv::Reader::from_reader(written.as_bytes());
        let mut with_ids = 0;
        for (p, row) in rows.records().enumerate() {
            let row = row.unwrap();
            let mut lists: [Vec<&str>; 4] = Default::default();
            for &ident in profiles.get(p).identifiers {
                let (ns, value) = extracted.interner.get(ident);
                lists[usize::from(ns.min(3))].push(value);
            }
            assert_eq!(&row[4], lists[0].join("|"));
            assert_eq!(&row[5], lists[1].join("|"));
            assert_eq!(&row[6], lists[2].join("|"));
            assert_eq!(
                row[7].split('|').filter(|s| !s.is_empty()).count(),
                lists[3].len()
            );
            with_ids += usize::from(!lists[0].is_empty() && !lists[1].is_empty());
        }
        assert!(with_ids > 100, "{with_ids}");
    }

    /// Rows formatted by tasks on every thread come out in item order, byte for byte what one
    /// sink writes alone, across round, task and flush boundaries.
    #[test]
    fn parallel_rows_equal_sequential_rows() {
        let rows: Vec<Vec<String>> = (0..20_000)
            .map(|i| {
                vec![
                    format!("row {i}"),
                    if i % 7 == 0 {
                        format!("a,\"{i}\"")
                    } else {
                        String::new()
                    },
                    "x".repeat(i % 90),
                ]
            })
            .collect();
        for per_task in [1, 3, 64, 1000, 50_000] {
            let mut sink = CsvSink::new(Vec::new());
            sink.row(["h1", "h2", "h3"]).unwrap();
            write_parallel(&mut sink, rows.len(), per_task, |w, range| {
                for row in &rows[range] {
                    for field in row {
                        w.field(field.as_bytes());
                    }
                    w.end_row_in_memory();
                }
            })
            .unwrap();
            let mut expected = vec![vec!["h1".to_owned(), "h2".into(), "h3".into()]];
            expected.extend(rows.iter().cloned());
            assert_eq!(
                sink.into_inner().unwrap(),
                ours(&expected),
                "{per_task} per task"
            );
        }
    }
}
