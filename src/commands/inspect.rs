//! `omni inspect`: how each file is read, without linking anything.
//!
//! Per file: format, encoding, delimiter, and per column the detected role, why, fill rate and
//! valid share on the first rows, and a few normalized samples. `--write-config` turns what was
//! detected into an omni.toml to edit.

use std::fmt::Write as _;

use anyhow::{Context, bail};

use crate::cli::InspectArgs;
use crate::config::{FileConfig, Settings, SourceSection};
use crate::exit::ExitStatus;
use crate::extract::{self, plan};
use crate::normalize::Normalizers;
use crate::ui::Ui;
use crate::ui::summary::percent;

/// Samples shown per column.
const SAMPLES: usize = 3;

/// Cuts `text` to `width` characters, marking the cut with `…`.
fn clip(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_owned();
    }
    let mut cut: String = text.chars().take(width - 1).collect();
    cut.push('…');
    cut
}

/// Runs `omni inspect`.
pub fn run(args: &InspectArgs, ui: &Ui) -> anyhow::Result<ExitStatus> {
    let settings = Settings::from_cli(&args.read)?;
    let normalizers = Normalizers::new(&settings)?;
    let (files, warnings) = extract::resolve_inputs(&args.read.inputs, &settings)?;
    settings.check_sources_exist(&files.iter().map(|f| f.stem.as_str()).collect::<Vec<_>>())?;
    for warning in &warnings {
        ui.warn(warning);
    }
    let mut text = String::new();
    let mut config = FileConfig {
        country: settings.country.clone(),
        ..FileConfig::default()
    };
    let (files, failed) = readable(files);
    let planned = extract::plan_inputs(&files, &normalizers, args.sample_rows.max(1))?;
    let shared =
        extract::shared::find(&files, &planned.iter().map(|p| &p.plan).collect::<Vec<_>>())?;
    for (file, planned) in files.iter().zip(planned) {
        let columns = planned
            .plan
            .columns
            .iter()
            .map(|c| (c.name.clone(), c.role.as_config()))
            .collect();
        write_file(&mut text, file, planned, &normalizers, &shared);
        config.sources.insert(
            file.stem.clone(),
            SourceSection {
                name: (file.name != file.stem).then(|| file.name.clone()),
                columns,
                ..SourceSection::default()
            },
        );
    }
    write_shared(&mut text, &shared);
    if let Some(path) = &args.write_config {
        if path.exists() {
            bail!(
                "{}: already exists; not overwriting (choose another name or delete it)",
                path.display()
            );
        }
        let body = toml::to_string_pretty(&config).context("serializing the config")?;
        let header = "# omni.toml written by `omni inspect --write-config`: the roles omni detected.\n\
                      # Edit roles (email, phone, card, id:<namespace>, key, first_name, last_name,\n\
                      # middle_name, full_name, country, timestamp, amount, ignore); see docs/config.md.\n\n";
        std::fs::write(path, format!("{header}{body}"))
            .with_context(|| format!("{}: cannot write the config", path.display()))?;
        let _ = writeln!(text, "wrote {}", path.display());
    }
    ui.data(&text)?;
    for err in &failed {
        ui.error(err);
    }
    Ok(if failed.is_empty() {
        ExitStatus::Success
    } else {
        ExitStatus::Failure
    })
}

/// One file's section: how it is read, its phone region, and per column the role, fill, validity,
/// samples and why; for a file without an identifier, what to do.
fn write_file(
    text: &mut String,
    file: &extract::InputFile,
    planned: extract::PlannedFile,
    normalizers: &Normalizers,
    shared: &[extract::shared::SharedColumn],
) {
    let extract::PlannedFile {
        plan,
        region,
        format,
        sample,
    } = planned;
    let _ = writeln!(
        text,
        "{} -> source \"{}\" ({}; {} rows sampled)",
        file.path.display(),
        file.name,
        how_read(&format),
        sample.len()
    );
    if !format.skipped.is_empty() {
        let _ = writeln!(
            text,
            "  columns not read: {}",
            crate::input::parquet::skipped_list(&format.skipped)
        );
    }
    let _ = writeln!(
        text,
        "  phone region: {} ({})",
        region.code.as_deref().unwrap_or("none"),
        region.from
    );
    let _ = writeln!(
        text,
        "  {:<24} {:<12} {:>7} {:>7}  {:<48}  detected by",
        "column", "role", "filled", "valid", "samples"
    );
    write_columns(text, &plan, &sample, region.code.as_deref(), normalizers);
    if !plan.has_identifier() {
        let path = file.path.display().to_string();
        let proposal = shared.first().map(|s| s.column.as_str());
        let hint = plan.no_identifier_hint(&path, &file.stem, proposal);
        for line in hint.lines() {
            let _ = writeln!(text, "  {line}");
        }
    }
    let _ = writeln!(text);
}

