//! What the NetworkPolicies of a compiled bundle *mean*: an evaluator that follows the
//! Kubernetes NetworkPolicy semantics (API reference, networking.k8s.io/v1
//! NetworkPolicySpec, NetworkPolicyPeer, NetworkPolicyPort, IPBlock) computes, for a
//! universe of pods and addresses, every flow the policies allow, and the test
//! compares it with the flows the test needs, derived independently of the compiler's
//! posture code: the tool's own traffic (a table below, per distribution model), DNS
//! to kube-dns, load from the generators to the validated `target.allow`, metrics from
//! the pods that send them to `metrics.allow`, and nothing else, in either direction.
//!
//! Semantics implemented, to the letter:
//! - A pod is isolated for egress (ingress) if any policy in its namespace selects it
//!   (`podSelector`) and has `Egress` (`Ingress`) in `policyTypes`; a non-isolated
//!   direction allows everything. An isolated direction allows the union of the rules
//!   of the policies that isolate it.
//! - A connection is allowed when the source's egress allows it and, when the
//!   destination is a pod, the destination's ingress allows it.
//! - A rule matches when one of its ports matches (no or empty `ports`: every port;
//!   `protocol` defaults to TCP; `endPort` makes a range) and one of its peers matches
//!   (no or empty `to`/`from`: every peer).
//! - A peer: `ipBlock` matches addresses in `cidr` and in none of `except`; a
//!   `podSelector` alone selects pods in the policy's own namespace; a
//!   `namespaceSelector` alone selects every pod of the matching namespaces; both
//!   select the matching pods of the matching namespaces. An empty selector (`{}`)
//!   matches everything; matchExpressions are In, NotIn, Exists, DoesNotExist.

mod support;

use ipnet::IpNet;
use perfplan::model::{Peer, Plan};
use perfplan::names::Shape;
use perfplan::spec::{GatlingMode, K6Workload};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;
use support::*;

type Labels = BTreeMap<String, String>;

/// Somewhere traffic can go: a pod (namespace, its namespace's labels, its labels,
/// a name for messages) or an address outside the cluster.
#[derive(Debug, Clone)]
enum Endpoint {
    Pod {
        name: String,
        namespace: String,
        namespace_labels: Labels,
        labels: Labels,
        ip: IpAddr,
    },
    Ip(IpAddr),
}

impl Endpoint {
    fn name(&self) -> String {
        match self {
            Endpoint::Pod { name, .. } => format!("pod {name}"),
            Endpoint::Ip(ip) => format!("ip {ip}"),
        }
    }
    fn ip(&self) -> IpAddr {
        match self {
            Endpoint::Pod { ip, .. } | Endpoint::Ip(ip) => *ip,
        }
    }
}

