//! The terminal summary after `omni export`: how many profiles the segment kept, the rows of
//! each send list, the cascade step by step, and the audience files. A pure function of
//! [`ExportSummary`], snapshot-tested without a terminal.

use std::fmt::Write;

use super::summary::count;
use crate::export::ExportSummary;

/// Renders the summary printed on stdout after `omni export`.
pub fn render(summary: &ExportSummary) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "omni export: {} of {} in the segment",
        summary.selected,
        count(summary.profiles, "profile"),
    );
    if !summary.dated {
        let _ = writeln!(
            s,
            "contacts ranked without dates: the out dir has no contacts.csv (written by omni \
             merge since issue 18); run omni merge again to send to the most recent contact first"
        );
    }
    let (suppressed, skipped) = summary.suppressed;
    if suppressed > 0 || skipped > 0 {
        let _ = writeln!(
            s,
            "suppressed: {} ({} skipped: no email or phone)",
            count(suppressed, "value"),
            count(skipped, "cell"),
        );
    }
    send_lists(&mut s, summary);
    audiences(&mut s, summary);
    let dir = summary.dir.display().to_string();
    let _ = writeln!(
        s,
        "\nwrote {}/: send/, cascade.csv, audiences/",
        dir.trim_end_matches('/')
    );
    s
}

/// The rows of each send list, then the cascade step by step (channels aligned alike).
fn send_lists(s: &mut String, summary: &ExportSummary) {
    let _ = writeln!(s, "\nsend lists (one row per profile):");
    let width = summary
        .lists
        .iter()
        .map(|l| l.channel.len())
        .max()
        .unwrap_or(0);
    for list in &summary.lists {
        let _ = writeln!(s, "  {:<width$}  {}", list.channel, list.profiles);
    }
    let _ = writeln!(s, "\ncascade (sent at this step / reachable on it):");
    for (i, step) in summary.cascade.steps.iter().enumerate() {
        let _ = writeln!(
            s,
            "  {}. {:<width$}  {} / {}",
            i + 1,
            step.channel,
            step.first,
            step.reachable
        );
    }
    let _ = writeln!(s, "  unreachable  {}", summary.cascade.unreachable);
}

/// The rows of each audience file.
fn audiences(s: &mut String, summary: &ExportSummary) {
    let _ = writeln!(s, "\naudiences (hashed, no clear values):");
    let width = summary
        .audiences
        .iter()
        .map(|a| a.file.len())
        .max()
        .unwrap_or(0);
    for audience in &summary.audiences {
        let _ = writeln!(s, "  {:<width$}  {}", audience.file, audience.rows);
    }
}
