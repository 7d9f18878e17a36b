//! `--state DIR`: what one run leaves for the next, so that profile ids survive re-runs, every
//! change is logged, and a nightly run can read only the new exports.
//!
//! The folder holds two files: `state.omni` (format in `format`, documented in docs/state.md)
//! and `omni.lock`. The state file is written under a temporary name in the same folder and
//! renamed over the old one only after everything else of the run is in place, so a killed run
//! leaves the previous state whole. The lock (`lock`) keeps two runs off one state. Takes the
//! run's extracted records and profiles; gives the previous run (`Previous`), stable ids
//! (`stable`) and, for `--incremental`, the saved records merged with the new ones
//! (`incremental`). Nothing here prints.

pub mod blocks;
pub mod format;
pub mod incremental;
pub mod lock;
pub mod moved;
pub mod session;
pub mod stable;

use std::fs::File;
use std::io::{BufReader, BufWriter};
use std::path::{Path, PathBuf};

use anyhow::Context;
use rayon::prelude::*;

use crate::disk::{sync_dir, test_hook};
use crate::extract::{Extracted, RecordStatus};
use crate::profile::Profiles;

/// The state file's name inside the state folder.
pub const STATE_FILE: &str = "state.omni";

/// Run metadata, the JSON line at the top of the state file.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Meta {
    /// omni's version that wrote it.
    pub omni_version: String,
    /// Run number: 1 for the first run on this state, then counting up.
    pub run: u32,
    /// When the run finished (UTC, `YYYY-MM-DD HH:MM:SS`).
    pub written_at: String,
    /// Hash of the reading, normalizing and linking settings (and omni's version): incremental
    /// runs refuse to reuse records normalized under other settings.
    pub settings_fingerprint: String,
    /// The input files of the state, as given.
    pub inputs: Vec<String>,
    /// The figures the next run compares against.
    pub metrics: RunMetrics,
    /// Where the run's tables went, and their stamps: an incremental run into the same out
    /// dir copies the rows it would write again (`output::reuse`). Absent in older states.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outputs: Option<crate::output::reuse::WrittenTables>,
}

pub use crate::report::changes::RunMetrics;

pub use crate::profile::history::Redirect;
pub use session::Session;

/// The normalized records of every file the state has seen, for incremental runs.
#[derive(Debug, Default)]
pub struct Snapshot {
    /// Sources, records, identifiers and rejects as extracted.
    pub extracted: Extracted,
    /// Each source's name before any `~2` renaming (the config name or the file stem).
    pub base_names: Vec<String>,
    /// Each source's canonical path, to recognise a file given again.
    pub canonical_paths: Vec<String>,
    /// Each source's content fingerprint, to recognise a renamed file (`moved`; empty in
    /// states written before it was kept).
    pub content_fingerprints: Vec<String>,
    /// The identifier table as read from a state file: `extracted.interner` stays empty then,
    /// since `incremental` re-interns every value in the combined order anyway (building the
    /// hash table twice cost a second at a million people).
    pub loaded_identifiers: Option<LoadedIdentifiers>,
    /// The link result of the run that saved these records (`None` in a state written before
    /// link results were saved): an incremental run carries it (`graph::carry`).
    pub links: Option<crate::graph::Clusters>,
}

/// A saved identifier table: namespace and value by id.
#[derive(Debug, Default)]
pub struct LoadedIdentifiers {
    /// Namespace of each id.
    pub namespaces: Vec<u16>,
    /// Value of each id.
    pub values: crate::extract::records::StrColumn,
}

impl Snapshot {
    /// Number of distinct identifiers.
    pub fn identifier_count(&self) -> usize {
        self.loaded_identifiers
            .as_ref()
            .map_or(self.extracted.interner.len(), |t| t.namespaces.len())
    }

    /// Bytes of all identifier values together.
    pub fn identifier_bytes(&self) -> usize {
        self.loaded_identifiers
            .as_ref()
            .map_or(self.extracted.interner.bytes(), |t| {
                t.values.parts().1.len()
            })
    }

