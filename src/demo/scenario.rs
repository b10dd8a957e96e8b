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

use std::collections::HashMap;

use chrono::{Datelike, Duration, NaiveDate, Weekday};
use entity::unit::UnitLevel;
use indicatif::ProgressBar;
use sea_orm::{ConnectionTrait, DbBackend, DbErr};

use super::bulk;
use super::rng::Rng;
use super::units::MapUnit;
use crate::model::values::Flows;
use crate::store::sql;

/// The seed of every random stream in the demo.
const SEED: u64 = 0x7165_6E64_6F06;

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    // Only called with constant, valid dates below.
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
}

/// Pinned figures (DOMAIN.md, reference scenario).
pub mod pinned {
    /// Hà Tĩnh, as of 2023-04-15.
    pub const HA_TINH: &str = "42";
    pub const HA_TINH_ELIGIBLE: i64 = 1_192_722;
    pub const HA_TINH_PRESENT: i64 = 1_124_842;
    pub const HA_TINH_ACCOUNTS_ELIGIBLE: i64 = 859_268;
    pub const HA_TINH_CARDS_TOTAL: i64 = 1_120_269;
    pub const HA_TINH_ACCOUNTS_TOTAL: i64 = 334_146;
    pub const HA_TINH_COMPLETE_COMMUNES: usize = 7;
    /// Thạch Kênh commune, among the first six in the country to complete.
    pub const THACH_KENH: &str = "18586";
    /// Quảng Nam, as of 2023-05-16.
    pub const QUANG_NAM: &str = "49";
    pub const QUANG_NAM_ACTIVATION_RATE: f64 = 0.112;
    pub const QUANG_NAM_REMAINING: i64 = 59_317;
    pub const QUANG_NAM_ACCOUNTS_TARGET: i64 = 728_000;
    pub const QUANG_NAM_REINFORCEMENTS: i32 = 30;
    /// Nghệ An: every commune complete by 2023-06-30.
    pub const NGHE_AN: &str = "40";
    /// Thanh Hóa, 2020-12-21 to 2021-03-06.
    pub const THANH_HOA: &str = "38";
    pub const THANH_HOA_ELIGIBLE: i64 = 2_947_938;
    pub const THANH_HOA_APPLICATIONS: i64 = 92_629;
    pub const THANH_HOA_CARDS: i64 = 48_213;
    /// Ninh Bình city, 2022-09-10 to 2022-09-20 (the first 11 days).
    pub const NINH_BINH_CITY: &str = "369";
    pub const NINH_BINH_CARDS_11_DAYS: i64 = 2_275;
    pub const NINH_BINH_HOME_VISITS_11_DAYS: i64 = 214;
    /// The province that leads Hà Tĩnh on activation as of 2023-04-15.
    pub const ACTIVATION_LEADER: &str = "48";
    /// Provinces below Quảng Nam on activation as of 2023-05-16 (rank 47 of 63).
    pub const BELOW_QUANG_NAM: usize = 16;
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

/// Campaign ids (assigned here so that teams and reports can refer to them).
pub mod campaign_ids {
    pub const DE_AN_06: i64 = 1;
    pub const THANH_HOA: i64 = 2;
    pub const NINH_BINH_CITY: i64 = 3;
    pub const HA_TINH: i64 = 4;
    pub const QUANG_NAM: i64 = 5;
    pub const NGHE_AN: i64 = 6;
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

/// Spreads `total` over slots in proportion to `weights`, exactly (largest
/// remainder).
pub fn spread(total: i64, weights: &[f64]) -> Vec<i64> {
    let n = weights.len();
    if n == 0 {
        return Vec::new();
    }
    let sum: f64 = weights.iter().sum();
    if sum <= 0.0 || total <= 0 {
        let mut out = vec![0; n];
        if total > 0 {
            out[0] = total;
        }
        return out;
    }
    let raw: Vec<f64> = weights.iter().map(|w| total as f64 * w / sum).collect();
    let mut out: Vec<i64> = raw.iter().map(|x| x.floor() as i64).collect();
    let mut left = total - out.iter().sum::<i64>();
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|a, b| {
        let fa = raw[*a] - raw[*a].floor();
        let fb = raw[*b] - raw[*b].floor();
        fb.total_cmp(&fa).then(a.cmp(b))
    });
    for i in order.into_iter().cycle() {
        if left <= 0 {
            break;
        }
        out[i] += 1;
        left -= 1;
    }
    out
}

/// Distributes `total` over items in proportion to `weights` within
/// `[lo, hi]` per item (water-filling), exactly. Fails when the bounds make
/// the total impossible.
pub fn fill(total: i64, weights: &[f64], lo: &[i64], hi: &[i64]) -> Result<Vec<i64>, String> {
    let n = weights.len();
    let sum_lo: i64 = lo.iter().sum();
    let sum_hi: i64 = hi.iter().sum();
    if total < sum_lo || total > sum_hi {
        return Err(format!(
            "cannot place {total} within bounds {sum_lo}..={sum_hi}"
        ));
    }
    let mut x = lo.to_vec();
    let mut remaining = total - sum_lo;
    let mut active: Vec<usize> = (0..n).filter(|&i| hi[i] > lo[i]).collect();
    // Saturate the items whose proportional share exceeds their room.
    loop {
        let w: f64 = active.iter().map(|&i| weights[i].max(1e-9)).sum();
        let mut saturated = false;
        active.retain(|&i| {
            let share = remaining as f64 * weights[i].max(1e-9) / w;
            let room = hi[i] - x[i];
            if share >= room as f64 {
                saturated = true;
                false
            } else {
                true
            }
        });
        if !saturated {
            break;
        }
        // Re-derive: give saturated items their full room.
        let placed: i64 = (0..n)
            .filter(|i| !active.contains(i) && hi[*i] > x[*i])
            .map(|i| hi[i] - x[i])
            .sum();
        if placed > remaining {
            // Too many saturated at once: give rooms proportionally instead.
            break;
        }
        for i in 0..n {
            if !active.contains(&i) && hi[i] > x[i] {
                remaining -= hi[i] - x[i];
                x[i] = hi[i];
            }
        }
        if active.is_empty() {
            break;
        }
    }
    if remaining > 0 {
        let targets: Vec<usize> = if active.is_empty() {
            (0..n).filter(|&i| hi[i] > x[i]).collect()
        } else {
            active
        };
        let room: Vec<f64> = targets.iter().map(|&i| weights[i].max(1e-9)).collect();
        let mut adds = spread(remaining, &room);
        // Respect `hi` after rounding: move any excess to items with room.
        let mut excess = 0;
        for (k, &i) in targets.iter().enumerate() {
            let over = (x[i] + adds[k] - hi[i]).max(0);
            adds[k] -= over;
            excess += over;
        }
        for (k, &i) in targets.iter().enumerate() {
            if excess == 0 {
                break;
            }
            let room = hi[i] - x[i] - adds[k];
            let take = room.min(excess);
            adds[k] += take;
            excess -= take;
        }
        for (k, &i) in targets.iter().enumerate() {
            x[i] += adds[k];
        }
        if excess > 0 {
            return Err("water-filling left a remainder".into());
        }
    }
    Ok(x)
}

/// Keeps an unpinned total within what the per-commune bounds allow.
fn clamp_total(total: i64, lo: &[i64], hi: &[i64]) -> i64 {
    total.clamp(lo.iter().sum(), hi.iter().sum())
}

/// Weight of a day in the weekly rhythm (Sundays are quiet).
fn day_weight(d: NaiveDate, rng: &mut Rng) -> f64 {
    let base = match d.weekday() {
        Weekday::Sun => 0.35,
        Weekday::Sat => 0.7,
        _ => 1.0,
    };
    base * rng.range(0.6, 1.4)
}

/// Days from `from` to `to` inclusive.
fn days(from: NaiveDate, to: NaiveDate) -> Vec<NaiveDate> {
    let mut out = Vec::new();
    let mut d = from;
    while d <= to {
        out.push(d);
        d += Duration::days(1);
    }
    out
}

/// Spreads `total` over the days `from..=to` with the weekly rhythm.
fn spread_days(total: i64, from: NaiveDate, to: NaiveDate, rng: &mut Rng) -> Vec<i64> {
    let ds = days(from, to);
    let w: Vec<f64> = ds.iter().map(|d| day_weight(*d, rng)).collect();
    spread(total, &w)
}

/// The knots of 2023: (opening on 01-01 is separate) ends of these days.
fn knots_2023() -> [NaiveDate; 4] {
    [
        day(2023, 4, 15),
        day(2023, 5, 16),
        day(2023, 6, 30),
        day(2023, 7, 31),
    ]
}

/// Per-province plan: coverage and activation at each knot
/// (A = 2022-09-01 opening, B = 2023-01-01 opening, then the four 2023 knots).
#[derive(Debug, Clone, Copy)]
struct Plan {
    coverage: [f64; 6],
    activation: [f64; 6],
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

