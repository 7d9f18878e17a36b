//! The person attributes of every record that the probabilistic pass compares: first and last
//! name, birth date, address, postcode, city, and the record's first email and phone.
//!
//! The exact pass keeps only a display name per record, so the files whose columns include
//! attribute roles (`birth_date`, `address`, `postcode`, `city`, `first_name`, `last_name`)
//! are read a second time here, with the roles `extract` decided; names fall back on the
//! display name. Every text value is folded (lowercase, transliterated to Latin, words joined
//! by one space) and interned per field, which also gives the term frequencies.

use anyhow::Context;
use hashbrown::HashMap;
use rayon::prelude::*;

use crate::extract::{Extracted, InputFile};
use crate::graph::Clusters;
use crate::graph::names::FoldedName;
use crate::input::detect::Role;
use crate::input::{self, BatchItem, RowBatch};

/// Missing value.
pub const NONE: u32 = u32::MAX;

/// Rows read per batch.
const BATCH_ROWS: usize = 16 * 1024;

/// One attribute: per record a value id (`NONE` when missing), the distinct values and how
/// many records hold each.
#[derive(Debug, Default)]
pub struct Field {
    /// Per record: the value id or `NONE`.
    pub ids: Vec<u32>,
    /// Distinct values.
    pub values: Vec<String>,
    /// Records per value.
    pub counts: Vec<u32>,
    index: HashMap<String, u32>,
    filled: u64,
}

impl Field {
    pub(crate) fn push(&mut self, value: Option<String>) {
        let Some(value) = value.filter(|v| !v.is_empty()) else {
            self.ids.push(NONE);
            return;
        };
        let next = self.values.len() as u32;
        // Hashed once; the key is copied only for a new value.
        let id = *self.index.entry_ref(value.as_str()).or_insert(next);
        if id == next {
            self.values.push(value);
            self.counts.push(0);
        }
        self.counts[id as usize] += 1;
        self.filled += 1;
        self.ids.push(id);
    }

    /// The value of record `r`.
    pub fn text(&self, r: usize) -> Option<&str> {
        match self.ids[r] {
            NONE => None,
            id => Some(&self.values[id as usize]),
        }
    }

    /// The share of filled records holding value `id`: the chance that a random record has it.
    pub fn frequency(&self, id: u32) -> f64 {
        f64::from(self.counts[id as usize]) / self.filled.max(1) as f64
    }

    /// Records with a value.
    pub fn filled(&self) -> u64 {
        self.filled
    }
}

/// The attributes of all records.
#[derive(Debug, Default)]
pub struct People {
    /// Given name.
    pub first: Field,
    /// Family name.
    pub last: Field,
    /// Birth date as `yyyymmdd`, `NONE` when missing or unreadable.
    pub birth: Vec<u32>,
    /// Street address (all address columns, in column order).
    pub address: Field,
    /// Postcode.
    pub postcode: Field,
    /// City.
    pub city: Field,
    /// The record's first email.
    pub email: Field,
    /// The record's first phone.
    pub phone: Field,
}

/// One record's raw attribute text before folding.
#[derive(Default)]
struct Raw {
    first: Option<String>,
    last: Option<String>,
    birth: u32,
    address: Option<String>,
    postcode: Option<String>,
    city: Option<String>,
}

/// Gathers the attributes of every record of `extracted`, re-reading the files in `files` that
/// have attribute columns.
pub fn gather(
    extracted: &Extracted,
    files: &[InputFile],
    clusters: &Clusters,
) -> anyhow::Result<People> {
    let records = &extracted.records;
    let mut raws: Vec<Raw> = (0..records.len()).map(|_| Raw::default()).collect();
    for (s, source) in extracted.sources.iter().enumerate() {
        let roles: Vec<Role> = source.columns.iter().map(|c| c.role.clone()).collect();
        if !roles.iter().any(is_attribute) {
            continue;
        }
        let Some(file) = files.iter().find(|f| f.path == source.path) else {
            continue;
        };
        let of_row: HashMap<u64, usize> = (0..records.len())
            .filter(|&r| records.source[r] as usize == s)
            .map(|r| (records.row[r], r))
            .collect();
        read_source(file, &roles, &of_row, &mut raws)
            .with_context(|| format!("{}: reading person attributes", file.path.display()))?;
    }
    Ok(fold(extracted, raws, &Blocked::of(clusters), FOLD_CHUNK))
}

