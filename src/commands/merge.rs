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
    warn_about_headerless_files(&extracted, ui);
    warn_about_bad_rows(&extracted, ui);
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
    tables::write_profiles(&mut out, &extracted, &profiles)?;
    tables::write_links(&mut out, &extracted, &clusters, &profiles)?;
    tables::write_rejects(&mut out, &extracted)?;
    tables::write_edges(&mut out, &extracted, &clusters, &profiles)?;
    tables::write_refused(&mut out, &extracted, &clusters, &profiles)?;
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
    // `--strict` (issue 7): outputs are written first, so rejects.csv shows what failed it.
    let strict_failed = args.strict && !extracted.rejects.is_empty();
    if strict_failed {
        let rows = extracted
            .rejects
            .iter()
            .filter(|r| r.reason.is_row_level())
            .count();
        ui.strict(&format!(
            "{} rejects ({} values, {rows} rows); see {}",
            extracted.rejects.len(),
            extracted.rejects.len() - rows,
            args.out.join("rejects.csv").display()
        ));
    }
    // Freeing millions of small allocations one by one takes seconds at exit and helps nobody:
    // the process is about to end (ripgrep skips such frees the same way).
    std::mem::forget((extracted, clusters, profiles));
    Ok(if strict_failed {
        ExitStatus::Failure
    } else if held.is_empty() {
        ExitStatus::Success
    } else {
        ExitStatus::FailOn
    })
}

/// A file whose first line held data was read without a header; say so (issue 7).
fn warn_about_headerless_files(extracted: &extract::Extracted, ui: &Ui) {
    for source in extracted.sources.iter().filter(|s| s.format.headerless) {
        ui.warn(&format!(
            "{}:1: no header row (the first line holds an email or a phone), so it was read as \
             row 1 and the columns were named column_1, column_2, ...; add a header row to name \
             them",
            source.path.display()
        ));
    }
}

/// Rows that could not be used at all: one line per source and reason, with the first row and
/// the likely cause (issue 7). Each row is in rejects.csv; this says where to look.
fn warn_about_bad_rows(extracted: &extract::Extracted, ui: &Ui) {
    use crate::reject::RejectReason;
    let mut seen: std::collections::BTreeMap<(u16, RejectReason), (u64, u64)> =
        std::collections::BTreeMap::new();
    for reject in &extracted.rejects {
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
            "{}: row {first}: {count} row(s) rejected as {reason} ({hint}); see rejects.csv",
            extracted.sources[source as usize].path.display()
        ));
    }
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
