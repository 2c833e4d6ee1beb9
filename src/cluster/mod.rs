//! `perfplan diff PLAN --cluster`: the plan against the live cluster (cargo feature
//! `cluster`).
//!
//! For every object of the compiled plan: a server-side apply dry-run (field manager
//! `perfplan`), compared with the live object after dropping what the server owns,
//! so server-side defaults the plan did not set show up on both sides and cancel
//! out. Objects missing from the cluster are added; objects labelled as this plan's
//! that the plan no longer produces are removed; an object whose change the server
//! refuses as immutable (422) is replaced. A missing namespace or PriorityClass is a
//! finding. Every failure says what to do.

mod checks;
mod client;
mod compare;
mod failure;

pub use compare::normalize;

use crate::diff::{self, Change, Diff, ObjectDiff, fields, whole};
use crate::emit::{Bundle, Manifest};
use client::Conn;
use failure::{Doing, deadline, timed};
use kube::api::{Api, ApiResource, DynamicObject, GroupVersionKind, ListParams, Patch, PatchParams};
use serde_json::Value;
use std::time::Duration;

/// Where and how to talk to the cluster.
#[derive(Debug, Clone)]
pub struct Options {
    /// The kubeconfig context; its current context when `None`.
    pub context: Option<String>,
    /// Compare in this namespace instead of the plan's.
    pub namespace: Option<String>,
    /// The most one API call may take.
    pub timeout: Duration,
    /// The command that applies the bundle, after a replace's deletes.
    pub apply: String,
}

/// The kinds perfplan emits, listed to find objects the plan no longer produces; and
/// the RBAC kinds that Gatling cluster bundles held before their workers were found
/// through DNS, so that `diff --cluster` shows such a bundle's leftover discovery
/// ServiceAccount, Role and RoleBinding as removed.
const KINDS: [(&str, &str, &str); 9] = [
    ("", "v1", "ServiceAccount"),
    ("rbac.authorization.k8s.io", "v1", "Role"),
    ("rbac.authorization.k8s.io", "v1", "RoleBinding"),
    ("networking.k8s.io", "v1", "NetworkPolicy"),
    ("", "v1", "ConfigMap"),
    ("", "v1", "Service"),
    ("apps", "v1", "StatefulSet"),
    ("apps", "v1", "Deployment"),
    ("batch", "v1", "Job"),
];

/// Compare a compiled plan with the cluster.
pub fn live_diff(bundle: &Bundle, labels: &[(String, String)], options: &Options) -> Result<Diff, String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the client runtime: {e}"))?;
    runtime.block_on(run(bundle, labels, options))
}

async fn run(bundle: &Bundle, labels: &[(String, String)], options: &Options) -> Result<Diff, String> {
    let conn = client::connect(options).await?;
    let manifests: Vec<Manifest> = bundle
        .manifests
        .iter()
        .map(|m| in_namespace(m, options.namespace.as_deref()))
        .collect();
    let namespace = manifests.first().map(|m| m.namespace.clone()).unwrap_or_default();
    let mut findings = Vec::new();
    let present = checks::namespace(&conn, &namespace, &mut findings).await?;
    findings.extend(checks::priority_classes(&conn, &manifests).await?);
    if !present {
        // Nothing to compare with, and a dry-run into a missing namespace fails.
        let objects = manifests.iter().map(|m| whole(Change::Added, m)).collect();
        return Ok(Diff::new(objects, 0, findings, &options.apply));
    }
    let mut objects = Vec::new();
    let mut unchanged = 0;
    for m in &manifests {
        let (d, finished) = compare(&Call::new(&conn, m), &options.apply).await?;
        match d {
            Some(d) => objects.push(d),
            None => unchanged += 1,
        }
        findings.extend(finished);
    }
    objects.extend(orphans(&conn, &namespace, labels, &manifests).await?);
    Ok(Diff::new(objects, unchanged, findings, &options.apply))
}

/// One object against its live self (`None` when they agree), and a finding when
/// it is a Job that has finished.
async fn compare(call: &Call<'_>, apply: &str) -> Result<(Option<ObjectDiff>, Option<String>), String> {
    let m = call.m;
    let live = call.get().await?;
    let applied = call.dry_run_apply().await?;
    let Some(live) = live else {
        return Ok((Some(whole(Change::Added, m)), None));
    };
    let finished = finished(m, &live, apply);
    let (changes, fixed) = match applied {
        Ok(applied) => (fields::diff(&normalize(live), &normalize(applied)), Vec::new()),
        Err(fixed) => {
            let seen = compare::project(&normalize(live), &m.value);
            (fields::diff(&seen, &m.value), fixed)
        }
    };
    if changes.is_empty() && fixed.is_empty() {
        return Ok((None, finished));
    }
    let d = ObjectDiff {
        fields: changes,
        object: None,
        ..whole(Change::Changed, m)
    };
    let d = diff::classify(d, fixed);
    // A replace runs the Job again anyway.
    let finished = finished.filter(|_| d.change != Change::Replaced);
    Ok((Some(d), finished))
}

