//! `perfplan completions SHELL`: the shell's completion script, on stdout.
//!
//! Generated from the same clap definition the binary parses with, so a new
//! subcommand or flag is completed as soon as it exists; nothing to keep in step.

use super::{CliResult, Status};
use clap::CommandFactory;
use clap_complete::Shell;

/// Print the completion script for a shell.
///
/// Save it where the shell loads completions from, e.g. bash:
/// `perfplan completions bash > ~/.local/share/bash-completion/completions/perfplan`
/// (the README's Install section has every shell).
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The shell to complete for.
    #[arg(value_enum)]
    shell: Shell,
}

pub(super) fn run(args: Args) -> CliResult {
    let mut command = super::Cli::command();
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut command, "perfplan", &mut script);
    let script = String::from_utf8(script).map_err(|e| format!("completion script is not UTF-8: {e}"))?;
    super::write_stdout(&script)?;
    Ok(Status::Ok)
}
