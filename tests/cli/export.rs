//! `omni export` (issue 18): send lists without duplicates, the cascade's order and fallbacks,
//! audiences that hold only hashes, segments and suppression, on a hand-written out dir and on
//! the merged sample.

use std::collections::{BTreeMap, HashSet};

use crate::{CliTest, assert_code, parse_csv, stderr, stdout};

const PROFILES: &str = "\
profile_id,name,records,sources,emails,phones,cards,ids,first_seen,last_seen,purchases,amount_total
P1000000000000001,Ivan Petrov,3,pos|web_shop,ivan@mail.ru|test@example.com,+79161234567,,,2025-01-01 10:00:00,2026-02-01 10:00:00,2,300.00
P1000000000000002,Мария Петрова,1,loyalty,,+79167654321,,,2024-05-01 09:00:00,2024-05-01 09:00:00,0,
P1000000000000003,Olga,2,email_list|web_shop,info@shop.ru|olga@mail.ru,,,,2025-06-01 10:00:00,2026-03-01 12:00:00,1,50.00
P1000000000000004,Petr Sidorov,1,pos,,,12345678,,2025-07-01 10:00:00,2025-07-01 10:00:00,1,10.00
P1000000000000005,Anna Petrova,2,email_list|web_shop,family@mail.ru,+79160000005,,,2025-01-01 10:00:00,2026-01-05 10:00:00,0,
P1000000000000006,Boris Petrov,1,web_shop,family@mail.ru,,,,2025-01-01 10:00:00,2025-01-01 10:00:00,0,
";

const EDGES: &str = "\
profile_id,source,row,record_key,name,parent_source,parent_row,via_kind,via_value
P1000000000000001,web_shop,1,1,Ivan Petrov,,,,
P1000000000000001,pos,1,,,web_shop,1,email,test@example.com
P1000000000000001,pos,2,,,pos,1,phone,+79161234567
P1000000000000002,loyalty,1,,Мария Петрова,,,,
P1000000000000003,web_shop,2,2,Olga,,,,
P1000000000000003,email_list,1,,,web_shop,2,email,info@shop.ru
P1000000000000004,pos,3,,,,,,
P1000000000000005,web_shop,3,3,Anna Petrova,,,,
P1000000000000005,email_list,2,,,web_shop,3,email,family@mail.ru
P1000000000000006,web_shop,4,4,Boris Petrov,,,,
";

/// Which sources hold each value and when it was last seen (what `omni merge` writes).
const CONTACTS: &str = "\
profile_id,kind,value,records,sources,last_seen
P1000000000000001,email,ivan@mail.ru,1,web_shop,2025-01-01 10:00:00
P1000000000000001,email,test@example.com,2,pos|web_shop,2026-02-01 10:00:00
P1000000000000001,phone,+79161234567,2,pos,2026-02-01 10:00:00
P1000000000000002,phone,+79167654321,1,loyalty,2024-05-01 09:00:00
P1000000000000003,email,info@shop.ru,2,email_list|web_shop,2026-03-01 12:00:00
P1000000000000003,email,olga@mail.ru,1,web_shop,2025-06-01 10:00:00
P1000000000000004,card,12345678,1,pos,2025-07-01 10:00:00
P1000000000000005,email,family@mail.ru,2,email_list|web_shop,2026-01-05 10:00:00
P1000000000000005,phone,+79160000005,1,web_shop,2025-01-01 10:00:00
P1000000000000006,email,family@mail.ru,1,web_shop,2025-01-01 10:00:00
";

const REPORT: &str =
    r#"{"schema_version": 1, "sources": [{"name": "loyalty", "phone_region": "RU"}]}"#;

