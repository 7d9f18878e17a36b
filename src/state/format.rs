//! The state file on disk: `OMNI-STATE <version>` line, one line of JSON metadata, then a
//! compressed binary body of little-endian columns (docs/state.md has the full layout): zstd
//! blocks compressed in parallel (`blocks`) since version 2, one gzip stream in version 1
//! (still read).
//!
//! The header is plain text so that `head -2 state.omni` shows what a state holds without any
//! tool. The body is columnar (one array per field, length-prefixed) because that is both the
//! smallest and the fastest shape to write and read back at millions of records; a general
//! serializer (postcard, bincode) would encode element by element and add a dependency for no
//! gain. Every block's hash (gzip's CRC-32 in version 1) is checked on read, so a damaged file
//! is an error, never wrong ids.
//! This module only encodes and decodes; `state` decides what goes in.

use std::io::{BufRead, Read, Write};

use anyhow::{Context, bail};

use crate::extract::packed::{PackedTimes, PackedU64s};
use crate::extract::records::StrColumn;
use crate::extract::{Extracted, RecordStatus, Records, Reject, Source};
use crate::graph::guards::Generic;
use crate::graph::intern::Interner;
use crate::graph::{Clusters, NONE, Refused, Rule};
use crate::reject::RejectReason;

use super::{Meta, Redirect, Saved, Snapshot};

/// First line of every state file.
pub const MAGIC: &str = "OMNI-STATE";
/// Layout version of the body; bumped on any change. Version 1 (the same columns in one gzip
/// stream) is still read; other versions are refused with a hint.
pub const FORMAT_VERSION: u32 = 2;

/// Writes a whole state file to `w`.
pub fn write<W: Write>(mut w: W, saved: &Saved) -> anyhow::Result<()> {
    writeln!(w, "{MAGIC} {FORMAT_VERSION}")?;
    serde_json::to_writer(&mut w, &saved.meta)?;
    w.write_all(b"\n")?;
    let mut enc = Enc(super::blocks::BlockWriter::new(w));
    write_body(&mut enc, saved)?;
    enc.0.finish()?.flush()?;
    Ok(())
}

/// The columns of the body, in order.
fn write_body<W: Write>(enc: &mut Enc<W>, saved: &Saved) -> anyhow::Result<()> {
    enc.u64s(&saved.ids)?;
    enc.u32s(&saved.births)?;
    enc.u32s(&saved.sizes)?;
    enc.u64s(&saved.record_hashes)?;
    enc.u32s(&saved.record_profiles)?;
    enc.u64s(&saved.identifier_hashes)?;
    enc.u32s(&saved.identifier_profiles)?;
    let r = &saved.redirects;
    enc.u64s(&r.iter().map(|x| x.old).collect::<Vec<_>>())?;
    enc.u64s(&r.iter().map(|x| x.current.unwrap_or(0)).collect::<Vec<_>>())?;
    enc.u8s(
        &r.iter()
            .map(|x| x.current.is_some() as u8)
            .collect::<Vec<_>>(),
    )?;
    enc.u32s(&r.iter().map(|x| x.run).collect::<Vec<_>>())?;
    write_snapshot(enc, &saved.snapshot)
}

/// Reads only the header (magic line and metadata).
pub fn read_meta<R: BufRead>(r: &mut R) -> anyhow::Result<Meta> {
    Ok(read_header(r)?.1)
}

/// Reads the magic line (giving the format version) and the metadata.
fn read_header<R: BufRead>(r: &mut R) -> anyhow::Result<(u32, Meta)> {
    let mut line = String::new();
    r.read_line(&mut line)?;
    let version = line
        .trim_end()
        .strip_prefix(MAGIC)
        .map(str::trim)
        .context("not an omni state file (no OMNI-STATE header)")?;
    let version: u32 = version
        .parse()
        .with_context(|| format!("bad state version '{version}'"))?;
    if !(1..=FORMAT_VERSION).contains(&version) {
        bail!(
            "state format version {version} is not supported by this omni (it reads version \
             {FORMAT_VERSION}); run once with a fresh --state folder"
        );
    }
    line.clear();
    r.read_line(&mut line)?;
    let meta = serde_json::from_str(&line).context("the state metadata line is not valid JSON")?;
    Ok((version, meta))
}

/// Reads a whole state file.
pub fn read<R: BufRead>(r: R) -> anyhow::Result<Saved> {
    read_parts(r, true)
}

