//! Per-period figures: retention and churn of buyers, and customers active in several
//! channels. Periods are calendar months or quarters (UTC), every period from the first to the
//! last dated event listed, empty ones included, so that a gap shows as churn.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::events::Events;
use super::{Period, next_period, period_label, period_of};
use crate::report::share;

/// Retention and churn of buyers by period.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Retention {
    /// `Σ retained / Σ active in the previous period`, over every period but the first.
    pub retention_rate: f64,
    /// `Σ lost / Σ active in the previous period` (= 1 − retention_rate).
    pub churn_rate: f64,
    /// Per period, oldest first.
    pub periods: Vec<RetentionRow>,
}

/// One period of the retention table.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct RetentionRow {
    /// `2026-03` or `2026-Q1`.
    pub period: String,
    /// Buyers with a dated purchase in the period.
    pub active: u64,
    /// Of them, buyers whose first dated purchase is in the period.
    pub new: u64,
    /// Of them, buyers active in the previous period too.
    pub retained: u64,
    /// Buyers active in the previous period but not in this one.
    pub lost: u64,
    /// `retained / active in the previous period`.
    pub retention_rate: f64,
    /// `lost / active in the previous period`.
    pub churn_rate: f64,
}

/// Customers active in two or more channels, by period.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct MultiChannel {
    /// `Σ multichannel / Σ active` over all periods (customer-periods).
    pub share: f64,
    /// Per period, oldest first.
    pub periods: Vec<MultiChannelRow>,
}

/// One period of the multi-channel table.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct MultiChannelRow {
    /// `2026-03` or `2026-Q1`.
    pub period: String,
    /// Profiles with a dated record in the period.
    pub active: u64,
    /// Of them, with dated records from two or more sources in the period.
    pub multichannel: u64,
    /// `multichannel / active`.
    pub share: f64,
}

/// The indices of every period from the first to the last key, and their labels.
fn calendar(first: (i64, u32), last: (i64, u32), period: Period) -> BTreeMap<(i64, u32), usize> {
    let mut index = BTreeMap::new();
    let mut p = first;
    while p <= last {
        index.insert(p, index.len());
        p = next_period(p, period);
    }
    index
}

#[cfg(test)]
fn bounds<'a>(
    events: impl Iterator<Item = &'a super::events::Event>,
    period: Period,
) -> Option<((i64, u32), (i64, u32))> {
    let periods = events
        .filter(|e| e.is_dated())
        .map(|e| period_of(e.time, period));
    periods.fold(None, |acc, p| match acc {
        None => Some((p, p)),
        Some((lo, hi)) => Some((lo.min(p), hi.max(p))),
    })
}

#[cfg(test)]
fn all<'a>(events: &'a Events) -> impl Iterator<Item = &'a super::events::Event> + 'a {
    (0..events.len()).flat_map(move |p| events.of(p).iter())
}

/// The first and last period keys.
pub type Bounds = ((i64, u32), (i64, u32));

/// Retention and churn (call only when a dated purchase exists) from all the events at once; a
/// run counts them chunk by chunk with [`RetentionTally`].
#[cfg(test)]
pub fn retention(events: &Events, period: Period) -> Retention {
    let purchases = all(events).filter(|e| e.is_purchase());
    let mut tally = RetentionTally::new(bounds(purchases, period), period);
    tally.add(events);
    tally.finish()
}

/// `seen` set to `items`, sorted, each once (one profile's periods, reusing the buffer).
fn distinct_into<T: Ord>(seen: &mut Vec<T>, items: impl Iterator<Item = T>) {
    seen.clear();
    seen.extend(items);
    seen.sort_unstable();
    seen.dedup();
}

/// The periods from `bounds` (`None`: none) and their indices.
fn periods_of(bounds: Option<Bounds>, period: Period) -> BTreeMap<(i64, u32), usize> {
    bounds.map_or_else(BTreeMap::new, |(first, last)| calendar(first, last, period))
}

/// Retention counted over chunks of profiles (see `campaign::compute`): `bounds` are those of
/// every profile's dated purchases, known before the first chunk.
#[derive(Debug)]
pub struct RetentionTally {
    period: Period,
    index: BTreeMap<(i64, u32), usize>,
    active: Vec<u64>,
    new: Vec<u64>,
    retained: Vec<u64>,
    seen: Vec<usize>,
}