    /// Rows to write (for the progress bar).
    pub fn row_count(&self) -> u64 {
        (self.campaigns.len()
            + self.targets.len()
            + self.teams.len()
            + self.teams.iter().map(|t| t.serves.len()).sum::<usize>()
            + self.stocks.len()
            + self.reports.len()) as u64
    }

    fn generate_figures(&mut self, map: &MapIndex<'_>) -> Result<(), String> {
        use pinned::*;
        let provinces: Vec<&MapUnit> = map
            .units
            .iter()
            .filter(|u| u.level == UnitLevel::Province)
            .collect();
        let ha_tinh = map.get(UnitLevel::Province, HA_TINH)?;
        let quang_nam = map.get(UnitLevel::Province, QUANG_NAM)?;
        let nghe_an = map.get(UnitLevel::Province, NGHE_AN)?;
        let thanh_hoa = map.get(UnitLevel::Province, THANH_HOA)?;
        let leader = map.get(UnitLevel::Province, ACTIVATION_LEADER)?;
        let ninh_binh_city = map.get(UnitLevel::District, NINH_BINH_CITY)?;
        let thach_kenh = map.get(UnitLevel::Commune, THACH_KENH)?;

        // Early completers: two communes of Bắc Ninh, then Thạch Kênh, then
        // six more Hà Tĩnh communes, all before 2023-04-15.
        let mut completion_day: HashMap<i64, NaiveDate> = HashMap::new();
        let bac_ninh = map.get(UnitLevel::Province, "27")?;
        let bn = map.communes_under(bac_ninh.id);
        completion_day.insert(bn[0].id, day(2023, 1, 20));
        completion_day.insert(bn[1].id, day(2023, 2, 3));
        completion_day.insert(thach_kenh.id, day(2023, 2, 10));
        let ht_communes = map.communes_under(ha_tinh.id);
        let mut pick = Rng::stream(SEED, 42);
        let mut others: Vec<&MapUnit> = ht_communes
            .iter()
            .copied()
            .filter(|c| c.id != thach_kenh.id)
            .collect();
        for k in 0..(HA_TINH_COMPLETE_COMMUNES - 1) {
            let i = pick.int(0, others.len() as i64 - 1) as usize;
            let c = others.remove(i);
            completion_day.insert(c.id, day(2023, 3, 2) + Duration::days(7 * k as i64));
        }

        // Activation laggards: the provinces below Quảng Nam on 2023-05-16.
        let mut candidates: Vec<&MapUnit> = provinces
            .iter()
            .copied()
            .filter(|p| ![ha_tinh.id, quang_nam.id, leader.id].contains(&p.id))
            .collect();
        let mut laggards = Vec::new();
        let mut pick = Rng::stream(SEED, 7);
        for _ in 0..BELOW_QUANG_NAM {
            let i = pick.int(0, candidates.len() as i64 - 1) as usize;
            laggards.push(candidates.remove(i).id);
        }

        // Province plans.
        let mut plans: HashMap<i64, Plan> = HashMap::new();
        for p in &provinces {
            let mut r = Rng::stream(SEED, 1000 + p.id as u64);
            let cov_b = r.range(0.72, 0.84);
            let cov_a = cov_b - r.range(0.06, 0.12);
            let cov1 = (cov_b + r.range(0.04, 0.08)).min(0.925);
            let cov2 = cov1 + r.range(0.005, 0.015);
            let cov3 = (cov2 + r.range(0.01, 0.025)).min(0.985);
            let cov4 = (cov3 + r.range(0.004, 0.01)).min(0.99);
            let r2 = if laggards.contains(&p.id) {
                r.range(0.06, 0.105)
            } else {
                r.range(0.12, 0.40)
            };
            let r1 = r2 * r.range(0.85, 0.95);
            let rb = r1 * r.range(0.55, 0.75);
            let ra = rb * r.range(0.4, 0.7);
            let r3 = (r2 + r.range(0.03, 0.08)).min(0.95);
            let r4 = (r3 + r.range(0.01, 0.04)).min(0.96);
            plans.insert(
                p.id,
                Plan {
                    coverage: [cov_a, cov_b, cov1, cov2, cov3, cov4],
                    activation: [ra, rb, r1, r2, r3, r4],
                },
            );
        }
        let ht_cov1 = HA_TINH_CARDS_TOTAL as f64 / HA_TINH_ELIGIBLE as f64;
        let ht_r1 = HA_TINH_ACCOUNTS_TOTAL as f64 / HA_TINH_ACCOUNTS_ELIGIBLE as f64;
        plans.insert(
            ha_tinh.id,
            Plan {
                coverage: [0.80, 0.89, ht_cov1, 0.952, 0.966, 0.972],
                activation: [0.12, 0.25, ht_r1, 0.405, 0.45, 0.47],
            },
        );
        plans.insert(
            leader.id,
            Plan {
                coverage: [0.74, 0.82, 0.90, 0.91, 0.93, 0.94],
                activation: [0.15, 0.28, 0.42, 0.44, 0.48, 0.50],
            },
        );
        plans.insert(
            quang_nam.id,
            Plan {
                coverage: [0.78, 0.86, 0.925, f64::NAN, 0.962, 0.966],
                activation: [0.03, 0.06, 0.100, QUANG_NAM_ACTIVATION_RATE, 0.22, 0.27],
            },
        );
        plans.insert(
            nghe_an.id,
            Plan {
                coverage: [0.76, 0.84, 0.90, 0.93, f64::NAN, f64::NAN],
                activation: [0.08, 0.15, 0.24, 0.27, 0.31, 0.34],
            },
        );

        // Populations per commune.
        let mut eligible: HashMap<i64, i64> = HashMap::new();
        let mut present: HashMap<i64, i64> = HashMap::new();
        let mut acc_eligible: HashMap<i64, i64> = HashMap::new();
        let mut jitter: HashMap<i64, f64> = HashMap::new();
        for p in &provinces {
            let communes = map.communes_under(p.id);
            let mut r = Rng::stream(SEED, 2000 + p.id as u64);
            let base: Vec<f64> = communes
                .iter()
                .map(|c| match c.division_type.as_str() {
                    "phường" => r.range(6000.0, 18000.0),
                    "thị trấn" => r.range(4000.0, 11000.0),
                    _ => r.range(3000.0, 9000.0),
                })
                .collect();
            let e: Vec<i64> = match p.code.as_str() {
                HA_TINH => spread(HA_TINH_ELIGIBLE, &base),
                THANH_HOA => spread(THANH_HOA_ELIGIBLE, &base),
                _ => base.iter().map(|b| b.round() as i64).collect(),
            };
            let pres_w: Vec<f64> = e.iter().map(|v| *v as f64 * r.range(0.90, 0.97)).collect();
            let acc_w: Vec<f64> = e.iter().map(|v| *v as f64 * r.range(0.70, 0.78)).collect();
            let pres = if p.code == HA_TINH {
                fill(HA_TINH_PRESENT, &pres_w, &vec![0; e.len()], &e)?
            } else {
                pres_w.iter().map(|v| v.round() as i64).collect()
            };
            let acc = if p.code == HA_TINH {
                fill(HA_TINH_ACCOUNTS_ELIGIBLE, &acc_w, &vec![0; e.len()], &e)?
            } else {
                acc_w.iter().map(|v| v.round() as i64).collect()
            };
            for (i, c) in communes.iter().enumerate() {
                eligible.insert(c.id, e[i]);
                present.insert(c.id, pres[i]);
                acc_eligible.insert(c.id, acc[i]);
                jitter.insert(c.id, r.range(0.95, 1.05));
                for (metric, value) in [
                    ("eligible_population", e[i]),
                    ("present_population", pres[i]),
                    ("accounts_eligible", acc[i]),
                ] {
                    self.stocks.push(StockRow {
                        unit_id: c.id,
                        metric,
                        valid_from: day(2020, 1, 1),
                        valid_to: None,
                        value,
                    });
                }
            }
        }

        // Campaign-window flows before 2023: cumulative lower bounds for the
        // later opening balances.
        let cards_before_a = self.thanh_hoa_window(map, thanh_hoa, &eligible);
        let (cards_a_to_b, accounts_a_to_b) = self.ninh_binh_window(map, ninh_binh_city, &eligible);

        // Knots and daily 2023 reports, province by province.
        let knots = knots_2023();
        let opening_a = day(2022, 9, 1);
        let opening_b = day(2023, 1, 1);
        let mut nghe_an_campaign_cards = 0i64;
        let mut quang_nam_remaining_at_start = 0i64;
        for p in &provinces {
            let communes = map.communes_under(p.id);
            if communes.is_empty() {
                continue;
            }
            let plan = plans[&p.id];
            let e: Vec<i64> = communes.iter().map(|c| eligible[&c.id]).collect();
            let ae: Vec<i64> = communes.iter().map(|c| acc_eligible[&c.id]).collect();
            let w_cards: Vec<f64> = communes
                .iter()
                .map(|c| eligible[&c.id] as f64 * jitter[&c.id])
                .collect();
            let w_acc: Vec<f64> = communes
                .iter()
                .map(|c| acc_eligible[&c.id] as f64 * jitter[&c.id])
                .collect();
            let sum_e: i64 = e.iter().sum();
            let sum_ae: i64 = ae.iter().sum();
            let designated: Vec<Option<NaiveDate>> = communes
                .iter()
                .map(|c| completion_day.get(&c.id).copied())
                .collect();

            // Cumulative cards at the six knots.
            let mut cards: Vec<Vec<i64>> = Vec::new();
            let mut prev: Vec<i64> = communes
                .iter()
                .map(|c| cards_before_a.get(&c.id).copied().unwrap_or(0))
                .collect();
            for k in 0..6 {
                if k == 1 {
                    for (i, c) in communes.iter().enumerate() {
                        prev[i] += cards_a_to_b.get(&c.id).copied().unwrap_or(0);
                    }
                }
                let total = match (p.code.as_str(), k) {
                    (HA_TINH, 2) => HA_TINH_CARDS_TOTAL,
                    (QUANG_NAM, 3) => sum_e - QUANG_NAM_REMAINING,
                    (NGHE_AN, 4) => (sum_e as f64 * 1.002).round() as i64,
                    (NGHE_AN, 5) => (sum_e as f64 * 1.004).round() as i64,
                    _ => (plan.coverage[k] * sum_e as f64).round() as i64,
                };
                let mut lo = Vec::with_capacity(e.len());
                let mut hi = Vec::with_capacity(e.len());
                for i in 0..e.len() {
                    let gain = if k >= 2 { (e[i] / 500).max(1) } else { 0 };
                    let before_k1 = k <= 2;
                    let (mut l, h) = match designated[i] {
                        // Completed on its designated day (before 2023-04-15).
                        Some(_) if k >= 2 => (e[i], (e[i] as f64 * 1.01) as i64),
                        Some(_) => (prev[i], e[i] - 2),
                        None if before_k1 => (prev[i] + gain, e[i] - 1),
                        None => (prev[i] + gain, (e[i] as f64 * 1.01) as i64),
                    };
                    if p.code == NGHE_AN && k >= 4 {
                        l = l.max(e[i]);
                    }
                    let l = l.max(prev[i]);
                    let h = h.max(l);
                    lo.push(l);
                    hi.push(h);
                }
                let pinned_total = matches!((p.code.as_str(), k), (HA_TINH, 2) | (QUANG_NAM, 3));
                let total = if pinned_total {
                    total
                } else {
                    clamp_total(total, &lo, &hi)
                };
                let values = fill(total, &w_cards, &lo, &hi)
                    .map_err(|err| format!("{} cards knot {k}: {err}", p.name))?;
                prev = values.clone();
                cards.push(values);
            }
            // Cumulative accounts at the six knots.
            let mut accounts: Vec<Vec<i64>> = Vec::new();
            let mut prev: Vec<i64> = vec![0; communes.len()];
            for k in 0..6 {
                if k == 1 {
                    for (i, c) in communes.iter().enumerate() {
                        prev[i] += accounts_a_to_b.get(&c.id).copied().unwrap_or(0);
                    }
                }
                let total = match (p.code.as_str(), k) {
                    (HA_TINH, 2) => HA_TINH_ACCOUNTS_TOTAL,
                    (QUANG_NAM, 3) => (QUANG_NAM_ACTIVATION_RATE * sum_ae as f64).round() as i64,
                    _ => (plan.activation[k] * sum_ae as f64).round() as i64,
                };
                let gain = |i: usize| if k >= 2 { (ae[i] / 1000).max(1) } else { 0 };
                let lo: Vec<i64> = (0..ae.len()).map(|i| prev[i] + gain(i)).collect();
                let hi: Vec<i64> = (0..ae.len()).map(|i| ae[i].max(lo[i])).collect();
                let pinned_total = matches!((p.code.as_str(), k), (HA_TINH, 2) | (QUANG_NAM, 3));
                let total = if pinned_total {
                    total
                } else {
                    clamp_total(total, &lo, &hi)
                };
                let values = fill(total, &w_acc, &lo, &hi)
                    .map_err(|err| format!("{} accounts knot {k}: {err}", p.name))?;
                prev = values.clone();
                accounts.push(values);
            }

            // Opening balances and daily reports.
            let mut r = Rng::stream(SEED, 3000 + p.id as u64);
            for (i, c) in communes.iter().enumerate() {
                for (metric, values) in [
                    ("cards_issued_opening", &cards),
                    ("accounts_activated_opening", &accounts),
                ] {
                    self.stocks.push(StockRow {
                        unit_id: c.id,
                        metric,
                        valid_from: opening_a,
                        valid_to: Some(opening_b - Duration::days(1)),
                        value: values[0][i],
                    });
                    self.stocks.push(StockRow {
                        unit_id: c.id,
                        metric,
                        valid_from: opening_b,
                        valid_to: None,
                        value: values[1][i],
                    });
                }
                // Daily cards: segments between knots, split at a designated
                // completion day.
                let mut card_days: Vec<i64> = Vec::new();
                let mut seg_start = opening_b;
                let mut cum = cards[1][i];
                for (k, end) in knots.iter().enumerate() {
                    let target = cards[k + 2][i];
                    match designated[i] {
                        Some(done) if k == 0 => {
                            let mut first = spread_days(e[i] - cum, seg_start, done, &mut r);
                            if first.last().copied().unwrap_or(0) == 0 {
                                // The completion day itself must issue a card.
                                if let Some(j) = first.iter().position(|v| *v > 0) {
                                    first[j] -= 1;
                                }
                                if let Some(last) = first.last_mut() {
                                    *last += 1;
                                }
                            }
                            card_days.extend(first);
                            card_days.extend(spread_days(
                                target - e[i],
                                done + Duration::days(1),
                                *end,
                                &mut r,
                            ));
                        }
                        _ => card_days.extend(spread_days(target - cum, seg_start, *end, &mut r)),
                    }
                    cum = target;
                    seg_start = *end + Duration::days(1);
                }
                let mut account_days: Vec<i64> = Vec::new();
                let mut seg_start = opening_b;
                let mut cum = accounts[1][i];
                for (k, end) in knots.iter().enumerate() {
                    let target = accounts[k + 2][i];
                    account_days.extend(spread_days(target - cum, seg_start, *end, &mut r));
                    cum = target;
                    seg_start = *end + Duration::days(1);
                }
                for (n, d) in days(opening_b, knots[3]).into_iter().enumerate() {
                    let cards_n = card_days[n];
                    let accounts_n = account_days[n];
                    let applications =
                        (cards_n as f64 * r.range(0.95, 1.25)).round() as i64 + r.int(0, 2);
                    let visits = (cards_n as f64 * r.range(0.01, 0.05)).round() as i64;
                    if p.code == NGHE_AN && d >= day(2023, 4, 22) && d <= day(2023, 6, 30) {
                        nghe_an_campaign_cards += cards_n;
                    }
                    self.reports.push(ReportRow {
                        unit_id: c.id as i32,
                        day: d,
                        campaign_id: None,
                        team_id: None,
                        applications: applications as i32,
                        cards: cards_n as i32,
                        accounts: accounts_n as i32,
                        visits: visits as i32,
                    });
                }
                if p.code == QUANG_NAM {
                    let until = (day(2023, 5, 15) - opening_b).num_days() as usize;
                    let issued: i64 = cards[1][i] + card_days[..=until].iter().sum::<i64>();
                    quang_nam_remaining_at_start += e[i] - issued;
                }
            }
        }
        self.derived = Derived {
            nghe_an_campaign_cards,
            quang_nam_remaining_at_start,
        };
        Ok(())
    }
}

/// Team ids the reports refer to.
pub mod team_ids {
    pub const NINH_BINH_DESK: i64 = 1;
    pub const NINH_BINH_MOBILE: i64 = 2;
}

impl Scenario {
    /// Thanh Hóa's 2020–2021 campaign: applications from 2020-12-21, cards
    /// from 2021-01-01, nothing issued before (chip cards started in 2021).
    /// Returns the cards issued per commune.
    fn thanh_hoa_window(
        &mut self,
        map: &MapIndex<'_>,
        thanh_hoa: &MapUnit,
        eligible: &HashMap<i64, i64>,
    ) -> HashMap<i64, i64> {
        use pinned::*;
        let communes = map.communes_under(thanh_hoa.id);
        let weights: Vec<f64> = communes.iter().map(|c| eligible[&c.id] as f64).collect();
        let apps = spread(THANH_HOA_APPLICATIONS, &weights);
        let cards = spread(THANH_HOA_CARDS, &weights);
        let (start, first_card, end) = (day(2020, 12, 21), day(2021, 1, 1), day(2021, 3, 6));
        let mut r = Rng::stream(SEED, 38_000);
        let mut issued = HashMap::new();
        for (i, c) in communes.iter().enumerate() {
            for metric in ["cards_issued_opening", "accounts_activated_opening"] {
                self.stocks.push(StockRow {
                    unit_id: c.id,
                    metric,
                    valid_from: start,
                    valid_to: Some(day(2022, 8, 31)),
                    value: 0,
                });
            }
            let app_days = spread_days(apps[i], start, end, &mut r);
            let card_days = spread_days(cards[i], first_card, end, &mut r);
            let offset = (first_card - start).num_days() as usize;
            for (n, d) in days(start, end).into_iter().enumerate() {
                let cards_n = if n >= offset {
                    card_days[n - offset]
                } else {
                    0
                };
                self.reports.push(ReportRow {
                    unit_id: c.id as i32,
                    day: d,
                    campaign_id: Some(campaign_ids::THANH_HOA as i32),
                    team_id: None,
                    applications: app_days[n] as i32,
                    cards: cards_n as i32,
                    accounts: 0,
                    visits: r.int(0, 1) as i32,
                });
            }
            issued.insert(c.id, cards[i]);
        }
        issued
    }