/// Reads a state file; without `snapshot`, stops before the saved records (a full run reads
/// every file again and needs only the ids, maps and redirects: a fraction of the body).
pub fn read_parts<R: BufRead>(mut r: R, snapshot: bool) -> anyhow::Result<Saved> {
    let (version, meta) = read_header(&mut r)?;
    if version == 1 {
        let mut dec = Dec(flate2::bufread::GzDecoder::new(r));
        let saved = read_body(&mut dec, meta, snapshot)?;
        if snapshot {
            // Reading to the end makes the decoder check gzip's CRC-32 and length trailer.
            let mut rest = Vec::new();
            dec.0.read_to_end(&mut rest)?;
            if !rest.is_empty() {
                bail!("the state body has trailing data");
            }
        }
        return Ok(saved);
    }
    let mut dec = Dec(super::blocks::BlockReader::new(r).prefetching(snapshot));
    let saved = read_body(&mut dec, meta, snapshot)?;
    if snapshot {
        dec.0.finish()?;
    }
    Ok(saved)
}

/// The columns of the body, in order (the mirror of `write_body`).
fn read_body<R: Read>(dec: &mut Dec<R>, meta: Meta, snapshot: bool) -> anyhow::Result<Saved> {
    let ids = dec.u64s()?;
    let births = dec.u32s()?;
    let sizes = dec.u32s()?;
    let record_hashes = dec.u64s()?;
    let record_profiles = dec.u32s()?;
    let identifier_hashes = dec.u64s()?;
    let identifier_profiles = dec.u32s()?;
    let (old, current, has_current, run) = (dec.u64s()?, dec.u64s()?, dec.u8s()?, dec.u32s()?);
    let n = ids.len();
    let sound = births.len() == n
        && sizes.len() == n
        && record_hashes.len() == record_profiles.len()
        && identifier_hashes.len() == identifier_profiles.len()
        && record_profiles.iter().all(|&p| (p as usize) < n)
        && identifier_profiles.iter().all(|&p| (p as usize) < n)
        // The maps are searched as sorted arrays (`stable::Previous`).
        && record_hashes.is_sorted_by(|a, b| a < b)
        && identifier_hashes.is_sorted_by(|a, b| a < b)
        && [current.len(), has_current.len(), run.len()] == [old.len(); 3];
    if !sound {
        bail!("the state body is inconsistent (column lengths or profile references)");
    }
    let redirects = (0..old.len())
        .map(|i| Redirect {
            old: old[i],
            current: (has_current[i] != 0).then_some(current[i]),
            run: run[i],
        })
        .collect();
    let snapshot = if snapshot {
        read_snapshot(dec)?
    } else {
        Snapshot::default()
    };
    Ok(Saved {
        meta,
        ids,
        births,
        sizes,
        record_hashes,
        record_profiles,
        identifier_hashes,
        identifier_profiles,
        redirects,
        snapshot,
    })
}

/// The per-source metadata of a snapshot, stored as one JSON blob (small next to the records).
#[derive(serde::Serialize, serde::Deserialize)]
struct SnapshotSources {
    sources: Vec<Source>,
    base_names: Vec<String>,
    canonical_paths: Vec<String>,
    /// Absent in states written before issue 16 (read as none).
    #[serde(default)]
    content_fingerprints: Vec<String>,
    namespaces: Vec<String>,
    reject_reasons: Vec<RejectReason>,
}

fn status_code(status: RecordStatus) -> u8 {
    match status {
        RecordStatus::Identified => 0,
        RecordStatus::Unidentified => 1,
        RecordStatus::Unreadable => 2,
    }
}

fn write_snapshot<W: Write>(enc: &mut Enc<W>, snapshot: &Snapshot) -> anyhow::Result<()> {
    let x = &snapshot.extracted;
    let mut reasons: Vec<RejectReason> = x.rejects.iter().map(|r| r.reason).collect();
    reasons.sort_unstable();
    reasons.dedup();
    let meta = SnapshotSources {
        sources: x.sources.clone(),
        base_names: snapshot.base_names.clone(),
        canonical_paths: snapshot.canonical_paths.clone(),
        content_fingerprints: snapshot.content_fingerprints.clone(),
        namespaces: x.namespaces.clone(),
        reject_reasons: reasons.clone(),
    };
    enc.bytes(&serde_json::to_vec(&meta)?)?;
    write_records(enc, &x.records)?;
    write_identifiers(enc, snapshot)?;
    write_rejects(enc, &x.rejects, &reasons)?;
    match &snapshot.links {
        Some(links) => write_links(enc, links, &x.records),
        None => Ok(()),
    }
}

