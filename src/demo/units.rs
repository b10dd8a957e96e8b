//! The two unit maps and the lineage between them, shipped in `assets/`
//! (see `assets/README.md` for their source and attribution): the 2023 map
//! (ministry, 63 provinces, 705 districts, 10,598 communes; in force until
//! 2025-06-30) and the 2025 map (ministry, 34 provinces, 3,321 communes;
//! from 2025-07-01), each with its own ministry root, and the shares by
//! which old units went to new ones.

use std::collections::{BTreeMap, HashMap};

use entity::unit::{AdminMap, UnitLevel};
use indicatif::ProgressBar;
use sea_orm::{ConnectionTrait, DbErr};

use super::bulk;
pub use crate::model::rows::LineageRow;
use crate::store::sql;
use crate::text::fold;

/// The shipped map files, compiled into the binary so the server never
/// reads files outside itself at run time.
const UNITS_2023: &str = include_str!("../../assets/units-2023.csv");
const UNITS_2025: &str = include_str!("../../assets/units-2025.csv");
const MERGES_2025: &str = include_str!("../../assets/unit-merges-2025.csv");

/// First day the 2023 map is used for (the demo starts in December 2020).
pub const MAP_2023_VALID_FROM: &str = "2020-01-01";
/// Last day of the 2023 map.
pub const MAP_2023_VALID_TO: &str = "2025-06-30";
/// First day of the 2025 map.
pub const MAP_2025_VALID_FROM: &str = "2025-07-01";

/// The id of the 2025 map's ministry root; its other units follow in file
/// order. The 2023 map's ids are 1 to 11,367.
pub const MAP_2025_FIRST_ID: i64 = 20_001;

/// The 2023 island districts without communes and the 2025 special zones
/// (đặc khu) that took them, matched by name (`assets/README.md`).
pub const ISLAND_DISTRICTS: [(&str, &str); 5] = [
    ("318", "11948"),
    ("471", "19742"),
    ("498", "20333"),
    ("536", "21548"),
    ("755", "26732"),
];

/// One unit of a map, with the id and path the loader gives it.
#[derive(Debug, Clone)]
pub struct MapUnit {
    pub id: i64,
    pub map: AdminMap,
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
    read_map(UNITS_2023, "units-2023.csv", AdminMap::Vn2023, 1)
}

/// The 2025 map, ids from [`MAP_2025_FIRST_ID`] in file order (ministry,
/// provinces, communes by code).
pub fn map_2025() -> Result<Vec<MapUnit>, String> {
    read_map(
        UNITS_2025,
        "units-2025.csv",
        AdminMap::Vn2025,
        MAP_2025_FIRST_ID,
    )
}

/// Reads a map file under a ministry root of id `first_id`. A row's parent
/// is the unit of the level above it that the file holds (a 2025 commune's
/// parent is its province).
fn read_map(text: &str, file: &str, map: AdminMap, first_id: i64) -> Result<Vec<MapUnit>, String> {
    let mut units = vec![MapUnit {
        id: first_id,
        map,
        level: UnitLevel::Ministry,
        code: "0".into(),
        name: "Bộ Công an".into(),
        short_name: "Bộ Công an".into(),
        division_type: "bộ".into(),
        parent_id: None,
        path: format!("/{first_id}/"),
        depth: 0,
    }];
    let mut index: HashMap<(UnitLevel, String), usize> = HashMap::new();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    for (line, record) in reader.records().enumerate() {
        let at = |what: &str| format!("{file} line {}: {what}", line + 2);
        let record = record.map_err(|err| at(&err.to_string()))?;
        let field = |i: usize| record.get(i).unwrap_or("").to_owned();
        let level = UnitLevel::parse(&field(2)).ok_or_else(|| at("unknown level"))?;
        let parent = match level {
            UnitLevel::Province => 0,
            UnitLevel::Ministry => return Err(at("a map file holds no ministry")),
            _ => {
                let above = [UnitLevel::District, UnitLevel::Province]
                    .into_iter()
                    .filter(|l| l.rank() < level.rank())
                    .find_map(|l| index.get(&(l, field(1))));
                *above.ok_or_else(|| at("unknown parent"))?
            }
        };
        let id = first_id + units.len() as i64;
        let parent_unit = &units[parent];
        let unit = MapUnit {
            id,
            map,
            level,
            code: field(0),
            name: field(3),
            short_name: field(4),
            division_type: field(5),
            parent_id: Some(parent_unit.id),
            path: format!("{}{id}/", parent_unit.path),
            depth: parent_unit.depth + 1,
        };
        if index
            .insert((level, unit.code.clone()), units.len())
            .is_some()
        {
            return Err(at("a code twice at one level"));
        }
        units.push(unit);
    }
    Ok(units)
}

