//! The heatmap of the model's output over two features.

// Counts and values become text and screen coordinates; the rounding is invisible.
#![allow(clippy::cast_possible_truncation, clippy::cast_sign_loss, clippy::cast_precision_loss)]

use egui::{Align2, Color32, FontId, Pos2, Rect, RichText, Sense, Stroke, Ui, Vec2};

use super::shorten;
use crate::app::widgets::value_color;
use crate::plan::{Heatmap, Planner};

/// Draws a heatmap of the output over two features, with the scenario's point marked and the
/// value under the pointer.
pub(super) fn heatmap_ui(ui: &mut Ui, planner: &Planner, h: &Heatmap, what: &str) -> Option<Rect> {
    let (nx, ny) = (h.xs.len(), h.ys.len());
    let (Some(&x_first), Some(&x_last), Some(&y_first), Some(&y_last)) =
        (h.xs.first(), h.xs.last(), h.ys.first(), h.ys.last())
    else {
        return None;
    };
    if h.z.n_rows() != ny || h.z.n_cols() != nx {
        return None;
    }
    let (lo, hi) =
        h.z.rows()
            .flatten()
            .copied()
            .filter(|v| v.is_finite())
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| (a.min(v), b.max(v)));
    let span = if hi > lo { hi - lo } else { 1.0 };
    let left = 70.0;
    let bottom = 40.0;
    let width = ui.available_width().clamp(260.0, 620.0);
    let height = 300.0;
    let (rect, resp) = ui.allocate_exact_size(Vec2::new(width, height), Sense::hover());
    let painter = ui.painter_at(rect);
    let plot = Rect::from_min_max(
        Pos2::new(rect.left() + left, rect.top() + 4.0),
        Pos2::new(rect.right() - 90.0, rect.bottom() - bottom),
    );
    let cw = plot.width() / nx as f32;
    let ch = plot.height() / ny as f32;
    for i in 0..ny {
        for k in 0..nx {
            let v = h.z.get(i, k);
            let t = (v - lo) / span;
            let cell = Rect::from_min_size(
                Pos2::new(plot.left() + cw * k as f32, plot.bottom() - ch * (i + 1) as f32),
                Vec2::new(cw + 0.5, ch + 0.5),
            );
            painter.rect_filled(cell, 0.0, value_color(t));
        }
    }
    let text = ui.visuals().text_color();
    let font = FontId::proportional(12.0);
    let pos_x = |x: f64| {
        let (a, b) = (x_first, x_last);
        let t = if b > a { (x - a) / (b - a) } else { 0.5 };
        plot.left() + cw * 0.5 + (plot.width() - cw) * t as f32
    };
    let pos_y = |y: f64| {
        let (a, b) = (y_first, y_last);
        let t = if b > a { (y - a) / (b - a) } else { 0.5 };
        plot.bottom() - ch * 0.5 - (plot.height() - ch) * t as f32
    };
    let (cx, cy, cz) = h.current;
    let p = Pos2::new(pos_x(cx), pos_y(cy));
    painter.circle(p, 6.0, Color32::TRANSPARENT, Stroke::new(2.5, Color32::WHITE));
    painter.circle_stroke(p, 8.0, Stroke::new(1.5, Color32::BLACK));
    let names = planner.domains();
    let (xn, yn) = (
        names.get(h.x_feature).map_or("", |d| d.name.as_str()),
        names.get(h.y_feature).map_or("", |d| d.name.as_str()),
    );
    painter.text(Pos2::new(plot.center().x, rect.bottom() - 4.0), Align2::CENTER_BOTTOM, xn, font.clone(), text);
    painter.text(
        Pos2::new(plot.left(), plot.bottom() + 4.0),
        Align2::LEFT_TOP,
        planner.format_value(h.x_feature, x_first),
        font.clone(),
        text,
    );
    painter.text(
        Pos2::new(plot.right(), plot.bottom() + 4.0),
        Align2::RIGHT_TOP,
        planner.format_value(h.x_feature, x_last),
        font.clone(),
        text,
    );
    painter.text(
        Pos2::new(plot.left() - 4.0, plot.bottom()),
        Align2::RIGHT_BOTTOM,
        planner.format_value(h.y_feature, y_first),
        font.clone(),
        text,
    );
    painter.text(
        Pos2::new(plot.left() - 4.0, plot.top()),
        Align2::RIGHT_TOP,
        planner.format_value(h.y_feature, y_last),
        font.clone(),
        text,
    );
    painter.text(
        Pos2::new(rect.left() + 2.0, plot.center().y),
        Align2::LEFT_CENTER,
        shorten(yn, 10),
        font.clone(),
        text,
    );
    // Legend.
    let lx = plot.right() + 14.0;
    for s in 0..20 {
        let t = f64::from(s) / 19.0;
        let y = plot.bottom() - plot.height() * (s as f32 + 1.0) / 20.0;
        painter.rect_filled(
            Rect::from_min_size(Pos2::new(lx, y), Vec2::new(14.0, plot.height() / 20.0 + 0.5)),
            0.0,
            value_color(t),
        );
    }
    painter.text(Pos2::new(lx + 18.0, plot.top()), Align2::LEFT_TOP, format!("{hi:.3}"), font.clone(), text);
    painter.text(Pos2::new(lx + 18.0, plot.bottom()), Align2::LEFT_BOTTOM, format!("{lo:.3}"), font.clone(), text);
    if let Some(pos) = resp.hover_pos()
        && plot.contains(pos)
    {
        let k = (((pos.x - plot.left()) / cw) as usize).min(nx - 1);
        let i = (((plot.bottom() - pos.y) / ch) as usize).min(ny - 1);
        if let (Some(&x), Some(&y)) = (h.xs.get(k), h.ys.get(i)) {
            resp.on_hover_text(format!(
                "{xn} = {}\n{yn} = {}\n{what} = {:.4}",
                planner.format_value(h.x_feature, x),
                planner.format_value(h.y_feature, y),
                h.z.get(i, k)
            ));
        }
    }
    ui.label(RichText::new(format!("{what} over {xn} and {yn}; the ring is this scenario ({cz:.4})")).small());
    Some(rect)
}
