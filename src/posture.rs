//! Stage 5, the security posture: applied to every pod of a [`Topology`], init
//! containers included, and turned into the NetworkPolicies that let each tool run
//! and nothing more. Tools never set security fields themselves, so none can forget.

use crate::lower::{Component, Flow, Object, Topology, meta, pod};
use crate::model::{Egress, Peer, Plan};
use k8s_openapi::api::core::v1::{
    Capabilities, Container, PodSecurityContext, PodSpec, ResourceRequirements, SeccompProfile,
    SecurityContext,
};
use k8s_openapi::api::networking::v1::{
    IPBlock, NetworkPolicy, NetworkPolicyEgressRule, NetworkPolicyIngressRule, NetworkPolicyPeer,
    NetworkPolicyPort, NetworkPolicySpec,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use std::collections::BTreeMap;

/// Harden every pod and add the test's NetworkPolicies; the objects in install order.
pub fn secure(plan: &Plan, topology: Topology) -> Vec<Object> {
    let policies = network_policies(plan, &topology);
    let mut objects = topology.objects;
    for object in &mut objects {
        if let Some(spec) = object.pod_spec_mut() {
            harden_pod(plan, spec);
        }
    }
    objects.extend(policies.into_iter().map(Object::NetworkPolicy));
    objects.sort_by_key(Object::install_rank);
    objects
}

fn harden_pod(plan: &Plan, spec: &mut PodSpec) {
    let s = &plan.security;
    spec.security_context = Some(PodSecurityContext {
        run_as_non_root: s.run_as_non_root(),
        run_as_user: Some(i64::from(s.run_as_user)),
        run_as_group: Some(i64::from(s.run_as_group)),
        // Mounted volumes (the RMI keystore, the emptyDirs) belong to this group.
        fs_group: Some(i64::from(s.run_as_group)),
        seccomp_profile: Some(SeccompProfile {
            type_: "RuntimeDefault".to_owned(),
            localhost_profile: None,
        }),
        ..Default::default()
    });
    // No pod calls the Kubernetes API (every tool finds its peers through DNS), so
    // no container sees a service account token.
    spec.automount_service_account_token = Some(false);
    for c in spec.init_containers.iter_mut().flatten() {
        // Init containers only wait for and resolve DNS names.
        harden_container(plan, c, pod::coordinator_resources());
    }
    for c in &mut spec.containers {
        harden_container(
            plan,
            c,
            pod::guaranteed(&plan.resources.cpu, &plan.resources.memory),
        );
    }
}

fn harden_container(plan: &Plan, c: &mut Container, default_resources: ResourceRequirements) {
    let s = &plan.security;
    c.security_context = Some(SecurityContext {
        allow_privilege_escalation: Some(false),
        privileged: Some(false),
        capabilities: Some(Capabilities {
            add: None,
            drop: Some(vec!["ALL".to_owned()]),
        }),
        read_only_root_filesystem: Some(s.read_only_root()),
        run_as_non_root: s.run_as_non_root(),
        run_as_user: Some(i64::from(s.run_as_user)),
        run_as_group: Some(i64::from(s.run_as_group)),
        ..Default::default()
    });
    // Tags are mutable: ask the registry every time, so a re-pushed tag cannot run
    // stale or foreign code unnoticed.
    c.image_pull_policy = Some("Always".to_owned());
    if c.resources.is_none() {
        c.resources = Some(default_resources);
    }
}

/// Default-deny for every pod of the test, then exactly: DNS, load to the target,
/// metrics, and the tool's own peer traffic. Nothing reaches the Kubernetes API.
fn network_policies(plan: &Plan, topology: &Topology) -> Vec<NetworkPolicy> {
    let everything = LabelSelector {
        match_labels: Some(meta::test_labels(plan)),
        ..Default::default()
    };
    let mut out = vec![
        policy(
            plan,
            "default-deny",
            "deny all traffic to and from this test's pods unless another policy allows it",
            everything.clone(),
            None,
            None,
        ),
        policy(
            plan,
            "allow-dns",
            if plan.dns.is_empty() {
                "DNS lookups through kube-dns"
            } else {
                "DNS lookups to the cluster DNS the plan's dns.allow lists"
            },
            everything,
            None,
            Some(dns_rules(plan)),
        ),
    ];
    for &generator in &topology.load_generators {
        out.push(policy(
            plan,
            &format!("allow-{}-to-target", generator.as_str()),
            "load to the target, as the plan's target.allow lists it",
            meta::selector(plan, generator),
            None,
            Some(plan.target.egress.iter().map(egress_rule).collect()),
        ));
    }
    if let Some(metrics) = &plan.metrics {
        for &sender in &topology.metrics_senders {
            out.push(policy(
                plan,
                &format!("allow-{}-to-metrics", sender.as_str()),
                "real-time metrics to the plan's metrics endpoint, as metrics.allow lists it",
                meta::selector(plan, sender),
                None,
                Some(metrics.egress.iter().map(egress_rule).collect()),
            ));
        }
    }
    let mut peers: Vec<Component> = topology.flows.iter().flat_map(|f| [f.from, f.to]).collect();
    peers.sort();
    peers.dedup();
    for component in peers {
        out.push(peer_policy(plan, component, &topology.flows));
    }
    out
}

/// Ingress from and egress to the component's peers, on the tool's ports only.
fn peer_policy(plan: &Plan, component: Component, flows: &[Flow]) -> NetworkPolicy {
    let peer = |c: Component| NetworkPolicyPeer {
        pod_selector: Some(meta::selector(plan, c)),
        ..Default::default()
    };
    let ingress: Vec<_> = flows
        .iter()
        .filter(|f| f.to == component)
        .map(|f| NetworkPolicyIngressRule {
            from: Some(vec![peer(f.from)]),
            ports: Some(f.ports.iter().map(|r| tcp_range(*r)).collect()),
        })
        .collect();
    let egress: Vec<_> = flows
        .iter()
        .filter(|f| f.from == component)
        .map(|f| NetworkPolicyEgressRule {
            to: Some(vec![peer(f.to)]),
            ports: Some(f.ports.iter().map(|r| tcp_range(*r)).collect()),
        })
        .collect();
    let why = flows
        .iter()
        .filter(|f| f.from == component || f.to == component)
        .map(|f| f.why)
        .collect::<Vec<_>>()
        .join("; ");
    policy(
        plan,
        &format!("allow-{}-peers", component.as_str()),
        &why,
        meta::selector(plan, component),
        (!ingress.is_empty()).then_some(ingress),
        (!egress.is_empty()).then_some(egress),
    )
}

/// A policy that declares both directions, so everything it does not allow stays
/// denied; `None` rule lists mean "no rules" (deny), never "allow all".
fn policy(
    plan: &Plan,
    suffix: &str,
    purpose: &str,
    pods: LabelSelector,
    ingress: Option<Vec<NetworkPolicyIngressRule>>,
    egress: Option<Vec<NetworkPolicyEgressRule>>,
) -> NetworkPolicy {
    let mut types = Vec::new();
    if ingress.is_some() || egress.is_none() {
        types.push("Ingress".to_owned());
    }
    if egress.is_some() || ingress.is_none() {
        types.push("Egress".to_owned());
    }
    NetworkPolicy {
        metadata: meta::annotated(
            plan,
            meta::names(plan).object(suffix),
            None,
            BTreeMap::from([(meta::PURPOSE.to_owned(), purpose.to_owned())]),
        ),
        spec: Some(NetworkPolicySpec {
            pod_selector: Some(pods),
            policy_types: Some(types),
            ingress,
            egress,
        }),
    }
}

/// DNS egress: the plan's `dns.allow` (each port over UDP and TCP), or kube-dns.
fn dns_rules(plan: &Plan) -> Vec<NetworkPolicyEgressRule> {
    if plan.dns.is_empty() {
        return vec![dns_rule()];
    }
    plan.dns
        .iter()
        .map(|rule| NetworkPolicyEgressRule {
            ports: Some(
                rule.ports
                    .iter()
                    .flat_map(|&p| [port(p, "UDP"), port(p, "TCP")])
                    .collect(),
            ),
            ..egress_rule(rule)
        })
        .collect()
}

fn dns_rule() -> NetworkPolicyEgressRule {
    NetworkPolicyEgressRule {
        to: Some(vec![NetworkPolicyPeer {
            namespace_selector: Some(LabelSelector {
                match_labels: Some(BTreeMap::from([(
                    "kubernetes.io/metadata.name".to_owned(),
                    "kube-system".to_owned(),
                )])),
                ..Default::default()
            }),
            pod_selector: Some(LabelSelector {
                match_labels: Some(BTreeMap::from([("k8s-app".to_owned(), "kube-dns".to_owned())])),
                ..Default::default()
            }),
            ..Default::default()
        }]),
        ports: Some(vec![port(53, "UDP"), port(53, "TCP")]),
    }
}

fn egress_rule(rule: &Egress) -> NetworkPolicyEgressRule {
    let peer = match &rule.peer {
        Peer::Cidr { cidr, except } => NetworkPolicyPeer {
            ip_block: Some(IPBlock {
                cidr: cidr.to_string(),
                except: (!except.is_empty()).then(|| except.iter().map(ToString::to_string).collect()),
            }),
            ..Default::default()
        },
        Peer::Pods {
            namespace_labels,
            pod_labels,
        } => NetworkPolicyPeer {
            namespace_selector: namespace_labels.as_ref().map(|l| LabelSelector {
                match_labels: Some(l.clone()),
                ..Default::default()
            }),
            pod_selector: pod_labels.as_ref().map(|l| LabelSelector {
                match_labels: Some(l.clone()),
                ..Default::default()
            }),
            ..Default::default()
        },
    };
    NetworkPolicyEgressRule {
        to: Some(vec![peer]),
        ports: Some(rule.ports.iter().map(|p| tcp(*p)).collect()),
    }
}

/// A TCP port, or an inclusive range of them (`endPort`, stable since Kubernetes 1.25).
fn tcp_range((start, end): (u16, u16)) -> NetworkPolicyPort {
    NetworkPolicyPort {
        end_port: (end != start).then_some(i32::from(end)),
        ..tcp(start)
    }
}

fn tcp(number: u16) -> NetworkPolicyPort {
    port(number, "TCP")
}

fn port(number: u16, protocol: &str) -> NetworkPolicyPort {
    NetworkPolicyPort {
        port: Some(IntOrString::Int(i32::from(number))),
        protocol: Some(protocol.to_owned()),
        end_port: None,
    }
}
