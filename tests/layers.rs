//! The one-way arrows of docs/ARCHITECTURE.md, checked on the source: the
//! vocabulary (`src/model/`) imports nothing of the crate and no crate but
//! `entity`, chrono and std; the data layer (`src/store/`) imports only the
//! vocabulary and the text helpers, never the engine, the write path, the
//! demo or anything above them; and every layer imports only what the
//! "May import" paragraph of its `mod.rs` names, so the docs and the code
//! cannot drift apart.

use std::path::{Path, PathBuf};

/// Every `.rs` file under `dir`.
fn sources(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).expect("source folder") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    out.sort();
    assert!(!out.is_empty(), "no sources under {}", dir.display());
    out
}

/// The code of a file without its comments (a doc link to a module above
/// is not an import).
fn code_lines(path: &Path) -> Vec<(usize, String)> {
    let text = std::fs::read_to_string(path).expect("source");
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim_start().starts_with("//"))
        .map(|(i, line)| (i + 1, line.split(" // ").next().unwrap_or("").to_owned()))
        .collect()
}

/// The modules of the crate a line names (`crate::engine::…` → `engine`).
fn crate_modules(line: &str) -> Vec<&str> {
    line.match_indices("crate::")
        .filter(|(at, _)| {
            // `crate::` itself, not the tail of another path (`mycrate::`).
            !line[..*at]
                .chars()
                .next_back()
                .is_some_and(|c| c.is_alphanumeric() || c == '_')
        })
        .map(|(at, _)| {
            let rest = &line[at + "crate::".len()..];
            let end = rest
                .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                .unwrap_or(rest.len());
            &rest[..end]
        })
        .collect()
}

fn src(folder: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("src")
        .join(folder)
}

/// What a folder may not name, as (file:line, offending text).
fn violations(folder: &str, allowed: &[&str], extern_allowed: Option<&[&str]>) -> Vec<String> {
    let mut found = Vec::new();
    for path in sources(&src(folder)) {
        for (number, line) in code_lines(&path) {
            let at = format!("{}:{number}", path.display());
            for module in crate_modules(&line) {
                if !allowed.contains(&module) {
                    found.push(format!("{at}: crate::{module} in `{}`", line.trim()));
                }
            }
            if line.contains("super::super::") {
                found.push(format!("{at}: reaches above its folder: `{}`", line.trim()));
            }
            if let Some(externs) = extern_allowed {
                let trimmed = line.trim_start();
                let used = trimmed
                    .strip_prefix("pub use ")
                    .or_else(|| trimmed.strip_prefix("use "));
                if let Some(path) = used {
                    let first = path
                        .split(|c: char| !(c.is_alphanumeric() || c == '_'))
                        .next()
                        .unwrap_or("");
                    if !externs.contains(&first) {
                        found.push(format!("{at}: uses the crate {first}"));
                    }
                }
            }
        }
    }
    found
}

#[test]
fn the_vocabulary_imports_nothing_of_the_crate() {
    let found = violations(
        "model",
        &[],
        Some(&["std", "core", "chrono", "entity", "super", "self"]),
    );
    assert!(
        found.is_empty(),
        "src/model/ must stay a leaf:\n{}",
        found.join("\n")
    );
}

#[test]
fn the_data_layer_imports_nothing_above_it() {
    let found = violations("store", &["model", "text", "store"], None);
    assert!(
        found.is_empty(),
        "src/store/ may import only model and text:\n{}",
        found.join("\n")
    );
}

#[test]
fn the_checks_see_what_they_look_for() {
    assert_eq!(
        crate_modules("use crate::engine::Snapshot; x(crate::model::day::day(d))"),
        ["engine", "model"]
    );
    assert!(crate_modules("use mycrate::engine;").is_empty());
    // The checks read real files: the engine does import the vocabulary.
    let engine = violations("engine", &[], None);
    assert!(
        engine.iter().any(|v| v.contains("crate::model")),
        "{engine:?}"
    );
}

/// What each layer may import, as its `mod.rs` says ("May import: …").
/// The HTTP layer is the top: it may import everything.
const LAYERS: &[(&str, &[&str])] = &[
    ("model", &[]),
    ("store", &["model", "text"]),
    ("engine", &["model", "store"]),
    ("access", &["model", "store", "engine", "error"]),
    ("ingest", &["model", "store", "engine", "access", "error"]),
    ("demo", &["model", "store", "text"]),
    (
        "graphql",
        &[
            "access", "ingest", "engine", "store", "model", "text", "error", "config",
        ],
    ),
];

/// The crate modules the "May import" paragraph of a layer's `mod.rs`
/// names, up to a "never".
fn documented_imports(layer: &str) -> Vec<String> {
    let text = std::fs::read_to_string(src(layer).join("mod.rs")).expect("mod.rs");
    let paragraph: Vec<&str> = text
        .lines()
        .map(|line| line.trim_start_matches("//!").trim())
        .skip_while(|line| !line.starts_with("May import"))
        .take_while(|line| !line.is_empty())
        .collect();
    assert!(
        !paragraph.is_empty(),
        "src/{layer}/mod.rs has no \"May import\" paragraph"
    );
    let paragraph = paragraph.join(" ");
    let allowed = paragraph.split("never").next().unwrap_or("");
    let mut named: Vec<String> = crate_modules(allowed)
        .into_iter()
        .map(str::to_owned)
        .collect();
    named.sort();
    named.dedup();
    named
}

#[test]
fn every_layer_imports_only_what_its_docs_allow() {
    let mut found = Vec::new();
    for (layer, allowed) in LAYERS {
        let mut allowed_here: Vec<&str> = allowed.to_vec();
        allowed_here.push(layer);
        found.extend(violations(layer, &allowed_here, None));
        let mut table: Vec<String> = allowed.iter().map(|m| (*m).to_owned()).collect();
        table.sort();
        let documented = documented_imports(layer);
        if documented != table {
            found.push(format!(
                "src/{layer}/mod.rs allows {documented:?}, the code is checked against {table:?}"
            ));
        }
    }
    assert!(found.is_empty(), "{}", found.join("\n"));
}
