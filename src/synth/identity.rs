//! The identifiers a synthetic person owns, in canonical form, and the canonicalizer for the
//! emails this generator writes.
//!
//! Phones are built from number ranges that libphonenumber accepts as valid (checked by a test,
//! not at run time, so that output never depends on a metadata version). [`canonical_email`]
//! implements the alias rules that omni's email normalizer follows (DESIGN.md §3) for the plain
//! ASCII addresses generated here; it is the source of the `identifiers` column of the truth
//! file. It deliberately knows nothing about IDN or exotic syntax: this generator writes neither.

use super::rng::Rng;

/// A person's home country; it picks names, phone formats and email domains.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Country {
    /// Russia: most customers.
    Ru,
    /// United States.
    Us,
    /// United Kingdom.
    Gb,
    /// Germany.
    De,
    /// France (only in the international preset: its default weight is 0).
    Fr,
}

impl Country {
    /// All countries in the order of `SynthConfig::country_mix`.
    pub const ALL: [Country; 5] = [
        Country::Ru,
        Country::Us,
        Country::Gb,
        Country::De,
        Country::Fr,
    ];

    /// ISO 3166 code, as in the summary.
    pub fn code(self) -> &'static str {
        match self {
            Country::Ru => "RU",
            Country::Us => "US",
            Country::Gb => "GB",
            Country::De => "DE",
            Country::Fr => "FR",
        }
    }

    /// The international calling code.
    pub fn calling_code(self) -> &'static str {
        match self {
            Country::Ru => "7",
            Country::Us => "1",
            Country::Gb => "44",
            Country::De => "49",
            Country::Fr => "33",
        }
    }
}

/// A phone number: the country and the national significant number (digits, no trunk prefix).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Phone {
    /// Country of the number.
    pub country: Country,
    /// National significant number: `9161234567` for `+7 916 123-45-67`.
    pub nsn: String,
}

impl Phone {
    /// The canonical E.164 form, `+79161234567`.
    pub fn e164(&self) -> String {
        format!("+{}{}", self.country.calling_code(), self.nsn)
    }

    /// A mobile number of `country` (RU 9xx, US geographic, GB 07[4-9], DE 015x/016x/017x,
    /// FR 06).
    pub fn mobile(country: Country, rng: &mut Rng) -> Phone {
        loop {
            let nsn = match country {
                Country::Ru => format!("9{}", rng.digits(9)),
                Country::Us => us_number(rng),
                Country::Gb => {
                    let second = *rng.pick(&['4', '5', '7', '8', '9']);
                    format!("7{second}{}", rng.digits(8))
                }
                Country::De => match rng.below(3) {
                    0 => format!("15{}{}", rng.pick(&["1", "2", "7"]), rng.digits(8)),
                    1 => format!("1{}{}", rng.pick(&["60", "62", "63"]), rng.digits(7)),
                    _ => format!("17{}{}", rng.below(10), rng.digits(7)),
                },
                // 06 30-89: 069x and 063x are only partly assigned in the metadata.
                Country::Fr => format!("6{}{}", rng.range(4, 8), rng.digits(7)),
            };
            if !PARTLY_INVALID
                .iter()
                .any(|(c, prefix)| *c == country && nsn.starts_with(prefix))
            {
                return Phone { country, nsn };
            }
        }
    }

    /// A landline of `country` (Moscow 495/499, US geographic, London 020 7/8, Berlin 030,
    /// Paris 01), the kind a household shares.
    pub fn landline(country: Country, rng: &mut Rng) -> Phone {
        let nsn = match country {
            Country::Ru => format!(
                "{}{}{}",
                rng.pick(&["495", "499"]),
                rng.range(2, 9),
                rng.digits(6)
            ),
            Country::Us => us_number(rng),
            Country::Gb => format!("20{}{}", rng.pick(&["7", "8"]), rng.digits(7)),
            Country::De => format!("30{}{}", rng.range(2, 9), rng.digits(7)),
            Country::Fr => format!("1{}{}", rng.range(4, 8), rng.digits(7)),
        };
        Phone { country, nsn }
    }
}

/// Mobile prefixes where libphonenumber rejects some numbers (found by scanning the metadata
/// with `generated_phone_ranges_are_valid_numbers`); skipped whole, so no number is invalid.
const PARTLY_INVALID: &[(Country, &str)] = &[
    (Country::Ru, "9300"),
    (Country::Gb, "7700"),
    (Country::Gb, "7911"),
];

