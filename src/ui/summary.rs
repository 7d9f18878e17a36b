//! The terminal summary after `merge`: headline numbers and a per-source table.
//! A pure function of the report, so it is snapshot-tested without a terminal.

use std::fmt::Write;

use crate::report::Report;
use crate::report::transactions::FirstPurchase;

/// Renders the summary printed on stdout after `omni merge`: the report, then the files written.
pub fn render(report: &Report, out_dir: &str, files: &[String]) -> String {
    let mut s = render_report(report);
    // Tables written as Parquet (`--format parquet`) are named as written.
    for table in ["rejects", "refused"] {
        if files.iter().any(|f| *f == format!("{table}.parquet")) {
            s = s.replace(
                &format!("(see {table}.csv)"),
                &format!("(see {table}.parquet)"),
            );
        }
    }
    let dir = out_dir.trim_end_matches('/');
    let _ = writeln!(s, "wrote {dir}/: {}", files.join(", "));
    s
}

/// `1 record`, `6 records`.
pub fn count(n: u64, noun: &str) -> String {
    match n {
        1 => format!("1 {noun}"),
        _ => format!("{n} {noun}s"),
    }
}

/// The probabilistic pass (`--match probabilistic`): counts and the learned weights.
pub fn probabilistic_text(p: &crate::fuzzy::Summary) -> String {
    let m = &p.model;
    let mut s = format!(
        "probabilistic: {} compared, {} linked ({} refused by the name check), {} placed; \
         prior {:+.2} bits, threshold {}\n",
        count(p.candidate_pairs, "candidate pair"),
        count(p.links, "pair"),
        p.refused_name_mismatch,
        count(p.records_placed, "record"),
        m.prior_weight,
        m.threshold,
    );
    for c in &m.comparisons {
        let levels: Vec<String> = c
            .levels
            .iter()
            .map(|l| format!("{} {:+.1}", l.label, l.weight))
            .collect();
        let _ = writeln!(
            s,
            "  {:<11} ({}): {}",
            c.comparison,
            c.m_from,
            levels.join(", ")
        );
    }
    s
}

/// Renders the report's headline numbers and per-source table (also `omni report`'s text).
pub fn render_report(report: &Report) -> String {
    let t = &report.totals;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "omni merge: {} from {} -> {}, match rate {} ({} in 2+ sources)",
        count(t.rows_read, "row"),
        count(t.sources, "source"),
        count(t.profiles, "profile"),
        percent(report.match_rate.overall),
        report.match_rate.profiles_in_several_sources,
    );
    let _ = writeln!(s);
    source_table(&mut s, report);
    let _ = writeln!(s);
    profile_lines(&mut s, report);
    let _ = writeln!(s, "{}", guards_line(report));
    if let Some(line) = transactions_line(report) {
        let _ = writeln!(s, "{line}");
    }
    if let Some(line) = campaign_line(report) {
        let _ = writeln!(s, "{line}");
    }
    if let Some(p) = &report.probabilistic {
        s.push_str(&probabilistic_text(p));
    }
    if let Some(since) = &report.since_previous {
        let _ = writeln!(s, "{}", since_previous_line(since));
    }
    s
}

/// The per-source table with its total row.
fn source_table(s: &mut String, report: &Report) {
    let t = &report.totals;
    let width = report
        .sources
        .iter()
        .map(|x| super::mask::terminal(&x.name).chars().count())
        .max()
        .unwrap_or(6)
        .max(6);
    let _ = writeln!(
        s,
        "{:<width$}  {:>9}  {:>11}  {:>13}  {:>10}  {:>8}  {:>8}",
        "source", "rows", "in profiles", "no identifier", "unreadable", "profiles", "matched"
    );
    for src in &report.sources {
        let _ = writeln!(
            s,
            "{:<width$}  {:>9}  {:>11}  {:>13}  {:>10}  {:>8}  {:>8}",
            // Escaped here, not only when printed, so the columns line up (issue 16).
            super::mask::terminal(&src.name),
            src.rows_read,
            src.records_in_profiles,
            src.rows_unidentified,
            src.rows_unreadable,
            src.profiles,
            percent(src.match_rate),
        );
    }
    let _ = writeln!(
        s,
        "{:<width$}  {:>9}  {:>11}  {:>13}  {:>10}  {:>8}  {:>8}",
        "total",
        t.rows_read,
        t.records_in_profiles,
        t.rows_unidentified,
        t.rows_unreadable,
        t.profiles,
        percent(report.match_rate.overall),
    );
}

