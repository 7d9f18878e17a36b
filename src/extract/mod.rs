//! From raw rows to records: apply each source's column plan, normalize identifiers in
//! parallel, intern them, and account for every row and rejected value.
//!
//! Takes the input files and settings; gives [`Extracted`]: the sources with their per-column
//! quality counts, the columnar [`Records`], the identifier [`Interner`] and the rejects.
//! Sources are processed in a fixed order (by source name, then path) and each batch's results
//! are appended in row order, so the output does not depend on the order of the command-line
//! arguments or on the number of threads. This module does not link records (see `graph`).

pub mod packed;
pub mod plan;
pub mod records;
pub mod shared;

use std::collections::BTreeMap;
use std::path::PathBuf;

use rayon::prelude::*;

use crate::config::{Settings, SourceSettings};
use crate::graph::intern::Interner;
use crate::input::detect::Role;
use crate::input::{self, BatchItem, Fields, Format, RowBatch, RowOutcome};
use crate::normalize::{Kind, Normalizers, amount, datetime};
use crate::progress::Progress;
use crate::reject::RejectReason;
pub use plan::{Plan, PlannedColumn};
pub use records::{NO_TIME, RecordFields, RecordRef, RecordStatus, Records};

/// Rows read and normalized per parallel batch.
const BATCH_ROWS: usize = 32 * 1024;
/// Rows used to detect column roles.
pub const SAMPLE_ROWS: usize = 500;

/// One input file with its resolved source name and settings.
#[derive(Clone, Debug)]
pub struct InputFile {
    /// Path as given or expanded.
    pub path: PathBuf,
    /// File stem (the config key).
    pub stem: String,
    /// Source name used in outputs.
    pub name: String,
    /// Settings for this source.
    pub settings: SourceSettings,
    /// The copy a pipe or device input is read from (`input::spool`, issue 16), shared by the
    /// clones of this file and removed with the last one.
    pub spool: Option<std::sync::Arc<input::spool::Spool>>,
}

impl InputFile {
    /// Opens the file (its spooled copy for a pipe) under its own path.
    pub fn open(&self) -> anyhow::Result<input::Table> {
        let read = self
            .spool
            .as_ref()
            .map_or(self.path.as_path(), |s| s.path());
        input::open_as(read, &self.path, &self.settings.read)
    }
}

/// Expands folders, drops repeated paths, names each source and sorts them by name.
/// Returns the files and warnings for the user (repeated files, renamed duplicates).
pub fn resolve_inputs(
    inputs: &[PathBuf],
    settings: &Settings,
) -> anyhow::Result<(Vec<InputFile>, Vec<String>)> {
    let (paths, mut warnings) = input::expand(inputs)?;
    let mut seen = std::collections::HashSet::new();
    let mut files = Vec::new();
    for path in paths {
        let canonical = std::fs::canonicalize(&path).unwrap_or_else(|_| path.clone());
        if !seen.insert(canonical) {
            warnings.push(format!(
                "{}: given more than once; read once",
                path.display()
            ));
            continue;
        }
        let stem = input::file_stem(&path);
        let source = settings.source(&stem);
        let mut source_settings = source.clone();
        if source_settings.country.is_some() {
            source_settings.country_from = format!("config [sources.{stem}]");
        } else if source_settings.country.is_none() {
            source_settings.country = settings.country.clone();
            source_settings.country_from = settings.country_from.clone();
        }
        let name = source.name.clone().unwrap_or_else(|| stem.clone());
        let spool = input::spool::Spool::of_stream(&path)?.map(std::sync::Arc::new);
        files.push(InputFile {
            path,
            stem,
            name,
            settings: source_settings,
            spool,
        });
    }
    files.sort_by(|a, b| (&a.name, &a.path).cmp(&(&b.name, &b.path)));
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for file in &mut files {
        let n = counts.entry(file.name.clone()).or_default();
        *n += 1;
        if *n > 1 {
            let renamed = format!("{}~{n}", file.name);
            warnings.push(format!(
                "{}: source name \"{}\" is taken by another file; using \"{renamed}\" \
                 (set [sources.{}] name = \"...\" in omni.toml)",
                file.path.display(),
                file.name,
                file.stem
            ));
            file.name = renamed;
        }
    }
    Ok((files, warnings))
}

/// Quality counts for one column.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ColumnReport {
    /// Header name.
    pub name: String,
    /// Role used.
    pub role: Role,
    /// Why that role.
    pub why: String,
    /// Non-empty values (identifier columns only; 0 otherwise).
    pub filled: u64,
    /// Values that normalized to a usable identifier.
    pub valid: u64,
    /// Rejected values by reason (junk values included as `junk_value`).
    pub rejected: BTreeMap<RejectReason, u64>,
    /// Of the valid values, local numbers without an area code (phone columns only; see
    /// `normalize::phone::local_number`).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub local: u64,
}

