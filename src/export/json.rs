//! A rule set as JSON, for other tools and for `glassbox rules --format json`: an object with
//! the target, classes, features, fidelity, the steps that made the set, a `rules` array
//! (conditions, outcome, support, confidence, held-out accuracy) and the default rule. Rules
//! are tried in order; the first that matches decides.

use serde::Serialize;

use crate::model::Task;
use crate::model::pipeline::{FeatureKind, FeatureSpec};
use crate::rules::score::Fidelity;
use crate::rules::{Condition, Outcome, Rule, RuleSet, RuleStats, Step};

/// What `format` says in every rule-set file.
pub const FORMAT: &str = "glassbox-rules";

/// The JSON document.
#[derive(Debug, Serialize)]
pub struct RulesDocument<'a> {
    /// Always [`FORMAT`].
    pub format: &'static str,
    /// Layout version.
    pub version: u32,
    /// `classification` or `regression`.
    pub task: &'static str,
    /// The target's name.
    pub target: &'a str,
    /// Class names, in class-index order.
    pub classes: &'a [String],
    /// Regression: the decimals the target's values carry in the data, to which the `text`
    /// of each rule shows values (the numbers themselves are exact).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value_decimals: Option<usize>,
    /// `tree` or `surrogate`.
    pub source: crate::rules::RuleSource,
    /// How rules combine.
    pub semantics: &'static str,
    /// The raw features.
    pub features: Vec<FeatureDoc<'a>>,
    /// Agreement with the model.
    pub fidelity: &'a Fidelity,
    /// How the set was made.
    pub steps: &'a [Step],
    /// The rules, in the order they are tried.
    pub rules: Vec<RuleDoc>,
    /// The outcome when no rule matches.
    pub default: RuleDoc,
}

/// One feature.
#[derive(Debug, Serialize)]
pub struct FeatureDoc<'a> {
    /// Name, as in the data.
    pub name: &'a str,
    /// `numeric` or `categorical`.
    pub kind: &'static str,
    /// Unit, if known.
    pub unit: Option<&'a str>,
    /// Level names (categorical), indexed by level code.
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    pub levels: &'a [String],
    /// Smallest training value.
    pub min: f64,
    /// Largest training value.
    pub max: f64,
}

/// One condition.
#[derive(Debug, Serialize)]
pub struct ConditionDoc {
    /// The feature's name.
    pub feature: String,
    /// As people read it.
    pub text: String,
    /// Exclusive lower bound (numeric).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub low: Option<f64>,
    /// Inclusive upper bound (numeric).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub high: Option<f64>,
    /// Allowed levels (categorical).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub r#in: Option<Vec<String>>,
    /// Excluded levels (categorical).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_in: Option<Vec<String>>,
}

/// What a rule decides.
#[derive(Debug, Serialize)]
pub struct OutcomeDoc {
    /// The class name (classification).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub class: Option<String>,
    /// The class index (classification).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub class_index: Option<usize>,
    /// The value (regression).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<f64>,
}

/// Support of a rule.
#[derive(Debug, Serialize)]
pub struct SupportDoc {
    /// Training rows the rule decides.
    pub rows: usize,
    /// As a share of all training rows.
    pub share: f64,
}

/// Held-out results of a rule.
#[derive(Debug, Serialize)]
pub struct HeldOutDoc {
    /// Held-out rows the rule decides.
    pub rows: usize,
    /// Share of them with the rule's class (classification).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub accuracy: Option<f64>,
    /// Mean absolute error on them (regression).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mae: Option<f64>,
}

/// One rule (or the default).
#[derive(Debug, Serialize)]
pub struct RuleDoc {
    /// 1-based position; 0 for the default.
    pub id: usize,
    /// `IF … THEN …`.
    pub text: String,
    /// All must hold.
    pub conditions: Vec<ConditionDoc>,
    /// What the rule decides.
    pub outcome: OutcomeDoc,
    /// Training rows it decides.
    pub support: SupportDoc,
    /// Classification: the share of its training rows with the rule's class, 0..1.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub confidence: Option<f64>,
    /// Share of each actual class among its training rows.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub class_mix: Vec<f64>,
    /// Mean of the actual values of its training rows (regression).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mean: Option<f64>,
    /// Their standard deviation (regression).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub std: Option<f64>,
    /// Their interquartile range (regression).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iqr: Option<f64>,
    /// Share of its training rows where the model decides the same.
    pub fidelity: f64,
    /// On the held-out rows.
    pub held_out: HeldOutDoc,
}

