//! The out dir of a previous `omni merge`, read table by table on demand: `profiles.csv`,
//! `links.csv`, `edges.csv`, `refused.csv`, `rejects.csv` and `report.json`. Tables are
//! streamed with [`scan`], never loaded whole.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use anyhow::{Context, anyhow, bail};
use serde::Deserialize;

use crate::output::escape::CsvEscape;
use crate::output::format::{parquet_instead, read_as_csv};

use super::render::refused_reason;
use super::{ALSO_LIMIT, Candidates};

/// One input row, as `source:row` (`row` 1-based, as in `links.csv`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(super) struct RecordRef {
    pub(super) source: String,
    pub(super) row: u64,
}

impl std::fmt::Display for RecordRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.source, self.row)
    }
}

/// A row of `profiles.csv`, multi-valued cells split.
#[derive(Clone, Debug, Default, PartialEq)]
pub(super) struct Profile {
    pub(super) id: String,
    pub(super) name: String,
    pub(super) records: String,
    pub(super) sources: Vec<String>,
    pub(super) emails: Vec<String>,
    pub(super) phones: Vec<String>,
    pub(super) cards: Vec<String>,
    /// `ns:value`, as in the `ids` cell.
    pub(super) ids: Vec<String>,
    pub(super) first_seen: String,
    pub(super) last_seen: String,
}

impl Profile {
    /// The profile's identifiers as `(kind, canonical value)`, kinds spelled as in `edges.csv`
    /// and `refused.csv` (`id:<ns>`).
    pub(super) fn identifiers(&self) -> HashSet<(String, String)> {
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
pub(super) struct Edge {
    pub(super) record: RecordRef,
    pub(super) key: String,
    pub(super) name: String,
    /// `None` for the root.
    pub(super) parent: Option<RecordRef>,
    pub(super) via_kind: String,
    pub(super) via_value: String,
}

/// A row of `refused.csv`: a record–identifier link an over-merge guard refused.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct Refused {
    // Field order is the sort order of the listings: by rule, then record, then identifier.
    pub(super) rule: String,
    pub(super) record: RecordRef,
    pub(super) kind: String,
    pub(super) value: String,
    pub(super) profile_id: String,
    pub(super) detail: String,
}

/// What `links.csv` says about a `source:row` query.
pub(super) enum RecordLookup {
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
pub(super) struct Report {
    pub(super) sources: Vec<ReportSource>,
}

#[derive(Deserialize)]
pub(super) struct ReportSource {
    #[serde(default)]
    pub(super) phone_region: String,
}

/// `report.json`: how the tables escape formula cells.
#[derive(Deserialize)]
struct ReportEscape {
    #[serde(default = "CsvEscape::unrecorded")]
    csv_escape: CsvEscape,
}

/// The out dir of a previous `omni merge`, read table by table on demand.
pub(crate) struct OutDir {
    pub(crate) dir: PathBuf,
    /// How its tables escape formula cells: undone on every cell read.
    escape: CsvEscape,
}

impl OutDir {
    /// Checks that every file explain reads is there, so that a wrong folder or an out dir from
    /// an older omni fails before any lookup, naming the file.
    pub(crate) fn locate(dir: &Path) -> anyhow::Result<OutDir> {
        if !dir.is_dir() {
            bail!(
                "{}: no such folder; run `omni merge INPUTS -o {}` first",
                dir.display(),
                dir.display()
            );
        }
        let mut out = OutDir {
            dir: dir.to_path_buf(),
            escape: CsvEscape::unrecorded(),
        };
        for name in ["profiles.csv", "links.csv", "report.json"] {
            if !out.has(name) {
                bail!(
                    "{}: not found; is this the out dir of `omni merge`? Run `omni merge` first",
                    out.file(name).display()
                );
            }
        }
        for name in ["edges.csv", "refused.csv"] {
            if !out.has(name) {
                bail!(
                    "{}: not found; this out dir was written by an older omni merge that did \
                     not record how records were joined: run `omni merge` again",
                    out.file(name).display()
                );
            }
        }
        out.escape = out.read_escape()?;
        Ok(out)
    }

    /// The escape mode recorded in report.json.
    fn read_escape(&self) -> anyhow::Result<CsvEscape> {
        let path = self.file("report.json");
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("{}: cannot read", path.display()))?;
        let report: ReportEscape = serde_json::from_str(&text)
            .with_context(|| format!("{}: not a report written by omni merge", path.display()))?;
        Ok(report.csv_escape)
    }

    /// [`scan`] with this out dir's escape undone.
    pub(crate) fn scan<const N: usize>(
        &self,
        path: &Path,
        names: [&str; N],
        visit: impl FnMut([&str; N]) -> anyhow::Result<bool>,
    ) -> anyhow::Result<()> {
        scan(path, names, self.escape, visit)
    }

