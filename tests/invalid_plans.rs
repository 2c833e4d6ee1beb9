//! Every plan in plans/invalid/ produces exactly the diagnostics its `# expect:`
//! headers name (code and line:column), and every example plan is clean.

use perfplan::{Source, validate};
use std::path::{Path, PathBuf};

fn plans(dir: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join(dir))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    files
}

fn load(path: &Path) -> Source {
    let bytes = std::fs::read(path).unwrap();
    perfplan::parse::decode(&path.display().to_string(), &bytes, path.parent().unwrap()).unwrap()
}

#[test]
fn every_invalid_plan_reports_its_expected_diagnostics() {
    let files = plans("plans/invalid");
    assert!(files.len() >= 25, "only {} invalid plans", files.len());
    let mut failures = Vec::new();
    let mut codes = std::collections::BTreeSet::new();
    for path in &files {
        let source = load(path);
        let mut expected: Vec<String> = source
            .text
            .lines()
            .filter_map(|l| l.strip_prefix("# expect: "))
            .map(str::to_owned)
            .collect();
        expected.sort();
        assert!(
            !expected.is_empty(),
            "{} has no `# expect:` header",
            path.display()
        );
        let mut actual: Vec<String> = match validate(&source) {
            Ok(_) => vec![],
            Err(report) => report
                .diagnostics
                .iter()
                .map(|d| {
                    codes.insert(d.code);
                    let (line, col) = source.line_col(d.span.offset);
                    format!("{} {line}:{col}", d.code)
                })
                .collect(),
        };
        actual.sort();
        if actual != expected {
            failures.push(format!(
                "{}:\n  expected {expected:?}\n  actual   {actual:?}",
                path.display()
            ));
        }
    }
    // Report every mismatch before failing.
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(codes.len() >= 25, "only {} distinct codes exercised", codes.len());
}

#[test]
fn every_example_plan_is_valid_without_warnings() {
    for path in plans("plans") {
        match validate(&load(&path)) {
            Ok(v) => assert!(
                v.report.diagnostics.is_empty(),
                "{}: {}",
                path.display(),
                v.report
            ),
            Err(report) => panic!("{} is invalid:\n{report}", path.display()),
        }
    }
}
