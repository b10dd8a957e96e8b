//! The reference scenario of DOMAIN.md, generated from a fixed seed.
//!
//! Every published figure is pinned exactly; everything else is synthetic
//! but plausible. The generator works per commune in three steps:
//!
//! 1. populations (eligible, present, accounts eligible), drawn per commune
//!    and scaled to the pinned provincial totals;
//! 2. cumulative cards and accounts at a few *knots* (opening balances on
//!    2022-09-01 and 2023-01-01, then the ends of 2023-04-15, 2023-05-16,
//!    2023-06-30 and 2023-07-31), distributed over communes by water-filling
//!    so that provincial totals are exact and per-commune bounds hold (no
//!    commune complete before its designated day, every Nghệ An commune
//!    complete by 2023-06-30, …);
//! 3. daily reports between knots, spread with a weekly rhythm and noise,
//!    summing exactly to the knot differences.
//!
//! Campaign-window reports (Thanh Hóa 2020–2021, Ninh Bình city 2022) are
//! generated first, and the later opening balances are bounded below by
//! them, so stocks and flows always agree: a cumulative value on any day is
//! its latest opening balance plus the flows since.
//!
//! The module's files follow those steps: [`pinned`] holds the published
//! figures, [`fill`] the pure distribution functions, [`calendar`] the days
//! and their rhythm, [`figures`] the populations, knots and daily reports,
//! [`catalogue`] the campaigns, targets and teams, and [`write`] the
//! inserts.
//!
//! May import: [`crate::model`], [`crate::store`] (SQL literals) and the
//! demo's own [`super::bulk`], [`super::rng`] and [`super::units`].

mod calendar;
pub mod catalogue;
mod figures;
pub mod fill;
pub mod pinned;
#[cfg(test)]
mod tests;
mod write;

use std::collections::HashMap;

use chrono::NaiveDate;
use entity::unit::UnitLevel;

use super::units::MapUnit;

pub use catalogue::{campaign_ids, team_ids};

/// The seed of every random stream in the demo.
pub(crate) const SEED: u64 = 0x7165_6E64_6F06;

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    // Only called with constant, valid dates below.
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
}

/// A campaign row.
#[derive(Debug, Clone)]
pub struct CampaignRow {
    pub id: i64,
    pub name: String,
    pub description: String,
    pub scope_unit_id: i64,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub deadline: Option<NaiveDate>,
    pub parent_id: Option<i64>,
}

/// A campaign target row.
#[derive(Debug, Clone)]
pub struct TargetRow {
    pub campaign_id: i64,
    pub metric: &'static str,
    pub value: i64,
    pub due_on: NaiveDate,
}

/// A team row.
#[derive(Debug, Clone)]
pub struct TeamRow {
    pub id: i64,
    pub name: String,
    pub kind: &'static str,
    pub size: i32,
    pub unit_id: i64,
    pub campaign_id: Option<i64>,
    /// Opening and closing minute; `None` for 24/7.
    pub hours: Option<(i32, i32)>,
    pub active_from: Option<NaiveDate>,
    pub serves: Vec<i64>,
}

/// A stock value row.
#[derive(Debug, Clone)]
pub struct StockRow {
    pub unit_id: i64,
    pub metric: &'static str,
    pub valid_from: NaiveDate,
    pub valid_to: Option<NaiveDate>,
    pub value: i64,
}

/// A daily report row (compact: millions of them).
#[derive(Debug, Clone, Copy)]
pub struct ReportRow {
    pub unit_id: i32,
    pub day: NaiveDate,
    pub campaign_id: Option<i32>,
    pub team_id: Option<i32>,
    pub applications: i32,
    pub cards: i32,
    pub accounts: i32,
    pub visits: i32,
}

/// The generated scenario, ready to insert.
#[derive(Debug, Default)]
pub struct Scenario {
    pub campaigns: Vec<CampaignRow>,
    pub targets: Vec<TargetRow>,
    pub teams: Vec<TeamRow>,
    pub stocks: Vec<StockRow>,
    pub reports: Vec<ReportRow>,
    /// Figures derived from the generated reports, used by campaign targets.
    derived: Derived,
}

