//! Email normalizer: never panics on any text; a canonical address normalizes to itself and is
//! lowercase with an ASCII domain.
#![no_main]
use libfuzzer_sys::fuzz_target;
use omni::normalize::email::{EmailNormalizer, EmailRules};

fuzz_target!(|raw: &str| {
    let email = EmailNormalizer::new(EmailRules::default());
    if let Ok(once) = email.normalize(raw) {
        assert_eq!(email.normalize(&once), Ok(once.clone()), "not idempotent: {raw:?}");
        let (_, domain) = once.rsplit_once('@').expect("a canonical email has an @");
        assert!(domain.is_ascii(), "non-ASCII domain in {once:?}");
    }
});
