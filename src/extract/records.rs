//! The columnar store of all input records: one entry per input row, in run order.
//!
//! Strings (record keys, names) live in byte arenas and identifiers as interned `u32` ids in a
//! compressed-row layout, so a record costs a few dozen bytes plus its text, not a `String` per
//! field (DESIGN.md §2: compact representations keep large runs in memory).

use super::packed::{PackedTimes, PackedU64s};

/// Text values in one arena; empty strings stand for "missing".
#[derive(Debug, Default)]
pub struct StrColumn {
    /// End offset of each value in `bytes`, in four bytes each (below 4 GiB of text).
    ends: PackedU64s,
    /// A `String`, so `get` slices without a UTF-8 check.
    bytes: String,
}

impl StrColumn {
    /// Appends a value (`None` and `""` are both stored as missing).
    pub fn push(&mut self, value: Option<&str>) {
        if let Some(v) = value {
            self.bytes.push_str(v);
        }
        self.ends.push(self.bytes.len() as u64);
    }

    /// Appends the values `range` of `other` (one copy of their bytes, offsets rebased).
    pub fn extend_from_range(&mut self, other: &StrColumn, range: std::ops::Range<usize>) {
        if range.is_empty() {
            return;
        }
        let start = other.start(range.start);
        let end = other.ends.get(range.end - 1);
        let base = self.bytes.len() as u64;
        self.bytes
            .push_str(&other.bytes[start as usize..end as usize]);
        for i in range {
            self.ends.push(base + (other.ends.get(i) - start));
        }
    }

    /// Number of values.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// True without values.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// The raw arena: end offsets and bytes (for the state file, `state::format`).
    pub fn parts(&self) -> (&PackedU64s, &[u8]) {
        (&self.ends, self.bytes.as_bytes())
    }

    /// Rebuilds a column from `parts`, checking that offsets and UTF-8 are sound, so a damaged
    /// state file is an error rather than a panic later.
    pub fn from_parts(ends: Vec<u64>, bytes: Vec<u8>) -> Result<StrColumn, String> {
        let bytes = String::from_utf8(bytes).map_err(|e| format!("text is not UTF-8: {e}"))?;
        let text = bytes.as_str();
        let mut previous = 0u64;
        for &end in &ends {
            if end < previous || end > bytes.len() as u64 || !text.is_char_boundary(end as usize) {
                return Err(format!("bad text offset {end}"));
            }
            previous = end;
        }
        if previous != bytes.len() as u64 {
            return Err("text arena has trailing bytes".into());
        }
        let ends = ends.into_iter().collect();
        Ok(StrColumn { ends, bytes })
    }

    /// Where value `i` starts in the arena.
    #[inline(always)]
    fn start(&self, i: usize) -> u64 {
        if i == 0 { 0 } else { self.ends.get(i - 1) }
    }

    /// The value at `i`, `None` when missing.
    #[inline(always)]
    pub fn get(&self, i: usize) -> Option<&str> {
        let end = self.ends.get(i) as usize;
        let start = self.start(i) as usize;
        (end > start).then(|| &self.bytes[start..end])
    }
}

/// How a record ended up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecordStatus {
    /// Read, with at least one usable identifier.
    Identified,
    /// Read, but no identifier column held a usable value.
    Unidentified,
    /// The row could not be read (ragged, broken quoting).
    Unreadable,
}

/// Missing timestamp marker.
pub const NO_TIME: i64 = i64::MIN;

/// All records of a run.
#[derive(Debug, Default)]
pub struct Records {
    /// Source index (into `Extracted::sources`).
    pub source: Vec<u16>,
    /// 1-based data-row number in its file.
    pub row: PackedU64s,
    /// Status per record.
    pub status: Vec<RecordStatus>,
    /// The source's own record key, if it has a key column.
    pub key: StrColumn,
    /// Display name (full name, or first/middle/last joined).
    pub name: StrColumn,
    /// Earliest timestamp on the row (seconds since epoch) or `NO_TIME`.
    pub time_min: PackedTimes,
    /// Latest timestamp on the row or `NO_TIME`.
    pub time_max: PackedTimes,
    /// Amount on the row, NaN when none.
    pub amount: Vec<f64>,
    ident_ends: Vec<u32>,
    idents: Vec<u32>,
}

/// One record's non-identifier fields, as extracted from a row.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct RecordFields {
    /// Record key.
    pub key: Option<String>,
    /// Display name.
    pub name: Option<String>,
    /// Earliest timestamp or `NO_TIME`.
    pub time_min: i64,
    /// Latest timestamp or `NO_TIME`.
    pub time_max: i64,
    /// Amount or NaN.
    pub amount: f64,
}

