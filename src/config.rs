//! `omni.toml` plus the command line, turned into validated settings once.
//!
//! `FileConfig` is the TOML file as written (serde, unknown keys refused so typos are caught);
//! `Settings` is what the stages read: the file's values overlaid by command-line flags,
//! validated (country codes, roles, delimiters). Nothing after this module reads `Cli`.
//! See docs/config.md for the reference.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use serde::{Deserialize, Serialize};

use crate::cli::ReadArgs;
use crate::graph::guards::GuardSettings;
use crate::input::detect::Role;
use crate::input::guard::Limits;
use crate::input::{EncodingChoice, ReadOptions};
use crate::normalize::card::CardRules;
use crate::normalize::email::EmailRules;
use crate::output::escape::CsvEscape;

/// The config file as written.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    /// Default phone region (ISO 3166 alpha-2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    /// Default encoding of CSV inputs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encoding: Option<EncodingChoice>,
    /// Email rules.
    #[serde(default)]
    pub email: EmailSection,
    /// Card rules.
    #[serde(default)]
    pub card: CardSection,
    /// Junk values.
    #[serde(default)]
    pub junk: JunkSection,
    /// Over-merge guards.
    #[serde(default)]
    pub guards: GuardsSection,
    /// Column name → role for every source that has the column (issue 15), e.g.
    /// `"soc_sec_id" = "id:ssn"`; a `[sources.<stem>.columns]` entry wins for its source.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub columns: BTreeMap<String, String>,
    /// Per-source settings, keyed by file stem (e.g. `web_shop` for `exports/web_shop.csv`).
    #[serde(default)]
    pub sources: BTreeMap<String, SourceSection>,
    /// Caps on what one input file may contain (issue 7).
    #[serde(default, skip_serializing_if = "LimitsSection::is_unset")]
    pub limits: LimitsSection,
    /// `[export]`: the cascade order and extra channels of `omni export` (issue 18).
    #[serde(
        default,
        skip_serializing_if = "crate::export::settings::ExportSection::is_unset"
    )]
    pub export: crate::export::settings::ExportSection,
    /// `[report]`: the period of retention and multi-channel metrics (issue 18).
    #[serde(
        default,
        skip_serializing_if = "crate::report::campaign::ReportSection::is_unset"
    )]
    pub report: crate::report::campaign::ReportSection,
    /// How the output tables are written (issue 16).
    #[serde(default, skip_serializing_if = "OutputSection::is_unset")]
    pub output: OutputSection,
    /// The probabilistic pass (issue 20), used with `--match probabilistic`.
    #[serde(default, rename = "match")]
    pub matching: MatchSection,
}

/// `[output]`: how the output tables are written (docs/config.md).
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct OutputSection {
    /// `formulas` (default): cells a spreadsheet would run as formulas get a leading `'`;
    /// `none`: values as they are, for programs (`output::escape`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub csv_escape: Option<CsvEscape>,
}

impl OutputSection {
    /// True when no key is set (the section is then left out of a written config).
    pub fn is_unset(&self) -> bool {
        self.csv_escape.is_none()
    }
}

/// `[match]`: the probabilistic pass (docs/probabilistic.md); unset keys keep their defaults.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct MatchSection {
    /// `exact` (default) or `probabilistic`; `--match` wins.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<String>,
    /// Link pairs at or above this match probability (default 0.99).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threshold: Option<f64>,
    /// Blocks above this many records are compared by sorted neighbourhood (default 200).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_block: Option<usize>,
    /// Blocking rules (default: all of birth_date, surname_initial, first_name_year,
    /// postcode_street, phone_tail, email_local, name_sounds, address_city).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blocking: Option<Vec<String>>,
    /// Random pairs sampled for the u-probabilities (default 200000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub random_pairs: Option<usize>,
}

