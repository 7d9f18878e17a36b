//! Linking: identifiers interned to dense `u32` ids, records joined by a union-find over those
//! integers, under the over-merge guards (`guards`).
//!
//! Takes the per-record identifier lists from `extract`; gives [`Clusters`]: for every record
//! its cluster root (the smallest record index of its cluster), the spanning tree that explains
//! the cluster (which record reached which through which identifier), and every link a guard
//! refused. Strings never reach the union-find; names are folded once per distinct spelling and
//! only consulted by the guards.

pub mod carry;
pub mod components;
pub mod guards;
pub mod intern;
pub mod names;
pub mod union_find;

use hashbrown::HashMap;

use rayon::prelude::*;

use crate::extract::{RecordStatus, Records};
use guards::{Generic, GuardSettings};
use intern::Interner;
use names::{FoldedName, agree};
use union_find::UnionFind;

/// Sentinel for "none" in the dense `u32` columns.
pub const NONE: u32 = u32::MAX;

/// Names kept per component for the weak-link check (enough to judge, bounded in memory).
const NAMES_PER_COMPONENT: usize = 8;

/// Which guard refused a link.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Rule {
    /// The identifier is generic and links nobody.
    Generic,
    /// The link would break a per-profile cap.
    Cap,
    /// Joined only through a phone while the names disagree.
    NameMismatch,
    /// A record without a name reached a named profile only through a landline.
    Landline,
}

impl Rule {
    /// Every rule, in code order of the report.
    pub const ALL: [Rule; 4] = [Rule::Generic, Rule::Cap, Rule::NameMismatch, Rule::Landline];

    /// The stable code used in `refused.csv` and `report.json`.
    pub fn code(self) -> &'static str {
        match self {
            Rule::Generic => "generic",
            Rule::Cap => "cap",
            Rule::NameMismatch => "name_mismatch",
            Rule::Landline => "landline",
        }
    }
}

/// A record–identifier link a guard refused.
#[derive(Clone, Debug, PartialEq)]
pub struct Refused {
    /// The record.
    pub record: u32,
    /// The identifier.
    pub identifier: u32,
    /// Which guard.
    pub rule: Rule,
    /// Why, for people.
    pub detail: String,
}

/// The connected components of the record–identifier graph, with their explanation.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Clusters {
    /// For each record, the smallest record index in its cluster; `NONE` for records with no
    /// usable identifier (they belong to no profile). Empty after [`Clusters::release_roots`].
    pub root: Vec<u32>,
    /// For each record, the record it was reached from in its cluster's spanning tree.
    pub parent: Vec<u32>,
    /// For each record, the identifier it was reached through (`NONE` for roots).
    pub via: Vec<u32>,
    /// For each record, the identifier that joined it to its profile: `via`, or for a root the
    /// identifier of its first tree edge; `NONE` for a profile of one record.
    pub matched_by: Vec<u32>,
    /// Identified records in spanning-tree order, cluster after cluster (clusters by root).
    pub order: Vec<u32>,
    /// Links refused by a guard, by record then identifier.
    pub refused: Vec<Refused>,
    /// Generic identifiers, by identifier id.
    pub generic: Vec<Generic>,
}

impl Clusters {
    /// Frees `root` once the profiles are built from it (`profile::build`): `merge` reads it no
    /// more, and at the run's memory peak (the report beside the tables) it was 4 bytes a
    /// record (issue 19).
    pub fn release_roots(&mut self) {
        self.root = Vec::new();
    }
}

/// Identifier → holding records, in record order, with a flag per link telling if it was used.
struct Holders {
    start: Vec<u32>,
    records: Vec<u32>,
    accepted: Vec<bool>,
}

