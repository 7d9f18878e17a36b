//! From clusters to golden profiles: group records, give each profile a deterministic id, and
//! pick its fields by survivorship rules.
//!
//! Takes the extracted records and the clusters from `graph`; gives [`Profiles`]: one
//! [`Profile`] per cluster of identified records and, for every record, its profile index.
//! Unidentified and unreadable records belong to no profile. Nothing here reads files or prints.

pub mod history;
pub mod ids;
pub mod survivorship;

use rayon::prelude::*;

use crate::extract::packed::PackedTimes;
use crate::extract::records::Records;
use crate::extract::{Extracted, NO_TIME, RecordStatus};
use crate::graph::intern::Interner;
use crate::graph::{Clusters, NONE};

/// One golden profile, borrowed from [`Profiles`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Profile<'a> {
    /// Deterministic profile id (see `ids`).
    pub id: ids::ProfileId,
    /// Record indices, ascending.
    pub records: &'a [u32],
    /// Source indices present, ascending.
    pub sources: &'a [u16],
    /// Distinct interned identifiers, ordered by namespace then value. Generic identifiers
    /// (the shop's phone, a shared mailbox) are left out: they are nobody's contact.
    pub identifiers: &'a [u32],
    /// The record whose name survived (see `survivorship`): [`Profile::name`] reads it.
    pub name_record: Option<u32>,
    /// Earliest timestamp of any record, or `NO_TIME`.
    pub first_seen: i64,
    /// Latest timestamp of any record, or `NO_TIME`.
    pub last_seen: i64,
    /// Records carrying a non-zero amount (orders, receipts).
    pub purchases: u64,
    /// Sum of amounts.
    pub amount_total: f64,
}

impl Profile<'_> {
    /// Name by survivorship (see `survivorship`): the name of `name_record` in `records`, the
    /// records the profiles were built from.
    pub fn name<'r>(&self, records: &'r Records) -> Option<&'r str> {
        self.name_record.and_then(|r| records.name.get(r as usize))
    }
}

/// Profiles in columns: the per-profile lists (records, sources, identifiers) are compressed
/// rows in shared vectors and a name is its record's, so a profile costs about 60 bytes plus
/// its lists instead of five heap allocations.
#[derive(Debug, Default)]
struct Columns {
    ids: Vec<ids::ProfileId>,
    record_ends: Vec<u32>,
    records: Vec<u32>,
    source_ends: Vec<u32>,
    sources: Vec<u16>,
    identifier_ends: Vec<u32>,
    identifiers: Vec<u32>,
    /// Per profile, the record whose name survived, or `NONE`.
    name_record: Vec<u32>,
    first_seen: PackedTimes,
    last_seen: PackedTimes,
    /// Fewer than 2^32: a profile's records are counted in `u32` indices.
    purchases: Vec<u32>,
    amount_total: Vec<f64>,
}

fn range(ends: &[u32], i: usize) -> std::ops::Range<usize> {
    (if i == 0 { 0 } else { ends[i - 1] as usize })..ends[i] as usize
}

fn end(len: usize) -> u32 {
    u32::try_from(len).expect("fewer than 2^32 list entries")
}

impl Columns {
    fn len(&self) -> usize {
        self.ids.len()
    }

