//! Kernel SHAP: Shapley values of any model from a weighted linear regression over coalitions.
//!
//! Lundberg & Lee 2017, "A Unified Approach to Interpreting Model Predictions", Theorem 2: with
//! the Shapley kernel `π(z) = (M − 1) / (C(M, |z|) · |z| · (M − |z|))` the weighted least-squares
//! fit of the coalition values `v(z) = E_b[f(x_z, b_z̄)]` recovers the Shapley values. We follow
//! the Python `shap.KernelExplainer` (shap 0.51) step for step so that its numbers can serve as a
//! reference:
//! - features whose value equals every background value (numpy `allclose`) get φ = 0 and are left
//!   out of the coalitions (they are dummies);
//! - `n_samples` defaults to 2·M + 2048 and is capped at 2^M − 2, in which case every coalition is
//!   enumerated and the result is exact;
//! - subset sizes are enumerated completely from the outside in (size s together with M − s) for as
//!   long as the remaining budget covers them at their share of the kernel weight; the rest are
//!   sampled in complement pairs, repeats add weight, and the leftover kernel weight is spread over
//!   the sampled coalitions in proportion to how often each was drawn;
//! - the regression has no intercept (v(∅) is the background mean) and efficiency
//!   (base + Σφ = f(x)) is imposed exactly by eliminating the last varying feature.
//!
//! Not taken over from shap: its L1 feature selection (`l1_reg`, which only matters above ten
//! varying features when not every coalition is enumerated) and its zeroing of |φ| < 1e-10, which
//! would break the exact efficiency that the rest of the application relies on.
//!
//! The background is a weighted set of rows: [`kmeans_background`] summarises training data the
//! way `shap.kmeans` does, [`sample_background`] takes a seeded sample.

// Row widths are checked against the background at the entry of `kernel_shap`; masks, weights and
// the n×n regression buffers are sized here and indexed over 0..n; k-means labels are below k.
#![allow(clippy::indexing_slicing)]

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};

use rand::SeedableRng as _;
use rand::distr::Distribution as _;
use rand::distr::weighted::WeightedIndex;
use rand::rngs::ChaCha8Rng;
use rand::{RngExt as _, seq::index};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::{BatchPredict, ShapValues};
use crate::error::{Error, Result};
use crate::matrix::Matrix;
use crate::progress::Progress;

/// Synthetic rows handed to the model in one call, at most: large enough that per-call overhead
/// vanishes, small enough that the calls of one explained row spread over the threads.
const CHUNK_ROWS: usize = 512;

/// The rows that stand in for "feature unknown", each with a weight; the weights sum to 1.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Background {
    rows: Matrix,
    weights: Vec<f64>,
}

impl Background {
    /// Rows with weights (any non-negative scale; they are normalised to sum to 1).
    ///
    /// # Errors
    /// When there are no rows or no columns, the weight count differs from the row count, or a
    /// weight is negative or not finite, or all weights are zero.
    pub fn new(rows: Matrix, weights: Vec<f64>) -> Result<Self> {
        if rows.n_rows() == 0 || rows.n_cols() == 0 {
            return Err(Error::invalid("the SHAP background needs at least one row and one column"));
        }
        if weights.len() != rows.n_rows() {
            return Err(Error::invalid(format!(
                "the SHAP background has {} rows but {} weights",
                rows.n_rows(),
                weights.len()
            )));
        }
        if let Some(i) = weights.iter().position(|w| !w.is_finite() || *w < 0.0) {
            return Err(Error::invalid(format!(
                "background weight {i} is {}; weights must be finite and non-negative",
                weights[i]
            )));
        }
        let total: f64 = weights.iter().sum();
        if total <= 0.0 {
            return Err(Error::invalid("the background weights are all zero"));
        }
        let weights = weights.into_iter().map(|w| w / total).collect();
        Ok(Self { rows, weights })
    }

    /// Rows that all weigh the same.
    ///
    /// # Errors
    /// When there are no rows or no columns.
    pub fn uniform(rows: Matrix) -> Result<Self> {
        let n = rows.n_rows();
        Self::new(rows, vec![1.0; n])
    }

    /// The background rows.
    pub fn rows(&self) -> &Matrix {
        &self.rows
    }

    /// The weights, one per row, summing to 1.
    pub fn weights(&self) -> &[f64] {
        &self.weights
    }
}

/// Settings of [`kernel_shap`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct KernelShapOptions {
    /// Coalitions evaluated per explained row; `None` means 2·M + 2048 (shap's "auto"), where M
    /// is the number of features that vary against the background. Capped at 2^M − 2, which
    /// enumerates every coalition and makes the values exact.
    pub n_samples: Option<usize>,
    /// Seed of the coalition sampling; each row draws from its own stream (seed, row index).
    pub seed: u64,
}

/// Kernel SHAP values of `model` for each row of `rows` against `background`.
///
/// The model is called once on the background, once on `rows`, and then for each row on
/// `coalitions × background rows` synthetic rows in chunks of at most 512 rows (or one coalition). Rows (and the
/// chunks of one row) run in parallel; the values do not depend on the number of threads.
///
/// # Errors
/// When the column counts differ, `n_samples` is zero, the model returns the wrong number of
/// values, or the job is cancelled.
pub fn kernel_shap(
    model: &BatchPredict<'_>,
    background: &Background,
    rows: &Matrix,
    options: &KernelShapOptions,
    progress: &Progress,
) -> Result<ShapValues> {
    let m = background.rows.n_cols();
    if rows.n_cols() != m {
        return Err(Error::invalid(format!(
            "the rows to explain have {} columns but the background has {m}",
            rows.n_cols()
        )));
    }
    if options.n_samples == Some(0) {
        return Err(Error::invalid("KernelSHAP needs at least one coalition sample per row"));
    }
    progress.check()?;
    let background_out = predict(model, &background.rows)?;
    let base_value: f64 = background_out.iter().zip(&background.weights).map(|(y, w)| y * w).sum();
    let predictions = predict(model, rows)?;

    // Progress counts model chunks; every row has about the same number of them.
    let chunks_per_row = {
        let coalitions = options.n_samples.unwrap_or(2 * m + 2048).min(max_coalitions(m)).max(1);
        chunk_size(coalitions, coalitions_per_chunk(background.rows.n_rows())).1
    };
    let tracker = ChunkTracker { progress, done: AtomicUsize::new(0), total: chunks_per_row * rows.n_rows() };
    let job = Job { model, background, base_value, n_samples: options.n_samples, tracker };

    let phis = (0..rows.n_rows())
        .into_par_iter()
        .map(|i| explain_row(&job, rows.row(i), predictions[i], stream_rng(options.seed, i as u64)))
        .collect::<Result<Vec<_>>>()?;

    let values = Matrix::from_vec(phis.concat(), rows.n_rows(), m)?;
    progress.set(1.0);
    Ok(ShapValues { base_value, values, predictions })
}

