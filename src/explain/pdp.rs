//! Partial dependence and individual conditional expectation (ICE) curves.
//!
//! Friedman 2001 ("Greedy Function Approximation", section 8.2) for partial dependence and
//! Goldstein et al. 2015 ("Peeking Inside the Black Box") for ICE, with the grid of
//! scikit-learn's `sklearn.inspection.partial_dependence`: `grid_points` evenly spaced values
//! between the 5 % and 95 % percentiles of the feature, or the feature's distinct values when it
//! has fewer than `grid_points` of them. An ICE curve is one row's prediction as the feature
//! sweeps the grid (all other features as they are); the partial dependence is the mean of the
//! ICE curves. Two-feature partial dependence sweeps a grid of pairs (for heatmaps).

// Feature indices are checked by `check_feature` at each entry point; grid and percentile
// indices are computed from the lengths of the vectors they index (`feature_grid` needs two
// grid points and at least one value first).
#![allow(clippy::indexing_slicing)]

use std::sync::atomic::{AtomicUsize, Ordering};

use rand::SeedableRng as _;
use rand::rngs::ChaCha8Rng;
use rand::seq::index;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::BatchPredict;
use crate::error::{Error, Result};
use crate::matrix::Matrix;
use crate::progress::Progress;

/// Settings of [`partial_dependence`] and [`partial_dependence_2d`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct PdpOptions {
    /// Grid points per feature (scikit-learn's `grid_resolution`); 20 by default, enough for a plot.
    pub grid_points: usize,
    /// Lower and upper percentile of the grid, as fractions (0.05, 0.95).
    pub percentiles: (f64, f64),
    /// Use at most this many rows, a seeded sample; `None` uses every row.
    pub max_rows: Option<usize>,
    /// Seed of the row sample.
    pub seed: u64,
}

impl Default for PdpOptions {
    fn default() -> Self {
        Self { grid_points: 20, percentiles: (0.05, 0.95), max_rows: None, seed: 0 }
    }
}

/// Partial dependence and ICE curves of one feature.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PartialDependence {
    /// The feature (column index).
    pub feature: usize,
    /// Grid values, ascending.
    pub grid: Vec<f64>,
    /// Partial dependence: the mean ICE value at each grid value.
    pub average: Vec<f64>,
    /// ICE curves: one row per used data row, one column per grid value.
    pub ice: Matrix,
    /// The data rows the ICE curves belong to, ascending.
    pub rows: Vec<usize>,
}

/// Partial dependence of a pair of features.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PartialDependence2d {
    /// The two features (column indices).
    pub features: [usize; 2],
    /// Grid of each feature.
    pub grids: [Vec<f64>; 2],
    /// Mean prediction: one row per value of the first grid, one column per value of the second.
    pub average: Matrix,
    /// The data rows averaged over, ascending.
    pub rows: Vec<usize>,
}

/// The grid for a feature with these values: its distinct values (missing ones ignored) when there
/// are fewer than `grid_points`, otherwise `grid_points` values evenly spaced between the two
/// percentiles (`numpy.linspace` between `numpy.percentile` values, as scikit-learn).
///
/// # Errors
/// When there is no value, `grid_points < 2`, the percentiles are not `0 ≤ low < high ≤ 1`, or
/// they coincide in the data (most values equal; widen the percentiles).
pub fn feature_grid(values: &[f64], grid_points: usize, percentiles: (f64, f64)) -> Result<Vec<f64>> {
    let (low, high) = percentiles;
    let ordered = (0.0..1.0).contains(&low) && low < high && high <= 1.0;
    if !ordered {
        return Err(Error::invalid(format!("grid percentiles must satisfy 0 ≤ low < high ≤ 1, not {low} and {high}")));
    }
    if grid_points < 2 {
        return Err(Error::invalid("a partial dependence grid needs at least 2 points"));
    }
    let mut sorted: Vec<f64> = values.iter().copied().filter(|v| !v.is_nan()).collect();
    if sorted.is_empty() {
        return Err(Error::invalid("the feature has no values to build a grid from"));
    }
    sorted.sort_by(f64::total_cmp);
    let mut distinct = sorted.clone();
    distinct.dedup();
    if distinct.len() < grid_points {
        return Ok(distinct);
    }
    let (start, stop) = (
        crate::numeric::percentile_sorted(&sorted, low * 100.0),
        crate::numeric::percentile_sorted(&sorted, high * 100.0),
    );
    if !start.is_finite() || !stop.is_finite() {
        return Err(Error::invalid(format!(
            "the grid percentiles of the feature are {start} and {stop}; remove infinite values first"
        )));
    }
    if start >= stop {
        return Err(Error::invalid(format!(
            "the {}% and {}% percentiles of the feature are both {start}, so there is no range to sweep; widen the percentiles",
            low * 100.0,
            high * 100.0
        )));
    }
    // numpy.linspace: start + i·step, the last point exactly `stop`.
    let spacing = (stop - start) / (grid_points - 1) as f64;
    let mut grid: Vec<f64> = (0..grid_points).map(|i| start + i as f64 * spacing).collect();
    grid[grid_points - 1] = stop;
    Ok(grid)
}

