//! Object metadata: the recommended `app.kubernetes.io/*` labels on every object,
//! selectors that use only perfplan's own labels, and perfplan's annotations.

use super::Component;
use crate::model::Plan;
use crate::names::Names;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use std::collections::BTreeMap;

pub const NAME: &str = "app.kubernetes.io/name";
pub const INSTANCE: &str = "app.kubernetes.io/instance";
pub const COMPONENT: &str = "app.kubernetes.io/component";
pub const MANAGED_BY: &str = "app.kubernetes.io/managed-by";
/// The exact load split a workload runs, for reviewers.
pub const SPLIT: &str = "perfplan.dev/split";
/// Why an object exists, where its kind alone does not say.
pub const PURPOSE: &str = "perfplan.dev/purpose";

/// Labels that identify the test: every object carries them, and every selector
/// uses only these, so a user label can never widen or break a selector.
pub fn test_labels(plan: &Plan) -> BTreeMap<String, String> {
    BTreeMap::from([
        (NAME.to_owned(), plan.tool().as_str().to_owned()),
        (INSTANCE.to_owned(), plan.name.clone()),
        (MANAGED_BY.to_owned(), "perfplan".to_owned()),
    ])
}

/// Every label of an object: the plan's own, then the test's (which win), then the
/// component.
pub fn labels(plan: &Plan, component: Option<Component>) -> BTreeMap<String, String> {
    let mut labels = plan.labels.clone();
    labels.extend(test_labels(plan));
    if let Some(c) = component {
        labels.insert(COMPONENT.to_owned(), c.as_str().to_owned());
    }
    labels
}

/// The selector of one component's pods.
pub fn selector(plan: &Plan, component: Component) -> LabelSelector {
    LabelSelector {
        match_labels: Some(selector_labels(plan, component)),
        ..Default::default()
    }
}

/// The labels a component's selector matches.
pub fn selector_labels(plan: &Plan, component: Component) -> BTreeMap<String, String> {
    let mut labels = test_labels(plan);
    labels.insert(COMPONENT.to_owned(), component.as_str().to_owned());
    labels
}

/// The selector as `kubectl --selector` text (`k=v,k=v`); label keys and values are
/// validated, so it needs no escaping, but it still reaches shells only through env.
pub fn selector_text(plan: &Plan, component: Component) -> String {
    selector_labels(plan, component)
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(",")
}

/// Metadata of a namespaced object.
pub fn object(plan: &Plan, name: String, component: Option<Component>) -> ObjectMeta {
    ObjectMeta {
        name: Some(name),
        namespace: Some(plan.namespace.clone()),
        labels: Some(labels(plan, component)),
        ..Default::default()
    }
}

/// Metadata with annotations.
pub fn annotated(
    plan: &Plan,
    name: String,
    component: Option<Component>,
    annotations: BTreeMap<String, String>,
) -> ObjectMeta {
    ObjectMeta {
        annotations: (!annotations.is_empty()).then_some(annotations),
        ..object(plan, name, component)
    }
}

/// The object names of this plan.
pub fn names(plan: &Plan) -> Names {
    Names::new(&plan.name, plan.tool())
}
