//! `createCampaign` and `updateCampaign`: campaigns with their targets.

use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};
use chrono::NaiveDate;
use entity::campaign;

use super::Campaign;
use crate::error::AppError;
use crate::graphql::ContextExt;
use crate::graphql::catalog::Metric;
use crate::graphql::ids::{self, NodeType};
use crate::graphql::scalars::Date;
use crate::graphql::shared::{UnitRefInput, unit_of};
use crate::store::{self, planning::CampaignFields, planning::TargetFields};

/// A numeric target: reach `target` on `metric` by `dueOn`.
#[derive(InputObject, Clone, Debug)]
pub struct TargetInput {
    /// The metric (a flow counts from the campaign's start; a stock is its
    /// value on the due day).
    pub metric: Metric,
    /// The value to reach, 0 or more.
    pub target: i32,
    /// The day it is due; not before the campaign starts.
    pub due_on: Date,
}

/// A new campaign.
#[derive(InputObject, Clone, Debug)]
pub struct CreateCampaignInput {
    /// Its name, 1 to 200 characters.
    pub name: String,
    /// What it is about.
    pub description: Option<String>,
    /// The unit whose subtree it covers.
    pub scope: UnitRefInput,
    /// First day.
    pub starts_on: Date,
    /// Last day; not before `startsOn`.
    pub ends_on: Date,
    /// Deadline, if different from the end; not before `startsOn`.
    pub deadline: Option<Date>,
    /// The programme it belongs to (a campaign's global ID).
    pub parent: Option<ID>,
    /// Its targets.
    #[graphql(default)]
    pub targets: Vec<TargetInput>,
}

/// Changes to a campaign; fields left out stay as they are.
#[derive(InputObject, Clone, Debug)]
pub struct UpdateCampaignInput {
    /// The campaign (global ID).
    pub id: ID,
    /// New name.
    pub name: Option<String>,
    /// New description.
    pub description: Option<String>,
    /// New first day.
    pub starts_on: Option<Date>,
    /// New last day.
    pub ends_on: Option<Date>,
    /// New deadline.
    pub deadline: Option<Date>,
    /// If given, replaces every target.
    pub targets: Option<Vec<TargetInput>>,
}

/// The campaign after the change.
#[derive(SimpleObject)]
pub struct CampaignPayload {
    /// The campaign, with its targets.
    pub campaign: Campaign,
}

/// Checks a campaign and its targets as they would be written.
fn check(fields: &CampaignFields, targets: &[TargetInput]) -> Result<Vec<TargetFields>, AppError> {
    let name = fields.name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(AppError::bad_input(
            "input.name",
            "a name is 1 to 200 characters",
        ));
    }
    if fields.ends_on < fields.starts_on {
        return Err(AppError::bad_input(
            "input.endsOn",
            "the campaign ends before it starts",
        ));
    }
    if fields.deadline.is_some_and(|d| d < fields.starts_on) {
        return Err(AppError::bad_input(
            "input.deadline",
            "the deadline is before the start",
        ));
    }
    targets
        .iter()
        .enumerate()
        .map(|(i, t)| {
            if t.target < 0 {
                return Err(AppError::bad_input(
                    format!("input.targets.{i}.target"),
                    "a target is 0 or more",
                ));
            }
            if t.due_on.0 < fields.starts_on {
                return Err(AppError::bad_input(
                    format!("input.targets.{i}.dueOn"),
                    "due before the campaign starts",
                ));
            }
            let metric: crate::engine::metrics::Metric = t.metric.into();
            Ok(TargetFields {
                metric: metric.info().code.to_owned(),
                target_value: i64::from(t.target),
                due_on: t.due_on.0,
            })
        })
        .collect()
}

async fn find(ctx: &Context<'_>, id: &ID, argument: &str) -> Result<campaign::Model> {
    let n = ids::decode_as(id, NodeType::Campaign, argument)?;
    ctx.loaders()
        .campaigns
        .load_one(n)
        .await?
        .ok_or_else(|| AppError::NotFound("campaign".into()).into())
}

fn day(d: Option<Date>) -> Option<NaiveDate> {
    d.map(|d| d.0)
}

/// Campaign mutations.
#[derive(Default)]
pub struct CampaignMutation;

#[Object]
impl CampaignMutation {
    /// Creates a campaign over a unit's subtree, with its targets.
    async fn create_campaign(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The campaign.")] input: CreateCampaignInput,
    ) -> Result<CampaignPayload> {
        let db = ctx.db();
        let scope = unit_of(ctx, &input.scope, input.scope.map_today(), "input.scope").await?;
        ctx.scope().check_owned(&scope)?;
        let parent_id = match &input.parent {
            Some(id) => Some(find(ctx, id, "input.parent").await?.id),
            None => None,
        };
        let fields = CampaignFields {
            name: input.name.trim().to_owned(),
            description: input.description,
            scope_unit_id: scope.id,
            starts_on: input.starts_on.0,
            ends_on: input.ends_on.0,
            deadline: day(input.deadline),
            parent_id,
        };
        let targets = check(&fields, &input.targets)?;
        let created = store::planning::create_campaign(db, &fields, &targets)
            .await
            .map_err(AppError::from)?;
        Ok(CampaignPayload {
            campaign: Campaign(created),
        })
    }

    /// Changes a campaign; `targets`, when given, replaces all of them.
    async fn update_campaign(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The changes.")] input: UpdateCampaignInput,
    ) -> Result<CampaignPayload> {
        let existing = find(ctx, &input.id, "input.id").await?;
        crate::graphql::shared::check_owned_unit_id(ctx, existing.scope_unit_id).await?;
        let mut fields = CampaignFields::from(&existing);
        if let Some(name) = input.name {
            fields.name = name.trim().to_owned();
        }
        if input.description.is_some() {
            fields.description = input.description;
        }
        if let Some(d) = input.starts_on {
            fields.starts_on = d.0;
        }
        if let Some(d) = input.ends_on {
            fields.ends_on = d.0;
        }
        if input.deadline.is_some() {
            fields.deadline = day(input.deadline);
        }
        let targets = check(&fields, input.targets.as_deref().unwrap_or(&[]))?;
        let updated = store::planning::update_campaign(
            ctx.db(),
            existing.id,
            &fields,
            input.targets.is_some().then_some(targets.as_slice()),
        )
        .await
        .map_err(AppError::from)?;
        Ok(CampaignPayload {
            campaign: Campaign(updated),
        })
    }
}
