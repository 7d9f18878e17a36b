//! The Fellegi-Sunter model: per comparison and level, `m` (the chance of the level when the
//! two records are the same person) and `u` (when they are not), and the prior share of matches
//! among the candidate pairs. A level's match weight is `log2(m / u)`; a pair's weight is the
//! prior's `log2(λ / (1 - λ))` plus its levels' weights; its match probability is
//! `1 / (1 + 2^-weight)`.
//!
//! - `u` is counted on random record pairs (almost all of them different people).
//! - `m` is counted on the pairs the exact pass linked (the tree edges of its profiles), each
//!   compared without the identifier kind that linked it, when a comparison has at least
//!   [`MIN_LABELLED`] such pairs with a value on both sides.
//! - Expectation-maximisation over the candidate pairs (grouped by level pattern, so it is
//!   cheap and exact in any thread count) then estimates the prior and the `m` of every
//!   comparison the exact links could not teach.
//! - Exact name matches are adjusted by term frequency: sharing a rare name says more than
//!   sharing a common one (`log2(u_exact / frequency)`, clamped to ±[`MAX_TF_ADJUSTMENT`]).

use serde::{Deserialize, Serialize};

use super::compare::{COMPARISONS, Comparison, Levels};

/// Labelled pairs a comparison needs before its `m` is taken from them instead of EM.
pub const MIN_LABELLED: u64 = 50;
/// Largest term-frequency adjustment, in bits.
pub const MAX_TF_ADJUSTMENT: f64 = 8.0;
/// EM iterations at most.
pub const EM_ITERATIONS: usize = 50;

/// Level counts: per comparison, per level (level 0 included, never used).
pub type Counts = Vec<Vec<u64>>;

/// Empty counts.
pub fn empty_counts() -> Counts {
    Comparison::ALL
        .iter()
        .map(|c| vec![0; c.levels()])
        .collect()
}

/// Adds a pair's levels to `counts`, skipping comparison `skip` (the one that linked it).
pub fn count(counts: &mut Counts, levels: &Levels, skip: Option<usize>) {
    for (k, &level) in levels.iter().enumerate() {
        if level > 0 && Some(k) != skip {
            counts[k][level as usize] += 1;
        }
    }
}

/// One level of one comparison, as learned.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct LevelWeight {
    /// What the level means (`exact`, `jw>=0.92`, ...).
    pub label: String,
    /// P(level | same person).
    pub m: f64,
    /// P(level | different people).
    pub u: f64,
    /// `log2(m / u)`.
    pub weight: f64,
}

/// One comparison, as learned.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct ComparisonWeights {
    /// The comparison (`first_name`, `birth_date`, ...).
    pub comparison: String,
    /// Where `m` came from: `exact links`, `em` or `prior` (no pair had the value).
    pub m_from: String,
    /// Labelled pairs (exact links) with a value on both sides.
    pub labelled: u64,
    /// Levels 1.. (level 0, a missing value, weighs 0).
    pub levels: Vec<LevelWeight>,
}

/// The learned model, saved in report.json.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Model {
    /// The chance that two random records are the same person: EM's share of matches among
    /// the candidate pairs times the candidates, or the pairs inside the exact pass's profiles
    /// (all matches), whichever is larger, over all pairs.
    pub prior: f64,
    /// `log2(prior / (1 - prior))`.
    pub prior_weight: f64,
    /// Pairs linked at or above this match probability.
    pub threshold: f64,
    /// Exact-link pairs used for `m`.
    pub labelled_pairs: u64,
    /// Random pairs used for `u`.
    pub random_pairs: u64,
    /// EM iterations run.
    pub em_iterations: u32,
    /// Per comparison.
    pub comparisons: Vec<ComparisonWeights>,
}

/// `m` before any data: most matches agree exactly.
fn prior_m(c: Comparison) -> Vec<f64> {
    match c.levels() - 1 {
        4 => vec![0.80, 0.10, 0.05, 0.05],
        _ => vec![0.80, 0.12, 0.08],
    }
}

/// Smoothed shares of levels 1.. in one comparison's counts.
fn shares(counts: &[u64]) -> Vec<f64> {
    let total: u64 = counts[1..].iter().sum();
    let levels = (counts.len() - 1) as f64;
    counts[1..]
        .iter()
        .map(|&c| (c as f64 + 0.5) / (total as f64 + 0.5 * levels))
        .collect()
}

