//! The generated reference pages (`docs/reference/`) are exactly what the code
//! generates, the severities they state are the ones perfplan reports, and the
//! Kubernetes range is stated once. Rewrite the pages with
//! `PERFPLAN_BLESS=1 cargo test --test reference_docs`.

mod support;

use perfplan::diag::codes::{Level, REFERENCE};
use perfplan::reference;
use std::collections::BTreeMap;

/// Compare each generated page with its checked-in file; list every stale one
/// before failing, rewrite them only under `PERFPLAN_BLESS=1`.
#[test]
fn reference_pages_match_the_code() {
    let pages = [
        (
            reference::PLAN_PATH,
            reference::plan_markdown(&perfplan::schema::generate()),
        ),
        (reference::CODES_PATH, reference::codes_markdown()),
    ];
    let stale: Vec<String> = pages
        .iter()
        .filter(|(path, text)| {
            std::fs::read_to_string(support::root().join(path))
                .ok()
                .as_deref()
                != Some(text)
        })
        .map(|(path, _)| format!("{path} is out of date"))
        .collect();
    support::settle(stale, "cargo test --test reference_docs", || {
        for (path, text) in &pages {
            let path = support::root().join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
    });
}

/// Every property in the schema, at any depth, is a row of the plan reference.
#[test]
fn plan_reference_lists_every_schema_property() {
    let fields = reference::fields(&perfplan::schema::generate());
    let paths: Vec<&str> = fields.iter().map(|f| f.path.as_str()).collect();
    for path in [
        "perfplan",
        "load.users",
        "load.arrivalRate.maxUsers",
        "target.allow[].cidr",
        "script.configMap",
        "regions[].share",
        "jmeter.rmi.keystoreSecret",
        "placement.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[].matchExpressions[].operator",
    ] {
        assert!(paths.contains(&path), "no row for {path}");
    }
    // Each property name of each object definition has a row ending in it.
    let schema = perfplan::schema::generate();
    let mut names = std::collections::BTreeSet::new();
    collect_property_names(&schema, &mut names);
    let missing: Vec<_> = names
        .iter()
        .filter(|name| {
            !paths
                .iter()
                .any(|p| p.rsplit(['.', ']']).next() == Some(name.as_str()))
        })
        .collect();
    assert!(missing.is_empty(), "properties without a row: {missing:?}");
    let users = fields.iter().find(|f| f.path == "load.generators").unwrap();
    assert_eq!(users.ty, "integer");
    assert_eq!(users.default.as_deref(), Some("1"));
    assert!(users.allowed.contains(&"1–10000".to_owned()), "{users:?}");
    let tool = fields.iter().find(|f| f.path == "tool").unwrap();
    assert!(tool.required);
    assert_eq!(tool.allowed, ["one of `jmeter`, `k6`, `gatling`"]);
}

/// The names of every property of every object schema (`properties` keys, not the
/// keywords inside a property named `properties`, such as `jmeter.properties`).
fn collect_property_names(value: &serde_json::Value, names: &mut std::collections::BTreeSet<String>) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, inner) in map {
                match (key.as_str(), inner.as_object()) {
                    ("properties", Some(props)) => {
                        names.extend(props.keys().cloned());
                        props.values().for_each(|p| collect_property_names(p, names));
                    }
                    _ => collect_property_names(inner, names),
                }
            }
        }
        serde_json::Value::Array(items) => items.iter().for_each(|v| collect_property_names(v, names)),
        _ => {}
    }
}

/// The severity the code list states is the one the plans under `plans/invalid/`
/// get: a lint added as an error by mistake (the default) fails here.
#[test]
fn stated_severities_are_the_reported_ones() {
    let stated: BTreeMap<&str, Level> = REFERENCE.iter().map(|e| (e.code.as_str(), e.level)).collect();
    let mut seen: BTreeMap<&str, (bool, bool)> = BTreeMap::new();
    for path in std::fs::read_dir(support::root().join("plans/invalid")).unwrap() {
        let path = path.unwrap().path();
        if path.extension().is_none_or(|e| e != "yaml") {
            continue;
        }
        let bytes = std::fs::read(&path).unwrap();
        let Ok(source) = perfplan::parse::decode("plan.yaml", &bytes, path.parent().unwrap()) else {
            continue;
        };
        let diagnostics = match perfplan::validate(&source) {
            Ok(v) => v.report.diagnostics,
            Err(r) => r.diagnostics,
        };
        for d in diagnostics {
            let entry = seen.entry(d.code.as_str()).or_default();
            match d.severity {
                perfplan::Severity::Error => entry.0 = true,
                perfplan::Severity::Warning => entry.1 = true,
            }
        }
    }
    let wrong: Vec<String> = seen
        .iter()
        .filter_map(|(code, &(error, warning))| {
            let ok = match stated.get(code)? {
                Level::Error => !warning,
                Level::Warning => !error,
                Level::Either => true,
            };
            (!ok).then(|| {
                format!(
                    "{code}: stated {:?}, reported as error: {error}, warning: {warning}",
                    stated[code]
                )
            })
        })
        .collect();
    assert!(
        wrong.is_empty(),
        "severities that disagree:\n{}",
        wrong.join("\n")
    );
}

/// The README, the conformance script and the real API server's build state the
/// Kubernetes range of `perfplan::version`, the one `--version` prints.
#[test]
fn the_kubernetes_range_is_stated_once() {
    use perfplan::version::{KUBERNETES_NEWEST, KUBERNETES_OLDEST, KUBERNETES_RANGE};
    let readme = std::fs::read_to_string(support::root().join("README.md")).unwrap();
    assert!(
        readme.contains(&format!("Kubernetes {KUBERNETES_RANGE}")),
        "the README does not say `Kubernetes {KUBERNETES_RANGE}`"
    );
    let conformance = std::fs::read_to_string(support::root().join("tools/conformance.sh")).unwrap();
    assert!(
        conformance.contains(&format!("\"$legacy {KUBERNETES_OLDEST}.0\"")),
        "tools/conformance.sh does not check {KUBERNETES_OLDEST}"
    );
    assert!(
        conformance.contains(&format!("# bundles up to {KUBERNETES_NEWEST}\n")),
        "tools/conformance.sh's newest kubernetes-validate is not for {KUBERNETES_NEWEST}"
    );
    let apiserver = std::fs::read_to_string(support::root().join("tools/apiserver.sh")).unwrap();
    assert!(
        apiserver.contains(&format!(":-{KUBERNETES_NEWEST}.")),
        "tools/apiserver.sh does not build Kubernetes {KUBERNETES_NEWEST}"
    );
}
