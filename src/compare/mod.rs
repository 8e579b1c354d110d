//! Two models side by side on the same rows: typically a project and its retrained successor,
//! before the new model goes to the PLC.
//!
//! [`compare`] predicts every row of a dataset with both models and gives
//! - their metrics on the rows whose actual value both can score (a class both know, a number);
//! - how often they decide alike, and the rows where they do not;
//! - permutation importance of every feature for each (the same rows, repeats and seed);
//! - the difference of their rules ([`rule_diff`]): rules added, removed and changed, naming every
//!   threshold that moved;
//! - the line diff of the Structured Text each exports ([`line_diff`]): the change request for the
//!   PLC, line by line.
//!
//! The rules and the Structured Text are those `glassbox export` writes for each project: from
//! the model's tree (a surrogate tree for an SVM) or from the project's saved rule set, built on
//! the project's own data when it can be read (the literals of the PLC code are chosen on it),
//! else on the rows compared, which a note then says. Everything is deterministic: the same two
//! projects and rows give the same comparison.

pub mod line_diff;
pub mod rule_diff;

use serde::{Deserialize, Serialize};

use crate::data::Dataset;
use crate::error::{Error, Result};
use crate::explain::permutation::PermutationOptions;
use crate::export::{ExportOptions, ExportPlan, Format, export};
use crate::matrix::Matrix;
use crate::model::train::TrainingReport;
use crate::model::{Prediction, Task, TrainedModel};
use crate::progress::Progress;
use crate::project::Project;
use crate::project::newdata::{Use, check_columns};
use crate::rules::compute::{SURROGATE_DEPTH, surrogate_params};
use crate::rules::score::{Rows, RuleData, same_decision};
pub use line_diff::LineDiff;
pub use rule_diff::RuleDiff;

/// Which rules are compared (and which logic the Structured Text follows).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum RuleChoice {
    /// One rule per leaf of the model's tree (of a surrogate tree for an SVM): what
    /// `glassbox export` writes by default.
    #[default]
    Tree,
    /// The rule set saved in each project (`glassbox rules --save`), as `export --from rules`.
    Saved,
}

/// Settings of a comparison.
#[derive(Debug, Clone, PartialEq)]
pub struct CompareOptions {
    /// The rules compared.
    pub rules: RuleChoice,
    /// Depth of the surrogate tree of an SVM.
    pub surrogate_depth: u16,
    /// Repeats and seed of the permutation importance.
    pub permutation: PermutationOptions,
    /// Regression: two predictions within this distance agree (0: equal up to rounding noise).
    pub tolerance: f64,
}

impl Default for CompareOptions {
    fn default() -> Self {
        Self {
            rules: RuleChoice::Tree,
            surrogate_depth: SURROGATE_DEPTH,
            permutation: PermutationOptions::default(),
            tolerance: 0.0,
        }
    }
}

/// One metric of both models.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricRow {
    /// `accuracy`, `balanced_accuracy`, `precision`, `recall`, `f1`, `roc_auc`; `mae`, `rmse`, `r2`.
    pub name: String,
    /// How people read the name.
    pub label: String,
    /// Model A's value.
    pub a: Option<f64>,
    /// Model B's value.
    pub b: Option<f64>,
}

/// How often the two models decide alike.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Agreement {
    /// Rows compared.
    pub rows: usize,
    /// Rows where they decide alike.
    pub agree: usize,
    /// `agree / rows`.
    pub share: f64,
    /// Regression: mean absolute difference of the predictions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mean_abs_difference: Option<f64>,
    /// Regression: largest absolute difference.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_abs_difference: Option<f64>,
}

/// A row where the models decide differently.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RowDifference {
    /// The dataset row (0-based).
    pub row: usize,
    /// A's prediction as people read it.
    pub a: String,
    /// B's prediction.
    pub b: String,
    /// The actual value, when the data has it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actual: Option<String>,
    /// Regression: B − A.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub difference: Option<f64>,
}

