//! `omni explain` on a hand-written out dir: every kind of query, records without a profile,
//! values known only to the over-merge guards, and the errors.

use crate::{CliTest, assert_code, parse_csv, stderr, stdout};

const PROFILES: &str = "\
profile_id,name,records,sources,emails,phones,cards,ids,first_seen,last_seen,purchases,amount_total
P0a782ab700643238,Макар Шевченко,5,email_list|loyalty|mobile_app|pos_receipts|web_shop,makarshevchenko1975@mail.ru,+79840425042,40633732,,2019-05-16 12:48:34,2025-04-04 20:47:32,4,129669.95
P1111111111111111,Ivan Petrov,2,crm_export|web_shop,ivanpetrov@gmail.com,+79161234567,,crm:123,2020-01-01 10:00:00,2021-01-01 10:00:00,1,100.00
P2222222222222222,Мария Петрова,1,loyalty,,+74951234567,,,,,0,
";

const LINKS: &str = "\
source,row,record_key,profile_id,matched_by
crm_export,1,123,P1111111111111111,phone
email_list,4,e2acb735710a,P0a782ab700643238,email
loyalty,12,,P0a782ab700643238,phone
loyalty,30,,P2222222222222222,
mobile_app,33,500033,P0a782ab700643238,email
pos_receipts,45,,,
pos_receipts,88,,P0a782ab700643238,card
web_shop,5,100005,P1111111111111111,phone
web_shop,57,100057,P0a782ab700643238,email
web_shop,60,100060,,
";

const EDGES: &str = "\
profile_id,source,row,record_key,name,parent_source,parent_row,via_kind,via_value
P0a782ab700643238,web_shop,57,100057,Макар Шевченко,,,,
P0a782ab700643238,mobile_app,33,500033,Makar Shevchenko,web_shop,57,email,makarshevchenko1975@mail.ru
P0a782ab700643238,email_list,4,e2acb735710a,Макар,web_shop,57,email,makarshevchenko1975@mail.ru
P0a782ab700643238,loyalty,12,,Шевченко Макар,mobile_app,33,phone,+79840425042
P0a782ab700643238,pos_receipts,88,,,loyalty,12,card,40633732
P1111111111111111,web_shop,5,100005,Ivan Petrov,,,,
P1111111111111111,crm_export,1,123,Иван Петров,web_shop,5,phone,+79161234567
P2222222222222222,loyalty,30,,Мария Петрова,,,,
";

const REFUSED: &str = "\
source,row,profile_id,kind,value,rule,detail
pos_receipts,45,,phone,+74992311042,generic,joins 452 different names (limit 20)
mobile_app,33,P0a782ab700643238,phone,+74992311042,generic,joins 452 different names (limit 20)
loyalty,30,P2222222222222222,phone,+79840425042,name_mismatch,\"names disagree: \"\"Мария Петрова\"\" vs \"\"Макар Шевченко\"\"\"
";

const REJECTS: &str = "\
source,row,column,value,reason
web_shop,60,email,n/a,junk_value
";

const REPORT: &str = r#"{
  "schema_version": 1,
  "sources": [
    {"name": "loyalty", "phone_region": "RU"},
    {"name": "web_shop", "phone_region": ""}
  ]
}"#;

/// A working dir with `out/` holding every file explain reads.
fn out_dir() -> CliTest {
    let t = CliTest::new();
    t.write("out/profiles.csv", PROFILES)
        .write("out/links.csv", LINKS)
        .write("out/edges.csv", EDGES)
        .write("out/refused.csv", REFUSED)
        .write("out/rejects.csv", REJECTS)
        .write("out/report.json", REPORT);
    t
}

/// Runs `omni explain out <query>` and returns stdout, asserting exit 0.
fn explain(t: &CliTest, query: &str) -> String {
    let output = t.run(&["explain", "out", query]);
    assert_code(&output, 0);
    assert_eq!(stderr(&output), "");
    stdout(&output)
}

/// Runs `omni explain out <query>` and returns stderr, asserting exit 1 and empty stdout.
fn explain_fails(t: &CliTest, query: &str) -> String {
    let output = t.run(&["explain", "out", query]);
    assert_code(&output, 1);
    assert_eq!(stdout(&output), "");
    stderr(&output)
}

#[test]
fn profile_id_shows_summary_tree_and_refused_links() {
    let t = out_dir();
    insta::assert_snapshot!("explain_profile_tree", explain(&t, "P0a782ab700643238"));
}

#[test]
fn email_in_another_spelling_finds_the_profile() {
    let t = out_dir();
    let text = explain(&t, "Ivan.Petrov+promo@GMAIL.com");
    assert!(
        text.starts_with("profile P1111111111111111: Ivan Petrov\n"),
        "{text}"
    );
    assert!(
        text.contains("└── phone +79161234567 → crm_export:1 [123] Иван Петров"),
        "{text}"
    );
}

