//! Reading contact exports: files and folders in, tables of raw string rows out.
//!
//! `open` dispatches on the file's content and name (`.csv`, `.tsv`, `.txt`, `.csv.gz`,
//! `.parquet`) and returns a [`Table`]: the header and a stream of row batches. Every CSV is read
//! as strings (no type inference), decoded to UTF-8 (see `encoding`), with its delimiter sniffed.
//! Rows that cannot be read become [`RowOutcome::Bad`] with a reject reason; they are never
//! dropped. Column roles are decided separately by `detect`; this module knows nothing of emails
//! or phones.
//!
//! Files are streamed: CSV (and gzip) never sits whole in memory. Parquet is the exception, as
//! polars' eager reader loads the file (see `parquet`). What this module does not do: read
//! Excel workbooks, zstd or zip archives, or recurse into sub-folders.

pub mod csv;
pub mod detect;
pub mod encoding;
pub mod guard;
pub mod parquet;
#[cfg(test)]
mod proptests;
pub mod spool;

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::{Context, anyhow, bail};

use crate::reject::RejectReason;

/// Text encodings omni can read. `Auto` sniffs: a BOM decides; else valid UTF-8 is UTF-8, and
/// anything else is read as Windows-1251 (the encoding Excel uses for Cyrillic exports).
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    clap::ValueEnum,
    serde::Serialize,
    serde::Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum EncodingChoice {
    /// Detect (BOM, then UTF-8 validity, else Windows-1251).
    #[default]
    Auto,
    /// UTF-8 (a BOM is skipped).
    Utf8,
    /// Windows-1251 (Cyrillic Windows / Excel).
    #[value(alias = "windows-1251")]
    Cp1251,
    /// Windows-1252 / Latin-1.
    #[value(alias = "windows-1252", alias = "latin1")]
    Cp1252,
    /// UTF-16 (little or big endian, by BOM; little endian without one).
    Utf16,
}

/// How to read files; filled from the CLI and config.
#[derive(Clone, Debug, Default)]
pub struct ReadOptions {
    /// Forced or sniffed encoding for CSV.
    pub encoding: EncodingChoice,
    /// Forced delimiter; `None` sniffs among `,` `;` tab `|`.
    pub delimiter: Option<u8>,
    /// Caps on field length, record size, rows and columns (issue 7; `guard`).
    pub limits: guard::Limits,
}

/// One input row, or the reason it could not be read.
#[derive(Clone, Debug, PartialEq)]
pub enum RowOutcome {
    /// A row with exactly as many fields as the header. Extra trailing fields that are all empty
    /// are dropped; a short row is padded only when the missing columns have empty header names
    /// (the header ended with a delimiter). Anything else is `Bad` with `ragged_row`.
    Row {
        /// 1-based data-row number (header not counted; Parquet: 1-based row index).
        row: u64,
        /// 1-based line in the file where the row starts (for messages; Parquet: `row`).
        line: u64,
        /// The fields, decoded to UTF-8, untrimmed.
        fields: Vec<String>,
    },
    /// A row that could not be used as a whole.
    Bad {
        /// 1-based data-row number.
        row: u64,
        /// 1-based line where the row starts.
        line: u64,
        /// Why (`ragged_row`, `unreadable_row`).
        reason: RejectReason,
        /// The raw row as text (lossy), for `rejects.csv`, capped at a few hundred characters.
        raw: String,
    },
}

/// What a reader found out about the file's format (reported by `inspect` and the report).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Format {
    /// `csv`, `csv.gz`, `parquet`.
    pub container: String,
    /// The encoding used to decode (`utf-8`, `windows-1251`, ...), empty for Parquet.
    pub encoding: String,
    /// The delimiter used, `None` for Parquet.
    pub delimiter: Option<u8>,
    /// The file had no header row: its first line looked like data (an email or a phone), so
    /// the columns are named `column_1`, `column_2`, ... and line 1 is row 1 (`guard`).
    pub headerless: bool,
    /// Columns left out because their type has no text form (Parquet nested, binary or
    /// unsupported columns; issue 16). Not in the headers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub skipped: Vec<SkippedColumn>,
}

/// A column the reader left out, with its type (see `parquet`).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SkippedColumn {
    /// The column's name in the file.
    pub name: String,
    /// Its type, as `list<utf8>`, `map`, `decimal(38,2)`.
    pub dtype: String,
    /// Why it is not read (`nested: ...`, `binary: ...`, `not supported`).
    pub kind: String,
}

