//! `createTeam` and `updateTeam`: teams and the units they serve.

use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};
use entity::{team, unit};

use super::{Team, TeamKind};
use crate::error::AppError;
use crate::graphql::ContextExt;
use crate::graphql::ids::{self, NodeType};
use crate::graphql::scalars::Date;
use crate::graphql::shared::{UnitRefInput, unit_of};
use crate::store::{self, planning::TeamFields};

/// Working hours, `HH:MM` local time; both `null` for around the clock.
#[derive(InputObject, Clone, Debug)]
pub struct HoursInput {
    /// Opening time, e.g. `07:00`.
    pub opens_at: Option<String>,
    /// Closing time, e.g. `22:00`.
    pub closes_at: Option<String>,
}

/// A new team.
#[derive(InputObject, Clone, Debug)]
pub struct CreateTeamInput {
    /// Its name, 1 to 200 characters.
    pub name: String,
    /// Desk, mobile team, task force or reinforcement.
    pub kind: TeamKind,
    /// Number of officers, 1 to 10,000.
    pub size: i32,
    /// The unit it belongs to.
    pub unit: UnitRefInput,
    /// The campaign it works for (global ID); the team's unit must be in
    /// the campaign's scope.
    pub campaign: Option<ID>,
    /// When it works; left out, around the clock.
    pub hours: Option<HoursInput>,
    /// First day it works.
    pub active_from: Option<Date>,
    /// The units it serves, each at or below its own unit (of its own
    /// map unless they name one).
    #[graphql(default)]
    pub serves: Vec<UnitRefInput>,
}

/// Changes to a team; fields left out stay as they are.
#[derive(InputObject, Clone, Debug)]
pub struct UpdateTeamInput {
    /// The team (global ID).
    pub id: ID,
    /// New name.
    pub name: Option<String>,
    /// New kind.
    pub kind: Option<TeamKind>,
    /// New size.
    pub size: Option<i32>,
    /// New hours.
    pub hours: Option<HoursInput>,
    /// New first day.
    pub active_from: Option<Date>,
    /// If given, replaces the units it serves.
    pub serves: Option<Vec<UnitRefInput>>,
}

/// The team after the change.
#[derive(SimpleObject)]
pub struct TeamPayload {
    /// The team, with the units it serves.
    pub team: Team,
}

fn minutes(text: &str, argument: &str) -> Result<i32, AppError> {
    let bad = || AppError::bad_input(argument, format!("{text:?} is not a time HH:MM"));
    let (h, m) = text.split_once(':').ok_or_else(bad)?;
    let (h, m): (i32, i32) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
    if !(0..24).contains(&h) || !(0..60).contains(&m) || text.len() != 5 {
        return Err(bad());
    }
    Ok(h * 60 + m)
}

fn hours(input: &HoursInput) -> Result<(Option<i32>, Option<i32>), AppError> {
    match (&input.opens_at, &input.closes_at) {
        (None, None) => Ok((None, None)),
        (Some(o), Some(c)) => Ok((
            Some(minutes(o, "input.hours.opensAt")?),
            Some(minutes(c, "input.hours.closesAt")?),
        )),
        _ => Err(AppError::bad_input(
            "input.hours",
            "give both opensAt and closesAt, or neither for around the clock",
        )),
    }
}

fn is_within(member: &unit::Model, ancestor: &unit::Model) -> bool {
    member.path.starts_with(&ancestor.path)
}

