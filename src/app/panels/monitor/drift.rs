//! The Drift view: the new data file and the settings, then the monitor report: a summary in
//! sentences, the features with their drift (training and new histograms overlaid for the one
//! selected, and its drift per period as a time chart), the predictions, the rules, the metrics
//! and the notes. Retraining on the new data starts here.

// Counts and shares become text and plot coordinates; the rounding is invisible.
#![allow(clippy::cast_precision_loss, clippy::cast_possible_truncation, clippy::cast_sign_loss)]

use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::Arc;

use egui::{Color32, RichText, Ui};
use egui_extras::{Column as TableColumn, TableBuilder};
use egui_plot::{Bar, BarChart, HLine, Legend, Line, Plot, PlotPoints};

use super::{MonitorPanel, Request};
use crate::app::command::Command;
use crate::app::jobs::JobKind;
use crate::app::panels::{PanelContext, Work};
use crate::model::Task;
use crate::model::pipeline::FeatureKind;
use crate::model::train::TrainingReport;
use crate::monitor::{DriftLevel, FeatureDrift, MonitorReport, PeriodChoice};

/// Colour of the training data in the charts.
const THEN: Color32 = Color32::from_rgb(70, 130, 200);
/// Colour of the new data.
const NOW: Color32 = Color32::from_rgb(230, 140, 30);

/// The colour a drift level is shown in.
pub fn level_color(ui: &Ui, level: DriftLevel) -> Color32 {
    match level {
        DriftLevel::None => ui.visuals().weak_text_color(),
        DriftLevel::Moderate => Color32::from_rgb(214, 150, 0),
        DriftLevel::Major => ui.visuals().error_fg_color,
    }
}

/// A share as a percentage with one decimal.
fn pct(x: f64) -> String {
    format!("{:.1} %", x * 100.0)
}

impl MonitorPanel {
    pub(super) fn drift_ui(&mut self, ui: &mut Ui, cx: &mut PanelContext<'_>, model: &Arc<TrainingReport>, id: u64) {
        let monitoring = cx.busy.is(JobKind::Monitor);
        let training = cx.busy.is(JobKind::Model);
        egui::Panel::top("monitor_controls").show(ui, |ui| {
            ui.add_space(4.0);
            ui.horizontal(|ui| {
                ui.label("New data:");
                let resp = ui.add(
                    egui::TextEdit::singleline(&mut self.path)
                        .hint_text("path of a CSV, Parquet or spreadsheet file with the model's columns")
                        .desired_width(420.0),
                );
                if ui.button("Browse…").clicked() {
                    cx.commands.push(Command::OpenMonitorDialog);
                }
                let enter = resp.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
                let ready = !monitoring && !self.path.trim().is_empty();
                let clicked = ui
                    .add_enabled(ready, egui::Button::new(RichText::new("Run monitor").strong()))
                    .on_hover_text("Compare the new rows with the rows the model was trained on")
                    .clicked();
                if ready && (clicked || enter || std::mem::take(&mut self.monitor_requested)) {
                    cx.commands.push(Command::Work(Work::Monitor(Request::Monitor {
                        path: PathBuf::from(self.path.trim()),
                        settings: Box::new(self.settings.clone()),
                    })));
                }
            });
            ui.horizontal(|ui| self.settings_ui(ui));
            ui.add_space(2.0);
        });
        egui::CentralPanel::default_margins().show(ui, |ui| self.report_ui(ui, cx, model, id, training));
    }

