//! Small drawing helpers shared by panels: labelled horizontal bars and SHAP waterfalls, drawn
//! directly so every label is readable at any window size, and a blue-to-red value scale.

// Values become screen coordinates (f32); the rounding is invisible.
#![allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]

use egui::{Align2, Color32, FontId, Pos2, Rect, Sense, Stroke, Ui, Vec2};

/// One labelled bar.
#[derive(Debug, Clone)]
pub struct BarRow {
    /// Text left of the bar.
    pub label: String,
    /// Length (may be negative).
    pub value: f64,
    /// Start of the bar (0 for plain bars; the running sum for a waterfall).
    pub start: f64,
    /// Half-width of an error whisker, if any.
    pub error: Option<f64>,
    /// Fill colour.
    pub color: Color32,
    /// Text right of the bar.
    pub value_text: String,
}

/// Positive contributions (raise the output).
pub const UP: Color32 = Color32::from_rgb(214, 68, 60);
/// Negative contributions (lower the output).
pub const DOWN: Color32 = Color32::from_rgb(50, 120, 205);

/// A colour from blue (0) through grey to red (1), for feature values.
pub fn value_color(t: f64) -> Color32 {
    let t = if t.is_finite() { t.clamp(0.0, 1.0) as f32 } else { 0.5 };
    let lerp = |a: u8, b: u8, t: f32| (f32::from(a) + (f32::from(b) - f32::from(a)) * t).round() as u8;
    if t < 0.5 {
        let u = t * 2.0;
        Color32::from_rgb(lerp(40, 150, u), lerp(110, 150, u), lerp(220, 150, u))
    } else {
        let u = (t - 0.5) * 2.0;
        Color32::from_rgb(lerp(150, 230, u), lerp(150, 60, u), lerp(150, 50, u))
    }
}

/// Draws labelled horizontal bars on one scale; the zero line is marked. Returns the hovered
/// row, if any.
pub fn hbar_chart(ui: &mut Ui, rows: &[BarRow], label_width: f32) -> Option<usize> {
    let row_h = 22.0;
    let value_w = 90.0;
    let width = ui.available_width().max(label_width + value_w + 80.0);
    let (rect, resp) = ui.allocate_exact_size(Vec2::new(width, row_h * rows.len() as f32 + 6.0), Sense::hover());
    let painter = ui.painter_at(rect);
    let text = ui.visuals().text_color();
    let weak = ui.visuals().weak_text_color();
    let lo = rows.iter().map(|r| r.start.min(r.start + r.value) - r.error.unwrap_or(0.0)).fold(0.0, f64::min);
    let hi = rows.iter().map(|r| r.start.max(r.start + r.value) + r.error.unwrap_or(0.0)).fold(0.0, f64::max);
    let span = if hi - lo > 0.0 { hi - lo } else { 1.0 };
    let bar_left = rect.left() + label_width + 8.0;
    let bar_w = rect.right() - value_w - bar_left;
    let x_of = |v: f64| bar_left + ((v - lo) / span) as f32 * bar_w;
    painter
        .line_segment([Pos2::new(x_of(0.0), rect.top()), Pos2::new(x_of(0.0), rect.bottom())], Stroke::new(1.0, weak));
    let mut hovered = None;
    for (i, r) in rows.iter().enumerate() {
        let y = rect.top() + 3.0 + row_h * i as f32;
        let row_rect = Rect::from_min_size(Pos2::new(rect.left(), y), Vec2::new(width, row_h));
        if resp.hover_pos().is_some_and(|p| row_rect.contains(p)) {
            hovered = Some(i);
            painter.rect_filled(row_rect, 2.0, ui.visuals().faint_bg_color);
        }
        let label: String = if r.label.chars().count() > 40 {
            r.label.chars().take(39).chain(['…']).collect()
        } else {
            r.label.clone()
        };
        painter.text(
            Pos2::new(rect.left() + label_width, y + row_h / 2.0),
            Align2::RIGHT_CENTER,
            label,
            FontId::proportional(13.0),
            text,
        );
        let (a, b) = (x_of(r.start), x_of(r.start + r.value));
        let bar = Rect::from_x_y_ranges(a.min(b)..=a.max(b).max(a.min(b) + 1.0), (y + 4.0)..=(y + row_h - 4.0));
        painter.rect_filled(bar, 2.0, r.color);
        if let Some(e) = r.error {
            let (c, w) = (x_of(r.start + r.value), (e / span) as f32 * bar_w);
            painter.line_segment(
                [Pos2::new(c - w, y + row_h / 2.0), Pos2::new(c + w, y + row_h / 2.0)],
                Stroke::new(1.5, text),
            );
        }
        // The value goes right of the bar and of its error bar, so the two never overlap.
        let end = r.start.max(r.start + r.value) + r.error.unwrap_or(0.0);
        let tx = x_of(end).max(x_of(0.0)) + 6.0;
        painter.text(
            Pos2::new(tx.min(rect.right() - value_w + 70.0), y + row_h / 2.0),
            Align2::LEFT_CENTER,
            &r.value_text,
            FontId::monospace(12.0),
            text,
        );
    }
    hovered
}

