//! Campaign metrics (issue 18): lifetime value, retention and churn by period, ROPO (online
//! contact before an offline purchase), cross-channel conversion and time to purchase, and how
//! often customers use several channels in one period. docs/report.md gives every formula.
//!
//! Takes the run's records (source, earliest timestamp, amount) and profiles, the period and
//! each source's online/offline tag; gives [`Campaign`], a section of report.json. A purchase
//! is a record with an amount above zero, as in `transactions`; a *dated* record has a
//! timestamp. When the exports carry no amounts or no dates, the section holds no figures and
//! `missing` says what the exports lack, so "no buyers" is never confused with "no data".

use serde::{Deserialize, Serialize};

use crate::extract::{Extracted, NO_TIME};
use crate::profile::Profiles;

mod events;
mod ltv;
mod periods;
mod ropo;

pub use events::Event;
pub use ltv::{Ltv, LtvByChannels};
pub use periods::{MultiChannel, MultiChannelRow, Retention, RetentionRow};
pub use ropo::{CrossChannel, CrossChannelRow, Ropo};

/// `online` or `offline`: where a source's contacts and purchases happen.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Touch {
    /// Web shop, app, email.
    Online,
    /// Stores, tills, receipts.
    Offline,
}

/// The period of retention and multi-channel metrics.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Period {
    /// Calendar months (`2026-03`).
    #[default]
    Month,
    /// Calendar quarters (`2026-Q1`).
    Quarter,
}

/// `[report]` as written.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ReportSection {
    /// `month` (default) or `quarter`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub period: Option<Period>,
}

impl ReportSection {
    /// True when nothing is set.
    pub fn is_unset(&self) -> bool {
        self.period.is_none()
    }
}

/// Words in a source's name that make it offline or online by default (checked in this order).
const OFFLINE_WORDS: [&str; 6] = ["receipt", "till", "pos", "store", "retail", "offline"];
const ONLINE_WORDS: [&str; 9] = [
    "shop", "web", "site", "app", "mobile", "email", "mail", "online", "ecom",
];

/// One source's tag.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SourceTouch {
    /// Source name.
    pub source: String,
    /// `online`, `offline`, or `unknown` (left out of ROPO).
    pub touch: String,
    /// `config` or `name` (the default from the source's name), empty when unknown.
    pub from: String,
}

impl SourceTouch {
    /// The tag as a [`Touch`] (`None` for `unknown`).
    pub fn parsed(&self) -> Option<Touch> {
        match self.touch.as_str() {
            "online" => Some(Touch::Online),
            "offline" => Some(Touch::Offline),
            _ => None,
        }
    }
}

/// The default tag of a source from its name (file stem): receipts, tills, POS and stores are
/// offline; shops, sites, apps and email lists are online; anything else is unknown.
pub fn default_touch(name: &str) -> Option<Touch> {
    let name = name.to_lowercase();
    let has = |words: &[&str]| words.iter().any(|w| name.contains(w));
    if has(&OFFLINE_WORDS) {
        Some(Touch::Offline)
    } else if has(&ONLINE_WORDS) {
        Some(Touch::Online)
    } else {
        None
    }
}

/// The campaign section of report.json.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Campaign {
    /// True when at least one dated purchase exists.
    pub available: bool,
    /// What the exports lack for the missing figures; empty when nothing is missing.
    pub missing: Vec<String>,
    /// `month` or `quarter`.
    pub period: String,
    /// Each source's online/offline tag.
    pub sources: Vec<SourceTouch>,
    /// Lifetime value per buyer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ltv: Option<Ltv>,
    /// Retention and churn by period.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retention: Option<Retention>,
    /// Offline buyers with an online contact first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ropo: Option<Ropo>,
    /// Channel of first contact → channel of first purchase.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cross_channel: Option<CrossChannel>,
    /// Customers active in 2+ channels per period.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub multichannel: Option<MultiChannel>,
}

