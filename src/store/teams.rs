//! Reads of teams and the units they serve.

use entity::{team, team_unit};
use sea_orm::{ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder};

/// Teams by id.
pub async fn by_ids(db: &DatabaseConnection, ids: &[i64]) -> Result<Vec<team::Model>, DbErr> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    team::Entity::find()
        .filter(team::Column::Id.is_in(ids.iter().copied()))
        .all(db)
        .await
}

/// The teams of every given campaign, sorted by campaign then id.
pub async fn of_campaigns(
    db: &DatabaseConnection,
    campaign_ids: &[i64],
) -> Result<Vec<team::Model>, DbErr> {
    if campaign_ids.is_empty() {
        return Ok(Vec::new());
    }
    team::Entity::find()
        .filter(team::Column::CampaignId.is_in(campaign_ids.iter().copied()))
        .order_by_asc(team::Column::CampaignId)
        .order_by_asc(team::Column::Id)
        .all(db)
        .await
}

/// The teams belonging to every given unit, sorted by unit then id.
pub async fn of_units(
    db: &DatabaseConnection,
    unit_ids: &[i64],
) -> Result<Vec<team::Model>, DbErr> {
    if unit_ids.is_empty() {
        return Ok(Vec::new());
    }
    team::Entity::find()
        .filter(team::Column::UnitId.is_in(unit_ids.iter().copied()))
        .order_by_asc(team::Column::UnitId)
        .order_by_asc(team::Column::Id)
        .all(db)
        .await
}

/// The (team, served unit) pairs of every given team, sorted by team then unit.
pub async fn served_units_of(
    db: &DatabaseConnection,
    team_ids: &[i64],
) -> Result<Vec<team_unit::Model>, DbErr> {
    if team_ids.is_empty() {
        return Ok(Vec::new());
    }
    team_unit::Entity::find()
        .filter(team_unit::Column::TeamId.is_in(team_ids.iter().copied()))
        .order_by_asc(team_unit::Column::TeamId)
        .order_by_asc(team_unit::Column::UnitId)
        .all(db)
        .await
}
