//! Models: decision trees (our CART, [`cart`]) and SVMs behind one type, [`TrainedModel`], that holds
//! the fitted preprocessing ([`pipeline::Pipeline`]) and the fitted estimator, and predicts on
//! rows of the raw feature space. A fitted tree is kept as our own [`tree::Tree`], which
//! explanations, rules, export and drawing work on.

pub mod cart;
pub mod pipeline;
pub mod search;
pub mod smo;
pub mod svm;
pub mod svm_eval;
pub mod train;
pub mod tree;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::data::Dataset;
use crate::error::{Error, Result};
use crate::matrix::Matrix;
use cart::TreeParams;
use pipeline::{FeatureKind, Pipeline};
use svm::{SvcModel, SvmParams, SvrModel};
use tree::Tree;

/// What the model predicts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Task {
    /// A class (OK / NOK, failure / no failure, fault type).
    Classification,
    /// A number (energy, strength, roughness).
    Regression,
}

impl Task {
    /// The name on screen and on the command line.
    pub fn label(self) -> &'static str {
        match self {
            Self::Classification => "classification",
            Self::Regression => "regression",
        }
    }
}

/// Which learner, with its settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "model", rename_all = "snake_case")]
pub enum ModelParams {
    /// A decision tree.
    Tree(TreeParams),
    /// A support vector machine.
    Svm(SvmParams),
}

impl Default for ModelParams {
    fn default() -> Self {
        Self::Tree(TreeParams::default())
    }
}

impl ModelParams {
    /// `tree` or `svm`.
    pub fn kind_label(&self) -> &'static str {
        match self {
            Self::Tree(_) => "tree",
            Self::Svm(_) => "svm",
        }
    }

    /// A one-line description of the settings that apply to `task`.
    pub fn describe(&self, task: Task) -> String {
        match self {
            Self::Tree(p) => format!(
                "decision tree (max depth {}, min samples per leaf {}, per split {}, {} criterion)",
                p.max_depth.map_or_else(|| "unlimited".to_owned(), |d| d.to_string()),
                p.min_samples_leaf,
                p.min_samples_split,
                match task {
                    Task::Classification => p.criterion.label(),
                    Task::Regression => cart::REGRESSION_CRITERION,
                },
            ),
            Self::Svm(p) => {
                let gamma = match p.gamma {
                    svm::Gamma::Scale => "scale".to_owned(),
                    svm::Gamma::Value(g) => format!("{g}"),
                };
                let epsilon = match task {
                    Task::Classification => String::new(),
                    Task::Regression => format!(", epsilon {}", p.epsilon),
                };
                format!("SVM: {} kernel, C {}, gamma {gamma}{epsilon}, tol {}", p.kernel.label(), p.c, p.tol)
            }
        }
    }

    /// The settings that apply to `task`, as `train --json` reports them: a regression tree
    /// states its squared-error criterion, not the classification criterion it does not use;
    /// a classifier SVM leaves out the regression tube width.
    pub fn settings_json(&self, task: Task) -> serde_json::Value {
        let mut v = serde_json::to_value(self).unwrap_or(serde_json::Value::Null);
        if let Some(obj) = v.as_object_mut() {
            match (self, task) {
                (Self::Tree(_), Task::Regression) => {
                    obj.insert("criterion".into(), cart::REGRESSION_CRITERION.into());
                }
                (Self::Svm(_), Task::Classification) => {
                    obj.remove("epsilon");
                }
                (Self::Tree(_) | Self::Svm(_), _) => {}
            }
        }
        v
    }
}

/// The fitted estimator.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "estimator", rename_all = "snake_case")]
pub enum Estimator {
    /// A classification tree (leaf values are class probabilities).
    TreeClassifier {
        /// The tree.
        tree: Tree,
    },
    /// A regression tree (leaf values are means).
    TreeRegressor {
        /// The tree.
        tree: Tree,
    },
    /// An SVM classifier with calibrated probabilities.
    SvmClassifier {
        /// The machines.
        model: SvcModel,
    },
    /// An SVM regressor.
    SvmRegressor {
        /// The machine.
        model: SvrModel,
    },
}

/// One prediction.
#[derive(Debug, Clone, PartialEq)]
pub struct Prediction {
    /// The class index (classification) or the value (regression).
    pub value: f64,
    /// Class probabilities (classification); empty for regression.
    pub probabilities: Vec<f64>,
}

/// What an explanation explains: one number per row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Output {
    /// The probability of this class.
    Probability(usize),
    /// The predicted value (regression).
    Value,
}

