//! ROPO (research online, purchase offline) and cross-channel conversion: which channel a buyer
//! first appeared in, which one they first bought in, and how long it took.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::events::Events;
use super::{SourceTouch, Touch, quantile};
use crate::report::{round4, share};

/// Offline buyers whose profile shows an online contact before the offline purchase.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Ropo {
    /// Profiles with a dated purchase in an offline source.
    pub offline_buyers: u64,
    /// Of them, with a dated record in an online source before their first offline purchase.
    pub online_first: u64,
    /// `online_first / offline_buyers`.
    pub share: f64,
    /// Sources tagged online.
    pub online_sources: Vec<String>,
    /// Sources tagged offline.
    pub offline_sources: Vec<String>,
}

/// Channel of first contact → channel of first purchase.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct CrossChannel {
    /// Buyers with a dated purchase (the ones measured).
    pub buyers: u64,
    /// Of them, first contact and first purchase in different sources.
    pub cross_channel: u64,
    /// `cross_channel / buyers`.
    pub share: f64,
    /// Median days from first contact to first purchase over every buyer measured (nearest
    /// rank); absent in the reports of older runs.
    #[serde(default)]
    pub median_days: f64,
    /// Mean days from first contact to first purchase over every buyer measured.
    #[serde(default)]
    pub mean_days: f64,
    /// Per (first contact, first purchase) pair, most buyers first.
    pub pairs: Vec<CrossChannelRow>,
}

/// One pair of the cross-channel table.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct CrossChannelRow {
    /// Source of the buyer's earliest dated record.
    pub first_contact: String,
    /// Source of the buyer's earliest dated purchase.
    pub first_purchase: String,
    /// Buyers.
    pub buyers: u64,
    /// Median days from first contact to first purchase (nearest rank).
    pub median_days: f64,
    /// Mean days.
    pub mean_days: f64,
}

/// ROPO; `None` (with the reason pushed to `missing`) without both online and offline sources.
/// From all the events at once; a run counts it chunk by chunk with [`RopoTally`].
#[cfg(test)]
pub fn ropo(events: &Events, sources: &[SourceTouch], missing: &mut Vec<String>) -> Option<Ropo> {
    let mut tally = RopoTally::new(sources, missing)?;
    tally.add(events);
    Some(tally.finish())
}

/// ROPO counted over chunks of profiles (see `campaign::compute`).
#[derive(Debug)]
pub struct RopoTally {
    touch: Vec<Option<Touch>>,
    online_sources: Vec<String>,
    offline_sources: Vec<String>,
    offline_buyers: u64,
    online_first: u64,
}

impl RopoTally {
    /// An empty tally; `None` (with the reason pushed to `missing`) without both online and
    /// offline sources.
    pub fn new(sources: &[SourceTouch], missing: &mut Vec<String>) -> Option<RopoTally> {
        let touch: Vec<Option<Touch>> = sources.iter().map(SourceTouch::parsed).collect();
        let named = |t: &str| -> Vec<String> {
            sources
                .iter()
                .filter(|s| s.touch == t)
                .map(|s| s.source.clone())
                .collect()
        };
        let has = |t| touch.contains(&Some(t));
        if !has(Touch::Offline) || !has(Touch::Online) {
            missing.push(
                "ROPO needs an online and an offline source: tag them with `channel = \"online\"` \
                 or `channel = \"offline\"` under [sources.<name>] in omni.toml"
                    .to_owned(),
            );
            return None;
        }
        Some(RopoTally {
            online_sources: named("online"),
            offline_sources: named("offline"),
            touch,
            offline_buyers: 0,
            online_first: 0,
        })
    }

    /// Counts the profiles of `events`.
    pub fn add(&mut self, events: &Events) {
        let touch = &self.touch;
        let is = |source: u16, t: Touch| touch[source as usize] == Some(t);
        for p in 0..events.len() {
            let evs = events.of(p);
            let first_offline = evs
                .iter()
                .filter(|e| e.is_purchase() && e.is_dated() && is(e.source, Touch::Offline))
                .map(|e| e.time)
                .min();
            let Some(first_offline) = first_offline else {
                continue;
            };
            self.offline_buyers += 1;
            let online_before = evs
                .iter()
                .any(|e| e.is_dated() && e.time < first_offline && is(e.source, Touch::Online));
            self.online_first += u64::from(online_before);
        }
    }

    /// ROPO over every profile counted.
    pub fn finish(self) -> Ropo {
        Ropo {
            offline_buyers: self.offline_buyers,
            online_first: self.online_first,
            share: share(self.online_first, self.offline_buyers),
            online_sources: self.online_sources,
            offline_sources: self.offline_sources,
        }
    }
}

/// Cross-channel conversion (call only when a dated purchase exists) from all the events at
/// once; a run counts it chunk by chunk with [`CrossChannelTally`].
#[cfg(test)]
pub fn cross_channel(events: &Events, names: &[&str]) -> CrossChannel {
    let mut tally = CrossChannelTally::default();
    tally.add(events);
    tally.finish(names)
}

