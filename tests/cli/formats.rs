//! Issue 17: `--format parquet` writes the tables as Parquet holding the CSV tables' rows, in
//! order, with typed counts; the readers of an out dir (explain, export, report) give the same
//! answers on both; `--incremental` with Parquet tables writes them afresh, and equals CSV.

use std::collections::BTreeSet;
use std::fs::File;

use omni::output::escape::CsvEscape;
use polars::prelude::{DataFrame, DataType, ParquetReader, SerReader};

use crate::{CliTest, assert_code, parse_csv, stdout};

const TABLES: [&str; 6] = [
    "profiles", "links", "edges", "refused", "rejects", "contacts",
];

/// Reads `path` with polars.
fn read_parquet(path: &std::path::Path) -> DataFrame {
    ParquetReader::new(File::open(path).unwrap())
        .finish()
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The rows of a Parquet table as the CSV shows them: nulls empty, amounts with two decimals.
fn parquet_rows(df: &DataFrame) -> Vec<Vec<String>> {
    let mut rows = vec![vec![String::new(); df.width()]; df.height()];
    for (c, column) in df.columns().iter().enumerate() {
        let cells: Vec<Option<String>> = match column.dtype() {
            DataType::String => column
                .str()
                .unwrap()
                .iter()
                .map(|v| v.map(str::to_owned))
                .collect(),
            DataType::Int64 => column
                .i64()
                .unwrap()
                .iter()
                .map(|v| v.map(|n| n.to_string()))
                .collect(),
            DataType::Float64 => column
                .f64()
                .unwrap()
                .iter()
                .map(|v| v.map(|a| format!("{a:.2}")))
                .collect(),
            other => panic!("column {} has type {other}", column.name()),
        };
        for (row, cell) in rows.iter_mut().zip(cells) {
            row[c] = cell.unwrap_or_default();
        }
    }
    rows
}

/// The CSV table `dir/name.csv`, header apart, formula escape undone.
fn csv_table(t: &CliTest, dir: &str, name: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let mut rows = parse_csv(&t.read(&format!("{dir}/{name}.csv")));
    let header = rows.remove(0);
    for row in &mut rows {
        for cell in row.iter_mut() {
            *cell = CsvEscape::Formulas.unescape(cell).to_owned();
        }
    }
    (header, rows)
}

fn files(t: &CliTest, dir: &str) -> BTreeSet<String> {
    std::fs::read_dir(t.path().join(dir))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
}

/// The sample merged both ways, into `csv` and `parquet`.
fn both_ways() -> CliTest {
    let t = CliTest::new();
    t.copy("sample", "in");
    assert_code(&t.run(&["merge", "in", "-o", "csv", "-q"]), 0);
    let parquet = t.run(&["merge", "in", "-o", "parquet", "--format", "parquet"]);
    assert_code(&parquet, 0);
    // The summary names the files as written.
    let said = stdout(&parquet);
    for text in [
        "(see rejects.parquet)",
        "(see refused.parquet)",
        "wrote parquet/: profiles.parquet, links.parquet, rejects.parquet, edges.parquet, \
         refused.parquet, contacts.parquet, report.json, report.html\n",
    ] {
        assert!(said.contains(text), "{text} not in {said}");
    }
    t
}

#[test]
fn parquet_tables_hold_the_csv_rows_in_order_with_typed_counts() {
    let t = both_ways();
    let expected: BTreeSet<String> = ["report.json", "report.html"]
        .into_iter()
        .map(str::to_owned)
        .chain(TABLES.map(|n| format!("{n}.parquet")))
        .collect();
    assert_eq!(files(&t, "parquet"), expected);
    for name in TABLES {
        let df = read_parquet(&t.path().join(format!("parquet/{name}.parquet")));
        let (header, rows) = csv_table(&t, "csv", name);
        let columns: Vec<&str> = df.get_column_names().iter().map(|n| n.as_str()).collect();
        assert_eq!(columns, header, "{name}: columns");
        assert!(
            !rows.is_empty() && rows.len() == df.height(),
            "{name}: rows"
        );
        assert!(
            parquet_rows(&df) == rows,
            "{name}: rows differ from {name}.csv"
        );
        for (column, dtype) in header.iter().zip(df.dtypes()) {
            let want = match column.as_str() {
                "row" | "parent_row" | "records" | "purchases" => DataType::Int64,
                "amount_total" => DataType::Float64,
                _ => DataType::String,
            };
            assert_eq!(dtype, want, "{name}.{column}");
        }
    }
    let profiles = read_parquet(&t.path().join("parquet/profiles.parquet"));
    // A profile without purchases has a null total, not an empty string or 0.
    let (purchases, total) = (
        profiles.column("purchases").unwrap(),
        profiles.column("amount_total").unwrap(),
    );
    let zero = purchases
        .i64()
        .unwrap()
        .iter()
        .filter(|p| *p == Some(0))
        .count();
    assert!(zero > 0);
    assert_eq!(total.null_count(), zero);
    assert_eq!(t.read("csv/report.json"), t.read("parquet/report.json"));
}

#[test]
fn explain_export_and_report_read_a_parquet_out_dir_as_the_csv_one() {
    let t = both_ways();
    let (_, profiles) = csv_table(&t, "csv", "profiles");
    let (_, links) = csv_table(&t, "csv", "links");
    let unlinked = links
        .iter()
        .find(|r| r[3].is_empty())
        .expect("a record in no profile");
    let email = profiles.iter().find(|p| !p[4].is_empty()).unwrap()[4].clone();
    let queries = [
        (profiles[0][0].clone(), 0),
        (format!("{}:{}", links[5][0], links[5][1]), 0),
        (format!("{}:{}", unlinked[0], unlinked[1]), 1),
        (email.split('|').next().unwrap().to_uppercase(), 0),
    ];
    for (query, code) in &queries {
        let a = t.run(&["explain", "csv", query]);
        let b = t.run(&["explain", "parquet", query]);
        assert_code(&a, *code);
        assert_code(&b, *code);
        assert_eq!(stdout(&a), stdout(&b), "{query}");
        let said = |o: &std::process::Output| crate::stderr(o).replace("parquet", "csv");
        assert_eq!(said(&a), said(&b), "{query}");
        match code {
            0 => assert!(stdout(&a).starts_with("profile P"), "{query}"),
            _ => assert!(crate::stderr(&a).contains("is in no profile"), "{query}"),
        }
    }
    let missing = t.run(&["explain", "parquet", "web_shop:99999"]);
    assert_code(&missing, 1);
    assert!(
        crate::stderr(&missing).contains("parquet/links.parquet"),
        "{}",
        crate::stderr(&missing)
    );
    assert_code(&t.run(&["-q", "export", "csv", "-o", "exp-csv"]), 0);
    assert_code(&t.run(&["-q", "export", "parquet", "-o", "exp-pq"]), 0);
    for file in ["cascade.csv", "send/email.csv", "audiences/meta.csv"] {
        let a = t.read(&format!("exp-csv/{file}"));
        assert!(a.lines().count() > 1, "{file} has rows");
        assert_eq!(a, t.read(&format!("exp-pq/{file}")), "{file}");
    }
    let a = t.run(&["report", "csv", "--format", "markdown"]);
    let b = t.run(&["report", "parquet", "--format", "markdown"]);
    assert_code(&b, 0);
    assert_eq!(stdout(&a), stdout(&b));
}

#[test]
fn a_parquet_out_dir_is_not_read_as_input_as_a_csv_one_is_not() {
    let t = both_ways();
    for dir in ["csv", "parquet"] {
        let run = t.run(&["merge", dir, "-o", "again", "-q", "--format", "parquet"]);
        assert_code(&run, 1);
        assert_eq!(
            crate::stderr(&run),
            format!(
                "omni: error: {dir}: folder has no input files (.csv, .tsv, .txt, .csv.gz, \
                 .parquet)\n"
            )
        );
    }
}

/// Splits the sample into two nights: everything but web_shop, then web_shop.
fn nights() -> CliTest {
    let t = CliTest::new();
    t.copy("sample", "n1")
        .copy("sample/web_shop.csv", "n2/web_shop.csv");
    std::fs::remove_file(t.path().join("n1/web_shop.csv")).unwrap();
    t
}

/// Runs night 1 into `out` (format `first`), then night 2 with --incremental (format `second`).
fn two_nights(t: &CliTest, out: &str, first: &str, second: &str) {
    let state = format!("state-{out}");
    let night1 = [
        "merge", "n1", "-o", out, "--state", &state, "-q", "--format", first,
    ];
    assert_code(&t.run(&night1), 0);
    let night2 = [
        "merge",
        "n2",
        "-o",
        out,
        "--state",
        &state,
        "--incremental",
        "-q",
        "--format",
        second,
    ];
    assert_code(&t.run(&night2), 0);
}

#[test]
fn incremental_runs_with_parquet_tables_write_them_afresh_and_equal_csv() {
    let t = nights();
    two_nights(&t, "cc", "csv", "csv");
    two_nights(&t, "cp", "csv", "parquet");
    two_nights(&t, "pp", "parquet", "parquet");
    two_nights(&t, "pc", "parquet", "csv");
    for name in TABLES {
        let (header, rows) = csv_table(&t, "cc", name);
        let (_, from_parquet) = csv_table(&t, "pc", name);
        assert!(rows == from_parquet, "{name}: csv after a parquet night");
        for out in ["cp", "pp"] {
            let df = read_parquet(&t.path().join(format!("{out}/{name}.parquet")));
            assert_eq!(df.width(), header.len());
            assert!(
                parquet_rows(&df) == rows,
                "{name}: {out} differs from the CSV nights"
            );
        }
    }
    // The out dir switches whole: no table of the other format is left behind.
    assert!(!files(&t, "pc").iter().any(|f| f.ends_with(".parquet")));
    assert!(!files(&t, "cp").contains("profiles.csv"));
    assert!(files(&t, "pc").contains("changes.csv") && files(&t, "pp").contains("changes.csv"));
    assert_eq!(t.read("cc/changes.csv"), t.read("pp/changes.csv"));
}
