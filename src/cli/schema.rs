//! `perfplan schema`: the published JSON schema, byte for byte.

use super::{CliResult, Status};

/// Print the plan's JSON schema (the bytes of schema/perfplan.schema.json).
#[derive(Debug, clap::Args)]
pub struct Args {}

pub(super) fn run(_: Args) -> CliResult {
    print!("{}", crate::schema::PUBLISHED);
    Ok(Status::Ok)
}