/// What the guards said links nobody: generic identifiers, and each record's refused links.
/// The pass does not count them as evidence either (a shop's phone, a household's email).
struct Blocked {
    generic: hashbrown::HashSet<u32>,
    refused: hashbrown::HashSet<(u32, u32)>,
}

impl Blocked {
    fn of(clusters: &Clusters) -> Blocked {
        Blocked {
            generic: clusters.generic.iter().map(|g| g.identifier).collect(),
            refused: clusters
                .refused
                .iter()
                .map(|r| (r.record, r.identifier))
                .collect(),
        }
    }

    fn allows(&self, record: u32, identifier: u32) -> bool {
        !self.generic.contains(&identifier) && !self.refused.contains(&(record, identifier))
    }
}

fn is_attribute(role: &Role) -> bool {
    matches!(
        role,
        Role::FirstName
            | Role::LastName
            | Role::BirthDate
            | Role::Address
            | Role::Postcode
            | Role::City
    )
}

/// Reads one file's attribute columns into `raws` (rows located by `of_row`).
fn read_source(
    file: &InputFile,
    roles: &[Role],
    of_row: &HashMap<u64, usize>,
    raws: &mut [Raw],
) -> anyhow::Result<()> {
    let mut table = input::open(&file.path, &file.settings.read)?;
    let mut batch = RowBatch::default();
    loop {
        let more = table.rows.next_rows(BATCH_ROWS, &mut batch)?;
        for i in 0..batch.len() {
            let BatchItem::Row { row, fields, .. } = batch.get(i) else {
                continue;
            };
            let Some(&r) = of_row.get(&row) else {
                continue;
            };
            let raw = &mut raws[r];
            for (c, role) in roles.iter().enumerate() {
                let Some(cell) = fields.get(c).map(str::trim).filter(|v| !v.is_empty()) else {
                    continue;
                };
                let join = |slot: &mut Option<String>| match slot {
                    Some(s) => {
                        s.push(' ');
                        s.push_str(cell);
                    }
                    None => *slot = Some(cell.to_owned()),
                };
                match role {
                    Role::FirstName => join(&mut raw.first),
                    Role::LastName => join(&mut raw.last),
                    Role::Address => join(&mut raw.address),
                    Role::Postcode => join(&mut raw.postcode),
                    Role::City => join(&mut raw.city),
                    Role::BirthDate if raw.birth == 0 => raw.birth = parse_birth(cell),
                    _ => {}
                }
            }
        }
        if !more {
            return Ok(());
        }
    }
}

/// Records folded in parallel at a time (then interned in record order).
const FOLD_CHUNK: usize = 64 * 1024;

/// One record's folded values, ready to intern.
struct Folded {
    first: Option<String>,
    last: Option<String>,
    birth: u32,
    address: Option<String>,
    postcode: Option<String>,
    city: Option<String>,
    email: Option<String>,
    phone: Option<String>,
}

/// Folds the raw text into [`People`], with names from the display name where the file had no
/// name parts and the first email and phone from the interned identifiers. Records are folded
/// in parallel by chunks and interned in record order, so value ids do not depend on threads.
fn fold(extracted: &Extracted, mut raws: Vec<Raw>, blocked: &Blocked, chunk: usize) -> People {
    let namespace = |name: &str| extracted.namespaces.iter().position(|n| n == name);
    let namespaces = (namespace("email"), namespace("phone"));
    let mut people = People::default();
    for (c, part) in raws.chunks_mut(chunk).enumerate() {
        let folded: Vec<Folded> = part
            .par_iter_mut()
            .enumerate()
            .map(|(i, raw)| {
                let r = c * chunk + i;
                fold_one(extracted, std::mem::take(raw), r, namespaces, blocked)
            })
            .collect();
        for f in folded {
            people.first.push(f.first);
            people.last.push(f.last);
            people.birth.push(f.birth);
            people.address.push(f.address);
            people.postcode.push(f.postcode);
            people.city.push(f.city);
            people.email.push(f.email);
            people.phone.push(f.phone);
        }
    }
    people
}

