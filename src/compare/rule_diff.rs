//! The difference between two rule sets, as a change request for the rules a PLC runs: rules
//! added, removed and changed, where a change names every threshold that moved
//! (`Torque [Nm] <= 60.65 → 58.2`), every changed set of category levels and a changed outcome.
//!
//! # Matching
//!
//! Rules are paired by their *structure*: the features they test, and for each feature the
//! kind of test (a lower bound `x > t`, an upper bound `x <= t`, both, a set of levels `x in
//! {…}`, or an excluded set `x not in {…}`). Features are matched by name, levels by their text,
//! and outcomes by class name, so two models whose features or classes are numbered differently
//! still pair up. Two passes:
//!
//! 1. rules with the same structure and the same outcome (a class rule; regression rules are
//!    paired on structure alone, as their values always move a little);
//! 2. of the rules left, those with the same structure (their outcome changed).
//!
//! A pair must also overlap: some row could meet the conditions of both rules (every range of
//! one meets the other's range on the same feature, and sets of levels share a level). Two
//! rules that test alike on ranges that do not touch (`12.3 < Torque <= 13.15` and `65 < Torque
//! <= 67.4`) decide for different rows, so they are a removed and an added rule, not a change.
//! Within a group of candidates with the same key, pairs are taken greedily by distance, closest
//! first: the sum over bounds of how far the threshold moved as a share of the feature's
//! training range in A, plus one per level that differs (ties by rule order, so the result is
//! deterministic). A pair whose thresholds, levels and outcome are all equal is unchanged; any
//! other pair is a change that lists each difference. A rule without a partner is removed (in A
//! only) or added (in B only): a rule that gained or lost a condition, or changed a test's
//! direction, is a different rule. The default outcome is compared on its own.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::model::Task;
use crate::rules::{Condition, Outcome, Rule, RuleSet, number};

/// Which side of a range a threshold bounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Bound {
    /// `feature > threshold` (the exclusive lower bound).
    Above,
    /// `feature <= threshold` (the inclusive upper bound).
    AtMost,
}

/// A threshold that moved between the two rules of a pair.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ThresholdMove {
    /// The feature's name.
    pub feature: String,
    /// Which bound.
    pub bound: Bound,
    /// The threshold in A.
    pub from: f64,
    /// The threshold in B.
    pub to: f64,
}

impl ThresholdMove {
    /// `Torque [Nm] <= 60.65 → 58.2`.
    pub fn describe(&self) -> String {
        let op = match self.bound {
            Bound::Above => ">",
            Bound::AtMost => "<=",
        };
        format!("{} {op} {} → {}", self.feature, number(self.from), number(self.to))
    }
}

/// A set of category levels that changed between the two rules of a pair.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LevelChange {
    /// The feature's name.
    pub feature: String,
    /// True for an excluded set (`not in`).
    pub excluded: bool,
    /// The levels in A.
    pub from: Vec<String>,
    /// The levels in B.
    pub to: Vec<String>,
}

impl LevelChange {
    /// `Type in {L, M} → {L}`.
    pub fn describe(&self) -> String {
        format!(
            "{} {} {{{}}} → {{{}}}",
            self.feature,
            if self.excluded { "not in" } else { "in" },
            self.from.join(", "),
            self.to.join(", ")
        )
    }
}

/// An outcome that changed: `Machine failure = 0 → 1`, `PE = 451.2 → 452.0`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutcomeChange {
    /// The outcome in A, as the rule set writes it.
    pub from: String,
    /// The outcome in B.
    pub to: String,
}

/// A rule of A paired with a rule of B that differs from it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RuleChange {
    /// Index of the rule in A.
    pub a: usize,
    /// Index of the rule in B.
    pub b: usize,
    /// Every threshold that moved, by feature name, lower bound first.
    pub thresholds: Vec<ThresholdMove>,
    /// Every set of levels that changed.
    pub levels: Vec<LevelChange>,
    /// The outcome, when it changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<OutcomeChange>,
}

/// The difference between two rule sets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RuleDiff {
    /// A's rules as `IF … THEN …`, in order.
    pub a_rules: Vec<String>,
    /// B's rules, in order.
    pub b_rules: Vec<String>,
    /// Pairs `(a, b)` of rules that are the same.
    pub unchanged: Vec<(usize, usize)>,
    /// Pairs that differ, in A's order.
    pub changed: Vec<RuleChange>,
    /// Rules of A with no partner in B.
    pub removed: Vec<usize>,
    /// Rules of B with no partner in A.
    pub added: Vec<usize>,
    /// The default outcome, when it changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<OutcomeChange>,
}

impl RuleDiff {
    /// True when the two rule sets decide alike rule by rule.
    pub fn is_empty(&self) -> bool {
        self.changed.is_empty() && self.removed.is_empty() && self.added.is_empty() && self.default.is_none()
    }

