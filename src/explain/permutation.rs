//! Permutation importance on held-out data: how much a score drops when a feature is shuffled.
//!
//! Breiman 2001 ("Random Forests", section 10), in the form of scikit-learn's
//! `sklearn.inspection.permutation_importance`: for each feature (or group of columns) and each
//! repeat, the column is shuffled across rows, breaking its link to the target while keeping its
//! distribution; the importance is `baseline score − permuted score`, summarised by the mean and
//! the population standard deviation (ddof 0) over the repeats.
//!
//! The score is the caller's: a closure that scores the model on the given rows (accuracy, R², …)
//! with the targets it holds, so this module needs neither the model nor a metric. Rows keep their
//! order; only the values of the permuted columns move, so the closure's targets stay aligned.
//! A group permutes several columns with one shuffle (a one-hot-encoded categorical is one feature).

use std::sync::atomic::{AtomicUsize, Ordering};

use rand::SeedableRng as _;
use rand::rngs::ChaCha8Rng;
use rand::seq::SliceRandom as _;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::matrix::Matrix;
use crate::progress::Progress;

/// A score of the model on some rows; higher is better.
pub type Score<'a> = dyn Fn(&Matrix) -> f64 + Sync + 'a;

/// Settings of [`permutation_importance`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct PermutationOptions {
    /// Shuffles per feature (scikit-learn: 5).
    pub n_repeats: usize,
    /// Seed; each (feature, repeat) shuffles with its own stream.
    pub seed: u64,
}

impl Default for PermutationOptions {
    fn default() -> Self {
        Self { n_repeats: 5, seed: 0 }
    }
}

/// Importance of each feature group, in the order the groups were given.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PermutationImportance {
    /// The score on the unshuffled rows.
    pub baseline: f64,
    /// Mean score drop per group.
    pub mean: Vec<f64>,
    /// Population standard deviation (ddof 0) of the drop per group.
    pub std: Vec<f64>,
    /// Every drop: one row per group, one column per repeat.
    pub drops: Matrix,
}

/// One group per column: `[[0], [1], …, [n − 1]]`.
pub fn single_columns(n_cols: usize) -> Vec<Vec<usize>> {
    (0..n_cols).map(|j| vec![j]).collect()
}

/// Permutation importance of each group of columns of `data` under `score`.
///
/// The (group, repeat) pairs run in parallel, each on its own copy of `data`; the numbers do not
/// depend on the number of threads.
///
/// # Errors
/// When `data` has no rows, `n_repeats` is zero, a group is empty or names a column that does not
/// exist, or the job is cancelled.
pub fn permutation_importance(
    score: &Score<'_>,
    data: &Matrix,
    groups: &[Vec<usize>],
    options: &PermutationOptions,
    progress: &Progress,
) -> Result<PermutationImportance> {
    if data.n_rows() == 0 {
        return Err(Error::invalid("permutation importance needs at least one row"));
    }
    if options.n_repeats == 0 {
        return Err(Error::invalid("permutation importance needs at least one repeat"));
    }
    for (g, group) in groups.iter().enumerate() {
        if group.is_empty() {
            return Err(Error::invalid(format!("feature group {g} has no columns")));
        }
        if let Some(&j) = group.iter().find(|&&j| j >= data.n_cols()) {
            return Err(Error::invalid(format!(
                "feature group {g} names column {j}, but the data has {} columns",
                data.n_cols()
            )));
        }
    }
    progress.check()?;
    let baseline = score(data);
    let repeats = options.n_repeats;
    let total = groups.len() * repeats;
    let done = AtomicUsize::new(0);
    let drops: Vec<f64> = (0..total)
        .into_par_iter()
        .map(|task| {
            progress.check()?;
            let (g, repeat) = (task / repeats, task % repeats);
            let mut rng = ChaCha8Rng::seed_from_u64(options.seed);
            rng.set_stream(((g as u64) << 32) | repeat as u64);
            let mut order: Vec<usize> = (0..data.n_rows()).collect();
            order.shuffle(&mut rng);
            let mut permuted = data.clone();
            for &j in groups.get(g).into_iter().flatten() {
                for (i, &from) in order.iter().enumerate() {
                    permuted.set(i, j, data.get(from, j));
                }
            }
            let drop = baseline - score(&permuted);
            progress.set_count(done.fetch_add(1, Ordering::Relaxed) + 1, total);
            Ok(drop)
        })
        .collect::<Result<_>>()?;
    let drops = Matrix::from_vec(drops, groups.len(), repeats)?;
    let mean: Vec<f64> = drops.rows().map(|r| r.iter().sum::<f64>() / repeats as f64).collect();
    let std = drops
        .rows()
        .zip(&mean)
        .map(|(r, m)| (r.iter().map(|v| (v - m).powi(2)).sum::<f64>() / repeats as f64).sqrt())
        .collect();
    Ok(PermutationImportance { baseline, mean, std, drops })
}

#[cfg(test)]
#[allow(clippy::float_cmp)] // exact values are the point of several checks
mod tests {
    use super::*;

    fn data(n: usize) -> Matrix {
        let values: Vec<f64> = (0..n * 4).map(|i| ((i as f64 * 0.618_033_988_7).fract() - 0.5) * 10.0).collect();
        Matrix::from_vec(values, n, 4).unwrap()
    }

