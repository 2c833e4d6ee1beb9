//! The pipeline reads top to bottom: parse → validate → model → lower → posture →
//! emit → diff. A stage may use the ones before it, never one after it, so each can
//! be read (and changed) knowing only what comes first. This test reads the sources:
//! a `crate::<later stage>` path outside comments and test modules fails it.

use std::path::Path;

/// Each stage's files and the modules that come after it in the pipeline.
const RULES: &[(&str, &[&str])] = &[
    ("src/quantity.rs", LATER_THAN_MODEL),
    ("src/names.rs", LATER_THAN_MODEL),
    ("src/split.rs", LATER_THAN_MODEL),
    ("src/model.rs", LATER_THAN_MODEL),
    ("src/spec", LATER_THAN_MODEL),
    (
        "src/lower",
        &[
            "tools", "posture", "emit", "diff", "cli", "cluster", "lint", "validate", "report",
        ],
    ),
    (
        "src/tools",
        &[
            "posture", "emit", "diff", "cli", "cluster", "lint", "validate", "report",
        ],
    ),
    ("src/posture.rs", &["emit", "diff", "cli", "cluster", "report"]),
];

const LATER_THAN_MODEL: &[&str] = &[
    "lower", "tools", "posture", "emit", "diff", "cli", "cluster", "lint", "validate", "report",
];

fn rust_files(path: &Path) -> Vec<std::path::PathBuf> {
    if path.is_file() {
        return vec![path.to_path_buf()];
    }
    let mut files: Vec<_> = std::fs::read_dir(path)
        .unwrap()
        .flat_map(|e| rust_files(&e.unwrap().path()))
        .filter(|p| p.extension().is_some_and(|e| e == "rs"))
        .collect();
    files.sort();
    files
}

/// The lines of a file before its `#[cfg(test)]` module, without comments.
fn code_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines()
        .enumerate()
        .take_while(|(_, l)| l.trim() != "#[cfg(test)]")
        .map(|(i, l)| (i + 1, l.split("//").next().unwrap_or("")))
}

#[test]
fn no_stage_uses_a_later_one() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut found = Vec::new();
    for (place, later) in RULES {
        let files = rust_files(&root.join(place));
        assert!(!files.is_empty(), "{place} has no Rust files");
        for file in files {
            let text = std::fs::read_to_string(&file).unwrap();
            for (n, line) in code_lines(&text) {
                for module in *later {
                    if line.contains(&format!("crate::{module}::"))
                        || line.contains(&format!("crate::{module};"))
                    {
                        found.push(format!(
                            "{}:{n}: uses crate::{module}",
                            file.strip_prefix(root).unwrap().display()
                        ));
                    }
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "a stage uses a later one:\n  {}",
        found.join("\n  ")
    );
}

#[test]
fn the_check_sees_a_violation() {
    let text =
        "use crate::tools::k6;\n// crate::emit:: in a comment\n#[cfg(test)]\nuse crate::validate::x;\n";
    let lines: Vec<_> = code_lines(text).filter(|(_, l)| l.contains("crate::")).collect();
    assert_eq!(lines, vec![(1, "use crate::tools::k6;")]);
}
