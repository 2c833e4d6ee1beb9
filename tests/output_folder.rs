//! `compile -o DIR` against hostile output folders, through the built binary: a
//! crafted `.perfplan-bundle` marker, links where folders or files should be, folders
//! where files should be. Whatever the folder holds, nothing outside it changes, and a
//! refusal changes nothing at all (not even inside it).
//!
//! Each case snapshots the whole temporary tree around the output folder (names,
//! kinds, link targets, contents) before and after the run, so an unlink, a write or
//! a rename anywhere outside the folder fails the test, not only the canary's loss.

use std::collections::BTreeMap;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn compile(out: &Path, extra: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_perfplan"))
        .args(["compile", "plans/k6-basic.yaml", "-o"])
        .arg(out)
        .args(extra)
        .current_dir(root())
        .output()
        .unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Every path under `dir` with what it is: file contents, a link's target, or a folder.
fn snapshot(dir: &Path) -> BTreeMap<String, String> {
    let mut map = BTreeMap::new();
    walk(dir, dir, &mut map);
    map
}

fn walk(base: &Path, dir: &Path, map: &mut BTreeMap<String, String>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let rel = path.strip_prefix(base).unwrap().display().to_string();
        let meta = std::fs::symlink_metadata(&path).unwrap();
        if meta.file_type().is_symlink() {
            map.insert(
                rel,
                format!("link -> {}", std::fs::read_link(&path).unwrap().display()),
            );
        } else if meta.is_dir() {
            map.insert(rel, "folder".to_owned());
            walk(base, &path, map);
        } else {
            map.insert(
                rel,
                String::from_utf8_lossy(&std::fs::read(&path).unwrap()).into_owned(),
            );
        }
    }
}

/// A temporary tree: `canary.txt` and `elsewhere/victim.txt` beside the folder `out`.
struct Tree {
    tmp: tempfile::TempDir,
}

impl Tree {
    fn new() -> Self {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::write(tmp.path().join("canary.txt"), "keep me").unwrap();
        std::fs::create_dir(tmp.path().join("elsewhere")).unwrap();
        std::fs::write(tmp.path().join("elsewhere/victim.txt"), "keep me too").unwrap();
        Tree { tmp }
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.tmp.path().join(rel)
    }

    /// A bundle folder perfplan wrote, whose marker then gets `entries` appended.
    fn bundle_with_marker(&self, entries: &[String]) -> PathBuf {
        let out = self.path("out");
        let first = compile(&out, &[]);
        assert_eq!(first.status.code(), Some(0), "{}", stderr(&first));
        let marker = out.join(".perfplan-bundle");
        let mut text = std::fs::read_to_string(&marker).unwrap();
        for e in entries {
            text.push_str(e);
            text.push('\n');
        }
        std::fs::write(marker, text).unwrap();
        out
    }

    /// Run compile (with `extra` flags) and assert it refuses with exit 2, a message
    /// containing `says`, and not a single change anywhere in the tree.
    fn assert_refused(&self, out: &Path, extra: &[&str], says: &str) {
        let before = snapshot(self.tmp.path());
        let run = compile(out, extra);
        assert_eq!(run.status.code(), Some(2), "{}", stderr(&run));
        assert!(
            stderr(&run).contains(says),
            "expected `{says}` in: {}",
            stderr(&run)
        );
        assert_eq!(snapshot(self.tmp.path()), before, "a refusal changed the tree");
    }
}

#[test]
fn marker_entries_outside_the_folder_are_refused_before_any_change() {
    // Before the fix, each of these made compile unlink the victim (or try `..`), exit 0.
    let tree = Tree::new();
    let victim = tree.path("elsewhere/victim.txt").display().to_string();
    for entry in [
        "../canary.txt".to_owned(),
        "../elsewhere/victim.txt".to_owned(),
        victim,
        "..".to_owned(),
        ".".to_owned(),
        "sub/../../canary.txt".to_owned(),
        "a/b/c.yaml".to_owned(),
        "x\\..\\..\\canary.txt".to_owned(),
        "/".to_owned(),
        "./kustomization.yaml".to_owned(),
    ] {
        let out = tree.bundle_with_marker(std::slice::from_ref(&entry));
        tree.assert_refused(&out, &[], "perfplan changed nothing");
        tree.assert_refused(&out, &["--force"], "perfplan changed nothing");
        std::fs::remove_dir_all(&out).unwrap();
    }
    assert_eq!(
        std::fs::read_to_string(tree.path("canary.txt")).unwrap(),
        "keep me"
    );
}

#[test]
fn a_marker_entry_naming_a_folder_fails_before_writing_anything() {
    // Before: "Is a directory" after the new bundle was in place, and a
    // `.out.perfplan-old-PID` folder left behind.
    let tree = Tree::new();
    let out = tree.bundle_with_marker(&["sub".to_owned()]);
    std::fs::create_dir(out.join("sub")).unwrap();
    std::fs::write(out.join("sub/mine.txt"), "mine").unwrap();
    tree.assert_refused(&out, &[], "is a folder or a link");
    tree.assert_refused(&out, &["--force"], "is a folder or a link");
}

