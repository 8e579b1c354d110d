//! Threshold curves of a binary score: ROC and precision–recall, their areas, their one-vs-rest
//! multiclass averages, and the confusion matrix at any threshold.
//!
//! The curves follow scikit-learn's `roc_curve` and `precision_recall_curve` point for point:
//! rows are sorted by score, descending, and rows with equal scores enter together (one point per
//! distinct score), so ties are never split in an order-dependent way. A row counts as predicted
//! positive at threshold `t` when its score is `>= t`.

// `ThresholdCounts` keeps tps, fps and thresholds at one length (one entry per distinct score) and
// loops run inside it; `windows(2)` yields pairs; a 2×2 confusion index is below 4.
#![allow(clippy::indexing_slicing)]

use serde::{Deserialize, Serialize};

use super::classification::ConfusionMatrix;
use super::{check_finite, check_finite_proba, check_labels, check_lengths};
use crate::matrix::Matrix;
use crate::{Error, Result};

/// The receiver operating characteristic: true-positive rate against false-positive rate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RocCurve {
    /// False-positive rate at each threshold, increasing from 0 to 1.
    pub fpr: Vec<f64>,
    /// True-positive rate at each threshold, increasing from 0 to 1.
    pub tpr: Vec<f64>,
    /// Decreasing thresholds. The first is +∞ (nothing predicted positive), so the curve starts
    /// at (0, 0); it is written as the string `"inf"` when serialised, as JSON has no infinity.
    #[serde(with = "non_finite_as_text")]
    pub thresholds: Vec<f64>,
}

impl RocCurve {
    /// Area under the curve by the trapezoid rule.
    pub fn auc(&self) -> f64 {
        trapezoid(&self.fpr, &self.tpr)
    }
}

/// Precision against recall, from the highest threshold down.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PrCurve {
    /// Precision at each threshold, in increasing threshold order, then a final 1.
    pub precision: Vec<f64>,
    /// Recall at each threshold, in increasing threshold order (so decreasing), then a final 0.
    pub recall: Vec<f64>,
    /// The distinct scores, increasing; one fewer than `precision` and `recall`.
    pub thresholds: Vec<f64>,
}

/// Cumulative counts at each distinct score, from the highest score down: scikit-learn's
/// `confusion_matrix_at_thresholds` without the true negatives and false negatives.
struct ThresholdCounts {
    /// The distinct scores, decreasing.
    thresholds: Vec<f64>,
    /// Positives with a score `>=` the threshold.
    tps: Vec<usize>,
    /// Negatives with a score `>=` the threshold.
    fps: Vec<usize>,
}

impl ThresholdCounts {
    fn new(y_true: &[bool], score: &[f64]) -> Result<Self> {
        check_lengths("y_true", y_true.len(), "the score", score.len())?;
        check_finite("the score", score)?;
        let mut rows: Vec<(f64, bool)> = score.iter().copied().zip(y_true.iter().copied()).collect();
        rows.sort_by(|a, b| b.0.total_cmp(&a.0));
        let mut counts = Self { thresholds: Vec::new(), tps: Vec::new(), fps: Vec::new() };
        let (mut tp, mut fp) = (0, 0);
        for (i, &(s, positive)) in rows.iter().enumerate() {
            if positive {
                tp += 1;
            } else {
                fp += 1;
            }
            // A point closes each run of equal scores (`!=`, so 0.0 and -0.0 share one). Exact
            // equality is the point: scikit-learn groups only identical scores.
            #[allow(clippy::float_cmp)]
            let last_of_run = rows.get(i + 1).is_none_or(|next| next.0 != s);
            if last_of_run {
                counts.thresholds.push(s);
                counts.tps.push(tp);
                counts.fps.push(fp);
            }
        }
        Ok(counts)
    }

    fn n_positive(&self) -> usize {
        self.tps.last().copied().unwrap_or(0)
    }

    fn n_negative(&self) -> usize {
        self.fps.last().copied().unwrap_or(0)
    }
}

/// The ROC curve of `score` for the labels `y_true` (true = positive), with scikit-learn's
/// `drop_intermediate=True`: points in the middle of a straight run with equal steps are left
/// out, as they do not change the plot or the area.
///
/// Errors when the inputs are empty, of different lengths, contain a non-finite score, or when
/// `y_true` lacks positives or negatives (the rates would divide by zero).
pub fn roc_curve(y_true: &[bool], score: &[f64]) -> Result<RocCurve> {
    roc_curve_impl(y_true, score, true)
}

