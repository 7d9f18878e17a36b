//! The four platforms' upload formats as data: one [`Audience`] per file, with the header
//! names, the identifiers, the normalization and the hash each platform documents. Adding a
//! platform is one entry here (and its test vectors below).
//!
//! - **Google Ads Customer Match** (<https://support.google.com/google-ads/answer/7659867>,
//!   field guidelines <https://support.google.com/google-ads/answer/7475964>): a CSV with the
//!   English headers `Email`, `Phone`, `First Name`, `Last Name`, `Country`, `Zip`; several
//!   `Email` and `Phone` columns are allowed for one customer. Before SHA-256: emails trimmed and
//!   lowercased, with the dots before `@` removed for `gmail.com` and `googlemail.com`; phones
//!   in E.164 with the `+` and country code. omni writes `Email` and `Phone` only: Google
//!   matches names only together with `Country` and `Zip`, and profiles carry no postal address.
//! - **Meta custom audiences** from a customer list
//!   (<https://developers.facebook.com/docs/marketing-api/audiences/guides/custom-audiences>):
//!   identifier columns `email`, `phone`, `fn`, `ln` (among others), up to three columns of an
//!   identifier. Before SHA-256: emails trimmed and lowercased (dots kept); phones as digits with
//!   the country code, without `+` or leading zeros; first and last names lowercase letters only
//!   (no punctuation or spaces, UTF-8).
//! - **Yandex Audiences**, a segment from CRM data (<https://yandex.ru/support/audience/en/file>):
//!   a CSV whose first line lists the fields (`phone`, `email`), one customer per line. Phones
//!   are digits with the country code and nothing else (`79995551111`), emails lowercase. Since
//!   January 2025 new MD5 uploads are refused, so omni writes SHA-256 (choose "Hashed data",
//!   SHA-256, when creating the segment); one field of each kind, so the best of each.
//! - **VK Ads**, an audience from a file of contacts (<https://vk.ru/faq12114>): one kind of
//!   identifier per file, one value per line, no header. Phones are digits with the country
//!   code (`79161234567`), emails lowercase; omni writes MD5 hashes, each value once.
//!
//! Hashes are lowercase hex of the UTF-8 bytes of the normalized value.

use super::{Audience, Field, Hash, Layout, MAX_PER_KIND, digits, plain_email};

/// Every audience file, in the order they are written and summarized.
pub const AUDIENCES: [Audience; 5] = [
    Audience {
        platform: "Google Ads Customer Match",
        file: "google_ads.csv",
        layout: Layout::Rows {
            columns: &[(Field::Email, "Email"), (Field::Phone, "Phone")],
            most: MAX_PER_KIND,
        },
        hash: Hash::Sha256,
        email: google_email,
        phone: e164,
        name: letters_only,
    },
    Audience {
        platform: "Meta custom audiences",
        file: "meta.csv",
        layout: Layout::Rows {
            columns: &[
                (Field::Email, "email"),
                (Field::Phone, "phone"),
                (Field::FirstName, "fn"),
                (Field::LastName, "ln"),
            ],
            most: MAX_PER_KIND,
        },
        hash: Hash::Sha256,
        email: plain_email,
        phone: digits,
        name: letters_only,
    },
    Audience {
        platform: "Yandex Audiences",
        file: "yandex_audiences.csv",
        layout: Layout::Rows {
            columns: &[(Field::Phone, "phone"), (Field::Email, "email")],
            most: 1,
        },
        hash: Hash::Sha256,
        email: plain_email,
        phone: digits,
        name: letters_only,
    },
    Audience {
        platform: "VK Ads",
        file: "vk_ads_emails.txt",
        layout: Layout::Lines(Field::Email),
        hash: Hash::Md5,
        email: plain_email,
        phone: digits,
        name: letters_only,
    },
    Audience {
        platform: "VK Ads",
        file: "vk_ads_phones.txt",
        layout: Layout::Lines(Field::Phone),
        hash: Hash::Md5,
        email: plain_email,
        phone: digits,
        name: letters_only,
    },
];

/// Google's email normalization: [`plain_email`], and no dots before `@` on Gmail.
pub fn google_email(email: &str) -> String {
    let email = plain_email(email);
    match email.split_once('@') {
        Some((local, domain @ ("gmail.com" | "googlemail.com"))) => {
            format!("{}@{domain}", local.replace('.', ""))
        }
        _ => email,
    }
}

/// E.164 with the `+`, as profiles hold it.
pub fn e164(phone: &str) -> String {
    phone.to_owned()
}

/// Meta's name normalization: lowercase letters only.
pub fn letters_only(name: &str) -> String {
    name.chars()
        .filter(|c| c.is_alphabetic())
        .flat_map(char::to_lowercase)
        .collect()
}

#[cfg(test)]
mod tests {
    //! Test vectors: each platform's documented example values, normalized by its rule and
    //! hashed with coreutils' `sha256sum` / `md5sum` (`printf '%s' VALUE | sha256sum`).

    use super::*;
    use crate::export::outdir::{Evidence, ExportProfile};
    use crate::export::suppress::Suppression;

