//! `Unit`: a police unit in the hierarchy, with its parent, children,
//! campaigns and teams.

pub mod loader;

use std::sync::Arc;

use async_graphql::{Context, Enum, ID, Object, Result, SimpleObject};
use entity::unit::{AdminMap as StoredMap, Model, UnitLevel as StoredLevel};
use futures_util::FutureExt;

use super::ContextExt;
use super::campaign::Campaign;
use super::catalog::{Indicator, Metric};
use super::connection::{self, Conn};
use super::ids::{self, NodeType};
use super::ranking::{self, Completion, Rank, RankAmong, RankOrder};
use super::report::{Report, ReportChange};
use super::rollup::{self, Granularity, PeriodInput, Rollup};
use super::scalars::Date;
use super::shared::{load_unit, map_of_within, map_or_today};
use super::team::Team;
use crate::access::Scope;
use crate::engine::Snapshot;
use crate::engine::ranks::{Group, RankingKey};
use crate::error::AppError;
use crate::model::day::date;
use crate::store::{self, units::UnitFilter};
use crate::text::fold;

/// Level of a unit in the police hierarchy. Depth is not fixed: the map in
/// force since 1 July 2025 has no districts.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "entity::unit::UnitLevel")]
pub enum UnitLevel {
    /// Bộ Công an, the Ministry of Public Security: the root.
    Ministry,
    /// Công an tỉnh / thành phố trực thuộc trung ương (province-level police).
    Province,
    /// Công an huyện / quận / thị xã / thành phố thuộc tỉnh (district-level police).
    District,
    /// Công an xã / phường / thị trấn (commune-level police): the level that reports.
    Commune,
}

/// A map of the country: the units of one administrative division. A unit
/// belongs to one map; codes are unique within (map, level).
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "entity::unit::AdminMap")]
pub enum AdminMap {
    /// 63 provinces, 705 districts and 10,598 communes: in force until
    /// 2025-06-30. Its units hold the reports made until then.
    #[graphql(name = "VN2023")]
    Vn2023,
    /// 34 provinces and 3,321 communes, no districts: in force from
    /// 2025-07-01 (the 1 July 2025 reform). Before that day its units'
    /// numbers are those of their 2023 predecessors (see
    /// `Unit.predecessors` and `Rollup.quality`).
    #[graphql(name = "VN2025")]
    Vn2025,
}

/// A unit of the other map that shares territory with this one, and the
/// part of the old unit's territory (and numbers) that went to the new one.
#[derive(SimpleObject, Clone)]
pub struct UnitShare {
    /// The unit of the other map.
    pub unit: Unit,
    /// The part of the old unit that went to the new one, in (0, 1]; the
    /// shares of one old unit sum to 1. Shares of a split commune are equal
    /// parts unless an administrator loaded real ones
    /// (`tiendo crosswalk import`).
    pub share: f64,
}

/// The GraphQL type `Unit`, described on its `#[Object]` impl (the
/// description partner ministries read).
#[derive(Clone, Debug)]
pub struct Unit(pub Arc<Model>);

impl Unit {
    /// The unit, if the caller's scope reaches it (`FORBIDDEN` otherwise):
    /// every resolver that hands out a unit goes through here or filters
    /// with the scope.
    pub(crate) fn visible(ctx: &Context<'_>, model: impl Into<Arc<Model>>) -> Result<Unit> {
        let model = model.into();
        ctx.scope().check(&model)?;
        Ok(Unit(model))
    }

    /// This unit's predecessors (or successors) with their shares, those
    /// the caller sees.
    async fn lineage(&self, ctx: &Context<'_>, predecessors: bool) -> Result<Vec<UnitShare>> {
        let snapshot = ctx.loaders().snapshot.get().await?;
        let Some(idx) = snapshot.index_of(self.0.id) else {
            return Ok(Vec::new());
        };
        let shares = if predecessors {
            snapshot.predecessors(idx).to_vec()
        } else {
            snapshot.successors(idx)
        };
        let mut out = Vec::with_capacity(shares.len());
        for (other, share) in shares {
            // A unit outside the caller's scope is left out, not an error.
            if let Ok(unit) = load_unit(ctx, snapshot.unit_id(other), "the lineage").await {
                out.push(UnitShare { unit, share });
            }
        }
        Ok(out)
    }

