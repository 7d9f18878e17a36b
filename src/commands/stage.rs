//! `omni stage ...` (hidden): the steps `spark/omni_spark.py` runs, on the driver (`plan`,
//! `generic`, `finish`) or in Spark tasks (`extract`, `link`). See docs/spark.md.

use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::cli::{FinishArgs, LinkArgs, StageCommand};
use crate::exit::ExitStatus;
use crate::output::format::{self, TableFormat};
use crate::output::reuse::TableStamp;
use crate::output::{OutDir, tables, write_json, write_text};
use crate::stage::extract::Summary;
use crate::stage::table::{self, Table, Values};
use crate::stage::{StagePlanFile, generic, link, rebuild};
use crate::state::session::{Outcome, Session};
use crate::state::{RunMetrics, incremental};
use crate::ui::{Ui, summary};
use crate::{extract, profile, report};

/// Runs `omni stage ...`.
pub fn run(command: &StageCommand, ui: &Ui) -> anyhow::Result<ExitStatus> {
    match command {
        StageCommand::Plan(args) => {
            crate::stage::plan::StagePlan::build(&args.read)?.write(&args.plan)?;
        }
        StageCommand::Extract(args) => {
            let plan = StagePlanFile::read(&args.plan)?;
            crate::stage::extract::run(&plan, args.source, &args.out, ui)?;
        }
        StageCommand::Generic(args) => {
            let plan = StagePlanFile::read(&args.plan)?;
            let decided = generic::run(&plan, &args.candidates, &args.names)?;
            generic::write(&args.out, &decided)?;
        }
        StageCommand::Link(args) => link_batch(args)?,
        StageCommand::Finish(args) => return finish(args, ui),
    }
    Ok(ExitStatus::Success)
}

fn link_batch(args: &LinkArgs) -> anyhow::Result<()> {
    let plan = StagePlanFile::read(&args.plan)?;
    let decided = generic::read(&args.generic)?;
    let input = Table::read(&args.input)?;
    let rows = input
        .ints("rec")?
        .into_iter()
        .zip(input.bytes("blob")?)
        .collect();
    drop(input);
    let linked = link::run(&plan, rows, &decided)?;
    let (mut keys, mut blobs, mut links) = (Vec::new(), Vec::new(), Vec::new());
    for (key, blob, link) in linked {
        keys.push(key);
        blobs.push(blob);
        links.push(link);
    }
    table::write(
        &args.out,
        vec![
            ("rec", Values::Int(keys)),
            ("blob", Values::Bytes(blobs)),
            ("link", Values::Bytes(links)),
        ],
    )
}

/// The Parquet files under `paths` (files as given, folders' `*.parquet` by name).
fn parquet_files(paths: &[PathBuf]) -> anyhow::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for path in paths {
        if path.is_dir() {
            let mut found: Vec<PathBuf> = std::fs::read_dir(path)
                .with_context(|| format!("cannot read {}", path.display()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "parquet"))
                .collect();
            found.sort();
            out.extend(found);
        } else {
            out.push(path.clone());
        }
    }
    Ok(out)
}

fn read_inputs(
    args: &FinishArgs,
    sources: usize,
) -> anyhow::Result<(Vec<Summary>, Vec<link::Linked>)> {
    let summaries = (0..sources)
        .map(|i| {
            let path = args.summaries.join(format!("summary-{i}.json"));
            let text =
                std::fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?;
            serde_json::from_slice(&text).with_context(|| format!("{}", path.display()))
        })
        .collect::<anyhow::Result<Vec<Summary>>>()?;
    let mut rows = Vec::new();
    for path in parquet_files(&args.linked)? {
        let t = Table::read(&path)?;
        let keys = t.ints("rec")?;
        let blobs = t.bytes("blob")?;
        let links = t.bytes("link")?;
        rows.extend(
            keys.into_iter()
                .zip(blobs)
                .zip(links)
                .map(|((k, b), l)| (k, b, l)),
        );
    }
    Ok((summaries, rows))
}

