//! Issue 15: zero config on exports nobody here wrote. Phones as people write them (US
//! spellings, international numbers without the region's conventions, local numbers), the
//! sharper name check, and files without an identifier.
//!
//! Every fixture is written inline, small, for the behaviour under test.

use crate::{CliTest, assert_code, parse_csv, stderr};

/// The profile id of each `links.csv` row, in file order.
fn profiles_of(t: &CliTest, out: &str) -> Vec<String> {
    parse_csv(&t.read(&format!("{out}/links.csv")))[1..]
        .iter()
        .map(|r| r[3].clone())
        .collect()
}

fn report(t: &CliTest, out: &str) -> serde_json::Value {
    serde_json::from_str(&t.read(&format!("{out}/report.json"))).expect("report.json")
}

// See: #15
#[test]
fn issue_15_us_phones_link_without_a_country() {
    let t = CliTest::new();
    t.write(
        "in/restaurants.csv",
        "name,addr,city,phone,type\n\
         arnie morton's of chicago,435 s. la cienega blv.,los angeles,310/246-1501,american\n\
         arnie mortons of chicago,435 s. la cienega blvd.,los angeles,(310) 246-1501,steak\n\
         art's delicatessen,12224 ventura blvd.,studio city,818/762-1221,american\n\
         arts deli,12224 ventura blvd.,studio city,818-762-1221 ext. 4,delis\n\
         flowers shop,1 main st,new york,1-800-FLOWERS,florist\n\
         flowers,1 main st,new york,1-800-356-9377,florist\n",
    );
    let output = t.run(&["merge", "in", "-o", "out", "-q"]);
    assert_code(&output, 0);
    let p = profiles_of(&t, "out");
    assert!(p.iter().all(|id| !id.is_empty()), "{p:?}");
    assert_eq!(
        (p[0] == p[1], p[2] == p[3], p[4] == p[5]),
        (true, true, true)
    );
    assert_eq!(p.iter().collect::<std::collections::HashSet<_>>().len(), 3);
    let source = &report(&t, "out")["sources"][0];
    assert_eq!(source["phone_region"], "US", "{source}");
    let profiles = t.read("out/profiles.csv");
    assert!(profiles.contains("+13102461501"), "{profiles}");
    assert!(profiles.contains("+18003569377"), "{profiles}");
}

// See: #15
#[test]
fn issue_15_international_numbers_in_a_russian_file_are_read_as_international() {
    let t = CliTest::new();
    t.write(
        "in/crm.csv",
        "ФИО,Телефон\nHans Muller,0049 160 4067175\nJohn Smith,0044 7785 231773\n\
         Bob Stone,1-972-690-6254\n",
    );
    t.write(
        "in/shop.csv",
        "name,phone\nHans Muller,+49 160 4067175\nJohn Smith,+44 7785 231773\n\
         Bob Stone,+1 972 690 6254\n",
    );
    let output = t.run(&["merge", "in", "-o", "out", "-q"]);
    assert_code(&output, 0);
    let rejects = t.read("out/rejects.csv");
    assert!(!rejects.contains("phone_invalid"), "{rejects}");
    let p = profiles_of(&t, "out");
    // crm rows 1-3, then shop rows 1-3 (sources sorted by name).
    assert_eq!(p[0], p[3]);
    assert_eq!(p[1], p[4]);
    assert_eq!(p[2], p[5]);
}

