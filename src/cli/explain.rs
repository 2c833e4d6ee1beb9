//! `perfplan explain PLAN`: what the plan will run, at a glance, without reading
//! manifests: pods, shares, resources, network, start, results, capacity.

use super::{CliResult, Context, Output, Status, load_plan};

/// Show what a plan will run: every pod and each generator's share, resources,
/// the traffic its NetworkPolicies allow, how it starts and where results go.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The plan file (`-` reads standard input).
    plan: String,

    /// `json` prints the explanation (or an invalid plan's diagnostics) as JSON on
    /// stdout, for tools.
    #[arg(long, value_enum, default_value = "human")]
    output: Output,

    /// For a plan with `regions`: explain only this region.
    #[arg(long)]
    region: Option<String>,
}

pub(super) fn run(ctx: &Context, args: Args) -> CliResult {
    let validated = match load_plan(&args.plan)? {
        Ok(v) => v,
        Err(report) => {
            ctx.report(&[report], args.output);
            return Ok(Status::Invalid);
        }
    };
    let mut explanation = crate::explain::explain(&validated.plan);
    if let Some(name) = &args.region {
        // Refuses an unknown region (or a plan without regions) with the names.
        super::region_plan(&validated.plan, name)?;
        explanation
            .parts
            .retain(|p| p.region.as_deref() == Some(name.as_str()));
    }
    match args.output {
        Output::Human => {
            ctx.report(std::slice::from_ref(&validated.report), args.output);
            super::write_stdout(&crate::explain::to_text(&explanation))?;
        }
        Output::Json => {
            let text = serde_json::to_string_pretty(&explanation).map_err(|e| e.to_string())? + "\n";
            super::write_stdout(&text)?;
        }
    }
    Ok(Status::Ok)
}
