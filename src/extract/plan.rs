//! The column plan of one source: which column feeds which part of a record.
//!
//! Built from the detected roles (`input::detect`) overridden by the config's
//! `[sources.<stem>.columns]`. A plan with no identifier column is a fatal error that names the
//! columns seen and shows how to map one, because such a file could never link anybody.

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
            .map(
                |(name, Detection { role, why })| match settings.columns.get(name) {
                    Some(forced) => PlannedColumn {
                        name: name.clone(),
                        role: forced.clone(),
                        why: "config".to_owned(),
                    },
                    None => PlannedColumn {
                        name: name.clone(),
                        role,
                        why,
                    },
                },
            )
            .collect::<Vec<_>>();
        let plan = Plan { columns };
        let person_only = settings.person_only
            && plan
                .columns
                .iter()
                .any(|c| matches!(c.role, Role::FirstName | Role::LastName | Role::FullName));
        if !person_only && !plan.columns.iter().any(|c| c.role.is_identifier()) {
            bail!(
                "{path}: no email, phone or card column found among: {}\n\
                 hint: name the column's role in omni.toml, e.g.\n  \
                 [sources.{stem}.columns]\n  {} = \"phone\"\n\
                 (roles: email, phone, card, id:<namespace>, key, first_name, last_name, full_name, \
                 country, timestamp, amount, ignore; `omni inspect {path}` shows what was detected)",
                quoted_list(headers),
                quoted_list(&headers[..headers.len().min(1)]),
            );
        }
        Ok(plan)
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

/// The column names for an error message: at most 30, each cut at 40 characters, control
/// characters escaped, so a garbage header cannot flood the terminal (issue 7).
fn quoted_list(headers: &[String]) -> String {
    const MAX_NAMES: usize = 30;
    const MAX_CHARS: usize = 40;
    let mut names: Vec<String> = headers
        .iter()
        .take(MAX_NAMES)
        .map(|h| {
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
/// sample rows means a Russian-speaking export, so `RU`; otherwise the region of most (over
/// half) of the sample's international (`+`) numbers. Without evidence: no region, and national
/// numbers are rejected as `phone_unparseable` (the report shows it; `--country` fixes it).
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
    let phone_columns: Vec<usize> = plan
        .columns
        .iter()
        .enumerate()
        .filter(|(_, c)| c.role == Role::Phone)
        .map(|(i, _)| i)
        .collect();
    let mut votes: std::collections::BTreeMap<String, usize> = Default::default();
    let mut total = 0;
    for row in sample {
        for &i in &phone_columns {
            let Some(value) = row.get(i).map(|v| v.trim()).filter(|v| v.starts_with('+')) else {
                continue;
            };
            let region = normalizers
                .phone
                .normalize(value, None)
                .ok()
                .and_then(|e164| crate::normalize::phone::region_of(&e164));
            if let Some(region) = region {
                *votes.entry(region).or_default() += 1;
                total += 1;
            }
        }
    }
    let best = votes
        .iter()
        .max_by_key(|&(region, n)| (*n, std::cmp::Reverse(region.clone())));
    match best {
        Some((region, &n)) if total >= MIN_VOTES && n * 2 > total => Region {
            code: Some(region.clone()),
            from: format!(
                "inferred: {}% of international numbers are {region}",
                n * 100 / total
            ),
        },
        _ => Region {
            code: None,
            from: "no evidence: numbers without + are rejected; set --country".into(),
        },
    }
}
