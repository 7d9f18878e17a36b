//! The probabilistic second pass (`--match probabilistic`): finds the people exact identifiers
//! missed by comparing records within blocks on names, birth dates, addresses and near-miss
//! identifiers, with Fellegi-Sunter weights learned from the exact pass's own links.
//!
//! In: the extracted records, the exact pass's clusters and the input files (read again for
//! the attribute columns, see `people`). Out: the learned [`model::Model`] and the scored
//! [`Link`]s. [`apply`] turns each accepted link into an identifier of the
//! [`NAMESPACE`] namespace held by its two records, so that linking again puts probabilistic
//! links through the very same union-find and guards as exact ones (caps, generic values, the
//! name check), and edges.csv, links.csv, explain and the stable ids see them like any other
//! link. Same input, same links, in any thread count: pairs are sorted, random pairs come from a
//! fixed seed and EM sums run over sorted level patterns.

pub mod blocking;
pub mod compare;
pub mod keys;
pub mod model;
pub mod people;
pub mod rows;
pub mod score;

use serde::{Deserialize, Serialize};

use crate::extract::{Extracted, InputFile, RecordStatus};
use crate::graph::Clusters;
use crate::graph::guards::GuardSettings;
use crate::reject::RejectReason;
pub use blocking::Rule;
pub use compare::{COMPARISONS, Comparison, Levels};
pub use score::Link;

/// The namespace of the identifiers that stand for probabilistic links.
pub const NAMESPACE: &str = "probabilistic";

/// The pass's settings (`[match]` in omni.toml).
#[derive(Clone, Debug, PartialEq)]
pub struct MatchSettings {
    /// Link pairs at or above this match probability.
    pub threshold: f64,
    /// Blocks above this many records are compared by sorted neighbourhood.
    pub max_block: usize,
    /// Blocking rules.
    pub rules: Vec<Rule>,
    /// Random pairs sampled for `u`.
    pub random_pairs: usize,
}

impl Default for MatchSettings {
    fn default() -> Self {
        MatchSettings {
            threshold: 0.99,
            max_block: 50,
            rules: Rule::ALL.to_vec(),
            random_pairs: 200_000,
        }
    }
}

/// What the pass did, for report.json, `omni report` and report.html.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Summary {
    /// The learned model.
    pub model: model::Model,
    /// Blocking, per rule.
    pub blocking: Vec<blocking::RuleStats>,
    /// Distinct candidate pairs compared.
    pub candidate_pairs: u64,
    /// Pairs at or above the threshold.
    pub above_threshold: u64,
    /// Of those, refused by the name check.
    pub refused_name_mismatch: u64,
    /// Links handed to the linker.
    pub links: u64,
    /// Records without any identifier that a probabilistic link placed in a profile.
    pub records_placed: u64,
    /// The accepted links with the lowest weights (the closest calls), as waterfalls.
    pub closest: Vec<Waterfall>,
}

/// One link's weight, comparison by comparison (for report.html and `omni report`).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Waterfall {
    /// `source:row` of the first record.
    pub a: String,
    /// `source:row` of the second record.
    pub b: String,
    /// The prior's weight.
    pub prior: f64,
    /// Per comparison: name, level and weight.
    pub parts: Vec<(String, String, f64)>,
    /// The match weight.
    pub weight: f64,
    /// The match probability.
    pub probability: f64,
}

/// Closest calls kept in the report.
const CLOSEST: usize = 5;

/// The accepted links with the lowest weights, as waterfalls.
fn closest(extracted: &Extracted, links: &[Link], prior: f64) -> Vec<Waterfall> {
    let mut accepted: Vec<&Link> = links.iter().filter(|l| l.refused.is_none()).collect();
    accepted.sort_by(|x, y| x.weight.total_cmp(&y.weight).then(x.number.cmp(&y.number)));
    let label = |r: u32| {
        let r = r as usize;
        let source = extracted
            .sources
            .get(extracted.records.source[r] as usize)
            .map_or("", |s| s.name.as_str());
        format!("{source}:{}", extracted.records.row.get(r))
    };
    accepted
        .into_iter()
        .take(CLOSEST)
        .map(|link| Waterfall {
            a: label(link.a),
            b: label(link.b),
            prior,
            parts: Comparison::ALL
                .iter()
                .enumerate()
                .map(|(k, c)| {
                    let level = c.label(link.levels[k]).to_owned();
                    (c.name().to_owned(), level, link.partials[k])
                })
                .collect(),
            weight: link.weight,
            probability: link.probability,
        })
        .collect()
}

