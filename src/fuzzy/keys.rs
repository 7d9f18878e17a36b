//! Blocking keys from each field's distinct values (issue 20, speed at 1M people).
//!
//! [`Rule::key`](super::blocking::Rule) is the definition: the hash of a text built from the
//! record's values. Most of that text depends on one value only (a name's Soundex, an email's
//! local part, the first word of an address, a phone's last seven digits), and a field holds far
//! fewer distinct values than records, so [`Keys`] works each part out once per distinct value
//! and packs a record's key from integers. Two records get equal keys here exactly when they get
//! equal texts there (each packing is one-to-one), which is all blocking uses a key for; the
//! tests check that on random people.

use hashbrown::HashMap;
use rayon::prelude::*;

use super::blocking::{Rule, soundex};
use super::people::{Field, NONE, People};

/// The per-value parts of the blocking keys.
pub struct Keys<'a> {
    people: &'a People,
    /// Per first-name value: its Soundex, big-endian (so that integer order is byte order).
    first_sound: Vec<u32>,
    /// Per first-name value: its first byte.
    initial: Vec<u8>,
    /// Per surname value: its Soundex.
    last_sound: Vec<u32>,
    /// Per email value: the id of its local part.
    email_local: Vec<u32>,
    /// Per address value: the id of its first word.
    address_word: Vec<u32>,
    /// Per phone value: its last seven digits as a number, `NONE` with fewer digits.
    phone_tail: Vec<u32>,
}

