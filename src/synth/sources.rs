//! The five channel exports: their names, headers, and how a chunk of people becomes rows.
//!
//! Each source renders with its own random stream per chunk, so the five can run in parallel and
//! still give the same bytes. A [`Row`] carries its cells (`None` is an empty cell or a Parquet
//! null), who it belongs to, the canonical identifiers actually written in it (for the truth
//! file) and [`Marks`] for the hard cases it contains. Writing, duplicate rows and row numbers
//! are `sinks`' job, not this module's.

use super::identity::{
    Country, Email, JUNK_EMAILS, JUNK_PHONES, Phone, canonical_card, canonical_email,
};
use super::people::{LAST_DAY, Person};
use super::render::{
    amount_plain, amount_ru, card_loyalty, card_pos, date_ru, datetime_iso, datetime_moscow,
    datetime_utc, email_alias, messy, phone_abroad_form, phone_float, phone_home_form,
    phone_international, phone_national, phone_ru_domestic,
};
use super::rng::Rng;
use super::{Exports, SynthConfig};

/// One channel export.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Source {
    /// Online shop customers: UTF-8 CSV, comma.
    WebShop,
    /// Mobile app users: Parquet.
    MobileApp,
    /// Loyalty programme members: Excel-saved CSV, `;`, Windows-1251, CRLF, Russian headers.
    Loyalty,
    /// Till receipts: gzip CSV, `|`.
    PosReceipts,
    /// Email newsletter subscribers: UTF-8 with BOM, `;`.
    EmailList,
}

impl Source {
    /// All sources, in file and truth order.
    pub const ALL: [Source; 5] = [
        Source::WebShop,
        Source::MobileApp,
        Source::Loyalty,
        Source::PosReceipts,
        Source::EmailList,
    ];

    /// The file stem, which is the source name in omni and in the truth file.
    pub fn stem(self) -> &'static str {
        match self {
            Source::WebShop => "web_shop",
            Source::MobileApp => "mobile_app",
            Source::Loyalty => "loyalty",
            Source::PosReceipts => "pos_receipts",
            Source::EmailList => "email_list",
        }
    }

    /// The file name in the output folder: the retail set mixes CSV, gzip and Parquet, the
    /// international set is `.csv` throughout.
    pub fn file_name(self, exports: Exports) -> &'static str {
        match (self, exports) {
            (Source::WebShop, _) => "web_shop.csv",
            (Source::MobileApp, Exports::Retail) => "mobile_app.parquet",
            (Source::MobileApp, Exports::International) => "mobile_app.csv",
            (Source::Loyalty, _) => "loyalty.csv",
            (Source::PosReceipts, Exports::Retail) => "pos_receipts.csv.gz",
            (Source::PosReceipts, Exports::International) => "pos_receipts.csv",
            (Source::EmailList, _) => "email_list.csv",
        }
    }

    /// Column names. The international set adds `country` to the web shop and the loyalty
    /// export (after the retail columns) and names the loyalty columns in English.
    pub fn header(self, exports: Exports) -> &'static [&'static str] {
        match (self, exports) {
            (Source::WebShop, Exports::Retail) => &WEB_SHOP[..WEB_SHOP.len() - 1],
            (Source::WebShop, Exports::International) => &WEB_SHOP,
            (Source::MobileApp, _) => &[
                "user_id",
                "phone",
                "email",
                "name",
                "country",
                "registered_at",
            ],
            (Source::Loyalty, Exports::Retail) => &[
                "Номер карты",
                "ФИО",
                "Телефон",
                "E-mail",
                "Дата регистрации",
            ],
            (Source::Loyalty, Exports::International) => &[
                "card_number",
                "full_name",
                "phone",
                "email",
                "registered_at",
                "country",
            ],
            (Source::PosReceipts, _) => &[
                "receipt_id",
                "store",
                "card",
                "phone",
                "amount",
                "purchased_at",
            ],
            (Source::EmailList, _) => &[
                "subscriber_id",
                "email",
                "first_name",
                "subscribed_at",
                "status",
            ],
        }
    }

    /// Position in [`Source::ALL`].
    pub fn position(self) -> usize {
        self as usize
    }

    /// The bit of this source in `Person::channels`.
    pub fn bit(self) -> u8 {
        1 << self.position()
    }
}

/// The web shop's columns; the retail set has all but the last (`country`).
const WEB_SHOP: [&str; 8] = [
    "customer_id",
    "email",
    "phone",
    "first_name",
    "last_name",
    "created_at",
    "orders_total",
    "country",
];

