//! One rule per leaf of a decision tree: the splits on the path from the root, translated from
//! the encoded space the tree was fitted in back to raw features and merged per feature into one
//! range (numbers) or one set of levels (categories).
//!
//! A split on a one-hot column `Type = L` at threshold `t` with `0 <= t < 1` sends a row left
//! exactly when its `Type` is not `L` (the column is 0), so it becomes `Type <> L` on the left
//! and `Type = L` on the right. Numeric columns are not standardised for trees, so a threshold
//! is already in the raw unit; a pipeline that standardises is refused rather than approximated.

use std::collections::BTreeSet;

use super::{Condition, Outcome, Rule, RuleData, RuleSet, RuleSource, RuleStats};
use crate::error::{Error, Result};
use crate::model::pipeline::Pipeline;
use crate::model::svm::argmax;
use crate::model::tree::Tree;
use crate::model::{Task, TrainedModel};

/// The raw-feature test at an internal node of a tree.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum RawSplit {
    /// Left when `x[feature] <= threshold`.
    AtMost {
        /// Raw feature index.
        feature: usize,
        /// Threshold in the raw unit.
        threshold: f64,
    },
    /// Left when the category is not `level` (right when it is).
    NotLevel {
        /// Raw feature index.
        feature: usize,
        /// Level code.
        level: usize,
    },
    /// Every row goes the same way: a one-hot split of categorical `feature` whose threshold lies
    /// outside the column's values 0 and 1.
    Always {
        /// Raw feature index.
        feature: usize,
        /// True when every row goes left.
        left: bool,
    },
}

/// The raw-feature test of internal node `node`.
///
/// # Errors
/// When the node tests a column the pipeline does not have, or a standardised column (its
/// threshold would only be approximately right in raw units).
pub fn raw_split(tree: &Tree, pipeline: &Pipeline, node: usize) -> Result<RawSplit> {
    let col = tree.feature.get(node).copied().unwrap_or(usize::MAX);
    let t = tree.threshold.get(node).copied().unwrap_or(f64::NAN);
    let e = pipeline
        .encoded
        .get(col)
        .ok_or_else(|| Error::invalid(format!("tree node {node} tests column {col}, which the model does not have")))?;
    match e.level {
        None => {
            if e.center != 0.0 || e.scale != 1.0 {
                return Err(Error::invalid(format!(
                    "the tree splits '{}' after standardisation; its thresholds cannot be written exactly in raw units",
                    e.name
                )));
            }
            Ok(RawSplit::AtMost { feature: e.feature, threshold: t })
        }
        Some(level) if (0.0..1.0).contains(&t) => Ok(RawSplit::NotLevel { feature: e.feature, level }),
        Some(_) => Ok(RawSplit::Always { feature: e.feature, left: t >= 1.0 }),
    }
}

/// What is known about one feature on a path.
#[derive(Debug, Clone, Default)]
struct Bounds {
    low: Option<f64>,
    high: Option<f64>,
    /// `Some`: the category must be one of these.
    only: Option<BTreeSet<usize>>,
    /// The category must not be one of these.
    not: BTreeSet<usize>,
}

impl Bounds {
    fn condition(&self, feature: usize) -> Option<Condition> {
        if let Some(only) = &self.only {
            return Some(Condition::In { feature, levels: only.difference(&self.not).copied().collect() });
        }
        if !self.not.is_empty() {
            return Some(Condition::NotIn { feature, levels: self.not.iter().copied().collect() });
        }
        (self.low.is_some() || self.high.is_some()).then_some(Condition::Range {
            feature,
            low: self.low,
            high: self.high,
        })
    }
}

/// The outcome a leaf value stands for: the most likely class (ties to the lower index, as the
/// model predicts) or the mean.
pub fn leaf_outcome(task: Task, value: &[f64]) -> Outcome {
    match task {
        Task::Classification => Outcome::Class { index: argmax(value) },
        Task::Regression => Outcome::Value { value: value.first().copied().unwrap_or(f64::NAN) },
    }
}

