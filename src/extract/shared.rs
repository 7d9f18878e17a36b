//! Columns that look like an identifier several files share (an SSN, a member number), for
//! `inspect` to propose and for the hint of a file that links nobody (issue 15).
//!
//! In: the input files and their plans. Out: [`SharedColumn`]s, best first. A column is
//! proposed when the same header is in two or more files, its role is not already an
//! identifier, a name, a date or an amount, it is not about another entity (`order_id`,
//! `date_of_birth`), its values are nearly all distinct and mostly filled in each file, they
//! are not a row number (consecutive integers), and a good share of one file's values is
//! found in another's. Nothing here links records: omni links on such a column only when told
//! (`--id COLUMN`, `[columns]`), because a wrong guess would merge strangers.

use std::collections::{BTreeMap, HashSet};

use super::{InputFile, Plan};
use crate::input::detect::{self, Role};
use crate::input::{self, RowOutcome};

/// Rows read per file to measure distinctness and overlap.
const ROWS: usize = 20_000;
/// Least share of distinct values among the filled ones, in every file.
const MIN_DISTINCT: f64 = 0.9;
/// Least share of filled values among the rows read, in every file.
const MIN_FILLED: f64 = 0.5;
/// Least share of the smaller file's values also found in the other file.
const MIN_OVERLAP: f64 = 0.1;

/// A column proposed as a shared identifier.
#[derive(Clone, Debug, PartialEq)]
pub struct SharedColumn {
    /// Header name.
    pub column: String,
    /// Source names of the files that have it.
    pub sources: Vec<String>,
    /// Lowest share of distinct values over those files.
    pub distinct: f64,
    /// Highest share of one file's values found in another.
    pub overlap: f64,
}

/// Values of one column in one file.
struct ColumnValues {
    rows: usize,
    filled: usize,
    values: HashSet<String>,
    looks_like_row_number: bool,
}

/// The columns of `files` (planned as `plans`) that look like a shared identifier, best
/// (largest overlap) first. Reads up to [`ROWS`] rows of each file that has a candidate.
pub fn find(files: &[InputFile], plans: &[&Plan]) -> anyhow::Result<Vec<SharedColumn>> {
    let mut by_header: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, plan) in plans.iter().enumerate() {
        for column in plan
            .columns
            .iter()
            .filter(|c| is_candidate(&c.name, &c.role))
        {
            by_header.entry(column.name.as_str()).or_default().push(i);
        }
    }
    by_header.retain(|_, files| files.len() >= 2);
    let mut found = Vec::new();
    for (header, holders) in by_header {
        let mut columns = Vec::with_capacity(holders.len());
        for &i in &holders {
            columns.push(read_column(&files[i], header)?);
        }
        if let Some(shared) = judge(header, &holders, &columns, files) {
            found.push(shared);
        }
    }
    found.sort_by(|a, b| b.overlap.total_cmp(&a.overlap));
    Ok(found)
}

/// Roles that may hide a shared id: the key, or a column nothing was detected in.
fn is_candidate(header: &str, role: &Role) -> bool {
    matches!(role, Role::Key | Role::Ignore) && !detect::names_other_entity(header)
}

/// The verdict on one header from its values in each file that has it.
fn judge(
    header: &str,
    holders: &[usize],
    columns: &[ColumnValues],
    files: &[InputFile],
) -> Option<SharedColumn> {
    let mut distinct = 1.0f64;
    for c in columns {
        let filled = c.filled.max(1) as f64;
        let ok = c.filled as f64 >= MIN_FILLED * c.rows.max(1) as f64
            && c.values.len() as f64 >= MIN_DISTINCT * filled
            && !c.looks_like_row_number;
        if !ok {
            return None;
        }
        distinct = distinct.min(c.values.len() as f64 / filled);
    }
    let mut overlap = 0.0f64;
    for (a, ca) in columns.iter().enumerate() {
        for cb in &columns[a + 1..] {
            let (small, large) = if ca.values.len() <= cb.values.len() {
                (ca, cb)
            } else {
                (cb, ca)
            };
            let common = small
                .values
                .iter()
                .filter(|v| large.values.contains(*v))
                .count();
            overlap = overlap.max(common as f64 / small.values.len().max(1) as f64);
        }
    }
    (overlap >= MIN_OVERLAP).then(|| SharedColumn {
        column: header.to_owned(),
        sources: holders.iter().map(|&i| files[i].name.clone()).collect(),
        distinct,
        overlap,
    })
}

