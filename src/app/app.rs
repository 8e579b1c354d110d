//! The Glassbox window: menus, the path box, panels, the status bar with the running job.
//!
//! Drawing code never changes the session directly: it pushes [`Command`]s, which
//! [`GlassboxApp::apply`] carries out after the frame is drawn.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::mpsc::{Receiver, TryRecvError};
use std::time::{Duration, Instant};

use egui::{RichText, Ui};

use std::sync::Arc;

use super::jobs::{Job, JobOutcome};
use super::panels::data::DataPanel;
use super::panels::explain::ExplainPanel;
use super::panels::import::ImportDialog;
use super::panels::plan::{PlanBusy, PlanPanel, PlanRequest, PlanResult};
use super::panels::rules::{RulesPanel, RulesResult};
use super::panels::train::TrainPanel;
use super::state::{Preferences, ThemeChoice};
use super::theme;
use crate::data::{Dataset, FileFormat, LoadOptions, Role};
use crate::model::search::{SearchResult, default_grid, grid_search};
use crate::model::train::{TrainSettings, TrainingReport, train};

/// Key under which eframe stores the preferences.
const PREFS_KEY: &str = "glassbox.preferences";

/// Something the user asked for, carried out after the frame.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// Show the native file dialog.
    OpenFileDialog,
    /// Open this file: the import dialog for text and spreadsheets, straight away for Parquet.
    OpenPath(PathBuf),
    /// Load a file with these settings in the background.
    Load {
        /// The file.
        path: PathBuf,
        /// How to read it.
        options: LoadOptions,
    },
    /// Load the bundled sample dataset.
    LoadSample,
    /// Close the import dialog without loading.
    CloseImport,
    /// Stop the running job with this index in the status bar.
    CancelJob(usize),
    /// Train a model in the background.
    Train(Box<TrainSettings>),
    /// Search a grid of settings in the background, then train the best.
    Search(Box<TrainSettings>),
    /// Show another panel.
    ShowTab(Tab),
    /// Compute the global explanation of the current model in the background.
    ExplainGlobal(Box<crate::explain::model::GlobalOptions>),
    /// Compute partial dependence and ICE curves of one feature.
    ExplainPdp {
        /// Raw feature index.
        feature: usize,
        /// Explained output.
        output: crate::model::Output,
    },
    /// Explain one dataset row with SHAP and LIME.
    ExplainRow {
        /// Dataset row.
        row: usize,
        /// SHAP settings.
        options: Box<crate::explain::model::LocalOptions>,
    },
    /// Save text (CSV, SVG) to a file the user picks.
    SaveText {
        /// Suggested file name.
        name: String,
        /// The content.
        text: String,
    },
    /// Save the part of the window in `rect` (a plot) as a PNG file the user picks.
    SavePng {
        /// Suggested file name.
        name: String,
        /// The plot's rectangle, in points.
        rect: egui::Rect,
    },
    /// Write the pending save to this path.
    SaveTo(PathBuf),
    /// Forget the pending save.
    CancelSave,
    /// Save the session to its project file (asks for a path the first time).
    SaveProject,
    /// Save the session to a new project file.
    SaveProjectAs,
    /// Show the system dialog to pick a project file.
    OpenProjectDialog,
    /// Open a project file.
    OpenProject(PathBuf),
    /// Open the pending project with its data read from this file instead.
    RelinkData(PathBuf),
    /// Forget the pending project.
    CancelRelink,
    /// Open the recovery file left by a session that did not close cleanly.
    Recover,
    /// Delete the recovery file.
    DiscardRecovery,
    /// Answer to "save changes before closing?".
    Close(CloseChoice),
    /// Extract (or re-simplify) the model's rules in the background.
    ComputeRules {
        /// Simplification settings.
        simplify: crate::rules::simplify::SimplifyOptions,
        /// Threshold rounding to preview, if any.
        rounding: Option<crate::rules::round::Rounding>,
    },
    /// Show only these dataset rows in the data table.
    HighlightRows {
        /// What they are, for the banner.
        label: String,
        /// Dataset rows.
        rows: Vec<usize>,
    },
    /// Show every row again.
    ClearHighlight,
    /// Learn what planning needs about the current model's training rows.
    BuildPlanner,
    /// Run planning work in the background.
    Plan(PlanRequest),
    /// Show the system dialog to pick a production plan.
    OpenPlanDialog,
    /// Show a column's details.
    SelectColumn(usize),
    /// Change a column's role.
    SetRole {
        /// Column index.
        column: usize,
        /// New role.
        role: Role,
    },
    /// Change the colour scheme.
    SetTheme(ThemeChoice),
    /// Close a message.
    Dismiss(usize),
    /// Empty the recent-files list.
    ClearRecent,
}

/// The answers to "save changes before closing?".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CloseChoice {
    /// Save, then close.
    Save,
    /// Close without saving.
    Discard,
    /// Keep working.
    Cancel,
}

/// What the save dialog saves.
#[derive(Debug, Clone, PartialEq)]
pub enum SaveWhat {
    /// Text (CSV, SVG, code).
    Text(String),
    /// Bytes (PNG).
    Bytes(Vec<u8>),
    /// The session as a project file.
    Project,
}

/// A project that could not be opened as it stands: its data moved or changed.
pub struct PendingProject {
    /// The project file.
    pub path: PathBuf,
    /// Its content.
    pub project: Box<crate::project::Project>,
    /// What is wrong with the data.
    pub problem: String,
    /// The path box of the relink dialog.
    pub new_data: String,
}

/// How serious a message is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    /// Something worked; shown in the status bar.
    Info,
    /// Something did not; shown in a banner until closed.
    Error,
}

/// A message for the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// How serious.
    pub severity: Severity,
    /// What to say.
    pub text: String,
}

/// The panels, in tab order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Tab {
    /// Data table, columns, roles.
    #[default]
    Data,
    /// Training and evaluation.
    Train,
    /// Why the model decides.
    Explain,
    /// IF-THEN rules and PLC export.
    Rules,
    /// What-if scenarios, counterfactuals, production plans.
    Plan,
}

impl Tab {
    const ALL: [Self; 5] = [Self::Data, Self::Train, Self::Explain, Self::Rules, Self::Plan];

    fn label(self) -> &'static str {
        match self {
            Self::Data => "Data",
            Self::Train => "Train",
            Self::Explain => "Explain",
            Self::Rules => "Rules & PLC export",
            Self::Plan => "Plan",
        }
    }
}

