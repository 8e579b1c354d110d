//! IF–THEN rules that say what a model decides, in the raw features a plant engineer knows.
//!
//! A [`RuleSet`] is an ordered decision list: a row takes the outcome of the first rule whose
//! conditions it meets, or the default outcome when it meets none. Rules come from a decision
//! tree ([`extract`], one rule per leaf), or from a surrogate tree fitted to an SVM's decisions
//! ([`surrogate`]); they are then made shorter ([`simplify`]) and their thresholds rounded to
//! plant-friendly numbers ([`round`]), each step reporting how often the rules still agree with
//! the model ([`Fidelity`]) on the training rows and on the held-out rows ([`score`]).
//!
//! Rules speak in raw features: a numeric feature is bounded by a range (`120.5 < Torque [Nm] <=
//! 180.0`, lower bound exclusive and upper bound inclusive, as a tree splits), a categorical
//! feature by the levels it may take (`Type = L`, `Type <> L`). A missing value is replaced by the
//! feature's training fill before the rules see it, as the model's pipeline does, so a rule set
//! extracted from a tree decides exactly as the tree does on every row.

pub mod compute;
pub mod extract;
pub mod round;
pub mod score;
pub mod simplify;
pub mod surrogate;

use serde::{Deserialize, Serialize};

use crate::model::Task;
use crate::model::pipeline::{FeatureKind, FeatureSpec};

pub use extract::from_model_tree;
pub use score::{Agreement, Fidelity, Rows, RuleData};

/// What a rule (or the default) decides.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Outcome {
    /// A class, by its index into the class names.
    Class {
        /// Index into [`RuleSet::classes`].
        index: usize,
    },
    /// A number (regression).
    Value {
        /// The predicted value.
        value: f64,
    },
}

impl Outcome {
    /// The class index or the value as a number, as [`crate::model::Prediction::value`] holds it.
    pub fn as_f64(self) -> f64 {
        match self {
            Self::Class { index } => index as f64,
            Self::Value { value } => value,
        }
    }
}

/// One condition on one raw feature.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Condition {
    /// `low < x <= high`; an absent bound does not restrict.
    Range {
        /// Index of the raw feature.
        feature: usize,
        /// Exclusive lower bound.
        low: Option<f64>,
        /// Inclusive upper bound.
        high: Option<f64>,
    },
    /// The category is one of `levels`.
    In {
        /// Index of the raw feature.
        feature: usize,
        /// Allowed level codes, ascending.
        levels: Vec<usize>,
    },
    /// The category is none of `levels` (a code the model never saw counts as none of them, as
    /// its one-hot columns are all zero).
    NotIn {
        /// Index of the raw feature.
        feature: usize,
        /// Excluded level codes, ascending.
        levels: Vec<usize>,
    },
}

impl Condition {
    /// The raw feature the condition is on.
    pub fn feature(&self) -> usize {
        match self {
            Self::Range { feature, .. } | Self::In { feature, .. } | Self::NotIn { feature, .. } => *feature,
        }
    }

    /// Whether a (filled-in) raw value meets the condition.
    pub fn matches(&self, v: f64) -> bool {
        match self {
            Self::Range { low, high, .. } => low.is_none_or(|l| v > l) && high.is_none_or(|h| v <= h),
            Self::In { levels, .. } => level_code(v).is_some_and(|k| levels.binary_search(&k).is_ok()),
            Self::NotIn { levels, .. } => level_code(v).is_none_or(|k| levels.binary_search(&k).is_err()),
        }
    }

    /// The condition as people read it, e.g. `120.5 < Torque [Nm] <= 180.0` or `Type <> L`.
    pub fn describe(&self, features: &[FeatureSpec]) -> String {
        let spec = features.get(self.feature());
        let name = spec.map_or("?", |f| f.name.as_str());
        match self {
            Self::Range { low, high, .. } => match (low, high) {
                (Some(l), Some(h)) => format!("{} < {name} <= {}", number(*l), number(*h)),
                (Some(l), None) => format!("{name} > {}", number(*l)),
                (None, Some(h)) => format!("{name} <= {}", number(*h)),
                (None, None) => format!("{name} is anything"),
            },
            Self::In { levels, .. } | Self::NotIn { levels, .. } => {
                let level =
                    |k: &usize| spec.and_then(|f| f.levels.get(*k)).cloned().unwrap_or_else(|| format!("level {k}"));
                let listed: Vec<String> = levels.iter().map(level).collect();
                let negated = matches!(self, Self::NotIn { .. });
                match (negated, listed.len()) {
                    (false, 0) => format!("{name} is never met"),
                    (false, 1) => format!("{name} = {}", listed.join("")),
                    (false, _) => format!("{name} in {{{}}}", listed.join(", ")),
                    (true, 0) => format!("{name} is anything"),
                    (true, 1) => format!("{name} <> {}", listed.join("")),
                    (true, _) => format!("{name} not in {{{}}}", listed.join(", ")),
                }
            }
        }
    }
}

