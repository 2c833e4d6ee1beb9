//! Lints: plans that are valid but would not run the test they describe. Warnings
//! with spans and help (`--deny-warnings` makes them fail in CI).
//!
//! - A JMeter thread group that hard-codes its thread count instead of reading the
//!   `threads` property perfplan sets: with N workers it runs N times the load.
//! - A k6 script whose own load options conflict with the plan's.
//! - More users per k6 runner than one k6 process is known to carry, or than its
//!   memory holds.
//! - A JMeter plan that streams metrics while its test plan has no Backend Listener
//!   reading the properties perfplan sets (nothing would be sent).
//! - A `baseline` plan without `resources` (see [`baseline_without_resources`]).

use crate::diag::{Code, codes};
use crate::model::{LoadModel, Plan, Script};
use crate::spec::{MetricsOutput, Tool};
use quick_xml::XmlVersion;
use quick_xml::events::Event;

/// One finding, at a place in the plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lint {
    pub code: Code,
    pub path: Vec<&'static str>,
    pub message: String,
    pub help: String,
}

/// Every lint of a valid plan.
pub fn lint(plan: &Plan) -> Vec<Lint> {
    let mut out = Vec::new();
    if let Script::Inline {
        content, file_name, ..
    } = &plan.script
    {
        match plan.tool() {
            Tool::Jmeter => {
                out.extend(jmeter_threads(plan, file_name, content));
                out.extend(jmeter_metrics(plan, file_name, content));
            }
            Tool::K6 => out.extend(k6_options(plan, file_name, content)),
            Tool::Gatling => {}
        }
        out.extend(unread_load(plan, file_name, content));
    }
    out.extend(results_volume(plan));
    if plan.tool() == Tool::K6 {
        if plan.regions.is_empty() {
            out.extend(k6_capacity(plan));
        }
        // Each region's runners carry that region's part, which can be far from the
        // plan-wide average.
        for r in &plan.regions {
            out.extend(k6_capacity(&plan.in_region(r)).into_iter().map(|l| Lint {
                path: vec!["regions"],
                message: format!("region `{}`: {}", r.name, l.message),
                help: format!(
                    "for region `{}` (its `share`/`users` and `generators`): {}",
                    r.name, l.help
                ),
                ..l
            }));
        }
    }
    out
}

/// An XML element's attribute, with entities resolved.
fn attribute(e: &quick_xml::events::BytesStart<'_>, name: &str) -> Option<String> {
    e.attributes()
        .flatten()
        .find(|a| AsRef::<str>::as_ref(&a.key) == name)
        .and_then(|a| {
            a.normalized_value(XmlVersion::Implicit1_0)
                .ok()
                .map(|v| v.into_owned())
        })
}

/// Thread groups whose `ThreadGroup.num_threads` is a literal, with their names.
pub fn hard_coded_thread_groups(jmx: &str) -> Vec<(String, String)> {
    let mut reader = quick_xml::Reader::from_str(jmx);
    let mut found = Vec::new();
    let mut group: Option<String> = None;
    let mut in_threads = false;
    loop {
        match reader.read_event() {
            Ok(Event::Start(e)) => {
                let attr = |name: &str| attribute(&e, name);
                if attr("testclass").is_some_and(|c| c.ends_with("ThreadGroup")) {
                    group = Some(attr("testname").unwrap_or_default());
                }
                let name = e.name();
                let element: &str = name.as_ref();
                in_threads = group.is_some()
                    && matches!(element, "stringProp" | "intProp")
                    && attr("name").as_deref() == Some("ThreadGroup.num_threads");
            }
            Ok(Event::Text(t)) if in_threads => {
                let value = t.xml_content(XmlVersion::Implicit1_0).trim().to_owned();
                let reads_property = value.contains("__P(") || value.contains("__property(");
                if !reads_property && let Some(g) = &group {
                    found.push((g.clone(), value));
                }
                in_threads = false;
            }
            Ok(Event::End(e)) if AsRef::<str>::as_ref(&e.name()).ends_with("ThreadGroup") => group = None,
            Ok(Event::Eof) | Err(_) => break,
            _ => {}
        }
    }
    found
}

