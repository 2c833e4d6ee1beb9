//! Every example bundle against a real Kubernetes API server (kube-apiserver and etcd
//! built from Go modules by `tools/apiserver.sh`, on loopback, with RBAC and
//! PodSecurity admission): each object is server-side applied, first as a dry run
//! and then for real, into a namespace that enforces the `restricted` Pod Security
//! level; every pod template is then created as a bare Pod with `dryRun=All`, so
//! PodSecurity *enforces* it (on workloads it only warns); any warning the server
//! returns fails the test. No bundle creates a ServiceAccount, Role or RoleBinding,
//! and no admitted pod gets a token (the ServiceAccount admission plugin adds one to
//! any pod that does not opt out, as a control pod shows).
//!
//! `lifecycle` (with the `cluster` feature) runs a plan's whole life on one server
//! with kubectl and perfplan, as docs/lifecycle.md tells it.
//!
//! The requests go through curl with the admin's client certificate, so what is
//! tested is the server's answer to the bundle, not perfplan's own client. A server
//! that cannot be built or started fails the test with the reason.

mod support;

use support::apiserver::ApiServer;

/// A plan's whole life (docs/lifecycle.md), with kubectl and perfplan.
#[cfg(feature = "cluster")]
#[path = "api_server/lifecycle.rs"]
mod lifecycle;

use serde_json::{Value, json};

/// The REST path of a namespaced object of a bundle.
fn object_path(kind: &str, namespace: &str, name: &str) -> String {
    if kind == "Namespace" {
        return format!("/api/v1/namespaces/{name}");
    }
    let (group, plural) = match kind {
        "ConfigMap" => ("api/v1", "configmaps"),
        "Service" => ("api/v1", "services"),
        "Pod" => ("api/v1", "pods"),
        "Job" => ("apis/batch/v1", "jobs"),
        "StatefulSet" => ("apis/apps/v1", "statefulsets"),
        "Deployment" => ("apis/apps/v1", "deployments"),
        "NetworkPolicy" => ("apis/networking.k8s.io/v1", "networkpolicies"),
        other => panic!("no path for kind {other}"),
    };
    format!("/{group}/namespaces/{namespace}/{plural}/{name}")
}

/// Create a namespace that enforces, audits and warns at `restricted`, with the
/// `default` ServiceAccount no controller-manager creates here.
fn restricted_namespace(server: &ApiServer, name: &str) {
    let labels = json!({
        "pod-security.kubernetes.io/enforce": "restricted",
        "pod-security.kubernetes.io/audit": "restricted",
        "pod-security.kubernetes.io/warn": "restricted",
    });
    let ns = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": labels}});
    let (status, _, body) = server.request("POST", "/api/v1/namespaces", "application/json", &ns);
    assert_eq!(status, 201, "{body}");
    let sa = json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "default", "namespace": name}});
    let (status, _, body) = server.request(
        "POST",
        &format!("/api/v1/namespaces/{name}/serviceaccounts"),
        "application/json",
        &sa,
    );
    assert_eq!(status, 201, "{body}");
}

/// The bundle's objects, moved to `namespace` (as `kustomize`'s `namespace:` would).
fn bundle_objects(plan: &perfplan::Plan, namespace: &str) -> Vec<Value> {
    let files = support::folder_files(plan);
    files
        .iter()
        .filter(|(name, _)| name.ends_with(".yaml") && !name.ends_with("kustomization.yaml"))
        .map(|(_, text)| {
            let mut v: Value = serde_saphyr::from_str(text).unwrap();
            v["metadata"]["namespace"] = json!(namespace);
            v
        })
        .collect()
}

