//! CSV import and export (the format is documented in the README).
//!
//! One file holds reports and stock values, one per line, told apart by
//! the `type` column; every line has the same columns:
//!
//! ```text
//! type,level,code,day,campaign_id,team_id,applications_collected,cards_issued,
//! accounts_activated,home_visits,eligible_population,present_population,
//! accounts_eligible,cards_issued_opening,accounts_activated_opening
//! ```
//!
//! A last column, `map` (`VN2023` or `VN2025`), is optional: a file whose
//! header ends with it names each line's map (an empty cell, like a file
//! without the column, means the map in force on the line's day). Export
//! always writes it.
//!
//! A `report` line fills the four flow columns (and optionally a campaign
//! and a team id) and leaves the stock columns empty; a `stock` line fills
//! the stock columns it sets (from `day` on) and leaves the rest empty.
//! An import reads and checks the whole file before writing anything, then
//! writes it in one transaction.

use std::io::{Read, Write};

use chrono::NaiveDate;
use entity::unit::{AdminMap, UnitLevel};
use futures_util::TryStreamExt;
use sea_orm::sqlx;
use sea_orm::{DatabaseConnection, DbBackend, DbErr};

use super::validate::{Directory, duplicate};
use crate::model::rows::{ReportRow, RowError, StockRow, ValidStock, codes};
use crate::model::values::{Flows, Stocks};
use crate::store::import::ImportReport;

/// The header every file starts with.
pub const COLUMNS: [&str; 15] = [
    "type",
    "level",
    "code",
    "day",
    "campaign_id",
    "team_id",
    "applications_collected",
    "cards_issued",
    "accounts_activated",
    "home_visits",
    "eligible_population",
    "present_population",
    "accounts_eligible",
    "cards_issued_opening",
    "accounts_activated_opening",
];

/// The optional last column: the map of the line's unit.
pub const MAP_COLUMN: &str = "map";

/// A checked file, ready to write.
#[derive(Debug, Default)]
pub struct Checked {
    pub reports: Vec<ImportReport>,
    pub stocks: Vec<ValidStock>,
    /// Data lines read.
    pub lines: u64,
}

fn bad(line: usize, field: &str, code: &'static str, message: impl Into<String>) -> RowError {
    RowError {
        row: line,
        field: field.into(),
        code,
        message: message.into(),
    }
}

fn level(text: &str) -> Option<UnitLevel> {
    match text.to_ascii_uppercase().as_str() {
        "MINISTRY" => Some(UnitLevel::Ministry),
        "PROVINCE" => Some(UnitLevel::Province),
        "DISTRICT" => Some(UnitLevel::District),
        "COMMUNE" => Some(UnitLevel::Commune),
        _ => None,
    }
}

fn level_name(level: UnitLevel) -> &'static str {
    match level {
        UnitLevel::Ministry => "MINISTRY",
        UnitLevel::Province => "PROVINCE",
        UnitLevel::District => "DISTRICT",
        UnitLevel::Commune => "COMMUNE",
    }
}

/// The name a file writes for a stored map (`vn2023` → `VN2023`).
fn map_name(stored: &str) -> &'static str {
    AdminMap::parse(stored).map_or("", AdminMap::name)
}

/// Stops collecting errors after this many (the count goes on).
const MAX_ERRORS: usize = 1_000;

