//! Reads of campaigns and their targets.

use entity::{campaign, campaign_target};
use sea_orm::{
    ColumnTrait, DatabaseConnection, DbErr, EntityTrait, JoinType, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, RelationTrait, Select,
};

use super::Page;
use super::units::Visibility;

/// Campaigns by id.
pub async fn by_ids(db: &DatabaseConnection, ids: &[i64]) -> Result<Vec<campaign::Model>, DbErr> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    campaign::Entity::find()
        .filter(campaign::Column::Id.is_in(ids.iter().copied()))
        .all(db)
        .await
}

/// Campaigns whose scope unit is the unit at `path` or below it (`None`:
/// anywhere) and visible (`None`: every unit is).
fn run_in(path: Option<&str>, visible: Option<&Visibility>) -> Select<campaign::Entity> {
    let mut query =
        campaign::Entity::find().join(JoinType::InnerJoin, campaign::Relation::ScopeUnit.def());
    if let Some(path) = path {
        query = query.filter(super::page::in_subtree_of(path));
    }
    if let Some(visible) = visible {
        query = query.filter(visible.condition());
    }
    query
}

/// One page of the campaigns run at or below `path` (`None`: anywhere)
/// in a visible unit, by id.
pub async fn page_in(
    db: &DatabaseConnection,
    path: Option<&str>,
    visible: Option<&Visibility>,
    page: Page,
) -> Result<(Vec<campaign::Model>, bool), DbErr> {
    super::page::fetch(db, run_in(path, visible), campaign::Column::Id, page).await
}

/// How many campaigns [`page_in`] pages through.
pub async fn count_in(
    db: &DatabaseConnection,
    path: Option<&str>,
    visible: Option<&Visibility>,
) -> Result<u64, DbErr> {
    run_in(path, visible).count(db).await
}

/// The targets of every given campaign, sorted by campaign then id.
pub async fn targets_of(
    db: &DatabaseConnection,
    campaign_ids: &[i64],
) -> Result<Vec<campaign_target::Model>, DbErr> {
    if campaign_ids.is_empty() {
        return Ok(Vec::new());
    }
    campaign_target::Entity::find()
        .filter(campaign_target::Column::CampaignId.is_in(campaign_ids.iter().copied()))
        .order_by_asc(campaign_target::Column::CampaignId)
        .order_by_asc(campaign_target::Column::Id)
        .all(db)
        .await
}

/// The sub-campaigns of every given programme, sorted by parent then id.
pub async fn children_of(
    db: &DatabaseConnection,
    parent_ids: &[i64],
) -> Result<Vec<campaign::Model>, DbErr> {
    if parent_ids.is_empty() {
        return Ok(Vec::new());
    }
    campaign::Entity::find()
        .filter(campaign::Column::ParentId.is_in(parent_ids.iter().copied()))
        .order_by_asc(campaign::Column::ParentId)
        .order_by_asc(campaign::Column::Id)
        .all(db)
        .await
}
