//! The Rules panel: the model as IF–THEN rules (for an SVM, a surrogate tree's rules with its
//! fidelity), simplification and threshold rounding with the fidelity each keeps, a sortable and
//! filterable rule table whose rows can be shown in the data table, and the export dialog
//! ([`export_dialog`](super::export_dialog)) with a preview of the generated PLC code.

// Counts and shares become text and screen sizes; the rounding is invisible.
#![allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]

use std::sync::Arc;

use egui::{RichText, Ui};
use egui_extras::{Column as TableColumn, TableBuilder};

use super::PanelContext;
use super::export_dialog::{DialogContext, SvmBlockDone, SvmBlockRequest, SvmBlocks, svm_block_job};
pub use super::export_dialog::{ExportDialog, ExportFrom};
use crate::app::command::{Command, Edit, Show};
use crate::app::jobs::{JobKind, JobSpec};
use crate::app::session::Session;
use crate::export::ExportPlan;
use crate::model::Task;
use crate::model::train::TrainingReport;
use crate::rules::compute::{Prepared, SURROGATE_DEPTH, prepare, refine, surrogate_params};
use crate::rules::round::{Rounding, RoundingPreview};
use crate::rules::simplify::SimplifyOptions;
use crate::rules::surrogate::Disagreement;
use crate::rules::{RuleData, RuleSet};

/// Work the Rules panel asks for.
#[derive(Debug, Clone, PartialEq)]
pub enum Request {
    /// The rules of the current model, simplified and (for a preview) rounded as the controls say.
    Rules {
        /// Simplification settings.
        simplify: SimplifyOptions,
        /// Threshold rounding to preview, if any.
        rounding: Option<Rounding>,
    },
    /// The SVM's own decision function as a PLC block, checked against the model on every row
    /// (the export dialog).
    SvmBlock(SvmBlockRequest),
}

/// What a job of the Rules panel hands back.
#[derive(Debug, Clone)]
pub enum RulesResult {
    /// The rules.
    Rules(Extracted),
    /// An SVM block for the export dialog.
    SvmBlock(SvmBlockDone),
}

/// The rules of a model, as a rules job hands them back.
#[derive(Debug, Clone)]
pub struct Extracted {
    /// The report they were computed for.
    pub report_id: u64,
    /// Training and held-out rows with the model's decisions.
    pub data: Arc<RuleData>,
    /// One rule per leaf.
    pub base: Arc<RuleSet>,
    /// After simplification.
    pub simplified: Arc<RuleSet>,
    /// Rounded, waiting to be accepted.
    pub rounding: Option<Arc<RoundingPreview>>,
    /// Rows where a surrogate decides otherwise than the SVM.
    pub disagreements: Vec<Disagreement>,
    /// The export plan (tree or surrogate in raw features).
    pub plan: Arc<ExportPlan>,
}

/// Table sort order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortBy {
    /// As the rules are tried.
    #[default]
    Order,
    /// Most training rows first.
    Support,
    /// Highest confidence first.
    Confidence,
}

/// What the Rules panel remembers.
#[derive(Debug, Default)]
pub struct RulesPanel {
    /// Simplification settings.
    pub simplify: SimplifyOptions,
    /// Significant digits for rounding (`None` = no rounding).
    pub digits: Option<u32>,
    /// The rounding the user accepted (applied to the rules in use).
    pub accepted_rounding: Option<Rounding>,
    /// Results from the last rules job.
    pub result: Option<Extracted>,
    /// The settings the result was computed with.
    computed_for: Option<(u64, SimplifyOptions, Option<u32>)>,
    /// Filter text.
    pub filter: String,
    /// Sort order.
    pub sort: SortBy,
    /// The selected rule.
    pub selected: Option<usize>,
    /// The export dialog, while open.
    pub export: Option<ExportDialog>,
    /// The SVM blocks the export dialog had checked, kept while it closes and opens again.
    pub svm_blocks: SvmBlocks,
}

