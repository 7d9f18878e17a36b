//! Send lists (one per channel) and the channel cascade, from the selected profiles.
//!
//! A send list has one row per profile that the channel reaches: `profile_id`, the name, the
//! name to greet, and the best contact (`contacts::Picker`). A profile is one row, so the same
//! person is never messaged twice from one list, however many records or addresses they have;
//! and a contact is in one row only, so a shared family mailbox gets one message.
//!
//! The cascade has one row per selected profile that any cascade channel reaches: the channel a
//! campaign sends first (the first reachable in the configured order), its contact, the
//! fallbacks in order, and one column per cascade channel with its best contact (empty when the
//! channel cannot reach the profile).

use std::io::Write;

use super::contacts::{Picker, greeting};
use super::outdir::{Evidence, ExportProfile};
use super::settings::{Channel, ExportSettings};
use super::suppress::Suppression;

/// Rows of one send list.
#[derive(Clone, Debug, PartialEq)]
pub struct ListCount {
    /// Channel name (also the file stem).
    pub channel: String,
    /// Profiles in the list.
    pub profiles: u64,
}

/// One cascade step's counts.
#[derive(Clone, Debug, PartialEq)]
pub struct StepCount {
    /// Channel name.
    pub channel: String,
    /// Profiles whose first reachable channel this is (the step sends to them).
    pub first: u64,
    /// Profiles this channel reaches at all.
    pub reachable: u64,
}

/// What the cascade holds.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CascadeCount {
    /// Per step, in cascade order.
    pub steps: Vec<StepCount>,
    /// Selected profiles no cascade channel reaches (not in the file).
    pub unreachable: u64,
}

impl CascadeCount {
    fn new(steps: &[&Channel]) -> CascadeCount {
        let step = |c: &&Channel| StepCount {
            channel: c.name.clone(),
            first: 0,
            reachable: 0,
        };
        CascadeCount {
            steps: steps.iter().map(step).collect(),
            unreachable: 0,
        }
    }
}

/// Writes the send list of `channel` and returns its row count.
pub fn write_send_list(
    out: impl Write,
    channel: &Channel,
    profiles: &[&ExportProfile],
    evidence: &Evidence,
    suppression: &Suppression,
) -> anyhow::Result<ListCount> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record(["profile_id", "name", "greeting", channel.key.column()])?;
    let mut rows = 0;
    let mut picker = Picker::default();
    for p in profiles {
        if let Some(contact) = picker.pick(p, &channel.key, evidence, suppression) {
            w.write_record([p.id.as_str(), &p.name, greeting(&p.name), contact])?;
            rows += 1;
        }
    }
    w.flush()?;
    Ok(ListCount {
        channel: channel.name.clone(),
        profiles: rows,
    })
}

/// Writes the cascade and returns its counts.
pub fn write_cascade(
    out: impl Write,
    settings: &ExportSettings,
    profiles: &[&ExportProfile],
    evidence: &Evidence,
    suppression: &Suppression,
) -> anyhow::Result<CascadeCount> {
    let steps: Vec<&Channel> = settings
        .cascade
        .iter()
        .map(|name| {
            settings
                .channel(name)
                .expect("cascade steps are validated to be channels")
        })
        .collect();
    let mut w = csv::Writer::from_writer(out);
    w.write_record(cascade_header(&steps))?;
    let mut count = CascadeCount::new(&steps);
    let mut pickers: Vec<Picker> = steps.iter().map(|_| Picker::default()).collect();
    for p in profiles {
        let contacts: Vec<Option<&str>> = steps
            .iter()
            .zip(&mut pickers)
            .map(|(c, picker)| picker.pick(p, &c.key, evidence, suppression))
            .collect();
        let Some(first) = contacts.iter().position(Option::is_some) else {
            count.unreachable += 1;
            continue;
        };
        count.steps[first].first += 1;
        for (step, contact) in count.steps.iter_mut().zip(&contacts) {
            step.reachable += u64::from(contact.is_some());
        }
        let fallbacks: Vec<&str> = steps[first + 1..]
            .iter()
            .zip(&contacts[first + 1..])
            .filter(|(_, c)| c.is_some())
            .map(|(s, _)| s.name.as_str())
            .collect();
        let number = (first + 1).to_string();
        let mut row = vec![p.id.as_str(), &p.name, greeting(&p.name), &number];
        let fallbacks = fallbacks.join("|");
        row.extend([steps[first].name.as_str(), contacts[first].unwrap_or("")]);
        row.push(&fallbacks);
        row.extend(contacts.iter().map(|c| c.unwrap_or("")));
        w.write_record(&row)?;
    }
    w.flush()?;
    Ok(count)
}

/// `profile_id,name,greeting,step,first_channel,first_contact,fallbacks,<channel>...`.
fn cascade_header<'a>(steps: &[&'a Channel]) -> Vec<&'a str> {
    let mut header = vec!["profile_id", "name", "greeting", "step", "first_channel"];
    header.extend(["first_contact", "fallbacks"]);
    header.extend(steps.iter().map(|c| c.name.as_str()));
    header
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::export::settings::ExportSection;

    fn person(id: &str, emails: &[&str], phones: &[&str]) -> ExportProfile {
        ExportProfile {
            id: id.into(),
            name: "Ivan Petrov".into(),
            emails: emails.iter().map(|s| s.to_string()).collect(),
            phones: phones.iter().map(|s| s.to_string()).collect(),
            ..ExportProfile::default()
        }
    }

    fn rows(bytes: &[u8]) -> Vec<Vec<String>> {
        csv::Reader::from_reader(bytes)
            .records()
            .map(|r| r.unwrap().iter().map(str::to_owned).collect())
            .collect()
    }

    #[test]
    fn the_first_reachable_channel_is_sent_and_the_rest_are_fallbacks() {
        let settings: ExportSection = toml::from_str(
            "cascade = [\"email\", \"viber\", \"sms\"]\n[channels]\nviber = \"phone\"\n",
        )
        .unwrap();
        let settings = settings.validate().unwrap();
        let a = person("P1", &["a@x.ru"], &["+79160000001"]);
        let b = person("P2", &[], &["+79160000002"]);
        let c = person("P3", &["info@x.ru"], &[]);
        let d = person("P4", &["d@x.ru"], &["+79160000004"]);
        let suppression = Suppression::from_values(["d@x.ru".to_owned()]);
        let mut out = Vec::new();
        let count = write_cascade(
            &mut out,
            &settings,
            &[&a, &b, &c, &d],
            &Evidence::new(),
            &suppression,
        )
        .unwrap();
        let got = rows(&out);
        assert_eq!(got.len(), 3, "{got:?}");
        assert_eq!(got[0][3..7], ["1", "email", "a@x.ru", "viber|sms"]);
        assert_eq!(got[1][3..7], ["2", "viber", "+79160000002", "sms"]);
        // The suppressed email falls through to the messenger.
        assert_eq!(got[2][0], "P4");
        assert_eq!(got[2][3..7], ["2", "viber", "+79160000004", "sms"]);
        let firsts: Vec<u64> = count.steps.iter().map(|s| s.first).collect();
        let reach: Vec<u64> = count.steps.iter().map(|s| s.reachable).collect();
        assert_eq!(
            (firsts, reach, count.unreachable),
            (vec![1, 2, 0], vec![1, 3, 3], 1)
        );
    }
}
