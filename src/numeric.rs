//! Small numeric helpers the engine needs in several places, each written once: numpy's
//! percentile and the coefficient of determination with scikit-learn's edge rules.

/// `numpy.percentile(values, q)` with its default linear method, on ascending `sorted` values,
/// computed as numpy computes it (including its two-sided interpolation) so results agree to the
/// last bit. NaN for no values.
#[allow(clippy::many_single_char_names)] // numpy's names
pub fn percentile_sorted(sorted: &[f64], q: f64) -> f64 {
    let n = sorted.len();
    if n == 0 {
        return f64::NAN;
    }
    let virtual_index = q.clamp(0.0, 100.0) / 100.0 * (n - 1) as f64;
    let below = virtual_index.floor();
    let gamma = virtual_index - below;
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // 0 ≤ below ≤ n − 1
    let i = below as usize;
    let (Some(&a), Some(&b)) = (sorted.get(i), sorted.get((i + 1).min(n - 1))) else { return f64::NAN };
    let diff = b - a;
    if gamma >= 0.5 { b - diff * (1.0 - gamma) } else { a + diff * gamma }
}

/// R² = 1 − `SS_res` / `SS_tot`, with scikit-learn's `r2_score` rules where that is undefined: 1
/// for a perfect fit (even of a constant), 0 for an imperfect fit of a constant.
pub fn r2_from_sums(ss_res: f64, ss_tot: f64) -> f64 {
    match (ss_res == 0.0, ss_tot == 0.0) {
        (true, _) => 1.0,
        (false, true) => 0.0,
        (false, false) => 1.0 - ss_res / ss_tot,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_and_r2_as_numpy_and_scikit_learn_give_them() {
        // numpy.percentile([1, 2, 3, 4], [0, 25, 50, 90, 100]) = [1, 1.75, 2.5, 3.7, 4]
        let v = [1.0, 2.0, 3.0, 4.0];
        let got: Vec<f64> = [0.0, 25.0, 50.0, 90.0, 100.0].iter().map(|&q| percentile_sorted(&v, q)).collect();
        assert_eq!(got, [1.0, 1.75, 2.5, 3.7, 4.0]);
        assert!(percentile_sorted(&[], 50.0).is_nan());
        assert_eq!(r2_from_sums(0.0, 0.0), 1.0);
        assert_eq!(r2_from_sums(1.0, 0.0), 0.0);
        assert_eq!(r2_from_sums(1.0, 4.0), 0.75);
    }
}
