//! `perfplan compile PLAN`: a valid plan becomes a bundle of Kubernetes manifests,
//! on stdout as one YAML stream or with `-o DIR` as a folder for `kubectl apply -k`.

use super::{CliResult, Context, Output, Status, load_plan};
use std::io::Write;

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
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum Format {
    Bundle,
    HelmValues,
}

pub(super) fn run(ctx: &Context, args: Args) -> CliResult {
    let validated = match load_plan(&args.plan)? {
        Ok(v) => v,
        Err(report) => {
            ctx.report(&[report], args.output);
            return Ok(Status::Invalid);
        }
    };
    if matches!(args.output, Output::Human) {
        ctx.report(std::slice::from_ref(&validated.report), args.output);
    }
    if let Format::HelmValues = args.format {
        return Err(format!(
            "`{}` is valid, but compiling to Helm values is not available in this version yet",
            args.plan
        ));
    }
    let bundle = crate::compile(&validated.plan);
    match &args.out {
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(bundle.to_yaml_stream().as_bytes())
                .and_then(|()| out.flush())
                .map_err(|e| format!("cannot write to stdout: {e}"))?;
        }
        Some(dir) => {
            crate::emit::write_folder(dir, &bundle.files())?;
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