/// Who a row belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Owner {
    /// A real person, by `Person::index`.
    Person(u32),
    /// An anonymous receipt, numbered from 1 over the whole POS export.
    Anonymous(u64),
}

/// Hard cases present in one row.
#[derive(Clone, Copy, Debug, Default)]
pub struct Marks {
    /// Junk values written.
    pub junk: u32,
    /// Carries a mistyped email.
    pub typo: bool,
    /// Carries a store's own phone.
    pub store_phone: bool,
    /// Carries an identifier shared by a household.
    pub household: bool,
    /// Emails written as a provider alias (gmail dots/`+tag`/googlemail, yandex domains, ...).
    pub alias: u32,
    /// Phones written as a spreadsheet float.
    pub float_phone: u32,
    /// Phones written in a national form that needs the row's country column.
    pub national_phone: u32,
    /// Is a person's second web shop account.
    pub second_account: bool,
}

/// One data row before writing.
#[derive(Clone, Debug)]
pub struct Row {
    /// Cells in header order; `None` is empty (CSV) or null (Parquet).
    pub cells: Vec<Option<String>>,
    /// Who the row belongs to.
    pub owner: Owner,
    /// Canonical identifiers written in the row, `kind:value`, in column order.
    pub identifiers: Vec<String>,
    /// Hard cases in the row.
    pub marks: Marks,
}

/// A store: its code and, for the first `SynthConfig::store_phones` stores, the phone cashiers
/// type at the till when a customer will not give theirs.
#[derive(Clone, Debug)]
pub struct Store {
    /// `MSK-003`.
    pub code: String,
    /// The store's landline, if its cashiers type it.
    pub phone: Option<Phone>,
}

/// Renders rows for one source and chunk.
pub struct Renderer<'a> {
    cfg: &'a SynthConfig,
    stores: &'a [Store],
    rng: Rng,
    /// Rows made, for ids that continue across chunks.
    next_id: &'a mut u64,
    /// Anonymous receipts made, for `anon-<n>`.
    next_anonymous: &'a mut u64,
    /// The person whose typo was written in this chunk of this source, so it goes in once.
    typo_written: Option<u32>,
    row: Row,
}

impl<'a> Renderer<'a> {
    /// A renderer with its own stream; `next_id` and `next_anonymous` carry across chunks.
    pub fn new(
        cfg: &'a SynthConfig,
        stores: &'a [Store],
        rng: Rng,
        next_id: &'a mut u64,
        next_anonymous: &'a mut u64,
    ) -> Self {
        let row = Row {
            cells: Vec::new(),
            owner: Owner::Anonymous(0),
            identifiers: Vec::new(),
            marks: Marks::default(),
        };
        Renderer {
            cfg,
            stores,
            rng,
            next_id,
            next_anonymous,
            typo_written: None,
            row,
        }
    }

    /// All rows of `source` for `people`, in export order.
    pub fn render(&mut self, source: Source, people: &[Person]) -> Vec<Row> {
        let mut rows = Vec::new();
        for person in people.iter().filter(|p| p.is_in(source)) {
            match source {
                Source::WebShop => self.web_shop(person, &mut rows),
                Source::MobileApp => self.mobile_app(person, &mut rows),
                Source::Loyalty => self.loyalty(person, &mut rows),
                Source::PosReceipts => self.receipts(person, &mut rows),
                Source::EmailList => self.email_list(person, &mut rows),
            }
        }
        if source == Source::PosReceipts {
            self.anonymous_receipts(&mut rows);
            self.rng.shuffle(&mut rows);
        }
        rows
    }

    fn start(&mut self, owner: Owner) {
        self.row = Row {
            cells: Vec::with_capacity(7),
            owner,
            identifiers: Vec::new(),
            marks: Marks::default(),
        };
    }

    fn finish(&mut self, rows: &mut Vec<Row>) {
        let placeholder = Row {
            cells: Vec::new(),
            owner: Owner::Anonymous(0),
            identifiers: Vec::new(),
            marks: Marks::default(),
        };
        rows.push(std::mem::replace(&mut self.row, placeholder));
    }

    fn cell(&mut self, value: Option<String>) {
        self.row.cells.push(value);
    }

    fn international(&self) -> bool {
        self.cfg.exports == Exports::International
    }

