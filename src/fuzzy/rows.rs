//! The candidate-pair comparison's working copy of [`People`], laid out for the hot loop
//! (issue 20, speed at 1M people): the same levels as [`compare::compare`], for less.
//!
//! - One row per record of its 8 comparison values (7 value ids and the birth date), so a pair
//!   reads two 32-byte rows instead of 16 places in 8 columns.
//! - Each field's distinct values in one text arena, each located by one packed `u64` (start,
//!   length, ASCII flag), instead of a `String` header pointing elsewhere on the heap.
//! - Values of one field are interned, so equal ids are equal texts: exact agreement costs an
//!   integer compare, and no Jaro-Winkler is run on it.
//! - Jaro-Winkler of two ASCII values runs on bytes with bit flags ([`jaro_winkler`]), the very
//!   arithmetic of `strsim::jaro_winkler`, without its allocation and its re-decoding of the
//!   second string for every character of the first.
//!
//! `compare::compare` stays the straightforward definition; the tests here check that
//! [`Rows::compare`] gives the same levels, and [`jaro_winkler`] the same bits as strsim.

use rayon::prelude::*;

use super::compare::{self, Levels};
use super::people::{Field, NONE, People};

/// Where [`Row`] keeps each comparison's value: the index of the comparison in
/// [`compare::Comparison::ALL`]; the birth date sits at [`BIRTH`] as `yyyymmdd`.
const BIRTH: usize = 2;

/// One record's values in comparison order: value ids (`NONE` when missing), the birth date
/// at [`BIRTH`].
type Row = [u32; compare::COMPARISONS];

/// Longest ASCII value compared on bytes (the flags are the bits of a `u64`).
const MAX_FAST: usize = 64;

/// Pairs per chunk of [`Rows::compare_all`].
const CHUNK: usize = 1024;
/// How many pairs ahead [`Rows::compare_all`] fetches rows, value spans and value text.
const AHEAD_ROW: usize = 20;
const AHEAD_SPAN: usize = 10;
const AHEAD_TEXT: usize = 4;

/// Asks the CPU to bring `value`'s first cache line in (a hint: no effect on any result).
#[inline]
fn prefetch<T: ?Sized>(value: &T) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
        let p = (value as *const T).cast::<i8>();
        // SAFETY: SSE is part of x86_64; a prefetch reads nothing the program sees and
        // cannot fault, and `p` points into a live reference anyway.
        unsafe { _mm_prefetch::<_MM_HINT_T0>(p) };
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = value;
}

/// One field's distinct values in one arena.
#[derive(Debug, Default)]
struct Vocab {
    text: String,
    /// Per value: `start << 32 | len << 1 | ascii`.
    spans: Vec<u64>,
}

impl Vocab {
    fn of(field: &Field) -> Vocab {
        let mut vocab = Vocab {
            text: String::with_capacity(field.values.iter().map(String::len).sum()),
            spans: Vec::with_capacity(field.values.len()),
        };
        for value in &field.values {
            let start = vocab.text.len() as u64;
            vocab.text.push_str(value);
            let len = value.len() as u64;
            vocab
                .spans
                .push(start << 32 | len << 1 | u64::from(value.is_ascii()));
        }
        vocab
    }

    /// Value `id`'s text and whether it is ASCII.
    fn get(&self, id: u32) -> (&str, bool) {
        let span = self.spans[id as usize];
        let start = (span >> 32) as usize;
        let len = (span as u32 >> 1) as usize;
        (&self.text[start..start + len], span & 1 == 1)
    }
}

/// A value to compare: its text and whether it is ASCII.
type Text<'a> = (&'a str, bool);

/// The records' comparison values, row-major.
#[derive(Debug)]
pub struct Rows {
    rows: Vec<Row>,
    /// Per comparison (the birth date's entry is empty).
    vocabs: Vec<Vocab>,
}