/// [`roc_curve`], optionally keeping every distinct score as a point.
pub(super) fn roc_curve_impl(y_true: &[bool], score: &[f64], drop_intermediate: bool) -> Result<RocCurve> {
    let mut counts = ThresholdCounts::new(y_true, score)?;
    let (n_pos, n_neg) = (counts.n_positive(), counts.n_negative());
    if n_pos == 0 || n_neg == 0 {
        return Err(Error::invalid(format!(
            "a ROC curve needs positive and negative rows, but there are {n_pos} positive and {n_neg} negative"
        )));
    }
    let n = counts.thresholds.len();
    if drop_intermediate && n > 2 {
        // scikit-learn keeps point i unless both second differences around it are zero.
        let keep: Vec<bool> = (0..n)
            .map(|i| {
                i == 0
                    || i == n - 1
                    || counts.fps[i + 1] + counts.fps[i - 1] != 2 * counts.fps[i]
                    || counts.tps[i + 1] + counts.tps[i - 1] != 2 * counts.tps[i]
            })
            .collect();
        let kept = |v: &[usize]| v.iter().zip(&keep).filter(|&(_, &k)| k).map(|(&x, _)| x).collect::<Vec<_>>();
        counts.tps = kept(&counts.tps);
        counts.fps = kept(&counts.fps);
        counts.thresholds = counts.thresholds.iter().zip(&keep).filter(|&(_, &k)| k).map(|(&t, _)| t).collect();
    }
    let rate = |c: &[usize], total: usize| {
        std::iter::once(0.0).chain(c.iter().map(|&x| x as f64 / total as f64)).collect::<Vec<f64>>()
    };
    Ok(RocCurve {
        fpr: rate(&counts.fps, n_neg),
        tpr: rate(&counts.tps, n_pos),
        thresholds: std::iter::once(f64::INFINITY).chain(counts.thresholds).collect(),
    })
}

/// Area under the ROC curve (scikit-learn's `roc_auc_score` for a binary problem): the chance
/// that a random positive row scores above a random negative one, ties counting half.
pub fn roc_auc(y_true: &[bool], score: &[f64]) -> Result<f64> {
    Ok(roc_curve(y_true, score)?.auc())
}

/// The precision–recall curve of `score` (scikit-learn's `precision_recall_curve`, all points).
///
/// Errors like [`roc_curve`], and when `y_true` has no positive (recall would divide by zero).
pub fn precision_recall_curve(y_true: &[bool], score: &[f64]) -> Result<PrCurve> {
    let counts = ThresholdCounts::new(y_true, score)?;
    let n_pos = counts.n_positive();
    if n_pos == 0 {
        return Err(Error::invalid("a precision-recall curve needs at least one positive row, but there is none"));
    }
    // Every threshold covers at least one row, so tp + fp > 0.
    let precision = counts.tps.iter().zip(&counts.fps).map(|(&tp, &fp)| tp as f64 / (tp + fp) as f64);
    let recall = counts.tps.iter().map(|&tp| tp as f64 / n_pos as f64);
    Ok(PrCurve {
        precision: precision.rev().chain([1.0]).collect(),
        recall: recall.rev().chain([0.0]).collect(),
        thresholds: counts.thresholds.into_iter().rev().collect(),
    })
}

/// Average precision, Σₙ (Rₙ − Rₙ₋₁) Pₙ over the precision–recall curve without interpolation
/// (scikit-learn's `average_precision_score`). Errors like [`precision_recall_curve`].
pub fn average_precision(y_true: &[bool], score: &[f64]) -> Result<f64> {
    let curve = precision_recall_curve(y_true, score)?;
    let sum: f64 = curve.recall.windows(2).zip(&curve.precision).map(|(r, &p)| (r[0] - r[1]) * p).sum();
    // Rounding can leave -0.0 where the area is zero.
    Ok(sum.max(0.0))
}

