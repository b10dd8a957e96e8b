//! The committed `schema.graphql` is the schema the code builds, and the
//! binary's `export-schema` prints it.

use std::path::PathBuf;
use std::process::Command;

/// Where the committed SDL lives.
fn schema_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("schema.graphql")
}

/// The first line where two texts differ, for a readable failure.
fn first_difference(expected: &str, actual: &str) -> String {
    let mut expected_lines = expected.lines();
    let mut actual_lines = actual.lines();
    for number in 1.. {
        match (expected_lines.next(), actual_lines.next()) {
            (None, None) => break,
            (e, a) if e == a => continue,
            (e, a) => {
                return format!(
                    "line {number}: committed {:?}, built {:?}",
                    e.unwrap_or("<end>"),
                    a.unwrap_or("<end>")
                );
            }
        }
    }
    "only line endings or a trailing newline differ".to_owned()
}

#[test]
fn committed_schema_matches_the_code() {
    // Given the schema the code builds, and the committed schema.graphql
    let built = tiendo::graphql::sdl();
    let path = schema_path();
    let committed = std::fs::read_to_string(&path).unwrap_or_default();

    // When they differ
    if committed == built {
        return;
    }

    // Then the file is regenerated on request, and the test fails otherwise
    if std::env::var("UPDATE_SCHEMA").is_ok_and(|v| v == "1") {
        std::fs::write(&path, &built)
            .unwrap_or_else(|err| panic!("write {}: {err}", path.display()));
        eprintln!("updated {}", path.display());
        return;
    }
    panic!(
        "schema.graphql is out of date ({}).\n\
         Review the change, then run `UPDATE_SCHEMA=1 cargo test --test schema` and commit the file.",
        first_difference(&committed, &built)
    );
}

#[test]
fn export_schema_prints_the_schema() {
    // Given the built binary
    // When it runs `export-schema`
    let output = Command::new(env!("CARGO_BIN_EXE_tiendo"))
        .arg("export-schema")
        .env_remove("DATABASE_URL")
        .output()
        .expect("run tiendo export-schema");

    // Then it succeeds, printing exactly the SDL and nothing on stderr
    assert!(
        output.status.success(),
        "export-schema failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8(output.stdout).expect("UTF-8 SDL");
    assert!(stdout.contains("type Query"), "{stdout}");
    assert_eq!(stdout, tiendo::graphql::sdl());
    assert!(
        output.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn every_schema_item_is_described() {
    use async_graphql::parser::types::{TypeKind, TypeSystemDefinition};

    // Given the schema partner ministries read
    let sdl = tiendo::graphql::sdl();
    let document = async_graphql::parser::parse_schema(&sdl).expect("the SDL parses");
    let described = |d: &Option<async_graphql::Positioned<String>>| {
        d.as_ref().is_some_and(|d| d.node.trim().len() >= 3)
    };

    // When every type, field, argument, input field and enum value is read
    let mut missing = Vec::new();
    let mut items = 0;
    for definition in &document.definitions {
        let TypeSystemDefinition::Type(ty) = definition else {
            continue;
        };
        let ty = &ty.node;
        let name = ty.name.node.as_str();
        items += 1;
        if !described(&ty.description) {
            missing.push(name.to_owned());
        }
        match &ty.kind {
            TypeKind::Object(object) => {
                for field in &object.fields {
                    items += 1;
                    let field = &field.node;
                    if !described(&field.description) {
                        missing.push(format!("{name}.{}", field.name.node));
                    }
                    for argument in &field.arguments {
                        items += 1;
                        if !described(&argument.node.description) {
                            missing.push(format!(
                                "{name}.{}({}:)",
                                field.name.node, argument.node.name.node
                            ));
                        }
                    }
                }
            }
            TypeKind::Interface(interface) => {
                for field in &interface.fields {
                    items += 1;
                    if !described(&field.node.description) {
                        missing.push(format!("{name}.{}", field.node.name.node));
                    }
                }
            }
            TypeKind::InputObject(input) => {
                for field in &input.fields {
                    items += 1;
                    if !described(&field.node.description) {
                        missing.push(format!("{name}.{}", field.node.name.node));
                    }
                }
            }
            TypeKind::Enum(e) => {
                for value in &e.values {
                    items += 1;
                    if !described(&value.node.description) {
                        missing.push(format!("{name}.{}", value.node.value.node));
                    }
                }
            }
            TypeKind::Scalar | TypeKind::Union(_) => {}
        }
    }

    // Then each has a description, and none was skipped by the walk
    assert!(items > 400, "the walk read only {items} items");
    assert!(
        missing.is_empty(),
        "{} schema items have no description: {}",
        missing.len(),
        missing.join(", ")
    );
    // async-graphql's own wording for DateTime names its Rust type; ours
    // says what the value is.
    assert!(
        !sdl.contains("DateTime<Utc>"),
        "DateTime keeps the library's description"
    );
}

#[test]
fn descriptions_name_configured_bounds_instead_of_stating_them() {
    use async_graphql::parser::types::{TypeKind, TypeSystemDefinition};

    // Given the schema and the fields that report this server's limits
    let sdl = tiendo::graphql::sdl();
    let document = async_graphql::parser::parse_schema(&sdl).expect("the SDL parses");
    let mut limit_fields = Vec::new();
    for definition in &document.definitions {
        if let TypeSystemDefinition::Type(ty) = definition {
            if let TypeKind::Object(object) = &ty.node.kind {
                if ty.node.name.node == "RequestLimits" {
                    limit_fields.extend(object.fields.iter().map(|f| f.node.name.node.to_string()));
                }
            }
        }
    }
    assert!(
        limit_fields.contains(&"maxPageSize".to_owned()),
        "{limit_fields:?}"
    );

    // When the descriptions are read
    let defaults = tiendo::config::Limits::default();
    let page = defaults.max_page_size;
    let stated = [
        format!("0 to {page}"),
        format!("at most {page} IDs"),
        format!("at most {page}."),
        format!("{} nodes", defaults.max_nodes),
        format!("at most {}", thousands(defaults.max_batch_rows as u64)),
        format!("{} nodes", thousands(defaults.max_nodes)),
    ];

    // Then none states a configurable default as if it were fixed
    for phrase in &stated {
        assert!(
            !sdl.contains(phrase.as_str()),
            "a description states `{phrase}`"
        );
    }
    // And every `viewer.limits.x` they name is a real field
    for (i, _) in sdl.match_indices("viewer.limits.") {
        let name: String = sdl[i + "viewer.limits.".len()..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect();
        assert!(
            limit_fields.contains(&name),
            "a description names viewer.limits.{name}"
        );
    }
    assert!(sdl.matches("viewer.limits.maxPageSize").count() > 10);
}

/// 10000 as 10,000.
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}