impl Rows {
    /// Lays out `people`.
    pub fn of(people: &People) -> Rows {
        let fields = fields(people);
        let vocabs = fields
            .iter()
            .map(|f| f.map_or_else(Vocab::default, Vocab::of))
            .collect();
        let rows = (0..people.birth.len())
            .map(|r| {
                let mut row = [NONE; compare::COMPARISONS];
                for (k, field) in fields.iter().enumerate() {
                    row[k] = field.map_or(people.birth[r], |f| f.ids[r]);
                }
                row
            })
            .collect();
        Rows { rows, vocabs }
    }

    /// Number of records.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// True without records.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The levels of every pair of `pairs`, in order: [`Rows::compare`] of each, run in chunks
    /// that fetch ahead what the coming pairs will read (the second record's row, then its
    /// values' spans, then their text), as the pairs are sorted by their first record only and
    /// each second record is a cache miss otherwise.
    pub fn compare_all(&self, pairs: &[(u32, u32)]) -> Vec<Levels> {
        let mut out = vec![[0; compare::COMPARISONS]; pairs.len()];
        out.par_chunks_mut(CHUNK)
            .zip(pairs.par_chunks(CHUNK))
            .for_each(|(out, pairs)| {
                // The first record repeats from pair to pair (the pairs are sorted): fetched
                // only when it changes.
                let new_first = |j: usize| j == 0 || pairs[j - 1].0 != pairs[j].0;
                for (i, &(a, b)) in pairs.iter().enumerate() {
                    if let Some(&(x, y)) = pairs.get(i + AHEAD_ROW) {
                        prefetch(&self.rows[x as usize]);
                        prefetch(&self.rows[y as usize]);
                    }
                    if let Some(&(x, y)) = pairs.get(i + AHEAD_SPAN) {
                        if new_first(i + AHEAD_SPAN) {
                            self.fetch_values(x, false);
                        }
                        self.fetch_values(y, false);
                    }
                    if let Some(&(x, y)) = pairs.get(i + AHEAD_TEXT) {
                        if new_first(i + AHEAD_TEXT) {
                            self.fetch_values(x, true);
                        }
                        self.fetch_values(y, true);
                    }
                    out[i] = self.compare(a, b);
                }
            });
        out
    }

    /// Prefetches record `r`'s value spans, or (`text`) their text.
    fn fetch_values(&self, r: u32, text: bool) {
        let row = &self.rows[r as usize];
        for (k, &id) in row.iter().enumerate() {
            if k == BIRTH || id == NONE {
                continue;
            }
            let vocab = &self.vocabs[k];
            if text {
                let start = (vocab.spans[id as usize] >> 32) as usize;
                prefetch(&vocab.text.as_bytes()[start..]);
            } else {
                prefetch(&vocab.spans[id as usize]);
            }
        }
    }

