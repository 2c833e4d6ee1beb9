//! Semantic rules for `load:`.

use super::Ctx;
use crate::diag::{Code, Diagnostic, codes};
use crate::model::{self, LoadModel};
use crate::spec::Load;
use std::time::Duration;

/// `even`: the load must divide evenly over `load.generators` (k6 Deployment
/// runners, whose pods have no index, splitting the plan's load as a whole; with
/// regions each region's part is checked instead).
pub(super) fn check(ctx: &mut Ctx, load: &Load, even: bool) -> Option<model::Load> {
    let duration = duration(ctx, &["load", "duration"], &load.duration, Duration::from_secs(1));
    let ramp_up = duration_or_zero(ctx, &["load", "rampUp"], &load.ramp_up);
    if let (Some(d), Some(r)) = (duration, ramp_up)
        && r > d
    {
        ctx.push(
            Diagnostic::error(
                codes::LOAD_RAMP_EXCEEDS_DURATION,
                ctx.span(&["load", "rampUp"]),
                format!(
                    "rampUp ({}) is longer than the whole test ({})",
                    load.ramp_up, load.duration
                ),
            )
            .label("longer than `duration`")
            .help("`duration` includes the ramp-up: shorten rampUp or lengthen duration"),
        );
    }
    let model = load_model(ctx, load, even);
    Some(model::Load {
        model: model?,
        generators: load.generators,
        duration: duration?,
        ramp_up: ramp_up?,
    })
}

fn load_model(ctx: &mut Ctx, load: &Load, even: bool) -> Option<LoadModel> {
    let n = u64::from(load.generators);
    match (load.users, &load.arrival_rate) {
        (Some(users), None) => {
            too_few(
                ctx,
                codes::LOAD_TOO_FEW_USERS,
                &["load", "users"],
                "users",
                users,
                n,
            )?;
            even_for_deployment(ctx, even, &["load", "users"], "users", users, n)?;
            Some(LoadModel::Users(users))
        }
        (None, Some(rate)) => {
            let time_unit = duration(
                ctx,
                &["load", "arrivalRate", "timeUnit"],
                &rate.time_unit,
                Duration::from_secs(1),
            );
            let rate_ok = too_few(
                ctx,
                codes::LOAD_TOO_FEW_USERS,
                &["load", "arrivalRate", "rate"],
                "rate",
                rate.rate,
                n,
            )
            .and_then(|_| {
                even_for_deployment(ctx, even, &["load", "arrivalRate", "rate"], "rate", rate.rate, n)
            });
            let max_ok = too_few(
                ctx,
                codes::LOAD_TOO_FEW_MAX_USERS,
                &["load", "arrivalRate", "maxUsers"],
                "maxUsers",
                rate.max_users,
                n,
            )
            .and_then(|_| {
                even_for_deployment(
                    ctx,
                    even,
                    &["load", "arrivalRate", "maxUsers"],
                    "maxUsers",
                    rate.max_users,
                    n,
                )
            });
            rate_ok?;
            max_ok?;
            Some(LoadModel::ArrivalRate {
                rate: rate.rate,
                time_unit: time_unit?,
                max_users: rate.max_users,
            })
        }
        (Some(_), Some(_)) => {
            ctx.push(
                Diagnostic::error(codes::LOAD_MODEL, ctx.key_span(&["load", "arrivalRate"]), "`users` and `arrivalRate` are both set")
                    .label("second load model")
                    .help("choose one: `users` for a fixed number of concurrent users (closed model), `arrivalRate` for a fixed rate of new iterations (open model)"),
            );
            None
        }
        (None, None) => {
            ctx.push(
                Diagnostic::error(
                    codes::LOAD_MODEL,
                    ctx.key_span(&["load"]),
                    "`load` sets neither `users` nor `arrivalRate`",
                )
                .label("no load model")
                .help(
                    "add `users: 100` (total concurrent users) or `arrivalRate: {rate: 50, maxUsers: 200}`",
                ),
            );
            None
        }
    }
}

