//! `omni explain` (being built).

use crate::cli::ExplainArgs;
use crate::exit::ExitStatus;
use crate::ui::Ui;

/// Runs `omni explain`.
pub fn run(args: &ExplainArgs, ui: &Ui) -> anyhow::Result<ExitStatus> {
    let _ = (args, ui);
    anyhow::bail!("omni explain is not available yet")
}
