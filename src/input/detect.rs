//! Column-role detection: header names (English and Russian synonyms) confirmed by content.
//!
//! In: the cleaned header names and a sample of rows. Out: one [`Detection`] per column, in
//! header order, each with a short reason for `inspect` and the report.
//!
//! How a column is decided:
//! 1. The header is split into lowercase words (camelCase, digits and any punctuation split;
//!    `ё` is `е`) and matched against synonym tables: first the whole name (`e-mail` →
//!    `email`), then runs of two or more words (`Customer first name` → `firstname`), then
//!    single words, English words from the right (`mobile app user id` is an id) and Russian
//!    ones from the left (`Телефон моб.` is a phone), Russian words by stem so that inflected
//!    forms match (`Номер карты`). A word naming another entity (`order_id`, `shop_email`,
//!    `product name`) makes the column ignored. Birth dates, addresses, postcodes and cities
//!    get roles of their own that only the probabilistic pass reads (issue 20).
//! 2. Content then confirms, using cheap shape checks on up to [`SAMPLE_VALUES`] non-empty,
//!    non-placeholder values. A header role with a shape (email, phone, card, timestamp, amount)
//!    is kept when at least half of the values fit; otherwise values that are mostly emails or
//!    phones win, and anything else makes the column ignored. Roles without a shape (key, names,
//!    country) are overridden only when 80% of the values are emails.
//! 3. A column whose header matched nothing gets Email or Phone when 80% of its values clearly
//!    are one (a phone must look like one: `+`, brackets, dashes, a float like `7.9E10`, or
//!    eleven digits starting with 7 or 8), and is ignored otherwise: digits alone could be ids.
//! 4. At most one column is the `Key`: the best-ranked (customer-like ids, then a bare `id`,
//!    then other `*_id`s), leftmost among equals.
//!
//! It does not call the normalizers (the checks are shapes, not validation), never assigns
//! `Id(ns)` (configuration only), and does not look at values beyond the sample.

use serde::{Deserialize, Serialize};

/// Non-empty values per column looked at for content checks.
pub const SAMPLE_VALUES: usize = 300;
/// Share of values a header-detected role needs to be kept.
const CONFIRM_SHARE: f64 = 0.5;
/// Values a full-name column needs before its repetition is judged.
const MIN_CATEGORY_VALUES: usize = 20;
/// Below this share of distinct values, a "name" column is a category.
const MAX_CATEGORY_DISTINCT: f64 = 0.2;
/// Share of values needed to assign a role from content alone.
const CONTENT_SHARE: f64 = 0.8;

/// What a column means to omni.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Role {
    /// An email address (links).
    Email,
    /// A phone number (links).
    Phone,
    /// A loyalty card number (links).
    Card,
    /// A value in a named id namespace, e.g. `id:crm` (links, only when configured).
    Id(String),
    /// The source's own record key (customer_id, user_id, subscriber id, ...); does not link.
    Key,
    /// Given name.
    FirstName,
    /// Family name.
    LastName,
    /// Patronymic / middle name.
    MiddleName,
    /// Full name in one column (`ФИО`, `name`, `customer name`).
    FullName,
    /// Country or locale of the row (`RU`, `ru_RU`, `Россия`): the phone region for that row.
    Country,
    /// A date or time (created, updated, purchase date, ...).
    Timestamp,
    /// A money amount (order total, purchase sum).
    Amount,
    /// Read but not used.
    Ignore,
    // Person attributes (issue 20): compared by the probabilistic pass (`--match
    // probabilistic`), never linked by the exact pass.
    /// Date of birth (`dob`, `date_of_birth`, `дата рождения`).
    BirthDate,
    /// A part of a street address (`address`, `street`, `street_number`, `address_2`).
    Address,
    /// Postal code (`postcode`, `zip`, `индекс`).
    Postcode,
    /// City, town or suburb.
    City,
}

/// The config spellings of the roles without a parameter.
const ROLE_NAMES: [(&str, Role); 16] = [
    ("email", Role::Email),
    ("phone", Role::Phone),
    ("card", Role::Card),
    ("key", Role::Key),
    ("first_name", Role::FirstName),
    ("last_name", Role::LastName),
    ("middle_name", Role::MiddleName),
    ("full_name", Role::FullName),
    ("country", Role::Country),
    ("timestamp", Role::Timestamp),
    ("amount", Role::Amount),
    ("ignore", Role::Ignore),
    ("birth_date", Role::BirthDate),
    ("address", Role::Address),
    ("postcode", Role::Postcode),
    ("city", Role::City),
];

impl Role {
    /// The config spelling: `email`, `phone`, `card`, `id:<ns>`, `key`, `first_name`,
    /// `last_name`, `middle_name`, `full_name`, `country`, `timestamp`, `amount`, `ignore`.
    pub fn as_config(&self) -> String {
        if let Role::Id(ns) = self {
            return format!("id:{ns}");
        }
        let (name, _) = ROLE_NAMES
            .iter()
            .find(|(_, role)| role == self)
            .expect("every role without a namespace is in ROLE_NAMES");
        (*name).to_owned()
    }

