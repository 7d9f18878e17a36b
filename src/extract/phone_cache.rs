//! Phones repeat (a household, a till, one person in several exports), and parsing one off the
//! fast path costs a libphonenumber parse: [`PhoneCache`] keeps each distinct (region, raw text)
//! parsed once per worker thread.
//!
//! Issue 19 measured the first design (64 shards behind mutexes, shared by all workers, three
//! heap strings per entry) on the international set: the cache cost 12% of the run's CPU for a
//! 13% hit rate (two contended locks, three allocations and frees, and pointer-chasing misses
//! per phone cell). This one gives each rayon worker its own shard, locked only by that
//! worker (so the lock is never contended), and keeps every key and result in one text arena
//! per shard: a miss allocates nothing of its own, a clear frees two buffers.
//!
//! The cache never changes a result: a hit returns what the parse returned.

use std::hash::BuildHasher;
use std::sync::Mutex;

use super::{Processed, Value};
use crate::graph::intern::Interner;
use crate::normalize::{Kind, Normalizers};
use crate::reject::RejectReason;

/// Entries kept in all shards together before a shard is cleared.
const CAPACITY: usize = 1 << 20;

/// Bytes of text a shard's arena holds before it is cleared (keeps memory flat on freak cells).
const ARENA_BYTES: usize = 32 << 20;

/// What a cached parse gave.
#[derive(Clone, Copy, Debug)]
enum Outcome {
    Empty,
    /// Canonical text of this many bytes, after the key in the arena.
    Valid(u32),
    Rejected(RejectReason),
}

/// One cached parse: its key's hash and where its region, raw text and canonical text lie,
/// back to back, in the shard's arena.
#[derive(Clone, Copy, Debug)]
struct Entry {
    hash: u64,
    start: u32,
    region_len: u32,
    raw_len: u32,
    outcome: Outcome,
}

#[derive(Debug, Default)]
struct Shard {
    table: hashbrown::HashTable<Entry>,
    text: String,
}

impl Shard {
    fn key(&self, entry: &Entry) -> (&str, &str) {
        let start = entry.start as usize;
        let raw_start = start + entry.region_len as usize;
        (
            &self.text[start..raw_start],
            &self.text[raw_start..raw_start + entry.raw_len as usize],
        )
    }

    fn canonical(&self, entry: &Entry, len: u32) -> &str {
        let start = (entry.start + entry.region_len + entry.raw_len) as usize;
        &self.text[start..start + len as usize]
    }

    /// Keeps `value` (just produced for `raw` in `out`) for (`region`, `raw`).
    fn insert(&mut self, hash: u64, region: &str, raw: &str, value: Value, out: &Processed) {
        let capacity = CAPACITY / rayon::current_num_threads().max(1);
        if self.table.len() >= capacity || self.text.len() >= ARENA_BYTES {
            self.table.clear();
            self.text.clear();
        }
        let start = self.text.len();
        self.text.push_str(region);
        self.text.push_str(raw);
        let outcome = match value {
            Value::Empty => Outcome::Empty,
            Value::Valid(span, _) => {
                let canonical = out.str(span);
                self.text.push_str(canonical);
                Outcome::Valid(canonical.len() as u32)
            }
            Value::Rejected(reason, _) => Outcome::Rejected(reason),
            Value::Local(..) => unreachable!("local numbers are made after the cache"),
        };
        let entry = Entry {
            hash,
            start: start as u32,
            region_len: region.len() as u32,
            raw_len: raw.len() as u32,
            outcome,
        };
        self.table.insert_unique(hash, entry, |e| e.hash);
    }
}

/// Parsed phones by (region, raw text), one shard per rayon worker (see the module docs).
pub(super) struct PhoneCache {
    hasher: foldhash::fast::FixedState,
    /// One per worker thread, and one more for callers outside the pool.
    shards: Vec<Mutex<Shard>>,
}

impl Default for PhoneCache {
    fn default() -> Self {
        PhoneCache {
            hasher: foldhash::fast::FixedState::default(),
            shards: (0..=rayon::current_num_threads())
                .map(|_| Mutex::default())
                .collect(),
        }
    }
}

