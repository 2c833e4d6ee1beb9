//! The values perfplan writes for the perf-distributed-testing charts (`perf-jmeter`,
//! `perf-k6`, `perf-gatling`, chart version 1.0.0), as types: they serialize to
//! `values.yaml` and generate the published values schemas in `schema/helm/`.
//!
//! The charts document `test.configMapName`, the replica count of their load role,
//! `test.vuCount` (k6), `test.simulationClass` (Gatling) and `global.imagePullSecrets`;
//! the rest uses the conventional Helm keys (`image`, `resources`,
//! `podSecurityContext`, `securityContext`, `networkPolicy`, `commonLabels`).

use schemars::JsonSchema;
use serde::Serialize;
use std::collections::BTreeMap;

/// Values for `perf-jmeter`.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(title = "perf-jmeter values written by perfplan")]
pub struct JmeterValues {
    pub global: Global,
    pub test: JmeterTest,
    /// The JMeter RMI workers (load generators).
    pub worker: Role,
    #[serde(flatten)]
    pub common: Common,
}

/// Values for `perf-k6`.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(title = "perf-k6 values written by perfplan")]
pub struct K6Values {
    pub global: Global,
    pub test: K6Test,
    /// The k6 runners (load generators).
    pub runner: Role,
    #[serde(flatten)]
    pub common: Common,
}

/// Values for `perf-gatling`.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(title = "perf-gatling values written by perfplan")]
pub struct GatlingValues {
    pub global: Global,
    pub test: GatlingTest,
    /// The Gatling workers (load generators).
    pub worker: Role,
    #[serde(flatten)]
    pub common: Common,
}

/// Keys every chart shares (after the chart's own keys).
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Common {
    /// Labels added to every object the chart renders (the plan's `labels`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub common_labels: BTreeMap<String, String>,
    /// Pod-level security context of every pod.
    pub pod_security_context: PodSecurityContext,
    /// Container-level security context of every container.
    pub security_context: SecurityContext,
    /// The NetworkPolicy that lets load reach only the target.
    pub network_policy: NetworkPolicy,
    /// Node labels every pod must match (plan: placement.nodeSelector).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub node_selector: BTreeMap<String, String>,
    /// Taints every pod tolerates (plan: placement.tolerations).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tolerations: Vec<Toleration>,
    /// PriorityClass of every pod (plan: placement.priorityClassName).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority_class_name: Option<String>,
    /// Affinity of every pod (plan: placement.affinity, as written).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub affinity: Option<crate::spec::Affinity>,
}

/// A Kubernetes toleration.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Toleration {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    pub operator: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effect: Option<String>,
}

/// Chart-wide settings.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Global {
    /// Secrets for pulling images from a private registry.
    pub image_pull_secrets: Vec<String>,
}

/// `perf-jmeter`'s `test`.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct JmeterTest {
    /// ConfigMap holding the test plan under the key `test-plan.jmx`.
    #[schemars(length(min = 1, max = 253))]
    pub config_map_name: String,
}

/// `perf-k6`'s `test`.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct K6Test {
    /// ConfigMap holding the script under the key `script.js`.
    #[schemars(length(min = 1, max = 253))]
    pub config_map_name: String,
    /// Total virtual users across all runners.
    #[schemars(range(min = 1))]
    pub vu_count: u64,
}

/// `perf-gatling`'s `test`.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GatlingTest {
    /// ConfigMap holding the simulation under the key `<Simulation>.scala`.
    #[schemars(length(min = 1, max = 253))]
    pub config_map_name: String,
    /// Fully qualified class name of the simulation.
    #[schemars(length(min = 1))]
    pub simulation_class: String,
}

/// A load-generating role: how many pods, which image, what resources.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Role {
    /// Number of load-generating pods: the one value that scales the test.
    #[schemars(range(min = 1, max = 10000))]
    pub replicas: u32,
    pub image: Image,
    pub resources: Resources,
}

/// An image, pinned by tag or digest.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Image {
    #[schemars(length(min = 1))]
    pub repository: String,
    /// The tag; empty when `digest` pins the image.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag: Option<String>,
    /// `sha256:…` when the plan pins a digest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
    pub pull_policy: String,
}

/// Requests and limits.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Resources {
    pub requests: Quantities,
    pub limits: Quantities,
}

/// CPU and memory quantities.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Quantities {
    pub cpu: String,
    pub memory: String,
}

/// The pod security context fields perfplan sets.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PodSecurityContext {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_as_non_root: Option<bool>,
    pub run_as_user: u32,
    pub run_as_group: u32,
    pub fs_group: u32,
    pub seccomp_profile: SeccompProfile,
}

/// A seccomp profile.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct SeccompProfile {
    #[serde(rename = "type")]
    pub type_: String,
}

/// The container security context fields perfplan sets.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SecurityContext {
    pub allow_privilege_escalation: bool,
    pub privileged: bool,
    pub read_only_root_filesystem: bool,
    pub capabilities: Capabilities,
}

/// Linux capabilities.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Capabilities {
    pub drop: Vec<String>,
}

/// NetworkPolicy settings.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct NetworkPolicy {
    pub enabled: bool,
    /// Egress rules of the load generators, in NetworkPolicy form (DNS and the
    /// tool's own traffic are the chart's business).
    pub egress: Vec<EgressRule>,
}

/// One NetworkPolicy egress rule.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct EgressRule {
    pub to: Vec<Peer>,
    pub ports: Vec<Port>,
}

/// A NetworkPolicy peer: an IP block or namespace/pod selectors.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Peer {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip_block: Option<IpBlock>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace_selector: Option<Selector>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pod_selector: Option<Selector>,
}

/// An IP block.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct IpBlock {
    pub cidr: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub except: Vec<String>,
}

/// A label selector.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Selector {
    pub match_labels: BTreeMap<String, String>,
}

/// A port.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Port {
    pub port: u16,
    pub protocol: String,
}

/// The published values schema of each chart: (chart, file under `schema/`, schema).
pub fn schemas() -> Vec<(&'static str, String, String)> {
    let one = |chart: &'static str, schema: schemars::Schema| {
        let mut text = serde_json::to_string_pretty(&schema).expect("schemas serialize");
        text.push('\n');
        (chart, format!("schema/helm/{chart}.values.schema.json"), text)
    };
    let generator = || schemars::generate::SchemaSettings::draft07().into_generator();
    vec![
        one("perf-jmeter", generator().into_root_schema_for::<JmeterValues>()),
        one("perf-k6", generator().into_root_schema_for::<K6Values>()),
        one(
            "perf-gatling",
            generator().into_root_schema_for::<GatlingValues>(),
        ),
    ]
}
