//! Blocked values per source column: identifier cells that were valid but whose link an
//! over-merge guard refused (`generic`, `cap`, `name_mismatch`), for the identifier-quality
//! table. Rejected values (invalid or junk) are counted elsewhere, in `rejected`.
//!
//! A refused link names a record and an identifier, not a column. The column is the one of that
//! kind (`email`, `phone`, `card`, `id:<ns>`) in the record's source; with several columns of one
//! kind in a source (`phone`, `phone2`), the link is counted under the first of them, because
//! records keep their identifiers de-duplicated without the column they came from.

use std::collections::BTreeMap;

use crate::extract::Extracted;
use crate::graph::Clusters;

/// `blocked[source][column]`: refused links by rule code.
pub fn by_column(extracted: &Extracted, clusters: &Clusters) -> Vec<Vec<BTreeMap<String, u64>>> {
    let mut blocked: Vec<Vec<BTreeMap<String, u64>>> = extracted
        .sources
        .iter()
        .map(|s| vec![BTreeMap::new(); s.columns.len()])
        .collect();
    for refused in &clusters.refused {
        let source = extracted.records.source[refused.record as usize] as usize;
        let namespace =
            &extracted.namespaces[extracted.interner.namespace_of(refused.identifier) as usize];
        let column = extracted.sources[source]
            .columns
            .iter()
            .position(|c| c.role.as_config() == *namespace);
        if let Some(column) = column {
            *blocked[source][column]
                .entry(refused.rule.code().to_owned())
                .or_default() += 1;
        }
    }
    blocked
}
