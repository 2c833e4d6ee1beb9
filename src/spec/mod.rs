//! The plan document as the user writes it: serde + schemars types.
//!
//! These types *are* the plan reference: `schema/perfplan.schema.json` is generated
//! from them, and each doc comment becomes the description an editor shows while
//! the user types. Values that need parsing (durations, URLs, CIDRs, quantities)
//! stay strings here so that the semantic stage can report every bad one with its
//! span; [`crate::model`] holds the parsed form.
//!
//! Compatibility rule: a new field is optional with a default, so a plan written for
//! an earlier perfplan keeps validating and compiling to the same bundle.

mod load;
mod operations;
mod security;
mod target;
mod thresholds;
mod tools;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub use load::{ArrivalRate, Load};
pub use operations::{
    Affinity, LabelOperator, Metrics, MetricsCredentials, MetricsOutput, NodeOperator, NodeSelectorTerm,
    Placement, Region, Results, Spread, TaintEffect, Toleration, TolerationOperator,
};
pub use security::{Posture, Resources, Security};
pub use target::{AllowRule, LabelSelector, Target};
pub use thresholds::{LatencyLimits, RequestThresholds, Thresholds};
pub use tools::{GatlingMode, GatlingOptions, JmeterOptions, K6Options, K6Workload, RmiOptions};

/// A perfplan: one distributed load test, declared once, compiled for its tool.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schemars(title = "perfplan")]
pub struct PlanSpec {
    /// Format version of this file. Only `v1` exists; a later format gets a new marker
    /// so that old plans keep their meaning.
    pub perfplan: FormatVersion,

    /// Name of the test: lower-case letters, digits and `-`, starting with a letter (a
    /// DNS-1035 label, so that Service names derived from it are valid). It prefixes
    /// every generated object and is the `app.kubernetes.io/instance` label.
    #[schemars(length(min = 1, max = 63), regex(pattern = r"^[a-z]([-a-z0-9]*[a-z0-9])?$"))]
    #[schemars(example = &"checkout-peak")]
    pub name: String,

    /// Namespace the test runs in. Every generated object, NetworkPolicies included, lives in it.
    #[serde(default = "default_namespace")]
    #[schemars(
        length(min = 1, max = 63),
        regex(pattern = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
    )]
    pub namespace: String,

    /// The load tool. Each compiles to the Kubernetes primitives its distribution model
    /// needs: JMeter (RMI controller + worker StatefulSet), k6 (independent runners),
    /// Gatling (Akka master + worker StatefulSet, or independent pods).
    pub tool: Tool,

    /// The test script: a file path relative to this plan (embedded in a ConfigMap whose
    /// name carries a content hash, so a script change rolls the pods), or an existing
    /// ConfigMap. Extensions: JMeter `.jmx`; k6 `.js`, `.mjs`, `.cjs`, `.ts`; Gatling
    /// `.scala`, `.java`, `.kt`.
    #[schemars(example = &"scripts/checkout.js")]
    pub script: Script,

    /// How much load, for how long, from how many generator pods.
    pub load: Load,

    /// The system under test and where load may go.
    pub target: Target,

    /// Security posture applied to every pod perfplan emits.
    #[serde(default)]
    pub security: Security,

    /// CPU and memory for each generator pod (requests and limits). Defaults per tool.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resources: Option<Resources>,

    /// Container image of the load tool, pinned by tag or digest. Defaults to a pinned
    /// image per tool: `justb4/jmeter:5.5`, `grafana/k6:0.55.0`,
    /// `denvazh/gatling:3.2.1`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 512))]
    pub image: Option<String>,

    /// Names of Secrets (in `namespace`) used to pull images from private registries.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 32))]
    pub image_pull_secrets: Vec<ObjectName>,

    /// Extra labels put on every generated object (for cost allocation, ownership).
    /// Keys and values follow Kubernetes label syntax; `app.kubernetes.io/*` is reserved.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[schemars(extend("maxProperties" = 64, "additionalProperties" = {"type": "string", "maxLength": 63}))]
    pub labels: BTreeMap<String, String>,

    /// Where generator pods are scheduled: spread over nodes, node selector,
    /// tolerations, priority.
    #[serde(default)]
    pub placement: Placement,

    /// Where results go: a PersistentVolumeClaim, and when finished Jobs are deleted.
    #[serde(default)]
    pub results: Results,

    /// Real-time metrics output (Prometheus remote write, InfluxDB, Graphite), with
    /// its own egress rule and credentials from a Secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metrics: Option<Metrics>,

    /// Where the test's pods resolve names. Without it, DNS may go only to the pods
    /// labelled `k8s-app: kube-dns` in `kube-system` on port 53, which is where
    /// kubeadm, EKS, GKE and AKS run the cluster DNS.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dns: Option<Dns>,

    /// Run the test from several regions or clusters at once: one bundle per region,
    /// the total load split exactly across regions, then across each region's
    /// generators. Without it the test runs from one cluster.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 32))]
    pub regions: Vec<Region>,

    /// JMeter options; only with `tool: jmeter`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jmeter: Option<JmeterOptions>,

    /// k6 options; only with `tool: k6`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub k6: Option<K6Options>,

    /// Gatling options; only with `tool: gatling` (which needs `simulationClass`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gatling: Option<GatlingOptions>,
}