    /// Parses the config spelling (also accepts `name` for `full_name`). Case and surrounding
    /// spaces are ignored; an `id:` namespace must be letters, digits, `_` or `-`.
    pub fn parse(s: &str) -> Result<Role, String> {
        let lower = s.trim().to_lowercase();
        if let Some(ns) = lower.strip_prefix("id:") {
            let ns = ns.trim();
            let valid = !ns.is_empty()
                && ns
                    .chars()
                    .all(|c| c.is_alphanumeric() || c == '_' || c == '-');
            return if valid {
                Ok(Role::Id(ns.to_owned()))
            } else {
                Err(format!(
                    "role \"{s}\": the id namespace must be letters, digits, '_' or '-' (e.g. id:crm)"
                ))
            };
        }
        if lower == "name" {
            return Ok(Role::FullName);
        }
        ROLE_NAMES.iter().find(|(name, _)| *name == lower).map(|(_, role)| role.clone()).ok_or_else(|| {
            format!(
                "unknown role \"{s}\" (expected email, phone, card, id:<namespace>, key, first_name, \
                 last_name, middle_name, full_name, country, timestamp, amount, ignore, birth_date, \
                 address, postcode or city)"
            )
        })
    }

    /// True for roles whose values link records.
    pub fn is_identifier(&self) -> bool {
        matches!(self, Role::Email | Role::Phone | Role::Card | Role::Id(_))
    }
}

/// A column's detected role and why.
#[derive(Clone, Debug, PartialEq)]
pub struct Detection {
    /// The role.
    pub role: Role,
    /// A short human reason: `header "E-mail"`, `content: 97% emails`, `config`.
    pub why: String,
}

/// Detects the role of every column from its header and up to a few hundred sample rows.
/// Header synonyms decide first; content confirms (an "email" header whose values are mostly
/// phones becomes Phone) and fills in unnamed or unknown columns. At most one column gets `Key`.
pub fn detect(headers: &[String], sample: &[Vec<String>]) -> Vec<Detection> {
    let mut matches: Vec<HeaderMatch> = headers.iter().map(|h| match_header(h)).collect();
    let key = best_key(&matches);
    let mut out = Vec::with_capacity(headers.len());
    for (i, (header, matched)) in headers.iter().zip(matches.iter_mut()).enumerate() {
        let stats = Shapes::of(
            sample
                .iter()
                .filter_map(|row| row.get(i).map(String::as_str)),
        );
        let detection = match matched {
            HeaderMatch::Role(Role::Key, _) if key != Some(i) => {
                let winner = key.map(|k| headers[k].as_str()).unwrap_or_default();
                Detection {
                    role: Role::Ignore,
                    why: format!("header \"{header}\" (key already taken by \"{winner}\")"),
                }
            }
            HeaderMatch::Role(role, _) => confirm(header, role.clone(), &stats),
            HeaderMatch::OtherEntity(word)
                if find_word(std::slice::from_ref(word), BIRTH_WORDS).is_some() =>
            {
                Detection {
                    role: Role::Ignore,
                    why: format!("header \"{header}\": a birth date, not used to link"),
                }
            }
            HeaderMatch::OtherEntity(word) => Detection {
                role: Role::Ignore,
                why: format!("header \"{header}\" is about the {word}, not the customer"),
            },
            HeaderMatch::None => from_content(&stats),
        };
        out.push(detection);
    }
    out
}

/// The role the header alone names (`"Phone"` → phone), before any content check; `None` when
/// no synonym matches or the header is about something else (`order_id`).
pub fn header_role(header: &str) -> Option<Role> {
    match match_header(header) {
        HeaderMatch::Role(role, _) => Some(role),
        _ => None,
    }
}

/// True when the header is about something other than the customer (`order_id`,
/// `date_of_birth`): such a column is never proposed as a shared identifier.
pub fn names_other_entity(header: &str) -> bool {
    matches!(match_header(header), HeaderMatch::OtherEntity(_))
}

/// What the header alone says about a column.
#[derive(Clone, Debug, PartialEq)]
enum HeaderMatch {
    /// A role, with a rank used only for `Key` (lower is better).
    Role(Role, u8),
    /// The header is about something else (an order, a shop, a birth date).
    OtherEntity(String),
    /// No synonym matched.
    None,
}

/// The index of the column that gets `Key`: lowest rank, leftmost among equals.
fn best_key(matches: &[HeaderMatch]) -> Option<usize> {
    matches
        .iter()
        .enumerate()
        .filter_map(|(i, m)| match m {
            HeaderMatch::Role(Role::Key, rank) => Some((*rank, i)),
            _ => None,
        })
        .min()
        .map(|(_, i)| i)
}

/// Applies the content check to a header-detected role.
fn confirm(header: &str, role: Role, stats: &Shapes) -> Detection {
    let named = format!("header \"{header}\"");
    if stats.total == 0 {
        return Detection { role, why: named };
    }
    // People's full names are nearly all different; a few values repeated down the column
    // (`Program Name`: "Head Start", "Child Care") are a category, not a person (issue 15).
    if role == Role::FullName
        && stats.total >= MIN_CATEGORY_VALUES
        && stats.share(stats.distinct) < MAX_CATEGORY_DISTINCT
    {
        return Detection {
            role: Role::Ignore,
            why: format!(
                "{named}, but only {} different values in {}: a category, not a person's name",
                stats.distinct, stats.total
            ),
        };
    }
    let Some((share, noun)) = stats.share_for(&role) else {
        if stats.share(stats.email) >= CONTENT_SHARE {
            let why = format!(
                "{named}, but content {}% emails",
                percent(stats.share(stats.email))
            );
            return Detection {
                role: Role::Email,
                why,
            };
        }
        return Detection { role, why: named };
    };
    if share >= CONFIRM_SHARE {
        return Detection {
            role,
            why: format!("{named}, content {}% {noun}", percent(share)),
        };
    }
    for (other, other_share, other_noun) in [
        (Role::Email, stats.share(stats.email), "emails"),
        (Role::Phone, stats.share(stats.phone), "phones"),
    ] {
        if other != role && other_share >= CONFIRM_SHARE {
            let why = format!(
                "{named}, but content {}% {other_noun}",
                percent(other_share)
            );
            return Detection { role: other, why };
        }
    }
    Detection {
        role: Role::Ignore,
        why: format!("{named}, but content only {}% {noun}", percent(share)),
    }
}

