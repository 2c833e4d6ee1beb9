//! Whether every generator reported: a plan says how many run, the results say
//! how many wrote. Fewer is an error unless `--allow-incomplete`; a report over part
//! of a test must never read as a verdict on all of it.

use super::Results;
use super::verdict::Options;
use crate::model::Plan;
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

pub(super) fn check(results: &Results, options: &Options) -> Completeness {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Check, LatencyStat, Threshold};
    use crate::report::input::Collector;
    use crate::report::test_support::{hundred, results};
    use crate::report::verdict::{Verdict, evaluate};
    use std::time::Duration;

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
        let thresholds = [Threshold {
            request: None,
            check: Check::Latency {
                stat: LatencyStat::P50,
                at_most: Duration::from_micros(1),
            },
        }];
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
