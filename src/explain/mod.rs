//! `perfplan explain`: what a plan will run, at a glance, read from the compiled
//! bundle itself (so it can never disagree with what `compile` emits): every pod and
//! object, each generator's exact share, resources per pod and in total, the traffic
//! the NetworkPolicies allow, how the generators start together, where results go,
//! the thresholds and the capacity findings. One [`Part`] per region.

mod network;
mod render;

pub use render::to_text;

use crate::emit::Bundle;
use crate::model::{Check, LoadModel, Plan, Threshold};
use crate::names::Shape;
use crate::spec::{GatlingMode, K6Workload};
use crate::tools::Splits;
use serde::Serialize;
use serde_json::Value;

/// The explanation of a whole plan: one part, or one per region.
#[derive(Debug, Clone, Serialize)]
pub struct Explanation {
    pub plan: String,
    pub tool: &'static str,
    pub parts: Vec<Part>,
}

/// What one cluster runs: the plan itself, or one of its regions.
#[derive(Debug, Clone, Serialize)]
pub struct Part {
    /// The region's name; `None` for a plan without regions.
    pub region: Option<String>,
    pub namespace: String,
    pub image: String,
    /// `users 3000 over 3: 3 x 1000`, as the split annotation says.
    pub load: String,
    pub duration_seconds: u64,
    pub ramp_up_seconds: u64,
    /// Each generator's exact share, by index.
    pub generators: Vec<Share>,
    pub pods: Vec<PodGroup>,
    pub total: Total,
    /// How the generators start together (or why they do not).
    pub start: String,
    /// Every connection the NetworkPolicies allow; all else is denied.
    pub network: Vec<network::Rule>,
    pub results: Results,
    /// Capacity findings (lints); empty when none apply.
    pub capacity: Vec<String>,
    /// Every object, `Kind/name`, in install order.
    pub objects: Vec<String>,
}

/// One generator's part of the load.
#[derive(Debug, Clone, Serialize)]
pub struct Share {
    pub index: u32,
    /// Users, threads or VUs (the arrival rate's user pool for an open model).
    pub users: u64,
    /// Iterations per time unit, for an open model; fractional where the tool
    /// splits a rate into equal fractions (k6 execution segments).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rate: Option<f64>,
    /// k6's execution segment, for indexed k6 runners.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub segment: Option<String>,
}

/// The pods of one workload, all alike.
#[derive(Debug, Clone, Serialize)]
pub struct PodGroup {
    /// `Job/checkout-peak-k6-runner`.
    pub workload: String,
    /// `runner`, `controller`, … (`app.kubernetes.io/component`).
    pub component: String,
    pub count: u64,
    /// Per pod, as the scheduler counts it: the larger of the init containers' and
    /// the sum of the containers' values.
    pub cpu_request: f64,
    pub cpu_limit: f64,
    pub memory_request_bytes: f64,
    pub memory_limit_bytes: f64,
}

/// Everything the plan's pods ask the cluster for.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Total {
    pub pods: u64,
    pub cpu_request: f64,
    pub cpu_limit: f64,
    pub memory_request_bytes: f64,
    pub memory_limit_bytes: f64,
}

/// Where results go and what judges them.
#[derive(Debug, Clone, Serialize)]
pub struct Results {
    /// `persistentVolumeClaim perf-results` or `emptyDir`.
    pub volume: String,
    /// What each generator writes there.
    pub files: String,
    /// The thresholds, as `perfplan report` states them.
    pub thresholds: Vec<String>,
}

/// Explain a valid plan.
pub fn explain(plan: &Plan) -> Explanation {
    let parts = if plan.regions.is_empty() {
        vec![part(plan, None, &crate::emit::compile(plan))]
    } else {
        crate::emit::compile_regions(plan)
            .iter()
            .map(|(r, bundle)| part(&plan.in_region(r), Some(r.name.clone()), bundle))
            .collect()
    };
    Explanation {
        plan: plan.name.clone(),
        tool: plan.tool().as_str(),
        parts,
    }
}

fn part(plan: &Plan, region: Option<String>, bundle: &Bundle) -> Part {
    let pods = pod_groups(bundle);
    let total = pods.iter().fold(Total::default(), |t, g| {
        #[allow(clippy::cast_precision_loss)] // pod counts are far below 2^52
        let n = g.count as f64;
        Total {
            pods: t.pods + g.count,
            cpu_request: t.cpu_request + n * g.cpu_request,
            cpu_limit: t.cpu_limit + n * g.cpu_limit,
            memory_request_bytes: t.memory_request_bytes + n * g.memory_request_bytes,
            memory_limit_bytes: t.memory_limit_bytes + n * g.memory_limit_bytes,
        }
    });
    let splits = Splits::of(plan);
    Part {
        region,
        namespace: plan.namespace.clone(),
        image: plan.image.clone(),
        load: load_text(plan, &splits),
        duration_seconds: plan.load.duration.as_secs(),
        ramp_up_seconds: plan.load.ramp_up.as_secs(),
        generators: shares(plan, &splits),
        pods,
        total,
        start: crate::tools::start_barrier(plan),
        network: network::rules(bundle),
        results: results(plan),
        capacity: crate::lint::lint(plan)
            .into_iter()
            .filter(|l| l.code == crate::diag::codes::LINT_CAPACITY)
            .map(|l| l.message)
            .collect(),
        objects: bundle
            .manifests
            .iter()
            .map(|m| format!("{}/{}", m.kind, m.name))
            .collect(),
    }
}

