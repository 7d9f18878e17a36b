//! Timestamps for survivorship and first/last seen. (stub)

/// Parses a date or date-time in the formats exports use into seconds since the Unix epoch (UTC,
/// or local time taken as UTC). `None` when the value is not a recognisable date.
pub fn parse_timestamp(raw: &str) -> Option<i64> {
    let _ = raw;
    unimplemented!("timestamp parser")
}

/// Formats seconds since the epoch as `YYYY-MM-DD HH:MM:SS` (or `YYYY-MM-DD` at midnight).
pub fn format_timestamp(secs: i64) -> String {
    let _ = secs;
    unimplemented!("timestamp formatter")
}
