//! Property tests of the CSV reader with sniffing and decoding (issue 7); the fuzz target
//! `fuzz/fuzz_targets/csv_reader.rs` explores the same code without bounds.
//!
//! - Any bytes: opening either fails with an error or yields rows whose numbers count 1, 2, 3, ...
//!   (nothing lost or duplicated), good rows as wide as the header; never a panic.
//! - A table written by the `csv` crate with any of the four delimiters, LF or CRLF line ends, in
//!   UTF-8 (with or without BOM) or Windows-1251, reads back exactly, with the delimiter and
//!   encoding sniffed.

use std::io::Read;
use std::path::PathBuf;
use std::sync::Arc;

use proptest::prelude::*;

use super::csv::{Source, open};
use super::{ReadOptions, RowOutcome};

fn read(bytes: Vec<u8>) -> anyhow::Result<(Vec<String>, Vec<RowOutcome>, String, u8)> {
    let source = Source {
        path: PathBuf::from("prop.csv"),
        size: bytes.len() as u64,
        gzip: false,
        bytes_read: Arc::default(),
    };
    let raw: Box<dyn Read + Send> = Box::new(std::io::Cursor::new(bytes));
    let mut table = open(source, raw, &ReadOptions::default())?;
    let mut rows = Vec::new();
    let mut buf = Vec::new();
    while table.rows.next_batch(3, &mut buf)? {
        rows.append(&mut buf);
    }
    let delimiter = table.format.delimiter.expect("CSV has a delimiter");
    Ok((table.headers, rows, table.format.encoding, delimiter))
}

/// A field: printable ASCII and Cyrillic (no `ё`/`Ё`, whose Windows-1251 bytes can pair up
/// into valid UTF-8), with delimiters, quotes, spaces and LF newlines; never `\r`, which the
/// reader turns into `\n`.
fn field() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9а-яА-Я ,;|\t\"\n@.+-]{0,12}"
}

fn table() -> impl Strategy<Value = (Vec<String>, Vec<Vec<String>>)> {
    (2usize..5).prop_flat_map(|width| {
        let header = proptest::collection::vec("[a-z]{1,8}", width);
        // The first field is never blank, since all-blank rows are skipped (not data).
        let row = (
            "[a-zA-Zа-яА-Я0-9]{1,6}",
            proptest::collection::vec(field(), width - 1),
        )
            .prop_map(|(first, mut rest)| {
                rest.insert(0, first);
                rest
            });
        (header, proptest::collection::vec(row, 0..12))
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn any_bytes_read_without_panic_or_lost_rows(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        if let Ok((headers, rows, _, _)) = read(bytes) {
            for (i, outcome) in rows.iter().enumerate() {
                let row = match outcome {
                    RowOutcome::Row { row, fields, .. } => {
                        prop_assert_eq!(fields.len(), headers.len());
                        *row
                    }
                    RowOutcome::Bad { row, .. } => *row,
                };
                prop_assert_eq!(row, i as u64 + 1);
            }
        }
    }

    #[test]
    fn written_tables_read_back_exactly(
        (header, rows) in table(),
        delimiter in prop::sample::select(vec![b',', b';', b'\t', b'|']),
        crlf in any::<bool>(),
        encoding in 0u8..3,
    ) {
        let mut wtr = csv::WriterBuilder::new()
            .delimiter(delimiter)
            .terminator(if crlf { csv::Terminator::CRLF } else { csv::Terminator::Any(b'\n') })
            .from_writer(Vec::new());
        wtr.write_record(&header).unwrap();
        for row in &rows {
            wtr.write_record(row).unwrap();
        }
        let text = String::from_utf8(wtr.into_inner().unwrap()).unwrap();
        let bytes = match encoding {
            0 => text.into_bytes(),
            1 => [&[0xEF, 0xBB, 0xBF][..], text.as_bytes()].concat(),
            _ => encoding_rs::WINDOWS_1251.encode(&text).0.into_owned(),
        };
        let (got_header, got_rows, _, got_delimiter) = read(bytes).unwrap();
        prop_assert_eq!(got_header, header);
        prop_assert_eq!(char::from(got_delimiter), char::from(delimiter));
        let fields: Vec<Vec<String>> = got_rows
            .into_iter()
            .map(|outcome| match outcome {
                RowOutcome::Row { fields, .. } => fields,
                RowOutcome::Bad { .. } => vec![format!("bad: {outcome:?}")],
            })
            .collect();
        prop_assert_eq!(fields, rows);
    }
}
