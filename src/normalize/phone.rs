//! Phone normalization to E.164. (stub: contract only; to be implemented)
use crate::reject::RejectReason;

/// Phone normalizer with a default region.
#[derive(Clone, Debug)]
pub struct PhoneNormalizer {
    default_region: Option<String>,
}

impl PhoneNormalizer {
    /// `default_region`: ISO 3166 alpha-2 code (e.g. "RU") for numbers written without `+`.
    pub fn new(default_region: Option<&str>) -> anyhow::Result<Self> {
        Ok(PhoneNormalizer {
            default_region: default_region.map(str::to_owned),
        })
    }

    /// Normalizes one raw value (non-empty after trim). `row_region` is a per-row country or
    /// locale value (`RU`, `ru_RU`, `Russia`, `Россия`, ...) that overrides the default region.
    pub fn normalize(&self, raw: &str, row_region: Option<&str>) -> Result<String, RejectReason> {
        let _ = (&self.default_region, raw, row_region);
        unimplemented!("phone normalizer")
    }
}
