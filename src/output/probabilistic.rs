//! `probabilistic.csv` (with `--match probabilistic`): every pair the second pass scored at or
//! above the threshold, linked or refused, with each comparison's level and weight, so that
//! `omni explain` can show why two records were joined (a waterfall, as Splink draws it).

use crate::extract::Extracted;
use crate::fuzzy::{Comparison, Link};
use crate::output::{OutDir, write_text};

/// The fixed columns; one column per comparison follows (`level|weight`).
pub const HEADER: [&str; 12] = [
    "link",
    "weight",
    "probability",
    "status",
    "source_a",
    "row_a",
    "record_key_a",
    "name_a",
    "source_b",
    "row_b",
    "record_key_b",
    "name_b",
];

/// Writes `probabilistic.csv`.
pub fn write_links(out: &mut OutDir, extracted: &Extracted, links: &[Link]) -> anyhow::Result<()> {
    write_text(out, "probabilistic.csv", &render(extracted, links)?)
}

/// The file's text.
pub fn render(extracted: &Extracted, links: &[Link]) -> anyhow::Result<String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header: Vec<&str> = HEADER.to_vec();
    header.extend(Comparison::ALL.iter().map(|c| c.name()));
    w.write_record(&header)?;
    let records = &extracted.records;
    let side = |r: u32| {
        let r = r as usize;
        [
            extracted.sources[records.source[r] as usize].name.clone(),
            records.row.get(r).to_string(),
            records.key.get(r).unwrap_or("").to_owned(),
            records.name.get(r).unwrap_or("").to_owned(),
        ]
    };
    for link in links {
        let mut row = vec![
            link.number.to_string(),
            format!("{:.2}", link.weight),
            format!("{:.6}", link.probability),
            link.refused
                .map_or("linked".to_owned(), |rule| format!("refused:{rule}")),
        ];
        row.extend(side(link.a));
        row.extend(side(link.b));
        for (k, c) in Comparison::ALL.iter().enumerate() {
            row.push(format!(
                "{}|{:+.2}",
                c.label(link.levels[k]),
                link.partials[k]
            ));
        }
        w.write_record(&row)?;
    }
    Ok(String::from_utf8(w.into_inner()?)?)
}
