//! The working session: everything a project file saves (the data reference and roles, the
//! trained model, the rule set in use, scenarios and production plans) and nothing else. It
//! changes only through [`Session::edit`] and the few methods that replace it whole (new data,
//! an opened project, a save), all called by the app while it carries out commands; panels read
//! it and keep only their view state.

use std::path::PathBuf;
use std::sync::Arc;

use super::command::Edit;
use crate::data::Dataset;
use crate::model::train::TrainingReport;
use crate::plan::{SavedPlan, Scenario};
use crate::project::{DataRef, Project, SavedRole};
use crate::rules::RuleSet;

/// The open dataset, its model and what the user made with them.
#[derive(Debug, Default)]
pub struct Session {
    /// The open dataset (shared with background jobs, copied on write).
    pub dataset: Option<Arc<Dataset>>,
    /// Where the dataset came from, for the project file.
    pub data_ref: Option<DataRef>,
    /// The trained model with its evaluation.
    pub report: Option<Arc<TrainingReport>>,
    /// Grows with every new dataset or model, so panels can tell when what they derived from
    /// it is stale.
    pub report_id: u64,
    /// The rule set in use.
    pub rule_set: Option<Arc<RuleSet>>,
    /// What-if scenarios, in the order they were made.
    pub scenarios: Vec<Scenario>,
    /// Scored production plans; the last is shown.
    pub plans: Vec<SavedPlan>,
    /// The project file, once saved or opened.
    pub project_path: Option<PathBuf>,
    /// True when there are changes that are not in the project file.
    pub dirty: bool,
    /// Parts of the opened project this build keeps but does not show.
    kept: Project,
}

impl Session {
    /// A session on freshly loaded data.
    pub fn with_dataset(dataset: Dataset, data_ref: Option<DataRef>, report_id: u64) -> Self {
        Self { dataset: Some(Arc::new(dataset)), data_ref, report_id, ..Self::default() }
    }

    /// The session an opened project describes (`path` is `None` for a recovered session,
    /// which counts as unsaved).
    pub fn from_project(
        path: Option<PathBuf>,
        project: Project,
        dataset: impl Into<Arc<Dataset>>,
        report_id: u64,
    ) -> Self {
        let mut kept = project;
        // The history always ends with the model in use (a project saved without a history gets
        // its entry), so the window can list the versions without hashing the model each frame.
        kept.record_current();
        let report = kept.model.take().map(Arc::new);
        let rule_set = kept.rule_set.take().map(Arc::new);
        let scenarios = std::mem::take(&mut kept.scenarios);
        let plans = std::mem::take(&mut kept.plans);
        Self {
            dataset: Some(dataset.into()),
            data_ref: kept.data.clone(),
            report,
            report_id,
            rule_set,
            scenarios,
            plans,
            dirty: path.is_none(),
            project_path: path,
            kept,
        }
    }

    /// The open dataset and the model with its id, when both are there.
    pub fn model(&self) -> Option<(&Arc<Dataset>, &Arc<TrainingReport>, u64)> {
        Some((self.dataset.as_ref()?, self.report.as_ref()?, self.report_id))
    }

    /// Carries out one change. Returns true when the model changed (panels then drop what they
    /// derived from the old one).
    pub fn edit(&mut self, edit: Edit) -> bool {
        match edit {
            Edit::SetRole { column, role } => {
                if let Some(ds) = self.dataset.as_mut() {
                    Arc::make_mut(ds).set_role(column, role);
                    self.dirty = true;
                }
            }
            Edit::SetReport(report) => {
                // The model it replaces (and its rules) stays in the project's history, where it
                // can be restored; the new one gets its entry, dated now.
                if let Some(old) = self.report.take() {
                    self.kept.model = Some(Arc::unwrap_or_clone(old));
                    self.kept.rule_set = self.rule_set.take().map(Arc::unwrap_or_clone);
                }
                self.kept.data.clone_from(&self.data_ref);
                self.kept.retire_model(
                    &report,
                    crate::project::history::Origin::Trained,
                    crate::project::history::clock_date(),
                );
                self.report = Some(report);
                self.report_id += 1;
                // Rules, scenarios' predictions and plans' scores came from the old model.
                self.rule_set = None;
                self.dirty = true;
                return true;
            }
            Edit::SetRules { rules, by_user } => {
                self.rule_set = rules;
                self.dirty |= by_user;
            }
            Edit::SetScenarios(scenarios) => {
                if scenarios != self.scenarios {
                    self.scenarios = scenarios;
                    self.dirty = true;
                }
            }
            Edit::AddPlan(plan) => {
                self.plans.retain(|p| p.name != plan.name);
                self.plans.push(*plan);
                self.dirty = true;
            }
        }
        false
    }

