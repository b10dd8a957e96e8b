//! `tiendo import` and `tiendo export`, run as real processes against the
//! database of a running server: files are checked whole, written in one
//! transaction or not at all (even when the process is killed), and the
//! server follows what was imported.

mod common;

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::{TestApp, db_test, edge_nodes, tiendo};
use serde_json::{Value, json};

const HEADER: &str = "type,level,code,day,campaign_id,team_id,applications_collected,cards_issued,accounts_activated,home_visits,eligible_population,present_population,accounts_eligible,cards_issued_opening,accounts_activated_opening";

/// The commune codes of the 2023 map, in file order.
fn communes() -> Vec<String> {
    include_str!("../assets/units-2023.csv")
        .lines()
        .filter(|line| line.split(',').nth(2) == Some("commune"))
        .map(|line| line.split(',').next().unwrap_or_default().to_owned())
        .collect()
}

fn file_with(lines: &[String]) -> tempfile::NamedTempFile {
    let mut file = tempfile::Builder::new()
        .suffix(".csv")
        .tempfile()
        .expect("a temporary file");
    writeln!(file, "{HEADER}").expect("write");
    for line in lines {
        writeln!(file, "{line}").expect("write");
    }
    file.flush().expect("flush");
    file
}

fn report(code: &str, day: &str, values: [i64; 4]) -> String {
    format!(
        "report,COMMUNE,{code},{day},,,{},{},{},{},,,,,",
        values[0], values[1], values[2], values[3]
    )
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

async fn report_count(app: &TestApp) -> i64 {
    let data = app
        .data(
            r#"{ unit(level: MINISTRY, code: "0", map: VN2023) {
                 reports(period: { from: "2020-01-01", to: "2026-12-31" }, first: 1) { totalCount } } }"#,
            json!({}),
        )
        .await;
    data["unit"]["reports"]["totalCount"]
        .as_i64()
        .expect("a count")
}

async fn cards(app: &TestApp, level: &str, code: &str, from: &str, to: &str) -> Value {
    let data = app
        .data(
            r#"query($level: UnitLevel!, $code: String!, $from: Date!, $to: Date!) {
                 unit(level: $level, code: $code, map: VN2023) { rollup(period: { from: $from, to: $to }) {
                   cardsIssued cardsIssuedTotal eligiblePopulation } } }"#,
            json!({ "level": level, "code": code, "from": from, "to": to }),
        )
        .await;
    data["unit"]["rollup"].clone()
}