/// How a file is read, as its heading says it: container, encoding, delimiter, and whether
/// line 1 is data.
fn how_read(f: &crate::input::Format) -> String {
    let delimiter = match f.delimiter {
        Some(b'\t') => ", tab-separated".to_owned(),
        Some(d) => format!(", '{}'-separated", d as char),
        None => String::new(),
    };
    let encoding = if f.encoding.is_empty() {
        String::new()
    } else {
        format!(", {}", f.encoding)
    };
    // Issue 7: a file whose first line is data has no header; say how it was read.
    let header = if f.headerless {
        ", no header row: line 1 is data"
    } else {
        ""
    };
    format!("{}{encoding}{delimiter}{header}", f.container)
}

/// One line per column: role, fill and valid shares on the sample, samples (normalized for
/// identifiers), and why the role was chosen.
fn write_columns(
    text: &mut String,
    plan: &extract::Plan,
    sample: &[Vec<String>],
    region: Option<&str>,
    normalizers: &Normalizers,
) {
    for (i, column) in plan.columns.iter().enumerate() {
        let values = sample
            .iter()
            .filter_map(|row| row.get(i))
            .map(|v| v.trim())
            .filter(|v| !v.is_empty());
        let filled = values.clone().count() as u64;
        let (valid, shown) = match plan::identifier_namespace(&column.role) {
            Some((kind, _)) => {
                let outcomes: Vec<_> = values
                    .filter_map(|v| normalizers.normalize(kind, v, region))
                    .collect();
                let valid = outcomes.iter().filter(|o| o.is_ok()).count() as u64;
                let mut shown: Vec<String> = outcomes.into_iter().flatten().collect();
                shown.dedup();
                shown.truncate(SAMPLES);
                (percent(crate::report::share(valid, filled)), shown)
            }
            None => (
                "-".to_owned(),
                values.take(SAMPLES).map(str::to_owned).collect(),
            ),
        };
        let _ = writeln!(
            text,
            "  {:<24} {:<12} {:>7} {:>7}  {:<48}  {}",
            one_line(&column.name),
            column.role.as_config(),
            percent(crate::report::share(filled, sample.len() as u64)),
            valid,
            clip(&one_line(&shown.join(", ")), 48),
            column.why,
        );
    }
}

/// The files whose first row can be read, and an error message for each of the others
/// (issue 15: every file is reported; one that cannot be read is named, the others shown).
fn readable(files: Vec<extract::InputFile>) -> (Vec<extract::InputFile>, Vec<String>) {
    let mut failed = Vec::new();
    let files = files
        .into_iter()
        .filter(|file| match extract::plan_file(file, 1) {
            Ok(_) => true,
            Err(err) => {
                failed.push(format!("{err:#}"));
                false
            }
        })
        .collect();
    (files, failed)
}

/// The columns proposed as shared identifiers, and how to link on them.
fn write_shared(text: &mut String, shared: &[extract::shared::SharedColumn]) {
    for s in shared {
        let role = crate::config::parse_id_flag(&s.column)
            .map(|(_, role)| role.as_config())
            .unwrap_or_else(|_| format!("id:{}", s.column));
        let ns = role.trim_start_matches("id:");
        let (columns, how) = match &s.other {
            None => (
                format!("\"{}\" in {}", s.column, s.sources.join(", ")),
                format!(
                    "`--id {}` (or `\"{}\" = \"{role}\"` under [columns] in omni.toml)",
                    s.column, s.column
                ),
            ),
            Some(other) => (
                format!(
                    "\"{}\" in {} and \"{other}\" in {}",
                    s.column, s.sources[0], s.sources[1]
                ),
                format!("`--id {}={ns} --id {other}={ns}`", s.column),
            ),
        };
        let _ = writeln!(
            text,
            "shared identifier? {columns}: {} distinct, {} of values in another file; link on it \
             with {how}",
            percent(s.distinct),
            percent(s.overlap),
        );
    }
}

/// A cell as one line: line breaks and tabs in multi-line cells would break the table.
fn one_line(text: &str) -> String {
    text.split(['\n', '\r', '\t'])
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}
