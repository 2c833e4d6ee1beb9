//! Stage 4, lowering: a [`Plan`](crate::model::Plan) becomes a [`Topology`], the Kubernetes objects its
//! tool needs (one file per tool in [`crate::tools`]) plus the traffic between them.
//!
//! Lowering builds pods without any security settings; [`crate::posture`] applies
//! the posture to every pod afterwards, so no tool can forget it.

pub mod meta;
pub mod metrics;
pub mod pod;
pub mod shell;
pub mod workload;

use k8s_openapi::api::apps::v1::{Deployment, StatefulSet};
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::{ConfigMap, PodSpec, Service};
use k8s_openapi::api::networking::v1::NetworkPolicy;

/// The part a pod plays in a test; the value of `app.kubernetes.io/component`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Component {
    /// JMeter and Gatling cluster-mode load generators.
    Worker,
    /// The JMeter controller that drives the workers over RMI.
    Controller,
    /// k6 runners and Gatling independent-mode pods.
    Runner,
    /// The Gatling cluster-mode master.
    Master,
    /// The k6 starter that resumes every paused runner at once.
    Starter,
}

impl Component {
    pub fn as_str(self) -> &'static str {
        match self {
            Component::Worker => "worker",
            Component::Controller => "controller",
            Component::Runner => "runner",
            Component::Master => "master",
            Component::Starter => "starter",
        }
    }
}

/// One Kubernetes object of a topology. No RBAC kinds: no tool calls the Kubernetes
/// API (Gatling's master finds its workers through DNS, like JMeter's controller),
/// so no bundle holds a ServiceAccount, a Role or a token.
#[derive(Debug, Clone)]
pub enum Object {
    NetworkPolicy(NetworkPolicy),
    ConfigMap(ConfigMap),
    Service(Service),
    StatefulSet(StatefulSet),
    Deployment(Deployment),
    Job(Job),
}

impl Object {
    /// Install order: policies before anything they protect, so no pod ever runs
    /// without its NetworkPolicy; config and Services before the pods that mount or
    /// resolve them; workers before the controller that waits for them.
    pub fn install_rank(&self) -> u8 {
        match self {
            Object::NetworkPolicy(_) => 0,
            Object::ConfigMap(_) => 1,
            Object::Service(_) => 2,
            Object::StatefulSet(_) | Object::Deployment(_) => 3,
            Object::Job(_) => 4,
        }
    }

    /// The pod template's spec, for workloads.
    pub fn pod_spec_mut(&mut self) -> Option<&mut PodSpec> {
        let template = match self {
            Object::StatefulSet(o) => &mut o.spec.as_mut()?.template,
            Object::Deployment(o) => &mut o.spec.as_mut()?.template,
            Object::Job(o) => &mut o.spec.as_mut()?.template,
            _ => return None,
        };
        template.spec.as_mut()
    }

    /// The value of the object's `app.kubernetes.io/component` label.
    pub fn component(&self) -> Option<&str> {
        let meta = match self {
            Object::NetworkPolicy(o) => &o.metadata,
            Object::ConfigMap(o) => &o.metadata,
            Object::Service(o) => &o.metadata,
            Object::StatefulSet(o) => &o.metadata,
            Object::Deployment(o) => &o.metadata,
            Object::Job(o) => &o.metadata,
        };
        meta.labels.as_ref()?.get(meta::COMPONENT).map(String::as_str)
    }
}

/// Network traffic a tool needs between its own pods: `from` opens connections to
/// `to` on `ports` (TCP). [`crate::posture`] turns each into an egress rule on `from`
/// and an ingress rule on `to`; nothing else may flow between the test's pods.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flow {
    pub from: Component,
    pub to: Component,
    /// TCP ports as inclusive ranges; `(p, p)` is one port.
    pub ports: Vec<(u16, u16)>,
    /// Why the tool needs it, for the NetworkPolicy's annotation.
    pub why: &'static str,
}

/// Single TCP ports as the ranges of [`Flow::ports`].
pub fn single_ports(ports: &[u16]) -> Vec<(u16, u16)> {
    ports.iter().map(|p| (*p, *p)).collect()
}

/// Everything one plan needs in the cluster, before the posture is applied.
#[derive(Debug, Clone)]
pub struct Topology {
    pub objects: Vec<Object>,
    /// The components that send load to the target.
    pub load_generators: Vec<Component>,
    /// The components that send live metrics (`metrics`): where the tool's metrics
    /// writer runs, which is not always where the load comes from (JMeter's Backend
    /// Listener runs on the controller).
    pub metrics_senders: Vec<Component>,
    /// Traffic between the test's own pods.
    pub flows: Vec<Flow>,
}
