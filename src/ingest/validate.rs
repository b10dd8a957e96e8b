//! Checking submitted rows before anything is written.
//!
//! A batch is all or nothing: [`Directory::check_reports`] either returns
//! every row resolved to ids, or every problem of every row (row, field,
//! code), so a client can fix a whole file in one round.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::NaiveDate;
use entity::unit::{AdminMap, UnitLevel};
use entity::{campaign, team, team_unit};
use sea_orm::{ConnectionTrait, DbErr, EntityTrait};

use crate::engine::Snapshot;
use crate::model::day::{Day, date, day};
use crate::model::rows::{ReportRow, RowError, StockRow, ValidReport, ValidStock, codes};
use crate::model::values::MAX_VALUE;

struct CampaignRule {
    starts: Day,
    ends: Day,
    scope: Option<u32>,
}

struct TeamRule {
    /// The team's own unit and the units it serves.
    reach: Vec<u32>,
}

/// What the checks look rows up in: the unit tree, campaigns and teams.
pub struct Directory {
    tree: Arc<Snapshot>,
    campaigns: HashMap<i64, CampaignRule>,
    teams: HashMap<i64, TeamRule>,
    today: Day,
    ceiling: i64,
}

impl Directory {
    /// Loads campaigns and teams; `tree` gives the units (a snapshot of the
    /// rollup engine, or one built from the units alone).
    pub async fn load(
        db: &impl ConnectionTrait,
        tree: Arc<Snapshot>,
        today: Day,
        ceiling: i64,
    ) -> Result<Self, DbErr> {
        let campaigns = campaign::Entity::find()
            .all(db)
            .await?
            .into_iter()
            .map(|c| {
                let rule = CampaignRule {
                    starts: day(c.starts_on),
                    ends: day(c.ends_on),
                    scope: tree.index_of(c.scope_unit_id),
                };
                (c.id, rule)
            })
            .collect();
        let mut teams: HashMap<i64, TeamRule> = team::Entity::find()
            .all(db)
            .await?
            .into_iter()
            .map(|t| {
                let reach = tree.index_of(t.unit_id).into_iter().collect();
                (t.id, TeamRule { reach })
            })
            .collect();
        for served in team_unit::Entity::find().all(db).await? {
            if let (Some(rule), Some(u)) = (
                teams.get_mut(&served.team_id),
                tree.index_of(served.unit_id),
            ) {
                rule.reach.push(u);
            }
        }
        Ok(Directory {
            tree,
            campaigns,
            teams,
            today,
            ceiling,
        })
    }

    /// The unit tree rows are checked against.
    pub fn tree(&self) -> &Arc<Snapshot> {
        &self.tree
    }

    /// Resolves a reporting unit in force on `on`, or says what is wrong
    /// with it. `map` is the map the row names; without one, the map in
    /// force on `on`.
    fn reporting_unit(
        &self,
        row: usize,
        map: Option<AdminMap>,
        level: UnitLevel,
        code: &str,
        on: NaiveDate,
        errors: &mut Vec<RowError>,
    ) -> Option<u32> {
        let in_force = AdminMap::in_force_on(on);
        let found = match map {
            Some(map) => self.tree.find(map, level, code),
            // A code of the other map only: it is that map's unit, which
            // is not in force on the day (checked below).
            None => self.tree.find(in_force, level, code).or_else(|| {
                AdminMap::ALL
                    .iter()
                    .find_map(|&other| self.tree.find(other, level, code))
            }),
        };
        let Some(u) = found else {
            errors.push(RowError {
                row,
                field: "unit".into(),
                code: codes::UNKNOWN_UNIT,
                message: format!(
                    "no {level:?} unit has code {code:?} in the {} map",
                    map.unwrap_or(in_force).name()
                ),
            });
            return None;
        };
        if !self.tree.is_reporting_unit(u) {
            errors.push(RowError {
                row,
                field: "unit".into(),
                code: codes::NOT_REPORTING_UNIT,
                message: format!(
                    "{level:?} {code} has units below it; numbers are entered by the units at the bottom of the tree"
                ),
            });
            return None;
        }
        let (from, to) = self.tree.unit(u).in_force;
        if !self.tree.in_force_on(u, day(on)) {
            let until = if to == Day::MAX {
                String::new()
            } else {
                format!(" until {}", date(to))
            };
            errors.push(RowError {
                row,
                field: "unit".into(),
                code: codes::UNIT_NOT_IN_FORCE,
                message: format!(
                    "{level:?} {code} of the {} map is in force from {}{until}, not on {on} \
                     (the 2023 map until 2025-06-30, the 2025 map from 2025-07-01)",
                    self.tree.unit(u).map.name(),
                    date(from)
                ),
            });
            return None;
        }
        Some(u)
    }