/// Waits until the server's rollup shows `expected` (the server learns of
/// an import from the change log, within about a second).
async fn eventually(app: &TestApp, level: &str, code: &str, expected: Value) {
    let mut seen = Value::Null;
    for _ in 0..150 {
        seen = cards(app, level, code, "2023-01-01", "2023-12-31").await;
        if seen == expected {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the server never showed {expected}; last saw {seen}");
}

db_test!(catalogue, async fn import_then_export_round_trips(app) {
    // Given a file of stock values and reports
    let lines = vec![
        "stock,COMMUNE,18586,2023-01-01,,,,,,,1000,950,900,100,20".to_owned(),
        report("18586", "2023-04-16", [10, 8, 5, 1]),
        report("18586", "2023-04-17", [3, 2, 1, 0]),
        report("20335", "2023-04-16", [7, 7, 7, 7]),
    ];
    let file = file_with(&lines);

    // When it is imported while the server runs
    let out = tiendo(&app, &["import", file.path().to_str().expect("path")]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let summary = text(&out.stdout);
    assert!(summary.contains("3 reports created, 0 corrected, 0 unchanged; 5 stock values"), "{summary}");
    assert!(summary.contains("rows/s"), "{summary}");

    // Then the server shows it
    eventually(&app, "COMMUNE", "18586", json!({ "cardsIssued": 10, "cardsIssuedTotal": 110, "eligiblePopulation": 1000 })).await;
    assert_eq!(report_count(&app).await, 3);

    // And an export gives the same lines back
    let exported = tiendo(&app, &["export"]);
    assert!(exported.status.success(), "{}", text(&exported.stderr));
    let exported = text(&exported.stdout);
    let mut got: Vec<&str> = exported.lines().collect();
    // (export names every line's map)
    assert_eq!(got.remove(0), format!("{HEADER},map"));
    let lines_with_map: Vec<String> = lines.iter().map(|l| format!("{l},VN2023")).collect();
    let mut expected: Vec<&str> = lines_with_map.iter().map(String::as_str).collect();
    got.sort_unstable();
    expected.sort_unstable();
    assert_eq!(got, expected);

    // When the same file is imported again, nothing changes
    let again = tiendo(&app, &["import", file.path().to_str().expect("path")]);
    assert!(text(&again.stdout).contains("0 reports created, 0 corrected, 3 unchanged"), "{}", text(&again.stdout));

    // When a file changes one value, that report is corrected, with history
    let changed = file_with(&[report("18586", "2023-04-16", [10, 9, 5, 1])]);
    let out = tiendo(&app, &["import", changed.path().to_str().expect("path")]);
    assert!(text(&out.stdout).contains("0 reports created, 1 corrected, 0 unchanged"), "{}", text(&out.stdout));
    eventually(&app, "COMMUNE", "18586", json!({ "cardsIssued": 11, "cardsIssuedTotal": 111, "eligiblePopulation": 1000 })).await;
    let history = app
        .data(
            r#"{ unit(level: COMMUNE, code: "18586", map: VN2023) { reportHistory(period: { from: "2023-04-16", to: "2023-04-16" }, first: 5) {
                 edges { node { actor version oldValues { cardsIssued } newValues { cardsIssued } } } } } }"#,
            json!({}),
        )
        .await;
    let changes = edge_nodes(&history["unit"]["reportHistory"]);
    assert_eq!(changes.len(), 1);
    assert_eq!(changes[0]["actor"], "import");
    assert_eq!(changes[0]["version"], 2);
    assert_eq!(changes[0]["oldValues"]["cardsIssued"], 8);
    assert_eq!(changes[0]["newValues"]["cardsIssued"], 9);
});

