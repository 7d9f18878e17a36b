//! How a run ended, and the process exit code for it (DESIGN.md §1).

use std::process::ExitCode;

/// The result of a command that did not fail with an error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExitStatus {
    /// 0: done.
    Success,
    /// 1: failed (I/O, bad config, unreadable input). Errors map here in `main`.
    Failure,
    /// 2: usage error (clap exits with 2 on its own; kept for completeness).
    Usage,
    /// 3: finished and wrote all outputs, but a `--fail-on` condition held.
    FailOn,
}

impl ExitStatus {
    /// The numeric code.
    pub fn code(self) -> u8 {
        match self {
            ExitStatus::Success => 0,
            ExitStatus::Failure => 1,
            ExitStatus::Usage => 2,
            ExitStatus::FailOn => 3,
        }
    }
}

impl From<ExitStatus> for ExitCode {
    fn from(status: ExitStatus) -> ExitCode {
        ExitCode::from(status.code())
    }
}
