//! Email canonicalization. (stub: contract only; to be implemented)
use crate::reject::RejectReason;

/// Rules for folding provider aliases, built from config.
#[derive(Clone, Debug)]
pub struct EmailRules {
    /// Fold provider aliases at all (gmail dots and `+tags`, yandex domains, ...). Default true.
    pub fold_aliases: bool,
    /// Extra `alias domain -> canonical domain` pairs from config, on top of the built-in table.
    pub extra_domain_aliases: Vec<(String, String)>,
}

impl Default for EmailRules {
    fn default() -> Self {
        EmailRules {
            fold_aliases: true,
            extra_domain_aliases: Vec::new(),
        }
    }
}

/// Canonical email normalizer.
#[derive(Clone, Debug)]
pub struct EmailNormalizer {
    rules: EmailRules,
}

impl EmailNormalizer {
    /// Builds a normalizer from its rules.
    pub fn new(rules: EmailRules) -> Self {
        EmailNormalizer { rules }
    }

    /// `raw` is non-empty after trimming. Returns the canonical address or why it was rejected.
    pub fn normalize(&self, raw: &str) -> Result<String, RejectReason> {
        let _ = (&self.rules, raw);
        unimplemented!("email normalizer")
    }
}