/// Validates `[match]`: gives whether it asks for the probabilistic pass, and its settings.
fn match_settings(section: MatchSection) -> anyhow::Result<(bool, crate::fuzzy::MatchSettings)> {
    let defaults = crate::fuzzy::MatchSettings::default();
    let probabilistic = match section.mode.as_deref() {
        None | Some("exact") => false,
        Some("probabilistic") => true,
        Some(other) => bail!("[match] mode = \"{other}\": expected exact or probabilistic"),
    };
    let threshold = section.threshold.unwrap_or(defaults.threshold);
    if !(threshold > 0.0 && threshold < 1.0) {
        bail!("[match] threshold = {threshold}: expected a probability between 0 and 1");
    }
    let rules = match section.blocking {
        None => defaults.rules,
        Some(names) => names
            .iter()
            .map(|n| crate::fuzzy::Rule::parse(n).map_err(|e| anyhow::anyhow!("[match] {e}")))
            .collect::<anyhow::Result<Vec<_>>>()?,
    };
    let settings = crate::fuzzy::MatchSettings {
        threshold,
        max_block: section.max_block.unwrap_or(defaults.max_block).max(2),
        rules,
        random_pairs: section.random_pairs.unwrap_or(defaults.random_pairs),
    };
    Ok((probabilistic, settings))
}

/// `[limits]`: caps on one input file (docs/config.md); unset keys keep their defaults.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct LimitsSection {
    /// A row with a longer field (bytes) is rejected as `field_too_long`. Default 65536.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_field_bytes: Option<usize>,
    /// One CSV record may not grow past this (bytes); reading the file stops with an error.
    /// Default 16 MiB.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_record_bytes: Option<usize>,
    /// Data rows per file; more is an error (0 = no cap, the default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_rows: Option<u64>,
    /// Columns per file; a wider header is an error. Default 10000.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_columns: Option<usize>,
}

impl LimitsSection {
    /// True when no key is set (the section is left out of written configs).
    pub fn is_unset(&self) -> bool {
        self.max_field_bytes.is_none()
            && self.max_record_bytes.is_none()
            && self.max_rows.is_none()
            && self.max_columns.is_none()
    }

    /// The limits, defaults filled in and checked for consistency.
    pub fn validate(&self) -> anyhow::Result<Limits> {
        let defaults = Limits::default();
        let limits = Limits {
            max_field_bytes: self.max_field_bytes.unwrap_or(defaults.max_field_bytes),
            max_record_bytes: self.max_record_bytes.unwrap_or(defaults.max_record_bytes),
            max_rows: self.max_rows.unwrap_or(defaults.max_rows),
            max_columns: self.max_columns.unwrap_or(defaults.max_columns),
        };
        validate_limits(limits).context("[limits]")
    }
}

/// Checks that the limits can be met: positive, and a record can hold a full field.
pub fn validate_limits(limits: Limits) -> anyhow::Result<Limits> {
    if limits.max_field_bytes == 0 || limits.max_columns == 0 {
        bail!("max_field_bytes and max_columns must be at least 1");
    }
    if limits.max_record_bytes < limits.max_field_bytes {
        bail!(
            "max_record_bytes ({}) must be at least max_field_bytes ({})",
            limits.max_record_bytes,
            limits.max_field_bytes
        );
    }
    Ok(limits)
}

/// `[email]`.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct EmailSection {
    /// Fold provider aliases (gmail dots and +tags, yandex domains). Default true.
    #[serde(default = "yes")]
    pub fold_aliases: bool,
    /// Extra `alias = "canonical"` domain pairs.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub domain_aliases: BTreeMap<String, String>,
}

impl Default for EmailSection {
    fn default() -> Self {
        EmailSection {
            fold_aliases: true,
            domain_aliases: BTreeMap::new(),
        }
    }
}

fn yes() -> bool {
    true
}

/// `[card]`.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CardSection {
    /// Programme prefixes to strip (case-insensitive), e.g. `["LC-", "CARD"]`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub strip_prefixes: Vec<String>,
}

/// `[junk]`.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct JunkSection {
    /// Extra values that must never link (e.g. the shop's own phone, `info@shop.ru`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<String>,
}

