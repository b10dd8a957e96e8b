//! GraphQL over HTTP to the letter: graphql-http's server audits
//! (`tests/http-audit/audit.mjs`) against the real server, every one passing.
//!
//! Needs Node and the audit's packages: `npm ci --prefix tests/http-audit`
//! (`.ci/run` installs them).

mod common;

use std::path::Path;
use std::process::Stdio;

use common::db_test;

db_test!(units, async fn graphql_http_server_audits_pass(app) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/http-audit");
    assert!(
        dir.join("node_modules/graphql-http").is_dir(),
        "the audit's packages are not installed: run `npm ci --prefix tests/http-audit` \
         (Node 18 or later)"
    );
    // Given a running server
    // When graphql-http audits it
    let url = app.url("/graphql");
    let script = dir.join("audit.mjs");
    // The server runs on this runtime: wait for Node on a blocking thread.
    let output = tokio::task::spawn_blocking(move || {
        std::process::Command::new("node")
            .arg(script)
            .arg(url)
            .current_dir(&dir)
            .stdin(Stdio::null())
            .output()
    })
    .await
    .expect("the audit's thread")
    .unwrap_or_else(|err| {
        panic!("could not run `node` ({err}): the audit needs Node 18 or later on PATH")
    });
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);

    // Then every audit passes: no error, no warning, no notice
    assert!(
        output.status.success(),
        "graphql-http's audits failed ({}):\n{stdout}\n{stderr}",
        output.status
    );
    let last = stdout.lines().last().unwrap_or("");
    assert!(last.ends_with(" passed, 0 failed"), "{stdout}");
    assert!(stdout.lines().any(|line| line == "warnings: 0"), "{stdout}");
});
