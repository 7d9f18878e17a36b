//! Tests of the pass on constructed people: blocking, the name check on probabilistic links,
//! determinism.

use super::blocking::{Rule, candidates};
use super::people::{NONE, People};
use super::*;
use crate::extract::{NO_TIME, RecordFields, RecordStatus};
use crate::graph::NONE as NO_ROOT;

/// (first, last, birth, postcode, address)
type Person = (&'static str, &'static str, u32, &'static str, &'static str);

fn people(rows: &[Person]) -> (Extracted, People) {
    let mut extracted = Extracted::default();
    let mut people = People::default();
    for (i, &(first, last, birth, postcode, address)) in rows.iter().enumerate() {
        let fields = RecordFields {
            name: Some(format!("{first} {last}")),
            time_min: NO_TIME,
            time_max: NO_TIME,
            amount: f64::NAN,
            ..Default::default()
        };
        extracted
            .records
            .push(0, i as u64 + 1, RecordStatus::Unidentified, &fields, &[]);
        let some = |s: &str| Some(s.to_owned()).filter(|s| !s.is_empty());
        people.first.push(some(first));
        people.last.push(some(last));
        people.birth.push(if birth == 0 { NONE } else { birth });
        people.postcode.push(some(postcode));
        people.address.push(some(address));
        people.city.push(None);
        people.email.push(None);
        people.phone.push(None);
    }
    (extracted, people)
}

const ROWS: &[Person] = &[
    ("anna", "smith", 19800101, "2000", "12 high street"),
    ("anna", "smyth", 19800101, "2000", "12 high st"),
    ("john", "brown", 19750505, "3000", "1 low road"),
    ("jon", "brown", 19750505, "3001", "1 low road"),
    ("mary", "smith", 19821212, "2000", "12 high street"),
    ("peter", "jones", 19600303, "4000", "7 east lane"),
];

#[test]
fn blocking_pairs_share_a_key_and_skip_exact_profiles() {
    let (_, people) = people(ROWS);
    let roots = vec![NO_ROOT; ROWS.len()];
    let (pairs, stats) = candidates(&people, &roots, &[Rule::BirthDate], 200);
    assert_eq!(pairs, vec![(0, 1), (2, 3)]);
    assert_eq!(stats[0].records, 6);
    let (pairs, _) = candidates(&people, &roots, &[Rule::PostcodeStreet], 200);
    assert_eq!(pairs, vec![(0, 1), (0, 4), (1, 4)]);
    // Records 0 and 1 already in one exact profile: not a candidate.
    let mut roots = roots;
    roots[0] = 0;
    roots[1] = 0;
    let (pairs, _) = candidates(&people, &roots, &Rule::ALL, 200);
    assert!(!pairs.contains(&(0, 1)));
    assert!(pairs.contains(&(2, 3)));
}

#[test]
fn oversized_blocks_use_a_sorted_neighbourhood() {
    let rows: Vec<Person> = (0..50)
        .map(|_| ("anna", "smith", 19800101, "", ""))
        .collect();
    let (_, people) = people(&rows);
    let roots = vec![NO_ROOT; rows.len()];
    let (all, _) = candidates(&people, &roots, &[Rule::BirthDate], 200);
    assert_eq!(all.len(), 50 * 49 / 2);
    let (windowed, stats) = candidates(&people, &roots, &[Rule::BirthDate], 10);
    assert_eq!(stats[0].large_blocks, 1);
    assert!(
        windowed.len() <= 50 * blocking::WINDOW,
        "{}",
        windowed.len()
    );
    assert!(windowed.iter().all(|p| all.contains(p)));
}

fn scored(rows: &[Person]) -> (Extracted, Vec<Link>) {
    let (extracted, people) = people(rows);
    let roots = vec![NO_ROOT; rows.len()];
    let (pairs, _) = candidates(&people, &roots, &Rule::ALL, 200);
    let clusters = crate::graph::Clusters {
        root: roots.clone(),
        parent: roots.clone(),
        via: roots,
        ..Default::default()
    };
    let settings = MatchSettings {
        threshold: 0.5,
        ..MatchSettings::default()
    };
    let rows = rows::Rows::of(&people);
    let levels = score::levels_of(&rows, &pairs);
    let model = score::learn(&extracted, &rows, &clusters, &levels, &settings);
    let links = score::score(
        &extracted,
        &people,
        &pairs,
        &levels,
        &model,
        &GuardSettings::default(),
    );
    (extracted, links)
}

