//! `--state`: stable ids across runs, the change log, incremental runs, crash safety and the
//! lock (issue 5). Generated data comes from `omni::synth` with fixed seeds.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use crate::{CliTest, assert_code, parse_csv, stderr, stdout};

/// `source,row` → profile id, from a links.csv.
fn links(text: &str) -> HashMap<(String, u64), String> {
    parse_csv(text)
        .into_iter()
        .skip(1)
        .filter(|r| !r[3].is_empty())
        .map(|r| ((r[0].clone(), r[1].parse().unwrap()), r[3].clone()))
        .collect()
}

/// Rows of a CSV file without its header.
fn rows(t: &CliTest, name: &str) -> Vec<Vec<String>> {
    parse_csv(&t.read(name)).into_iter().skip(1).collect()
}

/// Generates `people` people with `seed` into `<workdir>/<dir>`, truth at `<workdir>/<truth>`.
fn generate(t: &CliTest, people: usize, seed: u64, dir: &str, truth: &str) {
    let cfg = omni::synth::SynthConfig::new(people, seed);
    omni::synth::generate(&cfg, &t.path().join(dir), &t.path().join(truth)).unwrap();
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// The files of an out dir, by name.
fn out_files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect();
    files.sort();
    files
}

#[test]
fn an_identical_rerun_changes_no_id() {
    let t = CliTest::new();
    t.copy("sample", "sample");
    assert_code(
        &t.run(&["merge", "sample", "--state", "st", "-o", "out1", "-q"]),
        0,
    );
    let first = rows(&t, "out1/changes.csv");
    assert!(!first.is_empty() && first.iter().all(|r| r[0] == "new"));
    let output = t.run(&["merge", "sample", "--state", "st", "-o", "out2"]);
    assert_code(&output, 0);
    assert_eq!(t.read("out1/profiles.csv"), t.read("out2/profiles.csv"));
    assert_eq!(t.read("out1/links.csv"), t.read("out2/links.csv"));
    assert!(rows(&t, "out2/changes.csv").is_empty(), "no change events");
    assert!(rows(&t, "out2/redirects.csv").is_empty());
    let report: serde_json::Value = serde_json::from_str(&t.read("out2/report.json")).unwrap();
    let since = &report["since_previous"];
    assert_eq!(since["run"], 2);
    assert_eq!(since["unchanged"], report["totals"]["profiles"]);
    for key in ["new", "grown", "merged", "split", "retired"] {
        assert_eq!(since[key], 0, "{key}");
    }
    assert!(stdout(&output).contains("since the previous run"));
    let html = t.read("out2/report.html");
    assert!(
        html.contains("<section id=\"since-previous\">"),
        "report.html shows the change"
    );
    assert!(!t.read("out1/report.html").contains("since-previous"));
    // A stateless run on the same input keeps today's deterministic ids too.
    assert_code(&t.run(&["merge", "sample", "-o", "plain", "-q"]), 0);
    assert_eq!(t.read("out1/profiles.csv"), t.read("plain/profiles.csv"));
}

/// Removes `share` of the data rows of the plain CSV exports (deterministically) and returns
/// the removed `(source, row)` pairs and, per source, the old → new row numbers.
#[allow(clippy::type_complexity)]
fn remove_rows(dir: &Path, target: usize) -> (HashSet<(String, u64)>, HashMap<(String, u64), u64>) {
    let mut candidates: Vec<(u64, String, u64)> = Vec::new();
    let sources = ["web_shop", "loyalty", "email_list"];
    let mut tables = HashMap::new();
    for source in sources {
        let path = dir.join(format!("{source}.csv"));
        let bytes = std::fs::read(&path).unwrap();
        let first_line = bytes.split(|&b| b == b'\n').next().unwrap();
        let delimiter = if first_line.contains(&b';') {
            b';'
        } else {
            b','
        };
        let mut rdr = csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .has_headers(false)
            .from_reader(&bytes[..]);
        let records: Vec<csv::ByteRecord> = rdr.byte_records().map(|r| r.unwrap()).collect();
        for row in 1..records.len() as u64 {
            let key = xxhash_rust::xxh3::xxh3_64(format!("{source}:{row}").as_bytes());
            candidates.push((key, source.to_owned(), row));
        }
        tables.insert(source, (delimiter, records));
    }
    candidates.sort();
    let removed: HashSet<(String, u64)> = candidates
        .into_iter()
        .take(target)
        .map(|(_, s, r)| (s, r))
        .collect();
    let mut renumber = HashMap::new();
    for source in sources {
        let (delimiter, records) = &tables[source];
        let mut wtr = csv::WriterBuilder::new()
            .delimiter(*delimiter)
            .from_path(dir.join(format!("{source}.csv")))
            .unwrap();
        wtr.write_byte_record(&records[0]).unwrap();
        let mut next = 1u64;
        for (row, record) in records.iter().enumerate().skip(1) {
            if removed.contains(&(source.to_owned(), row as u64)) {
                continue;
            }
            wtr.write_byte_record(record).unwrap();
            renumber.insert((source.to_owned(), row as u64), next);
            next += 1;
        }
        wtr.flush().unwrap();
    }
    (removed, renumber)
}

