//! Getting numbers in: the checks every submitted report and stock value
//! passes ([`validate`]), the write itself ([`submit`]), and the CSV import
//! and export of the command line ([`csv`]).
//!
//! The same checks run for a GraphQL batch and for a file, so a row is
//! refused with the same code whichever way it arrives.

pub mod csv;
pub mod submit;
pub mod validate;

pub use validate::Directory;
