//! The workload shapes the tools share: Jobs that run once, Indexed Jobs, worker
//! StatefulSets behind a headless Service.

use super::{Component, meta, pod};
use crate::model::Plan;
use k8s_openapi::api::apps::v1::{StatefulSet, StatefulSetSpec};
use k8s_openapi::api::batch::v1::{Job, JobSpec};
use k8s_openapi::api::core::v1::{PodSpec, Service, ServicePort, ServiceSpec};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use std::collections::BTreeMap;

fn count(n: u32) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

/// A Job whose pods run once: `backoffLimit: 0`, because a load test must never
/// silently run twice. `indexed` gives `parallel` pods the indices 0..N.
fn job(
    plan: &Plan,
    component: Component,
    annotations: BTreeMap<String, String>,
    pods: u32,
    indexed: bool,
    spec: PodSpec,
) -> Job {
    Job {
        metadata: meta::annotated(
            plan,
            meta::names(plan).object(component.as_str()),
            Some(component),
            annotations,
        ),
        spec: Some(JobSpec {
            completion_mode: indexed.then(|| "Indexed".to_owned()),
            completions: Some(count(pods)),
            parallelism: Some(count(pods)),
            backoff_limit: Some(0),
            template: pod::template(
                plan,
                component,
                PodSpec {
                    restart_policy: Some("Never".to_owned()),
                    ..spec
                },
            ),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// One pod that runs once (a controller or master).
pub fn run_once(plan: &Plan, component: Component, spec: PodSpec) -> Job {
    job(plan, component, BTreeMap::new(), 1, false, spec)
}

/// One pod per generator, each with its completion index, each run once.
pub fn indexed(plan: &Plan, component: Component, split: BTreeMap<String, String>, spec: PodSpec) -> Job {
    job(plan, component, split, plan.load.generators, true, spec)
}

/// Workers with stable names `<set>-<ordinal>`, all started at once: the default
/// (OrderedReady) starts them one by one, which for 100 workers delays a test by
/// minutes. The headless Service of the same name gives each a DNS name.
pub fn worker_set(plan: &Plan, split: BTreeMap<String, String>, spec: PodSpec) -> StatefulSet {
    let name = meta::names(plan).object(Component::Worker.as_str());
    StatefulSet {
        metadata: meta::annotated(plan, name.clone(), Some(Component::Worker), split),
        spec: Some(StatefulSetSpec {
            service_name: Some(name),
            replicas: Some(count(plan.load.generators)),
            pod_management_policy: Some("Parallel".to_owned()),
            selector: meta::selector(plan, Component::Worker),
            template: pod::template(
                plan,
                Component::Worker,
                PodSpec {
                    restart_policy: Some("Always".to_owned()),
                    ..spec
                },
            ),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// The headless Service of [`worker_set`]: `<set>-<i>.<service>` resolves for every
/// worker, as soon as it has an IP (`publishNotReadyAddresses`), so coordinators
/// can find workers that are still starting.
pub fn worker_service(plan: &Plan, ports: &[(&str, u16)]) -> Service {
    worker_service_for(plan, Component::Worker, ports)
}

/// A headless Service named after `component`'s workload, selecting its pods.
pub fn worker_service_for(plan: &Plan, component: Component, ports: &[(&str, u16)]) -> Service {
    let name = meta::names(plan).object(component.as_str());
    Service {
        metadata: meta::object(plan, name, Some(component)),
        spec: Some(ServiceSpec {
            cluster_ip: Some("None".to_owned()),
            publish_not_ready_addresses: Some(true),
            selector: Some(meta::selector_labels(plan, component)),
            ports: (!ports.is_empty()).then(|| {
                ports
                    .iter()
                    .map(|(name, number)| ServicePort {
                        name: Some((*name).to_owned()),
                        port: i32::from(*number),
                        target_port: Some(IntOrString::String((*name).to_owned())),
                        protocol: Some("TCP".to_owned()),
                        ..Default::default()
                    })
                    .collect()
            }),
            ..Default::default()
        }),
        ..Default::default()
    }
}
