//! Planning with a trained model: what-if scenarios, sweeps, counterfactuals, operating windows
//! and scoring a production plan — what an engineer wants to know *before* changing a setpoint
//! or running a plan.
//!
//! Everything starts from a [`Planner`]: the model together with what was learnt about its
//! training rows (per-feature ranges, resolutions and scales, the multivariate envelope, the
//! SHAP background). Building one takes a few tens of milliseconds and belongs in a job; after
//! that:
//!
//! - [`Planner::what_if_fast`] (prediction, envelope and, for trees, exact TreeSHAP) costs
//!   microseconds and can follow a slider every frame; [`Planner::what_if`] adds KernelSHAP for
//!   other models (milliseconds: run it as a job and show the last finished result);
//! - [`Planner::sweep`] is one feature's ICE curve, [`Planner::heatmap`] two features';
//! - [`Planner::counterfactuals`] finds up to K diverse changes that reach a [`Want`]ed outcome
//!   (exact on trees, a seeded bounded search otherwise);
//! - [`Planner::operating_window`] is the box of setpoints in which the wanted outcome holds;
//! - [`Planner::score_plan`] scores every run of a production plan.
//!
//! Rows are in the model's *raw feature space* (see [`crate::model::pipeline`]): one value per
//! feature, categories as the index of their level, `NaN` for missing.

mod counterfactual;
mod envelope;
mod regions;
mod scenario;
mod score;
mod search;
mod sweep;
mod whatif;
mod window;

use serde::{Deserialize, Serialize};

pub use counterfactual::{CfMethod, CfStatus, Change, Counterfactual, CounterfactualOptions, Counterfactuals};
pub use envelope::{Envelope, EnvelopeCheck, RangeIssue};
pub use scenario::{Bound, Constraints, FeatureSetting, Origin, Scenario};
pub use score::{ColumnSource, PlanMessage, PlanSettings, Reason, SavedPlan, ScoredPlan, ScoredRun};
pub use sweep::{Heatmap, Sweep};
pub use whatif::{Attribution, FeatureDomain, Planner, PlannerOptions, WhatIf};
pub(crate) use whatif::{fill_missing, training_envelope};
pub use window::{OperatingWindow, WindowLimit, WindowOptions};

use crate::error::{Error, Result};
use crate::model::{Prediction, Task, TrainedModel};

/// The outcome a counterfactual, an operating window or a plan's risk flag aims for.
///
/// On the command line (`--want`): a class name (or index) for a classifier; for a regression
/// model a bound on the predicted value, `<=42.5`, `>=450` or `430..450` (both ends included).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Want {
    /// The model predicts this class (by index into the model's classes).
    Class {
        /// The class index.
        class: usize,
    },
    /// The probability of this class stays strictly below `limit` (a run stops being flagged
    /// as risky).
    ProbabilityBelow {
        /// The class index (the unwanted class, such as "failure").
        class: usize,
        /// The probability it must stay below.
        limit: f64,
    },
    /// The predicted value lies within `[min, max]` (either end open when `None`).
    Value {
        /// Smallest wanted value.
        min: Option<f64>,
        /// Largest wanted value.
        max: Option<f64>,
    },
}