/// The record columns, identifier lists included (the mirror of `read_record_columns` and the
/// identifier parts `read_snapshot` reads after them).
fn write_records<W: Write>(enc: &mut Enc<W>, rec: &Records) -> anyhow::Result<()> {
    enc.u16s(&rec.source)?;
    enc.packed(&rec.row)?;
    enc.u8s(
        &rec.status
            .iter()
            .map(|&s| status_code(s))
            .collect::<Vec<_>>(),
    )?;
    enc.str_column(&rec.key)?;
    enc.str_column(&rec.name)?;
    enc.times(&rec.time_min)?;
    enc.times(&rec.time_max)?;
    enc.f64s(&rec.amount)?;
    let (ends, idents) = rec.identifier_parts();
    enc.u32s(ends)?;
    enc.u32s(idents)?;
    Ok(())
}

/// The identifier table: each identifier's namespace and value.
fn write_identifiers<W: Write>(enc: &mut Enc<W>, snapshot: &Snapshot) -> anyhow::Result<()> {
    // Through `identifier`, so a snapshot as read (identifiers not interned) is written too.
    let count = snapshot.identifier_count();
    let mut namespaces = Vec::with_capacity(count);
    let mut values = StrColumn::default();
    for id in 0..count as u32 {
        let (ns, value) = snapshot.identifier(id);
        namespaces.push(ns);
        values.push(Some(value));
    }
    enc.u16s(&namespaces)?;
    enc.str_column(&values)?;
    Ok(())
}

/// The reject columns; each reason as its index in `reasons` (sorted, listed in the metadata).
fn write_rejects<W: Write>(
    enc: &mut Enc<W>,
    rj: &[Reject],
    reasons: &[RejectReason],
) -> anyhow::Result<()> {
    enc.u16s(&rj.iter().map(|r| r.source).collect::<Vec<_>>())?;
    enc.u64s(&rj.iter().map(|r| r.row).collect::<Vec<_>>())?;
    let reason_index = |reason| reasons.binary_search(&reason).expect("listed above") as u8;
    enc.u8s(
        &rj.iter()
            .map(|r| reason_index(r.reason))
            .collect::<Vec<_>>(),
    )?;
    let mut columns = StrColumn::default();
    let mut raw = StrColumn::default();
    for r in rj {
        columns.push(Some(&r.column));
        raw.push(Some(&r.value));
    }
    enc.str_column(&columns)?;
    enc.str_column(&raw)?;
    Ok(())
}

/// Tag of the link columns at the end of the snapshot section (their own layout version).
const LINKS_TAG: u8 = 1;

/// The previous link result (`graph::Clusters`), appended to the snapshot section: a one-byte
/// tag column, the spanning trees, the refused links and the generic identifiers.
///
/// The trees are `order` plus, per position in it, how many places back the record's parent
/// sits (0 for a root) and which of the record's own identifiers it was reached through: small
/// numbers that compress about ten times better than record and identifier numbers (the state
/// of a million people grew by 20 MB with those, and read 0.2 to 0.5 s slower). `root`,
/// `parent`, `via` and `matched_by` follow from them.
fn write_links<W: Write>(
    enc: &mut Enc<W>,
    links: &Clusters,
    records: &Records,
) -> anyhow::Result<()> {
    enc.u8s(&[LINKS_TAG])?;
    let mut position = vec![NONE; links.parent.len()];
    for (at, &u) in links.order.iter().enumerate() {
        position[u as usize] = at as u32;
    }
    let back: Vec<u32> = links
        .order
        .iter()
        .enumerate()
        .map(|(at, &u)| match links.parent[u as usize] {
            NONE => 0,
            p => at as u32 - position[p as usize],
        })
        .collect();
    let through: Vec<u32> = links
        .order
        .iter()
        .map(|&u| {
            let via = links.via[u as usize];
            records
                .identifiers_of(u)
                .iter()
                .position(|&x| x == via)
                .map_or(0, |i| i as u32)
        })
        .collect();
    enc.u32s(&links.order)?;
    enc.u32s(&back)?;
    enc.u32s(&through)?;
    let refused = &links.refused;
    enc.u32s(&refused.iter().map(|f| f.record).collect::<Vec<_>>())?;
    enc.u32s(&refused.iter().map(|f| f.identifier).collect::<Vec<_>>())?;
    enc.u8s(
        &refused
            .iter()
            .map(|f| rule_code(f.rule))
            .collect::<Vec<_>>(),
    )?;
    let mut details = StrColumn::default();
    for f in refused {
        details.push(Some(&f.detail));
    }
    enc.str_column(&details)?;
    let generic = &links.generic;
    enc.u32s(&generic.iter().map(|g| g.identifier).collect::<Vec<_>>())?;
    enc.u32s(&generic.iter().map(|g| g.records).collect::<Vec<_>>())?;
    enc.u32s(&generic.iter().map(|g| g.names).collect::<Vec<_>>())?;
    enc.u32s(&generic.iter().map(|g| g.groups).collect::<Vec<_>>())?;
    let mut why = StrColumn::default();
    for g in generic {
        why.push(Some(&g.why));
    }
    Ok(enc.str_column(&why)?)
}

