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
    use crate::report::input::Collector;
    use std::time::Duration;

    /// Results of `(generator, request, start µs, duration µs, ok)` samples, one file
    /// per generator.
    fn results(tool: Tool, samples: &[(&str, &str, i64, u64, bool)]) -> Results {
        let mut by_generator: std::collections::BTreeMap<&str, Collector> = Default::default();
        for &(g, r, start, duration, ok) in samples {
            by_generator
                .entry(g)
                .or_default()
                .record(g.as_bytes(), r.as_bytes(), start, duration, ok);
        }
        let mut out = Results::new(tool);
        for (g, c) in by_generator {
            out.add(g, c.finish(None));
        }
        out
    }

    /// 100 samples over 10 s: `a` takes 1..=100 ms, one in a hundred fails.
    fn hundred() -> Results {
        let samples: Vec<_> = (1..=100u64)
            .map(|i| {
                let g = if i % 2 == 0 { "g0" } else { "g1" };
                (g, "a", (i as i64 - 1) * 100_000, i * 1000, i != 50)
            })
            .collect();
        results(Tool::K6, &samples)
    }

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

    #[test]
    fn missing_generators_are_an_error_unless_allowed() {
        let r = hundred();
        let expected = Some(Expected {
            generators: 3,
            regions: 1,
        });
        let strict = evaluate(
            &r,
            &Options {
                expected,
                ..Options::default()
            },
        );
        assert_eq!(strict.verdict, Verdict::Error);
        assert_eq!(
            strict.completeness.missing,
            ["1 of 3 generators missing: results came from 2 (g0, g1)"]
        );
        let thresholds = [latency(LatencyStat::P50, 1, None)];
        let allowed = evaluate(
            &r,
            &Options {
                thresholds: &thresholds,
                expected,
                allow_incomplete: true,
            },
        );
        assert_eq!(
            (allowed.verdict, allowed.completeness.complete),
            (Verdict::Fail, false)
        );
        let enough = evaluate(
            &r,
            &Options {
                expected: Some(Expected {
                    generators: 2,
                    regions: 1,
                }),
                ..Options::default()
            },
        );
        assert_eq!(
            (enough.verdict, enough.completeness.complete),
            (Verdict::Pass, true)
        );
    }

    #[test]
    fn jmeter_counts_controllers_per_region_and_workers_by_host_name() {
        let r = results(Tool::Jmeter, &[("w0", "a", 0, 1, true), ("w1", "a", 0, 1, true)]);
        let mut one_file = Results::new(Tool::Jmeter);
        let mut c = Collector::default();
        for (g, cells) in r.cells.iter().map(|((g, _), s)| (g, s)) {
            c.record(g.as_bytes(), b"a", cells.first_start.unwrap(), 1, true);
        }
        one_file.add("results.jtl", c.finish(None));
        let report = evaluate(
            &one_file,
            &Options {
                expected: Some(Expected {
                    generators: 3,
                    regions: 2,
                }),
                ..Options::default()
            },
        );
        assert_eq!(
            report.completeness.missing,
            [
                "1 of 2 JMeter controllers' results.jtl missing (one per region)",
                "1 of 3 JMeter workers missing: samples came from 2 (w0, w1)"
            ]
        );
    }
}

#[cfg(test)]
mod plans {
    use super::Expected;

    fn expected(name: &str) -> Expected {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("plans");
        let path = dir.join(format!("{name}.yaml"));
        let text = std::fs::read_to_string(&path).unwrap();
        let plan = crate::validate(&crate::Source::new(name, text, &dir))
            .unwrap()
            .plan;
        Expected::of(&plan)
    }

    #[test]
    fn the_plan_says_how_many_generators_report() {
        assert_eq!(
            expected("k6-basic"),
            Expected {
                generators: 3,
                regions: 1
            }
        );
        assert_eq!(
            expected("k6-regions"),
            Expected {
                generators: 5,
                regions: 2
            },
            "3 + 2"
        );
        assert_eq!(expected("jmeter-regions").regions, 2);
    }
}
