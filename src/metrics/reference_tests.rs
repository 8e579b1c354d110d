//! Every metric against the numbers scikit-learn computed on the same inputs
//! (`tests/fixtures/metrics/`, written by `make_reference.py` there), to 1e-12.

use serde::Deserialize;

use super::*;
use crate::matrix::Matrix;

const REFERENCE: &str = include_str!("../../tests/fixtures/metrics/sklearn_reference.json");
const TOLERANCE: f64 = 1e-12;

#[derive(Deserialize)]
struct Reference {
    classification: Vec<ClassificationCase>,
    regression: Vec<RegressionCase>,
    cv: CvCases,
}

/// Distinct rows plus one row index per sample.
#[derive(Deserialize)]
struct Palette {
    levels: Vec<Vec<f64>>,
    index: Vec<usize>,
}

impl Palette {
    fn matrix(&self) -> Matrix {
        let rows: Vec<&[f64]> = self.index.iter().map(|&i| self.levels[i].as_slice()).collect();
        Matrix::from_rows(&rows, self.levels[0].len()).unwrap()
    }
}

/// Distinct values plus one value index per sample.
#[derive(Deserialize)]
struct Palette1 {
    levels: Vec<f64>,
    index: Vec<usize>,
}

impl Palette1 {
    fn values(&self) -> Vec<f64> {
        self.index.iter().map(|&i| self.levels[i]).collect()
    }
}

#[derive(Deserialize)]
struct ClassificationCase {
    name: String,
    n_classes: usize,
    y_true: String,
    y_pred: String,
    proba: Option<Palette>,
    expected: ClassificationExpected,
}

#[derive(Deserialize)]
struct ClassificationExpected {
    accuracy: f64,
    balanced_accuracy: f64,
    confusion: Vec<Vec<usize>>,
    per_class: Prf,
    #[serde(rename = "macro")]
    macro_avg: Prf,
    weighted: Prf,
    binary: Option<Prf>,
    class_counts: Vec<usize>,
    majority_baseline_accuracy: f64,
    #[serde(default)]
    roc_auc: Option<f64>,
    #[serde(default)]
    average_precision: Option<f64>,
    roc_curve: Option<Roc>,
    roc_curve_full: Option<Roc>,
    pr_curve: Option<Pr>,
}

#[derive(Deserialize)]
struct Prf {
    precision: Vec<f64>,
    recall: Vec<f64>,
    f1: Vec<f64>,
    support: Option<Vec<usize>>,
}

#[derive(Deserialize)]
struct Roc {
    fpr: Vec<f64>,
    tpr: Vec<f64>,
    /// `null` stands for +inf.
    thresholds: Vec<Option<f64>>,
}

#[derive(Deserialize)]
struct Pr {
    precision: Vec<f64>,
    recall: Vec<f64>,
    thresholds: Vec<f64>,
}

#[derive(Deserialize)]
struct RegressionCase {
    name: String,
    y: Vec<f64>,
    yhat: Palette1,
    expected: RegressionExpected,
}

#[derive(Deserialize)]
struct RegressionExpected {
    mae: f64,
    rmse: f64,
    r2: f64,
}

#[derive(Deserialize)]
struct CvCases {
    classification: CvClassification,
    regression: CvRegression,
}

#[derive(Deserialize)]
struct CvClassification {
    folds: Vec<LabelFold>,
    summary: std::collections::BTreeMap<String, FoldScores>,
}

#[derive(Deserialize)]
struct LabelFold {
    y_true: String,
    y_pred: String,
}

#[derive(Deserialize)]
struct CvRegression {
    folds: Vec<ValueFold>,
    summary: std::collections::BTreeMap<String, FoldScores>,
}

#[derive(Deserialize)]
struct ValueFold {
    y: Vec<f64>,
    yhat: Palette1,
}

#[derive(Deserialize)]
struct FoldScores {
    folds: Vec<f64>,
    mean: f64,
    std: f64,
}

fn reference() -> Reference {
    serde_json::from_str(REFERENCE).expect("the reference JSON parses")
}

fn labels(digits: &str) -> Vec<usize> {
    digits.bytes().map(|b| usize::from(b - b'0')).collect()
}

/// Compares numbers and remembers the largest deviation seen, for the test log.
#[derive(Default)]
struct Checker {
    compared: usize,
    max_deviation: f64,
}