/// Dedup and reachability, the largest profile, the rejected rows and values, and the sources
/// that link nobody.
fn profile_lines(s: &mut String, report: &Report) {
    let t = &report.totals;
    let _ = writeln!(
        s,
        "dedup: {:.2} records per profile; reachable by email {}, by phone {}, by both {}",
        report.dedup.records_per_profile,
        report.reachability.email,
        report.reachability.phone,
        report.reachability.both,
    );
    if let Some(largest) = report.cluster_sizes.largest.first() {
        let _ = writeln!(
            s,
            "largest profile: {} with {} from {}",
            largest.profile_id,
            count(largest.records, "record"),
            largest.sources.join(", ")
        );
    }
    let _ = writeln!(
        s,
        "rejected: {}, {} without identifier, {} (see rejects.csv)",
        count(t.values_rejected, "value"),
        count(t.rows_unidentified, "row"),
        count(t.rows_unreadable, "unreadable row"),
    );
    for src in report.sources.iter().filter(|x| x.no_identifier.is_some()) {
        let _ = writeln!(
            s,
            "not linked: {} has no email, phone, card or id column (what to do: stderr, \
             report.json)",
            src.name
        );
    }
}

/// One line on what the over-merge guards did.
fn guards_line(report: &Report) -> String {
    let g = &report.guards;
    let refused: u64 = g.refused_links.values().sum();
    let by_rule: Vec<String> = g
        .refused_links
        .iter()
        .filter(|(_, n)| **n > 0)
        .map(|(rule, n)| format!("{rule} {n}"))
        .collect();
    format!(
        "guards: {}, {} refused{}, {} above {} (see refused.csv)",
        count(g.generic_identifiers.total, "generic identifier"),
        count(refused, "link"),
        if by_rule.is_empty() {
            String::new()
        } else {
            format!(" ({})", by_rule.join(", "))
        },
        count(g.alarms.total, "profile"),
        count(g.settings.alarm_size, "record"),
    )
}

/// One line on the change since the previous run (`--state`).
fn since_previous_line(since: &crate::report::changes::SincePrevious) -> String {
    format!(
        "since the previous run ({}): {} new, {} grown, {} merged ({} ids absorbed), {} split, {} retired; match rate {} -> {} ({:+.1} pts), largest profile {} -> {} (see changes.csv, redirects.csv)",
        since.previous_run_at,
        since.new,
        since.grown,
        since.merged,
        since.absorbed_ids,
        since.split,
        since.retired,
        percent(since.match_rate_before),
        percent(since.match_rate_after),
        since.match_rate_change_points,
        since.largest_profile_before,
        since.largest_profile_after,
    )
}

/// One line on buyers, when the exports carry amounts.
fn transactions_line(report: &Report) -> Option<String> {
    let tx = &report.transactions;
    let purchases = tx.purchases.as_ref()?;
    let mut line = format!(
        "buyers: {} ({} of them in 2+ channels); {} purchases, {} without a profile",
        purchases.buyers,
        percent(purchases.buyers_in_several_channels_share),
        purchases.records,
        purchases.records_without_profile,
    );
    if let Some(fp) = &tx.first_purchase {
        line.push_str("; ");
        line.push_str(&first_purchase_phrase(fp));
    }
    Some(line)
}

/// How many buyers were seen before their first purchase, and the median delay of those; no
/// median when none was (it would read as a measured "0 days").
fn first_purchase_phrase(fp: &FirstPurchase) -> String {
    let mut phrase = format!(
        "first seen before buying: {} of {}",
        fp.contact_came_first, fp.buyers_measured
    );
    if fp.delays_measured() {
        let _ = write!(phrase, ", median {:.0} days", fp.median_days);
    }
    phrase
}

