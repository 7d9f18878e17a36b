//! The layouts of `changes.csv` and `redirects.csv` (with `--state`; docs/state.md).

use crate::profile::history::{Change, Redirect, format_id};

use super::OutDir;

/// The columns of `changes.csv`.
pub const CHANGES_HEADER: [&str; 5] = [
    "event",
    "profile_id",
    "previous_ids",
    "records_before",
    "records_after",
];

/// The columns of `redirects.csv`.
pub const REDIRECTS_HEADER: [&str; 4] = ["old_id", "current_id", "status", "since_run"];

/// `changes.csv`: one row per event, ordered by profile id then event.
pub fn write_changes(out: &mut OutDir, changes: &[Change]) -> anyhow::Result<()> {
    let mut w = csv::Writer::from_writer(out.file("changes.csv")?);
    w.write_record(CHANGES_HEADER)?;
    for c in changes {
        w.write_record([
            c.event.as_str(),
            &c.profile_id,
            &c.previous_ids.join("|"),
            &c.records_before.to_string(),
            &c.records_after.to_string(),
        ])?;
    }
    OutDir::finish(w.into_inner().map_err(|e| e.into_error())?)
}

/// `redirects.csv`: every id that stopped naming a profile on this state, and the id that holds
/// its records now (empty when they are all gone), ordered by old id.
pub fn write_redirects(out: &mut OutDir, redirects: &[Redirect]) -> anyhow::Result<()> {
    let mut w = csv::Writer::from_writer(out.file("redirects.csv")?);
    w.write_record(REDIRECTS_HEADER)?;
    for r in redirects {
        let (current, status) = match r.current {
            Some(id) => (format_id(id), "merged"),
            None => (String::new(), "retired"),
        };
        w.write_record([
            format_id(r.old).as_str(),
            &current,
            status,
            &r.run.to_string(),
        ])?;
    }
    OutDir::finish(w.into_inner().map_err(|e| e.into_error())?)
}
