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

use serde_json::Value;
use support::netpol::*;
use support::*;

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
