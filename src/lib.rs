//! omni: turns scattered customer contact exports into one profile per real person.
//!
//! The pipeline (DESIGN.md §2), one module per arrow, data moving forward only:
//!
//! ```text
//! input (files → raw rows) → input::detect (column roles) → extract + normalize (records,
//! identifiers, rejects) → graph (interning, union-find) → profile (clusters → golden profiles,
//! ids) → report (metrics) → output (atomic CSV/JSON files) and ui (terminal summary)
//! ```
//!
//! `commands/*` orchestrate the stages for each subcommand; `main.rs` only parses and dispatches.

pub mod cli;
pub mod commands;
pub mod config;
pub mod disk;
pub mod exit;
pub mod export;
pub mod extract;
pub mod fuzzy;
pub mod graph;
pub mod input;
pub mod mask;
pub mod memory;
pub mod normalize;
pub mod output;
pub mod policy;
pub mod profile;
pub mod progress;
pub mod reject;
pub mod report;
pub mod stage;
pub mod state;
#[doc(hidden)]
pub mod synth;
pub mod ui;

use cli::{Cli, Command};
pub use exit::ExitStatus;

/// Runs one command line. Errors are fatal problems (exit 1); row-level problems are rejects.
pub fn run(cli: Cli) -> anyhow::Result<ExitStatus> {
    let ui = ui::Ui::new(cli.quiet, cli.color, cli.progress).with_verbose(cli.verbose);
    configure_threads(cli.threads, &ui)?;
    match cli.command {
        Command::Merge(args) => commands::merge::run(&args, &ui),
        Command::Inspect(args) => commands::inspect::run(&args, &ui),
        Command::Explain(args) => commands::explain::run(&args, &ui),
        Command::Normalize(args) => commands::normalize::run(&args, &ui),
        Command::Report(args) => commands::report::run(&args, &ui),
        Command::Export(args) => commands::export::run(&args, &ui),
        Command::Stage(command) => commands::stage::run(&command, &ui),
    }
}

/// Builds the rayon pool with `-j` threads, lowered to the cap (`cli::MAX_THREADS`, or the
/// cores if more) with a warning.
fn configure_threads(threads: usize, ui: &ui::Ui) -> anyhow::Result<()> {
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    let cap = cli::MAX_THREADS.max(cores);
    let threads = if threads > cap {
        ui.warn(&format!(
            "--threads {threads} is more than omni uses; running with {cap} threads \
             ({cores} cores here; 0 means all cores)"
        ));
        cap
    } else {
        threads
    };
    if threads > 0 {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build_global()
            .map_err(|e| anyhow::anyhow!("cannot start {threads} worker threads: {e}"))?;
    }
    Ok(())
}
