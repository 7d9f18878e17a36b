//! `omni merge`: read, normalize, link, build profiles, report, write. Orchestration only.
//!
//! With `--state`, the run holds the state folder's lock from start to end, carries profile ids
//! forward (`state::stable`), writes changes.csv and redirects.csv, and saves the new state.
//! Commit order: every output and the new state are first written under temporary names; then
//! the out dir is switched, then the state file renamed. A run killed at any point leaves the
//! previous outputs and state whole (at worst new outputs with the old state, from which the
//! next run derives the same ids again).

use std::time::Instant;

use anyhow::bail;

use crate::cli::{MatchMode, MergeArgs};
use crate::config::Settings;
use crate::exit::ExitStatus;
use crate::memory;
use crate::normalize::Normalizers;
use crate::output::{OutDir, reuse, tables, write_json, write_text};
use crate::report::changes::SincePrevious;
use crate::state::{self, Meta, RunMetrics, Saved, incremental};
use crate::ui::{Ui, summary};
use crate::{extract, graph, profile, report};

/// Runs `omni merge`.
pub fn run(args: &MergeArgs, ui: &Ui) -> anyhow::Result<ExitStatus> {
    refuse_drift_without_state(args)?;
    let mut settings = Settings::from_cli(&args.read)?;
    settings.csv_escape = args.csv_escape.unwrap_or(settings.csv_escape);
    let normalizers = Normalizers::new(&settings)?;
    // Taken first: a second run on the same state must stop before doing any work.
    let mut lock = args
        .state
        .as_deref()
        .map(state::lock::acquire)
        .transpose()?;
    let mut saved = match args.state.as_deref() {
        Some(dir) => {
            state::remove_stale_temporaries(dir);
            let started = Instant::now();
            // A full run reads every file again: the saved records are left unread.
            let saved = state::load(dir, args.incremental)?;
            ui.timing("state-load", started);
            if saved.is_none() {
                refuse_lost_state(dir, lock.as_ref())?;
            }
            saved
        }
        None => None,
    };
    // An incremental run reads the previous tables it may copy rows from while it works.
    let previous_tables = if args.incremental {
        let stamps = saved.as_ref().and_then(|s| s.meta.outputs.as_ref());
        reuse::read_previous(stamps, &args.out)
    } else {
        None
    };
    let fingerprint = state::fingerprint(&settings);
    let probabilistic = args
        .matching
        .map_or(settings.probabilistic, |m| m == MatchMode::Probabilistic);
    if probabilistic && args.incremental {
        bail!(
            "--match probabilistic re-reads every input for names, dates and addresses, so it \
             cannot run with --incremental; run without --incremental (--state still keeps the \
             profile ids stable)"
        );
    }
    let (files, warnings) = extract::resolve_inputs(&args.read.inputs, &settings)?;
    // Kept to look for a shared id when a file links nobody (full runs only: an incremental
    // run is given the new files alone).
    let hint_files = if args.incremental {
        Vec::new()
    } else {
        files.clone()
    };
    // An incremental run is given only the new files: sections for saved ones are fine.
    if !args.incremental {
        settings.check_sources_exist(&files.iter().map(|f| f.stem.as_str()).collect::<Vec<_>>())?;
    }
    let pass_files = probabilistic.then(|| files.clone());
    for warning in &warnings {
        ui.warn(warning);
    }
    let mut out = OutDir::create(&args.out)?;

    let started = Instant::now();
    let mut saved_sources = None;
    let (mut snapshot, lineage) = if args.incremental {
        let history = match saved.as_mut() {
            Some(s) if s.meta.settings_fingerprint != fingerprint => bail!(
                "{}: the saved records were normalized with other settings or another omni \
                 version (run {}, {}); run once without --incremental to re-read every file",
                args.state
                    .as_deref()
                    .unwrap_or(std::path::Path::new("."))
                    .display(),
                s.meta.run,
                s.meta.written_at
            ),
            Some(s) => std::mem::take(&mut s.snapshot),
            None => state::Snapshot::default(),
        };
        let (combined, warnings, lineage, sources) = incremental::run(
            history,
            files,
            &settings,
            &normalizers,
            &args.forget_source,
            ui,
        )?;
        for warning in &warnings {
            ui.warn(warning);
        }
        saved_sources = Some(sources);
        (combined, lineage)
    } else {
        let extracted = extract::extract(&files, &normalizers, ui)?;
        (incremental::snapshot_of(extracted, &files, &settings), None)
    };
    let extracted = &snapshot.extracted;
    // Each stage hands back what it freed (`memory::release_freed`), so the next one starts
    // from what is live: the run's peak is then the live data, not the sum of the leftovers.
    memory::release_freed();
    ui.timing("extract", started);
    // Warnings are about the files read in this run: an incremental night does not repeat,
    // every night, what was said when a saved file was read.
    let read_now: Vec<bool> = match &saved_sources {
        Some(sources) => sources.saved_source.iter().map(|saved| !saved).collect(),
        None => vec![true; extracted.sources.len()],
    };
    warn_about_missing_regions(extracted, &read_now, ui);
    warn_about_local_numbers(extracted, &read_now, ui);
    warn_about_headerless_files(extracted, &read_now, ui);
    warn_about_skipped_columns(extracted, &read_now, ui);
    warn_about_bad_rows(extracted, &read_now, ui);
    let spinner = ui.stage_spinner("linking");
    let started = Instant::now();
    // An incremental run links only what the new records touch (`graph::carry`).
    let mut guards = settings.guards.clone();
    guards.given_name_sources = extract::given_name_sources(&extracted.sources);
    let (mut clusters, how, carried_records) = graph::carry::link_with(
        &extracted.records,
        &extracted.interner,
        &extracted.namespaces,
        &guards,
        lineage,
    );
    memory::release_freed();
    ui.timing("link", started);
    if args.incremental {
        ui.timing_note("link", &how);
    }
    let second_pass = match &pass_files {
        Some(files) => {
            let started = Instant::now();
            let (relinked, outcome) =
                second_pass(&mut snapshot.extracted, files, &settings, &clusters)?;
            clusters = relinked;
            ui.timing("probabilistic", started);
            Some(outcome)
        }
        None => None,
    };
    let extracted = &snapshot.extracted;
    let started = Instant::now();
    let mut profiles = profile::build(extracted, &clusters);
    memory::release_freed();
    ui.timing("profiles", started);
    let started = Instant::now();
    let carried = args.state.as_ref().map(|_| {
        let hashes = state::record_hashes(extracted);
        let previous = saved.as_ref().map(Saved::previous).unwrap_or_default();
        let run = saved.as_ref().map_or(1, |s| s.meta.run + 1);
        let carried = state::stable::carry(extracted, &mut profiles, &previous, &hashes, run);
        (carried, hashes, run)
    });
    if carried.is_some() {
        ui.timing("ids", started);
    }
    spinner.set_prefix("writing");
    let started = Instant::now();
    // An incremental run copies the rows of untouched people from the previous tables.
    let reuse = saved_sources
        .as_ref()
        .zip(previous_tables)
        .zip(carried_records.as_deref())
        .and_then(|((sources, pending), carried)| {
            let plan = reuse::plan(pending, sources, carried, &extracted.records, &profiles);
            ui.timing("reuse-plan", started);
            plan
        });
    // Said after the summary, under --verbose.
    let reuse_note = reuse.as_ref().map(|reuse| {
        let [
            (profiles_copied, profiles_all),
            (records_copied, records_all),
        ] = reuse.counts();
        format!(
            "copied from the previous run's tables (the new records do not touch them): the \
             rows of {profiles_copied} of {} and {records_copied} of {}\n",
            summary::count(profiles_all, "profile"),
            summary::count(records_all, "record"),
        )
    });
    // The report is computed beside the table writing: it reads what the tables read, and
    // fills the time the writers wait on the disk and on each other.
    let compute_report = || {
        let started = Instant::now();
        // The campaign metrics (issue 18) walk the profiles' records on their own: beside the
        // other sections, on whichever thread is free.
        let (mut report, campaign) = rayon::join(
            || report::compute(extracted, &clusters, &profiles, &settings.guards),
            || report::campaign::compute(extracted, &profiles, &settings.campaign()),
        );
        report.campaign = campaign;
        report.csv_escape = settings.csv_escape;
        report.probabilistic = second_pass.as_ref().map(|o| o.summary.clone());
        let metrics = RunMetrics::of(&report);
        if let (Some(previous), Some((carried, _, run))) = (saved.as_ref(), carried.as_ref()) {
            report.since_previous = Some(SincePrevious::new(
                *run,
                &previous.meta.written_at,
                args.incremental,
                &previous.meta.metrics,
                &metrics,
                carried,
            ));
        }
        ui.timing("report", started);
        (report, metrics)
    };
    let ((mut report, metrics), stamps) = rayon::join(compute_report, || {
        tables::write_tables(
            &mut out,
            settings.csv_escape,
            extracted,
            &clusters,
            &profiles,
            reuse.as_ref(),
        )
    });
    let stamps = stamps?;
    crate::output::contacts::write(&mut out, settings.csv_escape, extracted, &profiles)?;
    drop(reuse);
    if let Some((carried, _, _)) = &carried {
        crate::output::changes::write_changes(&mut out, &carried.changes)?;
        crate::output::changes::write_redirects(&mut out, &carried.redirects)?;
    }
    if let Some(outcome) = &second_pass {
        crate::output::probabilistic::write_links(&mut out, extracted, &outcome.links)?;
    }
    // Issue 15: a file that links nobody is told about a shared id column, if one is found.
    // With the probabilistic pass a file of names links through them (issue 20): not reported.
    for (i, hint) in extract::no_identifier_hints(&hint_files, &extracted.sources)? {
        let linked_by_names = probabilistic && extracted.sources[i].has_person_name();
        report.sources[i].no_identifier = (!linked_by_names).then_some(hint);
    }
    write_json(&mut out, "report.json", &report)?;
    write_text(&mut out, "report.html", &report::html::render(&report))?;
    // Counted before the state takes the records (`--strict`, reported after the summary).
    let strict = (args.strict && !extracted.rejects.is_empty()).then(|| {
        let rows = extracted
            .rejects
            .iter()
            .filter(|r| r.reason.is_row_level())
            .count();
        (extracted.rejects.len(), rows)
    });
    let pending_state = match (args.state.as_deref(), carried) {
        (Some(dir), Some((carried, hashes, run))) => {
            let meta = Meta {
                run,
                written_at: state::now_utc(),
                settings_fingerprint: fingerprint,
                inputs: extracted
                    .sources
                    .iter()
                    .map(|s| s.path.display().to_string())
                    .collect(),
                metrics,
                outputs: Some(reuse::WrittenTables {
                    dir: incremental::canonical(&args.out),
                    tables: stamps,
                }),
                ..Meta::default()
            };
            // The next incremental run carries this link result.
            snapshot.links = Some(std::mem::take(&mut clusters));
            let building = Instant::now();
            let new_state = state::build(
                meta,
                &profiles,
                carried.births,
                carried.redirects,
                &hashes,
                snapshot,
            );
            ui.timing("state-build", building);
            let started = Instant::now();
            let pending = state::write(dir, &new_state)?;
            ui.timing("state-save", started);
            std::mem::forget(new_state);
            Some((pending, run))
        }
        _ => {
            std::mem::forget(snapshot);
            None
        }
    };
    let written = out.written().to_vec();
    out.commit()?;
    state::test_hook("outputs-committed");
    if let Some((pending, run)) = pending_state {
        pending.commit()?;
        if let Some(lock) = lock.as_mut() {
            lock.record_saved(run)?;
        }
    }
    ui.timing("write", started);
    spinner.finish_and_clear();

    ui.result(&summary::render(
        &report,
        &args.out.display().to_string(),
        &written,
    ))?;
    ui.detail(&summary::render_details(&report))?;
    if let Some(note) = &reuse_note {
        ui.detail(note)?;
    }
    let held: Vec<String> = args
        .fail_on
        .iter()
        .filter_map(|c| c.check(&report))
        .collect();
    for message in &held {
        ui.fail_on(message);
    }
    // `--strict` (issue 7): outputs are written first, so rejects.csv shows what failed it.
    let strict_failed = strict.is_some();
    if let Some((total, rows)) = strict {
        ui.strict(&format!(
            "{total} rejects ({} values, {rows} rows); see {}",
            total - rows,
            args.out.join("rejects.csv").display()
        ));
    }
    // Issue 15: a file that links nobody does not stop the others, but the run still fails
    // (exit 1, after every output is written, as `--strict` does) so that cron notices.
    let not_linked: Vec<&String> = report
        .sources
        .iter()
        .filter_map(|s| s.no_identifier.as_ref())
        .collect();
    for hint in &not_linked {
        ui.not_linked(hint);
    }
    // Freeing millions of small allocations one by one takes seconds at exit and helps nobody:
    // the process is about to end (ripgrep skips such frees the same way).
    std::mem::forget((clusters, profiles, saved));
    Ok(if strict_failed || !not_linked.is_empty() {
        ExitStatus::Failure
    } else if held.is_empty() {
        ExitStatus::Success
    } else {
        ExitStatus::FailOn
    })
}