fn rule_code(rule: Rule) -> u8 {
    Rule::ALL
        .iter()
        .position(|&r| r == rule)
        .expect("every rule is in Rule::ALL") as u8
}

/// The error for damaged link columns.
fn links_damaged(e: &str) -> anyhow::Error {
    anyhow::anyhow!("the state's link results are damaged: {e}")
}

/// Reads the link columns when the snapshot section has them (`None` at the end of a state
/// written before they existed: the next incremental run links in full once).
fn read_links<R: Read>(dec: &mut Dec<R>, records: &Records) -> anyhow::Result<Option<Clusters>> {
    let Some(tag) = dec.optional_u8s()? else {
        return Ok(None);
    };
    if tag != [LINKS_TAG] {
        return Err(links_damaged("unknown layout"));
    }
    let (parent, via, order) = read_trees(dec, records)?;
    let refused = read_refused(dec)?;
    let generic = read_generic(dec)?;
    crate::graph::carry::from_tree(parent, via, order, refused, generic)
        .map(Some)
        .ok_or_else(|| links_damaged("spanning trees"))
}

/// The spanning trees as `write_links` wrote them: each record's `parent` and `via` (rebuilt
/// from how far back its parent sits and which of its identifiers it was reached through) and
/// `order`, in the order `graph::carry::from_tree` takes them.
fn read_trees<R: Read>(
    dec: &mut Dec<R>,
    records: &Records,
) -> anyhow::Result<(Vec<u32>, Vec<u32>, Vec<u32>)> {
    let (order, back, through) = (dec.u32s()?, dec.u32s()?, dec.u32s()?);
    let n = records.len();
    if [back.len(), through.len()] != [order.len(); 2]
        || order.len() > n
        || order.iter().any(|&u| u as usize >= n)
    {
        return Err(links_damaged("spanning trees"));
    }
    let (mut parent, mut via) = (vec![NONE; n], vec![NONE; n]);
    for (at, &u) in order.iter().enumerate() {
        if back[at] == 0 {
            continue;
        }
        let (Some(&p), Some(&x)) = (
            at.checked_sub(back[at] as usize).and_then(|i| order.get(i)),
            records.identifiers_of(u).get(through[at] as usize),
        ) else {
            return Err(links_damaged("spanning trees"));
        };
        parent[u as usize] = p;
        via[u as usize] = x;
    }
    Ok((parent, via, order))
}

/// The refused links.
fn read_refused<R: Read>(dec: &mut Dec<R>) -> anyhow::Result<Vec<Refused>> {
    let (record, identifier, rule) = (dec.u32s()?, dec.u32s()?, dec.u8s()?);
    let details = dec.str_column().map_err(|e| links_damaged(&e))?;
    if [identifier.len(), rule.len(), details.len()] != [record.len(); 3] {
        return Err(links_damaged("refused links"));
    }
    (0..record.len())
        .map(|i| {
            Ok(Refused {
                record: record[i],
                identifier: identifier[i],
                rule: *Rule::ALL
                    .get(rule[i] as usize)
                    .ok_or_else(|| links_damaged("a rule code"))?,
                detail: details.get(i).unwrap_or("").to_owned(),
            })
        })
        .collect()
}

/// The generic identifiers.
fn read_generic<R: Read>(dec: &mut Dec<R>) -> anyhow::Result<Vec<Generic>> {
    let (ids, holders, names, groups) = (dec.u32s()?, dec.u32s()?, dec.u32s()?, dec.u32s()?);
    let why = dec.str_column().map_err(|e| links_damaged(&e))?;
    if [holders.len(), names.len(), groups.len(), why.len()] != [ids.len(); 4] {
        return Err(links_damaged("generic identifiers"));
    }
    Ok((0..ids.len())
        .map(|i| Generic {
            identifier: ids[i],
            records: holders[i],
            names: names[i],
            groups: groups[i],
            why: why.get(i).unwrap_or("").to_owned(),
        })
        .collect())
}