    fn text(&self, k: usize, id: u32) -> Option<Text<'_>> {
        (id != NONE).then(|| self.vocabs[k].get(id))
    }

    /// The levels of records `a` and `b`: the same as [`compare::compare`].
    pub fn compare(&self, a: u32, b: u32) -> Levels {
        let (x, y) = (&self.rows[a as usize], &self.rows[b as usize]);
        let mut levels = [0; compare::COMPARISONS];
        for k in 0..compare::COMPARISONS {
            levels[k] = match (x[k], y[k]) {
                (NONE, _) | (_, NONE) => 0,
                _ if k == BIRTH => compare::date_level(x[k], y[k]),
                (i, j) if i == j => 1,
                (i, j) => self.differing(k, i, j),
            };
        }
        let (first, last) = (levels[0], levels[1]);
        if (first, last) != (1, 1) {
            // Given name and surname swapped: as in `compare::compare`, which takes the swapped
            // levels when both are present and their ranks sum to less than `now`. A swapped
            // level ranks at least 1, so the first is wanted only up to `now - 2` and the second
            // only up to `now - 1 - rank(first)`: beyond that its exact value cannot matter,
            // and an equality test stands for Jaro-Winkler when only 1 would do.
            let rank = |l: u8| if l == 0 { 5 } else { l };
            let now = rank(first) + rank(last);
            let s0 = self.names_within(self.text(0, x[0]), self.text(1, y[1]), now - 2);
            if s0 > 0 && rank(s0) + 1 < now {
                let cap = now - 1 - rank(s0);
                let s1 = self.names_within(self.text(1, x[1]), self.text(0, y[0]), cap);
                if s1 > 0 && rank(s0) + rank(s1) < now {
                    (levels[0], levels[1]) = (s0, s1);
                }
            }
        }
        levels
    }

    /// The level of comparison `k` between two different values of its field.
    fn differing(&self, k: usize, i: u32, j: u32) -> u8 {
        let (x, y) = (self.vocabs[k].get(i), self.vocabs[k].get(j));
        match compare::Comparison::ALL[k] {
            compare::Comparison::FirstName | compare::Comparison::LastName => name_level(x, y),
            compare::Comparison::Address | compare::Comparison::City => {
                if jaro_winkler(x, y) >= 0.90 { 2 } else { 3 }
            }
            compare::Comparison::Postcode | compare::Comparison::Phone => {
                compare::edit_level(x.0, y.0, 1)
            }
            compare::Comparison::Email => compare::email_level((Some(x.0), Some(y.0))),
            compare::Comparison::BirthDate => unreachable!("birth dates are not interned"),
        }
    }

    /// `compare::name_level` of two values, 0 when one is missing; when the level is above
    /// `cap` (at least 1), possibly another level above `cap` (4).
    fn names_within(&self, x: Option<Text<'_>>, y: Option<Text<'_>>, cap: u8) -> u8 {
        match (x, y) {
            (Some(x), Some(y)) if x.0 == y.0 => 1,
            (Some(x), Some(y)) if cap >= 2 => name_level(x, y),
            (Some(_), Some(_)) => 4,
            _ => 0,
        }
    }
}

/// The fields of `people` in comparison order, `None` for the birth date.
fn fields(people: &People) -> [Option<&Field>; compare::COMPARISONS] {
    [
        Some(&people.first),
        Some(&people.last),
        None,
        Some(&people.address),
        Some(&people.postcode),
        Some(&people.city),
        Some(&people.email),
        Some(&people.phone),
    ]
}

/// `compare::name_level` of two different values.
fn name_level(x: Text<'_>, y: Text<'_>) -> u8 {
    let similarity = jaro_winkler(x, y);
    if similarity >= 0.92 {
        2
    } else if similarity >= 0.80 {
        3
    } else {
        4
    }
}

/// `strsim::jaro_winkler`, on bytes when both values are ASCII and short enough.
fn jaro_winkler((a, a_ascii): Text<'_>, (b, b_ascii): Text<'_>) -> f64 {
    if !(a_ascii && b_ascii && a.len() <= MAX_FAST && b.len() <= MAX_FAST) {
        return strsim::jaro_winkler(a, b);
    }
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let sim = jaro(a, b);
    if sim > 0.7 {
        let prefix = a.iter().take(4).zip(b).take_while(|(x, y)| x == y).count();
        sim + 0.1 * prefix as f64 * (1.0 - sim)
    } else {
        sim
    }
}