    fn get(&self, i: usize) -> Profile<'_> {
        Profile {
            id: self.ids[i],
            records: &self.records[range(&self.record_ends, i)],
            sources: &self.sources[range(&self.source_ends, i)],
            identifiers: &self.identifiers[range(&self.identifier_ends, i)],
            name_record: Some(self.name_record[i]).filter(|&r| r != NONE),
            first_seen: self.first_seen.get(i),
            last_seen: self.last_seen.get(i),
            purchases: u64::from(self.purchases[i]),
            amount_total: self.amount_total[i],
        }
    }

    /// Empty columns with room for `profiles` profiles holding `records` records, `sources`
    /// sources and `identifiers` identifiers in all (names grow).
    fn with_capacity(
        profiles: usize,
        records: usize,
        sources: usize,
        identifiers: usize,
    ) -> Columns {
        Columns {
            ids: Vec::with_capacity(profiles),
            record_ends: Vec::with_capacity(profiles),
            records: Vec::with_capacity(records),
            source_ends: Vec::with_capacity(profiles),
            sources: Vec::with_capacity(sources),
            identifier_ends: Vec::with_capacity(profiles),
            identifiers: Vec::with_capacity(identifiers),
            name_record: Vec::with_capacity(profiles),
            first_seen: PackedTimes::with_capacity(profiles),
            last_seen: PackedTimes::with_capacity(profiles),
            purchases: Vec::with_capacity(profiles),
            amount_total: Vec::with_capacity(profiles),
        }
    }

    /// Appends profiles `range` of `from`, profile `p` under the id `ids[p]`: each column is
    /// copied in one piece, list offsets rebased.
    fn extend_from_range(
        &mut self,
        from: &Columns,
        range: std::ops::Range<usize>,
        ids: &[ids::ProfileId],
    ) {
        fn lists<T: Copy>(
            ends: &mut Vec<u32>,
            items: &mut Vec<T>,
            from_ends: &[u32],
            from: &[T],
            range: std::ops::Range<usize>,
        ) {
            let start = if range.start == 0 {
                0
            } else {
                from_ends[range.start - 1]
            };
            let stop = from_ends[range.end - 1];
            let base = end(items.len());
            ends.extend(from_ends[range].iter().map(|&e| base + (e - start)));
            items.extend_from_slice(&from[start as usize..stop as usize]);
        }
        if range.is_empty() {
            return;
        }
        self.ids.extend_from_slice(&ids[range.clone()]);
        lists(
            &mut self.record_ends,
            &mut self.records,
            &from.record_ends,
            &from.records,
            range.clone(),
        );
        lists(
            &mut self.source_ends,
            &mut self.sources,
            &from.source_ends,
            &from.sources,
            range.clone(),
        );
        lists(
            &mut self.identifier_ends,
            &mut self.identifiers,
            &from.identifier_ends,
            &from.identifiers,
            range.clone(),
        );
        self.name_record
            .extend_from_slice(&from.name_record[range.clone()]);
        self.first_seen.extend_from(&from.first_seen, range.clone());
        self.last_seen.extend_from(&from.last_seen, range.clone());
        self.purchases
            .extend_from_slice(&from.purchases[range.clone()]);
        self.amount_total
            .extend_from_slice(&from.amount_total[range]);
    }

    /// Appends the golden fields of `other`'s profiles (all but the record lists, which the
    /// final columns hold from the start: see [`fill_golden`]).
    fn append_golden(&mut self, other: Columns) {
        fn lists<T: Copy>(ends: &mut Vec<u32>, items: &mut Vec<T>, o_ends: &[u32], o: &[T]) {
            let base = end(items.len());
            ends.extend(o_ends.iter().map(|&e| base + e));
            items.extend_from_slice(o);
        }
        lists(
            &mut self.source_ends,
            &mut self.sources,
            &other.source_ends,
            &other.sources,
        );
        lists(
            &mut self.identifier_ends,
            &mut self.identifiers,
            &other.identifier_ends,
            &other.identifiers,
        );
        self.name_record.extend_from_slice(&other.name_record);
        self.ids.extend_from_slice(&other.ids);
        self.first_seen
            .extend_from(&other.first_seen, 0..other.first_seen.len());
        self.last_seen
            .extend_from(&other.last_seen, 0..other.last_seen.len());
        self.purchases.extend_from_slice(&other.purchases);
        self.amount_total.extend_from_slice(&other.amount_total);
    }
}

/// All profiles of a run, ordered by id.
#[derive(Debug, Default)]
pub struct Profiles {
    columns: Columns,
    /// For each record, its profile's index (see [`Profiles::get`]), or `NONE`.
    pub of_record: Vec<u32>,
}

impl Profiles {
    /// Number of profiles.
    pub fn len(&self) -> usize {
        self.columns.len()
    }

    /// True without profiles.
    pub fn is_empty(&self) -> bool {
        self.columns.len() == 0
    }