impl<'a> Keys<'a> {
    /// Works out the parts of `people`'s values.
    pub fn of(people: &'a People) -> Keys<'a> {
        let sounds = |field: &Field| -> Vec<u32> {
            let values = &field.values;
            values
                .par_iter()
                .map(|v| u32::from_be_bytes(soundex(v)))
                .collect()
        };
        Keys {
            people,
            first_sound: sounds(&people.first),
            initial: people.first.values.iter().map(|v| first_byte(v)).collect(),
            last_sound: sounds(&people.last),
            email_local: part_ids(&people.email.values, |v| v.split('@').next()),
            address_word: part_ids(&people.address.values, |v| v.split(' ').next()),
            phone_tail: people.phone.values.iter().map(|v| phone_tail(v)).collect(),
        }
    }

    /// Record `r`'s key under `rule`, `None` when a part is missing.
    pub fn key(&self, rule: Rule, r: usize) -> Option<u64> {
        let p = self.people;
        let id = |field: &Field| Some(field.ids[r]).filter(|&id| id != NONE);
        let birth = Some(p.birth[r]).filter(|&b| b != NONE);
        let pack = |high: u32, low: u32| u64::from(high) << 32 | u64::from(low);
        match rule {
            Rule::BirthDate => birth.map(u64::from),
            Rule::SurnameInitial => {
                let sound = self.last_sound[id(&p.last)? as usize];
                Some(u64::from(sound) << 8 | u64::from(self.initial[id(&p.first)? as usize]))
            }
            Rule::FirstNameYear => {
                let sound = self.first_sound[id(&p.first)? as usize];
                Some(pack(sound, birth? / 10000))
            }
            Rule::PostcodeStreet => {
                let word = self.address_word[id(&p.address)? as usize];
                Some(pack(id(&p.postcode)?, word))
            }
            Rule::PhoneTail => Some(self.phone_tail[id(&p.phone)? as usize])
                .filter(|&t| t != NONE)
                .map(u64::from),
            Rule::EmailLocal => Some(u64::from(self.email_local[id(&p.email)? as usize])),
            Rule::NameSounds => {
                let a = self.first_sound[id(&p.first)? as usize];
                let b = self.last_sound[id(&p.last)? as usize];
                Some(pack(a.min(b), a.max(b)))
            }
            Rule::AddressCity => Some(pack(id(&p.address)?, id(&p.city)?)),
        }
    }
}

/// A value's first byte (values of a field are never empty).
fn first_byte(value: &str) -> u8 {
    value.bytes().next().unwrap_or(0)
}

/// Per value, the id of `part(value)` among the distinct parts.
fn part_ids(values: &[String], part: impl Fn(&str) -> Option<&str>) -> Vec<u32> {
    let mut ids: HashMap<&str, u32> = HashMap::new();
    values
        .iter()
        .map(|v| {
            let next = ids.len() as u32;
            *ids.entry(part(v).unwrap_or(v)).or_insert(next)
        })
        .collect()
}

/// The last seven digits of a phone as a number (`NONE` with fewer than seven digits).
fn phone_tail(value: &str) -> u32 {
    let digits: Vec<u8> = value.bytes().filter(u8::is_ascii_digit).collect();
    match digits.len().checked_sub(7) {
        Some(start) => digits[start..]
            .iter()
            .fold(0, |n, d| n * 10 + u32::from(d - b'0')),
        None => NONE,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn field(values: &[Option<String>]) -> Field {
        let mut field = Field::default();
        for v in values {
            field.push(v.clone());
        }
        field
    }

    /// Random people drawn from small vocabularies, so that keys collide often.
    fn people(rows: &[[usize; 8]]) -> People {
        const FIRST: [&str; 6] = ["anna", "ann", "john", "jon", "mary", "ян"];
        const LAST: [&str; 5] = ["smith", "smyth", "brown", "braun", "lee"];
        const EMAIL: [&str; 5] = ["a@x.ru", "a@y.ru", "b@x.ru", "@x.ru", "a.b@x.ru"];
        const PHONE: [&str; 5] = ["+79161234567", "89161234567", "+7916123", "1234567", "x"];
        const ADDRESS: [&str; 4] = ["12 high st", "12 low rd", "1 high st", "high"];
        const CODE: [&str; 3] = ["2000", "3000", "SW1A1AA"];
        const CITY: [&str; 2] = ["sydney", "perth"];
        let pick = |list: &[&str], i: usize| (i < list.len()).then(|| list[i].to_owned());
        let column = |k: usize, list: &[&str]| -> Vec<Option<String>> {
            rows.iter().map(|row| pick(list, row[k])).collect()
        };
        People {
            first: field(&column(0, &FIRST)),
            last: field(&column(1, &LAST)),
            birth: rows
                .iter()
                .map(|row| [19800101, 19800102, 19810101, NONE][row[2] % 4])
                .collect(),
            address: field(&column(3, &ADDRESS)),
            postcode: field(&column(4, &CODE)),
            city: field(&column(5, &CITY)),
            email: field(&column(6, &EMAIL)),
            phone: field(&column(7, &PHONE)),
        }
    }

    proptest! {
        /// Two records share a key here exactly when they share one under `Rule::key`.
        #[test]
        fn keys_agree_with_the_text_keys(rows in proptest::collection::vec(
            proptest::array::uniform8(0usize..7), 1..40)) {
            let people = people(&rows);
            let keys = Keys::of(&people);
            let mut buf = Vec::new();
            for rule in Rule::ALL {
                let fast: Vec<Option<u64>> = (0..rows.len()).map(|r| keys.key(rule, r)).collect();
                let text: Vec<Option<u64>> =
                    (0..rows.len()).map(|r| rule.key(&people, r, &mut buf)).collect();
                for a in 0..rows.len() {
                    prop_assert_eq!(fast[a].is_some(), text[a].is_some(), "{:?} {}", rule, a);
                    for b in 0..rows.len() {
                        if fast[a].is_some() && fast[b].is_some() {
                            prop_assert_eq!(fast[a] == fast[b], text[a] == text[b],
                                "{:?} {} {}", rule, a, b);
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn phone_tails_are_the_last_seven_digits() {
        assert_eq!(phone_tail("+7 916 123-45-67"), 1234567);
        assert_eq!(phone_tail("0001234"), 1234);
        assert_ne!(phone_tail("0001234"), phone_tail("1234"));
        assert_eq!(phone_tail("123456"), NONE);
    }
}
