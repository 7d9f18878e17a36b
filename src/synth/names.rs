//! Name tables for the synthetic people and the Cyrillic→Latin transliteration.
//!
//! Russian names are stored in Cyrillic (male surname forms; feminine forms are derived) and
//! transliterated with one fixed table, so `Иванов Иван` in the loyalty export and `Ivan Ivanov`
//! in the app export are the same person written two ways. English and German names are for the
//! US, GB and DE customers. Frequencies are flat: the tables only need to look real, not to model
//! name popularity.

/// Russian male first names with the male and female patronymics derived from them.
pub const RU_MALE: &[(&str, &str, &str)] = &[
    ("Александр", "Александрович", "Александровна"),
    ("Алексей", "Алексеевич", "Алексеевна"),
    ("Анатолий", "Анатольевич", "Анатольевна"),
    ("Андрей", "Андреевич", "Андреевна"),
    ("Антон", "Антонович", "Антоновна"),
    ("Аркадий", "Аркадьевич", "Аркадьевна"),
    ("Артём", "Артёмович", "Артёмовна"),
    ("Артур", "Артурович", "Артуровна"),
    ("Богдан", "Богданович", "Богдановна"),
    ("Борис", "Борисович", "Борисовна"),
    ("Вадим", "Вадимович", "Вадимовна"),
    ("Валентин", "Валентинович", "Валентиновна"),
    ("Валерий", "Валерьевич", "Валерьевна"),
    ("Василий", "Васильевич", "Васильевна"),
    ("Виктор", "Викторович", "Викторовна"),
    ("Виталий", "Витальевич", "Витальевна"),
    ("Владимир", "Владимирович", "Владимировна"),
    ("Владислав", "Владиславович", "Владиславовна"),
    ("Всеволод", "Всеволодович", "Всеволодовна"),
    ("Вячеслав", "Вячеславович", "Вячеславовна"),
    ("Геннадий", "Геннадьевич", "Геннадьевна"),
    ("Георгий", "Георгиевич", "Георгиевна"),
    ("Герман", "Германович", "Германовна"),
    ("Глеб", "Глебович", "Глебовна"),
    ("Григорий", "Григорьевич", "Григорьевна"),
    ("Данил", "Данилович", "Даниловна"),
    ("Даниил", "Даниилович", "Данииловна"),
    ("Денис", "Денисович", "Денисовна"),
    ("Дмитрий", "Дмитриевич", "Дмитриевна"),
    ("Евгений", "Евгеньевич", "Евгеньевна"),
    ("Егор", "Егорович", "Егоровна"),
    ("Захар", "Захарович", "Захаровна"),
    ("Иван", "Иванович", "Ивановна"),
    ("Игорь", "Игоревич", "Игоревна"),
    ("Илья", "Ильич", "Ильинична"),
    ("Кирилл", "Кириллович", "Кирилловна"),
    ("Константин", "Константинович", "Константиновна"),
    ("Лев", "Львович", "Львовна"),
    ("Леонид", "Леонидович", "Леонидовна"),
    ("Макар", "Макарович", "Макаровна"),
    ("Максим", "Максимович", "Максимовна"),
    ("Марк", "Маркович", "Марковна"),
    ("Матвей", "Матвеевич", "Матвеевна"),
    ("Михаил", "Михайлович", "Михайловна"),
    ("Никита", "Никитич", "Никитична"),
    ("Николай", "Николаевич", "Николаевна"),
    ("Олег", "Олегович", "Олеговна"),
    ("Павел", "Павлович", "Павловна"),
    ("Пётр", "Петрович", "Петровна"),
    ("Роман", "Романович", "Романовна"),
    ("Руслан", "Русланович", "Руслановна"),
    ("Семён", "Семёнович", "Семёновна"),
    ("Сергей", "Сергеевич", "Сергеевна"),
    ("Станислав", "Станиславович", "Станиславовна"),
    ("Степан", "Степанович", "Степановна"),
    ("Тимофей", "Тимофеевич", "Тимофеевна"),
    ("Тимур", "Тимурович", "Тимуровна"),
    ("Фёдор", "Фёдорович", "Фёдоровна"),
    ("Филипп", "Филиппович", "Филипповна"),
    ("Эдуард", "Эдуардович", "Эдуардовна"),
    ("Юрий", "Юрьевич", "Юрьевна"),
    ("Ярослав", "Ярославович", "Ярославовна"),
];

