//! Issue 16, part A: Parquet column types, pipes and devices as inputs, `--threads`, write errors
//! on stdout, Excel's `sep=` line, what an input folder holds besides inputs, and amounts and
//! dates that are not. Parquet files are written here, with polars' writer or (for the types it
//! cannot write: MAP, dictionary, binary, float16, duration) with polars-parquet's Arrow writer.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use polars::prelude::{Column, DataFrame, DataType, NamedFrom, ParquetWriter, Series, TimeUnit};
use polars_arrow::array::{
    Array, BinaryArray, DictionaryArray, Float64Array, Int64Array, ListArray, PrimitiveArray,
    StructArray, Utf8Array,
};
use polars_arrow::datatypes::{ArrowDataType, ArrowSchema, Field};
use polars_arrow::record_batch::RecordBatchT;
use polars_parquet::write::{
    CompressionOptions, FileWriter, RowGroupIterator, StatisticsOptions, Version, WriteOptions,
    get_dtype_encoding,
};

use crate::{CliTest, assert_code, parse_csv, stderr, stdout};

/// Writes `df` as Parquet with polars' own writer.
fn write_polars(path: &Path, mut df: DataFrame) {
    let file = std::fs::File::create(path).unwrap();
    ParquetWriter::new(file).finish(&mut df).unwrap();
}

/// Writes Arrow arrays as one Parquet row group with polars-parquet's writer, with the Arrow
/// schema in the file's metadata, as pyarrow (pandas) writes it.
fn write_arrow(path: &Path, columns: Vec<(&str, Box<dyn Array>)>) {
    let schema: ArrowSchema = columns
        .iter()
        .map(|(name, array)| {
            let field = Field::new((*name).into(), array.dtype().clone(), true);
            (field.name.clone(), field)
        })
        .collect();
    let len = columns[0].1.len();
    let arrays: Vec<Box<dyn Array>> = columns.into_iter().map(|(_, a)| a).collect();
    let batch = RecordBatchT::new(len, std::sync::Arc::new(schema.clone()), arrays);
    let options = WriteOptions {
        statistics: StatisticsOptions::empty(),
        version: Version::V2,
        compression: CompressionOptions::Uncompressed,
        data_page_size: None,
    };
    let encodings: Vec<_> = schema
        .iter_values()
        .map(|f| get_dtype_encoding(&f.dtype))
        .collect();
    let groups = RowGroupIterator::try_new(
        std::iter::once(Ok(batch)),
        &schema,
        options,
        encodings.into(),
    )
    .unwrap();
    let file = std::fs::File::create(path).unwrap();
    let mut writer = FileWriter::try_new(file, schema, options).unwrap();
    for group in groups {
        writer.write(len as u64, group.unwrap()).unwrap();
    }
    writer.end(None).unwrap();
}

fn utf8(values: &[&str]) -> Box<dyn Array> {
    Box::new(Utf8Array::<i64>::from_slice(values))
}

/// A MAP<utf8, utf8> column, one `{"k": "v"}` per row, as polars reads every Parquet MAP: a
/// `list<struct<key, value>>` (polars has no map type; polars-parquet's writer cannot write a
/// MAP schema, so the file holds the list form, which is what polars met and panicked on).
fn map_column(rows: usize) -> Box<dyn Array> {
    let entry = ArrowDataType::Struct(vec![
        Field::new("key".into(), ArrowDataType::LargeUtf8, false),
        Field::new("value".into(), ArrowDataType::LargeUtf8, true),
    ]);
    let entries = StructArray::new(
        entry.clone(),
        rows,
        vec![utf8(&vec!["k"; rows]), utf8(&vec!["v"; rows])],
        None,
    );
    let dtype = ArrowDataType::LargeList(Box::new(Field::new("item".into(), entry, false)));
    let offsets: Vec<i64> = (0..=rows as i64).collect();
    Box::new(ListArray::<i64>::new(
        dtype,
        offsets.try_into().unwrap(),
        Box::new(entries),
        None,
    ))
}

