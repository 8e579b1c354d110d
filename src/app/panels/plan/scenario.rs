//! The Scenario section: the scenario list and editor, the live prediction with its SHAP
//! waterfall, sweeps and the heatmap, counterfactuals and the operating window.

// Counts and values become text and screen coordinates; the rounding is invisible.
#![allow(clippy::cast_possible_truncation, clippy::cast_sign_loss, clippy::cast_precision_loss)]

use std::sync::Arc;

use egui::{Color32, RichText, Ui};
use egui_plot::{Line, Plot, PlotPoints, Points};

use super::heatmap::heatmap_ui;
use super::{
    Origin, PlanBusy, PlanPanel, Planner, Request, SWEEP_POINTS, Scenario, Want, feature_combo, format_on_step,
    origin_text, same, top_reasons,
};
use crate::app::command::Command;
use crate::app::panels::Work;
use crate::app::widgets::{self, hbar_chart, waterfall_rows};
use crate::model::pipeline::FeatureKind;
use crate::model::{Output, Task};

impl PlanPanel {
    pub(super) fn scenario_ui(
        &mut self,
        ui: &mut Ui,
        ds: &crate::data::Dataset,
        planner: &Arc<Planner>,
        busy: PlanBusy,
        commands: &mut Vec<Command>,
    ) {
        egui::Panel::left("plan_editor").resizable(true).default_size(430.0).min_size(340.0).show(ui, |ui| {
            egui::ScrollArea::vertical().id_salt("plan_editor_scroll").show(ui, |ui| {
                self.scenario_list_ui(ui, ds, planner);
                ui.separator();
                self.editor_ui(ui, planner);
            });
        });
        let Some(values) = self.current_scenario().map(Scenario::values) else { return };
        if self.live.as_ref().is_none_or(|(v, _)| !same(v, &values)) {
            let w = planner.what_if_fast(&values);
            self.live = Some((values.clone(), w));
        }
        // SHAP for models other than trees: one job at a time, the latest values next.
        let tree = planner.model().tree().is_some();
        if !tree && !busy.live && self.attribution.as_ref().is_none_or(|(v, _)| !same(v, &values)) {
            commands.push(Command::Work(Work::Plan(Request::Attribution(values.clone()))));
        }
        egui::CentralPanel::default_margins().show(ui, |ui| {
            egui::ScrollArea::vertical().id_salt("plan_results_scroll").show(ui, |ui| {
                self.prediction_ui(ui, planner, &values, busy);
                ui.separator();
                self.sweep_ui(ui, planner, &values, busy, commands);
                ui.separator();
                self.counterfactual_ui(ui, planner, &values, busy, commands);
                ui.separator();
                self.window_ui(ui, planner, &values, busy, commands);
            });
        });
    }

