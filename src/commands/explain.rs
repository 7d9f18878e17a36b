//! `omni explain OUT_DIR QUERY`: why one profile looks the way it does.
//!
//! Takes the out dir of a previous `omni merge` and a query (a profile id, a record as
//! `source:row`, an email, a phone, a card or any identifier value) and prints on stdout the
//! profile's summary, the spanning tree of identifiers that joined its records (from
//! `edges.csv`), and the links the over-merge guards refused around it (from `refused.csv`).
//! A value that only the guards know (a generic phone shared by hundreds of people) gets a short
//! report of the records holding it and why it links nobody.
//!
//! It works from the out dir alone and never re-reads the inputs: the query is normalized with
//! the same [`Normalizers`] as `merge` (and the phone regions recorded in `report.json`), then
//! compared with the canonical values in the tables. The tables are streamed, not loaded, so that
//! explaining one profile of a million-record run stays cheap. Output is built by pure functions
//! (`render_*`) and printed once.
//!
//! Failures (exit 1): a missing out-dir file, a record that is in no profile (with the reason),
//! and a query that matches nothing (naming what it was looked up as).

use std::collections::{BTreeSet, HashMap, HashSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context, anyhow, bail};
use serde::Deserialize;

use crate::cli::ExplainArgs;
use crate::config::{Settings, validate_country};
use crate::exit::ExitStatus;
use crate::normalize::{Kind, Normalizers};
use crate::ui::Ui;

/// Records shown in a tree; the rest are counted (the analyst can grep `edges.csv`).
const TREE_LIMIT: usize = 200;
/// Refused links listed per profile or identifier.
const REFUSED_LIMIT: usize = 50;
/// Other matching profiles kept for the "also matches" note.
const ALSO_LIMIT: usize = 10;

/// Runs `omni explain`.
pub fn run(args: &ExplainArgs, ui: &Ui) -> anyhow::Result<ExitStatus> {
    let out = OutDir::locate(&args.out)?;
    let settings = Settings::load(args.config.as_deref())?;
    let normalizers = Normalizers::new(&settings)?;
    let regions = match &args.country {
        Some(country) => vec![validate_country(country).context("--country")?],
        None => out.phone_regions()?,
    };
    let query = args.query.trim();
    if query.is_empty() {
        bail!("the query is empty: give a profile id, source:row, an email, a phone or a card");
    }
    let text = match resolve(&out, query, &normalizers, &regions)? {
        Found::Profile { profile, also } => {
            let edges = out.edges_of(&profile.id)?;
            let refused = out.refused_around(&profile, &edges)?;
            render_profile(&profile, &edges, &refused, &also)
        }
        Found::Refused(rows) => render_refused_identifier(&rows),
    };
    ui.data(&text);
    Ok(ExitStatus::Success)
}

/// One input row, as `source:row` (`row` 1-based, as in `links.csv`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
struct RecordRef {
    source: String,
    row: u64,
}

impl std::fmt::Display for RecordRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.source, self.row)
    }
}

/// A row of `profiles.csv`, multi-valued cells split.
#[derive(Clone, Debug, Default, PartialEq)]
struct Profile {
    id: String,
    name: String,
    records: String,
    sources: Vec<String>,
    emails: Vec<String>,
    phones: Vec<String>,
    cards: Vec<String>,
    /// `ns:value`, as in the `ids` cell.
    ids: Vec<String>,
    first_seen: String,
    last_seen: String,
}

impl Profile {
    /// The profile's identifiers as `(kind, canonical value)`, kinds spelled as in `edges.csv`
    /// and `refused.csv` (`id:<ns>`).
    fn identifiers(&self) -> HashSet<(String, String)> {
        let plain = [
            ("email", &self.emails),
            ("phone", &self.phones),
            ("card", &self.cards),
        ];
        let mut set: HashSet<(String, String)> = plain
            .iter()
            .flat_map(|(kind, values)| values.iter().map(|v| (kind.to_string(), v.clone())))
            .collect();
        for id in &self.ids {
            if let Some((namespace, value)) = id.split_once(':') {
                set.insert((format!("id:{namespace}"), value.to_owned()));
            }
        }
        set
    }
}

/// A row of `edges.csv`: how one record was reached.
#[derive(Clone, Debug, PartialEq)]
struct Edge {
    record: RecordRef,
    key: String,
    name: String,
    /// `None` for the root.
    parent: Option<RecordRef>,
    via_kind: String,
    via_value: String,
}

