//! Which changes the API server refuses to make in place, so the object must be
//! replaced (deleted, then applied again), and the commands that do it.
//!
//! The rules are the update validation of Kubernetes 1.37 (k8s.io/kubernetes
//! v1.37.2, `pkg/apis/*/validation/validation.go`), the version the tests run a real
//! API server of; `perfplan diff --cluster` does not rely on this table but on the
//! server's own 422 (see `crate::cluster`):
//! - Job (`batch/validation` `ValidateJobSpecUpdate`): `spec.selector`,
//!   `spec.completionMode`, `spec.podFailurePolicy`, `spec.backoffLimitPerIndex`,
//!   `spec.managedBy`, `spec.successPolicy`, and `spec.template` unless the Job is
//!   suspended (`validatePodTemplateUpdate`; perfplan never emits a suspended Job).
//!   `spec.completions` (`validateCompletions`) is immutable for a NonIndexed Job; an
//!   Indexed Job may change it only "in tandem with spec.parallelism", i.e. when the
//!   new completions equal the new parallelism (elastic Indexed Jobs, beta in 1.27,
//!   GA in 1.31).
//! - StatefulSet (`apps/validation` `ValidateStatefulSetUpdate`): 1.37 names
//!   `spec.selector`, `spec.volumeClaimTemplates`, `spec.serviceName` and
//!   `spec.podManagementPolicy`; up to 1.36 (v1.36.3, same file) the rule was the
//!   complement, "updates to statefulset spec for fields other than 'replicas',
//!   'ordinals', 'template', 'updateStrategy', 'revisionHistoryLimit',
//!   'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden":
//!   the same four, as StatefulSetSpec has no other fields.
//! - Deployment (`ValidateDeploymentUpdate`): `spec.selector`.
//! - Service (`core/validation` `validateServiceClusterIPsRelatedFields`):
//!   `spec.clusterIP` and `spec.clusterIPs` "may not change once set" (a headless
//!   Service's `None` included).
//! - RoleBinding (`rbac/validation` `ValidateRoleBindingUpdate`): `roleRef`.
//! - ConfigMap (`ValidateConfigMapUpdate`): `data` and `binaryData` once
//!   `immutable: true`. perfplan's content-hashed ConfigMaps change name instead.

use super::{Change, FieldChange, ObjectDiff};
use serde_json::Value;

/// The fields of `kind` that never change in place.
fn fixed(kind: &str) -> &'static [&'static str] {
    match kind {
        "Job" => &[
            "spec.selector",
            "spec.completionMode",
            "spec.podFailurePolicy",
            "spec.backoffLimitPerIndex",
            "spec.managedBy",
            "spec.successPolicy",
            "spec.template",
        ],
        "StatefulSet" => &[
            "spec.selector",
            "spec.volumeClaimTemplates",
            "spec.serviceName",
            "spec.podManagementPolicy",
        ],
        "Deployment" => &["spec.selector"],
        "Service" => &["spec.clusterIP", "spec.clusterIPs"],
        "RoleBinding" => &["roleRef"],
        _ => &[],
    }
}

/// Whether `path` is `field` or lies under it.
fn under(path: &str, field: &str) -> bool {
    path.strip_prefix(field)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('.') || rest.starts_with('['))
}

/// The immutable fields among `changes` (old → new of one object), each once, in
/// the order the changes name them.
pub fn touched(kind: &str, old: &Value, new: &Value, changes: &[FieldChange]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut add = |f: &str| {
        if !out.iter().any(|o| o == f) {
            out.push(f.to_owned());
        }
    };
    for c in changes {
        if let Some(f) = fixed(kind).iter().find(|f| under(&c.path, f)) {
            add(f);
        } else if kind == "Job" && c.path == "spec.completions" && !elastic(new) {
            add("spec.completions");
        } else if kind == "ConfigMap"
            && old.get("immutable") == Some(&Value::Bool(true))
            && (under(&c.path, "data") || under(&c.path, "binaryData"))
        {
            add(if under(&c.path, "data") {
                "data"
            } else {
                "binaryData"
            });
        }
    }
    out
}

