//! `perfplan man [--dir DIR]`: manual pages (roff), generated from the clap definition.
//!
//! Without `--dir` the top-level page goes to stdout (`perfplan man | man -l -`);
//! with it, one page per command is written there (`perfplan.1`, `perfplan-compile.1`,
//! …), the layout `man` expects under a `man1/` folder on `MANPATH`.

use super::{CliResult, Status};
use clap::CommandFactory;
use std::path::PathBuf;

/// Print the manual page, or write one page per subcommand into a folder.
///
/// `perfplan man | man -l -` reads it at once; `perfplan man --dir
/// ~/.cargo/share/man/man1` installs every page where man finds them beside
/// `~/.cargo/bin` on `PATH` (`man perfplan-compile`).
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Folder to write `perfplan.1` and a `perfplan-<command>.1` per subcommand into
    /// (created if missing); existing pages of those names are replaced.
    #[arg(long)]
    dir: Option<PathBuf>,
}

pub(super) fn run(args: Args) -> CliResult {
    let command = super::Cli::command();
    let Some(dir) = args.dir else {
        let mut page = Vec::new();
        clap_mangen::Man::new(command)
            .render(&mut page)
            .map_err(|e| format!("cannot render the manual page: {e}"))?;
        let page = String::from_utf8(page).map_err(|e| format!("manual page is not UTF-8: {e}"))?;
        super::write_stdout(&page)?;
        return Ok(Status::Ok);
    };
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create `{}`: {e}", dir.display()))?;
    clap_mangen::generate_to(command, &dir)
        .map_err(|e| format!("cannot write manual pages into `{}`: {e}", dir.display()))?;
    eprintln!("wrote the manual pages into {}", dir.display());
    Ok(Status::Ok)
}
