//! `placement:` and `results:` — where generators run and where results go.

use super::ObjectName;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Where generator pods are scheduled.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Placement {
    /// Spread load generators over nodes (`kubernetes.io/hostname`): two generators
    /// on one node defeat the point of distributing load. `required` leaves a
    /// generator Pending rather than share a node; `preferred` (default) shares only
    /// when there are fewer nodes than generators; `none` lets the scheduler decide.
    #[serde(default)]
    pub spread: Spread,
    /// Node labels every pod of the test must match, e.g. a dedicated load pool.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[schemars(extend("maxProperties" = 64, "additionalProperties" = {"type": "string", "maxLength": 63}))]
    pub node_selector: BTreeMap<String, String>,
    /// Taints every pod of the test tolerates (for a tainted load pool).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 32))]
    pub tolerations: Vec<Toleration>,
    /// PriorityClass of every pod of the test.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority_class_name: Option<ObjectName>,
    /// Kubernetes affinity for every pod of the test, passed through as written
    /// (same fields as a pod's `spec.affinity`), e.g. to keep generators away from
    /// the system under test's nodes. Spreading uses topology spread constraints,
    /// so it composes with any affinity given here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub affinity: Option<Affinity>,
}

/// A pod's affinity: node affinity, pod affinity and pod anti-affinity.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Affinity {
    /// Which nodes the pods may (required) or should (preferred) run on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_affinity: Option<NodeAffinity>,
    /// Pods these pods must or should share a topology domain with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pod_affinity: Option<PodAffinity>,
    /// Pods these pods must or should not share a topology domain with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pod_anti_affinity: Option<PodAffinity>,
}

/// Node affinity, as in Kubernetes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct NodeAffinity {
    /// Nodes must match one of these terms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub required_during_scheduling_ignored_during_execution: Option<NodeSelector>,
    /// Nodes matching these terms score their weight.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 32))]
    pub preferred_during_scheduling_ignored_during_execution: Vec<PreferredSchedulingTerm>,
}

/// Node selector terms, ORed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct NodeSelector {
    /// At least one term; a node matching any of them qualifies.
    #[schemars(length(min = 1, max = 32))]
    pub node_selector_terms: Vec<NodeSelectorTerm>,
}

/// Requirements on node labels and fields, ANDed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct NodeSelectorTerm {
    /// Requirements on node labels.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 32))]
    pub match_expressions: Vec<NodeRequirement>,
    /// Requirements on node fields (`metadata.name`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 32))]
    pub match_fields: Vec<NodeRequirement>,
}

/// One requirement on a node label or field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct NodeRequirement {
    /// The label key (or field name).
    #[schemars(length(min = 1, max = 317))]
    pub key: String,
    /// `In`, `NotIn`, `Exists`, `DoesNotExist`, `Gt` or `Lt`.
    pub operator: NodeOperator,
    /// Values for `In`/`NotIn` (at least one), `Gt`/`Lt` (exactly one integer); none
    /// for `Exists`/`DoesNotExist`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 64), inner(length(max = 63)))]
    pub values: Vec<String>,
}

/// A node selector operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum NodeOperator {
    In,
    NotIn,
    Exists,
    DoesNotExist,
    Gt,
    Lt,
}

impl NodeOperator {
    /// The Kubernetes spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            NodeOperator::In => "In",
            NodeOperator::NotIn => "NotIn",
            NodeOperator::Exists => "Exists",
            NodeOperator::DoesNotExist => "DoesNotExist",
            NodeOperator::Gt => "Gt",
            NodeOperator::Lt => "Lt",
        }
    }
}

/// A weighted node selector term.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PreferredSchedulingTerm {
    /// 1 to 100.
    #[schemars(range(min = 1, max = 100))]
    pub weight: u8,
    /// The term a node should match.
    pub preference: NodeSelectorTerm,
}

/// Pod affinity or anti-affinity, as in Kubernetes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PodAffinity {
    /// Terms every pod must satisfy.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 32))]
    pub required_during_scheduling_ignored_during_execution: Vec<PodAffinityTerm>,
    /// Terms that score their weight.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 32))]
    pub preferred_during_scheduling_ignored_during_execution: Vec<WeightedPodAffinityTerm>,
}