const CONFIG: &str = "\
[export]
cascade = [\"email\", \"viber\", \"sms\"]

[export.channels]
viber = \"phone\"
";

fn out_dir() -> CliTest {
    let t = CliTest::new();
    t.write("out/profiles.csv", PROFILES)
        .write(
            "out/links.csv",
            "source,row,record_key,profile_id,matched_by\n",
        )
        .write("out/edges.csv", EDGES)
        .write("out/contacts.csv", CONTACTS)
        .write(
            "out/refused.csv",
            "source,row,profile_id,kind,value,rule,detail\n",
        )
        .write("out/report.json", REPORT)
        .write("omni.toml", CONFIG);
    t
}

fn export(t: &CliTest, args: &[&str]) -> String {
    let mut all = vec!["export", "out", "-o", "exp"];
    all.extend(args);
    let output = t.run(&all);
    assert_code(&output, 0);
    assert_eq!(stderr(&output), "");
    stdout(&output)
}

/// The rows of an export file, header left out.
fn rows(t: &CliTest, name: &str) -> Vec<Vec<String>> {
    parse_csv(&t.read(name)).into_iter().skip(1).collect()
}

#[test]
fn the_cascade_sends_the_first_reachable_channel_and_lists_the_fallbacks() {
    let t = out_dir();
    let summary = export(&t, &[]);
    let cascade = rows(&t, "exp/cascade.csv");
    let by_id: BTreeMap<&str, &[String]> = cascade.iter().map(|r| (&r[0][..], &r[3..7])).collect();
    // Most recent first: test@example.com was seen last (and in more sources).
    assert_eq!(
        by_id["P1000000000000001"],
        ["1", "email", "test@example.com", "viber|sms"]
    );
    assert_eq!(
        by_id["P1000000000000002"],
        ["2", "viber", "+79167654321", "sms"]
    );
    // The role mailbox is never the one written, however many sources it joined.
    assert_eq!(
        by_id["P1000000000000003"],
        ["1", "email", "olga@mail.ru", ""]
    );
    // The family mailbox goes to the first of the two profiles only; the second has no other
    // contact and is left out.
    assert_eq!(
        by_id["P1000000000000005"],
        ["1", "email", "family@mail.ru", "viber|sms"]
    );
    assert!(!by_id.contains_key("P1000000000000006"));
    assert!(!by_id.contains_key("P1000000000000004"));
    insta::assert_snapshot!("export_summary", summary);
}

/// contacts.csv says ivan@mail.ru was seen after test@example.com: ivan@mail.ru is sent to,
/// listed first and taken as the best email by the audiences, though test@example.com is in
/// more sources.
#[test]
fn the_most_recent_contact_is_the_one_sent_to() {
    let t = out_dir();
    t.write(
        "out/contacts.csv",
        CONTACTS.replace(
            "ivan@mail.ru,1,web_shop,2025-01-01",
            "ivan@mail.ru,1,web_shop,2026-02-02",
        ),
    );
    let summary = export(&t, &[]);
    assert!(!summary.contains("without dates"), "{summary}");
    let cascade = rows(&t, "exp/cascade.csv");
    assert_eq!(
        cascade[0][..7],
        [
            "P1000000000000001",
            "Ivan Petrov",
            "Ivan",
            "1",
            "email",
            "ivan@mail.ru",
            "viber|sms"
        ]
    );
    assert_eq!(rows(&t, "exp/send/email.csv")[0][3], "ivan@mail.ru");
    let sha_ivan = "a11af4ef7f227346d529d462307fff4e6d3260297986ff86a65a843f39d1aee8";
    let yandex = t.read("exp/audiences/yandex_audiences.csv");
    assert!(
        yandex.lines().nth(1).unwrap().ends_with(sha_ivan),
        "{yandex}"
    );
    let google = t.read("exp/audiences/google_ads.csv");
    assert!(
        google.lines().nth(1).unwrap().starts_with(sha_ivan),
        "{google}"
    );
}

/// An out dir of an older omni has no contacts.csv: contacts rank by the sources edges.csv
/// shows (test@example.com joined pos and web_shop, ivan@mail.ru nothing), and the summary
/// says that dates were not used.
#[test]
fn without_contacts_csv_the_sources_rank_and_the_summary_says_so() {
    let t = out_dir();
    std::fs::remove_file(t.path().join("out/contacts.csv")).unwrap();
    let summary = export(&t, &[]);
    assert!(
        summary.contains("contacts ranked without dates: the out dir has no contacts.csv"),
        "{summary}"
    );
    assert_eq!(rows(&t, "exp/send/email.csv")[0][3], "test@example.com");
}

/// End to end: the merge records when each value was last seen, and export sends to the
/// newest. old@mail.ru is in two sources (loyalty 2023, shop 2024), new@mail.ru in one (the
/// app, 2026): new@mail.ru wins.
#[test]
fn the_merge_records_each_values_last_date_and_export_sends_to_the_newest() {
    let t = CliTest::new();
    t.write(
        "in/shop.csv",
        "customer_id,email,phone,first_name,last_name,created_at\n\
         1,old@mail.ru,+7 916 111-22-33,Ivan,Petrov,2024-03-01 10:00:00\n",
    )
    .write(
        "in/loyalty.csv",
        "member_id,email,full_name,created_at\n\
         L1,old@mail.ru,Ivan Petrov,2023-05-01 10:00:00\n",
    )
    .write(
        "in/app.csv",
        "user_id,email,phone,created_at\n\
         A1,new@mail.ru,+79161112233,2026-01-15 08:00:00\n",
    );
    assert_code(&t.run(&["merge", "in", "-o", "out"]), 0);
    let contacts: Vec<Vec<String>> = rows(&t, "out/contacts.csv")
        .into_iter()
        .map(|r| r[1..].to_vec())
        .collect();
    assert_eq!(
        contacts,
        [
            ["email", "new@mail.ru", "1", "app", "2026-01-15 08:00:00"],
            [
                "email",
                "old@mail.ru",
                "2",
                "loyalty|shop",
                "2024-03-01 10:00:00"
            ],
            [
                "phone",
                "+79161112233",
                "2",
                "app|shop",
                "2026-01-15 08:00:00"
            ],
        ]
    );
    export(&t, &[]);
    let email = rows(&t, "exp/send/email.csv");
    assert_eq!(email.len(), 1);
    assert_eq!(email[0][1..], ["Ivan Petrov", "Ivan", "new@mail.ru"]);
}

/// Channels the config names: push keyed by the app's user id (`id:app`, from `--id
/// app_user=app` in the merge) and a messenger keyed by phone, in a cascade that tries push
/// first.
#[test]
fn push_by_app_id_and_a_messenger_by_phone_are_channels_of_the_cascade() {
    let t = CliTest::new();
    t.write(
        "in/app.csv",
        "app_user,email\nU100,anna@mail.ru\nU200,boris@mail.ru\n",
    )
    .write(
        "in/shop.csv",
        "customer_id,email,phone,first_name,last_name\n\
             1,anna@mail.ru,+79160000001,Anna,Ivanova\n\
             2,,+79160000002,Petr,Sidorov\n\
             3,boris@mail.ru,,Boris,Petrov\n",
    )
    .write(
        "campaign.toml",
        "[export]\ncascade = [\"push\", \"email\", \"viber\", \"sms\"]\n\
             [export.channels]\nviber = \"phone\"\npush = \"id:app\"\n",
    );
    let merged = t.run(&["merge", "in", "-o", "out", "--id", "app_user=app"]);
    assert_code(&merged, 0);
    let summary = export(&t, &["--config", "campaign.toml"]);
    let push: Vec<Vec<String>> = rows(&t, "exp/send/push.csv");
    assert!(
        t.read("exp/send/push.csv")
            .starts_with("profile_id,name,greeting,app\n")
    );
    let mut pushed: Vec<[&str; 2]> = push.iter().map(|r| [&r[2][..], &r[3][..]]).collect();
    pushed.sort();
    assert_eq!(pushed, [["Anna", "U100"], ["Boris", "U200"]]);
    let mut cascade: Vec<Vec<String>> = rows(&t, "exp/cascade.csv")
        .into_iter()
        .map(|r| r[2..].to_vec())
        .collect();
    cascade.sort();
    assert_eq!(
        cascade,
        [
            [
                "Anna",
                "1",
                "push",
                "U100",
                "email|viber|sms",
                "U100",
                "anna@mail.ru",
                "+79160000001",
                "+79160000001"
            ],
            [
                "Boris",
                "1",
                "push",
                "U200",
                "email",
                "U200",
                "boris@mail.ru",
                "",
                ""
            ],
            [
                "Petr",
                "3",
                "viber",
                "+79160000002",
                "sms",
                "",
                "",
                "+79160000002",
                "+79160000002"
            ],
        ]
    );
    for step in [
        "1. push   2 / 2",
        "2. email  0 / 2",
        "3. viber  1 / 2",
        "4. sms    0 / 2",
        "unreachable  0",
    ] {
        assert!(summary.contains(step), "{step}: {summary}");
    }
}

#[test]
fn no_profile_and_no_contact_is_twice_in_a_send_list() {
    let t = CliTest::new();
    t.copy("sample", "sample");
    assert_code(&t.run(&["merge", "sample", "-o", "out"]), 0);
    export(&t, &[]);
    let profiles = parse_csv(&t.read("out/profiles.csv"));
    let values: BTreeMap<&str, (&str, &str)> = profiles[1..]
        .iter()
        .map(|r| (&r[0][..], (&r[4][..], &r[5][..])))
        .collect();
    for (list, column) in [("email", 0), ("sms", 1), ("phone", 1)] {
        let rows = rows(&t, &format!("exp/send/{list}.csv"));
        assert!(rows.len() > 20, "{list}: {} rows", rows.len());
        let ids: HashSet<&str> = rows.iter().map(|r| &r[0][..]).collect();
        let contacts: HashSet<&str> = rows.iter().map(|r| &r[3][..]).collect();
        assert_eq!(ids.len(), rows.len(), "{list}: a profile twice");
        assert_eq!(contacts.len(), rows.len(), "{list}: a contact twice");
        for r in &rows {
            let own = if column == 0 {
                values[&r[0][..]].0
            } else {
                values[&r[0][..]].1
            };
            // profiles.csv escapes formula-like cells with a leading ' (output::escape).
            let own = own.strip_prefix('\'').unwrap_or(own);
            assert!(
                own.split('|').any(|v| v == r[3]),
                "{list}: {r:?} is not its profile's"
            );
        }
    }
}

#[test]
fn audience_files_hold_hashes_only() {
    let t = CliTest::new();
    t.copy("sample", "sample");
    assert_code(&t.run(&["merge", "sample", "-o", "out"]), 0);
    export(&t, &[]);
    let profiles = parse_csv(&t.read("out/profiles.csv"));
    let mut clear: Vec<String> = Vec::new();
    for r in &profiles[1..] {
        for cell in [&r[4], &r[5]] {
            for v in cell.split('|').filter(|v| !v.is_empty()) {
                clear.push(v.to_owned());
                clear.push(v.trim_start_matches('+').to_owned());
            }
        }
        clear.extend(
            r[1].split_whitespace()
                .filter(|w| w.chars().count() > 2)
                .map(str::to_lowercase),
        );
    }
    assert!(clear.len() > 100);
    let files = [
        "google_ads.csv",
        "meta.csv",
        "yandex_audiences.csv",
        "vk_ads_emails.txt",
        "vk_ads_phones.txt",
    ];
    for file in files {
        let text = t.read(&format!("exp/audiences/{file}"));
        let mut lines = text.lines();
        if file.ends_with(".csv") {
            lines.next();
        }
        let mut cells = 0;
        for cell in lines.flat_map(|l| l.split(',')).filter(|c| !c.is_empty()) {
            let hex_len = if file.starts_with("vk") { 32 } else { 64 };
            assert!(
                cell.len() == hex_len
                    && cell
                        .bytes()
                        .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()),
                "{file}: '{cell}' is not a hash"
            );
            cells += 1;
        }
        assert!(cells > 20, "{file}: {cells} cells");
        let lower = text.to_lowercase();
        for value in &clear {
            assert!(
                !lower.contains(&value.to_lowercase()),
                "{file} holds '{value}' in clear"
            );
        }
    }
}

