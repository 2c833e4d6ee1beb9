//! Semantic rules for `regions:`: how the plan's load is split across regions
//! (exactly, by share or by exact counts), how its generators are, and that every
//! region's part is itself a valid load.

use super::Ctx;
use crate::diag::{Diagnostic, codes};
use crate::model::{self, LoadModel};
use crate::names::{self, Shape};
use crate::spec::{K6Workload, Region};
use crate::split::{apportion, apportion_at_least_one};

pub(super) fn check(
    ctx: &mut Ctx,
    regions: &[Region],
    plan_name: &str,
    shape: Shape,
    load: Option<&model::Load>,
) -> Option<Vec<model::Region>> {
    if regions.is_empty() {
        return Some(Vec::new());
    }
    let unique = unique_names(ctx, regions);
    let load = load?;
    let weights = weights(ctx, regions, load)?;
    let generators = generators(ctx, regions, load, &weights)?;
    let parts = split(load, &weights);
    let mut out = Vec::new();
    let mut ok = unique;
    for (i, r) in regions.iter().enumerate() {
        let regional = model::Load {
            model: parts[i],
            generators: generators[i],
            ..load.clone()
        };
        ok &= regional_load(ctx, i, r, &regional, shape);
        ok &= regional_names(ctx, i, plan_name, r, shape, generators[i]);
        out.push(model::Region {
            name: r.name.clone(),
            context: r.context.clone(),
            load: regional,
        });
    }
    ok.then_some(out)
}

fn unique_names(ctx: &mut Ctx, regions: &[Region]) -> bool {
    let mut ok = true;
    for (i, r) in regions.iter().enumerate() {
        if let Some(first) = regions[..i].iter().position(|o| o.name == r.name) {
            ok = false;
            ctx.push(
                Diagnostic::error(
                    codes::REGIONS_DUPLICATE,
                    ctx.span(&["regions", &i.to_string(), "name"]),
                    format!(
                        "region `{}` is listed twice (also as region {})",
                        r.name,
                        first + 1
                    ),
                )
                .label("duplicate region")
                .help("give every region its own name, or merge the two entries"),
            );
        }
    }
    ok
}

/// The weight of each region: its share, or its exact users.
fn weights(ctx: &mut Ctx, regions: &[Region], load: &model::Load) -> Option<Vec<u64>> {
    let shares = regions.iter().filter(|r| r.share.is_some()).count();
    let counts = regions.iter().filter(|r| r.users.is_some()).count();
    let fail = |ctx: &mut Ctx, path: Vec<String>, message: String, help: &str| {
        ctx.push(
            Diagnostic::error(codes::REGIONS_SPLIT, ctx.key_span(&path), message)
                .label("how is the load split?")
                .help(help.to_owned()),
        );
        None
    };
    if let Some(i) = regions
        .iter()
        .position(|r| r.share.is_some() == r.users.is_some())
    {
        let what = if regions[i].share.is_some() {
            "both `share` and `users`"
        } else {
            "neither `share` nor `users`"
        };
        return fail(
            ctx,
            vec!["regions".into(), i.to_string()],
            format!("region `{}` sets {what}", regions[i].name),
            "give every region a `share` (a weight) or every region its exact `users`",
        );
    }
    if shares > 0 && counts > 0 {
        let i = regions.iter().position(|r| r.users.is_some()).unwrap_or_default();
        return fail(
            ctx,
            vec!["regions".into(), i.to_string(), "users".into()],
            "some regions set `share` and others `users`".to_owned(),
            "use one way for all regions: `share` everywhere (split by weight) or `users` everywhere (exact counts)",
        );
    }
    if counts > 0 {
        let LoadModel::Users(total) = load.model else {
            return fail(
                ctx,
                vec!["regions".into(), "0".into(), "users".into()],
                "exact `users` per region need `load.users`; this plan sets an arrival rate".to_owned(),
                "use `share` on every region: the rate and its user pool are split by it",
            );
        };
        let sum: u64 = regions.iter().filter_map(|r| r.users).sum();
        if sum != total {
            return fail(
                ctx,
                vec!["regions".into()],
                format!("the regions' users add up to {sum}, but `load.users` is {total}"),
                "make the regions' `users` add up to `load.users`, or use `share` to split it by weight",
            );
        }
    }
    Some(regions.iter().map(|r| r.share.or(r.users).unwrap_or(1)).collect())
}

