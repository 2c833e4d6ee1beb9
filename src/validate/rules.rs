//! Semantic rules the schema cannot express, outside load, target and script.

use super::{Ctx, display_path};
use crate::diag::{Diagnostic, codes};
use crate::model;
use crate::names::{self, Shape};
use crate::spec::{PlanSpec, Posture, Tool};
use std::collections::BTreeMap;

/// The workload shape, with the tool block's defaults applied.
pub(super) fn shape(spec: &PlanSpec) -> Shape {
    match spec.tool {
        Tool::Jmeter => Shape::Jmeter,
        Tool::K6 => Shape::K6(spec.k6.as_ref().map(|k| k.workload).unwrap_or_default()),
        Tool::Gatling => Shape::Gatling(spec.gatling.as_ref().map(|g| g.mode).unwrap_or_default()),
    }
}

/// A `jmeter:`/`k6:`/`gatling:` block belongs to its tool only.
pub(super) fn tool_blocks(ctx: &mut Ctx, spec: &PlanSpec) {
    let present = [
        (Tool::Jmeter, spec.jmeter.is_some()),
        (Tool::K6, spec.k6.is_some()),
        (Tool::Gatling, spec.gatling.is_some()),
    ];
    for (tool, is_present) in present {
        if is_present && tool != spec.tool {
            ctx.push(
                Diagnostic::error(
                    codes::TOOL_BLOCK_MISMATCH,
                    ctx.key_span(&[tool.as_str()]),
                    format!(
                        "a `{}:` block in a plan for {}",
                        tool.as_str(),
                        spec.tool.as_str()
                    ),
                )
                .label(format!("only read when `tool: {}`", tool.as_str()))
                .help(format!(
                    "remove the `{}:` block, or set `tool: {}`",
                    tool.as_str(),
                    tool.as_str()
                )),
            );
        }
    }
}

/// Every generated name fits its Kubernetes limit.
pub(super) fn names(ctx: &mut Ctx, spec: &PlanSpec, shape: Shape) {
    if let Some(worst) = names::worst_overshoot(&spec.name, shape, spec.load.generators) {
        let excess = worst.name.len() - worst.max;
        let allowed = spec.name.len().saturating_sub(excess);
        ctx.push(
            Diagnostic::error(
                codes::NAME_TOO_LONG,
                ctx.span(&["name"]),
                format!(
                    "`name` is too long: the generated `{}` has {} characters, and Kubernetes allows {} because {}",
                    worst.name,
                    worst.name.len(),
                    worst.max,
                    worst.why
                ),
            )
            .label(format!("{} characters", spec.name.len()))
            .help(format!("shorten `name` to at most {allowed} characters")),
        );
    }
}

/// Label syntax: `[prefix/]name` keys and values of at most 63 characters.
/// Returns whether every label was valid.
pub(super) fn labels(
    ctx: &mut Ctx,
    path: &[&str],
    labels: &BTreeMap<String, String>,
    user_labels: bool,
) -> bool {
    let mut ok = true;
    for (key, value) in labels {
        let full: Vec<&str> = path.iter().copied().chain([key.as_str()]).collect();
        let problem = if user_labels && key.starts_with("app.kubernetes.io/") {
            Some(format!("`{key}` is set by perfplan itself"))
        } else if !valid_label_key(key) {
            Some(format!("`{key}` is not a valid label key"))
        } else if !valid_label_value(value) {
            Some(format!("`{value}` is not a valid label value (for `{key}`)"))
        } else {
            None
        };
        if let Some(problem) = problem {
            ok = false;
            ctx.push(
                Diagnostic::error(codes::LABEL_INVALID, ctx.key_span(&full), format!("{problem} in `{}`", display_path(path)))
                    .label("invalid label")
                    .help("label keys are `[prefix/]name` and values at most 63 characters of letters, digits, `-`, `_`, `.`, starting and ending with a letter or digit; `app.kubernetes.io/*` is reserved"),
            );
        }
    }
    ok
}

fn valid_label_value(v: &str) -> bool {
    v.is_empty()
        || (v.len() <= 63
            && v.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
            && v.starts_with(|c: char| c.is_ascii_alphanumeric())
            && v.ends_with(|c: char| c.is_ascii_alphanumeric()))
}

pub(super) fn valid_label_key(k: &str) -> bool {
    let (prefix, name) = match k.split_once('/') {
        Some((p, n)) => (Some(p), n),
        None => (None, k),
    };
    let prefix_ok = prefix.is_none_or(|p| {
        !p.is_empty()
            && p.len() <= 253
            && p.split('.').all(|part| {
                !part.is_empty()
                    && part
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                    && !part.starts_with('-')
                    && !part.ends_with('-')
            })
    });
    prefix_ok && !name.is_empty() && valid_label_value(name)
}

/// Relaxations only `baseline` permits.
pub(super) fn security(ctx: &mut Ctx, spec: &PlanSpec) {
    let s = &spec.security;
    if s.posture != Posture::Restricted {
        return;
    }
    let path_and_why = [
        (
            s.writable_root_filesystem,
            "writableRootFilesystem",
            "a writable root filesystem",
        ),
        (s.run_as_user == 0, "runAsUser", "running as root (UID 0)"),
        (
            s.run_as_group == 0,
            "runAsGroup",
            "running with the root group (GID 0)",
        ),
    ];
    for (asked, field, what) in path_and_why {
        if asked {
            ctx.push(
                Diagnostic::error(codes::SECURITY_POSTURE, ctx.span(&["security", field]), format!("`posture: restricted` forbids {what}"))
                    .label("not allowed under restricted")
                    .help("prefer an image that runs without it; if it cannot, set `security.posture: baseline` so the relaxation is explicit in the plan"),
            );
        }
    }
}

