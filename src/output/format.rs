//! `--format parquet`: the tables `profiles`, `links`, `rejects`, `edges`, `refused` and
//! `contacts` as Parquet files (`NAME.parquet`) instead of CSV, for programs and clusters.
//!
//! The tables are formatted by the CSV writers as always (`tables`, `contacts`), into the
//! staging area of the [`OutDir`], then converted here and the CSV files discarded before the
//! commit: the Parquet tables hold the same rows, in the same order, with the same values, by
//! construction, and the swap stays atomic. The cost is one more pass over the formatted bytes.
//!
//! The schema ([`column_type`]): every column is nullable and an empty CSV cell is a null;
//! counts and row numbers (`row`, `parent_row`, `records`, `purchases`) are `Int64` (signed:
//! Spark, Hive and BigQuery have no unsigned 64-bit type, and no count comes near 2^63),
//! `amount_total` is `Float64` (written to the CSV with two decimals, which it gives back
//! exactly), every other column is UTF-8 text: ids, names, `|`-joined lists, and timestamps as
//! the same text as in the CSV (`YYYY-MM-DD` or `YYYY-MM-DD HH:MM:SS`, UTC: a date-only value
//! stays distinguishable from midnight). The values are never escaped for spreadsheets
//! (`--csv-escape` is about CSV files opened in a spreadsheet), so the tables are written
//! unescaped before the conversion. Snappy-compressed, one row group per table (the writer's
//! default row group size applies).
//!
//! [`read_as_csv`] is the way back, for the commands that read an out dir (`omni explain`,
//! `omni export`): the rows as the CSV table would hold them (unescaped).

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, anyhow, bail};
use polars::prelude::{
    Column, DataFrame, DataType, Field, IntoColumn, NamedFrom, ParquetCompression, ParquetReader,
    ParquetWriter, Schema, SerReader, Series, StringChunkedBuilder,
};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::escape::CsvEscape;
use super::{OutDir, OutFile};

/// How the tables are written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum TableFormat {
    /// CSV files (`profiles.csv`, ...).
    #[default]
    Csv,
    /// Parquet files (`profiles.parquet`, ...).
    Parquet,
}

/// The tables written as Parquet with `--format parquet`, by stem. `changes.csv`,
/// `redirects.csv` and `probabilistic.csv` stay CSV: small logs for people (docs/state.md).
pub const TABLES: [&str; 6] = [
    "profiles", "links", "rejects", "edges", "refused", "contacts",
];

/// The file name of the table `stem` (`rejects`) in `format`.
pub fn file_name(stem: &str, format: TableFormat) -> String {
    match format {
        TableFormat::Csv => format!("{stem}.csv"),
        TableFormat::Parquet => format!("{stem}.parquet"),
    }
}

/// How the CSV writers escape formula cells for `format`: as asked for CSV; never for
/// Parquet, whose values are read by programs, not spreadsheets.
pub fn table_escape(format: TableFormat, escape: CsvEscape) -> CsvEscape {
    match format {
        TableFormat::Csv => escape,
        TableFormat::Parquet => CsvEscape::None,
    }
}

/// The type of a column in the Parquet tables.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColumnType {
    Text,
    /// Counts and row numbers.
    Count,
    /// Money: two decimals in the CSV.
    Amount,
}

/// The type of the column `name` (the same name means the same thing in every table).
pub fn column_type(name: &str) -> ColumnType {
    match name {
        "row" | "parent_row" | "records" | "purchases" => ColumnType::Count,
        "amount_total" => ColumnType::Amount,
        _ => ColumnType::Text,
    }
}

/// Converts every table of [`TABLES`] written to `out` as CSV to Parquet, in parallel, and
/// discards the CSV files. Errors name the staged file.
pub fn convert_tables(out: &mut OutDir) -> anyhow::Result<()> {
    let mut jobs: Vec<(String, PathBuf, OutFile)> = Vec::new();
    for stem in TABLES {
        let csv = format!("{stem}.csv");
        if let Some(path) = out.staged(&csv) {
            jobs.push((csv, path, out.file(&format!("{stem}.parquet"))?));
        }
    }
    let done: Vec<anyhow::Result<String>> = jobs
        .into_par_iter()
        .map(|(csv, path, mut file)| {
            convert(&path, &mut file, ROWS_PER_GROUP)?;
            OutDir::finish(file)?;
            Ok(csv)
        })
        .collect();
    for csv in done {
        out.discard(&csv?)?;
    }
    Ok(())
}

/// Rows per row group: what one table holds in memory at a time while it is converted.
const ROWS_PER_GROUP: usize = 1 << 20;

