//! `Team`: desks, mobile teams, task forces and reinforcements.

pub mod loader;
pub mod mutation;

pub use mutation::TeamMutation;

use async_graphql::{Context, Enum, ID, Object, Result, SimpleObject};
use entity::team::Model;

use super::ContextExt;
use super::campaign::Campaign;
use super::connection::{self, Conn};
use super::ids::{self, NodeType};
use super::rollup::PeriodInput;
use super::scalars::Date;
use super::unit::Unit;
use crate::model::day::date;

/// What kind of team it is.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "entity::team::TeamKind")]
pub enum TeamKind {
    /// Desk at a one-stop centre or a police station (bộ phận một cửa).
    Desk,
    /// Mobile team (tổ lưu động) going door to door and serving citizens at home.
    Mobile,
    /// Inspection or steering task force (tổ công tác, kiểm tra).
    TaskForce,
    /// Officers dispatched from elsewhere as reinforcements (tăng cường).
    Reinforcement,
}

/// When a team works.
#[derive(SimpleObject, Clone, Debug)]
pub struct OperatingHours {
    /// True when the team works around the clock (24/7).
    pub around_the_clock: bool,
    /// Opening time, `HH:MM` local time; `null` when around the clock.
    pub opens_at: Option<String>,
    /// Closing time, `HH:MM` local time; `null` when around the clock.
    pub closes_at: Option<String>,
}

/// What a team's attributed reports add up to over a period.
#[derive(SimpleObject, Clone, Debug)]
pub struct TeamRollup {
    /// First day of the period.
    pub from: Date,
    /// Last day of the period.
    pub to: Date,
    /// Applications collected by the team in the period.
    pub applications_collected: i64,
    /// Cards issued by the team in the period.
    pub cards_issued: i64,
    /// Accounts activated by the team in the period.
    pub accounts_activated: i64,
    /// Citizens the team served at home in the period.
    pub home_visits: i64,
    /// Officers × days in the period.
    pub officer_days: i64,
    /// Output per officer per day: cardsIssued / officerDays.
    pub cards_per_officer_per_day: Option<f64>,
}

/// The GraphQL type `Team`, described on its `#[Object]` impl (the
/// description partner ministries read).
#[derive(Clone, Debug)]
pub struct Team(pub Model);

fn hhmm(minute: i32) -> String {
    format!("{:02}:{:02}", minute / 60, minute % 60)
}

/// A team of officers (tổ công tác) belonging to a unit, optionally working
/// for a campaign, serving a set of units.
#[Object]
impl Team {
    /// Global ID.
    pub async fn id(&self) -> ID {
        ids::encode(NodeType::Team, self.0.id)
    }

    /// Name, e.g. "Tổ lưu động số 1 Công an huyện Thạch Hà".
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// Kind of team.
    async fn kind(&self) -> TeamKind {
        self.0.kind.into()
    }

    /// Number of officers.
    async fn size(&self) -> i32 {
        self.0.size
    }

    /// Working hours.
    async fn operating_hours(&self) -> OperatingHours {
        match (self.0.opens_minute, self.0.closes_minute) {
            (Some(open), Some(close)) => OperatingHours {
                around_the_clock: false,
                opens_at: Some(hhmm(open)),
                closes_at: Some(hhmm(close)),
            },
            _ => OperatingHours {
                around_the_clock: true,
                opens_at: None,
                closes_at: None,
            },
        }
    }

    /// First day the team works, if known.
    async fn active_from(&self) -> Option<Date> {
        self.0.active_from.map(Date)
    }

    /// The unit the team belongs to.
    async fn unit(&self, ctx: &Context<'_>) -> Result<Unit> {
        super::shared::load_unit(ctx, self.0.unit_id, "a team").await
    }

    /// The campaign the team works for, if any.
    async fn campaign(&self, ctx: &Context<'_>) -> Result<Option<Campaign>> {
        let Some(campaign_id) = self.0.campaign_id else {
            return Ok(None);
        };
        Ok(ctx
            .loaders()
            .campaigns
            .load_one(campaign_id)
            .await?
            .map(Campaign))
    }

    /// What the reports attributed to this team add up to over a period.
    async fn rollup(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The period, inclusive, at most 10 years.")] period: PeriodInput,
    ) -> Result<TeamRollup> {
        super::shared::check_unit_id(ctx, self.0.unit_id).await?;
        let period = period.validate("period")?;
        let snapshot = ctx.loaders().snapshot.get().await?;
        let flows = snapshot.team_flows(self.0.id, period);
        let officer_days = i64::from(self.0.size.max(0)) * i64::from(period.len());
        Ok(TeamRollup {
            from: Date(date(period.from)),
            to: Date(date(period.to)),
            applications_collected: flows.applications_collected,
            cards_issued: flows.cards_issued,
            accounts_activated: flows.accounts_activated,
            home_visits: flows.home_visits,
            officer_days,
            cards_per_officer_per_day: (officer_days > 0)
                .then(|| flows.cards_issued as f64 / officer_days as f64),
        })
    }

    /// The units the team serves, in code order.
    async fn served_units(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How many to return, 0 to `viewer.limits.maxPageSize`.")] first: Option<
            i32,
        >,
        #[graphql(desc = "Return the units after this cursor.")] after: Option<String>,
    ) -> Result<Conn<Unit>> {
        super::shared::check_unit_id(ctx, self.0.unit_id).await?;
        let page = connection::page(ctx.limits(), first, after)?;
        let rows = ctx
            .loaders()
            .served_units
            .load_one(self.0.id)
            .await?
            .unwrap_or_default();
        Ok(connection::from_list(
            &rows,
            page,
            |u| u.id,
            |u| Unit(std::sync::Arc::new(u)),
        ))
    }
}