/// `strsim::generic_jaro` of two byte strings of at most [`MAX_FAST`] bytes, step for step
/// (the same matches, transpositions and final expression), with the flags as bits.
fn jaro(a: &[u8], b: &[u8]) -> f64 {
    if a.is_empty() && b.is_empty() {
        return 1.0;
    } else if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    let range = (a.len().max(b.len()) / 2).saturating_sub(1);
    let (mut a_flags, mut b_flags) = (0u64, 0u64);
    let mut matches = 0_usize;
    for (i, &x) in a.iter().enumerate() {
        let (lo, hi) = (i.saturating_sub(range), b.len().min(i + range + 1));
        for (j, &y) in b.iter().enumerate().take(hi).skip(lo) {
            if x == y && b_flags & 1 << j == 0 {
                a_flags |= 1 << i;
                b_flags |= 1 << j;
                matches += 1;
                break;
            }
        }
    }
    if matches == 0 {
        return 0.0;
    }
    let mut transpositions = 0_usize;
    let mut j = 0;
    for (i, &x) in a.iter().enumerate() {
        if a_flags & 1 << i != 0 {
            while b_flags & 1 << j == 0 {
                j += 1;
            }
            if x != b[j] {
                transpositions += 1;
            }
            j += 1;
        }
    }
    transpositions /= 2;
    ((matches as f64 / a.len() as f64)
        + (matches as f64 / b.len() as f64)
        + ((matches - transpositions) as f64 / matches as f64))
        / 3.0
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn text(s: &str) -> Text<'_> {
        (s, s.is_ascii())
    }

    #[test]
    fn jaro_winkler_on_bytes_is_strsims() {
        for (a, b) in [
            ("neumann", "neuman"),
            ("martha", "marhta"),
            ("dixon", "dicksonx"),
            ("rob", "robert"),
            ("anna", "peter"),
            ("", "x"),
            ("", ""),
            ("aaaa", "aaaa"),
            ("татьяна", "tatyana"),
        ] {
            let fast = jaro_winkler(text(a), text(b));
            assert_eq!(
                fast.to_bits(),
                strsim::jaro_winkler(a, b).to_bits(),
                "{a} {b}"
            );
        }
        assert!((jaro_winkler(text("martha"), text("marhta")) - 0.961_111).abs() < 1e-6);
    }

    proptest! {
        #[test]
        fn jaro_winkler_matches_strsim(a in "[a-e ]{0,70}", b in "[a-e ]{0,70}", c in "[a-zé]{0,9}") {
            for (x, y) in [(&a, &b), (&a, &c), (&c, &b)] {
                let fast = jaro_winkler(text(x), text(y));
                prop_assert_eq!(fast.to_bits(), strsim::jaro_winkler(x, y).to_bits());
            }
        }

        #[test]
        fn rows_compare_as_compare(
            records in proptest::collection::vec(
                (0..8usize, 0..8usize, 0..6usize, 0..5usize, 0..5usize, 0..5usize, 0..5usize, 0..5usize),
                2..30,
            ),
        ) {
            let people = people_of(&records);
            let rows = Rows::of(&people);
            let n = records.len() as u32;
            for a in 0..n {
                for b in 0..n {
                    prop_assert_eq!(rows.compare(a, b), compare::compare(&people, a, b));
                }
            }
        }
    }

    const NAMES: [&str; 8] = [
        "anna",
        "ana",
        "smith",
        "smyth",
        "",
        "john",
        "jon",
        "anna maria",
    ];
    const BIRTHS: [u32; 6] = [0, 19800101, 19800110, 19810101, 19750505, 19800102];
    const ADDRESSES: [&str; 5] = [
        "12 high street",
        "12 high st",
        "",
        "1 low road",
        "ул ленина 5",
    ];
    const CODES: [&str; 5] = ["2000", "2001", "", "20000", "3000"];
    const CITIES: [&str; 5] = ["sydney", "sidney", "", "москва", "moskva"];
    const EMAILS: [&str; 5] = [
        "anna@gmail.com",
        "anna@gmial.com",
        "",
        "ann@gmail.com",
        "x@y.ru",
    ];
    const PHONES: [&str; 5] = ["+79161234567", "+79161234568", "", "+7916123456", "+441234"];

    type Choice = (usize, usize, usize, usize, usize, usize, usize, usize);

    fn people_of(records: &[Choice]) -> People {
        let mut people = People::default();
        let some = |s: &str| Some(s.to_owned());
        for &(f, l, bd, a, p, c, e, ph) in records {
            people.first.push(some(NAMES[f]));
            people.last.push(some(NAMES[(l + 2) % NAMES.len()]));
            people
                .birth
                .push(if BIRTHS[bd] == 0 { NONE } else { BIRTHS[bd] });
            people.address.push(some(ADDRESSES[a]));
            people.postcode.push(some(CODES[p]));
            people.city.push(some(CITIES[c]));
            people.email.push(some(EMAILS[e]));
            people.phone.push(some(PHONES[ph]));
        }
        people
    }

    #[test]
    fn compare_all_is_compare_of_each_pair() {
        let records: Vec<Choice> = (0..45)
            .map(|i| {
                (
                    i % 8,
                    i % 7,
                    i % 6,
                    i % 5,
                    i / 9,
                    (i + 1) % 5,
                    i % 3,
                    (i + 2) % 5,
                )
            })
            .collect();
        let people = people_of(&records);
        let rows = Rows::of(&people);
        let pairs: Vec<(u32, u32)> = (0..45).flat_map(|a| (0..45).map(move |b| (a, b))).collect();
        assert!(pairs.len() > CHUNK, "crosses a chunk boundary");
        let all = rows.compare_all(&pairs);
        assert_eq!(all.len(), pairs.len());
        for (levels, &(a, b)) in all.iter().zip(&pairs) {
            assert_eq!(*levels, compare::compare(&people, a, b), "{a} {b}");
        }
        assert_eq!(rows.compare_all(&[]), Vec::<Levels>::new());
    }

    #[test]
    fn rows_keep_values_and_levels() {
        let people = people_of(&[
            (0, 1, 1, 0, 0, 0, 0, 0),
            (1, 1, 2, 1, 1, 1, 1, 1),
            (4, 3, 0, 2, 2, 2, 2, 2),
        ]);
        let rows = Rows::of(&people);
        assert_eq!(rows.text(0, rows.rows[0][0]), Some(("anna", true)));
        assert_eq!(rows.text(1, rows.rows[0][1]), Some(("smyth", true)));
        assert_eq!(rows.rows[0][BIRTH], 19800101);
        assert_eq!(rows.text(0, rows.rows[2][0]), None, "empty is missing");
        let levels = rows.compare(0, 1);
        assert_eq!(levels, compare::compare(&people, 0, 1));
        assert_eq!(
            [
                levels[0], levels[1], levels[2], levels[4], levels[6], levels[7]
            ],
            [2, 1, 2, 2, 2, 2]
        );
        assert_eq!(rows.compare(0, 0), [1; 8]);
        assert_eq!(rows.compare(0, 2), [0, 4, 0, 0, 0, 0, 0, 0]);
        assert_eq!(
            rows.names_within(Some(("anna", true)), Some(("ana", true)), 2),
            2
        );
        assert_eq!(
            rows.names_within(Some(("anna", true)), Some(("ana", true)), 1),
            4
        );
        assert_eq!(
            rows.names_within(Some(("anna", true)), Some(("anna", true)), 1),
            1
        );
        assert_eq!(rows.names_within(None, Some(("anna", true)), 3), 0);
    }

    #[test]
    fn swapped_names_as_compare() {
        // Names swapped exactly, swapped with a typo, half swapped, one side missing.
        let mut people = People::default();
        for (first, last) in [
            ("anna", "smith"),
            ("smith", "anna"),
            ("smyth", "ana"),
            ("smith", "john"),
            ("", "anna"),
            ("jon", "smith"),
        ] {
            people.first.push(Some(first.to_owned()));
            people.last.push(Some(last.to_owned()));
            people.birth.push(NONE);
            for field in [
                &mut people.address,
                &mut people.postcode,
                &mut people.city,
                &mut people.email,
                &mut people.phone,
            ] {
                field.push(None);
            }
        }
        let rows = Rows::of(&people);
        for a in 0..6 {
            for b in 0..6 {
                assert_eq!(
                    rows.compare(a, b),
                    compare::compare(&people, a, b),
                    "{a} {b}"
                );
            }
        }
        assert_eq!(rows.compare(0, 1)[..2], [1, 1], "swapped");
        assert_eq!(rows.compare(0, 2)[..2], [2, 3], "swapped, each with a typo");
    }
}