fn labels(pairs: &[(&str, &str)]) -> Labels {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn pod(
    name: &str,
    namespace: &str,
    extra_ns_labels: &[(&str, &str)],
    pod_labels: Labels,
    ip: u8,
) -> Endpoint {
    let mut ns = labels(&[("kubernetes.io/metadata.name", namespace)]);
    ns.extend(labels(extra_ns_labels));
    Endpoint::Pod {
        name: name.to_owned(),
        namespace: namespace.to_owned(),
        namespace_labels: ns,
        labels: pod_labels,
        ip: IpAddr::from([10, 244, 0, ip]),
    }
}

// ---- the evaluator ----

/// `metav1.LabelSelector` against a label set.
fn selector_matches(selector: &Value, set: &Labels) -> bool {
    let labels_ok = selector["matchLabels"]
        .as_object()
        .into_iter()
        .flatten()
        .all(|(k, v)| set.get(k).map(String::as_str) == v.as_str());
    let expressions_ok = selector["matchExpressions"]
        .as_array()
        .into_iter()
        .flatten()
        .all(|e| {
            let key = e["key"].as_str().unwrap();
            let values: Vec<&str> = e["values"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            match e["operator"].as_str().unwrap() {
                "In" => set.get(key).is_some_and(|v| values.contains(&v.as_str())),
                "NotIn" => set.get(key).is_none_or(|v| !values.contains(&v.as_str())),
                "Exists" => set.contains_key(key),
                "DoesNotExist" => !set.contains_key(key),
                other => panic!("unknown operator {other}"),
            }
        });
    labels_ok && expressions_ok
}

fn peer_matches(peer: &Value, policy_namespace: &str, other: &Endpoint) -> bool {
    if let Some(block) = peer.get("ipBlock") {
        let cidr: IpNet = block["cidr"].as_str().unwrap().parse().unwrap();
        let except = block["except"].as_array().into_iter().flatten();
        let ip = other.ip();
        return cidr.contains(&ip)
            && !except
                .map(|x| x.as_str().unwrap().parse::<IpNet>().unwrap())
                .any(|x| x.contains(&ip));
    }
    let Endpoint::Pod {
        namespace,
        namespace_labels,
        labels,
        ..
    } = other
    else {
        return false; // selectors select pods, never outside addresses
    };
    let namespace_ok = match peer.get("namespaceSelector") {
        Some(s) => selector_matches(s, namespace_labels),
        None => namespace == policy_namespace,
    };
    let pod_ok = peer
        .get("podSelector")
        .is_none_or(|s| selector_matches(s, labels));
    namespace_ok && pod_ok
}

fn port_matches(ports: &Value, port: u16, protocol: &str) -> bool {
    let Some(ports) = ports.as_array().filter(|p| !p.is_empty()) else {
        return true;
    };
    ports.iter().any(|p| {
        let proto_ok = p["protocol"].as_str().unwrap_or("TCP") == protocol;
        let port_ok = match p["port"].as_u64() {
            None => true,
            Some(start) => {
                let end = p["endPort"].as_u64().unwrap_or(start);
                (start..=end).contains(&u64::from(port))
            }
        };
        proto_ok && port_ok
    })
}

/// Whether the policies let `pod` send to (`Egress`) or receive from (`Ingress`)
/// `other` on `port`/`protocol`.
fn direction_allows(
    policies: &[Value],
    direction: &str,
    pod: &Endpoint,
    other: &Endpoint,
    port: u16,
    protocol: &str,
) -> bool {
    let Endpoint::Pod {
        namespace, labels, ..
    } = pod
    else {
        return true; // addresses outside the cluster have no policies
    };
    let (rules_key, peers_key) = if direction == "Egress" {
        ("egress", "to")
    } else {
        ("ingress", "from")
    };
    let isolating: Vec<&Value> = policies
        .iter()
        .filter(|p| p["metadata"]["namespace"].as_str() == Some(namespace.as_str()))
        .filter(|p| selector_matches(&p["spec"]["podSelector"], labels))
        .filter(|p| {
            let types = &p["spec"]["policyTypes"];
            match types.as_array() {
                Some(t) => t.iter().any(|t| t == direction),
                // Without policyTypes: Ingress always, Egress when egress rules exist.
                None => direction == "Ingress" || p["spec"].get("egress").is_some(),
            }
        })
        .collect();
    if isolating.is_empty() {
        return true;
    }
    isolating.iter().any(|p| {
        p["spec"][rules_key].as_array().into_iter().flatten().any(|rule| {
            let peers_ok = match rule[peers_key].as_array().filter(|peers| !peers.is_empty()) {
                None => true,
                Some(peers) => peers.iter().any(|peer| peer_matches(peer, namespace, other)),
            };
            peers_ok && port_matches(&rule["ports"], port, protocol)
        })
    })
}

fn allowed(policies: &[Value], from: &Endpoint, to: &Endpoint, port: u16, protocol: &str) -> bool {
    direction_allows(policies, "Egress", from, to, port, protocol)
        && direction_allows(policies, "Ingress", to, from, port, protocol)
}

// ---- what the test needs ----

/// One flow between a tool's components: (from, to, TCP port ranges).
type ToolFlow = (&'static str, &'static str, Vec<(u16, u16)>);

/// The tool's own traffic between its pods, by component.
fn tool_flows(plan: &Plan) -> Vec<ToolFlow> {
    let one = |ports: &[u16]| ports.iter().map(|p| (*p, *p)).collect::<Vec<_>>();
    match plan.shape {
        // RMI: registry 1099 and server 50000 on workers; workers call back on
        // 60000-60002, or over SSL on the controller's anonymous (ephemeral) ports.
        Shape::Jmeter => {
            let ssl = plan
                .jmeter
                .as_ref()
                .is_some_and(|j| j.rmi_keystore_secret.is_some());
            let callbacks = if ssl {
                vec![(32768, 60999)]
            } else {
                one(&[60000, 60001, 60002])
            };
            vec![
                ("controller", "worker", one(&[1099, 50000])),
                ("worker", "controller", callbacks),
            ]
        }
        // The starter resumes the paused runners through k6's REST API.
        Shape::K6(K6Workload::IndexedJob) => vec![("starter", "runner", one(&[6565]))],
        Shape::K6(K6Workload::Deployment) => vec![],
        Shape::Gatling(GatlingMode::Cluster) => {
            vec![
                ("master", "worker", one(&[2552])),
                ("worker", "master", one(&[2552])),
            ]
        }
        Shape::Gatling(GatlingMode::Independent) => vec![],
    }
}

fn load_generator(shape: Shape) -> &'static str {
    match shape {
        Shape::K6(_) | Shape::Gatling(GatlingMode::Independent) => "runner",
        Shape::Jmeter | Shape::Gatling(GatlingMode::Cluster) => "worker",
    }
}

/// JMeter's Backend Listener runs on the controller; the others write from the
/// generators themselves.
fn metrics_sender(shape: Shape) -> &'static str {
    match shape {
        Shape::Jmeter => "controller",
        _ => load_generator(shape),
    }
}

