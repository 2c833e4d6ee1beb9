//! A plan's whole life on one real API server, as docs/lifecycle.md tells it and as
//! a user runs it: `perfplan` and `kubectl` (with its kustomize) against
//! kube-apiserver 1.37. One server for every step, to keep the time small; the
//! steps run in order, each leaving the cluster as the next expects.
//!
//! The server has no controllers. Where a step relies on one, the test plays its
//! part and says so: the garbage collector, which removes the `foregroundDeletion`
//! finalizer once an object's dependents are gone (a Job's pods; none exist here).

#[path = "life.rs"]
mod life;

use super::support;
use life::{Life, plan, text};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};
use support::apiserver::ApiServer;

/// The plan's labels, as the docs' `SEL`.
const SEL: &str = "app.kubernetes.io/instance=checkout-peak,app.kubernetes.io/managed-by=perfplan";
/// Every kind a bundle holds but the Namespace, and the RBAC kinds Gatling cluster
/// bundles held before their workers were found through DNS (what docs/lifecycle.md
/// deletes by label, so leftovers of an older bundle go too).
const KINDS: &str =
    "jobs,statefulsets,deployments,services,configmaps,networkpolicies,serviceaccounts,roles,rolebindings";

#[test]
fn a_plans_life_from_first_apply_to_teardown() {
    let started = Instant::now();
    let dir = tempfile::tempdir().unwrap();
    let life = Life {
        server: ApiServer::start(&dir.path().join("server")),
        dir: dir.path().to_owned(),
    };
    let up = started.elapsed();
    what_a_fresh_cluster_lacks(&life);
    let bundle = first_apply(&life);
    a_finished_job_is_named(&life);
    run_again(&life, &bundle);
    change_through_a_replace(&life);
    elsewhere_as_kustomize_puts_it(&life);
    a_user_without_grants(&life);
    the_results_reader_is_admitted(&life);
    tear_down(&life);
    let steps = started.elapsed();
    frozen_then_stopped(&life);
    eprintln!(
        "lifecycle: server up in {:.1}s, steps {:.1}s, timeouts {:.1}s",
        up.as_secs_f32(),
        (steps - up).as_secs_f32(),
        (started.elapsed() - steps).as_secs_f32()
    );
}