/// Reads and checks a whole file. Errors name their line (the header is
/// line 1). `progress` is told the bytes read so far.
pub fn check(
    input: impl Read,
    directory: &Directory,
    mut progress: impl FnMut(u64),
) -> Result<Checked, (Vec<RowError>, usize)> {
    let mut reader = ::csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(input);
    let mut errors = Errors::default();
    let mut checked = Checked::default();
    let mut record = ::csv::ByteRecord::new();
    let mut header_seen = false;
    let mut with_map = false;
    loop {
        let line = reader.position().line() as usize;
        match reader.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(err) => {
                errors.push(bad(
                    line,
                    "",
                    codes::MALFORMED_VALUE,
                    format!("unreadable CSV: {err}"),
                ));
                break;
            }
        }
        let line = record.position().map_or(line, |p| p.line() as usize);
        if !header_seen {
            header_seen = true;
            let header: Vec<&[u8]> = record.iter().collect();
            let expected: Vec<&[u8]> = COLUMNS.iter().map(|c| c.as_bytes()).collect();
            with_map =
                header.len() == COLUMNS.len() + 1 && header.last() == Some(&MAP_COLUMN.as_bytes());
            if header[..header.len().min(COLUMNS.len())] != expected[..]
                || !(header.len() == COLUMNS.len() || with_map)
            {
                errors.push(bad(
                    line,
                    "",
                    codes::MALFORMED_VALUE,
                    format!(
                        "the header must be: {} (optionally followed by ,{MAP_COLUMN})",
                        COLUMNS.join(",")
                    ),
                ));
                break;
            }
            continue;
        }
        checked.lines += 1;
        if checked.lines % 65_536 == 0 {
            progress(record.position().map_or(0, |p| p.byte()));
        }
        let width = COLUMNS.len() + usize::from(with_map);
        if record.len() != width {
            errors.push(bad(
                line,
                "",
                codes::MALFORMED_VALUE,
                format!("{} columns, expected {width}", record.len()),
            ));
            continue;
        }
        let mut fields: [&str; 16] = [""; 16];
        let mut utf8 = true;
        for (i, raw) in record.iter().enumerate() {
            match std::str::from_utf8(raw) {
                Ok(text) => fields[i] = text.trim(),
                Err(_) => {
                    errors.push(bad(
                        line,
                        COLUMNS.get(i).copied().unwrap_or(MAP_COLUMN),
                        codes::MALFORMED_VALUE,
                        "not valid UTF-8",
                    ));
                    utf8 = false;
                    break;
                }
            }
        }
        if !utf8 {
            continue;
        }
        let before = errors.count;
        let number = |i: usize, errors: &mut Errors| number(&fields, i, line, errors);
        let unit_level = level(fields[1]);
        if unit_level.is_none() {
            errors.push(bad(
                line,
                "level",
                codes::MALFORMED_VALUE,
                format!("{:?} is not a level (COMMUNE, DISTRICT, …)", fields[1]),
            ));
        }
        let map = match fields[15] {
            "" => None,
            text => {
                let map = AdminMap::parse(text);
                if map.is_none() {
                    errors.push(bad(
                        line,
                        MAP_COLUMN,
                        codes::MALFORMED_VALUE,
                        format!("{text:?} is not a map (VN2023, VN2025)"),
                    ));
                }
                map
            }
        };
        let day = crate::model::day::parse_date(fields[3]);
        if day.is_none() {
            errors.push(bad(
                line,
                "day",
                codes::MALFORMED_VALUE,
                format!("{:?} is not a YYYY-MM-DD date", fields[3]),
            ));
        }
        match fields[0] {
            "report" => {
                let campaign_id = number(4, &mut errors);
                let team_id = number(5, &mut errors);
                let mut values = [0i64; 4];
                for (m, value) in values.iter_mut().enumerate() {
                    match number(6 + m, &mut errors) {
                        Some(v) => *value = v,
                        None if fields[6 + m].is_empty() => errors.push(bad(
                            line,
                            COLUMNS[6 + m],
                            codes::MALFORMED_VALUE,
                            "a report needs all four values",
                        )),
                        None => {}
                    }
                }
                for k in 10..15 {
                    if !fields[k].is_empty() {
                        errors.push(bad(
                            line,
                            COLUMNS[k],
                            codes::MALFORMED_VALUE,
                            "a report line leaves the stock columns empty",
                        ));
                    }
                }
                let (Some(unit_level), Some(day)) = (unit_level, day) else {
                    continue;
                };
                if errors.count != before {
                    continue;
                }
                let row = ReportRow {
                    map,
                    level: unit_level,
                    code: fields[2].to_owned(),
                    day,
                    values: Flows::from_array(values),
                    campaign_id,
                    team_id,
                    reason: None,
                };
                let mut row_errors = Vec::new();
                match directory.check_report(line, &row, &mut row_errors) {
                    Some(valid) => checked.reports.push(ImportReport {
                        line: line as u32,
                        unit_id: valid.unit_id,
                        day: valid.day,
                        campaign_id: valid.campaign_id,
                        team_id: valid.team_id,
                        values: valid.values,
                    }),
                    None => {
                        for e in row_errors {
                            errors.push(e);
                        }
                    }
                }
            }
            "stock" => {
                for k in 4..10 {
                    if !fields[k].is_empty() {
                        errors.push(bad(
                            line,
                            COLUMNS[k],
                            codes::MALFORMED_VALUE,
                            "a stock line leaves the report columns empty",
                        ));
                    }
                }
                let mut values = [None; 5];
                for (k, value) in values.iter_mut().enumerate() {
                    *value = number(10 + k, &mut errors);
                }
                if values.iter().all(Option::is_none) && errors.count == before {
                    errors.push(bad(
                        line,
                        "eligible_population",
                        codes::MALFORMED_VALUE,
                        "a stock line sets at least one value",
                    ));
                }
                let (Some(unit_level), Some(day)) = (unit_level, day) else {
                    continue;
                };
                if errors.count != before {
                    continue;
                }
                let row = StockRow {
                    map,
                    level: unit_level,
                    code: fields[2].to_owned(),
                    from: day,
                    values: Stocks::from_array(values),
                };
                match directory.check_stocks(std::slice::from_ref(&row), |_| line) {
                    Ok(mut valid) => checked.stocks.append(&mut valid),
                    Err(row_errors) => {
                        for e in row_errors {
                            errors.push(e);
                        }
                    }
                }
            }
            other => errors.push(bad(
                line,
                "type",
                codes::MALFORMED_VALUE,
                format!("{other:?} is neither report nor stock"),
            )),
        }
    }
    if !header_seen && errors.count == 0 {
        errors.push(bad(
            1,
            "",
            codes::MALFORMED_VALUE,
            "the file is empty: it needs the header line",
        ));
    }
    // The same key twice in the file (reports), or the same unit and day
    // twice (stocks).
    checked
        .reports
        .sort_unstable_by_key(|r| (r.unit_id, r.day, r.campaign_id, r.team_id, r.line));
    for pair in checked.reports.windows(2) {
        let (a, b) = (&pair[0], &pair[1]);
        if (a.unit_id, a.day, a.campaign_id, a.team_id)
            == (b.unit_id, b.day, b.campaign_id, b.team_id)
        {
            errors.push(duplicate(b.line as usize, a.line as usize));
        }
    }
    let mut stock_keys: Vec<(i64, NaiveDate)> =
        checked.stocks.iter().map(|s| (s.unit_id, s.from)).collect();
    stock_keys.sort_unstable();
    if stock_keys.windows(2).any(|w| w[0] == w[1]) {
        errors.push(bad(
            0,
            "unit",
            codes::DUPLICATE_ROW,
            "a unit has two stock lines for the same day",
        ));
    }
    if errors.count == 0 {
        Ok(checked)
    } else {
        let mut list = errors.list;
        list.sort_by_key(|e| e.row);
        Err((list, errors.count))
    }
}