// See: #15
#[test]
fn issue_15_local_numbers_link_only_with_the_same_local_number() {
    let t = CliTest::new();
    t.write(
        "in/agency_a.csv",
        "Id,Site name,Phone\n1,Little Stars Center,2859902\n2,Ellington,534-6361\n\
         3,Oak Park,3865286\n",
    );
    t.write(
        "in/agency_b.csv",
        "Id,Site name,Phone\n10,LITTLE STARS CTR,285-9902\n11,Ellington School,5346361\n\
         12,Elsewhere,(773) 386-5286\n",
    );
    let output = t.run(&["merge", "in", "-o", "out"]);
    assert_code(&output, 0);
    let p = profiles_of(&t, "out");
    assert_eq!(p[0], p[3], "the same local number links");
    assert_eq!(p[1], p[4], "whatever the punctuation");
    assert_ne!(p[2], p[5], "a local number never matches a full number");
    let profiles = t.read("out/profiles.csv");
    assert!(profiles.contains("local_phone:2859902"), "{profiles}");
    assert!(!profiles.contains("+2859902"), "{profiles}");
    let links = t.read("out/links.csv");
    assert!(links.contains("id:local_phone"), "{links}");
    let report = report(&t, "out");
    let phone = &report["sources"][0]["columns"][2];
    assert_eq!(phone["local_numbers"], 3, "{phone}");
    let err = stderr(&output);
    assert!(
        err.contains("agency_a.csv: 3 local phone numbers without an area code"),
        "{err}"
    );
}

// See: #15
#[test]
fn issue_15_the_name_check_refuses_only_real_contradictions() {
    let t = CliTest::new();
    t.write(
        "in/web.csv",
        "email,first_name,last_name\njm@gmail.com,Jessica,Miller\n\
         rob@gmail.com,Robert,Allen\nfam@gmail.com,Anna,Smith\n\
         ms@gmail.com,,Mitchell\n",
    );
    t.write(
        "in/app.csv",
        "email,first_name,last_name\njm@gmail.com,Aessicj,Miller\n\
         rob@gmail.com,Rob,Allen\nfam@gmail.com,John,Smith\n\
         ms@gmail.com,Sebastian,\n",
    );
    let output = t.run(&["merge", "in", "-o", "out", "-q"]);
    assert_code(&output, 0);
    let p = profiles_of(&t, "out");
    // app rows 1-4, then web rows 1-4.
    assert_eq!(p[0], p[4], "one typo per token");
    assert_eq!(p[1], p[5], "a short form of the given name");
    assert_ne!(
        p[2], p[6],
        "Anna Smith and John Smith share a family mailbox"
    );
    assert_eq!(p[3], p[7], "a first name against a last name");
    let refused = t.read("out/refused.csv");
    assert_eq!(refused.lines().count(), 2, "{refused}");
    assert!(refused.contains("fam@gmail.com"), "{refused}");
}

// See: #15
#[test]
fn issue_15_a_file_without_an_identifier_does_not_take_the_others_down() {
    let t = CliTest::new();
    t.write_inputs_with_a_file_that_links_nobody();
    let output = t.run(&["merge", "in", "-o", "out", "-q"]);
    // The run completes and writes everything, but exits 1 so that cron notices.
    assert_code(&output, 1);
    let p = profiles_of(&t, "out");
    // app 1, stores 1-2, web 1-2.
    assert_eq!(p[0], p[3], "the good files are merged");
    assert!(p[1].is_empty() && p[2].is_empty(), "{p:?}");
    let err = stderr(&output);
    assert!(err.contains("omni: not linked: in/stores.csv"), "{err}");
    // The hint proposes the column a person would pick: the one named `Phone`.
    assert!(err.contains("\"Phone\" = \"phone\""), "{err}");
    let report = report(&t, "out");
    let stores = &report["sources"][1];
    assert_eq!(stores["name"], "stores");
    assert!(
        stores["no_identifier"].as_str().unwrap().contains("Phone"),
        "{stores}"
    );
    assert!(report["sources"][0].get("no_identifier").is_none());
    // The summary names the file too.
    let output = t.run(&["merge", "in", "-o", "out2"]);
    let out = crate::stdout(&output);
    assert!(out.contains("not linked: stores has no email"), "{out}");
}

