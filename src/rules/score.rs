//! How well rules do: per-rule support, confidence and held-out accuracy, and the fidelity of a
//! whole rule set, i.e. how often it decides as the model does on the training rows and on the
//! held-out rows.

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use super::{Outcome, RuleSet, RuleStats};
use crate::data::Dataset;
use crate::error::{Error, Result};
use crate::matrix::Matrix;
use crate::model::train::TrainingReport;
use crate::model::{Task, TrainedModel};

/// Rows of one part of the data (training or held-out), ready for scoring rules.
#[derive(Debug, Clone, PartialEq)]
pub struct Rows {
    /// Dataset row of each row.
    pub dataset_rows: Vec<usize>,
    /// The rows in the model's raw feature space.
    pub raw: Matrix,
    /// The actual class index (NaN when the class is unknown) or value.
    pub actual: Vec<f64>,
    /// What the model decides: class index or value.
    pub model: Vec<f64>,
}

impl Rows {
    /// Builds the rows `rows` of a dataset for `model`.
    ///
    /// # Errors
    /// When the data lacks a feature or the target column.
    pub fn new(model: &TrainedModel, ds: &Dataset, rows: &[usize]) -> Result<Self> {
        let raw = model.raw_rows(ds, rows)?;
        let actual = actual_values(model, ds, rows)?;
        let model_decisions = model.predict(&raw).into_iter().map(|p| p.value).collect();
        Ok(Self { dataset_rows: rows.to_vec(), raw, actual, model: model_decisions })
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.raw.n_rows()
    }

    /// True when there are no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The actual target of dataset rows: class index (NaN for a class the model does not know) or value.
///
/// # Errors
/// When the dataset has no column named as the model's target.
pub fn actual_values(model: &TrainedModel, ds: &Dataset, rows: &[usize]) -> Result<Vec<f64>> {
    let target = ds.column(&model.target).ok_or_else(|| {
        Error::invalid(format!("the data has no column '{}', the target the model was trained on", model.target))
    })?;
    Ok(rows
        .iter()
        .map(|&r| {
            let v = target.values.get(r).copied().unwrap_or(f64::NAN);
            match model.task {
                Task::Regression => v,
                Task::Classification if v.is_nan() => f64::NAN,
                Task::Classification => {
                    let text = target.format_value(v);
                    model.classes.iter().position(|c| *c == text).map_or(f64::NAN, |c| c as f64)
                }
            }
        })
        .collect())
}

/// The training and held-out rows of a trained model, with actual values and the model's decisions.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleData {
    /// Classification or regression.
    pub task: Task,
    /// Training rows.
    pub train: Rows,
    /// Held-out (test) rows.
    pub test: Rows,
}

impl RuleData {
    /// The rows of a training run's split.
    ///
    /// # Errors
    /// When the data does not fit the model.
    pub fn new(report: &TrainingReport, ds: &Dataset) -> Result<Self> {
        Self::from_rows(&report.model, ds, &report.split.train, &report.split.test)
    }

    /// The given training and held-out rows of a dataset.
    ///
    /// # Errors
    /// When the data does not fit the model.
    pub fn from_rows(model: &TrainedModel, ds: &Dataset, train: &[usize], test: &[usize]) -> Result<Self> {
        Ok(Self { task: model.task, train: Rows::new(model, ds, train)?, test: Rows::new(model, ds, test)? })
    }
}

/// How often rules (or a surrogate) decide as the model does on one part of the data.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Agreement {
    /// Rows compared.
    pub rows: usize,
    /// Rows with the same decision (regression: the same value up to rounding noise).
    pub agree: usize,
    /// `agree / rows` (1 when there are no rows).
    pub share: f64,
    /// Regression: mean absolute difference from the model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mae: Option<f64>,
    /// Regression: R² of the rules' values against the model's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub r2: Option<f64>,
}

impl Agreement {
    /// Compares decisions `ours` with the model's, `theirs`.
    pub fn compare(task: Task, ours: &[f64], theirs: &[f64]) -> Self {
        let rows = ours.len().min(theirs.len());
        let agree = ours.iter().zip(theirs).filter(|(a, b)| same_decision(task, **a, **b)).count();
        let share = if rows == 0 { 1.0 } else { agree as f64 / rows as f64 };
        let (mae, r2) = match task {
            Task::Classification => (None, None),
            Task::Regression if rows == 0 => (None, None),
            Task::Regression => {
                let n = rows as f64;
                let mae = ours.iter().zip(theirs).map(|(a, b)| (a - b).abs()).sum::<f64>() / n;
                let mean = theirs.iter().take(rows).sum::<f64>() / n;
                let ss_tot: f64 = theirs.iter().take(rows).map(|b| (b - mean).powi(2)).sum();
                let ss_res: f64 = ours.iter().zip(theirs).map(|(a, b)| (a - b).powi(2)).sum();
                (Some(mae), Some(crate::numeric::r2_from_sums(ss_res, ss_tot)))
            }
        };
        Self { rows, agree, share, mae, r2 }
    }

