//! The Parquet reader (issue 16): any bytes, in a file named `.parquet`, either fail to open
//! with an error or yield rows without panicking, whatever column types the schema declares;
//! every row has the header's width and row numbers count up from 1. polars itself is built
//! unoptimized here (see Cargo.toml), so executions are slow; seeds are real Parquet files.
#![no_main]
use libfuzzer_sys::fuzz_target;
use omni::input::{ReadOptions, RowOutcome, open};

fuzz_target!(|data: &[u8]| {
    // The reader takes a path (polars reads the footer first): one file per fuzzing process.
    let path = std::env::temp_dir().join(format!("omni-fuzz-{}.parquet", std::process::id()));
    std::fs::write(&path, data).expect("temporary folder writable");
    let Ok(mut table) = open(&path, &ReadOptions::default()) else { return };
    let width = table.headers.len();
    let mut buf = Vec::new();
    let mut expected_row = 1;
    while let Ok(true) = table.rows.next_batch(64, &mut buf) {
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