/// A stream of rows from one file.
pub trait RowSource: Send {
    /// Reads up to `max` rows into `out` (cleared first). Returns false, with `out` empty, once
    /// the file is exhausted; a batch that reaches the end still returns true, so
    /// `while src.next_batch(n, &mut buf)? { ... }` sees every row. Fatal read errors (a
    /// truncated gzip, an I/O error) name `path:line`.
    fn next_batch(&mut self, max: usize, out: &mut Vec<RowOutcome>) -> anyhow::Result<bool>;
    /// The same rows as `next_batch`, in one text buffer (`out` is cleared first): no `String`
    /// or `Vec` per row, which is what `extract` reads millions of rows with. Same contract as
    /// `next_batch`. The default goes through `next_batch`; CSV fills the batch directly.
    fn next_rows(&mut self, max: usize, out: &mut RowBatch) -> anyhow::Result<bool> {
        out.clear();
        let mut rows = Vec::new();
        let more = self.next_batch(max, &mut rows)?;
        for outcome in &rows {
            out.push_outcome(outcome);
        }
        Ok(more)
    }
    /// Bytes of the file consumed so far (for progress; compressed bytes for `.gz`).
    fn bytes_read(&self) -> u64;
}

/// A batch of rows with every field in one text buffer: what [`RowSource::next_rows`] fills.
/// Reused from batch to batch, so reading allocates nothing per row once it is warm.
#[derive(Debug, Default)]
pub struct RowBatch {
    /// The fields of every row (and the raw text of bad rows), back to back.
    text: String,
    /// End offset in `text` of each field (a bad row has one "field": its raw text).
    ends: Vec<usize>,
    rows: Vec<BatchRow>,
}

/// One row of a [`RowBatch`]: its numbers and where its fields are.
#[derive(Clone, Copy, Debug)]
struct BatchRow {
    row: u64,
    line: u64,
    /// `Some(reason)` for a bad row.
    bad: Option<RejectReason>,
    /// Its fields are `ends[first..last]`, the first one starting at `start`.
    start: usize,
    first: usize,
    last: usize,
}

/// A row of a [`RowBatch`], borrowed.
#[derive(Clone, Copy, Debug)]
pub enum BatchItem<'a> {
    /// A readable row (see [`RowOutcome::Row`]).
    Row {
        /// 1-based data-row number.
        row: u64,
        /// 1-based line where the row starts.
        line: u64,
        /// Its fields.
        fields: Fields<'a>,
    },
    /// A row that could not be used (see [`RowOutcome::Bad`]).
    Bad {
        /// 1-based data-row number.
        row: u64,
        /// 1-based line where the row starts.
        line: u64,
        /// Why.
        reason: RejectReason,
        /// The raw row as text, capped.
        raw: &'a str,
    },
}

/// The fields of one row in a [`RowBatch`].
#[derive(Clone, Copy, Debug)]
pub struct Fields<'a> {
    text: &'a str,
    ends: &'a [usize],
    start: usize,
}

impl<'a> Fields<'a> {
    /// Field `i`, untrimmed; `None` past the last field.
    pub fn get(&self, i: usize) -> Option<&'a str> {
        let end = *self.ends.get(i)?;
        let start = if i == 0 { self.start } else { self.ends[i - 1] };
        Some(&self.text[start..end])
    }

    /// Number of fields.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// True for a row without fields.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }
}

impl RowBatch {
    /// Appends a row or a reject given as a [`RowOutcome`].
    pub fn push_outcome(&mut self, outcome: &RowOutcome) {
        match outcome {
            RowOutcome::Row { row, line, fields } => {
                self.push_row(*row, *line, fields.iter().map(String::as_str));
            }
            RowOutcome::Bad {
                row,
                line,
                reason,
                raw,
            } => self.push_bad(*row, *line, *reason, raw),
        }
    }

    /// Empties the batch, keeping its buffers.
    pub fn clear(&mut self) {
        self.text.clear();
        self.ends.clear();
        self.rows.clear();
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// True without rows.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Bytes of text held (to bound a batch by size as well as by rows).
    pub fn text_len(&self) -> usize {
        self.text.len()
    }

    /// Adds `by` to every row number (a guard that put a headerless file's first line ahead of
    /// the inner source's rows).
    pub(crate) fn shift_rows(&mut self, by: u64) {
        if by != 0 {
            for r in &mut self.rows {
                r.row += by;
            }
        }
    }

    /// Appends a readable row.
    pub fn push_row<'f>(&mut self, row: u64, line: u64, fields: impl IntoIterator<Item = &'f str>) {
        let (start, first) = (self.text.len(), self.ends.len());
        for field in fields {
            self.push_field(field);
        }
        self.end_row(row, line, start, first);
    }