    /// Profile `i` (in id order).
    pub fn get(&self, i: usize) -> Profile<'_> {
        self.columns.get(i)
    }

    /// The number of records of profile `i` (cheaper than `get(i).records.len()`).
    pub fn record_count(&self, i: usize) -> usize {
        range(&self.columns.record_ends, i).len()
    }

    /// The id of profile `i` (cheaper than `get(i).id`).
    pub fn id(&self, i: usize) -> ids::ProfileId {
        self.columns.ids[i]
    }

    /// The profiles in id order.
    /// Gives profile `p` the id `ids[p]`, re-sorts the profiles by id (updating `of_record`)
    /// and returns, for each new position, the profile's old position. Used by `state::stable`
    /// to carry ids over from a previous run.
    pub fn relabel(&mut self, ids: &[ids::ProfileId]) -> Vec<u32> {
        assert_eq!(ids.len(), self.len(), "one id per profile");
        if ids.is_sorted() {
            // Nothing moves (every profile kept its place): only the ids change.
            self.columns.ids.copy_from_slice(ids);
            return (0..self.len() as u32).collect();
        }
        // Pairs sort in cache (a sort of positions by looked-up ids would not).
        let mut pairs: Vec<(ids::ProfileId, u32)> = ids.iter().copied().zip(0..).collect();
        pairs.par_sort_unstable();
        let order: Vec<u32> = pairs.into_iter().map(|(_, p)| p).collect();
        let old = std::mem::take(&mut self.columns);
        let mut columns = Columns::with_capacity(
            old.len(),
            old.records.len(),
            old.sources.len(),
            old.identifiers.len(),
        );
        let mut position = vec![0u32; order.len()];
        // Copied in runs of profiles that stay next to each other: on a nightly run nearly all
        // do, so this is a few large copies.
        let mut i = 0;
        while i < order.len() {
            let first = order[i] as usize;
            let mut j = i + 1;
            while j < order.len() && order[j] as usize == first + (j - i) {
                j += 1;
            }
            columns.extend_from_range(&old, first..first + (j - i), ids);
            for (pos, &p) in order.iter().enumerate().take(j).skip(i) {
                position[p as usize] = pos as u32;
            }
            i = j;
        }
        self.columns = columns;
        for p in self.of_record.iter_mut().filter(|p| **p != NONE) {
            *p = position[*p as usize];
        }
        order
    }

    pub fn iter(&self) -> impl ExactSizeIterator<Item = Profile<'_>> + '_ {
        (0..self.len()).map(|i| self.get(i))
    }
}

/// Profiles built per parallel task.
const CHUNK_PROFILES: usize = 4096;

/// Tasks per thread in one round of [`build`].
const CHUNKS_PER_THREAD: usize = 8;

/// Builds the golden profiles.
pub fn build(extracted: &Extracted, clusters: &Clusters) -> Profiles {
    let per_round = CHUNK_PROFILES * CHUNKS_PER_THREAD * rayon::current_num_threads();
    build_in_rounds(extracted, clusters, per_round)
}

/// [`build`], appending the profiles to the final columns `per_round` at a time.
fn build_in_rounds(extracted: &Extracted, clusters: &Clusters, per_round: usize) -> Profiles {
    let (starts, members) = group(&extracted.records, clusters);
    let groups = starts.len() - 1;
    let members_of = |g: usize| &members[starts[g] as usize..starts[g + 1] as usize];
    let ids = ids::assign(extracted, groups, &members_of);
    // Order by id; lay the members out in that order: these are the profiles' record lists.
    // The group-ordered members go before the golden pass, which holds only the profiles
    // (issue 19: peak memory).
    let mut order: Vec<u32> = (0..groups as u32).collect();
    order.sort_unstable_by_key(|&g| ids[g as usize]);
    let mut columns = Columns::with_capacity(groups, 0, groups, groups);
    columns.records.reserve_exact(members.len());
    for &g in &order {
        columns.records.extend_from_slice(members_of(g as usize));
        columns.record_ends.push(end(columns.records.len()));
    }
    let ids: Vec<ids::ProfileId> = order.iter().map(|&g| ids[g as usize]).collect();
    drop((members, starts, order));
    let generic = left_out(extracted, clusters);
    fill_golden(extracted, &generic, &ids, &mut columns, per_round);
    drop((ids, generic));
    let mut of_record = vec![NONE; extracted.records.len()];
    for p in 0..columns.len() {
        for &r in &columns.records[range(&columns.record_ends, p)] {
            of_record[r as usize] = p as u32;
        }
    }
    Profiles { columns, of_record }
}

