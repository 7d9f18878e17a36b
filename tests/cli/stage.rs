//! Issue 17: the hidden `omni stage` commands that spark/omni_spark.py runs give, without Spark,
//! the out dir `omni merge` writes, byte for byte (the Spark job adds the shuffles only:
//! spark/test_equivalence.sh).

use omni::stage::table::{self, Table, Values};

use crate::{CliTest, assert_code};

const TABLES: [&str; 5] = [
    "profiles.csv",
    "links.csv",
    "edges.csv",
    "refused.csv",
    "rejects.csv",
];

/// Runs plan, extract (every source), generic (over `candidates`: identifier key, records,
/// groups; no names), link (every record in one batch) and finish into `out`.
/// Runs every stage as the Spark job would (without Spark); gives `stage finish`'s output.
fn run_stages(
    t: &CliTest,
    inputs: &str,
    candidates: &[(&str, i64, i64)],
    out: &str,
) -> std::process::Output {
    let s = |p: &str| t.path().join(p).display().to_string();
    assert_code(
        &t.run(&["stage", "plan", "--plan", &s("plan.json"), inputs]),
        0,
    );
    let plan: serde_json::Value = serde_json::from_str(&t.read("plan.json")).unwrap();
    let sources = plan["sources"].as_array().unwrap().len();
    let (mut keys, mut blobs) = (Vec::new(), Vec::new());
    std::fs::create_dir_all(t.path().join("summaries")).unwrap();
    for i in 0..sources {
        let dir = format!("x{i}");
        let run = t.run(&["stage", "extract", "--plan", &s("plan.json"), "--source"]);
        assert_ne!(run.status.code(), Some(0), "--source needs a value");
        let i_text = i.to_string();
        let args = [
            "stage",
            "extract",
            "--plan",
            &s("plan.json"),
            "--source",
            &i_text,
        ];
        assert_code(&t.run(&[&args[..], &["--out", &s(&dir)]].concat()), 0);
        let records = Table::read(&t.path().join(&dir).join("records.parquet")).unwrap();
        keys.extend(records.ints("rec").unwrap());
        blobs.extend(records.bytes("blob").unwrap());
        std::fs::copy(
            t.path().join(&dir).join("summary.json"),
            t.path().join(format!("summaries/summary-{i}.json")),
        )
        .unwrap();
    }
    table::write(
        &t.path().join("batch.parquet"),
        vec![("rec", Values::Int(keys)), ("blob", Values::Bytes(blobs))],
    )
    .unwrap();
    let (ids, records, groups) = (
        candidates.iter().map(|c| Some(c.0.to_owned())).collect(),
        candidates.iter().map(|c| c.1).collect(),
        candidates.iter().map(|c| c.2).collect(),
    );
    let cands = vec![
        ("id", Values::Text(ids)),
        ("records", Values::Int(records)),
        ("groups", Values::Int(groups)),
    ];
    table::write(&t.path().join("cands.parquet"), cands).unwrap();
    let names = vec![
        ("id", Values::Text(vec![])),
        ("comp", Values::Int(vec![])),
        ("rec", Values::Int(vec![])),
        ("name", Values::Text(vec![])),
    ];
    table::write(&t.path().join("names.parquet"), names).unwrap();
    let plan_path = s("plan.json");
    let generic = [
        "stage",
        "generic",
        "--plan",
        &plan_path,
        "--candidates",
        &s("cands.parquet"),
        "--names",
        &s("names.parquet"),
        "--out",
        &s("generic.json"),
    ];
    assert_code(&t.run(&generic), 0);
    let link = [
        "stage",
        "link",
        "--plan",
        &plan_path,
        "--generic",
        &s("generic.json"),
        "--in",
        &s("batch.parquet"),
        "--out",
        &s("linked.parquet"),
    ];
    assert_code(&t.run(&link), 0);
    let finish = [
        "stage",
        "finish",
        "--plan",
        &plan_path,
        "--generic",
        &s("generic.json"),
        "--summaries",
        &s("summaries"),
        "--linked",
        &s("linked.parquet"),
        "-o",
        &s(out),
        "-q",
    ];
    t.run(&finish)
}

fn assert_same(t: &CliTest, merge: &str, stages: &str) {
    for table in TABLES {
        let (a, b) = (
            t.read(&format!("{merge}/{table}")),
            t.read(&format!("{stages}/{table}")),
        );
        if table == "profiles.csv" {
            assert!(a.lines().count() > 1, "{table} has rows");
        }
        assert!(a == b, "{table} differs between omni merge and the stages");
    }
    let report = |dir: &str| -> serde_json::Value {
        serde_json::from_str(&t.read(&format!("{dir}/report.json"))).unwrap()
    };
    assert_eq!(report(merge), report(stages));
}

