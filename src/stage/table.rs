//! The files the stage commands exchange with the Spark tasks: Parquet, read and written with
//! polars (already omni's Parquet reader), so the Python side only moves Arrow batches.

use std::fs::File;
use std::path::Path;

use anyhow::{Context, anyhow};
use polars::prelude::{
    Column, DataFrame, NamedFrom, ParquetCompression, ParquetReader, ParquetWriter, SerReader,
    Series,
};

/// A column to write.
pub enum Values {
    /// 64-bit integers.
    Int(Vec<i64>),
    /// Text, possibly missing.
    Text(Vec<Option<String>>),
    /// Bytes.
    Bytes(Vec<Vec<u8>>),
}

/// Writes `columns` as one Parquet file at `path`.
pub fn write(path: &Path, columns: Vec<(&str, Values)>) -> anyhow::Result<()> {
    let columns: Vec<Column> = columns
        .into_iter()
        .map(|(name, values)| {
            let series = match values {
                Values::Int(v) => Series::new(name.into(), v),
                Values::Text(v) => Series::new(name.into(), v),
                Values::Bytes(v) => Series::new(name.into(), v),
            };
            Column::from(series)
        })
        .collect();
    let mut df =
        DataFrame::new_infer_height(columns).map_err(|e| anyhow!("{}: {e}", path.display()))?;
    let file = File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
    ParquetWriter::new(file)
        .with_compression(ParquetCompression::Uncompressed)
        .finish(&mut df)
        .map_err(|e| anyhow!("{}: {e}", path.display()))?;
    Ok(())
}

/// A Parquet file read whole.
pub struct Table {
    df: DataFrame,
    path: String,
}

impl Table {
    /// Reads `path`.
    pub fn read(path: &Path) -> anyhow::Result<Table> {
        let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
        let df = ParquetReader::new(file)
            .finish()
            .map_err(|e| anyhow!("{}: {e}", path.display()))?;
        Ok(Table {
            df,
            path: path.display().to_string(),
        })
    }

    /// Rows.
    pub fn len(&self) -> usize {
        self.df.height()
    }

    /// True without rows.
    pub fn is_empty(&self) -> bool {
        self.df.height() == 0
    }

    fn column(&self, name: &str) -> anyhow::Result<&Column> {
        self.df
            .column(name)
            .map_err(|_| anyhow!("{}: no column {name}", self.path))
    }

    /// An integer column (missing values are an error).
    pub fn ints(&self, name: &str) -> anyhow::Result<Vec<i64>> {
        let column = self.column(name)?;
        let cast = column
            .cast(&polars::prelude::DataType::Int64)
            .map_err(|e| anyhow!("{}: column {name}: {e}", self.path))?;
        let ints = cast
            .i64()
            .map_err(|e| anyhow!("{}: column {name}: {e}", self.path))?;
        let ints = ints.rechunk();
        (0..ints.len())
            .map(|i| {
                ints.get(i)
                    .with_context(|| format!("{}: column {name}, row {}: empty", self.path, i + 1))
            })
            .collect()
    }

    /// A text column.
    pub fn texts(&self, name: &str) -> anyhow::Result<Vec<Option<String>>> {
        let column = self.column(name)?;
        let texts = column
            .str()
            .map_err(|e| anyhow!("{}: column {name}: {e}", self.path))?;
        let texts = texts.rechunk();
        Ok((0..texts.len())
            .map(|i| texts.get(i).map(str::to_owned))
            .collect())
    }

    /// A binary column (missing values are an error).
    pub fn bytes(&self, name: &str) -> anyhow::Result<Vec<Vec<u8>>> {
        let column = self.column(name)?;
        let bytes = column
            .binary()
            .map_err(|e| anyhow!("{}: column {name}: {e}", self.path))?;
        let bytes = bytes.rechunk();
        (0..bytes.len())
            .map(|i| {
                bytes
                    .get(i)
                    .map(<[u8]>::to_vec)
                    .with_context(|| format!("{}: column {name}, row {}: empty", self.path, i + 1))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.parquet");
        write(
            &path,
            vec![
                ("rec", Values::Int(vec![3, -1])),
                ("name", Values::Text(vec![Some("Ann".into()), None])),
                ("blob", Values::Bytes(vec![vec![1, 2], vec![]])),
            ],
        )
        .unwrap();
        let t = Table::read(&path).unwrap();
        assert_eq!(t.len(), 2);
        assert_eq!(t.ints("rec").unwrap(), vec![3, -1]);
        assert_eq!(t.texts("name").unwrap(), vec![Some("Ann".to_owned()), None]);
        assert_eq!(t.bytes("blob").unwrap(), vec![vec![1, 2], vec![]]);
        assert!(
            t.ints("nope")
                .unwrap_err()
                .to_string()
                .contains("no column nope")
        );
    }
}