/// Rows of a SHAP waterfall: from the base value, each contribution (largest first) as a bar
/// from the running sum, the rest folded into one row. `items` are (label, contribution).
pub fn waterfall_rows(base: f64, items: &[(String, f64)], max_rows: usize, fmt: impl Fn(f64) -> String) -> Vec<BarRow> {
    // Largest first; the sort is stable, so ties keep their order.
    let mut order: Vec<&(String, f64)> = items.iter().collect();
    order.sort_by(|a, b| b.1.abs().total_cmp(&a.1.abs()));
    let mut rows = Vec::new();
    let mut sum = base;
    for (label, v) in order.iter().take(max_rows).copied() {
        rows.push(BarRow {
            label: label.clone(),
            value: *v,
            start: sum,
            error: None,
            color: if *v >= 0.0 { UP } else { DOWN },
            value_text: format!("{}{}", if *v >= 0.0 { "+" } else { "" }, fmt(*v)),
        });
        sum += v;
    }
    let others = order.get(max_rows..).unwrap_or_default();
    if !others.is_empty() {
        let rest: f64 = others.iter().map(|item| item.1).sum();
        rows.push(BarRow {
            label: format!("{} other features", others.len()),
            value: rest,
            start: sum,
            error: None,
            color: Color32::GRAY,
            value_text: format!("{}{}", if rest >= 0.0 { "+" } else { "" }, fmt(rest)),
        });
    }
    rows
}

/// The part `rect` (in points) of a screenshot taken at `pixels_per_point`, as PNG bytes. The
/// rectangle is clipped to the image, so a plot partly scrolled out of view still saves.
///
/// # Errors
/// An empty region, or an encoder failure.
pub fn png_of_region(image: &egui::ColorImage, rect: Rect, pixels_per_point: f32) -> Result<Vec<u8>, String> {
    use image::ImageEncoder as _;
    let [w, h] = image.size;
    let ppp = if pixels_per_point.is_finite() && pixels_per_point > 0.0 { pixels_per_point } else { 1.0 };
    let bounds = Rect::from_min_size(Pos2::ZERO, Vec2::new(w as f32 / ppp, h as f32 / ppp));
    let clipped = rect.intersect(bounds);
    if !clipped.is_positive() || clipped.width() * ppp < 1.0 || clipped.height() * ppp < 1.0 {
        return Err("the plot is not on screen; scroll it into view and save again".into());
    }
    let part = image.region(&clipped, Some(ppp));
    let rgba: Vec<u8> = part.pixels.iter().flat_map(Color32::to_srgba_unmultiplied).collect();
    let mut out = Vec::new();
    image::codecs::png::PngEncoder::new(&mut out)
        .write_image(&rgba, part.size[0] as u32, part.size[1] as u32, image::ExtendedColorType::Rgba8)
        .map_err(|e| format!("could not encode the PNG: {e}"))?;
    Ok(out)
}

/// A "Save … (PNG)" button for the plot drawn in `rect`.
pub fn png_button(ui: &mut Ui, label: &str, name: &str, rect: Rect, commands: &mut Vec<crate::app::Command>) {
    if ui.button(label).on_hover_text("Saves the plot as it is drawn on screen").clicked() {
        commands.push(crate::app::Command::SavePng { name: name.to_owned(), rect });
    }
}