/// What a background job hands back.
pub enum JobOutput {
    /// A dataset was read.
    Loaded {
        /// The data.
        dataset: Dataset,
        /// Its reference for the project file (path, size, hash).
        data_ref: Option<crate::project::DataRef>,
        /// Where from (`None` for the bundled sample).
        path: Option<PathBuf>,
        /// How it was read.
        options: LoadOptions,
    },
    /// A model was trained.
    Trained(Box<TrainingReport>),
    /// A global explanation for the report with this id.
    Global(u64, Box<crate::explain::model::GlobalExplanation>),
    /// Partial dependence of a feature for the report with this id.
    Pdp(u64, usize, Box<crate::explain::pdp::PartialDependence>),
    /// A row's SHAP and LIME explanations for the report with this id.
    Row(
        u64,
        usize,
        Box<crate::explain::model::LocalExplanations>,
        Option<Box<crate::explain::model::LocalExplanations>>,
    ),
    /// A project was opened with its data.
    ProjectOpened {
        /// The project file (`None` for a recovered session).
        path: Option<PathBuf>,
        /// Its content.
        project: Box<crate::project::Project>,
        /// Its data.
        dataset: Dataset,
        /// A note to show (data relinked or changed).
        note: Option<String>,
    },
    /// A project's data could not be read; the user is asked for it.
    ProjectNeedsData(Box<PendingProject>),
    /// The project was saved.
    ProjectSaved(PathBuf),
    /// Rules for the current model.
    Rules(Box<RulesResult>),
    /// The planner of the report with this id.
    Planner(u64, Arc<crate::plan::Planner>),
    /// Planning work for the report with this id.
    Plan(u64, PlanResult),
    /// A grid search finished (the best settings are trained next).
    Searched {
        /// Scores per candidate.
        result: SearchResult,
        /// The settings it started from.
        settings: Box<TrainSettings>,
    },
}

/// Which kind of job a running job is, so a new one of the same kind replaces it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum JobKind {
    Load,
    Model,
    Explain,
    Rules,
    Save,
    Planner,
    PlanLive,
    PlanWork,
}

/// What a native file dialog was opened for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DialogPurpose {
    Data,
    Project,
    Plan,
}

/// A plot saved as PNG: its file name and bytes, or why not.
type PngResult = Result<(String, Vec<u8>), String>;

/// A native file dialog running on its own thread.
struct FileDialogJob {
    purpose: DialogPurpose,
    rx: Receiver<Option<PathBuf>>,
    started: Instant,
}

/// The whole app.
#[allow(clippy::struct_excessive_bools)] // independent UI flags, not a state machine
pub struct GlassboxApp {
    /// Persisted preferences.
    pub prefs: Preferences,
    /// The open dataset (shared with background jobs, copied on write).
    pub dataset: Option<Arc<Dataset>>,
    /// The latest training result for the open dataset.
    pub report: Option<Arc<TrainingReport>>,
    /// Grows with every new report, so panels can refresh what they derive from it.
    pub report_id: u64,
    /// The panel shown.
    pub tab: Tab,
    /// The Data panel's own state.
    pub data_panel: DataPanel,
    /// The Train panel's own state.
    pub train_panel: TrainPanel,
    /// The Explain panel's own state.
    pub explain_panel: ExplainPanel,
    /// The Rules panel's own state.
    pub rules_panel: RulesPanel,
    /// The Plan panel's own state.
    pub plan_panel: PlanPanel,
    /// What waits to be saved, with the path box of the save dialog.
    pub pending_save: Option<(String, SaveWhat)>,
    /// The project file of this session, once saved or opened.
    pub project_path: Option<PathBuf>,
    /// Where the open dataset came from, for the project file.
    pub data_ref: Option<crate::project::DataRef>,
    /// Parts of the opened project this build keeps but does not show.
    pub project_extra: crate::project::Project,
    /// True when the session has changes that are not in its project file.
    pub dirty: bool,
    /// A project waiting for its data file to be found.
    pub pending_project: Option<PendingProject>,
    /// Where the session is autosaved for recovery after a crash (`None`: no autosave).
    pub recovery_path: Option<PathBuf>,
    /// True when a recovery file from an earlier session is waiting to be offered.
    pub recovery_offered: bool,
    /// True while "save changes before closing?" is shown.
    pub close_prompt: bool,
    /// How often unsaved work is written to the recovery file.
    pub autosave_interval: Duration,
    close_after_save: bool,
    allow_close: bool,
    last_autosave: Instant,
    title: String,
    /// The import dialog, while open.
    pub import: Option<ImportDialog>,
    /// Messages, newest last.
    pub messages: Vec<Message>,
    /// The path box's text.
    pub path_box: String,
    /// Path of the CJK font in use, if any.
    pub cjk_font: Option<String>,
    jobs: Vec<(JobKind, Job<JobOutput>)>,
    file_dialog: Option<FileDialogJob>,
    png: Option<Receiver<PngResult>>,
    commands: Vec<Command>,
}

impl GlassboxApp {
    /// A new app that starts loading `file`, or the bundled sample when `None`.
    pub fn new(ctx: &egui::Context, prefs: Preferences, file: Option<PathBuf>) -> Self {
        theme::apply_theme(ctx, prefs.theme);
        let mut app = Self {
            prefs,
            dataset: None,
            report: None,
            report_id: 0,
            tab: Tab::Data,
            data_panel: DataPanel::default(),
            train_panel: TrainPanel::default(),
            explain_panel: ExplainPanel::default(),
            rules_panel: RulesPanel::default(),
            plan_panel: PlanPanel::new(),
            pending_save: None,
            project_path: None,
            data_ref: None,
            project_extra: crate::project::Project::default(),
            dirty: false,
            pending_project: None,
            recovery_path: None,
            recovery_offered: false,
            close_prompt: false,
            autosave_interval: Duration::from_secs(30),
            close_after_save: false,
            allow_close: false,
            last_autosave: Instant::now(),
            title: String::new(),
            import: None,
            messages: Vec::new(),
            path_box: String::new(),
            cjk_font: None,
            jobs: Vec::new(),
            file_dialog: None,
            png: None,
            commands: Vec::new(),
        };
        let first = match file {
            Some(path) if path.extension().is_some_and(|e| e.eq_ignore_ascii_case("glassbox")) => {
                Command::OpenProject(path)
            }
            Some(path) => Command::Load { path, options: LoadOptions::default() },
            None => Command::LoadSample,
        };
        app.apply(ctx, first);
        app
    }

    /// Builds the app inside eframe, restoring preferences and fonts.
    pub fn from_creation_context(cc: &eframe::CreationContext<'_>, file: Option<PathBuf>) -> Self {
        let prefs: Preferences = cc.storage.and_then(|s| eframe::get_value(s, PREFS_KEY)).unwrap_or_default();
        let cjk = theme::install_fonts(&cc.egui_ctx);
        let mut app = Self::new(&cc.egui_ctx, prefs, file);
        app.cjk_font = cjk;
        app.set_recovery_path(eframe::storage_dir("Glassbox").map(|d| d.join("recovery.glassbox")));
        app
    }

    /// Sets where the session is autosaved, and notices a recovery file left behind.
    pub fn set_recovery_path(&mut self, path: Option<PathBuf>) {
        self.recovery_offered = path.as_ref().is_some_and(|p| p.exists());
        self.recovery_path = path;
    }

    /// True while a dataset is loading.
    pub fn is_loading(&self) -> bool {
        self.jobs.iter().any(|(k, _)| *k == JobKind::Load)
    }

    /// True while a model is being trained or searched for.
    pub fn is_training(&self) -> bool {
        self.jobs.iter().any(|(k, _)| *k == JobKind::Model)
    }

