//! Scoring a production plan: one planned run per row, setpoints and conditions as columns.
//!
//! Every run gets the model's prediction, the probability of the predicted class, its three
//! strongest reasons (SHAP values: `feature = value (contribution)`), the envelope check, a risk
//! flag and, for a flagged run, the cheapest counterfactual that clears the flag.
//!
//! Plans are written by people, so they are read forgivingly and every liberty is reported:
//! - a plan column is matched to a model feature by its exact name, else ignoring case and
//!   surrounding spaces (reported);
//! - a column that is neither a feature nor a column of the training data is reported with the
//!   closest training column name, and carried into the output unused;
//! - a feature with no column is **filled by a stated rule**: the training median for a number,
//!   the most frequent training level for a category — named in a message and, per run, in the
//!   output's `filled` column; so is an empty or unreadable cell;
//! - text in a numeric column, an unknown category level and values outside the training range
//!   (or a combination unlike the training rows) get a message per row and column, and the run is
//!   still scored.
//!
//! The risk flag is "the run does not give the wanted outcome": by default, for a two-class
//! model, the probability of the second class (the failure, the reject) reaching 0.5; the
//! threshold and class are settings. A regression model flags runs only when a wanted value
//! bound is given.

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use super::Want;
use super::counterfactual::{CfStatus, Counterfactual, CounterfactualOptions};
use super::scenario::{Constraints, Origin, parse_number};
use super::whatif::Planner;
use crate::data::{Column, Dataset};
use crate::error::{Error, Result};
use crate::matrix::Matrix;
use crate::model::pipeline::FeatureKind;
use crate::model::{Output, Task};
use crate::progress::Progress;

/// How a plan is scored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct PlanSettings {
    /// What a good run gives; `None` takes the default (two classes: the probability of the
    /// second class below 0.5; otherwise nothing is flagged).
    pub want: Option<Want>,
    /// What counterfactuals may change: `vary` (by default the features the plan has columns
    /// for) and typed bounds.
    pub constraints: Constraints,
    /// Propose the cheapest counterfactual for every flagged run.
    pub counterfactuals: bool,
    /// Reasons listed per run.
    pub reasons: usize,
    /// Search settings for models other than trees (`count` is 1 here).
    pub search: CounterfactualOptions,
}

impl Default for PlanSettings {
    fn default() -> Self {
        Self {
            want: None,
            constraints: Constraints::default(),
            counterfactuals: true,
            reasons: 3,
            search: CounterfactualOptions { count: 1, max_evaluations: 5_000, ..CounterfactualOptions::default() },
        }
    }
}

impl PlanSettings {
    /// The wanted outcome in force: the one set, or the default for the model.
    pub fn effective_want(&self, planner: &Planner) -> Option<Want> {
        let model = planner.model();
        self.want.clone().or_else(|| {
            (model.task == Task::Classification && model.classes.len() == 2)
                .then_some(Want::ProbabilityBelow { class: 1, limit: 0.5 })
        })
    }
}

/// Where a feature's values came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "source", rename_all = "snake_case")]
pub enum ColumnSource {
    /// A plan column.
    Column {
        /// Its name in the plan.
        column: String,
    },
    /// No column: every run takes `value`, by `rule`.
    Filled {
        /// The value (a level index for a category).
        value: f64,
        /// The value as text.
        text: String,
        /// "training median" or "most frequent training level".
        rule: String,
    },
}

/// A message about the plan, a column, a row, or one cell.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanMessage {
    /// The plan row (0-based), when it concerns one run.
    pub row: Option<usize>,
    /// The plan column, when it concerns one.
    pub column: Option<String>,
    /// What is wrong and what was done about it.
    pub text: String,
}

impl std::fmt::Display for PlanMessage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (&self.row, &self.column) {
            (Some(r), Some(c)) => write!(f, "row {r}, column '{c}': {}", self.text),
            (Some(r), None) => write!(f, "row {r}: {}", self.text),
            (None, Some(c)) => write!(f, "column '{c}': {}", self.text),
            (None, None) => f.write_str(&self.text),
        }
    }
}

/// One reason for a prediction.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reason {
    /// The feature (model order).
    pub feature: usize,
    /// Its name.
    pub name: String,
    /// Its value in the run, as text.
    pub value: String,
    /// Its SHAP value.
    pub contribution: f64,
}

