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

    /// The field of records whose values are `values[raw[r]]` (`NONE`: no value): the same
    /// as pushing each record's value in turn, each distinct value hashed once.
    fn of_distinct(raw: &[u32], mut values: Vec<Option<String>>) -> Field {
        const UNSEEN: u32 = NONE - 1;
        let mut field = Field::default();
        field.ids.reserve(raw.len());
        let mut known = vec![UNSEEN; values.len()];
        for &v in raw {
            match known.get(v as usize).copied() {
                None => field.push(None),
                Some(UNSEEN) => {
                    field.push(values[v as usize].take());
                    known[v as usize] = *field.ids.last().expect("just pushed");
                }
                Some(NONE) => field.ids.push(NONE),
                Some(id) => {
                    field.ids.push(id);
                    field.counts[id as usize] += 1;
                    field.filled += 1;
                }
            }
        }
        field
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
    let mut reads: Vec<(&InputFile, Vec<Role>, HashMap<u64, usize>)> = Vec::new();
    let mut read_of: Vec<Option<usize>> = vec![None; extracted.sources.len()];
    for (s, source) in extracted.sources.iter().enumerate() {
        let roles: Vec<Role> = source.columns.iter().map(|c| c.role.clone()).collect();
        let file = files.iter().find(|f| f.path == source.path);
        if let Some(file) = file.filter(|_| roles.iter().any(is_attribute)) {
            read_of[s] = Some(reads.len());
            reads.push((file, roles, HashMap::new()));
        }
    }
    for r in 0..records.len() {
        if let Some(&Some(i)) = read_of.get(records.source[r] as usize) {
            reads[i].2.insert(records.row.get(r), r);
        }
    }
    // Each record belongs to one source: the files are read in parallel, their rows placed
    // by record index, so the result does not depend on the order the reads finish in.
    let read: Vec<Vec<(usize, Raw)>> = reads
        .par_iter()
        .map(|(file, roles, of_row)| {
            read_source(file, roles, of_row)
                .with_context(|| format!("{}: reading person attributes", file.path.display()))
        })
        .collect::<anyhow::Result<_>>()?;
    let mut raws: Vec<Raw> = (0..records.len()).map(|_| Raw::default()).collect();
    for (r, raw) in read.into_iter().flatten() {
        raws[r] = raw;
    }
    Ok(fold(extracted, raws, &Blocked::of(clusters)))
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

/// Reads one file's attribute columns: each row's record (located by `of_row`) and text.
fn read_source(
    file: &InputFile,
    roles: &[Role],
    of_row: &HashMap<u64, usize>,
) -> anyhow::Result<Vec<(usize, Raw)>> {
    let mut table = input::open(&file.path, &file.settings.read)?;
    let mut batch = RowBatch::default();
    let mut raws = Vec::with_capacity(of_row.len());
    loop {
        let more = table.rows.next_rows(BATCH_ROWS, &mut batch)?;
        for i in 0..batch.len() {
            let BatchItem::Row { row, fields, .. } = batch.get(i) else {
                continue;
            };
            let Some(&r) = of_row.get(&row) else {
                continue;
            };
            let mut raw = Raw::default();
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
            raws.push((r, raw));
        }
        if !more {
            return Ok(raws);
        }
    }
}

/// A field's folding of one raw text (`None` or an empty text: no value).
type Folder = fn(&str) -> Option<String>;

/// Folds the raw text into [`People`], with names from the display name where the file had no
/// name parts and the first email and phone from the interned identifiers. Each field's
/// distinct raw texts are folded once, in parallel, and values are interned in record order,
/// so value ids do not depend on threads: the same [`People`] as pushing each record's folded
/// values in turn.
fn fold(extracted: &Extracted, raws: Vec<Raw>, blocked: &Blocked) -> People {
    let records = &extracted.records;
    let n = raws.len();
    let names = |r: usize| -> (Option<&str>, Option<&str>) {
        match (&raws[r].first, &raws[r].last) {
            (None, None) => split_display(records.name.get(r)),
            (first, last) => (first.as_deref(), last.as_deref()),
        }
    };
    let words: Folder = |t| Some(fold_words(t));
    let code: Folder = |t| Some(fold_code(t));
    type Text<'t> = &'t (dyn Fn(usize) -> Option<&'t str> + Sync);
    let jobs: [(Text, Folder); 5] = [
        (&|r| names(r).0, fold_name),
        (&|r| names(r).1, fold_name),
        (&|r| raws[r].address.as_deref(), words),
        (&|r| raws[r].postcode.as_deref(), code),
        (&|r| raws[r].city.as_deref(), words),
    ];
    let (texts, (email, phone)) = rayon::join(
        || {
            jobs.par_iter()
                .map(|(text, folder)| fold_field(n, text, *folder))
                .collect::<Vec<Field>>()
        },
        || contact_fields(extracted, blocked),
    );
    let [first, last, address, postcode, city]: [Field; 5] =
        texts.try_into().expect("one field per job");
    People {
        first,
        last,
        birth: raws
            .iter()
            .map(|raw| if raw.birth == 0 { NONE } else { raw.birth })
            .collect(),
        address,
        postcode,
        city,
        email,
        phone,
    }
}

/// The field of `n` records whose raw texts are `text(r)`, each distinct text folded once.
fn fold_field<'t>(n: usize, text: &dyn Fn(usize) -> Option<&'t str>, folder: Folder) -> Field {
    let mut index: HashMap<&str, u32> = HashMap::new();
    let mut distinct: Vec<&str> = Vec::new();
    let raw: Vec<u32> = (0..n)
        .map(|r| match text(r) {
            None => NONE,
            Some(t) => *index.entry(t).or_insert_with(|| {
                distinct.push(t);
                distinct.len() as u32 - 1
            }),
        })
        .collect();
    drop(index);
    let folded: Vec<Option<String>> = distinct.par_iter().map(|t| folder(t)).collect();
    Field::of_distinct(&raw, folded)
}

/// The first allowed email and phone of each record, as fields.
fn contact_fields(extracted: &Extracted, blocked: &Blocked) -> (Field, Field) {
    let records = &extracted.records;
    let interner = &extracted.interner;
    let namespace = |name: &str| {
        let i = extracted.namespaces.iter().position(|n| n == name)?;
        Some(i as u16)
    };
    let wanted = [namespace("email"), namespace("phone")];
    let firsts: Vec<[u32; 2]> = (0..records.len() as u32)
        .into_par_iter()
        .map(|r| {
            let mut found = [NONE; 2];
            for &id in records.identifiers_of(r) {
                let ns = Some(interner.namespace_of(id));
                for k in 0..2 {
                    if found[k] == NONE && wanted[k] == ns && blocked.allows(r, id) {
                        found[k] = id;
                    }
                }
            }
            found
        })
        .collect();
    let field = |k: usize| {
        let mut local = vec![NONE; interner.len()];
        let mut distinct: Vec<u32> = Vec::new();
        let raw: Vec<u32> = firsts
            .iter()
            .map(|f| match f[k] {
                NONE => NONE,
                id => {
                    if local[id as usize] == NONE {
                        local[id as usize] = distinct.len() as u32;
                        distinct.push(id);
                    }
                    local[id as usize]
                }
            })
            .collect();
        let values = distinct
            .iter()
            .map(|&id| Some(interner.get(id).1.to_owned()));
        Field::of_distinct(&raw, values.collect())
    };
    rayon::join(|| field(0), || field(1))
}

/// First and last word of a display name.
fn split_display(name: Option<&str>) -> (Option<&str>, Option<&str>) {
    let Some(name) = name else {
        return (None, None);
    };
    let mut words = name.split_whitespace();
    let first = words.next();
    (first, words.next_back())
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

    /// Each record's folded values pushed in turn: the definition [`fold`] must agree with.
    fn fold_one_by_one(extracted: &Extracted, raws: &[Raw], blocked: &Blocked) -> People {
        let mut people = People::default();
        for (r, raw) in raws.iter().enumerate() {
            let (first, last) = match (&raw.first, &raw.last) {
                (None, None) => split_display(extracted.records.name.get(r)),
                (first, last) => (first.as_deref(), last.as_deref()),
            };
            people.first.push(first.and_then(fold_name));
            people.last.push(last.and_then(fold_name));
            people
                .birth
                .push(if raw.birth == 0 { NONE } else { raw.birth });
            people.address.push(raw.address.as_deref().map(fold_words));
            people.postcode.push(raw.postcode.as_deref().map(fold_code));
            people.city.push(raw.city.as_deref().map(fold_words));
            let first_of = |ns: &str| {
                let ns = extracted.namespaces.iter().position(|n| n == ns)? as u16;
                let ids = extracted.records.identifiers_of(r as u32);
                let (_, v) = ids
                    .iter()
                    .filter(|&&id| blocked.allows(r as u32, id))
                    .map(|&id| extracted.interner.get(id))
                    .find(|(n, _)| *n == ns)?;
                Some(v.to_owned())
            };
            people.email.push(first_of("email"));
            people.phone.push(first_of("phone"));
        }
        people
    }

    fn same(x: &Field, y: &Field) {
        assert_eq!(
            (&x.ids, &x.values, &x.counts, x.filled),
            (&y.ids, &y.values, &y.counts, y.filled)
        );
    }

    #[test]
    fn folding_distinct_values_once_is_folding_one_by_one() {
        use crate::extract::{NO_TIME, RecordFields, RecordStatus};
        let names = [
            "Анна Иванова",
            "John Smith",
            "",
            "anna ivanova",
            "Jon Smith",
            "Zoë",
            "John  Smith",
            "Анна Иванова",
        ];
        let mut extracted = Extracted {
            namespaces: vec!["email".to_owned(), "phone".to_owned()],
            ..Extracted::default()
        };
        let mut raws = Vec::new();
        for (i, name) in names.iter().enumerate() {
            let fields = RecordFields {
                name: Some(name.to_string()).filter(|n| !n.is_empty()),
                time_min: NO_TIME,
                time_max: NO_TIME,
                amount: f64::NAN,
                ..Default::default()
            };
            let ids = [
                extracted
                    .interner
                    .intern(1, &format!("+7916000000{}", i % 3)),
                extracted.interner.intern(0, &format!("a{}@x.ru", i % 2)),
                extracted.interner.intern(1, "+79160000009"),
            ];
            let status = RecordStatus::Identified;
            extracted
                .records
                .push(0, i as u64, status, &fields, &ids[..i % 4]);
            raws.push(Raw {
                last: (i == 4).then(|| "Smith".to_owned()),
                birth: if i % 2 == 0 { 19800101 + i as u32 } else { 0 },
                address: Some(format!("{} High St.", i % 3)).filter(|_| i != 6),
                postcode: Some(["2000", " 20 00", "!"][i % 3].to_owned()),
                city: (i > 2).then(|| "Sydney".to_owned()),
                ..Raw::default()
            });
        }
        // A shop's phone is generic, and record 5's email link was refused.
        let interner = &mut extracted.interner;
        let blocked = Blocked {
            generic: [interner.intern(1, "+79160000000")].into(),
            refused: [(5, interner.intern(0, "a1@x.ru"))].into(),
        };
        let expected = fold_one_by_one(&extracted, &raws, &blocked);
        assert_eq!(expected.first.values, ["anna", "john", "zoë"]);
        assert_eq!(
            expected.first.ids,
            [0, 1, NONE, 0, NONE, 2, 1, 0],
            "record 4 has a last name"
        );
        assert_eq!(expected.last.ids, [0, 1, NONE, 0, 1, NONE, 1, 0]);
        assert_eq!(expected.birth[1], NONE);
        assert_eq!(
            expected.phone.values,
            ["+79160000001", "+79160000002", "+79160000009"]
        );
        assert_eq!(expected.phone.ids[..4], [NONE, 0, 1, 2]);
        assert_eq!(expected.phone.ids[6], NONE, "only the generic phone");
        assert_eq!(expected.email.ids[5], NONE, "its one email refused");
        let people = fold(&extracted, raws, &blocked);
        for (x, y) in [
            (&people.first, &expected.first),
            (&people.last, &expected.last),
            (&people.address, &expected.address),
            (&people.postcode, &expected.postcode),
            (&people.city, &expected.city),
            (&people.email, &expected.email),
            (&people.phone, &expected.phone),
        ] {
            same(x, y);
        }
        assert_eq!(people.birth, expected.birth);
    }
}