impl ColumnReport {
    /// Whether the column holds purchase amounts (the transactions section reads these).
    pub fn is_amount(&self) -> bool {
        self.role == Role::Amount
    }
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// One source after extraction (serialized into the state for incremental runs).
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct Source {
    /// Source (channel) name.
    pub name: String,
    /// File stem.
    pub stem: String,
    /// Path.
    pub path: PathBuf,
    /// How it was read.
    pub format: Format,
    /// Per-column roles and quality.
    pub columns: Vec<ColumnReport>,
    /// Rows read (every data row, readable or not).
    pub rows_read: u64,
    /// Rows that could not be read.
    pub rows_unreadable: u64,
    /// Rows without any usable identifier.
    pub rows_unidentified: u64,
    /// Default phone region and where it came from.
    pub region: plan::Region,
}

impl Source {
    /// The column plan the source was read with.
    pub fn plan(&self) -> Plan {
        Plan {
            columns: self
                .columns
                .iter()
                .map(|c| PlannedColumn {
                    name: c.name.clone(),
                    role: c.role.clone(),
                    why: c.why.clone(),
                })
                .collect(),
        }
    }

    /// Whether a column holds a person's name (the probabilistic pass links such a source even
    /// without an identifier column).
    pub fn has_person_name(&self) -> bool {
        self.columns
            .iter()
            .any(|c| matches!(c.role, Role::FirstName | Role::LastName | Role::FullName))
    }

