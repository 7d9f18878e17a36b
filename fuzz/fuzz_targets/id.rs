//! Id normalizer: never panics; an accepted id normalizes to itself.
#![no_main]
use libfuzzer_sys::fuzz_target;
use omni::normalize::id::normalize;

fuzz_target!(|raw: &str| {
    if let Ok(id) = normalize(raw) {
        assert_eq!(normalize(&id), Ok(id.clone()), "{raw:?}");
    }
});
