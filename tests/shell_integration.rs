//! `--version`, `completions` and `man` through the built binary: what a user installs
//! into their shell and manual path.

mod support;

use std::path::Path;
use std::process::{Command, Output};

/// Every subcommand a user can type (clap's own `help` aside), from the definition
/// the binary parses with, so a new one is checked without editing this test.
fn subcommands() -> Vec<String> {
    use clap::CommandFactory;
    let names: Vec<String> = perfplan::cli::Cli::command()
        .get_subcommands()
        .filter(|c| !c.is_hide_set())
        .map(|c| c.get_name().to_owned())
        .collect();
    for name in [
        "validate",
        "compile",
        "diff",
        "schema",
        "init",
        "completions",
        "man",
    ] {
        assert!(names.iter().any(|n| n == name), "no `{name}` subcommand");
    }
    names
}

fn perfplan(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_perfplan"))
        .args(args)
        .env_remove("NO_COLOR")
        .output()
        .unwrap()
}

fn stdout(out: &Output) -> String {
    assert!(
        out.status.success(),
        "exit {:?}: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).unwrap()
}

#[test]
fn version_names_the_commit_and_the_kubernetes_range() {
    let want_prefix = format!("perfplan {} (commit ", env!("CARGO_PKG_VERSION"));
    let want_suffix = format!(", Kubernetes {})\n", perfplan::version::KUBERNETES_RANGE);
    let long = stdout(&perfplan(&["--version"]));
    let short = stdout(&perfplan(&["-V"]));
    assert_eq!(long, short, "-V and --version say the same");
    let commit = long
        .strip_prefix(&want_prefix)
        .and_then(|rest| rest.strip_suffix(&want_suffix))
        .unwrap_or_else(|| panic!("{long:?} is not `{want_prefix}<commit>{want_suffix}`"));
    assert_eq!(commit, perfplan::version::COMMIT);
    assert!(
        commit == "unknown" || (commit.len() >= 7 && commit.chars().all(|c| c.is_ascii_hexdigit())),
        "commit {commit:?}"
    );
    // Built from this checkout, the commit is the checkout's HEAD (unless HEAD moved
    // since the build; cargo reruns build.rs then, so a fresh `cargo test` agrees).
    if let Ok(head) = Command::new("git")
        .args(["rev-parse", "--short=7", "HEAD"])
        .current_dir(support::root())
        .output()
        && head.status.success()
    {
        let head = String::from_utf8(head.stdout).unwrap();
        assert!(
            head.trim().starts_with(commit) || commit.starts_with(head.trim()),
            "built from {commit}, HEAD is {head}"
        );
    }
}

#[test]
fn every_shell_gets_a_script_naming_every_subcommand() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let script = stdout(&perfplan(&["completions", shell]));
        assert!(!script.trim().is_empty(), "{shell}: empty script");
        let missing: Vec<_> = subcommands()
            .into_iter()
            .filter(|c| !script.contains(c.as_str()))
            .collect();
        assert!(missing.is_empty(), "{shell} script lacks {missing:?}");
        assert!(
            script.contains("color"),
            "{shell} script lacks the global --color"
        );
    }
    let unknown = perfplan(&["completions", "tcsh"]);
    assert_eq!(
        unknown.status.code(),
        Some(2),
        "an unknown shell is a usage error"
    );
}

/// The scripts parse in their shells: bash always (the suite needs it anyway); zsh
/// and fish when installed, else the test says it skipped them.
#[test]
fn completion_scripts_parse_in_their_shells() {
    let dir = tempfile::tempdir().unwrap();
    for (shell, check) in [
        ("bash", &["-n"][..]),
        ("zsh", &["-n"][..]),
        ("fish", &["--no-execute"][..]),
    ] {
        if Command::new(shell).arg("-c").arg("exit 0").output().is_err() {
            assert_ne!(shell, "bash", "bash is needed to check the bash script");
            // Straight to stderr, past the test harness's capture: a skip must be seen.
            let note =
                format!("note: {shell} is not installed; its completion script's syntax was not checked\n");
            std::io::Write::write_all(&mut std::io::stderr(), note.as_bytes()).unwrap();
            continue;
        }
        let path = dir.path().join(format!("perfplan.{shell}"));
        std::fs::write(&path, stdout(&perfplan(&["completions", shell]))).unwrap();
        let out = Command::new(shell).args(check).arg(&path).output().unwrap();
        assert!(
            out.status.success(),
            "{shell} {check:?} rejects the script: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn man_prints_the_top_level_page() {
    let page = stdout(&perfplan(&["man"]));
    assert!(page.contains(".TH perfplan 1"), "no .TH line:\n{page}");
    let missing: Vec<_> = subcommands()
        .into_iter()
        .filter(|c| !page.contains(&format!("perfplan\\-{c}(1)")) && !page.contains(&format!("\n{c}\n")))
        .collect();
    assert!(missing.is_empty(), "the page does not list {missing:?}:\n{page}");
}

#[test]
fn man_dir_writes_one_page_per_subcommand() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("man1");
    stdout(&perfplan(&["man", "--dir", out.to_str().unwrap()]));
    let mut written: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    written.sort();
    let mut want: Vec<String> = std::iter::once("perfplan.1".to_owned())
        .chain(subcommands().iter().map(|c| format!("perfplan-{c}.1")))
        .collect();
    want.sort();
    assert_eq!(written, want);
    for name in &written {
        let page = std::fs::read_to_string(out.join(name)).unwrap();
        let title = Path::new(name).file_stem().unwrap().to_str().unwrap();
        assert!(
            page.contains(&format!(".TH {title} 1")),
            "{name} has no .TH {title}"
        );
    }
}