    /// `Some(what to do)` when no column of the source is an identifier: it is read and
    /// accounted for, but links nobody (`Plan::no_identifier_hint`); `shared` is a column
    /// proposed as a shared id (`shared::find`), if any.
    pub fn no_identifier_hint(&self, shared: Option<&str>) -> Option<String> {
        let plan = self.plan();
        (!plan.has_identifier())
            .then(|| plan.no_identifier_hint(&self.path.display().to_string(), &self.stem, shared))
    }
}

/// For a run where some source links nobody: the hint of each such source, by source index,
/// proposing a shared id found among `files` when there is one (reads up to
/// `shared::find`'s rows of each file; nothing is read when every source has an identifier).
pub fn no_identifier_hints(
    files: &[InputFile],
    sources: &[Source],
) -> anyhow::Result<Vec<(usize, String)>> {
    if sources.iter().all(|s| s.plan().has_identifier()) {
        return Ok(Vec::new());
    }
    let plans: Vec<Plan> = files
        .iter()
        .map(|f| {
            sources.iter().find(|s| s.path == f.path).map_or(
                Plan {
                    columns: Vec::new(),
                },
                Source::plan,
            )
        })
        .collect();
    let shared = shared::find(files, &plans.iter().collect::<Vec<_>>())?;
    let proposal = shared.first().map(|s| s.column.as_str());
    Ok(sources
        .iter()
        .enumerate()
        .filter_map(|(i, s)| s.no_identifier_hint(proposal).map(|hint| (i, hint)))
        .collect())
}

/// Per source: whether a one-word name of it is a given name, for the name check
/// (`GuardSettings::given_name_sources`). It is unless the source has both a first-name and a
/// last-name column, where one word may be either part, the other left blank: an email
/// list's `first_name` holds given names, and so does a one-word full name (people type their
/// first name into an app's `name`).
pub fn given_name_sources(sources: &[Source]) -> Vec<bool> {
    sources
        .iter()
        .map(|s| {
            let has = |role: Role| s.columns.iter().any(|c| c.role == role);
            !(has(Role::FirstName) && has(Role::LastName))
        })
        .collect()
}

/// A value or row that could not be used.
#[derive(Clone, Debug, PartialEq)]
pub struct Reject {
    /// Source index.
    pub source: u16,
    /// 1-based data row.
    pub row: u64,
    /// Column name; empty for row-level rejects.
    pub column: String,
    /// The raw value (or raw row text for unreadable rows).
    pub value: String,
    /// Why.
    pub reason: RejectReason,
}

/// Everything the later stages need from the inputs.
#[derive(Debug, Default)]
pub struct Extracted {
    /// Sources in run order.
    pub sources: Vec<Source>,
    /// All records in run order.
    pub records: Records,
    /// Interned identifiers.
    pub interner: Interner,
    /// Namespace names by index (`email`, `phone`, `card`, `id:<ns>`).
    pub namespaces: Vec<String>,
    /// Rejected values and rows, in run order.
    pub rejects: Vec<Reject>,
}

impl Extracted {
    /// The kind name of a namespace, as written in `matched_by` (`email`, `id:crm`, ...).
    pub fn namespace_name(&self, namespace: u16) -> &str {
        &self.namespaces[namespace as usize]
    }
}

/// Reads every file and extracts its records.
pub fn extract(
    files: &[InputFile],
    normalizers: &Normalizers,
    progress: &dyn Progress,
) -> anyhow::Result<Extracted> {
    anyhow::ensure!(
        files.len() < u16::MAX as usize,
        "at most 65,534 input files per run"
    );
    let planned = plan_inputs(files, normalizers, SAMPLE_ROWS)?;
    extract_planned(files, planned, normalizers, progress)
}

/// `extract` with the plans already made (`plan_inputs_with_votes`, for incremental runs).
pub fn extract_planned(
    files: &[InputFile],
    planned: Vec<PlannedFile>,
    normalizers: &Normalizers,
    progress: &dyn Progress,
) -> anyhow::Result<Extracted> {
    let mut out = Extracted {
        namespaces: vec!["email".into(), "phone".into(), "card".into()],
        ..Extracted::default()
    };
    for (index, (file, planned)) in files.iter().zip(planned).enumerate() {
        let source = extract_file(index as u16, file, planned, normalizers, &mut out, progress)?;
        out.sources.push(source);
    }
    crate::normalize::phone::release_thread_utils();
    Ok(out)
}

/// What omni decided about one file from its header and first rows.
#[derive(Clone, Debug)]
pub struct PlannedFile {
    /// Column roles.
    pub plan: Plan,
    /// Default phone region.
    pub region: plan::Region,
    /// How the file is read.
    pub format: Format,
    /// The first rows (those that could be read), used for detection.
    pub sample: Vec<Vec<String>>,
}

/// Plans every file from its first `sample_rows` rows, then settles phone regions run-wide: a
/// file with a phone column but no region of its own (no config, no evidence in its sample, such
/// as a till export of bare national numbers) takes the region most of the run's other files
/// have, because exports of one business share one market.
pub fn plan_inputs(
    files: &[InputFile],
    normalizers: &Normalizers,
    sample_rows: usize,
) -> anyhow::Result<Vec<PlannedFile>> {
    let planned = plan_inputs_with_votes(files, normalizers, sample_rows, &[])?.0;
    check_shared_columns_exist(files, &planned)?;
    Ok(planned)
}

/// A `[columns]` or `--id` column that no input has is an error naming the columns that exist
/// (a typo would otherwise link nothing, silently).
fn check_shared_columns_exist(files: &[InputFile], planned: &[PlannedFile]) -> anyhow::Result<()> {
    let Some(first) = files.first() else {
        return Ok(());
    };
    let mut headers: Vec<&str> = planned
        .iter()
        .flat_map(|p| p.plan.columns.iter().map(|c| c.name.as_str()))
        .collect();
    for (column, (_, from)) in &first.settings.shared_columns {
        if !headers.contains(&column.as_str()) {
            headers.sort_unstable();
            headers.dedup();
            anyhow::bail!(
                "{from}: column \"{column}\" is in no input file; their columns are: {}",
                headers
                    .iter()
                    .map(|h| format!("\"{h}\""))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
    }
    Ok(())
}

/// `plan_inputs` for an incremental run: `prior_votes` are the regions of the sources already
/// in the state (those not themselves inferred run-wide), so the new files settle on the region
/// a full run over every file would. Also returns that run-wide region.
pub fn plan_inputs_with_votes(
    files: &[InputFile],
    normalizers: &Normalizers,
    sample_rows: usize,
    prior_votes: &[String],
) -> anyhow::Result<(Vec<PlannedFile>, Option<String>)> {
    let mut planned = Vec::with_capacity(files.len());
    for file in files {
        let (table, plan, sample) = plan_file(file, sample_rows)?;
        let region = source_region(file, &plan, &table.headers, &sample, normalizers);
        planned.push(PlannedFile {
            plan,
            region,
            format: table.format,
            sample,
        });
    }
    let mut votes: BTreeMap<&str, usize> = BTreeMap::new();
    for code in prior_votes {
        *votes.entry(code).or_default() += 1;
    }
    for p in &planned {
        if let Some(code) = &p.region.code {
            *votes.entry(code).or_default() += 1;
        }
    }
    let run_region = votes
        .iter()
        .max_by_key(|&(code, n)| (*n, std::cmp::Reverse(*code)))
        .map(|(code, _)| (*code).to_owned());
    if let Some(code) = &run_region {
        for p in &mut planned {
            let has_phone = p.plan.columns.iter().any(|c| c.role == Role::Phone);
            if p.region.code.is_none() && has_phone {
                p.region = plan::Region {
                    from: format!("{RUN_REGION_PREFIX} are {code}"),
                    code: Some(code.clone()),
                };
            }
        }
    }
    Ok((planned, run_region))
}

/// Where a region inferred from the run's other sources says so (see `plan_inputs`).
pub const RUN_REGION_PREFIX: &str = "inferred: the run's other sources";

/// How one identifier column is used.
#[derive(Clone, Debug)]
struct IdentifierColumn {
    column: usize,
    kind: Kind,
    namespace: u16,
    /// For phone columns: the namespace of local numbers (`phone::LOCAL_NAMESPACE`).
    local_namespace: Option<u16>,
}

/// A plan resolved to column indices.
#[derive(Clone, Debug, Default)]
struct Compiled {
    identifiers: Vec<IdentifierColumn>,
    key: Option<usize>,
    full_name: Vec<usize>,
    first_name: Option<usize>,
    middle_name: Option<usize>,
    last_name: Option<usize>,
    country: Option<usize>,
    timestamps: Vec<usize>,
    amounts: Vec<usize>,
    default_region: Option<String>,
}

fn compile(plan: &Plan, namespaces: &mut Vec<String>, default_region: Option<String>) -> Compiled {
    let mut compiled = Compiled {
        default_region,
        ..Compiled::default()
    };
    for (column, planned) in plan.columns.iter().enumerate() {
        if let Some((kind, _)) = plan::identifier_namespace(&planned.role) {
            let mut numbered = plan::namespaces_of(&planned.role)
                .into_iter()
                .map(|name| namespace_index(namespaces, &name));
            compiled.identifiers.push(IdentifierColumn {
                column,
                kind,
                namespace: numbered.next().expect("an identifier role has a namespace"),
                local_namespace: numbered.next(),
            });
            continue;
        }
        match planned.role {
            Role::Key if compiled.key.is_none() => compiled.key = Some(column),
            Role::FullName => compiled.full_name.push(column),
            Role::FirstName if compiled.first_name.is_none() => compiled.first_name = Some(column),
            Role::MiddleName if compiled.middle_name.is_none() => {
                compiled.middle_name = Some(column)
            }
            Role::LastName if compiled.last_name.is_none() => compiled.last_name = Some(column),
            Role::Country if compiled.country.is_none() => compiled.country = Some(column),
            Role::Timestamp => compiled.timestamps.push(column),
            Role::Amount => compiled.amounts.push(column),
            _ => {}
        }
    }
    compiled
}

/// The index of namespace `name`, added at the end when new.
fn namespace_index(namespaces: &mut Vec<String>, name: &str) -> u16 {
    let index = match namespaces.iter().position(|n| n == name) {
        Some(i) => i,
        None => {
            namespaces.push(name.to_owned());
            namespaces.len() - 1
        }
    };
    index as u16
}

/// One identifier value of a processed row; text spans point into [`Processed::text`].
#[derive(Clone, Copy, Debug, PartialEq)]
enum Value {
    Empty,
    /// The canonical value and its [`Interner::tag`], computed by the parallel workers so the
    /// sequential append stage only probes the interner.
    Valid(Span, u32),
    /// A local number of a phone column (in the column's local namespace), with its tag.
    Local(Span, u32),
    /// The reason and the raw value, trimmed.
    Rejected(RejectReason, Span),
}

/// A byte range of [`Processed::text`].
type Span = (usize, usize);

/// One row after normalization.
#[derive(Clone, Copy, Debug)]
struct ProcessedRow {
    row: u64,
    /// `Some` for a row that could not be read; `raw` is then its text.
    bad: Option<RejectReason>,
    raw: Span,
    key: Option<Span>,
    name: Option<Span>,
    time_min: i64,
    time_max: i64,
    amount: f64,
}

/// A run of rows after normalization, their strings gathered in one buffer: the parallel
/// workers allocate per chunk of rows, not per row or per value.
#[derive(Debug, Default)]
struct Processed {
    text: String,
    rows: Vec<ProcessedRow>,
    /// One value per identifier column for each readable row, in row then plan order.
    values: Vec<Value>,
    /// Amount and date cells that are not amounts or dates (issue 16), in row order.
    invalid: Vec<InvalidCell>,
}

/// A cell of an amount or date column that could not be read as one (see `process_row`).
#[derive(Clone, Copy, Debug)]
struct InvalidCell {
    /// Index of its row in `Processed::rows`.
    row: usize,
    /// The column in the plan.
    column: usize,
    reason: RejectReason,
    /// The trimmed cell.
    value: Span,
}

impl InvalidCell {
    /// Its entry in `rejects.csv`, in source `index`, data row `row`.
    fn reject(&self, index: u16, row: u64, plan: &Plan, chunk: &Processed) -> Reject {
        Reject {
            source: index,
            row,
            column: plan.columns[self.column].name.clone(),
            value: chunk.str(self.value).to_owned(),
            reason: self.reason,
        }
    }
}

impl Processed {
    /// Notes a cell of column `column` of the row being processed (the next one pushed) that
    /// is not an amount or date; a placeholder (`n/a`, `-`) is an empty cell, not a reject,
    /// except `NaN`.
    fn invalid_cell(
        &mut self,
        normalizers: &Normalizers,
        column: usize,
        reason: RejectReason,
        text: &str,
    ) {
        // `NaN` is a placeholder for a missing identifier, but in an amount or date column it
        // is a float that is not a number (a Parquet NaN reads so): said, not ignored.
        if normalizers.blocklist.is_placeholder(text) && !text.eq_ignore_ascii_case("nan") {
            return;
        }
        let value = self.push(text);
        let row = self.rows.len();
        self.invalid.push(InvalidCell {
            row,
            column,
            reason,
            value,
        });
    }

    fn push(&mut self, value: &str) -> Span {
        let start = self.text.len();
        self.text.push_str(value);
        (start, self.text.len())
    }

    fn str(&self, (start, end): Span) -> &str {
        &self.text[start..end]
    }

    /// The cell `raw` of an identifier column normalized straight into the text.
    fn normalize(
        &mut self,
        normalizers: &Normalizers,
        column: &IdentifierColumn,
        raw: &str,
        region: Option<&str>,
    ) -> Value {
        let start = self.text.len();
        match normalizers.normalize_into(column.kind, raw, region, &mut self.text) {
            None => Value::Empty,
            Some(Ok(())) => {
                let span = (start, self.text.len());
                Value::Valid(span, Interner::tag(column.namespace, self.str(span)))
            }
            Some(Err(reason)) => Value::Rejected(reason, self.push(raw.trim())),
        }
    }
}

/// Rows normalized per parallel task.
const CHUNK_ROWS: usize = 1024;

fn extract_file(
    index: u16,
    file: &InputFile,
    planned: PlannedFile,
    normalizers: &Normalizers,
    out: &mut Extracted,
    progress: &dyn Progress,
) -> anyhow::Result<Source> {
    let mut table = file.open()?;
    let bar = progress.file_meter(&file.name, table.size);
    let mut batch = RowBatch::default();
    let mut next = RowBatch::default();
    let mut more = table.rows.next_rows(BATCH_ROWS, &mut batch)?;
    let PlannedFile { plan, region, .. } = planned;
    let compiled = compile(&plan, &mut out.namespaces, region.code.clone());
    let mut source = new_source(file, table.format.clone(), &plan, region);
    let mut idents = Vec::new();
    let mut pending: Vec<Processed> = Vec::new();
    // Three stages overlap: reading batch k+1 (parsing, gunzipping), normalizing batch k in
    // parallel, and appending batch k-1 (interning, in run order).
    loop {
        let rows = &mut table.rows;
        let source = &mut source;
        let out = &mut *out;
        let idents = &mut idents;
        let ((read, processed), ()) = rayon::join(
            || {
                rayon::join(
                    || more.then(|| rows.next_rows(BATCH_ROWS, &mut next)),
                    || process_batch(&batch, &compiled, normalizers),
                )
            },
            || {
                for chunk in &pending {
                    append(index, chunk, &compiled, &plan, source, out, idents);
                }
            },
        );
        pending = processed;
        bar.set_position(table.rows.bytes_read());
        match read {
            Some(read) => {
                more = read?;
                std::mem::swap(&mut batch, &mut next);
            }
            None => batch.clear(),
        }
        if !more && pending.is_empty() {
            break;
        }
    }
    bar.finish();
    Ok(source)
}

/// The report of `file` before any row is read: its columns as planned, nothing counted.
fn new_source(file: &InputFile, format: Format, plan: &Plan, region: plan::Region) -> Source {
    Source {
        name: file.name.clone(),
        stem: file.stem.clone(),
        path: file.path.clone(),
        format,
        columns: plan
            .columns
            .iter()
            .map(|c| ColumnReport {
                name: c.name.clone(),
                role: c.role.clone(),
                why: c.why.clone(),
                filled: 0,
                valid: 0,
                rejected: BTreeMap::new(),
                local: 0,
            })
            .collect(),
        rows_read: 0,
        rows_unreadable: 0,
        rows_unidentified: 0,
        region,
    }
}

/// Normalizes a batch on every thread, [`CHUNK_ROWS`] rows per task, chunks in row order.
fn process_batch(
    batch: &RowBatch,
    compiled: &Compiled,
    normalizers: &Normalizers,
) -> Vec<Processed> {
    let starts: Vec<usize> = (0..batch.len()).step_by(CHUNK_ROWS).collect();
    starts
        .par_iter()
        .map(|&start| {
            let end = (start + CHUNK_ROWS).min(batch.len());
            let range = start..end;
            process_rows(batch, range, compiled, normalizers)
        })
        .collect::<Vec<Processed>>()
}

/// Appends processed rows to the records, the interner, the stats and the rejects.
fn append(
    index: u16,
    chunk: &Processed,
    compiled: &Compiled,
    plan: &Plan,
    source: &mut Source,
    out: &mut Extracted,
    idents: &mut Vec<u32>,
) {
    let mut to = Appender {
        index,
        chunk,
        plan,
        source,
        out,
    };
    let width = compiled.identifiers.len();
    let mut values = chunk.values.chunks_exact(width.max(1));
    let mut invalid = chunk.invalid.iter().peekable();
    for (i, row) in chunk.rows.iter().enumerate() {
        while let Some(cell) = invalid.next_if(|c| c.row == i) {
            to.out
                .rejects
                .push(cell.reject(index, row.row, plan, chunk));
        }
        to.source.rows_read += 1;
        if let Some(reason) = row.bad {
            to.unreadable(row, reason);
            continue;
        }
        let row_values = if width == 0 {
            &[][..]
        } else {
            values.next().expect("one set of values per readable row")
        };
        idents.clear();
        for (column, value) in compiled.identifiers.iter().zip(row_values) {
            to.value(row, column, value, idents);
        }
        to.record(row, idents);
    }
}

/// What [`append`] adds a chunk's rows to.
struct Appender<'a> {
    /// The source's index.
    index: u16,
    chunk: &'a Processed,
    plan: &'a Plan,
    source: &'a mut Source,
    out: &'a mut Extracted,
}

impl Appender<'_> {
    /// A row that could not be read: an unreadable record and its reject.
    fn unreadable(&mut self, row: &ProcessedRow, reason: RejectReason) {
        self.source.rows_unreadable += 1;
        let fields = RecordRef {
            key: None,
            name: None,
            time_min: NO_TIME,
            time_max: NO_TIME,
            amount: f64::NAN,
        };
        self.out
            .records
            .push_ref(self.index, row.row, RecordStatus::Unreadable, &fields, &[]);
        self.out.rejects.push(Reject {
            source: self.index,
            row: row.row,
            column: String::new(),
            value: self.chunk.str(row.raw).to_owned(),
            reason,
        });
    }

    /// One identifier cell of `row`: counted in its column's report, then interned (its id
    /// added to `idents` once) or noted as a reject.
    #[inline]
    fn value(
        &mut self,
        row: &ProcessedRow,
        column: &IdentifierColumn,
        value: &Value,
        idents: &mut Vec<u32>,
    ) {
        let report = &mut self.source.columns[column.column];
        match *value {
            Value::Empty => {}
            Value::Valid(span, tag) | Value::Local(span, tag) => {
                let local = matches!(value, Value::Local(..));
                report.filled += 1;
                report.valid += 1;
                report.local += u64::from(local);
                let namespace = match local {
                    true => column
                        .local_namespace
                        .expect("local numbers only come from phone columns"),
                    false => column.namespace,
                };
                let id = self
                    .out
                    .interner
                    .intern_tagged(namespace, self.chunk.str(span), tag);
                if !idents.contains(&id) {
                    idents.push(id);
                }
            }
            Value::Rejected(reason, span) => {
                report.filled += 1;
                *report.rejected.entry(reason).or_default() += 1;
                self.out.rejects.push(Reject {
                    source: self.index,
                    row: row.row,
                    column: self.plan.columns[column.column].name.clone(),
                    value: self.chunk.str(span).to_owned(),
                    reason,
                });
            }
        }
    }

    /// The record of a readable row with identifiers `idents` (a reject when it has none).
    #[inline]
    fn record(&mut self, row: &ProcessedRow, idents: &[u32]) {
        let status = if idents.is_empty() {
            self.source.rows_unidentified += 1;
            self.out.rejects.push(Reject {
                source: self.index,
                row: row.row,
                column: String::new(),
                value: String::new(),
                reason: RejectReason::NoIdentifier,
            });
            RecordStatus::Unidentified
        } else {
            RecordStatus::Identified
        };
        let fields = RecordRef {
            key: row.key.map(|s| self.chunk.str(s)),
            name: row.name.map(|s| self.chunk.str(s)),
            time_min: row.time_min,
            time_max: row.time_max,
            amount: row.amount,
        };
        self.out
            .records
            .push_ref(self.index, row.row, status, &fields, idents);
    }
}

/// Normalizes rows `range` of `batch`.
fn process_rows(
    batch: &RowBatch,
    range: std::ops::Range<usize>,
    compiled: &Compiled,
    normalizers: &Normalizers,
) -> Processed {
    let mut out = Processed {
        text: String::with_capacity(range.len() * 48),
        rows: Vec::with_capacity(range.len()),
        values: Vec::with_capacity(range.len() * compiled.identifiers.len()),
        invalid: Vec::new(),
    };
    for i in range {
        match batch.get(i) {
            BatchItem::Bad {
                row, reason, raw, ..
            } => {
                let raw = out.push(raw);
                out.rows.push(ProcessedRow {
                    row,
                    bad: Some(reason),
                    raw,
                    key: None,
                    name: None,
                    time_min: NO_TIME,
                    time_max: NO_TIME,
                    amount: f64::NAN,
                });
            }
            BatchItem::Row { row, fields, .. } => {
                process_row(row, fields, compiled, normalizers, &mut out);
            }
        }
    }
    out
}

fn process_row(
    row: u64,
    fields: Fields<'_>,
    compiled: &Compiled,
    normalizers: &Normalizers,
    out: &mut Processed,
) {
    let cell = |i: usize| fields.get(i).map(str::trim).filter(|s| !s.is_empty());
    let region = compiled
        .country
        .and_then(cell)
        .or(compiled.default_region.as_deref());
    for column in &compiled.identifiers {
        let raw = fields.get(column.column).unwrap_or("");
        // No cache of parsed phones: issue 19 measured one (per worker, arena-backed) on both
        // benchmark sets at 1M people, and parsing every cell took 19-21% less extract CPU
        // (most phone cells are distinct; a lookup in a table of a million entries misses the
        // CPU caches and costs about what the fast path or a parse does).
        let value = out.normalize(normalizers, column, raw, region);
        let value = match column.kind {
            Kind::Phone => local_or(value, raw, column, out),
            _ => value,
        };
        out.values.push(value);
    }
    let (time_min, time_max) = row_times(compiled, &cell, normalizers, out);
    let amount = row_amount(compiled, &cell, normalizers, out);
    let key = compiled.key.and_then(cell).map(|k| out.push(k));
    let name = display_name(compiled, &cell, &mut out.text);
    out.rows.push(ProcessedRow {
        row,
        bad: None,
        raw: (0, 0),
        key,
        name,
        time_min,
        time_max,
        amount,
    });
}

/// The earliest and latest date of the row's date columns (`NO_TIME` without one); a cell
/// that is not a date is noted as `date_invalid` (issue 16).
fn row_times<'a>(
    compiled: &Compiled,
    cell: &impl Fn(usize) -> Option<&'a str>,
    normalizers: &Normalizers,
    out: &mut Processed,
) -> (i64, i64) {
    let (mut time_min, mut time_max) = (NO_TIME, NO_TIME);
    for &i in &compiled.timestamps {
        let Some(text) = cell(i) else { continue };
        match datetime::parse_timestamp(text) {
            Some(t) => {
                time_min = if time_min == NO_TIME {
                    t
                } else {
                    time_min.min(t)
                };
                time_max = time_max.max(t);
            }
            None => out.invalid_cell(normalizers, i, RejectReason::DateInvalid, text),
        }
    }
    (time_min, time_max)
}