/// The role of a column whose header matched nothing.
fn from_content(stats: &Shapes) -> Detection {
    let email = stats.share(stats.email);
    let phone = stats.share(stats.clear_phone);
    if stats.total > 0 && email >= CONTENT_SHARE {
        Detection {
            role: Role::Email,
            why: format!("content: {}% emails", percent(email)),
        }
    } else if stats.total > 0 && phone >= CONTENT_SHARE {
        Detection {
            role: Role::Phone,
            why: format!("content: {}% phones", percent(phone)),
        }
    } else {
        Detection {
            role: Role::Ignore,
            why: "no match".to_owned(),
        }
    }
}

/// A share as a whole percentage, rounded down so that 99.6% never shows as 100%.
fn percent(share: f64) -> u32 {
    (share * 100.0).floor() as u32
}

// ---------------------------------------------------------------------------------------------
// Header matching

/// Whole names and word runs (words joined without separators), space-separated per role.
const EXACT: &[(Role, &str)] = &[
    (
        Role::Email,
        "email emailaddress emailadres mail mailaddress почта элпочта электроннаяпочта \
         адресэлектроннойпочты адресэлпочты емейл емэйл имейл эмейл мейл емаил",
    ),
    (
        Role::Phone,
        "phone phonenumber phoneno tel telno telephone mobile mobilephone mobilenumber \
         msisdn cell cellphone телефон тел моб мобильный номертелефона мобтелефон",
    ),
    (
        Role::Card,
        "card cardno cardnum cardnumber loyalty loyaltycard loyaltyid loyaltynumber \
         bonuscard discountcard карта номеркарты бонуснаякарта дисконтнаякарта",
    ),
    (
        Role::Key,
        "id uid guid uuid customerid clientid userid subscriberid memberid accountid \
         contactid personid profileid buyerid externalid extid кодклиента idклиента \
         идклиента идентификатор идентификаторклиента кодпокупателя idпокупателя \
         idпользователя",
    ),
    (Role::FirstName, "firstname fname givenname forename имя"),
    (Role::LastName, "lastname lname surname familyname фамилия"),
    (Role::MiddleName, "middlename patronymic отчество"),
    (
        Role::FullName,
        "name fullname customer customername client clientname contactname displayname \
         фио клиент покупатель имяфамилия фамилияимя фамилияимяотчество",
    ),
    (
        Role::Country,
        "country countrycode countryiso locale страна кодстраны",
    ),
    (
        Role::Timestamp,
        "created createdat createdon updated updatedat modifiedat date datetime timestamp \
         registered registeredat signup signedup subscribed subscribedat lastpurchase \
         lastorder lastlogin lastseen lastvisit дата время",
    ),
    (
        Role::Amount,
        "amount total sum ordertotal revenue price сумма итого стоимость",
    ),
    (
        Role::Address,
        "address address1 address2 addressline addressline1 addressline2 street streetaddress \
         streetname streetnumber streetno housenumber houseno адрес улица дом номердома",
    ),
    (
        Role::Postcode,
        "postcode postalcode zip zipcode postindex индекс почтовыйиндекс",
    ),
    (
        Role::City,
        "city town suburb locality город населенныйпункт",
    ),
];

/// Single words that carry a role inside a longer header, space-separated per role, checked in
/// this order. A trailing `*` matches by prefix
/// (Russian stems, so that `карты`, `телефона`, `почты` match).
const WORDS: &[(Role, &str)] = &[
    (
        Role::Timestamp,
        "date datetime time timestamp ts at created updated modified registered signup \
         subscribed дата даты время",
    ),
    (
        Role::Amount,
        "amount total sum revenue price spent spend сумм* итого стоимост*",
    ),
    (
        Role::Email,
        "email emails mail почт* емейл имейл емэйл мейл",
    ),
    (
        Role::Phone,
        "phone phones telephone tel mobile msisdn cell cellphone телефон* тел моб \
         мобильн* сотов*",
    ),
    (Role::Card, "card loyalty карт*"),
    (Role::Key, "id uid guid uuid идентификатор*"),
    (Role::LastName, "surname фамили*"),
    (Role::MiddleName, "patronymic отчеств*"),
    (Role::FirstName, "имя"),
    (Role::FullName, "name фио"),
    (Role::Country, "country стран*"),
    (Role::Postcode, "postcode zip zipcode индекс*"),
    (Role::City, "city town suburb город*"),
    (Role::Address, "address street адрес* улиц*"),
];

