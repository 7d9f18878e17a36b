//! Comparing person names across channels and alphabets, for the over-merge guards.
//!
//! A name is folded to lowercase Latin tokens: Cyrillic is transliterated (a simple, consistent
//! table close to what Russian apps use: `Татьяна` → `tatyana`), punctuation splits tokens, and
//! token order is ignored, so `Иванов Иван Петрович`, `IVAN IVANOV` and `Ivanov, Ivan` compare
//! equal. Two names *agree* when every token of the shorter one has a similar token in the longer
//! one, compared as a person would (issue 15): a first name alone agrees with the full name it
//! belongs to, and two tokens are one name when they are close by Jaro-Winkler (`strsim`), when
//! one is the other's initial (`J` / `John`) or a short form of it (`Rob` / `Robert`), or when
//! they hold the same letters but for one (two in tokens of six letters or more), in any order,
//! which is what typing errors do (`aessicj` / `jessica`, `Ivanof` / `Ivanov`). Two names of one
//! token each never disagree: one record may give a first name and the other a last name
//! (`Mitchell` / `Sebastian`), and nothing says they contradict, unless both are known to be
//! given names (each from a source whose names are not split into first and last name columns,
//! see `extract::given_name_sources`). A refusal therefore needs a real contradiction: `Иван Петров` and `Мария Петрова` (a household) or `Anna Smith` and `John
//! Smith` disagree. Names never link records; they only let the guards refuse links.

/// Transliterated endings of Russian patronymics.
const PATRONYMIC_ENDINGS: [&str; 6] = ["ovich", "evich", "ovna", "evna", "ichna", "ich"];

/// A folded name: its tokens, sorted, and whether it is known to hold given names only.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FoldedName(Vec<String>, bool);

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
        (!tokens.is_empty()).then_some(FoldedName(tokens, false))
    }

    /// The tokens.
    pub fn tokens(&self) -> &[String] {
        &self.0
    }

    /// The same name, marked as a given name when it is one word: it came from a source whose
    /// names are not split into first and last name columns (an email list's `first_name`, an
    /// app's `name`), so a single token is a given name and two different ones contradict
    /// (`Anna` / `Ivan` sharing a family mailbox).
    pub fn given_only(mut self) -> FoldedName {
        self.1 = true;
        self
    }
}

/// True when the two names may belong to one person (see the module docs).
pub fn agree(a: &FoldedName, b: &FoldedName, threshold: f64) -> bool {
    let (short, long) = if a.0.len() <= b.0.len() {
        (a, b)
    } else {
        (b, a)
    };
    if long.0.len() == 1 && !(a.1 && b.1) {
        // One token each: a first name against a last name is not a contradiction, unless both
        // are known to be given names.
        return true;
    }
    short
        .0
        .iter()
        .all(|t| long.0.iter().any(|u| tokens_agree(t, u, threshold)))
}

/// True when two name tokens may be one name: equal, close by Jaro-Winkler, an initial or a
/// short form of the other, or the same letters in another order with at most one letter
/// different (two when both have six or more).
fn tokens_agree(t: &str, u: &str, threshold: f64) -> bool {
    if t == u || strsim::jaro_winkler(t, u) >= threshold {
        return true;
    }
    let (shorter, longer) = if t.chars().count() <= u.chars().count() {
        (t, u)
    } else {
        (u, t)
    };
    let short_len = shorter.chars().count();
    if short_len == 1 || (short_len >= 3 && longer.starts_with(shorter)) {
        return true;
    }
    // A typo on each side (`iaac` / `icsac` for `isaac`) can leave three letters apart; the
    // first and last letters then have to hold, which tells `Olga` from `Oleg`.
    let same_ends = short_len >= 4
        && t.chars().next() == u.chars().next()
        && t.chars().last() == u.chars().last();
    let allowed = if same_ends {
        3
    } else if short_len >= 6 {
        2
    } else {
        1
    };
    short_len >= 2 && letters_apart(t, u) <= allowed
}

/// Letters in one token and not the other, counted with multiplicity and ignoring order:
/// `kra` / `kaur` is 1, `aessicj` / `jessica` is 0, `oleg` / `olga` is 2.
fn letters_apart(t: &str, u: &str) -> usize {
    let mut counts: std::collections::HashMap<char, i32> = std::collections::HashMap::new();
    for c in t.chars() {
        *counts.entry(c).or_default() += 1;
    }
    for c in u.chars() {
        *counts.entry(c).or_default() -= 1;
    }
    counts.values().map(|n| n.unsigned_abs() as usize).sum()
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
    fn issue_15_names_are_compared_as_a_person_would() {
        // See: #15. Each pair is one person in labelled data the name check used to split.
        let same_person = [
            ("jessica miller", "aessicj miller"),    // one typo per token
            ("bennett jayden", "bnennet jyayden"),   // a typo in each token
            ("isaac james", "iaac james"),           // a letter dropped
            ("iaac james", "icsac james"),           // a different typo on each side
            ("sofia russell", "russell fosia"),      // transposed tokens, transposed letters
            ("harley kaur", "harley kra"),           // a short token with a letter dropped
            ("John Smith", "J. Smith"),              // an initial
            ("Robert Allen", "Rob Allen"),           // a short form of the given name
            ("John Michael Smith", "Michael Smith"), // the middle name used as given name
            ("ivy lee", "le yi"),                    // short tokens, one typo each
        ];
        for (a, b) in same_person {
            assert!(agree(&f(a), &f(b), T), "{a} / {b}");
            assert!(agree(&f(b), &f(a), T), "{b} / {a}");
        }
    }

    #[test]
    fn issue_15_a_first_name_and_a_last_name_do_not_contradict() {
        // See: #15. One record gives only the first name, the other only the surname.
        assert!(agree(&f("Sebastian"), &f("Mitchell"), T));
        // Unless both are known to be given names: two people sharing a family mailbox.
        let anna = f("Anna").given_only();
        let ivan = f("Ivan").given_only();
        assert!(!agree(&anna, &ivan, T));
        assert!(agree(&anna, &f("Anna").given_only(), T));
        assert!(
            agree(&anna, &f("Ivanova"), T),
            "a surname from another source"
        );
    }

    #[test]
    fn issue_15_real_contradictions_are_still_refused() {
        // See: #15. Two full names that disagree, and households sharing a surname.
        for (a, b) in [
            ("Anna Smith", "John Smith"),
            ("Олег Иванов", "Ольга Иванова"),
            ("Инна Петрова", "Анна Петрова"),
            ("Ирина Соколова", "Алена Соколова"),
            ("Mary Jones", "Peter Brown"),
            ("Anna", "John Smith"),
        ] {
            assert!(!agree(&f(a), &f(b), T), "{a} / {b}");
        }
    }

    #[test]
    fn letters_apart_ignores_order() {
        assert_eq!(letters_apart("aessicj", "jessica"), 0);
        assert_eq!(letters_apart("kra", "kaur"), 1);
        assert_eq!(letters_apart("oleg", "olga"), 2);
    }

    #[test]
    fn names_without_letters_fold_to_nothing() {
        assert_eq!(FoldedName::new(" - 123 "), None);
        assert_eq!(FoldedName::new(""), None);
    }
}