/// Before anything exists: every object added, and findings for the namespace and
/// the PriorityClass the plan names (k6-uneven runs at `load-testing`).
fn what_a_fresh_cluster_lacks(life: &Life) {
    let out = life.diff(&plan("k6-uneven.yaml"), &["--output", "json"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        report["summary"]["added"],
        report["objects"].as_array().unwrap().len()
    );
    let findings = report["findings"].to_string();
    assert!(
        findings.contains("namespace `perf-testing` does not exist"),
        "{findings}"
    );
    assert!(
        findings.contains("perfplan compile PLAN --create-namespace"),
        "{findings}"
    );
    assert!(
        findings.contains("PriorityClass `load-testing` does not exist"),
        "{findings}"
    );
    let human = life.diff(&plan("k6-uneven.yaml"), &[]);
    eprintln!(
        "{}",
        text(&human.stdout)
            .lines()
            .rev()
            .take(3)
            .collect::<Vec<_>>()
            .join("\n")
    );
}

/// `compile --create-namespace` and `kubectl apply -k` on a fresh cluster; then the
/// plan compares clean.
fn first_apply(life: &Life) -> PathBuf {
    let bundle = life.compile(&plan("k6-basic.yaml"), "checkout-peak", &["--create-namespace"]);
    let applied = life.ok(&["apply", "-k", bundle.to_str().unwrap()]);
    assert!(applied.starts_with("namespace/perf-testing created"), "{applied}");
    let out = life.diff(&plan("k6-basic.yaml"), &[]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    bundle
}

/// A Job the Job controller marked complete (the test writes the status it would:
/// no controller runs here) compares clean, and a finding says it will not run
/// again.
fn a_finished_job_is_named(life: &Life) {
    let (start, end) = ("2026-12-01T10:00:00Z", "2026-12-01T10:25:00Z");
    let condition = |kind: &str, reason: &str| {
        serde_json::json!({"type": kind, "status": "True", "reason": reason, "message": "",
            "lastProbeTime": end, "lastTransitionTime": end})
    };
    let status = serde_json::json!({"status": {
        "startTime": start, "completionTime": end, "succeeded": 3, "completedIndexes": "0-2",
        "ready": 0, "terminating": 0, "uncountedTerminatedPods": {},
        "conditions": [condition("SuccessCriteriaMet", "CompletionsReached"), condition("Complete", "CompletionsReached")],
    }});
    life.ok(&[
        "patch",
        "job",
        "checkout-peak-k6-runner",
        "-n",
        "perf-testing",
        "--subresource=status",
        "--type=merge",
        "-p",
        &status.to_string(),
    ]);
    let out = life.diff(&plan("k6-basic.yaml"), &[]);
    let shown = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{shown}{}", text(&out.stderr));
    assert!(
        shown.contains("note: Job `checkout-peak-k6-runner` has finished (Complete): applying the plan does not run it again"),
        "{shown}"
    );
    assert!(shown.contains("note: DIR: "), "{shown}");
}

/// Run again: delete the plan's Jobs by label (foreground), apply again; the Jobs
/// are created anew.
fn run_again(life: &Life, bundle: &Path) {
    let released = life.delete_foreground(&[
        "delete",
        "jobs",
        "-n",
        "perf-testing",
        "-l",
        SEL,
        "--cascade=foreground",
    ]);
    assert_eq!(released.len(), 2, "both Jobs waited for their pods: {released:?}");
    let applied = life.ok(&["apply", "-k", bundle.to_str().unwrap()]);
    assert!(
        applied.contains("job.batch/checkout-peak-k6-runner created"),
        "{applied}"
    );
    assert!(
        applied.contains("job.batch/checkout-peak-k6-starter created"),
        "{applied}"
    );
}

/// A generators change shows the Jobs replaced (not exit 2); performing the
/// printed commands makes the cluster match the plan.
fn change_through_a_replace(life: &Life) {
    std::fs::create_dir_all(life.dir.join("scripts")).unwrap();
    std::fs::copy(plan("scripts/checkout.js"), life.dir.join("scripts/checkout.js")).unwrap();
    let scaled = life.dir.join("k6-basic-scaled.yaml");
    let text_of_plan = std::fs::read_to_string(plan("k6-basic.yaml")).unwrap();
    std::fs::write(&scaled, text_of_plan.replace("generators: 3", "generators: 5")).unwrap();
    let out = life.diff(&scaled, &[]);
    let shown = text(&out.stdout);
    eprintln!("{shown}");
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(
        shown.contains(
            "! Job perf-testing/checkout-peak-k6-runner (replace: spec.template cannot change in place)"
        ),
        "{shown}"
    );
    assert!(shown.contains("    spec.completions: 3 -> 5\n"), "{shown}");
    assert!(
        !shown.contains("controller-uid"),
        "server additions are not shown: {shown}"
    );
    assert!(
        shown.ends_with("0 added, 0 removed, 0 changed, 2 replaced, 8 unchanged\n"),
        "{shown}"
    );
    let json = life.diff(&scaled, &["--output", "json"]);
    let report: Value = serde_json::from_slice(&json.stdout).unwrap();
    let folder = life.compile(&scaled, "scaled", &[]);
    for command in report["replace"].as_array().unwrap() {
        let command = command.as_str().unwrap().replace("DIR", folder.to_str().unwrap());
        let args: Vec<&str> = command.split_whitespace().skip(1).collect();
        if args[0] == "delete" {
            assert_eq!(life.delete_foreground(&args).len(), 2, "{command}");
        } else {
            life.ok(&args);
        }
    }
    let out = life.diff(&scaled, &[]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
}

/// The Gatling cluster example applied into another namespace by a kustomization
/// with `namespace:` over perfplan's folder: `diff --namespace` compares clean, and
/// the bundle created no ServiceAccount, Role or RoleBinding. A cluster that still
/// holds the discovery RBAC of an older bundle (as perfplan emitted it before DNS
/// discovery) sees it listed as removed; the migration note's delete clears it.
fn elsewhere_as_kustomize_puts_it(life: &Life) {
    life.compile(&plan("gatling-cluster.yaml"), "gatling", &[]);
    let overlay = life.dir.join("gatling-elsewhere");
    std::fs::create_dir_all(&overlay).unwrap();
    std::fs::write(
        overlay.join("kustomization.yaml"),
        "namespace: gx\nresources:\n- ../gatling\n",
    )
    .unwrap();
    life.ok(&["create", "namespace", "gx"]);
    life.ok(&["apply", "-k", overlay.to_str().unwrap()]);
    let diff_clean = || {
        let out = life.diff(&plan("gatling-cluster.yaml"), &["--namespace", "gx"]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}{}",
            text(&out.stdout),
            text(&out.stderr)
        );
    };
    diff_clean();
    let rbac = life.ok(&[
        "get",
        "serviceaccounts,roles,rolebindings",
        "-n",
        "gx",
        "-o",
        "name",
    ]);
    assert_eq!(rbac.trim(), "", "the bundle created RBAC");
    // The three objects older bundles held, with the labels they had.
    let old = life.dir.join("old-discovery-rbac.yaml");
    std::fs::write(&old, OLD_DISCOVERY_RBAC).unwrap();
    life.ok(&["apply", "-n", "gx", "-f", old.to_str().unwrap()]);
    let out = life.diff(&plan("gatling-cluster.yaml"), &["--namespace", "gx"]);
    let shown = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{shown}{}", text(&out.stderr));
    for kind in ["ServiceAccount", "Role", "RoleBinding"] {
        let line = format!("- {kind} gx/checkout-peak-gatling-discovery");
        assert!(shown.contains(&line), "{line} not in:\n{shown}");
    }
    assert!(shown.contains("0 added, 3 removed, 0 changed"), "{shown}");
    life.ok(&["delete", "serviceaccount,role,rolebinding", "-n", "gx", "-l", SEL]);
    diff_clean();
    life.ok(&["delete", "-k", overlay.to_str().unwrap()]);
}

/// The discovery ServiceAccount, Role and RoleBinding of a Gatling cluster bundle
/// from before DNS discovery, as that compiler wrote them (labels included).
const OLD_DISCOVERY_RBAC: &str = "\
apiVersion: v1
kind: ServiceAccount
automountServiceAccountToken: false
metadata:
  name: checkout-peak-gatling-discovery
  labels:
    app.kubernetes.io/component: master
    app.kubernetes.io/instance: checkout-peak
    app.kubernetes.io/managed-by: perfplan
    app.kubernetes.io/name: gatling
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: checkout-peak-gatling-discovery
  labels:
    app.kubernetes.io/component: master
    app.kubernetes.io/instance: checkout-peak
    app.kubernetes.io/managed-by: perfplan
    app.kubernetes.io/name: gatling
rules:
- apiGroups: ['']
  resources: [pods]
  verbs: [get, list]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: checkout-peak-gatling-discovery
  labels:
    app.kubernetes.io/component: master
    app.kubernetes.io/instance: checkout-peak
    app.kubernetes.io/managed-by: perfplan
    app.kubernetes.io/name: gatling
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: Role
  name: checkout-peak-gatling-discovery
subjects:
- kind: ServiceAccount
  name: checkout-peak-gatling-discovery
  namespace: gx
";

/// A user without grants: the 403 names the context perfplan used, and the hint,
/// run as given, checks that user (with the admin current, it answers `no`). Given
/// a Role over the bundle's kinds in the namespace only (a Role granting
/// `namespaces` there would let it get its own namespace), the namespace and
/// PriorityClass checks are findings (could not check), not errors.
fn a_user_without_grants(life: &Life) {
    let both = std::env::join_paths([life.server.kubeconfig(), life.server.kubeconfig_limited()]).unwrap();
    let both = PathBuf::from(both);
    let basic = plan("k6-basic.yaml");
    for (kubeconfig, extra) in [
        (life.server.kubeconfig_limited(), vec![]),
        (both.clone(), vec!["--context", "limited"]),
    ] {
        let mut args = vec!["diff", basic.to_str().unwrap(), "--cluster"];
        args.extend(&extra);
        let out = life.perfplan(&kubeconfig, &args);
        let err = text(&out.stderr);
        eprintln!("{err}");
        assert_eq!(out.status.code(), Some(2), "{err}");
        let hint = err
            .split('`')
            .find(|s| s.starts_with("kubectl auth can-i"))
            .unwrap_or_else(|| panic!("{err}"));
        assert!(hint.ends_with(" --context limited"), "{err}");
        let args: Vec<&str> = hint.split_whitespace().skip(1).collect();
        let answer = life.kubectl_as(&both, &args);
        assert_eq!(
            text(&answer.stdout).trim(),
            "no",
            "{hint}: {}",
            text(&answer.stderr)
        );
    }
    let role = r#"{"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
        "metadata": {"name": "all", "namespace": "perf-testing"},
        "rules": [{"apiGroups": ["*"], "verbs": ["*"], "resources": ["networkpolicies", "configmaps",
            "services", "jobs", "statefulsets", "deployments", "serviceaccounts", "roles", "rolebindings"]}]}"#;
    let role_file = life.dir.join("role.json");
    std::fs::write(&role_file, role).unwrap();
    life.ok(&["apply", "-f", role_file.to_str().unwrap()]);
    life.ok(&[
        "create",
        "rolebinding",
        "all",
        "-n",
        "perf-testing",
        "--role",
        "all",
        "--user",
        "limited",
    ]);
    let uneven = plan("k6-uneven.yaml");
    let out = life.perfplan(
        &life.server.kubeconfig_limited(),
        &["diff", uneven.to_str().unwrap(), "--cluster"],
    );
    let shown = text(&out.stdout);
    eprintln!("{}", shown.lines().rev().take(3).collect::<Vec<_>>().join("\n"));
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(
        shown.contains(
            "note: could not check that Namespace `perf-testing` exists: the user may not get namespaces (403; \
             `kubectl auth can-i get namespaces/perf-testing --context limited` checks)"
        ),
        "{shown}"
    );
    assert!(
        shown.contains("note: could not check that PriorityClass `load-testing` exists"),
        "{shown}"
    );
    // Each check's hint, run as given, answers for that user: `no`.
    for hint in shown.split('`').filter(|s| s.starts_with("kubectl auth can-i")) {
        let args: Vec<&str> = hint.split_whitespace().skip(1).collect();
        let answer = life.kubectl_as(&life.server.kubeconfig_limited(), &args);
        assert_eq!(
            text(&answer.stdout).trim(),
            "no",
            "{hint}: {}",
            text(&answer.stderr)
        );
    }
    life.ok(&["delete", "rolebinding,role", "all", "-n", "perf-testing"]);
}

/// The reader pod of docs/lifecycle.md is admitted under `restricted` (dry run,
/// no warning); a pod naming a missing PriorityClass is refused, as the finding
/// says.
fn the_results_reader_is_admitted(life: &Life) {
    life.ok(&["create", "serviceaccount", "default", "-n", "perf-testing"]);
    let labels = life.ok(&[
        "get",
        "namespace",
        "perf-testing",
        "-o",
        "jsonpath={.metadata.labels}",
    ]);
    assert!(
        labels.contains(r#""pod-security.kubernetes.io/enforce":"restricted""#),
        "{labels}"
    );
    let docs = std::fs::read_to_string(support::root().join("docs/lifecycle.md")).unwrap();
    let reader = docs
        .split("<!-- reader-pod")
        .nth(1)
        .and_then(|rest| rest.split("```yaml\n").nth(1))
        .and_then(|rest| rest.split("```").next())
        .expect("docs/lifecycle.md holds the reader pod");
    let file = life.dir.join("reader.yaml");
    std::fs::write(&file, reader).unwrap();
    let out = life.kubectl(&["create", "--dry-run=server", "-f", file.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(!text(&out.stderr).contains("Warning"), "{}", text(&out.stderr));
    let prioritized = reader.replace(
        "  restartPolicy: Never\n",
        "  restartPolicy: Never\n  priorityClassName: load-testing\n",
    );
    std::fs::write(&file, prioritized).unwrap();
    let out = life.kubectl(&["create", "--dry-run=server", "-f", file.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("no PriorityClass with name load-testing was found"),
        "{}",
        text(&out.stderr)
    );
}

/// Teardown by label: afterwards no object with the plan's labels remains; and
/// `kubectl delete -k` of the bundle (as the docs give it) finds nothing left but
/// the namespace it created. `--wait=false` only here: without the namespace
/// controller a deleted namespace stays Terminating, and kubectl would wait forever.
fn tear_down(life: &Life) {
    life.ok(&["delete", KINDS, "-n", "perf-testing", "-l", SEL]);
    let left = life.ok(&["get", KINDS, "-A", "-l", SEL, "-o", "name"]);
    assert_eq!(left, "", "objects of the plan remain");
    let bundle = life.dir.join("checkout-peak");
    let out = life.kubectl(&[
        "delete",
        "-k",
        bundle.to_str().unwrap(),
        "--ignore-not-found",
        "--wait=false",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout).trim(), "namespace \"perf-testing\" deleted");
}

/// A frozen server (SIGSTOP) times out within --timeout; a stopped one is a refused
/// connection, at once. Distinct messages, exit 2.
fn frozen_then_stopped(life: &Life) {
    struct Thaw(u32);
    impl Drop for Thaw {
        fn drop(&mut self) {
            let _ = Command::new("kill").args(["-CONT", &self.0.to_string()]).status();
        }
    }
    let pid = life.server.apiserver_pid();
    let basic = plan("k6-basic.yaml");
    let timed = |expect: &str| {
        let started = Instant::now();
        let out = life.diff(&basic, &["--timeout", "2s"]);
        let took = started.elapsed();
        let err = text(&out.stderr);
        eprintln!("{took:?}: {err}");
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(err.contains(expect), "{err}");
        took
    };
    let thaw = Thaw(pid);
    assert!(
        Command::new("kill")
            .args(["-STOP", &pid.to_string()])
            .status()
            .unwrap()
            .success()
    );
    let took = timed("timed out after 2s waiting for the API server at https://127.0.0.1:");
    drop(thaw);
    assert!(
        took >= Duration::from_secs(2) && took < Duration::from_secs(4),
        "a hang ends at --timeout: {took:?}"
    );
    life.server.stop();
    let refused = format!("connection refused: nothing listens at {}", life.server.url);
    let took = timed(&refused);
    assert!(
        took < Duration::from_secs(1),
        "a refused connection is immediate: {took:?}"
    );
}
