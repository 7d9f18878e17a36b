//! How profile ids moved since the previous run (with `--state`): the change events, the
//! redirects of ids that stopped naming a profile, and the text form of an id. The data product
//! of the ids stage: `state::stable` computes it, `report` and `output` read it as plain data.

/// An id that no longer names a profile, and the id that now holds its records.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Redirect {
    /// The old id.
    pub old: u64,
    /// Where it went; `None` when its records are all gone (retired).
    pub current: Option<u64>,
    /// The run in which it stopped being a profile id.
    pub run: u32,
}

/// One line of `changes.csv`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Change {
    /// The profile the event is about (for `retired`, the id that is gone).
    pub profile_id: String,
    /// What happened.
    pub event: Event,
    /// Earlier ids involved: the ids merged (survivor included), or the profile split from.
    pub previous_ids: Vec<String>,
    /// Records before (of the previous profile, or the merged ones together).
    pub records_before: u64,
    /// Records now.
    pub records_after: u64,
}

/// Kinds of change, as written in `changes.csv`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Event {
    /// A profile none of whose records existed before.
    New,
    /// A profile that kept its id and has more records than before.
    Grown,
    /// A profile that owns several previous ids; the oldest survived.
    Merged,
    /// Records of `previous_ids` now belong to this profile, while that id lives on elsewhere.
    Split,
    /// A previous profile none of whose records is left.
    Retired,
}

impl Event {
    /// The name written in `changes.csv`.
    pub fn as_str(self) -> &'static str {
        match self {
            Event::New => "new",
            Event::Grown => "grown",
            Event::Merged => "merged",
            Event::Split => "split",
            Event::Retired => "retired",
        }
    }
}

/// The result of carrying ids forward.
#[derive(Debug, Default)]
pub struct Carried {
    /// Change events, sorted.
    pub changes: Vec<Change>,
    /// Birth run of each profile, in the (re-sorted) order of `Profiles::list`.
    pub births: Vec<u32>,
    /// The updated redirect table, sorted by old id.
    pub redirects: Vec<Redirect>,
    /// Profiles whose id and records did not change.
    pub unchanged: u64,
    /// Ids absorbed by merges in this run.
    pub absorbed: u64,
}

/// A profile id as a number: ids are `P` and 16 hex digits.
pub fn parse_id(id: &str) -> Option<u64> {
    id.strip_prefix('P')
        .filter(|h| h.len() == 16)
        .and_then(|h| u64::from_str_radix(h, 16).ok())
}

/// The text form of an id number.
pub fn format_id(id: u64) -> String {
    format!("P{id:016x}")
}
