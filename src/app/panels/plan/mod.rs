//! The Plan panel: what-if scenarios edited with a slider per feature while the prediction and
//! its SHAP waterfall follow, sweeps (one feature as a curve, two as a heatmap), counterfactuals
//! that can be applied as new scenarios, operating windows, scenarios side by side, and the
//! scoring of a whole production plan.
//!
//! Everything slow runs as a job: building the [`Planner`], KernelSHAP for models other than
//! trees, heatmaps, counterfactual searches, windows and plan scoring. What runs while a slider
//! moves is the planner's fast path (prediction, TreeSHAP for trees, envelope check) and a
//! one-feature sweep, recomputed only when a value changed.
//!
//! The scenarios and plans belong to the session (the project saves them). Each frame the panel
//! edits a working copy of the scenarios and sends it back as one `Edit` when something changed;
//! scored plans go to the session as they arrive. The sections live in their own files:
//! `scenario.rs` (editor, prediction, sweeps, counterfactuals, window), `compare.rs`,
//! `production.rs` (plan scoring) and `heatmap.rs`.

// Counts and values become text and screen coordinates; the rounding is invisible.
#![allow(clippy::cast_possible_truncation, clippy::cast_sign_loss, clippy::cast_precision_loss)]

mod compare;
mod heatmap;
mod production;
mod scenario;

use std::path::PathBuf;
use std::sync::Arc;

use egui::{RichText, Ui};