fn jmeter_threads(plan: &Plan, file: &str, jmx: &str) -> Vec<Lint> {
    let n = plan.load.generators;
    hard_coded_thread_groups(jmx)
        .into_iter()
        .map(|(group, value)| Lint {
            code: codes::LINT_JMETER_THREADS,
            path: vec!["script"],
            message: format!(
                "thread group `{group}` in {file} hard-codes {value} threads: with {n} workers JMeter runs {}",
                value.parse::<u64>().map_or(format!("{n} times that"), |t| format!("{} threads", t * u64::from(n)))
            ),
            help: "set the thread group's Number of Threads to `${__P(threads,1)}` so each worker runs its share \
                   of `load.users` (and Ramp-up to `${__P(rampup,0)}`, Duration to `${__P(duration,60)}`)"
                .to_owned(),
        })
        .collect()
}

/// A JMeter or Gatling script that never reads the load property its plan's model
/// sets: an arrival-rate plan whose script ignores `rate` runs every thread or user
/// unpaced (far above the rate); a users plan whose Gatling simulation ignores `users`
/// runs its own count on every runner. k6 needs no such check: perfplan sets k6's
/// scenarios itself. A text search: a property read through a variable is missed
/// (a false warning, never a false silence about a literal read).
fn unread_load(plan: &Plan, file: &str, script: &str) -> Option<Lint> {
    let rate_plan = matches!(plan.load.model, LoadModel::ArrivalRate { .. });
    let (property, reads, help) = match (plan.tool(), rate_plan) {
        (Tool::Jmeter, true) => (
            "rate",
            reads_jmeter_property(script, "rate"),
            "pace the thread group with JMeter's stock Precise Throughput Timer: Target throughput \
             `${__P(rate,1)}`, Throughput period `${__P(rate.unit,1)}`, Test duration `${__P(duration,60)}` (as \
             plans/scripts/login-rate.jmx does)",
        ),
        (Tool::Gatling, true) => (
            "rate",
            script.contains("\"rate\""),
            "inject `constantUsersPerSec(rate / rateUnit)` with `rate` and `rate.unit` read from the system \
             properties (as plans/scripts/CheckoutSimulation.scala does)",
        ),
        (Tool::Gatling, false) => (
            "users",
            script.contains("\"users\""),
            "inject `rampUsers(users)` with `users` read from the system property (`Integer.getInteger(\"users\", 1)`)",
        ),
        _ => return None,
    };
    (!reads).then(|| Lint {
        code: codes::LINT_LOAD_PROPERTY,
        path: vec!["script"],
        message: format!(
            "{file} never reads the `{property}` property: each generator would run the script's own load, not \
             its share of the plan's"
        ),
        help: help.to_owned(),
    })
}

/// Whether a JMeter test plan reads the property `name` with `${__P(name…)}` or
/// `${__property(name…)}` (not a longer name such as `rate.unit`).
fn reads_jmeter_property(jmx: &str, name: &str) -> bool {
    ["__P(", "__property("].iter().any(|call| {
        jmx.match_indices(call).any(|(i, _)| {
            let rest = jmx[i + call.len()..].trim_start();
            rest.strip_prefix(name)
                .is_some_and(|after| after.trim_start().starts_with([',', ')']))
        })
    })
}

/// A test plan's Backend Listeners: for each, its client class and whether any of
/// its arguments reads a `metrics.*` property.
pub fn backend_listeners(jmx: &str) -> Vec<(String, bool)> {
    let mut reader = quick_xml::Reader::from_str(jmx);
    let mut found = Vec::new();
    // Depth inside the current Backend Listener element, and what it holds.
    let mut depth = 0usize;
    let mut classname = String::new();
    let mut reads = false;
    let mut in_classname = false;
    loop {
        match reader.read_event() {
            Ok(Event::Start(e)) => {
                let attr = |name: &str| attribute(&e, name);
                if depth > 0 {
                    depth += 1;
                    in_classname = attr("name").as_deref() == Some("classname");
                } else if attr("testclass").as_deref() == Some("BackendListener") {
                    depth = 1;
                    classname.clear();
                    reads = false;
                }
            }
            Ok(Event::Text(t)) if depth > 0 => {
                let text = t.xml_content(XmlVersion::Implicit1_0);
                reads |= text.contains("__P(metrics.") || text.contains("__property(metrics.");
                if in_classname {
                    classname = text.trim().to_owned();
                }
            }
            Ok(Event::End(_)) if depth > 0 => {
                depth -= 1;
                in_classname = false;
                if depth == 0 {
                    found.push((classname.clone(), reads));
                }
            }
            Ok(Event::Eof) | Err(_) => break,
            _ => {}
        }
    }
    found
}

