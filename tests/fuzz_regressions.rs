//! Fuzzing in the normal suite (issue #15 item 8). Every file of each
//! committed corpus (`fuzz/corpus/<target>/`) goes through the same checks
//! as its fuzz target (`fuzz/checks.rs`), so the corpora keep being
//! checked without libFuzzer; and every crash the fuzzers found has a test
//! of its own here. How to run the fuzzers: `fuzz/README.md`.

#[path = "../fuzz/checks.rs"]
mod checks;
mod common;

use std::path::PathBuf;

use async_graphql::parser::Error as ParseError;
use checks::Walked;
use common::{db_test, single_error};
use serde_json::json;
use tiendo::access::guard::{MAX_BRACKET_NESTING, parse_document};

/// The files of a target's corpus, in name order.
fn corpus(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|err| panic!("{}: {err}", dir.display()))
        .map(|entry| entry.expect("a corpus entry").path())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "{} is empty", dir.display());
    files
        .into_iter()
        .map(|path| {
            let data = std::fs::read(&path).expect("a corpus file");
            (path, data)
        })
        .collect()
}

/// Runs `check` over every file of `target`'s corpus, naming the file
/// that fails; gives back what each returned.
fn replay<T>(target: &str, check: impl Fn(&[u8]) -> T) -> Vec<T> {
    corpus(target)
        .into_iter()
        .map(|(path, data)| {
            eprintln!("replaying {}", path.display());
            check(&data)
        })
        .collect()
}

#[test]
fn the_csv_reader_corpus_replays() {
    let results = replay("csv_reader", checks::csv_reader);
    // The corpus holds files the reader accepts and files it refuses.
    assert!(
        results
            .iter()
            .any(|r| r.as_ref().is_ok_and(|c| c.lines > 0))
    );
    assert!(results.iter().any(Result::is_err));
}

#[test]
fn the_day_corpus_replays() {
    let days = replay("day", checks::day);
    assert!(days.iter().any(Option::is_some));
    assert!(days.iter().any(Option::is_none));
}

#[test]
fn the_ids_corpus_replays() {
    let read = replay("ids", checks::ids);
    assert!(read.iter().any(|(id, _)| id.is_some()));
    assert!(read.iter().any(|(_, cursor)| cursor.is_some()));
    assert!(
        read.iter()
            .any(|(id, cursor)| id.is_none() && cursor.is_none())
    );
}

#[test]
fn the_cost_walk_corpus_replays() {
    let walked = replay("cost_walk", checks::cost_walk);
    assert!(walked.iter().any(|w| matches!(w, Walked::Points(_))));
    assert!(walked.contains(&Walked::Refused("QUERY_TOO_COMPLEX")));
    assert!(walked.contains(&Walked::Refused("BAD_USER_INPUT")));
    assert!(walked.contains(&Walked::Unparsed));
}

#[test]
fn the_change_log_corpus_replays() {
    let changes = replay("change_log", checks::change_log);
    assert!(
        changes
            .iter()
            .any(|c| c.as_ref().is_some_and(|c| !c.flows.is_empty()))
    );
    assert!(changes.iter().any(Option::is_none));
}

// ---------------------------------------------------------------------------
// Findings

/// `{ nodes(ids: [[[…]]]) { id } }` with `depth` levels of lists.
fn nested_lists(depth: usize) -> String {
    format!(
        "{{ nodes(ids: {}{}) {{ id }} }}",
        "[".repeat(depth),
        "]".repeat(depth)
    )
}

/// Found fuzzing the cost walk: async-graphql's parser recursed once per
/// level of a nested argument value, without limit, and 2,000 to 7,000
/// levels of `[` (a few KB) overflowed a worker thread's 2 MiB stack,
/// which aborts the whole server. Such a document is now refused before
/// it is parsed.
#[test]
fn a_value_nested_thousands_deep_is_refused_before_the_parser() {
    for depth in [MAX_BRACKET_NESTING, 3_000, 1_000_000] {
        // (this test's thread has the 2 MiB stack of a tokio worker)
        assert!(
            matches!(
                parse_document(&nested_lists(depth)),
                Err(ParseError::RecursionLimitExceeded)
            ),
            "{depth} levels"
        );
    }
    assert_eq!(
        checks::cost_walk(nested_lists(3_000).as_bytes()),
        Walked::Unparsed
    );
    let objects = format!(
        "{{ units(first: 1, search: {}1{}) {{ nodes {{ code }} }} }}",
        "{a: ".repeat(3_000),
        "}".repeat(3_000)
    );
    assert!(matches!(
        parse_document(&objects),
        Err(ParseError::RecursionLimitExceeded)
    ));
}

#[test]
fn the_nesting_limit_leaves_real_documents_alone() {
    // A value nested well past any real document still parses and is walked
    assert!(parse_document(&nested_lists(MAX_BRACKET_NESTING - 8)).is_ok());
    assert!(matches!(
        checks::cost_walk(nested_lists(100).as_bytes()),
        Walked::Points(_)
    ));
    // Brackets in strings, block strings and comments do not count
    let brackets = "[{(".repeat(MAX_BRACKET_NESTING);
    for document in [
        format!("{{ units(first: 1, search: \"{brackets}\") {{ nodes {{ code }} }} }}"),
        format!(
            "{{ units(first: 1, search: \"\"\"{brackets}\\\"\"\"\"\"\") {{ nodes {{ code }} }} }}"
        ),
        format!("# {brackets}\n{{ units(first: 1) {{ nodes {{ code }} }} }}"),
    ] {
        assert!(parse_document(&document).is_ok(), "{document}");
        assert!(matches!(
            checks::cost_walk(document.as_bytes()),
            Walked::Points(_)
        ));
    }
    // and closing brackets in strings do not hide the nesting around them
    // (`[ "]]]]" [ "]]]]" [ … ] ] ]`)
    let hidden = format!(
        "{{ nodes(ids: {}{}) {{ id }} }}",
        "[ \"]]]]\" ".repeat(MAX_BRACKET_NESTING),
        "]".repeat(MAX_BRACKET_NESTING)
    );
    assert!(matches!(
        parse_document(&hidden),
        Err(ParseError::RecursionLimitExceeded)
    ));
}

db_test!(nothing, async fn a_deeply_nested_document_is_parse_failed_and_the_server_lives(app) {
    // Given documents of 3,000 nested lists (6 KB: deep enough to overflow
    // a worker's stack in the parser, which used to abort the server) and
    // of 100,000
    for depth in [3_000, 100_000] {
        // When one is sent
        let body = app.post(&nested_lists(depth), json!({})).await;

        // Then it fails as GRAPHQL_PARSE_FAILED, with no data
        single_error(&body, "GRAPHQL_PARSE_FAILED");
        assert!(body["data"].is_null(), "{body}");
    }
    // And the server still answers
    let body = app.post("{ __typename }", json!({})).await;
    assert_eq!(body["data"]["__typename"], "Query", "{body}");
});
