//! Over-merge guards end to end: generic identifiers, the phone name check, per-profile caps.

use crate::{CliTest, assert_code, parse_csv};

fn report(t: &CliTest) -> serde_json::Value {
    serde_json::from_str(&t.read("out/report.json")).unwrap()
}

fn profiles(t: &CliTest) -> Vec<Vec<String>> {
    parse_csv(&t.read("out/profiles.csv"))
}

#[test]
fn a_store_phone_on_many_anonymous_receipts_links_nobody() {
    let t = CliTest::new();
    let mut receipts = String::from("receipt_id,card,phone\n");
    for i in 0..150 {
        receipts.push_str(&format!("R{i},{},+7 495 914-93-28\n", 48_213_000 + i));
    }
    t.write("in/pos.csv", receipts);
    let output = t.run(&["merge", "in", "-o", "out", "-q"]);
    assert_code(&output, 0);
    assert_eq!(
        profiles(&t).len() - 1,
        150,
        "each receipt stays its own customer"
    );
    let table = profiles(&t);
    let phones = table[0].iter().position(|h| h == "phones").unwrap();
    assert!(
        table[1..].iter().all(|p| p[phones].is_empty()),
        "the store's phone is nobody's contact"
    );
    let report = report(&t);
    let generic = &report["guards"]["generic_identifiers"];
    assert_eq!(generic["total"], 1);
    assert_eq!(generic["top"][0]["value"], "+74959149328");
    assert_eq!(report["guards"]["refused_links"]["generic"], 150);
    let refused = parse_csv(&t.read("out/refused.csv"));
    assert_eq!(refused.len() - 1, 150);
    assert!(
        refused[1][6].contains("separate groups"),
        "{:?}",
        refused[1]
    );
}

#[test]
fn an_email_shared_by_many_different_names_is_generic() {
    let t = CliTest::new();
    // 25 people (10 first names x 5 surnames) behind one shop mailbox, each with their own card.
    let first = [
        "Ivan", "Anna", "Oleg", "Maria", "Pavel", "Olga", "Igor", "Nina", "Boris", "Vera",
    ];
    let last = ["Lebedev", "Kozlov", "Novikov", "Morozov", "Volkov"];
    let mut rows = String::from("email,name,card\n");
    for i in 0..25 {
        let (f, l, card) = (first[i % 10], last[i / 5], 77_000_000 + i);
        rows.push_str(&format!("info@shop-example.ru,{f} {l},{card}\n"));
    }
    t.write("in/shop.csv", rows);
    let output = t.run(&["merge", "in", "-o", "out", "-q"]);
    assert_code(&output, 0);
    assert_eq!(profiles(&t).len() - 1, 25, "25 different people stay apart");
    let generic = &report(&t)["guards"]["generic_identifiers"]["top"][0];
    assert_eq!(generic["value"], "info@shop-example.ru");
    assert!(
        generic["why"].as_str().unwrap().contains("different names"),
        "{generic}"
    );
}

#[test]
fn a_household_landline_does_not_merge_people_with_different_names() {
    let t = CliTest::new();
    t.write("in/loyalty.csv", "card;ФИО;Телефон\n48213377;Петров Иван;8 495 914-93-28\n48213388;Петрова Мария;8 495 914-93-28\n");
    t.write("in/app.csv", "phone,name\n+74959149328,Ivan Petrov\n");
    let output = t.run(&["merge", "in", "-o", "out", "-q"]);
    assert_code(&output, 0);
    let rows = profiles(&t);
    assert_eq!(
        rows.len() - 1,
        2,
        "Ivan (app + loyalty) and Maria: {rows:?}"
    );
    let refused = parse_csv(&t.read("out/refused.csv"));
    assert_eq!(refused.len(), 2, "{refused:?}");
    assert_eq!(refused[1][5], "name_mismatch");
}

#[test]
fn the_phone_name_check_can_be_switched_off() {
    let t = CliTest::new();
    t.write("in/loyalty.csv", "card;ФИО;Телефон\n48213377;Петров Иван;8 495 914-93-28\n48213388;Петрова Мария;8 495 914-93-28\n");
    t.write("omni.toml", "[guards]\nname_check = []\n");
    let output = t.run(&["merge", "in", "-o", "out", "-q"]);
    assert_code(&output, 0);
    assert_eq!(profiles(&t).len() - 1, 1);
}

#[test]
fn a_cap_refuses_the_link_that_would_give_a_profile_two_crm_ids() {
    let t = CliTest::new();
    t.write(
        "in/crm.csv",
        "crm,email,phone\nC1,anna.k@mail.ru,\nC2,,+7 916 123-45-67\n",
    );
    t.write(
        "in/shop.csv",
        "email,phone\nanna.k@mail.ru,+7 916 123-45-67\n",
    );
    t.write(
        "omni.toml",
        "[sources.crm.columns]\ncrm = \"id:crm\"\n\n[guards.caps]\n\"id:crm\" = 1\n",
    );
    let output = t.run(&["merge", "in", "-o", "out", "-q"]);
    assert_code(&output, 0);
    let rows = profiles(&t);
    assert_eq!(rows.len() - 1, 2, "C1 and C2 stay apart: {rows:?}");
    for row in &rows[1..] {
        assert!(!row[7].contains('|'), "one crm id per profile: {row:?}");
    }
    let refused = parse_csv(&t.read("out/refused.csv"));
    assert_eq!(refused.len(), 2, "{refused:?}");
    assert_eq!(refused[1][5], "cap");
    assert_eq!(
        refused[1][3], "phone",
        "the lower-priority phone link is the one refused"
    );
}

