//! Columns that look like an identifier several files share (an SSN, a member number), for
//! `inspect` to propose and for the hint of a file that links nobody (issue 15).
//!
//! In: the input files and their plans. Out: [`SharedColumn`]s, best first. A column is
//! proposed when the same header is in two or more files (or, under different headers, when
//! at least 30% of one file's values are in the other's), its role is not already an
//! identifier, a name, a date or an amount, it is not about another entity (`order_id`,
//! `date_of_birth`), its values are nearly all distinct and mostly filled in each file, they
//! are not a row number (consecutive integers), and a good share of one file's values is
//! found in another's. Nothing here links records: omni links on such a column only when told
//! (`--id COLUMN`, `[columns]`), because a wrong guess would merge strangers.

use std::collections::{BTreeMap, HashSet};

use super::{InputFile, Plan};
use crate::input::RowOutcome;
use crate::input::detect::{self, Role};

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
    /// The header of the same values in the second file, when it differs (`member_no` in
    /// one file, `MemberID` in the other).
    pub other: Option<String>,
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
    let taken: Vec<String> = found.iter().map(|s| s.column.clone()).collect();
    found.extend(find_renamed(files, plans, &taken)?);
    found.sort_by(|a, b| b.overlap.total_cmp(&a.overlap));
    Ok(found)
}

/// Least overlap for columns whose headers differ: without the header's word, the values
/// must say more.
const MIN_RENAMED_OVERLAP: f64 = 0.3;

/// Shared ids under different headers in two files: every candidate column not `taken` that
/// passes the per-file checks, compared with those of the other files.
fn find_renamed(
    files: &[InputFile],
    plans: &[&Plan],
    taken: &[String],
) -> anyhow::Result<Vec<SharedColumn>> {
    let mut usable: Vec<(usize, String, ColumnValues)> = Vec::new();
    for (i, plan) in plans.iter().enumerate() {
        let headers: Vec<&str> = plan
            .columns
            .iter()
            .filter(|c| is_candidate(&c.name, &c.role) && !taken.contains(&c.name))
            .map(|c| c.name.as_str())
            .collect();
        if headers.is_empty() {
            continue;
        }
        for (header, values) in headers.iter().zip(read_columns(&files[i], &headers)?) {
            if passes(&values) {
                usable.push((i, (*header).to_owned(), values));
            }
        }
    }
    let mut found = Vec::new();
    for (a, (fa, ha, va)) in usable.iter().enumerate() {
        for (fb, hb, vb) in &usable[a + 1..] {
            let overlap = overlap_of(va, vb);
            if fa != fb && ha != hb && overlap >= MIN_RENAMED_OVERLAP {
                found.push(SharedColumn {
                    column: ha.clone(),
                    sources: vec![files[*fa].name.clone(), files[*fb].name.clone()],
                    distinct: distinct_of(va).min(distinct_of(vb)),
                    overlap,
                    other: Some(hb.clone()),
                });
            }
        }
    }
    Ok(found)
}

/// The per-file checks: mostly filled, nearly all distinct, not a row number or dates.
fn passes(c: &ColumnValues) -> bool {
    c.filled as f64 >= MIN_FILLED * c.rows.max(1) as f64
        && distinct_of(c) >= MIN_DISTINCT
        && !c.looks_like_row_number
}

fn distinct_of(c: &ColumnValues) -> f64 {
    c.values.len() as f64 / c.filled.max(1) as f64
}

/// The share of the smaller set of values found in the other.
fn overlap_of(a: &ColumnValues, b: &ColumnValues) -> f64 {
    let (small, large) = if a.values.len() <= b.values.len() {
        (a, b)
    } else {
        (b, a)
    };
    let common = small
        .values
        .iter()
        .filter(|v| large.values.contains(*v))
        .count();
    common as f64 / small.values.len().max(1) as f64
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
    if !columns.iter().all(passes) {
        return None;
    }
    let distinct = columns.iter().map(distinct_of).fold(1.0f64, f64::min);
    let mut overlap = 0.0f64;
    for (a, ca) in columns.iter().enumerate() {
        for cb in &columns[a + 1..] {
            overlap = overlap.max(overlap_of(ca, cb));
        }
    }
    (overlap >= MIN_OVERLAP).then(|| SharedColumn {
        column: header.to_owned(),
        sources: holders.iter().map(|&i| files[i].name.clone()).collect(),
        distinct,
        overlap,
        other: None,
    })
}