#[test]
fn national_phone_is_read_with_the_region_from_the_report() {
    let t = out_dir();
    let text = explain(&t, "8 984 042-50-42");
    assert!(text.starts_with("profile P0a782ab700643238: "), "{text}");
    // Without the report's region and without --country the national number is unreadable.
    let other = explain(&t, "+7 984 042-50-42");
    assert_eq!(text, other);
}

#[test]
fn country_flag_overrides_the_report_regions() {
    let t = out_dir();
    let output = t.run(&["explain", "out", "8 984 042-50-42", "--country", "US"]);
    assert_code(&output, 1);
    assert!(
        stderr(&output).contains("no profile matches '8 984 042-50-42'"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn record_reference_finds_its_profile() {
    let t = out_dir();
    let by_record = explain(&t, "loyalty:12");
    assert_eq!(by_record, explain(&t, "P0a782ab700643238"));
}

#[test]
fn namespaced_id_finds_its_profile() {
    let t = out_dir();
    let text = explain(&t, "crm:123");
    assert!(text.starts_with("profile P1111111111111111"), "{text}");
    assert!(text.contains("  ids:    crm:123\n"), "{text}");
}

#[test]
fn refused_links_of_a_profile_include_its_records_and_identifiers() {
    let t = out_dir();
    let text = explain(&t, "P2222222222222222");
    assert!(text.contains("refused links (1):\n  loyalty:30 phone +79840425042: name_mismatch — names disagree: \"Мария Петрова\" vs \"Макар Шевченко\"\n"), "{text}");
}

#[test]
fn generic_value_shows_the_records_holding_it() {
    let t = out_dir();
    insta::assert_snapshot!("explain_generic_value", explain(&t, "+7 499 231-10-42"));
}

#[test]
fn record_refused_by_the_guards_has_no_profile_and_says_why() {
    let t = out_dir();
    let err = explain_fails(&t, "pos_receipts:45");
    assert!(err.contains("pos_receipts:45 is in no profile"), "{err}");
    assert!(
        err.contains("phone +74992311042: generic — joins 452 different names (limit 20)"),
        "{err}"
    );
}

#[test]
fn record_without_identifier_names_its_rejects() {
    let t = out_dir();
    let err = explain_fails(&t, "web_shop:60");
    assert!(
        err.contains("web_shop:60 is in no profile: it had no usable identifier"),
        "{err}"
    );
    assert!(
        err.contains("column \"email\" = \"n/a\": junk_value"),
        "{err}"
    );
}

#[test]
fn record_row_out_of_range_is_an_error() {
    let t = out_dir();
    let err = explain_fails(&t, "web_shop:999");
    assert!(err.contains("has no row 999"), "{err}");
}

#[test]
fn unknown_query_names_what_it_was_looked_up_as() {
    let t = out_dir();
    let err = explain_fails(&t, "nobody@nowhere.ru");
    assert_eq!(
        err,
        "omni: error: no profile matches 'nobody@nowhere.ru' in out/ (looked up as: \
         email nobody@nowhere.ru, any identifier equal to 'nobody@nowhere.ru')\n"
    );
}

#[test]
fn missing_edges_file_asks_for_a_new_merge() {
    let t = out_dir();
    std::fs::remove_file(t.path().join("out/edges.csv")).unwrap();
    let err = explain_fails(&t, "P0a782ab700643238");
    assert!(err.contains("edges.csv: not found"), "{err}");
    assert!(err.contains("run `omni merge` again"), "{err}");
}

#[test]
fn missing_out_dir_asks_for_a_merge() {
    let t = CliTest::new();
    let output = t.run(&["explain", "nowhere", "P0a782ab700643238"]);
    assert_code(&output, 1);
    assert!(
        stderr(&output).contains("nowhere: no such folder"),
        "{}",
        stderr(&output)
    );
}

/// Whether a tree line below the root names the identifier that reached its record.
fn names_an_identifier(line: &str) -> bool {
    let Some((_, link)) = line.split_once("── ") else {
        return false;
    };
    ["email ", "phone ", "card ", "id:"]
        .iter()
        .any(|kind| link.starts_with(kind))
}

#[test]
fn every_sample_profile_can_be_explained() {
    let t = CliTest::new();
    t.copy("sample", "sample");
    assert_code(&t.run(&["merge", "sample", "-o", "out", "-q"]), 0);
    let profiles = parse_csv(&t.read("out/profiles.csv"));
    for row in &profiles[1..] {
        let id = &row[0];
        let text = explain(&t, id);
        let tree = text
            .split_once("how the records were joined:\n")
            .and_then(|(_, rest)| rest.split_once("\n\n"))
            .map(|(tree, _)| tree)
            .unwrap_or_else(|| panic!("{id}: no tree\n{text}"));
        let records: usize = row[2].parse().unwrap();
        assert_eq!(
            tree.lines().count(),
            records.min(200) + usize::from(records > 200),
            "{id}\n{text}"
        );
        for line in tree.lines().skip(1).filter(|l| !l.starts_with('…')) {
            assert!(names_an_identifier(line), "{id}: {line}\n{text}");
        }
    }
}