    /// Appends one field of the row being built (see `end_row`).
    pub(crate) fn push_field(&mut self, field: &str) {
        self.text.push_str(field);
        self.ends.push(self.text.len());
    }

    /// Where the next row's text and fields start, for `push_field` ... `end_row`.
    pub(crate) fn mark(&self) -> (usize, usize) {
        (self.text.len(), self.ends.len())
    }

    /// Closes the row whose fields were pushed since `mark` returned `(start, first)`.
    pub(crate) fn end_row(&mut self, row: u64, line: u64, start: usize, first: usize) {
        self.rows.push(BatchRow {
            row,
            line,
            bad: None,
            start,
            first,
            last: self.ends.len(),
        });
    }

    /// Appends a bad row.
    pub fn push_bad(&mut self, row: u64, line: u64, reason: RejectReason, raw: &str) {
        let (start, first) = (self.text.len(), self.ends.len());
        self.push_field(raw);
        self.rows.push(BatchRow {
            row,
            line,
            bad: Some(reason),
            start,
            first,
            last: self.ends.len(),
        });
    }

    /// Row `i`.
    pub fn get(&self, i: usize) -> BatchItem<'_> {
        let r = self.rows[i];
        match r.bad {
            Some(reason) => BatchItem::Bad {
                row: r.row,
                line: r.line,
                reason,
                raw: &self.text[r.start..self.ends[r.first]],
            },
            None => BatchItem::Row {
                row: r.row,
                line: r.line,
                fields: Fields {
                    text: &self.text,
                    ends: &self.ends[r.first..r.last],
                    start: r.start,
                },
            },
        }
    }
}

/// An opened input file.
pub struct Table {
    /// The path as given (expanded from a folder if need be).
    pub path: PathBuf,
    /// Column names, trimmed, BOM removed. Duplicate names are kept as they are.
    pub headers: Vec<String>,
    /// What was detected about the format.
    pub format: Format,
    /// File size in bytes (for progress bars).
    pub size: u64,
    /// The rows.
    pub rows: Box<dyn RowSource>,
}

/// Extensions picked up inside folders (lowercase; matched case-insensitively).
const FOLDER_EXTENSIONS: [&str; 7] = [
    ".csv.gz", ".tsv.gz", ".txt.gz", ".parquet", ".csv", ".tsv", ".txt",
];

/// Extensions `file_stem` removes, longest first so that `.csv.gz` wins over `.gz`.
const STEM_EXTENSIONS: [&str; 9] = [
    ".csv.gz", ".tsv.gz", ".txt.gz", ".parquet", ".csv", ".tsv", ".txt", ".pq", ".gz",
];

/// Read-buffer size for files (256 KiB).
const FILE_BUFFER: usize = 256 * 1024;

/// Opens one file. Errors (not found, unreadable, not a table, over a limit) name the path.
///
/// The rows come through [`guard::Guarded`]: over-long fields become `field_too_long` rejects,
/// `max_rows` is enforced, and a CSV whose header row looks like data (an email or a phone in
/// it) is read as headerless, its first line becoming row 1 instead of being lost as names.
pub fn open(path: &Path, opts: &ReadOptions) -> anyhow::Result<Table> {
    open_as(path, path, opts)
}

/// [`open`] reading the file `read` but naming `path` in the table and in every message: how a
/// pipe's [`Spool`] is read under the name the user gave.
pub fn open_as(read: &Path, path: &Path, opts: &ReadOptions) -> anyhow::Result<Table> {
    let mut table = open_unguarded(read, path, opts)?;
    let limits = opts.limits;
    if table.headers.len() > limits.max_columns {
        bail!(
            "{}: {} columns, more than the limit of {} (max_columns in [limits] of omni.toml); \
             is the delimiter right? (--delimiter)",
            path.display(),
            table.headers.len(),
            limits.max_columns
        );
    }
    let mut first_row = None;
    if table.format.container.starts_with("csv") && guard::header_looks_like_data(&table.headers) {
        let generated = (1..=table.headers.len()).map(|i| format!("column_{i}"));
        // `clean_headers` named empty cells `column_N`; as data they are empty again.
        let fields = table
            .headers
            .iter()
            .zip(generated.clone())
            .map(|(cell, name)| {
                if *cell == name {
                    String::new()
                } else {
                    cell.clone()
                }
            })
            .collect();
        first_row = Some(fields);
        table.headers = generated.collect();
        table.format.headerless = true;
    }
    let rows = std::mem::replace(&mut table.rows, Box::new(NoRows));
    table.rows = Box::new(guard::Guarded::new(rows, limits, path, first_row));
    Ok(table)
}