/// Figures the catalogue takes from the generated reports.
#[derive(Debug, Default, Clone, Copy)]
struct Derived {
    /// Cards issued in Nghệ An during its 70-day campaign.
    nghe_an_campaign_cards: i64,
    /// Eligible citizens in Quảng Nam without a card at the start of its campaign.
    quang_nam_remaining_at_start: i64,
}

/// Index of the map: units by (level, code), children by parent.
struct MapIndex<'a> {
    units: &'a [MapUnit],
    by_key: HashMap<(UnitLevel, &'a str), usize>,
    children: HashMap<i64, Vec<usize>>,
}

impl<'a> MapIndex<'a> {
    fn new(units: &'a [MapUnit]) -> Self {
        let mut by_key = HashMap::new();
        let mut children: HashMap<i64, Vec<usize>> = HashMap::new();
        for (i, u) in units.iter().enumerate() {
            by_key.insert((u.level, u.code.as_str()), i);
            if let Some(p) = u.parent_id {
                children.entry(p).or_default().push(i);
            }
        }
        MapIndex {
            units,
            by_key,
            children,
        }
    }

    fn get(&self, level: UnitLevel, code: &str) -> Result<&'a MapUnit, String> {
        self.by_key
            .get(&(level, code))
            .map(|i| &self.units[*i])
            .ok_or_else(|| format!("unit {} {code} missing from the map", level.as_str()))
    }

    fn children(&self, id: i64) -> impl Iterator<Item = &'a MapUnit> + '_ {
        self.children
            .get(&id)
            .into_iter()
            .flatten()
            .map(|i| &self.units[*i])
    }

    /// Communes under a unit (any depth), in id order.
    fn communes_under(&self, id: i64) -> Vec<&'a MapUnit> {
        let mut out = Vec::new();
        let mut stack = vec![id];
        while let Some(u) = stack.pop() {
            for c in self.children(u) {
                if c.level == UnitLevel::Commune {
                    out.push(c);
                } else {
                    stack.push(c.id);
                }
            }
        }
        out.sort_by_key(|u| u.id);
        out
    }
}

impl Scenario {
    /// Builds the scenario over the 2023 map. With `figures` false, only
    /// campaigns, targets and teams are kept (the figures are still
    /// computed, because some targets are derived from them).
    pub fn build(units: &[MapUnit], figures: bool) -> Result<Self, String> {
        let map = MapIndex::new(units);
        let mut s = Scenario::default();
        s.generate_figures(&map)?;
        s.generate_catalogue(&map)?;
        if !figures {
            s.stocks.clear();
            s.reports.clear();
        }
        Ok(s)
    }

    /// The populations of every reporting unit that has them (the first
    /// value of each), for the years after the scenario.
    pub fn unit_populations(&self) -> HashMap<i64, super::recent::Population> {
        let mut out: HashMap<i64, super::recent::Population> = HashMap::new();
        let mut first: HashMap<(i64, &str), NaiveDate> = HashMap::new();
        for st in &self.stocks {
            let slot = match st.metric {
                "eligible_population" | "accounts_eligible" => st.metric,
                _ => continue,
            };
            let earliest = first.entry((st.unit_id, slot)).or_insert(st.valid_from);
            if st.valid_from > *earliest {
                continue;
            }
            *earliest = st.valid_from;
            let p = out.entry(st.unit_id).or_default();
            if slot == "eligible_population" {
                p.eligible = st.value as f64;
            } else {
                p.accounts_eligible = st.value as f64;
            }
        }
        out
    }

    /// Rows to write (for the progress bar).
    pub fn row_count(&self) -> u64 {
        (self.campaigns.len()
            + self.targets.len()
            + self.teams.len()
            + self.teams.iter().map(|t| t.serves.len()).sum::<usize>()
            + self.stocks.len()
            + self.reports.len()) as u64
    }
}