    fn report_ui(
        &mut self,
        ui: &mut Ui,
        cx: &mut PanelContext<'_>,
        model: &Arc<TrainingReport>,
        id: u64,
        training: bool,
    ) {
        if let Some(n) = &self.note {
            ui.colored_label(ui.visuals().error_fg_color, n);
        }
        let Some(result) = &self.result else {
            ui.add_space(16.0);
            ui.label(
                "Give a file of new rows (the training data's columns; the target is optional) and press Run monitor. \
                 Glassbox compares each feature with the training rows (population stability index, \
                 Kolmogorov–Smirnov statistic, share outside the training range, missing values), checks the new \
                 rows against the model's envelope, and shows how the predictions, the rules and, when the target is \
                 there, the metrics moved. Nothing in the project changes.",
            );
            return;
        };
        if result.for_id != id {
            ui.label("This report was made for an earlier model; press Run monitor to monitor the current one.");
            return;
        }
        let report = Arc::clone(&result.report);
        egui::ScrollArea::vertical().id_salt("monitor_report").show(ui, |ui| {
            self.summary_ui(ui, &report, model, training, cx.commands);
            ui.separator();
            self.features_ui(ui, &report);
            ui.separator();
            predictions_ui(ui, &report);
            rules_ui(ui, &report);
            metrics_ui(ui, &report);
            if !report.notes.is_empty() {
                egui::CollapsingHeader::new(format!("Notes on the data ({})", report.notes.len()))
                    .default_open(true)
                    .show(ui, |ui| {
                        for n in &report.notes {
                            ui.label(format!("• {n}"));
                        }
                    });
            }
        });
    }

    fn settings_ui(&mut self, ui: &mut Ui) {
        let s = &mut self.settings;
        ui.label("Drift from PSI");
        ui.add(egui::DragValue::new(&mut s.psi_moderate).range(0.01..=5.0).speed(0.01).fixed_decimals(2))
            .on_hover_text("PSI from which a feature's drift is moderate (0.1 by common practice)");
        ui.label("(moderate),");
        ui.add(egui::DragValue::new(&mut s.psi_major).range(0.01..=5.0).speed(0.01).fixed_decimals(2))
            .on_hover_text("PSI from which a feature's drift is major (0.25 by common practice)");
        ui.label("(major)");
        if s.psi_major < s.psi_moderate {
            s.psi_major = s.psi_moderate;
        }
        ui.separator();
        ui.label("Per period:");
        egui::ComboBox::from_id_salt("monitor_period").selected_text(period_label(s.period)).show_ui(ui, |ui| {
            for p in [PeriodChoice::Auto, PeriodChoice::Day, PeriodChoice::Week, PeriodChoice::Month, PeriodChoice::Off]
            {
                ui.selectable_value(&mut s.period, p, period_label(p));
            }
        });
        ui.label(RichText::new("(of the timestamp column, when the data has one)").weak());
    }

