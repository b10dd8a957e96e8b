//! Rankings of units on an indicator or a metric, completion counts and the
//! "first to complete" list.

use async_graphql::{Context, Enum, ID, Object, Result, SimpleObject};
use entity::unit::{AdminMap as StoredMap, UnitLevel as StoredLevel};

use super::ContextExt;
use super::catalog::{Indicator, Metric};
use super::connection::{Conn, by_position};
use super::ids::{self, NodeType};
use super::rollup::PeriodInput;
use super::scalars::Date;
use super::shared::{load_unit, map_of_within, map_or_today};
use super::unit::{AdminMap, Unit, UnitLevel, check_level_in};
use crate::access::Scope;
use crate::engine::Snapshot;
use crate::engine::query::Measure;
use crate::engine::ranks::{Group, Placing, RankingKey};
use crate::error::AppError;
use crate::model::day::{date, day};

/// Among which units a unit is ranked.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "crate::engine::ranks::Among")]
pub enum RankAmong {
    /// The units with the same parent (the districts of one province, …).
    Siblings,
    /// Every unit of the same level in the country (at the public levels,
    /// for every caller); below them, for a key scoped to a unit, the
    /// units of the level inside that unit.
    Level,
}

/// Ranking order.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug, Default)]
pub enum RankOrder {
    /// Highest value first (rank 1 is the best coverage).
    #[default]
    Desc,
    /// Lowest value first.
    Asc,
}

/// A unit's place in a ranking. Ranks are competition ranks (1, 2, 2, 4);
/// units whose value cannot be computed (zero denominator) are not ranked.
#[derive(SimpleObject, Clone, Debug)]
pub struct Rank {
    /// Competition rank, 1 the best.
    pub rank: i32,
    /// Number of units ranked: at the public levels the same for every
    /// caller (63 provinces); below them, for a key scoped to a unit, the
    /// units ranked inside that unit.
    pub out_of: i32,
    /// The value ranked on: a fraction for an indicator, a count for a metric.
    pub value: Option<f64>,
    /// The indicator's numerator, or the metric's value.
    pub numerator: i64,
    /// The indicator's denominator; `null` for a metric.
    pub denominator: Option<i64>,
    /// Rank over the previous period of equal length (for stock-based
    /// indicators: as of the day before the period starts).
    pub previous_rank: Option<i32>,
    /// `previousRank − rank`: positive when the unit moved up.
    pub movement: Option<i32>,
}

impl From<Placing> for Rank {
    fn from(p: Placing) -> Self {
        let rank = p.current.rank as i32;
        let previous_rank = p.previous_rank.map(|r| r as i32);
        Rank {
            rank,
            out_of: p.out_of as i32,
            value: p.current.measured.value(),
            numerator: p.current.measured.numerator,
            denominator: p.current.measured.denominator,
            previous_rank,
            movement: previous_rank.map(|prev| prev - rank),
        }
    }
}

/// The GraphQL type `RankingEntry`, described on its `#[Object]` impl (the
/// description partner ministries read).
#[derive(Clone)]
pub struct RankingEntry {
    rank: Rank,
    unit_id: i64,
}

/// One line of a ranking: a unit and its place.
#[Object]
impl RankingEntry {
    /// Competition rank, 1 the best.
    async fn rank(&self) -> i32 {
        self.rank.rank
    }

    /// Number of units ranked: at the public levels the same for every
    /// caller (63 provinces); below them, for a key scoped to a unit, the
    /// units ranked inside that unit.
    async fn out_of(&self) -> i32 {
        self.rank.out_of
    }

    /// The value ranked on: a fraction for an indicator, a count for a metric.
    async fn value(&self) -> Option<f64> {
        self.rank.value
    }

    /// The indicator's numerator, or the metric's value.
    async fn numerator(&self) -> i64 {
        self.rank.numerator
    }

    /// The indicator's denominator; `null` for a metric.
    async fn denominator(&self) -> Option<i64> {
        self.rank.denominator
    }

    /// Rank over the previous period of equal length.
    async fn previous_rank(&self) -> Option<i32> {
        self.rank.previous_rank
    }

    /// `previousRank − rank`: positive when the unit moved up.
    async fn movement(&self) -> Option<i32> {
        self.rank.movement
    }

    /// The unit.
    async fn unit(&self, ctx: &Context<'_>) -> Result<Unit> {
        load_unit(ctx, self.unit_id, "a ranking entry").await
    }
}

