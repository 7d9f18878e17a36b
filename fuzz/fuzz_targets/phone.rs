//! Phone normalizer: never panics on any text, with and without a default region and with a
//! row-level region hint; a result is E.164 (`+` and 8-15 digits) and normalizes to itself.
#![no_main]
use libfuzzer_sys::fuzz_target;
use omni::normalize::phone::PhoneNormalizer;
use std::sync::OnceLock;

fn normalizers() -> &'static [PhoneNormalizer; 2] {
    static N: OnceLock<[PhoneNormalizer; 2]> = OnceLock::new();
    N.get_or_init(|| {
        [
            PhoneNormalizer::new(None).expect("no region"),
            PhoneNormalizer::new(Some("RU")).expect("RU is a region"),
        ]
    })
}

fuzz_target!(|data: &[u8]| {
    // The first byte picks the row hint, the rest is the value.
    let Some((&pick, rest)) = data.split_first() else { return };
    let Ok(raw) = std::str::from_utf8(rest) else { return };
    let hint = match pick % 4 {
        0 => None,
        1 => Some("US"),
        2 => Some("Россия"),
        _ => Some(raw),
    };
    for phone in normalizers() {
        if let Ok(e164) = phone.normalize(raw, hint) {
            let digits = &e164[1..];
            assert!(
                e164.starts_with('+')
                    && (8..=15).contains(&digits.len())
                    && digits.bytes().all(|b| b.is_ascii_digit()),
                "not E.164: {e164:?} from {raw:?}"
            );
            assert_eq!(phone.normalize(&e164, None), Ok(e164.clone()), "{raw:?}");
        }
    }
});