/// Words that make a header about something other than the customer. Russian entries match by
/// prefix.
const OTHER_ENTITIES: &[&str] = &[
    "order",
    "receipt",
    "transaction",
    "txn",
    "invoice",
    "product",
    "sku",
    "item",
    "store",
    "shop",
    "company",
    "brand",
    "campaign",
    "session",
    "device",
    "event",
    "message",
    "terminal",
    "cashier",
    "manager",
    "employee",
    "seller",
    "agent",
    "partner",
    "sender",
    "заказ",
    "чек",
    "товар",
    "магазин",
    "компани",
    "организац",
    "кассир",
    "менеджер",
    "сотрудник",
    "продав",
];

/// Words that make a column a birth date (Russian by prefix): compared by the probabilistic
/// pass only.
const BIRTH_WORDS: &[&str] = &["birth", "birthday", "birthdate", "dob", "рождени"];

/// Person-like words that make an `id` the customer's key (rank 0).
const PERSON_WORDS: &[&str] = &[
    "customer",
    "client",
    "user",
    "subscriber",
    "member",
    "account",
    "contact",
    "person",
    "profile",
    "buyer",
    "shopper",
    "клиент",
    "покупател",
    "пользовател",
    "абонент",
    "участник",
];

/// Splits a header into lowercase words: at punctuation and spaces, between letters and digits,
/// and at camelCase humps; `ё` becomes `е`.
fn words(header: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut current = String::new();
    let mut prev: Option<char> = None;
    for c in header.chars() {
        if !c.is_alphanumeric() {
            flush(&mut out, &mut current);
            prev = None;
            continue;
        }
        if let Some(p) = prev {
            let hump = p.is_lowercase() && c.is_uppercase();
            let digit_edge = p.is_ascii_digit() != c.is_ascii_digit();
            if hump || digit_edge {
                flush(&mut out, &mut current);
            }
        }
        current.extend(c.to_lowercase().map(|l| if l == 'ё' { 'е' } else { l }));
        prev = Some(c);
    }
    flush(&mut out, &mut current);
    out
}

fn flush(out: &mut Vec<String>, current: &mut String) {
    if !current.is_empty() {
        out.push(std::mem::take(current));
    }
}

fn is_cyrillic(word: &str) -> bool {
    word.chars().any(|c| ('\u{0400}'..='\u{04FF}').contains(&c))
}

/// True when `word` matches a table entry (`stem*` by prefix).
fn word_matches(word: &str, entry: &str) -> bool {
    match entry.strip_suffix('*') {
        Some(stem) => word.starts_with(stem),
        None => word == entry,
    }
}

fn exact_role(joined: &str) -> Option<Role> {
    EXACT
        .iter()
        .find(|(_, names)| names.split_whitespace().any(|n| n == joined))
        .map(|(role, _)| role.clone())
}

/// Matches a header against the synonym tables (see the module docs for the order).
fn match_header(header: &str) -> HeaderMatch {
    let words = words(header);
    if words.is_empty() {
        return HeaderMatch::None;
    }
    if find_word(&words, BIRTH_WORDS).is_some() {
        return HeaderMatch::Role(Role::BirthDate, 0);
    }
    let Some(role) = role_of_words(&words) else {
        return HeaderMatch::None;
    };
    // An order's date or total still dates or prices the customer's purchase.
    if !matches!(role, Role::Timestamp | Role::Amount)
        && let Some(word) = find_word(&words, OTHER_ENTITIES)
    {
        return HeaderMatch::OtherEntity(word.clone());
    }
    let rank = if role == Role::Key {
        key_rank(&words)
    } else {
        0
    };
    HeaderMatch::Role(role, rank)
}

/// The role named by the words: the whole name, then runs of words, then single words.
fn role_of_words(words: &[String]) -> Option<Role> {
    if let Some(role) = exact_role(&words.concat()) {
        return Some(role);
    }
    for len in (2..words.len()).rev() {
        for start in 0..=words.len() - len {
            if let Some(role) = exact_role(&words[start..start + len].concat()) {
                return Some(role);
            }
        }
    }
    head_order(words).find_map(|word| {
        let entry = WORDS
            .iter()
            .find(|(_, entries)| entries.split_whitespace().any(|e| word_matches(word, e)));
        entry.map(|(role, _)| role.clone())
    })
}

/// The first word found in `list`: English words exactly or with a plural `s`, Russian ones by
/// prefix (`заказчик`, a customer, is not an order).
fn find_word<'a>(words: &'a [String], list: &[&str]) -> Option<&'a String> {
    words.iter().find(|w| {
        list.iter().any(|entry| {
            if is_cyrillic(entry) {
                w.starts_with(entry) && !w.starts_with("заказчик")
            } else {
                w.as_str() == *entry || w.strip_suffix('s') == Some(entry)
            }
        })
    })
}

/// English words from the right (the head of an English compound is last), then Russian words
/// from the left (the head of a Russian phrase is first).
fn head_order(words: &[String]) -> impl Iterator<Item = &String> {
    let latin = words.iter().rev().filter(|w| !is_cyrillic(w));
    let cyrillic = words.iter().filter(|w| is_cyrillic(w));
    latin.chain(cyrillic)
}

/// 0 for an id qualified by a person word (`customer_id`, `ID клиента`), 1 for a bare id, 2 for
/// any other (`external_id`, `crm_id`).
fn key_rank(words: &[String]) -> u8 {
    let person = words
        .iter()
        .any(|w| PERSON_WORDS.iter().any(|p| w.starts_with(p)));
    let bare = words.len() == 1;
    if person {
        0
    } else if bare {
        1
    } else {
        2
    }
}