/// Russian female first names.
#[rustfmt::skip]
pub const RU_FEMALE: &[&str] = &[
    "Александра", "Алёна", "Алина", "Алиса", "Алла", "Анастасия", "Ангелина", "Анна", "Антонина",
    "Арина", "Валентина", "Валерия", "Варвара", "Вера", "Вероника", "Виктория", "Галина", "Дарья",
    "Диана", "Ева", "Евгения", "Екатерина", "Елена", "Елизавета", "Жанна", "Зоя", "Инна", "Ирина",
    "Карина", "Кира", "Кристина", "Ксения", "Лариса", "Лидия", "Любовь", "Людмила", "Маргарита",
    "Марина", "Мария", "Милана", "Надежда", "Наталья", "Нина", "Оксана", "Олеся", "Ольга",
    "Полина", "Раиса", "Светлана", "София", "Таисия", "Тамара", "Татьяна", "Ульяна", "Юлия", "Яна",
    "Эльвира", "Элина", "Вита", "Нелли",
];

/// Russian surnames in the male form; [`feminine_surname`] derives the female form.
#[rustfmt::skip]
pub const RU_SURNAMES: &[&str] = &[
    "Иванов", "Смирнов", "Кузнецов", "Попов", "Васильев", "Петров", "Соколов", "Михайлов",
    "Новиков", "Фёдоров", "Морозов", "Волков", "Алексеев", "Лебедев", "Семёнов", "Егоров",
    "Павлов", "Козлов", "Степанов", "Николаев", "Орлов", "Андреев", "Макаров", "Никитин",
    "Захаров", "Зайцев", "Соловьёв", "Борисов", "Яковлев", "Григорьев", "Романов", "Воробьёв",
    "Сергеев", "Кузьмин", "Фролов", "Александров", "Дмитриев", "Королёв", "Гусев", "Киселёв",
    "Ильин", "Максимов", "Поляков", "Сорокин", "Виноградов", "Ковалёв", "Белов", "Медведев",
    "Антонов", "Тарасов", "Жуков", "Баранов", "Филиппов", "Комаров", "Давыдов", "Беляев",
    "Герасимов", "Богданов", "Осипов", "Сидоров", "Матвеев", "Титов", "Марков", "Миронов",
    "Крылов", "Куликов", "Карпов", "Власов", "Мельников", "Денисов", "Гаврилов", "Тихонов",
    "Казаков", "Афанасьев", "Данилов", "Савельев", "Тимофеев", "Фомин", "Чернов", "Абрамов",
    "Мартынов", "Ефимов", "Федотов", "Щербаков", "Назаров", "Калинин", "Исаев", "Чернышёв",
    "Быков", "Маслов", "Родионов", "Коновалов", "Лазарев", "Воронин", "Климов", "Филатов",
    "Пономарёв", "Голубев", "Кудрявцев", "Прохоров", "Наумов", "Потапов", "Журавлёв", "Овчинников",
    "Трофимов", "Леонов", "Соболев", "Ермаков", "Колесников", "Гончаров", "Емельянов", "Никифоров",
    "Грачёв", "Котов", "Гришин", "Ефремов", "Архипов", "Громов", "Кириллов", "Малышев", "Панов",
    "Моисеев", "Румянцев", "Акимов", "Кондратьев", "Бирюков", "Горбунов", "Анисимов", "Ерёмин",
    "Тихомиров", "Галкин", "Лукьянов", "Михеев", "Скворцов", "Юдин", "Белоусов", "Нестеров",
    "Симонов", "Прокофьев", "Харитонов", "Князев", "Цветков", "Левин", "Митрофанов", "Воронов",
    "Аксёнов", "Софронов", "Мальцев", "Логинов", "Горшков", "Савин", "Краснов", "Майоров",
    "Демидов", "Елисеев", "Рыбаков", "Сафонов", "Плотников", "Буров", "Бондарев", "Пестов",
    "Шестаков", "Рябов", "Шубин", "Блинов", "Субботин", "Зуев", "Соловьев", "Мухин", "Третьяков",
    "Гордеев", "Калашников", "Белкин", "Шилов", "Хохлов", "Зиновьев", "Лаптев", "Игнатьев",
    "Жданов", "Русаков", "Суханов", "Самойлов", "Тимошин", "Кононов", "Пахомов", "Шаров", "Сысоев",
    "Дьячков", "Ситников", "Уваров", "Голованов", "Чистяков", "Бобров", "Ершов", "Дорофеев",
    "Мишин", "Большаков", "Степанищев", "Троицкий", "Вишневский", "Покровский", "Успенский",
    "Толстой", "Шевченко", "Бондаренко", "Коваленко", "Черных", "Седых", "Ким", "Цой", "Ли",
    "Гаврилюк", "Мельник", "Кравец",
];