#[test]
fn every_tree_edge_of_the_sample_names_its_identifier() {
    let t = CliTest::new();
    t.copy("sample", "sample");
    assert_code(&t.run(&["merge", "sample", "-o", "out", "-q"]), 0);
    let edges = parse_csv(&t.read("out/edges.csv"));
    let links = parse_csv(&t.read("out/links.csv"));
    let in_profiles = links[1..].iter().filter(|l| !l[3].is_empty()).count();
    assert_eq!(
        edges.len() - 1,
        in_profiles,
        "one tree row per record in a profile"
    );
    for e in &edges[1..] {
        let root = e[5].is_empty();
        assert_eq!(root, e[7].is_empty(), "{e:?}");
        assert_eq!(root, e[8].is_empty(), "{e:?}");
    }
}

#[test]
fn profiles_above_the_alarm_size_are_listed_with_their_bridge() {
    let t = CliTest::new();
    // Two groups of two records each, bridged by one card on a record of each side.
    t.write(
        "in/a.csv",
        "email,card,name\nolga.k@mail.ru,,Olga K\nolga.k@mail.ru,48213377,Olga K\nboris.l@mail.ru,48213377,Olga K\nboris.l@mail.ru,,Olga K\n",
    );
    t.write("omni.toml", "[guards]\nalarm_size = 3\n");
    let output = t.run(&["merge", "in", "-o", "out", "-q", "--fail-on", "alarms=0"]);
    assert_code(&output, 3);
    let report: serde_json::Value = serde_json::from_str(&t.read("out/report.json")).unwrap();
    let alarms = &report["guards"]["alarms"];
    assert_eq!(alarms["total"], 1);
    assert_eq!(alarms["top"][0]["records"], 4);
    let bridge = &alarms["top"][0]["bridges"][0];
    assert_eq!(bridge["kind"], "card");
    assert_eq!(bridge["value"], "48213377");
    assert_eq!(bridge["parts"], 2);
    assert_eq!(report["guards"]["settings"]["alarm_size_from"], "config");
}

#[test]
fn a_record_without_a_name_is_not_placed_on_a_contested_landline() {
    let t = CliTest::new();
    t.write("in/loyalty.csv", "card;ФИО;Телефон\n48213377;Петров Иван;8 495 914-93-28\n48213388;Петрова Мария;8 495 914-93-28\n");
    t.write("in/pos.csv", "receipt,phone,amount\nR1,84959149328,100\n");
    let output = t.run(&["merge", "in", "-o", "out", "-q"]);
    assert_code(&output, 0);
    assert_eq!(
        profiles(&t).len() - 1,
        3,
        "Ivan, Maria and the receipt stay apart"
    );
    let refused = parse_csv(&t.read("out/refused.csv"));
    let receipt = refused
        .iter()
        .find(|r| r[0] == "pos")
        .expect("the receipt's link is refused");
    assert_eq!(receipt[5], "name_mismatch");
    assert!(receipt[6].contains("cannot be placed"), "{receipt:?}");
}

#[test]
fn a_landline_does_not_place_a_nameless_receipt_but_a_mobile_does() {
    let t = CliTest::new();
    // Nadezhda registered the household landline and her mobile; the anonymous receipts carry
    // one of them each. The landline receipt may be her husband's: it stays apart.
    t.write(
        "in/loyalty.csv",
        "card;ФИО;Телефон;Мобильный\n48213377;Кононова Надежда;8 495 914-93-28;8 916 123-45-67\n",
    );
    t.write(
        "in/pos.csv",
        "receipt,phone,amount\nR1,84959149328,100\nR2,89161234567,250\n",
    );
    let output = t.run(&["merge", "in", "-o", "out", "-q"]);
    assert_code(&output, 0);
    let links = parse_csv(&t.read("out/links.csv"));
    let profile_of = |source: &str, row: &str| {
        links
            .iter()
            .find(|l| l[0] == source && l[1] == row)
            .map(|l| l[3].clone())
            .expect("every record is linked")
    };
    assert_eq!(profile_of("pos", "2"), profile_of("loyalty", "1"), "mobile");
    assert_ne!(
        profile_of("pos", "1"),
        profile_of("loyalty", "1"),
        "landline"
    );
    let refused = parse_csv(&t.read("out/refused.csv"));
    let landline = refused
        .iter()
        .find(|r| r[0] == "pos")
        .expect("the landline link is refused");
    assert_eq!(landline[5], "landline");
    assert_eq!(report(&t)["guards"]["refused_links"]["landline"], 1);
}

#[test]
fn anonymous_receipts_sharing_a_landline_still_join_each_other() {
    let t = CliTest::new();
    t.write(
        "in/pos.csv",
        "receipt,phone,amount\nR1,84959149328,100\nR2,+7 495 914-93-28,250\n",
    );
    let output = t.run(&["merge", "in", "-o", "out", "-q"]);
    assert_code(&output, 0);
    assert_eq!(
        profiles(&t).len() - 1,
        1,
        "no name anywhere: nothing to guard"
    );
}

#[test]
fn landlines_can_be_allowed_to_place_nameless_records() {
    let t = CliTest::new();
    t.write(
        "in/loyalty.csv",
        "card;ФИО;Телефон\n48213377;Кононова Надежда;8 495 914-93-28\n",
    );
    t.write("in/pos.csv", "receipt,phone,amount\nR1,84959149328,100\n");
    t.write("omni.toml", "[guards]\nlandlines_place_nameless = true\n");
    let output = t.run(&["merge", "in", "-o", "out", "-q"]);
    assert_code(&output, 0);
    assert_eq!(profiles(&t).len() - 1, 1, "the receipt joins Nadezhda");
    assert_eq!(
        parse_csv(&t.read("out/refused.csv")).len(),
        1,
        "header only"
    );
}
