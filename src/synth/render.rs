//! Raw spellings of identifiers and values, the way real exports write them.
//!
//! Takes canonical values (a [`Phone`], an [`Email`], a card number, a timestamp) and a random
//! stream, gives the string that goes into a cell: `8 (916) 123-45-67`, `7.9161234567E10`,
//! `Ivan.Ivanov+shop@googlemail.com`, `LC-12345678`, `1 234,50`. Every spelling here must
//! canonicalize back to the value it came from; tests in this module check that for emails, and
//! the crate tests check phones against libphonenumber. It does not decide *whether* a cell is
//! filled or junk: that is `sources`.

use super::identity::{Country, Email, GMAIL_DOMAINS, PLUS_TAG_DOMAINS, Phone, YANDEX_DOMAINS};
use super::rng::Rng;

/// `nsn` split into groups of the given sizes (the last group takes the rest).
fn groups<'a>(nsn: &'a str, sizes: &[usize]) -> Vec<&'a str> {
    let mut parts = Vec::with_capacity(sizes.len() + 1);
    let mut rest = nsn;
    for size in sizes {
        if rest.len() <= *size {
            break;
        }
        let (head, tail) = rest.split_at(*size);
        parts.push(head);
        rest = tail;
    }
    parts.push(rest);
    parts
}

/// Digit groups of a national number as the country writes it (`916 123 45 67`, `415 555 0123`).
fn national_groups(phone: &Phone) -> Vec<&str> {
    let nsn = phone.nsn.as_str();
    match phone.country {
        Country::Ru => groups(nsn, &[3, 3, 2]),
        Country::Us => groups(nsn, &[3, 3]),
        Country::Gb if nsn.starts_with('2') => groups(nsn, &[2, 4]),
        Country::Gb => groups(nsn, &[4]),
        Country::De if nsn.starts_with('3') => groups(nsn, &[2]),
        Country::De => groups(nsn, &[3]),
        Country::Fr => groups(nsn, &[1, 2, 2, 2]),
    }
}

/// An international spelling valid without any default region: `+7 (916) 123-45-67`,
/// `+1 415-555-0123`, `+44 20 7946 0958`, `+4915123456789`.
pub fn phone_international(phone: &Phone, rng: &mut Rng) -> String {
    let cc = phone.country.calling_code();
    let g = national_groups(phone);
    match (phone.country, rng.below(4)) {
        (_, 0) => format!("+{cc}{}", phone.nsn),
        (Country::Ru, 1) => format!("+{cc} ({}) {}-{}-{}", g[0], g[1], g[2], g[3]),
        (Country::Ru, 2) => format!("+{cc} {} {}-{}-{}", g[0], g[1], g[2], g[3]),
        (Country::Us, 1) => format!("+{cc} ({}) {}-{}", g[0], g[1], g[2]),
        (Country::Us, 2) => format!("+{cc} {}-{}-{}", g[0], g[1], g[2]),
        _ => format!("+{cc} {}", g.join(" ")),
    }
}

/// A Russian number as typed in Russia, valid only with default region RU: `8 (916) 123-45-67`,
/// `8(916)1234567`, `89161234567`, `8-916-123-45-67`, `9161234567`, `79161234567`.
pub fn phone_ru_domestic(phone: &Phone, rng: &mut Rng) -> String {
    let nsn = &phone.nsn;
    let g = national_groups(phone);
    match rng.below(7) {
        0 => format!("8 ({}) {}-{}-{}", g[0], g[1], g[2], g[3]),
        1 => format!("8({}){}", g[0], &nsn[3..]),
        2 => format!("8{nsn}"),
        3 => format!("8-{}-{}-{}-{}", g[0], g[1], g[2], g[3]),
        4 => format!("8 {} {}-{}-{}", g[0], g[1], g[2], g[3]),
        5 => nsn.clone(),
        _ => format!("7{nsn}"),
    }
}

/// A national spelling for a row whose country column names the number's country:
/// `(415) 555-0123` (US), `020 7946 0958` (GB), `0151 23456789` (DE), `06 12 34 56 78` (FR),
/// RU domestic forms.
pub fn phone_national(phone: &Phone, rng: &mut Rng) -> String {
    let g = national_groups(phone);
    match phone.country {
        Country::Ru => phone_ru_domestic(phone, rng),
        Country::Us => match rng.below(3) {
            0 => format!("({}) {}-{}", g[0], g[1], g[2]),
            1 => format!("{}-{}-{}", g[0], g[1], g[2]),
            _ => format!("1{}", phone.nsn),
        },
        Country::Gb | Country::De | Country::Fr => format!("0{}", g.join(" ")),
    }
}