impl RulesPanel {
    /// The job for a request on the session's model.
    pub fn job(&self, request: Request, session: &Session) -> Option<JobSpec<RulesResult>> {
        match request {
            Request::Rules { simplify, rounding } => self.rules_job(simplify, rounding, session),
            Request::SvmBlock(r) => {
                let (_, report, id) = session.model()?;
                // The block takes its inputs, rows and facts from the rules job's export plan.
                let plan = self.result.as_ref().filter(|res| res.report_id == id)?.plan.clone();
                (r.key.report_id == id).then(|| svm_block_job(r, plan, report.clone()))
            }
        }
    }

    /// The rules job. The rows, the extraction and the export plan are computed once per model
    /// and reused while only the settings change.
    fn rules_job(
        &self,
        simplify: SimplifyOptions,
        rounding: Option<Rounding>,
        session: &Session,
    ) -> Option<JobSpec<RulesResult>> {
        let (ds, report, id) = session.model()?;
        let (ds, report) = (ds.clone(), report.clone());
        let cached = self.result.as_ref().filter(|r| r.report_id == id).map(|r| {
            (
                Prepared { data: r.data.clone(), base: r.base.clone(), disagreements: r.disagreements.clone() },
                r.plan.clone(),
            )
        });
        let data_ref = session.data_ref.clone();
        Some(JobSpec::new(JobKind::Rules, "Rules", move |p| {
            let params = surrogate_params(SURROGATE_DEPTH);
            let (prepared, plan) = match cached {
                Some(c) => c,
                None => {
                    let prepared = prepare(&report, &ds, &params, p)?;
                    let plan = ExportPlan::new(&report, &prepared.data, None, &params, data_ref.as_ref())?;
                    (prepared, Arc::new(plan))
                }
            };
            p.set_stage("simplifying");
            let refined = refine(&prepared, &simplify, rounding.as_ref());
            Ok(RulesResult::Rules(Extracted {
                report_id: id,
                data: prepared.data,
                base: prepared.base,
                simplified: Arc::new(refined.simplified),
                rounding: refined.rounded.map(Arc::new),
                disagreements: prepared.disagreements,
                plan,
            }))
        }))
    }

    /// Takes back a job's result, if it is for the current model: rules are put in use, an SVM
    /// block is kept for the export dialog.
    pub fn receive(&mut self, result: RulesResult, session: &Session, commands: &mut Vec<Command>) -> Option<String> {
        let result = match result {
            RulesResult::Rules(r) if r.report_id == session.report_id => r,
            RulesResult::SvmBlock(done) if done.key.report_id == session.report_id => {
                self.svm_blocks.insert(done);
                return None;
            }
            RulesResult::Rules(_) | RulesResult::SvmBlock(_) => return None,
        };
        self.result = Some(result);
        if let Some(rules) = self.rules() {
            commands.push(Command::Edit(Edit::SetRules { rules: Some(Arc::new(rules.clone())), by_user: false }));
        }
        None
    }

    /// The rule set in use: rounded when accepted, else simplified.
    pub fn rules(&self) -> Option<&RuleSet> {
        let r = self.result.as_ref()?;
        match (&self.accepted_rounding, &r.rounding) {
            (Some(_), Some(p)) => Some(&p.rules),
            _ => Some(&r.simplified),
        }
    }

