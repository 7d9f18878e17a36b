//! The blocklist of junk identifier values: placeholders and fake values that must never link
//! two people (`n/a`, `test@test.com`, `+79999999999`, card `1111111`).
//!
//! Two checks, both used by [`super::Normalizers::normalize`]:
//!
//! - [`Blocklist::is_placeholder`] on the *raw* trimmed cell, before normalizing: the built-in
//!   tokens (`n/a`, `null`, `-`, `0`, `нет`, `не указан`, ...), any cell without a letter or
//!   digit, and config values that are not an email, phone or card;
//! - [`Blocklist::is_junk`] on the *canonical* value: built-in patterns per kind (placeholder
//!   mailboxes and example domains, phones whose national number is one repeated digit or a
//!   `1234567890` run, cards like `111111` or `123456`) plus the config values
//!   (`[junk] values`) normalized with the same normalizers, so `info@Shop.ru` in the config
//!   also catches `INFO@shop.ru` in the data, and `8 800 555-35-35` catches `+78005553535`.
//!
//! Config values are tried as every kind and kept for each kind where they normalize; ids
//! keep the trimmed value. This list does not find values that are merely frequent (one phone
//! on 500 records): that is a graph-level signal, not a property of the value.

use hashbrown::HashSet;

use super::Kind;
use super::card::CardNormalizer;
use super::email::EmailNormalizer;
use super::phone::PhoneNormalizer;

/// Raw placeholder tokens, lowercase; compared with the trimmed, lowercased cell.
static PLACEHOLDERS: &[&str] = &[
    "n/a",
    "na",
    "n.a.",
    "#n/a",
    "none",
    "null",
    "nil",
    "nan",
    "undefined",
    "unknown",
    "empty",
    "blank",
    "no",
    "not provided",
    "not available",
    "0",
    "00",
    "000",
    "x",
    "xx",
    "xxx",
    "нет",
    "нету",
    "не указан",
    "не указано",
    "не указана",
    "не указаны",
    "неизвестно",
    "отсутствует",
];

/// Domains that only ever appear in fake or shared addresses (`mailinator.com` inboxes are
/// public, so two people can type the same one).
static JUNK_EMAIL_DOMAINS: &[&str] = &[
    "example.com",
    "example.org",
    "example.net",
    "test.com",
    "test.ru",
    "mailinator.com",
];

/// Local parts that mean "no email" on any domain. `test`, `asdf` and `qwerty` are real
/// mailboxes somewhere, but in customer exports they are what cashiers type to get past a
/// required field, and linking on them would merge strangers.
static JUNK_EMAIL_LOCALS: &[&str] = &[
    "noemail",
    "no-email",
    "no_email",
    "nomail",
    "no-mail",
    "no_mail",
    "noreply",
    "no-reply",
    "no_reply",
    "donotreply",
    "do-not-reply",
    "none",
    "null",
    "na",
    "n-a",
    "nil",
    "unknown",
    "empty",
    "нет",
    "test",
    "asdf",
    "qwerty",
];

/// Whole canonical addresses that are junk.
static JUNK_EMAILS: &[&str] = &["email@email.com", "mail@mail.com", "e@mail.ru"];

/// Junk values that never link; built-in list plus config additions.
#[derive(Clone, Debug, Default)]
pub struct Blocklist {
    emails: HashSet<String>,
    phones: HashSet<String>,
    cards: HashSet<String>,
    ids: HashSet<String>,
    /// Config values that are none of the above, lowercase, compared with raw cells.
    raw: HashSet<String>,
    /// Bit `n` set when some value of `raw` is `n` bytes long (`n` <= 64; longer cells are
    /// never placeholders).
    raw_lengths: u128,
}

/// Bit `n` set when some built-in placeholder token is `n` bytes long.
const PLACEHOLDER_LENGTHS: u128 = {
    let mut mask = 0u128;
    let mut i = 0;
    while i < PLACEHOLDERS.len() {
        mask |= length_bit(PLACEHOLDERS[i].len());
        i += 1;
    }
    mask
};

/// The bit of a length in a length mask; none past 64 bytes.
const fn length_bit(len: usize) -> u128 {
    if len <= 64 { 1 << len } else { 0 }
}

