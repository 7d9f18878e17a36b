//! CSV input: a UTF-8 byte stream in, a header and batches of [`RowOutcome`]s out.
//!
//! [`open`] takes the raw (already gunzipped) byte stream of a file, sniffs its encoding and
//! delimiter, reads the header, and returns a [`RowSource`] built on the `csv` crate with one
//! reused `ByteRecord` (its fast path, about 3.8M rows/s on one core).
//!
//! Row rules, in order:
//! - A record whose fields are all blank (an empty line, spaces only, or only delimiters, as Excel
//!   writes for empty rows) is skipped and does not count as a row.
//! - As many fields as the header: a row.
//! - More fields, all of the extra ones empty (a trailing `;` or `,`): a row, truncated.
//! - Fewer fields: a row, padded, only when every missing column has an empty header name (the
//!   header itself ended with a delimiter). Otherwise `ragged_row`: a short row is not padded,
//!   because a missing field usually means a shifted row rather than an empty value.
//! - Any other count: `ragged_row`.
//! - A record spanning more than [`MAX_RECORD_LINES`] lines is `unreadable_row`: almost always
//!   an unclosed quote swallowing the lines after it. (Record bytes and field length are capped
//!   by `guard`, configurable in `[limits]`.)
//!
//! Quoted fields may contain delimiters and newlines. Line endings are normalized to `\n` before
//! parsing (CRLF and bare CR alike), which keeps `line` numbers exact and turns embedded CRLFs into
//! `\n`. This module does not trim fields, infer types, or interpret values.

use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::{anyhow, bail};
use csv::ByteRecord;

use super::encoding::{self, SNIFF_LEN};
use super::{Format, ReadOptions, RowBatch, RowOutcome, RowSource, Table, cap_raw, clean_headers};
use crate::reject::RejectReason;

/// Bytes of decoded text the delimiter sniffer looks at (64 KiB).
pub const DELIMITER_SNIFF_LEN: usize = 64 * 1024;
/// Records the delimiter sniffer parses at most.
const SNIFF_RECORDS: usize = 100;
/// A record spanning more lines than this is rejected as unreadable.
pub const MAX_RECORD_LINES: u64 = 1_000;

/// Candidate delimiters, in the order ties are broken.
const DELIMITERS: [u8; 4] = [b',', b';', b'\t', b'|'];

/// Where the bytes come from, for `Format` and error messages.
pub struct Source {
    /// The file, for messages.
    pub path: PathBuf,
    /// The file size in bytes.
    pub size: u64,
    /// True for gzip input (`Format.container` is `csv.gz`).
    pub gzip: bool,
    /// Bytes of the file read so far, shared with the counting reader under `stream`.
    pub bytes_read: Arc<AtomicU64>,
}

/// Opens a CSV stream: sniffs the encoding (first 1 MiB) and delimiter (first 64 KiB of text),
/// reads the header and returns the table. `raw` yields the file's bytes, gunzipped if needed.
pub fn open(
    source: Source,
    raw: Box<dyn Read + Send>,
    opts: &ReadOptions,
) -> anyhow::Result<Table> {
    let path = source.path.clone();
    let io_context = |e: io::Error| io_error(&path, None, source.gzip, e);

    let (sample, raw) = peek(raw, SNIFF_LEN).map_err(io_context)?;
    let sniffed = encoding::sniff(&sample, sample.len() < SNIFF_LEN, opts.encoding);
    // Issue 7: refuse workbooks, archives and binaries before their bytes become column names.
    super::guard::check_text(&path, &sample, sniffed.label.starts_with("utf-16"))?;
    let text = encoding::decode(chain(sample, raw), sniffed).map_err(io_context)?;

    let (mut sample, text) = peek(text, DELIMITER_SNIFF_LEN).map_err(io_context)?;
    // Issue 16: Excel's `sep=;` first line names the delimiter; it is honoured and blanked.
    let excel_sep = take_excel_sep_line(&mut sample);
    let delimiter = opts.delimiter.or(excel_sep).unwrap_or_else(|| {
        let truncated = sample.len() == DELIMITER_SNIFF_LEN;
        sniff_delimiter(&sample, truncated, is_tsv_name(&path))
    });
    let text = chain(sample, text);
    let mut rows = CsvRows::new(path.clone(), text, delimiter, &opts.limits, &source);
    let headers = rows.read_header()?;
    let format = Format {
        container: if source.gzip { "csv.gz" } else { "csv" }.to_owned(),
        encoding: sniffed.label.to_owned(),
        delimiter: Some(delimiter),
        headerless: false,
        skipped: Vec::new(),
    };
    Ok(Table {
        path,
        headers,
        format,
        size: source.size,
        rows: Box::new(rows),
    })
}

