//! The stages of a distributed run (`spark/omni_spark.py`, docs/spark.md): the same extraction,
//! guards and linking as `omni merge`, cut where Spark shuffles. The driver plans once
//! (`plan`); a task per input file extracts (`extract`); Spark finds the candidate generic
//! identifiers and the components; `generic` decides which candidates are generic; a task per
//! batch of whole components links (`link`); the driver rebuilds the run (`rebuild`) and writes
//! the out dir as `omni merge` does (`commands::stage`). The files between them are Parquet
//! (`table`) whose record and link columns only omni reads (`codec`).

pub mod codec;
pub mod extract;
pub mod generic;
pub mod link;
pub mod plan;
pub mod rebuild;
pub mod table;

pub use plan::StagePlan as StagePlanFile;
