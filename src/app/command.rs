//! What the user asks for, as values: drawing code pushes a [`Command`] and the app carries it
//! out after the frame, so the flow of data stays one-way (the pattern of rerun and egui's
//! demo). Three kinds of command come from the panels: an [`Edit`] of what the project saves,
//! [`Work`] to run in the background, and a [`Show`] that asks another panel to show something.

use std::path::PathBuf;
use std::sync::Arc;

use super::panels::Work;
use super::state::ThemeChoice;
use crate::data::{LoadOptions, Role};
use crate::model::train::{TrainSettings, TrainingReport};
use crate::plan::{SavedPlan, Scenario};
use crate::rules::RuleSet;

/// Something the user asked for, carried out after the frame.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// Show the native file dialog for a data file.
    OpenFileDialog,
    /// Open this file: the import dialog for text and spreadsheets, straight away for Parquet,
    /// as a project for `.glassbox`.
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
    /// Show another panel.
    ShowTab(Tab),
    /// Save text (CSV, SVG, code) to a file the user picks.
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
    /// Open the encrypted project of the passphrase prompt with the passphrase typed there.
    OpenEncrypted,
    /// Close the passphrase prompt without opening the project.
    CancelPassphrase,
    /// Show the dialog that writes a model-only copy.
    OpenShareDialog,
    /// Write the model-only copy the share dialog describes.
    SaveCopy,
    /// Show the dialog that sets the project's passphrase.
    OpenPassphraseDialog,
    /// Encrypt the project with the passphrase typed in its dialog (from the next save).
    SetPassphrase,
    /// Save the project unencrypted from the next save.
    RemovePassphrase,
    /// Close the share and passphrase dialogs.
    CloseShareDialogs,
    /// Open the recovery file left by a session that did not close cleanly.
    Recover,
    /// Delete the recovery file.
    DiscardRecovery,
    /// Answer to "save changes before closing?".
    Close(CloseChoice),
    /// Show the system dialog to pick a production plan.
    OpenPlanDialog,
    /// Show the system dialog to pick new data to monitor.
    OpenMonitorDialog,
    /// Replace the session with a retrained or restored project (the project file stays the
    /// same, now with unsaved changes).
    Adopt(Box<super::panels::monitor::Replacement>),
    /// Change the colour scheme.
    SetTheme(ThemeChoice),
    /// Close a message.
    Dismiss(usize),
    /// Empty the recent-files list.
    ClearRecent,
    /// Change what the project saves.
    Edit(Edit),
    /// Run a panel's work in the background.
    Work(Work),
    /// Ask a panel to show something (and switch to it).
    Show(Show),
}

impl Command {
    /// Train a model with these settings in the background.
    pub fn train(settings: TrainSettings) -> Self {
        Self::Work(Work::Train(super::panels::train::Request::Train(Box::new(settings))))
    }

    /// Give a column another role.
    pub fn set_role(column: usize, role: Role) -> Self {
        Self::Edit(Edit::SetRole { column, role })
    }
}

/// A change of the session, the part of the app a project file saves. Only these change it.
#[derive(Debug, Clone, PartialEq)]
pub enum Edit {
    /// Change a column's role.
    SetRole {
        /// Column index.
        column: usize,
        /// New role.
        role: Role,
    },
    /// A new trained model replaces the current one.
    SetReport(Arc<TrainingReport>),
    /// The rule set in use (what `export --from rules` and the project keep); `by_user` when
    /// the user chose it (accepting a rounding), which is an unsaved change.
    SetRules {
        /// The rules, or none.
        rules: Option<Arc<RuleSet>>,
        /// Whether the user chose them.
        by_user: bool,
    },
    /// The what-if scenarios, as the Plan panel's editor left them.
    SetScenarios(Vec<Scenario>),
    /// Keep a scored production plan (one of the same name is replaced).
    AddPlan(Box<SavedPlan>),
}

/// Something one panel asks another to show.
#[derive(Debug, Clone, PartialEq)]
pub enum Show {
    /// Only these dataset rows in the data table, with a banner saying what they are.
    Rows {
        /// What they are.
        label: String,
        /// Dataset rows.
        rows: Vec<usize>,
    },
    /// A production plan file to score in the Plan panel.
    PlanFile(PathBuf),
    /// A data file to monitor in the Monitor panel.
    MonitorFile(PathBuf),
}

impl Show {
    /// The panel that shows it.
    pub fn tab(&self) -> Tab {
        match self {
            Self::Rows { .. } => Tab::Data,
            Self::PlanFile(_) => Tab::Plan,
            Self::MonitorFile(_) => Tab::Monitor,
        }
    }
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
    /// New data against the model; model versions.
    Monitor,
}

impl Tab {
    /// Every tab, in order.
    pub const ALL: [Self; 6] = [Self::Data, Self::Train, Self::Explain, Self::Rules, Self::Plan, Self::Monitor];

    /// The tab's title.
    pub fn label(self) -> &'static str {
        match self {
            Self::Data => "Data",
            Self::Train => "Train",
            Self::Explain => "Explain",
            Self::Rules => "Rules & PLC export",
            Self::Plan => "Plan",
            Self::Monitor => "Monitor",
        }
    }
}