/// The pass's result.
#[derive(Debug)]
pub struct Outcome {
    /// Summary and model.
    pub summary: Summary,
    /// Every pair at or above the threshold, accepted or refused, by record pair.
    pub links: Vec<Link>,
}

/// Runs the pass over the records the exact pass left apart.
pub fn run(
    extracted: &Extracted,
    files: &[InputFile],
    clusters: &Clusters,
    settings: &MatchSettings,
    guards: &GuardSettings,
) -> anyhow::Result<Outcome> {
    let people = people::gather(extracted, files, clusters)?;
    let (pairs, blocking) =
        blocking::candidates(&people, &clusters.root, &settings.rules, settings.max_block);
    let rows = rows::Rows::of(&people);
    let levels = score::levels_of(&rows, &pairs);
    let model = score::learn(extracted, &rows, clusters, &levels, settings);
    let links = score::score(extracted, &people, &pairs, &levels, &model, guards);
    let refused = links.iter().filter(|l| l.refused.is_some()).count() as u64;
    let closest = closest(extracted, &links, model.prior_weight);
    let summary = Summary {
        model,
        blocking,
        candidate_pairs: pairs.len() as u64,
        above_threshold: links.len() as u64,
        refused_name_mismatch: refused,
        links: links.len() as u64 - refused,
        records_placed: 0,
        closest,
    };
    Ok(Outcome { summary, links })
}

/// Hands the accepted links to the linker: each becomes an identifier `"<weight>#<link>"` of
/// [`NAMESPACE`] held by its two records (a record without identifiers becomes identified and
/// its `no_identifier` reject is withdrawn). Gives the number of records so placed.
pub fn apply(extracted: &mut Extracted, links: &[Link]) -> u64 {
    let namespace = match extracted.namespaces.iter().position(|n| n == NAMESPACE) {
        Some(i) => i as u16,
        None => {
            extracted.namespaces.push(NAMESPACE.to_owned());
            (extracted.namespaces.len() - 1) as u16
        }
    };
    let n = extracted.records.len();
    let mut extra: Vec<Vec<u32>> = vec![Vec::new(); n];
    for link in links.iter().filter(|l| l.refused.is_none()) {
        let id = extracted.interner.intern(namespace, &link.value());
        extra[link.a as usize].push(id);
        extra[link.b as usize].push(id);
    }
    let records = &mut extracted.records;
    let mut ends = Vec::with_capacity(n);
    let mut idents = Vec::with_capacity(records.identifier_parts().1.len() + 2 * links.len());
    for (r, more) in extra.iter().enumerate() {
        idents.extend_from_slice(records.identifiers_of(r as u32));
        idents.extend_from_slice(more);
        ends.push(idents.len() as u32);
    }
    let size = extracted.interner.len();
    records
        .set_identifier_parts(ends, idents, size)
        .expect("identifier lists rebuilt from valid ones");
    let mut placed = std::collections::HashSet::new();
    for (r, more) in extra.iter().enumerate() {
        if !more.is_empty() && records.status[r] == RecordStatus::Unidentified {
            records.status[r] = RecordStatus::Identified;
            if let Some(source) = extracted.sources.get_mut(records.source[r] as usize) {
                source.rows_unidentified -= 1;
            }
            placed.insert((records.source[r], records.row.get(r)));
        }
    }
    extracted.rejects.retain(|reject| {
        reject.reason != RejectReason::NoIdentifier
            || !placed.contains(&(reject.source, reject.row))
    });
    placed.len() as u64
}

#[cfg(test)]
mod tests;
