//! `Campaign` and `CampaignTarget`: peak drives with deadlines and numeric
//! targets, and the programmes they belong to.

pub mod loader;
pub mod mutation;

pub use mutation::CampaignMutation;

use async_graphql::{Context, ID, Object, Result, SimpleObject};
use entity::{campaign, campaign_target};

use super::ContextExt;
use super::catalog::Metric;
use super::connection::{self, Conn};
use super::ids::{self, NodeType};
use super::rollup::PeriodInput;
use super::scalars::Date;
use super::team::Team;
use super::unit::Unit;
use crate::engine::targets::{self, TargetProgress};
use crate::error::AppError;
use crate::model::day::{date, day, today};
use crate::store;

/// The GraphQL type `Campaign`, described on its `#[Object]` impl (the
/// description partner ministries read).
#[derive(Clone, Debug)]
pub struct Campaign(pub campaign::Model);

/// A campaign (đợt cao điểm, nước rút): a drive over a unit's subtree
/// between two days, with numeric targets, possibly part of a programme
/// such as Đề án 06.
#[Object]
impl Campaign {
    /// Global ID.
    pub async fn id(&self) -> ID {
        ids::encode(NodeType::Campaign, self.0.id)
    }

    /// Name, e.g. "Cao điểm 70 ngày đêm cấp căn cước công dân".
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// What the campaign is about, if recorded.
    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }

    /// The unit whose subtree the campaign covers.
    async fn scope(&self, ctx: &Context<'_>) -> Result<Unit> {
        super::shared::load_unit(ctx, self.0.scope_unit_id, "a campaign").await
    }

    /// First day of the campaign.
    async fn starts_on(&self) -> Date {
        self.0.starts_on.into()
    }

    /// Last day of the campaign (inclusive).
    async fn ends_on(&self) -> Date {
        self.0.ends_on.into()
    }

    /// Deadline announced for the campaign's goal, if any.
    async fn deadline(&self) -> Option<Date> {
        self.0.deadline.map(Date)
    }

    /// The programme this campaign belongs to, if any.
    async fn parent(&self, ctx: &Context<'_>) -> Result<Option<Campaign>> {
        let Some(parent_id) = self.0.parent_id else {
            return Ok(None);
        };
        Ok(ctx
            .loaders()
            .campaigns
            .load_one(parent_id)
            .await?
            .map(Campaign))
    }

    /// Campaigns that belong to this one (when it is a programme).
    async fn campaigns(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How many to return, 0 to `viewer.limits.maxPageSize`.")] first: Option<
            i32,
        >,
        #[graphql(desc = "Return the campaigns after this cursor.")] after: Option<String>,
    ) -> Result<Conn<Campaign>> {
        let page = connection::page(ctx.limits(), first, after)?;
        let rows = ctx
            .loaders()
            .sub_campaigns
            .load_one(self.0.id)
            .await?
            .unwrap_or_default();
        Ok(connection::from_list(&rows, page, |c| c.id, Campaign))
    }

    /// Numeric targets, in the order they were set, with their progress.
    async fn targets(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "Measure progress as of this day (default: today, or the due day if earlier)."
        )]
        as_of: Option<Date>,
    ) -> Result<Vec<CampaignTarget>> {
        super::shared::check_unit_id(ctx, self.0.scope_unit_id).await?;
        let rows = ctx
            .loaders()
            .campaign_targets
            .load_one(self.0.id)
            .await?
            .unwrap_or_default();
        Ok(rows
            .iter()
            .cloned()
            .map(|t| CampaignTarget {
                target: t,
                campaign: self.0.clone(),
                as_of: as_of.map(|d| day(d.0)),
            })
            .collect())
    }

    /// This campaign's teams ranked on what their attributed reports add up
    /// to over a period (competition ranks, ties by team id); per officer
    /// per day when `perOfficer` is true.
    async fn team_ranking(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "A flow metric (default CARDS_ISSUED).",
            default_with = "Metric::CardsIssued"
        )]
        metric: Metric,
        #[graphql(desc = "The period, inclusive.")] period: PeriodInput,
        #[graphql(desc = "Divide by officers × days in the period.", default)] per_officer: bool,
    ) -> Result<Vec<TeamRankingEntry>> {
        super::shared::check_unit_id(ctx, self.0.scope_unit_id).await?;
        let period = period.validate("period")?;
        let engine_metric: crate::engine::metrics::Metric = metric.into();
        if engine_metric.info().kind != crate::engine::metrics::MetricKind::Flow {
            return Err(AppError::bad_input("metric", "teams are ranked on a flow metric").into());
        }
        let snapshot = ctx.loaders().snapshot.get().await?;
        let teams = ctx
            .loaders()
            .campaign_teams
            .load_one(self.0.id)
            .await?
            .unwrap_or_default();
        let mut scored: Vec<(f64, entity::team::Model)> = teams
            .iter()
            .map(|t| {
                let total = engine_metric
                    .of_flows(&snapshot.team_flows(t.id, period))
                    .unwrap_or(0) as f64;
                let officer_days = f64::from(t.size.max(0)) * f64::from(period.len());
                let value = if per_officer {
                    if officer_days > 0.0 {
                        total / officer_days
                    } else {
                        0.0
                    }
                } else {
                    total
                };
                (value, t.clone())
            })
            .collect();
        scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.id.cmp(&b.1.id)));
        let out_of = scored.len() as i32;
        let mut out: Vec<TeamRankingEntry> = Vec::with_capacity(scored.len());
        for (i, (value, team)) in scored.into_iter().enumerate() {
            let rank = match out.last() {
                Some(prev) if prev.value == value => prev.rank,
                _ => i as i32 + 1,
            };
            out.push(TeamRankingEntry {
                rank,
                out_of,
                value,
                team: Team(team),
            });
        }
        Ok(out)
    }

    /// Teams working for this campaign.
    async fn teams(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How many to return, 0 to `viewer.limits.maxPageSize`.")] first: Option<
            i32,
        >,
        #[graphql(desc = "Return the teams after this cursor.")] after: Option<String>,
    ) -> Result<Conn<Team>> {
        super::shared::check_unit_id(ctx, self.0.scope_unit_id).await?;
        let page = connection::page(ctx.limits(), first, after)?;
        let rows = ctx
            .loaders()
            .campaign_teams
            .load_one(self.0.id)
            .await?
            .unwrap_or_default();
        Ok(connection::from_list(&rows, page, |t| t.id, Team))
    }
}

