//! Fuzz target: global object IDs and cursors (`graphql::ids`).
//! What is checked of each input: `checks::ids` (`fuzz/checks.rs`).

#![no_main]

#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = checks::ids(data);
});