/// `[guards]`: over-merge guards (docs/config.md).
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct GuardsSection {
    /// An identifier joining more than this many different names links nobody (0 = off).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generic_names: Option<u32>,
    /// Per-kind overrides of `generic_names` (`email`, `phone`, `card`, `id:<ns>`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub generic_names_by_kind: BTreeMap<String, u32>,
    /// An identifier joining more than this many otherwise separate groups of records links
    /// nobody, names or not (0 = off).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generic_groups: Option<u32>,
    /// Jaro-Winkler similarity (0-1) at which two name tokens are the same.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name_similarity: Option<f64>,
    /// Kinds whose links are refused when they are the only tie between groups whose names
    /// clearly disagree (default `["phone", "email"]`; `[]` switches the check off).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name_check: Option<Vec<String>>,
    /// Whether a landline may place a record without a name into a named profile (default
    /// false: households share landlines).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub landlines_place_nameless: Option<bool>,
    /// Per-profile caps on distinct values of a kind, e.g. `{ "id:crm" = 1, email = 5 }`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub caps: BTreeMap<String, u32>,
    /// Linking order of kinds (default `["id", "email", "card", "phone"]`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<Vec<String>>,
    /// Profiles above this many records are listed as alarms (default: derived from the data).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alarm_size: Option<u32>,
}

/// `[sources.<stem>]`.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SourceSection {
    /// Source (channel) name used in outputs instead of the file stem.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Default phone region for this source.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    /// Encoding of this file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encoding: Option<EncodingChoice>,
    /// Delimiter of this file (one character or `tab`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delimiter: Option<String>,
    /// Column name → role (`email`, `phone`, `card`, `id:<ns>`, `key`, `first_name`, ...).
    /// Columns not named here are detected.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub columns: BTreeMap<String, String>,
    /// `online` or `offline`, for ROPO (issue 18) [default: from the source's name and columns].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<crate::report::campaign::Touch>,
}

/// Validated per-source settings.
#[derive(Clone, Debug, Default)]
pub struct SourceSettings {
    /// Renamed source, if any.
    pub name: Option<String>,
    /// Default phone region for this source.
    pub country: Option<String>,
    /// Where `country` came from (`--country`, `config`), for reports.
    pub country_from: String,
    /// How to read it.
    pub read: ReadOptions,
    /// Forced roles by column name.
    pub columns: BTreeMap<String, Role>,
    /// `online`/`offline` as configured (`None`: decided from the source's kind).
    pub channel: Option<crate::report::campaign::Touch>,
    /// Roles for every source that has the column (`[columns]`, `--id`), with where each came
    /// from; `columns` wins over these.
    pub shared_columns: BTreeMap<String, (Role, String)>,
}

/// Validated settings for the reading and normalizing stages.
#[derive(Clone, Debug, Default)]
pub struct Settings {
    /// Where the config came from, if anywhere.
    pub config_path: Option<PathBuf>,
    /// Default phone region.
    pub country: Option<String>,
    /// Where `country` came from (`--country`, `config`).
    pub country_from: String,
    /// Default read options.
    pub read: ReadOptions,
    /// Email rules.
    pub email: EmailRules,
    /// Card rules.
    pub card: CardRules,
    /// Extra junk values.
    pub junk_values: Vec<String>,
    /// Per-source settings by file stem.
    pub sources: BTreeMap<String, SourceSettings>,
    /// Roles for every source that has the column (`[columns]`, then `--id`), with where each
    /// came from (`config [columns]`, `--id`).
    pub shared_columns: BTreeMap<String, (Role, String)>,
    /// Over-merge guards.
    pub guards: GuardSettings,
    /// How cells a spreadsheet would run as formulas are written in the output tables.
    pub csv_escape: CsvEscape,
    /// `omni export`'s cascade and channels (issue 18).
    pub export: crate::export::settings::ExportSettings,
    /// Period of the retention and multi-channel metrics (issue 18).
    pub period: crate::report::campaign::Period,
    /// Whether the probabilistic pass runs (`[match] mode` or `--match`).
    pub probabilistic: bool,
    /// The probabilistic pass's settings.
    pub matching: crate::fuzzy::MatchSettings,
}

