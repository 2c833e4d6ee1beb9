//! Pieces every tool's pods share: the script ConfigMap and its volume, scratch
//! volumes, env vars, ports and the pod template.

use super::{Component, meta};
use crate::model::{Plan, Script};
use k8s_openapi::api::core::v1::{
    ConfigMap, ConfigMapVolumeSource, ContainerPort, EmptyDirVolumeSource, EnvVar, EnvVarSource, KeyToPath,
    LocalObjectReference, ObjectFieldSelector, PodSpec, PodTemplateSpec, Probe, TCPSocketAction, Volume,
    VolumeMount,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use std::collections::BTreeMap;

/// Where the test script is mounted, read-only.
pub const SCRIPT_DIR: &str = "/etc/perfplan/script";
/// Scratch space: the JVM's and the tools' temporary files (the root filesystem is
/// read-only under the restricted posture).
pub const TMP_DIR: &str = "/tmp";
/// Results the tool writes (logs, JTL, reports, summaries).
pub const RESULTS_DIR: &str = "/results";

pub const SCRIPT_VOLUME: &str = "script";
pub const TMP_VOLUME: &str = "tmp";
pub const RESULTS_VOLUME: &str = "results";

/// The path of the script inside the containers.
pub fn script_path(plan: &Plan) -> String {
    format!("{SCRIPT_DIR}/{}", plan.script.key())
}

/// The ConfigMap that embeds an inline script; `None` when the plan names an
/// existing one. Immutable: its name carries the content hash, so a changed script
/// is a new ConfigMap, never an edit under running pods.
pub fn script_config_map(plan: &Plan) -> Option<ConfigMap> {
    match &plan.script {
        Script::Inline {
            file_name,
            content,
            hash,
        } => Some(ConfigMap {
            metadata: meta::annotated(
                plan,
                meta::names(plan).script_config_map(hash),
                None,
                BTreeMap::from([(meta::PURPOSE.to_owned(), "test script".to_owned())]),
            ),
            data: Some(BTreeMap::from([(file_name.clone(), content.clone())])),
            immutable: Some(true),
            ..Default::default()
        }),
        Script::Existing { .. } => None,
    }
}

/// The volume that holds the script, whichever ConfigMap it lives in.
pub fn script_volume(plan: &Plan) -> Volume {
    let (name, items) = match &plan.script {
        Script::Inline { hash, .. } => (meta::names(plan).script_config_map(hash), None),
        // Mount only the named key, so the rest of a shared ConfigMap stays out.
        Script::Existing { config_map, key } => (
            config_map.clone(),
            Some(vec![KeyToPath {
                key: key.clone(),
                path: key.clone(),
                mode: None,
            }]),
        ),
    };
    Volume {
        name: SCRIPT_VOLUME.to_owned(),
        config_map: Some(ConfigMapVolumeSource {
            name,
            items,
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// A scratch volume that lives as long as the pod.
pub fn empty_dir(name: &str) -> Volume {
    Volume {
        name: name.to_owned(),
        empty_dir: Some(EmptyDirVolumeSource::default()),
        ..Default::default()
    }
}

/// A volume mount.
pub fn mount(volume: &str, path: &str, read_only: bool) -> VolumeMount {
    VolumeMount {
        name: volume.to_owned(),
        mount_path: path.to_owned(),
        read_only: read_only.then_some(true),
        ..Default::default()
    }
}

/// A string the kubelet passes through unchanged. Kubernetes expands `$(NAME)` in
/// `command`, `args` and env values (and reduces `$$` to `$`), so a plan value such
/// as a URL path `/$(SECRET)` would otherwise be replaced by another env var.
pub fn literal(s: &str) -> String {
    s.replace('$', "$$")
}

/// An env var with a literal value (escaped with [`literal`]).
pub fn env(name: &str, value: impl AsRef<str>) -> EnvVar {
    EnvVar {
        name: name.to_owned(),
        value: Some(literal(value.as_ref())),
        value_from: None,
    }
}

/// An env var from the downward API (`metadata.name`, `status.podIP`, …).
pub fn env_field(name: &str, field_path: &str) -> EnvVar {
    EnvVar {
        name: name.to_owned(),
        value: None,
        value_from: Some(EnvVarSource {
            field_ref: Some(ObjectFieldSelector {
                api_version: None,
                field_path: field_path.to_owned(),
            }),
            ..Default::default()
        }),
    }
}

/// The Indexed Job completion index of this pod, as `RUNNER_INDEX`.
pub fn env_completion_index(name: &str) -> EnvVar {
    env_field(
        name,
        "metadata.annotations['batch.kubernetes.io/job-completion-index']",
    )
}

/// A named TCP container port.
pub fn port(name: &str, number: u16) -> ContainerPort {
    ContainerPort {
        name: Some(name.to_owned()),
        container_port: i32::from(number),
        protocol: Some("TCP".to_owned()),
        ..Default::default()
    }
}

/// Probes for a server that listens on a TCP port. Readiness gates traffic; liveness
/// is deliberately lenient (five minutes of failures) so a generator saturated by its
/// own load is not killed in the middle of a test.
pub fn tcp_probes(port: u16) -> (Probe, Probe) {
    let tcp = || {
        Some(TCPSocketAction {
            port: IntOrString::Int(i32::from(port)),
            host: None,
        })
    };
    let readiness = Probe {
        tcp_socket: tcp(),
        period_seconds: Some(5),
        ..Default::default()
    };
    let liveness = Probe {
        tcp_socket: tcp(),
        initial_delay_seconds: Some(30),
        period_seconds: Some(30),
        failure_threshold: Some(10),
        ..Default::default()
    };
    (readiness, liveness)
}

/// Requests equal limits: Guaranteed QoS, so the scheduler places pods honestly
/// and a generator can neither starve nor be starved by its neighbours.
pub fn guaranteed(cpu: &str, memory: &str) -> k8s_openapi::api::core::v1::ResourceRequirements {
    use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
    let both = BTreeMap::from([
        ("cpu".to_owned(), Quantity(cpu.to_owned())),
        ("memory".to_owned(), Quantity(memory.to_owned())),
    ]);
    k8s_openapi::api::core::v1::ResourceRequirements {
        limits: Some(both.clone()),
        requests: Some(both),
        ..Default::default()
    }
}

/// Resources of containers that only coordinate (wait, resolve names, run kubectl,
/// resume runners).
pub fn coordinator_resources() -> k8s_openapi::api::core::v1::ResourceRequirements {
    guaranteed("100m", "128Mi")
}

/// The pod template of one component: labels, pull secrets, and no Service env
/// vars (`enableServiceLinks: false`): a test namespace may hold many Services, and
/// their env vars would only leak names into the tool's environment.
pub fn template(plan: &Plan, component: Component, spec: PodSpec) -> PodTemplateSpec {
    let pull_secrets = plan
        .image_pull_secrets
        .iter()
        .map(|name| LocalObjectReference { name: name.clone() })
        .collect::<Vec<_>>();
    PodTemplateSpec {
        metadata: Some(ObjectMeta {
            labels: Some(meta::labels(plan, Some(component))),
            ..Default::default()
        }),
        spec: Some(PodSpec {
            enable_service_links: Some(false),
            image_pull_secrets: (!pull_secrets.is_empty()).then_some(pull_secrets),
            ..spec
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(script: &str) -> Plan {
        let text = format!(
            "perfplan: v1\nname: shop\ntool: k6\nscript: {script}\n\
             load: {{users: 10, generators: 1, duration: 1m}}\ntarget: {{url: \"https://10.0.0.1\"}}\n"
        );
        match crate::validate(&crate::Source::new("p.yaml", text, ".")) {
            Ok(v) => v.plan,
            Err(r) => panic!("{r}"),
        }
    }

    /// A script in a ConfigMap the plan does not own mounts that one key only: the
    /// other keys of a shared ConfigMap (other teams' scripts, perhaps credentials)
    /// stay out of the load generators. Kills the mutant that deletes `items`.
    #[test]
    fn an_existing_config_map_mounts_only_the_scripts_key() {
        let plan = plan("{configMap: shared-scripts, key: t.js}");
        assert!(script_config_map(&plan).is_none());
        let volume = script_volume(&plan);
        assert_eq!(volume.name, SCRIPT_VOLUME);
        let source = volume.config_map.expect("a ConfigMap volume");
        assert_eq!(source.name, "shared-scripts");
        assert_eq!(
            source.items,
            Some(vec![KeyToPath {
                key: "t.js".to_owned(),
                path: "t.js".to_owned(),
                mode: None,
            }])
        );
        assert_eq!(script_path(&plan), "/etc/perfplan/script/t.js");
    }

    /// The kubelet's `$(NAME)` expansion and `$$` escape: every `$` is doubled, so
    /// the container sees the plan's text unchanged, and nothing else is touched.
    #[test]
    fn literal_doubles_every_dollar_and_nothing_else() {
        assert_eq!(literal("/$(SECRET)/$$/${HOME}$"), "/$$(SECRET)/$$$$/$${HOME}$$");
        assert_eq!(literal("plain 'text' \"q\" `x` ;"), "plain 'text' \"q\" `x` ;");
        assert_eq!(literal(""), "");
        let e = env("TARGET_URL", "https://h/$(POD_IP)");
        assert_eq!(e.name, "TARGET_URL");
        assert_eq!(e.value.as_deref(), Some("https://h/$$(POD_IP)"));
        assert!(e.value_from.is_none());
    }
}
