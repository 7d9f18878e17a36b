//! How a long stage tells its progress without printing (only `ui` prints): the stages below
//! `commands` (`extract`, `state::incremental`) take a `&dyn Progress`; `ui::Ui` implements it
//! with byte bars on a terminal and `--timings` lines, and [`Silent`] says nothing (tests, other
//! callers of the library).

use std::time::Instant;

/// The progress of a stage, reported as it goes.
pub trait Progress {
    /// A meter for reading one file of `total_bytes` bytes, labelled `label`.
    fn file_meter(&self, label: &str, total_bytes: u64) -> Box<dyn Meter>;
    /// A step named `stage` that began at `started` is done (`--timings`).
    fn timing(&self, stage: &str, started: Instant);
}

/// How far the reading of one file got.
pub trait Meter {
    /// Bytes read so far.
    fn set_position(&self, bytes: u64);
    /// The file is read: the meter goes away.
    fn finish(&self);
}

/// Progress that goes nowhere.
#[derive(Clone, Copy, Debug, Default)]
pub struct Silent;

impl Progress for Silent {
    fn file_meter(&self, _label: &str, _total_bytes: u64) -> Box<dyn Meter> {
        Box::new(Silent)
    }

    fn timing(&self, _stage: &str, _started: Instant) {}
}

impl Meter for Silent {
    fn set_position(&self, _bytes: u64) {}

    fn finish(&self) {}
}