/// The identified records grouped by cluster, as compressed rows `(starts, members)`: group `g`
/// holds `members[starts[g]..starts[g + 1]]`, ascending. A cluster's root is its smallest record
/// index, so numbering roots in index order is deterministic.
fn group(records: &Records, clusters: &Clusters) -> (Vec<u32>, Vec<u32>) {
    let n = records.len();
    let mut group_of_root = vec![NONE; n];
    let mut group_of = vec![NONE; n];
    let mut sizes: Vec<u32> = Vec::new();
    for (record, status) in records.status.iter().enumerate() {
        if *status != RecordStatus::Identified {
            continue;
        }
        let root = clusters.root[record] as usize;
        if group_of_root[root] == NONE {
            group_of_root[root] = sizes.len() as u32;
            sizes.push(0);
        }
        let group = group_of_root[root];
        group_of[record] = group;
        sizes[group as usize] += 1;
    }
    drop(group_of_root);
    let mut starts = Vec::with_capacity(sizes.len() + 1);
    starts.push(0u32);
    for &size in &sizes {
        starts.push(starts.last().expect("starts is not empty") + size);
    }
    drop(sizes);
    let mut fill = starts.clone();
    let mut members = vec![0u32; *starts.last().expect("starts is not empty") as usize];
    for (record, &group) in group_of.iter().enumerate() {
        if group != NONE {
            members[fill[group as usize] as usize] = record as u32;
            fill[group as usize] += 1;
        }
    }
    (starts, members)
}

/// Per identifier, whether profiles leave it out: generic identifiers, and those that stand for
/// probabilistic links (issue 20), which are no customer values.
fn left_out(extracted: &Extracted, clusters: &Clusters) -> Vec<bool> {
    let mut generic = vec![false; extracted.interner.len()];
    for g in &clusters.generic {
        generic[g.identifier as usize] = true;
    }
    if let Some(ns) = extracted
        .namespaces
        .iter()
        .position(|n| n == crate::fuzzy::NAMESPACE)
    {
        for (x, flag) in generic.iter_mut().enumerate() {
            *flag |= extracted.interner.namespace_of(x as u32) as usize == ns;
        }
    }
    generic
}

/// Computes the golden fields of the profiles whose record lists `columns` holds (profile `p`
/// has the id `ids[p]`), appending them to `columns`: built in rounds of chunks on every thread,
/// each round appended (in order) before the next starts. Only one round's chunks are alive at a
/// time and the next round reuses their memory; built all at once, the freed chunks stayed
/// behind in the workers' heaps and the profiles were resident twice at the run's peak.
fn fill_golden(
    extracted: &Extracted,
    generic: &[bool],
    ids: &[ids::ProfileId],
    columns: &mut Columns,
    per_round: usize,
) {
    let profiles = ids.len();
    for round in (0..profiles).step_by(per_round) {
        let round_end = profiles.min(round.saturating_add(per_round));
        let chunk_starts: Vec<usize> = (round..round_end).step_by(CHUNK_PROFILES).collect();
        let chunks: Vec<Columns> = chunk_starts
            .into_par_iter()
            .map_init(Gathered::default, |gathered, start| {
                let chunk = start..round_end.min(start + CHUNK_PROFILES);
                let members = |p: usize| &columns.records[range(&columns.record_ends, p)];
                gathered.fill(extracted, generic, chunk.clone().map(members));
                let mut out = Columns::default();
                for (k, p) in chunk.enumerate() {
                    golden(gathered, k, ids[p], &mut out);
                }
                out
            })
            .collect();
        for chunk in chunks {
            columns.append_golden(chunk);
        }
    }
}

/// What the golden profiles of one chunk read, gathered from the record columns in profile
/// order. A chunk's records lie all over the columns (a profile's records are in several files,
/// and profiles are ordered by their hashed id): loading them in one tight loop of independent
/// loads keeps many cache misses in flight at once, where the profile-by-profile computation
/// would wait for each in turn. Reused from chunk to chunk, so it never holds more than one
/// chunk's worth (a few hundred kilobytes).
#[derive(Debug, Default)]
struct Gathered<'a> {
    /// Per profile of the chunk: end of its records in the per-record vectors.
    profile_ends: Vec<u32>,
    source: Vec<u16>,
    time_min: Vec<i64>,
    time_max: Vec<i64>,
    amount: Vec<f64>,
    name: Vec<Option<&'a str>>,
    /// Per profile: end of its distinct non-generic identifiers, sorted by namespace and value.
    identifier_ends: Vec<u32>,
    identifiers: Vec<u32>,
    /// Sort keys of `identifiers` (same positions), looked up once each.
    keys: Vec<(u16, &'a [u8])>,
    /// The chunk's records, profile after profile.
    records: Vec<u32>,
    /// Every record's identifiers as stored, and per record their end.
    raw: Vec<u32>,
    raw_ends: Vec<u32>,
}

