//! Pure rendering of explanations: the profile summary, the join tree, refused links.

use std::collections::{BTreeSet, HashMap};
use std::fmt::Write as _;

use super::tables::{Edge, Profile, RecordRef, Refused};
use super::{ALSO_LIMIT, REFUSED_LIMIT, TREE_LIMIT};

/// `phone +7…: generic — joins 452 different names (limit 20)`.
pub(super) fn refused_reason(row: &Refused) -> String {
    let mut text = format!("{} {}: {}", row.kind, row.value, row.rule);
    if !row.detail.is_empty() {
        let _ = write!(text, " — {}", row.detail);
    }
    text
}

/// `1 record`, `6 records`.
fn count(n: usize, noun: &str) -> String {
    crate::ui::summary::count(n as u64, noun)
}

/// The whole explanation of one profile: summary, join tree, refused links.
pub(super) fn render_profile(
    profile: &Profile,
    edges: &[Edge],
    refused: &[Refused],
    also: &[String],
) -> String {
    let mut text = format!("profile {}", profile.id);
    if !profile.name.is_empty() {
        let _ = write!(text, ": {}", profile.name);
    }
    let records = profile.records.parse().unwrap_or(edges.len());
    let _ = writeln!(
        text,
        "\n  {} from {}: {}",
        count(records, "record"),
        count(profile.sources.len(), "source"),
        profile.sources.join(", ")
    );
    let lists = [
        ("emails:", &profile.emails),
        ("phones:", &profile.phones),
        ("cards:", &profile.cards),
        ("ids:", &profile.ids),
    ];
    for (label, values) in lists.into_iter().filter(|(_, v)| !v.is_empty()) {
        let _ = writeln!(text, "  {label:<7} {}", values.join(", "));
    }
    let seen = match (profile.first_seen.as_str(), profile.last_seen.as_str()) {
        ("", "") => String::new(),
        (first, "") => format!("first seen {first}"),
        ("", last) => format!("last seen {last}"),
        (first, last) => format!("first seen {first}, last seen {last}"),
    };
    if !seen.is_empty() {
        let _ = writeln!(text, "  {seen}");
    }
    text.push_str("\nhow the records were joined:\n");
    match edges.is_empty() {
        true => text.push_str("  (no rows for this profile in edges.csv)\n"),
        false => text.push_str(&render_tree(edges, TREE_LIMIT)),
    }
    text.push('\n');
    text.push_str(&render_refused_list(refused, REFUSED_LIMIT));
    if !also.is_empty() {
        let more = if also.len() == ALSO_LIMIT {
            ", …"
        } else {
            ""
        };
        let _ = writeln!(text, "\nthe query also matches: {}{more}", also.join(", "));
    }
    text
}

/// `web_shop:57 [100057] Макар Шевченко`: the key and name only when present.
pub(super) fn record_label(edge: &Edge) -> String {
    let mut label = edge.record.to_string();
    if !edge.key.is_empty() {
        let _ = write!(label, " [{}]", edge.key);
    }
    if !edge.name.is_empty() {
        let _ = write!(label, " {}", edge.name);
    }
    label
}

/// Draws the spanning tree of `edges` with box-drawing characters, children in file
/// (breadth-first) order, at most `limit` records.
///
/// Every line but a root's reads `<kind> <value> → <record>`. A record whose parent is missing
/// (a damaged `edges.csv`) is drawn as one more root that still names its link, and records on a
/// parent cycle are drawn once each, so that nothing is lost or repeated.
pub(super) fn render_tree(edges: &[Edge], limit: usize) -> String {
    let index: HashMap<&RecordRef, usize> = edges
        .iter()
        .enumerate()
        .map(|(i, e)| (&e.record, i))
        .collect();
    let mut children = vec![Vec::new(); edges.len()];
    let mut roots = Vec::new();
    for (i, edge) in edges.iter().enumerate() {
        match edge.parent.as_ref().and_then(|p| index.get(p)) {
            Some(&parent) if parent != i => children[parent].push(i),
            _ => roots.push(i),
        }
    }
    let mut tree = Tree {
        edges,
        children,
        visited: vec![false; edges.len()],
        shown: 0,
        limit,
        text: String::new(),
    };
    for root in roots {
        tree.root(root);
    }
    // Only a parent cycle leaves records unvisited; start from each of them in turn.
    for i in 0..edges.len() {
        if !tree.visited[i] {
            tree.root(i);
        }
    }
    let hidden = edges.len() - tree.shown;
    if hidden > 0 {
        let _ = writeln!(
            tree.text,
            "… {hidden} more {} (all are in edges.csv)",
            if hidden == 1 { "record" } else { "records" }
        );
    }
    tree.text
}

