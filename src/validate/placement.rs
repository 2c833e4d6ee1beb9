//! Semantic rules of `placement:`: node selector labels, tolerations, and an
//! affinity checked the way the API server checks it.

use super::Ctx;
use super::rules::{labels, valid_label_key};
use crate::diag::{Diagnostic, codes};

/// Node selector labels are label syntax; a toleration's operator decides whether
/// it needs a key and may have a value.
pub(super) fn placement(ctx: &mut Ctx, placement: &crate::spec::Placement) -> bool {
    let mut ok = labels(
        ctx,
        &["placement", "nodeSelector"],
        &placement.node_selector,
        false,
    );
    for (i, t) in placement.tolerations.iter().enumerate() {
        let index = i.to_string();
        let problem = match t.operator {
            crate::spec::TolerationOperator::Exists if t.value.is_some() => Some((
                "value",
                "a toleration with `operator: Exists` matches any value, so it takes none",
                "remove `value`, or use `operator: Equal`",
            )),
            crate::spec::TolerationOperator::Equal if t.key.is_empty() => Some((
                "key",
                "a toleration with `operator: Equal` needs the taint's key",
                "add `key:` (or use `operator: Exists` to tolerate every taint)",
            )),
            _ => None,
        };
        if let Some((field, message, help)) = problem {
            ok = false;
            let span = ctx.span(&["placement", "tolerations", index.as_str(), field]);
            ctx.push(
                Diagnostic::error(codes::PLACEMENT_TOLERATION, span, message)
                    .label("invalid toleration")
                    .help(help),
            );
        }
    }
    if let Some(affinity) = &placement.affinity {
        ok &= self::affinity(ctx, affinity);
    }
    ok
}

/// One requirement of an affinity, wherever it sits: its path in the plan, key,
/// operator (as written) and values.
struct Requirement<'a> {
    path: Vec<String>,
    key: &'a str,
    operator: &'static str,
    values: &'a [String],
    /// Node fields (`matchFields`) are not labels.
    field: bool,
}

/// Every requirement of an affinity must be satisfiable by the API server's rules:
/// `In`/`NotIn` need values, `Exists`/`DoesNotExist` take none, `Gt`/`Lt` one
/// integer; keys are label keys. The API server would reject the pod otherwise,
/// after the test had started its other objects.
fn affinity(ctx: &mut Ctx, affinity: &crate::spec::Affinity) -> bool {
    let mut ok = true;
    for r in requirements(affinity) {
        let problem = match (r.operator, r.values.len()) {
            ("In" | "NotIn", 0) => Some((
                "operator",
                format!("`{}` needs at least one value", r.operator),
                "add `values:`, or use `Exists`",
            )),
            ("Exists" | "DoesNotExist", n) if n > 0 => Some((
                "values",
                format!("`{}` takes no values", r.operator),
                "remove `values`, or use `In`/`NotIn`",
            )),
            ("Gt" | "Lt", 1) if r.values[0].parse::<i64>().is_err() => Some((
                "values",
                format!("`{}` compares integers; `{}` is not one", r.operator, r.values[0]),
                "give one integer, e.g. `values: [\"8\"]`",
            )),
            ("Gt" | "Lt", n) if n != 1 => Some((
                "values",
                format!("`{}` takes exactly one value", r.operator),
                "give one integer, e.g. `values: [\"8\"]`",
            )),
            _ if !r.field && !valid_label_key(r.key) => Some((
                "key",
                format!("`{}` is not a valid label key", r.key),
                "label keys are `[prefix/]name`: letters, digits, `-`, `_`, `.`, at most 63 characters in the name",
            )),
            _ => None,
        };
        if let Some((field, message, help)) = problem {
            ok = false;
            let mut path = r.path.clone();
            path.push(field.to_owned());
            ctx.push(
                Diagnostic::error(codes::PLACEMENT_AFFINITY, ctx.span(&path), message)
                    .label("invalid affinity requirement")
                    .help(help),
            );
        }
    }
    ok
}

fn node_term<'a>(
    out: &mut Vec<Requirement<'a>>,
    mut path: Vec<String>,
    term: &'a crate::spec::NodeSelectorTerm,
) {
    for (list, field, items) in [
        ("matchExpressions", false, &term.match_expressions),
        ("matchFields", true, &term.match_fields),
    ] {
        for (i, r) in items.iter().enumerate() {
            path.extend([list.to_owned(), i.to_string()]);
            out.push(Requirement {
                path: path.clone(),
                key: &r.key,
                operator: r.operator.as_str(),
                values: &r.values,
                field,
            });
            path.truncate(path.len() - 2);
        }
    }
}

fn requirements(affinity: &crate::spec::Affinity) -> Vec<Requirement<'_>> {
    let mut out = Vec::new();
    let base = |parts: &[&str]| -> Vec<String> {
        ["placement", "affinity"]
            .iter()
            .chain(parts)
            .map(|s| (*s).to_owned())
            .collect()
    };
    if let Some(node) = &affinity.node_affinity {
        let required = node
            .required_during_scheduling_ignored_during_execution
            .iter()
            .flat_map(|s| s.node_selector_terms.iter());
        for (i, term) in required.enumerate() {
            let path = base(&[
                "nodeAffinity",
                "requiredDuringSchedulingIgnoredDuringExecution",
                "nodeSelectorTerms",
                &i.to_string(),
            ]);
            node_term(&mut out, path, term);
        }
        for (i, p) in node
            .preferred_during_scheduling_ignored_during_execution
            .iter()
            .enumerate()
        {
            let path = base(&[
                "nodeAffinity",
                "preferredDuringSchedulingIgnoredDuringExecution",
                &i.to_string(),
                "preference",
            ]);
            node_term(&mut out, path, &p.preference);
        }
    }
    for (name, pods) in [
        ("podAffinity", &affinity.pod_affinity),
        ("podAntiAffinity", &affinity.pod_anti_affinity),
    ] {
        let Some(pods) = pods else { continue };
        let terms = pods
            .required_during_scheduling_ignored_during_execution
            .iter()
            .enumerate()
            .map(|(i, t)| {
                (
                    base(&[
                        name,
                        "requiredDuringSchedulingIgnoredDuringExecution",
                        &i.to_string(),
                    ]),
                    t,
                )
            })
            .chain(
                pods.preferred_during_scheduling_ignored_during_execution
                    .iter()
                    .enumerate()
                    .map(|(i, w)| {
                        (
                            base(&[
                                name,
                                "preferredDuringSchedulingIgnoredDuringExecution",
                                &i.to_string(),
                                "podAffinityTerm",
                            ]),
                            &w.pod_affinity_term,
                        )
                    }),
            );
        for (path, term) in terms {
            for (selector_name, selector) in [
                ("labelSelector", &term.label_selector),
                ("namespaceSelector", &term.namespace_selector),
            ] {
                for (i, r) in selector
                    .iter()
                    .flat_map(|s| s.match_expressions.iter())
                    .enumerate()
                {
                    let mut p = path.clone();
                    p.extend([
                        selector_name.to_owned(),
                        "matchExpressions".to_owned(),
                        i.to_string(),
                    ]);
                    out.push(Requirement {
                        path: p,
                        key: &r.key,
                        operator: r.operator.as_str(),
                        values: &r.values,
                        field: false,
                    });
                }
            }
        }
    }
    out
}