    fn summary_ui(
        &mut self,
        ui: &mut Ui,
        r: &MonitorReport,
        model: &TrainingReport,
        training: bool,
        commands: &mut Vec<Command>,
    ) {
        ui.add_space(4.0);
        ui.heading(format!("{}: {} new rows against {} training rows", r.data, r.rows, r.training_rows));
        let major: Vec<String> = r.major().map(|f| format!("{} (PSI {:.3})", f.name, f.psi)).collect();
        let moderate: Vec<String> = r
            .features
            .iter()
            .filter(|f| f.drift == DriftLevel::Moderate)
            .map(|f| format!("{} ({:.3})", f.name, f.psi))
            .collect();
        if major.is_empty() && moderate.is_empty() {
            ui.label(RichText::new("No feature drifted.").strong());
        }
        if !major.is_empty() {
            ui.colored_label(level_color(ui, DriftLevel::Major), format!("Major drift: {}", major.join(", ")));
        }
        if !moderate.is_empty() {
            ui.colored_label(level_color(ui, DriftLevel::Moderate), format!("Moderate drift: {}", moderate.join(", ")));
        }
        ui.label(
            RichText::new(format!(
                "Levels: {}. Sampling alone gives a PSI of about {:.3} for these row counts.",
                r.levels, r.psi_noise
            ))
            .weak(),
        );
        let e = &r.envelope;
        let mut env = format!(
            "{} of the new rows lie outside the model's envelope (training rows: {} by construction); {} are outside a \
             training range",
            pct(e.outside),
            pct(e.training_outside),
            pct(e.outside_range)
        );
        let takers: Vec<String> = e
            .features
            .iter()
            .take(3)
            .filter(|f| f.outside_range_rows + f.unlike_rows > 0)
            .map(|f| format!("{} ({} rows)", f.name, f.outside_range_rows + f.unlike_rows))
            .collect();
        if !takers.is_empty() {
            let _ = write!(env, "; most often taken out by {}", takers.join(", "));
        }
        env.push('.');
        let env_level = if e.outside > 0.1 {
            DriftLevel::Major
        } else if e.outside > 0.03 {
            DriftLevel::Moderate
        } else {
            DriftLevel::None
        };
        if env_level == DriftLevel::None {
            ui.label(env);
        } else {
            ui.colored_label(level_color(ui, env_level), env);
        }
        ui.label(format!(
            "Predictions: PSI {:.3} ({}). Rules: PSI {:.3} ({}), {} new rows decided by a rule outside the region of its \
             training rows.",
            r.predictions.psi,
            r.predictions.drift.describe(),
            r.rules.psi,
            r.rules.drift.describe(),
            r.rules.unseen_rows
        ));
        if let Some(m) = &r.metrics {
            let text = RichText::new(&m.verdict).strong();
            if m.worse {
                ui.colored_label(ui.visuals().error_fg_color, text);
            } else {
                ui.label(text);
            }
        } else {
            ui.label(RichText::new(format!("The new data has no '{}' column: no metrics.", r.target)).weak());
        }
        if let Some(t) = &r.time {
            match &t.drift_began {
                Some(p) => {
                    ui.colored_label(
                        level_color(ui, DriftLevel::Major),
                        format!("Major drift began in {p} ({}).", t.drift_began_features.join(", ")),
                    );
                }
                None => {
                    ui.label(format!("Per {} of '{}': no period with major drift.", t.unit.label(), t.column));
                }
            }
        }
        ui.add_space(4.0);
        ui.horizontal(|ui| {
            if ui.button("Save report (Markdown)…").clicked() {
                let stem = std::path::Path::new(&r.data)
                    .file_stem()
                    .map_or_else(|| "monitor".to_owned(), |s| s.to_string_lossy().into_owned());
                commands.push(Command::SaveText { name: format!("{stem}_monitor.md"), text: r.to_markdown() });
            }
            ui.separator();
            let path = self.new_data.as_ref().map(|(p, _)| p.clone());
            let retrain = ui
                .add_enabled(!training && path.is_some(), egui::Button::new("Retrain on this data"))
                .on_hover_text(format!(
                    "Train the model again with its settings ({}) on {}; the current model stays in the project's \
                     history and can be restored",
                    model.settings.params.kind_label(),
                    if self.append { "the project's data with these rows appended" } else { "this file alone" }
                ));
            ui.checkbox(&mut self.append, "append these rows to the project's data");
            if retrain.clicked()
                && let Some(path) = path
            {
                commands.push(Command::Work(Work::Monitor(Request::Retrain { path, append: self.append })));
            }
        });
        ui.add_space(4.0);
    }

    fn features_ui(&mut self, ui: &mut Ui, r: &MonitorReport) {
        ui.label(RichText::new("Features (click one to see its values)").strong());
        let text_height = ui.text_style_height(&egui::TextStyle::Body).max(18.0);
        let height = (r.features.len() as f32 * text_height + 30.0).min(300.0);
        ui.allocate_ui(egui::vec2(ui.available_width(), height), |ui| {
            TableBuilder::new(ui)
                .id_salt("monitor_features")
                .striped(true)
                .sense(egui::Sense::click())
                .max_scroll_height(height)
                .column(TableColumn::initial(260.0).at_least(120.0).clip(true))
                .column(TableColumn::initial(90.0))
                .column(TableColumn::initial(70.0))
                .column(TableColumn::initial(70.0))
                .column(TableColumn::initial(110.0))
                .column(TableColumn::remainder().at_least(140.0))
                .header(22.0, |mut h| {
                    for (t, tip) in [
                        ("Feature", "In the model's order"),
                        ("Drift", "The level the thresholds above give"),
                        ("PSI", "Population stability index on 10 bins cut at the training quantiles"),
                        ("KS", "Kolmogorov–Smirnov statistic (largest gap between the two distribution functions)"),
                        ("Outside range", "New rows with a value outside the training range, or a level never seen"),
                        ("Missing then → now", "Share of training and new rows with the value missing"),
                    ] {
                        h.col(|ui| {
                            ui.strong(t).on_hover_text(tip);
                        });
                    }
                })
                .body(|body| {
                    body.rows(text_height, r.features.len(), |mut row| {
                        let i = row.index();
                        let Some(f) = r.features.get(i) else { return };
                        row.set_selected(self.selected == Some(i));
                        row.col(|ui| {
                            ui.label(&f.name).on_hover_text(&f.name);
                        });
                        row.col(|ui| {
                            ui.colored_label(level_color(ui, f.drift), f.drift.label());
                        });
                        row.col(|ui| {
                            ui.label(format!("{:.3}", f.psi));
                        });
                        row.col(|ui| {
                            ui.label(f.ks.map_or_else(|| "–".to_owned(), |k| format!("{k:.3}")));
                        });
                        row.col(|ui| {
                            ui.label(pct(f.outside_range));
                        });
                        row.col(|ui| {
                            ui.label(format!("{} → {}", pct(f.missing_then), pct(f.missing_now)));
                        });
                        if row.response().clicked() {
                            self.selected = Some(i);
                        }
                    });
                });
        });
        ui.add_space(6.0);
        let Some(f) = self.selected.and_then(|i| r.features.get(i)) else { return };
        if r.periods.as_ref().is_some_and(|p| p.len() > 1) {
            ui.columns(2, |c| {
                if let [left, right] = c {
                    feature_detail_ui(left, f);
                    time_chart_ui(right, r, f);
                }
            });
        } else {
            ui.allocate_ui(egui::vec2(ui.available_width().min(720.0), 0.0), |ui| feature_detail_ui(ui, f));
        }
    }
}