/// A US number in a real area code with a valid exchange (`[2-9]XX`, not `N11` and not 555).
fn us_number(rng: &mut Rng) -> String {
    let area = rng.pick(&[
        "212", "646", "415", "310", "312", "617", "202", "305", "404", "206", "713", "512",
    ]);
    let exchange = loop {
        let x = rng.range(200, 999);
        if x % 100 != 11 && x != 555 {
            break x;
        }
    };
    format!("{area}{exchange}{}", rng.digits(4))
}

/// An email as the person types it: local part with their own dots (`ivan.ivanov`) and domain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Email {
    /// Local part as the person writes it, lowercase ASCII.
    pub local: String,
    /// Domain as the person writes it.
    pub domain: &'static str,
}

impl Email {
    /// `local@domain` as typed.
    pub fn address(&self) -> String {
        format!("{}@{}", self.local, self.domain)
    }

    /// The canonical form (see [`canonical_email`]).
    pub fn canonical(&self) -> String {
        canonical_email(&self.address())
    }
}

/// Gmail and its alias domain.
pub const GMAIL_DOMAINS: &[&str] = &["gmail.com", "googlemail.com"];
/// Yandex and its alias domains, canonical first.
pub const YANDEX_DOMAINS: &[&str] = &[
    "yandex.ru",
    "ya.ru",
    "yandex.com",
    "yandex.by",
    "yandex.kz",
    "yandex.ua",
];
/// Providers where `+tag` in the local part is an alias of the bare address.
pub const PLUS_TAG_DOMAINS: &[&str] = &[
    "outlook.com",
    "hotmail.com",
    "live.com",
    "icloud.com",
    "mail.ru",
    "bk.ru",
    "list.ru",
    "inbox.ru",
];

/// The canonical form of an address written by this generator: trimmed, lowercased; gmail and
/// googlemail → `gmail.com` without dots and `+tag`; yandex aliases → `yandex.ru` without `+tag`
/// and with `.` in the local part as `-`; `+tag` removed for the outlook/hotmail/live/icloud and
/// mail.ru families. Other domains keep their local part. Input without `@` is returned trimmed
/// and lowercased (it is junk and never reaches the truth file).
pub fn canonical_email(raw: &str) -> String {
    let lower = raw.trim().to_lowercase();
    let Some((local, domain)) = lower.rsplit_once('@') else {
        return lower;
    };
    let untagged = local.split('+').next().unwrap_or(local);
    if GMAIL_DOMAINS.contains(&domain) {
        format!("{}@gmail.com", untagged.replace('.', ""))
    } else if YANDEX_DOMAINS.contains(&domain) {
        format!("{}@yandex.ru", untagged.replace('.', "-"))
    } else if PLUS_TAG_DOMAINS.contains(&domain) {
        format!("{untagged}@{domain}")
    } else {
        format!("{local}@{domain}")
    }
}

/// Junk values that real exports carry in contact columns. They are never identifiers: the
/// truth file leaves them out, and omni's blocklist must know all of them.
pub const JUNK_EMAILS: &[&str] = &["test@test.com", "noemail@mail.ru", "n/a", "-"];
/// Junk values in phone columns (see [`JUNK_EMAILS`]).
pub const JUNK_PHONES: &[&str] = &["0000000000", "n/a", "-"];

/// The canonical form of an all-digit loyalty card: no leading zeros.
pub fn canonical_card(number: u32) -> String {
    number.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gmail_dots_plus_tags_and_googlemail_fold_to_one_address() {
        for raw in [
            "Ivan.Ivanov@gmail.com",
            " ivanivanov+shop@googlemail.com",
            "i.v.a.n.ivanov@GMAIL.COM",
        ] {
            assert_eq!(canonical_email(raw), "ivanivanov@gmail.com", "{raw}");
        }
    }

    #[test]
    fn yandex_aliases_fold_to_yandex_ru_with_hyphens() {
        for raw in [
            "ivan.ivanov@ya.ru",
            "Ivan-Ivanov@yandex.com",
            "ivan.ivanov+promo@yandex.ru",
        ] {
            assert_eq!(canonical_email(raw), "ivan-ivanov@yandex.ru", "{raw}");
        }
    }

    #[test]
    fn plus_tags_are_removed_only_where_the_provider_supports_them() {
        assert_eq!(canonical_email("petrov+news@mail.ru"), "petrov@mail.ru");
        assert_eq!(canonical_email("a.b+x@icloud.com"), "a.b@icloud.com");
        assert_eq!(canonical_email("a.b+x@rambler.ru"), "a.b+x@rambler.ru");
    }
}
