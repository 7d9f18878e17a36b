//! The opaque columns Spark carries between the stages: a record (`encode_record`) and its
//! link result (`encode_link`), as little-endian bytes only omni reads. Spark sees the record
//! key, the identifier keys and the name beside them, never the layout.
//!
//! A record key (`record_key`) is `source << 40 | row`: it sorts as the single-machine run
//! orders its records (sources in run order, rows in file order). An identifier key
//! (`identifier_key`) is `namespace:value`, the namespace by its number in the plan.

use anyhow::{Context, bail};

use crate::extract::{RecordFields, RecordStatus};
use crate::graph::Rule;

/// Rows per source below 2^40.
const ROW_BITS: u32 = 40;

/// The key of a record: sorts like the run order.
pub fn record_key(source: u16, row: u64) -> i64 {
    ((source as i64) << ROW_BITS) | row as i64
}

/// The source and row of a record key.
pub fn split_key(key: i64) -> (u16, u64) {
    (
        (key >> ROW_BITS) as u16,
        (key & ((1 << ROW_BITS) - 1)) as u64,
    )
}

/// The key of an identifier.
pub fn identifier_key(namespace: u16, value: &str) -> String {
    format!("{namespace}:{value}")
}

/// The namespace and value of an identifier key.
pub fn split_identifier(key: &str) -> anyhow::Result<(u16, &str)> {
    let (ns, value) = key
        .split_once(':')
        .with_context(|| format!("identifier key {key:?} has no namespace"))?;
    Ok((ns.parse().context("identifier namespace")?, value))
}

/// One record, decoded.
#[derive(Clone, Debug, PartialEq)]
pub struct Record {
    /// 1-based row.
    pub row: u64,
    /// Status.
    pub status: RecordStatus,
    /// Key, name, times, amount.
    pub fields: RecordFields,
    /// Identifiers: plan namespace number and value, in column order.
    pub identifiers: Vec<(u16, String)>,
}

/// A record's place in its cluster, decoded (`graph::Clusters`, one record's entries).
#[derive(Clone, Debug, PartialEq)]
pub struct Link {
    /// Record key of the cluster's root, `-1` for no cluster.
    pub root: i64,
    /// Record key of the parent, `-1` for none.
    pub parent: i64,
    /// The identifier it was reached through.
    pub via: Option<(u16, String)>,
    /// The identifier that joined it to its profile.
    pub matched_by: Option<(u16, String)>,
    /// Its position in its cluster's spanning-tree order.
    pub position: u32,
    /// The links of this record a guard refused: identifier, rule, detail.
    pub refused: Vec<((u16, String), Rule, String)>,
}

#[derive(Default)]
struct Writer(Vec<u8>);

impl Writer {
    fn u64(&mut self, v: u64) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn u32(&mut self, v: u32) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn text(&mut self, v: Option<&str>) {
        match v {
            None => self.u32(u32::MAX),
            Some(s) => {
                self.u32(u32::try_from(s.len()).expect("values below 4 GiB"));
                self.0.extend_from_slice(s.as_bytes());
            }
        }
    }
    fn identifier(&mut self, v: Option<&(u16, String)>) {
        match v {
            None => self.u32(u32::MAX),
            Some((ns, value)) => {
                self.u32(u32::from(*ns));
                self.text(Some(value));
            }
        }
    }
}

struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
    fn take(&mut self, n: usize) -> anyhow::Result<&[u8]> {
        if self.0.len() < n {
            bail!(
                "damaged stage blob: {n} bytes wanted, {} left",
                self.0.len()
            );
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(head)
    }
    fn u64(&mut self) -> anyhow::Result<u64> {
        Ok(u64::from_le_bytes(self.take(8)?.try_into()?))
    }
    fn u32(&mut self) -> anyhow::Result<u32> {
        Ok(u32::from_le_bytes(self.take(4)?.try_into()?))
    }
    fn text(&mut self) -> anyhow::Result<Option<String>> {
        match self.u32()? {
            u32::MAX => Ok(None),
            n => Ok(Some(String::from_utf8(self.take(n as usize)?.to_vec())?)),
        }
    }
    fn identifier(&mut self) -> anyhow::Result<Option<(u16, String)>> {
        match self.u32()? {
            u32::MAX => Ok(None),
            ns => Ok(Some((
                u16::try_from(ns)?,
                self.text()?.context("identifier value")?,
            ))),
        }
    }
}

fn status_code(status: RecordStatus) -> u32 {
    match status {
        RecordStatus::Identified => 0,
        RecordStatus::Unidentified => 1,
        RecordStatus::Unreadable => 2,
    }
}

