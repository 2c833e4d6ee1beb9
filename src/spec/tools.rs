//! Per-tool blocks: `jmeter:`, `k6:`, `gatling:`.

use super::ObjectName;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// JMeter options.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct JmeterOptions {
    /// Extra JMeter properties set on every worker and the controller (`-J`, one argument
    /// each), read in the test plan with `${__P(name)}`. Names perfplan sets itself
    /// (`threads`, `rampup`, …) are reserved.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[schemars(extend("maxProperties" = 256, "additionalProperties" = {"type": "string", "maxLength": 4096}))]
    pub properties: BTreeMap<String, String>,

    /// Java RMI between controller and workers.
    #[serde(default)]
    pub rmi: RmiOptions,
}

/// RMI transport security. SSL is on unless the plan turns it off: perfplan never
/// disables it silently.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RmiOptions {
    /// Use RMI over SSL (JMeter's default). Needs `keystoreSecret`.
    #[serde(default = "default_true")]
    pub ssl: bool,

    /// Secret holding `rmi_keystore.jks` (made with JMeter's `create-rmi-keystore.sh`)
    /// and the key `password`. Mounted read-only (mode 0440) at `/etc/perfplan/rmi`;
    /// the container reads the password from that file into a mode-0600 properties
    /// file that JMeter loads with `-q`. It is never in the manifest, an env var (no
    /// secretKeyRef) or a `-J` argument (JMeter logs those with their values).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keystore_secret: Option<ObjectName>,
}

impl Default for RmiOptions {
    fn default() -> Self {
        RmiOptions {
            ssl: true,
            keystore_secret: None,
        }
    }
}

fn default_true() -> bool {
    true
}

/// k6 options.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct K6Options {
    /// `indexed-job` (default): an Indexed Job, each runner runs an exact execution
    /// segment once. `deployment`: long-running runners for continuous soak load; users
    /// must divide evenly by generators.
    #[serde(default)]
    pub workload: K6Workload,
}

/// The Kubernetes workload k6 runners live in.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum K6Workload {
    /// An Indexed Job: runner i runs execution segment i/N, once.
    #[default]
    IndexedJob,
    /// A Deployment of interchangeable runners, kept alive with `--linger`.
    Deployment,
}

/// Gatling options.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct GatlingOptions {
    /// Fully qualified class name of the simulation, e.g. `computerdatabase.BasicSimulation`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(
        length(min = 1, max = 255),
        regex(pattern = r"^[A-Za-z_$][A-Za-z0-9_$]*(\.[A-Za-z_$][A-Za-z0-9_$]*)*$"),
        example = &"computerdatabase.BasicSimulation"
    )]
    pub simulation_class: Option<String>,

    /// `cluster` (default): Akka master + worker StatefulSet, for images that implement
    /// Gatling clustering; the master finds the workers through DNS. `independent`: an
    /// Indexed Job of stock Gatling pods, each running its exact share of the injection
    /// profile.
    #[serde(default)]
    pub mode: GatlingMode,

    /// No longer used, and may be removed (a warning says so): the master's worker
    /// discovery once listed pods through the Kubernetes API at these addresses; it now
    /// resolves the workers' DNS names and reaches no API server. Still accepted, so
    /// plans written for it keep validating.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 16), inner(length(min = 1, max = 64)), extend("deprecated" = true))]
    pub api_server: Vec<String>,

    /// Image with `sh`, `getent` and `awk` for the master's worker-discovery init
    /// container (cluster mode); default `alpine:3.24.2`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 512))]
    pub discovery_image: Option<String>,
}

/// How Gatling generators coordinate.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum GatlingMode {
    /// Akka remoting: a master Job drives a worker StatefulSet.
    #[default]
    Cluster,
    /// No coordination: each pod runs its share on its own.
    Independent,
}
