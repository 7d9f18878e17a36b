//! report.html: the report as one self-contained page for people (DESIGN.md §4).
//!
//! `render` is a pure function of [`Report`]: inline CSS, inline SVG charts (see `svg`), no
//! scripts, no fonts or images from anywhere, so the page opens offline, from a mail attachment
//! or a file share, and prints. Text uses the system font stack (Cyrillic renders wherever the
//! system has a font for it) and the page declares UTF-8. Every value from the data (source and
//! column names, identifiers, notes) goes through [`esc`].

mod campaign;
mod definitions;
mod probabilistic;
mod svg;
mod tables;

use std::fmt::Write;

use super::Report;
use super::transactions::{ChannelCountRow, FirstPurchase, Transactions};
use definitions::definitions;
use svg::{Bar, Segment, percent};
use tables::{Cell, money, table};

/// SVG width of the two histograms drawn side by side.
const HALF: f64 = 480.0;

/// The page's stylesheet (kept in its own file so that it reads as CSS).
const STYLE: &str = include_str!("style.css");

/// Renders the whole page.
pub fn render(report: &Report) -> String {
    let mut s = String::with_capacity(64 * 1024);
    let _ = write!(
        s,
        r#"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="omni {version}">
<title>omni match-rate report</title>
<style>
{STYLE}</style>
</head>
<body>
<header><h1>Match-rate report</h1><p class="muted">omni {version} · report.json schema {schema} · {sources} sources, {rows} rows</p></header>
<main>
"#,
        version = esc(&report.omni_version),
        schema = report.schema_version,
        sources = report.totals.sources,
        rows = report.totals.rows_read,
    );
    headline(&mut s, report);
    if let Some(since) = &report.since_previous {
        since_previous(&mut s, since);
    }
    match_rates(&mut s, report);
    overlap(&mut s, report);
    distributions(&mut s, report);
    quality(&mut s, report);
    largest(&mut s, report);
    reachability(&mut s, report);
    transactions(&mut s, &report.transactions);
    let changes = report
        .since_previous
        .as_ref()
        .map_or(&[][..], |p| &p.campaign[..]);
    campaign::campaign(&mut s, &report.campaign, changes);
    guards(&mut s, report);
    if let Some(p) = &report.probabilistic {
        probabilistic::render(&mut s, p);
    }
    definitions(&mut s);
    s.push_str("</main>\n<footer class=\"muted\">Written by <code>omni merge</code>. The same numbers are in report.json; <code>omni report OUT_DIR --format markdown</code> prints them as tables.</footer>\n</body>\n</html>\n");
    s
}

/// Turns `` `command` `` spans of already escaped text into `<code>` elements.
fn with_code(escaped: &str) -> String {
    let mut out = String::with_capacity(escaped.len() + 16);
    for (i, part) in escaped.split('`').enumerate() {
        if i % 2 == 1 {
            let _ = write!(out, "<code>{part}</code>");
        } else {
            out.push_str(part);
        }
    }
    out
}

/// Escapes text for HTML element content and attribute values (`&`, `<`, `>`, `"`, `'`).
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

fn section(s: &mut String, id: &str, title: &str, intro: &str) {
    let _ = write!(s, "<section id=\"{id}\"><h2>{}</h2>", esc(title));
    if !intro.is_empty() {
        let _ = write!(s, "<p class=\"muted\">{}</p>", with_code(&esc(intro)));
    }
}

fn headline(s: &mut String, report: &Report) {
    let t = &report.totals;
    let r = &report.reachability;
    let mut cards = vec![
        (
            percent(report.match_rate.overall),
            format!(
                "match rate: {} of {} profiles in 2+ sources",
                report.match_rate.profiles_in_several_sources, t.profiles
            ),
        ),
        (t.profiles.to_string(), "golden profiles".to_owned()),
        (
            t.rows_read.to_string(),
            format!(
                "rows read: {} in profiles, {} without identifier, {} unreadable",
                t.records_in_profiles, t.rows_unidentified, t.rows_unreadable
            ),
        ),
        (
            format!("{:.2}", report.dedup.records_per_profile),
            format!(
                "records per profile ({} duplicates inside sources)",
                report.dedup.duplicates_within_sources
            ),
        ),
        (
            r.email.to_string(),
            format!(
                "reachable by email ({} by phone, {} by both)",
                r.phone, r.both
            ),
        ),
        (
            r.gained_a_channel.to_string(),
            "profiles that gained a contact channel through unification".to_owned(),
        ),
    ];
    if let Some(p) = &report.transactions.purchases {
        cards.push((
            percent(p.buyers_in_several_channels_share),
            format!(
                "of {} buyers bought in 2+ channels ({})",
                p.buyers, p.buyers_in_several_channels
            ),
        ));
    }
    s.push_str("<section id=\"headline\" class=\"cards\">");
    for (value, label) in cards {
        let _ = write!(
            s,
            "<div class=\"card\"><div class=\"big\">{}</div><div class=\"muted\">{}</div></div>",
            esc(&value),
            esc(&label)
        );
    }
    s.push_str("</section>\n");
}

