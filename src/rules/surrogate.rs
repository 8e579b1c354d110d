//! Rules for a model that is not a tree (an SVM): a surrogate decision tree is fitted to the
//! model's own decisions on the training rows, and its leaves become the rules. How far the
//! rules can be trusted is the surrogate's fidelity — how often it decides as the model does,
//! on the training rows it imitated and on held-out rows it never saw — shown beside the rules,
//! with the rows where the two disagree listable.
//!
//! The surrogate works on raw numbers (no standardisation) with categories one-hot encoded, as
//! the model's trees do, so its thresholds read in plant units.

use serde::{Deserialize, Serialize};

use super::score::{Agreement, Fidelity, RuleData, same_decision};
use super::{RuleSet, RuleSource, extract};
use crate::error::Result;
use crate::matrix::Matrix;
use crate::model::cart::{TreeParams, fit_classifier, fit_regressor};
use crate::model::pipeline::{FeatureKind, Pipeline};
use crate::model::svm::argmax;
use crate::model::tree::Tree;
use crate::model::{Task, TrainedModel};

/// A decision tree that imitates a model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Surrogate {
    /// Classification or regression.
    pub task: Task,
    /// The encoding the surrogate tree was fitted on (raw numbers, one-hot categories).
    pub pipeline: Pipeline,
    /// The surrogate tree.
    pub tree: Tree,
    /// Agreement with the model.
    pub fidelity: Fidelity,
}

/// A row where the surrogate decides otherwise than the model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Disagreement {
    /// The dataset row.
    pub row: usize,
    /// True for a held-out row, false for a training row.
    pub held_out: bool,
    /// The model's decision (class index or value).
    pub model: f64,
    /// The surrogate's decision.
    pub surrogate: f64,
}

impl Surrogate {
    /// Fits a surrogate tree with `params` to `model`'s decisions on the training rows of `data`.
    ///
    /// # Errors
    /// When the tree learner fails.
    pub fn fit(model: &TrainedModel, data: &RuleData, params: &TreeParams) -> Result<Self> {
        // The training range is that of every training row the surrogate imitates (an SVM may
        // have been fitted on a sample of them).
        let mut features = model.pipeline.features.clone();
        for (j, f) in features.iter_mut().enumerate() {
            if f.kind == FeatureKind::Numeric {
                for v in data.train.raw.rows().filter_map(|r| r.get(j).copied()).filter(|v| !v.is_nan()) {
                    f.min = f.min.min(v);
                    f.max = f.max.max(v);
                }
            }
        }
        let pipeline = Pipeline::fit(features, &data.train.raw, false);
        let x = pipeline.encode(&data.train.raw);
        let tree = match model.task {
            Task::Classification => {
                #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                let y: Vec<usize> = data.train.model.iter().map(|&c| c.max(0.0) as usize).collect();
                fit_classifier(&x, &y, model.classes.len(), params, &crate::progress::Progress::new())?
            }
            Task::Regression => fit_regressor(&x, &data.train.model, params, &crate::progress::Progress::new())?,
        };
        let mut s = Self { task: model.task, pipeline, tree, fidelity: Fidelity::default() };
        let train = s.decide_all(&data.train.raw);
        let test = s.decide_all(&data.test.raw);
        s.fidelity = Fidelity {
            train: Agreement::compare(model.task, &train, &data.train.model),
            test: Agreement::compare(model.task, &test, &data.test.model),
        };
        Ok(s)
    }

    /// The surrogate's output vector (class shares or `[mean]`) for a raw row.
    pub fn output(&self, raw: &[f64]) -> Vec<f64> {
        let mut enc = Vec::with_capacity(self.pipeline.n_encoded());
        self.pipeline.encode_row_into(raw, &mut enc);
        self.tree.predict(&enc).to_vec()
    }

    /// The surrogate's decision for a raw row: class index or value.
    pub fn decide(&self, raw: &[f64]) -> f64 {
        let out = self.output(raw);
        match self.task {
            Task::Classification => argmax(&out) as f64,
            Task::Regression => out.first().copied().unwrap_or(f64::NAN),
        }
    }

    fn decide_all(&self, raw: &Matrix) -> Vec<f64> {
        raw.rows().map(|r| self.decide(r)).collect()
    }

    /// The surrogate's leaves as rules (not yet scored).
    ///
    /// # Errors
    /// Only if the surrogate tree were inconsistent.
    pub fn rules(&self, model: &TrainedModel) -> Result<RuleSet> {
        extract::from_tree(&self.tree, &self.pipeline, model.task, &model.target, &model.classes, RuleSource::Surrogate)
    }

    /// The rows where the surrogate and the model disagree, training rows first, in dataset
    /// order. For regression a row counts when the values differ by more than `tolerance`.
    pub fn disagreements(&self, data: &RuleData, tolerance: f64) -> Vec<Disagreement> {
        let mut out = Vec::new();
        for (rows, held_out) in [(&data.train, false), (&data.test, true)] {
            for (i, (raw, &theirs)) in rows.raw.rows().zip(&rows.model).enumerate() {
                let ours = self.decide(raw);
                let differs = match self.task {
                    Task::Classification => !same_decision(self.task, ours, theirs),
                    Task::Regression => (ours - theirs).abs() > tolerance.max(0.0),
                };
                if differs {
                    out.push(Disagreement {
                        row: rows.dataset_rows.get(i).copied().unwrap_or(i),
                        held_out,
                        model: theirs,
                        surrogate: ours,
                    });
                }
            }
        }
        out
    }
}
