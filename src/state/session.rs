//! [`Session`]: the one front door for `--state DIR`. A run opens it first and commits it last;
//! in between it asks it for what the previous run left and hands it what this run made:
//!
//! 1. [`Session::open`]: takes the folder's lock (a second run stops before doing any work),
//!    removes temporaries of killed runs, reads `state.omni` (the saved records only for
//!    `--incremental`) and refuses a state file that was lost (issue 16).
//! 2. [`Session::history`] (`--incremental`): the saved records, refused when they were
//!    normalized under other settings (the fingerprint); [`Session::previous_tables`]: the
//!    stamps of the tables the previous run wrote, which `output::reuse` may copy rows from.
//! 3. [`Session::carry`]: stable profile ids and the change log (`stable`);
//!    [`Session::since_previous`]: the report's section comparing with the previous run.
//! 4. [`Session::save`]: builds the new state and writes it under a temporary name;
//!    [`Session::commit`], after the outputs are committed, renames it into place and notes in
//!    the lock file that a state was saved.
//!
//! Nothing here prints: timings go through `progress::Progress`.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::bail;

use super::lock::{self, StateLock};
use super::stable::{self, Carried, RecordHashes};
use super::{Meta, PendingState, RunMetrics, STATE_FILE, Saved, Snapshot};
use crate::extract::Extracted;
use crate::graph::Clusters;
use crate::output::reuse::{TableStamp, WrittenTables};
use crate::profile::Profiles;
use crate::progress::Progress;
use crate::report::changes::SincePrevious;

/// An open state folder, locked for this run.
#[derive(Debug)]
pub struct Session {
    dir: PathBuf,
    lock: StateLock,
    saved: Option<Saved>,
    fingerprint: String,
}

/// Ids carried from the previous run: the change log, and what saving the state needs.
#[derive(Debug)]
pub struct CarriedIds {
    /// Change events, births and redirects (`stable::carry`).
    pub carried: Carried,
    /// This run's number on the state (1 = first).
    pub run: u32,
    hashes: RecordHashes,
}

/// What this run made, as the new state saves it.
#[derive(Debug)]
pub struct Outcome<'a> {
    /// The profiles, with their carried ids.
    pub profiles: &'a Profiles,
    /// The link result (the next incremental run carries it).
    pub clusters: Clusters,
    /// The figures drift alarms of the next run compare with.
    pub metrics: RunMetrics,
    /// The out dir the tables went to, and their stamps.
    pub out_dir: &'a Path,
    /// Stamps of the reusable tables as written.
    pub tables: Vec<TableStamp>,
}

/// A new state written under a temporary name, waiting for [`Session::commit`].
#[derive(Debug)]
pub struct PendingSave {
    pending: PendingState,
    run: u32,
}

impl Session {
    /// Locks `dir`, removes stale temporaries, reads the state (with its saved records when
    /// `incremental`) and refuses a lost state file.
    pub fn open(
        dir: &Path,
        incremental: bool,
        settings: &crate::config::Settings,
        progress: &dyn Progress,
    ) -> anyhow::Result<Session> {
        // Taken first: a second run on the same state must stop before doing any work.
        let lock = lock::acquire(dir)?;
        super::remove_stale_temporaries(dir);
        let started = Instant::now();
        // A full run reads every file again: the saved records are left unread.
        let saved = super::load(dir, incremental)?;
        progress.timing("state-load", started);
        if saved.is_none() {
            refuse_lost_state(dir, &lock)?;
        }
        Ok(Session {
            dir: dir.to_path_buf(),
            lock,
            saved,
            fingerprint: super::fingerprint(settings),
        })
    }

    /// Stamps of the tables the previous run wrote (`None` on a first run or an older state).
    pub fn previous_tables(&self) -> Option<&WrittenTables> {
        self.saved.as_ref().and_then(|s| s.meta.outputs.as_ref())
    }

