//! Id namespace values (e.g. a CRM customer id): linked as-is, trimmed. (stub)
use crate::reject::RejectReason;

/// `raw` is non-empty after trimming.
pub fn normalize(raw: &str) -> Result<String, RejectReason> {
    let _ = raw;
    unimplemented!("id normalizer")
}
