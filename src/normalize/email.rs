//! Email canonicalization: one raw cell in, one canonical address (or a reject) out.
//!
//! Steps, in order: trim; unwrap `Name <addr>` and `mailto:`; strip surrounding quotes, angle
//! brackets and trailing dots, commas or semicolons; split at the single `@`; lowercase; NFC for
//! non-ASCII local parts; IDNA (`idna::domain_to_ascii`) only for non-ASCII domains, so
//! `почта.рф` becomes `xn--80a1acny.xn--p1ai`; a syntax check; then, when
//! [`EmailRules::fold_aliases`] is on, provider alias folding from the static [`PROVIDERS`]
//! table (gmail dots and `+tags`, yandex domains, ...). Domain aliases from config
//! (`[email] domain_aliases`) are applied even when folding is off, because someone wrote them
//! down on purpose.
//!
//! The syntax check is deliberately smaller than RFC 5322: no quoted local parts, no comments,
//! no `[ip]` literals, no single-label domains. Those never show up in customer exports except
//! as typos, and accepting them would only let junk link. Whether a mailbox exists is not
//! checked (no DNS, no network). No regex: the whole path is a few byte scans, ~250 ns/address.
//!
//! Invisible format characters (zero-width spaces, bidi controls, the BOM: see
//! [`is_invisible_format`]) are removed first, so they never reach a canonical address.
//!
//! Rejects: [`RejectReason::EmailInvalid`] for a missing or repeated `@` or a bad local part,
//! [`RejectReason::EmailBadDomain`] when the domain fails IDNA or the label rules.

use std::borrow::Cow;

use unicode_normalization::{IsNormalized, UnicodeNormalization, is_nfc_quick};

use crate::reject::RejectReason;

/// Rules for folding provider aliases, built from config.
#[derive(Clone, Debug)]
pub struct EmailRules {
    /// Fold provider aliases at all (gmail dots and `+tags`, yandex domains, ...). Default true.
    pub fold_aliases: bool,
    /// Extra `alias domain -> canonical domain` pairs from config, on top of the built-in table.
    pub extra_domain_aliases: Vec<(String, String)>,
}

impl Default for EmailRules {
    fn default() -> Self {
        EmailRules {
            fold_aliases: true,
            extra_domain_aliases: Vec::new(),
        }
    }
}

/// What a provider does to the local part of its addresses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dots {
    /// Dots are significant (most providers).
    Keep,
    /// Dots are ignored (`i.van@gmail.com` is `ivan@gmail.com`).
    Remove,
    /// Dots and hyphens are the same character (yandex logins): fold `.` to `-`.
    ToHyphen,
}

/// One mail provider: the domains that reach the same mailbox and how its local parts fold.
#[derive(Clone, Copy, Debug)]
pub struct Provider {
    /// Every domain of the provider that shares one login namespace.
    pub domains: &'static [&'static str],
    /// The domain canonical addresses use.
    pub canonical: &'static str,
    /// `user+tag@` delivers to `user@`.
    pub plus_tags: bool,
    /// How dots in the local part fold.
    pub dots: Dots,
}

/// Built-in providers. Only domains that share one login namespace are grouped: `hotmail.com`
/// and `outlook.com` are separate namespaces (`ivan@hotmail.com` and `ivan@outlook.com` can be
/// two people), and so are `mail.ru`, `bk.ru`, `inbox.ru` and `list.ru`. `narod.ru` is left
/// out: only some old yandex accounts own their `narod.ru` twin.
pub static PROVIDERS: &[Provider] = &[
    Provider {
        domains: &["gmail.com", "googlemail.com"],
        canonical: "gmail.com",
        plus_tags: true,
        dots: Dots::Remove,
    },
    Provider {
        domains: &[
            "yandex.ru",
            "ya.ru",
            "yandex.com",
            "yandex.by",
            "yandex.kz",
            "yandex.ua",
        ],
        canonical: "yandex.ru",
        plus_tags: true,
        dots: Dots::ToHyphen,
    },
    Provider {
        domains: &["icloud.com", "me.com", "mac.com"],
        canonical: "icloud.com",
        plus_tags: true,
        dots: Dots::Keep,
    },
    Provider {
        domains: &["proton.me", "protonmail.com", "protonmail.ch", "pm.me"],
        canonical: "proton.me",
        plus_tags: true,
        dots: Dots::Keep,
    },
    Provider {
        domains: &["outlook.com"],
        canonical: "outlook.com",
        plus_tags: true,
        dots: Dots::Keep,
    },
    Provider {
        domains: &["hotmail.com"],
        canonical: "hotmail.com",
        plus_tags: true,
        dots: Dots::Keep,
    },
    Provider {
        domains: &["live.com"],
        canonical: "live.com",
        plus_tags: true,
        dots: Dots::Keep,
    },
    Provider {
        domains: &["mail.ru"],
        canonical: "mail.ru",
        plus_tags: true,
        dots: Dots::Keep,
    },
    Provider {
        domains: &["bk.ru"],
        canonical: "bk.ru",
        plus_tags: true,
        dots: Dots::Keep,
    },
    Provider {
        domains: &["inbox.ru"],
        canonical: "inbox.ru",
        plus_tags: true,
        dots: Dots::Keep,
    },
    Provider {
        domains: &["list.ru"],
        canonical: "list.ru",
        plus_tags: true,
        dots: Dots::Keep,
    },
    Provider {
        domains: &["internet.ru"],
        canonical: "internet.ru",
        plus_tags: true,
        dots: Dots::Keep,
    },
];

