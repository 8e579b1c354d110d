//! Training and honest evaluation: the rows and features a model gets, the split, the fit, the
//! test-set metrics, cross-validation, and the warnings a plant engineer needs (a model that
//! barely beats "always predict no failure", features dropped, rows subsampled).

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::pipeline::{FeatureSpec, Pipeline};
use super::{Estimator, ModelParams, Output, Task, TrainedModel, cart, svm};
use crate::data::split::{Split, SplitMethod, k_folds, split};
use crate::data::{Column, ColumnKind, Dataset, Role};
use crate::error::{Error, Result};
use crate::matrix::Matrix;
use crate::metrics::{ClassificationMetrics, CvSummary, RegressionMetrics, classification_metrics, regression_metrics};
use crate::progress::Progress;

/// Most classes a classification target may have.
pub const MAX_CLASSES: usize = 50;

/// How missing feature values are handled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum MissingStrategy {
    /// Fill with the training median (numbers) or most frequent level (categories).
    #[default]
    Impute,
    /// Leave out training rows with a missing feature (predictions still fill them in).
    DropRows,
}

impl MissingStrategy {
    /// The name on screen and on the command line.
    pub fn label(self) -> &'static str {
        match self {
            Self::Impute => "impute median/mode",
            Self::DropRows => "drop rows",
        }
    }
}

/// Everything that decides a training run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TrainSettings {
    /// The target column.
    pub target: String,
    /// Classification or regression; guessed from the target when `None`.
    pub task: Option<Task>,
    /// Feature columns; the columns with the feature role when `None`.
    pub features: Option<Vec<String>>,
    /// Columns left out of the features.
    pub exclude: Vec<String>,
    /// Learner and settings.
    pub params: ModelParams,
    /// Missing-value handling.
    pub missing: MissingStrategy,
    /// Split method; ordered when the data has a timestamp, else stratified (classification)
    /// or random (regression), when `None`.
    pub split: Option<SplitMethod>,
    /// Share of rows held out for testing.
    pub test_fraction: f64,
    /// Folds of cross-validation on the training part, if any.
    pub cv_folds: Option<usize>,
    /// Seed of every random choice.
    pub seed: u64,
}

impl Default for TrainSettings {
    fn default() -> Self {
        Self {
            target: String::new(),
            task: None,
            features: None,
            exclude: Vec::new(),
            params: ModelParams::default(),
            missing: MissingStrategy::Impute,
            split: None,
            test_fraction: 0.2,
            cv_folds: None,
            seed: 42,
        }
    }
}

/// The training rows an SVM would fit on `ds` with `settings` (the training part of the rows
/// with a target, within the row limit) and its expected fit time in seconds, before starting.
pub fn svm_fit_estimate(ds: &Dataset, settings: &TrainSettings, p: &svm::SvmParams) -> (usize, f64) {
    let usable = ds.target().map_or(0, |t| t.stats.count);
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss, clippy::cast_precision_loss)]
    let all = (usable as f64 * (1.0 - settings.test_fraction)) as usize;
    let rows = if p.max_train_rows > 0 { all.min(p.max_train_rows) } else { all };
    let width: usize = ds.features().map(|(_, c)| if c.kind.has_levels() { c.levels.len() } else { 1 }).sum();
    let task = settings.task.unwrap_or_else(|| guess_task(ds, &settings.target));
    let (pairs, calibrated) = match (task, ds.target()) {
        (Task::Classification, Some(t)) => {
            let k = if t.kind.has_levels() { t.levels.len() } else { t.stats.distinct }.max(2);
            (k * (k - 1) / 2, true)
        }
        _ => (1, false),
    };
    (rows, svm::estimate_fit_secs(rows, width, pairs, calibrated))
}

/// Classification for a text/boolean target or a whole-number one with few values; else
/// regression.
pub fn guess_task(ds: &Dataset, target: &str) -> Task {
    let Some(c) = ds.column(target) else { return Task::Classification };
    match c.kind {
        ColumnKind::Categorical | ColumnKind::Text | ColumnKind::Boolean => Task::Classification,
        ColumnKind::Integer if c.stats.distinct <= 20 => Task::Classification,
        _ => Task::Regression,
    }
}

