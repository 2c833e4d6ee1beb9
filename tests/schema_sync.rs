//! The checked-in schema is exactly what the types generate, and it validates the
//! example plans the same way perfplan does.

mod support;

use std::path::Path;

#[test]
fn checked_in_schema_matches_the_types() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(perfplan::schema::SCHEMA_PATH);
    let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
    let generated = perfplan::schema::schema_json();
    let stale = if on_disk == generated {
        vec![]
    } else {
        vec![format!("{} is out of date", path.display())]
    };
    support::settle(stale, "cargo test --test schema_sync", || {
        std::fs::write(&path, &generated).unwrap()
    });
}

#[test]
fn example_plans_carry_the_schema_modeline() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("plans");
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "yaml") {
            let text = std::fs::read_to_string(&path).unwrap();
            assert!(
                text.starts_with("# yaml-language-server: $schema=../schema/perfplan.schema.json\n"),
                "{} lacks the modeline",
                path.display()
            );
        }
    }
}

#[test]
fn readme_lists_every_diagnostic_code() {
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let missing: Vec<&str> = perfplan::diag::codes::ALL
        .iter()
        .map(|(code, _)| code.as_str())
        .filter(|code| !readme.contains(&format!("`{code}`")))
        .collect();
    assert!(missing.is_empty(), "README lacks codes: {missing:?}");
}
