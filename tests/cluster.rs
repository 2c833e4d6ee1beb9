//! `perfplan diff PLAN --cluster` against an API server played by this test: a local
//! HTTP server answering the calls perfplan makes (get, server-side apply dry-run,
//! list) with the response bodies the Kubernetes API reference documents, including
//! its error statuses. No real cluster runs on these machines; see the README.
#![cfg(feature = "cluster")]

mod support;

use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Command, Output};
use std::sync::{Arc, Mutex};
use support::*;

/// How the fake API server behaves.
#[derive(Clone, Default)]
struct Cluster {
    /// Live objects by API path (`/apis/apps/v1/namespaces/ns/statefulsets/x`).
    live: BTreeMap<String, Value>,
    /// (method, path prefix) → (status code, body) overrides.
    fail: Vec<(&'static str, String, u16, Value)>,
    /// Accept connections but never answer.
    hang: bool,
    /// The plan's namespace does not exist.
    no_namespace: bool,
}

/// A `Status` body as the API server sends it for errors.
fn status(code: u16, reason: &str, message: &str) -> Value {
    json!({
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code
    })
}

/// What the server stores for an applied object: bookkeeping and defaults added.
fn server_view(mut object: Value) -> Value {
    let meta = object["metadata"].as_object_mut().unwrap();
    meta.insert("uid".into(), json!("6f7a2b0e-0000-4000-8000-000000000001"));
    meta.insert("resourceVersion".into(), json!("12345"));
    meta.insert("creationTimestamp".into(), json!("2026-11-29T10:00:00Z"));
    meta.insert(
        "managedFields".into(),
        json!([{"manager": "perfplan", "operation": "Apply", "apiVersion": "v1"}]),
    );
    if let Some(pod) = object
        .pointer_mut("/spec/template/spec")
        .and_then(Value::as_object_mut)
    {
        // Defaults the plan never sets: they must not show as differences.
        pod.insert("dnsPolicy".into(), json!("ClusterFirst"));
        pod.insert("schedulerName".into(), json!("default-scheduler"));
    }
    object
}

fn api_path(m: &Value) -> String {
    let api_version = m["apiVersion"].as_str().unwrap();
    let kind = m["kind"].as_str().unwrap().to_ascii_lowercase();
    let plural = if kind.ends_with('y') {
        format!("{}ies", &kind[..kind.len() - 1])
    } else {
        format!("{kind}s")
    };
    let prefix = if api_version.contains('/') {
        format!("/apis/{api_version}")
    } else {
        format!("/api/{api_version}")
    };
    format!(
        "{prefix}/namespaces/{}/{plural}/{}",
        m["metadata"]["namespace"].as_str().unwrap(),
        m["metadata"]["name"].as_str().unwrap()
    )
}

fn respond(cluster: &Cluster, method: &str, target: &str, body: &[u8]) -> (u16, Value) {
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    for (m, prefix, code, body) in &cluster.fail {
        if *m == method && path.starts_with(prefix.as_str()) {
            return (*code, body.clone());
        }
    }
    if let Some(ns) = path
        .strip_prefix("/api/v1/namespaces/")
        .filter(|n| !n.contains('/'))
    {
        if cluster.no_namespace {
            return (
                404,
                status(404, "NotFound", &format!("namespaces \"{ns}\" not found")),
            );
        }
        return (
            200,
            json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}}),
        );
    }
    match method {
        "GET" if cluster.live.contains_key(path) => {
            let mut object = cluster.live[path].clone();
            object["status"] = json!({"observedGeneration": 1});
            (200, object)
        }
        "GET"
            if path
                .split("/namespaces/")
                .nth(1)
                .is_some_and(|rest| rest.split('/').count() == 2) =>
        {
            // A collection: `.../namespaces/<ns>/<plural>`.
            let selector: Vec<String> = query
                .split('&')
                .find_map(|kv| kv.strip_prefix("labelSelector="))
                .map(|s| urldecode(s).split(',').map(str::to_owned).collect())
                .unwrap_or_default();
            let items: Vec<Value> = cluster
                .live
                .iter()
                .filter(|(p, _)| p.rsplit_once('/').is_some_and(|(dir, _)| dir == path))
                .filter(|(_, o)| {
                    selector.iter().all(|kv| {
                        let (k, v) = kv.split_once('=').unwrap();
                        o["metadata"]["labels"][k] == v
                    })
                })
                .map(|(_, o)| o.clone())
                .collect();
            (
                200,
                json!({"kind": "List", "apiVersion": "v1", "metadata": {"resourceVersion": "12345"}, "items": items}),
            )
        }
        "GET" => {
            let name = path.rsplit('/').next().unwrap();
            (404, status(404, "NotFound", &format!("\"{name}\" not found")))
        }
        "PATCH" => {
            assert!(
                query.contains("dryRun=All"),
                "perfplan only ever dry-runs: {target}"
            );
            assert!(query.contains("fieldManager=perfplan"), "{target}");
            let applied: Value = serde_json::from_slice(body).unwrap();
            (200, server_view(applied))
        }
        other => panic!("unexpected {other} {target}"),
    }
}

