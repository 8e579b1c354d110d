//! Scenarios: a named set of feature values with, per feature, whether it may be changed (a
//! setpoint) or is fixed (a disturbance or a measured condition), its bounds and its step (the
//! instrument's resolution). Saved in the project file.

use serde::{Deserialize, Serialize};

use super::{Axis, closest};
use crate::error::{Error, Result};
use crate::model::TrainedModel;
use crate::model::pipeline::{FeatureKind, FeatureSpec};

/// Where a scenario's values came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "from", rename_all = "snake_case")]
pub enum Origin {
    /// A row of the project's data (0-based).
    Row {
        /// The row.
        row: usize,
    },
    /// The training median of every number and the most frequent level of every category.
    Median,
    /// Typed in.
    Typed,
    /// A run of a production plan (0-based row of the plan).
    PlanRun {
        /// The plan row.
        row: usize,
    },
}

/// One feature of a scenario.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeatureSetting {
    /// The feature's name, as in the data.
    pub name: String,
    /// Its value: a number, or the index of a level for a category; `NaN` for missing (the
    /// model then uses the training median or most frequent level).
    #[serde(with = "super::nan")]
    pub value: f64,
    /// True for a setpoint that counterfactuals and windows may change; false for a fixed
    /// condition.
    pub controllable: bool,
    /// Smallest value a change may set (the training minimum unless typed).
    pub lower: f64,
    /// Largest value a change may set (the training maximum unless typed).
    pub upper: f64,
    /// Resolution of a change: values are multiples of it (0: continuous). From the data's
    /// decimals unless typed.
    pub step: f64,
    /// How costly a change of one scale unit is compared with other features (1 by default;
    /// larger makes the search avoid this feature).
    pub weight: f64,
    /// For a category: the levels a change may pick (indices); empty means any level.
    #[serde(default)]
    pub levels: Vec<usize>,
}

impl FeatureSetting {
    /// The values a change of this (numeric) feature may take; `scale` rounds continuous ones.
    pub(crate) fn axis(&self, scale: f64) -> Axis {
        Axis { lower: self.lower, upper: self.upper, step: self.step, scale }
    }

    /// True when a category may be changed to `level`.
    pub fn allows_level(&self, level: usize) -> bool {
        self.levels.is_empty() || self.levels.contains(&level)
    }
}

/// A named set of feature values and how each may change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Scenario {
    /// What the user calls it.
    pub name: String,
    /// Where its values came from.
    pub origin: Origin,
    /// One entry per model feature, in model order.
    pub features: Vec<FeatureSetting>,
}

/// A typed bound on one feature: `COL=LO..HI` on the command line, either end may be left out.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Bound {
    /// The feature.
    pub feature: String,
    /// New lower bound.
    pub lower: Option<f64>,
    /// New upper bound.
    pub upper: Option<f64>,
}

impl Bound {
    /// Reads `COL=LO..HI`, `COL=LO..` or `COL=..HI`.
    ///
    /// # Errors
    /// When the text has no `=` or `..`, or a bound is not a number.
    pub fn parse(text: &str) -> Result<Self> {
        let (feature, range) = text
            .rsplit_once('=')
            .ok_or_else(|| Error::invalid(format!("a bound is written COLUMN=LOW..HIGH, not '{text}'")))?;
        let (a, b) = range
            .split_once("..")
            .ok_or_else(|| Error::invalid(format!("a bound is written COLUMN=LOW..HIGH (with '..'), not '{text}'")))?;
        let number = |s: &str| -> Result<Option<f64>> {
            let s = s.trim();
            if s.is_empty() {
                return Ok(None);
            }
            s.parse::<f64>()
                .ok()
                .filter(|v| v.is_finite())
                .map(Some)
                .ok_or_else(|| Error::invalid(format!("the bound '{text}' has '{s}', which is not a number")))
        };
        Ok(Self { feature: feature.trim().to_owned(), lower: number(a)?, upper: number(b)? })
    }
}

/// Which features may change and within which bounds, as typed by a user.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Constraints {
    /// The features that may change; `None` leaves the scenario's marks as they are.
    pub vary: Option<Vec<String>>,
    /// Typed bounds, replacing those from the data.
    pub bounds: Vec<Bound>,
}