/// How many units of a level below a unit are complete.
#[derive(SimpleObject, Clone, Debug)]
pub struct Completion {
    /// Units whose indicator is at least 100% on `asOf`.
    pub complete: i32,
    /// Units of that level below the unit.
    pub total: i32,
    /// The day counted.
    pub as_of: Date,
}

/// The GraphQL type `CompletionEntry`, described on its `#[Object]` impl (the
/// description partner ministries read).
#[derive(Clone)]
pub struct CompletionEntry {
    completed_on: Date,
    unit_id: i64,
}

/// A unit and the day it first reached 100%.
#[Object]
impl CompletionEntry {
    /// The first day the unit's indicator reached 100%.
    async fn completed_on(&self) -> Date {
        self.completed_on
    }

    /// The unit.
    async fn unit(&self, ctx: &Context<'_>) -> Result<Unit> {
        load_unit(ctx, self.unit_id, "a completion entry").await
    }
}

/// The measure of `indicator` or `metric`: exactly one must be given.
pub fn measure(indicator: Option<Indicator>, metric: Option<Metric>) -> Result<Measure, AppError> {
    match (indicator, metric) {
        (Some(i), None) => Ok(Measure::Indicator(i.into())),
        (None, Some(m)) => Ok(Measure::Metric(m.into())),
        _ => Err(AppError::bad_input(
            "indicator",
            "give exactly one of `indicator` or `metric`",
        )),
    }
}

/// Root fields for rankings and completion.
#[derive(Default)]
pub struct RankingQuery;

#[Object]
impl RankingQuery {
    /// Units of one level ranked on an indicator or a metric over a period,
    /// optionally only those below one ancestor. Competition ranks (1, 2, 2,
    /// 4), ties listed by code; `previousRank` is the rank over the previous
    /// period of equal length. A level the public sees ranks nationwide for
    /// every caller, with or without a key; below it, a key scoped to a
    /// unit ranks inside that unit (the default `within`).
    #[allow(clippy::too_many_arguments)]
    async fn ranking(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Level of the units ranked.")] level: UnitLevel,
        #[graphql(
            desc = "Only units below this unit (global ID), whose level must be above `level`."
        )]
        within: Option<ID>,
        #[graphql(desc = "Rank on this indicator (give this or `metric`).")] indicator: Option<
            Indicator,
        >,
        #[graphql(desc = "Rank on this metric (give this or `indicator`).")] metric: Option<Metric>,
        #[graphql(desc = "The period: flows are summed over it, stocks taken as of its last day.")]
        period: PeriodInput,
        #[graphql(desc = "Highest first (default) or lowest first.", default)] order: RankOrder,
        #[graphql(desc = "How many to return, 0 to `viewer.limits.maxPageSize`.")] first: Option<
            i32,
        >,
        #[graphql(desc = "Return the entries after this cursor.")] after: Option<String>,
        #[graphql(
            desc = "The map whose units are ranked (34 provinces in VN2025, 63 in VN2023), over any period: before the reform a VN2025 unit's numbers are its predecessors'. Omitted: the map of `within`, else the map in force today (VN2025 since 2025-07-01)."
        )]
        map: Option<AdminMap>,
    ) -> Result<Conn<RankingEntry>> {
        let measure = measure(indicator, metric)?;
        let period = period.validate("period")?;
        let page = super::connection::page(ctx.limits(), first, after)?;
        let snapshot = ctx.loaders().snapshot.get().await?;
        let level = StoredLevel::from(level);
        let asked_within = within_unit(&snapshot, within)?;
        let map = map_for(map, asked_within.map(|w| snapshot.unit(w).map), level)?;
        let within = scoped_within(ctx.scope(), &snapshot, asked_within, level, map)?;
        if let Some(idx) = within {
            if snapshot.unit(idx).level.rank() >= level.rank() {
                return Err(AppError::bad_input(
                    "within",
                    "must be a unit of a level above `level`",
                )
                .into());
            }
        }
        let ranked = snapshot.placings(RankingKey {
            group: Group::Level(map, level, within),
            measure,
            period,
            descending: order == RankOrder::Desc,
        });
        Ok(by_position(ranked.in_order(), page, |placing| {
            RankingEntry {
                rank: (*placing).into(),
                unit_id: snapshot.unit_id(placing.current.measured.unit),
            }
        }))
    }

    /// Units of one level in the order they first reached 100% on an
    /// indicator (ties by code), with that day; optionally only those below
    /// one ancestor.
    #[allow(clippy::too_many_arguments)]
    async fn first_to_complete(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Level of the units.")] level: UnitLevel,
        #[graphql(desc = "The indicator that reaches 100%.")] indicator: Indicator,
        #[graphql(desc = "Only units below this unit (global ID).")] within: Option<ID>,
        #[graphql(desc = "How many to return, 0 to `viewer.limits.maxPageSize`.")] first: Option<
            i32,
        >,
        #[graphql(desc = "Return the entries after this cursor.")] after: Option<String>,
        #[graphql(
            desc = "The map whose units are listed; a VN2025 unit's days before the reform are judged on its predecessors' numbers. Omitted: the map of `within`, else the map in force today (VN2025 since 2025-07-01)."
        )]
        map: Option<AdminMap>,
    ) -> Result<Conn<CompletionEntry>> {
        let page = super::connection::page(ctx.limits(), first, after)?;
        let snapshot = ctx.loaders().snapshot.get().await?;
        let level_stored = StoredLevel::from(level);
        let asked_within = within_unit(&snapshot, within)?;
        let map = map_for(
            map,
            asked_within.map(|w| snapshot.unit(w).map),
            level_stored,
        )?;
        let within = scoped_within(ctx.scope(), &snapshot, asked_within, level_stored, map)?;
        let list =
            snapshot.first_to_complete(map, StoredLevel::from(level), indicator.into(), within);
        Ok(by_position(&list, page, |(unit, d)| CompletionEntry {
            completed_on: Date(date(*d)),
            unit_id: snapshot.unit_id(*unit),
        }))
    }
}