/// Converts the CSV table at `path` into `file`, one row group of `per_group` rows at a time.
fn convert(path: &Path, file: &mut impl Write, per_group: usize) -> anyhow::Result<()> {
    let fail = |e: polars::prelude::PolarsError| {
        anyhow!("{}: cannot write as Parquet: {e}", path.display())
    };
    let mut rdr = csv::ReaderBuilder::new()
        .from_path(path)
        .with_context(|| format!("{}: cannot read", path.display()))?;
    let header = rdr
        .headers()
        .with_context(|| format!("{}: cannot read the header", path.display()))?
        .clone();
    let schema: Schema = header
        .iter()
        .map(|name| Field::new(name.into(), dtype(column_type(name))))
        .collect();
    let mut writer = ParquetWriter::new(&mut *file)
        .with_compression(ParquetCompression::Snappy)
        .batched(&schema)
        .map_err(fail)?;
    // An empty table has no row group; its schema is in the footer.
    loop {
        let (group, more) = read_group(&mut rdr, &header, path, per_group)?;
        if group.height() > 0 {
            writer.write_batch(&group).map_err(fail)?;
        }
        if !more {
            break;
        }
    }
    writer.finish().map_err(fail)?;
    Ok(())
}

/// The polars type of a [`ColumnType`].
fn dtype(column: ColumnType) -> DataType {
    match column {
        ColumnType::Text => DataType::String,
        ColumnType::Count => DataType::Int64,
        ColumnType::Amount => DataType::Float64,
    }
}

/// One column being filled from the CSV rows.
enum Builder {
    Text(StringChunkedBuilder),
    Count(Vec<Option<i64>>),
    Amount(Vec<Option<f64>>),
}

impl Builder {
    fn new(name: &str) -> Builder {
        match column_type(name) {
            ColumnType::Text => Builder::Text(StringChunkedBuilder::new(name.into(), 1024)),
            ColumnType::Count => Builder::Count(Vec::new()),
            ColumnType::Amount => Builder::Amount(Vec::new()),
        }
    }

    /// Appends a cell; an empty cell is a null.
    fn push(&mut self, cell: &str) -> Result<(), String> {
        let empty = cell.is_empty();
        match self {
            Builder::Text(b) if empty => b.append_null(),
            Builder::Text(b) => b.append_value(cell),
            Builder::Count(v) if empty => v.push(None),
            Builder::Count(v) => v.push(Some(
                cell.parse()
                    .map_err(|_| format!("'{cell}' is not a count"))?,
            )),
            Builder::Amount(v) if empty => v.push(None),
            Builder::Amount(v) => v.push(Some(
                cell.parse()
                    .map_err(|_| format!("'{cell}' is not an amount"))?,
            )),
        }
        Ok(())
    }

    fn finish(self, name: &str) -> Column {
        match self {
            Builder::Text(b) => b.finish().into_column(),
            Builder::Count(v) => Series::new(name.into(), v).into(),
            Builder::Amount(v) => Series::new(name.into(), v).into(),
        }
    }
}

/// Reads up to `max` rows of one of omni's CSV tables into typed columns ([`column_type`]);
/// `true` when rows may follow.
fn read_group(
    rdr: &mut csv::Reader<File>,
    header: &csv::StringRecord,
    path: &Path,
    max: usize,
) -> anyhow::Result<(DataFrame, bool)> {
    let mut columns: Vec<Builder> = header.iter().map(Builder::new).collect();
    let mut record = csv::StringRecord::new();
    let mut rows = 0;
    let mut more = true;
    while rows < max {
        more = rdr
            .read_record(&mut record)
            .with_context(|| format!("{}: unreadable row", path.display()))?;
        if !more {
            break;
        }
        for (column, cell) in columns.iter_mut().zip(record.iter()) {
            column.push(cell).map_err(|e| {
                let line = record.position().map_or(0, |p| p.line());
                anyhow!("{}:{line}: {e}", path.display())
            })?;
        }
        rows += 1;
    }
    let columns: Vec<Column> = columns
        .into_iter()
        .zip(header.iter())
        .map(|(b, name)| b.finish(name))
        .collect();
    let df = DataFrame::new(rows, columns).map_err(|e| anyhow!("{}: {e}", path.display()))?;
    Ok((df, more))
}

/// The rows of a Parquet table omni wrote, as the CSV table would hold them (header first,
/// nulls as empty cells, amounts with two decimals, no formula escape).
pub fn read_as_csv(path: &Path) -> anyhow::Result<Vec<u8>> {
    let file = File::open(path).with_context(|| format!("{}: cannot open", path.display()))?;
    let df = ParquetReader::new(file)
        .finish()
        .map_err(|e| anyhow!("{}: cannot read as Parquet: {e}", path.display()))?;
    let cells = columns_as_text(&df, path)?;
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(df.get_column_names().iter().map(|n| n.as_str()))?;
    let mut row: Vec<&str> = Vec::with_capacity(cells.len());
    for i in 0..df.height() {
        row.clear();
        row.extend(cells.iter().map(|c| c[i].as_deref().unwrap_or("")));
        w.write_record(&row)?;
    }
    w.flush()?;
    w.into_inner()
        .map_err(|e| anyhow!("{}: {}", path.display(), e.error()))
}

