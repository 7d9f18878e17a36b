//! Hand-built SVG charts for report.html: horizontal bars, vertical histogram bars, a heatmap
//! and a stacked bar. Each returns one `<svg>` element as a string, sized by `viewBox` so it
//! scales with the page and prints sharply; colours come from CSS classes in the page.
//!
//! Hand-built rather than `plotters`: four chart shapes of a few dozen lines each need no
//! drawing library, add no dependency to a cold CI build, and keep text as real, selectable,
//! searchable `<text>` in the system font (plotters' SVG backend positions text itself and
//! would need font metrics for Cyrillic labels).

use std::fmt::Write;

use super::esc;

/// Width of every chart in SVG units (the page scales it).
const WIDTH: f64 = 720.0;

/// One labelled value for a bar chart.
pub struct Bar {
    /// Label (source name, bucket).
    pub label: String,
    /// Length of the bar, in `0..=max`.
    pub value: f64,
    /// Text written at the end of the bar.
    pub text: String,
}

/// Horizontal bars, one row per item, scaled to `max` (e.g. 1.0 for shares).
pub fn hbars(title: &str, items: &[Bar], max: f64) -> String {
    let row = 30.0;
    let label_w = 170.0;
    let text_w = 90.0;
    let plot_w = WIDTH - label_w - text_w;
    let height = row * items.len() as f64 + 24.0;
    let mut s = open(title, height);
    // Grid at 0, 25, 50, 75, 100 % of max.
    for i in 0..=4 {
        let x = label_w + plot_w * f64::from(i) / 4.0;
        let _ = write!(
            s,
            r#"<line class="grid" x1="{x:.1}" y1="0" x2="{x:.1}" y2="{:.1}"/>"#,
            height - 20.0
        );
        if max == 1.0 {
            let _ = write!(
                s,
                r#"<text class="axis" x="{x:.1}" y="{:.1}" text-anchor="middle">{}%</text>"#,
                height - 6.0,
                i * 25
            );
        }
    }
    for (i, item) in items.iter().enumerate() {
        let y = row * i as f64;
        let w = if max > 0.0 {
            (item.value / max).clamp(0.0, 1.0) * plot_w
        } else {
            0.0
        };
        let _ = write!(
            s,
            r#"<g><title>{label}: {text}</title><text class="label" x="{lx:.1}" y="{ty:.1}" text-anchor="end">{short}</text><rect class="bar" x="{label_w:.1}" y="{by:.1}" width="{w:.1}" height="{bh:.1}" rx="3"/><text class="value" x="{vx:.1}" y="{ty:.1}">{text}</text></g>"#,
            label = esc(&item.label),
            short = esc(&shorten(&item.label, 22)),
            text = esc(&item.text),
            lx = label_w - 10.0,
            ty = y + row / 2.0 + 5.0,
            by = y + 5.0,
            bh = row - 10.0,
            vx = label_w + w + 8.0,
        );
    }
    s.push_str("</svg>");
    s
}