/// Picks the delimiter among `,` `;` tab `|`: the one under which the most records after the
/// header have the header's field count (quotes respected), then the one giving the header more
/// fields; a delimiter that leaves the header a single field is never picked. With no
/// candidate at all (a one-column file), tab for `.tsv` names and `,` otherwise. `truncated`
/// says the sample ends mid-file, so its last record is ignored.
pub fn sniff_delimiter(sample: &[u8], truncated: bool, prefer_tab: bool) -> u8 {
    let mut order = DELIMITERS;
    if prefer_tab {
        order.sort_by_key(|&d| d != b'\t');
    }
    let mut best: Option<(u8, f64, usize)> = None;
    for delimiter in order {
        let counts = field_counts(sample, delimiter, truncated);
        let Some((&header, rows)) = counts.split_first() else {
            continue;
        };
        if header < 2 {
            continue;
        }
        let consistent = rows.iter().filter(|&&c| c == header).count();
        let share = if rows.is_empty() {
            1.0
        } else {
            consistent as f64 / rows.len() as f64
        };
        let better = match best {
            None => true,
            Some((_, best_share, best_header)) => {
                share > best_share + 1e-9 || (share > best_share - 1e-9 && header > best_header)
            }
        };
        if better {
            best = Some((delimiter, share, header));
        }
    }
    best.map_or(order[0], |(delimiter, _, _)| delimiter)
}

/// Field counts of the first non-blank records of `sample` under `delimiter`.
fn field_counts(sample: &[u8], delimiter: u8, truncated: bool) -> Vec<usize> {
    let mut rdr = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(sample);
    let mut record = ByteRecord::new();
    let mut counts = Vec::new();
    while counts.len() <= SNIFF_RECORDS {
        match rdr.read_byte_record(&mut record) {
            Ok(true) if is_blank_record(&record) => {}
            Ok(true) => counts.push(record.len()),
            Ok(false) | Err(_) => break,
        }
    }
    let at_end = counts.len() <= SNIFF_RECORDS;
    if truncated && at_end && counts.len() > 1 {
        counts.pop();
    }
    counts
}

fn is_tsv_name(path: &Path) -> bool {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    name.ends_with(".tsv") || name.ends_with(".tsv.gz")
}

/// Excel's delimiter hint: a first line `sep=;` (any case, any one ASCII punctuation or tab
/// after `=`, a BOM before it allowed), which Excel writes and reads but which is no header.
/// Returns the delimiter and blanks the line in `sample` (the newline stays, so the header
/// is still line 2 and the blank line is skipped like any other). `None` leaves `sample` as is.
fn take_excel_sep_line(sample: &mut Vec<u8>) -> Option<u8> {
    let start = if sample.starts_with("\u{feff}".as_bytes()) {
        3
    } else {
        0
    };
    let line = &sample[start..];
    let end = memchr::memchr(b'\n', line).unwrap_or(line.len());
    let text = line[..end].strip_suffix(b"\r").unwrap_or(&line[..end]);
    let [s, e, p, b'=', delimiter] = *text else {
        return None;
    };
    let sep = [s, e, p].eq_ignore_ascii_case(b"sep");
    if !sep || !(delimiter.is_ascii_punctuation() || delimiter == b'\t') || delimiter == b'"' {
        return None;
    }
    let len = text.len();
    sample.drain(start..start + len);
    Some(delimiter)
}

/// Reads up to `len` bytes from `reader`, returning them and the reader (not yet chained).
fn peek(
    mut reader: Box<dyn Read + Send>,
    len: usize,
) -> io::Result<(Vec<u8>, Box<dyn Read + Send>)> {
    let mut sample = Vec::with_capacity(len.min(1 << 16));
    (&mut reader).take(len as u64).read_to_end(&mut sample)?;
    Ok((sample, reader))
}

fn chain(sample: Vec<u8>, rest: Box<dyn Read + Send>) -> Box<dyn Read + Send> {
    Box::new(io::Cursor::new(sample).chain(rest))
}

fn is_blank_record(record: &ByteRecord) -> bool {
    record
        .iter()
        .all(|field| field.iter().all(u8::is_ascii_whitespace))
}

