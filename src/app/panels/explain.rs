//! The Explain panel.
//!
//! Global view: importance by mean |SHAP|, permutation and impurity side by side, the SHAP
//! beeswarm coloured by feature value, a dependence plot coloured by the strongest interacting
//! feature, and partial dependence with ICE curves. Local view: a row's prediction from the base
//! value as a waterfall of SHAP contributions (with values and units), LIME's weights beside it,
//! and for trees the decision path the row takes.

// Data values become screen coordinates and counts (f32, usize); the rounding is invisible.
#![allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]

use std::fmt::Write as _;
use std::sync::Arc;
use std::time::Duration;

use egui::{Color32, RichText, Ui};
use egui_plot::{Legend, Line, Plot, PlotPoints, Points};

use super::PanelContext;
use crate::app::command::Command;
use crate::app::jobs::{JobKind, JobSpec};
use crate::app::session::Session;
use crate::app::widgets::{BarRow, DOWN, UP, hbar_chart, value_color, waterfall_rows};
use crate::data::{Dataset, Role};
use crate::explain::model::{GlobalExplanation, GlobalOptions, LocalExplanations, LocalOptions, Method, tree_shap_row};
use crate::explain::pdp::PartialDependence;
use crate::model::pipeline::FeatureKind;
use crate::model::train::TrainingReport;
use crate::model::{Output, Task, TrainedModel};

/// Global or local view.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ExplainView {
    /// The model as a whole.
    #[default]
    Global,
    /// One row.
    Local,
}

/// Work the Explain panel asks for.
#[derive(Debug, Clone, PartialEq)]
pub enum Request {
    /// The global explanation of the model.
    Global(Box<GlobalOptions>),
    /// Partial dependence and ICE curves of one feature.
    Pdp {
        /// Raw feature index.
        feature: usize,
        /// Explained output.
        output: Output,
    },
    /// SHAP and LIME for one dataset row.
    Row {
        /// Dataset row.
        row: usize,
        /// SHAP settings.
        options: Box<LocalOptions>,
    },
}

/// What that work hands back, each with the id of the model it explains.
pub enum Done {
    /// The global explanation.
    Global(u64, Box<GlobalExplanation>),
    /// Partial dependence of a feature.
    Pdp(u64, usize, Box<PartialDependence>),
    /// A row's SHAP and LIME explanations.
    Row(u64, usize, Box<LocalExplanations>, Option<Box<LocalExplanations>>),
}

impl Request {
    /// The job for this request on the session's model.
    pub fn job(self, session: &Session) -> Option<JobSpec<Done>> {
        let (ds, report, id) = session.model()?;
        let (ds, report) = (ds.clone(), report.clone());
        Some(match self {
            Self::Global(options) => JobSpec::new(JobKind::Explain, "Explaining", move |p| {
                let rows = if report.split.test.is_empty() { &report.split.train } else { &report.split.test };
                let g = crate::explain::model::global(&report.model, &ds, rows, &report.split.train, &options, p)?;
                Ok(Done::Global(id, Box::new(g)))
            }),
            Self::Pdp { feature, output } => JobSpec::new(JobKind::Explain, "Partial dependence", move |p| {
                let opts = crate::explain::pdp::PdpOptions { max_rows: Some(500), ..Default::default() };
                let pdp =
                    crate::explain::model::pdp(&report.model, &ds, &report.split.test, feature, output, &opts, p)?;
                Ok(Done::Pdp(id, feature, Box::new(pdp)))
            }),
            Self::Row { row, options } => JobSpec::new(JobKind::Explain, format!("Explaining row {row}"), move |p| {
                let bg = &report.split.train;
                let explain = |o: &LocalOptions, part: &crate::Progress| {
                    crate::explain::model::explain_rows(&report.model, &ds, &[row], bg, o, part)
                };
                let shap = explain(&options, &p.sub(0.0, 0.5))?;
                let lime = explain(&LocalOptions { method: Method::Lime, ..*options }, &p.sub(0.5, 1.0))?;
                Ok(Done::Row(id, row, Box::new(shap), Some(Box::new(lime))))
            }),
        })
    }
}

