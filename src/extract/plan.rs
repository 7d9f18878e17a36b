//! The column plan of one source: which column feeds which part of a record.
//!
//! Built from the detected roles (`input::detect`) overridden by the config's
//! `[sources.<stem>.columns]`. A plan with no identifier column is not an error by itself: the
//! file is read and accounted for, and `no_identifier_hint` names the columns seen and shows how
//! to map one, because such a file cannot link anybody (issue 15: one such file must not take
//! the other files of a run down).

use anyhow::bail;

use crate::config::SourceSettings;
use crate::input::detect::{self, Detection, Role};
use crate::normalize::Kind;

/// One column's role, with the reason it was chosen.
#[derive(Clone, Debug, PartialEq)]
pub struct PlannedColumn {
    /// Header name.
    pub name: String,
    /// Role.
    pub role: Role,
    /// Why (`header "E-mail"`, `config`, ...).
    pub why: String,
}

/// The plan of one source.
#[derive(Clone, Debug)]
pub struct Plan {
    /// One entry per header column, in file order.
    pub columns: Vec<PlannedColumn>,
}

impl Plan {
    /// Detects roles from the header and sample rows, then applies the config overrides.
    /// `stem` and `path` are used in messages only.
    pub fn build(
        path: &str,
        stem: &str,
        headers: &[String],
        sample: &[Vec<String>],
        settings: &SourceSettings,
    ) -> anyhow::Result<Plan> {
        for name in settings.columns.keys() {
            if !headers.iter().any(|h| h == name) {
                bail!(
                    "{path}: config [sources.{stem}.columns] names column \"{name}\", but the file's \
                     columns are: {}",
                    quoted_list(headers)
                );
            }
        }
        let detected = detect::detect(headers, sample);
        let columns = headers
            .iter()
            .zip(detected)
            .map(|(name, Detection { role, why })| {
                let shared = settings.shared_columns.get(name);
                let (role, why) = match (settings.columns.get(name), shared) {
                    (Some(forced), _) => (forced.clone(), "config".to_owned()),
                    (None, Some((forced, from))) => (forced.clone(), from.clone()),
                    (None, None) => (role, why),
                };
                PlannedColumn {
                    name: name.clone(),
                    role,
                    why,
                }
            })
            .collect::<Vec<_>>();
        Ok(Plan { columns })
    }

    /// True when some column links records (email, phone, card or an `id:` namespace).
    pub fn has_identifier(&self) -> bool {
        self.columns.iter().any(|c| c.role.is_identifier())
    }

    /// What to tell the user about a file whose plan has no identifier: the columns seen and
    /// how to map one, proposing the column a person would pick (one whose header names an
    /// identifier role but whose content did not confirm it, else one `shared` with other
    /// files as a likely shared id, else the first). The file is still read and accounted for
    /// (every row `no_identifier`); it just cannot link anybody (issue 15).
    pub fn no_identifier_hint(&self, path: &str, stem: &str, shared: Option<&str>) -> String {
        let headers: Vec<String> = self.columns.iter().map(|c| c.name.clone()).collect();
        // A column whose header names an identifier (a `phone` whose values were not read as
        // phones) is what a person would map first.
        let named = self.columns.iter().find_map(|c| {
            detect::header_role(&c.name)
                .filter(Role::is_identifier)
                .map(|role| (c.name.clone(), role.as_config()))
        });
        let (column, role) = match (named, shared) {
            (Some(named), _) => named,
            (None, Some(shared)) => (shared.to_owned(), format!("id:{shared}")),
            (None, None) => (headers.first().cloned().unwrap_or_default(), "phone".into()),
        };
        let column = quoted_names(std::slice::from_ref(&column));
        let flag = match shared {
            Some(shared) => format!(" or `--id {shared}` on the command line"),
            None => String::new(),
        };
        format!(
            "{path}: no email, phone or card column found among: {}\n\
             hint: name the column's role in omni.toml{flag}, e.g.\n  \
             [sources.{stem}.columns]\n  {column} = \"{role}\"\n\
             (roles: email, phone, card, id:<namespace>, key, first_name, last_name, full_name, \
             country, timestamp, amount, ignore; `omni inspect {path}` shows what was detected)",
            quoted_list(&headers),
        )
    }
}

/// The identifier kind and namespace name of a role, for identifier roles.
pub fn identifier_namespace(role: &Role) -> Option<(Kind, String)> {
    match role {
        Role::Email => Some((Kind::Email, "email".to_owned())),
        Role::Phone => Some((Kind::Phone, "phone".to_owned())),
        Role::Card => Some((Kind::Card, "card".to_owned())),
        Role::Id(ns) => Some((Kind::Id, format!("id:{ns}"))),
        _ => None,
    }
}

/// Every namespace an identifier column of `role` may fill, in the order they are numbered:
/// its own, then for phones the namespace of local numbers (`phone::LOCAL_NAMESPACE`).
/// `extract::compile` and the incremental merge of saved and new sources both number
/// namespaces through this, so they agree.
pub fn namespaces_of(role: &Role) -> Vec<String> {
    match identifier_namespace(role) {
        Some((Kind::Phone, name)) => {
            vec![name, crate::normalize::phone::LOCAL_NAMESPACE.to_owned()]
        }
        Some((_, name)) => vec![name],
        None => Vec::new(),
    }
}

