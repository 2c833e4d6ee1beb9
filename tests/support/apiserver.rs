//! A real kube-apiserver for the tests (`tools/apiserver.sh`), and requests to it
//! with the admin's client certificate through curl.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A running kube-apiserver; stopped when dropped.
pub struct ApiServer {
    pub dir: PathBuf,
    pub url: String,
}

impl ApiServer {
    pub fn start(dir: &Path) -> ApiServer {
        let out = Command::new(super::root().join("tools/apiserver.sh"))
            .arg("start")
            .arg(dir)
            .output()
            .expect("run tools/apiserver.sh");
        assert!(
            out.status.success(),
            "the API server did not start:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let stdout = String::from_utf8(out.stdout).unwrap();
        let url = stdout
            .lines()
            .find_map(|l| l.strip_prefix("APISERVER="))
            .expect("APISERVER= line")
            .to_owned();
        ApiServer {
            dir: dir.to_owned(),
            url,
        }
    }

    /// One request; (HTTP status, `Warning` headers, JSON body).
    pub fn request(
        &self,
        method: &str,
        path: &str,
        content_type: &str,
        body: &Value,
    ) -> (u16, Vec<String>, Value) {
        let pki = self.dir.join("pki");
        let headers = self.dir.join("headers.txt");
        let out = Command::new("curl")
            .args(["-sS", "--max-time", "30", "-X", method])
            .arg("--cacert")
            .arg(pki.join("ca.crt"))
            .arg("--cert")
            .arg(pki.join("admin.crt"))
            .arg("--key")
            .arg(pki.join("admin.key"))
            .args([
                "-H",
                &format!("Content-Type: {content_type}"),
                "-H",
                "Accept: application/json",
            ])
            .arg("-D")
            .arg(&headers)
            // No body for `Value::Null` (a GET): the server's HTTP/2 refuses one there.
            .args(if body.is_null() {
                vec![]
            } else {
                vec!["--data-binary".to_owned(), body.to_string()]
            })
            .arg(format!("{}{path}", self.url))
            .output()
            .expect("run curl");
        assert!(
            out.status.success(),
            "curl: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let head = std::fs::read_to_string(&headers).unwrap();
        let status = head
            .lines()
            .rev()
            .find(|l| l.starts_with("HTTP/"))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|s| s.parse().ok())
            .unwrap();
        let warnings = head
            .lines()
            .filter_map(|l| {
                l.strip_prefix("Warning: ")
                    .or_else(|| l.strip_prefix("warning: "))
            })
            .map(str::to_owned)
            .collect();
        (
            status,
            warnings,
            serde_json::from_slice(&out.stdout).unwrap_or(Value::Null),
        )
    }
}

impl Drop for ApiServer {
    fn drop(&mut self) {
        let _ = Command::new(super::root().join("tools/apiserver.sh"))
            .arg("stop")
            .arg(&self.dir)
            .status();
    }
}

impl ApiServer {
    /// The admin's kubeconfig (context `perfplan-test`).
    pub fn kubeconfig(&self) -> PathBuf {
        self.dir.join("kubeconfig")
    }

    /// The token user `limited`'s kubeconfig (context `limited`, no RBAC grants).
    pub fn kubeconfig_limited(&self) -> PathBuf {
        self.dir.join("kubeconfig-limited")
    }

    /// The kube-apiserver's process id, from `DIR/pids`.
    pub fn apiserver_pid(&self) -> u32 {
        let pids = std::fs::read_to_string(self.dir.join("pids")).unwrap();
        pids.lines()
            .find_map(|l| l.strip_prefix("kube-apiserver="))
            .and_then(|p| p.trim().parse().ok())
            .expect("kube-apiserver= in DIR/pids")
    }

    /// Stop the server now (dropping it later does nothing more).
    pub fn stop(&self) {
        let status = Command::new(super::root().join("tools/apiserver.sh"))
            .arg("stop")
            .arg(&self.dir)
            .status()
            .unwrap();
        assert!(status.success());
    }
}