/// The headline campaign figures a state keeps, to show their change in the next run. Each is
/// absent when it could not be measured (and in the states of runs before it existed).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CampaignFigures {
    /// Mean LTV per buyer.
    pub ltv_mean: Option<f64>,
    /// Median LTV per buyer.
    #[serde(default)]
    pub ltv_median: Option<f64>,
    /// Revenue per order.
    #[serde(default)]
    pub average_order_value: Option<f64>,
    /// Orders per buyer.
    #[serde(default)]
    pub orders_per_buyer: Option<f64>,
    /// Mean days between a buyer's first and last dated purchase.
    #[serde(default)]
    pub mean_span_days: Option<f64>,
    /// LTV of the buyers in the most channels over the single-channel LTV.
    #[serde(default)]
    pub ltv_uplift: Option<f64>,
    /// Pooled retention rate.
    pub retention_rate: Option<f64>,
    /// Pooled churn rate.
    pub churn_rate: Option<f64>,
    /// ROPO share.
    pub ropo_share: Option<f64>,
    /// Share of buyers whose first purchase is in another channel than their first contact.
    pub cross_channel_share: Option<f64>,
    /// Median days from first contact to first purchase.
    #[serde(default)]
    pub median_days_to_purchase: Option<f64>,
    /// Share of active customer-periods in 2+ channels.
    pub multichannel_share: Option<f64>,
}

/// How a campaign figure is counted: what its change means and how it is shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    /// Money (LTV, order value): the change in money.
    Money,
    /// A share in 0..1: the change in percentage points.
    Share,
    /// A plain ratio (orders per buyer, uplift): the change as a number.
    Ratio,
    /// Days: the change in days.
    Days,
}

impl Unit {
    /// The unit of a figure named as in `since_previous.campaign[].metric`.
    pub fn of(metric: &str) -> Unit {
        match metric {
            "ltv_mean" | "ltv_median" | "average_order_value" => Unit::Money,
            "orders_per_buyer" | "ltv_uplift" => Unit::Ratio,
            "mean_span_days" | "median_days_to_purchase" => Unit::Days,
            _ => Unit::Share,
        }
    }

    /// `after − before` in this unit (percentage points for shares), rounded to cents.
    fn change(self, before: f64, after: f64) -> f64 {
        let scale = if self == Unit::Share { 100.0 } else { 1.0 };
        crate::report::round2((after - before) * scale)
    }
}

impl CampaignFigures {
    /// The figures of a computed section.
    pub fn of(c: &Campaign) -> CampaignFigures {
        let ltv = c.ltv.as_ref();
        let dated = ltv.filter(|l| l.buyers_dated > 0);
        let top = ltv
            .and_then(|l| l.by_channels.last())
            .filter(|r| r.buyers > 0 && r.uplift > 0.0 && r.channels != "1");
        CampaignFigures {
            ltv_mean: ltv.map(|l| l.mean),
            ltv_median: ltv.map(|l| l.median),
            average_order_value: ltv.map(|l| l.average_order_value),
            orders_per_buyer: ltv.map(|l| l.orders_per_buyer),
            mean_span_days: dated.map(|l| l.mean_span_days),
            ltv_uplift: top.map(|r| r.uplift),
            retention_rate: c.retention.as_ref().map(|r| r.retention_rate),
            churn_rate: c.retention.as_ref().map(|r| r.churn_rate),
            ropo_share: c.ropo.as_ref().map(|r| r.share),
            cross_channel_share: c.cross_channel.as_ref().map(|x| x.share),
            median_days_to_purchase: c.cross_channel.as_ref().map(|x| x.median_days),
            multichannel_share: c.multichannel.as_ref().map(|m| m.share),
        }
    }

    /// Every figure by its name, in report order.
    fn named(&self) -> [(&'static str, Option<f64>); 12] {
        [
            ("ltv_mean", self.ltv_mean),
            ("ltv_median", self.ltv_median),
            ("average_order_value", self.average_order_value),
            ("orders_per_buyer", self.orders_per_buyer),
            ("mean_span_days", self.mean_span_days),
            ("ltv_uplift", self.ltv_uplift),
            ("retention_rate", self.retention_rate),
            ("churn_rate", self.churn_rate),
            ("ropo_share", self.ropo_share),
            ("cross_channel_share", self.cross_channel_share),
            ("median_days_to_purchase", self.median_days_to_purchase),
            ("multichannel_share", self.multichannel_share),
        ]
    }

    /// Each figure measured in both runs: name, before, after, change (in its [`Unit`]).
    pub fn changes(before: &CampaignFigures, after: &CampaignFigures) -> Vec<MetricChange> {
        before
            .named()
            .into_iter()
            .zip(after.named())
            .filter_map(|((metric, b), (_, a))| {
                let (b, a) = (b?, a?);
                Some(MetricChange {
                    metric: metric.to_owned(),
                    before: b,
                    after: a,
                    change: Unit::of(metric).change(b, a),
                })
            })
            .collect()
    }
}

/// One campaign figure before and after (`since_previous.campaign`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MetricChange {
    /// The figure's name: `ltv_mean`, `ltv_median`, `average_order_value`, `orders_per_buyer`,
    /// `mean_span_days`, `ltv_uplift`, `retention_rate`, `churn_rate`, `ropo_share`,
    /// `cross_channel_share`, `median_days_to_purchase`, `multichannel_share`.
    pub metric: String,
    /// The previous run's value.
    pub before: f64,
    /// This run's value.
    pub after: f64,
    /// `after − before`: percentage points for shares, money, days or a plain number for the
    /// others ([`Unit::of`]).
    pub change: f64,
}

