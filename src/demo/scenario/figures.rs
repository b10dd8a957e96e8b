//! The figures of the reference scenario, in the steps of the module
//! docs: populations per commune, the two campaign windows before 2023,
//! cumulative cards and accounts at the knots (water-filled within
//! per-commune bounds), and the daily reports between the knots.
//!
//! Every step draws from its own random stream (`Rng::stream(SEED, n)`),
//! so a step's output does not depend on how much another one drew.

use std::collections::HashMap;

use chrono::{Duration, NaiveDate};
use entity::unit::UnitLevel;

use super::calendar::{days, knots_2023, spread_days};
use super::fill::{clamp_total, fill, spread};
use super::pinned::*;
use super::{Derived, MapIndex, ReportRow, SEED, Scenario, StockRow, campaign_ids, day, team_ids};
use crate::demo::rng::Rng;
use crate::demo::units::MapUnit;

/// Per-province plan: coverage and activation at each knot
/// (A = 2022-09-01 opening, B = 2023-01-01 opening, then the four 2023 knots).
#[derive(Debug, Clone, Copy)]
struct Plan {
    coverage: [f64; 6],
    activation: [f64; 6],
}

/// Populations per commune, and each commune's weight jitter.
struct Populations {
    eligible: HashMap<i64, i64>,
    accounts_eligible: HashMap<i64, i64>,
    jitter: HashMap<i64, f64>,
}

/// One province's communes and what the knots of each are bound by.
struct Province<'a> {
    unit: &'a MapUnit,
    plan: Plan,
    communes: Vec<&'a MapUnit>,
    /// Eligible citizens per commune.
    eligible: Vec<i64>,
    /// Citizens eligible for an account per commune.
    accounts_eligible: Vec<i64>,
    /// The day a commune completes, for the early completers.
    designated: Vec<Option<NaiveDate>>,
}

/// Cumulative values per knot (six of them), per commune.
type Knots = Vec<Vec<i64>>;

/// What the daily reports of 2023 add up to, for the catalogue.
#[derive(Default)]
struct Tally {
    nghe_an_campaign_cards: i64,
    quang_nam_remaining_at_start: i64,
}

impl Scenario {
    pub(super) fn generate_figures(&mut self, map: &MapIndex<'_>) -> Result<(), String> {
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

        let completion_day = completion_days(map, ha_tinh)?;
        let laggards = laggards(&provinces, &[ha_tinh.id, quang_nam.id, leader.id]);
        let plans = plans(&provinces, &laggards, [ha_tinh, leader, quang_nam, nghe_an]);
        let populations = self.populations(map, &provinces)?;

        // Campaign-window flows before 2023: cumulative lower bounds for the
        // later opening balances.
        let cards_before_a = self.thanh_hoa_window(map, thanh_hoa, &populations.eligible);
        let (cards_a_to_b, accounts_a_to_b) =
            self.ninh_binh_window(map, ninh_binh_city, &populations.eligible);

        // Knots and daily 2023 reports, province by province.
        let mut tally = Tally::default();
        for p in &provinces {
            let communes = map.communes_under(p.id);
            if communes.is_empty() {
                continue;
            }
            let province = Province {
                unit: p,
                plan: plans[&p.id],
                eligible: communes
                    .iter()
                    .map(|c| populations.eligible[&c.id])
                    .collect(),
                accounts_eligible: communes
                    .iter()
                    .map(|c| populations.accounts_eligible[&c.id])
                    .collect(),
                designated: communes
                    .iter()
                    .map(|c| completion_day.get(&c.id).copied())
                    .collect(),
                communes,
            };
            let cards = card_knots(&province, &populations, &cards_before_a, &cards_a_to_b)?;
            let accounts = account_knots(&province, &populations, &accounts_a_to_b)?;
            self.province_rows(&province, &cards, &accounts, &mut tally);
        }
        self.derived = Derived {
            nghe_an_campaign_cards: tally.nghe_an_campaign_cards,
            quang_nam_remaining_at_start: tally.quang_nam_remaining_at_start,
        };
        Ok(())
    }

