//! `perfplan diff` end to end: snapshots of each tool's scale-up, script change,
//! posture change and target change (golden/diff/<tool>-<change>.txt), exit codes,
//! JSON and unified output.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use support::*;

struct Case {
    plan: &'static str,
    tool: &'static str,
}

const CASES: [Case; 3] = [
    Case {
        plan: "jmeter-basic",
        tool: "jmeter",
    },
    Case {
        plan: "k6-basic",
        tool: "k6",
    },
    Case {
        plan: "gatling-cluster",
        tool: "gatling",
    },
];

/// The plan text with one change applied.
fn changed(text: &str, change: &str) -> String {
    let replace_line = |text: &str, starts: &str, with: &str| {
        let line = text.lines().find(|l| l.trim_start().starts_with(starts)).unwrap();
        let indent = &line[..line.len() - line.trim_start().len()];
        text.replacen(line, &format!("{indent}{with}"), 1)
    };
    match change {
        "scale-up" => {
            let line = text
                .lines()
                .find(|l| l.trim_start().starts_with("generators:"))
                .unwrap();
            let n: u32 = line.split(':').nth(1).unwrap().trim().parse().unwrap();
            replace_line(text, "generators:", &format!("generators: {}", n + 2))
        }
        "script" => text.replace("scripts/", "scripts-v2/"),
        "posture" => format!("{text}security: {{posture: baseline, writableRootFilesystem: true}}\n"),
        "target" => {
            let text = replace_line(text, "url:", "url: https://shop-v2.staging.example.com");
            replace_line(&text, "- cidr:", "- cidr: 10.40.0.0/16")
        }
        other => panic!("{other}"),
    }
}

/// A folder with the example scripts, a v2 copy with one line changed, and plans.
fn workspace(old: &str, new: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (folder, edit) in [("scripts", false), ("scripts-v2", true)] {
        std::fs::create_dir(dir.path().join(folder)).unwrap();
        for entry in std::fs::read_dir(root().join("plans/scripts")).unwrap() {
            let path = entry.unwrap().path();
            let mut text = std::fs::read_to_string(&path).unwrap();
            if edit {
                text = text.replacen('\n', "\n// v2: one more line of script\n", 3);
            }
            std::fs::write(dir.path().join(folder).join(path.file_name().unwrap()), text).unwrap();
        }
    }
    std::fs::write(dir.path().join("old.yaml"), old).unwrap();
    std::fs::write(dir.path().join("new.yaml"), new).unwrap();
    dir
}

fn diff_in(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_perfplan"))
        .arg("diff")
        .args(args)
        .current_dir(dir)
        .env_remove("NO_COLOR")
        .output()
        .unwrap()
}