impl<'a> Gathered<'a> {
    /// Gathers the records of `chunk` (each profile's record indices, ascending).
    fn fill<'m>(
        &mut self,
        extracted: &'a Extracted,
        generic: &[bool],
        chunk: impl Iterator<Item = &'m [u32]>,
    ) {
        let data = &extracted.records;
        self.clear();
        for members in chunk {
            self.records.extend_from_slice(members);
            self.profile_ends.push(end(self.records.len()));
        }
        // One pass per column: each is a loop of independent loads.
        let all = || self.records.iter().map(|&r| r as usize);
        self.source.extend(all().map(|r| data.source[r]));
        self.time_min.extend(all().map(|r| data.time_min.get(r)));
        self.time_max.extend(all().map(|r| data.time_max.get(r)));
        self.amount.extend(all().map(|r| data.amount[r]));
        self.name.extend(all().map(|r| data.name.get(r)));
        self.gather_identifiers(data, generic);
        self.sort_identifiers(&extracted.interner);
    }

    /// Empties every column (keeping their capacity) for the next chunk.
    fn clear(&mut self) {
        self.profile_ends.clear();
        self.raw.clear();
        self.raw_ends.clear();
        self.source.clear();
        self.time_min.clear();
        self.time_max.clear();
        self.amount.clear();
        self.name.clear();
        self.identifier_ends.clear();
        self.identifiers.clear();
        self.keys.clear();
        self.records.clear();
    }

    /// The identifier lists of every record, back to back (a loop of independent loads), then
    /// per profile: generic ones left out, distinct ids (integers, in cache), ascending.
    fn gather_identifiers(&mut self, data: &Records, generic: &[bool]) {
        for &r in &self.records {
            self.raw.extend_from_slice(data.identifiers_of(r));
            self.raw_ends.push(end(self.raw.len()));
        }
        for p in 0..self.profile_ends.len() {
            let start = self.identifiers.len();
            let records = range(&self.profile_ends, p);
            // A profile has at least one record.
            let raw = (if records.start == 0 {
                0
            } else {
                self.raw_ends[records.start - 1] as usize
            })..self.raw_ends[records.end - 1] as usize;
            self.identifiers.extend(
                self.raw[raw]
                    .iter()
                    .copied()
                    .filter(|&x| !generic[x as usize]),
            );
            let list = &mut self.identifiers[start..];
            list.sort_unstable();
            let kept = dedup_in_place(list);
            self.identifiers.truncate(start + kept);
            self.identifier_ends.push(end(self.identifiers.len()));
        }
    }

    /// Orders each profile's identifiers by namespace and value (their sort keys, looked up
    /// once each into `keys`).
    fn sort_identifiers(&mut self, interner: &'a Interner) {
        self.keys
            .extend(self.identifiers.iter().map(|&x| interner.sort_key(x)));
        let mut pairs: Vec<((u16, &[u8]), u32)> = Vec::new();
        for p in 0..self.identifier_ends.len() {
            let list = range(&self.identifier_ends, p);
            if list.len() < 2 {
                continue;
            }
            pairs.clear();
            pairs.extend(
                self.keys[list.clone()]
                    .iter()
                    .copied()
                    .zip(self.identifiers[list.clone()].iter().copied()),
            );
            // Keys are distinct (one per distinct identifier), so an unstable sort is exact.
            pairs.sort_unstable_by(|a, b| a.0.cmp(&b.0));
            for (slot, &(_, x)) in self.identifiers[list].iter_mut().zip(&pairs) {
                *slot = x;
            }
        }
    }
}

