//! `omni inspect` (stub).

use crate::cli::InspectArgs;
use crate::exit::ExitStatus;
use crate::ui::Ui;

/// Runs `omni inspect`.
pub fn run(args: &InspectArgs, ui: &Ui) -> anyhow::Result<ExitStatus> {
    let _ = (args, ui);
    unimplemented!("omni inspect")
}
