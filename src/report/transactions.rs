//! Omnichannel metrics from transactions: who buys in several channels, what customers known in
//! more channels buy, and how long it takes from a profile's first contact to its first purchase.
//!
//! Takes the extracted records (their `amount` and `time_min`) and the profiles; gives
//! [`Transactions`]. A **purchase** is a record with an amount above zero (an order, a receipt,
//! or a web account with a non-zero order total); zero, negative (refunds) and missing amounts are
//! not purchases. When no source has an amount column, the section says so in `note` and holds no
//! figures, so a reader can tell "no buyers" from "no transaction data".

use serde::{Deserialize, Serialize};

use super::{round2, round4, share};
use crate::extract::{Extracted, NO_TIME, RecordStatus};
use crate::profile::{Profile, Profiles};

const SECONDS_PER_DAY: f64 = 86_400.0;

/// Delay buckets for first contact → first purchase: label and the largest delay in seconds.
const DELAY_BUCKETS: [(&str, i64); 7] = [
    ("0 (the purchase was the first contact)", 0),
    ("under 1 day", 86_399),
    ("1-7 days", 7 * 86_400 + 86_399),
    ("8-30 days", 30 * 86_400 + 86_399),
    ("31-90 days", 90 * 86_400 + 86_399),
    ("91-365 days", 365 * 86_400 + 86_399),
    ("over 1 year", i64::MAX),
];

/// The transactions section of the report.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Transactions {
    /// True when at least one source has an amount column.
    pub available: bool,
    /// Why figures are missing, or what limits them; empty when nothing needs saying.
    pub note: String,
    /// Amount columns used, as `source.column`.
    pub amount_columns: Vec<String>,
    /// Purchase totals (absent when `available` is false).
    pub purchases: Option<Purchases>,
    /// Profiles, buyers, purchases and revenue by the number of sources a profile appears in.
    pub by_channel_count: Vec<ChannelCountRow>,
    /// First contact → first purchase (absent without timestamps on purchases).
    pub first_purchase: Option<FirstPurchase>,
}

/// Purchase totals.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Purchases {
    /// Records with an amount above zero.
    pub records: u64,
    /// Sum of their amounts.
    pub revenue: f64,
    /// Purchase records that belong to no profile (no usable identifier: anonymous receipts).
    pub records_without_profile: u64,
    /// Their revenue.
    pub revenue_without_profile: f64,
    /// Profiles with at least one purchase.
    pub buyers: u64,
    /// Buyers with purchases in two or more sources.
    pub buyers_in_several_channels: u64,
    /// `buyers_in_several_channels / buyers`.
    pub buyers_in_several_channels_share: f64,
    /// Buyers by the number of sources they bought in (`"1"`, `"2"`, ...).
    pub buyers_by_purchase_channels: std::collections::BTreeMap<String, u64>,
}

/// One row of the per-channel-count table.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct ChannelCountRow {
    /// Sources the profiles appear in.
    pub channels: u64,
    /// Profiles.
    pub profiles: u64,
    /// Of them, with at least one purchase.
    pub buyers: u64,
    /// Their purchases.
    pub purchases: u64,
    /// Their revenue.
    pub revenue: f64,
    /// `purchases / profiles`.
    pub purchases_per_profile: f64,
    /// `revenue / profiles`.
    pub revenue_per_profile: f64,
    /// `revenue / buyers`.
    pub revenue_per_buyer: f64,
}

impl ChannelCountRow {
    /// The column headers of the by-channel-count table, shared by the HTML and markdown reports.
    pub const HEADERS: [&'static str; 8] = [
        "sources",
        "profiles",
        "buyers",
        "purchases",
        "purchases / profile",
        "revenue",
        "revenue / profile",
        "revenue / buyer",
    ];

    /// The row's cells in [`Self::HEADERS`] order, money written by `money`.
    pub fn cells(&self, money: impl Fn(f64) -> String) -> [String; 8] {
        [
            self.channels.to_string(),
            self.profiles.to_string(),
            self.buyers.to_string(),
            self.purchases.to_string(),
            format!("{:.2}", self.purchases_per_profile),
            money(self.revenue),
            money(self.revenue_per_profile),
            money(self.revenue_per_buyer),
        ]
    }
}