/// A row of `refused.csv`: a record–identifier link an over-merge guard refused.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Refused {
    // Field order is the sort order of the listings: by rule, then record, then identifier.
    rule: String,
    record: RecordRef,
    kind: String,
    value: String,
    profile_id: String,
    detail: String,
}

/// What a query resolved to.
enum Found {
    /// A profile, plus other profiles the same query matched (by id).
    Profile {
        profile: Box<Profile>,
        also: Vec<String>,
    },
    /// An identifier that is in no profile but in `refused.csv`: its refused links.
    Refused(Vec<Refused>),
}

/// The canonical forms a query is compared with, and how to describe them in "not found".
#[derive(Debug, Default)]
struct Candidates {
    profile_id: Option<String>,
    email: Option<String>,
    phones: Vec<String>,
    card: Option<String>,
    raw: String,
    tried: Vec<String>,
}

impl Candidates {
    /// Normalizes `query` as each kind the resolution order allows.
    fn new(query: &str, normalizers: &Normalizers, regions: &[String]) -> Candidates {
        let mut candidates = Candidates {
            raw: query.to_owned(),
            ..Candidates::default()
        };
        if is_profile_id(query) {
            candidates.profile_id = Some(query.to_owned());
            candidates.tried.push("profile id".to_owned());
        }
        if query.contains('@') {
            candidates.email = candidates.normalized(normalizers, Kind::Email, query, None);
        } else {
            let hints = regions.iter().map(|r| Some(r.as_str())).chain([None]);
            for hint in hints {
                if let Some(Ok(phone)) = normalizers.normalize(Kind::Phone, query, hint)
                    && !candidates.phones.contains(&phone)
                {
                    candidates.phones.push(phone);
                }
            }
            let tried = match candidates.phones.is_empty() {
                true => "phone (not a valid number)".to_owned(),
                false => format!("phone {}", candidates.phones.join(" or ")),
            };
            candidates.tried.push(tried);
            candidates.card = candidates.normalized(normalizers, Kind::Card, query, None);
        }
        candidates
            .tried
            .push(format!("any identifier equal to '{query}'"));
        candidates
    }

    fn normalized(
        &mut self,
        normalizers: &Normalizers,
        kind: Kind,
        query: &str,
        region: Option<&str>,
    ) -> Option<String> {
        match normalizers.normalize(kind, query, region) {
            Some(Ok(value)) => {
                self.tried.push(format!("{kind} {value}"));
                Some(value)
            }
            Some(Err(reason)) => {
                self.tried
                    .push(format!("{kind} (rejected: {})", reason.code()));
                None
            }
            None => None,
        }
    }

    /// The resolution stage (0 = best) at which `profile` matches, if any.
    fn stage(&self, profile: &Profile) -> Option<usize> {
        let is_in = |value: &Option<String>, cells: &[String]| {
            value.as_ref().is_some_and(|v| cells.contains(v))
        };
        if self.profile_id.as_deref() == Some(profile.id.as_str()) {
            Some(0)
        } else if is_in(&self.email, &profile.emails) {
            Some(1)
        } else if self.phones.iter().any(|p| profile.phones.contains(p)) {
            Some(2)
        } else if is_in(&self.card, &profile.cards) {
            Some(3)
        } else if self.matches_raw(profile) {
            Some(4)
        } else {
            None
        }
    }

    fn matches_raw(&self, profile: &Profile) -> bool {
        let raw = self.raw.as_str();
        let cells = [&profile.emails, &profile.phones, &profile.cards];
        cells.iter().any(|values| values.iter().any(|v| v == raw))
            || profile
                .ids
                .iter()
                .any(|id| id == raw || id.split_once(':').is_some_and(|(_, value)| value == raw))
    }

    /// Whether a refused link is about the queried identifier.
    fn matches_refused(&self, row: &Refused) -> bool {
        let canonical = match row.kind.as_str() {
            "email" => self.email.as_ref() == Some(&row.value),
            "phone" => self.phones.contains(&row.value),
            "card" => self.card.as_ref() == Some(&row.value),
            _ => false,
        };
        let namespaced = row
            .kind
            .strip_prefix("id:")
            .is_some_and(|ns| self.raw == format!("{ns}:{}", row.value));
        canonical || namespaced || row.value == self.raw
    }
}