/// Rows to use: all, or a seeded sample of `max_rows`, ascending.
fn used_rows(n_rows: usize, options: &PdpOptions) -> Result<Vec<usize>> {
    match options.max_rows {
        Some(0) => Err(Error::invalid("max_rows must be at least 1")),
        Some(k) if k < n_rows => {
            let mut rows = index::sample(&mut ChaCha8Rng::seed_from_u64(options.seed), n_rows, k).into_vec();
            rows.sort_unstable();
            Ok(rows)
        }
        _ => Ok((0..n_rows).collect()),
    }
}

fn check_feature(data: &Matrix, feature: usize) -> Result<()> {
    if feature < data.n_cols() {
        Ok(())
    } else {
        Err(Error::invalid(format!("feature {feature} does not exist; the data has {} columns", data.n_cols())))
    }
}

/// Predictions for `base` with the columns `set` given the values — one model call.
fn predict_with(model: &BatchPredict<'_>, base: &Matrix, set: &[(usize, f64)]) -> Result<Vec<f64>> {
    let mut rows = base.clone();
    for i in 0..rows.n_rows() {
        let row = rows.row_mut(i);
        for &(j, v) in set {
            row[j] = v;
        }
    }
    let out = model(&rows);
    if out.len() == rows.n_rows() {
        Ok(out)
    } else {
        Err(Error::invalid(format!("the model returned {} values for {} rows", out.len(), rows.n_rows())))
    }
}

/// Partial dependence and ICE curves of `feature` over the rows of `data`.
///
/// One model call per grid value on all used rows; grid values run in parallel and the result
/// does not depend on the number of threads.
///
/// # Errors
/// When `data` has no rows, the feature does not exist, the grid cannot be built (see
/// [`feature_grid`]), the model returns the wrong number of values, or the job is cancelled.
pub fn partial_dependence(
    model: &BatchPredict<'_>,
    data: &Matrix,
    feature: usize,
    options: &PdpOptions,
    progress: &Progress,
) -> Result<PartialDependence> {
    check_feature(data, feature)?;
    if data.n_rows() == 0 {
        return Err(Error::invalid("partial dependence needs at least one row"));
    }
    let grid = feature_grid(&data.column(feature), options.grid_points, options.percentiles)?;
    let rows = used_rows(data.n_rows(), options)?;
    let base = data.select_rows(&rows);
    progress.check()?;
    let done = AtomicUsize::new(0);
    let columns = grid
        .par_iter()
        .map(|&value| {
            progress.check()?;
            let column = predict_with(model, &base, &[(feature, value)])?;
            progress.set_count(done.fetch_add(1, Ordering::Relaxed) + 1, grid.len());
            Ok(column)
        })
        .collect::<Result<Vec<_>>>()?;
    let mut ice = Matrix::zeros(rows.len(), grid.len());
    for (k, column) in columns.iter().enumerate() {
        for (i, v) in column.iter().enumerate() {
            ice.set(i, k, *v);
        }
    }
    let average = columns.iter().map(|c| c.iter().sum::<f64>() / c.len() as f64).collect();
    Ok(PartialDependence { feature, grid, average, ice, rows })
}

