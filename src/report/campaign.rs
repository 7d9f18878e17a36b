//! Campaign metrics (issue 18): placeholder types for the config, filled in next.

use serde::{Deserialize, Serialize};

/// `online` or `offline`: where a source's contacts and purchases happen.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Touch {
    /// Web shop, app, email.
    Online,
    /// Stores, tills, receipts.
    Offline,
}

/// The period of retention and multi-channel metrics.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Period {
    /// Calendar months.
    #[default]
    Month,
    /// Calendar quarters.
    Quarter,
}

/// `[report]` as written.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ReportSection {
    /// `month` (default) or `quarter`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub period: Option<Period>,
}

impl ReportSection {
    /// True when nothing is set.
    pub fn is_unset(&self) -> bool {
        self.period.is_none()
    }
}