impl Settings {
    /// Settings from the CLI read flags and the config file (explicit, or `./omni.toml`).
    pub fn from_cli(read: &ReadArgs) -> anyhow::Result<Settings> {
        let mut settings = Settings::load(read.config.as_deref())?;
        if let Some(country) = &read.country {
            settings.country = Some(validate_country(country).context("--country")?);
            settings.country_from = "--country".to_owned();
        }
        if let Some(encoding) = read.encoding {
            settings.read.encoding = encoding;
            for source in settings.sources.values_mut() {
                source.read.encoding = encoding;
            }
        }
        if read.max_field_bytes.is_some() || read.max_rows.is_some() {
            let mut limits = settings.read.limits;
            limits.max_field_bytes = read.max_field_bytes.unwrap_or(limits.max_field_bytes);
            limits.max_rows = read.max_rows.unwrap_or(limits.max_rows);
            // A smaller field cap than the record cap is always consistent; a larger one
            // raises the record cap with it.
            limits.max_record_bytes = limits.max_record_bytes.max(limits.max_field_bytes);
            let limits = validate_limits(limits).context("--max-field-bytes")?;
            settings.read.limits = limits;
            for source in settings.sources.values_mut() {
                source.read.limits = limits;
            }
        }
        if let Some(delimiter) = read.delimiter {
            settings.read.delimiter = Some(delimiter);
            for source in settings.sources.values_mut() {
                source.read.delimiter = Some(delimiter);
            }
        }
        for spec in &read.id {
            let (column, role) = parse_id_flag(spec)?;
            settings
                .shared_columns
                .insert(column, (role, "--id".to_owned()));
        }
        Ok(settings)
    }

    /// Loads `path`, or `./omni.toml` when `path` is `None` and that file exists, else defaults.
    pub fn load(path: Option<&Path>) -> anyhow::Result<Settings> {
        let path = match path {
            Some(p) => Some(p.to_path_buf()),
            None => Some(PathBuf::from("omni.toml")).filter(|p| p.is_file()),
        };
        let Some(path) = path else {
            return Ok(Settings::default());
        };
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("{}: cannot read config", path.display()))?;
        let file: FileConfig = toml::from_str(&text)
            .map_err(|e| anyhow::anyhow!("{}: invalid config: {e}", path.display()))?;
        let mut settings = Settings::from_file(file)
            .with_context(|| format!("{}: invalid config", path.display()))?;
        settings.config_path = Some(path);
        Ok(settings)
    }

    /// Validates a parsed config file.
    pub fn from_file(file: FileConfig) -> anyhow::Result<Settings> {
        let country = file.country.as_deref().map(validate_country).transpose()?;
        let read = ReadOptions {
            encoding: file.encoding.unwrap_or_default(),
            delimiter: None,
            limits: file.limits.validate()?,
        };
        let (probabilistic, matching) = match_settings(file.matching)?;
        let mut sources = BTreeMap::new();
        for (stem, section) in file.sources {
            sources.insert(stem.clone(), source_settings(&stem, section, &read)?);
        }
        let mut shared_columns = BTreeMap::new();
        for (column, role) in file.columns {
            let role =
                Role::parse(&role).map_err(|e| anyhow::anyhow!("[columns] \"{column}\": {e}"))?;
            shared_columns.insert(column, (role, "config [columns]".to_owned()));
        }
        Ok(Settings {
            config_path: None,
            country_from: if country.is_some() {
                "config".to_owned()
            } else {
                String::new()
            },
            country,
            read,
            email: EmailRules {
                fold_aliases: file.email.fold_aliases,
                extra_domain_aliases: file
                    .email
                    .domain_aliases
                    .into_iter()
                    .map(|(a, c)| (a.to_lowercase(), c.to_lowercase()))
                    .collect(),
            },
            card: CardRules {
                strip_prefixes: file.card.strip_prefixes,
            },
            junk_values: file.junk.values,
            sources,
            shared_columns,
            guards: guard_settings(file.guards)?,
            csv_escape: file.output.csv_escape.unwrap_or_default(),
            export: file.export.validate().context("[export]")?,
            period: file.report.period.unwrap_or_default(),
            probabilistic,
            matching,
        })
    }

    /// What the campaign metrics read: the period and the configured online/offline tags.
    pub fn campaign(&self) -> crate::report::campaign::CampaignSettings {
        crate::report::campaign::CampaignSettings {
            period: self.period,
            touch: self
                .sources
                .iter()
                .filter_map(|(stem, s)| s.channel.map(|c| (stem.clone(), c)))
                .collect(),
        }
    }

    /// The settings for the file with this stem (defaults when the config does not name it),
    /// with the roles `[columns]` and `--id` give every source.
    pub fn source(&self, stem: &str) -> SourceSettings {
        let mut source = self
            .sources
            .get(stem)
            .cloned()
            .unwrap_or_else(|| SourceSettings {
                read: self.read.clone(),
                ..SourceSettings::default()
            });
        source.shared_columns = self.shared_columns.clone();
        source
    }

    /// Checks that every `[sources.<stem>]` section names one of the input files, whose stems
    /// are `stems`: a misspelled stem would otherwise be silently ignored (issues 15, 16).
    pub fn check_sources_exist(&self, stems: &[&str]) -> anyhow::Result<()> {
        for stem in self.sources.keys() {
            if !stems.contains(&stem.as_str()) {
                let mut known: Vec<&str> = stems.to_vec();
                known.sort_unstable();
                known.dedup();
                bail!(
                    "config [sources.{stem}] matches no input file; the inputs' stems are: {}",
                    known
                        .iter()
                        .map(|s| format!("\"{s}\""))
                        .collect::<Vec<_>>()
                        .join(", ")
                );
            }
        }
        Ok(())
    }
}

