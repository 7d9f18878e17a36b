//! Issue 16, part B: hostile situations around the outputs: the out dir's permissions and
//! mounts, spreadsheet formulas in cells, customer data and terminal escapes in messages,
//! reports over hundreds of files, renamed and deleted files under --incremental, and the
//! silent cases of --state.

use crate::{CliTest, assert_code, parse_csv, stderr, stdout};

/// Two small exports sharing one person.
fn two_exports(t: &CliTest) {
    t.write(
        "in/shop.csv",
        "email,phone,name\nanna@mail.ru,+79161234567,Anna\nboris@mail.ru,+79161234568,Boris\n",
    );
    t.write("in/crm.csv", "email,card\nanna@mail.ru,48213377\n");
}

/// The permission bits of a path.
#[cfg(unix)]
fn mode(path: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o7777
}

// See: #16 (item 3: every run reset the out dir's mode to 755 and its owner to the runner).
#[cfg(unix)]
#[test]
fn issue_16_out_dir_keeps_its_mode_and_group() {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let t = CliTest::new();
    two_exports(&t);
    for wanted in [0o700, 0o2750, 0o500] {
        let out = t.path().join(format!("out{wanted:o}"));
        std::fs::create_dir(&out).unwrap();
        std::fs::set_permissions(&out, std::fs::Permissions::from_mode(wanted)).unwrap();
        // A group other than the runner's primary one, where the runner may give it (root).
        let group = if runs_as_root() {
            4
        } else {
            std::fs::metadata(&out).unwrap().gid()
        };
        let _ = std::os::unix::fs::chown(&out, None, Some(group));
        let before = std::fs::metadata(&out).unwrap();
        for _ in 0..2 {
            let output = t.run(&["merge", "in", "-o", out.to_str().unwrap()]);
            assert_code(&output, 0);
            let after = std::fs::metadata(&out).unwrap();
            assert_eq!(mode(&out), wanted, "mode {wanted:o}");
            assert_eq!(after.gid(), before.gid(), "group");
            assert_eq!(after.uid(), before.uid(), "owner");
            assert!(out.join("profiles.csv").exists());
        }
    }
}

/// Whether the tests run as root (who may give any owner and group).
#[cfg(unix)]
fn runs_as_root() -> bool {
    use std::os::unix::fs::MetadataExt;
    // The owner of a fresh file is the runner.
    let probe = tempfile::NamedTempFile::new().unwrap();
    probe.as_file().metadata().unwrap().uid() == 0
}

// See: #16 (item 3: a new out dir is created with the umask).
#[cfg(unix)]
#[test]
fn issue_16_new_out_dir_follows_the_umask() {
    let t = CliTest::new();
    two_exports(&t);
    let output = t
        .command()
        .args(["merge", "in", "-o", "out"])
        .output()
        .unwrap();
    assert_code(&output, 0);
    // The test process's umask (usually 022) is the child's too; compare with a folder made
    // the ordinary way.
    std::fs::create_dir(t.path().join("plain")).unwrap();
    assert_eq!(mode(&t.path().join("out")), mode(&t.path().join("plain")));
}

// See: #16 (item 6: an out dir that is a mount point failed with "Device or resource busy").
// Needs root (to mount a tmpfs); skipped otherwise. Manual check (README Troubleshooting):
// `mount -t tmpfs none out && omni merge in -o out && omni merge in -o out`.
#[cfg(target_os = "linux")]
#[test]
fn issue_16_mount_point_out_dir_is_written_file_by_file() {
    let t = CliTest::new();
    two_exports(&t);
    let out = t.path().join("out");
    std::fs::create_dir(&out).unwrap();
    let mounted = std::process::Command::new("mount")
        .args(["-t", "tmpfs", "omni-test", out.to_str().unwrap()])
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !mounted {
        eprintln!("skipped: cannot mount a tmpfs here (not root?)");
        return;
    }
    let unmount = || {
        let _ = std::process::Command::new("umount").arg(&out).status();
    };
    let first = t.run(&["merge", "in", "-o", "out", "--state", "state"]);
    let second = t.run(&["merge", "in", "-o", "out"]);
    let files: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    let profiles = std::fs::read_to_string(out.join("profiles.csv"));
    unmount();
    assert_code(&first, 0);
    assert_code(&second, 0);
    assert!(profiles.unwrap().contains("Anna"));
    assert!(
        !files
            .iter()
            .any(|f| f == "changes.csv" || f.starts_with(".omni-tmp")),
        "the second run's outputs only, as after a swap: {files:?}"
    );
}