/// A state folder whose lock file says a state was saved there, but without `state.omni`: the
/// file was deleted or lost, and going on would start a new history in silence (every profile
/// `new` in changes.csv, every id given afresh). An error (issue 16): restoring the file, or
/// starting over on purpose, is the user's call.
fn refuse_lost_state(
    dir: &std::path::Path,
    lock: Option<&state::lock::StateLock>,
) -> anyhow::Result<()> {
    if let Some(saved) = lock.and_then(|l| l.saved_before()) {
        bail!(
            "{}: missing, but this state folder held one ({saved}, says {}): without it every \
             profile would be `new` in changes.csv and lose its id. Restore state.omni (from \
             a backup), or to start a new history on purpose delete {} (or use a new --state \
             folder)",
            dir.join(state::STATE_FILE).display(),
            state::lock::LOCK_FILE,
            dir.join(state::lock::LOCK_FILE).display(),
        );
    }
    Ok(())
}

/// Drift conditions compare with the previous run, which only `--state` keeps: without it they
/// could never hold, and a cron job would never hear of a drift. A usage error (exit 2), so
/// the mistake shows on the first run (issue 16).
fn refuse_drift_without_state(args: &MergeArgs) -> anyhow::Result<()> {
    let drift: Vec<String> = args
        .fail_on
        .iter()
        .filter(|c| c.is_drift())
        .map(|c| c.name().to_owned())
        .collect();
    if args.state.is_none() && !drift.is_empty() {
        return Err(crate::exit::UsageError(format!(
            "--fail-on {} compares with the previous run, which only --state keeps: add \
             --state DIR (the first run with it sets the baseline), or drop the condition",
            drift.join(", ")
        ))
        .into());
    }
    Ok(())
}

