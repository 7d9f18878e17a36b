//! One test per exit code (DESIGN.md §1): 0 done, 1 failed, 2 usage error.
//! Code 3 (`--fail-on`) arrives with the guards and cron issues; its test lives with them.

use crate::{CliTest, assert_code, stderr};

#[test]
fn code_0_when_the_run_completes() {
    let t = CliTest::new();
    t.copy("sample", "sample");
    assert_code(&t.run(&["merge", "sample", "-o", "out", "-q"]), 0);
}

#[test]
fn code_1_when_an_input_is_missing() {
    let t = CliTest::new();
    let output = t.run(&["merge", "nope.csv", "-o", "out"]);
    assert_code(&output, 1);
    let err = stderr(&output);
    assert!(err.starts_with("omni: error: "), "{err}");
    assert!(err.contains("nope.csv"), "{err}");
}

#[test]
fn code_1_when_the_config_is_invalid() {
    let t = CliTest::new();
    t.copy("sample", "sample");
    t.write("omni.toml", "countri = \"RU\"\n");
    let output = t.run(&["merge", "sample", "-o", "out"]);
    assert_code(&output, 1);
    let err = stderr(&output);
    assert!(
        err.contains("omni.toml") && err.contains("countri"),
        "{err}"
    );
}

#[test]
fn code_2_on_a_usage_error() {
    let t = CliTest::new();
    let output = t.run(&["merge", "--no-such-flag", "x.csv"]);
    assert_code(&output, 2);
    assert_code(&t.run(&["merge"]), 2);
}

#[test]
fn code_2_on_an_invalid_flag_value() {
    let t = CliTest::new();
    let output = t.run(&["merge", "--delimiter", ";;", "x.csv"]);
    assert_code(&output, 2);
    assert!(
        stderr(&output).contains("invalid delimiter"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn help_and_version_exit_0() {
    let t = CliTest::new();
    assert_code(&t.run(&["--help"]), 0);
    assert_code(&t.run(&["--version"]), 0);
}

#[test]
fn help_text_is_stable() {
    let t = CliTest::new();
    for (name, args) in [
        ("help_main", vec!["--help"]),
        ("help_merge", vec!["merge", "--help"]),
        ("help_inspect", vec!["inspect", "--help"]),
        ("help_normalize", vec!["normalize", "--help"]),
        ("help_report", vec!["report", "--help"]),
    ] {
        let output = t.run(&args);
        assert_code(&output, 0);
        insta::assert_snapshot!(name, crate::stdout(&output));
    }
}

#[test]
fn code_3_when_a_fail_on_condition_holds_and_outputs_are_written() {
    let t = CliTest::new();
    t.copy("sample", "sample");
    let output = t.run(&[
        "merge",
        "sample",
        "-o",
        "out",
        "-q",
        "--fail-on",
        "max-profile-size=3",
        "--fail-on",
        "rejects=50%",
    ]);
    assert_code(&output, 3);
    let err = stderr(&output);
    assert!(err.contains("omni: fail-on: largest profile has"), "{err}");
    assert!(
        !err.contains("rejects="),
        "the rejects condition does not hold: {err}"
    );
    for name in [
        "profiles.csv",
        "links.csv",
        "report.json",
        "edges.csv",
        "refused.csv",
    ] {
        assert!(t.path().join("out").join(name).is_file(), "{name} missing");
    }
}

#[test]
fn code_0_when_no_fail_on_condition_holds() {
    let t = CliTest::new();
    t.copy("sample", "sample");
    let output = t.run(&[
        "merge",
        "sample",
        "-o",
        "out",
        "-q",
        "--fail-on",
        "max-profile-size=500",
        "--fail-on",
        "generic=0",
    ]);
    assert_code(&output, 0);
}

#[test]
fn code_2_on_an_unknown_fail_on_condition() {
    let t = CliTest::new();
    let output = t.run(&["merge", "x.csv", "--fail-on", "size=5"]);
    assert_code(&output, 2);
    assert!(
        stderr(&output).contains("unknown condition 'size'"),
        "{}",
        stderr(&output)
    );
}