#[test]
fn ids_survive_added_and_removed_records_and_every_merge_and_split_is_logged() {
    let t = CliTest::new();
    generate(&t, 5000, 42, "exports", "truth.csv");
    generate(&t, 250, 4242, "fresh", "fresh-truth.csv");
    let truth = rows(&t, "truth.csv");
    assert_code(
        &t.run(&["merge", "exports", "--state", "st", "-o", "out1", "-q"]),
        0,
    );
    let before = links(&t.read("out1/links.csv"));

    // 2% of the records removed, and about 5% new ones added as new exports.
    let (removed, renumber) = remove_rows(&t.path().join("exports"), truth.len() / 50);
    for entry in std::fs::read_dir(t.path().join("fresh")).unwrap() {
        let entry = entry.unwrap();
        let name = entry
            .file_name()
            .to_string_lossy()
            .replacen('.', "_new.", 1);
        std::fs::copy(entry.path(), t.path().join("exports").join(name)).unwrap();
    }
    // And ten new records that each bridge two existing profiles through their loyalty cards
    // (cards are not name-checked), so that merges happen too.
    let single_card: Vec<Vec<String>> = rows(&t, "out1/profiles.csv")
        .into_iter()
        .filter(|r| !r[6].is_empty() && !r[6].contains('|'))
        .take(20)
        .collect();
    let mut bridge = String::from("card_a,card_b\n");
    for pair in single_card.chunks(2) {
        bridge += &format!("{},{}\n", pair[0][6], pair[1][6]);
    }
    t.write("exports/bridge.csv", bridge);
    t.write(
        "omni.toml",
        "[sources.bridge.columns]\ncard_a = \"card\"\ncard_b = \"card\"\n",
    );
    let bridged: HashSet<&str> = single_card.iter().map(|r| r[0].as_str()).collect();
    let added = rows(&t, "fresh-truth.csv").len();
    assert!(
        (0.04..0.07).contains(&(added as f64 / truth.len() as f64)),
        "{added} new records for {} old ones",
        truth.len()
    );
    let output = t.run(&["merge", "exports", "--state", "st", "-o", "out2"]);
    assert_code(&output, 0);
    let after = links(&t.read("out2/links.csv"));
    let new_row = |source: &str, row: u64| -> u64 {
        renumber
            .get(&(source.to_owned(), row))
            .copied()
            .unwrap_or(row)
    };

    // People none of whose records was removed keep their ids.
    let mut records_of: HashMap<&str, Vec<(String, u64)>> = HashMap::new();
    for r in &truth {
        records_of
            .entry(r[2].as_str())
            .or_default()
            .push((r[0].clone(), r[1].parse().unwrap()));
    }
    let (mut unaffected, mut kept) = (0usize, 0usize);
    for records in records_of.values() {
        let touched = records.iter().any(|k| {
            removed.contains(k)
                || before
                    .get(k)
                    .is_some_and(|id| bridged.contains(id.as_str()))
        });
        if touched {
            continue;
        }
        unaffected += 1;
        let same = records.iter().all(|(source, row)| {
            let old = before.get(&(source.clone(), *row));
            let new = after.get(&(source.clone(), new_row(source, *row)));
            old == new
        });
        kept += same as usize;
    }
    let share = kept as f64 / unaffected as f64;
    eprintln!("state: {kept} of {unaffected} unaffected people kept their ids ({share:.5})");
    assert!(share >= 0.999, "{kept} of {unaffected} kept their ids");

    // Every profile that now holds records of another previous profile says so in changes.csv.
    let changes = rows(&t, "out2/changes.csv");
    let mentioned: HashSet<(String, String)> = changes
        .iter()
        .flat_map(|r| {
            r[2].split('|')
                .filter(|id| !id.is_empty())
                .map(|id| (r[1].clone(), id.to_owned()))
                .collect::<Vec<_>>()
        })
        .collect();
    let mut old_ids_of: HashMap<&str, BTreeSet<&str>> = HashMap::new();
    for ((source, row), old_id) in &before {
        if removed.contains(&(source.clone(), *row)) {
            continue;
        }
        if let Some(new_id) = after.get(&(source.clone(), new_row(source, *row))) {
            old_ids_of.entry(new_id).or_default().insert(old_id);
        }
    }
    let (mut merges, mut splits) = (0, 0);
    for (new_id, old_ids) in &old_ids_of {
        for old_id in old_ids.iter().filter(|id| *id != new_id) {
            assert!(
                mentioned.contains(&(new_id.to_string(), old_id.to_string())),
                "{new_id} holds records of {old_id} but changes.csv does not say so"
            );
            if changes.iter().any(|r| r[0] == "merged" && r[1] == *new_id) {
                merges += 1;
            } else {
                splits += 1;
            }
        }
    }
    // Ids whose records are all gone are retired and redirected to nothing.
    let alive: HashSet<&str> = after.values().map(String::as_str).collect();
    let still_held: HashSet<&str> = old_ids_of.values().flatten().copied().collect();
    let redirects = rows(&t, "out2/redirects.csv");
    for old_id in before.values().map(String::as_str).collect::<HashSet<_>>() {
        if !alive.contains(old_id) && !still_held.contains(old_id) {
            assert!(
                changes.iter().any(|r| r[0] == "retired" && r[1] == old_id),
                "{old_id} vanished without a retired event"
            );
            assert!(
                redirects
                    .iter()
                    .any(|r| r[0] == old_id && r[2] == "retired")
            );
        }
    }
    for r in changes.iter().filter(|r| r[0] == "merged") {
        for absorbed in r[2].split('|').filter(|id| *id != r[1]) {
            assert!(
                redirects
                    .iter()
                    .any(|x| x[0] == absorbed && x[1] == r[1] && x[2] == "merged"),
                "absorbed {absorbed} is not redirected to {}",
                r[1]
            );
        }
    }
    eprintln!(
        "state: {} change events ({merges} merged-in and {splits} split-off id pairs checked)",
        changes.len()
    );
    assert!(changes.iter().any(|r| r[0] == "new"));
    assert!(merges > 0 && splits > 0, "{merges} merges, {splits} splits");
}