    /// The ids on the path from the root down to this unit, itself included.
    fn path_ids(&self) -> Vec<i64> {
        self.0
            .path
            .split('/')
            .filter_map(|part| part.parse().ok())
            .collect()
    }
}

/// A police unit (đơn vị): the ministry, a province, a district or a
/// commune. Identified by `(level, code)`; codes are the statistics office's
/// and are unique only within a level.
#[Object]
impl Unit {
    /// Global ID (for `node(id:)` and `within:` arguments); it carries the
    /// unit's map.
    pub async fn id(&self) -> ID {
        ids::encode_unit(self.0.map, self.0.id)
    }

    /// Statistics-office code, without zero padding (Hà Tĩnh is "42").
    async fn code(&self) -> &str {
        &self.0.code
    }

    /// Full name with the division type, e.g. "Tỉnh Hà Tĩnh".
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// Name without the division type, e.g. "Hà Tĩnh".
    async fn short_name(&self) -> &str {
        &self.0.short_name
    }

    /// Level in the hierarchy.
    async fn level(&self) -> UnitLevel {
        self.0.level.into()
    }

    /// Division type as the statistics office names it: tỉnh, thành phố
    /// trung ương, huyện, quận, thị xã, thành phố, xã, phường, thị trấn.
    async fn division_type(&self) -> &str {
        &self.0.division_type
    }

    /// Distance from the root (the ministry is 0).
    async fn depth(&self) -> i32 {
        self.0.depth
    }

    /// The map this unit belongs to.
    async fn map(&self) -> AdminMap {
        self.0.map.into()
    }

    /// The units of the 2023 map whose territory went (in part, by
    /// `share`) to this unit of the 2025 map; empty for others. Only units
    /// the caller may see are listed.
    async fn predecessors(&self, ctx: &Context<'_>) -> Result<Vec<UnitShare>> {
        self.lineage(ctx, true).await
    }

    /// The units of the 2025 map that this unit of the 2023 map went to,
    /// each with the part of it that went there; empty for others. Only
    /// units the caller may see are listed.
    async fn successors(&self, ctx: &Context<'_>) -> Result<Vec<UnitShare>> {
        self.lineage(ctx, false).await
    }

    /// First day this unit exists in this form.
    async fn valid_from(&self) -> Date {
        self.0.valid_from.into()
    }

    /// Last day it exists in this form, if it has ended (merged or split).
    async fn valid_to(&self) -> Option<Date> {
        self.0.valid_to.map(Date)
    }

    /// The unit directly above; `null` for the ministry.
    async fn parent(&self, ctx: &Context<'_>) -> Result<Option<Unit>> {
        let Some(parent_id) = self.0.parent_id else {
            return Ok(None);
        };
        match ctx.loaders().units.load_one(parent_id).boxed().await? {
            Some(parent) => Unit::visible(ctx, parent).map(Some),
            None => Ok(None),
        }
    }

    /// Every unit above this one, from the ministry down to the parent
    /// (those in the caller's scope: a key scoped to a province sees its
    /// ancestors from the province down).
    async fn ancestors(&self, ctx: &Context<'_>) -> Result<Vec<Unit>> {
        let mut path = self.path_ids();
        path.pop();
        let found = ctx
            .loaders()
            .units
            .load_many(path.iter().copied())
            .boxed()
            .await?;
        let scope = ctx.scope();
        Ok(path
            .iter()
            .filter_map(|id| found.get(id).cloned())
            .filter(|unit| scope.permits(unit))
            .map(Unit)
            .collect())
    }

