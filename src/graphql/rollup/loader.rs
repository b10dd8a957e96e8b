//! Batches rollups of many (unit, period) pairs into one engine pass,
//! against the one snapshot the request reads.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::dataloader::Loader;

use crate::engine::period::Period;
use crate::engine::query;
use crate::graphql::loaders::SnapshotCell;

/// A rollup request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RollupKey {
    pub unit_id: i64,
    pub from: i32,
    pub to: i32,
    pub campaign: Option<i64>,
}

/// Computes rollups from the request's snapshot.
pub struct RollupLoader(pub Arc<SnapshotCell>);

impl Loader<RollupKey> for RollupLoader {
    type Value = query::Rollup;
    type Error = async_graphql::Error;

    async fn load(
        &self,
        keys: &[RollupKey],
    ) -> Result<HashMap<RollupKey, Self::Value>, Self::Error> {
        let snapshot = self.0.get().await?;
        Ok(keys
            .iter()
            .filter_map(|k| {
                let unit = snapshot.index_of(k.unit_id)?;
                Some((
                    *k,
                    snapshot.rollup(
                        unit,
                        Period {
                            from: k.from,
                            to: k.to,
                        },
                        k.campaign,
                    ),
                ))
            })
            .collect())
    }
}
