//! The plan of a distributed run (`omni stage plan`): everything every task must agree on,
//! decided once on the driver and handed to each task as a JSON file.
//!
//! A task re-reading the inputs' headers or re-voting the phone regions on its own could decide
//! differently from its neighbours (it sees one file); the plan fixes the source order and
//! names, each file's column roles, format and phone region, the namespace numbering and the
//! settings fingerprint. Tasks rebuild the settings from the same read options and refuse to
//! run when the fingerprint differs (another config file, another omni version).

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

use crate::cli::ReadArgs;
use crate::config::Settings;
use crate::extract::{self, InputFile, Plan, PlannedColumn, PlannedFile};
use crate::input::{EncodingChoice, Format, detect::Role};
use crate::normalize::Normalizers;

/// The read options of the run, as given on the driver (paths made absolute).
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct ReadOptions {
    /// Every input file, expanded from folders.
    pub inputs: Vec<PathBuf>,
    /// The config file, absolute (`./omni.toml` resolved on the driver).
    pub config: Option<PathBuf>,
    /// `--country`.
    pub country: Option<String>,
    /// `--encoding`.
    pub encoding: Option<EncodingChoice>,
    /// `--delimiter`.
    pub delimiter: Option<u8>,
    /// `--max-field-bytes`.
    pub max_field_bytes: Option<usize>,
    /// `--max-rows`.
    pub max_rows: Option<u64>,
    /// `--id`.
    pub id: Vec<String>,
}

impl ReadOptions {
    /// The options as `ReadArgs`, for `Settings::from_cli`.
    pub fn args(&self) -> ReadArgs {
        ReadArgs {
            inputs: self.inputs.clone(),
            config: self.config.clone(),
            country: self.country.clone(),
            encoding: self.encoding,
            delimiter: self.delimiter,
            max_field_bytes: self.max_field_bytes,
            max_rows: self.max_rows,
            id: self.id.clone(),
        }
    }
}

/// One column of a planned source.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct ColumnPlan {
    /// Header name.
    pub name: String,
    /// Role.
    pub role: Role,
    /// Why that role.
    pub why: String,
}

/// One input file as the driver planned it.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct SourcePlan {
    /// Path (as the tasks open it).
    pub path: PathBuf,
    /// Source name in the outputs.
    pub name: String,
    /// How the file is read.
    pub format: Format,
    /// Phone region.
    pub region: extract::plan::Region,
    /// Column roles.
    pub columns: Vec<ColumnPlan>,
}

/// The plan file.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct StagePlan {
    /// The settings fingerprint (`state::fingerprint`): tasks check theirs against it.
    pub fingerprint: String,
    /// Read options.
    pub read: ReadOptions,
    /// Sources in run order (the index is the source number everywhere).
    pub sources: Vec<SourcePlan>,
    /// Namespace names by number, as the single-machine run numbers them.
    pub namespaces: Vec<String>,
    /// Per source: a one-word name is a given name (`extract::given_name_sources`).
    pub given_name: Vec<bool>,
    /// Per namespace: an identifier held by more records than this is a candidate generic
    /// identifier (`None`: never; see `stage::generic`).
    pub candidate_above: Vec<Option<u32>>,
}

impl StagePlan {
    /// Plans a run over `read` (on the driver).
    pub fn build(read: &ReadArgs) -> anyhow::Result<StagePlan> {
        let settings = Settings::from_cli(read)?;
        let normalizers = Normalizers::new(&settings)?;
        let (files, _) = extract::resolve_inputs(&read.inputs, &settings)?;
        settings.check_sources_exist(&files.iter().map(|f| f.stem.as_str()).collect::<Vec<_>>())?;
        let planned = extract::plan_inputs(&files, &normalizers, extract::SAMPLE_ROWS)?;
        let config = match &read.config {
            Some(path) => Some(absolute(path)?),
            None => Path::new("omni.toml")
                .exists()
                .then(|| absolute(Path::new("omni.toml")))
                .transpose()?,
        };
        let read_options = ReadOptions {
            inputs: files
                .iter()
                .map(|f| absolute(&f.path))
                .collect::<anyhow::Result<_>>()?,
            config,
            country: read.country.clone(),
            encoding: read.encoding,
            delimiter: read.delimiter,
            max_field_bytes: read.max_field_bytes,
            max_rows: read.max_rows,
            id: read.id.clone(),
        };
        let sources: Vec<SourcePlan> = files
            .iter()
            .zip(&planned)
            .zip(&read_options.inputs)
            .map(|((file, p), path)| SourcePlan {
                path: path.clone(),
                name: file.name.clone(),
                format: p.format.clone(),
                region: p.region.clone(),
                columns: p
                    .plan
                    .columns
                    .iter()
                    .map(|c| ColumnPlan {
                        name: c.name.clone(),
                        role: c.role.clone(),
                        why: c.why.clone(),
                    })
                    .collect(),
            })
            .collect();
        Ok(StagePlan::finish(settings, read_options, sources))
    }