/// Results the panel draws, delivered by background jobs.
#[derive(Debug, Clone, Default)]
pub struct ExplainResults {
    /// The report they belong to.
    pub report_id: u64,
    /// Global explanation.
    pub global: Option<Arc<GlobalExplanation>>,
    /// Partial dependence of one feature.
    pub pdp: Option<(usize, Arc<PartialDependence>)>,
    /// SHAP (with the chosen method) and LIME for one row.
    pub local: Option<(usize, Arc<LocalExplanations>, Option<Arc<LocalExplanations>>)>,
}

/// What the Explain panel remembers.
#[derive(Debug)]
pub struct ExplainPanel {
    /// Global or local.
    pub view: ExplainView,
    /// The explained class (classification).
    pub class: Option<usize>,
    /// SHAP method (`None` = TreeSHAP for trees, KernelSHAP otherwise).
    pub method: Option<Method>,
    /// Background size.
    pub background: usize,
    /// Most rows in the global view.
    pub max_rows: usize,
    /// Seed.
    pub seed: u64,
    /// Feature of the dependence and PDP plots.
    pub feature: usize,
    /// Row of the local view (dataset row).
    pub row: usize,
    /// Text typed to find a row by its ID.
    pub id_query: String,
    /// Results from jobs.
    pub results: ExplainResults,
    /// The model whose explanations were started without a click (they are cheap for trees).
    auto_started: Option<u64>,
}

impl Default for ExplainPanel {
    fn default() -> Self {
        Self {
            view: ExplainView::Global,
            class: None,
            method: None,
            background: 100,
            max_rows: 1000,
            seed: 0,
            feature: 0,
            row: 0,
            id_query: String::new(),
            results: ExplainResults::default(),
            auto_started: None,
        }
    }
}

impl ExplainPanel {
    fn output(&self, model: &TrainedModel) -> Output {
        match (model.task, self.class) {
            (Task::Classification, Some(c)) if c < model.classes.len() => Output::Probability(c),
            _ => model.default_output(),
        }
    }

    fn method(&self, model: &TrainedModel) -> Method {
        self.method.unwrap_or(if model.tree().is_some() { Method::TreeShap } else { Method::KernelShap })
    }

    /// The settings a Compute click uses.
    pub fn global_options(&self, model: &TrainedModel) -> GlobalOptions {
        let method = self.method(model);
        let background = if method == Method::KernelShap { self.background.min(30) } else { self.background };
        let max_rows = if method == Method::KernelShap { self.max_rows.min(200) } else { self.max_rows };
        GlobalOptions {
            local: LocalOptions {
                method,
                output: Some(self.output(model)),
                background,
                samples: None,
                seed: self.seed,
            },
            max_rows,
            permutation_repeats: 5,
        }
    }

    /// Takes back the result of the panel's work, if it is for the current model.
    pub fn receive(&mut self, done: Done, elapsed: Duration, session: &Session) -> Option<String> {
        match done {
            Done::Global(id, g) if id == session.report_id => {
                // Start the dependence plot on the most important feature.
                self.feature = crate::model::svm::argmax(&g.mean_abs_shap);
                self.results.global = Some(Arc::new(*g));
                return Some(format!("Explanations ready in {}", crate::app::widgets::duration_text(elapsed)));
            }
            Done::Pdp(id, feature, p) if id == session.report_id => self.results.pdp = Some((feature, Arc::new(*p))),
            Done::Row(id, row, shap, lime) if id == session.report_id => {
                self.results.local = Some((row, Arc::new(*shap), lime.map(|l| Arc::new(*l))));
            }
            Done::Global(..) | Done::Pdp(..) | Done::Row(..) => {}
        }
        None
    }