    /// The international set's `country` cell: a Russian's is `RU`, `Russia` or empty (the
    /// run's default region applies), anyone else's is the ISO code, the English name or a
    /// locale (`US`, `United States`, `en_US`). Nothing in the retail set.
    fn country_cell(&mut self, person: &Person) {
        if !self.international() {
            return;
        }
        let value = match (person.country, self.rng.below(10)) {
            (Country::Ru, 0..=5) => Some("RU"),
            (Country::Ru, 6) => Some("Russia"),
            (Country::Ru, _) => None,
            (country, 0..=6) => Some(country.code()),
            (country, 7) => Some(country_name(country)),
            (country, _) => Some(country_locale(country)),
        };
        self.cell(value.map(str::to_string));
    }

    fn next_id(&mut self) -> u64 {
        *self.next_id += 1;
        *self.next_id
    }

    /// A date between `since` and the end of the data span.
    fn date_after(&mut self, since: i64) -> i64 {
        self.rng.range(since as u64, LAST_DAY as u64) as i64
    }

    /// Writes an email cell: junk with `junk_share`, else `email` (or the person's typo when this
    /// source carries it), as an alias with `alias_share` and typed carelessly with
    /// `messy_email_share`; records the identifier and marks.
    fn email_cell(
        &mut self,
        person: &Person,
        email: Option<&Email>,
        source: Source,
        alias_boost: f64,
    ) {
        if self.rng.chance(self.cfg.junk_share) {
            self.row.marks.junk += 1;
            let junk = self.rng.pick(JUNK_EMAILS).to_string();
            return self.cell(Some(junk));
        }
        let typo_due = self.typo_written != Some(person.index);
        let typo = person
            .typo
            .as_ref()
            .filter(|(s, _)| *s == source && typo_due);
        let raw = match (typo, email) {
            (Some((_, typo)), _) => {
                self.row.marks.typo = true;
                self.typo_written = Some(person.index);
                typo.clone()
            }
            (None, Some(email)) => {
                let alias = if self.rng.chance(self.cfg.alias_share * alias_boost) {
                    email_alias(email, &mut self.rng)
                } else {
                    None
                };
                self.row.marks.alias += u32::from(alias.is_some());
                alias.unwrap_or_else(|| email.address())
            }
            (None, None) => return self.cell(None),
        };
        let raw = if self.rng.chance(self.cfg.messy_email_share) {
            messy(&raw, &mut self.rng)
        } else {
            raw
        };
        let identifier = format!("email:{}", canonical_email(&raw));
        self.note(identifier, person);
        self.cell(Some(raw));
    }

    /// Writes a phone cell (junk with `junk_share`) spelled by `spell`.
    fn phone_cell(
        &mut self,
        person: Option<&Person>,
        phone: Option<&Phone>,
        spell: fn(&Phone, &mut Rng) -> String,
    ) {
        if self.rng.chance(self.cfg.junk_share) {
            self.row.marks.junk += 1;
            let junk = self.rng.pick(JUNK_PHONES).to_string();
            return self.cell(Some(junk));
        }
        let Some(phone) = phone else {
            return self.cell(None);
        };
        let raw = spell(phone, &mut self.rng);
        if let Some(person) = person {
            self.note(format!("phone:{}", phone.e164()), person);
        } else {
            self.row.identifiers.push(format!("phone:{}", phone.e164()));
        }
        self.cell(Some(raw));
    }

    fn note(&mut self, identifier: String, person: &Person) {
        if person.household.as_deref() == Some(identifier.as_str()) {
            self.row.marks.household = true;
        }
        self.row.identifiers.push(identifier);
    }

    fn card_cell(&mut self, card: Option<u32>, spell: fn(u32, &mut Rng) -> String) {
        let Some(card) = card else {
            return self.cell(None);
        };
        let raw = spell(card, &mut self.rng);
        self.row
            .identifiers
            .push(format!("card:{}", canonical_card(card)));
        self.cell(Some(raw));
    }

