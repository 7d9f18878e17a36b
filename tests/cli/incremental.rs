//! `--incremental` equals a full run, night after night, in the cases where the guards and the
//! id rules could tell the difference: a new record bridging two saved profiles, a saved
//! identifier turned generic by new records, a name mismatch and a landline involving a new
//! record, a file given again, several nights in a row. Each night runs both ways on copies of
//! the same previous state; every output file and the saved state's body must be identical.

use std::collections::BTreeSet;
use std::path::Path;

use crate::{CliTest, assert_code, parse_csv, stderr, stdout};

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
    }
}

/// The state file's body: everything after the header and the metadata line (which holds the
/// time of the run).
fn state_body(dir: &Path) -> Vec<u8> {
    let bytes = std::fs::read(dir.join("state.omni")).unwrap();
    let mut newlines = bytes
        .iter()
        .enumerate()
        .filter(|(_, b)| **b == b'\n')
        .map(|(i, _)| i);
    let second = newlines.nth(1).expect("a header and a metadata line");
    bytes[second + 1..].to_vec()
}

/// Every output of `a` and `b` is identical; report.json may differ only in saying which kind
/// of run it was, report.html (its rendering) is left out.
fn assert_same_outputs(t: &CliTest, a: &str, b: &str) {
    let names = |dir: &str| -> BTreeSet<String> {
        std::fs::read_dir(t.path().join(dir))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect()
    };
    assert_eq!(names(a), names(b), "{a} and {b} hold different files");
    for name in names(a) {
        match name.as_str() {
            "report.html" => {}
            "report.json" => {
                let read = |dir: &str| {
                    let mut json: serde_json::Value =
                        serde_json::from_str(&t.read(&format!("{dir}/report.json"))).unwrap();
                    json["since_previous"]["incremental"] = serde_json::Value::Null;
                    json
                };
                assert_eq!(read(a), read(b), "report.json differs between {a} and {b}");
            }
            _ => assert!(
                t.read(&format!("{a}/{name}")) == t.read(&format!("{b}/{name}")),
                "{name} differs between {a} and {b}:\n{}\n---\n{}",
                t.read(&format!("{a}/{name}")),
                t.read(&format!("{b}/{name}"))
            ),
        }
    }
}

/// A state folder `st` that nights are applied to, both ways.
struct Nightly<'a> {
    t: &'a CliTest,
    night: usize,
}