#[test]
fn the_stages_write_what_merge_writes_on_the_sample() {
    let t = CliTest::new();
    t.copy("sample", "in");
    let inputs = t.path().join("in").display().to_string();
    assert_code(&t.run(&["merge", &inputs, "-o", "merged", "-q"]), 0);
    assert_code(&run_stages(&t, &inputs, &[], "staged"), 0);
    assert_same(&t, "merged", "staged");
    let plan: serde_json::Value = serde_json::from_str(&t.read("plan.json")).unwrap();
    assert_eq!(plan["sources"][0]["name"], "email_list");
    assert_eq!(plan["namespaces"][1], "phone");
}

#[test]
fn a_generic_identifier_decided_by_stage_generic_links_nobody_as_in_merge() {
    let t = CliTest::new();
    let mut receipts = String::from("receipt_id,card,phone\n");
    for i in 0..150 {
        receipts.push_str(&format!("R{i},{},+7 495 914-93-28\n", 48_213_000 + i));
    }
    receipts.push_str("R150,48213000,\n");
    t.write("in/pos.csv", receipts);
    let inputs = t.path().join("in").display().to_string();
    assert_code(&t.run(&["merge", &inputs, "-o", "merged", "-q"]), 0);
    // The store phone: 150 receipts in 150 groups (each card alone but one).
    assert_code(
        &run_stages(&t, &inputs, &[("1:+74959149328", 150, 150)], "staged"),
        0,
    );
    let generic: serde_json::Value = serde_json::from_str(&t.read("generic.json")).unwrap();
    assert_eq!(generic[0]["key"], "1:+74959149328");
    assert_eq!(
        generic[0]["why"],
        "joins 150 separate groups of records (limit 100)"
    );
    assert_same(&t, "merged", "staged");
}

#[test]
fn a_task_with_other_settings_refuses_the_plan() {
    let t = CliTest::new();
    t.copy("sample", "in");
    let plan = t.path().join("plan.json").display().to_string();
    assert_code(
        &t.run(&["stage", "plan", "--plan", &plan, "--country", "US", "in"]),
        0,
    );
    let text = t.read("plan.json").replace("\"US\"", "\"GB\"");
    t.write("plan.json", text);
    let out = t.path().join("x").display().to_string();
    let run = t.run(&[
        "stage", "extract", "--plan", &plan, "--source", "0", "--out", &out,
    ]);
    assert_code(&run, 1);
    assert!(crate::stderr(&run).contains("the settings here differ from the driver's"));
}

#[test]
fn stage_finish_with_format_parquet_writes_what_merge_writes() {
    let t = CliTest::new();
    t.copy("sample", "in");
    let inputs = t.path().join("in").display().to_string();
    let merge = [
        "merge", &inputs, "-o", "merged", "-q", "--format", "parquet",
    ];
    assert_code(&t.run(&merge), 0);
    assert_code(&run_stages(&t, &inputs, &[], "staged"), 0);
    let s = |p: &str| t.path().join(p).display().to_string();
    let finish = [
        "stage",
        "finish",
        "--plan",
        &s("plan.json"),
        "--generic",
        &s("generic.json"),
        "--summaries",
        &s("summaries"),
        "--linked",
        &s("linked.parquet"),
        "-o",
        &s("staged-pq"),
        "-q",
        "--format",
        "parquet",
    ];
    assert_code(&t.run(&finish), 0);
    for table in [
        "profiles", "links", "edges", "refused", "rejects", "contacts",
    ] {
        let name = format!("{table}.parquet");
        let read = |dir: &str| std::fs::read(t.path().join(dir).join(&name)).unwrap();
        assert!(read("merged") == read("staged-pq"), "{name} differs");
        assert!(
            !t.path()
                .join("staged-pq")
                .join(format!("{table}.csv"))
                .exists()
        );
    }
    let rows = Table::read(&t.path().join("staged-pq/links.parquet")).unwrap();
    assert_eq!(rows.len(), t.read("staged/links.csv").lines().count() - 1);
    assert_eq!(
        t.read("merged/report.json"),
        t.read("staged-pq/report.json")
    );
}

// See: #15, #17
#[test]
fn stage_finish_exits_1_for_a_file_that_links_nobody_as_merge_does() {
    let t = CliTest::new();
    t.write_inputs_with_a_file_that_links_nobody();
    let inputs = t.path().join("in").display().to_string();
    assert_code(&t.run(&["merge", &inputs, "-o", "merged", "-q"]), 1);
    let finish = run_stages(&t, &inputs, &[], "staged");
    // Every output is written, and the run still fails so that the nightly job notices.
    assert_code(&finish, 1);
    let err = String::from_utf8_lossy(&finish.stderr);
    assert!(err.contains("omni: not linked: "), "{err}");
    assert!(err.contains("stores.csv"), "{err}");
    assert_same(&t, "merged", "staged");
}