    /// The units directly below, in code order.
    async fn children(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How many to return, 0 to `viewer.limits.maxPageSize`.")] first: Option<
            i32,
        >,
        #[graphql(desc = "Return the units after this cursor.")] after: Option<String>,
    ) -> Result<Conn<Unit>> {
        let page = connection::page(ctx.limits(), first, after)?;
        // In memory once the engine holds the tree (no loader tick per
        // level of a drill-down); from the table before that.
        let in_memory = loader::with_directory(ctx.loaders().snapshot.engine())
            .map(|s| s.directory().children(self.0.id));
        let rows = match in_memory {
            Some(rows) => rows,
            None => ctx
                .loaders()
                .children
                .load_one(self.0.id)
                .boxed()
                .await?
                .unwrap_or_default(),
        };
        if let Some(child) = rows.first() {
            ctx.scope().check(child)?;
        }
        Ok(connection::from_list(&rows, page, |u| u.id, Unit))
    }

    /// Daily reports of this unit's subtree on the days of a period, by id
    /// (the order they were first submitted).
    async fn reports(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The days, inclusive, at most 10 years.")] period: PeriodInput,
        #[graphql(desc = "How many to return, 0 to `viewer.limits.maxPageSize`.")] first: Option<
            i32,
        >,
        #[graphql(desc = "Return the reports after this cursor.")] after: Option<String>,
    ) -> Result<Conn<Report>> {
        ctx.scope().check_reports_of(&self.0)?;
        period.validate("period")?;
        let page = connection::page(ctx.limits(), first, after)?;
        let (db, path, from, to) = (ctx.db(), &self.0.path, period.from.0, period.to.0);
        Ok(connection::paged(
            ctx,
            page,
            store::reports::page_in_subtree(db, path, from, to, page),
            || store::reports::count_in_subtree(db, path, from, to),
            |r| r.id,
            Report,
        )
        .await?)
    }

    /// Every change (correction, verification) to the reports of this
    /// unit's subtree whose day falls in the period, in the order made.
    async fn report_history(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The report days, inclusive, at most 10 years.")] period: PeriodInput,
        #[graphql(desc = "How many to return, 0 to `viewer.limits.maxPageSize`.")] first: Option<
            i32,
        >,
        #[graphql(desc = "Return the changes after this cursor.")] after: Option<String>,
    ) -> Result<Conn<ReportChange>> {
        ctx.scope().check_reports_of(&self.0)?;
        period.validate("period")?;
        let page = connection::page(ctx.limits(), first, after)?;
        let (db, path, from, to) = (ctx.db(), &self.0.path, period.from.0, period.to.0);
        Ok(connection::paged(
            ctx,
            page,
            store::reports::history_in_subtree(db, path, from, to, page),
            || store::reports::count_history_in_subtree(db, path, from, to),
            |h| h.id,
            ReportChange,
        )
        .await?)
    }

