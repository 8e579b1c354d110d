//! The model history of a project: every model the project has held, in the order they were
//! made, each with its date, the data it was trained on (files and content hashes), its
//! settings and headline metrics, and a hash of the fitted model.
//!
//! The last entry describes the project's current model (`Project::model`), whose report is not
//! stored twice. Every earlier entry keeps its whole training report (and the rule set that was
//! accepted for it), so any earlier version can be made current again byte for byte
//! ([`Project::restore`]). The history only grows: restoring version 1 adds a version that says
//! it was restored from 1.
//!
//! The date is a recorded fact (when the version was made, in UTC, from the caller: the engine
//! reads no clock). It is kept in the project file only; the fitted model and everything
//! exported from it do not depend on it, so the same data, settings and seed still give the same
//! bytes.
//!
//! A file from before the history (format version 2 and older) opens with a history of one
//! entry built from what it holds: its model, data and settings, with no date. A freshly trained
//! project holds no history (so the same data, settings and seed give the same file); its entry
//! is made, without a date, when the model is first replaced or the history is listed
//! ([`Project::record_current`]). A model that no longer matches the last entry (replaced by a
//! build or window that did not record it) gains an entry saying so; the version it replaced is
//! listed but cannot be restored.

use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use super::{DataRef, Project};
use crate::error::{Error, Result};
use crate::model::TrainedModel;
use crate::model::train::{Evaluation, TrainSettings, TrainingReport};
use crate::rules::RuleSet;

/// How a version came to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Origin {
    /// Trained from the data (`glassbox train`, the Train panel).
    Trained,
    /// The model of a project file saved before projects kept a history.
    Migrated {
        /// The file's format version.
        file_version: u32,
    },
    /// Retrained with the project's settings on new data (`appended` false) or on the project's
    /// data with new rows appended.
    Retrained {
        /// True when the new rows were appended to the earlier data.
        appended: bool,
    },
    /// An earlier version made current again.
    Restored {
        /// The version it restores.
        from: u32,
    },
    /// A model that replaced the previous one without a history entry.
    Unrecorded,
}

impl Origin {
    /// In words, for listings.
    pub fn describe(self) -> String {
        match self {
            Self::Trained => "trained".to_owned(),
            Self::Migrated { file_version } => {
                format!("the model of a version {file_version} project file (before the history was kept)")
            }
            Self::Retrained { appended: false } => "retrained on new data".to_owned(),
            Self::Retrained { appended: true } => "retrained with new rows appended to the data".to_owned(),
            Self::Restored { from } => format!("version {from} restored"),
            Self::Unrecorded => "a model that replaced the previous one without a history entry".to_owned(),
        }
    }
}

/// One named figure of a model's evaluation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Figure {
    /// `accuracy`, `balanced_accuracy`, `precision`, `recall`, `f1`, `roc_auc`; `mae`, `rmse`, `r2`.
    pub name: String,
    /// Its value on the version's held-out rows.
    pub value: f64,
}

/// One version of the project's model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelVersion {
    /// 1, 2, 3, … in the order the versions were made.
    pub number: u32,
    /// When it was made, `YYYY-MM-DDTHH:MM:SSZ` (UTC); `None` when not recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    /// How it was made.
    pub origin: Origin,
    /// The data files it was trained on: the first, then any appended to it, in order (empty in
    /// a model-only copy).
    #[serde(default)]
    pub data: Vec<DataRef>,
    /// The settings it was trained with.
    pub settings: TrainSettings,
    /// Rows it was trained on.
    pub train_rows: usize,
    /// Rows held out to test it.
    pub test_rows: usize,
    /// Headline metrics on the held-out rows.
    #[serde(default)]
    pub metrics: Vec<Figure>,
    /// SHA-256 of the fitted model (its JSON), hex: tells whether two versions are the same model.
    pub model_sha256: String,
    /// The whole training report of an earlier version, so it can be restored; `None` for the
    /// current version (its report is the project's model) and for versions not kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub report: Option<Box<TrainingReport>>,
    /// The rule set accepted for an earlier version, restored with it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule_set: Option<RuleSet>,
}