/// Parses `--id COLUMN[=NAMESPACE]`: the column links records as `id:<NAMESPACE>`, by default
/// the column name in lowercase with anything but letters, digits, `_` and `-` turned into `_`
/// (`--id "Member No"` is `id:member_no`).
pub fn parse_id_flag(spec: &str) -> anyhow::Result<(String, Role)> {
    let (column, namespace) = match spec.rsplit_once('=') {
        Some((column, ns)) => (column.trim(), ns.trim().to_owned()),
        None => {
            let ns: String = spec
                .trim()
                .to_lowercase()
                .chars()
                .map(|c| {
                    if c.is_alphanumeric() || c == '_' || c == '-' {
                        c
                    } else {
                        '_'
                    }
                })
                .collect();
            (spec.trim(), ns)
        }
    };
    if column.is_empty() {
        bail!("--id '{spec}': give a column name, e.g. --id soc_sec_id or --id soc_sec_id=ssn");
    }
    let role = Role::parse(&format!("id:{namespace}"))
        .map_err(|e| anyhow::anyhow!("--id '{spec}': {e}"))?;
    Ok((column.to_owned(), role))
}

fn source_settings(
    stem: &str,
    section: SourceSection,
    defaults: &ReadOptions,
) -> anyhow::Result<SourceSettings> {
    let country = section
        .country
        .as_deref()
        .map(validate_country)
        .transpose()
        .with_context(|| format!("[sources.{stem}] country"))?;
    let delimiter = match section.delimiter.as_deref() {
        None => defaults.delimiter,
        Some("tab" | "\\t" | "\t") => Some(b'\t'),
        Some(d) if d.len() == 1 && d.is_ascii() => Some(d.as_bytes()[0]),
        Some(d) => bail!("[sources.{stem}] delimiter '{d}': give one ASCII character, or \"tab\""),
    };
    let mut columns = BTreeMap::new();
    for (column, role) in section.columns {
        let role = Role::parse(&role)
            .map_err(|e| anyhow::anyhow!("[sources.{stem}.columns] \"{column}\": {e}"))?;
        columns.insert(column, role);
    }
    Ok(SourceSettings {
        name: section.name,
        country,
        read: ReadOptions {
            encoding: section.encoding.unwrap_or(defaults.encoding),
            delimiter,
            limits: defaults.limits,
        },
        columns,
        country_from: String::new(),
        channel: section.channel,
        shared_columns: BTreeMap::new(),
    })
}

