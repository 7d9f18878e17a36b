//! `--incremental`: the saved normalized records of every file seen so far, plus the new files,
//! put together exactly as a full run over all of them would have extracted them.
//!
//! A full run orders sources by name then path, names duplicates `name~2`, settles phone
//! regions by a vote of all files, interns identifiers in first-seen order and appends
//! records and rejects source by source. This module replays those rules over
//! (saved sources + new files): the new files are read and normalized (the expensive part);
//! the saved ones are copied record by record, re-interning their identifiers in the combined
//! order. Linking, guards and profiles then run on the whole, so the result is the same as a
//! full run, guards included. A new file with the same canonical path as a saved source
//! replaces it. When the new files would change the region inferred for a saved source, the
//! saved records are stale and the run stops with a hint to run in full once. Saved sources
//! whose file was renamed or deleted, and `--forget-source`, are checked first (`moved`).

use std::collections::BTreeMap;

use anyhow::bail;

use crate::config::Settings;
use crate::disk::canonical;
use crate::extract::records::RecordRef;
use crate::extract::{self, Extracted, InputFile, RUN_REGION_PREFIX, Reject, Source};
use crate::graph::NONE;
use crate::graph::carry::Lineage;
use crate::input::detect::Role;
use crate::normalize::Normalizers;
use crate::output::reuse::SavedSources;
use crate::progress::Progress;

use super::Snapshot;

/// Where one source of the combined run comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Origin {
    /// Source `i` of the saved snapshot.
    Saved(usize),
    /// File `i` of the new inputs.
    New(usize),
}

/// One source of the combined run, before renaming.
#[derive(Debug)]
struct Entry {
    base_name: String,
    path: String,
    canonical: String,
    fingerprint: String,
    origin: Origin,
}

/// A source's name before `~n` renaming: the config's name or the file stem.
pub fn base_name(file: &InputFile, settings: &Settings) -> String {
    settings
        .source(&file.stem)
        .name
        .clone()
        .unwrap_or_else(|| file.stem.clone())
}

/// Reads the new files and combines them with the saved records. Returns the combined snapshot,
/// warnings for the user (replaced files, renamed sources), when the state holds the previous
/// link result what `graph::carry` needs to carry it, and which sources are saved ones (for
/// `output::reuse`).
pub fn run(
    mut saved: Snapshot,
    mut files: Vec<InputFile>,
    settings: &Settings,
    normalizers: &Normalizers,
    forget: &[String],
    progress: &dyn Progress,
) -> anyhow::Result<(Snapshot, Vec<String>, Option<Lineage>, SavedSources)> {
    let (entries, warnings) = entries(&saved, &files, settings, forget)?;
    let names = source_names(&entries);
    for (entry, name) in entries.iter().zip(&names) {
        if let Origin::New(i) = entry.origin {
            files[i].name = name.clone();
        }
    }
    let sources = saved_sources(&saved, &entries, &names);
    let prior_votes = prior_votes(&saved, &entries);
    let (planned, run_region) =
        extract::plan_inputs_with_votes(&files, normalizers, extract::SAMPLE_ROWS, &prior_votes)?;
    check_saved_regions(&saved, &entries, run_region.as_deref())?;
    let new = extract::extract_planned(&files, planned, normalizers, progress)?;
    // Raw components of the saved run, before a replaced file's records are left out.
    let links = saved.links.take().map(|clusters| {
        let components = crate::graph::carry::raw_components(
            &saved.extracted.records,
            saved.identifier_count(),
            &clusters,
        );
        (clusters, components)
    });
    // (`saved` and `new` are consumed: their rejects' texts move instead of being copied.)
    let started = std::time::Instant::now();
    let (combined, records, identifiers) = combine(saved, new, &entries, &names);
    progress.timing("combine", started);
    let lineage = links.map(|(clusters, components)| Lineage {
        clusters,
        components,
        records,
        identifiers,
    });
    Ok((combined, warnings, lineage, sources))
}

