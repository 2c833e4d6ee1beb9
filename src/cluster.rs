//! `perfplan diff PLAN --cluster`: the plan against the live cluster (cargo feature
//! `cluster`).
//!
//! For every object of the compiled plan: a server-side apply dry-run (field manager
//! `perfplan`), compared with the live object after dropping what the server owns,
//! so server-side defaults the plan did not set show up on both sides and cancel
//! out. Objects missing from the cluster are added; objects labelled as this plan's
//! that the plan no longer produces are removed. Every failure says what to do.

use crate::diff::{Change, Diff, ObjectDiff, fields, whole};
use crate::emit::{Bundle, Manifest};
use kube::api::{Api, ApiResource, DynamicObject, GroupVersionKind, ListParams, Patch, PatchParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Client, Config};
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
}

/// The kinds perfplan emits: listed to find objects the plan no longer produces.
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
    let (client, server) = client(options).await?;
    let manifests: Vec<Manifest> = bundle
        .manifests
        .iter()
        .map(|m| in_namespace(m, options.namespace.as_deref()))
        .collect();
    let mut objects = Vec::new();
    let mut unchanged = 0;
    for m in &manifests {
        let call = Call::new(&client, &server, options.timeout, m);
        let live = call.get().await?;
        let applied = call.dry_run_apply().await?;
        match live {
            None => objects.push(whole(Change::Added, m)),
            Some(live) => {
                let changes = fields::diff(&normalize(live), &normalize(applied));
                if changes.is_empty() {
                    unchanged += 1;
                } else {
                    objects.push(ObjectDiff {
                        fields: changes,
                        object: None,
                        ..whole(Change::Changed, m)
                    });
                }
            }
        }
    }
    let namespace = manifests.first().map(|m| m.namespace.clone()).unwrap_or_default();
    let selector = labels
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(",");
    for (group, version, kind) in KINDS {
        let ar = ApiResource::from_gvk(&GroupVersionKind::gvk(group, version, kind));
        let api: Api<DynamicObject> = Api::namespaced_with(client.clone(), &namespace, &ar);
        let what = Doing {
            verb: "list",
            ar: &ar,
            namespace: &namespace,
            name: None,
            server: &server,
        };
        let list = timed(
            options.timeout,
            &what,
            api.list(&ListParams::default().labels(&selector)),
        )
        .await?;
        for item in list.items {
            let name = item.metadata.name.clone().unwrap_or_default();
            let produced = manifests.iter().any(|m| m.kind == kind && m.name == name);
            if !produced {
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
    }
    Ok(Diff { objects, unchanged })
}

fn in_namespace(m: &Manifest, namespace: Option<&str>) -> Manifest {
    let mut m = m.clone();
    if let Some(ns) = namespace {
        m.namespace = ns.to_owned();
        if let Some(meta) = m.value.get_mut("metadata").and_then(Value::as_object_mut) {
            meta.insert("namespace".to_owned(), Value::String(ns.to_owned()));
        }
    }
    m
}

/// The client for the kubeconfig's context (or the in-cluster config when there is
/// no kubeconfig), and the server address for messages.
async fn client(options: &Options) -> Result<(Client, String), String> {
    let have_kubeconfig = Kubeconfig::read().is_ok();
    let mut config = if have_kubeconfig || options.context.is_some() {
        let kube_options = KubeConfigOptions {
            context: options.context.clone(),
            ..Default::default()
        };
        Config::from_kubeconfig(&kube_options).await.map_err(|e| {
            format!(
                "cannot use the kubeconfig{}: {e}. Check `kubectl config get-contexts`",
                options
                    .context
                    .as_ref()
                    .map(|c| format!(" context `{c}`"))
                    .unwrap_or_default()
            )
        })?
    } else {
        Config::incluster().map_err(|_| {
            "no kubeconfig: set KUBECONFIG or create ~/.kube/config (e.g. with your cloud's \
             `get-credentials` command), or run inside a cluster"
                .to_owned()
        })?
    };
    config.connect_timeout = Some(options.timeout);
    config.read_timeout = Some(options.timeout);
    config.write_timeout = Some(options.timeout);
    let server = config.cluster_url.to_string();
    let client = Client::try_from(config).map_err(|e| format!("cannot build a client for {server}: {e}"))?;
    Ok((client, server))
}

/// One object's API calls.
struct Call<'a> {
    api: Api<DynamicObject>,
    ar: ApiResource,
    m: &'a Manifest,
    server: &'a str,
    timeout: Duration,
}