/// The row's amount: its first amount column holding one (NaN without); a cell that is not an
/// amount is noted as `amount_invalid` (issue 16).
fn row_amount<'a>(
    compiled: &Compiled,
    cell: &impl Fn(usize) -> Option<&'a str>,
    normalizers: &Normalizers,
    out: &mut Processed,
) -> f64 {
    let mut amount = f64::NAN;
    for &i in &compiled.amounts {
        let Some(text) = cell(i) else { continue };
        match parse_amount(text) {
            Some(value) if amount.is_nan() => amount = value,
            Some(_) => {}
            None => out.invalid_cell(normalizers, i, RejectReason::AmountInvalid, text),
        }
    }
    amount
}

/// A rejected phone that is a local number (`phone::local_number`) becomes a value of the
/// column's local namespace; anything else is kept as it is (junk stays junk).
fn local_or(value: Value, raw: &str, column: &IdentifierColumn, out: &mut Processed) -> Value {
    let (Value::Rejected(reason, _), Some(namespace)) = (value, column.local_namespace) else {
        return value;
    };
    if reason == RejectReason::JunkValue {
        return value;
    }
    match crate::normalize::phone::local_number(raw) {
        Some(local) => {
            let span = out.push(&local);
            Value::Local(span, Interner::tag(namespace, &local))
        }
        None => value,
    }
}

