//! Judging merged results: every generator reported, every threshold held.
//!
//! The verdict is `error` when it cannot be trusted (a generator's results are
//! missing, or a threshold cannot be measured), else `fail` when a threshold does
//! not hold, else `pass`. A threshold that names a request without samples is an
//! error, never a pass: a renamed request must not turn a check into a no-op.

use super::stats::{Series, Stats};
use super::{FileSummary, Results};
use crate::model::{Check, Plan, Threshold};
use crate::spec::Tool;

/// How many generators a plan runs, to tell whether every one reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Expected {
    /// Load generators over every region (k6 runners, JMeter workers, Gatling runners).
    pub generators: u32,
    /// Regions; a JMeter controller per region writes one results file.
    pub regions: u32,
}

impl Expected {
    pub fn of(plan: &Plan) -> Self {
        if plan.regions.is_empty() {
            return Expected {
                generators: plan.load.generators,
                regions: 1,
            };
        }
        Expected {
            generators: plan.regions.iter().map(|r| r.load.generators).sum(),
            regions: u32::try_from(plan.regions.len()).unwrap_or(u32::MAX),
        }
    }
}

/// What to judge against.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options<'a> {
    pub thresholds: &'a [Threshold],
    pub expected: Option<Expected>,
    /// Judge what is there even when generators are missing (said loudly).
    pub allow_incomplete: bool,
}

/// A group's name and figures.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Named {
    pub name: String,
    #[serde(flatten)]
    pub stats: Stats,
}

/// Whether every generator reported.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Completeness {
    /// Every expected generator reported (true without an expectation).
    pub complete: bool,
    pub expected: Option<Expected>,
    /// Generators with results (JMeter: workers named in the results).
    pub found: u32,
    /// What is missing, one sentence each; empty when complete.
    pub missing: Vec<String>,
    pub allow_incomplete: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Pass,
    Fail,
    /// Could not be measured (no such request, no time span).
    Error,
}

/// One evaluated threshold.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Checked {
    /// What it checks, for people: `p95 of every request ≤ 500 ms`.
    pub name: String,
    pub request: Option<String>,
    /// `p50` … `p99`, `max`, `error_rate` or `throughput`.
    pub metric: &'static str,
    /// `ms`, `ratio` (0 to 1) or `per_second`.
    pub unit: &'static str,
    pub limit: f64,
    pub measured: Option<f64>,
    pub outcome: Outcome,
    /// Why it failed or could not be measured; empty on a pass.
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Pass,
    Fail,
    Error,
}

impl Verdict {
    /// The process exit code: 0 pass, 1 fail, 2 error.
    pub fn exit_code(self) -> u8 {
        match self {
            Verdict::Pass => 0,
            Verdict::Fail => 1,
            Verdict::Error => 2,
        }
    }
}

/// Everything `perfplan report` shows.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Report {
    pub tool: Tool,
    pub files: Vec<FileSummary>,
    pub summary: Stats,
    /// From the first sample's start to the last one's end, over every generator.
    pub span_seconds: Option<f64>,
    pub generators: Vec<Named>,
    pub requests: Vec<Named>,
    pub completeness: Completeness,
    pub thresholds: Vec<Checked>,
    pub verdict: Verdict,
}

/// Judge merged results.
pub fn evaluate(results: &Results, options: &Options) -> Report {
    let total = results.total();
    let span = total.span_seconds();
    let named = |groups: std::collections::BTreeMap<String, Series>| {
        groups
            .into_iter()
            .map(|(name, s)| Named {
                name,
                stats: s.stats(span),
            })
            .collect::<Vec<_>>()
    };
    let requests = results.by_request();
    let thresholds: Vec<Checked> = options
        .thresholds
        .iter()
        .map(|t| check(t, &total, &requests, span))
        .collect();
    let completeness = completeness(results, options);
    let verdict = if !completeness.complete && !options.allow_incomplete
        || thresholds.iter().any(|t| t.outcome == Outcome::Error)
    {
        Verdict::Error
    } else if thresholds.iter().any(|t| t.outcome == Outcome::Fail) {
        Verdict::Fail
    } else {
        Verdict::Pass
    };
    Report {
        tool: results.tool,
        files: results.files.clone(),
        summary: total.stats(span),
        span_seconds: span,
        generators: named(results.by_generator()),
        requests: named(requests),
        completeness,
        thresholds,
        verdict,
    }
}

