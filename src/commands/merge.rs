//! `omni merge`: read, normalize, link, build profiles, report, write. Orchestration only.

use crate::cli::MergeArgs;
use crate::config::Settings;
use crate::exit::ExitStatus;
use crate::normalize::Normalizers;
use crate::output::{OutDir, tables, write_json};
use crate::ui::{Ui, summary};
use crate::{extract, graph, profile, report};

/// Runs `omni merge`.
pub fn run(args: &MergeArgs, ui: &Ui) -> anyhow::Result<ExitStatus> {
    let settings = Settings::from_cli(&args.read)?;
    let normalizers = Normalizers::new(&settings)?;
    let (files, warnings) = extract::resolve_inputs(&args.read.inputs, &settings)?;
    for warning in &warnings {
        ui.warn(warning);
    }
    let mut out = OutDir::create(&args.out)?;

    let extracted = extract::extract(&files, &normalizers, ui)?;
    let spinner = ui.stage_spinner("linking");
    let clusters = graph::link(&extracted.records, extracted.interner.len());
    let profiles = profile::build(&extracted, &clusters);
    let report = report::compute(&extracted, &profiles);
    spinner.set_prefix("writing");
    tables::write_profiles(&mut out, &extracted, &profiles)?;
    tables::write_links(&mut out, &extracted, &clusters, &profiles)?;
    tables::write_rejects(&mut out, &extracted)?;
    write_json(&mut out, "report.json", &report)?;
    out.commit()?;
    spinner.finish_and_clear();

    ui.result(&summary::render(&report, &args.out.display().to_string()));
    Ok(ExitStatus::Success)
}