fn apply(server: &ApiServer, object: &Value, dry_run: bool) -> Result<(), String> {
    let (kind, ns, name) = (
        object["kind"].as_str().unwrap(),
        object["metadata"]["namespace"].as_str().unwrap_or_default(),
        object["metadata"]["name"].as_str().unwrap(),
    );
    let query = if dry_run {
        "fieldManager=perfplan&dryRun=All"
    } else {
        "fieldManager=perfplan"
    };
    let path = format!("{}?{query}", object_path(kind, ns, name));
    let (status, warnings, body) = server.request("PATCH", &path, "application/apply-patch+yaml", object);
    if !(200..300).contains(&status) {
        return Err(format!("{kind} {name}: HTTP {status}: {}", body["message"]));
    }
    if !warnings.is_empty() {
        return Err(format!("{kind} {name}: warnings {warnings:?}"));
    }
    Ok(())
}

/// A workload's pod template as a bare Pod, created with `dryRun=All`.
fn create_pod(server: &ApiServer, workload: &Value) -> Option<Result<(), String>> {
    let template = workload.pointer("/spec/template")?;
    let ns = workload["metadata"]["namespace"].as_str().unwrap();
    let name = format!("{}-pod", workload["metadata"]["name"].as_str().unwrap());
    let pod = json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": ns, "labels": template["metadata"]["labels"]},
        "spec": template["spec"],
    });
    let (status, warnings, body) = server.request(
        "POST",
        &format!("/api/v1/namespaces/{ns}/pods?dryRun=All"),
        "application/json",
        &pod,
    );
    Some(if status != 201 {
        Err(format!("Pod of {name}: HTTP {status}: {}", body["message"]))
    } else if !warnings.is_empty() {
        Err(format!("Pod of {name}: warnings {warnings:?}"))
    } else if has_token(&body) {
        Err(format!(
            "Pod of {name}: admitted with a service account token: {}",
            body["spec"]
        ))
    } else {
        Ok(())
    })
}

/// Whether an admitted Pod (as the server returns it) holds a service account token:
/// the projected `kube-api-access-*` volume the ServiceAccount admission plugin adds,
/// or any mount at the token path.
fn has_token(pod: &Value) -> bool {
    let projected = pod["spec"]["volumes"].to_string().contains("serviceAccountToken");
    let mounted = ["initContainers", "containers"].iter().any(|k| {
        pod["spec"][*k]
            .to_string()
            .contains("/var/run/secrets/kubernetes.io/serviceaccount")
    });
    projected || mounted
}

