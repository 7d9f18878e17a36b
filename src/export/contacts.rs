//! The best contact of a profile on a channel, by one documented rule (docs/export.md):
//!
//! 1. candidates are the profile's values of the channel's kind, as `profiles.csv` lists them:
//!    already valid and canonical (the merge rejected invalid ones) and not generic (the merge
//!    left shared values, such as a store phone, out of every profile);
//! 2. suppressed values are dropped (`--suppress`);
//! 3. role mailboxes (`info@`, `sales@`, `noreply@`, ...) are dropped: they reach a desk, not
//!    the person;
//! 4. of the rest, the value that joined records from the most sources wins (`edges.csv`: a
//!    contact the customer gave in several channels is the one they use);
//! 5. ties go to the smallest value, so the choice is the same on every run;
//! 6. in a send list or a cascade column, a value already given to an earlier profile (a family
//!    mailbox kept in two people's profiles) is skipped for the next one, so no contact gets
//!    the same message twice ([`Picker`]).
//!
//! The out dir records no date per value, so "most recent" cannot be ranked here; it would need
//! the merge to write each value's last-seen time.

use super::outdir::{Evidence, ExportProfile};
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
    let mut ranked: Vec<(usize, &str)> = values
        .into_iter()
        .filter(|v| !suppression.contains(v))
        .filter(|v| !(*key == ChannelKey::Email && is_role_mailbox(v)))
        .map(|v| {
            let sources = evidence
                .get(&(kind.clone(), v.to_owned()))
                .map_or(0, |s| s.len());
            (sources, v)
        })
        .collect();
    ranked.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(b.1)));
    ranked.into_iter().map(|(_, v)| v).collect()
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

    #[test]
    fn the_value_used_in_most_sources_wins_then_the_smallest() {
        let profile = ExportProfile {
            emails: vec![
                "a@x.ru".into(),
                "b@x.ru".into(),
                "info@x.ru".into(),
                "c@x.ru".into(),
            ],
            ..ExportProfile::default()
        };
        let mut evidence = Evidence::new();
        let key = |v: &str| ("email".to_owned(), v.to_owned());
        evidence.insert(key("b@x.ru"), ["shop".into(), "app".into()].into());
        evidence.insert(key("c@x.ru"), ["shop".into()].into());
        evidence.insert(
            key("info@x.ru"),
            ["shop".into(), "app".into(), "pos".into()].into(),
        );
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
}