    /// R² of f(x) = 3·x0 against targets made by the same function: 1 unless x0 moves.
    fn r2_of_three_x0(rows: &Matrix, target: &[f64]) -> f64 {
        let mean = target.iter().sum::<f64>() / target.len() as f64;
        let ss_tot: f64 = target.iter().map(|t| (t - mean).powi(2)).sum();
        let ss_res: f64 = rows.rows().zip(target).map(|(r, t)| (t - 3.0 * r[0]).powi(2)).sum();
        1.0 - ss_res / ss_tot
    }

    #[test]
    fn only_the_feature_the_model_uses_matters() {
        let x = data(300);
        let target: Vec<f64> = x.rows().map(|r| 3.0 * r[0]).collect();
        let score = |m: &Matrix| r2_of_three_x0(m, &target);
        let result =
            permutation_importance(&score, &x, &single_columns(4), &PermutationOptions::default(), &Progress::new())
                .unwrap();
        assert!((result.baseline - 1.0).abs() < 1e-12);
        assert!(result.mean[0] > 1.5, "shuffling x0 should cost about 2 in R², got {}", result.mean[0]);
        for j in 1..4 {
            assert_eq!(result.mean[j], 0.0);
            assert_eq!(result.std[j], 0.0);
        }
        assert!(result.std[0] > 0.0);
        let drops0 = result.drops.row(0);
        let mean0 = drops0.iter().sum::<f64>() / 5.0;
        let std0 = (drops0.iter().map(|d| (d - mean0).powi(2)).sum::<f64>() / 5.0).sqrt();
        assert!((result.std[0] - std0).abs() < 1e-15);
    }

    #[test]
    fn deterministic_whatever_the_thread_count() {
        let x = data(200);
        let target: Vec<f64> = x.rows().map(|r| 3.0 * r[0]).collect();
        let score = |m: &Matrix| r2_of_three_x0(m, &target);
        let options = PermutationOptions { n_repeats: 4, seed: 17 };
        let run =
            |threads: usize| {
                rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap().install(|| {
                    permutation_importance(&score, &x, &single_columns(4), &options, &Progress::new()).unwrap()
                })
            };
        let one = run(1);
        assert_eq!(one, run(2));
        let other = permutation_importance(
            &score,
            &x,
            &single_columns(4),
            &PermutationOptions { seed: 18, ..options },
            &Progress::new(),
        )
        .unwrap();
        assert_ne!(one.drops.row(0), other.drops.row(0));
    }

    #[test]
    fn a_group_is_permuted_with_one_shuffle() {
        // One-hot pair (columns 1 and 2): the score sees a broken row whenever the pair is split.
        let x = Matrix::from_rows(
            &(0..100).map(|i| [f64::from(i), f64::from(i % 2), f64::from(1 - i % 2)]).collect::<Vec<_>>(),
            3,
        )
        .unwrap();
        let valid_share =
            |m: &Matrix| m.rows().filter(|r| (r[1] + r[2] - 1.0).abs() < 1e-12).count() as f64 / m.n_rows() as f64;
        let options = PermutationOptions { n_repeats: 3, seed: 1 };
        let together =
            permutation_importance(&valid_share, &x, &[vec![1, 2], vec![0]], &options, &Progress::new()).unwrap();
        assert_eq!(together.mean, [0.0, 0.0]);
        let apart = permutation_importance(&valid_share, &x, &single_columns(3), &options, &Progress::new()).unwrap();
        assert!(apart.mean[1] > 0.2 && apart.mean[2] > 0.2);
        // Shuffling keeps each column's values.
        let sorted = |m: &Matrix, j: usize| {
            let mut c = m.column(j);
            c.sort_by(f64::total_cmp);
            c
        };
        let seen = std::sync::Mutex::new(Vec::new());
        let record = |m: &Matrix| {
            seen.lock().unwrap().push(m.clone());
            0.0
        };
        permutation_importance(&record, &x, &[vec![0, 1]], &options, &Progress::new()).unwrap();
        for m in seen.lock().unwrap().iter() {
            assert_eq!(sorted(m, 0), sorted(&x, 0));
            assert_eq!(m.column(2), x.column(2));
            // Columns 0 and 1 moved together: row i still has x0 and its parity.
            assert!(m.rows().all(|r| (r[0] % 2.0 - r[1]).abs() < 1e-12));
        }
    }

    #[test]
    fn rejects_bad_groups_and_cancels() {
        let x = data(10);
        let score = |_: &Matrix| 1.0;
        let o = PermutationOptions::default();
        assert!(permutation_importance(&score, &x, &[vec![]], &o, &Progress::new()).is_err());
        assert!(permutation_importance(&score, &x, &[vec![9]], &o, &Progress::new()).is_err());
        let zero = PermutationOptions { n_repeats: 0, seed: 0 };
        assert!(permutation_importance(&score, &x, &[vec![0]], &zero, &Progress::new()).is_err());
        let progress = Progress::new();
        progress.cancel();
        let r = permutation_importance(&score, &x, &single_columns(4), &o, &progress);
        assert!(r.is_err_and(|e| e.is_cancelled()));
    }
}
