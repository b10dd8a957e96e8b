//! Reads of reports and their history: by id, and a page of a subtree's
//! over a period.

use chrono::NaiveDate;
use entity::report;
use entity::report_history;
use entity::unit;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, JoinType, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, RelationTrait, Select,
};

use crate::store::Page;

/// Reports by id.
pub async fn by_ids(db: &DatabaseConnection, ids: &[i64]) -> Result<Vec<report::Model>, DbErr> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    report::Entity::find()
        .filter(report::Column::Id.is_in(ids.iter().copied()))
        .all(db)
        .await
}

/// The history of these reports, oldest change first.
pub async fn history_of(
    db: &DatabaseConnection,
    report_ids: &[i64],
) -> Result<Vec<report_history::Model>, DbErr> {
    if report_ids.is_empty() {
        return Ok(Vec::new());
    }
    report_history::Entity::find()
        .filter(report_history::Column::ReportId.is_in(report_ids.iter().copied()))
        .order_by_asc(report_history::Column::Id)
        .all(db)
        .await
}

pub(super) fn history_query(
    path: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> Select<report_history::Entity> {
    report_history::Entity::find()
        .join(
            JoinType::InnerJoin,
            report_history::Entity::belongs_to(unit::Entity)
                .from(report_history::Column::UnitId)
                .to(unit::Column::Id)
                .into(),
        )
        .filter(crate::store::page::in_subtree_of(path))
        .filter(report_history::Column::Day.between(from, to))
}

pub(super) fn reports_query(path: &str, from: NaiveDate, to: NaiveDate) -> Select<report::Entity> {
    report::Entity::find()
        .join(JoinType::InnerJoin, report::Relation::Unit.def())
        .filter(crate::store::page::in_subtree_of(path))
        .filter(report::Column::Day.between(from, to))
}

/// One page of the changes to reports of the subtree at `path` on days
/// `from..=to`, in the order they were made.
pub async fn history_in_subtree(
    db: &impl ConnectionTrait,
    path: &str,
    from: NaiveDate,
    to: NaiveDate,
    page: Page,
) -> Result<(Vec<report_history::Model>, bool), DbErr> {
    crate::store::page::fetch(
        db,
        history_query(path, from, to),
        report_history::Column::Id,
        page,
    )
    .await
}

/// How many changes [`history_in_subtree`] pages through.
pub async fn count_history_in_subtree(
    db: &impl ConnectionTrait,
    path: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<u64, DbErr> {
    history_query(path, from, to).count(db).await
}

/// One page of the reports of the subtree at `path` on days `from..=to`,
/// by id.
pub async fn page_in_subtree(
    db: &impl ConnectionTrait,
    path: &str,
    from: NaiveDate,
    to: NaiveDate,
    page: Page,
) -> Result<(Vec<report::Model>, bool), DbErr> {
    crate::store::page::fetch(db, reports_query(path, from, to), report::Column::Id, page).await
}

/// How many reports [`page_in_subtree`] pages through.
pub async fn count_in_subtree(
    db: &impl ConnectionTrait,
    path: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<u64, DbErr> {
    reports_query(path, from, to).count(db).await
}
