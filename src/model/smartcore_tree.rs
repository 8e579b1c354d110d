//! Fitting smartcore's decision trees and reading the fitted nodes into our [`Tree`].
//!
//! smartcore keeps a fitted tree's nodes private, but serialises them: classifier nodes carry
//! `split_feature`, `split_value`, `true_child` (taken when `x <= split_value`), `false_child`
//! and `output`; regressor nodes the same under `tree_regressor.nodes`. We read that structure
//! once through serde mirrors (pinned by a test that fails loudly if smartcore changes it), put
//! the nodes in depth-first order, and recompute covers and class mixes by routing the training
//! rows, since smartcore's own leaf output is only the majority class.

// Every node id is looked up with `structure.get` when visited, so `new_id` and `structure` are
// indexed in range; the rebuilt tree passes `Tree::validate` before rows are routed through it.
#![allow(clippy::indexing_slicing)]

use serde::{Deserialize, Serialize};
use smartcore::linalg::basic::matrix::DenseMatrix;
use smartcore::tree::decision_tree_classifier::{
    DecisionTreeClassifier, DecisionTreeClassifierParameters, SplitCriterion,
};
use smartcore::tree::decision_tree_regressor::{DecisionTreeRegressor, DecisionTreeRegressorParameters};

use super::tree::{LEAF, Tree};
use crate::error::{Error, Result};
use crate::matrix::Matrix;

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

/// Settings of a decision tree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct TreeParams {
    /// Split criterion (classification only; regression trees minimise squared error).
    pub criterion: Criterion,
    /// Maximum depth; `None` grows until leaves are pure or too small.
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

/// The fields of a smartcore node Glassbox reads (the leaf `output` is recomputed).
#[derive(Debug, Deserialize)]
struct NodeMirror {
    split_feature: usize,
    split_value: Option<f64>,
    true_child: Option<usize>,
    false_child: Option<usize>,
}

#[derive(Debug, Deserialize)]
struct ClassifierMirror {
    nodes: Vec<NodeMirror>,
    num_features: usize,
}

#[derive(Debug, Deserialize)]
struct BaseTreeMirror {
    nodes: Vec<NodeMirror>,
}

#[derive(Debug, Deserialize)]
struct RegressorMirror {
    tree_regressor: Option<BaseTreeMirror>,
}

/// The split structure read from smartcore: per node `(feature, threshold, true, false)`.
type Structure = Vec<(usize, f64, Option<usize>, Option<usize>)>;

fn dense(x: &Matrix) -> Result<DenseMatrix<f64>> {
    DenseMatrix::new(x.n_rows(), x.n_cols(), x.as_slice().to_vec(), false)
        .map_err(|e| Error::invalid(format!("cannot hand the rows to the tree learner: {e}")))
}

/// Fits a classification tree on encoded rows `x` with class indices `y` (`0..n_classes`).
///
/// # Errors
/// When smartcore refuses the data or its output cannot be read.
pub fn fit_classifier(x: &Matrix, y: &[usize], n_classes: usize, params: &TreeParams, seed: u64) -> Result<Tree> {
    let labels: Vec<i32> = y.iter().map(|&c| i32::try_from(c).unwrap_or(i32::MAX)).collect();
    let xm = dense(x)?;
    let criterion = match params.criterion {
        Criterion::Gini => SplitCriterion::Gini,
        Criterion::Entropy => SplitCriterion::Entropy,
        Criterion::ClassificationError => SplitCriterion::ClassificationError,
    };
    let mut p = DecisionTreeClassifierParameters::default()
        .with_criterion(criterion)
        .with_min_samples_leaf(params.min_samples_leaf.max(1))
        .with_min_samples_split(params.min_samples_split.max(2));
    if let Some(d) = params.max_depth {
        p = p.with_max_depth(d.max(1));
    }
    p.seed = Some(seed);
    let fitted = DecisionTreeClassifier::fit(&xm, &labels, p)
        .map_err(|e| Error::invalid(format!("the decision tree could not be fitted: {e}")))?;
    let mirror: ClassifierMirror = read_mirror(&fitted)?;
    if mirror.num_features != x.n_cols() {
        return Err(Error::invalid("the fitted tree reports another number of features than it was given"));
    }
    let structure = mirror
        .nodes
        .iter()
        .map(|n| (n.split_feature, n.split_value.unwrap_or(f64::NAN), n.true_child, n.false_child))
        .collect();
    build_tree(&structure, x, |row| y.get(row).copied().unwrap_or(0), n_classes, None)
}