/// `amount::parse_amount` with a fast path for the commonest spellings, skipping its
/// lowercasing, currency scan and allocations: digits with spaces between them (`2 068`), then
/// optionally `.` or `,` and one or two decimals (`1234.56`, `2 068,57`, `284,70`). That parser
/// reads each of these as the digits without spaces, the separator as a decimal point, then the
/// decimals, which is the text built here; longer cells (whose digits could overflow to
/// infinity, which it refuses) and every other shape go to it.
fn parse_amount(cell: &str) -> Option<f64> {
    const MAX: usize = 32;
    let bytes = cell.as_bytes();
    let int_len = bytes
        .iter()
        .take_while(|&&b| b.is_ascii_digit() || b == b' ')
        .count();
    let int_part = &bytes[..int_len];
    let plain = bytes.len() <= MAX
        && int_part.first().is_some_and(u8::is_ascii_digit)
        && int_part.last().is_some_and(u8::is_ascii_digit)
        && match &bytes[int_len..] {
            [] => true,
            [b'.' | b',', fraction @ ..] => {
                (1..=2).contains(&fraction.len()) && fraction.iter().all(u8::is_ascii_digit)
            }
            _ => false,
        };
    if !plain {
        return amount::parse_amount(cell);
    }
    let mut text = [0u8; MAX + 1];
    let mut len = 0;
    for &b in int_part.iter().filter(|b| b.is_ascii_digit()) {
        text[len] = b;
        len += 1;
    }
    text[len] = b'.';
    len += 1;
    for &b in bytes.get(int_len + 1..).unwrap_or_default() {
        text[len] = b;
        len += 1;
    }
    std::str::from_utf8(&text[..len])
        .expect("ASCII digits and a dot")
        .parse()
        .ok()
}