/// Canonical email normalizer.
#[derive(Clone, Debug)]
pub struct EmailNormalizer {
    rules: EmailRules,
}

impl EmailNormalizer {
    /// Builds a normalizer from its rules. Alias domains in `rules` are expected lowercase
    /// (config lowercases them); they are compared with the canonical (ASCII) domain.
    pub fn new(rules: EmailRules) -> Self {
        EmailNormalizer { rules }
    }

    /// `raw` is non-empty after trimming. Returns the canonical address or why it was rejected.
    pub fn normalize(&self, raw: &str) -> Result<String, RejectReason> {
        let mut out = String::new();
        self.normalize_into(raw, &mut out)?;
        Ok(out)
    }

    /// [`EmailNormalizer::normalize`] appending the canonical address to `out` (what `extract`
    /// uses: an address already lowercase costs no allocation). On a reject `out` is unchanged.
    pub fn normalize_into(&self, raw: &str, out: &mut String) -> Result<(), RejectReason> {
        let visible;
        let raw = if !raw.is_ascii() && raw.chars().any(is_invisible_format) {
            visible = raw
                .chars()
                .filter(|&c| !is_invisible_format(c))
                .collect::<String>();
            visible.as_str()
        } else {
            raw
        };
        let address = unwrap_address(raw);
        let (local, domain) = split_address(address)?;
        let domain = canonical_domain(domain)?;
        let local = canonical_local(local)?;
        self.fold(&local, &domain, out);
        Ok(())
    }

    /// Applies config domain aliases, then the provider table, and appends the joined address
    /// to `out`.
    fn fold(&self, local: &str, domain: &str, out: &mut String) {
        let domain = self
            .rules
            .extra_domain_aliases
            .iter()
            .find(|(alias, _)| alias == domain)
            .map_or(domain, |(_, canonical)| canonical.as_str());
        let provider = if self.rules.fold_aliases {
            PROVIDERS.iter().find(|p| p.domains.contains(&domain))
        } else {
            None
        };
        let Some(provider) = provider else {
            return join(local, domain, out);
        };
        let mut local = local;
        if provider.plus_tags {
            // `+tag@gmail.com` has no user part; keep it whole rather than produce `@gmail.com`.
            // `a.+tag` becomes `a`, not `a.`, which the syntax check would refuse next time.
            if let Some(plus) = local.find('+') {
                let user = local[..plus].trim_end_matches('.');
                if !user.is_empty() {
                    local = user;
                }
            }
        }
        match provider.dots {
            Dots::Keep => out.push_str(local),
            Dots::Remove => out.extend(local.split('.')),
            Dots::ToHyphen => {
                for (i, part) in local.split('.').enumerate() {
                    if i > 0 {
                        out.push('-');
                    }
                    out.push_str(part);
                }
            }
        }
        out.push('@');
        out.push_str(provider.canonical);
    }
}

/// Invisible format characters (Unicode category Cf, as they occur in text): zero-width spaces
/// and joiners, bidi embeddings, overrides and isolates, the word joiner, the BOM, the soft
/// hyphen, interlinear annotation marks and tag characters. Pasted from web forms and messengers
/// they hide inside addresses (`ann\u{200B}a@mail.ru` would not link with `anna@mail.ru`), and
/// `U+202E` can make an address display as another (issue 16): they are removed before parsing.
pub fn is_invisible_format(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{061C}'
            | '\u{180E}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{206F}'
            | '\u{FEFF}'
            | '\u{FFF9}'..='\u{FFFB}'
            | '\u{E0001}'
            | '\u{E0020}'..='\u{E007F}'
    )
}

