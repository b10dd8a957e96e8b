//! Fuzz target: the reader of an import file (`ingest::csv::check`).
//! What is checked of each input: `checks::csv_reader` (`fuzz/checks.rs`).

#![no_main]

#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = checks::csv_reader(data);
});
