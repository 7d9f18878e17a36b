//! Carrying a previous link result into an incremental run: only the raw components that the
//! new records touch are linked again; every other cluster keeps its spanning tree, refusals
//! and generic identifiers, renumbered.
//!
//! A *raw component* is a connected component of the record–identifier graph with every link,
//! guards ignored. Every decision of [`link`] about an identifier reads only data inside that
//! identifier's raw component (its holders, the union-find groups they sit in, their names and
//! cap counters; generic detection counts names over the groups built from the other
//! identifiers of the same component), and links are tried in (priority rank, identifier id)
//! order. A raw component that holds no new record keeps the relative order of its records and
//! identifiers in the combined run (saved records keep their order; its identifiers are first
//! seen in saved records), so linking it again would give the same decisions and the same
//! spanning trees, only renumbered: that is what [`link_carried`] carries. The touched
//! components (plus the new records) are linked by the real [`link`] on a sub-problem whose
//! records and identifiers keep their combined relative order. The pieces are then put
//! together in the orders `link` gives: clusters by root, refusals by record then identifier,
//! generic identifiers by id. docs/state.md has the argument at length; the property test at
//! the bottom checks the result against [`link`] on the whole.
//!
//! What this module does not do: decide whether a carry is wanted (the caller passes a
//! [`Lineage`] only for an incremental run), or read and write the saved results (`state`).

use super::guards::GuardSettings;
use super::intern::Interner;
use super::union_find::UnionFind;
use super::{Clusters, NONE, link};
use crate::extract::Records;

/// What an incremental run knows about its saved part: the previous link result and how the
/// saved records and identifiers are numbered in the combined run.
#[derive(Clone, Debug, Default)]
pub struct Lineage {
    /// The previous run's link result, in saved record and identifier numbers.
    pub clusters: Clusters,
    /// The raw component of each saved record ([`raw_components`] of the saved run).
    pub components: Vec<u32>,
    /// Saved record → combined record; `NONE` for a record whose file was given again.
    pub records: Vec<u32>,
    /// Saved identifier → combined identifier; `NONE` for one no kept record holds.
    pub identifiers: Vec<u32>,
}

/// How much of the link a carry reused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CarryStats {
    /// Records whose link result was carried.
    pub carried: usize,
    /// Records linked again (new ones and those of touched components).
    pub relinked: usize,
    /// Per combined record: carried (a saved record whose raw component no new record touches
    /// and no record left), so everything about it is as the previous run had it.
    pub carried_records: Vec<bool>,
}

/// The raw component of every record (labelled by its smallest record index; `NONE` for a
/// record without identifiers), derived from a link result in one pass over the identifier
/// lists: records of one cluster are in one raw component, and so are all holders of an
/// identifier some guard refused (the only links that join records of different clusters).
pub fn raw_components(records: &Records, identifiers: usize, clusters: &Clusters) -> Vec<u32> {
    let n = records.len();
    let mut refused = vec![false; identifiers];
    for r in &clusters.refused {
        refused[r.identifier as usize] = true;
    }
    for g in &clusters.generic {
        refused[g.identifier as usize] = true;
    }
    let mut uf = UnionFind::new(n);
    if !clusters.refused.is_empty() {
        let mut first = vec![NONE; identifiers];
        for r in 0..n as u32 {
            for &x in records.identifiers_of(r) {
                if !refused[x as usize] {
                    continue;
                }
                let cluster = clusters.root[r as usize];
                match first[x as usize] {
                    NONE => first[x as usize] = cluster,
                    seen => {
                        uf.union(seen, cluster);
                    }
                }
            }
        }
    }
    (0..n)
        .map(|r| match clusters.root[r] {
            NONE => NONE,
            root => uf.find(root),
        })
        .collect()
}