impl Holders {
    fn build(records: &Records, identifiers: usize) -> Holders {
        let mut start = vec![0u32; identifiers + 1];
        for r in 0..records.len() as u32 {
            for &x in records.identifiers_of(r) {
                start[x as usize + 1] += 1;
            }
        }
        for i in 0..identifiers {
            start[i + 1] += start[i];
        }
        let mut fill = start.clone();
        let mut holders =
            vec![0u32; *start.last().expect("start has identifiers + 1 entries") as usize];
        for r in 0..records.len() as u32 {
            for &x in records.identifiers_of(r) {
                holders[fill[x as usize] as usize] = r;
                fill[x as usize] += 1;
            }
        }
        let accepted = vec![false; holders.len()];
        Holders {
            start,
            records: holders,
            accepted,
        }
    }

    fn range(&self, x: u32) -> std::ops::Range<usize> {
        self.start[x as usize] as usize..self.start[x as usize + 1] as usize
    }

    fn of(&self, x: u32) -> &[u32] {
        &self.records[self.range(x)]
    }

    fn slot(&self, x: u32, record: u32) -> usize {
        let range = self.range(x);
        let offset = self.records[range.clone()]
            .binary_search(&record)
            .expect("the record holds the identifier");
        range.start + offset
    }
}

/// Folds every record's name once per distinct spelling. Returns the name id per record
/// (`NONE` without a usable name) and the folded names; a name from a source flagged in
/// `given_name_sources` is marked as given names only.
fn fold_names(records: &Records, given_name_sources: &[bool]) -> (Vec<u32>, Vec<FoldedName>) {
    // Ids are given in first-seen order, so the hasher does not change any output.
    let mut ids: HashMap<(&str, bool), u32, foldhash::fast::FixedState> = HashMap::default();
    let mut spellings: Vec<(&str, bool)> = Vec::new();
    let raw: Vec<u32> = (0..records.len())
        .map(|r| match records.name.get(r) {
            None => NONE,
            Some(name) => {
                let source = records.source[r] as usize;
                let given = given_name_sources.get(source).copied().unwrap_or(false);
                *ids.entry((name, given)).or_insert_with(|| {
                    spellings.push((name, given));
                    spellings.len() as u32 - 1
                })
            }
        })
        .collect();
    let folded: Vec<Option<FoldedName>> = spellings
        .par_iter()
        .map(|&(s, given)| FoldedName::new(s).map(|f| if given { f.given_only() } else { f }))
        .collect();
    // Equal folds share one id, so `Иванов Иван` and `IVAN IVANOV` are one name.
    let mut by_fold: HashMap<&FoldedName, u32, foldhash::fast::FixedState> = HashMap::default();
    let mut table: Vec<FoldedName> = Vec::new();
    let remap: Vec<u32> = folded
        .iter()
        .map(|f| match f {
            None => NONE,
            Some(f) => *by_fold.entry(f).or_insert_with(|| {
                table.push(f.clone());
                table.len() as u32 - 1
            }),
        })
        .collect();
    let of_record = raw
        .into_iter()
        .map(|s| if s == NONE { NONE } else { remap[s as usize] })
        .collect();
    (of_record, table)
}

/// The names of every union-find component (at most [`NAMES_PER_COMPONENT`], in the order they
/// joined), for the weak-link checks. Most components hold no name or one, so one `u32` per
/// node says which: `NONE`, a name id, or (with [`MANY`] set) the index of a list in `lists`.
/// That is 4 bytes per node where a `Vec<u32>` per node took 24 plus an allocation.
struct ComponentNames {
    first: Vec<u32>,
    lists: Vec<Vec<u32>>,
}

/// Marks a [`ComponentNames::first`] entry that indexes a list of two or more names.
const MANY: u32 = 1 << 31;

impl ComponentNames {
    /// One component per node; node `i < name_of.len()` starts with its record's name.
    fn new(name_of: &[u32], nodes: usize) -> ComponentNames {
        assert!(
            name_of.iter().all(|&id| id == NONE || id < MANY),
            "fewer than 2^31 distinct names"
        );
        let mut first = Vec::with_capacity(nodes);
        first.extend_from_slice(name_of);
        first.resize(nodes, NONE);
        ComponentNames {
            first,
            lists: Vec::new(),
        }
    }

