//! Runs a compiled pod's container as the kubelet would start the pod with a given
//! index: the downward API filled in for that index, `$(VAR)` and `$$` expanded, the
//! command run by a real shell (BusyBox `sh`, the shell of the Alpine-based tool
//! images, or the machine's `sh` where BusyBox is missing), and the load tool
//! replaced by a stub that records what it was given. Property tests use it to read
//! each pod's share from what the pod itself computes, not from the manifest.

use serde_json::Value;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// What the stub tool received.
#[derive(Debug)]
pub struct ToolRun {
    pub argv: Vec<String>,
    /// `JAVA_TOOL_OPTIONS` (Gatling's shares are system properties).
    pub java: String,
}

/// A folder of stub tools and the place they write to.
pub struct Stubs {
    bin: PathBuf,
    out: PathBuf,
}

impl Stubs {
    /// Stub `jmeter`, `k6`, `gatling.sh`, `gatling-cluster` that record their argv
    /// and `JAVA_TOOL_OPTIONS`; a `getent` under which every peer resolves (start
    /// barriers pass at once); and no-op `mkdir`/`cp`, so a script never writes
    /// outside `dir` (a Gatling runner copies its sources to /tmp).
    pub fn new(dir: &Path) -> Stubs {
        let (bin, out) = (dir.join("bin"), dir.join("out"));
        std::fs::create_dir_all(&bin).unwrap();
        std::fs::create_dir_all(&out).unwrap();
        let record = "#!/bin/sh\nprintf '%s\\n' \"$@\" > \"$STUB_OUT/argv\"\n\
                      printf '%s' \"${JAVA_TOOL_OPTIONS:-}\" > \"$STUB_OUT/java\"\n";
        for (name, body) in [
            ("jmeter", record),
            ("k6", record),
            ("gatling.sh", record),
            ("gatling-cluster", record),
            ("getent", "#!/bin/sh\nexit 0\n"),
            ("mkdir", "#!/bin/sh\nexit 0\n"),
            ("cp", "#!/bin/sh\nexit 0\n"),
        ] {
            let path = bin.join(name);
            std::fs::write(&path, body).unwrap();
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        Stubs { bin, out }
    }
}

/// The shell the images run `sh -c` with: BusyBox where the machine has it (looked
/// for once: a property test runs thousands of pods).
fn shell() -> &'static [&'static str] {
    static SHELL: OnceLock<&'static [&'static str]> = OnceLock::new();
    SHELL.get_or_init(|| {
        let busybox = Command::new("busybox").arg("true").output();
        if busybox.is_ok_and(|o| o.status.success()) {
            &["busybox", "sh"]
        } else {
            &["sh"]
        }
    })
}

/// The kubelet's expansion of `$(NAME)` references (to earlier env vars) and `$$`.
pub fn kubelet_expand(s: &str, env: &[(String, String)]) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        if let Some(after) = tail.strip_prefix("$$") {
            out.push('$');
            rest = after;
        } else if let Some(body) = tail.strip_prefix("$(")
            && let Some(end) = body.find(')')
            && let Some((_, v)) = env.iter().find(|(k, _)| *k == body[..end])
        {
            out.push_str(v);
            rest = &body[end + 1..];
        } else {
            out.push('$');
            rest = &tail[1..];
        }
    }
    out.push_str(rest);
    out
}

/// The downward API's value of `path` for pod `index` of the workload `workload`.
fn field(path: &str, workload: &str, index: u32) -> String {
    match path {
        // StatefulSet pods are named `<set>-<ordinal>`.
        "metadata.name" => format!("{workload}-{index}"),
        "status.podIP" => "10.0.0.9".to_owned(),
        "metadata.namespace" => "perf".to_owned(),
        p if p.contains("job-completion-index") => index.to_string(),
        p => panic!("unexpected downward API field {p}"),
    }
}

/// Runs the first container of `workload`'s pod template for the pod with `index`,
/// in `dir`, and returns what its tool received. Panics if the command fails.
pub fn run(stubs: &Stubs, workload: &Value, index: u32, dir: &Path) -> ToolRun {
    let name = workload["metadata"]["name"].as_str().unwrap();
    let container = workload.pointer("/spec/template/spec/containers/0").unwrap();
    let mut env: Vec<(String, String)> = Vec::new();
    for e in container["env"].as_array().into_iter().flatten() {
        let value = match e.get("value").and_then(Value::as_str) {
            Some(v) => kubelet_expand(v, &env),
            None => {
                let path = e.pointer("/valueFrom/fieldRef/fieldPath").unwrap();
                field(path.as_str().unwrap(), name, index)
            }
        };
        env.push((e["name"].as_str().unwrap().to_owned(), value));
    }
    let strings = |key: &str| -> Vec<String> {
        let values = container[key].as_array().into_iter().flatten();
        values
            .map(|v| kubelet_expand(v.as_str().unwrap(), &env))
            .collect()
    };
    let mut command = strings("command");
    if command[0] == "sh" {
        command.splice(0..1, shell().iter().map(|s| (*s).to_owned()));
    }
    std::fs::remove_file(stubs.out.join("argv")).ok();
    let output = Command::new(&command[0])
        .args(&command[1..])
        .args(strings("args"))
        .current_dir(dir)
        .env_clear()
        .env("PATH", format!("{}:/usr/bin:/bin", stubs.bin.display()))
        .env("STUB_OUT", &stubs.out)
        .envs(env.iter().map(|(k, v)| (k, v)))
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{name} pod {index}: {command:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let read = |file: &str| std::fs::read_to_string(stubs.out.join(file)).unwrap();
    ToolRun {
        argv: read("argv").lines().map(str::to_owned).collect(),
        java: read("java"),
    }
}