    /// The namespace and value of identifier `id`.
    pub fn identifier(&self, id: u32) -> (u16, &str) {
        match &self.loaded_identifiers {
            Some(t) => (
                t.namespaces[id as usize],
                t.values.get(id as usize).unwrap_or(""),
            ),
            None => self.extracted.interner.get(id),
        }
    }
}

/// Everything a state file holds.
#[derive(Debug, Default)]
pub struct Saved {
    /// Header.
    pub meta: Meta,
    /// Profile ids (numbers, see `stable::parse_id`).
    pub ids: Vec<u64>,
    /// Birth run per id.
    pub births: Vec<u32>,
    /// Records per profile.
    pub sizes: Vec<u32>,
    /// Record identity hashes (`stable::record_hash`), ascending.
    pub record_hashes: Vec<u64>,
    /// Profile index of each record hash.
    pub record_profiles: Vec<u32>,
    /// Identifier hashes (`stable::identifier_hash`), ascending.
    pub identifier_hashes: Vec<u64>,
    /// Profile index of each identifier hash.
    pub identifier_profiles: Vec<u32>,
    /// Every id retired or absorbed so far.
    pub redirects: Vec<Redirect>,
    /// The normalized records.
    pub snapshot: Snapshot,
}

impl Default for Meta {
    fn default() -> Self {
        Meta {
            omni_version: env!("CARGO_PKG_VERSION").to_owned(),
            run: 0,
            written_at: String::new(),
            settings_fingerprint: String::new(),
            inputs: Vec::new(),
            metrics: RunMetrics::default(),
            outputs: None,
        }
    }
}

impl Saved {
    /// What carrying ids forward looks up (the snapshot is left out), borrowed: the saved
    /// maps are sorted arrays, searched as they are.
    pub fn previous(&self) -> stable::Previous<'_> {
        stable::Previous {
            ids: &self.ids,
            births: &self.births,
            sizes: &self.sizes,
            record_hashes: &self.record_hashes,
            record_profiles: &self.record_profiles,
            identifier_hashes: &self.identifier_hashes,
            identifier_profiles: &self.identifier_profiles,
            redirects: &self.redirects,
        }
    }
}

/// Reads `DIR/state.omni`; `Ok(None)` when there is none yet (the first run). The saved
/// records (`Saved::snapshot`) are read only when `snapshot` is set (incremental runs).
pub fn load(dir: &Path, snapshot: bool) -> anyhow::Result<Option<Saved>> {
    let path = dir.join(STATE_FILE);
    let file = match File::open(&path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e).with_context(|| format!("{}: cannot open", path.display())),
    };
    let saved = format::read_parts(BufReader::with_capacity(1 << 20, file), snapshot)
        .with_context(|| {
            format!(
                "{}: cannot read the state (move the folder away to start over; ids will then be \
             given afresh)",
                path.display()
            )
        })?;
    Ok(Some(saved))
}

/// The record identity hash of every record, and sorted (parallel; used for votes and for the
/// next state).
pub fn record_hashes(extracted: &Extracted) -> stable::RecordHashes {
    stable::record_hashes(extracted)
}

/// Builds what this run saves: ids, births and sizes in profile order, sorted maps, the
/// cumulative redirects and the snapshot. The two maps are built at once on two threads.
pub fn build(
    meta: Meta,
    profiles: &Profiles,
    births: Vec<u32>,
    redirects: Vec<Redirect>,
    record_hashes: &stable::RecordHashes,
    snapshot: Snapshot,
) -> Saved {
    let extracted = &snapshot.extracted;
    let ids = profiles.iter().map(|p| p.id.0).collect();
    let sizes = profiles.iter().map(|p| p.records.len() as u32).collect();
    let ((record_hashes, record_profiles), (identifier_hashes, identifier_profiles)) = rayon::join(
        || record_map(extracted, profiles, record_hashes),
        || identifier_map(extracted, profiles),
    );
    Saved {
        meta,
        ids,
        births,
        sizes,
        record_hashes,
        record_profiles,
        identifier_hashes,
        identifier_profiles,
        redirects,
        snapshot,
    }
}