    /// Ninh Bình city's "30 days and nights" (2022-09-10 to 2022-10-10).
    /// Returns cards and accounts per commune.
    fn ninh_binh_window(
        &mut self,
        map: &MapIndex<'_>,
        city: &MapUnit,
        eligible: &HashMap<i64, i64>,
    ) -> (HashMap<i64, i64>, HashMap<i64, i64>) {
        use pinned::*;
        let communes = map.communes_under(city.id);
        let weights: Vec<f64> = communes.iter().map(|c| eligible[&c.id] as f64).collect();
        let windows = [
            (
                day(2022, 9, 10),
                day(2022, 9, 20),
                NINH_BINH_CARDS_11_DAYS,
                NINH_BINH_HOME_VISITS_11_DAYS,
                1_480,
            ),
            (day(2022, 9, 21), day(2022, 10, 10), 3_912, 260, 2_950),
        ];
        let mut r = Rng::stream(SEED, 369_000);
        let mut cards_by = HashMap::new();
        let mut accounts_by = HashMap::new();
        for (from, to, cards_total, visits_total, accounts_total) in windows {
            let cards = spread(cards_total, &weights);
            let visits = spread(visits_total, &weights);
            let accounts = spread(accounts_total, &weights);
            for (i, c) in communes.iter().enumerate() {
                let card_days = spread_days(cards[i], from, to, &mut r);
                let visit_days = spread_days(visits[i], from, to, &mut r);
                let account_days = spread_days(accounts[i], from, to, &mut r);
                let team = if c.division_type == "phường" {
                    team_ids::NINH_BINH_DESK
                } else {
                    team_ids::NINH_BINH_MOBILE
                };
                for (n, d) in days(from, to).into_iter().enumerate() {
                    self.reports.push(ReportRow {
                        unit_id: c.id as i32,
                        day: d,
                        campaign_id: Some(campaign_ids::NINH_BINH_CITY as i32),
                        team_id: Some(team as i32),
                        applications: (card_days[n] as f64 * r.range(1.0, 1.2)).round() as i32,
                        cards: card_days[n] as i32,
                        accounts: account_days[n] as i32,
                        visits: visit_days[n] as i32,
                    });
                }
                *cards_by.entry(c.id).or_insert(0) += cards[i];
                *accounts_by.entry(c.id).or_insert(0) += accounts[i];
            }
        }
        (cards_by, accounts_by)
    }

