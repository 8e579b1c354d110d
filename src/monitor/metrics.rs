//! The model's metrics on new data beside its held-out metrics, with bootstrap intervals, and
//! whether the difference is larger than chance.
//!
//! Each side is resampled independently (the percentile bootstrap, Efron & Tibshirani 1993,
//! ch. 13): `resamples` times for the held-out rows and for the new rows, the metric computed on
//! each resample; the interval is the central `confidence` share of those values, and the
//! interval of the difference is that of `new_b − held_out_b` over the paired resamples. A
//! difference is **larger than chance** when its interval leaves out zero.
//!
//! - Classification: every metric here follows from the confusion matrix, and resampling rows
//!   with replacement draws the matrix's cells from a multinomial with the observed shares, so
//!   each resample is drawn cell by cell (conditional binomials) at a cost that does not grow
//!   with the rows. This is the ordinary bootstrap exactly.
//! - Regression: MAE, RMSE and R² follow from five sums (rows, Σ|e|, Σe², Σy, Σy²). Up to 10,000
//!   rows every row is resampled; beyond, the rows are dealt at random (seeded) into 10,000
//!   groups whose sums are resampled, which gives a sum the same spread to first order while the
//!   cost stays fixed.
//!
//! Both treat rows as independent. Plant rows that follow each other closely in time are not,
//! so the intervals are then too narrow; per-period figures show what an interval cannot.

use std::fmt::Write as _;

use rand::SeedableRng as _;
use rand::rngs::ChaCha8Rng;
use rand::seq::SliceRandom as _;
use rand::{Rng as _, RngExt as _};
use rand_distr::{Binomial, Distribution as _};
use serde::Serialize;

use crate::error::{Error, Result};
use crate::metrics::{ClassificationMetrics, ConfusionMatrix, regression_metrics};
use crate::model::Task;
use crate::model::train::{Evaluation, TrainingReport};
use crate::numeric::percentile_sorted;

/// Groups the rows of a large regression sample are dealt into.
const GROUPS: usize = 10_000;

/// A value with its bootstrap interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Estimate {
    /// On the rows as they are.
    pub value: f64,
    /// Lower end of the interval.
    pub low: f64,
    /// Upper end of the interval.
    pub high: f64,
}

/// One metric on the held-out rows and on the new rows.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MetricComparison {
    /// Short key: `accuracy`, `balanced_accuracy`, `precision`, `recall`, `f1`, `mae`, `rmse`,
    /// `r2`.
    pub key: String,
    /// As people read it (`recall of '1'`).
    pub name: String,
    /// True when a larger value is better.
    pub higher_is_better: bool,
    /// On the held-out rows.
    pub held_out: Estimate,
    /// On the new rows.
    pub new: Estimate,
    /// New minus held-out.
    pub difference: Estimate,
    /// The interval of the difference leaves out zero.
    pub beyond_chance: bool,
}

impl MetricComparison {
    /// True when the new data's value is worse, by more than chance.
    pub fn worse(&self) -> bool {
        self.beyond_chance && (self.difference.value < 0.0) == self.higher_is_better
    }
}

/// The metrics on the new data beside the held-out ones.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MetricsComparison {
    /// New rows with a known target.
    pub rows: usize,
    /// Held-out rows of the training run.
    pub held_out_rows: usize,
    /// Bootstrap resamples per side.
    pub resamples: usize,
    /// Coverage of the intervals.
    pub confidence: f64,
    /// Each metric.
    pub metrics: Vec<MetricComparison>,
    /// ROC AUC on the held-out rows (classification; no interval).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub roc_auc_held_out: Option<f64>,
    /// ROC AUC on the new rows.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub roc_auc_new: Option<f64>,
    /// A metric is worse on the new data by more than chance.
    pub worse: bool,
    /// The finding in a sentence.
    pub verdict: String,
}

/// One metric's value in one period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PeriodMetric {
    /// The metric's key (as in [`MetricComparison::key`]).
    pub key: String,
    /// Its value on the period's rows with a known target.
    pub value: f64,
}

