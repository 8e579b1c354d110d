//! The Train panel: target, task, model and settings on the left; the honest evaluation on the
//! right (metrics against the do-nothing baseline, confusion matrix with a live decision
//! threshold, ROC and precision–recall curves, or predicted-vs-actual and residuals), and the
//! fitted tree as a diagram.

// Data values (f64) become screen coordinates and counts (f32, usize); the rounding is invisible.
#![allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]

use egui::{Color32, RichText, Ui};
use egui_plot::{Legend, Line, Plot, PlotPoints, Points};

use std::time::Duration;

use super::PanelContext;
use super::tree_view::TreeView;
use crate::app::command::{Command, Edit, Tab};
use crate::app::jobs::{JobKind, JobSpec};
use crate::app::session::Session;
use crate::data::split::SplitMethod;
use crate::data::{Dataset, Role};
use crate::metrics::{ClassificationMetrics, ConfusionMatrix};
use crate::model::cart::{Criterion, TreeParams};
use crate::model::search::{SearchResult, default_grid, grid_search};
use crate::model::svm::{Gamma, KernelKind, SvmParams};
use crate::model::train::{
    BinaryCurves, Evaluation, MissingStrategy, TrainSettings, TrainingReport, guess_task, train,
};
use crate::model::{ModelParams, Task};

/// Which results view is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ResultsView {
    /// Metrics and plots.
    #[default]
    Evaluation,
    /// The tree diagram.
    Tree,
}

/// Work the Train panel asks for.
#[derive(Debug, Clone, PartialEq)]
pub enum Request {
    /// Train a model with these settings.
    Train(Box<TrainSettings>),
    /// Score a grid of settings around these by cross-validation, then train the best.
    Search(Box<TrainSettings>),
}

/// What that work hands back.
pub enum Done {
    /// A trained model.
    Trained(Box<TrainingReport>),
    /// A finished search (the best settings are trained next).
    Searched {
        /// Scores per candidate.
        result: SearchResult,
        /// The settings it started from.
        settings: Box<TrainSettings>,
    },
}

impl Request {
    /// The job for this request on the session's data.
    pub fn job(self, session: &Session) -> Option<JobSpec<Done>> {
        let ds = session.dataset.clone()?;
        Some(match self {
            Self::Train(settings) => JobSpec::new(JobKind::Model, "Training", move |p| {
                Ok(Done::Trained(Box::new(train(&ds, &settings, p)?)))
            }),
            Self::Search(settings) => JobSpec::new(JobKind::Model, "Searching settings", move |p| {
                let result = grid_search(&ds, &settings, &default_grid(&settings.params), 5, p)?;
                Ok(Done::Searched { result, settings })
            }),
        })
    }
}

/// What the Train panel remembers.
#[derive(Debug)]
pub struct TrainPanel {
    /// `None` = guess from the target.
    pub task: Option<Task>,
    /// Tree (false) or SVM (true).
    pub use_svm: bool,
    /// Tree settings.
    pub tree: TreeParams,
    /// SVM settings.
    pub svm: SvmParams,
    /// Missing-value strategy.
    pub missing: MissingStrategy,
    /// `None` = the default for the data.
    pub split: Option<SplitMethod>,
    /// Test share.
    pub test_fraction: f64,
    /// Whether to cross-validate.
    pub use_cv: bool,
    /// Folds.
    pub cv_folds: usize,
    /// Seed.
    pub seed: u64,
    /// Decision threshold of a binary classifier.
    pub threshold: f64,
    /// Results view.
    pub view: ResultsView,
    /// The tree diagram's pan/zoom state.
    pub tree_view: TreeView,
    curves: Option<(u64, Option<BinaryCurves>)>,
}

