//! Explanation plots as standalone SVG, for reports: labelled bars (importance) and SHAP
//! waterfalls. Text is escaped, numbers are written with fixed precision, and the same input
//! gives the same bytes.

use std::fmt::Write as _;

/// Escapes text for XML content and attributes.
pub fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&apos;")
}

/// A CSV field, quoted when it holds a comma, quote or line break.
pub fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) { format!("\"{}\"", s.replace('"', "\"\"")) } else { s.to_owned() }
}

const WIDTH: f64 = 760.0;
const LABEL_W: f64 = 260.0;
const VALUE_W: f64 = 90.0;
const ROW_H: f64 = 24.0;
const TOP: f64 = 40.0;

fn header(title: &str, rows: usize) -> (String, f64) {
    let height = TOP + ROW_H * rows as f64 + 20.0;
    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height:.0}" viewBox="0 0 {WIDTH} {height:.0}" font-family="sans-serif" font-size="13">"#
    );
    let _ = writeln!(s, r##"<rect width="100%" height="100%" fill="#ffffff"/>"##);
    let _ =
        writeln!(s, r##"<text x="10" y="24" font-size="16" font-weight="bold" fill="#222">{}</text>"##, escape(title));
    (s, height)
}

/// One bar per row, `(label, value)`, on a shared scale with a zero line.
pub fn bars(title: &str, rows: &[(String, f64)]) -> String {
    segments(title, &rows.iter().map(|(l, v)| (l.clone(), 0.0, *v)).collect::<Vec<_>>(), |v| format!("{v:.4}"))
}

/// A SHAP waterfall: from `base`, each `(label, contribution)` (largest first) as a bar from the
/// running sum, ending at the prediction.
pub fn waterfall(title: &str, base: f64, items: &[(String, f64)]) -> String {
    // Largest first; the sort is stable, so ties keep their order.
    let mut order: Vec<&(String, f64)> = items.iter().collect();
    order.sort_by(|a, b| b.1.abs().total_cmp(&a.1.abs()));
    let mut rows = Vec::with_capacity(items.len());
    let mut sum = base;
    for (label, v) in order {
        rows.push((label.clone(), sum, *v));
        sum += v;
    }
    let mut svg = segments(&format!("{title}: base {base:.4} → prediction {sum:.4}"), &rows, |v| format!("{v:+.4}"));
    // Close with the prediction line.
    svg.truncate(svg.trim_end().trim_end_matches("</svg>").len());
    svg.push_str("</svg>\n");
    svg
}

/// Bars `(label, start, length)`.
fn segments(title: &str, rows: &[(String, f64, f64)], fmt: impl Fn(f64) -> String) -> String {
    let (mut s, height) = header(title, rows.len());
    let lo = rows.iter().map(|r| r.1.min(r.1 + r.2)).fold(0.0, f64::min);
    let hi = rows.iter().map(|r| r.1.max(r.1 + r.2)).fold(0.0, f64::max);
    let span = if hi - lo > 0.0 { hi - lo } else { 1.0 };
    let bar_w = WIDTH - LABEL_W - VALUE_W - 20.0;
    let x = |v: f64| LABEL_W + 10.0 + (v - lo) / span * bar_w;
    let _ = writeln!(
        s,
        r##"<line x1="{0:.1}" y1="{TOP}" x2="{0:.1}" y2="{1:.1}" stroke="#999" stroke-width="1"/>"##,
        x(0.0),
        height - 16.0
    );
    for (i, (label, start, len)) in rows.iter().enumerate() {
        let y = TOP + ROW_H * i as f64;
        let (a, b) = (x(*start), x(start + len));
        let color = if *len >= 0.0 { "#d6443c" } else { "#3278cd" };
        let _ = writeln!(
            s,
            r##"<text x="{LABEL_W}" y="{:.1}" text-anchor="end" fill="#222">{}</text>"##,
            y + 16.0,
            escape(label)
        );
        let _ = writeln!(
            s,
            r#"<rect x="{:.1}" y="{:.1}" width="{:.1}" height="{:.1}" fill="{color}"/>"#,
            a.min(b),
            y + 4.0,
            (b - a).abs().max(1.0),
            ROW_H - 8.0
        );
        let _ = writeln!(
            s,
            r##"<text x="{:.1}" y="{:.1}" fill="#222" font-family="monospace">{}</text>"##,
            a.max(b) + 6.0,
            y + 16.0,
            escape(&fmt(*len))
        );
    }
    s.push_str("</svg>\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn svg_is_well_formed_escaped_and_stable() {
        let rows = vec![("Torque [Nm] < 5 & \"hot\"".to_owned(), 0.25), ("Type".to_owned(), -0.1)];
        let a = bars("Importance", &rows);
        assert!(a.starts_with("<svg") && a.trim_end().ends_with("</svg>"));
        assert!(a.contains("&lt; 5 &amp; &quot;hot&quot;"));
        assert_eq!(a, bars("Importance", &rows));
        let w = waterfall("Row 7", 0.1, &rows);
        assert!(w.contains("prediction 0.2500"), "{w}");
        assert_eq!(w.matches("<rect x=").count(), 2);
    }
}
