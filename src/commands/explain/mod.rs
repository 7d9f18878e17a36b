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

use anyhow::{Context, anyhow, bail};

use crate::cli::ExplainArgs;
use crate::config::{Settings, validate_country};
use crate::exit::ExitStatus;
use crate::normalize::{Kind, Normalizers};
use crate::ui::Ui;

mod render;
/// The out-dir reader, shared with `omni export` (`crate::export::outdir`).
pub(crate) mod tables;
mod waterfall;

use render::{render_profile, render_refused_identifier};
use tables::{OutDir, Profile, RecordLookup, RecordRef, Refused};

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
            let scored = waterfall::links_of(&out, &edges)?;
            render_profile(&profile, &edges, &refused, &also) + &waterfall::render(&scored)
        }
        Found::Refused(rows) => render_refused_identifier(&rows),
    };
    ui.data(&text)?;
    Ok(ExitStatus::Success)
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
                        out.table("links.csv").display()
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
                out.table("links.csv").display()
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profile_ids_and_record_queries_are_recognised() {
        assert!(is_profile_id("P0a782ab700643238"));
        assert!(!is_profile_id("P0A782AB700643238"));
        assert!(!is_profile_id("P0a782ab70064323"));
        assert_eq!(
            parse_record_query("web_shop:57"),
            Some(RecordRef {
                source: "web_shop".to_owned(),
                row: 57
            })
        );
        assert_eq!(parse_record_query("crm:A-17"), None);
        assert_eq!(parse_record_query(":5"), None);
    }
}
