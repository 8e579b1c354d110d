//! Classification metrics from class labels: the confusion matrix and everything that follows
//! from it (accuracy, balanced accuracy, per-class precision, recall and F1 with their macro and
//! weighted averages), plus ROC AUC and average precision when class probabilities are given.

// Labels are checked below n_classes (`check_labels`) and a confusion matrix's counts against
// n_classes² (`from_confusion`) on entry; per-class vectors are built over 0..n_classes.
#![allow(clippy::indexing_slicing)]

use serde::{Deserialize, Serialize};

use super::curves::{average_precision, average_precision_ovr, roc_auc, roc_auc_ovr};
use super::{check_finite_proba, check_labels, check_lengths, ratio};
use crate::matrix::Matrix;
use crate::{Error, Result};

/// Counts of (actual, predicted) class pairs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfusionMatrix {
    /// Number of classes; the matrix is `n_classes × n_classes`.
    pub n_classes: usize,
    /// Row-major counts, one row per actual class: `counts[actual * n_classes + predicted]`.
    pub counts: Vec<usize>,
}

impl ConfusionMatrix {
    /// Counts the pairs in `y_true` and `y_pred` (class indices below `n_classes`).
    pub fn from_labels(y_true: &[usize], y_pred: &[usize], n_classes: usize) -> Result<Self> {
        check_lengths("y_true", y_true.len(), "y_pred", y_pred.len())?;
        check_labels("y_true", y_true, n_classes)?;
        check_labels("y_pred", y_pred, n_classes)?;
        let mut counts = vec![0; n_classes * n_classes];
        for (&a, &p) in y_true.iter().zip(y_pred) {
            counts[a * n_classes + p] += 1;
        }
        Ok(Self { n_classes, counts })
    }

    /// How many rows of class `actual` were predicted as `predicted` (0 for a class out of range).
    pub fn get(&self, actual: usize, predicted: usize) -> usize {
        if actual >= self.n_classes || predicted >= self.n_classes {
            return 0;
        }
        self.counts.get(actual * self.n_classes + predicted).copied().unwrap_or(0)
    }

    /// Number of rows counted.
    pub fn total(&self) -> usize {
        self.counts.iter().sum()
    }

    /// Number of rows predicted correctly (the diagonal).
    pub fn correct(&self) -> usize {
        (0..self.n_classes).map(|c| self.get(c, c)).sum()
    }

    /// Number of rows whose actual class is `class` (its support).
    pub fn actual_count(&self, class: usize) -> usize {
        (0..self.n_classes).map(|p| self.get(class, p)).sum()
    }

    /// Number of rows predicted as `class`.
    pub fn predicted_count(&self, class: usize) -> usize {
        (0..self.n_classes).map(|a| self.get(a, class)).sum()
    }
}

/// Precision, recall and F1 of one class against the rest.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ClassMetrics {
    /// Of the rows predicted as this class, the fraction that are (0 when none are predicted).
    pub precision: f64,
    /// Of the rows of this class, the fraction predicted as it (0 when the class is absent).
    pub recall: f64,
    /// Harmonic mean of precision and recall, computed as 2·TP / (2·TP + FP + FN).
    pub f1: f64,
    /// Number of rows whose actual class is this one.
    pub support: usize,
}

/// Precision, recall and F1 averaged over classes.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct AverageMetrics {
    /// Averaged precision.
    pub precision: f64,
    /// Averaged recall.
    pub recall: f64,
    /// Averaged F1 (the average of per-class F1, not the F1 of averaged precision and recall).
    pub f1: f64,
}

/// Everything the workbench shows about a classifier on one set of rows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClassificationMetrics {
    /// Fraction of rows predicted correctly.
    pub accuracy: f64,
    /// Mean recall over the classes present in the actual labels.
    pub balanced_accuracy: f64,
    /// Headline precision: of class 1 in a binary problem, else the macro average.
    pub precision: f64,
    /// Headline recall: of class 1 in a binary problem, else the macro average.
    pub recall: f64,
    /// Headline F1: of class 1 in a binary problem, else the macro average.
    pub f1: f64,
    /// One entry per class, in class order, including classes that never occur.
    pub per_class: Vec<ClassMetrics>,
    /// Unweighted mean over the classes that occur in the actual or the predicted labels
    /// (scikit-learn's `average="macro"` without an explicit label list).
    pub macro_avg: AverageMetrics,
    /// Mean over classes weighted by support.
    pub weighted_avg: AverageMetrics,
    /// The confusion matrix everything above is computed from.
    pub confusion: ConfusionMatrix,
    /// ROC AUC from probabilities: of class 1 in a binary problem, one-vs-rest macro average
    /// otherwise. `None` without probabilities or when undefined (a class missing from the
    /// actual labels).
    pub roc_auc: Option<f64>,
    /// Average precision from probabilities, defined like `roc_auc`.
    pub average_precision: Option<f64>,
    /// Accuracy of always predicting the most frequent actual class: the bar to beat.
    pub majority_baseline_accuracy: f64,
    /// Number of rows of each actual class.
    pub class_counts: Vec<usize>,
}

