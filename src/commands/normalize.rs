//! `omni normalize` (stub).

use crate::cli::NormalizeArgs;
use crate::exit::ExitStatus;
use crate::ui::Ui;

/// Runs `omni normalize`.
pub fn run(args: &NormalizeArgs, ui: &Ui) -> anyhow::Result<ExitStatus> {
    let _ = (args, ui);
    unimplemented!("omni normalize")
}
