//! Police units (đơn vị), one row per unit and map version.
//!
//! Units mirror the administrative map: the ministry, then provinces,
//! districts and communes. Depth is not fixed (the 2025 reform removed the
//! district level), so the tree is stored as a parent pointer plus a
//! materialised `path` of ancestor ids, which makes "everything below X" a
//! prefix match on an indexed column.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// Level of a unit in the hierarchy, stored as a lower-case string.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    EnumIter,
    DeriveActiveEnum,
    Serialize,
    Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum UnitLevel {
    /// Bộ Công an: the root.
    #[sea_orm(string_value = "ministry")]
    Ministry,
    /// Công an tỉnh / thành phố trung ương.
    #[sea_orm(string_value = "province")]
    Province,
    /// Công an huyện / quận / thị xã / thành phố thuộc tỉnh.
    #[sea_orm(string_value = "district")]
    District,
    /// Công an xã / phường / thị trấn: the level that reports.
    #[sea_orm(string_value = "commune")]
    Commune,
}

impl UnitLevel {
    /// Rank of the level from the root (ministry = 0). Levels compare by it.
    pub fn rank(self) -> i32 {
        match self {
            UnitLevel::Ministry => 0,
            UnitLevel::Province => 1,
            UnitLevel::District => 2,
            UnitLevel::Commune => 3,
        }
    }

    /// The string stored in the database (and used in the CSV files).
    pub fn as_str(self) -> &'static str {
        match self {
            UnitLevel::Ministry => "ministry",
            UnitLevel::Province => "province",
            UnitLevel::District => "district",
            UnitLevel::Commune => "commune",
        }
    }

    /// Parses the stored string.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "ministry" => Some(UnitLevel::Ministry),
            "province" => Some(UnitLevel::Province),
            "district" => Some(UnitLevel::District),
            "commune" => Some(UnitLevel::Commune),
            _ => None,
        }
    }
}

/// The administrative map a unit belongs to, stored as a lower-case string.
/// Vietnam changed its map on 1 July 2025; every unit is of one map, and
/// its code is unique within (map, level).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    EnumIter,
    DeriveActiveEnum,
    Serialize,
    Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(8))")]
pub enum AdminMap {
    /// 63 provinces, 705 districts and 10,598 communes: in force until
    /// 2025-06-30.
    #[sea_orm(string_value = "vn2023")]
    Vn2023,
    /// 34 provinces and 3,321 communes, no districts: in force from
    /// 2025-07-01.
    #[sea_orm(string_value = "vn2025")]
    Vn2025,
}

impl AdminMap {
    /// Both maps, oldest first.
    pub const ALL: [AdminMap; 2] = [AdminMap::Vn2023, AdminMap::Vn2025];

    /// The first day of the 2025 map (the 1 July 2025 reform); the 2023
    /// map is in force until the day before.
    pub fn reform_day() -> Date {
        Date::from_ymd_opt(2025, 7, 1).unwrap_or_default()
    }

    /// The map in force on `day` (Vietnam's calendar): what an input that
    /// names no map means for a row of that day, and (for today) the
    /// default of every field that finds, lists or ranks units.
    pub fn in_force_on(day: Date) -> AdminMap {
        if day < Self::reform_day() {
            AdminMap::Vn2023
        } else {
            AdminMap::Vn2025
        }
    }

    /// The other map of the two.
    pub fn other(self) -> AdminMap {
        match self {
            AdminMap::Vn2023 => AdminMap::Vn2025,
            AdminMap::Vn2025 => AdminMap::Vn2023,
        }
    }

    /// The upper-case name clients write (`VN2023`), for messages.
    pub fn name(self) -> &'static str {
        match self {
            AdminMap::Vn2023 => "VN2023",
            AdminMap::Vn2025 => "VN2025",
        }
    }

    /// The string stored in the database (and used in the CSV files).
    pub fn as_str(self) -> &'static str {
        match self {
            AdminMap::Vn2023 => "vn2023",
            AdminMap::Vn2025 => "vn2025",
        }
    }

    /// Parses the stored string, in either case (`vn2025`, `VN2025`).
    pub fn parse(s: &str) -> Option<Self> {
        match s.to_ascii_lowercase().as_str() {
            "vn2023" => Some(AdminMap::Vn2023),
            "vn2025" => Some(AdminMap::Vn2025),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "units")]
pub struct Model {
    /// Assigned by the loader, deterministic for a given map file.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: i64,
    pub level: UnitLevel,
    /// Statistics-office code, unique within a level and map version.
    pub code: String,
    pub name: String,
    pub short_name: String,
    /// Division type as the statistics office names it (tỉnh, huyện, xã, …).
    pub division_type: String,
    /// Lower-case name without diacritics, for search ("tinh ha tinh").
    pub search_key: String,
    pub parent_id: Option<i64>,
    /// Ancestor ids and the unit's own id, `/`-separated with a trailing `/`:
    /// `/1/43/520/`. A subtree is `path LIKE '/1/43/%'`.
    pub path: String,
    /// Distance from the root (ministry = 0).
    pub depth: i32,
    /// First day on which this unit exists in this form.
    pub valid_from: Date,
    /// Last day on which it exists, if it has ended.
    pub valid_to: Option<Date>,
    /// The map the unit belongs to.
    pub map: AdminMap,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(belongs_to = "Entity", from = "Column::ParentId", to = "Column::Id")]
    Parent,
}

impl ActiveModelBehavior for ActiveModel {}
