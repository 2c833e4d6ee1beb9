//! Records the git commit perfplan is built from, for `perfplan --version`.
//!
//! A bug report that says which commit it came from can be reproduced; a version
//! number alone cannot tell two builds of an unreleased branch apart. Outside a git
//! checkout (a crates.io package, a source tarball) or without git, the commit is
//! `unknown`: the build never fails for want of it.

use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    let manifest_dir = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let commit = own_checkout(&manifest_dir)
        .then(|| git(&manifest_dir, &["rev-parse", "--short=7", "HEAD"]))
        .flatten()
        .unwrap_or_else(|| "unknown".to_owned());
    println!("cargo:rustc-env=PERFPLAN_COMMIT={commit}");
    // Rerun when HEAD moves: a commit, a checkout or a reset changes HEAD itself (a
    // detached HEAD) or the branch it points to. Without these lines cargo would run
    // this script once and keep printing the first commit.
    println!("cargo:rerun-if-changed=build.rs");
    for path in head_files(&manifest_dir).into_iter().filter(|p| p.exists()) {
        println!("cargo:rerun-if-changed={}", path.display());
    }
}

/// Run git in `dir`; its trimmed stdout when it succeeds with some.
fn git(dir: &Path, args: &[&str]) -> Option<String> {
    let out = Command::new("git").arg("-C").arg(dir).args(args).output().ok()?;
    let text = String::from_utf8(out.stdout).ok()?.trim().to_owned();
    (out.status.success() && !text.is_empty()).then_some(text)
}

/// Whether `dir` is the top of a git checkout, not a package unpacked somewhere inside
/// another project's repository (whose commit would be a wrong answer).
fn own_checkout(dir: &Path) -> bool {
    let top = git(dir, &["rev-parse", "--show-toplevel"]).map(PathBuf::from);
    top.and_then(|t| t.canonicalize().ok()) == dir.canonicalize().ok()
}

/// The files whose change means HEAD moved: HEAD, the ref it points to,
/// `packed-refs` (where a ref lives once `git gc` packed it) and HEAD's reflog
/// (written on every move, also when the ref is packed). Only existing files are
/// named: cargo reruns the script on every build for a missing one. Asked of git itself
/// rather than read from `.git`, because in a worktree (this project's own way of
/// working) `.git` is a file pointing elsewhere and branch refs live in the common
/// folder, not beside that worktree's HEAD.
fn head_files(dir: &Path) -> Vec<PathBuf> {
    let Some(head) = git(
        dir,
        &["rev-parse", "--path-format=absolute", "--git-path", "HEAD"],
    ) else {
        return vec![];
    };
    let mut files = vec![PathBuf::from(head)];
    if let Some(common) = git(dir, &["rev-parse", "--path-format=absolute", "--git-common-dir"]) {
        files.push(Path::new(&common).join("packed-refs"));
    }
    if let Some(log) = git(
        dir,
        &["rev-parse", "--path-format=absolute", "--git-path", "logs/HEAD"],
    ) {
        files.push(PathBuf::from(log));
    }
    if let Some(branch) = git(dir, &["symbolic-ref", "-q", "HEAD"])
        && let Some(path) = git(
            dir,
            &["rev-parse", "--path-format=absolute", "--git-path", &branch],
        )
    {
        files.push(PathBuf::from(path));
    }
    files
}