/// Record hash → profile of every identified record, ascending by hash (a hash shared by
/// several records, which `stable::record_hashes` all but rules out, keeps the smallest
/// profile). Read off the hashes sorted for the lookups: no sort here.
fn record_map(
    extracted: &Extracted,
    profiles: &Profiles,
    record_hashes: &stable::RecordHashes,
) -> (Vec<u64>, Vec<u32>) {
    let status = &extracted.records.status;
    let mut hashes = Vec::with_capacity(record_hashes.sorted.len());
    let mut of = Vec::with_capacity(record_hashes.sorted.len());
    for run in record_hashes.sorted.chunk_by(|a, b| a.0 == b.0) {
        let profile = run
            .iter()
            .filter(|&&(_, r)| status[r as usize] == RecordStatus::Identified)
            .map(|&(_, r)| profiles.of_record[r as usize])
            .min();
        if let Some(profile) = profile {
            hashes.push(run[0].0);
            of.push(profile);
        }
    }
    (hashes, of)
}

/// Identifier hash → profile, ascending by hash, for identifiers in exactly one profile (one
/// kept apart by the guards sits in several: it cannot vote). Each interned identifier is
/// hashed once, in table order, with its one owner or a mark that it has several.
fn identifier_map(extracted: &Extracted, profiles: &Profiles) -> (Vec<u64>, Vec<u32>) {
    use std::sync::atomic::{AtomicU32, Ordering::Relaxed};
    const SEVERAL: u32 = crate::graph::NONE - 1;
    let owner: Vec<AtomicU32> = (0..extracted.interner.len())
        .map(|_| AtomicU32::new(crate::graph::NONE))
        .collect();
    (0..profiles.len()).into_par_iter().for_each(|p| {
        // A profile lists each identifier once, so a second claim is always another profile.
        for &i in profiles.get(p).identifiers {
            let slot = &owner[i as usize];
            if slot
                .compare_exchange(crate::graph::NONE, p as u32, Relaxed, Relaxed)
                .is_err()
            {
                slot.store(SEVERAL, Relaxed);
            }
        }
    });
    let mut pairs: Vec<(u64, u32)> = owner
        .into_par_iter()
        .enumerate()
        .map(|(i, o)| (i, o.into_inner()))
        .filter(|&(_, o)| o != crate::graph::NONE)
        .map(|(i, o)| (stable::identifier_hash(extracted, i as u32), o))
        .collect();
    pairs.par_sort_unstable();
    // A hash held by two identifiers (a 64-bit collision) is as ambiguous as a shared one.
    let unique = pairs
        .chunk_by(|a, b| a.0 == b.0)
        .filter(|run| run.len() == 1 && run[0].1 != SEVERAL)
        .map(|run| run[0]);
    unique.unzip()
}

/// A state file written under a temporary name, waiting to be renamed into place.
#[derive(Debug)]
pub struct PendingState {
    temp: PathBuf,
    path: PathBuf,
    committed: bool,
}

/// Writes `saved` to a temporary file in `dir` and syncs it; `PendingState::commit` renames it.
pub fn write(dir: &Path, saved: &Saved) -> anyhow::Result<PendingState> {
    let path = dir.join(STATE_FILE);
    let temp = dir.join(format!(".{STATE_FILE}.tmp-{}", std::process::id()));
    let mut pending = PendingState {
        temp,
        path,
        committed: false,
    };
    let file = File::create(&pending.temp)
        .with_context(|| format!("{}: cannot write the state", pending.temp.display()))?;
    let mut w = BufWriter::with_capacity(1 << 20, file);
    let result = format::write(&mut w, saved).and_then(|()| {
        test_hook("state-written");
        let file = w.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        Ok(())
    });
    if let Err(e) = result {
        pending.committed = true;
        let _ = std::fs::remove_file(&pending.temp);
        // The file being written, not only the folder: a full disk must say where (issue 16).
        return Err(e).with_context(|| {
            format!(
                "{}: cannot write the state (as {})",
                pending.path.display(),
                pending.temp.display()
            )
        });
    }
    Ok(pending)
}

