//! `perfplan report` end to end, on real result files (`tests/fixtures/report/`):
//! exit codes, the table, JSON and JUnit outputs, missing and damaged results.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn fixtures() -> PathBuf {
    root().join("tests/fixtures/report")
}

fn perfplan(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_perfplan"))
        .args(args)
        .current_dir(root())
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

const K6: &str = "tests/fixtures/report/k6";

/// The human tables and a JSON document, compared with `tests/fixtures/report/expected/`.
#[test]
fn outputs_match_their_expectations() {
    let cases: [(&str, &[&str]); 5] = [
        ("k6.txt", &["report", K6]),
        ("jmeter.txt", &["report", "tests/fixtures/report/jmeter"]),
        ("gatling.txt", &["report", "tests/fixtures/report/gatling"]),
        ("k6-cut.txt", &["report", "tests/fixtures/report/k6-cut"]),
        ("k6.json", &["report", K6, "--output", "json"]),
    ];
    let dir = fixtures().join("expected");
    let mut mismatches = Vec::new();
    let mut actual = Vec::new();
    for (name, args) in cases {
        let out = perfplan(args);
        assert_eq!(out.status.code(), Some(0), "{name}: {}", text(&out.stderr));
        let got = text(&out.stdout);
        if std::fs::read_to_string(dir.join(name)).ok().as_deref() != Some(got.as_str()) {
            mismatches.push(format!("tests/fixtures/report/expected/{name}"));
        }
        actual.push((name, got));
    }
    support::settle(mismatches, "cargo test --test report", || {
        std::fs::create_dir_all(&dir).unwrap();
        for (name, got) in actual {
            std::fs::write(dir.join(name), got).unwrap();
        }
    });
}

#[test]
fn json_has_the_documented_shape() {
    let out = perfplan(&["report", K6, "--output", "json"]);
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["format"], "perfplan.report/v1");
    assert_eq!(doc["verdict"], "pass");
    assert_eq!(doc["tool"], "k6");
    assert_eq!(doc["summary"]["requests"], 113);
    for key in [
        "failed",
        "error_rate",
        "throughput_per_second",
        "min",
        "mean",
        "p50",
        "p90",
        "p95",
        "p99",
        "max",
    ] {
        assert!(doc["summary"][key].is_number(), "summary.{key}");
    }
    let names = |key: &str| -> Vec<String> {
        doc[key]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| g["name"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(names("generators"), ["k6-runner-0", "k6-runner-1"]);
    assert_eq!(names("requests").len(), 5);
    assert_eq!(doc["thresholds"], serde_json::json!([]));
    assert_eq!(doc["completeness"]["complete"], true);
    assert_eq!(doc["completeness"]["expected"], serde_json::Value::Null);
    assert_eq!(doc["files"][0]["path"], "k6-runner-0/samples.csv.gz");
    assert!(doc["span_seconds"].is_number());
}

#[test]
fn a_missing_generator_is_named_and_exits_2_unless_allowed() {
    // plans/k6-basic.yaml runs 3 runners; the fixture has 2.
    let out = perfplan(&["report", K6, "--plan", "plans/k6-basic.yaml"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("INCOMPLETE RESULTS: no verdict without every generator"),
        "{stdout}"
    );
    assert!(
        stdout.contains("1 of 3 generators missing: results came from 2 (k6-runner-0, k6-runner-1)"),
        "{stdout}"
    );
    assert!(stdout.contains("verdict: ERROR (results missing)"), "{stdout}");

    let out = perfplan(&[
        "report",
        K6,
        "--plan",
        "plans/k6-basic.yaml",
        "--allow-incomplete",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("INCOMPLETE RESULTS (--allow-incomplete)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("verdict: PASS (no thresholds, results INCOMPLETE)"),
        "{stdout}"
    );

    let out = perfplan(&["report", K6, "--plan", "plans/k6-basic.yaml", "--output", "json"]);
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["verdict"], "error");
    assert_eq!(doc["completeness"]["expected"]["generators"], 3);
    assert_eq!(doc["completeness"]["found"], 2);
}

/// Every element and attribute of the JUnit document, read back with an XML parser.
fn junit_cases(path: &Path) -> Vec<(String, Option<String>)> {
    let xml = std::fs::read_to_string(path).unwrap();
    let mut reader = quick_xml::Reader::from_str(&xml);
    let mut cases: Vec<(String, Option<String>)> = Vec::new();
    let mut suites = 0;
    loop {
        match reader.read_event().unwrap() {
            quick_xml::events::Event::Eof => break,
            quick_xml::events::Event::Start(e) | quick_xml::events::Event::Empty(e) => {
                let attr = |name: &str| {
                    e.try_get_attribute(name).unwrap().map(|a| {
                        a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                            .unwrap()
                            .into_owned()
                    })
                };
                match e.name().as_ref() {
                    "testsuite" => {
                        suites += 1;
                        assert_eq!(attr("name").as_deref(), Some("perfplan"));
                    }
                    "testcase" => cases.push((attr("name").unwrap(), None)),
                    tag => cases.last_mut().unwrap().1 = Some(tag.to_owned()),
                }
            }
            _ => {}
        }
    }
    assert_eq!(suites, 1);
    cases
}

#[test]
fn junit_reports_missing_generators_as_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let junit = dir.path().join("junit.xml");
    let junit_arg = junit.to_str().unwrap();
    let out = perfplan(&[
        "report",
        K6,
        "--plan",
        "plans/k6-basic.yaml",
        "--junit",
        junit_arg,
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        junit_cases(&junit),
        [("all generators reported".to_owned(), Some("error".to_owned()))]
    );
    let out = perfplan(&["report", K6, "--junit", junit_arg]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        junit_cases(&junit),
        [("all generators reported".to_owned(), Some("skipped".to_owned()))],
        "without a plan there is nothing to count against"
    );
}

#[test]
fn no_result_files_says_what_was_looked_for() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("notes.txt"), "").unwrap();
    let out = perfplan(&["report", dir.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("error[perfplan::report::no_results]"), "{stderr}");
    assert!(
        stderr.contains("looked for results.jtl, samples.csv, samples.csv.gz, simulation.log"),
        "{stderr}"
    );
    let out = perfplan(&["report", dir.path().to_str().unwrap(), "--output", "json"]);
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["verdict"], "error");
    assert_eq!(doc["error"]["code"], "perfplan::report::no_results");
    let out = perfplan(&["report", "tests/fixtures/report/no-such-folder"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("error[perfplan::report::io]"));
}

#[test]
fn a_malformed_line_in_the_middle_is_an_error_at_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let jtl = std::fs::read_to_string(fixtures().join("jmeter/results.jtl")).unwrap();
    let mut lines: Vec<&str> = jtl.lines().collect();
    lines[5] = "1796095298815,fifty,products,200,OK,t,,true,,1,1,1,1,u,1,h,0,0";
    std::fs::create_dir(dir.path().join("controller")).unwrap();
    std::fs::write(dir.path().join("controller/results.jtl"), lines.join("\n") + "\n").unwrap();
    let out = perfplan(&["report", dir.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("controller/results.jtl:6: elapsed \"fifty\" is not whole milliseconds"),
        "{stderr}"
    );
}

#[test]
fn the_plan_decides_the_tool_and_an_invalid_plan_exits_2() {
    let out = perfplan(&["report", K6, "--plan", "plans/jmeter-basic.yaml"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("the plan's tool is jmeter, but"),
        "{}",
        text(&out.stderr)
    );
    let out = perfplan(&["report", K6, "--plan", "plans/invalid/too-few-users.yaml"]);
    assert_eq!(out.status.code(), Some(2), "no verdict: not a failed test (1)");
    assert!(
        text(&out.stderr).contains("perfplan::"),
        "the plan's diagnostics: {}",
        text(&out.stderr)
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn mixed_tools_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    for (from, to) in [
        ("k6/k6-runner-1/samples.csv", "a/samples.csv"),
        ("jmeter/results.jtl", "b/results.jtl"),
    ] {
        std::fs::create_dir_all(dir.path().join(to).parent().unwrap()).unwrap();
        std::fs::copy(fixtures().join(from), dir.path().join(to)).unwrap();
    }
    let out = perfplan(&["report", dir.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("more than one tool: jmeter, k6"),
        "{}",
        text(&out.stderr)
    );
}
