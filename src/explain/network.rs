//! The traffic a bundle's NetworkPolicies allow, one line per rule, read from the
//! emitted policies (not from the plan), so the summary shows what the cluster will
//! enforce. Pods are named by their component; everything not listed is denied by
//! the default-deny policy.

use crate::emit::Bundle;
use crate::lower::meta::COMPONENT;
use serde::Serialize;
use serde_json::Value;

/// One allowed connection pattern.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rule {
    /// The pods the policy selects (`runner`, `every pod`).
    pub pods: String,
    /// `egress` (the pods connect out) or `ingress` (others connect to them).
    pub direction: &'static str,
    /// The other side: `pods starter`, `10.20.0.0/16 except 10.20.5.0/24`, `anywhere`.
    pub peer: String,
    /// `TCP 443`, `UDP/TCP 53`, `any port`.
    pub ports: String,
    /// The policy's `perfplan.dev/purpose` annotation.
    pub why: String,
}

/// Every allow rule of every NetworkPolicy in the bundle, in bundle order.
pub fn rules(bundle: &Bundle) -> Vec<Rule> {
    let mut out = Vec::new();
    for m in bundle.manifests.iter().filter(|m| m.kind == "NetworkPolicy") {
        let spec = &m.value["spec"];
        let pods = selected(&spec["podSelector"]);
        let why = m.value["metadata"]["annotations"]["perfplan.dev/purpose"]
            .as_str()
            .unwrap_or("")
            .to_owned();
        for (direction, key, peers_key) in [("egress", "egress", "to"), ("ingress", "ingress", "from")] {
            for rule in spec[key].as_array().into_iter().flatten() {
                let ports = ports(&rule["ports"]);
                let peers: Vec<String> = match rule[peers_key].as_array() {
                    Some(list) if !list.is_empty() => list.iter().map(peer).collect(),
                    _ => vec!["anywhere".to_owned()],
                };
                for peer in peers {
                    out.push(Rule {
                        pods: pods.clone(),
                        direction,
                        peer,
                        ports: ports.clone(),
                        why: why.clone(),
                    });
                }
            }
        }
    }
    out
}

/// The pods a policy's `podSelector` selects, by component.
fn selected(selector: &Value) -> String {
    match selector["matchLabels"][COMPONENT].as_str() {
        Some(component) => component.to_owned(),
        None => "every pod of the test".to_owned(),
    }
}

/// One `to`/`from` peer in words.
fn peer(p: &Value) -> String {
    if let Some(cidr) = p["ipBlock"]["cidr"].as_str() {
        let except: Vec<&str> = p["ipBlock"]["except"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        return if except.is_empty() {
            cidr.to_owned()
        } else {
            format!("{cidr} except {}", except.join(", "))
        };
    }
    let pods = p
        .get("podSelector")
        .map(|s| match s["matchLabels"][COMPONENT].as_str() {
            Some(component) if p.get("namespaceSelector").is_none() => format!("pods {component}"),
            _ => format!("pods {}", labels(s)),
        });
    let namespaces = p.get("namespaceSelector").map(
        |s| match s["matchLabels"]["kubernetes.io/metadata.name"].as_str() {
            Some(name) => format!("namespace {name}"),
            None => format!("namespaces {}", labels(s)),
        },
    );
    match (pods, namespaces) {
        (Some(pods), Some(ns)) => format!("{pods} in {ns}"),
        (Some(pods), None) => pods,
        (None, Some(ns)) => format!("every pod in {ns}"),
        (None, None) => "anywhere".to_owned(),
    }
}

/// A label selector as `k=v,k2=v2` (`any` when empty).
fn labels(selector: &Value) -> String {
    let mut parts: Vec<String> = selector["matchLabels"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or("")))
        .collect();
    for e in selector["matchExpressions"].as_array().into_iter().flatten() {
        let values: Vec<&str> = e["values"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        parts.push(format!(
            "{} {} ({})",
            e["key"].as_str().unwrap_or(""),
            e["operator"].as_str().unwrap_or(""),
            values.join(",")
        ));
    }
    if parts.is_empty() {
        "any".to_owned()
    } else {
        parts.join(",")
    }
}

/// A rule's ports: `TCP 443, TCP 32768-60999`; `UDP/TCP 53` when both protocols
/// share a port; `any port` when the rule names none.
fn ports(list: &Value) -> String {
    let Some(list) = list.as_array().filter(|l| !l.is_empty()) else {
        return "any port".to_owned();
    };
    let mut by_port: Vec<(String, Vec<String>)> = Vec::new();
    for p in list {
        let protocol = p["protocol"].as_str().unwrap_or("TCP").to_owned();
        let port = match (&p["port"], p["endPort"].as_u64()) {
            (Value::Null, _) => "any port".to_owned(),
            (v, Some(end)) => format!("{}-{end}", plain(v)),
            (v, None) => plain(v),
        };
        match by_port.iter_mut().find(|(q, _)| *q == port) {
            Some((_, protocols)) => protocols.push(protocol),
            None => by_port.push((port, vec![protocol])),
        }
    }
    by_port
        .into_iter()
        .map(|(port, protocols)| format!("{} {port}", protocols.join("/")))
        .collect::<Vec<_>>()
        .join(", ")
}

fn plain(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn peers_read_as_words() {
        assert_eq!(
            peer(&json!({"ipBlock": {"cidr": "10.0.0.0/8", "except": ["10.1.0.0/16"]}})),
            "10.0.0.0/8 except 10.1.0.0/16"
        );
        assert_eq!(
            peer(&json!({"podSelector": {"matchLabels": {COMPONENT: "starter"}}})),
            "pods starter"
        );
        assert_eq!(
            peer(
                &json!({"podSelector": {"matchLabels": {"app": "checkout"}}, "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "shop"}}})
            ),
            "pods app=checkout in namespace shop"
        );
        assert_eq!(
            peer(&json!({"namespaceSelector": {}})),
            "every pod in namespaces any"
        );
    }

    #[test]
    fn ports_group_protocols_and_ranges() {
        assert_eq!(
            ports(&json!([{"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "TCP"}])),
            "UDP/TCP 53"
        );
        assert_eq!(
            ports(&json!([{"port": 32768, "endPort": 60999, "protocol": "TCP"}])),
            "TCP 32768-60999"
        );
        assert_eq!(ports(&json!(null)), "any port");
    }
}
