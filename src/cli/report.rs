//! `perfplan report RESULTS_DIR [--plan PLAN]`: one verdict over every generator's
//! results. Exit 0 pass, 1 fail (a threshold does not hold), 2 error (results
//! missing or unreadable, a threshold not measurable, an invalid plan).
//!
//! An invalid `--plan` exits 2, not 1 as in `compile`: here 1 means "the test
//! failed its thresholds", and a CI job must not read a typo in the plan as a
//! performance regression.

use super::{CliResult, Context, Output, Status, load_plan};
use crate::report::{self, Expected, Options, Verdict};
use std::path::PathBuf;

/// Merge every generator's results into one table and judge them against the plan.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The folder holding the pods' /results: a subfolder per pod, or the files
    /// themselves (k6 samples.csv[.gz], JMeter results.jtl, Gatling simulation.log).
    results: PathBuf,

    /// The plan the test ran: its thresholds, and how many generators to expect.
    #[arg(long)]
    plan: Option<String>,

    /// `json` prints a JSON document (see `perfplan::report::render`) on stdout.
    #[arg(long, value_enum, default_value = "human")]
    output: Output,

    /// Also write the thresholds as JUnit XML to this file (for CI test reports).
    #[arg(long, value_name = "FILE")]
    junit: Option<PathBuf>,

    /// Judge the generators that reported when some are missing, instead of exiting 2.
    #[arg(long)]
    allow_incomplete: bool,
}

pub(super) fn run(ctx: &Context, args: Args) -> CliResult {
    let plan = match &args.plan {
        None => None,
        Some(path) => match load_plan(path)? {
            Ok(valid) => {
                if args.output == Output::Human {
                    ctx.report(std::slice::from_ref(&valid.report), args.output);
                }
                Some(valid.plan)
            }
            Err(invalid) => {
                ctx.report(&[invalid], args.output);
                return Ok(Status::Error);
            }
        },
    };
    let results = match report::read(&args.results, plan.as_ref().map(crate::Plan::tool)) {
        Ok(results) => results,
        Err(e) => {
            if args.output == Output::Json {
                super::write_stdout(&report::render::json_error(&e))?;
            }
            eprintln!("perfplan: error[{}]: {e}\n  help: {}", e.code(), e.help());
            return Ok(Status::Error);
        }
    };
    let options = Options {
        thresholds: plan.as_ref().map_or(&[], |p| p.results.thresholds.as_slice()),
        expected: plan.as_ref().map(Expected::of),
        allow_incomplete: args.allow_incomplete,
    };
    let outcome = report::evaluate(&results, &options);
    if let Some(path) = &args.junit {
        std::fs::write(path, report::junit::junit(&outcome))
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    match args.output {
        Output::Human => super::write_stdout(&report::render::human(&outcome))?,
        Output::Json => super::write_stdout(&report::render::json(&outcome))?,
    }
    Ok(match outcome.verdict {
        Verdict::Pass => Status::Ok,
        Verdict::Fail => Status::Invalid,
        Verdict::Error => Status::Error,
    })
}