/// The names of the objects of `plural` (an RBAC or core resource) in `namespace`.
fn names(server: &ApiServer, group: &str, plural: &str, namespace: &str) -> Vec<String> {
    let path = format!("/{group}/namespaces/{namespace}/{plural}");
    let (status, _, body) = server.request("GET", &path, "application/json", &Value::Null);
    assert_eq!(status, 200, "{path}: {body}");
    body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["metadata"]["name"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn every_example_bundle_is_admitted_and_its_pods_enforced_restricted() {
    let dir = tempfile::tempdir().unwrap();
    let server = ApiServer::start(&dir.path().join("server"));
    // k6-uneven runs at a PriorityClass of the cluster's; it must exist for its Pods.
    let class = json!({"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass",
        "metadata": {"name": "load-testing"}, "value": 1000});
    let (status, _, body) = server.request(
        "POST",
        "/apis/scheduling.k8s.io/v1/priorityclasses",
        "application/json",
        &class,
    );
    assert_eq!(status, 201, "{body}");
    let mut problems = Vec::new();
    let (mut objects, mut pods) = (0, 0);
    for (stem, path) in support::example_plans() {
        let plan = support::plan(&path);
        let namespace = format!("t-{stem}");
        restricted_namespace(&server, &namespace);
        let bundle = bundle_objects(&plan, &namespace);
        for dry_run in [true, false] {
            for object in &bundle {
                objects += usize::from(!dry_run);
                if let Err(e) = apply(&server, object, dry_run) {
                    problems.push(format!("{stem} (dry run {dry_run}): {e}"));
                }
            }
        }
        for result in bundle.iter().filter_map(|o| create_pod(&server, o)) {
            pods += 1;
            if let Err(e) = result {
                problems.push(format!("{stem}: {e}"));
            }
        }
        // No tool calls the API: the namespace holds no Role or RoleBinding and no
        // ServiceAccount but the `default` one the test made.
        let rbac = [
            names(&server, "apis/rbac.authorization.k8s.io/v1", "roles", &namespace),
            names(
                &server,
                "apis/rbac.authorization.k8s.io/v1",
                "rolebindings",
                &namespace,
            ),
            names(&server, "api/v1", "serviceaccounts", &namespace),
        ];
        if rbac != [vec![], vec![], vec!["default".to_owned()]] {
            problems.push(format!("{stem}: roles, rolebindings, serviceaccounts: {rbac:?}"));
        }
    }
    // The token check can fail: a pod that does not opt out gets one from the server.
    restricted_namespace(&server, "t-control");
    let mut control = bundle_objects(
        &support::plan(&support::example_plans()["gatling-cluster"]),
        "t-control",
    )
    .into_iter()
    .find(|o| o["kind"] == "Job")
    .unwrap();
    control["spec"]["template"]["spec"]
        .as_object_mut()
        .unwrap()
        .remove("automountServiceAccountToken");
    let admitted = create_pod(&server, &control).unwrap();
    assert!(
        admitted
            .as_ref()
            .is_err_and(|e| e.contains("admitted with a service account token")),
        "{admitted:?}"
    );
    eprintln!("api server: {objects} objects applied, {pods} pod templates enforced at restricted");
    assert!(pods >= 14, "only {pods} pod templates");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The server's PodSecurity admission can fail: a privileged pod is refused.
#[test]
fn the_server_refuses_a_privileged_pod() {
    let dir = tempfile::tempdir().unwrap();
    let server = ApiServer::start(&dir.path().join("server"));
    restricted_namespace(&server, "t");
    let pod = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "bad", "namespace": "t"},
        "spec": {"containers": [{"name": "c", "image": "busybox:1.36", "securityContext": {"privileged": true}}]}});
    let (status, _, body) = server.request(
        "POST",
        "/api/v1/namespaces/t/pods?dryRun=All",
        "application/json",
        &pod,
    );
    assert_eq!(status, 403, "{body}");
    assert!(
        body["message"].as_str().unwrap().contains("violates PodSecurity"),
        "{body}"
    );
}

/// `compile --create-namespace` on a fresh cluster: the bundle, applied in its order,
/// creates its namespace first and everything lands in it; the namespace then
/// enforces the posture itself (a privileged pod is refused there).
#[test]
fn a_bundle_with_its_namespace_applies_to_a_fresh_cluster() {
    let dir = tempfile::tempdir().unwrap();
    let server = ApiServer::start(&dir.path().join("server"));
    let plan = support::plan(&support::root().join("plans/jmeter-basic.yaml"));
    let bundle = perfplan::compile(&plan).with_namespace(&plan);
    assert_eq!(bundle.manifests[0].kind, "Namespace");
    for m in &bundle.manifests {
        apply(&server, &m.value, false).unwrap_or_else(|e| panic!("{e}"));
    }
    let ns = plan.namespace.as_str();
    let sa = json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "default", "namespace": ns}});
    let (status, _, body) = server.request(
        "POST",
        &format!("/api/v1/namespaces/{ns}/serviceaccounts"),
        "application/json",
        &sa,
    );
    assert_eq!(status, 201, "{body}");
    let pod = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "bad", "namespace": ns},
        "spec": {"containers": [{"name": "c", "image": "busybox:1.36", "securityContext": {"privileged": true}}]}});
    let (status, _, body) = server.request(
        "POST",
        &format!("/api/v1/namespaces/{ns}/pods?dryRun=All"),
        "application/json",
        &pod,
    );
    assert_eq!(status, 403, "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("violates PodSecurity \"restricted"),
        "{body}"
    );
}
