//! Real-time metrics, the part every tool shares: the credentials Secret, mounted
//! read-only into the load generators' containers under fixed file names, and the
//! shell lines that read it. Each tool file sets its own flags and properties.
//!
//! Credentials never appear in a manifest and never in an env var of the pod spec
//! (where `kubectl describe` and audit logs would show them): the container's shell
//! reads the files just before `exec`ing the tool.

use super::{Topology, pod};
use crate::model::Plan;
use k8s_openapi::api::core::v1::{KeyToPath, SecretVolumeSource, Volume};

const DIR: &str = "/etc/perfplan/metrics";
const VOLUME: &str = "metrics-credentials";

/// A credential file in [`DIR`]. The Secret's keys are mapped onto these fixed
/// names, so scripts only ever mention perfplan's own constants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Credential {
    Username,
    Password,
    Token,
}

impl Credential {
    pub fn file(self) -> &'static str {
        match self {
            Credential::Username => "username",
            Credential::Password => "password",
            Credential::Token => "token",
        }
    }

    /// The Secret key the plan maps onto this file, if any.
    fn key(self, plan: &Plan) -> Option<&str> {
        let c = plan.metrics.as_ref()?.credentials.as_ref()?;
        match self {
            Credential::Username => c.username_key.as_deref(),
            Credential::Password => c.password_key.as_deref(),
            Credential::Token => c.token_key.as_deref(),
        }
    }

    /// Whether the plan provides this credential.
    pub fn provided(self, plan: &Plan) -> bool {
        self.key(plan).is_some()
    }

    /// Where the credential is mounted.
    pub fn path(self) -> String {
        format!("{DIR}/{}", self.file())
    }

    /// `"$(cat <file>)"`: the credential's value as a shell word.
    pub fn read(self) -> String {
        format!("\"$(cat {})\"", self.path())
    }
}

const ALL: [Credential; 3] = [Credential::Username, Credential::Password, Credential::Token];

/// `export VAR="$(cat FILE)"` for each credential the plan provides, with the env
/// var name the tool reads it from.
pub fn export_lines(plan: &Plan, vars: &[(Credential, &str)]) -> String {
    vars.iter()
        .filter(|(c, _)| c.provided(plan))
        .map(|(c, var)| format!("export {var}={}\n", c.read()))
        .collect()
}

/// Mount the credentials Secret into every container of the load-generating pods
/// (not init containers, which never talk to the metrics backend).
pub fn attach(plan: &Plan, topology: &mut Topology) {
    let Some(volume) = credentials_volume(plan) else {
        return;
    };
    let generators: Vec<&str> = topology.metrics_senders.iter().map(|c| c.as_str()).collect();
    for object in &mut topology.objects {
        if !object.component().is_some_and(|c| generators.contains(&c)) {
            continue;
        }
        if let Some(spec) = object.pod_spec_mut() {
            for c in &mut spec.containers {
                c.volume_mounts
                    .get_or_insert_default()
                    .push(pod::mount(VOLUME, DIR, true));
            }
            spec.volumes.get_or_insert_default().push(volume.clone());
        }
    }
}

fn credentials_volume(plan: &Plan) -> Option<Volume> {
    let secret = &plan.metrics.as_ref()?.credentials.as_ref()?.secret;
    let items = ALL
        .iter()
        .filter_map(|c| {
            c.key(plan).map(|key| KeyToPath {
                key: key.to_owned(),
                path: c.file().to_owned(),
                mode: None,
            })
        })
        .collect();
    Some(Volume {
        name: VOLUME.to_owned(),
        secret: Some(SecretVolumeSource {
            secret_name: Some(secret.clone()),
            // Only the named keys: a missing one fails the pod's start loudly
            // instead of sending metrics unauthenticated.
            items: Some(items),
            // Owner and group (fsGroup) may read; nobody else.
            default_mode: Some(0o440),
            optional: None,
        }),
        ..Default::default()
    })
}