#[test]
fn an_incremental_run_equals_a_full_run() {
    let t = CliTest::new();
    generate(&t, 1500, 7, "history", "truth.csv");
    generate(&t, 300, 8, "fresh", "fresh-truth.csv");
    // Nightly exports: the new day's files carry new names, as export tools date them.
    std::fs::create_dir_all(t.path().join("new")).unwrap();
    for entry in std::fs::read_dir(t.path().join("fresh")).unwrap() {
        let entry = entry.unwrap();
        let name = entry
            .file_name()
            .to_string_lossy()
            .replacen('.', "_0602.", 1);
        std::fs::copy(entry.path(), t.path().join("new").join(name)).unwrap();
    }
    assert_code(
        &t.run(&["merge", "history", "--state", "st", "-o", "out0", "-q"]),
        0,
    );
    copy_dir(&t.path().join("st"), &t.path().join("st-full"));
    let full = t.run(&[
        "merge", "history", "new", "--state", "st-full", "-o", "full", "-q",
    ]);
    assert_code(&full, 0);
    let incremental = t.run(&[
        "merge",
        "new",
        "--state",
        "st",
        "--incremental",
        "-o",
        "incremental",
        "-q",
    ]);
    assert_code(&incremental, 0);
    for file in [
        "profiles.csv",
        "links.csv",
        "rejects.csv",
        "edges.csv",
        "changes.csv",
    ] {
        assert!(
            t.read(&format!("full/{file}")) == t.read(&format!("incremental/{file}")),
            "{file} differs between the full and the incremental run"
        );
    }
    // And the saved state carries on: the next incremental run with nothing new changes nothing.
    let again = t.run(&[
        "merge",
        "--state",
        "st",
        "--incremental",
        "-o",
        "again",
        "-q",
        "new",
    ]);
    assert_code(&again, 0);
    assert_eq!(t.read("full/profiles.csv"), t.read("again/profiles.csv"));
    assert!(rows(&t, "again/changes.csv").is_empty());
}