/// A level code from a raw value: the index when it is a non-negative whole number, else none.
fn level_code(v: f64) -> Option<usize> {
    if v >= 0.0 && v.fract() == 0.0 && v < 1e15 {
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // whole and in range
        Some(v as usize)
    } else {
        None
    }
}

/// A number as rules print it: the shortest text that reads back as the same value.
pub fn number(v: f64) -> String {
    if !v.is_finite() || v == 0.0 {
        return crate::data::format_number(v);
    }
    // The shortest decimal within a relative 1e-12 of the value: a split point stored as
    // 60.650000000000006 reads 60.65. Data values never sit that close to a split point, so
    // the text decides every row as the number does; exports write the exact literal.
    (1..=17)
        .map(|digits| format!("{v:.*e}", digits - 1))
        .find_map(|text| {
            let parsed: f64 = text.parse().ok()?;
            ((parsed - v).abs() <= 1e-12 * v.abs()).then(|| crate::data::format_number(parsed))
        })
        .unwrap_or_else(|| crate::data::format_number(v))
}

/// How well a rule does on the rows it covers (its first-match rows).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct RuleStats {
    /// Training rows the rule decides (first match).
    pub support: usize,
    /// The same as a share of all training rows.
    pub support_share: f64,
    /// Classification: the share of those rows whose actual class is the rule's class (purity).
    /// None for regression, whose rules report the mean and spread of their values instead.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confidence: Option<f64>,
    /// Classification: the share of each actual class among the rule's training rows.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub class_mix: Vec<f64>,
    /// Regression: mean of the actual values of the rule's training rows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mean: Option<f64>,
    /// Regression: their standard deviation (population), in the target's units.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub std: Option<f64>,
    /// Regression: the interquartile range of their values (75th minus 25th percentile).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iqr: Option<f64>,
    /// The share of the rule's training rows on which the model decides as the rule does.
    pub fidelity: f64,
    /// Held-out rows the rule decides.
    pub test_support: usize,
    /// Classification: the share of those whose actual class is the rule's class.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub test_accuracy: Option<f64>,
    /// Regression: mean absolute error on those rows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub test_mae: Option<f64>,
}

/// One IF–THEN rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rule {
    /// All must hold; at most one per feature, in feature order.
    pub conditions: Vec<Condition>,
    /// What the rule decides.
    pub outcome: Outcome,
    /// How the rule does on the data (filled in by [`RuleSet::score`]).
    #[serde(default)]
    pub stats: RuleStats,
    /// The tree leaf the rule came from, while it still describes exactly that leaf.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub leaf: Option<usize>,
}

impl Rule {
    /// Whether a filled-in raw row meets every condition.
    pub fn matches(&self, row: &[f64]) -> bool {
        self.conditions.iter().all(|c| c.matches(row.get(c.feature()).copied().unwrap_or(f64::NAN)))
    }

    /// The conditions joined by AND, or `always` for a rule without conditions.
    pub fn describe_conditions(&self, features: &[FeatureSpec]) -> String {
        if self.conditions.is_empty() {
            "always".to_owned()
        } else {
            self.conditions.iter().map(|c| c.describe(features)).collect::<Vec<_>>().join(" AND ")
        }
    }
}

/// Where a rule set's rules came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RuleSource {
    /// The model's own decision tree.
    Tree,
    /// A surrogate tree fitted to the model's decisions (for an SVM).
    Surrogate,
}

/// One step that changed a rule set, with what it kept.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Step {
    /// Short name: `extract`, `merge`, `drop conditions`, `prune`, `round`.
    pub name: String,
    /// What the step did, in a sentence.
    pub description: String,
    /// Rules after the step (the default rule not counted).
    pub rules: usize,
    /// Conditions over all rules after the step.
    pub conditions: usize,
    /// Agreement with the model after the step.
    pub fidelity: Fidelity,
}

