//! The two maps in the database and `tiendo crosswalk import`, run as a
//! real process: the demo stores both maps with the shipped lineage (equal
//! default shares for split communes); a file of real shares replaces an
//! old commune's shares whole; a file with bad lines is refused with every
//! bad line listed, and writes nothing.

mod common;

use std::collections::HashMap;
use std::io::Write;

use common::{TestApp, db_test, tiendo};
use entity::unit::{self, AdminMap, UnitLevel};
use entity::unit_lineage;
use sea_orm::{ColumnTrait, Database, EntityTrait, QueryFilter};

fn file_with(lines: &[String]) -> tempfile::NamedTempFile {
    let mut file = tempfile::Builder::new()
        .suffix(".csv")
        .tempfile()
        .expect("a temporary file");
    writeln!(file, "old_code,new_code,share").expect("write");
    for line in lines {
        writeln!(file, "{line}").expect("write");
    }
    file.flush().expect("flush");
    file
}

/// The new communes of every old commune, from the shipped merge table.
fn merges() -> HashMap<String, Vec<String>> {
    let mut parts: HashMap<String, Vec<String>> = HashMap::new();
    for line in include_str!("../assets/unit-merges-2025.csv")
        .lines()
        .skip(1)
    {
        let (old, new) = line.split_once(',').expect("two columns");
        parts
            .entry(old.to_owned())
            .or_default()
            .push(new.to_owned());
    }
    parts
}

/// The province code of every 2025 commune.
fn provinces_2025() -> HashMap<String, String> {
    include_str!("../assets/units-2025.csv")
        .lines()
        .skip(1)
        .filter(|line| line.split(',').nth(2) == Some("commune"))
        .map(|line| {
            let mut fields = line.split(',');
            let code = fields.next().unwrap_or_default().to_owned();
            (code, fields.next().unwrap_or_default().to_owned())
        })
        .collect()
}

/// The shares held for the old commune `code`: (new code, share, default).
async fn shares_of(app: &TestApp, code: &str) -> Vec<(String, f64, bool)> {
    let db = Database::connect(&app.database_url).await.expect("connect");
    let old = unit::Entity::find()
        .filter(unit::Column::Map.eq(AdminMap::Vn2023))
        .filter(unit::Column::Level.eq(UnitLevel::Commune))
        .filter(unit::Column::Code.eq(code))
        .one(&db)
        .await
        .expect("query")
        .expect("the old commune");
    let mut out = Vec::new();
    for row in unit_lineage::Entity::find()
        .filter(unit_lineage::Column::OldUnitId.eq(old.id))
        .all(&db)
        .await
        .expect("query")
    {
        let new = unit::Entity::find_by_id(row.new_unit_id)
            .one(&db)
            .await
            .expect("query")
            .expect("the new commune");
        assert_eq!(new.map, AdminMap::Vn2025);
        out.push((new.code, row.share, row.is_default));
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

/// A split commune of the merge table and its parts, sorted.
fn a_split() -> (String, Vec<String>) {
    let mut splits: Vec<(String, Vec<String>)> = merges()
        .into_iter()
        .filter(|(_, parts)| parts.len() == 2)
        .collect();
    splits.sort();
    let (old, mut parts) = splits.swap_remove(0);
    parts.sort();
    (old, parts)
}

db_test!(units, async fn the_demo_stores_both_maps_with_default_shares(app) {
    // Given the demo's units
    let db = Database::connect(&app.database_url).await.expect("connect");
    let count = |map: AdminMap, level: UnitLevel| {
        let db = db.clone();
        async move {
            unit::Entity::find()
                .filter(unit::Column::Map.eq(map))
                .filter(unit::Column::Level.eq(level))
                .all(&db)
                .await
                .expect("query")
                .len()
        }
    };

    // Then both maps are there, each with its ministry root
    assert_eq!(count(AdminMap::Vn2023, UnitLevel::Province).await, 63);
    assert_eq!(count(AdminMap::Vn2023, UnitLevel::Commune).await, 10_598);
    assert_eq!(count(AdminMap::Vn2025, UnitLevel::Ministry).await, 1);
    assert_eq!(count(AdminMap::Vn2025, UnitLevel::Province).await, 34);
    assert_eq!(count(AdminMap::Vn2025, UnitLevel::District).await, 0);
    assert_eq!(count(AdminMap::Vn2025, UnitLevel::Commune).await, 3_321);

    // And a split commune's parts hold equal default shares
    let (old, parts) = a_split();
    let held = shares_of(&app, &old).await;
    assert_eq!(
        held,
        parts.iter().map(|p| (p.clone(), 0.5, true)).collect::<Vec<_>>()
    );
});

db_test!(units, async fn real_shares_replace_the_defaults_whole(app) {
    // Given a split commune with equal default shares
    let (old, parts) = a_split();

    // When a file gives its real shares
    let file = file_with(&[
        format!("{old},{},0.7", parts[0]),
        format!("{old},{},0.3", parts[1]),
    ]);
    let dry = tiendo(&app, &["crosswalk", "import", "--dry-run", file.path().to_str().expect("path")]);
    assert!(dry.status.success(), "{}", String::from_utf8_lossy(&dry.stderr));
    assert!(shares_of(&app, &old).await.iter().all(|(_, _, default)| *default), "a dry run writes nothing");
    let out = tiendo(&app, &["crosswalk", "import", file.path().to_str().expect("path")]);

    // Then they replace the defaults, marked as data
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("2 shares of 1 old communes written"));
    assert_eq!(
        shares_of(&app, &old).await,
        vec![(parts[0].clone(), 0.7, false), (parts[1].clone(), 0.3, false)]
    );
});

db_test!(units, async fn a_bad_crosswalk_lists_every_bad_line_and_writes_nothing(app) {
    // Given a split commune, and a 2025 commune of another province
    let (old, parts) = a_split();
    let provinces = provinces_2025();
    let elsewhere = provinces
        .iter()
        .filter(|(_, province)| **province != provinces[&parts[0]])
        .map(|(code, _)| code.clone())
        .min()
        .expect("a commune of another province");
    let before = shares_of(&app, &old).await;

    // When a file holds, after one good line, shares summing to 0.9, an
    // unknown old code, an unknown new code, a share out of range and a
    // commune of another province
    let file = file_with(&[
        format!("{old},{},0.6", parts[0]),
        format!("{old},{},0.3", parts[1]),
        format!("99999999,{},1", parts[0]),
        format!("{old},99999999,0.1"),
        format!("{old},{},1.5", parts[1]),
        format!("{old},{elsewhere},0.1"),
    ]);
    let out = tiendo(&app, &["crosswalk", "import", file.path().to_str().expect("path")]);

    // Then it fails, naming every bad line, and nothing changed
    assert!(!out.status.success());
    let errors = String::from_utf8_lossy(&out.stderr);
    for needle in [
        "line 2: the shares of old commune",
        "line 3: the shares of old commune",
        "sum to 0.9",
        "line 4: old_code `99999999` is not a commune of the 2023 map",
        "line 5: new_code `99999999` is not a commune of the 2025 map",
        "line 6: share 1.5 is not in (0, 1]",
        "line 7: new commune",
        "nothing was written",
    ] {
        assert!(errors.contains(needle), "`{needle}` missing from:\n{errors}");
    }
    assert_eq!(shares_of(&app, &old).await, before);
});