/// English first names (US and GB customers), male and female mixed.
#[rustfmt::skip]
pub const EN_FIRST: &[&str] = &[
    "James", "John", "Robert", "Michael", "William", "David", "Richard", "Joseph", "Thomas",
    "Charles", "Christopher", "Daniel", "Matthew", "Anthony", "Mark", "Donald", "Steven", "Paul",
    "Andrew", "Joshua", "Kenneth", "Kevin", "Brian", "George", "Timothy", "Ronald", "Edward",
    "Jason", "Jeffrey", "Ryan", "Jacob", "Gary", "Nicholas", "Eric", "Jonathan", "Stephen",
    "Larry", "Justin", "Scott", "Brandon", "Benjamin", "Samuel", "Gregory", "Alexander", "Patrick",
    "Frank", "Raymond", "Jack", "Dennis", "Jerry", "Tyler", "Aaron", "Henry", "Oliver", "Harry",
    "Charlie", "Alfie", "Freddie", "Archie", "Leo", "Oscar", "Mary", "Patricia", "Jennifer",
    "Linda", "Elizabeth", "Barbara", "Susan", "Jessica", "Sarah", "Karen", "Lisa", "Nancy",
    "Betty", "Margaret", "Sandra", "Ashley", "Kimberly", "Emily", "Donna", "Michelle", "Carol",
    "Amanda", "Dorothy", "Melissa", "Deborah", "Stephanie", "Rebecca", "Sharon", "Laura",
    "Cynthia", "Kathleen", "Amy", "Angela", "Shirley", "Anna", "Brenda", "Pamela", "Emma",
    "Nicole", "Helen", "Samantha", "Katherine", "Christine", "Debra", "Rachel", "Carolyn", "Janet",
    "Catherine", "Maria", "Heather", "Diane", "Olivia", "Amelia", "Isla", "Ava", "Mia", "Grace",
    "Sophie", "Lily", "Chloe", "Ella", "Poppy", "Evie",
];

/// English surnames (US and GB customers).
#[rustfmt::skip]
pub const EN_LAST: &[&str] = &[
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez",
    "Martinez", "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor",
    "Moore", "Jackson", "Martin", "Lee", "Perez", "Thompson", "White", "Harris", "Sanchez",
    "Clark", "Ramirez", "Lewis", "Robinson", "Walker", "Young", "Allen", "King", "Wright", "Scott",
    "Torres", "Nguyen", "Hill", "Flores", "Green", "Adams", "Nelson", "Baker", "Hall", "Rivera",
    "Campbell", "Mitchell", "Carter", "Roberts", "Gomez", "Phillips", "Evans", "Turner", "Diaz",
    "Parker", "Cruz", "Edwards", "Collins", "Reyes", "Stewart", "Morris", "Morales", "Murphy",
    "Cook", "Rogers", "Gutierrez", "Ortiz", "Morgan", "Cooper", "Peterson", "Bailey", "Reed",
    "Kelly", "Howard", "Ramos", "Kim", "Cox", "Ward", "Richardson", "Watson", "Brooks", "Chavez",
    "Wood", "James", "Bennett", "Gray", "Mendoza", "Ruiz", "Hughes", "Price", "Alvarez",
    "Castillo", "Sanders", "Patel", "Myers", "Long", "Ross", "Foster", "Jimenez", "Powell",
    "Jenkins", "Perry", "Russell", "Sullivan", "Bell", "Coleman", "Butler", "Henderson", "Barnes",
    "Gonzales", "Fisher", "Vasquez", "Simmons", "Romero", "Jordan", "Patterson", "Alexander",
    "Hamilton", "Graham", "Reynolds", "Griffin", "Wallace", "Moreno", "West", "Cole", "Hayes",
    "Bryant", "Herrera", "Gibson", "Ellis", "Tran", "Medina", "Aguilar", "Stevens", "Murray",
    "Ford", "Castro", "Marshall", "Owens", "Harrison", "Fernandez", "McDonald", "Woods",
    "Washington", "Kennedy", "Wells", "Vargas", "Henry", "Chen", "Freeman", "Webb", "Tucker",
    "Guzman", "Burns", "Crawford", "Olson", "Simpson", "Porter", "Hunter", "Gordon", "Mendez",
    "Silva", "Shaw", "Snyder", "Mason", "Dixon", "Munoz", "Hunt", "Hicks", "Holmes", "Palmer",
    "Wagner", "Black", "Robertson", "Boyd", "Rose", "Stone", "Salazar", "Fox", "Warren", "Mills",
    "Meyer", "Rice", "Schmidt", "Garza", "Daniels", "Ferguson", "Nichols", "Stephens", "Soto",
    "Weaver", "Ryan", "Gardner", "Payne", "Grant", "Dunn",
];