/// The probabilistic pass (issue 20): scores what the exact pass left apart, hands the accepted
/// links to the linker as identifiers of their own and links again under the same guards.
/// Gives the new clusters and the pass's outcome.
fn second_pass(
    extracted: &mut extract::Extracted,
    files: &[extract::InputFile],
    settings: &Settings,
    clusters: &graph::Clusters,
) -> anyhow::Result<(graph::Clusters, crate::fuzzy::Outcome)> {
    let mut outcome = crate::fuzzy::run(
        extracted,
        files,
        clusters,
        &settings.matching,
        &settings.guards,
    )?;
    outcome.summary.records_placed = crate::fuzzy::apply(extracted, &outcome.links);
    // The caps, generic values and alarms apply as to any identifier; the name check was
    // applied per pair by the pass itself (`fuzzy::score`), which knows the given names.
    let clusters = graph::link(
        &extracted.records,
        &extracted.interner,
        &extracted.namespaces,
        &settings.guards,
    );
    Ok((clusters, outcome))
}

/// A file whose first line held data was read without a header; say so (issue 7).
fn warn_about_headerless_files(extracted: &extract::Extracted, read_now: &[bool], ui: &Ui) {
    for (source, _) in extracted
        .sources
        .iter()
        .zip(read_now)
        .filter(|&(s, &now)| now && s.format.headerless)
    {
        ui.warn(&format!(
            "{}:1: no header row (the first line holds an email or a phone), so it was read as \
             row 1 and the columns were named column_1, column_2, ...; add a header row to name \
             them",
            source.path.display()
        ));
    }
}