/// What the campaign metrics need from the settings.
#[derive(Clone, Debug, Default)]
pub struct CampaignSettings {
    /// Retention and multi-channel period.
    pub period: Period,
    /// Configured tags by source stem.
    pub touch: std::collections::BTreeMap<String, Touch>,
}

/// Profiles whose events are gathered and counted at a time.
const PROFILES_PER_CHUNK: usize = 1 << 16;

/// Computes the section: the events of a chunk of profiles at a time, counted by every metric
/// (see `events`).
pub fn compute(
    extracted: &Extracted,
    profiles: &Profiles,
    settings: &CampaignSettings,
) -> Campaign {
    compute_in_chunks(extracted, profiles, settings, PROFILES_PER_CHUNK)
}

/// [`compute`] with the events of `per_chunk` profiles at a time.
fn compute_in_chunks(
    extracted: &Extracted,
    profiles: &Profiles,
    settings: &CampaignSettings,
    per_chunk: usize,
) -> Campaign {
    let sources = source_touch(extracted, settings);
    let names: Vec<&str> = extracted.sources.iter().map(|s| s.name.as_str()).collect();
    let records = &extracted.records;
    let purchases = (0..records.len())
        .filter(|&r| records.amount[r] > 0.0)
        .count();
    let dated_purchases = (0..records.len())
        .filter(|&r| records.amount[r] > 0.0 && records.time_min.get(r) != NO_TIME)
        .count();
    let mut campaign = Campaign {
        period: match settings.period {
            Period::Month => "month".to_owned(),
            Period::Quarter => "quarter".to_owned(),
        },
        sources,
        ..Campaign::default()
    };
    campaign.missing = missing_notes(purchases, dated_purchases);
    let mut tallies = Tallies::new(
        records,
        profiles,
        settings.period,
        (purchases, dated_purchases),
        &mut campaign,
    );
    for start in (0..profiles.len()).step_by(per_chunk) {
        let chunk = start..(start + per_chunk).min(profiles.len());
        tallies.add(&events::gather(records, profiles, chunk));
    }
    tallies.finish(&mut campaign, &names);
    campaign.available = dated_purchases > 0;
    if campaign.multichannel.is_none() {
        campaign
            .missing
            .push("no record carries a date: channel use per period needs timestamps".to_owned());
    }
    campaign
}

/// The metrics' tallies, each fed the events of one chunk of profiles at a time; those that
/// need amounts or dated purchases only when the records carry some.
struct Tallies {
    ltv: Option<ltv::Tally>,
    multichannel: periods::MultiChannelTally,
    retention: Option<periods::RetentionTally>,
    cross_channel: Option<ropo::CrossChannelTally>,
    ropo: Option<ropo::RopoTally>,
}

impl Tallies {
    /// Empty tallies, given the number of purchases and of dated purchases; ROPO's note on
    /// sources without a touch goes to `campaign.missing`.
    fn new(
        records: &crate::extract::Records,
        profiles: &Profiles,
        period: Period,
        (purchases, dated_purchases): (usize, usize),
        campaign: &mut Campaign,
    ) -> Tallies {
        let (dated, bought) = periods::bounds_of_records(records, &profiles.of_record, period);
        Tallies {
            ltv: (purchases > 0).then(ltv::Tally::default),
            multichannel: periods::MultiChannelTally::new(dated, period),
            retention: (dated_purchases > 0).then(|| periods::RetentionTally::new(bought, period)),
            cross_channel: (dated_purchases > 0).then(ropo::CrossChannelTally::default),
            ropo: if dated_purchases > 0 {
                ropo::RopoTally::new(&campaign.sources, &mut campaign.missing)
            } else {
                None
            },
        }
    }

