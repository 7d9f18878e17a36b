//! Input guards: what keeps a broken or hostile file from crashing omni, flooding its memory or
//! silently losing rows (issue 7).
//!
//! - [`Limits`]: configurable caps (`[limits]` in omni.toml, `--max-field-bytes`, `--max-rows`).
//! - [`check_text`]: refuses a file that is not text (a workbook, an archive, an executable
//!   renamed `.csv`) before its garbage becomes "column names", with a hint for each case.
//! - [`RecordCap`]: a byte-stream filter in front of the CSV parser that follows CSV quoting and
//!   stops a single record from growing past `max_record_bytes` (one giant line without a
//!   newline, or an unclosed quote swallowing the rest of a large file). The `csv` crate buffers
//!   a whole record before returning it, so without this a 10 GB line would need 10 GB of RAM.
//! - [`Guarded`]: a row-stream wrapper that turns rows with an over-long field into
//!   `field_too_long` rejects, stops at `max_rows`, and reads a headerless file's first line as
//!   data rather than as column names.
//!
//! This module does not decide column roles or values; it only protects the reading.

use std::io::{self, Read};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::bail;

use super::{BatchItem, Fields, RowBatch, RowOutcome, RowSource, cap_raw};
use crate::reject::RejectReason;

/// Caps on what one input file may contain. Every cap names itself in its error message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// A row with a field longer than this (bytes, UTF-8) is rejected as `field_too_long`.
    pub max_field_bytes: usize,
    /// One CSV record (a line, or several joined by a quoted newline) may not grow past this
    /// many bytes; reading the file stops with an error. Bounds memory on pathological files.
    pub max_record_bytes: usize,
    /// Data rows per file; more is an error. 0 = no cap.
    pub max_rows: u64,
    /// Columns per file; a wider header is an error.
    pub max_columns: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_field_bytes: 64 * 1024,
            max_record_bytes: 16 << 20,
            max_rows: 0,
            max_columns: 10_000,
        }
    }
}

/// Bytes of a file's decoded start that [`check_text`] looks at.
const TEXT_CHECK_LEN: usize = 8 * 1024;

/// Known binary signatures at the start of a file, and what each one is.
const SIGNATURES: [(&[u8], &str); 9] = [
    (
        b"PK\x03\x04",
        "a zip archive or an Excel .xlsx workbook; save the sheet as CSV (UTF-8) or unzip it",
    ),
    (
        b"\xD0\xCF\x11\xE0",
        "an Excel .xls workbook; save the sheet as CSV (UTF-8)",
    ),
    (b"%PDF", "a PDF document, not a table"),
    (b"\x7FELF", "a program (ELF executable), not a table"),
    (b"MZ\x90\x00", "a Windows program, not a table"),
    (
        b"\x28\xB5\x2F\xFD",
        "zstd-compressed; decompress it first (omni reads .csv.gz)",
    ),
    (
        b"BZh",
        "bzip2-compressed; decompress it first (omni reads .csv.gz)",
    ),
    (
        b"\xFD7zXZ",
        "xz-compressed; decompress it first (omni reads .csv.gz)",
    ),
    (
        b"SQLite format 3\0",
        "an SQLite database; export the table as CSV",
    ),
];

/// Refuses a file whose start is not text: known binary signatures (Excel, zip, PDF, executables,
/// other compressors) and a first line with NUL bytes or many control characters. `sample` is
/// the file's first bytes after gunzipping, before decoding. UTF-16 (which is full of NULs) is
/// not checked when a BOM or `--encoding utf16` says it is UTF-16.
pub fn check_text(path: &Path, sample: &[u8], utf16: bool) -> anyhow::Result<()> {
    for (magic, what) in SIGNATURES {
        if sample.starts_with(magic) {
            bail!("{}: not a CSV file: this looks like {what}", path.display());
        }
    }
    if utf16 || sample.starts_with(&[0xFF, 0xFE]) || sample.starts_with(&[0xFE, 0xFF]) {
        return Ok(());
    }
    check_first_line(path, &sample[..sample.len().min(TEXT_CHECK_LEN)])
}