/// Parquet columns left out for their type (nested, binary; issue 16): say which, once per file.
fn warn_about_skipped_columns(extracted: &extract::Extracted, read_now: &[bool], ui: &Ui) {
    for (source, _) in extracted
        .sources
        .iter()
        .zip(read_now)
        .filter(|&(s, &now)| now && !s.format.skipped.is_empty())
    {
        ui.warn(&format!(
            "{}: columns not read: {}",
            source.path.display(),
            crate::input::parquet::skipped_list(&source.format.skipped)
        ));
    }
}

/// Rows that could not be used at all: one line per source and reason, with the first row and
/// the likely cause (issue 7). Each row is in rejects.csv; this says where to look.
fn warn_about_bad_rows(extracted: &extract::Extracted, read_now: &[bool], ui: &Ui) {
    use crate::reject::RejectReason;
    let mut seen: std::collections::BTreeMap<(u16, RejectReason), (u64, u64)> =
        std::collections::BTreeMap::new();
    for reject in extracted
        .rejects
        .iter()
        .filter(|r| read_now[r.source as usize])
    {
        if matches!(
            reject.reason,
            RejectReason::RaggedRow | RejectReason::UnreadableRow | RejectReason::FieldTooLong
        ) {
            let entry = seen
                .entry((reject.source, reject.reason))
                .or_insert((reject.row, 0));
            entry.1 += 1;
        }
    }
    for ((source, reason), (first, count)) in seen {
        let hint = match reason {
            RejectReason::RaggedRow => {
                "a different number of fields than the header: a delimiter inside an unquoted \
                 value, or a shifted row"
            }
            RejectReason::UnreadableRow => {
                "broken quoting: a quote opened and never closed swallows the lines after it"
            }
            _ => {
                "a field longer than max_field_bytes ([limits] in omni.toml, or --max-field-bytes)"
            }
        };
        ui.warn(&format!(
            "{}: row {first}: {} rejected as {reason} ({hint}); see rejects.csv",
            extracted.sources[source as usize].path.display(),
            summary::count(count, "row")
        ));
    }
}