fn status_of(code: u32) -> anyhow::Result<RecordStatus> {
    Ok(match code {
        0 => RecordStatus::Identified,
        1 => RecordStatus::Unidentified,
        2 => RecordStatus::Unreadable,
        _ => bail!("damaged stage blob: record status {code}"),
    })
}

/// Encodes a record.
pub fn encode_record(record: &Record) -> Vec<u8> {
    let mut w = Writer::default();
    w.u64(record.row);
    w.u32(status_code(record.status));
    w.text(record.fields.key.as_deref());
    w.text(record.fields.name.as_deref());
    w.u64(record.fields.time_min as u64);
    w.u64(record.fields.time_max as u64);
    w.u64(record.fields.amount.to_bits());
    w.u32(record.identifiers.len() as u32);
    for identifier in &record.identifiers {
        w.identifier(Some(identifier));
    }
    w.0
}

/// Decodes a record.
pub fn decode_record(bytes: &[u8]) -> anyhow::Result<Record> {
    let mut r = Reader(bytes);
    let row = r.u64()?;
    let status = status_of(r.u32()?)?;
    let key = r.text()?;
    let name = r.text()?;
    let time_min = r.u64()? as i64;
    let time_max = r.u64()? as i64;
    let amount = f64::from_bits(r.u64()?);
    let n = r.u32()?;
    let identifiers = (0..n)
        .map(|_| r.identifier()?.context("damaged stage blob: identifier"))
        .collect::<anyhow::Result<_>>()?;
    Ok(Record {
        row,
        status,
        fields: RecordFields {
            key,
            name,
            time_min,
            time_max,
            amount,
        },
        identifiers,
    })
}

fn rule_code(rule: Rule) -> u32 {
    Rule::ALL.iter().position(|&r| r == rule).expect("listed") as u32
}

/// Encodes a link result.
pub fn encode_link(link: &Link) -> Vec<u8> {
    let mut w = Writer::default();
    w.u64(link.root as u64);
    w.u64(link.parent as u64);
    w.identifier(link.via.as_ref());
    w.identifier(link.matched_by.as_ref());
    w.u32(link.position);
    w.u32(link.refused.len() as u32);
    for (identifier, rule, detail) in &link.refused {
        w.identifier(Some(identifier));
        w.u32(rule_code(*rule));
        w.text(Some(detail));
    }
    w.0
}

/// Decodes a link result.
pub fn decode_link(bytes: &[u8]) -> anyhow::Result<Link> {
    let mut r = Reader(bytes);
    let root = r.u64()? as i64;
    let parent = r.u64()? as i64;
    let via = r.identifier()?;
    let matched_by = r.identifier()?;
    let position = r.u32()?;
    let n = r.u32()?;
    let mut refused = Vec::with_capacity(n as usize);
    for _ in 0..n {
        let identifier = r.identifier()?.context("damaged stage blob: refused")?;
        let rule = *Rule::ALL
            .get(r.u32()? as usize)
            .context("damaged stage blob: rule")?;
        refused.push((identifier, rule, r.text()?.unwrap_or_default()));
    }
    Ok(Link {
        root,
        parent,
        via,
        matched_by,
        position,
        refused,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_round_trips() {
        let record = Record {
            row: 7,
            status: RecordStatus::Identified,
            fields: RecordFields {
                key: Some("c-1".into()),
                name: None,
                time_min: crate::extract::NO_TIME,
                time_max: 1_700_000_000,
                amount: f64::NAN,
            },
            identifiers: vec![(0, "a@b.c".into()), (1, "+15550100".into())],
        };
        let back = decode_record(&encode_record(&record)).unwrap();
        assert_eq!(back.identifiers, record.identifiers);
        assert_eq!(back.fields.key.as_deref(), Some("c-1"));
        assert_eq!(back.fields.time_min, crate::extract::NO_TIME);
        assert!(back.fields.amount.is_nan());
        assert!(decode_record(&encode_record(&record)[..10]).is_err());
    }

    #[test]
    fn link_round_trips() {
        let link = Link {
            root: record_key(2, 5),
            parent: -1,
            via: None,
            matched_by: Some((1, "+15550100".into())),
            position: 0,
            refused: vec![((1, "+15550199".into()), Rule::Landline, "why".into())],
        };
        assert_eq!(decode_link(&encode_link(&link)).unwrap(), link);
    }

    #[test]
    fn keys_sort_in_run_order() {
        assert!(record_key(0, 1_000_000) < record_key(1, 1));
        assert_eq!(split_key(record_key(3, 42)), (3, 42));
        assert_eq!(split_identifier("3:a:b").unwrap(), (3, "a:b"));
    }
}