/// Namespaces of the cluster's own components: a load test there runs beside (and
/// under the policies of) DNS, the API server's helpers and the node agents.
const SYSTEM_NAMESPACES: &[&str] = &["kube-system", "kube-public", "kube-node-lease"];

pub(super) fn namespace(ctx: &mut Ctx, spec: &PlanSpec, restricted: bool) {
    if !SYSTEM_NAMESPACES.contains(&spec.namespace.as_str()) {
        return;
    }
    let message = format!(
        "`{}` is a namespace of the cluster's own components",
        spec.namespace
    );
    let span = ctx.span(&["namespace"]);
    let d = if restricted {
        Diagnostic::error(
            codes::NAMESPACE_SYSTEM,
            span,
            format!("{message}; `posture: restricted` does not run a test there"),
        )
    } else {
        Diagnostic::warning(codes::NAMESPACE_SYSTEM, span, message)
    };
    ctx.push(
        d.label("system namespace")
            .help("run the test in a namespace of its own, e.g. `namespace: perf-testing`"),
    );
}

/// Resources: parseable, non-zero quantities (defaults per tool).
pub(super) fn resources(ctx: &mut Ctx, spec: &PlanSpec) -> Option<model::Resources> {
    let Some(r) = &spec.resources else {
        return Some(model::default_resources(spec.tool));
    };
    let mut ok = true;
    for (field, q) in [("cpu", &r.cpu.0), ("memory", &r.memory.0)] {
        let zero = q
            .trim_start_matches('+')
            .chars()
            .take_while(|c| c.is_ascii_digit() || *c == '.')
            .all(|c| c == '0' || c == '.');
        if zero {
            ok = false;
            ctx.push(
                Diagnostic::error(
                    codes::RESOURCES_QUANTITY,
                    ctx.span(&["resources", field]),
                    format!("`resources.{field}` is zero"),
                )
                .label("zero")
                .help("a generator needs real CPU and memory; e.g. `cpu: \"2\"`, `memory: 4Gi`"),
            );
        }
    }
    // Nonsense that parses: a generator with a byte of memory or a thousandth of a CPU
    // is never scheduled or is killed at once.
    for (field, q, floor, unit) in [
        ("cpu", &r.cpu.0, 0.01, "`10m` of a CPU"),
        ("memory", &r.memory.0, 64.0 * 1024.0 * 1024.0, "`64Mi`"),
    ] {
        if crate::quantity::bytes(q).is_some_and(|v| v > 0.0 && v < floor) {
            ok = false;
            ctx.push(
                Diagnostic::error(
                    codes::RESOURCES_QUANTITY,
                    ctx.span(&["resources", field]),
                    format!("`resources.{field}: {q}` is less than any load generator runs on"),
                )
                .label("far too small")
                .help(format!("give at least {unit}; e.g. `cpu: \"2\"`, `memory: 4Gi`")),
            );
        }
    }
    ok.then(|| model::Resources {
        cpu: r.cpu.0.clone(),
        memory: r.memory.0.clone(),
    })
}

/// An image reference, parsed with the grammar container runtimes use
/// (distribution/reference, as `oci_spec::distribution::Reference` implements it), and
/// pinned by tag or digest (`latest` and no tag are not pins).
pub(super) fn image(ctx: &mut Ctx, path: &[&str], image: Option<&str>, default: &str) -> Option<String> {
    let Some(image) = image else {
        return Some(default.to_owned());
    };
    let reference = match image.parse::<oci_spec::distribution::Reference>() {
        Ok(reference) => reference,
        Err(why) => {
            ctx.push(
                Diagnostic::error(
                    codes::IMAGE_INVALID,
                    ctx.span(path),
                    format!("`{}` is not an image reference: {why}", image.escape_debug()),
                )
                .label("not an image reference")
                .help(format!(
                    "write `[registry/]repository:tag` or `[registry/]repository@sha256:<64 hex digits>` in lower case, \
                     e.g. `{default}`"
                )),
            );
            return None;
        }
    };
    // The parser fills in `latest` when the text names no tag and no digest.
    if reference.digest().is_some() || reference.tag().is_some_and(|t| t != "latest") {
        return Some(image.to_owned());
    }
    ctx.push(
        Diagnostic::error(codes::IMAGE_UNPINNED, ctx.span(path), format!("image `{image}` is not pinned"))
            .label("no tag or digest")
            .help(format!("name an exact version, e.g. `{default}`, or a digest `repo@sha256:…`; `latest` and untagged images change under a running test")),
    );
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_syntax() {
        assert!(valid_label_key("team"));
        assert!(valid_label_key("example.com/cost-center"));
        assert!(!valid_label_key("Example.com/x"));
        assert!(!valid_label_key("a b"));
        assert!(!valid_label_key("/x"));
        assert!(valid_label_value(""));
        assert!(!valid_label_value("-x"));
        assert!(!valid_label_value(&"a".repeat(64)));
        assert!(!valid_label_value("$(id)"));
    }
}