/// Distribution of the time from first contact to first purchase.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct FirstPurchase {
    /// Buyers with a timestamp on their first purchase (the ones measured).
    pub buyers_measured: u64,
    /// Buyers whose purchases carry no timestamp (not measured).
    pub buyers_without_time: u64,
    /// Buyers whose first purchase was their first contact (delay 0).
    pub purchase_was_first_contact: u64,
    /// Buyers first seen before their first purchase (delay above 0); the quantiles below are
    /// over these buyers, 0 when there are none.
    pub contact_came_first: u64,
    /// Median delay in days of the buyers first seen before buying (nearest rank).
    pub median_days: f64,
    /// 25th percentile, days.
    pub p25_days: f64,
    /// 75th percentile, days.
    pub p75_days: f64,
    /// 90th percentile, days.
    pub p90_days: f64,
    /// Buyers per delay bucket.
    pub histogram: Vec<DelayBucket>,
}

impl FirstPurchase {
    /// Whether any buyer was seen before buying: the delay quantiles are over those buyers and
    /// are 0, not a measured "0 days", when there are none. Every renderer asks this.
    pub fn delays_measured(&self) -> bool {
        self.contact_came_first > 0
    }
}

#[cfg(test)]
impl FirstPurchase {
    /// 29 buyers measured, `contact_came_first` of them seen before buying (the renderers'
    /// fixture).
    pub(crate) fn of_29_buyers(contact_came_first: u64, median_days: f64) -> FirstPurchase {
        FirstPurchase {
            buyers_measured: 29,
            buyers_without_time: 0,
            purchase_was_first_contact: 29 - contact_came_first,
            contact_came_first,
            median_days,
            p25_days: 0.0,
            p75_days: 0.0,
            p90_days: 0.0,
            histogram: Vec::new(),
        }
    }
}

/// One delay bucket.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct DelayBucket {
    /// Label (`0 (the purchase was the first contact)`, `under 1 day`, `1-7 days`, ...).
    pub delay: String,
    /// Buyers.
    pub buyers: u64,
}

/// Computes the transactions section.
pub fn compute(extracted: &Extracted, profiles: &Profiles) -> Transactions {
    let amount_columns: Vec<String> = extracted
        .sources
        .iter()
        .flat_map(|s| {
            s.columns
                .iter()
                .filter(|c| c.is_amount())
                .map(move |c| format!("{}.{}", s.name, c.name))
        })
        .collect();
    if amount_columns.is_empty() {
        return unavailable(amount_columns);
    }
    let records = &extracted.records;
    let without_profile = anonymous_purchases(extracted);

    let mut rows: Vec<ChannelCountRow> = Vec::new();
    let mut revenue_all = without_profile.1;
    let mut purchases_all = without_profile.0;
    let mut buyers = 0u64;
    // Buyers by the number of sources they bought in (index), keyed by its text at the end.
    let mut buyers_by_count: Vec<u64> = Vec::new();
    let mut sources: Vec<u16> = Vec::new();
    let mut delays: Vec<i64> = Vec::new();
    let mut buyers_without_time = 0u64;
    let mut bought: Vec<Bought> = Vec::new();
    for profile in profiles.iter() {
        let channels = profile.sources.len();
        if rows.len() < channels {
            rows.resize_with(channels, ChannelCountRow::default);
        }
        let row = &mut rows[channels - 1];
        row.profiles += 1;
        purchases_of(&profile, records, &mut bought);
        if bought.is_empty() {
            continue;
        }
        let revenue: f64 = bought.iter().map(|b| b.amount).sum();
        row.buyers += 1;
        row.purchases += bought.len() as u64;
        row.revenue += revenue;
        buyers += 1;
        purchases_all += bought.len() as u64;
        revenue_all += revenue;
        sources.clear();
        sources.extend(bought.iter().map(|b| b.source));
        sources.sort_unstable();
        sources.dedup();
        if buyers_by_count.len() <= sources.len() {
            buyers_by_count.resize(sources.len() + 1, 0);
        }
        buyers_by_count[sources.len()] += 1;
        let first_purchase = bought
            .iter()
            .map(|b| b.time_min)
            .filter(|&t| t != NO_TIME)
            .min();
        match first_purchase {
            Some(t) if profile.first_seen != NO_TIME => delays.push(t - profile.first_seen),
            _ => buyers_without_time += 1,
        }
    }
    for (i, row) in rows.iter_mut().enumerate() {
        finish_row(row, i as u64 + 1);
    }
    let buyers_by_channels: std::collections::BTreeMap<String, u64> = buyers_by_count
        .iter()
        .enumerate()
        .filter(|&(_, &n)| n > 0)
        .map(|(channels, &n)| (channels.to_string(), n))
        .collect();
    let several: u64 = buyers_by_channels
        .iter()
        .filter(|(k, _)| k.as_str() != "1")
        .map(|(_, v)| v)
        .sum();
    let first_purchase = first_purchase(delays, buyers_without_time);
    let note = if first_purchase.is_none() {
        "first contact to first purchase is omitted: no purchase carries a timestamp".to_owned()
    } else {
        String::new()
    };
    Transactions {
        available: true,
        note,
        amount_columns,
        purchases: Some(Purchases {
            records: purchases_all,
            revenue: round2(revenue_all),
            records_without_profile: without_profile.0,
            revenue_without_profile: round2(without_profile.1),
            buyers,
            buyers_in_several_channels: several,
            buyers_in_several_channels_share: share(several, buyers),
            buyers_by_purchase_channels: buyers_by_channels,
        }),
        by_channel_count: rows,
        first_purchase,
    }
}