/// German first names (DE customers).
#[rustfmt::skip]
pub const DE_FIRST: &[&str] = &[
    "Lukas", "Leon", "Finn", "Jonas", "Paul", "Felix", "Maximilian", "Elias", "Noah", "Ben", "Tim",
    "Jan", "Niklas", "Moritz", "Julian", "Philipp", "Tobias", "Stefan", "Andreas", "Thomas",
    "Michael", "Markus", "Jürgen", "Klaus", "Wolfgang", "Uwe", "Dieter", "Sven", "Mia", "Emma",
    "Hannah", "Sofia", "Lena", "Lea", "Marie", "Lina", "Laura", "Anna", "Julia", "Sarah",
    "Katharina", "Sabine", "Petra", "Monika", "Ursula", "Claudia", "Susanne", "Birgit",
    "Franziska", "Johanna", "Charlotte", "Greta", "Ida", "Clara", "Frieda", "Jana",
];

/// German surnames (DE customers).
#[rustfmt::skip]
pub const DE_LAST: &[&str] = &[
    "Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Schulz",
    "Hoffmann", "Schäfer", "Koch", "Bauer", "Richter", "Klein", "Wolf", "Schröder", "Neumann",
    "Schwarz", "Zimmermann", "Braun", "Krüger", "Hofmann", "Hartmann", "Lange", "Schmitt",
    "Werner", "Schmitz", "Krause", "Meier", "Lehmann", "Schmid", "Schulze", "Maier", "Köhler",
    "Herrmann", "König", "Walter", "Mayer", "Huber", "Kaiser", "Fuchs", "Peters", "Lang", "Scholz",
    "Möller", "Weiß", "Jung", "Hahn", "Schubert", "Vogel", "Friedrich", "Keller", "Günther",
    "Frank", "Berger", "Winkler", "Roth", "Beck", "Lorenz", "Baumann", "Franke",
];

/// French first names (FR customers, international preset).
#[rustfmt::skip]
pub const FR_FIRST: &[&str] = &[
    "Jean", "Pierre", "Michel", "André", "Philippe", "Nicolas", "François", "Julien", "Mathieu",
    "Sébastien", "Antoine", "Louis", "Hugo", "Théo", "Lucas", "Gabriel", "Arthur", "Raphaël",
    "Marie", "Nathalie", "Isabelle", "Sylvie", "Catherine", "Hélène", "Céline", "Camille",
    "Léa", "Chloé", "Manon", "Inès", "Juliette", "Zoé", "Élodie", "Margaux", "Louise", "Emma",
];

/// French surnames (FR customers, international preset).
#[rustfmt::skip]
pub const FR_LAST: &[&str] = &[
    "Martin", "Bernard", "Thomas", "Petit", "Robert", "Richard", "Durand", "Dubois", "Moreau",
    "Laurent", "Simon", "Michel", "Lefèvre", "Leroy", "Roux", "David", "Bertrand", "Morel",
    "Fournier", "Girard", "Bonnet", "Dupont", "Lambert", "Fontaine", "Rousseau", "Vincent",
    "Muller", "Lefebvre", "Faure", "André", "Mercier", "Blanc", "Guérin", "Boyer", "Garnier",
    "Chevalier", "François", "Legrand", "Gauthier", "Garcia", "Perrin", "Robin", "Clément",
];

/// The female form of a Russian surname given in the male form (`Иванов` → `Иванова`,
/// `Троицкий` → `Троицкая`, `Толстой` → `Толстая`); indeclinable ones (`Шевченко`, `Черных`, `Ким`)
/// are returned unchanged.
pub fn feminine_surname(male: &str) -> String {
    for (suffix, replacement) in [
        ("ский", "ская"),
        ("цкий", "цкая"),
        ("ой", "ая"),
        ("ый", "ая"),
    ] {
        if let Some(stem) = male.strip_suffix(suffix) {
            return format!("{stem}{replacement}");
        }
    }
    if ["ов", "ев", "ёв", "ин", "ын"]
        .iter()
        .any(|s| male.ends_with(s))
    {
        return format!("{male}а");
    }
    male.to_string()
}

