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

/// `schema/catalog.json` is a SchemaStore catalog entry that agrees with the schema:
/// same name and description, the schema's own URL (`$id`, ending in the published
/// file name), and file patterns that match the plan `perfplan init` writes and are
/// the ones the README documents.
#[test]
fn catalog_entry_agrees_with_the_schema() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let catalog: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(root.join("schema/catalog.json")).unwrap()).unwrap();
    assert_eq!(
        catalog["$schema"],
        "https://json.schemastore.org/schema-catalog.json"
    );
    assert_eq!(catalog["version"], 1);
    let entries = catalog["schemas"].as_array().unwrap();
    assert_eq!(entries.len(), 1, "one entry: perfplan's");
    let entry = &entries[0];
    let schema = perfplan::schema::schema_value();
    assert_eq!(entry["name"], schema["title"]);
    assert_eq!(entry["description"], schema["description"]);
    let url = entry["url"].as_str().unwrap();
    assert_eq!(url, schema["$id"], "the catalog points at the schema's own $id");
    let published_name = Path::new(perfplan::schema::SCHEMA_PATH)
        .file_name()
        .unwrap()
        .to_str()
        .unwrap();
    assert!(
        url.ends_with(&format!("/{published_name}")),
        "{url} is not {published_name}"
    );
    assert_eq!(published_name, perfplan::starter::SCHEMA_FILE);

    let patterns: Vec<&str> = entry["fileMatch"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap())
        .collect();
    for name in [
        perfplan::starter::PLAN_FILE,
        "perfplan.yml",
        "checkout.perfplan.yaml",
    ] {
        assert!(
            patterns.iter().any(|p| glob(p, name)),
            "no fileMatch pattern matches {name}"
        );
    }
    for name in [
        perfplan::starter::SCHEMA_FILE,
        "values.yaml",
        "kustomization.yaml",
    ] {
        assert!(
            !patterns.iter().any(|p| glob(p, name)),
            "a fileMatch pattern matches {name}"
        );
    }
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    for pattern in &patterns {
        assert!(
            readme.contains(&format!("`{pattern}`")),
            "the README does not name `{pattern}`"
        );
    }
}

/// `*` matches any run of characters; everything else matches itself (the subset of
/// SchemaStore's globs the entry uses).
fn glob(pattern: &str, name: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == name,
        Some((head, tail)) => name
            .strip_prefix(head)
            .is_some_and(|rest| (0..=rest.len()).any(|i| rest.is_char_boundary(i) && glob(tail, &rest[i..]))),
    }
}