impl Want {
    /// Reads a wanted outcome as typed on the command line (see the type's documentation).
    ///
    /// # Errors
    /// A class the model does not have, a bound that is not a number, contradictory bounds
    /// (`500..450`) or a bound given to a classifier.
    pub fn parse(model: &TrainedModel, text: &str) -> Result<Self> {
        let t = text.trim();
        match model.task {
            Task::Classification => {
                if let Some(c) = model.classes.iter().position(|c| c == t) {
                    return Ok(Self::Class { class: c });
                }
                if let Some(c) = t.parse::<usize>().ok().filter(|&c| c < model.classes.len()) {
                    return Ok(Self::Class { class: c });
                }
                let hint = closest(t, model.classes.iter().map(String::as_str))
                    .map(|c| format!("; did you mean '{c}'?"))
                    .unwrap_or_default();
                Err(Error::invalid(format!(
                    "the model has no class '{t}' (classes: {}){hint}",
                    model.classes.join(", ")
                )))
            }
            Task::Regression => {
                let number = |s: &str| -> Result<f64> {
                    let s = s.trim();
                    s.parse::<f64>()
                        .ok()
                        .filter(|v| v.is_finite())
                        .ok_or_else(|| Error::invalid(format!("'{s}' in the wanted outcome '{t}' is not a number")))
                };
                let want = if let Some(rest) = t.strip_prefix("<=") {
                    Self::Value { min: None, max: Some(number(rest)?) }
                } else if let Some(rest) = t.strip_prefix(">=") {
                    Self::Value { min: Some(number(rest)?), max: None }
                } else if let Some((a, b)) = t.split_once("..") {
                    Self::Value { min: Some(number(a)?), max: Some(number(b)?) }
                } else if t.starts_with('<') || t.starts_with('>') {
                    return Err(Error::invalid(format!(
                        "write the wanted outcome '{t}' with <= or >= (bounds are inclusive), for example '<=42.5'"
                    )));
                } else {
                    return Err(Error::invalid(format!(
                        "'{t}' is not a wanted value for a regression model; write a bound: '<=42.5', '>=450' or '430..450'"
                    )));
                };
                want.check(model)?;
                Ok(want)
            }
        }
    }

    /// Checks the outcome fits the model: a class it has, a probability limit in (0, 1],
    /// bounds in order.
    ///
    /// # Errors
    /// A message naming what does not fit.
    pub fn check(&self, model: &TrainedModel) -> Result<()> {
        match (self, model.task) {
            (Self::Class { class } | Self::ProbabilityBelow { class, .. }, Task::Classification)
                if *class >= model.classes.len() =>
            {
                Err(Error::invalid(format!(
                    "class {class} does not exist; the model has {} classes ({})",
                    model.classes.len(),
                    model.classes.join(", ")
                )))
            }
            (Self::ProbabilityBelow { limit, .. }, Task::Classification) if !(*limit > 0.0 && *limit <= 1.0) => {
                Err(Error::invalid(format!("a probability limit must lie in (0, 1], not {limit}")))
            }
            (Self::Class { .. } | Self::ProbabilityBelow { .. }, Task::Classification) => Ok(()),
            (Self::Value { min, max }, Task::Regression) => match (min, max) {
                (None, None) => Err(Error::invalid("a wanted value needs at least one bound")),
                (Some(a), Some(b)) if a > b => Err(Error::invalid(format!(
                    "contradictory wanted outcome: the lower bound {a} is above the upper bound {b}"
                ))),
                _ => Ok(()),
            },
            (Self::Value { .. }, Task::Classification) => Err(Error::invalid(format!(
                "this model predicts a class ({}), so the wanted outcome is a class name, not a value bound",
                model.classes.join(", ")
            ))),
            (_, Task::Regression) => {
                Err(Error::invalid("this model predicts a number, so the wanted outcome is a bound such as '<=42.5'"))
            }
        }
    }

    /// True when a prediction reaches the outcome.
    pub fn satisfied(&self, p: &Prediction) -> bool {
        match self {
            #[allow(clippy::cast_precision_loss)]
            Self::Class { class } => p.value == *class as f64,
            Self::ProbabilityBelow { class, limit } => p.probabilities.get(*class).is_some_and(|q| q < limit),
            Self::Value { min, max } => {
                !p.value.is_nan() && min.is_none_or(|m| p.value >= m) && max.is_none_or(|m| p.value <= m)
            }
        }
    }

    /// A short description for people: `Machine failure = 0`, `P(Machine failure = 1) < 0.5`,
    /// `PE <= 440`.
    pub fn describe(&self, model: &TrainedModel) -> String {
        let class = |c: usize| model.classes.get(c).cloned().unwrap_or_else(|| c.to_string());
        match self {
            Self::Class { class: c } => format!("{} = {}", model.target, class(*c)),
            Self::ProbabilityBelow { class: c, limit } => format!("P({} = {}) < {limit}", model.target, class(*c)),
            Self::Value { min: Some(a), max: Some(b) } => format!("{a} <= {} <= {b}", model.target),
            Self::Value { min: Some(a), max: None } => format!("{} >= {a}", model.target),
            Self::Value { min: None, max: Some(b) } => format!("{} <= {b}", model.target),
            Self::Value { min: None, max: None } => format!("any {}", model.target),
        }
    }