    /// What is wrong with one flow value, if anything: (code, message).
    pub fn check_value_alone(&self, value: i64) -> Option<(&'static str, String)> {
        let mut errors = Vec::new();
        self.check_value(0, "", value, &mut errors);
        errors.pop().map(|e| (e.code, e.message))
    }

    fn check_value(&self, row: usize, field: &str, value: i64, errors: &mut Vec<RowError>) {
        if value < 0 {
            errors.push(RowError {
                row,
                field: field.into(),
                code: codes::NEGATIVE_VALUE,
                message: format!("{value} is negative"),
            });
        } else if value > self.ceiling.min(MAX_VALUE) {
            errors.push(RowError {
                row,
                field: field.into(),
                code: codes::VALUE_TOO_LARGE,
                message: format!(
                    "{value} is above the ceiling of {} for one report",
                    self.ceiling.min(MAX_VALUE)
                ),
            });
        }
    }

    fn check_day(&self, row: usize, field: &str, d: NaiveDate, errors: &mut Vec<RowError>) {
        if day(d) > self.today {
            errors.push(RowError {
                row,
                field: field.into(),
                code: codes::FUTURE_DAY,
                message: format!("{d} is in the future"),
            });
        }
    }

    /// Checks a batch of reports: every row resolved, or every problem.
    /// `position(i)` names row `i` in errors (its index in a GraphQL batch).
    pub fn check_reports(
        &self,
        rows: &[ReportRow],
        position: impl Fn(usize) -> usize,
    ) -> Result<Vec<ValidReport>, Vec<RowError>> {
        let mut errors = Vec::new();
        let mut out = Vec::with_capacity(rows.len());
        let mut seen: HashMap<(i64, NaiveDate, i64, i64), usize> =
            HashMap::with_capacity(rows.len());
        for (i, r) in rows.iter().enumerate() {
            let row = position(i);
            let Some(valid) = self.check_report(row, r, &mut errors) else {
                continue;
            };
            let key = (
                valid.unit_id,
                valid.day,
                valid.campaign_id.unwrap_or(0),
                valid.team_id.unwrap_or(0),
            );
            if let Some(first) = seen.insert(key, row) {
                errors.push(duplicate(row, first));
                continue;
            }
            out.push(valid);
        }
        if errors.is_empty() {
            Ok(out)
        } else {
            Err(errors)
        }
    }

