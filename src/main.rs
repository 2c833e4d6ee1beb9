//! The `perfplan` command. Everything lives in the library; see `perfplan::cli`.

fn main() -> std::process::ExitCode {
    perfplan::cli::main()
}