// ---------------------------------------------------------------------------------------------
// Content shapes

/// Placeholders that say "no value" and are left out of content shares.
const PLACEHOLDERS: &[&str] = &[
    "-",
    "--",
    "—",
    "n/a",
    "na",
    "none",
    "null",
    "nil",
    "нет",
    "не указан",
    "не указано",
    "?",
    ".",
    "#n/a",
    "0",
];

/// How many sampled values of a column fit each shape.
#[derive(Clone, Debug, Default, PartialEq)]
struct Shapes {
    total: usize,
    /// Distinct values among the `total`.
    distinct: usize,
    email: usize,
    phone: usize,
    clear_phone: usize,
    card: usize,
    timestamp: usize,
    amount: usize,
}

impl Shapes {
    fn of<'a>(values: impl Iterator<Item = &'a str>) -> Shapes {
        let mut shapes = Shapes::default();
        let usable = values
            .map(str::trim)
            .filter(|v| !v.is_empty() && !is_placeholder(v));
        let mut seen = std::collections::HashSet::new();
        for value in usable.take(SAMPLE_VALUES) {
            shapes.total += 1;
            shapes.distinct += usize::from(seen.insert(value));
            let phone = is_phone_like(value);
            shapes.email += usize::from(is_email_like(value));
            shapes.phone += usize::from(phone);
            shapes.clear_phone += usize::from(phone && is_clearly_phone(value));
            shapes.card += usize::from(is_card_like(value));
            shapes.timestamp += usize::from(is_timestamp_like(value));
            shapes.amount += usize::from(is_amount_like(value));
        }
        shapes
    }

    fn share(&self, count: usize) -> f64 {
        if self.total == 0 {
            0.0
        } else {
            count as f64 / self.total as f64
        }
    }

    /// The share of values fitting `role`'s shape and its plural noun, for roles with a shape.
    fn share_for(&self, role: &Role) -> Option<(f64, &'static str)> {
        let (count, noun) = match role {
            Role::Email => (self.email, "emails"),
            Role::Phone => (self.phone, "phones"),
            Role::Card => (self.card, "card numbers"),
            Role::Timestamp => (self.timestamp, "dates"),
            Role::Amount => (self.amount, "amounts"),
            _ => return None,
        };
        Some((self.share(count), noun))
    }
}

fn is_placeholder(value: &str) -> bool {
    value.len() <= 12 && PLACEHOLDERS.contains(&value.to_lowercase().as_str())
}

/// `local@domain.tld`: one `@`, no spaces, a dot inside the domain.
pub(crate) fn is_email_like(value: &str) -> bool {
    let Some((local, domain)) = value.split_once('@') else {
        return false;
    };
    let dot = domain.rfind('.');
    !local.is_empty()
        && !domain.contains('@')
        && !value.contains(char::is_whitespace)
        && dot.is_some_and(|d| d > 0 && d + 1 < domain.len())
}

/// 7 to 15 digits with optional `+ ( ) - . / space`, a spreadsheet float (`79161234567.0`),
/// or scientific notation (`7.9161234567E10`, or `7,9161234567E+10` as Russian Excel writes it
/// with a decimal comma); an extension (`x123`, `ext. 12`, `доб. 5`) is left out and capital
/// letters count as keypad digits (`1-800-FLOWERS`); dates are excluded.
pub(crate) fn is_phone_like(value: &str) -> bool {
    if let Some(digits) = scientific_digits(value) {
        return (7..=15).contains(&digits);
    }
    let value = value
        .strip_suffix(".0")
        .or_else(|| value.strip_suffix(",0"))
        .unwrap_or(value);
    let value = crate::normalize::phone::strip_extension(value);
    let digits = value.chars().filter(char::is_ascii_digit).count();
    let letters = value.chars().filter(char::is_ascii_uppercase).count();
    let vanity = letters > 0 && digits >= 4;
    let allowed = value.chars().all(|c| {
        c.is_ascii_digit() || " +()-./\u{a0}".contains(c) || (vanity && c.is_ascii_uppercase())
    });
    let plus_ok = value.rfind('+').is_none_or(|i| i == 0);
    let dialled = digits + if vanity { letters } else { 0 };
    allowed && plus_ok && (7..=15).contains(&dialled) && !is_date_like(value)
}

/// Digits a number like `7.9161234567E10` has before its decimal point, if it is one.
fn scientific_digits(value: &str) -> Option<usize> {
    let (mantissa, exponent) = value.split_once(['e', 'E'])?;
    let exponent: usize = exponent
        .strip_prefix('+')
        .unwrap_or(exponent)
        .parse()
        .ok()?;
    // A decimal comma (Russian locale) is as common as a point (issue 7).
    let (int, frac) = mantissa.split_once(['.', ',']).unwrap_or((mantissa, ""));
    let numeric = int.len() == 1 && int.chars().chain(frac.chars()).all(|c| c.is_ascii_digit());
    numeric.then_some(exponent + 1)
}

/// A phone that cannot be mistaken for a numeric id: it has a `+`, brackets, dashes or spaces
/// between digits, a float form, or is eleven digits starting with 7 or 8 (a Russian number).
fn is_clearly_phone(value: &str) -> bool {
    if value.starts_with('+')
        || value.contains(['(', ')', '-', ' ', '/'])
        || value.chars().any(|c| c.is_ascii_uppercase())
        || value.ends_with(".0")
        || value.ends_with(",0")
    {
        return true;
    }
    if scientific_digits(value).is_some() {
        return true;
    }
    value.len() == 11 && value.starts_with(['7', '8']) && value.chars().all(|c| c.is_ascii_digit())
}