    /// `customer_id,email,phone,first_name,last_name,created_at,orders_total` (`,country` in
    /// the international set); a second account uses the second email (or none) and the first
    /// phone.
    fn web_shop(&mut self, person: &Person, rows: &mut Vec<Row>) {
        for account in 0..=usize::from(person.second_account) {
            let id = self.next_id() + 100_000;
            self.start(Owner::Person(person.index));
            self.row.marks.second_account = account == 1;
            self.cell(Some(id.to_string()));
            let email = match account {
                0 if person.emails.len() > 1 && self.rng.chance(0.2) => person.emails.get(1),
                0 => person.emails.first(),
                _ => person.emails.get(1),
            };
            self.email_cell(person, email, Source::WebShop, 1.0);
            let phone = person
                .phones
                .first()
                .filter(|_| account == 1 || self.rng.chance(0.75));
            let spell = if person.country == Country::Ru
                && phone.is_some_and(|p| p.country == Country::Ru)
            {
                pick_spelling(&mut self.rng, phone_ru_domestic, phone_international)
            } else if self.international() {
                foreign_spelling(person, phone, true)
            } else {
                phone_international
            };
            self.phone_cell(Some(person), phone, spell);
            let (first, last) = if person.country == Country::Ru && self.rng.chance(0.8) {
                (person.first.clone(), person.last.clone())
            } else {
                (person.first_latin(), person.last_latin())
            };
            let blank = self.rng.chance(0.05);
            self.cell(Some(first).filter(|_| !blank));
            self.cell(Some(last).filter(|_| !blank));
            let created = self.date_after(person.since);
            self.cell(Some(datetime_iso(created)));
            let total = if self.rng.chance(0.3) {
                0
            } else {
                self.rng.range(500, 30_000_000)
            };
            self.cell(Some(amount_plain(total)));
            self.country_cell(person);
            self.finish(rows);
        }
    }

    /// `user_id,phone,email,name,country,registered_at` (user_id becomes an Int64 column).
    fn mobile_app(&mut self, person: &Person, rows: &mut Vec<Row>) {
        let id = self.next_id() + 500_000;
        self.start(Owner::Person(person.index));
        self.cell(Some(id.to_string()));
        let phone = match person.phones.len() {
            2 if self.rng.chance(0.5) => person.phones.get(1),
            _ => person.phones.first(),
        };
        let phone = phone.filter(|_| self.rng.chance(0.95));
        if self.international() {
            return self.mobile_app_international(person, phone, rows);
        }
        let national = phone.is_some_and(|p| p.country == person.country) && self.rng.chance(0.5);
        let spell = match (phone.map(|p| p.country), national) {
            (Some(Country::Ru), _) if person.country == Country::Ru => app_ru_spelling,
            (_, true) => phone_national,
            _ => phone_international,
        };
        if national && person.country != Country::Ru {
            self.row.marks.national_phone += 1;
        }
        self.phone_cell(Some(person), phone, spell);
        self.mobile_app_rest(person, rows);
    }

    /// The international set's app row: a Russian's own number in the app's Russian forms, any
    /// other in any form ([`foreign_spelling`]); the country cell as in the other exports.
    fn mobile_app_international(
        &mut self,
        person: &Person,
        phone: Option<&Phone>,
        rows: &mut Vec<Row>,
    ) {
        let spell = match phone.map(|p| p.country) {
            Some(Country::Ru) if person.country == Country::Ru => app_ru_spelling,
            _ => foreign_spelling(person, phone, true),
        };
        self.phone_cell(Some(person), phone, spell);
        self.mobile_app_rest(person, rows);
    }

    /// The app row after the phone: `email,name,country,registered_at`.
    fn mobile_app_rest(&mut self, person: &Person, rows: &mut Vec<Row>) {
        let email = person
            .emails
            .get(self.rng.index(person.emails.len().max(1)))
            .filter(|_| self.rng.chance(0.6));
        self.email_cell(person, email, Source::MobileApp, 1.0);
        let (first, last) = (person.first_latin(), person.last_latin());
        let name = match self.rng.below(10) {
            0 => Some(format!("{first} {last}").to_lowercase()),
            1 => Some(first),
            2 => None,
            _ => Some(format!("{first} {last}")),
        };
        self.cell(name);
        if self.international() {
            self.country_cell(person);
        } else {
            let country = match person.country {
                Country::Ru => match self.rng.below(20) {
                    0..=9 => Some("RU"),
                    10..=16 => Some("ru_RU"),
                    _ => None,
                },
                other => Some(other.code()),
            };
            self.cell(country.map(str::to_string));
        }
        let registered = self.date_after(person.since);
        self.cell(Some(datetime_utc(registered)));
        self.finish(rows);
    }

