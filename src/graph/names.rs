//! Comparing person names across channels and alphabets, for the over-merge guards.
//!
//! A name is folded to lowercase Latin tokens: Cyrillic is transliterated (a simple, consistent
//! table close to what Russian apps use: `Татьяна` → `tatyana`), punctuation splits tokens, and
//! token order is ignored, so `Иванов Иван Петрович`, `IVAN IVANOV` and `Ivanov, Ivan` compare
//! equal. Two names *agree* when every token of the shorter one has a similar token (Jaro-Winkler,
//! `strsim`) in the longer one: a first name alone agrees with the full name it belongs to, and
//! `Ivan Ivanof` agrees with `Ivan Ivanov`, but `Иван Петров` and `Мария Петрова` (a household)
//! disagree. Names never link records; they only let the guards refuse links.

/// Transliterated endings of Russian patronymics.
const PATRONYMIC_ENDINGS: [&str; 6] = ["ovich", "evich", "ovna", "evna", "ichna", "ich"];

/// A folded name: its tokens, sorted.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FoldedName(Vec<String>);

impl FoldedName {
    /// Folds a display name; `None` when nothing letter-like is left.
    pub fn new(name: &str) -> Option<FoldedName> {
        let mut latin = String::with_capacity(name.len() + 8);
        for c in name.chars() {
            match transliterate(c) {
                Some(t) => latin.push_str(t),
                None if c.is_alphanumeric() => latin.extend(c.to_lowercase()),
                None => latin.push(' '),
            }
        }
        let mut tokens: Vec<String> = latin
            .split_whitespace()
            .filter(|t| t.chars().any(char::is_alphabetic))
            .map(str::to_owned)
            .collect();
        // A Russian patronymic (`Кирилловна`) is its father's first name plus a suffix: left in,
        // it makes `Алёна Кирилловна` agree with a `Кирилл`. Dropped from full three-part names.
        if tokens.len() >= 3 {
            tokens.retain(|t| {
                !PATRONYMIC_ENDINGS
                    .iter()
                    .any(|e| t.len() > e.len() + 2 && t.ends_with(e))
            });
        }
        tokens.sort();
        tokens.dedup();
        (!tokens.is_empty()).then_some(FoldedName(tokens))
    }

    /// The tokens.
    pub fn tokens(&self) -> &[String] {
        &self.0
    }
}

/// True when the two names may belong to one person (see the module docs).
pub fn agree(a: &FoldedName, b: &FoldedName, threshold: f64) -> bool {
    let (short, long) = if a.0.len() <= b.0.len() {
        (a, b)
    } else {
        (b, a)
    };
    short.0.iter().all(|t| {
        long.0
            .iter()
            .any(|u| t == u || strsim::jaro_winkler(t, u) >= threshold)
    })
}

fn transliterate(c: char) -> Option<&'static str> {
    Some(match c {
        'а' | 'А' => "a",
        'б' | 'Б' => "b",
        'в' | 'В' => "v",
        'г' | 'Г' => "g",
        'д' | 'Д' => "d",
        'е' | 'Е' | 'ё' | 'Ё' | 'э' | 'Э' => "e",
        'ж' | 'Ж' => "zh",
        'з' | 'З' => "z",
        'и' | 'И' => "i",
        'й' | 'Й' | 'ы' | 'Ы' => "y",
        'к' | 'К' => "k",
        'л' | 'Л' => "l",
        'м' | 'М' => "m",
        'н' | 'Н' => "n",
        'о' | 'О' => "o",
        'п' | 'П' => "p",
        'р' | 'Р' => "r",
        'с' | 'С' => "s",
        'т' | 'Т' => "t",
        'у' | 'У' => "u",
        'ф' | 'Ф' => "f",
        'х' | 'Х' => "kh",
        'ц' | 'Ц' => "ts",
        'ч' | 'Ч' => "ch",
        'ш' | 'Ш' => "sh",
        'щ' | 'Щ' => "shch",
        'ъ' | 'Ъ' | 'ь' | 'Ь' => "",
        'ю' | 'Ю' => "yu",
        'я' | 'Я' => "ya",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(name: &str) -> FoldedName {
        FoldedName::new(name).unwrap()
    }

    const T: f64 = 0.88;

    #[test]
    fn cyrillic_and_latin_spellings_of_one_name_agree() {
        assert_eq!(f("Иванов Иван"), f("IVAN IVANOV"));
        assert!(agree(&f("Иванов Иван Петрович"), &f("Ivan Ivanov"), T));
        assert!(agree(&f("Татьяна"), &f("Tatyana Galkina"), T));
        assert!(agree(&f("Ivan Ivanof"), &f("Ivan Ivanov"), T));
        assert!(agree(&f("Юлия Смирнова"), &f("Yuliya Smirnova"), T));
    }

    #[test]
    fn a_patronymic_does_not_pass_for_a_first_name() {
        assert!(!agree(
            &f("Kirill Bolshakov"),
            &f("БОЛЬШАКОВА АЛЁНА КИРИЛЛОВНА"),
            T
        ));
        assert!(agree(
            &f("Alena Bolshakova"),
            &f("БОЛЬШАКОВА АЛЁНА КИРИЛЛОВНА"),
            T
        ));
        assert_eq!(f("Иванов Иван Петрович"), f("Ivan Ivanov"));
    }

    #[test]
    fn household_members_disagree() {
        assert!(!agree(&f("Иван Петров"), &f("Мария Петрова"), T));
        assert!(!agree(&f("Anna Smith"), &f("John Smith"), T));
    }

    #[test]
    fn names_without_letters_fold_to_nothing() {
        assert_eq!(FoldedName::new(" - 123 "), None);
        assert_eq!(FoldedName::new(""), None);
    }
}
