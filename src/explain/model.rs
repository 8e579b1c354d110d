//! Explanations of a [`TrainedModel`] in the features a person knows.
//!
//! The algorithms in the sibling modules work on plain matrices; this module feeds them a
//! model's rows and folds the answers back onto its raw features: TreeSHAP runs on the encoded
//! rows the tree was fitted on and the values of a one-hot encoded category are summed into one
//! feature; KernelSHAP, LIME, permutation importance and partial dependence treat the whole
//! pipeline (imputation, encoding, scaling, estimator) as the black box, so they see raw features
//! directly.

use serde::{Deserialize, Serialize};

use super::kernel_shap::{Background, KernelShapOptions, kernel_shap, kmeans_background, sample_background};
use super::lime::{LimeExplainer, LimeExplanation, LimeOptions};
use super::pdp::{PartialDependence, PdpOptions, partial_dependence};
use super::permutation::{PermutationImportance, PermutationOptions, permutation_importance};
use super::tree_shap;
use crate::data::Dataset;
use crate::error::{Error, Result};
use crate::matrix::Matrix;
use crate::model::pipeline::FeatureKind;
use crate::model::{Output, Task, TrainedModel};
use crate::progress::Progress;

/// A local explanation method.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Method {
    /// Exact path-dependent TreeSHAP (trees only).
    TreeShap,
    /// Exact interventional TreeSHAP against background rows (trees only).
    InterventionalShap,
    /// KernelSHAP, for any model.
    KernelShap,
    /// LIME, for any model.
    Lime,
}

impl Method {
    /// Every method, in menu order.
    pub const ALL: [Self; 4] = [Self::TreeShap, Self::InterventionalShap, Self::KernelShap, Self::Lime];

    /// The name on the command line.
    pub fn label(self) -> &'static str {
        match self {
            Self::TreeShap => "tree-shap",
            Self::InterventionalShap => "interventional-shap",
            Self::KernelShap => "kernel-shap",
            Self::Lime => "lime",
        }
    }

    /// True for the methods that need a tree.
    pub fn needs_tree(self) -> bool {
        matches!(self, Self::TreeShap | Self::InterventionalShap)
    }
}

/// Settings of a local explanation.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct LocalOptions {
    /// The method.
    pub method: Method,
    /// The explained output; the model's default when `None`.
    pub output: Option<Output>,
    /// Background rows (interventional SHAP: a seeded sample of training rows; KernelSHAP:
    /// k-means centres of the training rows).
    pub background: usize,
    /// KernelSHAP coalitions per row (`None`: 2·M + 2048) or LIME samples (`None`: 5,000).
    pub samples: Option<usize>,
    /// Seed of every random choice.
    pub seed: u64,
}

impl Default for LocalOptions {
    fn default() -> Self {
        Self { method: Method::TreeShap, output: None, background: 100, samples: None, seed: 0 }
    }
}

/// Per-row attributions on the model's raw features.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LocalExplanations {
    /// How they were computed.
    pub method: Method,
    /// What they explain.
    pub output: Output,
    /// Feature names, in the model's order.
    pub features: Vec<String>,
    /// Dataset rows explained.
    pub rows: Vec<usize>,
    /// The model's output for each row.
    pub predictions: Vec<f64>,
    /// SHAP: the expected output (the same for every row); LIME: each row's surrogate intercept.
    pub base_values: Vec<f64>,
    /// One row per explained row, one column per feature.
    pub values: Matrix,
    /// LIME's surrogate details (local R², conditions), when the method is LIME.
    pub lime: Option<Vec<LimeExplanation>>,
}

impl LocalExplanations {
    /// Mean absolute attribution per feature (global importance).
    pub fn mean_abs(&self) -> Vec<f64> {
        let n = self.values.n_rows().max(1) as f64;
        (0..self.values.n_cols())
            .map(|j| (0..self.values.n_rows()).map(|i| self.values.get(i, j).abs()).sum::<f64>() / n)
            .collect()
    }
}