/// Runs `omni` with a deadline: a run that blocks (a pipe opened twice) fails the test.
fn run_with_deadline(mut cmd: Command, input: Option<Vec<u8>>) -> Output {
    cmd.stdin(if input.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    })
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    if let Some(bytes) = input {
        let mut stdin = child.stdin.take().unwrap();
        std::thread::spawn(move || {
            let _ = stdin.write_all(&bytes);
        });
    }
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > Duration::from_secs(60) {
            child.kill().unwrap();
            panic!("omni blocked for 60 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child.wait_with_output().unwrap()
}

const SHOP: &str =
    "email,phone,name\nanna@mail.ru,+79161234567,Anna\nbob@mail.ru,+79161234568,Bob\n";

/// Items 1 and 2: DECIMAL amounts are amounts; MAP, list, dictionary, binary, float16 and
/// duration columns are skipped with a note naming file, column and type; mapping one in the
/// config is an error naming them. Before: a panic (exit 101) or a refusal naming no column.
#[test]
fn issue_16_parquet_decimal_map_and_other_types_are_read_or_named() {
    let t = CliTest::new();
    std::fs::create_dir(t.path().join("in")).unwrap();
    let decimal =
        PrimitiveArray::<i128>::from_slice([123_450i128, 99_900]).to(ArrowDataType::Decimal(38, 2));
    let dictionary = DictionaryArray::<u32>::try_from_keys(
        PrimitiveArray::from_slice([0u32, 1]),
        utf8(&["moscow", "omsk"]),
        false,
    )
    .unwrap();
    let binary: Box<dyn Array> =
        Box::new(BinaryArray::<i64>::from_slice([&b"\x00\x01"[..], b"\x02"]));
    let duration = Int64Array::from_slice([5, 6]).to(ArrowDataType::Duration(
        polars_arrow::datatypes::TimeUnit::Second,
    ));
    let timestamp = Int64Array::from_slice([1_709_642_096_000, 1_709_728_496_000]).to(
        ArrowDataType::Timestamp(
            polars_arrow::datatypes::TimeUnit::Millisecond,
            Some("UTC".into()),
        ),
    );
    write_arrow(
        &t.path().join("in/app.parquet"),
        vec![
            ("email", utf8(&["anna@mail.ru", "carl@mail.ru"])),
            ("order_total", Box::new(decimal)),
            ("attrs", map_column(2)),
            ("city", Box::new(dictionary)),
            ("photo", binary),
            ("session", Box::new(duration)),
            ("created_at", Box::new(timestamp)),
            ("score", Box::new(Float64Array::from_slice([1.5, 2.5]))),
        ],
    );
    t.write("in/shop.csv", SHOP);

    let output = t.run(&["inspect", "in/app.parquet"]);
    assert_code(&output, 0);
    let text = stdout(&output);
    for needle in [
        "columns not read: \"attrs\" (list<struct<key, value>>, nested",
        "\"city\" (dictionary<utf8>, dictionary",
        "\"photo\" (binary, binary",
        "\"session\" (duration",
        "order_total",
        "created_at",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in:\n{text}");
    }

    let output = t.run(&["merge", "in", "-o", "out"]);
    assert_code(&output, 0);
    let err = stderr(&output);
    assert!(
        err.contains("app.parquet: columns not read: \"attrs\" (list<struct<key, value>>"),
        "{err}"
    );
    let profiles = parse_csv(&t.read("out/profiles.csv"));
    let anna = profiles
        .iter()
        .find(|p| p[4] == "anna@mail.ru")
        .expect("anna's profile");
    assert_eq!(
        anna[8], "2024-03-05 12:34:56",
        "first_seen from the timestamp"
    );
    assert_eq!(anna[10], "1", "one purchase: {anna:?}");
    assert_eq!(anna[11], "1234.50", "the DECIMAL amount: {anna:?}");

    t.write("omni.toml", "[sources.app.columns]\nattrs = \"email\"\n");
    let output = t.run(&["merge", "in", "-o", "out"]);
    assert_code(&output, 1);
    let err = stderr(&output);
    for needle in [
        "app.parquet",
        "\"attrs\"",
        "list<struct",
        "[sources.app.columns]",
    ] {
        assert!(err.contains(needle), "missing {needle:?} in: {err}");
    }
}

/// Item 2: dates and timestamps in Parquet (pandas, Spark, databases) feed first and last seen.
#[test]
fn issue_16_parquet_dates_and_timestamps_feed_first_and_last_seen() {
    let t = CliTest::new();
    std::fs::create_dir(t.path().join("in")).unwrap();
    let column = |name: &str, series: Series, dtype: DataType| -> Column {
        let mut series = series.cast(&dtype).unwrap();
        series.rename(name.into());
        series.into()
    };
    // 2024-03-05 12:34:56 and 2024-03-07 00:00:00 UTC, in microseconds.
    let seen = [1_709_642_096_000_000i64, 1_709_769_600_000_000];
    let df = DataFrame::new_infer_height(vec![
        column(
            "email",
            Series::new("".into(), ["anna@mail.ru", "anna@mail.ru"]),
            DataType::String,
        ),
        column(
            "last_login",
            Series::new("".into(), seen),
            DataType::Datetime(TimeUnit::Microseconds, None),
        ),
        column(
            "signup_date",
            Series::new("".into(), [19_700i32, 19_701]),
            DataType::Date,
        ),
    ])
    .unwrap();
    write_polars(&t.path().join("in/app.parquet"), df);
    let output = t.run(&["merge", "in", "-o", "out"]);
    assert_code(&output, 0);
    let profiles = parse_csv(&t.read("out/profiles.csv"));
    assert_eq!(profiles.len(), 2, "{profiles:?}");
    // 19700 days after the epoch is 2023-12-09.
    assert_eq!(profiles[1][8], "2023-12-09", "{:?}", profiles[1]);
    assert_eq!(profiles[1][9], "2024-03-07", "{:?}", profiles[1]);
    let rejects = t.read("out/rejects.csv");
    assert!(!rejects.contains("date_invalid"), "{rejects}");
}

/// Item 7: a failed write on stdout is exit 1 with a message, for every command that writes
/// there; a closed pipe stays a success. Before: exit 0 and truncated output.
#[test]
fn issue_16_write_errors_on_stdout_exit_1() {
    let t = CliTest::new();
    t.write("in/shop.csv", SHOP);
    assert_code(&t.run(&["merge", "in", "-o", "out"]), 0);
    let commands: [&[&str]; 6] = [
        &["report", "out", "--format", "json"],
        &["explain", "out", "anna@mail.ru"],
        &["inspect", "in"],
        &["normalize", "--kind", "email", "Anna@Example.com"],
        &["merge", "in", "-o", "out2"],
        &["report", "out", "--format", "markdown"],
    ];
    for args in commands {
        let full = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap();
        let output = t.command().args(args).stdout(full).output().unwrap();
        assert_code(&output, 1);
        let err = stderr(&output);
        assert!(
            err.contains("cannot write to standard output") && err.contains("No space left"),
            "{args:?}: {err}"
        );
    }
    // A reader that went away (`omni report ... | head -c0`) is a normal end.
    let mut child = t
        .command()
        .args(["report", "out", "--format", "json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let output = child.wait_with_output().unwrap();
    assert_code(&output, 0);
    assert_eq!(stderr(&output), "");
}

/// Item 8: a named pipe, `/dev/stdin` fed by a pipe, and a process substitution are read once,
/// whole. Before: the named pipe blocked for ever, the others read as empty.
#[cfg(unix)]
#[test]
fn issue_16_named_pipe_and_stdin_are_read_once() {
    let t = CliTest::new();
    t.write("shop.csv", SHOP);
    let fifo = t.path().join("pipe.csv");
    assert!(
        Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let writer = std::thread::spawn(move || std::fs::write(fifo, SHOP).unwrap());
    let mut cmd = t.command();
    cmd.args(["merge", "pipe.csv", "-o", "out1"]);
    let output = run_with_deadline(cmd, None);
    writer.join().unwrap();
    assert_code(&output, 0);
    assert_eq!(parse_csv(&t.read("out1/links.csv")).len(), 3);

    let mut cmd = t.command();
    cmd.args(["merge", "/dev/stdin", "-o", "out2"]);
    let output = run_with_deadline(cmd, Some(SHOP.as_bytes().to_vec()));
    assert_code(&output, 0);
    let links = parse_csv(&t.read("out2/links.csv"));
    assert_eq!(links.len(), 3, "{links:?}");
    assert_eq!(links[1][0], "stdin");

    let mut cmd = Command::new("bash");
    cmd.current_dir(t.path()).arg("-c").arg(format!(
        "{} merge <(cat shop.csv) -o out3",
        env!("CARGO_BIN_EXE_omni")
    ));
    let output = run_with_deadline(cmd, None);
    assert_code(&output, 0);
    assert_eq!(parse_csv(&t.read("out3/links.csv")).len(), 3);
}

/// Item 8: `--threads` is validated and capped, with a warning. Before: `-j 100000` tried to
/// start 100,000 threads.
#[test]
fn issue_16_threads_are_validated_and_capped() {
    let t = CliTest::new();
    t.write("shop.csv", SHOP);
    let output = t.run(&["-j", "100000", "inspect", "shop.csv"]);
    assert_code(&output, 0);
    let err = stderr(&output);
    assert!(
        err.contains("--threads 100000 is more than omni uses; running with"),
        "{err}"
    );
    let output = t.run(&["-j", "lots", "inspect", "shop.csv"]);
    assert_code(&output, 2);
    assert!(
        stderr(&output).contains("'lots' is not a number of threads"),
        "{}",
        stderr(&output)
    );
    let help = stdout(&t.run(&["--help"]));
    assert!(help.contains("at most 256"), "{help}");
}

/// Item 11: Excel's `sep=;` first line names the delimiter. Before: the file was refused.
#[test]
fn issue_16_excel_sep_line_is_honoured() {
    let t = CliTest::new();
    t.write(
        "excel.csv",
        "sep=;\r\nemail;name\r\nanna@mail.ru;Anna\r\nbad-email;Bob\r\n",
    );
    let output = t.run(&["merge", "excel.csv", "-o", "out"]);
    assert_code(&output, 0);
    let links = parse_csv(&t.read("out/links.csv"));
    assert_eq!(links.len(), 3, "{links:?}");
    let rejects = parse_csv(&t.read("out/rejects.csv"));
    let bad = rejects
        .iter()
        .find(|r| r.contains(&"email_invalid".to_owned()))
        .expect("bad-email rejected");
    assert_eq!(bad[1], "2", "row numbers are unchanged: {bad:?}");
    let inspect = stdout(&t.run(&["inspect", "excel.csv"]));
    assert!(inspect.contains("';'-separated"), "{inspect}");
}

/// Item 11: a dangling symlink and a workbook in an input folder are said, not skipped silently.
#[cfg(unix)]
#[test]
fn issue_16_folder_notes_dangling_symlinks_and_workbooks() {
    let t = CliTest::new();
    t.write("in/shop.csv", SHOP);
    t.write("in/customers.xlsx", b"PK\x03\x04 not really");
    std::os::unix::fs::symlink(t.path().join("gone.csv"), t.path().join("in/old.csv")).unwrap();
    let output = t.run(&["merge", "in", "-o", "out"]);
    assert_code(&output, 0);
    let err = stderr(&output);
    assert!(
        err.contains("old.csv: a symbolic link to a missing file; skipped"),
        "{err}"
    );
    assert!(
        err.contains("customers.xlsx: a spreadsheet workbook, which omni does not read"),
        "{err}"
    );
}

/// Item 11: `-o` pointing at the input folder: omni's own outputs there are not read back as
/// inputs on the next run (said in a note). Before: the second run failed on links.csv.
#[test]
fn issue_16_out_dir_inside_the_input_folder_skips_omnis_own_outputs() {
    let t = CliTest::new();
    t.write("data/shop.csv", SHOP);
    for run in 1..=3 {
        let output = t.run(&["merge", "data", "-o", "data"]);
        assert_code(&output, 0);
        let err = stderr(&output);
        if run > 1 {
            assert!(
                err.contains(
                    "data: holds omni's outputs (an out dir), so contacts.csv, edges.csv, \
                     links.csv, profiles.csv, refused.csv, rejects.csv are not read as input"
                ),
                "run {run}: {err}"
            );
        }
        let report: serde_json::Value = serde_json::from_str(&t.read("data/report.json")).unwrap();
        assert_eq!(report["totals"]["sources"], 1, "run {run}");
        assert_eq!(report["totals"]["rows_read"], 2, "run {run}");
    }
    assert_eq!(t.read("data/shop.csv"), SHOP, "the input is untouched");
}

/// Item 11: NaN and infinite amounts and impossible dates get a rejects.csv entry with a
/// reason; the row is still used. Before: they were dropped without a word.
#[test]
fn issue_16_nan_amounts_and_impossible_dates_are_rejected() {
    let t = CliTest::new();
    t.write(
        "orders.csv",
        "email,order_total,created_at\n\
         anna@mail.ru,NaN,2024-02-30\n\
         bob@mail.ru,inf,2024-03-05\n\
         carl@mail.ru,12.50,31.04.2024\n\
         dora@mail.ru,n/a,\n\
         eve@mail.ru,10,2024-03-06\n\
         fay@mail.ru,20,2024-03-07\n\
         gus@mail.ru,30,2024-03-08\n",
    );
    let output = t.run(&["merge", "orders.csv", "-o", "out"]);
    assert_code(&output, 0);
    let rejects = parse_csv(&t.read("out/rejects.csv"));
    let mut found: Vec<[&str; 4]> = rejects
        .iter()
        .skip(1)
        .map(|r| [r[1].as_str(), r[2].as_str(), r[3].as_str(), r[4].as_str()])
        .collect();
    found.sort();
    assert_eq!(
        found,
        [
            ["1", "created_at", "2024-02-30", "date_invalid"],
            ["1", "order_total", "NaN", "amount_invalid"],
            ["2", "order_total", "inf", "amount_invalid"],
            ["3", "created_at", "31.04.2024", "date_invalid"],
        ],
        "{rejects:?}"
    );
    let profiles = parse_csv(&t.read("out/profiles.csv"));
    assert_eq!(profiles.len(), 8, "every row is still used");
    let report: serde_json::Value = serde_json::from_str(&t.read("out/report.json")).unwrap();
    assert_eq!(
        report["totals"]["values_rejected"], 0,
        "identifier values only"
    );
}