/// Each region's generators: as given (adding up to `load.generators`), or split by
/// weight with at least one per region.
fn generators(ctx: &mut Ctx, regions: &[Region], load: &model::Load, weights: &[u64]) -> Option<Vec<u32>> {
    let given = regions.iter().filter(|r| r.generators.is_some()).count();
    let total = load.generators;
    let problem = if given == regions.len() {
        let sum: u64 = regions.iter().filter_map(|r| r.generators).map(u64::from).sum();
        (sum != u64::from(total)).then(|| {
            (
                vec!["regions".to_owned()],
                format!("the regions' generators add up to {sum}, but `load.generators` is {total}"),
                "make them add up to `load.generators`, or leave `generators` out of every region to split it by share".to_owned(),
            )
        })
    } else if given > 0 {
        let i = regions
            .iter()
            .position(|r| r.generators.is_none())
            .unwrap_or_default();
        Some((
            vec!["regions".to_owned(), i.to_string()],
            format!(
                "region `{}` has no `generators`, but other regions do",
                regions[i].name
            ),
            "give `generators` on every region or on none".to_owned(),
        ))
    } else if (total as usize) < regions.len() {
        Some((
            vec!["load".to_owned(), "generators".to_owned()],
            format!(
                "{} regions need at least {} generators; `load.generators` is {total}",
                regions.len(),
                regions.len()
            ),
            format!("raise `load.generators` to at least {}", regions.len()),
        ))
    } else {
        None
    };
    if let Some((path, message, help)) = problem {
        ctx.push(
            Diagnostic::error(codes::REGIONS_GENERATORS, ctx.key_span(&path), message)
                .label("generators per region")
                .help(help),
        );
        return None;
    }
    if given > 0 {
        return Some(regions.iter().filter_map(|r| r.generators).collect());
    }
    Some(
        apportion_at_least_one(u64::from(total), weights)
            .into_iter()
            .map(|g| g as u32)
            .collect(),
    )
}

/// Each region's part of the load model: users, or rate and user pool, apportioned.
fn split(load: &model::Load, weights: &[u64]) -> Vec<LoadModel> {
    match load.model {
        LoadModel::Users(total) => apportion(total, weights)
            .into_iter()
            .map(LoadModel::Users)
            .collect(),
        LoadModel::ArrivalRate {
            rate,
            time_unit,
            max_users,
        } => apportion(rate, weights)
            .into_iter()
            .zip(apportion(max_users, weights))
            .map(|(rate, max_users)| LoadModel::ArrivalRate {
                rate,
                time_unit,
                max_users,
            })
            .collect(),
    }
}

/// A region's load must be one every generator of the region can run its part of.
fn regional_load(ctx: &mut Ctx, i: usize, r: &Region, load: &model::Load, shape: Shape) -> bool {
    let n = u64::from(load.generators);
    let (what, smallest) = match load.model {
        LoadModel::Users(u) => ("users", u),
        LoadModel::ArrivalRate { rate, max_users, .. } => {
            if rate < max_users {
                ("arrival rate", rate)
            } else {
                ("user pool", max_users)
            }
        }
    };
    let path = ["regions".to_owned(), i.to_string()];
    if smallest < n {
        ctx.push(
            Diagnostic::error(
                codes::LOAD_TOO_FEW_USERS,
                ctx.key_span(&path),
                format!(
                    "region `{}` gets {smallest} of the {what} for {n} generator{}: each needs at least one",
                    r.name,
                    if n == 1 { "" } else { "s" }
                ),
            )
            .label("fewer than its generators")
            .help("give the region a larger share or fewer `generators`"),
        );
        return false;
    }
    let deployment = shape == Shape::K6(K6Workload::Deployment);
    let totals = match load.model {
        LoadModel::Users(u) => vec![u],
        LoadModel::ArrivalRate { rate, max_users, .. } => vec![rate, max_users],
    };
    if deployment && totals.iter().any(|t| !t.is_multiple_of(n)) {
        ctx.push(
            Diagnostic::error(
                codes::LOAD_UNEVEN_SPLIT,
                ctx.key_span(&path),
                format!(
                    "region `{}` gets {} over {n} generators, which does not divide evenly, and Deployment runners cannot run different shares",
                    r.name,
                    totals.iter().map(u64::to_string).collect::<Vec<_>>().join(" / ")
                ),
            )
            .label("uneven split")
            .help("use exact `users` per region that divide by its generators, or `k6.workload: indexed-job`, which splits any total exactly"),
        );
        return false;
    }
    true
}

/// `<name>-<region>` prefixes every object of the region: it must fit the same limits.
fn regional_names(
    ctx: &mut Ctx,
    i: usize,
    plan_name: &str,
    r: &Region,
    shape: Shape,
    generators: u32,
) -> bool {
    let name = format!("{plan_name}-{}", r.name);
    let Some(worst) = names::worst_overshoot(&name, shape, generators) else {
        return true;
    };
    let excess = worst.name.len() - worst.max;
    ctx.push(
        Diagnostic::error(
            codes::NAME_TOO_LONG,
            ctx.span(&["regions", &i.to_string(), "name"]),
            format!(
                "region `{}` makes the generated `{}` {} characters long, and Kubernetes allows {} because {}",
                r.name,
                worst.name,
                worst.name.len(),
                worst.max,
                worst.why
            ),
        )
        .label("too long with the plan's name")
        .help(format!("shorten the region's name or the plan's `name` by {excess} characters together")),
    );
    false
}
