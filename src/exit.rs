//! How a run ended, and the process exit code for it (DESIGN.md §1).

use std::process::ExitCode;

/// The result of a command that did not fail with an error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExitStatus {
    /// 0: done.
    Success,
    /// 1: failed (I/O, bad config, unreadable input). Errors map here in `main`.
    Failure,
    /// 2: usage error: clap's own, and a [`UsageError`] returned by a command (flags that
    /// parse but do not make sense together).
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

/// An error in how the command line combines flags, found after parsing: reported like any
/// error, with exit code 2 instead of 1 (`ui::report_error`).
#[derive(Debug)]
pub struct UsageError(pub String);

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}
