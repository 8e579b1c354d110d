//! The Plan panel: what-if scenarios edited with a slider per feature while the prediction and
//! its SHAP waterfall follow, sweeps (one feature as a curve, two as a heatmap), counterfactuals
//! that can be applied as new scenarios, operating windows, scenarios side by side, and the
//! scoring of a whole production plan.
//!
//! Everything slow runs as a job in the app: building the [`Planner`], KernelSHAP for models
//! other than trees, heatmaps, counterfactual searches, windows and plan scoring. What runs while
//! a slider moves is the planner's fast path (prediction, TreeSHAP for trees, envelope check)
//! and a one-feature sweep, recomputed only when a value changed.

// Counts and values become text and screen coordinates; the rounding is invisible.
#![allow(clippy::cast_possible_truncation, clippy::cast_sign_loss, clippy::cast_precision_loss)]

use std::path::PathBuf;
use std::sync::Arc;

use egui::{Align2, Color32, FontId, Pos2, Rect, RichText, Sense, Stroke, Ui, Vec2};
use egui_extras::{Column as TableColumn, TableBuilder};
use egui_plot::{Line, Plot, PlotPoints, Points};

use crate::app::Command;
use crate::app::widgets::{self, hbar_chart, value_color, waterfall_rows};
use crate::model::pipeline::FeatureKind;
use crate::model::train::TrainingReport;
use crate::model::{Output, Task};
use crate::plan::{
    Attribution, Counterfactuals, Heatmap, OperatingWindow, Origin, PlanSettings, Planner, SavedPlan, Scenario, Sweep,
    Want, WhatIf, WindowOptions,
};
use crate::progress::Progress;

/// Points of the one-feature sweep.
const SWEEP_POINTS: usize = 61;
/// Points per axis of the heatmap.
const HEAT_POINTS: usize = 31;
/// Most scenarios compared side by side.
const MAX_COMPARE: usize = 5;

/// The panel's sections.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Section {
    /// One scenario: editor, prediction, waterfall, sweeps, counterfactuals, window.
    #[default]
    Scenario,
    /// Two to five scenarios side by side.
    Compare,
    /// A production plan scored run by run.
    Plan,
}

/// Where a plan to score comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlanSource {
    /// A file.
    File(PathBuf),
    /// The example plan bundled with the app.
    Sample,
}

/// Work the panel asks the app to run in the background.
#[derive(Debug, Clone, PartialEq)]
pub enum PlanRequest {
    /// SHAP values of a scenario's values (models other than trees).
    Attribution(Vec<f64>),
    /// SHAP values of several scenarios (for the comparison).
    Attributions(Vec<Vec<f64>>),
    /// The output over two features.
    Heatmap {
        /// The scenario.
        scenario: Box<Scenario>,
        /// Feature along x.
        x: usize,
        /// Feature along y.
        y: usize,
    },
    /// Counterfactuals of a scenario.
    Counterfactuals {
        /// The scenario (its controllable features may change).
        scenario: Box<Scenario>,
        /// What is wanted.
        want: Want,
        /// How many.
        count: usize,
    },
    /// The operating window of some setpoints.
    Window {
        /// The scenario.
        scenario: Box<Scenario>,
        /// Names of the setpoints.
        features: Vec<String>,
        /// What is wanted.
        want: Want,
    },
    /// Score a production plan.
    Score {
        /// The plan.
        source: PlanSource,
        /// How.
        settings: Box<PlanSettings>,
    },
}

impl PlanRequest {
    /// Words for the status bar.
    pub fn title(&self) -> String {
        match self {
            Self::Attribution(_) => "SHAP of the scenario".into(),
            Self::Attributions(_) => "SHAP of the compared scenarios".into(),
            Self::Heatmap { .. } => "Heatmap".into(),
            Self::Counterfactuals { .. } => "Searching counterfactuals".into(),
            Self::Window { .. } => "Operating window".into(),
            Self::Score { source: PlanSource::Sample, .. } => "Scoring the example plan".into(),
            Self::Score { source: PlanSource::File(p), .. } => format!(
                "Scoring {}",
                p.file_name().map_or_else(|| p.display().to_string(), |n| n.to_string_lossy().into_owned())
            ),
        }
    }

