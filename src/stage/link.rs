//! `omni stage link`: a batch of whole components (every record of a component, in any order)
//! linked under the guards, as the single-machine run links them.
//!
//! Linking one component alone gives what linking every record gives for it (`graph::carry`
//! relies on the same property): identifiers are tried in rank then first-seen order, and the
//! batch's records are sorted by record key, so first-seen order within a component is the run
//! order; the guards look at one component at a time. The one global decision, which
//! identifiers are generic, comes from `stage generic` (a generic identifier's records span
//! many components, so a batch could not count them).

use std::collections::HashMap;

use super::codec::{self, Link};
use super::generic::GenericEntry;
use super::plan::StagePlan;
use crate::extract::Records;
use crate::graph::guards::Generic;
use crate::graph::intern::Interner;
use crate::graph::{self, Clusters, NONE};

/// One linked record: its key, its record blob (passed through) and its link blob.
pub type Linked = (i64, Vec<u8>, Vec<u8>);

/// Links `rows` (record key and record blob).
pub fn run(
    plan: &StagePlan,
    mut rows: Vec<(i64, Vec<u8>)>,
    generic: &[GenericEntry],
) -> anyhow::Result<Vec<Linked>> {
    let settings = plan.settings()?;
    rows.sort_by_key(|(key, _)| *key);
    let keys: Vec<i64> = rows.iter().map(|(k, _)| *k).collect();
    let (records, interner, ids) = records_of(&rows)?;
    let known = known_generic(generic, &ids);
    let mut guards = settings.guards.clone();
    guards.given_name_sources = plan.given_name.clone();
    let clusters = graph::link_known(&records, &interner, &plan.namespaces, &guards, Some(known));
    let links = links_of(&clusters, &keys, &interner);
    Ok(rows
        .into_iter()
        .zip(links)
        .map(|((key, blob), link)| (key, blob, codec::encode_link(&link)))
        .collect())
}

type Ids = HashMap<(u16, String), u32>;

/// The batch's records, interned in record order.
fn records_of(rows: &[(i64, Vec<u8>)]) -> anyhow::Result<(Records, Interner, Ids)> {
    let mut records = Records::default();
    let mut interner = Interner::new();
    let mut ids: Ids = HashMap::new();
    let mut idents = Vec::new();
    for (key, blob) in rows {
        let record = codec::decode_record(blob)?;
        idents.clear();
        for (ns, value) in &record.identifiers {
            let id = interner.intern(*ns, value);
            ids.entry((*ns, value.clone())).or_insert(id);
            idents.push(id);
        }
        let (source, _) = codec::split_key(*key);
        records.push(source, record.row, record.status, &record.fields, &idents);
    }
    Ok((records, interner, ids))
}

/// The generic identifiers this batch holds, by local id.
fn known_generic(generic: &[GenericEntry], ids: &Ids) -> Vec<Generic> {
    let mut known: Vec<Generic> = generic
        .iter()
        .filter_map(|g| {
            let (ns, value) = codec::split_identifier(&g.key).ok()?;
            let &identifier = ids.get(&(ns, value.to_owned()))?;
            Some(Generic {
                identifier,
                records: g.records,
                names: g.names,
                groups: g.groups,
                why: g.why.clone(),
            })
        })
        .collect();
    known.sort_by_key(|g| g.identifier);
    known
}

/// Each record's entries of `clusters`, with keys and identifier values instead of numbers.
fn links_of(clusters: &Clusters, keys: &[i64], interner: &Interner) -> Vec<Link> {
    let key_of = |r: u32| if r == NONE { -1 } else { keys[r as usize] };
    let identifier = |x: u32| {
        (x != NONE).then(|| {
            let (ns, value) = interner.get(x);
            (ns, value.to_owned())
        })
    };
    let mut position = vec![0u32; keys.len()];
    let mut at = 0u32;
    let mut current = NONE;
    for &r in &clusters.order {
        let root = clusters.root[r as usize];
        if root != current {
            current = root;
            at = 0;
        }
        position[r as usize] = at;
        at += 1;
    }
    let mut links: Vec<Link> = (0..keys.len() as u32)
        .map(|r| Link {
            root: key_of(clusters.root[r as usize]),
            parent: key_of(clusters.parent[r as usize]),
            via: identifier(clusters.via[r as usize]),
            matched_by: identifier(clusters.matched_by[r as usize]),
            position: position[r as usize],
            refused: Vec::new(),
        })
        .collect();
    for refused in &clusters.refused {
        let x = identifier(refused.identifier).expect("a refused link names its identifier");
        links[refused.record as usize]
            .refused
            .push((x, refused.rule, refused.detail.clone()));
    }
    links
}