/// `P` followed by 16 lowercase hex digits.
fn is_profile_id(text: &str) -> bool {
    text.len() == 17
        && text.starts_with('P')
        && text[1..]
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// `source:row` with an integer row, split.
fn parse_record_query(query: &str) -> Option<RecordRef> {
    let (source, row) = query.rsplit_once(':')?;
    let row = row.parse().ok()?;
    (!source.is_empty()).then(|| RecordRef {
        source: source.to_owned(),
        row,
    })
}

/// Resolves the query in the documented order: profile id, `source:row`, email (or phone, then
/// card), any identifier value, and finally a value known only to `refused.csv`.
fn resolve(
    out: &OutDir,
    query: &str,
    normalizers: &Normalizers,
    regions: &[String],
) -> anyhow::Result<Found> {
    let mut candidates = Candidates::new(query, normalizers, regions);
    if let Some(record) = parse_record_query(query) {
        match out.profile_of_record(&record)? {
            RecordLookup::UnknownSource => candidates
                .tried
                .insert(0, format!("record (no source '{}')", record.source)),
            RecordLookup::Profile(id) => {
                let profile = out.find_profile(&Candidates {
                    profile_id: Some(id.clone()),
                    ..Candidates::default()
                })?;
                let (profile, _) = profile.ok_or_else(|| {
                    anyhow!(
                        "{}: {record} belongs to {id}, which is not in profiles.csv \
                         (the out dir is inconsistent: run `omni merge` again)",
                        out.file("links.csv").display()
                    )
                })?;
                return Ok(Found::Profile {
                    profile: Box::new(profile),
                    also: Vec::new(),
                });
            }
            RecordLookup::NoProfile => bail!(out.why_no_profile(&record)?),
            RecordLookup::NoRow(rows) => bail!(
                "{record}: source '{}' has no row {} in {} (its rows are 1-{rows})",
                record.source,
                record.row,
                out.file("links.csv").display()
            ),
        }
    }
    if let Some((profile, also)) = out.find_profile(&candidates)? {
        return Ok(Found::Profile {
            profile: Box::new(profile),
            also,
        });
    }
    let refused = out.refused_matching(|row| candidates.matches_refused(row))?;
    if !refused.is_empty() {
        return Ok(Found::Refused(refused));
    }
    bail!(
        "no profile matches '{query}' in {}/ (looked up as: {})",
        out.dir.display().to_string().trim_end_matches('/'),
        candidates.tried.join(", ")
    )
}

/// What `links.csv` says about a `source:row` query.
enum RecordLookup {
    /// No such source: the query is not a record reference (it may be an `ns:value` id).
    UnknownSource,
    /// The source exists but has no such row; the number of rows it has.
    NoRow(u64),
    /// The row is in no profile.
    NoProfile,
    /// The row's profile id.
    Profile(String),
}

/// `report.json`, only the parts explain reads.
#[derive(Deserialize)]
struct Report {
    sources: Vec<ReportSource>,
}

#[derive(Deserialize)]
struct ReportSource {
    #[serde(default)]
    phone_region: String,
}

/// The out dir of a previous `omni merge`, read table by table on demand.
struct OutDir {
    dir: PathBuf,
}

impl OutDir {
    /// Checks that every file explain reads is there, so that a wrong folder or an out dir from
    /// an older omni fails before any lookup, naming the file.
    fn locate(dir: &Path) -> anyhow::Result<OutDir> {
        if !dir.is_dir() {
            bail!(
                "{}: no such folder; run `omni merge INPUTS -o {}` first",
                dir.display(),
                dir.display()
            );
        }
        let out = OutDir {
            dir: dir.to_path_buf(),
        };
        for name in ["profiles.csv", "links.csv", "report.json"] {
            if !out.file(name).is_file() {
                bail!(
                    "{}: not found; is this the out dir of `omni merge`? Run `omni merge` first",
                    out.file(name).display()
                );
            }
        }
        for name in ["edges.csv", "refused.csv"] {
            if !out.file(name).is_file() {
                bail!(
                    "{}: not found; this out dir was written by an older omni merge that did \
                     not record how records were joined: run `omni merge` again",
                    out.file(name).display()
                );
            }
        }
        Ok(out)
    }

    fn file(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// The distinct, non-empty phone regions of the run's sources, in report order.
    fn phone_regions(&self) -> anyhow::Result<Vec<String>> {
        let path = self.file("report.json");
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("{}: cannot read", path.display()))?;
        let report: Report = serde_json::from_str(&text)
            .with_context(|| format!("{}: not a report written by omni merge", path.display()))?;
        let mut regions: Vec<String> = Vec::new();
        for source in report.sources {
            if !source.phone_region.is_empty() && !regions.contains(&source.phone_region) {
                regions.push(source.phone_region);
            }
        }
        Ok(regions)
    }

    /// The best matching profile (earliest resolution stage, then smallest id) and the ids of
    /// other profiles matching at the same stage.
    fn find_profile(
        &self,
        candidates: &Candidates,
    ) -> anyhow::Result<Option<(Profile, Vec<String>)>> {
        // Every column but the purchase totals, which explain does not show.
        let [a, b, c, d, e, f, g, h, i, j, ..] = crate::output::tables::PROFILES_HEADER;
        let columns = [a, b, c, d, e, f, g, h, i, j];
        let mut best: Option<(usize, Profile, Vec<String>)> = None;
        scan(&self.file("profiles.csv"), columns, |f| {
            let list = |cell: &str| -> Vec<String> {
                cell.split('|')
                    .filter(|v| !v.is_empty())
                    .map(str::to_owned)
                    .collect()
            };
            let profile = Profile {
                id: f[0].to_owned(),
                name: f[1].to_owned(),
                records: f[2].to_owned(),
                sources: list(f[3]),
                emails: list(f[4]),
                phones: list(f[5]),
                cards: list(f[6]),
                ids: list(f[7]),
                first_seen: f[8].to_owned(),
                last_seen: f[9].to_owned(),
            };
            let Some(stage) = candidates.stage(&profile) else {
                return Ok(true);
            };
            match &mut best {
                Some((best_stage, _, also)) if stage == *best_stage => {
                    if also.len() < ALSO_LIMIT {
                        also.push(profile.id);
                    }
                }
                Some((best_stage, _, _)) if stage > *best_stage => {}
                _ => best = Some((stage, profile, Vec::new())),
            }
            // A profile id is unique: nothing later can beat it.
            Ok(stage != 0)
        })?;
        Ok(best.map(|(_, profile, also)| (profile, also)))
    }

    /// Looks a `source:row` up in `links.csv`.
    fn profile_of_record(&self, record: &RecordRef) -> anyhow::Result<RecordLookup> {
        let path = self.file("links.csv");
        let mut result = RecordLookup::UnknownSource;
        scan(&path, ["source", "row", "profile_id"], |f| {
            if f[0] != record.source {
                return Ok(true);
            }
            let row = parse_row(f[1])?;
            if row == record.row {
                result = match f[2] {
                    "" => RecordLookup::NoProfile,
                    id => RecordLookup::Profile(id.to_owned()),
                };
                return Ok(false);
            }
            let rows = match result {
                RecordLookup::NoRow(rows) => rows.max(row),
                _ => row,
            };
            result = RecordLookup::NoRow(rows);
            Ok(true)
        })?;
        Ok(result)
    }

    /// Why a record is in no profile, from `refused.csv` and (when present) `rejects.csv`.
    fn why_no_profile(&self, record: &RecordRef) -> anyhow::Result<String> {
        let refused = self.refused_matching(|row| row.record == *record)?;
        if !refused.is_empty() {
            let reasons: Vec<String> = refused.iter().map(refused_reason).collect();
            return Ok(format!(
                "{record} is in no profile: every identifier it had was refused by an over-merge \
                 guard: {}",
                reasons.join("; ")
            ));
        }
        let mut rejects = Vec::new();
        let path = self.file("rejects.csv");
        if path.is_file() {
            let columns = ["source", "row", "column", "value", "reason"];
            scan(&path, columns, |f| {
                if f[0] == record.source && parse_row(f[1])? == record.row {
                    rejects.push(match f[2] {
                        "" => f[4].to_owned(),
                        column => format!("column \"{column}\" = \"{}\": {}", f[3], f[4]),
                    });
                }
                Ok(true)
            })?;
        }
        let why = match rejects.is_empty() {
            true => "its identifier cells were empty".to_owned(),
            false => format!("rejects.csv: {}", rejects.join("; ")),
        };
        Ok(format!(
            "{record} is in no profile: it had no usable identifier ({why})"
        ))
    }

    /// The `edges.csv` rows of one profile, in file (breadth-first) order.
    fn edges_of(&self, profile_id: &str) -> anyhow::Result<Vec<Edge>> {
        let columns = crate::output::tables::EDGES_HEADER;
        let mut edges = Vec::new();
        scan(&self.file("edges.csv"), columns, |f| {
            if f[0] != profile_id {
                // Rows are grouped by profile: once past the group, nothing follows.
                return Ok(edges.is_empty());
            }
            let parent = match f[5] {
                "" => None,
                source => Some(RecordRef {
                    source: source.to_owned(),
                    row: parse_row(f[6])?,
                }),
            };
            edges.push(Edge {
                record: RecordRef {
                    source: f[1].to_owned(),
                    row: parse_row(f[2])?,
                },
                key: f[3].to_owned(),
                name: f[4].to_owned(),
                parent,
                via_kind: f[7].to_owned(),
                via_value: f[8].to_owned(),
            });
            Ok(true)
        })?;
        Ok(edges)
    }

    /// Refused links whose record is in the profile, or whose identifier is one of its own.
    fn refused_around(&self, profile: &Profile, edges: &[Edge]) -> anyhow::Result<Vec<Refused>> {
        let records: HashSet<&RecordRef> = edges.iter().map(|e| &e.record).collect();
        let identifiers = profile.identifiers();
        self.refused_matching(|row| {
            row.profile_id == profile.id
                || records.contains(&row.record)
                || identifiers.contains(&(row.kind.clone(), row.value.clone()))
        })
    }

    /// The rows of `refused.csv` that `keep` accepts, sorted, without duplicates.
    fn refused_matching(&self, keep: impl Fn(&Refused) -> bool) -> anyhow::Result<Vec<Refused>> {
        let columns = crate::output::tables::REFUSED_HEADER;
        let mut rows = Vec::new();
        scan(&self.file("refused.csv"), columns, |f| {
            let row = Refused {
                record: RecordRef {
                    source: f[0].to_owned(),
                    row: parse_row(f[1])?,
                },
                profile_id: f[2].to_owned(),
                kind: f[3].to_owned(),
                value: f[4].to_owned(),
                rule: f[5].to_owned(),
                detail: f[6].to_owned(),
            };
            if keep(&row) {
                rows.push(row);
            }
            Ok(true)
        })?;
        rows.sort();
        rows.dedup();
        Ok(rows)
    }
}

/// Streams the rows of a CSV table with a header, handing `visit` the named columns in the
/// order asked; `visit` returns `false` to stop early. Errors name the file and line.
fn scan<const N: usize>(
    path: &Path,
    names: [&str; N],
    mut visit: impl FnMut([&str; N]) -> anyhow::Result<bool>,
) -> anyhow::Result<()> {
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(true)
        .from_path(path)
        .with_context(|| format!("{}: cannot read", path.display()))?;
    let header = rdr
        .headers()
        .with_context(|| format!("{}: cannot read the header", path.display()))?
        .clone();
    let mut index = [0; N];
    for (slot, name) in index.iter_mut().zip(names) {
        *slot = header.iter().position(|h| h == name).ok_or_else(|| {
            anyhow!(
                "{}: no column '{name}'; was it written by `omni merge`? Run it again",
                path.display()
            )
        })?;
    }
    let mut record = csv::StringRecord::new();
    loop {
        let line = rdr.position().line();
        let more = rdr
            .read_record(&mut record)
            .with_context(|| format!("{}:{line}: unreadable row", path.display()))?;
        if !more {
            return Ok(());
        }
        let fields = index.map(|i| record.get(i).unwrap_or(""));
        let line = record.position().map_or(0, |p| p.line());
        if !visit(fields).with_context(|| format!("{}:{line}", path.display()))? {
            return Ok(());
        }
    }
}

fn parse_row(text: &str) -> anyhow::Result<u64> {
    text.parse()
        .map_err(|_| anyhow!("row '{text}' is not a row number"))
}

/// `phone +7…: generic — joins 452 different names (limit 20)`.
fn refused_reason(row: &Refused) -> String {
    let mut text = format!("{} {}: {}", row.kind, row.value, row.rule);
    if !row.detail.is_empty() {
        let _ = write!(text, " — {}", row.detail);
    }
    text
}

/// `1 record`, `6 records`.
fn count(n: usize, noun: &str) -> String {
    match n {
        1 => format!("1 {noun}"),
        _ => format!("{n} {noun}s"),
    }
}

/// The whole explanation of one profile: summary, join tree, refused links.
fn render_profile(
    profile: &Profile,
    edges: &[Edge],
    refused: &[Refused],
    also: &[String],
) -> String {
    let mut text = format!("profile {}", profile.id);
    if !profile.name.is_empty() {
        let _ = write!(text, ": {}", profile.name);
    }
    let records = profile.records.parse().unwrap_or(edges.len());
    let _ = writeln!(
        text,
        "\n  {} from {}: {}",
        count(records, "record"),
        count(profile.sources.len(), "source"),
        profile.sources.join(", ")
    );
    let lists = [
        ("emails:", &profile.emails),
        ("phones:", &profile.phones),
        ("cards:", &profile.cards),
        ("ids:", &profile.ids),
    ];
    for (label, values) in lists.into_iter().filter(|(_, v)| !v.is_empty()) {
        let _ = writeln!(text, "  {label:<7} {}", values.join(", "));
    }
    let seen = match (profile.first_seen.as_str(), profile.last_seen.as_str()) {
        ("", "") => String::new(),
        (first, "") => format!("first seen {first}"),
        ("", last) => format!("last seen {last}"),
        (first, last) => format!("first seen {first}, last seen {last}"),
    };
    if !seen.is_empty() {
        let _ = writeln!(text, "  {seen}");
    }
    text.push_str("\nhow the records were joined:\n");
    match edges.is_empty() {
        true => text.push_str("  (no rows for this profile in edges.csv)\n"),
        false => text.push_str(&render_tree(edges, TREE_LIMIT)),
    }
    text.push('\n');
    text.push_str(&render_refused_list(refused, REFUSED_LIMIT));
    if !also.is_empty() {
        let more = if also.len() == ALSO_LIMIT {
            ", …"
        } else {
            ""
        };
        let _ = writeln!(text, "\nthe query also matches: {}{more}", also.join(", "));
    }
    text
}

/// `web_shop:57 [100057] Макар Шевченко`: the key and name only when present.
fn record_label(edge: &Edge) -> String {
    let mut label = edge.record.to_string();
    if !edge.key.is_empty() {
        let _ = write!(label, " [{}]", edge.key);
    }
    if !edge.name.is_empty() {
        let _ = write!(label, " {}", edge.name);
    }
    label
}

/// Draws the spanning tree of `edges` with box-drawing characters, children in file
/// (breadth-first) order, at most `limit` records.
///
/// Every line but a root's reads `<kind> <value> → <record>`. A record whose parent is missing
/// (a damaged `edges.csv`) is drawn as one more root that still names its link, and records on a
/// parent cycle are drawn once each, so that nothing is lost or repeated.
fn render_tree(edges: &[Edge], limit: usize) -> String {
    let index: HashMap<&RecordRef, usize> = edges
        .iter()
        .enumerate()
        .map(|(i, e)| (&e.record, i))
        .collect();
    let mut children = vec![Vec::new(); edges.len()];
    let mut roots = Vec::new();
    for (i, edge) in edges.iter().enumerate() {
        match edge.parent.as_ref().and_then(|p| index.get(p)) {
            Some(&parent) if parent != i => children[parent].push(i),
            _ => roots.push(i),
        }
    }
    let mut tree = Tree {
        edges,
        children,
        visited: vec![false; edges.len()],
        shown: 0,
        limit,
        text: String::new(),
    };
    for root in roots {
        tree.root(root);
    }
    // Only a parent cycle leaves records unvisited; start from each of them in turn.
    for i in 0..edges.len() {
        if !tree.visited[i] {
            tree.root(i);
        }
    }
    let hidden = edges.len() - tree.shown;
    if hidden > 0 {
        let _ = writeln!(
            tree.text,
            "… {hidden} more {} (all are in edges.csv)",
            if hidden == 1 { "record" } else { "records" }
        );
    }
    tree.text
}

/// State of [`render_tree`]'s depth-first walk.
struct Tree<'a> {
    edges: &'a [Edge],
    children: Vec<Vec<usize>>,
    visited: Vec<bool>,
    shown: usize,
    limit: usize,
    text: String,
}

