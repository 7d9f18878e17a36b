//! Learning the model from omni's own links and scoring the candidate pairs with it.

use rayon::prelude::*;

use super::MatchSettings;
use super::compare::{COMPARISONS, Comparison, Levels, compare, has_support};
use super::model::{self, Model};
use super::people::People;
use crate::extract::Extracted;
use crate::graph::guards::GuardSettings;
use crate::graph::names::{FoldedName, agree};
use crate::graph::{Clusters, NONE};
use crate::synth::rng::Rng;

/// Exact-link pairs used for `m` at most (taken evenly over the records).
const MAX_LABELLED: usize = 500_000;
/// Seed of the random pairs (fixed: the same input gives the same model).
const SEED: u64 = 0x005e_edf5;

/// A scored pair at or above the threshold.
#[derive(Clone, Debug, PartialEq)]
pub struct Link {
    /// The smaller record index.
    pub a: u32,
    /// The larger record index.
    pub b: u32,
    /// 1-based number among the pass's links (in record-pair order).
    pub number: u32,
    /// Per comparison: its level.
    pub levels: Levels,
    /// Per comparison: its weight (term-frequency adjusted).
    pub partials: [f64; COMPARISONS],
    /// The match weight: the prior's weight plus the partials.
    pub weight: f64,
    /// The match probability.
    pub probability: f64,
    /// The guard that refused it, if one did.
    pub refused: Option<&'static str>,
}

impl Link {
    /// The identifier value that stands for the link: `<weight>#<number>`.
    pub fn value(&self) -> String {
        format!("{:.2}#{}", self.weight, self.number)
    }
}

/// Learns the model: `m` from the exact pass's tree edges, `u` from random pairs, EM over the
/// candidate pairs for the rest.
pub fn learn(
    extracted: &Extracted,
    people: &People,
    clusters: &Clusters,
    pairs: &[(u32, u32)],
    settings: &MatchSettings,
) -> Model {
    let n = people.birth.len();
    let edges: Vec<u32> = (0..n as u32)
        .filter(|&r| clusters.parent[r as usize] != NONE)
        .collect();
    let stride = edges.len().div_ceil(MAX_LABELLED).max(1);
    let mut labelled = model::empty_counts();
    for &r in edges.iter().step_by(stride) {
        let levels = compare(people, r, clusters.parent[r as usize]);
        let via = extracted.interner.namespace_of(clusters.via[r as usize]);
        let skip = match extracted.namespace_name(via) {
            "email" => Some(6),
            "phone" => Some(7),
            _ => None,
        };
        model::count(&mut labelled, &levels, skip);
    }
    let random = random_counts(people, settings.random_pairs);
    let patterns = patterns(people, pairs);
    let population = n as f64 * (n as f64 - 1.0) / 2.0;
    let known = within_profiles(&clusters.root);
    let mut model = model::estimate(
        &labelled,
        &random,
        &patterns,
        population,
        known,
        settings.threshold,
    );
    model.labelled_pairs = edges.len().div_ceil(stride) as u64;
    model.random_pairs = (settings.random_pairs as f64).min(population) as u64;
    model
}

/// The record pairs inside the exact pass's profiles: matches all.
fn within_profiles(roots: &[u32]) -> f64 {
    let mut sizes: hashbrown::HashMap<u32, u64> = hashbrown::HashMap::new();
    for &root in roots.iter().filter(|&&r| r != NONE) {
        *sizes.entry(root).or_default() += 1;
    }
    sizes.values().map(|&n| (n * (n - 1) / 2) as f64).sum()
}