/// A placeholder row source, swapped out at once in `open`.
struct NoRows;

impl RowSource for NoRows {
    fn next_batch(&mut self, _max: usize, out: &mut Vec<RowOutcome>) -> anyhow::Result<bool> {
        out.clear();
        Ok(false)
    }

    fn bytes_read(&self) -> u64 {
        0
    }
}

/// Opens one file without the guards of [`open`].
///
/// The container is chosen by content first: gzip magic bytes (`1f 8b`) mean gzip whatever the
/// name, Parquet magic (`PAR1`) or a `.parquet` name means Parquet, anything else is CSV.
fn open_unguarded(read: &Path, path: &Path, opts: &ReadOptions) -> anyhow::Result<Table> {
    let file = File::open(read).map_err(|e| not_found_or(path, e))?;
    let size = file
        .metadata()
        .map_err(|e| anyhow!("{}: {e}", path.display()))?
        .len();
    let bytes_read = Arc::new(AtomicU64::new(0));
    let counting = Counting {
        inner: file,
        count: Arc::clone(&bytes_read),
    };
    let mut reader = BufReader::with_capacity(FILE_BUFFER, counting);
    let magic = reader
        .fill_buf()
        .map_err(|e| anyhow!("{}: {e}", path.display()))?;
    let is_gzip = magic.starts_with(&[0x1f, 0x8b]);
    let is_parquet = magic.starts_with(b"PAR1") || has_extension(path, &[".parquet", ".pq"]);
    if is_parquet && !is_gzip {
        drop(reader);
        return parquet::open(read, path, size);
    }
    let source = csv::Source {
        path: path.to_path_buf(),
        size,
        gzip: is_gzip,
        bytes_read,
    };
    let raw: Box<dyn Read + Send> = if is_gzip {
        Box::new(flate2::read::MultiGzDecoder::new(reader))
    } else {
        Box::new(reader)
    };
    csv::open(source, raw, opts)
}

/// Expands folders into the input files inside them (not recursive into hidden entries), sorted
/// by path; files are returned as given. Unknown extensions inside folders are skipped; a file
/// named explicitly is always read. Also returns notes for the user on what a folder held but
/// was not read and should have been said (issue 16).
///
/// Inside a folder: regular files (symlinks followed) whose names end in `.csv`, `.tsv`, `.txt`,
/// `.csv.gz`, `.tsv.gz`, `.txt.gz` or `.parquet` (any case), not starting with `.`; sub-folders
/// are not entered. Said in a note and skipped: a symlink whose target is missing, an Excel or
/// OpenDocument workbook (`.xlsx`, `.xls`, `.ods`; not read), and omni's own output tables when
/// the folder is an out dir (it holds omni's `report.json`: `-o` pointing at the input folder).
/// A missing path, or a folder with no input files, is an error naming it.
pub fn expand(inputs: &[PathBuf]) -> anyhow::Result<(Vec<PathBuf>, Vec<String>)> {
    let mut files = Vec::new();
    let mut notes = Vec::new();
    for input in inputs {
        let meta = std::fs::metadata(input).map_err(|e| not_found_or(input, e))?;
        if !meta.is_dir() {
            files.push(input.clone());
            continue;
        }
        let mut found = folder_inputs(input, &mut notes)?;
        if found.is_empty() {
            bail!(
                "{}: folder has no input files (.csv, .tsv, .txt, .csv.gz, .parquet)",
                input.display()
            );
        }
        found.sort();
        files.append(&mut found);
    }
    Ok((files, notes))
}

/// Workbook extensions a folder of exports often holds; said, not read. Reading `.xlsx` with
/// calamine was measured (issue 16): 9 crates new to the tree (calamine, zip, zopfli,
/// quick-xml, ...), about 57 s of compile time in a debug build on 2 shared cores, for a format
/// users can save as CSV in one step: not worth it for now.
const WORKBOOK_EXTENSIONS: [&str; 3] = [".xlsx", ".xls", ".ods"];

