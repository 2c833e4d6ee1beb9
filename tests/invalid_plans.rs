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
        // Lints are warnings on a valid plan: expected all the same.
        let diagnostics = match validate(&source) {
            Ok(v) => v.report.diagnostics,
            Err(report) => report.diagnostics,
        };
        let mut actual: Vec<String> = diagnostics
            .iter()
            .map(|d| {
                codes.insert(d.code);
                let (line, col) = source.line_col(d.span.offset);
                format!("{} {line}:{col}", d.code)
            })
            .collect();
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

/// Codes no plan file can produce, each with the reason; every other documented code
/// must come from some plan under `plans/invalid/`.
const NOT_FROM_A_PLAN_FILE: &[(&str, &str)] = &[
    (
        "perfplan::input::not_utf8",
        "raised while decoding bytes, before a plan exists: tests/hostile_input.rs",
    ),
    (
        "perfplan::input::too_large",
        "a 50 MB plan file is not checked in: tests/hostile_input.rs builds one",
    ),
    (
        "perfplan::script::too_large",
        "a script over the 1 MB limit is not checked in: tests/hostile_input.rs writes one",
    ),
    (
        "perfplan::helm::unmapped",
        "raised by `compile --format helm-values`, not by validation: tests/cli.rs",
    ),
];

/// Every documented code is produced by at least one plan under `plans/invalid/`
/// (errors and warnings alike), and every code produced is documented: a code that is
/// documented but never emitted (as `load::too_few_max_users` once was) fails here.
#[test]
fn every_documented_code_is_produced_and_every_produced_code_documented() {
    let documented: std::collections::BTreeSet<&str> = perfplan::diag::codes::ALL
        .iter()
        .map(|(c, _)| c.as_str())
        .collect();
    let mut produced = std::collections::BTreeSet::new();
    for path in plans("plans/invalid") {
        let diagnostics = match validate(&load(&path)) {
            Ok(v) => v.report.diagnostics,
            Err(report) => report.diagnostics,
        };
        produced.extend(diagnostics.iter().map(|d| d.code.as_str()));
    }
    let exempt: std::collections::BTreeSet<&str> = NOT_FROM_A_PLAN_FILE.iter().map(|(c, _)| *c).collect();
    let never: Vec<_> = documented
        .difference(&produced)
        .filter(|c| !exempt.contains(*c))
        .collect();
    let undocumented: Vec<_> = produced.difference(&documented).collect();
    assert!(
        never.is_empty() && undocumented.is_empty(),
        "documented but produced by no plan in plans/invalid/: {never:?}\nproduced but not documented: {undocumented:?}"
    );
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
