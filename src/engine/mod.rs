//! The domain's numbers: what each metric and indicator means and how it
//! aggregates. No GraphQL and no HTTP here, so it can be tested alone.

pub mod metrics;