/// The sources of the combined run in the order `extract::resolve_inputs` gives all files: the
/// saved ones still in use (not forgotten, not read again) and the new files. Also the warnings
/// of `moved::check` and one per saved source read again.
fn entries(
    saved: &Snapshot,
    files: &[InputFile],
    settings: &Settings,
    forget: &[String],
) -> anyhow::Result<(Vec<Entry>, Vec<String>)> {
    let new_canonical: Vec<String> = files.iter().map(|f| canonical(&f.path)).collect();
    let fingerprints: Vec<String> = files
        .iter()
        .map(|f| super::moved::content_fingerprint(&f.path))
        .collect();
    let new = super::moved::NewFiles {
        paths: files.iter().map(|f| f.path.as_path()).collect(),
        canonical: &new_canonical,
        fingerprints: &fingerprints,
    };
    let super::moved::SavedSourcesCheck {
        forgotten,
        mut warnings,
    } = super::moved::check(saved, &new, forget)?;
    let mut entries: Vec<Entry> = Vec::new();
    for (i, source) in saved.extracted.sources.iter().enumerate() {
        let canonical = saved.canonical_paths[i].clone();
        if forgotten[i] {
            continue;
        }
        if new_canonical.contains(&canonical) {
            warnings.push(format!(
                "{}: read again; its records replace those saved in the state",
                source.path.display()
            ));
            continue;
        }
        entries.push(saved_entry(saved, i, canonical));
    }
    for (i, file) in files.iter().enumerate() {
        entries.push(Entry {
            base_name: base_name(file, settings),
            path: file.path.display().to_string(),
            canonical: new_canonical[i].clone(),
            fingerprint: fingerprints[i].clone(),
            origin: Origin::New(i),
        });
    }
    entries.sort_by(|a, b| (&a.base_name, &a.path).cmp(&(&b.base_name, &b.path)));
    Ok((entries, warnings))
}

/// The entry of saved source `i`, whose canonical path is `canonical`.
fn saved_entry(saved: &Snapshot, i: usize, canonical: String) -> Entry {
    Entry {
        base_name: saved.base_names[i].clone(),
        path: saved.extracted.sources[i].path.display().to_string(),
        canonical,
        fingerprint: saved
            .content_fingerprints
            .get(i)
            .cloned()
            .unwrap_or_default(),
        origin: Origin::Saved(i),
    }
}

/// Each entry's source name: its base name, `~n` for the n-th source of that name (the same
/// renaming as `extract::resolve_inputs`).
fn source_names(entries: &[Entry]) -> Vec<String> {
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    entries
        .iter()
        .map(|e| {
            let n = counts.entry(e.base_name.clone()).or_default();
            *n += 1;
            if *n > 1 {
                format!("{}~{n}", e.base_name)
            } else {
                e.base_name.clone()
            }
        })
        .collect()
}

/// Whether saved source `i` is part of the combined run.
fn kept(entries: &[Entry], i: usize) -> bool {
    entries.iter().any(|e| e.origin == Origin::Saved(i))
}

/// Which sources of the combined run are saved ones, and whether the saved sources are all
/// there, in their order and under their names.
fn saved_sources(saved: &Snapshot, entries: &[Entry], names: &[String]) -> SavedSources {
    SavedSources {
        saved_source: entries
            .iter()
            .map(|e| matches!(e.origin, Origin::Saved(_)))
            .collect(),
        // Saved sources keep their relative order (sorted by the same keys as before).
        saved_sources_intact: (0..saved.extracted.sources.len()).all(|i| kept(entries, i))
            && entries.iter().zip(names).all(|(e, name)| match e.origin {
                Origin::Saved(i) => saved.extracted.sources[i].name == *name,
                Origin::New(_) => true,
            }),
    }
}

/// The phone regions of the kept saved sources, except those themselves inferred from the run's
/// other sources: their votes in the run-wide region (`extract::plan_inputs_with_votes`).
fn prior_votes(saved: &Snapshot, entries: &[Entry]) -> Vec<String> {
    let saved_sources = &saved.extracted.sources;
    (0..saved_sources.len())
        .filter(|&i| kept(entries, i))
        .filter(|&i| !saved_sources[i].region.from.starts_with(RUN_REGION_PREFIX))
        .filter_map(|i| saved_sources[i].region.code.clone())
        .collect()
}

