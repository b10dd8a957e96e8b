//! Loaders for teams: by id, by campaign, by unit, and the units they serve.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::dataloader::Loader;
use entity::{team, unit};
use sea_orm::DatabaseConnection;

use crate::error::AppError;
use crate::graphql::loaders::group;
use crate::store;

/// Teams by id.
pub struct TeamLoader(pub DatabaseConnection);

impl Loader<i64> for TeamLoader {
    type Value = team::Model;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Self::Value>, Self::Error> {
        let rows = store::teams::by_ids(&self.0, keys)
            .await
            .map_err(AppError::from)?;
        Ok(rows.into_iter().map(|t| (t.id, t)).collect())
    }
}

/// The teams of a campaign.
pub struct CampaignTeamsLoader(pub DatabaseConnection);

impl Loader<i64> for CampaignTeamsLoader {
    type Value = Arc<Vec<team::Model>>;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Self::Value>, Self::Error> {
        let rows = store::teams::of_campaigns(&self.0, keys)
            .await
            .map_err(AppError::from)?;
        Ok(group(keys, rows, |t| t.campaign_id))
    }
}

/// The teams that belong to a unit.
pub struct UnitTeamsLoader(pub DatabaseConnection);

impl Loader<i64> for UnitTeamsLoader {
    type Value = Arc<Vec<team::Model>>;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Self::Value>, Self::Error> {
        let rows = store::teams::of_units(&self.0, keys)
            .await
            .map_err(AppError::from)?;
        Ok(group(keys, rows, |t| Some(t.unit_id)))
    }
}

/// The units a team serves (two statements for any number of teams).
pub struct ServedUnitsLoader(pub DatabaseConnection);

impl Loader<i64> for ServedUnitsLoader {
    type Value = Arc<Vec<unit::Model>>;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Self::Value>, Self::Error> {
        let pairs = store::teams::served_units_of(&self.0, keys)
            .await
            .map_err(AppError::from)?;
        let mut unit_ids: Vec<i64> = pairs.iter().map(|p| p.unit_id).collect();
        unit_ids.sort_unstable();
        unit_ids.dedup();
        let units: HashMap<i64, unit::Model> = store::units::by_ids(&self.0, &unit_ids)
            .await
            .map_err(AppError::from)?
            .into_iter()
            .map(|u| (u.id, u))
            .collect();
        let mut rows: Vec<(i64, unit::Model)> = pairs
            .into_iter()
            .filter_map(|p| units.get(&p.unit_id).cloned().map(|u| (p.team_id, u)))
            .collect();
        rows.sort_by_key(|(team, u)| (*team, u.id));
        let grouped = group(keys, rows, |(team, _)| Some(*team));
        Ok(grouped
            .into_iter()
            .map(|(k, v)| (k, Arc::new(v.iter().map(|(_, u)| u.clone()).collect())))
            .collect())
    }
}
