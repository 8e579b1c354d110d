//! The Compare section: two to five scenarios side by side with their top reasons.

// Counts and values become text and screen coordinates; the rounding is invisible.
#![allow(clippy::cast_possible_truncation, clippy::cast_sign_loss, clippy::cast_precision_loss)]

use egui::{RichText, Ui};

use super::{Attribution, MAX_COMPARE, PlanBusy, PlanPanel, Planner, Request, WhatIf, same, top_reasons};
use crate::app::command::Command;
use crate::app::panels::Work;
use crate::app::widgets;

impl PlanPanel {
    pub(super) fn compare_ui(&mut self, ui: &mut Ui, planner: &Planner, busy: PlanBusy, commands: &mut Vec<Command>) {
        egui::CentralPanel::default_margins().show(ui, |ui| {
            ui.add_space(4.0);
            ui.label(format!("Tick two to {MAX_COMPARE} scenarios to see them side by side."));
            ui.horizontal_wrapped(|ui| {
                let ticked = self.compare.iter().filter(|c| **c).count();
                for (i, s) in self.scenarios.iter().enumerate() {
                    if let Some(c) = self.compare.get_mut(i) {
                        let allowed = *c || ticked < MAX_COMPARE;
                        ui.add_enabled(allowed, egui::Checkbox::new(c, s.name.as_str()));
                    }
                }
            });
            let chosen: Vec<_> =
                self.scenarios.iter().zip(&self.compare).filter(|&(_, &ticked)| ticked).map(|(s, _)| s).collect();
            if chosen.len() < 2 {
                return;
            }
            let model = planner.model();
            let tree = model.tree().is_some();
            let values: Vec<Vec<f64>> = chosen.iter().map(|s| s.values()).collect();
            let attributions: Vec<Option<Attribution>> = values
                .iter()
                .map(|v| {
                    if tree {
                        planner.fast_attribution(v)
                    } else {
                        self.compared.iter().find(|(w, _)| same(w, v)).map(|(_, a)| a.clone())
                    }
                })
                .collect();
            let missing: Vec<Vec<f64>> =
                values.iter().zip(&attributions).filter(|(_, a)| a.is_none()).map(|(v, _)| v.clone()).collect();
            if !missing.is_empty() && !busy.work {
                commands.push(Command::Work(Work::Plan(Request::Attributions(missing))));
            }
            let preds: Vec<WhatIf> = values.iter().map(|v| planner.what_if_fast(v)).collect();
            egui::ScrollArea::both().id_salt("compare_scroll").show(ui, |ui| {
                egui::Grid::new("compare_grid").striped(true).spacing([16.0, 4.0]).show(ui, |ui| {
                    ui.label(RichText::new("feature").strong());
                    for s in &chosen {
                        ui.label(RichText::new(&s.name).strong());
                    }
                    ui.end_row();
                    for (j, d) in planner.domains().iter().enumerate() {
                        ui.label(&d.name);
                        let first = values.first().and_then(|v| v.get(j)).copied().unwrap_or(f64::NAN);
                        for v in &values {
                            let x = v.get(j).copied().unwrap_or(f64::NAN);
                            let text = planner.format_value(j, x);
                            if x.to_bits() == first.to_bits() {
                                ui.monospace(text);
                            } else {
                                ui.label(RichText::new(text).monospace().strong().color(widgets::UP));
                            }
                        }
                        ui.end_row();
                    }
                    ui.label(RichText::new("prediction").strong());
                    for w in &preds {
                        let p = w.probability().map(|p| format!(" ({:.1} %)", p * 100.0)).unwrap_or_default();
                        ui.label(RichText::new(format!("{}{p}", w.label)).strong());
                    }
                    ui.end_row();
                    ui.label(RichText::new("in envelope").strong());
                    for w in &preds {
                        ui.label(if w.envelope.in_envelope { "yes" } else { "no" });
                    }
                    ui.end_row();
                    ui.label(RichText::new("top reasons (SHAP)").strong());
                    for a in &attributions {
                        match a {
                            Some(a) => {
                                ui.vertical(|ui| {
                                    for (j, phi) in top_reasons(&a.values, 3) {
                                        ui.label(
                                            RichText::new(format!(
                                                "{} {:+.4}",
                                                planner.domains().get(j).map_or("–", |d| d.name.as_str()),
                                                phi
                                            ))
                                            .monospace()
                                            .color(if phi >= 0.0 {
                                                widgets::UP
                                            } else {
                                                widgets::DOWN
                                            }),
                                        );
                                    }
                                });
                            }
                            None => {
                                ui.spinner();
                            }
                        }
                    }
                    ui.end_row();
                });
            });
        });
    }
}
