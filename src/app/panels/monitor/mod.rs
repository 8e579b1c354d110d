//! The Monitor panel: after the model ships. Two views:
//! - **Drift** ([`drift`]): a new data file against the model's training rows: per feature PSI,
//!   KS, share outside the training range and missing shares, with training and new histograms
//!   overlaid; the envelope; the predictions; how often each rule fires then and now; the metrics
//!   when the new data holds the target; and, with a timestamp, a time chart of the drift per
//!   period. From there the model can be retrained on the new data (or with it appended).
//! - **Versions** ([`versions`]): the project's model history; any kept version can be restored
//!   or compared with the current model on the same rows (metrics, agreement, importance, the
//!   rule diff and the line diff of the exported Structured Text).
//!
//! Everything is computed by the engine ([`crate::monitor`], [`crate::project::retrain`],
//! [`crate::compare`]) in background jobs; a failed monitor, retrain or restore leaves the
//! session as it was.

pub mod drift;
pub mod versions;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use egui::Ui;

use super::PanelContext;
use crate::app::command::Command;
use crate::app::jobs::{JobKind, JobSpec};
use crate::app::session::Session;
use crate::compare::{CompareOptions, Comparison, compare};
use crate::data::Dataset;
use crate::monitor::{MonitorReport, MonitorSettings, load_new_data, monitor, read_options_for_file};
use crate::project::Project;
use crate::project::history::clock_date;
use crate::project::retrain::{RetrainMode, retrain};

/// Which view of the panel is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum View {
    /// New data against the training data.
    #[default]
    Drift,
    /// The model's versions, restore and compare.
    Versions,
}

/// Work the Monitor panel asks for.
#[derive(Debug, Clone, PartialEq)]
pub enum Request {
    /// Monitor the data file at `path` against the current model.
    Monitor {
        /// The new data.
        path: PathBuf,
        /// Thresholds, bins, periods.
        settings: Box<MonitorSettings>,
    },
    /// Retrain the model with its settings on the data file at `path` (appended to the
    /// project's data when `append`).
    Retrain {
        /// The new data.
        path: PathBuf,
        /// Append its rows to the project's data instead of replacing it.
        append: bool,
    },
    /// Make an earlier version the current model again.
    Restore {
        /// Its number in the history.
        version: u32,
    },
    /// Compare an earlier version (A) with the current model (B).
    Compare {
        /// The earlier version.
        version: u32,
    },
}

/// A monitor run's result.
pub struct Monitored {
    /// The model it was run for.
    pub for_id: u64,
    /// The report.
    pub report: Arc<MonitorReport>,
}

/// A comparison's result.
pub struct Compared {
    /// The model (B) it was run for.
    pub for_id: u64,
    /// The version compared with it (A).
    pub version: u32,
    /// What rows it was made on.
    pub rows_from: String,
    /// The comparison.
    pub comparison: Arc<Comparison>,
}

/// A project that replaces the session (after a retrain or a restore), with its data.
#[derive(Debug, Clone, PartialEq)]
pub struct Replacement {
    /// The project.
    pub project: Project,
    /// Its data (the session's own when a restored version reads the same data).
    pub dataset: Arc<Dataset>,
    /// What happened, for the status bar.
    pub message: String,
    /// What the user should know about the data.
    pub notes: Vec<String>,
}

/// What that work hands back.
pub enum Done {
    /// A monitor report, with the new data it read (kept for comparisons).
    Monitored(Monitored, PathBuf, Arc<Dataset>),
    /// A comparison.
    Compared(Compared),
    /// A retrained or restored project.
    Replaced(Box<Replacement>),
}

/// What the Monitor panel remembers.
pub struct MonitorPanel {
    /// The view shown.
    pub view: View,
    /// The new data's path box.
    pub path: String,
    /// Thresholds, bins and periods.
    pub settings: MonitorSettings,
    /// The last report.
    pub result: Option<Monitored>,
    /// The new data the last report was made on (kept across a retrain, for comparisons).
    pub new_data: Option<(PathBuf, Arc<Dataset>)>,
    /// The feature selected in the table (model order).
    pub selected: Option<usize>,
    /// Retrain with the new rows appended to the project's data.
    pub append: bool,
    /// The last comparison.
    pub comparison: Option<Compared>,
    /// Why the last piece of work failed.
    pub note: Option<String>,
    /// Monitor as soon as the panel is drawn (a file was picked in the dialog).
    pub(crate) monitor_requested: bool,
}

impl Default for MonitorPanel {
    fn default() -> Self {
        Self {
            view: View::Drift,
            path: String::new(),
            settings: MonitorSettings::default(),
            result: None,
            new_data: None,
            selected: None,
            append: false,
            comparison: None,
            note: None,
            monitor_requested: false,
        }
    }
}

