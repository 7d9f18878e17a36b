//! The report as Markdown (GitHub-flavoured tables), for pasting into a ticket or a chat:
//! `omni report OUT_DIR --format markdown`. A pure function of [`Report`].

use std::fmt::Write;

use super::transactions::{ChannelCountRow, FirstPurchase, Transactions};
use super::{Report, share};

/// Renders the whole report as Markdown.
pub fn render(report: &Report) -> String {
    let mut s = String::new();
    let t = &report.totals;
    let _ = writeln!(s, "## omni match-rate report\n");
    let _ = writeln!(
        s,
        "**{} rows** from {} sources → **{} profiles**; match rate **{}** ({} profiles in 2+ \
         sources); {:.2} records per profile.\n",
        t.rows_read,
        t.sources,
        t.profiles,
        pct(report.match_rate.overall),
        report.match_rate.profiles_in_several_sources,
        report.dedup.records_per_profile,
    );
    sources(&mut s, report);
    identifier_quality(&mut s, report);
    overlap(&mut s, report);
    channels_and_clusters(&mut s, report);
    reachability(&mut s, report);
    transactions(&mut s, &report.transactions);
    campaign(&mut s, &report.campaign);
    guards(&mut s, report);
    s
}

/// Profiles by their number of sources, by their number of records, and the largest ones.
fn channels_and_clusters(s: &mut String, report: &Report) {
    let t = &report.totals;
    let _ = writeln!(s, "### Channels per customer\n");
    let rows: Vec<Vec<String>> = report
        .channels_per_customer
        .iter()
        .map(|(k, v)| vec![k.clone(), v.to_string(), pct(share(*v, t.profiles))])
        .collect();
    table(s, &["sources", "profiles", "share"], &rows);
    let _ = writeln!(s, "### Cluster sizes\n");
    let rows: Vec<Vec<String>> = report
        .cluster_sizes
        .histogram
        .iter()
        .map(|b| vec![b.size.clone(), b.profiles.to_string()])
        .collect();
    table(s, &["records", "profiles"], &rows);
    let rows: Vec<Vec<String>> = report
        .cluster_sizes
        .largest
        .iter()
        .take(5)
        .map(|p| {
            vec![
                format!("`{}`", p.profile_id),
                p.records.to_string(),
                p.sources.join(", "),
            ]
        })
        .collect();
    if !rows.is_empty() {
        let _ = writeln!(s, "Largest profiles (`omni explain OUT_DIR <id>`):\n");
        table(s, &["profile", "records", "sources"], &rows);
    }
}

fn reachability(s: &mut String, report: &Report) {
    let r = &report.reachability;
    let _ = writeln!(s, "### Reachability\n");
    table(
        s,
        &["email", "phone", "both", "neither", "gained a channel"],
        &[vec![
            r.email.to_string(),
            r.phone.to_string(),
            r.both.to_string(),
            r.neither.to_string(),
            r.gained_a_channel.to_string(),
        ]],
    );
}

fn guards(s: &mut String, report: &Report) {
    let g = &report.guards;
    let _ = writeln!(s, "### Guards\n");
    let refused: Vec<String> = g
        .refused_links
        .iter()
        .map(|(rule, n)| format!("{rule} {n}"))
        .collect();
    let _ = writeln!(
        s,
        "{} junk values, {} generic identifiers, refused links: {}; {} profiles above {} records.",
        g.junk_values.total,
        g.generic_identifiers.total,
        refused.join(", "),
        g.alarms.total,
        g.settings.alarm_size,
    );
}

fn sources(s: &mut String, report: &Report) {
    let _ = writeln!(s, "### Sources\n");
    let rows: Vec<Vec<String>> = report
        .sources
        .iter()
        .map(|x| {
            vec![
                x.name.clone(),
                x.rows_read.to_string(),
                x.records_in_profiles.to_string(),
                x.rows_unidentified.to_string(),
                x.rows_unreadable.to_string(),
                x.profiles.to_string(),
                x.duplicates_within.to_string(),
                pct(x.match_rate),
            ]
        })
        .collect();
    table(
        s,
        &[
            "source",
            "rows",
            "in profiles",
            "no identifier",
            "unreadable",
            "profiles",
            "duplicates",
            "match rate",
        ],
        &rows,
    );
}