impl<'a> Nightly<'a> {
    /// The first (full) run over `inputs`, into the out dir `out` that the incremental runs
    /// keep writing to (as a cron job does, so they copy the rows of untouched people from
    /// the previous tables); a copy of its outputs is kept as `out0`.
    fn start(t: &'a CliTest, inputs: &[&str]) -> Nightly<'a> {
        let mut args = vec!["merge", "--state", "st", "-o", "out", "-q"];
        args.extend_from_slice(inputs);
        assert_code(&t.run(&args), 0);
        copy_dir(&t.path().join("out"), &t.path().join("out0"));
        Nightly { t, night: 0 }
    }

    /// One night: a full run over `all` and an incremental run over `new`, each on a copy of
    /// the same previous state; asserts they agree and keeps the incremental run's state.
    /// Returns a copy of the incremental run's out dir (`incN`) and its stdout and stderr.
    fn night(&mut self, all: &[&str], new: &[&str]) -> (String, String) {
        self.night += 1;
        let t = self.t;
        let (full_state, full_out, out) = (
            format!("st-full{}", self.night),
            format!("full{}", self.night),
            format!("inc{}", self.night),
        );
        copy_dir(&t.path().join("st"), &t.path().join(&full_state));
        let mut args = vec!["merge", "--state", &full_state, "-o", &full_out];
        args.extend_from_slice(all);
        assert_code(&t.run(&args), 0);
        let output = incremental_night(t, "out", new);
        copy_dir(&t.path().join("out"), &t.path().join(&out));
        assert_same_outputs(t, &full_out, &out);
        assert!(
            state_body(&t.path().join(&full_state)) == state_body(&t.path().join("st")),
            "night {}: the saved states differ",
            self.night
        );
        (out, format!("{}{}", stdout(&output), stderr(&output)))
    }
}

/// An `--incremental -v` run on the state `st` into `out` that must succeed; with
/// `OMNI_TIMINGS`, so it also says what the link carried (`link_note`).
fn incremental_night(t: &CliTest, out: &str, inputs: &[&str]) -> std::process::Output {
    let mut args = vec!["merge", "--state", "st", "--incremental", "-o", out, "-v"];
    args.extend_from_slice(inputs);
    let output = t
        .command()
        .args(&args)
        .env("OMNI_TIMINGS", "1")
        .output()
        .expect("running omni");
    assert_code(&output, 0);
    output
}

/// What the incremental run's link did, from its `OMNI_TIMINGS` note: `(carried, relinked)`
/// records, or `Err(why)` when it linked in full.
fn link_note(err: &str) -> Result<(usize, usize), String> {
    let note = err
        .lines()
        .filter_map(|l| l.strip_prefix("omni: timing: link"))
        .map(str::trim)
        .find(|l| !l.starts_with(|c: char| c.is_ascii_digit()))
        .unwrap_or_else(|| panic!("no link note in:\n{err}"));
    if let Some(why) = note.strip_prefix("in full: ") {
        return Err(why.to_owned());
    }
    let numbers: Vec<usize> = note
        .split_whitespace()
        .filter_map(|w| w.parse().ok())
        .collect();
    match numbers[..] {
        [carried, relinked] => Ok((carried, relinked)),
        _ => panic!("unexpected link note: {note}"),
    }
}

/// Rows of `file` whose column `column` (by header name) equals `value`.
fn rows_where(t: &CliTest, file: &str, column: &str, value: &str) -> Vec<Vec<String>> {
    let table = parse_csv(&t.read(file));
    let at = table[0].iter().position(|h| h == column).unwrap();
    table[1..]
        .iter()
        .filter(|r| r[at] == value)
        .cloned()
        .collect()
}

#[test]
fn a_new_record_bridging_two_saved_profiles_merges_them_and_the_oldest_id_survives() {
    let t = CliTest::new();
    t.write(
        "hist/web.csv",
        "email,name,card\nann.lee@mail.ru,Ann Lee,\nbob@mail.ru,Bob Stone,\n",
    );
    let mut nights = Nightly::start(&t, &["hist"]);
    let first = rows_where(&t, "out0/links.csv", "source", "web");
    let ann_id = first[0][3].clone();
    // Night 1: Ann's loyalty card, with nothing in common yet: a profile born in run 2.
    t.write(
        "n1/loyalty.csv",
        "card,name,phone\n48213377,Ann Lee,+7 916 123-45-67\n",
    );
    let (out, err) = nights.night(&["hist", "n1"], &["n1"]);
    assert_eq!(link_note(&err), Ok((2, 1)), "the saved records are carried");
    let card_id = rows_where(&t, &format!("{out}/links.csv"), "source", "loyalty")[0][3].clone();
    assert_ne!(ann_id, card_id);
    // Night 2: one app record with Ann's email and card joins the two.
    t.write(
        "n2/app.csv",
        "email,card,name\nann.lee@mail.ru,48213377,Ann Lee\n",
    );
    let (out, err) = nights.night(&["hist", "n1", "n2"], &["n2"]);
    assert_eq!(
        link_note(&err),
        Ok((1, 3)),
        "Bob is carried; Ann's two saved components and the new record are linked again"
    );
    let merged = rows_where(&t, &format!("{out}/changes.csv"), "event", "merged");
    assert_eq!(merged.len(), 1, "{merged:?}");
    assert_eq!(merged[0][1], ann_id, "the run-1 id survives the merge");
    let redirects = parse_csv(&t.read(&format!("{out}/redirects.csv")));
    assert_eq!(
        redirects[1][..3],
        [card_id, ann_id.clone(), "merged".into()]
    );
    let links = parse_csv(&t.read(&format!("{out}/links.csv")));
    let ann: Vec<_> = links[1..].iter().filter(|r| r[3] == ann_id).collect();
    assert_eq!(
        ann.len(),
        3,
        "web, loyalty and app records of Ann: {links:?}"
    );
}

#[test]
fn new_records_that_make_a_saved_identifier_generic_split_its_profile_as_a_full_run_does() {
    let t = CliTest::new();
    // A shop mailbox on 12 receipts without names: one profile of 12 records today.
    let mut rows = String::from("receipt,email,card\n");
    for i in 0..12 {
        rows.push_str(&format!("R{i},info@shop-example.ru,{}\n", 48_213_000 + i));
    }
    t.write("hist/pos.csv", rows);
    let mut nights = Nightly::start(&t, &["hist"]);
    assert_eq!(parse_csv(&t.read("out0/profiles.csv")).len() - 1, 1);
    // Night 1: 95 more receipts with the mailbox: over 100 holders in separate groups, generic.
    let mut rows = String::from("receipt,email,card\n");
    for i in 0..95 {
        rows.push_str(&format!("S{i},info@shop-example.ru,{}\n", 58_213_000 + i));
    }
    t.write("n1/pos_night.csv", rows);
    let (out, _) = nights.night(&["hist", "n1"], &["n1"]);
    let report: serde_json::Value =
        serde_json::from_str(&t.read(&format!("{out}/report.json"))).unwrap();
    assert_eq!(report["guards"]["generic_identifiers"]["total"], 1);
    assert_eq!(
        parse_csv(&t.read(&format!("{out}/profiles.csv"))).len() - 1,
        107,
        "every receipt is its own customer now"
    );
    let splits = rows_where(&t, &format!("{out}/changes.csv"), "event", "split");
    assert_eq!(
        splits.len(),
        11,
        "the largest part keeps the id, 11 parts split off"
    );
}

/// The night refused exactly one link by `rule`, so the two records stay two profiles.
fn assert_one_refusal_and_two_profiles(t: &CliTest, out: &str, rule: &str) {
    let refused = rows_where(t, &format!("{out}/refused.csv"), "rule", rule);
    assert_eq!(
        refused.len(),
        1,
        "{}",
        t.read(&format!("{out}/refused.csv"))
    );
    assert_eq!(
        parse_csv(&t.read(&format!("{out}/profiles.csv"))).len() - 1,
        2
    );
}

#[test]
fn a_name_mismatch_with_a_new_record_is_refused_as_in_a_full_run() {
    let t = CliTest::new();
    t.write(
        "hist/web.csv",
        "email,name\nivan.petrov@mail.ru,Ivan Petrov\n",
    );
    let mut nights = Nightly::start(&t, &["hist"]);
    t.write(
        "n1/app.csv",
        "email,name,card\nivan.petrov@mail.ru,Maria Sidorova,77000001\n",
    );
    let (out, _) = nights.night(&["hist", "n1"], &["n1"]);
    assert_one_refusal_and_two_profiles(&t, &out, "name_mismatch");
}

#[test]
fn a_nameless_new_record_on_a_saved_landline_is_refused_as_in_a_full_run() {
    let t = CliTest::new();
    t.write(
        "hist/loyalty.csv",
        "card,name,phone\n48213377,Ivan Petrov,+7 495 914-93-28\n",
    );
    let mut nights = Nightly::start(&t, &["hist"]);
    t.write("n1/app.csv", "phone,card\n+7 495 914-93-28,77000002\n");
    let (out, _) = nights.night(&["hist", "n1"], &["n1"]);
    assert_one_refusal_and_two_profiles(&t, &out, "landline");
}

#[test]
fn a_file_given_again_replaces_its_saved_records() {
    let t = CliTest::new();
    t.write(
        "hist/web.csv",
        "id,email,name\n1,ann@mail.ru,Ann Lee\n2,bob@mail.ru,Bob Stone\n",
    );
    t.write("hist/app.csv", "email,name\nann@mail.ru,Ann Lee\n");
    let mut nights = Nightly::start(&t, &["hist"]);
    // web.csv is exported again: Bob is gone, Carl is new.
    t.write(
        "hist/web.csv",
        "id,email,name\n1,ann@mail.ru,Ann Lee\n3,carl@mail.ru,Carl Berg\n",
    );
    let (out, err) = nights.night(&["hist"], &["hist/web.csv"]);
    assert!(err.contains("read again"), "{err}");
    // The components that lost records (Ann's, Bob's) are linked again, not carried.
    assert_eq!(link_note(&err), Ok((0, 3)));
    let events: BTreeSet<String> = parse_csv(&t.read(&format!("{out}/changes.csv")))[1..]
        .iter()
        .map(|r| r[0].clone())
        .collect();
    assert_eq!(
        events,
        ["new", "retired"].map(String::from).into(),
        "Carl is new, Bob retired"
    );
}

#[test]
fn several_incremental_nights_equal_full_runs_and_the_profiles_of_one_stateless_run() {
    let t = CliTest::new();
    let generate = |people: usize, seed: u64, dir: &str| {
        let cfg = omni::synth::SynthConfig::new(people, seed);
        omni::synth::generate(
            &cfg,
            &t.path().join(dir),
            &t.path().join(format!("{dir}.truth")),
        )
        .unwrap();
    };
    generate(800, 11, "hist");
    let mut nights = Nightly::start(&t, &["hist"]);
    let mut all = vec!["hist".to_owned()];
    for (night, seed) in [(1, 21u64), (2, 22), (3, 23)] {
        // Each night's exports carry the date in their names, as export tools write them.
        let fresh = format!("fresh{night}");
        generate(60, seed, &fresh);
        let dir = format!("n{night}");
        std::fs::create_dir_all(t.path().join(&dir)).unwrap();
        for entry in std::fs::read_dir(t.path().join(&fresh)).unwrap() {
            let entry = entry.unwrap();
            let name = entry.file_name().to_string_lossy().replacen(
                '.',
                &format!("_0{night}.", night = night),
                1,
            );
            std::fs::copy(entry.path(), t.path().join(&dir).join(name)).unwrap();
        }
        all.push(dir.clone());
        let all: Vec<&str> = all.iter().map(String::as_str).collect();
        let (_, err) = nights.night(&all, &[&dir]);
        assert!(
            err.contains("copied from the previous run's tables"),
            "night {night} carried no rows: {err}"
        );
        let (carried, relinked) = link_note(&err).unwrap();
        assert!(carried > relinked && relinked > 0, "{carried} {relinked}");
    }
    // The same people end up together as in one stateless run over every file.
    let mut args = vec!["merge", "-o", "stateless", "-q"];
    args.extend(all.iter().map(String::as_str));
    assert_code(&t.run(&args), 0);
    let partition = |dir: &str| -> BTreeSet<Vec<(String, String)>> {
        let mut groups: std::collections::BTreeMap<String, Vec<(String, String)>> =
            Default::default();
        for r in &parse_csv(&t.read(&format!("{dir}/links.csv")))[1..] {
            if !r[3].is_empty() {
                groups
                    .entry(r[3].clone())
                    .or_default()
                    .push((r[0].clone(), r[1].clone()));
            }
        }
        groups.into_values().collect()
    };
    assert_eq!(partition("inc3"), partition("stateless"));
}

/// A history of 20 web customers, 10 of whom also use the app.
fn twenty_customers(t: &CliTest) {
    let mut web = String::from("customer_id,email,name\n");
    let mut app = String::from("user_id,email,phone\n");
    for i in 0..20 {
        web.push_str(&format!("W{i},person{i}@mail.ru,Person {i}\n"));
        if i < 10 {
            app.push_str(&format!("A{i},person{i}@mail.ru,+7 916 555-00-{i:02}\n"));
        }
    }
    t.write("hist/web.csv", web);
    t.write("hist/app.csv", app);
}

#[test]
fn an_incremental_run_copies_the_rows_of_people_the_new_records_do_not_touch() {
    let t = CliTest::new();
    twenty_customers(&t);
    let mut nights = Nightly::start(&t, &["hist"]);
    // One receipt of person 3 (through the app phone) and one of somebody new.
    t.write(
        "n1/shop.csv",
        "order,phone,email\nO1,+7 916 555-00-03,\nO2,,newcomer@mail.ru\n",
    );
    let (out, err) = nights.night(&["hist", "n1"], &["n1"]);
    // 20 profiles before, 21 now: all but person 3 and the newcomer are copied; records: the
    // 30 saved ones but person 3's two.
    assert!(
        err.contains(
            "copied from the previous run's tables (the new records do not touch them): the rows \
             of 19 of 21 profiles and 28 of 32 records"
        ),
        "{err}"
    );
    assert_eq!(
        parse_csv(&t.read(&format!("{out}/profiles.csv"))).len() - 1,
        21
    );
}

#[test]
fn an_edited_or_missing_previous_table_is_formatted_again_not_copied() {
    let t = CliTest::new();
    twenty_customers(&t);
    let mut nights = Nightly::start(&t, &["hist"]);
    // Somebody edits a name in profiles.csv (same length) and deletes edges.csv.
    let profiles = t
        .read("out/profiles.csv")
        .replacen("Person 7", "Person X", 1);
    t.write("out/profiles.csv", profiles);
    std::fs::remove_file(t.path().join("out/edges.csv")).unwrap();
    t.write("n1/shop.csv", "order,email\nO1,newcomer@mail.ru\n");
    // The night still equals a full run (asserted inside), links.csv alone is copied from.
    let (_, err) = nights.night(&["hist", "n1"], &["n1"]);
    assert!(
        err.contains("the rows of 0 of 0 profiles and 30 of 31 records"),
        "{err}"
    );
    // Another out dir: nothing to copy from.
    t.write("n2/shop.csv", "order,email\nO2,second@mail.ru\n");
    let output = incremental_night(&t, "elsewhere", &["n2"]);
    assert!(
        !stdout(&output).contains("copied from"),
        "{}",
        stdout(&output)
    );
}

#[test]
fn guards_fire_in_carried_and_in_relinked_components_in_one_night() {
    let t = CliTest::new();
    t.write(
        "omni.toml",
        "[guards]\ngeneric_groups = 3\ncaps = { email = 2 }\n",
    );
    // Group A stays as saved; group B is touched by the night. Each has a card on 4 separate
    // receipts (generic), a person with 3 emails (cap 2), an email under two names (name
    // mismatch) and a landline with a nameless record on it (landline).
    t.write(
        "hist/crm.csv",
        "email,name,card,phone\n\
         a1@shop.ru,,11110001,\na2@shop.ru,,11110001,\na3@shop.ru,,11110001,\n\
         a4@shop.ru,,11110001,\n\
         o1@mail.ru,Oleg Ivanov,11110002,\no2@mail.ru,Oleg Ivanov,11110002,\n\
         o3@mail.ru,Oleg Ivanov,11110002,\n\
         ivan@mail.ru,Ivan Petrov,,\nivan@mail.ru,Maria Sidorova,,\n\
         ,Anna Smirnova,,+7 495 914-93-28\n,,11110003,+7 495 914-93-28\n\
         b1@shop.ru,,22220001,\nb2@shop.ru,,22220001,\nb3@shop.ru,,22220001,\n\
         p1@mail.ru,Petr Sokolov,22220002,\np2@mail.ru,Petr Sokolov,22220002,\n\
         petr@mail.ru,Petr Volkov,,\n,Sergey Orlov,,+7 495 914-93-29\n",
    );
    let mut nights = Nightly::start(&t, &["hist"]);
    t.write(
        "n1/app.csv",
        "email,name,card,phone\n\
         b4@shop.ru,,22220001,\np3@mail.ru,Petr Sokolov,22220002,\n\
         petr@mail.ru,Elena Kuznetsova,,\n,,22220003,+7 495 914-93-29\n",
    );
    let (out, err) = nights.night(&["hist", "n1"], &["n1"]);
    assert_eq!(
        link_note(&err),
        Ok((11, 11)),
        "group A carried, group B linked again"
    );
    let refused = parse_csv(&t.read(&format!("{out}/refused.csv")));
    let rules_on = |values: &[&str]| -> BTreeSet<String> {
        refused[1..]
            .iter()
            .filter(|r| values.contains(&r[4].as_str()))
            .map(|r| r[5].clone())
            .collect()
    };
    let all: BTreeSet<String> = ["cap", "generic", "landline", "name_mismatch"]
        .map(String::from)
        .into();
    let carried = ["11110001", "11110002", "ivan@mail.ru", "+74959149328"];
    let relinked = ["22220001", "22220002", "petr@mail.ru", "+74959149329"];
    assert_eq!(rules_on(&carried), all, "{refused:?}");
    assert_eq!(rules_on(&relinked), all, "{refused:?}");
}

#[test]
fn a_state_without_link_results_links_in_full_once_then_carries() {
    let t = CliTest::new();
    t.write(
        "hist/web.csv",
        "email,name\nann@mail.ru,Ann Lee\nbob@mail.ru,Bob Stone\n",
    );
    let mut nights = Nightly::start(&t, &["hist"]);
    // The state as an omni without link results wrote it: the same file minus those columns.
    let path = t.path().join("st/state.omni");
    let file = std::io::BufReader::new(std::fs::File::open(&path).unwrap());
    let mut saved = omni::state::format::read(file).unwrap();
    assert!(
        saved.snapshot.links.is_some(),
        "a run saves its link result"
    );
    saved.snapshot.links = None;
    let mut bytes = Vec::new();
    omni::state::format::write(&mut bytes, &saved).unwrap();
    std::fs::write(&path, bytes).unwrap();
    t.write("n1/app.csv", "email,name\nann@mail.ru,Ann Lee\n");
    let (_, err) = nights.night(&["hist", "n1"], &["n1"]);
    assert_eq!(
        link_note(&err),
        Err("no saved link result to carry".to_owned())
    );
    t.write("n2/app.csv", "email,name\ncarl@mail.ru,Carl Berg\n");
    let (_, err) = nights.night(&["hist", "n1", "n2"], &["n2"]);
    assert_eq!(
        link_note(&err),
        Ok((3, 1)),
        "the state saved by the fall-back carries"
    );
}

/// A night warns about the files it reads, not again about every saved file (cron logs would
/// repeat the same warnings night after night); the verbose count reads "1 profile".
#[test]
fn an_incremental_night_warns_only_about_the_files_it_reads() {
    let t = CliTest::new();
    t.write(
        "hist/broken.csv",
        "email;phone;name\nann@mail.ru;89161234567;Ann\n\"bob@mail.ru;8916;Bob\nx;y\n",
    );
    let output = t.run(&["merge", "--state", "st", "-o", "out", "hist"]);
    assert_code(&output, 0);
    let first = stderr(&output);
    assert!(
        first.contains("broken.csv: 1 phone number rejected"),
        "{first}"
    );
    assert!(
        first.contains("broken.csv: row 2: 1 row rejected"),
        "{first}"
    );
    t.write("n1/clean.csv", "email,name\ncarl@mail.ru,Carl\n");
    t.write(
        "n1/late.csv",
        "email,phone,name\ndina@mail.ru,89161234500,Dina\n",
    );
    let output = incremental_night(&t, "out", &["n1"]);
    let night = stderr(&output);
    assert!(!night.contains("broken.csv"), "{night}");
    assert!(
        night.contains("late.csv: 1 phone number rejected"),
        "{night}"
    );
    assert!(
        stdout(&output).contains("the rows of 1 of 3 profiles and 2 of 4 records"),
        "{}",
        stdout(&output)
    );
}
