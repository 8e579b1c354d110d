//! LIME for tabular data: a weighted linear surrogate fitted around one row.
//!
//! Ribeiro, Singh & Guestrin 2016, "Why Should I Trust You? Explaining the Predictions of Any
//! Classifier" (KDD), eq. (1), with the tabular sampling of the `lime` package (0.2.0.1,
//! `LimeTabularExplainer` with its defaults), which this module follows:
//! - continuous features are cut at their training quartiles (`numpy.percentile` 25/50/75, repeated
//!   edges merged); a row falls in bin b when `edge[b−1] < x ≤ edge[b]`. Categorical features keep
//!   their values;
//! - each perturbed row draws, per feature, a bin (or category) with its training frequency, then
//!   for a binned feature a value from a normal with the bin's training mean and standard deviation,
//!   truncated to the bin;
//! - the surrogate sees the binary representation "same bin (category) as the explained row", and a
//!   perturbed row weighs `sqrt(exp(−d² / w²))` with d the Euclidean distance to the explained row
//!   in that representation and w = 0.75·√M;
//! - the surrogate is a ridge regression (α = 1, with intercept, as scikit-learn's
//!   `Ridge(alpha=1)` with sample weights) on all features, and its weighted R² on the perturbed
//!   rows is lime's `score`.
//!
//! Differences from `lime`: every feature enters the surrogate (lime's default `num_features=10`
//! keeps the ten largest ridge weights when there are more than ten features); a bin whose lower and
//! upper bound coincide yields that bound (lime returns the z-score of the bound there, a bug); and
//! the sampling is seeded per (seed, row), where lime draws from one global generator.

// The samplers are built by `LimeExplainer::new` from the training columns (per-bin vectors of
// one length, draws below it); `explain` checks row widths against the feature count; the ridge
// solve indexes its m×m buffers over 0..m.
#![allow(clippy::indexing_slicing)]

use std::sync::atomic::{AtomicUsize, Ordering};

use rand::SeedableRng as _;
use rand::rngs::ChaCha8Rng;
use rand::{Rng, RngExt as _};
use rand_distr::StandardNormal;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::BatchPredict;
use crate::error::{Error, Result};
use crate::matrix::Matrix;
use crate::progress::Progress;

/// Perturbed rows handed to the model in one call, at most: large enough that per-call overhead
/// vanishes, small enough that the calls of one explained row spread over the threads.
const CHUNK_ROWS: usize = 512;

/// The quartile bins of one continuous feature, from the training data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QuartileBins {
    /// Distinct quartile edges, ascending (one to three values); bin b holds `edge[b−1] < x ≤
    /// edge[b]`, the last bin `x > edge[last]`.
    pub edges: Vec<f64>,
    /// Share of training rows in each bin (`edges.len() + 1` bins).
    pub frequencies: Vec<f64>,
    /// Mean of the training values in each bin (0 for an empty bin, as lime).
    pub means: Vec<f64>,
    /// Standard deviation (ddof 0) of the training values in each bin, plus 1e-11 as lime.
    pub stds: Vec<f64>,
    /// Lower bound of each bin: the training minimum, then the edges.
    pub lower: Vec<f64>,
    /// Upper bound of each bin: the edges, then the training maximum.
    pub upper: Vec<f64>,
}

impl QuartileBins {
    /// Bins from one training column (no missing values).
    fn from_column(values: &[f64]) -> Self {
        let mut sorted = values.to_vec();
        sorted.sort_by(f64::total_cmp);
        let mut edges: Vec<f64> =
            [25.0, 50.0, 75.0].iter().map(|&q| crate::numeric::percentile_sorted(&sorted, q)).collect();
        edges.dedup();
        let n_bins = edges.len() + 1;
        let mut members: Vec<Vec<f64>> = vec![Vec::new(); n_bins];
        for &v in values {
            members[bin_index(&edges, v)].push(v);
        }
        let n = values.len() as f64;
        let frequencies = members.iter().map(|m| m.len() as f64 / n).collect();
        let means: Vec<f64> =
            members.iter().map(|m| if m.is_empty() { 0.0 } else { m.iter().sum::<f64>() / m.len() as f64 }).collect();
        let stds = members
            .iter()
            .zip(&means)
            .map(|(m, mean)| {
                let var =
                    if m.is_empty() { 0.0 } else { m.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / m.len() as f64 };
                var.sqrt() + 1e-11
            })
            .collect();
        let (min, max) = (sorted[0], sorted[sorted.len() - 1]);
        let lower = std::iter::once(min).chain(edges.iter().copied()).collect();
        let upper = edges.iter().copied().chain(std::iter::once(max)).collect();
        Self { edges, frequencies, means, stds, lower, upper }
    }