#[test]
fn incremental_refuses_a_state_written_with_other_settings() {
    let t = CliTest::new();
    t.copy("sample", "sample");
    assert_code(
        &t.run(&["merge", "sample", "--state", "st", "-o", "out", "-q"]),
        0,
    );
    t.write("omni.toml", "[email]\nfold_aliases = false\n");
    let output = t.run(&[
        "merge",
        "sample",
        "--state",
        "st",
        "--incremental",
        "-o",
        "out",
    ]);
    assert_code(&output, 1);
    assert!(
        stderr(&output).contains("without --incremental"),
        "{}",
        stderr(&output)
    );
}

/// A run that aborts at `point` (as under `kill -9`: no destructors) changes nothing visible.
fn killed_at(point: &str) {
    let t = CliTest::new();
    t.copy("sample", "sample");
    assert_code(
        &t.run(&["merge", "sample", "--state", "st", "-o", "out", "-q"]),
        0,
    );
    let outputs = out_files(&t.path().join("out"));
    let state = std::fs::read(t.path().join("st/state.omni")).unwrap();
    std::fs::remove_file(t.path().join("sample/loyalty.csv")).unwrap();
    let output = t
        .command()
        .env("OMNI_TEST_ABORT_AT", point)
        .args(["merge", "sample", "--state", "st", "-o", "out", "-q"])
        .output()
        .unwrap();
    assert!(!output.status.success(), "the hook at {point} fired");
    assert_eq!(
        out_files(&t.path().join("out")),
        outputs,
        "outputs after {point}"
    );
    assert_eq!(
        std::fs::read(t.path().join("st/state.omni")).unwrap(),
        state
    );
    // The next run cleans up after the dead one and completes.
    assert_code(
        &t.run(&["merge", "sample", "--state", "st", "-o", "out", "-q"]),
        0,
    );
    let leftovers: Vec<String> = std::fs::read_dir(t.path())
        .unwrap()
        .chain(std::fs::read_dir(t.path().join("st")).unwrap())
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    assert!(
        rows(&t, "out/changes.csv")
            .iter()
            .any(|r| r[0] == "retired" || r[0] == "split"),
        "the completed run compares with the state before the killed one"
    );
}

#[test]
fn a_run_killed_after_writing_outputs_leaves_outputs_and_state_intact() {
    killed_at("outputs-written");
}

#[test]
fn a_run_killed_while_writing_the_state_leaves_outputs_and_state_intact() {
    killed_at("state-written");
}

