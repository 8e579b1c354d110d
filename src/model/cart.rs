//! Decision trees grown by CART (Breiman, Friedman, Olshen & Stone, *Classification and
//! Regression Trees*, 1984), with the settings meaning what scikit-learn, rpart and Weka mean.
//!
//! Why our own learner: smartcore's classification tree looks for a split only where the class
//! label changes from one row to the next in its sort order. With repeated values of mixed
//! classes (whole-number speeds, tool wear in minutes) and with a minimum leaf size that rules
//! out a class boundary, that skips the best threshold: on the AI4I data its root split improves
//! the Gini impurity by 3.219e-3 where the best split improves it by 3.285e-3. The agreement
//! suite (`tests/it/tree_agreement.rs`) holds this learner to scikit-learn's trees on five real
//! datasets.
//!
//! The method, as scikit-learn's `BestSplitter` with all features:
//! - every node tries every feature and every threshold between two consecutive distinct
//!   training values (the midpoint, or the lower value where the midpoint rounds up to the upper
//!   one), keeping splits that leave at least `min_samples_leaf` rows on each side;
//! - the best split minimises the children's impurity weighted by their row counts: Gini
//!   impurity, entropy or the misclassification rate for classes, squared error for numbers;
//!   among equally good splits the first feature, then the lowest threshold, wins;
//! - a node stays a leaf when it is `max_depth` splits from the root, holds fewer than
//!   `min_samples_split` rows (or fewer than twice `min_samples_leaf`), is pure, or no split is
//!   allowed. As in scikit-learn, a split that leaves the impurity unchanged is still made.
//!
//! Rows are sorted once per feature; each node is a contiguous segment of every sorted list and
//! a split partitions the segments stably, so a level of the tree costs O(rows × features).
//! Features are scanned in parallel in large nodes and the best split is chosen in feature
//! order, so the tree does not depend on the number of threads. Nodes are numbered depth-first,
//! left child first, as [`Tree`] expects.

// Indices into the per-feature lists run within a node's segment, which lies inside the lists;
// row numbers in them are below the row count by construction; class indices are checked
// against `n_classes` before fitting.
#![allow(clippy::indexing_slicing)]

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::tree::{LEAF, Tree};
use crate::error::{Error, Result};
use crate::matrix::Matrix;
use crate::progress::Progress;

/// The impurity a classification tree minimises when it splits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Criterion {
    /// Gini impurity.
    #[default]
    Gini,
    /// Entropy (information gain).
    Entropy,
    /// Misclassification rate.
    ClassificationError,
}

impl Criterion {
    /// Every criterion, for menus.
    pub const ALL: [Self; 3] = [Self::Gini, Self::Entropy, Self::ClassificationError];

    /// The name on screen and on the command line.
    pub fn label(self) -> &'static str {
        match self {
            Self::Gini => "gini",
            Self::Entropy => "entropy",
            Self::ClassificationError => "error",
        }
    }
}

/// What a regression tree minimises; named so reports state it.
pub const REGRESSION_CRITERION: &str = "squared_error";

/// Settings of a decision tree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct TreeParams {
    /// Split criterion (classification only; regression trees minimise squared error).
    pub criterion: Criterion,
    /// Maximum depth: the largest number of splits from the root to a leaf, as scikit-learn,
    /// rpart and Weka count it (a tree of depth 1 is one split); `None` grows until leaves are
    /// pure or too small.
    pub max_depth: Option<u16>,
    /// Fewest training rows a leaf may hold.
    pub min_samples_leaf: usize,
    /// Fewest training rows a node needs to be split.
    pub min_samples_split: usize,
}

impl Default for TreeParams {
    fn default() -> Self {
        Self { criterion: Criterion::Gini, max_depth: Some(6), min_samples_leaf: 5, min_samples_split: 10 }
    }
}