fn join(local: &str, domain: &str, out: &mut String) {
    out.reserve(local.len() + 1 + domain.len());
    out.push_str(local);
    out.push('@');
    out.push_str(domain);
}

/// Peels `Name <addr>`, `mailto:`, surrounding quotes/brackets and trailing punctuation.
fn unwrap_address(raw: &str) -> &str {
    let mut s = raw.trim();
    if s.ends_with('>')
        && let Some(open) = s.rfind('<')
    {
        s = &s[open + 1..s.len() - 1];
    }
    s = s.trim();
    if s.len() >= 7 && s.as_bytes()[..7].eq_ignore_ascii_case(b"mailto:") {
        s = &s[7..];
        if let Some(query) = s.find('?') {
            s = &s[..query];
        }
    }
    let wrapper = |c: char| {
        matches!(c, '"' | '\'' | '<' | '>' | '`' | '«' | '»' | '(' | ')') || c.is_whitespace()
    };
    s.trim_matches(wrapper).trim_end_matches(['.', ',', ';'])
}

/// Splits at the one `@`; anything else is [`RejectReason::EmailInvalid`].
fn split_address(address: &str) -> Result<(&str, &str), RejectReason> {
    let at = address.find('@').ok_or(RejectReason::EmailInvalid)?;
    let (local, domain) = (&address[..at], &address[at + 1..]);
    if local.is_empty() || domain.is_empty() || domain.contains('@') {
        return Err(RejectReason::EmailInvalid);
    }
    Ok((local, domain))
}

/// Lowercase, NFC local part with no spaces, specials, or misplaced dots.
fn canonical_local(local: &str) -> Result<Cow<'_, str>, RejectReason> {
    let local = if local.is_ascii() {
        if local.bytes().any(|b| b.is_ascii_uppercase()) {
            Cow::Owned(local.to_ascii_lowercase())
        } else {
            Cow::Borrowed(local)
        }
    } else {
        let lower = local.to_lowercase();
        match is_nfc_quick(lower.chars()) {
            IsNormalized::Yes => Cow::Owned(lower),
            _ => Cow::Owned(lower.nfc().collect()),
        }
    };
    let forbidden = |c: char| {
        c.is_whitespace()
            || c.is_control()
            || matches!(
                c,
                '<' | '>' | '(' | ')' | '[' | ']' | '\\' | ',' | ';' | ':' | '"' | '@'
            )
    };
    let bad = local.len() > 64
        || local.starts_with('.')
        || local.ends_with('.')
        || local.contains("..")
        || local.chars().any(forbidden);
    if bad {
        Err(RejectReason::EmailInvalid)
    } else {
        Ok(local)
    }
}

/// Lowercase ASCII domain (IDNA for non-ASCII) that passes the label rules.
fn canonical_domain(domain: &str) -> Result<Cow<'_, str>, RejectReason> {
    let domain = if domain.is_ascii() {
        if domain.bytes().any(|b| b.is_ascii_uppercase()) {
            Cow::Owned(domain.to_ascii_lowercase())
        } else {
            Cow::Borrowed(domain)
        }
    } else {
        Cow::Owned(idna::domain_to_ascii(domain).map_err(|_| RejectReason::EmailBadDomain)?)
    };
    if is_valid_domain(&domain) {
        Ok(domain)
    } else {
        Err(RejectReason::EmailBadDomain)
    }
}