    /// Draws one frame and carries out what the user asked for.
    pub fn show(&mut self, ui: &mut Ui) {
        let ctx = ui.ctx().clone();
        self.poll_jobs(&ctx);
        self.handle_dropped_files(&ctx);

        let mut commands = std::mem::take(&mut self.commands);
        if self.dataset.is_some() && ctx.input_mut(|i| i.consume_key(egui::Modifiers::COMMAND, egui::Key::S)) {
            commands.push(Command::SaveProject);
        }
        egui::Panel::top("menu_bar").show(ui, |ui| self.menu_bar_ui(ui, &mut commands));
        egui::Panel::bottom("status_bar").show(ui, |ui| self.status_bar_ui(ui, &mut commands));
        egui::CentralPanel::no_frame().show(ui, |ui| {
            self.messages_ui(ui, &mut commands);
            if self.dataset.is_some() {
                self.tabs_ui(ui, &mut commands);
            }
            match self.dataset.clone() {
                Some(ds) => match self.tab {
                    Tab::Data => self.data_panel.ui(ui, &ds, &mut commands),
                    Tab::Train => {
                        let busy = self.is_training();
                        let report = self.report.clone();
                        self.train_panel.ui(ui, &ds, report.as_deref().map(|r| (r, self.report_id)), busy, &mut commands);
                    }
                    Tab::Explain => {
                        let busy = self.jobs.iter().any(|(k, _)| *k == JobKind::Explain);
                        let report = self.report.clone();
                        self.explain_panel.ui(ui, &ds, report.as_deref().map(|r| (r, self.report_id)), busy, &mut commands);
                    }
                    Tab::Rules => {
                        let busy = self.jobs.iter().any(|(k, _)| *k == JobKind::Rules);
                        let report = self.report.clone();
                        self.rules_panel.ui(ui, report.as_deref().map(|r| (r, self.report_id)), busy, &mut commands);
                    }
                    Tab::Plan => {
                        let busy = PlanBusy {
                            planner: self.jobs.iter().any(|(k, _)| *k == JobKind::Planner),
                            live: self.jobs.iter().any(|(k, _)| *k == JobKind::PlanLive),
                            work: self.jobs.iter().any(|(k, _)| *k == JobKind::PlanWork),
                        };
                        let report = self.report.clone();
                        self.plan_panel.ui(ui, &ds, report.as_deref().map(|r| (r, self.report_id)), busy, &mut commands);
                        if std::mem::take(&mut self.plan_panel.changed) {
                            self.dirty = true;
                        }
                    }
                },
                None => {
                    egui::CentralPanel::default_margins().show(ui, |ui| {
                        ui.centered_and_justified(|ui| {
                            if self.is_loading() {
                                ui.spinner();
                            } else {
                                ui.label("Open a data file: File > Open data file, drop a file on the window, or type its path above.");
                            }
                        });
                    });
                }
            }
        });
        if let Some(dialog) = self.import.as_mut() {
            dialog.ui(&ctx, &mut commands);
        }
        self.save_dialog_ui(&ctx, &mut commands);
        self.project_dialogs_ui(&ctx, &mut commands);
        if ctx.input(|i| i.viewport().close_requested()) && self.dirty && !self.allow_close {
            ctx.send_viewport_cmd(egui::ViewportCommand::CancelClose);
            self.close_prompt = true;
        }
        self.autosave();
        let title = format!(
            "Glassbox — {}{}",
            self.project_path.as_ref().and_then(|p| p.file_name()).map_or_else(
                || self.dataset.as_ref().map_or_else(String::new, |d| d.name.clone()),
                |n| n.to_string_lossy().into_owned()
            ),
            if self.dirty { " *" } else { "" }
        );
        if title != self.title {
            ctx.send_viewport_cmd(egui::ViewportCommand::Title(title.clone()));
            self.title = title;
        }
        Self::drop_overlay(&ctx);
        for c in commands {
            self.apply(&ctx, c);
        }
    }

    fn menu_bar_ui(&mut self, ui: &mut Ui, commands: &mut Vec<Command>) {
        egui::MenuBar::new().ui(ui, |ui| {
            ui.menu_button("File", |ui| {
                if ui.button("Open data file…").clicked() {
                    commands.push(Command::OpenFileDialog);
                }
                if ui.button("Open project…").clicked() {
                    commands.push(Command::OpenProjectDialog);
                }
                ui.menu_button("Open recent project", |ui| {
                    if self.prefs.recent_projects.is_empty() {
                        ui.label(RichText::new("No recent projects").weak());
                    }
                    for p in &self.prefs.recent_projects {
                        if ui.button(p.display().to_string()).clicked() {
                            commands.push(Command::OpenProject(p.clone()));
                        }
                    }
                });
                let has_data = self.dataset.is_some();
                if ui.add_enabled(has_data, egui::Button::new("Save project").shortcut_text("Ctrl+S")).clicked() {
                    commands.push(Command::SaveProject);
                }
                if ui.add_enabled(has_data, egui::Button::new("Save project as…")).clicked() {
                    commands.push(Command::SaveProjectAs);
                }
                ui.separator();
                ui.menu_button("Open recent", |ui| {
                    if self.prefs.recent_files.is_empty() {
                        ui.label(RichText::new("No recent files").weak());
                    }
                    for r in &self.prefs.recent_files {
                        if ui.button(r.path.display().to_string()).clicked() {
                            commands.push(Command::Load { path: r.path.clone(), options: r.options.clone() });
                        }
                    }
                    if !self.prefs.recent_files.is_empty() {
                        ui.separator();
                        if ui.button("Clear list").clicked() {
                            commands.push(Command::ClearRecent);
                        }
                    }
                });
                if ui.button("Open sample data (AI4I 2020)").clicked() {
                    commands.push(Command::LoadSample);
                }
                ui.separator();
                if ui.button("Quit").clicked() {
                    ui.ctx().send_viewport_cmd(egui::ViewportCommand::Close);
                }
            });
            ui.menu_button("View", |ui| {
                for (choice, name) in
                    [(ThemeChoice::System, "System theme"), (ThemeChoice::Light, "Light"), (ThemeChoice::Dark, "Dark")]
                {
                    if ui.radio(self.prefs.theme == choice, name).clicked() {
                        commands.push(Command::SetTheme(choice));
                    }
                }
                ui.separator();
                ui.label(RichText::new("Zoom: Ctrl + / Ctrl − / Ctrl 0").weak());
            });
            ui.menu_button("Help", |ui| {
                ui.label(format!("Glassbox {}", env!("CARGO_PKG_VERSION")));
                ui.label("Works offline; never opens a network connection.");
                match &self.cjk_font {
                    Some(p) => ui.label(format!("CJK font: {p}")),
                    None => {
                        ui.label("No CJK font found: Chinese and Japanese names show as boxes. Install Noto Sans CJK.")
                    }
                };
                ui.label("Sample data: AI4I 2020 (S. Matzka, UCI, CC BY 4.0).");
            });
            ui.separator();
            ui.label("Open path:");
            let edit = ui
                .add(
                    egui::TextEdit::singleline(&mut self.path_box)
                        .hint_text("/path/to/plant_data.csv")
                        .desired_width(ui.available_width() - 80.0),
                )
                .labelled_by(ui.label("").id);
            let enter = edit.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
            if (ui.button("Open").clicked() || enter) && !self.path_box.trim().is_empty() {
                commands.push(Command::OpenPath(PathBuf::from(self.path_box.trim())));
            }
        });
    }