fn period_label(p: PeriodChoice) -> &'static str {
    match p {
        PeriodChoice::Auto => "automatic",
        PeriodChoice::Day => "day",
        PeriodChoice::Week => "week",
        PeriodChoice::Month => "month",
        PeriodChoice::Off => "none",
    }
}

/// Bars as (position, rows).
type Counts = Vec<(f64, usize)>;

/// One feature: its figures in words and the two distributions overlaid.
fn feature_detail_ui(ui: &mut Ui, f: &FeatureDrift) {
    let unit = f.unit.as_deref().map_or_else(String::new, |u| format!(" {u}"));
    ui.label(RichText::new(&f.name).strong());
    let mut line = format!("{} — PSI {:.3}", f.drift.describe(), f.psi);
    if let Some(ks) = f.ks {
        let _ = write!(line, ", KS {ks:.3}");
    }
    ui.colored_label(level_color(ui, f.drift), line);
    if let (Some(a), Some(b)) = (f.median_then, f.median_now) {
        ui.label(format!("Median {} → {}{unit}", fmt(a), fmt(b)));
    }
    if let (Some(lo), Some(hi)) = (f.min_then, f.max_then) {
        ui.label(format!(
            "Training range {} … {}{unit}; {} of new rows ({}) outside it",
            fmt(lo),
            fmt(hi),
            pct(f.outside_range),
            f.outside_range_rows
        ));
    } else if f.outside_range_rows > 0 {
        ui.label(format!(
            "{} new rows ({}) at a level never seen in training",
            f.outside_range_rows,
            pct(f.outside_range)
        ));
    }
    if let Some(n) = &f.note {
        ui.colored_label(level_color(ui, DriftLevel::Moderate), n);
    }
    let (then, now, x_labels, width): (Counts, Counts, Vec<String>, f64) = match (&f.histogram, f.kind) {
        (Some(h), FeatureKind::Numeric) => {
            let centre = |i: usize| {
                let a = h.edges.get(i).copied().unwrap_or(0.0);
                let b = h.edges.get(i + 1).copied().unwrap_or(a);
                f64::midpoint(a, b)
            };
            let w = match h.edges.as_slice() {
                [a, b, ..] => (b - a).abs().max(f64::MIN_POSITIVE),
                _ => 1.0,
            };
            (
                h.then.iter().enumerate().map(|(i, &n)| (centre(i), n)).collect(),
                h.now.iter().enumerate().map(|(i, &n)| (centre(i), n)).collect(),
                Vec::new(),
                w,
            )
        }
        _ => (
            f.bins.then.iter().enumerate().map(|(i, &n)| (i as f64 - 0.2, n)).collect(),
            f.bins.now.iter().enumerate().map(|(i, &n)| (i as f64 + 0.2, n)).collect(),
            f.bins.labels.clone(),
            0.4,
        ),
    };
    let share = |v: &[(f64, usize)]| {
        let total = v.iter().map(|(_, n)| n).sum::<usize>().max(1) as f64;
        v.iter().map(|&(x, n)| (x, n as f64 / total)).collect::<Vec<_>>()
    };
    let bars = |v: Vec<(f64, f64)>, name: &str| -> Vec<Bar> {
        v.into_iter().map(|(x, s)| Bar::new(x, s).width(width).name(name)).collect()
    };
    let then_bars = bars(share(&then), "training");
    let now_bars = bars(share(&now), "new");
    let mut plot = Plot::new(("monitor_histogram", &f.name))
        .height(220.0)
        .allow_scroll(false)
        .allow_zoom(false)
        .allow_drag(false)
        .legend(Legend::default())
        .y_axis_label("share of rows")
        .x_axis_label(format!(
            "{}{}",
            f.name,
            if unit.is_empty() { String::new() } else { format!(" ({})", unit.trim()) }
        ));
    if !x_labels.is_empty() {
        plot = plot.x_axis_formatter(crate::app::widgets::index_axis(x_labels));
    }
    plot.show(ui, |p| {
        p.bar_chart(BarChart::new("training", then_bars).color(THEN.gamma_multiply(0.7)));
        p.bar_chart(BarChart::new("new", now_bars).color(NOW.gamma_multiply(0.7)));
    });
}