impl PendingState {
    /// Renames the new state over the old one (atomic on one filesystem) and syncs the folder.
    pub fn commit(mut self) -> anyhow::Result<()> {
        std::fs::rename(&self.temp, &self.path)
            .with_context(|| format!("{}: cannot replace the state", self.path.display()))?;
        self.committed = true;
        if let Some(dir) = self.path.parent() {
            sync_dir(dir);
        }
        Ok(())
    }
}

impl Drop for PendingState {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_file(&self.temp);
        }
    }
}

/// Removes temporary state files left by killed runs (called under the lock, so none is live).
pub fn remove_stale_temporaries(dir: &Path) {
    let prefix = format!(".{STATE_FILE}.tmp-");
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            if entry.file_name().to_string_lossy().starts_with(&prefix) {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }
}

/// The settings fingerprint: xxh3 of the settings' debug form (every field is an ordered
/// type, so the text is stable) plus omni's version, since normalization may change between
/// versions. The config file's path is left out: moving the file changes nothing.
pub fn fingerprint(settings: &crate::config::Settings) -> String {
    let mut settings = settings.clone();
    settings.config_path = None;
    let text = format!("{}\n{settings:?}", env!("CARGO_PKG_VERSION"));
    format!("{:016x}", xxhash_rust::xxh3::xxh3_64(text.as_bytes()))
}