fn match_rates(s: &mut String, report: &Report) {
    section(
        s,
        "match-rate",
        "Match rate per source",
        "Share of each source's records whose profile also appears in another source.",
    );
    let charted = largest_sources(report);
    if charted.len() < report.sources.len() {
        let _ = write!(
            s,
            "<p>The chart shows the {} largest of {} sources (by rows); the table lists them \
             all.</p>",
            charted.len(),
            report.sources.len()
        );
    }
    let bars: Vec<Bar> = charted
        .iter()
        .map(|x| Bar {
            label: x.name.clone(),
            value: x.match_rate,
            text: percent(x.match_rate),
        })
        .collect();
    s.push_str(&svg::hbars("Match rate per source", &bars, 1.0));
    source_table(s, report);
    s.push_str("</section>\n");
}

/// Every source's accounting and match rate.
fn source_table(s: &mut String, report: &Report) {
    let rows: Vec<Vec<Cell>> = report
        .sources
        .iter()
        .map(|x| {
            vec![
                Cell::text(&x.name),
                Cell::text(&format!("{} {}", x.format, x.encoding)),
                Cell::num(x.rows_read),
                Cell::num(x.records_in_profiles),
                Cell::num(x.rows_unidentified),
                Cell::num(x.rows_unreadable),
                Cell::num(x.profiles),
                Cell::num(x.duplicates_within),
                Cell::num(x.records_matched),
                Cell::right(&percent(x.match_rate)),
            ]
        })
        .collect();
    table(
        s,
        &[
            "source",
            "read as",
            "rows",
            "in profiles",
            "no identifier",
            "unreadable",
            "profiles",
            "duplicates inside",
            "matched records",
            "match rate",
        ],
        &rows,
    );
}

/// The sources a chart shows: all of them, or the `OVERLAP_SOURCES` with the most rows (in
/// report order), so a run over hundreds of files keeps a readable chart (issue 16).
fn largest_sources(report: &Report) -> Vec<&crate::report::metrics::SourceReport> {
    let limit = crate::report::metrics::OVERLAP_SOURCES;
    let mut picked: Vec<usize> = (0..report.sources.len()).collect();
    if picked.len() > limit {
        picked.sort_by_key(|&i| (std::cmp::Reverse(report.sources[i].rows_read), i));
        picked.truncate(limit);
        picked.sort_unstable();
    }
    picked.into_iter().map(|i| &report.sources[i]).collect()
}

fn overlap(s: &mut String, report: &Report) {
    let o = &report.overlap;
    section(
        s,
        "overlap",
        "Overlap between sources",
        "Row source → column source: profiles known to both, and their share of the row source's \
         profiles. The diagonal is each source's own profile count.",
    );
    if !o.other_sources.is_empty() {
        let _ = write!(
            s,
            "<p>{} sources have a row of their own (the largest by rows); the last row, {}, \
             counts the profiles with a record in any of these: {}.</p>",
            o.sources.len() - 1,
            esc(o.sources.last().map_or("", String::as_str)),
            esc(&o.other_sources.join(", "))
        );
    }
    s.push_str(&svg::heatmap(
        "Overlap matrix",
        &o.sources,
        &o.profiles,
        &o.share,
    ));
    s.push_str("</section>\n");
}