/// A team's place among its campaign's teams.
#[derive(SimpleObject, Clone)]
pub struct TeamRankingEntry {
    /// Competition rank, 1 the best.
    pub rank: i32,
    /// Number of teams ranked.
    pub out_of: i32,
    /// The value ranked on: a count, or a count per officer per day.
    pub value: f64,
    /// The team.
    pub team: Team,
}

/// The GraphQL type `CampaignTarget`, described on its `#[Object]` impl (the
/// description partner ministries read).
#[derive(Clone, Debug)]
pub struct CampaignTarget {
    target: campaign_target::Model,
    campaign: campaign::Model,
    as_of: Option<i32>,
}

impl CampaignTarget {
    /// Where the target stands, from the request's snapshot.
    async fn standing(&self, ctx: &Context<'_>) -> Result<(TargetProgress, i32)> {
        let metric = Metric::from_code(&self.target.metric).ok_or_else(|| {
            AppError::Internal(format!(
                "target {} has unknown metric {}",
                self.target.id, self.target.metric
            ))
        })?;
        let snapshot = ctx.loaders().snapshot.get().await?;
        let scope = snapshot
            .index_of(self.campaign.scope_unit_id)
            .ok_or_else(|| {
                AppError::Internal(format!("campaign {} scope missing", self.campaign.id))
            })?;
        let due = day(self.target.due_on);
        let as_of = self.as_of.unwrap_or_else(|| today().min(due));
        let standing = targets::progress(
            &snapshot,
            scope,
            metric.into(),
            self.target.target_value,
            day(self.campaign.starts_on),
            due,
            as_of,
        );
        Ok((standing, as_of))
    }
}

/// A numeric target of a campaign: reach `target` on `metric` by `dueOn`.
/// For a flow metric the target counts what the campaign's subtree does
/// between the campaign's start and the due day; for a stock metric it is
/// the value as of the due day.
#[Object]
impl CampaignTarget {
    /// The metric the target is set on.
    async fn metric(&self) -> Result<Metric> {
        Metric::from_code(&self.target.metric).ok_or_else(|| {
            AppError::Internal(format!(
                "target {} has unknown metric {}",
                self.target.id, self.target.metric
            ))
            .into()
        })
    }

    /// The value to reach.
    async fn target(&self) -> i64 {
        self.target.target_value
    }

    /// The day by which it must be reached.
    async fn due_on(&self) -> Date {
        self.target.due_on.into()
    }

    /// The day progress is measured on: `asOf` if given, else today or the
    /// due day, whichever is earlier.
    async fn as_of(&self, ctx: &Context<'_>) -> Result<Date> {
        Ok(Date(date(self.standing(ctx).await?.1)))
    }

    /// What has been reached on `asOf`: for a flow, the sum over the scope's
    /// subtree from the campaign's start; for a stock, its value that day.
    async fn achieved(&self, ctx: &Context<'_>) -> Result<i64> {
        Ok(self.standing(ctx).await?.0.achieved)
    }

    /// `achieved / target`, as a fraction (1.0 = reached).
    async fn progress(&self, ctx: &Context<'_>) -> Result<Option<f64>> {
        Ok(self.standing(ctx).await?.0.progress)
    }

    /// When reached: the day it was. Otherwise the day the last 14 days'
    /// run rate would reach the target; `null` if it never would within a
    /// year (or the metric has no run rate).
    async fn projected_on(&self, ctx: &Context<'_>) -> Result<Option<Date>> {
        Ok(self
            .standing(ctx)
            .await?
            .0
            .projected_on
            .map(|d| Date(date(d))))
    }

    /// Reached, or projected to be reached by the due day.
    async fn on_track(&self, ctx: &Context<'_>) -> Result<bool> {
        Ok(self.standing(ctx).await?.0.on_track)
    }
}

/// Root fields for campaigns.
#[derive(Default)]
pub struct CampaignQuery;

#[Object]
impl CampaignQuery {
    /// The campaigns and programmes run in a unit the caller sees (the
    /// public levels, and a key's own subtree), by creation order.
    async fn campaigns(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How many to return, 0 to `viewer.limits.maxPageSize`.")] first: Option<
            i32,
        >,
        #[graphql(desc = "Return the campaigns after this cursor.")] after: Option<String>,
    ) -> Result<Conn<Campaign>> {
        let page = connection::page(ctx.limits(), first, after)?;
        let db = ctx.db();
        // The campaigns run in a unit the caller sees: a key's subtree and
        // the public levels.
        let visible = ctx.scope().visibility();
        Ok(connection::paged(
            ctx,
            page,
            store::campaigns::page_in(db, None, visible.as_ref(), page),
            || store::campaigns::count_in(db, None, visible.as_ref()),
            |c| c.id,
            Campaign,
        )
        .await?)
    }
}