    /// The names of component `c`.
    fn of(&self, c: u32) -> &[u32] {
        match self.first[c as usize] {
            NONE => &[],
            tagged if tagged & MANY != 0 => &self.lists[(tagged & !MANY) as usize],
            _ => std::slice::from_ref(&self.first[c as usize]),
        }
    }

    fn is_empty(&self, c: u32) -> bool {
        self.first[c as usize] == NONE
    }

    /// Moves the names of `gone` to `keep` (those it lacks, while it has room).
    fn merge(&mut self, keep: u32, gone: u32) {
        let moved = std::mem::replace(&mut self.first[gone as usize], NONE);
        match moved {
            NONE => {}
            tagged if tagged & MANY != 0 => {
                let names = std::mem::take(&mut self.lists[(tagged & !MANY) as usize]);
                for name in names {
                    self.push(keep, name);
                }
            }
            name => self.push(keep, name),
        }
    }

    fn push(&mut self, c: u32, name: u32) {
        let slot = &mut self.first[c as usize];
        match *slot {
            NONE => *slot = name,
            tagged if tagged & MANY != 0 => {
                let names = &mut self.lists[(tagged & !MANY) as usize];
                if names.len() < NAMES_PER_COMPONENT && !names.contains(&name) {
                    names.push(name);
                }
            }
            one if one == name => {}
            one => {
                *slot = MANY | u32::try_from(self.lists.len()).expect("fewer than 2^31 lists");
                self.lists.push(vec![one, name]);
            }
        }
    }
}

/// Joins records that share an identifier no guard refuses.
pub fn link(
    records: &Records,
    interner: &Interner,
    namespaces: &[String],
    settings: &GuardSettings,
) -> Clusters {
    link_known(records, interner, namespaces, settings, None)
}

/// [`link`] with the generic identifiers decided beforehand, sorted by identifier (a
/// distributed run decides them over every record before it links a batch of components:
/// `stage::generic`); `None` detects them here.
pub fn link_known(
    records: &Records,
    interner: &Interner,
    namespaces: &[String],
    settings: &GuardSettings,
    known_generic: Option<Vec<Generic>>,
) -> Clusters {
    let n = records.len();
    let m = interner.len();
    // Independent passes over the records: one builds the holder lists, the other numbers the
    // names (its folding is itself parallel).
    let (mut holders, (name_of, folded)) = rayon::join(
        || Holders::build(records, m),
        || fold_names(records, &settings.given_name_sources),
    );
    let generic = known_generic.unwrap_or_else(|| {
        detect_generic(
            records, interner, namespaces, settings, &holders, &name_of, &folded,
        )
    });
    let is_generic = generic_flags(&generic, m);
    // The large arrays are allocated in this order, the union-find last: the link stage's
    // memory peak was measured with it (glibc places them, and reuses their space, by it).
    let caps = CapCounters::new(interner, namespaces, settings, n);
    let comp_names = ComponentNames::new(&name_of, n + m);
    let name_checked = name_checked_namespaces(namespaces, settings);
    let order = link_order(interner, namespaces, settings);
    let mut linker = Linker {
        interner,
        namespaces,
        settings,
        generic: &generic,
        is_generic: &is_generic,
        folded: &folded,
        name_checked,
        records: n,
        comp_names,
        caps,
        uf: UnionFind::new(n + m),
        refused: Vec::new(),
    };
    for x in order {
        linker.link_identifier(x, &mut holders);
    }
    // What the links were decided by goes before the trees are built: kept to the end of the
    // function, it sat under the link stage's memory peak (issue 19).
    let (uf, refused) = linker.finish();
    drop((name_of, folded, is_generic));
    let mut roots = uf.into_roots();
    roots.truncate(n);
    roots.shrink_to_fit();
    spanning_trees(records, &holders, roots, refused, generic)
}