/// The map of a ranking or list of units of `level`: the map asked for,
/// which must be that of `within` when one is given, else the map of
/// `within`, else the map in force today; `BAD_USER_INPUT` when the map has
/// no such level (`DISTRICT` in VN2025).
fn map_for(
    asked: Option<AdminMap>,
    within: Option<StoredMap>,
    level: StoredLevel,
) -> Result<StoredMap, AppError> {
    let map = match within {
        Some(within) => map_of_within(asked, within)?,
        None => map_or_today(asked),
    };
    check_level_in(map, level)?;
    Ok(map)
}

/// The ancestor a ranking of `level` runs under, as the caller's scope
/// allows: the one asked for if it is in scope, the scope's root when none
/// is asked for; `FORBIDDEN` when the ranked units would reach outside.
pub(crate) fn scoped_within(
    scope: &Scope,
    snapshot: &Snapshot,
    within: Option<u32>,
    level: StoredLevel,
    map: StoredMap,
) -> Result<Option<u32>, AppError> {
    let outside = || AppError::Forbidden("this ranking reaches units outside your scope".into());
    // A public level ranks nationwide (or below the ancestor asked for),
    // for every caller alike.
    if scope.is_public(level) {
        return Ok(within);
    }
    if level > scope.finest {
        return Err(outside());
    }
    let Some(root) = &scope.root else {
        return Ok(within);
    };
    let root_index = snapshot.index_of(root.id).ok_or_else(outside)?;
    match within {
        // Without `within`, the scope's root ranks its own map's units; the
        // other map's are ranked within a unit of its territory there.
        None if level.rank() <= root.level.rank() || snapshot.unit(root_index).map != map => {
            Err(outside())
        }
        None => Ok(Some(root_index)),
        Some(w) => {
            let mut at = Some(w);
            while let Some(u) = at {
                if scope.is_root(snapshot.unit_id(u)) {
                    return Ok(Some(w));
                }
                at = snapshot.parent(u);
            }
            Err(outside())
        }
    }
}

/// The snapshot index of a `within` argument (a unit's global ID).
fn within_unit(snapshot: &Snapshot, within: Option<ID>) -> Result<Option<u32>, AppError> {
    within
        .map(|id| {
            let unit_id = ids::decode_as(&id, NodeType::Unit, "within")?;
            snapshot
                .index_of(unit_id)
                .ok_or_else(|| AppError::NotFound("unit `within`".into()))
        })
        .transpose()
}

/// Counts the complete units of `level` below `unit_id` on `as_of`.
pub async fn completion(
    ctx: &Context<'_>,
    unit_id: i64,
    level: UnitLevel,
    indicator: Indicator,
    as_of: Date,
) -> Result<Completion> {
    let snapshot = ctx.loaders().snapshot.get().await?;
    let unit = snapshot
        .index_of(unit_id)
        .ok_or_else(|| AppError::Internal(format!("unit {unit_id} is not in the rollup engine")))?;
    let (complete, total) = snapshot.completion(
        unit,
        StoredLevel::from(level),
        indicator.into(),
        day(as_of.0),
    );
    Ok(Completion {
        complete: complete as i32,
        total: total as i32,
        as_of,
    })
}
