//! Timestamp parser: never panics (no overflow in the civil-date arithmetic); a parsed value
//! formats and parses back to itself.
#![no_main]
use libfuzzer_sys::fuzz_target;
use omni::normalize::datetime::{format_timestamp, parse_timestamp};

fuzz_target!(|raw: &str| {
    if let Some(secs) = parse_timestamp(raw) {
        let text = format_timestamp(secs);
        assert_eq!(parse_timestamp(&text), Some(secs), "{raw:?} -> {text:?}");
    }
});