    /// The bin `value` falls in (`numpy.searchsorted(edges, value)`, side left).
    pub fn bin_of(&self, value: f64) -> usize {
        bin_index(&self.edges, value)
    }
}

fn bin_index(edges: &[f64], value: f64) -> usize {
    edges.partition_point(|&e| e < value)
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
enum FeatureSampler {
    Binned(QuartileBins),
    Categorical { values: Vec<f64>, frequencies: Vec<f64> },
}

/// What "same as the explained row" means for one feature of one explanation.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum Condition {
    /// A continuous feature in quartile bin `bin`: `lower < x ≤ upper`, a missing bound is open.
    InBin {
        /// Bin index, 0 for the lowest.
        bin: usize,
        /// Exclusive lower bound, `None` for the lowest bin.
        lower: Option<f64>,
        /// Inclusive upper bound, `None` for the highest bin.
        upper: Option<f64>,
    },
    /// A categorical feature equal to `value`.
    Equals {
        /// The explained row's value.
        value: f64,
    },
}

/// Settings of [`LimeExplainer::explain`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct LimeOptions {
    /// Perturbed rows per explanation, the explained row included (lime: 5,000).
    pub n_samples: usize,
    /// Width of the exponential kernel; `None` means 0.75·√M as lime.
    pub kernel_width: Option<f64>,
    /// Ridge penalty of the surrogate (lime: 1); must be positive.
    pub ridge_alpha: f64,
    /// Seed; each row draws from its own stream (seed, row index).
    pub seed: u64,
}

impl Default for LimeOptions {
    fn default() -> Self {
        Self { n_samples: 5000, kernel_width: None, ridge_alpha: 1.0, seed: 0 }
    }
}

/// The local surrogate of one row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LimeExplanation {
    /// Surrogate output when no feature is in the explained row's bin.
    pub intercept: f64,
    /// One weight per feature: what being in the explained row's bin (category) adds.
    pub weights: Vec<f64>,
    /// Kernel-weighted R² of the surrogate on the perturbed rows (lime's `score`).
    pub score: f64,
    /// The surrogate at the explained row: `intercept + Σ weights` (lime's `local_pred`).
    pub local_prediction: f64,
    /// The model at the explained row.
    pub prediction: f64,
    /// Per feature, the bin or category the weight refers to.
    pub conditions: Vec<Condition>,
}

/// Training statistics LIME samples from; build once, explain many rows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LimeExplainer {
    features: Vec<FeatureSampler>,
}

impl LimeExplainer {
    /// Learns the quartile bins of the continuous features and the value frequencies of the
    /// `categorical` ones (column indices) from `training`.
    ///
    /// # Errors
    /// When `training` has no rows or columns, a categorical index is out of range, or a value is
    /// missing or infinite (impute first).
    #[allow(clippy::float_cmp)] // categories are compared exactly, as lime does
    pub fn new(training: &Matrix, categorical: &[usize]) -> Result<Self> {
        let (n, m) = (training.n_rows(), training.n_cols());
        if n == 0 || m == 0 {
            return Err(Error::invalid("LIME needs training data with at least one row and one column"));
        }
        if let Some(&j) = categorical.iter().find(|&&j| j >= m) {
            return Err(Error::invalid(format!("categorical column {j} does not exist; the data has {m} columns")));
        }
        for j in 0..m {
            if let Some(i) = (0..n).find(|&i| !training.get(i, j).is_finite()) {
                return Err(Error::invalid(format!(
                    "LIME needs complete training data, but row {i} of column {j} is {}; impute missing values first",
                    training.get(i, j)
                )));
            }
        }
        let features = (0..m)
            .map(|j| {
                let column = training.column(j);
                if categorical.contains(&j) {
                    let mut values = column.clone();
                    values.sort_by(f64::total_cmp);
                    values.dedup();
                    let frequencies =
                        values.iter().map(|v| column.iter().filter(|c| *c == v).count() as f64 / n as f64).collect();
                    FeatureSampler::Categorical { values, frequencies }
                } else {
                    FeatureSampler::Binned(QuartileBins::from_column(&column))
                }
            })
            .collect();
        Ok(Self { features })
    }

    /// Number of features.
    pub fn n_features(&self) -> usize {
        self.features.len()
    }