/// One purchase, as the per-profile figures need it.
#[derive(Clone, Copy, Debug, Default)]
struct Bought {
    amount: f64,
    source: u16,
    time_min: i64,
}

/// The purchases of `profile`, in record order, into `out` (cleared first): read from its
/// records as it is counted, so no stage holds every profile's purchases at once (45 MB at 1M
/// people, alive at the run's memory peak; issue 19).
fn purchases_of(profile: &Profile<'_>, records: &crate::extract::Records, out: &mut Vec<Bought>) {
    out.clear();
    out.extend(
        profile
            .records
            .iter()
            .map(|&r| r as usize)
            .filter(|&r| records.amount[r] > 0.0)
            .map(|r| Bought {
                amount: records.amount[r],
                source: records.source[r],
                time_min: records.time_min.get(r),
            }),
    );
}

/// Purchases (count, revenue) of records that belong to no profile.
fn anonymous_purchases(extracted: &Extracted) -> (u64, f64) {
    let records = &extracted.records;
    (0..records.len())
        .filter(|&r| records.amount[r] > 0.0 && records.status[r] != RecordStatus::Identified)
        .fold((0, 0.0), |(n, sum), r| (n + 1, sum + records.amount[r]))
}

/// Numbers the row by its channel count and derives its ratios from the summed counts.
fn finish_row(row: &mut ChannelCountRow, channels: u64) {
    row.channels = channels;
    row.revenue = round2(row.revenue);
    row.purchases_per_profile = ratio(row.purchases as f64, row.profiles);
    row.revenue_per_profile = round2(row.revenue / row.profiles.max(1) as f64);
    row.revenue_per_buyer = round2(row.revenue / row.buyers.max(1) as f64);
}

/// The section when no source has amounts: a note and no figures.
fn unavailable(amount_columns: Vec<String>) -> Transactions {
    Transactions {
        available: false,
        note: "no source has an amount column (an order or till export with amounts and \
               dates enables these metrics; set a column's role to `amount` in omni.toml \
               if it was not detected)"
            .to_owned(),
        amount_columns,
        purchases: None,
        by_channel_count: Vec::new(),
        first_purchase: None,
    }
}

fn ratio(part: f64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        round4(part / whole as f64)
    }
}

