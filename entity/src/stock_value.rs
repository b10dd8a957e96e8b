//! Stock values: quantities true at a date (populations, opening balances).
//!
//! A value holds from `valid_from` until the day before the next value of the
//! same unit and metric; `valid_to` stores that end so that "as of day D" is a
//! range look-up rather than a correlated `max(valid_from)` subquery.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// Which stock a row holds.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
pub enum StockMetric {
    /// Citizens aged 14 and over registered in the unit (dân số từ 14 tuổi).
    #[sea_orm(string_value = "eligible_population")]
    EligiblePopulation,
    /// Citizens aged 14 and over actually present on the territory.
    #[sea_orm(string_value = "present_population")]
    PresentPopulation,
    /// Citizens eligible for a level-1/2 VNeID account.
    #[sea_orm(string_value = "accounts_eligible")]
    AccountsEligible,
    /// Cumulative cards issued at the start of `valid_from` (opening balance).
    #[sea_orm(string_value = "cards_issued_opening")]
    CardsIssuedOpening,
    /// Cumulative accounts activated at the start of `valid_from`.
    #[sea_orm(string_value = "accounts_activated_opening")]
    AccountsActivatedOpening,
}

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "stock_values")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub unit_id: i64,
    pub metric: StockMetric,
    pub valid_from: Date,
    /// Last day the value holds; `None` while it is the latest.
    pub valid_to: Option<Date>,
    pub value: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::unit::Entity",
        from = "Column::UnitId",
        to = "super::unit::Column::Id"
    )]
    Unit,
}

impl ActiveModelBehavior for ActiveModel {}
