//! Writes rendered rows to the export files in their real-world shapes, and their truth rows.
//!
//! One [`Sink`] per source owns the data file and a part file of the truth (joined by `mod.rs`
//! at the end, so the truth is ordered by source, then row). The sink numbers rows (1-based,
//! header not counted), writes the duplicate rows (`duplicate_share`) and counts hard cases as
//! written, so the summary matches the files exactly. It does not decide cell contents.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use anyhow::Context as _;
use encoding_rs::WINDOWS_1251;
use flate2::Compression;
use flate2::write::GzEncoder;
use polars::prelude::{
    BatchedWriter, Column, DataFrame, DataType, Field, ParquetCompression, ParquetWriter, Schema,
};

use super::rng::Rng;
use super::sources::{Owner, Row, Source};
use super::{Exports, HardCases};

/// The file writer, one variant per shape.
enum Out {
    /// Plain CSV (UTF-8, optionally after a BOM).
    Csv(Box<csv::Writer<BufWriter<File>>>),
    /// CSV encoded to Windows-1251 chunk by chunk.
    Cp1251 {
        wtr: Box<csv::Writer<Vec<u8>>>,
        file: BufWriter<File>,
    },
    /// Gzip-compressed CSV.
    Gz(Box<csv::Writer<GzEncoder<BufWriter<File>>>>),
    /// Parquet, one row group per chunk. Unbuffered: polars writes whole pages at a time, and
    /// its batched writer gives no way to flush a `BufWriter` it owns.
    Parquet(Box<BatchedWriter<File>>),
}

/// The writer of one source's file and truth part.
pub struct Sink {
    source: Source,
    out: Out,
    truth: csv::Writer<BufWriter<File>>,
    rows: u64,
    /// Hard cases in the rows written so far.
    pub cases: HardCases,
}

fn create(path: &Path) -> anyhow::Result<BufWriter<File>> {
    let file = File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
    Ok(BufWriter::with_capacity(1 << 20, file))
}

fn csv_writer<W: Write>(inner: W, delimiter: u8, crlf: bool) -> Box<csv::Writer<W>> {
    let terminator = if crlf {
        csv::Terminator::CRLF
    } else {
        csv::Terminator::Any(b'\n')
    };
    Box::new(
        csv::WriterBuilder::new()
            .delimiter(delimiter)
            .terminator(terminator)
            .from_writer(inner),
    )
}

/// The mobile app's Parquet schema: `user_id` Int64, the rest nullable strings.
fn app_schema() -> Schema {
    Source::MobileApp
        .header(Exports::Retail)
        .iter()
        .map(|name| {
            let dtype = if *name == "user_id" {
                DataType::Int64
            } else {
                DataType::String
            };
            Field::new((*name).into(), dtype)
        })
        .collect()
}

impl Sink {
    /// Creates `source`'s file in `out_dir` (with its header) and the truth part at `truth_part`.
    /// The international set writes every source as plain UTF-8 CSV with commas.
    pub fn create(
        source: Source,
        exports: Exports,
        out_dir: &Path,
        truth_part: &Path,
    ) -> anyhow::Result<Sink> {
        let path = out_dir.join(source.file_name(exports));
        let header = source.header(exports);
        let out = match source {
            _ if exports == Exports::International => {
                Out::Csv(csv_writer(create(&path)?, b',', false))
            }
            Source::WebShop => Out::Csv(csv_writer(create(&path)?, b',', false)),
            Source::EmailList => {
                let mut file = create(&path)?;
                file.write_all("\u{feff}".as_bytes())?;
                Out::Csv(csv_writer(file, b';', false))
            }
            Source::Loyalty => Out::Cp1251 {
                wtr: csv_writer(Vec::new(), b';', true),
                file: create(&path)?,
            },
            Source::PosReceipts => {
                let gz = GzEncoder::new(create(&path)?, Compression::fast());
                Out::Gz(csv_writer(gz, b'|', false))
            }
            Source::MobileApp => {
                let file = File::create(&path)
                    .with_context(|| format!("cannot create {}", path.display()))?;
                let writer = ParquetWriter::new(file)
                    .with_compression(ParquetCompression::Snappy)
                    .set_parallel(false)
                    .batched(&app_schema())?;
                Out::Parquet(Box::new(writer))
            }
        };
        let truth = csv::WriterBuilder::new()
            .has_headers(false)
            .from_writer(create(truth_part)?);
        let mut sink = Sink {
            source,
            out,
            truth,
            rows: 0,
            cases: HardCases::default(),
        };
        sink.write_csv_record(header.iter().copied())?;
        Ok(sink)
    }

