//! `omni stage generic`: decides which candidate identifiers are generic, from what Spark
//! gathered over every record, by the rule the single-machine run applies
//! (`graph::guards::judge`).
//!
//! A candidate is an identifier held by more records than a limit (`StagePlan::candidate_above`).
//! Spark forms the raw components from every other identifier (as `graph::detect_generic`
//! does), and gives per candidate its record count, the number of raw components it touches, and
//! the names of those components' records with their position (component, then record, both by
//! record key). A distinct spelling is enough: names that fold alike are made one here.

use std::collections::HashMap;
use std::path::Path;

use super::codec;
use super::plan::StagePlan;
use super::table::Table;
use crate::graph::guards::{self, Held};
use crate::graph::names::FoldedName;

/// A generic identifier, as the link and finish stages take it.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct GenericEntry {
    /// Identifier key (`namespace:value`).
    pub key: String,
    /// Records holding it.
    pub records: u32,
    /// Different names it would join.
    pub names: u32,
    /// Separate groups it would join.
    pub groups: u32,
    /// Why.
    pub why: String,
}

/// Reads `candidates` (columns `id`, `records`, `groups`) and `names` (columns `id`, `comp`,
/// `rec`, `name`) and decides.
pub fn run(plan: &StagePlan, candidates: &Path, names: &Path) -> anyhow::Result<Vec<GenericEntry>> {
    let settings = plan.settings()?;
    let guards = &settings.guards;
    let cands = Table::read(candidates)?;
    let ids = cands.texts("id")?;
    let records = cands.ints("records")?;
    let groups = cands.ints("groups")?;
    let (by_candidate, folded) = names_by_candidate(plan, &Table::read(names)?)?;
    let mut out = Vec::new();
    for ((id, records), groups) in ids.into_iter().zip(records).zip(groups) {
        let key = id.unwrap_or_default();
        let (ns, _) = codec::split_identifier(&key)?;
        let namespace = &plan.namespaces[ns as usize];
        let names = by_candidate.get(&key).map_or(&[][..], Vec::as_slice);
        let held = Held {
            records: records as u32,
            groups: groups as u32,
            names,
        };
        let limits = (guards.generic_limit(namespace), guards.generic_groups);
        if let Some(g) = guards::judge(0, &held, limits, &folded, guards.name_similarity) {
            out.push(GenericEntry {
                key,
                records: g.records,
                names: g.names,
                groups: g.groups,
                why: g.why,
            });
        }
    }
    out.sort_by(|a, b| a.key.cmp(&b.key));
    Ok(out)
}

type NamesByCandidate = HashMap<String, Vec<u32>>;

/// Per candidate its distinct folded names (ids into the returned table) in first-seen order.
fn names_by_candidate(
    plan: &StagePlan,
    names: &Table,
) -> anyhow::Result<(NamesByCandidate, Vec<FoldedName>)> {
    let ids = names.texts("id")?;
    let comps = names.ints("comp")?;
    let recs = names.ints("rec")?;
    let texts = names.texts("name")?;
    let mut rows: Vec<usize> = (0..ids.len()).collect();
    rows.sort_by(|&a, &b| (&ids[a], comps[a], recs[a]).cmp(&(&ids[b], comps[b], recs[b])));
    let mut table: Vec<FoldedName> = Vec::new();
    let mut by_fold: HashMap<FoldedName, u32> = HashMap::new();
    let mut out: NamesByCandidate = HashMap::new();
    for r in rows {
        let (Some(id), Some(text)) = (&ids[r], &texts[r]) else {
            continue;
        };
        let (source, _) = codec::split_key(recs[r]);
        let given = plan
            .given_name
            .get(source as usize)
            .copied()
            .unwrap_or(false);
        let Some(fold) = FoldedName::new(text).map(|f| if given { f.given_only() } else { f })
        else {
            continue;
        };
        let name = *by_fold.entry(fold.clone()).or_insert_with(|| {
            table.push(fold);
            table.len() as u32 - 1
        });
        out.entry(id.clone()).or_default().push(name);
    }
    let out = out
        .into_iter()
        .map(|(id, names)| (id, guards::first_seen(names.into_iter())))
        .collect();
    Ok((out, table))
}

/// Writes the decisions as JSON.
pub fn write(path: &Path, entries: &[GenericEntry]) -> anyhow::Result<()> {
    std::fs::write(path, serde_json::to_vec(entries)?)
        .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))
}

/// Reads the decisions.
pub fn read(path: &Path) -> anyhow::Result<Vec<GenericEntry>> {
    let text =
        std::fs::read(path).map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
    serde_json::from_slice(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
}