db_test!(catalogue, async fn malformed_files_name_their_line_and_write_nothing(app) {
    let communes = communes();
    // A long valid file whose last line has a bad number
    let mut long: Vec<String> = communes
        .iter()
        .take(5_000)
        .flat_map(|c| ["2023-03-01", "2023-03-02", "2023-03-03", "2023-03-04"].map(|d| report(c, d, [1, 1, 1, 1])))
        .collect();
    let last_line = long.len() + 2; // the header is line 1
    long.push("report,COMMUNE,18586,2023-05-01,,,1,x1,1,1,,,,,".to_owned());
    let cases: Vec<(&str, Vec<u8>, String)> = vec![
        ("a bad number on the last of 20,000 lines", lines_bytes(&long), format!("line {last_line}: cards_issued")),
        ("bad UTF-8 on line 3", {
            let mut bytes = lines_bytes(&[report("18586", "2023-04-16", [1, 1, 1, 1])]);
            bytes.extend_from_slice(b"report,COMMUNE,\xff\xfe,2023-04-16,,,1,1,1,1,,,,,\n");
            bytes
        }, "line 3: code: not valid UTF-8".to_owned()),
        ("wrong columns on line 2", b"type,level,code,day,campaign_id,team_id,applications_collected,cards_issued,accounts_activated,home_visits,eligible_population,present_population,accounts_eligible,cards_issued_opening,accounts_activated_opening\nreport,COMMUNE,18586,2023-04-16,1,2\n".to_vec(), "line 2: 6 columns, expected 15".to_owned()),
        ("a day without zero padding on line 2", lines_bytes(&[report("18586", "2023-4-5", [1, 1, 1, 1])]), "line 2: day: \"2023-4-5\" is not a YYYY-MM-DD date".to_owned()),
        ("a wrong header", b"unit,day,cards\n18586,2023-04-16,3\n".to_vec(), "line 1: the header must be".to_owned()),
        ("a 2023 commune after the reform on line 3", lines_with_map_bytes(&[
            format!("{},VN2023", report("18586", "2025-06-30", [1, 1, 1, 1])),
            format!("{},VN2023", report("18586", "2025-07-01", [1, 1, 1, 1])),
        ]), "line 3: unit: Commune 18586 of the VN2023 map is in force from 2020-01-01 until 2025-06-30, not on 2025-07-01".to_owned()),
        ("a map that does not exist on line 2", lines_with_map_bytes(&[
            format!("{},VN1999", report("18586", "2023-04-16", [1, 1, 1, 1])),
        ]), "line 2: map: \"VN1999\" is not a map".to_owned()),
        ("an unknown unit and a duplicate", lines_bytes(&[
            report("18586", "2023-04-16", [1, 1, 1, 1]),
            report("99999", "2023-04-16", [1, 1, 1, 1]),
            report("18586", "2023-04-16", [2, 2, 2, 2]),
        ]), "line 3: unit: no Commune unit has code \"99999\" in the VN2023 map (UNKNOWN_UNIT)".to_owned()),
    ];
    for (case, bytes, expected) in cases {
        // Given a malformed file
        let mut file = tempfile::Builder::new().suffix(".csv").tempfile().expect("file");
        file.write_all(&bytes).expect("write");
        // When it is imported
        let out = tiendo(&app, &["import", file.path().to_str().expect("path")]);
        // Then it fails, naming the line, and writes nothing
        let stderr = text(&out.stderr);
        assert!(!out.status.success(), "{case}: accepted");
        assert!(stderr.contains(&expected), "{case}: {stderr}");
        assert!(stderr.contains("nothing was written"), "{case}: {stderr}");
    }
    let missing = tiendo(&app, &["import", "/nonexistent/file.csv"]);
    assert!(!missing.status.success());
    assert!(text(&missing.stderr).contains("cannot read /nonexistent/file.csv"));
    assert_eq!(report_count(&app).await, 0);
});

/// A file whose header ends with the optional `map` column.
fn lines_with_map_bytes(lines: &[String]) -> Vec<u8> {
    bytes_under(&format!("{HEADER},map"), lines)
}

db_test!(catalogue, async fn a_map_column_names_each_line_s_map(app) {
    // Given a file with the map column: a line of 2023 naming its map, a
    // line after the reform without one (the map in force on its day: the
    // 2025 map, where 18586 is Đông Kinh) and one naming VN2025
    let lines = [
        format!("{},VN2023", report("18586", "2023-04-16", [10, 8, 5, 1])),
        format!("{},", report("18586", "2025-08-01", [4, 3, 2, 1])),
        format!("{},VN2025", report("20335", "2025-08-01", [6, 5, 4, 3])),
    ];
    let mut file = tempfile::Builder::new().suffix(".csv").tempfile().expect("file");
    file.write_all(&lines_with_map_bytes(&lines)).expect("write");

    // When it is imported
    let out = tiendo(&app, &["import", file.path().to_str().expect("path")]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("3 reports created"), "{}", text(&out.stdout));

    // Then the lines after the reform are the 2025 communes' own reports
    let mut seen = Value::Null;
    for _ in 0..150 {
        let data = app
            .data(
                r#"{ a: unit(level: COMMUNE, code: "18586", map: VN2025) {
                       rollup(period: { from: "2025-08-01", to: "2025-08-01" }) { cardsIssued quality } }
                     b: unit(level: COMMUNE, code: "20335", map: VN2025) {
                       rollup(period: { from: "2025-08-01", to: "2025-08-01" }) { cardsIssued } } }"#,
                json!({}),
            )
            .await;
        seen = json!([data["a"]["rollup"]["cardsIssued"], data["b"]["rollup"]["cardsIssued"]]);
        if seen == json!([3, 5]) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(seen, json!([3, 5]));

    // And an export names each line's map
    let exported = tiendo(&app, &["export"]);
    let exported = text(&exported.stdout);
    let mut got: Vec<&str> = exported.lines().skip(1).collect();
    got.sort_unstable();
    let mut expected = vec![
        format!("{},VN2023", report("18586", "2023-04-16", [10, 8, 5, 1])),
        format!("{},VN2025", report("18586", "2025-08-01", [4, 3, 2, 1])),
        format!("{},VN2025", report("20335", "2025-08-01", [6, 5, 4, 3])),
    ];
    expected.sort_unstable();
    assert_eq!(got, expected);
});