/// The hashes of the hand-written profiles, computed with `sha256sum`/`md5sum` from each
/// platform's documented form (docs/export.md links the rules).
#[test]
fn audience_rows_match_the_platforms_normalization() {
    let t = out_dir();
    export(&t, &["--where", "source=pos and buyer"]);
    let sha_email = "973dfe463ec85785f5f95af5ba3906eedb2d931c24e69824a89ea65dba4e813b";
    let sha_e164 = "c795313d1a25fea4e552388ce7fb6102f550187a1132baa53b9872e5236dd8c6";
    let sha_digits = "1210f4f193f6032e91cd7117a785a1be09550d79076c4717cdae4c0c45691a30";
    let google = t.read("exp/audiences/google_ads.csv");
    assert!(google.starts_with("Email,Email,Phone\n"), "{google}");
    assert!(
        google.contains(&format!("{sha_email},")) && google.contains(sha_e164),
        "{google}"
    );
    let meta = t.read("exp/audiences/meta.csv");
    assert!(meta.starts_with("email,email,phone,fn,ln\n"), "{meta}");
    assert!(
        meta.contains(sha_digits) && !meta.contains(sha_e164),
        "{meta}"
    );
    let yandex = t.read("exp/audiences/yandex_audiences.csv");
    assert_eq!(yandex, format!("phone,email\n{sha_digits},{sha_email}\n"));
    let vk = t.read("exp/audiences/vk_ads_phones.txt");
    assert_eq!(vk, "b7345b4e50394f906438e994e8eb15f8\n");
}

