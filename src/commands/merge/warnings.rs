//! The warnings `omni merge` gives about what it read: files without a header, columns left
//! out, bad rows, local numbers and numbers without a region. Each is said once per source
//! read in this run (an incremental night does not repeat what was said when a saved file was
//! read).

use crate::extract::Extracted;
use crate::ui::{Ui, summary};

/// Every warning about the records read, in the order the user sees them. `read_now`: per
/// source, whether it was read in this run.
pub fn about_records(extracted: &Extracted, read_now: &[bool], ui: &Ui) {
    warn_about_missing_regions(extracted, read_now, ui);
    warn_about_local_numbers(extracted, read_now, ui);
    warn_about_headerless_files(extracted, read_now, ui);
    warn_about_skipped_columns(extracted, read_now, ui);
    warn_about_bad_rows(extracted, read_now, ui);
}

/// A file whose first line held data was read without a header; say so (issue 7).
fn warn_about_headerless_files(extracted: &Extracted, read_now: &[bool], ui: &Ui) {
    for (source, _) in extracted
        .sources
        .iter()
        .zip(read_now)
        .filter(|&(s, &now)| now && s.format.headerless)
    {
        ui.warn(&format!(
            "{}:1: no header row (the first line holds an email or a phone), so it was read as \
             row 1 and the columns were named column_1, column_2, ...; add a header row to name \
             them",
            source.path.display()
        ));
    }
}

/// Parquet columns left out for their type (nested, binary; issue 16): say which, once per file.
fn warn_about_skipped_columns(extracted: &Extracted, read_now: &[bool], ui: &Ui) {
    for (source, _) in extracted
        .sources
        .iter()
        .zip(read_now)
        .filter(|&(s, &now)| now && !s.format.skipped.is_empty())
    {
        ui.warn(&format!(
            "{}: columns not read: {}",
            source.path.display(),
            crate::input::parquet::skipped_list(&source.format.skipped)
        ));
    }
}

/// Rows that could not be used at all: one line per source and reason, with the first row and
/// the likely cause (issue 7). Each row is in rejects.csv; this says where to look.
fn warn_about_bad_rows(extracted: &Extracted, read_now: &[bool], ui: &Ui) {
    use crate::reject::RejectReason;
    let mut seen: std::collections::BTreeMap<(u16, RejectReason), (u64, u64)> =
        std::collections::BTreeMap::new();
    for reject in extracted
        .rejects
        .iter()
        .filter(|r| read_now[r.source as usize])
    {
        if matches!(
            reject.reason,
            RejectReason::RaggedRow | RejectReason::UnreadableRow | RejectReason::FieldTooLong
        ) {
            let entry = seen
                .entry((reject.source, reject.reason))
                .or_insert((reject.row, 0));
            entry.1 += 1;
        }
    }
    for ((source, reason), (first, count)) in seen {
        let hint = match reason {
            RejectReason::RaggedRow => {
                "a different number of fields than the header: a delimiter inside an unquoted \
                 value, or a shifted row"
            }
            RejectReason::UnreadableRow => {
                "broken quoting: a quote opened and never closed swallows the lines after it"
            }
            _ => {
                "a field longer than max_field_bytes ([limits] in omni.toml, or --max-field-bytes)"
            }
        };
        ui.warn(&format!(
            "{}: row {first}: {} rejected as {reason} ({hint}); see rejects.csv",
            extracted.sources[source as usize].path.display(),
            summary::count(count, "row")
        ));
    }
}

/// National numbers cannot be read without a region; say so once per source, with the fix.
/// Local numbers (no area code) link only with the same local number: says so per source.
fn warn_about_local_numbers(extracted: &Extracted, read_now: &[bool], ui: &Ui) {
    for (source, _) in extracted
        .sources
        .iter()
        .zip(read_now)
        .filter(|&(_, &now)| now)
    {
        let local: u64 = source.columns.iter().map(|c| c.local).sum();
        if local > 0 {
            ui.warn(&format!(
                "{}: {} without an area code, linked only with the same local number in this \
                 run (`local_phone` in profiles.csv)",
                source.path.display(),
                crate::ui::summary::count(local, "local phone number"),
            ));
        }
    }
}

fn warn_about_missing_regions(extracted: &Extracted, read_now: &[bool], ui: &Ui) {
    for (source, _) in extracted
        .sources
        .iter()
        .zip(read_now)
        .filter(|&(s, &now)| now && s.region.code.is_none())
    {
        let unparseable: u64 = source
            .columns
            .iter()
            .filter_map(|c| {
                c.rejected
                    .get(&crate::reject::RejectReason::PhoneUnparseable)
            })
            .sum();
        if unparseable > 0 {
            ui.warn(&format!(
                "{}: {} rejected as unparseable; no phone region is known for numbers without a \
                 country code (use --country with their country, e.g. --country US)",
                source.path.display(),
                crate::ui::summary::count(unparseable, "phone number"),
            ));
        }
    }
}