/// An export whose cells a spreadsheet would run as formulas.
fn hostile_export(t: &CliTest) {
    t.write(
        "in/@shop.csv",
        "email,phone,name,amount\n\
         anna@mail.ru,+79161234567,\"=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\",-12.50\n\
         boris@mail.ru,=1+2,'Neill,10\n\
         anna@mail.ru,+79161234567,-Anna,5\n",
    );
}

// See: #16 (item 4: CSV injection: formula cells were written as they are).
#[test]
fn issue_16_formula_cells_are_escaped_and_explain_undoes_it() {
    let t = CliTest::new();
    hostile_export(&t);
    let output = t.run(&["merge", "in", "-o", "out", "--country", "RU"]);
    assert_code(&output, 0);
    let profiles = t.read("out/profiles.csv");
    assert!(
        profiles.contains("\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\""),
        "{profiles}"
    );
    assert!(profiles.contains("''Neill"), "a leading quote is doubled");
    assert!(
        profiles.contains(",'@shop,"),
        "source names too: {profiles}"
    );
    assert!(
        profiles.contains(",+79161234567,"),
        "an E.164 phone is a number, not a formula: {profiles}"
    );
    let rejects = t.read("out/rejects.csv");
    assert!(rejects.contains("'@shop,2,phone,'=1+2,"), "{rejects}");
    for table in ["links.csv", "edges.csv"] {
        let text = t.read(&format!("out/{table}"));
        for row in parse_csv(&text).iter().skip(1) {
            assert!(
                row.iter()
                    .all(|cell| !cell.starts_with(['=', '@', '\t', '\r'])),
                "{table}: {row:?}"
            );
        }
    }
    let report: serde_json::Value = serde_json::from_str(&t.read("out/report.json")).unwrap();
    assert_eq!(report["csv_escape"], "formulas");
    // explain reads the tables back exactly: no quote in what it shows.
    let explained = t.run(&["explain", "out", "anna@mail.ru"]);
    assert_code(&explained, 0);
    let text = stdout(&explained);
    assert!(text.contains("@shop"), "{text}");
    assert!(!text.contains("'@shop"), "{text}");
    let by_record = t.run(&["explain", "out", "@shop:1"]);
    assert_code(&by_record, 0);
    assert!(stdout(&by_record).contains("anna@mail.ru"));
}

// See: #16 (item 4: the escape can be turned off for machine consumers).
#[test]
fn issue_16_csv_escape_none_writes_values_as_they_are() {
    let t = CliTest::new();
    hostile_export(&t);
    let output = t.run(&[
        "merge",
        "in",
        "-o",
        "out",
        "--country",
        "RU",
        "--csv-escape",
        "none",
    ]);
    assert_code(&output, 0);
    let profiles = t.read("out/profiles.csv");
    assert!(profiles.contains("\"=HYPERLINK("), "{profiles}");
    assert!(profiles.contains(",'Neill,"), "{profiles}");
    let report: serde_json::Value = serde_json::from_str(&t.read("out/report.json")).unwrap();
    assert_eq!(report["csv_escape"], "none");
    let explained = t.run(&["explain", "out", "@shop:2"]);
    assert_code(&explained, 0);
    assert!(stdout(&explained).contains("'Neill"), "kept as written");
    // The same from omni.toml.
    t.write("omni.toml", "[output]\ncsv_escape = \"none\"\n");
    let output = t.run(&["merge", "in", "-o", "out2", "--country", "RU"]);
    assert_code(&output, 0);
    assert!(t.read("out2/profiles.csv").contains("\"=HYPERLINK("));
}

// See: #16 (item 4: report.html stays safe with hostile names and cells).
#[test]
fn issue_16_report_html_escapes_hostile_source_names() {
    let t = CliTest::new();
    t.write(
        "in/<script>alert(1)<!--.csv",
        "email,name\nanna@mail.ru,<img src=x onerror=alert(1)>\n",
    );
    t.write("in/crm.csv", "email\nanna@mail.ru\n");
    let output = t.run(&["merge", "in", "-o", "out"]);
    assert_code(&output, 0);
    let html = t.read("out/report.html");
    assert!(!html.contains("<script>alert"), "source name escaped");
    assert!(
        html.contains("&lt;script&gt;alert(1)&lt;!--"),
        "shown as text"
    );
    assert!(!html.contains("onerror"), "cells never reach the report");
}

