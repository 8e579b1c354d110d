//! The [`Planner`] and the what-if: a scenario's prediction, probabilities, SHAP attribution and
//! envelope check.
//!
//! Cost per call (see `benches/plan.rs`; release build, one core): for a tree the whole what-if
//! — prediction, exact TreeSHAP (Lundberg et al. 2018, Algorithm 2) and the envelope check over
//! 2,000 reference rows — takes tens of microseconds, so it can run on every frame while a
//! slider is dragged. For an SVM the prediction and the envelope check are just as cheap (one
//! kernel evaluation per support vector), but SHAP is KernelSHAP (Lundberg & Lee 2017) against
//! a k-means background of 10 rows with every coalition enumerated (exact for up to 11
//! features): 2^M − 2 coalitions × 10 background rows of model calls, milliseconds. The panel
//! should call [`Planner::what_if_fast`] every frame and [`Planner::attribution`] as a
//! background job, showing the last finished waterfall.

use serde::{Deserialize, Serialize};

use super::envelope::{Envelope, EnvelopeCheck};
use super::regions::{Region, tree_regions};
use super::scenario::{FeatureSetting, Origin, Scenario};
use crate::data::Dataset;
use crate::error::{Error, Result};
use crate::explain::kernel_shap::{Background, KernelShapOptions, kernel_shap, kmeans_background, sample_background};
use crate::explain::model::{Method, tree_shap_row};
use crate::matrix::Matrix;
use crate::model::pipeline::{FeatureKind, FeatureSpec};
use crate::model::{Output, Prediction, Task, TrainedModel};
use crate::progress::Progress;

/// Settings of a [`Planner`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct PlannerOptions {
    /// Most training rows kept as the envelope's reference (a seeded sample when there are
    /// more).
    pub reference_rows: usize,
    /// Neighbours in the envelope's k-NN score.
    pub neighbours: usize,
    /// Share of reference rows inside the envelope (the score quantile used as threshold).
    pub envelope_quantile: f64,
    /// k-means centres summarising the training rows as the KernelSHAP background (models
    /// other than trees).
    pub background: usize,
    /// Seed of every random choice.
    pub seed: u64,
}

impl Default for PlannerOptions {
    fn default() -> Self {
        Self { reference_rows: 2000, neighbours: 5, envelope_quantile: 0.99, background: 10, seed: 0 }
    }
}

/// What the planner knows about one feature from the training rows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeatureDomain {
    /// The feature as the model's pipeline knows it: name, unit, kind, levels, training range
    /// and the value a missing input takes (its fields read through `Deref`).
    #[serde(flatten)]
    pub spec: FeatureSpec,
    /// The data's resolution: 1 for whole numbers, 10^−d when the values have d decimals (up
    /// to 6), 0 when they look continuous.
    pub step: f64,
    /// The unit a change is measured in: the median absolute deviation of the training values
    /// (Wachter et al. 2017), or their standard deviation or range when the MAD is 0; 1 for a
    /// category.
    pub scale: f64,
}

impl std::ops::Deref for FeatureDomain {
    type Target = FeatureSpec;

    fn deref(&self) -> &FeatureSpec {
        &self.spec
    }
}

/// SHAP values of one scenario.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Attribution {
    /// What they explain.
    pub output: Output,
    /// The expected output (training data for TreeSHAP, the background for KernelSHAP).
    pub base: f64,
    /// One value per feature; `base + Σ values` is the scenario's output.
    pub values: Vec<f64>,
    /// How they were computed.
    pub method: Method,
}

/// A scenario evaluated.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WhatIf {
    /// The predicted class index (classification) or value (regression).
    pub prediction: f64,
    /// The predicted class's name, or the value as text.
    pub label: String,
    /// Class probabilities (empty for regression).
    pub probabilities: Vec<f64>,
    /// SHAP values; `None` from [`Planner::what_if_fast`] for models other than trees.
    pub attribution: Option<Attribution>,
    /// The envelope check.
    pub envelope: EnvelopeCheck,
}

impl WhatIf {
    /// The probability of the predicted class (classification).
    pub fn probability(&self) -> Option<f64> {
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        self.probabilities.get(self.prediction.max(0.0) as usize).copied()
    }
}