/// Per identifier id: is it generic?
fn generic_flags(generic: &[Generic], identifiers: usize) -> Vec<bool> {
    let mut is_generic = vec![false; identifiers];
    for g in generic {
        is_generic[g.identifier as usize] = true;
    }
    is_generic
}

/// Per namespace: are its links checked against the names (`name_check`)?
fn name_checked_namespaces(namespaces: &[String], settings: &GuardSettings) -> Vec<bool> {
    namespaces
        .iter()
        .map(|namespace| {
            settings
                .name_check
                .iter()
                .any(|k| k == namespace || (k == "id" && namespace.starts_with("id:")))
        })
        .collect()
}

/// The order links are tried in: by priority rank of the namespace, each rank in first-seen
/// (id) order.
fn link_order(interner: &Interner, namespaces: &[String], settings: &GuardSettings) -> Vec<u32> {
    // Per namespace once, not per identifier (or per comparison of the sort).
    let rank: Vec<usize> = namespaces.iter().map(|ns| settings.rank(ns)).collect();
    let mut order: Vec<u32> = (0..interner.len() as u32).collect();
    // Stable: within a rank, identifiers stay in id (first-seen) order.
    order.sort_by_key(|&x| rank[interner.namespace_of(x) as usize]);
    order
}

/// The per-profile counters of the capped namespaces: a slot per capped namespace for every
/// union-find node (records, then identifiers; an identifier counts one in its namespace).
struct CapCounters {
    /// The capped namespaces and their caps, one per slot.
    capped: Vec<(u16, u32)>,
    counts: Vec<u32>,
}

impl CapCounters {
    fn new(
        interner: &Interner,
        namespaces: &[String],
        settings: &GuardSettings,
        records: usize,
    ) -> CapCounters {
        let m = interner.len();
        let capped: Vec<(u16, u32)> = namespaces
            .iter()
            .enumerate()
            .filter_map(|(ns, name)| settings.caps.get(name).map(|&cap| (ns as u16, cap)))
            .collect();
        let slots = capped.len();
        let mut counts = vec![0u32; (records + m) * slots];
        for x in 0..m {
            if let Some(slot) = capped
                .iter()
                .position(|&(ns, _)| ns == interner.namespace_of(x as u32))
            {
                counts[(records + x) * slots + slot] = 1;
            }
        }
        CapCounters { capped, counts }
    }

    /// `Some(why)` when joining components `a` and `b` would break a cap.
    fn breach(&self, namespaces: &[String], a: u32, b: u32) -> Option<String> {
        let slots = self.capped.len();
        (0..slots).find_map(|s| {
            let (ca, cb) = (
                self.counts[a as usize * slots + s],
                self.counts[b as usize * slots + s],
            );
            let (ns, cap) = self.capped[s];
            (ca + cb > cap && ca + cb > ca.max(cb)).then(|| {
                format!(
                    "would give the profile {} {} values (cap {cap})",
                    ca + cb,
                    namespaces[ns as usize]
                )
            })
        })
    }

    /// Adds the counts of `gone` to those of `keep`.
    #[inline]
    fn merge(&mut self, keep: u32, gone: u32) {
        let slots = self.capped.len();
        let (keep, gone) = (keep as usize, gone as usize);
        for s in 0..slots {
            self.counts[keep * slots + s] += self.counts[gone * slots + s];
        }
    }
}

/// The union-find over records and identifiers (identifier `x` is node `records + x`) and what
/// the guards read of its components while the links are tried.
struct Linker<'a> {
    interner: &'a Interner,
    namespaces: &'a [String],
    settings: &'a GuardSettings,
    generic: &'a [Generic],
    is_generic: &'a [bool],
    folded: &'a [FoldedName],
    /// Per namespace: [`name_checked_namespaces`].
    name_checked: Vec<bool>,
    /// The number of records (the first identifier node).
    records: usize,
    // Fields drop in this order when `finish` returns: the names, then the counters.
    comp_names: ComponentNames,
    caps: CapCounters,
    uf: UnionFind,
    refused: Vec<Refused>,
}

