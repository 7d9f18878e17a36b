//! The campaign metrics of report.json (issue 18), each checked against an independent
//! computation from the inputs this test writes and the `links.csv`/`profiles.csv` the merge
//! wrote: LTV and LTV by channels, retention and churn by month, ROPO, cross-channel
//! conversion, multi-channel use; and what the section says when the exports lack amounts.

use std::collections::{BTreeMap, BTreeSet};

use crate::{CliTest, assert_code, parse_csv};

/// One input row: source, time (`YYYY-MM-DD HH:MM:SS`, UTC), amount (0 = no purchase).
#[derive(Clone, Debug)]
struct Row {
    source: &'static str,
    time: String,
    amount: f64,
}

/// Writes three exports of 40 people (an email list, a web shop, a till) and returns every row
/// by `(source, row)`.
fn write_inputs(t: &CliTest) -> BTreeMap<(String, u64), Row> {
    let mut rows = BTreeMap::new();
    let (mut emails, mut shop, mut pos) = (
        String::from("subscriber_id,email,subscribed_at\n"),
        String::from("customer_id,email,phone,created_at,orders_total\n"),
        String::from("receipt_id,phone,amount,purchased_at\n"),
    );
    let mut add = |source: &'static str, time: String, amount: f64| {
        let n = rows.keys().filter(|(s, _)| s == source).count() as u64 + 1;
        rows.insert(
            (source.to_owned(), n),
            Row {
                source,
                time,
                amount,
            },
        );
    };
    for i in 0..40u32 {
        let email = format!("person{i}@mail.ru");
        let phone = format!("+7916555{i:04}");
        if i % 2 == 0 {
            let time = format!("2025-{:02}-{:02} 09:00:00", 1 + i % 5, 1 + i % 27);
            emails.push_str(&format!("s{i},{email},{time}\n"));
            add("email_list", time, 0.0);
        }
        if i % 3 != 0 {
            let time = format!("2025-{:02}-10 10:00:00", 1 + i % 6);
            let amount = if i % 4 == 0 {
                0.0
            } else {
                100.0 + f64::from(i) * 10.0
            };
            shop.push_str(&format!(
                "{},{email},{phone},{time},{amount:.2}\n",
                1000 + i
            ));
            add("web_shop", time, amount);
        }
        if i % 5 != 1 {
            for k in 0..1 + i % 3 {
                let time = format!("2025-{:02}-15 12:00:00", 1 + (i + k * 2) % 12);
                let amount = 50.0 + f64::from(k * 5 + i);
                pos.push_str(&format!("R{i}-{k},{phone},{amount:.2},{time}\n"));
                add("pos_receipts", time, amount);
            }
        }
    }
    t.write("in/email_list.csv", emails)
        .write("in/web_shop.csv", shop)
        .write("in/pos_receipts.csv", pos);
    rows
}

/// Per profile, its rows (from links.csv), and per profile its number of sources
/// (profiles.csv).
fn by_profile(
    t: &CliTest,
    rows: &BTreeMap<(String, u64), Row>,
) -> (BTreeMap<String, Vec<Row>>, BTreeMap<String, usize>) {
    let mut of: BTreeMap<String, Vec<Row>> = BTreeMap::new();
    for l in &parse_csv(&t.read("out/links.csv"))[1..] {
        if l[3].is_empty() {
            continue;
        }
        let row = rows[&(l[0].clone(), l[1].parse().unwrap())].clone();
        of.entry(l[3].clone()).or_default().push(row);
    }
    let sources = parse_csv(&t.read("out/profiles.csv"))[1..]
        .iter()
        .map(|p| (p[0].clone(), p[3].split('|').count()))
        .collect();
    for rows in of.values_mut() {
        rows.sort_by(|a, b| a.time.cmp(&b.time).then(a.source.cmp(b.source)));
    }
    (of, sources)
}

fn merged() -> (
    CliTest,
    BTreeMap<String, Vec<Row>>,
    BTreeMap<String, usize>,
    serde_json::Value,
) {
    let t = CliTest::new();
    let rows = write_inputs(&t);
    assert_code(&t.run(&["merge", "in", "-o", "out"]), 0);
    let (of, sources) = by_profile(&t, &rows);
    let report: serde_json::Value = serde_json::from_str(&t.read("out/report.json")).unwrap();
    (t, of, sources, report["campaign"].clone())
}

