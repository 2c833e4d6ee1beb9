//! `perfplan diff OLD NEW`: what a plan change does to the cluster.

use super::{CliResult, Context};

/// Compare two plans or compiled bundles, object by object (not built yet).
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The old plan file or bundle folder.
    old: String,
    /// The new plan file or bundle folder.
    new: String,
}

pub(super) fn run(_: &Context, args: Args) -> CliResult {
    Err(format!(
        "`perfplan diff {} {}`: diff is not available in this version yet",
        args.old, args.new
    ))
}