/// Refuses `head` (the start of a file not known to be UTF-16) when its first line has a NUL
/// byte or more than one control byte in twenty, with a hint (UTF-16 without a byte order mark,
/// or a binary file).
fn check_first_line(path: &Path, head: &[u8]) -> anyhow::Result<()> {
    let first_line = head
        .split(|&b| b == b'\n')
        .next()
        .expect("split yields at least one part");
    let nuls = first_line.iter().filter(|&&b| b == 0).count();
    let control = first_line
        .iter()
        .filter(|&&b| b < 0x20 && !matches!(b, b'\t' | b'\r' | 0x0C))
        .count();
    if nuls == 0 && control * 20 <= first_line.len() {
        return Ok(());
    }
    let utf16_like = nuls * 3 >= first_line.len() && first_line.len() >= 4;
    let hint = if utf16_like {
        "it may be UTF-16 without a byte order mark: try --encoding utf16"
    } else {
        "is it a binary file renamed .csv? export the data as CSV text"
    };
    bail!(
        "{}:1: not a CSV file: the first line has {nuls} NUL and {control} other control bytes \
         (hint: {hint})",
        path.display()
    )
}

/// Where [`RecordCap`] is inside the CSV syntax; mirrors `csv-core` with its default quoting
/// (`"` quotes, doubled `""` escapes, no escape character).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Quoting {
    /// At the start of a field (a `"` here opens a quoted field).
    FieldStart,
    /// Inside an unquoted field (a `"` here is an ordinary byte).
    Unquoted,
    /// Inside a quoted field (newlines and delimiters are content).
    Quoted,
    /// Just after a `"` inside a quoted field: `"` again is an escaped quote, else it closed.
    QuoteInQuoted,
}

/// Passes bytes through unchanged while following CSV quoting, and fails with an `io::Error`
/// naming the line once one record reaches `max` bytes, or the header record has more than
/// `max_columns` fields (checked here, before the parser turns millions of cells into names).
/// Expects `\n` line ends (it sits after `LineEnds` in the CSV reader).
pub struct RecordCap<R> {
    inner: R,
    delimiter: u8,
    max: usize,
    max_columns: usize,
    /// Fields of the header so far; `None` once the header has ended.
    header_fields: Option<usize>,
    state: Quoting,
    /// Bytes of the current record so far.
    record_bytes: usize,
    /// 1-based line of the current byte and of the current record's start.
    line: u64,
    record_line: u64,
    /// Set at the end of input to the start line of a record whose quote never closed (0: none),
    /// so the reader can reject that record instead of taking the swallowed lines as one value.
    unclosed: Arc<AtomicU64>,
}

impl<R: Read> RecordCap<R> {
    /// Wraps `inner` (UTF-8 text with `\n` line ends) for a file with `delimiter`.
    pub fn new(inner: R, delimiter: u8, max: usize, max_columns: usize) -> Self {
        RecordCap {
            inner,
            delimiter,
            max,
            max_columns,
            header_fields: Some(1),
            state: Quoting::FieldStart,
            record_bytes: 0,
            line: 1,
            record_line: 1,
            unclosed: Arc::default(),
        }
    }

    /// Shares the start line of a record left inside an open quote at the end of input (0 while
    /// there is none); read it after the last record.
    pub fn unclosed_quote_line(&self) -> Arc<AtomicU64> {
        Arc::clone(&self.unclosed)
    }

    /// Follows `chunk` through the CSV syntax. Runs of ordinary bytes are skipped with one
    /// `memchr` each (this sits on the hot path of every CSV read); only quotes, delimiters and
    /// newlines are looked at one by one.
    fn track(&mut self, chunk: &[u8]) -> io::Result<()> {
        let mut i = 0;
        while i < chunk.len() {
            let rest = &chunk[i..];
            let plain = match self.state {
                Quoting::Quoted => memchr::memchr2(b'"', b'\n', rest),
                _ => memchr::memchr3(b'"', b'\n', self.delimiter, rest),
            }
            .unwrap_or(rest.len());
            if plain > 0 {
                if self.state != Quoting::Quoted {
                    self.state = Quoting::Unquoted;
                }
                self.record_bytes += plain;
                i += plain;
                self.check_size()?;
                continue;
            }
            i += 1;
            self.step(rest[0])?;
        }
        Ok(())
    }

