//! Golden bundles: every example plan in `plans/` compiles to exactly the files in
//! `golden/<plan>/` (the `-o` folder) and `golden/<plan>.yaml` (the stdout stream).
//!
//! Every mismatch is reported before the test fails. `PERFPLAN_BLESS=1 cargo test
//! --test golden` rewrites them; review `git diff golden/` before committing.

mod support;

use perfplan::emit::{MARKER, write_folder};
use support::*;

#[test]
fn every_example_plan_matches_its_golden_bundle() {
    let golden = root().join("golden");
    let mut problems = Vec::new();
    for (stem, path) in example_plans() {
        let plan = plan(&path);
        let bundle = perfplan::compile(&plan);
        let files = folder_files(&plan);
        let stream_path = golden.join(format!("{stem}.yaml"));
        let folder_path = golden.join(&stem);
        if bless() {
            std::fs::write(&stream_path, bundle.to_yaml_stream()).unwrap();
            write_folder(&folder_path, &files).unwrap();
            continue;
        }
        if std::fs::read_to_string(&stream_path).ok().as_deref() != Some(bundle.to_yaml_stream().as_str()) {
            problems.push(format!("{}: the stream differs", stream_path.display()));
        }
        problems.extend(folder_mismatches(
            &stem,
            &as_written(&files),
            &read_folder(&folder_path),
        ));
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
        // Dot-folders are a concurrent bless's staging folders.
        if matches!(name.as_str(), "cli" | "helm" | "diff") || name.starts_with('.') {
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
    for path in example_plans().values() {
        let p = plan(path);
        assert_eq!(perfplan::compile(&p), perfplan::compile(&p), "{}", path.display());
    }
}

#[test]
fn marker_lists_every_file_it_owns() {
    let bundle = perfplan::compile(&plan(&root().join("plans/jmeter-basic.yaml")));
    let folder = as_written(&bundle.files());
    let marker = &folder[MARKER];
    for name in folder.keys().filter(|n| *n != MARKER) {
        assert!(marker.lines().any(|l| l == name), "{name} not in the marker");
    }
}