/// One line of campaign metrics (issue 18), or what the exports lack for them.
fn campaign_line(report: &Report) -> Option<String> {
    let c = &report.campaign;
    if c.period.is_empty() {
        // A report of an older run: no campaign section at all.
        return None;
    }
    let mut parts: Vec<String> = Vec::new();
    if let Some(l) = &c.ltv {
        let top = l
            .by_channels
            .last()
            .filter(|r| r.buyers > 0 && r.uplift > 0.0);
        let uplift = top.map_or(String::new(), |r| {
            format!(
                " ({} channels: {:.2}x the single-channel LTV)",
                r.channels, r.uplift
            )
        });
        parts.push(format!("LTV {:.2} per buyer{uplift}", l.mean));
    }
    if let Some(r) = &c.retention {
        parts.push(format!(
            "retention {} per {} (churn {})",
            percent(r.retention_rate),
            c.period,
            percent(r.churn_rate)
        ));
    }
    if let Some(r) = &c.ropo {
        parts.push(format!("ROPO {} of offline buyers", percent(r.share)));
    }
    if let Some(x) = &c.cross_channel {
        parts.push(format!(
            "{} first bought in another channel",
            percent(x.share)
        ));
    }
    if let Some(m) = &c.multichannel {
        parts.push(format!(
            "{} active in 2+ channels per {}",
            percent(m.share),
            c.period
        ));
    }
    let mut line = format!("campaign: {}", parts.join("; "));
    if parts.is_empty() {
        line = "campaign: not computed".to_owned();
    }
    for missing in &c.missing {
        let _ = write!(line, "\n  missing: {missing}");
    }
    if let Some(since) = &report.since_previous {
        campaign_changes(&mut line, &since.campaign);
    }
    Some(line)
}

/// How the campaign figures moved since the previous run (`--state`), appended to `line`.
fn campaign_changes(line: &mut String, changes: &[crate::report::campaign::MetricChange]) {
    use crate::report::campaign::Unit;
    if changes.is_empty() {
        return;
    }
    let moved: Vec<String> = changes
        .iter()
        .map(|m| {
            let name = match m.metric.as_str() {
                "ltv_mean" => "LTV".to_owned(),
                "ltv_median" => "median LTV".to_owned(),
                "ltv_uplift" => "LTV uplift".to_owned(),
                other => other.replace('_', " "),
            };
            let (before, after) = (m.before, m.after);
            match Unit::of(&m.metric) {
                Unit::Money => format!("{name} {before:.2} -> {after:.2}"),
                Unit::Ratio => format!("{name} {before:.2} -> {after:.2}"),
                Unit::Days => format!("{name} {before:.1} -> {after:.1} days"),
                Unit::Share => format!(
                    "{name} {} -> {} ({:+.1} pts)",
                    percent(before),
                    percent(after),
                    m.change
                ),
            }
        })
        .collect();
    let _ = write!(line, "\n  since the previous run: {}", moved.join(", "));
}

/// Under `--verbose` only: the customer data behind the guard counts (generic identifiers, junk
/// values, identifiers bridging alarmed profiles), which the plain summary leaves out so that
/// cron logs hold no emails, phones or cards.
pub fn render_details(report: &Report) -> String {
    const SHOWN: usize = 10;
    let g = &report.guards;
    let mut s = String::new();
    for x in g.generic_identifiers.top.iter().take(SHOWN) {
        let _ = writeln!(
            s,
            "generic {} {}: {} records, {} names ({})",
            x.kind, x.value, x.records, x.names, x.why
        );
    }
    for x in g.junk_values.top.iter().take(SHOWN) {
        let _ = writeln!(s, "junk value {}: {}", x.value, count(x.count, "cell"));
    }
    for alarm in g.alarms.top.iter().take(SHOWN) {
        for b in &alarm.bridges {
            let _ = writeln!(
                s,
                "profile {} is bridged by {} {} ({} parts without it)",
                alarm.profile_id, b.kind, b.value, b.parts
            );
        }
    }
    s
}

/// A share as a percentage with one decimal.
pub fn percent(share: f64) -> String {
    format!("{:.1}%", share * 100.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_are_singular_for_one() {
        assert_eq!(count(1, "profile"), "1 profile");
        assert_eq!(count(0, "row"), "0 rows");
        assert_eq!(count(91, "profile"), "91 profiles");
    }

    /// With nobody seen before buying there is no delay to take a median of: the line says so
    /// instead of a measured-looking "median 0 days".
    #[test]
    fn first_purchase_median_only_when_some_buyer_was_seen_before() {
        assert_eq!(
            first_purchase_phrase(&FirstPurchase::of_29_buyers(0, 0.0)),
            "first seen before buying: 0 of 29"
        );
        assert_eq!(
            first_purchase_phrase(&FirstPurchase::of_29_buyers(9, 137.4)),
            "first seen before buying: 9 of 29, median 137 days"
        );
    }
}