/// Fits a classification tree on encoded rows `x` with class indices `y` (`0..n_classes`).
/// Leaf values are the class shares of the leaf's training rows.
///
/// # Errors
/// When the rows are empty, a value is not finite, a class index is out of range, or the job
/// is cancelled.
pub fn fit_classifier(
    x: &Matrix,
    y: &[usize],
    n_classes: usize,
    params: &TreeParams,
    progress: &Progress,
) -> Result<Tree> {
    if let Some(&bad) = y.iter().find(|&&c| c >= n_classes) {
        return Err(Error::invalid(format!("class index {bad} given to a tree for {n_classes} classes")));
    }
    let labels: Vec<u32> = y.iter().map(|&c| u32::try_from(c).unwrap_or(u32::MAX)).collect();
    let target = Target::Classes { y: &labels, k: n_classes.max(1), criterion: params.criterion };
    grow(x, y.len(), &target, params, progress)
}

/// Fits a regression tree on encoded rows `x` with values `y`; leaf values are means.
///
/// # Errors
/// When the rows are empty, a value is not finite, or the job is cancelled.
pub fn fit_regressor(x: &Matrix, y: &[f64], params: &TreeParams, progress: &Progress) -> Result<Tree> {
    if let Some(i) = y.iter().position(|v| !v.is_finite()) {
        return Err(Error::invalid(format!("the target of training row {} is not a finite number", i + 1)));
    }
    grow(x, y.len(), &Target::Values(y), params, progress)
}

/// What the tree predicts.
enum Target<'a> {
    Classes { y: &'a [u32], k: usize, criterion: Criterion },
    Values(&'a [f64]),
}

impl Target<'_> {
    fn n_outputs(&self) -> usize {
        match self {
            Self::Classes { k, .. } => *k,
            Self::Values(_) => 1,
        }
    }
}

/// One feature's training rows in ascending order of its value (ties by row), with the values.
struct SortedFeature {
    rows: Vec<u32>,
    values: Vec<f64>,
}

/// The best split found for a node.
#[derive(Clone, Copy)]
struct Split {
    feature: usize,
    threshold: f64,
    /// Higher is better; comparable between features of one node.
    score: f64,
}

/// Nodes with at least this many rows scan and partition their features in parallel.
const PARALLEL_ROWS: usize = 4096;

/// Refuses data the learner cannot grow a tree on.
fn check_input(x: &Matrix, n: usize) -> Result<()> {
    let d = x.n_cols();
    if n == 0 || x.n_rows() != n {
        return Err(Error::invalid("a decision tree needs at least one training row with a target"));
    }
    if u32::try_from(n).is_err() {
        return Err(Error::invalid("a decision tree is limited to 4,294,967,295 training rows"));
    }
    if let Some(pos) = x.as_slice().iter().position(|v| !v.is_finite()) {
        return Err(Error::invalid(format!(
            "training row {}, feature {} is missing or infinite; the pipeline fills missing values before the tree",
            pos / d.max(1) + 1,
            pos % d.max(1) + 1
        )));
    }
    Ok(())
}

/// Every feature's rows sorted by value (ties by row), in parallel over features. The row
/// count fits in `u32` (checked by [`check_input`]).
fn sort_features(x: &Matrix, n: usize) -> Vec<SortedFeature> {
    (0..x.n_cols())
        .into_par_iter()
        .map(|j| {
            #[allow(clippy::cast_possible_truncation)] // n fits in u32
            let mut rows: Vec<u32> = (0..n as u32).collect();
            rows.sort_by(|&a, &b| x.get(a as usize, j).total_cmp(&x.get(b as usize, j)).then(a.cmp(&b)));
            let values = rows.iter().map(|&r| x.get(r as usize, j)).collect();
            SortedFeature { rows, values }
        })
        .collect()
}

/// Sends the segment's rows to the split's sides in every feature's list (stably), returning
/// how many go left.
fn apply_split(sorted: &mut [SortedFeature], start: usize, end: usize, split: Split, goes_left: &mut [bool]) -> usize {
    let f = &sorted[split.feature];
    for (&r, &v) in f.rows[start..end].iter().zip(&f.values[start..end]) {
        goes_left[r as usize] = v <= split.threshold;
    }
    let n_left = f.values[start..end].iter().filter(|&&v| v <= split.threshold).count();
    let goes_left = &*goes_left;
    if end - start >= PARALLEL_ROWS {
        sorted.par_iter_mut().for_each_init(
            || (Vec::new(), Vec::new()),
            |(sr, sv), feat| partition(feat, start, end, goes_left, sr, sv),
        );
    } else {
        let (mut sr, mut sv) = (Vec::new(), Vec::new());
        for feat in sorted.iter_mut() {
            partition(feat, start, end, goes_left, &mut sr, &mut sv);
        }
    }
    n_left
}