    /// Campaigns, targets and teams of the reference scenario.
    fn generate_catalogue(&mut self, map: &MapIndex<'_>) -> Result<(), String> {
        use campaign_ids as cid;
        use pinned::*;
        let ministry = map.units.first().ok_or("empty map")?;
        let thanh_hoa = map.get(UnitLevel::Province, THANH_HOA)?;
        let city = map.get(UnitLevel::District, NINH_BINH_CITY)?;
        let ha_tinh = map.get(UnitLevel::Province, HA_TINH)?;
        let quang_nam = map.get(UnitLevel::Province, QUANG_NAM)?;
        let nghe_an = map.get(UnitLevel::Province, NGHE_AN)?;
        let campaign =
            |id, name: &str, description: &str, scope: &MapUnit, from, to, deadline, parent| {
                CampaignRow {
                    id,
                    name: name.to_owned(),
                    description: description.to_owned(),
                    scope_unit_id: scope.id,
                    starts_on: from,
                    ends_on: to,
                    deadline,
                    parent_id: parent,
                }
            };
        self.campaigns = vec![
            campaign(
                cid::DE_AN_06,
                "Đề án 06: dữ liệu dân cư, định danh và xác thực điện tử (2022–2025)",
                "National programme: chip ID cards for every citizen aged 14+, and VNeID accounts.",
                ministry,
                day(2022, 1, 6),
                day(2025, 12, 31),
                None,
                None,
            ),
            campaign(
                cid::THANH_HOA,
                "Cao điểm thu nhận hồ sơ cấp căn cước công dân gắn chip, tỉnh Thanh Hóa",
                "Peak drive to collect chip ID card applications at the start of the roll-out.",
                thanh_hoa,
                day(2020, 12, 21),
                day(2021, 3, 6),
                None,
                None,
            ),
            campaign(
                cid::NINH_BINH_CITY,
                "Cao điểm 30 ngày đêm cấp căn cước công dân và định danh điện tử, thành phố Ninh Bình",
                "Two teams at the one-stop centre and the ward and commune stations, 07:00–22:00.",
                city,
                day(2022, 9, 10),
                day(2022, 10, 10),
                None,
                Some(cid::DE_AN_06),
            ),
            campaign(
                cid::HA_TINH,
                "Cao điểm cấp căn cước công dân và kích hoạt định danh điện tử, tỉnh Hà Tĩnh",
                "Provincial task forces and mobile teams; district mobile teams work 24/7.",
                ha_tinh,
                day(2023, 1, 1),
                day(2023, 4, 30),
                None,
                Some(cid::DE_AN_06),
            ),
            campaign(
                cid::QUANG_NAM,
                "Cao điểm kích hoạt tài khoản định danh điện tử, tỉnh Quảng Nam",
                "Catch-up drive after ranking 47th of 63 on activation; 30 officers dispatched on 2023-05-16.",
                quang_nam,
                day(2023, 5, 16),
                day(2023, 6, 30),
                Some(day(2023, 6, 30)),
                Some(cid::DE_AN_06),
            ),
            campaign(
                cid::NGHE_AN,
                "Cao điểm 70 ngày đêm cấp căn cước công dân, tỉnh Nghệ An",
                "70 days and nights to issue a card to every eligible citizen.",
                nghe_an,
                day(2023, 4, 22),
                day(2023, 6, 30),
                Some(day(2023, 6, 30)),
                Some(cid::DE_AN_06),
            ),
        ];
        self.targets = vec![
            TargetRow {
                campaign_id: cid::HA_TINH,
                metric: "ACCOUNTS_ACTIVATED_TOTAL",
                value: 400_000,
                due_on: day(2023, 4, 30),
            },
            TargetRow {
                campaign_id: cid::QUANG_NAM,
                metric: "ACCOUNTS_ACTIVATED_TOTAL",
                value: QUANG_NAM_ACCOUNTS_TARGET,
                due_on: day(2023, 6, 30),
            },
            TargetRow {
                campaign_id: cid::QUANG_NAM,
                metric: "APPLICATIONS_COLLECTED",
                value: self.derived.quang_nam_remaining_at_start,
                due_on: day(2023, 6, 15),
            },
            TargetRow {
                campaign_id: cid::NGHE_AN,
                metric: "CARDS_ISSUED",
                value: self.derived.nghe_an_campaign_cards,
                due_on: day(2023, 6, 30),
            },
        ];

        let day_hours = Some((7 * 60, 22 * 60));
        let city_communes = map.communes_under(city.id);
        let (wards, rural): (Vec<&MapUnit>, Vec<&MapUnit>) = city_communes
            .iter()
            .partition(|c| c.division_type == "phường");
        let mut teams = vec![
            TeamRow {
                id: team_ids::NINH_BINH_DESK,
                name: "Tổ tiếp nhận hồ sơ tại Bộ phận một cửa, Công an thành phố Ninh Bình".into(),
                kind: "desk",
                size: 6,
                unit_id: city.id,
                campaign_id: Some(cid::NINH_BINH_CITY),
                hours: day_hours,
                active_from: Some(day(2022, 9, 10)),
                serves: wards.iter().map(|c| c.id).collect(),
            },
            TeamRow {
                id: team_ids::NINH_BINH_MOBILE,
                name: "Tổ lưu động tại Công an các phường, xã, thành phố Ninh Bình".into(),
                kind: "mobile",
                size: 8,
                unit_id: city.id,
                campaign_id: Some(cid::NINH_BINH_CITY),
                hours: day_hours,
                active_from: Some(day(2022, 9, 10)),
                serves: rural.iter().map(|c| c.id).collect(),
            },
        ];
        let districts: Vec<&MapUnit> = map.children(ha_tinh.id).collect();
        let mut r = Rng::stream(SEED, 4_200);
        for k in 0..4 {
            teams.push(TeamRow {
                id: teams.len() as i64 + 1,
                name: format!("Tổ công tác số {}, Công an tỉnh Hà Tĩnh", k + 1),
                kind: "task_force",
                size: r.int(5, 7) as i32,
                unit_id: ha_tinh.id,
                campaign_id: Some(cid::HA_TINH),
                hours: Some((7 * 60 + 30, 17 * 60 + 30)),
                active_from: Some(day(2023, 1, 1)),
                serves: districts.iter().skip(k).step_by(4).map(|d| d.id).collect(),
            });
        }
        for k in 0..2 {
            teams.push(TeamRow {
                id: teams.len() as i64 + 1,
                name: format!("Tổ lưu động số {}, Phòng PC06 Công an tỉnh Hà Tĩnh", k + 1),
                kind: "mobile",
                size: r.int(5, 8) as i32,
                unit_id: ha_tinh.id,
                campaign_id: Some(cid::HA_TINH),
                hours: day_hours,
                active_from: Some(day(2023, 1, 1)),
                serves: vec![ha_tinh.id],
            });
        }
        for d in &districts {
            let communes: Vec<&MapUnit> = map.children(d.id).collect();
            for k in 0..2 {
                teams.push(TeamRow {
                    id: teams.len() as i64 + 1,
                    name: format!("Tổ lưu động số {}, Công an {}", k + 1, d.name),
                    kind: "mobile",
                    size: r.int(4, 6) as i32,
                    unit_id: d.id,
                    campaign_id: Some(cid::HA_TINH),
                    hours: None,
                    active_from: Some(day(2023, 1, 1)),
                    serves: communes.iter().skip(k).step_by(2).map(|c| c.id).collect(),
                });
            }
        }
        let dispatched = [
            "Núi Thành",
            "Thăng Bình",
            "Duy Xuyên",
            "Đại Lộc",
            "Phú Ninh",
            "Hội An",
            "Điện Bàn",
        ];
        let serves: Vec<i64> = map
            .children(quang_nam.id)
            .filter(|d| dispatched.contains(&d.short_name.as_str()))
            .map(|d| d.id)
            .collect();
        if serves.len() != dispatched.len() {
            return Err("a Quảng Nam district of the dispatch is missing from the map".into());
        }
        teams.push(TeamRow {
            id: teams.len() as i64 + 1,
            name: "Tổ công tác tăng cường, Công an tỉnh Quảng Nam".into(),
            kind: "reinforcement",
            size: QUANG_NAM_REINFORCEMENTS,
            unit_id: quang_nam.id,
            campaign_id: Some(cid::QUANG_NAM),
            hours: day_hours,
            active_from: Some(day(2023, 5, 16)),
            serves,
        });
        self.teams = teams;
        Ok(())
    }