struct ChunkTracker<'a> {
    progress: &'a Progress,
    done: AtomicUsize,
    total: usize,
}

impl ChunkTracker<'_> {
    fn tick(&self) {
        let done = self.done.fetch_add(1, Ordering::Relaxed) + 1;
        self.progress.set_count(done.min(self.total), self.total);
    }
}

/// A generator for one item of a parallel loop: the caller's seed picks the key, the item its
/// stream, so items draw independent numbers whatever thread runs them.
fn stream_rng(seed: u64, stream: u64) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(stream);
    rng
}

fn predict(model: &BatchPredict<'_>, rows: &Matrix) -> Result<Vec<f64>> {
    let out = model(rows);
    if out.len() == rows.n_rows() {
        Ok(out)
    } else {
        Err(Error::invalid(format!("the model returned {} values for {} rows", out.len(), rows.n_rows())))
    }
}

fn coalitions_per_chunk(n_background: usize) -> usize {
    (CHUNK_ROWS / n_background.max(1)).max(1)
}

/// Splits `n` items into the fewest chunks of at most `max` items, of nearly equal size:
/// (items per chunk, number of chunks). Depends on `n` and `max` only, never on the threads.
fn chunk_size(n: usize, max: usize) -> (usize, usize) {
    let chunks = n.div_ceil(max.max(1)).max(1);
    (n.div_ceil(chunks).max(1), chunks)
}

/// 2^m − 2, the number of coalitions other than the empty and the full one (shap caps at 2^30).
fn max_coalitions(m: usize) -> usize {
    if m <= 30 { (1usize << m).saturating_sub(2) } else { 1 << 30 }
}

/// numpy's `allclose(x, column)`: |x − b| ≤ 1e-8 + 1e-5·|b| for every b, NaN equal to NaN.
fn varies(x: f64, background: &Matrix, j: usize) -> bool {
    (0..background.n_rows()).any(|b| {
        let v = background.get(b, j);
        if x.is_nan() || v.is_nan() {
            return !(x.is_nan() && v.is_nan());
        }
        // Equal infinities are close; their difference is not.
        #[allow(clippy::float_cmp)]
        let identical = x == v;
        !identical && (x - v).abs() > 1e-8 + 1e-5 * v.abs()
    })
}

/// What every explained row shares.
struct Job<'a> {
    model: &'a BatchPredict<'a>,
    background: &'a Background,
    base_value: f64,
    n_samples: Option<usize>,
    tracker: ChunkTracker<'a>,
}

/// φ for one row `x` with model output `fx`.
fn explain_row(job: &Job<'_>, x: &[f64], fx: f64, mut rng: ChaCha8Rng) -> Result<Vec<f64>> {
    let Job { model, background, base_value: fnull, n_samples, ref tracker } = *job;
    tracker.progress.check()?;
    let m_all = x.len();
    let varying: Vec<usize> = (0..m_all).filter(|&j| varies(x[j], &background.rows, j)).collect();
    let mut phi = vec![0.0; m_all];
    match varying.as_slice() {
        [] => return Ok(phi),
        [only] => {
            phi[*only] = fx - fnull;
            return Ok(phi);
        }
        _ => {}
    }
    let m = varying.len();
    let plan = plan_coalitions(m, n_samples.unwrap_or(2 * m + 2048), &mut rng);
    let ey = coalition_values(model, background, x, &varying, &plan, tracker)?;
    let solved = solve_constrained(&plan, &ey, fnull, fx - fnull);
    for (&j, value) in varying.iter().zip(solved) {
        phi[j] = value;
    }
    Ok(phi)
}

/// Coalitions (masks over the varying features) with their kernel weights.
#[derive(Debug, Clone, Default)]
struct CoalitionPlan {
    m: usize,
    masks: Vec<bool>,
    weights: Vec<f64>,
}

impl CoalitionPlan {
    fn len(&self) -> usize {
        self.weights.len()
    }

    fn mask(&self, k: usize) -> &[bool] {
        &self.masks[k * self.m..(k + 1) * self.m]
    }

    fn push(&mut self, mask: &[bool], weight: f64) {
        debug_assert_eq!(mask.len(), self.m);
        self.masks.extend_from_slice(mask);
        self.weights.push(weight);
    }
}

fn binomial(n: usize, k: usize) -> f64 {
    (0..k).fold(1.0, |acc, i| acc * (n - i) as f64 / (i + 1) as f64)
}

/// The coalitions shap's `KernelExplainer.explain` would evaluate for `m` varying features, in
/// its order: complete subset sizes from the outside in, then sampled pairs (`m ≥ 2`).
fn plan_coalitions(m: usize, n_samples: usize, rng: &mut ChaCha8Rng) -> CoalitionPlan {
    debug_assert!(m >= 2);
    let n_samples = n_samples.min(max_coalitions(m));
    let mut plan =
        CoalitionPlan { m, masks: Vec::with_capacity(n_samples * m), weights: Vec::with_capacity(n_samples) };
    let weight_vector = size_weights(m);
    let num_full = enumerate_full_sizes(&mut plan, &weight_vector, n_samples);
    if num_full < m / 2 {
        sample_remaining_sizes(&mut plan, &weight_vector, num_full, n_samples, rng);
    }
    plan
}