impl RetentionTally {
    /// An empty tally over the periods of `bounds` (`None`: no dated purchase).
    pub fn new(bounds: Option<Bounds>, period: Period) -> RetentionTally {
        let index = periods_of(bounds, period);
        let n = index.len();
        RetentionTally {
            period,
            index,
            active: vec![0; n],
            new: vec![0; n],
            retained: vec![0; n],
            seen: Vec::new(),
        }
    }

    /// Counts the profiles of `events`.
    pub fn add(&mut self, events: &Events) {
        if self.index.is_empty() {
            return;
        }
        let (index, period, seen) = (&self.index, self.period, &mut self.seen);
        for p in 0..events.len() {
            let kept = events
                .of(p)
                .iter()
                .filter(|e| e.is_purchase() && e.is_dated());
            distinct_into(seen, kept.map(|e| index[&period_of(e.time, period)]));
            if let Some(&first) = seen.first() {
                self.new[first] += 1;
            }
            for (k, &i) in seen.iter().enumerate() {
                self.active[i] += 1;
                self.retained[i] += u64::from(k > 0 && seen[k - 1] + 1 == i);
            }
        }
    }

    /// The retention of every profile counted.
    pub fn finish(self) -> Retention {
        if self.index.is_empty() {
            return Retention::default();
        }
        let RetentionTally {
            period,
            index,
            active,
            new,
            retained,
            ..
        } = self;
        let labels: Vec<String> = index.keys().map(|&p| period_label(p, period)).collect();
        let (mut kept, mut before) = (0, 0);
        let periods = (0..index.len())
            .map(|i| {
                let previous = if i == 0 { 0 } else { active[i - 1] };
                kept += retained[i];
                before += previous;
                RetentionRow {
                    period: labels[i].clone(),
                    active: active[i],
                    new: new[i],
                    retained: retained[i],
                    lost: previous - retained[i],
                    retention_rate: share(retained[i], previous),
                    churn_rate: share(previous - retained[i], previous),
                }
            })
            .collect();
        Retention {
            retention_rate: share(kept, before),
            churn_rate: share(before - kept, before),
            periods,
        }
    }
}

/// Multi-channel activity (`None` when no record is dated) from all the events at once; a run
/// counts it chunk by chunk with [`MultiChannelTally`].
#[cfg(test)]
pub fn multichannel(events: &Events, period: Period) -> Option<MultiChannel> {
    let mut tally = MultiChannelTally::new(bounds(all(events), period), period);
    tally.add(events);
    tally.finish()
}

/// Multi-channel activity counted over chunks of profiles: `bounds` are those of every
/// profile's dated events, known before the first chunk.
#[derive(Debug)]
pub struct MultiChannelTally {
    period: Period,
    index: BTreeMap<(i64, u32), usize>,
    active: Vec<u64>,
    multi: Vec<u64>,
    seen: Vec<(usize, u16)>,
}

impl MultiChannelTally {
    /// An empty tally over the periods of `bounds` (`None`: no dated event).
    pub fn new(bounds: Option<Bounds>, period: Period) -> MultiChannelTally {
        let index = periods_of(bounds, period);
        let n = index.len();
        MultiChannelTally {
            period,
            index,
            active: vec![0; n],
            multi: vec![0; n],
            seen: Vec::new(),
        }
    }

    /// Counts the profiles of `events`.
    pub fn add(&mut self, events: &Events) {
        if self.index.is_empty() {
            return;
        }
        let (index, period, seen) = (&self.index, self.period, &mut self.seen);
        for p in 0..events.len() {
            let kept = events.of(p).iter().filter(|e| e.is_dated());
            distinct_into(
                seen,
                kept.map(|e| (index[&period_of(e.time, period)], e.source)),
            );
            for (k, &(i, _)) in seen.iter().enumerate() {
                let first_of_period = k == 0 || seen[k - 1].0 != i;
                let second_source = k > 0 && seen[k - 1].0 == i && (k < 2 || seen[k - 2].0 != i);
                self.active[i] += u64::from(first_of_period);
                self.multi[i] += u64::from(second_source);
            }
        }
    }