/// The test-set results a panel draws.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "task", rename_all = "snake_case")]
pub enum Evaluation {
    /// Classifier results.
    Classification {
        /// Metrics on the test rows.
        metrics: ClassificationMetrics,
        /// Actual class of each test row.
        y_true: Vec<usize>,
        /// Predicted class probabilities of each test row.
        proba: Matrix,
    },
    /// Regressor results.
    Regression {
        /// Metrics on the test rows.
        metrics: RegressionMetrics,
        /// Actual value of each test row.
        y_true: Vec<f64>,
        /// Predicted value of each test row.
        y_pred: Vec<f64>,
    },
}

/// What a training run produced.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainingReport {
    /// The fitted model (on the training rows).
    pub model: TrainedModel,
    /// The settings with every `None` resolved.
    pub settings: TrainSettings,
    /// Dataset rows used for training and testing.
    pub split: Split,
    /// Test-set evaluation.
    pub evaluation: Evaluation,
    /// Cross-validation on the training rows, when asked for.
    pub cv: Option<CvSummary>,
    /// Class counts over the usable rows (classification).
    pub class_counts: Vec<usize>,
    /// Things the user should know.
    pub warnings: Vec<String>,
    /// Wall-clock time of the final fit, in seconds (not saved: a project must not depend on
    /// how busy the machine was).
    #[serde(skip)]
    pub fit_secs: f64,
}

/// The rows and columns a model is trained on, before the split.
pub struct TrainingTable {
    /// Raw feature specs (statistics over all usable rows; refitted on the training rows).
    pub feature_columns: Vec<usize>,
    /// Dataset row of each usable row.
    pub rows: Vec<usize>,
    /// Target per usable row: class index or value.
    pub y: Vec<f64>,
    /// Class names (classification).
    pub classes: Vec<String>,
    /// Task.
    pub task: Task,
    /// Notes for the user.
    pub warnings: Vec<String>,
}

/// Checks the settings against the data and gathers the usable rows and features.
///
/// # Errors
/// A clear message for every setting or data problem that stops training.
pub fn training_table(ds: &Dataset, settings: &TrainSettings) -> Result<TrainingTable> {
    let target = ds.column_index(&settings.target).and_then(|j| ds.columns.get(j)).ok_or_else(|| {
        Error::invalid(if settings.target.is_empty() {
            "no target chosen: give one column the target role (or --target COLUMN)".to_owned()
        } else {
            format!(
                "the data has no column '{}' to use as the target{}",
                settings.target,
                suggest(ds, &settings.target)
            )
        })
    })?;
    let task = settings.task.unwrap_or_else(|| guess_task(ds, &settings.target));
    let mut warnings = Vec::new();

    let feature_columns = feature_columns(ds, settings, &mut warnings)?;

    let rows = usable_rows(ds, settings, target, &feature_columns, &mut warnings)?;

    let (y, classes) = match task {
        Task::Classification => class_targets(target, &rows)?,
        Task::Regression => {
            if target.kind.has_levels() {
                return Err(Error::invalid(format!(
                    "the target '{}' holds text, so it cannot be predicted as a number: choose classification",
                    target.name
                )));
            }
            (rows.iter().map(|&r| value_at(target, r)).collect(), Vec::new())
        }
    };
    Ok(TrainingTable { feature_columns, rows, y, classes, task, warnings })
}

/// The feature columns the settings name (or the columns with the feature role), leaving out
/// free text, empty and constant columns with a warning each.
fn feature_columns(ds: &Dataset, settings: &TrainSettings, warnings: &mut Vec<String>) -> Result<Vec<usize>> {
    let names: Vec<String> = match &settings.features {
        Some(list) => list.clone(),
        None => ds.features().map(|(_, c)| c.name.clone()).collect(),
    };
    for e in &settings.exclude {
        if ds.column(e).is_none() {
            return Err(Error::invalid(format!(
                "--exclude names a column the data does not have: '{e}'{}",
                suggest(ds, e)
            )));
        }
    }
    let mut feature_columns = Vec::new();
    for name in names.iter().filter(|n| !settings.exclude.contains(n)) {
        if *name == settings.target {
            return Err(Error::invalid(format!(
                "'{name}' is the target and cannot also be a feature; leave it out of the features"
            )));
        }
        let (j, c) = ds
            .column_index(name)
            .and_then(|j| Some((j, ds.columns.get(j)?)))
            .ok_or_else(|| Error::invalid(format!("the data has no feature column '{name}'{}", suggest(ds, name))))?;
        if c.kind == ColumnKind::Text {
            warnings.push(format!("'{name}' holds free text ({} distinct values) and is left out", c.stats.distinct));
            continue;
        }
        if c.stats.count == 0 {
            warnings.push(format!("'{name}' is empty in every row and is left out"));
            continue;
        }
        if c.stats.distinct <= 1 {
            warnings.push(format!("'{name}' has the same value in every row, so it cannot inform the model; left out"));
            continue;
        }
        feature_columns.push(j);
    }
    if feature_columns.is_empty() {
        return Err(Error::invalid("no usable feature columns: give at least one column the feature role"));
    }
    Ok(feature_columns)
}