    /// The session as a project (data reference, roles, model and the parts kept from the
    /// opened project).
    pub fn session_project(&self) -> crate::project::Project {
        let mut p = self.project_extra.clone();
        p.format = crate::project::FORMAT.into();
        p.version = crate::project::VERSION;
        p.created_with = env!("CARGO_PKG_VERSION").into();
        p.data.clone_from(&self.data_ref);
        if let Some(ds) = &self.dataset {
            p.roles =
                ds.columns.iter().map(|c| crate::project::SavedRole { column: c.name.clone(), role: c.role }).collect();
        }
        p.model = self.report.as_deref().cloned();
        if let Some(rules) = self.rules_panel.rules() {
            p.rule_set = Some(rules.clone());
        }
        p.scenarios.clone_from(&self.plan_panel.scenarios);
        p.plans.clone_from(&self.plan_panel.plans);
        p
    }

    fn save_project_to(&mut self, ctx: &egui::Context, path: PathBuf) {
        let project = self.session_project();
        self.start_job(ctx, JobKind::Save, format!("Saving {}", path.display()), move |_| {
            project.save(&path)?;
            Ok(JobOutput::ProjectSaved(path))
        });
    }

    /// Opens a project file (or a recovery file, `recovered`) in the background.
    fn open_project(&mut self, ctx: &egui::Context, path: Option<PathBuf>, recovered: Option<PathBuf>) {
        let Some(file) = path.clone().or(recovered) else { return };
        self.start_job(ctx, JobKind::Load, format!("Opening {}", file.display()), move |p| {
            let project = crate::project::Project::load(&file)?;
            match project.load_data(p) {
                Ok(dataset) => Ok(JobOutput::ProjectOpened { path, project: Box::new(project), dataset, note: None }),
                Err(e) if e.is_cancelled() => Err(e),
                Err(e) => {
                    let new_data = project.data.as_ref().map(|d| d.path.display().to_string()).unwrap_or_default();
                    Ok(JobOutput::ProjectNeedsData(Box::new(PendingProject {
                        path: path.unwrap_or(file),
                        project: Box::new(project),
                        problem: e.to_string(),
                        new_data,
                    })))
                }
            }
        });
    }

    /// Writes the recovery file now and then while there are unsaved changes.
    fn autosave(&mut self) {
        if !self.dirty || self.last_autosave.elapsed() < self.autosave_interval {
            return;
        }
        self.last_autosave = Instant::now();
        let Some(path) = self.recovery_path.clone() else { return };
        let project = self.session_project();
        // Serialising and writing happen off the UI thread; a failed autosave is not worth a
        // message (the next one tries again).
        let _ = std::thread::Builder::new().name("autosave".into()).spawn(move || {
            if let Some(dir) = path.parent() {
                let _ = std::fs::create_dir_all(dir);
            }
            let _ = project.save(&path);
        });
    }

    /// Dialogs about the project: relinking moved data, recovery, closing with unsaved changes.
    fn project_dialogs_ui(&mut self, ctx: &egui::Context, commands: &mut Vec<Command>) {
        if let Some(p) = self.pending_project.as_mut() {
            egui::Window::new("Where is the data?")
                .id(egui::Id::unique("relink_dialog"))
                .collapsible(false)
                .anchor(egui::Align2::CENTER_CENTER, [0.0, 0.0])
                .show(ctx, |ui| {
                    ui.label(format!("The project {} cannot read its data:", p.path.display()));
                    ui.colored_label(ui.visuals().warn_fg_color, &p.problem);
                    ui.label("Give the data file's current location:");
                    ui.add(egui::TextEdit::singleline(&mut p.new_data).desired_width(480.0));
                    ui.horizontal(|ui| {
                        if ui.button(RichText::new("Open with this file").strong()).clicked() {
                            commands.push(Command::RelinkData(PathBuf::from(p.new_data.trim())));
                        }
                        if ui.button("Cancel").clicked() {
                            commands.push(Command::CancelRelink);
                        }
                    });
                });
        }
        if self.recovery_offered {
            egui::Window::new("Recover unsaved work?")
                .id(egui::Id::unique("recovery_dialog"))
                .collapsible(false)
                .anchor(egui::Align2::CENTER_TOP, [0.0, 80.0])
                .show(ctx, |ui| {
                    ui.label("Glassbox did not close cleanly last time, and there is unsaved work from that session.");
                    ui.horizontal(|ui| {
                        if ui.button(RichText::new("Recover").strong()).clicked() {
                            commands.push(Command::Recover);
                        }
                        if ui.button("Discard it").clicked() {
                            commands.push(Command::DiscardRecovery);
                        }
                    });
                });
        }
        if self.close_prompt {
            egui::Modal::new(egui::Id::unique("close_prompt")).show(ctx, |ui| {
                ui.heading("Save changes before closing?");
                ui.label("The model, roles or settings changed since the project was last saved.");
                ui.horizontal(|ui| {
                    if ui.button(RichText::new("Save").strong()).clicked() {
                        commands.push(Command::Close(CloseChoice::Save));
                    }
                    if ui.button("Don't save").clicked() {
                        commands.push(Command::Close(CloseChoice::Discard));
                    }
                    if ui.button("Cancel").clicked() {
                        commands.push(Command::Close(CloseChoice::Cancel));
                    }
                });
            });
        }
    }

    /// A small dialog with the path to save to (typed, or picked with the system dialog).
    fn save_dialog_ui(&mut self, ctx: &egui::Context, commands: &mut Vec<Command>) {
        let Some((path, _)) = self.pending_save.as_mut() else { return };
        let mut open = true;
        egui::Window::new("Save")
            .id(egui::Id::unique("save_dialog"))
            .open(&mut open)
            .collapsible(false)
            .anchor(egui::Align2::CENTER_CENTER, [0.0, 0.0])
            .show(ctx, |ui| {
                ui.label("Save to:");
                ui.add(egui::TextEdit::singleline(path).desired_width(480.0));
                ui.horizontal(|ui| {
                    if ui.button(RichText::new("Save").strong()).clicked() {
                        commands.push(Command::SaveTo(PathBuf::from(path.trim())));
                    }
                    if ui.button("Cancel").clicked() {
                        commands.push(Command::CancelSave);
                    }
                });
            });
        if !open {
            commands.push(Command::CancelSave);
        }
    }

    fn tabs_ui(&self, ui: &mut Ui, commands: &mut Vec<Command>) {
        egui::Panel::top("tabs").show(ui, |ui| {
            ui.horizontal(|ui| {
                for t in Tab::ALL {
                    let text = RichText::new(t.label()).size(15.0);
                    let text = if self.tab == t { text.strong() } else { text };
                    if ui.selectable_label(self.tab == t, text).clicked() {
                        commands.push(Command::ShowTab(t));
                    }
                }
            });
        });
    }