/// State of [`render_tree`]'s depth-first walk.
pub(super) struct Tree<'a> {
    pub(super) edges: &'a [Edge],
    pub(super) children: Vec<Vec<usize>>,
    pub(super) visited: Vec<bool>,
    pub(super) shown: usize,
    pub(super) limit: usize,
    pub(super) text: String,
}

impl Tree<'_> {
    pub(super) fn root(&mut self, i: usize) {
        if self.shown >= self.limit || self.visited[i] {
            return;
        }
        self.visited[i] = true;
        self.shown += 1;
        let edge = &self.edges[i];
        let _ = write!(self.text, "{}", record_label(edge));
        if let Some(parent) = &edge.parent {
            let _ = write!(
                self.text,
                " (reached from {parent} through {} {})",
                edge.via_kind, edge.via_value
            );
        }
        self.text.push('\n');
        self.walk(i, "");
    }

    /// Draws the children of `i` below it; the depth is bounded by `limit`.
    pub(super) fn walk(&mut self, i: usize, prefix: &str) {
        let children = std::mem::take(&mut self.children[i]);
        for (n, &child) in children.iter().enumerate() {
            if self.shown >= self.limit {
                break;
            }
            if self.visited[child] {
                continue;
            }
            self.visited[child] = true;
            self.shown += 1;
            let last = n + 1 == children.len();
            let edge = &self.edges[child];
            let _ = writeln!(
                self.text,
                "{prefix}{}{} {} → {}",
                if last { "└── " } else { "├── " },
                edge.via_kind,
                edge.via_value,
                record_label(edge)
            );
            let deeper = format!("{prefix}{}", if last { "    " } else { "│   " });
            self.walk(child, &deeper);
        }
    }
}

/// `refused links (N):` and one line per link, at most `limit`.
pub(super) fn render_refused_list(refused: &[Refused], limit: usize) -> String {
    if refused.is_empty() {
        return "refused links: none\n".to_owned();
    }
    let mut text = format!("refused links ({}):\n", refused.len());
    for row in refused.iter().take(limit) {
        let _ = writeln!(text, "  {} {}", row.record, refused_reason(row));
    }
    if refused.len() > limit {
        let _ = writeln!(text, "  … and {} more", refused.len() - limit);
    }
    text
}

