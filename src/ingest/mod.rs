//! Getting numbers in: the checks every submitted report and stock value
//! passes ([`validate`]), the write itself ([`submit`]), and the CSV import
//! and export of the command line ([`csv`]), and the shares of the
//! crosswalk between the maps ([`crosswalk`]).
//!
//! The same checks run for a GraphQL batch and for a file, so a row is
//! refused with the same code whichever way it arrives.
//!
//! May import: [`crate::model`], [`crate::store`], [`crate::engine`] (rows
//! are checked against its unit tree), [`crate::access`] (the caller's
//! scope) and [`crate::error`]; nothing of GraphQL or HTTP.

pub mod crosswalk;
pub mod csv;
pub mod submit;
pub mod validate;

pub use validate::Directory;
