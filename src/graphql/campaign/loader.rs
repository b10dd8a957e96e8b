//! Loaders for campaigns, their targets and their sub-campaigns.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::dataloader::Loader;
use entity::{campaign, campaign_target};
use sea_orm::DatabaseConnection;

use crate::error::AppError;
use crate::graphql::loaders::group;
use crate::store;

/// Campaigns by id.
pub struct CampaignLoader(pub DatabaseConnection);

impl Loader<i64> for CampaignLoader {
    type Value = campaign::Model;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Self::Value>, Self::Error> {
        let rows = store::campaigns::by_ids(&self.0, keys)
            .await
            .map_err(AppError::from)?;
        Ok(rows.into_iter().map(|c| (c.id, c)).collect())
    }
}

/// The targets of a campaign.
pub struct TargetsLoader(pub DatabaseConnection);

impl Loader<i64> for TargetsLoader {
    type Value = Arc<Vec<campaign_target::Model>>;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Self::Value>, Self::Error> {
        let rows = store::campaigns::targets_of(&self.0, keys)
            .await
            .map_err(AppError::from)?;
        Ok(group(keys, rows, |t| Some(t.campaign_id)))
    }
}

/// The campaigns that belong to a programme.
pub struct SubCampaignsLoader(pub DatabaseConnection);

impl Loader<i64> for SubCampaignsLoader {
    type Value = Arc<Vec<campaign::Model>>;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Self::Value>, Self::Error> {
        let rows = store::campaigns::children_of(&self.0, keys)
            .await
            .map_err(AppError::from)?;
        Ok(group(keys, rows, |c| c.parent_id))
    }
}
