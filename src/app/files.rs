//! The app's files: opening data and projects (native dialog, path box, dropped files, recent
//! files), saving text, plots and projects, relinking a project whose data moved, and the
//! recovery file written now and then while work is unsaved.

use std::path::PathBuf;
use std::sync::mpsc::{Receiver, TryRecvError};
use std::time::{Duration, Instant};

use super::app::{GlassboxApp, JobOutput};
use super::command::{Command, Show};
use super::jobs::{JobKind, JobSpec};
use super::panels::import::ImportDialog;
use crate::data::{FileFormat, LoadOptions};

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

/// An encrypted project waiting for its passphrase.
pub struct PassphrasePrompt {
    /// The project file (`None` for the recovery file, which opens as unsaved work).
    pub path: Option<PathBuf>,
    /// The file to read.
    pub file: PathBuf,
    /// What is typed (wiped from memory when dropped).
    pub text: zeroize::Zeroizing<String>,
    /// Why the last passphrase did not open it.
    pub problem: Option<String>,
}

/// What a native file dialog was opened for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DialogPurpose {
    /// A data file.
    Data,
    /// A project.
    Project,
    /// A production plan.
    Plan,
    /// New data to monitor.
    Monitor,
}

/// A plot saved as PNG: its file name and bytes, or why not.
pub type PngResult = Result<(String, Vec<u8>), String>;

/// A native file dialog running on its own thread.
pub struct FileDialogJob {
    purpose: DialogPurpose,
    rx: Receiver<Option<PathBuf>>,
    started: Instant,
}

impl GlassboxApp {
    /// Carries out a command about files and projects.
    pub(super) fn apply_file_command(&mut self, ctx: &egui::Context, command: Command) {
        match command {
            Command::OpenFileDialog => self.open_file_dialog(ctx, DialogPurpose::Data),
            Command::OpenProjectDialog => self.open_file_dialog(ctx, DialogPurpose::Project),
            Command::OpenPlanDialog => self.open_file_dialog(ctx, DialogPurpose::Plan),
            Command::OpenMonitorDialog => self.open_file_dialog(ctx, DialogPurpose::Monitor),
            Command::OpenPath(path) => self.open_path(ctx, path),
            Command::Load { path, options } => {
                self.import = None;
                let title = format!(
                    "Loading {}",
                    path.file_name().map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned())
                );
                self.start_job(
                    ctx,
                    JobSpec::new(JobKind::Load, title, move |p| {
                        let dataset = crate::data::load_file(&path, &options, p)?;
                        let data_ref = crate::project::DataRef::of_file(&path, options.clone()).ok();
                        Ok(JobOutput::Loaded { dataset, data_ref, path: Some(path), options })
                    }),
                );
            }
            Command::LoadSample => {
                let title = format!("Loading {}", crate::sample::SAMPLE_NAME);
                self.start_job(
                    ctx,
                    JobSpec::new(JobKind::Load, title, |_| {
                        let dataset = crate::sample::sample_dataset()?;
                        let data_ref = Some(crate::project::DataRef::sample());
                        Ok(JobOutput::Loaded { dataset, data_ref, path: None, options: LoadOptions::default() })
                    }),
                );
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
            Command::SaveTo(path) => self.save_to(ctx, path),
            Command::CancelSave => {
                self.pending_save = None;
                self.close_after_save = false;
            }
            Command::SaveProject => match self.session.project_path.clone() {
                Some(path) => self.save_project_to(ctx, path),
                None => self.apply_file_command(ctx, Command::SaveProjectAs),
            },
            Command::SaveProjectAs => {
                let path = self.suggested_project_path();
                self.pending_save = Some((path.display().to_string(), SaveWhat::Project));
            }
            Command::OpenProject(path) => self.open_project(ctx, Some(path), None),
            Command::RelinkData(file) => self.relink(ctx, file),
            Command::CancelRelink => self.pending_project = None,
            Command::OpenEncrypted => self.open_encrypted(ctx),
            Command::CancelPassphrase => self.passphrase_prompt = None,
            Command::Recover => {
                self.recovery_offered = false;
                if let Some(r) = self.recovery_path.clone() {
                    self.open_project(ctx, None, Some(r));
                }
            }
            Command::DiscardRecovery => {
                self.recovery_offered = false;
                self.remove_recovery_file();
            }
            other => self.apply(ctx, other),
        }
    }

    fn save_to(&mut self, ctx: &egui::Context, path: PathBuf) {
        let bytes = match self.pending_save.take() {
            Some((_, SaveWhat::Text(text))) => text.into_bytes(),
            Some((_, SaveWhat::Bytes(bytes))) => bytes,
            Some((_, SaveWhat::Project)) => return self.save_project_to(ctx, path),
            None => return,
        };
        match crate::project::write_atomically(&path, &bytes) {
            Ok(()) => self.info(format!("Saved {}", path.display())),
            Err(e) => self.error(format!("Could not save: {e}")),
        }
    }

