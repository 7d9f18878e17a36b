//! Linking: identifiers interned to dense `u32` ids, records joined by a union-find over those
//! integers.
//!
//! Takes the per-record identifier lists from `extract` and gives, for every record, the index
//! of its cluster root (the smallest record index in its cluster) and the identifier that joined
//! it. Strings never reach the union-find; it sees only integers.

pub mod intern;
pub mod union_find;

use crate::extract::Records;
use union_find::UnionFind;

/// The connected components of the record–identifier graph.
#[derive(Debug)]
pub struct Clusters {
    /// For each record, the smallest record index in its cluster; `u32::MAX` for a record with
    /// no usable identifier (it belongs to no profile).
    pub root: Vec<u32>,
    /// For each record, the position (in `Records::identifiers_of`) of the first identifier it
    /// shares with another record, or `u32::MAX` for singletons and unidentified records.
    pub matched_by: Vec<u32>,
}

/// Sentinel for "none" in the dense `u32` columns.
pub const NONE: u32 = u32::MAX;

/// Joins every pair of records that share an identifier.
///
/// Records are visited in index order and each identifier remembers the first record that held
/// it, so every union is `(record, first holder)`: one union per occurrence, no pair lists.
pub fn link(records: &Records, identifier_count: usize) -> Clusters {
    let n = records.len();
    let mut first_holder = vec![NONE; identifier_count];
    let mut holders = vec![0u32; identifier_count];
    let mut uf = UnionFind::new(n);
    for record in 0..n as u32 {
        for &ident in records.identifiers_of(record) {
            let slot = &mut first_holder[ident as usize];
            if *slot == NONE {
                *slot = record;
            } else {
                uf.union(record, *slot);
            }
            holders[ident as usize] = holders[ident as usize].saturating_add(1);
        }
    }
    let mut root = uf.into_roots();
    let mut matched_by = vec![NONE; n];
    for record in 0..n as u32 {
        let idents = records.identifiers_of(record);
        if idents.is_empty() {
            root[record as usize] = NONE;
            continue;
        }
        if let Some(pos) = idents.iter().position(|&i| holders[i as usize] > 1) {
            matched_by[record as usize] = pos as u32;
        }
    }
    Clusters { root, matched_by }
}