fn condition_doc(c: &Condition, features: &[FeatureSpec]) -> ConditionDoc {
    let spec = features.get(c.feature());
    let level_names = |levels: &[usize]| -> Vec<String> {
        levels
            .iter()
            .map(|k| spec.and_then(|f| f.levels.get(*k)).cloned().unwrap_or_else(|| format!("level {k}")))
            .collect()
    };
    let mut doc = ConditionDoc {
        feature: spec.map(|f| f.name.clone()).unwrap_or_default(),
        text: c.describe(features),
        low: None,
        high: None,
        r#in: None,
        not_in: None,
    };
    match c {
        Condition::Range { low, high, .. } => {
            doc.low = *low;
            doc.high = *high;
        }
        Condition::In { levels, .. } => doc.r#in = Some(level_names(levels)),
        Condition::NotIn { levels, .. } => doc.not_in = Some(level_names(levels)),
    }
    doc
}

fn outcome_doc(rs: &RuleSet, o: Outcome) -> OutcomeDoc {
    match o {
        Outcome::Class { index } => OutcomeDoc {
            class: Some(rs.classes.get(index).cloned().unwrap_or_default()),
            class_index: Some(index),
            value: None,
        },
        Outcome::Value { value } => OutcomeDoc { class: None, class_index: None, value: Some(value) },
    }
}

fn rule_doc(rs: &RuleSet, id: usize, rule: Option<&Rule>, outcome: Outcome, stats: &RuleStats) -> RuleDoc {
    let conditions = rule.map(|r| r.conditions.iter().map(|c| condition_doc(c, &rs.features)).collect());
    let text = match rule {
        Some(r) => format!("IF {} THEN {}", r.describe_conditions(&rs.features), rs.describe_outcome(outcome)),
        None => format!("OTHERWISE {}", rs.describe_outcome(outcome)),
    };
    RuleDoc {
        id,
        text,
        conditions: conditions.unwrap_or_default(),
        outcome: outcome_doc(rs, outcome),
        support: SupportDoc { rows: stats.support, share: stats.support_share },
        confidence: stats.confidence,
        class_mix: stats.class_mix.clone(),
        mean: stats.mean,
        std: stats.std,
        iqr: stats.iqr,
        fidelity: stats.fidelity,
        held_out: HeldOutDoc { rows: stats.test_support, accuracy: stats.test_accuracy, mae: stats.test_mae },
    }
}

/// The document for a rule set.
pub fn document(rs: &RuleSet) -> RulesDocument<'_> {
    RulesDocument {
        format: FORMAT,
        // 2: regression rules carry no confidence, and `iqr`.
        version: 2,
        task: match rs.task {
            Task::Classification => "classification",
            Task::Regression => "regression",
        },
        target: &rs.target,
        classes: &rs.classes,
        value_decimals: rs.value_decimals,
        source: rs.source,
        semantics: "rules are tried in order; the first whose conditions all hold decides, else the default; \
                    a range is low < x <= high; a missing value takes the feature's training median (mode)",
        features: rs
            .features
            .iter()
            .map(|f| FeatureDoc {
                name: &f.name,
                kind: match f.kind {
                    FeatureKind::Numeric => "numeric",
                    FeatureKind::Categorical => "categorical",
                },
                unit: f.unit.as_deref(),
                levels: &f.levels,
                min: f.min,
                max: f.max,
            })
            .collect(),
        fidelity: &rs.fidelity,
        steps: &rs.steps,
        rules: rs.rules.iter().enumerate().map(|(i, r)| rule_doc(rs, i + 1, Some(r), r.outcome, &r.stats)).collect(),
        default: rule_doc(rs, 0, None, rs.default, &rs.default_stats),
    }
}

/// The rule set as pretty-printed JSON, ending in a newline.
pub fn write(rs: &RuleSet) -> String {
    let mut s = serde_json::to_string_pretty(&document(rs)).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    s.push('\n');
    s
}