/// Vertical bars (a histogram): one column per item, scaled to the largest value, `width` SVG
/// units wide (narrower for charts drawn side by side, so their text keeps its size).
pub fn columns(title: &str, items: &[Bar], axis_label: &str, width: f64) -> String {
    let height = 230.0;
    let top = 22.0;
    let bottom = 44.0;
    let plot_h = height - top - bottom;
    let max = items.iter().map(|b| b.value).fold(0.0, f64::max);
    let slot = width / items.len().max(1) as f64;
    let bar_w = (slot * 0.62).min(90.0);
    let mut s = open_sized(title, width, height);
    let base = top + plot_h;
    let _ = write!(
        s,
        r#"<line class="axis-line" x1="0" y1="{base:.1}" x2="{width:.1}" y2="{base:.1}"/>"#
    );
    for (i, item) in items.iter().enumerate() {
        let h = if max > 0.0 {
            item.value / max * plot_h
        } else {
            0.0
        };
        let cx = slot * (i as f64 + 0.5);
        let _ = write!(
            s,
            r#"<g><title>{label}: {text}</title><rect class="bar" x="{x:.1}" y="{y:.1}" width="{bar_w:.1}" height="{h:.1}" rx="3"/><text class="value" x="{cx:.1}" y="{ty:.1}" text-anchor="middle">{text}</text><text class="label" x="{cx:.1}" y="{ly:.1}" text-anchor="middle">{short}</text></g>"#,
            label = esc(&item.label),
            short = esc(&shorten(&item.label, 16)),
            text = esc(&item.text),
            x = cx - bar_w / 2.0,
            y = base - h,
            ty = base - h - 6.0,
            ly = base + 18.0,
        );
    }
    let _ = write!(
        s,
        r#"<text class="axis" x="{:.1}" y="{:.1}" text-anchor="middle">{}</text></svg>"#,
        width / 2.0,
        height - 4.0,
        esc(axis_label)
    );
    s
}

/// The overlap matrix: cell (i, j) coloured by `share[i][j]`, labelled with the count and share.
pub fn heatmap(title: &str, names: &[String], counts: &[Vec<u64>], share: &[Vec<f64>]) -> String {
    let n = names.len().max(1);
    let label_w = 150.0;
    let head_h = 34.0;
    let cell_w = ((WIDTH - label_w) / n as f64).min(120.0);
    let cell_h = 46.0;
    let width = label_w + cell_w * n as f64;
    let height = head_h + cell_h * n as f64;
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {width:.1} {height:.1}" style="max-width:{width:.0}px" role="img" aria-label="{t}"><title>{t}</title>"#,
        t = esc(title)
    );
    for (j, name) in names.iter().enumerate() {
        let _ = write!(
            s,
            r#"<text class="label" x="{:.1}" y="{:.1}" text-anchor="middle"><title>{}</title>{}</text>"#,
            label_w + cell_w * (j as f64 + 0.5),
            head_h - 12.0,
            esc(name),
            esc(&shorten(name, (cell_w / 8.0) as usize))
        );
    }
    for (i, name) in names.iter().enumerate() {
        let y = head_h + cell_h * i as f64;
        let _ = write!(
            s,
            r#"<text class="label" x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"#,
            label_w - 10.0,
            y + cell_h / 2.0 + 5.0,
            esc(&shorten(name, 18))
        );
        for (j, other) in names.iter().enumerate() {
            let v = share[i][j].clamp(0.0, 1.0);
            let x = label_w + cell_w * j as f64;
            let _ = write!(
                s,
                r##"<g><title>{a} → {b}: {c} profiles, {p} of {a}'s profiles</title><rect x="{x:.1}" y="{y:.1}" width="{w:.1}" height="{h:.1}" fill="{fill}" stroke="#fff" stroke-width="2"/><text class="{cls}" x="{tx:.1}" y="{ty:.1}" text-anchor="middle">{c}</text><text class="{cls} small" x="{tx:.1}" y="{ty2:.1}" text-anchor="middle">{p}</text></g>"##,
                a = esc(name),
                b = esc(other),
                c = counts[i][j],
                p = percent(v),
                w = cell_w,
                h = cell_h,
                fill = heat(v),
                cls = if v > 0.55 { "on-dark" } else { "on-light" },
                tx = x + cell_w / 2.0,
                ty = y + cell_h / 2.0 - 1.0,
                ty2 = y + cell_h / 2.0 + 14.0,
            );
        }
    }
    s.push_str("</svg>");
    s
}

/// One segment of a stacked bar.
pub struct Segment {
    /// Legend text.
    pub label: String,
    /// Count.
    pub value: u64,
    /// CSS class giving its colour (`seg1` .. `seg4`).
    pub class: &'static str,
}

