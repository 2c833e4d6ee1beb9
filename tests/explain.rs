//! `perfplan explain` through the built binary: every example plan's explanation,
//! text and JSON, compared byte for byte with `golden/explain/` (rewritten only with
//! `PERFPLAN_BLESS=1`), plus the facts the goldens could silently get wrong.

mod support;

use std::process::Command;

fn explain(plan: &std::path::Path, json: bool) -> String {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_perfplan"));
    cmd.arg("explain").arg(plan).env("NO_COLOR", "1");
    if json {
        cmd.args(["--output", "json"]);
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "explain {}: {}",
        plan.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn every_example_is_explained_as_its_golden_says() {
    let dir = support::root().join("golden/explain");
    let mut produced = Vec::new();
    for (name, plan) in support::example_plans() {
        produced.push((format!("{name}.txt"), explain(&plan, false)));
        produced.push((format!("{name}.json"), explain(&plan, true)));
    }
    let mismatches: Vec<String> = produced
        .iter()
        .filter(|(file, text)| std::fs::read_to_string(dir.join(file)).ok().as_deref() != Some(text.as_str()))
        .map(|(file, _)| format!("golden/explain/{file}"))
        .collect();
    support::settle(mismatches, "cargo test --test explain", || {
        std::fs::create_dir_all(&dir).unwrap();
        for (file, text) in &produced {
            std::fs::write(dir.join(file), text).unwrap();
        }
    });
}

/// The shares explain shows are the ones the bundle runs: they sum to the plan's
/// users and differ by at most one, for every example (a wrong share in a golden
/// would otherwise be blessed as reviewed output).
#[test]
fn shares_sum_to_the_plan_and_totals_add_up() {
    for (name, plan) in support::example_plans() {
        let e: serde_json::Value = serde_json::from_str(&explain(&plan, true)).unwrap();
        let source = std::fs::read_to_string(&plan).unwrap();
        let validated =
            perfplan::validate(&perfplan::Source::new("p", source, plan.parent().unwrap())).unwrap();
        let parts = e["parts"].as_array().unwrap();
        let users: u64 = parts
            .iter()
            .flat_map(|p| p["generators"].as_array().unwrap())
            .map(|g| g["users"].as_u64().unwrap())
            .sum();
        assert_eq!(
            users,
            validated.plan.load.total_users(),
            "{name}: shares do not sum to the plan"
        );
        for p in parts {
            let shares: Vec<u64> = p["generators"]
                .as_array()
                .unwrap()
                .iter()
                .map(|g| g["users"].as_u64().unwrap())
                .collect();
            let (min, max) = (shares.iter().min().unwrap(), shares.iter().max().unwrap());
            assert!(max - min <= 1, "{name}: uneven shares {shares:?}");
            let pods: u64 = p["pods"]
                .as_array()
                .unwrap()
                .iter()
                .map(|g| g["count"].as_u64().unwrap())
                .sum();
            assert_eq!(pods, p["total"]["pods"].as_u64().unwrap(), "{name}: pod total");
            assert!(
                p["network"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|r| r["why"].as_str().unwrap().contains("target")),
                "{name}: no rule lets load reach the target"
            );
        }
    }
}

#[test]
fn a_region_alone_and_an_unknown_region() {
    let plan = support::root().join("plans/k6-regions.yaml");
    let out = Command::new(env!("CARGO_BIN_EXE_perfplan"))
        .args(["explain", "--region", "us-east"])
        .arg(&plan)
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("region us-east") && !text.contains("region eu-west"),
        "{text}"
    );
    let out = Command::new(env!("CARGO_BIN_EXE_perfplan"))
        .args(["explain", "--region", "mars"])
        .arg(&plan)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("eu-west"));
}