fn guard_settings(section: GuardsSection) -> anyhow::Result<GuardSettings> {
    let defaults = GuardSettings::default();
    let kind_ok = |k: &str| {
        matches!(k, "email" | "phone" | "card" | crate::fuzzy::NAMESPACE)
            || k.strip_prefix("id:").is_some_and(|ns| !ns.is_empty())
    };
    for key in section
        .generic_names_by_kind
        .keys()
        .chain(section.caps.keys())
    {
        if !kind_ok(key) {
            bail!("[guards]: unknown kind \"{key}\" (kinds: email, phone, card, id:<namespace>)");
        }
    }
    for kind in section.name_check.iter().flatten() {
        if !(kind == "id" || kind_ok(kind)) {
            bail!(
                "[guards] name_check: unknown kind \"{kind}\" (kinds: email, phone, card, id, id:<namespace>)"
            );
        }
    }
    if let Some(order) = &section.priority {
        for kind in order {
            if !(kind == "id" || kind_ok(kind)) {
                bail!(
                    "[guards] priority: unknown kind \"{kind}\" (kinds: id, email, phone, card, id:<namespace>)"
                );
            }
        }
    }
    let similarity = section.name_similarity.unwrap_or(defaults.name_similarity);
    if !(0.0..=1.0).contains(&similarity) {
        bail!("[guards] name_similarity {similarity}: give a number between 0 and 1");
    }
    Ok(GuardSettings {
        generic_names: section.generic_names.unwrap_or(defaults.generic_names),
        generic_names_by_kind: section.generic_names_by_kind,
        generic_groups: section.generic_groups.unwrap_or(defaults.generic_groups),
        name_similarity: similarity,
        name_check: section.name_check.unwrap_or(defaults.name_check),
        landlines_place_nameless: section
            .landlines_place_nameless
            .unwrap_or(defaults.landlines_place_nameless),
        caps: section.caps,
        priority: section.priority.unwrap_or(defaults.priority),
        alarm_size: section.alarm_size,
        given_name_sources: Vec::new(),
    })
}