/// Rebuilds a saved link result from what the state keeps: `parent`, `via` and `order` give
/// `root` (the first record of each cluster in `order`) and `matched_by` (`via`, or for a root
/// the `via` of the record after it in `order`, its first tree edge). `None` when the columns
/// do not fit together (the caller then links in full).
pub fn from_tree(
    parent: Vec<u32>,
    via: Vec<u32>,
    order: Vec<u32>,
    refused: Vec<super::Refused>,
    generic: Vec<super::guards::Generic>,
) -> Option<Clusters> {
    let n = parent.len();
    if via.len() != n || order.len() > n {
        return None;
    }
    let mut root = vec![NONE; n];
    let mut matched_by = vec![NONE; n];
    let mut current = NONE;
    for (at, &u) in order.iter().enumerate() {
        let u_index = u as usize;
        if u_index >= n || root[u_index] != NONE {
            return None;
        }
        if parent[u_index] == NONE {
            current = u;
            if let Some(&next) = order.get(at + 1)
                && parent.get(next as usize).is_some_and(|&p| p != NONE)
            {
                matched_by[u_index] = via[next as usize];
            }
        } else if current == NONE {
            return None;
        } else {
            matched_by[u_index] = via[u_index];
        }
        root[u_index] = current;
    }
    Some(Clusters {
        root,
        parent,
        via,
        matched_by,
        order,
        refused,
        generic,
    })
}

/// Links `records` (the combined run) by carrying the saved link result of every raw
/// component no new record touches and linking the rest with [`link`]. Gives exactly what
/// `link` gives on the whole, or `Err(why)` when the saved part cannot be carried (the caller
/// then links in full). Takes the lineage to move the saved refusals' texts instead of copying.
pub fn link_carried(
    records: &Records,
    interner: &Interner,
    namespaces: &[String],
    settings: &GuardSettings,
    lineage: Lineage,
) -> Result<(Clusters, CarryStats), &'static str> {
    let n = records.len();
    check_shape(&lineage, n, interner.len())?;
    let saved_of = saved_numbers(&lineage.records, n);
    let (identifier_component, touched) =
        touched_components(records, interner.len(), &lineage, &saved_of);
    let carried_component = |c: u32| c != NONE && !touched[c as usize];
    // Records without identifiers (no component) are carried too: nothing can reach them.
    let carried_or_alone = |c: u32| c == NONE || !touched[c as usize];
    // The carry needs the identifiers of untouched components in their saved relative order.
    let kept_identifiers = lineage
        .identifiers
        .iter()
        .copied()
        .filter(|&x| x != NONE && carried_component(identifier_component[x as usize]));
    if !increasing(kept_identifiers) {
        return Err("the saved identifiers are in another order");
    }
    // Per combined record: is its saved link result carried (saved, component untouched)?
    let carried: Vec<bool> = saved_of
        .iter()
        .map(|&s| s != NONE && carried_or_alone(lineage.components[s as usize]))
        .collect();

    // The sub-problem: touched and new records, identifiers in combined order.
    let sub_records: Vec<u32> = (0..n as u32).filter(|&r| !carried[r as usize]).collect();
    let sub = super::components::sub_problem(records, interner, &sub_records);
    let linked = link(&sub.records, &sub.interner, namespaces, settings);

    let clusters = assemble(
        n,
        lineage,
        &carried,
        &|c| carried_component(c),
        &identifier_component,
        &sub_records,
        &sub.identifiers,
        linked,
    );
    let stats = CarryStats {
        carried: n - sub_records.len(),
        relinked: sub_records.len(),
        carried_records: carried,
    };
    Ok((clusters, stats))
}

/// `Err(why)` when the lineage does not fit `n` combined records and `m` identifiers: columns
/// of other lengths, numbers out of range, or saved records in another order.
fn check_shape(lineage: &Lineage, n: usize, m: usize) -> Result<(), &'static str> {
    let saved = &lineage.clusters;
    let saved_n = lineage.records.len();
    let saved_m = lineage.identifiers.len();
    if [
        saved.root.len(),
        saved.parent.len(),
        saved.via.len(),
        lineage.components.len(),
    ] != [saved_n; 4]
        || lineage
            .records
            .iter()
            .any(|&r| r != NONE && r as usize >= n)
        || lineage
            .identifiers
            .iter()
            .any(|&x| x != NONE && x as usize >= m)
        || saved
            .via
            .iter()
            .chain(&saved.matched_by)
            .chain(saved.refused.iter().map(|f| &f.identifier))
            .chain(saved.generic.iter().map(|g| &g.identifier))
            .any(|&x| x != NONE && x as usize >= saved_m)
        || saved
            .root
            .iter()
            .chain(&saved.parent)
            .chain(&saved.order)
            .chain(saved.refused.iter().map(|f| &f.record))
            .any(|&r| r != NONE && r as usize >= saved_n)
    {
        return Err("the saved link result does not fit the saved records");
    }
    if !increasing(lineage.records.iter().copied()) {
        return Err("the saved records are in another order");
    }
    Ok(())
}

