//! `results.thresholds` → [`model::Threshold`]s: durations parsed, request names
//! checked, one criterion per limit in a fixed order (plan-wide first, then requests
//! by name), which is the order `perfplan report` lists them in.

use super::Ctx;
use crate::diag::{Diagnostic, codes};
use crate::model::{Check, LatencyStat, Threshold};
use crate::spec::{LatencyLimits, Thresholds};
use std::time::Duration;

/// The longest request name perfplan accepts: far above any real one (k6 names
/// default to the URL, capped by validation elsewhere at 2,048), short enough that a
/// report table stays readable.
const MAX_NAME: usize = 1024;

/// The longest latency limit: a response slower than an hour is a hung test, and a
/// typo such as `500h` for `500ms` is caught here.
const MAX_LATENCY: Duration = Duration::from_secs(3600);

/// Every threshold of the plan, or `None` after reporting each bad one.
pub fn check(ctx: &mut Ctx, thresholds: Option<&Thresholds>) -> Option<Vec<Threshold>> {
    let Some(t) = thresholds else {
        return Some(Vec::new());
    };
    let base = ["results", "thresholds"];
    let mut out = Vec::new();
    let mut ok = true;
    ok &= criteria(
        ctx,
        &base,
        None,
        t.latency.as_ref(),
        t.error_rate,
        t.throughput,
        &mut out,
    );
    for (name, r) in &t.requests {
        if name.trim().is_empty() || name.chars().count() > MAX_NAME || name.chars().any(char::is_control) {
            ctx.push(
                Diagnostic::error(
                    codes::RESULTS_THRESHOLD,
                    ctx.key_span(&[base[0], base[1], "requests", name.as_str()]),
                    format!("`{}` is not a request name", name.escape_debug()),
                )
                .label("invalid name")
                .help(format!(
                    "write the request's name as the tool reports it (k6's `name` tag, a JMeter sampler label, a \
                     Gatling request name): 1 to {MAX_NAME} characters, no control characters"
                )),
            );
            ok = false;
            continue;
        }
        let path = [base[0], base[1], "requests", name.as_str()];
        ok &= criteria(
            ctx,
            &path,
            Some(name),
            r.latency.as_ref(),
            r.error_rate,
            r.throughput,
            &mut out,
        );
    }
    if out.is_empty() && ok {
        ctx.push(
            Diagnostic::error(
                codes::RESULTS_THRESHOLD,
                ctx.key_span(&base),
                "`thresholds` sets no limit".to_owned(),
            )
            .label("empty")
            .help("set at least one of `latency`, `errorRate`, `throughput` (or a request's), or remove `thresholds`"),
        );
        ok = false;
    }
    ok.then_some(out)
}

/// The criteria of one scope (the whole test, or one request), appended to `out`.
fn criteria(
    ctx: &mut Ctx,
    path: &[&str],
    request: Option<&String>,
    latency: Option<&LatencyLimits>,
    error_rate: Option<f64>,
    throughput: Option<f64>,
    out: &mut Vec<Threshold>,
) -> bool {
    let mut ok = true;
    let mut push = |check| {
        out.push(Threshold {
            request: request.cloned(),
            check,
        });
    };
    for (name, text) in latency.map(LatencyLimits::set).unwrap_or_default() {
        let at = [path, &["latency", name]].concat();
        match limit(ctx, &at, text) {
            Some(at_most) => push(Check::Latency {
                stat: stat(name),
                at_most,
            }),
            None => ok = false,
        }
    }
    if let Some(at_most) = error_rate {
        push(Check::ErrorRate { at_most });
    }
    if let Some(at_least_per_second) = throughput {
        push(Check::Throughput { at_least_per_second });
    }
    ok
}

fn stat(name: &str) -> LatencyStat {
    match name {
        "p50" => LatencyStat::P50,
        "p90" => LatencyStat::P90,
        "p95" => LatencyStat::P95,
        "p99" => LatencyStat::P99,
        _ => LatencyStat::Max,
    }
}

/// A latency limit: a duration above zero and at most an hour, to the millisecond.
fn limit(ctx: &mut Ctx, path: &[&str], text: &str) -> Option<Duration> {
    let problem = match humantime::parse_duration(text) {
        Ok(d) if d.is_zero() => "is zero: no request is that fast".to_owned(),
        Ok(d) if d > MAX_LATENCY => "is longer than an hour".to_owned(),
        Ok(d) => return Some(d),
        Err(e) => format!("is not a duration ({e})"),
    };
    ctx.push(
        Diagnostic::error(
            codes::RESULTS_THRESHOLD,
            ctx.span(path),
            format!("latency limit `{text}` {problem}"),
        )
        .label("invalid limit")
        .help("write a response time above zero and at most `1h`, e.g. `250ms`, `1s`, `1s 500ms`"),
    );
    None
}