#[test]
fn segments_keep_only_matching_profiles_in_every_file() {
    let t = out_dir();
    export(
        &t,
        &["--where", "sources>=2", "--where", "last_seen>=2026-01-01"],
    );
    let ids: Vec<String> = rows(&t, "exp/cascade.csv")
        .into_iter()
        .map(|r| r[0].clone())
        .collect();
    assert_eq!(
        ids,
        [
            "P1000000000000001",
            "P1000000000000003",
            "P1000000000000005"
        ]
    );
    let sms: Vec<String> = rows(&t, "exp/send/sms.csv")
        .into_iter()
        .map(|r| r[0].clone())
        .collect();
    assert_eq!(sms, ["P1000000000000001", "P1000000000000005"]);
    // The audiences hold the same three profiles (one row each); Yandex's rows are their best
    // phone and email: P3 has no phone, and its role mailbox is never written.
    let google = t.read("exp/audiences/google_ads.csv");
    assert_eq!(google.lines().count(), 1 + 3, "{google}");
    let yandex = t.read("exp/audiences/yandex_audiences.csv");
    let sha = |v: &str| {
        let out = std::process::Command::new("sha256sum")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .and_then(|mut c| {
                use std::io::Write;
                c.stdin.take().unwrap().write_all(v.as_bytes())?;
                c.wait_with_output()
            })
            .unwrap();
        String::from_utf8(out.stdout).unwrap()[..64].to_owned()
    };
    let want = format!(
        "phone,email\n{},{}\n,{}\n{},{}\n",
        sha("79161234567"),
        sha("test@example.com"),
        sha("olga@mail.ru"),
        sha("79160000005"),
        sha("family@mail.ru"),
    );
    assert_eq!(yandex, want);
    export(&t, &["--where", "not email"]);
    let ids: Vec<String> = rows(&t, "exp/cascade.csv")
        .into_iter()
        .map(|r| r[0].clone())
        .collect();
    assert_eq!(ids, ["P1000000000000002"]);
}

