//! The rollup engine: every number a dashboard shows, answered from memory.
//!
//! No GraphQL and no HTTP here, so it can be tested alone. A [`Snapshot`] is
//! built from the database's rows (units, stock values, reports) and holds,
//! per unit of the tree, prefix sums of the flows over the days that have
//! reports and step functions of the stocks. Any period is then two look-ups
//! per unit, whatever its length and wherever the unit sits in the tree;
//! rankings and completion counts are loops over a level's units.
//!
//! One snapshot holds both maps of the country, a forest of two roots;
//! numbers cross between them by the lineage (see
//! [`snapshot::Crossings`]), so that any unit of either map answers for
//! any period, with a [`query::Quality`] saying how its numbers came to be.
//!
//! The database stays the source of truth: the snapshot is rebuilt from it
//! (see [`crate::engine::handle`]) and never written to directly.
//!
//! May import: `entity`, [`crate::model`] and [`crate::store`] (the tables
//! it is built from and follows).

pub mod directory;
pub mod fence;
pub mod handle;
pub mod metrics;
pub mod period;
pub mod query;
pub mod ranks;
pub mod snapshot;
pub mod targets;
pub mod territory;
pub mod versioned;

pub use handle::{Engine, Freshness};
pub use period::{Granularity, Period};
pub use snapshot::Snapshot;

#[cfg(test)]
mod maps_tests;
#[cfg(test)]
mod tests;