    /// Draws the panel.
    pub fn ui(&mut self, ui: &mut Ui, cx: &mut PanelContext<'_>) {
        let busy = cx.busy.is(JobKind::Explain);
        let commands = &mut *cx.commands;
        let report_id = cx.session.report_id;
        let Some((ds, r, _)) = cx.session.model() else {
            egui::CentralPanel::default_margins().show(ui, |ui| {
                ui.add_space(20.0);
                ui.label(RichText::new("Train a model first (Train tab); its explanations appear here.").weak());
            });
            return;
        };
        if self.results.report_id != report_id {
            self.results = ExplainResults { report_id, ..ExplainResults::default() };
            self.feature = self.feature.min(r.model.n_features().saturating_sub(1));
        }
        let model = &r.model;
        egui::Panel::top("explain_controls").show(ui, |ui| {
            ui.horizontal_wrapped(|ui| {
                ui.selectable_value(&mut self.view, ExplainView::Global, RichText::new("Whole model").strong());
                ui.selectable_value(&mut self.view, ExplainView::Local, RichText::new("One row").strong());
                ui.separator();
                if model.task == Task::Classification {
                    let current = match self.output(model) {
                        Output::Probability(c) => model.classes.get(c).cloned().unwrap_or_default(),
                        Output::Value => String::new(),
                    };
                    ui.label("Explain P(class =");
                    egui::ComboBox::from_id_salt("explain_class").selected_text(current).show_ui(ui, |ui| {
                        for (k, c) in model.classes.iter().enumerate() {
                            if ui.selectable_label(self.output(model) == Output::Probability(k), c).clicked() {
                                self.class = Some(k);
                                self.results = ExplainResults { report_id, ..ExplainResults::default() };
                            }
                        }
                    });
                    ui.label(")");
                } else {
                    ui.label(format!("Explain the predicted {}", model.target));
                }
                ui.separator();
                ui.label("Method:");
                let method = self.method(model);
                egui::ComboBox::from_id_salt("explain_method").selected_text(method.label()).show_ui(ui, |ui| {
                    for m in [Method::TreeShap, Method::InterventionalShap, Method::KernelShap] {
                        if (!m.needs_tree() || model.tree().is_some())
                            && ui.selectable_label(method == m, m.label()).clicked()
                        {
                            self.method = Some(m);
                        }
                    }
                });
                if method != Method::TreeShap {
                    ui.label("background:");
                    ui.add(egui::DragValue::new(&mut self.background).range(1..=500));
                }
                ui.label("seed:");
                ui.add(egui::DragValue::new(&mut self.seed));
            });
        });
        // TreeSHAP of a tree takes milliseconds: show its explanations at once, without a click.
        let starting = self.results.global.is_none()
            && !busy
            && self.auto_started != Some(report_id)
            && self.global_options(model).local.method == Method::TreeShap;
        if starting {
            self.auto_started = Some(report_id);
            commands.push(Command::Work(super::Work::Explain(Request::Global(Box::new(self.global_options(model))))));
        }
        egui::CentralPanel::default_margins().show(ui, |ui| match self.view {
            ExplainView::Global => self.global_ui(ui, ds, r, busy || starting, commands),
            ExplainView::Local => self.local_ui(ui, ds, r, busy, commands),
        });
    }