    /// The quartile bins of continuous feature `j` (`None` for a categorical or unknown feature).
    pub fn bins(&self, j: usize) -> Option<&QuartileBins> {
        match self.features.get(j) {
            Some(FeatureSampler::Binned(bins)) => Some(bins),
            _ => None,
        }
    }

    /// Explains each row of `rows` with a local surrogate of `model`.
    ///
    /// Each row's perturbed rows go to the model in chunks of at most 512 rows; rows and chunks run
    /// in parallel and the result does not depend on the number of threads.
    ///
    /// # Errors
    /// When the column count differs from the training data, a value is missing or infinite,
    /// `n_samples < 2`, the kernel width or ridge penalty is not positive, the model returns the
    /// wrong number of values, or the job is cancelled.
    pub fn explain(
        &self,
        model: &BatchPredict<'_>,
        rows: &Matrix,
        options: &LimeOptions,
        progress: &Progress,
    ) -> Result<Vec<LimeExplanation>> {
        let m = self.features.len();
        if rows.n_cols() != m {
            return Err(Error::invalid(format!(
                "the rows to explain have {} columns but LIME was trained on {m}",
                rows.n_cols()
            )));
        }
        if options.n_samples < 2 {
            return Err(Error::invalid("LIME needs at least 2 samples per row"));
        }
        let kernel_width = options.kernel_width.unwrap_or(0.75 * (m as f64).sqrt());
        if !(kernel_width > 0.0 && kernel_width.is_finite()) {
            return Err(Error::invalid(format!("the LIME kernel width must be positive, not {kernel_width}")));
        }
        if !(options.ridge_alpha > 0.0 && options.ridge_alpha.is_finite()) {
            return Err(Error::invalid(format!("the ridge penalty must be positive, not {}", options.ridge_alpha)));
        }
        if let Some((i, j)) =
            (0..rows.n_rows()).flat_map(|i| (0..m).map(move |j| (i, j))).find(|&(i, j)| !rows.get(i, j).is_finite())
        {
            return Err(Error::invalid(format!("row {i} of the rows to explain has no value in column {j}")));
        }
        progress.check()?;
        let done = AtomicUsize::new(0);
        (0..rows.n_rows())
            .into_par_iter()
            .map(|i| {
                let explanation = self.explain_row(model, rows.row(i), options, kernel_width, i, progress)?;
                progress.set_count(done.fetch_add(1, Ordering::Relaxed) + 1, rows.n_rows());
                Ok(explanation)
            })
            .collect()
    }

    #[allow(clippy::float_cmp)] // lime compares category values exactly
    fn explain_row(
        &self,
        model: &BatchPredict<'_>,
        x: &[f64],
        options: &LimeOptions,
        kernel_width: f64,
        row_index: usize,
        progress: &Progress,
    ) -> Result<LimeExplanation> {
        progress.check()?;
        let (n, m) = (options.n_samples, x.len());
        let mut conditions = Vec::with_capacity(m);
        let mut draws = Vec::with_capacity(m);
        for (j, feature) in self.features.iter().enumerate() {
            match feature {
                FeatureSampler::Binned(bins) => {
                    let own = bins.bin_of(x[j]);
                    conditions.push(Condition::InBin {
                        bin: own,
                        lower: own.checked_sub(1).and_then(|b| bins.edges.get(b).copied()),
                        upper: bins.edges.get(own).copied(),
                    });
                    draws.push(Draw::binned(bins, own));
                }
                FeatureSampler::Categorical { values, frequencies } => {
                    conditions.push(Condition::Equals { value: x[j] });
                    draws.push(Draw::Categorical { x: x[j], values, pick: Pick::new(frequencies) });
                }
            }
        }
        // The perturbed rows in chunks, each from its own stream (seed, row) at its own offset, so
        // a row's sampling and model calls spread over the threads with the same result.
        let per_chunk = n.div_ceil(n.div_ceil(CHUNK_ROWS).max(1)).max(1);
        let starts: Vec<usize> = (0..n).step_by(per_chunk).collect();
        let parts = starts
            .par_iter()
            .enumerate()
            .map(|(c, &start)| {
                progress.check()?;
                let rows = (start + per_chunk).min(n) - start;
                let mut rng = ChaCha8Rng::seed_from_u64(options.seed);
                rng.set_stream(row_index as u64);
                rng.set_word_pos((c as u128) << 40);
                // Binary representation (1 = same bin as x) and the rows the model sees.
                let mut same = Matrix::zeros(rows, m);
                let mut perturbed = Matrix::zeros(rows, m);
                for r in 0..rows {
                    if start + r == 0 {
                        // Row 0 is x itself.
                        same.row_mut(0).fill(1.0);
                        perturbed.row_mut(0).copy_from_slice(x);
                        continue;
                    }
                    let (z, v) = (same.row_mut(r), perturbed.row_mut(r));
                    for (j, draw) in draws.iter().enumerate() {
                        let (value, in_own) = draw.sample(&mut rng);
                        v[j] = value;
                        z[j] = f64::from(u8::from(in_own));
                    }
                }
                let y = model(&perturbed);
                if y.len() != rows {
                    return Err(Error::invalid(format!("the model returned {} values for {rows} rows", y.len())));
                }
                Ok((same, y))
            })
            .collect::<Result<Vec<_>>>()?;
        let mut same = Vec::with_capacity(n * m);
        let mut y = Vec::with_capacity(n);
        for (z, ys) in parts {
            same.extend_from_slice(z.as_slice());
            y.extend(ys);
        }
        let same = Matrix::from_vec(same, n, m)?;
        let weights: Vec<f64> = same
            .rows()
            .map(|z| {
                let d2: f64 = z.iter().map(|v| (v - 1.0).powi(2)).sum();
                (-d2 / (kernel_width * kernel_width)).exp().sqrt()
            })
            .collect();
        let fit = weighted_ridge(&same, &y, &weights, options.ridge_alpha);
        let local_prediction = fit.intercept + fit.coefficients.iter().sum::<f64>();
        Ok(LimeExplanation {
            intercept: fit.intercept,
            weights: fit.coefficients,
            score: fit.r2,
            local_prediction,
            prediction: y[0],
            conditions,
        })
    }
}