/// The rows to train and test on: those with a target value, and with every feature present
/// when missing values drop rows.
fn usable_rows(
    ds: &Dataset,
    settings: &TrainSettings,
    target: &Column,
    feature_columns: &[usize],
    warnings: &mut Vec<String>,
) -> Result<Vec<usize>> {
    // Usable rows: a target value, and (when dropping) every feature present.
    let mut rows: Vec<usize> = (0..ds.n_rows()).filter(|&r| !value_at(target, r).is_nan()).collect();
    let missing_target = ds.n_rows() - rows.len();
    if missing_target > 0 {
        warnings.push(format!("{missing_target} rows have no target value and are left out"));
    }
    if settings.missing == MissingStrategy::DropRows {
        let before = rows.len();
        rows.retain(|&r| feature_columns.iter().all(|&j| ds.columns.get(j).is_some_and(|c| !value_at(c, r).is_nan())));
        if rows.len() < before {
            warnings.push(format!("{} rows with a missing feature value are left out", before - rows.len()));
        }
    }
    if rows.len() < 10 {
        return Err(Error::invalid(format!(
            "only {} usable rows (with a target value{}); a model needs at least 10",
            rows.len(),
            if settings.missing == MissingStrategy::DropRows { " and every feature present" } else { "" }
        )));
    }
    if feature_columns.len() > rows.len() {
        warnings.push(format!(
            "there are more features ({}) than rows ({}); expect the model to fit noise",
            feature_columns.len(),
            rows.len()
        ));
    }
    Ok(rows)
}

/// A classification target as class indices over `rows`, with the class names (the levels
/// present, or the distinct numbers as text).
fn class_targets(target: &Column, rows: &[usize]) -> Result<(Vec<f64>, Vec<String>)> {
    let (levels, code_of): (Vec<String>, Vec<Option<usize>>) = if target.kind.has_levels() {
        let mut present = vec![false; target.levels.len()];
        for &r in rows {
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            if let Some(p) = present.get_mut(value_at(target, r) as usize) {
                *p = true;
            }
        }
        let mut code = vec![None; target.levels.len()];
        let mut levels = Vec::new();
        for ((l, &is_present), code) in target.levels.iter().zip(&present).zip(&mut code) {
            if is_present {
                *code = Some(levels.len());
                levels.push(l.clone());
            }
        }
        (levels, code)
    } else {
        let mut distinct: Vec<f64> = rows.iter().map(|&r| value_at(target, r)).collect();
        distinct.sort_by(f64::total_cmp);
        distinct.dedup();
        if distinct.len() > MAX_CLASSES {
            return Err(Error::invalid(format!(
                "the target '{}' has {} distinct values, too many for classes (at most {MAX_CLASSES}); \
                 it looks like a measurement: choose regression",
                target.name,
                distinct.len()
            )));
        }
        let levels = distinct.iter().map(|&v| target.format_value(v)).collect();
        // Codes for numeric targets are looked up by value below.
        (levels, distinct.iter().map(|_| None).collect())
    };
    if levels.len() > MAX_CLASSES {
        return Err(Error::invalid(format!(
            "the target '{}' has {} classes; Glassbox handles at most {MAX_CLASSES}. Group rare classes first",
            target.name,
            levels.len()
        )));
    }
    if levels.len() < 2 {
        return Err(Error::invalid(format!(
            "the target '{}' has only one class ({}) in the usable rows; a classifier needs at least two",
            target.name,
            levels.first().map_or("none", String::as_str)
        )));
    }
    let y: Vec<f64> = if target.kind.has_levels() {
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        rows.iter()
            .map(|&r| code_of.get(value_at(target, r) as usize).copied().flatten().map_or(0.0, |c| c as f64))
            .collect()
    } else {
        rows.iter()
            .map(|&r| {
                levels.iter().position(|l| *l == target.format_value(value_at(target, r))).map_or(0.0, |c| c as f64)
            })
            .collect()
    };
    Ok((y, levels))
}