/// The load in words, with the split.
fn load_text(plan: &Plan, splits: &Splits) -> String {
    match (plan.load.model, splits.rate) {
        (LoadModel::ArrivalRate { time_unit, .. }, Some(rate)) => {
            let summary = if k6_segments(plan) {
                rate.fractional_summary()
            } else {
                rate.summary()
            };
            format!(
                "rate per {}s {summary}; max users {}",
                time_unit.as_secs(),
                splits.users.summary()
            )
        }
        _ => format!("users {}", splits.users.summary()),
    }
}

/// Whether k6 splits the load by execution segments (rates become fractions).
fn k6_segments(plan: &Plan) -> bool {
    plan.shape == Shape::K6(K6Workload::IndexedJob)
}

fn shares(plan: &Plan, splits: &Splits) -> Vec<Share> {
    let n = plan.load.generators;
    (0..n)
        .map(|i| Share {
            index: i,
            users: splits.users.share(i),
            rate: splits.rate.map(|r| {
                #[allow(clippy::cast_precision_loss)] // rates are far below 2^52
                if k6_segments(plan) {
                    r.total as f64 / f64::from(n)
                } else {
                    r.share(i) as f64
                }
            }),
            segment: k6_segments(plan).then(|| crate::split::k6_segment(i, n)),
        })
        .collect()
}

/// Every workload's pods, from the bundle's pod templates.
fn pod_groups(bundle: &Bundle) -> Vec<PodGroup> {
    bundle
        .manifests
        .iter()
        .filter_map(|m| {
            let spec = &m.value["spec"];
            let count = match m.kind.as_str() {
                "StatefulSet" | "Deployment" => spec["replicas"].as_u64().unwrap_or(1),
                "Job" => spec["completions"].as_u64().unwrap_or(1),
                _ => return None,
            };
            let pod = &spec["template"]["spec"];
            let (cpu_request, memory_request_bytes) = effective(pod, "requests");
            let (cpu_limit, memory_limit_bytes) = effective(pod, "limits");
            Some(PodGroup {
                workload: format!("{}/{}", m.kind, m.name),
                component: spec["template"]["metadata"]["labels"][crate::lower::meta::COMPONENT]
                    .as_str()
                    .unwrap_or("")
                    .to_owned(),
                count,
                cpu_request,
                cpu_limit,
                memory_request_bytes,
                memory_limit_bytes,
            })
        })
        .collect()
}

/// A pod's effective CPU (cores) and memory (bytes) for `requests` or `limits`: the
/// larger of the largest init container and the sum of the containers, as the
/// Kubernetes scheduler computes it (init containers run one at a time, first).
fn effective(pod: &Value, which: &str) -> (f64, f64) {
    let of = |c: &Value| {
        let r = &c["resources"][which];
        (
            r["cpu"].as_str().and_then(crate::quantity::cores).unwrap_or(0.0),
            r["memory"]
                .as_str()
                .and_then(crate::quantity::bytes)
                .unwrap_or(0.0),
        )
    };
    let list = |key: &str| pod[key].as_array().cloned().unwrap_or_default();
    let sum = list("containers")
        .iter()
        .map(of)
        .fold((0.0, 0.0), |a, b| (a.0 + b.0, a.1 + b.1));
    let init = list("initContainers")
        .iter()
        .map(of)
        .fold((0.0, 0.0), |a: (f64, f64), b| (a.0.max(b.0), a.1.max(b.1)));
    (sum.0.max(init.0), sum.1.max(init.1))
}

fn results(plan: &Plan) -> Results {
    let volume = match &plan.results.persistent_volume_claim {
        Some(claim) => format!("persistentVolumeClaim {claim}, one subfolder per pod"),
        None => "emptyDir: deleted with each pod".to_owned(),
    };
    let files = match plan.shape {
        Shape::K6(_) => "each runner: samples.csv.gz (every request), summary.json",
        Shape::Jmeter => "the controller: results.jtl (every worker's samples), jmeter.log, report/",
        Shape::Gatling(GatlingMode::Independent) => {
            "each runner: <simulation>-<time>/simulation.log and its HTML report"
        }
        Shape::Gatling(GatlingMode::Cluster) => {
            "whatever the cluster image writes to /results (its layout is the image's)"
        }
    };
    Results {
        volume,
        files: files.to_owned(),
        thresholds: plan.results.thresholds.iter().map(threshold_text).collect(),
    }
}

/// A threshold as a line: `p95 <= 500ms`, `cart: error rate <= 2%`.
pub fn threshold_text(t: &Threshold) -> String {
    let check = match t.check {
        Check::Latency { stat, at_most } => {
            format!("{} <= {}", stat.as_str(), humantime::format_duration(at_most))
        }
        Check::ErrorRate { at_most } => format!("error rate <= {}%", at_most * 100.0),
        Check::Throughput { at_least_per_second } => format!("throughput >= {at_least_per_second}/s"),
    };
    match &t.request {
        Some(name) => format!("{name}: {check}"),
        None => check,
    }
}
