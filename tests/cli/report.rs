//! `omni report OUT_DIR`, report.html, and the transactions metrics of report.json.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;

use crate::{CliTest, assert_code, parse_csv, stderr, stdout};

/// The sample merged into `out/`.
fn sample() -> CliTest {
    let t = CliTest::new();
    t.copy("sample", "sample");
    let output = t.run(&["merge", "sample", "-o", "out"]);
    assert_code(&output, 0);
    t
}

fn report(t: &CliTest) -> serde_json::Value {
    serde_json::from_str(&t.read("out/report.json")).unwrap()
}

/// The version changes with every release; snapshots must not.
fn without_version(text: &str) -> String {
    text.replace(env!("CARGO_PKG_VERSION"), "[version]")
}

#[test]
fn report_text_is_the_merge_summary_without_the_file_list() {
    let t = CliTest::new();
    t.copy("sample", "sample");
    let merged = t.run(&["merge", "sample", "-o", "out"]);
    assert_code(&merged, 0);
    let summary = stdout(&merged);
    let (body, last) = summary.trim_end().rsplit_once('\n').unwrap();
    assert!(last.starts_with("wrote out/:"), "{last}");
    let output = t.run(&["report", "out"]);
    assert_code(&output, 0);
    assert_eq!(stdout(&output), format!("{body}\n"));
    // --quiet does not silence the command's own output.
    let quiet = t.run(&["report", "out", "--quiet"]);
    assert_eq!(stdout(&quiet), stdout(&output));
}

#[test]
fn report_json_prints_the_file_as_written() {
    let t = sample();
    let output = t.run(&["report", "out", "--format", "json"]);
    assert_code(&output, 0);
    assert_eq!(stdout(&output), t.read("out/report.json"));
}

#[test]
fn report_markdown_is_stable() {
    let t = sample();
    let output = t.run(&["report", "out", "--format", "markdown"]);
    assert_code(&output, 0);
    insta::assert_snapshot!("report_markdown", stdout(&output));
}