    /// Every threshold move of every changed rule.
    pub fn threshold_moves(&self) -> impl Iterator<Item = &ThresholdMove> {
        self.changed.iter().flat_map(|c| &c.thresholds)
    }
}

/// The test one condition makes, without its numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Test {
    Range { above: bool, at_most: bool },
    In,
    NotIn,
}

/// What pairs two rules: the features and tests of their conditions, and (in the first pass)
/// the class they decide.
type Key = (Vec<(String, Test)>, String);

/// A condition in names: the feature, its test, its thresholds and its level texts.
#[derive(Debug, Clone)]
struct Named {
    feature: String,
    test: Test,
    low: Option<f64>,
    high: Option<f64>,
    levels: Vec<String>,
    span: f64,
}

fn named(rs: &RuleSet, c: &Condition) -> Named {
    let spec = rs.features.get(c.feature());
    let feature = spec.map_or_else(|| format!("feature {}", c.feature() + 1), |f| f.name.clone());
    let span = spec.map_or(1.0, |f| if f.max > f.min { f.max - f.min } else { 1.0 });
    let level_names = |levels: &[usize]| -> Vec<String> {
        let mut v: Vec<String> = levels
            .iter()
            .map(|&k| spec.and_then(|f| f.levels.get(k)).cloned().unwrap_or_else(|| format!("level {k}")))
            .collect();
        v.sort();
        v
    };
    match c {
        Condition::Range { low, high, .. } => Named {
            feature,
            test: Test::Range { above: low.is_some(), at_most: high.is_some() },
            low: *low,
            high: *high,
            levels: Vec::new(),
            span,
        },
        Condition::In { levels, .. } => {
            Named { feature, test: Test::In, low: None, high: None, levels: level_names(levels), span }
        }
        Condition::NotIn { levels, .. } => {
            Named { feature, test: Test::NotIn, low: None, high: None, levels: level_names(levels), span }
        }
    }
}

/// A rule's conditions in names, sorted by feature.
fn conditions(rs: &RuleSet, r: &Rule) -> Vec<Named> {
    let mut v: Vec<Named> = r.conditions.iter().map(|c| named(rs, c)).collect();
    v.sort_by(|a, b| a.feature.cmp(&b.feature).then(a.test.cmp(&b.test)));
    v
}

fn structure(conds: &[Named]) -> Vec<(String, Test)> {
    conds.iter().map(|c| (c.feature.clone(), c.test)).collect()
}

/// The outcome's text as the rule set writes it (class name, or value to the data's precision).
fn outcome_text(rs: &RuleSet, o: Outcome) -> String {
    rs.describe_outcome(o)
}

/// The class name of a class outcome; empty for a value (regression rules pair on structure).
fn class_key(rs: &RuleSet, o: Outcome) -> String {
    match o {
        Outcome::Class { index } => rs.classes.get(index).cloned().unwrap_or_else(|| format!("class {index}")),
        Outcome::Value { .. } => String::new(),
    }
}

/// True when some row could meet both rules' conditions (same structure, so the conditions pair
/// up feature by feature).
fn overlaps(a: &[Named], b: &[Named]) -> bool {
    a.iter().zip(b).all(|(x, y)| match x.test {
        Test::Range { .. } => {
            let low = match (x.low, y.low) {
                (Some(p), Some(q)) => p.max(q),
                (p, q) => p.or(q).unwrap_or(f64::NEG_INFINITY),
            };
            let high = match (x.high, y.high) {
                (Some(p), Some(q)) => p.min(q),
                (p, q) => p.or(q).unwrap_or(f64::INFINITY),
            };
            low < high
        }
        Test::In => x.levels.iter().any(|l| y.levels.contains(l)),
        Test::NotIn => true,
    })
}

/// How far apart two rules with the same structure are (see the module documentation).
fn distance(a: &[Named], b: &[Named], value_a: f64, value_b: f64) -> f64 {
    let mut d = 0.0;
    for (x, y) in a.iter().zip(b) {
        let moved = |p: Option<f64>, q: Option<f64>| match (p, q) {
            (Some(p), Some(q)) => (p - q).abs() / x.span,
            _ => 0.0,
        };
        d += moved(x.low, y.low) + moved(x.high, y.high);
        d += x.levels.iter().filter(|l| !y.levels.contains(l)).count() as f64;
        d += y.levels.iter().filter(|l| !x.levels.contains(l)).count() as f64;
    }
    if value_a.is_finite() && value_b.is_finite() {
        d += (value_a - value_b).abs() / (value_a.abs() + value_b.abs()).max(1e-12);
    }
    d
}