/// Folds record `r`'s values; `namespaces` are those of emails and phones.
fn fold_one(
    extracted: &Extracted,
    raw: Raw,
    r: usize,
    (email_ns, phone_ns): (Option<usize>, Option<usize>),
    blocked: &Blocked,
) -> Folded {
    let records = &extracted.records;
    let (first, last) = match (raw.first, raw.last) {
        (None, None) => split_display(records.name.get(r)),
        (first, last) => (first, last),
    };
    let first_of = |ns: Option<usize>| {
        let ns = ns? as u16;
        records
            .identifiers_of(r as u32)
            .iter()
            .filter(|&&id| blocked.allows(r as u32, id))
            .map(|&id| extracted.interner.get(id))
            .find(|(n, _)| *n == ns)
            .map(|(_, v)| v.to_owned())
    };
    Folded {
        first: first.as_deref().and_then(fold_name),
        last: last.as_deref().and_then(fold_name),
        birth: if raw.birth == 0 { NONE } else { raw.birth },
        address: raw.address.as_deref().map(fold_words),
        postcode: raw.postcode.as_deref().map(fold_code),
        city: raw.city.as_deref().map(fold_words),
        email: first_of(email_ns),
        phone: first_of(phone_ns),
    }
}

/// First and last word of a display name.
fn split_display(name: Option<&str>) -> (Option<String>, Option<String>) {
    let Some(name) = name else {
        return (None, None);
    };
    let words: Vec<&str> = name.split_whitespace().collect();
    match words.as_slice() {
        [] => (None, None),
        [one] => (Some((*one).to_owned()), None),
        [first, .., last] => (Some((*first).to_owned()), Some((*last).to_owned())),
    }
}

/// A name folded as the guards fold it (Latin, lowercase), its tokens joined by a space.
fn fold_name(name: &str) -> Option<String> {
    FoldedName::new(name).map(|f| f.tokens().join(" "))
}

/// Lowercase letters and digits, words joined by one space.
fn fold_words(text: &str) -> String {
    let lower: String = text
        .chars()
        .map(|c| if c.is_alphanumeric() { c } else { ' ' })
        .flat_map(char::to_lowercase)
        .collect();
    lower.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Letters and digits only, uppercase (`sw1a 1aa` → `SW1A1AA`).
fn fold_code(text: &str) -> String {
    text.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_uppercase)
        .collect()
}