fn lines_bytes(lines: &[String]) -> Vec<u8> {
    bytes_under(HEADER, lines)
}

/// A file of `lines` under the header line `header`.
fn bytes_under(header: &str, lines: &[String]) -> Vec<u8> {
    let mut out = format!("{header}\n").into_bytes();
    for line in lines {
        out.extend_from_slice(line.as_bytes());
        out.push(b'\n');
    }
    out
}

db_test!(catalogue, async fn dry_run_checks_everything_and_writes_nothing(app) {
    // Given a valid file
    let file = file_with(&[report("18586", "2023-04-16", [1, 2, 3, 4]), report("20335", "2023-04-16", [1, 2, 3, 4])]);
    // When it is imported with --dry-run
    let out = tiendo(&app, &["import", "--dry-run", file.path().to_str().expect("path")]);
    // Then it reports what it checked, and nothing is written
    assert!(out.status.success(), "{}", text(&out.stderr));
    let summary = text(&out.stdout);
    assert!(summary.contains("checked 2 lines (2 reports, 0 stock lines)"), "{summary}");
    assert!(summary.contains("nothing written"), "{summary}");
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    assert_eq!(report_count(&app).await, 0);
});

db_test!(catalogue, async fn a_killed_import_leaves_the_database_as_it_was(app) {
    // Given a large valid file (every commune, 28 days)
    let days: Vec<String> = (1..=28).map(|d| format!("2023-02-{d:02}")).collect();
    let mut lines = Vec::new();
    for c in communes() {
        for (i, d) in days.iter().enumerate() {
            lines.push(report(&c, d, [i as i64, 1, 1, 1]));
        }
    }
    let file = file_with(&lines);

    // When the import is killed (SIGKILL) while it writes
    let mut child = Command::new(env!("CARGO_BIN_EXE_tiendo"))
        .args(["--database-url", &app.database_url, "import", file.path().to_str().expect("path")])
        .env_remove("DATABASE_URL")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start tiendo import");
    let stderr = child.stderr.take().expect("stderr");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        use std::io::BufRead;
        for line in std::io::BufReader::new(stderr).lines().map_while(Result::ok) {
            if line.contains("writing") {
                let _ = tx.send(());
            }
        }
    });
    rx.recv_timeout(Duration::from_secs(120)).expect("the import starts writing");
    tokio::time::sleep(Duration::from_millis(400)).await;
    let still_running = child.try_wait().expect("wait").is_none();
    child.kill().expect("SIGKILL");
    let _ = child.wait();
    assert!(still_running, "the import finished before it could be killed; use a larger file");

    // Then nothing of it is in the database, and the server is unchanged
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    assert_eq!(report_count(&app).await, 0);
    assert_eq!(cards(&app, "MINISTRY", "0", "2023-01-01", "2023-12-31").await["cardsIssued"], 0);

    // And the database takes the next import whole
    let small = file_with(&[report("18586", "2023-04-16", [1, 2, 3, 4])]);
    let out = tiendo(&app, &["import", small.path().to_str().expect("path")]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    eventually(&app, "COMMUNE", "18586", json!({ "cardsIssued": 2, "cardsIssuedTotal": 2, "eligiblePopulation": 0 })).await;
});