fn close(a: &serde_json::Value, b: f64) -> bool {
    (a.as_f64().unwrap() - b).abs() < 0.006
}

fn nearest_rank(sorted: &[f64], q: f64) -> f64 {
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

#[test]
fn ltv_and_ltv_by_channels_agree_with_the_inputs() {
    let (_t, of, sources, campaign) = merged();
    let mut per_buyer: Vec<f64> = Vec::new();
    let mut orders = 0;
    // channels bucket → (profiles, buyers, revenue)
    let mut buckets: BTreeMap<usize, (u64, u64, f64)> = BTreeMap::new();
    for (profile, rows) in &of {
        let bucket = buckets.entry(sources[profile].min(3)).or_default();
        bucket.0 += 1;
        let bought: Vec<f64> = rows
            .iter()
            .filter(|r| r.amount > 0.0)
            .map(|r| r.amount)
            .collect();
        if bought.is_empty() {
            continue;
        }
        orders += bought.len() as u64;
        bucket.1 += 1;
        bucket.2 += bought.iter().sum::<f64>();
        per_buyer.push(bought.iter().sum());
    }
    per_buyer.sort_by(f64::total_cmp);
    let ltv = &campaign["ltv"];
    let revenue: f64 = per_buyer.iter().sum();
    assert_eq!(ltv["buyers"].as_u64(), Some(per_buyer.len() as u64));
    assert_eq!(ltv["orders"].as_u64(), Some(orders));
    assert!(close(&ltv["mean"], revenue / per_buyer.len() as f64));
    assert!(close(&ltv["median"], nearest_rank(&per_buyer, 0.5)));
    assert!(close(&ltv["p90"], nearest_rank(&per_buyer, 0.9)));
    assert!(close(&ltv["average_order_value"], revenue / orders as f64));
    let rows = ltv["by_channels"].as_array().unwrap();
    let single = buckets[&1].2 / buckets[&1].1 as f64;
    for (i, row) in rows.iter().enumerate() {
        let (profiles, buyers, revenue) = buckets.get(&(i + 1)).copied().unwrap_or_default();
        assert_eq!(row["profiles"].as_u64(), Some(profiles), "{row}");
        assert_eq!(row["buyers"].as_u64(), Some(buyers), "{row}");
        assert!(close(&row["revenue"], revenue), "{row}");
        let uplift = if buyers > 0 {
            revenue / buyers as f64 / single
        } else {
            0.0
        };
        assert!(
            (row["uplift"].as_f64().unwrap() - uplift).abs() < 0.0001,
            "{row}"
        );
    }
    assert!(
        buckets.len() == 3,
        "the fixture has profiles in 1, 2 and 3 sources"
    );
}

#[test]
fn retention_churn_and_multichannel_use_agree_with_the_inputs() {
    let (_t, of, _, campaign) = merged();
    let month = |r: &Row| r.time[..7].to_owned();
    // month → buyers active in it; month → (active, multichannel)
    let mut active: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut used: BTreeMap<String, BTreeMap<String, BTreeSet<&str>>> = BTreeMap::new();
    for (profile, rows) in &of {
        for r in rows {
            if r.amount > 0.0 {
                active.entry(month(r)).or_default().insert(profile.clone());
            }
            used.entry(month(r))
                .or_default()
                .entry(profile.clone())
                .or_default()
                .insert(r.source);
        }
    }
    let periods = campaign["retention"]["periods"].as_array().unwrap();
    let months: Vec<&String> = active.keys().collect();
    assert_eq!(periods.len(), 12);
    let (mut kept, mut before) = (0usize, 0usize);
    for (i, row) in periods.iter().enumerate() {
        let now = &active[months[i]];
        assert_eq!(row["period"], months[i].as_str());
        assert_eq!(row["active"].as_u64(), Some(now.len() as u64));
        if i == 0 {
            continue;
        }
        let prev = &active[months[i - 1]];
        let retained = now.intersection(prev).count();
        assert_eq!(row["retained"].as_u64(), Some(retained as u64), "{row}");
        assert_eq!(
            row["lost"].as_u64(),
            Some((prev.len() - retained) as u64),
            "{row}"
        );
        kept += retained;
        before += prev.len();
    }
    let rate = kept as f64 / before as f64;
    assert!((campaign["retention"]["retention_rate"].as_f64().unwrap() - rate).abs() < 0.0001);
    assert!((campaign["retention"]["churn_rate"].as_f64().unwrap() - (1.0 - rate)).abs() < 0.0001);

    let rows = campaign["multichannel"]["periods"].as_array().unwrap();
    let (mut all, mut multi) = (0, 0);
    for row in rows {
        let profiles = &used[row["period"].as_str().unwrap()];
        let several = profiles.values().filter(|s| s.len() > 1).count();
        assert_eq!(row["active"].as_u64(), Some(profiles.len() as u64), "{row}");
        assert_eq!(row["multichannel"].as_u64(), Some(several as u64), "{row}");
        all += profiles.len();
        multi += several;
    }
    assert!(
        multi > 0,
        "the fixture has customers in two channels in one month"
    );
    let share = campaign["multichannel"]["share"].as_f64().unwrap();
    assert!((share - multi as f64 / all as f64).abs() < 0.0001);
}

#[test]
fn ropo_and_cross_channel_conversion_agree_with_the_inputs() {
    let (_t, of, _, campaign) = merged();
    let (mut offline_buyers, mut online_first) = (0, 0);
    let mut pairs: BTreeMap<(&str, &str), u64> = BTreeMap::new();
    let mut days_of: BTreeMap<(&str, &str), Vec<f64>> = BTreeMap::new();
    for rows in of.values() {
        if let Some(first) = rows
            .iter()
            .find(|r| r.source == "pos_receipts" && r.amount > 0.0)
        {
            offline_buyers += 1;
            online_first += u64::from(
                rows.iter()
                    .any(|r| r.source != "pos_receipts" && r.time < first.time),
            );
        }
        if let Some(purchase) = rows.iter().find(|r| r.amount > 0.0) {
            *pairs.entry((rows[0].source, purchase.source)).or_default() += 1;
            let days = days_between(&rows[0].time, &purchase.time);
            days_of
                .entry((rows[0].source, purchase.source))
                .or_default()
                .push(days);
        }
    }
    let ropo = &campaign["ropo"];
    assert_eq!(ropo["offline_buyers"].as_u64(), Some(offline_buyers));
    assert_eq!(ropo["online_first"].as_u64(), Some(online_first));
    assert!(online_first > 0 && online_first < offline_buyers);
    assert_eq!(ropo["offline_sources"], serde_json::json!(["pos_receipts"]));
    let got: BTreeMap<(&str, &str), u64> = campaign["cross_channel"]["pairs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            let (c, b) = (
                p["first_contact"].as_str().unwrap(),
                p["first_purchase"].as_str().unwrap(),
            );
            ((c, b), p["buyers"].as_u64().unwrap())
        })
        .collect();
    assert_eq!(got, pairs);
    let cross: u64 = pairs
        .iter()
        .filter(|((c, b), _)| c != b)
        .map(|(_, n)| n)
        .sum();
    assert_eq!(
        campaign["cross_channel"]["cross_channel"].as_u64(),
        Some(cross)
    );
    // Time to purchase per channel pair, and over every buyer.
    for p in campaign["cross_channel"]["pairs"].as_array().unwrap() {
        let key = (
            p["first_contact"].as_str().unwrap(),
            p["first_purchase"].as_str().unwrap(),
        );
        let mut days = days_of[&key].clone();
        days.sort_by(f64::total_cmp);
        let mean = days.iter().sum::<f64>() / days.len() as f64;
        assert!(close(&p["median_days"], nearest_rank(&days, 0.5)), "{p}");
        assert!(close(&p["mean_days"], mean), "{p}");
    }
    let mut all: Vec<f64> = days_of.values().flatten().copied().collect();
    all.sort_by(f64::total_cmp);
    let x = &campaign["cross_channel"];
    assert!(close(&x["median_days"], nearest_rank(&all, 0.5)), "{x}");
    assert!(
        close(&x["mean_days"], all.iter().sum::<f64>() / all.len() as f64),
        "{x}"
    );
    assert!(x["mean_days"].as_f64().unwrap() > 0.0);
}