/// A model with what planning needs to know about its training rows. Build it once per model
/// (a job: tens of milliseconds, a few hundred for SVMs because of k-means), then share it.
#[derive(Debug, Clone)]
pub struct Planner {
    model: TrainedModel,
    output: Output,
    domains: Vec<FeatureDomain>,
    envelope: Envelope,
    background: Option<Background>,
    pub(crate) regions: Vec<Region>,
    /// Reference rows (raw, filled in): seeds for the counterfactual search.
    pub(crate) reference: Matrix,
    columns: Vec<String>,
    seed: u64,
}

impl Planner {
    /// Learns what planning needs from the model's training rows `training_rows` of `ds` (the
    /// data the model was trained on).
    ///
    /// # Errors
    /// No training rows, a feature missing from the data, or a cancel.
    pub fn new(
        model: &TrainedModel,
        ds: &Dataset,
        training_rows: &[usize],
        options: &PlannerOptions,
        progress: &Progress,
    ) -> Result<Self> {
        if training_rows.is_empty() {
            return Err(Error::invalid("planning needs the model's training rows, and none are recorded"));
        }
        if let Some(&r) = training_rows.iter().find(|&&r| r >= ds.n_rows()) {
            return Err(Error::invalid(format!(
                "training row {r} is not in the data ({} rows); is this the data the model was trained on?",
                ds.n_rows()
            )));
        }
        progress.set_stage("learning the training region");
        let raw = model.raw_rows(ds, training_rows)?;
        let filled = fill_missing(model, &raw);
        let domains = model
            .pipeline
            .features
            .iter()
            .enumerate()
            .map(|(j, spec)| {
                let values: Vec<f64> = (0..raw.n_rows()).map(|i| raw.get(i, j)).filter(|v| !v.is_nan()).collect();
                let (step, scale) = match spec.kind {
                    FeatureKind::Categorical => (0.0, 1.0),
                    FeatureKind::Numeric => {
                        (if spec.integer { 1.0 } else { resolution(&values) }, change_scale(&values, spec.fill))
                    }
                };
                FeatureDomain { spec: spec.clone(), step, scale }
            })
            .collect();
        progress.check()?;
        let (reference, envelope) = training_envelope(model, &filled, options)?;
        progress.set(0.5);
        progress.check()?;
        let background = if model.tree().is_some() {
            None
        } else {
            let k = options.background.clamp(1, filled.n_rows());
            let (centres, weights) = kmeans_background(&filled, k, options.seed, &progress.sub(0.5, 1.0))?;
            Some(Background::new(centres, weights)?)
        };
        progress.set(1.0);
        Ok(Self {
            model: model.clone(),
            output: model.default_output(),
            domains,
            envelope,
            background,
            regions: tree_regions(model),
            reference,
            columns: ds.columns.iter().map(|c| c.name.clone()).collect(),
            seed: options.seed,
        })
    }

    /// The model.
    pub fn model(&self) -> &TrainedModel {
        &self.model
    }

    /// What SHAP explains and sweeps plot (the model's default output unless changed).
    pub fn output(&self) -> Output {
        self.output
    }

    /// Explains and plots another output (another class's probability).
    ///
    /// # Errors
    /// An output the model does not have.
    pub fn set_output(&mut self, output: Output) -> Result<()> {
        match (self.model.task, output) {
            (Task::Classification, Output::Probability(c)) if c < self.model.classes.len() => {}
            (Task::Regression, Output::Value) => {}
            _ => return Err(Error::invalid("that output does not exist for this model")),
        }
        self.output = output;
        Ok(())
    }

    /// What was learnt about each feature, in model order.
    pub fn domains(&self) -> &[FeatureDomain] {
        &self.domains
    }

    /// The envelope (per-feature ranges and the k-NN score).
    pub fn envelope(&self) -> &Envelope {
        &self.envelope
    }

    /// Every column name of the training data (features and the rest), for messages.
    pub fn data_columns(&self) -> &[String] {
        &self.columns
    }

    /// A scenario with `values` and default settings: every feature controllable, bounds from
    /// the training range, steps from the data's resolution, weight 1.
    pub fn scenario(&self, name: impl Into<String>, origin: Origin, values: &[f64]) -> Scenario {
        let features = self
            .domains
            .iter()
            .enumerate()
            .map(|(j, d)| FeatureSetting {
                name: d.name.clone(),
                value: values.get(j).copied().unwrap_or(f64::NAN),
                controllable: true,
                lower: d.min,
                upper: d.max,
                step: d.step,
                weight: 1.0,
                levels: Vec::new(),
            })
            .collect();
        Scenario { name: name.into(), origin, features }
    }