impl ClassificationMetrics {
    /// All label-based metrics from a confusion matrix; `roc_auc` and `average_precision` are
    /// left `None`. Costs O(`n_classes`²), so it can follow a decision-threshold slider live (see
    /// [`super::ThresholdConfusion`]).
    pub fn from_confusion(confusion: ConfusionMatrix) -> Result<Self> {
        let n_classes = confusion.n_classes;
        if n_classes < 2 {
            return Err(Error::invalid(format!("classification needs at least two classes, got {n_classes}")));
        }
        if confusion.counts.len() != n_classes * n_classes {
            return Err(Error::invalid(format!(
                "a confusion matrix of {n_classes} classes needs {} counts, not {}",
                n_classes * n_classes,
                confusion.counts.len()
            )));
        }
        let total = confusion.total();
        if total == 0 {
            return Err(Error::invalid("the confusion matrix is empty; metrics need at least one row"));
        }

        let class_counts: Vec<usize> = (0..n_classes).map(|c| confusion.actual_count(c)).collect();
        let predicted_counts: Vec<usize> = (0..n_classes).map(|c| confusion.predicted_count(c)).collect();
        let per_class: Vec<ClassMetrics> = (0..n_classes)
            .map(|c| {
                let tp = confusion.get(c, c) as f64;
                let actual = class_counts[c] as f64;
                let predicted = predicted_counts[c] as f64;
                ClassMetrics {
                    precision: ratio(tp, predicted),
                    recall: ratio(tp, actual),
                    f1: ratio(2.0 * tp, actual + predicted),
                    support: class_counts[c],
                }
            })
            .collect();

        // Classes that occur nowhere carry no information; scikit-learn leaves them out of the
        // macro average unless told the label list, and out of balanced accuracy always.
        let seen: Vec<usize> = (0..n_classes).filter(|&c| class_counts[c] > 0 || predicted_counts[c] > 0).collect();
        let macro_avg = {
            let k = seen.len() as f64;
            AverageMetrics {
                precision: seen.iter().map(|&c| per_class[c].precision).sum::<f64>() / k,
                recall: seen.iter().map(|&c| per_class[c].recall).sum::<f64>() / k,
                f1: seen.iter().map(|&c| per_class[c].f1).sum::<f64>() / k,
            }
        };
        let weighted_avg = {
            let w = total as f64;
            let avg = |f: fn(&ClassMetrics) -> f64| {
                seen.iter().map(|&c| f(&per_class[c]) * per_class[c].support as f64).sum::<f64>() / w
            };
            AverageMetrics { precision: avg(|m| m.precision), recall: avg(|m| m.recall), f1: avg(|m| m.f1) }
        };
        let present: Vec<usize> = (0..n_classes).filter(|&c| class_counts[c] > 0).collect();
        let balanced_accuracy = present.iter().map(|&c| per_class[c].recall).sum::<f64>() / present.len() as f64;

        let headline = if n_classes == 2 {
            AverageMetrics { precision: per_class[1].precision, recall: per_class[1].recall, f1: per_class[1].f1 }
        } else {
            macro_avg
        };
        let majority = class_counts.iter().copied().max().unwrap_or(0);
        Ok(Self {
            accuracy: confusion.correct() as f64 / total as f64,
            balanced_accuracy,
            precision: headline.precision,
            recall: headline.recall,
            f1: headline.f1,
            per_class,
            macro_avg,
            weighted_avg,
            confusion,
            roc_auc: None,
            average_precision: None,
            majority_baseline_accuracy: majority as f64 / total as f64,
            class_counts,
        })
    }
}