/// A fatal read error as `path:line: message`, with a gzip hint where it applies.
fn io_error(path: &Path, line: Option<u64>, gzip: bool, err: io::Error) -> anyhow::Error {
    let place = match line {
        Some(line) => format!("{}:{line}", path.display()),
        None => path.display().to_string(),
    };
    let damaged = matches!(
        err.kind(),
        io::ErrorKind::UnexpectedEof | io::ErrorKind::InvalidInput | io::ErrorKind::InvalidData
    );
    if gzip && damaged {
        anyhow!(
            "{place}: gzip data is truncated or corrupt ({err}); re-export or re-compress the file"
        )
    } else {
        anyhow!("{place}: {err}")
    }
}

/// What `CsvRows::next_record` found.
enum Next {
    /// A non-blank record, now in `CsvRows::record`, starting on this line.
    Record(u64),
    /// A record the parser rejected: its line and the parser's message.
    Unreadable(u64, String),
    /// End of input.
    End,
}

/// The CSV row stream behind a [`Table`].
struct CsvRows {
    path: PathBuf,
    rdr: csv::Reader<Box<dyn Read + Send>>,
    record: ByteRecord,
    /// Number of header fields.
    width: usize,
    /// Header fields from this index on had empty names (a trailing delimiter in the header).
    pad_from: usize,
    delimiter: u8,
    /// Data rows returned so far.
    row: u64,
    /// `rdr.position().line()` after the previous record.
    prev_line: u64,
    bytes_read: Arc<AtomicU64>,
    gzip: bool,
    done: bool,
    /// Start line of a last record whose quote never closed (0: none); see `guard::RecordCap`.
    unclosed_quote_line: Arc<AtomicU64>,
}

impl CsvRows {
    /// The row stream of `text` (decoded, the sniffed sample put back in front) under
    /// `delimiter`, before its header is read.
    fn new(
        path: PathBuf,
        text: Box<dyn Read + Send>,
        delimiter: u8,
        limits: &super::guard::Limits,
        source: &Source,
    ) -> CsvRows {
        // Issue 7: `RecordCap` bounds the bytes one record may buffer (memory on giant lines)
        // and reports a quote left open at the end of the file.
        let cap = super::guard::RecordCap::new(
            LineEnds::new(text),
            delimiter,
            limits.max_record_bytes,
            limits.max_columns,
        );
        let unclosed_quote_line = cap.unclosed_quote_line();
        let rdr = csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .has_headers(false)
            .flexible(true)
            .buffer_capacity(DELIMITER_SNIFF_LEN)
            .from_reader(Box::new(cap) as Box<dyn Read + Send>);
        CsvRows {
            path,
            rdr,
            record: ByteRecord::new(),
            width: 0,
            pad_from: 0,
            delimiter,
            row: 0,
            prev_line: 1,
            bytes_read: Arc::clone(&source.bytes_read),
            gzip: source.gzip,
            done: false,
            unclosed_quote_line,
        }
    }

    /// Reads the next non-blank record into `self.record`; returns its start line.
    /// Parse errors other than I/O are returned as `Next::Unreadable` (the reader resumes
    /// after them); I/O errors are fatal.
    fn next_record(&mut self) -> anyhow::Result<Next> {
        loop {
            match self.rdr.read_byte_record(&mut self.record) {
                Ok(false) => return Ok(Next::End),
                Ok(true) => {
                    let line = self.start_line();
                    if !is_blank_record(&self.record) {
                        return Ok(Next::Record(line));
                    }
                }
                Err(err) => {
                    let line = err.position().map_or(self.prev_line, |p| p.line());
                    return match err.into_kind() {
                        csv::ErrorKind::Io(e) => {
                            Err(io_error(&self.path, Some(line), self.gzip, e))
                        }
                        other => Ok(Next::Unreadable(line, format!("{other:?}"))),
                    };
                }
            }
        }
    }

    /// The line where the record just read starts. Input ends in `\n` and has no `\r` (see
    /// `LineEnds`), so the reader's line after a record is one past the record's last line.
    /// Blank lines skipped before the record and newlines inside quoted fields both add to the
    /// difference; the fields are scanned for the latter only when the difference is over 1.
    fn start_line(&mut self) -> u64 {
        let end = self.rdr.position().line();
        let before = self.prev_line;
        let spanned = end.saturating_sub(before);
        self.prev_line = end;
        let inner = if spanned > 1 {
            memchr::memchr_iter(b'\n', self.record.as_slice()).count() as u64
        } else {
            0
        };
        // A quoted field left open at the end of input has no terminator: `before` bounds the
        // start from below.
        end.saturating_sub(1 + inner).max(before)
    }