    /// Counts one chunk's events in every tally.
    fn add(&mut self, events: &events::Events) {
        if let Some(tally) = &mut self.ltv {
            tally.add(events);
        }
        self.multichannel.add(events);
        if let Some(tally) = &mut self.retention {
            tally.add(events);
        }
        if let Some(tally) = &mut self.cross_channel {
            tally.add(events);
        }
        if let Some(tally) = &mut self.ropo {
            tally.add(events);
        }
    }

    /// The metrics into `campaign`.
    fn finish(self, campaign: &mut Campaign, names: &[&str]) {
        campaign.ltv = self.ltv.map(ltv::Tally::finish);
        campaign.multichannel = self.multichannel.finish();
        campaign.retention = self.retention.map(periods::RetentionTally::finish);
        campaign.cross_channel = self.cross_channel.map(|tally| tally.finish(names));
        campaign.ropo = self.ropo.map(ropo::RopoTally::finish);
    }
}

/// What the exports lack for the figures that need amounts or dated purchases.
fn missing_notes(purchases: usize, dated_purchases: usize) -> Vec<String> {
    if purchases == 0 {
        vec![
            "no record has an amount above zero: LTV, retention, ROPO and cross-channel \
             conversion need an order or till export with amounts (set a column's role to \
             `amount` in omni.toml if it was not detected)"
                .to_owned(),
        ]
    } else if dated_purchases == 0 {
        vec![
            "no purchase carries a date: retention, ROPO and time to purchase need a date or \
             time column on the order or till export"
                .to_owned(),
        ]
    } else {
        Vec::new()
    }
}

fn source_touch(extracted: &Extracted, settings: &CampaignSettings) -> Vec<SourceTouch> {
    extracted
        .sources
        .iter()
        .map(|s| {
            let (touch, from) = match settings.touch.get(&s.stem) {
                Some(&t) => (Some(t), "config"),
                None => (default_touch(&s.name), "name"),
            };
            SourceTouch {
                source: s.name.clone(),
                touch: match touch {
                    Some(Touch::Online) => "online",
                    Some(Touch::Offline) => "offline",
                    None => "unknown",
                }
                .to_owned(),
                from: if touch.is_some() {
                    from.to_owned()
                } else {
                    String::new()
                },
            }
        })
        .collect()
}

/// The period label of a timestamp (seconds since 1970, UTC): `2026-03` or `2026-Q1`.
pub fn period_of(time: i64, period: Period) -> (i64, u32) {
    let (year, month, _) = crate::normalize::datetime::civil_from_days(time.div_euclid(86_400));
    match period {
        Period::Month => (year, month as u32),
        Period::Quarter => (year, (month as u32 - 1) / 3 + 1),
    }
}

/// `2026-03` / `2026-Q1`.
pub fn period_label((year, n): (i64, u32), period: Period) -> String {
    match period {
        Period::Month => format!("{year:04}-{n:02}"),
        Period::Quarter => format!("{year:04}-Q{n}"),
    }
}

/// The period after `p`.
pub fn next_period((year, n): (i64, u32), period: Period) -> (i64, u32) {
    let last = match period {
        Period::Month => 12,
        Period::Quarter => 4,
    };
    if n == last {
        (year + 1, 1)
    } else {
        (year, n + 1)
    }
}