fn output_index(model: &TrainedModel, output: Output) -> Result<usize> {
    match (model.task, output) {
        (Task::Regression, Output::Value) => Ok(0),
        (Task::Classification, Output::Probability(c)) if c < model.classes.len() => Ok(c),
        (Task::Classification, Output::Probability(c)) => {
            Err(Error::invalid(format!("class {c} does not exist; the model has {} classes", model.classes.len())))
        }
        (Task::Classification, Output::Value) => {
            Err(Error::invalid("a classifier explains a class probability: choose a class"))
        }
        (Task::Regression, Output::Probability(_)) => {
            Err(Error::invalid("a regression model has no classes to explain"))
        }
    }
}

/// Raw rows with missing values filled as the pipeline fills them (LIME and k-means need
/// complete rows).
fn imputed(model: &TrainedModel, raw: &Matrix) -> Matrix {
    let mut m = raw.clone();
    for i in 0..m.n_rows() {
        for (j, f) in model.pipeline.features.iter().enumerate() {
            if m.get(i, j).is_nan() {
                m.set(i, j, f.fill);
            }
        }
    }
    m
}

/// Explains dataset rows `rows` with `options`; `background_rows` (usually the training rows)
/// supply the background and LIME's sampling distribution.
///
/// # Errors
/// A tree method on a non-tree model, bad rows or output, or a cancel.
pub fn explain_rows(
    model: &TrainedModel,
    ds: &Dataset,
    rows: &[usize],
    background_rows: &[usize],
    options: &LocalOptions,
    progress: &Progress,
) -> Result<LocalExplanations> {
    let output = options.output.unwrap_or_else(|| model.default_output());
    let k = output_index(model, output)?;
    if rows.is_empty() {
        return Err(Error::invalid("no rows to explain"));
    }
    if let Some(&r) = rows.iter().find(|&&r| r >= ds.n_rows()) {
        return Err(Error::invalid(format!("row {r} does not exist; the data has {} rows", ds.n_rows())));
    }
    let raw = model.raw_rows(ds, rows)?;
    let features: Vec<String> = model.feature_names().iter().map(|s| (*s).to_owned()).collect();
    let black_box = |m: &Matrix| model.output(m, output);
    let background_raw = || -> Result<Matrix> {
        if background_rows.is_empty() {
            return Err(Error::invalid("no background rows: the model has no training rows recorded"));
        }
        Ok(imputed(model, &model.raw_rows(ds, background_rows)?))
    };
    let (base_values, predictions, values, lime) = match options.method {
        Method::TreeShap | Method::InterventionalShap => {
            let tree = model
                .tree()
                .ok_or_else(|| Error::invalid("TreeSHAP explains tree models; use kernel-shap or lime for an SVM"))?;
            let x = model.pipeline.encode(&raw);
            let shap = if options.method == Method::TreeShap {
                tree_shap::path_dependent(tree, &x, k, progress)?
            } else {
                let (bg, _) = sample_background(&background_raw()?, options.background.max(1), options.seed)?;
                tree_shap::interventional(tree, &x, &model.pipeline.encode(&bg), k, progress)?
            };
            let mut values = Matrix::zeros(rows.len(), model.n_features());
            for i in 0..rows.len() {
                values.row_mut(i).copy_from_slice(&model.pipeline.sum_groups(shap.values.row(i)));
            }
            (vec![shap.base_value; rows.len()], shap.predictions, values, None)
        }
        Method::KernelShap => {
            let bg_all = background_raw()?;
            let (centres, weights) = if bg_all.n_rows() > options.background.max(1) {
                kmeans_background(&bg_all, options.background.max(1), options.seed, &progress.sub(0.0, 0.05))?
            } else {
                let n = bg_all.n_rows();
                (bg_all, vec![1.0 / n as f64; n])
            };
            let background = Background::new(centres, weights)?;
            let opts = KernelShapOptions { n_samples: options.samples, seed: options.seed };
            let shap = kernel_shap(&black_box, &background, &raw, &opts, &progress.sub(0.05, 1.0))?;
            (vec![shap.base_value; rows.len()], shap.predictions, shap.values, None)
        }
        Method::Lime => {
            let training = background_raw()?;
            let categorical: Vec<usize> = model
                .pipeline
                .features
                .iter()
                .enumerate()
                .filter(|(_, f)| f.kind == FeatureKind::Categorical)
                .map(|(j, _)| j)
                .collect();
            let explainer = LimeExplainer::new(&training, &categorical)?;
            let opts = LimeOptions {
                n_samples: options.samples.unwrap_or(5000),
                seed: options.seed,
                ..LimeOptions::default()
            };
            let ex = explainer.explain(&black_box, &imputed(model, &raw), &opts, progress)?;
            let mut values = Matrix::zeros(rows.len(), model.n_features());
            for (i, e) in ex.iter().enumerate() {
                values.row_mut(i).copy_from_slice(&e.weights);
            }
            (ex.iter().map(|e| e.intercept).collect(), ex.iter().map(|e| e.prediction).collect(), values, Some(ex))
        }
    };
    Ok(LocalExplanations {
        method: options.method,
        output,
        features,
        rows: rows.to_vec(),
        predictions,
        base_values,
        values,
        lime,
    })
}

