//! Helpers the integration tests share.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Whether this run rewrites golden files (`PERFPLAN_BLESS=1`).
pub fn bless() -> bool {
    std::env::var_os("PERFPLAN_BLESS").is_some()
}

/// Example plans in `plans/`, by file stem.
pub fn example_plans() -> BTreeMap<String, PathBuf> {
    std::fs::read_dir(root().join("plans"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .map(|p| (p.file_stem().unwrap().to_string_lossy().into_owned(), p))
        .collect()
}

/// Validate a plan file, panicking with the report if it is invalid.
pub fn plan(path: &Path) -> perfplan::Plan {
    let text = std::fs::read_to_string(path).unwrap();
    plan_from_text(&text, path.parent().unwrap())
}

pub fn plan_from_text(text: &str, dir: &Path) -> perfplan::Plan {
    match perfplan::validate(&perfplan::Source::new("plan.yaml", text, dir)) {
        Ok(v) => v.plan,
        Err(r) => panic!("invalid plan:\n{r}"),
    }
}

/// The files of a folder (hidden marker included), by path relative to it (`/`
/// between a region's folder and its files); empty if it is missing.
pub fn read_folder(dir: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    read_into(dir, "", &mut out);
    out
}

fn read_into(dir: &Path, prefix: &str, out: &mut BTreeMap<String, String>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for path in entries.map(|e| e.unwrap().path()) {
        let name = format!("{prefix}{}", path.file_name().unwrap().to_string_lossy());
        if path.is_dir() {
            read_into(&path, &format!("{name}/"), out);
        } else {
            out.insert(name, std::fs::read_to_string(&path).unwrap());
        }
    }
}

/// The files `compile -o` writes for a plan: its bundle, or a folder per region.
pub fn folder_files(plan: &perfplan::Plan) -> Vec<(String, String)> {
    if plan.regions.is_empty() {
        perfplan::compile(plan).files()
    } else {
        perfplan::emit::regions_files(plan, &perfplan::emit::compile_regions(plan))
    }
}

/// What `write_folder` produces for `files`: the files plus perfplan's marker.
pub fn as_written(files: &[(String, String)]) -> BTreeMap<String, String> {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    perfplan::emit::write_folder(&out, files).unwrap();
    read_folder(&out)
}

/// Every difference between the expected and the golden folder, as `prefix/name: why`.
pub fn folder_mismatches(
    prefix: &str,
    want: &BTreeMap<String, String>,
    have: &BTreeMap<String, String>,
) -> Vec<String> {
    let names: std::collections::BTreeSet<_> = want.keys().chain(have.keys()).collect();
    names
        .into_iter()
        .filter_map(|name| match (want.get(name), have.get(name)) {
            (Some(w), Some(h)) if w == h => None,
            (Some(_), Some(_)) => Some(format!("{prefix}/{name}: differs")),
            (Some(_), None) => Some(format!("{prefix}/{name}: missing from golden/")),
            (None, _) => Some(format!("{prefix}/{name}: in golden/ but no longer produced")),
        })
        .collect()
}