/// Appends the golden profile of the chunk's profile `k` (gathered in `g`) to `out`.
fn golden(g: &Gathered<'_>, k: usize, id: ids::ProfileId, out: &mut Columns) {
    let span = range(&g.profile_ends, k);
    let records = &g.records[span.clone()];
    let first_source = out.sources.len();
    out.sources.extend_from_slice(&g.source[span.clone()]);
    let sources = &mut out.sources[first_source..];
    sources.sort_unstable();
    let kept = dedup_in_place(sources);
    out.sources.truncate(first_source + kept);
    out.source_ends.push(end(out.sources.len()));

    out.identifiers
        .extend_from_slice(&g.identifiers[range(&g.identifier_ends, k)]);
    out.identifier_ends.push(end(out.identifiers.len()));

    let first_seen = g.time_min[span.clone()]
        .iter()
        .copied()
        .filter(|&t| t != NO_TIME)
        .min()
        .unwrap_or(NO_TIME);
    let last_seen = g.time_max[span.clone()]
        .iter()
        .copied()
        .max()
        .unwrap_or(NO_TIME);
    // Summed in record order, as before the gathering: the same bits.
    let amounts = g.amount[span.clone()]
        .iter()
        .copied()
        .filter(|a| !a.is_nan());
    let (purchases, amount_total) = amounts.fold((0u32, 0.0f64), |(n, s), a| (n + 1, s + a));
    out.ids.push(id);
    let named = records
        .iter()
        .zip(&g.name[span.clone()])
        .zip(&g.time_max[span])
        .filter_map(|((&r, name), &time)| name.map(|n| (r, n, time)));
    out.name_record
        .push(survivorship::name_among(named).unwrap_or(NONE));
    out.first_seen.push(first_seen);
    out.last_seen.push(last_seen);
    out.purchases.push(purchases);
    out.amount_total.push(amount_total);
}

/// `Vec::dedup` on a slice: moves the distinct runs to the front, returns how many there are.
fn dedup_in_place<T: PartialEq + Copy>(items: &mut [T]) -> usize {
    let mut kept = 0;
    for i in 0..items.len() {
        if kept == 0 || items[i] != items[kept - 1] {
            items[kept] = items[i];
            kept += 1;
        }
    }
    kept
}

/// A generated data set run through the pipeline, for tests here and in `report`.
#[cfg(test)]
pub(crate) mod testing {
    use clap::Parser;

    use super::*;
    use crate::cli::{Cli, Command};

    /// Extraction, clusters and profiles of a generated data set, as `omni merge` builds them.
    pub(crate) fn pipeline(
        dir: &std::path::Path,
        people: usize,
    ) -> (Extracted, Clusters, Profiles) {
        pipeline_seeded(dir, people, 7)
    }

    /// [`pipeline`] with the generator's seed.
    pub(crate) fn pipeline_seeded(
        dir: &std::path::Path,
        people: usize,
        seed: u64,
    ) -> (Extracted, Clusters, Profiles) {
        let cfg = crate::synth::SynthConfig::new(people, seed);
        let (extracted, settings) = extracted(dir, &cfg);
        let clusters = crate::graph::link(
            &extracted.records,
            &extracted.interner,
            &extracted.namespaces,
            &settings.guards,
        );
        let profiles = build(&extracted, &clusters);
        (extracted, clusters, profiles)
    }

    /// The generated data set of `cfg`, extracted as `omni merge --country RU` reads it, and
    /// the settings (default guards) it was read with.
    pub(crate) fn extracted(
        dir: &std::path::Path,
        cfg: &crate::synth::SynthConfig,
    ) -> (Extracted, crate::config::Settings) {
        let input = dir.join("in");
        crate::synth::generate(cfg, &input, &dir.join("truth.csv")).unwrap();
        let cli = Cli::try_parse_from([
            "omni".as_ref(),
            "merge".as_ref(),
            "--country".as_ref(),
            "RU".as_ref(),
            input.as_os_str(),
        ])
        .unwrap();
        let Command::Merge(args) = cli.command else {
            unreachable!("parsed a merge command")
        };
        let settings = crate::config::Settings::from_cli(&args.read).unwrap();
        let normalizers = crate::normalize::Normalizers::new(&settings).unwrap();
        let (files, _) = crate::extract::resolve_inputs(&args.read.inputs, &settings).unwrap();
        let extracted =
            crate::extract::extract(&files, &normalizers, &crate::progress::Silent).unwrap();
        (extracted, settings)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use testing::pipeline;

    /// Appended round by round (several rounds, one not a whole number of chunks) or all in
    /// one round, the profiles are the same, field by field.
    #[test]
    fn profiles_built_in_rounds_equal_those_built_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let (extracted, clusters, _) = pipeline(dir.path(), 6000);
        let once = build_in_rounds(&extracted, &clusters, usize::MAX);
        let rounds = build_in_rounds(&extracted, &clusters, CHUNK_PROFILES / 2 + 1);
        assert!(once.len() > 3 * (CHUNK_PROFILES / 2 + 1), "{}", once.len());
        assert_eq!(rounds.len(), once.len());
        assert_eq!(rounds.of_record, once.of_record);
        for p in 0..once.len() {
            let (a, b) = (rounds.get(p), once.get(p));
            assert_eq!(
                (a.id, a.records, a.sources, a.identifiers, a.name_record),
                (b.id, b.records, b.sources, b.identifiers, b.name_record)
            );
            assert_eq!(
                (a.first_seen, a.last_seen, a.purchases),
                (b.first_seen, b.last_seen, b.purchases)
            );
            assert_eq!(a.amount_total.to_bits(), b.amount_total.to_bits());
        }
    }

