//! The binary fails cleanly: when the database cannot be opened, `serve`
//! exits non-zero, soon, with one line on stderr and no panic.

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How long a failing start may take.
const DEADLINE: Duration = Duration::from_secs(30);

/// What a finished run left behind.
struct Outcome {
    success: bool,
    stderr: String,
    took: Duration,
}

/// Runs `tiendo --database-url URL serve --no-demo --listen 127.0.0.1:0`,
/// killing it if it outlives [`DEADLINE`].
fn serve_with(database_url: &str) -> Outcome {
    let started = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_tiendo"))
        .args(["--database-url", database_url])
        .args(["serve", "--no-demo", "--listen", "127.0.0.1:0"])
        .env_remove("DATABASE_URL")
        .env_remove("TIENDO_LISTEN")
        .env_remove("TIENDO_NO_DEMO")
        .env("RUST_LOG", "info")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start tiendo");
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for tiendo") {
            break status;
        }
        if started.elapsed() > DEADLINE {
            let _ = child.kill();
            let _ = child.wait();
            panic!("tiendo serve with {database_url} still runs after {DEADLINE:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .expect("piped stderr")
        .read_to_string(&mut stderr)
        .expect("read stderr");
    Outcome {
        success: status.success(),
        stderr,
        took: started.elapsed(),
    }
}

/// Asserts a failed start: non-zero exit and exactly one `tiendo:` line.
fn assert_fails_cleanly(outcome: &Outcome, database_url: &str) {
    assert!(
        !outcome.success,
        "tiendo serve with {database_url} exited successfully"
    );
    assert!(
        !outcome.stderr.contains("panicked"),
        "tiendo panicked: {}",
        outcome.stderr
    );
    let lines: Vec<&str> = outcome.stderr.lines().collect();
    assert_eq!(
        lines.len(),
        1,
        "expected one line on stderr, got: {:?}",
        outcome.stderr
    );
    let line = lines[0];
    assert!(
        line.starts_with("tiendo:") && line.len() > "tiendo:".len() + 1,
        "unexpected stderr line: {line:?}"
    );
    assert!(outcome.took < DEADLINE, "took {:?}", outcome.took);
}

#[test]
fn unreachable_postgres_fails_with_one_line() {
    // Given a PostgreSQL URL where nothing listens
    let url = "postgres://nobody@127.0.0.1:1/none";

    // When the server is started on it
    let outcome = serve_with(url);

    // Then it exits non-zero in time, saying why in one line
    assert_fails_cleanly(&outcome, url);
    assert!(outcome.stderr.contains("database"), "{}", outcome.stderr);
}

#[test]
fn uncreatable_sqlite_folder_fails_with_one_line() {
    // Given an SQLite file in a folder that cannot be created
    let url = "sqlite:///proc/nope/x.sqlite?mode=rwc";

    // When the server is started on it
    let outcome = serve_with(url);

    // Then it exits non-zero in time, naming the folder, in one line
    assert_fails_cleanly(&outcome, url);
    assert!(outcome.stderr.contains("/proc/nope"), "{}", outcome.stderr);
}