/// The delay distribution; `None` when no buyer could be measured.
fn first_purchase(mut delays: Vec<i64>, buyers_without_time: u64) -> Option<FirstPurchase> {
    if delays.is_empty() {
        return None;
    }
    delays.sort_unstable();
    let waited = &delays[delays.partition_point(|&d| d <= 0)..];
    let days = |q: f64| {
        if waited.is_empty() {
            return 0.0;
        }
        // Nearest rank: the smallest delay with at least q of the buyers at or below it.
        let rank = ((q * waited.len() as f64).ceil() as usize).clamp(1, waited.len());
        round4(waited[rank - 1] as f64 / SECONDS_PER_DAY)
    };
    let mut histogram: Vec<DelayBucket> = DELAY_BUCKETS
        .iter()
        .map(|(label, _)| DelayBucket {
            delay: (*label).to_owned(),
            buyers: 0,
        })
        .collect();
    for &d in &delays {
        let bucket = DELAY_BUCKETS
            .iter()
            .position(|&(_, hi)| d <= hi)
            .expect("the last bucket is unbounded");
        histogram[bucket].buyers += 1;
    }
    Some(FirstPurchase {
        buyers_measured: delays.len() as u64,
        buyers_without_time,
        purchase_was_first_contact: histogram[0].buyers,
        contact_came_first: waited.len() as u64,
        median_days: days(0.5),
        p25_days: days(0.25),
        p75_days: days(0.75),
        p90_days: days(0.9),
        histogram,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_fall_into_one_bucket_each_and_quantiles_use_nearest_rank() {
        let day = 86_400;
        let fp = first_purchase(vec![0, 10, day, 8 * day, 400 * day], 2).unwrap();
        let counts: Vec<u64> = fp.histogram.iter().map(|b| b.buyers).collect();
        assert_eq!(counts, [1, 1, 1, 1, 0, 0, 1]);
        assert_eq!(fp.buyers_measured, 5);
        assert_eq!(fp.buyers_without_time, 2);
        assert_eq!(fp.purchase_was_first_contact, 1);
        assert_eq!(fp.contact_came_first, 4);
        // Over the 4 buyers who waited: 10 s, 1 day, 8 days, 400 days.
        assert_eq!(fp.p25_days, round4(10.0 / 86_400.0));
        assert_eq!(fp.median_days, 1.0);
        assert_eq!(fp.p75_days, 8.0);
        assert_eq!(fp.p90_days, 400.0);
    }

    /// A profile's purchases are its records with an amount above zero (not zero, refunds or
    /// missing amounts), in record order (so revenues sum to the same bits in every run).
    #[test]
    fn a_profiles_purchases_are_its_records_with_an_amount_above_zero() {
        let mut records = crate::extract::Records::default();
        for (source, amount, time) in [
            (0, 5.0, 10),
            (1, 0.0, 20),
            (1, -3.0, 30),
            (2, f64::NAN, 40),
            (2, 2.5, NO_TIME),
            (0, 7.0, 60),
        ] {
            let fields = crate::extract::RecordFields {
                time_min: time,
                time_max: time,
                amount,
                ..Default::default()
            };
            records.push(source, 1, RecordStatus::Identified, &fields, &[0]);
        }
        let profile = crate::profile::Profile {
            id: crate::profile::ids::ProfileId(1),
            records: &[0, 1, 2, 3, 4],
            sources: &[0, 1, 2],
            identifiers: &[0],
            name_record: None,
            first_seen: 10,
            last_seen: 40,
            purchases: 2,
            amount_total: 7.5,
        };
        let mut got = vec![Bought::default(); 3];
        purchases_of(&profile, &records, &mut got);
        let got: Vec<(f64, u16, i64)> = got
            .iter()
            .map(|b| (b.amount, b.source, b.time_min))
            .collect();
        assert_eq!(
            got,
            [(5.0, 0, 10), (2.5, 2, NO_TIME)],
            "record 5 is another profile's"
        );
    }

    /// Buyers by the number of sources they bought in, counted buyer by buyer from their
    /// records.
    #[test]
    fn buyers_by_purchase_channels_count_each_buyers_sources() {
        let dir = tempfile::tempdir().unwrap();
        let (extracted, _, profiles) = crate::profile::testing::pipeline(dir.path(), 3000);
        let records = &extracted.records;
        let mut expected: std::collections::BTreeMap<String, u64> = Default::default();
        for profile in profiles.iter() {
            let mut sources: Vec<u16> = profile
                .records
                .iter()
                .map(|&r| r as usize)
                .filter(|&r| records.amount[r] > 0.0)
                .map(|r| records.source[r])
                .collect();
            sources.sort_unstable();
            sources.dedup();
            if !sources.is_empty() {
                *expected.entry(sources.len().to_string()).or_default() += 1;
            }
        }
        let purchases = compute(&extracted, &profiles).purchases.unwrap();
        assert_eq!(purchases.buyers_by_purchase_channels, expected);
        assert!(expected.len() > 1, "{expected:?}");
    }

    #[test]
    fn quantiles_are_zero_when_every_purchase_was_the_first_contact() {
        let fp = first_purchase(vec![0, 0], 0).unwrap();
        assert_eq!(
            (fp.contact_came_first, fp.median_days, fp.p90_days),
            (0, 0.0, 0.0)
        );
    }

    #[test]
    fn no_measured_buyer_gives_no_distribution() {
        assert!(first_purchase(Vec::new(), 3).is_none());
    }
}