/// One rule per leaf of `tree` (fitted on `pipeline`'s encoded columns), in leaf order; the
/// default outcome is the root's. Statistics are empty until the set is scored.
///
/// # Errors
/// When the tree does not fit the pipeline (see [`raw_split`]).
pub fn from_tree(
    tree: &Tree,
    pipeline: &Pipeline,
    task: Task,
    target: &str,
    classes: &[String],
    source: RuleSource,
) -> Result<RuleSet> {
    tree.validate()?;
    let n_features = pipeline.n_features();
    let mut rules = Vec::with_capacity(tree.n_leaves());
    let mut stack: Vec<(usize, Vec<Bounds>)> = vec![(0, vec![Bounds::default(); n_features])];
    while let Some((node, bounds)) = stack.pop() {
        if tree.is_leaf(node) {
            let conditions = bounds.iter().enumerate().filter_map(|(j, b)| b.condition(j)).collect();
            let outcome = leaf_outcome(task, tree.value(node));
            rules.push(Rule { conditions, outcome, stats: RuleStats::default(), leaf: Some(node) });
            continue;
        }
        // The tree was validated above, so an internal node has both children.
        let (Some(&l), Some(&r)) = (tree.left.get(node), tree.right.get(node)) else { continue };
        let (mut left, mut right) = (bounds.clone(), bounds);
        match raw_split(tree, pipeline, node)? {
            RawSplit::AtMost { feature, threshold } => {
                if let Some(b) = left.get_mut(feature) {
                    b.high = Some(b.high.map_or(threshold, |h| h.min(threshold)));
                }
                if let Some(b) = right.get_mut(feature) {
                    b.low = Some(b.low.map_or(threshold, |lo| lo.max(threshold)));
                }
            }
            RawSplit::NotLevel { feature, level } => {
                if let Some(b) = left.get_mut(feature) {
                    b.not.insert(level);
                }
                if let Some(b) = right.get_mut(feature) {
                    let only = b.only.get_or_insert_with(|| BTreeSet::from([level]));
                    only.retain(|&k| k == level);
                }
            }
            RawSplit::Always { feature, left: go_left } => {
                // The other side is never reached; it keeps a condition that is never met.
                let never = if go_left { &mut right } else { &mut left };
                if let Some(b) = never.get_mut(feature) {
                    b.only = Some(BTreeSet::new());
                }
            }
        }
        stack.push((r, right));
        stack.push((l, left));
    }
    rules.sort_by_key(|r| r.leaf);
    Ok(RuleSet {
        task,
        target: target.to_owned(),
        classes: classes.to_vec(),
        features: pipeline.features.clone(),
        rules,
        default: leaf_outcome(task, tree.value(0)),
        default_stats: RuleStats::default(),
        source,
        fidelity: super::Fidelity::default(),
        steps: Vec::new(),
        value_decimals: None,
    })
}

/// The rules of a tree model, one per leaf.
///
/// # Errors
/// When the model is not a tree (use [`super::surrogate`] for an SVM).
pub fn from_model_tree(model: &TrainedModel) -> Result<RuleSet> {
    let tree = model
        .tree()
        .ok_or_else(|| Error::invalid("this model is not a decision tree; rules for it come from a surrogate tree"))?;
    from_tree(tree, &model.pipeline, model.task, &model.target, &model.classes, RuleSource::Tree)
}

/// The rules of a trained model, scored on its data: one per leaf for a tree, one per leaf of a
/// surrogate tree (fitted with `surrogate_params` and the training seed) for an SVM.
///
/// # Errors
/// When the data does not fit the model or the surrogate cannot be fitted.
pub fn extract(
    report: &crate::model::train::TrainingReport,
    data: &RuleData,
    surrogate_params: &crate::model::cart::TreeParams,
) -> Result<RuleSet> {
    Ok(extract_with_disagreements(report, data, surrogate_params)?.0)
}