/// Whether an allow entry of the validated plan covers `to`: a CIDR block minus its
/// excepts, or pods by labels, in the plan's own namespace when no namespace is named.
fn egress_matches(
    egress: &[perfplan::model::Egress],
    namespace: &str,
    to: &Endpoint,
    port: u16,
    protocol: &str,
) -> bool {
    protocol == "TCP"
        && egress.iter().any(|e| {
            e.ports.contains(&port)
                && match (&e.peer, to) {
                    (Peer::Cidr { cidr, except }, _) => {
                        cidr.contains(&to.ip()) && !except.iter().any(|x| x.contains(&to.ip()))
                    }
                    (
                        Peer::Pods {
                            namespace_labels,
                            pod_labels,
                        },
                        Endpoint::Pod {
                            namespace_labels: ns,
                            labels: have,
                            ..
                        },
                    ) => {
                        let subset =
                            |want: &Labels, have: &Labels| want.iter().all(|(k, v)| have.get(k) == Some(v));
                        let own = labels(&[("kubernetes.io/metadata.name", namespace)]);
                        subset(namespace_labels.as_ref().unwrap_or(&own), ns)
                            && pod_labels.as_ref().is_none_or(|p| subset(p, have))
                    }
                    (Peer::Pods { .. }, Endpoint::Ip(_)) => false,
                }
        })
}