    /// The model output that shows progress toward this outcome (what SHAP and sweeps explain).
    pub fn output(&self) -> crate::model::Output {
        match self {
            Self::Class { class } | Self::ProbabilityBelow { class, .. } => crate::model::Output::Probability(*class),
            Self::Value { .. } => crate::model::Output::Value,
        }
    }
}

pub use crate::model::train::closest;

/// Values a setpoint can take: `[lower, upper]` on a grid of `step` (0: continuous, where
/// values are rounded to the shortest decimal within a thousandth of `scale`). Every value it
/// returns is exactly representable as the decimal it prints as, so typing it back (`--set`)
/// gives the same number.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Axis {
    pub lower: f64,
    pub upper: f64,
    pub step: f64,
    pub scale: f64,
}

/// Decimal places of a decimal step (0.1 → 1, 5 → 0), `None` for steps such as 1/3.
fn step_decimals(step: f64) -> Option<i32> {
    (0..=9).find(|&d| {
        let s = step * 10f64.powi(d);
        (s - s.round()).abs() <= 1e-9 * s.abs().max(1.0)
    })
}

impl Axis {
    /// The `k`-th multiple of the step, built as integer / power of ten so that it prints as
    /// the decimal it means.
    fn multiple(&self, k: f64) -> f64 {
        match step_decimals(self.step) {
            Some(d) => {
                let p = 10f64.powi(d);
                k * (self.step * p).round() / p
            }
            None => k * self.step,
        }
    }

    fn tolerance(&self) -> f64 {
        let t = 1e-3 * self.scale.abs();
        if t > 0.0 && t.is_finite() { t } else { 1e-6 }
    }

    /// The largest settable value `<= limit` within the bounds.
    pub fn at_most(&self, limit: f64) -> Option<f64> {
        let limit = limit.min(self.upper);
        let v = if self.step > 0.0 {
            let k = (limit / self.step).floor();
            [k + 1.0, k, k - 1.0].into_iter().map(|k| self.multiple(k)).find(|&v| v <= limit)?
        } else {
            let tol = self.tolerance();
            (0..=12)
                .map(|d| {
                    let p = 10f64.powi(d);
                    (limit * p).floor() / p
                })
                .find(|&v| v <= limit && limit - v <= tol)
                .unwrap_or(limit)
        };
        (v >= self.lower).then_some(v)
    }

    /// The smallest settable value `> limit` (strictly) within the bounds.
    pub fn above(&self, limit: f64) -> Option<f64> {
        let v = if self.step > 0.0 {
            let k = (limit / self.step).floor();
            [k, k + 1.0, k + 2.0].into_iter().map(|k| self.multiple(k)).find(|&v| v > limit)?
        } else {
            let tol = self.tolerance();
            (0..=12)
                .map(|d| {
                    let p = 10f64.powi(d);
                    ((limit * p).floor() + 1.0) / p
                })
                .find(|&v| v > limit && v - limit <= tol)
                .unwrap_or(limit + tol)
        };
        let v = if v < self.lower { self.at_least(self.lower)? } else { v };
        (v <= self.upper && v > limit).then_some(v)
    }

    /// The smallest settable value `>= limit` within the bounds.
    pub fn at_least(&self, limit: f64) -> Option<f64> {
        let limit = limit.max(self.lower);
        let v = if self.step > 0.0 {
            let k = (limit / self.step).ceil();
            [k - 1.0, k, k + 1.0].into_iter().map(|k| self.multiple(k)).find(|&v| v >= limit)?
        } else {
            let tol = self.tolerance();
            (0..=12)
                .map(|d| {
                    let p = 10f64.powi(d);
                    (limit * p).ceil() / p
                })
                .find(|&v| v >= limit && v - limit <= tol)
                .unwrap_or(limit)
        };
        (v <= self.upper).then_some(v)
    }

