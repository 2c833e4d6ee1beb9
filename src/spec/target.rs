//! `target:` — the system under test and where load may go.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The system under test. A NetworkPolicy can only match IP blocks and pod/namespace
/// selectors, never host names, so a host-name URL needs `allow` entries.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Target {
    /// Base URL of the system under test (`http`, `https`, `ws`, `wss`). Reaches the
    /// script as `TARGET_URL` (k6 env, JMeter/Gatling property `target.url`).
    #[schemars(length(min = 1, max = 2048), example = &"https://shop.staging.example.com")]
    pub url: String,

    /// Where load may go: each entry is an egress rule of the test's NetworkPolicy. An
    /// IP-literal URL host is allowed on its own (as a /32 or /128).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 64))]
    pub allow: Vec<AllowRule>,
}

/// One egress destination: an IP block, or in-cluster pods chosen by namespace and/or
/// pod selectors. The same rule serves every list of destinations (`target.allow`,
/// `dns.allow`, a metrics endpoint's `allow`), so its words name no one purpose; each
/// list says what its ports default to.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct AllowRule {
    /// An IP block in CIDR notation, e.g. `10.20.0.0/16`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 64), example = &"10.20.0.0/16")]
    pub cidr: Option<String>,

    /// Blocks inside `cidr` that stay forbidden.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 64), inner(length(max = 64)))]
    pub except: Vec<String>,

    /// Shorthand for a namespace selector on `kubernetes.io/metadata.name`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(
        length(min = 1, max = 63),
        regex(pattern = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
    )]
    pub namespace: Option<String>,

    /// Namespaces whose pods may be reached.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace_selector: Option<LabelSelector>,

    /// Pods that may be reached (in the test's namespace unless a namespace is named).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pod_selector: Option<LabelSelector>,

    /// Ports that may be reached. Default: the URL's port in `target.allow` and
    /// `metrics.allow` (443 for https/wss, 80 for http/ws, 2003 for graphite); 53 in
    /// `dns.allow`, where each port is allowed over UDP and TCP.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 64))]
    pub ports: Vec<Port>,
}

/// A TCP port number.
pub type Port = u16;

/// A Kubernetes label selector (equality only).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct LabelSelector {
    /// Labels that must all match.
    #[serde(default)]
    #[schemars(extend("maxProperties" = 64, "additionalProperties" = {"type": "string", "maxLength": 63}))]
    pub match_labels: BTreeMap<String, String>,
}
