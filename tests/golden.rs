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
    let mut rewrites = Vec::new();
    for (stem, path) in example_plans() {
        let plan = plan(&path);
        let bundle = perfplan::compile(&plan);
        let files = folder_files(&plan);
        let stream_path = golden.join(format!("{stem}.yaml"));
        let folder_path = golden.join(&stem);
        let stream = bundle.to_yaml_stream();
        let before = problems.len();
        if std::fs::read_to_string(&stream_path).ok().as_deref() != Some(stream.as_str()) {
            problems.push(format!("{}: the stream differs", stream_path.display()));
        }
        problems.extend(folder_mismatches(
            &stem,
            &as_written(&files),
            &read_folder(&folder_path),
        ));
        if problems.len() > before {
            rewrites.push((stream_path, stream, folder_path, files));
        }
    }
    settle(problems, "cargo test --test golden", || {
        for (stream_path, stream, folder_path, files) in rewrites {
            std::fs::write(&stream_path, stream).unwrap();
            write_folder(&folder_path, &files).unwrap();
        }
    });
}

#[test]
fn golden_folder_holds_nothing_but_example_bundles() {
    let plans = example_plans();
    for entry in std::fs::read_dir(root().join("golden")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        // Dot-folders are a concurrent bless's staging folders.
        if matches!(name.as_str(), "cli" | "helm" | "diff" | "explain") || name.starts_with('.') {
            continue;
        }
        let stem = name.strip_suffix(".yaml").unwrap_or(&name);
        assert!(
            plans.contains_key(stem),
            "golden/{name} belongs to no plan in plans/"
        );
    }
}

/// The same plan gives the same bytes in another process, from another folder, under
/// another time zone and locale (a second compile in this process would share its
/// hash seeds and state, and prove little).
#[test]
fn compiling_in_another_process_gives_the_same_bytes() {
    let elsewhere = tempfile::tempdir().unwrap();
    for path in example_plans().values() {
        let p = plan(path);
        if !p.regions.is_empty() {
            continue; // a multi-region plan goes to a folder per region, never to stdout
        }
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_perfplan"))
            .arg("compile")
            .arg(path)
            .current_dir(elsewhere.path())
            .env("TZ", "Pacific/Chatham")
            .env("LC_ALL", "tr_TR.UTF-8")
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        assert_eq!(
            String::from_utf8(out.stdout).unwrap(),
            perfplan::compile(&p).to_yaml_stream(),
            "{}",
            path.display()
        );
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

/// `PERFPLAN_BLESS=0` (or any value but 1) once blessed a broken default-deny into
/// `golden/` with a green run. Run this very test binary's golden test with it: it must
/// fail, saying why, and write nothing.
#[test]
fn a_bless_value_other_than_one_fails_instead_of_blessing() {
    let before = read_folder(&root().join("golden"));
    for value in ["0", "", "true"] {
        let run = std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "every_example_plan_matches_its_golden_bundle",
                "--test-threads=1",
            ])
            .env("PERFPLAN_BLESS", value)
            .output()
            .unwrap();
        let out = String::from_utf8_lossy(&run.stdout).into_owned() + &String::from_utf8_lossy(&run.stderr);
        assert!(!run.status.success(), "PERFPLAN_BLESS={value:?} passed:\n{out}");
        assert!(out.contains("only PERFPLAN_BLESS=1 rewrites"), "{out}");
    }
    // (A bless run rewrites golden/ at the same time, in another test.)
    if !bless() {
        assert_eq!(read_folder(&root().join("golden")), before);
    }
}
