//! `omni merge` (stub).

use crate::cli::MergeArgs;
use crate::exit::ExitStatus;
use crate::ui::Ui;

/// Runs `omni merge`.
pub fn run(args: &MergeArgs, ui: &Ui) -> anyhow::Result<ExitStatus> {
    let _ = (args, ui);
    unimplemented!("omni merge")
}