    fn read_header(&mut self) -> anyhow::Result<Vec<String>> {
        match self.next_record()? {
            Next::Record(_) => {}
            Next::End => bail!("{}: empty file (no header row)", self.path.display()),
            Next::Unreadable(line, why) => {
                bail!(
                    "{}:{line}: cannot read the header row: {why}",
                    self.path.display()
                )
            }
        }
        let raw: Vec<String> = self.record.iter().map(field_string).collect();
        self.width = raw.len();
        self.pad_from = raw
            .iter()
            .rposition(|name| !name.trim().is_empty())
            .map_or(0, |i| i + 1);
        Ok(clean_headers(raw))
    }

    /// Why the record just read cannot be a row, if it cannot.
    fn problem(&self, line: u64) -> Option<RejectReason> {
        let record = &self.record;
        let spanned = self.prev_line.saturating_sub(line);
        // Issue 7: record size is capped by `guard::RecordCap` (`[limits] max_record_bytes`) and
        // field length by `guard::Guarded` (`field_too_long`), so only the line span is checked.
        // A quote open until the end of the file swallowed every line after it (issue 7).
        let unclosed = self.unclosed_quote_line.load(Ordering::Relaxed) == line;
        if spanned > MAX_RECORD_LINES || unclosed {
            return Some(RejectReason::UnreadableRow);
        }
        let n = record.len();
        let fits = n == self.width
            || (n > self.width && record.iter().skip(self.width).all(<[u8]>::is_empty))
            || (n < self.width && n >= self.pad_from);
        // Issue 7: a record over several lines with the wrong field count is a quote opened and
        // never closed (it swallowed the following lines), not a shifted row.
        match (fits, spanned > 1) {
            (true, _) => None,
            (false, true) => Some(RejectReason::UnreadableRow),
            (false, false) => Some(RejectReason::RaggedRow),
        }
    }

    /// Turns the record just read into a row or a reject.
    fn outcome(&self, row: u64, line: u64) -> RowOutcome {
        if let Some(reason) = self.problem(line) {
            return self.bad(row, line, reason);
        }
        let record = &self.record;
        let mut fields: Vec<String> = record.iter().take(self.width).map(field_string).collect();
        fields.resize(self.width, String::new());
        RowOutcome::Row { row, line, fields }
    }

    /// `outcome` straight into a batch: the fields are copied once into its text buffer.
    fn push_outcome(&self, row: u64, line: u64, out: &mut RowBatch) {
        if let Some(reason) = self.problem(line) {
            return self.push_bad(row, line, reason, out);
        }
        let record = &self.record;
        let n = record.len();
        // One UTF-8 check for the whole record; a field is then valid when both its ends fall
        // on character boundaries (the slicing checks that). Otherwise it is decoded lossily
        // on its own, as `field_string` does.
        let whole = std::str::from_utf8(record.as_slice()).ok();
        let (start, first) = out.mark();
        let mut at = 0;
        for field in record.iter().take(self.width) {
            let end = at + field.len();
            match whole.and_then(|text| text.get(at..end)) {
                Some(text) => out.push_field(text),
                None => out.push_field(&String::from_utf8_lossy(field)),
            }
            at = end;
        }
        for _ in n..self.width {
            out.push_field("");
        }
        out.end_row(row, line, start, first);
    }

    fn push_bad(&self, row: u64, line: u64, reason: RejectReason, out: &mut RowBatch) {
        if let RowOutcome::Bad { raw, .. } = self.bad(row, line, reason) {
            out.push_bad(row, line, reason, &raw);
        }
    }

    fn bad(&self, row: u64, line: u64, reason: RejectReason) -> RowOutcome {
        let delimiter = char::from(self.delimiter).to_string();
        // At most RAW_CAP fields: every field adds a character, and a row of millions of empty
        // fields must not become millions of Strings (issue 7).
        let joined: Vec<String> = self
            .record
            .iter()
            .take(super::RAW_CAP + 1)
            .map(field_string)
            .collect();
        RowOutcome::Bad {
            row,
            line,
            reason,
            raw: cap_raw(&joined.join(&delimiter)),
        }
    }
}