/// The differences between rule `a` of A and rule `b` of B, which have the same structure.
fn change(ra: &RuleSet, rb: &RuleSet, (i, ca): (usize, &[Named]), (j, cb): (usize, &[Named])) -> RuleChange {
    let mut thresholds = Vec::new();
    let mut levels = Vec::new();
    for (x, y) in ca.iter().zip(cb) {
        for (bound, p, q) in [(Bound::Above, x.low, y.low), (Bound::AtMost, x.high, y.high)] {
            if let (Some(p), Some(q)) = (p, q)
                && p != q
            {
                thresholds.push(ThresholdMove { feature: x.feature.clone(), bound, from: p, to: q });
            }
        }
        if x.levels != y.levels {
            levels.push(LevelChange {
                feature: x.feature.clone(),
                excluded: x.test == Test::NotIn,
                from: x.levels.clone(),
                to: y.levels.clone(),
            });
        }
    }
    let (oa, ob) = (
        ra.rules.get(i).map(|r| outcome_text(ra, r.outcome)).unwrap_or_default(),
        rb.rules.get(j).map(|r| outcome_text(rb, r.outcome)).unwrap_or_default(),
    );
    let outcome = (oa != ob).then_some(OutcomeChange { from: oa, to: ob });
    RuleChange { a: i, b: j, thresholds, levels, outcome }
}

/// The difference from rule set `a` to rule set `b` (see the module documentation).
pub fn diff(a: &RuleSet, b: &RuleSet) -> RuleDiff {
    let conds_a: Vec<Vec<Named>> = a.rules.iter().map(|r| conditions(a, r)).collect();
    let conds_b: Vec<Vec<Named>> = b.rules.iter().map(|r| conditions(b, r)).collect();
    let value = |o: Outcome| match o {
        Outcome::Value { value } => value,
        Outcome::Class { .. } => f64::NAN,
    };
    let mut free_a: Vec<bool> = vec![true; a.rules.len()];
    let mut free_b: Vec<bool> = vec![true; b.rules.len()];
    let mut pairs: Vec<(usize, usize)> = Vec::new();
    let with_outcome = a.task == Task::Classification && b.task == Task::Classification;
    for pass_with_outcome in [true, false] {
        if pass_with_outcome && !with_outcome {
            continue;
        }
        let key = |rs: &RuleSet, conds: &[Named], r: &Rule| {
            (structure(conds), if pass_with_outcome { class_key(rs, r.outcome) } else { String::new() })
        };
        let mut groups: BTreeMap<Key, (Vec<usize>, Vec<usize>)> = BTreeMap::new();
        for (i, r) in a.rules.iter().enumerate().filter(|(i, _)| free_a.get(*i) == Some(&true)) {
            groups.entry(key(a, conds_a.get(i).map_or(&[][..], Vec::as_slice), r)).or_default().0.push(i);
        }
        for (j, r) in b.rules.iter().enumerate().filter(|(j, _)| free_b.get(*j) == Some(&true)) {
            groups.entry(key(b, conds_b.get(j).map_or(&[][..], Vec::as_slice), r)).or_default().1.push(j);
        }
        for (ia, jb) in groups.values() {
            let mut candidates: Vec<(f64, usize, usize)> = Vec::with_capacity(ia.len() * jb.len());
            for &i in ia {
                for &j in jb {
                    let (Some(ca), Some(cb), Some(ra), Some(rb)) =
                        (conds_a.get(i), conds_b.get(j), a.rules.get(i), b.rules.get(j))
                    else {
                        continue;
                    };
                    if !overlaps(ca, cb) {
                        continue;
                    }
                    candidates.push((distance(ca, cb, value(ra.outcome), value(rb.outcome)), i, j));
                }
            }
            candidates.sort_by(|x, y| x.0.total_cmp(&y.0).then(x.1.cmp(&y.1)).then(x.2.cmp(&y.2)));
            for (_, i, j) in candidates {
                if free_a.get(i) == Some(&true) && free_b.get(j) == Some(&true) {
                    if let Some(f) = free_a.get_mut(i) {
                        *f = false;
                    }
                    if let Some(f) = free_b.get_mut(j) {
                        *f = false;
                    }
                    pairs.push((i, j));
                }
            }
        }
    }
    pairs.sort_unstable();
    let mut unchanged = Vec::new();
    let mut changed = Vec::new();
    for (i, j) in pairs {
        let (Some(ca), Some(cb)) = (conds_a.get(i), conds_b.get(j)) else { continue };
        let c = change(a, b, (i, ca), (j, cb));
        if c.thresholds.is_empty() && c.levels.is_empty() && c.outcome.is_none() {
            unchanged.push((i, j));
        } else {
            changed.push(c);
        }
    }
    let (da, db) = (outcome_text(a, a.default), outcome_text(b, b.default));
    RuleDiff {
        a_rules: describe_rules(a),
        b_rules: describe_rules(b),
        unchanged,
        changed,
        removed: free_a.iter().enumerate().filter(|(_, f)| **f).map(|(i, _)| i).collect(),
        added: free_b.iter().enumerate().filter(|(_, f)| **f).map(|(j, _)| j).collect(),
        default: (da != db).then_some(OutcomeChange { from: da, to: db }),
    }
}

