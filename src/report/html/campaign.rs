//! The campaign section of report.html (issue 18): LTV and LTV by channels, retention and
//! churn, ROPO, cross-channel conversion, multi-channel use, with their definitions. When the
//! exports lack amounts or dates, the section says what is missing instead of showing zeros.

use std::fmt::Write;

use super::svg::{self, Bar, percent};
use super::tables::{Cell, money, table};
use super::{esc, section, with_code};
use crate::report::campaign::{
    Campaign, CrossChannel, Ltv, MetricChange, MultiChannel, Retention, Ropo,
};

/// Periods shown in the per-period tables (the newest; report.json has them all).
const PERIODS_SHOWN: usize = 12;

/// The formulas, in the order of the section (docs/report.md has the long form).
const DEFINITIONS: [(&str, &str); 6] = [
    (
        "LTV",
        "Per buyer (a profile with a purchase): revenue = Σ amounts above zero; orders = their count; average order value = Σ revenue ÷ Σ orders; span = last − first dated purchase. Quantiles are nearest rank over buyers.",
    ),
    (
        "LTV by channels, uplift",
        "Profiles grouped by the number of sources they appear in (1, 2, 3+): LTV = revenue ÷ buyers; uplift = LTV of the group ÷ LTV of the single-channel group.",
    ),
    (
        "retention, churn",
        "Per period: active = buyers with a dated purchase in it; retained = active now and in the previous period; lost = active in the previous period but not now; retention = retained ÷ previous active; churn = lost ÷ previous active. Overall figures sum the periods.",
    ),
    (
        "ROPO",
        "Offline buyers (a dated purchase in an offline source) whose profile has a dated record in an online source before their first offline purchase ÷ offline buyers.",
    ),
    (
        "cross-channel conversion",
        "Per buyer with a dated purchase: the source of the earliest dated record (first contact) and of the earliest dated purchase; days between them; share of buyers whose two sources differ.",
    ),
    (
        "multi-channel use",
        "Per period: profiles with dated records from 2+ sources in it ÷ profiles with a dated record in it; overall = Σ over periods ÷ Σ over periods.",
    ),
];

/// Writes the section; `changes` are the figures' changes since the previous run (`--state`).
pub(super) fn campaign(s: &mut String, c: &Campaign, changes: &[MetricChange]) {
    let tags: Vec<String> = c
        .sources
        .iter()
        .map(|t| format!("{} {}", t.source, t.touch))
        .collect();
    let intro = format!(
        "Periods are calendar {}s (UTC). Sources: {} (set `channel = \"online\"` or \
         `\"offline\"` under [sources.<name>] in omni.toml).",
        c.period,
        tags.join(", ")
    );
    section(
        s,
        "campaign",
        "Campaign metrics: LTV, retention, ROPO, channels",
        &intro,
    );
    for missing in &c.missing {
        let _ = write!(
            s,
            "<p class=\"note\">Missing: {}.</p>",
            with_code(&esc(missing))
        );
    }
    if let Some(ltv) = &c.ltv {
        ltv_html(s, ltv);
    }
    if let Some(r) = &c.retention {
        retention_html(s, r, &c.period);
    }
    if let Some(r) = &c.ropo {
        ropo_html(s, r);
    }
    if let Some(x) = &c.cross_channel {
        cross_channel_html(s, x);
    }
    if let Some(m) = &c.multichannel {
        multichannel_html(s, m, &c.period);
    }
    changes_html(s, changes);
    s.push_str("<dl>");
    for (term, text) in DEFINITIONS {
        let _ = write!(s, "<dt>{}</dt><dd>{}</dd>", esc(term), esc(text));
    }
    s.push_str("</dl></section>\n");
}

fn ltv_html(s: &mut String, l: &Ltv) {
    let _ = write!(
        s,
        "<h3>Lifetime value</h3><p><strong>{}</strong> buyers, {} orders, revenue {}. LTV per \
         buyer: mean <strong>{}</strong>, median {} (25th percentile {}, 75th {}, 90th {}); \
         {:.2} orders per buyer, average order {}; {:.1} days from first to last purchase on \
         average ({} buyers with dated purchases).</p>",
        l.buyers,
        l.orders,
        money(l.revenue),
        money(l.mean),
        money(l.median),
        money(l.p25),
        money(l.p75),
        money(l.p90),
        l.orders_per_buyer,
        money(l.average_order_value),
        l.mean_span_days,
        l.buyers_dated,
    );
    let bars: Vec<Bar> = l
        .by_channels
        .iter()
        .map(|r| Bar {
            label: format!("{} source(s)", r.channels),
            value: r.ltv,
            text: money(r.ltv),
        })
        .collect();
    let max = bars.iter().map(|b| b.value).fold(0.0, f64::max);
    s.push_str("<h3>LTV by the number of channels a customer is known in</h3>");
    s.push_str(&svg::hbars("LTV by channel count", &bars, max));
    let rows: Vec<Vec<Cell>> = l
        .by_channels
        .iter()
        .map(|r| {
            vec![
                Cell::right(&r.channels),
                Cell::num(r.profiles),
                Cell::num(r.buyers),
                Cell::right(&money(r.revenue)),
                Cell::right(&money(r.ltv)),
                Cell::right(&money(r.revenue_per_profile)),
                Cell::right(&format!("{:.2}x", r.uplift)),
            ]
        })
        .collect();
    let header = [
        "sources",
        "profiles",
        "buyers",
        "revenue",
        "LTV",
        "revenue / profile",
        "uplift vs 1",
    ];
    table(s, &header, &rows);
}