    /// A scenario from row `row` of `ds` (0-based).
    ///
    /// # Errors
    /// A row past the end or a feature missing from `ds`.
    pub fn scenario_from_row(&self, ds: &Dataset, row: usize) -> Result<Scenario> {
        if row >= ds.n_rows() {
            return Err(Error::invalid(format!(
                "row {row} does not exist; the data has {} rows (0 to {})",
                ds.n_rows(),
                ds.n_rows().saturating_sub(1)
            )));
        }
        let raw = self.model.raw_rows(ds, &[row])?;
        Ok(self.scenario(format!("row {row}"), Origin::Row { row }, raw.row(0)))
    }

    /// The median scenario: training median of every number, most frequent level of every
    /// category.
    /// Numbers are put on the data's resolution (a median of 310.1 and 310.1 computed as
    /// 310.09999999999997 reads 310.1).
    pub fn median_scenario(&self) -> Scenario {
        let values: Vec<f64> = self
            .domains
            .iter()
            .map(|d| {
                if d.kind == FeatureKind::Numeric && d.step > 0.0 {
                    super::Axis { lower: d.min, upper: d.max, step: d.step, scale: d.scale }
                        .snap(d.fill)
                        .unwrap_or(d.fill)
                } else {
                    d.fill
                }
            })
            .collect();
        self.scenario("median", Origin::Median, &values)
    }

    /// The prediction for a raw row. Microseconds.
    pub fn predict(&self, values: &[f64]) -> Prediction {
        self.model.predict_row(values)
    }

    /// The output [`Planner::output`] of a prediction.
    pub(crate) fn output_of(p: &Prediction, output: Output) -> f64 {
        match output {
            Output::Value => p.value,
            Output::Probability(c) => p.probabilities.get(c).copied().unwrap_or(f64::NAN),
        }
    }

    /// Per-feature range and k-NN checks for a raw row. Microseconds.
    pub fn check_envelope(&self, values: &[f64]) -> EnvelopeCheck {
        self.envelope.check(values)
    }

    /// Exact TreeSHAP of a raw row for tree models (microseconds); `None` for other models.
    pub fn fast_attribution(&self, values: &[f64]) -> Option<Attribution> {
        let (base, phi) = tree_shap_row(&self.model, values, self.output)?;
        Some(Attribution { output: self.output, base, values: phi, method: Method::TreeShap })
    }

    /// SHAP values of a raw row: TreeSHAP for trees, KernelSHAP against the k-means background
    /// otherwise (milliseconds for an SVM: run it as a job).
    ///
    /// # Errors
    /// A cancel, or a row with the wrong number of values.
    pub fn attribution(&self, values: &[f64], progress: &Progress) -> Result<Attribution> {
        if let Some(a) = self.fast_attribution(values) {
            return Ok(a);
        }
        let rows = Matrix::from_rows(&[values], self.model.n_features())?;
        let (base, phi) = self.kernel_attributions(&rows, self.output, progress)?;
        Ok(Attribution { output: self.output, base, values: phi.row(0).to_vec(), method: Method::KernelShap })
    }

    /// SHAP values of many raw rows for `output`: the base value and one row of values per row.
    pub(crate) fn attributions(&self, rows: &Matrix, output: Output, progress: &Progress) -> Result<(f64, Matrix)> {
        if self.model.tree().is_some() {
            let mut values = Matrix::zeros(rows.n_rows(), self.model.n_features());
            let mut base = 0.0;
            for i in 0..rows.n_rows() {
                progress.check()?;
                let (b, phi) = tree_shap_row(&self.model, rows.row(i), output)
                    .ok_or_else(|| Error::invalid("TreeSHAP could not explain this output"))?;
                base = b;
                values.row_mut(i).copy_from_slice(&phi);
            }
            return Ok((base, values));
        }
        self.kernel_attributions(rows, output, progress)
    }

    fn kernel_attributions(&self, rows: &Matrix, output: Output, progress: &Progress) -> Result<(f64, Matrix)> {
        let background = self
            .background
            .as_ref()
            .ok_or_else(|| Error::invalid("no KernelSHAP background: the planner was built for a tree"))?;
        let filled = fill_missing(&self.model, rows);
        let black_box = |m: &Matrix| self.model.output(m, output);
        let opts = KernelShapOptions { n_samples: None, seed: self.seed };
        let shap = kernel_shap(&black_box, background, &filled, &opts, progress)?;
        Ok((shap.base_value, shap.values))
    }