#[test]
fn links_inside_the_folder_are_never_followed() {
    let tree = Tree::new();
    // A listed file that is a link: removing or replacing it must not reach the target.
    let out = tree.bundle_with_marker(&[]);
    let listed = out.join("kustomization.yaml");
    std::fs::remove_file(&listed).unwrap();
    symlink(tree.path("canary.txt"), &listed).unwrap();
    tree.assert_refused(&out, &[], "is a folder or a link");
    std::fs::remove_dir_all(&out).unwrap();

    // A region folder in the marker that is a link to a folder outside.
    let out = tree.bundle_with_marker(&["eu/victim.txt".to_owned()]);
    symlink(tree.path("elsewhere"), out.join("eu")).unwrap();
    tree.assert_refused(&out, &[], "is not a real folder");
    std::fs::remove_dir_all(&out).unwrap();

    // The marker itself a link.
    let out = tree.bundle_with_marker(&[]);
    let marker = out.join(".perfplan-bundle");
    std::fs::rename(&marker, tree.path("elsewhere/marker")).unwrap();
    symlink(tree.path("elsewhere/marker"), &marker).unwrap();
    tree.assert_refused(&out, &[], "is not a plain file");
    std::fs::remove_dir_all(&out).unwrap();
    std::fs::remove_file(tree.path("elsewhere/marker")).unwrap();

    // --force among the user's files, where a file perfplan writes is a link the user
    // made: writing through it would change the target.
    let out = tree.path("out");
    std::fs::create_dir(&out).unwrap();
    std::fs::write(out.join("notes.txt"), "mine").unwrap();
    symlink(tree.path("canary.txt"), out.join("kustomization.yaml")).unwrap();
    tree.assert_refused(&out, &["--force"], "is a folder or a link");
}

#[test]
fn a_symlinked_output_folder_is_refused_with_or_without_force() {
    // Before: refused without --force, written through with it.
    let tree = Tree::new();
    let link = tree.path("out");
    symlink(tree.path("elsewhere"), &link).unwrap();
    tree.assert_refused(&link, &[], "is a symbolic link");
    tree.assert_refused(&link, &["--force"], "is a symbolic link");
}

#[test]
fn a_clean_marker_still_replaces_the_bundle_and_leaves_no_staging_folder() {
    // The control: the checks above refuse only bad markers.
    let tree = Tree::new();
    let out = tree.bundle_with_marker(&[]);
    std::fs::write(out.join("stale.yaml"), "old").unwrap();
    let marker = out.join(".perfplan-bundle");
    let text = std::fs::read_to_string(&marker).unwrap() + "stale.yaml\n";
    std::fs::write(&marker, text).unwrap();
    let again = compile(&out, &[]);
    assert_eq!(again.status.code(), Some(0), "{}", stderr(&again));
    assert!(
        !out.join("stale.yaml").exists(),
        "a stale file of perfplan's own is removed"
    );
    let mut top: Vec<String> = snapshot(&tree.path(""))
        .into_keys()
        .filter(|k| !k.contains('/'))
        .collect();
    top.sort();
    assert_eq!(top, ["canary.txt", "elsewhere", "out"]);
}

mod property {
    use super::*;
    use perfplan::emit::write_folder_with;
    use proptest::prelude::*;

    /// A marker entry made of pieces an attacker would combine.
    fn entry() -> impl Strategy<Value = String> {
        let piece = prop::sample::select(vec![
            "..",
            ".",
            "",
            "a",
            "canary.txt",
            "elsewhere",
            "victim.txt",
            "kustomization.yaml",
            "out",
            "~",
        ]);
        (any::<bool>(), prop::collection::vec(piece, 1..5))
            .prop_map(|(absolute, parts)| format!("{}{}", if absolute { "/" } else { "" }, parts.join("/")))
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 200, failure_persistence: None, ..ProptestConfig::default() })]

        /// Whatever the marker lists, nothing outside the folder changes, and a
        /// refusal changes nothing inside it either.
        #[test]
        fn no_marker_reaches_outside_the_folder(entries in prop::collection::vec(entry(), 1..4), force: bool) {
            let tree = Tree::new();
            let out = tree.path("out");
            let files = vec![
                ("kustomization.yaml".to_owned(), "resources: []\n".to_owned()),
                ("a".to_owned(), "x\n".to_owned()),
            ];
            write_folder_with(&out, &files, false).unwrap();
            let marker = out.join(".perfplan-bundle");
            let text = std::fs::read_to_string(&marker).unwrap() + &entries.join("\n") + "\n";
            std::fs::write(&marker, text).unwrap();
            let before = snapshot(&tree.path(""));
            let result = write_folder_with(&out, &files, force);
            let after = snapshot(&tree.path(""));
            let outside = |m: &BTreeMap<String, String>| -> Vec<(String, String)> {
                m.iter().filter(|(k, _)| *k != "out" && !k.starts_with("out/")).map(|(k, v)| (k.clone(), v.clone())).collect()
            };
            prop_assert_eq!(outside(&after), outside(&before));
            if result.is_err() {
                prop_assert_eq!(after, before);
            }
        }
    }
}