/// Appends the record's name to `text` and returns its span: the first non-empty full-name
/// column, else first, middle and last name joined; whitespace runs collapsed to one space
/// (the words of every part, in order, joined by single spaces).
fn display_name<'a>(
    compiled: &Compiled,
    cell: &impl Fn(usize) -> Option<&'a str>,
    text: &mut String,
) -> Option<Span> {
    let start = text.len();
    let mut words = |part: &str| {
        for word in part.split_whitespace() {
            if text.len() > start {
                text.push(' ');
            }
            text.push_str(word);
        }
    };
    match compiled.full_name.iter().find_map(|&i| cell(i)) {
        Some(full) => words(full),
        None => [
            compiled.first_name,
            compiled.middle_name,
            compiled.last_name,
        ]
        .into_iter()
        .flatten()
        .filter_map(cell)
        .for_each(words),
    }
    (text.len() > start).then_some((start, text.len()))
}

/// The source's default phone region: configured (`--country` or config), else inferred.
pub fn source_region(
    file: &InputFile,
    plan: &Plan,
    headers: &[String],
    sample: &[Vec<String>],
    normalizers: &Normalizers,
) -> plan::Region {
    match &file.settings.country {
        Some(code) => plan::Region {
            code: Some(code.clone()),
            from: file.settings.country_from.clone(),
        },
        None => plan::infer_region(plan, headers, sample, normalizers),
    }
}

