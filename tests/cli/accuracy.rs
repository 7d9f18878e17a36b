//! Accuracy against ground truth on generated data.
//!
//! The generator (`omni::synth`) writes five channel exports and a truth file naming, for every
//! row, the real person and the canonical identifiers actually written in it. Two references
//! follow from that:
//!
//! - the **oracle**: exact matching on correctly normalized identifiers (a union-find over the
//!   truth file's canonical identifiers). omni must link at least everything the oracle links:
//!   every oracle pair must share an omni profile. This is checked exactly, with no tolerance.
//! - the **people**: pairwise precision and recall of omni's profiles against the person ids.
//!   These cannot reach 1.0 by construction: households share a landline or a family email and
//!   the till sometimes records the store's own phone (both link different people through a real
//!   shared identifier: precision loss), and typo'd emails or records whose only identifier is
//!   junk cannot be linked by any exact method (recall loss). The floors below are therefore the
//!   oracle's own precision and recall minus a small margin: omni may not be worse than exact
//!   matching on perfectly normalized values.

use std::collections::HashMap;

use crate::{CliTest, assert_code, parse_csv};

/// Pair counts of a clustering against the person truth.
#[derive(Debug, Default)]
struct Pairs {
    predicted: u64,
    truth: u64,
    correct: u64,
}

impl Pairs {
    fn precision(&self) -> f64 {
        if self.predicted == 0 {
            1.0
        } else {
            self.correct as f64 / self.predicted as f64
        }
    }
    fn recall(&self) -> f64 {
        if self.truth == 0 {
            1.0
        } else {
            self.correct as f64 / self.truth as f64
        }
    }
}

fn pairs_of(n: u64) -> u64 {
    n * n.saturating_sub(1) / 2
}

/// Pairwise counts for `cluster[i]` (None = unlinked) against `person[i]`.
fn pairwise(cluster: &[Option<String>], person: &[String]) -> Pairs {
    let mut by_cluster: HashMap<&str, u64> = HashMap::new();
    let mut by_person: HashMap<&str, u64> = HashMap::new();
    let mut by_both: HashMap<(&str, &str), u64> = HashMap::new();
    for (c, p) in cluster.iter().zip(person) {
        *by_person.entry(p).or_default() += 1;
        if let Some(c) = c {
            *by_cluster.entry(c).or_default() += 1;
            *by_both.entry((c, p)).or_default() += 1;
        }
    }
    Pairs {
        predicted: by_cluster.values().map(|&n| pairs_of(n)).sum(),
        truth: by_person.values().map(|&n| pairs_of(n)).sum(),
        correct: by_both.values().map(|&n| pairs_of(n)).sum(),
    }
}

/// The oracle: components of the truth file's canonical identifiers (None for rows without any).
fn oracle(identifiers: &[String]) -> Vec<Option<String>> {
    let n = identifiers.len();
    let mut parent: Vec<usize> = (0..n).collect();
    fn find(parent: &mut [usize], mut x: usize) -> usize {
        while parent[x] != x {
            parent[x] = parent[parent[x]];
            x = parent[x];
        }
        x
    }
    let mut first: HashMap<&str, usize> = HashMap::new();
    for (i, ids) in identifiers.iter().enumerate() {
        for id in ids.split('|').filter(|s| !s.is_empty()) {
            match first.get(id) {
                Some(&j) => {
                    let (a, b) = (find(&mut parent, i), find(&mut parent, j));
                    parent[a.max(b)] = a.min(b);
                }
                None => {
                    first.insert(id, i);
                }
            }
        }
    }
    (0..n)
        .map(|i| (!identifiers[i].is_empty()).then(|| find(&mut parent, i).to_string()))
        .collect()
}

/// Runs omni on generated data and returns (omni clusters, oracle clusters, persons).
/// `guards: false` switches the over-merge guards off through the config.
fn run_generated(
    people: usize,
    seed: u64,
    guards: bool,
) -> (Vec<Option<String>>, Vec<Option<String>>, Vec<String>) {
    run_generated_with(people, seed, guards, &[])
}

