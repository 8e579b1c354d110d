//! Train/test splits and cross-validation folds.
//!
//! Plant data is usually a time series: shuffling it lets the model see the future of the test
//! rows, and the scores come out too good. So the ordered split (train on the past, test on the
//! future) is the default when a timestamp exists; random and stratified splits are there for
//! data that really is a set of independent runs.

use rand::SeedableRng as _;
use rand::rngs::ChaCha8Rng;
use rand::seq::SliceRandom as _;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// How rows are divided into training and test rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SplitMethod {
    /// Shuffled.
    Random,
    /// Shuffled within each class, so both parts keep the class shares.
    Stratified,
    /// By time (or file order): the last rows are the test rows.
    Ordered,
}

impl SplitMethod {
    /// Every method, in the order menus show them.
    pub const ALL: [Self; 3] = [Self::Ordered, Self::Stratified, Self::Random];

    /// The name used on screen and on the command line.
    pub fn label(self) -> &'static str {
        match self {
            Self::Random => "random",
            Self::Stratified => "stratified",
            Self::Ordered => "ordered",
        }
    }
}

/// Indices of the training and test rows (positions in the list the split was made from).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Split {
    /// Training rows, ascending.
    pub train: Vec<usize>,
    /// Test rows, ascending.
    pub test: Vec<usize>,
}

