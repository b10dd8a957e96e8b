//! Checking submitted rows before anything is written.
//!
//! A batch is all or nothing: [`Directory::check_reports`] either returns
//! every row resolved to ids, or every problem of every row (row, field,
//! code), so a client can fix a whole file in one round.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::NaiveDate;
use entity::unit::UnitLevel;
use entity::{campaign, team, team_unit};
use sea_orm::{ConnectionTrait, DbErr, EntityTrait};

use crate::engine::Snapshot;
use crate::engine::days::{Day, day};

/// The stable codes of row errors (`extensions.rows[].code`).
pub mod codes {
    /// No unit has this level and code.
    pub const UNKNOWN_UNIT: &str = "UNKNOWN_UNIT";
    /// The unit has units below it: reports and stocks are entered at the
    /// reporting level (communes, and districts without communes).
    pub const NOT_REPORTING_UNIT: &str = "NOT_REPORTING_UNIT";
    /// A value below zero.
    pub const NEGATIVE_VALUE: &str = "NEGATIVE_VALUE";
    /// A value above the sanity ceiling (`--max-report-value`).
    pub const VALUE_TOO_LARGE: &str = "VALUE_TOO_LARGE";
    /// A day after today (Vietnam time).
    pub const FUTURE_DAY: &str = "FUTURE_DAY";
    /// No campaign has this ID.
    pub const UNKNOWN_CAMPAIGN: &str = "UNKNOWN_CAMPAIGN";
    /// The day is outside the named campaign's start and end.
    pub const OUTSIDE_CAMPAIGN: &str = "OUTSIDE_CAMPAIGN";
    /// The unit is outside the named campaign's scope.
    pub const UNIT_OUTSIDE_CAMPAIGN: &str = "UNIT_OUTSIDE_CAMPAIGN";
    /// No team has this ID.
    pub const UNKNOWN_TEAM: &str = "UNKNOWN_TEAM";
    /// The team neither belongs to nor serves a unit above (or equal to) the
    /// reporting unit.
    pub const TEAM_OUTSIDE_UNIT: &str = "TEAM_OUTSIDE_UNIT";
    /// The same (unit, day, campaign, team) appears twice in one batch.
    pub const DUPLICATE_ROW: &str = "DUPLICATE_ROW";
    /// An ID that is not of the expected kind or not an ID at all.
    pub const MALFORMED_ID: &str = "MALFORMED_ID";
    /// Changing a verified report needs a reason.
    pub const REASON_REQUIRED: &str = "REASON_REQUIRED";
    /// A value that is not a number, a date that is not a date, a missing
    /// column (files only).
    pub const MALFORMED_VALUE: &str = "MALFORMED_VALUE";
}

/// What is wrong with one row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    /// Position of the row: 0-based index in a GraphQL batch, 1-based line
    /// in a file.
    pub row: usize,
    /// The field at fault, as the caller named it (`cardsIssued`, `day`).
    pub field: String,
    /// One of [`codes`].
    pub code: &'static str,
    /// What is wrong, in words.
    pub message: String,
}

/// A submitted report, as the caller named things.
#[derive(Debug, Clone)]
pub struct ReportRow {
    pub level: UnitLevel,
    pub code: String,
    pub day: NaiveDate,
    /// Applications collected, cards issued, accounts activated, home visits.
    pub values: [i64; 4],
    pub campaign_id: Option<i64>,
    pub team_id: Option<i64>,
    /// Why the values change, when they change a verified report.
    pub reason: Option<String>,
}

/// A report that passed every check, resolved to ids.
#[derive(Debug, Clone)]
pub struct ValidReport {
    pub unit_id: i64,
    pub day: NaiveDate,
    pub values: [i64; 4],
    pub campaign_id: Option<i64>,
    pub team_id: Option<i64>,
    pub reason: Option<String>,
}

/// Submitted stock values of one unit from one day on.
#[derive(Debug, Clone)]
pub struct StockRow {
    pub level: UnitLevel,
    pub code: String,
    pub from: NaiveDate,
    /// Eligible population, present population, accounts eligible, cards
    /// issued opening balance, accounts activated opening balance; `None`
    /// leaves a stock as it is.
    pub values: [Option<i64>; 5],
}

/// Stock values that passed every check.
#[derive(Debug, Clone)]
pub struct ValidStock {
    pub unit_id: i64,
    pub from: NaiveDate,
    pub values: [Option<i64>; 5],
}

/// The names of the four flow values, as GraphQL fields.
pub const FLOW_FIELDS: [&str; 4] = [
    "applicationsCollected",
    "cardsIssued",
    "accountsActivated",
    "homeVisits",
];

/// The names of the five stock values, as GraphQL fields.
pub const STOCK_FIELDS: [&str; 5] = [
    "eligiblePopulation",
    "presentPopulation",
    "accountsEligible",
    "cardsIssuedOpening",
    "accountsActivatedOpening",
];

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

    /// Resolves a reporting unit, or says what is wrong with it.
    fn reporting_unit(
        &self,
        row: usize,
        level: UnitLevel,
        code: &str,
        errors: &mut Vec<RowError>,
    ) -> Option<u32> {
        let Some(u) = self.tree.find(level, code) else {
            errors.push(RowError {
                row,
                field: "unit".into(),
                code: codes::UNKNOWN_UNIT,
                message: format!("no {level:?} unit has code {code:?}"),
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
        } else if value > self.ceiling {
            errors.push(RowError {
                row,
                field: field.into(),
                code: codes::VALUE_TOO_LARGE,
                message: format!(
                    "{value} is above the ceiling of {} for one report",
                    self.ceiling
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
        let unit = self.reporting_unit(row, r.level, &r.code, errors);
        self.check_day(row, "day", r.day, errors);
        for (m, value) in r.values.iter().enumerate() {
            self.check_value(row, FLOW_FIELDS[m], *value, errors);
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
            let unit = self.reporting_unit(row, r.level, &r.code, &mut errors);
            self.check_day(row, "from", r.from, &mut errors);
            for (k, value) in r.values.iter().enumerate() {
                if let Some(v) = value {
                    if *v < 0 {
                        errors.push(RowError {
                            row,
                            field: STOCK_FIELDS[k].into(),
                            code: codes::NEGATIVE_VALUE,
                            message: format!("{v} is negative"),
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
