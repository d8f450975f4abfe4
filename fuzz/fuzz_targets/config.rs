//! The config loader (`volley::config::Config::parse`): any text. Parsing never panics; an
//! accepted config, written out again as TOML, is accepted again with the same meaning, and
//! a reload of the same text changes no key.

#![no_main]

use libfuzzer_sys::fuzz_target;
use volley::config::{Config, changed_keys};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(config) = Config::parse(text) else {
        return;
    };
    let _ = config.session_config(1935);
    let table: toml::Table = text.parse().expect("an accepted config is a TOML table");
    let rewritten = toml::to_string(&table).expect("a TOML table serializes");
    match Config::parse(&rewritten) {
        Ok(again) => assert_eq!(again, config, "rewritten:\n{rewritten}"),
        Err(e) => panic!("an accepted config fails once rewritten: {e}\n{rewritten}"),
    }
    let changed = changed_keys(text, text).expect("an accepted config is TOML");
    assert!(changed.is_empty(), "the same text changes {changed:?}");
});