/// Partial dependence of the pair `features` on the product of their grids.
///
/// One model call per grid pair on all used rows, pairs in parallel; use `max_rows` to bound the
/// cost (`grid_points²` calls).
///
/// # Errors
/// As [`partial_dependence`], and when both features are the same.
pub fn partial_dependence_2d(
    model: &BatchPredict<'_>,
    data: &Matrix,
    features: [usize; 2],
    options: &PdpOptions,
    progress: &Progress,
) -> Result<PartialDependence2d> {
    let [f0, f1] = features;
    check_feature(data, f0)?;
    check_feature(data, f1)?;
    if f0 == f1 {
        return Err(Error::invalid("two-feature partial dependence needs two different features"));
    }
    if data.n_rows() == 0 {
        return Err(Error::invalid("partial dependence needs at least one row"));
    }
    let grids = [
        feature_grid(&data.column(f0), options.grid_points, options.percentiles)?,
        feature_grid(&data.column(f1), options.grid_points, options.percentiles)?,
    ];
    let rows = used_rows(data.n_rows(), options)?;
    let base = data.select_rows(&rows);
    progress.check()?;
    let (n0, n1) = (grids[0].len(), grids[1].len());
    let done = AtomicUsize::new(0);
    let means = (0..n0 * n1)
        .into_par_iter()
        .map(|cell| {
            progress.check()?;
            let (a, b) = (cell / n1, cell % n1);
            let out = predict_with(model, &base, &[(f0, grids[0][a]), (f1, grids[1][b])])?;
            progress.set_count(done.fetch_add(1, Ordering::Relaxed) + 1, n0 * n1);
            Ok(out.iter().sum::<f64>() / out.len() as f64)
        })
        .collect::<Result<Vec<_>>>()?;
    let average = Matrix::from_vec(means, n0, n1)?;
    Ok(PartialDependence2d { features, grids, average, rows })
}

#[cfg(test)]
#[allow(clippy::float_cmp)] // exact values are the point of several checks
mod tests {
    use super::*;

    fn component(x: f64) -> f64 {
        (1.5 * x).sin() + 0.2 * x * x
    }

    /// f(x) = g(x0) + x1² − 3·x2, additive.
    fn additive(m: &Matrix) -> Vec<f64> {
        m.rows().map(|r| component(r[0]) + r[1] * r[1] - 3.0 * r[2]).collect()
    }

    /// An interaction, for the two-feature case: f = x0·x1 + x2.
    fn product(m: &Matrix) -> Vec<f64> {
        m.rows().map(|r| r[0] * r[1] + r[2]).collect()
    }

    fn data(n: usize) -> Matrix {
        let values: Vec<f64> = (0..n * 3)
            .map(|i| {
                let u = (i as f64 * 0.754_877_666_2).fract();
                if i % 3 == 2 { (u * 4.0).floor() } else { u * 6.0 - 3.0 }
            })
            .collect();
        Matrix::from_vec(values, n, 3).unwrap()
    }

    #[test]
    fn pdp_of_an_additive_model_is_the_component_plus_a_constant() {
        let x = data(250);
        let pd = partial_dependence(&additive, &x, 0, &PdpOptions::default(), &Progress::new()).unwrap();
        assert_eq!(pd.grid.len(), 20);
        let offset = pd.average[0] - component(pd.grid[0]);
        for (g, avg) in pd.grid.iter().zip(&pd.average) {
            assert!((avg - component(*g) - offset).abs() < 1e-12);
        }
        // The constant is the mean of the other components.
        let rest: f64 = x.rows().map(|r| r[1] * r[1] - 3.0 * r[2]).sum::<f64>() / 250.0;
        assert!((offset - rest).abs() < 1e-12);
        // The mean of the ICE curves is the partial dependence.
        for k in 0..pd.grid.len() {
            let mean = pd.ice.column(k).iter().sum::<f64>() / 250.0;
            assert_eq!(mean, pd.average[k]);
        }
    }