/// At least two labels of `[a-z0-9-]`, 1-63 bytes, no leading or trailing `-`, and a TLD of at
/// least two characters that is not all digits (so `1.2.3.4` is not a domain).
fn is_valid_domain(domain: &str) -> bool {
    if domain.len() > 253 || !domain.contains('.') {
        return false;
    }
    let label_ok = |label: &str| {
        let b = label.as_bytes();
        !b.is_empty()
            && b.len() <= 63
            && b[0] != b'-'
            && b[b.len() - 1] != b'-'
            && b.iter()
                .all(|&c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-')
    };
    let tld = domain
        .rsplit('.')
        .next()
        .expect("rsplit yields at least one item");
    domain.split('.').all(label_ok) && tld.len() >= 2 && !tld.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn norm(raw: &str) -> Result<String, RejectReason> {
        EmailNormalizer::new(EmailRules::default()).normalize(raw)
    }

    fn ok(raw: &str) -> String {
        norm(raw).unwrap_or_else(|e| panic!("{raw}: {e}"))
    }

    #[test]
    fn case_spaces_and_wrappers_are_removed() {
        let cases = [
            ("  Ivan.Petrov@Mail.RU ", "ivan.petrov@mail.ru"),
            ("Ivan Petrov <Ivan@Example.org>", "ivan@example.org"),
            ("\"Иван\" <ivan@site.ru>", "ivan@site.ru"),
            ("mailto:ivan@site.ru", "ivan@site.ru"),
            ("MAILTO:ivan@site.ru?subject=hi", "ivan@site.ru"),
            ("<ivan@site.ru>", "ivan@site.ru"),
            ("'ivan@site.ru'", "ivan@site.ru"),
            ("ivan@site.ru.", "ivan@site.ru"),
            ("ivan@site.ru;", "ivan@site.ru"),
            ("o'brien@site.co.uk", "o'brien@site.co.uk"),
        ];
        for (raw, want) in cases {
            assert_eq!(ok(raw), want, "{raw}");
        }
    }

    #[test]
    fn cyrillic_domains_become_punycode() {
        assert_eq!(ok("Иван@почта.рф"), "иван@xn--80a1acny.xn--p1ai");
        assert_eq!(ok("user@München.de"), "user@xn--mnchen-3ya.de");
        assert_eq!(ok("ivan@ПРИМЕР.РФ"), ok("ivan@пример.рф"));
    }

    #[test]
    fn non_ascii_local_parts_are_nfc() {
        // "é" as e + combining acute, and as one code point.
        assert_eq!(ok("caf\u{65}\u{301}@site.fr"), "caf\u{e9}@site.fr");
    }

    #[test]
    fn gmail_dots_and_plus_tags_are_removed() {
        assert_eq!(ok("John.Smith+promo@Gmail.com"), "johnsmith@gmail.com");
        assert_eq!(ok("j.o.h.n.smith@gmail.com"), "johnsmith@gmail.com");
        assert_eq!(ok("+promo@gmail.com"), "+promo@gmail.com");
    }

    #[test]
    fn googlemail_is_gmail() {
        assert_eq!(ok("john.smith+x@googlemail.com"), "johnsmith@gmail.com");
    }

    #[test]
    fn yandex_domains_fold_and_dots_equal_hyphens() {
        for raw in [
            "ivan.petrov@ya.ru",
            "Ivan-Petrov@yandex.com",
            "ivan.petrov+shop@yandex.kz",
        ] {
            assert_eq!(ok(raw), "ivan-petrov@yandex.ru", "{raw}");
        }
    }

    #[test]
    fn plus_tags_are_removed_for_providers_that_support_them() {
        assert_eq!(ok("user+tag@outlook.com"), "user@outlook.com");
        assert_eq!(ok("user+tag@hotmail.com"), "user@hotmail.com");
        assert_eq!(ok("user+tag@mail.ru"), "user@mail.ru");
        assert_eq!(ok("user+tag@me.com"), "user@icloud.com");
        assert_eq!(ok("user+tag@pm.me"), "user@proton.me");
        assert_eq!(ok("first.last+tag@bk.ru"), "first.last@bk.ru");
        assert_eq!(ok("first.+tag@outlook.com"), "first@outlook.com");
    }

    #[test]
    fn other_domains_keep_dots_and_plus_tags() {
        assert_eq!(ok("first.last+tag@company.ru"), "first.last+tag@company.ru");
        assert_eq!(ok("user@hotmail.com"), "user@hotmail.com");
        assert_ne!(ok("user@hotmail.com"), ok("user@outlook.com"));
    }

    #[test]
    fn folding_can_be_turned_off_but_config_aliases_still_apply() {
        let rules = EmailRules {
            fold_aliases: false,
            extra_domain_aliases: vec![("shop-old.ru".to_owned(), "shop.ru".to_owned())],
        };
        let n = EmailNormalizer::new(rules);
        assert_eq!(
            n.normalize("a.b+c@gmail.com"),
            Ok("a.b+c@gmail.com".to_owned())
        );
        assert_eq!(n.normalize("a@Shop-Old.ru"), Ok("a@shop.ru".to_owned()));
    }

    #[test]
    fn config_alias_to_a_provider_gets_its_rules() {
        let rules = EmailRules {
            fold_aliases: true,
            extra_domain_aliases: vec![("corp-gmail.com".to_owned(), "gmail.com".to_owned())],
        };
        let n = EmailNormalizer::new(rules);
        assert_eq!(
            n.normalize("a.b+c@corp-gmail.com"),
            Ok("ab@gmail.com".to_owned())
        );
    }

    #[test]
    fn malformed_addresses_are_rejected_with_a_reason() {
        use RejectReason::{EmailBadDomain as Domain, EmailInvalid as Invalid};
        let cases = [
            ("ivan", Invalid),
            ("ivan@", Invalid),
            ("@site.ru", Invalid),
            ("a@b@site.ru", Invalid),
            ("iv an@site.ru", Invalid),
            (".ivan@site.ru", Invalid),
            ("ivan.@site.ru", Invalid),
            ("iv..an@site.ru", Invalid),
            ("ivan@localhost", Domain),
            ("ivan@site.r", Domain),
            ("ivan@-site.ru", Domain),
            ("ivan@site-.ru", Domain),
            ("ivan@exa_mple.com", Domain),
            ("ivan@site..ru", Domain),
            ("ivan@1.2.3.4", Domain),
            ("ivan@[1.2.3.4]", Domain),
        ];
        for (raw, want) in cases {
            assert_eq!(norm(raw), Err(want), "{raw}");
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn never_panics(raw in any::<String>()) {
            let _ = norm(&raw);
        }

        #[test]
        fn is_idempotent(raw in "[ <\"]{0,2}[A-Za-zА-я0-9._+'-]{1,12}@[A-Za-zА-я0-9.-]{1,12}\\.[a-zA-Zрф]{2,4}[ >.]{0,2}") {
            if let Ok(once) = norm(&raw) {
                prop_assert_eq!(norm(&once), Ok(once.clone()));
            }
        }

        #[test]
        fn any_string_is_idempotent(raw in any::<String>()) {
            if let Ok(once) = norm(&raw) {
                prop_assert_eq!(norm(&once), Ok(once.clone()));
            }
        }

        #[test]
        fn case_and_surrounding_spaces_do_not_matter(
            local in "[a-z0-9][a-z0-9._+-]{0,10}[a-z0-9]",
            domain in "(gmail\\.com|yandex\\.ru|mail\\.ru|shop\\.ru|почта\\.рф)",
            pad in "[ \t]{0,3}",
        ) {
            let plain = format!("{local}@{domain}");
            let shouty = format!("{pad}{}{pad}", plain.to_uppercase());
            prop_assert_eq!(norm(&plain), norm(&shouty));
        }

        #[test]
        fn output_is_canonical(raw in any::<String>()) {
            if let Ok(address) = norm(&raw) {
                let (local, domain) = address.split_once('@').expect("one @");
                prop_assert!(domain.is_ascii());
                prop_assert_eq!(domain.to_ascii_lowercase(), domain);
                prop_assert_eq!(local.to_lowercase(), local);
            }
        }

        // See: #16 (zero-width and bidi characters stayed inside canonical emails).
        #[test]
        fn issue_16_no_invisible_format_character_in_any_canonical_email(
            parts in proptest::collection::vec(
                (
                    "[a-zA-Z0-9.@<> ]{0,6}",
                    proptest::sample::select(vec![
                        '\u{200B}', '\u{200C}', '\u{200D}', '\u{200E}', '\u{202E}', '\u{2066}',
                        '\u{2069}', '\u{FEFF}', '\u{00AD}', '\u{2060}', '\u{E0041}', 'a',
                    ]),
                ),
                0..6,
            ),
            tail in "[a-z]{1,5}@[a-z]{1,5}\\.(ru|com)",
        ) {
            let mut raw: String = parts.iter().map(|(text, c)| format!("{text}{c}")).collect();
            raw.push_str(&tail);
            if let Ok(address) = norm(&raw) {
                prop_assert!(!address.chars().any(is_invisible_format), "{:?}", address);
                prop_assert_eq!(norm(&address), Ok(address.clone()));
            }
            let visible: String = raw.chars().filter(|&c| !is_invisible_format(c)).collect();
            prop_assert_eq!(norm(&raw), norm(&visible));
        }
    }

    // See: #16.
    #[test]
    fn issue_16_zero_width_and_bidi_characters_are_removed() {
        for raw in [
            "ann\u{200B}a@mail.ru",
            "\u{202E}anna@mail.ru",
            "anna@ma\u{200D}il.ru",
            "\u{FEFF}anna@mail.ru\u{2069}",
        ] {
            assert_eq!(ok(raw), "anna@mail.ru", "{raw:?}");
        }
    }
}
