//! Candidate pairs: records that share a blocking key under at least one rule, so that the
//! number of comparisons grows with the records, not with their square.
//!
//! A block holding at most `max_block` records gives all its pairs; a larger one (a common
//! surname, a shared birthday in a big file) is sorted by name and each record is paired with
//! its next [`WINDOW`] neighbours only (a sorted neighbourhood), which keeps the work linear.
//! Pairs inside one exact-pass profile are left out: they are already the same person.

use rayon::prelude::*;

use super::keys::Keys;
use super::people::People;

/// Neighbours each record of an oversized block is compared with.
pub const WINDOW: usize = 8;

/// A blocking rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rule {
    /// The same birth date.
    BirthDate,
    /// The same surname sound (Soundex) and first initial.
    SurnameInitial,
    /// The same first-name sound and birth year.
    FirstNameYear,
    /// The same postcode and first address word (the house number, usually).
    PostcodeStreet,
    /// The same last seven digits of the phone.
    PhoneTail,
    /// The same email local part.
    EmailLocal,
    /// The same sounds of given name and surname, in either order (swapped names).
    NameSounds,
    /// The same full address and city.
    AddressCity,
}

impl Rule {
    /// Every rule, the default set.
    pub const ALL: [Rule; 8] = [
        Rule::BirthDate,
        Rule::SurnameInitial,
        Rule::FirstNameYear,
        Rule::PostcodeStreet,
        Rule::PhoneTail,
        Rule::EmailLocal,
        Rule::NameSounds,
        Rule::AddressCity,
    ];

    /// The config spelling.
    pub fn name(self) -> &'static str {
        match self {
            Rule::BirthDate => "birth_date",
            Rule::SurnameInitial => "surname_initial",
            Rule::FirstNameYear => "first_name_year",
            Rule::PostcodeStreet => "postcode_street",
            Rule::PhoneTail => "phone_tail",
            Rule::EmailLocal => "email_local",
            Rule::NameSounds => "name_sounds",
            Rule::AddressCity => "address_city",
        }
    }

    /// Parses a config spelling.
    pub fn parse(s: &str) -> Result<Rule, String> {
        Rule::ALL
            .into_iter()
            .find(|r| r.name() == s.trim())
            .ok_or_else(|| {
                let names: Vec<&str> = Rule::ALL.iter().map(|r| r.name()).collect();
                format!(
                    "unknown blocking rule \"{s}\" (expected one of {})",
                    names.join(", ")
                )
            })
    }

    /// The rule's key for record `r`, `None` when a part is missing; `buf` is scratch space.
    /// The definition of blocking by this rule: records are in one block when their keys are
    /// equal. [`Keys::key`] gives equal keys for the same records, for less.
    #[cfg(test)]
    pub(super) fn key(self, people: &People, r: usize, buf: &mut Vec<u8>) -> Option<u64> {
        fn text(f: &super::people::Field, r: usize) -> Option<&str> {
            f.text(r)
        }
        buf.clear();
        buf.push(self as u8);
        match self {
            Rule::BirthDate => buf.extend(birth(people, r)?.to_le_bytes()),
            Rule::SurnameInitial => {
                buf.extend(soundex(text(&people.last, r)?));
                buf.push(text(&people.first, r)?.bytes().next()?);
            }
            Rule::FirstNameYear => {
                buf.extend(soundex(text(&people.first, r)?));
                buf.extend((birth(people, r)? / 10000).to_le_bytes());
            }
            Rule::PostcodeStreet => {
                buf.extend(text(&people.postcode, r)?.bytes());
                buf.push(0);
                buf.extend(text(&people.address, r)?.split(' ').next()?.bytes());
            }
            Rule::PhoneTail => {
                let start = buf.len();
                buf.extend(text(&people.phone, r)?.bytes().filter(u8::is_ascii_digit));
                let extra = (buf.len() - start).checked_sub(7)?;
                buf.drain(start..start + extra);
            }
            Rule::EmailLocal => buf.extend(text(&people.email, r)?.split('@').next()?.bytes()),
            Rule::NameSounds => {
                let (a, b) = (
                    soundex(text(&people.first, r)?),
                    soundex(text(&people.last, r)?),
                );
                buf.extend(a.min(b));
                buf.extend(a.max(b));
            }
            Rule::AddressCity => {
                buf.extend(text(&people.address, r)?.bytes());
                buf.push(0);
                buf.extend(text(&people.city, r)?.bytes());
            }
        }
        Some(xxhash_rust::xxh3::xxh3_64(buf))
    }
}

