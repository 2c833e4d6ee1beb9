//! Semantic rules for `metrics:`: an output the tool can write, an endpoint a
//! NetworkPolicy can let metrics reach, and credentials the output can use.

use super::Ctx;
use super::target::{Endpoint, endpoint};
use crate::diag::{Diagnostic, codes};
use crate::model;
use crate::spec::{Metrics, MetricsOutput, Tool};

/// The outputs each tool writes natively.
fn supported(tool: Tool) -> &'static [MetricsOutput] {
    match tool {
        Tool::K6 => &[MetricsOutput::PrometheusRemoteWrite, MetricsOutput::Influxdb],
        Tool::Jmeter => &[MetricsOutput::Influxdb, MetricsOutput::Graphite],
        Tool::Gatling => &[MetricsOutput::Graphite],
    }
}

/// The Graphite plaintext protocol's port.
const GRAPHITE_PORT: u16 = 2003;

pub(super) fn check(
    ctx: &mut Ctx,
    tool: Tool,
    metrics: &Metrics,
    restricted: bool,
) -> Option<model::Metrics> {
    let supported_ok = output(ctx, tool, metrics.output);
    let credentials = credentials(ctx, tool, metrics);
    let graphite = metrics.output == MetricsOutput::Graphite;
    let e = Endpoint {
        base: "metrics",
        noun: "metrics",
        schemes: if graphite { &["tcp"] } else { &["http", "https"] },
        default_port: graphite.then_some(GRAPHITE_PORT),
        example: if graphite {
            "tcp://graphite.monitoring:2003"
        } else {
            "https://prometheus.example.com/api/v1/write"
        },
        credentials_help: "credentials in a URL would be written into the manifests; put them in a Secret and name it in `metrics.credentials`",
        url_code: codes::METRICS_URL,
        not_allowed_code: codes::METRICS_NOT_ALLOWED,
        allow_code: codes::METRICS_ALLOW,
        port_code: codes::METRICS_PORT_NOT_ALLOWED,
    };
    let (url, port, egress) = endpoint(ctx, &e, &metrics.url, &metrics.allow, restricted)?;
    supported_ok.then_some(())?;
    Some(model::Metrics {
        output: metrics.output,
        url,
        port,
        egress,
        credentials: credentials?,
    })
}

fn output(ctx: &mut Ctx, tool: Tool, output: MetricsOutput) -> bool {
    let outputs = supported(tool);
    if outputs.contains(&output) {
        return true;
    }
    let names: Vec<String> = outputs.iter().map(|o| format!("`{}`", o.as_str())).collect();
    ctx.push(
        Diagnostic::error(
            codes::METRICS_UNSUPPORTED,
            ctx.span(&["metrics", "output"]),
            format!(
                "{} cannot write metrics to `{}`",
                tool_name(tool),
                output.as_str()
            ),
        )
        .label("unsupported output")
        .help(format!(
            "{} writes {}; send them there (a Prometheus can ingest Graphite through graphite_exporter, \
             InfluxDB through its Graphite input)",
            tool_name(tool),
            names.join(" or ")
        )),
    );
    false
}

fn tool_name(tool: Tool) -> &'static str {
    match tool {
        Tool::Jmeter => "JMeter",
        Tool::K6 => "k6",
        Tool::Gatling => "Gatling",
    }
}

/// Which credential keys an output reads: basic auth for k6's outputs, a token for
/// JMeter's InfluxDB listener, none for Graphite (its protocol has no auth).
fn credentials(ctx: &mut Ctx, tool: Tool, metrics: &Metrics) -> Option<Option<model::MetricsCredentials>> {
    let Some(c) = &metrics.credentials else {
        return Some(None);
    };
    let basic = tool == Tool::K6;
    let token = tool == Tool::Jmeter && metrics.output == MetricsOutput::Influxdb;
    let what = format!("{} with {}", metrics.output.as_str(), tool_name(tool));
    let problem = if metrics.output == MetricsOutput::Graphite {
        Some((
            vec!["credentials"],
            "Graphite's plaintext protocol has no credentials".to_owned(),
            "remove `metrics.credentials`; restrict who may write with the NetworkPolicy on the Graphite side".to_owned(),
        ))
    } else if c.token_key.is_some() && !token {
        Some((
            vec!["credentials", "tokenKey"],
            format!("{what} authenticates with a user name and password, not a token"),
            "use `usernameKey` and `passwordKey`".to_owned(),
        ))
    } else if (c.username_key.is_some() || c.password_key.is_some()) && !basic {
        let field = if c.username_key.is_some() {
            "usernameKey"
        } else {
            "passwordKey"
        };
        Some((
            vec!["credentials", field],
            format!("{what} authenticates with a token, not a user name and password"),
            "use `tokenKey` (the Backend Listener's `influxdbToken`)".to_owned(),
        ))
    } else if basic && c.username_key.is_some() != c.password_key.is_some() {
        let missing = if c.username_key.is_some() {
            "passwordKey"
        } else {
            "usernameKey"
        };
        Some((
            vec!["credentials"],
            format!("a user name and password go together: `{missing}` is missing"),
            format!("add `{missing}` naming the Secret key that holds it"),
        ))
    } else if c.username_key.is_none() && c.token_key.is_none() {
        Some((
            vec!["credentials"],
            "`credentials` names a Secret but none of its keys".to_owned(),
            if token {
                "add `tokenKey`".to_owned()
            } else {
                "add `usernameKey` and `passwordKey`".to_owned()
            },
        ))
    } else {
        None
    };
    if let Some((field, message, help)) = problem {
        let path: Vec<&str> = ["metrics"].into_iter().chain(field).collect();
        let span = if path.len() == 2 {
            ctx.key_span(&path)
        } else {
            ctx.span(&path)
        };
        ctx.push(
            Diagnostic::error(codes::METRICS_CREDENTIALS, span, message)
                .label("invalid credentials")
                .help(help),
        );
        return None;
    }
    Some(Some(model::MetricsCredentials {
        secret: c.secret.0.clone(),
        username_key: c.username_key.clone(),
        password_key: c.password_key.clone(),
        token_key: c.token_key.clone(),
    }))
}