/// The value of column `c` in dataset row `r`; NaN (missing) past its end.
fn value_at(c: &Column, r: usize) -> f64 {
    c.values.get(r).copied().unwrap_or(f64::NAN)
}

/// The entries of `values` at `positions`, in that order (positions past the end are skipped).
pub(crate) fn pick<T: Copy>(values: &[T], positions: &[usize]) -> Vec<T> {
    positions.iter().filter_map(|&p| values.get(p).copied()).collect()
}

/// Names the closest column when a name is misspelled.
pub fn suggest(ds: &Dataset, name: &str) -> String {
    closest(name, ds.columns.iter().map(|c| c.name.as_str()))
        .map(|n| format!(" (did you mean '{n}'?)"))
        .unwrap_or_default()
}

/// The closest of `candidates` to a misspelt `name` (case-insensitive edit distance to the
/// whole name or to the name before its unit).
pub fn closest<'a>(name: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    let lower = name.to_lowercase();
    let distance = |c: &str| {
        let c = c.to_lowercase();
        let whole = edit_distance(&lower, &c);
        // "Torqe" means "Torque [Nm]": compare with the name before its unit too.
        let stem = c.split(['[', '(']).next().unwrap_or_default().trim();
        if stem.is_empty() || stem.len() == c.len() { whole } else { whole.min(edit_distance(&lower, stem)) }
    };
    candidates
        .map(|c| (distance(c), c))
        .min_by_key(|(d, _)| *d)
        .filter(|(d, _)| *d <= 3.max(name.chars().count() / 3))
        .map(|(_, c)| c)
}

/// Levenshtein distance over characters.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        // cur[j + 1] from prev[j] (substitute), prev[j + 1] (delete) and cur[j] (insert).
        let mut cur = Vec::with_capacity(b.len() + 1);
        let mut left = i + 1;
        cur.push(left);
        for (&cb, (&diagonal, &up)) in b.iter().zip(prev.iter().zip(prev.iter().skip(1))) {
            left = (diagonal + usize::from(ca != cb)).min(up + 1).min(left + 1);
            cur.push(left);
        }
        prev = cur;
    }
    prev.last().copied().unwrap_or(0)
}

/// The raw feature matrix of dataset rows `rows` over `feature_columns`.
fn raw_matrix(ds: &Dataset, feature_columns: &[usize], rows: &[usize]) -> Matrix {
    let mut m = Matrix::zeros(rows.len(), feature_columns.len());
    for (i, &r) in rows.iter().enumerate() {
        for (j, &c) in feature_columns.iter().enumerate() {
            m.set(i, j, ds.columns.get(c).map_or(f64::NAN, |col| value_at(col, r)));
        }
    }
    m
}

/// Fits pipeline and estimator on the given usable-row positions of `table`.
///
/// # Errors
/// When the learner fails or the job is cancelled.
pub fn fit_on(
    ds: &Dataset,
    table: &TrainingTable,
    positions: &[usize],
    settings: &TrainSettings,
    progress: &Progress,
) -> Result<(TrainedModel, Vec<String>)> {
    let (mut models, notes) = fit_on_costs(ds, table, positions, settings, None, progress)?;
    let model = models.pop().ok_or_else(|| Error::invalid("the learner returned no model"))?;
    Ok((model, notes))
}