    fn global_ui(&mut self, ui: &mut Ui, ds: &Dataset, r: &TrainingReport, busy: bool, commands: &mut Vec<Command>) {
        let model = &r.model;
        let Some(g) = self.results.global.clone() else {
            ui.add_space(12.0);
            let opts = self.global_options(model);
            if busy {
                // Cheap explanations start on their own; this shows while they run.
                ui.horizontal(|ui| {
                    ui.spinner();
                    ui.label(format!("computing {} and permutation importance…", opts.local.method.label()));
                });
                return;
            }
            ui.label(format!(
                "Computes {} over up to {} test rows, permutation importance on the {} test rows{}.",
                opts.local.method.label(),
                opts.max_rows,
                r.split.test.len(),
                if model.tree().is_some() { ", impurity importance and interaction strengths" } else { "" }
            ));
            if ui.add_enabled(!busy, egui::Button::new(RichText::new("Compute explanations").strong())).clicked() {
                commands.push(Command::Work(super::Work::Explain(Request::Global(Box::new(opts)))));
            }
            return;
        };
        let names = &g.shap.features;
        let mut order: Vec<usize> = (0..names.len()).collect();
        order.sort_by(|&a, &b| value_at(&g.mean_abs_shap, b).total_cmp(&value_at(&g.mean_abs_shap, a)));
        egui::ScrollArea::vertical().id_salt("global_scroll").show(ui, |ui| {
            ui.horizontal(|ui| {
                ui.label(
                    RichText::new(format!(
                        "{} over {} test rows · base value {:.4}",
                        g.shap.method.label(),
                        g.shap.rows.len(),
                        g.shap.base_values.first().copied().unwrap_or(f64::NAN)
                    ))
                    .strong(),
                );
                if ui.add_enabled(!busy, egui::Button::new("Recompute")).clicked() {
                    commands.push(Command::Work(super::Work::Explain(Request::Global(Box::new(
                        self.global_options(model),
                    )))));
                }
                if ui.button("Save values (CSV)…").clicked() {
                    commands.push(Command::SaveText { name: "shap_values.csv".into(), text: shap_csv(&g) });
                }
                if ui.button("Save importance (SVG)…").clicked() {
                    let rows: Vec<(String, f64)> =
                        order.iter().map(|&j| (name_at(names, j).to_owned(), value_at(&g.mean_abs_shap, j))).collect();
                    commands.push(Command::SaveText {
                        name: "importance.svg".into(),
                        text: crate::explain::svg::bars("Mean |SHAP|", &rows),
                    });
                }
            });
            ui.add_space(6.0);
            let label_w = 190.0;
            let importance = ui.scope(|ui| {
                ui.columns_const(|[shap_col, perm_col, imp_col]| {
                    shap_col.label(RichText::new("Mean |SHAP|").strong());
                    let rows: Vec<BarRow> = order
                        .iter()
                        .map(|&j| BarRow {
                            label: name_at(names, j).to_owned(),
                            value: value_at(&g.mean_abs_shap, j),
                            start: 0.0,
                            error: None,
                            color: UP,
                            value_text: format!("{:.4}", value_at(&g.mean_abs_shap, j)),
                        })
                        .collect();
                    hbar_chart(shap_col, &rows, label_w);
                    perm_col.label(
                        RichText::new(format!(
                            "Permutation ({} drop when shuffled)",
                            if model.task == Task::Classification { "accuracy" } else { "R²" }
                        ))
                        .strong(),
                    );
                    if let Some(p) = &g.permutation {
                        let rows: Vec<BarRow> = order
                            .iter()
                            .map(|&j| BarRow {
                                label: name_at(names, j).to_owned(),
                                value: value_at(&p.mean, j),
                                start: 0.0,
                                error: Some(value_at(&p.std, j)),
                                color: Color32::from_rgb(90, 150, 90),
                                value_text: format!("{:.4}", value_at(&p.mean, j)),
                            })
                            .collect();
                        hbar_chart(perm_col, &rows, label_w);
                    }
                    imp_col.label(RichText::new("Impurity (tree splits)").strong());
                    match &g.impurity {
                        Some(imp) => {
                            let rows: Vec<BarRow> = order
                                .iter()
                                .map(|&j| BarRow {
                                    label: name_at(names, j).to_owned(),
                                    value: value_at(imp, j),
                                    start: 0.0,
                                    error: None,
                                    color: Color32::from_rgb(150, 120, 190),
                                    value_text: format!("{:.3}", value_at(imp, j)),
                                })
                                .collect();
                            hbar_chart(imp_col, &rows, label_w);
                        }
                        None => {
                            imp_col.label(RichText::new("Only trees have split importance.").weak());
                        }
                    }
                });
            });
            crate::app::widgets::png_button(
                ui,
                "Save importance (PNG)…",
                "importance.png",
                importance.response.rect,
                commands,
            );
            ui.add_space(10.0);
            ui.label(
                RichText::new("SHAP summary: each dot is a row; colour is the feature's value (blue low, red high)")
                    .strong(),
            );
            let rect = beeswarm(ui, &g, &order);
            crate::app::widgets::png_button(ui, "Save summary plot (PNG)…", "shap_summary.png", rect, commands);
            ui.add_space(10.0);
            ui.horizontal(|ui| {
                ui.label(RichText::new("Feature:").strong());
                egui::ComboBox::from_id_salt("dep_feature")
                    .selected_text(names.get(self.feature).cloned().unwrap_or_default())
                    .show_ui(ui, |ui| {
                        for &j in &order {
                            ui.selectable_value(&mut self.feature, j, name_at(names, j));
                        }
                    });
            });
            let partner = g.strongest_partner(self.feature);
            ui.columns_const(|[left, right]| {
                let rect = dependence(left, &g, model, self.feature, partner);
                crate::app::widgets::png_button(
                    left,
                    "Save dependence plot (PNG)…",
                    &format!("dependence_{}.png", png_name(names.get(self.feature).map_or("", String::as_str))),
                    rect,
                    commands,
                );
                let pdp = self.results.pdp.as_ref().filter(|(f, _)| *f == self.feature).map(|(_, p)| p.clone());
                match pdp {
                    Some(p) => {
                        let rect = pdp_plot(right, &p, model, self.feature);
                        crate::app::widgets::png_button(
                            right,
                            "Save PDP/ICE plot (PNG)…",
                            &format!("pdp_{}.png", png_name(names.get(self.feature).map_or("", String::as_str))),
                            rect,
                            commands,
                        );
                    }
                    None => {
                        right.label(RichText::new("Partial dependence and ICE").strong());
                        if right
                            .add_enabled(
                                !busy,
                                egui::Button::new(format!(
                                    "Compute for {}",
                                    names.get(self.feature).map_or("", String::as_str)
                                )),
                            )
                            .clicked()
                        {
                            commands.push(Command::Work(super::Work::Explain(Request::Pdp {
                                feature: self.feature,
                                output: self.output(model),
                            })));
                        }
                    }
                }
            });
            let _ = ds;
        });
    }