fn describe_rules(rs: &RuleSet) -> Vec<String> {
    rs.rules
        .iter()
        .map(|r| format!("IF {} THEN {}", r.describe_conditions(&rs.features), rs.describe_outcome(r.outcome)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::pipeline::FeatureSpec;
    use crate::rules::{RuleSource, RuleStats};

    fn rule(conditions: Vec<Condition>, class: usize) -> Rule {
        Rule { conditions, outcome: Outcome::Class { index: class }, stats: RuleStats::default(), leaf: None }
    }

    fn set(features: Vec<FeatureSpec>, rules: Vec<Rule>) -> RuleSet {
        RuleSet {
            task: Task::Classification,
            target: "Failure".into(),
            classes: vec!["no".into(), "yes".into()],
            features,
            rules,
            default: Outcome::Class { index: 0 },
            default_stats: RuleStats::default(),
            source: RuleSource::Tree,
            fidelity: crate::rules::Fidelity::default(),
            steps: Vec::new(),
            value_decimals: None,
        }
    }

    fn torque(low: Option<f64>, high: Option<f64>) -> Condition {
        Condition::Range { feature: 0, low, high }
    }

    #[test]
    fn moved_thresholds_pair_up_and_new_structures_are_added() {
        let f = vec![
            FeatureSpec::numeric("Torque [Nm]", Some("Nm"), 0.0, 100.0, 40.0),
            FeatureSpec::categorical("Type", &["H", "L", "M"], 1.0),
        ];
        // B numbers its features the other way round: matching goes by name.
        let g = vec![f[1].clone(), f[0].clone()];
        let a = set(
            f,
            vec![
                rule(vec![torque(None, Some(60.65))], 0),
                rule(vec![torque(Some(60.65), Some(70.0))], 1),
                rule(vec![torque(Some(70.0), None), Condition::In { feature: 1, levels: vec![1, 2] }], 1),
                rule(vec![torque(Some(80.0), None), Condition::NotIn { feature: 1, levels: vec![0] }], 1),
                rule(vec![torque(Some(10.0), Some(20.0))], 0),
            ],
        );
        let b = set(
            g,
            vec![
                rule(vec![Condition::Range { feature: 1, low: Some(58.2), high: Some(70.0) }], 1),
                rule(vec![Condition::Range { feature: 1, low: None, high: Some(58.2) }], 1),
                rule(
                    vec![
                        Condition::In { feature: 0, levels: vec![1] },
                        Condition::Range { feature: 1, low: Some(70.0), high: None },
                    ],
                    1,
                ),
                rule(vec![Condition::Range { feature: 1, low: Some(90.0), high: Some(95.0) }], 0),
            ],
        );
        let d = diff(&a, &b);
        // Rule 0: same structure, outcome changed (second pass), threshold moved.
        let c0 = d.changed.iter().find(|c| c.a == 0).expect("rule 0 changed");
        assert_eq!(c0.b, 1);
        assert_eq!(
            c0.thresholds.iter().map(ThresholdMove::describe).collect::<Vec<_>>(),
            ["Torque [Nm] <= 60.65 → 58.2"]
        );
        assert_eq!(
            c0.outcome.as_ref().map(|o| (o.from.as_str(), o.to.as_str())),
            Some(("Failure = no", "Failure = yes"))
        );
        // Rule 1: lower bound moved only.
        let c1 = d.changed.iter().find(|c| c.a == 1).expect("rule 1 changed");
        assert_eq!(c1.b, 0);
        assert_eq!(
            c1.thresholds.iter().map(ThresholdMove::describe).collect::<Vec<_>>(),
            ["Torque [Nm] > 60.65 → 58.2"]
        );
        assert!(c1.outcome.is_none());
        // Rule 2: levels changed, thresholds equal.
        let c2 = d.changed.iter().find(|c| c.a == 2).expect("rule 2 changed");
        assert_eq!(c2.levels.iter().map(LevelChange::describe).collect::<Vec<_>>(), ["Type in {L, M} → {L}"]);
        assert!(c2.thresholds.is_empty());
        // Rule 3 of A (with a Type condition) has no partner. A's rule 4 and B's rule 3 test
        // alike and decide alike, but on ranges that do not touch: removed and added.
        assert_eq!(d.removed, [3, 4]);
        assert_eq!(d.added, [3]);
        assert!(d.unchanged.is_empty() && d.default.is_none() && !d.is_empty());
        assert!(diff(&a, &a).is_empty());
        assert_eq!(diff(&a, &a).unchanged.len(), 5);
    }
}