    /// The project's model versions, oldest first; the last is the model in use (when there is
    /// one).
    pub fn history(&self) -> &[crate::project::history::ModelVersion] {
        &self.kept.history
    }

    /// True when the project is saved encrypted (it was opened with a passphrase).
    pub fn is_encrypted(&self) -> bool {
        self.kept.sealing.is_encrypted()
    }

    /// Sets the passphrase the project file is saved encrypted with (`None`: saved in the
    /// clear); returns true when that changed (an unsaved change).
    pub fn set_passphrase(&mut self, passphrase: Option<crate::project::crypto::Passphrase>) -> bool {
        let changed = passphrase.is_some() || self.kept.sealing.is_encrypted();
        self.kept.sealing = crate::project::Sealing(passphrase.map(Arc::new));
        self.dirty |= changed;
        changed
    }

    /// Records that the session was saved to `path`.
    pub fn saved(&mut self, path: PathBuf) {
        self.project_path = Some(path);
        self.dirty = false;
    }

    /// The session as a project file holds it.
    pub fn project(&self) -> Project {
        let mut p = self.kept.clone();
        p.format = crate::project::FORMAT.into();
        p.version = crate::project::VERSION;
        p.created_with = env!("CARGO_PKG_VERSION").into();
        p.data.clone_from(&self.data_ref);
        if let Some(ds) = &self.dataset {
            p.roles = ds.columns.iter().map(|c| SavedRole { column: c.name.clone(), role: c.role }).collect();
        }
        p.model = self.report.as_deref().cloned();
        p.rule_set = self.rule_set.as_deref().cloned();
        p.scenarios.clone_from(&self.scenarios);
        p.plans.clone_from(&self.plans);
        p
    }

    /// A name for the session: the project file's, else the dataset's.
    pub fn name(&self) -> String {
        self.project_path.as_ref().and_then(|p| p.file_name()).map_or_else(
            || self.dataset.as_ref().map_or_else(String::new, |d| d.name.clone()),
            |n| n.to_string_lossy().into_owned(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{Column, ColumnKind, Role};
    use crate::model::ModelParams;
    use crate::model::cart::TreeParams;
    use crate::model::train::{TrainSettings, train};

    fn report(ds: &Dataset, depth: u16) -> Arc<TrainingReport> {
        let params = ModelParams::Tree(TreeParams { max_depth: Some(depth), ..TreeParams::default() });
        let settings = TrainSettings { target: "y".into(), params, ..TrainSettings::default() };
        Arc::new(train(ds, &settings, &crate::Progress::new()).expect("trains"))
    }

    #[test]
    fn a_model_replaced_in_the_window_stays_in_the_history() {
        let x: Vec<f64> = (0..200).map(f64::from).collect();
        let y: Vec<f64> = x.iter().map(|v| f64::from(u8::from((v / 10.0).sin() > 0.0))).collect();
        let mut ds = Dataset::new(
            "t",
            vec![
                Column::new("x", ColumnKind::Float, x, Vec::new()),
                Column::new("y", ColumnKind::Categorical, y, vec!["no".into(), "yes".into()]),
            ],
        )
        .expect("dataset");
        ds.set_role(1, Role::Target);
        let (first, second) = (report(&ds, 1), report(&ds, 4));
        let mut s = Session::with_dataset(ds, None, 0);
        s.edit(Edit::SetReport(first.clone()));
        s.edit(Edit::SetReport(second.clone()));
        let p = s.project();
        assert_eq!(p.model.as_ref(), Some(&*second));
        assert_eq!(p.history.len(), 2, "{:?}", p.history);
        let v1 = p.history.first().map(|v| v.number).expect("version 1");
        assert!(p.can_restore(v1));
        assert_eq!(p.restore(v1, None).expect("restores").model.as_ref(), Some(&*first));
    }
}