fn retention_html(s: &mut String, r: &Retention, period: &str) {
    let _ = write!(
        s,
        "<h3>Retention and churn by {period}</h3><p>Of the buyers active in a {period}, \
         <strong>{}</strong> bought again in the next one; churn <strong>{}</strong> (all \
         periods together). The last {} periods:</p>",
        percent(r.retention_rate),
        percent(r.churn_rate),
        PERIODS_SHOWN.min(r.periods.len()),
    );
    let start = r.periods.len().saturating_sub(PERIODS_SHOWN);
    let rows: Vec<Vec<Cell>> = r.periods[start..]
        .iter()
        .map(|p| {
            vec![
                Cell::text(&p.period),
                Cell::num(p.active),
                Cell::num(p.new),
                Cell::num(p.retained),
                Cell::num(p.lost),
                Cell::meter(p.retention_rate),
                Cell::right(&percent(p.churn_rate)),
            ]
        })
        .collect();
    let header = [
        period,
        "active buyers",
        "new",
        "retained",
        "lost",
        "retention",
        "churn",
    ];
    table(s, &header, &rows);
}

fn multichannel_html(s: &mut String, m: &MultiChannel, period: &str) {
    let _ = write!(
        s,
        "<h3>Customers active in two or more channels per {period}</h3><p><strong>{}</strong> \
         of active customer-{period}s used two or more channels. The last {} periods:</p>",
        percent(m.share),
        PERIODS_SHOWN.min(m.periods.len()),
    );
    let start = m.periods.len().saturating_sub(PERIODS_SHOWN);
    let rows: Vec<Vec<Cell>> = m.periods[start..]
        .iter()
        .map(|p| {
            vec![
                Cell::text(&p.period),
                Cell::num(p.active),
                Cell::num(p.multichannel),
                Cell::meter(p.share),
            ]
        })
        .collect();
    table(s, &[period, "active", "in 2+ channels", "share"], &rows);
}

/// A change's before, after and change as text: money for LTV, percentages and points for
/// shares.
pub(crate) fn figure(m: &MetricChange) -> (String, String, String) {
    use crate::report::campaign::Unit;
    match Unit::of(&m.metric) {
        Unit::Money => (money(m.before), money(m.after), format!("{:+.2}", m.change)),
        Unit::Ratio => (
            format!("{:.2}", m.before),
            format!("{:.2}", m.after),
            format!("{:+.2}", m.change),
        ),
        Unit::Days => (
            format!("{:.1} days", m.before),
            format!("{:.1} days", m.after),
            format!("{:+.1} days", m.change),
        ),
        Unit::Share => (
            percent(m.before),
            percent(m.after),
            format!("{:+.2} pts", m.change),
        ),
    }
}

fn ropo_html(s: &mut String, r: &Ropo) {
    let _ = write!(
        s,
        "<h3>ROPO: online before offline</h3><p><strong>{}</strong> of {} offline buyers \
         ({}) had an online contact before their first offline purchase. Online: {}; \
         offline: {}.</p>",
        r.online_first,
        r.offline_buyers,
        percent(r.share),
        esc(&r.online_sources.join(", ")),
        esc(&r.offline_sources.join(", ")),
    );
}

fn cross_channel_html(s: &mut String, x: &CrossChannel) {
    let _ = write!(
        s,
        "<h3>Channel of first contact → channel of first purchase</h3><p>{} of {} buyers \
         ({}) first bought in another channel than the one they first appeared in. From first \
         contact to first purchase: median {:.1} days, mean {:.1} days.</p>",
        x.cross_channel,
        x.buyers,
        percent(x.share),
        x.median_days,
        x.mean_days
    );
    let rows: Vec<Vec<Cell>> = x
        .pairs
        .iter()
        .map(|p| {
            vec![
                Cell::text(&p.first_contact),
                Cell::text(&p.first_purchase),
                Cell::num(p.buyers),
                Cell::right(&format!("{:.1}", p.median_days)),
                Cell::right(&format!("{:.1}", p.mean_days)),
            ]
        })
        .collect();
    let header = [
        "first contact",
        "first purchase",
        "buyers",
        "median days",
        "mean days",
    ];
    table(s, &header, &rows);
}

fn changes_html(s: &mut String, changes: &[MetricChange]) {
    if changes.is_empty() {
        return;
    }
    s.push_str("<h3>Since the previous run</h3>");
    let rows: Vec<Vec<Cell>> = changes
        .iter()
        .map(|m| {
            let (before, after, change) = figure(m);
            vec![
                Cell::text(&m.metric),
                Cell::right(&before),
                Cell::right(&after),
                Cell::right(&change),
            ]
        })
        .collect();
    table(s, &["metric", "before", "now", "change"], &rows);
}