/// The shipped lineage from the 2023 map to the 2025 map: communes by the
/// merge table (a split commune's parts in equal default shares), the
/// island districts by name, and every old province to the one new
/// province its communes went to. Old codes in neither map file are
/// skipped. Fails if an old province's communes went to two new provinces
/// (the facts say they never do).
pub fn lineage_2025(old: &[MapUnit], new: &[MapUnit]) -> Result<Vec<LineageRow>, String> {
    let key = |units: &[MapUnit]| -> HashMap<(UnitLevel, String), usize> {
        units
            .iter()
            .enumerate()
            .map(|(i, u)| ((u.level, u.code.clone()), i))
            .collect()
    };
    let (old_index, new_index) = (key(old), key(new));
    let by_id = |units: &[MapUnit]| -> HashMap<i64, usize> {
        units.iter().enumerate().map(|(i, u)| (u.id, i)).collect()
    };
    let (old_by_id, new_by_id) = (by_id(old), by_id(new));
    // Old commune → its new communes, in file order.
    let mut parts: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    let mut reader = csv::Reader::from_reader(MERGES_2025.as_bytes());
    for (line, record) in reader.records().enumerate() {
        let at = |what: &str| format!("unit-merges-2025.csv line {}: {what}", line + 2);
        let record = record.map_err(|err| at(&err.to_string()))?;
        let (old_code, new_code) = (record.get(0).unwrap_or(""), record.get(1).unwrap_or(""));
        let Some(&o) = old_index.get(&(UnitLevel::Commune, old_code.to_owned())) else {
            continue;
        };
        let &n = new_index
            .get(&(UnitLevel::Commune, new_code.to_owned()))
            .ok_or_else(|| at(&format!("new commune {new_code} is not in units-2025.csv")))?;
        parts.entry(o).or_default().push(n);
    }
    let mut rows = Vec::new();
    for (o, news) in &parts {
        let share = 1.0 / news.len() as f64;
        for n in news {
            rows.push(LineageRow {
                old_unit_id: old[*o].id,
                new_unit_id: new[*n].id,
                share,
                is_default: news.len() > 1,
            });
        }
    }
    for (district, zone) in ISLAND_DISTRICTS {
        let o = old_index
            .get(&(UnitLevel::District, district.to_owned()))
            .ok_or_else(|| format!("island district {district} is not in the 2023 map"))?;
        let n = new_index
            .get(&(UnitLevel::Commune, zone.to_owned()))
            .ok_or_else(|| format!("special zone {zone} is not in the 2025 map"))?;
        rows.push(LineageRow {
            old_unit_id: old[*o].id,
            new_unit_id: new[*n].id,
            share: 1.0,
            is_default: false,
        });
    }
    // Provinces: the new province of every new commune an old province's
    // communes went to.
    let province_of = |units: &[MapUnit], by_id: &HashMap<i64, usize>, mut i: usize| {
        while units[i].level.rank() > UnitLevel::Province.rank() {
            i = units[i]
                .parent_id
                .and_then(|p| by_id.get(&p).copied())
                .unwrap_or(0);
        }
        i
    };
    let mut provinces: BTreeMap<usize, usize> = BTreeMap::new();
    for row in &rows {
        let o = province_of(old, &old_by_id, old_by_id[&row.old_unit_id]);
        let n = province_of(new, &new_by_id, new_by_id[&row.new_unit_id]);
        if let Some(held) = provinces.insert(o, n) {
            if held != n {
                return Err(format!(
                    "old province {} went to two new provinces, {} and {}",
                    old[o].code, new[held].code, new[n].code
                ));
            }
        }
    }
    for (o, n) in provinces {
        rows.push(LineageRow {
            old_unit_id: old[o].id,
            new_unit_id: new[n].id,
            share: 1.0,
            is_default: false,
        });
    }
    Ok(rows)
}

/// Writes the units of a map (or of both).
pub async fn insert<C: ConnectionTrait>(
    db: &C,
    units: &[MapUnit],
    bar: &ProgressBar,
) -> Result<(), DbErr> {
    let validity = |map: AdminMap| match map {
        AdminMap::Vn2023 => (
            sql::quote(MAP_2023_VALID_FROM),
            sql::quote(MAP_2023_VALID_TO),
        ),
        AdminMap::Vn2025 => (sql::quote(MAP_2025_VALID_FROM), "NULL".to_owned()),
    };
    let rows = units.iter().map(|u| {
        let parent = u
            .parent_id
            .map_or_else(|| "NULL".to_owned(), |p| p.to_string());
        let (valid_from, valid_to) = validity(u.map);
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
            &valid_to,
            &sql::quote(u.map.as_str()),
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
            "map",
        ],
        rows,
        bar,
    )
    .await
}

