//! Helpers the integration tests share.
#![allow(dead_code)]

pub mod apiserver;
pub mod harness;
pub mod netpol;
pub mod pods;
pub mod pss;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Whether this run rewrites golden files: `PERFPLAN_BLESS=1` and nothing else. Any
/// other value (`0`, `false`, empty) is a mistake that fails the run instead of being
/// guessed at: `PERFPLAN_BLESS=0` once blessed a broken default-deny into `golden/`.
pub fn bless() -> bool {
    match std::env::var_os("PERFPLAN_BLESS") {
        None => false,
        Some(v) if v == "1" => true,
        Some(v) => panic!(
            "PERFPLAN_BLESS={v:?}: only PERFPLAN_BLESS=1 rewrites expectations; unset it to compare against them"
        ),
    }
}

/// The end of a comparison with checked-in expectations. No mismatch: pass. With
/// mismatches, the test fails either way: without `PERFPLAN_BLESS=1` it names them
/// and says how to bless; with it, `rewrite` brings the files up to date and the test
/// fails naming what it rewrote, so no run passes by writing its own expectations and
/// the reviewer sees which files to read in `git diff`. A second run then passes.
pub fn settle(mismatches: Vec<String>, bless_command: &str, rewrite: impl FnOnce()) {
    // Read first, so a wrong value fails even where nothing differs.
    let blessing = bless();
    if mismatches.is_empty() {
        return;
    }
    let list = mismatches.join("\n  ");
    if blessing {
        rewrite();
        panic!(
            "PERFPLAN_BLESS=1 rewrote {} expectation(s):\n  {list}\nreview them with git diff, then run the tests again \
             without PERFPLAN_BLESS",
            mismatches.len()
        );
    }
    panic!(
        "{} mismatch(es) with the checked-in expectations:\n  {list}\nif the change is intended, run \
         `PERFPLAN_BLESS=1 {bless_command}` and review git diff",
        mismatches.len()
    );
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