    /// Checks one report on its own (a batch also checks for duplicates):
    /// the row resolved, or its problems added to `errors`.
    pub fn check_report(
        &self,
        row: usize,
        r: &ReportRow,
        errors: &mut Vec<RowError>,
    ) -> Option<ValidReport> {
        let before = errors.len();
        let unit = self.reporting_unit(row, r.map, r.level, &r.code, r.day, errors);
        self.check_day(row, "day", r.day, errors);
        for (field, value) in r.values.named() {
            self.check_value(row, field, value, errors);
        }
        if let Some(c) = r.campaign_id {
            match self.campaigns.get(&c) {
                None => errors.push(RowError {
                    row,
                    field: "campaign".into(),
                    code: codes::UNKNOWN_CAMPAIGN,
                    message: "no campaign has this ID".into(),
                }),
                Some(rule) => {
                    let d = day(r.day);
                    if d < rule.starts || d > rule.ends {
                        errors.push(RowError {
                            row,
                            field: "day".into(),
                            code: codes::OUTSIDE_CAMPAIGN,
                            message: format!("{} is outside the campaign's days", r.day),
                        });
                    }
                    if let (Some(u), Some(scope)) = (unit, rule.scope) {
                        if !self.tree.is_within(u, scope) {
                            errors.push(RowError {
                                row,
                                field: "campaign".into(),
                                code: codes::UNIT_OUTSIDE_CAMPAIGN,
                                message: "the unit is outside the campaign's scope".into(),
                            });
                        }
                    }
                }
            }
        }
        if let Some(t) = r.team_id {
            match self.teams.get(&t) {
                None => errors.push(RowError {
                    row,
                    field: "team".into(),
                    code: codes::UNKNOWN_TEAM,
                    message: "no team has this ID".into(),
                }),
                Some(rule) => {
                    if let Some(u) = unit {
                        if !rule.reach.iter().any(|a| self.tree.is_within(u, *a)) {
                            errors.push(RowError {
                                row,
                                field: "team".into(),
                                code: codes::TEAM_OUTSIDE_UNIT,
                                message:
                                    "the team neither belongs to nor serves a unit above this one"
                                        .into(),
                            });
                        }
                    }
                }
            }
        }
        let u = unit?;
        (errors.len() == before).then(|| ValidReport {
            unit_id: self.tree.unit_id(u),
            day: r.day,
            values: r.values,
            campaign_id: r.campaign_id,
            team_id: r.team_id,
            reason: r.reason.clone(),
        })
    }

    /// Checks stock values: every row resolved, or every problem.
    pub fn check_stocks(
        &self,
        rows: &[StockRow],
        position: impl Fn(usize) -> usize,
    ) -> Result<Vec<ValidStock>, Vec<RowError>> {
        let mut errors = Vec::new();
        let mut out = Vec::with_capacity(rows.len());
        let mut seen: HashMap<(i64, NaiveDate), usize> = HashMap::new();
        for (i, r) in rows.iter().enumerate() {
            let row = position(i);
            let before = errors.len();
            let unit = self.reporting_unit(row, r.map, r.level, &r.code, r.from, &mut errors);
            self.check_day(row, "from", r.from, &mut errors);
            for (field, value) in r.values.named() {
                if let Some(v) = value {
                    if v < 0 {
                        errors.push(RowError {
                            row,
                            field: field.into(),
                            code: codes::NEGATIVE_VALUE,
                            message: format!("{v} is negative"),
                        });
                    } else if v > MAX_VALUE {
                        errors.push(RowError {
                            row,
                            field: field.into(),
                            code: codes::VALUE_TOO_LARGE,
                            message: format!(
                                "{v} is above {MAX_VALUE}, the largest value a stock value holds"
                            ),
                        });
                    }
                }
            }
            let Some(u) = unit else { continue };
            let unit_id = self.tree.unit_id(u);
            if let Some(first) = seen.insert((unit_id, r.from), row) {
                errors.push(duplicate(row, first));
            }
            if errors.len() == before {
                out.push(ValidStock {
                    unit_id,
                    from: r.from,
                    values: r.values,
                });
            }
        }
        if errors.is_empty() {
            Ok(out)
        } else {
            Err(errors)
        }
    }
}

/// The error of a row that repeats the key of an earlier one.
pub fn duplicate(row: usize, first: usize) -> RowError {
    RowError {
        row,
        field: "unit".into(),
        code: codes::DUPLICATE_ROW,
        message: format!("the same unit, day, campaign and team as row {first}"),
    }
}