/// One Cyrillic letter (lowercase) in Latin, the simplified BGN/PCGN style that Russians type
/// themselves (`Сергей` → `Sergey`, `Юлия` → `Yuliya`, `Щербаков` → `Shcherbakov`).
fn latin_letter(c: char) -> Option<&'static str> {
    Some(match c {
        'а' => "a",
        'б' => "b",
        'в' => "v",
        'г' => "g",
        'д' => "d",
        'е' | 'ё' | 'э' => "e",
        'ж' => "zh",
        'з' => "z",
        'и' => "i",
        'й' | 'ы' => "y",
        'к' => "k",
        'л' => "l",
        'м' => "m",
        'н' => "n",
        'о' => "o",
        'п' => "p",
        'р' => "r",
        'с' => "s",
        'т' => "t",
        'у' => "u",
        'ф' => "f",
        'х' => "kh",
        'ц' => "ts",
        'ч' => "ch",
        'ш' => "sh",
        'щ' => "shch",
        'ъ' | 'ь' => "",
        'ю' => "yu",
        'я' => "ya",
        _ => return None,
    })
}

/// Transliterates Cyrillic text to Latin, keeping the capitalisation of each word's first letter;
/// other characters pass through (`Фёдор Ильич` → `Fedor Ilich`).
pub fn transliterate(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        let lower = c.to_lowercase().next().unwrap_or(c);
        match latin_letter(lower) {
            Some(latin) if lower != c => {
                let mut letters = latin.chars();
                if let Some(first) = letters.next() {
                    out.extend(first.to_uppercase());
                    out.extend(letters);
                }
            }
            Some(latin) => out.push_str(latin),
            None => out.push(c),
        }
    }
    out
}

/// ASCII-only lowercase letters of a Latin name for an email local part (`Jürgen` → `jurgen`,
/// `Hélène` → `helene`, `McDonald` → `mcdonald`).
pub fn ascii_letters(latin: &str) -> String {
    latin
        .chars()
        .filter_map(|c| match c {
            'ä' | 'Ä' => Some('a'),
            'ö' | 'Ö' => Some('o'),
            'ü' | 'Ü' => Some('u'),
            'ß' => Some('s'),
            'à' | 'â' => Some('a'),
            'é' | 'è' | 'ê' | 'ë' | 'É' => Some('e'),
            'î' | 'ï' => Some('i'),
            'ô' => Some('o'),
            'ù' | 'û' => Some('u'),
            'ç' => Some('c'),
            c if c.is_ascii_alphabetic() => Some(c.to_ascii_lowercase()),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transliteration_keeps_capitals_and_uses_one_table() {
        assert_eq!(transliterate("Иванов Иван"), "Ivanov Ivan");
        assert_eq!(transliterate("Щербаков Юрий"), "Shcherbakov Yuriy");
        assert_eq!(transliterate("Фёдор Ильич"), "Fedor Ilich");
        assert_eq!(transliterate("Smith"), "Smith");
    }

    #[test]
    fn french_names_give_ascii_email_letters() {
        assert_eq!(ascii_letters("Hélène"), "helene");
        assert_eq!(ascii_letters("François"), "francois");
        for name in FR_FIRST.iter().chain(FR_LAST) {
            let letters = ascii_letters(&transliterate(name));
            assert_eq!(letters.chars().count(), name.chars().count(), "{name}");
        }
    }

    #[test]
    fn feminine_surnames_follow_russian_rules() {
        assert_eq!(feminine_surname("Иванов"), "Иванова");
        assert_eq!(feminine_surname("Троицкий"), "Троицкая");
        assert_eq!(feminine_surname("Толстой"), "Толстая");
        assert_eq!(feminine_surname("Шевченко"), "Шевченко");
        assert_eq!(feminine_surname("Ильин"), "Ильина");
    }

    #[test]
    fn every_table_name_transliterates_to_ascii_letters() {
        let all = RU_MALE.iter().flat_map(|(a, b, c)| [*a, *b, *c]);
        for name in all
            .chain(RU_FEMALE.iter().copied())
            .chain(RU_SURNAMES.iter().copied())
        {
            let latin = transliterate(name);
            assert!(
                latin.chars().all(|c| c.is_ascii_alphabetic()),
                "{name} -> {latin}"
            );
            assert!(!ascii_letters(&latin).is_empty());
        }
    }
}