/// What the guards decide once per identifier, before its links are tried.
struct IdentifierGuards<'a> {
    /// Why the identifier is generic (it links nobody).
    generic_why: Option<&'a String>,
    /// Its namespace is checked against the names.
    name_checked: bool,
    /// `Some(why)` when the groups already holding it carry names that disagree.
    contested: Option<String>,
    /// The landline guard applies (a phone a named profile holds, shared by several records).
    landline: bool,
    /// Whether the phone is a fixed line, decided on first need.
    fixed_line: Option<bool>,
}

impl<'a> Linker<'a> {
    /// Tries the links of every holder of `x`, marking those accepted in `holders`.
    fn link_identifier(&mut self, x: u32, holders: &mut Holders) {
        let mut guards = self.identifier_guards(x, holders);
        let node = (self.records + x as usize) as u32;
        for slot in holders.range(x) {
            let record = holders.records[slot];
            match self.join(record, x, node, &mut guards) {
                Ok(()) => holders.accepted[slot] = true,
                Err((rule, detail)) => self.refused.push(Refused {
                    record,
                    identifier: x,
                    rule,
                    detail,
                }),
            }
        }
    }

    /// The guards of identifier `x` that depend only on the components of its holders.
    fn identifier_guards(&mut self, x: u32, holders: &Holders) -> IdentifierGuards<'a> {
        let namespace = self.interner.namespace_of(x) as usize;
        let name_checked = self.name_checked[namespace];
        let is_generic = self.is_generic[x as usize];
        // An identifier already shared by people whose names disagree (a household landline)
        // cannot place a record without a name: linking it to either person is a coin toss.
        let contested = (name_checked && !is_generic)
            .then(|| {
                contested_by(
                    holders.of(x),
                    &mut self.uf,
                    &self.comp_names,
                    self.folded,
                    self.settings.name_similarity,
                )
            })
            .flatten();
        // A landline belongs to a household, not a person: once a named profile holds it, a
        // record without a name that only it ties there may be anyone in that household.
        let landline = !self.settings.landlines_place_nameless
            && self.namespaces[namespace] == "phone"
            && !is_generic
            && holders.of(x).len() > 1
            && holders
                .of(x)
                .iter()
                .any(|&r| !self.comp_names.is_empty(self.uf.find(r)));
        let generic = self.generic;
        let generic_why = is_generic.then(|| {
            let at = generic
                .binary_search_by_key(&x, |g| g.identifier)
                .expect("generic identifiers are listed, by id");
            &generic[at].why
        });
        IdentifierGuards {
            generic_why,
            name_checked,
            contested,
            landline,
            fixed_line: None,
        }
    }

    /// Joins `record` to identifier `x` (union-find node `node`), unless a guard refuses:
    /// then `Err` says which and why.
    #[inline]
    fn join(
        &mut self,
        record: u32,
        x: u32,
        node: u32,
        guards: &mut IdentifierGuards<'_>,
    ) -> Result<(), (Rule, String)> {
        if let Some(why) = guards.generic_why {
            return Err((Rule::Generic, why.clone()));
        }
        let (a, b) = (self.uf.find(record), self.uf.find(node));
        if a == b {
            return Ok(());
        }
        self.check(a, b, x, guards)?;
        self.uf.union(a, b);
        let (keep, gone) = (a.min(b), a.max(b));
        self.caps.merge(keep, gone);
        self.comp_names.merge(keep, gone);
        Ok(())
    }

    /// The per-link guards on joining component `a` (the record's) to `b` (identifier `x`'s).
    fn check(
        &self,
        a: u32,
        b: u32,
        x: u32,
        guards: &mut IdentifierGuards<'_>,
    ) -> Result<(), (Rule, String)> {
        if let Some(detail) = self.caps.breach(self.namespaces, a, b) {
            return Err((Rule::Cap, detail));
        }
        let nameless = self.comp_names.is_empty(a);
        if let (Some(why), true) = (&guards.contested, nameless) {
            return Err((
                Rule::NameMismatch,
                format!("{why}; a record without a name cannot be placed"),
            ));
        }
        if guards.landline
            && nameless
            && *guards.fixed_line.get_or_insert_with(|| {
                crate::normalize::phone::is_fixed_line(self.interner.get(x).1)
            })
        {
            return Err((
                Rule::Landline,
                "a landline is shared by a household; a record without a name cannot be \
                 placed by it alone"
                    .to_owned(),
            ));
        }
        let mismatch = guards
            .name_checked
            .then(|| {
                names_disagree(
                    self.comp_names.of(a),
                    self.comp_names.of(b),
                    self.folded,
                    self.settings.name_similarity,
                )
            })
            .flatten();
        match mismatch {
            Some(detail) => Err((Rule::NameMismatch, detail)),
            None => Ok(()),
        }
    }

    /// The union-find and the refusals (by record then identifier); the rest is freed here.
    fn finish(self) -> (UnionFind, Vec<Refused>) {
        let mut refused = self.refused;
        refused.sort_by_key(|r| (r.record, r.identifier));
        (self.uf, refused)
    }
}