/// One class against the rest: `(is this class, probability of this class)` per row, the input
/// for a per-class ROC or precision–recall curve.
pub fn one_vs_rest(y_true: &[usize], proba: &Matrix, class: usize) -> Result<(Vec<bool>, Vec<f64>)> {
    check_proba(y_true, proba)?;
    if class >= proba.n_cols() {
        return Err(Error::invalid(format!(
            "class {class} has no probability column; there are {} classes",
            proba.n_cols()
        )));
    }
    Ok((y_true.iter().map(|&l| l == class).collect(), proba.column(class)))
}

/// Macro average of one-vs-rest ROC AUCs (scikit-learn's `roc_auc_score` with
/// `multi_class="ovr", average="macro"`). Errors when a class is absent from `y_true`.
pub fn roc_auc_ovr(y_true: &[usize], proba: &Matrix) -> Result<f64> {
    macro_ovr(y_true, proba, roc_auc)
}

/// Macro average of one-vs-rest average precisions (scikit-learn's `average_precision_score` on
/// multiclass labels). Errors when a class is absent from `y_true`.
pub fn average_precision_ovr(y_true: &[usize], proba: &Matrix) -> Result<f64> {
    macro_ovr(y_true, proba, average_precision)
}

fn macro_ovr(y_true: &[usize], proba: &Matrix, score: fn(&[bool], &[f64]) -> Result<f64>) -> Result<f64> {
    check_proba(y_true, proba)?;
    let n_classes = proba.n_cols();
    let mut sum = 0.0;
    for class in 0..n_classes {
        let (is_class, p) = one_vs_rest(y_true, proba, class)?;
        if !is_class.contains(&true) {
            return Err(Error::invalid(format!(
                "class {class} does not occur in y_true, so its one-vs-rest score is undefined"
            )));
        }
        sum += score(&is_class, &p)?;
    }
    Ok(sum / n_classes as f64)
}

fn check_proba(y_true: &[usize], proba: &Matrix) -> Result<()> {
    check_lengths("y_true", y_true.len(), "the probability rows", proba.n_rows())?;
    check_labels("y_true", y_true, proba.n_cols())?;
    check_finite_proba(proba)
}

/// The trapezoid rule, as numpy's `trapezoid(y, x)`.
fn trapezoid(x: &[f64], y: &[f64]) -> f64 {
    x.windows(2).zip(y.windows(2)).map(|(x, y)| (x[1] - x[0]) * (y[1] + y[0]) / 2.0).sum()
}

/// The binary confusion matrix at one threshold (class 1 = positive = `score >= threshold`).
/// For repeated thresholds over the same rows use [`ThresholdConfusion`].
pub fn confusion_at_threshold(y_true: &[bool], score: &[f64], threshold: f64) -> Result<ConfusionMatrix> {
    check_lengths("y_true", y_true.len(), "the score", score.len())?;
    check_finite("the score", score)?;
    let mut counts = vec![0; 4];
    for (&positive, &s) in y_true.iter().zip(score) {
        counts[usize::from(positive) * 2 + usize::from(s >= threshold)] += 1;
    }
    Ok(ConfusionMatrix { n_classes: 2, counts })
}

/// The scores of positive and negative rows sorted once, so that the confusion matrix at any
/// threshold costs two binary searches (O(log n)): for a live decision-threshold slider.
#[derive(Debug, Clone, PartialEq)]
pub struct ThresholdConfusion {
    /// Scores of the positive rows, increasing.
    positive: Vec<f64>,
    /// Scores of the negative rows, increasing.
    negative: Vec<f64>,
}

impl ThresholdConfusion {
    /// Sorts the scores. Errors on empty or mismatched inputs and non-finite scores.
    pub fn new(y_true: &[bool], score: &[f64]) -> Result<Self> {
        check_lengths("y_true", y_true.len(), "the score", score.len())?;
        check_finite("the score", score)?;
        let (mut positive, mut negative) = (Vec::new(), Vec::new());
        for (&is_positive, &s) in y_true.iter().zip(score) {
            if is_positive { positive.push(s) } else { negative.push(s) }
        }
        positive.sort_by(f64::total_cmp);
        negative.sort_by(f64::total_cmp);
        Ok(Self { positive, negative })
    }

