//! Awkward and broken exports: what omni says, which code it exits with, what it rejects.

use crate::{CliTest, assert_code, parse_csv, stderr, stdout};

fn cp1251(text: &str) -> Vec<u8> {
    encoding_rs::WINDOWS_1251.encode(text).0.into_owned()
}

#[test]
fn excel_cp1251_semicolon_export_with_float_phones_links_to_utf8_export() {
    let t = CliTest::new();
    t.write(
        "in/loyalty.csv",
        cp1251("Номер карты;ФИО;Телефон\r\n0048213377;Иванов Иван;7.9161234567E10\r\n"),
    );
    t.write(
        "in/shop.csv",
        "email,phone\r\nivan@mail.ru,+7 916 123-45-67\r\n",
    );
    let output = t.run(&["merge", "in", "-o", "out", "--country", "RU"]);
    assert_code(&output, 0);
    let profiles = parse_csv(&t.read("out/profiles.csv"));
    assert_eq!(profiles.len(), 2, "one profile: {profiles:?}");
    assert_eq!(profiles[1][1], "Иванов Иван");
    assert_eq!(profiles[1][5], "+79161234567");
    assert_eq!(profiles[1][6], "48213377");
}

#[test]
fn utf8_bom_and_blank_lines_are_handled() {
    let t = CliTest::new();
    t.write(
        "in/list.csv",
        "\u{feff}email;name\n\nanna.k@mail.ru;Anna\n\n\nAnna.K@Mail.RU ;Anna K.\n",
    );
    let output = t.run(&["merge", "in", "-o", "out"]);
    assert_code(&output, 0);
    let links = parse_csv(&t.read("out/links.csv"));
    assert_eq!(links.len(), 3, "{links:?}");
    assert_eq!(
        links[1][3], links[2][3],
        "same email after normalization links"
    );
    assert_eq!(links[2][1], "2", "blank lines are not data rows");
}

#[test]
fn a_file_without_any_identifier_column_names_its_columns_and_the_fix() {
    let t = CliTest::new();
    t.write("in/odd.csv", "foo,bar\n1,2\n");
    let output = t.run(&["merge", "in/odd.csv", "-o", "out"]);
    assert_code(&output, 1);
    let err = stderr(&output);
    for needle in [
        "odd.csv",
        "\"foo\"",
        "\"bar\"",
        "omni.toml",
        "[sources.odd.columns]",
    ] {
        assert!(err.contains(needle), "missing {needle:?} in: {err}");
    }
}

#[test]
fn config_can_map_an_unrecognised_column() {
    let t = CliTest::new();
    t.write("in/odd.csv", "foo,bar\nx@y.ru,2\nX@Y.RU,3\n");
    t.write(
        "omni.toml",
        "[sources.odd.columns]\nfoo = \"email\"\nbar = \"key\"\n",
    );
    let output = t.run(&["merge", "in/odd.csv", "-o", "out"]);
    assert_code(&output, 0);
    let links = parse_csv(&t.read("out/links.csv"));
    assert_eq!(links[1][2], "2");
    assert_eq!(links[1][3], links[2][3]);
}

#[test]
fn ragged_rows_are_rejected_with_their_row_number_and_counted() {
    let t = CliTest::new();
    t.write(
        "in/r.csv",
        "email,name\nanna@mail.ru,A\ncarl@mail.ru,C,extra,fields\nemma@mail.ru,E\n",
    );
    let output = t.run(&["merge", "in", "-o", "out"]);
    assert_code(&output, 0);
    let rejects = parse_csv(&t.read("out/rejects.csv"));
    assert!(
        rejects.iter().any(|r| r[1] == "2" && r[4] == "ragged_row"),
        "{rejects:?}"
    );
    let report: serde_json::Value = serde_json::from_str(&t.read("out/report.json")).unwrap();
    assert_eq!(report["totals"]["rows_read"], 3);
    assert_eq!(report["totals"]["rows_unreadable"], 1);
    assert_eq!(report["totals"]["records_in_profiles"], 2);
}

#[test]
fn bad_values_are_rejected_but_the_row_still_links_through_the_others() {
    let t = CliTest::new();
    t.write(
        "in/a.csv",
        "email,phone\nnot-an-email,+7 916 123-45-67\ntest@test.com,\n",
    );
    t.write("in/b.csv", "phone\n89161234567\n");
    let output = t.run(&["merge", "in", "-o", "out", "--country", "RU"]);
    assert_code(&output, 0);
    let rejects = parse_csv(&t.read("out/rejects.csv"));
    let reasons: Vec<(&str, &str, &str)> = rejects[1..]
        .iter()
        .map(|r| (r[1].as_str(), r[3].as_str(), r[4].as_str()))
        .collect();
    assert!(
        reasons.contains(&("1", "not-an-email", "email_invalid")),
        "{reasons:?}"
    );
    assert!(
        reasons.contains(&("2", "test@test.com", "junk_value")),
        "{reasons:?}"
    );
    assert!(reasons.contains(&("2", "", "no_identifier")), "{reasons:?}");
    let profiles = parse_csv(&t.read("out/profiles.csv"));
    assert_eq!(
        profiles.len(),
        2,
        "a.csv row 1 and b.csv row 1 share the phone: {profiles:?}"
    );
}

#[test]
fn an_empty_file_is_a_clear_error() {
    let t = CliTest::new();
    t.write("in/empty.csv", "");
    let output = t.run(&["merge", "in/empty.csv", "-o", "out"]);
    assert_code(&output, 1);
    assert!(stderr(&output).contains("empty.csv"), "{}", stderr(&output));
}