impl Default for TrainPanel {
    fn default() -> Self {
        Self {
            task: None,
            use_svm: false,
            tree: TreeParams::default(),
            svm: SvmParams::default(),
            missing: MissingStrategy::Impute,
            split: None,
            test_fraction: 0.2,
            use_cv: false,
            cv_folds: 5,
            seed: 42,
            threshold: 0.5,
            view: ResultsView::Evaluation,
            tree_view: TreeView::default(),
            curves: None,
        }
    }
}

impl TrainPanel {
    /// The settings a Train click uses, for the dataset's current roles.
    pub fn settings(&self, ds: &Dataset) -> TrainSettings {
        TrainSettings {
            target: ds.target().map(|c| c.name.clone()).unwrap_or_default(),
            task: self.task,
            features: None,
            exclude: Vec::new(),
            params: if self.use_svm {
                ModelParams::Svm(self.svm.clone())
            } else {
                ModelParams::Tree(self.tree.clone())
            },
            missing: self.missing,
            split: self.split,
            test_fraction: self.test_fraction,
            cv_folds: self.use_cv.then_some(self.cv_folds),
            seed: self.seed,
        }
    }

    /// Shows the settings a model was trained with (an opened project's), so that training
    /// again starts from them.
    pub fn adopt(&mut self, s: &TrainSettings) {
        match &s.params {
            ModelParams::Tree(p) => {
                self.use_svm = false;
                self.tree = p.clone();
            }
            ModelParams::Svm(p) => {
                self.use_svm = true;
                self.svm = p.clone();
            }
        }
        self.task = s.task;
        self.missing = s.missing;
        self.split = s.split;
        self.test_fraction = s.test_fraction;
        self.use_cv = s.cv_folds.is_some();
        self.cv_folds = s.cv_folds.unwrap_or(5);
        self.seed = s.seed;
    }

    /// Takes back the result of the panel's work; returns a message for the status bar.
    pub fn receive(&mut self, done: Done, elapsed: Duration, commands: &mut Vec<Command>) -> Option<String> {
        match done {
            Done::Trained(report) => {
                let text = format!(
                    "Trained a {} in {}",
                    report.settings.params.kind_label(),
                    crate::app::widgets::duration_text(elapsed)
                );
                commands.push(Command::Edit(Edit::SetReport(std::sync::Arc::new(*report))));
                commands.push(Command::ShowTab(Tab::Train));
                Some(text)
            }
            Done::Searched { result, settings } => {
                let c = result.candidates.get(result.best)?;
                let best = &c.params;
                match best {
                    ModelParams::Tree(p) => self.tree = p.clone(),
                    ModelParams::Svm(p) => self.svm = p.clone(),
                }
                let mut s = *settings;
                s.params = best.clone();
                commands.push(Command::Work(super::Work::Train(Request::Train(Box::new(s)))));
                Some(format!(
                    "Best of {} settings by {}: {} ({:.3} ± {:.3}); training it now",
                    result.candidates.len(),
                    result.metric.replace('_', " "),
                    best.describe(result.task),
                    c.score.mean,
                    c.score.std
                ))
            }
        }
    }

    /// Draws the panel.
    pub fn ui(&mut self, ui: &mut Ui, cx: &mut PanelContext<'_>) {
        let Some(ds) = cx.session.dataset.clone() else { return };
        let busy = cx.busy.is(JobKind::Model);
        egui::Panel::left("train_settings").resizable(true).default_size(330.0).min_size(280.0).show(ui, |ui| {
            egui::ScrollArea::vertical().id_salt("train_settings_scroll").show(ui, |ui| {
                self.settings_ui(ui, &ds, busy, cx.commands);
            });
        });
        let report = cx.session.report.clone();
        let report_id = cx.session.report_id;
        egui::CentralPanel::default_margins().show(ui, |ui| match report.as_deref() {
            Some(r) => self.results_ui(ui, r, report_id),
            None => {
                ui.add_space(20.0);
                ui.label(RichText::new("No model yet. Choose a target and settings, then press Train model.").weak());
            }
        });
    }

