//! Regression metrics: mean absolute error, root mean squared error and R², as scikit-learn
//! defines them.

use serde::{Deserialize, Serialize};

use super::{check_finite, check_lengths};
use crate::{Error, Result};

/// How close a regression model's predictions are to the actual values.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RegressionMetrics {
    /// Mean absolute error, in the target's unit.
    pub mae: f64,
    /// Root mean squared error, in the target's unit.
    pub rmse: f64,
    /// Coefficient of determination: 1 − `SS_res` / `SS_tot`. 1 is perfect, 0 is no better than
    /// predicting the mean, and it can be negative. For a constant target (`SS_tot` = 0) it is 1
    /// when every prediction is exact and 0 otherwise (scikit-learn's `r2_score`).
    pub r2: f64,
    /// Number of rows.
    pub n: usize,
}

/// Scores predictions `yhat` against actual values `y`.
///
/// Errors on mismatched lengths, non-finite values and fewer than two rows (R² is undefined for
/// one row; scikit-learn returns NaN there).
pub fn regression_metrics(y: &[f64], yhat: &[f64]) -> Result<RegressionMetrics> {
    check_lengths("y", y.len(), "yhat", yhat.len())?;
    check_finite("y", y)?;
    check_finite("yhat", yhat)?;
    let n = y.len();
    if n < 2 {
        return Err(Error::invalid("regression metrics need at least two rows (R² is undefined for one)"));
    }
    let (mae, rmse, r2) = scores(y, yhat, 1.0);
    if mae.is_finite() && rmse.is_finite() && r2.is_finite() {
        return Ok(RegressionMetrics { mae, rmse, r2, n });
    }
    // Values near the top of the f64 range overflow the squares (1e200² is infinite), and an
    // infinite or NaN metric cannot be stored in a project. Scaled into [-1, 1] nothing
    // overflows; the errors are scaled back (saturating at the largest finite number) and R²
    // does not depend on the scale.
    let scale = y.iter().chain(yhat).fold(0.0_f64, |m, v| m.max(v.abs()));
    let (mae, rmse, r2) = scores(y, yhat, scale);
    let unscale = |v: f64| (v * scale).min(f64::MAX);
    Ok(RegressionMetrics { mae: unscale(mae), rmse: unscale(rmse), r2, n })
}

/// MAE, RMSE and R² of `y / scale` against `yhat / scale`.
fn scores(y: &[f64], yhat: &[f64], scale: f64) -> (f64, f64, f64) {
    let count = y.len() as f64;
    let errors = || y.iter().zip(yhat).map(|(a, b)| a / scale - b / scale);
    let mae = errors().map(f64::abs).sum::<f64>() / count;
    let ss_res: f64 = errors().map(|e| e * e).sum();
    let mean = y.iter().map(|a| a / scale).sum::<f64>() / count;
    let ss_tot: f64 = y.iter().map(|a| (a / scale - mean) * (a / scale - mean)).sum();
    let r2 = crate::numeric::r2_from_sums(ss_res, ss_tot);
    (mae, (ss_res / count).sqrt(), r2)
}

/// Residuals `y − yhat`, one per row, for residual plots. Errors like [`regression_metrics`]
/// except that one row is enough.
pub fn residuals(y: &[f64], yhat: &[f64]) -> Result<Vec<f64>> {
    check_lengths("y", y.len(), "yhat", yhat.len())?;
    check_finite("y", y)?;
    check_finite("yhat", yhat)?;
    Ok(y.iter().zip(yhat).map(|(a, b)| a - b).collect())
}

#[cfg(test)]
#[allow(clippy::float_cmp)] // the expected values here are exact
mod tests {
    use super::*;

    #[test]
    fn perfect_predictions() {
        let y = [1.0, 2.0, 4.0];
        let m = regression_metrics(&y, &y).unwrap();
        assert_eq!((m.mae, m.rmse, m.r2, m.n), (0.0, 0.0, 1.0, 3));
    }

    #[test]
    fn predicting_the_mean_scores_zero() {
        let y = [1.0, 2.0, 3.0, 6.0];
        let m = regression_metrics(&y, &[3.0; 4]).unwrap();
        assert!(m.r2.abs() < 1e-15);
        assert!((m.mae - 1.5).abs() < 1e-15);
        assert!((m.rmse - 3.5_f64.sqrt()).abs() < 1e-15);
    }

    #[test]
    fn constant_target_follows_sklearn() {
        assert_eq!(regression_metrics(&[2.0, 2.0], &[2.0, 2.0]).unwrap().r2, 1.0);
        assert_eq!(regression_metrics(&[2.0, 2.0], &[2.0, 2.5]).unwrap().r2, 0.0);
    }

    #[test]
    fn values_near_the_top_of_the_range_give_finite_metrics() {
        let big = regression_metrics(&[1e200, -1e200, 3e200], &[2e200, -1e200, 1e200]).unwrap();
        let small = regression_metrics(&[1.0, -1.0, 3.0], &[2.0, -1.0, 1.0]).unwrap();
        assert!(big.mae.is_finite() && big.rmse.is_finite() && big.r2.is_finite(), "{big:?}");
        assert!((big.mae / 1e200 - small.mae).abs() < 1e-12, "{big:?} {small:?}");
        assert!((big.rmse / 1e200 - small.rmse).abs() < 1e-12, "{big:?} {small:?}");
        assert!((big.r2 - small.r2).abs() < 1e-12, "{big:?} {small:?}");
        let extreme = regression_metrics(&[f64::MAX, -f64::MAX], &[-f64::MAX, f64::MAX]).unwrap();
        assert_eq!((extreme.mae, extreme.rmse), (f64::MAX, f64::MAX));
        assert!(extreme.r2.is_finite());
    }

    #[test]
    fn residuals_are_actual_minus_predicted() {
        assert_eq!(residuals(&[3.0, 1.0], &[1.0, 1.5]).unwrap(), [2.0, -0.5]);
    }

    #[test]
    fn bad_inputs_are_errors() {
        assert!(regression_metrics(&[1.0], &[1.0]).is_err());
        assert!(regression_metrics(&[1.0, 2.0], &[1.0]).is_err());
        assert!(regression_metrics(&[1.0, f64::NAN], &[1.0, 2.0]).is_err());
        assert!(regression_metrics(&[1.0, 2.0], &[1.0, f64::INFINITY]).is_err());
        assert!(residuals(&[], &[]).is_err());
    }
}