    /// Whether this request is the live SHAP of the scenario being edited (a job kind of its
    /// own, so it never cancels a search).
    pub fn is_live(&self) -> bool {
        matches!(self, Self::Attribution(_))
    }
}

/// What a plan job hands back.
#[derive(Debug, Clone)]
pub enum PlanResult {
    /// SHAP of these values.
    Attribution(Vec<f64>, Attribution),
    /// SHAP of several value sets.
    Attributions(Vec<(Vec<f64>, Attribution)>),
    /// A heatmap for these scenario values.
    Heatmap(Vec<f64>, Box<Heatmap>),
    /// Counterfactuals for these scenario values.
    Counterfactuals(Vec<f64>, Box<Counterfactuals>),
    /// An operating window for these scenario values.
    Window(Vec<f64>, Box<OperatingWindow>),
    /// A scored plan.
    Scored(Box<SavedPlan>),
}

/// Carries out a request (on a job thread).
///
/// # Errors
/// Whatever the engine reports: bad settings, an unreadable plan, a cancel.
pub fn run_request(planner: &Planner, request: PlanRequest, progress: &Progress) -> crate::Result<PlanResult> {
    match request {
        PlanRequest::Attribution(values) => {
            let a = planner.attribution(&values, progress)?;
            Ok(PlanResult::Attribution(values, a))
        }
        PlanRequest::Attributions(list) => {
            let n = list.len().max(1);
            let mut out = Vec::with_capacity(list.len());
            for (i, values) in list.into_iter().enumerate() {
                let a = planner.attribution(&values, &progress.sub(i as f64 / n as f64, (i + 1) as f64 / n as f64))?;
                out.push((values, a));
            }
            Ok(PlanResult::Attributions(out))
        }
        PlanRequest::Heatmap { scenario, x, y } => {
            let h = planner.heatmap(&scenario, x, y, (HEAT_POINTS, HEAT_POINTS), progress)?;
            Ok(PlanResult::Heatmap(scenario.values(), Box::new(h)))
        }
        PlanRequest::Counterfactuals { scenario, want, count } => {
            let options = crate::plan::CounterfactualOptions { count, ..Default::default() };
            let cf = planner.counterfactuals(&scenario, &want, &options, progress)?;
            Ok(PlanResult::Counterfactuals(scenario.values(), Box::new(cf)))
        }
        PlanRequest::Window { scenario, features, want } => {
            let w = planner.operating_window(&scenario, &features, &want, &WindowOptions::default(), progress)?;
            Ok(PlanResult::Window(scenario.values(), Box::new(w)))
        }
        PlanRequest::Score { source, settings } => {
            let (plan, path, name) = match &source {
                PlanSource::Sample => (
                    crate::sample::sample_plan()?,
                    None,
                    crate::sample::SAMPLE_PLAN_NAME.trim_end_matches(".csv").to_owned(),
                ),
                PlanSource::File(p) => (
                    crate::data::load_file(p, &crate::data::LoadOptions::default(), &progress.sub(0.0, 0.1))?,
                    Some(p.clone()),
                    p.file_stem().map_or_else(|| "plan".to_owned(), |s| s.to_string_lossy().into_owned()),
                ),
            };
            let scored = planner.score_plan(&plan, &settings, &progress.sub(0.1, 1.0))?;
            Ok(PlanResult::Scored(Box::new(SavedPlan { name, source: path, settings: *settings, scored })))
        }
    }
}

/// Which plan jobs are running, as the panel needs to know.
#[derive(Debug, Clone, Copy, Default)]
pub struct PlanBusy {
    /// The planner is being built.
    pub planner: bool,
    /// The live SHAP job runs.
    pub live: bool,
    /// Another plan job runs.
    pub work: bool,
}

/// Sort order of the scored plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PlanSort {
    /// Plan order.
    #[default]
    Row,
    /// Highest risk first.
    Risk,
}

