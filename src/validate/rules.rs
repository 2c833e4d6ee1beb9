//! Semantic rules the schema cannot express, outside load, target and script.

use super::{Ctx, display_path};
use crate::diag::{Diagnostic, codes};
use crate::model::{self, DEFAULT_DISCOVERY_IMAGE};
use crate::names::{self, Shape};
use crate::spec::{PlanSpec, Posture, Tool};
use std::collections::BTreeMap;

/// Properties perfplan sets on JMeter itself; a plan may not override them.
pub const RESERVED_JMETER_PROPERTIES: &[&str] = &[
    "threads",
    "rampup",
    "duration",
    "rate",
    "rate.unit",
    "max.threads",
    "target.url",
    "target.host",
    "target.port",
    "target.protocol",
    "shard",
    "shards",
    // The controller's results.jtl is what `perfplan report` reads: CSV, and each
    // sample naming the worker that ran it.
    "jmeter.save.saveservice.output_format",
    "jmeter.save.saveservice.print_field_names",
    "jmeter.save.saveservice.timestamp_format",
    "jmeter.save.saveservice.default_delimiter",
    "jmeter.save.saveservice.hostname",
    "jmeter.save.saveservice.subresults",
    "sampleresult.timestamp.start",
];

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

fn valid_label_key(k: &str) -> bool {
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

/// The most `jmeter.properties` may hold, names and values together.
const MAX_JMETER_PROPERTIES_BYTES: usize = 64 * 1024;

pub(super) fn jmeter(ctx: &mut Ctx, spec: &PlanSpec) -> Option<model::JmeterOptions> {
    let options = spec.jmeter.clone().unwrap_or_default();
    let mut ok = true;
    for (name, value) in &options.properties {
        let path = ["jmeter", "properties", name.as_str()];
        let problem = if RESERVED_JMETER_PROPERTIES.contains(&name.as_str()) {
            Some((
                format!("property `{name}` is set by perfplan"),
                format!(
                    "perfplan sets {}; remove it from `jmeter.properties`",
                    RESERVED_JMETER_PROPERTIES.join(", ")
                ),
            ))
        } else if name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
        {
            Some((
                format!("`{name}` is not a valid property name"),
                "property names use letters, digits, `.`, `_` and `-`".to_owned(),
            ))
        } else if value.chars().any(char::is_control) {
            Some((
                format!("the value of `{name}` contains a control character"),
                "property values are one line of text".to_owned(),
            ))
        } else {
            None
        };
        if let Some((message, help)) = problem {
            ok = false;
            ctx.push(
                Diagnostic::error(codes::JMETER_PROPERTY, ctx.key_span(&path), message)
                    .label("invalid property")
                    .help(help),
            );
        }
    }
    // Properties are arguments of both the worker StatefulSet and the controller Job:
    // client-side `kubectl apply` keeps each object whole in an annotation of at most
    // 256 KiB, and etcd takes objects of about 1.5 MB. 64 KiB of properties leaves
    // every object far below both.
    let total: usize = options
        .properties
        .iter()
        .map(|(k, v)| k.len() + v.len() + 4)
        .sum();
    if total > MAX_JMETER_PROPERTIES_BYTES {
        ok = false;
        ctx.push(
            Diagnostic::error(
                codes::JMETER_PROPERTY,
                ctx.key_span(&["jmeter", "properties"]),
                format!("`jmeter.properties` holds {total} bytes; at most {MAX_JMETER_PROPERTIES_BYTES} fit in the objects that carry them"),
            )
            .label("too large")
            .help("shrink `jmeter.properties`: put bulk data in the test plan or a CSV file next to it instead of in properties"),
        );
    }
    let rmi = &options.rmi;
    if rmi.ssl && rmi.keystore_secret.is_none() && spec.tool == Tool::Jmeter {
        ok = false;
        ctx.push(
            Diagnostic::error(codes::JMETER_RMI_KEYSTORE, rmi_span(ctx, spec), "JMeter RMI over SSL needs a keystore Secret")
                .label("no `keystoreSecret`")
                .help("create one with JMeter's create-rmi-keystore.sh and `kubectl create secret generic jmeter-rmi --from-file=rmi_keystore.jks --from-literal=password=…`, then set `jmeter: {rmi: {keystoreSecret: jmeter-rmi}}`; or set `jmeter: {rmi: {ssl: false}}` to run RMI in clear text on a trusted network"),
        );
    }
    ok.then(|| model::JmeterOptions {
        properties: options.properties.clone(),
        rmi_keystore_secret: if rmi.ssl {
            rmi.keystore_secret.as_ref().map(|s| s.0.clone())
        } else {
            None
        },
    })
}

/// Where to point when RMI settings are missing: the `rmi:` key, else `jmeter:`,
/// else the `tool: jmeter` that asked for RMI in the first place.
fn rmi_span(ctx: &Ctx, spec: &PlanSpec) -> crate::diag::Span {
    match &spec.jmeter {
        Some(_) if ctx.root.walk(&["jmeter", "rmi"]).is_some() => ctx.key_span(&["jmeter", "rmi"]),
        Some(_) => ctx.key_span(&["jmeter"]),
        None => ctx.span(&["tool"]),
    }
}

pub(super) fn gatling(ctx: &mut Ctx, spec: &PlanSpec) -> Option<model::GatlingOptions> {
    let options = spec.gatling.clone().unwrap_or_default();
    let discovery = image(
        ctx,
        &["gatling", "discoveryImage"],
        options.discovery_image.as_deref(),
        DEFAULT_DISCOVERY_IMAGE,
    );
    let class = options.simulation_class.clone();
    if class.is_none() && spec.tool == Tool::Gatling {
        let span = if spec.gatling.is_some() {
            ctx.key_span(&["gatling"])
        } else {
            ctx.span(&["tool"])
        };
        ctx.push(
            Diagnostic::error(codes::GATLING_SIMULATION_CLASS, span, "Gatling needs the simulation class to run")
                .label("no `gatling.simulationClass`")
                .help("add `gatling: {simulationClass: computerdatabase.BasicSimulation}` with the fully qualified class name from your script"),
        );
    }
    cluster_image(ctx, spec, &options);
    let api_server = api_server(ctx, &options.api_server);
    Some(model::GatlingOptions {
        simulation_class: class?,
        discovery_image: discovery?,
        api_server: api_server?,
    })
}

/// `gatling.apiServer`: CIDR blocks without host bits.
fn api_server(ctx: &mut Ctx, cidrs: &[String]) -> Option<Vec<ipnet::IpNet>> {
    let mut out = Vec::new();
    for (i, text) in cidrs.iter().enumerate() {
        let problem = match text.parse::<ipnet::IpNet>() {
            Ok(net) if net == net.trunc() => {
                out.push(net);
                continue;
            }
            Ok(net) => format!("`{text}` has host bits set: as a block it is `{}`", net.trunc()),
            Err(_) => format!("`{text}` is not a CIDR block"),
        };
        ctx.push(
            Diagnostic::error(
                codes::GATLING_API_SERVER,
                ctx.span(&["gatling", "apiServer", &i.to_string()]),
                problem,
            )
            .label("invalid CIDR")
            .help("write each API server address as a block, e.g. `10.96.0.1/32`"),
        );
    }
    (out.len() == cidrs.len()).then_some(out)
}

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

/// Open-source Gatling has no cluster mode; the default (stock) image cannot run it.
fn cluster_image(ctx: &mut Ctx, spec: &PlanSpec, options: &crate::spec::GatlingOptions) {
    if spec.tool != Tool::Gatling || options.mode != crate::spec::GatlingMode::Cluster || spec.image.is_some()
    {
        return;
    }
    let span = if ctx.root.walk(&["gatling", "mode"]).is_some() {
        ctx.span(&["gatling", "mode"])
    } else if spec.gatling.is_some() {
        ctx.key_span(&["gatling"])
    } else {
        ctx.span(&["tool"])
    };
    ctx.push(
        Diagnostic::error(
            codes::GATLING_CLUSTER_IMAGE,
            span,
            "Gatling cluster mode needs an image that implements it",
        )
        .label("cluster mode (the default) with the stock Gatling image")
        .help(format!(
            "open-source Gatling has no cluster mode, so `{}` cannot run it: name an image that provides \
             `gatling-cluster worker|master` (see the README's image contracts) with `image:`, or set \
             `gatling: {{mode: independent}}` to run stock Gatling pods without coordination",
            model::default_image(Tool::Gatling)
        )),
    );
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
