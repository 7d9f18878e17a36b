//! Synthetic people: names, country, the canonical identifiers each one owns, and the channels
//! they appear in.
//!
//! Generation is sequential because identifiers must be unique across people (two strangers never
//! share a phone by accident: only households do, on purpose). Uniqueness is kept in a set of
//! xxh3 hashes of canonical values, 8 bytes per identifier instead of a `String`. The rows a person
//! produces in each export are decided later, in `sources`.

use std::collections::HashSet;

use xxhash_rust::xxh3::xxh3_64;

use super::SynthConfig;
use super::identity::{Country, Email, Phone, canonical_email};
use super::names::{
    DE_FIRST, DE_LAST, EN_FIRST, EN_LAST, FR_FIRST, FR_LAST, RU_FEMALE, RU_MALE, RU_SURNAMES,
    ascii_letters, feminine_surname, transliterate,
};
use super::rng::Rng;
use super::sources::Source;

/// One real person.
#[derive(Clone, Debug)]
pub struct Person {
    /// 0-based index over all people; the truth id is `p<index + 1>`.
    pub index: u32,
    /// Home country.
    pub country: Country,
    /// First name in the native script (Cyrillic for RU).
    pub first: String,
    /// Surname in the native script, in the person's gender form.
    pub last: String,
    /// Russian patronymic, for the loyalty `ФИО`.
    pub patronymic: Option<String>,
    /// Emails as the person types them, most used first.
    pub emails: Vec<Email>,
    /// Phones, most used first.
    pub phones: Vec<Phone>,
    /// Loyalty card number (canonical: no leading zeros).
    pub card: Option<u32>,
    /// Channels the person is in, a bit per [`Source`].
    pub channels: u8,
    /// Receipts in the POS export (0 unless in that channel).
    pub receipts: u32,
    /// Has a second web shop account.
    pub second_account: bool,
    /// One row in this source carries this mistyped email (canonical) instead of a real one.
    pub typo: Option<(Source, String)>,
    /// The identifier (`kind:value`) shared with the other member of the household, if any.
    pub household: Option<String>,
    /// When the person first appeared (seconds since the epoch); rows are dated after it.
    pub since: i64,
}

impl Person {
    /// Whether the person has rows in `source`.
    pub fn is_in(&self, source: Source) -> bool {
        self.channels & source.bit() != 0
    }

    /// First name in Latin letters.
    pub fn first_latin(&self) -> String {
        transliterate(&self.first)
    }

    /// Surname in Latin letters.
    pub fn last_latin(&self) -> String {
        transliterate(&self.last)
    }
}

/// Makes people one by one and remembers every identifier handed out.
pub struct PeopleFactory<'a> {
    cfg: &'a SynthConfig,
    rng: Rng,
    used: HashSet<u64>,
    next_index: u32,
}

/// 2019-01-01 and 2025-06-30 in seconds since the epoch: the span of all generated dates.
pub const FIRST_DAY: i64 = 1_546_300_800;
/// See [`FIRST_DAY`].
pub const LAST_DAY: i64 = 1_751_241_600;

impl<'a> PeopleFactory<'a> {
    /// A factory for `cfg`; `reserved` are canonical identifiers nobody may get (store phones).
    pub fn new(cfg: &'a SynthConfig, reserved: &[String]) -> Self {
        let used = reserved
            .iter()
            .map(|value| xxh3_64(value.as_bytes()))
            .collect();
        PeopleFactory {
            cfg,
            rng: Rng::stream(cfg.seed, 1, 0),
            used,
            next_index: 0,
        }
    }

    /// Whether all `cfg.people` have been made.
    pub fn is_done(&self) -> bool {
        self.next_index as usize >= self.cfg.people
    }

    /// The next person, or the next two when they form a household (both returned together so
    /// a household never straddles a chunk).
    pub fn next_people(&mut self) -> Vec<Person> {
        let room_for_two = (self.next_index as usize) + 1 < self.cfg.people;
        if room_for_two && self.rng.chance(self.cfg.household_share / 2.0) {
            return self.household();
        }
        let country = Country::ALL[self.rng.weighted(self.cfg.country_weights())];
        let female = self.rng.chance(0.5);
        let last = self.surname(country);
        vec![self.person(country, female, &last)]
    }

    /// Two people with one surname sharing a landline or a family email.
    fn household(&mut self) -> Vec<Person> {
        let country = Country::ALL[self.rng.weighted(self.cfg.country_weights())];
        let last = self.surname(country);
        let mut pair = vec![
            self.person(country, false, &last),
            self.person(country, true, &last),
        ];
        let shared = if self.rng.chance(0.5) {
            let phone = self.unique_phone(|rng| Phone::landline(country, rng));
            let value = format!("phone:{}", phone.e164());
            for member in &mut pair {
                member.phones.insert(0, phone.clone());
            }
            value
        } else {
            let email = self.family_email(&pair[0]);
            let value = format!("email:{}", email.canonical());
            for member in &mut pair {
                member.emails.insert(0, email.clone());
            }
            value
        };
        for member in &mut pair {
            member.household = Some(shared.clone());
        }
        pair
    }

