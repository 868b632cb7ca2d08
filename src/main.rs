//! The `nutgraf` command: serve, analyze, train, eval, debug.
#![forbid(unsafe_code)]

mod cli;

fn main() -> std::process::ExitCode {
    cli::main()
}