/// Finds a feature by name, or says which name was probably meant.
pub(crate) fn feature_index(specs: &[FeatureSpec], name: &str) -> Result<usize> {
    feature_named(specs, name).map(|(j, _)| j)
}

/// The index and description of the feature called `name`, as [`feature_index`] finds it.
pub(crate) fn feature_named<'a>(specs: &'a [FeatureSpec], name: &str) -> Result<(usize, &'a FeatureSpec)> {
    if let Some(hit) = specs.iter().enumerate().find(|(_, f)| f.name == name) {
        return Ok(hit);
    }
    if let Some(hit) = specs.iter().enumerate().find(|(_, f)| f.name.trim().eq_ignore_ascii_case(name.trim())) {
        return Ok(hit);
    }
    let hint = closest(name, specs.iter().map(|f| f.name.as_str()))
        .map(|c| format!("; did you mean '{c}'?"))
        .unwrap_or_default();
    Err(Error::invalid(format!(
        "the model has no feature '{name}'{hint} (features: {})",
        specs.iter().map(|f| f.name.as_str()).collect::<Vec<_>>().join(", ")
    )))
}

/// Reads a value typed for a feature: a number, or a level name for a category.
pub(crate) fn parse_value(spec: &FeatureSpec, text: &str) -> Result<f64> {
    let t = text.trim();
    match spec.kind {
        FeatureKind::Categorical => {
            if let Some(k) = spec.levels.iter().position(|l| l == t) {
                return Ok(k as f64);
            }
            if let Some(k) = spec.levels.iter().position(|l| l.eq_ignore_ascii_case(t)) {
                return Ok(k as f64);
            }
            Err(Error::invalid(format!("'{}' has no level '{t}' (levels: {})", spec.name, spec.levels.join(", "))))
        }
        FeatureKind::Numeric => parse_number(t)
            .ok_or_else(|| Error::invalid(format!("'{t}' is not a number, and '{}' takes numbers", spec.name))),
    }
}

/// A number as people type it: `42.5`, `-3e2`, or `42,5` (decimal comma, when there is no point).
pub(crate) fn parse_number(text: &str) -> Option<f64> {
    let t = text.trim();
    let v = t.parse::<f64>().ok().or_else(|| {
        (t.contains(',') && !t.contains('.') && t.matches(',').count() == 1)
            .then(|| t.replacen(',', ".", 1).parse::<f64>().ok())
            .flatten()
    })?;
    v.is_finite().then_some(v)
}

impl Scenario {
    /// The raw row of the scenario's values.
    pub fn values(&self) -> Vec<f64> {
        self.features.iter().map(|f| f.value).collect()
    }

    /// Sets values from a raw row (the settings stay).
    pub fn set_values(&mut self, values: &[f64]) {
        for (f, v) in self.features.iter_mut().zip(values) {
            f.value = *v;
        }
    }

    /// Index of a feature by name (exact, then ignoring case).
    pub fn index(&self, name: &str) -> Option<usize> {
        self.features
            .iter()
            .position(|f| f.name == name)
            .or_else(|| self.features.iter().position(|f| f.name.trim().eq_ignore_ascii_case(name.trim())))
    }

    /// Sets a feature from typed text (`COL=VALUE` on the command line: a number, or a level
    /// name for a category).
    ///
    /// # Errors
    /// An unknown feature (naming the closest one), a value that is not a number, or an
    /// unknown level.
    pub fn set_text(&mut self, model: &TrainedModel, name: &str, text: &str) -> Result<()> {
        let (j, spec) = feature_named(&model.pipeline.features, name)?;
        let v = parse_value(spec, text)?;
        if let Some(f) = self.features.get_mut(j) {
            f.value = v;
        }
        Ok(())
    }