/// Combined record → saved record (`NONE` for a new one), from saved → combined.
fn saved_numbers(saved_records: &[u32], n: usize) -> Vec<u32> {
    let mut saved_of = vec![NONE; n];
    for (s, &r) in saved_records.iter().enumerate() {
        if r != NONE {
            saved_of[r as usize] = s as u32;
        }
    }
    saved_of
}

/// The saved raw component of each of the `m` combined identifiers (`NONE` for one no kept
/// saved record holds), and per saved component whether it is touched: a new record holds one
/// of its identifiers, or one of its records left.
fn touched_components(
    records: &Records,
    m: usize,
    lineage: &Lineage,
    saved_of: &[u32],
) -> (Vec<u32>, Vec<bool>) {
    let mut identifier_component = vec![NONE; m];
    let mut touched = vec![false; lineage.records.len()];
    for (s, &r) in lineage.records.iter().enumerate() {
        let c = lineage.components[s];
        if c == NONE {
            continue;
        }
        if r == NONE {
            touched[c as usize] = true;
            continue;
        }
        for &x in records.identifiers_of(r) {
            identifier_component[x as usize] = c;
        }
    }
    for r in 0..records.len() as u32 {
        if saved_of[r as usize] == NONE {
            for &x in records.identifiers_of(r) {
                let c = identifier_component[x as usize];
                if c != NONE {
                    touched[c as usize] = true;
                }
            }
        }
    }
    (identifier_component, touched)
}

/// Links `records`, carrying what `lineage` saved when it can: gives the clusters, a note on
/// what was carried or why the run linked in full, and which records were carried.
pub fn link_with(
    records: &Records,
    interner: &Interner,
    namespaces: &[String],
    settings: &GuardSettings,
    lineage: Option<Lineage>,
) -> (Clusters, String, Option<Vec<bool>>) {
    let why = match lineage {
        None => "no saved link result to carry",
        Some(lineage) => match link_carried(records, interner, namespaces, settings, lineage) {
            Ok((clusters, stats)) => {
                let note = format!(
                    "carried {} records, linked {} again",
                    stats.carried, stats.relinked
                );
                return (clusters, note, Some(stats.carried_records));
            }
            Err(why) => why,
        },
    };
    (
        link(records, interner, namespaces, settings),
        format!("in full: {why}"),
        None,
    )
}

/// True when the values other than `NONE` strictly increase.
fn increasing(values: impl Iterator<Item = u32>) -> bool {
    let mut last: Option<u32> = None;
    for v in values.filter(|&v| v != NONE) {
        if last.is_some_and(|l| l >= v) {
            return false;
        }
        last = Some(v);
    }
    true
}

/// Puts the carried and the re-linked parts together in `link`'s orders.
#[allow(clippy::too_many_arguments)]
fn assemble(
    n: usize,
    mut lineage: Lineage,
    is_carried: &[bool],
    carried_component: &dyn Fn(u32) -> bool,
    identifier_component: &[u32],
    sub_records: &[u32],
    sub_identifiers: &[u32],
    linked: Clusters,
) -> Clusters {
    let to = Renumber {
        records: &lineage.records,
        identifiers: &lineage.identifiers,
        sub_records,
        sub_identifiers,
    };
    let saved = &lineage.clusters;
    let mut out = Clusters {
        root: vec![NONE; n],
        parent: vec![NONE; n],
        via: vec![NONE; n],
        matched_by: vec![NONE; n],
        order: Vec::new(),
        refused: Vec::new(),
        generic: Vec::new(),
    };
    to.tree_columns(&mut out, saved, &linked, is_carried);
    out.order = to.merged_order(&out.root, &saved.order, &linked.order, is_carried);
    out.refused = to.merged_refused(
        std::mem::take(&mut lineage.clusters.refused),
        linked.refused,
        is_carried,
    );
    out.generic = std::mem::take(&mut lineage.clusters.generic)
        .into_iter()
        .filter_map(|g| {
            let x = to.identifier(g.identifier);
            (x != NONE && carried_component(identifier_component[x as usize]))
                .then_some(super::guards::Generic { identifier: x, ..g })
        })
        .chain(linked.generic.into_iter().map(|g| super::guards::Generic {
            identifier: to.sub_identifier(g.identifier),
            ..g
        }))
        .collect();
    out.generic.sort_by_key(|g| g.identifier);
    out
}

