//! Progress bars: one template for all, hidden unless the `Ui` decided to draw them.

use indicatif::{ProgressBar, ProgressStyle};

use super::Ui;

impl Ui {
    /// A byte-counting bar for reading one file, added to the run's bar group.
    pub fn file_bar(&self, label: &str, total_bytes: u64) -> ProgressBar {
        let bar = self.bars.add(ProgressBar::new(total_bytes));
        bar.set_style(
            ProgressStyle::with_template(
                "{prefix:>16.bold} [{bar:30}] {bytes:>10}/{total_bytes:<10} {msg}",
            )
            .expect("the template is a valid indicatif template")
            .progress_chars("=> "),
        );
        bar.set_prefix(super::mask::terminal(label).into_owned());
        bar
    }

    /// A spinner for a stage without a known length (linking, writing).
    pub fn stage_spinner(&self, label: &str) -> ProgressBar {
        let bar = self.bars.add(ProgressBar::new_spinner());
        bar.set_style(
            ProgressStyle::with_template("{prefix:>16.bold} {spinner} {msg} {elapsed}")
                .expect("the template is a valid indicatif template"),
        );
        bar.set_prefix(super::mask::terminal(label).into_owned());
        bar.enable_steady_tick(std::time::Duration::from_millis(125));
        bar
    }
}

/// The stages report through `crate::progress`; the terminal draws it.
impl crate::progress::Progress for Ui {
    fn file_meter(&self, label: &str, total_bytes: u64) -> Box<dyn crate::progress::Meter> {
        Box::new(self.file_bar(label, total_bytes))
    }

    fn timing(&self, stage: &str, started: std::time::Instant) {
        Ui::timing(self, stage, started);
    }
}

impl crate::progress::Meter for ProgressBar {
    fn set_position(&self, bytes: u64) {
        ProgressBar::set_position(self, bytes);
    }

    fn finish(&self) {
        self.finish_and_clear();
    }
}