impl PhoneCache {
    /// The phone `raw` normalized for `region`, its text stored in `out`: what
    /// `out.value(&normalizers.normalize(Kind::Phone, raw, region), raw, namespace)` gives. A
    /// hit copies the cached text straight into `out`; a miss parses into `out` and keeps the
    /// result.
    pub(super) fn value(
        &self,
        normalizers: &Normalizers,
        raw: &str,
        region: Option<&str>,
        namespace: u16,
        out: &mut Processed,
    ) -> Value {
        if raw.trim().is_empty() {
            return Value::Empty;
        }
        let region = region.unwrap_or("");
        let hash = self.hasher.hash_one((region, raw));
        let worker = rayon::current_thread_index().map_or(0, |i| i + 1);
        let mut shard = self.shards[worker % self.shards.len()]
            .lock()
            .expect("no worker panics while holding its shard");
        let found = shard
            .table
            .find(hash, |e| e.hash == hash && shard.key(e) == (region, raw));
        if let Some(&entry) = found {
            return match entry.outcome {
                Outcome::Empty => Value::Empty,
                Outcome::Valid(len) => {
                    let canonical = shard.canonical(&entry, len);
                    Value::Valid(out.push(canonical), Interner::tag(namespace, canonical))
                }
                Outcome::Rejected(reason) => Value::Rejected(reason, out.push(raw.trim())),
            };
        }
        let given = Some(region).filter(|r| !r.is_empty());
        let value = out.normalize_kind(normalizers, Kind::Phone, namespace, raw, given);
        shard.insert(hash, region, raw, value, out);
        value
    }

    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        self.shards
            .iter()
            .map(|s| s.lock().expect("test").table.len())
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_distinct_phone_is_parsed_once_per_region() {
        let normalizers = Normalizers::new(&crate::config::Settings::default()).unwrap();
        let cache = PhoneCache::default();
        let mut out = Processed::default();
        let mut direct = Processed::default();
        for _ in 0..3 {
            for raw in [
                "8 916 123-45-67",
                "8 495 914-93-28",
                " 000 ",
                "8 916 12",
                "  ",
            ] {
                let cached = cache.value(&normalizers, raw, Some("RU"), 1, &mut out);
                let result = normalizers.normalize(Kind::Phone, raw, Some("RU"));
                let want = direct.value(&result, raw, 1);
                assert_eq!(cached, want, "{raw}");
            }
        }
        assert_eq!(out.text, direct.text, "hits store the same text as parses");
        assert!(out.text.contains("+79161234567") && out.text.contains("000"));
        assert_eq!(cache.len(), 4, "three passes over four cells: four parses");
        let _ = cache.value(&normalizers, "8 916 123-45-67", Some("KZ"), 1, &mut out);
        assert_eq!(cache.len(), 5, "the region is part of the key");
    }

    /// The same cells from every worker of a pool give what parsing each gives, whichever
    /// worker's shard holds them (or none does).
    #[test]
    fn workers_share_nothing_but_agree() {
        use rayon::prelude::*;
        let normalizers = Normalizers::new(&crate::config::Settings::default()).unwrap();
        let cache = PhoneCache::default();
        let cells = [
            ("+1-415-555-0123", "US"),
            ("(415) 555-0123", "US"),
            ("0044 7700 900123", ""),
            ("020 7946 0958", "GB"),
            ("8 916 123-45-67", "RU"),
            ("12", "RU"),
        ];
        let texts: Vec<(Vec<Value>, String)> = (0..64)
            .into_par_iter()
            .map(|_| {
                let mut out = Processed::default();
                let values = cells
                    .iter()
                    .map(|&(raw, region)| {
                        let region = Some(region).filter(|r| !r.is_empty());
                        cache.value(&normalizers, raw, region, 1, &mut out)
                    })
                    .collect();
                (values, out.text)
            })
            .collect();
        let mut direct = Processed::default();
        let want: Vec<Value> = cells
            .iter()
            .map(|&(raw, region)| {
                let region = Some(region).filter(|r| !r.is_empty());
                let result = normalizers.normalize(Kind::Phone, raw, region);
                direct.value(&result, raw, 1)
            })
            .collect();
        for (values, text) in texts {
            assert_eq!(values, want);
            assert_eq!(text, direct.text);
        }
    }
}