/// (key, name, higher is better) of the metrics reported for a model.
fn metric_names(task: Task, classes: &[String]) -> Vec<(&'static str, String, bool)> {
    match task {
        Task::Classification if classes.len() == 2 => {
            let positive = classes.get(1).map_or("1", String::as_str);
            vec![
                ("accuracy", "accuracy".into(), true),
                ("balanced_accuracy", "balanced accuracy".into(), true),
                ("precision", format!("precision of '{positive}'"), true),
                ("recall", format!("recall of '{positive}'"), true),
            ]
        }
        Task::Classification => vec![
            ("accuracy", "accuracy".into(), true),
            ("balanced_accuracy", "balanced accuracy".into(), true),
            ("f1", "macro F1".into(), true),
        ],
        Task::Regression => {
            vec![("mae", "MAE".into(), false), ("rmse", "RMSE".into(), false), ("r2", "R²".into(), true)]
        }
    }
}

/// The reported metrics of a confusion matrix, in [`metric_names`] order.
fn confusion_values(c: ConfusionMatrix, binary: bool) -> Result<Vec<f64>> {
    let m = ClassificationMetrics::from_confusion(c)?;
    Ok(if binary {
        vec![m.accuracy, m.balanced_accuracy, m.precision, m.recall]
    } else {
        vec![m.accuracy, m.balanced_accuracy, m.f1]
    })
}

/// A resample of the rows behind a confusion matrix: its cells drawn from the multinomial with
/// the observed shares, one conditional binomial per cell.
fn resample_confusion(c: &ConfusionMatrix, rng: &mut ChaCha8Rng) -> ConfusionMatrix {
    let total = c.counts.iter().sum::<usize>() as u64;
    let (mut rows_left, mut mass_left) = (total, total);
    let counts = c
        .counts
        .iter()
        .map(|&k| {
            let k = k as u64;
            if k == 0 || rows_left == 0 || mass_left == 0 {
                mass_left = mass_left.saturating_sub(k);
                return 0;
            }
            let p = k as f64 / mass_left as f64;
            let x = if p >= 1.0 { rows_left } else { Binomial::new(rows_left, p).map_or(0, |b| b.sample(rng)) };
            rows_left -= x;
            mass_left -= k;
            usize::try_from(x).unwrap_or(usize::MAX)
        })
        .collect();
    ConfusionMatrix { n_classes: c.n_classes, counts }
}

/// The five sums regression metrics follow from, with the target centred by `centre`.
#[derive(Debug, Clone, Copy, Default)]
struct Sums {
    n: f64,
    abs: f64,
    sq: f64,
    y: f64,
    yy: f64,
}

impl Sums {
    fn add(&mut self, o: &Self) {
        self.n += o.n;
        self.abs += o.abs;
        self.sq += o.sq;
        self.y += o.y;
        self.yy += o.yy;
    }

    /// MAE, RMSE, R².
    fn values(&self) -> Vec<f64> {
        if self.n == 0.0 {
            return vec![f64::NAN; 3];
        }
        let ss_tot = (self.yy - self.y * self.y / self.n).max(0.0);
        vec![self.abs / self.n, (self.sq / self.n).sqrt(), crate::numeric::r2_from_sums(self.sq, ss_tot)]
    }
}

/// The group sums a regression sample is resampled by (see the module documentation).
fn regression_groups(y: &[f64], yhat: &[f64], rng: &mut ChaCha8Rng) -> Vec<Sums> {
    let n = y.len();
    let centre = y.iter().sum::<f64>() / n.max(1) as f64;
    let sums_of = |i: usize| {
        let (a, b) = (y.get(i).copied().unwrap_or(0.0) - centre, yhat.get(i).copied().unwrap_or(0.0) - centre);
        let e = a - b;
        Sums { n: 1.0, abs: e.abs(), sq: e * e, y: a, yy: a * a }
    };
    if n <= GROUPS {
        return (0..n).map(sums_of).collect();
    }
    let mut order: Vec<usize> = (0..n).collect();
    order.shuffle(rng);
    let mut groups = vec![Sums::default(); GROUPS];
    for (position, &i) in order.iter().enumerate() {
        if let Some(g) = groups.get_mut(position % GROUPS) {
            g.add(&sums_of(i));
        }
    }
    groups
}