fn identifier_quality(s: &mut String, report: &Report) {
    let _ = writeln!(s, "### Identifier quality\n");
    let mut rows = Vec::new();
    for x in &report.sources {
        for c in x.columns.iter().filter(|c| c.filled > 0 || c.valid > 0) {
            let reasons = |m: &std::collections::BTreeMap<String, u64>| {
                if m.is_empty() {
                    return "-".to_owned();
                }
                m.iter()
                    .map(|(k, v)| format!("{k} {v}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            rows.push(vec![
                x.name.clone(),
                c.name.clone(),
                c.role.clone(),
                pct(c.fill_rate),
                pct(c.valid_rate),
                reasons(&c.rejected),
                reasons(&c.blocked),
            ]);
        }
    }
    table(
        s,
        &[
            "source", "column", "role", "filled", "valid", "rejected", "blocked",
        ],
        &rows,
    );
}

fn overlap(s: &mut String, report: &Report) {
    let o = &report.overlap;
    let _ = writeln!(
        s,
        "### Overlap\n\nProfiles in both sources (share of the row's source).\n"
    );
    let mut header = vec![""];
    header.extend(o.sources.iter().map(String::as_str));
    let rows: Vec<Vec<String>> = o
        .sources
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let mut row = vec![name.clone()];
            row.extend(
                (0..o.sources.len())
                    .map(|j| format!("{} ({})", o.profiles[i][j], pct(o.share[i][j]))),
            );
            row
        })
        .collect();
    table(s, &header, &rows);
}

/// The first-purchase paragraph; the delay quantiles only when some buyer was seen before
/// buying.
fn first_purchase_line(fp: &FirstPurchase) -> String {
    let mut line = format!(
        "First contact → first purchase: {} buyers measured; for {} the purchase was the first \
         contact; ",
        fp.buyers_measured, fp.purchase_was_first_contact,
    );
    if fp.delays_measured() {
        let _ = writeln!(
            line,
            "the {} seen before buying waited a median {:.1} days (p25 {:.1}, p75 {:.1}, p90 \
             {:.1}).\n",
            fp.contact_came_first, fp.median_days, fp.p25_days, fp.p75_days, fp.p90_days,
        );
    } else {
        line.push_str("none was seen before buying.\n\n");
    }
    line
}

fn transactions(s: &mut String, tx: &Transactions) {
    let _ = writeln!(s, "### Transactions\n");
    let Some(p) = &tx.purchases else {
        let _ = writeln!(s, "Not computed: {}.\n", tx.note);
        return;
    };
    let _ = writeln!(
        s,
        "{} purchases, revenue {:.2} ({} purchases without a profile); {} buyers, {} of them \
         ({}) in 2+ channels.\n",
        p.records,
        p.revenue,
        p.records_without_profile,
        p.buyers,
        p.buyers_in_several_channels,
        pct(p.buyers_in_several_channels_share),
    );
    let rows: Vec<Vec<String>> = tx
        .by_channel_count
        .iter()
        .map(|r| r.cells(|v| format!("{v:.2}")).to_vec())
        .collect();
    table(s, &ChannelCountRow::HEADERS, &rows);
    if let Some(fp) = &tx.first_purchase {
        s.push_str(&first_purchase_line(fp));
    }
    if !tx.note.is_empty() {
        let _ = writeln!(s, "Note: {}.\n", tx.note);
    }
}

/// The campaign metrics (issue 18): LTV by channels, retention, ROPO, cross-channel pairs,
/// multi-channel use; what is missing when the exports lack amounts or dates.
fn campaign(s: &mut String, c: &super::campaign::Campaign) {
    if c.period.is_empty() {
        return;
    }
    let _ = writeln!(s, "### Campaign metrics\n");
    for missing in &c.missing {
        let _ = writeln!(s, "Missing: {missing}.\n");
    }
    if let Some(l) = &c.ltv {
        campaign_ltv(s, l);
    }
    if let Some(r) = &c.retention {
        let _ = writeln!(
            s,
            "Retention per {}: {} (churn {}), over {} periods.\n",
            c.period,
            pct(r.retention_rate),
            pct(r.churn_rate),
            r.periods.len()
        );
    }
    if let Some(r) = &c.ropo {
        let _ = writeln!(
            s,
            "ROPO: {} of {} offline buyers ({}) had an online contact first.\n",
            r.online_first,
            r.offline_buyers,
            pct(r.share)
        );
    }
    if let Some(x) = &c.cross_channel {
        campaign_cross_channel(s, x);
    }
    if let Some(m) = &c.multichannel {
        let _ = writeln!(
            s,
            "Active in 2+ channels per {}: {}.\n",
            c.period,
            pct(m.share)
        );
    }
}

