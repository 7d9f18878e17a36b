//! Interning identifiers: `(namespace, canonical value)` → dense `u32` id.
//!
//! All values live in one byte arena and the hash table stores only `u32` ids, which takes about
//! 2.5 times less memory than a `HashMap<String, u32>` (research/deps.md §6). Ids are given in
//! first-seen order, so the same input in the same order always gets the same ids. This is the
//! single-table version; a radix-partitioned one is the known remedy once it dominates (scale.md).
//!
//! Each slot also keeps 32 bits of the value's hash, and the table's own hash is derived from
//! those bits alone. So a probe compares the value's bytes (two cache misses: the id's entry,
//! which packs its namespace with its end offset, and the arena) only when 32 bits of hash
//! already agree, and growing the table moves slots
//! without reading or rehashing a single value (before this, growth re-read the whole arena at
//! every doubling: 4% of the extract stage at 1M people).
//!
//! The tag is a pure function of `(namespace, value)` ([`Interner::tag`], a fixed-seed hash), so
//! `extract` computes it in its parallel normalize stage and hands it to
//! [`Interner::intern_tagged`]: the sequential append stage then only probes and compares.

use std::hash::BuildHasher;

use hashbrown::HashTable;

/// Dense ids for identifier strings, per namespace (email, phone, card, `id:<ns>`).
#[derive(Debug, Default)]
pub struct Interner {
    /// `(id, tag)`: the tag is the low 32 bits of the value's hash (see [`table_hash`]).
    table: HashTable<(u32, u32)>,
    /// Per id, its namespace in the top 16 bits and the end offset of its bytes in `bytes` in
    /// the low 48 (its start is the previous end): a probe that matches the tag reads the
    /// namespace and both offsets from one cache line, not from two arrays.
    entries: Vec<u64>,
    /// Every value, back to back. A `String`, so values come back as `&str` without a UTF-8
    /// check (slicing only checks the two char boundaries).
    bytes: String,
}

impl Interner {
    /// An empty interner.
    pub fn new() -> Interner {
        Interner::default()
    }

    /// An empty interner with room for `ids` values of `bytes` bytes in all, so that filling it
    /// never grows (and rehashes) the table.
    pub fn with_capacity(ids: usize, bytes: usize) -> Interner {
        Interner {
            table: HashTable::with_capacity(ids),
            entries: Vec::with_capacity(ids),
            bytes: String::with_capacity(bytes),
        }
    }

    /// Bytes of all values together.
    pub fn bytes(&self) -> usize {
        self.bytes.len()
    }

    /// The 32-bit hash of `(namespace, value)` that [`Interner::intern_tagged`] takes. The same
    /// for every interner and every thread (a fixed seed), so it can be computed anywhere.
    pub fn tag(namespace: u16, value: &str) -> u32 {
        foldhash::fast::FixedState::default().hash_one((namespace, value)) as u32
    }

    /// The id of `(namespace, value)`, inserting it if new.
    pub fn intern(&mut self, namespace: u16, value: &str) -> u32 {
        self.intern_tagged(namespace, value, Interner::tag(namespace, value))
    }

    /// [`Interner::intern`] with the value's tag already computed: `tag` must be
    /// `Interner::tag(namespace, value)`.
    pub fn intern_tagged(&mut self, namespace: u16, value: &str, tag: u32) -> u32 {
        debug_assert_eq!(tag, Interner::tag(namespace, value), "tag of {value:?}");
        if self.table.len() < self.entries.len() {
            self.rebuild_index();
        }
        let hash = table_hash(tag);
        let Interner {
            table,
            entries,
            bytes,
        } = self;
        let found = table.find(hash, |&(id, other)| {
            other == tag
                && (entries[id as usize] >> END_BITS) as u16 == namespace
                && slice(entries, bytes, id) == value
        });
        if let Some(&(id, _)) = found {
            return id;
        }
        let id = u32::try_from(entries.len()).expect("fewer than 2^32 distinct identifiers");
        bytes.push_str(value);
        let end = bytes.len() as u64;
        assert!(end <= END_MASK, "fewer than 2^48 bytes of identifiers");
        entries.push(u64::from(namespace) << END_BITS | end);
        table.insert_unique(hash, (id, tag), |&(_, other)| table_hash(other));
        id
    }

    /// Frees the hash table that finds a value's id, keeping the values and their ids: once
    /// a run has linked its records nothing interns any more, and the table is a few percent
    /// of the memory the later stages hold (its allocation was 38 MB at 1M people, and freeing
    /// it lowered the peak by 20 MB, issue 19). Interning again rebuilds it first, so ids stay
    /// the same.
    pub fn release_index(&mut self) {
        self.table = HashTable::new();
    }

    /// Rebuilds the table from the values (after [`Interner::release_index`]).
    fn rebuild_index(&mut self) {
        let mut table = HashTable::with_capacity(self.entries.len());
        for id in 0..self.entries.len() as u32 {
            let (namespace, value) = self.get(id);
            let tag = Interner::tag(namespace, value);
            table.insert_unique(table_hash(tag), (id, tag), |&(_, other)| table_hash(other));
        }
        self.table = table;
    }