#[test]
fn report_of_a_missing_or_foreign_folder_names_the_fix() {
    let t = CliTest::new();
    let output = t.run(&["report", "nowhere"]);
    assert_code(&output, 1);
    assert!(
        stderr(&output).contains("nowhere: no such folder; run `omni merge INPUTS -o nowhere`"),
        "{}",
        stderr(&output)
    );
    t.write("empty/x.txt", "");
    let output = t.run(&["report", "empty"]);
    assert_code(&output, 1);
    assert!(stderr(&output).contains("report.json: cannot read it"));
    t.write("newer/report.json", r#"{"schema_version": 99}"#);
    let output = t.run(&["report", "newer"]);
    assert_code(&output, 1);
    assert!(stderr(&output).contains("schema_version 99 was written by a newer omni"));
    t.write(
        "older/report.json",
        r#"{"schema_version": 1, "totals": {}}"#,
    );
    let output = t.run(&["report", "older"]);
    assert_code(&output, 1);
    assert!(stderr(&output).contains("run `omni merge` again"));
}

#[test]
fn report_html_is_stable() {
    let t = sample();
    insta::assert_snapshot!("report_html", without_version(&t.read("out/report.html")));
}

#[test]
fn report_html_is_self_contained_and_shows_every_section() {
    let t = sample();
    let html = t.read("out/report.html");
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains(r#"<meta charset="utf-8">"#));
    for banned in [
        "<script", "<link", "<img", "<iframe", "@import", "url(", "src=",
    ] {
        assert!(!html.contains(banned), "report.html contains {banned}");
    }
    // The only URL is the SVG namespace, which is a name, not a request.
    let urls = html.matches("http").count();
    let namespaces = html.matches("http://www.w3.org/2000/svg").count();
    assert_eq!(urls, namespaces);
    for id in [
        "headline",
        "match-rate",
        "overlap",
        "channels",
        "cluster-sizes",
        "quality",
        "largest",
        "reachability",
        "transactions",
        "guards",
        "definitions",
    ] {
        assert!(html.contains(&format!("<section id=\"{id}\"")), "{id}");
    }
    // Russian column names come through as text.
    assert!(html.contains("Номер карты"));
    assert_eq!(html.matches("<svg").count(), html.matches("</svg>").count());
}

#[test]
fn without_amounts_the_transactions_section_is_a_note() {
    let t = CliTest::new();
    t.write(
        "in/a.csv",
        "email,name\nanna@mail.ru,Анна\n<b>@x,Bob & <i>Co</i>\n",
    );
    t.write("in/b.csv", "email\nanna@mail.ru\n");
    let output = t.run(&["merge", "in", "-o", "out"]);
    assert_code(&output, 0);
    let report = report(&t);
    let tx = &report["transactions"];
    assert_eq!(tx["available"], false);
    assert!(tx["purchases"].is_null() && tx["first_purchase"].is_null());
    assert!(
        tx["note"]
            .as_str()
            .unwrap()
            .starts_with("no source has an amount column")
    );
    assert!(!stdout(&output).contains("buyers:"));
    let html = t.read("out/report.html");
    assert!(html.contains("Not computed: no source has an amount column"));
    let markdown = stdout(&t.run(&["report", "out", "--format", "markdown"]));
    assert!(markdown.contains("Not computed: no source has an amount column"));
}

#[test]
fn first_contact_to_first_purchase_is_measured_from_the_earliest_record() {
    let t = CliTest::new();
    // anna: signed up 2024-01-01, bought 2024-01-11 (10 days later) and again in the shop.
    // boris: his first record is a purchase (delay 0). vera: never bought.
    t.write(
        "in/app.csv",
        "email,registered_at\n\
         anna@mail.ru,2024-01-01 00:00:00\n\
         boris@mail.ru,2024-03-01 00:00:00\n\
         vera@mail.ru,2024-01-01 00:00:00\n",
    );
    t.write(
        "in/orders.csv",
        "email,amount,ordered_at\n\
         anna@mail.ru,100.50,2024-01-11 00:00:00\n\
         anna@mail.ru,0.00,2023-06-01 00:00:00\n\
         boris@mail.ru,50,2024-02-01 00:00:00\n\
         ,70,2024-02-02 00:00:00\n",
    );
    t.write(
        "in/shop.csv",
        "email,total,paid_at\nanna@mail.ru,200,2024-05-01 00:00:00\n",
    );
    let output = t.run(&["merge", "in", "-o", "out"]);
    assert_code(&output, 0);
    let tx = &report(&t)["transactions"];
    let p = &tx["purchases"];
    assert_eq!(p["records"], 4, "{tx:#}");
    assert_eq!(p["revenue"], 420.5);
    assert_eq!(p["records_without_profile"], 1);
    assert_eq!(p["buyers"], 2);
    assert_eq!(p["buyers_in_several_channels"], 1);
    // anna's first record is the zero-amount order of 2023-06-01: not a purchase, but a contact.
    let fp = &tx["first_purchase"];
    assert_eq!(fp["buyers_measured"], 2);
    assert_eq!(fp["purchase_was_first_contact"], 1);
    assert_eq!(fp["contact_came_first"], 1);
    let days = (1_704_931_200 - 1_685_577_600) as f64 / 86_400.0;
    assert_eq!(fp["median_days"].as_f64(), Some(days));
    let rows = tx["by_channel_count"].as_array().unwrap();
    // vera (app only) and boris (app + orders) and anna (app + orders + shop).
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[0]["profiles"], 1);
    assert_eq!(rows[0]["buyers"], 0);
    assert_eq!(rows[1]["revenue"], 50.0);
    assert_eq!(rows[2]["purchases"], 2);
    assert_eq!(rows[2]["revenue_per_buyer"], 300.5);
}

/// Amount cells as the sample writes them: `14 344,58` (till) or `170456.30` (web shop).
fn parse_amount(cell: &str) -> Option<f64> {
    let cleaned: String = cell
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '\u{202f}')
        .map(|c| if c == ',' { '.' } else { c })
        .collect();
    cleaned.parse().ok()
}