    #[test]
    fn ice_at_a_rows_own_value_is_the_model_output() {
        let x = data(60);
        // Feature 2 takes four values, so the grid is those values and holds every row's own.
        let pd = partial_dependence(&additive, &x, 2, &PdpOptions::default(), &Progress::new()).unwrap();
        assert_eq!(pd.grid, [0.0, 1.0, 2.0, 3.0]);
        let direct = additive(&x);
        for (i, &row) in pd.rows.iter().enumerate() {
            let k = pd.grid.iter().position(|g| *g == x.get(row, 2)).unwrap();
            assert_eq!(pd.ice.get(i, k), direct[row]);
        }
    }

    #[test]
    fn grid_spans_the_5_to_95_percent_range() {
        let values: Vec<f64> = (0..=100).map(f64::from).collect();
        let grid = feature_grid(&values, 20, (0.05, 0.95)).unwrap();
        assert_eq!(grid.len(), 20);
        assert_eq!(grid[0], 5.0);
        assert_eq!(grid[19], 95.0);
        for w in grid.windows(2) {
            assert!((w[1] - w[0] - 90.0 / 19.0).abs() < 1e-12);
        }
        // Interpolated percentiles, as numpy.percentile([2^k − 1 for k in 0..20], [5, 95]).
        let skewed: Vec<f64> = (0..20).map(|k| f64::from(2u32.pow(k) - 1)).collect();
        let grid = feature_grid(&skewed, 20, (0.05, 0.95)).unwrap();
        assert!((grid[0] - 0.95).abs() < 1e-12);
        assert!((grid[19] - 275_250.2).abs() < 1e-9);
        assert!(feature_grid(&[1.0; 30], 20, (0.05, 0.95)).is_ok_and(|g| g == [1.0]));
        let mostly_constant: Vec<f64> = (0..100).map(|i| if i < 3 { f64::from(i) + 10.0 } else { 1.0 }).collect();
        assert!(feature_grid(&mostly_constant, 3, (0.05, 0.95)).is_err());
        assert!(feature_grid(&values, 20, (0.5, 0.2)).is_err());
        let with_infinity: Vec<f64> = (0..40).map(|i| if i == 0 { f64::NEG_INFINITY } else { f64::from(i) }).collect();
        assert!(feature_grid(&with_infinity, 20, (0.0, 1.0)).is_err());
    }

    #[test]
    fn subsample_is_seeded_and_results_do_not_depend_on_threads() {
        let x = data(500);
        let options = PdpOptions { max_rows: Some(50), seed: 4, ..PdpOptions::default() };
        let run = |threads: usize| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap()
                .install(|| partial_dependence(&additive, &x, 1, &options, &Progress::new()).unwrap())
        };
        let one = run(1);
        assert_eq!(one.rows.len(), 50);
        assert!(one.rows.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(one, run(2));
    }

    #[test]
    fn two_feature_dependence_of_a_product() {
        let x = data(120);
        let options = PdpOptions { grid_points: 5, ..PdpOptions::default() };
        let pd = partial_dependence_2d(&product, &x, [0, 1], &options, &Progress::new()).unwrap();
        let mean_x2: f64 = x.column(2).iter().sum::<f64>() / 120.0;
        for (a, g0) in pd.grids[0].iter().enumerate() {
            for (b, g1) in pd.grids[1].iter().enumerate() {
                assert!((pd.average.get(a, b) - (g0 * g1 + mean_x2)).abs() < 1e-12);
            }
        }
        assert!(partial_dependence_2d(&product, &x, [1, 1], &options, &Progress::new()).is_err());
    }

    #[test]
    fn cancel_and_bad_input() {
        let x = data(10);
        let progress = Progress::new();
        progress.cancel();
        let r = partial_dependence(&additive, &x, 0, &PdpOptions::default(), &progress);
        assert!(r.is_err_and(|e| e.is_cancelled()));
        assert!(partial_dependence(&additive, &x, 3, &PdpOptions::default(), &Progress::new()).is_err());
        let short = |m: &Matrix| vec![0.0; m.n_rows().saturating_sub(1)];
        assert!(partial_dependence(&short, &x, 0, &PdpOptions::default(), &Progress::new()).is_err());
    }
}
