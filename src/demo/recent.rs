//! The years after the reference scenario, across the 2025 reform up to a
//! recent day: daily reports of every reporting unit of the 2023 map until
//! 2025-06-30 and of every commune of the 2025 map from 2025-07-01, and the
//! VNeID activation campaigns of 2025–2026 in the 34 new provinces.
//! Populations stay those of the scenario (a 2025 commune's are its
//! predecessors' by share, as the engine computes them).
//!
//! Plausible rather than pinned, and deterministic (fixed seed): each
//! unit's daily cards and accounts follow a rate drawn from its population
//! (a 2025 commune's population is its predecessors' by share), fading as
//! the campaigns reach most citizens, with a weekly rhythm, rounded at
//! random so that small rates keep their mean.
//! Reports are generated lazily while they are written, so memory stays
//! flat whatever the number of days; `stride` keeps one day in `stride`
//! (the tests' lighter demo).

use std::collections::{HashMap, HashSet};

use chrono::{Datelike, Duration, NaiveDate, Weekday};
use entity::unit::{AdminMap, UnitLevel};

use super::bulk;
use super::rng::Rng;
use super::scenario::{CampaignRow, TargetRow};
use super::units::MapUnit;
use crate::model::rows::LineageRow;
use crate::model::values::Flows;

/// The last day of the demo's reports.
pub fn demo_until() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 30).unwrap_or_default()
}

/// The first day after the reference scenario.
pub fn demo_from() -> NaiveDate {
    NaiveDate::from_ymd_opt(2023, 8, 1).unwrap_or_default()
}

/// Populations of one reporting unit: citizens aged 14 and over, and those
/// eligible for a VNeID account.
#[derive(Debug, Clone, Copy, Default)]
pub struct Population {
    pub eligible: f64,
    pub accounts_eligible: f64,
}

/// One reporting unit's daily rates at the first day.
#[derive(Debug, Clone, Copy)]
struct Flowing {
    id: i64,
    cards: f64,
    accounts: f64,
}

/// The plan of the years after the scenario, ready to write.
#[derive(Debug)]
pub struct Recent {
    old: Vec<Flowing>,
    new: Vec<Flowing>,
    from: NaiveDate,
    until: NaiveDate,
    stride: u32,
    seed: u64,
    /// The activation campaigns of the new provinces.
    pub campaigns: Vec<CampaignRow>,
    pub targets: Vec<TargetRow>,
}

/// Days over which a rate fades to 1/e: campaigns reach the many first.
const FADE_DAYS: f64 = 600.0;

impl Recent {
    /// Plans reports from `from` to `until` (inclusive, one day in
    /// `stride`), in the map in force on each day, for the units of
    /// `old` (2023) and `new` (2025) linked by `lineage`. `populations`
    /// gives the 2023 reporting units' populations; `first_campaign_id`
    /// the id of the first campaign written.
    #[allow(clippy::too_many_arguments)]
    pub fn plan(
        old: &[MapUnit],
        new: &[MapUnit],
        lineage: &[LineageRow],
        populations: &HashMap<i64, Population>,
        from: NaiveDate,
        until: NaiveDate,
        stride: u32,
        seed: u64,
        first_campaign_id: i64,
    ) -> Recent {
        let leaves = |units: &[MapUnit]| -> Vec<i64> {
            let parents: HashSet<i64> = units.iter().filter_map(|u| u.parent_id).collect();
            units
                .iter()
                .filter(|u| u.level != UnitLevel::Ministry && !parents.contains(&u.id))
                .map(|u| u.id)
                .collect()
        };
        let old_leaves = leaves(old);
        let new_leaves = leaves(new);
        // A 2025 commune's population: its predecessors' by share.
        let new_set: HashSet<i64> = new_leaves.iter().copied().collect();
        let mut new_populations: HashMap<i64, Population> = HashMap::new();
        for row in lineage.iter().filter(|r| new_set.contains(&r.new_unit_id)) {
            if let Some(p) = populations.get(&row.old_unit_id) {
                let into = new_populations.entry(row.new_unit_id).or_default();
                into.eligible += p.eligible * row.share;
                into.accounts_eligible += p.accounts_eligible * row.share;
            }
        }
        let typical = Population {
            eligible: 6_000.0,
            accounts_eligible: 4_400.0,
        };
        let rates = |ids: &[i64], pops: &HashMap<i64, Population>, stream: u64| -> Vec<Flowing> {
            ids.iter()
                .map(|&id| {
                    let p = pops.get(&id).copied().unwrap_or(typical);
                    let mut r = Rng::stream(seed ^ stream, id as u64);
                    // At most 4.8% of the eligible still to card, and 54%
                    // of the accounts still to activate, over the years.
                    Flowing {
                        id,
                        cards: p.eligible * r.range(0.000_02, 0.000_08),
                        accounts: p.accounts_eligible * r.range(0.000_4, 0.000_9),
                    }
                })
                .collect()
        };
        let mut recent = Recent {
            old: rates(&old_leaves, populations, 0x2023),
            new: rates(&new_leaves, &new_populations, 0x2025),
            from,
            until,
            stride: stride.max(1),
            seed,
            campaigns: Vec::new(),
            targets: Vec::new(),
        };
        recent.plan_campaigns(new, &new_populations, first_campaign_id);
        recent
    }