impl Blocklist {
    /// Built-in list plus `extra` raw values from config, each normalized with the given
    /// normalizers (phones with the default region) and kept for every kind where it parses.
    pub fn new(
        extra: &[String],
        email: &EmailNormalizer,
        phone: &PhoneNormalizer,
        card: &CardNormalizer,
    ) -> Self {
        let mut list = Blocklist::default();
        for value in extra {
            let value = value.trim();
            if value.is_empty() {
                continue;
            }
            let mut parsed = false;
            if let Ok(canonical) = email.normalize(value) {
                list.emails.insert(canonical);
                parsed = true;
            }
            if let Ok(canonical) = phone.normalize(value, None) {
                list.phones.insert(canonical);
                parsed = true;
            }
            if let Ok(canonical) = card.normalize(value) {
                list.cards.insert(canonical);
                parsed = true;
            }
            list.ids.insert(value.to_owned());
            if !parsed {
                let lower = value.to_lowercase();
                list.raw_lengths |= length_bit(lower.len());
                list.raw.insert(lower);
            }
        }
        list
    }

    /// True if the trimmed raw cell is a placeholder rather than a value of any kind.
    pub fn is_placeholder(&self, trimmed: &str) -> bool {
        if trimmed.is_ascii() {
            // Every identifier cell passes here. For ASCII, `is_alphanumeric` is the ASCII test
            // and lowercasing keeps the length, so only a cell as long as some token can be
            // one; that one is lowercased on the stack instead of allocating.
            if !trimmed.bytes().any(|b| b.is_ascii_alphanumeric()) {
                return true;
            }
            if trimmed.len() > 64 {
                return false;
            }
            if (PLACEHOLDER_LENGTHS | self.raw_lengths) & length_bit(trimmed.len()) == 0 {
                return false;
            }
            let mut buf = [0u8; 64];
            let lower = &mut buf[..trimmed.len()];
            lower.copy_from_slice(trimmed.as_bytes());
            lower.make_ascii_lowercase();
            let lower = std::str::from_utf8(lower).expect("ASCII stays ASCII");
            return PLACEHOLDERS.contains(&lower) || self.raw.contains(lower);
        }
        if !trimmed.chars().any(char::is_alphanumeric) {
            return true;
        }
        if trimmed.len() > 64 {
            return false;
        }
        let lower = trimmed.to_lowercase();
        PLACEHOLDERS.contains(&lower.as_str()) || self.raw.contains(&lower)
    }

    /// True if the canonical value of `kind` is junk.
    pub fn is_junk(&self, kind: Kind, canonical: &str) -> bool {
        match kind {
            Kind::Email => self.emails.contains(canonical) || is_junk_email(canonical),
            Kind::Phone => self.phones.contains(canonical) || is_junk_phone(canonical),
            Kind::Card => self.cards.contains(canonical) || is_junk_card(canonical),
            Kind::Id => self.ids.contains(canonical),
        }
    }
}

fn is_junk_email(address: &str) -> bool {
    let Some((local, domain)) = address.split_once('@') else {
        return false;
    };
    let first_label = domain.split('.').next().unwrap_or(domain);
    JUNK_EMAILS.contains(&address)
        || JUNK_EMAIL_DOMAINS.contains(&domain)
        || JUNK_EMAIL_LOCALS.contains(&local)
        || (local.chars().count() == 1 && first_label.len() == 1)
}

/// A national number of one repeated digit or one run (`1234567890`, `987654321`), for every
/// possible country-code length (1-3 digits), so the check needs no metadata.
fn is_junk_phone(e164: &str) -> bool {
    let digits = e164.strip_prefix('+').unwrap_or(e164).as_bytes();
    (1..=3).any(|cc| {
        let national = digits.get(cc..).unwrap_or_default();
        (national.len() >= 6 && is_repeated(national)) || (national.len() >= 8 && is_run(national))
    })
}

/// One repeated character (`11111111`) or a digit run (`123456`, `9876543210`).
fn is_junk_card(card: &str) -> bool {
    let bytes = card.as_bytes();
    bytes.len() >= 4 && (is_repeated(bytes) || is_run(bytes))
}

fn is_repeated(bytes: &[u8]) -> bool {
    bytes.windows(2).all(|w| w[0] == w[1])
}