    fn status_bar_ui(&self, ui: &mut Ui, commands: &mut Vec<Command>) {
        ui.horizontal(|ui| {
            if !self.jobs.is_empty() {
                for (i, (_, job)) in self.jobs.iter().enumerate() {
                    let f = job.progress.fraction();
                    ui.label(&job.title);
                    let stage = job.progress.stage();
                    let mut text = format!("{stage} {:.0} %", f * 100.0);
                    if let Some(eta) = job.eta() {
                        let _ = write!(text, " · about {} s left", eta.as_secs() + 1);
                    }
                    #[allow(clippy::cast_possible_truncation)]
                    ui.add(egui::ProgressBar::new(f as f32).text(text).desired_width(300.0));
                    if ui.button("Cancel").clicked() {
                        commands.push(Command::CancelJob(i));
                    }
                    ui.separator();
                }
            } else if let Some(m) = self.messages.iter().rev().find(|m| m.severity == Severity::Info) {
                ui.label(&m.text);
            } else {
                ui.label("Ready");
            }
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                if let Some(ds) = &self.dataset {
                    ui.label(RichText::new(&ds.name).strong());
                }
            });
        });
    }

    fn messages_ui(&self, ui: &mut Ui, commands: &mut Vec<Command>) {
        for (i, m) in self.messages.iter().enumerate().filter(|(_, m)| m.severity == Severity::Error) {
            egui::Frame::new()
                .fill(ui.visuals().error_fg_color.gamma_multiply(0.15))
                .inner_margin(egui::Margin::symmetric(10, 6))
                .show(ui, |ui| {
                    ui.horizontal(|ui| {
                        if ui.button("Close").on_hover_text("Close this message").clicked() {
                            commands.push(Command::Dismiss(i));
                        }
                        ui.colored_label(ui.visuals().error_fg_color, &m.text);
                    });
                });
        }
    }

    fn drop_overlay(ctx: &egui::Context) {
        if ctx.input(|i| i.raw.hovered_files.is_empty()) {
            return;
        }
        let painter = ctx.layer_painter(egui::LayerId::new(egui::Order::Foreground, egui::Id::unique("drop_overlay")));
        let rect = ctx.content_rect();
        painter.rect_filled(rect, 0.0, egui::Color32::from_black_alpha(160));
        painter.text(
            rect.center(),
            egui::Align2::CENTER_CENTER,
            "Drop the file to open it",
            egui::FontId::proportional(28.0),
            egui::Color32::WHITE,
        );
    }

    fn handle_dropped_files(&mut self, ctx: &egui::Context) {
        let dropped = ctx.input(|i| i.raw.dropped_files.iter().map(|f| f.path().to_path_buf()).collect::<Vec<_>>());
        if let Some(path) = dropped.into_iter().next() {
            self.commands.push(Command::OpenPath(path));
        }
    }

    fn poll_jobs(&mut self, ctx: &egui::Context) {
        let mut finished = Vec::new();
        self.jobs.retain(|(kind, job)| match job.poll() {
            Some(outcome) => {
                finished.push((*kind, job.title.clone(), job.elapsed(), outcome));
                false
            }
            None => true,
        });
        if !self.jobs.is_empty() {
            ctx.request_repaint_after(Duration::from_millis(100));
        }
        for (kind, title, elapsed, outcome) in finished {
            match outcome {
                JobOutcome::Done(output) => self.finish_job(ctx, output, elapsed),
                JobOutcome::Failed(m) => match kind {
                    JobKind::Load => self.error(format!("Could not open the file: {m}")),
                    JobKind::Model => self.error(format!("Training failed: {m}")),
                    JobKind::Explain => self.error(format!("Explanation failed: {m}")),
                    JobKind::Rules => self.error(format!("Rules failed: {m}")),
                    JobKind::Planner | JobKind::PlanLive | JobKind::PlanWork => {
                        self.plan_panel.note = Some(m.clone());
                        self.error(format!("{title} failed: {m}"));
                    }
                    JobKind::Save => {
                        self.close_after_save = false;
                        self.error(format!("Could not save: {m}"));
                    }
                },
                JobOutcome::Cancelled => self.info(format!("{title}: cancelled; nothing changed.")),
            }
        }
        if let Some(rx) = &self.png {
            match rx.try_recv() {
                Ok(Ok((name, bytes))) => {
                    self.png = None;
                    let dir = self.save_dir();
                    self.pending_save = Some((dir.join(name).display().to_string(), SaveWhat::Bytes(bytes)));
                }
                Ok(Err(e)) => {
                    self.png = None;
                    self.error(format!("Could not save the plot: {e}"));
                }
                Err(TryRecvError::Disconnected) => self.png = None,
                Err(TryRecvError::Empty) => ctx.request_repaint_after(Duration::from_millis(50)),
            }
        }
        if let Some(fd) = &self.file_dialog {
            match fd.rx.try_recv() {
                Ok(Some(path)) => {
                    let purpose = fd.purpose;
                    self.file_dialog = None;
                    if purpose == DialogPurpose::Plan {
                        self.plan_panel.plan_path = path.display().to_string();
                        self.plan_panel.score_requested = true;
                        self.plan_panel.section = super::panels::plan::Section::Plan;
                        self.tab = Tab::Plan;
                    } else {
                        self.commands.push(Command::OpenPath(path));
                    }
                }
                Ok(None) | Err(TryRecvError::Disconnected) => {
                    let quick = fd.started.elapsed() < Duration::from_millis(300);
                    self.file_dialog = None;
                    if quick {
                        self.error(
                            "No file dialog is available on this desktop. Type the file's path in the 'Open path' box and press Enter."
                                .into(),
                        );
                    }
                }
                Err(TryRecvError::Empty) => ctx.request_repaint_after(Duration::from_millis(100)),
            }
        }
    }

    fn finish_job(&mut self, ctx: &egui::Context, output: JobOutput, elapsed: Duration) {
        match output {
            JobOutput::Loaded { dataset, data_ref, path, options } => {
                let n = dataset.warnings.len();
                let mut text = format!(
                    "Loaded {}: {} rows × {} columns in {:.1} s",
                    dataset.name,
                    dataset.n_rows(),
                    dataset.n_columns(),
                    elapsed.as_secs_f64()
                );
                if n > 0 {
                    let _ = write!(text, " ({n} note{} in the column list)", if n == 1 { "" } else { "s" });
                }
                self.info(text);
                if let Some(path) = path {
                    self.prefs.remember_file(path, options);
                }
                self.data_panel.reset();
                self.plan_panel.reset();
                self.data_panel.selected = dataset.columns.iter().position(|c| c.role == Role::Target);
                self.dataset = Some(Arc::new(dataset));
                self.data_ref = data_ref;
                self.report = None;
                self.report_id += 1;
                self.project_path = None;
                self.project_extra = crate::project::Project::default();
                self.dirty = false;
            }
            JobOutput::Trained(report) => {
                self.info(format!(
                    "Trained a {} in {:.1} s",
                    report.settings.params.kind_label(),
                    elapsed.as_secs_f64()
                ));
                self.report = Some(Arc::new(*report));
                self.report_id += 1;
                self.tab = Tab::Train;
                self.dirty = true;
            }
            JobOutput::ProjectOpened { path, mut project, dataset, note } => {
                self.plan_panel.load_from(&mut project);
                let name = path.as_ref().map_or_else(|| "recovered session".to_owned(), |p| p.display().to_string());
                self.info(format!("Opened {name}"));
                if let Some(n) = note {
                    self.error(n);
                }
                self.data_panel.reset();
                self.data_panel.selected = dataset.columns.iter().position(|c| c.role == Role::Target);
                self.dataset = Some(Arc::new(dataset));
                self.data_ref.clone_from(&project.data);
                self.report = project.model.clone().map(Arc::new);
                self.report_id += 1;
                self.dirty = path.is_none();
                if let Some(p) = &path {
                    self.prefs.remember_project(p.clone());
                }
                self.project_path = path;
                self.tab = if self.report.is_some() { Tab::Train } else { Tab::Data };
                self.project_extra = *project;
                self.project_extra.model = None;
            }
            JobOutput::ProjectNeedsData(p) => {
                self.pending_project = Some(*p);
            }
            JobOutput::ProjectSaved(path) => {
                self.info(format!("Saved {}", path.display()));
                self.prefs.remember_project(path.clone());
                self.project_path = Some(path);
                self.dirty = false;
                if let Some(r) = &self.recovery_path {
                    let _ = std::fs::remove_file(r);
                }
                if self.close_after_save {
                    self.allow_close = true;
                    ctx.send_viewport_cmd(egui::ViewportCommand::Close);
                }
            }
            JobOutput::Planner(id, planner) => {
                if id == self.report_id {
                    self.plan_panel.planner = Some((id, planner));
                }
            }
            JobOutput::Plan(id, result) => {
                if id == self.report_id {
                    self.plan_panel.receive(result);
                }
            }
            JobOutput::Rules(result) => {
                if result.report_id == self.report_id {
                    self.rules_panel.result = Some(*result);
                }
            }
            JobOutput::Global(id, g) => {
                if id == self.report_id {
                    // Start the dependence plot on the most important feature.
                    self.explain_panel.feature = crate::model::svm::argmax(&g.mean_abs_shap);
                    self.explain_panel.results.global = Some(Arc::new(*g));
                    self.info(format!("Explanations ready in {:.1} s", elapsed.as_secs_f64()));
                }
            }
            JobOutput::Pdp(id, feature, p) => {
                if id == self.report_id {
                    self.explain_panel.results.pdp = Some((feature, Arc::new(*p)));
                }
            }
            JobOutput::Row(id, row, shap, lime) => {
                if id == self.report_id {
                    self.explain_panel.results.local = Some((row, Arc::new(*shap), lime.map(|l| Arc::new(*l))));
                }
            }
            JobOutput::Searched { result, settings } => {
                if let Some(c) = result.candidates.get(result.best) {
                    let best = &c.params;
                    self.info(format!(
                        "Best of {} settings by {}: {} ({:.3} ± {:.3}); training it now",
                        result.candidates.len(),
                        result.metric.replace('_', " "),
                        best.describe(result.task),
                        c.score.mean,
                        c.score.std
                    ));
                    match best {
                        crate::model::ModelParams::Tree(p) => self.train_panel.tree = p.clone(),
                        crate::model::ModelParams::Svm(p) => self.train_panel.svm = p.clone(),
                    }
                    let mut s = *settings;
                    s.params = best.clone();
                    self.apply(ctx, Command::Train(Box::new(s)));
                }
            }
        }
    }

    fn info(&mut self, text: String) {
        self.messages.retain(|m| m.severity != Severity::Info);
        self.messages.push(Message { severity: Severity::Info, text });
    }

    fn error(&mut self, text: String) {
        self.messages.push(Message { severity: Severity::Error, text });
        if self.messages.len() > 5 {
            self.messages.remove(0);
        }
    }

    /// Carries out one command.
    pub fn apply(&mut self, ctx: &egui::Context, command: Command) {
        match command {
            Command::OpenFileDialog => self.open_file_dialog(ctx, DialogPurpose::Data),
            Command::OpenPath(path) => self.open_path(ctx, path),
            Command::Load { path, options } => {
                self.import = None;
                let title = format!(
                    "Loading {}",
                    path.file_name().map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned())
                );
                self.start_job(ctx, JobKind::Load, title, move |p| {
                    let dataset = crate::data::load_file(&path, &options, p)?;
                    let data_ref = crate::project::DataRef::of_file(&path, options.clone()).ok();
                    Ok(JobOutput::Loaded { dataset, data_ref, path: Some(path), options })
                });
            }
            Command::LoadSample => {
                self.start_job(ctx, JobKind::Load, format!("Loading {}", crate::sample::SAMPLE_NAME), |_| {
                    let dataset = crate::sample::sample_dataset()?;
                    let data_ref = Some(crate::project::DataRef::sample());
                    Ok(JobOutput::Loaded { dataset, data_ref, path: None, options: LoadOptions::default() })
                });
            }
            Command::Train(settings) => {
                if let Some(ds) = self.dataset.clone() {
                    self.start_job(ctx, JobKind::Model, "Training".into(), move |p| {
                        Ok(JobOutput::Trained(Box::new(train(&ds, &settings, p)?)))
                    });
                }
            }
            Command::Search(settings) => {
                if let Some(ds) = self.dataset.clone() {
                    self.start_job(ctx, JobKind::Model, "Searching settings".into(), move |p| {
                        let grid = default_grid(&settings.params);
                        let result = grid_search(&ds, &settings, &grid, 5, p)?;
                        Ok(JobOutput::Searched { result, settings })
                    });
                }
            }
            Command::ShowTab(t) => self.tab = t,
            Command::ExplainGlobal(options) => {
                if let (Some(ds), Some(report)) = (self.dataset.clone(), self.report.clone()) {
                    let id = self.report_id;
                    self.start_job(ctx, JobKind::Explain, "Explaining".into(), move |p| {
                        let rows = if report.split.test.is_empty() {
                            report.split.train.clone()
                        } else {
                            report.split.test.clone()
                        };
                        let g =
                            crate::explain::model::global(&report.model, &ds, &rows, &report.split.train, &options, p)?;
                        Ok(JobOutput::Global(id, Box::new(g)))
                    });
                }
            }
            Command::ExplainPdp { feature, output } => {
                if let (Some(ds), Some(report)) = (self.dataset.clone(), self.report.clone()) {
                    let id = self.report_id;
                    self.start_job(ctx, JobKind::Explain, "Partial dependence".into(), move |p| {
                        let opts = crate::explain::pdp::PdpOptions { max_rows: Some(500), ..Default::default() };
                        let pdp = crate::explain::model::pdp(
                            &report.model,
                            &ds,
                            &report.split.test,
                            feature,
                            output,
                            &opts,
                            p,
                        )?;
                        Ok(JobOutput::Pdp(id, feature, Box::new(pdp)))
                    });
                }
            }
            Command::ExplainRow { row, options } => {
                if let (Some(ds), Some(report)) = (self.dataset.clone(), self.report.clone()) {
                    let id = self.report_id;
                    self.start_job(ctx, JobKind::Explain, format!("Explaining row {row}"), move |p| {
                        let bg = &report.split.train;
                        let shap = crate::explain::model::explain_rows(
                            &report.model,
                            &ds,
                            &[row],
                            bg,
                            &options,
                            &p.sub(0.0, 0.5),
                        )?;
                        let lime_opts = crate::explain::model::LocalOptions {
                            method: crate::explain::model::Method::Lime,
                            ..*options
                        };
                        let lime = crate::explain::model::explain_rows(
                            &report.model,
                            &ds,
                            &[row],
                            bg,
                            &lime_opts,
                            &p.sub(0.5, 1.0),
                        )?;
                        Ok(JobOutput::Row(id, row, Box::new(shap), Some(Box::new(lime))))
                    });
                }
            }
            Command::SaveText { name, text } => {
                let dir = self.save_dir();
                self.pending_save = Some((dir.join(name).display().to_string(), SaveWhat::Text(text)));
            }
            Command::SavePng { name, rect } => {
                let (tx, rx) = std::sync::mpsc::sync_channel(1);
                let ppp = ctx.pixels_per_point();
                let repaint = ctx.clone();
                ctx.request_screenshot(move |image| {
                    let png = super::widgets::png_of_region(&image, rect, ppp);
                    let _ = tx.send(png.map(|bytes| (name, bytes)));
                    repaint.request_repaint();
                });
                self.png = Some(rx);
            }
            Command::SaveTo(path) => match self.pending_save.take() {
                Some((_, SaveWhat::Text(text))) => match crate::project::write_atomically(&path, text.as_bytes()) {
                    Ok(()) => self.info(format!("Saved {}", path.display())),
                    Err(e) => self.error(format!("Could not save: {e}")),
                },
                Some((_, SaveWhat::Bytes(bytes))) => match crate::project::write_atomically(&path, &bytes) {
                    Ok(()) => self.info(format!("Saved {}", path.display())),
                    Err(e) => self.error(format!("Could not save: {e}")),
                },
                Some((_, SaveWhat::Project)) => self.save_project_to(ctx, path),
                None => {}
            },
            Command::CancelSave => {
                self.pending_save = None;
                self.close_after_save = false;
            }
            Command::SaveProject => match self.project_path.clone() {
                Some(path) => self.save_project_to(ctx, path),
                None => self.apply(ctx, Command::SaveProjectAs),
            },
            Command::SaveProjectAs => {
                let stem = self.dataset.as_ref().map_or_else(
                    || "plant".to_owned(),
                    |d| {
                        std::path::Path::new(&d.name)
                            .file_stem()
                            .map_or_else(|| "plant".to_owned(), |s| s.to_string_lossy().replace(" (sample)", ""))
                    },
                );
                let dir = self
                    .project_path
                    .as_ref()
                    .and_then(|p| p.parent().map(std::path::Path::to_path_buf))
                    .or_else(|| {
                        self.data_ref
                            .as_ref()
                            .filter(|d| !d.is_sample())
                            .and_then(|d| d.path.parent().map(std::path::Path::to_path_buf))
                    })
                    .or_else(|| std::env::current_dir().ok())
                    .unwrap_or_default();
                self.pending_save =
                    Some((dir.join(format!("{stem}.glassbox")).display().to_string(), SaveWhat::Project));
            }
            Command::OpenProjectDialog => self.open_file_dialog(ctx, DialogPurpose::Project),
            Command::OpenProject(path) => self.open_project(ctx, Some(path), None),
            Command::RelinkData(file) => {
                if let Some(p) = self.pending_project.take() {
                    let mut project = p.project;
                    if let Some(d) = project.data.as_mut() {
                        d.path = file;
                    }
                    let path = p.path;
                    self.start_job(ctx, JobKind::Load, "Opening project".into(), move |prog| {
                        let changed = project.data.as_ref().and_then(|d| crate::project::hash_file(&d.path).ok()).is_some_and(|(_, h)| project.data.as_ref().is_some_and(|d| d.sha256 != h));
                        let dataset = project.load_data_checked(false, prog)?;
                        let note = changed.then(|| {
                            "This data file differs from the one the model was trained on (content hash). The model and its metrics are from the original data: retrain before trusting them.".to_owned()
                        });
                        if let Some(d) = project.data.as_mut()
                            && let Ok(r) = crate::project::DataRef::of_file(&d.path, d.options.clone())
                        {
                            d.size = r.size;
                            d.sha256 = r.sha256;
                            d.path = r.path;
                        }
                        Ok(JobOutput::ProjectOpened { path: Some(path), project, dataset, note })
                    });
                }
            }
            Command::CancelRelink => self.pending_project = None,
            Command::ComputeRules { simplify, rounding } => {
                if let (Some(ds), Some(report)) = (self.dataset.clone(), self.report.clone()) {
                    let id = self.report_id;
                    let cached = self
                        .rules_panel
                        .result
                        .as_ref()
                        .filter(|r| r.report_id == id)
                        .map(|r| (r.data.clone(), r.base.clone(), r.plan.clone(), r.disagreements.clone()));
                    let data_ref = self.data_ref.clone();
                    self.start_job(ctx, JobKind::Rules, "Rules".into(), move |p| {
                        let surrogate_params = crate::model::cart::TreeParams::default();
                        let (data, base, plan, disagreements) = match cached {
                            Some(c) => c,
                            None => {
                                p.set_stage("reading rows");
                                let data = Arc::new(crate::rules::RuleData::new(&report, &ds)?);
                                p.check()?;
                                p.set_stage("extracting");
                                let base = crate::rules::extract::extract(&report, &data, &surrogate_params)?;
                                let disagreements = if report.model.tree().is_none() {
                                    crate::rules::surrogate::Surrogate::fit(&report.model, &data, &surrogate_params)?
                                        .disagreements(&data, 0.0)
                                } else {
                                    Vec::new()
                                };
                                p.check()?;
                                let plan = crate::export::ExportPlan::new(
                                    &report,
                                    &data,
                                    None,
                                    &surrogate_params,
                                    data_ref.as_ref(),
                                )?;
                                (data, Arc::new(base), Arc::new(plan), disagreements)
                            }
                        };
                        p.set_stage("simplifying");
                        let simplified = crate::rules::simplify::simplify(&base, &data, &simplify);
                        let rounding =
                            rounding.map(|r| Arc::new(crate::rules::round::round_thresholds(&simplified, &data, &r)));
                        Ok(JobOutput::Rules(Box::new(RulesResult {
                            report_id: id,
                            data,
                            base,
                            simplified: Arc::new(simplified),
                            rounding,
                            disagreements,
                            plan,
                        })))
                    });
                }
            }
            Command::HighlightRows { label, rows } => {
                self.data_panel.highlight = Some((label, rows));
                self.tab = Tab::Data;
            }
            Command::ClearHighlight => self.data_panel.highlight = None,
            Command::BuildPlanner => {
                if let (Some(ds), Some(report)) = (self.dataset.clone(), self.report.clone()) {
                    let id = self.report_id;
                    self.start_job(ctx, JobKind::Planner, "Preparing planning".into(), move |p| {
                        let planner = crate::plan::Planner::new(
                            &report.model,
                            &ds,
                            &report.split.train,
                            &crate::plan::PlannerOptions { seed: report.settings.seed, ..Default::default() },
                            p,
                        )?;
                        Ok(JobOutput::Planner(id, Arc::new(planner)))
                    });
                }
            }
            Command::Plan(request) => {
                if let Some((id, planner)) = self.plan_panel.planner.clone() {
                    let kind = if request.is_live() { JobKind::PlanLive } else { JobKind::PlanWork };
                    self.start_job(ctx, kind, request.title(), move |p| {
                        Ok(JobOutput::Plan(id, super::panels::plan::run_request(&planner, request, p)?))
                    });
                }
            }
            Command::OpenPlanDialog => self.open_file_dialog(ctx, DialogPurpose::Plan),
            Command::Recover => {
                self.recovery_offered = false;
                if let Some(r) = self.recovery_path.clone() {
                    self.open_project(ctx, None, Some(r));
                }
            }
            Command::DiscardRecovery => {
                self.recovery_offered = false;
                if let Some(r) = &self.recovery_path {
                    let _ = std::fs::remove_file(r);
                }
            }
            Command::Close(choice) => {
                self.close_prompt = false;
                match choice {
                    CloseChoice::Save => {
                        self.close_after_save = true;
                        self.apply(ctx, Command::SaveProject);
                    }
                    CloseChoice::Discard => {
                        self.allow_close = true;
                        if let Some(r) = &self.recovery_path {
                            let _ = std::fs::remove_file(r);
                        }
                        ctx.send_viewport_cmd(egui::ViewportCommand::Close);
                    }
                    CloseChoice::Cancel => {}
                }
            }
            Command::CloseImport => self.import = None,
            Command::CancelJob(i) => {
                if let Some((_, job)) = self.jobs.get(i) {
                    job.progress.cancel();
                }
            }
            Command::SelectColumn(i) => self.data_panel.selected = Some(i),
            Command::SetRole { column, role } => {
                if let Some(ds) = self.dataset.as_mut() {
                    Arc::make_mut(ds).set_role(column, role);
                    self.dirty = true;
                }
            }
            Command::SetTheme(t) => {
                self.prefs.theme = t;
                theme::apply_theme(ctx, t);
            }
            Command::Dismiss(i) => {
                if i < self.messages.len() {
                    self.messages.remove(i);
                }
            }
            Command::ClearRecent => self.prefs.recent_files.clear(),
        }
    }

    /// Starts a background job; a running job of the same kind is cancelled first.
    fn start_job(
        &mut self,
        ctx: &egui::Context,
        kind: JobKind,
        title: String,
        work: impl FnOnce(&crate::Progress) -> crate::Result<JobOutput> + Send + 'static,
    ) {
        for (k, job) in &self.jobs {
            if *k == kind {
                job.progress.cancel();
            }
        }
        self.jobs.push((kind, Job::spawn(title, ctx, work)));
    }

    /// Where save dialogs start: the folder of the last data file, else the working folder.
    fn save_dir(&self) -> PathBuf {
        self.prefs
            .recent_files
            .first()
            .and_then(|r| r.path.parent().map(std::path::Path::to_path_buf))
            .or_else(|| std::env::current_dir().ok())
            .unwrap_or_default()
    }

    fn open_path(&mut self, ctx: &egui::Context, path: PathBuf) {
        if !path.is_file() {
            let why = if path.is_dir() { "it is a folder" } else { "there is no such file" };
            self.error(format!("Cannot open {}: {why}.", path.display()));
            return;
        }
        if path.extension().is_some_and(|e| e.eq_ignore_ascii_case("glassbox")) {
            self.apply(ctx, Command::OpenProject(path));
            return;
        }
        let mut head = [0u8; 8];
        let n = std::fs::File::open(&path).and_then(|mut f| std::io::Read::read(&mut f, &mut head)).unwrap_or(0);
        if crate::data::detect_format(&path, head.get(..n).unwrap_or(&head)) == FileFormat::Parquet {
            self.apply(ctx, Command::Load { path, options: LoadOptions::default() });
        } else {
            self.import = Some(ImportDialog::new(path));
        }
    }

    fn open_file_dialog(&mut self, ctx: &egui::Context, purpose: DialogPurpose) {
        if self.file_dialog.is_some() {
            return;
        }
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        let data_types = ["csv", "tsv", "txt", "dat", "parquet", "xlsx", "xlsm", "xls", "ods"];
        let dialog = match purpose {
            DialogPurpose::Project => rfd::FileDialog::new()
                .set_title("Open a Glassbox project")
                .add_filter("Glassbox project", &["glassbox"]),
            DialogPurpose::Data => rfd::FileDialog::new()
                .set_title("Open plant data")
                .add_filter("Plant data", &data_types)
                .add_filter("All files", &["*"]),
            DialogPurpose::Plan => rfd::FileDialog::new()
                .set_title("Open a production plan")
                .add_filter("Production plan", &data_types)
                .add_filter("All files", &["*"]),
        };
        // macOS wants dialogs on the main thread; elsewhere a thread keeps the window painting.
        if cfg!(target_os = "macos") {
            let _ = tx.send(dialog.pick_file());
        } else {
            let ctx = ctx.clone();
            let spawned = std::thread::Builder::new().name("file dialog".into()).spawn(move || {
                let _ = tx.send(dialog.pick_file());
                ctx.request_repaint();
            });
            if spawned.is_err() {
                self.error("Could not open the file dialog; type the path in the 'Open path' box.".into());
                return;
            }
        }
        self.file_dialog = Some(FileDialogJob { purpose, rx, started: Instant::now() });
    }
}