    /// The binary confusion matrix when rows with `score >= threshold` are predicted positive.
    /// A NaN threshold predicts nothing positive, as `>=` with NaN is false.
    pub fn at(&self, threshold: f64) -> ConfusionMatrix {
        let at_or_above = |sorted: &[f64]| {
            if threshold.is_nan() { 0 } else { sorted.len() - sorted.partition_point(|&s| s < threshold) }
        };
        let tp = at_or_above(&self.positive);
        let fp = at_or_above(&self.negative);
        let fn_ = self.positive.len() - tp;
        let tn = self.negative.len() - fp;
        ConfusionMatrix { n_classes: 2, counts: vec![tn, fp, fn_, tp] }
    }

    /// Number of positive rows.
    pub fn n_positive(&self) -> usize {
        self.positive.len()
    }

    /// Number of negative rows.
    pub fn n_negative(&self) -> usize {
        self.negative.len()
    }
}

/// Serialises non-finite floats as the strings "inf", "-inf" and "NaN", since JSON has no such
/// numbers (`serde_json` would write `null` and then fail to read it back).
mod non_finite_as_text {
    use serde::de::Error as _;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    #[derive(Serialize, Deserialize)]
    #[serde(untagged)]
    enum Float {
        Number(f64),
        Text(String),
    }

    pub fn serialize<S: Serializer>(values: &[f64], serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(values.iter().map(|&v| match v {
            v if v.is_finite() => Float::Number(v),
            v if v.is_nan() => Float::Text("NaN".into()),
            v if v > 0.0 => Float::Text("inf".into()),
            _ => Float::Text("-inf".into()),
        }))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<f64>, D::Error> {
        Vec::<Float>::deserialize(deserializer)?
            .into_iter()
            .map(|f| match f {
                Float::Number(v) => Ok(v),
                Float::Text(t) => match t.as_str() {
                    "inf" => Ok(f64::INFINITY),
                    "-inf" => Ok(f64::NEG_INFINITY),
                    "NaN" => Ok(f64::NAN),
                    other => Err(D::Error::custom(format!(
                        "expected a number, \"inf\", \"-inf\" or \"NaN\", found \"{other}\""
                    ))),
                },
            })
            .collect()
    }
}

#[cfg(test)]
#[allow(clippy::float_cmp)] // the expected values here are exact
mod tests {
    use super::*;

    /// A small deterministic generator (xorshift64*), so the tests need no extra crate.
    struct Rng(u64);

    impl Rng {
        fn next_f64(&mut self) -> f64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64
        }
    }

    /// Labels and scores with many ties: scores on a grid of 21 values.
    fn tied_sample(seed: u64, n: usize) -> (Vec<bool>, Vec<f64>) {
        let mut rng = Rng(seed);
        (0..n)
            .map(|_| {
                let positive = rng.next_f64() < 0.35;
                let s = ((rng.next_f64() + if positive { 0.3 } else { 0.0 }) * 15.0).round() / 20.0;
                (positive, s)
            })
            .unzip()
    }

    /// AUC as the Mann–Whitney statistic: P(positive > negative) + P(tie) / 2, by brute force.
    fn pairwise_auc(y: &[bool], s: &[f64]) -> f64 {
        let (mut wins, mut pairs) = (0.0, 0.0);
        for (i, &pi) in y.iter().enumerate() {
            for (j, &pj) in y.iter().enumerate() {
                if pi && !pj {
                    pairs += 1.0;
                    wins += if s[i] > s[j] {
                        1.0
                    } else if s[i] == s[j] {
                        0.5
                    } else {
                        0.0
                    };
                }
            }
        }
        wins / pairs
    }

    #[test]
    fn auc_equals_the_pairwise_ranking_probability() {
        for seed in 1..6 {
            let (y, s) = tied_sample(seed, 300);
            let auc = roc_auc(&y, &s).unwrap();
            assert!((auc - pairwise_auc(&y, &s)).abs() < 1e-12, "seed {seed}");
            let full = roc_curve_impl(&y, &s, false).unwrap();
            assert!((auc - full.auc()).abs() < 1e-12, "seed {seed}");
            assert!(roc_curve(&y, &s).unwrap().fpr.len() <= full.fpr.len());
        }
    }