fn distributions(s: &mut String, report: &Report) {
    let total = report.totals.profiles;
    s.push_str("<div class=\"pair\">");
    section(
        s,
        "channels",
        "Channels per customer",
        "Profiles by the number of sources they appear in.",
    );
    let bars: Vec<Bar> = report
        .channels_per_customer
        .iter()
        .map(|(k, v)| Bar {
            label: k.clone(),
            value: *v as f64,
            text: if report.channels_per_customer.len() <= 5 {
                format!("{v} ({})", percent(super::share(*v, total)))
            } else {
                v.to_string()
            },
        })
        .collect();
    s.push_str(&svg::columns(
        "Channels per customer",
        &bars,
        "sources per profile",
        HALF,
    ));
    s.push_str("</section>\n");
    section(
        s,
        "cluster-sizes",
        "Cluster sizes",
        "Profiles by the number of records they hold.",
    );
    let bars: Vec<Bar> = report
        .cluster_sizes
        .histogram
        .iter()
        .map(|b| Bar {
            label: b.size.clone(),
            value: b.profiles as f64,
            text: b.profiles.to_string(),
        })
        .collect();
    s.push_str(&svg::columns(
        "Cluster sizes",
        &bars,
        "records per profile",
        HALF,
    ));
    s.push_str("</section></div>\n");
}

fn quality(s: &mut String, report: &Report) {
    section(
        s,
        "quality",
        "Identifier quality",
        "Per source and identifier column: filled cells, valid values, rejected values by reason \
         (rejects.csv), and valid values whose link a guard blocked (refused.csv).",
    );
    let mut rows = Vec::new();
    for x in &report.sources {
        for c in x.columns.iter().filter(|c| c.filled > 0 || c.valid > 0) {
            rows.push(vec![
                Cell::text(&x.name),
                Cell::text(&c.name),
                Cell::text(&c.role),
                Cell::meter(c.fill_rate),
                Cell::meter(c.valid_rate),
                Cell::num(c.filled),
                Cell::num(c.valid),
                Cell::text(&reasons(&c.rejected)),
                Cell::text(&reasons(&c.blocked)),
            ]);
        }
    }
    table(
        s,
        &[
            "source",
            "column",
            "role",
            "fill rate",
            "valid rate",
            "filled",
            "valid",
            "rejected",
            "blocked",
        ],
        &rows,
    );
    s.push_str("</section>\n");
}