/// `diff old.yaml new.yaml` in `dir`, which must find differences (exit 1), compared
/// with `snapshot`. The output, or the stale snapshot's path and the output that
/// would replace it (written by [`settle`] under `PERFPLAN_BLESS=1`).
fn diff_against_snapshot(dir: &Path, snapshot: &Path) -> Result<String, (PathBuf, String)> {
    let out = diff_in(dir, &["old.yaml", "new.yaml"]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    if std::fs::read_to_string(snapshot).ok().as_deref() != Some(text.as_str()) {
        return Err((snapshot.to_path_buf(), text));
    }
    Ok(text)
}

/// Settle stale diff snapshots: fail naming them, or under `PERFPLAN_BLESS=1`
/// rewrite them and fail naming what was rewritten.
fn settle_snapshots(stale: Vec<(PathBuf, String)>) {
    let names = stale.iter().map(|(p, _)| p.display().to_string()).collect();
    settle(names, "cargo test --test diff", || {
        for (path, text) in stale {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
    });
}

#[test]
fn snapshots_of_every_tools_typical_changes() {
    let mut problems = Vec::new();
    for case in CASES {
        let old = std::fs::read_to_string(root().join(format!("plans/{}.yaml", case.plan))).unwrap();
        for change in ["scale-up", "script", "posture", "target"] {
            let new = changed(&old, change);
            assert_ne!(old, new, "{} {change}", case.plan);
            let dir = workspace(&old, &new);
            let snapshot = root().join(format!("golden/diff/{}-{change}.txt", case.tool));
            if let Err(stale) = diff_against_snapshot(dir.path(), &snapshot) {
                problems.push(stale);
            }
        }
    }
    settle_snapshots(problems);
}

/// Scaling shows exactly replicas/parallelism, the host list or segment sequence,
/// and the split; nothing else.
#[test]
fn scaling_changes_exactly_the_scaling_fields() {
    for case in CASES {
        let old = std::fs::read_to_string(root().join(format!("plans/{}.yaml", case.plan))).unwrap();
        let dir = workspace(&old, &changed(&old, "scale-up"));
        let out = diff_in(dir.path(), &["old.yaml", "new.yaml", "--output", "json"]);
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(report["summary"]["added"], 0);
        assert_eq!(report["summary"]["removed"], 0);
        // Not vacuous: the scale-up shows up, as a replica or completion count.
        let fields: Vec<&str> = report["objects"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|o| o["fields"].as_array().unwrap())
            .map(|f| f["path"].as_str().unwrap())
            .collect();
        assert!(
            fields
                .iter()
                .any(|f| *f == "spec.replicas" || *f == "spec.completions"),
            "{}: the scale-up changed no count: {fields:?}",
            case.tool
        );
        for object in report["objects"].as_array().unwrap() {
            assert!(object.get("text").is_none(), "no script text changes: {object}");
            for field in object["fields"].as_array().unwrap() {
                let path = field["path"].as_str().unwrap();
                let allowed = path == "spec.replicas"
                    || path == "spec.completions"
                    || path == "spec.parallelism"
                    || path.contains("perfplan.dev/split")
                    || path.contains("--execution-segment-sequence")
                    // k6: the runners' segment sequence (after --paused --address :6565
                    // --execution-segment-sequence) and the starter's --batch fan-out.
                    || path.ends_with("containers[name=k6].args[4]") && case.tool == "k6"
                    || path.ends_with("containers[name=start-runners].args[6]") && case.tool == "k6"
                    || [
                        "GENERATORS",
                        "RUNNERS_TOTAL",
                        "WORKERS_TOTAL",
                        "USERS_BASE",
                        "USERS_REMAINDER",
                    ]
                    .iter()
                    .any(|v| path.contains(&format!("env[name={v}]")));
                assert!(allowed, "{}: unexpected change {path}", case.tool);
            }
        }
    }
}

#[test]
fn identical_sides_exit_zero_and_plans_compare_with_their_bundles() {
    let dir = tempfile::tempdir().unwrap();
    let same = diff_in(
        dir.path(),
        &[
            root().join("golden/k6-basic").to_str().unwrap(),
            root().join("plans/k6-basic.yaml").to_str().unwrap(),
        ],
    );
    assert_eq!(
        same.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&same.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&same.stdout),
        "0 added, 0 removed, 0 changed, 0 replaced, 10 unchanged\n"
    );
    let stream = diff_in(
        dir.path(),
        &[
            root().join("golden/jmeter-basic.yaml").to_str().unwrap(),
            root().join("golden/jmeter-basic").to_str().unwrap(),
        ],
    );
    assert_eq!(stream.status.code(), Some(0));
}

#[test]
fn errors_exit_two() {
    let dir = tempfile::tempdir().unwrap();
    let invalid = diff_in(
        dir.path(),
        &[
            root().join("plans/invalid/too-few-users.yaml").to_str().unwrap(),
            root().join("plans/k6-basic.yaml").to_str().unwrap(),
        ],
    );
    assert_eq!(invalid.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&invalid.stderr).contains("perfplan::load::too_few_users"));
    let missing = diff_in(dir.path(), &["nope.yaml", "nope2.yaml"]);
    assert_eq!(missing.status.code(), Some(2));
    std::fs::write(dir.path().join("junk.yaml"), "just: text\n").unwrap();
    let junk = diff_in(dir.path(), &["junk.yaml", "junk.yaml"]);
    assert_eq!(junk.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&junk.stderr).contains("neither a plan nor a bundle"));
}

