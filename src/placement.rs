//! Operations settings applied to every pod of a [`Topology`]: where pods run
//! (spread over nodes, node selector, tolerations, priority) and where results go
//! (a PersistentVolumeClaim with one subfolder per pod, Job TTL). Like the posture,
//! applied after lowering so no tool can forget it.

use crate::lower::{Object, Topology, meta, pod};
use crate::model::Plan;
use crate::spec::Spread;
use k8s_openapi::api::core::v1::{
    Container, PersistentVolumeClaimVolumeSource, PodSpec, Toleration, TopologySpreadConstraint,
};

/// Apply the plan's placement and results settings.
pub fn apply(plan: &Plan, topology: &mut Topology) {
    let generators: Vec<&str> = topology.load_generators.iter().map(|c| c.as_str()).collect();
    for object in &mut topology.objects {
        let generates_load = object.component().is_some_and(|c| generators.contains(&c));
        let component = object.component().map(str::to_owned);
        if let Object::Job(job) = object
            && let Some(spec) = job.spec.as_mut()
        {
            spec.ttl_seconds_after_finished = plan.results.ttl_seconds_after_finished.map(|t| t as i32);
        }
        if let Some(spec) = object.pod_spec_mut() {
            schedule(plan, spec);
            if generates_load && let Some(c) = &component {
                spread(plan, spec, c);
            }
            if let Some(claim) = &plan.results.persistent_volume_claim {
                results_on_claim(spec, claim);
            }
        }
    }
}

fn schedule(plan: &Plan, spec: &mut PodSpec) {
    let p = &plan.placement;
    if !p.node_selector.is_empty() {
        spec.node_selector = Some(p.node_selector.clone());
    }
    if !p.tolerations.is_empty() {
        spec.tolerations = Some(
            p.tolerations
                .iter()
                .map(|t| Toleration {
                    key: (!t.key.is_empty()).then(|| t.key.clone()),
                    operator: Some(t.operator.as_str().to_owned()),
                    value: t.value.clone(),
                    effect: t.effect.map(|e| e.as_str().to_owned()),
                    toleration_seconds: None,
                })
                .collect(),
        );
    }
    spec.priority_class_name = p.priority_class_name.as_ref().map(|n| n.0.clone());
    spec.affinity = p.affinity.as_ref().map(affinity);
}

/// The plan's affinity as Kubernetes' type. The plan types mirror the API's field
/// names one to one (checked by a test), so a serde round trip is the conversion.
fn affinity(a: &crate::spec::Affinity) -> k8s_openapi::api::core::v1::Affinity {
    serde_json::to_value(a)
        .and_then(serde_json::from_value)
        .expect("the plan's affinity types mirror Kubernetes' field for field")
}

/// One generator per node where possible (`preferred`) or at all (`required`).
fn spread(plan: &Plan, spec: &mut PodSpec, component: &str) {
    let when = match plan.placement.spread {
        Spread::Required => "DoNotSchedule",
        Spread::Preferred => "ScheduleAnyway",
        Spread::None => return,
    };
    let mut labels = meta::test_labels(plan);
    labels.insert(meta::COMPONENT.to_owned(), component.to_owned());
    spec.topology_spread_constraints = Some(vec![TopologySpreadConstraint {
        max_skew: 1,
        topology_key: "kubernetes.io/hostname".to_owned(),
        when_unsatisfiable: when.to_owned(),
        label_selector: Some(k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector {
            match_labels: Some(labels),
            ..Default::default()
        }),
        ..Default::default()
    }]);
}

/// The results volume becomes the claim; each pod writes into a subfolder named
/// after itself (`subPathExpr: $(POD_NAME)`), so pods never overwrite each other.
fn results_on_claim(spec: &mut PodSpec, claim: &str) {
    let Some(volume) = spec
        .volumes
        .iter_mut()
        .flatten()
        .find(|v| v.name == pod::RESULTS_VOLUME)
    else {
        return;
    };
    volume.empty_dir = None;
    volume.persistent_volume_claim = Some(PersistentVolumeClaimVolumeSource {
        claim_name: claim.to_owned(),
        read_only: None,
    });
    for c in &mut spec.containers {
        per_pod_subfolder(c);
    }
}

fn per_pod_subfolder(c: &mut Container) {
    let mut mounted = false;
    for m in c.volume_mounts.iter_mut().flatten() {
        if m.name == pod::RESULTS_VOLUME {
            m.sub_path_expr = Some("$(POD_NAME)".to_owned());
            mounted = true;
        }
    }
    let env = c.env.get_or_insert_default();
    if mounted && !env.iter().any(|e| e.name == "POD_NAME") {
        env.insert(0, pod::env_field("POD_NAME", "metadata.name"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every field of the plan's affinity types arrives in Kubernetes' type: a
    /// renamed or unknown field would be dropped by the conversion, so the round trip
    /// back to JSON must give the plan's own JSON.
    #[test]
    fn affinity_types_mirror_kubernetes_field_for_field() {
        let plan: crate::spec::Affinity = serde_json::from_value(serde_json::json!({
            "nodeAffinity": {
                "requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [{
                    "matchExpressions": [{"key": "pool", "operator": "In", "values": ["load"]}],
                    "matchFields": [{"key": "metadata.name", "operator": "NotIn", "values": ["n1"]}]
                }]},
                "preferredDuringSchedulingIgnoredDuringExecution": [{
                    "weight": 10,
                    "preference": {"matchExpressions": [{"key": "cpu", "operator": "Gt", "values": ["8"]}]}
                }]
            },
            "podAffinity": {
                "preferredDuringSchedulingIgnoredDuringExecution": [{"weight": 5, "podAffinityTerm": {
                    "labelSelector": {"matchLabels": {"a": "b"}},
                    "topologyKey": "topology.kubernetes.io/zone"
                }}]
            },
            "podAntiAffinity": {
                "requiredDuringSchedulingIgnoredDuringExecution": [{
                    "labelSelector": {"matchExpressions": [{"key": "app", "operator": "Exists"}]},
                    "namespaces": ["shop"],
                    "namespaceSelector": {"matchLabels": {"env": "staging"}},
                    "topologyKey": "kubernetes.io/hostname"
                }]
            }
        }))
        .unwrap();
        let k8s = affinity(&plan);
        assert_eq!(
            serde_json::to_value(&k8s).unwrap(),
            serde_json::to_value(&plan).unwrap()
        );
    }
}
