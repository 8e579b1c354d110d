//! A fitted decision tree drawn as a diagram a person can read: each node shows its question in
//! the data's own terms (`Torque [Nm] ≤ 52.35`, `Type is L`), how many training rows reach it,
//! and the class mix or mean value. Drag to pan, scroll with Ctrl (or pinch) to zoom.

// Data values (f64) become screen coordinates and counts (f32, usize); the rounding is invisible.
#![allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]

use egui::{Align2, Color32, FontId, Pos2, Rect, Sense, Stroke, StrokeKind, Ui, Vec2};

use crate::model::tree::Tree;
use crate::model::{Task, TrainedModel};

const SLOT_W: f32 = 190.0;
const LEVEL_H: f32 = 120.0;
const BOX_W: f32 = 170.0;
const BOX_H: f32 = 78.0;

/// Pan/zoom state of the diagram.
#[derive(Debug)]
pub struct TreeView {
    scene_rect: Rect,
    fitted_for: Option<usize>,
    /// The node whose path is highlighted.
    pub selected: Option<usize>,
}

impl Default for TreeView {
    fn default() -> Self {
        Self { scene_rect: Rect::NOTHING, fitted_for: None, selected: None }
    }
}

/// Colours for classes, readable in light and dark themes.
// The index is taken modulo the length of a fixed array, so it is always in range.
#[allow(clippy::indexing_slicing)]
pub fn class_color(k: usize) -> Color32 {
    const PALETTE: [Color32; 8] = [
        Color32::from_rgb(66, 133, 204),
        Color32::from_rgb(222, 103, 57),
        Color32::from_rgb(80, 160, 80),
        Color32::from_rgb(170, 100, 190),
        Color32::from_rgb(200, 160, 40),
        Color32::from_rgb(60, 170, 170),
        Color32::from_rgb(190, 80, 120),
        Color32::from_rgb(120, 120, 120),
    ];
    PALETTE[k % PALETTE.len()]
}

/// A split as people read it: the question and which answer goes left.
pub fn split_text(model: &TrainedModel, tree: &Tree, node: usize) -> (String, bool) {
    let (Some(&col), Some(&t)) = (tree.feature.get(node), tree.threshold.get(node)) else {
        return (format!("node {node}?"), true);
    };
    match model.pipeline.encoded.get(col) {
        Some(e) => match e.level {
            Some(k) => {
                let f = model.pipeline.features.get(e.feature);
                let name = f.map_or(e.name.as_str(), |f| f.name.as_str());
                let level = f.and_then(|f| f.levels.get(k)).map_or("?", String::as_str);
                // One-hot column ≤ 0.5 means "not this level": left is "no".
                (format!("{name} is {level}?"), false)
            }
            None => {
                let raw = model.pipeline.raw_threshold(col, t);
                (format!("{} ≤ {}?", e.name, short_number(raw)), true)
            }
        },
        None => (format!("x{col} ≤ {}?", short_number(t)), true),
    }
}

/// Up to six significant digits, no trailing zeros.
pub fn short_number(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return format!("{v}");
    }
    let digits = (5 - v.abs().log10().floor() as i32).clamp(0, 9);
    #[allow(clippy::cast_sign_loss)]
    let s = format!("{v:.*}", digits as usize);
    if s.contains('.') { s.trim_end_matches('0').trim_end_matches('.').to_owned() } else { s }
}