fn grow(x: &Matrix, n: usize, target: &Target<'_>, params: &TreeParams, progress: &Progress) -> Result<Tree> {
    check_input(x, n)?;
    let d = x.n_cols();
    let min_leaf = params.min_samples_leaf.max(1);
    let min_split = params.min_samples_split.max(2).max(2 * min_leaf);
    let max_depth = params.max_depth.map_or(usize::MAX, usize::from);
    let mut sorted = sort_features(x, n);
    // With no features the tree is one leaf over every row.
    #[allow(clippy::cast_possible_truncation)]
    let identity: Vec<u32> = if d == 0 { (0..n as u32).collect() } else { Vec::new() };

    let n_out = target.n_outputs();
    let mut tree = Tree {
        left: Vec::new(),
        right: Vec::new(),
        feature: Vec::new(),
        threshold: Vec::new(),
        cover: Vec::new(),
        values: Vec::new(),
        n_outputs: n_out,
        n_features: d,
    };
    let entropy_table = match target {
        Target::Classes { criterion: Criterion::Entropy, .. } => (0..=n).map(|c| xlnx(c as f64)).collect(),
        _ => Vec::new(),
    };
    let mut goes_left = vec![false; n];
    let mut done_rows = 0usize;
    // (segment start, end, depth, parent, is the left child)
    let mut stack = vec![(0usize, n, 0usize, LEAF, true)];
    while let Some((start, end, depth, parent, is_left)) = stack.pop() {
        progress.check()?;
        let id = tree.left.len();
        if parent != LEAF {
            if is_left {
                tree.left[parent] = id;
            } else {
                tree.right[parent] = id;
            }
        }
        let node_rows: &[u32] = match sorted.first() {
            Some(f) => &f.rows[start..end],
            None => &identity[start..end],
        };
        let count = end - start;
        let (value, pure) = node_value(target, node_rows, count);
        tree.left.push(LEAF);
        tree.right.push(LEAF);
        tree.feature.push(0);
        tree.threshold.push(0.0);
        tree.cover.push(count as f64);
        tree.values.extend_from_slice(&value);

        let split = if depth >= max_depth || count < min_split || pure || d == 0 {
            None
        } else {
            best_split(&sorted, start, end, target, min_leaf, &entropy_table)
        };
        let Some(split) = split else {
            done_rows += count;
            progress.set_count(done_rows, n);
            continue;
        };
        let n_left = apply_split(&mut sorted, start, end, split, &mut goes_left);
        tree.feature[id] = split.feature;
        tree.threshold[id] = split.threshold;
        let mid = start + n_left;
        stack.push((mid, end, depth + 1, id, false));
        stack.push((start, mid, depth + 1, id, true));
    }
    tree.validate()?;
    Ok(tree)
}

/// `t ln t`, with 0 at 0.
fn xlnx(t: f64) -> f64 {
    if t > 0.0 { t * t.ln() } else { 0.0 }
}

/// A node's output (class shares or mean) and whether it is pure.
fn node_value(target: &Target<'_>, rows: &[u32], count: usize) -> (Vec<f64>, bool) {
    match target {
        Target::Classes { y, k, .. } => {
            let mut counts = vec![0usize; *k];
            for &r in rows {
                counts[y[r as usize] as usize] += 1;
            }
            let pure = counts.contains(&count);
            (counts.iter().map(|&c| c as f64 / count.max(1) as f64).collect(), pure)
        }
        Target::Values(y) => {
            // Rows in ascending row order, so the mean does not depend on which feature's list
            // the rows were read from.
            let mut ordered: Vec<u32> = rows.to_vec();
            ordered.sort_unstable();
            let mean = ordered.iter().map(|&r| y[r as usize]).sum::<f64>() / count.max(1) as f64;
            let var = ordered.iter().map(|&r| (y[r as usize] - mean) * (y[r as usize] - mean)).sum::<f64>()
                / count.max(1) as f64;
            (vec![mean], var <= f64::EPSILON)
        }
    }
}