/// Metric values of `resamples` bootstrap resamples, one vector per metric.
fn bootstrap(draw: &mut dyn FnMut() -> Result<Vec<f64>>, resamples: usize, n_metrics: usize) -> Result<Vec<Vec<f64>>> {
    let mut out = vec![Vec::with_capacity(resamples); n_metrics];
    for _ in 0..resamples {
        let values = draw()?;
        for (column, v) in out.iter_mut().zip(values) {
            column.push(v);
        }
    }
    Ok(out)
}

/// The central `confidence` share of `values` (NaN left out).
fn interval(values: &[f64], confidence: f64) -> (f64, f64) {
    let mut sorted: Vec<f64> = values.iter().copied().filter(|v| !v.is_nan()).collect();
    sorted.sort_by(f64::total_cmp);
    let tail = (1.0 - confidence) / 2.0 * 100.0;
    (percentile_sorted(&sorted, tail), percentile_sorted(&sorted, 100.0 - tail))
}

/// One side (held-out or new): the metric values on the rows and on each resample.
struct Side {
    values: Vec<f64>,
    resampled: Vec<Vec<f64>>,
    rows: usize,
}

fn classification_side(c: &ConfusionMatrix, binary: bool, resamples: usize, rng: &mut ChaCha8Rng) -> Result<Side> {
    let values = confusion_values(c.clone(), binary)?;
    let rows = c.total();
    let resampled = bootstrap(&mut || confusion_values(resample_confusion(c, rng), binary), resamples, values.len())?;
    Ok(Side { values, resampled, rows })
}

fn regression_side(y: &[f64], yhat: &[f64], resamples: usize, rng: &mut ChaCha8Rng) -> Result<Side> {
    let m = regression_metrics(y, yhat)?;
    let groups = regression_groups(y, yhat, rng);
    let n_groups = groups.len();
    let mut draw = || {
        let mut s = Sums::default();
        for _ in 0..n_groups {
            if let Some(g) = groups.get(rng.random_range(0..n_groups)) {
                s.add(g);
            }
        }
        Ok(s.values())
    };
    let resampled = bootstrap(&mut draw, resamples, 3)?;
    Ok(Side { values: vec![m.mae, m.rmse, m.r2], resampled, rows: y.len() })
}

/// A seeded generator for one side.
fn side_rng(seed: u64, stream: u64) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(stream);
    // A first draw decouples nearby seeds' streams from the first resample.
    let _: u64 = rng.next_u64();
    rng
}

/// The new rows' actual classes and predicted classes, where the actual class is known.
fn known_classes(actual: &[f64], predicted: &[f64], n_classes: usize) -> (Vec<usize>, Vec<usize>) {
    let mut y = Vec::new();
    let mut p = Vec::new();
    for (&a, &b) in actual.iter().zip(predicted) {
        if a.is_nan() || b.is_nan() {
            continue;
        }
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // class indices
        let (a, b) = (a as usize, b as usize);
        if a < n_classes && b < n_classes {
            y.push(a);
            p.push(b);
        }
    }
    (y, p)
}

/// The new rows' actual and predicted values, where both are known.
fn known_values(actual: &[f64], predicted: &[f64]) -> (Vec<f64>, Vec<f64>) {
    actual.iter().zip(predicted).filter(|(a, b)| a.is_finite() && b.is_finite()).map(|(a, b)| (*a, *b)).unzip()
}

