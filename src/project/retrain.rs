//! Retraining a project's model with its own settings on new data, or on its data with new rows
//! appended, into a new project whose history keeps the earlier model.
//!
//! The project given is never changed: [`retrain`] returns a new project (the caller saves it
//! where the user asked), and any failure (data that does not fit, a cancel) leaves nothing
//! behind. The new data is checked against the model before training
//! ([`super::newdata::check_columns`]), so a missing column, another unit or text where
//! numbers were is named by column instead of surfacing as a poor model. The settings are the
//! current version's exactly (learner, seed, split, test share, missing-value handling), and the
//! features are the columns with the feature role in the project, so retraining on the same data
//! gives the same model byte for byte. Columns the project never saw are left out.

use std::path::Path;

use super::history::Origin;
use super::newdata::{Use, append_rows, check_columns};
use super::{DataRef, Project};
use crate::data::{Dataset, LoadOptions, Role, load_file};
use crate::error::{Error, Result};
use crate::model::train::train;
use crate::progress::Progress;

/// What the new data is to the project.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetrainMode {
    /// The model is trained on the new data alone.
    Replace,
    /// The new rows are appended to the project's data and the model is trained on both.
    Append,
}

/// A retrained project and what the user should know about it.
#[derive(Debug, Clone)]
pub struct Retrained {
    /// The new project: the retrained model current, the earlier one in its history.
    pub project: Project,
    /// Notes on the data (columns left out, values outside the earlier range, new classes).
    pub notes: Vec<String>,
    /// The rows the new model was trained and tested on, with the project's roles (what
    /// [`Project::load_data`] reads for the new project).
    pub dataset: Dataset,
}

/// Retrains `project`'s model with its settings on the data file `data` (read with `options`)
/// as `mode` says, recording the new version with `date`.
///
/// # Errors
/// When the project has no model, the data cannot be read or does not fit the model (the message
/// names each column and what differs), the project's own data is needed (`Append`) and cannot
/// be read, training fails, or the work is cancelled.
pub fn retrain(
    project: &Project,
    data: &Path,
    options: &LoadOptions,
    mode: RetrainMode,
    date: Option<String>,
    progress: &Progress,
) -> Result<Retrained> {
    let report = project.trained()?;
    if mode == RetrainMode::Append && project.data.is_none() {
        return Err(Error::invalid(if project.copy.is_some() {
            "this copy holds no data to append rows to; retrain it on a whole data file (without appending)"
        } else {
            "the project refers to no data to append rows to; retrain it on a whole data file (without appending)"
        }));
    }
    progress.set_stage("reading the new data");
    let new = load_file(data, options, &progress.sub(0.0, 0.15))?;
    let new_ref = DataRef::of_file(data, options.clone())?;
    progress.check()?;
    progress.set_stage("checking the new data");
    let mut notes = check_columns(&report.model, &new, data, true, Use::Training)?;
    let (mut ds, refs) = match mode {
        RetrainMode::Replace => (new, vec![new_ref]),
        RetrainMode::Append => {
            progress.set_stage("reading the project's data");
            let old = project.load_data(&progress.sub(0.15, 0.3))?;
            let (joined, joined_notes) = append_rows(&old, &new)?;
            notes.extend(joined_notes);
            (joined, project.data_refs().into_iter().chain([new_ref]).collect())
        }
    };
    progress.check()?;
    apply_project_roles(project, &mut ds, &mut notes);
    let settings = report.settings.clone();
    progress.set_stage("training");
    let new_report = train(&ds, &settings, &progress.sub(0.3, 1.0))?;

    let mut out = project.clone();
    // The earlier model's entry names the data it was trained on, so it is made before the data
    // changes.
    out.record_current();
    out.data = refs.first().cloned();
    out.appended = refs.into_iter().skip(1).collect();
    out.roles = ds.columns.iter().map(|c| super::SavedRole { column: c.name.clone(), role: c.role }).collect();
    // A model-only copy with data again is a whole project.
    out.copy = None;
    out.replace_model(new_report, Origin::Retrained { appended: mode == RetrainMode::Append }, date);
    progress.set(1.0);
    Ok(Retrained { project: out, notes, dataset: ds })
}

/// Gives `ds` the project's roles; a column the project never saw is left out of training
/// (noted), so the retrained model reads what the earlier one read.
fn apply_project_roles(project: &Project, ds: &mut Dataset, notes: &mut Vec<String>) {
    let known: std::collections::BTreeSet<&str> = project.roles.iter().map(|r| r.column.as_str()).collect();
    let unknown: Vec<usize> =
        ds.columns.iter().enumerate().filter(|(_, c)| !known.contains(c.name.as_str())).map(|(i, _)| i).collect();
    for i in unknown {
        if let Some(c) = ds.columns.get(i)
            && matches!(c.role, Role::Feature | Role::Target)
        {
            notes.push(format!("column '{}' is new to the project and is left out of training", c.name));
        }
        ds.set_role(i, Role::Ignore);
    }
    project.apply_roles(ds);
    for r in project.roles.iter().filter(|r| r.role == Role::Timestamp) {
        if ds.column(&r.column).is_none() {
            notes.push(format!(
                "the timestamp column '{}' is not in the new data: an ordered split follows the rows' order in the file",
                r.column
            ));
        }
    }
}
