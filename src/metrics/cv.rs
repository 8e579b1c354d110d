//! Cross-validation summaries: the mean and spread of each metric over the folds.
//!
//! Splitting rows into folds lives with the data splits; this module only aggregates the metrics
//! each fold produced. The spread is the population standard deviation (ddof = 0), as `np.std`
//! on scikit-learn's `cross_val_score` results, so numbers match what a Python user reports.

use serde::{Deserialize, Serialize};

use super::check_finite;
use super::classification::ClassificationMetrics;
use super::regression::RegressionMetrics;
use crate::{Error, Result};

/// Mean and population standard deviation of one metric over folds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MetricSummary {
    /// Mean over the folds where the metric is defined.
    pub mean: f64,
    /// Population standard deviation (ddof = 0) over the same folds.
    pub std: f64,
    /// Number of folds where the metric is defined (all of them, except for ROC AUC and average
    /// precision on folds that lack a class).
    pub n_folds: usize,
}

impl MetricSummary {
    /// Summarises per-fold values. Errors when there are none or one is not finite.
    pub fn from_values(values: &[f64]) -> Result<Self> {
        if values.is_empty() {
            return Err(Error::invalid("a cross-validation summary needs at least one fold"));
        }
        check_finite("the fold score", values)?;
        let n = values.len() as f64;
        let mean = values.iter().sum::<f64>() / n;
        let variance = values.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n;
        Ok(Self { mean, std: variance.sqrt(), n_folds: values.len() })
    }
}

/// Per-metric summaries over the folds of one cross-validation run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CvSummary {
    /// Number of folds.
    pub n_folds: usize,
    /// One entry per metric, in the fixed order of [`FoldMetrics::named_values`]. A metric that
    /// no fold defines is left out.
    pub metrics: Vec<(String, MetricSummary)>,
}

impl CvSummary {
    /// Aggregates the metrics of each fold. Errors when `folds` is empty.
    pub fn from_folds<M: FoldMetrics>(folds: &[M]) -> Result<Self> {
        let Some(first) = folds.first() else {
            return Err(Error::invalid("a cross-validation summary needs at least one fold"));
        };
        let per_fold: Vec<Vec<(&'static str, Option<f64>)>> = folds.iter().map(FoldMetrics::named_values).collect();
        let mut metrics = Vec::new();
        for (i, &(name, _)) in first.named_values().iter().enumerate() {
            let values: Vec<f64> = per_fold.iter().filter_map(|fold| fold.get(i).and_then(|&(_, v)| v)).collect();
            if !values.is_empty() {
                metrics.push((name.to_owned(), MetricSummary::from_values(&values)?));
            }
        }
        Ok(Self { n_folds: folds.len(), metrics })
    }

    /// The summary of the metric called `name`, if present.
    pub fn get(&self, name: &str) -> Option<&MetricSummary> {
        self.metrics.iter().find(|(n, _)| n == name).map(|(_, s)| s)
    }
}

/// The named headline numbers of one fold, always in the same order for a given type.
pub trait FoldMetrics {
    /// `(metric name, value)` pairs; `None` where the metric is undefined for this fold.
    fn named_values(&self) -> Vec<(&'static str, Option<f64>)>;
}

impl FoldMetrics for ClassificationMetrics {
    fn named_values(&self) -> Vec<(&'static str, Option<f64>)> {
        vec![
            ("accuracy", Some(self.accuracy)),
            ("balanced_accuracy", Some(self.balanced_accuracy)),
            ("precision", Some(self.precision)),
            ("recall", Some(self.recall)),
            ("f1", Some(self.f1)),
            ("roc_auc", self.roc_auc),
            ("average_precision", self.average_precision),
            ("majority_baseline_accuracy", Some(self.majority_baseline_accuracy)),
        ]
    }
}

impl FoldMetrics for RegressionMetrics {
    fn named_values(&self) -> Vec<(&'static str, Option<f64>)> {
        vec![("mae", Some(self.mae)), ("rmse", Some(self.rmse)), ("r2", Some(self.r2))]
    }
}

#[cfg(test)]
#[allow(clippy::float_cmp)] // the expected values here are exact
mod tests {
    use super::*;

    #[test]
    fn population_std() {
        let s = MetricSummary::from_values(&[1.0, 2.0, 3.0, 4.0]).unwrap();
        assert_eq!(s.mean, 2.5);
        assert!((s.std - 1.25_f64.sqrt()).abs() < 1e-15);
        assert_eq!(MetricSummary::from_values(&[0.7]).unwrap().std, 0.0);
        assert!(MetricSummary::from_values(&[]).is_err());
        assert!(MetricSummary::from_values(&[1.0, f64::NAN]).is_err());
    }

    #[test]
    fn undefined_fold_values_are_skipped_and_order_is_fixed() {
        let fold = |mae: f64| RegressionMetrics { mae, rmse: 2.0 * mae, r2: 0.5, n: 10 };
        let summary = CvSummary::from_folds(&[fold(1.0), fold(3.0)]).unwrap();
        let names: Vec<&str> = summary.metrics.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["mae", "rmse", "r2"]);
        assert_eq!(summary.get("rmse").unwrap().mean, 4.0);
        assert_eq!(summary.get("mae").unwrap().std, 1.0);
        assert!(summary.get("accuracy").is_none());
        assert!(CvSummary::from_folds::<RegressionMetrics>(&[]).is_err());

        let y = [0, 1, 1, 0];
        let mut with_auc = crate::metrics::classification_metrics(&y, &y, 2, None).unwrap();
        let without_auc = with_auc.clone();
        with_auc.roc_auc = Some(0.8);
        let summary = CvSummary::from_folds(&[with_auc, without_auc]).unwrap();
        assert_eq!(summary.get("roc_auc").unwrap().n_folds, 1);
        assert_eq!(summary.get("accuracy").unwrap().n_folds, 2);
        assert!(summary.get("average_precision").is_none());
    }
}
