//! Fuzz target: the cost walk (`access::cost`) over arbitrary GraphQL documents.
//! What is checked of each input: `checks::cost_walk` (`fuzz/checks.rs`).

#![no_main]

#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = checks::cost_walk(data);
});