/// Metrics from JMeter need the test plan's help: a Backend Listener of the right
/// kind that reads the properties perfplan sets. Without it the plan's `metrics`
/// would send nothing, silently.
fn jmeter_metrics(plan: &Plan, file: &str, jmx: &str) -> Option<Lint> {
    let output = plan.metrics.as_ref()?.output;
    let (client, kind) = match output {
        MetricsOutput::Graphite => ("GraphiteBackendListenerClient", "Graphite"),
        _ => ("InfluxdbBackendListenerClient", "Influxdb"),
    };
    let listeners = backend_listeners(jmx);
    let help = format!(
        "add a Backend Listener with `{client}` whose arguments read the properties perfplan sets: \
         {}; see the README's Real-time metrics section",
        if output == MetricsOutput::Graphite {
            "graphiteHost `${__P(metrics.host)}`, graphitePort `${__P(metrics.port)}`, rootMetricsPrefix \
             `${__P(metrics.application)}.${__P(metrics.instance)}.`"
        } else {
            "influxdbUrl `${__P(metrics.url)}`, influxdbToken `${__P(metrics.token)}`, application \
             `${__P(metrics.application)}`, TAG_instance `${__P(metrics.instance)}`"
        }
    );
    let message = if listeners.is_empty() {
        format!(
            "the plan streams metrics to {}, but {file} has no Backend Listener: nothing would be sent",
            output.as_str()
        )
    } else if !listeners.iter().any(|(class, _)| class.contains(kind)) {
        format!(
            "the plan streams metrics to {}, but {file}'s Backend Listener is not a `{client}`",
            output.as_str()
        )
    } else if !listeners
        .iter()
        .any(|(class, reads)| class.contains(kind) && *reads)
    {
        format!(
            "{file}'s Backend Listener does not read the `metrics.*` properties perfplan sets: it would not send to the plan's endpoint"
        )
    } else {
        return None;
    };
    Some(Lint {
        code: codes::LINT_JMETER_METRICS,
        path: vec!["metrics", "output"],
        message,
        help,
    })
}

/// A `baseline` plan has relaxed the pod's security to run an image that needs it;
/// without `resources` each generator also runs on perfplan's small defaults, sized
/// for a smoke test, so how much load it can make is an accident. (Validation
/// stage: only the plan as written knows whether `resources` was given.)
pub fn baseline_without_resources(spec: &crate::spec::PlanSpec, plan: &Plan) -> Option<Lint> {
    if spec.security.posture != crate::spec::Posture::Baseline || spec.resources.is_some() {
        return None;
    }
    Some(Lint {
        code: codes::LINT_RESOURCES,
        path: vec!["security", "posture"],
        message: format!(
            "a `baseline` plan without `resources`: every generator runs on perfplan's defaults ({} CPU, {} memory)",
            plan.resources.cpu, plan.resources.memory
        ),
        help: "set `resources: {cpu: …, memory: …}` to what one generator needs for its share of the load; \
               requests equal limits, so the figure is both what the scheduler reserves and the ceiling"
            .to_owned(),
    })
}

/// `gatling.apiServer` was where the Gatling master's worker discovery reached the
/// Kubernetes API. Discovery now resolves the workers' DNS names, so the field does
/// nothing; it still parses, so plans written for it keep validating. (Validation
/// stage: the model no longer carries it.)
pub fn unused_api_server(spec: &crate::spec::PlanSpec) -> Option<Lint> {
    spec.gatling.as_ref().filter(|g| !g.api_server.is_empty())?;
    Some(Lint {
        code: codes::LINT_API_SERVER_UNUSED,
        path: vec!["gatling", "apiServer"],
        message: "`gatling.apiServer` is no longer used: the Gatling master finds its workers through DNS \
                  and never reaches the Kubernetes API"
            .to_owned(),
        help: "remove `apiServer`; the bundle has no RBAC, no token and no API-server egress to point it at"
            .to_owned(),
    })
}