    /// `99.5 % of 8000 rows`, with the mean difference for regression.
    pub fn describe(&self) -> String {
        let mut s = format!("{:.1} % of {} rows", self.share * 100.0, self.rows);
        if let (Some(mae), Some(r2)) = (self.mae, self.r2) {
            let _ = write!(s, " (mean difference {}, R² {r2:.4})", significant(mae, 4));
        }
        s
    }
}

/// Whether two decisions are the same: equal class, or values equal up to rounding noise.
pub fn same_decision(task: Task, a: f64, b: f64) -> bool {
    match task {
        Task::Classification => a == b,
        Task::Regression => (a - b).abs() <= 1e-9 * b.abs().max(1.0),
    }
}

/// A number with `digits` significant digits, for messages.
pub fn significant(v: f64, digits: usize) -> String {
    if v == 0.0 || !v.is_finite() {
        return crate::data::format_number(v);
    }
    let s = format!("{:.*e}", digits.saturating_sub(1), v);
    s.parse::<f64>().map_or(s, crate::data::format_number)
}

/// Agreement with the model on training and held-out rows.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Fidelity {
    /// On the training rows.
    pub train: Agreement,
    /// On the held-out rows.
    pub test: Agreement,
}

impl Fidelity {
    /// `training 100.0 % of 8000 rows, held-out 99.9 % of 2000 rows`.
    pub fn describe(&self) -> String {
        format!("training {}, held-out {}", self.train.describe(), self.test.describe())
    }
}

/// The decision of a rule set on every row of `rows`, and the index of the deciding rule
/// (`rules.len()` for the default).
pub fn decisions(rs: &RuleSet, rows: &Rows) -> (Vec<f64>, Vec<usize>) {
    let mut filled = Vec::with_capacity(rs.features.len());
    let mut out = Vec::with_capacity(rows.len());
    let mut which = Vec::with_capacity(rows.len());
    for i in 0..rows.len() {
        rs.fill(rows.raw.row(i), &mut filled);
        let r = rs.rule_for_filled(&filled);
        which.push(r.unwrap_or(rs.rules.len()));
        out.push(r.and_then(|r| rs.rules.get(r)).map_or(rs.default, |r| r.outcome).as_f64());
    }
    (out, which)
}

/// The agreement of a rule set with the model on both parts of the data.
pub fn fidelity(rs: &RuleSet, data: &RuleData) -> Fidelity {
    let (train, _) = decisions(rs, &data.train);
    let (test, _) = decisions(rs, &data.test);
    Fidelity {
        train: Agreement::compare(data.task, &train, &data.train.model),
        test: Agreement::compare(data.task, &test, &data.test.model),
    }
}

/// Fills in every rule's statistics, the default's, and the set's fidelity.
pub fn score(rs: &mut RuleSet, data: &RuleData) {
    let (train_dec, train_rule) = decisions(rs, &data.train);
    let (test_dec, test_rule) = decisions(rs, &data.test);
    let n_groups = rs.rules.len() + 1;
    // Rows of each rule (`decisions` gives indices up to rules.len(), the default).
    let groups = |which: &[usize]| {
        let mut groups: Vec<Vec<usize>> = vec![Vec::new(); n_groups];
        for (i, &r) in which.iter().enumerate() {
            if let Some(g) = groups.get_mut(r) {
                g.push(i);
            }
        }
        groups
    };
    let (train_groups, test_groups) = (groups(&train_rule), groups(&test_rule));
    let n_train = data.train.len();
    let n_classes = rs.classes.len();
    rs.value_decimals = (data.task == Task::Regression).then(|| decimals_carried(&data.train.actual));
    let stats: Vec<RuleStats> = train_groups
        .iter()
        .zip(&test_groups)
        .enumerate()
        .map(|(g, (train, test))| {
            let outcome = rs.rules.get(g).map_or(rs.default, |r| r.outcome);
            rule_stats(outcome, data, train, test, &RuleContext { n_train, n_classes })
        })
        .collect();
    for (rule, s) in rs.rules.iter_mut().zip(&stats) {
        rule.stats = s.clone();
    }
    rs.default_stats = stats.last().cloned().unwrap_or_default();
    rs.fidelity = Fidelity {
        train: Agreement::compare(data.task, &train_dec, &data.train.model),
        test: Agreement::compare(data.task, &test_dec, &data.test.model),
    };
}

struct RuleContext {
    n_train: usize,
    n_classes: usize,
}