    /// Checks the scenario fits the model and its settings make sense.
    ///
    /// # Errors
    /// Features that do not match the model, contradictory bounds (lower above upper), a
    /// negative or non-finite step or weight.
    pub fn validate(&self, model: &TrainedModel) -> Result<()> {
        let specs = &model.pipeline.features;
        if self.features.len() != specs.len() || self.features.iter().zip(specs).any(|(f, s)| f.name != s.name) {
            return Err(Error::invalid(format!(
                "the scenario '{}' was made for other features than the model's ({}); make it again from the data",
                self.name,
                specs.iter().map(|s| s.name.as_str()).collect::<Vec<_>>().join(", ")
            )));
        }
        for (f, s) in self.features.iter().zip(specs) {
            if s.kind == FeatureKind::Numeric && (f.lower > f.upper || f.lower.is_nan() || f.upper.is_nan()) {
                return Err(Error::invalid(format!(
                    "contradictory bounds for '{}': the lower bound {} is above the upper bound {}",
                    f.name,
                    crate::data::format_number(f.lower),
                    crate::data::format_number(f.upper)
                )));
            }
            if !(f.step >= 0.0 && f.step.is_finite()) {
                return Err(Error::invalid(format!("the step of '{}' must be 0 or a positive number", f.name)));
            }
            if !(f.weight > 0.0 && f.weight.is_finite()) {
                return Err(Error::invalid(format!("the weight of '{}' must be a positive number", f.name)));
            }
            if let Some(&l) = f.levels.iter().find(|&&l| l >= s.levels.len().max(1)) {
                return Err(Error::invalid(format!("'{}' has no level {l}", f.name)));
            }
        }
        Ok(())
    }

    /// Applies typed constraints: marks exactly the `vary` features controllable (when given)
    /// and replaces bounds.
    ///
    /// # Errors
    /// An unknown feature (naming the closest one), a bound on a category, or contradictory
    /// bounds.
    pub fn constrain(&mut self, model: &TrainedModel, constraints: &Constraints) -> Result<()> {
        let specs = &model.pipeline.features;
        if let Some(vary) = &constraints.vary {
            let mut chosen = vec![false; self.features.len()];
            for name in vary.iter().map(|n| n.trim()).filter(|n| !n.is_empty()) {
                let j = feature_index(specs, name)?;
                // A scenario read from a file may hold fewer features than the model.
                *chosen
                    .get_mut(j)
                    .ok_or_else(|| Error::invalid(format!("the scenario has no value for '{name}'")))? = true;
            }
            if !chosen.iter().any(|&c| c) {
                return Err(Error::invalid("no feature to vary: name at least one"));
            }
            for (f, c) in self.features.iter_mut().zip(chosen) {
                f.controllable = c;
            }
        }
        for b in &constraints.bounds {
            let (j, spec) = feature_named(specs, &b.feature)?;
            if spec.kind == FeatureKind::Categorical {
                return Err(Error::invalid(format!(
                    "'{}' is a category; bounds apply to numbers (its levels: {})",
                    spec.name,
                    spec.levels.join(", ")
                )));
            }
            let Some(f) = self.features.get_mut(j) else { continue };
            let lower = b.lower.unwrap_or(f.lower);
            let upper = b.upper.unwrap_or(f.upper);
            if lower > upper {
                let fmt = crate::data::format_number;
                let detail = match (b.lower, b.upper) {
                    (Some(_), Some(_)) => String::new(),
                    (Some(_), None) => format!(" (the upper bound is the training maximum, {})", fmt(upper)),
                    _ => format!(" (the lower bound is the training minimum, {})", fmt(lower)),
                };
                return Err(Error::invalid(format!(
                    "contradictory bounds for '{}': the lower bound {} is above the upper bound {}{detail}",
                    f.name,
                    fmt(lower),
                    fmt(upper)
                )));
            }
            f.lower = lower;
            f.upper = upper;
        }
        self.validate(model)
    }

    /// Names of the controllable features.
    pub fn controllable(&self) -> Vec<&str> {
        self.features.iter().filter(|f| f.controllable).map(|f| f.name.as_str()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_are_read_with_open_ends() {
        let b = Bound::parse("Torque [Nm]=20..60").expect("bound");
        assert_eq!((b.feature.as_str(), b.lower, b.upper), ("Torque [Nm]", Some(20.0), Some(60.0)));
        assert_eq!(Bound::parse("T=..5").expect("bound").lower, None);
        assert!(Bound::parse("T=5").is_err());
        assert!(Bound::parse("T=a..5").is_err_and(|e| e.to_string().contains("'a'")));
        assert_eq!(parse_number("42,5"), Some(42.5));
        assert_eq!(parse_number("1,000.5"), None);
        assert_eq!(parse_number("inf"), None);
    }
}