/// Checks a team as it would be written, and resolves the units it serves.
async fn check(
    ctx: &Context<'_>,
    fields: &TeamFields,
    serves: Option<&[UnitRefInput]>,
) -> Result<Option<Vec<i64>>> {
    let name = fields.name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(AppError::bad_input("input.name", "a name is 1 to 200 characters").into());
    }
    if !(1..=10_000).contains(&fields.size) {
        return Err(AppError::bad_input("input.size", "a team has 1 to 10,000 officers").into());
    }
    let home = ctx
        .loaders()
        .units
        .load_one(fields.unit_id)
        .await?
        .ok_or_else(|| AppError::Internal(format!("team unit {} missing", fields.unit_id)))?;
    ctx.scope().check_owned(&home)?;
    if let Some(c) = fields.campaign_id {
        let campaign = ctx
            .loaders()
            .campaigns
            .load_one(c)
            .await?
            .ok_or_else(|| AppError::bad_input("input.campaign", "no such campaign"))?;
        let scope = ctx.loaders().units.load_one(campaign.scope_unit_id).await?;
        if scope.is_some_and(|s| !is_within(&home, &s)) {
            return Err(AppError::bad_input(
                "input.unit",
                "the unit is outside the campaign's scope",
            )
            .into());
        }
    }
    let Some(serves) = serves else {
        return Ok(None);
    };
    let mut ids = Vec::with_capacity(serves.len());
    for (i, r) in serves.iter().enumerate() {
        let argument = format!("input.serves.{i}");
        // Served units are of the team's own map unless they say otherwise.
        let served = unit_of(ctx, r, home.map, &argument).await?;
        if !is_within(&served, &home) {
            return Err(
                AppError::bad_input(argument, "a team serves units at or below its own").into(),
            );
        }
        if !ids.contains(&served.id) {
            ids.push(served.id);
        }
    }
    Ok(Some(ids))
}

async fn find(ctx: &Context<'_>, id: &ID) -> Result<team::Model> {
    let n = ids::decode_as(id, NodeType::Team, "input.id")?;
    ctx.loaders()
        .teams
        .load_one(n)
        .await?
        .ok_or_else(|| AppError::NotFound("team".into()).into())
}

/// Team mutations.
#[derive(Default)]
pub struct TeamMutation;

#[Object]
impl TeamMutation {
    /// Creates a team of a unit, optionally for a campaign, serving units.
    async fn create_team(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The team.")] input: CreateTeamInput,
    ) -> Result<TeamPayload> {
        let home = unit_of(ctx, &input.unit, input.unit.map_today(), "input.unit").await?;
        let campaign_id = match &input.campaign {
            Some(id) => Some(ids::decode_as(id, NodeType::Campaign, "input.campaign")?),
            None => None,
        };
        let (opens, closes) = match &input.hours {
            Some(h) => hours(h)?,
            None => (None, None),
        };
        let fields = TeamFields {
            name: input.name.trim().to_owned(),
            kind: input.kind.into(),
            size: input.size,
            unit_id: home.id,
            campaign_id,
            opens_minute: opens,
            closes_minute: closes,
            active_from: input.active_from.map(|d| d.0),
        };
        let serves = check(ctx, &fields, Some(&input.serves))
            .await?
            .unwrap_or_default();
        let created = store::planning::create_team(ctx.db(), &fields, &serves)
            .await
            .map_err(AppError::from)?;
        Ok(TeamPayload {
            team: Team(created),
        })
    }

    /// Changes a team; `serves`, when given, replaces the units it serves.
    async fn update_team(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The changes.")] input: UpdateTeamInput,
    ) -> Result<TeamPayload> {
        let existing = find(ctx, &input.id).await?;
        crate::graphql::shared::check_owned_unit_id(ctx, existing.unit_id).await?;
        let mut fields = TeamFields::from(&existing);
        if let Some(name) = input.name {
            fields.name = name.trim().to_owned();
        }
        if let Some(kind) = input.kind {
            fields.kind = kind.into();
        }
        if let Some(size) = input.size {
            fields.size = size;
        }
        if let Some(h) = &input.hours {
            (fields.opens_minute, fields.closes_minute) = hours(h)?;
        }
        if let Some(d) = input.active_from {
            fields.active_from = Some(d.0);
        }
        let serves = check(ctx, &fields, input.serves.as_deref()).await?;
        let updated =
            store::planning::update_team(ctx.db(), existing.id, &fields, serves.as_deref())
                .await
                .map_err(AppError::from)?;
        Ok(TeamPayload {
            team: Team(updated),
        })
    }
}