    fn finish(settings: Settings, read: ReadOptions, sources: Vec<SourcePlan>) -> StagePlan {
        let mut namespaces: Vec<String> = ["email", "phone", "card"].map(str::to_owned).to_vec();
        for column in sources.iter().flat_map(|s| &s.columns) {
            for ns in extract::plan::namespaces_of(&column.role) {
                if !namespaces.contains(&ns) {
                    namespaces.push(ns);
                }
            }
        }
        let given_name = sources
            .iter()
            .map(|s| {
                let has = |role: Role| s.columns.iter().any(|c| c.role == role);
                !(has(Role::FirstName) && has(Role::LastName))
            })
            .collect();
        let guards = &settings.guards;
        let candidate_above = namespaces
            .iter()
            .map(|ns| {
                let limits = [guards.generic_limit(ns), guards.generic_groups];
                limits.into_iter().filter(|&l| l > 0).min()
            })
            .collect();
        StagePlan {
            fingerprint: crate::state::fingerprint(&settings),
            read,
            sources,
            namespaces,
            given_name,
            candidate_above,
        }
    }

    /// Reads a plan file.
    pub fn read(path: &Path) -> anyhow::Result<StagePlan> {
        let text =
            std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
        serde_json::from_slice(&text)
            .with_context(|| format!("{}: not a stage plan", path.display()))
    }

    /// Writes the plan file.
    pub fn write(&self, path: &Path) -> anyhow::Result<()> {
        let text = serde_json::to_vec_pretty(self)?;
        std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))
    }

    /// The settings the plan was made with, rebuilt here; an error when they differ from the
    /// driver's (another config, another omni build).
    pub fn settings(&self) -> anyhow::Result<Settings> {
        let settings = Settings::from_cli(&self.read.args())?;
        if crate::state::fingerprint(&settings) != self.fingerprint {
            bail!(
                "the settings here differ from the driver's (config {}, or another omni \
                 version): give every task the same omni binary and config file",
                self.read
                    .config
                    .as_deref()
                    .map_or("none".to_owned(), |p| p.display().to_string())
            );
        }
        Ok(settings)
    }

    /// The input files in run order, named as on the driver.
    pub fn files(&self, settings: &Settings) -> anyhow::Result<Vec<InputFile>> {
        let (files, _) = extract::resolve_inputs(&self.read.inputs, settings)?;
        let same = files.len() == self.sources.len()
            && files
                .iter()
                .zip(&self.sources)
                .all(|(f, s)| f.name == s.name);
        if !same {
            bail!("the input files here differ from the driver's (files moved or renamed?)");
        }
        Ok(files)
    }

    /// Source `index` as `extract` takes it.
    pub fn planned(&self, index: usize) -> PlannedFile {
        let source = &self.sources[index];
        PlannedFile {
            plan: Plan {
                columns: source
                    .columns
                    .iter()
                    .map(|c| PlannedColumn {
                        name: c.name.clone(),
                        role: c.role.clone(),
                        why: c.why.clone(),
                    })
                    .collect(),
            },
            region: source.region.clone(),
            format: source.format.clone(),
            sample: Vec::new(),
        }
    }

    /// The number of namespace `name`.
    pub fn namespace(&self, name: &str) -> anyhow::Result<u16> {
        self.namespaces
            .iter()
            .position(|n| n == name)
            .map(|i| i as u16)
            .with_context(|| format!("namespace {name} is not in the plan"))
    }
}

fn absolute(path: &Path) -> anyhow::Result<PathBuf> {
    std::path::absolute(path).with_context(|| format!("{}: cannot make absolute", path.display()))
}