    /// `Номер карты;ФИО;Телефон;E-mail;Дата регистрации` (international set:
    /// `card_number,full_name,phone,email,registered_at,country`).
    fn loyalty(&mut self, person: &Person, rows: &mut Vec<Row>) {
        self.start(Owner::Person(person.index));
        self.card_cell(person.card, card_loyalty);
        let full_name = match (&person.patronymic, self.rng.below(10)) {
            (Some(patronymic), 0..=6) => format!("{} {} {patronymic}", person.last, person.first),
            (Some(patronymic), 7) => {
                format!("{} {} {patronymic}", person.last, person.first).to_uppercase()
            }
            _ => format!("{} {}", person.last, person.first),
        };
        // Windows-1251 has no umlauts: Excel would write `?`; people type `u` for `ü` instead.
        let full_name = if self.international() {
            full_name
        } else {
            fold_umlauts(&full_name)
        };
        self.cell(Some(full_name));
        let phone = person.phones.first().filter(|_| self.rng.chance(0.9));
        let own_russian = person.country == Country::Ru || !self.international();
        let spell = match phone.map(|p| p.country) {
            Some(Country::Ru) if !own_russian => foreign_spelling(person, phone, true),
            Some(Country::Ru) if self.rng.chance(self.cfg.float_phone_share) => {
                self.row.marks.float_phone += 1;
                phone_float
            }
            Some(Country::Ru) => phone_ru_domestic,
            _ if self.international() => foreign_spelling(person, phone, true),
            _ => phone_international,
        };
        self.phone_cell(Some(person), phone, spell);
        let email = person.emails.first().filter(|_| self.rng.chance(0.4));
        self.email_cell(person, email, Source::Loyalty, 1.0);
        let registered = self.date_after(person.since);
        self.cell(Some(date_ru(registered)));
        self.country_cell(person);
        self.finish(rows);
    }

    /// `receipt_id|store|card|phone|amount|purchased_at`, `receipts` of them.
    fn receipts(&mut self, person: &Person, rows: &mut Vec<Row>) {
        for _ in 0..person.receipts {
            self.start(Owner::Person(person.index));
            self.receipt_head();
            if self.store_phone_typed() {
                continue_receipt(self, person.since, rows);
                continue;
            }
            let card = person.card.filter(|_| self.rng.chance(0.85));
            let phone_share = if card.is_some() { 0.15 } else { 1.0 };
            let phone = person
                .phones
                .first()
                .filter(|_| self.rng.chance(phone_share));
            let card = if card.is_none() && phone.is_none() {
                person.card
            } else {
                card
            };
            self.card_cell(card, card_pos);
            let spell = if phone.is_some_and(|p| p.country == Country::Ru) {
                till_ru_spelling
            } else if self.international() {
                foreign_spelling(person, phone, false)
            } else {
                phone_international
            };
            self.phone_cell(Some(person), phone, spell);
            continue_receipt(self, person.since, rows);
        }
    }

    /// Receipts of customers who gave no card and no phone, `anonymous_receipt_share` of all.
    fn anonymous_receipts(&mut self, rows: &mut Vec<Row>) {
        let share = self.cfg.anonymous_receipt_share.clamp(0.0, 0.99);
        let expected = rows.len() as f64 * share / (1.0 - share);
        let count = (expected + self.rng.unit()) as usize;
        for _ in 0..count {
            *self.next_anonymous += 1;
            self.start(Owner::Anonymous(*self.next_anonymous));
            self.receipt_head();
            if !self.store_phone_typed() {
                self.cell(None);
                self.cell(None);
            }
            continue_receipt(self, super::people::FIRST_DAY, rows);
        }
    }

    fn receipt_head(&mut self) {
        let id = self.next_id();
        self.cell(Some(format!("R{id:08}")));
        let store = self.rng.pick(self.stores).code.clone();
        self.cell(Some(store));
    }

    /// With `store_phone_share`, fills card (empty) and phone (a store's own) and returns true.
    fn store_phone_typed(&mut self) -> bool {
        let typing: Vec<&Phone> = self
            .stores
            .iter()
            .filter_map(|s| s.phone.as_ref())
            .collect();
        if typing.is_empty() || !self.rng.chance(self.cfg.store_phone_share) {
            return false;
        }
        let phone = (*self.rng.pick(&typing)).clone();
        self.row.marks.store_phone = true;
        self.cell(None);
        self.phone_cell(None, Some(&phone), till_ru_spelling);
        true
    }

