//! `perfplan init --tool T`: a commented starter plan and script that validate.

use super::{CliResult, Status};
use crate::spec::Tool;
use std::path::{Path, PathBuf};

/// Write a commented starter plan (and its script) for a tool.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The load tool.
    #[arg(long, value_parser = parse_tool)]
    tool: Tool,

    /// Folder to write `perfplan.yaml` and `scripts/` into (created if missing).
    #[arg(long, default_value = ".")]
    dir: PathBuf,

    /// Print the plan to stdout instead of writing files.
    #[arg(long)]
    stdout: bool,
}

fn parse_tool(s: &str) -> Result<Tool, String> {
    Tool::ALL
        .into_iter()
        .find(|t| t.as_str() == s)
        .ok_or_else(|| format!("unknown tool `{s}`: use jmeter, k6 or gatling"))
}

pub(super) fn run(args: Args) -> CliResult {
    let starter = crate::starter::starter(args.tool);
    if args.stdout {
        print!("{}", starter.plan);
        return Ok(Status::Ok);
    }
    let plan_path = args.dir.join(crate::starter::PLAN_FILE);
    let script_path = args.dir.join(starter.script_path);
    let schema_path = args.dir.join(crate::starter::SCHEMA_FILE);
    // Never overwrite a user's file: check both before writing either.
    for path in [&plan_path, &script_path] {
        if path.exists() {
            return Err(format!(
                "`{}` exists already; perfplan init never overwrites files",
                path.display()
            ));
        }
    }
    write_new(&script_path, starter.script)?;
    write_new(&plan_path, &starter.plan)?;
    // The schema the plan's modeline names, for editors; one already there (a team's
    // pinned copy, or an earlier init's) is left as it is.
    let schema = crate::schema::PUBLISHED;
    match std::fs::read_to_string(&schema_path) {
        Err(_) => write_new(&schema_path, schema)?,
        Ok(existing) if existing != schema => eprintln!(
            "note: {} differs from this perfplan's schema and was left as it is; `perfplan schema > {}` updates it",
            schema_path.display(),
            schema_path.display()
        ),
        Ok(_) => {}
    }
    eprintln!(
        "wrote {}, {} and {} (editors read the schema through the plan's first line)",
        plan_path.display(),
        script_path.display(),
        schema_path.display()
    );
    Ok(Status::Ok)
}

fn write_new(path: &Path, content: &str) -> Result<(), String> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|e| format!("cannot create `{}`: {e}", parent.display()))?;
    }
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(|e| format!("cannot create `{}`: {e}", path.display()))?;
    std::io::Write::write_all(&mut file, content.as_bytes())
        .map_err(|e| format!("cannot write `{}`: {e}", path.display()))
}