/// What the Plan panel remembers.
#[derive(Debug, Default)]
#[allow(clippy::struct_excessive_bools)] // independent UI switches
pub struct PlanPanel {
    /// Shown section.
    pub section: Section,
    /// The planner of the report with this id.
    pub planner: Option<(u64, Arc<Planner>)>,
    /// The report a planner was asked for.
    planner_requested: Option<u64>,
    /// The scenarios (saved in the project).
    pub scenarios: Vec<Scenario>,
    /// The scenario being edited.
    pub current: usize,
    /// Row for "new scenario from row".
    pub new_row: usize,
    /// The fast what-if of the current values.
    live: Option<(Vec<f64>, WhatIf)>,
    /// The last SHAP values that finished, with the values they explain.
    pub attribution: Option<(Vec<f64>, Attribution)>,
    /// SHAP values of other scenarios (comparison), by values.
    pub compared: Vec<(Vec<f64>, Attribution)>,
    /// The swept feature.
    pub sweep_feature: usize,
    /// Sweep and heatmap features were chosen (by the user, or from the first SHAP values).
    features_chosen: bool,
    sweep: Option<(Vec<f64>, usize, Result<Sweep, String>)>,
    /// Heatmap axes.
    pub heat_x: usize,
    /// Heatmap y axis.
    pub heat_y: usize,
    /// The last heatmap.
    pub heatmap: Option<(Vec<f64>, Box<Heatmap>)>,
    /// Wanted class (classification).
    pub want_class: usize,
    /// Wanted value range (regression), as typed: `<=42`, `>=40`, `40..45`.
    pub want_text: String,
    /// Counterfactuals asked for.
    pub cf_count: usize,
    /// The last counterfactuals.
    pub counterfactuals: Option<(Vec<f64>, Box<Counterfactuals>)>,
    /// Setpoints of the operating window (by feature).
    pub window_features: Vec<bool>,
    /// The last window.
    pub window: Option<(Vec<f64>, Box<OperatingWindow>)>,
    /// Scenarios ticked for the comparison.
    pub compare: Vec<bool>,
    /// The plan path box.
    pub plan_path: String,
    /// Risk limit for plans (two classes).
    pub risk_limit: f64,
    /// Propose counterfactuals for flagged runs.
    pub plan_counterfactuals: bool,
    /// Scored plans (saved in the project); the last is shown.
    pub plans: Vec<SavedPlan>,
    /// Show flagged runs only.
    pub flagged_only: bool,
    /// Text filter of the plan table.
    pub plan_filter: String,
    /// Sort order of the plan table.
    pub plan_sort: PlanSort,
    /// Score the plan in the path box as soon as possible (a file was picked).
    pub score_requested: bool,
    /// A message from the last action (an error in the settings).
    pub note: Option<String>,
    /// The scenarios or plans changed since the app last looked.
    pub changed: bool,
}

/// Values as a cache key (NaN-safe equality).
fn key(values: &[f64]) -> Vec<u64> {
    values.iter().map(|v| v.to_bits()).collect()
}

fn same(a: &[f64], b: &[f64]) -> bool {
    key(a) == key(b)
}

impl PlanPanel {
    /// A fresh panel with the usual defaults.
    pub fn new() -> Self {
        Self { cf_count: 3, risk_limit: 0.5, plan_counterfactuals: true, ..Self::default() }
    }

    /// Forgets everything (new data).
    pub fn reset(&mut self) {
        *self = Self::new();
    }

    /// Takes the scenarios and plans of an opened project.
    pub fn load_from(&mut self, project: &mut crate::project::Project) {
        self.reset();
        self.scenarios = std::mem::take(&mut project.scenarios);
        self.plans = std::mem::take(&mut project.plans);
    }