impl Checker {
    fn close(&mut self, actual: f64, expected: f64, what: &str) {
        let deviation = (actual - expected).abs();
        assert!(deviation <= TOLERANCE, "{what}: got {actual}, scikit-learn {expected} (off by {deviation:e})");
        self.compared += 1;
        self.max_deviation = self.max_deviation.max(deviation);
    }

    fn all_close(&mut self, actual: &[f64], expected: &[f64], what: &str) {
        assert_eq!(actual.len(), expected.len(), "{what}: length");
        for (i, (&a, &e)) in actual.iter().zip(expected).enumerate() {
            self.close(a, e, &format!("{what}[{i}]"));
        }
    }

    fn option(&mut self, actual: Option<f64>, expected: Option<f64>, what: &str) {
        match (actual, expected) {
            (Some(a), Some(e)) => self.close(a, e, what),
            (None, None) => {}
            _ => panic!("{what}: got {actual:?}, scikit-learn {expected:?}"),
        }
    }

    fn report(&self, test: &str) {
        eprintln!("{test}: {} numbers within {:e} of scikit-learn", self.compared, self.max_deviation);
    }
}

fn check_average(c: &mut Checker, actual: &AverageMetrics, expected: &Prf, what: &str) {
    c.close(actual.precision, expected.precision[0], &format!("{what} precision"));
    c.close(actual.recall, expected.recall[0], &format!("{what} recall"));
    c.close(actual.f1, expected.f1[0], &format!("{what} f1"));
}

fn check_roc(c: &mut Checker, actual: &RocCurve, expected: &Roc, what: &str) {
    c.all_close(&actual.fpr, &expected.fpr, &format!("{what} fpr"));
    c.all_close(&actual.tpr, &expected.tpr, &format!("{what} tpr"));
    let thresholds: Vec<f64> = expected.thresholds.iter().map(|t| t.unwrap_or(f64::INFINITY)).collect();
    assert_eq!(actual.thresholds[0], f64::INFINITY, "{what}");
    c.all_close(&actual.thresholds[1..], &thresholds[1..], &format!("{what} thresholds"));
}

#[test]
fn classification_matches_sklearn() {
    let mut c = Checker::default();
    for case in reference().classification {
        let name = case.name.as_str();
        let (y_true, y_pred) = (labels(&case.y_true), labels(&case.y_pred));
        let proba = case.proba.as_ref().map(Palette::matrix);
        let m = classification_metrics(&y_true, &y_pred, case.n_classes, proba.as_ref()).unwrap();
        let e = &case.expected;

        c.close(m.accuracy, e.accuracy, &format!("{name} accuracy"));
        c.close(m.balanced_accuracy, e.balanced_accuracy, &format!("{name} balanced accuracy"));
        c.close(m.majority_baseline_accuracy, e.majority_baseline_accuracy, &format!("{name} baseline"));
        assert_eq!(m.class_counts, e.class_counts, "{name}");
        assert_eq!(m.confusion.counts, e.confusion.concat(), "{name} confusion");
        assert_eq!(m.confusion.total(), y_true.len(), "{name}");

        let per = |f: fn(&ClassMetrics) -> f64| m.per_class.iter().map(f).collect::<Vec<_>>();
        c.all_close(&per(|k| k.precision), &e.per_class.precision, &format!("{name} per-class precision"));
        c.all_close(&per(|k| k.recall), &e.per_class.recall, &format!("{name} per-class recall"));
        c.all_close(&per(|k| k.f1), &e.per_class.f1, &format!("{name} per-class f1"));
        let support: Vec<usize> = m.per_class.iter().map(|k| k.support).collect();
        assert_eq!(Some(&support), e.per_class.support.as_ref(), "{name} support");
        check_average(&mut c, &m.macro_avg, &e.macro_avg, &format!("{name} macro"));
        check_average(&mut c, &m.weighted_avg, &e.weighted, &format!("{name} weighted"));
        let headline = AverageMetrics { precision: m.precision, recall: m.recall, f1: m.f1 };
        check_average(&mut c, &headline, e.binary.as_ref().unwrap_or(&e.macro_avg), &format!("{name} headline"));

        c.option(m.roc_auc, e.roc_auc, &format!("{name} roc_auc"));
        c.option(m.average_precision, e.average_precision, &format!("{name} average precision"));

        let (Some(proba), Some(roc)) = (&proba, &e.roc_curve) else { continue };
        let positive: Vec<bool> = y_true.iter().map(|&l| l == 1).collect();
        let score = proba.column(1);
        check_roc(&mut c, &roc_curve(&positive, &score).unwrap(), roc, &format!("{name} roc"));
        if let Some(full) = &e.roc_curve_full {
            let curve = super::curves::roc_curve_impl(&positive, &score, false).unwrap();
            check_roc(&mut c, &curve, full, &format!("{name} full roc"));
            c.option(Some(curve.auc()), e.roc_auc, &format!("{name} auc of the full curve"));
        }
        if let Some(pr) = &e.pr_curve {
            let curve = precision_recall_curve(&positive, &score).unwrap();
            c.all_close(&curve.precision, &pr.precision, &format!("{name} pr precision"));
            c.all_close(&curve.recall, &pr.recall, &format!("{name} pr recall"));
            c.all_close(&curve.thresholds, &pr.thresholds, &format!("{name} pr thresholds"));
        }
    }
    c.report("classification");
}