    /// Draws the panel and asks for a recomputation when settings change.
    pub fn ui(&mut self, ui: &mut Ui, cx: &mut PanelContext<'_>) {
        let busy = cx.busy.is(JobKind::Rules);
        let commands = &mut *cx.commands;
        let report_id = cx.session.report_id;
        let Some(r) = cx.session.report.as_deref() else {
            egui::CentralPanel::default_margins().show(ui, |ui| {
                ui.add_space(20.0);
                ui.label(RichText::new("Train a model first (Train tab); its rules appear here.").weak());
            });
            return;
        };
        // An SVM block's job that ended without a result (cancelled) is noticed before anything
        // new is asked for.
        self.svm_blocks.notice_end(busy);
        self.svm_blocks.keep_model(report_id);
        let wanted = (report_id, self.simplify.clone(), self.digits);
        let mut refining = false;
        if self.computed_for.as_ref() != Some(&wanted) && !busy {
            self.computed_for = Some(wanted);
            let rounding = self.digits.map(|d| Rounding { digits: Some(d), ..Rounding::default() });
            commands
                .push(Command::Work(super::Work::Rules(Request::Rules { simplify: self.simplify.clone(), rounding })));
            refining = true;
        }
        if self.result.as_ref().is_some_and(|res| res.report_id != report_id) {
            self.result = None;
            self.selected = None;
        }
        // A new job of this panel replaces a running one: only an SVM block's may be replaced (by
        // another), never the rules job the panel waits for.
        let can_start = !refining && (!busy || self.svm_blocks.running().is_some());
        egui::Panel::left("rules_controls").resizable(true).default_size(320.0).min_size(260.0).show(ui, |ui| {
            egui::ScrollArea::vertical()
                .id_salt("rules_controls_scroll")
                .show(ui, |ui| self.controls_ui(ui, r, busy, commands));
        });
        egui::CentralPanel::default_margins().show(ui, |ui| self.table_ui(ui, r, commands));
        let plan = self.result.as_ref().map(|res| (res.plan.clone(), res.data.clone()));
        let rules = self.rules().cloned();
        if let Some(dialog) = self.export.as_mut() {
            let cx =
                DialogContext { report: r, report_id, plan, rules, blocks: &mut self.svm_blocks, can_start, commands };
            if !dialog.ui(ui.ctx(), cx) {
                self.export = None;
            }
        }
    }