fn completeness(results: &Results, options: &Options) -> Completeness {
    let generators = results.by_generator();
    let found = u32::try_from(generators.len()).unwrap_or(u32::MAX);
    let mut missing = Vec::new();
    if let Some(expected) = options.expected {
        let files = u32::try_from(results.files.len()).unwrap_or(u32::MAX);
        let names = || generators.keys().cloned().collect::<Vec<_>>().join(", ");
        match results.tool {
            Tool::Jmeter => {
                if files < expected.regions {
                    missing.push(format!(
                        "{} of {} JMeter controllers' results.jtl missing (one per region)",
                        expected.regions - files,
                        expected.regions
                    ));
                }
                if found < expected.generators {
                    missing.push(format!(
                        "{} of {} JMeter workers missing: samples came from {found} ({})",
                        expected.generators - found,
                        expected.generators,
                        names()
                    ));
                }
            }
            Tool::K6 | Tool::Gatling => {
                if found < expected.generators {
                    missing.push(format!(
                        "{} of {} generators missing: results came from {found} ({})",
                        expected.generators - found,
                        expected.generators,
                        names()
                    ));
                }
            }
        }
    }
    Completeness {
        complete: missing.is_empty(),
        expected: options.expected,
        found,
        missing,
        allow_incomplete: options.allow_incomplete,
    }
}

/// Evaluate one threshold over every sample, or one request's.
fn check(
    threshold: &Threshold,
    total: &Series,
    requests: &std::collections::BTreeMap<String, Series>,
    span: Option<f64>,
) -> Checked {
    let (metric, unit, limit, cmp) = match threshold.check {
        Check::Latency { stat, at_most } => (stat.as_str(), "ms", at_most.as_secs_f64() * 1000.0, "≤"),
        Check::ErrorRate { at_most } => ("error_rate", "ratio", at_most, "≤"),
        Check::Throughput { at_least_per_second } => ("throughput", "per_second", at_least_per_second, "≥"),
    };
    let whom = threshold
        .request
        .as_ref()
        .map_or_else(|| "every request".to_owned(), |r| format!("request {r:?}"));
    let mut checked = Checked {
        name: format!(
            "{} of {whom} {cmp} {}",
            metric.replace('_', " "),
            show(limit, unit)
        ),
        request: threshold.request.clone(),
        metric,
        unit,
        limit,
        measured: None,
        outcome: Outcome::Error,
        message: String::new(),
    };
    let series = match &threshold.request {
        None => total,
        Some(name) => match requests.get(name) {
            Some(s) => s,
            None => {
                let known: Vec<&str> = requests.keys().map(String::as_str).take(20).collect();
                checked.message = format!(
                    "no samples of request {name:?}; the results have {}",
                    if known.is_empty() {
                        "no requests".to_owned()
                    } else {
                        format!("{known:?}")
                    }
                );
                return checked;
            }
        },
    };
    let stats = series.stats(span);
    let measured = match threshold.check {
        Check::Latency { stat, .. } => series.latency.quantile(stat.quantile()).map(|us| us / 1000.0),
        Check::ErrorRate { .. } => stats.error_rate,
        Check::Throughput { .. } => stats.throughput,
    };
    let Some(value) = measured else {
        checked.message = if series.requests() == 0 {
            "no samples".to_owned()
        } else {
            "the samples span no time: no rate can be measured".to_owned()
        };
        return checked;
    };
    let holds = match threshold.check {
        Check::Throughput { .. } => value >= limit,
        // In microseconds, the histogram's own unit, so a latency equal to the limit
        // holds however the milliseconds round.
        #[allow(clippy::cast_precision_loss)]
        Check::Latency { stat, at_most } => series
            .latency
            .quantile(stat.quantile())
            .is_some_and(|us| us <= at_most.as_nanos() as f64 / 1000.0),
        Check::ErrorRate { .. } => value <= limit,
    };
    checked.measured = Some(value);
    checked.outcome = if holds { Outcome::Pass } else { Outcome::Fail };
    if !holds {
        checked.message = format!("measured {}", show(value, unit));
    }
    checked
}

/// A value with its unit, for people: `512.3 ms`, `1.25%`, `96.2/s`.
pub fn show(value: f64, unit: &str) -> String {
    match unit {
        "ms" => format!("{} ms", trim(value, 3)),
        "ratio" => format!("{}%", trim(value * 100.0, 3)),
        _ => format!("{}/s", trim(value, 2)),
    }
}

/// At most `decimals` decimals, without trailing zeros.
pub fn trim(value: f64, decimals: usize) -> String {
    let text = format!("{value:.decimals$}");
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        text
    }
}