    /// One quote, delimiter or newline.
    fn step(&mut self, byte: u8) -> io::Result<()> {
        let end_of_record = match (self.state, byte) {
            (Quoting::Quoted, b'"') => {
                self.state = Quoting::QuoteInQuoted;
                false
            }
            (Quoting::Quoted, _) => false,
            (Quoting::QuoteInQuoted, b'"') => {
                self.state = Quoting::Quoted;
                false
            }
            (Quoting::FieldStart, b'"') => {
                self.state = Quoting::Quoted;
                false
            }
            (_, b'\n') => true,
            (_, b) if b == self.delimiter => {
                self.state = Quoting::FieldStart;
                self.count_header_field()?;
                false
            }
            _ => {
                self.state = Quoting::Unquoted;
                false
            }
        };
        if byte == b'\n' {
            self.line += 1;
        }
        if end_of_record {
            // A blank line before the header is not the header (the reader skips it).
            if self.record_bytes > 0 {
                self.header_fields = None;
            }
            self.state = Quoting::FieldStart;
            self.record_bytes = 0;
            self.record_line = self.line;
            return Ok(());
        }
        self.record_bytes += 1;
        self.check_size()
    }

    fn count_header_field(&mut self) -> io::Result<()> {
        if let Some(fields) = &mut self.header_fields {
            *fields += 1;
            if *fields > self.max_columns {
                return Err(io::Error::other(format!(
                    "the header has more than {} columns (limit: max_columns in [limits] of \
                     omni.toml); is the delimiter right? (--delimiter)",
                    self.max_columns
                )));
            }
        }
        Ok(())
    }

    fn check_size(&self) -> io::Result<()> {
        if self.record_bytes < self.max {
            return Ok(());
        }
        let cause = if self.line > self.record_line || self.state == Quoting::Quoted {
            "most likely a quote opened there is never closed"
        } else {
            "one line without a line break: is this really a CSV file?"
        };
        Err(io::Error::other(format!(
            "a record starting on line {} reached {} bytes without ending ({cause}); reading \
             stopped (limit: max_record_bytes in [limits] of omni.toml)",
            self.record_line, self.max
        )))
    }
}

impl<R: Read> Read for RecordCap<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n == 0 && !buf.is_empty() && self.state == Quoting::Quoted {
            self.unclosed.store(self.record_line, Ordering::Relaxed);
        }
        self.track(&buf[..n])?;
        Ok(n)
    }
}

/// True when a header row looks like data: one of its cells is an email address or a phone
/// number, which no column is named. Then the file has no header row.
pub fn header_looks_like_data(headers: &[String]) -> bool {
    headers
        .iter()
        .any(|h| super::detect::is_email_like(h) || super::detect::is_phone_like(h))
}

/// The row stream of a file, guarded: see the module docs.
pub struct Guarded {
    inner: Box<dyn RowSource>,
    limits: Limits,
    path: String,
    /// A headerless file's first line, waiting to be returned as row 1.
    first: Option<Vec<String>>,
    /// Added to the inner row numbers (1 when the first line became a row).
    shift: u64,
    rows: u64,
    /// The inner source's batch, checked and copied into the caller's (`next_rows`).
    scratch: RowBatch,
}

impl Guarded {
    /// Guards `inner`. `first_row` is the header line of a headerless file, returned as row 1
    /// (line 1) before the inner rows, which are numbered one higher.
    pub fn new(
        inner: Box<dyn RowSource>,
        limits: Limits,
        path: &Path,
        first_row: Option<Vec<String>>,
    ) -> Guarded {
        Guarded {
            inner,
            limits,
            path: path.display().to_string(),
            shift: u64::from(first_row.is_some()),
            first: first_row,
            rows: 0,
            scratch: RowBatch::default(),
        }
    }