/// Splits `n` rows. `classes` (one label per row) is needed for a stratified split; `order`
/// (one sort key per row, e.g. a timestamp) for an ordered split — without it, file order.
///
/// # Errors
/// A test fraction outside (0, 1) or a split that would leave one part empty.
pub fn split(
    n: usize,
    method: SplitMethod,
    test_fraction: f64,
    classes: Option<&[usize]>,
    order: Option<&[f64]>,
    seed: u64,
) -> Result<Split> {
    if !(test_fraction > 0.0 && test_fraction < 1.0) {
        return Err(Error::invalid(format!("the test fraction must be between 0 and 1, not {test_fraction}")));
    }
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let n_test = ((n as f64) * test_fraction).round() as usize;
    if n_test == 0 || n_test >= n {
        return Err(Error::invalid(format!(
            "{n} rows cannot be split into training and test rows with a test fraction of {test_fraction}"
        )));
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let (mut train, mut test) = match method {
        SplitMethod::Ordered => {
            let mut idx: Vec<usize> = (0..n).collect();
            if let Some(key) = order {
                // Stable: rows with equal or missing times keep file order; missing times last.
                idx.sort_by(|&a, &b| {
                    let (ka, kb) = (key.get(a).copied().unwrap_or(f64::NAN), key.get(b).copied().unwrap_or(f64::NAN));
                    match (ka.is_nan(), kb.is_nan()) {
                        (false, false) => ka.total_cmp(&kb),
                        (a_nan, b_nan) => a_nan.cmp(&b_nan),
                    }
                });
            }
            let test = idx.split_off(n - n_test);
            (idx, test)
        }
        SplitMethod::Random => {
            let mut idx: Vec<usize> = (0..n).collect();
            idx.shuffle(&mut rng);
            let test = idx.split_off(n - n_test);
            (idx, test)
        }
        SplitMethod::Stratified => {
            let classes = classes.ok_or_else(|| Error::invalid("a stratified split needs a class label per row"))?;
            let mut train = Vec::new();
            let mut test = Vec::new();
            for members in members_by_class(classes) {
                let mut m = members;
                m.shuffle(&mut rng);
                #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                let k = ((m.len() as f64) * test_fraction).round() as usize;
                let k = k.min(m.len().saturating_sub(1)).max(usize::from(m.len() >= 2));
                test.extend(m.drain(m.len() - k..));
                train.extend(m);
            }
            (train, test)
        }
    };
    train.sort_unstable();
    test.sort_unstable();
    if train.is_empty() || test.is_empty() {
        return Err(Error::invalid("the split left the training or the test part empty; add rows"));
    }
    Ok(Split { train, test })
}

/// Rows of each class, classes in index order.
fn members_by_class(classes: &[usize]) -> Vec<Vec<usize>> {
    let n_classes = classes.iter().max().map_or(0, |m| m + 1);
    let mut by_class = vec![Vec::new(); n_classes];
    for (i, &c) in classes.iter().enumerate() {
        if let Some(members) = by_class.get_mut(c) {
            members.push(i);
        }
    }
    by_class.retain(|m| !m.is_empty());
    by_class
}

/// `k` folds over `n` rows: each fold's test rows; the training rows are the rest. Stratified
/// when `classes` is given (each class dealt round-robin over the folds after a seeded shuffle,
/// as scikit-learn's StratifiedKFold keeps class shares), else shuffled and cut in `k` parts.
///
/// # Errors
/// When `k < 2`, there are fewer rows than folds, or `classes` has not one label per row.
pub fn k_folds(n: usize, k: usize, classes: Option<&[usize]>, seed: u64) -> Result<Vec<Split>> {
    if k < 2 {
        return Err(Error::invalid(format!("cross-validation needs at least 2 folds, not {k}")));
    }
    if let Some(c) = classes.filter(|c| c.len() != n) {
        return Err(Error::invalid(format!(
            "stratified folds need one class label per row: {} labels for {n} rows",
            c.len()
        )));
    }
    if n < k * 2 {
        return Err(Error::invalid(format!(
            "{k}-fold cross-validation needs at least {} rows (two per fold); there are {n}. Use fewer folds",
            k * 2
        )));
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut fold_of = vec![0usize; n];
    match classes {
        Some(classes) => {
            let mut next = 0usize;
            for mut members in members_by_class(classes) {
                members.shuffle(&mut rng);
                for i in members {
                    if let Some(fold) = fold_of.get_mut(i) {
                        *fold = next % k;
                    }
                    next += 1;
                }
            }
        }
        None => {
            let mut idx: Vec<usize> = (0..n).collect();
            idx.shuffle(&mut rng);
            for (pos, i) in idx.into_iter().enumerate() {
                if let Some(fold) = fold_of.get_mut(i) {
                    *fold = pos * k / n;
                }
            }
        }
    }
    let folds = (0..k)
        .map(|f| {
            let (test, train): (Vec<usize>, Vec<usize>) = (0..n).partition(|&i| fold_of.get(i) == Some(&f));
            Split { train, test }
        })
        .collect::<Vec<_>>();
    if folds.iter().any(|s| s.test.is_empty() || s.train.is_empty()) {
        return Err(Error::invalid("a cross-validation fold came out empty; use fewer folds"));
    }
    Ok(folds)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordered_split_tests_on_the_latest_rows() {
        let times = [5.0, 1.0, 4.0, 2.0, 3.0];
        let s = split(5, SplitMethod::Ordered, 0.4, None, Some(&times), 0).expect("split");
        assert_eq!(s.test, [0, 2]);
        assert_eq!(s.train, [1, 3, 4]);
        let s = split(5, SplitMethod::Ordered, 0.4, None, None, 0).expect("split");
        assert_eq!(s.test, [3, 4]);
    }

    #[test]
    fn stratified_split_keeps_class_shares() {
        let classes: Vec<usize> = (0..1000).map(|i| usize::from(i % 25 == 0)).collect();
        let s = split(1000, SplitMethod::Stratified, 0.2, Some(&classes), None, 7).expect("split");
        let pos_test = s.test.iter().filter(|&&i| classes[i] == 1).count();
        assert_eq!(pos_test, 8, "20 % of the 40 positives");
        assert_eq!(s.test.len() + s.train.len(), 1000);
        let again = split(1000, SplitMethod::Stratified, 0.2, Some(&classes), None, 7).expect("split");
        assert_eq!(s, again, "same seed, same split");
    }

    #[test]
    fn folds_cover_every_row_once() {
        let classes: Vec<usize> = (0..103).map(|i| i % 3).collect();
        let folds = k_folds(103, 5, Some(&classes), 1).expect("folds");
        let mut seen = vec![0; 103];
        for f in &folds {
            for &i in &f.test {
                seen[i] += 1;
            }
            assert_eq!(f.test.len() + f.train.len(), 103);
        }
        assert!(seen.iter().all(|&s| s == 1));
        assert!(k_folds(5, 5, None, 1).is_err());
    }
}
