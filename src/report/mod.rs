//! The match-rate report: every metric of DESIGN.md §5 computed once into a serde struct.
//!
//! `metrics::compute` is pure (records, profiles, clusters in; [`Report`] out); the JSON file
//! and the terminal summary are renderings of the same struct, so they cannot disagree. Floats
//! are rounded to 4 decimals here so that snapshots are stable. See docs/report.md for the
//! field-by-field definitions.

pub mod blocked;
pub mod campaign;
pub mod changes;
pub mod guards;
pub mod html;
pub mod markdown;
pub mod metrics;
pub mod transactions;

pub use metrics::{Report, compute};

/// Version of the report.json layout; bumped on any incompatible change.
pub const SCHEMA_VERSION: u32 = 1;

/// Rounds to 4 decimals (shares) so the JSON is stable across platforms and runs.
pub fn round4(x: f64) -> f64 {
    if x.is_finite() {
        (x * 10_000.0).round() / 10_000.0
    } else {
        0.0
    }
}

/// Rounds to 2 decimals (money).
pub fn round2(x: f64) -> f64 {
    if x.is_finite() {
        (x * 100.0).round() / 100.0
    } else {
        0.0
    }
}

/// `part / whole`, 0 when `whole` is 0, rounded.
pub fn share(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        round4(part as f64 / whole as f64)
    }
}
