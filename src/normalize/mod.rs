//! Identifier normalization: raw strings in, canonical identifiers or a [`RejectReason`] out.
//!
//! One module per kind (`email`, `phone`, `card`, `id`), plus the junk blocklist (`junk`) and the
//! parsers for the non-identifier values that feed survivorship (`datetime`, `amount`).
//! Every normalizer is a pure function of its input and its rules: no I/O, no global state that
//! changes results, safe to call from many rayon workers at once. Empty input (after trimming)
//! is *not* handled here: the caller treats it as "not filled", which is not a reject.

pub mod amount;
pub mod card;
pub mod datetime;
pub mod email;
pub mod id;
pub mod junk;
pub mod phone;

use serde::{Deserialize, Serialize};

/// The kind of an identifier. Two records link only through identifiers of the same kind and
/// namespace with the same canonical value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// An email address.
    Email,
    /// A phone number in E.164.
    Phone,
    /// A loyalty card number.
    Card,
    /// A named id namespace from config (e.g. `crm`); the namespace is carried next to the kind.
    Id,
}

impl Kind {
    /// The lowercase name used in outputs (`matched_by`, reports) and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Email => "email",
            Kind::Phone => "phone",
            Kind::Card => "card",
            Kind::Id => "id",
        }
    }
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

// TEMPORARY stand-in for the facade being built on the `norm` branch; replaced at merge.
use crate::reject::RejectReason;

/// All normalizers of a run (stand-in).
#[derive(Debug)]
pub struct Normalizers;

impl Normalizers {
    /// Builds the normalizers from settings (stand-in).
    pub fn new(settings: &crate::config::Settings) -> anyhow::Result<Normalizers> {
        let _ = settings;
        Ok(Normalizers)
    }

    /// None when empty after trimming (stand-in).
    pub fn normalize(
        &self,
        kind: Kind,
        raw: &str,
        region: Option<&str>,
    ) -> Option<Result<String, RejectReason>> {
        let _ = (kind, region);
        let raw = raw.trim();
        (!raw.is_empty()).then(|| Ok(raw.to_lowercase()))
    }
}