/// A birth date as `yyyymmdd` (0 when unreadable): `19710624`, `1971-06-24`, `24.06.1971`,
/// `06/24/1971` (month first only when the day cannot be a month), a trailing time ignored.
pub fn parse_birth(text: &str) -> u32 {
    let date = text.split(['T', ' ']).next().unwrap_or(text);
    let groups: Vec<&str> = date
        .split(|c: char| !c.is_ascii_digit())
        .filter(|g| !g.is_empty())
        .collect();
    let num = |s: &str| s.parse::<u32>().unwrap_or(0);
    let (y, m, d) = match groups.as_slice() {
        [all] if all.len() == 8 => {
            let (a, b, c) = (num(&all[..4]), num(&all[4..6]), num(&all[6..]));
            if (1800..=2100).contains(&a) {
                (a, b, c)
            } else {
                (num(&all[4..]), num(&all[2..4]), num(&all[..2]))
            }
        }
        [a, b, c] if a.len() == 4 => (num(a), num(b), num(c)),
        [a, b, c] if c.len() == 4 && num(b) > 12 => (num(c), num(a), num(b)),
        [a, b, c] if c.len() == 4 => (num(c), num(b), num(a)),
        _ => return 0,
    };
    let valid = (1800..=2100).contains(&y) && (1..=12).contains(&m) && (1..=31).contains(&d);
    if valid { y * 10000 + m * 100 + d } else { 0 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn birth_dates_in_common_spellings() {
        assert_eq!(parse_birth("19151111"), 19151111);
        assert_eq!(parse_birth("1971-06-24"), 19710624);
        assert_eq!(parse_birth("24.06.1971"), 19710624);
        assert_eq!(parse_birth("06/24/1971"), 19710624);
        assert_eq!(parse_birth("1971-06-24T00:00:00"), 19710624);
        assert_eq!(parse_birth("24061971"), 19710624);
        assert_eq!(parse_birth("n/a"), 0);
        assert_eq!(parse_birth("1971-13-01"), 0);
    }

    #[test]
    fn fields_fold_and_count() {
        let mut field = Field::default();
        for v in ["a", "b", "a", ""] {
            field.push(Some(v.to_owned()));
        }
        field.push(None);
        assert_eq!(field.text(2), Some("a"));
        assert_eq!(field.text(3), None);
        assert!((field.frequency(field.ids[0]) - 2.0 / 3.0).abs() < 1e-9);
        assert_eq!(fold_name("Татьяна").as_deref(), Some("tatyana"));
        assert_eq!(fold_words(" 12, Stanley  St. "), "12 stanley st");
        assert_eq!(fold_code("sw1a 1aa"), "SW1A1AA");
    }

    #[test]
    fn folding_by_chunks_is_folding_one_by_one() {
        use crate::extract::{NO_TIME, RecordFields, RecordStatus};
        let names = [
            "Анна Иванова",
            "John Smith",
            "",
            "anna ivanova",
            "Jon Smith",
            "Zoë",
        ];
        let mut extracted = Extracted::default();
        let mut raws = Vec::new();
        for (i, name) in names.iter().enumerate() {
            let fields = RecordFields {
                name: Some(name.to_string()).filter(|n| !n.is_empty()),
                time_min: NO_TIME,
                time_max: NO_TIME,
                amount: f64::NAN,
                ..Default::default()
            };
            let status = RecordStatus::Unidentified;
            extracted.records.push(0, i as u64, status, &fields, &[]);
            raws.push(Raw {
                last: (i == 4).then(|| "Smith".to_owned()),
                birth: if i % 2 == 0 { 19800101 + i as u32 } else { 0 },
                address: Some(format!("{} High St.", i % 3)),
                city: (i > 2).then(|| "Sydney".to_owned()),
                ..Raw::default()
            });
        }
        let copy = |raws: &[Raw]| -> Vec<Raw> {
            raws.iter()
                .map(|r| Raw {
                    first: r.first.clone(),
                    last: r.last.clone(),
                    birth: r.birth,
                    address: r.address.clone(),
                    postcode: r.postcode.clone(),
                    city: r.city.clone(),
                })
                .collect()
        };
        let blocked = Blocked::of(&Clusters::default());
        let one_by_one = fold(&extracted, copy(&raws), &blocked, 1);
        assert_eq!(one_by_one.first.values, ["anna", "john", "zoë"]);
        assert_eq!(
            one_by_one.first.ids,
            [0, 1, NONE, 0, NONE, 2],
            "record 4 has a last name"
        );
        assert_eq!(one_by_one.last.ids, [0, 1, NONE, 0, 1, NONE]);
        assert_eq!(one_by_one.birth[1], NONE);
        for chunk in [2, 4, FOLD_CHUNK] {
            let people = fold(&extracted, copy(&raws), &blocked, chunk);
            for (x, y) in [
                (&people.first, &one_by_one.first),
                (&people.last, &one_by_one.last),
                (&people.address, &one_by_one.address),
                (&people.city, &one_by_one.city),
            ] {
                assert_eq!(
                    (&x.ids, &x.values, &x.counts),
                    (&y.ids, &y.values, &y.counts)
                );
            }
            assert_eq!(people.birth, one_by_one.birth);
        }
    }
}