/// As [`fit_on`], for an SVM once for each cost of `costs` (every other setting from
/// `settings`; `None` is the settings' own cost) sharing the pipeline and the kernel columns
/// between them (see [`svm::fit_classifier_path`]); a tree ignores `costs` and gives one model.
///
/// # Errors
/// As [`fit_on`].
pub fn fit_on_costs(
    ds: &Dataset,
    table: &TrainingTable,
    positions: &[usize],
    settings: &TrainSettings,
    costs: Option<&[f64]>,
    progress: &Progress,
) -> Result<(Vec<TrainedModel>, Vec<String>)> {
    let mut notes = Vec::new();
    let mut positions = positions.to_vec();
    if let ModelParams::Svm(p) = &settings.params
        && p.max_train_rows > 0
        && positions.len() > p.max_train_rows.max(10)
    {
        let before = positions.len();
        positions = subsample(&positions, &table.y, table.task, p.max_train_rows.max(10), settings.seed);
        notes.push(format!(
            "the SVM was trained on a sample of {} of the {before} training rows, as its row limit asks \
             (stratified for a classifier); set the limit to 0 to use every row",
            positions.len()
        ));
    }
    let rows = pick(&table.rows, &positions);
    let specs: Vec<FeatureSpec> = table
        .feature_columns
        .iter()
        .map(|&j| {
            let c = ds.columns.get(j).ok_or_else(|| Error::invalid(format!("the data has no column {}", j + 1)))?;
            Ok(FeatureSpec::from_column(c, &rows))
        })
        .collect::<Result<_>>()?;
    let raw = raw_matrix(ds, &table.feature_columns, &rows);
    let standardize = matches!(settings.params, ModelParams::Svm(_));
    let pipeline = Pipeline::fit(specs, &raw, standardize);
    let x = pipeline.encode(&raw);
    progress.check()?;
    let y = pick(&table.y, &positions);
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let classes_of = |y: &[f64]| -> Vec<usize> { y.iter().map(|&v| v as usize).collect() };
    let estimators: Vec<Estimator> = match (&settings.params, table.task) {
        (ModelParams::Tree(p), Task::Classification) => vec![Estimator::TreeClassifier {
            tree: cart::fit_classifier(&x, &classes_of(&y), table.classes.len(), p, progress)?,
        }],
        (ModelParams::Tree(p), Task::Regression) => {
            vec![Estimator::TreeRegressor { tree: cart::fit_regressor(&x, &y, p, progress)? }]
        }
        (ModelParams::Svm(p), Task::Classification) => {
            let present: std::collections::BTreeSet<usize> = classes_of(&y).into_iter().collect();
            if present.len() < table.classes.len() {
                return Err(Error::invalid(
                    "a class is missing from the training rows; use a stratified split or more data",
                ));
            }
            let costs = costs.unwrap_or(std::slice::from_ref(&p.c));
            svm::fit_classifier_path(&x, &classes_of(&y), table.classes.len(), p, costs, settings.seed, progress)?
                .into_iter()
                .map(|model| Estimator::SvmClassifier { model })
                .collect()
        }
        (ModelParams::Svm(p), Task::Regression) => {
            let costs = costs.unwrap_or(std::slice::from_ref(&p.c));
            svm::fit_regressor_path(&x, &y, p, costs, progress)?
                .into_iter()
                .map(|model| Estimator::SvmRegressor { model })
                .collect()
        }
    };
    let models = estimators
        .into_iter()
        .map(|estimator| TrainedModel {
            task: table.task,
            target: settings.target.clone(),
            classes: table.classes.clone(),
            pipeline: pipeline.clone(),
            estimator,
        })
        .collect();
    Ok((models, notes))
}

/// A stratified (classification) or plain seeded sample of `n` positions, in ascending order.
fn subsample(positions: &[usize], y: &[f64], task: Task, n: usize, seed: u64) -> Vec<usize> {
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let labels: Vec<usize> = match task {
        Task::Classification => pick(y, positions).into_iter().map(|v| v as usize).collect(),
        Task::Regression => vec![0; positions.len()],
    };
    let fraction = n as f64 / positions.len() as f64;
    let method = if task == Task::Classification { SplitMethod::Stratified } else { SplitMethod::Random };
    match split(positions.len(), method, 1.0 - fraction, Some(&labels), None, seed) {
        Ok(s) => pick(positions, &s.train),
        Err(_) => positions.to_vec(),
    }
}

/// Evaluates a model on usable-row positions.
fn evaluate(ds: &Dataset, table: &TrainingTable, model: &TrainedModel, positions: &[usize]) -> Result<Evaluation> {
    let rows = pick(&table.rows, positions);
    let raw = raw_matrix(ds, &table.feature_columns, &rows);
    let preds = model.predict(&raw);
    match table.task {
        Task::Classification => {
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            let y_true: Vec<usize> = pick(&table.y, positions).into_iter().map(|v| v as usize).collect();
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            let y_pred: Vec<usize> = preds.iter().map(|p| p.value as usize).collect();
            let k = table.classes.len();
            let mut proba = Matrix::zeros(preds.len(), k);
            for (i, p) in preds.iter().enumerate() {
                for (c, &v) in p.probabilities.iter().enumerate().take(k) {
                    proba.set(i, c, v);
                }
            }
            let metrics = classification_metrics(&y_true, &y_pred, k, Some(&proba))?;
            Ok(Evaluation::Classification { metrics, y_true, proba })
        }
        Task::Regression => {
            let y_true = pick(&table.y, positions);
            let y_pred: Vec<f64> = preds.iter().map(|p| p.value).collect();
            let metrics = regression_metrics(&y_true, &y_pred)?;
            Ok(Evaluation::Regression { metrics, y_true, y_pred })
        }
    }
}