/// How one feature of a perturbed row is drawn around the explained row.
enum Draw<'a> {
    /// A quartile bin with its training frequency, then a value within it.
    Binned { own: usize, pick: Pick, bins: Vec<TruncatedNormal> },
    /// A category with its training frequency.
    Categorical { x: f64, values: &'a [f64], pick: Pick },
}

impl Draw<'_> {
    fn binned(bins: &QuartileBins, own: usize) -> Self {
        let samplers = (0..bins.frequencies.len())
            .map(|b| TruncatedNormal::new(bins.means[b], bins.stds[b], bins.lower[b], bins.upper[b]))
            .collect();
        Draw::Binned { own, pick: Pick::new(&bins.frequencies), bins: samplers }
    }

    /// A value, and whether it falls in the explained row's bin (equals its category).
    #[allow(clippy::float_cmp)] // lime compares category values exactly
    #[inline]
    fn sample(&self, rng: &mut impl Rng) -> (f64, bool) {
        match self {
            Draw::Binned { own, pick, bins } => {
                let bin = pick.draw(rng);
                (bins[bin].sample(rng), bin == *own)
            }
            Draw::Categorical { x, values, pick } => {
                let value = values[pick.draw(rng)];
                (value, value == *x)
            }
        }
    }
}

/// Index drawn with probability proportional to the weights it was built from (which sum to
/// about 1); an index with zero weight is never drawn.
struct Pick {
    cumulative: Vec<f64>,
    last_positive: usize,
}

impl Pick {
    fn new(weights: &[f64]) -> Self {
        let mut acc = 0.0;
        let cumulative = weights
            .iter()
            .map(|&w| {
                if w > 0.0 {
                    acc += w;
                }
                acc
            })
            .collect();
        let last_positive = weights.iter().rposition(|&w| w > 0.0).unwrap_or(0);
        Self { cumulative, last_positive }
    }

    #[inline]
    fn draw(&self, rng: &mut impl Rng) -> usize {
        let total = self.cumulative.last().copied().unwrap_or(0.0);
        let target = rng.random::<f64>() * total;
        // The index is the number of cumulative weights at or below the target, counted without
        // branches (a random bin makes a search loop mispredict); a zero-weight index shares its
        // cumulative weight with the one before it and is stepped over.
        let passed: usize = self.cumulative.iter().map(|&c| usize::from(target >= c)).sum();
        passed.min(self.last_positive)
    }
}

/// N(mean, std²) truncated to [lower, upper] (scipy's `truncnorm`), drawn by rejection.
///
/// With bin statistics from training data the mean lies inside the bin and the bin spans at least
/// two standard deviations (Popoviciu's inequality), so a plain normal proposal is accepted about
/// half the time or more; other intervals use a uniform proposal (Robert 1995). A degenerate bin
/// yields its bound.
#[derive(Debug, Clone, Copy)]
struct TruncatedNormal {
    mean: f64,
    std: f64,
    lower: f64,
    upper: f64,
    /// The bounds in standard units.
    a: f64,
    b: f64,
    proposal: Proposal,
}