impl Request {
    /// The job for this request on the session's model; `None` without data or model.
    pub fn job(self, session: &Session, new_data: Option<&(PathBuf, Arc<Dataset>)>) -> Option<JobSpec<Done>> {
        let (training, _, for_id) = session.model()?;
        let training = Arc::clone(training);
        let project = session.project();
        Some(match self {
            Self::Monitor { path, settings } => {
                JobSpec::new(JobKind::Monitor, format!("Monitoring {}", file_name(&path)), move |p| {
                    p.set_stage("reading the new data");
                    let new = Arc::new(load_new_data(&project, &path, &p.sub(0.0, 0.3))?);
                    let report = monitor(&project, &training, &new, &settings, &p.sub(0.3, 1.0))?;
                    Ok(Done::Monitored(Monitored { for_id, report: Arc::new(report) }, path, new))
                })
            }
            Self::Retrain { path, append } => {
                JobSpec::new(JobKind::Model, format!("Retraining on {}", file_name(&path)), move |p| {
                    let options = read_options_for_file(&project, &path);
                    let mode = if append { RetrainMode::Append } else { RetrainMode::Replace };
                    let done = retrain(&project, &path, &options, mode, clock_date(), p)?;
                    let number = done.project.current_version().map_or(0, |v| v.number);
                    let how = if append { "with the rows of" } else { "on" };
                    let message = format!("Retrained {how} {}: the model is now version {number}", file_name(&path));
                    Ok(Done::Replaced(Box::new(Replacement {
                        project: done.project,
                        dataset: Arc::new(done.dataset),
                        message,
                        notes: done.notes,
                    })))
                })
            }
            Self::Restore { version } => {
                JobSpec::new(JobKind::Load, format!("Restoring model version {version}"), move |p| {
                    let restored = project.restore(version, clock_date())?;
                    // The same data as now is not read again.
                    let dataset = if restored.data == project.data && restored.appended == project.appended {
                        training
                    } else {
                        p.set_stage("reading the data of that version");
                        Arc::new(restored.load_data(p)?)
                    };
                    let number = restored.current_version().map_or(0, |v| v.number);
                    let message = format!("Restored the model of version {version} (now version {number})");
                    Ok(Done::Replaced(Box::new(Replacement { project: restored, dataset, message, notes: Vec::new() })))
                })
            }
            Self::Compare { version } => {
                let (rows_path, rows, rows_from) = match new_data {
                    Some((path, ds)) => (path.clone(), Arc::clone(ds), format!("the new data {}", file_name(path))),
                    None => {
                        let path =
                            session.data_ref.as_ref().map_or_else(|| PathBuf::from(&training.name), |d| d.path.clone());
                        (path, Arc::clone(&training), format!("the project's data {}", training.name))
                    }
                };
                JobSpec::new(
                    JobKind::Compare,
                    format!("Comparing version {version} with the current model"),
                    move |p| {
                        let older = project.restore(version, None)?;
                        let comparison = compare(&older, &project, &rows, &rows_path, &CompareOptions::default(), p)?;
                        Ok(Done::Compared(Compared { for_id, version, rows_from, comparison: Arc::new(comparison) }))
                    },
                )
            }
        })
    }
}

/// A path's file name, for titles.
fn file_name(path: &Path) -> String {
    path.file_name().map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned())
}

impl MonitorPanel {
    /// The job for `request`.
    pub fn job(&self, request: Request, session: &Session) -> Option<JobSpec<Done>> {
        request.job(session, self.new_data.as_ref())
    }

    /// Takes a job's result; returns a message for the status bar.
    pub fn receive(
        &mut self,
        done: Done,
        elapsed: Duration,
        session: &Session,
        commands: &mut Vec<Command>,
    ) -> Option<String> {
        self.note = None;
        match done {
            Done::Monitored(m, path, data) => {
                // A report for a model replaced meanwhile is dropped.
                if m.for_id != session.report_id {
                    return None;
                }
                let text = format!(
                    "Monitored {} rows of {} in {}",
                    m.report.rows,
                    file_name(&path),
                    crate::app::widgets::duration_text(elapsed)
                );
                self.selected =
                    m.report.features.iter().enumerate().max_by(|a, b| a.1.psi.total_cmp(&b.1.psi)).map(|(i, _)| i);
                self.path = path.display().to_string();
                self.new_data = Some((path, data));
                self.result = Some(m);
                self.view = View::Drift;
                Some(text)
            }
            Done::Compared(c) => {
                if c.for_id != session.report_id {
                    return None;
                }
                let text = format!(
                    "Compared version {} with the current model in {}",
                    c.version,
                    crate::app::widgets::duration_text(elapsed)
                );
                self.comparison = Some(c);
                self.view = View::Versions;
                Some(text)
            }
            Done::Replaced(r) => {
                commands.push(Command::Adopt(r));
                None
            }
        }
    }

    /// A job of this panel failed: the message stays in the panel too.
    pub fn failed(&mut self, message: &str) {
        self.note = Some(message.to_owned());
    }

    /// The session was replaced: results of the old model go, the new data and settings stay.
    pub fn session_replaced(&mut self) {
        self.result = None;
        self.comparison = None;
        self.selected = None;
        self.note = None;
    }

    /// Monitors the file at `path` (picked in the file dialog).
    pub fn monitor_file(&mut self, path: &Path) {
        self.path = path.display().to_string();
        self.view = View::Drift;
        self.monitor_requested = true;
    }

    /// Draws the panel.
    pub fn ui(&mut self, ui: &mut Ui, cx: &mut PanelContext<'_>) {
        let Some((_, report, id)) = cx.session.model() else {
            ui.add_space(20.0);
            ui.vertical_centered(|ui| {
                ui.heading("No model yet");
                ui.label(
                    "Monitoring compares new plant data with the rows the model was trained on. Train a model in the \
                     Train panel (or open a project), then come back with a file of new rows.",
                );
            });
            return;
        };
        let report = Arc::clone(report);
        egui::Panel::top("monitor_view").show(ui, |ui| {
            ui.add_space(4.0);
            ui.horizontal(|ui| {
                ui.selectable_value(&mut self.view, View::Drift, "Drift of new data");
                let versions = cx.session.history().len();
                ui.selectable_value(&mut self.view, View::Versions, format!("Model versions ({versions})"));
            });
            ui.add_space(2.0);
        });
        match self.view {
            View::Drift => self.drift_ui(ui, cx, &report, id),
            View::Versions => self.versions_ui(ui, cx, id),
        }
    }
}