impl Tree<'_> {
    fn root(&mut self, i: usize) {
        if self.shown >= self.limit || self.visited[i] {
            return;
        }
        self.visited[i] = true;
        self.shown += 1;
        let edge = &self.edges[i];
        let _ = write!(self.text, "{}", record_label(edge));
        if let Some(parent) = &edge.parent {
            let _ = write!(
                self.text,
                " (reached from {parent} through {} {})",
                edge.via_kind, edge.via_value
            );
        }
        self.text.push('\n');
        self.walk(i, "");
    }

    /// Draws the children of `i` below it; the depth is bounded by `limit`.
    fn walk(&mut self, i: usize, prefix: &str) {
        let children = std::mem::take(&mut self.children[i]);
        for (n, &child) in children.iter().enumerate() {
            if self.shown >= self.limit {
                break;
            }
            if self.visited[child] {
                continue;
            }
            self.visited[child] = true;
            self.shown += 1;
            let last = n + 1 == children.len();
            let edge = &self.edges[child];
            let _ = writeln!(
                self.text,
                "{prefix}{}{} {} → {}",
                if last { "└── " } else { "├── " },
                edge.via_kind,
                edge.via_value,
                record_label(edge)
            );
            let deeper = format!("{prefix}{}", if last { "    " } else { "│   " });
            self.walk(child, &deeper);
        }
    }
}