/// One feature's importance for both models.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImportanceRow {
    /// The feature's name.
    pub feature: String,
    /// Mean drop for A (`None`: not a feature of A).
    pub a: Option<f64>,
    /// Its spread over the repeats.
    pub a_std: Option<f64>,
    /// Mean drop for B.
    pub b: Option<f64>,
    /// Its spread over the repeats.
    pub b_std: Option<f64>,
}

/// Everything [`compare`] finds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    /// Classification or regression.
    pub task: Task,
    /// The target both predict.
    pub target: String,
    /// Rows predicted by both.
    pub rows: usize,
    /// Rows whose actual value both models can score (the rows of the metrics and importance).
    pub scored_rows: usize,
    /// Metrics of both on the scored rows.
    pub metrics: Vec<MetricRow>,
    /// How often they decide alike on every row.
    pub agreement: Agreement,
    /// The rows where they decide differently (regression: largest difference first).
    pub disagreements: Vec<RowDifference>,
    /// What the importance measures: `accuracy` or `R²` dropped when a feature is shuffled.
    pub importance_score: String,
    /// Permutation importance per feature, A's features first.
    pub importance: Vec<ImportanceRow>,
    /// The difference of their rules.
    pub rules: RuleDiff,
    /// The line diff of their Structured Text, when both could be written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub structured_text: Option<LineDiff>,
    /// Things worth knowing about how the comparison was made.
    pub notes: Vec<String>,
}

/// Compares the models of projects `a` and `b` on every row of `ds`, read from `path`.
///
/// # Errors
/// When a project has no model, the two predict different things, the data lacks a column a
/// model reads, a saved rule set is asked for and missing, or the work is cancelled.
pub fn compare(
    a: &Project,
    b: &Project,
    ds: &Dataset,
    path: &std::path::Path,
    options: &CompareOptions,
    progress: &Progress,
) -> Result<Comparison> {
    let (ra, rb) = (a.trained()?, b.trained()?);
    let (ma, mb) = (&ra.model, &rb.model);
    if ma.task != mb.task || ma.target != mb.target {
        return Err(Error::invalid(format!(
            "the models predict different things: A predicts '{}' ({}), B '{}' ({}); only models of one target compare",
            ma.target,
            ma.task.label(),
            mb.target,
            mb.task.label()
        )));
    }
    let has_target = ds.column(&ma.target).is_some();
    let mut notes = Vec::new();
    for (label, m) in [("A", ma), ("B", mb)] {
        for w in check_columns(m, ds, path, false, Use::Predicting)
            .map_err(|e| Error::invalid(format!("model {label}: {e}")))?
        {
            notes.push(format!("model {label}: {w}"));
        }
    }
    if !has_target {
        notes.push(format!(
            "the data has no column '{}': the models are compared by their decisions only (no metrics, no importance)",
            ma.target
        ));
    }
    progress.set_stage("predicting");
    let all: Vec<usize> = (0..ds.n_rows()).collect();
    let rows_a = rows(ma, ds, &all, has_target)?;
    let rows_b = rows(mb, ds, &all, has_target)?;
    let pa = ma.predict(&rows_a.raw);
    let pb = mb.predict(&rows_b.raw);
    progress.check()?;
    progress.set(0.1);

    let actual: Vec<Option<String>> = match ds.column(&ma.target) {
        Some(t) => all.iter().map(|&r| t.values.get(r).filter(|v| !v.is_nan()).map(|&v| t.format_value(v))).collect(),
        None => vec![None; all.len()],
    };
    let (agreement, disagreements) = agreement(ma, mb, &pa, &pb, &actual, options.tolerance);
    let scored = scored_rows(ma.task, &rows_a, &rows_b);
    if has_target && scored.len() < all.len() {
        notes.push(format!(
            "{} of {} rows have no actual value both models can score (missing, or a class one model does not know); \
             metrics and importance use the other {}",
            all.len() - scored.len(),
            all.len(),
            scored.len()
        ));
    }
    let metrics = metric_rows((ma, &rows_a, &pa), (mb, &rows_b, &pb), &scored);
    if has_target && let Ok((_, sha)) = crate::project::hash_file(path) {
        for (label, p) in [("A", a), ("B", b)] {
            if p.data_refs().iter().any(|d| d.sha256 == sha) {
                notes.push(format!(
                    "these rows include the ones model {label} was trained on, so its metrics here are optimistic \
                     (its held-out figures are in its history entry)"
                ));
            }
        }
    }

    progress.set_stage("importance");
    let scored_dataset_rows: Vec<usize> = scored.iter().filter_map(|&i| all.get(i).copied()).collect();
    let importance = importance(ma, mb, ds, &scored_dataset_rows, &options.permutation, progress)?;

    progress.set_stage("rules and Structured Text");
    let compared_a = RuleData { task: ma.task, train: rows_a, test: empty_rows(ma.n_features()) };
    let compared_b = RuleData { task: mb.task, train: rows_b, test: empty_rows(mb.n_features()) };
    let plan_a = plan(a, ra, &compared_a, options, "A", &mut notes)?;
    let plan_b = plan(b, rb, &compared_b, options, "B", &mut notes)?;
    let rules = rule_diff::diff(&plan_a.rules, &plan_b.rules);
    let (st_a, st_b) = (structured_text(&plan_a, "A", &mut notes), structured_text(&plan_b, "B", &mut notes));
    let structured_text = match (st_a, st_b) {
        (Some(x), Some(y)) => Some(line_diff::diff(&x, &y, "A", "B")),
        _ => None,
    };
    progress.set(1.0);
    Ok(Comparison {
        task: ma.task,
        target: ma.target.clone(),
        rows: all.len(),
        scored_rows: scored.len(),
        metrics,
        agreement,
        disagreements,
        importance_score: match ma.task {
            Task::Classification => "accuracy".to_owned(),
            Task::Regression => "R²".to_owned(),
        },
        importance,
        rules,
        structured_text,
        notes,
    })
}