/// The error for damaged record, identifier or reject columns.
fn records_damaged(e: String) -> anyhow::Error {
    anyhow::anyhow!("the state's records are damaged: {e}")
}

fn read_snapshot<R: Read>(dec: &mut Dec<R>) -> anyhow::Result<Snapshot> {
    let meta: SnapshotSources =
        serde_json::from_slice(&dec.bytes()?).context("the state's source list is damaged")?;
    let mut records = read_record_columns(dec)?;
    let (ends, idents) = (dec.u32s()?, dec.u32s()?);
    let n = records.source.len();
    let columns_agree = [
        records.row.len(),
        records.status.len(),
        records.time_min.len(),
        records.time_max.len(),
        records.amount.len(),
    ] == [n; 5];
    if !columns_agree
        || records
            .source
            .iter()
            .any(|&s| s as usize >= meta.sources.len())
    {
        return Err(records_damaged(
            "column lengths or source references".into(),
        ));
    }
    let identifiers = read_identifiers(dec, meta.namespaces.len())?;
    records
        .set_identifier_parts(ends, idents, identifiers.namespaces.len())
        .map_err(records_damaged)?;
    let rejects = read_rejects(dec, &meta.reject_reasons)?;
    let links = read_links(dec, &records)?;
    Ok(Snapshot {
        extracted: Extracted {
            sources: meta.sources,
            records,
            interner: Interner::new(),
            namespaces: meta.namespaces,
            rejects,
        },
        base_names: meta.base_names,
        canonical_paths: meta.canonical_paths,
        content_fingerprints: meta.content_fingerprints,
        loaded_identifiers: Some(identifiers),
        links,
    })
}

/// The record columns up to the identifier lists (their lengths checked by `read_snapshot`).
fn read_record_columns<R: Read>(dec: &mut Dec<R>) -> anyhow::Result<Records> {
    let mut records = Records::default();
    records.source = dec.u16s()?;
    records.row = dec.u64s()?.into_iter().collect();
    records.status = dec
        .u8s()?
        .into_iter()
        .map(|s| match s {
            0 => Ok(RecordStatus::Identified),
            1 => Ok(RecordStatus::Unidentified),
            2 => Ok(RecordStatus::Unreadable),
            _ => Err(records_damaged(format!("record status {s}"))),
        })
        .collect::<anyhow::Result<_>>()?;
    records.key = dec.str_column().map_err(records_damaged)?;
    records.name = dec.str_column().map_err(records_damaged)?;
    records.time_min = dec.i64s()?.into_iter().collect();
    records.time_max = dec.i64s()?.into_iter().collect();
    records.amount = dec.f64s()?;
    Ok(records)
}

/// The identifier table, checked against the `namespaces` the metadata lists.
fn read_identifiers<R: Read>(
    dec: &mut Dec<R>,
    namespaces: usize,
) -> anyhow::Result<super::LoadedIdentifiers> {
    let ids = super::LoadedIdentifiers {
        namespaces: dec.u16s()?,
        values: dec.str_column().map_err(records_damaged)?,
    };
    if ids.values.len() != ids.namespaces.len()
        || ids.namespaces.iter().any(|&ns| ns as usize >= namespaces)
    {
        return Err(records_damaged("identifier table".into()));
    }
    Ok(ids)
}

/// The reject columns; each reject's reason is stored as an index into `listed` (the
/// metadata's list of reasons).
fn read_rejects<R: Read>(dec: &mut Dec<R>, listed: &[RejectReason]) -> anyhow::Result<Vec<Reject>> {
    let (sources, rows, reasons) = (dec.u16s()?, dec.u64s()?, dec.u8s()?);
    let (columns, raw) = (
        dec.str_column().map_err(records_damaged)?,
        dec.str_column().map_err(records_damaged)?,
    );
    if [rows.len(), reasons.len()] != [sources.len(); 2] {
        return Err(records_damaged("reject columns".into()));
    }
    (0..sources.len())
        .map(|i| {
            let reason = *listed
                .get(reasons[i] as usize)
                .ok_or_else(|| records_damaged("reject reason".into()))?;
            Ok(Reject {
                source: sources[i],
                row: rows[i],
                column: columns.get(i).unwrap_or("").to_owned(),
                value: raw.get(i).unwrap_or("").to_owned(),
                reason,
            })
        })
        .collect()
}

/// Bytes converted at a time by `Enc` and `Dec` (stays in cache between the copy and the
/// conversion).
const CHUNK: usize = 64 * 1024;

/// Column writer: every array is its element count (u64) followed by little-endian values.
struct Enc<W: Write>(W);

