//! `perfplan compile PLAN`: a valid plan becomes a bundle of Kubernetes manifests,
//! on stdout as one YAML stream or with `-o DIR` as a folder for `kubectl apply -k`.

use super::{CliResult, Context, Output, Status, load_plan};
use crate::diag::{Diagnostic, Report, codes};

/// Compile a plan into Kubernetes manifests.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The plan file (`-` reads standard input).
    plan: String,

    /// Write one file per object plus kustomization.yaml into this folder (replaced
    /// only if it is empty or an earlier perfplan bundle).
    #[arg(short = 'o', long = "out")]
    out: Option<std::path::PathBuf>,

    /// What to emit.
    #[arg(long, value_enum, default_value = "bundle")]
    format: Format,

    /// `json` prints diagnostics as a JSON array on stdout.
    #[arg(long, value_enum, default_value = "human")]
    output: Output,

    /// Treat warnings (lints, unmapped Helm fields) as errors: exit 1, write nothing.
    #[arg(long)]
    deny_warnings: bool,

    /// Write into an `-o` folder that holds files perfplan did not write: perfplan's
    /// files are replaced, its stale ones removed, every other file left as it is.
    #[arg(long, requires = "out")]
    force: bool,

    /// With `--format helm-values`: a plan field the chart cannot express is an error
    /// (exit 1) instead of a warning.
    #[arg(long)]
    strict: bool,

    /// Put the plan's Namespace first in the bundle, labelled to enforce its Pod
    /// Security level (restricted or baseline), for a cluster where it does not exist
    /// yet. Deleting the bundle then deletes the namespace with everything in it.
    #[arg(long)]
    create_namespace: bool,

    /// For a plan with `regions`: compile only this region (its bundle or values, as
    /// for a single-cluster plan). Without it, `-o DIR` writes every region.
    #[arg(long)]
    region: Option<String>,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum Format {
    Bundle,
    HelmValues,
}

pub(super) fn run(ctx: &Context, args: Args) -> CliResult {
    let mut validated = match load_plan(&args.plan)? {
        Ok(v) => v,
        Err(report) => {
            ctx.report(&[report], args.output);
            return Ok(Status::Invalid);
        }
    };
    if let Some(plan) = select_region(&validated.plan, args.region.as_deref(), &args)? {
        validated.plan = plan;
    }
    if args.deny_warnings && !validated.report.diagnostics.is_empty() {
        ctx.report(&[validated.report], args.output);
        return Ok(Status::Invalid);
    }
    if let Format::HelmValues = args.format {
        return helm_values(ctx, &args, validated);
    }
    if matches!(args.output, Output::Human) {
        ctx.report(std::slice::from_ref(&validated.report), args.output);
    }
    // Still regions here: every region, each to its own folder.
    if !validated.plan.regions.is_empty() {
        return write_regions(&validated.plan, &args);
    }
    let mut bundle = crate::compile(&validated.plan);
    if args.create_namespace {
        bundle = bundle.with_namespace(&validated.plan);
    }
    match &args.out {
        None => super::write_stdout(&bundle.to_yaml_stream())?,
        Some(dir) => {
            crate::emit::write_folder_with(dir, &bundle.files(), args.force)?;
            eprintln!(
                "perfplan: wrote {} objects to {} (apply with: kubectl apply -k {})",
                bundle.manifests.len(),
                dir.display(),
                dir.display()
            );
        }
    }
    Ok(Status::Ok)
}

/// The one region's plan with `--region`; `None` to compile the plan as it is. A
/// multi-region plan goes to a folder per region, never as one stream to stdout:
/// piped into `kubectl apply`, it would run every region's load from one cluster.
fn select_region(
    plan: &crate::Plan,
    region: Option<&str>,
    args: &Args,
) -> Result<Option<crate::Plan>, String> {
    match region {
        Some(name) => super::region_plan(plan, name).map(|(p, _)| Some(p)),
        None if plan.regions.is_empty() => Ok(None),
        None if matches!(args.format, Format::HelmValues) => Err(format!(
            "the plan runs from {} regions ({}), and a chart is installed per cluster: pass --region NAME",
            plan.regions.len(),
            super::region_names(plan)
        )),
        None if args.out.is_none() => Err(format!(
            "the plan runs from {} regions ({}): write every region's bundle with -o DIR (a folder per region), \
             or one region's to stdout with --region NAME",
            plan.regions.len(),
            super::region_names(plan)
        )),
        None => Ok(None),
    }
}

/// Every region's bundle, each in its own subfolder of `-o`, in one atomic write.
fn write_regions(plan: &crate::Plan, args: &Args) -> CliResult {
    let Some(dir) = &args.out else {
        return Err("internal error: regions are written to a folder only".to_owned());
    };
    let mut regions = crate::emit::compile_regions(plan);
    if args.create_namespace {
        regions = regions
            .into_iter()
            .map(|(region, bundle)| {
                let namespaced = bundle.with_namespace(&plan.in_region(&region));
                (region, namespaced)
            })
            .collect();
    }
    crate::emit::write_folder_with(dir, &crate::emit::regions_files(plan, &regions), args.force)?;
    let objects: usize = regions.iter().map(|(_, b)| b.manifests.len()).sum();
    eprintln!(
        "perfplan: wrote {objects} objects for {} regions to {} (apply each region with its context: see {}/INSTALL.md)",
        regions.len(),
        dir.display(),
        dir.display()
    );
    Ok(Status::Ok)
}

/// Values for the plan's chart; unmapped fields are warnings at their place in the
/// plan (errors under `--strict`, which then writes nothing).
fn helm_values(ctx: &Context, args: &Args, validated: crate::Validated) -> CliResult {
    if args.create_namespace {
        return Err("--create-namespace is for bundles; with Helm values, pass `--create-namespace` to `helm install`".to_owned());
    }
    let values = crate::emit::helm::values(&validated.plan);
    let source = validated.report.source.clone();
    let mut diagnostics = validated.report.diagnostics;
    let paths: Vec<&[&str]> = values.unmapped.iter().map(|u| u.path.as_slice()).collect();
    let spans = crate::validate::spans_at(&source, &paths);
    for (u, span) in values.unmapped.iter().zip(spans) {
        let d = if args.strict {
            Diagnostic::error(codes::HELM_UNMAPPED, span, u.message.clone())
        } else {
            Diagnostic::warning(codes::HELM_UNMAPPED, span, u.message.clone())
        };
        diagnostics.push(
            d.label(format!("not expressible in {}", values.chart))
                .help(u.help.clone()),
        );
    }
    let report = Report::new(source, diagnostics);
    if (args.strict && report.has_errors()) || (args.deny_warnings && !report.diagnostics.is_empty()) {
        ctx.report(&[report], args.output);
        return Ok(Status::Invalid);
    }
    if matches!(args.output, Output::Human) {
        ctx.report(&[report], args.output);
    }
    match &args.out {
        None => super::write_stdout(&values.values_yaml)?,
        Some(dir) => {
            crate::emit::write_folder_with(dir, &values.files(), args.force)?;
            eprintln!(
                "perfplan: wrote {} values to {} (install with the commands in {}/INSTALL.md)",
                values.chart,
                dir.display(),
                dir.display()
            );
        }
    }
    Ok(Status::Ok)
}