/// Estimates the model from labelled (exact-link) counts, random-pair counts and the
/// candidate pairs' level patterns with their counts (sorted, so the sums run in one order).
pub fn estimate(
    labelled: &Counts,
    random: &Counts,
    patterns: &[(Levels, u64)],
    population_pairs: f64,
    known_matches: f64,
    threshold: f64,
) -> Model {
    let labelled_of = |k: usize| labelled[k][1..].iter().sum::<u64>();
    let learn: Vec<bool> = (0..COMPARISONS)
        .map(|k| labelled_of(k) < MIN_LABELLED)
        .collect();
    let mut m: Vec<Vec<f64>> = Comparison::ALL
        .iter()
        .enumerate()
        .map(|(k, &c)| {
            if learn[k] {
                prior_m(c)
            } else {
                shares(&labelled[k])
            }
        })
        .collect();
    let u: Vec<Vec<f64>> = random.iter().map(|c| shares(c)).collect();
    let mut u_candidates = u.clone();
    let (share, iterations) = em(&mut m, &mut u_candidates, &learn, patterns);
    let candidates: u64 = patterns.iter().map(|(_, n)| n).sum();
    let prior = population_prior(share, candidates, population_pairs)
        .max((known_matches / population_pairs.max(1.0)).min(0.5));
    let comparisons = Comparison::ALL
        .iter()
        .enumerate()
        .map(|(k, &c)| {
            let seen: u64 = patterns
                .iter()
                .filter(|(l, _)| l[k] > 0)
                .map(|(_, n)| n)
                .sum();
            let m_from = match (learn[k], seen) {
                (false, _) => "exact links",
                (true, 0) => "no data (prior)",
                (true, _) => "em",
            };
            ComparisonWeights {
                comparison: c.name().to_owned(),
                m_from: m_from.to_owned(),
                labelled: labelled_of(k),
                levels: monotone(
                    (0..c.levels() - 1)
                        .map(|l| LevelWeight {
                            label: c.labels()[l].to_owned(),
                            m: m[k][l],
                            u: u[k][l],
                            weight: (m[k][l] / u[k][l]).log2(),
                        })
                        .collect(),
                ),
            }
        })
        .collect();
    Model {
        prior,
        prior_weight: (prior / (1.0 - prior)).log2(),
        threshold,
        labelled_pairs: 0,
        random_pairs: random[0][1..].iter().sum(),
        em_iterations: iterations,
        comparisons,
    }
}

/// Levels are ordered from the strongest agreement to disagreement, so no level may weigh less
/// than a weaker one: where EM, on sparse data, says an exact match counts less than a near
/// one, the exact match gets the near one's weight.
fn monotone(mut levels: Vec<LevelWeight>) -> Vec<LevelWeight> {
    for l in (0..levels.len().saturating_sub(2)).rev() {
        levels[l].weight = levels[l].weight.max(levels[l + 1].weight);
    }
    levels
}

/// The chance that two random records match: the matches EM found among the candidates,
/// over all pairs (blocking finds nearly all matches, so this is close to the truth).
fn population_prior(share: f64, candidates: u64, population_pairs: f64) -> f64 {
    if candidates == 0 || population_pairs <= 0.0 {
        return 1e-6;
    }
    (share * candidates as f64 / population_pairs).clamp(1e-12, 0.5)
}

/// Two-class EM over the candidate patterns: updates the share of matches, `u` among the
/// candidates and the `m` of the comparisons in `learn`. Gives the share and the iterations.
/// (`u` among candidates only serves EM: blocking makes non-matching candidates agree more
/// often than random pairs; the weights use the random-pair `u`.)
fn em(
    m: &mut [Vec<f64>],
    u: &mut [Vec<f64>],
    learn: &[bool],
    patterns: &[(Levels, u64)],
) -> (f64, u32) {
    let total: u64 = patterns.iter().map(|(_, n)| n).sum();
    let mut share = 0.1;
    if total == 0 {
        return (share, 0);
    }
    for iteration in 1..=EM_ITERATIONS {
        let mut matched = 0.0;
        let mut m_mass: Vec<Vec<f64>> = m.iter().map(|l| vec![0.0; l.len()]).collect();
        let mut u_mass = m_mass.clone();
        for (levels, n) in patterns {
            let (mut pm, mut pu) = (share, 1.0 - share);
            for (k, &l) in levels.iter().enumerate().filter(|(_, l)| **l > 0) {
                pm *= m[k][l as usize - 1];
                pu *= u[k][l as usize - 1];
            }
            let p = pm / (pm + pu);
            let n = *n as f64;
            matched += p * n;
            for (k, &l) in levels.iter().enumerate().filter(|(_, l)| **l > 0) {
                m_mass[k][l as usize - 1] += p * n;
                u_mass[k][l as usize - 1] += (1.0 - p) * n;
            }
        }
        let next = (matched / total as f64).clamp(1e-9, 1.0 - 1e-9);
        let mut change = (next - share).abs();
        share = next;
        for k in 0..m.len() {
            if learn[k] {
                change = change.max(normalize_into(&mut m[k], &m_mass[k]));
            }
            change = change.max(normalize_into(&mut u[k], &u_mass[k]));
        }
        if change < 1e-6 {
            return (share, iteration as u32);
        }
    }
    (share, EM_ITERATIONS as u32)
}

