//! Writing the scenario: bulk inserts of every row, in the caller's
//! transaction, with a progress bar.

use chrono::NaiveDate;
use indicatif::ProgressBar;
use sea_orm::{ConnectionTrait, DbBackend, DbErr};

use super::Scenario;
use crate::demo::bulk;
use crate::model::values::Flows;
use crate::store::sql;

impl Scenario {
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