    fn write_csv_record<'r>(
        &mut self,
        record: impl IntoIterator<Item = &'r str>,
    ) -> anyhow::Result<()> {
        match &mut self.out {
            Out::Csv(wtr) => wtr.write_record(record)?,
            Out::Cp1251 { wtr, .. } => wtr.write_record(record)?,
            Out::Gz(wtr) => wtr.write_record(record)?,
            Out::Parquet(_) => {}
        }
        Ok(())
    }

    /// Writes one chunk's rows, each repeated once more with `duplicate_share` (drawn from `rng`).
    pub fn write(
        &mut self,
        rows: &[Row],
        duplicate_share: f64,
        rng: &mut Rng,
    ) -> anyhow::Result<()> {
        let mut order = Vec::with_capacity(rows.len() + rows.len() / 16);
        for (i, _) in rows.iter().enumerate() {
            order.push(i);
            if rng.chance(duplicate_share) {
                order.push(i);
                self.cases.duplicate_rows += 1;
            }
        }
        if let Out::Parquet(writer) = &mut self.out {
            writer.write_batch(&app_frame(rows, &order)?)?;
        }
        for &i in &order {
            let row = &rows[i];
            if !matches!(self.out, Out::Parquet(_)) {
                self.write_csv_record(row.cells.iter().map(|c| c.as_deref().unwrap_or("")))?;
            }
            self.rows += 1;
            self.cases.count(row);
            self.write_truth(row)?;
        }
        self.flush_cp1251()
    }

    /// Encodes what the loyalty CSV writer holds to Windows-1251 and writes it out.
    fn flush_cp1251(&mut self) -> anyhow::Result<()> {
        if let Out::Cp1251 { wtr, file } = &mut self.out {
            let full = std::mem::replace(wtr, csv_writer(Vec::new(), b';', true));
            let utf8 = (*full).into_inner().map_err(|e| e.into_error())?;
            let text = std::str::from_utf8(&utf8).expect("the csv writer got only UTF-8 strings");
            let (bytes, _, unmappable) = WINDOWS_1251.encode(text);
            anyhow::ensure!(
                !unmappable,
                "a loyalty value has characters outside Windows-1251"
            );
            file.write_all(&bytes)?;
        }
        Ok(())
    }

    fn write_truth(&mut self, row: &Row) -> anyhow::Result<()> {
        let person = match row.owner {
            Owner::Person(index) => format!("p{}", u64::from(index) + 1),
            Owner::Anonymous(n) => format!("anon-{n}"),
        };
        let number = self.rows.to_string();
        let identifiers = row.identifiers.join("|");
        self.truth
            .write_record([self.source.stem(), &number, &person, &identifiers])?;
        Ok(())
    }

    /// Finishes the file and the truth part; returns the source and its data row count.
    pub fn finish(mut self) -> anyhow::Result<(Source, u64, HardCases)> {
        self.flush_cp1251()?;
        match self.out {
            Out::Csv(wtr) => (*wtr).into_inner().map_err(|e| e.into_error())?.flush()?,
            Out::Cp1251 { mut file, .. } => file.flush()?,
            Out::Gz(wtr) => (*wtr)
                .into_inner()
                .map_err(|e| e.into_error())?
                .finish()?
                .flush()?,
            Out::Parquet(writer) => {
                writer.finish()?;
            }
        }
        self.truth
            .into_inner()
            .map_err(|e| e.into_error())?
            .flush()?;
        Ok((self.source, self.rows, self.cases))
    }
}

/// The mobile app rows in `order` as a DataFrame matching [`app_schema`].
fn app_frame(rows: &[Row], order: &[usize]) -> anyhow::Result<DataFrame> {
    let user_ids: Vec<i64> = order
        .iter()
        .map(|&i| {
            rows[i].cells[0]
                .as_deref()
                .and_then(|id| id.parse().ok())
                .expect("app user ids are numbers")
        })
        .collect();
    let mut columns = vec![Column::new("user_id".into(), user_ids)];
    for (c, name) in Source::MobileApp
        .header(Exports::Retail)
        .iter()
        .enumerate()
        .skip(1)
    {
        let values: Vec<Option<&str>> =
            order.iter().map(|&i| rows[i].cells[c].as_deref()).collect();
        columns.push(Column::new((*name).into(), values));
    }
    Ok(DataFrame::new(order.len(), columns)?)
}