/// `Some(why)` when the groups holding an identifier carry names that clearly disagree.
fn contested_by(
    holding: &[u32],
    uf: &mut UnionFind,
    comp_names: &ComponentNames,
    folded: &[FoldedName],
    threshold: f64,
) -> Option<String> {
    let mut first: Option<&[u32]> = None;
    for &record in holding {
        let names = comp_names.of(uf.find(record));
        if names.is_empty() {
            continue;
        }
        match first {
            None => first = Some(names),
            Some(seen) => {
                if let Some(why) = names_disagree(seen, names, folded, threshold) {
                    return Some(format!("shared by people whose {why}"));
                }
            }
        }
    }
    None
}

fn names_disagree(a: &[u32], b: &[u32], folded: &[FoldedName], threshold: f64) -> Option<String> {
    if a.is_empty() || b.is_empty() {
        return None;
    }
    let any_agree = a.iter().any(|&x| {
        b.iter()
            .any(|&y| x == y || agree(&folded[x as usize], &folded[y as usize], threshold))
    });
    (!any_agree).then(|| {
        format!(
            "names disagree: \"{}\" vs \"{}\"",
            folded[a[0] as usize].tokens().join(" "),
            folded[b[0] as usize].tokens().join(" ")
        )
    })
}

/// Generic identifiers: more holders than their limit, and more different names over the
/// clusters they would join (built from every other identifier) than the limit.
fn detect_generic(
    records: &Records,
    interner: &Interner,
    namespaces: &[String],
    settings: &GuardSettings,
    holders: &Holders,
    name_of: &[u32],
    folded: &[FoldedName],
) -> Vec<Generic> {
    let candidates = generic_candidates(interner, namespaces, settings, holders);
    if candidates.is_empty() {
        return Vec::new();
    }
    let mut is_candidate = vec![false; interner.len()];
    for &(x, _) in &candidates {
        is_candidate[x as usize] = true;
    }
    let cluster_of = clusters_without(records.len(), holders, &is_candidate);
    let (start, names) = names_by_cluster(name_of, &cluster_of);
    let holders_of = |x: u32| holders.of(x).to_vec();
    let cluster_names =
        |c: u32| names[start[c as usize] as usize..start[c as usize + 1] as usize].to_vec();
    let mut generic = guards::find_generic(
        &candidates,
        settings.generic_groups,
        &holders_of,
        &cluster_of,
        &cluster_names,
        folded,
        settings.name_similarity,
    );
    generic.sort_by_key(|g| g.identifier);
    generic
}

/// The identifiers that may be generic, with their name limit: more holders than the limit of
/// their namespace or than `generic_groups`.
fn generic_candidates(
    interner: &Interner,
    namespaces: &[String],
    settings: &GuardSettings,
    holders: &Holders,
) -> Vec<(u32, u32)> {
    (0..interner.len() as u32)
        .filter_map(|x| {
            let limit = settings.generic_limit(&namespaces[interner.namespace_of(x) as usize]);
            let holding = holders.of(x).len();
            let by_names = limit > 0 && holding > limit as usize;
            let by_groups =
                settings.generic_groups > 0 && holding > settings.generic_groups as usize;
            (by_names || by_groups).then_some((x, limit))
        })
        .collect()
}