/// The metrics on the new rows beside the held-out rows'. `actual` and `predicted` are per new
/// row (class indices or values; `NaN` where unknown); `probabilities` holds each row's class
/// probabilities one after another (classification). `None` when too few rows have a target.
///
/// # Errors
/// Only a metric that cannot be computed for a reason other than too few rows.
pub(super) fn compare(
    report: &TrainingReport,
    actual: &[f64],
    predicted: &[f64],
    probabilities: &[f64],
    settings: &super::MonitorSettings,
) -> Result<Option<MetricsComparison>> {
    let model = &report.model;
    let names = metric_names(model.task, &model.classes);
    let k = model.classes.len();
    let (held, new, roc) = match (&report.evaluation, model.task) {
        (Evaluation::Classification { metrics, .. }, Task::Classification) => {
            let (y, p) = known_classes(actual, predicted, k);
            if y.is_empty() {
                return Ok(None);
            }
            let confusion = ConfusionMatrix::from_labels(&y, &p, k)?;
            let binary = k == 2;
            let held =
                classification_side(&metrics.confusion, binary, settings.resamples, &mut side_rng(settings.seed, 1))?;
            let new = classification_side(&confusion, binary, settings.resamples, &mut side_rng(settings.seed, 2))?;
            (held, new, Some((metrics.roc_auc, roc_auc_new(actual, probabilities, k))))
        }
        (Evaluation::Regression { y_true, y_pred, .. }, Task::Regression) => {
            let (y, p) = known_values(actual, predicted);
            if y.len() < 2 {
                return Ok(None);
            }
            let held = regression_side(y_true, y_pred, settings.resamples, &mut side_rng(settings.seed, 1))?;
            let new = regression_side(&y, &p, settings.resamples, &mut side_rng(settings.seed, 2))?;
            (held, new, None)
        }
        _ => return Err(Error::invalid("the project's evaluation does not match its model's task")),
    };
    let conf = settings.confidence;
    let metrics: Vec<MetricComparison> = names
        .into_iter()
        .enumerate()
        .map(|(i, (key, name, higher_is_better))| {
            let pick = |s: &Side| -> (f64, Vec<f64>) {
                (s.values.get(i).copied().unwrap_or(f64::NAN), s.resampled.get(i).cloned().unwrap_or_default())
            };
            let (hv, hr) = pick(&held);
            let (nv, nr) = pick(&new);
            let diffs: Vec<f64> = nr.iter().zip(&hr).map(|(a, b)| a - b).collect();
            let estimate = |value: f64, draws: &[f64]| {
                let (low, high) = interval(draws, conf);
                Estimate { value, low, high }
            };
            let difference = estimate(nv - hv, &diffs);
            MetricComparison {
                key: key.to_owned(),
                name,
                higher_is_better,
                held_out: estimate(hv, &hr),
                new: estimate(nv, &nr),
                beyond_chance: difference.low > 0.0 || difference.high < 0.0,
                difference,
            }
        })
        .collect();
    let (roc_auc_held_out, roc_auc_new) = roc.unwrap_or((None, None));
    let verdict = verdict(&metrics, new.rows, conf);
    Ok(Some(MetricsComparison {
        rows: new.rows,
        held_out_rows: held.rows,
        resamples: settings.resamples,
        confidence: conf,
        worse: metrics.iter().any(MetricComparison::worse),
        metrics,
        roc_auc_held_out,
        roc_auc_new,
        verdict,
    }))
}

/// ROC AUC of the new rows with a known class, as the training run computes it.
fn roc_auc_new(actual: &[f64], probabilities: &[f64], k: usize) -> Option<f64> {
    let mut y = Vec::new();
    let mut proba = Vec::new();
    for (i, &a) in actual.iter().enumerate() {
        let row = probabilities.get(i * k..(i + 1) * k)?;
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // a class index
        if a.is_finite() && (a as usize) < k {
            y.push(a as usize);
            proba.extend_from_slice(row);
        }
    }
    let n = y.len();
    let matrix = crate::matrix::Matrix::from_vec(proba, n, k).ok()?;
    let predicted: Vec<usize> = (0..n).map(|i| crate::model::svm::argmax(matrix.row(i))).collect();
    crate::metrics::classification_metrics(&y, &predicted, k, Some(&matrix)).ok()?.roc_auc
}

