//! Every pod template of every example plan's bundle, as the compiler produces it now
//! (not the checked-in goldens, which a compiler change would not touch), meets the Pod Security Standards
//! "restricted" profile (which includes "baseline"), checked container by container
//! with init containers included, against the published rules:
//! <https://kubernetes.io/docs/concepts/security/pod-security-standards/>.
//! Plus perfplan's own guarantees: read-only root filesystem, requests and limits on
//! every container, no service account token in any pod (no projected token either)
//! and no RBAC object in any bundle, images pulled by pinned tag or digest.

mod support;

use serde_json::Value;
use support::pss::*;

/// Every object `compile -o` writes for every example plan (a folder per region for
/// plans with regions), named `golden/<plan>/<file>` as it would be written there,
/// read back from the YAML text as `kubectl` would read it.
fn golden_objects() -> Vec<(String, Value)> {
    let mut out = Vec::new();
    for (stem, path) in support::example_plans() {
        let plan = support::plan(&path);
        for (name, text) in support::folder_files(&plan) {
            if !name.ends_with(".yaml") || name.ends_with("kustomization.yaml") {
                continue;
            }
            let value: Value = serde_saphyr::from_str(&text).unwrap();
            out.push((format!("golden/{stem}/{name}"), value));
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

#[test]
fn every_golden_pod_meets_pss_restricted_and_perfplans_guarantees() {
    let mut pods = 0;
    let mut problems = Vec::new();
    for (file, object) in golden_objects() {
        let Some(pod) = pod_spec(&object) else { continue };
        pods += 1;
        for p in pss_violations(pod).into_iter().chain(perfplan_violations(pod)) {
            problems.push(format!("{file}: {p}"));
        }
    }
    assert!(pods >= 11, "expected a workload per example plan, found {pods}");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// No tool calls the Kubernetes API (Gatling cluster mode finds its workers through
/// DNS), so no bundle holds an RBAC object, names a ServiceAccount, or gives any
/// container a token, projected or automounted.
#[test]
fn no_bundle_holds_rbac_or_a_token() {
    let mut pods = 0;
    for (file, object) in golden_objects() {
        let kind = object["kind"].as_str().unwrap_or_default();
        assert!(
            !matches!(
                kind,
                "ServiceAccount" | "Role" | "RoleBinding" | "ClusterRole" | "ClusterRoleBinding"
            ),
            "{file}: {kind}"
        );
        if let Some(pod) = pod_spec(&object) {
            pods += 1;
            assert_eq!(pod["automountServiceAccountToken"], false, "{file}");
            assert!(pod.get("serviceAccountName").is_none(), "{file}");
            let text = pod["volumes"].to_string();
            assert!(!text.contains("serviceAccountToken"), "{file}: {text}");
        }
    }
    assert!(pods >= 11, "expected a workload per example plan, found {pods}");
}

/// The checker itself can fail: a pod with every classic mistake is caught.
#[test]
fn the_checker_catches_an_insecure_pod() {
    let pod = serde_json::json!({
        "hostNetwork": true,
        "volumes": [{"name": "h", "hostPath": {"path": "/"}}],
        "containers": [{
            "name": "bad",
            "image": "busybox",
            "ports": [{"containerPort": 80, "hostPort": 80}],
            "securityContext": {"privileged": true, "capabilities": {"add": ["SYS_ADMIN"]}}
        }]
    });
    let found = pss_violations(&pod);
    for rule in [
        "hostNetwork",
        "hostPath",
        "privileged",
        "hostPort",
        "allowPrivilegeEscalation",
        "runAsNonRoot",
        "seccompProfile",
        "drop ALL",
        "SYS_ADMIN",
    ] {
        assert!(found.iter().any(|f| f.contains(rule)), "missed {rule}: {found:?}");
    }
    let extra = perfplan_violations(&pod);
    for rule in ["automount", "writable", "requests.cpu", "not pinned"] {
        assert!(extra.iter().any(|f| f.contains(rule)), "missed {rule}: {extra:?}");
    }
}