    /// Receives a finished job.
    pub fn receive(&mut self, result: PlanResult) {
        match result {
            PlanResult::Attribution(v, a) => self.attribution = Some((v, a)),
            PlanResult::Attributions(list) => {
                for (v, a) in list {
                    self.compared.retain(|(w, _)| !same(w, &v));
                    self.compared.push((v, a));
                }
            }
            PlanResult::Heatmap(v, h) => self.heatmap = Some((v, h)),
            PlanResult::Counterfactuals(v, c) => self.counterfactuals = Some((v, c)),
            PlanResult::Window(v, w) => self.window = Some((v, w)),
            PlanResult::Scored(p) => {
                self.plans.retain(|q| q.name != p.name);
                self.plans.push(*p);
                self.changed = true;
            }
        }
    }

    fn current_scenario(&self) -> Option<&Scenario> {
        self.scenarios.get(self.current)
    }

    /// Draws the panel.
    pub fn ui(
        &mut self,
        ui: &mut Ui,
        ds: &crate::data::Dataset,
        report: Option<(&TrainingReport, u64)>,
        busy: PlanBusy,
        commands: &mut Vec<Command>,
    ) {
        let Some((r, report_id)) = report else {
            egui::CentralPanel::default_margins().show(ui, |ui| {
                ui.add_space(20.0);
                ui.label(RichText::new("Train a model first (Train tab); then plan with it here.").weak());
            });
            return;
        };
        if self.planner.as_ref().is_some_and(|(id, _)| *id != report_id) {
            self.planner = None;
            self.live = None;
            self.attribution = None;
            self.compared.clear();
            self.sweep = None;
            self.heatmap = None;
            self.counterfactuals = None;
            self.window = None;
        }
        let Some(planner) = self.planner.as_ref().map(|(_, p)| p.clone()) else {
            if self.planner_requested != Some(report_id) && !busy.planner {
                self.planner_requested = Some(report_id);
                commands.push(Command::BuildPlanner);
            }
            egui::CentralPanel::default_margins().show(ui, |ui| {
                ui.horizontal(|ui| {
                    ui.spinner();
                    ui.label("learning the training data's ranges for planning…");
                });
            });
            return;
        };
        if self.scenarios.is_empty() {
            self.scenarios.push(planner.median_scenario());
            self.changed = true;
        }
        self.current = self.current.min(self.scenarios.len() - 1);
        let n = planner.model().n_features();
        self.window_features.resize(n, false);
        self.compare.resize(self.scenarios.len(), false);

        egui::Panel::top("plan_sections").show_separator_line(false).show(ui, |ui| {
            ui.horizontal(|ui| {
                for (s, name) in [
                    (Section::Scenario, "Scenario"),
                    (Section::Compare, "Compare scenarios"),
                    (Section::Plan, "Production plan"),
                ] {
                    ui.selectable_value(&mut self.section, s, RichText::new(name).strong());
                }
                ui.separator();
                ui.label(
                    RichText::new(format!("Model: {} for {}", r.settings.params.kind_label(), r.model.target)).weak(),
                );
            });
        });
        if let Some(note) = self.note.clone() {
            egui::Panel::top("plan_note").show_separator_line(false).show(ui, |ui| {
                ui.horizontal(|ui| {
                    if ui.button("Close").clicked() {
                        self.note = None;
                    }
                    ui.colored_label(ui.visuals().warn_fg_color, note);
                });
            });
        }
        match self.section {
            Section::Scenario => self.scenario_ui(ui, ds, &planner, busy, commands),
            Section::Compare => self.compare_ui(ui, &planner, busy, commands),
            Section::Plan => self.plan_ui(ui, &planner, busy, commands),
        }
    }

    // ---------------------------------------------------------------- scenario

