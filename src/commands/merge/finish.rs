//! The end of `omni merge`: the terminal summary, `--fail-on`, `--strict` and files that link
//! nobody decide the exit status; and the one check made before anything runs.

use crate::cli::MergeArgs;
use crate::exit::ExitStatus;
use crate::extract::Extracted;
use crate::output::reuse::Reuse;
use crate::report::Report;
use crate::ui::{Ui, summary};

/// Drift conditions compare with the previous run, which only `--state` keeps: without it they
/// could never hold, and a cron job would never hear of a drift. A usage error (exit 2), so
/// the mistake shows on the first run (issue 16).
pub fn refuse_drift_without_state(args: &MergeArgs) -> anyhow::Result<()> {
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

/// `--strict`: the rejects and how many are whole rows, when there are any (counted before the
/// state takes the records).
pub fn strict_counts(args: &MergeArgs, extracted: &Extracted) -> Option<(usize, usize)> {
    (args.strict && !extracted.rejects.is_empty()).then(|| {
        let rows = extracted
            .rejects
            .iter()
            .filter(|r| r.reason.is_row_level())
            .count();
        (extracted.rejects.len(), rows)
    })
}

/// What an incremental run copied from the previous tables (said after the summary, under
/// `--verbose`).
pub fn reuse_note(reuse: &Reuse) -> String {
    let [
        (profiles_copied, profiles_all),
        (records_copied, records_all),
    ] = reuse.counts();
    format!(
        "copied from the previous run's tables (the new records do not touch them): the rows \
         of {profiles_copied} of {} and {records_copied} of {}\n",
        summary::count(profiles_all, "profile"),
        summary::count(records_all, "record"),
    )
}

/// Issue 15: a file that links nobody does not stop the others, but the run still fails (exit
/// 1, after every output is written, as `--strict` does) so that cron notices. Prints each
/// such file's hint and tells whether there was one (`omni merge` and `omni stage finish`).
pub fn tell_not_linked(ui: &Ui, report: &Report) -> bool {
    let mut any = false;
    for hint in report
        .sources
        .iter()
        .filter_map(|s| s.no_identifier.as_ref())
    {
        ui.not_linked(hint);
        any = true;
    }
    any
}

/// Prints the summary and what failed the run, and gives the exit status.
pub fn tell(
    args: &MergeArgs,
    ui: &Ui,
    report: &Report,
    written: &[String],
    reuse_note: Option<&str>,
    strict: Option<(usize, usize)>,
) -> anyhow::Result<ExitStatus> {
    ui.result(&summary::render(
        report,
        &args.out.display().to_string(),
        written,
    ))?;
    ui.detail(&summary::render_details(report))?;
    if let Some(note) = reuse_note {
        ui.detail(note)?;
    }
    let held: Vec<String> = args
        .fail_on
        .iter()
        .filter_map(|c| c.check(report))
        .collect();
    for message in &held {
        ui.fail_on(message);
    }
    // `--strict` (issue 7): outputs are written first, so rejects.csv shows what failed it.
    if let Some((total, rows)) = strict {
        ui.strict(&format!(
            "{total} rejects ({} values, {rows} rows); see {}",
            total - rows,
            args.out
                .join(crate::output::format::file_name("rejects", args.format))
                .display()
        ));
    }
    let not_linked = tell_not_linked(ui, report);
    Ok(if strict.is_some() || not_linked {
        ExitStatus::Failure
    } else if held.is_empty() {
        ExitStatus::Success
    } else {
        ExitStatus::FailOn
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reuse_note_counts_profiles_and_records() {
        let note = reuse_note(&Reuse::default());
        assert_eq!(
            note,
            "copied from the previous run's tables (the new records do not touch them): the \
             rows of 0 of 0 profiles and 0 of 0 records\n"
        );
    }
}