/// The input files of one folder, with notes on the ones skipped for a reason worth saying.
fn folder_inputs(dir: &Path, notes: &mut Vec<String>) -> anyhow::Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    let mut outputs = Vec::new();
    let out_dir = is_out_dir(dir);
    let entries =
        std::fs::read_dir(dir).with_context(|| format!("reading folder {}", dir.display()))?;
    for entry in entries {
        let entry = entry.with_context(|| format!("reading folder {}", dir.display()))?;
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') {
            continue;
        }
        let target = std::fs::metadata(&path);
        let known = has_extension(&path, &FOLDER_EXTENSIONS);
        if target.is_err() && entry.file_type().is_ok_and(|t| t.is_symlink()) {
            notes.push(format!(
                "{}: a symbolic link to a missing file; skipped",
                path.display()
            ));
        } else if has_extension(&path, &WORKBOOK_EXTENSIONS) {
            notes.push(format!(
                "{}: a spreadsheet workbook, which omni does not read; skipped (save it as \
                 CSV UTF-8 from the spreadsheet program)",
                path.display()
            ));
        } else if known && out_dir && crate::output::OUTPUT_FILES.contains(&name.as_str()) {
            outputs.push(name);
        } else if known && target.is_ok_and(|m| m.is_file()) {
            found.push(path);
        }
    }
    if !outputs.is_empty() {
        outputs.sort();
        notes.push(format!(
            "{}: holds omni's outputs (an out dir), so {} {} not read as input; name a file \
             explicitly to read it, or keep -o apart from the inputs",
            dir.display(),
            outputs.join(", "),
            if outputs.len() == 1 { "is" } else { "are" }
        ));
    }
    notes.sort();
    Ok(found)
}

/// True for a folder omni wrote its outputs into: it holds a `report.json` and a
/// `profiles.csv` whose header is omni's (`profile_id,...`), or a `profiles.parquet`
/// (`--format parquet`).
fn is_out_dir(dir: &Path) -> bool {
    if !dir.join("report.json").is_file() {
        return false;
    }
    if dir.join("profiles.parquet").is_file() {
        return true;
    }
    let Ok(mut file) = File::open(dir.join("profiles.csv")) else {
        return false;
    };
    let mut head = [0u8; 64];
    let n = file.read(&mut head).unwrap_or(0);
    let mark = format!("{},", crate::output::tables::PROFILES_HEADER[0]);
    head[..n].starts_with(mark.as_bytes())
}

/// The source name for a file: its stem without `.csv`, `.csv.gz`, `.tsv`, `.parquet`.
///
/// Known extensions are removed case-insensitively (`Shop.CSV.GZ` → `Shop`); for any other name
/// only the last extension goes, as `Path::file_stem` does.
pub fn file_stem(path: &Path) -> String {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let lower = name.to_lowercase();
    for ext in STEM_EXTENSIONS {
        if lower.ends_with(ext)
            && lower.len() > ext.len()
            && name.is_char_boundary(name.len() - ext.len())
        {
            return name[..name.len() - ext.len()].to_owned();
        }
    }
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or(name)
}

fn has_extension(path: &Path, extensions: &[&str]) -> bool {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    extensions
        .iter()
        .any(|ext| name.ends_with(ext) && name.len() > ext.len())
}

/// `path: no such file or directory` for a missing path, `path: <error>` otherwise.
fn not_found_or(path: &Path, err: io::Error) -> anyhow::Error {
    if err.kind() == io::ErrorKind::NotFound {
        anyhow!("{}: no such file or directory", path.display())
    } else {
        anyhow!("{}: {err}", path.display())
    }
}

/// Cleans raw header names: trims, removes BOM remnants and surrounding quotes, and names empty
/// ones `column_N` (1-based). Duplicates are kept.
pub(crate) fn clean_headers(raw: Vec<String>) -> Vec<String> {
    raw.into_iter()
        .enumerate()
        .map(|(i, name)| {
            let name = name.replace('\u{feff}', "");
            let mut name = name.trim();
            for quote in ['"', '\''] {
                if name.len() >= 2 && name.starts_with(quote) && name.ends_with(quote) {
                    name = name[1..name.len() - 1].trim();
                }
            }
            if name.is_empty() {
                format!("column_{}", i + 1)
            } else {
                name.to_owned()
            }
        })
        .collect()
}

