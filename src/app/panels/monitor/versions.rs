//! The Versions view: the project's model history (date, how each version was made, its data,
//! rows and headline figures), a button to restore any kept version, and the comparison of an
//! earlier version with the current model: metrics side by side, agreement, importance, the rule
//! diff (every threshold that moved) and the line diff of the exported Structured Text, which is
//! what the PLC change request is reviewed by.

// Counts become text; the rounding is invisible.
#![allow(clippy::cast_precision_loss)]

use std::fmt::Write as _;

use egui::{Color32, RichText, Ui};

use super::{MonitorPanel, Request};
use crate::app::command::Command;
use crate::app::jobs::JobKind;
use crate::app::panels::{PanelContext, Work};
use crate::compare::Comparison;
use crate::project::history::ModelVersion;

/// Colour of removed lines and rules.
const REMOVED: Color32 = Color32::from_rgb(200, 70, 70);
/// Colour of added lines and rules.
const ADDED: Color32 = Color32::from_rgb(40, 150, 80);

impl MonitorPanel {
    pub(super) fn versions_ui(&mut self, ui: &mut Ui, cx: &mut PanelContext<'_>, id: u64) {
        let history = cx.session.history();
        let busy = cx.busy.is(JobKind::Compare) || cx.busy.is(JobKind::Load) || cx.busy.is(JobKind::Model);
        let note = self.note.clone();
        egui::CentralPanel::default_margins().show(ui, |ui| {
            egui::ScrollArea::vertical().id_salt("monitor_versions").show(ui, |ui| {
                if let Some(n) = &note {
                    ui.colored_label(ui.visuals().error_fg_color, n);
                }
                ui.add_space(4.0);
                ui.label(
                "Every model this project has held, oldest first. Restoring a version makes its model (with its data \
                 and rules) current again as a new version; comparing runs both models on the same rows.",
            );
                let rows_from = self.new_data.as_ref().map_or_else(
                    || "the project's data".to_owned(),
                    |(p, _)| {
                        format!(
                            "the new data {}",
                            p.file_name().map_or_else(String::new, |n| n.to_string_lossy().into_owned())
                        )
                    },
                );
                ui.add_space(4.0);
                egui::Grid::new("monitor_history").striped(true).num_columns(7).spacing([14.0, 6.0]).show(ui, |ui| {
                    for h in ["Version", "Date (UTC)", "How", "Data", "Rows (train / test)", "Held-out figures", ""] {
                        ui.strong(h);
                    }
                    ui.end_row();
                    let last = history.len().saturating_sub(1);
                    for (i, v) in history.iter().enumerate() {
                        let current = i == last;
                        ui.label(if current {
                            RichText::new(format!("{} (current)", v.number)).strong()
                        } else {
                            RichText::new(v.number.to_string())
                        });
                        ui.label(
                            v.date
                                .as_deref()
                                .map_or_else(|| "not recorded".to_owned(), |d| d.replace('T', " ").replace('Z', "")),
                        );
                        ui.label(v.origin.describe());
                        ui.label(v.data_names());
                        ui.label(format!("{} / {}", v.train_rows, v.test_rows));
                        ui.label(figures(v, 3)).on_hover_text(figures(v, usize::MAX));
                        ui.horizontal(|ui| {
                            if !current {
                                let kept = v.report.is_some();
                                let why = "Only its description is kept in this file";
                                let restore = ui
                                .add_enabled(!busy && kept, egui::Button::new(format!("Restore {}", v.number)))
                                .on_hover_text(
                                    "Make this version's model current again (the current one stays in the history)",
                                )
                                .on_disabled_hover_text(why);
                                if restore.clicked() {
                                    cx.commands
                                        .push(Command::Work(Work::Monitor(Request::Restore { version: v.number })));
                                }
                                let compare = ui
                                    .add_enabled(
                                        !busy && kept,
                                        egui::Button::new(format!("Compare {} with current", v.number)),
                                    )
                                    .on_hover_text(format!("Run both models on {rows_from} and show what changed"))
                                    .on_disabled_hover_text(why);
                                if compare.clicked() {
                                    cx.commands
                                        .push(Command::Work(Work::Monitor(Request::Compare { version: v.number })));
                                }
                            }
                        });
                        ui.end_row();
                    }
                });
                if history.len() < 2 {
                    ui.add_space(6.0);
                    ui.label(
                    RichText::new(
                        "One version so far. Retrain on new data (Drift of new data) or train again in the Train panel \
                         to make another; earlier versions stay here.",
                    )
                    .weak(),
                );
                }
                if let Some(c) = self.comparison.as_ref().filter(|c| c.for_id == id) {
                    ui.separator();
                    comparison_ui(ui, c.version, &c.rows_from, &c.comparison, cx.commands);
                }
            })
        });
    }
}

