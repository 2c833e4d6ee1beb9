//! `load:` — how much load, for how long, from how many generators.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Load: either a closed model (`users`) or an open model (`arrivalRate`), never both.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Load {
    /// Closed model: total virtual users (JMeter threads, k6 VUs, Gatling users) across
    /// ALL generators. perfplan gives each generator its exact share; the shares sum to
    /// this number and differ by at most one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 10_000_000), example = 3000)]
    pub users: Option<u64>,

    /// Open model: a total arrival rate of new iterations/users, split exactly across
    /// generators. Use instead of `users`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arrival_rate: Option<ArrivalRate>,

    /// Number of load-generating pods (k6 runners, JMeter or Gatling workers). Scaling a
    /// test is this one value: host lists, segments and splits all follow from it.
    #[serde(default = "default_generators")]
    #[schemars(range(min = 1, max = 10_000))]
    pub generators: u32,

    /// Total test length including ramp-up, e.g. `10m`, `1h30m`, `90s`.
    #[schemars(length(max = 64), regex(pattern = r"^([0-9]+(ms|s|m|h|d) ?)+$"), example = &"10m")]
    pub duration: String,

    /// Time to reach full load from zero, within `duration`. `0s` starts at full load.
    #[serde(default = "default_ramp_up")]
    #[schemars(length(max = 64), regex(pattern = r"^([0-9]+(ms|s|m|h|d) ?)+$"), example = &"1m")]
    pub ramp_up: String,
}

/// Open-model load: `rate` new iterations per `timeUnit`, in total across generators.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ArrivalRate {
    /// Total iterations started per `timeUnit`, across all generators.
    #[schemars(range(min = 1, max = 10_000_000), example = 200)]
    pub rate: u64,

    /// The period `rate` is counted over.
    #[serde(default = "default_time_unit")]
    #[schemars(length(max = 64), regex(pattern = r"^([0-9]+(ms|s|m|h|d) ?)+$"))]
    pub time_unit: String,

    /// Upper bound on concurrent virtual users across all generators (k6
    /// `maxVUs`, JMeter threads); enough to sustain `rate` when responses are slow.
    #[schemars(range(min = 1, max = 10_000_000), example = 500)]
    pub max_users: u64,
}

fn default_generators() -> u32 {
    1
}

fn default_ramp_up() -> String {
    "0s".to_owned()
}

fn default_time_unit() -> String {
    "1s".to_owned()
}