/// Nearest-rank quantile of sorted values (0 when empty).
pub(crate) fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A state of an older run kept only some figures: the others are not compared; each
    /// change is in its figure's unit.
    #[test]
    fn changes_compare_the_figures_both_runs_measured_in_their_units() {
        let before: CampaignFigures = serde_json::from_str(
            r#"{"ltv_mean": 100.0, "retention_rate": 0.25, "churn_rate": 0.75,
                "ropo_share": null, "cross_channel_share": 0.1, "multichannel_share": 0.0}"#,
        )
        .unwrap();
        let after = CampaignFigures {
            ltv_mean: Some(112.5),
            ltv_median: Some(80.0),
            retention_rate: Some(0.3),
            churn_rate: Some(0.7),
            ropo_share: Some(0.2),
            cross_channel_share: Some(0.1),
            multichannel_share: Some(0.05),
            ..CampaignFigures::default()
        };
        let got: Vec<(String, f64)> = CampaignFigures::changes(&before, &after)
            .into_iter()
            .map(|m| (m.metric, m.change))
            .collect();
        let want = [
            ("ltv_mean", 12.5),
            ("retention_rate", 5.0),
            ("churn_rate", -5.0),
            ("cross_channel_share", 0.0),
            ("multichannel_share", 5.0),
        ];
        assert_eq!(got, want.map(|(m, c)| (m.to_owned(), c)));
        let mut later = after.clone();
        later.ltv_median = Some(95.0);
        later.median_days_to_purchase = Some(3.5);
        let mut earlier = after.clone();
        earlier.median_days_to_purchase = Some(10.0);
        let moved: Vec<(String, f64)> = CampaignFigures::changes(&earlier, &later)
            .into_iter()
            .filter(|m| m.change != 0.0)
            .map(|m| (m.metric, m.change))
            .collect();
        assert_eq!(
            moved,
            [
                ("ltv_median".to_owned(), 15.0),
                ("median_days_to_purchase".to_owned(), -6.5)
            ]
        );
        assert_eq!(Unit::of("ltv_median"), Unit::Money);
        assert_eq!(Unit::of("ropo_share"), Unit::Share);
    }

    /// Counted chunk by chunk (chunks of 1, of 7 and of every profile), the section is what
    /// each metric computes from the events of all the profiles at once, its bounds taken from
    /// those events: the computation before the chunking (issue 19).
    #[test]
    fn chunked_counting_equals_counting_all_events_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let (extracted, _, profiles) = crate::profile::testing::pipeline(dir.path(), 3000);
        let settings = CampaignSettings::default();
        let all = events::gather(&extracted.records, &profiles, 0..profiles.len());
        let names: Vec<&str> = extracted.sources.iter().map(|s| s.name.as_str()).collect();
        let sources = source_touch(&extracted, &settings);
        let mut missing = Vec::new();
        let json = |value: &dyn erased::Json| value.json();
        let want = [
            json(&Some(ltv::compute(&all))),
            json(&periods::multichannel(&all, settings.period)),
            json(&Some(periods::retention(&all, settings.period))),
            json(&Some(ropo::cross_channel(&all, &names))),
            json(&ropo::ropo(&all, &sources, &mut missing)),
        ];
        assert!(want.iter().all(|w| w != "null"), "every figure measured");
        for per_chunk in [1, 7, usize::MAX] {
            let got = compute_in_chunks(&extracted, &profiles, &settings, per_chunk);
            assert_eq!(
                [
                    json(&got.ltv),
                    json(&got.multichannel),
                    json(&got.retention),
                    json(&got.cross_channel),
                    json(&got.ropo),
                ],
                want,
                "{per_chunk} profiles a chunk"
            );
        }
    }

    /// `serde_json` of any figure, for comparing them whole.
    mod erased {
        pub trait Json {
            fn json(&self) -> String;
        }

        impl<T: serde::Serialize> Json for T {
            fn json(&self) -> String {
                serde_json::to_string(self).unwrap()
            }
        }
    }

    #[test]
    fn sources_are_tagged_by_their_names() {
        assert_eq!(default_touch("pos_receipts"), Some(Touch::Offline));
        assert_eq!(default_touch("web_shop"), Some(Touch::Online));
        assert_eq!(default_touch("mobile_app"), Some(Touch::Online));
        assert_eq!(default_touch("email_list"), Some(Touch::Online));
        assert_eq!(default_touch("loyalty"), None);
    }

    #[test]
    fn periods_are_calendar_months_or_quarters() {
        let t = 1_709_596_800; // 2024-03-05
        assert_eq!(
            period_label(period_of(t, Period::Month), Period::Month),
            "2024-03"
        );
        assert_eq!(
            period_label(period_of(t, Period::Quarter), Period::Quarter),
            "2024-Q1"
        );
        assert_eq!(next_period((2024, 12), Period::Month), (2025, 1));
        assert_eq!(next_period((2024, 4), Period::Quarter), (2025, 1));
    }
}