/// Load options a k6 script sets in `export const options = {…}`.
pub fn k6_load_options(script: &str) -> Vec<&'static str> {
    let Some(start) = regex_lite::Regex::new(r"export\s+(const|let|var)\s+options\s*=")
        .ok()
        .and_then(|r| r.find(script))
    else {
        return Vec::new();
    };
    let rest = &script[start.end()..];
    let keys = regex_lite::Regex::new(r"(?:^|[\s{,])(vus|duration|stages|iterations|scenarios)\s*:")
        .expect("a valid pattern");
    let found: Vec<&str> = keys
        .captures_iter(rest)
        .filter_map(|c| c.get(1))
        .map(|m| m.as_str())
        .collect();
    ["vus", "duration", "stages", "iterations", "scenarios"]
        .into_iter()
        .filter(|key| found.contains(key))
        .collect()
}

fn k6_options(plan: &Plan, file: &str, script: &str) -> Vec<Lint> {
    let keys = k6_load_options(script);
    if keys.is_empty() {
        return Vec::new();
    }
    let listed = keys
        .iter()
        .map(|k| format!("`{k}`"))
        .collect::<Vec<_>>()
        .join(", ");
    let (message, help) = match plan.load.model {
        LoadModel::ArrivalRate { .. } => (
            format!("{file} sets {listed} in its options, which override the plan's arrival rate"),
            "k6 ranks a script's options above the config file that carries the plan's scenario; remove the load \
             options from the script and let `load.arrivalRate` decide",
        ),
        LoadModel::Users(_) => (
            format!("{file} sets {listed} in its options, which the plan's load replaces"),
            "perfplan passes `--vus`/`--duration`/`--stage`, which override the script's load options: they do \
             nothing but mislead a reader; remove them and let `load` decide",
        ),
    };
    vec![Lint {
        code: codes::LINT_K6_OPTIONS,
        path: vec!["script"],
        message,
        help: help.to_owned(),
    }]
}

/// Grafana's k6 docs ("Running large tests"): one k6 instance runs 30,000–40,000
/// VUs. k6 maintainers (grafana/k6#1543): about 3 MB per VU for small scripts.
const K6_MAX_VUS_PER_INSTANCE: u64 = 30_000;
const K6_BYTES_PER_VU: f64 = 3.0 * 1024.0 * 1024.0;

fn k6_capacity(plan: &Plan) -> Vec<Lint> {
    let users = plan.load.total_users();
    let per_runner = users.div_ceil(u64::from(plan.load.generators));
    let mut out = Vec::new();
    if per_runner > K6_MAX_VUS_PER_INSTANCE {
        out.push(Lint {
            code: codes::LINT_CAPACITY,
            path: vec!["load", "generators"],
            message: format!(
                "{per_runner} users per k6 runner: more than the 30,000-40,000 VUs one k6 instance runs \
                 (Grafana k6 docs, Running large tests)"
            ),
            help: format!(
                "raise `load.generators` to at least {}",
                users.div_ceil(K6_MAX_VUS_PER_INSTANCE)
            ),
        });
    }
    if let Some(memory) = crate::quantity::bytes(&plan.resources.memory)
        && per_runner as f64 * K6_BYTES_PER_VU > memory
    {
        let needed = (per_runner as f64 * K6_BYTES_PER_VU / (1024.0 * 1024.0 * 1024.0)).ceil();
        // The runner count at which each runner's share fits the memory it has.
        let fitting_runners = (users as f64 * K6_BYTES_PER_VU / memory).ceil() as u64;
        out.push(Lint {
            code: codes::LINT_CAPACITY,
            path: vec!["load", "users"],
            message: format!(
                "{per_runner} users per k6 runner need about {needed} GiB at ~3 MB per VU, more than the \
                 {} each runner may use",
                plan.resources.memory
            ),
            help: format!(
                "raise `resources.memory` to `{needed}Gi`, or `load.generators` to at least {fitting_runners}; the \
                 ~3 MB per VU estimate for small scripts is the k6 maintainers' (grafana/k6#1543), so measure yours"
            ),
        });
    }
    out
}

