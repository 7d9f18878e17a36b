//! `contacts.csv`: the evidence behind every value `profiles.csv` lists, one row per profile and
//! value: how many of the profile's records hold it, in which sources, and when it was last
//! seen (the latest timestamp of those records). `omni export` ranks a profile's contacts by
//! it (issue 18: the most recent contact first); a person reads in it which address is current.
//!
//! Takes the extracted records and the built profiles; writes one file through [`OutDir`].
//! Its own file rather than new columns of `profiles.csv`, so the tables other programs read
//! keep their layout. Generic values and the probabilistic pass's link values are in no profile
//! (`profile::build` leaves them out), so they are in no row here either.

use std::io::Write;

use rayon::prelude::*;

use crate::extract::records::Records;
use crate::extract::{Extracted, NO_TIME};
use crate::normalize::datetime::format_timestamp;
use crate::output::OutDir;
use crate::output::escape::CsvEscape;
use crate::output::tables::CsvSink;
use crate::profile::{Profile, Profiles};

/// The file name.
pub const FILE: &str = "contacts.csv";

/// The columns of `contacts.csv` (also read back by `omni export`).
pub const CONTACTS_HEADER: [&str; 6] = [
    "profile_id",
    "kind",
    "value",
    "records",
    "sources",
    "last_seen",
];

/// Profiles formatted per parallel task.
const PROFILES_PER_TASK: usize = 4096;

/// Tasks formatted at once before their rows are written (bounds the memory held).
const TASKS_PER_ROUND: usize = 16;

/// What the records of one profile say about one of its values.
#[derive(Clone, Debug, PartialEq)]
pub struct ValueEvidence {
    /// Records holding the value.
    pub records: u64,
    /// Their source indices, ascending.
    pub sources: Vec<u16>,
    /// The latest timestamp of those records, or `NO_TIME`.
    pub last_seen: i64,
}

/// Writes `contacts.csv`: profiles in file order (by id), each profile's values in the order of
/// `profiles.csv` (by kind, then value).
pub fn write(
    out: &mut OutDir,
    escape: CsvEscape,
    extracted: &Extracted,
    profiles: &Profiles,
) -> anyhow::Result<()> {
    let mut file = out.file(FILE)?;
    let mut header = CsvSink::new(Vec::new()).escaping(escape);
    header.row(CONTACTS_HEADER)?;
    file.write_all(&header.into_inner()?)?;
    let tasks: Vec<std::ops::Range<usize>> = (0..profiles.len())
        .step_by(PROFILES_PER_TASK)
        .map(|start| start..(start + PROFILES_PER_TASK).min(profiles.len()))
        .collect();
    for round in tasks.chunks(TASKS_PER_ROUND) {
        let parts: Vec<std::io::Result<Vec<u8>>> = round
            .par_iter()
            .map(|range| rows(escape, extracted, profiles, range.clone()))
            .collect();
        for part in parts {
            file.write_all(&part?)?;
        }
    }
    OutDir::finish(file)
}

/// The rows of the profiles in `range`.
fn rows(
    escape: CsvEscape,
    extracted: &Extracted,
    profiles: &Profiles,
    range: std::ops::Range<usize>,
) -> std::io::Result<Vec<u8>> {
    let mut w = CsvSink::new(Vec::new()).escaping(escape);
    let mut number = itoa::Buffer::new();
    let mut cell = String::new();
    for p in range {
        let profile = profiles.get(p);
        let id = profile.id.text();
        let found = evidence(&extracted.records, &profile);
        for (&identifier, seen) in profile.identifiers.iter().zip(&found) {
            let (namespace, value) = extracted.interner.get(identifier);
            w.field(&id);
            w.field(extracted.namespace_name(namespace).as_bytes());
            w.field(value.as_bytes());
            w.field(number.format(seen.records).as_bytes());
            cell.clear();
            for (i, &s) in seen.sources.iter().enumerate() {
                if i > 0 {
                    cell.push('|');
                }
                cell.push_str(&extracted.sources[s as usize].name);
            }
            w.field(cell.as_bytes());
            match seen.last_seen {
                NO_TIME => w.field(b""),
                t => w.field(format_timestamp(t).as_bytes()),
            }
            w.end_row()?;
        }
    }
    w.into_inner()
}

/// For each of `profile.identifiers`, in that order, what the profile's records say about it.
pub fn evidence(records: &Records, profile: &Profile) -> Vec<ValueEvidence> {
    let mut index: Vec<(u32, usize)> = profile.identifiers.iter().copied().zip(0..).collect();
    index.sort_unstable();
    let mut found = vec![
        ValueEvidence {
            records: 0,
            sources: Vec::new(),
            last_seen: NO_TIME,
        };
        index.len()
    ];
    for &r in profile.records {
        let (source, time) = (records.source[r as usize], records.time_max[r as usize]);
        for identifier in records.identifiers_of(r) {
            let Ok(k) = index.binary_search_by_key(identifier, |&(id, _)| id) else {
                continue;
            };
            let seen = &mut found[index[k].1];
            seen.records += 1;
            if !seen.sources.contains(&source) {
                seen.sources.push(source);
            }
            seen.last_seen = seen.last_seen.max(time);
        }
    }
    for seen in &mut found {
        seen.sources.sort_unstable();
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::records::{RecordFields, RecordStatus};
    use crate::profile::ids::ProfileId;

    fn record(records: &mut Records, source: u16, time: i64, identifiers: &[u32]) {
        let fields = RecordFields {
            time_min: time,
            time_max: time,
            amount: f64::NAN,
            ..RecordFields::default()
        };
        records.push(source, 1, RecordStatus::Identified, &fields, identifiers);
    }

    /// Three records of one person: identifier 7 in two sources, last on day 300; identifier 9
    /// once, on day 500; identifier 4 (generic, not the profile's) is ignored; an undated
    /// record adds a count but no date.
    #[test]
    fn each_value_counts_its_records_sources_and_latest_date() {
        let mut records = Records::default();
        let day = 86_400;
        record(&mut records, 0, 100 * day, &[7, 4]);
        record(&mut records, 1, 300 * day, &[7]);
        record(&mut records, 1, 500 * day, &[9, 4]);
        record(&mut records, 2, NO_TIME, &[9]);
        let profile = Profile {
            id: ProfileId(1),
            records: &[0, 1, 2, 3],
            sources: &[0, 1, 2],
            identifiers: &[9, 7],
            name: None,
            first_seen: 100 * day,
            last_seen: 500 * day,
            purchases: 0,
            amount_total: 0.0,
        };
        let found = evidence(&records, &profile);
        assert_eq!(
            found,
            [
                ValueEvidence {
                    records: 2,
                    sources: vec![1, 2],
                    last_seen: 500 * day,
                },
                ValueEvidence {
                    records: 2,
                    sources: vec![0, 1],
                    last_seen: 300 * day,
                },
            ]
        );
    }
}
