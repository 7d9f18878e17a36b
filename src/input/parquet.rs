//! Parquet input: a `.parquet` file in, a header and batches of text rows out.
//!
//! The file is read whole with polars' eager `ParquetReader` (measured fastest on 2 cores, at the
//! cost of holding the frame: about 270 MB per 1M rows; research/deps.md §2). Rows are handed out
//! in batches; each batch is sliced from the frame and cast to text only then, so the text copy
//! never exceeds one batch. Every column becomes text: numbers become their decimal text (a float
//! column of phones reads `79161234567.0`, which the phone normalizer accepts), dates and times
//! their ISO text, and nulls empty strings. `row` is the 1-based row index and `line` equals it.
//!
//! Nested (list, array, struct) and binary columns are a fatal error naming the column, with a
//! hint to drop it: guessing a text form for them would feed garbage to the normalizers. This is
//! the only file that touches polars on the input side.

use std::fs::File;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail};
use polars::prelude::{Column, DataFrame, DataType, ParquetReader, SerReader, StringChunked};

use super::{Format, RowBatch, RowOutcome, RowSource, Table, clean_headers};

/// Reads a Parquet file into a [`Table`].
pub fn open(path: &Path, size: u64) -> anyhow::Result<Table> {
    let file = File::open(path).map_err(|e| anyhow!("{}: {e}", path.display()))?;
    let df = ParquetReader::new(file)
        .finish()
        .map_err(|e| anyhow!("{}: cannot read as Parquet: {e}", path.display()))?;
    if df.width() == 0 {
        bail!("{}: Parquet file has no columns", path.display());
    }
    for column in df.columns() {
        check_readable(path, column)?;
    }
    let raw: Vec<String> = df.columns().iter().map(|c| c.name().to_string()).collect();
    let format = Format {
        container: "parquet".to_owned(),
        encoding: String::new(),
        delimiter: None,
        headerless: false,
    };
    let rows = ParquetRows {
        path: path.to_path_buf(),
        df,
        next: 0,
        size,
    };
    Ok(Table {
        path: path.to_path_buf(),
        headers: clean_headers(raw),
        format,
        size,
        rows: Box::new(rows),
    })
}

/// Rejects column types that have no faithful text form.
fn check_readable(path: &Path, column: &Column) -> anyhow::Result<()> {
    let dtype = column.dtype();
    let unreadable = dtype.is_nested()
        || dtype.is_binary()
        || dtype.is_object()
        || matches!(dtype, DataType::BinaryOffset | DataType::Unknown(_));
    if unreadable {
        bail!(
            "{}: column \"{}\" has type {dtype}, which omni cannot read as text; \
             drop the column from the export (or map it out with a select) and try again",
            path.display(),
            column.name()
        );
    }
    Ok(())
}

/// The row stream over a loaded frame.
struct ParquetRows {
    path: PathBuf,
    df: DataFrame,
    /// Index of the next row to hand out.
    next: usize,
    size: u64,
}

impl ParquetRows {
    /// Casts one slice of the frame to text columns.
    fn text_columns(&self, slice: &DataFrame) -> anyhow::Result<Vec<Column>> {
        slice
            .columns()
            .iter()
            .map(|column| {
                column.cast(&DataType::String).map_err(|e| {
                    anyhow!(
                        "{}: column \"{}\": cannot convert to text: {e}",
                        self.path.display(),
                        column.name()
                    )
                })
            })
            .collect()
    }
}

impl ParquetRows {
    /// The next `max` rows (at least one) as text columns, with the 0-based index of the first;
    /// `None` at the end. Advances past them.
    fn next_texts(&mut self, max: usize) -> anyhow::Result<Option<(usize, Vec<StringChunked>)>> {
        let height = self.df.height();
        if self.next >= height {
            return Ok(None);
        }
        let len = max.max(1).min(height - self.next);
        let offset = i64::try_from(self.next).expect("a frame's height fits in i64");
        let slice = self.df.slice(offset, len);
        let columns = self.text_columns(&slice)?;
        let texts = columns
            .iter()
            .map(|c| c.str().map(|ca| ca.rechunk().into_owned()))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| anyhow!("{}: {e}", self.path.display()))?;
        let first = self.next;
        self.next += len;
        Ok(Some((first, texts)))
    }
}

impl RowSource for ParquetRows {
    fn next_batch(&mut self, max: usize, out: &mut Vec<RowOutcome>) -> anyhow::Result<bool> {
        out.clear();
        let Some((first, texts)) = self.next_texts(max)? else {
            return Ok(false);
        };
        let len = texts.first().map_or(0, |ca| ca.len());
        for i in 0..len {
            let fields = texts
                .iter()
                .map(|ca| ca.get(i).unwrap_or_default().to_owned())
                .collect();
            let row = (first + i + 1) as u64;
            out.push(RowOutcome::Row {
                row,
                line: row,
                fields,
            });
        }
        Ok(true)
    }

