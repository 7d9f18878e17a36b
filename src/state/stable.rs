//! Stable profile ids across runs, and the change log that explains every id change.
//!
//! Takes the profiles of this run (with their deterministic default ids, `profile::ids`) and the
//! previous run's record → id and identifier → id maps; gives every profile its final id, the
//! change events and the updated redirect table. The rules (DESIGN.md §3, docs/state.md):
//!
//! - every record that existed in the previous run votes for its previous profile id; a profile
//!   with no such record (a source without a key column whose rows changed) votes through its
//!   identifiers instead;
//! - each previous id is *owned* by the profile holding most of its records (ties: the smaller
//!   default id, which depends only on the data), so when a profile splits, the largest part
//!   keeps the id and the others get new ids;
//! - a profile that owns several previous ids is a merge: the oldest id (earliest birth run,
//!   then smallest id) survives and the others are recorded as absorbed and redirected;
//! - a profile that owns nothing gets its default id, re-hashed with a `#n` suffix if that id
//!   was ever used before, so an id is never reused for someone else.
//!
//! Everything is a function of the data, never of thread count or file order.

use std::collections::{HashMap, HashSet};

use rayon::prelude::*;
use xxhash_rust::xxh3::xxh3_64;

use crate::extract::Extracted;
use crate::profile::Profiles;
use crate::profile::ids::ProfileId;

use super::Redirect;

/// What the previous run left behind, ready for lookups.
#[derive(Debug, Default)]
pub struct Previous {
    /// Profile ids (as numbers, see `parse_id`).
    pub ids: Vec<u64>,
    /// The run in which each id was first given.
    pub births: Vec<u32>,
    /// Records per profile.
    pub sizes: Vec<u32>,
    /// Record identity hash → index into `ids`.
    pub records: HashMap<u64, u32, foldhash::fast::FixedState>,
    /// Identifier hash → index into `ids` (identifiers shared by several profiles left out).
    pub identifiers: HashMap<u64, u32, foldhash::fast::FixedState>,
    /// Every id ever retired or absorbed, and where it points now.
    pub redirects: Vec<Redirect>,
}

/// One line of `changes.csv`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Change {
    /// The profile the event is about (for `retired`, the id that is gone).
    pub profile_id: String,
    /// What happened.
    pub event: Event,
    /// Earlier ids involved: the ids merged (survivor included), or the profile split from.
    pub previous_ids: Vec<String>,
    /// Records before (of the previous profile, or the merged ones together).
    pub records_before: u64,
    /// Records now.
    pub records_after: u64,
}

/// Kinds of change, as written in `changes.csv`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Event {
    /// A profile none of whose records existed before.
    New,
    /// A profile that kept its id and has more records than before.
    Grown,
    /// A profile that owns several previous ids; the oldest survived.
    Merged,
    /// Records of `previous_ids` now belong to this profile, while that id lives on elsewhere.
    Split,
    /// A previous profile none of whose records is left.
    Retired,
}

impl Event {
    /// The name written in `changes.csv`.
    pub fn as_str(self) -> &'static str {
        match self {
            Event::New => "new",
            Event::Grown => "grown",
            Event::Merged => "merged",
            Event::Split => "split",
            Event::Retired => "retired",
        }
    }
}

/// The result of carrying ids forward.
#[derive(Debug, Default)]
pub struct Carried {
    /// Change events, sorted.
    pub changes: Vec<Change>,
    /// Birth run of each profile, in the (re-sorted) order of `Profiles::list`.
    pub births: Vec<u32>,
    /// The updated redirect table, sorted by old id.
    pub redirects: Vec<Redirect>,
    /// Profiles whose id and records did not change.
    pub unchanged: u64,
    /// Ids absorbed by merges in this run.
    pub absorbed: u64,
}

/// A profile id as a number: ids are `P` and 16 hex digits.
pub fn parse_id(id: &str) -> Option<u64> {
    id.strip_prefix('P')
        .filter(|h| h.len() == 16)
        .and_then(|h| u64::from_str_radix(h, 16).ok())
}

/// The text form of an id number.
pub fn format_id(id: u64) -> String {
    format!("P{id:016x}")
}

/// The identity of a record across runs: its source's record key when it has one, else a hash
/// of its normalized content (identifiers, name, timestamps, amount). See docs/state.md for the
/// trade-off.
pub fn record_hash(extracted: &Extracted, record: u32) -> u64 {
    record_hash_in(extracted, record, &mut Vec::with_capacity(96))
}

/// `record_hash` with a reusable buffer (millions of records, no allocation each).
fn record_hash_in(extracted: &Extracted, record: u32, buf: &mut Vec<u8>) -> u64 {
    let r = record as usize;
    let records = &extracted.records;
    let source = &extracted.sources[records.source[r] as usize].name;
    buf.clear();
    if let Some(key) = records.key.get(r) {
        buf.extend_from_slice(b"k\0");
        buf.extend_from_slice(source.as_bytes());
        buf.push(0);
        buf.extend_from_slice(key.as_bytes());
        return xxh3_64(buf);
    }
    content_hash(extracted, record, "")
}