    /// The saved records for an incremental run (empty on a first run); an error when they
    /// were normalized with other settings or another omni version.
    pub fn history(&mut self) -> anyhow::Result<Snapshot> {
        match self.saved.as_mut() {
            Some(s) if s.meta.settings_fingerprint != self.fingerprint => bail!(
                "{}: the saved records were normalized with other settings or another omni \
                 version (run {}, {}); run once without --incremental to re-read every file",
                self.dir.display(),
                s.meta.run,
                s.meta.written_at
            ),
            Some(s) => Ok(std::mem::take(&mut s.snapshot)),
            None => Ok(Snapshot::default()),
        }
    }

    /// Gives every profile its stable id (the previous run's, or a new one) and the change log.
    pub fn carry(&self, extracted: &Extracted, profiles: &mut Profiles) -> CarriedIds {
        let hashes = super::record_hashes(extracted);
        let previous = self.saved.as_ref().map(Saved::previous).unwrap_or_default();
        let run = self.saved.as_ref().map_or(1, |s| s.meta.run + 1);
        let carried = stable::carry(extracted, profiles, &previous, &hashes, run);
        CarriedIds {
            carried,
            run,
            hashes,
        }
    }

    /// The report's comparison with the previous run (`None` on a first run).
    pub fn since_previous(
        &self,
        ids: &CarriedIds,
        incremental: bool,
        metrics: &RunMetrics,
    ) -> Option<SincePrevious> {
        let previous = self.saved.as_ref()?;
        Some(SincePrevious::new(
            ids.run,
            &previous.meta.written_at,
            incremental,
            &previous.meta.metrics,
            metrics,
            &ids.carried,
        ))
    }

    /// Builds the new state from this run's records and outcome and writes it under a
    /// temporary name; nothing is replaced until [`Session::commit`].
    pub fn save(
        &self,
        ids: CarriedIds,
        mut snapshot: Snapshot,
        outcome: Outcome,
        progress: &dyn Progress,
    ) -> anyhow::Result<PendingSave> {
        let extracted = &snapshot.extracted;
        let meta = Meta {
            run: ids.run,
            written_at: super::now_utc(),
            settings_fingerprint: self.fingerprint.clone(),
            inputs: extracted
                .sources
                .iter()
                .map(|s| s.path.display().to_string())
                .collect(),
            metrics: outcome.metrics,
            outputs: Some(WrittenTables {
                dir: crate::disk::canonical(outcome.out_dir),
                tables: outcome.tables,
            }),
            ..Meta::default()
        };
        // The next incremental run carries this link result.
        snapshot.links = Some(outcome.clusters);
        let building = Instant::now();
        let Carried {
            births, redirects, ..
        } = ids.carried;
        let new_state = super::build(
            meta,
            outcome.profiles,
            births,
            redirects,
            &ids.hashes,
            snapshot,
        );
        progress.timing("state-build", building);
        let started = Instant::now();
        let pending = super::write(&self.dir, &new_state)?;
        progress.timing("state-save", started);
        // Freeing millions of small allocations one by one takes seconds and helps nobody.
        std::mem::forget(new_state);
        Ok(PendingSave {
            pending,
            run: ids.run,
        })
    }

    /// Renames the new state into place (call after the outputs are committed) and records in
    /// the lock file that this folder holds a state.
    pub fn commit(mut self, save: PendingSave) -> anyhow::Result<()> {
        save.pending.commit()?;
        self.lock.record_saved(save.run)?;
        // The process is about to end: the previous state is not freed record by record.
        std::mem::forget(self.saved.take());
        Ok(())
    }
}

/// A state folder whose lock file says a state was saved there, but without `state.omni`: the
/// file was deleted or lost, and going on would start a new history in silence (every profile
/// `new` in changes.csv, every id given afresh). An error (issue 16): restoring the file, or
/// starting over on purpose, is the user's call.
fn refuse_lost_state(dir: &Path, lock: &StateLock) -> anyhow::Result<()> {
    if let Some(saved) = lock.saved_before() {
        bail!(
            "{}: missing, but this state folder held one ({saved}, says {}): without it every \
             profile would be `new` in changes.csv and lose its id. Restore state.omni (from \
             a backup), or to start a new history on purpose delete {} (or use a new --state \
             folder)",
            dir.join(STATE_FILE).display(),
            lock::LOCK_FILE,
            dir.join(lock::LOCK_FILE).display(),
        );
    }
    Ok(())
}
