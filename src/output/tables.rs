//! The CSV layouts of `profiles.csv`, `links.csv` and `rejects.csv` (documented in the README).

use std::fs::File;
use std::io::BufWriter;

use crate::extract::{Extracted, NO_TIME};
use crate::graph::{Clusters, NONE};
use crate::normalize::datetime::format_timestamp;
use crate::profile::Profiles;

use super::OutDir;

/// The columns of `profiles.csv` (also read back by `omni explain`).
pub const PROFILES_HEADER: [&str; 12] = [
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
];

/// The columns of `edges.csv` (also read back by `omni explain`).
pub const EDGES_HEADER: [&str; 9] = [
    "profile_id",
    "source",
    "row",
    "record_key",
    "name",
    "parent_source",
    "parent_row",
    "via_kind",
    "via_value",
];

/// The columns of `refused.csv` (also read back by `omni explain`).
pub const REFUSED_HEADER: [&str; 7] = [
    "source",
    "row",
    "profile_id",
    "kind",
    "value",
    "rule",
    "detail",
];

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
    w.write_record(PROFILES_HEADER)?;
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
            ident => extracted.namespace_name(extracted.interner.namespace_of(ident)),
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

/// `edges.csv`: every profile's spanning tree, one row per record in breadth-first order from
/// the profile's root: which record it was reached from and through which identifier.
pub fn write_edges(
    out: &mut OutDir,
    extracted: &Extracted,
    clusters: &Clusters,
    profiles: &Profiles,
) -> anyhow::Result<()> {
    let mut w = csv_writer(out, "edges.csv")?;
    w.write_record(EDGES_HEADER)?;
    let records = &extracted.records;
    let source_name = |r: u32| {
        extracted.sources[records.source[r as usize] as usize]
            .name
            .as_str()
    };
    // Profiles by id; within a profile, the tree order `graph` produced.
    let mut start_of_profile: Vec<(u32, usize)> = Vec::new();
    for (pos, &r) in clusters.order.iter().enumerate() {
        if clusters.parent[r as usize] == NONE {
            start_of_profile.push((profiles.of_record[r as usize], pos));
        }
    }
    start_of_profile.sort_unstable();
    let (mut row, mut parent_row) = (itoa::Buffer::new(), itoa::Buffer::new());
    for (profile, start) in start_of_profile {
        let id = profiles.list[profile as usize].id.as_str();
        for &r in clusters.order[start..]
            .iter()
            .take_while(|&&r| profiles.of_record[r as usize] == profile)
        {
            let (parent, via) = (clusters.parent[r as usize], clusters.via[r as usize]);
            let (kind, value) = if via == NONE {
                ("", "")
            } else {
                let (ns, value) = extracted.interner.get(via);
                (extracted.namespace_name(ns), value)
            };
            w.write_record([
                id,
                source_name(r),
                row.format(records.row[r as usize]),
                records.key.get(r as usize).unwrap_or(""),
                records.name.get(r as usize).unwrap_or(""),
                if parent == NONE {
                    ""
                } else {
                    source_name(parent)
                },
                if parent == NONE {
                    ""
                } else {
                    parent_row.format(records.row[parent as usize])
                },
                kind,
                value,
            ])?;
        }
    }
    finish(w)
}

/// `refused.csv`: every record–identifier link an over-merge guard refused.
pub fn write_refused(
    out: &mut OutDir,
    extracted: &Extracted,
    clusters: &Clusters,
    profiles: &Profiles,
) -> anyhow::Result<()> {
    let mut w = csv_writer(out, "refused.csv")?;
    w.write_record(REFUSED_HEADER)?;
    let records = &extracted.records;
    let mut row = itoa::Buffer::new();
    for refused in &clusters.refused {
        let r = refused.record as usize;
        let profile = profiles.of_record[r];
        let (ns, value) = extracted.interner.get(refused.identifier);
        w.write_record([
            extracted.sources[records.source[r] as usize].name.as_str(),
            row.format(records.row[r]),
            if profile == NONE {
                ""
            } else {
                profiles.list[profile as usize].id.as_str()
            },
            extracted.namespace_name(ns),
            value,
            refused.rule.code(),
            refused.detail.as_str(),
        ])?;
    }
    finish(w)
}