/// Days from `a` to `b` (`YYYY-MM-DD HH:MM:SS`, UTC), from the civil calendar.
fn days_between(a: &str, b: &str) -> f64 {
    fn seconds(t: &str) -> f64 {
        let n = |r: std::ops::Range<usize>| t[r].parse::<i64>().unwrap();
        let (y, m, d) = (n(0..4), n(5..7), n(8..10));
        // Days from 1970-01-01 (Howard Hinnant's days_from_civil).
        let y = if m <= 2 { y - 1 } else { y };
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + d - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        let days = era * 146_097 + doe - 719_468;
        (days * 86_400 + n(11..13) * 3600 + n(14..16) * 60 + n(17..19)) as f64
    }
    (seconds(b) - seconds(a)) / 86_400.0
}

#[test]
fn without_amounts_the_section_says_what_is_missing() {
    let t = CliTest::new();
    t.write(
        "in/crm.csv",
        "email,created_at\na@mail.ru,2025-01-01 10:00:00\nb@mail.ru,2025-02-01 10:00:00\n",
    );
    assert_code(&t.run(&["merge", "in", "-o", "out"]), 0);
    let report: serde_json::Value = serde_json::from_str(&t.read("out/report.json")).unwrap();
    let campaign = &report["campaign"];
    assert_eq!(campaign["available"], false);
    assert!(
        campaign["missing"][0]
            .as_str()
            .unwrap()
            .contains("no record has an amount")
    );
    assert!(campaign.get("ltv").is_none() && campaign.get("retention").is_none());
    let html = t.read("out/report.html");
    assert!(
        html.contains("no record has an amount"),
        "the page says what is missing"
    );
}