/// Every column of `df` as text, cell by cell (`None` for a null).
fn columns_as_text(df: &DataFrame, path: &Path) -> anyhow::Result<Vec<Vec<Option<String>>>> {
    let fail = |name: &str, e: polars::prelude::PolarsError| {
        anyhow!("{}: column {name}: {e}", path.display())
    };
    let mut out = Vec::with_capacity(df.width());
    for column in df.columns() {
        let name = column.name().as_str();
        let cells: Vec<Option<String>> = match column.dtype() {
            DataType::String => column
                .str()
                .map_err(|e| fail(name, e))?
                .iter()
                .map(|v| v.map(str::to_owned))
                .collect(),
            DataType::Int64 => column
                .i64()
                .map_err(|e| fail(name, e))?
                .iter()
                .map(|v| v.map(|n| n.to_string()))
                .collect(),
            DataType::Float64 => column
                .f64()
                .map_err(|e| fail(name, e))?
                .iter()
                .map(|v| v.map(|a| format!("{a:.2}")))
                .collect(),
            DataType::Null => vec![None; column.len()],
            other => bail!(
                "{}: column {name} is {other}, not a column omni writes; run `omni merge` again",
                path.display()
            ),
        };
        out.push(cells);
    }
    Ok(out)
}

/// The Parquet table standing in for `path` (`DIR/NAME.csv` → `DIR/NAME.parquet`) when the CSV
/// is not there and the Parquet file is: an out dir written with `--format parquet`.
pub fn parquet_instead(path: &Path) -> Option<PathBuf> {
    if path.is_file() || path.extension().is_none_or(|e| e != "csv") {
        return None;
    }
    let parquet = path.with_extension("parquet");
    parquet.is_file().then_some(parquet)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Writes a test table through an [`OutDir`].
    fn staged_csv(out: &mut OutDir, name: &str, text: &str) {
        let mut w = out.file(name).unwrap();
        w.write_all(text.as_bytes()).unwrap();
        OutDir::finish(w).unwrap();
    }

    const PROFILES: &str = "profile_id,name,records,first_seen,purchases,amount_total\n\
        P1,\"Ann, B\",2,2024-01-02,1,-0.50\n\
        P2,,1,2024-01-02 10:11:12,0,\n";

    #[test]
    fn tables_become_typed_parquet_and_read_back_as_the_same_rows() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("out");
        let mut out = OutDir::create(&dir).unwrap();
        staged_csv(&mut out, "profiles.csv", PROFILES);
        staged_csv(&mut out, "changes.csv", "a\n1\n");
        convert_tables(&mut out).unwrap();
        assert_eq!(out.written(), ["changes.csv", "profiles.parquet"]);
        out.commit().unwrap();
        assert!(!dir.join("profiles.csv").exists());
        let path = dir.join("profiles.parquet");
        let df = ParquetReader::new(File::open(&path).unwrap())
            .finish()
            .unwrap();
        let types: Vec<String> = df.dtypes().iter().map(|t| t.to_string()).collect();
        assert_eq!(types, ["str", "str", "i64", "str", "i64", "f64"]);
        assert_eq!(df.column("name").unwrap().null_count(), 1);
        assert_eq!(df.column("records").unwrap().i64().unwrap().get(0), Some(2));
        let back = String::from_utf8(read_as_csv(&path).unwrap()).unwrap();
        assert_eq!(back, PROFILES);
        assert_eq!(
            parquet_instead(&dir.join("profiles.csv")),
            Some(path.clone())
        );
        assert_eq!(parquet_instead(&dir.join("links.csv")), None);
        assert_eq!(parquet_instead(&path), None);
    }

    #[test]
    fn a_table_in_many_row_groups_reads_back_whole_and_an_empty_one_has_its_columns() {
        let tmp = tempfile::tempdir().unwrap();
        let csv = tmp.path().join("profiles.csv");
        let parquet = tmp.path().join("profiles.parquet");
        for (text, groups) in [(PROFILES, 2), ("profile_id,records\n", 0)] {
            std::fs::write(&csv, text).unwrap();
            let mut bytes = Vec::new();
            convert(&csv, &mut bytes, 1).unwrap();
            std::fs::write(&parquet, &bytes).unwrap();
            assert_eq!(
                String::from_utf8(read_as_csv(&parquet).unwrap()).unwrap(),
                text
            );
            let mut reader = ParquetReader::new(File::open(&parquet).unwrap());
            let meta = reader.get_metadata().unwrap();
            assert_eq!(meta.row_groups.len(), groups);
        }
    }

    #[test]
    fn a_count_that_is_not_a_number_names_the_file_and_line() {
        let tmp = tempfile::tempdir().unwrap();
        let mut out = OutDir::create(&tmp.path().join("out")).unwrap();
        staged_csv(&mut out, "links.csv", "source,row\na,1\nb,x\n");
        let err = convert_tables(&mut out).unwrap_err().to_string();
        assert!(err.contains("links.csv:3: 'x' is not a count"), "{err}");
    }

    #[test]
    fn column_types_follow_the_names() {
        assert_eq!(column_type("parent_row"), ColumnType::Count);
        assert_eq!(column_type("amount_total"), ColumnType::Amount);
        assert_eq!(column_type("last_seen"), ColumnType::Text);
    }
}
