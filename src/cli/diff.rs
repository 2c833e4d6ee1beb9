//! `perfplan diff OLD NEW`: what a plan change does to the cluster. Each side is a
//! plan, a compiled bundle (folder or YAML stream file), or `-` (standard input).
//! Exit codes like diff(1): 0 no differences, 1 differences, 2 an error.

use super::{CliResult, Context, Output, Status};
use crate::diff::{self, render};
use crate::emit::{Bundle, Manifest};
use serde_json::Value;
use std::io::{IsTerminal, Read};
use std::path::Path;

/// Compare two plans or compiled bundles, object by object and field by field.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The old side: a plan file, a bundle folder or YAML stream, or `-`. With
    /// `--cluster`: the plan to compare with the cluster.
    old: String,
    /// The new side: a plan file, a bundle folder or YAML stream, or `-`.
    new: Option<String>,

    /// Compare the plan with the live cluster of your kubeconfig (server-side apply
    /// dry-run, field manager `perfplan`). Needs a build with the `cluster` feature.
    #[arg(long)]
    cluster: bool,

    /// With `--cluster`: the kubeconfig context (default: the current one).
    #[arg(long, requires = "cluster")]
    context: Option<String>,

    /// With `--cluster` and a plan with `regions`: the region to compare, with its
    /// `context` unless `--context` is given.
    #[arg(long, requires = "cluster")]
    region: Option<String>,

    /// With `--cluster`: compare in this namespace instead of the plan's.
    #[arg(long, requires = "cluster")]
    namespace: Option<String>,

    /// With `--cluster`: the most one API call may take, e.g. `10s`.
    #[arg(long, requires = "cluster", default_value = "10s", value_parser = humantime::parse_duration)]
    timeout: std::time::Duration,

    /// `fields` (default): changed fields by path. `unified`: a classic unified diff
    /// of each changed object's YAML.
    #[arg(long, value_enum, default_value = "fields")]
    format: Format,

    /// `json` prints the differences as JSON on stdout, for bots.
    #[arg(long, value_enum, default_value = "human")]
    output: Output,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Format {
    Fields,
    Unified,
}

pub(super) fn run(ctx: &Context, args: Args) -> CliResult {
    if args.cluster {
        return cluster(ctx, &args);
    }
    let Some(new_arg) = args.new.as_deref() else {
        return Err(
            "diff needs two sides: `perfplan diff OLD NEW` (or `perfplan diff PLAN --cluster`)".to_owned(),
        );
    };
    if args.old == "-" && new_arg == "-" {
        return Err("only one side of a diff can be `-` (standard input)".to_owned());
    }
    let Some(old) = side(ctx, &args.old, args.output)? else {
        return Ok(Status::Error);
    };
    let Some(new) = side(ctx, new_arg, args.output)? else {
        return Ok(Status::Error);
    };
    let d = offline(&old, &new, new_arg);
    let text = match (args.output, args.format) {
        (Output::Json, _) => render::json(&d),
        (Output::Human, Format::Unified) => diff::unified_yaml(&old, &new, &d),
        (Output::Human, Format::Fields) => {
            render::human(&d, ctx.color.enabled(std::io::stdout().is_terminal()))
        }
    };
    print(&text, &d)
}

/// The offline diff, its replace commands applying the new side the way it was
/// given: a folder with `-k`, a YAML stream with `-f`, a plan through the folder it
/// compiles to (named in a finding, as the diff cannot know it).
fn offline(old: &Bundle, new: &Bundle, new_arg: &str) -> diff::Diff {
    let path = Path::new(new_arg);
    let is_plan = new_arg == "-" || std::fs::read_to_string(path).is_ok_and(|t| is_plan(&t));
    let apply = if new_arg != "-" && path.is_dir() {
        format!("kubectl apply -k {new_arg}")
    } else if is_plan {
        diff::APPLY.to_owned()
    } else {
        format!("kubectl apply -f {new_arg}")
    };
    let mut d = diff::diff_with(old, new, &apply);
    if apply == diff::APPLY && !d.replace.is_empty() {
        let plan = if new_arg == "-" { "PLAN" } else { new_arg };
        d.findings.push(format!(
            "DIR: the folder the new plan compiles to (`perfplan compile {plan} -o DIR`)"
        ));
    }
    d
}

