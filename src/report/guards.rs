//! The guards section of the report: blocked junk values, generic identifiers, refused links by
//! rule, and the cluster-size alarm with the identifiers that bridge each alarmed profile.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::extract::Extracted;
use crate::graph::Clusters;
use crate::graph::guards::GuardSettings;
use crate::graph::union_find::UnionFind;
use crate::profile::Profiles;
use crate::reject::RejectReason;

/// Alarmed profiles listed (the largest first).
const MAX_ALARMS: usize = 20;
/// Identifiers examined per alarmed profile (those with the most records first).
const MAX_BRIDGE_CANDIDATES: usize = 30;
/// Bridges listed per alarmed profile.
const MAX_BRIDGES: usize = 5;
/// Junk values and generic identifiers listed.
const MAX_LISTED: usize = 50;

/// What the over-merge guards did.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct GuardsReport {
    /// The settings in force.
    pub settings: GuardsUsed,
    /// Values rejected as junk: total and the most frequent.
    pub junk_values: Listed<JunkValue>,
    /// Generic identifiers (they link nobody): total and the largest.
    pub generic_identifiers: Listed<GenericIdentifier>,
    /// Refused record–identifier links by rule (`generic`, `cap`, `name_mismatch`).
    pub refused_links: BTreeMap<String, u64>,
    /// Profiles above the alarm size, largest first, with what bridges their parts.
    pub alarms: Listed<Alarm>,
}

/// A total and the first entries.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Listed<T> {
    /// How many in all.
    pub total: u64,
    /// The first ones (most important first).
    pub top: Vec<T>,
}

/// Guard settings as applied.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct GuardsUsed {
    /// The configured settings.
    #[serde(flatten)]
    pub configured: GuardSettings,
    /// Profiles above this many records are alarms.
    pub alarm_size: u64,
    /// `config`, or how it was derived.
    pub alarm_size_from: String,
}

/// One junk value.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct JunkValue {
    /// The raw value.
    pub value: String,
    /// Cells holding it.
    pub count: u64,
}

/// One generic identifier.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct GenericIdentifier {
    /// `email`, `phone`, `card`, `id:<ns>`.
    pub kind: String,
    /// Canonical value.
    pub value: String,
    /// Records holding it.
    pub records: u64,
    /// Different names among the clusters it would join.
    pub names: u64,
    /// Otherwise separate groups of records it would join.
    pub groups: u64,
    /// Why it is generic.
    pub why: String,
}

/// One alarmed profile.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Alarm {
    /// Profile id.
    pub profile_id: String,
    /// Records.
    pub records: u64,
    /// Identifiers whose removal splits the profile, most parts first.
    pub bridges: Vec<Bridge>,
}

/// An identifier bridging parts of a profile.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Bridge {
    /// Kind.
    pub kind: String,
    /// Canonical value.
    pub value: String,
    /// Parts the profile falls into without it.
    pub parts: u64,
}

/// Computes the guards section.
pub fn compute(
    extracted: &Extracted,
    clusters: &Clusters,
    profiles: &Profiles,
    settings: &GuardSettings,
) -> GuardsReport {
    let (alarm_size, alarm_size_from) = alarm_size(profiles, settings);
    let mut refused_links: BTreeMap<String, u64> = crate::graph::Rule::ALL
        .iter()
        .map(|r| (r.code().to_owned(), 0))
        .collect();
    for r in &clusters.refused {
        *refused_links.entry(r.rule.code().to_owned()).or_default() += 1;
    }
    GuardsReport {
        settings: GuardsUsed {
            configured: settings.clone(),
            alarm_size,
            alarm_size_from,
        },
        junk_values: junk_values(extracted),
        generic_identifiers: generic(extracted, clusters),
        refused_links,
        alarms: alarms(extracted, clusters, profiles, alarm_size),
    }
}

/// The configured alarm size, or ten times the 99.9th percentile of profile sizes, at least 50:
/// far above what real people accumulate in this data, so an alarm means a bridge.
fn alarm_size(profiles: &Profiles, settings: &GuardSettings) -> (u64, String) {
    if let Some(size) = settings.alarm_size {
        return (u64::from(size), "config".to_owned());
    }
    // 32-bit counts (record indices are 32-bit): this runs beside the other report sections,
    // so its buffer adds to theirs.
    let mut sizes: Vec<u32> = (0..profiles.len())
        .map(|p| profiles.record_count(p) as u32)
        .collect();
    // The value at that rank of the sorted sizes, without sorting them all.
    let rank = sizes.len().saturating_sub(1) * 999 / 1000;
    let p999 = if sizes.is_empty() {
        1
    } else {
        u64::from(*sizes.select_nth_unstable(rank).1)
    };
    let size = (p999 * 10).max(50);
    (
        size,
        format!("derived: 10 x the 99.9th percentile of profile sizes ({p999}), at least 50"),
    )
}

fn junk_values(extracted: &Extracted) -> Listed<JunkValue> {
    let mut counts: BTreeMap<&str, u64> = BTreeMap::new();
    for r in extracted
        .rejects
        .iter()
        .filter(|r| r.reason == RejectReason::JunkValue)
    {
        *counts.entry(r.value.as_str()).or_default() += 1;
    }
    let total = counts.values().sum();
    let mut top: Vec<JunkValue> = counts
        .into_iter()
        .map(|(value, count)| JunkValue {
            value: value.to_owned(),
            count,
        })
        .collect();
    top.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.value.cmp(&b.value)));
    top.truncate(MAX_LISTED);
    Listed { total, top }
}