/// Cross-channel conversion counted over chunks of profiles: per (first contact's source,
/// first purchase's source), the days between them of each buyer.
#[derive(Debug, Default)]
pub struct CrossChannelTally {
    pairs: BTreeMap<(u16, u16), Vec<f64>>,
}

impl CrossChannelTally {
    /// Counts the profiles of `events`.
    pub fn add(&mut self, events: &Events) {
        for p in 0..events.len() {
            let evs = events.of(p);
            // Undated events sort first; the earliest dated ones follow.
            let Some(purchase) = evs.iter().find(|e| e.is_purchase() && e.is_dated()) else {
                continue;
            };
            let contact = evs
                .iter()
                .find(|e| e.is_dated())
                .expect("the purchase is dated");
            let days = (purchase.time - contact.time) as f64 / 86_400.0;
            self.pairs
                .entry((contact.source, purchase.source))
                .or_default()
                .push(days);
        }
    }

    /// The conversion over every profile counted, sources named by `names`.
    pub fn finish(self, names: &[&str]) -> CrossChannel {
        let pairs = self.pairs;
        let buyers: u64 = pairs.values().map(|d| d.len() as u64).sum();
        let mut all: Vec<f64> = pairs.values().flatten().copied().collect();
        all.sort_by(f64::total_cmp);
        let cross: u64 = pairs
            .iter()
            .filter(|((c, b), _)| c != b)
            .map(|(_, d)| d.len() as u64)
            .sum();
        let mut rows: Vec<CrossChannelRow> = pairs
            .into_iter()
            .map(|((c, b), mut days)| {
                days.sort_by(f64::total_cmp);
                CrossChannelRow {
                    first_contact: names[c as usize].to_owned(),
                    first_purchase: names[b as usize].to_owned(),
                    buyers: days.len() as u64,
                    median_days: round4(quantile(&days, 0.5)),
                    mean_days: round4(days.iter().sum::<f64>() / days.len() as f64),
                }
            })
            .collect();
        rows.sort_by_key(|r| std::cmp::Reverse(r.buyers));
        CrossChannel {
            buyers,
            cross_channel: cross,
            share: share(cross, buyers),
            median_days: round4(quantile(&all, 0.5)),
            mean_days: round4(all.iter().sum::<f64>() / all.len().max(1) as f64),
            pairs: rows,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::campaign::Event;

    fn event(time: i64, source: u16, amount: f64) -> Event {
        Event {
            time,
            source,
            amount,
        }
    }

    fn tags() -> Vec<SourceTouch> {
        [
            ("shop", "online"),
            ("pos", "offline"),
            ("loyalty", "unknown"),
        ]
        .iter()
        .map(|(s, t)| SourceTouch {
            source: (*s).to_owned(),
            touch: (*t).to_owned(),
            from: String::new(),
        })
        .collect()
    }

    #[test]
    fn only_an_online_record_before_the_first_offline_purchase_counts() {
        let events = Events::from_lists(vec![
            vec![event(10, 0, 0.0), event(20, 1, 5.0)], // online first: ROPO
            vec![event(20, 1, 5.0), event(30, 0, 9.0)], // online after: no
            vec![event(10, 2, 0.0), event(20, 1, 5.0)], // unknown source first: no
            vec![event(10, 0, 3.0)],                    // no offline purchase: not counted
        ]);
        let mut missing = Vec::new();
        let r = ropo(&events, &tags(), &mut missing).unwrap();
        assert_eq!((r.offline_buyers, r.online_first, r.share), (3, 1, 0.3333));
        assert_eq!(
            (r.online_sources, r.offline_sources),
            (vec!["shop".to_owned()], vec!["pos".to_owned()])
        );
        assert!(missing.is_empty());
        let only_online = &tags()[..1];
        assert!(ropo(&events, only_online, &mut missing).is_none());
        assert!(missing[0].contains("online and an offline source"));
    }

    #[test]
    fn first_contact_and_first_purchase_make_one_pair_per_buyer() {
        let day = 86_400;
        let events = Events::from_lists(vec![
            vec![event(0, 0, 0.0), event(2 * day, 1, 5.0)],
            vec![event(0, 0, 0.0), event(4 * day, 1, 5.0)],
            vec![event(0, 1, 7.0)],
        ]);
        let x = cross_channel(&events, &["shop", "pos"]);
        assert_eq!((x.buyers, x.cross_channel, x.share), (3, 2, 0.6667));
        let first = &x.pairs[0];
        assert_eq!(
            (first.first_contact.as_str(), first.first_purchase.as_str()),
            ("shop", "pos")
        );
        assert_eq!(
            (first.buyers, first.median_days, first.mean_days),
            (2, 2.0, 3.0)
        );
        // Over every buyer: 0, 2 and 4 days.
        assert_eq!((x.median_days, x.mean_days), (2.0, 2.0));
    }
}
