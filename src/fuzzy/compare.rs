//! Comparison levels of one record pair: names by Jaro-Winkler (on folded, transliterated
//! tokens), birth dates (exact, day and month transposed, one part off), addresses and cities
//! by Jaro-Winkler, postcodes and identifiers by edit distance (one wrong digit in a phone, a
//! typo in an email's domain such as `gmial.com`).
//!
//! Level 0 is always "no evidence" (a value missing on either side); level 1 is exact; higher
//! levels are weaker agreements; the last level is disagreement.

use strsim::{jaro_winkler, levenshtein};

use super::people::{NONE, People};

/// The comparisons, in the order of a pair's level vector.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Comparison {
    /// Given name.
    FirstName,
    /// Family name.
    LastName,
    /// Date of birth.
    BirthDate,
    /// Street address.
    Address,
    /// Postal code.
    Postcode,
    /// City, town or suburb.
    City,
    /// Email address.
    Email,
    /// Phone number.
    Phone,
}

impl Comparison {
    /// Every comparison, in level-vector order.
    pub const ALL: [Comparison; 8] = [
        Comparison::FirstName,
        Comparison::LastName,
        Comparison::BirthDate,
        Comparison::Address,
        Comparison::Postcode,
        Comparison::City,
        Comparison::Email,
        Comparison::Phone,
    ];

    /// The name used in outputs.
    pub fn name(self) -> &'static str {
        match self {
            Comparison::FirstName => "first_name",
            Comparison::LastName => "last_name",
            Comparison::BirthDate => "birth_date",
            Comparison::Address => "address",
            Comparison::Postcode => "postcode",
            Comparison::City => "city",
            Comparison::Email => "email",
            Comparison::Phone => "phone",
        }
    }

    /// The labels of levels 1.. (level 0 is `missing`).
    pub fn labels(self) -> &'static [&'static str] {
        match self {
            Comparison::FirstName | Comparison::LastName => {
                &["exact", "jw>=0.92", "jw>=0.80", "different"]
            }
            Comparison::BirthDate => &["exact", "day/month swapped or one part off", "different"],
            Comparison::Address | Comparison::City => &["exact", "jw>=0.90", "different"],
            Comparison::Postcode => &["exact", "one character off", "different"],
            Comparison::Email => &["exact", "at most 2 letter edits", "different"],
            Comparison::Phone => &["exact", "one digit off", "different"],
        }
    }

    /// Number of levels including level 0.
    pub fn levels(self) -> usize {
        self.labels().len() + 1
    }

    /// The label of `level` (`missing` for 0).
    pub fn label(self, level: u8) -> &'static str {
        match level {
            0 => "missing",
            l => self.labels()[l as usize - 1],
        }
    }
}

/// Number of comparisons.
pub const COMPARISONS: usize = Comparison::ALL.len();

/// A pair's levels, one per comparison.
pub type Levels = [u8; COMPARISONS];

/// Compares records `a` and `b`: the definition of the levels. The pass itself runs
/// [`super::rows::Rows::compare`], which gives the same levels faster.
pub fn compare(people: &People, a: u32, b: u32) -> Levels {
    let (a, b) = (a as usize, b as usize);
    fn pair(field: &super::people::Field, a: usize, b: usize) -> (Option<&str>, Option<&str>) {
        (field.text(a), field.text(b))
    }
    let names = |(x, y): (Option<&str>, Option<&str>)| match (x, y) {
        (Some(x), Some(y)) => name_level(x, y),
        _ => 0,
    };
    let jw = |(x, y): (Option<&str>, Option<&str>)| match (x, y) {
        (Some(x), Some(y)) => similar_level(x, y, 0.90),
        _ => 0,
    };
    let edit = |(x, y): (Option<&str>, Option<&str>), near: usize| match (x, y) {
        (Some(x), Some(y)) => edit_level(x, y, near),
        _ => 0,
    };
    let (mut first, mut last) = (
        names(pair(&people.first, a, b)),
        names(pair(&people.last, a, b)),
    );
    // Given name and surname swapped between the records (or written in another order); not
    // worth looking at when both already agree exactly.
    let swapped = if (first, last) == (1, 1) {
        (0, 0)
    } else {
        (
            names((people.first.text(a), people.last.text(b))),
            names((people.last.text(a), people.first.text(b))),
        )
    };
    let rank = |l: u8| if l == 0 { 5 } else { l };
    if swapped.0 > 0
        && swapped.1 > 0
        && rank(swapped.0) + rank(swapped.1) < rank(first) + rank(last)
    {
        (first, last) = swapped;
    }
    [
        first,
        last,
        date_level(people.birth[a], people.birth[b]),
        jw(pair(&people.address, a, b)),
        edit(pair(&people.postcode, a, b), 1),
        jw(pair(&people.city, a, b)),
        email_level(pair(&people.email, a, b)),
        edit(pair(&people.phone, a, b), 1),
    ]
}

