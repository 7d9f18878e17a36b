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
pub mod stable;

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufReader, BufWriter};
use std::path::{Path, PathBuf};

use anyhow::Context;
use rayon::prelude::*;

use crate::extract::{Extracted, RecordStatus};
use crate::profile::Profiles;
use crate::report::Report;

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

/// Figures of one run that drift alarms and `since_previous` compare.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RunMetrics {
    /// Rows read.
    pub rows_read: u64,
    /// Profiles.
    pub profiles: u64,
    /// Match rate (share of profiles in 2+ sources).
    pub match_rate: f64,
    /// Records in the largest profile.
    pub largest_profile: u64,
    /// Share of rows that joined no profile.
    pub reject_share: f64,
}

impl RunMetrics {
    /// The figures of a finished run.
    pub fn of(report: &Report) -> RunMetrics {
        let t = &report.totals;
        RunMetrics {
            rows_read: t.rows_read,
            profiles: t.profiles,
            match_rate: report.match_rate.overall,
            largest_profile: report
                .cluster_sizes
                .largest
                .first()
                .map_or(0, |p| p.records),
            reject_share: if t.rows_read == 0 {
                0.0
            } else {
                (t.rows_unidentified + t.rows_unreadable) as f64 / t.rows_read as f64
            },
        }
    }
}

/// An id that no longer names a profile, and the id that now holds its records.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Redirect {
    /// The old id.
    pub old: u64,
    /// Where it went; `None` when its records are all gone (retired).
    pub current: Option<u64>,
    /// The run in which it stopped being a profile id.
    pub run: u32,
}

/// The normalized records of every file the state has seen, for incremental runs.
#[derive(Debug, Default)]
pub struct Snapshot {
    /// Sources, records, identifiers and rejects as extracted.
    pub extracted: Extracted,
    /// Each source's name before any `~2` renaming (the config name or the file stem).
    pub base_names: Vec<String>,
    /// Each source's canonical path, to recognise a file given again.
    pub canonical_paths: Vec<String>,
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
    /// The lookup tables for carrying ids forward (the snapshot is left out); the two maps
    /// are built at once on two threads.
    pub fn previous(&self) -> stable::Previous {
        let index = |hashes: &[u64], profiles: &[u32]| {
            let mut map = HashMap::with_capacity_and_hasher(hashes.len(), Default::default());
            map.extend(hashes.iter().copied().zip(profiles.iter().copied()));
            map
        };
        let (records, identifiers) = rayon::join(
            || index(&self.record_hashes, &self.record_profiles),
            || index(&self.identifier_hashes, &self.identifier_profiles),
        );
        stable::Previous {
            ids: self.ids.clone(),
            births: self.births.clone(),
            sizes: self.sizes.clone(),
            records,
            identifiers,
            redirects: self.redirects.clone(),
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

/// The record identity hash of every record (parallel; used for votes and for the next state).
pub fn record_hashes(extracted: &Extracted) -> Vec<u64> {
    stable::record_hashes(extracted)
}

/// Builds what this run saves: ids, births and sizes in profile order, sorted maps, the
/// cumulative redirects and the snapshot.
pub fn build(
    meta: Meta,
    profiles: &Profiles,
    births: Vec<u32>,
    redirects: Vec<Redirect>,
    record_hashes: &[u64],
    snapshot: Snapshot,
) -> Saved {
    let extracted = &snapshot.extracted;
    let ids = profiles.iter().map(|p| p.id.0).collect();
    let sizes = profiles.iter().map(|p| p.records.len() as u32).collect();
    let mut records: Vec<(u64, u32)> = (0..extracted.records.len())
        .filter(|&r| extracted.records.status[r] == RecordStatus::Identified)
        .map(|r| (record_hashes[r], profiles.of_record[r]))
        .collect();
    records.par_sort_unstable();
    records.dedup_by_key(|(hash, _)| *hash);
    let mut identifiers: Vec<(u64, u32)> = (0..profiles.len())
        .into_par_iter()
        .map(|p| (p, profiles.get(p)))
        .flat_map_iter(|(p, profile)| {
            profile
                .identifiers
                .iter()
                .map(move |&i| (stable::identifier_hash(extracted, i), p as u32))
        })
        .collect();
    identifiers.par_sort_unstable();
    // An identifier kept apart by the guards sits in several profiles: it cannot vote.
    let mut unique: Vec<(u64, u32)> = Vec::with_capacity(identifiers.len());
    let mut i = 0;
    while i < identifiers.len() {
        let j = identifiers[i..]
            .iter()
            .position(|x| x.0 != identifiers[i].0)
            .map_or(identifiers.len(), |k| i + k);
        if j - i == 1 {
            unique.push(identifiers[i]);
        }
        i = j;
    }
    Saved {
        meta,
        ids,
        births,
        sizes,
        record_hashes: records.iter().map(|x| x.0).collect(),
        record_profiles: records.iter().map(|x| x.1).collect(),
        identifier_hashes: unique.iter().map(|x| x.0).collect(),
        identifier_profiles: unique.iter().map(|x| x.1).collect(),
        redirects,
        snapshot,
    }
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
        return Err(e).with_context(|| format!("{}: cannot write the state", dir.display()));
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

/// Makes a rename durable: fsync the folder that holds it (a no-op where folders cannot be
/// opened, as on Windows).
pub fn sync_dir(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
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

/// Test-only crash hook: when `OMNI_TEST_ABORT_AT` names `point`, the process aborts on the
/// spot (no destructors, like `kill -9`), so tests can check what a run killed there leaves.
#[doc(hidden)]
pub fn test_hook(point: &str) {
    if std::env::var_os("OMNI_TEST_ABORT_AT").is_some_and(|v| v == point) {
        std::process::abort();
    }
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
