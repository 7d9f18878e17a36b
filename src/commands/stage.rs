//! `omni stage ...` (hidden): the steps `spark/omni_spark.py` runs, on the driver (`plan`,
//! `generic`, `finish`) or in Spark tasks (`extract`, `link`). See docs/spark.md.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Subcommand};

use crate::cli::ReadArgs;
use crate::exit::ExitStatus;
use crate::output::escape::CsvEscape;
use crate::output::{OutDir, reuse, tables, write_json, write_text};
use crate::report::changes::SincePrevious;
use crate::stage::extract::Summary;
use crate::stage::table::{self, Table, Values};
use crate::stage::{StagePlanFile, generic, link, rebuild};
use crate::state::{self, Meta, RunMetrics, Saved, incremental};
use crate::ui::{Ui, summary};
use crate::{extract, profile, report};

/// The stages of a distributed run.
#[derive(Debug, Subcommand)]
pub enum StageCommand {
    /// Plan the run on the driver: sources, column roles, regions, settings fingerprint.
    Plan(PlanArgs),
    /// Extract one input file (a task).
    Extract(ExtractArgs),
    /// Decide the generic identifiers among the candidates Spark found (driver).
    Generic(GenericArgs),
    /// Link a batch of whole components (a task).
    Link(LinkArgs),
    /// Rebuild the run from the tasks' products and write the out dir as `omni merge` does.
    Finish(FinishArgs),
}

/// `omni stage plan`.
#[derive(Debug, Args)]
pub struct PlanArgs {
    /// Inputs and how to read them, as for `omni merge`.
    #[command(flatten)]
    pub read: ReadArgs,
    /// The plan file to write.
    #[arg(long, value_name = "FILE")]
    pub plan: PathBuf,
}

/// `omni stage extract`.
#[derive(Debug, Args)]
pub struct ExtractArgs {
    /// The plan file.
    #[arg(long, value_name = "FILE")]
    pub plan: PathBuf,
    /// Source number (in plan order).
    #[arg(long)]
    pub source: usize,
    /// Folder for records.parquet and summary.json.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
}

/// `omni stage generic`.
#[derive(Debug, Args)]
pub struct GenericArgs {
    /// The plan file.
    #[arg(long, value_name = "FILE")]
    pub plan: PathBuf,
    /// Candidates: Parquet with `id`, `records`, `groups`.
    #[arg(long, value_name = "FILE")]
    pub candidates: PathBuf,
    /// Their components' names: Parquet with `id`, `comp`, `rec`, `name`.
    #[arg(long, value_name = "FILE")]
    pub names: PathBuf,
    /// The decisions (JSON).
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
}

/// `omni stage link`.
#[derive(Debug, Args)]
pub struct LinkArgs {
    /// The plan file.
    #[arg(long, value_name = "FILE")]
    pub plan: PathBuf,
    /// The generic identifiers (`stage generic`).
    #[arg(long, value_name = "FILE")]
    pub generic: PathBuf,
    /// Records: Parquet with `rec`, `blob`.
    #[arg(long = "in", value_name = "FILE")]
    pub input: PathBuf,
    /// Linked records: Parquet with `rec`, `blob`, `link`.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
}