/// The selected feature's PSI per period, with the envelope and the thresholds.
fn time_chart_ui(ui: &mut Ui, r: &MonitorReport, f: &FeatureDrift) {
    let (Some(periods), Some(time)) = (&r.periods, &r.time) else { return };
    ui.label(RichText::new(format!("{} per {} of '{}'", f.name, time.unit.label(), time.column)).strong());
    ui.label(RichText::new(format!("{} periods; the dashed lines are the drift thresholds", periods.len())).weak());
    let psi: Vec<[f64; 2]> = periods
        .iter()
        .enumerate()
        .filter_map(|(i, p)| p.features.iter().find(|pf| pf.name == f.name).map(|pf| [i as f64, pf.psi]))
        .collect();
    let outside: Vec<[f64; 2]> = periods.iter().enumerate().map(|(i, p)| [i as f64, p.outside_envelope]).collect();
    let noise: Vec<[f64; 2]> = periods.iter().enumerate().map(|(i, p)| [i as f64, p.psi_noise]).collect();
    let rules: Vec<[f64; 2]> = periods.iter().enumerate().map(|(i, p)| [i as f64, p.rule_psi]).collect();
    let labels: Vec<String> = periods.iter().map(|p| p.label.clone()).collect();
    let (moderate, major) = (r.settings.psi_moderate, r.settings.psi_major);
    Plot::new(("monitor_periods", &f.name))
        .height(220.0)
        .legend(Legend::default())
        .allow_scroll(false)
        .y_axis_label("PSI / share")
        .x_axis_formatter(crate::app::widgets::index_axis(labels))
        .show(ui, |p| {
            p.hline(
                HLine::new("major", major)
                    .color(Color32::from_rgb(200, 60, 60))
                    .style(egui_plot::LineStyle::dashed_loose()),
            );
            p.hline(
                HLine::new("moderate", moderate)
                    .color(Color32::from_rgb(214, 150, 0))
                    .style(egui_plot::LineStyle::dashed_loose()),
            );
            p.line(Line::new(format!("PSI of {}", f.name), PlotPoints::from(psi)).color(NOW).width(2.0));
            p.line(Line::new("share outside the envelope", PlotPoints::from(outside)).color(THEN).width(1.5));
            p.line(
                Line::new("PSI of the rules' shares", PlotPoints::from(rules))
                    .color(Color32::from_rgb(150, 100, 200))
                    .width(1.5),
            );
            p.line(Line::new("PSI of sampling alone", PlotPoints::from(noise)).color(Color32::GRAY));
        });
}

