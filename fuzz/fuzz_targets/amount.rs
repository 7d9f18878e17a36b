//! Amount parser: never panics; a parsed amount is finite.
#![no_main]
use libfuzzer_sys::fuzz_target;
use omni::normalize::amount::parse_amount;

fuzz_target!(|raw: &str| {
    if let Some(amount) = parse_amount(raw) {
        assert!(amount.is_finite(), "{raw:?} -> {amount}");
    }
});