/// [`RecordFields`], borrowed: what `extract` appends without allocating.
#[derive(Debug, Clone, Copy)]
pub struct RecordRef<'a> {
    /// Record key.
    pub key: Option<&'a str>,
    /// Display name.
    pub name: Option<&'a str>,
    /// Earliest timestamp or `NO_TIME`.
    pub time_min: i64,
    /// Latest timestamp or `NO_TIME`.
    pub time_max: i64,
    /// Amount or NaN.
    pub amount: f64,
}

impl Records {
    /// Number of records.
    pub fn len(&self) -> usize {
        self.source.len()
    }

    /// True when there are no records.
    pub fn is_empty(&self) -> bool {
        self.source.is_empty()
    }

    /// Appends a record; `idents` are interned ids, already de-duplicated, in column order.
    pub fn push(
        &mut self,
        source: u16,
        row: u64,
        status: RecordStatus,
        fields: &RecordFields,
        idents: &[u32],
    ) {
        let fields = RecordRef {
            key: fields.key.as_deref(),
            name: fields.name.as_deref(),
            time_min: fields.time_min,
            time_max: fields.time_max,
            amount: fields.amount,
        };
        self.push_ref(source, row, status, &fields, idents);
    }

    /// [`Records::push`] from borrowed fields.
    pub fn push_ref(
        &mut self,
        source: u16,
        row: u64,
        status: RecordStatus,
        fields: &RecordRef<'_>,
        idents: &[u32],
    ) {
        self.source.push(source);
        self.row.push(row);
        self.status.push(status);
        self.key.push(fields.key);
        self.name.push(fields.name);
        self.time_min.push(fields.time_min);
        self.time_max.push(fields.time_max);
        self.amount.push(fields.amount);
        self.idents.extend_from_slice(idents);
        let end = u32::try_from(self.idents.len()).expect("fewer than 2^32 identifier occurrences");
        self.ident_ends.push(end);
    }

    /// The identifier lists in compressed-row form: per-record end offsets and the ids
    /// (for the state file, `state::format`).
    pub fn identifier_parts(&self) -> (&[u32], &[u32]) {
        (&self.ident_ends, &self.idents)
    }

    /// Replaces the identifier lists with `identifier_parts` read back; checks that there is one
    /// end per record, that offsets ascend within bounds and that every id is below
    /// `identifiers` (the interner's size).
    pub fn set_identifier_parts(
        &mut self,
        ends: Vec<u32>,
        idents: Vec<u32>,
        identifiers: usize,
    ) -> Result<(), String> {
        if ends.len() != self.len() {
            return Err(format!(
                "{} identifier lists for {} records",
                ends.len(),
                self.len()
            ));
        }
        if !ends.is_sorted() || ends.last().is_some_and(|&e| e as usize != idents.len()) {
            return Err("bad identifier offsets".into());
        }
        if idents.iter().any(|&id| id as usize >= identifiers) {
            return Err("identifier id out of range".into());
        }
        self.ident_ends = ends;
        self.idents = idents;
        Ok(())
    }

    /// The interned identifiers of record `i`, in column order.
    pub fn identifiers_of(&self, i: u32) -> &[u32] {
        let i = i as usize;
        let end = self.ident_ends[i] as usize;
        let start = if i == 0 {
            0
        } else {
            self.ident_ends[i - 1] as usize
        };
        &self.idents[start..end]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn str_column_keeps_missing_apart_from_values() {
        let mut col = StrColumn::default();
        col.push(Some("a"));
        col.push(None);
        col.push(Some(""));
        col.push(Some("Иван"));
        assert_eq!(col.get(0), Some("a"));
        assert_eq!(col.get(1), None);
        assert_eq!(col.get(2), None);
        assert_eq!(col.get(3), Some("Иван"));
    }

    #[test]
    fn identifiers_are_kept_per_record() {
        let mut records = Records::default();
        let fields = RecordFields {
            time_min: NO_TIME,
            time_max: NO_TIME,
            amount: f64::NAN,
            ..Default::default()
        };
        records.push(0, 1, RecordStatus::Identified, &fields, &[3, 4]);
        records.push(0, 2, RecordStatus::Unidentified, &fields, &[]);
        records.push(1, 1, RecordStatus::Identified, &fields, &[4]);
        assert_eq!(records.identifiers_of(0), &[3, 4]);
        assert!(records.identifiers_of(1).is_empty());
        assert_eq!(records.identifiers_of(2), &[4]);
    }
}
