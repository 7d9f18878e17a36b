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

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

use rayon::prelude::*;
use xxhash_rust::xxh3::xxh3_64;

use crate::extract::Extracted;
use crate::graph::NONE;
use crate::profile::Profiles;
use crate::profile::ids::ProfileId;

use super::Redirect;
pub use crate::profile::history::{Carried, Change, Event, format_id, parse_id};

/// What the previous run left behind, borrowed from the loaded state. The two maps are the
/// saved sorted arrays themselves: records are looked up by walking them alongside this run's
/// sorted hashes (`RecordHashes::join`), identifiers by binary search. Building hash maps of
/// millions of entries instead cost more than everything else the ids take.
#[derive(Debug, Default)]
pub struct Previous<'a> {
    /// Profile ids (as numbers, see `parse_id`); ascending in every state omni writes.
    pub ids: &'a [u64],
    /// The run in which each id was first given.
    pub births: &'a [u32],
    /// Records per profile.
    pub sizes: &'a [u32],
    /// Record identity hashes, strictly ascending (checked when the state is read).
    pub record_hashes: &'a [u64],
    /// Index into `ids` of each record hash.
    pub record_profiles: &'a [u32],
    /// Identifier hashes, strictly ascending (checked when the state is read); identifiers
    /// shared by several profiles are left out.
    pub identifier_hashes: &'a [u64],
    /// Index into `ids` of each identifier hash.
    pub identifier_profiles: &'a [u32],
    /// Every id ever retired or absorbed, and where it points now; sorted by old id.
    pub redirects: &'a [Redirect],
}

impl Previous<'_> {
    /// The previous profile holding identifier hash `hash`.
    fn identifier(&self, hash: u64) -> Option<u32> {
        self.identifier_hashes
            .binary_search(&hash)
            .ok()
            .map(|k| self.identifier_profiles[k])
    }
}

/// Every record's identity hash (`record_hash`, made unique) by record, and the same hashes
/// sorted: the lookups against the saved record map walk both sorted arrays at once, and the
/// next state's record map is read off in that order without sorting again.
#[derive(Debug, Default)]
pub struct RecordHashes {
    /// The hash of each record, by record index.
    pub by_record: Vec<u64>,
    /// `(hash, record)` for every record, ascending.
    pub sorted: Vec<(u64, u32)>,
}