/// Pods (chosen by labels, in namespaces) and the topology domain shared with them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PodAffinityTerm {
    /// The pods this term is about.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label_selector: Option<Selector>,
    /// Namespaces of those pods (default: the test's namespace).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 32), inner(length(max = 63)))]
    pub namespaces: Vec<String>,
    /// Namespaces of those pods, by label.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace_selector: Option<Selector>,
    /// The node label whose value defines a domain, e.g. `kubernetes.io/hostname`.
    #[schemars(length(min = 1, max = 317))]
    pub topology_key: String,
}

/// A weighted pod affinity term.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct WeightedPodAffinityTerm {
    /// 1 to 100.
    #[schemars(range(min = 1, max = 100))]
    pub weight: u8,
    /// The term.
    pub pod_affinity_term: PodAffinityTerm,
}

/// A Kubernetes label selector with labels and expressions.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Selector {
    /// Labels that must all match.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[schemars(extend("maxProperties" = 64, "additionalProperties" = {"type": "string", "maxLength": 63}))]
    pub match_labels: BTreeMap<String, String>,
    /// Requirements that must all hold.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 32))]
    pub match_expressions: Vec<LabelRequirement>,
}

/// One requirement on a label.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct LabelRequirement {
    /// The label key.
    #[schemars(length(min = 1, max = 317))]
    pub key: String,
    /// `In`, `NotIn`, `Exists` or `DoesNotExist`.
    pub operator: LabelOperator,
    /// Values for `In`/`NotIn` (at least one); none for `Exists`/`DoesNotExist`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 64), inner(length(max = 63)))]
    pub values: Vec<String>,
}

/// A label selector operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum LabelOperator {
    In,
    NotIn,
    Exists,
    DoesNotExist,
}

impl LabelOperator {
    /// The Kubernetes spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            LabelOperator::In => "In",
            LabelOperator::NotIn => "NotIn",
            LabelOperator::Exists => "Exists",
            LabelOperator::DoesNotExist => "DoesNotExist",
        }
    }
}

/// How strictly generators avoid sharing a node.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Spread {
    /// At most one generator per node; extra generators stay Pending.
    Required,
    /// Spread as evenly as the nodes allow.
    #[default]
    Preferred,
    /// No spreading.
    None,
}

/// A Kubernetes toleration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Toleration {
    /// The taint key; empty with `operator: Exists` tolerates every taint.
    #[serde(default)]
    #[schemars(length(max = 317))]
    pub key: String,
    /// `Equal` (default) or `Exists`.
    #[serde(default)]
    pub operator: TolerationOperator,
    /// The taint value (with `Equal`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 63))]
    pub value: Option<String>,
    /// `NoSchedule`, `PreferNoSchedule` or `NoExecute`; all effects when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effect: Option<TaintEffect>,
}

/// How a toleration matches a taint.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum TolerationOperator {
    #[default]
    Equal,
    Exists,
}

impl TolerationOperator {
    /// The Kubernetes spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            TolerationOperator::Equal => "Equal",
            TolerationOperator::Exists => "Exists",
        }
    }
}

/// A taint effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum TaintEffect {
    NoSchedule,
    PreferNoSchedule,
    NoExecute,
}

impl TaintEffect {
    /// The Kubernetes spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            TaintEffect::NoSchedule => "NoSchedule",
            TaintEffect::PreferNoSchedule => "PreferNoSchedule",
            TaintEffect::NoExecute => "NoExecute",
        }
    }
}

/// Where results go when the pods finish.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Results {
    /// A PersistentVolumeClaim (ReadWriteMany when generators run on several nodes)
    /// mounted at `/results` in every pod, each pod writing to its own subfolder
    /// named after the pod. Without it, results live in the pods' emptyDirs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub persistent_volume_claim: Option<ObjectName>,
    /// Delete finished Jobs (and their pods) this many seconds after they finish.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(max = 31_536_000))]
    pub ttl_seconds_after_finished: Option<u32>,
    /// What makes the test pass: latency, error-rate and throughput limits over the
    /// merged samples of every generator, judged by `perfplan report`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thresholds: Option<super::Thresholds>,
}