/// The cluster (union-find root) of each of the `n` records, joined through every identifier
/// but the candidates (`is_candidate`, per identifier).
fn clusters_without(n: usize, holders: &Holders, is_candidate: &[bool]) -> Vec<u32> {
    let mut uf = UnionFind::new(n);
    for x in 0..is_candidate.len() as u32 {
        if let Some((&first, rest)) = holders
            .of(x)
            .split_first()
            .filter(|_| !is_candidate[x as usize])
        {
            for &r in rest {
                uf.union(first, r);
            }
        }
    }
    uf.into_roots()
}

/// The names of the records of each cluster, as a compressed list: cluster `c`'s are
/// `names[start[c]..start[c + 1]]`, in record order.
fn names_by_cluster(name_of: &[u32], cluster_of: &[u32]) -> (Vec<u32>, Vec<u32>) {
    let n = name_of.len();
    let mut start = vec![0u32; n + 1];
    for r in 0..n {
        if name_of[r] != NONE {
            start[cluster_of[r] as usize + 1] += 1;
        }
    }
    for i in 0..n {
        start[i + 1] += start[i];
    }
    let mut fill = start.clone();
    let mut names = vec![0u32; start[n] as usize];
    for r in 0..n {
        if name_of[r] != NONE {
            let c = cluster_of[r] as usize;
            names[fill[c] as usize] = name_of[r];
            fill[c] += 1;
        }
    }
    (start, names)
}

/// Breadth-first spanning trees over the accepted links, one per cluster. `roots` are the
/// union-find's roots of the records, which become the clusters' `root` (`NONE` for records
/// without an identifier): the smallest record of each component, where its tree starts.
fn spanning_trees(
    records: &Records,
    holders: &Holders,
    mut roots: Vec<u32>,
    refused: Vec<Refused>,
    generic: Vec<Generic>,
) -> Clusters {
    let n = records.len();
    for (root, status) in roots.iter_mut().zip(&records.status) {
        if *status != RecordStatus::Identified {
            *root = NONE;
        }
    }
    let mut clusters = Clusters {
        root: roots,
        parent: vec![NONE; n],
        via: vec![NONE; n],
        matched_by: vec![NONE; n],
        order: Vec::with_capacity(n),
        refused,
        generic,
    };
    let mut walk = TreeWalk {
        records,
        holders,
        visited: vec![false; n],
        expanded: vec![false; holders.start.len() - 1],
        queue: std::collections::VecDeque::new(),
    };
    for start in 0..n as u32 {
        if walk.visited[start as usize]
            || records.status[start as usize] != RecordStatus::Identified
        {
            continue;
        }
        walk.tree(&mut clusters, start);
    }
    clusters
}

/// The breadth-first walk of [`spanning_trees`], cluster after cluster.
struct TreeWalk<'a> {
    records: &'a Records,
    holders: &'a Holders,
    /// Per record: reached by a tree.
    visited: Vec<bool>,
    /// Per identifier: its holders were reached through it.
    expanded: Vec<bool>,
    queue: std::collections::VecDeque<u32>,
}

