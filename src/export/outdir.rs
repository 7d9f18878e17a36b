//! Reads what `omni export` needs from a merge's out dir: every row of `profiles.csv` (all
//! columns, purchase totals included) and, from `contacts.csv`, in how many sources and when
//! last each value was seen ([`Evidence`]). Uses `omni explain`'s reader ([`OutDir`] and its `scan`, which undoes the formula escape) so both commands check the out
//! dir the same way and name the same files in their errors.

use std::collections::{BTreeSet, HashMap};
use std::path::Path;

use anyhow::anyhow;

use crate::commands::explain::tables::OutDir;
use crate::output::contacts::{CONTACTS_HEADER, FILE as CONTACTS_FILE};
use crate::output::tables::{EDGES_HEADER, PROFILES_HEADER};

/// One row of `profiles.csv`, multi-valued cells split.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ExportProfile {
    /// Profile id.
    pub id: String,
    /// Name by survivorship (may be empty).
    pub name: String,
    /// Records joined.
    pub records: u64,
    /// Sources the profile appears in.
    pub sources: Vec<String>,
    /// Canonical emails.
    pub emails: Vec<String>,
    /// E.164 phones.
    pub phones: Vec<String>,
    /// Canonical cards.
    pub cards: Vec<String>,
    /// Ids as `(namespace, value)`.
    pub ids: Vec<(String, String)>,
    /// `YYYY-MM-DD HH:MM:SS`, or empty.
    pub first_seen: String,
    /// `YYYY-MM-DD HH:MM:SS`, or empty.
    pub last_seen: String,
    /// Records with an amount above zero.
    pub purchases: u64,
    /// Sum of amounts.
    pub amount_total: f64,
}

/// What the out dir says about one value of a profile.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Seen {
    /// Sources whose records hold the value.
    pub sources: usize,
    /// When it was last seen (`YYYY-MM-DD[ HH:MM:SS]`), empty when unknown: strings of this
    /// form sort as their dates do, and "unknown" sorts before every date.
    pub last_seen: String,
}

/// Per profile, what the out dir says about each of its values that compete with another value
/// of the same kind (the others need no ranking; leaving them out keeps the map small on big
/// out dirs). Read from `contacts.csv` (sources and last-seen dates); from an out dir without
/// it (written before the file existed), from `edges.csv`: the sources whose records were
/// joined through the value, and no dates.
#[derive(Debug, Default)]
pub struct Evidence {
    /// Profile id → (kind, value, what was seen).
    values: HashMap<String, Vec<(String, String, Seen)>>,
    /// True when the dates came with it (`contacts.csv` was read).
    pub dated: bool,
}

impl Evidence {
    /// No evidence: every value ranks by its text alone.
    pub fn new() -> Evidence {
        Evidence::default()
    }

    /// Records what was seen of `value` (of `kind`: `email`, `phone`, `id:<ns>`) in a profile.
    pub fn insert(&mut self, profile: &str, kind: &str, value: &str, seen: Seen) {
        let values = self.values.entry(profile.to_owned()).or_default();
        match values.iter_mut().find(|(k, v, _)| k == kind && v == value) {
            Some((_, _, old)) => *old = seen,
            None => values.push((kind.to_owned(), value.to_owned(), seen)),
        }
    }

    /// What was seen of `value` in the profile, if anything.
    pub fn get(&self, profile: &str, kind: &str, value: &str) -> Option<&Seen> {
        self.values
            .get(profile)?
            .iter()
            .find(|(k, v, _)| k == kind && v == value)
            .map(|(_, _, seen)| seen)
    }
}

/// What `omni export` reads from the out dir.
pub struct Loaded {
    /// Every profile, in file order (by id).
    pub profiles: Vec<ExportProfile>,
    /// Sources per joining identifier.
    pub evidence: Evidence,
    /// The phone regions of the merge, for normalizing suppression lists.
    pub regions: Vec<String>,
}

/// Reads the out dir at `dir` (errors name the file and line).
pub fn load(dir: &Path) -> anyhow::Result<Loaded> {
    let out = OutDir::locate(dir)?;
    let profiles = profiles(&out)?;
    let contested = contested(&profiles);
    let evidence = match out.has(CONTACTS_FILE) {
        true => dated_evidence(&out, &contested)?,
        false => edges_evidence(&out, &contested)?,
    };
    Ok(Loaded {
        evidence,
        profiles,
        regions: out.phone_regions()?,
    })
}

fn profiles(out: &OutDir) -> anyhow::Result<Vec<ExportProfile>> {
    let mut profiles = Vec::new();
    out.scan(&out.file("profiles.csv"), PROFILES_HEADER, |f| {
        profiles.push(profile(f)?);
        Ok(true)
    })?;
    Ok(profiles)
}