/// A single bar split into segments, with a legend below.
pub fn stacked(title: &str, parts: &[Segment]) -> String {
    let total: u64 = parts.iter().map(|p| p.value).sum();
    let height = 40.0 + 26.0 * parts.len().div_ceil(2) as f64;
    let mut s = open(title, height);
    let mut x = 0.0;
    for p in parts {
        let w = if total == 0 {
            0.0
        } else {
            p.value as f64 / total as f64 * WIDTH
        };
        let _ = write!(
            s,
            r#"<g><title>{l}: {v}</title><rect class="{c}" x="{x:.1}" y="0" width="{w:.1}" height="28"/></g>"#,
            l = esc(&p.label),
            v = p.value,
            c = p.class
        );
        if w > 44.0 {
            let _ = write!(
                s,
                r#"<text class="on-dark" x="{:.1}" y="19" text-anchor="middle">{}</text>"#,
                x + w / 2.0,
                p.value
            );
        }
        x += w;
    }
    for (i, p) in parts.iter().enumerate() {
        let lx = if i % 2 == 0 { 0.0 } else { WIDTH / 2.0 };
        let ly = 44.0 + 26.0 * (i / 2) as f64;
        let _ = write!(
            s,
            r#"<rect class="{c}" x="{lx:.1}" y="{:.1}" width="14" height="14" rx="2"/><text class="label" x="{:.1}" y="{ly:.1}">{l}: {v} ({p})</text>"#,
            ly - 11.0,
            lx + 20.0,
            c = p.class,
            l = esc(&p.label),
            v = p.value,
            p = percent(if total == 0 {
                0.0
            } else {
                p.value as f64 / total as f64
            }),
        );
    }
    s.push_str("</svg>");
    s
}

fn open(title: &str, height: f64) -> String {
    open_sized(title, WIDTH, height)
}

fn open_sized(title: &str, width: f64, height: f64) -> String {
    format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {width:.0} {height:.1}" role="img" aria-label="{t}"><title>{t}</title>"#,
        t = esc(title)
    )
}

/// A share as a percentage with one decimal.
pub fn percent(share: f64) -> String {
    format!("{:.1}%", share * 100.0)
}

/// Blue scale from near-white (0) to deep blue (1).
fn heat(v: f64) -> String {
    let (from, to) = ([239.0, 244.0, 255.0], [30.0, 58.0, 138.0]);
    let c: Vec<u8> = (0..3)
        .map(|k| (from[k] + (to[k] - from[k]) * v).round() as u8)
        .collect();
    format!("#{:02x}{:02x}{:02x}", c[0], c[1], c[2])
}

/// At most `max` characters, with `…` when cut (by characters, so Cyrillic is never split).
fn shorten(s: &str, max: usize) -> String {
    let max = max.max(4);
    if s.chars().count() <= max {
        s.to_owned()
    } else {
        let mut out: String = s.chars().take(max - 1).collect();
        out.push('…');
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_escaped_and_cut_by_characters() {
        let bars = [Bar {
            label: "<script>&\"Магазин на Тверской улице\"".to_owned(),
            value: 0.5,
            text: "50%".to_owned(),
        }];
        let svg = hbars("t", &bars, 1.0);
        assert!(!svg.contains("<script>"));
        assert!(svg.contains("&lt;script&gt;&amp;&quot;Магазин"));
        assert_eq!(shorten("Номер карты клиента", 8), "Номер к…");
    }

    #[test]
    fn heat_runs_from_light_to_dark() {
        assert_eq!(heat(0.0), "#eff4ff");
        assert_eq!(heat(1.0), "#1e3a8a");
    }

    #[test]
    fn empty_inputs_draw_empty_charts() {
        assert!(columns("t", &[], "x", 400.0).ends_with("</svg>"));
        assert!(stacked("t", &[]).ends_with("</svg>"));
        assert!(heatmap("t", &[], &[], &[]).ends_with("</svg>"));
    }
}
