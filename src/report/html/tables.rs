//! Tables and number formatting for report.html: cells are escaped when built, so a table can
//! only hold text from the data as text.

use std::fmt::Write;

use super::esc;
use super::svg::percent;

/// A table cell: escaped content and a class.
pub(super) struct Cell {
    html: String,
    class: &'static str,
}

impl Cell {
    pub(super) fn text(v: &str) -> Cell {
        Cell {
            html: esc(v),
            class: "",
        }
    }
    pub(super) fn right(v: &str) -> Cell {
        Cell {
            html: esc(v),
            class: "num",
        }
    }
    pub(super) fn num(v: u64) -> Cell {
        Cell::right(&v.to_string())
    }
    pub(super) fn code(v: &str) -> Cell {
        Cell {
            html: format!("<code>{}</code>", esc(v)),
            class: "",
        }
    }
    /// A share as text over a small bar.
    pub(super) fn meter(v: f64) -> Cell {
        Cell {
            html: format!(
                "{}<span class=\"meter\"><span style=\"width:{:.1}%\"></span></span>",
                percent(v),
                (v * 100.0).clamp(0.0, 100.0)
            ),
            class: "num",
        }
    }
}

/// Writes an HTML table (in a horizontally scrolling box on narrow screens).
pub(super) fn table(s: &mut String, header: &[&str], rows: &[Vec<Cell>]) {
    let class = if header.len() <= 3 {
        " class=\"narrow\""
    } else {
        ""
    };
    let _ = write!(s, "<div class=\"scroll\"><table{class}><thead><tr>");
    for h in header {
        let _ = write!(s, "<th>{}</th>", esc(h));
    }
    s.push_str("</tr></thead><tbody>");
    for row in rows {
        s.push_str("<tr>");
        for c in row {
            if c.class.is_empty() {
                let _ = write!(s, "<td>{}</td>", c.html);
            } else {
                let _ = write!(s, "<td class=\"{}\">{}</td>", c.class, c.html);
            }
        }
        s.push_str("</tr>");
    }
    s.push_str("</tbody></table></div>");
}

/// Money with two decimals and thin-space thousands (`4 822 130.81`).
pub(super) fn money(v: f64) -> String {
    let text = format!("{v:.2}");
    let (int, frac) = text.split_once('.').unwrap_or((&text, "00"));
    let (sign, digits) = int.strip_prefix('-').map_or(("", int), |d| ("-", d));
    let mut grouped = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push('\u{202f}');
        }
        grouped.push(c);
    }
    format!("{sign}{grouped}.{frac}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_groups_thousands() {
        assert_eq!(money(4_822_130.806), "4\u{202f}822\u{202f}130.81");
        assert_eq!(money(-1234.5), "-1\u{202f}234.50");
        assert_eq!(money(12.0), "12.00");
    }
}