    fn local_ui(&mut self, ui: &mut Ui, ds: &Dataset, r: &TrainingReport, busy: bool, commands: &mut Vec<Command>) {
        let model = &r.model;
        let output = self.output(model);
        ui.horizontal(|ui| {
            ui.label(RichText::new("Row:").strong());
            let max = ds.n_rows().saturating_sub(1);
            ui.add(egui::DragValue::new(&mut self.row).range(0..=max));
            if let Some(id_col) = ds.columns.iter().find(|c| c.role == Role::Id) {
                ui.label(format!("or {}:", id_col.name));
                let edit = ui.add(egui::TextEdit::singleline(&mut self.id_query).desired_width(120.0));
                if edit.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter)) {
                    let q = self.id_query.trim();
                    if let Some(found) = (0..ds.n_rows()).find(|&i| id_col.display_value(i) == q) {
                        self.row = found;
                    }
                }
            }
            let in_test = r.split.test.binary_search(&self.row).is_ok();
            ui.label(RichText::new(if in_test { "(a test row)" } else { "(a training row)" }).weak());
            if ui
                .add_enabled(!busy, egui::Button::new("Explain with LIME too"))
                .on_hover_text("Runs SHAP with the chosen method and LIME (5,000 samples) for this row")
                .clicked()
            {
                let m = self.method(model);
                let local = LocalOptions {
                    method: m,
                    output: Some(output),
                    background: if m == Method::KernelShap { self.background.min(30) } else { self.background },
                    samples: None,
                    seed: self.seed,
                };
                commands.push(Command::Work(super::Work::Explain(Request::Row {
                    row: self.row,
                    options: Box::new(local),
                })));
            }
        });
        let raw = model.raw_rows(ds, &[self.row]).ok().and_then(|m| m.rows().next().map(<[f64]>::to_vec));
        let Some(raw_row) = raw else {
            ui.colored_label(ui.visuals().error_fg_color, "This row cannot be read in the model's features.");
            return;
        };
        let pred = model.predict_row(&raw_row);
        let explained = match output {
            Output::Probability(c) => pred.probabilities.get(c).copied().unwrap_or(f64::NAN),
            Output::Value => pred.value,
        };
        // SHAP for this row: instant for trees; from the job for other models.
        let job_result = self.results.local.as_ref().filter(|(row, ..)| *row == self.row);
        let shap: Option<(f64, Vec<f64>)> = if self.method(model) == Method::TreeShap {
            tree_shap_row(model, &raw_row, output)
        } else {
            job_result.and_then(|(_, s, _)| Some((*s.base_values.first()?, s.values.rows().next()?.to_vec())))
        };
        let actual = crate::explain::model::target_codes(model, ds, &[self.row]).ok().and_then(|v| v.first().copied());
        egui::ScrollArea::vertical().id_salt("local_scroll").show(ui, |ui| {
            let pred_text = model.format_prediction(pred.value);
            let mut line = format!("Prediction: {pred_text}");
            if let Output::Probability(c) = output {
                let _ = write!(line, "   ·   P({}) = {:.4}", model.classes.get(c).map_or("?", String::as_str), explained);
            }
            if let Some(a) = actual.filter(|a| !a.is_nan()) {
                let _ = write!(line, "   ·   actual: {}", model.format_prediction(a));
            }
            ui.label(RichText::new(line).size(16.0).strong());
            let Some((base, phi)) = shap else {
                ui.label(RichText::new("Press 'Explain with LIME too' to compute this row's SHAP values (KernelSHAP runs in the background).").weak());
                return;
            };
            ui.label(format!("Base value (average over the training data) {base:.4}; the contributions below add up to {:.4}.", base + phi.iter().sum::<f64>()));
            let items: Vec<(String, f64)> = model
                .pipeline
                .features
                .iter()
                .zip(&phi)
                .zip(&raw_row)
                .map(|((f, &v), &x)| {
                    let val = f.format_value(x);
                    let unit = if f.kind == FeatureKind::Numeric { f.unit.as_deref().map(|u| format!(" {u}")).unwrap_or_default() } else { String::new() };
                    (format!("{} = {val}{unit}", crate::data::split_unit(&f.name).0), v)
                })
                .collect();
            let lime = job_result.and_then(|(_, _, l)| l.clone());
            ui.columns(if lime.is_some() { 2 } else { 1 }, |cols| {
                let [shap_col, rest @ ..] = cols else { return };
                shap_col.label(RichText::new("SHAP: from the base value to this prediction").strong());
                let rows = waterfall_rows(base, &items, 12, |v| format!("{v:.4}"));
                let top = shap_col.cursor().top();
                hbar_chart(shap_col, &rows, 230.0);
                let rect = egui::Rect::from_x_y_ranges(shap_col.max_rect().x_range(), top..=shap_col.cursor().top());
                crate::app::widgets::png_button(shap_col, "Save waterfall (PNG)…", &format!("waterfall_row{}.png", self.row), rect, commands);
                if ui_button(shap_col, "Save waterfall (SVG)…") {
                    commands.push(Command::SaveText { name: format!("waterfall_row{}.svg", self.row), text: crate::explain::svg::waterfall(&format!("Row {}", self.row), base, &items) });
                }
                if let Some(l) = &lime
                    && let Some(w) = l.values.rows().next()
                    && let Some(lime_col) = rest.first_mut()
                {
                    let r2 = l.lime.as_ref().and_then(|v| v.first()).map_or(f64::NAN, |e| e.score);
                    lime_col.label(RichText::new(format!("LIME weights (local R² {r2:.2})")).strong());
                    // (label, weight), largest weight first; the sort is stable, so ties keep feature order.
                    let mut ranked: Vec<(&str, f64)> = items.iter().map(|(label, _)| label.as_str()).zip(w.iter().copied()).collect();
                    ranked.sort_by(|a, b| b.1.abs().total_cmp(&a.1.abs()));
                    let rows: Vec<BarRow> = ranked
                        .iter()
                        .take(12)
                        .map(|&(label, wj)| BarRow { label: label.to_owned(), value: wj, start: 0.0, error: None, color: if wj >= 0.0 { UP } else { DOWN }, value_text: format!("{wj:+.4}") })
                        .collect();
                    hbar_chart(lime_col, &rows, 230.0);
                    let top = |v: &[f64]| -> Vec<usize> {
                        let mut o: Vec<(usize, f64)> = v.iter().copied().enumerate().collect();
                        o.sort_by(|a, b| b.1.abs().total_cmp(&a.1.abs()));
                        let mut o: Vec<usize> = o.into_iter().take(3).map(|(j, _)| j).collect();
                        o.sort_unstable();
                        o
                    };
                    if top(&phi) != top(w) {
                        lime_col.colored_label(lime_col.visuals().warn_fg_color, "SHAP and LIME disagree on the three most important features for this row: LIME fits a local linear surrogate on binned features, SHAP attributes the model's exact output. Trust SHAP for the numbers; read LIME as a rough local trend.");
                    }
                    if r2 < 0.5 {
                        lime_col.label(RichText::new("The surrogate explains little of the model's behaviour around this row (low R²).").small().weak());
                    }
                }
            });
            if let Some(tree) = model.tree() {
                ui.add_space(8.0);
                ui.label(RichText::new("Decision path").strong());
                let mut enc = Vec::new();
                model.pipeline.encode_row_into(&raw_row, &mut enc);
                let path = tree.path(&enc);
                for pair in path.windows(2) {
                    let &[n, next] = pair else { continue };
                    let (q, left_is_yes) = crate::app::panels::tree_view::split_text(model, tree, n);
                    let went_left = tree.left.get(n) == Some(&next);
                    let answer = if went_left == left_is_yes { "yes" } else { "no" };
                    let value = tree
                        .feature
                        .get(n)
                        .and_then(|&col| model.pipeline.encoded.get(col))
                        .and_then(|e| Some(model.pipeline.features.get(e.feature)?.format_value(*raw_row.get(e.feature)?)))
                        .unwrap_or_default();
                    ui.label(format!("{q}  {answer}   (this row: {value})"));
                }
                if let Some(cover) = path.last().and_then(|&leaf| tree.cover.get(leaf)) {
                    ui.label(RichText::new(format!("Leaf: {cover} training rows")).weak());
                }
            }
        });
    }
}

