//! The vocabulary every layer speaks: days, flows and stocks by name, rows
//! and their error codes, the change a data version makes, and how a count
//! is apportioned by shares between the maps.
//!
//! A leaf: it imports only `entity`, chrono and std, so `store`, `engine`,
//! `ingest` and everything above can all use it without depending on each
//! other (a test in `tests/layers.rs` keeps it so).
//!
//! May import: nothing of the crate; of other crates only `entity`, chrono
//! and std.

pub mod change;
pub mod day;
pub mod rows;
pub mod share;
pub mod values;