    fn surname(&mut self, country: Country) -> String {
        let table = match country {
            Country::Ru => RU_SURNAMES,
            Country::Us | Country::Gb => EN_LAST,
            Country::De => DE_LAST,
            Country::Fr => FR_LAST,
        };
        self.rng.pick(table).to_string()
    }

    /// One person; `last` is the male (or only) form of the surname.
    fn person(&mut self, country: Country, female: bool, last: &str) -> Person {
        let rng = &mut self.rng;
        let (first, last, patronymic) = match country {
            Country::Ru => {
                let father = rng.pick(RU_MALE);
                let (first, patronymic, last) = if female {
                    (
                        rng.pick(RU_FEMALE).to_string(),
                        father.2,
                        feminine_surname(last),
                    )
                } else {
                    (rng.pick(RU_MALE).0.to_string(), father.1, last.to_string())
                };
                (first, last, Some(patronymic.to_string()))
            }
            Country::Us | Country::Gb => (rng.pick(EN_FIRST).to_string(), last.to_string(), None),
            Country::De => (rng.pick(DE_FIRST).to_string(), last.to_string(), None),
            Country::Fr => (rng.pick(FR_FIRST).to_string(), last.to_string(), None),
        };
        let index = self.next_index;
        self.next_index += 1;
        let since = self
            .rng
            .range(FIRST_DAY as u64, (LAST_DAY - 30 * 86_400) as u64) as i64;
        let mut person = Person {
            index,
            country,
            first,
            last,
            patronymic,
            emails: Vec::new(),
            phones: Vec::new(),
            card: None,
            channels: self.channels(),
            receipts: 0,
            second_account: false,
            typo: None,
            household: None,
            since,
        };
        self.add_identifiers(&mut person);
        person
    }

    /// A set of channels: how many by `channels_per_person`, which by `source_weights`.
    fn channels(&mut self) -> u8 {
        let count = self.rng.weighted(&self.cfg.channels_per_person) + 1;
        let mut weights = self.cfg.source_weights;
        let mut bits = 0u8;
        for _ in 0..count {
            let i = self.rng.weighted(&weights);
            bits |= 1 << i;
            weights[i] = 0.0;
        }
        bits
    }

    /// Emails, phones, card, receipts, second account and typo, consistent with the channels.
    fn add_identifiers(&mut self, person: &mut Person) {
        let cfg = self.cfg;
        let emails = self.count(cfg.no_email_share, cfg.multi_email_share);
        let emails = if person.is_in(Source::EmailList) {
            emails.max(1)
        } else {
            emails
        };
        for _ in 0..emails {
            let email = self.personal_email(person);
            person.emails.push(email);
        }
        for _ in 0..self.count(cfg.no_phone_share, cfg.multi_phone_share) {
            let country = if self.rng.chance(0.95) {
                person.country
            } else {
                Country::Ru
            };
            let phone = self.unique_phone(|rng| Phone::mobile(country, rng));
            person.phones.push(phone);
        }
        let in_pos = person.is_in(Source::PosReceipts);
        if person.is_in(Source::Loyalty)
            || (in_pos && (person.phones.is_empty() || self.rng.chance(0.7)))
        {
            person.card = Some(self.unique_card());
        }
        if in_pos {
            person.receipts =
                self.rng
                    .range(cfg.min_receipts.into(), cfg.max_receipts.into()) as u32;
        }
        person.second_account =
            person.is_in(Source::WebShop) && self.rng.chance(cfg.second_account_share);
        if !person.emails.is_empty() && self.rng.chance(cfg.typo_share) {
            self.add_typo(person);
        }
    }

    /// 0, 1 or 2 with the given shares of 0 and 2.
    fn count(&mut self, none_share: f64, two_share: f64) -> usize {
        match self.rng.unit() {
            x if x < none_share => 0,
            x if x < none_share + two_share => 2,
            _ => 1,
        }
    }

    /// Marks one row of one email-bearing channel to carry a mistyped email (two adjacent
    /// letters swapped), unique so it can never link.
    fn add_typo(&mut self, person: &mut Person) {
        let sources = [
            Source::WebShop,
            Source::MobileApp,
            Source::Loyalty,
            Source::EmailList,
        ];
        let candidates: Vec<Source> = sources.into_iter().filter(|s| person.is_in(*s)).collect();
        if candidates.is_empty() {
            return;
        }
        let source = *self.rng.pick(&candidates);
        let canonical = person.emails[0].canonical();
        let (local, domain) = canonical
            .rsplit_once('@')
            .expect("canonical emails contain @");
        let bytes = local.as_bytes();
        let slots: Vec<usize> = (1..bytes.len())
            .filter(|&i| {
                bytes[i - 1].is_ascii_alphabetic()
                    && bytes[i].is_ascii_alphabetic()
                    && bytes[i - 1] != bytes[i]
            })
            .collect();
        if slots.is_empty() {
            return;
        }
        let at = *self.rng.pick(&slots);
        let mut swapped = bytes.to_vec();
        swapped.swap(at - 1, at);
        let typo = format!(
            "{}@{domain}",
            String::from_utf8(swapped).expect("swapped ASCII letters")
        );
        if self.claim(&format!("email:{typo}")) {
            person.typo = Some((source, typo));
        }
    }

