//! The probabilistic pass in report.html (`--match probabilistic`): the learned weights, what
//! blocking proposed, and the closest calls as waterfalls (the prior, then each comparison's
//! weight, running up or down to the link's match weight).

use std::fmt::Write;

use super::tables::{Cell, table};
use super::{esc, section};
use crate::fuzzy::{Summary, Waterfall};

/// The section.
pub(super) fn render(s: &mut String, p: &Summary) {
    section(
        s,
        "probabilistic",
        "Probabilistic links",
        "Records that exact identifiers left apart, compared within blocks with Fellegi-Sunter weights learned from the exact links (m) and random pairs (u); every link is a row of probabilistic.csv and `omni explain` draws its waterfall.",
    );
    let m = &p.model;
    let _ = write!(
        s,
        "<p>{} candidate pairs, {} at or above probability {}; {} refused by the name check; {} links; {} records without identifiers placed in profiles. Prior {:.3e} ({:+.2} bits), m from {} exact-link pairs, u from {} random pairs, {} EM iterations.</p>",
        p.candidate_pairs,
        p.above_threshold,
        m.threshold,
        p.refused_name_mismatch,
        p.links,
        p.records_placed,
        m.prior,
        m.prior_weight,
        m.labelled_pairs,
        m.random_pairs,
        m.em_iterations,
    );
    let rows: Vec<Vec<Cell>> = m
        .comparisons
        .iter()
        .flat_map(|c| {
            c.levels.iter().map(move |l| {
                vec![
                    Cell::code(&c.comparison),
                    Cell::text(&l.label),
                    Cell::right(&format!("{:.4}", l.m)),
                    Cell::right(&format!("{:.6}", l.u)),
                    Cell::right(&format!("{:+.2}", l.weight)),
                    Cell::text(&c.m_from),
                ]
            })
        })
        .collect();
    table(
        s,
        &["comparison", "level", "m", "u", "weight (bits)", "m from"],
        &rows,
    );
    let rows: Vec<Vec<Cell>> = p
        .blocking
        .iter()
        .map(|b| {
            vec![
                Cell::code(&b.rule),
                Cell::num(b.records),
                Cell::num(b.pairs),
                Cell::num(b.large_blocks),
            ]
        })
        .collect();
    table(
        s,
        &[
            "blocking rule",
            "records with a key",
            "pairs",
            "large blocks",
        ],
        &rows,
    );
    for w in &p.closest {
        waterfall(s, w);
    }
    s.push_str("</section>\n");
}

/// One link as a waterfall of bars: each starts where the running total stood.
fn waterfall(s: &mut String, w: &Waterfall) {
    let _ = write!(
        s,
        "<h3>{} ~ {}: weight {:.2}, probability {:.6}</h3>",
        esc(&w.a),
        esc(&w.b),
        w.weight,
        w.probability
    );
    let mut steps = vec![("prior".to_owned(), String::new(), w.prior)];
    steps.extend(w.parts.iter().map(|(c, l, x)| (c.clone(), l.clone(), *x)));
    let mut total = 0.0;
    let rows: Vec<Vec<Cell>> = steps
        .iter()
        .map(|(name, level, weight)| {
            total += weight;
            vec![
                Cell::code(name),
                Cell::text(level),
                Cell::right(&format!("{weight:+.2}")),
                Cell::right(&format!("{total:.2}")),
            ]
        })
        .collect();
    table(s, &["step", "level", "weight", "running total"], &rows);
}