/// The trimmed non-empty values of `header` in the first [`ROWS`] rows of `file`.
fn read_column(file: &InputFile, header: &str) -> anyhow::Result<ColumnValues> {
    let mut table = input::open(&file.path, &file.settings.read)?;
    let at = table.headers.iter().position(|h| h == header);
    let mut batch = Vec::new();
    table.rows.next_batch(ROWS, &mut batch)?;
    let mut out = ColumnValues {
        rows: 0,
        filled: 0,
        values: HashSet::new(),
        looks_like_row_number: false,
    };
    let mut dates = 0;
    let mut numbers: Vec<u64> = Vec::new();
    for row in &batch {
        let RowOutcome::Row { fields, .. } = row else {
            continue;
        };
        out.rows += 1;
        let Some(value) = at.and_then(|i| fields.get(i)).map(|v| v.trim()) else {
            continue;
        };
        if value.is_empty() {
            continue;
        }
        out.filled += 1;
        dates += usize::from(detect::is_timestamp_like(value));
        if let Ok(n) = value.parse::<u64>() {
            numbers.push(n);
        }
        out.values.insert(value.to_owned());
    }
    // Consecutive integers (a row number, an auto-increment key) and dates are not shared ids.
    if numbers.len() == out.filled && !numbers.is_empty() {
        let (lo, hi) = (numbers.iter().min(), numbers.iter().max());
        let span = hi.zip(lo).map_or(0, |(h, l)| h - l + 1);
        out.looks_like_row_number = span <= 2 * numbers.len() as u64;
    }
    if dates * 2 > out.filled {
        out.looks_like_row_number = true;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(rows: usize, values: &[&str]) -> ColumnValues {
        ColumnValues {
            rows,
            filled: values.len(),
            values: values.iter().map(|v| (*v).to_owned()).collect(),
            looks_like_row_number: false,
        }
    }

    fn files() -> Vec<InputFile> {
        ["a", "b"]
            .iter()
            .map(|n| InputFile {
                path: format!("{n}.csv").into(),
                stem: (*n).to_owned(),
                name: (*n).to_owned(),
                settings: Default::default(),
            })
            .collect()
    }

    #[test]
    fn distinct_overlapping_values_are_a_shared_id() {
        let a = values(4, &["5304218", "4066625", "1111119", "2222228"]);
        let b = values(4, &["5304218", "4066625", "9999991", "8888882"]);
        let got = judge("soc_sec_id", &[0, 1], &[a, b], &files()).expect("proposed");
        assert_eq!(got.sources, ["a", "b"]);
        assert_eq!(got.overlap, 0.5);
    }

    #[test]
    fn repeated_or_disjoint_values_are_not() {
        let mut repeated = values(4, &["4223", "4560"]);
        repeated.filled = 4;
        let other = values(4, &["4223", "4560", "2000", "3000"]);
        assert!(judge("postcode", &[0, 1], &[repeated, other], &files()).is_none());
        let a = values(2, &["rec-1-org", "rec-2-org"]);
        let b = values(2, &["rec-1-dup-0", "rec-2-dup-0"]);
        assert!(judge("rec_id", &[0, 1], &[a, b], &files()).is_none());
    }

    #[test]
    fn candidates_skip_identifiers_names_and_other_entities() {
        assert!(is_candidate("soc_sec_id", &Role::Ignore));
        assert!(is_candidate("customer_id", &Role::Key));
        assert!(!is_candidate("email", &Role::Email));
        assert!(!is_candidate("surname", &Role::LastName));
        assert!(!is_candidate("date_of_birth", &Role::Ignore));
        assert!(!is_candidate("order_id", &Role::Ignore));
    }
}
