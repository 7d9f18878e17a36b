//! Learning the model from omni's own links and scoring the candidate pairs with it.

use rayon::prelude::*;

use super::MatchSettings;
use super::compare::{COMPARISONS, Comparison, Levels, has_support};
use super::model::{self, Model};
use super::people::People;
use super::rows::Rows;
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
    rows: &Rows,
    clusters: &Clusters,
    levels: &[Levels],
    settings: &MatchSettings,
) -> Model {
    let n = rows.len();
    let edges: Vec<u32> = (0..n as u32)
        .filter(|&r| clusters.parent[r as usize] != NONE)
        .collect();
    let stride = edges.len().div_ceil(MAX_LABELLED).max(1);
    let mut labelled = model::empty_counts();
    for &r in edges.iter().step_by(stride) {
        let levels = rows.compare(r, clusters.parent[r as usize]);
        let via = extracted.interner.namespace_of(clusters.via[r as usize]);
        let skip = match extracted.namespace_name(via) {
            "email" => Some(6),
            "phone" => Some(7),
            _ => None,
        };
        model::count(&mut labelled, &levels, skip);
    }
    let random = random_counts(rows, settings.random_pairs);
    let patterns = patterns(levels);
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
fn random_counts(rows: &Rows, wanted: usize) -> model::Counts {
    let n = rows.len() as u64;
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
    let levels: Vec<Levels> = pairs.par_iter().map(|&(a, b)| rows.compare(a, b)).collect();
    for l in &levels {
        model::count(&mut counts, l, None);
    }
    counts
}

/// The candidate pairs' levels, in pair order.
pub fn levels_of(rows: &Rows, pairs: &[(u32, u32)]) -> Vec<Levels> {
    rows.compare_all(pairs)
}

/// The candidate pairs' level patterns with their counts, sorted. Counted per thread in hash
/// maps of the pattern read as a big-endian `u64` (whose order is the pattern's), then the few
/// distinct patterns sorted: the same as sorting all the pairs' levels, without that sort.
fn patterns(levels: &[Levels]) -> Vec<(Levels, u64)> {
    type Tally = hashbrown::HashMap<u64, u64>;
    let tally = levels
        .par_iter()
        .fold(Tally::new, |mut tally, l| {
            *tally.entry(u64::from_be_bytes(*l)).or_default() += 1;
            tally
        })
        .reduce(Tally::new, |mut all, part| {
            for (pattern, n) in part {
                *all.entry(pattern).or_default() += n;
            }
            all
        });
    let mut out: Vec<(u64, u64)> = tally.into_iter().collect();
    out.sort_unstable();
    out.into_iter().map(|(p, n)| (p.to_be_bytes(), n)).collect()
}

/// Scores the candidate pairs; gives those at or above the threshold that agree on more than
/// names (see [`has_support`]), numbered in pair order, each refused when the records' names clearly disagree (the guards' name check).
pub fn score(
    extracted: &Extracted,
    people: &People,
    pairs: &[(u32, u32)],
    levels: &[Levels],
    model: &Model,
    guards: &GuardSettings,
) -> Vec<Link> {
    let names = &extracted.records.name;
    let mut links: Vec<Link> = pairs
        .par_iter()
        .zip(levels)
        .filter_map(|(&(a, b), levels)| {
            let link = score_levels(people, model, a, b, *levels);
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

/// One pair's partial weights, weight and probability, from its levels.
pub fn score_levels(people: &People, model: &Model, a: u32, b: u32, levels: Levels) -> Link {
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

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// The straightforward count: sort every pair's levels, count the runs.
    fn patterns_by_sorting(levels: &[Levels]) -> Vec<(Levels, u64)> {
        let mut levels = levels.to_vec();
        levels.sort_unstable();
        let mut out: Vec<(Levels, u64)> = Vec::new();
        for l in levels {
            match out.last_mut() {
                Some((last, n)) if *last == l => *n += 1,
                _ => out.push((l, 1)),
            }
        }
        out
    }

    #[test]
    fn patterns_count_each_level_vector() {
        let (x, y) = ([1, 0, 2, 0, 0, 0, 0, 0], [1, 0, 1, 3, 0, 0, 0, 0]);
        assert_eq!(patterns(&[x, y, x]), vec![(y, 1), (x, 2)]);
        assert_eq!(patterns(&[]), vec![]);
    }

    proptest! {
        #[test]
        fn patterns_as_by_sorting(levels in proptest::collection::vec(proptest::array::uniform8(0u8..5), 0..300)) {
            prop_assert_eq!(patterns(&levels), patterns_by_sorting(&levels));
        }
    }
}