    /// The golden fields as `build` computed them before it gathered each chunk's records:
    /// straight from the record columns, profile by profile.
    #[test]
    fn gathered_profiles_equal_the_direct_computation() {
        let dir = tempfile::tempdir().unwrap();
        // More profiles than one chunk of `CHUNK_PROFILES`, so chunk boundaries are crossed.
        let (extracted, mut clusters, _) = pipeline(dir.path(), 6000);
        // Every seventh identifier marked generic, so that leaving them out is exercised too.
        clusters
            .generic
            .extend((0..extracted.interner.len() as u32).step_by(7).map(|x| {
                crate::graph::guards::Generic {
                    identifier: x,
                    records: 0,
                    names: 0,
                    groups: 0,
                    why: String::new(),
                }
            }));
        let profiles = build(&extracted, &clusters);
        assert!(profiles.len() > CHUNK_PROFILES, "{}", profiles.len());
        let data = &extracted.records;
        let interner = &extracted.interner;
        let generic: std::collections::HashSet<u32> =
            clusters.generic.iter().map(|g| g.identifier).collect();
        let mut several_names = 0;
        for profile in profiles.iter() {
            let records = profile.records;
            let mut sources: Vec<u16> = records.iter().map(|&r| data.source[r as usize]).collect();
            sources.sort_unstable();
            sources.dedup();
            assert_eq!(profile.sources, &sources[..]);
            let mut identifiers: Vec<u32> = records
                .iter()
                .flat_map(|&r| data.identifiers_of(r).iter().copied())
                .filter(|x| !generic.contains(x))
                .collect();
            identifiers.sort_by(|&a, &b| interner.sort_key(a).cmp(&interner.sort_key(b)));
            identifiers.dedup();
            assert_eq!(profile.identifiers, &identifiers[..]);
            let first_seen = records
                .iter()
                .map(|&r| data.time_min.get(r as usize))
                .filter(|&t| t != NO_TIME)
                .min()
                .unwrap_or(NO_TIME);
            let last_seen = records
                .iter()
                .map(|&r| data.time_max.get(r as usize))
                .max()
                .unwrap_or(NO_TIME);
            assert_eq!(
                (profile.first_seen, profile.last_seen),
                (first_seen, last_seen)
            );
            let amounts: Vec<f64> = records
                .iter()
                .map(|&r| data.amount[r as usize])
                .filter(|a| !a.is_nan())
                .collect();
            assert_eq!(profile.purchases, amounts.len() as u64);
            let total = amounts.iter().fold(0.0f64, |s, a| s + a);
            assert_eq!(profile.amount_total.to_bits(), total.to_bits());
            assert_eq!(profile.name(data), survivorship::name(data, records));
            several_names += usize::from(
                records
                    .iter()
                    .filter(|&&r| data.name.get(r as usize).is_some())
                    .count()
                    > 1,
            );
            // The id comes from the smallest record by (source name, key, row).
            let first = records
                .iter()
                .copied()
                .min_by(|&a, &b| {
                    let key = |r: u32| {
                        let r = r as usize;
                        (
                            extracted.sources[data.source[r] as usize].name.clone(),
                            data.key.get(r).map(str::to_owned),
                            data.row.get(r),
                        )
                    };
                    key(a).cmp(&key(b))
                })
                .unwrap();
            let hash =
                xxhash_rust::xxh3::xxh3_64(ids::record_identity(&extracted, first).as_bytes());
            assert_eq!(profile.id, ids::ProfileId(hash));
        }
        assert!(
            several_names > 100,
            "{several_names} profiles choose among names"
        );
    }

    #[test]
    fn dedup_in_place_keeps_the_first_of_each_run() {
        let mut items = [1, 1, 2, 3, 3, 3, 1];
        let kept = dedup_in_place(&mut items);
        assert_eq!(&items[..kept], &[1, 2, 3, 1]);
        let mut empty: [u8; 0] = [];
        assert_eq!(dedup_in_place(&mut empty), 0);
    }
}
