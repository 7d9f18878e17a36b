//! Reads what `omni export` needs from a merge's out dir: every row of `profiles.csv` (all
//! columns, purchase totals included) and, from `edges.csv`, which sources each identifier
//! joined. Uses `omni explain`'s reader ([`OutDir`] and its `scan`, which undoes the formula escape) so both commands check the out
//! dir the same way and name the same files in their errors.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::Path;

use anyhow::anyhow;

use crate::commands::explain::tables::OutDir;
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

/// Per identifier (`kind`, value): the sources whose records were joined through it
/// (`edges.csv`: a record and the parent it was reached from both carry the `via` value).
/// Only values that compete with another value of the same kind in their profile are kept:
/// the others need no ranking, and leaving them out keeps the map small on big out dirs.
pub type Evidence = HashMap<(String, String), BTreeSet<String>>;

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
    Ok(Loaded {
        evidence: evidence(&out, &contested)?,
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

/// The `(kind, value)` pairs of profiles holding two or more values of that kind.
fn contested(profiles: &[ExportProfile]) -> HashSet<(String, String)> {
    let mut set = HashSet::new();
    for p in profiles {
        for (kind, values) in [("email", &p.emails), ("phone", &p.phones)] {
            if values.len() > 1 {
                set.extend(values.iter().map(|v| (kind.to_owned(), v.clone())));
            }
        }
        let mut namespaces: Vec<&str> = p.ids.iter().map(|(ns, _)| ns.as_str()).collect();
        namespaces.sort_unstable();
        for (ns, value) in &p.ids {
            if namespaces.iter().filter(|n| **n == ns.as_str()).count() > 1 {
                set.insert((format!("id:{ns}"), value.clone()));
            }
        }
    }
    set
}

fn evidence(out: &OutDir, contested: &HashSet<(String, String)>) -> anyhow::Result<Evidence> {
    let mut evidence = Evidence::new();
    // source, parent_source, via_kind, via_value
    let columns = [
        EDGES_HEADER[1],
        EDGES_HEADER[5],
        EDGES_HEADER[7],
        EDGES_HEADER[8],
    ];
    out.scan(&out.file("edges.csv"), columns, |f| {
        let key = (f[2].to_owned(), f[3].to_owned());
        if f[2].is_empty() || !contested.contains(&key) {
            return Ok(true);
        }
        let sources = evidence.entry(key).or_default();
        sources.insert(f[0].to_owned());
        if !f[1].is_empty() {
            sources.insert(f[1].to_owned());
        }
        Ok(true)
    })?;
    Ok(evidence)
}
