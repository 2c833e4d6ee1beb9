//! Helm values for the matching chart: goldens for every example plan, the published
//! values schemas (in sync with the types, and every golden validates against its
//! chart's schema), and scaling changes exactly the replicas key.

mod support;

use perfplan::emit::helm::{self, HelmValues};
use perfplan::emit::{helm_values, write_folder};
use std::collections::BTreeMap;
use std::path::Path;
use support::*;

fn values_of(path: &Path) -> HelmValues {
    helm::values(&plan(path))
}

/// The values `compile --format helm-values` gives for a plan: one set, or one per
/// region (`--region NAME`), each in its region's subfolder of the golden.
fn value_sets(path: &Path) -> Vec<(String, HelmValues)> {
    let plan = plan(path);
    if plan.regions.is_empty() {
        return vec![(String::new(), helm::values(&plan))];
    }
    plan.regions
        .iter()
        .map(|r| (format!("{}/", r.name), helm::values(&plan.in_region(r))))
        .collect()
}

fn set_files(sets: &[(String, HelmValues)]) -> Vec<(String, String)> {
    sets.iter()
        .flat_map(|(sub, v)| {
            v.files()
                .into_iter()
                .map(move |(name, text)| (format!("{sub}{name}"), text))
        })
        .collect()
}

#[test]
fn every_example_plan_matches_its_golden_values() {
    let mut problems = Vec::new();
    let mut rewrites = Vec::new();
    for (stem, path) in example_plans() {
        let files = set_files(&value_sets(&path));
        let golden = root().join("golden/helm").join(&stem);
        let before = problems.len();
        let tmp = tempfile::tempdir().unwrap();
        write_folder(&tmp.path().join("v"), &files).unwrap();
        let (want, have) = (read_folder(&tmp.path().join("v")), read_folder(&golden));
        for name in want
            .keys()
            .chain(have.keys())
            .collect::<std::collections::BTreeSet<_>>()
        {
            if want.get(name) != have.get(name) {
                problems.push(format!("golden/helm/{stem}/{name}"));
            }
        }
        if problems.len() > before {
            rewrites.push((golden, files));
        }
    }
    settle(problems, "cargo test --test helm_values", || {
        for (golden, files) in rewrites {
            write_folder(&golden, &files).unwrap();
        }
    });
}

#[test]
fn published_values_schemas_match_the_types() {
    let stale: Vec<(String, std::path::PathBuf, String)> = helm_values::schemas()
        .into_iter()
        .map(|(chart, file, text)| (format!("{file} ({chart})"), root().join(&file), text))
        .filter(|(_, path, text)| std::fs::read_to_string(path).ok().as_deref() != Some(text.as_str()))
        .collect();
    let names = stale.iter().map(|(name, _, _)| name.clone()).collect();
    settle(names, "cargo test --test helm_values", || {
        for (_, path, text) in stale {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, &text).unwrap();
        }
    });
}

#[test]
fn every_golden_values_file_validates_against_its_chart_schema() {
    let schemas: BTreeMap<&str, serde_json::Value> = helm_values::schemas()
        .into_iter()
        .map(|(chart, _, text)| (chart, serde_json::from_str(&text).unwrap()))
        .collect();
    let mut checked = 0;
    for (stem, path) in example_plans() {
        for (sub, set) in value_sets(&path) {
            let file = root()
                .join("golden/helm")
                .join(&stem)
                .join(format!("{sub}values.yaml"));
            let text = std::fs::read_to_string(&file).unwrap();
            // Parse the file as a user's CI would, not the in-memory value.
            let values: serde_json::Value = serde_saphyr::from_str(&text).unwrap();
            let validator = jsonschema::validator_for(&schemas[set.chart]).unwrap();
            let errors: Vec<String> = validator.iter_errors(&values).map(|e| e.to_string()).collect();
            assert!(errors.is_empty(), "{}: {errors:?}", file.display());
            checked += 1;
        }
    }
    assert!(checked >= example_plans().len());
}

#[test]
fn the_schema_rejects_what_the_chart_would_misread() {
    let (_, _, text) = helm_values::schemas()
        .into_iter()
        .find(|(c, _, _)| *c == "perf-k6")
        .unwrap();
    let schema: serde_json::Value = serde_json::from_str(&text).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let mut values: serde_json::Value = serde_saphyr::from_str(
        &std::fs::read_to_string(root().join("golden/helm/k6-basic/values.yaml")).unwrap(),
    )
    .unwrap();
    assert!(validator.is_valid(&values));
    values["runner"]["replicas"] = serde_json::json!("3");
    assert!(!validator.is_valid(&values), "replicas as a string must fail");
    values["runner"]["replicas"] = serde_json::json!(0);
    assert!(!validator.is_valid(&values), "zero replicas must fail");
}

/// Scaling is one value: changing `generators` changes `replicas` and nothing else.
#[test]
fn changing_generators_changes_exactly_the_replicas_key() {
    for stem in ["jmeter-basic", "k6-basic", "gatling-cluster"] {
        let path = root().join(format!("plans/{stem}.yaml"));
        let text = std::fs::read_to_string(&path).unwrap();
        let line = text
            .lines()
            .find(|l| l.trim_start().starts_with("generators:"))
            .unwrap();
        let scaled = text.replace(
            line,
            &line
                .replace(|c: char| c.is_ascii_digit(), "")
                .replace(": ", ": 9"),
        );
        assert_ne!(text, scaled);
        let before = helm::values(&plan_from_text(&text, path.parent().unwrap()));
        let after = helm::values(&plan_from_text(&scaled, path.parent().unwrap()));
        let role = if stem.starts_with("k6") {
            "runner"
        } else {
            "worker"
        };
        let mut expected = before.values.clone();
        expected[role]["replicas"] = serde_json::json!(9);
        assert_eq!(after.values, expected, "{stem}");
        assert_ne!(before.values, after.values, "{stem}");
        // The text differs in exactly one line too.
        let changed: Vec<_> = before
            .values_yaml
            .lines()
            .zip(after.values_yaml.lines())
            .filter(|(a, b)| a != b)
            .collect();
        assert_eq!(changed.len(), 1, "{stem}: {changed:?}");
        assert!(changed[0].1.trim() == "replicas: 9", "{stem}: {changed:?}");
        assert_eq!(before.config_map, after.config_map);
    }
}

#[test]
fn unmapped_fields_are_reported_not_dropped() {
    let values = values_of(&root().join("plans/k6-uneven.yaml"));
    let paths: Vec<String> = values.unmapped.iter().map(|u| u.path.join(".")).collect();
    assert!(paths.contains(&"load.users".to_owned()), "{paths:?}");
    let users = values
        .unmapped
        .iter()
        .find(|u| u.path == ["load", "users"])
        .unwrap();
    assert!(users.message.contains("3003"), "{users:?}");
    let even = values_of(&root().join("plans/k6-basic.yaml"));
    assert!(
        !even.unmapped.iter().any(|u| u.path == ["load", "users"]),
        "3000 over 3 is exact"
    );
}