#[test]
fn suppressed_contacts_are_in_no_file() {
    let t = out_dir();
    t.write(
        "unsubscribed.csv",
        "email;status\nIVAN@Mail.ru;unsubscribed\n8 916 123-45-67;bounced\n",
    );
    let summary = export(&t, &["--suppress", "unsubscribed.csv"]);
    assert!(
        summary.contains("suppressed: 2 values (2 cells skipped"),
        "{summary}"
    );
    let cascade = rows(&t, "exp/cascade.csv");
    let ivan = cascade
        .iter()
        .find(|r| r[0] == "P1000000000000001")
        .unwrap();
    // The phone is gone: no messenger or SMS fallback is left.
    assert_eq!(ivan[3..7], ["1", "email", "test@example.com", ""]);
    let sha_ivan = "a11af4ef7f227346d529d462307fff4e6d3260297986ff86a65a843f39d1aee8";
    let sha_phone = "c795313d1a25fea4e552388ce7fb6102f550187a1132baa53b9872e5236dd8c6";
    let files = [
        "send/email.csv",
        "send/sms.csv",
        "send/viber.csv",
        "cascade.csv",
    ];
    let audiences =
        ["google_ads.csv", "meta.csv", "yandex_audiences.csv"].map(|f| format!("audiences/{f}"));
    for file in files.iter().map(|f| f.to_string()).chain(audiences) {
        let text = t.read(&format!("exp/{file}"));
        assert!(
            !text.contains("ivan@mail.ru") && !text.contains("+79161234567"),
            "{file}"
        );
        assert!(
            !text.contains(sha_ivan) && !text.contains(sha_phone),
            "{file}"
        );
    }
}