    /// Populations per commune (eligible, present, accounts eligible),
    /// written as stocks valid from 2020, scaled to the pinned provincial
    /// totals.
    fn populations(
        &mut self,
        map: &MapIndex<'_>,
        provinces: &[&MapUnit],
    ) -> Result<Populations, String> {
        let mut eligible: HashMap<i64, i64> = HashMap::new();
        let mut acc_eligible: HashMap<i64, i64> = HashMap::new();
        let mut jitter: HashMap<i64, f64> = HashMap::new();
        for p in provinces {
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
        Ok(Populations {
            eligible,
            accounts_eligible: acc_eligible,
            jitter,
        })
    }

    /// One province's opening balances and daily reports of 2023: the
    /// flows between knots, with a weekly rhythm, split at a designated
    /// completion day.
    fn province_rows(
        &mut self,
        province: &Province<'_>,
        cards: &Knots,
        accounts: &Knots,
        tally: &mut Tally,
    ) {
        let p = province.unit;
        let e = &province.eligible;
        let designated = &province.designated;
        let knots = knots_2023();
        let opening_a = day(2022, 9, 1);
        let opening_b = day(2023, 1, 1);
        let mut r = Rng::stream(SEED, 3000 + p.id as u64);
        for (i, c) in province.communes.iter().enumerate() {
            for (metric, values) in [
                ("cards_issued_opening", cards),
                ("accounts_activated_opening", accounts),
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
                    tally.nghe_an_campaign_cards += cards_n;
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
                tally.quang_nam_remaining_at_start += e[i] - issued;
            }
        }
    }

    /// Thanh Hóa's 2020–2021 campaign: applications from 2020-12-21, cards
    /// from 2021-01-01, nothing issued before (chip cards started in 2021).
    /// Returns the cards issued per commune.
    fn thanh_hoa_window(
        &mut self,
        map: &MapIndex<'_>,
        thanh_hoa: &MapUnit,
        eligible: &HashMap<i64, i64>,
    ) -> HashMap<i64, i64> {
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
}

/// The early completers: two communes of Bắc Ninh, then Thạch Kênh, then
/// six more Hà Tĩnh communes, all before 2023-04-15.
fn completion_days(
    map: &MapIndex<'_>,
    ha_tinh: &MapUnit,
) -> Result<HashMap<i64, NaiveDate>, String> {
    let thach_kenh = map.get(UnitLevel::Commune, THACH_KENH)?;
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
    Ok(completion_day)
}

/// The activation laggards: the provinces below Quảng Nam on 2023-05-16,
/// drawn from all but `excluded`.
fn laggards(provinces: &[&MapUnit], excluded: &[i64]) -> Vec<i64> {
    let mut candidates: Vec<&MapUnit> = provinces
        .iter()
        .copied()
        .filter(|p| !excluded.contains(&p.id))
        .collect();
    let mut laggards = Vec::new();
    let mut pick = Rng::stream(SEED, 7);
    for _ in 0..BELOW_QUANG_NAM {
        let i = pick.int(0, candidates.len() as i64 - 1) as usize;
        laggards.push(candidates.remove(i).id);
    }
    laggards
}

/// Every province's plan: drawn, except for the four whose figures are
/// published (Hà Tĩnh, the activation leader, Quảng Nam, Nghệ An), whose
/// knots are set here or pinned in [`card_knots`] and [`account_knots`].
fn plans(
    provinces: &[&MapUnit],
    laggards: &[i64],
    [ha_tinh, leader, quang_nam, nghe_an]: [&MapUnit; 4],
) -> HashMap<i64, Plan> {
    let mut plans: HashMap<i64, Plan> = HashMap::new();
    for p in provinces {
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

    plans
}

/// Cumulative cards per commune at the six knots: the province's total at
/// each (pinned where DOMAIN.md publishes it, else its plan's coverage)
/// water-filled within per-commune bounds — a designated completer is
/// complete from its day on and short of it before, every other commune
/// gains a little at each 2023 knot, and every Nghệ An commune is complete
/// by 2023-06-30. Starts from the campaign windows' cards.
fn card_knots(
    province: &Province<'_>,
    populations: &Populations,
    cards_before_a: &HashMap<i64, i64>,
    cards_a_to_b: &HashMap<i64, i64>,
) -> Result<Knots, String> {
    let (p, plan, communes) = (province.unit, province.plan, &province.communes);
    let e = &province.eligible;
    let designated = &province.designated;
    let w_cards: Vec<f64> = communes
        .iter()
        .map(|c| populations.eligible[&c.id] as f64 * populations.jitter[&c.id])
        .collect();
    let sum_e: i64 = e.iter().sum();
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
    Ok(cards)
}

/// Cumulative accounts per commune at the six knots, as [`card_knots`]
/// does for cards (bounded by the citizens eligible for an account).
fn account_knots(
    province: &Province<'_>,
    populations: &Populations,
    accounts_a_to_b: &HashMap<i64, i64>,
) -> Result<Knots, String> {
    let (p, plan, communes) = (province.unit, province.plan, &province.communes);
    let ae = &province.accounts_eligible;
    let w_acc: Vec<f64> = communes
        .iter()
        .map(|c| populations.accounts_eligible[&c.id] as f64 * populations.jitter[&c.id])
        .collect();
    let sum_ae: i64 = ae.iter().sum();
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
    Ok(accounts)
}