/// Characters of a bad row's raw text kept for `rejects.csv`.
pub const RAW_CAP: usize = 200;

/// Caps `raw` at [`RAW_CAP`] characters, marking a cut with `…`.
pub(crate) fn cap_raw(raw: &str) -> String {
    match raw.char_indices().nth(RAW_CAP) {
        Some((cut, _)) => format!("{}…", &raw[..cut]),
        None => raw.to_owned(),
    }
}

/// Counts the bytes read from the file for `RowSource::bytes_read`; shared through an atomic
/// because the source must be `Send` and the counter sits under decoders it cannot reach.
struct Counting<R> {
    inner: R,
    count: Arc<AtomicU64>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    fn edge(name: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("testdata/edge")
            .join(name)
    }

    fn read_all(table: &mut Table, batch: usize) -> Vec<RowOutcome> {
        let mut all = Vec::new();
        let mut buf = Vec::new();
        while table.rows.next_batch(batch, &mut buf).unwrap() {
            all.append(&mut buf);
        }
        all
    }

    fn open_all(path: &Path) -> (Table, Vec<RowOutcome>) {
        let mut table = open(path, &ReadOptions::default()).unwrap();
        let rows = read_all(&mut table, 1000);
        (table, rows)
    }

    /// `(row, line, fields)` of good rows; panics on a bad one.
    fn good(rows: &[RowOutcome]) -> Vec<(u64, u64, Vec<&str>)> {
        rows.iter()
            .map(|outcome| match outcome {
                RowOutcome::Row { row, line, fields } => {
                    (*row, *line, fields.iter().map(String::as_str).collect())
                }
                RowOutcome::Bad { .. } => panic!("unexpected bad row {outcome:?}"),
            })
            .collect()
    }

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn fixtures_open_with_sniffed_format() {
        let cases: [(&str, &str, u8, &[&str]); 7] = [
            ("bom.csv", "utf-8-bom", b',', &["email", "phone"]),
            (
                "excel_semicolon_cp1251.csv",
                "windows-1251",
                b';',
                &[
                    "ФИО",
                    "Телефон моб.",
                    "E-mail клиента",
                    "Номер карты",
                    "column_5",
                ],
            ),
            ("utf16.csv", "utf-16le", b',', &["email", "name"]),
            ("tab.tsv", "utf-8", b'\t', &["email", "name", "city"]),
            ("pipe.csv", "utf-8", b'|', &["email", "name", "amount"]),
            ("phones_as_floats.csv", "utf-8", b',', &["name", "phone"]),
            (
                "header_only.csv",
                "utf-8",
                b',',
                &["email", "phone", "name"],
            ),
        ];
        for (name, encoding, delimiter, headers) in cases {
            let (table, _) = open_all(&edge(name));
            assert_eq!(table.format.encoding, encoding, "{name}");
            assert_eq!(table.format.delimiter, Some(delimiter), "{name}");
            assert_eq!(table.format.container, "csv", "{name}");
            assert_eq!(table.headers, strings(headers), "{name}");
        }
    }

    #[test]
    fn excel_cp1251_rows_keep_trailing_semicolon_and_skip_empty_rows() {
        let (table, rows) = open_all(&edge("excel_semicolon_cp1251.csv"));
        assert_eq!(table.size, 204);
        let rows = good(&rows);
        assert_eq!(rows.len(), 3);
        assert_eq!(
            rows[0],
            (
                1,
                2,
                vec![
                    "Иванова Анна",
                    "+7 (916) 123-45-67",
                    "anna@example.com",
                    "2000123456789",
                    ""
                ]
            )
        );
        assert_eq!((rows[1].0, rows[1].1), (2, 4));
        assert_eq!(
            (rows[2].0, rows[2].1, rows[2].2[0]),
            (3, 5, "Сидоров, Иван")
        );
    }

