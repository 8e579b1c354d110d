//! A decision tree as a set of boxes: every leaf is the region of raw feature values whose rows
//! end in it — an interval per numeric feature and a set of allowed levels per category. The
//! tree splits on encoded columns (one-hot columns for categories), so each split is translated
//! back: `x <= t` on a numeric column bounds the feature from above (undoing standardisation),
//! `[x = level] <= t` with `0 <= t < 1` excludes the level, `> t` demands it.
//!
//! Counterfactuals project a row onto these boxes (exact nearest regions) and operating windows
//! are assembled from the thresholds; both work on what this module builds.

use crate::model::pipeline::FeatureKind;
use crate::model::{Estimator, Prediction, TrainedModel, svm};

/// What a region demands of one raw feature.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Constraint {
    /// `above < x <= at_most`.
    Interval {
        /// Exclusive lower end.
        above: f64,
        /// Inclusive upper end.
        at_most: f64,
    },
    /// The level must be one of `allowed`; `unknown` says whether a level the model never saw
    /// (all one-hot columns 0) gets in.
    Levels {
        /// One flag per level.
        allowed: Vec<bool>,
        /// Whether an unknown level (−1) is allowed.
        unknown: bool,
    },
}

impl Constraint {
    /// True when the (filled-in) value `v` satisfies the constraint.
    pub fn contains(&self, v: f64) -> bool {
        match self {
            Self::Interval { above, at_most } => *above < v && v <= *at_most,
            Self::Levels { allowed, unknown } => {
                level_index(v, allowed.len()).map_or(*unknown, |k| allowed.get(k).copied().unwrap_or(false))
            }
        }
    }

    fn is_empty(&self) -> bool {
        match self {
            Self::Interval { above, at_most } => above >= at_most,
            Self::Levels { allowed, unknown } => !unknown && !allowed.iter().any(|&a| a),
        }
    }
}

/// A level index of a value, when it is one of `n` known levels.
pub(crate) fn level_index(v: f64, n: usize) -> Option<usize> {
    if v < 0.0 || v.is_nan() || v.fract() != 0.0 {
        return None;
    }
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let k = v as usize;
    (k < n).then_some(k)
}

/// One leaf as a box.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Region {
    /// The leaf's node index.
    pub leaf: usize,
    /// What the model predicts for every row in it.
    pub prediction: Prediction,
    /// One constraint per raw feature.
    pub constraints: Vec<Constraint>,
}

/// Every non-empty leaf of a tree model as a box in raw feature space; empty for other models.
pub(crate) fn tree_regions(model: &TrainedModel) -> Vec<Region> {
    let (tree, classifier) = match &model.estimator {
        Estimator::TreeClassifier { tree } => (tree, true),
        Estimator::TreeRegressor { tree } => (tree, false),
        _ => return Vec::new(),
    };
    let pipeline = &model.pipeline;
    let start: Vec<Constraint> = pipeline
        .features
        .iter()
        .map(|f| match f.kind {
            FeatureKind::Numeric => Constraint::Interval { above: f64::NEG_INFINITY, at_most: f64::INFINITY },
            FeatureKind::Categorical => Constraint::Levels { allowed: vec![true; f.levels.len()], unknown: true },
        })
        .collect();
    let mut out = Vec::new();
    let mut stack = vec![(0usize, start)];
    while let Some((node, constraints)) = stack.pop() {
        if node >= tree.n_nodes() {
            continue;
        }
        if tree.is_leaf(node) {
            let p = tree.value(node).to_vec();
            let prediction = if classifier {
                Prediction { value: svm::argmax(&p) as f64, probabilities: p }
            } else {
                Prediction { value: p.first().copied().unwrap_or(f64::NAN), probabilities: Vec::new() }
            };
            out.push(Region { leaf: node, prediction, constraints });
            continue;
        }
        let (Some(&col), Some(&t), Some(&left_child), Some(&right_child)) =
            (tree.feature.get(node), tree.threshold.get(node), tree.left.get(node), tree.right.get(node))
        else {
            continue;
        };
        let Some(enc) = pipeline.encoded.get(col) else { continue };
        // Right first so that the left child is popped (and listed) first.
        for (child, left) in [(right_child, false), (left_child, true)] {
            let mut c = constraints.clone();
            let Some(slot) = c.get_mut(enc.feature) else { continue };
            let feasible = match (enc.level, slot) {
                (None, Constraint::Interval { above, at_most }) => {
                    let raw_t = pipeline.raw_threshold(col, t);
                    if left {
                        *at_most = at_most.min(raw_t);
                    } else {
                        *above = above.max(raw_t);
                    }
                    true
                }
                (Some(level), Constraint::Levels { allowed, unknown }) => {
                    // The one-hot column is 1 for `level`, 0 for every other value.
                    let (one_goes_left, zero_goes_left) = (1.0 <= t, 0.0 <= t);
                    let (keep_level, keep_others) =
                        if left { (one_goes_left, zero_goes_left) } else { (!one_goes_left, !zero_goes_left) };
                    for (k, a) in allowed.iter_mut().enumerate() {
                        let keep = if k == level { keep_level } else { keep_others };
                        *a &= keep;
                    }
                    *unknown &= keep_others;
                    true
                }
                _ => false,
            };
            if feasible && !c.iter().any(Constraint::is_empty) {
                stack.push((child, c));
            }
        }
    }
    out
}

/// The thresholds a tree model splits numeric feature `feature` at, in raw units, ascending and
/// without repeats; empty for other models or features the tree never splits on.
pub(crate) fn tree_thresholds(model: &TrainedModel, feature: usize) -> Vec<f64> {
    let Some(tree) = model.tree() else { return Vec::new() };
    let mut out: Vec<f64> = tree
        .feature
        .iter()
        .zip(&tree.threshold)
        .enumerate()
        .filter(|&(n, _)| !tree.is_leaf(n))
        .filter_map(|(_, (&col, &t))| {
            let enc = model.pipeline.encoded.get(col)?;
            (enc.feature == feature && enc.level.is_none()).then(|| model.pipeline.raw_threshold(col, t))
        })
        .collect();
    out.sort_by(f64::total_cmp);
    out.dedup();
    out
}