#[test]
fn a_run_killed_between_outputs_and_state_is_repaired_by_the_next_run() {
    let t = CliTest::new();
    t.copy("sample", "sample");
    assert_code(
        &t.run(&["merge", "sample", "--state", "st", "-o", "out", "-q"]),
        0,
    );
    std::fs::remove_file(t.path().join("sample/loyalty.csv")).unwrap();
    let output = t
        .command()
        .env("OMNI_TEST_ABORT_AT", "outputs-committed")
        .args(["merge", "sample", "--state", "st", "-o", "out", "-q"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let crashed = t.read("out/profiles.csv");
    // New outputs, old state: the next run derives the very same ids from the old state.
    assert_code(
        &t.run(&["merge", "sample", "--state", "st", "-o", "out", "-q"]),
        0,
    );
    assert_eq!(t.read("out/profiles.csv"), crashed);
}

#[test]
fn kill_9_at_any_moment_leaves_either_the_old_or_the_new_run() {
    let t = CliTest::new();
    generate(&t, 3000, 11, "exports", "truth.csv");
    assert_code(
        &t.run(&["merge", "exports", "--state", "st", "-o", "out", "-q"]),
        0,
    );
    let old = out_files(&t.path().join("out"));
    std::fs::remove_file(t.path().join("exports/loyalty.csv")).unwrap();
    copy_dir(&t.path().join("st"), &t.path().join("st-ref"));
    assert_code(
        &t.run(&["merge", "exports", "--state", "st-ref", "-o", "ref", "-q"]),
        0,
    );
    let new = out_files(&t.path().join("ref"));
    let mut outcomes = BTreeSet::new();
    for delay_ms in [50u64, 400, 900, 1500, 2500] {
        let st = format!("st-{delay_ms}");
        let out = format!("out-{delay_ms}");
        copy_dir(&t.path().join("st"), &t.path().join(&st));
        copy_dir(&t.path().join("out"), &t.path().join(&out));
        let mut child = t
            .command()
            .args(["merge", "exports", "--state", &st, "-o", &out, "-q"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(delay_ms));
        let _ = child.kill(); // SIGKILL on Unix
        let status = child.wait().unwrap();
        let now = out_files(&t.path().join(&out));
        let whole = if now == old {
            "old"
        } else if now == new {
            "new"
        } else {
            panic!("after kill -9 at {delay_ms} ms the out dir is neither the old nor the new run")
        };
        outcomes.insert(format!("{whole}:{}", status.success()));
        // The state still loads and the next run completes with the expected result.
        assert_code(
            &t.run(&["merge", "exports", "--state", &st, "-o", &out, "-q"]),
            0,
        );
        assert_eq!(
            std::fs::read(t.path().join(&out).join("profiles.csv")).unwrap(),
            std::fs::read(t.path().join("ref/profiles.csv")).unwrap()
        );
    }
    eprintln!("state: kill -9 outcomes {outcomes:?}");
    assert!(
        outcomes.iter().any(|o| o.starts_with("old")),
        "{outcomes:?}"
    );
}

#[test]
fn two_runs_on_one_state_cannot_both_proceed() {
    let t = CliTest::new();
    generate(&t, 3000, 12, "exports", "truth.csv");
    let mut first = t
        .command()
        .args(["merge", "exports", "--state", "st", "-o", "out1", "-q"])
        .spawn()
        .unwrap();
    let pid = first.id();
    let lock = t.path().join("st/omni.lock");
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while !std::fs::read_to_string(&lock).is_ok_and(|s| s.contains(&format!("pid {pid}\n"))) {
        assert!(
            std::time::Instant::now() < deadline,
            "the first run never took the lock"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    let second = t.run(&["merge", "exports", "--state", "st", "-o", "out2", "-q"]);
    let first_status = first.wait().unwrap();
    assert!(first_status.success());
    assert_code(&second, 1);
    let err = stderr(&second);
    assert!(
        err.contains("another omni run is using this state") && err.contains(&format!("pid {pid}")),
        "{err}"
    );
    assert!(
        !t.path().join("out2").exists(),
        "the refused run wrote nothing"
    );
    // Once the first has finished, the lock is free again.
    assert_code(
        &t.run(&["merge", "exports", "--state", "st", "-o", "out2", "-q"]),
        0,
    );
}

#[test]
fn drift_alarms_exit_3_after_writing_everything() {
    let t = CliTest::new();
    t.copy("sample", "sample");
    assert_code(
        &t.run(&["merge", "sample", "--state", "st", "-o", "out", "-q"]),
        0,
    );
    // Without the loyalty export, fewer profiles span several sources.
    std::fs::remove_file(t.path().join("sample/loyalty.csv")).unwrap();
    let output = t.run(&[
        "merge",
        "sample",
        "--state",
        "st",
        "-o",
        "out2",
        "-q",
        "--fail-on",
        "match-rate-drop=1%",
        "--fail-on",
        "largest-profile-growth=500%",
    ]);
    assert_code(&output, 3);
    let err = stderr(&output);
    assert!(err.contains("match rate fell from"), "{err}");
    assert!(!err.contains("largest profile grew"), "{err}");
    assert!(stdout(&output).is_empty(), "--quiet");
    for file in [
        "profiles.csv",
        "changes.csv",
        "redirects.csv",
        "report.json",
    ] {
        assert!(t.path().join("out2").join(file).exists(), "{file}");
    }
    // The state was saved too: the same run again has no drift.
    let again = t.run(&[
        "merge",
        "sample",
        "--state",
        "st",
        "-o",
        "out3",
        "-q",
        "--fail-on",
        "match-rate-drop=1%",
    ]);
    assert_code(&again, 0);
}

#[test]
fn quiet_prints_nothing_and_identifier_values_need_verbose() {
    let t = CliTest::new();
    t.copy("sample", "sample");
    let quiet = t.run(&["merge", "sample", "--state", "st", "-o", "out", "-q"]);
    assert_code(&quiet, 0);
    assert!(quiet.stdout.is_empty() && quiet.stderr.is_empty());
    let plain = t.run(&["merge", "sample", "--state", "st", "-o", "out"]);
    let text = stdout(&plain) + &stderr(&plain);
    assert!(
        !text.contains('@'),
        "no email in the default output:\n{text}"
    );
    let verbose = t.run(&["merge", "sample", "--state", "st", "-o", "out", "--verbose"]);
    assert_code(&verbose, 0);
    assert!(
        stdout(&verbose).contains("junk value"),
        "{}",
        stdout(&verbose)
    );
    let both = t.run(&["merge", "sample", "-o", "out", "-q", "-v"]);
    assert_code(&both, 2);
}

#[test]
fn a_damaged_state_is_an_error_not_wrong_ids() {
    let t = CliTest::new();
    t.copy("sample", "sample");
    assert_code(
        &t.run(&["merge", "sample", "--state", "st", "-o", "out", "-q"]),
        0,
    );
    let path = t.path().join("st/state.omni");
    let mut bytes = std::fs::read(&path).unwrap();
    let last = bytes.len() - 20;
    bytes[last] ^= 0xff;
    std::fs::write(&path, bytes).unwrap();
    let output = t.run(&["merge", "sample", "--state", "st", "-o", "out2", "-q"]);
    assert_code(&output, 1);
    let err = stderr(&output);
    assert!(err.contains("state.omni: cannot read the state"), "{err}");
    assert!(!t.path().join("out2").exists());
}

#[test]
fn carried_ids_do_not_depend_on_threads_or_file_order() {
    let t = CliTest::new();
    t.copy("sample", "sample");
    assert_code(
        &t.run(&["merge", "sample", "--state", "st", "-o", "out", "-q"]),
        0,
    );
    std::fs::remove_file(t.path().join("sample/loyalty.csv")).unwrap();
    copy_dir(&t.path().join("st"), &t.path().join("st2"));
    let files = [
        "web_shop.csv",
        "email_list.csv",
        "pos_receipts.csv.gz",
        "mobile_app.parquet",
    ];
    let mut one = vec!["merge", "--state", "st", "-o", "a", "-q", "-j", "1"];
    let forward: Vec<String> = files.iter().map(|f| format!("sample/{f}")).collect();
    one.extend(forward.iter().map(String::as_str));
    assert_code(&t.run(&one), 0);
    let mut many = vec!["merge", "--state", "st2", "-o", "b", "-q", "-j", "3"];
    many.extend(forward.iter().rev().map(String::as_str));
    assert_code(&t.run(&many), 0);
    for file in ["profiles.csv", "links.csv", "changes.csv", "redirects.csv"] {
        assert_eq!(
            t.read(&format!("a/{file}")),
            t.read(&format!("b/{file}")),
            "{file}"
        );
    }
    assert!(
        rows(&t, "a/changes.csv").len() > 5,
        "the run did change things"
    );
}

#[test]
fn a_key_used_by_several_profiles_does_not_churn_ids() {
    // See: #5. Two people under one customer id (a reused key) once shared one identity, and
    // one of them lost its id on every run.
    let t = CliTest::new();
    t.write(
        "shop.csv",
        "customer_id,email\n1,anna@mail.ru\n1,boris@yandex.ru\n2,vera@gmail.com\n1,anna@mail.ru\n",
    );
    assert_code(
        &t.run(&["merge", "shop.csv", "--state", "st", "-o", "a", "-q"]),
        0,
    );
    assert_eq!(rows(&t, "a/profiles.csv").len(), 3);
    assert_code(
        &t.run(&["merge", "shop.csv", "--state", "st", "-o", "b", "-q"]),
        0,
    );
    assert!(
        rows(&t, "b/changes.csv").is_empty(),
        "{}",
        t.read("b/changes.csv")
    );
    assert_eq!(t.read("a/profiles.csv"), t.read("b/profiles.csv"));
}

/// The summary's last line names every file of the out dir, no more and no fewer: a state run
/// also writes changes.csv and redirects.csv (the summary used to leave them out).
#[test]
fn the_summary_lists_exactly_the_files_written() {
    let t = CliTest::new();
    t.copy("sample", "sample");
    for (out, extra) in [("plain", &[][..]), ("stateful", &["--state", "st"][..])] {
        let mut args = vec!["merge", "sample", "-o", out];
        args.extend_from_slice(extra);
        let run = t.run(&args);
        assert_code(&run, 0);
        let summary = stdout(&run);
        let last = summary.trim_end().rsplit_once('\n').unwrap().1;
        let listed: BTreeSet<String> = last
            .strip_prefix(&format!("wrote {out}/: "))
            .unwrap_or_else(|| panic!("{last}"))
            .split(", ")
            .map(str::to_string)
            .collect();
        let on_disk: BTreeSet<String> = std::fs::read_dir(t.path().join(out))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(listed, on_disk, "{out}");
        let with_changes = listed.contains("changes.csv") && listed.contains("redirects.csv");
        assert_eq!(with_changes, !extra.is_empty(), "{last}");
    }
}