#[test]
fn a_bad_condition_names_the_word_and_writes_nothing() {
    let t = out_dir();
    let output = t.run(&[
        "export",
        "out",
        "-o",
        "exp",
        "--where",
        "sources>=2 and byer",
    ]);
    // A usage error, caught while parsing the command line.
    assert_code(&output, 2);
    assert!(
        stderr(&output).contains("'byer' is no condition"),
        "{}",
        stderr(&output)
    );
    assert!(!t.path().join("exp").exists());
}

/// The sample's email list carries statuses: given whole to --suppress, only its unsubscribed
/// and bounced addresses are dropped.
#[test]
fn an_email_platform_export_suppresses_only_its_unsubscribed_and_bounced_rows() {
    let t = CliTest::new();
    t.copy("sample", "sample");
    assert_code(&t.run(&["merge", "sample", "-o", "out"]), 0);
    export(&t, &[]);
    let before: HashSet<String> = rows(&t, "exp/send/email.csv")
        .into_iter()
        .map(|r| r[3].clone())
        .collect();
    let summary = export(&t, &["--suppress", "sample/email_list.csv"]);
    // Four flagged rows; one holds the junk value `-`, which suppresses nothing.
    assert!(summary.contains("suppressed: 3 values"), "{summary}");
    let after: HashSet<String> = rows(&t, "exp/send/email.csv")
        .into_iter()
        .map(|r| r[3].clone())
        .collect();
    let gone: Vec<&String> = before.difference(&after).collect();
    assert!(after.is_subset(&before));
    assert!(!gone.is_empty() && gone.len() <= 3, "{gone:?}");
    // Each address gone is one of the list's four do-not-contact rows, as `omni normalize` sees it.
    let list = std::fs::read_to_string(crate::repo_path("testdata/sample/email_list.csv")).unwrap();
    let flagged: Vec<&str> = list
        .lines()
        .filter(|l| l.ends_with(";unsubscribed") || l.ends_with(";bounced"))
        .map(|l| l.split(';').nth(1).unwrap())
        .collect();
    let mut args = vec!["normalize", "--kind", "email"];
    args.extend(&flagged);
    let normalized = stdout(&t.run(&args));
    for address in gone {
        assert!(
            normalized.contains(address.as_str()),
            "{address} not flagged: {normalized}"
        );
    }
}

#[test]
fn help_export() {
    let output = CliTest::new().run(&["export", "--help"]);
    assert_code(&output, 0);
    insta::assert_snapshot!("help_export", stdout(&output));
}