/// The target of dataset rows as the model codes it: class index or value (`NaN` where
/// missing or a class the model does not know).
pub fn target_codes(model: &TrainedModel, ds: &Dataset, rows: &[usize]) -> Result<Vec<f64>> {
    let t = ds
        .column(&model.target)
        .ok_or_else(|| Error::invalid(format!("the data has no target column '{}'", model.target)))?;
    Ok(rows
        .iter()
        .map(|&r| {
            let v = t.values.get(r).copied().unwrap_or(f64::NAN);
            match model.task {
                Task::Regression => v,
                Task::Classification if v.is_nan() => f64::NAN,
                Task::Classification => {
                    let text = t.format_value(v);
                    model.classes.iter().position(|c| *c == text).map_or(f64::NAN, |c| c as f64)
                }
            }
        })
        .collect())
}

/// Permutation importance of every raw feature on dataset rows `rows` (held-out rows): the
/// drop in accuracy (classification) or R² (regression) when the feature is shuffled.
///
/// # Errors
/// When the rows have no target values or the job is cancelled.
pub fn permutation(
    model: &TrainedModel,
    ds: &Dataset,
    rows: &[usize],
    options: &PermutationOptions,
    progress: &Progress,
) -> Result<PermutationImportance> {
    let y_all = target_codes(model, ds, rows)?;
    let (rows, y): (Vec<usize>, Vec<f64>) =
        rows.iter().zip(&y_all).filter(|(_, y)| !y.is_nan()).map(|(&row, &y)| (row, y)).unzip();
    if rows.is_empty() {
        return Err(Error::invalid("permutation importance needs rows with a known target value"));
    }
    let raw = model.raw_rows(ds, &rows)?;
    let task = model.task;
    let score = |m: &Matrix| -> f64 {
        let preds = model.predict(m);
        match task {
            Task::Classification => {
                preds.iter().zip(&y).filter(|(p, t)| p.value == **t).count() as f64 / y.len() as f64
            }
            Task::Regression => {
                let mean = y.iter().sum::<f64>() / y.len() as f64;
                let ss_tot: f64 = y.iter().map(|t| (t - mean).powi(2)).sum();
                let ss_res: f64 = preds.iter().zip(&y).map(|(p, t)| (t - p.value).powi(2)).sum();
                crate::numeric::r2_from_sums(ss_res, ss_tot)
            }
        }
    };
    let groups = super::permutation::single_columns(model.n_features());
    permutation_importance(&score, &raw, &groups, options, progress)
}

/// Impurity importance of a tree model per raw feature: the cover-weighted decrease of Gini
/// impurity (classification) or variance (regression) at the splits on each feature,
/// normalised to sum to 1 (scikit-learn's `feature_importances_`). `None` for other models.
pub fn impurity_importance(model: &TrainedModel) -> Option<Vec<f64>> {
    let tree = model.tree()?;
    let impurity = |n: usize| -> f64 {
        let v = tree.value(n);
        match model.task {
            Task::Classification => 1.0 - v.iter().map(|p| p * p).sum::<f64>(),
            Task::Regression => 0.0,
        }
    };
    // For regression trees the node variance is not stored; recompute from the children's means:
    // the variance decrease of a split is n_l·n_r/n · (mean_l − mean_r)².
    let mut encoded = vec![0.0; tree.n_features];
    let cover = |n: usize| tree.cover.get(n).copied().unwrap_or(0.0);
    let mean = |n: usize| tree.value(n).first().copied().unwrap_or(0.0);
    for (n, (&l, &r)) in tree.left.iter().zip(&tree.right).enumerate() {
        if tree.is_leaf(n) {
            continue;
        }
        let (c, cl, cr) = (cover(n), cover(l), cover(r));
        let gain = match model.task {
            Task::Classification => c * impurity(n) - cl * impurity(l) - cr * impurity(r),
            Task::Regression => {
                let (ml, mr) = (mean(l), mean(r));
                if c > 0.0 { cl * cr / c * (ml - mr).powi(2) } else { 0.0 }
            }
        };
        if let Some(e) = tree.feature.get(n).and_then(|&f| encoded.get_mut(f)) {
            *e += gain.max(0.0);
        }
    }
    let raw = model.pipeline.sum_groups(&encoded);
    let total: f64 = raw.iter().sum();
    Some(if total > 0.0 { raw.iter().map(|v| v / total).collect() } else { raw })
}

