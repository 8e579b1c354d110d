//! Counterfactuals: the smallest changes of the controllable features, within their bounds and
//! steps, that make the model give a wanted outcome.
//!
//! The cost of a change follows Wachter, Mittelstadt & Russell 2017 ("Counterfactual
//! explanations without opening the black box", eq. 2–3): the L1 distance with every feature
//! divided by its median absolute deviation over the training rows, here also multiplied by a
//! per-feature weight; changing a category costs its weight. Candidates are ranked by the
//! number of features changed first and the cost second, because a plant engineer would rather
//! turn one knob a little further than three knobs a little.
//!
//! - **Trees** (exact): every leaf is a box in raw feature space (see `regions.rs`). For each
//!   leaf whose prediction is wanted the row is projected onto the box — each feature that
//!   violates the box moves to the nearest settable value inside it, which is the optimum of a
//!   separable L1 cost — or the leaf is ruled out when a fixed feature or a bound is in the
//!   way. The best over all leaves is the global optimum on the step grid, and when no leaf
//!   can be reached the answer says so, with the features that block most often.
//! - **Other models**: a seeded, bounded search (`search.rs`).
//!
//! Up to K counterfactuals are returned, chosen greedily for diversity in the spirit of `DiCE`
//! (Mothilal, Sharma & Tan 2020): in rank order, a candidate is kept when it changes a
//! different set of features than every one kept before or lies at least one scale unit away
//! from each of them; if that leaves fewer than K, the next best distinct ones fill up.
//!
//! Every counterfactual returned is checked by running the model on it, and its values are
//! on the features' step grids and print as the decimals they are, so typing them back
//! (`glassbox whatif --set`) gives the same prediction.

// `Planner::counterfactuals` checks the scenario against the model first (`Scenario::validate`: one
// setting per model feature), so rows, domains, region constraints and the block counters all
// have one entry per feature, and changed features are indices into them.
#![allow(clippy::indexing_slicing)]

use serde::{Deserialize, Serialize};

use super::Want;
use super::regions::{Constraint, Region, level_index};
use super::scenario::Scenario;
use super::search;
use super::whatif::Planner;
use crate::error::Result;
use crate::model::pipeline::FeatureKind;
use crate::progress::Progress;

/// How counterfactuals are found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CfMethod {
    /// Exact regions for trees, the seeded search otherwise.
    #[default]
    Auto,
    /// Projection onto the tree's leaf boxes (trees only).
    TreeRegions,
    /// The seeded search (any model).
    Search,
}

/// Settings of a counterfactual search.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct CounterfactualOptions {
    /// Most counterfactuals returned.
    pub count: usize,
    /// How to find them.
    pub method: CfMethod,
    /// Most model evaluations the search may spend (the search stops there and reports what it
    /// found).
    pub max_evaluations: usize,
    /// Seed of the search.
    pub seed: u64,
}

impl Default for CounterfactualOptions {
    fn default() -> Self {
        Self { count: 3, method: CfMethod::Auto, max_evaluations: 20_000, seed: 0 }
    }
}

/// One changed feature.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change {
    /// The feature (model order).
    pub feature: usize,
    /// Its name.
    pub name: String,
    /// The value before (`NaN` when it was missing).
    #[serde(with = "super::nan")]
    pub from: f64,
    /// The value before as people read it ("missing" when it was).
    pub from_text: String,
    /// The value after.
    pub to: f64,
    /// The value after as people type it (a level name for a category).
    pub text: String,
}

/// A set of changes that reaches the wanted outcome.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Counterfactual {
    /// The whole raw row after the changes (`NaN` where a value is missing and unchanged).
    #[serde(with = "super::nan_vec")]
    pub values: Vec<f64>,
    /// The changed features, in model order.
    pub changes: Vec<Change>,
    /// The model's prediction for it (class index or value).
    #[serde(with = "super::nan")]
    pub prediction: f64,
    /// The prediction as text (class name or value).
    pub label: String,
    /// Class probabilities (empty for regression).
    pub probabilities: Vec<f64>,
    /// Weighted, MAD-normalised L1 distance from the original row.
    pub cost: f64,
    /// Whether the changed row is inside the training envelope.
    pub in_envelope: bool,
}

