//! The definitions section of report.html: every metric in one sentence or two, as in
//! docs/report.md, so that a printed page explains itself.

use std::fmt::Write;

use super::{esc, section};

/// Every metric's definition, as in docs/report.md.
const DEFINITIONS: &[(&str, &str)] = &[
    (
        "record, profile, source",
        "A record is one input row; a profile is one golden profile (the records joined through shared identifiers); a source is one input file (a channel export).",
    ),
    (
        "match rate",
        "Profiles present in two or more sources ÷ profiles. Per source: the source's records whose profile also appears in another source ÷ the source's records in profiles.",
    ),
    (
        "overlap",
        "For sources A and B: profiles with records in both. Share: that count ÷ A's profiles (so the matrix is not symmetric).",
    ),
    (
        "records per profile (dedup ratio)",
        "Records in profiles ÷ profiles.",
    ),
    (
        "duplicates inside a source",
        "The source's records in profiles − the source's profiles: records that share a profile with another record of the same source.",
    ),
    (
        "channels per customer",
        "Profiles by the number of distinct sources their records come from.",
    ),
    (
        "fill rate",
        "Non-empty cells of an identifier column ÷ readable rows of its source.",
    ),
    (
        "valid rate",
        "Values that normalized to a usable identifier ÷ non-empty cells.",
    ),
    (
        "rejected",
        "Values that were invalid or junk, by reason code (the rows of rejects.csv).",
    ),
    (
        "blocked",
        "Valid values whose link an over-merge guard refused (generic, cap, name_mismatch, landline; the rows of refused.csv). With several columns of one kind in a source, counted under the first.",
    ),
    (
        "cluster sizes",
        "Profiles by their number of records, in the buckets 1, 2, 3, 4, 5–10, 11–20, 21+; the largest profiles by record count.",
    ),
    (
        "reachability",
        "Profiles with at least one email, with at least one phone, with both, with neither.",
    ),
    (
        "gained a channel",
        "Profiles in which at least one record lacks an email or phone that the profile has: contact reach won by unification.",
    ),
    (
        "row accounting",
        "Rows read = records in profiles + rows without identifier + unreadable rows, per source and in total.",
    ),
    (
        "purchase, revenue",
        "A purchase is a record with an amount above zero; revenue is the sum of those amounts. Purchases of records in no profile are counted apart.",
    ),
    (
        "buyers in several channels",
        "Profiles with purchases in two or more sources ÷ profiles with any purchase.",
    ),
    (
        "purchases and revenue by channel count",
        "For the profiles appearing in k sources: purchases ÷ profiles, revenue ÷ profiles, revenue ÷ buyers.",
    ),
    (
        "first contact → first purchase",
        "Per buyer: the time of the earliest purchase minus the profile's earliest timestamp in any source (0 when the purchase was the first contact). Quantiles are over the buyers first seen before buying (nearest rank).",
    ),
    (
        "guards",
        "Junk values are rejected before linking; a generic identifier (joining too many different names or groups) links nobody; caps, the name check and the landline guard refuse single links; profiles above the alarm size are listed with the identifiers that bridge their parts.",
    ),
];

/// Writes the definitions section.
pub(super) fn definitions(s: &mut String) {
    section(s, "definitions", "Definitions", "");
    s.push_str("<dl>");
    for (term, text) in DEFINITIONS {
        let _ = write!(s, "<dt>{}</dt><dd>{}</dd>", esc(term), esc(text));
    }
    s.push_str("</dl></section>\n");
}
