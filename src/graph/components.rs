//! The *components* stage: which records can reach each other through shared identifiers, the
//! guards aside. Its data product, [`Components`], is global (one union-find over every
//! record and identifier) but small, and it cuts the *link* stage into independent problems:
//! guards only ever refuse links inside a component, so linking each component on its own and
//! putting the results together ([`link_by_component`]) gives exactly what [`link`] gives on
//! the whole. `graph::carry` relies on the same fact for `--incremental` (it re-links only the
//! touched components); on Spark each component is one task.

use super::intern::Interner;
use super::union_find::UnionFind;
use super::{Clusters, NONE, guards, link};
use crate::extract::Records;
use crate::extract::records::RecordRef;

/// The raw components: records joined by any shared identifier, guards aside.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Components {
    /// Per record, its component, named by the smallest record index in it; `NONE` for a
    /// record without identifiers (it reaches nobody).
    pub of_record: Vec<u32>,
}

impl Components {
    /// The records of every component, each list ascending, components by smallest record.
    pub fn members(&self) -> Vec<Vec<u32>> {
        let mut index = vec![NONE; self.of_record.len()];
        let mut members: Vec<Vec<u32>> = Vec::new();
        for (r, &c) in self.of_record.iter().enumerate() {
            if c == NONE {
                continue;
            }
            if index[c as usize] == NONE {
                index[c as usize] = members.len() as u32;
                members.push(Vec::new());
            }
            members[index[c as usize] as usize].push(r as u32);
        }
        members
    }
}

/// The raw components of `records` over `identifiers` interned identifiers.
pub fn components(records: &Records, identifiers: usize) -> Components {
    let n = records.len();
    let mut first = vec![NONE; identifiers];
    let mut uf = UnionFind::new(n);
    for r in 0..n as u32 {
        for &x in records.identifiers_of(r) {
            match first[x as usize] {
                NONE => first[x as usize] = r,
                holder => {
                    uf.union(holder, r);
                }
            }
        }
    }
    // The union-find's representative is any member: name each component by its smallest.
    let mut smallest = vec![NONE; n];
    let of_record = (0..n as u32)
        .map(|r| {
            if records.identifiers_of(r).is_empty() {
                return NONE;
            }
            let root = uf.find(r) as usize;
            if smallest[root] == NONE {
                smallest[root] = r;
            }
            smallest[root]
        })
        .collect();
    Components { of_record }
}

/// Some of the records, renumbered as a problem of their own: their identifiers keep their
/// relative (interning) order, so `link` decides on them as it does on the whole.
pub(super) struct SubProblem {
    /// The records, renumbered `0..`.
    pub records: Records,
    /// Their identifiers, interned in global order.
    pub interner: Interner,
    /// Sub identifier → global identifier.
    pub identifiers: Vec<u32>,
}

/// The sub-problem of the records `members` (ascending). Only what `link` reads is copied.
pub(super) fn sub_problem(records: &Records, interner: &Interner, members: &[u32]) -> SubProblem {
    let mut local = vec![NONE; interner.len()];
    let mut identifiers: Vec<u32> = Vec::new();
    for &r in members {
        for &x in records.identifiers_of(r) {
            if local[x as usize] == NONE {
                local[x as usize] = 0;
                identifiers.push(x);
            }
        }
    }
    identifiers.sort_unstable();
    let mut sub_interner = Interner::new();
    for (i, &x) in identifiers.iter().enumerate() {
        local[x as usize] = i as u32;
        let (namespace, value) = interner.get(x);
        let id = sub_interner.intern(namespace, value);
        debug_assert_eq!(id, i as u32, "distinct values, interned in order");
    }
    let mut sub = Records::default();
    let mut idents = Vec::new();
    for &r in members {
        let r = r as usize;
        idents.clear();
        idents.extend(
            records
                .identifiers_of(r as u32)
                .iter()
                .map(|&x| local[x as usize]),
        );
        let fields = RecordRef {
            key: None,
            name: records.name.get(r),
            time_min: 0,
            time_max: 0,
            amount: 0.0,
        };
        // The source is kept: the name check reads which sources hold given names only.
        sub.push_ref(
            records.source[r],
            records.row.get(r),
            records.status[r],
            &fields,
            &idents,
        );
    }
    SubProblem {
        records: sub,
        interner: sub_interner,
        identifiers,
    }
}

