//! What the bundle needs from the cluster besides its own objects: its namespace
//! and the PriorityClass its pods name. A missing one is a finding (the diff goes
//! on); a 403 on the check is a finding that it could not be checked, since a user
//! allowed to manage the test's namespace is often not allowed to read
//! cluster-scoped objects.

use super::client::Conn;
use super::failure::{Doing, deadline};
use crate::emit::Manifest;
use kube::api::{Api, ApiResource, DynamicObject, GroupVersionKind};
use serde_json::Value;

/// Whether a cluster-scoped object exists: `Ok(Err(finding))` when it could not
/// be checked (403).
async fn exists(conn: &Conn, gvk: (&str, &str, &str), name: &str) -> Result<Result<bool, String>, String> {
    let ar = ApiResource::from_gvk(&GroupVersionKind::gvk(gvk.0, gvk.1, gvk.2));
    let api: Api<DynamicObject> = Api::all_with(conn.client.clone(), &ar);
    let doing = Doing {
        verb: "get",
        ar: &ar,
        namespace: "",
        name: Some(name),
        conn,
    };
    match deadline(&doing, api.get_opt(name)).await? {
        Ok(found) => Ok(Ok(found.is_some())),
        Err(kube::Error::Api(s)) if s.code == 403 => Ok(Err(format!(
            "could not check that {} `{name}` exists: the user may not get {} (403; `{}` checks); \
             compared as if it does",
            gvk.2,
            doing.resource(),
            doing.can_i()
        ))),
        Err(e) => Err(doing.explain(e)),
    }
}

/// Whether the namespace exists (`true` when it could not be checked), and the
/// finding that says to create it.
pub(super) async fn namespace(
    conn: &Conn,
    namespace: &str,
    findings: &mut Vec<String>,
) -> Result<bool, String> {
    match exists(conn, ("", "v1", "Namespace"), namespace).await? {
        Ok(true) => Ok(true),
        Ok(false) => {
            findings.push(format!(
                "namespace `{namespace}` does not exist, so every object is added: create it first, with the \
                 bundle (`perfplan compile PLAN --create-namespace -o DIR` adds it, labelled for the plan's Pod \
                 Security level) or `kubectl create namespace {namespace}`"
            ));
            Ok(false)
        }
        Err(finding) => {
            findings.push(finding);
            Ok(true)
        }
    }
}

/// A finding for every PriorityClass the pod templates name that the cluster lacks:
/// the Priority admission plugin refuses such pods ("no PriorityClass with name …
/// was found"), so the Jobs and StatefulSets would be created but start nothing.
pub(super) async fn priority_classes(conn: &Conn, manifests: &[Manifest]) -> Result<Vec<String>, String> {
    let mut names: Vec<&str> = manifests
        .iter()
        .filter_map(|m| m.value.pointer("/spec/template/spec/priorityClassName"))
        .filter_map(Value::as_str)
        .collect();
    names.sort_unstable();
    names.dedup();
    let mut findings = Vec::new();
    for name in names {
        match exists(conn, ("scheduling.k8s.io", "v1", "PriorityClass"), name).await? {
            Ok(true) => {}
            Ok(false) => findings.push(format!(
                "PriorityClass `{name}` does not exist: the API server refuses every pod that names it (\"no \
                 PriorityClass with name {name} was found\"), so the workloads would start no pods; create it \
                 (`kubectl create priorityclass {name} --value=1000`) or drop placement.priorityClassName from \
                 the plan"
            )),
            Err(finding) => findings.push(finding),
        }
    }
    Ok(findings)
}