/// A saved source whose phone region was (or would now be) inferred from the other sources
/// must get the same region as before, or its saved phones were normalized differently.
fn check_saved_regions(
    saved: &Snapshot,
    entries: &[Entry],
    run_region: Option<&str>,
) -> anyhow::Result<()> {
    for entry in entries {
        let Origin::Saved(i) = entry.origin else {
            continue;
        };
        let source = &saved.extracted.sources[i];
        let has_phone = source.columns.iter().any(|c| c.role == Role::Phone);
        let follows_run =
            source.region.code.is_none() || { source.region.from.starts_with(RUN_REGION_PREFIX) };
        if has_phone && follows_run && source.region.code.as_deref() != run_region {
            bail!(
                "{}: with the new files its phone region would become {} (it was {}), so its \
                 saved records are stale; run once without --incremental, or set its region \
                 with --country or [sources.{}] country in omni.toml",
                source.path.display(),
                run_region.unwrap_or("none"),
                source.region.code.as_deref().unwrap_or("none"),
                source.stem,
            );
        }
    }
    Ok(())
}

/// The record and reject ranges of each source in `extracted` (both are appended source by
/// source, so each source's rows are contiguous).
fn ranges(extracted: &Extracted) -> Vec<(std::ops::Range<usize>, std::ops::Range<usize>)> {
    let n = extracted.sources.len();
    let mut records = vec![0..0; n];
    let mut rejects = vec![0..0; n];
    let spans = |keys: &mut dyn Iterator<Item = u16>, out: &mut Vec<std::ops::Range<usize>>| {
        let mut start = 0;
        let mut current: Option<u16> = None;
        let mut i = 0;
        for key in keys {
            if current != Some(key) {
                if let Some(c) = current {
                    out[c as usize] = start..i;
                }
                current = Some(key);
                start = i;
            }
            i += 1;
        }
        if let Some(c) = current {
            out[c as usize] = start..i;
        }
    };
    spans(&mut extracted.records.source.iter().copied(), &mut records);
    spans(
        &mut extracted.rejects.iter().map(|r| r.source),
        &mut rejects,
    );
    records.into_iter().zip(rejects).collect()
}

/// Builds the combined extraction in `entries` order. Also gives each saved record's and
/// identifier's number in it (`NONE`: left out, its file was given again).
fn combine(
    mut saved: Snapshot,
    mut new: Extracted,
    entries: &[Entry],
    names: &[String],
) -> (Snapshot, Vec<u32>, Vec<u32>) {
    let mut out = Snapshot {
        extracted: Extracted {
            namespaces: vec!["email".into(), "phone".into(), "card".into()],
            ..Extracted::default()
        },
        ..Snapshot::default()
    };
    // Sized for every distinct value of both parts: interning then never rehashes.
    out.extracted.interner = crate::graph::intern::Interner::with_capacity(
        saved.identifier_count() + new.interner.len(),
        saved.identifier_bytes() + new.interner.bytes(),
    );
    let saved_ranges = ranges(&saved.extracted);
    let new_ranges = ranges(&new);
    let mut saved_rejects = std::mem::take(&mut saved.extracted.rejects);
    let mut new_rejects = std::mem::take(&mut new.rejects);
    // Each part's identifier id → combined id, filled on first sight: every distinct value is
    // interned once, in the same first-seen order as interning each occurrence would give.
    let mut saved_map = vec![NONE; saved.identifier_count()];
    let mut new_map = vec![NONE; new.interner.len()];
    let mut record_map = vec![NONE; saved.extracted.records.len()];
    for (index, (entry, name)) in entries.iter().zip(names).enumerate() {
        let x = &mut out.extracted;
        let index = index as u16;
        match entry.origin {
            Origin::Saved(i) => {
                let part = PartSource {
                    extracted: &saved.extracted,
                    local: i,
                    spans: &saved_ranges[i],
                    map: &mut saved_map,
                    rejects: &mut saved_rejects,
                };
                let identifier = |id| saved.identifier(id);
                copy_source(x, part, index, name, identifier, Some(&mut record_map));
            }
            Origin::New(i) => {
                let part = PartSource {
                    extracted: &new,
                    local: i,
                    spans: &new_ranges[i],
                    map: &mut new_map,
                    rejects: &mut new_rejects,
                };
                copy_source(x, part, index, name, |id| new.interner.get(id), None);
            }
        }
        out.base_names.push(entry.base_name.clone());
        out.canonical_paths.push(entry.canonical.clone());
        out.content_fingerprints.push(entry.fingerprint.clone());
    }
    (out, record_map, saved_map)
}