#[cfg(test)]
fn birth(people: &People, r: usize) -> Option<u32> {
    Some(people.birth[r]).filter(|&b| b != super::people::NONE)
}

/// American Soundex of the first word: a letter and three digits (`robert` → `R163`).
pub fn soundex(name: &str) -> [u8; 4] {
    let code = |c: u8| match c {
        b'b' | b'f' | b'p' | b'v' => b'1',
        b'c' | b'g' | b'j' | b'k' | b'q' | b's' | b'x' | b'z' => b'2',
        b'd' | b't' => b'3',
        b'l' => b'4',
        b'm' | b'n' => b'5',
        b'r' => b'6',
        b'h' | b'w' => b'-',
        _ => b'0',
    };
    let letters: Vec<u8> = name
        .bytes()
        .take_while(|&b| b != b' ')
        .filter(u8::is_ascii_alphabetic)
        .map(|b| b.to_ascii_lowercase())
        .collect();
    let mut out = [b'0'; 4];
    let Some(&first) = letters.first() else {
        return out;
    };
    out[0] = first.to_ascii_uppercase();
    let (mut len, mut last) = (1, code(first));
    for &b in &letters[1..] {
        let c = code(b);
        if c == b'-' {
            continue;
        }
        if c != b'0' && c != last && len < 4 {
            out[len] = c;
            len += 1;
        }
        last = c;
    }
    out
}

/// What blocking found, per rule.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RuleStats {
    /// The rule's name.
    pub rule: String,
    /// Records with a key under the rule.
    pub records: u64,
    /// Pairs it proposed (before removing repeats across rules).
    pub pairs: u64,
    /// Blocks larger than `max_block`, compared by sorted neighbourhood.
    pub large_blocks: u64,
}

/// Candidate pairs `(a, b)` with `a < b`, sorted, each once, not in one exact profile.
pub fn candidates(
    people: &People,
    roots: &[u32],
    rules: &[Rule],
    max_block: usize,
) -> (Vec<(u32, u32)>, Vec<RuleStats>) {
    let n = roots.len();
    let keys_of = Keys::of(people);
    let mut all: Vec<u64> = Vec::new();
    let mut stats = Vec::with_capacity(rules.len());
    for &rule in rules {
        let mut keys: Vec<(u64, u32)> = (0..n)
            .into_par_iter()
            .filter_map(|r| keys_of.key(rule, r).map(|k| (k, r as u32)))
            .collect();
        keys.par_sort_unstable();
        let (pairs, large) = block_pairs(people, &keys, max_block);
        stats.push(RuleStats {
            rule: rule.name().to_owned(),
            records: keys.len() as u64,
            pairs: pairs.len() as u64,
            large_blocks: large,
        });
        all.extend(pairs);
    }
    (unique_pairs(all, roots), stats)
}

/// `pairs` (packed `a << 32 | b`) sorted, each once, without those inside one exact profile
/// (by `roots`). The same as sorting and deduplicating them, for less: the pairs are placed by
/// their first record (a counting sort), then each record's few partners are sorted.
fn unique_pairs(pairs: Vec<u64>, roots: &[u32]) -> Vec<(u32, u32)> {
    let n = roots.len();
    let mut starts = vec![0usize; n + 1];
    for &p in &pairs {
        starts[(p >> 32) as usize + 1] += 1;
    }
    for a in 0..n {
        starts[a + 1] += starts[a];
    }
    let mut partners = vec![0u32; pairs.len()];
    let mut next = starts.clone();
    for &p in &pairs {
        let a = (p >> 32) as usize;
        partners[next[a]] = p as u32;
        next[a] += 1;
    }
    drop(pairs);
    let pieces = split_by_record(&mut partners, &starts, rayon::current_num_threads() * 8);
    pieces
        .into_par_iter()
        .flat_map_iter(|(first, piece)| {
            let mut out = Vec::new();
            let mut rest = piece;
            for a in first.. {
                if rest.is_empty() {
                    break;
                }
                let (own, tail) = rest.split_at_mut(starts[a + 1] - starts[a]);
                rest = tail;
                own.sort_unstable();
                let ra = roots[a];
                for (i, &b) in own.iter().enumerate() {
                    let repeat = i > 0 && own[i - 1] == b;
                    let same = ra != crate::graph::NONE && ra == roots[b as usize];
                    if !repeat && !same {
                        out.push((a as u32, b));
                    }
                }
            }
            out
        })
        .collect()
}

