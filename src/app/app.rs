//! The Glassbox window: one frame at a time it draws the chrome (menus, tabs, status bar,
//! dialogs) and the panel shown, then carries out the commands the frame pushed. This file only
//! routes: commands to the session, the panels, the chrome or the file handling, finished jobs
//! back to whoever asked. What a panel computes lives with the panel; what is saved lives in
//! the [`Session`].

use std::path::PathBuf;
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

use egui::Ui;

use super::command::{CloseChoice, Command, Message, Severity, Tab};
use super::files::{FileDialogJob, PendingProject, PngResult, SaveWhat};
use super::jobs::{JobKind, JobOutcome, JobSpec, Jobs};
use super::panels::import::ImportDialog;
use super::panels::{Busy, Done, PanelContext, Panels};
use super::session::Session;
use super::state::Preferences;
use super::theme;
use crate::data::{Dataset, LoadOptions};

/// Key under which eframe stores the preferences.
const PREFS_KEY: &str = "glassbox.preferences";

/// What a background job hands back to the app.
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
    /// An encrypted project did not open with the passphrase given; the user is asked again.
    NeedsPassphrase(Box<super::files::PassphrasePrompt>),
    /// The project was saved.
    ProjectSaved(PathBuf),
    /// A model-only copy was written.
    CopySaved {
        /// Where.
        path: PathBuf,
        /// What it still carries.
        notes: Vec<String>,
    },
    /// A panel's work finished.
    Panel(Done),
}

/// The whole app.
#[allow(clippy::struct_excessive_bools)] // independent UI flags, not a state machine
pub struct GlassboxApp {
    /// Persisted preferences.
    pub prefs: Preferences,
    /// The working session: what the project file saves.
    pub session: Session,
    /// The panel shown.
    pub tab: Tab,
    /// Every panel's view state.
    pub panels: Panels,
    /// The import dialog, while open.
    pub import: Option<ImportDialog>,
    /// Messages, newest last.
    pub messages: Vec<Message>,
    /// The path box's text.
    pub path_box: String,
    /// Name of the CJK font in use, if any.
    pub cjk_font: Option<String>,
    /// What waits to be saved, with the path box of the save dialog.
    pub pending_save: Option<(String, SaveWhat)>,
    /// A project waiting for its data file to be found.
    pub pending_project: Option<PendingProject>,
    /// An encrypted project waiting for its passphrase.
    pub passphrase_prompt: Option<super::files::PassphrasePrompt>,
    /// The "Share a model-only copy" dialog, while open.
    pub share_dialog: Option<super::share::ShareDialog>,
    /// The "Project passphrase" dialog, while open.
    pub passphrase_dialog: Option<super::share::PassphraseDialog>,
    /// Where the session is autosaved for recovery after a crash (`None`: no autosave).
    pub recovery_path: Option<PathBuf>,
    /// True when a recovery file from an earlier session is waiting to be offered.
    pub recovery_offered: bool,
    /// True while "save changes before closing?" is shown.
    pub close_prompt: bool,
    /// How often unsaved work is written to the recovery file.
    pub autosave_interval: Duration,
    pub(super) close_after_save: bool,
    pub(super) allow_close: bool,
    pub(super) last_autosave: Instant,
    pub(super) title: String,
    pub(super) jobs: Jobs<JobOutput>,
    pub(super) file_dialog: Option<FileDialogJob>,
    pub(super) png: Option<Receiver<PngResult>>,
    pub(super) autosave_result: Option<Receiver<Result<(), String>>>,
    pub(super) autosave_failed: bool,
    pub(super) commands: Vec<Command>,
}