/// Whether the test needs `from` (a component of the bundle) to reach `to`.
fn needed(
    plan: &Plan,
    from: &str,
    to: &Endpoint,
    to_component: Option<&str>,
    port: u16,
    protocol: &str,
) -> bool {
    if let Some(to_component) = to_component {
        return protocol == "TCP"
            && tool_flows(plan).iter().any(|(f, t, ports)| {
                *f == from && *t == to_component && ports.iter().any(|(a, b)| (*a..=*b).contains(&port))
            });
    }
    if to.name() == "pod kube-dns" {
        return port == 53;
    }
    if from == load_generator(plan.shape)
        && egress_matches(&plan.target.egress, &plan.namespace, to, port, protocol)
    {
        return true;
    }
    if let Some(m) = &plan.metrics
        && from == metrics_sender(plan.shape)
        && egress_matches(&m.egress, &plan.namespace, to, port, protocol)
    {
        return true;
    }
    // The Gatling master's discovery lists pods through the API server on 443 or 6443:
    // at the addresses the plan names in `gatling.apiServer`, or, without them, at any
    // destination (what the `lint::api_egress` warning says).
    let api_server = plan
        .gatling
        .as_ref()
        .map(|g| g.api_server.as_slice())
        .unwrap_or_default();
    plan.shape == Shape::Gatling(GatlingMode::Cluster)
        && from == "master"
        && protocol == "TCP"
        && [443, 6443].contains(&port)
        && (api_server.is_empty()
            || api_server
                .iter()
                .any(|c| matches!(to, Endpoint::Ip(ip) if c.contains(ip))))
}

// ---- the universe ----

/// The bundle's pods, one per component, with their templates' labels.
fn bundle_pods(manifests: &[perfplan::Manifest], namespace: &str) -> Vec<(String, Endpoint)> {
    manifests
        .iter()
        .filter_map(|m| m.value.pointer("/spec/template/metadata/labels"))
        .enumerate()
        .map(|(i, l)| {
            let set: Labels = l
                .as_object()
                .unwrap()
                .iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
                .collect();
            let component = set["app.kubernetes.io/component"].clone();
            let endpoint = pod(&component, namespace, &[], set, 10 + i as u8);
            (component, endpoint)
        })
        .collect()
}

/// Every other place a flow could go: kube-dns, pods the plan's selectors name and
/// near misses of them, strangers, and addresses in and around every allowed block.
fn others(plan: &Plan) -> Vec<Endpoint> {
    let mut out = vec![
        pod(
            "kube-dns",
            "kube-system",
            &[],
            labels(&[("k8s-app", "kube-dns")]),
            2,
        ),
        pod(
            "stranger-same-namespace",
            &plan.namespace,
            &[],
            labels(&[("app", "stranger")]),
            3,
        ),
        pod(
            "stranger-elsewhere",
            "elsewhere",
            &[],
            labels(&[("app", "stranger")]),
            4,
        ),
        pod(
            "not-dns-in-kube-system",
            "kube-system",
            &[],
            labels(&[("k8s-app", "metrics-server")]),
            5,
        ),
        Endpoint::Ip("169.254.169.254".parse().unwrap()),
        Endpoint::Ip("203.0.113.7".parse().unwrap()),
        Endpoint::Ip("10.96.0.1".parse().unwrap()),
    ];
    for net in plan.gatling.iter().flat_map(|g| &g.api_server) {
        out.push(Endpoint::Ip(net.addr()));
        out.push(Endpoint::Ip(just_after(net)));
    }
    let egress = plan
        .target
        .egress
        .iter()
        .chain(plan.metrics.iter().flat_map(|m| m.egress.iter()));
    for (i, e) in egress.enumerate() {
        let n = 100 + 3 * i as u8;
        match &e.peer {
            Peer::Cidr { cidr, except } => {
                for net in std::iter::once(cidr).chain(except) {
                    out.push(Endpoint::Ip(first_host(net)));
                }
                out.push(Endpoint::Ip(just_after(cidr)));
            }
            Peer::Pods {
                namespace_labels,
                pod_labels,
            } => {
                let ns_labels = namespace_labels
                    .clone()
                    .unwrap_or_else(|| labels(&[("kubernetes.io/metadata.name", &plan.namespace)]));
                let ns = ns_labels
                    .get("kubernetes.io/metadata.name")
                    .cloned()
                    .unwrap_or_else(|| "labelled".to_owned());
                let extra: Vec<(&str, &str)> =
                    ns_labels.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
                let want = pod_labels
                    .clone()
                    .unwrap_or_else(|| labels(&[("app", "anything")]));
                out.push(pod(&format!("selected-{i}"), &ns, &extra, want.clone(), n));
                // The same labels in another namespace, and another pod in that namespace.
                out.push(pod(
                    &format!("same-labels-elsewhere-{i}"),
                    "elsewhere",
                    &[],
                    want,
                    n + 1,
                ));
                out.push(pod(
                    &format!("other-pod-there-{i}"),
                    &ns,
                    &extra,
                    labels(&[("app", "stranger")]),
                    n + 2,
                ));
            }
        }
    }
    out
}