/// An ordered list of rules with a default outcome; evaluable on any raw row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RuleSet {
    /// Classification or regression.
    pub task: Task,
    /// The target's name.
    pub target: String,
    /// Class names (classification).
    pub classes: Vec<String>,
    /// The raw features, in model order (names, levels, training ranges and fills).
    pub features: Vec<FeatureSpec>,
    /// The rules, tried in order.
    pub rules: Vec<Rule>,
    /// The outcome when no rule matches.
    pub default: Outcome,
    /// How the default does on the rows that reach it.
    #[serde(default)]
    pub default_stats: RuleStats,
    /// Where the rules came from.
    pub source: RuleSource,
    /// Agreement with the model on training and held-out rows.
    #[serde(default)]
    pub fidelity: Fidelity,
    /// The steps that made the rule set, first to last.
    #[serde(default)]
    pub steps: Vec<Step>,
    /// Regression: the decimals the target's values carry in the data (at most 6), to which
    /// values are shown; set by [`RuleSet::score`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value_decimals: Option<usize>,
}

impl RuleSet {
    /// The row with missing values replaced by the training fill, as the model's pipeline does.
    pub fn fill(&self, raw: &[f64], out: &mut Vec<f64>) {
        out.clear();
        out.extend(self.features.iter().enumerate().map(|(j, f)| {
            let v = raw.get(j).copied().unwrap_or(f64::NAN);
            if v.is_nan() { f.fill } else { v }
        }));
    }

    /// Index of the first rule a filled-in row meets, if any.
    pub fn rule_for_filled(&self, filled: &[f64]) -> Option<usize> {
        self.rules.iter().position(|r| r.matches(filled))
    }

    /// Index of the rule that decides a raw row (`None`: the default decides).
    pub fn rule_for(&self, raw: &[f64]) -> Option<usize> {
        let mut filled = Vec::with_capacity(self.features.len());
        self.fill(raw, &mut filled);
        self.rule_for_filled(&filled)
    }

    /// The outcome for a raw row.
    pub fn decide(&self, raw: &[f64]) -> Outcome {
        self.rule_for(raw).and_then(|i| self.rules.get(i)).map_or(self.default, |r| r.outcome)
    }

    /// Total number of conditions.
    pub fn n_conditions(&self) -> usize {
        self.rules.iter().map(|r| r.conditions.len()).sum()
    }

    /// An outcome as people read it: `Machine failure = 1` or `PE = 451.2`.
    pub fn describe_outcome(&self, outcome: Outcome) -> String {
        match outcome {
            Outcome::Class { index } => {
                format!("{} = {}", self.target, self.classes.get(index).map_or("?", String::as_str))
            }
            Outcome::Value { value } => format!("{} = {}", self.target, self.format_value(value)),
        }
    }

    /// A value in the target's units, shown to the precision the data carries (at least one
    /// decimal, so a mean of whole numbers still reads as a mean).
    pub fn format_value(&self, v: f64) -> String {
        match self.value_decimals {
            Some(d) if v.is_finite() => format!("{v:.*}", d.max(1)),
            _ => number(v),
        }
    }

    /// A rule's figures in one line: support, then confidence for a class or mean, spread and
    /// held-out error for a number, then agreement with the model.
    pub fn describe_stats(&self, s: &RuleStats) -> String {
        use std::fmt::Write as _;
        let mut line = format!("support {} rows ({} %)", s.support, score::significant(s.support_share * 100.0, 3));
        match self.task {
            Task::Classification => {
                if let Some(c) = s.confidence {
                    let _ = write!(line, ", confidence {} %", score::significant(c * 100.0, 3));
                }
            }
            Task::Regression => {
                if let Some(m) = s.mean {
                    let _ = write!(line, ", mean {}", self.format_value(m));
                }
                if let Some(sd) = s.std {
                    let _ = write!(line, ", std {}", self.format_value(sd));
                }
                if let Some(iqr) = s.iqr {
                    let _ = write!(line, ", IQR {}", self.format_value(iqr));
                }
            }
        }
        let _ = write!(line, ", agrees with the model on {} %", score::significant(s.fidelity * 100.0, 4));
        match (s.test_accuracy, s.test_mae) {
            (Some(a), _) => {
                let _ = write!(
                    line,
                    "; held-out accuracy {} % on {} rows",
                    score::significant(a * 100.0, 3),
                    s.test_support
                );
            }
            (None, Some(m)) => {
                let _ = write!(line, "; held-out MAE {} on {} rows", self.format_value(m), s.test_support);
            }
            (None, None) => {
                let _ = write!(line, "; {} held-out rows", s.test_support);
            }
        }
        line
    }

