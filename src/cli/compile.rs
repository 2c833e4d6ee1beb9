//! `perfplan compile PLAN`: the contract's skeleton. Lowering to Kubernetes objects is
//! not built yet, so after validating the plan this says so and exits 2 instead of
//! printing anything that could be mistaken for a bundle.

use super::{CliResult, Context, Output, Status, load_plan};

/// Compile a plan into Kubernetes manifests (not available yet: validates only).
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The plan file (`-` reads standard input).
    plan: String,

    /// Write one file per object plus kustomization.yaml into this folder.
    #[arg(short = 'o', long = "out")]
    out: Option<std::path::PathBuf>,

    /// What to emit.
    #[arg(long, value_enum, default_value = "bundle")]
    format: Format,

    /// `json` prints diagnostics as a JSON array on stdout.
    #[arg(long, value_enum, default_value = "human")]
    output: Output,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum Format {
    Bundle,
    HelmValues,
}

pub(super) fn run(ctx: &Context, args: Args) -> CliResult {
    if let Err(report) = load_plan(&args.plan)? {
        ctx.report(&[report], args.output);
        return Ok(Status::Invalid);
    }
    Err(format!(
        "`{}` is valid, but compiling to {} is not available in this version yet",
        args.plan,
        match args.format {
            Format::Bundle => "a bundle",
            Format::HelmValues => "Helm values",
        }
    ))
}
