//! `[export]` in omni.toml: the channel cascade and the channels beyond email and SMS.
//!
//! A channel is a name and the kind of identifier that reaches a person on it: `email` (an
//! email), `sms` and `phone` (a phone), and whatever the config adds (`viber = "phone"`,
//! `push = "id:app"`). The cascade is the order a campaign tries them in. Validated once here;
//! `omni export` reads only [`ExportSettings`].

use std::collections::BTreeMap;

use anyhow::bail;
use serde::{Deserialize, Serialize};

/// The default cascade: email first, then SMS (messengers need a config line).
pub const DEFAULT_CASCADE: [&str; 2] = ["email", "sms"];

/// `[export]` as written.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ExportSection {
    /// Channel order of the cascade, e.g. `["email", "viber", "sms"]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cascade: Option<Vec<String>>,
    /// Extra channels: name → identifier kind (`phone`, `email` or `id:<namespace>`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub channels: BTreeMap<String, String>,
}

impl ExportSection {
    /// True when nothing is set (the section is left out of a written config).
    pub fn is_unset(&self) -> bool {
        self.cascade.is_none() && self.channels.is_empty()
    }

    /// Checks names and kinds; every cascade step must be a known channel.
    pub fn validate(self) -> anyhow::Result<ExportSettings> {
        let mut channels: Vec<Channel> = ["email", "sms", "phone"]
            .iter()
            .map(|&name| Channel {
                name: name.to_owned(),
                key: if name == "email" {
                    ChannelKey::Email
                } else {
                    ChannelKey::Phone
                },
            })
            .collect();
        for (name, kind) in self.channels {
            if !is_channel_name(&name) {
                bail!("channel \"{name}\": use lowercase letters, digits, `_` and `-`");
            }
            let key = ChannelKey::parse(&kind)
                .ok_or_else(|| anyhow::anyhow!("channels.{name} = \"{kind}\": the kind must be `email`, `phone` or `id:<namespace>`"))?;
            match channels.iter_mut().find(|c| c.name == name) {
                Some(c) => c.key = key,
                None => channels.push(Channel { name, key }),
            }
        }
        let cascade = self
            .cascade
            .unwrap_or_else(|| DEFAULT_CASCADE.map(str::to_owned).to_vec());
        if cascade.is_empty() {
            bail!("cascade is empty: name at least one channel");
        }
        for (i, step) in cascade.iter().enumerate() {
            if !channels.iter().any(|c| &c.name == step) {
                bail!(
                    "cascade step \"{step}\" is no channel (known: {}; add one under [export.channels])",
                    channels
                        .iter()
                        .map(|c| c.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                );
            }
            if cascade[..i].contains(step) {
                bail!("cascade names \"{step}\" twice");
            }
        }
        Ok(ExportSettings { channels, cascade })
    }
}

fn is_channel_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
}

/// The identifier kind that reaches a person on a channel.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChannelKey {
    /// An email address.
    Email,
    /// A phone number (SMS, messengers keyed by phone).
    Phone,
    /// An id of a namespace (`id:app` for push by app user id).
    Id(String),
}

impl ChannelKey {
    fn parse(kind: &str) -> Option<ChannelKey> {
        match kind {
            "email" => Some(ChannelKey::Email),
            "phone" => Some(ChannelKey::Phone),
            _ => kind
                .strip_prefix("id:")
                .filter(|ns| !ns.is_empty())
                .map(|ns| ChannelKey::Id(ns.to_owned())),
        }
    }

    /// The column name of the contact in a send list (`email`, `phone`, `id:<ns>` → `<ns>`).
    pub fn column(&self) -> &str {
        match self {
            ChannelKey::Email => "email",
            ChannelKey::Phone => "phone",
            ChannelKey::Id(ns) => ns,
        }
    }
}

/// One channel.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Channel {
    /// Name (`email`, `sms`, `viber`, ...), also the send list's file stem.
    pub name: String,
    /// What reaches a person on it.
    pub key: ChannelKey,
}

/// Validated `[export]`.
#[derive(Clone, Debug)]
pub struct ExportSettings {
    /// Every channel: the built-in `email`, `sms`, `phone`, then the configured ones.
    pub channels: Vec<Channel>,
    /// Cascade order, by channel name.
    pub cascade: Vec<String>,
}

impl Default for ExportSettings {
    fn default() -> Self {
        ExportSection::default()
            .validate()
            .expect("the built-in channels make a valid cascade")
    }
}

impl ExportSettings {
    /// The channel of that name (validated to exist for every cascade step).
    pub fn channel(&self, name: &str) -> Option<&Channel> {
        self.channels.iter().find(|c| c.name == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn section(text: &str) -> ExportSection {
        toml::from_str(text).unwrap()
    }

    #[test]
    fn a_messenger_keyed_by_phone_joins_the_cascade() {
        let s = section("cascade = [\"email\", \"viber\", \"sms\"]\n[channels]\nviber = \"phone\"\npush = \"id:app\"\n")
            .validate()
            .unwrap();
        assert_eq!(s.cascade, ["email", "viber", "sms"]);
        assert_eq!(s.channel("viber").unwrap().key, ChannelKey::Phone);
        assert_eq!(s.channel("push").unwrap().key, ChannelKey::Id("app".into()));
    }

    #[test]
    fn unknown_steps_bad_kinds_and_repeats_are_refused() {
        let err = |t: &str| section(t).validate().unwrap_err().to_string();
        assert!(err("cascade = [\"email\", \"viber\"]").contains("\"viber\" is no channel"));
        assert!(err("[channels]\nfax = \"card\"").contains("the kind must be"));
        assert!(err("cascade = [\"sms\", \"sms\"]").contains("twice"));
        assert!(err("cascade = []").contains("empty"));
    }

    #[test]
    fn the_default_cascade_is_email_then_sms() {
        assert_eq!(ExportSettings::default().cascade, ["email", "sms"]);
    }
}
