//! The probabilistic links of a profile (`--match probabilistic`), each as a waterfall: the
//! prior's weight, then each comparison's level and weight with the running total, then the
//! match weight and probability (as Splink's waterfall chart shows them). Read from
//! `probabilistic.csv`.

use std::collections::BTreeSet;

use super::tables::{Edge, OutDir};
use crate::fuzzy::Comparison;

/// One link of `probabilistic.csv`.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Scored {
    pub(super) number: u32,
    pub(super) weight: f64,
    pub(super) probability: String,
    pub(super) a: String,
    pub(super) b: String,
    /// Per comparison: its name, level label and weight.
    pub(super) parts: Vec<(&'static str, String, f64)>,
}

/// The link numbers of the profile's probabilistic edges (`via_value` = `<weight>#<link>`).
fn numbers(edges: &[Edge]) -> BTreeSet<u32> {
    edges
        .iter()
        .filter(|e| e.via_kind == crate::fuzzy::NAMESPACE)
        .filter_map(|e| e.via_value.rsplit_once('#')?.1.parse().ok())
        .collect()
}

/// The scored links behind the profile's probabilistic edges, in link order.
pub(super) fn links_of(out: &OutDir, edges: &[Edge]) -> anyhow::Result<Vec<Scored>> {
    let wanted = numbers(edges);
    if wanted.is_empty() {
        return Ok(Vec::new());
    }
    let mut found = Vec::new();
    let columns = [
        "link",
        "weight",
        "probability",
        "source_a",
        "row_a",
        "source_b",
        "row_b",
        "first_name",
        "last_name",
        "birth_date",
        "address",
        "postcode",
        "city",
        "email",
        "phone",
    ];
    out.scan(&out.file("probabilistic.csv"), columns, |f| {
        let number: u32 = f[0].parse().unwrap_or(0);
        if wanted.contains(&number) {
            let parts = Comparison::ALL
                .iter()
                .zip(&f[7..])
                .map(|(c, cell)| {
                    let (label, weight) = cell.rsplit_once('|').unwrap_or((cell, "0"));
                    (c.name(), label.to_owned(), weight.parse().unwrap_or(0.0))
                })
                .collect();
            found.push(Scored {
                number,
                weight: f[1].parse().unwrap_or(0.0),
                probability: f[2].to_owned(),
                a: format!("{}:{}", f[3], f[4]),
                b: format!("{}:{}", f[5], f[6]),
                parts,
            });
        }
        Ok(found.len() < wanted.len())
    })?;
    Ok(found)
}

/// The waterfalls, or nothing when the profile has no probabilistic link.
pub(super) fn render(links: &[Scored]) -> String {
    use std::fmt::Write;
    if links.is_empty() {
        return String::new();
    }
    let mut s =
        String::from("\nProbabilistic links (match weight in bits: prior + each comparison):\n");
    for link in links {
        let prior = link.weight - link.parts.iter().map(|p| p.2).sum::<f64>();
        let _ = writeln!(
            s,
            "  link {}: {} ~ {}  weight {:.2}, probability {}",
            link.number, link.a, link.b, link.weight, link.probability
        );
        let _ = writeln!(
            s,
            "    {:<12} {:<36} {:>7.2} {:>8.2}",
            "prior", "", prior, prior
        );
        let mut total = prior;
        for (name, label, weight) in &link.parts {
            total += weight;
            let _ = writeln!(s, "    {name:<12} {label:<36} {weight:>+7.2} {total:>8.2}");
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waterfall_runs_from_the_prior_to_the_weight() {
        let link = Scored {
            number: 3,
            weight: 5.0,
            probability: "0.969697".to_owned(),
            a: "a:1".to_owned(),
            b: "b:2".to_owned(),
            parts: vec![
                ("first_name", "exact".to_owned(), 8.0),
                ("birth_date", "different".to_owned(), -3.0),
            ],
        };
        let text = render(&[link]);
        assert!(
            text.contains("link 3: a:1 ~ b:2  weight 5.00, probability 0.969697"),
            "{text}"
        );
        assert!(text.contains("prior"), "{text}");
        assert!(text.contains("first_name   exact"), "{text}");
        let last = text.lines().last().expect("a line per comparison");
        assert!(
            last.contains("-3.00") && last.trim_end().ends_with("5.00"),
            "{text}"
        );
        assert_eq!(render(&[]), "");
    }
}