    #[test]
    fn threshold_struct_agrees_with_a_recount() {
        let (y, s) = tied_sample(7, 500);
        let prepared = ThresholdConfusion::new(&y, &s).unwrap();
        assert_eq!(prepared.n_positive() + prepared.n_negative(), y.len());
        let mut rng = Rng(99);
        let mut thresholds: Vec<f64> = (0..200).map(|_| rng.next_f64() * 1.4 - 0.2).collect();
        // Exactly on a score, between scores and beyond both ends.
        thresholds.extend([0.0, -0.0, 0.05, 0.5, 0.75, 1.0, f64::INFINITY, f64::NEG_INFINITY, f64::NAN]);
        thresholds.extend(s.iter().take(50));
        for t in thresholds {
            let fast = prepared.at(t);
            assert_eq!(fast, confusion_at_threshold(&y, &s, t).unwrap(), "threshold {t}");
            assert_eq!(fast.total(), y.len());
        }
    }

    #[test]
    fn curve_points_are_confusion_matrices_at_their_thresholds() {
        let (y, s) = tied_sample(11, 400);
        let prepared = ThresholdConfusion::new(&y, &s).unwrap();
        let roc = roc_curve(&y, &s).unwrap();
        let (n_pos, n_neg) = (prepared.n_positive() as f64, prepared.n_negative() as f64);
        for ((&t, &fpr), &tpr) in roc.thresholds.iter().zip(&roc.fpr).zip(&roc.tpr) {
            let cm = prepared.at(t);
            assert_eq!(cm.get(0, 1) as f64 / n_neg, fpr);
            assert_eq!(cm.get(1, 1) as f64 / n_pos, tpr);
        }
        let pr = precision_recall_curve(&y, &s).unwrap();
        for ((&t, &p), &r) in pr.thresholds.iter().zip(&pr.precision).zip(&pr.recall) {
            let cm = prepared.at(t);
            let (tp, fp) = (cm.get(1, 1) as f64, cm.get(0, 1) as f64);
            assert!((p - tp / (tp + fp)).abs() < 1e-15 && (r - tp / n_pos).abs() < 1e-15, "threshold {t}");
        }
        assert_eq!(pr.precision.len(), pr.thresholds.len() + 1);
        assert!(pr.thresholds.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn perfect_and_reversed_scores() {
        let y = [false, false, true, true];
        assert_eq!(roc_auc(&y, &[0.1, 0.2, 0.8, 0.9]).unwrap(), 1.0);
        assert_eq!(roc_auc(&y, &[0.9, 0.8, 0.2, 0.1]).unwrap(), 0.0);
        assert_eq!(roc_auc(&y, &[0.5; 4]).unwrap(), 0.5);
        assert_eq!(average_precision(&y, &[0.1, 0.2, 0.8, 0.9]).unwrap(), 1.0);
    }

    #[test]
    fn bad_inputs_are_errors() {
        assert!(roc_curve(&[true, false], &[0.1, f64::NAN]).is_err());
        assert!(roc_curve(&[true, true], &[0.1, 0.2]).is_err());
        assert!(roc_curve(&[false, false], &[0.1, 0.2]).is_err());
        assert!(roc_curve(&[], &[]).is_err());
        assert!(precision_recall_curve(&[false, false], &[0.1, 0.2]).is_err());
        assert!(precision_recall_curve(&[true, true], &[0.1, 0.2]).is_ok());
        assert!(ThresholdConfusion::new(&[true], &[f64::INFINITY]).is_err());
        assert!(confusion_at_threshold(&[true], &[0.1, 0.2], 0.5).is_err());
        let proba = Matrix::from_rows(&[[0.5, 0.5], [0.2, 0.8]], 2).unwrap();
        assert!(one_vs_rest(&[0, 1], &proba, 2).is_err());
        assert!(roc_auc_ovr(&[0, 0], &proba).is_err());
    }

    #[test]
    fn infinite_thresholds_survive_a_json_round_trip() {
        let roc = roc_curve(&[false, true, true], &[0.2, 0.4, 0.9]).unwrap();
        assert_eq!(roc.thresholds[0], f64::INFINITY);
        let json = serde_json::to_string(&roc).unwrap();
        assert!(json.contains("\"inf\""), "{json}");
        let back: RocCurve = serde_json::from_str(&json).unwrap();
        assert_eq!(back, roc);
    }
}
