//! Model-only copies of a project, for sending to a colleague or a vendor without the plant's
//! data.
//!
//! A copy keeps the current model (its pipeline and tree or SVM), its settings, its headline
//! figures and confusion matrix, the accepted rule set and the history's descriptions. It leaves
//! out everything that is the plant's data or points at it: the data file's path and hash, the
//! rows the model was trained and tested on (row numbers, actual values and predictions), the
//! earlier versions' models, columns that are not inputs or target, parts this build does not
//! know, and, unless asked for, the scenarios and plans (they hold rows of feature values).
//! Feature names can be replaced by neutral tags (`F1` … `Fn`, in model order), so the copy
//! does not say what is measured: the tags replace the names wherever they occur (the model,
//! the rules, the settings, kept scenarios), units are dropped, and training warnings (which name
//! columns) are left out.
//!
//! What a copy still carries: each numeric feature's training range and median (the model needs
//! them for missing inputs and the PLC block for range checks), category levels, and for an SVM
//! its support vectors, which are training rows (standardised); [`model_only`] says so.

use serde::{Deserialize, Serialize};

use super::Project;
use crate::error::{Error, Result};
use crate::model::Estimator;
use crate::model::train::Evaluation;

/// What a model-only copy is, recorded in it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CopyInfo {
    /// True when feature names were replaced by neutral tags.
    pub neutral_names: bool,
    /// Rows the model was trained on in the original project.
    pub train_rows: usize,
    /// Rows it was tested on there (its metrics are from them).
    pub test_rows: usize,
    /// What was left out, in words.
    pub left_out: Vec<String>,
}

/// What goes into a model-only copy besides the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CopyOptions {
    /// Replace feature names by `F1` … `Fn`.
    pub neutral_names: bool,
    /// Keep the what-if scenarios (they hold feature values).
    pub keep_scenarios: bool,
    /// Keep the scored production plans (they hold plan rows and their scores).
    pub keep_plans: bool,
}

/// The tag a feature gets in a copy with neutral names: `F1` for the first.
pub fn neutral_tag(index: usize) -> String {
    format!("F{}", index + 1)
}

/// A model-only copy of `project`, with notes on what it still carries.
///
/// # Errors
/// When the project holds no model.
pub fn model_only(project: &Project, options: &CopyOptions) -> Result<(Project, Vec<String>)> {
    let mut report = project.trained()?.clone();
    let names: Vec<String> = report.model.feature_names().into_iter().map(str::to_owned).collect();
    let info = CopyInfo {
        neutral_names: options.neutral_names,
        train_rows: report.split.train.len(),
        test_rows: report.split.test.len(),
        left_out: left_out(project, *options),
    };
    let notes = strip_rows(&mut report);
    if options.neutral_names {
        neutralise_model(&mut report);
    }
    rename_settings(&mut report.settings, &names, options.neutral_names);
    let rename = |s: &str| match names.iter().position(|n| n == s) {
        Some(i) if options.neutral_names => neutral_tag(i),
        _ => s.to_owned(),
    };
    let mut copy = Project {
        format: project.format.clone(),
        version: super::VERSION,
        created_with: project.created_with.clone(),
        data: None,
        appended: Vec::new(),
        roles: project
            .roles
            .iter()
            .filter(|r| names.contains(&r.column) || r.column == report.model.target)
            .map(|r| super::SavedRole { column: rename(&r.column), role: r.role })
            .collect(),
        model: None,
        rule_set: project.rule_set.clone(),
        scenarios: if options.keep_scenarios { project.scenarios.clone() } else { Vec::new() },
        plans: if options.keep_plans { project.plans.clone() } else { Vec::new() },
        history: {
            // The copy lists the current model's version even when the project kept no history.
            let mut with_current = project.clone();
            with_current.record_current();
            with_current.history
        },
        copy: Some(info),
        extra: serde_json::Map::new(),
        folder: super::Folder::default(),
        sealing: project.sealing.clone(),
    };
    for p in &mut copy.plans {
        p.source = None;
    }
    if options.neutral_names {
        if let Some(rs) = copy.rule_set.as_mut() {
            for (j, f) in rs.features.iter_mut().enumerate() {
                f.name = neutral_tag(j);
                f.unit = None;
            }
            for s in &mut rs.steps {
                s.description = replace_names(&s.description, &names);
            }
        }
        rename_strings(&mut copy.scenarios, &names)?;
        rename_strings(&mut copy.plans, &names)?;
    }
    for v in &mut copy.history {
        v.data.clear();
        v.report = None;
        v.rule_set = None;
        rename_settings(&mut v.settings, &names, options.neutral_names);
    }
    copy.model = Some(report);
    Ok((copy, notes))
}

/// What a copy leaves out of `project`, in words.
fn left_out(project: &Project, options: CopyOptions) -> Vec<String> {
    let mut l = vec![
        "the data file (path and content hash)".to_owned(),
        "the rows the model was trained and tested on (row numbers, actual values, predictions)".to_owned(),
    ];
    if project.history.iter().any(|v| v.report.is_some()) {
        l.push("the models of earlier versions (the history lists them)".to_owned());
    }
    if !options.keep_scenarios && !project.scenarios.is_empty() {
        l.push(format!("{} what-if scenarios", project.scenarios.len()));
    }
    if !options.keep_plans && !project.plans.is_empty() {
        l.push(format!("{} production plans", project.plans.len()));
    }
    if options.neutral_names {
        l.push("the feature names and units (neutral tags F1 … Fn instead), and the training warnings".into());
    }
    l
}