/// One source of a part (the saved snapshot or the new files) as `combine` copies it.
struct PartSource<'a> {
    /// The part's extraction (its rejects taken out into `rejects`).
    extracted: &'a Extracted,
    /// The source's index in the part.
    local: usize,
    /// The source's record and reject ranges in the part (`ranges`).
    spans: &'a (std::ops::Range<usize>, std::ops::Range<usize>),
    /// The part's identifier id → combined id map (`NONE`: not interned yet).
    map: &'a mut [u32],
    /// The part's rejects, whose texts are moved out.
    rejects: &'a mut [Reject],
}

/// Appends one source to `x` as source `index` named `name`: its records (identifiers re-interned
/// through `identifier`, the part's lookup), then its rejects. `record_map` (saved sources only)
/// gets each record's combined number.
fn copy_source<'s>(
    x: &mut Extracted,
    mut part: PartSource<'_>,
    index: u16,
    name: &str,
    identifier: impl Fn(u32) -> (u16, &'s str),
    record_map: Option<&mut [u32]>,
) {
    let mut source = part.extracted.sources[part.local].clone();
    source.name = name.to_owned();
    let ns_map = namespace_map(x, &source, &part.extracted.namespaces);
    x.sources.push(source);
    copy_records(x, &mut part, index, &ns_map, identifier, record_map);
    x.rejects.extend(
        part.rejects[part.spans.1.clone()]
            .iter_mut()
            .map(|r| Reject {
                source: index,
                row: r.row,
                column: std::mem::take(&mut r.column),
                value: std::mem::take(&mut r.value),
                reason: r.reason,
            }),
    );
}

/// Adds the namespaces of `source`'s identifier columns to `x` (numbered in first-seen order of
/// identifier columns, as `compile` does) and maps each of the part's `namespaces` to its number
/// in `x` (`u16::MAX`: none).
fn namespace_map(x: &mut Extracted, source: &Source, namespaces: &[String]) -> Vec<u16> {
    for column in &source.columns {
        for ns in extract::plan::namespaces_of(&column.role) {
            if !x.namespaces.contains(&ns) {
                x.namespaces.push(ns);
            }
        }
    }
    namespaces
        .iter()
        .map(|ns| {
            x.namespaces
                .iter()
                .position(|n| n == ns)
                .unwrap_or(u16::MAX as usize) as u16
        })
        .collect()
}

/// Appends the records of `part`'s source to `x` as source `index`.
fn copy_records<'s>(
    x: &mut Extracted,
    part: &mut PartSource<'_>,
    index: u16,
    ns_map: &[u16],
    identifier: impl Fn(u32) -> (u16, &'s str),
    mut record_map: Option<&mut [u32]>,
) {
    let records = &part.extracted.records;
    let mut idents = Vec::new();
    for r in part.spans.0.clone() {
        if let Some(record_map) = record_map.as_deref_mut() {
            record_map[r] = x.records.len() as u32;
        }
        idents.clear();
        for &id in records.identifiers_of(r as u32) {
            let slot = &mut part.map[id as usize];
            if *slot == NONE {
                let (ns, value) = identifier(id);
                *slot = x.interner.intern(ns_map[ns as usize], value);
            }
            idents.push(*slot);
        }
        let fields = RecordRef {
            key: records.key.get(r),
            name: records.name.get(r),
            time_min: records.time_min.get(r),
            time_max: records.time_max.get(r),
            amount: records.amount[r],
        };
        x.records.push_ref(
            index,
            records.row.get(r),
            records.status[r],
            &fields,
            &idents,
        );
    }
}

/// The snapshot of a full run: its extraction plus each source's base name and canonical path.
pub fn snapshot_of(extracted: Extracted, files: &[InputFile], settings: &Settings) -> Snapshot {
    Snapshot {
        base_names: files.iter().map(|f| base_name(f, settings)).collect(),
        canonical_paths: files.iter().map(|f| canonical(&f.path)).collect(),
        content_fingerprints: files
            .iter()
            .map(|f| super::moved::content_fingerprint(&f.path))
            .collect(),
        extracted,
        loaded_identifiers: None,
        links: None,
    }
}
