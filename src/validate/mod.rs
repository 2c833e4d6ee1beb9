//! Stages 1–3: parse, schema, semantic rules → [`Plan`].
//!
//! Stage gates as in taplo: every parse error, and stop; else every schema error,
//! and stop; else every semantic error. A later stage never reports noise caused by
//! an earlier stage's problem.

mod dns;
mod fast_path;
mod load;
mod metrics;
mod placement;
mod regions;
mod rules;
mod schema_errors;
mod script;
mod target;
mod thresholds;
mod tools;

use crate::diag::{Diagnostic, Report, Source, Span, codes};
use crate::model::{self, Plan};
use crate::names::Shape;
use crate::parse::{self, Node};
use crate::spec::{PlanSpec, Tool};

pub(crate) use schema_errors::display_path;

/// A valid plan and any warnings about it.
#[derive(Debug, Clone)]
pub struct Validated {
    pub plan: Plan,
    /// Warnings only; empty for a clean plan.
    pub report: Report,
}

/// Validate a plan's source. `Err` holds every error of the first failing stage.
pub fn validate(source: &Source) -> Result<Validated, Report> {
    let fail = |diagnostics| Err(Report::new(source.clone(), diagnostics));
    let root = match parse::parse(source) {
        Ok(root) => root,
        Err(diagnostics) => return fail(diagnostics),
    };
    let json = root.to_json();
    // Valid plans (the common case) skip building the full validator.
    if !fast_path::accepts(&json) {
        let schema_problems = schema_errors::check(&root, &json);
        if !schema_problems.is_empty() {
            return fail(schema_problems);
        }
    }
    let spec: PlanSpec = match serde_json::from_value(json) {
        Ok(spec) => spec,
        Err(e) => {
            // The schema is generated from these types, so this means a perfplan bug.
            return fail(vec![Diagnostic::error(
                codes::SCHEMA_SHAPE,
                root.span,
                format!("internal error: the plan passed the schema but not the types: {e}"),
            )]);
        }
    };
    let mut ctx = Ctx {
        root: &root,
        source,
        diagnostics: Vec::new(),
    };
    let plan = build(&mut ctx, &spec);
    if let Some(plan) = &plan {
        let lints = crate::lint::lint(plan)
            .into_iter()
            .chain(crate::lint::baseline_without_resources(&spec, plan))
            .chain(crate::lint::unused_api_server(&spec));
        for l in lints {
            let span = ctx.span(&l.path);
            ctx.push(
                Diagnostic::warning(l.code, span, l.message)
                    .label("see help")
                    .help(l.help),
            );
        }
    }
    let report = Report::new(source.clone(), ctx.diagnostics);
    match plan {
        Some(plan) if !report.has_errors() => Ok(Validated { plan, report }),
        _ => Err(report),
    }
}

/// The span of the value at each path in a valid plan's source, or of its nearest
/// parent the plan spells out: for diagnostics raised after validation (e.g. a field
/// a Helm chart cannot express).
/// The source is parsed once, however many spans are asked for.
pub fn spans_at(source: &Source, paths: &[&[&str]]) -> Vec<Span> {
    match parse::parse(source) {
        Ok(root) => {
            let ctx = Ctx {
                root: &root,
                source,
                diagnostics: Vec::new(),
            };
            paths.iter().map(|p| ctx.span(p)).collect()
        }
        Err(_) => vec![Span { offset: 0, len: 0 }; paths.len()],
    }
}

