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
        if !plan.columns.iter().any(|c| c.role.is_identifier()) {
            bail!(
                "{path}: no email, phone or card column found among: {}\n\
                 hint: name the column's role in omni.toml, e.g.\n  \
                 [sources.{stem}.columns]\n  \"{}\" = \"phone\"\n\
                 (roles: email, phone, card, id:<namespace>, key, first_name, last_name, full_name, \
                 country, timestamp, amount, ignore; `omni inspect {path}` shows what was detected)",
                quoted_list(headers),
                headers.first().map_or("column", String::as_str),
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

fn quoted_list(headers: &[String]) -> String {
    headers
        .iter()
        .map(|h| format!("\"{h}\""))
        .collect::<Vec<_>>()
        .join(", ")
}