/// Resolves the split method a user would expect when none is set.
pub fn default_split(ds: &Dataset, task: Task) -> SplitMethod {
    if ds.columns.iter().any(|c| c.role == Role::Timestamp) {
        SplitMethod::Ordered
    } else if task == Task::Classification {
        SplitMethod::Stratified
    } else {
        SplitMethod::Random
    }
}

/// Trains and evaluates a model as `settings` say.
///
/// # Errors
/// A clear message for bad settings or data; `Cancelled` when the user stops it.
pub fn train(ds: &Dataset, settings: &TrainSettings, progress: &Progress) -> Result<TrainingReport> {
    progress.set_stage("checking the data");
    let table = training_table(ds, settings)?;
    let mut settings = settings.clone();
    settings.task = Some(table.task);
    let method = settings.split.unwrap_or_else(|| default_split(ds, table.task));
    settings.split = Some(method);
    let mut warnings = table.warnings.clone();

    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let labels: Vec<usize> = table.y.iter().map(|&v| v as usize).collect();
    let timestamps: Option<Vec<f64>> = ds
        .columns
        .iter()
        .find(|c| c.role == Role::Timestamp)
        .map(|c| table.rows.iter().map(|&r| value_at(c, r)).collect());
    let stratify = (table.task == Task::Classification).then_some(&labels[..]);
    let method = if method == SplitMethod::Stratified && stratify.is_none() { SplitMethod::Random } else { method };
    let parts =
        split(table.rows.len(), method, settings.test_fraction, stratify, timestamps.as_deref(), settings.seed)?;

    // Cross-validation on the training part.
    let cv = match settings.cv_folds {
        Some(k) => {
            progress.set_stage(format!("{k}-fold cross-validation"));
            Some(cross_validate(ds, &table, &parts.train, &settings, k, method, &progress.sub(0.0, 0.6))?)
        }
        None => None,
    };
    let fit_progress = progress.sub(if cv.is_some() { 0.6 } else { 0.0 }, 0.95);
    progress.set_stage("fitting");
    let started = std::time::Instant::now();
    let (model, notes) = fit_on(ds, &table, &parts.train, &settings, &fit_progress)?;
    let fit_secs = started.elapsed().as_secs_f64();
    warnings.extend(notes);
    warnings.extend(fit_progress.take_notes());
    progress.set_stage("evaluating");
    let evaluation = evaluate(ds, &table, &model, &parts.test)?;
    let class_counts = if table.task == Task::Classification {
        let mut counts = vec![0usize; table.classes.len()];
        for &c in &labels {
            if let Some(n) = counts.get_mut(c) {
                *n += 1;
            }
        }
        counts
    } else {
        Vec::new()
    };
    if let Evaluation::Classification { metrics, .. } = &evaluation {
        warnings.extend(baseline_warning(metrics, &model.classes));
    }
    progress.set(1.0);
    let split = Split { train: pick(&table.rows, &parts.train), test: pick(&table.rows, &parts.test) };
    Ok(TrainingReport { model, settings, split, evaluation, cv, class_counts, warnings, fit_secs })
}

/// How much better than "always predict the most common class" a model must be before we stop
/// warning (in accuracy points).
pub const BASELINE_MARGIN: f64 = 0.02;

/// A warning when accuracy barely beats the do-nothing baseline.
pub fn baseline_warning(m: &ClassificationMetrics, classes: &[String]) -> Option<String> {
    let majority = m.class_counts.iter().enumerate().max_by_key(|(_, n)| **n).map_or(0, |(i, _)| i);
    let name = classes.get(majority).map_or("the most common class", String::as_str);
    (m.accuracy - m.majority_baseline_accuracy < BASELINE_MARGIN).then(|| {
        format!(
            "accuracy {:.1} % is within {:.0} points of always predicting '{name}' ({:.1} %); \
             judge this model by recall, F1 and balanced accuracy instead",
            m.accuracy * 100.0,
            BASELINE_MARGIN * 100.0,
            m.majority_baseline_accuracy * 100.0
        )
    })
}