fn reasons(m: &std::collections::BTreeMap<String, u64>) -> String {
    if m.is_empty() {
        return "–".to_owned();
    }
    m.iter()
        .map(|(k, v)| format!("{k} {v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// With `--state`: what changed since the previous run.
fn since_previous(s: &mut String, since: &crate::report::changes::SincePrevious) {
    section(
        s,
        "since-previous",
        "Since the previous run",
        "Profile ids carried over from the previous run; every event is a row of changes.csv, and redirects.csv maps absorbed ids to current ones.",
    );
    let _ = write!(
        s,
        "<p>Run {run}{mode}, previous run at {at}: {before} → {after} profiles.</p>",
        run = since.run,
        mode = if since.incremental {
            " (incremental)"
        } else {
            ""
        },
        at = esc(&since.previous_run_at),
        before = since.profiles_before,
        after = since.profiles_after,
    );
    let events = [
        ("new", since.new),
        ("grown", since.grown),
        ("merged", since.merged),
        ("ids absorbed by merges", since.absorbed_ids),
        ("split", since.split),
        ("retired", since.retired),
        ("unchanged", since.unchanged),
    ];
    let mut rows: Vec<Vec<Cell>> = events
        .iter()
        .map(|(what, n)| vec![Cell::text(what), Cell::num(*n)])
        .collect();
    rows.push(vec![
        Cell::text("match rate"),
        Cell::text(&format!(
            "{} → {} ({:+.1} points)",
            svg::percent(since.match_rate_before),
            svg::percent(since.match_rate_after),
            since.match_rate_change_points
        )),
    ]);
    rows.push(vec![
        Cell::text("largest profile (records)"),
        Cell::text(&format!(
            "{} → {}",
            since.largest_profile_before, since.largest_profile_after
        )),
    ]);
    rows.push(vec![
        Cell::text("rows in no profile"),
        Cell::text(&format!(
            "{} → {}",
            svg::percent(since.reject_share_before),
            svg::percent(since.reject_share_after)
        )),
    ]);
    table(s, &["", "profiles"], &rows);
    s.push_str("</section>\n");
}

fn largest(s: &mut String, report: &Report) {
    section(
        s,
        "largest",
        "Largest profiles",
        "See how one was joined with `omni explain OUT_DIR <profile id>`.",
    );
    let rows: Vec<Vec<Cell>> = report
        .cluster_sizes
        .largest
        .iter()
        .map(|p| {
            vec![
                Cell::code(&p.profile_id),
                Cell::num(p.records),
                Cell::text(&p.sources.join(", ")),
                Cell::num(p.emails),
                Cell::num(p.phones),
                Cell::num(p.cards),
            ]
        })
        .collect();
    table(
        s,
        &["profile", "records", "sources", "emails", "phones", "cards"],
        &rows,
    );
    s.push_str("</section>\n");
}

fn reachability(s: &mut String, report: &Report) {
    let r = &report.reachability;
    section(
        s,
        "reachability",
        "Reachability",
        "Whom a cascade (email first, then a messenger, then SMS) can reach.",
    );
    let parts = [
        Segment {
            label: "email and phone".to_owned(),
            value: r.both,
            class: "seg1",
        },
        Segment {
            label: "email only".to_owned(),
            value: r.email.saturating_sub(r.both),
            class: "seg2",
        },
        Segment {
            label: "phone only".to_owned(),
            value: r.phone.saturating_sub(r.both),
            class: "seg3",
        },
        Segment {
            label: "neither (card or id only)".to_owned(),
            value: r.neither,
            class: "seg4",
        },
    ];
    s.push_str(&svg::stacked("Reachability", &parts));
    let _ = writeln!(
        s,
        "<p><strong>{}</strong> profiles gained a contact channel through unification: at least \
         one of their records lacked an email or phone that another record of the same person \
         supplied.</p></section>",
        r.gained_a_channel
    );
}

/// The first-purchase heading and paragraph; the delay quantiles only when some buyer was
/// seen before buying.
fn first_purchase_paragraph(fp: &FirstPurchase) -> String {
    let mut p = format!(
        "<h3>First contact → first purchase</h3><p>{} buyers measured ({} without a timestamp \
         on their purchases). For {} the first purchase was the first contact; ",
        fp.buyers_measured, fp.buyers_without_time, fp.purchase_was_first_contact,
    );
    if fp.delays_measured() {
        let _ = write!(
            p,
            "the {} seen before buying waited a median of <strong>{:.1} days</strong> (25th \
             percentile {:.1}, 75th {:.1}, 90th {:.1}).</p>",
            fp.contact_came_first, fp.median_days, fp.p25_days, fp.p75_days, fp.p90_days,
        );
    } else {
        p.push_str("none was seen before buying.</p>");
    }
    p
}

fn transactions(s: &mut String, tx: &Transactions) {
    section(
        s,
        "transactions",
        "Purchases across channels",
        "A purchase is a record with an amount above zero.",
    );
    let Some(p) = &tx.purchases else {
        let _ = writeln!(
            s,
            "<p class=\"note\">Not computed: {}.</p></section>",
            esc(&tx.note)
        );
        return;
    };
    let _ = write!(
        s,
        "<p><strong>{}</strong> buyers; <strong>{}</strong> ({}) bought in two or more channels. \
         {} purchases, revenue {}; {} purchases ({}) belong to no profile (anonymous). Amounts \
         from {}.</p>",
        p.buyers,
        p.buyers_in_several_channels,
        percent(p.buyers_in_several_channels_share),
        p.records,
        money(p.revenue),
        p.records_without_profile,
        money(p.revenue_without_profile),
        esc(&tx.amount_columns.join(", ")),
    );
    revenue_by_channel_count(s, tx);
    if let Some(fp) = &tx.first_purchase {
        s.push_str(&first_purchase_paragraph(fp));
        first_purchase_chart(s, fp);
    }
    if !tx.note.is_empty() {
        let _ = write!(s, "<p class=\"note\">{}.</p>", esc(&tx.note));
    }
    s.push_str("</section>\n");
}

/// Revenue per profile by the number of sources it appears in: a chart and a table.
fn revenue_by_channel_count(s: &mut String, tx: &Transactions) {
    let bars: Vec<Bar> = tx
        .by_channel_count
        .iter()
        .map(|r| Bar {
            label: format!(
                "{} source{}",
                r.channels,
                if r.channels == 1 { "" } else { "s" }
            ),
            value: r.revenue_per_profile,
            text: money(r.revenue_per_profile),
        })
        .collect();
    let max = bars.iter().map(|b| b.value).fold(0.0, f64::max);
    s.push_str("<h3>Revenue per profile by the number of sources it appears in</h3>");
    s.push_str(&svg::hbars(
        "Revenue per profile by channel count",
        &bars,
        max,
    ));
    let rows: Vec<Vec<Cell>> = tx
        .by_channel_count
        .iter()
        .map(|r| r.cells(money).iter().map(|v| Cell::right(v)).collect())
        .collect();
    table(s, &ChannelCountRow::HEADERS, &rows);
}

/// Buyers by the time from their first contact to their first purchase.
fn first_purchase_chart(s: &mut String, fp: &FirstPurchase) {
    let bars: Vec<Bar> = fp
        .histogram
        .iter()
        .map(|b| Bar {
            label: b.delay.replace(" (the purchase was the first contact)", ""),
            value: b.buyers as f64,
            text: b.buyers.to_string(),
        })
        .collect();
    s.push_str(&svg::columns(
        "First contact to first purchase",
        &bars,
        "time from first contact to first purchase (0 = the purchase was the first contact)",
        720.0,
    ));
}

fn guards(s: &mut String, report: &Report) {
    let g = &report.guards;
    section(
        s,
        "guards",
        "Over-merge guards",
        "What kept unrelated people apart. Every refused link is in refused.csv.",
    );
    let refused: u64 = g.refused_links.values().sum();
    let _ = write!(
        s,
        "<ul><li><strong>{}</strong> junk values rejected</li><li><strong>{}</strong> generic \
         identifiers (they link nobody)</li><li><strong>{refused}</strong> links refused: {}</li>\
         <li><strong>{}</strong> profiles above the alarm size of {} records ({})</li></ul>",
        g.junk_values.total,
        g.generic_identifiers.total,
        esc(&reasons(&g.refused_links)),
        g.alarms.total,
        g.settings.alarm_size,
        esc(&g.settings.alarm_size_from),
    );
    junk_and_generic(s, g);
    alarms(s, g);
    s.push_str("</section>\n");
}

/// The most frequent junk values and the generic identifiers, when there are any.
fn junk_and_generic(s: &mut String, g: &crate::report::guards::GuardsReport) {
    if !g.junk_values.top.is_empty() {
        s.push_str("<h3>Most frequent junk values</h3>");
        let rows: Vec<Vec<Cell>> = g
            .junk_values
            .top
            .iter()
            .take(10)
            .map(|j| vec![Cell::code(&j.value), Cell::num(j.count)])
            .collect();
        table(s, &["value", "cells"], &rows);
    }
    if !g.generic_identifiers.top.is_empty() {
        s.push_str("<h3>Generic identifiers</h3>");
        let rows: Vec<Vec<Cell>> = g
            .generic_identifiers
            .top
            .iter()
            .take(10)
            .map(|x| {
                vec![
                    Cell::text(&x.kind),
                    Cell::code(&x.value),
                    Cell::num(x.records),
                    Cell::text(&x.why),
                ]
            })
            .collect();
        table(s, &["kind", "value", "records", "why"], &rows);
    }
}

/// The profiles above the alarm size and the identifiers bridging them, when there are any.
fn alarms(s: &mut String, g: &crate::report::guards::GuardsReport) {
    if g.alarms.top.is_empty() {
        return;
    }
    s.push_str("<h3>Alarms</h3>");
    let rows: Vec<Vec<Cell>> = g
        .alarms
        .top
        .iter()
        .map(|a| {
            let bridges: Vec<String> = a
                .bridges
                .iter()
                .map(|b| format!("{} {} ({} parts)", b.kind, b.value, b.parts))
                .collect();
            vec![
                Cell::code(&a.profile_id),
                Cell::num(a.records),
                Cell::text(&bridges.join("; ")),
            ]
        })
        .collect();
    table(s, &["profile", "records", "bridged by"], &rows);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Without a buyer seen before buying there are no delays: no "median of 0.0 days".
    #[test]
    fn first_purchase_delays_only_when_measured() {
        let none = first_purchase_paragraph(&FirstPurchase::of_29_buyers(0, 0.0));
        assert!(
            none.ends_with("the first contact; none was seen before buying.</p>"),
            "{none}"
        );
        assert!(!none.contains("median"), "{none}");
        let some = first_purchase_paragraph(&FirstPurchase::of_29_buyers(9, 137.4));
        assert!(
            some.ends_with(
                "the 9 seen before buying waited a median of <strong>137.4 days</strong> (25th \
                 percentile 0.0, 75th 0.0, 90th 0.0).</p>"
            ),
            "{some}"
        );
    }

    #[test]
    fn backticks_become_code() {
        assert_eq!(
            with_code(&esc("run `omni explain <id>` now")),
            "run <code>omni explain &lt;id&gt;</code> now"
        );
    }

    #[test]
    fn escaping_covers_markup_and_quotes() {
        assert_eq!(
            esc(r#"<a href="x">'Иван' & Co</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&#39;Иван&#39; &amp; Co&lt;/a&gt;"
        );
    }
}