    /// Marks `value` as used; false if it already was.
    fn claim(&mut self, value: &str) -> bool {
        self.used.insert(xxh3_64(value.as_bytes()))
    }

    fn unique_phone(&mut self, mut make: impl FnMut(&mut Rng) -> Phone) -> Phone {
        loop {
            let phone = make(&mut self.rng);
            if self.claim(&format!("phone:{}", phone.e164())) {
                return phone;
            }
        }
    }

    fn unique_card(&mut self) -> u32 {
        loop {
            let card = self.rng.range(10_000_000, 99_999_999) as u32;
            if self.claim(&format!("card:{card}")) {
                return card;
            }
        }
    }

    /// A personal address built from the name and birth year, on a domain typical for the
    /// country; digits are appended until the canonical form is unused.
    fn personal_email(&mut self, person: &Person) -> Email {
        let first = ascii_letters(&person.first_latin());
        let last = ascii_letters(&person.last_latin());
        let year = self.rng.range(1960, 2006);
        let domain = self.domain(person.country);
        for attempt in 0.. {
            let rng = &mut self.rng;
            let initial = &first[..1];
            let mut local = match rng.below(8) {
                0 => format!("{first}.{last}"),
                1 => format!("{last}.{first}"),
                2 => format!("{initial}.{last}"),
                3 => format!("{last}{:02}", year % 100),
                4 => format!("{first}{last}{year}"),
                5 => format!("{first}_{last}"),
                6 => format!("{last}.{first}{}", rng.range(1, 99)),
                _ => format!("{first}{}", rng.range(10, 999)),
            };
            if attempt > 1 {
                local.push_str(&rng.digits(attempt.min(6)));
            }
            if domain.contains("gmail") {
                local = local.replace('_', ".");
            }
            let email = Email { local, domain };
            if self.claim(&format!("email:{}", canonical_email(&email.address()))) {
                return email;
            }
        }
        unreachable!("the loop above returns once digits make the address unique")
    }

    /// A household address: `ivanovy@mail.ru`, `smith.family@gmail.com`.
    fn family_email(&mut self, member: &Person) -> Email {
        let last = ascii_letters(&member.last_latin());
        let domain = self.domain(member.country);
        for attempt in 0.. {
            let suffix = if attempt > 0 {
                self.rng.digits(2)
            } else {
                String::new()
            };
            let local = match (member.country, self.rng.below(2)) {
                (Country::Ru, 0) => format!("{last}y{suffix}"),
                (Country::Ru, _) => format!("semya.{last}ykh{suffix}"),
                (_, 0) => format!("{last}.family{suffix}"),
                _ => format!("the{last}s{suffix}"),
            };
            let email = Email { local, domain };
            if self.claim(&format!("email:{}", email.canonical())) {
                return email;
            }
        }
        unreachable!("the loop above returns once digits make the address unique")
    }

    fn domain(&mut self, country: Country) -> &'static str {
        let table: &[(&'static str, f64)] = match country {
            Country::Ru => &[
                ("mail.ru", 25.0),
                ("gmail.com", 22.0),
                ("yandex.ru", 16.0),
                ("ya.ru", 4.0),
                ("rambler.ru", 6.0),
                ("bk.ru", 5.0),
                ("list.ru", 5.0),
                ("inbox.ru", 4.0),
                ("icloud.com", 6.0),
                ("outlook.com", 4.0),
            ],
            Country::Us => &[
                ("gmail.com", 45.0),
                ("yahoo.com", 15.0),
                ("outlook.com", 15.0),
                ("hotmail.com", 8.0),
                ("icloud.com", 17.0),
            ],
            Country::Gb => &[
                ("gmail.com", 40.0),
                ("outlook.com", 15.0),
                ("hotmail.co.uk", 12.0),
                ("btinternet.com", 10.0),
                ("icloud.com", 15.0),
                ("yahoo.co.uk", 8.0),
            ],
            Country::De => &[
                ("gmail.com", 30.0),
                ("gmx.de", 25.0),
                ("web.de", 25.0),
                ("t-online.de", 10.0),
                ("outlook.com", 10.0),
            ],
            Country::Fr => &[
                ("gmail.com", 35.0),
                ("orange.fr", 20.0),
                ("free.fr", 12.0),
                ("hotmail.fr", 10.0),
                ("laposte.net", 8.0),
                ("outlook.com", 8.0),
                ("icloud.com", 7.0),
            ],
        };
        let weights: Vec<f64> = table.iter().map(|(_, w)| *w).collect();
        table[self.rng.weighted(&weights)].0
    }
}