#[derive(Debug, Clone, Copy)]
enum Proposal {
    /// The interval is empty or has no spread: always `lower`.
    Degenerate,
    /// Standard normal draws, kept when inside [a, b].
    Normal,
    /// Uniform draws on [a, b], kept with probability exp((m² − z²) / 2), m the point of [a, b]
    /// nearest 0 (stored as m²).
    Uniform(f64),
}

impl TruncatedNormal {
    fn new(mean: f64, std: f64, lower: f64, upper: f64) -> Self {
        if !(lower < upper && std > 0.0) {
            return Self { mean, std, lower, upper, a: 0.0, b: 0.0, proposal: Proposal::Degenerate };
        }
        let (a, b) = ((lower - mean) / std, (upper - mean) / std);
        let proposal = if a <= 0.0 && b >= 0.0 && b - a >= 1.0 {
            Proposal::Normal
        } else {
            let nearest = 0.0f64.clamp(a, b);
            Proposal::Uniform(nearest * nearest)
        };
        Self { mean, std, lower, upper, a, b, proposal }
    }

    #[inline]
    fn sample(&self, rng: &mut impl Rng) -> f64 {
        const MAX_TRIES: usize = 10_000;
        let Self { mean, std, lower, upper, a, b, proposal } = *self;
        match proposal {
            Proposal::Degenerate => return lower,
            Proposal::Normal => {
                for _ in 0..MAX_TRIES {
                    let z: f64 = rng.sample(StandardNormal);
                    if (a..=b).contains(&z) {
                        return mean + std * z;
                    }
                }
            }
            Proposal::Uniform(nearest_sq) => {
                for _ in 0..MAX_TRIES {
                    let z = a + (b - a) * rng.random::<f64>();
                    if rng.random::<f64>() <= ((nearest_sq - z * z) / 2.0).exp() {
                        return mean + std * z;
                    }
                }
            }
        }
        mean.clamp(lower, upper)
    }
}

struct RidgeFit {
    intercept: f64,
    coefficients: Vec<f64>,
    r2: f64,
}

/// scikit-learn's `Ridge(alpha, fit_intercept=True).fit(x, y, sample_weight=w)`: centre by the
/// weighted means, solve `(XcᵀWXc + αI) β = XcᵀW yc` (Cholesky; α > 0 keeps it positive definite),
/// intercept `ȳ − x̄ᵀβ`; and its weighted `score` (R², 1 for a perfect fit of a constant target).
///
/// The centred products are formed from plain weighted sums, `Σw·xj·xk − (Σw·xj)(Σw·xk)/Σw`,
/// skipping zero entries: LIME's rows are 0/1 and mostly 0, and its sums are of weights in (0, 1],
/// so nothing is lost to cancellation.
#[allow(clippy::many_single_char_names)] // the names of the normal equations
fn weighted_ridge(x: &Matrix, y: &[f64], w: &[f64], alpha: f64) -> RidgeFit {
    let m = x.n_cols();
    let w_total: f64 = w.iter().sum();
    let wy_total: f64 = y.iter().zip(w).map(|(v, wi)| wi * v).sum();
    let y_mean = wy_total / w_total;
    // Uncentred sums: Σw·xj (sx), Σw·xj·y (sxy), Σw·xj·xk (a, lower triangle).
    let mut sx = vec![0.0; m];
    let mut sxy = vec![0.0; m];
    let mut a = vec![0.0; m * m];
    let mut nonzero: Vec<(usize, f64)> = Vec::with_capacity(m);
    for ((r, &yi), &wi) in x.rows().zip(y).zip(w) {
        nonzero.clear();
        nonzero.extend(r.iter().copied().enumerate().filter(|&(_, v)| v != 0.0));
        for (n, &(i, xi)) in nonzero.iter().enumerate() {
            let wx = wi * xi;
            sx[i] += wx;
            sxy[i] += wx * yi;
            for &(j, xj) in &nonzero[..=n] {
                a[i * m + j] += wx * xj;
            }
        }
    }
    let x_mean: Vec<f64> = sx.iter().map(|s| s / w_total).collect();
    let mut rhs = vec![0.0; m];
    for i in 0..m {
        rhs[i] = sxy[i] - sx[i] * y_mean;
        for j in 0..=i {
            a[i * m + j] -= sx[i] * sx[j] / w_total;
        }
    }
    for i in 0..m {
        a[i * m + i] += alpha;
    }
    let coefficients = cholesky_solve(&mut a, &rhs, m);
    let intercept = y_mean - x_mean.iter().zip(&coefficients).map(|(xm, b)| xm * b).sum::<f64>();
    let (mut ss_res, mut ss_tot) = (0.0, 0.0);
    for ((r, &yi), &wi) in x.rows().zip(y).zip(w) {
        let fitted = intercept + r.iter().zip(&coefficients).map(|(v, b)| v * b).sum::<f64>();
        ss_res += wi * (yi - fitted).powi(2);
        ss_tot += wi * (yi - y_mean).powi(2);
    }
    let r2 = crate::numeric::r2_from_sums(ss_res, ss_tot);
    RidgeFit { intercept, coefficients, r2 }
}