/// A metric's value for a sentence.
fn shown(v: f64) -> String {
    format!("{v:.3}")
}

/// The finding in one sentence (two when some metrics are better and others worse).
fn verdict(metrics: &[MetricComparison], rows: usize, confidence: f64) -> String {
    let level = format!("{} %", crate::rules::score::significant(confidence * 100.0, 3));
    let beyond: Vec<&MetricComparison> = metrics.iter().filter(|m| m.beyond_chance).collect();
    if beyond.is_empty() {
        return format!(
            "On the new data ({rows} rows with the target) the metrics are within what chance gives of the held-out \
             metrics: every difference's {level} bootstrap interval includes zero."
        );
    }
    let describe = |m: &MetricComparison| {
        format!(
            "{} {} against {} (difference {:+.3}, {level} interval {:+.3} to {:+.3})",
            m.name,
            shown(m.new.value),
            shown(m.held_out.value),
            m.difference.value,
            m.difference.low,
            m.difference.high
        )
    };
    let worse: Vec<String> = beyond.iter().filter(|m| m.worse()).map(|m| describe(m)).collect();
    let better: Vec<String> = beyond.iter().filter(|m| !m.worse()).map(|m| describe(m)).collect();
    let mut text = String::new();
    if !worse.is_empty() {
        let _ = write!(
            text,
            "On the new data ({rows} rows with the target) the model does worse than on the held-out rows, by more \
             than chance: {}.",
            worse.join("; ")
        );
    }
    if !better.is_empty() {
        if !text.is_empty() {
            text.push(' ');
        }
        let _ = write!(
            text,
            "{} than on the held-out rows, by more than chance: {}.",
            if worse.is_empty() {
                format!("On the new data ({rows} rows with the target) the model does better")
            } else {
                "It does better".to_owned()
            },
            better.join("; ")
        );
    }
    let within: Vec<&str> = metrics.iter().filter(|m| !m.beyond_chance).map(|m| m.name.as_str()).collect();
    if !within.is_empty() {
        let _ = write!(text, " The difference in {} is within chance.", within.join(", "));
    }
    text
}