fn rule_stats(outcome: Outcome, data: &RuleData, train: &[usize], test: &[usize], ctx: &RuleContext) -> RuleStats {
    let mut s = RuleStats {
        support: train.len(),
        support_share: if ctx.n_train == 0 { 0.0 } else { train.len() as f64 / ctx.n_train as f64 },
        test_support: test.len(),
        ..RuleStats::default()
    };
    let decided = outcome.as_f64();
    // The rows' actual values and model decisions; a row index past them reads as missing.
    let train_actual = |i: usize| data.train.actual.get(i).copied().unwrap_or(f64::NAN);
    let test_actual = |i: usize| data.test.actual.get(i).copied().unwrap_or(f64::NAN);
    let agree = train
        .iter()
        .filter(|&&i| data.train.model.get(i).is_some_and(|&m| same_decision(data.task, decided, m)))
        .count();
    s.fidelity = if train.is_empty() { 1.0 } else { agree as f64 / train.len() as f64 };
    match outcome {
        Outcome::Class { index } => {
            let mut counts = vec![0usize; ctx.n_classes];
            for &i in train {
                #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                if let Some(c) = class_of(train_actual(i)).and_then(|c| counts.get_mut(c)) {
                    *c += 1;
                }
            }
            let labelled: usize = counts.iter().sum();
            s.class_mix =
                counts.iter().map(|&c| if labelled == 0 { 0.0 } else { c as f64 / labelled as f64 }).collect();
            s.confidence = Some(s.class_mix.get(index).copied().unwrap_or(0.0));
            let test_labelled: Vec<f64> = test.iter().map(|&i| test_actual(i)).filter(|v| !v.is_nan()).collect();
            if !test_labelled.is_empty() {
                let right = test_labelled.iter().filter(|&&y| class_of(y) == Some(index)).count();
                s.test_accuracy = Some(right as f64 / test_labelled.len() as f64);
            }
        }
        Outcome::Value { value } => {
            let ys: Vec<f64> = train.iter().map(|&i| train_actual(i)).filter(|v| !v.is_nan()).collect();
            if !ys.is_empty() {
                let mean = ys.iter().sum::<f64>() / ys.len() as f64;
                let std = std_dev(&ys);
                s.mean = Some(mean);
                s.std = Some(std);
                s.iqr = Some(interquartile_range(&ys));
            }
            let errors: Vec<f64> =
                test.iter().map(|&i| test_actual(i)).filter(|v| !v.is_nan()).map(|y| (y - value).abs()).collect();
            if !errors.is_empty() {
                s.test_mae = Some(errors.iter().sum::<f64>() / errors.len() as f64);
            }
        }
    }
    s
}

/// The class index a stored actual value holds.
fn class_of(v: f64) -> Option<usize> {
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    (v >= 0.0 && v.fract() == 0.0).then_some(v as usize)
}

/// The decimals the values carry as written in the data (the most any of the first 10,000
/// needs to read back exactly), at most 6: a value computed from them, such as a mean, is shown
/// to this precision.
pub fn decimals_carried(values: &[f64]) -> usize {
    values
        .iter()
        .take(10_000)
        .filter(|v| v.is_finite())
        .map(|v| {
            let text = format!("{v}");
            if text.contains('e') {
                return 6;
            }
            text.split_once('.').map_or(0, |(_, frac)| frac.len())
        })
        .max()
        .unwrap_or(0)
        .min(6)
}

/// 75th minus 25th percentile, with linear interpolation between order statistics (the
/// default of numpy and of scikit-learn's reports).
fn interquartile_range(values: &[f64]) -> f64 {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| !x.is_nan()).collect();
    if v.len() < 2 {
        return 0.0;
    }
    v.sort_by(f64::total_cmp);
    crate::numeric::percentile_sorted(&v, 75.0) - crate::numeric::percentile_sorted(&v, 25.0)
}

/// Population standard deviation of the values that are not missing (0 for fewer than two).
fn std_dev(values: &[f64]) -> f64 {
    let present: Vec<f64> = values.iter().copied().filter(|v| !v.is_nan()).collect();
    if present.len() < 2 {
        return 0.0;
    }
    let n = present.len() as f64;
    let mean = present.iter().sum::<f64>() / n;
    (present.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agreement_counts_equal_decisions() {
        let a = Agreement::compare(Task::Classification, &[0.0, 1.0, 1.0, 0.0], &[0.0, 1.0, 0.0, 0.0]);
        assert_eq!((a.rows, a.agree), (4, 3));
        assert!((a.share - 0.75).abs() < 1e-12);
        let r = Agreement::compare(Task::Regression, &[1.0, 2.0, 3.0], &[1.0, 2.0, 3.0 + 1e-12]);
        assert_eq!(r.agree, 3);
        assert!(r.r2.is_some_and(|r2| r2 > 0.999_999));
        assert_eq!(significant(0.012_345_6, 3), "0.0123");
    }

    #[test]
    fn decimals_and_quartiles_as_the_data_reads() {
        assert_eq!(decimals_carried(&[463.26, 451.2, 480.0]), 2);
        assert_eq!(decimals_carried(&[1.0, 2.0, f64::NAN]), 0);
        assert_eq!(decimals_carried(&[0.1 + 0.2]), 6, "a computed value is capped");
        // numpy.percentile([1, 2, 3, 4, 5, 6, 7, 8], [25, 75]) = [2.75, 6.25]
        assert!((interquartile_range(&[8.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0]) - 3.5).abs() < 1e-12);
    }
}