fn print(text: &str, d: &diff::Diff) -> CliResult {
    super::write_stdout(text)?;
    Ok(if d.is_empty() { Status::Ok } else { Status::Invalid })
}

/// `diff PLAN --cluster`: the compiled plan against the live cluster.
#[cfg(feature = "cluster")]
fn cluster(ctx: &Context, args: &Args) -> CliResult {
    if args.new.is_some() {
        return Err("with --cluster, give one plan: `perfplan diff PLAN --cluster`".to_owned());
    }
    if args.format == Format::Unified {
        return Err(
            "--format unified compares two bundles; with --cluster use the default `fields`".to_owned(),
        );
    }
    let plan = match super::load_plan(&args.old)? {
        Ok(v) => v.plan,
        Err(report) => {
            ctx.report(&[report], args.output);
            return Ok(Status::Error);
        }
    };
    let (plan, region_context) = match &args.region {
        Some(name) => super::region_plan(&plan, name)?,
        None if plan.regions.is_empty() => (plan, None),
        None => {
            return Err(format!(
                "the plan runs from {} regions ({}), each in its own cluster: pass --region NAME",
                plan.regions.len(),
                super::region_names(&plan)
            ));
        }
    };
    let bundle = crate::compile(&plan);
    let labels: Vec<(String, String)> = crate::lower::meta::test_labels(&plan).into_iter().collect();
    let options = crate::cluster::Options {
        context: args.context.clone().or(region_context),
        namespace: args.namespace.clone(),
        timeout: args.timeout,
        apply: diff::APPLY.to_owned(),
    };
    let mut d = crate::cluster::live_diff(&bundle, &labels, &options)?;
    if !d.replace.is_empty() || d.findings.iter().any(|f| f.contains(diff::APPLY)) {
        d.findings
            .push(apply_folder(&args.old, args.namespace.as_deref()));
    }
    let text = match args.output {
        Output::Json => render::json(&d),
        Output::Human => render::human(&d, ctx.color.enabled(std::io::stdout().is_terminal())),
    };
    print(&text, &d)
}

/// What `DIR` in a replace's `kubectl apply -k DIR` is.
#[cfg(feature = "cluster")]
fn apply_folder(plan: &str, namespace: Option<&str>) -> String {
    match namespace {
        None => format!("DIR: the folder the plan compiles to (`perfplan compile {plan} -o DIR`)"),
        Some(ns) => format!(
            "DIR: a kustomization with `namespace: {ns}` over the folder the plan compiles to \
             (`perfplan compile {plan} -o BASE`), as the plan was applied there"
        ),
    }
}

#[cfg(not(feature = "cluster"))]
fn cluster(_: &Context, _: &Args) -> CliResult {
    Err(
        "this perfplan was built without the cluster client; build it with \
         `cargo install --path . --features cluster` to use --cluster"
            .to_owned(),
    )
}

/// One side as a bundle. `Ok(None)`: an invalid plan, whose diagnostics were printed.
fn side(ctx: &Context, arg: &str, output: Output) -> Result<Option<Bundle>, String> {
    let path = Path::new(arg);
    if arg != "-" && path.is_dir() {
        return read_folder(path).map(Some);
    }
    let text = if arg == "-" {
        let mut text = String::new();
        std::io::stdin()
            .take(crate::parse::MAX_PLAN_BYTES as u64 * 64)
            .read_to_string(&mut text)
            .map_err(|e| format!("cannot read stdin: {e}"))?;
        text
    } else {
        std::fs::read_to_string(path).map_err(|e| format!("cannot read `{arg}`: {e}"))?
    };
    if is_plan(&text) {
        if arg == "-" {
            return plan_from_text(ctx, &text, output);
        }
        return match super::load_plan(arg)? {
            Ok(v) => Ok(Some(crate::compile(&v.plan))),
            Err(report) => {
                ctx.report(&[report], output);
                Ok(None)
            }
        };
    }
    parse_stream(arg, &text).map(|manifests| Some(Bundle { manifests }))
}