/// [`extract`], and for a surrogate the rows where it decides otherwise than the model.
///
/// # Errors
/// As [`extract`].
pub fn extract_with_disagreements(
    report: &crate::model::train::TrainingReport,
    data: &RuleData,
    surrogate_params: &crate::model::cart::TreeParams,
) -> Result<(RuleSet, Vec<super::surrogate::Disagreement>)> {
    let (mut rs, disagreements) = if report.model.tree().is_some() {
        (from_model_tree(&report.model)?, Vec::new())
    } else {
        let surrogate = super::surrogate::Surrogate::fit(&report.model, data, surrogate_params)?;
        (surrogate.rules(&report.model)?, surrogate.disagreements(data, 0.0))
    };
    rs.score(data);
    let what = match rs.source {
        RuleSource::Tree => "the model's tree",
        RuleSource::Surrogate => "a surrogate tree fitted to the model's decisions",
    };
    rs.record("extract", format!("one rule per leaf of {what}: {} rules", rs.rules.len()));
    Ok((rs, disagreements))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::matrix::Matrix;
    use crate::model::pipeline::FeatureSpec;
    use crate::model::tree::LEAF;

    fn pipeline() -> Pipeline {
        let specs = vec![
            FeatureSpec::numeric("Torque [Nm]", Some("Nm"), 0.0, 100.0, 40.0),
            FeatureSpec::categorical("Type", &["H", "L", "M"], 1.0),
        ];
        Pipeline::fit(specs, &Matrix::zeros(1, 2), false)
    }

    /// Torque <= 50 ? (Type = L ? yes : (Torque <= 20 ? no : yes)) : no — encoded columns are
    /// torque, Type = H, Type = L, Type = M.
    fn tree() -> Tree {
        Tree {
            left: vec![1, 2, 3, LEAF, LEAF, LEAF, LEAF],
            right: vec![6, 5, 4, LEAF, LEAF, LEAF, LEAF],
            feature: vec![0, 2, 0, 0, 0, 0, 0],
            threshold: vec![50.0, 0.5, 20.0, 0.0, 0.0, 0.0, 0.0],
            cover: vec![10.0, 6.0, 4.0, 2.0, 2.0, 2.0, 4.0],
            values: vec![0.5, 0.5, 0.4, 0.6, 0.5, 0.5, 0.9, 0.1, 0.2, 0.8, 0.1, 0.9, 0.8, 0.2],
            n_outputs: 2,
            n_features: 4,
        }
    }

    #[test]
    fn one_rule_per_leaf_with_merged_ranges() {
        let p = pipeline();
        let rs =
            from_tree(&tree(), &p, Task::Classification, "Failure", &["no".into(), "yes".into()], RuleSource::Tree)
                .expect("rules");
        let lines = rs.describe();
        assert_eq!(lines[0], "IF Torque [Nm] <= 20 AND Type <> L THEN Failure = no");
        assert_eq!(lines[1], "IF 20 < Torque [Nm] <= 50 AND Type <> L THEN Failure = yes");
        assert_eq!(lines[2], "IF Torque [Nm] <= 50 AND Type = L THEN Failure = yes");
        assert_eq!(lines[3], "IF Torque [Nm] > 50 THEN Failure = no");
        // The rules decide as the tree on a grid of rows, categories unknown to the model included.
        let mut enc = Vec::new();
        for t in 0..=100 {
            for code in [-1.0, 0.0, 1.0, 2.0, 5.0] {
                let raw = [f64::from(t), code];
                p.encode_row_into(&raw, &mut enc);
                let leaf = tree().leaf(&enc);
                let rule = rs.rule_for(&raw).expect("a partition");
                assert_eq!(rs.rules[rule].leaf, Some(leaf), "row {raw:?}");
            }
        }
    }
}