/// The current time as `YYYY-MM-DD HH:MM:SS` UTC.
pub fn now_utc() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    let text = crate::normalize::datetime::format_timestamp(secs);
    if text.len() == 10 {
        format!("{text} 00:00:00")
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::profile::ids::ProfileId;

    /// Extraction and profiles of a generated data set, as `omni merge` builds them.
    fn pipeline(dir: &Path, people: usize) -> (Extracted, Profiles) {
        let (extracted, _, profiles) = crate::profile::testing::pipeline_seeded(dir, people, 11);
        (extracted, profiles)
    }

    type Pairs = Vec<(u64, u32)>;

    /// The maps as `build` made them before it reused the sorted hashes and hashed each
    /// identifier once: every (hash, profile) pair collected, sorted and deduplicated.
    fn reference_maps(
        extracted: &Extracted,
        profiles: &Profiles,
        hashes: &[u64],
    ) -> (Pairs, Pairs) {
        let mut records: Vec<(u64, u32)> = (0..extracted.records.len())
            .filter(|&r| extracted.records.status[r] == RecordStatus::Identified)
            .map(|r| (hashes[r], profiles.of_record[r]))
            .collect();
        records.sort_unstable();
        records.dedup_by_key(|(hash, _)| *hash);
        let mut identifiers: Vec<(u64, u32)> = (0..profiles.len())
            .flat_map(|p| {
                profiles
                    .get(p)
                    .identifiers
                    .iter()
                    .map(move |&i| (stable::identifier_hash(extracted, i), p as u32))
            })
            .collect();
        identifiers.sort_unstable();
        let unique = identifiers
            .chunk_by(|a, b| a.0 == b.0)
            .filter(|run| run.len() == 1)
            .map(|run| run[0])
            .collect();
        (records, unique)
    }

    #[test]
    fn build_gives_the_same_maps_as_sorting_every_pair() {
        let dir = tempfile::tempdir().unwrap();
        let (extracted, profiles) = pipeline(dir.path(), 3000);
        let hashes = record_hashes(&extracted);
        let (records, identifiers) = reference_maps(&extracted, &profiles, &hashes.by_record);
        // The guards keep some identifiers in several profiles: the case the maps leave out.
        let listed: usize = profiles.iter().map(|p| p.identifiers.len()).sum();
        assert!(
            identifiers.len() < listed,
            "{} of {listed}",
            identifiers.len()
        );
        let births = vec![1; profiles.len()];
        let snapshot = Snapshot {
            extracted,
            ..Snapshot::default()
        };
        let saved = build(
            Meta::default(),
            &profiles,
            births,
            Vec::new(),
            &hashes,
            snapshot,
        );
        let pairs = |h: &[u64], p: &[u32]| -> Vec<(u64, u32)> {
            h.iter().copied().zip(p.iter().copied()).collect()
        };
        assert_eq!(pairs(&saved.record_hashes, &saved.record_profiles), records);
        assert_eq!(
            pairs(&saved.identifier_hashes, &saved.identifier_profiles),
            identifiers
        );
    }

    #[test]
    fn sorted_record_hashes_join_like_a_hash_map() {
        let dir = tempfile::tempdir().unwrap();
        let (extracted, _) = pipeline(dir.path(), 500);
        let hashes = record_hashes(&extracted);
        let mut sorted = hashes.by_record.clone();
        sorted.sort_unstable();
        assert!(
            hashes.sorted.iter().map(|x| x.0).eq(sorted.iter().copied()),
            "sorted pairs hold every hash in order"
        );
        assert!(
            hashes
                .sorted
                .iter()
                .all(|&(h, r)| hashes.by_record[r as usize] == h)
        );
        // A saved map holding every third record's hash (plus hashes of no record).
        let mut saved: Vec<(u64, u32)> = hashes
            .by_record
            .iter()
            .enumerate()
            .filter(|(r, _)| r % 3 == 0)
            .map(|(r, &h)| (h, r as u32 * 7))
            .chain([(0, 1), (u64::MAX, 2), (12345, 3)])
            .collect();
        saved.sort_unstable();
        let (keys, values): (Vec<u64>, Vec<u32>) = saved.iter().copied().unzip();
        let map: HashMap<u64, u32> = saved.iter().copied().collect();
        let joined = hashes.join(&keys, &values);
        for (r, &h) in hashes.by_record.iter().enumerate() {
            assert_eq!(
                joined[r],
                map.get(&h).copied().unwrap_or(crate::graph::NONE)
            );
        }
        assert!(joined.contains(&crate::graph::NONE));
        assert!(
            hashes
                .join(&[], &[])
                .iter()
                .all(|&v| v == crate::graph::NONE)
        );
    }

    #[test]
    fn relabel_moves_profiles_whole_and_keeps_records_pointing_at_them() {
        let dir = tempfile::tempdir().unwrap();
        let (_, mut profiles) = pipeline(dir.path(), 500);
        type Kept = (Vec<u32>, Vec<u16>, Vec<u32>, Option<u32>, i64, u64);
        let before: Vec<Kept> = profiles
            .iter()
            .map(|p| {
                (
                    p.records.to_vec(),
                    p.sources.to_vec(),
                    p.identifiers.to_vec(),
                    p.name_record,
                    p.first_seen,
                    p.purchases,
                )
            })
            .collect();
        let n = profiles.len();
        // Most profiles keep their id; a few get ids that move them (first, last, middle).
        let mut ids: Vec<ProfileId> = (0..n).map(|p| profiles.id(p)).collect();
        ids[0] = ProfileId(u64::MAX);
        ids[n - 1] = ProfileId(0);
        ids[n / 2] = ProfileId(ids[n / 3].0 + 1);
        let order = profiles.relabel(&ids);
        let mut expected: Vec<u32> = (0..n as u32).collect();
        expected.sort_by_key(|&p| ids[p as usize]);
        assert_eq!(order, expected);
        for (pos, &p) in order.iter().enumerate() {
            let now = profiles.get(pos);
            let was = &before[p as usize];
            assert_eq!(now.id, ids[p as usize]);
            assert_eq!(now.records, &was.0[..]);
            assert_eq!(now.sources, &was.1[..]);
            assert_eq!(now.identifiers, &was.2[..]);
            assert_eq!(now.name_record, was.3);
            assert_eq!((now.first_seen, now.purchases), (was.4, was.5));
            for &r in now.records {
                assert_eq!(profiles.of_record[r as usize], pos as u32);
            }
        }
        // Ids already in order: nothing moves, the ids change in place.
        let shifted: Vec<ProfileId> = (0..n).map(|p| ProfileId(profiles.id(p).0 | 1)).collect();
        let records = profiles.get(7).records.to_vec();
        assert_eq!(
            profiles.relabel(&shifted),
            (0..n as u32).collect::<Vec<_>>()
        );
        assert_eq!(profiles.get(7).id, shifted[7]);
        assert_eq!(profiles.get(7).records, &records[..]);
    }
}