/// 6 to 20 letters and digits (spaces and dashes ignored), at least half of them digits.
fn is_card_like(value: &str) -> bool {
    let kept: Vec<char> = value.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
    let digits = kept.iter().filter(|c| c.is_ascii_digit()).count();
    (6..=20).contains(&kept.len())
        && kept.iter().all(char::is_ascii_alphanumeric)
        && digits * 2 >= kept.len()
}

/// A date, a date-time, a Unix time in seconds or milliseconds, or an Excel serial date.
pub(crate) fn is_timestamp_like(value: &str) -> bool {
    if is_date_like(value) {
        return true;
    }
    let digits = value.chars().all(|c| c.is_ascii_digit());
    let unix = digits && (value.len() == 10 || value.len() == 13) && value.starts_with('1');
    let (int, frac) = value.split_once('.').unwrap_or((value, "0"));
    let excel = int.len() == 5
        && int.starts_with(['3', '4'])
        && int.chars().chain(frac.chars()).all(|c| c.is_ascii_digit());
    unix || excel
}

/// `2024-03-15`, `15.03.2024`, `3/15/24` (optionally followed by a time), or a text date with a
/// year (`15 марта 2024`, `Mar 15, 2024`).
fn is_date_like(value: &str) -> bool {
    let groups: Vec<&str> = value
        .split(|c: char| !c.is_ascii_digit())
        .filter(|g| !g.is_empty())
        .collect();
    let head: String = value
        .chars()
        .take_while(|c| c.is_ascii_digit() || matches!(c, '-' | '.' | '/'))
        .collect();
    let parts: Vec<usize> = head.split(['-', '.', '/']).map(str::len).collect();
    let one_separator = head
        .chars()
        .filter(|c| !c.is_ascii_digit())
        .collect::<String>();
    let one_separator = one_separator.chars().all(|c| one_separator.starts_with(c));
    let numeric_date =
        one_separator && matches!(parts[..], [4, 1 | 2, 1 | 2] | [1 | 2, 1 | 2, 2 | 4]);
    let year = |g: &&str| g.len() == 4 && (g.starts_with("19") || g.starts_with("20"));
    let has_letters = value.chars().any(char::is_alphabetic);
    let text_date = has_letters
        && groups.len() >= 2
        && groups.len() <= 6
        && groups.iter().any(year)
        && value.len() <= 40;
    numeric_date || text_date
}