/// [`run_generated`] with extra `omni merge` arguments; the generic-identifier checks run only
/// without them (they need the store phones of a large run).
fn run_generated_with(
    people: usize,
    seed: u64,
    guards: bool,
    extra: &[&str],
) -> (Vec<Option<String>>, Vec<Option<String>>, Vec<String>) {
    let t = CliTest::new();
    let data = t.path().join("data");
    let truth_path = t.path().join("truth.csv");
    let config = omni::synth::SynthConfig::new(people, seed);
    omni::synth::generate(&config, &data, &truth_path).expect("generating data");
    if !guards {
        t.write(
            "omni.toml",
            "[guards]\ngeneric_names = 0\ngeneric_groups = 0\nname_check = []\nlandlines_place_nameless = true\n",
        );
    }
    let mut args = vec!["merge", "data", "-o", "out", "-q", "--country", "RU"];
    args.extend_from_slice(extra);
    let output = t.run(&args);
    assert_code(&output, 0);
    if guards && extra.is_empty() {
        no_profile_is_built_from_a_generic_identifier(&t);
    }
    let links = parse_csv(&t.read("out/links.csv"));
    let profile_of: HashMap<(String, String), String> = links[1..]
        .iter()
        .map(|l| ((l[0].clone(), l[1].clone()), l[3].clone()))
        .collect();
    let truth = parse_csv(&t.read("truth.csv"));
    assert_eq!(truth[0][..4], ["source", "row", "person_id", "identifiers"]);
    assert_eq!(
        truth.len(),
        links.len(),
        "truth and links.csv cover the same rows"
    );
    let rows = &truth[1..];
    let omni_clusters = rows
        .iter()
        .map(|r| {
            let profile = profile_of
                .get(&(r[0].clone(), r[1].clone()))
                .unwrap_or_else(|| panic!("{}:{} missing from links.csv", r[0], r[1]));
            (!profile.is_empty()).then(|| profile.clone())
        })
        .collect();
    let identifiers: Vec<String> = rows.iter().map(|r| r[3].clone()).collect();
    let persons = rows.iter().map(|r| r[2].clone()).collect();
    (omni_clusters, oracle(&identifiers), persons)
}

/// With the guards on, the generated store phones are found generic, no generic value ends up
/// in any profile, and no profile reaches the alarm size.
fn no_profile_is_built_from_a_generic_identifier(t: &CliTest) {
    let report: serde_json::Value =
        serde_json::from_str(&t.read("out/report.json")).expect("report.json");
    let guards = &report["guards"];
    assert_eq!(guards["alarms"]["total"], 0, "{}", guards["alarms"]);
    let generic = guards["generic_identifiers"]["top"]
        .as_array()
        .expect("generic identifiers listed");
    assert!(!generic.is_empty(), "the store phones are generic");
    let profiles = parse_csv(&t.read("out/profiles.csv"));
    let (emails, phones) = (
        profiles[0].iter().position(|h| h == "emails").unwrap(),
        profiles[0].iter().position(|h| h == "phones").unwrap(),
    );
    for g in generic {
        let value = g["value"].as_str().unwrap();
        assert!(
            profiles[1..].iter().all(|p| !p[emails]
                .split('|')
                .chain(p[phones].split('|'))
                .any(|v| v == value)),
            "generic {value} is in a profile"
        );
    }
    let alarm = guards["settings"]["alarm_size"].as_u64().unwrap();
    let largest = report["cluster_sizes"]["largest"][0]["records"]
        .as_u64()
        .unwrap();
    assert!(
        largest <= alarm,
        "largest profile {largest} > alarm size {alarm}"
    );
}