/// Buyers who first bought in another channel than the one they were first seen in.
fn campaign_cross_channel(s: &mut String, x: &super::campaign::CrossChannel) {
    let _ = writeln!(
        s,
        "First bought in another channel than first seen: {} of {} buyers ({}); first \
         contact to first purchase: median {:.1} days.\n",
        x.cross_channel,
        x.buyers,
        pct(x.share),
        x.median_days
    );
    let rows: Vec<Vec<String>> = x
        .pairs
        .iter()
        .map(|p| {
            vec![
                p.first_contact.clone(),
                p.first_purchase.clone(),
                p.buyers.to_string(),
                format!("{:.1}", p.median_days),
            ]
        })
        .collect();
    table(
        s,
        &["first contact", "first purchase", "buyers", "median days"],
        &rows,
    );
}

fn campaign_ltv(s: &mut String, l: &super::campaign::Ltv) {
    let _ = writeln!(
        s,
        "LTV: {} buyers, mean {:.2}, median {:.2} (p25 {:.2}, p75 {:.2}, p90 {:.2}); {:.2} \
         orders per buyer, average order {:.2}, mean span {:.1} days.\n",
        l.buyers,
        l.mean,
        l.median,
        l.p25,
        l.p75,
        l.p90,
        l.orders_per_buyer,
        l.average_order_value,
        l.mean_span_days,
    );
    let rows: Vec<Vec<String>> = l
        .by_channels
        .iter()
        .map(|r| {
            vec![
                r.channels.clone(),
                r.profiles.to_string(),
                r.buyers.to_string(),
                format!("{:.2}", r.revenue),
                format!("{:.2}", r.ltv),
                format!("{:.2}x", r.uplift),
            ]
        })
        .collect();
    table(
        s,
        &[
            "sources",
            "profiles",
            "buyers",
            "revenue",
            "LTV",
            "uplift vs 1",
        ],
        &rows,
    );
}

/// A GitHub table; `|` in cells is escaped.
fn table(s: &mut String, header: &[&str], rows: &[Vec<String>]) {
    let cell = |v: &str| v.replace('|', "\\|").replace('\n', " ");
    let _ = writeln!(
        s,
        "| {} |",
        header
            .iter()
            .map(|h| cell(h))
            .collect::<Vec<_>>()
            .join(" | ")
    );
    let _ = writeln!(
        s,
        "|{}",
        (0..header.len())
            .map(|i| if is_numeric(rows, i) { "---:|" } else { "---|" })
            .collect::<String>()
    );
    for row in rows {
        let _ = writeln!(
            s,
            "| {} |",
            row.iter().map(|v| cell(v)).collect::<Vec<_>>().join(" | ")
        );
    }
    let _ = writeln!(s);
}

/// Numbers are right-aligned: a column whose cells all start with a digit.
fn is_numeric(rows: &[Vec<String>], column: usize) -> bool {
    !rows.is_empty()
        && rows.iter().all(|r| {
            r.get(column)
                .is_some_and(|v| v.starts_with(|c: char| c.is_ascii_digit()))
        })
}

fn pct(share: f64) -> String {
    format!("{:.1}%", share * 100.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pipes_in_cells_are_escaped() {
        let mut s = String::new();
        table(&mut s, &["a", "b"], &[vec!["x|y".into(), "1".into()]]);
        assert_eq!(s, "| a | b |\n|---|---:|\n| x\\|y | 1 |\n\n");
    }

    /// Without a buyer seen before buying there are no delays: no "median 0.0 days".
    #[test]
    fn first_purchase_delays_only_when_measured() {
        let none = first_purchase_line(&FirstPurchase::of_29_buyers(0, 0.0));
        assert_eq!(
            none,
            "First contact → first purchase: 29 buyers measured; for 29 the purchase was the \
             first contact; none was seen before buying.\n\n"
        );
        let some = first_purchase_line(&FirstPurchase::of_29_buyers(9, 137.4));
        assert!(
            some.ends_with("the 9 seen before buying waited a median 137.4 days (p25 0.0, p75 0.0, p90 0.0).\n\n"),
            "{some}"
        );
    }
}