/// Every record's identity, made unique: a key used by several rows of one source falls back to
/// the content hash (with the key), and rows that are still alike (identical rows, which the
/// guards may leave in different profiles) are told apart by their order of appearance. Without
/// this, two profiles would share one identity and one of them would lose its id on every run.
pub fn record_hashes(extracted: &Extracted) -> Vec<u64> {
    let mut hashes: Vec<u64> = (0..extracted.records.len() as u32)
        .into_par_iter()
        .map_init(
            || Vec::with_capacity(96),
            |buf, r| record_hash_in(extracted, r, buf),
        )
        .collect();
    let shared = duplicates(&hashes);
    if shared.is_empty() {
        // Nothing to tell apart (the usual case): the second sort below would find nothing.
        return hashes;
    }
    for record in shared {
        if let Some(key) = extracted.records.key.get(record as usize) {
            hashes[record as usize] = content_hash(extracted, record, key);
        }
    }
    let mut seen: std::collections::HashMap<u64, u64> = std::collections::HashMap::new();
    for record in duplicates(&hashes) {
        let n = seen.entry(hashes[record as usize]).or_default();
        if *n > 0 {
            let mut buf = hashes[record as usize].to_le_bytes().to_vec();
            buf.extend_from_slice(&n.to_le_bytes());
            hashes[record as usize] = xxh3_64(&buf);
        }
        *n += 1;
    }
    hashes
}

/// Records whose hash is shared with another record, in record order.
fn duplicates(hashes: &[u64]) -> Vec<u32> {
    let mut order: Vec<u32> = (0..hashes.len() as u32).collect();
    order.par_sort_unstable_by_key(|&r| (hashes[r as usize], r));
    let mut out = Vec::new();
    let mut i = 0;
    while i < order.len() {
        let h = hashes[order[i] as usize];
        let mut j = i + 1;
        while j < order.len() && hashes[order[j] as usize] == h {
            j += 1;
        }
        if j - i > 1 {
            out.extend_from_slice(&order[i..j]);
        }
        i = j;
    }
    out.sort_unstable();
    out
}

/// A hash of a record's normalized content (and `key`, for keys used by several rows).
fn content_hash(extracted: &Extracted, record: u32, key: &str) -> u64 {
    let r = record as usize;
    let records = &extracted.records;
    let source = &extracted.sources[records.source[r] as usize].name;
    let mut buf = Vec::with_capacity(96);
    buf.extend_from_slice(b"c\0");
    buf.extend_from_slice(source.as_bytes());
    buf.push(0);
    buf.extend_from_slice(key.as_bytes());
    buf.push(0);
    let mut identifiers: Vec<(&str, &[u8])> = records
        .identifiers_of(record)
        .iter()
        .map(|&id| {
            let (ns, value) = extracted.interner.get(id);
            (extracted.namespace_name(ns), value.as_bytes())
        })
        .collect();
    identifiers.sort_unstable();
    for (ns, value) in identifiers {
        buf.extend_from_slice(ns.as_bytes());
        buf.push(0);
        buf.extend_from_slice(value);
        buf.push(0);
    }
    buf.extend_from_slice(records.name.get(r).unwrap_or("").as_bytes());
    buf.push(0);
    buf.extend_from_slice(&records.time_min[r].to_le_bytes());
    buf.extend_from_slice(&records.time_max[r].to_le_bytes());
    buf.extend_from_slice(&records.amount[r].to_bits().to_le_bytes());
    xxh3_64(&buf)
}

/// The hash under which an identifier is remembered (no raw values in these maps).
pub fn identifier_hash(extracted: &Extracted, identifier: u32) -> u64 {
    let (ns, value) = extracted.interner.get(identifier);
    let (ns, value) = (extracted.namespace_name(ns).as_bytes(), value.as_bytes());
    let len = ns.len() + 1 + value.len();
    // On the stack when it fits (nearly always): millions of calls, no allocation each.
    let mut stack = [0u8; 128];
    let mut heap = Vec::new();
    let buf: &mut [u8] = if len <= stack.len() {
        &mut stack[..len]
    } else {
        heap.resize(len, 0);
        &mut heap
    };
    buf[..ns.len()].copy_from_slice(ns);
    buf[ns.len()] = 0;
    buf[ns.len() + 1..].copy_from_slice(value);
    xxh3_64(buf)
}

/// A profile's votes for previous ids: `(previous index, records)`, ascending by index.
#[derive(Debug, Default)]
struct Votes {
    counts: Vec<(u32, u32)>,
    /// True when the counts come from identifiers, not records.
    by_identifier: bool,
}