impl ModelVersion {
    /// The entry describing `report`, trained on `data`.
    pub fn describe(
        number: u32,
        report: &TrainingReport,
        data: Vec<DataRef>,
        origin: Origin,
        date: Option<String>,
    ) -> Self {
        Self {
            number,
            date,
            origin,
            data,
            settings: report.settings.clone(),
            train_rows: report.split.train.len(),
            test_rows: report.split.test.len(),
            metrics: headline(&report.evaluation),
            model_sha256: model_sha256(&report.model),
            report: None,
            rule_set: None,
        }
    }

    /// The value of a headline figure, if the version has it.
    pub fn figure(&self, name: &str) -> Option<f64> {
        self.metrics.iter().find(|f| f.name == name).map(|f| f.value)
    }

    /// The data files' names, joined with ` + `, or `not recorded`.
    pub fn data_names(&self) -> String {
        if self.data.is_empty() {
            return "not in this file".to_owned();
        }
        self.data
            .iter()
            .map(|d| {
                d.path.file_name().map_or_else(|| d.path.display().to_string(), |n| n.to_string_lossy().into_owned())
            })
            .collect::<Vec<_>>()
            .join(" + ")
    }
}

/// SHA-256 of a fitted model's JSON, hex.
pub fn model_sha256(model: &TrainedModel) -> String {
    let mut hasher = Sha256::new();
    // Serialising our own model types cannot fail (no maps with non-string keys, no NaN in JSON
    // numbers: serde_json writes them as null).
    hasher.update(serde_json::to_vec(model).unwrap_or_default());
    super::hex(&hasher.finalize())
}

/// The headline figures of an evaluation.
pub fn headline(evaluation: &Evaluation) -> Vec<Figure> {
    let f = |name: &str, value: f64| Figure { name: name.to_owned(), value };
    match evaluation {
        Evaluation::Classification { metrics: m, .. } => {
            let mut v = vec![
                f("accuracy", m.accuracy),
                f("balanced_accuracy", m.balanced_accuracy),
                f("precision", m.precision),
                f("recall", m.recall),
                f("f1", m.f1),
            ];
            v.extend(m.roc_auc.map(|a| f("roc_auc", a)));
            v
        }
        Evaluation::Regression { metrics: m, .. } => vec![f("mae", m.mae), f("rmse", m.rmse), f("r2", m.r2)],
    }
}

impl Project {
    /// The data files the current model reads: the project's data, then any appended to it.
    pub fn data_refs(&self) -> Vec<DataRef> {
        self.data.iter().chain(&self.appended).cloned().collect()
    }

    /// The entry describing the current model.
    pub fn current_version(&self) -> Option<&ModelVersion> {
        let model = self.model.as_ref()?;
        self.history.last().filter(|v| v.model_sha256 == model_sha256(&model.model))
    }

    /// The version numbered `number`.
    pub fn version(&self, number: u32) -> Option<&ModelVersion> {
        self.history.iter().find(|v| v.number == number)
    }

    /// True when version `number` can be made current: it is kept in the file and is not the
    /// current model.
    pub fn can_restore(&self, number: u32) -> bool {
        self.version(number).is_some_and(|v| v.report.is_some())
    }

    /// Makes `report` the project's model. The current model (and its rule set) moves into the
    /// history, where it can be restored; an entry for `report`, trained on the project's data
    /// as it is now ([`Project::data_refs`]), is added with `origin` and `date`. The rule set is
    /// cleared: it belonged to the earlier model.
    pub fn replace_model(&mut self, report: TrainingReport, origin: Origin, date: Option<String>) {
        self.retire_model(&report, origin, date);
        self.model = Some(report);
    }