/// Fits a regression tree on encoded rows `x` with values `y`.
///
/// # Errors
/// When smartcore refuses the data or its output cannot be read.
pub fn fit_regressor(x: &Matrix, y: &[f64], params: &TreeParams, seed: u64) -> Result<Tree> {
    let xm = dense(x)?;
    let yv = y.to_vec();
    let mut p = DecisionTreeRegressorParameters::default()
        .with_min_samples_leaf(params.min_samples_leaf.max(1))
        .with_min_samples_split(params.min_samples_split.max(2));
    if let Some(d) = params.max_depth {
        p = p.with_max_depth(d.max(1));
    }
    p.seed = Some(seed);
    let fitted = DecisionTreeRegressor::fit(&xm, &yv, p)
        .map_err(|e| Error::invalid(format!("the regression tree could not be fitted: {e}")))?;
    let mirror: RegressorMirror = read_mirror(&fitted)?;
    let nodes = mirror.tree_regressor.ok_or_else(|| Error::invalid("the fitted regression tree has no nodes"))?.nodes;
    let structure = nodes
        .iter()
        .map(|n| (n.split_feature, n.split_value.unwrap_or(f64::NAN), n.true_child, n.false_child))
        .collect();
    build_tree(&structure, x, |_| 0, 1, Some(y))
}

fn read_mirror<T: serde::de::DeserializeOwned>(fitted: &impl Serialize) -> Result<T> {
    let value = serde_json::to_value(fitted)
        .map_err(|e| Error::invalid(format!("cannot read the fitted tree's structure: {e}")))?;
    serde_json::from_value(value).map_err(|e| {
        Error::invalid(format!("smartcore's tree layout is not the one Glassbox reads (was smartcore upgraded?): {e}"))
    })
}