/// How a search ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CfStatus {
    /// At least one counterfactual was found.
    Found,
    /// The row already gives the wanted outcome; nothing to change.
    AlreadyWanted,
    /// None within the bounds (exact for trees; for other models: none found within the
    /// evaluation budget).
    NoneWithinBounds,
    /// The model gives the wanted outcome nowhere (trees).
    Impossible,
}

/// The answer of [`Planner::counterfactuals`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Counterfactuals {
    /// What was wanted.
    pub want: Want,
    /// How the search ended.
    pub status: CfStatus,
    /// How they were found ([`CfMethod::TreeRegions`] or [`CfMethod::Search`]).
    pub method: CfMethod,
    /// True when the first one is provably the cheapest (tree regions).
    pub exact: bool,
    /// The counterfactuals, cheapest first.
    pub found: Vec<Counterfactual>,
    /// Model evaluations spent.
    pub evaluations: usize,
    /// A sentence for people saying what happened.
    pub message: String,
}

/// A candidate before it is checked: the new row and its rank.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Candidate {
    pub values: Vec<f64>,
    pub changed: Vec<usize>,
    pub cost: f64,
}

/// The cost of moving from `x0` (filled in) to `x` and the features changed.
pub(crate) fn cost(planner: &Planner, scenario: &Scenario, x0: &[f64], x: &[f64]) -> (f64, Vec<usize>) {
    let mut total = 0.0;
    let mut changed = Vec::new();
    for (j, d) in planner.domains().iter().enumerate() {
        let (a, b) = (x0[j], x[j]);
        if a == b || (a.is_nan() && b.is_nan()) {
            continue;
        }
        changed.push(j);
        let w = scenario.features.get(j).map_or(1.0, |f| f.weight);
        total += match d.kind {
            FeatureKind::Categorical => w,
            FeatureKind::Numeric => w * (a - b).abs() / d.scale,
        };
    }
    (total, changed)
}

/// Normalised L1 distance between two rows (for diversity).
fn spread(planner: &Planner, a: &[f64], b: &[f64]) -> f64 {
    planner
        .domains()
        .iter()
        .enumerate()
        .map(|(j, d)| match d.kind {
            FeatureKind::Categorical => f64::from(u8::from(a[j] != b[j])),
            FeatureKind::Numeric => (a[j] - b[j]).abs() / d.scale,
        })
        .sum()
}

/// Sorts candidates by (features changed, cost), drops repeats and picks up to `k` diverse ones.
pub(crate) fn select(planner: &Planner, mut cands: Vec<Candidate>, k: usize) -> Vec<Candidate> {
    cands.sort_by(|a, b| a.changed.len().cmp(&b.changed.len()).then(a.cost.total_cmp(&b.cost)));
    cands.dedup_by(|a, b| a.values == b.values);
    let mut chosen: Vec<Candidate> = Vec::new();
    let mut used = vec![false; cands.len()];
    for (i, c) in cands.iter().enumerate() {
        if chosen.len() >= k {
            break;
        }
        let diverse = chosen.iter().all(|s| s.changed != c.changed || spread(planner, &s.values, &c.values) >= 1.0);
        if diverse {
            chosen.push(c.clone());
            used[i] = true;
        }
    }
    for (i, c) in cands.iter().enumerate() {
        if chosen.len() >= k {
            break;
        }
        if !used[i] {
            chosen.push(c.clone());
        }
    }
    chosen.sort_by(|a, b| a.changed.len().cmp(&b.changed.len()).then(a.cost.total_cmp(&b.cost)));
    chosen
}

/// Why a region could not be reached.
enum Blocked {
    /// A fixed feature would have to change.
    Fixed(usize),
    /// A controllable feature would have to leave its bounds (or levels).
    Bounds(usize),
}