impl TreeWalk<'_> {
    /// The spanning tree of the cluster of `start` (not yet visited, its root) into `clusters`.
    fn tree(&mut self, clusters: &mut Clusters, start: u32) {
        let root = clusters.root[start as usize];
        debug_assert_eq!(
            root, start,
            "records are visited in index order, roots first"
        );
        let holders = self.holders;
        self.visited[start as usize] = true;
        self.queue.push_back(start);
        while let Some(u) = self.queue.pop_front() {
            debug_assert_eq!(clusters.root[u as usize], root, "a tree is a component");
            clusters.order.push(u);
            for &x in self.records.identifiers_of(u) {
                if self.expanded[x as usize] || !holders.accepted[holders.slot(x, u)] {
                    continue;
                }
                self.expanded[x as usize] = true;
                for slot in holders.range(x) {
                    let s = holders.records[slot];
                    if holders.accepted[slot] && !self.visited[s as usize] {
                        self.visited[s as usize] = true;
                        clusters.parent[s as usize] = u;
                        clusters.via[s as usize] = x;
                        clusters.matched_by[s as usize] = x;
                        if clusters.matched_by[root as usize] == NONE {
                            clusters.matched_by[root as usize] = x;
                        }
                        self.queue.push_back(s);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The clusters' roots are the union-find's (the smallest record of each component), and
    /// `NONE` for records without an identifier; each spanning tree starts at its root.
    #[test]
    fn roots_are_the_smallest_record_of_each_cluster_and_none_without_identifiers() {
        let mut interner = Interner::new();
        let a = interner.intern(0, "a@example.com");
        let b = interner.intern(0, "b@example.com");
        let c = interner.intern(1, "+79161234567");
        let mut records = Records::default();
        let fields = crate::extract::records::RecordFields {
            time_min: crate::extract::NO_TIME,
            time_max: crate::extract::NO_TIME,
            amount: f64::NAN,
            ..Default::default()
        };
        let rows: [&[u32]; 5] = [&[b], &[], &[a], &[b, c], &[a]];
        for (i, idents) in rows.iter().enumerate() {
            let status = if idents.is_empty() {
                RecordStatus::Unidentified
            } else {
                RecordStatus::Identified
            };
            records.push(0, i as u64 + 1, status, &fields, idents);
        }
        let namespaces = ["email".to_owned(), "phone".to_owned()];
        let clusters = link(&records, &interner, &namespaces, &GuardSettings::default());
        assert_eq!(clusters.root, [0, NONE, 2, 0, 2]);
        assert_eq!(clusters.order, [0, 3, 2, 4]);
        assert_eq!(clusters.parent, [NONE, NONE, NONE, 0, 2]);
        assert_eq!(clusters.via, [NONE, NONE, NONE, b, a]);
    }

    /// The `Vec<Vec<u32>>` per node that `ComponentNames` replaced, as the reference.
    fn merge_reference(lists: &mut [Vec<u32>], keep: usize, gone: usize) {
        for name in std::mem::take(&mut lists[gone]) {
            let names = &mut lists[keep];
            if names.len() < NAMES_PER_COMPONENT && !names.contains(&name) {
                names.push(name);
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn component_names_match_a_list_per_node(
            names in proptest::collection::vec(proptest::option::of(0u32..12), 1..40),
            extra in 0usize..10,
            merges in proptest::collection::vec((0usize..50, 0usize..50), 0..80),
        ) {
            let name_of: Vec<u32> = names.iter().map(|n| n.unwrap_or(NONE)).collect();
            let nodes = name_of.len() + extra;
            let mut compact = ComponentNames::new(&name_of, nodes);
            let mut reference: Vec<Vec<u32>> = name_of
                .iter()
                .map(|&id| if id == NONE { Vec::new() } else { vec![id] })
                .collect();
            reference.resize(nodes, Vec::new());
            let mut uf = UnionFind::new(nodes);
            for (a, b) in merges {
                let (a, b) = (uf.find((a % nodes) as u32), uf.find((b % nodes) as u32));
                if a == b {
                    continue;
                }
                uf.union(a, b);
                let (keep, gone) = (a.min(b), a.max(b));
                compact.merge(keep, gone);
                merge_reference(&mut reference, keep as usize, gone as usize);
            }
            for (c, expected) in reference.iter().enumerate() {
                proptest::prop_assert_eq!(compact.of(c as u32), &expected[..]);
                proptest::prop_assert_eq!(compact.is_empty(c as u32), expected.is_empty());
            }
        }
    }
}
