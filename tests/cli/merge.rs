//! `omni merge` on the bundled sample exports.

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;

use crate::{CliTest, assert_code, parse_csv, stderr, stdout};

const OUTPUTS: [&str; 8] = [
    "profiles.csv",
    "links.csv",
    "rejects.csv",
    "edges.csv",
    "refused.csv",
    "contacts.csv",
    "report.json",
    "report.html",
];

fn sample_run(args: &[&str]) -> (CliTest, std::process::Output) {
    let t = CliTest::new();
    t.copy("sample", "sample");
    let mut all = vec!["merge", "sample", "-o", "out"];
    all.extend_from_slice(args);
    let output = t.run(&all);
    (t, output)
}

fn report(t: &CliTest) -> serde_json::Value {
    serde_json::from_str(&t.read("out/report.json")).unwrap()
}

#[test]
fn merge_on_sample_writes_every_output_and_a_summary() {
    let (t, output) = sample_run(&[]);
    assert_code(&output, 0);
    for name in OUTPUTS {
        assert!(t.path().join("out").join(name).is_file(), "{name} missing");
    }
    insta::assert_snapshot!("sample_summary", stdout(&output));
}

#[test]
fn no_progress_bars_or_noise_when_stderr_is_not_a_terminal() {
    let (_t, output) = sample_run(&[]);
    assert_code(&output, 0);
    assert_eq!(stderr(&output), "", "stderr must stay empty off a terminal");
}

#[test]
fn quiet_prints_nothing_on_success() {
    let (t, output) = sample_run(&["--quiet"]);
    assert_code(&output, 0);
    assert!(output.stdout.is_empty() && output.stderr.is_empty());
    assert!(t.path().join("out/profiles.csv").is_file());
}