/// Solves `a x = b` for a symmetric positive definite `a` given by its lower triangle (row-major,
/// overwritten by the Cholesky factor).
#[allow(clippy::many_single_char_names)] // the names of the factorisation
fn cholesky_solve(a: &mut [f64], b: &[f64], n: usize) -> Vec<f64> {
    for j in 0..n {
        let diag = a[j * n + j] - (0..j).map(|k| a[j * n + k].powi(2)).sum::<f64>();
        let l_jj = diag.max(f64::MIN_POSITIVE).sqrt();
        a[j * n + j] = l_jj;
        for i in j + 1..n {
            let s = a[i * n + j] - (0..j).map(|k| a[i * n + k] * a[j * n + k]).sum::<f64>();
            a[i * n + j] = s / l_jj;
        }
    }
    let mut z = vec![0.0; n];
    for i in 0..n {
        z[i] = (b[i] - (0..i).map(|k| a[i * n + k] * z[k]).sum::<f64>()) / a[i * n + i];
    }
    let mut x = vec![0.0; n];
    for i in (0..n).rev() {
        x[i] = (z[i] - (i + 1..n).map(|k| a[k * n + i] * x[k]).sum::<f64>()) / a[i * n + i];
    }
    x
}

#[cfg(test)]
#[allow(clippy::float_cmp)] // exact values are the point of several checks
mod tests {
    use super::*;

    #[derive(serde::Deserialize)]
    struct Reference {
        training: Vec<Vec<f64>>,
        quartiles: Vec<Vec<f64>>,
        coefficients: Vec<f64>,
        intercept: f64,
        instances: Vec<Vec<f64>>,
        lime: Vec<LimeReference>,
        population_weights: Vec<Vec<f64>>,
    }

    #[derive(serde::Deserialize)]
    struct LimeReference {
        intercept: f64,
        weights: Vec<f64>,
        score: f64,
        local_pred: f64,
    }

    fn reference() -> Reference {
        serde_json::from_str(include_str!("../../tests/fixtures/lime/lime_reference.json")).unwrap()
    }

    fn linear(coefficients: Vec<f64>, intercept: f64) -> impl Fn(&Matrix) -> Vec<f64> + Sync {
        move |m: &Matrix| {
            m.rows().map(|r| intercept + r.iter().zip(&coefficients).map(|(x, w)| x * w).sum::<f64>()).collect()
        }
    }

    fn training(r: &Reference) -> Matrix {
        Matrix::from_rows(&r.training, r.training[0].len()).unwrap()
    }

    #[test]
    fn quartile_edges_equal_numpy_percentile() {
        let r = reference();
        let lime = LimeExplainer::new(&training(&r), &[]).unwrap();
        for (j, expected) in r.quartiles.iter().enumerate() {
            let mut dedup = expected.clone();
            dedup.dedup();
            assert_eq!(lime.bins(j).unwrap().edges, dedup, "feature {j}");
        }
        // Odd and even counts, ties and the two-sided interpolation.
        let sorted = [1.0, 2.0, 2.0, 3.5, 10.0];
        assert_eq!(crate::numeric::percentile_sorted(&sorted, 25.0), 2.0);
        assert_eq!(crate::numeric::percentile_sorted(&[1.0, 2.0, 4.0, 8.0], 75.0), 5.0);
    }