impl std::fmt::Display for Reason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} = {} ({:+.4})", self.name, self.value, self.contribution)
    }
}

/// One run scored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScoredRun {
    /// The plan row (0-based).
    pub row: usize,
    /// The plan's cells as text, one per plan column.
    pub inputs: Vec<String>,
    /// The raw row the model saw (filled in).
    #[serde(with = "super::nan_vec")]
    pub values: Vec<f64>,
    /// Features filled in for this run: `name=value (rule)`.
    pub filled: Vec<String>,
    /// Predicted class index or value.
    #[serde(with = "super::nan")]
    pub prediction: f64,
    /// The prediction as text.
    pub label: String,
    /// Class probabilities (empty for regression).
    pub probabilities: Vec<f64>,
    /// Probability of the class a probability limit is set on (the risk), when there is one.
    pub risk: Option<f64>,
    /// The run does not give the wanted outcome.
    pub flagged: bool,
    /// The strongest reasons, by |SHAP value|.
    pub reasons: Vec<Reason>,
    /// Inside the training envelope.
    pub in_envelope: bool,
    /// The cheapest change that clears the flag (flagged runs).
    pub counterfactual: Option<Counterfactual>,
    /// Messages about this run.
    pub notes: Vec<String>,
}

impl ScoredRun {
    /// The probability of the predicted class (classification).
    pub fn probability(&self) -> Option<f64> {
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        self.probabilities.get(self.prediction.max(0.0) as usize).copied()
    }
}

/// A scored plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScoredPlan {
    /// The wanted outcome the flags are based on.
    pub want: Option<Want>,
    /// The wanted outcome in words.
    pub want_text: Option<String>,
    /// What the SHAP values explain.
    pub explained: Output,
    /// The plan's columns, in file order.
    pub input_columns: Vec<String>,
    /// Where each model feature's values came from, in model order: (feature, source).
    pub sources: Vec<(String, ColumnSource)>,
    /// Messages about the plan, its columns, rows and cells.
    pub messages: Vec<PlanMessage>,
    /// One entry per plan row.
    pub runs: Vec<ScoredRun>,
}

impl ScoredPlan {
    /// Number of flagged runs.
    pub fn flagged(&self) -> usize {
        self.runs.iter().filter(|r| r.flagged).count()
    }

    /// The scored plan as CSV: the plan's own columns, then `prediction`, `probability`,
    /// `risk_probability`, `flagged`, `reason_1…`, `in_envelope`, `counterfactual`,
    /// `counterfactual_prediction`, `counterfactual_cost`, `filled`, `notes`.
    pub fn to_csv(&self) -> String {
        let n_reasons = self.runs.iter().map(|r| r.reasons.len()).max().unwrap_or(0);
        let mut out = String::new();
        let mut header: Vec<String> = vec!["row".into()];
        header.extend(self.input_columns.iter().cloned());
        header.extend(["prediction", "probability", "risk_probability", "flagged"].map(String::from));
        header.extend((1..=n_reasons).map(|i| format!("reason_{i}")));
        header.extend(
            ["in_envelope", "counterfactual", "counterfactual_prediction", "counterfactual_cost", "filled", "notes"]
                .map(String::from),
        );
        out.push_str(&header.iter().map(|h| csv_field(h)).collect::<Vec<_>>().join(","));
        out.push('\n');
        let num = |v: Option<f64>| v.map(|v| format!("{v}")).unwrap_or_default();
        for r in &self.runs {
            let mut fields: Vec<String> = vec![r.row.to_string()];
            fields.extend(r.inputs.iter().cloned());
            fields.push(r.label.clone());
            fields.push(num(r.probability()));
            fields.push(num(r.risk));
            fields.push(r.flagged.to_string());
            for i in 0..n_reasons {
                fields.push(r.reasons.get(i).map(ToString::to_string).unwrap_or_default());
            }
            fields.push(r.in_envelope.to_string());
            match &r.counterfactual {
                Some(c) => {
                    fields.push(
                        c.changes
                            .iter()
                            .map(|ch| format!("{}={} (from {})", ch.name, ch.text, ch.from_text))
                            .collect::<Vec<_>>()
                            .join("; "),
                    );
                    fields.push(c.label.clone());
                    fields.push(format!("{:.4}", c.cost));
                }
                None => fields.extend([String::new(), String::new(), String::new()]),
            }
            fields.push(r.filled.join("; "));
            fields.push(r.notes.join("; "));
            out.push_str(&fields.iter().map(|f| csv_field(f)).collect::<Vec<_>>().join(","));
            out.push('\n');
        }
        out
    }
}