// See: #15
#[test]
fn issue_15_id_flag_links_on_a_shared_column_without_a_config() {
    let t = CliTest::new();
    t.write(
        "in/a.csv",
        "rec_id,given_name,soc_sec_id\nrec-1-org,anna,5304218\nrec-2-org,bob,4066625\n",
    );
    t.write(
        "in/b.csv",
        "rec_id,given_name,soc_sec_id\nrec-1-dup,ana,5304218\nrec-2-dup,rob,9999999\n",
    );
    let output = t.run(&["merge", "in", "-o", "out", "-q", "--id", "soc_sec_id"]);
    assert_code(&output, 0);
    let p = profiles_of(&t, "out");
    assert_eq!(p[0], p[2]);
    assert_ne!(p[1], p[3]);
    let links = t.read("out/links.csv");
    assert!(links.contains("id:soc_sec_id"), "{links}");
    // A namespace of one's own.
    let output = t.run(&["merge", "in", "-o", "out2", "-q", "--id", "soc_sec_id=ssn"]);
    assert_code(&output, 0);
    assert!(t.read("out2/links.csv").contains("id:ssn"));
    // A column no file has is an error naming the columns that exist.
    let output = t.run(&["merge", "in", "-o", "out3", "-q", "--id", "ssn"]);
    assert_code(&output, 1);
    let err = stderr(&output);
    assert!(
        err.contains("--id: column \"ssn\" is in no input file") && err.contains("\"soc_sec_id\""),
        "{err}"
    );
}

// See: #15
#[test]
fn issue_15_a_columns_section_applies_to_every_source_and_per_source_sections_win() {
    let t = CliTest::new();
    t.write("in/a.csv", "member,code\nM-1,x1\nM-2,x2\n");
    t.write("in/b.csv", "member,code\nM-1,y1\nM-3,x2\n");
    t.write(
        "omni.toml",
        "[columns]\n\"member\" = \"id:member\"\n\n[sources.b.columns]\n\"member\" = \"ignore\"\n\"code\" = \"id:code\"\n",
    );
    let output = t.run(&["merge", "in", "-o", "out", "-q"]);
    // b's member column is ignored, so M-1 does not link a to b; b links through `code` only,
    // which a does not have as an id: nothing links across, and nothing fails.
    assert_code(&output, 0);
    let p = profiles_of(&t, "out");
    assert_ne!(p[0], p[2]);
    t.write("omni.toml", "[columns]\n\"member\" = \"id:member\"\n");
    let output = t.run(&["merge", "in", "-o", "out2", "-q"]);
    assert_code(&output, 0);
    let p = profiles_of(&t, "out2");
    assert_eq!(p[0], p[2], "M-1 is in both files");
}

// See: #15, #16
#[test]
fn issue_15_a_config_section_for_a_missing_source_is_an_error() {
    let t = CliTest::new();
    t.write("in/febrl4_a.csv", "email\nann@mail.ru\n");
    t.write("in/febrl4_b.csv", "email\nann@mail.ru\n");
    t.write(
        "omni.toml",
        "[sources.febrl4a.columns]\n\"email\" = \"email\"\n",
    );
    for command in ["merge", "inspect"] {
        let output =
            t.run(&[command, "in", "-o", "out", "-q"][..if command == "merge" { 5 } else { 2 }]);
        assert_code(&output, 1);
        let err = stderr(&output);
        assert!(
            err.contains("[sources.febrl4a] matches no input file")
                && err.contains("\"febrl4_a\", \"febrl4_b\""),
            "{command}: {err}"
        );
    }
    t.write("omni.toml", "[columns]\n\"e-mail\" = \"email\"\n");
    let output = t.run(&["merge", "in", "-o", "out", "-q"]);
    assert_code(&output, 1);
    assert!(stderr(&output).contains("config [columns]: column \"e-mail\" is in no input file"));
}