fn urldecode(s: &str) -> String {
    let mut out = Vec::new();
    let bytes = s.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            out.push(u8::from_str_radix(&s[i + 1..i + 3], 16).unwrap());
            i += 3;
        } else {
            out.push(if bytes[i] == b'+' { b' ' } else { bytes[i] });
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

/// Serve `cluster` on a local port; returns its URL and the requests it saw.
fn serve(cluster: Cluster) -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let cluster = cluster.clone();
            let log = log.clone();
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    let mut parts = line.split_whitespace();
                    let (method, target) = (
                        parts.next().unwrap_or("").to_owned(),
                        parts.next().unwrap_or("").to_owned(),
                    );
                    let mut length = 0;
                    loop {
                        let mut header = String::new();
                        reader.read_line(&mut header).unwrap();
                        if header.trim().is_empty() {
                            break;
                        }
                        if let Some(v) = header.to_ascii_lowercase().strip_prefix("content-length:") {
                            length = v.trim().parse().unwrap();
                        }
                    }
                    let mut body = vec![0; length];
                    reader.read_exact(&mut body).unwrap();
                    log.lock().unwrap().push(format!("{method} {target}"));
                    if cluster.hang {
                        std::thread::sleep(std::time::Duration::from_secs(30));
                        return;
                    }
                    let (code, value) = respond(&cluster, &method, &target, &body);
                    let text = value.to_string();
                    let reply = format!(
                        "HTTP/1.1 {code} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{text}",
                        text.len()
                    );
                    if stream.write_all(reply.as_bytes()).is_err() {
                        return;
                    }
                }
            });
        }
    });
    (url, seen)
}

fn kubeconfig(dir: &Path, server: &str) -> std::path::PathBuf {
    let path = dir.join("kubeconfig");
    std::fs::write(
        &path,
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: test\n  cluster:\n    server: {server}\n\
             users:\n- name: dev\n  user:\n    token: test-token\n\
             contexts:\n- name: test\n  context:\n    cluster: test\n    user: dev\n\
             current-context: test\n"
        ),
    )
    .unwrap();
    path
}

fn diff_against(cluster: Cluster, extra: &[&str]) -> (Output, Vec<String>) {
    let (url, seen) = serve(cluster);
    let dir = tempfile::tempdir().unwrap();
    let config = kubeconfig(dir.path(), &url);
    let out = run_with(&config, dir.path(), extra);
    let seen = seen.lock().unwrap().clone();
    (out, seen)
}

fn run_with(config: &Path, home: &Path, extra: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_perfplan"))
        .args([
            "diff",
            root().join("plans/jmeter-basic.yaml").to_str().unwrap(),
            "--cluster",
        ])
        .args(extra)
        .env("KUBECONFIG", config)
        .env("HOME", home)
        .env_remove("KUBERNETES_SERVICE_HOST")
        .output()
        .unwrap()
}

fn compiled() -> Vec<Value> {
    perfplan::compile(&plan(&root().join("plans/jmeter-basic.yaml")))
        .manifests
        .into_iter()
        .map(|m| m.value)
        .collect()
}