    /// Where "Save project as" suggests: beside the project or the data, named after the data.
    pub(super) fn suggested_project_path(&self) -> PathBuf {
        let stem = self.session.dataset.as_ref().map_or_else(
            || "plant".to_owned(),
            |d| {
                std::path::Path::new(&d.name)
                    .file_stem()
                    .map_or_else(|| "plant".to_owned(), |s| s.to_string_lossy().replace(" (sample)", ""))
            },
        );
        let dir = self
            .session
            .project_path
            .as_ref()
            .and_then(|p| p.parent().map(std::path::Path::to_path_buf))
            .or_else(|| {
                self.session
                    .data_ref
                    .as_ref()
                    .filter(|d| !d.is_sample())
                    .and_then(|d| d.path.parent().map(std::path::Path::to_path_buf))
            })
            .unwrap_or_else(|| self.save_dir());
        dir.join(format!("{stem}.glassbox"))
    }

    /// Opens a project whose data moved with the data read from `file` instead.
    fn relink(&mut self, ctx: &egui::Context, file: PathBuf) {
        let Some(p) = self.pending_project.take() else { return };
        let mut project = p.project;
        let copy_without_data = project.data.is_none();
        if let Some(d) = project.data.as_mut() {
            d.path.clone_from(&file);
            d.relative = None;
        }
        let path = p.path;
        self.start_job(
            ctx,
            JobSpec::new(JobKind::Load, "Opening project", move |prog| {
                // A model-only copy gets the data file it is given, read as detected; its model's
                // figures stay those of the original project.
                if copy_without_data {
                    project.data = Some(crate::project::DataRef::of_file(&file, LoadOptions::default())?);
                }
                let changed = match project.data.as_ref() {
                    Some(d) => crate::project::hash_file(&d.path).is_ok_and(|(_, h)| d.sha256 != h),
                    None => false,
                };
                let dataset = project.load_data_checked(false, prog)?;
                let mut notes: Vec<String> = changed
                    .then(|| {
                        "This data file differs from the one the model was trained on (content hash). The model and \
                         its metrics are from the original data: retrain before trusting them."
                            .to_owned()
                    })
                    .into_iter()
                    .collect();
                let notices = project.notices();
                if !notices.is_empty() {
                    notes.push(format!("This project: {}", notices.join("; ")));
                }
                let note = (!notes.is_empty()).then(|| notes.join(" "));
                if let Some(d) = project.data.as_mut()
                    && let Ok(r) = crate::project::DataRef::of_file(&d.path, d.options.clone())
                {
                    d.size = r.size;
                    d.sha256 = r.sha256;
                    d.path = r.path;
                }
                Ok(JobOutput::ProjectOpened { path: Some(path), project, dataset, note })
            }),
        );
    }

    pub(super) fn handle_dropped_files(&mut self, ctx: &egui::Context) {
        let dropped = ctx.input(|i| i.raw.dropped_files.iter().map(|f| f.path().to_path_buf()).collect::<Vec<_>>());
        if let Some(path) = dropped.into_iter().next() {
            self.commands.push(Command::OpenPath(path));
        }
    }