/// The column names for an error message: at most 30, each cut at 40 characters, control
/// characters escaped, so a garbage header cannot flood the terminal (issue 7); what looks like
/// an email, a phone or a card masked without `--verbose`, since a first line of data becomes
/// the "names" (issue 16), with a note saying so.
fn quoted_list(headers: &[String]) -> String {
    let masked = headers.iter().any(|h| crate::mask::would_mask(h));
    let list = quoted_names(headers);
    match masked {
        true => format!(
            "{list} (line 1 looks like data, not names: check --delimiter, or add a header row; \
             emails, phones and card numbers are masked, --verbose shows them)"
        ),
        false => list,
    }
}

fn quoted_names(headers: &[String]) -> String {
    const MAX_NAMES: usize = 30;
    const MAX_CHARS: usize = 40;
    let mut names: Vec<String> = headers
        .iter()
        .take(MAX_NAMES)
        .map(|h| {
            let h = crate::mask::customer_data(h);
            let mut name: String = h
                .chars()
                .take(MAX_CHARS)
                .flat_map(char::escape_debug)
                .collect();
            if h.chars().nth(MAX_CHARS).is_some() {
                name.push('…');
            }
            format!("\"{name}\"")
        })
        .collect();
    if headers.len() > MAX_NAMES {
        names.push(format!("and {} more", headers.len() - MAX_NAMES));
    }
    names.join(", ")
}

/// The default phone region of a source, and where it came from.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Region {
    /// ISO code, or `None` when numbers without `+` cannot be read.
    pub code: Option<String>,
    /// `--country`, `config`, `inferred: ...`, or `none`.
    pub from: String,
}

/// Least international numbers needed before their countries are trusted as a vote.
const MIN_VOTES: usize = 3;

/// Chooses a source's default phone region when neither `--country` nor the config sets one.
///
/// Zero config must work on ordinary exports, and a phone written as `8 916 123-45-67` means
/// nothing without a region. Evidence, strongest first: Cyrillic text in the header or the
/// sample rows means a Russian-speaking export, so `RU`; otherwise the region most (over half)
/// of the sample's numbers point to: the country of international (`+`) numbers, and for the
/// others how they are written or where alone they are valid (`phone::region_evidence`: `(310)
/// 246-1501` is American). A per-row `country` column still wins over this, row by row.
/// Without evidence: no region, and national numbers are rejected as `phone_unparseable` (the
/// report shows it; `--country` fixes it).
pub fn infer_region(
    plan: &Plan,
    headers: &[String],
    sample: &[Vec<String>],
    normalizers: &crate::normalize::Normalizers,
) -> Region {
    let cyrillic = |s: &str| s.chars().any(|c| ('\u{0400}'..='\u{04FF}').contains(&c));
    if headers.iter().any(|h| cyrillic(h)) || sample.iter().flatten().any(|v| cyrillic(v)) {
        return Region {
            code: Some("RU".into()),
            from: "inferred: Cyrillic text in the file".into(),
        };
    }
    let (votes, total) = region_votes(plan, sample, normalizers);
    let best = votes
        .iter()
        .max_by_key(|&(region, n)| (*n, std::cmp::Reverse(region.clone())));
    match best {
        Some((region, &n)) if total >= MIN_VOTES && n * 2 > total => Region {
            code: Some(region.clone()),
            from: format!(
                "inferred: {}% of the numbers point to {region} (country code, grouping, \
                 validity)",
                n * 100 / total
            ),
        },
        _ => Region {
            code: None,
            from: "no evidence: numbers without + are rejected; set --country".into(),
        },
    }
}

/// Most sample values looked at for evidence of the numbers' region.
const EVIDENCE_VALUES: usize = 200;

/// The regions the sample's phone values point to, and how many values gave evidence.
fn region_votes(
    plan: &Plan,
    sample: &[Vec<String>],
    normalizers: &crate::normalize::Normalizers,
) -> (std::collections::BTreeMap<String, usize>, usize) {
    let phone_columns: Vec<usize> = plan
        .columns
        .iter()
        .enumerate()
        .filter(|(_, c)| c.role == Role::Phone)
        .map(|(i, _)| i)
        .collect();
    let mut votes: std::collections::BTreeMap<String, usize> = Default::default();
    let mut total = 0;
    let values = sample
        .iter()
        .flat_map(|row| phone_columns.iter().filter_map(|&i| row.get(i)))
        .map(|v| v.trim())
        .filter(|v| !v.is_empty())
        .take(EVIDENCE_VALUES);
    for value in values {
        let region = if value.starts_with('+') {
            normalizers
                .phone
                .normalize(value, None)
                .ok()
                .and_then(|e164| crate::normalize::phone::region_of(&e164))
        } else {
            crate::normalize::phone::region_evidence(value)
        };
        if let Some(region) = region {
            *votes.entry(region).or_default() += 1;
            total += 1;
        }
    }
    (votes, total)
}