fn ui_button(ui: &mut Ui, text: &str) -> bool {
    ui.button(text).clicked()
}

/// `v[j]`, or NaN when a result holds fewer values than there are features.
fn value_at(v: &[f64], j: usize) -> f64 {
    v.get(j).copied().unwrap_or(f64::NAN)
}

/// The name of feature `j`, or "–" when there is no such feature.
fn name_at(names: &[String], j: usize) -> &str {
    names.get(j).map_or("–", String::as_str)
}

/// Values in CSV: row, prediction, base value, one column per feature.
fn shap_csv(g: &GlobalExplanation) -> String {
    use std::fmt::Write as _;
    let mut s = String::from("row,prediction,base_value");
    for f in &g.shap.features {
        s.push(',');
        s.push_str(&crate::explain::svg::csv_field(f));
    }
    s.push('\n');
    let rows = g.shap.rows.iter().zip(&g.shap.predictions).zip(&g.shap.base_values).zip(g.shap.values.rows());
    for (((row, prediction), base), values) in rows {
        let _ = write!(s, "{row},{prediction},{base}");
        for v in values {
            let _ = write!(s, ",{v}");
        }
        s.push('\n');
    }
    s
}

/// Rank of each value within its column, 0..1 (for colouring by value).
fn value_ranks(raw: &crate::matrix::Matrix, j: usize) -> Vec<f64> {
    let n = raw.n_rows();
    let mut rank = vec![0.5; n];
    if j >= raw.n_cols() {
        return rank;
    }
    let mut idx: Vec<usize> = (0..n).collect();
    idx.sort_by(|&a, &b| raw.get(a, j).total_cmp(&raw.get(b, j)));
    for (pos, &i) in idx.iter().enumerate() {
        if let Some(r) = rank.get_mut(i) {
            *r = if n > 1 { pos as f64 / (n - 1) as f64 } else { 0.5 };
        }
    }
    rank
}