// See: #16 (item 5: a first line of data printed its card numbers and emails in the error).
#[test]
fn issue_16_line_one_data_is_masked_in_messages_unless_verbose() {
    let t = CliTest::new();
    t.write("cards.csv", "4111111111111111;x\n4111111111111112;y\n");
    let output = t.run(&["merge", "cards.csv", "-o", "out", "--delimiter", ","]);
    assert_code(&output, 1);
    let err = stderr(&output);
    assert!(!err.contains("4111111111111111"), "{err}");
    assert!(err.contains("**************11"), "{err}");
    assert!(err.contains("--verbose shows them"), "{err}");
    let verbose = t.run(&["merge", "cards.csv", "-o", "out", "--delimiter", ",", "-v"]);
    assert_code(&verbose, 1);
    assert!(stderr(&verbose).contains("4111111111111111;x"));
    // A wrong delimiter over a file with a header and emails, phones on line 1.
    t.write(
        "semi.csv",
        "anna@mail.ru;+79161234567;Anna\nboris@mail.ru;+79161234568;Boris\n",
    );
    t.write(
        "omni.toml",
        "[sources.semi.columns]\n\"email\" = \"email\"\n",
    );
    let output = t.run(&["merge", "semi.csv", "-o", "out", "--delimiter", "|"]);
    assert_code(&output, 1);
    let err = stderr(&output);
    assert!(
        !err.contains("anna@") && !err.contains("9161234567"),
        "{err}"
    );
}

// See: #16 (item 5: escape sequences in file names and cells reached the terminal).
#[test]
fn issue_16_control_characters_never_reach_the_terminal() {
    let t = CliTest::new();
    t.write(
        "in/ev\u{1b}[2Jil\u{202e}.csv",
        "email,name\nanna@mail.ru,\"An\u{1b}]0;pwned\u{7}na\"\n",
    );
    let output = t.run(&["merge", "in", "-o", "out"]);
    assert_code(&output, 0);
    let printed = format!("{}{}", stdout(&output), stderr(&output));
    assert!(printed.contains("ev\\u001b[2Jil\\u202e"), "{printed}");
    let explained = t.run(&["explain", "out", "anna@mail.ru"]);
    assert_code(&explained, 0);
    for output in [&output, &explained] {
        let all = [&output.stdout[..], &output.stderr[..]].concat();
        assert!(!all.contains(&0x1b) && !all.contains(&0x07), "{all:?}");
        assert!(!String::from_utf8_lossy(&all).contains('\u{202e}'));
    }
    assert!(stdout(&explained).contains("An\\u001b]0;pwned\\u0007na"));
    // `omni report --format json` stays valid JSON with the same values.
    let json = t.run(&["report", "out", "--format", "json"]);
    assert_code(&json, 0);
    assert!(!json.stdout.contains(&0x1b));
    let printed: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    let written: serde_json::Value = serde_json::from_str(&t.read("out/report.json")).unwrap();
    assert_eq!(printed, written);
    assert_eq!(printed["sources"][0]["name"], "ev\u{1b}[2Jil\u{202e}");
}

// See: #16 (item 5: zero-width and bidi characters stayed inside canonical emails).
#[test]
fn issue_16_zero_width_characters_do_not_split_an_email() {
    let t = CliTest::new();
    t.write("in/shop.csv", "email\nann\u{200b}a@mail.ru\n");
    t.write("in/crm.csv", "email\n\u{202e}anna@mail.ru\u{feff}\n");
    t.write("in/app.csv", "email\nanna@mail.ru\n");
    let output = t.run(&["merge", "in", "-o", "out"]);
    assert_code(&output, 0);
    let profiles = parse_csv(&t.read("out/profiles.csv"));
    assert_eq!(profiles.len(), 2, "one person: {profiles:?}");
    assert_eq!(profiles[1][4], "anna@mail.ru");
}