macro_rules! put_numbers {
    ($($name:ident: $t:ty),*) => {$(
        fn $name(&mut self, values: &[$t]) -> std::io::Result<()> {
            const SIZE: usize = std::mem::size_of::<$t>();
            self.0.write_all(&(values.len() as u64).to_le_bytes())?;
            let mut buf = vec![0u8; CHUNK];
            for chunk in values.chunks(CHUNK / SIZE) {
                let bytes = &mut buf[..chunk.len() * SIZE];
                // Fixed-size copies, which the compiler turns into plain moves on little-endian.
                for (out, v) in bytes.chunks_exact_mut(SIZE).zip(chunk) {
                    out.copy_from_slice(&v.to_le_bytes());
                }
                self.0.write_all(bytes)?;
            }
            Ok(())
        }
    )*};
}

impl<W: Write> Enc<W> {
    put_numbers!(u8s: u8, u16s: u16, u32s: u32, u64s: u64, f64s: f64);

    fn bytes(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.u8s(bytes)
    }

    fn str_column(&mut self, column: &StrColumn) -> std::io::Result<()> {
        let (ends, bytes) = column.parts();
        self.packed(ends)?;
        self.bytes(bytes)
    }

    /// A packed column, written as the `u64s` it stands for (the format does not change).
    fn packed(&mut self, values: &PackedU64s) -> std::io::Result<()> {
        self.eights(values.len(), values.iter().map(u64::to_le_bytes))
    }

    /// Packed times, written as the `i64s` they stand for.
    fn times(&mut self, times: &PackedTimes) -> std::io::Result<()> {
        self.eights(times.len(), times.iter().map(i64::to_le_bytes))
    }

    /// A count and then `len` eight-byte values.
    fn eights(&mut self, len: usize, values: impl Iterator<Item = [u8; 8]>) -> std::io::Result<()> {
        self.0.write_all(&(len as u64).to_le_bytes())?;
        let mut buf = Vec::with_capacity(CHUNK);
        for v in values {
            buf.extend_from_slice(&v);
            if buf.len() == CHUNK {
                self.0.write_all(&buf)?;
                buf.clear();
            }
        }
        self.0.write_all(&buf)
    }
}

/// Bytes reserved for a column before any is read: a damaged count must not allocate terabytes
/// up front; a longer column grows as it is read.
const RESERVE: usize = 1 << 28;

/// `read_exact`, with the end of the body reported as such (other errors, such as a damaged
/// block, pass through).
fn read_exact<R: Read>(r: &mut R, buf: &mut [u8]) -> anyhow::Result<()> {
    r.read_exact(buf).map_err(|e| {
        if e.kind() == std::io::ErrorKind::UnexpectedEof {
            anyhow::anyhow!("the state body ends early")
        } else {
            e.into()
        }
    })
}

/// Column reader, the mirror of `Enc`.
struct Dec<R: Read>(R);

macro_rules! get_numbers {
    ($($name:ident: $t:ty),*) => {$(
        /// Converted a chunk at a time as it is read: no second copy of the whole column.
        fn $name(&mut self) -> anyhow::Result<Vec<$t>> {
            const SIZE: usize = std::mem::size_of::<$t>();
            let count = self.count(SIZE)?;
            let mut out: Vec<$t> = Vec::with_capacity(count.min(RESERVE / SIZE));
            let mut buf = vec![0u8; CHUNK];
            let mut left = count;
            while left > 0 {
                let n = left.min(CHUNK / SIZE);
                let bytes = &mut buf[..n * SIZE];
                read_exact(&mut self.0, bytes)?;
                out.extend(bytes.chunks_exact(SIZE).map(|c| {
                    <$t>::from_le_bytes(c.try_into().expect("chunks_exact gives SIZE bytes"))
                }));
                left -= n;
            }
            Ok(out)
        }
    )*};
}

impl<R: Read> Dec<R> {
    get_numbers!(u16s: u16, u32s: u32, u64s: u64, i64s: i64, f64s: f64);

    /// Reads an element count, checking that `count * size` bytes can be addressed.
    fn count(&mut self, size: usize) -> anyhow::Result<usize> {
        let mut len = [0u8; 8];
        self.0
            .read_exact(&mut len)
            .context("the state body ends early")?;
        let count = u64::from_le_bytes(len);
        count
            .checked_mul(size as u64)
            .and_then(|bytes| usize::try_from(bytes).ok())
            .context("the state body has an impossible length")?;
        Ok(count as usize)
    }