fn first_host(net: &IpNet) -> IpAddr {
    net.hosts().next().unwrap_or(net.addr())
}

fn just_after(net: &IpNet) -> IpAddr {
    match net.broadcast() {
        IpAddr::V4(b) => IpAddr::from(std::net::Ipv4Addr::from(u32::from(b).wrapping_add(1))),
        IpAddr::V6(b) => IpAddr::from(std::net::Ipv6Addr::from(u128::from(b).wrapping_add(1))),
    }
}

/// Every port any policy or the plan names, and one nobody does.
fn ports(policies: &[Value], plan: &Plan) -> BTreeSet<u16> {
    // Around the ephemeral range too: its ends, a port inside, one on each side.
    let mut out: BTreeSet<u16> = [
        53,
        443,
        6443,
        12345,
        32767,
        32768,
        45000,
        60999,
        61000,
        plan.target.port,
    ]
    .into();
    out.extend(plan.metrics.iter().map(|m| m.port));
    for p in policies {
        let text = p.to_string();
        for (i, _) in text.match_indices("\"port\":") {
            let n: String = text[i + 7..].chars().take_while(char::is_ascii_digit).collect();
            out.insert(n.parse().unwrap());
        }
    }
    out
}

/// Every flow the policies allow and every flow the test needs, over the universe;
/// returns the differences.
fn differences(plan: &Plan) -> Vec<String> {
    let manifests = perfplan::compile(plan).manifests;
    let policies: Vec<Value> = manifests
        .iter()
        .filter(|m| m.kind == "NetworkPolicy")
        .map(|m| m.value.clone())
        .collect();
    let pods = bundle_pods(&manifests, &plan.namespace);
    let others = others(plan);
    let ports = ports(&policies, plan);
    let mut problems = Vec::new();
    let mut check = |from: &Endpoint, from_c: Option<&str>, to: &Endpoint, to_c: Option<&str>| {
        for &port in &ports {
            for protocol in ["TCP", "UDP"] {
                let is = allowed(&policies, from, to, port, protocol);
                let want = from_c.is_some_and(|f| needed(plan, f, to, to_c, port, protocol));
                if is != want {
                    problems.push(format!(
                        "{} -> {} {port}/{protocol}: {}",
                        from.name(),
                        to.name(),
                        if is {
                            "allowed but not needed"
                        } else {
                            "needed but denied"
                        }
                    ));
                }
            }
        }
    };
    for (from_c, from) in &pods {
        for (to_c, to) in &pods {
            check(from, Some(from_c), to, Some(to_c));
        }
        for to in &others {
            check(from, Some(from_c), to, None);
        }
    }
    // Nothing from outside reaches the test's pods (the strangers have no policies).
    for from in others.iter().filter(|o| matches!(o, Endpoint::Pod { .. })) {
        for (to_c, to) in &pods {
            check(from, None, to, Some(to_c));
        }
    }
    problems
}

#[test]
fn every_example_bundle_allows_exactly_the_flows_its_test_needs() {
    let mut problems = Vec::new();
    for (stem, path) in example_plans() {
        let plan = plan(&path);
        let plans = if plan.regions.is_empty() {
            vec![plan]
        } else {
            plan.regions.iter().map(|r| plan.in_region(r)).collect()
        };
        for p in plans {
            problems.extend(differences(&p).into_iter().map(|d| format!("{stem}: {d}")));
        }
    }
    assert!(
        problems.is_empty(),
        "{} differences:\n  {}",
        problems.len(),
        problems.join("\n  ")
    );
}