/// Moves the rows marked in `goes_left` to the front of the segment, keeping their order.
fn partition(
    feat: &mut SortedFeature,
    start: usize,
    end: usize,
    goes_left: &[bool],
    scratch_rows: &mut Vec<u32>,
    scratch_values: &mut Vec<f64>,
) {
    scratch_rows.clear();
    scratch_values.clear();
    let mut w = start;
    for i in start..end {
        let (r, v) = (feat.rows[i], feat.values[i]);
        if goes_left[r as usize] {
            feat.rows[w] = r;
            feat.values[w] = v;
            w += 1;
        } else {
            scratch_rows.push(r);
            scratch_values.push(v);
        }
    }
    feat.rows[w..end].copy_from_slice(scratch_rows);
    feat.values[w..end].copy_from_slice(scratch_values);
}

/// The best allowed split of the segment over all features; first feature wins ties.
fn best_split(
    sorted: &[SortedFeature],
    start: usize,
    end: usize,
    target: &Target<'_>,
    min_leaf: usize,
    entropy_table: &[f64],
) -> Option<Split> {
    let scan = |(j, f): (usize, &SortedFeature)| scan_feature(j, f, start, end, target, min_leaf, entropy_table);
    let per_feature: Vec<Option<Split>> = if end - start >= PARALLEL_ROWS {
        sorted.par_iter().enumerate().map(scan).collect()
    } else {
        sorted.iter().enumerate().map(scan).collect()
    };
    per_feature.into_iter().flatten().fold(None, |best: Option<Split>, s| match best {
        Some(b) if b.score >= s.score => Some(b),
        _ => Some(s),
    })
}

/// The threshold between two consecutive distinct values: their midpoint, or the lower value
/// where the midpoint rounds to the upper one.
fn threshold_between(a: f64, b: f64) -> f64 {
    let t = a / 2.0 + b / 2.0;
    if t < b && t >= a { t } else { a }
}