/// Run every semantic rule; a `Plan` only when all of them produced their value.
fn build(ctx: &mut Ctx, spec: &PlanSpec) -> Option<Plan> {
    rules::tool_blocks(ctx, spec);
    let shape = rules::shape(spec);
    rules::names(ctx, spec, shape);
    rules::labels(ctx, &["labels"], &spec.labels, true);
    rules::security(ctx, spec);
    // With regions, each region's part is checked for an even split instead (regions.rs).
    let even = shape == Shape::K6(crate::spec::K6Workload::Deployment) && spec.regions.is_empty();
    let load = load::check(ctx, &spec.load, even);
    let restricted = spec.security.posture == crate::spec::Posture::Restricted;
    rules::namespace(ctx, spec, restricted);
    let target = target::check(ctx, &spec.target, restricted);
    let script = script::check(ctx, &spec.script, spec.tool);
    let resources = rules::resources(ctx, spec);
    let image = rules::image(
        ctx,
        &["image"],
        spec.image.as_deref(),
        model::default_image(spec.tool),
    );
    let jmeter = tools::jmeter(ctx, spec);
    let gatling = tools::gatling(ctx, spec);
    let placement_ok = placement::placement(ctx, &spec.placement);
    let metrics = spec
        .metrics
        .as_ref()
        .map(|m| metrics::check(ctx, spec.tool, m, restricted));
    let regions = regions::check(ctx, &spec.regions, &spec.name, shape, load.as_ref());
    let thresholds = thresholds::check(ctx, spec.results.thresholds.as_ref());
    let dns = dns::check(ctx, spec.dns.as_ref());
    Some(Plan {
        name: spec.name.clone(),
        namespace: spec.namespace.clone(),
        shape,
        script: script?,
        load: load?,
        target: target?,
        security: model::Security::from(&spec.security),
        resources: resources?,
        image: image?,
        image_pull_secrets: spec.image_pull_secrets.iter().map(|s| s.0.clone()).collect(),
        labels: spec.labels.clone(),
        placement: placement_ok.then(|| spec.placement.clone())?,
        results: model::Results {
            persistent_volume_claim: spec.results.persistent_volume_claim.as_ref().map(|n| n.0.clone()),
            ttl_seconds_after_finished: spec.results.ttl_seconds_after_finished,
            thresholds: thresholds?,
        },
        metrics: match metrics {
            Some(m) => Some(m?),
            None => None,
        },
        dns: dns?,
        regions: regions?,
        jmeter: if spec.tool == Tool::Jmeter {
            Some(jmeter?)
        } else {
            None
        },
        gatling: if spec.tool == Tool::Gatling {
            Some(gatling?)
        } else {
            None
        },
    })
}

/// What the semantic rules share: the spanned tree to point into, and the findings.
pub(crate) struct Ctx<'a> {
    root: &'a Node,
    source: &'a Source,
    diagnostics: Vec<Diagnostic>,
}

impl Ctx<'_> {
    /// Span of the value at `path`; for a value the plan left to its default, the
    /// nearest enclosing key the user wrote.
    pub fn span<S: AsRef<str>>(&self, path: &[S]) -> Span {
        (0..=path.len())
            .rev()
            .find_map(|n| {
                self.root.walk(&path[..n]).map(|l| {
                    if n == path.len() {
                        l.value_span()
                    } else {
                        l.owner_span()
                    }
                })
            })
            .unwrap_or(self.root.span)
    }

    /// Span of the key at the end of `path` (or of the value, if it has no key).
    pub fn key_span<S: AsRef<str>>(&self, path: &[S]) -> Span {
        match self.root.walk(path) {
            Some(l) => l.owner_span(),
            None => self.span(path),
        }
    }

    pub fn push(&mut self, diagnostic: Diagnostic) {
        self.diagnostics.push(diagnostic);
    }

    /// How many items the sequence at `path` holds (0 if it is missing).
    pub fn count<S: AsRef<str>>(&self, path: &[S]) -> usize {
        match self.root.walk(path).map(|l| &l.node.kind) {
            Some(crate::parse::NodeKind::Seq(items)) => items.len(),
            _ => 0,
        }
    }

    pub fn source(&self) -> &Source {
        self.source
    }
}

/// The shape a spec compiles to (defaults applied).
impl From<&PlanSpec> for Shape {
    fn from(spec: &PlanSpec) -> Shape {
        rules::shape(spec)
    }
}
