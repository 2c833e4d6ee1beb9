//! Judging merged results: every generator reported, every threshold held.
//!
//! The verdict is `error` when it cannot be trusted (a generator's results are
//! missing, or a threshold cannot be measured), else `fail` when a threshold does
//! not hold, else `pass`. A threshold that names a request without samples is an
//! error, never a pass: a renamed request must not turn a check into a no-op.

use super::completeness::{self, Completeness, Expected};
use super::stats::{Series, Stats};
use super::{FileSummary, Results};
use crate::model::{Check, Threshold};
use crate::spec::Tool;

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
    let completeness = completeness::check(results, options);
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
        Check::Latency { stat, .. } => series.latency.quantile(stat.quantile()).map(super::stats::millis),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::LatencyStat;
    use crate::report::test_support::{hundred, results};
    use std::time::Duration;

    fn latency(stat: LatencyStat, ms: u64, request: Option<&str>) -> Threshold {
        Threshold {
            request: request.map(str::to_owned),
            check: Check::Latency {
                stat,
                at_most: Duration::from_micros(ms),
            },
        }
    }

    fn judge(results: &Results, thresholds: &[Threshold]) -> Report {
        evaluate(
            results,
            &Options {
                thresholds,
                ..Options::default()
            },
        )
    }

    #[test]
    fn limits_hold_at_their_edge_and_fail_just_beyond() {
        let r = hundred();
        // p95 of 1..=100 ms: i = 0.95·99 = 94.05 → 95 + 0.05 = 95.05 ms = 95,050 µs.
        let report = judge(
            &r,
            &[
                latency(LatencyStat::P95, 95_050, None),
                latency(LatencyStat::P95, 95_049, None),
                latency(LatencyStat::Max, 100_000, Some("a")),
                Threshold {
                    request: None,
                    check: Check::ErrorRate { at_most: 0.01 },
                },
                Threshold {
                    request: None,
                    check: Check::ErrorRate { at_most: 0.0099 },
                },
                // 100 samples from 0 to 9.9 s + 100 ms: exactly 10/s.
                Threshold {
                    request: Some("a".to_owned()),
                    check: Check::Throughput {
                        at_least_per_second: 10.0,
                    },
                },
                Threshold {
                    request: None,
                    check: Check::Throughput {
                        at_least_per_second: 10.001,
                    },
                },
            ],
        );
        let outcomes: Vec<_> = report.thresholds.iter().map(|t| t.outcome).collect();
        use Outcome::{Fail, Pass};
        assert_eq!(outcomes, [Pass, Fail, Pass, Pass, Fail, Pass, Fail]);
        assert_eq!(report.verdict, Verdict::Fail);
        assert_eq!(report.thresholds[1].measured, Some(95.05));
        assert_eq!(report.thresholds[1].message, "measured 95.05 ms");
        assert_eq!(report.thresholds[0].name, "p95 of every request ≤ 95.05 ms");
        assert_eq!(report.thresholds[3].name, "error rate of every request ≤ 1%");
    }

    #[test]
    fn a_request_without_samples_is_an_error_not_a_pass() {
        let report = judge(
            &hundred(),
            &[
                latency(LatencyStat::P99, 1, None),
                latency(LatencyStat::P99, 1_000_000, Some("b")),
            ],
        );
        assert_eq!(report.thresholds[1].outcome, Outcome::Error);
        assert_eq!(
            report.thresholds[1].message,
            "no samples of request \"b\"; the results have [\"a\"]"
        );
        assert_eq!(report.verdict, Verdict::Error, "an error outranks a failure");
        assert_eq!(report.verdict.exit_code(), 2);
        let none = judge(&hundred(), &[]);
        assert_eq!((none.verdict, none.thresholds.len()), (Verdict::Pass, 0));
    }

    #[test]
    fn samples_spanning_no_time_have_no_rate() {
        let r = results(Tool::Gatling, &[("g", "a", 5, 0, true)]);
        let t = Threshold {
            request: None,
            check: Check::Throughput {
                at_least_per_second: 1.0,
            },
        };
        let report = judge(&r, &[t]);
        assert_eq!(report.thresholds[0].outcome, Outcome::Error);
        assert!(report.thresholds[0].message.contains("span no time"));
    }
}
