//! Survivorship: which record's value becomes the profile's.
//!
//! Name rule: full names (two words or more) are preferred over single words (an email list
//! often knows only the first name), so only they are candidates when any exists. Then, when
//! any candidate record carries a timestamp, the name of the most recent such record wins (its latest timestamp; ties go to the name seen most often, then to the earlier
//! record in run order). Otherwise the most frequent name wins, comparing names case-
//! insensitively with whitespace collapsed, ties to the earlier record. The winning record's
//! spelling is kept as written.

use crate::extract::NO_TIME;

/// The surviving name among `records` (ascending record indices), if any has one: the rule
/// stated per record, which the tests check `name_among` (what `profile::build` calls) by.
#[cfg(test)]
pub(crate) fn name<'a>(data: &'a crate::extract::Records, records: &[u32]) -> Option<&'a str> {
    let named = records.iter().filter_map(|&r| {
        data.name
            .get(r as usize)
            .map(|n| (r, n, data.time_max.get(r as usize)))
    });
    name_among(named).and_then(|r| data.name.get(r as usize))
}

/// The record whose name survives among the named records, already looked up: `(record, name,
/// latest timestamp)`, records ascending (`profile::build` gathers them from the record
/// columns). The record, not the name: a profile keeps its name as the record's, which costs
/// four bytes instead of a copy of the text (issue 19).
pub fn name_among<'a>(named: impl Iterator<Item = (u32, &'a str, i64)>) -> Option<u32> {
    let mut named: Vec<(u32, &str, i64)> = named.collect();
    match named.len() {
        0 => return None,
        1 => return Some(named[0].0),
        _ => {}
    }
    let is_full = |name: &str| name.split_whitespace().nth(1).is_some();
    if named.iter().any(|&(_, n, _)| is_full(n)) {
        named.retain(|&(_, n, _)| is_full(n));
    }
    let latest = named.iter().map(|&(_, _, t)| t).max().unwrap_or(NO_TIME);
    // Most recent; then most frequent (over every name kept, compared case- and
    // space-insensitively); then earliest record. Most profiles have one most recent name, and
    // then no name is compared at all.
    let candidate = |&&(_, _, t): &&(u32, &str, i64)| latest == NO_TIME || t == latest;
    let mut candidates = named.iter().filter(candidate);
    let first = candidates.next()?;
    if candidates.next().is_none() {
        return Some(first.0);
    }
    // Profiles hold few names, so counting by comparison beats a hash map and its allocations.
    named
        .iter()
        .filter(candidate)
        .map(|&(r, n, _)| {
            let count = named.iter().filter(|&&(_, m, _)| same_name(n, m)).count();
            (count, std::cmp::Reverse(r), n)
        })
        // `max_by_key` keeps the last maximum; the record index is reversed, so among equal
        // counts the earliest record wins.
        .max_by_key(|&(count, r, _)| (count, r))
        .map(|(_, std::cmp::Reverse(r), _)| r)
}

/// Whether two names are the same but for letter case and spacing: equal word by word after
/// `str::to_lowercase`, without allocating.
fn same_name(a: &str, b: &str) -> bool {
    let mut a_words = a.split_whitespace();
    let mut b_words = b.split_whitespace();
    loop {
        match (a_words.next(), b_words.next()) {
            (None, None) => return true,
            (Some(x), Some(y)) if same_word(x, y) => {}
            _ => return false,
        }
    }
}

