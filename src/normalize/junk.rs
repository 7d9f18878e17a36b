//! The blocklist of junk identifier values. (stub)
use super::Kind;

/// Junk values that never link; built-in list plus config additions.
#[derive(Clone, Debug, Default)]
pub struct Blocklist {
    extra: Vec<String>,
}

impl Blocklist {
    /// Built-in list plus `extra` raw values from config (normalized by the caller's kind rules
    /// where possible, compared case-insensitively otherwise).
    pub fn new(extra: Vec<String>) -> Self {
        Blocklist { extra }
    }

    /// True if the canonical value of `kind` is junk.
    pub fn is_junk(&self, kind: Kind, canonical: &str) -> bool {
        let _ = (&self.extra, kind, canonical);
        unimplemented!("blocklist")
    }
}
