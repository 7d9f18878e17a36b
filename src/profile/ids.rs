//! Deterministic profile ids.
//!
//! Without state, a profile's id is derived from its smallest record, ordering records by source
//! name, then record key (rows without a key first), then row number. That record's identity is
//! the string `source:key` when the row has a key, else `source:#row`. The id is `P` followed by the 16 hex digits of the xxh3-64 hash of that
//! string, so the same input gives the same ids whatever the file order or thread count, and a
//! profile keeps its id as long as its smallest record stays in it. In the rare case of a hash
//! collision, the later profile (in run order) hashes its identity with a `#1`, `#2`, ... suffix.

use std::collections::HashSet;

use rayon::prelude::*;
use xxhash_rust::xxh3::xxh3_64;

use crate::extract::Extracted;

/// The identity string of a record (see the module docs).
pub fn record_identity(extracted: &Extracted, record: u32) -> String {
    let r = record as usize;
    let source = &extracted.sources[extracted.records.source[r] as usize].name;
    match extracted.records.key.get(r) {
        Some(key) => format!("{source}:{key}"),
        None => format!("{source}:#{}", extracted.records.row[r]),
    }
}

/// One id per group of records (`members[g]` are the record indices of group `g`).
pub fn assign(extracted: &Extracted, members: &[Vec<u32>]) -> Vec<String> {
    // Hash in parallel; settle the (rare) collisions in run order, so ids stay deterministic.
    let smallest: Vec<String> = members
        .par_iter()
        .map(|records| {
            let first = records
                .iter()
                .copied()
                .min_by(|&a, &b| order_key(extracted, a).cmp(&order_key(extracted, b)))
                .expect("a profile has at least one record");
            record_identity(extracted, first)
        })
        .collect();
    let mut taken = HashSet::with_capacity(members.len());
    smallest
        .iter()
        .map(|identity| {
            let mut id = format_id(xxh3_64(identity.as_bytes()));
            let mut attempt = 0u32;
            while !taken.insert(id.clone()) {
                attempt += 1;
                id = format_id(xxh3_64(format!("{identity}#{attempt}").as_bytes()));
            }
            id
        })
        .collect()
}

/// Records compare by source name, then record key (records without one first), then row:
/// no allocation per record, which matters at millions of records.
fn order_key(extracted: &Extracted, record: u32) -> (&str, Option<&str>, u64) {
    let r = record as usize;
    let source = extracted.sources[extracted.records.source[r] as usize]
        .name
        .as_str();
    (
        source,
        extracted.records.key.get(r),
        extracted.records.row[r],
    )
}

fn format_id(hash: u64) -> String {
    format!("P{hash:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_have_a_fixed_shape() {
        let id = format_id(xxh3_64(b"web_shop:C001"));
        assert_eq!(id.len(), 17);
        assert!(id.starts_with('P'));
        // xxh3 is specified, so this value never changes between builds or crate versions.
        assert_eq!(id, format_id(xxh3_64(b"web_shop:C001")));
    }
}