    /// Prediction and envelope check of a raw row, with TreeSHAP for trees — cheap enough for
    /// every frame of a slider (see the module documentation for the cost).
    pub fn what_if_fast(&self, values: &[f64]) -> WhatIf {
        let p = self.predict(values);
        WhatIf {
            prediction: p.value,
            label: self.model.format_prediction(p.value),
            probabilities: p.probabilities,
            attribution: self.fast_attribution(values),
            envelope: self.check_envelope(values),
        }
    }

    /// The full what-if of a raw row, with SHAP values for any model.
    ///
    /// # Errors
    /// A cancel, or a row with the wrong number of values.
    pub fn what_if(&self, values: &[f64], progress: &Progress) -> Result<WhatIf> {
        if values.len() != self.model.n_features() {
            return Err(Error::invalid(format!(
                "a scenario of this model has {} values, not {}",
                self.model.n_features(),
                values.len()
            )));
        }
        let mut w = self.what_if_fast(values);
        if w.attribution.is_none() {
            w.attribution = Some(self.attribution(values, progress)?);
        }
        Ok(w)
    }

    /// A value of feature `j` as people read it (level name, or the number).
    pub fn format_value(&self, j: usize, v: f64) -> String {
        self.model.pipeline.features.get(j).map_or_else(|| crate::data::format_number(v), |f| f.format_value(v))
    }

    /// A raw row with missing values filled as the model fills them.
    pub(crate) fn filled(&self, values: &[f64]) -> Vec<f64> {
        values.iter().zip(&self.domains).map(|(&v, d)| if v.is_nan() { d.fill } else { v }).collect()
    }
}

/// The envelope of a model's training rows (`filled`: raw, missing values filled) as a
/// [`Planner`] builds it, with the reference rows it keeps: a seeded sample of at most
/// `reference_rows` rows. Monitoring judges new rows by the same envelope.
pub(crate) fn training_envelope(
    model: &TrainedModel,
    filled: &Matrix,
    options: &PlannerOptions,
) -> Result<(Matrix, Envelope)> {
    let (reference, _) = sample_background(filled, options.reference_rows.max(2), options.seed)?;
    let envelope = Envelope::fit(&model.pipeline.features, &reference, options.neighbours, options.envelope_quantile);
    Ok((reference, envelope))
}

/// Raw rows with missing values replaced by the pipeline's fill values.
pub(crate) fn fill_missing(model: &TrainedModel, raw: &Matrix) -> Matrix {
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

/// The resolution of measured values: 10^−d for the fewest decimals d (0 to 6) that write every
/// value exactly, 0 when none does.
fn resolution(values: &[f64]) -> f64 {
    for d in 0..=6 {
        let p = 10f64.powi(d);
        if values.iter().all(|v| {
            let s = v * p;
            (s - s.round()).abs() <= 1e-7 * s.abs().max(1.0)
        }) {
            return 1.0 / p;
        }
    }
    0.0
}

/// The median absolute deviation around `median`; the standard deviation, then the range, then
/// 1 when it is 0.
fn change_scale(values: &[f64], median: f64) -> f64 {
    if values.is_empty() {
        return 1.0;
    }
    let mut dev: Vec<f64> = values.iter().map(|v| (v - median).abs()).collect();
    dev.sort_by(f64::total_cmp);
    // `dev` is not empty here; the upper middle of an even count pairs with the one before.
    let n = dev.len();
    let at = |i: usize| dev.get(i).copied().unwrap_or(0.0);
    let mad = if n % 2 == 1 { at(n / 2) } else { f64::midpoint(at(n / 2 - 1), at(n / 2)) };
    if mad > 1e-12 {
        return mad;
    }
    let mean = values.iter().sum::<f64>() / n as f64;
    let std = (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n as f64).sqrt();
    if std > 1e-12 {
        return std;
    }
    let (lo, hi) = values.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| (a.min(v), b.max(v)));
    if hi - lo > 1e-12 { hi - lo } else { 1.0 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolution_and_scale_from_the_data() {
        assert_eq!(resolution(&[298.1, 300.0, 301.3]), 0.1);
        assert_eq!(resolution(&[1551.0, 1408.0]), 1.0);
        assert_eq!(resolution(&[14.96, 25.18]), 0.01);
        assert_eq!(resolution(&[std::f64::consts::PI]), 0.0);
        assert_eq!(change_scale(&[1.0, 2.0, 3.0, 4.0, 100.0], 3.0), 1.0);
        // Mostly zeros: MAD 0, the standard deviation takes over.
        assert!(change_scale(&[0.0, 0.0, 0.0, 1.0], 0.0) > 0.4);
    }
}