    fn scenario_list_ui(&mut self, ui: &mut Ui, ds: &crate::data::Dataset, planner: &Planner) {
        ui.add_space(4.0);
        ui.heading("Scenarios");
        let mut remove = None;
        let mut duplicate = None;
        for (i, s) in self.scenarios.iter().enumerate() {
            ui.horizontal(|ui| {
                if ui.selectable_label(i == self.current, &s.name).clicked() {
                    self.current = i;
                }
                ui.label(RichText::new(origin_text(s.origin)).small().weak());
                ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                    if self.scenarios.len() > 1 && ui.small_button("Delete").clicked() {
                        remove = Some(i);
                    }
                    if ui.small_button("Copy").on_hover_text("A new scenario with the same values").clicked() {
                        duplicate = Some(i);
                    }
                });
            });
        }
        if let Some(mut s) = duplicate.and_then(|i| self.scenarios.get(i)).cloned() {
            s.name = self.unique_name(&format!("{} (copy)", s.name));
            s.origin = Origin::Typed;
            self.scenarios.push(s);
            self.current = self.scenarios.len() - 1;
            self.changed = true;
        }
        if let Some(i) = remove {
            self.scenarios.remove(i);
            self.compare.clear();
            self.current = self.current.min(self.scenarios.len().saturating_sub(1));
            self.changed = true;
        }
        ui.horizontal(|ui| {
            ui.label("New from row");
            ui.add(egui::DragValue::new(&mut self.new_row).range(0..=ds.n_rows().saturating_sub(1)));
            if ui.button("Add").clicked() {
                match planner.scenario_from_row(ds, self.new_row) {
                    Ok(mut s) => {
                        s.name = self.unique_name(&s.name);
                        self.scenarios.push(s);
                        self.current = self.scenarios.len() - 1;
                        self.changed = true;
                    }
                    Err(e) => self.note = Some(e.to_string()),
                }
            }
            if ui.button("New from median").clicked() {
                let mut s = planner.median_scenario();
                s.name = self.unique_name("median");
                self.scenarios.push(s);
                self.current = self.scenarios.len() - 1;
                self.changed = true;
            }
        });
        if let Some(s) = self.scenarios.get_mut(self.current) {
            ui.horizontal(|ui| {
                ui.label("Name:");
                if ui.add(egui::TextEdit::singleline(&mut s.name).desired_width(200.0)).changed() {
                    self.changed = true;
                }
            });
        }
    }

    fn unique_name(&self, base: &str) -> String {
        let mut name = base.to_owned();
        let mut k = 2;
        while self.scenarios.iter().any(|s| s.name == name) {
            name = format!("{base} {k}");
            k += 1;
        }
        name
    }

    fn editor_ui(&mut self, ui: &mut Ui, planner: &Planner) {
        let domains = planner.domains();
        let Some(s) = self.scenarios.get_mut(self.current) else { return };
        let mut changed = false;
        ui.label(
            RichText::new("Setpoints can be changed by counterfactuals and windows; fixed conditions are greyed.")
                .small()
                .weak(),
        );
        egui::Grid::new("plan_editor_grid").num_columns(3).spacing([8.0, 6.0]).striped(true).show(ui, |ui| {
            for (j, (f, d)) in s.features.iter_mut().zip(domains).enumerate() {
                let label = if f.controllable { RichText::new(&d.name) } else { RichText::new(&d.name).weak() };
                ui.label(label).on_hover_text(format!(
                    "training range {} to {}, median {}{}",
                    planner.format_value(j, d.min),
                    planner.format_value(j, d.max),
                    planner.format_value(j, d.fill),
                    if d.step > 0.0 { format!(", step {}", crate::data::format_number(d.step)) } else { String::new() }
                ));
                ui.horizontal(|ui| {
                    ui.add_enabled_ui(true, |ui| {
                        if !f.controllable {
                            ui.visuals_mut().widgets.inactive.weak_bg_fill = ui.visuals().faint_bg_color;
                        }
                        match d.kind {
                            FeatureKind::Categorical => {
                                let current = planner.format_value(j, f.value);
                                egui::ComboBox::from_id_salt(("plan_level", j)).selected_text(current).show_ui(
                                    ui,
                                    |ui| {
                                        for (k, level) in d.levels.iter().enumerate() {
                                            if ui.selectable_label(f.value == k as f64, level).clicked() {
                                                f.value = k as f64;
                                                changed = true;
                                            }
                                        }
                                    },
                                );
                            }
                            FeatureKind::Numeric => {
                                if f.value.is_nan() {
                                    if ui.button("missing: set to median").clicked() {
                                        f.value = d.fill;
                                        changed = true;
                                    }
                                } else {
                                    let lo = d.min.min(f.lower).min(f.value);
                                    let hi = d.max.max(f.upper).max(f.value);
                                    let mut slider = egui::Slider::new(&mut f.value, lo..=hi).show_value(false);
                                    if f.step > 0.0 {
                                        slider = slider.step_by(f.step);
                                    }
                                    changed |= ui.add_sized([150.0, 18.0], slider).changed();
                                    let step = f.step;
                                    let mut drag = egui::DragValue::new(&mut f.value)
                                        .speed(if step > 0.0 { step } else { (hi - lo) / 500.0 })
                                        .custom_formatter(move |v, _| format_on_step(v, step));
                                    if let Some(u) = &d.unit {
                                        drag = drag.suffix(format!(" {u}"));
                                    }
                                    changed |= ui.add(drag).changed();
                                }
                            }
                        }
                    });
                });
                let mut c = f.controllable;
                if ui.checkbox(&mut c, "setpoint").on_hover_text("Counterfactuals and windows may change it").changed()
                {
                    f.controllable = c;
                    changed = true;
                }
                ui.end_row();
            }
        });
        if changed {
            self.changed = true;
        }
    }

    fn prediction_ui(&self, ui: &mut Ui, planner: &Planner, values: &[f64], busy: PlanBusy) {
        let Some((_, w)) = &self.live else { return };
        let model = planner.model();
        ui.horizontal(|ui| {
            ui.label(RichText::new("Prediction:").strong().size(18.0));
            ui.label(RichText::new(&w.label).strong().size(18.0));
            if let Some(p) = w.probability() {
                ui.label(RichText::new(format!("(probability {:.1} %)", p * 100.0)).size(16.0));
            }
        });
        if model.task == Task::Classification && model.classes.len() > 1 {
            let text = model
                .classes
                .iter()
                .zip(&w.probabilities)
                .map(|(c, p)| format!("P({c}) = {p:.3}"))
                .collect::<Vec<_>>()
                .join("   ");
            ui.label(RichText::new(text).monospace());
        }
        match w.envelope.warning(&model.pipeline.features) {
            Some(warning) => {
                ui.colored_label(ui.visuals().warn_fg_color, warning);
            }
            None => {
                ui.label(RichText::new("Inside the region the model saw in training.").weak());
            }
        }
        let attribution = w
            .attribution
            .as_ref()
            .map(|a| (a, true))
            .or_else(|| self.attribution.as_ref().map(|(v, a)| (a, same(v, values))));
        ui.add_space(6.0);
        let what = match planner.output() {
            Output::Probability(c) => {
                format!("P({} = {})", model.target, model.classes.get(c).cloned().unwrap_or_default())
            }
            Output::Value => model.target.clone(),
        };
        ui.label(RichText::new(format!("SHAP: from the base value to this scenario's {what}")).strong());
        match attribution {
            Some((a, fresh)) => {
                let items: Vec<(String, f64)> = a
                    .values
                    .iter()
                    .zip(planner.domains())
                    .enumerate()
                    .map(|(j, (phi, d))| {
                        let x = values.get(j).copied().unwrap_or(f64::NAN);
                        let v = if d.kind == FeatureKind::Numeric && !x.is_nan() {
                            format_on_step(x, d.step)
                        } else {
                            planner.format_value(j, x)
                        };
                        (format!("{} = {v}", d.name), *phi)
                    })
                    .collect();
                let rows = waterfall_rows(a.base, &items, 10, |v| format!("{v:.4}"));
                let total: f64 = a.base + a.values.iter().sum::<f64>();
                ui.label(
                    RichText::new(format!(
                        "base value {:.4} + contributions = {:.4} ({})",
                        a.base,
                        total,
                        match a.method {
                            crate::explain::model::Method::TreeShap => "exact TreeSHAP",
                            crate::explain::model::Method::KernelShap => "KernelSHAP, k-means background",
                            _ => "SHAP",
                        }
                    ))
                    .small(),
                );
                if !fresh {
                    ui.label(RichText::new(if busy.live { "updating…" } else { "for earlier values" }).small().weak());
                }
                hbar_chart(ui, &rows, 260.0);
            }
            None => {
                ui.horizontal(|ui| {
                    ui.spinner();
                    ui.label("computing SHAP values…");
                });
            }
        }
    }

    fn sweep_ui(
        &mut self,
        ui: &mut Ui,
        planner: &Planner,
        values: &[f64],
        busy: PlanBusy,
        commands: &mut Vec<Command>,
    ) {
        let Some(scenario) = self.current_scenario().cloned() else { return };
        let domains = planner.domains();
        let n = domains.len();
        if !self.features_chosen {
            // Start on the strongest numeric features of this scenario.
            let phi = self
                .live
                .as_ref()
                .and_then(|(_, w)| w.attribution.as_ref())
                .or(self.attribution.as_ref().map(|(_, a)| a))
                .map(|a| a.values.clone());
            if let Some(phi) = phi {
                let numeric: Vec<usize> = top_reasons(&phi, phi.len())
                    .into_iter()
                    .map(|(j, _)| j)
                    .filter(|&j| domains.get(j).is_some_and(|d| d.kind == FeatureKind::Numeric))
                    .collect();
                self.sweep_feature = numeric.first().copied().unwrap_or(0);
                self.heat_x = self.sweep_feature;
                self.heat_y = numeric.get(1).copied().unwrap_or(0);
                self.features_chosen = true;
            }
        }
        self.sweep_feature = self.sweep_feature.min(n.saturating_sub(1));
        ui.label(RichText::new("Sweeps").strong());
        ui.horizontal(|ui| {
            ui.label("One feature:");
            self.features_chosen |= feature_combo(ui, "sweep_feature", &mut self.sweep_feature, domains);
        });
        if self.sweep.as_ref().is_none_or(|(v, f, _)| !same(v, values) || *f != self.sweep_feature) {
            let s = planner.sweep(&scenario, self.sweep_feature, SWEEP_POINTS).map_err(|e| e.to_string());
            self.sweep = Some((values.to_vec(), self.sweep_feature, s));
        }
        let model = planner.model();
        let y_label = match planner.output() {
            Output::Probability(c) => {
                format!("P({} = {})", model.target, model.classes.get(c).cloned().unwrap_or_default())
            }
            Output::Value => model.target.clone(),
        };
        let probability = matches!(planner.output(), Output::Probability(_));
        if let Some((_, _, s)) = &self.sweep {
            match s {
                Ok(s) => {
                    let x_label = domains.get(s.feature).map_or_else(|| s.name.clone(), |d| d.name.clone());
                    let pts: Vec<[f64; 2]> = s.xs.iter().zip(&s.ys).map(|(x, y)| [*x, *y]).collect();
                    let shown = Plot::new(("sweep", s.feature))
                        .height(220.0)
                        .x_axis_label(x_label)
                        .y_axis_label(y_label.clone())
                        .allow_scroll(false)
                        .include_y(if probability { 0.0 } else { s.current.1 })
                        .include_y(if probability { 1.0 } else { s.current.1 })
                        .show(ui, |p| {
                            p.line(Line::new("sweep", PlotPoints::from(pts)).width(2.0));
                            p.points(
                                Points::new("this scenario", vec![[s.current.0, s.current.1]])
                                    .radius(5.0)
                                    .color(Color32::from_rgb(230, 140, 30)),
                            );
                            p.vline(egui_plot::VLine::new("current", s.current.0).color(Color32::GRAY));
                        });
                    widgets::png_button(
                        ui,
                        "Save sweep (PNG)…",
                        &format!("sweep_{}.png", s.name.replace(|c: char| !c.is_alphanumeric(), "_")),
                        shown.response.rect,
                        commands,
                    );
                }
                Err(e) => {
                    ui.colored_label(ui.visuals().warn_fg_color, e);
                }
            }
        }
        ui.horizontal(|ui| {
            ui.label("Two features:");
            self.features_chosen |= feature_combo(ui, "heat_x", &mut self.heat_x, domains);
            ui.label("and");
            self.features_chosen |= feature_combo(ui, "heat_y", &mut self.heat_y, domains);
            let ok = self.heat_x != self.heat_y && self.heat_x < n && self.heat_y < n;
            if ui.add_enabled(ok && !busy.work, egui::Button::new("Heatmap")).clicked() {
                commands.push(Command::Work(Work::Plan(Request::Heatmap {
                    scenario: Box::new(scenario.clone()),
                    x: self.heat_x,
                    y: self.heat_y,
                })));
            }
        });
        if let Some((v, h)) = &self.heatmap {
            if !same(v, values) {
                ui.label(RichText::new("(for earlier values: press Heatmap to update)").small().weak());
            }
            if let Some(rect) = heatmap_ui(ui, planner, h, &y_label) {
                widgets::png_button(ui, "Save heatmap (PNG)…", "heatmap.png", rect, commands);
            }
        }
    }

    pub(super) fn want_ui(&mut self, ui: &mut Ui, planner: &Planner) -> Option<Want> {
        let model = planner.model();
        match model.task {
            Task::Classification => {
                self.want_class = self.want_class.min(model.classes.len().saturating_sub(1));
                egui::ComboBox::from_id_salt("want_class")
                    .selected_text(format!(
                        "{} = {}",
                        model.target,
                        model.classes.get(self.want_class).cloned().unwrap_or_default()
                    ))
                    .show_ui(ui, |ui| {
                        for (k, c) in model.classes.iter().enumerate() {
                            ui.selectable_value(&mut self.want_class, k, format!("{} = {c}", model.target));
                        }
                    });
                Some(Want::Class { class: self.want_class })
            }
            Task::Regression => {
                ui.add(
                    egui::TextEdit::singleline(&mut self.want_text)
                        .hint_text("<=42.5, >=450 or 430..450")
                        .desired_width(140.0),
                );
                if self.want_text.trim().is_empty() {
                    return None;
                }
                match Want::parse(model, self.want_text.trim()) {
                    Ok(w) => Some(w),
                    Err(e) => {
                        ui.colored_label(ui.visuals().error_fg_color, e.to_string());
                        None
                    }
                }
            }
        }
    }

    fn counterfactual_ui(
        &mut self,
        ui: &mut Ui,
        planner: &Planner,
        values: &[f64],
        busy: PlanBusy,
        commands: &mut Vec<Command>,
    ) {
        let Some(scenario) = self.current_scenario().cloned() else { return };
        ui.label(RichText::new("Counterfactuals: the smallest changes of the setpoints that reach").strong());
        ui.horizontal(|ui| {
            let want = self.want_ui(ui, planner);
            ui.label("up to");
            ui.add(egui::DragValue::new(&mut self.cf_count).range(1..=10));
            let setpoints = scenario.features.iter().filter(|f| f.controllable).count();
            if ui
                .add_enabled(want.is_some() && setpoints > 0 && !busy.work, egui::Button::new("Find"))
                .on_hover_text("Changes only the features marked as setpoints, within their bounds and steps")
                .clicked()
                && let Some(want) = want
            {
                commands.push(Command::Work(Work::Plan(Request::Counterfactuals {
                    scenario: Box::new(scenario.clone()),
                    want,
                    count: self.cf_count,
                })));
            }
            if setpoints == 0 {
                ui.label(RichText::new("mark at least one setpoint").weak());
            }
        });
        let Some((v, cf)) = self.counterfactuals.clone() else { return };
        if !same(&v, values) {
            ui.label(RichText::new("(for earlier values: press Find to update)").small().weak());
        }
        ui.label(format!("{}{}", cf.message, if cf.exact { " Exact: the tree's regions were searched." } else { "" }));
        if cf.found.is_empty() {
            return;
        }
        let mut apply = None;
        egui::Grid::new("cf_grid").num_columns(6).striped(true).spacing([12.0, 4.0]).show(ui, |ui| {
            for t in ["#", "changes", "prediction", "cost", "in envelope", ""] {
                ui.label(RichText::new(t).strong());
            }
            ui.end_row();
            for (k, c) in cf.found.iter().enumerate() {
                ui.label((k + 1).to_string());
                ui.vertical(|ui| {
                    for ch in &c.changes {
                        ui.label(format!("{}: {} to {}", ch.name, ch.from_text, ch.text));
                    }
                });
                let p = c
                    .probabilities
                    .get(c.prediction.max(0.0) as usize)
                    .map(|p| format!(" ({:.1} %)", p * 100.0))
                    .unwrap_or_default();
                ui.label(format!("{}{p}", c.label));
                ui.monospace(format!("{:.3}", c.cost));
                ui.label(if c.in_envelope { "yes" } else { "no" });
                if ui.button("Apply").on_hover_text("Make it a new scenario").clicked() {
                    apply = Some(k);
                }
                ui.end_row();
            }
        });
        if let Some(k) = apply
            && let Some(c) = cf.found.get(k)
        {
            let mut s = scenario.clone();
            s.set_values(&c.values);
            s.name = self.unique_name(&format!("{} + counterfactual {}", scenario.name, k + 1));
            s.origin = Origin::Typed;
            self.scenarios.push(s);
            self.current = self.scenarios.len() - 1;
            self.changed = true;
        }
    }

    fn window_ui(
        &mut self,
        ui: &mut Ui,
        planner: &Planner,
        values: &[f64],
        busy: PlanBusy,
        commands: &mut Vec<Command>,
    ) {
        let Some(scenario) = self.current_scenario().cloned() else { return };
        let domains = planner.domains();
        ui.label(RichText::new("Operating window: setpoint limits that keep the wanted outcome").strong());
        ui.horizontal_wrapped(|ui| {
            for (j, d) in domains.iter().enumerate() {
                let usable = d.kind == FeatureKind::Numeric && scenario.features.get(j).is_some_and(|f| f.controllable);
                if let Some(on) = self.window_features.get_mut(j) {
                    if !usable {
                        *on = false;
                    }
                    ui.add_enabled(usable, egui::Checkbox::new(on, d.name.as_str()));
                }
            }
        });
        ui.horizontal(|ui| {
            let want = self.want_ui_readonly(planner);
            let chosen: Vec<String> =
                domains.iter().zip(&self.window_features).filter(|(_, on)| **on).map(|(d, _)| d.name.clone()).collect();
            if ui
                .add_enabled(!chosen.is_empty() && want.is_some() && !busy.work, egui::Button::new("Find the window"))
                .clicked()
                && let Some(want) = want
            {
                commands.push(Command::Work(Work::Plan(Request::Window {
                    scenario: Box::new(scenario.clone()),
                    features: chosen,
                    want,
                })));
            }
            ui.label(RichText::new("for the outcome chosen above; other features as in the scenario").weak());
        });
        let Some((v, w)) = &self.window else { return };
        if !same(v, values) {
            ui.label(RichText::new("(for earlier values: press Find the window to update)").small().weak());
        }
        ui.label(&w.message);
        if w.limits.is_empty() {
            return;
        }
        egui::Grid::new("window_grid").num_columns(5).striped(true).spacing([12.0, 4.0]).show(ui, |ui| {
            for t in ["setpoint", "lowest", "highest", "changes below", "changes above"] {
                ui.label(RichText::new(t).strong());
            }
            ui.end_row();
            for l in &w.limits {
                ui.label(&l.name);
                ui.monospace(planner.format_value(l.feature, l.min));
                ui.monospace(planner.format_value(l.feature, l.max));
                ui.monospace(
                    l.edge_below.map_or_else(|| "at the bound".into(), |e| planner.format_value(l.feature, e)),
                );
                ui.monospace(
                    l.edge_above.map_or_else(|| "at the bound".into(), |e| planner.format_value(l.feature, e)),
                );
                ui.end_row();
            }
        });
        ui.label(
            RichText::new(format!(
                "The scenario's own setpoints are {} the window. {}",
                if w.contains_current { "inside" } else { "outside" },
                if w.exact {
                    "Exact: every point of the box was checked against the tree.".to_owned()
                } else {
                    format!("Checked on a grid of {} points per setpoint.", w.resolution.unwrap_or(0))
                }
            ))
            .small(),
        );
    }

    /// The wanted outcome as chosen in the counterfactual row, without drawing it again.
    pub(super) fn want_ui_readonly(&self, planner: &Planner) -> Option<Want> {
        match planner.model().task {
            Task::Classification => Some(Want::Class { class: self.want_class }),
            Task::Regression => Want::parse(planner.model(), self.want_text.trim()).ok(),
        }
    }
}