/// True when the pair agrees (exactly or nearly) on something other than names and city:
/// names never link by themselves (DESIGN §3), and neither do names in one town.
pub fn has_support(levels: &Levels) -> bool {
    [
        Comparison::BirthDate,
        Comparison::Address,
        Comparison::Postcode,
        Comparison::Email,
        Comparison::Phone,
    ]
    .iter()
    .any(|&c| {
        let level = levels[Comparison::ALL
            .iter()
            .position(|&x| x == c)
            .expect("listed")];
        level == 1 || level == 2
    })
}

/// Names: exact, Jaro-Winkler >= 0.92, >= 0.80, different.
pub fn name_level(a: &str, b: &str) -> u8 {
    if a == b {
        return 1;
    }
    let similarity = jaro_winkler(a, b);
    if similarity >= 0.92 {
        2
    } else if similarity >= 0.80 {
        3
    } else {
        4
    }
}

/// Exact, Jaro-Winkler at least `threshold`, different.
fn similar_level(a: &str, b: &str, threshold: f64) -> u8 {
    if a == b {
        1
    } else if jaro_winkler(a, b) >= threshold {
        2
    } else {
        3
    }
}

/// Exact, at most `near` edits (of equal-length values for one wrong digit), different.
pub(crate) fn edit_level(a: &str, b: &str, near: usize) -> u8 {
    if a == b {
        1
    } else if a.len() == b.len() && near == 1 {
        // One substitution, without a full edit-distance table.
        let differing = a.bytes().zip(b.bytes()).filter(|(x, y)| x != y).count();
        if differing <= 1 { 2 } else { 3 }
    } else if a.len().abs_diff(b.len()) <= near && levenshtein(a, b) <= near {
        2
    } else {
        3
    }
}

/// Emails: exact; at most two edits, all of them to letters (`gmial.com`, a doubled letter);
/// different.
pub(crate) fn email_level((a, b): (Option<&str>, Option<&str>)) -> u8 {
    let (Some(a), Some(b)) = (a, b) else {
        return 0;
    };
    if a == b {
        return 1;
    }
    // Only letters may differ: people named alike get alike addresses (`popov58@` and
    // `popov61@`, `igor.abramov@` and `igor_abramov@`), which random pairs cannot show.
    fn marks(e: &str) -> impl Iterator<Item = char> + '_ {
        e.chars().filter(|c| !c.is_alphabetic())
    }
    if a.len().abs_diff(b.len()) <= 2 && marks(a).eq(marks(b)) && levenshtein(a, b) <= 2 {
        2
    } else {
        3
    }
}

/// Birth dates packed as `yyyymmdd`: exact; day and month swapped, or exactly one of year
/// (off by one, or one digit), month or day different; different.
pub fn date_level(a: u32, b: u32) -> u8 {
    if a == NONE || b == NONE {
        return 0;
    }
    if a == b {
        return 1;
    }
    let parts = |d: u32| (d / 10000, d / 100 % 100, d % 100);
    let ((ya, ma, da), (yb, mb, db)) = (parts(a), parts(b));
    let swapped = ya == yb && ma == db && da == mb;
    let year_near = ya.abs_diff(yb) == 1 || edit_level(&ya.to_string(), &yb.to_string(), 1) == 2;
    let off = [(ya != yb, year_near), (ma != mb, true), (da != db, true)];
    let differing: Vec<bool> = off.iter().filter(|(d, _)| *d).map(|(_, n)| *n).collect();
    if swapped || (differing.len() == 1 && differing[0]) {
        2
    } else {
        3
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_have_three_levels() {
        assert_eq!(date_level(19710624, 19710624), 1);
        assert_eq!(date_level(19710624, 19710524), 2, "month off");
        assert_eq!(date_level(19710604, 19710406), 2, "day and month swapped");
        assert_eq!(date_level(19710624, 19720624), 2, "year off by one");
        assert_eq!(date_level(19710624, 19910624), 2, "one digit of the year");
        assert_eq!(date_level(19710624, 19820101), 3);
        assert_eq!(date_level(NONE, 19820101), 0);
    }

    #[test]
    fn names_and_identifiers_have_near_levels() {
        assert_eq!(name_level("neumann", "neumann"), 1);
        assert_eq!(name_level("neumann", "neuman"), 2);
        assert_eq!(name_level("rob", "robert"), 3);
        assert_eq!(name_level("anna", "peter"), 4);
        assert_eq!(edit_level("+79161234567", "+79161234568", 1), 2);
        assert_eq!(edit_level("+79161234567", "+79161299999", 1), 3);
        assert_eq!(
            email_level((Some("anna@gmail.com"), Some("anna@gmial.com"))),
            2
        );
        assert_eq!(email_level((Some("anna@mail.ru"), Some("anna@bk.ru"))), 3);
        assert_eq!(email_level((Some("popov58@x.ru"), Some("popov61@x.ru"))), 3);
        assert_eq!(email_level((Some("i.popov@x.ru"), Some("i_popov@x.ru"))), 3);
        assert_eq!(email_level((Some("anna@x.ru"), Some("petr@y.ru"))), 3);
        assert_eq!(email_level((None, Some("petr@y.ru"))), 0);
    }
}