    fn controls_ui(&mut self, ui: &mut Ui, r: &TrainingReport, busy: bool, commands: &mut Vec<Command>) {
        ui.add_space(4.0);
        ui.heading("Rules");
        let Some(res) = &self.result else {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label("extracting rules…");
            });
            return;
        };
        let base = &res.base;
        if base.source == crate::rules::RuleSource::Surrogate {
            ui.colored_label(
                ui.visuals().warn_fg_color,
                "An SVM has no rules of its own: these come from a decision tree fitted to the SVM's decisions.",
            );
            ui.label(format!("Surrogate fidelity: {}", base.fidelity.describe()));
            ui.label(format!("{} rows where the surrogate decides otherwise than the SVM.", res.disagreements.len()));
            if !res.disagreements.is_empty() && ui.button("Show them in the data table").clicked() {
                let rows: Vec<usize> = res.disagreements.iter().map(|d| d.row).collect();
                commands.push(Command::Show(Show::Rows {
                    label: "rows where the surrogate and the SVM disagree".into(),
                    rows,
                }));
            }
            ui.separator();
        }
        ui.label(RichText::new("Simplify").strong());
        ui.checkbox(&mut self.simplify.merge, "Merge rules with the same outcome");
        ui.checkbox(&mut self.simplify.drop_conditions, "Drop conditions that change no decision");
        let mut support_pct = self.simplify.min_support * 100.0;
        ui.add(egui::Slider::new(&mut support_pct, 0.0..=10.0).step_by(0.1).text("% min support"));
        self.simplify.min_support = support_pct / 100.0;
        if r.model.task == Task::Classification {
            ui.add(
                egui::Slider::new(&mut self.simplify.min_confidence, 0.0..=1.0).step_by(0.01).text("min confidence"),
            );
        }
        ui.label(RichText::new("Rules below the minimums go to the default rule.").small().weak());
        ui.separator();
        ui.label(RichText::new("Round thresholds").strong());
        ui.horizontal(|ui| {
            let mut on = self.digits.is_some();
            ui.checkbox(&mut on, "to");
            let mut d = self.digits.unwrap_or(3);
            ui.add_enabled(on, egui::DragValue::new(&mut d).range(1..=8));
            ui.label("significant digits");
            self.digits = on.then_some(d);
            if !on {
                self.accepted_rounding = None;
            }
        });
        if let Some(p) = &res.rounding {
            ui.label(format!("{} thresholds move.", p.changes.len()));
            ui.label(format!("Fidelity before: {}", p.before.describe()));
            ui.label(format!("Fidelity after:  {}", p.after.describe()));
            let accepted = self.accepted_rounding.is_some();
            if ui
                .add_enabled(
                    !accepted,
                    egui::Button::new(if accepted { "Rounding accepted" } else { "Accept rounding" }),
                )
                .clicked()
            {
                self.accepted_rounding = Some(Rounding { digits: self.digits, ..Rounding::default() });
                commands.push(Command::Edit(Edit::SetRules { rules: Some(Arc::new(p.rules.clone())), by_user: true }));
            }
        }
        ui.separator();
        if let Some(rules) = self.rules() {
            ui.label(RichText::new("In use").strong());
            ui.label(format!(
                "{} rules, {} conditions, default: {}",
                rules.rules.len(),
                rules.n_conditions(),
                rules.describe_outcome(rules.default)
            ));
            ui.label(format!("Agreement with the model: {}", rules.fidelity.describe()));
            ui.add_space(4.0);
            ui.label(RichText::new("Steps").strong());
            for s in &rules.steps {
                ui.label(
                    RichText::new(format!(
                        "{}: {} rules, {} conditions; {}",
                        s.name,
                        s.rules,
                        s.conditions,
                        s.fidelity.describe()
                    ))
                    .small(),
                );
            }
        }
        ui.separator();
        // An SVM block's check in the background does not keep the dialog closed.
        let ready = !busy || self.svm_blocks.running().is_some();
        if ui.add_enabled(ready, egui::Button::new(RichText::new("Export to PLC…").strong())).clicked() {
            self.export = Some(ExportDialog::new(r));
        }
    }

    fn table_ui(&mut self, ui: &mut Ui, r: &TrainingReport, commands: &mut Vec<Command>) {
        let Some(rules) = self.rules().cloned() else { return };
        ui.horizontal(|ui| {
            ui.label("Filter:");
            ui.add(
                egui::TextEdit::singleline(&mut self.filter)
                    .hint_text("feature, level or outcome")
                    .desired_width(220.0),
            );
            ui.separator();
            ui.label("Sort:");
            ui.selectable_value(&mut self.sort, SortBy::Order, "rule order");
            ui.selectable_value(&mut self.sort, SortBy::Support, "support");
            let quality = if r.model.task == Task::Classification { "confidence" } else { "spread" };
            ui.selectable_value(&mut self.sort, SortBy::Confidence, quality);
            if let Some(sel) = self.selected
                && ui.button(format!("Show rule {}'s rows in the data table", sel + 1)).clicked()
            {
                let rows = self.rule_rows(sel);
                commands.push(Command::Show(Show::Rows { label: format!("rows decided by rule {}", sel + 1), rows }));
            }
        });
        let f = self.filter.to_lowercase();
        // (index, rule) in the order shown.
        let mut order: Vec<(usize, _)> = rules
            .rules
            .iter()
            .enumerate()
            .filter(|(_, rule)| {
                f.is_empty() || {
                    rule.describe_conditions(&rules.features).to_lowercase().contains(&f)
                        || rules.describe_outcome(rule.outcome).to_lowercase().contains(&f)
                }
            })
            .collect();
        match self.sort {
            SortBy::Order => {}
            SortBy::Support => order.sort_by_key(|(_, rule)| std::cmp::Reverse(rule.stats.support)),
            SortBy::Confidence => {
                // Classes: most confident first; numbers: narrowest spread first.
                let key = |s: &crate::rules::RuleStats| s.confidence.unwrap_or_else(|| -s.std.unwrap_or(f64::INFINITY));
                order.sort_by(|(_, a), (_, b)| key(&b.stats).total_cmp(&key(&a.stats)));
            }
        }
        let row_h = ui.text_style_height(&egui::TextStyle::Body) + 8.0;
        let classification = r.model.task == Task::Classification;
        let held_out_label = if classification { "held-out acc." } else { "held-out MAE" };
        let quality_label = if classification { "confidence" } else { "mean ± std" };
        // Confidence of a class rule; mean and standard deviation of a number rule's values.
        let quality = |s: &crate::rules::RuleStats| match (s.confidence, s.mean, s.std) {
            (Some(c), _, _) => format!("{:.1} %", c * 100.0),
            (None, Some(m), Some(sd)) => format!("{} ± {}", rules.format_value(m), rules.format_value(sd)),
            _ => "–".into(),
        };
        TableBuilder::new(ui)
            .id_salt("rules_table")
            .striped(true)
            .sense(egui::Sense::click())
            .column(TableColumn::exact(36.0))
            .column(TableColumn::remainder().at_least(260.0).clip(true))
            .column(TableColumn::initial(140.0).clip(true))
            .column(TableColumn::exact(120.0))
            .column(TableColumn::initial(if classification { 90.0 } else { 150.0 }))
            .column(TableColumn::initial(130.0))
            .header(row_h, |mut h| {
                for t in ["#", "IF", "THEN", "support", quality_label, held_out_label] {
                    h.col(|ui| {
                        ui.label(RichText::new(t).strong());
                    });
                }
            })
            .body(|body| {
                body.rows(row_h, order.len() + 1, |mut row| {
                    // One row past the rules: the default.
                    let Some(&(i, rule)) = order.get(row.index()) else {
                        let s = &rules.default_stats;
                        row.col(|ui| {
                            ui.label("–");
                        });
                        row.col(|ui| {
                            ui.label(RichText::new("otherwise (default)").italics());
                        });
                        row.col(|ui| {
                            ui.label(rules.describe_outcome(rules.default));
                        });
                        row.col(|ui| {
                            ui.monospace(format!("{} ({:.1} %)", s.support, s.support_share * 100.0));
                        });
                        row.col(|ui| {
                            ui.monospace(quality(s));
                        });
                        row.col(|_| {});
                        return;
                    };
                    let selected = self.selected == Some(i);
                    row.set_selected(selected);
                    let mut toggled = false;
                    row.col(|ui| {
                        toggled = ui.selectable_label(selected, (i + 1).to_string()).clicked();
                    });
                    row.col(|ui| {
                        ui.label(rule.describe_conditions(&rules.features))
                            .on_hover_text(rule.describe_conditions(&rules.features));
                    });
                    row.col(|ui| {
                        ui.label(RichText::new(rules.describe_outcome(rule.outcome)).strong());
                    });
                    row.col(|ui| {
                        ui.monospace(format!("{} ({:.1} %)", rule.stats.support, rule.stats.support_share * 100.0));
                    });
                    row.col(|ui| {
                        ui.monospace(quality(&rule.stats));
                    });
                    row.col(|ui| {
                        let text = match (rule.stats.test_accuracy, rule.stats.test_mae) {
                            (Some(a), _) => format!("{:.1} % of {}", a * 100.0, rule.stats.test_support),
                            (None, Some(m)) => format!("{} ({})", rules.format_value(m), rule.stats.test_support),
                            _ => "–".into(),
                        };
                        ui.monospace(text);
                    });
                    if toggled || row.response().clicked() {
                        self.selected = if self.selected == Some(i) { None } else { Some(i) };
                    }
                });
            });
    }

    /// Dataset rows (training and held-out) that rule `i` decides.
    fn rule_rows(&self, i: usize) -> Vec<usize> {
        let (Some(res), Some(rules)) = (&self.result, self.rules()) else { return Vec::new() };
        let mut out = Vec::new();
        let mut filled = Vec::new();
        for part in [&res.data.train, &res.data.test] {
            for (&row, raw) in part.dataset_rows.iter().zip(part.raw.rows()) {
                rules.fill(raw, &mut filled);
                if rules.rule_for_filled(&filled) == Some(i) {
                    out.push(row);
                }
            }
        }
        out.sort_unstable();
        out
    }
}