// See: #16 (item 9: 600 files of 3 rows made a 120 MB report.html: the overlap matrix was
// quadratic in the number of files).
#[test]
fn issue_16_report_size_is_linear_in_the_number_of_files() {
    let t = CliTest::new();
    let files = 600;
    for i in 0..files {
        let rows: String = (0..3)
            .map(|j| {
                format!(
                    "u{}@mail.ru,+7916{:07}\n",
                    (i * 3 + j) % 900,
                    (i * 7 + j) % 1000
                )
            })
            .collect();
        t.write(&format!("in/f{i:04}.csv"), format!("email,phone\n{rows}"));
    }
    let output = t.run(&["merge", "in", "-o", "out", "-q"]);
    assert_code(&output, 0);
    let size = |name: &str| {
        std::fs::metadata(t.path().join("out").join(name))
            .unwrap()
            .len()
    };
    // Measured: about 1.1 KB per file for each (the per-source sections, linear).
    assert!(
        size("report.html") < 2_000 * files,
        "{}",
        size("report.html")
    );
    assert!(
        size("report.json") < 2_000 * files,
        "{}",
        size("report.json")
    );
    let report: serde_json::Value = serde_json::from_str(&t.read("out/report.json")).unwrap();
    let overlap = &report["overlap"];
    assert_eq!(overlap["sources"].as_array().unwrap().len(), 20);
    assert_eq!(overlap["sources"][19], "other 581 sources");
    assert_eq!(overlap["other_sources"].as_array().unwrap().len(), 581);
    assert_eq!(overlap["profiles"].as_array().unwrap().len(), 20);
    assert_eq!(report["sources"].as_array().unwrap().len(), files as usize);
    let html = t.read("out/report.html");
    assert!(html.contains("the last row, other 581 sources"));
    assert!(html.contains("The chart shows the 20 largest of 600 sources"));
}

/// `totals.rows_read` of an out dir's report.
fn rows_read(t: &CliTest, out: &str) -> u64 {
    let report: serde_json::Value =
        serde_json::from_str(&t.read(&format!("{out}/report.json"))).unwrap();
    report["totals"]["rows_read"].as_u64().unwrap()
}

// See: #16 (item 10: after `mv shop.csv shop_2024.csv` an incremental run counted its rows
// twice).
#[test]
fn issue_16_incremental_run_sees_a_renamed_file() {
    let t = CliTest::new();
    two_exports(&t);
    let first = t.run(&["merge", "in", "--state", "state", "-o", "out"]);
    assert_code(&first, 0);
    assert_eq!(rows_read(&t, "out"), 3);
    std::fs::rename(
        t.path().join("in/shop.csv"),
        t.path().join("in/shop_2024.csv"),
    )
    .unwrap();
    let args = [
        "merge",
        "in/shop_2024.csv",
        "--state",
        "state",
        "--incremental",
        "-o",
        "out",
    ];
    let refused = t.run(&args);
    assert_code(&refused, 1);
    let err = stderr(&refused);
    assert!(err.contains("shop_2024.csv"), "{err}");
    assert!(err.contains("--forget-source shop"), "{err}");
    assert_eq!(rows_read(&t, "out"), 3, "the previous outputs stay");
    let forgotten = t
        .command()
        .args(args)
        .args(["--forget-source", "shop"])
        .output()
        .unwrap();
    assert_code(&forgotten, 0);
    assert!(stderr(&forgotten).contains("'shop' forgotten"));
    assert_eq!(
        rows_read(&t, "out"),
        3,
        "as a full run over the renamed file"
    );
    let full = t.run(&["merge", "in", "-o", "full"]);
    assert_code(&full, 0);
    assert_eq!(
        parse_csv(&t.read("out/profiles.csv")).len(),
        parse_csv(&t.read("full/profiles.csv")).len()
    );
}

// See: #16 (item 10: a deleted file's rows stayed in without a word).
#[test]
fn issue_16_incremental_run_says_a_saved_file_is_gone_and_can_forget_it() {
    let t = CliTest::new();
    two_exports(&t);
    assert_code(&t.run(&["merge", "in", "--state", "state", "-o", "out"]), 0);
    std::fs::remove_file(t.path().join("in/crm.csv")).unwrap();
    t.write("new/app.csv", "email\nclara@mail.ru\n");
    let kept = t.run(&[
        "merge",
        "new",
        "--state",
        "state",
        "--incremental",
        "-o",
        "out",
    ]);
    assert_code(&kept, 0);
    let err = stderr(&kept);
    assert!(
        err.contains("1 source saved in the state no longer exists"),
        "{err}"
    );
    assert!(
        err.contains("'crm'") && err.contains("--forget-source NAME"),
        "{err}"
    );
    assert_eq!(rows_read(&t, "out"), 4, "its rows stay in, as documented");
    let unknown = t.run(&[
        "merge",
        "new",
        "--state",
        "state",
        "--incremental",
        "-o",
        "out",
        "--forget-source",
        "nope",
    ]);
    assert_code(&unknown, 1);
    assert!(stderr(&unknown).contains("the state holds: app, crm, shop"));
    let dropped = t.run(&[
        "merge",
        "new",
        "--state",
        "state",
        "--incremental",
        "-o",
        "out",
        "--forget-source",
        "in/crm.csv",
    ]);
    assert_code(&dropped, 0);
    assert_eq!(rows_read(&t, "out"), 3, "shop's 2 rows and app's 1");
    let again = t.run(&[
        "merge",
        "new",
        "--state",
        "state",
        "--incremental",
        "-o",
        "out",
    ]);
    assert_code(&again, 0);
    assert!(
        !stderr(&again).contains("no longer exist"),
        "forgotten for good"
    );
}