    fn settings_ui(&mut self, ui: &mut Ui, ds: &Dataset, busy: bool, commands: &mut Vec<Command>) {
        ui.add_space(4.0);
        ui.heading("Model");
        egui::Grid::new("train_target").num_columns(2).spacing([8.0, 6.0]).show(ui, |ui| {
            ui.label("Target:");
            let current = ds.target().map_or_else(|| "choose…".to_owned(), |c| c.name.clone());
            egui::ComboBox::from_id_salt("target_combo").selected_text(current).width(200.0).show_ui(ui, |ui| {
                for (i, c) in ds.columns.iter().enumerate() {
                    if c.kind != crate::data::ColumnKind::Text
                        && ui.selectable_label(c.role == Role::Target, &c.name).clicked()
                    {
                        commands.push(Command::set_role(i, Role::Target));
                    }
                }
            });
            ui.end_row();
            ui.label("Task:");
            let guessed = ds.target().map(|t| guess_task(ds, &t.name));
            let auto = format!("auto ({})", guessed.map_or("?", Task::label));
            egui::ComboBox::from_id_salt("task_combo")
                .selected_text(self.task.map_or(auto.clone(), |t| t.label().to_owned()))
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut self.task, None, auto);
                    ui.selectable_value(&mut self.task, Some(Task::Classification), "classification");
                    ui.selectable_value(&mut self.task, Some(Task::Regression), "regression");
                });
            ui.end_row();
        });
        let features: Vec<(usize, &crate::data::Column)> = ds.features().collect();
        egui::CollapsingHeader::new(format!("Features: {} columns", features.len())).id_salt("features_list").show(
            ui,
            |ui| {
                ui.label(RichText::new("Untick to leave a column out (its role becomes 'ignore').").small().weak());
                for (i, c) in ds.columns.iter().enumerate() {
                    if matches!(c.role, Role::Feature | Role::Ignore) {
                        let mut on = c.role == Role::Feature;
                        if ui.checkbox(&mut on, &c.name).changed() {
                            commands.push(Command::set_role(i, if on { Role::Feature } else { Role::Ignore }));
                        }
                    }
                }
            },
        );
        ui.separator();
        ui.horizontal(|ui| {
            ui.label("Learner:");
            ui.selectable_value(&mut self.use_svm, false, "Decision tree");
            ui.selectable_value(&mut self.use_svm, true, "SVM");
        });
        if self.use_svm {
            self.svm_ui(ui, ds);
        } else {
            let task = self.task.or_else(|| ds.target().map(|t| guess_task(ds, &t.name)));
            self.tree_ui(ui, task);
        }
        ui.separator();
        egui::Grid::new("train_eval").num_columns(2).spacing([8.0, 6.0]).show(ui, |ui| {
            ui.label("Missing values:");
            egui::ComboBox::from_id_salt("missing_combo").selected_text(self.missing.label()).show_ui(ui, |ui| {
                ui.selectable_value(&mut self.missing, MissingStrategy::Impute, MissingStrategy::Impute.label());
                ui.selectable_value(&mut self.missing, MissingStrategy::DropRows, MissingStrategy::DropRows.label());
            });
            ui.end_row();
            ui.label("Split:");
            let has_time = ds.columns.iter().any(|c| c.role == Role::Timestamp);
            let default = if has_time { "auto (ordered by time)" } else { "auto (file order / stratified)" };
            egui::ComboBox::from_id_salt("split_combo")
                .selected_text(self.split.map_or(default, SplitMethod::label))
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut self.split, None, default);
                    for m in SplitMethod::ALL {
                        ui.selectable_value(&mut self.split, Some(m), m.label());
                    }
                });
            ui.end_row();
            ui.label("Test rows:");
            ui.add(
                egui::Slider::new(&mut self.test_fraction, 0.05..=0.5)
                    .custom_formatter(|v, _| format!("{:.0} %", v * 100.0)),
            );
            ui.end_row();
            ui.checkbox(&mut self.use_cv, "Cross-validate");
            ui.add_enabled(self.use_cv, egui::DragValue::new(&mut self.cv_folds).range(2..=20).suffix(" folds"));
            ui.end_row();
            ui.label("Seed:");
            ui.add(egui::DragValue::new(&mut self.seed));
            ui.end_row();
        });
        if self.split.is_none() && !ds.columns.iter().any(|c| c.role == Role::Timestamp) {
            ui.label(
                RichText::new("No timestamp column: rows are treated as independent runs. If they are a time series, give the time column the timestamp role so the test rows are the latest ones.")
                    .small()
                    .weak(),
            );
        }
        ui.separator();
        ui.horizontal(|ui| {
            let ready = ds.target().is_some() && !busy;
            let train = ui.add_enabled(
                ready,
                egui::Button::new(RichText::new("Train model").strong()).min_size([110.0, 28.0].into()),
            );
            if train.clicked() {
                commands.push(Command::Work(super::Work::Train(Request::Train(Box::new(self.settings(ds))))));
            }
            let search =
                ui.add_enabled(ready, egui::Button::new("Search settings").min_size([0.0, 28.0].into())).on_hover_text(
                    "Score a small grid of settings by 5-fold cross-validation on the training rows and keep the best",
                );
            if search.clicked() {
                commands.push(Command::Work(super::Work::Train(Request::Search(Box::new(self.settings(ds))))));
            }
        });
        if ds.target().is_none() {
            ui.colored_label(ui.visuals().warn_fg_color, "Choose a target first.");
        }
    }

    fn tree_ui(&mut self, ui: &mut Ui, task: Option<Task>) {
        let p = &mut self.tree;
        egui::Grid::new("tree_params").num_columns(2).spacing([8.0, 6.0]).show(ui, |ui| {
            ui.label("Max depth:").on_hover_text(
                "The most splits from the root to a leaf, as scikit-learn, rpart and Weka count them: \
                 depth 1 is a single split.",
            );
            ui.horizontal(|ui| {
                let mut limited = p.max_depth.is_some();
                ui.checkbox(&mut limited, "");
                let mut d = p.max_depth.unwrap_or(6);
                ui.add_enabled(limited, egui::DragValue::new(&mut d).range(1..=40));
                p.max_depth = limited.then_some(d);
                if !limited {
                    ui.label("unlimited");
                }
            });
            ui.end_row();
            ui.label("Min rows per leaf:");
            ui.add(egui::DragValue::new(&mut p.min_samples_leaf).range(1..=10_000));
            ui.end_row();
            ui.label("Min rows to split:");
            ui.add(egui::DragValue::new(&mut p.min_samples_split).range(2..=10_000));
            ui.end_row();
            ui.label("Criterion:");
            if task == Some(Task::Regression) {
                // A regression tree has one criterion; the class criteria do not apply.
                ui.label(crate::model::cart::REGRESSION_CRITERION.replace('_', " "));
            } else {
                egui::ComboBox::from_id_salt("criterion").selected_text(p.criterion.label()).show_ui(ui, |ui| {
                    for c in Criterion::ALL {
                        ui.selectable_value(&mut p.criterion, c, c.label());
                    }
                });
            }
            ui.end_row();
        });
    }

    fn svm_ui(&mut self, ui: &mut Ui, ds: &Dataset) {
        let p = &mut self.svm;
        egui::Grid::new("svm_params").num_columns(2).spacing([8.0, 6.0]).show(ui, |ui| {
            ui.label("Kernel:");
            egui::ComboBox::from_id_salt("kernel").selected_text(p.kernel.label()).show_ui(ui, |ui| {
                for k in KernelKind::ALL {
                    ui.selectable_value(&mut p.kernel, k, k.label());
                }
            });
            ui.end_row();
            ui.label("C:");
            ui.add(egui::DragValue::new(&mut p.c).range(1e-4..=1e4).speed(0.05).max_decimals(4));
            ui.end_row();
            if p.kernel != KernelKind::Linear {
                ui.label("Gamma:");
                ui.horizontal(|ui| {
                    let mut scale = p.gamma == Gamma::Scale;
                    ui.checkbox(&mut scale, "scale");
                    let mut g = match p.gamma {
                        Gamma::Value(g) => g,
                        Gamma::Scale => 0.1,
                    };
                    ui.add_enabled(
                        !scale,
                        egui::DragValue::new(&mut g).range(1e-5..=100.0).speed(0.01).max_decimals(5),
                    );
                    p.gamma = if scale { Gamma::Scale } else { Gamma::Value(g) };
                });
                ui.end_row();
            }
            if p.kernel == KernelKind::Poly {
                ui.label("Degree:");
                ui.add(egui::DragValue::new(&mut p.degree).range(1..=6));
                ui.end_row();
            }
            ui.label("Epsilon (regression):");
            ui.add(egui::DragValue::new(&mut p.epsilon).range(0.0..=100.0).speed(0.01));
            ui.end_row();
            ui.label("Tolerance:");
            ui.add(egui::DragValue::new(&mut p.tol).range(1e-6..=1.0).speed(0.0001).max_decimals(6));
            ui.end_row();
            ui.label("Training rows:");
            ui.horizontal(|ui| {
                let mut limited = p.max_train_rows > 0;
                if ui
                    .checkbox(&mut limited, "at most")
                    .on_hover_text(
                        "Train on a sample of the training rows (stratified for a classifier); off uses every row",
                    )
                    .changed()
                {
                    p.max_train_rows = if limited { 5000 } else { 0 };
                }
                if limited {
                    ui.add(egui::DragValue::new(&mut p.max_train_rows).range(50..=10_000_000).speed(50.0));
                } else {
                    ui.label("all");
                }
            });
            ui.end_row();
            ui.label("Kernel cache (MB):").on_hover_text(
                "Memory the solver may keep of kernel columns; more saves recomputing them on large data",
            );
            ui.add(egui::DragValue::new(&mut p.cache_mb).range(10..=16_384).speed(10.0));
            ui.end_row();
        });
        // An estimate before starting, from the training rows and the width of the data.
        let params = p.clone();
        let (train_rows, mut secs) = crate::model::train::svm_fit_estimate(ds, &self.settings(ds), &params);
        if self.use_cv {
            secs *= 1.0 + self.cv_folds as f64;
        }
        let text = format!("Estimated fit time: {} on {train_rows} rows", human_secs(secs));
        let color = if secs > 60.0 { ui.visuals().warn_fg_color } else { ui.visuals().weak_text_color() };
        ui.label(RichText::new(text).small().color(color));
    }

    fn results_ui(&mut self, ui: &mut Ui, r: &TrainingReport, report_id: u64) {
        if self.curves.as_ref().is_none_or(|(id, _)| *id != report_id) {
            self.curves = Some((report_id, r.evaluation.binary_curves()));
            self.threshold = 0.5;
        }
        ui.horizontal(|ui| {
            ui.selectable_value(&mut self.view, ResultsView::Evaluation, RichText::new("Evaluation").strong());
            if r.model.tree().is_some() {
                ui.selectable_value(&mut self.view, ResultsView::Tree, RichText::new("Tree diagram").strong());
            }
        });
        ui.separator();
        if self.view == ResultsView::Tree
            && let Some(tree) = r.model.tree()
        {
            self.tree_view.ui(ui, tree, &r.model);
            return;
        }
        egui::ScrollArea::vertical().id_salt("results_scroll").show(ui, |ui| {
            ui.label(RichText::new(r.settings.params.describe(r.model.task)).strong());
            ui.label(format!(
                "{} of '{}' · {} features · {} training rows, {} test rows ({} split) · seed {}",
                r.model.task.label(),
                r.model.target,
                r.model.n_features(),
                r.split.train.len(),
                r.split.test.len(),
                r.settings.split.map_or("?", SplitMethod::label),
                r.settings.seed
            ));
            for w in &r.warnings {
                ui.colored_label(ui.visuals().warn_fg_color, format!("Warning: {w}"));
            }
            ui.add_space(6.0);
            match &r.evaluation {
                Evaluation::Classification { metrics, .. } => self.classification_ui(ui, r, metrics),
                Evaluation::Regression { metrics, y_true, y_pred } => regression_ui(ui, metrics, y_true, y_pred),
            }
            if let Some(cv) = &r.cv {
                ui.add_space(8.0);
                ui.label(RichText::new(format!("{}-fold cross-validation on the training rows", cv.n_folds)).strong());
                egui::Grid::new("cv_grid").striped(true).num_columns(2).show(ui, |ui| {
                    for (name, s) in &cv.metrics {
                        ui.label(name.replace('_', " "));
                        ui.monospace(format!("{:.4} ± {:.4}", s.mean, s.std));
                        ui.end_row();
                    }
                });
            }
        });
    }

    fn classification_ui(&mut self, ui: &mut Ui, r: &TrainingReport, m: &ClassificationMetrics) {
        let classes = &r.model.classes;
        let binary = classes.len() == 2;
        let curves = self.curves.as_ref().and_then(|(_, c)| c.as_ref());
        // At the chosen threshold for a binary model; the model's own predictions otherwise.
        let live: Option<(ConfusionMatrix, ClassificationMetrics)> = curves.and_then(|c| {
            let cm = c.at_threshold.at(self.threshold);
            ClassificationMetrics::from_confusion(cm.clone()).ok().map(|m| (cm, m))
        });
        let (cm, shown) = live.as_ref().map_or((&m.confusion, m), |(cm, lm)| (cm, lm));
        ui.columns_const(|[left, right]| {
            let ui = left;
            ui.label(RichText::new("Test metrics").strong());
            let which = match classes.get(1) {
                Some(positive) if binary => format!(" (class '{positive}')"),
                _ => " (macro)".to_owned(),
            };
            egui::Grid::new("metrics_grid").striped(true).num_columns(2).spacing([24.0, 4.0]).show(ui, |ui| {
                let row = |ui: &mut Ui, k: String, v: String| {
                    ui.label(k);
                    ui.monospace(v);
                    ui.end_row();
                };
                row(ui, "Accuracy".into(), pct(shown.accuracy));
                row(ui, "Always-majority accuracy".into(), pct(m.majority_baseline_accuracy));
                row(ui, "Balanced accuracy".into(), pct(shown.balanced_accuracy));
                row(ui, format!("Precision{which}"), format!("{:.3}", shown.precision));
                row(ui, format!("Recall{which}"), format!("{:.3}", shown.recall));
                row(ui, format!("F1{which}"), format!("{:.3}", shown.f1));
                if let Some(auc) = m.roc_auc {
                    row(
                        ui,
                        if binary { "ROC AUC".into() } else { "ROC AUC (one-vs-rest)".into() },
                        format!("{auc:.3}"),
                    );
                }
                if let Some(ap) = m.average_precision {
                    row(ui, "Average precision".into(), format!("{ap:.3}"));
                }
            });
            ui.add_space(6.0);
            ui.label(RichText::new("Classes in the data").strong());
            let total: usize = r.class_counts.iter().sum();
            egui::Grid::new("class_counts").striped(true).num_columns(5).spacing([16.0, 2.0]).show(ui, |ui| {
                ui.label(RichText::new("class").weak());
                ui.label(RichText::new("rows").weak());
                ui.label(RichText::new("precision").weak());
                ui.label(RichText::new("recall").weak());
                ui.label(RichText::new("F1").weak());
                ui.end_row();
                for (k, name) in classes.iter().enumerate() {
                    let n = r.class_counts.get(k).copied().unwrap_or(0);
                    ui.label(name);
                    ui.monospace(format!("{n} ({:.1} %)", 100.0 * n as f64 / total.max(1) as f64));
                    if let Some(pc) = shown.per_class.get(k) {
                        ui.monospace(format!("{:.3}", pc.precision));
                        ui.monospace(format!("{:.3}", pc.recall));
                        ui.monospace(format!("{:.3}", pc.f1));
                    }
                    ui.end_row();
                }
            });
            let ui = right;
            ui.label(RichText::new("Confusion matrix (rows: actual, columns: predicted)").strong());
            confusion_ui(ui, cm, classes);
            if binary
                && curves.is_some()
                && let Some(positive) = classes.get(1)
            {
                ui.add_space(6.0);
                ui.label(format!("Decision threshold: predict '{positive}' when P ≥ {:.2}", self.threshold));
                ui.add(egui::Slider::new(&mut self.threshold, 0.0..=1.0).step_by(0.01).text("threshold"));
                ui.label(
                    RichText::new("Lower it to catch more failures at the cost of more false alarms.").small().weak(),
                );
            }
        });
        if let Some(c) = curves {
            ui.add_space(8.0);
            ui.columns_const(|[left, right]| {
                let (tpr_now, fpr_now, prec_now) = {
                    let cm = c.at_threshold.at(self.threshold);
                    let (tp, fn_, fp, tn) =
                        (cm.get(1, 1) as f64, cm.get(1, 0) as f64, cm.get(0, 1) as f64, cm.get(0, 0) as f64);
                    let prec = if tp + fp > 0.0 { tp / (tp + fp) } else { 1.0 };
                    (tp / (tp + fn_).max(1.0), fp / (fp + tn).max(1.0), prec)
                };
                let roc: Vec<[f64; 2]> = c.roc.fpr.iter().zip(&c.roc.tpr).map(|(&x, &y)| [x, y]).collect();
                left.label(RichText::new(format!("ROC curve (AUC {:.3})", m.roc_auc.unwrap_or(f64::NAN))).strong());
                Plot::new("roc_plot")
                    .height(240.0)
                    .x_axis_label("false positive rate")
                    .y_axis_label("true positive rate")
                    .include_x(0.0)
                    .include_x(1.0)
                    .include_y(0.0)
                    .include_y(1.0)
                    // A ROC curve fills the upper left; the legend goes where it never is.
                    .legend(Legend::default().position(egui_plot::Corner::RightBottom))
                    .show(left, |p| {
                        p.line(Line::new("model", PlotPoints::from(roc)).width(2.0));
                        p.line(
                            Line::new("chance", PlotPoints::from(vec![[0.0, 0.0], [1.0, 1.0]]))
                                .color(Color32::GRAY)
                                .style(egui_plot::LineStyle::dashed_loose()),
                        );
                        p.points(
                            Points::new("threshold", vec![[fpr_now, tpr_now]])
                                .radius(5.0)
                                .color(Color32::from_rgb(230, 120, 30)),
                        );
                    });
                let pr: Vec<[f64; 2]> = c.pr.recall.iter().zip(&c.pr.precision).map(|(&x, &y)| [x, y]).collect();
                right.label(
                    RichText::new(format!("Precision–recall (AP {:.3})", m.average_precision.unwrap_or(f64::NAN)))
                        .strong(),
                );
                Plot::new("pr_plot")
                    .height(240.0)
                    .x_axis_label("recall")
                    .y_axis_label("precision")
                    .include_x(0.0)
                    .include_x(1.0)
                    .include_y(0.0)
                    .include_y(1.0)
                    .show(right, |p| {
                        p.line(Line::new("model", PlotPoints::from(pr)).width(2.0));
                        p.points(
                            Points::new("threshold", vec![[tpr_now, prec_now]])
                                .radius(5.0)
                                .color(Color32::from_rgb(230, 120, 30)),
                        );
                    });
            });
        }
    }
}

