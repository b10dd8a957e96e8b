//! Fuzz target: the day parser (`model::day::parse_date`) and the `Date` scalar.
//! What is checked of each input: `checks::day` (`fuzz/checks.rs`).

#![no_main]

#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = checks::day(data);
});