#[test]
fn sources_take_their_online_offline_tag_from_the_config() {
    let t = CliTest::new();
    write_inputs(&t);
    t.write(
        "omni.toml",
        "[sources.email_list]\nchannel = \"offline\"\n\n[report]\nperiod = \"quarter\"\n",
    );
    assert_code(&t.run(&["merge", "in", "-o", "out"]), 0);
    let report: serde_json::Value = serde_json::from_str(&t.read("out/report.json")).unwrap();
    let campaign = &report["campaign"];
    let tags: Vec<(String, String, String)> = campaign["sources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            let f = |k: &str| s[k].as_str().unwrap().to_owned();
            (f("source"), f("touch"), f("from"))
        })
        .collect();
    assert!(
        tags.contains(&("email_list".into(), "offline".into(), "config".into())),
        "{tags:?}"
    );
    assert!(
        tags.contains(&("web_shop".into(), "online".into(), "name".into())),
        "{tags:?}"
    );
    assert_eq!(campaign["period"], "quarter");
    assert_eq!(campaign["retention"]["periods"][0]["period"], "2025-Q1");
}

#[test]
fn fail_on_retention_below_holds_under_the_measured_retention() {
    let t = CliTest::new();
    write_inputs(&t);
    let output = t.run(&[
        "merge",
        "in",
        "-o",
        "out",
        "--fail-on",
        "retention-below=99%",
    ]);
    assert_code(&output, 3);
    assert!(
        crate::stderr(&output).contains("retention-below=99.0%"),
        "{}",
        crate::stderr(&output)
    );
    let output = t.run(&[
        "merge",
        "in",
        "-o",
        "out",
        "--fail-on",
        "retention-below=0%",
        "--fail-on",
        "ropo-below=1%",
    ]);
    assert_code(&output, 0);
    t.write(
        "in2/crm.csv",
        "email,created_at\na@mail.ru,2025-01-01 10:00:00\n",
    );
    let output = t.run(&[
        "merge",
        "in2",
        "-o",
        "out2",
        "--fail-on",
        "retention-below=1%",
    ]);
    assert_code(&output, 3);
    assert!(
        crate::stderr(&output).contains("cannot be measured"),
        "{}",
        crate::stderr(&output)
    );
}

