//! Loaders for reports: by id, and the history of each.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::dataloader::Loader;
use entity::{report, report_history};
use sea_orm::DatabaseConnection;

use crate::error::AppError;
use crate::graphql::loaders::group;
use crate::store;

/// Reports by id.
pub struct ReportLoader(pub DatabaseConnection);

impl Loader<i64> for ReportLoader {
    type Value = report::Model;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Self::Value>, Self::Error> {
        let rows = store::reports::by_ids(&self.0, keys)
            .await
            .map_err(AppError::from)?;
        Ok(rows.into_iter().map(|r| (r.id, r)).collect())
    }
}

/// The changes of each report, oldest first.
pub struct HistoryLoader(pub DatabaseConnection);

impl Loader<i64> for HistoryLoader {
    type Value = Arc<Vec<report_history::Model>>;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Self::Value>, Self::Error> {
        let rows = store::reports::history_of(&self.0, keys)
            .await
            .map_err(AppError::from)?;
        Ok(group(keys, rows, |h| Some(h.report_id)))
    }
}
