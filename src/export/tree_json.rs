//! The tree as JSON in scikit-learn's layout (`sklearn-tree-v1`), so other tools can read it and
//! [`Tree::from_sklearn_json`](crate::model::tree::Tree::from_sklearn_json) reads it back:
//! flat arrays `children_left`, `children_right` (-1 at leaves), `feature` and `threshold` (-2
//! at leaves), `value` (per node: class shares, or `[mean]`), `n_node_samples`, with
//! `feature_names` and `class_names`. At a node, go left when `x[feature] <= threshold`.
//!
//! `feature` indexes the columns the tree was fitted on, which `feature_names` names: the raw
//! features, except that a categorical feature is one 0/1 column per level, named `Type = L`.
//! `encoding` maps each column back to its raw feature (and level).

use serde::Serialize;

use super::{ExportPlan, Exported};
use crate::error::{Error, Result};
use crate::model::Task;

/// One fitted column.
#[derive(Debug, Serialize)]
pub struct ColumnDoc<'a> {
    /// The column's name (`Torque [Nm]`, `Type = L`).
    pub name: &'a str,
    /// The raw feature it comes from.
    pub feature: &'a str,
    /// For a one-hot column, the level it is 1 for.
    pub level: Option<&'a str>,
}

/// The JSON document.
#[derive(Debug, Serialize)]
pub struct TreeDocument<'a> {
    /// `sklearn-tree-v1`.
    pub format: &'static str,
    /// `DecisionTreeClassifier` or `DecisionTreeRegressor`.
    pub estimator: &'static str,
    /// True when the tree is a surrogate of an SVM.
    pub surrogate: bool,
    /// How to read the arrays.
    pub semantics: &'static str,
    /// Name of each fitted column.
    pub feature_names: Vec<&'a str>,
    /// Number of fitted columns.
    pub n_features: usize,
    /// Class names (empty for regression).
    pub class_names: &'a [String],
    /// The target's name.
    pub target: &'a str,
    /// Number of nodes.
    pub node_count: usize,
    /// Left child per node, -1 at leaves.
    pub children_left: Vec<i64>,
    /// Right child per node, -1 at leaves.
    pub children_right: Vec<i64>,
    /// Tested column per node, -2 at leaves.
    pub feature: Vec<i64>,
    /// Threshold per node, -2 at leaves.
    pub threshold: Vec<f64>,
    /// Output per node.
    pub value: Vec<&'a [f64]>,
    /// Training rows per node.
    pub n_node_samples: Vec<u64>,
    /// Where each column comes from.
    pub encoding: Vec<ColumnDoc<'a>>,
}

/// The plan's tree as JSON, ending in a newline.
///
/// # Errors
/// Only if serialisation failed.
pub fn write(plan: &ExportPlan) -> Result<Exported> {
    let t = &plan.tree;
    let p = &plan.tree_pipeline;
    let index = |c: usize| i64::try_from(c).unwrap_or(-1);
    let n = t.n_nodes();
    let leaf = |i: usize| t.is_leaf(i);
    let doc = TreeDocument {
        format: "sklearn-tree-v1",
        estimator: match plan.task {
            Task::Classification => "DecisionTreeClassifier",
            Task::Regression => "DecisionTreeRegressor",
        },
        surrogate: plan.surrogate,
        semantics: "at node i go to children_left[i] when x[feature[i]] <= threshold[i], else to children_right[i]; \
                    -1 marks a leaf; x is the row in the columns of feature_names",
        feature_names: p.encoded.iter().map(|e| e.name.as_str()).collect(),
        n_features: t.n_features,
        class_names: &plan.classes,
        target: &plan.target,
        node_count: n,
        children_left: t.left.iter().enumerate().map(|(i, &c)| if leaf(i) { -1 } else { index(c) }).collect(),
        children_right: t.right.iter().enumerate().map(|(i, &c)| if leaf(i) { -1 } else { index(c) }).collect(),
        feature: t.feature.iter().enumerate().map(|(i, &f)| if leaf(i) { -2 } else { index(f) }).collect(),
        threshold: t.threshold.iter().enumerate().map(|(i, &x)| if leaf(i) { -2.0 } else { x }).collect(),
        value: (0..n).map(|i| t.value(i)).collect(),
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        n_node_samples: t.cover.iter().map(|&c| c.max(0.0).round() as u64).collect(),
        encoding: p
            .encoded
            .iter()
            .map(|e| {
                let f = p.features.get(e.feature);
                ColumnDoc {
                    name: &e.name,
                    feature: f.map_or("", |f| f.name.as_str()),
                    level: e.level.and_then(|k| f.and_then(|f| f.levels.get(k))).map(String::as_str),
                }
            })
            .collect(),
    };
    let mut text = serde_json::to_string_pretty(&doc)
        .map_err(|e| Error::invalid(format!("cannot write the tree as JSON: {e}")))?;
    text.push('\n');
    Ok(Exported { text, notes: Vec::new() })
}