/// Saved and sub-problem numbers to combined ones (`NONE` stays `NONE`).
struct Renumber<'a> {
    /// Saved record → combined record.
    records: &'a [u32],
    /// Saved identifier → combined identifier.
    identifiers: &'a [u32],
    /// Sub-problem record → combined record.
    sub_records: &'a [u32],
    /// Sub-problem identifier → combined identifier.
    sub_identifiers: &'a [u32],
}

/// `map[i]`, or `NONE` for `NONE`.
#[inline]
fn renumbered(map: &[u32], i: u32) -> u32 {
    if i == NONE { NONE } else { map[i as usize] }
}

impl Renumber<'_> {
    #[inline]
    fn record(&self, s: u32) -> u32 {
        renumbered(self.records, s)
    }

    #[inline]
    fn identifier(&self, x: u32) -> u32 {
        renumbered(self.identifiers, x)
    }

    #[inline]
    fn sub_record(&self, i: u32) -> u32 {
        renumbered(self.sub_records, i)
    }

    #[inline]
    fn sub_identifier(&self, i: u32) -> u32 {
        renumbered(self.sub_identifiers, i)
    }

    /// `root`, `parent`, `via` and `matched_by` of the carried records (from `saved`) and of
    /// the re-linked ones (from `linked`), renumbered into `out`.
    fn tree_columns(
        &self,
        out: &mut Clusters,
        saved: &Clusters,
        linked: &Clusters,
        is_carried: &[bool],
    ) {
        for (s, &r) in self.records.iter().enumerate() {
            if r == NONE || !is_carried[r as usize] {
                continue;
            }
            let r = r as usize;
            out.root[r] = self.record(saved.root[s]);
            out.parent[r] = self.record(saved.parent[s]);
            out.via[r] = self.identifier(saved.via[s]);
            out.matched_by[r] = self.identifier(saved.matched_by[s]);
        }
        for (i, &r) in self.sub_records.iter().enumerate() {
            let r = r as usize;
            out.root[r] = self.sub_record(linked.root[i]);
            out.parent[r] = self.sub_record(linked.parent[i]);
            out.via[r] = self.sub_identifier(linked.via[i]);
            out.matched_by[r] = self.sub_identifier(linked.matched_by[i]);
        }
    }

    /// The carried records of `saved_order` and the records of `linked_order`, renumbered: both
    /// list whole clusters by increasing root (`root`, combined), merged cluster by cluster.
    fn merged_order(
        &self,
        root: &[u32],
        saved_order: &[u32],
        linked_order: &[u32],
        is_carried: &[bool],
    ) -> Vec<u32> {
        let mut order = Vec::with_capacity(saved_order.len() + linked_order.len());
        let carried_order: Vec<u32> = saved_order
            .iter()
            .map(|&s| self.record(s))
            .filter(|&r| r != NONE && is_carried[r as usize])
            .collect();
        let sub_order: Vec<u32> = linked_order.iter().map(|&i| self.sub_record(i)).collect();
        let (mut a, mut b) = (0, 0);
        while a < carried_order.len() || b < sub_order.len() {
            let root_a = carried_order.get(a).map_or(NONE, |&r| root[r as usize]);
            let root_b = sub_order.get(b).map_or(NONE, |&r| root[r as usize]);
            let (from, at) = if root_a < root_b {
                (&carried_order, &mut a)
            } else {
                (&sub_order, &mut b)
            };
            let cluster = root_a.min(root_b);
            while let Some(&r) = from.get(*at).filter(|&&r| root[r as usize] == cluster) {
                order.push(r);
                *at += 1;
            }
        }
        order
    }

    /// The saved refusals of carried records and the re-linked ones, renumbered, by record
    /// then identifier.
    fn merged_refused(
        &self,
        saved: Vec<super::Refused>,
        linked: Vec<super::Refused>,
        is_carried: &[bool],
    ) -> Vec<super::Refused> {
        let mut refused: Vec<super::Refused> = saved
            .into_iter()
            .filter(|f| {
                let r = self.record(f.record);
                r != NONE && is_carried[r as usize]
            })
            .map(|f| super::Refused {
                record: self.record(f.record),
                identifier: self.identifier(f.identifier),
                ..f
            })
            .chain(linked.into_iter().map(|f| super::Refused {
                record: self.sub_record(f.record),
                identifier: self.sub_identifier(f.identifier),
                ..f
            }))
            .collect();
        refused.sort_by_key(|f| (f.record, f.identifier));
        refused
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::RecordStatus;
    use crate::extract::records::RecordRef;
    use proptest::prelude::*;
    use std::collections::HashMap;

    const NAMES: [&str; 6] = [
        "Ivan Petrov",
        "IVAN PETROV",
        "Maria Sidorova",
        "Oleg Ivanov",
        "Anna Smirnova",
        "Petr Ivanov",
    ];
    /// Mobiles first, then landlines (Moscow, St. Petersburg).
    const PHONES: [&str; 7] = [
        "+79161234567",
        "+79031112233",
        "+79265554433",
        "+74951234567",
        "+74957654321",
        "+78122223344",
        "+78123334455",
    ];

    /// One generated row: name, identifiers (namespace, value index), and where it lives:
    /// 0 saved and kept, 1 new, 2 saved but dropped (its file was given again).
    type Row = (Option<usize>, Vec<(u16, usize)>, u8);

    fn value(namespace: u16, index: usize) -> String {
        match namespace {
            0 => format!("e{index}@example.com"),
            1 => PHONES[index % PHONES.len()].to_owned(),
            _ => format!("card{index}"),
        }
    }

    /// Records of the rows `keep` selects, identifiers interned in first-seen order.
    fn build(rows: &[Row], keep: impl Fn(u8) -> bool) -> (Records, Interner, Vec<usize>) {
        let mut records = Records::default();
        let mut interner = Interner::new();
        let mut picked = Vec::new();
        for (i, (name, identifiers, kind)) in rows.iter().enumerate() {
            if !keep(*kind) {
                continue;
            }
            picked.push(i);
            let mut ids: Vec<u32> = Vec::new();
            for &(ns, v) in identifiers {
                let id = interner.intern(ns, &value(ns, v));
                if !ids.contains(&id) {
                    ids.push(id);
                }
            }
            let status = if ids.is_empty() {
                RecordStatus::Unidentified
            } else {
                RecordStatus::Identified
            };
            let fields = RecordRef {
                key: None,
                name: name.map(|n| NAMES[n]),
                time_min: 0,
                time_max: 0,
                amount: 0.0,
            };
            records.push_ref(0, i as u64, status, &fields, &ids);
        }
        (records, interner, picked)
    }

    fn settings() -> GuardSettings {
        GuardSettings {
            generic_names: 2,
            generic_groups: 4,
            caps: [("email".to_owned(), 2)].into_iter().collect(),
            ..GuardSettings::default()
        }
    }

    fn namespaces() -> Vec<String> {
        ["email", "phone", "card"].map(str::to_owned).to_vec()
    }

    /// The oracle for `raw_components`: a union-find over records and identifiers.
    fn components_by_union_find(records: &Records, identifiers: usize) -> Vec<u32> {
        let n = records.len();
        let mut uf = UnionFind::new(n + identifiers);
        for r in 0..n as u32 {
            for &x in records.identifiers_of(r) {
                uf.union(r, n as u32 + x);
            }
        }
        (0..n as u32)
            .map(|r| {
                if records.identifiers_of(r).is_empty() {
                    NONE
                } else {
                    uf.find(r)
                }
            })
            .collect()
    }

    fn row() -> impl Strategy<Value = Row> {
        (
            proptest::option::weighted(0.7, 0..NAMES.len()),
            proptest::collection::vec((0u16..3, 0usize..7), 0..4),
            prop_oneof![6 => Just(0u8), 3 => Just(1u8), 1 => Just(2u8)],
        )
    }

    /// Links the saved rows, then carries that result into the combined run.
    fn carried_and_full(rows: &[Row]) -> (Clusters, Clusters, CarryStats) {
        let (settings, namespaces) = (settings(), namespaces());
        let (saved, saved_interner, saved_rows) = build(rows, |k| k != 1);
        let (combined, interner, combined_rows) = build(rows, |k| k != 2);
        let saved_clusters = link(&saved, &saved_interner, &namespaces, &settings);
        let components = raw_components(&saved, saved_interner.len(), &saved_clusters);
        assert_eq!(
            components,
            components_by_union_find(&saved, saved_interner.len())
        );
        let position: HashMap<usize, u32> = combined_rows
            .iter()
            .enumerate()
            .map(|(i, &row)| (row, i as u32))
            .collect();
        let mut by_value = HashMap::new();
        for x in 0..interner.len() as u32 {
            let (ns, value) = interner.get(x);
            by_value.insert((ns, value.to_owned()), x);
        }
        let lineage = Lineage {
            records: saved_rows
                .iter()
                .map(|row| position.get(row).copied().unwrap_or(NONE))
                .collect(),
            identifiers: (0..saved_interner.len() as u32)
                .map(|x| {
                    let (ns, value) = saved_interner.get(x);
                    *by_value.get(&(ns, value.to_owned())).unwrap_or(&NONE)
                })
                .collect(),
            clusters: saved_clusters,
            components,
        };
        let (carried, stats) =
            link_carried(&combined, &interner, &namespaces, &settings, lineage).unwrap();
        let full = link(&combined, &interner, &namespaces, &settings);
        // Without records given again, the carried records are exactly those whose raw
        // component no new record reaches (what `output::reuse` copies rows for).
        if rows.iter().all(|r| r.2 != 2) {
            let components = components_by_union_find(&combined, interner.len());
            let touched: std::collections::HashSet<u32> = combined_rows
                .iter()
                .zip(&components)
                .filter(|&(&row, _)| rows[row].2 == 1)
                .map(|(_, &c)| c)
                .collect();
            let untouched: Vec<bool> = combined_rows
                .iter()
                .zip(&components)
                .map(|(&row, &c)| rows[row].2 != 1 && (c == NONE || !touched.contains(&c)))
                .collect();
            assert_eq!(stats.carried_records, untouched);
        }
        (carried, full, stats)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(400))]

        #[test]
        fn carrying_the_saved_link_equals_linking_the_whole(
            rows in proptest::collection::vec(row(), 0..60),
        ) {
            let (carried, full, stats) = carried_and_full(&rows);
            prop_assert_eq!(stats.carried + stats.relinked, full.root.len());
            prop_assert_eq!(carried, full);
        }

        #[test]
        fn a_saved_link_result_is_rebuilt_from_parent_via_and_order(
            rows in proptest::collection::vec(row(), 0..60),
        ) {
            let (records, interner, _) = build(&rows, |_| true);
            let full = link(&records, &interner, &namespaces(), &settings());
            let rebuilt = from_tree(
                full.parent.clone(),
                full.via.clone(),
                full.order.clone(),
                full.refused.clone(),
                full.generic.clone(),
            );
            prop_assert_eq!(rebuilt, Some(full));
        }
    }

    /// Rows where every guard fires on both sides of one night: an untouched saved household
    /// (landline, name mismatch), a capped profile and a generic card that the new records
    /// leave alone, next to a touched one where the new records make the same things happen.
    fn guarded_night() -> Vec<Row> {
        let saved_part = |base: usize, kind: u8| -> Vec<Row> {
            let (household, landline) = if base == 0 { (3, 5) } else { (4, 6) };
            let mut rows = vec![
                // A household on a landline: two names, then a nameless record on it.
                (Some(0), vec![(1, household), (0, base)], 0),
                (Some(2), vec![(1, household)], 0),
                (None, vec![(1, household)], kind),
                // One named person's landline, then a nameless record on it.
                (Some(4), vec![(1, landline)], 0),
                (None, vec![(1, landline)], kind),
                // A person with three emails (cap 2) through one card.
                (Some(3), vec![(2, base), (0, base + 1)], 0),
                (Some(3), vec![(2, base), (0, base + 2)], 0),
                (Some(3), vec![(2, base), (0, base + 3)], kind),
            ];
            // A generic card: five different people.
            for name in 0..NAMES.len() {
                rows.push((Some(name), vec![(2, base + 1)], 0));
            }
            rows
        };
        let mut rows = saved_part(0, 0);
        rows.extend(saved_part(10, 1));
        rows
    }

    /// The lineage of `guarded_night` with its saved records kept, and the combined run.
    fn night_lineage() -> (Records, Interner, Lineage) {
        let rows = guarded_night();
        let (saved, saved_interner, _) = build(&rows, |k| k != 1);
        let (combined, interner, combined_rows) = build(&rows, |k| k != 2);
        let clusters = link(&saved, &saved_interner, &namespaces(), &settings());
        let components = raw_components(&saved, saved_interner.len(), &clusters);
        let saved_rows: Vec<usize> = (0..rows.len()).filter(|&i| rows[i].2 != 1).collect();
        let lineage = Lineage {
            records: saved_rows
                .iter()
                .map(|row| combined_rows.iter().position(|r| r == row).unwrap() as u32)
                .collect(),
            identifiers: (0..saved_interner.len() as u32)
                .map(|x| {
                    let (ns, value) = saved_interner.get(x);
                    (0..interner.len() as u32)
                        .find(|&y| interner.get(y) == (ns, value))
                        .unwrap()
                })
                .collect(),
            clusters,
            components,
        };
        (combined, interner, lineage)
    }

    #[test]
    fn a_lineage_that_breaks_the_saved_order_or_shape_falls_back_to_a_full_link() {
        let (records, interner, lineage) = night_lineage();
        let carry = |lineage: &Lineage| {
            link_carried(
                &records,
                &interner,
                &namespaces(),
                &settings(),
                lineage.clone(),
            )
            .map(|_| ())
        };
        assert_eq!(carry(&lineage), Ok(()));
        let mut swapped = lineage.clone();
        swapped.records.swap(0, 1);
        assert_eq!(
            carry(&swapped),
            Err("the saved records are in another order")
        );
        swapped.records.swap(0, 1);
        // Identifiers 0 and 1 (a landline and an email of the untouched household).
        swapped.identifiers.swap(0, 1);
        assert_eq!(
            carry(&swapped),
            Err("the saved identifiers are in another order")
        );
        swapped.identifiers.swap(0, 1);
        swapped.components.pop();
        assert_eq!(
            carry(&swapped),
            Err("the saved link result does not fit the saved records")
        );
        let (clusters, note, _) = link_with(
            &records,
            &interner,
            &namespaces(),
            &settings(),
            Some(swapped),
        );
        assert_eq!(
            note,
            "in full: the saved link result does not fit the saved records"
        );
        assert_eq!(
            clusters,
            link(&records, &interner, &namespaces(), &settings())
        );
    }

    #[test]
    fn guards_fire_in_carried_and_in_relinked_components_alike() {
        let rows = guarded_night();
        let (carried, full, stats) = carried_and_full(&rows);
        assert!(stats.carried > 0 && stats.relinked > 0, "{stats:?}");
        let rules: std::collections::BTreeSet<&str> =
            full.refused.iter().map(|r| r.rule.code()).collect();
        assert_eq!(
            rules,
            ["cap", "generic", "landline", "name_mismatch"].into(),
            "{:?}",
            full.refused
        );
        assert_eq!(carried, full);
    }
}
