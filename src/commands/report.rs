//! `omni report OUT_DIR`: prints the report of a previous `omni merge` again, from its
//! report.json, as the terminal summary, as the JSON itself, or as Markdown tables.
//! It never re-reads the inputs.

use std::path::Path;

use anyhow::{Context, bail};

use crate::cli::{ReportArgs, ReportFormat};
use crate::exit::ExitStatus;
use crate::report::{Report, SCHEMA_VERSION, markdown};
use crate::ui::{Ui, summary};

/// Runs `omni report`.
pub fn run(args: &ReportArgs, ui: &Ui) -> anyhow::Result<ExitStatus> {
    let (text, report) = read(&args.out)?;
    let out = match args.format {
        ReportFormat::Text => summary::render_report(&report),
        // The file as written: nothing lost if a newer field is not known to this struct.
        ReportFormat::Json => text,
        ReportFormat::Markdown => markdown::render(&report),
    };
    ui.data(&out)?;
    Ok(ExitStatus::Success)
}

/// Reads and parses `OUT_DIR/report.json`, naming the file and the fix on failure.
pub fn read(dir: &Path) -> anyhow::Result<(String, Report)> {
    if !dir.is_dir() {
        bail!(
            "{}: no such folder; run `omni merge INPUTS -o {}` first",
            dir.display(),
            dir.display()
        );
    }
    let path = dir.join("report.json");
    let text = std::fs::read_to_string(&path).with_context(|| {
        format!(
            "{}: cannot read it; is {} the output folder of `omni merge`?",
            path.display(),
            dir.display()
        )
    })?;
    let version: serde_json::Value = serde_json::from_str(&text)
        .with_context(|| format!("{}: not valid JSON", path.display()))?;
    match version.get("schema_version").and_then(|v| v.as_u64()) {
        Some(v) if v > u64::from(SCHEMA_VERSION) => bail!(
            "{}: schema_version {v} was written by a newer omni (this one reads {SCHEMA_VERSION}); \
             use that omni, or run `omni merge` again",
            path.display()
        ),
        Some(_) => {}
        None => bail!("{}: no schema_version; not an omni report", path.display()),
    }
    let report: Report = serde_json::from_str(&text).with_context(|| {
        format!(
            "{}: written by an older omni, it lacks fields this one needs; run `omni merge` again",
            path.display()
        )
    })?;
    Ok((text, report))
}