fn beeswarm(ui: &mut Ui, g: &GlobalExplanation, order: &[usize]) -> egui::Rect {
    const BINS: usize = 9;
    let names = &g.shap.features;
    let mut series: Vec<Vec<[f64; 2]>> = vec![Vec::new(); BINS];
    for (rank_pos, &j) in order.iter().enumerate() {
        let y0 = (order.len() - 1 - rank_pos) as f64;
        let ranks = value_ranks(&g.raw, j);
        let shap: Vec<f64> = g.shap.values.rows().map(|r| r.get(j).copied().unwrap_or(f64::NAN)).collect();
        // Dots pile up where values are dense, as shap's beeswarm piles them.
        let offsets = crate::app::widgets::beeswarm_offsets(&shap, 0.4);
        for ((&v, rank), dy) in shap.iter().zip(&ranks).zip(&offsets) {
            let bin = ((rank * (BINS - 1) as f64).round() as usize).min(BINS - 1);
            if let Some(s) = series.get_mut(bin)
                && v.is_finite()
            {
                s.push([v, y0 + dy]);
            }
        }
    }
    let labels: Vec<String> = order.iter().rev().map(|&j| name_at(names, j).to_owned()).collect();
    let shown = Plot::new("beeswarm")
        .height((order.len() as f32 * 34.0).clamp(160.0, 520.0))
        .x_axis_label("SHAP value (effect on the output)")
        .show_grid([true, false])
        .allow_scroll(false)
        .y_axis_min_width(160.0)
        .y_axis_formatter(crate::app::widgets::index_axis(labels))
        .show(ui, |p| {
            for (b, pts) in series.into_iter().enumerate() {
                p.points(
                    Points::new(format!("value bin {b}"), pts)
                        .radius(2.0)
                        .color(value_color(b as f64 / (BINS - 1) as f64)),
                );
            }
            p.vline(egui_plot::VLine::new("zero", 0.0).color(Color32::GRAY));
        });
    shown.response.rect
}