#[test]
fn unified_format_is_a_classic_diff_and_colour_is_opt_in() {
    let old = std::fs::read_to_string(root().join("plans/k6-basic.yaml")).unwrap();
    let dir = workspace(&old, &changed(&old, "scale-up"));
    let out = diff_in(dir.path(), &["old.yaml", "new.yaml", "--format", "unified"]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.starts_with("--- a/Job/perf-testing/checkout-peak-k6-runner\n+++ b/Job/"),
        "{text}"
    );
    assert!(
        text.contains("\n-  completions: 3\n") && text.contains("\n+  completions: 5\n"),
        "{text}"
    );
    assert!(!text.contains('\x1b'));
    let coloured = diff_in(dir.path(), &["old.yaml", "new.yaml", "--color", "always"]);
    assert!(String::from_utf8_lossy(&coloured.stdout).contains("\x1b[35m! Job"));
}

/// Moving load between regions changes exactly the two regions' runner Jobs: their
/// split, stages and VU count; nothing else in either region.
#[test]
fn moving_share_between_regions_changes_only_their_runners() {
    let old = std::fs::read_to_string(root().join("plans/k6-regions.yaml")).unwrap();
    let new = old
        .replace("share: 60", "share: 50")
        .replace("share: 40", "share: 50");
    assert_ne!(old, new);
    let dir = workspace(&old, &new);
    let snapshot = root().join("golden/diff/k6-region-shift.txt");
    let text = match diff_against_snapshot(dir.path(), &snapshot) {
        Ok(text) => text,
        Err(stale) => {
            settle_snapshots(vec![stale]);
            unreachable!("settle fails on a stale snapshot")
        }
    };
    let json = diff_in(dir.path(), &["old.yaml", "new.yaml", "--output", "json"]);
    let report: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    let changed: Vec<&str> = report["objects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        changed,
        ["checkout-geo-eu-west-k6-runner", "checkout-geo-us-east-k6-runner"]
    );
    assert!(text.contains("\"users 3000 over 3: 3 x 1000\" -> \"users 2500 over 3: 1 x 834, 2 x 833\""));
    assert!(text.contains("\"users 2000 over 2: 2 x 1000\" -> \"users 2500 over 2: 2 x 1250\""));
}

/// A change the API server refuses to make in place (a Job's template) is a
/// replace: its own count, the immutable field, and the commands, which apply a
/// bundle folder given as the new side by its path.
#[test]
fn an_immutable_change_is_a_replace_with_its_commands() {
    let old = std::fs::read_to_string(root().join("plans/k6-basic.yaml")).unwrap();
    let dir = workspace(&old, &changed(&old, "scale-up"));
    let compiled = Command::new(env!("CARGO_BIN_EXE_perfplan"))
        .args(["compile", "new.yaml", "-o", "new-bundle"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(compiled.status.success(), "{compiled:?}");
    let out = diff_in(dir.path(), &["old.yaml", "new-bundle", "--output", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        report["summary"],
        serde_json::json!({"added": 0, "removed": 0, "changed": 0, "replaced": 2, "unchanged": 8})
    );
    let runner = &report["objects"][0];
    assert_eq!(runner["change"], "replaced");
    assert_eq!(runner["immutable"], serde_json::json!(["spec.template"]));
    assert_eq!(
        report["replace"],
        serde_json::json!([
            "kubectl delete job/checkout-peak-k6-runner job/checkout-peak-k6-starter -n perf-testing \
             --cascade=foreground",
            "kubectl apply -k new-bundle"
        ])
    );
    assert!(runner["note"].as_str().unwrap().contains("a Job runs once"));
    assert_eq!(
        report["findings"],
        serde_json::json!([]),
        "the folder needs no explaining"
    );
}
