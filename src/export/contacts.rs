//! The best contact of a profile on a channel, by one documented rule (docs/export.md):
//!
//! 1. candidates are the profile's values of the channel's kind, as `profiles.csv` lists them:
//!    already valid and canonical (the merge rejected invalid ones) and not generic (the merge
//!    left shared values, such as a store phone, out of every profile);
//! 2. suppressed values are dropped (`--suppress`);
//! 3. role mailboxes (`info@`, `sales@`, `noreply@`, ...) are dropped: they reach a desk, not
//!    the person;
//! 4. of the rest, the most recent wins: the value whose records were seen last
//!    (`contacts.csv`'s `last_seen`, the latest timestamp of the profile's records holding it;
//!    a value without a date comes after every dated one): people change addresses, and the
//!    one they gave last is the one they read;
//! 5. then the value held by records of the most sources (a contact the customer gave in
//!    several channels is the one they use);
//! 6. then the smallest value, so the choice is the same on every run;
//! 7. in a send list or a cascade column, a value already given to an earlier profile (a family
//!    mailbox kept in two people's profiles) is skipped for the next one, so no contact gets
//!    the same message twice ([`Picker`]).
//!
//! Out dirs written before `contacts.csv` existed have no dates: rule 4 then ranks nothing and
//! rule 5 counts the sources joined through the value in `edges.csv` ([`Evidence`]).

use super::outdir::{Evidence, ExportProfile, Seen};
use super::settings::ChannelKey;
use super::suppress::Suppression;

/// Local parts of shared role mailboxes.
const ROLE_MAILBOXES: [&str; 16] = [
    "admin",
    "billing",
    "contact",
    "hello",
    "help",
    "info",
    "mail",
    "marketing",
    "no-reply",
    "noreply",
    "office",
    "orders",
    "postmaster",
    "sales",
    "support",
    "team",
];

/// Whether an email is a role mailbox (`info@shop.ru`).
pub fn is_role_mailbox(email: &str) -> bool {
    email
        .split_once('@')
        .is_some_and(|(local, _)| ROLE_MAILBOXES.contains(&local))
}

/// The values of a profile that can reach it on a channel of this kind, best first.
pub fn ranked<'a>(
    profile: &'a ExportProfile,
    key: &ChannelKey,
    evidence: &Evidence,
    suppression: &Suppression,
) -> Vec<&'a str> {
    let (kind, values): (String, Vec<&str>) = match key {
        ChannelKey::Email => ("email".into(), strs(&profile.emails)),
        ChannelKey::Phone => ("phone".into(), strs(&profile.phones)),
        ChannelKey::Id(ns) => (
            format!("id:{ns}"),
            profile
                .ids
                .iter()
                .filter(|(n, _)| n == ns)
                .map(|(_, v)| v.as_str())
                .collect(),
        ),
    };
    let mut ranked: Vec<(Option<&Seen>, &str)> = values
        .into_iter()
        .filter(|v| !suppression.contains(v))
        .filter(|v| !(*key == ChannelKey::Email && is_role_mailbox(v)))
        .map(|v| (evidence.get(&profile.id, &kind, v), v))
        .collect();
    ranked.sort_by(|(a, x), (b, y)| {
        last_seen(*b)
            .cmp(last_seen(*a))
            .then(sources(*b).cmp(&sources(*a)))
            .then(x.cmp(y))
    });
    ranked.into_iter().map(|(_, v)| v).collect()
}

/// When a value was last seen; empty (before every date) when unknown.
fn last_seen(seen: Option<&Seen>) -> &str {
    seen.map_or("", |s| s.last_seen.as_str())
}

/// The sources that hold a value; 0 when unknown.
fn sources(seen: Option<&Seen>) -> usize {
    seen.map_or(0, |s| s.sources)
}

/// The best value (see the module doc), if any.
pub fn best<'a>(
    profile: &'a ExportProfile,
    key: &ChannelKey,
    evidence: &Evidence,
    suppression: &Suppression,
) -> Option<&'a str> {
    ranked(profile, key, evidence, suppression)
        .into_iter()
        .next()
}