/// A fitted model: pipeline and estimator, with the names that give its numbers meaning.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainedModel {
    /// Classification or regression.
    pub task: Task,
    /// The target column's name.
    pub target: String,
    /// Class names (classification), in class-index order.
    pub classes: Vec<String>,
    /// Preprocessing, fitted on the training rows.
    pub pipeline: Pipeline,
    /// The fitted estimator.
    pub estimator: Estimator,
}

impl TrainedModel {
    /// Number of raw features.
    pub fn n_features(&self) -> usize {
        self.pipeline.n_features()
    }

    /// Feature names in model order.
    pub fn feature_names(&self) -> Vec<&str> {
        self.pipeline.features.iter().map(|f| f.name.as_str()).collect()
    }

    /// The tree, for tree models.
    pub fn tree(&self) -> Option<&Tree> {
        match &self.estimator {
            Estimator::TreeClassifier { tree } | Estimator::TreeRegressor { tree } => Some(tree),
            _ => None,
        }
    }

    /// Checks that the parts of a model read from a file fit together, so that predicting with
    /// it can neither index out of range nor loop: every encoded column comes from a feature,
    /// the tree is one tree over the encoded columns with one output per class, and every
    /// support vector and pair of classes of an SVM is in range.
    ///
    /// # Errors
    /// A message saying which part does not fit.
    pub fn validate(&self) -> Result<()> {
        let bad = |m: String| Err(Error::invalid(format!("the model's parts do not fit together: {m}")));
        let (n_features, n_encoded) = (self.pipeline.features.len(), self.pipeline.n_encoded());
        if let Some(e) = self.pipeline.encoded.iter().find(|e| e.feature >= n_features) {
            return bad(format!("encoded column '{}' comes from feature {} of {n_features}", e.name, e.feature));
        }
        let n_outputs = match self.task {
            Task::Classification => self.classes.len(),
            Task::Regression => 1,
        };
        let svm_ok = |svm: &svm::BinarySvm| {
            svm.support.n_cols() == n_encoded
                && svm.coef.len() <= svm.support.n_rows()
                && svm.linear_weights.as_ref().is_none_or(|w| w.len() == n_encoded)
        };
        match &self.estimator {
            Estimator::TreeClassifier { tree } | Estimator::TreeRegressor { tree } => {
                tree.validate()?;
                if tree.n_features != n_encoded {
                    return bad(format!("the tree reads {} columns, the pipeline makes {n_encoded}", tree.n_features));
                }
                if tree.n_outputs != n_outputs {
                    return bad(format!("the tree has {} outputs for {n_outputs} classes", tree.n_outputs));
                }
            }
            Estimator::SvmClassifier { model } => {
                if model.n_classes != n_outputs {
                    return bad(format!("the SVM has {} classes, the model names {n_outputs}", model.n_classes));
                }
                for m in &model.machines {
                    if m.first >= n_outputs || m.second >= n_outputs || !svm_ok(&m.svm) {
                        return bad(format!("the SVM for classes {} and {} does not fit", m.first, m.second));
                    }
                }
            }
            Estimator::SvmRegressor { model } => {
                if !svm_ok(&model.svm) {
                    return bad("the SVM's support vectors do not fit the pipeline".into());
                }
            }
        }
        Ok(())
    }

    /// The explained output a user would expect: for a binary classifier the probability of the
    /// second class (the "positive" one, e.g. failure = 1), for more classes that of class 0,
    /// for regression the value.
    pub fn default_output(&self) -> Output {
        match self.task {
            Task::Regression => Output::Value,
            Task::Classification => Output::Probability(usize::from(self.classes.len() == 2)),
        }
    }

    /// The output to explain for a class given by name or index (`None`: the default output).
    ///
    /// # Errors
    /// A class for a regression model, or a class the model does not have.
    pub fn output_named(&self, class: Option<&str>) -> Result<Output> {
        match (self.task, class) {
            (Task::Regression, None) => Ok(Output::Value),
            (Task::Regression, Some(_)) => {
                Err(Error::invalid("a class applies to classifiers; this model predicts a number"))
            }
            (Task::Classification, None) => Ok(self.default_output()),
            (Task::Classification, Some(c)) => {
                let by_name = self.classes.iter().position(|n| n == c);
                let by_index = c.parse::<usize>().ok().filter(|&i| i < self.classes.len());
                by_name.or(by_index).map(Output::Probability).ok_or_else(|| {
                    Error::invalid(format!("the model has no class '{c}' (classes: {})", self.classes.join(", ")))
                })
            }
        }
    }