/// The evaluator itself, on hand-written policies: each rule shape the bundles use.
#[test]
fn the_evaluator_follows_the_api_reference() {
    let ns = "t";
    let a = pod("a", ns, &[], labels(&[("app", "a")]), 1);
    let b = pod("b", ns, &[], labels(&[("app", "b")]), 2);
    let far = pod("far", "other", &[("team", "x")], labels(&[("app", "b")]), 3);
    let policy = |spec: Value| serde_json::json!({"metadata": {"namespace": ns}, "spec": spec});
    let deny_all = policy(serde_json::json!({"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}));
    // No policy: everything flows.
    assert!(allowed(&[], &a, &b, 80, "TCP"));
    // Default deny: nothing flows, either way.
    assert!(!allowed(std::slice::from_ref(&deny_all), &a, &b, 80, "TCP"));
    assert!(!allowed(std::slice::from_ref(&deny_all), &far, &a, 80, "TCP"));
    // A podSelector peer: same namespace only; both directions needed.
    let a_to_b = policy(
        serde_json::json!({"podSelector": {"matchLabels": {"app": "a"}}, "policyTypes": ["Egress"],
        "egress": [{"to": [{"podSelector": {"matchLabels": {"app": "b"}}}], "ports": [{"port": 80}]}]}),
    );
    let b_from_a = policy(
        serde_json::json!({"podSelector": {"matchLabels": {"app": "b"}}, "policyTypes": ["Ingress"],
        "ingress": [{"from": [{"podSelector": {"matchLabels": {"app": "a"}}}], "ports": [{"port": 80, "protocol": "TCP"}]}]}),
    );
    let set = [deny_all.clone(), a_to_b.clone(), b_from_a.clone()];
    assert!(allowed(&set, &a, &b, 80, "TCP"));
    assert!(!allowed(&set, &a, &b, 80, "UDP"));
    assert!(!allowed(&set, &a, &b, 81, "TCP"));
    assert!(
        !allowed(&set, &a, &far, 80, "TCP"),
        "podSelector alone stays in the namespace"
    );
    assert!(
        !allowed(&[deny_all.clone(), a_to_b.clone()], &a, &b, 80, "TCP"),
        "b's ingress is isolated"
    );
    // An empty namespaceSelector opens every namespace.
    let any_ns = policy(
        serde_json::json!({"podSelector": {"matchLabels": {"app": "a"}}, "policyTypes": ["Egress"],
        "egress": [{"to": [{"namespaceSelector": {}, "podSelector": {"matchLabels": {"app": "b"}}}]}]}),
    );
    assert!(allowed(&[any_ns], &a, &far, 80, "TCP"));
    // ipBlock with except; endPort ranges.
    let block = policy(serde_json::json!({"podSelector": {}, "policyTypes": ["Egress"],
        "egress": [{"to": [{"ipBlock": {"cidr": "10.0.0.0/8", "except": ["10.1.0.0/16"]}}], "ports": [{"port": 8000, "endPort": 8100}]}]}));
    let ip = |s: &str| Endpoint::Ip(s.parse().unwrap());
    assert!(allowed(
        std::slice::from_ref(&block),
        &a,
        &ip("10.2.0.1"),
        8050,
        "TCP"
    ));
    assert!(!allowed(
        std::slice::from_ref(&block),
        &a,
        &ip("10.1.0.1"),
        8050,
        "TCP"
    ));
    assert!(!allowed(
        std::slice::from_ref(&block),
        &a,
        &ip("10.2.0.1"),
        8101,
        "TCP"
    ));
    // matchExpressions.
    let set_labels = labels(&[("tier", "web")]);
    let sel = |op: &str, values: &[&str]| serde_json::json!({"matchExpressions": [{"key": "tier", "operator": op, "values": values}]});
    assert!(selector_matches(&sel("In", &["web", "db"]), &set_labels));
    assert!(!selector_matches(&sel("NotIn", &["web"]), &set_labels));
    assert!(selector_matches(&sel("Exists", &[]), &set_labels));
    assert!(!selector_matches(&sel("DoesNotExist", &[]), &set_labels));
}
