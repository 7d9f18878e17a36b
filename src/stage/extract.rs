//! `omni stage extract`: one input file to its records, as the Spark tasks carry them, and its
//! per-source summary (column reports, counts, rejects) for the report.

use std::path::Path;

use anyhow::Context;

use super::codec::{self, Record};
use super::plan::StagePlan;
use super::table::{self, Values};
use crate::extract::{self, RecordFields, Source};
use crate::normalize::Normalizers;
use crate::progress::Progress;
use crate::reject::RejectReason;

/// Joins the identifier keys of one record in the `ids` column (a normalized identifier never
/// holds a line break).
pub const KEY_SEPARATOR: char = '\n';

/// One rejected value or row of a source.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct RejectRow {
    /// 1-based row.
    pub row: u64,
    /// Column, empty for the row.
    pub column: String,
    /// The raw value.
    pub value: String,
    /// Why.
    pub reason: RejectReason,
}

/// What the report needs of one source besides its records.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct Summary {
    /// The source, with its column reports and counts.
    pub source: Source,
    /// Its rejects, in row order.
    pub rejects: Vec<RejectRow>,
}

/// Extracts source `index` of `plan` into `out`: `records.parquet` (columns `rec`, `ids`,
/// `name`, `blob`) and `summary.json`.
pub fn run(
    plan: &StagePlan,
    index: usize,
    out: &Path,
    progress: &dyn Progress,
) -> anyhow::Result<()> {
    let settings = plan.settings()?;
    let normalizers = Normalizers::new(&settings)?;
    let files = plan.files(&settings)?;
    let file = files
        .get(index)
        .with_context(|| format!("--source {index}: the plan has {} sources", files.len()))?;
    let extracted = extract::extract_planned(
        std::slice::from_ref(file),
        vec![plan.planned(index)],
        &normalizers,
        progress,
    )?;
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    write_records(plan, index as u16, &extracted, &out.join("records.parquet"))?;
    let summary = Summary {
        source: extracted.sources[0].clone(),
        rejects: extracted
            .rejects
            .into_iter()
            .map(|r| RejectRow {
                row: r.row,
                column: r.column,
                value: r.value,
                reason: r.reason,
            })
            .collect(),
    };
    let path = out.join("summary.json");
    std::fs::write(&path, serde_json::to_vec(&summary)?)
        .with_context(|| format!("cannot write {}", path.display()))
}

fn write_records(
    plan: &StagePlan,
    source: u16,
    extracted: &extract::Extracted,
    path: &Path,
) -> anyhow::Result<()> {
    let namespace: Vec<u16> = extracted
        .namespaces
        .iter()
        .map(|name| plan.namespace(name))
        .collect::<anyhow::Result<_>>()?;
    let records = &extracted.records;
    let n = records.len();
    let (mut keys, mut ids, mut names, mut blobs) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    for r in 0..n {
        let identifiers: Vec<(u16, String)> = records
            .identifiers_of(r as u32)
            .iter()
            .map(|&id| {
                let (ns, value) = extracted.interner.get(id);
                (namespace[ns as usize], value.to_owned())
            })
            .collect();
        let joined: Vec<String> = identifiers
            .iter()
            .map(|(ns, value)| codec::identifier_key(*ns, value))
            .collect();
        let record = Record {
            row: records.row.get(r),
            status: records.status[r],
            fields: RecordFields {
                key: records.key.get(r).map(str::to_owned),
                name: records.name.get(r).map(str::to_owned),
                time_min: records.time_min.get(r),
                time_max: records.time_max.get(r),
                amount: records.amount[r],
            },
            identifiers,
        };
        keys.push(codec::record_key(source, records.row.get(r)));
        ids.push((!joined.is_empty()).then(|| joined.join(&KEY_SEPARATOR.to_string())));
        names.push(record.fields.name.clone());
        blobs.push(codec::encode_record(&record));
    }
    table::write(
        path,
        vec![
            ("rec", Values::Int(keys)),
            ("ids", Values::Text(ids)),
            ("name", Values::Text(names)),
            ("blob", Values::Bytes(blobs)),
        ],
    )
}
