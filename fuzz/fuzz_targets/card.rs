//! Card normalizer: never panics; a canonical card is uppercase ASCII letters and digits and
//! normalizes to itself, with and without programme prefixes configured.
#![no_main]
use libfuzzer_sys::fuzz_target;
use omni::normalize::card::{CardNormalizer, CardRules};

fuzz_target!(|raw: &str| {
    let plain = CardNormalizer::new(CardRules::default());
    if let Ok(card) = plain.normalize(raw) {
        assert!(card.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit()), "{card:?}");
        assert_eq!(plain.normalize(&card), Ok(card.clone()), "{raw:?}");
    }
    let prefixed = CardNormalizer::new(CardRules {
        strip_prefixes: vec!["LC-".to_owned(), "карта".to_owned()],
    });
    let _ = prefixed.normalize(raw);
});