/// Permutation importance of both models on the scored dataset rows (none without such rows).
fn importance(
    ma: &TrainedModel,
    mb: &TrainedModel,
    ds: &Dataset,
    rows: &[usize],
    options: &PermutationOptions,
    progress: &Progress,
) -> Result<Vec<ImportanceRow>> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let ia = crate::explain::model::permutation(ma, ds, rows, options, &progress.sub(0.1, 0.5))?;
    let ib = crate::explain::model::permutation(mb, ds, rows, options, &progress.sub(0.5, 0.9))?;
    Ok(importance_rows(ma, &ia, mb, &ib))
}

/// The Structured Text `glassbox export --format st` writes from a plan (default options: the
/// same block name and no date for both), or a note why it could not be written.
fn structured_text(plan: &ExportPlan, label: &str, notes: &mut Vec<String>) -> Option<String> {
    match export(plan, Format::StructuredText, &ExportOptions::default()) {
        Ok(e) => Some(e.text),
        Err(e) => {
            notes.push(format!("the Structured Text of {label} could not be written: {e}"));
            None
        }
    }
}

/// The rows for a model: raw features, actual values (NaN without a target column) and decisions.
fn rows(model: &TrainedModel, ds: &Dataset, dataset_rows: &[usize], has_target: bool) -> Result<Rows> {
    if has_target {
        return Rows::new(model, ds, dataset_rows);
    }
    let raw = model.raw_rows(ds, dataset_rows)?;
    let decisions = model.predict(&raw).into_iter().map(|p| p.value).collect();
    Ok(Rows { dataset_rows: dataset_rows.to_vec(), raw, actual: vec![f64::NAN; dataset_rows.len()], model: decisions })
}

fn empty_rows(n_features: usize) -> Rows {
    Rows { dataset_rows: Vec::new(), raw: Matrix::zeros(0, n_features), actual: Vec::new(), model: Vec::new() }
}

/// Positions (into the rows) whose actual value both models can score.
fn scored_rows(task: Task, a: &Rows, b: &Rows) -> Vec<usize> {
    let ok = |v: f64| match task {
        Task::Classification => !v.is_nan(),
        Task::Regression => v.is_finite(),
    };
    a.actual.iter().zip(&b.actual).enumerate().filter(|(_, (x, y))| ok(**x) && ok(**y)).map(|(i, _)| i).collect()
}