/// Takes the rows out of a training report (split, actual values, predictions), keeping its
/// metrics; gives notes on what the model itself still carries.
fn strip_rows(report: &mut crate::model::train::TrainingReport) -> Vec<String> {
    report.split.train.clear();
    report.split.test.clear();
    match &mut report.evaluation {
        Evaluation::Classification { y_true, proba, .. } => {
            y_true.clear();
            *proba = crate::matrix::Matrix::zeros(0, proba.n_cols());
        }
        Evaluation::Regression { y_true, y_pred, .. } => {
            y_true.clear();
            y_pred.clear();
        }
    }
    let mut notes = Vec::new();
    if let Estimator::SvmClassifier { .. } | Estimator::SvmRegressor { .. } = report.model.estimator {
        notes.push(
            "an SVM carries its support vectors, which are training rows (standardised): they travel in the copy; \
             send a tree, or its PLC export, where no row may leave"
                .to_owned(),
        );
    }
    notes.push(
        "each numeric feature's training range and median stay in the copy (the model fills missing inputs with \
         them); so do category levels"
            .to_owned(),
    );
    notes
}

/// Gives the model's features their neutral tags (encoded columns too), drops their units and
/// the training warnings (which name columns).
fn neutralise_model(report: &mut crate::model::train::TrainingReport) {
    for (j, f) in report.model.pipeline.features.iter_mut().enumerate() {
        f.name = neutral_tag(j);
        f.unit = None;
    }
    let features = report.model.pipeline.features.clone();
    for e in &mut report.model.pipeline.encoded {
        let name = features.get(e.feature).map_or("?", |f| f.name.as_str());
        e.name = match e.level.and_then(|k| features.get(e.feature)?.levels.get(k)) {
            Some(level) => format!("{name} = {level}"),
            None => name.to_owned(),
        };
    }
    report.warnings.clear();
}

/// With neutral names, the settings' feature lists name tags: model features become their tags,
/// and columns that are not model features (left out, or excluded) are dropped, as their names
/// would say what is measured.
fn rename_settings(settings: &mut crate::model::train::TrainSettings, names: &[String], neutral: bool) {
    if !neutral {
        return;
    }
    if let Some(list) = settings.features.as_mut() {
        list.retain(|n| names.contains(n));
        for n in list.iter_mut() {
            if let Some(i) = names.iter().position(|m| m == n) {
                *n = neutral_tag(i);
            }
        }
    }
    settings.exclude.clear();
}

/// `text` with every feature name replaced by its tag, longest names first (so `Torque [Nm]` is
/// replaced before a feature called `Torque`).
fn replace_names(text: &str, names: &[String]) -> String {
    let mut order: Vec<usize> = (0..names.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(names.get(i).map_or(0, String::len)));
    let mut out = text.to_owned();
    for i in order {
        if let Some(n) = names.get(i).filter(|n| !n.is_empty()) {
            out = out.replace(n.as_str(), &neutral_tag(i));
        }
    }
    out
}

/// Replaces every string in `value`'s JSON that is exactly a feature name by its tag.
fn rename_strings<T: Serialize + serde::de::DeserializeOwned>(value: &mut T, names: &[String]) -> Result<()> {
    fn walk(v: &mut serde_json::Value, names: &[String]) {
        match v {
            serde_json::Value::String(s) => {
                if let Some(i) = names.iter().position(|n| n == s) {
                    *s = neutral_tag(i);
                }
            }
            serde_json::Value::Array(a) => a.iter_mut().for_each(|x| walk(x, names)),
            serde_json::Value::Object(o) => o.values_mut().for_each(|x| walk(x, names)),
            _ => {}
        }
    }
    let fail = |e: serde_json::Error| Error::invalid(format!("the copy could not rename the features: {e}"));
    let mut json = serde_json::to_value(&*value).map_err(fail)?;
    walk(&mut json, names);
    *value = serde_json::from_value(json).map_err(fail)?;
    Ok(())
}

impl Project {
    /// What a person opening this project should know is missing or different: a model-only
    /// copy's missing data and neutral names, what was left out, earlier versions that cannot be
    /// restored.
    pub fn notices(&self) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(c) = &self.copy {
            out.push(format!(
                "this copy holds no data: metrics and explanations that need rows are unavailable (the figures it \
                 shows are from the {} held-out rows of the original project); predictions work on data with the \
                 model's columns",
                c.test_rows
            ));
            if c.neutral_names {
                let n = self.model.as_ref().map_or(0, |m| m.model.n_features());
                out.push(format!(
                    "its feature names are neutral tags (F1 … F{n}); data for it must name its columns so"
                ));
            }
            if !c.left_out.is_empty() {
                out.push(format!("left out of this copy: {}", c.left_out.join("; ")));
            }
        }
        let lost: Vec<String> = self
            .history
            .iter()
            .filter(|v| v.report.is_none() && self.current_version().is_none_or(|c| c.number != v.number))
            .map(|v| v.number.to_string())
            .collect();
        if !lost.is_empty() {
            out.push(format!(
                "version{} {} {} listed in the history but not kept in this file, so {} be restored",
                if lost.len() == 1 { "" } else { "s" },
                lost.join(", "),
                if lost.len() == 1 { "is" } else { "are" },
                if lost.len() == 1 { "it cannot" } else { "they cannot" }
            ));
        }
        out
    }
}