/// A finding for a Job that has finished (its `Complete` or `Failed` condition is
/// true): the diff may show nothing to apply, yet applying does not run it again.
fn finished(m: &Manifest, live: &Value, apply: &str) -> Option<String> {
    let conditions = live.pointer("/status/conditions")?.as_array()?;
    let done = conditions
        .iter()
        .find(|c| (c["type"] == "Complete" || c["type"] == "Failed") && c["status"] == "True")?;
    Some(format!(
        "Job `{}` has finished ({}): applying the plan does not run it again; to run it again, delete it and \
         apply: `kubectl delete job/{} -n {} --cascade=foreground`, then `{apply}`",
        m.name,
        done["type"].as_str().unwrap_or_default(),
        m.name,
        m.namespace
    ))
}

/// Objects labelled as this plan's that it no longer produces.
async fn orphans(
    conn: &Conn,
    namespace: &str,
    labels: &[(String, String)],
    manifests: &[Manifest],
) -> Result<Vec<ObjectDiff>, String> {
    let selector = labels
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(",");
    let mut objects = Vec::new();
    for (group, version, kind) in KINDS {
        let ar = ApiResource::from_gvk(&GroupVersionKind::gvk(group, version, kind));
        let api: Api<DynamicObject> = Api::namespaced_with(conn.client.clone(), namespace, &ar);
        let what = Doing {
            verb: "list",
            ar: &ar,
            namespace,
            name: None,
            conn,
        };
        let list = timed(&what, api.list(&ListParams::default().labels(&selector))).await?;
        for item in list.items {
            let name = item.metadata.name.clone().unwrap_or_default();
            if manifests.iter().any(|m| m.kind == kind && m.name == name) {
                continue;
            }
            let value = serde_json::to_value(&item).map_err(|e| e.to_string())?;
            let mut m = Manifest::from_value(value);
            m.api_version = ar.api_version.clone();
            m.kind = kind.to_owned();
            objects.push(ObjectDiff {
                object: Some(normalize(m.value.clone())),
                ..whole(Change::Removed, &m)
            });
        }
    }
    Ok(objects)
}

/// The manifest moved to `namespace`, as kustomize's `namespace:` moves it. (A
/// bundle holds no RoleBinding, so no subject has a namespace to move with it.)
pub fn in_namespace(m: &Manifest, namespace: Option<&str>) -> Manifest {
    let mut m = m.clone();
    let Some(ns) = namespace else {
        return m;
    };
    m.namespace = ns.to_owned();
    if let Some(meta) = m.value.get_mut("metadata").and_then(Value::as_object_mut) {
        meta.insert("namespace".to_owned(), Value::String(ns.to_owned()));
    }
    m
}

/// One object's API calls.
struct Call<'a> {
    api: Api<DynamicObject>,
    ar: ApiResource,
    m: &'a Manifest,
    conn: &'a Conn,
}

impl<'a> Call<'a> {
    fn new(conn: &'a Conn, m: &'a Manifest) -> Self {
        let (group, version) = match m.api_version.split_once('/') {
            Some((g, v)) => (g, v),
            None => ("", m.api_version.as_str()),
        };
        let ar = ApiResource::from_gvk(&GroupVersionKind::gvk(group, version, &m.kind));
        Call {
            api: Api::namespaced_with(conn.client.clone(), &m.namespace, &ar),
            ar,
            m,
            conn,
        }
    }

    fn doing(&self, verb: &'static str) -> Doing<'_> {
        Doing {
            verb,
            ar: &self.ar,
            namespace: &self.m.namespace,
            name: Some(&self.m.name),
            conn: self.conn,
        }
    }

    async fn get(&self) -> Result<Option<Value>, String> {
        let live = timed(&self.doing("get"), self.api.get_opt(&self.m.name)).await?;
        live.map(|o| serde_json::to_value(o).map_err(|e| e.to_string()))
            .transpose()
    }

    /// What the object would look like after `kubectl apply --server-side`, or the
    /// immutable fields for which the server refuses to patch it (422).
    async fn dry_run_apply(&self) -> Result<Result<Value, Vec<String>>, String> {
        let params = PatchParams {
            dry_run: true,
            ..PatchParams::apply("perfplan").force()
        };
        let patch = Patch::Apply(&self.m.value);
        let doing = self.doing("patch");
        match deadline(&doing, self.api.patch(&self.m.name, &params, &patch)).await? {
            Ok(applied) => Ok(Ok(serde_json::to_value(applied).map_err(|e| e.to_string())?)),
            Err(kube::Error::Api(s)) if s.code == 422 => match failure::immutable_causes(&s.message) {
                Some(fixed) => Ok(Err(fixed)),
                None => Err(doing.explain(kube::Error::Api(s))),
            },
            Err(e) => Err(doing.explain(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// `--namespace` moves the object, and only with the option given.
    #[test]
    fn the_namespace_moves_the_object() {
        let config = Manifest::from_value(json!({
            "apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "c", "namespace": "perf-testing"},
        }));
        let moved = in_namespace(&config, Some("x"));
        assert_eq!(moved.namespace, "x");
        assert_eq!(moved.value["metadata"]["namespace"], "x");
        assert_eq!(in_namespace(&config, None), config);
    }
}
