//! Why a model decides what it decides.
//!
//! - [`tree_shap`]: exact TreeSHAP on our [`crate::model::tree::Tree`] (path-dependent,
//!   interventional, interaction values);
//! - [`kernel_shap`]: KernelSHAP for any model;
//! - [`lime`]: LIME for tabular data;
//! - [`permutation`]: permutation importance on held-out data;
//! - [`pdp`]: partial dependence and ICE curves.
//!
//! Every algorithm takes a [`crate::Progress`], can be cancelled, runs rows in parallel, and
//! gives the same numbers for the same seed whatever the number of threads.

pub mod kernel_shap;
pub mod lime;
pub mod model;
pub mod pdp;
pub mod permutation;
pub mod svg;
pub mod tree_shap;

use serde::{Deserialize, Serialize};

use crate::matrix::Matrix;

/// A model seen from outside: rows in (one per matrix row, in the model's input space), one
/// explained output per row out (a class probability, a decision score, or a value).
pub type BatchPredict<'a> = dyn Fn(&Matrix) -> Vec<f64> + Sync + 'a;

/// SHAP values for a set of rows: `base_value + Σ values[row] = predictions[row]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShapValues {
    /// The expected output over the background (or the training data for path-dependent SHAP).
    pub base_value: f64,
    /// One row per explained row, one column per feature.
    pub values: Matrix,
    /// The model's output for each explained row.
    pub predictions: Vec<f64>,
}
