//! The only module that prints. Results go to stdout, progress, warnings and errors to stderr.
//!
//! `Ui` reads the terminal once (`std::io::IsTerminal`) and decides colour (stdout) and progress
//! (stderr) from the flags, `NO_COLOR` and `TERM=dumb`. Rendering lives in `summary` (pure
//! functions returning strings) so it can be snapshot-tested without a terminal. Every text
//! printed passes through `mask::terminal`, so escape sequences and bidi controls from file
//! names and cells reach the terminal as visible `\uXXXX` (issue 16).
#![allow(clippy::print_stdout, clippy::print_stderr)]

pub mod export_summary;
pub use crate::mask;
pub mod progress;
pub mod summary;

use std::io::{IsTerminal, Write};

use indicatif::MultiProgress;

use crate::cli::{ColorChoice, ProgressChoice};
use crate::exit::ExitStatus;

/// Terminal settings decided once per run.
#[derive(Clone, Debug)]
pub struct Ui {
    quiet: bool,
    verbose: bool,
    timings: bool,
    /// Process CPU seconds (as `f64` bits) when the previous stage's timing was printed.
    cpu_at_last_stage: std::sync::Arc<std::sync::atomic::AtomicU64>,
    progress: bool,
    bars: MultiProgress,
}

impl Ui {
    /// Reads the terminal and the environment once.
    pub fn new(quiet: bool, color: ColorChoice, progress: ProgressChoice) -> Ui {
        let env_allows_color = std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
            && std::env::var("TERM").map_or(true, |t| t != "dumb");
        let color = match color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => std::io::stdout().is_terminal() && env_allows_color,
        };
        let progress = match progress {
            ProgressChoice::Always => true,
            ProgressChoice::Never => false,
            ProgressChoice::Auto => !quiet && std::io::stderr().is_terminal(),
        };
        console::set_colors_enabled(color);
        let bars = if progress {
            MultiProgress::with_draw_target(indicatif::ProgressDrawTarget::stderr_with_hz(8))
        } else {
            MultiProgress::with_draw_target(indicatif::ProgressDrawTarget::hidden())
        };
        let timings = std::env::var_os("OMNI_TIMINGS").is_some_and(|v| !v.is_empty());
        Ui {
            quiet,
            verbose: false,
            timings,
            cpu_at_last_stage: std::sync::Arc::new(std::sync::atomic::AtomicU64::new(
                crate::memory::cpu_seconds().unwrap_or(0.0).to_bits(),
            )),
            progress,
            bars,
        }
    }

    /// With `verbose`, `detail` prints customer data (identifier values); without, nothing.
    pub fn with_verbose(mut self, verbose: bool) -> Ui {
        self.verbose = verbose;
        mask::set_verbose(verbose);
        self
    }

    /// True under `--verbose`: messages may then include identifier values.
    pub fn is_verbose(&self) -> bool {
        self.verbose
    }

    /// Details that hold customer data (identifier values), on stdout only under `--verbose`.
    /// A failed write is an error (see [`Ui::data`]).
    pub fn detail(&self, text: &str) -> anyhow::Result<()> {
        if self.verbose && !text.is_empty() {
            self.result(text)?;
        }
        Ok(())
    }

    /// Prints a command's result on stdout (suppressed by `--quiet`). A failed write is an error
    /// (see [`Ui::data`]).
    pub fn result(&self, text: &str) -> anyhow::Result<()> {
        if self.quiet {
            return Ok(());
        }
        write_stdout(text)
    }

    /// Prints the output of an inspection command on stdout even under `--quiet`: it is the
    /// whole point of commands like `normalize` and `inspect`. A failed write (a full disk
    /// behind `> out.json`, `/dev/full`) is an error, so the run exits 1 instead of leaving a
    /// truncated file behind a success (issue 16); a closed pipe (`omni ... | head`) is a
    /// normal end, which `report_error` turns into exit 0.
    pub fn data(&self, text: &str) -> anyhow::Result<()> {
        write_stdout(text)
    }

    /// A stage's wall time on stderr, only when `OMNI_TIMINGS` is set (for profiling runs).
    pub fn timing(&self, stage: &str, started: std::time::Instant) {
        if self.timings {
            let seconds = started.elapsed().as_secs_f64();
            // CPU used since the previous stage ended: stages run one after another.
            let cpu = crate::memory::cpu_seconds().map_or(String::new(), |total| {
                let last = self
                    .cpu_at_last_stage
                    .swap(total.to_bits(), std::sync::atomic::Ordering::Relaxed);
                let used = total - f64::from_bits(last);
                format!(
                    "  cpu {used:>7.2} s ({:>3.0}%)",
                    100.0 * used / seconds.max(1e-9)
                )
            });
            match crate::memory::resident() {
                Some((now, peak)) => eprintln!(
                    "omni: timing: {stage:<10} {seconds:>8.3} s{cpu}  rss {:>6} MB  peak {:>6} MB",
                    now >> 20,
                    peak >> 20
                ),
                None => eprintln!("omni: timing: {stage:<10} {seconds:>8.3} s{cpu}"),
            }
        }
    }

    /// A note on how a stage ran (e.g. what the link carried), only when `OMNI_TIMINGS` is set.
    pub fn timing_note(&self, stage: &str, note: &str) {
        if self.timings {
            eprintln!("omni: timing: {stage:<10} {note}");
        }
    }

    /// Why the run ends with code 3: on stderr even under `--quiet`, since cron needs the reason.
    pub fn fail_on(&self, text: &str) {
        let line = format!("omni: fail-on: {}", mask::terminal(text));
        if self.progress {
            let _ = self.bars.println(&line);
        } else {
            eprintln!("{line}");
        }
    }

    /// Prints why `--strict` fails the run (always, even with `--quiet`: it explains exit 1).
    pub fn strict(&self, text: &str) {
        let line = format!("omni: strict: {}", mask::terminal(text));
        if self.progress {
            let _ = self.bars.println(&line);
        } else {
            eprintln!("{line}");
        }
    }

    /// Why a completed run still exits 1 because a file could link nobody (issue 15): on stderr
    /// even with `--quiet`, as `--strict`'s reason is.
    pub fn not_linked(&self, text: &str) {
        let line = format!("omni: not linked: {text}");
        if self.progress {
            let _ = self.bars.println(&line);
        } else {
            eprintln!("{line}");
        }
    }

    /// A non-fatal error on stderr (even with `--quiet`): a command that goes on past one bad
    /// input (`inspect` over a folder) and exits 1 at the end.
    pub fn error(&self, text: &str) {
        let line = format!("omni: error: {text}");
        if self.progress {
            let _ = self.bars.println(&line);
        } else {
            eprintln!("{line}");
        }
    }

    /// A warning on stderr (suppressed by `--quiet`), printed above any progress bars.
    pub fn warn(&self, text: &str) {
        if self.quiet {
            return;
        }
        let line = format!("omni: warning: {}", mask::terminal(text));
        if self.progress {
            let _ = self.bars.println(&line);
        } else {
            eprintln!("{line}");
        }
    }
}

/// Writes `text` to stdout (control characters made visible, `mask::terminal`) and flushes it; the error keeps the `io::Error` in its chain, so a
/// broken pipe can be told from a failed write.
fn write_stdout(text: &str) -> anyhow::Result<()> {
    use anyhow::Context;
    let text = mask::terminal(text);
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .context("cannot write to standard output")
}

/// Prints a fatal error as `omni: error: ...` on stderr and returns the exit status for it
/// (2 for a [`crate::exit::UsageError`], 1 otherwise).
/// A broken pipe anywhere in the chain is a normal end (exit 0), as in ripgrep.
pub fn report_error(err: &anyhow::Error) -> ExitStatus {
    let broken_pipe = err.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    });
    if broken_pipe {
        return ExitStatus::Success;
    }
    let text = format!("{err:#}");
    let usage = err.downcast_ref::<crate::exit::UsageError>().is_some();
    let _ = writeln!(
        std::io::stderr().lock(),
        "omni: error: {}",
        mask::terminal(&text)
    );
    if usage {
        ExitStatus::Usage
    } else {
        ExitStatus::Failure
    }
}
