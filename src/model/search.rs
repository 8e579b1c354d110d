//! A small hyperparameter grid, scored by cross-validation on the training rows, run in
//! parallel. The winner is the candidate with the best mean score on the chosen metric.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::cart::TreeParams;
use super::svm::{Gamma, SvmParams};
use super::train::{TrainSettings, TrainingTable, default_split, fit_on_costs, pick, training_table};
use super::{ModelParams, Task, TrainedModel};
use crate::data::Dataset;
use crate::data::split::{Split, SplitMethod, k_folds, split};
use crate::error::{Error, Result};
use crate::metrics::{MetricSummary, classification_metrics, regression_metrics};
use crate::progress::Progress;

/// One scored candidate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Candidate {
    /// Its settings.
    pub params: ModelParams,
    /// Mean and spread of the metric over the folds.
    pub score: MetricSummary,
}

/// The result of a grid search.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchResult {
    /// The task the candidates were scored on.
    pub task: Task,
    /// The metric maximised (`balanced_accuracy` for classification, `r2` for regression).
    pub metric: String,
    /// Every candidate in grid order.
    pub candidates: Vec<Candidate>,
    /// Index of the best candidate.
    pub best: usize,
}

impl SearchResult {
    /// The winning settings.
    pub fn best_params(&self) -> Option<&ModelParams> {
        self.candidates.get(self.best).map(|c| &c.params)
    }
}

/// A default grid around `base`: depths and leaf sizes for trees, C and γ for SVMs.
pub fn default_grid(base: &ModelParams) -> Vec<ModelParams> {
    match base {
        ModelParams::Tree(p) => {
            let mut grid = Vec::new();
            for depth in [Some(3), Some(5), Some(8), None] {
                for leaf in [1, 5, 20] {
                    grid.push(ModelParams::Tree(TreeParams { max_depth: depth, min_samples_leaf: leaf, ..p.clone() }));
                }
            }
            grid
        }
        ModelParams::Svm(p) => {
            let mut grid = Vec::new();
            for c in [0.1, 1.0, 10.0] {
                for gamma in [Gamma::Scale, Gamma::Value(0.05), Gamma::Value(0.5)] {
                    grid.push(ModelParams::Svm(SvmParams { c, gamma, ..p.clone() }));
                }
            }
            grid
        }
    }
}