    /// Campaigns run in this unit's subtree (scoped to it or to a unit
    /// below) that the caller sees: those of a unit at a public level, and
    /// for a key those of its own subtree.
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
        let visible = ctx.scope().visibility();
        let path = Some(self.0.path.as_str());
        Ok(connection::paged(
            ctx,
            page,
            store::campaigns::page_in(db, path, visible.as_ref(), page),
            || store::campaigns::count_in(db, path, visible.as_ref()),
            |c| c.id,
            Campaign,
        )
        .await?)
    }

    /// Every number of this unit's subtree over a period: flows summed over
    /// the period, stocks as of its last day, rates, reporting freshness.
    async fn rollup(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The period, inclusive, at most 10 years.")] period: PeriodInput,
        #[graphql(
            desc = "Only the reports attributed to this campaign (global ID); stocks are unaffected."
        )]
        campaign: Option<ID>,
    ) -> Result<Rollup> {
        let period = period.validate("period")?;
        let campaign = campaign
            .map(|id| ids::decode_as(&id, NodeType::Campaign, "campaign"))
            .transpose()?;
        let mut rollups = rollup::load(ctx, self.0.id, &[period], campaign)
            .boxed()
            .await?;
        rollups
            .pop()
            .ok_or_else(|| AppError::Internal("empty rollup".into()).into())
    }

    /// A time series: the period cut into buckets (clipped to the period),
    /// each a full rollup.
    async fn series(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The period, inclusive, at most 10 years.")] period: PeriodInput,
        #[graphql(desc = "Bucket size; weeks are ISO weeks (Monday first).")]
        granularity: Granularity,
        #[graphql(desc = "Only the reports attributed to this campaign (global ID).")]
        campaign: Option<ID>,
    ) -> Result<Vec<Rollup>> {
        let period = period.validate("period")?;
        let campaign = campaign
            .map(|id| ids::decode_as(&id, NodeType::Campaign, "campaign"))
            .transpose()?;
        let buckets = rollup::series_periods(period, granularity);
        rollup::load(ctx, self.0.id, &buckets, campaign)
            .boxed()
            .await
    }

    /// This unit's rank on an indicator or a metric, among its siblings
    /// (default) or every unit of its level; `null` when its value cannot
    /// be computed (zero denominator).
    async fn rank(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Rank on this indicator (give this or `metric`).")] indicator: Option<
            Indicator,
        >,
        #[graphql(desc = "Rank on this metric (give this or `indicator`).")] metric: Option<Metric>,
        #[graphql(desc = "The period: flows are summed over it, stocks taken as of its last day.")]
        period: PeriodInput,
        #[graphql(
            desc = "Among siblings (default) or the whole level.",
            default_with = "RankAmong::Siblings"
        )]
        among: RankAmong,
        #[graphql(desc = "Highest first (default) or lowest first.", default)] order: RankOrder,
    ) -> Result<Option<Rank>> {
        let measure = ranking::measure(indicator, metric)?;
        let period = period.validate("period")?;
        let snapshot = ctx.loaders().snapshot.get().await?;
        // `None` when the unit cannot be ranked: no denominator, or not in
        // the snapshot.
        let Some(unit) = snapshot.index_of(self.0.id) else {
            return Ok(None);
        };
        let group = rank_group(ctx.scope(), &snapshot, unit, &self.0, among)?;
        let placings = snapshot.placings(RankingKey {
            group,
            measure,
            period,
            descending: order == RankOrder::Desc,
        });
        Ok(placings.of(unit).map(Rank::from))
    }

    /// How many units of `level` below this one have reached 100% on an
    /// indicator as of a day ("21/21 districts complete").
    async fn completion(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Level of the units counted; must be below this unit's level.")]
        level: UnitLevel,
        #[graphql(desc = "The indicator that must reach 100%.")] indicator: Indicator,
        #[graphql(desc = "The day counted.")] as_of: Date,
        #[graphql(
            desc = "The map of the units counted: this unit's own (the default); another is `BAD_USER_INPUT`."
        )]
        map: Option<AdminMap>,
    ) -> Result<Completion> {
        check_level_in(map_of_within(map, self.0.map)?, level.into())?;
        if StoredLevel::from(level).rank() <= self.0.level.rank() {
            return Err(AppError::bad_input("level", "must be a level below the unit's").into());
        }
        ranking::completion(ctx, self.0.id, level, indicator, as_of)
            .boxed()
            .await
    }

    /// Teams that belong to this unit.
    async fn teams(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How many to return, 0 to `viewer.limits.maxPageSize`.")] first: Option<
            i32,
        >,
        #[graphql(desc = "Return the teams after this cursor.")] after: Option<String>,
    ) -> Result<Conn<Team>> {
        let page = connection::page(ctx.limits(), first, after)?;
        let rows = ctx
            .loaders()
            .unit_teams
            .load_one(self.0.id)
            .boxed()
            .await?
            .unwrap_or_default();
        Ok(connection::from_list(&rows, page, |t| t.id, Team))
    }
}