/// The kernel weight of each subset size 1..=m/2, paired sizes (a subset and its complement)
/// counted twice, normalised to sum to 1.
fn size_weights(m: usize) -> Vec<f64> {
    let num_subset_sizes = m / 2; // ceil((m − 1) / 2)
    let num_paired = (m - 1) / 2; // floor((m − 1) / 2)
    let mf = m as f64;
    let mut weight_vector: Vec<f64> =
        (1..=num_subset_sizes).map(|s| (mf - 1.0) / (s as f64 * (mf - s as f64))).collect();
    for w in weight_vector.iter_mut().take(num_paired) {
        *w *= 2.0;
    }
    let total: f64 = weight_vector.iter().sum();
    for w in &mut weight_vector {
        *w /= total;
    }
    weight_vector
}

/// Enumerates whole subset sizes while the budget covers them at their share of the weight;
/// returns how many sizes were enumerated.
fn enumerate_full_sizes(plan: &mut CoalitionPlan, weight_vector: &[f64], n_samples: usize) -> usize {
    let m = plan.m;
    let (num_subset_sizes, num_paired) = (m / 2, (m - 1) / 2);
    let mut num_full = 0;
    let mut samples_left = n_samples as f64;
    let mut remaining = weight_vector.to_vec();
    let mut mask = vec![false; m];
    for s in 1..=num_subset_sizes {
        let paired = s <= num_paired;
        let n_subsets = binomial(m, s) * if paired { 2.0 } else { 1.0 };
        if samples_left * remaining[s - 1] / n_subsets < 1.0 - 1e-8 {
            break;
        }
        num_full += 1;
        samples_left -= n_subsets;
        if remaining[s - 1] < 1.0 {
            let scale = 1.0 - remaining[s - 1];
            for w in &mut remaining {
                *w /= scale;
            }
        }
        let mut w = weight_vector[s - 1] / binomial(m, s);
        if paired {
            w /= 2.0;
        }
        for_each_combination(m, s, |indices| {
            mask.fill(false);
            for &i in indices {
                mask[i] = true;
            }
            plan.push(&mask, w);
            if paired {
                for b in &mut mask {
                    *b = !*b;
                }
                plan.push(&mask, w);
            }
        });
    }
    num_full
}

/// Draws coalitions of the sizes not enumerated (with their complements for paired sizes) as
/// shap does, repeated draws adding weight, then gives them those sizes' share of the weight.
fn sample_remaining_sizes(
    plan: &mut CoalitionPlan,
    weight_vector: &[f64],
    num_full: usize,
    n_samples: usize,
    rng: &mut ChaCha8Rng,
) {
    let m = plan.m;
    let num_paired = (m - 1) / 2;
    let n_fixed = plan.len();
    let mut samples_left = n_samples.saturating_sub(n_fixed);
    let mut draw_weights = weight_vector.to_vec();
    for w in draw_weights.iter_mut().take(num_paired) {
        *w /= 2.0; // each draw of a paired size yields two samples
    }
    let Ok(size_distribution) = WeightedIndex::new(&draw_weights[num_full..]) else {
        return;
    };
    // shap draws 4 × samples_left sizes up front and stops when they run out.
    let mut draws_left = 4 * samples_left;
    let mut seen: HashMap<Vec<bool>, usize> = HashMap::new();
    let mut mask = vec![false; m];
    while samples_left > 0 && draws_left > 0 {
        draws_left -= 1;
        let s = size_distribution.sample(rng) + num_full + 1;
        mask.fill(false);
        for i in index::sample(rng, m, s) {
            mask[i] = true;
        }
        let first = seen.get(&mask).copied();
        if let Some(k) = first {
            plan.weights[k] += 1.0;
        } else {
            seen.insert(mask.clone(), plan.len());
            samples_left -= 1;
            plan.push(&mask, 1.0);
        }
        if samples_left > 0 && s <= num_paired {
            if let Some(k) = first {
                // The complement was pushed right after the first draw of this mask.
                plan.weights[k + 1] += 1.0;
            } else {
                for b in &mut mask {
                    *b = !*b;
                }
                samples_left -= 1;
                plan.push(&mask, 1.0);
            }
        }
    }
    // The sampled coalitions share the kernel weight of the sizes not enumerated.
    let weight_left: f64 = weight_vector[num_full..].iter().sum();
    let drawn: f64 = plan.weights[n_fixed..].iter().sum();
    if drawn > 0.0 {
        for w in &mut plan.weights[n_fixed..] {
            *w *= weight_left / drawn;
        }
    }
}

/// Calls `f` with each `k`-subset of `0..n` in lexicographic order (as Python's
/// `itertools.combinations`).
fn for_each_combination(n: usize, k: usize, mut f: impl FnMut(&[usize])) {
    if k > n {
        return;
    }
    let mut idx: Vec<usize> = (0..k).collect();
    loop {
        f(&idx);
        let Some(i) = (0..k).rev().find(|&i| idx[i] != i + n - k) else {
            return;
        };
        idx[i] += 1;
        for j in i + 1..k {
            idx[j] = idx[j - 1] + 1;
        }
    }
}

