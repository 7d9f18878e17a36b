//! Profiles' records as events (time, source, amount), in time order, gathered once for all the
//! campaign metrics, a chunk of profiles at a time (`campaign::compute`): the metrics count
//! chunk by chunk, so the events of all the profiles are never held at once (they were, issue
//! 19: 100 MB at 1M people, the largest allocation alive at the run's memory peak). Records with
//! neither a timestamp nor a purchase take part in no campaign metric and are left out.

use crate::extract::{NO_TIME, Records};
use crate::profile::Profiles;

/// One record of a profile.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Event {
    /// Earliest timestamp of the record, or `NO_TIME`.
    pub time: i64,
    /// Source index.
    pub source: u16,
    /// Amount (a purchase when above zero).
    pub amount: f64,
}

impl Event {
    /// A record with an amount above zero.
    pub fn is_purchase(&self) -> bool {
        self.amount > 0.0
    }

    /// A record with a timestamp.
    pub fn is_dated(&self) -> bool {
        self.time != NO_TIME
    }
}

/// Events per profile: undated first, then by time (then source, for a stable order).
pub struct Events {
    ends: Vec<usize>,
    items: Vec<Event>,
    /// Sources of each profile.
    pub channels: Vec<usize>,
}

impl Events {
    /// Profile `p`'s events.
    pub fn of(&self, p: usize) -> &[Event] {
        let start = if p == 0 { 0 } else { self.ends[p - 1] };
        &self.items[start..self.ends[p]]
    }

    /// Profiles.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Events from per-profile lists (sorted here), each profile's source count taken from
    /// its events; for tests of the metrics.
    #[cfg(test)]
    pub fn from_lists(lists: Vec<Vec<Event>>) -> Events {
        let (mut ends, mut items, mut channels) = (Vec::new(), Vec::new(), Vec::new());
        for mut list in lists {
            list.sort_by(|a, b| a.time.cmp(&b.time).then(a.source.cmp(&b.source)));
            let mut sources: Vec<u16> = list.iter().map(|e| e.source).collect();
            sources.sort_unstable();
            sources.dedup();
            channels.push(sources.len());
            items.extend(list);
            ends.push(items.len());
        }
        Events {
            ends,
            items,
            channels,
        }
    }
}

/// Gathers the events of profiles `range` (their profile `p` is the events' `p - range.start`).
pub fn gather(records: &Records, profiles: &Profiles, range: std::ops::Range<usize>) -> Events {
    let mut items = Vec::new();
    let mut ends = Vec::with_capacity(range.len());
    let mut channels = Vec::with_capacity(range.len());
    for profile in range.map(|p| profiles.get(p)) {
        let start = items.len();
        items.extend(
            profile
                .records
                .iter()
                .map(|&r| Event {
                    time: records.time_min.get(r as usize),
                    source: records.source[r as usize],
                    amount: records.amount[r as usize],
                })
                .filter(|e| e.is_dated() || e.is_purchase()),
        );
        items[start..].sort_by(|a, b| a.time.cmp(&b.time).then(a.source.cmp(&b.source)));
        ends.push(items.len());
        channels.push(profile.sources.len());
    }
    Events {
        ends,
        items,
        channels,
    }
}
