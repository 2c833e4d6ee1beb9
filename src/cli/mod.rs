//! The command line: one file and one argument struct per subcommand.
//!
//! Exit codes (the contract in DESIGN.md): 0 success, 1 an invalid plan (or, for
//! `diff`, differences; for `report`, a failed threshold), 2 usage or I/O errors.

mod compile;
mod completions;
mod diff;
mod explain;
mod init;
mod man;
mod report;
mod schema;
mod validate;

use crate::diag::{ColorChoice, Report, Source, render_human, render_json};
use clap::{Parser, Subcommand, ValueEnum};
use std::io::{IsTerminal, Read, Write};
use std::path::Path;
use std::process::ExitCode;

/// Compile one declarative perfplan.yaml into a distributed load test on Kubernetes.
#[derive(Debug, Parser)]
#[command(name = "perfplan", version = crate::version::LONG, about, max_term_width = 100)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,

    /// When to colour diagnostics (`NO_COLOR` is honoured under `auto`).
    #[arg(long, value_enum, global = true, default_value = "auto")]
    color: ColorChoice,
}

#[derive(Debug, Subcommand)]
enum Command {
    Validate(validate::Args),
    Compile(compile::Args),
    Diff(diff::Args),
    Explain(explain::Args),
    Schema(schema::Args),
    Init(init::Args),
    Completions(completions::Args),
    Man(man::Args),
    Report(report::Args),
}

/// Diagnostics for people or for programs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum Output {
    #[default]
    Human,
    Json,
}

/// Outcome of a subcommand, mapped to the process exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Ok = 0,
    Invalid = 1,
    Error = 2,
}

/// Parse arguments and run; the whole of `main`.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { Status::Error as u8 } else { 0 });
        }
    };
    ExitCode::from(run(cli) as u8)
}

/// Run a parsed command line.
pub fn run(cli: Cli) -> Status {
    let ctx = Context { color: cli.color };
    let result = match cli.command {
        Command::Validate(args) => validate::run(&ctx, args),
        Command::Compile(args) => compile::run(&ctx, args),
        Command::Diff(args) => diff::run(&ctx, args),
        Command::Explain(args) => explain::run(&ctx, args),
        Command::Schema(args) => schema::run(args),
        Command::Init(args) => init::run(args),
        Command::Completions(args) => completions::run(args),
        Command::Man(args) => man::run(args),
        Command::Report(args) => report::run(&ctx, args),
    };
    match result {
        Ok(status) => status,
        Err(message) => {
            let _ = writeln!(std::io::stderr(), "perfplan: error: {message}");
            Status::Error
        }
    }
}

/// Settings every subcommand shares.
pub(crate) struct Context {
    color: ColorChoice,
}

impl Context {
    /// Print diagnostics to stderr (human) or stdout (JSON, for programs).
    pub(crate) fn report(&self, reports: &[Report], output: Output) {
        match output {
            Output::Json => print!("{}", render_json(reports)),
            Output::Human => {
                let color = self.color.enabled(std::io::stderr().is_terminal());
                let mut err = std::io::stderr().lock();
                for r in reports.iter().filter(|r| !r.diagnostics.is_empty()) {
                    let _ = write!(err, "{}", render_human(r, color));
                }
            }
        }
    }
}

/// Write a command's output to stdout in one piece.
pub(crate) fn write_stdout(text: &str) -> Result<(), String> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(|e| format!("cannot write to stdout: {e}"))
}

/// A failure that is not a plan problem: usage or I/O (exit 2).
pub(crate) type CliResult = Result<Status, String>;

/// Read a plan from a path or `-` (stdin). `Err(Ok(report))` is a plan the input
/// checks reject (too large, not UTF-8); `Err(Err(msg))` an I/O failure.
pub(crate) fn read_plan(arg: &str) -> Result<Source, Result<Report, String>> {
    let (name, bytes, dir) = if arg == "-" {
        let mut bytes = Vec::new();
        std::io::stdin()
            .take(crate::parse::MAX_PLAN_BYTES as u64 + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| Err(format!("cannot read stdin: {e}")))?;
        let cwd = std::env::current_dir().map_err(|e| Err(format!("cannot find the current folder: {e}")))?;
        ("<stdin>".to_owned(), bytes, cwd)
    } else {
        let path = Path::new(arg);
        let meta = std::fs::metadata(path).map_err(|e| Err(format!("cannot read `{arg}`: {e}")))?;
        if meta.is_dir() {
            return Err(Err(format!("`{arg}` is a folder, not a plan file")));
        }
        if meta.len() > crate::parse::MAX_PLAN_BYTES as u64 {
            // Do not read a huge file into memory just to refuse it.
            let mut head = Vec::new();
            std::fs::File::open(path)
                .and_then(|f| {
                    f.take(crate::parse::MAX_PLAN_BYTES as u64 + 1)
                        .read_to_end(&mut head)
                })
                .map_err(|e| Err(format!("cannot read `{arg}`: {e}")))?;
            let dir = plan_dir(path);
            return Err(Ok(decode_error(arg, &head, &dir)));
        }
        let bytes = std::fs::read(path).map_err(|e| Err(format!("cannot read `{arg}`: {e}")))?;
        (arg.to_owned(), bytes, plan_dir(path))
    };
    crate::parse::decode(&name, &bytes, &dir).map_err(Ok)
}

/// Read and validate one plan. `Ok(Err(report))` is an invalid plan (exit 1);
/// `Err(message)` a usage or I/O failure (exit 2).
pub(crate) fn load_plan(arg: &str) -> Result<Result<crate::Validated, Report>, String> {
    match read_plan(arg) {
        Ok(source) => Ok(crate::validate(&source)),
        Err(Ok(report)) => Ok(Err(report)),
        Err(Err(message)) => Err(message),
    }
}

/// `--region NAME`: that region's plan, and the kube context the plan names for it.
pub(crate) fn region_plan(plan: &crate::Plan, name: &str) -> Result<(crate::Plan, Option<String>), String> {
    match plan.regions.iter().find(|r| r.name == name) {
        Some(r) => Ok((plan.in_region(r), r.context.clone())),
        None if plan.regions.is_empty() => Err(format!("--region {name}: the plan has no `regions`")),
        None => Err(format!(
            "--region {name}: the plan's regions are {}",
            region_names(plan)
        )),
    }
}

/// The plan's region names, for messages: `eu-west, us-east`.
pub(crate) fn region_names(plan: &crate::Plan) -> String {
    plan.regions
        .iter()
        .map(|r| r.name.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

fn decode_error(name: &str, bytes: &[u8], dir: &Path) -> Report {
    crate::parse::decode(name, bytes, dir).map_or_else(|report| report, |source| Report::new(source, vec![]))
}

/// The folder relative paths in a plan are resolved against.
fn plan_dir(path: &Path) -> std::path::PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    }
}