    fn scenario_ui(
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
            commands.push(Command::Plan(PlanRequest::Attribution(values.clone())));
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
                commands.push(Command::Plan(PlanRequest::Heatmap {
                    scenario: Box::new(scenario.clone()),
                    x: self.heat_x,
                    y: self.heat_y,
                }));
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

    fn want_ui(&mut self, ui: &mut Ui, planner: &Planner) -> Option<Want> {
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
                commands.push(Command::Plan(PlanRequest::Counterfactuals {
                    scenario: Box::new(scenario.clone()),
                    want,
                    count: self.cf_count,
                }));
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
                commands.push(Command::Plan(PlanRequest::Window {
                    scenario: Box::new(scenario.clone()),
                    features: chosen,
                    want,
                }));
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
    fn want_ui_readonly(&self, planner: &Planner) -> Option<Want> {
        match planner.model().task {
            Task::Classification => Some(Want::Class { class: self.want_class }),
            Task::Regression => Want::parse(planner.model(), self.want_text.trim()).ok(),
        }
    }

    // ---------------------------------------------------------------- compare

    fn compare_ui(&mut self, ui: &mut Ui, planner: &Planner, busy: PlanBusy, commands: &mut Vec<Command>) {
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
                commands.push(Command::Plan(PlanRequest::Attributions(missing)));
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

    // ---------------------------------------------------------------- plan

    fn plan_ui(&mut self, ui: &mut Ui, planner: &Planner, busy: PlanBusy, commands: &mut Vec<Command>) {
        let model = planner.model();
        egui::Panel::top("plan_controls").show(ui, |ui| {
            ui.add_space(4.0);
            ui.horizontal(|ui| {
                ui.label("Plan file:");
                let resp = ui.add(
                    egui::TextEdit::singleline(&mut self.plan_path)
                        .hint_text("path of a CSV or spreadsheet, one planned run per row")
                        .desired_width(360.0),
                );
                if ui.button("Browse…").clicked() {
                    commands.push(Command::OpenPlanDialog);
                }
                let settings = self.plan_settings(planner);
                let enter = (resp.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter)))
                    || (std::mem::take(&mut self.score_requested) && !busy.work);
                if (ui
                    .add_enabled(!busy.work && !self.plan_path.trim().is_empty(), egui::Button::new("Score"))
                    .clicked()
                    || enter)
                    && !self.plan_path.trim().is_empty()
                {
                    commands.push(Command::Plan(PlanRequest::Score {
                        source: PlanSource::File(PathBuf::from(self.plan_path.trim())),
                        settings: Box::new(settings.clone()),
                    }));
                }
                if ui.add_enabled(!busy.work, egui::Button::new("Score the example plan")).clicked() {
                    commands.push(Command::Plan(PlanRequest::Score {
                        source: PlanSource::Sample,
                        settings: Box::new(settings),
                    }));
                }
            });
            ui.horizontal(|ui| {
                if model.task == Task::Classification && model.classes.len() == 2 {
                    ui.label(format!(
                        "Flag a run when P({} = {}) is at least",
                        model.target,
                        model.classes.get(1).cloned().unwrap_or_default()
                    ));
                    ui.add(egui::Slider::new(&mut self.risk_limit, 0.01..=0.99).step_by(0.01));
                } else {
                    ui.label("Flag runs that do not give:");
                    let _ = self.want_ui(ui, planner);
                }
                ui.checkbox(&mut self.plan_counterfactuals, "propose the cheapest change for flagged runs");
            });
            ui.add_space(2.0);
        });
        egui::CentralPanel::default_margins().show(ui, |ui| self.scored_ui(ui, model, commands));
    }

    fn plan_settings(&self, planner: &Planner) -> PlanSettings {
        let model = planner.model();
        let want = if model.task == Task::Classification && model.classes.len() == 2 {
            Some(Want::ProbabilityBelow { class: 1, limit: self.risk_limit })
        } else {
            self.want_ui_readonly(planner)
        };
        PlanSettings { want, counterfactuals: self.plan_counterfactuals, ..PlanSettings::default() }
    }

    fn scored_ui(&mut self, ui: &mut Ui, model: &crate::model::TrainedModel, commands: &mut Vec<Command>) {
        let Some(plan) = self.plans.last() else {
            ui.add_space(20.0);
            ui.label(
                RichText::new(
                    "Score a production plan: every planned run gets the model's prediction, its three strongest \
                     reasons, a risk flag and, for flagged runs, the cheapest change that clears the flag.",
                )
                .weak(),
            );
            return;
        };
        let s = &plan.scored;
        ui.horizontal(|ui| {
            ui.heading(&plan.name);
            ui.label(format!(
                "{} runs, {} flagged{}",
                s.runs.len(),
                s.flagged(),
                s.want_text.as_ref().map(|w| format!(" (wanted: {w})")).unwrap_or_default()
            ));
            if ui.button("Export CSV…").clicked() {
                commands.push(Command::SaveText { name: format!("{}_scored.csv", plan.name), text: s.to_csv() });
            }
        });
        if !s.messages.is_empty() {
            egui::CollapsingHeader::new(format!("{} notes on the plan's columns and cells", s.messages.len()))
                .id_salt("plan_messages")
                .show(ui, |ui| {
                    for m in &s.messages {
                        ui.label(RichText::new(m.to_string()).small());
                    }
                });
        }
        ui.horizontal(|ui| {
            ui.checkbox(&mut self.flagged_only, "flagged runs only");
            ui.label("Filter:");
            ui.add(
                egui::TextEdit::singleline(&mut self.plan_filter).hint_text("any text in the row").desired_width(200.0),
            );
            ui.label("Sort:");
            ui.selectable_value(&mut self.plan_sort, PlanSort::Row, "plan order");
            ui.selectable_value(&mut self.plan_sort, PlanSort::Risk, "highest risk first");
        });
        let filter = self.plan_filter.to_lowercase();
        let mut order: Vec<&crate::plan::ScoredRun> = s
            .runs
            .iter()
            .filter(|r| {
                (!self.flagged_only || r.flagged)
                    && (filter.is_empty()
                        || r.inputs.iter().any(|c| c.to_lowercase().contains(&filter))
                        || r.label.to_lowercase().contains(&filter)
                        || r.reasons.iter().any(|x| x.name.to_lowercase().contains(&filter)))
            })
            .collect();
        if self.plan_sort == PlanSort::Risk {
            let risk = |r: &crate::plan::ScoredRun| r.risk.unwrap_or(if r.flagged { 1.0 } else { 0.0 });
            order.sort_by(|a, b| risk(b).total_cmp(&risk(a)));
        }
        let row_h = ui.text_style_height(&egui::TextStyle::Body) + 8.0;
        let inputs = s.input_columns.len();
        let warn = ui.visuals().warn_fg_color;
        let bad = ui.visuals().error_fg_color;
        let mut table = TableBuilder::new(ui)
            .id_salt("scored_plan")
            .striped(true)
            .resizable(true)
            .max_scroll_height(f32::INFINITY)
            .column(TableColumn::exact(40.0));
        for _ in 0..inputs {
            table = table.column(TableColumn::initial(90.0).clip(true));
        }
        table = table
            .column(TableColumn::initial(90.0))
            .column(TableColumn::initial(80.0))
            .column(TableColumn::initial(300.0).clip(true))
            .column(TableColumn::initial(320.0).clip(true))
            .column(TableColumn::remainder().clip(true));
        let risk_name = if model.task == Task::Classification && model.classes.len() == 2 {
            format!("P({})", model.classes.get(1).cloned().unwrap_or_default())
        } else {
            "flag".to_owned()
        };
        table
            .header(row_h, |mut h| {
                h.col(|ui| {
                    ui.label(RichText::new("row").strong());
                });
                for c in &s.input_columns {
                    h.col(|ui| {
                        ui.label(RichText::new(c).strong());
                    });
                }
                for t in ["prediction", risk_name.as_str(), "strongest reasons (SHAP)", "cheapest change", "notes"] {
                    h.col(|ui| {
                        ui.label(RichText::new(t).strong());
                    });
                }
            })
            .body(|body| {
                body.rows(row_h, order.len(), |mut row| {
                    let Some(r) = order.get(row.index()) else { return };
                    row.col(|ui| {
                        ui.label(r.row.to_string());
                    });
                    for c in &r.inputs {
                        row.col(|ui| {
                            ui.monospace(c);
                        });
                    }
                    row.col(|ui| {
                        let t = RichText::new(&r.label).strong();
                        ui.label(if r.flagged { t.color(bad) } else { t });
                    });
                    row.col(|ui| {
                        let text = r.risk.map_or_else(
                            || if r.flagged { "flagged".into() } else { "ok".into() },
                            |p| format!("{:.1} %", p * 100.0),
                        );
                        let color = if r.flagged {
                            bad
                        } else if r.risk.is_some_and(|p| p >= self.risk_limit * 0.5) {
                            warn
                        } else {
                            ui.visuals().text_color()
                        };
                        let rect = ui.max_rect();
                        if r.flagged {
                            ui.painter().rect_filled(rect, 2.0, bad.gamma_multiply(0.18));
                        }
                        ui.label(RichText::new(text).monospace().color(color));
                    });
                    row.col(|ui| {
                        let text = r.reasons.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ");
                        ui.label(RichText::new(&text).small()).on_hover_text(text.replace("; ", "\n"));
                    });
                    row.col(|ui| {
                        let text = r.counterfactual.as_ref().map_or_else(String::new, |c| {
                            format!(
                                "{} gives {}",
                                c.changes
                                    .iter()
                                    .map(|ch| format!("{} {} to {}", ch.name, ch.from_text, ch.text))
                                    .collect::<Vec<_>>()
                                    .join(", "),
                                c.label
                            )
                        });
                        ui.label(RichText::new(&text).small()).on_hover_text(text.clone());
                    });
                    row.col(|ui| {
                        let mut notes = r.notes.clone();
                        if !r.in_envelope {
                            notes.insert(0, "outside the training envelope".into());
                        }
                        let text = notes.join("; ");
                        ui.label(RichText::new(&text).small().weak()).on_hover_text(text.clone());
                    });
                });
            });
    }
}

/// The strongest `k` contributions: (feature, value), largest magnitude first.
fn top_reasons(values: &[f64], k: usize) -> Vec<(usize, f64)> {
    let mut order: Vec<(usize, f64)> = values.iter().copied().enumerate().collect();
    order.sort_by(|a, b| b.1.abs().total_cmp(&a.1.abs()));
    order.truncate(k);
    order
}

/// A value written with the decimals of its step (0.1 → one decimal), or in six significant
/// digits for continuous values, so floating-point noise never reaches the screen.
fn format_on_step(v: f64, step: f64) -> String {
    if !v.is_finite() {
        return crate::data::format_number(v);
    }
    if step > 0.0 {
        let decimals = (0..=6).find(|&d| {
            let s = step * 10f64.powi(d);
            (s - s.round()).abs() <= 1e-9 * s.abs().max(1.0)
        });
        if let Some(d) = decimals {
            return format!("{v:.*}", d as usize);
        }
    }
    let magnitude = if v == 0.0 { 0 } else { v.abs().log10().floor() as i32 };
    let d = (5 - magnitude).clamp(0, 9) as usize;
    let text = format!("{v:.d$}");
    if text.contains('.') { text.trim_end_matches('0').trim_end_matches('.').to_owned() } else { text }
}

fn origin_text(o: Origin) -> String {
    match o {
        Origin::Row { row } => format!("from row {row}"),
        Origin::Median => "training median".into(),
        Origin::Typed => "typed".into(),
        Origin::PlanRun { row } => format!("plan run {row}"),
    }
}

fn feature_combo(ui: &mut Ui, id: &str, selected: &mut usize, domains: &[crate::plan::FeatureDomain]) -> bool {
    let text = domains.get(*selected).map_or_else(String::new, |d| d.name.clone());
    let mut changed = false;
    egui::ComboBox::from_id_salt(id).selected_text(text).show_ui(ui, |ui| {
        for (j, d) in domains.iter().enumerate() {
            changed |= ui.selectable_value(selected, j, d.name.as_str()).changed();
        }
    });
    changed
}

/// Draws a heatmap of the output over two features, with the scenario's point marked and the
/// value under the pointer.
fn heatmap_ui(ui: &mut Ui, planner: &Planner, h: &Heatmap, what: &str) -> Option<Rect> {
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

fn shorten(s: &str, n: usize) -> String {
    if s.chars().count() > n { s.chars().take(n - 1).chain(['…']).collect() } else { s.to_owned() }
}
