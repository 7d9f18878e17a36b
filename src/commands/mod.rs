//! One file per subcommand. These only orchestrate the stages; loops over records live in the
//! stage modules.

pub mod explain;
pub mod export;
pub mod inspect;
pub mod merge;
pub mod normalize;
pub mod report;
pub mod stage;