fn tally(mut hits: Vec<u32>) -> Vec<(u32, u32)> {
    hits.sort_unstable();
    let mut counts: Vec<(u32, u32)> = Vec::new();
    for j in hits {
        match counts.last_mut() {
            Some((last, n)) if *last == j => *n += 1,
            _ => counts.push((j, 1)),
        }
    }
    counts
}

/// Gives every profile its final id (re-sorting `profiles` by id) and lists what changed.
pub fn carry(
    extracted: &Extracted,
    profiles: &mut Profiles,
    previous: &Previous,
    record_hashes: &[u64],
    run: u32,
) -> Carried {
    let votes: Vec<Votes> = (0..profiles.len())
        .into_par_iter()
        .map(|p| profiles.get(p))
        .map(|profile| {
            let hits: Vec<u32> = profile
                .records
                .iter()
                .filter_map(|&r| previous.records.get(&record_hashes[r as usize]).copied())
                .collect();
            if !hits.is_empty() {
                return Votes {
                    counts: tally(hits),
                    by_identifier: false,
                };
            }
            let hits = profile
                .identifiers
                .iter()
                .filter_map(|&i| {
                    let hash = identifier_hash(extracted, i);
                    previous.identifiers.get(&hash).copied()
                })
                .collect();
            Votes {
                counts: tally(hits),
                by_identifier: true,
            }
        })
        .collect();
    // Owner of each previous id: most records (record votes beat identifier votes); ties go to
    // the earlier profile, i.e. the smaller default id.
    let mut owner: Vec<Option<(usize, (bool, u32))>> = vec![None; previous.ids.len()];
    for (p, v) in votes.iter().enumerate() {
        for &(j, n) in &v.counts {
            let key = (!v.by_identifier, n);
            let slot = &mut owner[j as usize];
            if slot.is_none_or(|(_, best)| key > best) {
                *slot = Some((p, key));
            }
        }
    }
    let owned: Vec<Vec<u32>> = votes
        .iter()
        .enumerate()
        .map(|(p, v)| {
            v.counts
                .iter()
                .map(|&(j, _)| j)
                .filter(|&j| owner[j as usize].is_some_and(|(o, _)| o == p))
                .collect()
        })
        .collect();
    let oldest = |js: &[u32]| -> Option<u32> {
        js.iter()
            .copied()
            .min_by_key(|&j| (previous.births[j as usize], previous.ids[j as usize]))
    };
    // Birth run of each profile: its surviving previous id's, or this run for a new id (a new
    // id never equals a previous one, see `taken`).
    let mut births: Vec<u32> = vec![run; owned.len()];
    let mut final_ids: Vec<Option<u64>> = owned
        .iter()
        .enumerate()
        .map(|(p, js)| {
            oldest(js).map(|j| {
                births[p] = previous.births[j as usize];
                previous.ids[j as usize]
            })
        })
        .collect();
    let mut taken: HashSet<u64, foldhash::fast::FixedState> =
        HashSet::with_capacity_and_hasher(previous.ids.len(), Default::default());
    taken.extend(previous.ids.iter().copied());
    taken.extend(previous.redirects.iter().map(|r| r.old));
    for (p, id) in final_ids.iter_mut().enumerate() {
        if id.is_none() {
            let default = profiles.id(p).to_string();
            let mut candidate = profiles.id(p).0;
            let mut attempt = 0u32;
            while taken.contains(&candidate) {
                attempt += 1;
                candidate = xxh3_64(format!("{default}#{attempt}").as_bytes());
            }
            taken.insert(candidate);
            *id = Some(candidate);
        }
    }
    let final_ids: Vec<u64> = final_ids
        .into_iter()
        .map(|id| id.expect("every profile got an id above"))
        .collect();

    let mut carried = Carried::default();
    let mut absorbed_into: HashMap<u64, u64> = HashMap::new();
    let mut held = vec![false; previous.ids.len()];
    for (p, v) in votes.iter().enumerate() {
        // Formatted only for a profile with an event (most have none on a nightly run).
        let id = || format_id(final_ids[p]);
        let after = profiles.get(p).records.len() as u64;
        let size = |j: u32| u64::from(previous.sizes[j as usize]);
        let mine = &owned[p];
        for &(j, _) in &v.counts {
            held[j as usize] = true;
        }
        match mine.len() {
            0 if v.counts.is_empty() => carried.changes.push(Change {
                profile_id: id(),
                event: Event::New,
                previous_ids: Vec::new(),
                records_before: 0,
                records_after: after,
            }),
            0 => {}
            1 => {
                let before = size(mine[0]);
                if after > before {
                    carried.changes.push(Change {
                        profile_id: id(),
                        event: Event::Grown,
                        previous_ids: vec![id()],
                        records_before: before,
                        records_after: after,
                    });
                } else if after == before && v.counts.len() == 1 {
                    carried.unchanged += 1;
                }
            }
            _ => {
                let mut merged: Vec<u64> = mine.iter().map(|&j| previous.ids[j as usize]).collect();
                merged.sort_unstable();
                for &old in merged.iter().filter(|&&old| old != final_ids[p]) {
                    absorbed_into.insert(old, final_ids[p]);
                }
                carried.changes.push(Change {
                    profile_id: id(),
                    event: Event::Merged,
                    previous_ids: merged.into_iter().map(format_id).collect(),
                    records_before: mine.iter().map(|&j| size(j)).sum(),
                    records_after: after,
                });
            }
        }
        for &(j, _) in v.counts.iter().filter(|(j, _)| !mine.contains(j)) {
            carried.changes.push(Change {
                profile_id: id(),
                event: Event::Split,
                previous_ids: vec![format_id(previous.ids[j as usize])],
                records_before: size(j),
                records_after: after,
            });
        }
    }
    let mut retired: HashSet<u64> = HashSet::new();
    for (j, _) in held.iter().enumerate().filter(|(_, h)| !**h) {
        retired.insert(previous.ids[j]);
        carried.changes.push(Change {
            profile_id: format_id(previous.ids[j]),
            event: Event::Retired,
            previous_ids: Vec::new(),
            records_before: u64::from(previous.sizes[j]),
            records_after: 0,
        });
    }
    carried.changes.sort();
    carried.absorbed = absorbed_into.len() as u64;
    carried.redirects = update_redirects(&previous.redirects, &absorbed_into, &retired, run);

    carried.births = relabel(profiles, &final_ids, &births);
    carried
}