impl GlassboxApp {
    /// A new app that starts loading `file`, or the bundled sample when `None`.
    pub fn new(ctx: &egui::Context, prefs: Preferences, file: Option<PathBuf>) -> Self {
        theme::apply_theme(ctx, prefs.theme);
        ctx.set_fonts(theme::font_definitions());
        let mut app = Self {
            prefs,
            session: Session::default(),
            tab: Tab::Data,
            panels: Panels::default(),
            import: None,
            messages: Vec::new(),
            path_box: String::new(),
            cjk_font: None,
            pending_save: None,
            pending_project: None,
            passphrase_prompt: None,
            share_dialog: None,
            passphrase_dialog: None,
            recovery_path: None,
            recovery_offered: false,
            close_prompt: false,
            autosave_interval: Duration::from_secs(30),
            close_after_save: false,
            allow_close: false,
            last_autosave: Instant::now(),
            title: String::new(),
            jobs: Jobs::default(),
            file_dialog: None,
            png: None,
            autosave_result: None,
            autosave_failed: false,
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

    /// True while a dataset or project is loading.
    pub fn is_loading(&self) -> bool {
        self.jobs.is_running(JobKind::Load)
    }

    /// True while any background work runs.
    pub fn is_busy(&self) -> bool {
        !self.jobs.is_empty()
    }

    /// True while a model is being trained or searched for.
    pub fn is_training(&self) -> bool {
        self.jobs.is_running(JobKind::Model)
    }

    /// Draws one frame and carries out what the user asked for.
    pub fn show(&mut self, ui: &mut Ui) {
        let ctx = ui.ctx().clone();
        self.poll(&ctx);
        self.handle_dropped_files(&ctx);

        let mut commands = std::mem::take(&mut self.commands);
        if self.session.dataset.is_some() && ctx.input_mut(|i| i.consume_key(egui::Modifiers::COMMAND, egui::Key::S)) {
            commands.push(Command::SaveProject);
        }
        egui::Panel::top("menu_bar").show(ui, |ui| self.menu_bar_ui(ui, &mut commands));
        egui::Panel::bottom("status_bar").show(ui, |ui| self.status_bar_ui(ui, &mut commands));
        egui::CentralPanel::no_frame().show(ui, |ui| {
            self.messages_ui(ui, &mut commands);
            if self.session.dataset.is_some() {
                self.tabs_ui(ui, &mut commands);
                let busy = Busy::of(Self::kinds(&self.jobs));
                let mut cx = PanelContext { session: &self.session, busy, commands: &mut commands };
                self.panels.ui(self.tab, ui, &mut cx);
            } else {
                self.welcome_ui(ui, &mut commands);
            }
        });
        if let Some(dialog) = self.import.as_mut() {
            dialog.ui(&ctx, &mut commands);
        }
        self.save_dialog_ui(&ctx, &mut commands);
        self.project_dialogs_ui(&ctx, &mut commands);
        self.share_dialogs_ui(&ctx, &mut commands);
        if ctx.input(|i| i.viewport().close_requested()) && self.session.dirty && !self.allow_close {
            ctx.send_viewport_cmd(egui::ViewportCommand::CancelClose);
            self.close_prompt = true;
        }
        self.autosave();
        self.update_title(&ctx);
        Self::drop_overlay(&ctx);
        for c in commands {
            self.apply(&ctx, c);
        }
    }

    /// The kinds of the running jobs.
    fn kinds(jobs: &Jobs<JobOutput>) -> Vec<JobKind> {
        [
            JobKind::Load,
            JobKind::Save,
            JobKind::Model,
            JobKind::Explain,
            JobKind::Rules,
            JobKind::Planner,
            JobKind::PlanLive,
            JobKind::PlanWork,
            JobKind::Monitor,
            JobKind::Compare,
        ]
        .into_iter()
        .filter(|&k| jobs.is_running(k))
        .collect()
    }

    fn update_title(&mut self, ctx: &egui::Context) {
        let title = format!("Glassbox — {}{}", self.session.name(), if self.session.dirty { " *" } else { "" });
        if title != self.title {
            ctx.send_viewport_cmd(egui::ViewportCommand::Title(title.clone()));
            self.title = title;
        }
    }

    /// Collects finished jobs and hands their results on.
    fn poll(&mut self, ctx: &egui::Context) {
        let finished = self.jobs.finished();
        if !self.jobs.is_empty() {
            ctx.request_repaint_after(Duration::from_millis(100));
        }
        for f in finished {
            match f.outcome {
                JobOutcome::Done(output) => self.finish_job(ctx, output, f.elapsed),
                JobOutcome::Failed(m) => {
                    self.panels.failed(f.kind, &m);
                    let what = match f.kind {
                        JobKind::Load => "Could not open the file".to_owned(),
                        JobKind::Model => "Training failed".to_owned(),
                        JobKind::Explain => "Explanation failed".to_owned(),
                        JobKind::Rules => "Rules failed".to_owned(),
                        JobKind::Save => {
                            self.close_after_save = false;
                            "Could not save".to_owned()
                        }
                        JobKind::Planner
                        | JobKind::PlanLive
                        | JobKind::PlanWork
                        | JobKind::Monitor
                        | JobKind::Compare => format!("{} failed", f.title),
                    };
                    self.error(format!("{what}: {m}"));
                }
                JobOutcome::Cancelled => self.info(format!("{}: cancelled; nothing changed.", f.title)),
            }
        }
        self.poll_files(ctx);
    }

    fn finish_job(&mut self, ctx: &egui::Context, output: JobOutput, elapsed: Duration) {
        match output {
            JobOutput::Loaded { dataset, data_ref, path, options } => {
                self.info(Self::loaded_text(&dataset, elapsed));
                if let Some(path) = path {
                    self.prefs.remember_file(path, options);
                }
                let id = self.session.report_id + 1;
                self.session = Session::with_dataset(dataset, data_ref, id);
                self.panels.session_replaced(&self.session);
            }
            JobOutput::ProjectOpened { path, project, dataset, note } => {
                let name = path.as_ref().map_or_else(|| "recovered session".to_owned(), |p| p.display().to_string());
                self.info(format!("Opened {name}"));
                if let Some(n) = note {
                    self.error(n);
                }
                if let Some(p) = &path {
                    self.prefs.remember_project(p.clone());
                }
                let id = self.session.report_id + 1;
                self.session = Session::from_project(path, *project, dataset, id);
                self.panels.session_replaced(&self.session);
                self.tab = if self.session.report.is_some() { Tab::Train } else { Tab::Data };
            }
            JobOutput::ProjectNeedsData(p) => self.pending_project = Some(*p),
            JobOutput::NeedsPassphrase(p) => self.passphrase_prompt = Some(*p),
            JobOutput::CopySaved { path, notes } => self.info(super::share::copy_saved_text(&path, &notes)),
            JobOutput::ProjectSaved(path) => {
                self.info(format!("Saved {}", path.display()));
                self.prefs.remember_project(path.clone());
                self.session.saved(path);
                self.remove_recovery_file();
                if self.close_after_save {
                    self.allow_close = true;
                    ctx.send_viewport_cmd(egui::ViewportCommand::Close);
                }
            }
            JobOutput::Panel(done) => {
                let mut follow = Vec::new();
                if let Some(text) = self.panels.receive(done, elapsed, &self.session, &mut follow) {
                    self.info(text);
                }
                for c in follow {
                    self.apply(ctx, c);
                }
            }
        }
    }

    fn loaded_text(dataset: &Dataset, elapsed: Duration) -> String {
        let n = dataset.warnings.len();
        let notes = match n {
            0 => String::new(),
            1 => " (1 note in the column list)".to_owned(),
            n => format!(" ({n} notes in the column list)"),
        };
        format!(
            "Loaded {}: {} rows × {} columns in {}{notes}",
            dataset.name,
            dataset.n_rows(),
            dataset.n_columns(),
            super::widgets::duration_text(elapsed)
        )
    }

    pub(super) fn info(&mut self, text: String) {
        self.messages.retain(|m| m.severity != Severity::Info);
        self.messages.push(Message { severity: Severity::Info, text });
    }

    pub(super) fn error(&mut self, text: String) {
        self.messages.push(Message { severity: Severity::Error, text });
        if self.messages.len() > 5 {
            self.messages.remove(0);
        }
    }

    /// Starts a background job.
    pub(super) fn start_job(&mut self, ctx: &egui::Context, spec: JobSpec<JobOutput>) {
        self.jobs.start(ctx, spec);
    }

    /// Carries out one command.
    pub fn apply(&mut self, ctx: &egui::Context, command: Command) {
        match command {
            Command::Edit(edit) => {
                if self.session.edit(edit) {
                    self.panels.model_replaced();
                }
            }
            Command::Work(work) => {
                if let Some(spec) = self.panels.job(work, &self.session) {
                    self.start_job(ctx, spec.map(JobOutput::Panel));
                }
            }
            Command::Show(show) => {
                self.tab = show.tab();
                self.panels.show(show);
            }
            Command::ShowTab(t) => self.tab = t,
            Command::CancelJob(i) => self.jobs.cancel(i),
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
            Command::CloseImport => self.import = None,
            Command::Close(choice) => self.close(ctx, choice),
            Command::Adopt(r) => self.adopt(*r),
            Command::OpenShareDialog => self.open_share_dialog(),
            Command::SaveCopy => self.save_copy(ctx),
            Command::OpenPassphraseDialog => self.passphrase_dialog = Some(super::share::PassphraseDialog::default()),
            Command::SetPassphrase => self.apply_passphrase(false),
            Command::RemovePassphrase => self.apply_passphrase(true),
            Command::CloseShareDialogs => {
                self.share_dialog = None;
                self.passphrase_dialog = None;
            }
            Command::OpenFileDialog
            | Command::OpenPath(_)
            | Command::Load { .. }
            | Command::LoadSample
            | Command::SaveText { .. }
            | Command::SavePng { .. }
            | Command::SaveTo(_)
            | Command::CancelSave
            | Command::SaveProject
            | Command::SaveProjectAs
            | Command::OpenProjectDialog
            | Command::OpenProject(_)
            | Command::RelinkData(_)
            | Command::CancelRelink
            | Command::OpenEncrypted
            | Command::CancelPassphrase
            | Command::Recover
            | Command::DiscardRecovery
            | Command::OpenPlanDialog
            | Command::OpenMonitorDialog => self.apply_file_command(ctx, command),
        }
    }

    /// Replaces the session with a retrained or restored project: the same project file, with
    /// unsaved changes; the Monitor panel stays in view.
    fn adopt(&mut self, r: super::panels::monitor::Replacement) {
        let id = self.session.report_id + 1;
        let mut session = Session::from_project(self.session.project_path.clone(), r.project, r.dataset, id);
        session.dirty = true;
        self.session = session;
        self.panels.session_replaced(&self.session);
        self.tab = Tab::Monitor;
        self.panels.monitor.view = super::panels::monitor::View::Versions;
        self.info(r.message);
        if !r.notes.is_empty() {
            self.error(format!("About the new data: {}", r.notes.join("; ")));
        }
    }

    fn close(&mut self, ctx: &egui::Context, choice: CloseChoice) {
        self.close_prompt = false;
        match choice {
            CloseChoice::Save => {
                self.close_after_save = true;
                self.apply(ctx, Command::SaveProject);
            }
            CloseChoice::Discard => {
                self.allow_close = true;
                self.remove_recovery_file();
                ctx.send_viewport_cmd(egui::ViewportCommand::Close);
            }
            CloseChoice::Cancel => {}
        }
    }
}

/// The window under eframe: one frame per call, preferences saved on exit.
impl eframe::App for GlassboxApp {
    fn ui(&mut self, ui: &mut Ui, frame: &mut eframe::Frame) {
        let started = Instant::now();
        self.show(ui);
        super::frame_log::record(ui.ctx(), frame, started.elapsed(), self.jobs.len(), self.tab);
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        eframe::set_value(storage, PREFS_KEY, &self.prefs);
    }

    fn on_exit(&mut self, _gl: Option<&eframe::glow::Context>) {
        // A clean exit leaves no recovery file (unsaved work was either saved or discarded).
        if !self.session.dirty || self.allow_close {
            self.remove_recovery_file();
        }
    }
}