/// The errors of a file: the first [`MAX_ERRORS`] and how many in all.
#[derive(Default)]
struct Errors {
    list: Vec<RowError>,
    count: usize,
}

impl Errors {
    fn push(&mut self, e: RowError) {
        self.count += 1;
        if self.list.len() < MAX_ERRORS {
            self.list.push(e);
        }
    }
}

/// Column `i` as a whole number; `None` when empty or not a number (then
/// an error is noted).
fn number(fields: &[&str; 16], i: usize, line: usize, errors: &mut Errors) -> Option<i64> {
    if fields[i].is_empty() {
        return None;
    }
    match fields[i].parse::<i64>() {
        Ok(v) => Some(v),
        Err(_) => {
            errors.push(bad(
                line,
                COLUMNS[i],
                codes::MALFORMED_VALUE,
                format!("{:?} is not a whole number", fields[i]),
            ));
            None
        }
    }
}

/// Writes every stock value and report of the database as CSV, stock lines
/// first, reports in the order they were first submitted.
pub async fn export(db: &DatabaseConnection, output: impl Write) -> Result<u64, DbErr> {
    let mut writer = ::csv::Writer::from_writer(output);
    let io = |err: ::csv::Error| DbErr::Custom(format!("writing the CSV: {err}"));
    let mut header = COLUMNS.to_vec();
    header.push(MAP_COLUMN);
    writer.write_record(&header).map_err(io)?;
    let mut lines = 0u64;

    type StockLine = (i64, String, String, String, NaiveDate, String, i64);
    const STOCKS: &str = "SELECT u.id, u.map, u.level, u.code, s.valid_from, s.metric, s.value \
                          FROM stock_values s JOIN units u ON u.id = s.unit_id \
                          ORDER BY s.unit_id, s.valid_from, s.metric";
    let stocks: Vec<StockLine> = match db.get_database_backend() {
        DbBackend::Sqlite => {
            sqlx::query_as(STOCKS)
                .fetch_all(db.get_sqlite_connection_pool())
                .await
        }
        DbBackend::Postgres => {
            sqlx::query_as(STOCKS)
                .fetch_all(db.get_postgres_connection_pool())
                .await
        }
        other => return Err(DbErr::Custom(format!("unsupported database {other:?}"))),
    }
    .map_err(|e| DbErr::Custom(format!("reading stock values: {e}")))?;
    let mut i = 0;
    while i < stocks.len() {
        let (unit, map, lvl, code, from) = (
            stocks[i].0,
            &stocks[i].1,
            &stocks[i].2,
            &stocks[i].3,
            stocks[i].4,
        );
        let mut values: [String; 5] = Default::default();
        while i < stocks.len() && stocks[i].0 == unit && stocks[i].4 == from {
            let k = match stocks[i].5.as_str() {
                "eligible_population" => 0,
                "present_population" => 1,
                "accounts_eligible" => 2,
                "cards_issued_opening" => 3,
                _ => 4,
            };
            values[k] = stocks[i].6.to_string();
            i += 1;
        }
        let level = level(lvl).map_or("", level_name);
        let day = from.to_string();
        let mut record: Vec<&str> = vec!["stock", level, code, &day, "", "", "", "", "", ""];
        record.extend(values.iter().map(String::as_str));
        record.push(map_name(map));
        writer.write_record(&record).map_err(io)?;
        lines += 1;
    }

    type ReportLine = (
        String,
        String,
        String,
        NaiveDate,
        Option<i64>,
        Option<i64>,
        i64,
        i64,
        i64,
        i64,
    );
    const REPORTS: &str = "SELECT u.map, u.level, u.code, r.day, r.campaign_id, r.team_id, r.applications_collected, \
                           r.cards_issued, r.accounts_activated, r.home_visits FROM reports r \
                           JOIN units u ON u.id = r.unit_id ORDER BY r.id";
    let mut write_report = |row: ReportLine| -> Result<(), DbErr> {
        let (map, lvl, code, day, campaign, team, a, c, ac, h) = row;
        let opt = |v: Option<i64>| v.map(|v| v.to_string()).unwrap_or_default();
        let record = [
            "report".to_owned(),
            level(&lvl).map_or("", level_name).to_owned(),
            code,
            day.to_string(),
            opt(campaign),
            opt(team),
            a.to_string(),
            c.to_string(),
            ac.to_string(),
            h.to_string(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            map_name(&map).to_owned(),
        ];
        writer.write_record(&record).map_err(io)?;
        lines += 1;
        Ok(())
    };
    let err = |e: sqlx::Error| DbErr::Custom(format!("reading reports: {e}"));
    match db.get_database_backend() {
        DbBackend::Sqlite => {
            let mut rows =
                sqlx::query_as::<_, ReportLine>(REPORTS).fetch(db.get_sqlite_connection_pool());
            while let Some(row) = rows.try_next().await.map_err(err)? {
                write_report(row)?;
            }
        }
        DbBackend::Postgres => {
            let mut rows =
                sqlx::query_as::<_, ReportLine>(REPORTS).fetch(db.get_postgres_connection_pool());
            while let Some(row) = rows.try_next().await.map_err(err)? {
                write_report(row)?;
            }
        }
        other => return Err(DbErr::Custom(format!("unsupported database {other:?}"))),
    }
    writer
        .flush()
        .map_err(|e| DbErr::Custom(format!("writing the CSV: {e}")))?;
    Ok(lines)
}