fn generic(extracted: &Extracted, clusters: &Clusters) -> Listed<GenericIdentifier> {
    let mut top: Vec<GenericIdentifier> = clusters
        .generic
        .iter()
        .map(|g| {
            let (ns, value) = extracted.interner.get(g.identifier);
            GenericIdentifier {
                kind: extracted.namespace_name(ns).to_owned(),
                value: value.to_owned(),
                records: u64::from(g.records),
                names: u64::from(g.names),
                groups: u64::from(g.groups),
                why: g.why.clone(),
            }
        })
        .collect();
    top.sort_by(|a, b| {
        b.records
            .cmp(&a.records)
            .then_with(|| (&a.kind, &a.value).cmp(&(&b.kind, &b.value)))
    });
    let total = top.len() as u64;
    top.truncate(MAX_LISTED);
    Listed { total, top }
}

fn alarms(
    extracted: &Extracted,
    clusters: &Clusters,
    profiles: &Profiles,
    alarm_size: u64,
) -> Listed<Alarm> {
    let mut alarmed: Vec<crate::profile::Profile<'_>> = (0..profiles.len())
        .filter(|&p| profiles.record_count(p) as u64 > alarm_size)
        .map(|p| profiles.get(p))
        .collect();
    alarmed.sort_by(|a, b| {
        b.records
            .len()
            .cmp(&a.records.len())
            .then_with(|| a.id.cmp(&b.id))
    });
    let total = alarmed.len() as u64;
    let top = alarmed
        .into_iter()
        .take(MAX_ALARMS)
        .map(|p| Alarm {
            profile_id: p.id.to_string(),
            records: p.records.len() as u64,
            bridges: bridges(extracted, clusters, p.records),
        })
        .collect();
    Listed { total, top }
}

/// The identifiers whose removal splits a profile into the most parts.
fn bridges(extracted: &Extracted, clusters: &Clusters, members: &[u32]) -> Vec<Bridge> {
    let data = &extracted.records;
    let refused = |r: u32, x: u32| {
        clusters
            .refused
            .binary_search_by_key(&(r, x), |f| (f.record, f.identifier))
            .is_ok()
    };
    // The profile's accepted links, as (local record index, identifier).
    let mut links: Vec<(u32, u32)> = Vec::new();
    for (local, &r) in members.iter().enumerate() {
        for &x in data.identifiers_of(r) {
            if !refused(r, x) {
                links.push((local as u32, x));
            }
        }
    }
    let mut holders: BTreeMap<u32, u32> = BTreeMap::new();
    for &(_, x) in &links {
        *holders.entry(x).or_default() += 1;
    }
    let mut candidates: Vec<(u32, u32)> = holders.into_iter().filter(|&(_, n)| n > 1).collect();
    candidates.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    candidates.truncate(MAX_BRIDGE_CANDIDATES);
    let mut found: Vec<Bridge> = candidates
        .into_iter()
        .filter_map(|(without, _)| {
            let parts = parts_without(members.len(), &links, without);
            (parts > 1).then(|| {
                let (ns, value) = extracted.interner.get(without);
                Bridge {
                    kind: extracted.namespace_name(ns).to_owned(),
                    value: value.to_owned(),
                    parts,
                }
            })
        })
        .collect();
    found.sort_by(|a, b| {
        b.parts
            .cmp(&a.parts)
            .then_with(|| (&a.kind, &a.value).cmp(&(&b.kind, &b.value)))
    });
    found.truncate(MAX_BRIDGES);
    found
}

fn parts_without(n: usize, links: &[(u32, u32)], without: u32) -> u64 {
    let mut uf = UnionFind::new(n);
    let mut first: BTreeMap<u32, u32> = BTreeMap::new();
    for &(r, x) in links.iter().filter(|&&(_, x)| x != without) {
        match first.get(&x) {
            Some(&f) => {
                uf.union(r, f);
            }
            None => {
                first.insert(x, r);
            }
        }
    }
    let roots = uf.into_roots();
    roots
        .iter()
        .enumerate()
        .filter(|&(i, &r)| r as usize == i)
        .count() as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The derived alarm size takes the 99.9th percentile at the rank a full sort of the sizes
    /// gives (the selection finds the same value).
    #[test]
    fn derived_alarm_size_is_the_rank_of_the_sorted_sizes() {
        let dir = tempfile::tempdir().unwrap();
        let (_, _, profiles) = crate::profile::testing::pipeline(dir.path(), 3000);
        let mut sizes: Vec<u64> = profiles.iter().map(|p| p.records.len() as u64).collect();
        sizes.sort_unstable();
        let p999 = sizes[(sizes.len() - 1) * 999 / 1000];
        let settings = GuardSettings {
            alarm_size: None,
            ..GuardSettings::default()
        };
        let (size, from) = alarm_size(&profiles, &settings);
        assert_eq!(size, (p999 * 10).max(50));
        assert!(from.contains(&format!("({p999})")), "{from}");
        assert!(p999 > 1, "{p999}");
    }

    #[test]
    fn removing_the_bridge_splits_a_chain() {
        // 0 -a- 1 -b- 2: without b there are two parts, without c nothing changes.
        let links = [(0, 10), (1, 10), (1, 11), (2, 11)];
        assert_eq!(parts_without(3, &links, 11), 2);
        assert_eq!(parts_without(3, &links, 12), 1);
    }
}
