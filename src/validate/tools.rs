//! Semantic rules of the tool blocks: `jmeter:` (properties, RMI keystore) and
//! `gatling:` (simulation class, API server addresses, an image for cluster mode).

use super::Ctx;
use super::rules::image;
use crate::diag::{Diagnostic, codes};
use crate::model::{self, DEFAULT_DISCOVERY_IMAGE};
use crate::spec::{PlanSpec, Tool};

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
    Some(model::GatlingOptions {
        simulation_class: class?,
        discovery_image: discovery?,
    })
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