    /// As [`Project::replace_model`] for a model the caller keeps elsewhere (the window's
    /// session holds its own): the current model and rule set move into the history and the
    /// entry for `report` is added, but `report` is not stored; the project is left without a
    /// current model.
    pub fn retire_model(&mut self, report: &TrainingReport, origin: Origin, date: Option<String>) {
        self.reconcile_history(super::VERSION);
        let old_rules = self.rule_set.take();
        if let Some(old) = self.model.take()
            && let Some(last) = self.history.last_mut()
        {
            last.report = Some(Box::new(old));
            last.rule_set = old_rules;
        }
        let number = self.next_version_number();
        self.history.push(ModelVersion::describe(number, report, self.data_refs(), origin, date));
    }

    /// Adds the history entry for the current model when the history lacks it: a project
    /// trained and saved without one (`glassbox train` writes none, so that the same data,
    /// settings and seed give the same file), or whose model was replaced without an entry.
    /// Every change of the model ([`Project::replace_model`]) does this first.
    pub fn record_current(&mut self) {
        self.reconcile_history(super::VERSION);
    }

    /// A copy of the project with version `number` as its model again (with the data and rule
    /// set it had), recorded as a new version restored from it on `date`.
    ///
    /// # Errors
    /// When there is no such version, it is the current model, or its model is not kept here.
    pub fn restore(&self, number: u32, date: Option<String>) -> Result<Self> {
        let listed = || {
            let numbers: Vec<String> = self.history.iter().map(|v| v.number.to_string()).collect();
            if numbers.is_empty() { "it has none".to_owned() } else { format!("it has {}", numbers.join(", ")) }
        };
        let entry = self
            .version(number)
            .ok_or_else(|| Error::invalid(format!("the project has no model version {number} ({})", listed())))?;
        let Some(report) = &entry.report else {
            let why = if self.current_version().is_some_and(|v| v.number == number) {
                "it is the current model already".to_owned()
            } else if self.copy.is_some() {
                "a model-only copy keeps the current model only".to_owned()
            } else {
                "its model was replaced without being kept, so only its description is left".to_owned()
            };
            return Err(Error::invalid(format!("version {number} cannot be restored: {why}")));
        };
        let mut project = self.clone();
        project.record_current();
        project.data = entry.data.first().cloned();
        project.appended = entry.data.iter().skip(1).cloned().collect();
        project.replace_model((**report).clone(), Origin::Restored { from: number }, date);
        project.rule_set.clone_from(&entry.rule_set);
        Ok(project)
    }

    fn next_version_number(&self) -> u32 {
        self.history.iter().map(|v| v.number).max().unwrap_or(0).saturating_add(1)
    }

    /// Makes the last entry describe the current model: a project without a history (saved
    /// before format version 3, or trained and saved without one) gains one entry built from
    /// what it holds; a model that does not match the last entry gains an entry saying it was
    /// not recorded.
    pub(super) fn reconcile_history(&mut self, file_version: u32) {
        let Some(report) = &self.model else { return };
        let hash = model_sha256(&report.model);
        if self.history.last().is_some_and(|v| v.model_sha256 == hash) {
            return;
        }
        let origin = match (self.history.is_empty(), file_version < 3) {
            (true, true) => Origin::Migrated { file_version },
            (true, false) => Origin::Trained,
            (false, _) => Origin::Unrecorded,
        };
        let number = self.next_version_number();
        let entry = ModelVersion::describe(number, report, self.data_refs(), origin, None);
        self.history.push(entry);
    }
}

/// The date a new history entry records when none is given: `SOURCE_DATE_EPOCH` when set (for
/// reproducible files), else the clock, in UTC as `YYYY-MM-DDTHH:MM:SSZ`. No model or exported
/// code depends on it.
pub fn clock_date() -> Option<String> {
    let secs = match std::env::var("SOURCE_DATE_EPOCH").ok().and_then(|s| s.trim().parse::<i64>().ok()) {
        Some(s) => s,
        None => std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .ok()
            .and_then(|d| i64::try_from(d.as_secs()).ok())
            .unwrap_or(0),
    };
    chrono::DateTime::from_timestamp(secs, 0).map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
}