#[test]
fn an_unwritable_out_dir_fails_before_reading() {
    let t = CliTest::new();
    t.copy("sample", "sample");
    t.write("blocker", "a file, not a folder");
    let output = t.run(&["merge", "sample", "-o", "blocker/out"]);
    assert_code(&output, 1);
    assert!(stderr(&output).contains("blocker"), "{}", stderr(&output));
}

#[test]
fn the_same_file_given_twice_is_read_once() {
    let t = CliTest::new();
    t.write("in/a.csv", "email\nanna.k@mail.ru\n");
    let output = t.run(&["merge", "in/a.csv", "in/../in/a.csv", "-o", "out"]);
    assert_code(&output, 0);
    assert!(
        stderr(&output).contains("given more than once"),
        "{}",
        stderr(&output)
    );
    assert_eq!(parse_csv(&t.read("out/links.csv")).len(), 2);
}

#[test]
fn gzipped_csv_is_read_transparently() {
    use std::io::Write;
    let t = CliTest::new();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(b"card|phone\n48213377|\n").unwrap();
    t.write("in/pos.csv.gz", gz.finish().unwrap());
    t.write("in/loyalty.csv", "card,email\n0048213377,olga.k@mail.ru\n");
    let output = t.run(&["merge", "in", "-o", "out"]);
    assert_code(&output, 0);
    let profiles = parse_csv(&t.read("out/profiles.csv"));
    assert_eq!(profiles.len(), 2, "{profiles:?}");
    assert_eq!(profiles[1][3], "loyalty|pos");
}

#[test]
fn a_file_without_region_evidence_takes_the_region_of_the_runs_other_files() {
    let t = CliTest::new();
    t.write(
        "in/loyalty.csv",
        cp1251("Номер карты;ФИО;Телефон\r\n48213377;Иванов Иван;8 916 123-45-67\r\n"),
    );
    t.write("in/pos.csv", "receipt,phone\nR1,8-916-123-45-67\n");
    let output = t.run(&["merge", "in", "-o", "out"]);
    assert_code(&output, 0);
    let links = parse_csv(&t.read("out/links.csv"));
    assert!(
        !links[1][3].is_empty() && links[1][3] == links[2][3],
        "the receipt joins Ivan: {links:?}"
    );
    let report: serde_json::Value = serde_json::from_str(&t.read("out/report.json")).unwrap();
    let pos = report["sources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "pos")
        .unwrap();
    assert_eq!(pos["phone_region"], "RU");
    assert_eq!(
        pos["phone_region_from"],
        "inferred: the run's other sources are RU"
    );
}

#[test]
fn national_numbers_without_any_region_are_rejected_with_a_hint() {
    let t = CliTest::new();
    t.write("in/pos.csv", "receipt,phone\nR1,8-916-123-45-67\n");
    let output = t.run(&["merge", "in", "-o", "out"]);
    assert_code(&output, 0);
    assert!(stderr(&output).contains("--country"), "{}", stderr(&output));
    let rejects = parse_csv(&t.read("out/rejects.csv"));
    assert_eq!(rejects[1][4], "phone_unparseable");
    let fixed = t.run(&["merge", "in", "-o", "out", "--country", "RU"]);
    assert_code(&fixed, 0);
    assert_eq!(parse_csv(&t.read("out/profiles.csv"))[1][5], "+79161234567");
}

#[test]
fn a_one_row_file_is_summarised_in_the_singular() {
    let t = CliTest::new();
    t.write("one.csv", "email,name\nivan@mail.ru,Ivan\n");
    let output = t.run(&["merge", "one.csv", "-o", "out"]);
    assert_code(&output, 0);
    let out = stdout(&output);
    assert!(
        out.contains("omni merge: 1 row from 1 source -> 1 profile,"),
        "{out}"
    );
    assert!(out.contains("with 1 record from one"), "{out}");
}

/// One bad phone, one row swallowed by an open quote: every count in the summary's reject and
/// guard lines and in the phone warning reads in the singular ("1 values" before).
#[test]
fn single_rejects_are_counted_in_the_singular() {
    let t = CliTest::new();
    t.write(
        "broken.csv",
        "email;phone;name\nann@mail.ru;89161234567;Ann\n\"bob@mail.ru;8916;Bob\nx;y\n",
    );
    let output = t.run(&["merge", "broken.csv", "-o", "out"]);
    assert_code(&output, 0);
    let out = stdout(&output);
    assert!(
        out.contains("rejected: 1 value, 0 rows without identifier, 1 unreadable row (see"),
        "{out}"
    );
    assert!(
        out.contains("guards: 0 generic identifiers, 0 links refused, 0 profiles above"),
        "{out}"
    );
    let err = stderr(&output);
    assert!(
        err.contains("broken.csv: 1 phone number rejected as unparseable"),
        "{err}"
    );
}

/// The verbose junk-value lines count in the singular too ("1 cells" before).
#[test]
fn a_junk_value_seen_once_is_one_cell() {
    let t = CliTest::new();
    t.write(
        "web.csv",
        "email,name\ntest@test.com,Ann\nbob@mail.ru,Bob\nn/a,Carl\nn/a,Dina\n",
    );
    let output = t.run(&["merge", "web.csv", "-o", "out", "-v"]);
    assert_code(&output, 0);
    let out = stdout(&output);
    assert!(out.contains("junk value test@test.com: 1 cell\n"), "{out}");
    assert!(out.contains("junk value n/a: 2 cells\n"), "{out}");
}