/// A number with optional sign, thousands separators, decimal comma or point, and a currency
/// sign or code (`1 234,50 ₽`, `$12.00`, `-5`).
fn is_amount_like(value: &str) -> bool {
    let mut rest = value.to_lowercase();
    for currency in ["руб.", "руб", "р.", "rub", "usd", "eur", "₽", "$", "€", "£"] {
        rest = rest.replace(currency, "");
    }
    let rest = rest.trim();
    let rest = rest.strip_prefix('-').unwrap_or(rest);
    let starts_with_digit = rest.starts_with(|c: char| c.is_ascii_digit());
    starts_with_digit
        && rest
            .chars()
            .all(|c| c.is_ascii_digit() || " ,.'\u{a0}\u{202f}".contains(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roles(headers: &[&str], rows: &[&[&str]]) -> Vec<Detection> {
        let headers: Vec<String> = headers.iter().map(|h| (*h).to_owned()).collect();
        let rows: Vec<Vec<String>> = rows
            .iter()
            .map(|r| r.iter().map(|v| (*v).to_owned()).collect())
            .collect();
        detect(&headers, &rows)
    }

    #[test]
    fn role_config_spellings_round_trip() {
        let all = [
            Role::Email,
            Role::Phone,
            Role::Card,
            Role::Id("crm".to_owned()),
            Role::Key,
            Role::FirstName,
            Role::LastName,
            Role::MiddleName,
            Role::FullName,
            Role::Country,
            Role::Timestamp,
            Role::Amount,
            Role::Ignore,
        ];
        for role in all {
            assert_eq!(Role::parse(&role.as_config()), Ok(role.clone()), "{role:?}");
        }
        assert_eq!(Role::parse(" Name "), Ok(Role::FullName));
        assert_eq!(
            Role::parse("ID:loyalty_v2"),
            Ok(Role::Id("loyalty_v2".to_owned()))
        );
        assert!(Role::parse("id:").is_err());
        assert!(Role::parse("id:a b").is_err());
        assert!(
            Role::parse("telephone")
                .unwrap_err()
                .contains("expected email")
        );
    }

    #[test]
    fn headers_alone_pick_roles() {
        let cases: &[(&str, Role)] = &[
            ("email", Role::Email),
            ("E-mail", Role::Email),
            ("Email Address", Role::Email),
            ("subscriber_email", Role::Email),
            ("E-mail клиента", Role::Email),
            ("Эл. почта", Role::Email),
            ("Электронная почта", Role::Email),
            ("Емейл", Role::Email),
            ("phone", Role::Phone),
            ("Phone Number", Role::Phone),
            ("contact phone", Role::Phone),
            ("MSISDN", Role::Phone),
            ("Телефон", Role::Phone),
            ("Телефон моб.", Role::Phone),
            ("Моб. телефон", Role::Phone),
            ("Номер телефона", Role::Phone),
            ("card_no", Role::Card),
            ("Loyalty Card Number", Role::Card),
            ("Номер карты", Role::Card),
            ("Бонусная карта", Role::Card),
            ("customer_id", Role::Key),
            ("customerId", Role::Key),
            ("Код клиента", Role::Key),
            ("ID клиента", Role::Key),
            ("first_name", Role::FirstName),
            ("firstName", Role::FirstName),
            ("Имя", Role::FirstName),
            ("Surname", Role::LastName),
            ("Фамилия", Role::LastName),
            ("Отчество", Role::MiddleName),
            ("name", Role::FullName),
            ("Customer Name", Role::FullName),
            ("ФИО", Role::FullName),
            ("ФИО клиента", Role::FullName),
            ("country_code", Role::Country),
            ("Страна", Role::Country),
            ("created_at", Role::Timestamp),
            ("Last purchase", Role::Timestamp),
            ("Дата регистрации", Role::Timestamp),
            ("Дата последней покупки", Role::Timestamp),
            ("phone_verified_at", Role::Timestamp),
            ("card_issue_date", Role::Timestamp),
            ("order_total", Role::Amount),
            ("Сумма покупки", Role::Amount),
            ("Итого", Role::Amount),
            ("language", Role::Ignore),
            ("region", Role::Ignore),
            ("Регион", Role::Ignore),
            ("order_id", Role::Ignore),
            ("shop_email", Role::Ignore),
            ("Дата рождения", Role::BirthDate),
            ("notes", Role::Ignore),
        ];
        for (header, expected) in cases {
            let got = roles(&[header], &[]);
            assert_eq!(&got[0].role, expected, "{header}: {}", got[0].why);
        }
    }

    #[test]
    fn person_attribute_headers_get_their_own_roles() {
        let cases: &[(&str, Role)] = &[
            ("dob", Role::BirthDate),
            ("date_of_birth", Role::BirthDate),
            ("birth_date", Role::BirthDate),
            ("Birthday", Role::BirthDate),
            ("Дата рождения", Role::BirthDate),
            ("address", Role::Address),
            ("address_1", Role::Address),
            ("street_number", Role::Address),
            ("Street", Role::Address),
            ("Адрес", Role::Address),
            ("postcode", Role::Postcode),
            ("zip", Role::Postcode),
            ("Почтовый индекс", Role::Postcode),
            ("suburb", Role::City),
            ("city", Role::City),
            ("Город", Role::City),
            ("email address", Role::Email),
            ("Адрес электронной почты", Role::Email),
            ("store address", Role::Ignore),
        ];
        for (header, expected) in cases {
            let got = roles(&[header], &[]);
            assert_eq!(&got[0].role, expected, "{header}: {}", got[0].why);
            if *expected != Role::Email {
                assert!(
                    !got[0].role.is_identifier(),
                    "{header} must not link by itself"
                );
            }
        }
    }

    #[test]
    fn english_shop_export_is_detected() {
        let headers = [
            "Customer ID",
            "First Name",
            "Last Name",
            "Email",
            "Accepts Email Marketing",
            "Phone",
            "Total Spent",
            "Created At",
            "Country Code",
            "Tags",
        ];
        let rows: &[&[&str]] = &[
            &[
                "1001",
                "Anna",
                "Smith",
                "anna@example.com",
                "yes",
                "+1 415 555 0100",
                "12.50",
                "2024-01-02 10:00:00 +0000",
                "US",
                "vip",
            ],
            &[
                "1002",
                "Bob",
                "Jones",
                "",
                "no",
                "(415) 555-0101",
                "0.00",
                "2024-01-03 11:00:00 +0000",
                "US",
                "",
            ],
        ];
        let expected = [
            Role::Key,
            Role::FirstName,
            Role::LastName,
            Role::Email,
            Role::Ignore,
            Role::Phone,
            Role::Amount,
            Role::Timestamp,
            Role::Country,
            Role::Ignore,
        ];
        for ((detection, role), header) in roles(&headers, rows).iter().zip(expected).zip(headers) {
            assert_eq!(detection.role, role, "{header}: {}", detection.why);
        }
    }

    #[test]
    fn only_the_best_ranked_key_is_kept() {
        let got = roles(&["external_id", "id", "customer_id", "user_id"], &[]);
        let got: Vec<&Role> = got.iter().map(|d| &d.role).collect();
        assert_eq!(
            got,
            [&Role::Ignore, &Role::Ignore, &Role::Key, &Role::Ignore]
        );
    }

    #[test]
    fn content_confirms_or_overrides_headers() {
        let rows: &[&[&str]] = &[
            &[
                "anna@example.com",
                "+7 916 123-45-67",
                "x",
                "79161234567",
                "2024-03-01",
                "yes",
            ],
            &[
                "bob@mail.ru",
                "8 (913) 555-01-02",
                "y",
                "79131234567",
                "01.02.2023",
                "no",
            ],
            &[
                "-",
                "+7 903 000 11 22",
                "z",
                "79031234567",
                "2023-12-31 10:00",
                "yes",
            ],
        ];
        let got = roles(
            &[
                "contact",
                "email",
                "misc",
                "col_4",
                "signup",
                "phone_verified",
            ],
            rows,
        );
        assert_eq!(got[0].role, Role::Email);
        assert_eq!(got[0].why, "content: 100% emails");
        assert_eq!(got[1].role, Role::Phone, "{}", got[1].why);
        assert_eq!(got[1].why, "header \"email\", but content 100% phones");
        assert_eq!(got[2].role, Role::Ignore);
        assert_eq!(got[2].why, "no match");
        assert_eq!(got[3].role, Role::Phone, "{}", got[3].why);
        assert_eq!(got[4].role, Role::Timestamp);
        assert_eq!(got[4].why, "header \"signup\", content 100% dates");
        assert_eq!(got[5].role, Role::Ignore, "{}", got[5].why);
    }

    #[test]
    fn issue_15_a_name_column_of_few_repeated_values_is_a_category() {
        // See: #15. `Program Name` lists programmes, not people.
        let programmes = ["Head Start", "Child Care", "Community Partnerships"];
        let rows: Vec<Vec<&str>> = (0..30)
            .map(|i| {
                vec![
                    programmes[i % 3],
                    ["Ann Lee", "Bob Stone", "Cy Young"][i % 3],
                ]
            })
            .collect();
        let rows: Vec<&[&str]> = rows.iter().map(Vec::as_slice).collect();
        let got = roles(&["Program Name", "Customer Name"], &rows);
        assert_eq!(got[0].role, Role::Ignore, "{}", got[0].why);
        assert!(got[0].why.contains("a category"), "{}", got[0].why);
        // Repeated people's names are a category too (30 rows, 3 names); distinct ones are not.
        let people: Vec<String> = (0..30).map(|i| format!("Person {i}")).collect();
        let rows: Vec<Vec<&str>> = people.iter().map(|p| vec![p.as_str()]).collect();
        let rows: Vec<&[&str]> = rows.iter().map(Vec::as_slice).collect();
        assert_eq!(roles(&["Site name"], &rows)[0].role, Role::FullName);
    }

    #[test]
    fn issue_15_a_birth_date_is_labelled_as_one() {
        // See: #15.
        let got = roles(&["dob", "order_id"], &[]);
        assert_eq!(got[0].why, "header \"dob\": a birth date, not used to link");
        assert_eq!(
            got[1].why,
            "header \"order_id\" is about the order, not the customer"
        );
    }

    #[test]
    fn numeric_ids_are_not_phones_without_a_header() {
        let rows: &[&[&str]] = &[&["1234567"], &["2345678"], &["3456789"]];
        assert_eq!(roles(&["ref"], rows)[0].role, Role::Ignore);
        assert_eq!(roles(&["customer_id"], rows)[0].role, Role::Key);
        assert_eq!(roles(&["card"], rows)[0].role, Role::Card);
    }

    #[test]
    fn russian_excel_export_is_detected() {
        let headers = [
            "ФИО",
            "Телефон моб.",
            "E-mail клиента",
            "Номер карты",
            "Дата покупки",
            "Сумма",
        ];
        let rows: &[&[&str]] = &[
            &[
                "Иванова Анна",
                "79161234567",
                "anna@example.com",
                "2000123456789",
                "15.03.2024",
                "1 234,50",
            ],
            &[
                "Петров Пётр",
                "7.9131234567E10",
                "",
                "2000123456790",
                "16.03.2024",
                "99",
            ],
        ];
        let got = roles(&headers, rows);
        let expected = [
            Role::FullName,
            Role::Phone,
            Role::Email,
            Role::Card,
            Role::Timestamp,
            Role::Amount,
        ];
        for ((detection, role), header) in got.iter().zip(expected).zip(headers) {
            assert_eq!(detection.role, role, "{header}: {}", detection.why);
        }
        assert_eq!(got[1].why, "header \"Телефон моб.\", content 100% phones");
    }

    #[test]
    fn shapes_are_recognised() {
        assert!(is_email_like("a.b+c@sub.example.ru"));
        assert!(!is_email_like("a@b"));
        assert!(!is_email_like("a b@c.d"));
        for phone in [
            "+7 (916) 123-45-67",
            "89161234567",
            "79161234567.0",
            "7.9161234567E10",
            "415.555.0100",
        ] {
            assert!(is_phone_like(phone), "{phone}");
        }
        // Issue 15: how people write phones in the US, with extensions and letters.
        for phone in [
            "310/246-1501",
            "(310) 246-1501",
            "310-246-1501 ext. 12",
            "(415) 555-0100 x204",
            "8 (495) 123-45-67 доб. 5",
            "1-800-FLOWERS",
        ] {
            assert!(is_phone_like(phone), "{phone}");
            assert!(is_clearly_phone(phone), "{phone}");
        }
        for not_phone in [
            "2024-03-15",
            "3/15/2024",
            "Head Start",
            "15.03.2024",
            "12345",
            "+7 916 abc",
            "1+2345678",
        ] {
            assert!(!is_phone_like(not_phone), "{not_phone}");
        }
        assert!(is_card_like("2000 1234 5678"));
        assert!(!is_card_like("ABCDEFG1"));
        for date in [
            "2024-03-15",
            "2024-03-15T10:00:00Z",
            "15.03.2024 10:00",
            "3/15/24",
            "15 марта 2024",
            "1700000000",
        ] {
            assert!(is_timestamp_like(date), "{date}");
        }
        for amount in ["1 234,50 ₽", "$12.00", "-5", "99"] {
            assert!(is_amount_like(amount), "{amount}");
        }
        assert!(!is_amount_like("abc"));
    }
}