/// k-fold cross-validation over usable-row positions `train` (blocked folds, in time order,
/// when the split is ordered; stratified for classification otherwise).
fn cross_validate(
    ds: &Dataset,
    table: &TrainingTable,
    train: &[usize],
    settings: &TrainSettings,
    k: usize,
    method: SplitMethod,
    progress: &Progress,
) -> Result<CvSummary> {
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let labels: Vec<usize> = pick(&table.y, train).into_iter().map(|v| v as usize).collect();
    if table.task == Task::Classification {
        let mut counts = vec![0usize; table.classes.len()];
        for &c in &labels {
            if let Some(n) = counts.get_mut(c) {
                *n += 1;
            }
        }
        if let Some((c, n)) = counts.iter().enumerate().find(|(_, n)| **n < k && **n > 0) {
            return Err(Error::invalid(format!(
                "class '{}' has only {n} training rows, fewer than the {k} folds; use fewer folds",
                table.classes.get(c).map_or("?", String::as_str)
            )));
        }
    }
    let folds = if method == SplitMethod::Ordered {
        blocked_folds(train.len(), k)?
    } else {
        k_folds(train.len(), k, (table.task == Task::Classification).then_some(&labels[..]), settings.seed)?
    };
    let done = std::sync::atomic::AtomicUsize::new(0);
    let results: Vec<Result<Evaluation>> = folds
        .par_iter()
        .map(|fold| {
            progress.check()?;
            let (tr, te) = (pick(train, &fold.train), pick(train, &fold.test));
            let (model, _) = fit_on(ds, table, &tr, settings, &progress.muted())?;
            let e = evaluate(ds, table, &model, &te);
            let d = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
            progress.set_count(d, k);
            e
        })
        .collect();
    let mut cls: Vec<ClassificationMetrics> = Vec::new();
    let mut reg: Vec<RegressionMetrics> = Vec::new();
    for r in results {
        match r? {
            Evaluation::Classification { metrics, .. } => cls.push(metrics),
            Evaluation::Regression { metrics, .. } => reg.push(metrics),
        }
    }
    if cls.is_empty() { CvSummary::from_folds(&reg) } else { CvSummary::from_folds(&cls) }
}

/// `k` contiguous folds in the given (time) order.
fn blocked_folds(n: usize, k: usize) -> Result<Vec<Split>> {
    if k < 2 || n < 2 * k {
        return Err(Error::invalid(format!("{k}-fold cross-validation needs at least {} rows; there are {n}", 2 * k)));
    }
    Ok((0..k)
        .map(|f| {
            let (lo, hi) = (f * n / k, (f + 1) * n / k);
            Split { train: (0..lo).chain(hi..n).collect(), test: (lo..hi).collect() }
        })
        .collect())
}

impl TrainingReport {
    /// The output explanations of this model explain by default.
    pub fn default_output(&self) -> Output {
        self.model.default_output()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edit_distance_and_suggestions() {
        assert_eq!(edit_distance("torque", "torque [nm]"), 5);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }

    #[test]
    fn blocked_folds_are_contiguous() {
        let f = blocked_folds(10, 3).expect("folds");
        assert_eq!(f[0].test, [0, 1, 2]);
        assert_eq!(f[2].test, [6, 7, 8, 9]);
    }
}

/// What the threshold slider and the curves of a binary classifier need, computed once.
#[derive(Debug, Clone)]
pub struct BinaryCurves {
    /// ROC curve of the positive class's probability.
    pub roc: crate::metrics::RocCurve,
    /// Precision–recall curve.
    pub pr: crate::metrics::PrCurve,
    /// Confusion matrix at any threshold in O(log n).
    pub at_threshold: crate::metrics::ThresholdConfusion,
}

impl Evaluation {
    /// Curves for a two-class evaluation (positive = class 1); `None` otherwise or when the
    /// test rows hold only one class.
    pub fn binary_curves(&self) -> Option<BinaryCurves> {
        let Self::Classification { y_true, proba, .. } = self else { return None };
        if proba.n_cols() != 2 {
            return None;
        }
        let positive: Vec<bool> = y_true.iter().map(|&c| c == 1).collect();
        let score = proba.column(1);
        Some(BinaryCurves {
            roc: crate::metrics::roc_curve(&positive, &score).ok()?,
            pr: crate::metrics::precision_recall_curve(&positive, &score).ok()?,
            at_threshold: crate::metrics::ThresholdConfusion::new(&positive, &score).ok()?,
        })
    }
}