fn profile(f: [&str; 12]) -> anyhow::Result<ExportProfile> {
    let list = |cell: &str| -> Vec<String> {
        cell.split('|')
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
            .collect()
    };
    let number = |cell: &str, column: &str| -> anyhow::Result<u64> {
        match cell {
            "" => Ok(0),
            _ => cell
                .parse()
                .map_err(|_| anyhow!("{column} '{cell}' is not a count")),
        }
    };
    let ids = list(f[7])
        .into_iter()
        .filter_map(|id| {
            id.split_once(':')
                .map(|(ns, v)| (ns.to_owned(), v.to_owned()))
        })
        .collect();
    Ok(ExportProfile {
        id: f[0].to_owned(),
        name: f[1].to_owned(),
        records: number(f[2], "records")?,
        sources: list(f[3]),
        emails: list(f[4]),
        phones: list(f[5]),
        cards: list(f[6]),
        ids,
        first_seen: f[8].to_owned(),
        last_seen: f[9].to_owned(),
        purchases: number(f[10], "purchases")?,
        amount_total: match f[11] {
            "" => 0.0,
            cell => cell
                .parse()
                .map_err(|_| anyhow!("amount_total '{cell}' is not a number"))?,
        },
    })
}

/// Per profile id, the kinds of which it holds two or more values.
type Contested = HashMap<String, Vec<String>>;

fn contested(profiles: &[ExportProfile]) -> Contested {
    let mut contested = Contested::new();
    for p in profiles {
        let mut kinds: Vec<String> = Vec::new();
        for (kind, values) in [("email", &p.emails), ("phone", &p.phones)] {
            if values.len() > 1 {
                kinds.push(kind.to_owned());
            }
        }
        let mut namespaces: Vec<&str> = p.ids.iter().map(|(ns, _)| ns.as_str()).collect();
        namespaces.sort_unstable();
        for pair in namespaces.windows(2) {
            let kind = format!("id:{}", pair[0]);
            if pair[0] == pair[1] && !kinds.contains(&kind) {
                kinds.push(kind);
            }
        }
        if !kinds.is_empty() {
            contested.insert(p.id.clone(), kinds);
        }
    }
    contested
}

fn is_contested(contested: &Contested, profile: &str, kind: &str) -> bool {
    contested
        .get(profile)
        .is_some_and(|kinds| kinds.iter().any(|k| k == kind))
}

/// From `contacts.csv`: sources and last-seen date per value.
fn dated_evidence(out: &OutDir, contested: &Contested) -> anyhow::Result<Evidence> {
    let mut evidence = Evidence {
        dated: true,
        ..Evidence::default()
    };
    // profile_id, kind, value, sources, last_seen
    let [profile, kind, value, _, sources, last_seen] = CONTACTS_HEADER;
    let columns = [profile, kind, value, sources, last_seen];
    out.scan(&out.file(CONTACTS_FILE), columns, |f| {
        if is_contested(contested, f[0], f[1]) {
            let seen = Seen {
                sources: f[3].split('|').filter(|s| !s.is_empty()).count(),
                last_seen: f[4].to_owned(),
            };
            evidence.insert(f[0], f[1], f[2], seen);
        }
        Ok(true)
    })?;
    Ok(evidence)
}

/// From `edges.csv` (an out dir without `contacts.csv`): the sources of the records joined
/// through each value (a record and the parent it was reached from both carry the `via` value).
fn edges_evidence(out: &OutDir, contested: &Contested) -> anyhow::Result<Evidence> {
    let mut sources: HashMap<(String, String, String), BTreeSet<String>> = HashMap::new();
    // profile_id, source, parent_source, via_kind, via_value
    let columns = [
        EDGES_HEADER[0],
        EDGES_HEADER[1],
        EDGES_HEADER[5],
        EDGES_HEADER[7],
        EDGES_HEADER[8],
    ];
    out.scan(&out.file("edges.csv"), columns, |f| {
        if f[3].is_empty() || !is_contested(contested, f[0], f[3]) {
            return Ok(true);
        }
        let key = (f[0].to_owned(), f[3].to_owned(), f[4].to_owned());
        let set = sources.entry(key).or_default();
        set.insert(f[1].to_owned());
        if !f[2].is_empty() {
            set.insert(f[2].to_owned());
        }
        Ok(true)
    })?;
    let mut evidence = Evidence::new();
    for ((profile, kind, value), set) in sources {
        let seen = Seen {
            sources: set.len(),
            last_seen: String::new(),
        };
        evidence.insert(&profile, &kind, &value, seen);
    }
    Ok(evidence)
}