#[test]
fn regression_matches_sklearn() {
    let mut c = Checker::default();
    for case in reference().regression {
        let name = case.name.as_str();
        let m = regression_metrics(&case.y, &case.yhat.values()).unwrap();
        assert_eq!(m.n, case.y.len());
        c.close(m.mae, case.expected.mae, &format!("{name} mae"));
        c.close(m.rmse, case.expected.rmse, &format!("{name} rmse"));
        c.close(m.r2, case.expected.r2, &format!("{name} r2"));
    }
    c.report("regression");
}

#[test]
fn cross_validation_summaries_match_numpy() {
    let mut c = Checker::default();
    let cv = reference().cv;

    let folds: Vec<ClassificationMetrics> = cv
        .classification
        .folds
        .iter()
        .map(|f| classification_metrics(&labels(&f.y_true), &labels(&f.y_pred), 2, None).unwrap())
        .collect();
    let summary = CvSummary::from_folds(&folds).unwrap();
    assert_eq!(summary.n_folds, folds.len());
    for (name, expected) in &cv.classification.summary {
        let per_fold: Vec<f64> =
            folds.iter().map(|m| m.named_values().into_iter().find(|(n, _)| n == name).unwrap().1.unwrap()).collect();
        c.all_close(&per_fold, &expected.folds, &format!("cv {name} per fold"));
        let s = summary.get(name).unwrap();
        c.close(s.mean, expected.mean, &format!("cv {name} mean"));
        c.close(s.std, expected.std, &format!("cv {name} std"));
    }

    let folds: Vec<RegressionMetrics> =
        cv.regression.folds.iter().map(|f| regression_metrics(&f.y, &f.yhat.values()).unwrap()).collect();
    let summary = CvSummary::from_folds(&folds).unwrap();
    for (name, expected) in &cv.regression.summary {
        let s = summary.get(name).unwrap();
        c.close(s.mean, expected.mean, &format!("cv {name} mean"));
        c.close(s.std, expected.std, &format!("cv {name} std"));
        let direct = MetricSummary::from_values(&expected.folds).unwrap();
        c.close(direct.mean, expected.mean, &format!("{name} mean of the fold scores"));
        c.close(direct.std, expected.std, &format!("{name} std of the fold scores"));
    }
    c.report("cross-validation");
}

#[test]
fn reference_cases_cover_what_they_claim() {
    let r = reference();
    let names: Vec<&str> = r.classification.iter().map(|c| c.name.as_str()).collect();
    for wanted in ["ai4i_tree", "ai4i_tree_rounded", "steel_load_type_tree", "never_predicted", "absent_from_truth"] {
        assert!(names.contains(&wanted), "{wanted} missing from the reference");
    }
    let rounded = r.classification.iter().find(|c| c.name == "ai4i_tree_rounded").unwrap();
    let proba = rounded.proba.as_ref().unwrap();
    assert!(proba.levels.len() < 10 && proba.index.len() == 2000, "the rounded case should be full of ties");
    assert!(r.regression.iter().any(|c| c.name == "constant_imperfect" && c.expected.r2 == 0.0));
}