    #[test]
    fn cp1251_written_by_encoding_rs_is_detected() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("shop.csv");
        let text = "Имя;Телефон\nЁжик;+7 916 000-00-00\n";
        std::fs::write(&path, encoding_rs::WINDOWS_1251.encode(text).0).unwrap();
        let (table, rows) = open_all(&path);
        assert_eq!(table.format.encoding, "windows-1251");
        assert_eq!(table.headers, strings(&["Имя", "Телефон"]));
        assert_eq!(good(&rows), [(1, 2, vec!["Ёжик", "+7 916 000-00-00"])]);
    }

    #[test]
    fn utf16_rows_are_decoded() {
        let (_, rows) = open_all(&edge("utf16.csv"));
        assert_eq!(good(&rows), [(1, 2, vec!["anna@example.com", "Анна"])]);
    }

    #[test]
    fn phones_stored_as_floats_come_through_as_text() {
        let (_, rows) = open_all(&edge("phones_as_floats.csv"));
        let phones: Vec<&str> = good(&rows).iter().map(|r| r.2[1]).collect();
        assert_eq!(phones, ["79161234567.0", "7.9131234567E10"]);
    }

    #[test]
    fn blank_lines_are_skipped_and_not_counted() {
        let (table, rows) = open_all(&edge("blank_lines.csv"));
        assert_eq!(table.headers, strings(&["email", "name"]));
        assert_eq!(
            good(&rows),
            [
                (1, 4, vec!["anna@example.com", "Anna"]),
                (2, 8, vec!["bob@example.com", "Bob"])
            ]
        );
    }

    #[test]
    fn ragged_rows_are_rejected_but_empty_extras_are_kept() {
        let (_, rows) = open_all(&edge("ragged.csv"));
        let ragged = |row: u64, line: u64, raw: &str| RowOutcome::Bad {
            row,
            line,
            reason: RejectReason::RaggedRow,
            raw: raw.to_owned(),
        };
        let expected = vec![
            RowOutcome::Row {
                row: 1,
                line: 2,
                fields: strings(&["a@example.com", "+79161234567", "Anna"]),
            },
            ragged(2, 3, "b@example.com,+79131234567"),
            ragged(3, 4, "c@example.com,+79031234567,Carl,extra"),
            RowOutcome::Row {
                row: 4,
                line: 5,
                fields: strings(&["d@example.com", "+79051234567", "Dora"]),
            },
        ];
        assert_eq!(rows, expected);
    }

    #[test]
    fn quoted_newlines_keep_row_start_lines() {
        let (_, rows) = open_all(&edge("quoted_newlines.csv"));
        assert_eq!(
            good(&rows),
            [
                (1, 2, vec!["a@example.com", "line one\nline two", "Anna"]),
                (2, 4, vec!["b@example.com", "says \"hi\", twice", "Bob"]),
                (3, 5, vec!["c@example.com", "x\ny\nz", "Carl"]),
            ]
        );
    }

    #[test]
    fn lines_stay_exact_across_small_batches_and_a_missing_final_newline() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.csv");
        std::fs::write(&path, "a,b\r\n1,2\r\n\r\n\"3\r\n\",4\r\n\r\n5,6").unwrap();
        let mut table = open(&path, &ReadOptions::default()).unwrap();
        let rows = read_all(&mut table, 1);
        let lines: Vec<(u64, u64)> = good(&rows).iter().map(|r| (r.0, r.1)).collect();
        assert_eq!(lines, [(1, 2), (2, 4), (3, 7)]);
        assert_eq!(table.rows.bytes_read(), table.size);
    }

    #[test]
    fn header_only_has_no_rows() {
        let (_, rows) = open_all(&edge("header_only.csv"));
        assert!(rows.is_empty());
    }

    #[test]
    fn empty_files_are_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let blank = dir.path().join("blank.csv");
        std::fs::write(&blank, "\n\r\n  \n").unwrap();
        for path in [edge("empty.csv"), blank] {
            let err = open(&path, &ReadOptions::default())
                .err()
                .expect("empty file must fail");
            assert_eq!(
                err.to_string(),
                format!("{}: empty file (no header row)", path.display())
            );
        }
    }

    #[test]
    fn headers_are_cleaned() {
        let raw = strings(&[" email ", "\u{feff}phone", "\"name\"", "", "email", "'id'"]);
        assert_eq!(
            clean_headers(raw),
            strings(&["email", "phone", "name", "column_4", "email", "id"])
        );
    }

    #[test]
    fn forced_options_override_sniffing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.txt");
        std::fs::write(&path, b"a;b,c\n1;2,3\n\xff;x,y\n").unwrap();
        let opts = ReadOptions {
            encoding: EncodingChoice::Utf8,
            delimiter: Some(b';'),
            ..ReadOptions::default()
        };
        let mut table = open(&path, &opts).unwrap();
        assert_eq!(table.headers, strings(&["a", "b,c"]));
        let rows = read_all(&mut table, 10);
        assert_eq!(good(&rows)[1].2, ["\u{fffd}", "x,y"]);
    }

    #[test]
    fn bad_row_raw_text_is_capped() {
        let long = "x".repeat(500);
        let capped = cap_raw(&long);
        assert_eq!(capped.chars().count(), RAW_CAP + 1);
        assert!(capped.ends_with('…'));
        assert_eq!(cap_raw("короткий"), "короткий");
    }

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        enc.write_all(bytes).unwrap();
        enc.finish().unwrap()
    }

    #[test]
    fn gzip_is_detected_by_magic_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let text = "email;phone\nanna@example.com;+7 916\n";
        for name in ["shop.csv.gz", "mislabelled.csv"] {
            let path = dir.path().join(name);
            let compressed = gzip(text.as_bytes());
            std::fs::write(&path, &compressed).unwrap();
            let mut table = open(&path, &ReadOptions::default()).unwrap();
            assert_eq!(table.format.container, "csv.gz", "{name}");
            assert_eq!(table.format.delimiter, Some(b';'));
            let rows = read_all(&mut table, 10);
            assert_eq!(good(&rows), [(1, 2, vec!["anna@example.com", "+7 916"])]);
            assert_eq!(
                table.rows.bytes_read(),
                compressed.len() as u64,
                "compressed bytes"
            );
        }
    }

    #[test]
    fn truncated_gzip_is_an_error_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cut.csv.gz");
        let body: String = (0..20_000)
            .map(|i| format!("user{i}@example.com,{i}\n"))
            .collect();
        let compressed = gzip(format!("email,n\n{body}").as_bytes());
        std::fs::write(&path, &compressed[..compressed.len() / 2]).unwrap();
        let err = match open(&path, &ReadOptions::default()) {
            Err(err) => err,
            Ok(mut table) => {
                let mut buf = Vec::new();
                loop {
                    match table.rows.next_batch(1000, &mut buf) {
                        Err(err) => break err,
                        Ok(more) => assert!(more, "a truncated gzip must not end cleanly"),
                    }
                }
            }
        };
        let message = err.to_string();
        assert!(
            message.starts_with(&path.display().to_string()),
            "{message}"
        );
        assert!(
            message.contains("gzip data is truncated or corrupt"),
            "{message}"
        );
    }

    #[test]
    fn file_stems_drop_known_extensions() {
        let cases = [
            ("exports/web_shop.csv.gz", "web_shop"),
            ("Loyalty.CSV", "Loyalty"),
            ("a/b/app.parquet", "app"),
            ("tills.tsv", "tills"),
            ("data.2024.csv", "data.2024"),
            ("notes.json", "notes"),
            ("README", "README"),
        ];
        for (path, stem) in cases {
            assert_eq!(file_stem(Path::new(path)), stem, "{path}");
        }
    }

    #[test]
    fn folders_expand_to_sorted_input_files() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for name in [
            "b.csv",
            "a.PARQUET",
            "c.csv.gz",
            "d.tsv",
            ".hidden.csv",
            "notes.md",
            "e.txt",
        ] {
            std::fs::write(root.join(name), "x").unwrap();
        }
        std::fs::create_dir(root.join("sub.csv")).unwrap();
        let named = root.join("notes.md");
        let (got, notes) = expand(&[root.to_path_buf(), named.clone()]).unwrap();
        assert!(notes.is_empty(), "{notes:?}");
        let expected: Vec<PathBuf> = ["a.PARQUET", "b.csv", "c.csv.gz", "d.tsv", "e.txt"]
            .iter()
            .map(|n| root.join(n))
            .chain([named])
            .collect();
        assert_eq!(got, expected);
    }

    #[test]
    fn expand_errors_name_the_path() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nope.csv");
        let err = expand(std::slice::from_ref(&missing)).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("{}: no such file or directory", missing.display())
        );
        let err = open(&missing, &ReadOptions::default())
            .err()
            .expect("missing file");
        assert_eq!(
            err.to_string(),
            format!("{}: no such file or directory", missing.display())
        );
        std::fs::write(dir.path().join("notes.md"), "x").unwrap();
        let err = expand(&[dir.path().to_path_buf()]).unwrap_err();
        assert!(err.to_string().starts_with(&format!(
            "{}: folder has no input files",
            dir.path().display()
        )));
    }
}
