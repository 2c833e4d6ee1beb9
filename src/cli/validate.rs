//! `perfplan validate PLAN...`: every problem of every plan, then exit 0 or 1.

use super::{CliResult, Context, Output, Status, load_plan};
use crate::diag::Severity;

/// Check plans against the schema and the semantic rules.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Plan files (`-` reads standard input).
    #[arg(required = true)]
    plans: Vec<String>,

    /// `json` prints diagnostics as a JSON array on stdout.
    #[arg(long, value_enum, default_value = "human")]
    output: Output,

    /// Treat warnings as errors (for CI).
    #[arg(long)]
    deny_warnings: bool,
}

pub(super) fn run(ctx: &Context, args: Args) -> CliResult {
    let mut reports = Vec::new();
    let mut status = Status::Ok;
    for plan in &args.plans {
        let report = match load_plan(plan)? {
            Ok(valid) => valid.report,
            Err(report) => report,
        };
        let fails = report
            .diagnostics
            .iter()
            .any(|d| d.severity == Severity::Error || args.deny_warnings);
        if fails {
            status = Status::Invalid;
        }
        reports.push(report);
    }
    ctx.report(&reports, args.output);
    if args.output == Output::Human && status == Status::Ok {
        eprintln!("{} plan(s) valid", args.plans.len());
    }
    Ok(status)
}