    /// Reads a count and then `count * size` bytes; grows as it reads, so a damaged count fails
    /// at the end of the data instead of allocating terabytes up front.
    fn raw(&mut self, size: usize) -> anyhow::Result<Vec<u8>> {
        let bytes = (self.count(size)? * size) as u64;
        // Reserved up to 256 MiB at once (no copies as it grows); beyond, it grows as it reads.
        let mut out = Vec::with_capacity(bytes.min(RESERVE as u64) as usize);
        (&mut self.0).take(bytes).read_to_end(&mut out)?;
        if out.len() as u64 != bytes {
            bail!("the state body ends early");
        }
        Ok(out)
    }

    fn u8s(&mut self) -> anyhow::Result<Vec<u8>> {
        self.raw(1)
    }

    /// Like `u8s`, but `None` when the body ends right here (optional trailing columns).
    fn optional_u8s(&mut self) -> anyhow::Result<Option<Vec<u8>>> {
        let mut len = [0u8; 8];
        let mut got = 0;
        while got < len.len() {
            match self.0.read(&mut len[got..]) {
                Ok(0) => break,
                Ok(k) => got += k,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e.into()),
            }
        }
        match got {
            0 => Ok(None),
            8 => {
                let count = u64::from_le_bytes(len);
                let mut out = Vec::with_capacity(count.min(1 << 20) as usize);
                (&mut self.0).take(count).read_to_end(&mut out)?;
                if out.len() as u64 != count {
                    bail!("the state body ends early");
                }
                Ok(Some(out))
            }
            _ => bail!("the state body ends early"),
        }
    }

    fn bytes(&mut self) -> anyhow::Result<Vec<u8>> {
        self.raw(1)
    }

    fn str_column(&mut self) -> Result<StrColumn, String> {
        let ends = self.u64s().map_err(|e| e.to_string())?;
        let bytes = self.bytes().map_err(|e| e.to_string())?;
        StrColumn::from_parts(ends, bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Saved {
        let mut interner = Interner::new();
        interner.intern(0, "ann@example.com");
        interner.intern(1, "+79161234567");
        Saved {
            meta: Meta {
                run: 3,
                ..Meta::default()
            },
            ids: vec![7, 9],
            births: vec![1, 3],
            sizes: vec![2, 1],
            record_hashes: vec![10, 20, 30],
            record_profiles: vec![0, 0, 1],
            identifier_hashes: vec![5],
            identifier_profiles: vec![1],
            redirects: vec![Redirect {
                old: 4,
                current: Some(7),
                run: 2,
            }],
            snapshot: Snapshot {
                extracted: Extracted {
                    interner,
                    namespaces: vec!["email".into(), "phone".into(), "card".into()],
                    rejects: vec![Reject {
                        source: 0,
                        row: 4,
                        column: "phone".into(),
                        value: "12".into(),
                        reason: RejectReason::PhoneInvalid,
                    }],
                    ..Extracted::default()
                },
                base_names: vec!["web".into()],
                canonical_paths: vec!["/x/web.csv".into()],
                content_fingerprints: vec!["6:0123456789abcdef".into()],
                loaded_identifiers: None,
                links: None,
            },
        }
    }

    fn assert_same(a: &Saved, b: &Saved) {
        assert_eq!(a.meta, b.meta);
        assert_eq!((&a.ids, &a.births, &a.sizes), (&b.ids, &b.births, &b.sizes));
        assert_eq!(a.record_hashes, b.record_hashes);
        assert_eq!(a.record_profiles, b.record_profiles);
        assert_eq!(a.identifier_hashes, b.identifier_hashes);
        assert_eq!(a.identifier_profiles, b.identifier_profiles);
        assert_eq!(a.redirects, b.redirects);
        let (x, y) = (&a.snapshot.extracted, &b.snapshot.extracted);
        assert_eq!(x.rejects, y.rejects);
        assert_eq!(x.namespaces, y.namespaces);
        assert_eq!(x.interner.len(), 2);
        for id in 0..2 {
            assert_eq!(x.interner.get(id), b.snapshot.identifier(id));
        }
        assert_eq!(a.snapshot.canonical_paths, b.snapshot.canonical_paths);
        assert_eq!(
            a.snapshot.content_fingerprints,
            b.snapshot.content_fingerprints
        );
    }

    #[test]
    fn a_state_round_trips() {
        let saved = sample();
        let mut file = Vec::new();
        write(&mut file, &saved).unwrap();
        assert!(file.starts_with(format!("{MAGIC} {FORMAT_VERSION}\n").as_bytes()));
        assert_same(&saved, &read(&file[..]).unwrap());
    }

    /// The one source of the tests' records.
    fn web_source() -> Source {
        Source {
            name: "web".into(),
            stem: "web".into(),
            path: "web.csv".into(),
            format: crate::input::Format {
                container: "csv".into(),
                encoding: "utf-8".into(),
                delimiter: Some(b','),
                headerless: false,
                skipped: Vec::new(),
            },
            columns: Vec::new(),
            rows_read: 3,
            rows_unreadable: 0,
            rows_unidentified: 1,
            region: crate::extract::plan::Region {
                code: None,
                from: "none".into(),
            },
        }
    }

    #[test]
    fn record_columns_past_32_bits_round_trip() {
        // Row numbers and times that the record store keeps outside its four bytes a value
        // (`extract::packed`), next to ordinary ones: the state holds them as u64 and i64 and
        // reads them back exactly.
        use crate::extract::NO_TIME;
        let mut saved = sample();
        let mut records = Records::default();
        let cases = [
            (1u64, 1_700_000_000i64, NO_TIME),
            (5_000_000_000, -86_400, 5_000_000_000),
            (2, NO_TIME, i64::MAX),
        ];
        for (row, time_min, time_max) in cases {
            let fields = crate::extract::records::RecordRef {
                key: Some("k1"),
                name: Some("Ann"),
                time_min,
                time_max,
                amount: f64::NAN,
            };
            records.push_ref(0, row, RecordStatus::Unidentified, &fields, &[]);
        }
        saved.snapshot.extracted.records = records;
        saved.snapshot.extracted.sources = vec![web_source()];
        let mut file = Vec::new();
        write(&mut file, &saved).unwrap();
        let back = read(&file[..]).unwrap().snapshot.extracted.records;
        for (i, (row, time_min, time_max)) in cases.into_iter().enumerate() {
            let read = (back.row.get(i), back.time_min.get(i), back.time_max.get(i));
            assert_eq!(read, (row, time_min, time_max));
            assert_eq!(
                (back.key.get(i), back.name.get(i)),
                (Some("k1"), Some("Ann"))
            );
        }
    }

    #[test]
    fn link_results_round_trip_and_a_state_without_them_reads_as_none() {
        let mut saved = sample();
        let mut records = Records::default();
        let fields = crate::extract::records::RecordRef {
            key: None,
            name: Some("Ann"),
            time_min: 0,
            time_max: 0,
            amount: 0.0,
        };
        for ids in [&[0u32, 1][..], &[1], &[]] {
            let status = if ids.is_empty() {
                RecordStatus::Unidentified
            } else {
                RecordStatus::Identified
            };
            records.push_ref(0, 1, status, &fields, ids);
        }
        let settings = crate::graph::guards::GuardSettings::default();
        let clusters = crate::graph::link(
            &records,
            &saved.snapshot.extracted.interner,
            &saved.snapshot.extracted.namespaces,
            &settings,
        );
        saved.snapshot.extracted.records = records;
        saved.snapshot.extracted.sources = vec![web_source()];
        saved.snapshot.links = Some(clusters);
        let mut file = Vec::new();
        write(&mut file, &saved).unwrap();
        let back = read(&file[..]).unwrap();
        assert_same(&saved, &back);
        assert_eq!(back.snapshot.links, saved.snapshot.links);
        // What an omni without link results wrote: the same body minus the link columns.
        saved.snapshot.links = None;
        let mut old = Vec::new();
        write(&mut old, &saved).unwrap();
        assert!(old.len() < file.len());
        assert_eq!(read(&old[..]).unwrap().snapshot.links, None);
        // And a read snapshot (identifiers not interned) is written back whole.
        let mut again = Vec::new();
        write(&mut again, &read(&old[..]).unwrap()).unwrap();
        assert_eq!(again, old);
    }

    #[test]
    fn a_version_1_state_is_still_read() {
        let saved = sample();
        let mut file = Vec::new();
        writeln!(file, "{MAGIC} 1").unwrap();
        serde_json::to_writer(&mut file, &saved.meta).unwrap();
        file.push(b'\n');
        let mut enc = Enc(flate2::write::GzEncoder::new(
            file,
            flate2::Compression::fast(),
        ));
        write_body(&mut enc, &saved).unwrap();
        let file = enc.0.finish().unwrap();
        assert_same(&saved, &read(&file[..]).unwrap());
    }

    #[test]
    fn an_unknown_version_is_refused_with_a_hint() {
        let error = read(&b"OMNI-STATE 9\n{}\n"[..]).unwrap_err().to_string();
        assert!(
            error.contains("version 9") && error.contains("fresh --state"),
            "{error}"
        );
    }
}
