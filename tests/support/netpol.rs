//! The NetworkPolicy evaluator and the flows a test needs (see tests/network_policy.rs
//! for what it implements and why); shared so generated plans are checked too.

use ipnet::IpNet;
use perfplan::model::{Peer, Plan};
use perfplan::names::Shape;
use perfplan::spec::{GatlingMode, K6Workload};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

pub type Labels = BTreeMap<String, String>;

/// Somewhere traffic can go: a pod (namespace, its namespace's labels, its labels,
/// a name for messages) or an address outside the cluster.
#[derive(Debug, Clone)]
pub enum Endpoint {
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

pub fn labels(pairs: &[(&str, &str)]) -> Labels {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

pub fn pod(
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
pub fn selector_matches(selector: &Value, set: &Labels) -> bool {
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

pub fn peer_matches(peer: &Value, policy_namespace: &str, other: &Endpoint) -> bool {
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

pub fn port_matches(ports: &Value, port: u16, protocol: &str) -> bool {
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
pub fn direction_allows(
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

pub fn allowed(policies: &[Value], from: &Endpoint, to: &Endpoint, port: u16, protocol: &str) -> bool {
    direction_allows(policies, "Egress", from, to, port, protocol)
        && direction_allows(policies, "Ingress", to, from, port, protocol)
}

// ---- what the test needs ----

/// One flow between a tool's components: (from, to, TCP port ranges).
pub type ToolFlow = (&'static str, &'static str, Vec<(u16, u16)>);

/// The tool's own traffic between its pods, by component.
pub fn tool_flows(plan: &Plan) -> Vec<ToolFlow> {
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

pub fn load_generator(shape: Shape) -> &'static str {
    match shape {
        Shape::K6(_) | Shape::Gatling(GatlingMode::Independent) => "runner",
        Shape::Jmeter | Shape::Gatling(GatlingMode::Cluster) => "worker",
    }
}

/// JMeter's Backend Listener runs on the controller; the others write from the
/// generators themselves.
pub fn metrics_sender(shape: Shape) -> &'static str {
    match shape {
        Shape::Jmeter => "controller",
        _ => load_generator(shape),
    }
}

/// Whether an allow entry of the validated plan covers `to`: a CIDR block minus its
/// excepts, or pods by labels, in the plan's own namespace when no namespace is named.
pub fn egress_matches(
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
pub fn needed(
    plan: &Plan,
    from: &str,
    to: &Endpoint,
    to_component: Option<&str>,
    port: u16,
    protocol: &str,
) -> bool {
    let tool = to_component.is_some_and(|to_component| {
        protocol == "TCP"
            && tool_flows(plan).iter().any(|(f, t, ports)| {
                *f == from && *t == to_component && ports.iter().any(|(a, b)| (*a..=*b).contains(&port))
            })
    });
    // DNS: kube-dns on 53 by default; with `dns.allow`, exactly its entries, over UDP and TCP.
    let dns = if plan.dns.is_empty() {
        to.name() == "pod kube-dns" && port == 53
    } else {
        to_component.is_none()
            && ["UDP", "TCP"].contains(&protocol)
            && egress_matches(&plan.dns, &plan.namespace, to, port, "TCP")
    };
    let load = to_component.is_none()
        && from == load_generator(plan.shape)
        && egress_matches(&plan.target.egress, &plan.namespace, to, port, protocol);
    let metrics = to_component.is_none()
        && plan.metrics.as_ref().is_some_and(|m| {
            from == metrics_sender(plan.shape)
                && egress_matches(&m.egress, &plan.namespace, to, port, protocol)
        });
    // Nothing else: no pod needs the Kubernetes API (the Gatling master finds its
    // workers through DNS), so the API server's address (10.96.0.1 in the universe,
    // on 443 and 6443) must be unreachable from every pod.
    tool || dns || load || metrics
}

// ---- the universe ----

/// The bundle's pods, one per component, with their templates' labels.
pub fn bundle_pods(manifests: &[perfplan::Manifest], namespace: &str) -> Vec<(String, Endpoint)> {
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
pub fn others(plan: &Plan) -> Vec<Endpoint> {
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
        // The `kubernetes` Service's usual cluster IP: nothing may reach it.
        Endpoint::Ip("10.96.0.1".parse().unwrap()),
    ];
    let egress = plan
        .target
        .egress
        .iter()
        .chain(plan.metrics.iter().flat_map(|m| m.egress.iter()))
        .chain(plan.dns.iter());
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

pub fn first_host(net: &IpNet) -> IpAddr {
    net.hosts().next().unwrap_or(net.addr())
}

pub fn just_after(net: &IpNet) -> IpAddr {
    match net.broadcast() {
        IpAddr::V4(b) => IpAddr::from(std::net::Ipv4Addr::from(u32::from(b).wrapping_add(1))),
        IpAddr::V6(b) => IpAddr::from(std::net::Ipv6Addr::from(u128::from(b).wrapping_add(1))),
    }
}

/// Every port any policy or the plan names, and one nobody does.
pub fn ports(policies: &[Value], plan: &Plan) -> BTreeSet<u16> {
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
pub fn differences(plan: &Plan) -> Vec<String> {
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