    fn audience(file: &str) -> &'static Audience {
        AUDIENCES.iter().find(|a| a.file == file).unwrap()
    }

    fn written(file: &str, profiles: &[&ExportProfile]) -> String {
        let mut out = Vec::new();
        let none = Suppression::default();
        audience(file)
            .write(&mut out, profiles, &Evidence::new(), &none)
            .unwrap();
        String::from_utf8(out).unwrap()
    }

    fn person(name: &str, emails: &[&str], phones: &[&str]) -> ExportProfile {
        ExportProfile {
            name: name.into(),
            emails: emails.iter().map(|s| s.to_string()).collect(),
            phones: phones.iter().map(|s| s.to_string()).collect(),
            ..ExportProfile::default()
        }
    }

    const SHA_TEST_EXAMPLE: &str =
        "973dfe463ec85785f5f95af5ba3906eedb2d931c24e69824a89ea65dba4e813b";
    /// `+79161234567` (Google's E.164 with `+`).
    const SHA_PLUS_7916: &str = "c795313d1a25fea4e552388ce7fb6102f550187a1132baa53b9872e5236dd8c6";
    /// `79161234567` (Meta's and Yandex's digits).
    const SHA_DIGITS_7916: &str =
        "1210f4f193f6032e91cd7117a785a1be09550d79076c4717cdae4c0c45691a30";

    /// Google's page shows Gmail addresses losing their dots; phones keep the `+`.
    #[test]
    fn google_drops_gmail_dots_and_keeps_the_plus() {
        assert_eq!(
            google_email(" Ivan.Petrov@GMail.com"),
            "ivanpetrov@gmail.com"
        );
        assert_eq!(google_email("ivan.petrov@mail.ru"), "ivan.petrov@mail.ru");
        // `printf '%s' yourname@gmail.com | sha256sum`
        let gmail = person("", &["your.name@gmail.com"], &[]);
        assert_eq!(
            written("google_ads.csv", &[&gmail]),
            "Email,Phone\n\
             6e4cfe4dbd8e147de72924bb1603b36430c7145f7f5e86ae8001a1b9a5985973,\n"
        );
        let p = person("", &["test@example.com"], &["+79161234567"]);
        assert_eq!(
            written("google_ads.csv", &[&p]),
            format!("Email,Phone\n{SHA_TEST_EXAMPLE},{SHA_PLUS_7916}\n")
        );
    }

    /// Meta's examples: `+44 844 412 4653` is `448444124653`; `your.name@gmail.com` keeps its
    /// dot; `Émilie` is `émilie`; names lose punctuation.
    #[test]
    fn meta_phones_lose_the_plus_and_names_keep_letters_only() {
        assert_eq!(letters_only("Ivan,"), "ivan");
        assert_eq!(letters_only("Анна-Мария"), "аннамария");
        assert_eq!(letters_only("Émilie"), "émilie");
        let p = person("Ivan Petrov", &["test@example.com"], &["+79161234567"]);
        assert_eq!(
            written("meta.csv", &[&p]),
            format!(
                "email,phone,fn,ln\n{SHA_TEST_EXAMPLE},{SHA_DIGITS_7916},\
                 cd0b9452fc376fc4c35a60087b366f70d883fc901524daf1f122fbd319384f6a,\
                 cf13fe2cff28343e661d1ada6a36a7bc04a734ffa5647c8ea767c632032e930a\n"
            )
        );
        // `printf '%s' VALUE | sha256sum` of `your.name@gmail.com`, `448444124653`, `émilie`
        // and `dupont`.
        let uk = person(
            "Émilie Dupont",
            &["your.name@gmail.com"],
            &["+448444124653"],
        );
        assert_eq!(
            written("meta.csv", &[&uk]),
            "email,phone,fn,ln\n\
             1c26f08bba2c87e8db547da81c7071924be289ebcf3e56709343ba86cc7c24f8,\
             dc008fda46e2e64002cf2f82a4906236282d431c4f75e5b60bfe79fc48546383,\
             2863487194ad92314c0d76b8e4fe04d127789e79c94081329c682b7beea2bf6c,\
             b043864b7ffb308f63b438a86e60c6d231aae29e020be80c944801e065229e15\n"
        );
        // A one-word name has no last name: both name cells stay empty.
        let one = person("Olga", &["test@example.com"], &[]);
        assert_eq!(
            written("meta.csv", &[&one]),
            format!("email,phone,fn,ln\n{SHA_TEST_EXAMPLE},,,\n")
        );
    }

    /// Yandex's example phone `79995551111`; one phone and one email a line, phone first.
    #[test]
    fn yandex_writes_the_best_phone_and_email_in_digits_and_lowercase() {
        let p = person(
            "",
            &["test@example.com", "z@example.com"],
            &["+79995551111"],
        );
        // `printf '%s' 79995551111 | sha256sum`
        assert_eq!(
            written("yandex_audiences.csv", &[&p]),
            format!(
                "phone,email\n\
                 22846ab8f79870871eb44f653419a4a5069301827d8ae75b6c2a88e4989a364e,\
                 {SHA_TEST_EXAMPLE}\n"
            )
        );
        let q = person("", &[], &["+79161234567"]);
        assert_eq!(
            written("yandex_audiences.csv", &[&q]),
            format!("phone,email\n{SHA_DIGITS_7916},\n")
        );
    }

    /// VK: MD5 of the digits and of the lowercase email, one per line, a value shared by two
    /// profiles listed once.
    #[test]
    fn vk_lists_one_md5_per_line_and_kind() {
        let p = person("", &["test@example.com"], &["+79161234567"]);
        assert_eq!(
            written("vk_ads_emails.txt", &[&p, &p]),
            "55502f40dc8b7c769880b10874abc9d0\n"
        );
        assert_eq!(
            written("vk_ads_phones.txt", &[&p, &p]),
            "b7345b4e50394f906438e994e8eb15f8\n"
        );
    }
}