/// Partial dependence and ICE curves of raw feature `feature` over dataset rows `rows`.
///
/// # Errors
/// A feature out of range, a feature without spread, or a cancel.
pub fn pdp(
    model: &TrainedModel,
    ds: &Dataset,
    rows: &[usize],
    feature: usize,
    output: Output,
    options: &PdpOptions,
    progress: &Progress,
) -> Result<PartialDependence> {
    output_index(model, output)?;
    let raw = imputed(model, &model.raw_rows(ds, rows)?);
    let black_box = |m: &Matrix| model.output(m, output);
    partial_dependence(&black_box, &raw, feature, options, progress)
}

/// SHAP values of one raw row, fast enough to follow a slider: exact path-dependent TreeSHAP
/// for trees; for other models `None` (use [`explain_rows`] with KernelSHAP in a job).
pub fn tree_shap_row(model: &TrainedModel, raw_row: &[f64], output: Output) -> Option<(f64, Vec<f64>)> {
    let tree = model.tree()?;
    let k = output_index(model, output).ok()?;
    let mut enc = Vec::with_capacity(model.pipeline.n_encoded());
    model.pipeline.encode_row_into(raw_row, &mut enc);
    let (base, phi) = tree_shap::path_dependent_row(tree, &enc, k).ok()?;
    Some((base, model.pipeline.sum_groups(&phi)))
}

/// Settings of a global explanation.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct GlobalOptions {
    /// How the per-row SHAP values are computed.
    pub local: LocalOptions,
    /// Most rows explained (a seeded sample of the test rows when there are more).
    pub max_rows: usize,
    /// Permutation repeats (0 skips permutation importance).
    pub permutation_repeats: usize,
}

impl Default for GlobalOptions {
    fn default() -> Self {
        Self { local: LocalOptions::default(), max_rows: 1000, permutation_repeats: 5 }
    }
}

/// Everything the global view draws.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GlobalExplanation {
    /// SHAP values of the sampled rows.
    pub shap: LocalExplanations,
    /// Raw feature values of the same rows (for colouring and dependence plots).
    pub raw: Matrix,
    /// Mean |SHAP| per feature.
    pub mean_abs_shap: Vec<f64>,
    /// Permutation importance on the held-out rows.
    pub permutation: Option<PermutationImportance>,
    /// Impurity importance (trees).
    pub impurity: Option<Vec<f64>>,
    /// Mean |SHAP interaction| between features (trees), M × M, zero diagonal.
    pub interactions: Option<Matrix>,
}

impl GlobalExplanation {
    /// The feature that interacts most with `feature`: from exact interaction values for trees,
    /// otherwise the feature whose values best explain the spread of `feature`'s SHAP values
    /// at similar values of `feature` (the idea of shap's `approximate_interactions`).
    pub fn strongest_partner(&self, feature: usize) -> Option<usize> {
        let m = self.raw.n_cols();
        if m < 2 || feature >= m {
            return None;
        }
        if let Some(inter) = &self.interactions {
            return (0..m)
                .filter(|&j| j != feature)
                .max_by(|&a, &b| inter.get(feature, a).total_cmp(&inter.get(feature, b)));
        }
        // Sort rows by the feature, cut into windows, and sum |corr(φ_feature, x_j)| per window.
        let n = self.raw.n_rows();
        let mut order: Vec<usize> = (0..n).collect();
        order.sort_by(|&a, &b| self.raw.get(a, feature).total_cmp(&self.raw.get(b, feature)));
        let window = (n / 10).max(10);
        (0..m)
            .filter(|&j| j != feature)
            .map(|j| {
                let score: f64 = order
                    .chunks(window)
                    .map(|w| {
                        let xs: Vec<f64> = w.iter().map(|&i| self.raw.get(i, j)).collect();
                        let ys: Vec<f64> = w.iter().map(|&i| self.shap.values.get(i, feature)).collect();
                        correlation(&xs, &ys).abs()
                    })
                    .sum();
                (j, score)
            })
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .map(|(j, _)| j)
    }
}