/// The single-machine tail of `omni merge` over the rebuilt run: profiles, stable ids, report,
/// tables, state. The state goes through the same [`Session`] as `omni merge --state`.
fn finish(args: &FinishArgs, ui: &Ui) -> anyhow::Result<ExitStatus> {
    let plan = StagePlanFile::read(&args.plan)?;
    let mut settings = plan.settings()?;
    settings.csv_escape = args.csv_escape.unwrap_or(settings.csv_escape);
    let files = plan.files(&settings)?;
    let session = args
        .state
        .as_deref()
        .map(|dir| Session::open(dir, false, &settings, ui))
        .transpose()?;
    let (summaries, rows) = read_inputs(args, plan.sources.len())?;
    let decided = generic::read(&args.generic)?;
    let (extracted, clusters) = rebuild::rebuild(&plan, summaries, rows, &decided)?;
    let mut out = OutDir::create(&args.out)?;
    let mut profiles = profile::build(&extracted, &clusters);
    let ids = session
        .as_ref()
        .map(|session| session.carry(&extracted, &mut profiles));
    let (mut report, metrics) = compute_report(&extracted, &clusters, &profiles, &settings);
    if let (Some(session), Some(ids)) = (&session, &ids) {
        report.since_previous = session.since_previous(ids, false, &metrics);
    }
    let escape = format::table_escape(args.format, settings.csv_escape);
    let stamps = write_tables(
        &mut out,
        args.format,
        escape,
        &extracted,
        &clusters,
        &profiles,
    )?;
    let changes = ids.as_ref().map(|ids| &ids.carried);
    write_rest(&mut out, changes, &files, &extracted, &mut report)?;
    let pending = match (&session, ids) {
        (Some(session), Some(ids)) => {
            let snapshot = incremental::snapshot_of(extracted, &files, &settings);
            let outcome = Outcome {
                profiles: &profiles,
                clusters,
                metrics,
                out_dir: &args.out,
                tables: stamps,
            };
            Some(session.save(ids, snapshot, outcome, ui)?)
        }
        _ => None,
    };
    let written = out.written().to_vec();
    out.commit()?;
    if let (Some(session), Some(pending)) = (session, pending) {
        session.commit(pending)?;
    }
    tell(ui, &report, &args.out, &written)
}

/// The profile tables and contacts, as `omni merge` writes them (converted to Parquet with
/// `--format parquet`). Returns the tables' stamps for the state: none once converted, as
/// there is then nothing for the next run to copy rows from.
fn write_tables(
    out: &mut OutDir,
    table_format: TableFormat,
    escape: crate::output::escape::CsvEscape,
    extracted: &extract::Extracted,
    clusters: &crate::graph::Clusters,
    profiles: &profile::Profiles,
) -> anyhow::Result<Vec<TableStamp>> {
    let mut stamps = tables::write_tables(out, escape, extracted, clusters, profiles, None)?;
    crate::output::contacts::write(out, escape, extracted, profiles)?;
    if table_format == TableFormat::Parquet {
        format::convert_tables(out)?;
        stamps.clear();
    }
    Ok(stamps)
}

/// The run's summary on screen, and its exit status: as `omni merge` (issue 15), a file that
/// links nobody fails the run after every output.
fn tell(
    ui: &Ui,
    report: &report::Report,
    out: &Path,
    written: &[String],
) -> anyhow::Result<ExitStatus> {
    ui.result(&summary::render(
        report,
        &out.display().to_string(),
        written,
    ))?;
    Ok(match super::merge::finish::tell_not_linked(ui, report) {
        true => ExitStatus::Failure,
        false => ExitStatus::Success,
    })
}

/// The report as `omni merge` computes it.
fn compute_report(
    extracted: &extract::Extracted,
    clusters: &crate::graph::Clusters,
    profiles: &profile::Profiles,
    settings: &crate::config::Settings,
) -> (report::Report, RunMetrics) {
    let mut report = report::compute(extracted, clusters, profiles, &settings.guards);
    report.campaign = report::campaign::compute(extracted, profiles, &settings.campaign());
    report.csv_escape = settings.csv_escape;
    let metrics = RunMetrics::of(&report);
    (report, metrics)
}

/// changes.csv and redirects.csv (with a state), then the report with the hints for files that
/// link nobody, as `omni merge` writes them.
fn write_rest(
    out: &mut OutDir,
    changes: Option<&crate::state::stable::Carried>,
    files: &[extract::InputFile],
    extracted: &extract::Extracted,
    report: &mut report::Report,
) -> anyhow::Result<()> {
    if let Some(carried) = changes {
        crate::output::changes::write_changes(out, &carried.changes)?;
        crate::output::changes::write_redirects(out, &carried.redirects)?;
    }
    for (i, hint) in extract::no_identifier_hints(files, &extracted.sources)? {
        report.sources[i].no_identifier = Some(hint);
    }
    write_json(out, "report.json", report)?;
    write_text(out, "report.html", &report::html::render(report))
}
