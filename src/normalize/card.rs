//! Loyalty card normalization. (stub: contract only; to be implemented)
use crate::reject::RejectReason;

/// Card rules from config.
#[derive(Clone, Debug, Default)]
pub struct CardRules {
    /// Extra programme prefixes to strip (case-insensitive), on top of the built-in ones.
    pub strip_prefixes: Vec<String>,
}

/// Card normalizer.
#[derive(Clone, Debug)]
pub struct CardNormalizer {
    rules: CardRules,
}

impl CardNormalizer {
    /// Builds a normalizer from its rules.
    pub fn new(rules: CardRules) -> Self {
        CardNormalizer { rules }
    }

    /// `raw` is non-empty after trimming.
    pub fn normalize(&self, raw: &str) -> Result<String, RejectReason> {
        let _ = (&self.rules, raw);
        unimplemented!("card normalizer")
    }
}