/// `v(z) = Σ_b w_b f(x_z, b_z̄)` for every planned coalition, in plan order.
fn coalition_values(
    model: &BatchPredict<'_>,
    background: &Background,
    x: &[f64],
    varying: &[usize],
    plan: &CoalitionPlan,
    tracker: &ChunkTracker<'_>,
) -> Result<Vec<f64>> {
    let n_bg = background.rows.n_rows();
    let (per_chunk, _) = chunk_size(plan.len(), coalitions_per_chunk(n_bg));
    let starts: Vec<usize> = (0..plan.len()).step_by(per_chunk).collect();
    let parts = starts
        .par_iter()
        .map(|&start| {
            tracker.progress.check()?;
            let end = (start + per_chunk).min(plan.len());
            let mut synthetic = Matrix::zeros((end - start) * n_bg, x.len());
            for k in start..end {
                let mask = plan.mask(k);
                for b in 0..n_bg {
                    let row = synthetic.row_mut((k - start) * n_bg + b);
                    row.copy_from_slice(background.rows.row(b));
                    for (&j, _) in varying.iter().zip(mask).filter(|(_, on)| **on) {
                        row[j] = x[j];
                    }
                }
            }
            let y = predict(model, &synthetic)?;
            tracker.tick();
            Ok(y.chunks_exact(n_bg)
                .map(|ys| ys.iter().zip(&background.weights).map(|(y, w)| y * w).sum::<f64>())
                .collect::<Vec<f64>>())
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(parts.concat())
}

/// shap's `solve`: weighted least squares of v(z) − base on the masks with Σφ = f(x) − base
/// imposed by substituting `φ_last = (f(x) − base) − Σ_{j<last} φ_j`.
#[allow(clippy::many_single_char_names)] // the names of the normal equations
fn solve_constrained(plan: &CoalitionPlan, ey: &[f64], base: f64, total: f64) -> Vec<f64> {
    let n = plan.m - 1;
    let mut a = vec![0.0; n * n];
    let mut rhs = vec![0.0; n];
    let mut e = vec![0.0; n];
    for (k, (&w, &v)) in plan.weights.iter().zip(ey).enumerate() {
        if w == 0.0 {
            continue;
        }
        let mask = plan.mask(k);
        let last = f64::from(u8::from(mask[n]));
        for (ej, &on) in e.iter_mut().zip(mask) {
            *ej = f64::from(u8::from(on)) - last;
        }
        let y = (v - base) - last * total;
        for i in 0..n {
            let wei = w * e[i];
            if wei == 0.0 {
                continue;
            }
            rhs[i] += wei * y;
            for j in 0..=i {
                a[i * n + j] += wei * e[j];
            }
        }
    }
    for i in 0..n {
        for j in 0..i {
            a[j * n + i] = a[i * n + j];
        }
    }
    let w = solve_symmetric(&a, &rhs, n);
    let sum: f64 = w.iter().sum();
    let mut phi = w;
    phi.push(total - sum);
    phi
}

/// Solves `a x = b` (`a` symmetric positive semi-definite, n × n) by LU with partial pivoting, as
/// `numpy.linalg.solve`; when a pivot is negligible the system is singular and, as shap then does
/// with `lstsq`, the minimum-norm least-squares solution is returned instead.
fn solve_symmetric(a: &[f64], b: &[f64], n: usize) -> Vec<f64> {
    lu_solve(a, b, n).unwrap_or_else(|| pseudo_inverse_solve(a, b, n))
}

fn lu_solve(a: &[f64], b: &[f64], n: usize) -> Option<Vec<f64>> {
    let mut lu = a.to_vec();
    let mut x = b.to_vec();
    let scale = a.iter().fold(0.0f64, |acc, v| acc.max(v.abs()));
    let tiny = scale * f64::EPSILON * n as f64;
    for col in 0..n {
        let pivot_row = (col..n).max_by(|&r, &s| lu[r * n + col].abs().total_cmp(&lu[s * n + col].abs()))?;
        let pivot = lu[pivot_row * n + col];
        if pivot.abs() <= tiny || pivot.is_nan() {
            return None;
        }
        if pivot_row != col {
            for j in 0..n {
                lu.swap(col * n + j, pivot_row * n + j);
            }
            x.swap(col, pivot_row);
        }
        for r in col + 1..n {
            let factor = lu[r * n + col] / pivot;
            if factor == 0.0 {
                continue;
            }
            for j in col..n {
                lu[r * n + j] -= factor * lu[col * n + j];
            }
            x[r] -= factor * x[col];
        }
    }
    for col in (0..n).rev() {
        let tail: f64 = (col + 1..n).map(|j| lu[col * n + j] * x[j]).sum();
        x[col] = (x[col] - tail) / lu[col * n + col];
    }
    Some(x)
}

/// x = V Λ⁺ Vᵀ b from a cyclic Jacobi eigendecomposition of the symmetric `a`; eigenvalues below
/// 1e-12 of the largest count as zero.
#[allow(clippy::many_single_char_names)] // the names of the Jacobi rotation
fn pseudo_inverse_solve(a: &[f64], b: &[f64], n: usize) -> Vec<f64> {
    let mut d = a.to_vec();
    let mut v = vec![0.0; n * n];
    for i in 0..n {
        v[i * n + i] = 1.0;
    }
    for _sweep in 0..100 {
        let off: f64 = (0..n)
            .flat_map(|i| (0..n).filter(move |&j| j != i).map(move |j| (i, j)))
            .map(|(i, j)| d[i * n + j].powi(2))
            .sum();
        if off < 1e-30 {
            break;
        }
        for p in 0..n {
            for q in p + 1..n {
                let apq = d[p * n + q];
                if apq == 0.0 {
                    continue;
                }
                let theta = (d[q * n + q] - d[p * n + p]) / (2.0 * apq);
                let t = theta.signum() / (theta.abs() + theta.hypot(1.0));
                let t = if theta == 0.0 { 1.0 } else { t };
                let c = 1.0 / t.hypot(1.0);
                let s = t * c;
                for k in 0..n {
                    let dkp = d[k * n + p];
                    let dkq = d[k * n + q];
                    d[k * n + p] = c * dkp - s * dkq;
                    d[k * n + q] = s * dkp + c * dkq;
                }
                for k in 0..n {
                    let dpk = d[p * n + k];
                    let dqk = d[q * n + k];
                    d[p * n + k] = c * dpk - s * dqk;
                    d[q * n + k] = s * dpk + c * dqk;
                }
                for k in 0..n {
                    let vkp = v[k * n + p];
                    let vkq = v[k * n + q];
                    v[k * n + p] = c * vkp - s * vkq;
                    v[k * n + q] = s * vkp + c * vkq;
                }
            }
        }
    }
    let lambda_max = (0..n).fold(0.0f64, |acc, i| acc.max(d[i * n + i].abs()));
    let cutoff = lambda_max * 1e-12;
    let mut x = vec![0.0; n];
    for k in 0..n {
        let lambda = d[k * n + k];
        if lambda.abs() <= cutoff {
            continue;
        }
        let proj: f64 = (0..n).map(|i| v[i * n + k] * b[i]).sum::<f64>() / lambda;
        for i in 0..n {
            x[i] += v[i * n + k] * proj;
        }
    }
    x
}

/// Summarises `data` by `k` weighted rows, as `shap.kmeans(data, k)`: missing values are replaced
/// by the column mean, k-means (k-means++ start, best of 10 Lloyd runs, as scikit-learn's
/// `KMeans(n_init=10)`) groups the rows, each centre is then snapped, feature by feature, to the
/// nearest value that feature really takes in `data` (so a 0/1 or categorical column keeps valid
/// values), and each centre weighs the share of rows in its cluster.
///
/// Returns the centres and their weights (summing to 1); a cluster left empty is dropped. The
/// k-means start is seeded by `seed` (scikit-learn's differs, so centres can differ from shap's
/// where the clustering has several local optima).
///
/// # Errors
/// When `k` is zero or larger than the number of rows, `data` has no columns, a column has no
/// value at all, or the job is cancelled.
pub fn kmeans_background(data: &Matrix, k: usize, seed: u64, progress: &Progress) -> Result<(Matrix, Vec<f64>)> {
    const N_INIT: usize = 10;
    const MAX_ITER: usize = 300;
    let (n, d) = (data.n_rows(), data.n_cols());
    if k == 0 || k > n {
        return Err(Error::invalid(format!("k-means needs 1 ≤ k ≤ the number of rows ({n}), not k = {k}")));
    }
    if d == 0 {
        return Err(Error::invalid("k-means needs at least one column"));
    }
    let x = impute_column_means(data)?;
    // scikit-learn's tolerance: 1e-4 × the mean per-feature variance, on the squared centre shift.
    let tol = 1e-4 * (0..d).map(|j| variance(&x.column(j))).sum::<f64>() / d as f64;
    let done = AtomicUsize::new(0);
    let runs = (0..N_INIT)
        .into_par_iter()
        .map(|run| {
            let mut rng = stream_rng(seed, run as u64);
            let result = lloyd(&x, kmeans_plus_plus(&x, k, &mut rng), MAX_ITER, tol, progress);
            progress.set_count(done.fetch_add(1, Ordering::Relaxed) + 1, N_INIT);
            result
        })
        .collect::<Result<Vec<_>>>()?;
    // Best inertia; the lowest run index wins ties, so the choice does not depend on threads.
    let Some(best) = runs.into_iter().reduce(|a, b| if b.inertia < a.inertia { b } else { a }) else {
        return Err(Error::invalid("k-means produced no result"));
    };

    let mut counts = vec![0usize; k];
    for &label in &best.labels {
        counts[label] += 1;
    }
    let mut centres = Matrix::zeros(0, d);
    let mut weights = Vec::with_capacity(k);
    for (c, &count) in counts.iter().enumerate() {
        if count == 0 {
            continue;
        }
        let snapped: Vec<f64> = (0..d)
            .map(|j| {
                let target = best.centres.get(c, j);
                // First row with the smallest distance, as numpy's argmin.
                let mut nearest = x.get(0, j);
                let mut best_dist = (nearest - target).abs();
                for i in 1..n {
                    let dist = (x.get(i, j) - target).abs();
                    if dist < best_dist {
                        best_dist = dist;
                        nearest = x.get(i, j);
                    }
                }
                nearest
            })
            .collect();
        centres.push_row(&snapped)?;
        weights.push(count as f64 / n as f64);
    }
    Ok((centres, weights))
}

/// A seeded sample of `n` distinct rows of `data` (all rows when `n` ≥ the row count), in their
/// original order, each weighing 1/n.
///
/// # Errors
/// When `n` is zero or `data` has no rows.
pub fn sample_background(data: &Matrix, n: usize, seed: u64) -> Result<(Matrix, Vec<f64>)> {
    if n == 0 || data.n_rows() == 0 {
        return Err(Error::invalid("a background sample needs at least one row"));
    }
    let mut indices: Vec<usize> = if n >= data.n_rows() {
        (0..data.n_rows()).collect()
    } else {
        index::sample(&mut stream_rng(seed, 0), data.n_rows(), n).into_vec()
    };
    indices.sort_unstable();
    let rows = data.select_rows(&indices);
    let w = 1.0 / indices.len() as f64;
    Ok((rows, vec![w; indices.len()]))
}

fn impute_column_means(data: &Matrix) -> Result<Matrix> {
    let mut x = data.clone();
    for j in 0..data.n_cols() {
        let present: Vec<f64> = data.column(j).into_iter().filter(|v| !v.is_nan()).collect();
        if present.len() == data.n_rows() {
            continue;
        }
        if present.is_empty() {
            return Err(Error::invalid(format!("column {j} has no values to summarise")));
        }
        let mean = present.iter().sum::<f64>() / present.len() as f64;
        for i in 0..data.n_rows() {
            if x.get(i, j).is_nan() {
                x.set(i, j, mean);
            }
        }
    }
    Ok(x)
}

fn variance(values: &[f64]) -> f64 {
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n
}

fn squared_distance(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum()
}

/// scikit-learn's greedy k-means++: each new centre is the best (lowest potential) of
/// 2 + ⌊ln k⌋ candidates drawn with probability proportional to the squared distance.
fn kmeans_plus_plus(x: &Matrix, k: usize, rng: &mut ChaCha8Rng) -> Matrix {
    let n = x.n_rows();
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // ln of a count ≥ 1: small, ≥ 0
    let trials = 2 + (k as f64).ln().floor() as usize;
    let mut centres = Matrix::zeros(k, x.n_cols());
    let first = rng.random_range(0..n);
    centres.row_mut(0).copy_from_slice(x.row(first));
    let mut closest: Vec<f64> = x.rows().map(|r| squared_distance(r, x.row(first))).collect();
    let mut potential: f64 = closest.iter().sum();
    for c in 1..k {
        let cumulative: Vec<f64> = closest
            .iter()
            .scan(0.0, |acc, v| {
                *acc += v;
                Some(*acc)
            })
            .collect();
        let mut best: Option<(f64, usize, Vec<f64>)> = None;
        for _ in 0..trials {
            let target = rng.random::<f64>() * potential;
            let candidate = cumulative.partition_point(|&v| v < target).min(n - 1);
            let dist: Vec<f64> =
                x.rows().zip(&closest).map(|(r, &old)| squared_distance(r, x.row(candidate)).min(old)).collect();
            let pot: f64 = dist.iter().sum();
            if best.as_ref().is_none_or(|(p, _, _)| pot < *p) {
                best = Some((pot, candidate, dist));
            }
        }
        if let Some((pot, candidate, dist)) = best {
            centres.row_mut(c).copy_from_slice(x.row(candidate));
            closest = dist;
            potential = pot;
        }
    }
    centres
}

struct KMeansRun {
    centres: Matrix,
    labels: Vec<usize>,
    inertia: f64,
}

fn assign(x: &Matrix, centres: &Matrix) -> (Vec<usize>, Vec<f64>) {
    x.rows()
        .map(|r| {
            let mut best = (0, f64::INFINITY);
            for c in 0..centres.n_rows() {
                let dist = squared_distance(r, centres.row(c));
                if dist < best.1 {
                    best = (c, dist);
                }
            }
            best
        })
        .unzip()
}

fn lloyd(x: &Matrix, mut centres: Matrix, max_iter: usize, tol: f64, progress: &Progress) -> Result<KMeansRun> {
    let (n, d, k) = (x.n_rows(), x.n_cols(), centres.n_rows());
    let (mut labels, mut dists) = assign(x, &centres);
    for _ in 0..max_iter {
        progress.check()?;
        let mut sums = Matrix::zeros(k, d);
        let mut counts = vec![0usize; k];
        for (i, &c) in labels.iter().enumerate() {
            counts[c] += 1;
            for (s, v) in sums.row_mut(c).iter_mut().zip(x.row(i)) {
                *s += v;
            }
        }
        // Empty clusters take the rows farthest from their centres, as scikit-learn relocates them.
        let mut far: Vec<usize> = (0..n).collect();
        far.sort_by(|&a, &b| dists[b].total_cmp(&dists[a]).then(a.cmp(&b)));
        let mut far = far.into_iter();
        let mut new_centres = Matrix::zeros(k, d);
        for (c, &count) in counts.iter().enumerate() {
            if count == 0 {
                if let Some(i) = far.next() {
                    new_centres.row_mut(c).copy_from_slice(x.row(i));
                }
            } else {
                for (nc, s) in new_centres.row_mut(c).iter_mut().zip(sums.row(c)) {
                    *nc = s / count as f64;
                }
            }
        }
        let shift: f64 = (0..k).map(|c| squared_distance(centres.row(c), new_centres.row(c))).sum();
        centres = new_centres;
        let (new_labels, new_dists) = assign(x, &centres);
        let unchanged = new_labels == labels;
        labels = new_labels;
        dists = new_dists;
        if unchanged || shift <= tol {
            break;
        }
    }
    let inertia = dists.iter().sum();
    Ok(KMeansRun { centres, labels, inertia })
}

#[cfg(test)]
#[allow(clippy::float_cmp)] // exact values are the point of several checks
mod tests {
    use super::*;

    /// A smooth nonlinear function with interactions, the same in the Python fixture script.
    fn nonlinear(m: &Matrix) -> Vec<f64> {
        m.rows()
            .map(|r| {
                let mut v = r[0].sin() + r[1] * r[2] + (-r[3] * r[3]).exp() + 0.5 * r[4] * r[0].abs();
                for (j, x) in r.iter().enumerate().skip(5) {
                    v += (0.3 * x * (j as f64)).tanh() * r[j % 5];
                }
                v
            })
            .collect()
    }

    /// Interventional Shapley values straight from the definition (Shapley 1953), with
    /// `v(S) = Σ_b w_b f(x_S, b_S̄)`.
    #[allow(clippy::many_single_char_names)]
    fn brute_force(f: &BatchPredict<'_>, bg: &Background, x: &[f64]) -> Vec<f64> {
        let m = x.len();
        let n_bg = bg.rows().n_rows();
        let mut synthetic = Matrix::zeros((1 << m) * n_bg, m);
        for s in 0..1usize << m {
            for b in 0..n_bg {
                let row = synthetic.row_mut(s * n_bg + b);
                row.copy_from_slice(bg.rows().row(b));
                for j in 0..m {
                    if s >> j & 1 == 1 {
                        row[j] = x[j];
                    }
                }
            }
        }
        let y = f(&synthetic);
        let v: Vec<f64> =
            (0..1usize << m).map(|s| (0..n_bg).map(|b| bg.weights()[b] * y[s * n_bg + b]).sum()).collect();
        let fact = |k: usize| (1..=k).map(|i| i as f64).product::<f64>();
        (0..m)
            .map(|i| {
                (0..1usize << m)
                    .filter(|s| s >> i & 1 == 0)
                    .map(|s| {
                        let size = s.count_ones() as usize;
                        fact(size) * fact(m - size - 1) / fact(m) * (v[s | 1 << i] - v[s])
                    })
                    .sum()
            })
            .collect()
    }

    fn grid_matrix(n: usize, m: usize, salt: f64) -> Matrix {
        let data: Vec<f64> = (0..n * m).map(|i| ((i as f64 + salt) * 0.754_877_666).fract() * 4.0 - 2.0).collect();
        Matrix::from_vec(data, n, m).unwrap()
    }

    #[test]
    fn exact_enumeration_equals_the_shapley_definition() {
        let m = 6;
        let bg = Background::new(grid_matrix(5, m, 0.3), vec![1.0, 2.0, 3.0, 0.5, 1.5]).unwrap();
        let rows = grid_matrix(4, m, 7.1);
        let shap = kernel_shap(&nonlinear, &bg, &rows, &KernelShapOptions::default(), &Progress::new()).unwrap();
        for i in 0..rows.n_rows() {
            let exact = brute_force(&nonlinear, &bg, rows.row(i));
            for (j, e) in exact.iter().enumerate() {
                assert!((shap.values.get(i, j) - e).abs() < 1e-9, "row {i} feature {j}");
            }
        }
    }

    #[test]
    fn efficiency_holds_in_the_sampled_regime() {
        let m = 12;
        let bg = Background::uniform(grid_matrix(6, m, 0.9)).unwrap();
        let rows = grid_matrix(3, m, 3.3);
        let options = KernelShapOptions { n_samples: None, seed: 42 };
        let plan = plan_coalitions(m, 2 * m + 2048, &mut stream_rng(1, 0));
        assert!(plan.len() < max_coalitions(m), "the test must sample");
        let shap = kernel_shap(&nonlinear, &bg, &rows, &options, &Progress::new()).unwrap();
        for i in 0..rows.n_rows() {
            let sum: f64 = shap.values.row(i).iter().sum();
            assert!((shap.base_value + sum - shap.predictions[i]).abs() < 1e-9);
            // And the estimate is close to the exact values.
            let exact = brute_force(&nonlinear, &bg, rows.row(i));
            let scale: f64 = exact.iter().map(|v| v.abs()).sum();
            let err: f64 = exact.iter().zip(shap.values.row(i)).map(|(a, b)| (a - b).abs()).sum();
            assert!(err < 0.05 * scale, "row {i}: L1 error {err} against L1 size {scale}");
        }
    }

    #[test]
    fn plan_matches_shaps_enumeration_rules() {
        // M = 12, nsamples = 2072: sizes 1, 2, 3 (and 11, 10, 9) are complete (1,112 coalitions).
        let plan = plan_coalitions(12, 2072, &mut stream_rng(0, 0));
        assert_eq!(plan.len(), 2072);
        let complete = 2 * (12 + 66 + 220);
        let sizes: Vec<usize> = (0..plan.len()).map(|k| plan.mask(k).iter().filter(|b| **b).count()).collect();
        assert!(sizes[..complete].iter().all(|&s| s <= 3 || s >= 9));
        assert!(sizes[complete..].iter().all(|&s| (4..=8).contains(&s)));
        let total: f64 = plan.weights.iter().sum();
        assert!((total - 1.0).abs() < 1e-12);
        // The exact regime enumerates every coalition once.
        let plan = plan_coalitions(5, 100, &mut stream_rng(0, 0));
        assert_eq!(plan.len(), 30);
        let mut seen: Vec<Vec<bool>> = (0..30).map(|k| plan.mask(k).to_vec()).collect();
        seen.sort();
        seen.dedup();
        assert_eq!(seen.len(), 30);
    }

    #[derive(serde::Deserialize)]
    struct ShapCase {
        model: String,
        background: Vec<Vec<f64>>,
        weights: Vec<f64>,
        rows: Vec<Vec<f64>>,
        nsamples: Option<usize>,
        expected_value: f64,
        shap_values: Vec<Vec<f64>>,
        exact: bool,
    }

    fn logistic(m: &Matrix) -> Vec<f64> {
        const COEF: [f64; 7] = [0.8, -1.2, 0.5, 0.0, 2.0, -0.3, 0.7];
        m.rows()
            .map(|r| {
                let z = -0.4 + r.iter().zip(COEF).map(|(x, c)| x * c).sum::<f64>() + 0.6 * r[0] * r[1];
                1.0 / (1.0 + (-z).exp())
            })
            .collect()
    }

    #[test]
    fn matches_python_shap_kernel_explainer() {
        let cases: Vec<ShapCase> =
            serde_json::from_str(include_str!("../../tests/fixtures/kernel_shap/shap_reference.json")).unwrap();
        assert!(cases.iter().any(|c| c.exact) && cases.iter().any(|c| !c.exact));
        for case in &cases {
            let f: &BatchPredict<'_> = match case.model.as_str() {
                "nonlinear" => &nonlinear,
                "logistic" => &logistic,
                other => panic!("unknown model {other}"),
            };
            let m = case.background[0].len();
            let bg = Background::new(Matrix::from_rows(&case.background, m).unwrap(), case.weights.clone()).unwrap();
            let rows = Matrix::from_rows(&case.rows, m).unwrap();
            let options = KernelShapOptions { n_samples: case.nsamples, seed: 7 };
            let ours = kernel_shap(f, &bg, &rows, &options, &Progress::new()).unwrap();
            assert!((ours.base_value - case.expected_value).abs() < 1e-12);
            for (i, theirs) in case.shap_values.iter().enumerate() {
                if case.exact {
                    for (j, t) in theirs.iter().enumerate() {
                        assert!((ours.values.get(i, j) - t).abs() < 1e-8, "{} row {i} feature {j}", case.model);
                    }
                } else {
                    // Both sample the middle subset sizes, with different generators: compare the
                    // estimates in L1 against the size of the explanation.
                    let scale: f64 = theirs.iter().map(|v| v.abs()).sum();
                    let err: f64 = theirs.iter().zip(ours.values.row(i)).map(|(a, b)| (a - b).abs()).sum();
                    assert!(err < 0.05 * scale, "{} row {i}: L1 difference {err} of {scale}", case.model);
                }
            }
        }
    }

    #[test]
    fn same_seed_same_values_on_one_and_two_threads() {
        let m = 12;
        let bg = Background::uniform(grid_matrix(4, m, 0.2)).unwrap();
        let rows = grid_matrix(3, m, 1.7);
        let options = KernelShapOptions { n_samples: Some(500), seed: 99 };
        let run = |threads: usize| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap()
                .install(|| kernel_shap(&nonlinear, &bg, &rows, &options, &Progress::new()).unwrap())
        };
        let one = run(1);
        assert_eq!(one, run(2));
        let other_seed =
            kernel_shap(&nonlinear, &bg, &rows, &KernelShapOptions { seed: 100, ..options }, &Progress::new());
        assert_ne!(one.values, other_seed.unwrap().values);
    }

    #[test]
    fn constant_features_get_zero_and_one_varying_feature_gets_everything() {
        let bg =
            Background::uniform(Matrix::from_rows(&[[1.0, 5.0, 0.0, 1.0, 2.0], [2.0, 5.0, 0.0, 1.0, 2.0]], 5).unwrap())
                .unwrap();
        let rows = Matrix::from_rows(&[[3.0, 5.0, 0.0, 1.0, 2.0], [3.0, 5.0, 1.0, 1.0, 2.0]], 5).unwrap();
        let shap = kernel_shap(&nonlinear, &bg, &rows, &KernelShapOptions::default(), &Progress::new()).unwrap();
        assert_eq!(shap.values.get(0, 1), 0.0);
        assert_eq!(shap.values.get(0, 2), 0.0);
        assert!((shap.values.get(0, 0) - (shap.predictions[0] - shap.base_value)).abs() < 1e-12);
        let sum: f64 = shap.values.row(1).iter().sum();
        assert!((shap.base_value + sum - shap.predictions[1]).abs() < 1e-12);
    }

    #[test]
    fn cancel_stops_the_job() {
        let bg = Background::uniform(grid_matrix(3, 4, 0.0)).unwrap();
        let progress = Progress::new();
        progress.cancel();
        let r = kernel_shap(&nonlinear, &bg, &grid_matrix(2, 4, 1.0), &KernelShapOptions::default(), &progress);
        assert!(r.is_err_and(|e| e.is_cancelled()));
    }

    #[test]
    fn singular_systems_fall_back_to_least_squares() {
        // Rank one: x0 + x1 = 2 in the least-squares sense; the minimum-norm solution is (1, 1).
        let a = [1.0, 1.0, 1.0, 1.0];
        let x = solve_symmetric(&a, &[2.0, 2.0], 2);
        assert!((x[0] - 1.0).abs() < 1e-12 && (x[1] - 1.0).abs() < 1e-12);
        let x = solve_symmetric(&[4.0, 1.0, 1.0, 3.0], &[1.0, 2.0], 2);
        assert!((4.0 * x[0] + x[1] - 1.0).abs() < 1e-12 && (x[0] + 3.0 * x[1] - 2.0).abs() < 1e-12);
    }

    #[derive(serde::Deserialize)]
    struct KMeansCase {
        data: Vec<Vec<f64>>,
        k: usize,
        separated: bool,
        centres: Vec<Vec<f64>>,
        weights: Vec<f64>,
    }

    #[test]
    fn kmeans_background_like_shap_kmeans() {
        let cases: Vec<KMeansCase> =
            serde_json::from_str(include_str!("../../tests/fixtures/kernel_shap/kmeans_reference.json")).unwrap();
        for case in &cases {
            let d = case.data[0].len();
            let data = Matrix::from_rows(&case.data, d).unwrap();
            let (centres, weights) = kmeans_background(&data, case.k, 3, &Progress::new()).unwrap();
            assert!((weights.iter().sum::<f64>() - 1.0).abs() < 1e-12);
            for c in centres.rows() {
                for (j, v) in c.iter().enumerate() {
                    assert!(case.data.iter().any(|r| r[j] == *v), "centre value {v} is not a value of column {j}");
                }
            }
            if case.separated {
                // One clustering is clearly best, so any k-means finds it: the snapped centres and
                // weights must be shap's, up to order.
                let mut ours: Vec<(Vec<f64>, f64)> = centres.rows().map(<[f64]>::to_vec).zip(weights).collect();
                let mut theirs: Vec<(Vec<f64>, f64)> = case.centres.iter().cloned().zip(case.weights.clone()).collect();
                ours.sort_by(|a, b| a.0.partial_cmp(&b.0).unwrap());
                theirs.sort_by(|a, b| a.0.partial_cmp(&b.0).unwrap());
                assert_eq!(ours.len(), theirs.len());
                for ((oc, ow), (tc, tw)) in ours.iter().zip(&theirs) {
                    assert_eq!(oc, tc);
                    assert!((ow - tw).abs() < 1e-12);
                }
            } else {
                assert_eq!(centres.n_rows(), case.centres.len());
            }
        }
    }

    #[test]
    fn kmeans_is_deterministic_and_validates() {
        let data = grid_matrix(200, 3, 0.5);
        let run = |threads: usize| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap()
                .install(|| kmeans_background(&data, 5, 11, &Progress::new()).unwrap())
        };
        assert_eq!(run(1), run(2));
        assert!(kmeans_background(&data, 0, 1, &Progress::new()).is_err());
        assert!(kmeans_background(&data, 201, 1, &Progress::new()).is_err());
        let mut with_gap = data.clone();
        with_gap.set(3, 1, f64::NAN);
        let (centres, _) = kmeans_background(&with_gap, 4, 1, &Progress::new()).unwrap();
        assert!(centres.as_slice().iter().all(|v| v.is_finite()));
    }

    #[test]
    fn sample_background_is_seeded_and_uniform() {
        let data = grid_matrix(50, 2, 0.1);
        let (a, wa) = sample_background(&data, 10, 5).unwrap();
        let (b, _) = sample_background(&data, 10, 5).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.n_rows(), 10);
        assert!(wa.iter().all(|w| (w - 0.1).abs() < 1e-15));
        let (all, _) = sample_background(&data, 80, 5).unwrap();
        assert_eq!(all, data);
    }
}