/// Renumbers the nodes depth-first (left before right) and fills covers and outputs by routing
/// the training rows: class fractions for a classifier, the mean value for a regressor.
fn build_tree(
    structure: &Structure,
    x: &Matrix,
    class_of: impl Fn(usize) -> usize,
    n_outputs: usize,
    regression: Option<&[f64]>,
) -> Result<Tree> {
    let bad = || Error::invalid("the fitted tree's structure is inconsistent");
    // Depth-first order, left (true) child first.
    let mut order = Vec::with_capacity(structure.len());
    let mut new_id = vec![LEAF; structure.len()];
    let mut stack = vec![0usize];
    while let Some(old) = stack.pop() {
        let node = structure.get(old).ok_or_else(bad)?;
        if new_id[old] != LEAF {
            return Err(bad());
        }
        new_id[old] = order.len();
        order.push(old);
        if let (Some(t), Some(f)) = (node.2, node.3) {
            stack.push(f);
            stack.push(t);
        }
    }
    let n = order.len();
    let mut tree = Tree {
        left: vec![LEAF; n],
        right: vec![LEAF; n],
        feature: vec![0; n],
        threshold: vec![0.0; n],
        cover: vec![0.0; n],
        values: vec![0.0; n * n_outputs],
        n_outputs,
        n_features: x.n_cols(),
    };
    for (i, &old) in order.iter().enumerate() {
        let (f, t, tc, fc) = structure[old];
        if let (Some(tc), Some(fc)) = (tc, fc) {
            tree.left[i] = new_id[tc];
            tree.right[i] = new_id[fc];
            tree.feature[i] = f;
            tree.threshold[i] = t;
        }
    }
    tree.validate()?;
    // Route every training row; count and sum at every node on its path.
    let mut sums = vec![0.0; n * n_outputs];
    for r in 0..x.n_rows() {
        let row = x.row(r);
        let mut node = 0;
        loop {
            tree.cover[node] += 1.0;
            match regression {
                Some(y) => sums[node] += y.get(r).copied().unwrap_or(0.0),
                None => {
                    let c = class_of(r);
                    if let Some(s) = sums.get_mut(node * n_outputs + c) {
                        *s += 1.0;
                    }
                }
            }
            if tree.is_leaf(node) {
                break;
            }
            node = tree.next(node, row[tree.feature[node]]);
        }
    }
    for node in 0..n {
        let c = tree.cover[node];
        for k in 0..n_outputs {
            tree.values[node * n_outputs + k] = if c > 0.0 { sums[node * n_outputs + k] / c } else { 0.0 };
        }
    }
    Ok(tree)
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

    /// Pins how we read smartcore: our tree must route every training row to a leaf whose
    /// majority class is the class smartcore itself predicts.
    #[test]
    fn classifier_read_matches_smartcore_predictions() {
        let (x, y, _) = data();
        let params =
            TreeParams { max_depth: Some(4), min_samples_leaf: 1, min_samples_split: 2, ..TreeParams::default() };
        let tree = fit_classifier(&x, &y, 3, &params, 7).expect("fits");
        let labels: Vec<i32> = y.iter().map(|&c| i32::try_from(c).unwrap_or(0)).collect();
        let mut p = DecisionTreeClassifierParameters::default()
            .with_max_depth(4)
            .with_min_samples_leaf(1)
            .with_min_samples_split(2);
        p.seed = Some(7);
        let sc = DecisionTreeClassifier::fit(&dense(&x).expect("dense"), &labels, p).expect("fits");
        let theirs = sc.predict(&dense(&x).expect("dense")).expect("predicts");
        for i in 0..x.n_rows() {
            let probs = tree.predict(x.row(i));
            let ours = probs.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1).then(b.0.cmp(&a.0))).map(|(k, _)| k);
            assert_eq!(ours, usize::try_from(theirs[i]).ok(), "row {i}");
            assert!((probs.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        }
        // The rule is learnable: the tree is exact on its training rows.
        assert!((0..x.n_rows()).all(|i| tree.predict(x.row(i))[y[i]] == 1.0));
        assert!((tree.cover[0] - 200.0).abs() < f64::EPSILON);
        tree.validate().expect("valid");
    }

    #[test]
    fn regressor_read_matches_smartcore_predictions() {
        let (x, _, y) = data();
        let params =
            TreeParams { max_depth: Some(5), min_samples_leaf: 1, min_samples_split: 2, ..TreeParams::default() };
        let tree = fit_regressor(&x, &y, &params, 3).expect("fits");
        let mut p = DecisionTreeRegressorParameters::default()
            .with_max_depth(5)
            .with_min_samples_leaf(1)
            .with_min_samples_split(2);
        p.seed = Some(3);
        let sc = DecisionTreeRegressor::fit(&dense(&x).expect("dense"), &y, p).expect("fits");
        let theirs = sc.predict(&dense(&x).expect("dense")).expect("predicts");
        for i in 0..x.n_rows() {
            assert!((tree.predict(x.row(i))[0] - theirs[i]).abs() < 1e-9, "row {i}");
        }
    }

    #[test]
    fn same_seed_same_tree() {
        let (x, y, _) = data();
        let a = fit_classifier(&x, &y, 3, &TreeParams::default(), 1).expect("fits");
        let b = fit_classifier(&x, &y, 3, &TreeParams::default(), 1).expect("fits");
        assert_eq!(a, b);
    }
}
