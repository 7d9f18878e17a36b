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
use crate::output::escape::CsvEscape;
use crate::output::tables::CsvSink;
use crate::output::tables::push_timestamp;
use crate::output::{OutDir, OutFile};
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

/// Writes `contacts.csv` into `out` (see [`write_to`]).
pub fn write(
    out: &mut OutDir,
    escape: CsvEscape,
    extracted: &Extracted,
    profiles: &Profiles,
) -> anyhow::Result<()> {
    write_to(open(out)?, escape, extracted, profiles)
}

/// Opens `contacts.csv` in `out`, for [`write_to`] (which may then run beside other writers).
pub fn open(out: &mut OutDir) -> anyhow::Result<OutFile> {
    out.file(FILE)
}

/// Writes `contacts.csv` into `file` (from [`open`]): profiles in file order (by id), each
/// profile's values in the order of `profiles.csv` (by kind, then value).
pub fn write_to(
    mut file: OutFile,
    escape: CsvEscape,
    extracted: &Extracted,
    profiles: &Profiles,
) -> anyhow::Result<()> {
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
    let mut cell = Vec::new();
    let mut found = Evidence::default();
    for p in range {
        let profile = profiles.get(p);
        let id = profile.id.text();
        found.gather(&extracted.records, &profile);
        for (&identifier, seen) in profile.identifiers.iter().zip(found.values()) {
            let (namespace, value) = extracted.interner.get(identifier);
            w.field(&id);
            w.field(extracted.namespace_name(namespace).as_bytes());
            w.field(value.as_bytes());
            w.field(number.format(seen.records).as_bytes());
            cell.clear();
            for (i, &s) in seen.sources.iter().enumerate() {
                if i > 0 {
                    cell.push(b'|');
                }
                cell.extend_from_slice(extracted.sources[s as usize].name.as_bytes());
            }
            w.field(&cell);
            cell.clear();
            if seen.last_seen != NO_TIME {
                push_timestamp(&mut cell, seen.last_seen);
            }
            w.field(&cell);
            w.end_row()?;
        }
    }
    w.into_inner()
}

/// For each of `profile.identifiers`, in that order, what the profile's records say about it.
pub fn evidence(records: &Records, profile: &Profile) -> Vec<ValueEvidence> {
    let mut found = Evidence::default();
    found.gather(records, profile);
    found.found.truncate(found.len);
    found.found
}

/// [`evidence`] with its buffers kept from one profile to the next: `contacts.csv` gathers it
/// for every profile, and a `Vec` per value and profile cost more than the counting.
#[derive(Default)]
struct Evidence {
    /// One per identifier of the profile (only the first `len` are current).
    found: Vec<ValueEvidence>,
    len: usize,
    /// (identifier, its position in the profile), sorted: for profiles with many values.
    index: Vec<(u32, usize)>,
}

/// Up to this many values a profile's identifiers are searched one by one, not by bisection.
const LINEAR_SEARCH_MAX: usize = 16;

impl Evidence {
    /// Gathers the evidence of `profile`'s values (see [`evidence`]).
    fn gather(&mut self, records: &Records, profile: &Profile) {
        let identifiers = profile.identifiers;
        self.len = identifiers.len();
        for seen in self.found.iter_mut().take(self.len) {
            seen.records = 0;
            seen.sources.clear();
            seen.last_seen = NO_TIME;
        }
        if self.found.len() < self.len {
            let empty = ValueEvidence {
                records: 0,
                sources: Vec::new(),
                last_seen: NO_TIME,
            };
            self.found.resize(self.len, empty);
        }
        let linear = identifiers.len() <= LINEAR_SEARCH_MAX;
        if !linear {
            self.index.clear();
            self.index.extend(identifiers.iter().copied().zip(0..));
            self.index.sort_unstable();
        }
        let index = &self.index;
        let position = |identifier: &u32| match linear {
            true => identifiers.iter().position(|id| id == identifier),
            false => index
                .binary_search_by_key(identifier, |&(id, _)| id)
                .ok()
                .map(|k| index[k].1),
        };
        for &r in profile.records {
            let (source, time) = (records.source[r as usize], records.time_max.get(r as usize));
            for identifier in records.identifiers_of(r) {
                let Some(k) = position(identifier) else {
                    continue;
                };
                let seen = &mut self.found[k];
                seen.records += 1;
                if !seen.sources.contains(&source) {
                    seen.sources.push(source);
                }
                seen.last_seen = seen.last_seen.max(time);
            }
        }
        for seen in self.values_mut() {
            seen.sources.sort_unstable();
        }
    }

    /// The evidence gathered last, one per identifier of the profile.
    fn values(&self) -> &[ValueEvidence] {
        &self.found[..self.len]
    }

    fn values_mut(&mut self) -> &mut [ValueEvidence] {
        &mut self.found[..self.len]
    }
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
            name_record: None,
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

    fn profile<'a>(records: &'a [u32], identifiers: &'a [u32]) -> Profile<'a> {
        Profile {
            id: ProfileId(1),
            records,
            sources: &[0, 1, 2],
            identifiers,
            name_record: None,
            first_seen: NO_TIME,
            last_seen: NO_TIME,
            purchases: 0,
            amount_total: 0.0,
        }
    }

    /// `contacts.csv` keeps one `Evidence` for a task's profiles: a small profile after a large
    /// one (whose values were found by bisection) gets what a fresh gathering gets, with nothing
    /// left over from the one before.
    #[test]
    fn reused_buffers_give_what_a_fresh_gathering_gives() {
        let mut records = Records::default();
        let many: Vec<u32> = (100..100 + LINEAR_SEARCH_MAX as u32 + 4).rev().collect();
        record(&mut records, 0, 10, &many);
        record(&mut records, 1, 20, &many[..3]);
        record(&mut records, 2, 30, &[7]);
        let large = profile(&[0, 1], &many);
        let small = profile(&[2], &[7]);
        let mut reused = Evidence::default();
        reused.gather(&records, &large);
        assert_eq!(reused.values(), evidence(&records, &large));
        assert_eq!(reused.values()[0].records, 2, "found by bisection");
        assert_eq!(reused.values()[0].sources, [0, 1]);
        reused.gather(&records, &small);
        assert_eq!(reused.values(), evidence(&records, &small));
        assert_eq!(
            reused.values(),
            [ValueEvidence {
                records: 1,
                sources: vec![2],
                last_seen: 30,
            }]
        );
    }
}