fn pct(v: f64) -> String {
    format!("{:.2} %", v * 100.0)
}

fn human_secs(s: f64) -> String {
    if s < 1.0 {
        "under a second".into()
    } else if s < 90.0 {
        format!("about {s:.0} s")
    } else {
        format!("about {:.0} min", s / 60.0)
    }
}

fn confusion_ui(ui: &mut Ui, cm: &ConfusionMatrix, classes: &[String]) {
    let n = cm.n_classes;
    let max = (0..n).flat_map(|a| (0..n).map(move |p| (a, p))).map(|(a, p)| cm.get(a, p)).max().unwrap_or(1).max(1);
    let dark = ui.visuals().dark_mode;
    egui::Grid::new("confusion_grid").num_columns(n + 1).spacing([2.0, 2.0]).show(ui, |ui| {
        ui.label("");
        for c in classes {
            ui.label(RichText::new(c).strong());
        }
        ui.end_row();
        for (a, name) in classes.iter().enumerate() {
            ui.label(RichText::new(name).strong());
            for p in 0..n {
                let v = cm.get(a, p);
                let t = v as f32 / max as f32;
                let base = if a == p { Color32::from_rgb(40, 140, 70) } else { Color32::from_rgb(190, 60, 50) };
                let fill =
                    if dark { base.gamma_multiply(0.25 + 0.75 * t) } else { base.gamma_multiply(0.15 + 0.6 * t) };
                egui::Frame::new().fill(fill).inner_margin(egui::Margin::symmetric(10, 6)).show(ui, |ui| {
                    ui.set_min_width(56.0);
                    ui.label(RichText::new(v.to_string()).monospace().strong().color(if dark || t > 0.6 {
                        Color32::WHITE
                    } else {
                        Color32::BLACK
                    }));
                });
            }
            ui.end_row();
        }
    });
}