    /// One VNeID activation campaign per new province, from the reform to
    /// the end of 2026, aiming at 85% of the accounts eligible.
    fn plan_campaigns(
        &mut self,
        new: &[MapUnit],
        new_populations: &HashMap<i64, Population>,
        first_id: i64,
    ) {
        let reform = AdminMap::reform_day();
        if self.until < reform {
            return;
        }
        let ends = NaiveDate::from_ymd_opt(2026, 12, 31).unwrap_or(self.until);
        let province_of: HashMap<i64, i64> = new
            .iter()
            .filter(|u| u.level == UnitLevel::Commune)
            .filter_map(|u| u.parent_id.map(|p| (u.id, p)))
            .collect();
        let mut accounts: HashMap<i64, f64> = HashMap::new();
        for (commune, p) in new_populations {
            if let Some(province) = province_of.get(commune) {
                *accounts.entry(*province).or_default() += p.accounts_eligible;
            }
        }
        let provinces = new.iter().filter(|u| u.level == UnitLevel::Province);
        for (i, province) in provinces.enumerate() {
            let id = first_id + i as i64;
            self.campaigns.push(CampaignRow {
                id,
                name: format!("Kích hoạt VNeID {} 2025–2026", province.short_name),
                description: format!(
                    "Chiến dịch kích hoạt tài khoản định danh điện tử mức 2 trên địa bàn {} \
                     sau sắp xếp đơn vị hành chính (từ 1/7/2025).",
                    province.name
                ),
                scope_unit_id: province.id,
                starts_on: reform,
                ends_on: ends,
                deadline: Some(ends),
                parent_id: None,
            });
            let eligible = accounts.get(&province.id).copied().unwrap_or_default();
            self.targets.push(TargetRow {
                campaign_id: id,
                metric: "ACCOUNTS_ACTIVATED_TOTAL",
                value: (eligible * 0.85).round() as i64,
                due_on: ends,
            });
        }
    }

    /// Reports to write (for the progress bar).
    pub fn report_count(&self) -> u64 {
        let reform = AdminMap::reform_day();
        let days = |from: NaiveDate, to: NaiveDate| -> u64 {
            if to < from {
                return 0;
            }
            let n = (to - from).num_days() as u64 + 1;
            n.div_ceil(u64::from(self.stride))
        };
        let last_old = self.until.min(reform - Duration::days(1));
        let first_new = self.from.max(reform);
        self.old.len() as u64 * days(self.from, last_old)
            + self.new.len() as u64 * days(first_new, self.until)
    }

    /// The report rows (SQL literals for [`bulk::insert`]), day by day:
    /// the 2023 map's units until 2025-06-30, the 2025 map's after.
    pub fn reports(&self) -> impl Iterator<Item = String> + '_ {
        let reform = AdminMap::reform_day();
        let days = (self.until - self.from).num_days().max(-1) + 1;
        (0..days).step_by(self.stride as usize).flat_map(move |n| {
            let d = self.from + Duration::days(n);
            let units = if d < reform { &self.old } else { &self.new };
            units.iter().map(move |f| self.report(f, d, n))
        })
    }

    /// One unit's report on day `d`, the `n`th day of the plan.
    fn report(&self, f: &Flowing, d: NaiveDate, n: i64) -> String {
        let mut r = Rng::stream(self.seed ^ (d.num_days_from_ce() as u64), f.id as u64);
        let rhythm = match d.weekday() {
            Weekday::Sun => 0.35,
            Weekday::Sat => 0.7,
            _ => 1.0,
        };
        let fade = (-(n as f64) / FADE_DAYS).exp() * rhythm;
        let (card_noise, account_noise) = (r.range(0.6, 1.4), r.range(0.6, 1.4));
        // Rounded up with the probability of the fraction, so that small
        // rates keep their mean instead of rounding to nothing.
        let mut whole = |x: f64| -> i64 {
            let floor = x.floor();
            floor as i64 + i64::from(r.range(0.0, 1.0) < x - floor)
        };
        let cards = whole(f.cards * fade * card_noise);
        let accounts = whole(f.accounts * fade * account_noise);
        let applications = whole(cards as f64 * 1.1);
        let visits = whole(accounts as f64 * 0.03);
        bulk::report_row(
            f.id,
            d,
            None,
            None,
            Flows {
                applications_collected: applications,
                cards_issued: cards,
                accounts_activated: accounts,
                home_visits: visits,
            },
        )
    }
}