    /// The features' kinds, for callers that format values.
    pub fn is_categorical(&self, feature: usize) -> bool {
        self.features.get(feature).is_some_and(|f| f.kind == FeatureKind::Categorical)
    }

    /// Recomputes every rule's statistics and the set's fidelity on `data`.
    pub fn score(&mut self, data: &RuleData) {
        score::score(self, data);
    }

    /// Records a step with the current size and fidelity (call after [`RuleSet::score`]).
    pub fn record(&mut self, name: &str, description: String) {
        let step = Step {
            name: name.to_owned(),
            description,
            rules: self.rules.len(),
            conditions: self.n_conditions(),
            fidelity: self.fidelity.clone(),
        };
        self.steps.push(step);
    }

    /// Each rule as a line, `IF … THEN …`, with the default last.
    pub fn describe(&self) -> Vec<String> {
        let mut lines: Vec<String> = self
            .rules
            .iter()
            .map(|r| format!("IF {} THEN {}", r.describe_conditions(&self.features), self.describe_outcome(r.outcome)))
            .collect();
        lines.push(format!("OTHERWISE {}", self.describe_outcome(self.default)));
        lines
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn specs() -> Vec<FeatureSpec> {
        vec![
            FeatureSpec::numeric("Torque [Nm]", Some("Nm"), 3.8, 76.6, 40.0),
            FeatureSpec::categorical("Type", &["H", "L", "M"], 1.0),
        ]
    }

    #[test]
    fn conditions_read_and_match_as_a_tree_splits() {
        let f = specs();
        let range = Condition::Range { feature: 0, low: Some(120.5), high: Some(180.0) };
        assert_eq!(range.describe(&f), "120.5 < Torque [Nm] <= 180");
        assert!(!range.matches(120.5) && range.matches(120.6) && range.matches(180.0) && !range.matches(180.1));
        let not_l = Condition::NotIn { feature: 1, levels: vec![1] };
        assert_eq!(not_l.describe(&f), "Type <> L");
        assert!(not_l.matches(0.0) && !not_l.matches(1.0) && not_l.matches(-1.0) && not_l.matches(7.0));
        let is_l = Condition::In { feature: 1, levels: vec![1] };
        assert_eq!(is_l.describe(&f), "Type = L");
        assert!(is_l.matches(1.0) && !is_l.matches(-1.0) && !is_l.matches(1.5));
        let some = Condition::NotIn { feature: 1, levels: vec![1, 2] };
        assert_eq!(some.describe(&f), "Type not in {L, M}");
    }

    #[test]
    fn a_decision_list_takes_the_first_match_and_fills_missing_values() {
        let rs = RuleSet {
            task: Task::Classification,
            target: "Failure".into(),
            classes: vec!["no".into(), "yes".into()],
            features: specs(),
            rules: vec![
                Rule {
                    conditions: vec![Condition::Range { feature: 0, low: Some(50.0), high: None }],
                    outcome: Outcome::Class { index: 1 },
                    stats: RuleStats::default(),
                    leaf: None,
                },
                Rule {
                    conditions: vec![Condition::Range { feature: 0, low: Some(30.0), high: None }],
                    outcome: Outcome::Class { index: 0 },
                    stats: RuleStats::default(),
                    leaf: None,
                },
            ],
            default: Outcome::Class { index: 1 },
            default_stats: RuleStats::default(),
            source: RuleSource::Tree,
            fidelity: Fidelity::default(),
            steps: Vec::new(),
            value_decimals: None,
        };
        assert_eq!(rs.decide(&[60.0, 0.0]), Outcome::Class { index: 1 });
        assert_eq!(rs.rule_for(&[40.0, 0.0]), Some(1));
        assert_eq!(rs.decide(&[10.0, 0.0]), Outcome::Class { index: 1 });
        // Missing torque takes the fill, 40.
        assert_eq!(rs.rule_for(&[f64::NAN, 0.0]), Some(1));
        assert_eq!(rs.describe()[0], "IF Torque [Nm] > 50 THEN Failure = yes");
    }
}