fn predictions_ui(ui: &mut Ui, r: &MonitorReport) {
    let p = &r.predictions;
    egui::CollapsingHeader::new(format!("Predictions: {} (PSI {:.3})", p.drift.describe(), p.psi))
        .default_open(true)
        .show(ui, |ui| {
            egui::Grid::new("monitor_predictions").striped(true).num_columns(3).show(ui, |ui| {
                if r.task == Task::Classification {
                    ui.strong("Predicted class");
                    ui.strong("Training rows");
                    ui.strong("New rows");
                    ui.end_row();
                    for c in &p.classes {
                        ui.label(&c.class);
                        ui.label(pct(c.then));
                        ui.label(pct(c.now));
                        ui.end_row();
                    }
                } else {
                    ui.strong("Predicted value");
                    ui.strong("Training rows");
                    ui.strong("New rows");
                    ui.end_row();
                    if let (Some(a), Some(b)) = (p.mean_then, p.mean_now) {
                        ui.label("mean");
                        ui.label(fmt(a));
                        ui.label(fmt(b));
                        ui.end_row();
                    }
                    for q in &p.quantiles {
                        ui.label(format!("{:.0}th percentile", q.q * 100.0));
                        ui.label(fmt(q.then));
                        ui.label(fmt(q.now));
                        ui.end_row();
                    }
                }
            });
        });
}

fn rules_ui(ui: &mut Ui, r: &MonitorReport) {
    let d = &r.rules;
    egui::CollapsingHeader::new(format!(
        "Rules ({}): {} rows decided outside a rule's training region",
        d.source, d.unseen_rows
    ))
    .default_open(false)
    .show(ui, |ui| {
        egui::Grid::new("monitor_rules").striped(true).num_columns(5).show(ui, |ui| {
            for h in ["Rule", "Training rows", "New rows", "Outside its region", "Condition"] {
                ui.strong(h);
            }
            ui.end_row();
            for rule in &d.rules {
                let label = if rule.never_fired_in_training {
                    RichText::new(format!("{} (new)", rule.rule)).color(level_color(ui, DriftLevel::Major))
                } else {
                    RichText::new(&rule.rule)
                };
                ui.label(label);
                ui.label(format!("{} ({})", rule.train_rows, pct(rule.train_share)));
                ui.label(format!("{} ({})", rule.new_rows, pct(rule.new_share)));
                if rule.unseen_rows > 0 {
                    ui.colored_label(level_color(ui, DriftLevel::Moderate), rule.unseen_rows.to_string());
                } else {
                    ui.label("0");
                }
                ui.label(RichText::new(&rule.text).small());
                ui.end_row();
            }
        });
    });
}

fn metrics_ui(ui: &mut Ui, r: &MonitorReport) {
    let Some(m) = &r.metrics else { return };
    egui::CollapsingHeader::new(format!(
        "Metrics: {} new rows with '{}' against {} held-out rows",
        m.rows, r.target, m.held_out_rows
    ))
    .default_open(true)
    .show(ui, |ui| {
        let ci = format!("{:.0} % interval", m.confidence * 100.0);
        egui::Grid::new("monitor_metrics").striped(true).num_columns(4).show(ui, |ui| {
            ui.strong("Metric");
            ui.strong(format!("Held-out ({ci})"));
            ui.strong(format!("New ({ci})"));
            ui.strong("Difference");
            ui.end_row();
            for c in &m.metrics {
                ui.label(&c.name);
                ui.label(format!("{:.3} ({:.3} … {:.3})", c.held_out.value, c.held_out.low, c.held_out.high));
                ui.label(format!("{:.3} ({:.3} … {:.3})", c.new.value, c.new.low, c.new.high));
                let text = format!("{:+.3} ({:+.3} … {:+.3})", c.difference.value, c.difference.low, c.difference.high);
                if c.worse() {
                    ui.colored_label(ui.visuals().error_fg_color, format!("{text} worse"));
                } else if c.beyond_chance {
                    ui.label(format!("{text} better"));
                } else {
                    ui.label(format!("{text} within chance"));
                }
                ui.end_row();
            }
            if let (Some(a), Some(b)) = (m.roc_auc_held_out, m.roc_auc_new) {
                ui.label("ROC AUC");
                ui.label(format!("{a:.3}"));
                ui.label(format!("{b:.3}"));
                ui.label(format!("{:+.3}", b - a));
                ui.end_row();
            }
        });
        ui.label(RichText::new(format!("{} bootstrap resamples per side.", m.resamples)).weak());
    });
}

/// A value with four significant digits, as the reports write them.
fn fmt(x: f64) -> String {
    crate::rules::score::significant(x, 4)
}