#[test]
fn no_temporary_files_are_left_behind() {
    let (t, output) = sample_run(&[]);
    assert_code(&output, 0);
    let names: BTreeSet<String> = std::fs::read_dir(t.path().join("out"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, OUTPUTS.iter().map(|s| s.to_string()).collect());
}

#[test]
fn report_json_is_stable() {
    let (t, output) = sample_run(&[]);
    assert_code(&output, 0);
    insta::assert_json_snapshot!("sample_report", report(&t), { ".omni_version" => "[version]" });
}

#[test]
fn profiles_and_links_are_stable() {
    let (t, output) = sample_run(&[]);
    assert_code(&output, 0);
    insta::assert_snapshot!("sample_profiles", t.read("out/profiles.csv"));
    insta::assert_snapshot!("sample_links", t.read("out/links.csv"));
    insta::assert_snapshot!("sample_rejects", t.read("out/rejects.csv"));
}

#[test]
fn every_input_row_is_accounted_for() {
    let (t, output) = sample_run(&[]);
    assert_code(&output, 0);
    let report = report(&t);
    let truth = parse_csv(&crate::repo_path_text("testdata/sample-truth.csv"));
    let mut truth_rows: BTreeMap<String, u64> = BTreeMap::new();
    for row in &truth[1..] {
        *truth_rows.entry(row[0].clone()).or_default() += 1;
    }
    let links = parse_csv(&t.read("out/links.csv"));
    assert_eq!(
        links[0],
        ["source", "row", "record_key", "profile_id", "matched_by"]
    );
    for source in report["sources"].as_array().unwrap() {
        let name = source["name"].as_str().unwrap();
        let read = source["rows_read"].as_u64().unwrap();
        let parts = [
            "records_in_profiles",
            "rows_unidentified",
            "rows_unreadable",
        ]
        .map(|k| source[k].as_u64().unwrap());
        assert_eq!(
            read,
            parts.iter().sum::<u64>(),
            "{name}: rows do not balance"
        );
        assert_eq!(
            Some(&read),
            truth_rows.get(name),
            "{name}: rows read differ from the file"
        );
        let linked = links[1..].iter().filter(|l| l[0] == name).count() as u64;
        assert_eq!(
            linked, read,
            "{name}: links.csv must have one row per input row"
        );
        let with_profile = links[1..]
            .iter()
            .filter(|l| l[0] == name && !l[3].is_empty())
            .count();
        assert_eq!(with_profile as u64, parts[0]);
    }
}

#[test]
fn report_agrees_with_an_independent_count_from_links() {
    let (t, output) = sample_run(&[]);
    assert_code(&output, 0);
    let report = report(&t);
    let links = parse_csv(&t.read("out/links.csv"));
    let mut sources_of: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for l in &links[1..] {
        if !l[3].is_empty() {
            sources_of.entry(&l[3]).or_default().insert(&l[0]);
        }
    }
    let profiles = sources_of.len() as u64;
    let several = sources_of.values().filter(|s| s.len() > 1).count() as u64;
    assert_eq!(report["totals"]["profiles"].as_u64(), Some(profiles));
    assert_eq!(
        report["match_rate"]["profiles_in_several_sources"].as_u64(),
        Some(several)
    );
    let rate = (several as f64 / profiles as f64 * 10_000.0).round() / 10_000.0;
    assert_eq!(report["match_rate"]["overall"].as_f64(), Some(rate));
    let profile_rows = parse_csv(&t.read("out/profiles.csv"));
    assert_eq!(profile_rows.len() as u64 - 1, profiles);

    // Per source: records in profiles, profiles, matched records, duplicates; and the overlap.
    let names: Vec<String> = report["overlap"]["sources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect();
    let mut records_of: BTreeMap<&str, (u64, u64, BTreeSet<&str>)> = BTreeMap::new();
    for l in &links[1..] {
        if l[3].is_empty() {
            continue;
        }
        let entry = records_of.entry(&l[0]).or_default();
        entry.0 += 1;
        entry.1 += u64::from(sources_of[l[3].as_str()].len() > 1);
        entry.2.insert(&l[3]);
    }
    for (i, source) in report["sources"].as_array().unwrap().iter().enumerate() {
        let name = source["name"].as_str().unwrap();
        let (in_profiles, matched, own) = &records_of[name];
        assert_eq!(source["records_in_profiles"].as_u64(), Some(*in_profiles));
        assert_eq!(source["records_matched"].as_u64(), Some(*matched));
        assert_eq!(source["profiles"].as_u64(), Some(own.len() as u64));
        assert_eq!(
            source["duplicates_within"].as_u64(),
            Some(in_profiles - own.len() as u64)
        );
        let rate = (*matched as f64 / *in_profiles as f64 * 10_000.0).round() / 10_000.0;
        assert_eq!(source["match_rate"].as_f64(), Some(rate), "{name}");
        for (j, other) in names.iter().enumerate() {
            let both = sources_of
                .values()
                .filter(|s| s.contains(name) && s.contains(other.as_str()))
                .count() as u64;
            assert_eq!(report["overlap"]["profiles"][i][j].as_u64(), Some(both));
        }
    }

    // Cluster sizes from links, reachability from profiles.csv.
    let mut size_of: BTreeMap<&str, u64> = BTreeMap::new();
    for l in links[1..].iter().filter(|l| !l[3].is_empty()) {
        *size_of.entry(&l[3]).or_default() += 1;
    }
    let buckets = [
        (1, 1),
        (2, 2),
        (3, 3),
        (4, 4),
        (5, 10),
        (11, 20),
        (21, u64::MAX),
    ];
    for (k, &(lo, hi)) in buckets.iter().enumerate() {
        let n = size_of.values().filter(|&&s| s >= lo && s <= hi).count() as u64;
        assert_eq!(
            report["cluster_sizes"]["histogram"][k]["profiles"].as_u64(),
            Some(n)
        );
    }
    let header = &profile_rows[0];
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let (emails, phones) = (col("emails"), col("phones"));
    let has = |r: &Vec<String>, c: usize| !r[c].is_empty();
    let rows = &profile_rows[1..];
    let count = |f: &dyn Fn(&Vec<String>) -> bool| rows.iter().filter(|r| f(r)).count() as u64;
    let reach = &report["reachability"];
    assert_eq!(reach["email"].as_u64(), Some(count(&|r| has(r, emails))));
    assert_eq!(reach["phone"].as_u64(), Some(count(&|r| has(r, phones))));
    assert_eq!(
        reach["both"].as_u64(),
        Some(count(&|r| has(r, emails) && has(r, phones)))
    );
    assert_eq!(
        reach["neither"].as_u64(),
        Some(count(&|r| !has(r, emails) && !has(r, phones)))
    );
}

#[test]
fn outputs_do_not_depend_on_threads_or_file_order() {
    let t = CliTest::new();
    t.copy("sample", "sample");
    let mut files: Vec<String> = std::fs::read_dir(t.path().join("sample"))
        .unwrap()
        .map(|e| format!("sample/{}", e.unwrap().file_name().to_string_lossy()))
        .collect();
    files.sort();
    let mut one = vec!["merge", "-j", "1", "-o", "one"];
    one.extend(files.iter().map(String::as_str));
    assert_code(&t.run(&one), 0);
    files.reverse();
    let mut two = vec!["merge", "-j", "2", "-o", "two"];
    two.extend(files.iter().map(String::as_str));
    assert_code(&t.run(&two), 0);
    for name in OUTPUTS {
        let a = std::fs::read(t.path().join("one").join(name)).unwrap();
        let b = std::fs::read(t.path().join("two").join(name)).unwrap();
        assert!(
            a == b,
            "{name} differs between -j1 in order and -j2 reversed"
        );
    }
}

#[test]
fn profiles_have_deterministic_ids_and_all_identifiers() {
    let (t, output) = sample_run(&[]);
    assert_code(&output, 0);
    let rows = parse_csv(&t.read("out/profiles.csv"));
    assert_eq!(
        rows[0],
        [
            "profile_id",
            "name",
            "records",
            "sources",
            "emails",
            "phones",
            "cards",
            "ids",
            "first_seen",
            "last_seen",
            "purchases",
            "amount_total"
        ]
    );
    for row in &rows[1..] {
        assert!(
            row[0].starts_with('P') && row[0].len() == 17,
            "id shape: {}",
            row[0]
        );
        // A list of phones starts with `+` without being one number: written with the
        // spreadsheet escape `'` (issue 16), removed here as a reader would.
        let phones = row[5].strip_prefix('\'').unwrap_or(&row[5]);
        for phone in phones.split('|').filter(|p| !p.is_empty()) {
            assert!(
                phone.starts_with('+') && phone[1..].bytes().all(|b| b.is_ascii_digit()),
                "{phone}"
            );
        }
        for email in row[4].split('|').filter(|e| !e.is_empty()) {
            assert_eq!(email, email.to_lowercase());
        }
    }
    let ids: BTreeSet<&String> = rows[1..].iter().map(|r| &r[0]).collect();
    assert_eq!(ids.len(), rows.len() - 1, "profile ids are unique");
}

#[test]
fn rerun_replaces_outputs_atomically_with_identical_content() {
    let (t, output) = sample_run(&[]);
    assert_code(&output, 0);
    let first = t.read("out/links.csv");
    assert_code(&t.run(&["merge", "sample", "-o", "out"]), 0);
    assert_eq!(first, t.read("out/links.csv"));
}

#[test]
fn progress_bars_are_drawn_on_a_terminal() {
    // `script` (util-linux) runs omni on a pseudo-terminal; skip where it is not installed.
    if Command::new("script").arg("--version").output().is_err() {
        return;
    }
    let t = CliTest::new();
    t.copy("sample", "sample");
    let omni = env!("CARGO_BIN_EXE_omni");
    let output = Command::new("script")
        .current_dir(t.path())
        .args([
            "-q",
            "-e",
            "-c",
            &format!("{omni} merge sample -o out >/dev/null"),
            "/dev/null",
        ])
        .env_remove("NO_COLOR")
        .env("TERM", "xterm")
        .output()
        .unwrap();
    assert_code(&output, 0);
    let screen = stdout(&output);
    assert!(
        screen.contains("web_shop") && screen.contains("KiB"),
        "no bar on a terminal: {screen:?}"
    );
}
