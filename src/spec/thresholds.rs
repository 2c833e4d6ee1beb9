//! `results.thresholds:` — what makes a test pass, judged over every generator's
//! merged samples by `perfplan report`.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Pass/fail criteria over the whole distributed test. `perfplan report` merges the
/// raw samples of every generator (exact percentiles, never an average of each
/// generator's own) and exits 0 when every criterion holds, 1 when one fails. Each
/// tool's own thresholds judge one generator alone; these judge the test.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Thresholds {
    /// Response-time limits over every request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency: Option<LatencyLimits>,
    /// The largest acceptable fraction of failed requests, from 0 to 1: `0.01` is 1 %,
    /// `0` allows none. A request fails as its tool counts it (k6: not an expected
    /// response; JMeter: an unsuccessful sample; Gatling: KO).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 1), example = 0.01)]
    pub error_rate: Option<f64>,
    /// The smallest acceptable throughput: requests per second over the whole test,
    /// from the first request's start to the last one's end, across every generator.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 100_000_000), example = 100)]
    pub throughput: Option<f64>,
    /// Limits for single requests, by name: k6's `name` tag (the URL unless the
    /// script sets one), a JMeter sampler's label, a Gatling request's name. A name
    /// with no samples is an error in the report, never a pass.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[schemars(length(max = 256))]
    pub requests: BTreeMap<String, RequestThresholds>,
}

/// Pass/fail criteria over the samples of one request name.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RequestThresholds {
    /// Response-time limits over this request's samples.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency: Option<LatencyLimits>,
    /// The largest acceptable fraction of this request's samples that fail (0 to 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 1), example = 0.01)]
    pub error_rate: Option<f64>,
    /// The smallest acceptable rate of this request, per second over the whole test.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 100_000_000))]
    pub throughput: Option<f64>,
}

/// Upper bounds on response-time statistics, as durations (`500ms`, `1.5s` is
/// written `1s 500ms`). Percentiles interpolate between the closest ranks as k6's
/// own `p(N)` does; each limit holds when the measured value is at most it.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct LatencyLimits {
    /// The median.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 64), regex(pattern = r"^([0-9]+(ms|s|m|h) ?)+$"), example = &"200ms")]
    pub p50: Option<String>,
    /// The 90th percentile.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 64), regex(pattern = r"^([0-9]+(ms|s|m|h) ?)+$"), example = &"400ms")]
    pub p90: Option<String>,
    /// The 95th percentile.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 64), regex(pattern = r"^([0-9]+(ms|s|m|h) ?)+$"), example = &"500ms")]
    pub p95: Option<String>,
    /// The 99th percentile.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 64), regex(pattern = r"^([0-9]+(ms|s|m|h) ?)+$"), example = &"1s")]
    pub p99: Option<String>,
    /// The slowest request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 64), regex(pattern = r"^([0-9]+(ms|s|m|h) ?)+$"), example = &"5s")]
    pub max: Option<String>,
}

impl LatencyLimits {
    /// The limits set, with their names, in the order a report lists them.
    pub fn set(&self) -> Vec<(&'static str, &str)> {
        [
            ("p50", &self.p50),
            ("p90", &self.p90),
            ("p95", &self.p95),
            ("p99", &self.p99),
            ("max", &self.max),
        ]
        .into_iter()
        .filter_map(|(name, v)| v.as_deref().map(|v| (name, v)))
        .collect()
    }
}