// See: #16 (item 11: drift conditions without --state were silently ignored).
#[test]
fn issue_16_drift_conditions_without_state_are_a_usage_error() {
    let t = CliTest::new();
    two_exports(&t);
    let output = t.run(&[
        "merge",
        "in",
        "-o",
        "out",
        "--fail-on",
        "match-rate-drop=2%",
        "--fail-on",
        "max-profile-size=500",
    ]);
    assert_code(&output, 2);
    let err = stderr(&output);
    assert!(err.contains("--fail-on match-rate-drop"), "{err}");
    assert!(err.contains("--state DIR"), "{err}");
    assert!(!t.path().join("out").exists(), "refused before any work");
    // Conditions on this run alone need no state.
    let output = t.run(&[
        "merge",
        "in",
        "-o",
        "out",
        "--fail-on",
        "max-profile-size=500",
    ]);
    assert_code(&output, 0);
    let with_state = t.run(&[
        "merge",
        "in",
        "-o",
        "out",
        "--state",
        "state",
        "--fail-on",
        "match-rate-drop=2%",
    ]);
    assert_code(&with_state, 0);
}

// See: #16 (item 11: a deleted state.omni became a silent first run, every profile `new`).
#[test]
fn issue_16_a_lost_state_file_is_an_error_not_a_new_history() {
    let t = CliTest::new();
    two_exports(&t);
    let args = ["merge", "in", "-o", "out", "--state", "state"];
    assert_code(&t.run(&args), 0);
    assert_code(&t.run(&args), 0);
    std::fs::remove_file(t.path().join("state/state.omni")).unwrap();
    let lost = t.run(&args);
    assert_code(&lost, 1);
    let err = stderr(&lost);
    assert!(err.contains("state.omni: missing"), "{err}");
    assert!(err.contains("saved run 2 at"), "{err}");
    assert!(err.contains("omni.lock"), "{err}");
    // A failed run does not erase the trace.
    assert_code(&t.run(&args), 1);
    // Starting over on purpose: delete the lock file as the message says.
    std::fs::remove_file(t.path().join("state/omni.lock")).unwrap();
    let fresh = t.run(&args);
    assert_code(&fresh, 0);
    assert!(t.read("out/changes.csv").contains("new,"));
    // A first run in a new folder is no error.
    assert_code(
        &t.run(&["merge", "in", "-o", "out2", "--state", "state2"]),
        0,
    );
}

// See: #16 (item 11: a full disk printed "No space left on device" without a path). Needs
// root to mount a small tmpfs; skipped otherwise (the unit test
// `output::file::tests::issue_16_a_full_disk_names_the_file` covers it through /dev/full).
#[cfg(target_os = "linux")]
#[test]
fn issue_16_a_full_disk_names_the_file_being_written() {
    let t = CliTest::new();
    let rows: String = (0..3000)
        .map(|i| format!("person{i}@mail.ru,+7916{i:07},Person Number {i}\n"))
        .collect();
    t.write("in/big.csv", format!("email,phone,name\n{rows}"));
    let out = t.path().join("small");
    std::fs::create_dir(&out).unwrap();
    let mounted = std::process::Command::new("mount")
        .args([
            "-t",
            "tmpfs",
            "-o",
            "size=64k",
            "omni-full",
            out.to_str().unwrap(),
        ])
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !mounted {
        eprintln!("skipped: cannot mount a tmpfs here (not root?)");
        return;
    }
    let output = t.run(&["merge", "in", "-o", "small"]);
    let left: Vec<_> = std::fs::read_dir(&out).unwrap().collect();
    let _ = std::process::Command::new("umount").arg(&out).status();
    assert_code(&output, 1);
    let err = stderr(&output);
    assert!(err.contains("No space left on device"), "{err}");
    assert!(err.contains("small/.omni-tmp-"), "names the file: {err}");
    assert!(left.is_empty(), "temporaries removed: {left:?}");
}