/// Each generator needs at least one unit of `what`, or it would run nothing.
fn too_few(ctx: &mut Ctx, code: Code, path: &[&str], what: &str, total: u64, generators: u64) -> Option<()> {
    if total >= generators {
        return Some(());
    }
    ctx.push(
        Diagnostic::error(
            code,
            ctx.span(path),
            format!("generators ({generators}) exceeds {what} ({total}): each generator needs at least one"),
        )
        .label(format!("fewer than {generators} generators"))
        .help(format!(
            "lower `load.generators` to {total} or raise `{what}` to at least {generators}"
        )),
    );
    None
}

/// A Deployment's pods have no index, so they must all run the same share.
fn even_for_deployment(
    ctx: &mut Ctx,
    even: bool,
    path: &[&str],
    what: &str,
    total: u64,
    n: u64,
) -> Option<()> {
    if !even || total.is_multiple_of(n) {
        return Some(());
    }
    let lower = total - total % n;
    let higher = lower + n;
    let divisors: Vec<String> = nearest_divisors(total, n).iter().map(u64::to_string).collect();
    ctx.push(
        Diagnostic::error(
            codes::LOAD_UNEVEN_SPLIT,
            ctx.span(path),
            format!("{what} ({total}) does not divide evenly over {n} generators, and Deployment runners cannot run different shares"),
        )
        .label(format!("{total} is not a multiple of {n}"))
        .help(format!(
            "set `{what}` to {lower} or {higher}, or `load.generators` to {}; or use `k6.workload: indexed-job`, which splits any total exactly",
            divisors.join(" or ")
        )),
    );
    None
}

/// The divisors of `total` closest to `n` (below and above).
fn nearest_divisors(total: u64, n: u64) -> Vec<u64> {
    let below = (1..=n).rev().find(|d| total.is_multiple_of(*d));
    let above = (n + 1..=total.min(n * 4)).find(|d| total.is_multiple_of(*d));
    below.into_iter().chain(above).collect()
}

/// Parse a whole-second duration of at least `min`.
/// The longest duration perfplan accepts: 30 days. Every tool takes far more (Gatling
/// reads `-Dduration` as a Java int of seconds: 68 years, and a larger value silently
/// falls back to the simulation's default), so a typo such as `1000000h` is caught here
/// rather than becoming a test that never ends or one that ends too soon.
const MAX_DURATION: Duration = Duration::from_secs(30 * 24 * 3600);

fn duration(ctx: &mut Ctx, path: &[&str], text: &str, min: Duration) -> Option<Duration> {
    let d = duration_or_zero(ctx, path, text)?;
    if d > MAX_DURATION {
        ctx.push(
            Diagnostic::error(
                codes::LOAD_DURATION,
                ctx.span(path),
                format!("`{text}` is longer than 30 days"),
            )
            .label("too long")
            .help("a load test runs at most 30 days (`720h`); split a longer soak into several runs"),
        );
        return None;
    }
    if d < min {
        ctx.push(
            Diagnostic::error(
                codes::LOAD_DURATION,
                ctx.span(path),
                format!("`{text}` is shorter than {}", humantime::format_duration(min)),
            )
            .label("too short")
            .help(format!("use at least {}", humantime::format_duration(min))),
        );
        return None;
    }
    Some(d)
}

fn duration_or_zero(ctx: &mut Ctx, path: &[&str], text: &str) -> Option<Duration> {
    let problem = match humantime::parse_duration(text) {
        Ok(d) if d.subsec_nanos() == 0 => return Some(d),
        Ok(_) => "is not a whole number of seconds".to_owned(),
        Err(e) => format!("is not a duration ({e})"),
    };
    ctx.push(
        Diagnostic::error(
            codes::LOAD_DURATION,
            ctx.span(path),
            format!("`{text}` {problem}"),
        )
        .label("invalid duration")
        .help("write a whole number of seconds with units, e.g. `90s`, `10m`, `1h30m`"),
    );
    None
}

#[cfg(test)]
mod tests {
    #[test]
    fn nearest_divisors_bracket_the_count() {
        assert_eq!(super::nearest_divisors(3000, 7), vec![6, 8]);
        assert_eq!(super::nearest_divisors(13, 3), vec![1]);
    }
}