/// `omni stage finish`.
#[derive(Debug, Args)]
pub struct FinishArgs {
    /// The plan file.
    #[arg(long, value_name = "FILE")]
    pub plan: PathBuf,
    /// The generic identifiers (`stage generic`).
    #[arg(long, value_name = "FILE")]
    pub generic: PathBuf,
    /// Folder of `summary-<source>.json` files (`stage extract`).
    #[arg(long, value_name = "DIR")]
    pub summaries: PathBuf,
    /// Linked records: Parquet files, or folders of them (`stage link`).
    #[arg(long, value_name = "PATH", required = true)]
    pub linked: Vec<PathBuf>,
    /// Output folder, as for `omni merge`.
    #[arg(short, long, value_name = "DIR")]
    pub out: PathBuf,
    /// State folder, as for `omni merge --state`.
    #[arg(long, value_name = "DIR")]
    pub state: Option<PathBuf>,
    /// As for `omni merge`.
    #[arg(long, value_enum, value_name = "MODE")]
    pub csv_escape: Option<CsvEscape>,
}

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
        StageCommand::Finish(args) => finish(args, ui)?,
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
/// tables, state.
fn finish(args: &FinishArgs, ui: &Ui) -> anyhow::Result<()> {
    let plan = StagePlanFile::read(&args.plan)?;
    let mut settings = plan.settings()?;
    settings.csv_escape = args.csv_escape.unwrap_or(settings.csv_escape);
    let files = plan.files(&settings)?;
    let (mut lock, saved) = open_state(args.state.as_deref())?;
    let (summaries, rows) = read_inputs(args, plan.sources.len())?;
    let decided = generic::read(&args.generic)?;
    let (extracted, clusters) = rebuild::rebuild(&plan, summaries, rows, &decided)?;
    let mut out = OutDir::create(&args.out)?;
    let mut profiles = profile::build(&extracted, &clusters);
    let carried = args.state.as_ref().map(|_| {
        let hashes = state::record_hashes(&extracted);
        let previous = saved.as_ref().map(Saved::previous).unwrap_or_default();
        let run = saved.as_ref().map_or(1, |s| s.meta.run + 1);
        let carried = state::stable::carry(&extracted, &mut profiles, &previous, &hashes, run);
        (carried, hashes, run)
    });
    let since = saved
        .as_ref()
        .zip(carried.as_ref())
        .map(|(previous, (carried, _, run))| (previous, carried, *run));
    let (mut report, metrics) = compute_report(&extracted, &clusters, &profiles, &settings, since);
    let stamps = tables::write_tables(
        &mut out,
        settings.csv_escape,
        &extracted,
        &clusters,
        &profiles,
        None,
    )?;
    let changes = carried.as_ref().map(|(c, _, _)| c);
    write_rest(&mut out, changes, &files, &extracted, &mut report)?;
    let pending = match (args.state.as_deref(), carried) {
        (Some(dir), Some(carried)) => {
            let saving = Saving {
                dir,
                plan: &plan,
                files: &files,
                settings: &settings,
                out_dir: &args.out,
            };
            Some(save_state(
                &saving, extracted, clusters, &profiles, carried, metrics, stamps,
            )?)
        }
        _ => None,
    };
    let written = out.written().to_vec();
    out.commit()?;
    if let Some((pending, run)) = pending {
        pending.commit()?;
        if let Some(lock) = lock.as_mut() {
            lock.record_saved(run)?;
        }
    }
    ui.result(&summary::render(
        &report,
        &args.out.display().to_string(),
        &written,
    ))
}

/// Where and with what the finish step saves the state.
struct Saving<'a> {
    dir: &'a std::path::Path,
    plan: &'a crate::stage::plan::StagePlan,
    files: &'a [extract::InputFile],
    settings: &'a crate::config::Settings,
    out_dir: &'a std::path::Path,
}

/// Builds and writes the new state as `omni merge --state` does (committed by the caller after
/// the out dir).
fn save_state(
    saving: &Saving<'_>,
    extracted: extract::Extracted,
    clusters: crate::graph::Clusters,
    profiles: &profile::Profiles,
    (carried, hashes, run): (state::stable::Carried, state::stable::RecordHashes, u32),
    metrics: RunMetrics,
    stamps: Vec<reuse::TableStamp>,
) -> anyhow::Result<(state::PendingState, u32)> {
    let meta = Meta {
        run,
        written_at: state::now_utc(),
        settings_fingerprint: saving.plan.fingerprint.clone(),
        inputs: extracted
            .sources
            .iter()
            .map(|s| s.path.display().to_string())
            .collect(),
        metrics,
        outputs: Some(reuse::WrittenTables {
            dir: incremental::canonical(saving.out_dir),
            tables: stamps,
        }),
        ..Meta::default()
    };
    let mut snapshot = incremental::snapshot_of(extracted, saving.files, saving.settings);
    snapshot.links = Some(clusters);
    let new_state = state::build(
        meta,
        profiles,
        carried.births,
        carried.redirects,
        &hashes,
        snapshot,
    );
    Ok((state::write(saving.dir, &new_state)?, run))
}

/// The report as `omni merge` computes it, with `since_previous` from the previous state.
fn compute_report(
    extracted: &extract::Extracted,
    clusters: &crate::graph::Clusters,
    profiles: &profile::Profiles,
    settings: &crate::config::Settings,
    since: Option<(&Saved, &state::stable::Carried, u32)>,
) -> (report::Report, RunMetrics) {
    let mut report = report::compute(extracted, clusters, profiles, &settings.guards);
    report.campaign = report::campaign::compute(extracted, profiles, &settings.campaign());
    report.csv_escape = settings.csv_escape;
    let metrics = RunMetrics::of(&report);
    if let Some((previous, carried, run)) = since {
        report.since_previous = Some(SincePrevious::new(
            run,
            &previous.meta.written_at,
            false,
            &previous.meta.metrics,
            &metrics,
            carried,
        ));
    }
    (report, metrics)
}

/// The state folder's lock and previous state, as `omni merge --state` takes them.
fn open_state(
    dir: Option<&std::path::Path>,
) -> anyhow::Result<(Option<state::lock::StateLock>, Option<Saved>)> {
    let Some(dir) = dir else {
        return Ok((None, None));
    };
    let lock = state::lock::acquire(dir)?;
    state::remove_stale_temporaries(dir);
    Ok((Some(lock), state::load(dir, false)?))
}

/// changes.csv and redirects.csv (with a state), then the report with the hints for files that
/// link nobody, as `omni merge` writes them.
fn write_rest(
    out: &mut OutDir,
    changes: Option<&state::stable::Carried>,
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
