//! `omni stage finish`, first half: the run's [`Extracted`] and [`Clusters`] rebuilt from what
//! the tasks produced, numbered exactly as the single-machine run numbers them (records in
//! record-key order, identifiers interned in first-seen order, namespaces by the plan), so the
//! later steps (`profile::build`, `report`, `output::tables`, `state`) run unchanged.

use anyhow::{Context, bail};

use super::codec::{self, Link};
use super::extract::Summary;
use super::generic::GenericEntry;
use super::link::Linked;
use super::plan::StagePlan;
use crate::extract::{Extracted, Reject};
use crate::graph::guards::Generic;
use crate::graph::intern::Interner;
use crate::graph::{Clusters, NONE, Refused};

/// Rebuilds the run from every linked record, every source's summary and the generic
/// identifiers.
pub fn rebuild(
    plan: &StagePlan,
    summaries: Vec<Summary>,
    mut rows: Vec<Linked>,
    generic: &[GenericEntry],
) -> anyhow::Result<(Extracted, Clusters)> {
    if summaries.len() != plan.sources.len() {
        bail!(
            "{} source summaries for the plan's {} sources",
            summaries.len(),
            plan.sources.len()
        );
    }
    rows.sort_by_key(|(key, _, _)| *key);
    let mut extracted = Extracted {
        namespaces: plan.namespaces.clone(),
        ..Extracted::default()
    };
    let mut links = Vec::with_capacity(rows.len());
    let mut idents = Vec::new();
    for (key, blob, link) in &rows {
        let record = codec::decode_record(blob)?;
        idents.clear();
        for (ns, value) in &record.identifiers {
            idents.push(extracted.interner.intern(*ns, value));
        }
        let (source, _) = codec::split_key(*key);
        extracted
            .records
            .push(source, record.row, record.status, &record.fields, &idents);
        links.push(codec::decode_link(link)?);
    }
    for (index, summary) in summaries.into_iter().enumerate() {
        extracted
            .rejects
            .extend(summary.rejects.into_iter().map(|r| Reject {
                source: index as u16,
                row: r.row,
                column: r.column,
                value: r.value,
                reason: r.reason,
            }));
        extracted.sources.push(summary.source);
    }
    let keys: Vec<i64> = rows.iter().map(|(k, _, _)| *k).collect();
    drop(rows);
    let clusters = clusters_of(&keys, links, &mut extracted.interner, generic)?;
    Ok((extracted, clusters))
}

/// An identifier's id; an error when no record holds it.
fn find(interner: &mut Interner, (ns, value): &(u16, String)) -> anyhow::Result<u32> {
    let before = interner.len();
    let id = interner.intern(*ns, value);
    if interner.len() != before {
        bail!("identifier {ns}:{value} is held by no record");
    }
    Ok(id)
}

/// The record number of record key `key` among the sorted `keys` (`NONE` for a negative key,
/// no record); an error when no record has it.
fn index_of(keys: &[i64], key: i64) -> anyhow::Result<u32> {
    if key < 0 {
        return Ok(NONE);
    }
    keys.binary_search(&key)
        .map(|i| i as u32)
        .ok()
        .with_context(|| format!("record {key} is linked but was not extracted"))
}

fn clusters_of(
    keys: &[i64],
    links: Vec<Link>,
    interner: &mut Interner,
    generic: &[GenericEntry],
) -> anyhow::Result<Clusters> {
    let n = keys.len();
    let mut clusters = Clusters {
        root: vec![NONE; n],
        parent: vec![NONE; n],
        via: vec![NONE; n],
        matched_by: vec![NONE; n],
        ..Clusters::default()
    };
    let mut order: Vec<(u32, u32, u32)> = Vec::new();
    for (r, link) in links.into_iter().enumerate() {
        clusters.root[r] = index_of(keys, link.root)?;
        clusters.parent[r] = index_of(keys, link.parent)?;
        if let Some(x) = &link.via {
            clusters.via[r] = find(interner, x)?;
        }
        if let Some(x) = &link.matched_by {
            clusters.matched_by[r] = find(interner, x)?;
        }
        if clusters.root[r] != NONE {
            order.push((clusters.root[r], link.position, r as u32));
        }
        for (x, rule, detail) in link.refused {
            clusters.refused.push(Refused {
                record: r as u32,
                identifier: find(interner, &x)?,
                rule,
                detail,
            });
        }
    }
    order.sort_unstable();
    clusters.order = order.into_iter().map(|(_, _, r)| r).collect();
    clusters.refused.sort_by_key(|r| (r.record, r.identifier));
    clusters.generic = generic_of(generic, interner)?;
    Ok(clusters)
}

/// The generic identifiers, by identifier.
fn generic_of(generic: &[GenericEntry], interner: &mut Interner) -> anyhow::Result<Vec<Generic>> {
    let mut out = Vec::with_capacity(generic.len());
    for g in generic {
        let (ns, value) = codec::split_identifier(&g.key)?;
        out.push(Generic {
            identifier: find(interner, &(ns, value.to_owned()))?,
            records: g.records,
            names: g.names,
            groups: g.groups,
            why: g.why.clone(),
        });
    }
    out.sort_by_key(|g| g.identifier);
    Ok(out)
}