/// Frame times written to a file for measurement (`GLASSBOX_FRAME_LOG=FILE`): one line per
/// frame with the seconds since start, the time of the previous frame in milliseconds as
/// eframe measures it (UI code, tessellation and the OpenGL calls — with software OpenGL that
/// includes rasterising the frame on the CPU), the time of this frame's UI code alone, the
/// running jobs and the panel shown. While it is on, the window repaints continuously, so idle frames are
/// measured too. `benches/frame_time.sh` drives the app and summarises the log.
struct FrameLog {
    out: std::io::BufWriter<std::fs::File>,
    started: Instant,
    last_flush: Instant,
}

impl FrameLog {
    fn from_env() -> Option<Self> {
        let path = std::env::var_os("GLASSBOX_FRAME_LOG")?;
        let file = std::fs::File::create(path).ok()?;
        Some(Self { out: std::io::BufWriter::new(file), started: Instant::now(), last_flush: Instant::now() })
    }

    fn record(&mut self, cpu_seconds: Option<f32>, ui_time: Duration, jobs: usize, tab: Tab) {
        use std::io::Write as _;
        if let Some(cpu) = cpu_seconds {
            let _ = writeln!(
                self.out,
                "{:.4} {:.3} {:.3} {jobs} {}",
                self.started.elapsed().as_secs_f64(),
                f64::from(cpu) * 1000.0,
                ui_time.as_secs_f64() * 1000.0,
                tab.label().replace(' ', "_")
            );
        }
        if self.last_flush.elapsed() > Duration::from_secs(1) {
            let _ = self.out.flush();
            self.last_flush = Instant::now();
        }
    }
}

thread_local! {
    static FRAME_LOG: std::cell::RefCell<Option<FrameLog>> = std::cell::RefCell::new(FrameLog::from_env());
}

impl eframe::App for GlassboxApp {
    fn ui(&mut self, ui: &mut Ui, frame: &mut eframe::Frame) {
        let started = Instant::now();
        self.show(ui);
        let ui_time = started.elapsed();
        FRAME_LOG.with_borrow_mut(|log| {
            if let Some(log) = log {
                log.record(frame.info().cpu_usage, ui_time, self.jobs.len(), self.tab);
                ui.ctx().request_repaint();
            }
        });
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        eframe::set_value(storage, PREFS_KEY, &self.prefs);
    }

    fn on_exit(&mut self, _gl: Option<&eframe::glow::Context>) {
        // A clean exit leaves no recovery file (unsaved work was either saved or discarded).
        if let Some(r) = &self.recovery_path
            && (!self.dirty || self.allow_close)
        {
            let _ = std::fs::remove_file(r);
        }
    }
}
