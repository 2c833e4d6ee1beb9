//! Golden bundles: every example plan in `plans/` compiles to exactly the files in
//! `golden/<plan>/` (the `-o` folder) and `golden/<plan>.yaml` (the stdout stream).
//!
//! Every mismatch is reported before the test fails. `PERFPLAN_BLESS=1 cargo test
//! --test golden` rewrites them; review `git diff golden/` before committing.

use perfplan::emit::{MARKER, write_folder};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Example plans, by file stem.
fn example_plans() -> BTreeMap<String, PathBuf> {
    std::fs::read_dir(root().join("plans"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .map(|p| (p.file_stem().unwrap().to_string_lossy().into_owned(), p))
        .collect()
}

fn compile(path: &Path) -> perfplan::Bundle {
    let text = std::fs::read_to_string(path).unwrap();
    let source = perfplan::Source::new(path.display().to_string(), text, path.parent().unwrap());
    match perfplan::validate(&source) {
        Ok(v) => perfplan::compile(&v.plan),
        Err(report) => panic!("{} is invalid:\n{report}", path.display()),
    }
}

/// The files of a folder (hidden marker included), by name.
fn read_folder(dir: &Path) -> BTreeMap<String, String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return BTreeMap::new();
    };
    entries
        .map(|e| e.unwrap().path())
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read_to_string(&p).unwrap(),
            )
        })
        .collect()
}

/// What `-o` writes: the bundle's files plus the marker.
fn expected_folder(bundle: &perfplan::Bundle) -> BTreeMap<String, String> {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("bundle");
    write_folder(&out, &bundle.files()).unwrap();
    read_folder(&out)
}

#[test]
fn every_example_plan_matches_its_golden_bundle() {
    let bless = std::env::var_os("PERFPLAN_BLESS").is_some();
    let golden = root().join("golden");
    let mut problems = Vec::new();
    for (stem, plan) in example_plans() {
        let bundle = compile(&plan);
        let stream_path = golden.join(format!("{stem}.yaml"));
        let folder_path = golden.join(&stem);
        if bless {
            std::fs::write(&stream_path, bundle.to_yaml_stream()).unwrap();
            write_folder(&folder_path, &bundle.files()).unwrap();
            continue;
        }
        if std::fs::read_to_string(&stream_path).ok().as_deref() != Some(bundle.to_yaml_stream().as_str()) {
            problems.push(format!("{}: the stream differs", stream_path.display()));
        }
        let want = expected_folder(&bundle);
        let have = read_folder(&folder_path);
        for name in want
            .keys()
            .chain(have.keys())
            .collect::<std::collections::BTreeSet<_>>()
        {
            match (want.get(name), have.get(name)) {
                (Some(w), Some(h)) if w == h => {}
                (Some(_), Some(_)) => problems.push(format!("{stem}/{name}: differs")),
                (Some(_), None) => problems.push(format!("{stem}/{name}: missing from golden/")),
                (None, _) => problems.push(format!("{stem}/{name}: in golden/ but no longer produced")),
            }
        }
    }
    assert!(
        problems.is_empty(),
        "{} golden mismatches:\n  {}\nrerun with PERFPLAN_BLESS=1 cargo test --test golden and review git diff golden/",
        problems.len(),
        problems.join("\n  ")
    );
}

#[test]
fn golden_folder_holds_nothing_but_example_bundles() {
    let plans = example_plans();
    for entry in std::fs::read_dir(root().join("golden")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name == "cli" {
            continue;
        }
        let stem = name.strip_suffix(".yaml").unwrap_or(&name);
        assert!(
            plans.contains_key(stem),
            "golden/{name} belongs to no plan in plans/"
        );
    }
}

#[test]
fn compiling_twice_gives_the_same_bytes() {
    for plan in example_plans().values() {
        assert_eq!(compile(plan), compile(plan), "{}", plan.display());
    }
}

#[test]
fn marker_lists_every_file_it_owns() {
    let bundle = compile(&root().join("plans/jmeter-basic.yaml"));
    let folder = expected_folder(&bundle);
    let marker = &folder[MARKER];
    for name in folder.keys().filter(|n| *n != MARKER) {
        assert!(marker.lines().any(|l| l == name), "{name} not in the marker");
    }
}