    /// `subscriber_id;email;first_name;subscribed_at;status`: one row per subscribed address.
    fn email_list(&mut self, person: &Person, rows: &mut Vec<Row>) {
        for (i, email) in person.emails.iter().enumerate() {
            if i > 0 && !self.rng.chance(0.4) {
                continue;
            }
            self.start(Owner::Person(person.index));
            let id = format!("{:012x}", self.rng.next_u64() >> 16);
            self.cell(Some(id));
            self.email_cell(person, Some(email), Source::EmailList, 2.0);
            let first = match (person.country, self.rng.below(20)) {
                (Country::Ru, 0..=11) => Some(person.first.clone()),
                (_, 0..=16) => Some(person.first_latin()),
                _ => None,
            };
            self.cell(first);
            let subscribed = self.date_after(person.since);
            self.cell(Some(datetime_moscow(subscribed)));
            let status =
                ["active", "unsubscribed", "bounced"][self.rng.weighted(&[0.8, 0.15, 0.05])];
            self.cell(Some(status.to_string()));
            self.finish(rows);
        }
    }
}

/// Amount and time of a receipt, then the row is done. A known customer's receipts are dated
/// after they first appeared (`since`), as their other rows are, so that the report's time from
/// first contact to first purchase has something to measure; one draw either way, so the rest of
/// the generated data does not change.
fn continue_receipt(renderer: &mut Renderer<'_>, since: i64, rows: &mut Vec<Row>) {
    let kopecks = match renderer.rng.below(10) {
        0..=5 => renderer.rng.range(5_000, 300_000),
        6..=8 => renderer.rng.range(300_000, 1_500_000),
        _ => renderer.rng.range(1_500_000, 10_000_000),
    };
    renderer.cell(Some(amount_ru(kopecks)));
    let at = renderer.date_after(since);
    renderer.cell(Some(datetime_iso(at)));
    renderer.finish(rows);
}

/// How a number that is not a Russian's own is spelled in the international set: in the
/// person's own country's forms when the row names that country (`row_has_country`) and the
/// number is from there, else in a form that carries its country code.
fn foreign_spelling(
    person: &Person,
    phone: Option<&Phone>,
    row_has_country: bool,
) -> fn(&Phone, &mut Rng) -> String {
    match phone {
        Some(p) if row_has_country && p.country == person.country => phone_home_form,
        _ => phone_abroad_form,
    }
}

/// The English name of a country, as a country column may hold it.
fn country_name(country: Country) -> &'static str {
    match country {
        Country::Ru => "Russia",
        Country::Us => "United States",
        Country::Gb => "United Kingdom",
        Country::De => "Germany",
        Country::Fr => "France",
    }
}

/// The usual locale of a country (`en_US`), as app exports write the user's settings.
fn country_locale(country: Country) -> &'static str {
    match country {
        Country::Ru => "ru_RU",
        Country::Us => "en_US",
        Country::Gb => "en_GB",
        Country::De => "de_DE",
        Country::Fr => "fr_FR",
    }
}

/// One of two spellings, half and half.
fn pick_spelling(
    rng: &mut Rng,
    a: fn(&Phone, &mut Rng) -> String,
    b: fn(&Phone, &mut Rng) -> String,
) -> fn(&Phone, &mut Rng) -> String {
    if rng.chance(0.5) { a } else { b }
}

/// Russian numbers in the app: `+79161234567`, `79161234567` (no plus), `+7 916 123-45-67`,
/// `89161234567`.
fn app_ru_spelling(phone: &Phone, rng: &mut Rng) -> String {
    match rng.below(4) {
        0 => phone.e164(),
        1 => format!("7{}", phone.nsn),
        2 => phone_international(phone, rng),
        _ => format!("8{}", phone.nsn),
    }
}

/// Russian numbers typed at a till: `89161234567`, `9161234567`, `8-916-123-45-67`, `+79161234567`.
fn till_ru_spelling(phone: &Phone, rng: &mut Rng) -> String {
    let nsn = &phone.nsn;
    match rng.below(4) {
        0 => format!("8{nsn}"),
        1 => nsn.clone(),
        2 => format!(
            "8-{}-{}-{}-{}",
            &nsn[..3],
            &nsn[3..6],
            &nsn[6..8],
            &nsn[8..]
        ),
        _ => phone.e164(),
    }
}

/// `Müller Jürgen` → `Muller Jurgen`: German letters that Windows-1251 cannot hold.
fn fold_umlauts(name: &str) -> String {
    name.chars()
        .map(|c| match c {
            'ä' => "a".to_string(),
            'ö' => "o".to_string(),
            'ü' => "u".to_string(),
            'Ä' => "A".to_string(),
            'Ö' => "O".to_string(),
            'Ü' => "U".to_string(),
            'ß' => "ss".to_string(),
            c => c.to_string(),
        })
        .collect()
}