/// `--fail-on ltv-drop=P%` compares the mean LTV with the previous run's: forty new buyers of
/// one cheap receipt each pull it down by more than 10% and less than 99%.
#[test]
fn fail_on_ltv_drop_holds_when_the_mean_ltv_falls_since_the_previous_run() {
    let t = CliTest::new();
    write_inputs(&t);
    let first = t.run(&["merge", "in", "-o", "out", "--state", "st"]);
    assert_code(&first, 0);
    let before: serde_json::Value = serde_json::from_str(&t.read("out/report.json")).unwrap();
    let mut cheap = String::from("receipt_id,phone,amount,purchased_at\n");
    for i in 0..40u32 {
        cheap.push_str(&format!("C{i},+7926777{i:04},1.00,2025-06-20 12:00:00\n"));
    }
    t.write("in/pos_cheap.csv", cheap);
    let args = ["merge", "in", "-o", "out", "--state", "st", "--fail-on"];
    let mut held = args.to_vec();
    held.push("ltv-drop=10%");
    let output = t.run(&held);
    assert_code(&output, 3);
    let after: serde_json::Value = serde_json::from_str(&t.read("out/report.json")).unwrap();
    let (b, a) = (
        before["campaign"]["ltv"]["mean"].as_f64().unwrap(),
        after["campaign"]["ltv"]["mean"].as_f64().unwrap(),
    );
    let drop = (b - a) / b;
    assert!(drop > 0.1 && drop < 0.99, "{b} -> {a}");
    let err = crate::stderr(&output);
    let expected = format!(
        "mean LTV fell from {b:.2} to {a:.2} ({:.1}%) since the previous run (ltv-drop=10.0%)",
        -drop * 100.0
    );
    assert!(err.contains(&expected), "{err}");
    // The same run again: nothing moved, nothing holds.
    assert_code(&t.run(&held), 0);
    // Without --state the condition is a usage error.
    let output = t.run(&["merge", "in", "-o", "out2", "--fail-on", "ltv-drop=10%"]);
    assert_code(&output, 2);
}

#[test]
fn with_state_the_next_run_shows_how_each_campaign_figure_moved() {
    let t = CliTest::new();
    write_inputs(&t);
    assert_code(&t.run(&["merge", "in", "-o", "out", "--state", "st"]), 0);
    let first: serde_json::Value = serde_json::from_str(&t.read("out/report.json")).unwrap();
    // New receipts of known customers in a month nobody bought in yet.
    let mut extra = String::from("receipt_id,phone,amount,purchased_at\n");
    for i in [2u32, 3, 4, 5] {
        extra.push_str(&format!("X{i},+7916555{i:04},999.00,2026-01-20 12:00:00\n"));
    }
    t.write("in/pos_extra.csv", extra);
    let output = t.run(&["merge", "in", "-o", "out", "--state", "st"]);
    assert_code(&output, 0);
    let second: serde_json::Value = serde_json::from_str(&t.read("out/report.json")).unwrap();
    let changes = second["since_previous"]["campaign"].as_array().unwrap();
    let names: Vec<&str> = changes
        .iter()
        .map(|c| c["metric"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"ltv_mean") && names.contains(&"retention_rate"),
        "{names:?}"
    );
    assert_eq!(
        names.len(),
        12,
        "every figure is measured in both runs: {names:?}"
    );
    for change in changes {
        let field = match change["metric"].as_str().unwrap() {
            "ltv_mean" => ("ltv", "mean"),
            "ltv_median" => ("ltv", "median"),
            "average_order_value" => ("ltv", "average_order_value"),
            "orders_per_buyer" => ("ltv", "orders_per_buyer"),
            "mean_span_days" => ("ltv", "mean_span_days"),
            "ltv_uplift" => ("ltv", "uplift"),
            "retention_rate" => ("retention", "retention_rate"),
            "churn_rate" => ("retention", "churn_rate"),
            "ropo_share" => ("ropo", "share"),
            "cross_channel_share" => ("cross_channel", "share"),
            "median_days_to_purchase" => ("cross_channel", "median_days"),
            "multichannel_share" => ("multichannel", "share"),
            other => panic!("unknown metric {other}"),
        };
        // The uplift is the last row of LTV by channels (the most channels).
        let value = |r: &serde_json::Value| match field {
            ("ltv", "uplift") => r["campaign"]["ltv"]["by_channels"]
                .as_array()
                .unwrap()
                .last()
                .unwrap()["uplift"]
                .as_f64()
                .unwrap(),
            (section, name) => r["campaign"][section][name].as_f64().unwrap(),
        };
        assert_eq!(change["before"].as_f64(), Some(value(&first)), "{change}");
        assert_eq!(change["after"].as_f64(), Some(value(&second)), "{change}");
        let is_share = field.1.ends_with("share") || field.1.ends_with("_rate");
        let scale = if is_share { 100.0 } else { 1.0 };
        let expected = (value(&second) - value(&first)) * scale;
        assert!(
            (change["change"].as_f64().unwrap() - expected).abs() < 0.006,
            "{change}"
        );
    }
    assert!(second["campaign"]["ltv"]["mean"] != first["campaign"]["ltv"]["mean"]);
    assert!(
        crate::stdout(&output).contains("since the previous run: LTV"),
        "{}",
        crate::stdout(&output)
    );
    assert!(
        t.read("out/report.html")
            .contains("<h3>Since the previous run</h3>")
    );
}
