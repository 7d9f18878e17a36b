//! `omni export OUT_DIR`: send lists, a channel cascade and ad-platform audiences for a segment
//! of a previous merge's profiles. Orchestration only: reading (`export::outdir`), the segment
//! (`export::filter`), suppression (`export::suppress`) and the files (`export`) live in the
//! `export` module; the summary is worded by `ui::summary`.

use anyhow::Context;

use crate::cli::ExportArgs;
use crate::config::Settings;
use crate::exit::ExitStatus;
use crate::export::suppress::Suppression;
use crate::export::{Job, export, outdir};
use crate::normalize::Normalizers;
use crate::ui::Ui;

/// Runs `omni export`.
pub fn run(args: &ExportArgs, ui: &Ui) -> anyhow::Result<ExitStatus> {
    let settings = Settings::load(args.config.as_deref())?;
    let loaded = outdir::load(&args.out)?;
    let normalizers = Normalizers::new(&settings)?;
    let suppression =
        Suppression::read(&args.suppress, &normalizers, &loaded.regions).context("--suppress")?;
    let job = Job {
        filters: &args.conditions,
        suppression: &suppression,
        settings: &settings.export,
        dir: &args.export_dir,
    };
    let summary = export(&loaded, &job)?;
    ui.result(&crate::ui::export_summary::render(&summary))?;
    Ok(ExitStatus::Success)
}