impl TreeView {
    /// Draws the tree.
    pub fn ui(&mut self, ui: &mut Ui, tree: &Tree, model: &TrainedModel) {
        let layout = tree.layout();
        let width = (tree.n_leaves() as f32) * SLOT_W;
        let height = (tree.depth() as f32 + 1.0) * LEVEL_H;
        let bounds = Rect::from_min_size(Pos2::ZERO, Vec2::new(width.max(SLOT_W), height));
        let key = tree.n_nodes();
        ui.horizontal(|ui| {
            ui.label(format!("{} nodes, {} leaves, depth {}", tree.n_nodes(), tree.n_leaves(), tree.depth()));
            if ui.button("Fit to window").clicked() {
                self.fitted_for = None;
            }
            ui.label(
                egui::RichText::new("Drag to pan; Ctrl + scroll to zoom; click a node to highlight its path.")
                    .weak()
                    .small(),
            );
        });
        if self.fitted_for != Some(key) {
            // The whole tree fitted to the window, so its shape is seen at once; zoom in to
            // read a part.
            self.scene_rect = bounds.expand(20.0);
            self.fitted_for = Some(key);
        }
        let path: Vec<usize> = self.selected.map_or_else(Vec::new, |s| path_to(tree, s));
        let dark = ui.visuals().dark_mode;
        let text_color = ui.visuals().text_color();
        let bg = ui.visuals().extreme_bg_color;
        let total = tree.cover.first().copied().unwrap_or(1.0).max(1.0);
        let mut clicked = None;
        egui::Frame::canvas(ui.style()).show(ui, |ui| {
            let scene = egui::Scene::new().zoom_range(0.05..=2.0);
            scene.show(ui, &mut self.scene_rect, |ui| {
                let painter = ui.painter().clone();
                let center = |n: usize| -> Pos2 {
                    let (x, d) = layout.get(n).copied().unwrap_or((0.0, 0));
                    Pos2::new(x as f32 * SLOT_W + SLOT_W / 2.0, d as f32 * LEVEL_H + BOX_H / 2.0 + 10.0)
                };
                // Edges first, under the boxes.
                for (n, (&left, &right)) in tree.left.iter().zip(&tree.right).enumerate() {
                    if tree.is_leaf(n) {
                        continue;
                    }
                    let (_, left_is_yes) = split_text(model, tree, n);
                    for (child, is_left) in [(left, true), (right, false)] {
                        let a = center(n) + Vec2::new(0.0, BOX_H / 2.0);
                        let b = center(child) - Vec2::new(0.0, BOX_H / 2.0);
                        let on_path = path.contains(&n) && path.contains(&child);
                        let stroke = if on_path {
                            Stroke::new(3.0, Color32::from_rgb(230, 140, 30))
                        } else {
                            Stroke::new(1.2, ui.visuals().weak_text_color())
                        };
                        painter.line_segment([a, b], stroke);
                        let yes = is_left == left_is_yes;
                        painter.text(
                            a.lerp(b, 0.35) + Vec2::new(if is_left { -14.0 } else { 14.0 }, 0.0),
                            Align2::CENTER_CENTER,
                            if yes { "yes" } else { "no" },
                            FontId::proportional(12.0),
                            text_color,
                        );
                    }
                }
                for n in 0..tree.n_nodes() {
                    let rect = Rect::from_center_size(center(n), Vec2::new(BOX_W, BOX_H));
                    let resp = ui.interact(rect, ui.scope_id().with(("tree_node", n)), Sense::click());
                    if resp.clicked() {
                        clicked = Some(n);
                    }
                    let on_path = path.contains(&n);
                    let value = tree.value(n);
                    let (best, best_p) = value
                        .iter()
                        .enumerate()
                        .fold((0, f64::NEG_INFINITY), |b, (i, &p)| if p > b.1 { (i, p) } else { b });
                    let fill = if tree.is_leaf(n) && model.task == Task::Classification {
                        class_color(best).gamma_multiply(if dark { 0.35 } else { 0.25 })
                    } else {
                        bg
                    };
                    painter.rect(
                        rect,
                        6.0,
                        fill,
                        Stroke::new(
                            if on_path { 3.0 } else { 1.0 },
                            if on_path {
                                Color32::from_rgb(230, 140, 30)
                            } else {
                                ui.visuals().widgets.noninteractive.bg_stroke.color
                            },
                        ),
                        StrokeKind::Inside,
                    );
                    let mut y = rect.top() + 6.0;
                    let line = |text: String, y: &mut f32, size: f32| {
                        painter.text(
                            Pos2::new(rect.center().x, *y),
                            Align2::CENTER_TOP,
                            text,
                            FontId::proportional(size),
                            text_color,
                        );
                        *y += size + 4.0;
                    };
                    if tree.is_leaf(n) {
                        let outcome = match model.task {
                            Task::Classification => format!(
                                "predict {} ({:.0} %)",
                                model.classes.get(best).map_or("?", String::as_str),
                                best_p * 100.0
                            ),
                            Task::Regression => {
                                format!("predict {}", short_number(value.first().copied().unwrap_or(f64::NAN)))
                            }
                        };
                        line(outcome, &mut y, 14.0);
                    } else {
                        let (q, _) = split_text(model, tree, n);
                        let q: String = if q.chars().count() > 28 {
                            q.chars().take(27).chain(std::iter::once('…')).collect()
                        } else {
                            q
                        };
                        line(q, &mut y, 13.0);
                    }
                    let cover = tree.cover.get(n).copied().unwrap_or(f64::NAN);
                    line(format!("{cover} rows ({:.1} %)", 100.0 * cover / total), &mut y, 11.0);
                    match model.task {
                        Task::Classification => {
                            // The class mix as a bar.
                            let bar = Rect::from_min_size(
                                Pos2::new(rect.left() + 10.0, rect.bottom() - 18.0),
                                Vec2::new(BOX_W - 20.0, 10.0),
                            );
                            let mut x = bar.left();
                            for (k, &p) in value.iter().enumerate() {
                                let w = bar.width() * p as f32;
                                if w > 0.0 {
                                    painter.rect_filled(
                                        Rect::from_min_size(Pos2::new(x, bar.top()), Vec2::new(w, bar.height())),
                                        0.0,
                                        class_color(k),
                                    );
                                }
                                x += w;
                            }
                        }
                        Task::Regression => {
                            if !tree.is_leaf(n) {
                                line(
                                    format!("mean {}", short_number(value.first().copied().unwrap_or(f64::NAN))),
                                    &mut y,
                                    11.0,
                                );
                            }
                        }
                    }
                    resp.on_hover_ui(|ui| {
                        ui.label(format!("node {n}"));
                        if model.task == Task::Classification {
                            for (k, &p) in value.iter().enumerate() {
                                ui.label(format!(
                                    "{}: {:.1} % ({:.0} rows)",
                                    model.classes.get(k).map_or("?", String::as_str),
                                    p * 100.0,
                                    p * cover
                                ));
                            }
                        }
                    });
                }
            });
        });
        if let Some(n) = clicked {
            self.selected = if self.selected == Some(n) { None } else { Some(n) };
        }
    }
}

/// The nodes from the root to `node`.
fn path_to(tree: &Tree, node: usize) -> Vec<usize> {
    let parents = tree.parents();
    let mut path = vec![node];
    let mut n = node;
    while let Some(&p) = parents.get(n) {
        if p == crate::model::tree::LEAF {
            break;
        }
        path.push(p);
        n = p;
    }
    path
}

#[cfg(test)]
mod tests {
    use super::short_number;

    #[test]
    fn thresholds_read_well() {
        assert_eq!(short_number(52.349_999_999_999_994), "52.35");
        assert_eq!(short_number(1_538.5), "1538.5");
        assert_eq!(short_number(0.000_123_45), "0.00012345");
    }
}