/// A plan names its format version at the top level; a bundle never does.
fn is_plan(text: &str) -> bool {
    text.lines().any(|l| l.starts_with("perfplan:"))
}

/// stdin was consumed to sniff it, so validate the text already read.
fn plan_from_text(ctx: &Context, text: &str, output: Output) -> Result<Option<Bundle>, String> {
    let cwd = std::env::current_dir().map_err(|e| format!("cannot find the current folder: {e}"))?;
    let source = crate::parse::decode("<stdin>", text.as_bytes(), &cwd);
    match source.map(|s| crate::validate(&s)) {
        Ok(Ok(v)) => Ok(Some(crate::compile(&v.plan))),
        Ok(Err(report)) | Err(report) => {
            ctx.report(&[report], output);
            Ok(None)
        }
    }
}

/// Kubernetes objects from a multi-document YAML stream.
fn parse_stream(name: &str, text: &str) -> Result<Vec<Manifest>, String> {
    let docs: Vec<Value> = serde_saphyr::from_multiple(text)
        .map_err(|e| format!("`{name}` is neither a plan nor a YAML bundle: {e}"))?;
    docs.into_iter()
        .filter(|d| !d.is_null())
        .map(|d| {
            if d.get("apiVersion").and_then(Value::as_str).is_none()
                || d.get("kind").and_then(Value::as_str).is_none()
            {
                return Err(format!(
                    "`{name}` holds a document without apiVersion and kind: it is neither a plan nor a bundle"
                ));
            }
            Ok(Manifest::from_value(d))
        })
        .collect()
}

/// A bundle folder: the files its kustomization.yaml lists, in that order, or every
/// YAML file in name order. A multi-region folder (no kustomization.yaml of its own,
/// a bundle folder per region) is every region's objects, regions in name order.
fn read_folder(dir: &Path) -> Result<Bundle, String> {
    let shown = dir.display();
    if !dir.join("kustomization.yaml").exists() {
        let mut regions: Vec<std::path::PathBuf> = std::fs::read_dir(dir)
            .map_err(|e| format!("cannot read `{shown}`: {e}"))?
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.join("kustomization.yaml").is_file())
            .collect();
        if !regions.is_empty() {
            regions.sort();
            let mut manifests = Vec::new();
            for region in regions {
                manifests.extend(read_folder(&region)?.manifests);
            }
            return Ok(Bundle { manifests });
        }
    }
    let listed = match std::fs::read_to_string(dir.join("kustomization.yaml")) {
        Ok(text) => {
            let k: Value =
                serde_saphyr::from_str(&text).map_err(|e| format!("`{shown}/kustomization.yaml`: {e}"))?;
            k.get("resources")
                .and_then(Value::as_array)
                .map(|r| {
                    r.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_owned)
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default()
        }
        Err(_) => {
            let mut names: Vec<String> = std::fs::read_dir(dir)
                .map_err(|e| format!("cannot read `{shown}`: {e}"))?
                .filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.ends_with(".yaml") || n.ends_with(".yml"))
                .collect();
            names.sort();
            names
        }
    };
    let mut manifests = Vec::new();
    for name in listed {
        if name.contains('/') || name.contains("..") {
            return Err(format!(
                "`{shown}/kustomization.yaml` lists `{name}`: only files in the folder are read"
            ));
        }
        let file = dir.join(&name);
        let text =
            std::fs::read_to_string(&file).map_err(|e| format!("cannot read `{}`: {e}", file.display()))?;
        manifests.extend(parse_stream(&file.display().to_string(), &text)?);
    }
    if manifests.is_empty() {
        return Err(format!("`{shown}` holds no Kubernetes objects"));
    }
    Ok(Bundle { manifests })
}
