use super::{CliResult, Context};
#[derive(Debug, clap::Args)]
pub struct Args {
    plan: String,
}
pub(super) fn run(_: &Context, _: Args) -> CliResult {
    Err("todo".into())
}
