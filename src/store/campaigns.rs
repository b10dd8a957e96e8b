//! Reads of campaigns and their targets.

use entity::{campaign, campaign_target};
use sea_orm::{
    ColumnTrait, DatabaseConnection, DbErr, EntityTrait, JoinType, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, RelationTrait, Select,
};

use super::Page;

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

/// Campaigns whose scope unit is the unit with `path` or below it.
fn in_subtree(path: &str) -> Select<campaign::Entity> {
    campaign::Entity::find()
        .join(JoinType::InnerJoin, campaign::Relation::ScopeUnit.def())
        .filter(super::page::in_subtree_of(path))
}

/// One page of the campaigns run in the subtree at `path`, by id.
pub async fn page_in_subtree(
    db: &DatabaseConnection,
    path: &str,
    page: Page,
) -> Result<(Vec<campaign::Model>, bool), DbErr> {
    super::page::fetch(db, in_subtree(path), campaign::Column::Id, page).await
}

/// How many campaigns are run in the subtree at `path`.
pub async fn count_in_subtree(db: &DatabaseConnection, path: &str) -> Result<u64, DbErr> {
    in_subtree(path).count(db).await
}

/// One page of all campaigns, by id.
pub async fn page_all(
    db: &DatabaseConnection,
    page: Page,
) -> Result<(Vec<campaign::Model>, bool), DbErr> {
    let mut query = campaign::Entity::find();
    if let Some(after) = page.after_id {
        query = query.filter(campaign::Column::Id.gt(after));
    }
    let mut rows = query
        .order_by_asc(campaign::Column::Id)
        .limit(page.fetch_limit())
        .all(db)
        .await?;
    let has_next = rows.len() > page.first;
    rows.truncate(page.first);
    Ok((rows, has_next))
}

/// How many campaigns there are.
pub async fn count_all(db: &DatabaseConnection) -> Result<u64, DbErr> {
    campaign::Entity::find().count(db).await
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