/// Consecutive digits going up or down by one, wrapping 9→0 (`1234567890`).
fn is_run(bytes: &[u8]) -> bool {
    if !bytes.iter().all(u8::is_ascii_digit) {
        return false;
    }
    let step = |up: bool| {
        bytes.windows(2).all(|w| {
            let (a, b) = (w[0] - b'0', w[1] - b'0');
            if up {
                b == (a + 1) % 10
            } else {
                a == (b + 1) % 10
            }
        })
    };
    step(true) || step(false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::normalize::card::CardRules;
    use crate::normalize::email::EmailRules;

    fn blocklist(extra: &[&str]) -> Blocklist {
        let extra: Vec<String> = extra.iter().map(|s| s.to_string()).collect();
        let email = EmailNormalizer::new(EmailRules::default());
        let phone = PhoneNormalizer::new(Some("RU")).expect("RU is known");
        let card = CardNormalizer::new(CardRules::default());
        Blocklist::new(&extra, &email, &phone, &card)
    }

    #[test]
    fn placeholder_tokens_are_recognised_in_any_case() {
        let list = blocklist(&[]);
        for raw in [
            "n/a",
            "N/A",
            "NULL",
            "-",
            "--",
            "?",
            "0",
            "Нет",
            "НЕ УКАЗАН",
            "—",
            "...",
        ] {
            assert!(list.is_placeholder(raw), "{raw}");
        }
        for raw in ["ivan@mail.ru", "89161234567", "Nadia", "0012"] {
            assert!(!list.is_placeholder(raw), "{raw}");
        }
    }

    #[test]
    fn placeholder_mailboxes_and_fake_domains_are_junk() {
        let list = blocklist(&[]);
        let junk = [
            "test@test.com",
            "test@example.com",
            "ivan@example.org",
            "noemail@mail.ru",
            "no-reply@shop.ru",
            "none@gmail.com",
            "null@yandex.ru",
            "na@site.ru",
            "email@email.com",
            "a@a.ru",
            "nomail@bk.ru",
            "unknown@shop.ru",
            "qwerty@gmail.com",
        ];
        for address in junk {
            assert!(list.is_junk(Kind::Email, address), "{address}");
        }
        for address in ["ivan@mail.ru", "a@mail.ru", "nadia@na.ru", "ivan@x.com"] {
            assert!(!list.is_junk(Kind::Email, address), "{address}");
        }
    }

    #[test]
    fn repeated_and_sequential_phones_are_junk() {
        let list = blocklist(&[]);
        for e164 in [
            "+70000000000",
            "+79999999999",
            "+71111111111",
            "+71234567890",
            "+79123456789",
            "+10123456789",
            "+441111111111",
        ] {
            assert!(list.is_junk(Kind::Phone, e164), "{e164}");
        }
        for e164 in [
            "+79161234567",
            "+74951234567",
            "+14155550100",
            "+442079460958",
        ] {
            assert!(!list.is_junk(Kind::Phone, e164), "{e164}");
        }
    }

    #[test]
    fn repeated_and_sequential_cards_are_junk() {
        let list = blocklist(&[]);
        for card in [
            "1111",
            "99999999",
            "123456",
            "1234567890",
            "9876543",
            "AAAA",
        ] {
            assert!(list.is_junk(Kind::Card, card), "{card}");
        }
        for card in ["48151623", "1235", "AB12CD"] {
            assert!(!list.is_junk(Kind::Card, card), "{card}");
        }
    }

    #[test]
    fn config_values_are_compared_in_canonical_form() {
        let list = blocklist(&[
            "Info@Shop.ru",
            "8 800 555-35-35",
            "CARD 4815-1623",
            "Без e-mail",
        ]);
        assert!(list.is_junk(Kind::Email, "info@shop.ru"));
        assert!(list.is_junk(Kind::Phone, "+78005553535"));
        assert!(list.is_junk(Kind::Card, "48151623"));
        assert!(list.is_junk(Kind::Id, "CARD 4815-1623"));
        assert!(list.is_placeholder("без E-MAIL"));
        let long = blocklist(&[&"q".repeat(64)]);
        assert!(
            long.is_placeholder(&"Q".repeat(64)),
            "a 64-byte config value"
        );
        assert!(!long.is_placeholder(&"Q".repeat(63)));
        assert!(
            !list.is_placeholder("info@shop.ru"),
            "parsed values are checked by kind"
        );
    }

    proptest::proptest! {
        /// The ASCII path (stack lowercasing) answers as the allocating `to_lowercase` one.
        #[test]
        fn ascii_placeholder_check_agrees_with_lowercasing(
            raw in "(?i)(n/a|na|none|null|not provided|xx|0|tbd|x|q{62,66}|w{63,66}|[a-z0-9@. /#-]{0,70})"
        ) {
            let list = blocklist(&["TBD", "нет данных", &"q".repeat(64), &"w".repeat(65)]);
            let reference = !raw.chars().any(char::is_alphanumeric)
                || (raw.len() <= 64 && {
                    let lower = raw.to_lowercase();
                    PLACEHOLDERS.contains(&lower.as_str()) || list.raw.contains(&lower)
                });
            proptest::prop_assert_eq!(list.is_placeholder(&raw), reference);
        }
    }
}