/// Projects filled-in row `x0` onto a region, changing only controllable features within
/// bounds and steps.
fn project(planner: &Planner, scenario: &Scenario, x0: &[f64], region: &Region) -> Result<Vec<f64>, Blocked> {
    let mut x = x0.to_vec();
    for (j, c) in region.constraints.iter().enumerate() {
        if c.contains(x0[j]) {
            continue;
        }
        let Some(setting) = scenario.features.get(j) else { return Err(Blocked::Fixed(j)) };
        if !setting.controllable {
            return Err(Blocked::Fixed(j));
        }
        let scale = planner.domains().get(j).map_or(1.0, |d| d.scale);
        let axis = setting.axis(scale);
        x[j] = match c {
            Constraint::Interval { above, at_most } => {
                let v = if x0[j] > *at_most { axis.at_most(*at_most) } else { axis.above(*above) };
                match v {
                    Some(v) if c.contains(v) => v,
                    _ => return Err(Blocked::Bounds(j)),
                }
            }
            Constraint::Levels { allowed, .. } => {
                let level = allowed
                    .iter()
                    .enumerate()
                    .find(|&(k, &a)| a && setting.allows_level(k) && level_index(x0[j], allowed.len()) != Some(k));
                match level {
                    Some((k, _)) => k as f64,
                    None => return Err(Blocked::Bounds(j)),
                }
            }
        };
    }
    Ok(x)
}

impl Planner {
    /// The counterfactual a candidate describes, checked with the model: `None` when the model
    /// does not give the wanted outcome there.
    fn confirm(&self, c: &Candidate, values: &[f64], want: &Want) -> Option<Counterfactual> {
        let mut row = values.to_vec();
        for &j in &c.changed {
            row[j] = c.values[j];
        }
        let p = self.predict(&row);
        if !want.satisfied(&p) {
            return None;
        }
        let changes = c
            .changed
            .iter()
            .map(|&j| Change {
                feature: j,
                name: self.domains()[j].name.clone(),
                from: values[j],
                from_text: self.format_value(j, values[j]),
                to: row[j],
                text: self.format_value(j, row[j]),
            })
            .collect();
        let in_envelope = self.check_envelope(&row).in_envelope;
        Some(Counterfactual {
            label: self.model().format_prediction(p.value),
            prediction: p.value,
            probabilities: p.probabilities,
            values: row,
            changes,
            cost: c.cost,
            in_envelope,
        })
    }

    /// Up to `options.count` diverse counterfactuals for a scenario: the cheapest changes of its
    /// controllable features (within their bounds and steps) that make the model give `want`.
    /// Trees: exact and fast (microseconds per leaf). Other models: a seeded search of at most
    /// `options.max_evaluations` model calls (a job; it reports progress and stops on cancel).
    ///
    /// # Errors
    /// A wanted outcome that does not fit the model, contradictory bounds in the scenario, the
    /// tree method asked of a non-tree model, or a cancel.
    pub fn counterfactuals(
        &self,
        scenario: &Scenario,
        want: &Want,
        options: &CounterfactualOptions,
        progress: &Progress,
    ) -> Result<Counterfactuals> {
        let model = self.model();
        want.check(model)?;
        scenario.validate(model)?;
        let use_tree = match options.method {
            CfMethod::Auto => model.tree().is_some(),
            CfMethod::TreeRegions => {
                if model.tree().is_none() {
                    return Err(crate::Error::invalid("exact tree regions need a tree model; use the search"));
                }
                true
            }
            CfMethod::Search => false,
        };
        let method = if use_tree { CfMethod::TreeRegions } else { CfMethod::Search };
        let values = scenario.values();
        let x0 = self.filled(&values);
        let now = self.predict(&values);
        let describe = want.describe(model);
        let mut result = Counterfactuals {
            want: want.clone(),
            status: CfStatus::Found,
            method,
            exact: use_tree,
            found: Vec::new(),
            evaluations: 1,
            message: String::new(),
        };
        if want.satisfied(&now) {
            result.status = CfStatus::AlreadyWanted;
            result.message = format!(
                "the model already predicts {describe} here ({}); nothing to change",
                model.format_prediction(now.value)
            );
            return Ok(result);
        }
        if !scenario.features.iter().any(|f| f.controllable) {
            result.status = CfStatus::NoneWithinBounds;
            result.message = "no feature is marked controllable, so nothing may change".into();
            return Ok(result);
        }
        let candidates = if use_tree {
            match self.tree_candidates(scenario, want, &x0) {
                Ok(c) => c,
                Err((status, message)) => {
                    result.status = status;
                    result.message = message;
                    return Ok(result);
                }
            }
        } else {
            let (c, evaluations) = search::search(self, scenario, want, &x0, options, progress)?;
            result.evaluations += evaluations;
            c
        };
        let chosen = select(self, candidates, options.count.max(1));
        for c in chosen {
            result.evaluations += 1;
            // A region edge the floating-point encoding sees differently gives none: skipped.
            result.found.extend(self.confirm(&c, &values, want));
        }
        if result.found.is_empty() {
            result.status = CfStatus::NoneWithinBounds;
            result.message = if use_tree {
                format!("no change of the controllable features within their bounds gives {describe}")
            } else {
                format!(
                    "no change of {} within their bounds giving {describe} was found in {} model evaluations; \
                     it may not exist: widen the bounds, vary more features or raise the budget",
                    scenario.controllable().join(", "),
                    result.evaluations
                )
            };
        } else {
            result.message = format!(
                "{} change{} giving {describe}{}",
                result.found.len(),
                if result.found.len() == 1 { "" } else { "s" },
                if use_tree { " (exact: the first is the cheapest possible)" } else { " (seeded search)" }
            );
        }
        Ok(result)
    }