fn default_namespace() -> String {
    "default".to_owned()
}

/// The plan format version marker.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum FormatVersion {
    /// The first plan format.
    #[serde(rename = "v1")]
    V1,
}

/// A supported load tool.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Tool {
    /// Apache JMeter, distributed over Java RMI.
    Jmeter,
    /// Grafana k6, as independent runners each running an exact execution segment.
    K6,
    /// Gatling, as an Akka cluster (master + workers) or as independent pods.
    Gatling,
}

impl Tool {
    /// The name used in object names, labels and messages.
    pub fn as_str(self) -> &'static str {
        match self {
            Tool::Jmeter => "jmeter",
            Tool::K6 => "k6",
            Tool::Gatling => "gatling",
        }
    }

    /// Every tool, in a fixed order (for messages and tests).
    pub const ALL: [Tool; 3] = [Tool::Jmeter, Tool::K6, Tool::Gatling];
}

/// Where the test script comes from.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum Script {
    /// A file relative to the plan's folder; it must stay inside that folder.
    File(#[schemars(length(min = 1, max = 1024))] String),
    /// A ConfigMap that already exists in the namespace.
    ConfigMap(ExistingScript),
}

/// A script held in a ConfigMap that perfplan does not create.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ExistingScript {
    /// Name of the ConfigMap.
    pub config_map: ObjectName,
    /// Key inside the ConfigMap that holds the script; its extension must match the tool.
    #[schemars(length(min = 1, max = 253), regex(pattern = r"^[-._a-zA-Z0-9]+$"))]
    pub key: String,
}

/// The cluster DNS the test's pods may reach, for clusters where it is not kube-dns
/// in `kube-system`: NodeLocal DNSCache (`[{cidr: 169.254.20.10/32}]`), OpenShift
/// (`[{namespace: openshift-dns, podSelector: {matchLabels:
/// {dns.operator.openshift.io/daemonset-dns: default}}, ports: [5353]}]`).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Dns {
    /// Where DNS lookups may go, written like `target.allow`; `ports` default to 53
    /// and each port is allowed over UDP and TCP. This replaces the kube-dns default.
    #[schemars(length(min = 1, max = 16))]
    pub allow: Vec<AllowRule>,
}

/// The name of a Kubernetes object (DNS-1123 subdomain).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
#[serde(transparent)]
pub struct ObjectName(
    #[schemars(
        length(min = 1, max = 253),
        regex(pattern = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
    )]
    pub String,
);

impl ObjectName {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}