/// Accepts a two-letter ISO 3166 code in any case and returns it uppercased.
pub fn validate_country(code: &str) -> anyhow::Result<String> {
    let upper = code.trim().to_ascii_uppercase();
    if upper.len() != 2 || !upper.bytes().all(|b| b.is_ascii_uppercase()) {
        bail!("invalid country '{code}': give a two-letter ISO code such as RU, US, GB, DE");
    }
    Ok(upper)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn country_codes_are_uppercased_and_checked() {
        assert_eq!(validate_country("ru").unwrap(), "RU");
        assert!(validate_country("Russia").is_err());
    }

    mod properties {
        //! Issue 7: the config parser never panics, and a valid config survives a round trip
        //! through TOML (the fuzz target `fuzz/fuzz_targets/config.rs` explores further).
        use super::*;
        use proptest::prelude::*;

        fn limits() -> impl Strategy<Value = LimitsSection> {
            (
                proptest::option::of(1usize..100_000),
                proptest::option::of(0u64..1_000_000),
                proptest::option::of(1usize..50_000),
            )
                .prop_map(|(field, rows, columns)| LimitsSection {
                    max_field_bytes: field,
                    max_record_bytes: field.map(|f| f * 4),
                    max_rows: rows,
                    max_columns: columns,
                })
        }

        fn source() -> impl Strategy<Value = SourceSection> {
            let role =
                prop::sample::select(vec!["email", "phone", "card", "id:crm", "key", "ignore"]);
            (
                proptest::option::of("[a-z_]{1,8}"),
                proptest::option::of(prop::sample::select(vec!["RU", "US", "de"])),
                proptest::option::of(prop::sample::select(vec![",", ";", "tab", "|"])),
                proptest::collection::btree_map("[a-zA-Zа-я ]{1,10}", role, 0..4),
            )
                .prop_map(|(name, country, delimiter, columns)| SourceSection {
                    name,
                    country: country.map(str::to_owned),
                    encoding: None,
                    delimiter: delimiter.map(str::to_owned),
                    columns: columns
                        .into_iter()
                        .map(|(k, v)| (k, v.to_owned()))
                        .collect(),
                    channel: None,
                })
        }

        fn config() -> impl Strategy<Value = FileConfig> {
            (
                proptest::option::of(prop::sample::select(vec!["RU", "us", "KZ"])),
                limits(),
                proptest::collection::btree_map("[a-z0-9_.-]{1,8}", source(), 0..3),
                proptest::collection::vec("[a-z@.0-9+ ]{1,12}", 0..3),
                proptest::option::of(prop::sample::select(vec![
                    CsvEscape::Formulas,
                    CsvEscape::None,
                ])),
            )
                .prop_map(|(country, limits, sources, junk, csv_escape)| FileConfig {
                    country: country.map(str::to_owned),
                    limits,
                    sources,
                    junk: JunkSection { values: junk },
                    output: OutputSection { csv_escape },
                    ..FileConfig::default()
                })
        }

        proptest! {
            #[test]
            fn any_text_parses_or_fails_cleanly(text in "\\PC{0,200}") {
                if let Ok(file) = toml::from_str::<FileConfig>(&text) {
                    let _ = Settings::from_file(file);
                }
            }

            #[test]
            fn toml_shaped_text_parses_or_fails_cleanly(
                text in "(\\[(limits|sources\\.a|guards|email|output)\\]\n|[a-z_]{1,16} = (-?[0-9]{1,20}|\"[a-zA-Z;,]{0,4}\"|true|\\[\\])\n){0,8}"
            ) {
                if let Ok(file) = toml::from_str::<FileConfig>(&text) {
                    let _ = Settings::from_file(file);
                }
            }

            #[test]
            fn valid_configs_round_trip(file in config()) {
                let text = toml::to_string(&file).unwrap();
                let parsed: FileConfig = toml::from_str(&text).unwrap();
                prop_assert_eq!(toml::to_string(&parsed).unwrap(), text.clone());
                let settings = Settings::from_file(parsed).unwrap();
                prop_assert_eq!(settings.csv_escape, file.output.csv_escape.unwrap_or_default());
                let limits = file.limits.validate().unwrap();
                prop_assert_eq!(settings.read.limits, limits);
                for stem in file.sources.keys() {
                    prop_assert_eq!(settings.source(stem).read.limits, limits);
                }
            }
        }

        // See: #16 (the [output] section of the formula escape).
        #[test]
        fn issue_16_output_csv_escape_is_read_and_checked() {
            let file: FileConfig = toml::from_str("[output]\ncsv_escape = \"none\"\n").unwrap();
            assert_eq!(
                Settings::from_file(file).unwrap().csv_escape,
                CsvEscape::None
            );
            let err = toml::from_str::<FileConfig>("[output]\ncsv_escape = \"off\"\n")
                .unwrap_err()
                .to_string();
            assert!(err.contains("formulas") && err.contains("none"), "{err}");
            let default = Settings::from_file(FileConfig::default()).unwrap();
            assert_eq!(default.csv_escape, CsvEscape::Formulas);
        }

        #[test]
        fn limits_that_cannot_hold_a_field_are_refused() {
            let file: FileConfig =
                toml::from_str("[limits]\nmax_field_bytes = 100\nmax_record_bytes = 10\n").unwrap();
            let err = format!("{:#}", Settings::from_file(file).unwrap_err());
            assert_eq!(
                err,
                "[limits]: max_record_bytes (10) must be at least max_field_bytes (100)"
            );
        }
    }

    #[test]
    fn unknown_keys_are_refused() {
        let err = toml::from_str::<FileConfig>("countri = \"RU\"").unwrap_err();
        assert!(err.to_string().contains("countri"), "{err}");
    }
}