/// The best allowed split on one feature: the lowest threshold among equally good ones.
fn scan_feature(
    j: usize,
    f: &SortedFeature,
    start: usize,
    end: usize,
    target: &Target<'_>,
    min_leaf: usize,
    entropy_table: &[f64],
) -> Option<Split> {
    let rows = &f.rows[start..end];
    let values = &f.values[start..end];
    let n = rows.len();
    if n < 2 * min_leaf || values.first() == values.last() {
        return None;
    }
    let mut best: Option<Split> = None;
    let consider = |i: usize, score: f64, best: &mut Option<Split>| {
        // `i` rows go left: positions 0..i.
        if best.is_none_or(|b| score > b.score) {
            *best = Some(Split { feature: j, threshold: threshold_between(values[i - 1], values[i]), score });
        }
    };
    match target {
        Target::Classes { y, k, criterion } => {
            let mut right = vec![0usize; *k];
            for &r in rows {
                right[y[r as usize] as usize] += 1;
            }
            let mut left = vec![0usize; *k];
            // Σ count² per side, kept up to date row by row (Gini).
            let mut sq_left = 0.0f64;
            let mut sq_right: f64 = right.iter().map(|&c| (c * c) as f64).sum();
            for i in 1..n {
                let c = y[rows[i - 1] as usize] as usize;
                sq_left += (2 * left[c] + 1) as f64;
                sq_right -= (2 * right[c] - 1) as f64;
                left[c] += 1;
                right[c] -= 1;
                if values[i] <= values[i - 1] || i < min_leaf || n - i < min_leaf {
                    continue;
                }
                let (nl, nr) = (i as f64, (n - i) as f64);
                // Each score is minus the children's impurity weighted by their counts (up to
                // terms equal for every split of this node).
                let score = match criterion {
                    Criterion::Gini => sq_left / nl + sq_right / nr,
                    Criterion::Entropy => {
                        let side = |counts: &[usize], m: usize| {
                            counts.iter().map(|&c| entropy_table[c]).sum::<f64>() - entropy_table[m]
                        };
                        side(&left, i) + side(&right, n - i)
                    }
                    Criterion::ClassificationError => {
                        (left.iter().max().copied().unwrap_or(0) + right.iter().max().copied().unwrap_or(0)) as f64
                    }
                };
                consider(i, score, &mut best);
            }
        }
        Target::Values(y) => {
            // Values centred on the node's mean keep the sums small, so the squared sums below
            // lose no precision when the target has a large offset (a power output near 450 MW).
            let mut ordered: Vec<u32> = rows.to_vec();
            ordered.sort_unstable();
            let mean = ordered.iter().map(|&r| y[r as usize]).sum::<f64>() / n as f64;
            let total: f64 = rows.iter().map(|&r| y[r as usize] - mean).sum();
            let mut sum_left = 0.0;
            for i in 1..n {
                sum_left += y[rows[i - 1] as usize] - mean;
                if values[i] <= values[i - 1] || i < min_leaf || n - i < min_leaf {
                    continue;
                }
                let sum_right = total - sum_left;
                let score = sum_left * sum_left / i as f64 + sum_right * sum_right / (n - i) as f64;
                consider(i, score, &mut best);
            }
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Rows on a grid with a rule the tree can learn exactly.
    fn data() -> (Matrix, Vec<usize>, Vec<f64>) {
        let mut rows = Vec::new();
        let mut classes = Vec::new();
        let mut values = Vec::new();
        for i in 0..20 {
            for j in 0..10 {
                let (a, b) = (f64::from(i), f64::from(j) * 0.5);
                rows.push([a, b]);
                classes.push(usize::from(a > 9.5 && b > 2.2) + usize::from(a > 15.5));
                values.push(if a > 9.5 { 10.0 + b } else { -3.0 });
            }
        }
        (Matrix::from_rows(&rows, 2).expect("rows"), classes, values)
    }

    fn params(max_depth: Option<u16>, leaf: usize) -> TreeParams {
        TreeParams { max_depth, min_samples_leaf: leaf, min_samples_split: 2, ..TreeParams::default() }
    }

    #[test]
    fn learns_the_grid_rule_exactly() {
        let (x, y, values) = data();
        let tree = fit_classifier(&x, &y, 3, &params(None, 1), &Progress::new()).expect("fits");
        assert!((0..x.n_rows()).all(|i| tree.predict(x.row(i))[y[i]] == 1.0));
        assert_eq!(tree.cover[0], 200.0);
        assert!(tree.values.chunks(3).all(|v| (v.iter().sum::<f64>() - 1.0).abs() < 1e-12));
        let reg = fit_regressor(&x, &values, &params(None, 1), &Progress::new()).expect("fits");
        assert!((0..x.n_rows()).all(|i| (reg.predict(x.row(i))[0] - values[i]).abs() < 1e-12));
    }

    /// `max_depth` counts splits: the grid's rule needs depth 3, and a tree limited to depth d
    /// reaches exactly d when d is smaller.
    #[test]
    fn max_depth_counts_splits_from_the_root() {
        let (x, y, values) = data();
        for d in 1..=3u16 {
            let tree = fit_classifier(&x, &y, 3, &params(Some(d), 1), &Progress::new()).expect("fits");
            assert_eq!(tree.depth(), usize::from(d), "classifier, max depth {d}");
            let tree = fit_regressor(&x, &values, &params(Some(d), 1), &Progress::new()).expect("fits");
            assert_eq!(tree.depth(), usize::from(d), "regressor, max depth {d}");
        }
    }

    /// The best split by hand: four rows, the threshold that separates the classes.
    #[test]
    fn splits_at_the_midpoint_of_the_best_gap() {
        let x = Matrix::from_rows(&[[1.0], [2.0], [4.0], [8.0]], 1).expect("rows");
        let tree = fit_classifier(&x, &[0, 0, 1, 1], 2, &params(Some(1), 1), &Progress::new()).expect("fits");
        assert_eq!((tree.feature[0], tree.threshold[0]), (0, 3.0));
        // Repeated values of mixed classes: the split falls between distinct values only, and
        // a minimum leaf size of 2 moves it to the best allowed place.
        let x = Matrix::from_rows(&[[1.0], [1.0], [1.0], [2.0], [3.0]], 1).expect("rows");
        let tree = fit_classifier(&x, &[0, 1, 0, 1, 1], 2, &params(Some(1), 2), &Progress::new()).expect("fits");
        assert_eq!(tree.threshold[0], 1.5);
        // Five rows cannot make two leaves of three.
        let tree = fit_classifier(&x, &[0, 1, 0, 1, 1], 2, &params(Some(1), 3), &Progress::new()).expect("fits");
        assert_eq!(tree.n_nodes(), 1);
        // With a minimum of 2, the best split (1 | 2, 3 rows of class 1 right) is allowed, and
        // with 3 rows of 1.0 on the left a 2-row minimum on six rows still splits there.
        let x = Matrix::from_rows(&[[1.0], [1.0], [1.0], [2.0], [3.0], [4.0]], 1).expect("rows");
        let tree = fit_classifier(&x, &[0, 1, 0, 1, 1, 1], 2, &params(Some(1), 3), &Progress::new()).expect("fits");
        assert_eq!(tree.threshold[0], 1.5);
    }

    #[test]
    fn leaf_limits_hold_and_pure_nodes_stay_leaves() {
        let (x, y, _) = data();
        for leaf in [1, 7, 30] {
            let tree = fit_classifier(&x, &y, 3, &params(None, leaf), &Progress::new()).expect("fits");
            for i in 0..tree.n_nodes() {
                if tree.is_leaf(i) {
                    assert!(tree.cover[i] >= leaf as f64, "leaf {i} holds {} rows", tree.cover[i]);
                } else {
                    assert!(tree.value(i).iter().all(|&p| p < 1.0), "node {i} is pure but split");
                }
            }
        }
    }

    #[test]
    fn the_tree_does_not_depend_on_the_thread_count() {
        // Enough rows for the parallel paths.
        let rows: Vec<[f64; 3]> = (0..6000)
            .map(|i| {
                let i = f64::from(i);
                [(i * 0.37).sin(), (i * 0.11).cos() * 3.0, (i % 17.0).floor()]
            })
            .collect();
        let x = Matrix::from_rows(&rows, 3).expect("rows");
        let y: Vec<usize> =
            rows.iter().map(|r| usize::from(r[0] + r[1] * 0.2 > 0.1) + usize::from(r[2] > 12.0)).collect();
        let fit = |threads| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .expect("pool")
                .install(|| fit_classifier(&x, &y, 3, &params(Some(8), 2), &Progress::new()).expect("fits"))
        };
        assert_eq!(fit(1), fit(2));
    }

    #[test]
    fn bad_input_is_an_error_not_a_panic() {
        let x = Matrix::from_rows(&[[1.0], [f64::NAN]], 1).expect("rows");
        assert!(fit_classifier(&x, &[0, 1], 2, &params(None, 1), &Progress::new()).is_err());
        let x = Matrix::from_rows(&[[1.0], [2.0]], 1).expect("rows");
        assert!(fit_classifier(&x, &[0, 5], 2, &params(None, 1), &Progress::new()).is_err());
        assert!(fit_regressor(&x, &[0.0, f64::INFINITY], &params(None, 1), &Progress::new()).is_err());
        let empty = Matrix::zeros(0, 1);
        assert!(fit_regressor(&empty, &[], &params(None, 1), &Progress::new()).is_err());
        // One class, one row, constant features: a single leaf.
        let tree = fit_classifier(&x, &[1, 1], 2, &params(None, 1), &Progress::new()).expect("fits");
        assert_eq!((tree.n_nodes(), tree.value(0)), (1, &[0.0, 1.0][..]));
    }

    #[test]
    fn a_cancel_stops_the_fit() {
        let (x, y, _) = data();
        let progress = Progress::new();
        progress.cancel();
        assert!(fit_classifier(&x, &y, 3, &params(None, 1), &progress).is_err());
    }
}