/// Level counts over `wanted` random pairs (all pairs when there are fewer).
fn random_counts(people: &People, wanted: usize) -> model::Counts {
    let n = people.birth.len() as u64;
    let mut counts = model::empty_counts();
    if n < 2 {
        return counts;
    }
    let all = n * (n - 1) / 2;
    let pairs: Vec<(u32, u32)> = if all <= wanted as u64 {
        (0..n as u32)
            .flat_map(|a| (a + 1..n as u32).map(move |b| (a, b)))
            .collect()
    } else {
        let mut rng = Rng::stream(SEED, 1, 0);
        (0..wanted)
            .map(|_| {
                let a = rng.below(n) as u32;
                let b = (a as u64 + 1 + rng.below(n - 1)) % n;
                (a, b as u32)
            })
            .collect()
    };
    let levels: Vec<Levels> = pairs
        .par_iter()
        .map(|&(a, b)| compare(people, a, b))
        .collect();
    for l in &levels {
        model::count(&mut counts, l, None);
    }
    counts
}

/// The candidate pairs' level patterns with their counts, sorted.
fn patterns(people: &People, pairs: &[(u32, u32)]) -> Vec<(Levels, u64)> {
    let mut levels: Vec<Levels> = pairs
        .par_iter()
        .map(|&(a, b)| compare(people, a, b))
        .collect();
    levels.par_sort_unstable();
    let mut out: Vec<(Levels, u64)> = Vec::new();
    for l in levels {
        match out.last_mut() {
            Some((last, n)) if *last == l => *n += 1,
            _ => out.push((l, 1)),
        }
    }
    out
}

/// Scores the candidate pairs; gives those at or above the threshold that agree on more than
/// names (see [`has_support`]), numbered in pair order, each refused when the records' names clearly disagree (the guards' name check).
pub fn score(
    extracted: &Extracted,
    people: &People,
    pairs: &[(u32, u32)],
    model: &Model,
    guards: &GuardSettings,
) -> Vec<Link> {
    let names = &extracted.records.name;
    let mut links: Vec<Link> = pairs
        .par_iter()
        .filter_map(|&(a, b)| {
            let link = score_pair(people, model, a, b);
            (link.probability >= model.threshold && has_support(&link.levels)).then_some(link)
        })
        .collect();
    for (i, link) in links.iter_mut().enumerate() {
        link.number = i as u32 + 1;
        if names_disagree(names, link, guards.name_similarity) {
            link.refused = Some("name_mismatch");
        }
    }
    links
}

/// The guards' name check for a probabilistic link: the display names disagree (as the exact
/// pass's check judges them), the given names do not even nearly agree, and the birth dates
/// are not the same. A changed surname with the same given name (a marriage, a typo beyond the
/// threshold) passes, and so does a given name mistyped beyond recognition on the same birth
/// date; a household member (same surname and address, another given name and birth date) is
/// refused.
fn names_disagree(
    names: &crate::extract::records::StrColumn,
    link: &Link,
    similarity: f64,
) -> bool {
    let folded = |r: u32| names.get(r as usize).and_then(FoldedName::new);
    let (Some(x), Some(y)) = (folded(link.a), folded(link.b)) else {
        return false;
    };
    let (first, birth) = (link.levels[0], link.levels[2]);
    let given_names_agree = first == 1 || first == 2;
    !given_names_agree && birth != 1 && !agree(&x, &y, similarity)
}

/// One pair's levels, partial weights, weight and probability.
pub fn score_pair(people: &People, model: &Model, a: u32, b: u32) -> Link {
    let levels = compare(people, a, b);
    let mut partials = [0.0; COMPARISONS];
    for (k, &level) in levels.iter().enumerate() {
        partials[k] = model.weight(k, level);
        let field = match Comparison::ALL[k] {
            Comparison::FirstName => &people.first,
            Comparison::LastName => &people.last,
            _ => continue,
        };
        let id = field.ids[a as usize];
        if level == 1 && id == field.ids[b as usize] {
            partials[k] += model.tf_adjustment(k, field.frequency(id));
        }
    }
    let weight = model.prior_weight + partials.iter().sum::<f64>();
    Link {
        a,
        b,
        number: 0,
        levels,
        partials,
        weight,
        probability: model::probability(weight),
        refused: None,
    }
}