    /// The namespace and value of `id`.
    pub fn get(&self, id: u32) -> (u16, &str) {
        (self.namespace_of(id), slice(&self.entries, &self.bytes, id))
    }

    /// The namespace of `id` (cheaper than `get` when the value is not needed).
    pub fn namespace_of(&self, id: u32) -> u16 {
        (self.entries[id as usize] >> END_BITS) as u16
    }

    /// The namespace and raw bytes of `id`, for ordering without UTF-8 checks. Byte order of
    /// UTF-8 equals the code point order of the strings.
    #[inline]
    pub fn sort_key(&self, id: u32) -> (u16, &[u8]) {
        (
            self.namespace_of(id),
            slice(&self.entries, &self.bytes, id).as_bytes(),
        )
    }

    /// Number of distinct identifiers.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when nothing was interned.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// The table's hash of a slot from its 32-bit tag alone, so growth never reads the values. The
/// odd multiplier spreads the tag over all 64 bits: hashbrown takes the bucket from the low bits
/// and its 7-bit control byte from the top ones, and both must vary with the tag.
fn table_hash(tag: u32) -> u64 {
    u64::from(tag).wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

/// Bits of an entry that hold the end offset; the namespace is above them.
const END_BITS: u32 = 48;
const END_MASK: u64 = (1 << END_BITS) - 1;

fn slice<'a>(entries: &[u64], bytes: &'a str, id: u32) -> &'a str {
    let end = (entries[id as usize] & END_MASK) as usize;
    let start = if id == 0 {
        0
    } else {
        (entries[id as usize - 1] & END_MASK) as usize
    };
    &bytes[start..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_value_same_id_and_namespaces_are_separate() {
        let mut interner = Interner::new();
        let a = interner.intern(0, "a@b.ru");
        let b = interner.intern(1, "a@b.ru");
        let c = interner.intern(0, "a@b.ru");
        assert_eq!(a, c);
        assert_ne!(a, b);
        assert_eq!(interner.get(b), (1, "a@b.ru"));
        assert_eq!(interner.len(), 2);
    }

    proptest::proptest! {
        /// Ids are first-seen positions: interning equals a reference map, across growth.
        #[test]
        fn ids_match_a_reference_map(
            values in proptest::collection::vec(
                (proptest::sample::select(vec![0u16, 1, 2, 0x7fff, u16::MAX]), "[a-c]{0,3}"),
                0..400,
            )
        ) {
            let mut interner = Interner::new();
            let mut reference: std::collections::HashMap<(u16, String), u32> = Default::default();
            for (namespace, value) in &values {
                let next = reference.len() as u32;
                let want = *reference.entry((*namespace, value.clone())).or_insert(next);
                proptest::prop_assert_eq!(interner.intern(*namespace, value), want);
            }
            proptest::prop_assert_eq!(interner.len(), reference.len());
            for ((namespace, value), id) in &reference {
                proptest::prop_assert_eq!(interner.get(*id), (*namespace, value.as_str()));
            }
        }
    }

    /// Released and interned again: the values already in keep their ids, new ones come next.
    #[test]
    fn a_released_index_is_rebuilt_with_the_same_ids() {
        let mut interner = Interner::new();
        let values: Vec<String> = (0..1000).map(|i| format!("v{i}@x.ru")).collect();
        let ids: Vec<u32> = values.iter().map(|v| interner.intern(0, v)).collect();
        interner.release_index();
        assert_eq!(interner.get(ids[7]), (0, "v7@x.ru"), "values are kept");
        for (value, &id) in values.iter().zip(&ids).rev() {
            assert_eq!(interner.intern(0, value), id);
        }
        assert_eq!(
            interner.intern(1, "v7@x.ru"),
            1000,
            "another namespace, a new id"
        );
        assert_eq!(interner.intern(0, "new@x.ru"), 1001);
        assert_eq!(interner.len(), 1002);
    }

    proptest::proptest! {
        /// Tags computed ahead (as extract's parallel stage does) give the ids `intern` gives.
        #[test]
        fn tagged_interning_equals_interning(
            values in proptest::collection::vec((0u16..3, "[a-c@.]{0,4}"), 0..300)
        ) {
            let mut plain = Interner::new();
            let mut tagged = Interner::new();
            for (namespace, value) in &values {
                let tag = Interner::tag(*namespace, value);
                proptest::prop_assert_eq!(
                    tagged.intern_tagged(*namespace, value, tag),
                    plain.intern(*namespace, value)
                );
            }
            proptest::prop_assert_eq!(tagged.len(), plain.len());
        }
    }

    #[test]
    fn survives_growth() {
        let mut interner = Interner::new();
        let ids: Vec<u32> = (0..10_000)
            .map(|i| interner.intern(2, &format!("card{i}")))
            .collect();
        for (i, &id) in ids.iter().enumerate() {
            assert_eq!(id as usize, i);
            assert_eq!(interner.intern(2, &format!("card{i}")), id);
            assert_eq!(interner.get(id).1, format!("card{i}"));
        }
    }
}