#[test]
fn the_name_check_refuses_a_household_member_but_not_a_typo() {
    let (_, links) = scored(ROWS);
    let find = |a, b| links.iter().find(|l| l.a == a && l.b == b);
    let typo = find(0, 1).expect("anna smith / anna smyth scores above 0.5");
    assert_eq!(typo.refused, None);
    if let Some(household) = find(0, 4) {
        assert_eq!(household.refused, Some("name_mismatch"), "{household:?}");
    }
    for link in &links {
        let sum: f64 = link.partials.iter().sum();
        assert!(link.weight > sum - 100.0 && link.probability >= 0.5);
    }
}

#[test]
fn applied_links_become_identifiers_of_their_own() {
    let (mut extracted, links) = scored(ROWS);
    let accepted: Vec<&Link> = links.iter().filter(|l| l.refused.is_none()).collect();
    assert!(!accepted.is_empty());
    let placed = apply(&mut extracted, &links);
    let ns = extracted
        .namespaces
        .iter()
        .position(|n| n == NAMESPACE)
        .expect("namespace added") as u16;
    let link = accepted[0];
    let (a, b) = (
        extracted.records.identifiers_of(link.a),
        extracted.records.identifiers_of(link.b),
    );
    let shared: Vec<&u32> = a.iter().filter(|x| b.contains(x)).collect();
    assert_eq!(shared.len(), 1);
    assert_eq!(
        extracted.interner.get(*shared[0]),
        (ns, link.value().as_str())
    );
    assert_eq!(
        extracted.records.status[link.a as usize],
        RecordStatus::Identified
    );
    assert!(placed >= 2);
}

#[test]
fn same_input_same_links_in_any_thread_count() {
    let rows: Vec<Person> = (0..300u32)
        .map(|i| {
            let first = ["anna", "john", "mary", "peter", "olga"][(i % 5) as usize];
            let last = ["smith", "brown", "jones", "ivanov"][(i / 5 % 4) as usize];
            let birth = 19500101 + (i % 37) * 100 + i % 28;
            (
                first,
                last,
                birth,
                ["2000", "3000"][(i % 2) as usize],
                "1 high street",
            )
        })
        .collect();
    let run = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("pool");
        pool.install(|| scored(&rows).1)
    };
    let one = run(1);
    assert_eq!(one, run(2));
    assert_eq!(one, run(3));
}

#[test]
fn blocking_keys_do_not_depend_on_the_reused_buffer() {
    let (_, mut people) = people(ROWS);
    people.phone = people::Field::default();
    people.email = people::Field::default();
    for (i, phone) in [
        "+79161234567",
        "",
        "+7916123",
        "123456",
        "+44 20 7946 0958",
        "x",
    ]
    .iter()
    .enumerate()
    {
        people.phone.push(Some(phone.to_string()));
        people.email.push(Some(format!("a{}@x.ru", i % 2)));
    }
    let mut dirty = b"left over from the last record".to_vec();
    let mut keys = 0;
    for rule in Rule::ALL {
        for r in 0..ROWS.len() {
            let fresh = rule.key(&people, r, &mut Vec::new());
            assert_eq!(rule.key(&people, r, &mut dirty), fresh, "{rule:?} {r}");
            keys += usize::from(fresh.is_some());
        }
    }
    // The phone tail is the last seven digits (`1234567` and `7916123` here), none with six.
    let tail = |r| Rule::PhoneTail.key(&people, r, &mut Vec::new());
    assert_eq!(tail(3), None, "six digits");
    assert_ne!(tail(0), tail(2));
    // Every rule keys all six records, but phones (three with seven digits) and address_city\n    // (no cities).
    assert_eq!(keys, 6 * 6 + 3);
}
