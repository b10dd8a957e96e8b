//! The 2023 unit map (ministry, 63 provinces, 705 districts, 10,598
//! communes), shipped in `assets/units-2023.csv` (see `assets/README.md`
//! for its source and attribution).

use std::collections::HashMap;

use entity::unit::UnitLevel;
use indicatif::ProgressBar;
use sea_orm::{ConnectionTrait, DbErr};

use super::bulk;
use crate::store::sql;
use crate::text::fold;

/// The shipped map file, compiled into the binary so the server never reads
/// files outside itself at run time.
const UNITS_2023: &str = include_str!("../../assets/units-2023.csv");

/// First day the 2023 map is used for (the demo starts in December 2020).
pub const MAP_2023_VALID_FROM: &str = "2020-01-01";

/// One unit of the map, with the id and path the loader gives it.
#[derive(Debug, Clone)]
pub struct MapUnit {
    pub id: i64,
    pub level: UnitLevel,
    pub code: String,
    pub name: String,
    pub short_name: String,
    pub division_type: String,
    pub parent_id: Option<i64>,
    pub path: String,
    pub depth: i32,
}

/// The 2023 map, ids assigned in file order (ministry 1, then provinces,
/// districts and communes by code), so ids are the same on every load.
pub fn map_2023() -> Result<Vec<MapUnit>, String> {
    let mut units = vec![MapUnit {
        id: 1,
        level: UnitLevel::Ministry,
        code: "0".into(),
        name: "Bộ Công an".into(),
        short_name: "Bộ Công an".into(),
        division_type: "bộ".into(),
        parent_id: None,
        path: "/1/".into(),
        depth: 0,
    }];
    let mut index: HashMap<(UnitLevel, String), usize> = HashMap::new();
    let mut reader = csv::Reader::from_reader(UNITS_2023.as_bytes());
    for (line, record) in reader.records().enumerate() {
        let record = record.map_err(|err| format!("units-2023.csv line {}: {err}", line + 2))?;
        let field = |i: usize| record.get(i).unwrap_or("").to_owned();
        let level = UnitLevel::parse(&field(2))
            .ok_or_else(|| format!("units-2023.csv line {}: unknown level", line + 2))?;
        let parent = match level {
            UnitLevel::Province => 0,
            UnitLevel::District => *index
                .get(&(UnitLevel::Province, field(1)))
                .ok_or_else(|| format!("units-2023.csv line {}: unknown parent", line + 2))?,
            UnitLevel::Commune => *index
                .get(&(UnitLevel::District, field(1)))
                .ok_or_else(|| format!("units-2023.csv line {}: unknown parent", line + 2))?,
            UnitLevel::Ministry => return Err("units-2023.csv holds no ministry".into()),
        };
        let id = units.len() as i64 + 1;
        let parent_unit = &units[parent];
        let unit = MapUnit {
            id,
            level,
            code: field(0),
            name: field(3),
            short_name: field(4),
            division_type: field(5),
            parent_id: Some(parent_unit.id),
            path: format!("{}{id}/", parent_unit.path),
            depth: parent_unit.depth + 1,
        };
        index.insert((level, unit.code.clone()), units.len());
        units.push(unit);
    }
    Ok(units)
}

/// Writes the map.
pub async fn insert<C: ConnectionTrait>(
    db: &C,
    units: &[MapUnit],
    bar: &ProgressBar,
) -> Result<(), DbErr> {
    let valid_from = sql::quote(MAP_2023_VALID_FROM);
    let rows = units.iter().map(|u| {
        let parent = u
            .parent_id
            .map_or_else(|| "NULL".to_owned(), |p| p.to_string());
        sql::row(&[
            &u.id,
            &sql::quote(u.level.as_str()),
            &sql::quote(&u.code),
            &sql::quote(&u.name),
            &sql::quote(&u.short_name),
            &sql::quote(&u.division_type),
            &sql::quote(&fold(&u.name)),
            &parent,
            &sql::quote(&u.path),
            &u.depth,
            &valid_from,
            &"NULL",
        ])
    });
    bulk::insert(
        db,
        "units",
        &[
            "id",
            "level",
            "code",
            "name",
            "short_name",
            "division_type",
            "search_key",
            "parent_id",
            "path",
            "depth",
            "valid_from",
            "valid_to",
        ],
        rows,
        bar,
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_2023_map_has_every_unit_and_a_consistent_tree() {
        let units = map_2023().expect("the shipped map parses");
        let count = |level| units.iter().filter(|u| u.level == level).count();
        assert_eq!(count(UnitLevel::Ministry), 1);
        assert_eq!(count(UnitLevel::Province), 63);
        assert_eq!(count(UnitLevel::District), 705);
        assert_eq!(count(UnitLevel::Commune), 10_598);
        for unit in &units {
            assert!(unit.path.ends_with(&format!("/{}/", unit.id)));
            assert_eq!(unit.path.matches('/').count() as i32, unit.depth + 2);
        }
    }
}
