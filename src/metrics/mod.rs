//! How good a model is: classification and regression metrics, ROC and precision–recall curves,
//! and the aggregation of per-fold metrics from cross-validation.
//!
//! Plain slices in, plain serde structs out. Every number follows scikit-learn's definition (and
//! the tests compare against numbers scikit-learn computed on the same inputs), so a user who
//! checks a result in Python gets the same answer:
//!
//! - labels are class indices `0..n_classes`; naming classes is someone else's job;
//! - a ratio whose denominator is zero is 0 (scikit-learn's `zero_division=0`);
//! - in a binary problem the positive class is class 1;
//! - a score that is undefined for the data (ROC AUC or average precision when the actual labels
//!   lack a class) is `None`, where scikit-learn warns and returns NaN or 0, or raises.

mod classification;
mod curves;
mod cv;
mod regression;

#[cfg(test)]
#[allow(clippy::float_cmp)] // the expected values here are exact
mod reference_tests;

pub use classification::{
    AverageMetrics, ClassMetrics, ClassificationMetrics, ConfusionMatrix, classification_metrics,
};
pub use curves::{
    PrCurve, RocCurve, ThresholdConfusion, average_precision, average_precision_ovr, confusion_at_threshold,
    one_vs_rest, precision_recall_curve, roc_auc, roc_auc_ovr, roc_curve,
};
pub use cv::{CvSummary, FoldMetrics, MetricSummary};
pub use regression::{RegressionMetrics, regression_metrics, residuals};

use crate::matrix::Matrix;
use crate::{Error, Result};

/// Fails unless two per-row inputs have the same, non-zero length.
fn check_lengths(what_a: &str, a: usize, what_b: &str, b: usize) -> Result<()> {
    if a != b {
        return Err(Error::invalid(format!(
            "{what_a} has {a} values but {what_b} has {b}; they must hold one value per row"
        )));
    }
    if a == 0 {
        return Err(Error::invalid(format!("{what_a} and {what_b} are empty; metrics need at least one row")));
    }
    Ok(())
}

/// Fails at the first value that is NaN or infinite.
fn check_finite(what: &str, values: &[f64]) -> Result<()> {
    match values.iter().enumerate().find(|(_, v)| !v.is_finite()) {
        Some((row, v)) => Err(Error::invalid(format!("{what} at row {row} is {v}; only finite numbers can be scored"))),
        None => Ok(()),
    }
}

/// Fails at the first probability that is NaN or infinite, naming its row and class column.
fn check_finite_proba(proba: &Matrix) -> Result<()> {
    match proba.as_slice().iter().enumerate().find(|(_, v)| !v.is_finite()) {
        Some((i, v)) => Err(Error::invalid(format!(
            "the probability of class {} at row {} is {v}; only finite numbers can be scored",
            i % proba.n_cols(),
            i / proba.n_cols()
        ))),
        None => Ok(()),
    }
}

/// Fails at the first label that is not a class index below `n_classes`.
fn check_labels(what: &str, labels: &[usize], n_classes: usize) -> Result<()> {
    match labels.iter().enumerate().find(|&(_, &l)| l >= n_classes) {
        Some((row, label)) => Err(Error::invalid(format!(
            "{what} at row {row} is class {label}, but there are only {n_classes} classes (0..{n_classes})"
        ))),
        None => Ok(()),
    }
}

/// `num / den`, or 0 when `den` is 0: scikit-learn's `zero_division=0`.
fn ratio(num: f64, den: f64) -> f64 {
    if den == 0.0 { 0.0 } else { num / den }
}
