//! The CSV layouts of `profiles.csv`, `links.csv` and `rejects.csv` (documented in the README).

use std::fs::File;
use std::io::BufWriter;

use crate::extract::{Extracted, NO_TIME};
use crate::graph::{Clusters, NONE};
use crate::normalize::datetime::format_timestamp;
use crate::profile::Profiles;

use super::OutDir;

/// Separator between the values of a multi-valued cell.
const LIST_SEPARATOR: &str = "|";

fn csv_writer(out: &mut OutDir, name: &str) -> anyhow::Result<csv::Writer<BufWriter<File>>> {
    Ok(csv::WriterBuilder::new().from_writer(out.file(name)?))
}

fn finish(writer: csv::Writer<BufWriter<File>>) -> anyhow::Result<()> {
    let inner = writer.into_inner().map_err(|e| e.into_error())?;
    OutDir::finish(inner)
}

/// `profiles.csv`: one row per golden profile, ordered by id.
pub fn write_profiles(
    out: &mut OutDir,
    extracted: &Extracted,
    profiles: &Profiles,
) -> anyhow::Result<()> {
    let mut w = csv_writer(out, "profiles.csv")?;
    w.write_record([
        "profile_id",
        "name",
        "records",
        "sources",
        "emails",
        "phones",
        "cards",
        "ids",
        "first_seen",
        "last_seen",
        "purchases",
        "amount_total",
    ])?;
    let mut lists: [Vec<&str>; 3] = Default::default();
    let mut ids: Vec<String> = Vec::new();
    for profile in &profiles.list {
        lists.iter_mut().for_each(Vec::clear);
        ids.clear();
        for &ident in &profile.identifiers {
            let (namespace, value) = extracted.interner.get(ident);
            match namespace {
                0..=2 => lists[namespace as usize].push(value),
                _ => ids.push(format!(
                    "{}:{value}",
                    extracted
                        .namespace_name(namespace)
                        .trim_start_matches("id:")
                )),
            }
        }
        let sources: Vec<&str> = profile
            .sources
            .iter()
            .map(|&s| extracted.sources[s as usize].name.as_str())
            .collect();
        let time = |t: i64| {
            if t == NO_TIME {
                String::new()
            } else {
                format_timestamp(t)
            }
        };
        let amount = if profile.purchases == 0 {
            String::new()
        } else {
            format!("{:.2}", profile.amount_total)
        };
        w.write_record([
            profile.id.as_str(),
            profile.name.as_deref().unwrap_or(""),
            &profile.records.len().to_string(),
            &sources.join(LIST_SEPARATOR),
            &lists[0].join(LIST_SEPARATOR),
            &lists[1].join(LIST_SEPARATOR),
            &lists[2].join(LIST_SEPARATOR),
            &ids.join(LIST_SEPARATOR),
            &time(profile.first_seen),
            &time(profile.last_seen),
            &profile.purchases.to_string(),
            &amount,
        ])?;
    }
    finish(w)
}

/// `links.csv`: one row per input record, in run order (sources by name, then row).
pub fn write_links(
    out: &mut OutDir,
    extracted: &Extracted,
    clusters: &Clusters,
    profiles: &Profiles,
) -> anyhow::Result<()> {
    let mut w = csv_writer(out, "links.csv")?;
    w.write_record(["source", "row", "record_key", "profile_id", "matched_by"])?;
    let records = &extracted.records;
    let mut row_text = itoa::Buffer::new();
    for record in 0..records.len() {
        let profile = profiles.of_record[record];
        let profile_id = if profile == NONE {
            ""
        } else {
            profiles.list[profile as usize].id.as_str()
        };
        let matched_by = match clusters.matched_by[record] {
            NONE => "",
            pos => {
                let ident = records.identifiers_of(record as u32)[pos as usize];
                extracted.namespace_name(extracted.interner.get(ident).0)
            }
        };
        w.write_record([
            extracted.sources[records.source[record] as usize]
                .name
                .as_str(),
            row_text.format(records.row[record]),
            records.key.get(record).unwrap_or(""),
            profile_id,
            matched_by,
        ])?;
    }
    finish(w)
}

/// `rejects.csv`: every rejected value and row, in run order.
pub fn write_rejects(out: &mut OutDir, extracted: &Extracted) -> anyhow::Result<()> {
    let mut w = csv_writer(out, "rejects.csv")?;
    w.write_record(["source", "row", "column", "value", "reason"])?;
    let mut row_text = itoa::Buffer::new();
    for reject in &extracted.rejects {
        w.write_record([
            extracted.sources[reject.source as usize].name.as_str(),
            row_text.format(reject.row),
            reject.column.as_str(),
            reject.value.as_str(),
            reject.reason.code(),
        ])?;
    }
    finish(w)
}
