//! `omni merge`: the stages of docs/pipeline.md, in order. Orchestration only: each stage is a
//! call into the module that does its job (`extract`, `graph`, `profile`, `state::Session`,
//! `report`, `output`), and this command passes their data products along and prints.
//!
//! With `--state`, the run holds the state folder's lock from start to end (`state::Session`),
//! carries profile ids forward, writes changes.csv and redirects.csv, and saves the new state.
//! Commit order: every output and the new state are first written under temporary names; then
//! the out dir is switched, then the state file renamed. A run killed at any point leaves the
//! previous outputs and state whole (at worst new outputs with the old state, from which the
//! next run derives the same ids again).

pub(crate) mod finish;
mod stages;
mod warnings;

use std::time::Instant;

use crate::cli::MergeArgs;
use crate::exit::ExitStatus;
use crate::output::OutDir;
use crate::ui::Ui;

/// Runs `omni merge`.
pub fn run(args: &MergeArgs, ui: &Ui) -> anyhow::Result<ExitStatus> {
    finish::refuse_drift_without_state(args)?;
    let run = stages::Run::new(args, ui)?;
    // Taken first: a second run on the same state must stop before doing any work.
    let mut session = run.open_state()?;
    let previous_tables = run.previous_tables(session.as_ref());
    let files = run.inputs()?;
    let mut out = OutDir::create(&args.out)?;
    // extract: per file, records, identifiers and rejects (saved ones too, when incremental).
    let mut read = run.extract(&files, session.as_mut())?;
    warnings::about_records(&read.snapshot.extracted, &read.read_now(), ui);
    let spinner = ui.stage_spinner("linking");
    // components + link: only the touched components when incremental (`graph::carry`).
    let mut linked = run.link(&mut read, &files)?;
    let extracted = &read.snapshot.extracted;
    // profiles, then ids: stable ids from the state, or the default ids.
    let mut profiles = run.profiles(extracted, &mut linked.clusters);
    let ids = run.ids(session.as_ref(), extracted, &mut profiles);
    spinner.set_prefix("writing");
    let started = Instant::now();
    // report and write: the report is computed beside the table writing.
    let reuse = run.reuse_plan(previous_tables, &read, &linked, &profiles);
    let made = stages::Made {
        extracted,
        linked: &linked,
        profiles: &profiles,
        ids: ids.as_ref(),
    };
    let (report, metrics, stamps) =
        run.report_and_tables(&mut out, session.as_ref(), &made, &files, reuse.as_ref())?;
    let strict = finish::strict_counts(args, extracted);
    let reuse_note = reuse.as_ref().map(finish::reuse_note);
    drop(reuse);
    // The new state is written under a temporary name, committed after the outputs.
    let pending = match (&session, ids) {
        (Some(session), Some(ids)) => {
            let outcome = run.outcome(&profiles, linked.clusters, metrics, stamps);
            Some(session.save(ids, read.snapshot, outcome, ui)?)
        }
        _ => {
            std::mem::forget((read.snapshot, linked.clusters));
            None
        }
    };
    let written = out.written().to_vec();
    out.commit()?;
    crate::disk::test_hook("outputs-committed");
    if let (Some(session), Some(pending)) = (session, pending) {
        session.commit(pending)?;
    }
    ui.timing("write", started);
    spinner.finish_and_clear();
    let status = finish::tell(args, ui, &report, &written, reuse_note.as_deref(), strict)?;
    std::mem::forget(profiles); // freed by the exit at once, not allocation by allocation

    Ok(status)
}