/// A foreign number in a row whose country column names the number's country (international
/// set): a national form ([`phone_national`]), the international digits without the `+`
/// (`1-415-555-0123`, `44 7785 231773`, not for DE) or any form of
/// [`phone_abroad_form`].
pub fn phone_home_form(phone: &Phone, rng: &mut Rng) -> String {
    let cc = phone.country.calling_code();
    let g = national_groups(phone);
    match rng.below(5) {
        0 | 1 => phone_national(phone, rng),
        2 if phone.country == Country::Us => format!("1-{}", g.join("-")),
        // Not for DE: German numbers vary in length, so `49 162 9651384` is also a valid
        // national number (+49 4916…) and even libphonenumber reads it so.
        2 if phone.country != Country::De => format!("{cc} {}", g.join(" ")),
        _ => phone_abroad_form(phone, rng),
    }
}

/// A number in a row that does not name its country (international set): `+1 415 555 0123`
/// and the other [`phone_international`] forms, `+1-415-555-0123`, the `00` call prefix
/// (`001 415 555 0123`, `0044 7785 231773`, `004915123456789`); North American numbers also
/// as `1-415-555-0123`, which is how they are read out everywhere.
pub fn phone_abroad_form(phone: &Phone, rng: &mut Rng) -> String {
    let cc = phone.country.calling_code();
    let g = national_groups(phone);
    match rng.below(5) {
        0 => phone_international(phone, rng),
        1 => format!("+{cc}-{}", g.join("-")),
        2 => format!("00{cc} {}", g.join(" ")),
        3 if phone.country == Country::Us => format!("1-{}", g.join("-")),
        _ => format!("00{cc}{}", phone.nsn),
    }
}

/// A Russian number as a spreadsheet stores it after guessing it is a number:
/// `7.9161234567E10` (or `E+10`), trailing zeros of the mantissa dropped (`7.91612345E10`).
pub fn phone_float(phone: &Phone, rng: &mut Rng) -> String {
    let digits = format!("{}{}", phone.country.calling_code(), phone.nsn);
    let (head, tail) = digits.split_at(1);
    let tail = tail.trim_end_matches('0');
    let exponent = digits.len() - 1;
    let plus = if rng.chance(0.3) { "+" } else { "" };
    if tail.is_empty() {
        format!("{head}E{plus}{exponent}")
    } else {
        format!("{head}.{tail}E{plus}{exponent}")
    }
}

const PLUS_TAGS: &[&str] = &["shop", "promo", "news", "sale", "app", "2024", "club"];

/// An alias spelling of `email` that the provider delivers to the same mailbox: gmail dots,
/// `+tag`s and googlemail; yandex domain aliases, `.`/`-` swaps and `+tag`s; `+tag`s elsewhere.
/// `None` when the provider has no aliases.
pub fn email_alias(email: &Email, rng: &mut Rng) -> Option<String> {
    let local = email.local.as_str();
    let tag = rng.pick(PLUS_TAGS);
    if GMAIL_DOMAINS.contains(&email.domain) {
        Some(match rng.below(4) {
            0 => format!("{local}@googlemail.com"),
            1 => format!("{}@gmail.com", local.replace('.', "")),
            2 => format!("{}@{}", add_dot(local, rng), email.domain),
            _ => format!("{local}+{tag}@{}", email.domain),
        })
    } else if YANDEX_DOMAINS.contains(&email.domain) {
        Some(match rng.below(3) {
            0 => {
                let domain = rng.pick(&YANDEX_DOMAINS[..5]);
                let domain = if *domain == email.domain {
                    "ya.ru"
                } else {
                    domain
                };
                let domain = if domain == email.domain {
                    "yandex.com"
                } else {
                    domain
                };
                format!("{local}@{domain}")
            }
            1 if local.contains('.') => format!("{}@{}", local.replace('.', "-"), email.domain),
            1 => format!("{}@{}", local.replace('-', "."), email.domain),
            _ => format!("{local}+{tag}@{}", email.domain),
        })
    } else if PLUS_TAG_DOMAINS.contains(&email.domain) {
        Some(format!("{local}+{tag}@{}", email.domain))
    } else {
        None
    }
}

/// `local` with one extra dot between two letters (gmail ignores dots).
fn add_dot(local: &str, rng: &mut Rng) -> String {
    let bytes = local.as_bytes();
    let slots: Vec<usize> = (1..bytes.len())
        .filter(|&i| bytes[i - 1].is_ascii_alphanumeric() && bytes[i].is_ascii_alphanumeric())
        .collect();
    if slots.is_empty() {
        return local.to_string();
    }
    let at = *rng.pick(&slots);
    format!("{}.{}", &local[..at], &local[at..])
}

/// The same address typed carelessly: capitals, all caps, or a space before or after.
pub fn messy(address: &str, rng: &mut Rng) -> String {
    match rng.below(4) {
        0 => address.to_uppercase(),
        1 => capitalize_words(address),
        2 => format!(" {address}"),
        _ => format!("{address} "),
    }
}