/// Used by `inspect`: the plan of a file from its first rows, without reading it whole.
pub fn plan_file(
    file: &InputFile,
    sample_rows: usize,
) -> anyhow::Result<(input::Table, Plan, Vec<Vec<String>>)> {
    let mut table = file.open()?;
    refuse_mapped_skipped_columns(file, &table.format)?;
    let mut batch = Vec::new();
    table.rows.next_batch(sample_rows, &mut batch)?;
    let sample: Vec<Vec<String>> = batch
        .into_iter()
        .filter_map(|r| match r {
            RowOutcome::Row { fields, .. } => Some(fields),
            RowOutcome::Bad { .. } => None,
        })
        .collect();
    let path = file.path.display().to_string();
    let plan = Plan::build(&path, &file.stem, &table.headers, &sample, &file.settings)?;
    Ok((table, plan, sample))
}

/// A column the reader left out (a Parquet list, map or struct; issue 16) that the config gives
/// a role is an error naming it: the user asked for it, and it cannot be read.
fn refuse_mapped_skipped_columns(file: &InputFile, format: &Format) -> anyhow::Result<()> {
    let mapped = format.skipped.iter().find(|c| {
        file.settings
            .columns
            .get(&c.name)
            .is_some_and(|role| *role != Role::Ignore)
    });
    if let Some(column) = mapped {
        anyhow::bail!(
            "{}: config [sources.{}.columns] gives column \"{}\" a role, but its type is {} \
             ({}), which omni cannot read: export it as a text column, or remove the line",
            file.path.display(),
            file.stem,
            column.name,
            column.dtype,
            column.kind
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amount_fast_path_agrees_with_the_parser() {
        let cases = [
            "0",
            "7",
            "007",
            "0.00",
            "1234.5",
            "1234.56",
            "1234.567",
            "1.234",
            "12.",
            ".5",
            "1,5",
            "2 068,57",
            "-3.00",
            "99999999999999999999.99",
            "1e5",
            "١٢",
            "284,70",
            "2 068,57",
            "12 345 678,9",
            "1  234,5",
            "1 ,50",
            "1 234,567",
            "1 234.",
            " 12",
            "12 ",
            "0,5",
            "00,05",
            "123456789012345678901234567890,12",
            "1234567890123456789012345678901234567890",
        ];
        for case in cases {
            assert_eq!(
                parse_amount(case).map(f64::to_bits),
                amount::parse_amount(case).map(f64::to_bits),
                "{case}"
            );
        }
    }

    proptest::proptest! {
        #[test]
        fn amount_fast_path_agrees_on_digit_strings(cell in "[0-9]{1,18}(\\.[0-9]{0,4})?") {
            proptest::prop_assert_eq!(
                parse_amount(&cell).map(f64::to_bits),
                amount::parse_amount(&cell).map(f64::to_bits)
            );
        }

        /// Spaces between the digits and a comma or dot: the shapes of the till exports
        /// (`2 068,57`), and near misses (spaces at the ends, three decimals, long runs).
        #[test]
        fn amount_fast_path_agrees_on_spaced_digits(
            cell in "[0-9 ]{1,40}([.,][0-9]{0,4})?[ ]?"
        ) {
            proptest::prop_assert_eq!(
                parse_amount(&cell).map(f64::to_bits),
                amount::parse_amount(&cell).map(f64::to_bits)
            );
        }
    }

    /// Values normalized straight into a chunk's text: the text `normalize` returns, the
    /// interner's tag of it, rejects keeping the trimmed cell, and earlier values untouched.
    #[test]
    fn values_written_into_the_chunk_match_the_normalizers() {
        let normalizers = Normalizers::new(&crate::config::Settings::default()).unwrap();
        let mut out = Processed::default();
        let mut seen = Vec::new();
        for (kind, namespace) in [(Kind::Email, 0), (Kind::Card, 2), (Kind::Id, 3)] {
            let column = IdentifierColumn {
                column: 0,
                kind,
                namespace,
                local_namespace: None,
            };
            for raw in [
                " Ivan.Petrov+x@GMAIL.com ",
                "a.b@ya.ru",
                "test@test.com",
                "n/a",
                "",
                "no-at-sign",
                "CARD 000123",
                "1111",
                "12345.0",
            ] {
                let value = out.normalize(&normalizers, &column, raw, None);
                match (normalizers.normalize(kind, raw, None), value) {
                    (None, Value::Empty) => {}
                    (Some(Ok(want)), Value::Valid(span, tag)) => {
                        assert_eq!(out.str(span), want, "{kind} {raw:?}");
                        assert_eq!(tag, Interner::tag(namespace, &want), "{kind} {raw:?}");
                    }
                    (Some(Err(want)), Value::Rejected(reason, span)) => {
                        assert_eq!(reason, want, "{kind} {raw:?}");
                        assert_eq!(out.str(span), raw.trim(), "{kind} {raw:?}");
                    }
                    (want, got) => panic!("{kind} {raw:?}: {got:?}, want {want:?}"),
                }
                seen.push((value, out.text.len()));
            }
        }
        for (value, _) in &seen {
            if let Value::Valid(span, _) | Value::Rejected(_, span) = *value {
                assert!(span.1 <= out.text.len() && out.text.is_char_boundary(span.0));
            }
        }
        assert!(
            seen.windows(2).all(|w| w[0].1 <= w[1].1),
            "the text only grows"
        );
    }
}
