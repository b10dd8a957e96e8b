//! The crosswalk file an administrator loads to replace the shipped
//! default shares of split communes (`tiendo crosswalk import FILE.csv`).
//!
//! Format: a header `old_code,new_code,share`, then one line per part of an
//! old commune: `old_code` a commune of the 2023 map, `new_code` a commune
//! of the 2025 map, `share` the part of the old commune that went to the
//! new one (for example its population there over the whole), in (0, 1].
//! The lines of one old commune replace all of its shares, and must sum to
//! 1 (within 10⁻⁶). A new commune must lie in the new province that took
//! the old commune's province, so a province's numbers stay exact sums.
//! Every bad line is reported; a file with any is written not at all.

use std::collections::{BTreeMap, HashMap};

use entity::unit::{self, AdminMap, UnitLevel};

use crate::model::rows::LineageRow;

/// How far the shares of one old commune may be from summing to 1.
pub const SHARE_TOLERANCE: f64 = 1e-6;

/// What a crosswalk file is checked against: the communes of both maps and
/// the province lineage.
pub struct Maps {
    /// 2023 communes by code: (id, province id).
    old: HashMap<String, (i64, i64)>,
    /// 2025 communes by code: (id, province id).
    new: HashMap<String, (i64, i64)>,
    /// Old province id → the new province id that took it.
    provinces: HashMap<i64, i64>,
    /// Codes by id, for messages.
    codes: HashMap<i64, String>,
}

impl Maps {
    /// The maps of these unit rows (both maps) and lineage rows.
    pub fn new(units: &[unit::Model], lineage: &[LineageRow]) -> Self {
        let by_id: HashMap<i64, &unit::Model> = units.iter().map(|u| (u.id, u)).collect();
        let province_of = |unit: &unit::Model| {
            let (mut level, mut id, mut parent) = (unit.level, unit.id, unit.parent_id);
            while level.rank() > UnitLevel::Province.rank() {
                let Some(up) = parent.and_then(|p| by_id.get(&p)) else {
                    break;
                };
                (level, id, parent) = (up.level, up.id, up.parent_id);
            }
            id
        };
        let communes = |map: AdminMap| {
            units
                .iter()
                .filter(|u| u.map == map && u.level == UnitLevel::Commune)
                .map(|u| (u.code.clone(), (u.id, province_of(u))))
                .collect()
        };
        let provinces = lineage
            .iter()
            .filter(|r| {
                by_id
                    .get(&r.old_unit_id)
                    .is_some_and(|u| u.level == UnitLevel::Province)
            })
            .map(|r| (r.old_unit_id, r.new_unit_id))
            .collect();
        Maps {
            old: communes(AdminMap::Vn2023),
            new: communes(AdminMap::Vn2025),
            provinces,
            codes: units.iter().map(|u| (u.id, u.code.clone())).collect(),
        }
    }
}

/// A bad line of a crosswalk file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineError {
    /// The line number (the header is line 1).
    pub line: usize,
    pub message: String,
}

/// Checks a crosswalk file; returns its rows (none of them defaults), or
/// every bad line.
pub fn check(text: &str, maps: &Maps) -> Result<Vec<LineageRow>, Vec<LineError>> {
    let mut errors = Vec::new();
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let header: Vec<String> = match reader.headers() {
        Ok(h) => h.iter().map(str::to_owned).collect(),
        Err(err) => {
            return Err(vec![LineError {
                line: 1,
                message: format!("not CSV: {err}"),
            }]);
        }
    };
    let column = |name: &str| header.iter().position(|h| h == name);
    let (Some(old_at), Some(new_at), Some(share_at)) =
        (column("old_code"), column("new_code"), column("share"))
    else {
        return Err(vec![LineError {
            line: 1,
            message: format!(
                "the header must name old_code, new_code and share; it is `{}`",
                header.join(",")
            ),
        }]);
    };
    // Old commune id → its (line, new id, share).
    let mut parts: BTreeMap<i64, Vec<(usize, i64, f64)>> = BTreeMap::new();
    for (i, record) in reader.records().enumerate() {
        let line = i + 2;
        let mut bad = |message: String| errors.push(LineError { line, message });
        let record = match record {
            Ok(record) => record,
            Err(err) => {
                bad(format!("not CSV: {err}"));
                continue;
            }
        };
        let field = |at: usize| record.get(at).unwrap_or("");
        let (old_code, new_code, share_text) = (field(old_at), field(new_at), field(share_at));
        let old = maps.old.get(old_code.trim_start_matches('0'));
        let new = maps.new.get(new_code.trim_start_matches('0'));
        let share = share_text.parse::<f64>().ok().filter(|s| s.is_finite());
        if old.is_none() {
            bad(format!(
                "old_code `{old_code}` is not a commune of the 2023 map"
            ));
        }
        if new.is_none() {
            bad(format!(
                "new_code `{new_code}` is not a commune of the 2025 map"
            ));
        }
        match share {
            None => bad(format!("share `{share_text}` is not a number")),
            Some(s) if s <= 0.0 || s > 1.0 => {
                bad(format!("share {s} is not in (0, 1]"));
            }
            _ => {}
        }
        let (Some(&(old_id, old_province)), Some(&(new_id, new_province)), Some(share)) =
            (old, new, share)
        else {
            continue;
        };
        if maps.provinces.get(&old_province) != Some(&new_province) {
            bad(format!(
                "new commune {new_code} is not in the province that took old commune {old_code}'s province"
            ));
            continue;
        }
        let held = parts.entry(old_id).or_default();
        if held.iter().any(|(_, n, _)| *n == new_id) {
            bad(format!("{old_code} → {new_code} is on an earlier line too"));
            continue;
        }
        held.push((line, new_id, share));
    }
    for (old_id, held) in &parts {
        let sum: f64 = held.iter().map(|(_, _, s)| s).sum();
        if (sum - 1.0).abs() > SHARE_TOLERANCE {
            // Shown to six places: 0.6 + 0.3 is 0.8999999999999999.
            let sum = (sum * 1e6).round() / 1e6;
            let lines: Vec<String> = held.iter().map(|(l, _, _)| l.to_string()).collect();
            let code = maps.codes.get(old_id).map_or("?", String::as_str);
            for (line, _, _) in held {
                errors.push(LineError {
                    line: *line,
                    message: format!(
                        "the shares of old commune {code} (lines {}) sum to {sum}, not 1",
                        lines.join(", ")
                    ),
                });
            }
        }
    }
    if !errors.is_empty() {
        errors.sort_by_key(|e| e.line);
        return Err(errors);
    }
    Ok(parts
        .into_iter()
        .flat_map(|(old_id, held)| {
            held.into_iter().map(move |(_, new_id, share)| LineageRow {
                old_unit_id: old_id,
                new_unit_id: new_id,
                share,
                is_default: false,
            })
        })
        .collect())
}