    #[test]
    fn same_seed_same_explanation_on_one_and_two_threads() {
        let r = reference();
        let lime = LimeExplainer::new(&training(&r), &[]).unwrap();
        let model = linear(r.coefficients.clone(), r.intercept);
        let rows = Matrix::from_rows(&r.instances, r.instances[0].len()).unwrap();
        let options = LimeOptions { n_samples: 3000, seed: 5, ..LimeOptions::default() };
        let run = |threads: usize| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap()
                .install(|| lime.explain(&model, &rows, &options, &Progress::new()).unwrap())
        };
        let one = run(1);
        assert_eq!(one, run(2));
        // A row's explanation depends only on (seed, row index), not on the other rows.
        let first = lime.explain(&model, &rows.select_rows(&[0]), &options, &Progress::new()).unwrap();
        assert_eq!(first[0], one[0]);
        let other = lime.explain(&model, &rows, &LimeOptions { seed: 6, ..options }, &Progress::new()).unwrap();
        assert_ne!(other[0].weights, one[0].weights);
    }

    /// True when `got` orders every pair of features as `want` does, counting only pairs whose
    /// magnitudes in `want` differ by more than `margin` (closer pairs are within sampling noise).
    fn same_ranking(got: &[f64], want: &[f64], margin: f64) -> bool {
        (0..want.len())
            .all(|a| (0..want.len()).all(|b| want[a].abs() <= want[b].abs() + margin || got[a].abs() > got[b].abs()))
    }

    fn max_abs(values: &[f64]) -> f64 {
        values.iter().fold(0.0f64, |a, v| a.max(v.abs()))
    }

    #[test]
    fn recovers_a_linear_model_in_the_bin_representation() {
        // For f = b + Σ w_j x_j the population surrogate weight of feature j is
        // w_j · (E[x_j | same bin] − E[x_j | other bins]) (computed by the fixture script with scipy's
        // truncated-normal means): its sign depends on where the row sits, not only on w_j.
        let r = reference();
        let lime = LimeExplainer::new(&training(&r), &[]).unwrap();
        let model = linear(r.coefficients.clone(), r.intercept);
        let rows = Matrix::from_rows(&r.instances, r.instances[0].len()).unwrap();
        // One run is within sampling noise (about 0.1–0.15 per weight at 5,000 samples here)...
        let explanations = lime.explain(&model, &rows, &LimeOptions::default(), &Progress::new()).unwrap();
        for (i, (e, expected)) in explanations.iter().zip(&r.population_weights).enumerate() {
            let scale = max_abs(expected);
            for (j, (got, want)) in e.weights.iter().zip(expected).enumerate() {
                assert!((got - want).abs() < 0.15 * scale, "row {i} feature {j}: {got} vs {want}");
                if want.abs() > 0.15 * scale {
                    assert_eq!(got.signum(), want.signum(), "row {i} feature {j}");
                }
            }
            assert!(same_ranking(&e.weights, expected, 0.15 * scale), "row {i}: {:?} vs {expected:?}", e.weights);
            assert!((e.local_prediction - (e.intercept + e.weights.iter().sum::<f64>())).abs() < 1e-12);
            assert!((e.prediction - model(&rows.select_rows(&[i]))[0]).abs() < 1e-12);
        }
        // ... and the estimate is unbiased: the mean of eight seeds is close to the population.
        let seeds = 8;
        let mut mean = vec![vec![0.0; r.coefficients.len()]; rows.n_rows()];
        for seed in 0..seeds {
            let options = LimeOptions { seed, ..LimeOptions::default() };
            for (acc, e) in mean.iter_mut().zip(lime.explain(&model, &rows, &options, &Progress::new()).unwrap()) {
                for (a, w) in acc.iter_mut().zip(&e.weights) {
                    *a += w / seeds as f64;
                }
            }
        }
        for (i, (got, expected)) in mean.iter().zip(&r.population_weights).enumerate() {
            let scale = max_abs(expected);
            for (j, (g, w)) in got.iter().zip(expected).enumerate() {
                assert!((g - w).abs() < 0.05 * scale, "row {i} feature {j}: mean {g} vs {w}");
            }
            assert!(same_ranking(got, expected, 0.05 * scale), "row {i}: {got:?} vs {expected:?}");
        }
        // The row in the outer quartile of every feature is where the bin representation captures
        // most of the linear model (population R² about 0.66; 0.24–0.29 for the other two rows).
        assert!(explanations[0].score > 0.6, "local R² {}", explanations[0].score);
    }

    #[test]
    fn agrees_with_python_lime_in_rank_and_sign() {
        let r = reference();
        let lime = LimeExplainer::new(&training(&r), &[]).unwrap();
        let model = linear(r.coefficients.clone(), r.intercept);
        let rows = Matrix::from_rows(&r.instances, r.instances[0].len()).unwrap();
        let ours = lime.explain(&model, &rows, &LimeOptions { seed: 1, ..LimeOptions::default() }, &Progress::new());
        for (e, theirs) in ours.unwrap().iter().zip(&r.lime) {
            // Both estimate the same population surrogate from 5,000 draws of different generators.
            // The difference of two such estimates has a spread of about 0.2 per weight here.
            let scale = max_abs(&theirs.weights);
            let ranked = same_ranking(&e.weights, &theirs.weights, 0.2 * scale);
            assert!(ranked, "{:?} vs lime {:?}", e.weights, theirs.weights);
            for (a, b) in e.weights.iter().zip(&theirs.weights) {
                if b.abs() > 0.2 * scale {
                    assert_eq!(a.signum(), b.signum(), "{a} vs lime {b}");
                }
                assert!((a - b).abs() < 0.2 * scale, "{a} vs lime {b}");
            }
            assert!((e.score - theirs.score).abs() < 0.05, "R² {} vs lime {}", e.score, theirs.score);
            assert!((e.intercept - theirs.intercept).abs() < 0.2 * scale);
            assert!((e.local_prediction - theirs.local_pred).abs() < 0.2 * scale);
        }
    }

    #[test]
    fn categorical_features_compare_values() {
        let training =
            Matrix::from_rows(&[[0.0, 1.0], [1.0, 2.0], [2.0, 3.0], [0.0, 4.0], [1.0, 5.0], [0.0, 6.0]], 2).unwrap();
        let lime = LimeExplainer::new(&training, &[0]).unwrap();
        assert!(lime.bins(0).is_none() && lime.bins(1).is_some());
        // The model only looks at the category: the surrogate puts the weight there.
        let model = |m: &Matrix| m.rows().map(|r| if r[0] == 0.0 { 5.0 } else { 1.0 }).collect::<Vec<f64>>();
        let rows = Matrix::from_rows(&[[0.0, 3.0]], 2).unwrap();
        let e = &lime.explain(&model, &rows, &LimeOptions::default(), &Progress::new()).unwrap()[0];
        assert_eq!(e.conditions[0], Condition::Equals { value: 0.0 });
        assert!(e.weights[0] > 3.9 && e.weights[1].abs() < 0.1, "{:?}", e.weights);
        assert!(e.score > 0.99);
    }

    #[test]
    fn sampled_values_stay_in_their_bins() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        for _ in 0..2000 {
            let v = TruncatedNormal::new(0.4, 0.2, 0.25, 0.5).sample(&mut rng);
            assert!((0.25..=0.5).contains(&v));
            let v = TruncatedNormal::new(0.0, 1.0, 3.0, 3.5).sample(&mut rng);
            assert!((3.0..=3.5).contains(&v));
        }
        assert_eq!(TruncatedNormal::new(1.0, 1e-11, 1.0, 1.0).sample(&mut rng), 1.0);
    }

    #[test]
    fn ridge_matches_closed_form() {
        // y = 1 + 2·x exactly, unit weights, α = 1: β = Sxy / (Sxx + 1).
        let x = Matrix::from_rows(&[[0.0], [1.0], [2.0], [3.0]], 1).unwrap();
        let y = [1.0, 3.0, 5.0, 7.0];
        let fit = weighted_ridge(&x, &y, &[1.0; 4], 1.0);
        let beta = 10.0 / 6.0; // Sxy = 10, Sxx = 5
        assert!((fit.coefficients[0] - beta).abs() < 1e-12);
        assert!((fit.intercept - (4.0 - 1.5 * beta)).abs() < 1e-12);
    }

    #[test]
    fn rejects_bad_input() {
        let training = Matrix::from_rows(&[[1.0, f64::NAN], [2.0, 3.0]], 2).unwrap();
        assert!(LimeExplainer::new(&training, &[]).is_err());
        assert!(LimeExplainer::new(&Matrix::zeros(3, 2), &[5]).is_err());
        let lime = LimeExplainer::new(&Matrix::zeros(3, 2), &[]).unwrap();
        let model = |m: &Matrix| vec![0.0; m.n_rows()];
        assert!(lime.explain(&model, &Matrix::zeros(1, 3), &LimeOptions::default(), &Progress::new()).is_err());
        let progress = Progress::new();
        progress.cancel();
        let cancelled = lime.explain(&model, &Matrix::zeros(1, 2), &LimeOptions::default(), &progress);
        assert!(cancelled.is_err_and(|e| e.is_cancelled()));
    }
}