    /// Predicts one encoded row.
    pub fn predict_encoded(&self, x: &[f64]) -> Prediction {
        match &self.estimator {
            Estimator::TreeClassifier { tree } => {
                let p = tree.predict(x).to_vec();
                Prediction { value: svm::argmax(&p) as f64, probabilities: p }
            }
            Estimator::TreeRegressor { tree } => {
                Prediction { value: tree.predict(x).first().copied().unwrap_or(f64::NAN), probabilities: Vec::new() }
            }
            Estimator::SvmClassifier { model } => {
                let p = model.probabilities(x);
                Prediction { value: svm::argmax(&p) as f64, probabilities: p }
            }
            Estimator::SvmRegressor { model } => Prediction { value: model.predict(x), probabilities: Vec::new() },
        }
    }

    /// Predicts one row of the raw feature space.
    pub fn predict_row(&self, raw: &[f64]) -> Prediction {
        let mut enc = Vec::with_capacity(self.pipeline.n_encoded());
        self.pipeline.encode_row_into(raw, &mut enc);
        self.predict_encoded(&enc)
    }

    /// Predicts rows of the raw feature space (in parallel, in row order).
    pub fn predict(&self, raw: &Matrix) -> Vec<Prediction> {
        (0..raw.n_rows()).into_par_iter().map(|i| self.predict_row(raw.row(i))).collect()
    }

    /// The explained output of each raw row.
    pub fn output(&self, raw: &Matrix, output: Output) -> Vec<f64> {
        (0..raw.n_rows())
            .into_par_iter()
            .with_min_len(64)
            .map(|i| {
                let p = self.predict_row(raw.row(i));
                match output {
                    Output::Value => p.value,
                    Output::Probability(c) => p.probabilities.get(c).copied().unwrap_or(f64::NAN),
                }
            })
            .collect()
    }

    /// Rows `rows` of a dataset in this model's raw feature space: columns found by name,
    /// category levels matched by their text (a level the model never saw becomes −1, which
    /// encodes as "none of the known levels").
    ///
    /// # Errors
    /// When a feature column is missing from the dataset or has the wrong kind.
    pub fn raw_rows(&self, ds: &Dataset, rows: &[usize]) -> Result<Matrix> {
        let mut columns = Vec::with_capacity(self.n_features());
        for f in &self.pipeline.features {
            let c = ds.column(&f.name).ok_or_else(|| {
                Error::invalid(format!("the data has no column '{}', which the model needs as a feature", f.name))
            })?;
            let values: Vec<f64> = match f.kind {
                FeatureKind::Numeric => {
                    if c.kind.has_levels() {
                        return Err(Error::invalid(format!(
                            "column '{}' holds text here, but the model was trained on numbers",
                            f.name
                        )));
                    }
                    rows.iter().map(|&r| c.values.get(r).copied().unwrap_or(f64::NAN)).collect()
                }
                FeatureKind::Categorical => {
                    let map: Vec<f64> = c
                        .levels
                        .iter()
                        .map(|l| f.levels.iter().position(|m| m == l).map_or(-1.0, |p| p as f64))
                        .collect();
                    rows.iter()
                        .map(|&r| {
                            let v = c.values.get(r).copied().unwrap_or(f64::NAN);
                            if v.is_nan() {
                                return f64::NAN;
                            }
                            if !c.kind.has_levels() {
                                // A numeric column for a categorical feature: match the level text.
                                let text = crate::data::format_number(v);
                                return f.levels.iter().position(|m| *m == text).map_or(-1.0, |p| p as f64);
                            }
                            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                            map.get(v as usize).copied().unwrap_or(-1.0)
                        })
                        .collect()
                }
            };
            columns.push(values);
        }
        let mut m = Matrix::zeros(rows.len(), self.n_features());
        for (j, col) in columns.iter().enumerate() {
            for (i, v) in col.iter().enumerate() {
                m.set(i, j, *v);
            }
        }
        Ok(m)
    }

    /// The class name of a class index, or the number for regression.
    pub fn format_prediction(&self, value: f64) -> String {
        match self.task {
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            Task::Classification => self.classes.get(value.max(0.0) as usize).cloned().unwrap_or_default(),
            Task::Regression => format!("{value:.6}").trim_end_matches('0').trim_end_matches('.').to_owned(),
        }
    }
}