    fn count_rows(&mut self, n: usize) -> anyhow::Result<()> {
        self.rows += n as u64;
        if self.limits.max_rows > 0 && self.rows > self.limits.max_rows {
            bail!(
                "{}: more than {} data rows (limit: max_rows in [limits] of omni.toml, or \
                 --max-rows); split the file or raise the limit",
                self.path,
                self.limits.max_rows
            );
        }
        Ok(())
    }

    fn check(&self, outcome: RowOutcome) -> RowOutcome {
        match outcome {
            RowOutcome::Row { row, line, fields }
                if fields.iter().any(|f| f.len() > self.limits.max_field_bytes) =>
            {
                RowOutcome::Bad {
                    row,
                    line,
                    reason: RejectReason::FieldTooLong,
                    raw: cap_raw(&fields.join(",")),
                }
            }
            other => other,
        }
    }
}

impl RowSource for Guarded {
    fn next_batch(&mut self, max: usize, out: &mut Vec<RowOutcome>) -> anyhow::Result<bool> {
        let more = self.inner.next_batch(max, out)?;
        for outcome in out.iter_mut() {
            match outcome {
                RowOutcome::Row { row, .. } | RowOutcome::Bad { row, .. } => *row += self.shift,
            }
        }
        if let Some(fields) = self.first.take() {
            out.insert(
                0,
                RowOutcome::Row {
                    row: 1,
                    line: 1,
                    fields,
                },
            );
        }
        self.count_rows(out.len())?;
        let checked = out.drain(..).map(|o| self.check(o)).collect::<Vec<_>>();
        *out = checked;
        Ok(more || !out.is_empty())
    }