/// An Indexed Job whose completions equal its parallelism: completions may change.
fn elastic(job: &Value) -> bool {
    let spec = &job["spec"];
    spec["completionMode"] == "Indexed" && spec["completions"] == spec["parallelism"]
}

/// The commands that replace the `Replaced` objects: delete them, waiting until
/// their pods are gone, then apply the bundle once. Deletes come first because
/// `kubectl apply -k` patches every object of the bundle, and fails on any replaced
/// one still there.
///
/// `--cascade=foreground` because kubectl's default (background) removes the owner
/// at once and leaves its pods to the garbage collector, so the new pods could
/// start while the old ones still send load. With foreground deletion the object
/// stays, with the `foregroundDeletion` finalizer, until the garbage collector has
/// deleted every dependent with `blockOwnerDeletion` (the pods of a Job or a
/// StatefulSet; see <https://kubernetes.io/docs/concepts/architecture/garbage-collection/#foreground-deletion>),
/// and `kubectl delete` waits for it (`--wait` is on by default). `kubectl replace
/// --force -f FILE` is one command per object but creates it without apply's record
/// (the last-applied annotation), so the next `kubectl apply -k` warns and merges
/// against nothing; deleting and applying the bundle keeps one way of applying.
pub fn commands(objects: &[ObjectDiff], apply: &str) -> Vec<String> {
    let replaced: Vec<&ObjectDiff> = objects.iter().filter(|o| o.change == Change::Replaced).collect();
    let mut namespaces: Vec<&str> = replaced.iter().map(|o| o.namespace.as_str()).collect();
    namespaces.dedup();
    let mut out: Vec<String> = namespaces
        .iter()
        .map(|ns| {
            let names: Vec<String> = replaced
                .iter()
                .filter(|o| o.namespace == *ns)
                .map(|o| format!("{}/{}", o.kind.to_lowercase(), o.name))
                .collect();
            delete(&names.join(" "), ns)
        })
        .collect();
    if !out.is_empty() {
        out.push(apply.to_owned());
    }
    out
}

fn delete(what: &str, namespace: &str) -> String {
    format!("kubectl delete {what} -n {namespace} --cascade=foreground")
}

/// What a change to a Job means beyond its fields: a Job runs once.
pub fn job_note(job: &ObjectDiff) -> String {
    if job.change == Change::Replaced {
        "a Job runs once: replacing it runs its pods again".to_owned()
    } else {
        format!(
            "a Job runs once: applying changes the object, but a Job that has run does not run again; to run \
             it again, delete it (`{}`) and apply",
            delete(&format!("job/{}", job.name), &job.namespace)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn change(path: &str) -> FieldChange {
        FieldChange {
            path: path.to_owned(),
            old: Some(json!(1)),
            new: Some(json!(2)),
        }
    }

    #[test]
    fn a_jobs_template_and_non_elastic_completions_are_immutable() {
        let indexed = json!({"spec": {"completionMode": "Indexed", "completions": 5, "parallelism": 5}});
        let changes = [
            change("spec.completions"),
            change("spec.parallelism"),
            change("spec.template.spec.containers[name=k6].args[4]"),
            change("spec.template.metadata.labels.a"),
        ];
        assert_eq!(touched("Job", &indexed, &indexed, &changes), ["spec.template"]);
        let apart = json!({"spec": {"completionMode": "Indexed", "completions": 5, "parallelism": 3}});
        assert_eq!(
            touched("Job", &indexed, &apart, &changes[..2]),
            ["spec.completions"]
        );
        let plain = json!({"spec": {"completions": 5, "parallelism": 5}});
        assert_eq!(
            touched("Job", &plain, &plain, &changes[..2]),
            ["spec.completions"]
        );
    }

    #[test]
    fn a_statefulsets_template_and_replicas_change_in_place() {
        let v = json!({});
        let changes = [change("spec.replicas"), change("spec.template.spec.x")];
        assert!(touched("StatefulSet", &v, &v, &changes).is_empty());
        assert_eq!(
            touched("StatefulSet", &v, &v, &[change("spec.serviceName")]),
            ["spec.serviceName"]
        );
        assert!(!under("spec.templates", "spec.template"));
        assert_eq!(
            touched("RoleBinding", &v, &v, &[change("roleRef.name")]),
            ["roleRef"]
        );
    }
}