use super::PanelContext;
use crate::app::command::{Command, Edit};
use crate::app::jobs::{JobKind, JobSpec};
use crate::app::session::Session;
use crate::plan::{
    Attribution, Counterfactuals, Heatmap, OperatingWindow, Origin, PlanSettings, Planner, PlannerOptions, SavedPlan,
    Scenario, Sweep, Want, WhatIf, WindowOptions,
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

/// Work the Plan panel asks for.
#[derive(Debug, Clone, PartialEq)]
pub enum Request {
    /// Learn what planning needs about the model's training rows (the planner).
    Planner,
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

impl Request {
    /// Words for the status bar.
    pub fn title(&self) -> String {
        match self {
            Self::Planner => "Preparing planning".into(),
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

    /// The kind of job that runs it.
    pub fn kind(&self) -> JobKind {
        match self {
            Self::Planner => JobKind::Planner,
            Self::Attribution(_) => JobKind::PlanLive,
            _ => JobKind::PlanWork,
        }
    }
}

/// What the panel's work hands back, with the id of the model it was done for.
pub enum Done {
    /// The planner.
    Planner(u64, Arc<Planner>),
    /// Other planning work.
    Result(u64, PlanResult),
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
pub fn run_request(planner: &Planner, request: Request, progress: &Progress) -> crate::Result<PlanResult> {
    match request {
        Request::Planner => Err(crate::Error::invalid("the planner is built, not run")),
        Request::Attribution(values) => {
            let a = planner.attribution(&values, progress)?;
            Ok(PlanResult::Attribution(values, a))
        }
        Request::Attributions(list) => {
            let n = list.len().max(1);
            let mut out = Vec::with_capacity(list.len());
            for (i, values) in list.into_iter().enumerate() {
                let a = planner.attribution(&values, &progress.sub(i as f64 / n as f64, (i + 1) as f64 / n as f64))?;
                out.push((values, a));
            }
            Ok(PlanResult::Attributions(out))
        }
        Request::Heatmap { scenario, x, y } => {
            let h = planner.heatmap(&scenario, x, y, (HEAT_POINTS, HEAT_POINTS), progress)?;
            Ok(PlanResult::Heatmap(scenario.values(), Box::new(h)))
        }
        Request::Counterfactuals { scenario, want, count } => {
            let options = crate::plan::CounterfactualOptions { count, ..Default::default() };
            let cf = planner.counterfactuals(&scenario, &want, &options, progress)?;
            Ok(PlanResult::Counterfactuals(scenario.values(), Box::new(cf)))
        }
        Request::Window { scenario, features, want } => {
            let w = planner.operating_window(&scenario, &features, &want, &WindowOptions::default(), progress)?;
            Ok(PlanResult::Window(scenario.values(), Box::new(w)))
        }
        Request::Score { source, settings } => {
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
    /// This frame's working copy of the session's scenarios; edits go back as one
    /// `Edit::SetScenarios` at the end of the frame.
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
    /// The working copy of the scenarios changed this frame.
    changed: bool,
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

    /// The job for a request: building the planner from the session's model, or running
    /// planning work on the planner built for it.
    pub fn job(&self, request: Request, session: &Session) -> Option<JobSpec<Done>> {
        let (ds, report, id) = session.model()?;
        let (kind, title) = (request.kind(), request.title());
        if request == Request::Planner {
            let (ds, report) = (ds.clone(), report.clone());
            return Some(JobSpec::new(kind, title, move |p| {
                let options = PlannerOptions { seed: report.settings.seed, ..Default::default() };
                let planner = Planner::new(&report.model, &ds, &report.split.train, &options, p)?;
                Ok(Done::Planner(id, Arc::new(planner)))
            }));
        }
        let planner = self.planner.as_ref().filter(|(pid, _)| *pid == id).map(|(_, p)| p.clone())?;
        Some(JobSpec::new(kind, title, move |p| Ok(Done::Result(id, run_request(&planner, request, p)?))))
    }

    /// Takes back the result of the panel's work, if it is for the current model.
    pub fn receive(&mut self, done: Done, session: &Session, commands: &mut Vec<Command>) -> Option<String> {
        match done {
            Done::Planner(id, planner) if id == session.report_id => self.planner = Some((id, planner)),
            Done::Result(id, result) if id == session.report_id => self.receive_result(result, commands),
            Done::Planner(..) | Done::Result(..) => {}
        }
        None
    }

    /// Asks for a production plan file to be scored (picked in the system's file dialog).
    pub fn score_file(&mut self, path: &std::path::Path) {
        self.plan_path = path.display().to_string();
        self.score_requested = true;
        self.section = Section::Plan;
    }

    /// A new model: what was derived from the old one goes.
    pub fn model_replaced(&mut self) {
        self.planner = None;
        self.live = None;
        self.attribution = None;
        self.compared.clear();
        self.sweep = None;
        self.heatmap = None;
        self.counterfactuals = None;
        self.window = None;
    }

    fn receive_result(&mut self, result: PlanResult, commands: &mut Vec<Command>) {
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
            PlanResult::Scored(p) => commands.push(Command::Edit(Edit::AddPlan(p))),
        }
    }

    fn current_scenario(&self) -> Option<&Scenario> {
        self.scenarios.get(self.current)
    }

    /// Draws the panel.
    pub fn ui(&mut self, ui: &mut Ui, cx: &mut PanelContext<'_>) {
        let PanelContext { session, busy, commands } = cx;
        let busy = PlanBusy {
            planner: busy.is(JobKind::Planner),
            live: busy.is(JobKind::PlanLive),
            work: busy.is(JobKind::PlanWork),
        };
        let Some((ds, r, report_id)) = session.model() else {
            egui::CentralPanel::default_margins().show(ui, |ui| {
                ui.add_space(20.0);
                ui.label(RichText::new("Train a model first (Train tab); then plan with it here.").weak());
            });
            return;
        };
        if self.planner.as_ref().is_some_and(|(id, _)| *id != report_id) {
            self.model_replaced();
        }
        let Some(planner) = self.planner.as_ref().map(|(_, p)| p.clone()) else {
            if self.planner_requested != Some(report_id) && !busy.planner {
                self.planner_requested = Some(report_id);
                commands.push(Command::Work(super::Work::Plan(Request::Planner)));
            }
            egui::CentralPanel::default_margins().show(ui, |ui| {
                ui.horizontal(|ui| {
                    ui.spinner();
                    ui.label("learning the training data's ranges for planning…");
                });
            });
            return;
        };
        self.scenarios.clone_from(&session.scenarios);
        self.changed = false;
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
            Section::Plan => self.plan_ui(ui, &planner, &session.plans, busy, commands),
        }
        if std::mem::take(&mut self.changed) {
            commands.push(Command::Edit(Edit::SetScenarios(self.scenarios.clone())));
        }
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

fn shorten(s: &str, n: usize) -> String {
    if s.chars().count() > n { s.chars().take(n - 1).chain(['…']).collect() } else { s.to_owned() }
}