/// For an identifier known only to `refused.csv`: per identifier, why it links nobody and which
/// records hold it.
pub(super) fn render_refused_identifier(rows: &[Refused]) -> String {
    let mut groups: Vec<((&str, &str), Vec<&Refused>)> = Vec::new();
    let mut sorted: Vec<&Refused> = rows.iter().collect();
    sorted.sort_by(|a, b| (&a.kind, &a.value, &a.record).cmp(&(&b.kind, &b.value, &b.record)));
    for row in sorted {
        let key = (row.kind.as_str(), row.value.as_str());
        match groups.last_mut() {
            Some((last, members)) if *last == key => members.push(row),
            _ => groups.push((key, vec![row])),
        }
    }
    let mut text = String::new();
    for (n, ((kind, value), members)) in groups.iter().enumerate() {
        if n > 0 {
            text.push('\n');
        }
        let _ = writeln!(
            text,
            "{kind} {value} is in no profile: the over-merge guards refused every link through it"
        );
        let reasons: BTreeSet<(&str, &str)> = members
            .iter()
            .map(|r| (r.rule.as_str(), r.detail.as_str()))
            .collect();
        for (rule, detail) in reasons {
            match detail.is_empty() {
                true => writeln!(text, "  {rule}"),
                false => writeln!(text, "  {rule} — {detail}"),
            }
            .expect("writing to a String cannot fail");
        }
        let _ = writeln!(text, "\nrecords holding it ({}):", members.len());
        for row in members.iter().take(REFUSED_LIMIT) {
            let profile = match row.profile_id.as_str() {
                "" => "no profile".to_owned(),
                id => format!("profile {id}"),
            };
            let _ = writeln!(text, "  {} ({}) → {profile}", row.record, row.rule);
        }
        if members.len() > REFUSED_LIMIT {
            let _ = writeln!(text, "  … and {} more", members.len() - REFUSED_LIMIT);
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(text: &str) -> RecordRef {
        super::super::parse_record_query(text).expect("source:row")
    }

    /// `edge("a:1", "[key] name", Some(("b:2", "email", "x@y")))`.
    fn edge(at: &str, key: &str, name: &str, via: Option<(&str, &str, &str)>) -> Edge {
        Edge {
            record: record(at),
            key: key.to_owned(),
            name: name.to_owned(),
            parent: via.map(|(parent, _, _)| record(parent)),
            via_kind: via.map_or("", |v| v.1).to_owned(),
            via_value: via.map_or("", |v| v.2).to_owned(),
        }
    }

    fn sample_edges() -> Vec<Edge> {
        let mail = "makarshevchenko1975@mail.ru";
        vec![
            edge("web_shop:57", "100057", "Макар Шевченко", None),
            edge(
                "mobile_app:33",
                "500033",
                "Makar Shevchenko",
                Some(("web_shop:57", "email", mail)),
            ),
            edge(
                "email_list:4",
                "e2acb735710a",
                "Макар",
                Some(("web_shop:57", "email", mail)),
            ),
            edge(
                "loyalty:12",
                "",
                "Шевченко Макар",
                Some(("mobile_app:33", "phone", "+79840425042")),
            ),
            edge(
                "pos_receipts:88",
                "",
                "",
                Some(("loyalty:12", "card", "40633732")),
            ),
        ]
    }

    #[test]
    fn tree_draws_breadth_first_rows_as_nested_branches() {
        assert_eq!(
            render_tree(&sample_edges(), TREE_LIMIT),
            "\
web_shop:57 [100057] Макар Шевченко
├── email makarshevchenko1975@mail.ru → mobile_app:33 [500033] Makar Shevchenko
│   └── phone +79840425042 → loyalty:12 Шевченко Макар
│       └── card 40633732 → pos_receipts:88
└── email makarshevchenko1975@mail.ru → email_list:4 [e2acb735710a] Макар
"
        );
    }

    #[test]
    fn tree_is_cut_at_the_limit_and_counts_the_rest() {
        let text = render_tree(&sample_edges(), 3);
        assert_eq!(text.lines().count(), 4, "{text}");
        assert!(
            text.ends_with("… 2 more records (all are in edges.csv)\n"),
            "{text}"
        );
    }

    #[test]
    fn tree_shows_orphans_and_cycles_once_each() {
        let edges = vec![
            edge("a:1", "", "", None),
            edge("b:2", "", "", Some(("z:9", "card", "123"))),
            edge("c:3", "", "", Some(("d:4", "phone", "+1"))),
            edge("d:4", "", "", Some(("c:3", "phone", "+2"))),
        ];
        let text = render_tree(&edges, TREE_LIMIT);
        assert_eq!(
            text,
            "\
a:1
b:2 (reached from z:9 through card 123)
c:3 (reached from d:4 through phone +1)
└── phone +2 → d:4
"
        );
    }

    fn refused(at: &str, kind: &str, value: &str, rule: &str, detail: &str) -> Refused {
        Refused {
            rule: rule.to_owned(),
            record: record(at),
            kind: kind.to_owned(),
            value: value.to_owned(),
            profile_id: String::new(),
            detail: detail.to_owned(),
        }
    }

    #[test]
    fn refused_list_is_capped() {
        let rows: Vec<Refused> = (1..=3)
            .map(|n| refused(&format!("s:{n}"), "phone", "+7", "generic", ""))
            .collect();
        assert_eq!(
            render_refused_list(&rows, 2),
            "refused links (3):\n  s:1 phone +7: generic\n  s:2 phone +7: generic\n  … and 1 more\n"
        );
        assert_eq!(render_refused_list(&[], 2), "refused links: none\n");
    }

    #[test]
    fn profile_summary_lists_only_present_identifiers() {
        let profile = Profile {
            id: "P0a782ab700643238".to_owned(),
            name: "Макар Шевченко".to_owned(),
            records: "1".to_owned(),
            sources: vec!["web_shop".to_owned()],
            cards: vec!["40633732".to_owned()],
            ..Profile::default()
        };
        let text = render_profile(&profile, &sample_edges()[..1], &[], &[]);
        assert_eq!(
            text,
            "\
profile P0a782ab700643238: Макар Шевченко
  1 record from 1 source: web_shop
  cards:  40633732

how the records were joined:
web_shop:57 [100057] Макар Шевченко

refused links: none
"
        );
    }

    #[test]
    fn refused_identifier_report_groups_by_value() {
        let mut row = refused(
            "pos_receipts:45",
            "phone",
            "+74992311042",
            "generic",
            "joins 452 different names (limit 20)",
        );
        let other = refused(
            "web_shop:3",
            "phone",
            "+74992311042",
            "generic",
            &row.detail,
        );
        row.profile_id = "P0ebb5327f593f29c".to_owned();
        assert_eq!(
            render_refused_identifier(&[other, row]),
            "\
phone +74992311042 is in no profile: the over-merge guards refused every link through it
  generic — joins 452 different names (limit 20)

records holding it (2):
  pos_receipts:45 (generic) → profile P0ebb5327f593f29c
  web_shop:3 (generic) → no profile
"
        );
    }
}