impl RowSource for CsvRows {
    fn next_batch(&mut self, max: usize, out: &mut Vec<RowOutcome>) -> anyhow::Result<bool> {
        out.clear();
        while !self.done && out.len() < max.max(1) {
            match self.next_record()? {
                Next::End => self.done = true,
                Next::Record(line) => {
                    self.row += 1;
                    out.push(self.outcome(self.row, line));
                }
                Next::Unreadable(line, why) => {
                    self.row += 1;
                    let reason = RejectReason::UnreadableRow;
                    out.push(RowOutcome::Bad {
                        row: self.row,
                        line,
                        reason,
                        raw: cap_raw(&why),
                    });
                }
            }
        }
        Ok(!out.is_empty())
    }

    fn next_rows(&mut self, max: usize, out: &mut RowBatch) -> anyhow::Result<bool> {
        out.clear();
        while !self.done && out.len() < max.max(1) && out.text_len() < MAX_BATCH_TEXT {
            match self.next_record()? {
                Next::End => self.done = true,
                Next::Record(line) => {
                    self.row += 1;
                    self.push_outcome(self.row, line, out);
                }
                Next::Unreadable(line, why) => {
                    self.row += 1;
                    let reason = RejectReason::UnreadableRow;
                    out.push_bad(self.row, line, reason, &cap_raw(&why));
                }
            }
        }
        Ok(!out.is_empty())
    }

    fn bytes_read(&self) -> u64 {
        self.bytes_read.load(Ordering::Relaxed)
    }
}

/// A batch stops growing past this much text (64 MiB), whatever its row count.
const MAX_BATCH_TEXT: usize = 64 << 20;

/// A field as a `String`; invalid UTF-8 (possible only in UTF-8 pass-through) is replaced
/// lossily with U+FFFD.
fn field_string(field: &[u8]) -> String {
    match std::str::from_utf8(field) {
        Ok(text) => text.to_owned(),
        Err(_) => String::from_utf8_lossy(field).into_owned(),
    }
}

/// Rewrites line endings to `\n` (CRLF and bare CR) and makes sure the stream ends with `\n`.
/// Works in place in the caller's buffer; a chunk without `\r` is passed on untouched after one
/// `memchr` scan.
struct LineEnds<R> {
    inner: R,
    /// The previous chunk ended in `\r`, so a `\n` starting the next one belongs to it.
    after_cr: bool,
    /// The last byte handed out, to add a final `\n` when it is missing.
    last: Option<u8>,
    eof: bool,
}

impl<R: Read> LineEnds<R> {
    fn new(inner: R) -> Self {
        LineEnds {
            inner,
            after_cr: false,
            last: None,
            eof: false,
        }
    }
}

impl<R: Read> Read for LineEnds<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        loop {
            if self.eof {
                return Ok(0);
            }
            let n = encoding::read_retrying(&mut self.inner, buf)?;
            if n == 0 {
                self.eof = true;
                if self.last.is_some_and(|b| b != b'\n') {
                    buf[0] = b'\n';
                    self.last = Some(b'\n');
                    return Ok(1);
                }
                return Ok(0);
            }
            let kept = self.normalize(&mut buf[..n]);
            if kept > 0 {
                self.last = Some(buf[kept - 1]);
                return Ok(kept);
            }
        }
    }
}

