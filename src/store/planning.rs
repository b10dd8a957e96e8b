//! Writes of campaigns (with their targets) and teams (with the units they
//! serve). Each is one write transaction under the data version (see
//! [`super::changes`]), so response caches and replicas see the change;
//! a list given on update (targets, served units) replaces the old one in
//! the same transaction.

use chrono::NaiveDate;
use entity::team::TeamKind;
use entity::{campaign, campaign_target, team, team_unit};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, DatabaseTransaction,
    DbErr, EntityTrait, QueryFilter,
};

use super::changes;
use crate::model::change::Change;

/// A campaign as written.
#[derive(Debug, Clone)]
pub struct CampaignFields {
    pub name: String,
    pub description: Option<String>,
    pub scope_unit_id: i64,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub deadline: Option<NaiveDate>,
    pub parent_id: Option<i64>,
}

/// A target as written.
#[derive(Debug, Clone)]
pub struct TargetFields {
    /// The metric's API code (`ACCOUNTS_ACTIVATED_TOTAL`, …).
    pub metric: String,
    pub target_value: i64,
    pub due_on: NaiveDate,
}

/// A team as written.
#[derive(Debug, Clone)]
pub struct TeamFields {
    pub name: String,
    pub kind: TeamKind,
    pub size: i32,
    pub unit_id: i64,
    pub campaign_id: Option<i64>,
    pub opens_minute: Option<i32>,
    pub closes_minute: Option<i32>,
    pub active_from: Option<NaiveDate>,
}

impl From<&campaign::Model> for CampaignFields {
    fn from(c: &campaign::Model) -> Self {
        CampaignFields {
            name: c.name.clone(),
            description: c.description.clone(),
            scope_unit_id: c.scope_unit_id,
            starts_on: c.starts_on,
            ends_on: c.ends_on,
            deadline: c.deadline,
            parent_id: c.parent_id,
        }
    }
}

impl From<&team::Model> for TeamFields {
    fn from(t: &team::Model) -> Self {
        TeamFields {
            name: t.name.clone(),
            kind: t.kind,
            size: t.size,
            unit_id: t.unit_id,
            campaign_id: t.campaign_id,
            opens_minute: t.opens_minute,
            closes_minute: t.closes_minute,
            active_from: t.active_from,
        }
    }
}

async fn replace_targets(
    txn: &DatabaseTransaction,
    campaign_id: i64,
    targets: &[TargetFields],
) -> Result<(), DbErr> {
    campaign_target::Entity::delete_many()
        .filter(campaign_target::Column::CampaignId.eq(campaign_id))
        .exec(txn)
        .await?;
    if targets.is_empty() {
        return Ok(());
    }
    campaign_target::Entity::insert_many(targets.iter().map(|t| campaign_target::ActiveModel {
        campaign_id: Set(campaign_id),
        metric: Set(t.metric.clone()),
        target_value: Set(t.target_value),
        due_on: Set(t.due_on),
        ..Default::default()
    }))
    .exec_without_returning(txn)
    .await?;
    Ok(())
}

async fn replace_served(
    txn: &DatabaseTransaction,
    team_id: i64,
    units: &[i64],
) -> Result<(), DbErr> {
    team_unit::Entity::delete_many()
        .filter(team_unit::Column::TeamId.eq(team_id))
        .exec(txn)
        .await?;
    if units.is_empty() {
        return Ok(());
    }
    team_unit::Entity::insert_many(units.iter().map(|u| team_unit::ActiveModel {
        team_id: Set(team_id),
        unit_id: Set(*u),
    }))
    .exec_without_returning(txn)
    .await?;
    Ok(())
}

fn campaign_model(fields: &CampaignFields) -> campaign::ActiveModel {
    campaign::ActiveModel {
        name: Set(fields.name.clone()),
        description: Set(fields.description.clone()),
        scope_unit_id: Set(fields.scope_unit_id),
        starts_on: Set(fields.starts_on),
        ends_on: Set(fields.ends_on),
        deadline: Set(fields.deadline),
        parent_id: Set(fields.parent_id),
        ..Default::default()
    }
}

fn team_model(fields: &TeamFields) -> team::ActiveModel {
    team::ActiveModel {
        name: Set(fields.name.clone()),
        kind: Set(fields.kind),
        size: Set(fields.size),
        unit_id: Set(fields.unit_id),
        campaign_id: Set(fields.campaign_id),
        opens_minute: Set(fields.opens_minute),
        closes_minute: Set(fields.closes_minute),
        active_from: Set(fields.active_from),
        ..Default::default()
    }
}

/// Creates a campaign with its targets.
pub async fn create_campaign(
    db: &DatabaseConnection,
    fields: &CampaignFields,
    targets: &[TargetFields],
) -> Result<campaign::Model, DbErr> {
    let (txn, version) = changes::begin_write(db).await?;
    let created = campaign_model(fields).insert(&txn).await?;
    replace_targets(&txn, created.id, targets).await?;
    changes::commit_write(txn, version, &Change::default()).await?;
    Ok(created)
}

/// Updates a campaign (all fields), and its targets when given.
pub async fn update_campaign(
    db: &DatabaseConnection,
    id: i64,
    fields: &CampaignFields,
    targets: Option<&[TargetFields]>,
) -> Result<campaign::Model, DbErr> {
    let (txn, version) = changes::begin_write(db).await?;
    let mut model = campaign_model(fields);
    model.id = Set(id);
    let updated = model.update(&txn).await?;
    if let Some(targets) = targets {
        replace_targets(&txn, id, targets).await?;
    }
    changes::commit_write(txn, version, &Change::default()).await?;
    Ok(updated)
}

/// Creates a team serving `serves`.
pub async fn create_team(
    db: &DatabaseConnection,
    fields: &TeamFields,
    serves: &[i64],
) -> Result<team::Model, DbErr> {
    let (txn, version) = changes::begin_write(db).await?;
    let created = team_model(fields).insert(&txn).await?;
    replace_served(&txn, created.id, serves).await?;
    changes::commit_write(txn, version, &Change::default()).await?;
    Ok(created)
}

/// Updates a team (all fields), and the units it serves when given.
pub async fn update_team(
    db: &DatabaseConnection,
    id: i64,
    fields: &TeamFields,
    serves: Option<&[i64]>,
) -> Result<team::Model, DbErr> {
    let (txn, version) = changes::begin_write(db).await?;
    let mut model = team_model(fields);
    model.id = Set(id);
    let updated = model.update(&txn).await?;
    if let Some(serves) = serves {
        replace_served(&txn, id, serves).await?;
    }
    changes::commit_write(txn, version, &Change::default()).await?;
    Ok(updated)
}