/// Old redirects follow their targets (a target absorbed now points to its survivor, a target
/// retired now is retired too); this run's absorbed and retired ids are added.
fn update_redirects(
    old: &[Redirect],
    absorbed_into: &HashMap<u64, u64>,
    retired: &HashSet<u64>,
    run: u32,
) -> Vec<Redirect> {
    let follow = |current: Option<u64>| match current {
        Some(c) if retired.contains(&c) => None,
        Some(c) => Some(absorbed_into.get(&c).copied().unwrap_or(c)),
        None => None,
    };
    let mut out: Vec<Redirect> = old
        .iter()
        .map(|r| Redirect {
            current: follow(r.current),
            ..*r
        })
        .collect();
    out.extend(absorbed_into.iter().map(|(&old, &current)| Redirect {
        old,
        current: Some(current),
        run,
    }));
    out.extend(retired.iter().map(|&old| Redirect {
        old,
        current: None,
        run,
    }));
    out.sort_by_key(|r| r.old);
    out
}

/// Sets the final ids, re-sorts the profiles by id and returns `births` in the new order.
fn relabel(profiles: &mut Profiles, ids: &[u64], births: &[u32]) -> Vec<u32> {
    let ids: Vec<ProfileId> = ids.iter().map(|&id| ProfileId(id)).collect();
    let order = profiles.relabel(&ids);
    order.iter().map(|&p| births[p as usize]).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifier_hashes_are_xxh3_of_kind_nul_value_short_or_long() {
        let mut extracted = Extracted {
            namespaces: vec!["email".into(), "phone".into()],
            ..Extracted::default()
        };
        let long = format!("{}@mail.ru", "a".repeat(200));
        let short = extracted.interner.intern(1, "+79161234567");
        let long_id = extracted.interner.intern(0, &long);
        assert_eq!(
            identifier_hash(&extracted, short),
            xxh3_64(b"phone\0+79161234567")
        );
        assert_eq!(
            identifier_hash(&extracted, long_id),
            xxh3_64(format!("email\0{long}").as_bytes())
        );
    }

    #[test]
    fn ids_round_trip_as_numbers() {
        let id = "P0a782ab700643238";
        assert_eq!(format_id(parse_id(id).unwrap()), id);
        assert_eq!(parse_id("P123"), None);
        assert_eq!(parse_id("Q0a782ab700643238"), None);
    }

    #[test]
    fn redirects_follow_later_merges_and_retirements() {
        let old = vec![
            Redirect {
                old: 1,
                current: Some(2),
                run: 1,
            },
            Redirect {
                old: 3,
                current: Some(4),
                run: 1,
            },
        ];
        let absorbed: HashMap<u64, u64> = [(2, 5)].into();
        let retired: HashSet<u64> = [4].into();
        let out = update_redirects(&old, &absorbed, &retired, 2);
        let pairs: Vec<(u64, Option<u64>)> = out.iter().map(|r| (r.old, r.current)).collect();
        assert_eq!(
            pairs,
            vec![(1, Some(5)), (2, Some(5)), (3, None), (4, None)]
        );
    }
}