/// Pearson correlation (0 when either side is constant or values are missing).
fn correlation(x: &[f64], y: &[f64]) -> f64 {
    let n = x.len().min(y.len()) as f64;
    if n < 2.0 {
        return 0.0;
    }
    let (mx, my) = (x.iter().sum::<f64>() / n, y.iter().sum::<f64>() / n);
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (a, b) in x.iter().zip(y) {
        sxy += (a - mx) * (b - my);
        sxx += (a - mx) * (a - mx);
        syy += (b - my) * (b - my);
    }
    let r = sxy / (sxx * syy).sqrt();
    if r.is_finite() { r } else { 0.0 }
}

/// Computes the global view: SHAP over a seeded sample (at most `max_rows`) of `rows`,
/// permutation importance on `rows`, impurity importance and interaction strengths for trees.
///
/// # Errors
/// As [`explain_rows`] and [`permutation`].
pub fn global(
    model: &TrainedModel,
    ds: &Dataset,
    rows: &[usize],
    background_rows: &[usize],
    options: &GlobalOptions,
    progress: &Progress,
) -> Result<GlobalExplanation> {
    use rand::SeedableRng as _;
    let mut sample = rows.to_vec();
    if sample.len() > options.max_rows.max(1) {
        let mut rng = rand::rngs::ChaCha8Rng::seed_from_u64(options.local.seed);
        sample = rand::seq::index::sample(&mut rng, rows.len(), options.max_rows.max(1))
            .into_iter()
            .filter_map(|i| rows.get(i).copied())
            .collect();
        sample.sort_unstable();
    }
    progress.set_stage("SHAP values");
    let shap = explain_rows(model, ds, &sample, background_rows, &options.local, &progress.sub(0.0, 0.7))?;
    let raw = model.raw_rows(ds, &sample)?;
    let mean_abs_shap = shap.mean_abs();
    progress.set_stage("permutation importance");
    let permutation = if options.permutation_repeats > 0 {
        let opts = PermutationOptions { n_repeats: options.permutation_repeats, seed: options.local.seed };
        Some(permutation(model, ds, rows, &opts, &progress.sub(0.7, 0.9))?)
    } else {
        None
    };
    progress.set_stage("interactions");
    let interactions = match model.tree() {
        Some(tree) => {
            let k = output_index(model, shap.output)?;
            let x = model.pipeline.encode(&raw);
            let per_row = tree_shap::interactions(tree, &x, k, &progress.sub(0.9, 1.0))?;
            let m = model.n_features();
            let mut strength = Matrix::zeros(m, m);
            let owner: Vec<usize> = model.pipeline.encoded.iter().map(|e| e.feature).collect();
            for inter in &per_row {
                // Sum the encoded block of each raw feature pair, then take |·|.
                let mut block = Matrix::zeros(m, m);
                for a in 0..inter.n_rows() {
                    for b in 0..inter.n_cols() {
                        let (Some(&fa), Some(&fb)) = (owner.get(a), owner.get(b)) else { continue };
                        block.set(fa, fb, block.get(fa, fb) + inter.get(a, b));
                    }
                }
                for a in 0..m {
                    for b in 0..m {
                        if a != b {
                            strength.set(a, b, strength.get(a, b) + block.get(a, b).abs() / per_row.len() as f64);
                        }
                    }
                }
            }
            Some(strength)
        }
        None => None,
    };
    progress.set(1.0);
    Ok(GlobalExplanation { mean_abs_shap, shap, raw, permutation, impurity: impurity_importance(model), interactions })
}