fn dependence(
    ui: &mut Ui,
    g: &GlobalExplanation,
    model: &TrainedModel,
    feature: usize,
    partner: Option<usize>,
) -> egui::Rect {
    const BINS: usize = 9;
    let names = &g.shap.features;
    let (Some(name), Some(f)) = (names.get(feature), model.pipeline.features.get(feature)) else {
        return ui.label(RichText::new("Dependence: no feature chosen").weak()).rect;
    };
    let title = match partner.and_then(|p| names.get(p)) {
        Some(p) => format!("Dependence: {name} (colour: {p}, strongest interaction)"),
        None => format!("Dependence: {name}"),
    };
    ui.label(RichText::new(title).strong());
    let ranks = partner.map(|p| value_ranks(&g.raw, p));
    let mut series: Vec<Vec<[f64; 2]>> = vec![Vec::new(); BINS];
    for (i, (raw_row, shap_row)) in g.raw.rows().zip(g.shap.values.rows()).enumerate() {
        let rank = ranks.as_ref().and_then(|r| r.get(i));
        let bin = rank.map_or(BINS / 2, |r| ((r * (BINS - 1) as f64).round() as usize).min(BINS - 1));
        if let (Some(s), Some(&x), Some(&v)) = (series.get_mut(bin), raw_row.get(feature), shap_row.get(feature)) {
            s.push([x, v]);
        }
    }
    let levels = f.levels.clone();
    let mut plot =
        Plot::new(("dependence", feature)).height(280.0).x_axis_label(f.name.clone()).y_axis_label("SHAP value");
    if f.kind == FeatureKind::Categorical {
        plot = plot.x_axis_formatter(crate::app::widgets::index_axis(levels));
    }
    plot.show(ui, |p| {
        for (b, pts) in series.into_iter().enumerate() {
            p.points(Points::new(format!("{b}"), pts).radius(2.0).color(value_color(b as f64 / (BINS - 1) as f64)));
        }
        p.hline(egui_plot::HLine::new("zero", 0.0).color(Color32::GRAY));
    })
    .response
    .rect
}

fn pdp_plot(ui: &mut Ui, p: &PartialDependence, model: &TrainedModel, feature: usize) -> egui::Rect {
    let Some(f) = model.pipeline.features.get(feature) else {
        return ui.label(RichText::new("Partial dependence: no feature chosen").weak()).rect;
    };
    ui.label(RichText::new(format!("Partial dependence (thick) and ICE curves of {} rows", p.ice.n_rows())).strong());
    Plot::new(("pdp", feature))
        .height(280.0)
        .x_axis_label(f.name.clone())
        .y_axis_label("model output")
        .legend(Legend::default())
        .show(ui, |plot| {
            for ice in p.ice.rows().take(60) {
                let pts: Vec<[f64; 2]> = p.grid.iter().zip(ice).map(|(&x, &y)| [x, y]).collect();
                plot.line(
                    Line::new("ICE", PlotPoints::from(pts))
                        .color(Color32::from_gray(140).gamma_multiply(0.35))
                        .width(1.0),
                );
            }
            let pts: Vec<[f64; 2]> = p.grid.iter().zip(&p.average).map(|(&x, &y)| [x, y]).collect();
            plot.line(
                Line::new("average (PDP)", PlotPoints::from(pts)).color(Color32::from_rgb(230, 140, 30)).width(3.0),
            );
        })
        .response
        .rect
}

/// A file-name-safe form of a feature name.
fn png_name(name: &str) -> String {
    name.chars().map(|c| if c.is_alphanumeric() { c } else { '_' }).collect::<String>().trim_matches('_').to_owned()
}