/// `(source, row) → amount` for the sample's two files with amounts, read without omni.
fn sample_amounts() -> BTreeMap<(String, u64), f64> {
    let mut amounts = BTreeMap::new();
    let web = std::fs::read_to_string(crate::repo_path("testdata/sample/web_shop.csv")).unwrap();
    let rows = parse_csv(&web);
    let col = rows[0].iter().position(|h| h == "orders_total").unwrap();
    for (i, row) in rows[1..].iter().enumerate() {
        if let Some(a) = row.get(col).and_then(|c| parse_amount(c)) {
            amounts.insert(("web_shop".to_owned(), i as u64 + 1), a);
        }
    }
    let gz = std::fs::read(crate::repo_path("testdata/sample/pos_receipts.csv.gz")).unwrap();
    let mut text = String::new();
    flate2::read::GzDecoder::new(&gz[..])
        .read_to_string(&mut text)
        .unwrap();
    let mut rdr = csv::ReaderBuilder::new()
        .delimiter(b'|')
        .from_reader(text.as_bytes());
    let col = rdr
        .headers()
        .unwrap()
        .iter()
        .position(|h| h == "amount")
        .unwrap();
    for (i, row) in rdr.records().enumerate() {
        if let Some(a) = row.unwrap().get(col).and_then(parse_amount) {
            amounts.insert(("pos_receipts".to_owned(), i as u64 + 1), a);
        }
    }
    amounts
}

#[test]
fn transactions_agree_with_an_independent_count_from_links() {
    let t = sample();
    let tx = report(&t)["transactions"].clone();
    let amounts = sample_amounts();
    let links = parse_csv(&t.read("out/links.csv"));
    let mut sources_of: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    // profile → (purchases, revenue, sources bought in)
    let mut bought: BTreeMap<String, (u64, f64, BTreeSet<String>)> = BTreeMap::new();
    let (mut anonymous, mut purchases, mut revenue) = (0u64, 0u64, 0.0f64);
    for l in &links[1..] {
        let (source, row, profile) = (&l[0], l[1].parse::<u64>().unwrap(), &l[3]);
        if !profile.is_empty() {
            sources_of
                .entry(profile.clone())
                .or_default()
                .insert(source.clone());
        }
        let Some(&amount) = amounts.get(&(source.clone(), row)) else {
            continue;
        };
        if amount <= 0.0 {
            continue;
        }
        purchases += 1;
        revenue += amount;
        if profile.is_empty() {
            anonymous += 1;
            continue;
        }
        let entry = bought.entry(profile.clone()).or_default();
        entry.0 += 1;
        entry.1 += amount;
        entry.2.insert(source.clone());
    }
    let p = &tx["purchases"];
    assert_eq!(p["records"].as_u64(), Some(purchases));
    assert!((p["revenue"].as_f64().unwrap() - revenue).abs() < 0.01);
    assert_eq!(p["records_without_profile"].as_u64(), Some(anonymous));
    assert_eq!(p["buyers"].as_u64(), Some(bought.len() as u64));
    let several = bought.values().filter(|b| b.2.len() > 1).count() as u64;
    assert_eq!(p["buyers_in_several_channels"].as_u64(), Some(several));
    assert!(
        several > 0,
        "the sample must have buyers in several channels"
    );

    // profiles, buyers, purchases and revenue by the number of sources a profile appears in.
    let mut by_k: BTreeMap<usize, (u64, u64, u64, f64)> = BTreeMap::new();
    for (profile, sources) in &sources_of {
        let row = by_k.entry(sources.len()).or_default();
        row.0 += 1;
        if let Some(b) = bought.get(profile) {
            row.1 += 1;
            row.2 += b.0;
            row.3 += b.1;
        }
    }
    let rows = tx["by_channel_count"].as_array().unwrap();
    assert_eq!(rows.len(), by_k.len());
    for row in rows {
        let k = row["channels"].as_u64().unwrap() as usize;
        let (profiles, buyers, n, rev) = by_k[&k];
        assert_eq!(row["profiles"].as_u64(), Some(profiles), "k={k}");
        assert_eq!(row["buyers"].as_u64(), Some(buyers), "k={k}");
        assert_eq!(row["purchases"].as_u64(), Some(n), "k={k}");
        assert!(
            (row["revenue"].as_f64().unwrap() - rev).abs() < 0.01,
            "k={k}"
        );
    }
    // channels_per_customer from links too.
    let channels = &report(&t)["channels_per_customer"];
    for (k, (profiles, ..)) in &by_k {
        assert_eq!(channels[k.to_string()].as_u64(), Some(*profiles));
    }
}

#[test]
fn report_json_reads_back_into_the_report_without_loss() {
    // `omni report` renders from the deserialized struct: every field must survive the trip.
    let t = sample();
    let text = t.read("out/report.json");
    let parsed: omni::report::Report = serde_json::from_str(&text).unwrap();
    let again = serde_json::to_value(&parsed).unwrap();
    let original: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(again, original);
}
