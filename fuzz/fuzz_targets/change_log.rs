//! Fuzz target: the decoder of a logged change's payload (`store::changes::decode`).
//! What is checked of each input: `checks::change_log` (`fuzz/checks.rs`).

#![no_main]

#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = checks::change_log(data);
});