/// National numbers cannot be read without a region; say so once per source, with the fix.
/// Local numbers (no area code) link only with the same local number: says so per source.
fn warn_about_local_numbers(extracted: &extract::Extracted, read_now: &[bool], ui: &Ui) {
    for (source, _) in extracted
        .sources
        .iter()
        .zip(read_now)
        .filter(|&(_, &now)| now)
    {
        let local: u64 = source.columns.iter().map(|c| c.local).sum();
        if local > 0 {
            ui.warn(&format!(
                "{}: {} without an area code, linked only with the same local number in this \
                 run (`local_phone` in profiles.csv)",
                source.path.display(),
                crate::ui::summary::count(local, "local phone number"),
            ));
        }
    }
}

fn warn_about_missing_regions(extracted: &extract::Extracted, read_now: &[bool], ui: &Ui) {
    for (source, _) in extracted
        .sources
        .iter()
        .zip(read_now)
        .filter(|&(s, &now)| now && s.region.code.is_none())
    {
        let unparseable: u64 = source
            .columns
            .iter()
            .filter_map(|c| {
                c.rejected
                    .get(&crate::reject::RejectReason::PhoneUnparseable)
            })
            .sum();
        if unparseable > 0 {
            ui.warn(&format!(
                "{}: {} rejected as unparseable; no phone region is known for numbers without a \
                 country code (use --country with their country, e.g. --country US)",
                source.path.display(),
                crate::ui::summary::count(unparseable, "phone number"),
            ));
        }
    }
}
