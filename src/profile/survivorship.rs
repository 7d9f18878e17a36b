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
    name_among(records.iter().filter_map(|&r| {
        data.name
            .get(r as usize)
            .map(|n| (r, n, data.time_max[r as usize]))
    }))
}

/// The surviving name among the named records, already looked up: `(record, name, latest
/// timestamp)`, records ascending (`profile::build` gathers them from the record columns).
pub fn name_among<'a>(named: impl Iterator<Item = (u32, &'a str, i64)>) -> Option<&'a str> {
    let mut named: Vec<(u32, &str, i64)> = named.collect();
    match named.len() {
        0 => return None,
        1 => return Some(named[0].1),
        _ => {}
    }
    let is_full = |name: &str| name.split_whitespace().nth(1).is_some();
    if named.iter().any(|&(_, n, _)| is_full(n)) {
        named.retain(|&(_, n, _)| is_full(n));
    }
    // Profiles hold few names, so counting by comparison beats a hash map and its allocations.
    let folded: Vec<String> = named.iter().map(|(_, n, _)| fold(n)).collect();
    let counts: Vec<usize> = folded
        .iter()
        .map(|f| folded.iter().filter(|g| *g == f).count())
        .collect();
    let named: Vec<(u32, &str, usize, i64)> = named
        .iter()
        .zip(counts)
        .map(|(&(r, n, t), c)| (r, n, c, t))
        .collect();
    let latest = named.iter().map(|&(_, _, _, t)| t).max().unwrap_or(NO_TIME);
    let winner = if latest != NO_TIME {
        // Most recent; then most frequent; then earliest record. `max_by_key` keeps the last
        // maximum, so compare with the record index reversed.
        named
            .iter()
            .filter(|&&(_, _, _, t)| t == latest)
            .max_by_key(|&&(r, _, count, _)| (count, std::cmp::Reverse(r)))
    } else {
        named
            .iter()
            .max_by_key(|&&(r, _, count, _)| (count, std::cmp::Reverse(r)))
    };
    winner.map(|&(_, name, _, _)| name)
}

fn fold(name: &str) -> String {
    name.split_whitespace()
        .map(str::to_lowercase)
        .collect::<Vec<_>>()
        .join(" ")
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
    fn no_names_gives_none() {
        let data = records(&[(None, 5)]);
        assert_eq!(name(&data, &[0]), None);
    }
}