/// Sets `probabilities` to the smoothed shares of `mass` (unchanged when it is empty); gives
/// the largest change.
fn normalize_into(probabilities: &mut [f64], mass: &[f64]) -> f64 {
    let sum: f64 = mass.iter().sum();
    if sum <= 0.0 {
        return 0.0;
    }
    let mut change: f64 = 0.0;
    for (p, &x) in probabilities.iter_mut().zip(mass) {
        let next = (x + 0.01) / (sum + 0.01 * mass.len() as f64);
        change = change.max((next - *p).abs());
        *p = next;
    }
    change
}

impl Model {
    /// The weight of `level` of comparison `k` (0 for a missing value).
    pub fn weight(&self, k: usize, level: u8) -> f64 {
        match level {
            0 => 0.0,
            l => self.comparisons[k].levels[l as usize - 1].weight,
        }
    }

    /// The term-frequency adjustment of an exact match on a value held by a `frequency` share
    /// of records, for comparison `k`.
    pub fn tf_adjustment(&self, k: usize, frequency: f64) -> f64 {
        let u_exact = self.comparisons[k].levels[0].u;
        (u_exact / frequency.max(1e-12))
            .log2()
            .clamp(-MAX_TF_ADJUSTMENT, MAX_TF_ADJUSTMENT)
    }
}

/// The match probability of a weight.
pub fn probability(weight: f64) -> f64 {
    1.0 / (1.0 + (-weight).exp2())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Pairs drawn with known m and u: the estimate finds them again.
    #[test]
    fn learned_weights_match_a_constructed_set() {
        // Comparison 2 (birth date): matches agree 90% / near 10%; non-matches 1% / 9% / 90%.
        let mut labelled = empty_counts();
        let mut random = empty_counts();
        let mut levels: Levels = [0; COMPARISONS];
        for i in 0..1000u32 {
            levels[2] = if i % 10 == 0 { 2 } else { 1 };
            count(&mut labelled, &levels, None);
            levels[2] = match i % 100 {
                0 => 1,
                1..=9 => 2,
                _ => 3,
            };
            count(&mut random, &levels, None);
        }
        let model = estimate(&labelled, &random, &[], 1e6, 0.0, 0.99);
        let dob = &model.comparisons[2];
        assert_eq!(dob.m_from, "exact links");
        assert!((dob.levels[0].m - 0.9).abs() < 0.01, "{dob:?}");
        assert!((dob.levels[0].u - 0.01).abs() < 0.002, "{dob:?}");
        assert!((dob.levels[0].weight - (0.9f64 / 0.01).log2()).abs() < 0.2);
        assert!(dob.levels[2].weight < -3.0, "disagreement weighs against");
        // No labels for names: the prior m stays (no candidate pairs to learn from).
        assert_eq!(model.comparisons[0].m_from, "no data (prior)");
    }

    /// EM recovers the share of matches and an unlabelled m from the candidate patterns.
    #[test]
    fn em_recovers_the_prior_and_m() {
        let mut random = empty_counts();
        let mut levels: Levels = [0; COMPARISONS];
        for i in 0..10_000u32 {
            levels[0] = if i % 50 == 0 { 1 } else { 4 };
            levels[2] = if i % 100 == 0 { 1 } else { 3 };
            count(&mut random, &levels, None);
        }
        // 300 matches (both agree), 700 non-matches (both disagree).
        let mut a: Levels = [0; COMPARISONS];
        a[0] = 1;
        a[2] = 1;
        let mut b: Levels = [0; COMPARISONS];
        b[0] = 4;
        b[2] = 3;
        let model = estimate(
            &empty_counts(),
            &random,
            &[(a, 300), (b, 700)],
            1e6,
            0.0,
            0.99,
        );
        assert!((model.prior - 300.0 / 1e6).abs() < 2e-5, "{}", model.prior);
        assert_eq!(model.comparisons[0].m_from, "em");
        assert!(model.comparisons[0].levels[0].m > 0.95);
    }
}