/// A scored plan as saved in the project file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SavedPlan {
    /// What the user calls it (the file name by default).
    pub name: String,
    /// The plan file.
    pub source: Option<std::path::PathBuf>,
    /// How it was scored.
    pub settings: PlanSettings,
    /// The result.
    pub scored: ScoredPlan,
}

/// A CSV field, quoted when it holds a comma, quote or line break.
fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) { format!("\"{}\"", s.replace('"', "\"\"")) } else { s.to_owned() }
}

/// Normalised name for forgiving matches.
fn loose(name: &str) -> String {
    name.trim().to_lowercase()
}

/// Which plan column feeds each of the model's features, as [`Planner::match_columns`] found.
struct PlanColumns<'a> {
    plan: &'a Dataset,
    /// The plan column of each feature, if any.
    of_feature: Vec<Option<usize>>,
    /// Features whose name resembles an unknown plan column: (feature, column name).
    hints: Vec<(usize, String)>,
}

impl PlanColumns<'_> {
    /// The plan column that feeds feature `j`, if any.
    fn column_of(&self, j: usize) -> Option<&Column> {
        self.of_feature.get(j).copied().flatten().and_then(|c| self.plan.columns.get(c))
    }
}

/// How a missing value is filled, in words.
fn fill_rule(kind: FeatureKind) -> &'static str {
    match kind {
        FeatureKind::Numeric => "training median",
        FeatureKind::Categorical => "most frequent training level",
    }
}

fn column_message(column: &str, text: String) -> PlanMessage {
    PlanMessage { row: None, column: Some(column.to_owned()), text }
}

impl Planner {
    /// Scores every run of a production plan (see the module documentation for how plans are
    /// read). Trees: milliseconds for hundreds of runs. SVMs: KernelSHAP and a counterfactual
    /// search per flagged run — a job.
    ///
    /// # Errors
    /// An empty plan, a plan with none of the model's features, a wanted outcome that does not
    /// fit the model, or a cancel. Everything else becomes a message and the run is scored.
    pub fn score_plan(&self, plan: &Dataset, settings: &PlanSettings, progress: &Progress) -> Result<ScoredPlan> {
        let model = self.model();
        if plan.n_rows() == 0 {
            return Err(Error::invalid("the plan has no runs (no data rows)"));
        }
        let want = settings.effective_want(self);
        if let Some(w) = &want {
            w.check(model)?;
        }
        let mut messages: Vec<PlanMessage> = plan
            .warnings
            .iter()
            .map(|w| PlanMessage { row: None, column: None, text: format!("reading the plan: {w}") })
            .collect();
        let columns = self.match_columns(plan, &mut messages)?;
        let sources = self.column_sources(&columns, &mut messages);
        let (raw, mut runs, mut cell_msgs) = self.read_cells(&columns);
        progress.check()?;
        self.check_runs(&raw, &columns, &mut runs, &mut cell_msgs);
        let explained = want.as_ref().map_or_else(|| self.output(), Want::output);
        self.predict_runs(&raw, &mut runs, want.as_ref(), explained, settings.reasons, &progress.sub(0.0, 0.5))?;
        if let (Some(want), true) = (&want, settings.counterfactuals) {
            let cf_progress = progress.sub(0.5, 1.0);
            self.propose_counterfactuals(&raw, &columns, &mut runs, want, settings, &mut messages, &cf_progress)?;
        }
        messages.extend(cell_msgs);
        progress.set(1.0);
        Ok(ScoredPlan {
            want_text: want.as_ref().map(|w| w.describe(model)),
            want,
            explained,
            input_columns: plan.columns.iter().map(|c| c.name.clone()).collect(),
            sources,
            messages,
            runs,
        })
    }