/// The trimmed non-empty values of `header` in the first [`ROWS`] rows of `file`.
fn read_column(file: &InputFile, header: &str) -> anyhow::Result<ColumnValues> {
    let mut columns = read_columns(file, &[header])?;
    Ok(columns.pop().expect("one column asked, one given"))
}

/// The values of each of `headers` in the first [`ROWS`] rows of `file`, in one pass.
fn read_columns(file: &InputFile, headers: &[&str]) -> anyhow::Result<Vec<ColumnValues>> {
    let mut table = file.open()?;
    let at: Vec<Option<usize>> = headers
        .iter()
        .map(|h| table.headers.iter().position(|t| t == h))
        .collect();
    let mut batch = Vec::new();
    table.rows.next_batch(ROWS, &mut batch)?;
    let rows: Vec<&Vec<String>> = batch
        .iter()
        .filter_map(|row| match row {
            RowOutcome::Row { fields, .. } => Some(fields),
            RowOutcome::Bad { .. } => None,
        })
        .collect();
    Ok(at
        .iter()
        .map(|&i| column_values(rows.iter().map(|r| i.and_then(|i| r.get(i)))))
        .collect())
}

/// Counts, distinct values and the row-number/date verdict of one column's cells.
fn column_values<'a>(cells: impl Iterator<Item = Option<&'a String>>) -> ColumnValues {
    let mut out = ColumnValues {
        rows: 0,
        filled: 0,
        values: HashSet::new(),
        looks_like_row_number: false,
    };
    let (mut dates, mut numbers) = (0, Vec::new());
    for cell in cells {
        out.rows += 1;
        let Some(value) = cell.map(|v| v.trim()).filter(|v| !v.is_empty()) else {
            continue;
        };
        out.filled += 1;
        dates += usize::from(detect::is_timestamp_like(value));
        if let Ok(n) = value.parse::<u64>() {
            numbers.push(n);
        }
        out.values.insert(value.to_owned());
    }
    // Consecutive integers (a row number, an auto-increment key) and dates are not shared ids.
    if !numbers.is_empty() && numbers.len() == out.filled {
        let lo = numbers.iter().min().copied().unwrap_or(0);
        let hi = numbers.iter().max().copied().unwrap_or(0);
        out.looks_like_row_number = hi - lo < 2 * numbers.len() as u64;
    }
    out.looks_like_row_number |= dates * 2 > out.filled;
    out
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
                spool: None,
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
    fn shared_ids_are_found_under_the_same_or_different_headers() {
        let dir = tempfile::tempdir().unwrap();
        let ids: Vec<String> = (0..30).map(|i| format!("M{}", 1000 + i * 37)).collect();
        let write = |name: &str, header: &str, ids: &[String]| {
            let body: String = ids
                .iter()
                .enumerate()
                .map(|(row, id)| format!("{row},{id},{}\n", 100 + row))
                .collect();
            let path = dir.path().join(name);
            std::fs::write(&path, format!("rec,{header},ssn\n{body}")).unwrap();
            path
        };
        let paths = [
            write("a.csv", "member_no", &ids),
            write("b.csv", "MemberID", &ids[..20]),
        ];
        let files: Vec<InputFile> = paths
            .iter()
            .zip(["a", "b"])
            .map(|(path, n)| InputFile {
                path: path.clone(),
                stem: n.to_owned(),
                name: n.to_owned(),
                settings: Default::default(),
                spool: None,
            })
            .collect();
        let plan = |header: &str| Plan {
            columns: ["rec", header, "ssn"]
                .iter()
                .map(|h| super::super::PlannedColumn {
                    name: (*h).to_owned(),
                    role: Role::Ignore,
                    why: String::new(),
                })
                .collect(),
        };
        let plans = [plan("member_no"), plan("MemberID")];
        let found = find(&files, &plans.iter().collect::<Vec<_>>()).unwrap();
        // `rec` and `ssn` are row numbers (consecutive integers); the member number is shared
        // under two names.
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].column, "member_no");
        assert_eq!(found[0].other.as_deref(), Some("MemberID"));
        assert_eq!(found[0].overlap, 1.0);
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
