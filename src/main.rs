//! The `omni` binary: parse arguments, run, map the result to an exit code. Nothing else.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    omni::memory::tune_allocator();
    let cli = omni::cli::Cli::parse();
    match omni::run(cli) {
        Ok(status) => status.into(),
        Err(err) => omni::ui::report_error(&err).into(),
    }
}