impl<R> LineEnds<R> {
    /// Normalizes `chunk` in place; returns how many bytes remain.
    fn normalize(&mut self, chunk: &mut [u8]) -> usize {
        let skip_first = self.after_cr && chunk[0] == b'\n';
        self.after_cr = false;
        if !skip_first && memchr::memchr(b'\r', chunk).is_none() {
            return chunk.len();
        }
        let mut write = 0;
        let mut read = usize::from(skip_first);
        while read < chunk.len() {
            let byte = chunk[read];
            read += 1;
            if byte == b'\r' {
                chunk[write] = b'\n';
                write += 1;
                if read < chunk.len() && chunk[read] == b'\n' {
                    read += 1;
                } else if read == chunk.len() {
                    self.after_cr = true;
                }
            } else {
                chunk[write] = byte;
                write += 1;
            }
        }
        write
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excel_sep_lines_name_the_delimiter_and_are_blanked() {
        let cases: [(&str, Option<u8>, &str); 8] = [
            ("sep=;\r\nemail;name\r\n", Some(b';'), "\r\nemail;name\r\n"),
            ("SEP=,\nemail\n", Some(b','), "\nemail\n"),
            ("\u{feff}sep=|\nemail\n", Some(b'|'), "\u{feff}\nemail\n"),
            ("sep=\t\nemail\n", Some(b'\t'), "\nemail\n"),
            ("sep=;", Some(b';'), ""),
            ("sep=ab\nemail\n", None, "sep=ab\nemail\n"),
            ("sep=\"\nemail\n", None, "sep=\"\nemail\n"),
            ("email,sep=;\n", None, "email,sep=;\n"),
        ];
        for (text, delimiter, rest) in cases {
            let mut sample = text.as_bytes().to_vec();
            assert_eq!(take_excel_sep_line(&mut sample), delimiter, "{text:?}");
            assert_eq!(String::from_utf8(sample).unwrap(), rest, "{text:?}");
        }
    }

    fn normalized(input: &[u8], chunk: usize) -> Vec<u8> {
        struct Chunky<'a>(&'a [u8], usize);
        impl Read for Chunky<'_> {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                let n = self.0.len().min(self.1).min(buf.len());
                buf[..n].copy_from_slice(&self.0[..n]);
                self.0 = &self.0[n..];
                Ok(n)
            }
        }
        let mut out = Vec::new();
        LineEnds::new(Chunky(input, chunk))
            .read_to_end(&mut out)
            .unwrap();
        out
    }

    #[test]
    fn line_endings_become_lf_across_chunk_edges() {
        let cases: [(&[u8], &[u8]); 5] = [
            (b"a\r\nb\r\n", b"a\nb\n"),
            (b"a\rb\r", b"a\nb\n"),
            (b"a\nb", b"a\nb\n"),
            (b"a\r\n\r\nb\n", b"a\n\nb\n"),
            (b"", b""),
        ];
        for (input, expected) in cases {
            for chunk in [1, 2, 3, 64] {
                assert_eq!(
                    normalized(input, chunk),
                    expected,
                    "{input:?} in chunks of {chunk}"
                );
            }
        }
    }

    #[test]
    fn unclosed_quote_becomes_one_unreadable_row() {
        let text = format!("a,b\n1,2\n3,\"open\n{}", "x,y\n".repeat(1_200));
        let source = Source {
            path: PathBuf::from("t.csv"),
            size: text.len() as u64,
            gzip: false,
            bytes_read: Arc::default(),
        };
        let raw: Box<dyn Read + Send> = Box::new(io::Cursor::new(text.into_bytes()));
        let mut table = open(source, raw, &ReadOptions::default()).unwrap();
        let mut out = Vec::new();
        assert!(table.rows.next_batch(10, &mut out).unwrap());
        assert!(matches!(
            out[0],
            RowOutcome::Row {
                row: 1,
                line: 2,
                ..
            }
        ));
        match &out[1] {
            RowOutcome::Bad {
                row: 2,
                line: 3,
                reason: RejectReason::UnreadableRow,
                raw,
            } => {
                assert!(raw.starts_with("3,open\nx,y"), "{raw}");
                assert!(raw.chars().count() <= crate::input::RAW_CAP + 1);
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(out.len(), 2);
    }

    #[test]
    fn delimiter_is_sniffed() {
        let cases: [(&str, &str, bool, u8); 9] = [
            ("comma", "a,b,c\n1,2,3\n4,5,6\n", false, b','),
            ("semicolon", "a;b;c\n1;2;3\n", false, b';'),
            ("tab", "a\tb\n1\t2\n", false, b'\t'),
            ("pipe", "a|b|c\n1|2|3\n", false, b'|'),
            (
                "semicolon with commas in values",
                "name;city;phone\nAnna;Moscow, Tverskaya 1;+7 916\nBob;Omsk, Lenina, 2;8 913\n",
                false,
                b';',
            ),
            (
                "quoted delimiters",
                "a,b\n\"x;y;z\",2\n\"p;q;r\",3\n",
                false,
                b',',
            ),
            (
                "quoted commas",
                "a;b\n\"1,2,3\";x\n\"4,5\";y\n",
                false,
                b';',
            ),
            (
                "single column defaults to comma",
                "email\nx@y.z\n",
                false,
                b',',
            ),
            (
                "single column tsv defaults to tab",
                "email\nx@y.z\n",
                true,
                b'\t',
            ),
        ];
        for (name, sample, prefer_tab, expected) in cases {
            let got = sniff_delimiter(sample.as_bytes(), false, prefer_tab);
            assert_eq!(char::from(got), char::from(expected), "{name}");
        }
    }

    #[test]
    fn truncated_sample_ignores_its_cut_last_record() {
        let sample = "a;b;c\n1;2;3\n4;5;6\n7;8";
        assert_eq!(sniff_delimiter(sample.as_bytes(), true, false), b';');
    }
}