/// Upper-cases the first letter after the start, a dot, a dash or an `@` (`Ivan.Ivanov@Mail.ru`).
fn capitalize_words(address: &str) -> String {
    let mut out = String::with_capacity(address.len());
    let mut start = true;
    for c in address.chars() {
        out.push(if start { c.to_ascii_uppercase() } else { c });
        start = matches!(c, '.' | '-' | '@' | '_');
    }
    out
}

/// A loyalty card as the loyalty system's spreadsheet shows it: zero-padded to 10 digits (a text
/// cell), bare (the zeros lost by a number cell), or with the programme prefix.
pub fn card_loyalty(number: u32, rng: &mut Rng) -> String {
    match rng.weighted(&[0.4, 0.4, 0.2]) {
        0 => format!("{number:010}"),
        1 => number.to_string(),
        _ => format!("LC-{number}"),
    }
}

/// A loyalty card as scanned or typed at the till.
pub fn card_pos(number: u32, rng: &mut Rng) -> String {
    match rng.weighted(&[0.6, 0.3, 0.1]) {
        0 => number.to_string(),
        1 => format!("{number:010}"),
        _ => format!("№{number}"),
    }
}

/// Civil date and time of `secs` since the Unix epoch: (year, month, day, hour, minute, second).
/// The date from `normalize::datetime::civil_from_days`, so no date crate is needed.
pub fn civil(secs: i64) -> (i64, u32, u32, u32, u32, u32) {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (year, month, day) = crate::normalize::datetime::civil_from_days(days);
    let (month, day) = (month as u32, day as u32);
    let (hour, minute, second) = (
        (rem / 3600) as u32,
        (rem % 3600 / 60) as u32,
        (rem % 60) as u32,
    );
    (year, month, day, hour, minute, second)
}

/// `2024-03-05 14:33:05`.
pub fn datetime_iso(secs: i64) -> String {
    let (y, mo, d, h, mi, s) = civil(secs);
    format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}")
}

/// `2024-03-05T14:33:05Z`.
pub fn datetime_utc(secs: i64) -> String {
    let (y, mo, d, h, mi, s) = civil(secs);
    format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z")
}

/// `2024-03-05T17:33:05+03:00` (Moscow time).
pub fn datetime_moscow(secs: i64) -> String {
    let (y, mo, d, h, mi, s) = civil(secs + 3 * 3600);
    format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}+03:00")
}

/// `05.03.2024`, the Russian spreadsheet date.
pub fn date_ru(secs: i64) -> String {
    let (y, mo, d, ..) = civil(secs);
    format!("{d:02}.{mo:02}.{y:04}")
}

/// `1 234,50` from kopecks: space as the thousands separator, comma as the decimal mark.
pub fn amount_ru(kopecks: u64) -> String {
    let whole = (kopecks / 100).to_string();
    let mut out = String::with_capacity(whole.len() + 4);
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            out.push(' ');
        }
        out.push(c);
    }
    format!("{out},{:02}", kopecks % 100)
}

/// `1234.50` from cents.
pub fn amount_plain(cents: u64) -> String {
    format!("{}.{:02}", cents / 100, cents % 100)
}

#[cfg(test)]
mod tests {
    use super::super::identity::canonical_email;
    use super::*;

    #[test]
    fn every_alias_and_messy_spelling_canonicalizes_to_the_original() {
        let mut rng = Rng::stream(1, 2, 3);
        let domains = [
            "gmail.com",
            "yandex.ru",
            "ya.ru",
            "mail.ru",
            "icloud.com",
            "outlook.com",
        ];
        for domain in domains {
            for local in ["ivan.ivanov", "petrov87", "a.smith", "olga-k"] {
                let email = Email {
                    local: local.to_string(),
                    domain,
                };
                for _ in 0..50 {
                    let alias = email_alias(&email, &mut rng).expect("domain has aliases");
                    let raw = messy(&alias, &mut rng);
                    assert_eq!(canonical_email(&raw), email.canonical(), "{raw}");
                }
            }
        }
    }

    #[test]
    fn spreadsheet_floats_drop_trailing_zeros() {
        let mut rng = Rng::stream(0, 0, 0);
        let phone = Phone {
            country: Country::Ru,
            nsn: "9161234500".to_string(),
        };
        let float = phone_float(&phone, &mut rng);
        assert!(
            float == "7.91612345E10" || float == "7.91612345E+10",
            "{float}"
        );
    }

    #[test]
    fn dates_and_amounts_use_the_export_formats() {
        assert_eq!(datetime_iso(1_709_649_185), "2024-03-05 14:33:05");
        assert_eq!(date_ru(1_709_649_185), "05.03.2024");
        assert_eq!(datetime_moscow(1_709_649_185), "2024-03-05T17:33:05+03:00");
        assert_eq!(amount_ru(123_450), "1 234,50");
        assert_eq!(amount_ru(99_000), "990,00");
        assert_eq!(amount_ru(150_000_000), "1 500 000,00");
    }
}