/// The units `unit` is ranked among, as the caller's scope allows. At a
/// public level, and for a national key, the ranks everyone sees (siblings,
/// or the whole level). Below the public level a key scoped to a subtree
/// ranks inside it: siblings (never the scope root's, which reach
/// outside), or the level's units in the subtree.
fn rank_group(
    scope: &Scope,
    snapshot: &Snapshot,
    unit: u32,
    model: &Model,
    among: RankAmong,
) -> Result<Group, AppError> {
    let outside = || AppError::Forbidden("this rank compares units outside your scope".into());
    let Some(root) = scope
        .root
        .as_ref()
        .filter(|_| !scope.is_public(model.level))
    else {
        return Ok(snapshot.rank_group(unit, among.into()));
    };
    if scope.is_root(model.id) {
        return Err(outside());
    }
    match among {
        RankAmong::Siblings => Ok(snapshot.rank_group(unit, among.into())),
        RankAmong::Level => {
            // The units of the level inside the scope's root of the unit's
            // own map: the root, or the part of its territory in the other
            // map that holds the unit.
            let holder = std::iter::once(root)
                .chain(scope.also.iter())
                .find(|r| model.path.starts_with(&r.path))
                .ok_or_else(outside)?;
            let holder = snapshot.index_of(holder.id).ok_or_else(outside)?;
            Ok(Group::Level(model.map, model.level, Some(holder)))
        }
    }
}

/// Root fields for units.
#[derive(Default)]
pub struct UnitQuery;

#[Object]
impl UnitQuery {
    /// One unit by level and code, e.g. `unit(level: PROVINCE, code: "42")`.
    /// An unknown code gives `null` and a `NOT_FOUND` error whose message
    /// says in which map the code exists, if any.
    async fn unit(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Level of the unit.")] level: UnitLevel,
        #[graphql(
            desc = "Statistics-office code, with or without zero padding (\"42\" or \"042\")."
        )]
        code: String,
        #[graphql(
            desc = "The map the code is of. Omitted: the map in force today (VN2025 since 2025-07-01). A document about the 2023 map says `map: VN2023`."
        )]
        map: Option<AdminMap>,
    ) -> Result<Option<Unit>> {
        let code = normalise_code(&code)?;
        let map = map_or_today(map);
        let level = StoredLevel::from(level);
        check_level_in(map, level)?;
        let engine = ctx.loaders().snapshot.engine();
        match loader::by_level_code(ctx.db(), engine, map, level, &code).await? {
            Some(model) => Unit::visible(ctx, model).map(Some),
            None => Err(not_found(ctx, map, level, &code).await.into()),
        }
    }

    /// The root of the hierarchy, Bộ Công an, in one map.
    async fn country(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The map. Omitted: the map in force today (VN2025 since 2025-07-01).")]
        map: Option<AdminMap>,
    ) -> Result<Unit> {
        let engine = ctx.loaders().snapshot.engine();
        let root = loader::root(ctx.db(), engine, map_or_today(map))
            .await?
            .ok_or_else(|| AppError::NotFound("root unit".into()))?;
        Unit::visible(ctx, root)
    }

    /// Units, optionally filtered. `search` ignores case and diacritics
    /// ("ha tinh" finds "Tỉnh Hà Tĩnh") and also matches a numeric code
    /// exactly. Ordered by level, then code.
    #[allow(clippy::too_many_arguments)]
    async fn units(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Text to look for in names, with or without diacritics, or a code.")]
        search: Option<String>,
        #[graphql(desc = "Only units of this level.")] level: Option<UnitLevel>,
        #[graphql(desc = "Only units below the unit with this global ID.")] within: Option<ID>,
        #[graphql(desc = "How many to return, 0 to `viewer.limits.maxPageSize`.")] first: Option<
            i32,
        >,
        #[graphql(desc = "Return the units after this cursor.")] after: Option<String>,
        #[graphql(
            desc = "Only units of this map. Omitted: the map of `within`, else the map in force today (VN2025 since 2025-07-01)."
        )]
        map: Option<AdminMap>,
    ) -> Result<Conn<Unit>> {
        let page = connection::page(ctx.limits(), first, after)?;
        let db = ctx.db();
        let mut of_map = map_or_today(map);
        let within_path = match within {
            Some(id) => {
                let id = ids::decode_as(&id, NodeType::Unit, "within")?;
                let unit = ctx
                    .loaders()
                    .units
                    .load_one(id)
                    .await?
                    .ok_or_else(|| AppError::NotFound("unit `within`".into()))?;
                ctx.scope().check(&unit)?;
                of_map = map_of_within(map, unit.map)?;
                Some(unit.path.clone())
            }
            None => None,
        };
        // An empty search is no filter; text that folds to nothing (only
        // punctuation) matches nothing.
        let search = search.filter(|s| !s.trim().is_empty()).map(|s| fold(&s));
        if let Some(s) = &search {
            if s.chars().count() > 100 {
                return Err(AppError::bad_input("search", "at most 100 characters").into());
            }
        }
        let filter = UnitFilter {
            map: Some(of_map),
            search,
            level: level.map(StoredLevel::from),
            within_path,
            visible: ctx.scope().visibility(),
        };
        Ok(connection::paged(
            ctx,
            page,
            store::units::list(db, &filter, page),
            || store::units::count(db, &filter),
            |u| u.id,
            |u| Unit(Arc::new(u)),
        )
        .await?)
    }
}