    /// `next_batch` straight into the batch's one text buffer: no `String` per field.
    fn next_rows(&mut self, max: usize, out: &mut RowBatch) -> anyhow::Result<bool> {
        out.clear();
        let Some((first, texts)) = self.next_texts(max)? else {
            return Ok(false);
        };
        let len = texts.first().map_or(0, |ca| ca.len());
        for i in 0..len {
            let row = (first + i + 1) as u64;
            out.push_row(
                row,
                row,
                texts.iter().map(|ca| ca.get(i).unwrap_or_default()),
            );
        }
        Ok(true)
    }

    /// The file is read at open; progress is reported as the share of rows handed out.
    fn bytes_read(&self) -> u64 {
        let height = self.df.height().max(1) as u128;
        (u128::from(self.size) * self.next as u128 / height) as u64
    }
}

#[cfg(test)]
mod tests {
    use polars::prelude::{NamedFrom, ParquetWriter, Series, df};

    use super::*;
    use crate::input::{ReadOptions, open as open_any};

    fn write(path: &Path, mut df: DataFrame) {
        let file = File::create(path).unwrap();
        ParquetWriter::new(file).finish(&mut df).unwrap();
    }

    #[test]
    fn parquet_round_trips_as_text() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("app.parquet");
        let df = df!(
            "email" => [Some("anna@example.com"), None, Some("carl@example.com")],
            "user_id" => [1i64, 2, 3],
            "phone" => [Some(79161234567.0f64), Some(79131234567.5), None],
            "vip" => [true, false, true],
        )
        .unwrap();
        write(&path, df);
        let mut table = open_any(&path, &ReadOptions::default()).unwrap();
        assert_eq!(table.headers, ["email", "user_id", "phone", "vip"]);
        assert_eq!(table.format.container, "parquet");
        assert_eq!(table.format.delimiter, None);
        let mut rows = Vec::new();
        let mut buf = Vec::new();
        while table.rows.next_batch(2, &mut buf).unwrap() {
            rows.append(&mut buf);
        }
        assert_eq!(table.rows.bytes_read(), table.size);
        let fields = |i: usize| match &rows[i] {
            RowOutcome::Row { row, line, fields } => {
                assert_eq!((*row, *line), (i as u64 + 1, i as u64 + 1));
                fields.clone()
            }
            bad => panic!("{bad:?}"),
        };
        assert_eq!(rows.len(), 3);
        assert_eq!(
            fields(0),
            ["anna@example.com", "1", "79161234567.0", "true"]
        );
        assert_eq!(fields(1), ["", "2", "79131234567.5", "false"]);
        assert_eq!(fields(2), ["carl@example.com", "3", "", "true"]);
    }

    /// The batched path (`next_rows`, what `extract` reads) gives the rows `next_batch` gives,
    /// across batch boundaries and through the input guard.
    #[test]
    fn text_batches_equal_row_batches() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("app.parquet");
        let emails: Vec<Option<String>> = (0..25)
            .map(|i| (i % 4 != 0).then(|| format!("user{i}@example.com")))
            .collect();
        let df = df!(
            "email" => emails,
            "user_id" => (0..25i64).collect::<Vec<_>>(),
            "phone" => (0..25).map(|i| (i % 3 != 0).then_some(79_161_234_500.0 + f64::from(i))).collect::<Vec<_>>(),
        )
        .unwrap();
        write(&path, df);
        let mut expected = Vec::new();
        let mut table = open_any(&path, &ReadOptions::default()).unwrap();
        let mut buf = Vec::new();
        while table.rows.next_batch(7, &mut buf).unwrap() {
            expected.append(&mut buf);
        }
        let mut table = open_any(&path, &ReadOptions::default()).unwrap();
        let mut batch = RowBatch::default();
        let mut got = Vec::new();
        while table.rows.next_rows(7, &mut batch).unwrap() {
            assert!(batch.len() <= 7);
            for i in 0..batch.len() {
                match batch.get(i) {
                    crate::input::BatchItem::Row { row, line, fields } => {
                        got.push(RowOutcome::Row {
                            row,
                            line,
                            fields: (0..fields.len())
                                .map(|f| fields.get(f).unwrap().to_owned())
                                .collect(),
                        })
                    }
                    bad => panic!("{bad:?}"),
                }
            }
        }
        assert_eq!(expected.len(), 25);
        assert_eq!(got, expected);
        assert_eq!(table.rows.bytes_read(), table.size);
    }

    #[test]
    fn nested_columns_are_an_error_naming_the_column() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested.parquet");
        let tags = Series::new("tags".into(), [Series::new("".into(), ["a", "b"])]);
        let df = DataFrame::new_infer_height(vec![
            Series::new("email".into(), ["a@example.com"]).into(),
            tags.into(),
        ])
        .unwrap();
        write(&path, df);
        let err = open_any(&path, &ReadOptions::default())
            .err()
            .expect("list column");
        let message = err.to_string();
        assert!(
            message.starts_with(&path.display().to_string()),
            "{message}"
        );
        assert!(message.contains("column \"tags\""), "{message}");
        assert!(message.contains("drop the column"), "{message}");
    }

    #[test]
    fn non_parquet_bytes_with_parquet_name_are_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("fake.parquet");
        std::fs::write(&path, "email\nx@y.z\n").unwrap();
        let err = open_any(&path, &ReadOptions::default())
            .err()
            .expect("not parquet");
        assert!(err.to_string().contains("cannot read as Parquet"), "{err}");
    }
}