/// Links every component on its own (the *link* stage as independent tasks) and puts the
/// results together in `link`'s orders: equal to `link(records, interner, ...)`.
pub fn link_by_component(
    records: &Records,
    interner: &Interner,
    namespaces: &[String],
    settings: &guards::GuardSettings,
    components: &Components,
) -> Clusters {
    let n = records.len();
    let mut out = Clusters {
        root: vec![NONE; n],
        parent: vec![NONE; n],
        via: vec![NONE; n],
        matched_by: vec![NONE; n],
        ..Clusters::default()
    };
    // Each cluster's stretch of `order`, keyed by its root, to be put in root order.
    let mut stretches: Vec<(u32, Vec<u32>)> = Vec::new();
    for members in components.members() {
        let sub = sub_problem(records, interner, &members);
        let linked = link(&sub.records, &sub.interner, namespaces, settings);
        let record = |i: u32| if i == NONE { NONE } else { members[i as usize] };
        let identifier = |i: u32| {
            if i == NONE {
                NONE
            } else {
                sub.identifiers[i as usize]
            }
        };
        for (i, &r) in members.iter().enumerate() {
            let r = r as usize;
            out.root[r] = record(linked.root[i]);
            out.parent[r] = record(linked.parent[i]);
            out.via[r] = identifier(linked.via[i]);
            out.matched_by[r] = identifier(linked.matched_by[i]);
        }
        for stretch in linked
            .order
            .chunk_by(|&a, &b| linked.root[a as usize] == linked.root[b as usize])
        {
            let records: Vec<u32> = stretch.iter().map(|&i| record(i)).collect();
            stretches.push((out.root[records[0] as usize], records));
        }
        out.refused
            .extend(linked.refused.into_iter().map(|f| super::Refused {
                record: record(f.record),
                identifier: identifier(f.identifier),
                ..f
            }));
        out.generic
            .extend(linked.generic.into_iter().map(|g| guards::Generic {
                identifier: identifier(g.identifier),
                ..g
            }));
    }
    stretches.sort_by_key(|s| s.0);
    out.order = stretches.into_iter().flat_map(|s| s.1).collect();
    out.refused.sort_by_key(|f| (f.record, f.identifier));
    out.generic.sort_by_key(|g| g.identifier);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::RecordStatus;
    use crate::synth::SynthConfig;

    /// Records holding the given identifier lists (interned as `e0`, `e1`, ...).
    fn records(lists: &[&[u32]]) -> Records {
        let mut records = Records::default();
        for (row, list) in lists.iter().enumerate() {
            let fields = RecordRef {
                key: None,
                name: None,
                time_min: 0,
                time_max: 0,
                amount: 0.0,
            };
            records.push_ref(0, row as u64 + 1, RecordStatus::Identified, &fields, list);
        }
        records
    }

    #[test]
    fn components_join_records_through_any_shared_identifier() {
        // 0-2 share identifier 1, 2-4 share 3; 1 holds nothing; 3 alone; 5-6 share 4.
        let records = records(&[&[0, 1], &[], &[1, 3], &[2], &[3], &[4], &[4]]);
        let components = components(&records, 5);
        assert_eq!(components.of_record, vec![0, NONE, 0, 3, 0, 5, 5]);
        assert_eq!(
            components.members(),
            vec![vec![0, 2, 4], vec![3], vec![5, 6]]
        );
    }

    /// Households, store phones typed at the till and junk values in quantity: the guards
    /// refuse links and mark values generic in many components.
    fn stressed(people: usize, seed: u64) -> SynthConfig {
        SynthConfig {
            household_share: 0.20,
            junk_share: 0.10,
            store_phone_share: 0.10,
            store_phones: 3,
            duplicate_share: 0.05,
            second_account_share: 0.10,
            ..SynthConfig::new(people, seed)
        }
    }

    #[test]
    fn linking_each_component_on_its_own_equals_linking_the_whole() {
        for seed in [3, 17] {
            let dir = tempfile::tempdir().unwrap();
            let (extracted, settings) =
                crate::profile::testing::extracted(dir.path(), &stressed(3000, seed));
            let mut guards = settings.guards.clone();
            guards.given_name_sources = crate::extract::given_name_sources(&extracted.sources);
            let (records, interner) = (&extracted.records, &extracted.interner);
            let namespaces = &extracted.namespaces;
            let whole = link(records, interner, namespaces, &guards);
            let components = components(records, interner.len());
            // The data exercises what could differ: many components, refusals, generic values.
            assert!(components.members().len() > 1000, "seed {seed}");
            assert!(
                whole.refused.len() > 10,
                "seed {seed}: {}",
                whole.refused.len()
            );
            assert!(!whole.generic.is_empty(), "seed {seed}");
            let assembled = link_by_component(records, interner, namespaces, &guards, &components);
            assert_eq!(assembled, whole, "seed {seed}");
            // Same clusters, hence the same profiles: survivorship, ids, records, field by field.
            let (a, b) = (
                crate::profile::build(&extracted, &assembled),
                crate::profile::build(&extracted, &whole),
            );
            assert_eq!(a.len(), b.len());
            assert!(a.iter().eq(b.iter()), "seed {seed}");
        }
    }

    #[test]
    fn every_cluster_lies_inside_one_component() {
        let dir = tempfile::tempdir().unwrap();
        let (extracted, settings) =
            crate::profile::testing::extracted(dir.path(), &stressed(1500, 5));
        let records = &extracted.records;
        let components = components(records, extracted.interner.len());
        let whole = link(
            records,
            &extracted.interner,
            &extracted.namespaces,
            &settings.guards,
        );
        for (r, &root) in whole.root.iter().enumerate() {
            if root != NONE {
                assert_eq!(components.of_record[r], components.of_record[root as usize]);
            }
        }
    }
}