/// The reported metrics on a subset of the new rows (a period), without intervals; `None`
/// when it has no row with a known target (regression: fewer than two).
pub(super) fn point_values(
    task: Task,
    classes: &[String],
    actual: &[f64],
    predicted: &[f64],
) -> Option<(usize, Vec<PeriodMetric>)> {
    let names = metric_names(task, classes);
    let (rows, values) = match task {
        Task::Classification => {
            let (y, p) = known_classes(actual, predicted, classes.len());
            let c = ConfusionMatrix::from_labels(&y, &p, classes.len()).ok()?;
            (y.len(), confusion_values(c, classes.len() == 2).ok()?)
        }
        Task::Regression => {
            let (y, p) = known_values(actual, predicted);
            let m = regression_metrics(&y, &p).ok()?;
            (y.len(), vec![m.mae, m.rmse, m.r2])
        }
    };
    let metrics = names.into_iter().zip(values).map(|((key, _, _), value)| PeriodMetric { key: key.into(), value });
    Some((rows, metrics.collect()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_resampled_confusion_keeps_its_total_and_its_cells_spread_as_a_multinomial() {
        let c = ConfusionMatrix { n_classes: 2, counts: vec![700, 50, 100, 150] };
        let mut rng = side_rng(3, 1);
        let draws: Vec<ConfusionMatrix> = (0..4000).map(|_| resample_confusion(&c, &mut rng)).collect();
        assert!(draws.iter().all(|d| d.total() == 1000));
        // Cell 0 is Binomial(1000, 0.7): mean 700, variance 210.
        let cell: Vec<f64> = draws.iter().map(|d| d.counts[0] as f64).collect();
        let mean = cell.iter().sum::<f64>() / cell.len() as f64;
        let var = cell.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / cell.len() as f64;
        assert!((mean - 700.0).abs() < 1.5, "{mean}");
        assert!((var - 210.0).abs() < 25.0, "{var}");
        // The same seed gives the same draws.
        let again: Vec<ConfusionMatrix> = {
            let mut rng = side_rng(3, 1);
            (0..5).map(|_| resample_confusion(&c, &mut rng)).collect()
        };
        assert_eq!(again[..], draws[..5]);
    }

    #[test]
    fn the_accuracy_interval_matches_the_binomial_spread() {
        // Accuracy 0.85 on 1000 rows: the bootstrap standard error is sqrt(0.85·0.15/1000) ≈ 0.0113,
        // so a 95 % interval spans about ±0.022.
        let c = ConfusionMatrix { n_classes: 2, counts: vec![700, 50, 100, 150] };
        let side = classification_side(&c, true, 2000, &mut side_rng(0, 1)).expect("side");
        assert!((side.values[0] - 0.85).abs() < 1e-12);
        let (low, high) = interval(&side.resampled[0], 0.95);
        assert!((low - (0.85 - 0.022)).abs() < 0.004 && (high - (0.85 + 0.022)).abs() < 0.004, "{low} {high}");
    }

    #[test]
    fn grouped_regression_resamples_spread_as_row_resamples() {
        // 40,000 rows: grouped. The MAE's bootstrap standard error should be about sd(|e|)/sqrt(n).
        let n = 40_000;
        let y: Vec<f64> = (0..n).map(|i| 100.0 + (f64::from(i) * 0.37).sin() * 10.0).collect();
        let yhat: Vec<f64> =
            (0..n).map(|i| 100.0 + (f64::from(i) * 0.37).sin() * 10.0 + (f64::from(i) * 1.3).cos()).collect();
        let side = regression_side(&y, &yhat, 1000, &mut side_rng(0, 2)).expect("side");
        let errors: Vec<f64> = y.iter().zip(&yhat).map(|(a, b)| (a - b).abs()).collect();
        let mean = errors.iter().sum::<f64>() / f64::from(n);
        let sd = (errors.iter().map(|e| (e - mean).powi(2)).sum::<f64>() / f64::from(n)).sqrt();
        let expected_se = sd / f64::from(n).sqrt();
        let draws = &side.resampled[0];
        let m = draws.iter().sum::<f64>() / draws.len() as f64;
        let se = (draws.iter().map(|d| (d - m).powi(2)).sum::<f64>() / draws.len() as f64).sqrt();
        assert!((side.values[0] - mean).abs() < 1e-9);
        assert!((se / expected_se - 1.0).abs() < 0.1, "{se} against {expected_se}");
    }

    #[test]
    fn the_verdict_says_worse_only_beyond_chance() {
        let m = |d: Estimate| MetricComparison {
            key: "accuracy".into(),
            name: "accuracy".into(),
            higher_is_better: true,
            held_out: Estimate { value: 0.9, low: 0.88, high: 0.92 },
            new: Estimate { value: 0.9 + d.value, low: 0.0, high: 1.0 },
            difference: d,
            beyond_chance: d.low > 0.0 || d.high < 0.0,
        };
        let fell = m(Estimate { value: -0.1, low: -0.13, high: -0.07 });
        assert!(fell.worse());
        let text = verdict(&[fell], 500, 0.95);
        assert!(text.contains("does worse") && text.contains("accuracy 0.800 against 0.900"), "{text}");
        let noise = m(Estimate { value: -0.01, low: -0.03, high: 0.01 });
        assert!(!noise.worse());
        assert!(verdict(&[noise], 500, 0.95).contains("within what chance gives"));
        let mae_up = MetricComparison {
            key: "mae".into(),
            name: "MAE".into(),
            higher_is_better: false,
            held_out: Estimate { value: 1.0, low: 0.9, high: 1.1 },
            new: Estimate { value: 2.0, low: 1.9, high: 2.1 },
            difference: Estimate { value: 1.0, low: 0.8, high: 1.2 },
            beyond_chance: true,
        };
        assert!(mae_up.worse(), "a larger error is worse");
    }
}