// See: #15
#[test]
fn issue_15_inspect_reports_every_file_and_proposes_shared_ids() {
    let t = CliTest::new();
    let people: Vec<String> = (0..40)
        .map(|i| format!("rec-{i},person {i},{}", 5_304_218 + i * 7919))
        .collect();
    t.write(
        "in/a.csv",
        format!("rec_id,given_name,soc_sec_id\n{}\n", people.join("\n")),
    );
    t.write(
        "in/b.csv",
        format!(
            "rec_id,given_name,soc_sec_id\n{}\n",
            people[..30]
                .iter()
                .map(|p| p.replace("rec-", "dup-"))
                .collect::<Vec<_>>()
                .join("\n")
        ),
    );
    t.write(
        "in/c.csv",
        "Site name,Phone\n\"Chicago Commons\nAssociation\",285-9902\n",
    );
    t.write("in/empty.csv", "");
    let output = t.run(&["inspect", "in"]);
    // The empty file is an error, named, but every other file is still reported.
    assert_code(&output, 1);
    let out = crate::stdout(&output);
    for needle in ["in/a.csv ->", "in/b.csv ->", "in/c.csv ->"] {
        assert!(out.contains(needle), "missing {needle}: {out}");
    }
    assert!(stderr(&output).contains("omni: error: in/empty.csv"));
    // The multi-line cell stays on its row.
    assert!(
        out.lines()
            .any(|l| l.contains("Chicago Commons Association")),
        "{out}"
    );
    // The shared id is proposed, with how to use it, and rec_id is not.
    assert!(
        out.contains("shared identifier? \"soc_sec_id\" in a, b")
            && out.contains("`--id soc_sec_id`"),
        "{out}"
    );
    assert!(!out.contains("shared identifier? \"rec_id\""), "{out}");
    // The files without an identifier say so, proposing the shared id.
    assert!(out.contains("\"soc_sec_id\" = \"id:soc_sec_id\""), "{out}");
}

// See: #15
#[test]
fn issue_15_a_per_row_country_wins_over_the_inferred_region() {
    let t = CliTest::new();
    t.write(
        "in/a.csv",
        "name,phone,country\nAnn Lee,(415) 555-0100,US\nIvan Petrov,(415) 555-0100,RU\n\
         Bob Stone,(310) 246-1501,\nCy Young,(212) 555-0199,\n",
    );
    t.write(
        "in/b.csv",
        "name,phone\nAnn Lee,+1 415 555 0100\nIvan Petrov,+7 415 555-01-00\nBob Stone,+1 310 246 1501\n",
    );
    let output = t.run(&["merge", "in", "-o", "out", "-q"]);
    assert_code(&output, 0);
    let report = report(&t, "out");
    assert_eq!(report["sources"][0]["phone_region"], "US");
    let p = profiles_of(&t, "out");
    // a rows 1-4, then b rows 1-3.
    assert_eq!(p[0], p[4], "US row, read as US");
    assert_eq!(p[1], p[5], "the row's RU wins over the file's US");
    assert_eq!(p[2], p[6], "no country: the file's inferred US");
    assert_ne!(p[0], p[1]);
}

// See: #15, #20. A file of names without an identifier column is linked by the probabilistic
// pass, so it is not reported as "not linked" and the run exits 0; without the pass it is.
#[test]
fn issue_20_a_names_only_file_is_linked_by_the_probabilistic_pass() {
    let t = CliTest::new();
    let people = "given_name,surname,date_of_birth,postcode\n\
                  michaela,neumann,19151111,4223\n\
                  courtney,painter,19161214,4560\n\
                  elton,wakefield,19651013,3212\n";
    t.write("in/a.csv", people);
    t.write(
        "in/b.csv",
        "given_name,surname,date_of_birth,postcode\n\
         michaela,neuman,19151111,4223\n\
         courtney,painter,19161214,4560\n\
         elton,wakefeld,19651013,3212\n",
    );
    let exact = t.run(&["merge", "in", "-o", "out", "-q"]);
    assert_code(&exact, 1);
    assert!(
        stderr(&exact).contains("omni: not linked"),
        "{}",
        stderr(&exact)
    );
    let output = t.run(&[
        "merge",
        "in",
        "-o",
        "out2",
        "-q",
        "--match",
        "probabilistic",
    ]);
    assert_code(&output, 0);
    assert!(
        !stderr(&output).contains("not linked"),
        "{}",
        stderr(&output)
    );
    let report = report(&t, "out2");
    for source in report["sources"].as_array().unwrap() {
        assert!(source.get("no_identifier").is_none(), "{source}");
    }
}