    /// The same checks as `next_batch` on the inner source's text batch (CSV fills one
    /// without a `String` per field), copied once into `out`.
    fn next_rows(&mut self, max: usize, out: &mut RowBatch) -> anyhow::Result<bool> {
        out.clear();
        if let Some(fields) = self.first.take() {
            out.push_outcome(&self.check(RowOutcome::Row {
                row: 1,
                line: 1,
                fields,
            }));
        }
        let more = self.inner.next_rows(max, &mut self.scratch)?;
        let limit = self.limits.max_field_bytes;
        let too_long = |fields: Fields<'_>| {
            (0..fields.len())
                .filter_map(|f| fields.get(f))
                .any(|f| f.len() > limit)
        };
        let clean = out.is_empty()
            && (0..self.scratch.len()).all(|i| match self.scratch.get(i) {
                BatchItem::Row { fields, .. } => !too_long(fields),
                BatchItem::Bad { .. } => true,
            });
        if clean {
            // The usual batch: nothing to reject and no first row ahead of it. Hand the inner
            // batch over (only renumbering its rows) instead of copying every field.
            std::mem::swap(out, &mut self.scratch);
            out.shift_rows(self.shift);
            self.count_rows(out.len())?;
            return Ok(more || !out.is_empty());
        }
        for i in 0..self.scratch.len() {
            match self.scratch.get(i) {
                BatchItem::Row { row, line, fields } => {
                    let row = row + self.shift;
                    let all = (0..fields.len()).filter_map(|f| fields.get(f));
                    if all.clone().any(|f| f.len() > limit) {
                        let joined: Vec<&str> = all.collect();
                        out.push_bad(
                            row,
                            line,
                            RejectReason::FieldTooLong,
                            &cap_raw(&joined.join(",")),
                        );
                    } else {
                        out.push_row(row, line, all);
                    }
                }
                BatchItem::Bad {
                    row,
                    line,
                    reason,
                    raw,
                } => out.push_bad(row + self.shift, line, reason, raw),
            }
        }
        self.count_rows(out.len())?;
        Ok(more || !out.is_empty())
    }

    fn bytes_read(&self) -> u64 {
        self.inner.bytes_read()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn capped(text: &str, max: usize) -> io::Result<Vec<u8>> {
        let mut out = Vec::new();
        RecordCap::new(text.as_bytes(), b',', max, 5).read_to_end(&mut out)?;
        Ok(out)
    }

    #[test]
    fn records_under_the_cap_pass_unchanged() {
        let text = "a,b\n\"x\ny\",\"q\"\"\"\n1,2\n";
        assert_eq!(capped(text, 12).unwrap(), text.as_bytes());
    }

    #[test]
    fn a_long_line_fails_naming_its_start_line() {
        let text = format!("a,b\n1,2\n{}\n", "x".repeat(100));
        let err = capped(&text, 50).unwrap_err().to_string();
        assert!(err.contains("starting on line 3"), "{err}");
        assert!(err.contains("one line without a line break"), "{err}");
    }

    #[test]
    fn an_unclosed_quote_fails_naming_the_quote_line() {
        let text = format!("a,b\n1,\"open\n{}", "x,y\n".repeat(50));
        let err = capped(&text, 100).unwrap_err().to_string();
        assert!(err.contains("starting on line 2"), "{err}");
        assert!(err.contains("never closed"), "{err}");
    }

    #[test]
    fn a_header_wider_than_max_columns_fails_but_data_rows_may_be() {
        let err = capped("a,b,c,d,e,f\n", 100).unwrap_err().to_string();
        assert!(err.contains("more than 5 columns"), "{err}");
        assert!(capped("\n\na,b,c,d,e\n1,2,3,4,5,6,7,8\n", 100).is_ok());
    }

    #[test]
    fn a_quote_open_at_the_end_of_input_reports_its_line() {
        let mut cap = RecordCap::new("a,b\n1,2\n\n3,\"open\n4,5\n".as_bytes(), b',', 100, 5);
        let line = cap.unclosed_quote_line();
        cap.read_to_end(&mut Vec::new()).unwrap();
        assert_eq!(line.load(Ordering::Relaxed), 4);
        let mut closed = RecordCap::new("a,b\n1,\"x\ny\"\n".as_bytes(), b',', 100, 5);
        let line = closed.unclosed_quote_line();
        closed.read_to_end(&mut Vec::new()).unwrap();
        assert_eq!(line.load(Ordering::Relaxed), 0);
    }

    #[test]
    fn chunk_edges_do_not_change_the_outcome() {
        /// Hands out one byte per read.
        struct Bytewise<'a>(&'a [u8]);
        impl Read for Bytewise<'_> {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                let Some((&first, rest)) = self.0.split_first() else {
                    return Ok(0);
                };
                buf[0] = first;
                self.0 = rest;
                Ok(1)
            }
        }
        let text = "a,b\n\"x\"\"\ny\",2\n3,\"open,\n4\n";
        for max in [4, 8, 100] {
            let mut whole = RecordCap::new(text.as_bytes(), b',', max, 5);
            let mut single = RecordCap::new(Bytewise(text.as_bytes()), b',', max, 5);
            let (a, b) = (whole.unclosed_quote_line(), single.unclosed_quote_line());
            let got_whole = whole
                .read_to_end(&mut Vec::new())
                .map_err(|e| e.to_string());
            let mut buf = [0u8; 64];
            let got_single = loop {
                match single.read(&mut buf) {
                    Ok(0) => break Ok(text.len()),
                    Ok(_) => {}
                    Err(e) => break Err(e.to_string()),
                }
            };
            assert_eq!(got_whole, got_single, "max {max}");
            assert_eq!(
                a.load(Ordering::Relaxed),
                b.load(Ordering::Relaxed),
                "max {max}"
            );
        }
    }

    #[test]
    fn a_quote_inside_an_unquoted_field_is_content() {
        // `ab"c` does not open a quoted field, so each line is its own record.
        let text = "ab\"c,d\n".repeat(100);
        assert!(capped(&text, 10).is_ok());
    }

    /// Row sources of fixed outcomes.
    struct Fixed(Vec<RowOutcome>);

    impl RowSource for Fixed {
        fn next_batch(&mut self, max: usize, out: &mut Vec<RowOutcome>) -> anyhow::Result<bool> {
            out.clear();
            let n = max.min(self.0.len());
            out.extend(self.0.drain(..n));
            Ok(!out.is_empty())
        }

        fn bytes_read(&self) -> u64 {
            0
        }
    }

    fn drain(rows: &mut Guarded) -> anyhow::Result<Vec<RowOutcome>> {
        let mut all = Vec::new();
        let mut buf = Vec::new();
        while rows.next_batch(2, &mut buf)? {
            all.append(&mut buf);
        }
        Ok(all)
    }

    fn good(row: u64, fields: &[&str]) -> RowOutcome {
        RowOutcome::Row {
            row,
            line: row + 1,
            fields: fields.iter().map(|f| (*f).to_owned()).collect(),
        }
    }

    /// A row as `(row, line, reason, fields joined or raw)`.
    type Seen = (u64, u64, Option<RejectReason>, String);

    /// Everything `next_batch` yields, as [`Seen`] rows.
    fn drain_seen(rows: &mut Guarded) -> anyhow::Result<Vec<Seen>> {
        Ok(drain(rows)?
            .into_iter()
            .map(|o| match o {
                RowOutcome::Row { row, line, fields } => (row, line, None, fields.join(",")),
                RowOutcome::Bad {
                    row,
                    line,
                    reason,
                    raw,
                } => (row, line, Some(reason), raw),
            })
            .collect())
    }

    /// Everything `next_rows` yields.
    fn drain_rows(rows: &mut Guarded) -> anyhow::Result<Vec<Seen>> {
        let mut all = Vec::new();
        let mut batch = RowBatch::default();
        while rows.next_rows(2, &mut batch)? {
            for i in 0..batch.len() {
                all.push(match batch.get(i) {
                    BatchItem::Row { row, line, fields } => {
                        let text: Vec<&str> =
                            (0..fields.len()).filter_map(|f| fields.get(f)).collect();
                        (row, line, None, text.join(","))
                    }
                    BatchItem::Bad {
                        row,
                        line,
                        reason,
                        raw,
                    } => (row, line, Some(reason), raw.to_owned()),
                });
            }
        }
        Ok(all)
    }

    #[test]
    fn text_batches_get_the_same_checks_as_row_batches() {
        let long = "x".repeat(50);
        let outcomes = || {
            vec![
                good(1, &["b@x.ru", "B"]),
                good(2, &["c@x.ru", &long]),
                RowOutcome::Bad {
                    row: 3,
                    line: 4,
                    reason: RejectReason::RaggedRow,
                    raw: "q".into(),
                },
                good(4, &["d@x.ru", "D"]),
            ]
        };
        let limits = Limits {
            max_field_bytes: 10,
            ..Limits::default()
        };
        let first = || Some(vec!["a@x.ru".to_owned(), "A".to_owned()]);
        let mut by_rows = Guarded::new(
            Box::new(Fixed(outcomes())),
            limits,
            Path::new("t.csv"),
            first(),
        );
        let mut by_text = Guarded::new(
            Box::new(Fixed(outcomes())),
            limits,
            Path::new("t.csv"),
            first(),
        );
        let expected = drain_seen(&mut by_rows).unwrap();
        let got = drain_rows(&mut by_text).unwrap();
        assert_eq!(got, expected);
        assert_eq!(got.len(), 5, "the headerless first line and four rows");
        assert_eq!(got[2].2, Some(RejectReason::FieldTooLong));
        assert_eq!(got[3].2, Some(RejectReason::RaggedRow));
    }

    /// Batches handed over whole (no first row, nothing too long) and copied ones (the first
    /// line of a headerless file, a long field) yield the same rows as `next_batch`.
    #[test]
    fn handed_over_and_copied_batches_agree_with_row_batches() {
        let long = "x".repeat(20);
        let outcomes = || {
            (1..=9)
                .map(|i| good(i, &["a@x.ru", if i == 6 { &long } else { "A" }]))
                .collect::<Vec<_>>()
        };
        let limits = Limits {
            max_field_bytes: 10,
            ..Limits::default()
        };
        for first in [None, Some(vec!["z@x.ru".to_owned(), "Z".to_owned()])] {
            let guarded = || {
                Guarded::new(
                    Box::new(Fixed(outcomes())),
                    limits,
                    Path::new("t.csv"),
                    first.clone(),
                )
            };
            let expected = drain_seen(&mut guarded()).unwrap();
            let got = drain_rows(&mut guarded()).unwrap();
            assert_eq!(got, expected);
            let shift = u64::from(first.is_some());
            assert_eq!(got.len() as u64, 9 + shift);
            assert_eq!(
                got[(5 + shift) as usize].2,
                Some(RejectReason::FieldTooLong)
            );
            assert_eq!(
                got.last().unwrap().0,
                9 + shift,
                "rows renumbered after row 1"
            );
        }
    }

    #[test]
    fn a_headerless_first_line_becomes_row_one_and_the_rest_shift() {
        let inner = Fixed(vec![good(1, &["b@x.ru", "B"]), good(2, &["c@x.ru", "C"])]);
        let first = Some(vec!["a@x.ru".to_owned(), "A".to_owned()]);
        let mut rows = Guarded::new(
            Box::new(inner),
            Limits::default(),
            Path::new("t.csv"),
            first,
        );
        let got: Vec<(u64, u64)> = drain(&mut rows)
            .unwrap()
            .iter()
            .map(|o| match o {
                RowOutcome::Row { row, line, .. } | RowOutcome::Bad { row, line, .. } => {
                    (*row, *line)
                }
            })
            .collect();
        assert_eq!(got, [(1, 1), (2, 2), (3, 3)]);

        // A headerless file of one line is one row.
        let first = Some(vec!["a@x.ru".to_owned()]);
        let mut rows = Guarded::new(
            Box::new(Fixed(vec![])),
            Limits::default(),
            Path::new("t.csv"),
            first,
        );
        assert_eq!(drain(&mut rows).unwrap().len(), 1);
    }

    #[test]
    fn long_fields_are_rejected_and_the_row_cap_is_an_error() {
        let limits = Limits {
            max_field_bytes: 3,
            max_rows: 2,
            ..Limits::default()
        };
        let inner = Fixed(vec![good(1, &["abc", "d"]), good(2, &["abcd", "e"])]);
        let mut rows = Guarded::new(Box::new(inner), limits, Path::new("t.csv"), None);
        let all = drain(&mut rows).unwrap();
        assert!(matches!(all[0], RowOutcome::Row { .. }));
        assert!(matches!(
            &all[1],
            RowOutcome::Bad { row: 2, reason: RejectReason::FieldTooLong, raw, .. } if raw == "abcd,e"
        ));
        let inner = Fixed((1..=3).map(|i| good(i, &["a"])).collect());
        let mut rows = Guarded::new(Box::new(inner), limits, Path::new("t.csv"), None);
        let err = drain(&mut rows).unwrap_err().to_string();
        assert!(err.starts_with("t.csv: more than 2 data rows"), "{err}");
    }

    #[test]
    fn binary_signatures_and_control_bytes_are_refused() {
        let path = Path::new("x.csv");
        let zip = check_text(path, b"PK\x03\x04rest", false).unwrap_err();
        assert!(zip.to_string().contains("xlsx"), "{zip}");
        let nul = check_text(path, b"a\0b\0c\0,\0d\0\n\0", false).unwrap_err();
        assert!(nul.to_string().contains("--encoding utf16"), "{nul}");
        let junk = check_text(path, b"\x01\x02\x03\x04abc\x05def\n", false).unwrap_err();
        assert!(
            junk.to_string().starts_with("x.csv:1: not a CSV file"),
            "{junk}"
        );
        assert!(check_text(path, b"email,name\nx@y.z,A\0nna\n", false).is_ok());
        assert!(check_text(path, b"a\0b\0", true).is_ok());
    }

    #[test]
    fn data_in_the_header_row_is_recognised() {
        let row = |cells: &[&str]| cells.iter().map(|c| (*c).to_owned()).collect::<Vec<_>>();
        assert!(header_looks_like_data(&row(&["anna@mail.ru", "Anna"])));
        assert!(header_looks_like_data(&row(&["Anna", "+7 916 123-45-67"])));
        assert!(!header_looks_like_data(&row(&[
            "email",
            "phone",
            "Телефон"
        ])));
    }
}
