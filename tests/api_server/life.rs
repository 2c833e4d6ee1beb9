//! The user's tools, against one real API server: `kubectl` (with its kustomize)
//! and the built `perfplan`, each run as a user runs it.

use super::super::support;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};
use support::apiserver::ApiServer;

pub struct Life {
    pub server: ApiServer,
    /// The user's working folder: bundles, plans, kubeconfig-free HOME.
    pub dir: PathBuf,
}

/// The kubectl the lifecycle test runs the documented commands with: `PERFPLAN_KUBECTL`
/// (tools/test.sh sets it from tools/kubectl.sh, which fetches Debian's when there is
/// none), else `kubectl` on PATH.
fn kubectl() -> std::ffi::OsString {
    std::env::var_os("PERFPLAN_KUBECTL").unwrap_or_else(|| "kubectl".into())
}

impl Life {
    pub fn kubectl(&self, args: &[&str]) -> Output {
        self.kubectl_as(&self.server.kubeconfig(), args)
    }

    pub fn kubectl_as(&self, kubeconfig: &Path, args: &[&str]) -> Output {
        Command::new(kubectl())
            .args(args)
            .env("KUBECONFIG", kubeconfig)
            .output()
            .expect("run kubectl (PERFPLAN_KUBECTL, set by tools/test.sh from tools/kubectl.sh, or kubectl on PATH)")
    }

    /// kubectl that must succeed; its stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.kubectl(args);
        assert!(out.status.success(), "kubectl {args:?}: {}", text(&out.stderr));
        text(&out.stdout)
    }

    pub fn perfplan(&self, kubeconfig: &Path, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_perfplan"))
            .args(args)
            .env("KUBECONFIG", kubeconfig)
            .env("HOME", &self.dir)
            .env_remove("KUBERNETES_SERVICE_HOST")
            .current_dir(&self.dir)
            .output()
            .unwrap()
    }

    /// `perfplan diff PLAN --cluster …` as the admin.
    pub fn diff(&self, plan: &Path, extra: &[&str]) -> Output {
        let mut args = vec!["diff", plan.to_str().unwrap(), "--cluster", "--color", "never"];
        args.extend(extra);
        self.perfplan(&self.server.kubeconfig(), &args)
    }

    /// `perfplan compile PLAN -o DIR …`; DIR under the test's folder.
    pub fn compile(&self, plan: &Path, name: &str, extra: &[&str]) -> PathBuf {
        let out_dir = self.dir.join(name);
        let mut args = vec!["compile", plan.to_str().unwrap(), "-o", out_dir.to_str().unwrap()];
        args.extend(extra);
        let out = self.perfplan(&self.server.kubeconfig(), &args);
        assert!(out.status.success(), "{}", text(&out.stderr));
        out_dir
    }

    /// A kubectl delete that waits on the `foregroundDeletion` finalizer, with the
    /// test playing the garbage collector: each Job the server marked for foreground
    /// deletion (no pods exist without a Job controller) is released. The Jobs seen
    /// so, which shows the server took the deletion as foreground.
    pub fn delete_foreground(&self, args: &[&str]) -> Vec<String> {
        let mut child = Command::new(kubectl())
            .args(args)
            .env("KUBECONFIG", self.server.kubeconfig())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut released = Vec::new();
        let started = Instant::now();
        while child.try_wait().unwrap().is_none() {
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "kubectl {args:?} hangs"
            );
            let jobs: Value = serde_json::from_str(&self.ok(&["get", "jobs", "-A", "-o", "json"])).unwrap();
            for job in jobs["items"].as_array().unwrap() {
                let meta = &job["metadata"];
                let waiting = meta["finalizers"].to_string().contains("foregroundDeletion");
                if meta.get("deletionTimestamp").is_some() && waiting {
                    let (ns, name) = (
                        meta["namespace"].as_str().unwrap(),
                        meta["name"].as_str().unwrap(),
                    );
                    let patch = r#"{"metadata":{"finalizers":null}}"#;
                    self.ok(&["patch", "job", name, "-n", ns, "--type=merge", "-p", patch]);
                    released.push(name.to_owned());
                }
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "kubectl {args:?}: {}", text(&out.stderr));
        released
    }
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

pub fn plan(name: &str) -> PathBuf {
    support::root().join("plans").join(name)
}