/// A cluster where the plan is applied exactly.
fn in_sync() -> Cluster {
    let live = compiled()
        .into_iter()
        .map(|o| (api_path(&o), server_view(o)))
        .collect();
    Cluster {
        live,
        ..Default::default()
    }
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn an_empty_namespace_shows_every_object_added_after_a_dry_run() {
    let (out, seen) = diff_against(Cluster::default(), &[]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains("+ StatefulSet perf-testing/checkout-peak-jmeter-worker"),
        "{text}"
    );
    assert!(
        text.ends_with("9 added, 0 removed, 0 changed, 0 replaced, 0 unchanged\n"),
        "{text}"
    );
    let patches = seen.iter().filter(|r| r.starts_with("PATCH")).count();
    assert_eq!(
        patches, 9,
        "every object is validated by a dry-run apply: {seen:?}"
    );
}

#[test]
fn a_cluster_in_sync_has_no_differences_despite_server_defaults() {
    let (out, _) = diff_against(in_sync(), &[]);
    assert_eq!(out.status.code(), Some(0), "{}{}", stdout(&out), stderr(&out));
    assert_eq!(
        stdout(&out),
        "0 added, 0 removed, 0 changed, 0 replaced, 9 unchanged\n"
    );
}

#[test]
fn drift_and_orphans_are_shown_field_by_field() {
    let mut cluster = in_sync();
    let set = cluster
        .live
        .iter_mut()
        .find(|(p, _)| p.ends_with("/statefulsets/checkout-peak-jmeter-worker"))
        .unwrap()
        .1;
    set["spec"]["replicas"] = json!(3);
    let mut orphan = compiled().into_iter().find(|o| o["kind"] == "ConfigMap").unwrap();
    orphan["metadata"]["name"] = json!("checkout-peak-jmeter-script-0000000000");
    cluster.live.insert(api_path(&orphan), server_view(orphan));
    let (out, _) = diff_against(cluster, &["--output", "json"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        report["summary"],
        json!({"added": 0, "removed": 1, "changed": 1, "replaced": 0, "unchanged": 8})
    );
    let changed = report["objects"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["change"] == "changed")
        .unwrap();
    assert_eq!(
        changed["fields"],
        json!([{"path": "spec.replicas", "old": 3, "new": 5}])
    );
    let removed = report["objects"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["change"] == "removed")
        .unwrap();
    assert_eq!(removed["name"], "checkout-peak-jmeter-script-0000000000");
}

#[test]
fn forbidden_says_which_verb_on_which_resource() {
    let mut cluster = in_sync();
    cluster.fail.push((
        "GET",
        "/apis/apps/v1/namespaces/perf-testing/statefulsets/".into(),
        403,
        status(
            403,
            "Forbidden",
            "statefulsets.apps \"checkout-peak-jmeter-worker\" is forbidden: User \"dev\" cannot get resource \
             \"statefulsets\" in API group \"apps\" in the namespace \"perf-testing\"",
        ),
    ));
    let (out, _) = diff_against(cluster, &[]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("needs `get` on `statefulsets.apps` in namespace `perf-testing`"),
        "{err}"
    );
    assert!(
        err.contains("kubectl auth can-i get statefulsets.apps -n perf-testing --context test"),
        "{err}"
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn unauthorized_says_to_log_in_again() {
    let mut cluster = Cluster::default();
    cluster.fail.push((
        "GET",
        "/".into(),
        401,
        status(401, "Unauthorized", "Unauthorized"),
    ));
    let (out, _) = diff_against(cluster, &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("rejected the credentials (401 Unauthorized)"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_missing_api_is_named() {
    let mut cluster = in_sync();
    cluster.fail.push((
        "GET",
        "/apis/networking.k8s.io/v1/namespaces/perf-testing/networkpolicies".into(),
        404,
        status(
            404,
            "NotFound",
            "the server could not find the requested resource",
        ),
    ));
    let (out, _) = diff_against(cluster, &[]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("networking.k8s.io/v1") && err.contains("networkpolicies"),
        "{err}"
    );
}

#[test]
fn an_unreachable_server_and_a_timeout_are_explained() {
    // A port nothing listens on.
    let closed = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let config = kubeconfig(dir.path(), &format!("http://{closed}"));
    let out = run_with(&config, dir.path(), &["--timeout", "5s"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains(&format!("connection refused: nothing listens at http://{closed}")),
        "{}",
        stderr(&out)
    );

    let (out, _) = diff_against(
        Cluster {
            hang: true,
            ..Default::default()
        },
        &["--timeout", "1s"],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("timed out after 1s"), "{}", stderr(&out));
}

#[test]
fn no_kubeconfig_is_explained() {
    let dir = tempfile::tempdir().unwrap();
    let out = run_with(&dir.path().join("missing"), dir.path(), &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("kubeconfig"), "{}", stderr(&out));
}

/// A missing namespace is no error: every object is added, and a finding says to
/// create the namespace.
#[test]
fn a_missing_namespace_adds_everything_and_says_to_create_it() {
    let cluster = Cluster {
        no_namespace: true,
        ..Default::default()
    };
    let (out, seen) = diff_against(cluster, &["--output", "json"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["summary"]["added"], 9);
    let findings = report["findings"].to_string();
    assert!(
        findings.contains("namespace `perf-testing` does not exist"),
        "{findings}"
    );
    assert!(findings.contains("--create-namespace"), "{findings}");
    assert!(
        !seen.iter().any(|r| r.starts_with("PATCH")),
        "no dry-run into a missing namespace: {seen:?}"
    );
}

/// A field the server refuses to patch (422, `field is immutable`) makes a replace:
/// the fields that differ from the manifest, without the server's defaults.
#[test]
fn an_immutable_field_is_a_replace_not_an_error() {
    let mut cluster = in_sync();
    let path = "/apis/batch/v1/namespaces/perf-testing/jobs/checkout-peak-jmeter-controller";
    let job = cluster.live.get_mut(path).unwrap();
    job["spec"]["template"]["spec"]["containers"][0]["image"] = json!("old/jmeter:1");
    cluster.fail.push((
        "PATCH",
        path.into(),
        422,
        status(
            422,
            "Invalid",
            "Job.batch \"checkout-peak-jmeter-controller\" is invalid: spec.template: Invalid value: \
             {\"metadata\":{}}: field is immutable",
        ),
    ));
    let (out, _) = diff_against(cluster, &[]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains(
            "! Job perf-testing/checkout-peak-jmeter-controller (replace: spec.template cannot change in place)"
        ),
        "{text}"
    );
    assert!(text.contains(".image: \"old/jmeter:1\" -> "), "{text}");
    assert!(
        !text.contains("dnsPolicy"),
        "server defaults are not differences: {text}"
    );
    assert!(
        text.contains(
            "kubectl delete job/checkout-peak-jmeter-controller -n perf-testing --cascade=foreground"
        ),
        "{text}"
    );
    assert!(
        text.ends_with("0 added, 0 removed, 0 changed, 1 replaced, 8 unchanged\n"),
        "{text}"
    );
}