    /// The settable value nearest to `v` (clamped into the bounds).
    pub fn snap(&self, v: f64) -> Option<f64> {
        let v = v.clamp(self.lower.min(self.upper), self.upper.max(self.lower));
        match (self.at_most(v), self.at_least(v)) {
            (Some(a), Some(b)) => Some(if v - a <= b - v { a } else { b }),
            (a, b) => a.or(b),
        }
    }

    /// Up to `n` settable values spread evenly over the bounds, ascending, without repeats.
    pub fn grid(&self, n: usize) -> Vec<f64> {
        let n = n.max(2);
        let mut out: Vec<f64> = (0..n)
            .filter_map(|i| {
                #[allow(clippy::cast_precision_loss)]
                let t = i as f64 / (n - 1) as f64;
                self.snap(self.lower + t * (self.upper - self.lower))
            })
            .collect();
        out.dedup();
        out
    }
}

/// Serde for an `f64` that may be `NaN` (a missing value): JSON has no NaN, so it is written as
/// `null` and read back as `NaN`.
pub(crate) mod nan {
    use serde::{Deserialize as _, Deserializer, Serializer};

    #[allow(clippy::trivially_copy_pass_by_ref)] // the signature serde's `with` expects
    pub fn serialize<S: Serializer>(v: &f64, s: S) -> Result<S::Ok, S::Error> {
        if v.is_finite() { s.serialize_f64(*v) } else { s.serialize_none() }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        Ok(Option::<f64>::deserialize(d)?.unwrap_or(f64::NAN))
    }
}

/// Serde for a row of `f64` that may hold `NaN` (see [`nan`]).
pub(crate) mod nan_vec {
    use serde::ser::SerializeSeq as _;
    use serde::{Deserialize as _, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &[f64], s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(v.len()))?;
        for x in v {
            seq.serialize_element(&x.is_finite().then_some(*x))?;
        }
        seq.end()
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<f64>, D::Error> {
        Ok(Vec::<Option<f64>>::deserialize(d)?.into_iter().map(|x| x.unwrap_or(f64::NAN)).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axis_values_are_on_the_grid_and_print_as_decimals() {
        let a = Axis { lower: 3.8, upper: 76.6, step: 0.1, scale: 6.0 };
        assert_eq!(a.at_most(42.85), Some(42.8));
        assert_eq!(a.above(42.85), Some(42.9));
        assert_eq!(a.above(42.9), Some(43.0));
        assert_eq!(a.at_least(42.81), Some(42.9));
        assert_eq!(format!("{}", a.above(42.85).unwrap_or_default()), "42.9");
        assert_eq!(a.at_most(1.0), None, "below the lower bound");
        assert_eq!(a.above(80.0), None);
        assert_eq!(a.above(1.0), Some(3.8), "lifted to the lower bound");
        let g = a.grid(5);
        assert_eq!(g.first(), Some(&3.8));
        assert_eq!(g.last(), Some(&76.6));
        let i = Axis { lower: 1168.0, upper: 2886.0, step: 1.0, scale: 90.0 };
        assert_eq!(i.above(1500.5), Some(1501.0));
        assert_eq!(i.at_most(1500.5), Some(1500.0));
        let c = Axis { lower: 0.0, upper: 10.0, step: 0.0, scale: 1.0 };
        let v = c.above(std::f64::consts::PI).expect("value");
        assert!(v > std::f64::consts::PI && v - std::f64::consts::PI <= 1e-3);
        assert_eq!(format!("{v}"), "3.142");
    }

    #[test]
    fn closest_names() {
        let names = ["Torque [Nm]", "Tool wear [min]", "Type"];
        assert_eq!(closest("Torqe [Nm]", names.into_iter()), Some("Torque [Nm]"));
        assert_eq!(closest("Torqe", names.into_iter()), Some("Torque [Nm]"));
        assert_eq!(closest("completely different", names.into_iter()), None);
    }
}
