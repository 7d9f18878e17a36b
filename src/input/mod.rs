//! Reading contact exports: files and folders in, tables of raw string rows out.
//!
//! `open` dispatches on the file's content and name (`.csv`, `.tsv`, `.txt`, `.csv.gz`,
//! `.parquet`) and returns a [`Table`]: the header and a stream of row batches. Every CSV is read
//! as strings (no type inference), decoded to UTF-8 (see `encoding`), with its delimiter sniffed.
//! Rows that cannot be read become [`RowOutcome::Bad`] with a reject reason; they are never
//! dropped. Column roles are decided separately by `detect`; this module knows nothing of emails
//! or phones.

pub mod csv;
pub mod detect;
pub mod encoding;
pub mod parquet;

use std::path::{Path, PathBuf};

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
}

/// One input row, or the reason it could not be read.
#[derive(Clone, Debug, PartialEq)]
pub enum RowOutcome {
    /// A row with exactly as many fields as the header (shorter rows are padded with empty
    /// fields only when the trailing fields are missing entirely? No: see `RaggedRow`).
    Row {
        /// 1-based data-row number (header not counted; Parquet: 1-based row index).
        row: u64,
        /// 1-based line in the file where the row starts (for messages; Parquet: `row + 0`).
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
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Format {
    /// `csv`, `csv.gz`, `parquet`.
    pub container: String,
    /// The encoding used to decode (`utf-8`, `windows-1251`, ...), empty for Parquet.
    pub encoding: String,
    /// The delimiter used, `None` for Parquet.
    pub delimiter: Option<u8>,
}

/// A stream of rows from one file.
pub trait RowSource: Send {
    /// Reads up to `max` rows into `out` (cleared first). Returns false at end of file.
    fn next_batch(&mut self, max: usize, out: &mut Vec<RowOutcome>) -> anyhow::Result<bool>;
    /// Bytes of the file consumed so far (for progress; compressed bytes for `.gz`).
    fn bytes_read(&self) -> u64;
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

/// Opens one file. Errors (not found, unreadable, not a table) name the path.
pub fn open(path: &Path, opts: &ReadOptions) -> anyhow::Result<Table> {
    let _ = (path, opts);
    unimplemented!("input::open")
}

/// Expands folders into the input files inside them (not recursive into hidden entries), sorted
/// by path; files are returned as given. Unknown extensions inside folders are skipped; a file
/// named explicitly is always read.
pub fn expand(inputs: &[PathBuf]) -> anyhow::Result<Vec<PathBuf>> {
    let _ = inputs;
    unimplemented!("input::expand")
}

/// The source name for a file: its stem without `.csv`, `.csv.gz`, `.tsv`, `.parquet`.
pub fn file_stem(path: &Path) -> String {
    let _ = path;
    unimplemented!("input::file_stem")
}