/// Real-time metrics: where every load generator streams its samples while the test
/// runs, so dashboards show the test live rather than after it ends.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Metrics {
    /// The metrics backend. `prometheusRemoteWrite`: k6 (`-o experimental-prometheus-rw`).
    /// `influxdb`: k6 (built-in InfluxDB v1 output) and JMeter (the test plan's
    /// Backend Listener reads the properties perfplan sets). `graphite`: JMeter
    /// (Backend Listener) and Gatling (its graphite data writer).
    pub output: MetricsOutput,
    /// The endpoint. `prometheusRemoteWrite`: the remote-write URL
    /// (`https://prometheus.example.com/api/v1/write`); `influxdb` with k6: the server
    /// and database (`http://influxdb.monitoring:8086/k6`), with JMeter: the write
    /// URL the Backend Listener posts to (`http://influxdb:8086/write?db=jmeter`);
    /// `graphite`: `tcp://graphite.monitoring:2003` (port 2003 by default). No
    /// credentials in the URL: use `credentials`.
    #[schemars(length(min = 1, max = 2048), example = &"https://prometheus.example.com/api/v1/write")]
    pub url: String,
    /// Where metrics may go: egress rules of the generators' NetworkPolicy, like
    /// `target.allow`; `ports` default to the URL's port (2003 for `graphite`). An
    /// IP-literal URL host is allowed on its own.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 64))]
    pub allow: Vec<super::AllowRule>,
    /// Credentials, from a Secret only: mounted read-only into the generator
    /// containers and read from files there, never written into a manifest or an
    /// environment variable of the pod spec.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credentials: Option<MetricsCredentials>,
}

/// A metrics backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum MetricsOutput {
    /// Prometheus remote write (k6).
    PrometheusRemoteWrite,
    /// InfluxDB (k6: v1 API; JMeter: Backend Listener).
    Influxdb,
    /// Graphite plaintext protocol (JMeter, Gatling).
    Graphite,
}

impl MetricsOutput {
    /// The plan's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            MetricsOutput::PrometheusRemoteWrite => "prometheusRemoteWrite",
            MetricsOutput::Influxdb => "influxdb",
            MetricsOutput::Graphite => "graphite",
        }
    }
}

/// Keys of a Secret (in the test's namespace) holding metrics credentials.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct MetricsCredentials {
    /// The Secret's name.
    pub secret: ObjectName,
    /// Key holding the user name (basic auth: `prometheusRemoteWrite`, `influxdb` with k6).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 253), regex(pattern = r"^[-._a-zA-Z0-9]+$"))]
    pub username_key: Option<String>,
    /// Key holding the password (with `usernameKey`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 253), regex(pattern = r"^[-._a-zA-Z0-9]+$"))]
    pub password_key: Option<String>,
    /// Key holding an API token (`influxdb` with JMeter: the listener's `influxdbToken`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 253), regex(pattern = r"^[-._a-zA-Z0-9]+$"))]
    pub token_key: Option<String>,
}

/// One region (or cluster) of a geographically distributed test. Each region gets its
/// own bundle, applied with its own kube context; the plan's total load is split
/// exactly across regions, then across each region's generators.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Region {
    /// Region name: a DNS label. It suffixes the test's name in every object of the
    /// region (`<name>-<region>-…`), so two regions can even share a cluster.
    #[schemars(length(min = 1, max = 32), regex(pattern = r"^[a-z]([-a-z0-9]*[a-z0-9])?$"))]
    #[schemars(example = &"eu-west")]
    pub name: String,
    /// The kubeconfig context the region's bundle is applied with (used in the
    /// written INSTALL.md and by `diff --cluster --region`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 253))]
    pub context: Option<String>,
    /// The region's weight: it gets `share / (sum of shares)` of the load, split
    /// exactly (largest remainder). Use either `share` on every region or `users` on
    /// every region.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 1_000_000))]
    pub share: Option<u64>,
    /// Exactly this many of `load.users` run in this region (closed model only);
    /// the regions' users must add up to `load.users`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 10_000_000))]
    pub users: Option<u64>,
    /// Generator pods in this region. Give it on every region (they must add up to
    /// `load.generators`) or on none (then `load.generators` is split like the load,
    /// at least one per region).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 10_000))]
    pub generators: Option<u32>,
}