/// A run time as people read it: milliseconds below a second, else seconds with one decimal.
pub fn duration_text(d: std::time::Duration) -> String {
    let secs = d.as_secs_f64();
    if secs < 1.0 { format!("{:.0} ms", (secs * 1000.0).max(1.0)) } else { format!("{secs:.1} s") }
}

/// Vertical offsets that spread the dots of one beeswarm row by density, as the `shap` package
/// lays out its summary plot: values are binned into 100 steps of their range, dots of a bin
/// alternate above and below the line in row order, and the whole row is scaled so the densest
/// bin fills `row_height` (the widest pile marks where most rows are). Missing values get 0.
pub fn beeswarm_offsets(values: &[f64], row_height: f64) -> Vec<f64> {
    const BINS: f64 = 100.0;
    let finite = values.iter().copied().filter(|v| v.is_finite());
    let (lo, hi) = finite.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| (a.min(v), b.max(v)));
    let range = (hi - lo).max(1e-12);
    #[allow(clippy::cast_possible_truncation)] // a bin number within 0..=100
    let bin_of = |v: f64| if v.is_finite() { ((v - lo) / range * BINS).round() as i64 } else { -1 };
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by_key(|&i| (values.get(i).map_or(-1, |&v| bin_of(v)), i));
    let mut offsets = vec![0.0; values.len()];
    let (mut last, mut layer) = (i64::MIN, 0u32);
    let mut widest = 0.0f64;
    for i in order {
        let b = values.get(i).map_or(-1, |&v| bin_of(v));
        if b != last {
            (last, layer) = (b, 0);
        }
        if b >= 0 {
            let y = f64::from(layer.div_ceil(2)) * if layer % 2 == 1 { 1.0 } else { -1.0 };
            if let Some(o) = offsets.get_mut(i) {
                *o = y;
            }
            widest = widest.max(y.abs());
        }
        layer += 1;
    }
    let scale = 0.9 * row_height / (widest + 1.0);
    for o in &mut offsets {
        *o *= scale;
    }
    offsets
}

/// A plot axis formatter that names the whole positions 0, 1, 2, … by `labels` (bars or points
/// placed at category or period indices) and leaves the marks between them blank.
pub fn index_axis(labels: Vec<String>) -> impl Fn(egui_plot::GridMark, &std::ops::RangeInclusive<f64>) -> String {
    move |mark, _| {
        let i = mark.value.round();
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // a non-negative whole number
        if (mark.value - i).abs() < 1e-6 && i >= 0.0 {
            labels.get(i as usize).cloned().unwrap_or_default()
        } else {
            String::new()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn png_of_a_region_is_that_region() {
        let mut img = egui::ColorImage::filled([40, 20], Color32::WHITE);
        for y in 0..20 {
            for x in 20..40 {
                img.pixels[y * 40 + x] = Color32::from_rgb(200, 10, 10);
            }
        }
        // Points at 2 pixels per point: the right half is x 10..20 points.
        let png =
            png_of_region(&img, Rect::from_min_max(Pos2::new(10.0, 0.0), Pos2::new(30.0, 10.0)), 2.0).expect("png");
        let decoded = image::load_from_memory(&png).expect("decodes").to_rgba8();
        assert_eq!(decoded.dimensions(), (20, 20), "clipped to the image");
        assert!(decoded.pixels().all(|p| p.0 == [200, 10, 10, 255]));
        assert!(png_of_region(&img, Rect::from_min_max(Pos2::new(50.0, 0.0), Pos2::new(60.0, 5.0)), 2.0).is_err());
    }

    #[test]
    fn waterfall_runs_from_base_to_prediction() {
        let items = vec![("a".to_owned(), 0.2), ("b".to_owned(), -0.05), ("c".to_owned(), 0.01)];
        let rows = waterfall_rows(0.1, &items, 2, |v| format!("{v:.2}"));
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[0].label, "a");
        assert!((rows[1].start - 0.3).abs() < 1e-12);
        let end = rows.last().map(|r| r.start + r.value).unwrap_or_default();
        assert!((end - 0.26).abs() < 1e-12);
        assert_eq!(rows[2].label, "1 other features");
    }

    #[test]
    fn value_scale_ends() {
        assert_eq!(value_color(0.0), Color32::from_rgb(40, 110, 220));
        assert_eq!(value_color(1.0), Color32::from_rgb(230, 60, 50));
    }
}
