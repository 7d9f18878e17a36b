//! From clusters to golden profiles: group records, give each profile a deterministic id, and
//! pick its fields by survivorship rules.
//!
//! Takes the extracted records and the clusters from `graph`; gives [`Profiles`]: one
//! [`Profile`] per cluster of identified records and, for every record, its profile index.
//! Unidentified and unreadable records belong to no profile. Nothing here reads files or prints.

pub mod ids;
pub mod survivorship;

use rayon::prelude::*;

use crate::extract::{Extracted, NO_TIME, RecordStatus};
use crate::graph::{Clusters, NONE};

/// One golden profile.
#[derive(Clone, Debug, PartialEq)]
pub struct Profile {
    /// Deterministic profile id (see `ids`).
    pub id: String,
    /// Record indices, ascending.
    pub records: Vec<u32>,
    /// Source indices present, ascending.
    pub sources: Vec<u16>,
    /// Distinct interned identifiers, ordered by namespace then value. Generic identifiers
    /// (the shop's phone, a shared mailbox) are left out: they are nobody's contact.
    pub identifiers: Vec<u32>,
    /// Name by survivorship (see `survivorship`).
    pub name: Option<String>,
    /// Earliest timestamp of any record, or `NO_TIME`.
    pub first_seen: i64,
    /// Latest timestamp of any record, or `NO_TIME`.
    pub last_seen: i64,
    /// Records carrying a non-zero amount (orders, receipts).
    pub purchases: u64,
    /// Sum of amounts.
    pub amount_total: f64,
}

/// All profiles of a run.
#[derive(Debug, Default)]
pub struct Profiles {
    /// Profiles ordered by id.
    pub list: Vec<Profile>,
    /// For each record, its index in `list`, or `NONE`.
    pub of_record: Vec<u32>,
}

/// Builds the golden profiles.
pub fn build(extracted: &Extracted, clusters: &Clusters) -> Profiles {
    let records = &extracted.records;
    let n = records.len();
    // Group: a cluster's root is its smallest record index, so numbering roots in index order is
    // deterministic.
    let mut group_of_root = vec![NONE; n];
    let mut group_of = vec![NONE; n];
    let mut members: Vec<Vec<u32>> = Vec::new();
    for (record, status) in records.status.iter().enumerate() {
        if *status != RecordStatus::Identified {
            continue;
        }
        let root = clusters.root[record] as usize;
        if group_of_root[root] == NONE {
            group_of_root[root] = members.len() as u32;
            members.push(Vec::new());
        }
        let group = group_of_root[root];
        group_of[record] = group;
        members[group as usize].push(record as u32);
    }
    let ids = ids::assign(extracted, &members);
    let mut generic = vec![false; extracted.interner.len()];
    for g in &clusters.generic {
        generic[g.identifier as usize] = true;
    }
    let mut list: Vec<Profile> = members
        .into_par_iter()
        .zip(ids)
        .map(|(records, id)| golden(extracted, &generic, id, records))
        .collect();
    // Order by id; remember where each group went.
    let mut order: Vec<u32> = (0..list.len() as u32).collect();
    order.sort_by(|&a, &b| list[a as usize].id.cmp(&list[b as usize].id));
    let mut position = vec![0u32; list.len()];
    for (pos, &group) in order.iter().enumerate() {
        position[group as usize] = pos as u32;
    }
    let mut slots: Vec<Option<Profile>> = list.drain(..).map(Some).collect();
    let list = order
        .iter()
        .map(|&g| slots[g as usize].take().expect("each group is placed once"))
        .collect();
    let of_record = group_of
        .into_iter()
        .map(|g| {
            if g == NONE {
                NONE
            } else {
                position[g as usize]
            }
        })
        .collect();
    Profiles { list, of_record }
}

fn golden(extracted: &Extracted, generic: &[bool], id: String, records: Vec<u32>) -> Profile {
    let data = &extracted.records;
    let mut sources: Vec<u16> = records.iter().map(|&r| data.source[r as usize]).collect();
    sources.sort_unstable();
    sources.dedup();
    let mut identifiers: Vec<u32> = records
        .iter()
        .flat_map(|&r| data.identifiers_of(r).iter().copied())
        .filter(|&x| !generic[x as usize])
        .collect();
    identifiers.sort_unstable_by(|&a, &b| {
        extracted
            .interner
            .sort_key(a)
            .cmp(&extracted.interner.sort_key(b))
    });
    identifiers.dedup();
    let first_seen = records
        .iter()
        .map(|&r| data.time_min[r as usize])
        .filter(|&t| t != NO_TIME)
        .min()
        .unwrap_or(NO_TIME);
    let last_seen = records
        .iter()
        .map(|&r| data.time_max[r as usize])
        .max()
        .unwrap_or(NO_TIME);
    let amounts = records
        .iter()
        .map(|&r| data.amount[r as usize])
        .filter(|a| !a.is_nan());
    let (purchases, amount_total) = amounts.fold((0u64, 0.0f64), |(n, s), a| (n + 1, s + a));
    Profile {
        id,
        name: survivorship::name(data, &records),
        sources,
        identifiers,
        first_seen,
        last_seen,
        purchases,
        amount_total,
        records,
    }
}