impl<'a> Call<'a> {
    fn new(client: &Client, server: &'a str, timeout: Duration, m: &'a Manifest) -> Self {
        let (group, version) = match m.api_version.split_once('/') {
            Some((g, v)) => (g, v),
            None => ("", m.api_version.as_str()),
        };
        let ar = ApiResource::from_gvk(&GroupVersionKind::gvk(group, version, &m.kind));
        Call {
            api: Api::namespaced_with(client.clone(), &m.namespace, &ar),
            ar,
            m,
            server,
            timeout,
        }
    }

    fn doing(&self, verb: &'static str) -> Doing<'_> {
        Doing {
            verb,
            ar: &self.ar,
            namespace: &self.m.namespace,
            name: Some(&self.m.name),
            server: self.server,
        }
    }

    async fn get(&self) -> Result<Option<Value>, String> {
        let live = timed(self.timeout, &self.doing("get"), self.api.get_opt(&self.m.name)).await?;
        live.map(|o| serde_json::to_value(o).map_err(|e| e.to_string()))
            .transpose()
    }

    /// What the object would look like after `kubectl apply --server-side`.
    async fn dry_run_apply(&self) -> Result<Value, String> {
        let params = PatchParams {
            dry_run: true,
            ..PatchParams::apply("perfplan").force()
        };
        let patch = Patch::Apply(&self.m.value);
        let applied = timed(
            self.timeout,
            &self.doing("patch"),
            self.api.patch(&self.m.name, &params, &patch),
        )
        .await?;
        serde_json::to_value(applied).map_err(|e| e.to_string())
    }
}

/// What a call was doing, for its error message.
struct Doing<'a> {
    verb: &'static str,
    ar: &'a ApiResource,
    namespace: &'a str,
    name: Option<&'a str>,
    server: &'a str,
}

impl Doing<'_> {
    fn resource(&self) -> String {
        if self.ar.group.is_empty() {
            self.ar.plural.clone()
        } else {
            format!("{}.{}", self.ar.plural, self.ar.group)
        }
    }

    fn explain(&self, e: kube::Error) -> String {
        let (verb, resource, ns) = (self.verb, self.resource(), self.namespace);
        let object = self.name.map(|n| format!(" `{n}`")).unwrap_or_default();
        match e {
            kube::Error::Api(status) => match status.code {
                401 => format!(
                    "the API server at {} rejected the credentials (401 Unauthorized): log in again or \
                     refresh the token of your kubeconfig user",
                    self.server
                ),
                403 => format!(
                    "permission denied (403): perfplan needs `{verb}` on `{resource}` in namespace `{ns}`. \
                     The server said: {}. Ask for a Role that grants it; `kubectl auth can-i {verb} {resource} \
                     -n {ns}` checks",
                    status.message
                ),
                404 if self.name.is_none() => format!(
                    "the cluster does not serve {} {} (404 on list): it lacks this API; perfplan's bundle \
                     needs it",
                    self.ar.api_version, self.ar.plural
                ),
                422 => self.invalid(&status.message),
                code => format!(
                    "the API server answered {code} {} to {verb} {resource}{object} in `{ns}`: {}",
                    status.reason, status.message
                ),
            },
            other => format!(
                "cannot reach the API server at {}: {other}. Check the cluster address and your network \
                 (`kubectl cluster-info`)",
                self.server
            ),
        }
    }
}

impl Doing<'_> {
    /// A 422 cut to its causes. The server's message quotes the whole live object
    /// for an immutable field (`spec.template: Invalid value: {…10 KB…}: field is
    /// immutable`); what a user needs is which fields, and that the object must be
    /// replaced: a Job's template (and, without parallelism, its completions) or a
    /// StatefulSet's selector cannot be patched.
    fn invalid(&self, message: &str) -> String {
        let kind = &self.ar.kind;
        let name = self.name.unwrap_or_default();
        let causes = invalid_causes(message);
        let immutable: Vec<&str> = causes
            .iter()
            .filter(|(_, why)| why.contains("immutable") || why.contains("in tandem"))
            .map(|(field, _)| field.as_str())
            .collect();
        if !immutable.is_empty() && immutable.len() == causes.len() {
            return format!(
                "{kind} `{name}` cannot be changed in place: {} cannot be patched on a live object. Replace it: \
                 `kubectl delete {} {name} -n {}`, then apply the bundle again (a finished Job never runs again \
                 anyway)",
                immutable.join(", "),
                kind.to_lowercase(),
                self.namespace
            );
        }
        let listed: Vec<String> = causes.iter().map(|(f, why)| format!("{f}: {why}")).collect();
        format!("the API server rejects {kind} `{name}`: {}", listed.join("; "))
    }
}