/// Agreement over every row and the rows that differ.
fn agreement(
    ma: &TrainedModel,
    mb: &TrainedModel,
    pa: &[Prediction],
    pb: &[Prediction],
    actual: &[Option<String>],
    tolerance: f64,
) -> (Agreement, Vec<RowDifference>) {
    let mut differences = Vec::new();
    let mut agree = 0;
    let (mut sum_abs, mut max_abs) = (0.0f64, 0.0f64);
    for (row, ((x, y), actual)) in pa.iter().zip(pb).zip(actual).enumerate() {
        let (sa, sb) = (ma.format_prediction(x.value), mb.format_prediction(y.value));
        let same = match ma.task {
            Task::Classification => sa == sb,
            Task::Regression => {
                let d = (y.value - x.value).abs();
                sum_abs += d;
                max_abs = max_abs.max(d);
                if tolerance > 0.0 { d <= tolerance } else { same_decision(Task::Regression, y.value, x.value) }
            }
        };
        if same {
            agree += 1;
        } else {
            let difference = (ma.task == Task::Regression).then_some(y.value - x.value);
            differences.push(RowDifference { row, a: sa, b: sb, actual: actual.clone(), difference });
        }
    }
    if ma.task == Task::Regression {
        differences.sort_by(|p, q| {
            let d = |r: &RowDifference| r.difference.map_or(0.0, f64::abs);
            d(q).total_cmp(&d(p)).then(p.row.cmp(&q.row))
        });
    }
    let n = pa.len().min(pb.len());
    let regression = ma.task == Task::Regression && n > 0;
    let agreement = Agreement {
        rows: n,
        agree,
        share: if n == 0 { 1.0 } else { agree as f64 / n as f64 },
        mean_abs_difference: regression.then(|| sum_abs / n as f64),
        max_abs_difference: regression.then_some(max_abs),
    };
    (agreement, differences)
}

/// The metrics of both models on the scored positions.
fn metric_rows(
    (model, rows_a, pa): (&TrainedModel, &Rows, &[Prediction]),
    (model_b, rows_b, pb): (&TrainedModel, &Rows, &[Prediction]),
    scored: &[usize],
) -> Vec<MetricRow> {
    if scored.len() < 2 {
        return Vec::new();
    }
    let figures = |rows: &Rows, preds: &[Prediction], classes: usize| -> Vec<(String, f64)> {
        let pick = |v: &[f64]| -> Vec<f64> { scored.iter().filter_map(|&i| v.get(i).copied()).collect() };
        let y = pick(&rows.actual);
        let values: Vec<f64> = scored.iter().filter_map(|&i| preds.get(i).map(|p| p.value)).collect();
        match model.task {
            Task::Regression => crate::metrics::regression_metrics(&y, &values)
                .map(|m| vec![("mae".into(), m.mae), ("rmse".into(), m.rmse), ("r2".into(), m.r2)])
                .unwrap_or_default(),
            Task::Classification => {
                #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                let to_class = |v: &f64| *v as usize;
                let y_true: Vec<usize> = y.iter().map(to_class).collect();
                let y_pred: Vec<usize> = values.iter().map(to_class).collect();
                let mut proba = Matrix::zeros(scored.len(), classes);
                for (r, &i) in scored.iter().enumerate() {
                    for (c, &p) in preds.get(i).map_or(&[][..], |p| p.probabilities.as_slice()).iter().enumerate() {
                        if c < classes {
                            proba.set(r, c, p);
                        }
                    }
                }
                let m = crate::metrics::classification_metrics(&y_true, &y_pred, classes, Some(&proba))
                    .or_else(|_| crate::metrics::classification_metrics(&y_true, &y_pred, classes, None));
                m.map(|m| {
                    let mut v = vec![
                        ("accuracy".into(), m.accuracy),
                        ("balanced_accuracy".into(), m.balanced_accuracy),
                        ("precision".into(), m.precision),
                        ("recall".into(), m.recall),
                        ("f1".into(), m.f1),
                    ];
                    v.extend(m.roc_auc.map(|a| ("roc_auc".into(), a)));
                    v
                })
                .unwrap_or_default()
            }
        }
    };
    let fa = figures(rows_a, pa, model.classes.len());
    let fb = figures(rows_b, pb, model_b.classes.len());
    let mut names: Vec<String> = fa.iter().map(|(n, _)| n.clone()).collect();
    names.extend(fb.iter().map(|(n, _)| n.clone()).filter(|n| !fa.iter().any(|(m, _)| m == n)));
    let value = |f: &[(String, f64)], n: &str| f.iter().find(|(m, _)| m == n).map(|(_, v)| *v);
    let positive = (model.classes.len() == 2).then(|| model.classes.get(1)).flatten();
    names
        .into_iter()
        .map(|name| {
            let label = match (name.as_str(), positive) {
                ("accuracy", _) => "accuracy".to_owned(),
                ("balanced_accuracy", _) => "balanced accuracy".to_owned(),
                ("precision" | "recall" | "f1", Some(p)) => {
                    format!("{} (class '{p}')", if name == "f1" { "F1" } else { name.as_str() })
                }
                ("precision" | "recall", None) => format!("{name} (macro average)"),
                ("f1", None) => "F1 (macro average)".to_owned(),
                ("roc_auc", _) => "ROC AUC".to_owned(),
                ("mae", _) => "MAE".to_owned(),
                ("rmse", _) => "RMSE".to_owned(),
                ("r2", _) => "R²".to_owned(),
                (other, _) => other.to_owned(),
            };
            MetricRow { a: value(&fa, &name), b: value(&fb, &name), name, label }
        })
        .collect()
}

