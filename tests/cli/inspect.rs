//! `omni inspect` and `--write-config`.

use crate::{CliTest, assert_code, stderr, stdout};

#[test]
fn inspect_shows_roles_for_every_sample_source() {
    let t = CliTest::new();
    t.copy("sample", "sample");
    let output = t.run(&["inspect", "sample"]);
    assert_code(&output, 0);
    insta::assert_snapshot!("inspect_sample", stdout(&output));
}

#[test]
fn written_config_is_accepted_by_merge_and_gives_the_same_profiles() {
    let t = CliTest::new();
    t.copy("sample", "sample");
    assert_code(
        &t.run(&["inspect", "sample", "--write-config", "detected.toml"]),
        0,
    );
    let config = t.read("detected.toml");
    assert!(config.contains("[sources.loyalty"), "{config}");
    assert_code(&t.run(&["merge", "sample", "-o", "plain", "-q"]), 0);
    assert_code(
        &t.run(&[
            "merge",
            "sample",
            "-o",
            "configured",
            "-q",
            "--config",
            "detected.toml",
        ]),
        0,
    );
    assert_eq!(
        t.read("plain/profiles.csv"),
        t.read("configured/profiles.csv")
    );
}

#[test]
fn write_config_refuses_to_overwrite() {
    let t = CliTest::new();
    t.copy("sample", "sample");
    t.write("omni.toml", "");
    let output = t.run(&["inspect", "sample", "--write-config", "omni.toml"]);
    assert_code(&output, 1);
    assert!(
        stderr(&output).contains("already exists"),
        "{}",
        stderr(&output)
    );
}