    /// Checks the PNG capture and the file dialog.
    pub(super) fn poll_files(&mut self, ctx: &egui::Context) {
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
                    let command = match purpose {
                        DialogPurpose::Plan => Command::Show(Show::PlanFile(path)),
                        DialogPurpose::Monitor => Command::Show(Show::MonitorFile(path)),
                        DialogPurpose::Data | DialogPurpose::Project => Command::OpenPath(path),
                    };
                    self.commands.push(command);
                }
                Ok(None) | Err(TryRecvError::Disconnected) => {
                    let quick = fd.started.elapsed() < Duration::from_millis(300);
                    self.file_dialog = None;
                    if quick {
                        self.error(
                            "No file dialog is available on this desktop. Type the file's path in the 'Open path' box \
                             and press Enter."
                                .into(),
                        );
                    }
                }
                Err(TryRecvError::Empty) => ctx.request_repaint_after(Duration::from_millis(100)),
            }
        }
    }

    fn save_project_to(&mut self, ctx: &egui::Context, path: PathBuf) {
        let project = self.session.project();
        self.start_job(
            ctx,
            JobSpec::new(JobKind::Save, format!("Saving {}", path.display()), move |_| {
                project.save(&path)?;
                Ok(JobOutput::ProjectSaved(path))
            }),
        );
    }

    /// Opens a project file (or a recovery file, `recovered`) in the background. An encrypted
    /// file asks for its passphrase first (unless the program was given one).
    fn open_project(&mut self, ctx: &egui::Context, path: Option<PathBuf>, recovered: Option<PathBuf>) {
        let Some(file) = path.clone().or(recovered) else { return };
        if crate::project::crypto::remembered().is_none() && is_encrypted(&file) {
            self.passphrase_prompt =
                Some(PassphrasePrompt { path, file, text: zeroize::Zeroizing::new(String::new()), problem: None });
            return;
        }
        self.start_job(
            ctx,
            JobSpec::new(JobKind::Load, format!("Opening {}", file.display()), move |p| {
                let project = crate::project::Project::load(&file)?;
                with_data(project, path, file, p)
            }),
        );
    }

    /// Opens the encrypted project of the passphrase prompt with the passphrase typed there; a
    /// passphrase that does not open it brings the prompt back with the reason.
    pub(super) fn open_encrypted(&mut self, ctx: &egui::Context) {
        let Some(mut prompt) = self.passphrase_prompt.take() else { return };
        let typed = std::mem::take(&mut *prompt.text);
        let passphrase = match crate::project::crypto::Passphrase::new(typed.into_bytes()) {
            Ok(p) => p,
            Err(e) => {
                prompt.problem = Some(e.to_string());
                self.passphrase_prompt = Some(prompt);
                return;
            }
        };
        let PassphrasePrompt { path, file, .. } = prompt;
        self.start_job(
            ctx,
            JobSpec::new(JobKind::Load, format!("Opening {}", file.display()), move |p| {
                match crate::project::Project::load_with(&file, Some(&passphrase)) {
                    Ok(project) => with_data(project, path, file, p),
                    Err(e) if e.is_cancelled() => Err(e),
                    Err(e) => Ok(JobOutput::NeedsPassphrase(Box::new(PassphrasePrompt {
                        path,
                        file,
                        text: zeroize::Zeroizing::new(String::new()),
                        problem: Some(e.to_string()),
                    }))),
                }
            }),
        );
    }

    /// Writes the recovery file now and then while there are unsaved changes. It is written
    /// off the UI thread; a failure is reported once (and retried at the next interval).
    pub(super) fn autosave(&mut self) {
        if let Some(rx) = &self.autosave_result
            && let Ok(result) = rx.try_recv()
        {
            self.autosave_result = None;
            if let Err(e) = result {
                if !self.autosave_failed {
                    self.error(format!(
                        "Unsaved work could not be written to the recovery file ({e}); save the project to keep it"
                    ));
                }
                self.autosave_failed = true;
            } else {
                self.autosave_failed = false;
            }
        }
        if !self.session.dirty
            || self.last_autosave.elapsed() < self.autosave_interval
            || self.autosave_result.is_some()
        {
            return;
        }
        self.last_autosave = Instant::now();
        let Some(path) = self.recovery_path.clone() else { return };
        let project = self.session.project();
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        let spawned = std::thread::Builder::new().name("autosave".into()).spawn(move || {
            let result = path
                .parent()
                .map_or(Ok(()), std::fs::create_dir_all)
                .map_err(|e| crate::Error::io("creating the folder of", &path, e))
                .and_then(|()| project.save(&path));
            let _ = tx.send(result.map_err(|e| e.to_string()));
        });
        if spawned.is_ok() {
            self.autosave_result = Some(rx);
        }
    }

    /// Deletes the recovery file, reporting a failure other than its absence.
    pub(super) fn remove_recovery_file(&mut self) {
        let Some(r) = self.recovery_path.clone() else { return };
        if let Err(e) = std::fs::remove_file(&r)
            && e.kind() != std::io::ErrorKind::NotFound
        {
            self.error(format!("Could not remove the recovery file {}: {e}", r.display()));
        }
    }

    /// Where save dialogs start: the folder of the last data file, else the working folder.
    pub(super) fn save_dir(&self) -> PathBuf {
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
            self.open_project(ctx, Some(path), None);
            return;
        }
        let mut head = [0u8; 8];
        let n = std::fs::File::open(&path).and_then(|mut f| std::io::Read::read(&mut f, &mut head)).unwrap_or(0);
        if crate::data::detect_format(&path, head.get(..n).unwrap_or(&head)) == FileFormat::Parquet {
            self.apply_file_command(ctx, Command::Load { path, options: LoadOptions::default() });
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
            DialogPurpose::Monitor => rfd::FileDialog::new()
                .set_title("Open new plant data to monitor")
                .add_filter("Plant data", &data_types)
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

/// True when the file at `path` is an encrypted project.
fn is_encrypted(path: &std::path::Path) -> bool {
    let mut head = vec![0u8; crate::project::crypto::MAGIC.len()];
    std::fs::File::open(path).and_then(|mut f| std::io::Read::read_exact(&mut f, &mut head)).is_ok()
        && crate::project::crypto::is_sealed(&head)
}

/// An opened project with its data, or the request to find its data (moved, changed, or a
/// model-only copy that has none). What the project says is missing is the note shown.
fn with_data(
    project: crate::project::Project,
    path: Option<PathBuf>,
    file: PathBuf,
    progress: &crate::Progress,
) -> crate::Result<JobOutput> {
    match project.load_data(progress) {
        Ok(dataset) => {
            let notices = project.notices();
            let note = (!notices.is_empty()).then(|| format!("This project: {}", notices.join("; ")));
            Ok(JobOutput::ProjectOpened { path, project: Box::new(project), dataset, note })
        }
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
}