    /// Exact candidates from the tree's leaf boxes, or why there are none.
    fn tree_candidates(
        &self,
        scenario: &Scenario,
        want: &Want,
        x0: &[f64],
    ) -> Result<Vec<Candidate>, (CfStatus, String)> {
        let model = self.model();
        let describe = want.describe(model);
        let wanted: Vec<&Region> = self.regions.iter().filter(|r| want.satisfied(&r.prediction)).collect();
        if wanted.is_empty() {
            let detail = match model.task {
                crate::model::Task::Regression => {
                    let (lo, hi) = self
                        .regions
                        .iter()
                        .map(|r| r.prediction.value)
                        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| (a.min(v), b.max(v)));
                    format!(
                        "its predictions range from {} to {}",
                        model.format_prediction(lo),
                        model.format_prediction(hi)
                    )
                }
                crate::model::Task::Classification => "no leaf of the tree gives it".to_owned(),
            };
            return Err((CfStatus::Impossible, format!("the model predicts {describe} for no input at all: {detail}")));
        }
        let mut fixed_blocks = vec![0usize; x0.len()];
        let mut bound_blocks = vec![0usize; x0.len()];
        let mut out = Vec::new();
        for region in &wanted {
            match project(self, scenario, x0, region) {
                Ok(x) => {
                    let (c, changed) = cost(self, scenario, x0, &x);
                    out.push(Candidate { values: x, changed, cost: c });
                }
                Err(Blocked::Fixed(j)) => fixed_blocks[j] += 1,
                Err(Blocked::Bounds(j)) => bound_blocks[j] += 1,
            }
        }
        if out.is_empty() {
            let name = |j: usize| self.domains()[j].name.clone();
            let mut reasons: Vec<(usize, String)> = Vec::new();
            for j in 0..x0.len() {
                if fixed_blocks[j] > 0 {
                    reasons.push((fixed_blocks[j], format!("a change of the fixed feature '{}'", name(j))));
                }
                if bound_blocks[j] > 0 {
                    reasons.push((bound_blocks[j], format!("'{}' outside its bounds", name(j))));
                }
            }
            reasons.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
            let why: Vec<String> = reasons.iter().take(3).map(|(n, r)| format!("{r} ({n} of them)")).collect();
            return Err((
                CfStatus::NoneWithinBounds,
                format!(
                    "no change of the controllable features ({}) within their bounds gives {describe}: \
                     each of the {} regions where the model predicts it needs {}",
                    scenario.controllable().join(", "),
                    wanted.len(),
                    why.join(", or ")
                ),
            ));
        }
        Ok(out)
    }
}