/// Picks contacts for one list, never the same value twice.
#[derive(Debug, Default)]
pub struct Picker {
    used: std::collections::HashSet<String>,
}

impl Picker {
    /// The best value of `profile` on a channel of this kind not yet given to another profile.
    pub fn pick<'a>(
        &mut self,
        profile: &'a ExportProfile,
        key: &ChannelKey,
        evidence: &Evidence,
        suppression: &Suppression,
    ) -> Option<&'a str> {
        let value = ranked(profile, key, evidence, suppression)
            .into_iter()
            .find(|v| !self.used.contains(*v))?;
        self.used.insert(value.to_owned());
        Some(value)
    }
}

fn strs(values: &[String]) -> Vec<&str> {
    values.iter().map(String::as_str).collect()
}

/// The name to greet: the first word of the profile's name (`Алина Климова` → `Алина`).
pub fn greeting(name: &str) -> &str {
    name.split_whitespace().next().unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seen(sources: usize, last_seen: &str) -> Seen {
        Seen {
            sources,
            last_seen: last_seen.to_owned(),
        }
    }

    #[test]
    fn the_value_used_in_most_sources_wins_then_the_smallest() {
        let profile = ExportProfile {
            id: "P1".into(),
            emails: vec![
                "a@x.ru".into(),
                "b@x.ru".into(),
                "info@x.ru".into(),
                "c@x.ru".into(),
            ],
            ..ExportProfile::default()
        };
        let mut evidence = Evidence::new();
        evidence.insert("P1", "email", "b@x.ru", seen(2, ""));
        evidence.insert("P1", "email", "c@x.ru", seen(1, ""));
        evidence.insert("P1", "email", "info@x.ru", seen(3, ""));
        // Another profile's evidence on the same value changes nothing here.
        evidence.insert("P2", "email", "a@x.ru", seen(5, "2026-01-01"));
        let none = Suppression::default();
        let got = ranked(&profile, &ChannelKey::Email, &evidence, &none);
        assert_eq!(got, ["b@x.ru", "c@x.ru", "a@x.ru"]);
        let suppressed = Suppression::from_values(["b@x.ru".to_owned()]);
        let got = best(&profile, &ChannelKey::Email, &evidence, &suppressed);
        assert_eq!(got, Some("c@x.ru"));
        let mut picker = Picker::default();
        let picked =
            |picker: &mut Picker| picker.pick(&profile, &ChannelKey::Email, &evidence, &none);
        assert_eq!(picked(&mut picker), Some("b@x.ru"));
        assert_eq!(picked(&mut picker), Some("c@x.ru"));
        assert_eq!(greeting("Алина Климова"), "Алина");
        assert_eq!(greeting(""), "");
    }

    /// A phone last seen in March beats one seen in more sources but last in January; an
    /// undated value comes last; equal dates fall back to the sources, then the text.
    #[test]
    fn the_most_recent_value_wins_before_the_most_sources() {
        let profile = ExportProfile {
            id: "P1".into(),
            phones: vec![
                "+79160000001".into(),
                "+79160000002".into(),
                "+79160000003".into(),
                "+79160000004".into(),
                "+79160000005".into(),
            ],
            ..ExportProfile::default()
        };
        let mut evidence = Evidence::new();
        evidence.insert(
            "P1",
            "phone",
            "+79160000001",
            seen(3, "2026-01-10 09:00:00"),
        );
        evidence.insert(
            "P1",
            "phone",
            "+79160000002",
            seen(1, "2026-03-02 18:30:00"),
        );
        evidence.insert("P1", "phone", "+79160000003", seen(9, ""));
        evidence.insert(
            "P1",
            "phone",
            "+79160000004",
            seen(2, "2026-01-10 09:00:00"),
        );
        evidence.insert(
            "P1",
            "phone",
            "+79160000005",
            seen(3, "2026-01-10 09:00:00"),
        );
        let got = ranked(
            &profile,
            &ChannelKey::Phone,
            &evidence,
            &Suppression::default(),
        );
        assert_eq!(
            got,
            [
                "+79160000002",
                "+79160000001",
                "+79160000005",
                "+79160000004",
                "+79160000003"
            ]
        );
    }
}