/// The first `n` headline figures of a version, as `accuracy 0.973 · recall 0.610`.
fn figures(v: &ModelVersion, n: usize) -> String {
    v.metrics
        .iter()
        .take(n)
        .map(|f| format!("{} {:.3}", f.name.replace('_', " "), f.value))
        .collect::<Vec<_>>()
        .join(" · ")
}

/// A comparison of version `version` (A) with the current model (B).
fn comparison_ui(ui: &mut Ui, version: u32, rows_from: &str, c: &Comparison, commands: &mut Vec<Command>) {
    ui.heading(format!("Version {version} (A) against the current model (B)"));
    ui.label(format!("On {} rows of {rows_from}; {} with a known '{}'.", c.rows, c.scored_rows, c.target));
    let a = &c.agreement;
    let mut agree = format!("They decide alike on {} of {} rows ({:.1} %)", a.agree, a.rows, a.share * 100.0);
    if let (Some(mean), Some(max)) = (a.mean_abs_difference, a.max_abs_difference) {
        let _ = write!(agree, "; predictions differ by {mean:.4} on average, {max:.4} at most");
    }
    agree.push('.');
    ui.label(RichText::new(agree).strong());
    for n in &c.notes {
        ui.label(RichText::new(format!("• {n}")).weak());
    }
    egui::CollapsingHeader::new("Metrics and importance").default_open(true).show(ui, |ui| {
        ui.horizontal_top(|ui| {
            egui::Grid::new("compare_metrics").striped(true).num_columns(3).show(ui, |ui| {
                ui.strong("Metric");
                ui.strong("A");
                ui.strong("B");
                ui.end_row();
                for m in &c.metrics {
                    ui.label(&m.label);
                    ui.label(m.a.map_or_else(|| "–".to_owned(), |v| format!("{v:.4}")));
                    ui.label(m.b.map_or_else(|| "–".to_owned(), |v| format!("{v:.4}")));
                    ui.end_row();
                }
            });
            ui.add_space(30.0);
            if !c.importance.is_empty() {
                egui::Grid::new("compare_importance").striped(true).num_columns(3).show(ui, |ui| {
                    ui.strong("Feature")
                        .on_hover_text(format!("{} lost when the feature is shuffled", c.importance_score));
                    ui.strong("A");
                    ui.strong("B");
                    ui.end_row();
                    let v = |x: Option<f64>, s: Option<f64>| match (x, s) {
                        (Some(x), Some(s)) => format!("{x:.4} ± {s:.4}"),
                        (Some(x), None) => format!("{x:.4}"),
                        _ => "–".to_owned(),
                    };
                    for r in &c.importance {
                        ui.label(&r.feature);
                        ui.label(v(r.a, r.a_std));
                        ui.label(v(r.b, r.b_std));
                        ui.end_row();
                    }
                });
            }
        });
    });
    let d = &c.rules;
    let title = if d.is_empty() {
        "Rules: the same rules".to_owned()
    } else {
        format!(
            "Rules: {} changed, {} removed, {} added, {} unchanged",
            d.changed.len(),
            d.removed.len(),
            d.added.len(),
            d.unchanged.len()
        )
    };
    egui::CollapsingHeader::new(title).default_open(true).show(ui, |ui| {
        // The same move shared by several rules is listed once.
        let mut moves: Vec<String> = Vec::new();
        for m in d.threshold_moves().map(crate::compare::rule_diff::ThresholdMove::describe) {
            if !moves.contains(&m) {
                moves.push(m);
            }
        }
        if !moves.is_empty() {
            ui.label(RichText::new("Thresholds that moved").strong());
            for m in &moves {
                ui.label(RichText::new(m).monospace());
            }
        }
        if let Some(o) = &d.default {
            ui.label(format!("Default outcome: {} → {}", o.from, o.to));
        }
        for ch in &d.changed {
            ui.add_space(4.0);
            if let Some(text) = d.a_rules.get(ch.a) {
                ui.label(RichText::new(format!("A rule {}: {text}", ch.a + 1)).color(REMOVED));
            }
            if let Some(text) = d.b_rules.get(ch.b) {
                ui.label(RichText::new(format!("B rule {}: {text}", ch.b + 1)).color(ADDED));
            }
            for l in &ch.levels {
                ui.label(RichText::new(l.describe()).small());
            }
            if let Some(o) = &ch.outcome {
                ui.label(RichText::new(format!("outcome {} → {}", o.from, o.to)).small());
            }
        }
        for &i in &d.removed {
            if let Some(text) = d.a_rules.get(i) {
                ui.label(RichText::new(format!("− A rule {}: {text}", i + 1)).color(REMOVED));
            }
        }
        for &i in &d.added {
            if let Some(text) = d.b_rules.get(i) {
                ui.label(RichText::new(format!("+ B rule {}: {text}", i + 1)).color(ADDED));
            }
        }
    });
    if let Some(st) = &c.structured_text {
        let title = if st.is_empty() {
            "PLC code: the same Structured Text".to_owned()
        } else {
            format!("PLC code: {} lines removed, {} added (of {} → {})", st.removed, st.added, st.a_lines, st.b_lines)
        };
        egui::CollapsingHeader::new(title).default_open(false).show(ui, |ui| {
            if ui.button("Save the diff…").clicked() {
                commands.push(Command::SaveText {
                    name: format!("version_{version}_to_current.diff"),
                    text: st.unified.clone(),
                });
            }
            egui::ScrollArea::both().id_salt("compare_st_diff").max_height(420.0).show(ui, |ui| {
                for line in st.unified.lines() {
                    let text = RichText::new(line).monospace().size(12.0);
                    let text = if line.starts_with('+') && !line.starts_with("+++") {
                        text.color(ADDED)
                    } else if line.starts_with('-') && !line.starts_with("---") {
                        text.color(REMOVED)
                    } else {
                        text
                    };
                    ui.label(text);
                }
            });
        });
    }
    if !c.disagreements.is_empty() {
        egui::CollapsingHeader::new(format!("Rows where they differ ({})", c.disagreements.len()))
            .default_open(false)
            .show(ui, |ui| {
                egui::Grid::new("compare_rows").striped(true).num_columns(4).show(ui, |ui| {
                    for h in ["Row", "A", "B", "Actual"] {
                        ui.strong(h);
                    }
                    ui.end_row();
                    for r in c.disagreements.iter().take(200) {
                        ui.label((r.row + 1).to_string());
                        ui.label(&r.a);
                        ui.label(&r.b);
                        ui.label(r.actual.as_deref().unwrap_or("–"));
                        ui.end_row();
                    }
                });
                if c.disagreements.len() > 200 {
                    ui.label(RichText::new(format!("First 200 of {} shown.", c.disagreements.len())).weak());
                }
            });
    }
}
