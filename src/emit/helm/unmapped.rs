//! The plan fields a chart cannot express, per tool: each becomes an [`Unmapped`]
//! (a warning, or an error under `--strict`), so nothing is dropped silently.

use super::{Unmapped, chart};
use crate::model::{LoadModel, Plan};
use crate::spec::{GatlingMode, K6Workload};
use crate::split::LoadSplit;

/// What no chart can express.
pub(super) fn common(plan: &Plan) -> Vec<Unmapped> {
    let chart = chart(plan.tool());
    let mut out = vec![Unmapped {
        path: vec!["load", "duration"],
        message: format!("{chart} has no key for the test duration"),
        help: "the script decides how long the test runs; make it match `load.duration`".to_owned(),
    }];
    if !plan.load.ramp_up.is_zero() {
        out.push(Unmapped {
            path: vec!["load", "rampUp"],
            message: format!("{chart} has no key for the ramp-up"),
            help: "the script decides the ramp-up; make it match `load.rampUp`".to_owned(),
        });
    }
    if matches!(plan.load.model, LoadModel::ArrivalRate { .. }) {
        out.push(Unmapped {
            path: vec!["load", "arrivalRate"],
            message: format!("{chart} has no key for an arrival rate"),
            help: "the script's scenario decides the rate; perfplan's own bundle (`--format bundle`) splits it exactly"
                .to_owned(),
        });
    }
    if plan.placement.spread == crate::spec::Spread::Required {
        out.push(Unmapped {
            path: vec!["placement", "spread"],
            message: format!("{chart} has no key for spreading generators over nodes"),
            help: "check the chart's affinity settings; perfplan's bundle uses a topology spread constraint"
                .to_owned(),
        });
    }
    if plan.results.persistent_volume_claim.is_some() {
        out.push(Unmapped {
            path: vec!["results", "persistentVolumeClaim"],
            message: format!("{chart} has no key for a results volume"),
            help: "results stay in the pods; perfplan's bundle mounts the claim with a folder per pod"
                .to_owned(),
        });
    }
    if !plan.dns.is_empty() {
        out.push(Unmapped {
            path: vec!["dns"],
            message: format!("{chart} has no key for where DNS lookups go"),
            help: "check the chart's NetworkPolicy settings for DNS; perfplan's bundle allows exactly `dns.allow`"
                .to_owned(),
        });
    }
    if let Some(m) = &plan.metrics {
        out.push(Unmapped {
            path: vec!["metrics"],
            message: format!(
                "{chart} has no key for the `{}` metrics output",
                m.output.as_str()
            ),
            help:
                "configure the output in the chart's extra arguments or the script yourself, with its egress \
                   rule; perfplan's bundle (`--format bundle`) wires output, credentials and NetworkPolicy"
                    .to_owned(),
        });
    }
    out.push(Unmapped {
        path: vec!["target", "url"],
        message: format!("{chart} has no key for the target URL"),
        help: "the script must name the target itself; the NetworkPolicy egress in the values does allow it"
            .to_owned(),
    });
    out
}

pub(super) fn jmeter(plan: &Plan, out: &mut Vec<Unmapped>) {
    let n = plan.load.generators;
    let split = LoadSplit::new(plan.load.total_users(), n);
    let per_worker = if split.remainder() == 0 {
        format!("{} threads", split.base())
    } else {
        format!(
            "{} or {} threads (no single count is exact)",
            split.base(),
            split.base() + 1
        )
    };
    out.push(Unmapped {
        path: vec!["load", "users"],
        message: "perf-jmeter has no key for the thread count".to_owned(),
        help: format!(
            "JMeter runs the test plan's whole thread group on every worker: with {n} workers, set the thread \
             group to {per_worker} so the total is {}",
            split.total
        ),
    });
    if let Some(options) = &plan.jmeter {
        if !options.properties.is_empty() {
            out.push(Unmapped {
                path: vec!["jmeter", "properties"],
                message: "perf-jmeter has no key for JMeter properties".to_owned(),
                help: "put the properties in the test plan's User Defined Variables".to_owned(),
            });
        }
        if options.rmi_keystore_secret.is_some() {
            out.push(Unmapped {
                path: vec!["jmeter", "rmi", "keystoreSecret"],
                message: "perf-jmeter has no key for an RMI keystore".to_owned(),
                help: "check how the chart secures RMI before running it on a shared cluster".to_owned(),
            });
        }
    }
}

pub(super) fn k6(plan: &Plan, out: &mut Vec<Unmapped>) {
    let split = LoadSplit::new(plan.load.total_users(), plan.load.generators);
    if split.remainder() != 0 {
        out.push(Unmapped {
            path: vec!["load", "users"],
            message: format!(
                "perf-k6 gives each runner ceil(vuCount / replicas) users: {} over {} runs {}, not {}",
                split.total,
                split.shards,
                split.total.div_ceil(u64::from(split.shards)) * u64::from(split.shards),
                split.total
            ),
            help: "choose users divisible by generators, or use perfplan's own bundle, which splits exactly"
                .to_owned(),
        });
    }
    if matches!(plan.shape, crate::names::Shape::K6(K6Workload::Deployment)) {
        out.push(Unmapped {
            path: vec!["k6", "workload"],
            message: "perf-k6 has no key for the runner workload kind".to_owned(),
            help: "the chart decides how runners are deployed".to_owned(),
        });
    }
}

pub(super) fn gatling(plan: &Plan, out: &mut Vec<Unmapped>) {
    out.push(Unmapped {
        path: vec!["load", "users"],
        message: "perf-gatling has no key for the number of users".to_owned(),
        help: "the simulation's injection profile decides the users".to_owned(),
    });
    if matches!(plan.shape, crate::names::Shape::Gatling(GatlingMode::Independent)) {
        out.push(Unmapped {
            path: vec!["gatling", "mode"],
            message: "perf-gatling runs Gatling in cluster mode only".to_owned(),
            help: "use perfplan's own bundle for independent mode".to_owned(),
        });
    }
}