impl RecordHashes {
    /// For each record, `values[k]` where `hashes[k]` is its hash, or `NONE`; `hashes` must be
    /// ascending. One walk along both sorted arrays (a merge-join).
    pub fn join(&self, hashes: &[u64], values: &[u32]) -> Vec<u32> {
        let mut out = vec![NONE; self.by_record.len()];
        let mut k = 0;
        for &(hash, record) in &self.sorted {
            while k < hashes.len() && hashes[k] < hash {
                k += 1;
            }
            if k == hashes.len() {
                break;
            }
            if hashes[k] == hash {
                out[record as usize] = values[k];
            }
        }
        out
    }
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
pub fn record_hashes(extracted: &Extracted) -> RecordHashes {
    let mut hashes: Vec<u64> = (0..extracted.records.len() as u32)
        .into_par_iter()
        .map_init(
            || Vec::with_capacity(96),
            |buf, r| record_hash_in(extracted, r, buf),
        )
        .collect();
    let mut sorted = sort_by_hash(&hashes);
    let shared = duplicates(&sorted);
    if shared.is_empty() {
        // Nothing to tell apart: the sorted pairs are final.
        return RecordHashes {
            by_record: hashes,
            sorted,
        };
    }
    let rehashed: Vec<(u32, u64)> = shared
        .par_iter()
        .filter_map(|&record| {
            let key = extracted.records.key.get(record as usize)?;
            Some((record, content_hash(extracted, record, key)))
        })
        .collect();
    let mut changed: Vec<u32> = Vec::with_capacity(rehashed.len());
    for (record, hash) in rehashed {
        hashes[record as usize] = hash;
        changed.push(record);
    }
    sorted = resort(sorted, &changed, &hashes);
    let mut seen: std::collections::HashMap<u64, u64> = std::collections::HashMap::new();
    changed.clear();
    for record in duplicates(&sorted) {
        let n = seen.entry(hashes[record as usize]).or_default();
        if *n > 0 {
            let mut buf = hashes[record as usize].to_le_bytes().to_vec();
            buf.extend_from_slice(&n.to_le_bytes());
            hashes[record as usize] = xxh3_64(&buf);
            changed.push(record);
        }
        *n += 1;
    }
    RecordHashes {
        sorted: resort(sorted, &changed, &hashes),
        by_record: hashes,
    }
}

/// `sorted` (as `sort_by_hash` gave it) again, after the hashes of the `changed` records were
/// replaced in `hashes`: their pairs are taken out, sorted on their own and merged back in one
/// pass. Keys shared by several rows are a few percent of the records at most, so this is much
/// cheaper than sorting millions of pairs again.
fn resort(sorted: Vec<(u64, u32)>, changed: &[u32], hashes: &[u64]) -> Vec<(u64, u32)> {
    if changed.is_empty() {
        return sorted;
    }
    let mut is_changed = vec![false; hashes.len()];
    for &r in changed {
        is_changed[r as usize] = true;
    }
    let mut moved: Vec<(u64, u32)> = changed.iter().map(|&r| (hashes[r as usize], r)).collect();
    moved.sort_unstable();
    let mut moved = moved.into_iter().peekable();
    let mut out = Vec::with_capacity(sorted.len());
    for pair in sorted.into_iter().filter(|&(_, r)| !is_changed[r as usize]) {
        while let Some(next) = moved.next_if(|&next| next < pair) {
            out.push(next);
        }
        out.push(pair);
    }
    out.extend(moved);
    out
}

/// `(hash, record)` pairs in ascending order. Sorting the pairs themselves, not record numbers
/// by a looked-up key, keeps every comparison in cache (several times faster at millions).
fn sort_by_hash(hashes: &[u64]) -> Vec<(u64, u32)> {
    let mut pairs: Vec<(u64, u32)> = hashes
        .par_iter()
        .enumerate()
        .map(|(r, &hash)| (hash, r as u32))
        .collect();
    pairs.par_sort_unstable();
    pairs
}

/// Records whose hash is shared with another record, in record order (`sorted` as given by
/// `sort_by_hash`).
fn duplicates(sorted: &[(u64, u32)]) -> Vec<u32> {
    let mut out: Vec<u32> = sorted
        .chunk_by(|a, b| a.0 == b.0)
        .filter(|run| run.len() > 1)
        .flatten()
        .map(|&(_, record)| record)
        .collect();
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
    // A probabilistic link's identifier names its weight, which moves as the model learns:
    // it is no part of the record (issue 20).
    let mut identifiers: Vec<(&str, &[u8])> = records
        .identifiers_of(record)
        .iter()
        .map(|&id| {
            let (ns, value) = extracted.interner.get(id);
            (extracted.namespace_name(ns), value.as_bytes())
        })
        .filter(|(ns, _)| *ns != crate::fuzzy::NAMESPACE)
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
    buf.extend_from_slice(&records.time_min.get(r).to_le_bytes());
    buf.extend_from_slice(&records.time_max.get(r).to_le_bytes());
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
#[derive(Debug)]
struct Votes {
    counts: Counts,
    /// True when the counts come from identifiers, not records.
    by_identifier: bool,
}

/// Vote counts, the one-count case (nearly every profile on a re-run) kept inline: no
/// allocation per profile.
#[derive(Debug)]
enum Counts {
    One([(u32, u32); 1]),
    Many(Vec<(u32, u32)>),
}

impl std::ops::Deref for Counts {
    type Target = [(u32, u32)];

    fn deref(&self) -> &[(u32, u32)] {
        match self {
            Counts::One(one) => one,
            Counts::Many(many) => many,
        }
    }
}

/// A profile's record votes: `(previous index, records)` for the previous profiles of its
/// records, ascending. Nearly every profile has all its known records in one previous profile:
/// that case is counted without collecting the hits.
fn record_votes(records: &[u32], before: &[u32]) -> Counts {
    let mut known = records
        .iter()
        .map(|&r| before[r as usize])
        .filter(|&j| j != NONE);
    let Some(first) = known.next() else {
        return Counts::Many(Vec::new());
    };
    let mut n = 1;
    for j in known {
        if j != first {
            let hits = records
                .iter()
                .map(|&r| before[r as usize])
                .filter(|&j| j != NONE)
                .collect();
            return Counts::Many(tally(hits));
        }
        n += 1;
    }
    Counts::One([(first, n)])
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
    record_hashes: &RecordHashes,
    run: u32,
) -> Carried {
    // The previous profile of each record (`NONE` for a record the previous run did not have).
    let before = record_hashes.join(previous.record_hashes, previous.record_profiles);
    let votes = votes(extracted, profiles, previous, &before);
    let owned = Owned::new(&votes, previous.ids.len());
    let (final_ids, births) = final_ids(profiles, previous, &owned, run);

    let mut log = ChangeLog {
        previous,
        carried: Carried::default(),
        absorbed_into: HashMap::new(),
    };
    let mut held = vec![false; previous.ids.len()];
    for (p, v) in votes.iter().enumerate() {
        for &(j, _) in v.counts.iter() {
            held[j as usize] = true;
        }
        let after = profiles.record_count(p) as u64;
        log.profile(final_ids[p], v, owned.of(p), after);
    }
    let retired = log.retire(&held);
    let ChangeLog {
        mut carried,
        absorbed_into,
        ..
    } = log;
    carried.changes.sort();
    carried.absorbed = absorbed_into.len() as u64;
    carried.redirects = update_redirects(previous.redirects, &absorbed_into, &retired, run);

    carried.births = relabel(profiles, &final_ids, &births);
    carried
}

/// Every profile's votes: its records' previous profiles, or when none of its records is known,
/// its identifiers' previous profiles.
fn votes(
    extracted: &Extracted,
    profiles: &Profiles,
    previous: &Previous,
    before: &[u32],
) -> Vec<Votes> {
    (0..profiles.len())
        .into_par_iter()
        .map(|p| profiles.get(p))
        .map(|profile| {
            let counts = record_votes(profile.records, before);
            if !counts.is_empty() {
                return Votes {
                    counts,
                    by_identifier: false,
                };
            }
            let hits = profile
                .identifiers
                .iter()
                .filter_map(|&i| previous.identifier(identifier_hash(extracted, i)))
                .collect();
            Votes {
                counts: Counts::Many(tally(hits)),
                by_identifier: true,
            }
        })
        .collect()
}

/// The previous ids each profile owns, as one list per profile in shared vectors (a vector per
/// profile would be millions of allocations).
struct Owned {
    ends: Vec<usize>,
    items: Vec<u32>,
}

impl Owned {
    /// Gives each previous id to its owner: the profile with most votes for it (record votes
    /// beat identifier votes); ties go to the earlier profile, i.e. the smaller default id.
    fn new(votes: &[Votes], previous_ids: usize) -> Owned {
        let mut owner: Vec<Option<(usize, (bool, u32))>> = vec![None; previous_ids];
        for (p, v) in votes.iter().enumerate() {
            for &(j, n) in v.counts.iter() {
                let key = (!v.by_identifier, n);
                let slot = &mut owner[j as usize];
                if slot.is_none_or(|(_, best)| key > best) {
                    *slot = Some((p, key));
                }
            }
        }
        let mut ends: Vec<usize> = Vec::with_capacity(votes.len() + 1);
        let mut items: Vec<u32> = Vec::with_capacity(previous_ids);
        ends.push(0);
        for (p, v) in votes.iter().enumerate() {
            items.extend(
                v.counts
                    .iter()
                    .map(|&(j, _)| j)
                    .filter(|&j| owner[j as usize].is_some_and(|(o, _)| o == p)),
            );
            ends.push(items.len());
        }
        Owned { ends, items }
    }

    /// The previous ids profile `p` owns.
    fn of(&self, p: usize) -> &[u32] {
        &self.items[self.ends[p]..self.ends[p + 1]]
    }
}

/// Every profile's final id and birth run: its surviving (oldest owned) previous id and that
/// id's birth, or a new id and this run (a new id never equals a previous one, see `new_id`).
fn final_ids(
    profiles: &Profiles,
    previous: &Previous,
    owned: &Owned,
    run: u32,
) -> (Vec<u64>, Vec<u32>) {
    let oldest = |js: &[u32]| -> Option<u32> {
        js.iter()
            .copied()
            .min_by_key(|&j| (previous.births[j as usize], previous.ids[j as usize]))
    };
    let n = profiles.len();
    let mut births: Vec<u32> = vec![run; n];
    let mut final_ids: Vec<Option<u64>> = (0..n)
        .map(|p| {
            oldest(owned.of(p)).map(|j| {
                births[p] = previous.births[j as usize];
                previous.ids[j as usize]
            })
        })
        .collect();
    let mut taken = Taken::new(previous);
    for (p, id) in final_ids.iter_mut().enumerate() {
        if id.is_none() {
            *id = Some(new_id(profiles.id(p), &mut taken));
        }
    }
    let final_ids = final_ids
        .into_iter()
        .map(|id| id.expect("every profile got an id above"))
        .collect();
    (final_ids, births)
}

/// A profile's default id, re-hashed with a `#n` suffix while it is taken; marked taken.
fn new_id(default: ProfileId, taken: &mut Taken) -> u64 {
    let text = default.to_string();
    let mut candidate = default.0;
    let mut attempt = 0u32;
    while taken.contains(candidate) {
        attempt += 1;
        candidate = xxh3_64(format!("{text}#{attempt}").as_bytes());
    }
    taken.insert(candidate);
    candidate
}

/// The change events of a run as they are found, and which previous ids were absorbed into
/// which final ones.
struct ChangeLog<'p, 'a> {
    previous: &'p Previous<'a>,
    carried: Carried,
    absorbed_into: HashMap<u64, u64>,
}

impl ChangeLog<'_, '_> {
    /// Adds one change; `sizes` are its records before and after.
    fn push(
        &mut self,
        profile_id: String,
        event: Event,
        previous_ids: Vec<String>,
        sizes: (u64, u64),
    ) {
        self.carried.changes.push(Change {
            profile_id,
            event,
            previous_ids,
            records_before: sizes.0,
            records_after: sizes.1,
        });
    }

    /// Records of previous profile `j`.
    fn size(&self, j: u32) -> u64 {
        u64::from(self.previous.sizes[j as usize])
    }

    /// The events of the profile given final id `final_id`, with votes `v`, owning the previous
    /// ids `mine` and holding `after` records.
    fn profile(&mut self, final_id: u64, v: &Votes, mine: &[u32], after: u64) {
        // Formatted only for a profile with an event (most have none on a nightly run).
        let id = || format_id(final_id);
        match mine.len() {
            0 if v.counts.is_empty() => self.push(id(), Event::New, Vec::new(), (0, after)),
            0 => {}
            1 => {
                let before = self.size(mine[0]);
                if after > before {
                    self.push(id(), Event::Grown, vec![id()], (before, after));
                } else if after == before && v.counts.len() == 1 {
                    self.carried.unchanged += 1;
                }
            }
            _ => self.merged(final_id, mine, after),
        }
        for &(j, _) in v.counts.iter().filter(|(j, _)| !mine.contains(j)) {
            let previous_ids = vec![format_id(self.previous.ids[j as usize])];
            self.push(id(), Event::Split, previous_ids, (self.size(j), after));
        }
    }

    /// A profile that owns several previous ids: all but its final id are absorbed into it.
    fn merged(&mut self, final_id: u64, mine: &[u32], after: u64) {
        let mut merged: Vec<u64> = mine
            .iter()
            .map(|&j| self.previous.ids[j as usize])
            .collect();
        merged.sort_unstable();
        for &old in merged.iter().filter(|&&old| old != final_id) {
            self.absorbed_into.insert(old, final_id);
        }
        let before = mine.iter().map(|&j| self.size(j)).sum();
        let previous_ids = merged.into_iter().map(format_id).collect();
        self.push(
            format_id(final_id),
            Event::Merged,
            previous_ids,
            (before, after),
        );
    }

    /// Retires every previous id no record or identifier voted for; returns them.
    fn retire(&mut self, held: &[bool]) -> HashSet<u64> {
        let mut retired: HashSet<u64> = HashSet::new();
        for (j, _) in held.iter().enumerate().filter(|(_, h)| !**h) {
            let old = self.previous.ids[j];
            retired.insert(old);
            let before = u64::from(self.previous.sizes[j]);
            self.push(format_id(old), Event::Retired, Vec::new(), (before, 0));
        }
        retired
    }
}

/// Every id ever given: the previous ids and the redirected ones (searched in their sorted
/// arrays, as a state keeps them; sorted here only if they are not), and the ids given so far
/// in this run. A hash set of all of them cost a tenth of a second per million profiles.
struct Taken<'a> {
    ids: Cow<'a, [u64]>,
    old: Vec<u64>,
    new: HashSet<u64, foldhash::fast::FixedState>,
}

impl<'a> Taken<'a> {
    fn new(previous: &Previous<'a>) -> Self {
        let ids = if previous.ids.is_sorted() {
            Cow::Borrowed(previous.ids)
        } else {
            let mut ids = previous.ids.to_vec();
            ids.sort_unstable();
            Cow::Owned(ids)
        };
        let mut old: Vec<u64> = previous.redirects.iter().map(|r| r.old).collect();
        if !old.is_sorted() {
            old.sort_unstable();
        }
        Taken {
            ids,
            old,
            new: HashSet::default(),
        }
    }

    fn contains(&self, id: u64) -> bool {
        self.ids.binary_search(&id).is_ok()
            || self.old.binary_search(&id).is_ok()
            || self.new.contains(&id)
    }

    fn insert(&mut self, id: u64) {
        self.new.insert(id);
    }
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
    fn resorting_changed_hashes_equals_sorting_again() {
        let mut hashes: Vec<u64> = (0..5000u64)
            .map(|i| xxh3_64(&i.to_le_bytes()) % 3000)
            .collect();
        let sorted = sort_by_hash(&hashes);
        assert!(sorted.is_sorted());
        // Every record of a shared hash gets a new one, some of them equal to another's.
        let changed = duplicates(&sorted);
        assert!(
            changed.len() > 1000 && changed.is_sorted(),
            "{}",
            changed.len()
        );
        for &r in &changed {
            hashes[r as usize] = if r % 7 == 0 { 5 } else { u64::from(r) << 20 };
        }
        assert_eq!(resort(sorted, &changed, &hashes), sort_by_hash(&hashes));
        let again = sort_by_hash(&hashes);
        assert_eq!(resort(again.clone(), &[], &hashes), again);
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
