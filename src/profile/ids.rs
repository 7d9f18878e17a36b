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
        None => format!("{source}:#{}", extracted.records.row.get(r)),
    }
}

/// A profile id: `P` and the 16 lowercase hex digits of a 64-bit hash. Kept as the number and
/// formatted when written; ordering the numbers orders the texts (fixed width, `0-9` < `a-f`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ProfileId(pub u64);

impl ProfileId {
    /// The id as text, without allocating.
    pub fn text(self) -> [u8; 17] {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut out = [b'P'; 17];
        for (i, slot) in out[1..].iter_mut().enumerate() {
            *slot = HEX[((self.0 >> (60 - 4 * i)) & 0xf) as usize];
        }
        out
    }
}

impl std::fmt::Display for ProfileId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "P{:016x}", self.0)
    }
}

/// One id per group of records (`members[g]` are the record indices of group `g`).
pub fn assign<'m>(
    extracted: &Extracted,
    groups: usize,
    members: &(impl Fn(usize) -> &'m [u32] + Sync),
) -> Vec<ProfileId> {
    // Hash in parallel, each identity built in a reused buffer; settle the (rare) collisions in
    // run order, so ids stay deterministic.
    let firsts: Vec<(u32, u64)> = (0..groups)
        .into_par_iter()
        .map_init(Vec::new, |buffer, g| {
            let first = members(g)
                .iter()
                .copied()
                // Each record's key looked up once (a comparison would look up both again).
                .min_by_key(|&r| order_key(extracted, r))
                .expect("a profile has at least one record");
            buffer.clear();
            write_identity(extracted, first, buffer);
            (first, xxh3_64(buffer))
        })
        .collect();
    let mut taken: HashSet<ProfileId, foldhash::fast::FixedState> =
        HashSet::with_capacity_and_hasher(groups, foldhash::fast::FixedState::default());
    firsts
        .iter()
        .map(|&(first, hash)| {
            let mut id = ProfileId(hash);
            let mut attempt = 0u32;
            while !taken.insert(id) {
                attempt += 1;
                let identity = record_identity(extracted, first);
                id = ProfileId(xxh3_64(format!("{identity}#{attempt}").as_bytes()));
            }
            id
        })
        .collect()
}

/// `record_identity` into a buffer.
fn write_identity(extracted: &Extracted, record: u32, out: &mut Vec<u8>) {
    let r = record as usize;
    let source = &extracted.sources[extracted.records.source[r] as usize].name;
    out.extend_from_slice(source.as_bytes());
    out.push(b':');
    match extracted.records.key.get(r) {
        Some(key) => out.extend_from_slice(key.as_bytes()),
        None => {
            out.push(b'#');
            out.extend_from_slice(
                itoa::Buffer::new()
                    .format(extracted.records.row.get(r))
                    .as_bytes(),
            );
        }
    }
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
        extracted.records.row.get(r),
    )
}

#[cfg(test)]
fn format_id(hash: u64) -> String {
    ProfileId(hash).to_string()
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

    #[test]
    fn text_and_order_agree_with_the_formatted_id() {
        let hashes = [
            0u64,
            1,
            0xa,
            0xff00,
            u64::MAX,
            0x0123_4567_89ab_cdef,
            1 << 63,
        ];
        for &h in &hashes {
            let text = ProfileId(h).text();
            assert_eq!(std::str::from_utf8(&text).unwrap(), format_id(h));
            for &g in &hashes {
                assert_eq!(
                    ProfileId(h).cmp(&ProfileId(g)),
                    format_id(h).cmp(&format_id(g))
                );
            }
        }
    }
}
