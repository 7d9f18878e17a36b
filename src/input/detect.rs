//! Column-role detection: header names (English and Russian synonyms) confirmed by content.
//! (stub: contract only; to be implemented)

use serde::{Deserialize, Serialize};

/// What a column means to omni.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Role {
    /// An email address (links).
    Email,
    /// A phone number (links).
    Phone,
    /// A loyalty card number (links).
    Card,
    /// A value in a named id namespace, e.g. `id:crm` (links, only when configured).
    Id(String),
    /// The source's own record key (customer_id, user_id, subscriber id, ...); does not link.
    Key,
    /// Given name.
    FirstName,
    /// Family name.
    LastName,
    /// Patronymic / middle name.
    MiddleName,
    /// Full name in one column (`ФИО`, `name`, `customer name`).
    FullName,
    /// Country or locale of the row (`RU`, `ru_RU`, `Россия`): the phone region for that row.
    Country,
    /// A date or time (created, updated, purchase date, ...).
    Timestamp,
    /// A money amount (order total, purchase sum).
    Amount,
    /// Read but not used.
    Ignore,
}

impl Role {
    /// The config spelling: `email`, `phone`, `card`, `id:<ns>`, `key`, `first_name`,
    /// `last_name`, `middle_name`, `full_name`, `country`, `timestamp`, `amount`, `ignore`.
    pub fn as_config(&self) -> String {
        unimplemented!("Role::as_config")
    }

    /// Parses the config spelling (also accepts `name` for `full_name`).
    pub fn parse(s: &str) -> Result<Role, String> {
        let _ = s;
        unimplemented!("Role::parse")
    }

    /// True for roles whose values link records.
    pub fn is_identifier(&self) -> bool {
        matches!(self, Role::Email | Role::Phone | Role::Card | Role::Id(_))
    }
}

/// A column's detected role and why.
#[derive(Clone, Debug, PartialEq)]
pub struct Detection {
    /// The role.
    pub role: Role,
    /// A short human reason: `header "E-mail"`, `content: 97% emails`, `config`.
    pub why: String,
}

/// Detects the role of every column from its header and up to a few hundred sample rows.
/// Header synonyms decide first; content confirms (an "email" header whose values are mostly
/// phones becomes Phone) and fills in unnamed or unknown columns. At most one column gets `Key`.
pub fn detect(headers: &[String], sample: &[Vec<String>]) -> Vec<Detection> {
    let _ = (headers, sample);
    unimplemented!("detect")
}
