//! Lifetime value per buyer and by the number of channels a customer is known in.

use serde::{Deserialize, Serialize};

use super::events::Events;
use super::quantile;
use crate::report::{round2, round4};

/// Channel-count buckets of the LTV table.
const BUCKETS: [&str; 3] = ["1", "2", "3+"];

/// LTV: revenue, orders, average order value and span per buyer.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Ltv {
    /// Profiles with at least one purchase.
    pub buyers: u64,
    /// Their purchases.
    pub orders: u64,
    /// Their revenue.
    pub revenue: f64,
    /// `revenue / buyers`.
    pub mean: f64,
    /// Per-buyer revenue, 25th percentile (nearest rank).
    pub p25: f64,
    /// Median.
    pub median: f64,
    /// 75th percentile.
    pub p75: f64,
    /// 90th percentile.
    pub p90: f64,
    /// `orders / buyers`.
    pub orders_per_buyer: f64,
    /// `revenue / orders`.
    pub average_order_value: f64,
    /// Buyers with at least one dated purchase (the span is measured over them).
    pub buyers_dated: u64,
    /// Mean days from a buyer's first to last dated purchase.
    pub mean_span_days: f64,
    /// By the number of sources the profile appears in: `1`, `2`, `3+`.
    pub by_channels: Vec<LtvByChannels>,
}

/// One row of the LTV by channels table.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct LtvByChannels {
    /// `1`, `2` or `3+` sources.
    pub channels: String,
    /// Profiles.
    pub profiles: u64,
    /// Of them, buyers.
    pub buyers: u64,
    /// Their revenue.
    pub revenue: f64,
    /// `revenue / buyers`.
    pub ltv: f64,
    /// `revenue / profiles`.
    pub revenue_per_profile: f64,
    /// `ltv / ltv of the "1" row` (0 when that row has no buyer): the omnichannel uplift.
    pub uplift: f64,
}

/// Computes the LTV figures (needs at least one purchase to say anything) from all the events
/// at once; a run counts them chunk by chunk with [`Tally`].
#[cfg(test)]
pub fn compute(events: &Events) -> Ltv {
    let mut tally = Tally::default();
    tally.add(events);
    tally.finish()
}

/// The LTV figures counted profile by profile, over chunks of profiles in profile order (the
/// events of a chunk at a time; see `campaign::compute`).
#[derive(Debug)]
pub struct Tally {
    per_buyer: Vec<f64>,
    rows: Vec<LtvByChannels>,
    orders: u64,
    spans: Vec<f64>,
}

impl Default for Tally {
    fn default() -> Tally {
        Tally {
            per_buyer: Vec::new(),
            rows: BUCKETS
                .iter()
                .map(|b| LtvByChannels {
                    channels: (*b).to_owned(),
                    ..LtvByChannels::default()
                })
                .collect(),
            orders: 0,
            spans: Vec::new(),
        }
    }
}

impl Tally {
    /// Counts the profiles of `events`.
    pub fn add(&mut self, events: &Events) {
        for p in 0..events.len() {
            let row = &mut self.rows[events.channels[p].clamp(1, 3) - 1];
            row.profiles += 1;
            let bought: Vec<_> = events.of(p).iter().filter(|e| e.is_purchase()).collect();
            if bought.is_empty() {
                continue;
            }
            let revenue: f64 = bought.iter().map(|e| e.amount).sum();
            row.buyers += 1;
            row.revenue += revenue;
            self.per_buyer.push(revenue);
            self.orders += bought.len() as u64;
            let mut dated = bought.iter().filter(|e| e.is_dated()).map(|e| e.time);
            if let Some(first) = dated.next() {
                let last = dated.next_back().unwrap_or(first);
                self.spans.push((last - first) as f64 / 86_400.0);
            }
        }
    }

    /// The figures of every profile counted.
    pub fn finish(self) -> Ltv {
        let Tally {
            mut per_buyer,
            mut rows,
            orders,
            spans,
        } = self;
        let revenue: f64 = per_buyer.iter().sum();
        let buyers = per_buyer.len() as u64;
        per_buyer.sort_by(f64::total_cmp);
        finish(&mut rows);
        Ltv {
            buyers,
            orders,
            revenue: round2(revenue),
            mean: round2(revenue / buyers.max(1) as f64),
            p25: round2(quantile(&per_buyer, 0.25)),
            median: round2(quantile(&per_buyer, 0.5)),
            p75: round2(quantile(&per_buyer, 0.75)),
            p90: round2(quantile(&per_buyer, 0.9)),
            orders_per_buyer: round4(orders as f64 / buyers.max(1) as f64),
            average_order_value: round2(revenue / orders.max(1) as f64),
            buyers_dated: spans.len() as u64,
            mean_span_days: round4(spans.iter().sum::<f64>() / spans.len().max(1) as f64),
            by_channels: rows,
        }
    }
}

/// Derives each row's LTV, revenue per profile and uplift over the single-channel row.
fn finish(rows: &mut [LtvByChannels]) {
    let single = if rows[0].buyers > 0 {
        rows[0].revenue / rows[0].buyers as f64
    } else {
        0.0
    };
    for row in rows.iter_mut() {
        let ltv = if row.buyers > 0 {
            row.revenue / row.buyers as f64
        } else {
            0.0
        };
        row.uplift = if single > 0.0 {
            round4(ltv / single)
        } else {
            0.0
        };
        row.ltv = round2(ltv);
        row.revenue_per_profile = round2(row.revenue / row.profiles.max(1) as f64);
        row.revenue = round2(row.revenue);
    }
}