    pub(crate) fn file(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// Whether the file `name` is there; a table `NAME.csv` may be there as `NAME.parquet`
    /// (an out dir written with `--format parquet`).
    pub(crate) fn has(&self, name: &str) -> bool {
        self.file(name).is_file() || parquet_instead(&self.file(name)).is_some()
    }

    /// The file holding the table `name` (`links.csv`), for messages: the Parquet file in an
    /// out dir written with `--format parquet`.
    pub(crate) fn table(&self, name: &str) -> PathBuf {
        let path = self.file(name);
        parquet_instead(&path).unwrap_or(path)
    }

    /// The distinct, non-empty phone regions of the run's sources, in report order.
    pub(crate) fn phone_regions(&self) -> anyhow::Result<Vec<String>> {
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
    pub(super) fn find_profile(
        &self,
        candidates: &Candidates,
    ) -> anyhow::Result<Option<(Profile, Vec<String>)>> {
        // Every column but the purchase totals, which explain does not show.
        let [a, b, c, d, e, f, g, h, i, j, ..] = crate::output::tables::PROFILES_HEADER;
        let columns = [a, b, c, d, e, f, g, h, i, j];
        let mut best: Option<(usize, Profile, Vec<String>)> = None;
        self.scan(&self.file("profiles.csv"), columns, |f| {
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
    pub(super) fn profile_of_record(&self, record: &RecordRef) -> anyhow::Result<RecordLookup> {
        let path = self.file("links.csv");
        let mut result = RecordLookup::UnknownSource;
        self.scan(&path, ["source", "row", "profile_id"], |f| {
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
    pub(super) fn why_no_profile(&self, record: &RecordRef) -> anyhow::Result<String> {
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
        if self.has("rejects.csv") {
            let columns = ["source", "row", "column", "value", "reason"];
            self.scan(&path, columns, |f| {
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
    pub(super) fn edges_of(&self, profile_id: &str) -> anyhow::Result<Vec<Edge>> {
        let columns = crate::output::tables::EDGES_HEADER;
        let mut edges = Vec::new();
        self.scan(&self.file("edges.csv"), columns, |f| {
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
    pub(super) fn refused_around(
        &self,
        profile: &Profile,
        edges: &[Edge],
    ) -> anyhow::Result<Vec<Refused>> {
        let records: HashSet<&RecordRef> = edges.iter().map(|e| &e.record).collect();
        let identifiers = profile.identifiers();
        self.refused_matching(|row| {
            row.profile_id == profile.id
                || records.contains(&row.record)
                || identifiers.contains(&(row.kind.clone(), row.value.clone()))
        })
    }

    /// The rows of `refused.csv` that `keep` accepts, sorted, without duplicates.
    pub(super) fn refused_matching(
        &self,
        keep: impl Fn(&Refused) -> bool,
    ) -> anyhow::Result<Vec<Refused>> {
        let columns = crate::output::tables::REFUSED_HEADER;
        let mut rows = Vec::new();
        self.scan(&self.file("refused.csv"), columns, |f| {
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
/// order asked, with the formula escape undone (`output::escape`); `visit` returns `false` to
/// stop early. Errors name the file and line. Where `DIR/NAME.csv` is missing and
/// `DIR/NAME.parquet` is there (`--format parquet`), the Parquet table is read instead, as the
/// same rows (unescaped: Parquet tables never are); its lines count as the CSV's would.
pub(crate) fn scan<const N: usize>(
    path: &Path,
    names: [&str; N],
    escape: CsvEscape,
    visit: impl FnMut([&str; N]) -> anyhow::Result<bool>,
) -> anyhow::Result<()> {
    if let Some(parquet) = parquet_instead(path) {
        let rows = read_as_csv(&parquet)?;
        let rdr = csv::ReaderBuilder::new()
            .flexible(true)
            .from_reader(&rows[..]);
        return scan_rows(rdr, &parquet, names, CsvEscape::None, visit);
    }
    let rdr = csv::ReaderBuilder::new()
        .flexible(true)
        .from_path(path)
        .with_context(|| format!("{}: cannot read", path.display()))?;
    scan_rows(rdr, path, names, escape, visit)
}

/// [`scan`] over an open reader of the table at `path`.
fn scan_rows<R: std::io::Read, const N: usize>(
    mut rdr: csv::Reader<R>,
    path: &Path,
    names: [&str; N],
    escape: CsvEscape,
    mut visit: impl FnMut([&str; N]) -> anyhow::Result<bool>,
) -> anyhow::Result<()> {
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
        let fields = index.map(|i| escape.unescape(record.get(i).unwrap_or("")));
        let line = record.position().map_or(0, |p| p.line());
        if !visit(fields).with_context(|| format!("{}:{line}", path.display()))? {
            return Ok(());
        }
    }
}

pub(crate) fn parse_row(text: &str) -> anyhow::Result<u64> {
    text.parse()
        .map_err(|_| anyhow!("row '{text}' is not a row number"))
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