/// `x.to_lowercase() == y.to_lowercase()`, allocating only for words with a capital sigma:
/// `str::to_lowercase` maps it by context (final `ς`), every other character on its own.
fn same_word(x: &str, y: &str) -> bool {
    if x == y {
        return true;
    }
    if x.is_ascii() && y.is_ascii() {
        return x.eq_ignore_ascii_case(y);
    }
    if x.contains('Σ') || y.contains('Σ') {
        return x.to_lowercase() == y.to_lowercase();
    }
    x.chars()
        .flat_map(char::to_lowercase)
        .eq(y.chars().flat_map(char::to_lowercase))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::Records;
    use crate::extract::{RecordFields, RecordStatus};

    fn records(rows: &[(Option<&str>, i64)]) -> Records {
        let mut data = Records::default();
        for (i, (name, time)) in rows.iter().enumerate() {
            let fields = RecordFields {
                key: None,
                name: name.map(str::to_owned),
                time_min: *time,
                time_max: *time,
                amount: f64::NAN,
            };
            data.push(0, i as u64 + 1, RecordStatus::Identified, &fields, &[0]);
        }
        data
    }

    #[test]
    fn most_recent_name_wins_when_timestamps_exist() {
        let data = records(&[
            (Some("Ivan Ivanov"), 100),
            (Some("Иван Иванов"), 200),
            (Some("Ivan Ivanov"), 50),
        ]);
        assert_eq!(name(&data, &[0, 1, 2]), Some("Иван Иванов"));
    }

    #[test]
    fn most_frequent_name_wins_without_timestamps() {
        let data = records(&[
            (Some("Anna"), NO_TIME),
            (Some("ANNA  "), NO_TIME),
            (Some("Ann"), NO_TIME),
        ]);
        assert_eq!(name(&data, &[0, 1, 2]), Some("Anna"));
    }

    #[test]
    fn ties_go_to_the_earlier_record() {
        let data = records(&[(Some("B"), NO_TIME), (Some("A"), NO_TIME)]);
        assert_eq!(name(&data, &[0, 1]), Some("B"));
    }

    #[test]
    fn a_full_name_beats_a_more_recent_first_name() {
        let data = records(&[(Some("Татьяна Галкина"), 100), (Some("Татьяна"), 200)]);
        assert_eq!(name(&data, &[0, 1]), Some("Татьяна Галкина"));
    }

    #[test]
    fn names_equal_but_for_case_and_spacing_count_together() {
        // No timestamps: "anna  IVANOVA" and "Anna Ivanova" are one name seen twice, which
        // beats the earlier "Olga Petrova" seen once.
        let data = records(&[
            (Some("Olga Petrova"), NO_TIME),
            (Some("anna  IVANOVA"), NO_TIME),
            (Some("Anna Ivanova"), NO_TIME),
        ]);
        assert_eq!(name(&data, &[0, 1, 2]), Some("anna  IVANOVA"));
        let data = records(&[
            (Some("Ольга Петрова"), NO_TIME),
            (Some("АННА Иванова"), NO_TIME),
            (Some("анна иванова"), NO_TIME),
        ]);
        assert_eq!(name(&data, &[0, 1, 2]), Some("АННА Иванова"));
        // Tied at the latest timestamp: the name seen more often (at any time) wins.
        let data = records(&[
            (Some("Olga Petrova"), 5),
            (Some("ANNA IVANOVA"), 1),
            (Some("Anna Ivanova"), 5),
        ]);
        assert_eq!(name(&data, &[0, 1, 2]), Some("Anna Ivanova"));
    }

    proptest::proptest! {
        #[test]
        fn same_name_agrees_with_lowercasing_every_word(
            a in "[ aAbBΣσςΑαİiІіЁё\t]{0,8}",
            b in "[ aAbBΣσςΑαİiІіЁё\t]{0,8}",
        ) {
            let fold = |n: &str| {
                n.split_whitespace().map(str::to_lowercase).collect::<Vec<_>>().join(" ")
            };
            proptest::prop_assert_eq!(same_name(&a, &b), fold(&a) == fold(&b));
            let upper = a.to_uppercase();
            proptest::prop_assert_eq!(same_name(&a, &upper), fold(&a) == fold(&upper));
        }
    }

    #[test]
    fn no_names_gives_none() {
        let data = records(&[(None, 5)]);
        assert_eq!(name(&data, &[0]), None);
    }
}
