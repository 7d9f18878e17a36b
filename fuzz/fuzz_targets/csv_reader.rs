//! The CSV reader with encoding and delimiter sniffing: any bytes either fail to open with an
//! error or yield rows and rejects without panicking; every good row has the header's width, and
//! row numbers count up from 1 without gaps (no row is lost or duplicated).
#![no_main]
use std::io::Read;
use std::path::PathBuf;
use std::sync::Arc;

use libfuzzer_sys::fuzz_target;
use omni::input::csv::{Source, open};
use omni::input::{EncodingChoice, ReadOptions, RowOutcome};

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
    let opts = ReadOptions { encoding, delimiter, ..ReadOptions::default() };
    let source = Source {
        path: PathBuf::from("fuzz.csv"),
        size: bytes.len() as u64,
        gzip: false,
        bytes_read: Arc::default(),
    };
    let raw: Box<dyn Read + Send> = Box::new(std::io::Cursor::new(bytes.to_vec()));
    let Ok(mut table) = open(source, raw, &opts) else { return };
    let width = table.headers.len();
    let mut buf = Vec::new();
    let mut expected_row = 1;
    while let Ok(true) = table.rows.next_batch(7, &mut buf) {
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