/// `partners` cut into about `count` pieces at record boundaries: each piece with its first
/// record.
fn split_by_record<'p>(
    partners: &'p mut [u32],
    starts: &[usize],
    count: usize,
) -> Vec<(usize, &'p mut [u32])> {
    let n = starts.len() - 1;
    let step = partners.len().div_ceil(count.max(1)).max(1);
    let mut pieces = Vec::new();
    let (mut rest, mut first) = (partners, 0);
    while first < n && !rest.is_empty() {
        // The first record whose partners start at or after one step further.
        let target = starts[first] + step;
        let end = starts
            .partition_point(|&s| s < target)
            .min(n)
            .max(first + 1);
        let (piece, tail) = rest.split_at_mut(starts[end] - starts[first]);
        pieces.push((first, piece));
        rest = tail;
        first = end;
    }
    pieces
}

/// The pairs of each run of equal keys, packed `a << 32 | b` with `a < b`; and the number of
/// oversized blocks.
fn block_pairs(people: &People, keys: &[(u64, u32)], max_block: usize) -> (Vec<u64>, u64) {
    let mut runs: Vec<&[(u64, u32)]> = Vec::new();
    let mut start = 0;
    for i in 1..=keys.len() {
        if i == keys.len() || keys[i].0 != keys[start].0 {
            if i - start > 1 {
                runs.push(&keys[start..i]);
            }
            start = i;
        }
    }
    let large = runs.iter().filter(|run| run.len() > max_block).count() as u64;
    let pairs = runs
        .par_iter()
        .flat_map_iter(|run| {
            let mut members: Vec<u32> = run.iter().map(|&(_, r)| r).collect();
            let window = if members.len() > max_block {
                members.sort_by_key(|&r| {
                    (people.last.ids[r as usize], people.first.ids[r as usize], r)
                });
                WINDOW
            } else {
                members.len()
            };
            let mut out = Vec::new();
            for (i, &a) in members.iter().enumerate() {
                for &b in members.iter().skip(i + 1).take(window) {
                    let (a, b) = (a.min(b), a.max(b));
                    out.push(u64::from(a) << 32 | u64::from(b));
                }
            }
            out
        })
        .collect();
    (pairs, large)
}

#[cfg(test)]
mod tests {
    use super::*;

    use proptest::prelude::*;

    proptest! {
        /// The counting sort gives what sorting, deduplicating and filtering give.
        #[test]
        fn unique_pairs_are_the_sorted_distinct_pairs(
            raw in proptest::collection::vec((0u32..30, 0u32..30), 0..300),
            rooted in proptest::collection::vec(0u32..4, 30),
        ) {
            let roots: Vec<u32> = rooted
                .iter()
                .map(|&r| if r == 3 { crate::graph::NONE } else { r })
                .collect();
            let pairs: Vec<u64> = raw
                .iter()
                .filter(|(a, b)| a != b)
                .map(|&(a, b)| u64::from(a.min(b)) << 32 | u64::from(a.max(b)))
                .collect();
            let mut expected = pairs.clone();
            expected.sort_unstable();
            expected.dedup();
            let expected: Vec<(u32, u32)> = expected
                .into_iter()
                .map(|p| ((p >> 32) as u32, p as u32))
                .filter(|&(a, b)| {
                    let (ra, rb) = (roots[a as usize], roots[b as usize]);
                    ra == crate::graph::NONE || ra != rb
                })
                .collect();
            prop_assert_eq!(unique_pairs(pairs, &roots), expected);
        }
    }

    #[test]
    fn pieces_cover_every_record_once() {
        let starts = [0, 3, 3, 10, 11, 11, 20];
        let mut partners: Vec<u32> = (0..20).collect();
        for count in 1..25 {
            let mut copy = partners.clone();
            let pieces = split_by_record(&mut copy, &starts, count);
            let mut covered = 0;
            for (first, piece) in &pieces {
                assert_eq!(starts[*first], covered, "count {count}");
                covered += piece.len();
            }
            assert_eq!(covered, 20);
        }
        assert_eq!(split_by_record(&mut partners, &starts, 1).len(), 1);
    }

    #[test]
    fn soundex_codes() {
        assert_eq!(&soundex("robert"), b"R163");
        assert_eq!(&soundex("rupert"), b"R163");
        assert_eq!(&soundex("ashcraft"), b"A261");
        assert_eq!(&soundex("lee"), b"L000");
    }
}