#[test]
fn without_guards_omni_links_everything_exact_matching_links() {
    // 3,000 people keep the debug-mode test under a few seconds; docs/BENCHMARKS.md gives the
    // same figures at 100,000 and 1,000,000 people (scripts/accuracy.py).
    let (omni, oracle, persons) = run_generated(3_000, 7, false);
    // 1. Everything the oracle links, omni links.
    let mut profile_of_oracle: HashMap<&str, &Option<String>> = HashMap::new();
    for (o, c) in oracle.iter().zip(&omni) {
        if let Some(o) = o {
            assert!(c.is_some(), "a row with a valid identifier has no profile");
            let seen = profile_of_oracle.entry(o).or_insert(c);
            assert_eq!(*seen, c, "omni split a cluster that exact matching joins");
        }
    }
    // 2. Precision and recall against the people, with the oracle's as the floor.
    let ours = pairwise(&omni, &persons);
    let exact = pairwise(&oracle, &persons);
    eprintln!(
        "omni: precision {:.4} recall {:.4}; exact matching: precision {:.4} recall {:.4} ({:?} / {:?})",
        ours.precision(),
        ours.recall(),
        exact.precision(),
        exact.recall(),
        ours,
        exact
    );
    assert!(
        ours.recall() >= exact.recall() - 1e-9,
        "omni recalls less than exact matching"
    );
    assert!(
        ours.precision() >= exact.precision() - 0.005,
        "omni is less precise than exact matching"
    );
    // Absolute floors from how the data is built (synth's defaults), with the measured values
    // of this seed for reference:
    // - precision: only households (2% of people share a landline or a family email with one
    //   other person) and the store phone typed on 0.5% of till receipts link different people;
    //   exact matching measures 0.982 here. Floor 0.97.
    // - recall: a person's rows in different channels often share no identifier at all (the app
    //   knows the phone, the loyalty programme the card and email): the generator's
    //   `linkable_match_rate` is 0.435 against a true match rate of 0.548, and 1% typos and 2%
    //   junk cells cut more pairs. Exact matching measures 0.758 here. Floor 0.74.
    assert!(
        ours.precision() >= 0.97,
        "precision {:.4}",
        ours.precision()
    );
    assert!(ours.recall() >= 0.74, "recall {:.4}", ours.recall());
}

#[test]
fn guards_raise_precision_and_keep_recall_within_half_a_point() {
    // 40,000 people so that the store phones (0.5% of till receipts) join well over the
    // `generic_groups` limit of 100 separate receipts each, as they do in real data.
    let (guarded, oracle, persons) = run_generated(40_000, 11, true);
    let ours = pairwise(&guarded, &persons);
    let exact = pairwise(&oracle, &persons);
    eprintln!(
        "guarded: precision {:.4} recall {:.4}; exact matching: precision {:.4} recall {:.4}",
        ours.precision(),
        ours.recall(),
        exact.precision(),
        exact.recall()
    );
    // Without guards, the store phones and households cost exact matching most of its pairwise
    // precision; the guards must win it back to 0.999 (households sharing a landline or a
    // family mailbox are the hard part: see the landline and name-check guards) while refusing almost
    // no true link: recall within half a point of exact matching.
    assert!(
        ours.precision() >= 0.999,
        "precision {:.4}",
        ours.precision()
    );
    assert!(ours.precision() > exact.precision());
    assert!(
        ours.recall() >= exact.recall() - 0.005,
        "recall {:.4} vs {:.4}",
        ours.recall(),
        exact.recall()
    );
}

#[test]
fn probabilistic_pass_keeps_precision_on_households_and_store_phones() {
    // Issue 20: the second pass may only add links; on generated data (households sharing a
    // landline or a mailbox, store phones on receipts) precision stays where it was.
    // 40,000 people (as above) measure precision 0.9995 -> 0.9995, recall 0.7620 -> 0.7622;
    // 100,000: 0.9995 -> 0.9994, 0.7648 -> 0.7651 (docs/probabilistic.md).
    let (exact, _, persons) = run_generated_with(3_000, 7, true, &["--match", "exact"]);
    let (linked, _, _) = run_generated_with(3_000, 7, true, &["--match", "probabilistic"]);
    let (before, after) = (pairwise(&exact, &persons), pairwise(&linked, &persons));
    eprintln!(
        "exact: precision {:.4} recall {:.4}; probabilistic: precision {:.4} recall {:.4}",
        before.precision(),
        before.recall(),
        after.precision(),
        after.recall()
    );
    // At 3,000 people the store phones are not yet generic (exact: 0.9888 here), so the floor
    // is the exact run's own precision; the 0.995 target is measured at 40,000 and 100,000.
    assert!(
        after.precision() >= before.precision() - 0.001,
        "precision {:.4} < {:.4}",
        after.precision(),
        before.precision()
    );
    assert!(after.correct >= before.correct, "the pass lost true pairs");
}

#[test]
fn pairwise_counts_are_right_on_a_tiny_case() {
    let cluster = [Some("a"), Some("a"), Some("a"), None].map(|c| c.map(str::to_owned));
    let person = ["x", "x", "y", "y"].map(str::to_owned);
    let p = pairwise(&cluster, &person);
    assert_eq!((p.predicted, p.truth, p.correct), (3, 2, 1));
}