/// The causes of a 422 message (`<Kind> "<name>" is invalid: [<field>: <why>, …]`),
/// each as (field, reason), with any `Invalid value: …` quote of the value dropped.
fn invalid_causes(message: &str) -> Vec<(String, String)> {
    let body = message.split_once(" is invalid: ").map_or(message, |(_, b)| b);
    let body = body
        .strip_prefix('[')
        .and_then(|b| b.strip_suffix(']'))
        .unwrap_or(body);
    // Causes are `field: why`, separated by ", " before the next `spec.`-like field.
    let mut out = Vec::new();
    let mut rest = body;
    while !rest.is_empty() {
        let Some((field, tail)) = rest.split_once(": ") else {
            out.push((String::new(), shorten(rest)));
            break;
        };
        // The next cause starts at ", <field>: " where <field> has no spaces.
        let next = tail.match_indices(", ").map(|(i, _)| i).find(|&i| {
            tail[i + 2..]
                .split_once(": ")
                .is_some_and(|(f, _)| !f.is_empty() && !f.contains(' ') && !f.contains('"'))
        });
        let (why, after) = match next {
            Some(i) => (&tail[..i], &tail[i + 2..]),
            None => (tail, ""),
        };
        out.push((field.to_owned(), shorten(why)));
        rest = after;
    }
    out
}

/// A cause's reason without the server's quote of the value: the text after the
/// last `: ` of an `Invalid value: …: reason`, cut to 200 characters.
fn shorten(why: &str) -> String {
    let why = if why.starts_with("Invalid value:") {
        why.rsplit_once(": ").map_or(why, |(_, r)| r)
    } else {
        why
    };
    why.chars().take(200).collect()
}

/// Run one API call with a deadline.
async fn timed<T>(
    timeout: Duration,
    doing: &Doing<'_>,
    call: impl std::future::Future<Output = Result<T, kube::Error>>,
) -> Result<T, String> {
    match tokio::time::timeout(timeout, call).await {
        Ok(result) => result.map_err(|e| doing.explain(e)),
        Err(_) => Err(format!(
            "timed out after {}s waiting for the API server at {} ({} {} in `{}`); check the network or \
             raise --timeout",
            timeout.as_secs(),
            doing.server,
            doing.verb,
            doing.resource(),
            doing.namespace
        )),
    }
}

/// Drop what the server owns: status, bookkeeping metadata, and annotations tools
/// write; what is left is what a plan can change.
pub fn normalize(mut v: Value) -> Value {
    if let Some(map) = v.as_object_mut() {
        map.remove("status");
    }
    if let Some(meta) = v.get_mut("metadata").and_then(Value::as_object_mut) {
        for key in [
            "managedFields",
            "uid",
            "resourceVersion",
            "generation",
            "creationTimestamp",
            "selfLink",
        ] {
            meta.remove(key);
        }
        if let Some(annotations) = meta.get_mut("annotations").and_then(Value::as_object_mut) {
            annotations.remove("kubectl.kubernetes.io/last-applied-configuration");
            annotations.remove("deployment.kubernetes.io/revision");
            if annotations.is_empty() {
                meta.remove("annotations");
            }
        }
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The shapes a real kube-apiserver 1.37 returns (tests/api_server.rs shows them live).
    #[test]
    fn a_422_is_cut_to_its_fields() {
        let one = "Job.batch \"r\" is invalid: spec.template: Invalid value: {\"labels\":{\"a\":\"b\"},\"spec\":{\"x\":\"y: z\"}}: field is immutable";
        assert_eq!(
            invalid_causes(one),
            [("spec.template".to_owned(), "field is immutable".to_owned())]
        );
        let two = "Job.batch \"r\" is invalid: [spec.completions: Invalid value: 5: can only be modified in tandem with spec.parallelism, spec.template: Invalid value: {\"a\": 1}: field is immutable]";
        assert_eq!(
            invalid_causes(two),
            [
                (
                    "spec.completions".to_owned(),
                    "can only be modified in tandem with spec.parallelism".to_owned()
                ),
                ("spec.template".to_owned(), "field is immutable".to_owned()),
            ]
        );
        let plain = "Service \"s\" is invalid: spec.ports[0].port: Required value";
        assert_eq!(
            invalid_causes(plain),
            [("spec.ports[0].port".to_owned(), "Required value".to_owned())]
        );
    }
}
