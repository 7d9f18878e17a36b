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

/// The headline campaign figures a state keeps, to show their change in the next run.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CampaignFigures {
    /// Mean LTV per buyer.
    pub ltv_mean: Option<f64>,
    /// Pooled retention rate.
    pub retention_rate: Option<f64>,
    /// Pooled churn rate.
    pub churn_rate: Option<f64>,
    /// ROPO share.
    pub ropo_share: Option<f64>,
    /// Share of buyers whose first purchase is in another channel than their first contact.
    pub cross_channel_share: Option<f64>,
    /// Share of active customer-periods in 2+ channels.
    pub multichannel_share: Option<f64>,
}

impl CampaignFigures {
    /// The figures of a computed section.
    pub fn of(c: &Campaign) -> CampaignFigures {
        CampaignFigures {
            ltv_mean: c.ltv.as_ref().map(|l| l.mean),
            retention_rate: c.retention.as_ref().map(|r| r.retention_rate),
            churn_rate: c.retention.as_ref().map(|r| r.churn_rate),
            ropo_share: c.ropo.as_ref().map(|r| r.share),
            cross_channel_share: c.cross_channel.as_ref().map(|x| x.share),
            multichannel_share: c.multichannel.as_ref().map(|m| m.share),
        }
    }

    /// Each figure measured in both runs: name, before, after, change (shares in percentage
    /// points, LTV in money).
    pub fn changes(before: &CampaignFigures, after: &CampaignFigures) -> Vec<MetricChange> {
        let pairs = [
            ("ltv_mean", before.ltv_mean, after.ltv_mean, 1.0),
            (
                "retention_rate",
                before.retention_rate,
                after.retention_rate,
                100.0,
            ),
            ("churn_rate", before.churn_rate, after.churn_rate, 100.0),
            ("ropo_share", before.ropo_share, after.ropo_share, 100.0),
            (
                "cross_channel_share",
                before.cross_channel_share,
                after.cross_channel_share,
                100.0,
            ),
            (
                "multichannel_share",
                before.multichannel_share,
                after.multichannel_share,
                100.0,
            ),
        ];
        pairs
            .into_iter()
            .filter_map(|(metric, b, a, scale)| {
                let (b, a) = (b?, a?);
                Some(MetricChange {
                    metric: metric.to_owned(),
                    before: b,
                    after: a,
                    change: crate::report::round2((a - b) * scale),
                })
            })
            .collect()
    }
}

/// One campaign figure before and after (`since_previous.campaign`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MetricChange {
    /// `ltv_mean`, `retention_rate`, `churn_rate`, `ropo_share`, `cross_channel_share`,
    /// `multichannel_share`.
    pub metric: String,
    /// The previous run's value.
    pub before: f64,
    /// This run's value.
    pub after: f64,
    /// `after − before`: percentage points for shares, money for LTV.
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

/// Computes the section.
pub fn compute(
    extracted: &Extracted,
    profiles: &Profiles,
    settings: &CampaignSettings,
) -> Campaign {
    let sources = source_touch(extracted, settings);
    let names: Vec<&str> = extracted.sources.iter().map(|s| s.name.as_str()).collect();
    let events = events::gather(&extracted.records, profiles);
    let records = &extracted.records;
    let purchases = (0..records.len())
        .filter(|&r| records.amount[r] > 0.0)
        .count();
    let dated_purchases = (0..records.len())
        .filter(|&r| records.amount[r] > 0.0 && records.time_min[r] != NO_TIME)
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
    if purchases > 0 {
        campaign.ltv = Some(ltv::compute(&events));
    }
    campaign.available = dated_purchases > 0;
    campaign.multichannel = periods::multichannel(&events, settings.period);
    if dated_purchases > 0 {
        campaign.retention = Some(periods::retention(&events, settings.period));
        campaign.cross_channel = Some(ropo::cross_channel(&events, &names));
        campaign.ropo = ropo::ropo(&events, &campaign.sources, &mut campaign.missing);
    }
    if campaign.multichannel.is_none() {
        campaign
            .missing
            .push("no record carries a date: channel use per period needs timestamps".to_owned());
    }
    campaign
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