    /// Finds the plan column of each feature (by name, then ignoring case and spaces) and says
    /// what becomes of the other columns.
    fn match_columns<'a>(&self, plan: &'a Dataset, messages: &mut Vec<PlanMessage>) -> Result<PlanColumns<'a>> {
        let model = self.model();
        let specs = &model.pipeline.features;
        let mut of_feature: Vec<Option<usize>> =
            specs.iter().map(|spec| plan.columns.iter().position(|c| c.name == spec.name)).collect();
        for (j, spec) in specs.iter().enumerate() {
            if of_feature.get(j).is_none_or(Option::is_some) {
                continue;
            }
            let taken: Vec<usize> = of_feature.iter().flatten().copied().collect();
            if let Some((c, column)) =
                plan.columns.iter().enumerate().find(|(i, c)| !taken.contains(i) && loose(&c.name) == loose(&spec.name))
            {
                messages.push(column_message(
                    &column.name,
                    format!("read as the feature '{}' (the names differ in case or spaces)", spec.name),
                ));
                if let Some(slot) = of_feature.get_mut(j) {
                    *slot = Some(c);
                }
            }
        }
        let mut hints: Vec<(usize, String)> = Vec::new();
        for (i, c) in plan.columns.iter().enumerate() {
            if of_feature.contains(&Some(i)) {
                continue;
            }
            if c.name == model.target {
                messages.push(column_message(&c.name, "the model's target: carried over, not used for scoring".into()));
            } else if self.data_columns().contains(&c.name) {
                messages.push(column_message(&c.name, "not a feature of the model: carried over, not used".into()));
            } else {
                let hint = super::closest(&c.name, self.data_columns().iter().map(String::as_str));
                if let Some(h) = hint
                    && let Some(j) = specs.iter().position(|s| s.name == h)
                {
                    hints.push((j, c.name.clone()));
                }
                messages.push(column_message(
                    &c.name,
                    format!(
                        "unknown column: the training data has no column of this name{}; carried over, not used",
                        hint.map(|h| format!(" (closest: '{h}')")).unwrap_or_default()
                    ),
                ));
            }
        }
        if of_feature.iter().all(Option::is_none) {
            return Err(Error::invalid(format!(
                "the plan has none of the model's features ({}); its columns are {}",
                specs.iter().map(|s| format!("'{}'", s.name)).collect::<Vec<_>>().join(", "),
                plan.columns.iter().map(|c| format!("'{}'", c.name)).collect::<Vec<_>>().join(", ")
            )));
        }
        Ok(PlanColumns { plan, of_feature, hints })
    }

    /// Where each feature's values come from: a plan column, or the training fill for every run.
    fn column_sources(
        &self,
        columns: &PlanColumns<'_>,
        messages: &mut Vec<PlanMessage>,
    ) -> Vec<(String, ColumnSource)> {
        let specs = &self.model().pipeline.features;
        specs
            .iter()
            .enumerate()
            .map(|(j, s)| {
                let source = match columns.column_of(j) {
                    Some(c) => ColumnSource::Column { column: c.name.clone() },
                    None => {
                        let text = s.format_value(s.fill);
                        let mut note = format!(
                            "the plan has no column for this feature: every run uses the {}, {text}",
                            fill_rule(s.kind)
                        );
                        if let Some((_, col)) = columns.hints.iter().find(|(k, _)| *k == j) {
                            let _ = write!(note, " (the plan's column '{col}' looks like it: rename it to use it)");
                        }
                        messages.push(column_message(&s.name, note));
                        ColumnSource::Filled { value: s.fill, text, rule: fill_rule(s.kind).to_owned() }
                    }
                };
                (s.name.clone(), source)
            })
            .collect()
    }

    /// The runs' values, cell by cell, missing and unreadable cells filled as the model fills
    /// them, with a message for each.
    fn read_cells(&self, columns: &PlanColumns<'_>) -> (Matrix, Vec<ScoredRun>, Vec<PlanMessage>) {
        let specs = &self.model().pipeline.features;
        let plan = columns.plan;
        let n = plan.n_rows();
        let mut raw = Matrix::zeros(n, specs.len());
        let mut runs: Vec<ScoredRun> = (0..n)
            .map(|r| ScoredRun {
                row: r,
                inputs: plan.columns.iter().map(|c| c.display_value(r)).collect(),
                values: Vec::new(),
                filled: Vec::new(),
                prediction: f64::NAN,
                label: String::new(),
                probabilities: Vec::new(),
                risk: None,
                flagged: false,
                reasons: Vec::new(),
                in_envelope: true,
                counterfactual: None,
                notes: Vec::new(),
            })
            .collect();
        let mut cell_msgs: Vec<PlanMessage> = Vec::new();
        for (j, spec) in specs.iter().enumerate() {
            let column = columns.column_of(j);
            for (r, run) in runs.iter_mut().enumerate() {
                let (v, note) = match column {
                    None => (f64::NAN, None),
                    Some(c) => cell_value(spec, c, r),
                };
                let v = if v.is_nan() {
                    let fill_text = spec.format_value(spec.fill);
                    run.filled.push(format!("{}={fill_text} ({})", spec.name, fill_rule(spec.kind)));
                    if let Some(c) = column {
                        let why = note.clone().unwrap_or_else(|| "the cell is empty".into());
                        cell_msgs.push(PlanMessage {
                            row: Some(r),
                            column: Some(c.name.clone()),
                            text: format!("{why}; filled with the {}, {fill_text}", fill_rule(spec.kind)),
                        });
                    }
                    spec.fill
                } else {
                    if let (Some(text), Some(c)) = (note, column) {
                        cell_msgs.push(PlanMessage { row: Some(r), column: Some(c.name.clone()), text });
                    }
                    v
                };
                raw.set(r, j, v);
            }
        }
        (raw, runs, cell_msgs)
    }

    /// Checks each run against the training envelope and notes what lies outside it.
    fn check_runs(
        &self,
        raw: &Matrix,
        columns: &PlanColumns<'_>,
        runs: &mut [ScoredRun],
        cell_msgs: &mut Vec<PlanMessage>,
    ) {
        let specs = &self.model().pipeline.features;
        for (r, run) in runs.iter_mut().enumerate() {
            let values = raw.row(r).to_vec();
            let check = self.check_envelope(&values);
            run.in_envelope = check.in_envelope;
            for issue in &check.out_of_range {
                let column = columns.column_of(issue.feature).map(|c| c.name.clone());
                let spec = specs.get(issue.feature);
                if spec.is_some_and(|s| s.kind == FeatureKind::Categorical) {
                    continue; // Reported when the cell was read.
                }
                cell_msgs.push(PlanMessage {
                    row: Some(r),
                    column,
                    text: format!("{}; the prediction is an extrapolation", issue.describe(spec)),
                });
            }
            if !check.near_training {
                cell_msgs.push(PlanMessage {
                    row: Some(r),
                    column: None,
                    text: format!(
                        "the combination of values is unlike the training rows (distance {:.2}; 99 % of training rows \
                         lie within {:.2}); treat the prediction as a guess",
                        check.distance, check.threshold
                    ),
                });
            }
            run.values = values;
        }
        for m in cell_msgs.iter() {
            if let Some(run) = m.row.and_then(|r| runs.get_mut(r)) {
                run.notes.push(m.column.as_ref().map_or_else(|| m.text.clone(), |c| format!("'{c}': {}", m.text)));
            }
        }
    }

    /// Predictions, flags and the strongest reasons (SHAP values of `explained`) of every run.
    fn predict_runs(
        &self,
        raw: &Matrix,
        runs: &mut [ScoredRun],
        want: Option<&Want>,
        explained: Output,
        n_reasons: usize,
        progress: &Progress,
    ) -> Result<()> {
        let model = self.model();
        let specs = &model.pipeline.features;
        let preds = model.predict(raw);
        let (_, shap) = self.attributions(raw, explained, progress)?;
        for (r, (run, p)) in runs.iter_mut().zip(&preds).enumerate() {
            run.prediction = p.value;
            run.label = model.format_prediction(p.value);
            run.probabilities.clone_from(&p.probabilities);
            if let Some(Want::ProbabilityBelow { class, .. }) = want {
                run.risk = p.probabilities.get(*class).copied();
            }
            run.flagged = want.is_some_and(|w| !w.satisfied(p));
            let phi = shap.row(r);
            // (feature, SHAP value), largest magnitude first.
            let mut order: Vec<(usize, f64)> = phi.iter().copied().enumerate().collect();
            order.sort_by(|a, b| b.1.abs().total_cmp(&a.1.abs()).then(a.0.cmp(&b.0)));
            run.reasons = order
                .into_iter()
                .take(n_reasons)
                .filter_map(|(j, contribution)| {
                    Some(Reason {
                        feature: j,
                        name: specs.get(j)?.name.clone(),
                        value: self.format_value(j, *run.values.get(j)?),
                        contribution,
                    })
                })
                .collect();
        }
        Ok(())
    }

    /// The cheapest change that would give each flagged run the wanted outcome, varying the
    /// features the plan sets (or those the settings name).
    #[allow(clippy::too_many_arguments)] // the phases of one computation, passed on
    fn propose_counterfactuals(
        &self,
        raw: &Matrix,
        columns: &PlanColumns<'_>,
        runs: &mut [ScoredRun],
        want: &Want,
        settings: &PlanSettings,
        messages: &mut Vec<PlanMessage>,
        progress: &Progress,
    ) -> Result<()> {
        let model = self.model();
        let specs = &model.pipeline.features;
        let flagged: Vec<usize> = runs.iter().filter(|r| r.flagged).map(|r| r.row).collect();
        let mut constraints = settings.constraints.clone();
        if constraints.vary.is_none() {
            constraints.vary = Some(
                specs
                    .iter()
                    .enumerate()
                    .filter(|(j, _)| columns.of_feature.get(*j).is_some_and(Option::is_some))
                    .map(|(_, s)| s.name.clone())
                    .collect(),
            );
        }
        let template = self.scenario("plan", Origin::PlanRun { row: 0 }, raw.row(0));
        if let Err(e) = template.clone().constrain(model, &constraints) {
            messages.push(PlanMessage { row: None, column: None, text: format!("no counterfactuals proposed: {e}") });
            return Ok(());
        }
        let options = CounterfactualOptions { count: 1, ..settings.search };
        for (k, &r) in flagged.iter().enumerate() {
            let mut scenario = template.clone();
            scenario.name = format!("plan row {r}");
            scenario.origin = Origin::PlanRun { row: r };
            scenario.set_values(raw.row(r));
            scenario.constrain(model, &constraints)?;
            let result = self.counterfactuals(&scenario, want, &options, &Progress::new());
            progress.check()?;
            progress.set_count(k + 1, flagged.len());
            let Some(run) = runs.get_mut(r) else { continue };
            match result {
                Ok(cf) => match cf.found.into_iter().next() {
                    Some(c) => run.counterfactual = Some(c),
                    None => run.notes.push(match cf.status {
                        CfStatus::Impossible | CfStatus::NoneWithinBounds => cf.message,
                        _ => format!("no counterfactual: {}", cf.message),
                    }),
                },
                Err(e) if e.is_cancelled() => return Err(e),
                Err(e) => run.notes.push(format!("no counterfactual: {e}")),
            }
        }
        Ok(())
    }
}

/// The raw value of a plan cell for a feature, and a note when it needed help (`NaN` when it
/// must be filled).
fn cell_value(spec: &crate::model::pipeline::FeatureSpec, c: &Column, row: usize) -> (f64, Option<String>) {
    let v = c.values.get(row).copied().unwrap_or(f64::NAN);
    if v.is_nan() {
        return (f64::NAN, None);
    }
    match spec.kind {
        FeatureKind::Numeric => {
            if !c.kind.has_levels() {
                return (v, None);
            }
            let text = c.level(v).unwrap_or_default();
            match parse_number(text) {
                Some(x) => (x, None),
                None => (f64::NAN, Some(format!("'{text}' is not a number"))),
            }
        }
        FeatureKind::Categorical => {
            let text = c.format_value(v);
            if let Some(k) = spec.levels.iter().position(|l| *l == text) {
                return (k as f64, None);
            }
            if let Some(k) = spec.levels.iter().position(|l| l.eq_ignore_ascii_case(text.trim())) {
                return (k as f64, None);
            }
            (
                -1.0,
                Some(format!(
                    "level '{text}' was never seen in training (levels: {}); the model treats it as none of them",
                    spec.levels.join(", ")
                )),
            )
        }
    }
}