/// Scores predicted labels against actual ones; with `proba` (one row per row of `y_true`, one
/// column per class) also ROC AUC and average precision: from column 1 in a binary problem, one
/// versus rest and macro-averaged otherwise.
///
/// Errors on empty or mismatched inputs, labels outside `0..n_classes`, fewer than two classes, a
/// `proba` of the wrong shape and non-finite probabilities.
pub fn classification_metrics(
    y_true: &[usize],
    y_pred: &[usize],
    n_classes: usize,
    proba: Option<&Matrix>,
) -> Result<ClassificationMetrics> {
    if n_classes < 2 {
        return Err(Error::invalid(format!("classification needs at least two classes, got {n_classes}")));
    }
    let confusion = ConfusionMatrix::from_labels(y_true, y_pred, n_classes)?;
    let mut metrics = ClassificationMetrics::from_confusion(confusion)?;
    let Some(proba) = proba else {
        return Ok(metrics);
    };
    if proba.n_rows() != y_true.len() || proba.n_cols() != n_classes {
        return Err(Error::invalid(format!(
            "the probabilities are {}×{} but {} rows × {n_classes} classes were expected",
            proba.n_rows(),
            proba.n_cols(),
            y_true.len()
        )));
    }
    check_finite_proba(proba)?;
    // Both scores are undefined, not wrong, when a class is missing from y_true.
    if metrics.class_counts.iter().all(|&c| c > 0) {
        if n_classes == 2 {
            let positive: Vec<bool> = y_true.iter().map(|&l| l == 1).collect();
            let score = proba.column(1);
            metrics.roc_auc = Some(roc_auc(&positive, &score)?);
            metrics.average_precision = Some(average_precision(&positive, &score)?);
        } else {
            metrics.roc_auc = Some(roc_auc_ovr(y_true, proba)?);
            metrics.average_precision = Some(average_precision_ovr(y_true, proba)?);
        }
    }
    Ok(metrics)
}

#[cfg(test)]
#[allow(clippy::float_cmp)] // the expected values here are exact
mod tests {
    use super::*;

    #[test]
    fn confusion_counts_pairs_and_sums_to_n() {
        let y_true = [0, 0, 1, 2, 2, 2, 1];
        let y_pred = [0, 1, 1, 2, 0, 2, 1];
        let cm = ConfusionMatrix::from_labels(&y_true, &y_pred, 3).unwrap();
        assert_eq!(cm.total(), y_true.len());
        assert_eq!(cm.get(0, 1), 1);
        assert_eq!(cm.get(2, 0), 1);
        assert_eq!(cm.get(2, 2), 2);
        assert_eq!(cm.get(3, 0), 0);
        assert_eq!(cm.correct(), 5);
        assert_eq!((0..3).map(|c| cm.actual_count(c)).collect::<Vec<_>>(), [2, 2, 3]);
        assert_eq!((0..3).map(|c| cm.predicted_count(c)).collect::<Vec<_>>(), [2, 3, 2]);
    }

    #[test]
    fn perfect_predictions_score_one_and_baseline_is_majority_share() {
        let y = [0, 1, 1, 1, 2];
        let m = classification_metrics(&y, &y, 3, None).unwrap();
        assert!((m.accuracy - 1.0).abs() < 1e-15);
        assert!((m.balanced_accuracy - 1.0).abs() < 1e-15);
        assert!(m.per_class.iter().all(|c| c.precision == 1.0 && c.recall == 1.0 && c.f1 == 1.0));
        assert!((m.majority_baseline_accuracy - 0.6).abs() < 1e-15);
        assert_eq!(m.class_counts, [1, 3, 1]);
        assert!(m.roc_auc.is_none());
    }

    #[test]
    fn binary_headline_is_the_positive_class() {
        let y_true = [0, 0, 0, 1, 1, 0];
        let y_pred = [0, 1, 0, 1, 0, 0];
        let m = classification_metrics(&y_true, &y_pred, 2, None).unwrap();
        assert_eq!(m.precision, m.per_class[1].precision);
        assert!((m.precision - 0.5).abs() < 1e-15);
        assert!((m.recall - 0.5).abs() < 1e-15);
        assert_ne!(m.f1, m.macro_avg.f1);
    }

    #[test]
    fn bad_inputs_are_errors() {
        assert!(classification_metrics(&[], &[], 2, None).is_err());
        assert!(classification_metrics(&[0, 1], &[0], 2, None).is_err());
        assert!(classification_metrics(&[0, 2], &[0, 1], 2, None).is_err());
        assert!(classification_metrics(&[0, 0], &[0, 0], 1, None).is_err());
        let wrong_shape = Matrix::zeros(2, 3);
        assert!(classification_metrics(&[0, 1], &[0, 1], 2, Some(&wrong_shape)).is_err());
        let nan = Matrix::from_vec(vec![0.5, 0.5, f64::NAN, 0.2], 2, 2).unwrap();
        let err = classification_metrics(&[0, 1], &[0, 1], 2, Some(&nan)).unwrap_err();
        assert!(err.to_string().contains("class 0 at row 1"), "{err}");
        let short = ConfusionMatrix { n_classes: 2, counts: vec![1, 2] };
        assert!(ClassificationMetrics::from_confusion(short).is_err());
    }

    #[test]
    fn undefined_auc_is_none_not_an_error() {
        let proba = Matrix::from_rows(&[[0.9, 0.1], [0.4, 0.6], [0.7, 0.3]], 2).unwrap();
        let m = classification_metrics(&[0, 0, 0], &[0, 1, 0], 2, Some(&proba)).unwrap();
        assert_eq!(m.roc_auc, None);
        assert_eq!(m.average_precision, None);
    }
}