fn regression_ui(ui: &mut Ui, m: &crate::metrics::RegressionMetrics, y: &[f64], yhat: &[f64]) {
    ui.label(RichText::new("Test metrics").strong());
    egui::Grid::new("reg_metrics").striped(true).num_columns(2).spacing([24.0, 4.0]).show(ui, |ui| {
        for (k, v) in [("MAE", m.mae), ("RMSE", m.rmse), ("R²", m.r2)] {
            ui.label(k);
            ui.monospace(format!("{v:.4}"));
            ui.end_row();
        }
        ui.label("Test rows");
        ui.monospace(m.n.to_string());
        ui.end_row();
    });
    ui.add_space(8.0);
    let pts: Vec<[f64; 2]> = y.iter().zip(yhat).map(|(&a, &p)| [a, p]).collect();
    let res: Vec<[f64; 2]> = y.iter().zip(yhat).map(|(&a, &p)| [p, a - p]).collect();
    let (lo, hi) = y.iter().chain(yhat).fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), &v| (l.min(v), h.max(v)));
    ui.columns_const(|[left, right]| {
        left.label(RichText::new("Predicted vs actual").strong());
        Plot::new("pred_actual").height(280.0).x_axis_label("actual").y_axis_label("predicted").data_aspect(1.0).show(
            left,
            |p| {
                p.points(Points::new("test rows", pts).radius(1.5));
                p.line(Line::new("perfect", PlotPoints::from(vec![[lo, lo], [hi, hi]])).color(Color32::GRAY));
            },
        );
        right.label(RichText::new("Residuals (actual − predicted)").strong());
        Plot::new("residuals").height(280.0).x_axis_label("predicted").y_axis_label("residual").show(right, |p| {
            p.points(Points::new("test rows", res).radius(1.5));
            p.hline(egui_plot::HLine::new("zero", 0.0).color(Color32::GRAY));
        });
    });
}