/// Scores every candidate of `grid` by `k`-fold cross-validation on the training part of the
/// split `settings` describe (the test part stays untouched), in parallel over candidates and
/// folds. Deterministic for a seed.
///
/// # Errors
/// Bad settings, an empty grid, or a cancel.
pub fn grid_search(
    ds: &Dataset,
    settings: &TrainSettings,
    grid: &[ModelParams],
    k: usize,
    progress: &Progress,
) -> Result<SearchResult> {
    if grid.is_empty() {
        return Err(Error::invalid("the search grid is empty"));
    }
    let table = training_table(ds, settings)?;
    let method = settings.split.unwrap_or_else(|| default_split(ds, table.task));
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let labels: Vec<usize> = table.y.iter().map(|&v| v as usize).collect();
    let stratify = (table.task == Task::Classification).then_some(&labels[..]);
    let method = if method == SplitMethod::Stratified && stratify.is_none() { SplitMethod::Random } else { method };
    let timestamps: Option<Vec<f64>> = ds
        .columns
        .iter()
        .find(|c| c.role == crate::data::Role::Timestamp)
        .map(|c| table.rows.iter().map(|&r| c.values.get(r).copied().unwrap_or(f64::NAN)).collect());
    let parts =
        split(table.rows.len(), method, settings.test_fraction, stratify, timestamps.as_deref(), settings.seed)?;
    let train = parts.train;
    let train_labels = pick(&labels, &train);
    let folds: Vec<Split> =
        k_folds(train.len(), k, (table.task == Task::Classification).then_some(&train_labels[..]), settings.seed)?;

    // Candidates that differ only in an SVM's cost are fitted together on each fold, one after
    // the other with the same kernel columns; every other candidate is a group of its own.
    let groups = cost_groups(grid);
    let jobs: Vec<(&[usize], &Split)> =
        groups.iter().flat_map(|g| folds.iter().map(move |fold| (g.as_slice(), fold))).collect();
    let done = std::sync::atomic::AtomicUsize::new(0);
    let scores: Vec<Result<Vec<f64>>> = jobs
        .par_iter()
        .map(|&(group, fold)| {
            progress.check()?;
            let params = group.first().and_then(|&c| grid.get(c)).ok_or_else(|| Error::invalid("empty group"))?;
            let mut s = settings.clone();
            let costs: Option<Vec<f64>> = match params {
                ModelParams::Svm(p) => {
                    s.params = ModelParams::Svm(crate::model::svm::sharing_memory(p, jobs.len()));
                    Some(
                        group
                            .iter()
                            .filter_map(|&c| match grid.get(c) {
                                Some(ModelParams::Svm(p)) => Some(p.c),
                                _ => None,
                            })
                            .collect(),
                    )
                }
                other @ ModelParams::Tree(_) => {
                    s.params = other.clone();
                    None
                }
            };
            let (tr, te) = (pick(&train, &fold.train), pick(&train, &fold.test));
            let (models, _) = fit_on_costs(ds, &table, &tr, &s, costs.as_deref(), &progress.muted())?;
            let scores = models.iter().map(|m| score_fold(ds, &table, m, &te)).collect();
            progress.set_count(done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1, jobs.len());
            scores
        })
        .collect();
    let mut per_candidate = vec![Vec::with_capacity(folds.len()); grid.len()];
    for (&(group, _), s) in jobs.iter().zip(scores) {
        for (&c, s) in group.iter().zip(s?) {
            if let Some(scores) = per_candidate.get_mut(c) {
                scores.push(s);
            }
        }
    }
    let candidates: Vec<Candidate> = grid
        .iter()
        .zip(per_candidate)
        .map(|(p, s)| Ok(Candidate { params: p.clone(), score: MetricSummary::from_values(&s)? }))
        .collect::<Result<_>>()?;
    let best = candidates
        .iter()
        .enumerate()
        .max_by(|a, b| a.1.score.mean.total_cmp(&b.1.score.mean).then(b.0.cmp(&a.0)))
        .map_or(0, |(i, _)| i);
    let metric = if table.task == Task::Classification { "balanced_accuracy" } else { "r2" };
    Ok(SearchResult { task: table.task, metric: metric.into(), candidates, best })
}

/// Candidates by group, in grid order: SVMs whose settings differ only in their cost share a
/// group; any other candidate is alone in its own.
fn cost_groups(grid: &[ModelParams]) -> Vec<Vec<usize>> {
    let mut groups: Vec<Vec<usize>> = Vec::new();
    for (c, params) in grid.iter().enumerate() {
        let same_but_cost = |g: &Vec<usize>| match (g.first().and_then(|&f| grid.get(f)), params) {
            (Some(ModelParams::Svm(a)), ModelParams::Svm(b)) => SvmParams { c: b.c, ..a.clone() } == *b,
            _ => false,
        };
        match groups.iter_mut().find(|g| same_but_cost(g)) {
            Some(g) => g.push(c),
            None => groups.push(vec![c]),
        }
    }
    groups
}

/// The search metric of `model` on the usable-row positions `test`.
fn score_fold(ds: &Dataset, table: &TrainingTable, model: &TrainedModel, test: &[usize]) -> Result<f64> {
    let rows = pick(&table.rows, test);
    let raw = model.raw_rows(ds, &rows)?;
    let preds = model.predict(&raw);
    match table.task {
        Task::Classification => {
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            let y_true: Vec<usize> = pick(&table.y, test).into_iter().map(|v| v as usize).collect();
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            let y_pred: Vec<usize> = preds.iter().map(|p| p.value as usize).collect();
            Ok(classification_metrics(&y_true, &y_pred, table.classes.len(), None)?.balanced_accuracy)
        }
        Task::Regression => {
            let y = pick(&table.y, test);
            let yhat: Vec<f64> = preds.iter().map(|p| p.value).collect();
            Ok(regression_metrics(&y, &yhat)?.r2)
        }
    }
}
