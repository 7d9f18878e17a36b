//! The config parser: any text either parses and validates into settings or gives an error;
//! never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;
use omni::config::{FileConfig, Settings};

fuzz_target!(|text: &str| {
    if let Ok(file) = toml::from_str::<FileConfig>(text) {
        let _ = Settings::from_file(file);
    }
});
