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
pub mod parquet;

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
    /// Reads up to `max` rows into `out` (cleared first). Returns false, with `out` empty, once
    /// the file is exhausted; a batch that reaches the end still returns true, so
    /// `while src.next_batch(n, &mut buf)? { ... }` sees every row. Fatal read errors (a
    /// truncated gzip, an I/O error) name `path:line`.
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

/// Known input extensions, lowercase, longest first so that `.csv.gz` wins over `.gz`.
const EXTENSIONS: [&str; 9] = [
    ".csv.gz", ".tsv.gz", ".txt.gz", ".parquet", ".csv", ".tsv", ".txt", ".pq", ".gz",
];

/// Read-buffer size for files (256 KiB).
const FILE_BUFFER: usize = 256 * 1024;

/// Opens one file. Errors (not found, unreadable, not a table) name the path.
///
/// The container is chosen by content first: gzip magic bytes (`1f 8b`) mean gzip whatever the
/// name, Parquet magic (`PAR1`) or a `.parquet` name means Parquet, anything else is CSV.
pub fn open(path: &Path, opts: &ReadOptions) -> anyhow::Result<Table> {
    let file = File::open(path).map_err(|e| not_found_or(path, e))?;
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
        return parquet::open(path, size);
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
/// named explicitly is always read.
///
/// Inside a folder: regular files (symlinks followed) whose names end in `.csv`, `.tsv`, `.txt`,
/// `.csv.gz`, `.tsv.gz`, `.txt.gz` or `.parquet` (any case), not starting with `.`; sub-folders
/// are not entered. A missing path, or a folder with no input files, is an error naming it.
pub fn expand(inputs: &[PathBuf]) -> anyhow::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for input in inputs {
        let meta = std::fs::metadata(input).map_err(|e| not_found_or(input, e))?;
        if !meta.is_dir() {
            files.push(input.clone());
            continue;
        }
        let mut found = folder_inputs(input)?;
        if found.is_empty() {
            bail!(
                "{}: folder has no input files (.csv, .tsv, .txt, .csv.gz, .parquet)",
                input.display()
            );
        }
        found.sort();
        files.append(&mut found);
    }
    Ok(files)
}

fn folder_inputs(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    let entries =
        std::fs::read_dir(dir).with_context(|| format!("reading folder {}", dir.display()))?;
    for entry in entries {
        let entry = entry.with_context(|| format!("reading folder {}", dir.display()))?;
        let path = entry.path();
        let hidden = entry.file_name().to_string_lossy().starts_with('.');
        let is_file = std::fs::metadata(&path).is_ok_and(|m| m.is_file());
        let known = has_extension(&path, &EXTENSIONS[..EXTENSIONS.len() - 2]);
        if !hidden && is_file && known {
            found.push(path);
        }
    }
    Ok(found)
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
    for ext in EXTENSIONS {
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