/// Importance of both models by feature name, A's features first, then B's new ones.
fn importance_rows(
    ma: &TrainedModel,
    ia: &crate::explain::permutation::PermutationImportance,
    mb: &TrainedModel,
    ib: &crate::explain::permutation::PermutationImportance,
) -> Vec<ImportanceRow> {
    let (na, nb) = (ma.feature_names(), mb.feature_names());
    let mut names: Vec<&str> = na.clone();
    names.extend(nb.iter().filter(|n| !na.contains(n)));
    let of = |names: &[&str], imp: &crate::explain::permutation::PermutationImportance, f: &str| {
        names.iter().position(|n| *n == f).map(|j| (imp.mean.get(j).copied(), imp.std.get(j).copied()))
    };
    names
        .into_iter()
        .map(|f| {
            let (a, a_std) = of(&na, ia, f).unwrap_or((None, None));
            let (b, b_std) = of(&nb, ib, f).unwrap_or((None, None));
            ImportanceRow { feature: f.to_owned(), a, a_std, b, b_std }
        })
        .collect()
}

/// The export plan `glassbox export` would make for a project: on its own data when it can be
/// read, else on the rows compared (noted).
fn plan(
    project: &Project,
    report: &TrainingReport,
    compared: &RuleData,
    options: &CompareOptions,
    label: &str,
    notes: &mut Vec<String>,
) -> Result<ExportPlan> {
    let params = surrogate_params(options.surrogate_depth);
    let saved = match options.rules {
        RuleChoice::Tree => None,
        RuleChoice::Saved => Some(project.rule_set.as_ref().ok_or_else(|| {
            Error::invalid(format!(
                "project {label} has no saved rule set; save one with `glassbox rules {label}.glassbox --save`, or \
                 compare the trees' rules"
            ))
        })?),
    };
    let own = project.load_data(&Progress::new()).and_then(|ds| RuleData::new(report, &ds));
    match own {
        Ok(data) => ExportPlan::new(report, &data, saved, &params, project.data.as_ref()).map(|mut plan| {
            plan.note_appended(&project.appended);
            plan
        }),
        Err(e) => {
            notes.push(format!(
                "{label}'s own data could not be read ({e}); its rules and Structured Text are built on the rows \
                 compared, so literals and the header may differ from what `glassbox export` writes for it"
            ));
            ExportPlan::new(report, compared, saved, &params, None)
        }
    }
}