    /// Writes the scenario (in the caller's transaction).
    pub async fn insert<C: ConnectionTrait>(&self, db: &C, bar: &ProgressBar) -> Result<(), DbErr> {
        let q = sql::quote;
        let date = |d: NaiveDate| q(&d.format("%Y-%m-%d").to_string());
        let opt = |v: Option<String>| v.unwrap_or_else(|| "NULL".to_owned());
        bulk::insert(
            db,
            "campaigns",
            &[
                "id",
                "name",
                "description",
                "scope_unit_id",
                "starts_on",
                "ends_on",
                "deadline",
                "parent_id",
            ],
            self.campaigns.iter().map(|c| {
                sql::row(&[
                    &c.id,
                    &q(&c.name),
                    &q(&c.description),
                    &c.scope_unit_id,
                    &date(c.starts_on),
                    &date(c.ends_on),
                    &opt(c.deadline.map(date)),
                    &opt(c.parent_id.map(|p| p.to_string())),
                ])
            }),
            bar,
        )
        .await?;
        bulk::insert(
            db,
            "campaign_targets",
            &["campaign_id", "metric", "target_value", "due_on"],
            self.targets
                .iter()
                .map(|t| sql::row(&[&t.campaign_id, &q(t.metric), &t.value, &date(t.due_on)])),
            bar,
        )
        .await?;
        bulk::insert(
            db,
            "teams",
            &[
                "id",
                "name",
                "kind",
                "size",
                "unit_id",
                "campaign_id",
                "opens_minute",
                "closes_minute",
                "active_from",
            ],
            self.teams.iter().map(|t| {
                sql::row(&[
                    &t.id,
                    &q(&t.name),
                    &q(t.kind),
                    &t.size,
                    &t.unit_id,
                    &opt(t.campaign_id.map(|c| c.to_string())),
                    &opt(t.hours.map(|h| h.0.to_string())),
                    &opt(t.hours.map(|h| h.1.to_string())),
                    &opt(t.active_from.map(date)),
                ])
            }),
            bar,
        )
        .await?;
        bulk::insert(
            db,
            "team_units",
            &["team_id", "unit_id"],
            self.teams
                .iter()
                .flat_map(|t| t.serves.iter().map(move |u| sql::row(&[&t.id, u]))),
            bar,
        )
        .await?;
        if db.get_database_backend() == DbBackend::Postgres {
            // Explicit ids do not move PostgreSQL sequences: move them, so
            // that rows created later through the API get fresh ids.
            for table in ["campaigns", "teams"] {
                db.execute_unprepared(&format!(
                    "SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))"
                ))
                .await?;
            }
        }
        bulk::insert(
            db,
            "stock_values",
            &["unit_id", "metric", "valid_from", "valid_to", "value"],
            self.stocks.iter().map(|st| {
                sql::row(&[
                    &st.unit_id,
                    &q(st.metric),
                    &date(st.valid_from),
                    &opt(st.valid_to.map(date)),
                    &st.value,
                ])
            }),
            bar,
        )
        .await?;
        bulk::insert(
            db,
            "reports",
            bulk::REPORT_COLUMNS,
            self.reports.iter().map(|r| {
                bulk::report_row(
                    i64::from(r.unit_id),
                    r.day,
                    r.campaign_id.map(i64::from),
                    r.team_id.map(i64::from),
                    Flows {
                        applications_collected: r.applications,
                        cards_issued: r.cards,
                        accounts_activated: r.accounts,
                        home_visits: r.visits,
                    }
                    .map(i64::from),
                )
            }),
            bar,
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    //! Checks the generated rows against DOMAIN.md by brute force, without
    //! the API: the integration tests check the same figures through it.
    use std::collections::HashMap;

    use super::*;
    use crate::demo::units::map_2023;

    /// Rows of one commune.
    #[derive(Default)]
    struct Book<'a> {
        stocks: Vec<&'a StockRow>,
        reports: Vec<&'a ReportRow>,
    }

    impl Book<'_> {
        fn stock(&self, metric: &str, d: NaiveDate) -> i64 {
            self.stocks
                .iter()
                .filter(|s| {
                    s.metric == metric && s.valid_from <= d && s.valid_to.is_none_or(|t| d <= t)
                })
                .map(|s| s.value)
                .next()
                .unwrap_or(0)
        }

        fn cumulative(&self, cards: bool, d: NaiveDate) -> i64 {
            let metric = if cards {
                "cards_issued_opening"
            } else {
                "accounts_activated_opening"
            };
            let opening = self
                .stocks
                .iter()
                .filter(|s| s.metric == metric && s.valid_from <= d)
                .max_by_key(|s| s.valid_from);
            let since = opening.map(|s| s.valid_from);
            let flows: i64 = self
                .reports
                .iter()
                .filter(|r| r.day <= d && since.is_none_or(|from| r.day >= from))
                .map(|r| {
                    if cards {
                        r.cards as i64
                    } else {
                        r.accounts as i64
                    }
                })
                .sum();
            opening.map_or(0, |s| s.value) + flows
        }

        fn complete_on(&self, d: NaiveDate) -> bool {
            self.cumulative(true, d) >= self.stock("eligible_population", d)
        }
    }

