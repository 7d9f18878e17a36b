//! The CSV reader with encoding and delimiter sniffing, behind the input guards (binary check,
//! record cap, field cap, headerless files): any bytes either fail to open with an error or yield
//! rows and rejects without panicking; every good row has the header's width, and row numbers
//! count up from 1 without gaps (no row is lost or duplicated). Small limits, so that the caps
//! are reached by small inputs.
#![no_main]
use std::io::Read;
use std::path::PathBuf;
use std::sync::Arc;

use libfuzzer_sys::fuzz_target;
use omni::input::csv::{Source, open};
use omni::input::guard::{Guarded, Limits, header_looks_like_data};
use omni::input::{EncodingChoice, ReadOptions, RowOutcome, RowSource};

fuzz_target!(|data: &[u8]| {
    // The first byte picks forced options, so forced encodings and delimiters are covered too.
    let Some((&pick, bytes)) = data.split_first() else { return };
    let encoding = match pick % 5 {
        0 | 1 => EncodingChoice::Auto,
        2 => EncodingChoice::Utf8,
        3 => EncodingChoice::Cp1251,
        _ => EncodingChoice::Utf16,
    };
    let delimiter = (pick & 0x80 != 0).then_some(b';');
    let limits = Limits {
        max_field_bytes: 48,
        max_record_bytes: 2048,
        max_rows: 0,
        max_columns: 40,
    };
    let opts = ReadOptions { encoding, delimiter, limits };
    let source = Source {
        path: PathBuf::from("fuzz.csv"),
        size: bytes.len() as u64,
        gzip: false,
        bytes_read: Arc::default(),
    };
    let raw: Box<dyn Read + Send> = Box::new(std::io::Cursor::new(bytes.to_vec()));
    let Ok(table) = open(source, raw, &opts) else { return };
    let width = table.headers.len();
    let first = header_looks_like_data(&table.headers).then(|| table.headers.clone());
    let mut rows = Guarded::new(table.rows, limits, &table.path, first);
    let mut buf = Vec::new();
    let mut expected_row = 1;
    while let Ok(true) = rows.next_batch(7, &mut buf) {
        for outcome in &buf {
            let row = match outcome {
                RowOutcome::Row { row, fields, .. } => {
                    assert_eq!(fields.len(), width);
                    *row
                }
                RowOutcome::Bad { row, .. } => *row,
            };
            assert_eq!(row, expected_row);
            expected_row += 1;
        }
    }
});