/// Writes lineage rows.
pub async fn insert_lineage<C: ConnectionTrait>(
    db: &C,
    rows: &[LineageRow],
    bar: &ProgressBar,
) -> Result<(), DbErr> {
    let rows = rows.iter().map(|r| {
        sql::row(&[
            &r.old_unit_id,
            &r.new_unit_id,
            &format!("{:?}", r.share),
            &sql::boolean(r.is_default),
        ])
    });
    bulk::insert(
        db,
        "unit_lineage",
        &["old_unit_id", "new_unit_id", "share", "is_default"],
        rows,
        bar,
    )
    .await
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    fn count(units: &[MapUnit], level: UnitLevel) -> usize {
        units.iter().filter(|u| u.level == level).count()
    }

    fn consistent(units: &[MapUnit]) {
        let ids: HashSet<i64> = units.iter().map(|u| u.id).collect();
        assert_eq!(ids.len(), units.len(), "ids are unique");
        for unit in units {
            assert!(unit.path.ends_with(&format!("/{}/", unit.id)));
            assert_eq!(unit.path.matches('/').count() as i32, unit.depth + 2);
            assert!(unit.parent_id.is_none_or(|p| ids.contains(&p)));
        }
    }

    #[test]
    fn the_2023_map_has_every_unit_and_a_consistent_tree() {
        let units = map_2023().expect("the shipped map parses");
        assert_eq!(count(&units, UnitLevel::Ministry), 1);
        assert_eq!(count(&units, UnitLevel::Province), 63);
        assert_eq!(count(&units, UnitLevel::District), 705);
        assert_eq!(count(&units, UnitLevel::Commune), 10_598);
        assert!(units.iter().all(|u| u.map == AdminMap::Vn2023));
        assert!(units.iter().all(|u| u.id < MAP_2025_FIRST_ID));
        consistent(&units);
    }

    #[test]
    fn the_2025_map_has_34_provinces_and_3321_communes_under_its_own_root() {
        let units = map_2025().expect("the shipped map parses");
        assert_eq!(count(&units, UnitLevel::Ministry), 1);
        assert_eq!(count(&units, UnitLevel::Province), 34);
        assert_eq!(count(&units, UnitLevel::District), 0);
        assert_eq!(count(&units, UnitLevel::Commune), 3_321);
        assert!(units.iter().all(|u| u.map == AdminMap::Vn2025));
        assert_eq!(units[0].id, MAP_2025_FIRST_ID);
        consistent(&units);
        // A commune's parent is its province.
        let provinces: HashSet<i64> = units
            .iter()
            .filter(|u| u.level == UnitLevel::Province)
            .map(|u| u.id)
            .collect();
        assert!(
            units
                .iter()
                .filter(|u| u.level == UnitLevel::Commune)
                .all(|u| u.parent_id.is_some_and(|p| provinces.contains(&p)))
        );
    }

    #[test]
    fn the_lineage_holds_the_facts_of_the_data() {
        let (old, new) = (map_2023().expect("2023"), map_2025().expect("2025"));
        let rows = lineage_2025(&old, &new).expect("the shipped lineage is consistent");
        let old_by_id: HashMap<i64, &MapUnit> = old.iter().map(|u| (u.id, u)).collect();
        let new_by_id: HashMap<i64, &MapUnit> = new.iter().map(|u| (u.id, u)).collect();
        let mut shares: HashMap<i64, Vec<&LineageRow>> = HashMap::new();
        for row in &rows {
            shares.entry(row.old_unit_id).or_default().push(row);
            // Within one level on each side: commune → commune, island
            // district → special zone, province → province.
            let (o, n) = (old_by_id[&row.old_unit_id], new_by_id[&row.new_unit_id]);
            match o.level {
                UnitLevel::Province => assert_eq!(n.level, UnitLevel::Province),
                _ => assert_eq!(n.level, UnitLevel::Commune),
            }
        }
        // The shares of every old unit sum to 1; defaults only on splits.
        for parts in shares.values() {
            let sum: f64 = parts.iter().map(|r| r.share).sum();
            assert!((sum - 1.0).abs() < 1e-9, "{parts:?}");
            assert!(parts.iter().all(|r| r.is_default == (parts.len() > 1)));
        }
        let old_communes = |pred: &dyn Fn(usize) -> bool| {
            shares
                .iter()
                .filter(|(id, parts)| {
                    old_by_id[id].level == UnitLevel::Commune && pred(parts.len())
                })
                .count()
        };
        // 10,030 old codes of the table are 2023 communes; 441 of them split
        // (the table's 10,033 less the three in neither file); 568
        // communes of 2023 have no row.
        assert_eq!(old_communes(&|_| true), 10_030);
        assert_eq!(old_communes(&|n| n > 1), 441);
        assert_eq!(10_598 - old_communes(&|_| true), 568);
        // Every old province went to one new province: 63 → 34.
        let provinces: Vec<&LineageRow> = rows
            .iter()
            .filter(|r| old_by_id[&r.old_unit_id].level == UnitLevel::Province)
            .collect();
        assert_eq!(provinces.len(), 63);
        let targets: HashSet<i64> = provinces.iter().map(|r| r.new_unit_id).collect();
        assert_eq!(targets.len(), 34);
        // Quảng Nam 49 and Đà Nẵng 48 became Đà Nẵng 48.
        let code = |id: i64| new_by_id[&id].code.as_str();
        let of = |old_code: &str| {
            provinces
                .iter()
                .find(|r| old_by_id[&r.old_unit_id].code == old_code)
                .map(|r| code(r.new_unit_id))
        };
        assert_eq!(of("49"), Some("48"));
        assert_eq!(of("48"), Some("48"));
        // The five island districts went to their special zones.
        assert_eq!(
            rows.iter()
                .filter(|r| old_by_id[&r.old_unit_id].level == UnitLevel::District)
                .count(),
            5
        );
    }
}