/// `refused links (N):` and one line per link, at most `limit`.
fn render_refused_list(refused: &[Refused], limit: usize) -> String {
    if refused.is_empty() {
        return "refused links: none\n".to_owned();
    }
    let mut text = format!("refused links ({}):\n", refused.len());
    for row in refused.iter().take(limit) {
        let _ = writeln!(text, "  {} {}", row.record, refused_reason(row));
    }
    if refused.len() > limit {
        let _ = writeln!(text, "  … and {} more", refused.len() - limit);
    }
    text
}

/// For an identifier known only to `refused.csv`: per identifier, why it links nobody and which
/// records hold it.
fn render_refused_identifier(rows: &[Refused]) -> String {
    let mut groups: Vec<((&str, &str), Vec<&Refused>)> = Vec::new();
    let mut sorted: Vec<&Refused> = rows.iter().collect();
    sorted.sort_by(|a, b| (&a.kind, &a.value, &a.record).cmp(&(&b.kind, &b.value, &b.record)));
    for row in sorted {
        let key = (row.kind.as_str(), row.value.as_str());
        match groups.last_mut() {
            Some((last, members)) if *last == key => members.push(row),
            _ => groups.push((key, vec![row])),
        }
    }
    let mut text = String::new();
    for (n, ((kind, value), members)) in groups.iter().enumerate() {
        if n > 0 {
            text.push('\n');
        }
        let _ = writeln!(
            text,
            "{kind} {value} is in no profile: the over-merge guards refused every link through it"
        );
        let reasons: BTreeSet<(&str, &str)> = members
            .iter()
            .map(|r| (r.rule.as_str(), r.detail.as_str()))
            .collect();
        for (rule, detail) in reasons {
            match detail.is_empty() {
                true => writeln!(text, "  {rule}"),
                false => writeln!(text, "  {rule} — {detail}"),
            }
            .expect("writing to a String cannot fail");
        }
        let _ = writeln!(text, "\nrecords holding it ({}):", members.len());
        for row in members.iter().take(REFUSED_LIMIT) {
            let profile = match row.profile_id.as_str() {
                "" => "no profile".to_owned(),
                id => format!("profile {id}"),
            };
            let _ = writeln!(text, "  {} ({}) → {profile}", row.record, row.rule);
        }
        if members.len() > REFUSED_LIMIT {
            let _ = writeln!(text, "  … and {} more", members.len() - REFUSED_LIMIT);
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(text: &str) -> RecordRef {
        parse_record_query(text).expect("source:row")
    }

    /// `edge("a:1", "[key] name", Some(("b:2", "email", "x@y")))`.
    fn edge(at: &str, key: &str, name: &str, via: Option<(&str, &str, &str)>) -> Edge {
        Edge {
            record: record(at),
            key: key.to_owned(),
            name: name.to_owned(),
            parent: via.map(|(parent, _, _)| record(parent)),
            via_kind: via.map_or("", |v| v.1).to_owned(),
            via_value: via.map_or("", |v| v.2).to_owned(),
        }
    }

    fn sample_edges() -> Vec<Edge> {
        let mail = "makarshevchenko1975@mail.ru";
        vec![
            edge("web_shop:57", "100057", "Макар Шевченко", None),
            edge(
                "mobile_app:33",
                "500033",
                "Makar Shevchenko",
                Some(("web_shop:57", "email", mail)),
            ),
            edge(
                "email_list:4",
                "e2acb735710a",
                "Макар",
                Some(("web_shop:57", "email", mail)),
            ),
            edge(
                "loyalty:12",
                "",
                "Шевченко Макар",
                Some(("mobile_app:33", "phone", "+79840425042")),
            ),
            edge(
                "pos_receipts:88",
                "",
                "",
                Some(("loyalty:12", "card", "40633732")),
            ),
        ]
    }

    #[test]
    fn tree_draws_breadth_first_rows_as_nested_branches() {
        assert_eq!(
            render_tree(&sample_edges(), TREE_LIMIT),
            "\
web_shop:57 [100057] Макар Шевченко
├── email makarshevchenko1975@mail.ru → mobile_app:33 [500033] Makar Shevchenko
│   └── phone +79840425042 → loyalty:12 Шевченко Макар
│       └── card 40633732 → pos_receipts:88
└── email makarshevchenko1975@mail.ru → email_list:4 [e2acb735710a] Макар
"
        );
    }

    #[test]
    fn tree_is_cut_at_the_limit_and_counts_the_rest() {
        let text = render_tree(&sample_edges(), 3);
        assert_eq!(text.lines().count(), 4, "{text}");
        assert!(
            text.ends_with("… 2 more records (all are in edges.csv)\n"),
            "{text}"
        );
    }

    #[test]
    fn tree_shows_orphans_and_cycles_once_each() {
        let edges = vec![
            edge("a:1", "", "", None),
            edge("b:2", "", "", Some(("z:9", "card", "123"))),
            edge("c:3", "", "", Some(("d:4", "phone", "+1"))),
            edge("d:4", "", "", Some(("c:3", "phone", "+2"))),
        ];
        let text = render_tree(&edges, TREE_LIMIT);
        assert_eq!(
            text,
            "\
a:1
b:2 (reached from z:9 through card 123)
c:3 (reached from d:4 through phone +1)
└── phone +2 → d:4
"
        );
    }

    fn refused(at: &str, kind: &str, value: &str, rule: &str, detail: &str) -> Refused {
        Refused {
            rule: rule.to_owned(),
            record: record(at),
            kind: kind.to_owned(),
            value: value.to_owned(),
            profile_id: String::new(),
            detail: detail.to_owned(),
        }
    }

    #[test]
    fn refused_list_is_capped() {
        let rows: Vec<Refused> = (1..=3)
            .map(|n| refused(&format!("s:{n}"), "phone", "+7", "generic", ""))
            .collect();
        assert_eq!(
            render_refused_list(&rows, 2),
            "refused links (3):\n  s:1 phone +7: generic\n  s:2 phone +7: generic\n  … and 1 more\n"
        );
        assert_eq!(render_refused_list(&[], 2), "refused links: none\n");
    }

    #[test]
    fn profile_summary_lists_only_present_identifiers() {
        let profile = Profile {
            id: "P0a782ab700643238".to_owned(),
            name: "Макар Шевченко".to_owned(),
            records: "1".to_owned(),
            sources: vec!["web_shop".to_owned()],
            cards: vec!["40633732".to_owned()],
            ..Profile::default()
        };
        let text = render_profile(&profile, &sample_edges()[..1], &[], &[]);
        assert_eq!(
            text,
            "\
profile P0a782ab700643238: Макар Шевченко
  1 record from 1 source: web_shop
  cards:  40633732

how the records were joined:
web_shop:57 [100057] Макар Шевченко

refused links: none
"
        );
    }

    #[test]
    fn profile_ids_and_record_queries_are_recognised() {
        assert!(is_profile_id("P0a782ab700643238"));
        assert!(!is_profile_id("P0A782AB700643238"));
        assert!(!is_profile_id("P0a782ab70064323"));
        assert_eq!(
            parse_record_query("web_shop:57"),
            Some(record("web_shop:57"))
        );
        assert_eq!(parse_record_query("crm:A-17"), None);
        assert_eq!(parse_record_query(":5"), None);
    }

    #[test]
    fn profile_identifiers_use_the_kinds_of_refused_csv() {
        let profile = Profile {
            emails: vec!["a@b.ru".to_owned()],
            ids: vec!["crm:123".to_owned()],
            ..Profile::default()
        };
        let ids = profile.identifiers();
        assert!(ids.contains(&("email".to_owned(), "a@b.ru".to_owned())));
        assert!(ids.contains(&("id:crm".to_owned(), "123".to_owned())));
    }

    #[test]
    fn refused_identifier_report_groups_by_value() {
        let mut row = refused(
            "pos_receipts:45",
            "phone",
            "+74992311042",
            "generic",
            "joins 452 different names (limit 20)",
        );
        let other = refused(
            "web_shop:3",
            "phone",
            "+74992311042",
            "generic",
            &row.detail,
        );
        row.profile_id = "P0ebb5327f593f29c".to_owned();
        assert_eq!(
            render_refused_identifier(&[other, row]),
            "\
phone +74992311042 is in no profile: the over-merge guards refused every link through it
  generic — joins 452 different names (limit 20)

records holding it (2):
  pos_receipts:45 (generic) → profile P0ebb5327f593f29c
  web_shop:3 (generic) → no profile
"
        );
    }
}