    #[test]
    fn the_generated_rows_reproduce_every_published_figure() {
        let units = map_2023().expect("map");
        let s = Scenario::build(&units, true).expect("scenario");
        let map = MapIndex::new(&units);
        let mut books: HashMap<i64, Book> = HashMap::new();
        for st in &s.stocks {
            books.entry(st.unit_id).or_default().stocks.push(st);
        }
        for r in &s.reports {
            books.entry(r.unit_id as i64).or_default().reports.push(r);
        }
        let empty = Book::default();
        let book = |id: i64| books.get(&id).unwrap_or(&empty);
        let province = |code: &str| map.get(UnitLevel::Province, code).expect("province");
        let sum = |p: &MapUnit, f: &dyn Fn(&Book) -> i64| -> i64 {
            map.communes_under(p.id).iter().map(|c| f(book(c.id))).sum()
        };
        let d415 = day(2023, 4, 15);
        let d516 = day(2023, 5, 16);

        let ht = province("42");
        assert_eq!(
            sum(ht, &|b| b.stock("eligible_population", d415)),
            1_192_722
        );
        assert_eq!(sum(ht, &|b| b.stock("present_population", d415)), 1_124_842);
        assert_eq!(sum(ht, &|b| b.stock("accounts_eligible", d415)), 859_268);
        assert_eq!(sum(ht, &|b| b.cumulative(true, d415)), 1_120_269);
        assert_eq!(sum(ht, &|b| b.cumulative(false, d415)), 334_146);
        let complete = map
            .communes_under(ht.id)
            .iter()
            .filter(|c| book(c.id).complete_on(d415))
            .count();
        assert_eq!(complete, 7);

        // Ranks among the 63 provinces.
        let provinces: Vec<&MapUnit> = units
            .iter()
            .filter(|u| u.level == UnitLevel::Province)
            .collect();
        let rate = |p: &MapUnit, d: NaiveDate, cards: bool| {
            let num = sum(p, &|b| b.cumulative(cards, d)) as f64;
            let den = sum(p, &|b| {
                b.stock(
                    if cards {
                        "eligible_population"
                    } else {
                        "accounts_eligible"
                    },
                    d,
                )
            }) as f64;
            num / den
        };
        let rank = |target: &MapUnit, d: NaiveDate, cards: bool| {
            let mine = rate(target, d, cards);
            1 + provinces
                .iter()
                .filter(|p| rate(p, d, cards) > mine)
                .count()
        };
        assert_eq!(rank(ht, d415, true), 1);
        assert_eq!(rank(ht, d415, false), 2);
        let qn = province("49");
        assert_eq!((rate(qn, d516, false) * 1000.0).round() as i64, 112);
        assert_eq!(rank(qn, d516, false), 47);
        let remaining = sum(qn, &|b| {
            b.stock("eligible_population", d516) - b.cumulative(true, d516)
        });
        assert!(
            (55_000..60_000).contains(&remaining),
            "Quảng Nam remaining {remaining}"
        );

        let na = province("40");
        let na_communes = map.communes_under(na.id);
        assert_eq!(na_communes.len(), 460);
        assert!(
            na_communes
                .iter()
                .all(|c| book(c.id).complete_on(day(2023, 6, 30)))
        );

        // First completions nationwide: Thạch Kênh among the first six.
        let mut firsts: Vec<(NaiveDate, i64)> = Vec::new();
        for c in units.iter().filter(|u| u.level == UnitLevel::Commune) {
            let b = book(c.id);
            let mut d = day(2023, 1, 1);
            while d <= d415 {
                if b.complete_on(d) {
                    firsts.push((d, c.id));
                    break;
                }
                d += Duration::days(1);
            }
        }
        firsts.sort();
        let thach_kenh = map.get(UnitLevel::Commune, "18586").expect("Thạch Kênh").id;
        assert!(
            firsts.iter().take(6).any(|(_, id)| *id == thach_kenh),
            "{firsts:?}"
        );

        let th = province("38");
        let th_apps: i64 = sum(th, &|b| {
            b.reports
                .iter()
                .filter(|r| r.day >= day(2020, 12, 21) && r.day <= day(2021, 3, 6))
                .map(|r| r.applications as i64)
                .sum()
        });
        assert_eq!(th_apps, 92_629);
        let start = day(2020, 12, 21);
        assert_eq!(
            sum(th, &|b| b.stock("eligible_population", start)
                - b.cumulative(true, start)),
            2_947_938
        );
        let end = day(2021, 3, 6);
        assert!(
            sum(th, &|b| b.stock("eligible_population", end)
                - b.cumulative(true, end))
                > 2_800_000
        );

        let city = map.get(UnitLevel::District, "369").expect("Ninh Bình city");
        let window = |b: &Book, f: &dyn Fn(&ReportRow) -> i32| -> i64 {
            b.reports
                .iter()
                .filter(|r| r.day >= day(2022, 9, 10) && r.day <= day(2022, 9, 20))
                .map(|r| f(r) as i64)
                .sum()
        };
        assert_eq!(sum(city, &|b| window(b, &|r| r.cards)), 2_275);
        assert!(sum(city, &|b| window(b, &|r| r.visits)) > 200);

        // Every flow is non-negative, and stocks never fall below flows.
        assert!(
            s.reports
                .iter()
                .all(|r| r.cards >= 0 && r.accounts >= 0 && r.applications >= 0 && r.visits >= 0)
        );
    }
}
