//! `omni merge`: read, normalize, link, build profiles, report, write. Orchestration only.

use std::time::Instant;

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

    let started = Instant::now();
    let extracted = extract::extract(&files, &normalizers, ui)?;
    ui.timing("extract", started);
    warn_about_missing_regions(&extracted, ui);
    let spinner = ui.stage_spinner("linking");
    let started = Instant::now();
    let clusters = graph::link(
        &extracted.records,
        &extracted.interner,
        &extracted.namespaces,
        &settings.guards,
    );
    ui.timing("link", started);
    let started = Instant::now();
    let profiles = profile::build(&extracted, &clusters);
    ui.timing("profiles", started);
    let started = Instant::now();
    let report = report::compute(&extracted, &clusters, &profiles, &settings.guards);
    ui.timing("report", started);
    spinner.set_prefix("writing");
    let started = Instant::now();
    tables::write_tables(&mut out, &extracted, &clusters, &profiles)?;
    write_json(&mut out, "report.json", &report)?;
    out.commit()?;
    ui.timing("write", started);
    spinner.finish_and_clear();

    ui.result(&summary::render(&report, &args.out.display().to_string()));
    let held: Vec<String> = args
        .fail_on
        .iter()
        .filter_map(|c| c.check(&report))
        .collect();
    for message in &held {
        ui.fail_on(message);
    }
    // Freeing millions of small allocations one by one takes seconds at exit and helps nobody:
    // the process is about to end (ripgrep skips such frees the same way).
    std::mem::forget((extracted, clusters, profiles));
    Ok(if held.is_empty() {
        ExitStatus::Success
    } else {
        ExitStatus::FailOn
    })
}

/// National numbers cannot be read without a region; say so once per source, with the fix.
fn warn_about_missing_regions(extracted: &extract::Extracted, ui: &Ui) {
    for source in extracted.sources.iter().filter(|s| s.region.code.is_none()) {
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
                "{}: {unparseable} phone numbers rejected as unparseable; no phone region is known \
                 for numbers without a country code (use --country, e.g. --country RU)",
                source.path.display()
            ));
        }
    }
}