/// Thresholds with nowhere to keep the samples they judge: without a
/// PersistentVolumeClaim the results live in each pod's emptyDir, which Kubernetes
/// deletes when the pod ends, so `perfplan report` would have nothing to read.
fn results_volume(plan: &Plan) -> Vec<Lint> {
    if plan.results.thresholds.is_empty() || plan.results.persistent_volume_claim.is_some() {
        return Vec::new();
    }
    vec![Lint {
        code: codes::LINT_RESULTS_VOLUME,
        path: vec!["results", "thresholds"],
        message: "the thresholds cannot be judged: without `results.persistentVolumeClaim` every generator's samples \
                  are deleted with its pod"
            .to_owned(),
        help: "set `results.persistentVolumeClaim` to a ReadWriteMany claim in the plan's namespace; after the test, \
               copy the results out and run `perfplan report RESULTS_DIR --plan PLAN`"
            .to_owned(),
    }]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_jmeter_property_read_is_found_by_its_exact_name() {
        assert!(reads_jmeter_property("${__P(rate,1)}", "rate"));
        assert!(reads_jmeter_property("${__property( rate )}", "rate"));
        assert!(!reads_jmeter_property("${__P(rate.unit,1)}", "rate"));
        assert!(!reads_jmeter_property("${__P(threads,1)}", "rate"));
    }

    #[test]
    fn thread_groups_reading_the_property_pass_and_literals_do_not() {
        let jmx = r#"<jmeterTestPlan><hashTree>
            <ThreadGroup guiclass="ThreadGroupGui" testclass="ThreadGroup" testname="browse">
              <stringProp name="ThreadGroup.num_threads">${__P(threads,1)}</stringProp>
            </ThreadGroup>
            <ThreadGroup guiclass="ThreadGroupGui" testclass="ThreadGroup" testname="checkout">
              <intProp name="ThreadGroup.num_threads">50</intProp>
            </ThreadGroup>
            <SetupThreadGroup testclass="SetupThreadGroup" testname="setup">
              <stringProp name="ThreadGroup.num_threads">1</stringProp>
            </SetupThreadGroup>
        </hashTree></jmeterTestPlan>"#;
        assert_eq!(
            hard_coded_thread_groups(jmx),
            vec![
                ("checkout".to_owned(), "50".to_owned()),
                ("setup".to_owned(), "1".to_owned())
            ]
        );
        assert!(hard_coded_thread_groups("not xml <<<").is_empty());
    }

    #[test]
    fn k6_load_options_are_found_in_the_options_export_only() {
        let script = "const vus = 3;\nexport const options = {\n  vus: 10,\n  duration: '30s',\n  thresholds: {},\n};\n";
        assert_eq!(k6_load_options(script), vec!["vus", "duration"]);
        assert!(k6_load_options("export default function () { const vus: 3 }").is_empty());
        assert_eq!(
            k6_load_options("export let options = {scenarios: {a: {}}}"),
            vec!["scenarios"]
        );
    }

    #[test]
    fn backend_listeners_are_found_with_their_class_and_property_reads() {
        let jmx = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/plans/scripts/checkout-metrics.jmx"
        ))
        .unwrap();
        assert_eq!(
            backend_listeners(&jmx),
            vec![(
                "org.apache.jmeter.visualizers.backend.influxdb.InfluxdbBackendListenerClient".to_owned(),
                true
            )]
        );
        let plain =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/plans/scripts/checkout.jmx"))
                .unwrap();
        assert!(backend_listeners(&plain).is_empty());
        let literal = jmx
            .replace("${__P(metrics.url)}", "http://influx:8086/write")
            .replace("__P(metrics.", "__P(other.");
        assert!(!backend_listeners(&literal)[0].1);
    }
}