    /// The activity of every profile counted; `None` without a dated event.
    pub fn finish(self) -> Option<MultiChannel> {
        if self.index.is_empty() {
            return None;
        }
        let MultiChannelTally {
            period,
            index,
            active,
            multi,
            ..
        } = self;
        let periods: Vec<MultiChannelRow> = index
            .keys()
            .enumerate()
            .map(|(i, &p)| MultiChannelRow {
                period: period_label(p, period),
                active: active[i],
                multichannel: multi[i],
                share: share(multi[i], active[i]),
            })
            .collect();
        Some(MultiChannel {
            share: share(multi.iter().sum(), active.iter().sum()),
            periods,
        })
    }
}

/// The bounds of the dated records among `records` that belong to a profile, and of those of
/// them that are purchases: the bounds [`multichannel`] and [`retention`] take from their
/// events, found in one pass over the record columns, before any events are gathered.
pub fn bounds_of_records(
    records: &crate::extract::Records,
    in_profile: &[u32],
    period: Period,
) -> (Option<Bounds>, Option<Bounds>) {
    // The earliest and latest time of each kind.
    type Span = Option<(i64, i64)>;
    let (mut dated, mut bought): (Span, Span) = (None, None);
    let widen = |b: &mut Span, t: i64| {
        *b = Some(b.map_or((t, t), |(lo, hi)| (lo.min(t), hi.max(t))));
    };
    let columns = records.time_min.iter().zip(&records.amount).zip(in_profile);
    for ((time, &amount), &profile) in columns {
        if time == crate::extract::NO_TIME || profile == crate::graph::NONE {
            continue;
        }
        widen(&mut dated, time);
        if amount > 0.0 {
            widen(&mut bought, time);
        }
    }
    let keys = |b: Span| b.map(|(lo, hi)| (period_of(lo, period), period_of(hi, period)));
    (keys(dated), keys(bought))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::campaign::Event;

    const DAY: i64 = 86_400;
    /// 2025-01-15 00:00 UTC.
    const JAN: i64 = 1_736_899_200;

    fn event(days: i64, source: u16, amount: f64) -> Event {
        Event {
            time: JAN + days * DAY,
            source,
            amount,
        }
    }

    /// A buyer in January and March (a gap) and one in January and February: February
    /// retains one of two, March retains nobody and loses the February buyer.
    #[test]
    fn a_gap_month_counts_as_churn_and_empty_months_are_listed() {
        let events = Events::from_lists(vec![
            vec![event(0, 0, 10.0), event(59, 0, 10.0)],
            vec![event(1, 0, 10.0), event(31, 1, 10.0), event(2, 1, 0.0)],
        ]);
        let r = retention(&events, Period::Month);
        let rows: Vec<(&str, u64, u64, u64, u64)> = r
            .periods
            .iter()
            .map(|p| (p.period.as_str(), p.active, p.new, p.retained, p.lost))
            .collect();
        assert_eq!(
            rows,
            [
                ("2025-01", 2, 2, 0, 0),
                ("2025-02", 1, 0, 1, 1),
                ("2025-03", 1, 0, 0, 1)
            ]
        );
        // Σ retained 1 / Σ previous active 3.
        assert_eq!((r.retention_rate, r.churn_rate), (0.3333, 0.6667));
    }

    #[test]
    fn a_customer_is_multichannel_in_a_period_with_two_sources_in_it() {
        let events = Events::from_lists(vec![
            vec![event(0, 0, 0.0), event(1, 1, 5.0), event(2, 2, 0.0)],
            vec![event(0, 0, 0.0), event(40, 1, 0.0)],
        ]);
        let m = multichannel(&events, Period::Month).unwrap();
        let rows: Vec<(u64, u64)> = m
            .periods
            .iter()
            .map(|p| (p.active, p.multichannel))
            .collect();
        assert_eq!(rows, [(2, 1), (1, 0)]);
        assert_eq!(m.share, 0.3333);
        let undated = Events::from_lists(vec![vec![Event {
            time: crate::extract::NO_TIME,
            source: 0,
            amount: 1.0,
        }]]);
        assert!(multichannel(&undated, Period::Month).is_none());
    }
}
