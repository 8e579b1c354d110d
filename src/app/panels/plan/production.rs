//! The Production plan section: a plan file scored run by run, flagged runs with
//! counterfactuals, and the scored table.

// Counts and values become text and screen coordinates; the rounding is invisible.
#![allow(clippy::cast_possible_truncation, clippy::cast_sign_loss, clippy::cast_precision_loss)]

use egui::{RichText, Ui};
use egui_extras::{Column as TableColumn, TableBuilder};

use super::{PathBuf, PlanBusy, PlanPanel, PlanSettings, PlanSort, PlanSource, Planner, Request, SavedPlan, Want};
use crate::app::command::Command;
use crate::app::panels::Work;
use crate::model::Task;

impl PlanPanel {
    pub(super) fn plan_ui(
        &mut self,
        ui: &mut Ui,
        planner: &Planner,
        plans: &[SavedPlan],
        busy: PlanBusy,
        commands: &mut Vec<Command>,
    ) {
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
                    commands.push(Command::Work(Work::Plan(Request::Score {
                        source: PlanSource::File(PathBuf::from(self.plan_path.trim())),
                        settings: Box::new(settings.clone()),
                    })));
                }
                if ui.add_enabled(!busy.work, egui::Button::new("Score the example plan")).clicked() {
                    commands.push(Command::Work(Work::Plan(Request::Score {
                        source: PlanSource::Sample,
                        settings: Box::new(settings),
                    })));
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
        egui::CentralPanel::default_margins().show(ui, |ui| self.scored_ui(ui, model, plans, commands));
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

    fn scored_ui(
        &mut self,
        ui: &mut Ui,
        model: &crate::model::TrainedModel,
        plans: &[SavedPlan],
        commands: &mut Vec<Command>,
    ) {
        let Some(plan) = plans.last() else {
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