/// `BAD_USER_INPUT` on `level` when `map` has no units of `level` (the
/// 2025 map has no districts).
pub(crate) fn check_level_in(map: StoredMap, level: StoredLevel) -> Result<(), AppError> {
    if map == StoredMap::Vn2025 && level == StoredLevel::District {
        return Err(AppError::bad_input(
            "level",
            format!("the {} map has no {} level", map.name(), level.as_str()),
        ));
    }
    Ok(())
}

/// The `NOT_FOUND` of a code unknown in `map`, saying where the code
/// exists instead: in the other map, and what became of it there (Quảng
/// Nam 49 asked in VN2025: merged into Đà Nẵng 48 on 2025-07-01).
async fn not_found(ctx: &Context<'_>, map: StoredMap, level: StoredLevel, code: &str) -> AppError {
    let asked = format!(
        "no unit {} {code} in the {} map",
        level.as_str(),
        map.name()
    );
    let other = map.other();
    let Ok(snapshot) = ctx.loaders().snapshot.get().await else {
        return AppError::NotFound(asked);
    };
    let Some(there) = snapshot.find(other, level, code) else {
        return AppError::NotFound(format!("{asked} (nor in the {} map)", other.name()));
    };
    let name = |idx: u32| {
        snapshot
            .directory()
            .get(snapshot.unit_id(idx))
            .map_or_else(String::new, |m| m.name.clone())
    };
    let unit = snapshot.unit(there);
    let mut message = format!(
        "{asked}; {} {code} is a unit of the {} map ({}",
        level.as_str(),
        other.name(),
        name(there)
    );
    let (from, to) = unit.in_force;
    if to != crate::model::day::Day::MAX {
        let moved: Vec<String> = snapshot
            .successors(there)
            .iter()
            .map(|&(s, _)| format!("{} {}", name(s), snapshot.unit(s).code))
            .collect();
        message.push_str(&format!(", in force until {}", date(to)));
        if !moved.is_empty() {
            let verb = if moved.len() == 1 {
                "merged into"
            } else {
                "split into"
            };
            message.push_str(&format!(
                "; {verb} {} on {}",
                moved.join(", "),
                date(to + 1)
            ));
        }
    } else {
        message.push_str(&format!(", in force from {}", date(from)));
    }
    message.push_str(&format!("): ask with `map: {}`", other.name()));
    AppError::NotFound(message)
}

/// Accepts codes with or without zero padding; refuses anything but digits.
fn normalise_code(code: &str) -> Result<String, AppError> {
    let trimmed = code.trim();
    if trimmed.is_empty() || trimmed.len() > 10 || !trimmed.bytes().all(|b| b.is_ascii_digit()) {
        return Err(AppError::bad_input("code", "a unit code is 1 to 10 digits"));
    }
    let unpadded = trimmed.trim_start_matches('0');
    Ok(if unpadded.is_empty() {
        "0".to_owned()
    } else {
        unpadded.to_owned()
    })
}

#[cfg(test)]
mod tests {
    use super::normalise_code;

    #[test]
    fn codes_lose_their_padding() {
        assert_eq!(normalise_code("042").ok().as_deref(), Some("42"));
        assert_eq!(normalise_code("18586").ok().as_deref(), Some("18586"));
        assert!(normalise_code("4x").is_err());
        assert!(normalise_code("").is_err());
    }
}
