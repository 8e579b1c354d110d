//! Shorter rules that still decide as the model does: each step reports the fidelity it keeps.
//!
//! 1. *Merge*: two rules with the same outcome whose conditions differ on one feature only, where
//!    the two ranges touch (sibling leaves, `x <= t` and `x > t`) or the level sets can be united,
//!    become one rule. The merged rule covers exactly the union of the two, and a merge is made
//!    only where no rule between them overlaps the later one, so no decision changes on any row.
//! 2. *Drop conditions*: a condition goes when removing it changes no decision on the training
//!    rows (the rule then covers rows that later rules decided the same way). Held-out rows may
//!    change; the step's fidelity says how many.
//! 3. *Prune*: rules below a minimum support or confidence go; their rows fall to later rules or
//!    to the default rule, whose outcome becomes the model's most frequent decision (regression:
//!    the mean decision) on the training rows that reach it.

// Rule indices run below rules.len(), read again after every removal; row indices run below
// rows.len(), the length of `filled`, `decided` and `which` alike.
#![allow(clippy::indexing_slicing)]

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::score::{RuleData, decisions, same_decision, significant};
use super::{Condition, Outcome, Rule, RuleSet};
use crate::model::Task;

/// Which steps [`simplify`] takes.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct SimplifyOptions {
    /// Merge rules with the same outcome where that is exact.
    pub merge: bool,
    /// Drop conditions that change no decision on the training rows.
    pub drop_conditions: bool,
    /// Rules deciding fewer than this share of the training rows go to the default rule.
    pub min_support: f64,
    /// Rules with a lower confidence go to the default rule.
    pub min_confidence: f64,
}

impl Default for SimplifyOptions {
    fn default() -> Self {
        Self { merge: true, drop_conditions: true, min_support: 0.0, min_confidence: 0.0 }
    }
}

/// Applies the steps `options` asks for, scoring and recording each.
pub fn simplify(rs: &RuleSet, data: &RuleData, options: &SimplifyOptions) -> RuleSet {
    let mut rs = rs.clone();
    if options.merge {
        let before = rs.rules.len();
        let merged = merge(&mut rs);
        rs.score(data);
        rs.record(
            "merge",
            format!("merged {merged} pairs of rules with the same outcome: {before} → {} rules", rs.rules.len()),
        );
    }
    if options.drop_conditions {
        let before = rs.n_conditions();
        let dropped = drop_conditions(&mut rs, data);
        let merged = if options.merge { merge(&mut rs) } else { 0 };
        absorb_catch_all(&mut rs);
        rs.score(data);
        let mut text = format!(
            "dropped {dropped} conditions that change no decision on the training rows: {before} → {} conditions",
            rs.n_conditions()
        );
        if merged > 0 {
            let _ = write!(text, "; then merged {merged} more pairs of rules");
        }
        rs.record("drop conditions", text);
    }
    if options.min_support > 0.0 || options.min_confidence > 0.0 {
        let before = rs.rules.len();
        let pruned = prune(&mut rs, data, options.min_support, options.min_confidence);
        rs.score(data);
        let mut limits = Vec::new();
        if options.min_support > 0.0 {
            limits.push(format!("support below {} %", significant(options.min_support * 100.0, 3)));
        }
        if options.min_confidence > 0.0 {
            limits.push(format!("confidence below {} %", significant(options.min_confidence * 100.0, 3)));
        }
        rs.record(
            "prune",
            format!(
                "moved {pruned} rules with {} to the default rule: {before} → {} rules",
                limits.join(" or "),
                rs.rules.len()
            ),
        );
    }
    rs
}

/// Merges rules with the same outcome where the union is exact; returns the number of merges.
pub fn merge(rs: &mut RuleSet) -> usize {
    let mut merges = 0;
    'again: loop {
        for j in 1..rs.rules.len() {
            for i in 0..j {
                if !same_outcome(rs.task, rs.rules[i].outcome, rs.rules[j].outcome) {
                    continue;
                }
                let Some(conditions) = union(&rs.rules[i].conditions, &rs.rules[j].conditions) else { continue };
                // Rows of rule j move up to position i: only safe when no rule in between overlaps it.
                if (i + 1..j).any(|k| !disjoint(&rs.rules[k], &rs.rules[j])) {
                    continue;
                }
                rs.rules[i].conditions = conditions;
                rs.rules[i].leaf = None;
                rs.rules.remove(j);
                merges += 1;
                continue 'again;
            }
        }
        return merges;
    }
}

fn same_outcome(task: Task, a: Outcome, b: Outcome) -> bool {
    match task {
        Task::Classification => a == b,
        Task::Regression => a.as_f64() == b.as_f64(),
    }
}

/// The conditions of the union of two rules, when it is itself one rule: they agree on every
/// feature but at most one, and on that one the union is one range or one set of levels.
fn union(a: &[Condition], b: &[Condition]) -> Option<Vec<Condition>> {
    let by_feature =
        |cs: &[Condition]| -> BTreeMap<usize, Condition> { cs.iter().map(|c| (c.feature(), c.clone())).collect() };
    let (ma, mb) = (by_feature(a), by_feature(b));
    let mut features: Vec<usize> = ma.keys().chain(mb.keys()).copied().collect();
    features.sort_unstable();
    features.dedup();
    let differing: Vec<usize> = features.iter().copied().filter(|f| ma.get(f) != mb.get(f)).collect();
    match differing.as_slice() {
        [] => Some(a.to_vec()),
        [f] => {
            let merged = match (ma.get(f), mb.get(f)) {
                (Some(x), Some(y)) => union_one(x, y)?,
                _ => None,
            };
            let mut out: Vec<Condition> = ma.into_iter().filter(|(g, _)| g != f).map(|(_, c)| c).collect();
            out.extend(merged);
            out.sort_by_key(Condition::feature);
            Some(out)
        }
        _ => None,
    }
}

/// The union of two conditions on one feature: `Some(None)` when it no longer restricts,
/// `None` when it is not one condition (two ranges with a gap).
#[allow(clippy::option_option)]
fn union_one(x: &Condition, y: &Condition) -> Option<Option<Condition>> {
    use Condition::{In, NotIn, Range};
    let c = match (x, y) {
        (Range { feature, low: l1, high: h1 }, Range { low: l2, high: h2, .. }) => {
            // (l1, h1] and (l2, h2] must touch or overlap.
            let touches = |h: &Option<f64>, l: &Option<f64>| match (h, l) {
                (Some(h), Some(l)) => h >= l,
                _ => true,
            };
            if !(touches(h1, l2) && touches(h2, l1)) {
                return None;
            }
            let low = match (l1, l2) {
                (Some(a), Some(b)) => Some(a.min(*b)),
                _ => None,
            };
            let high = match (h1, h2) {
                (Some(a), Some(b)) => Some(a.max(*b)),
                _ => None,
            };
            (low.is_some() || high.is_some()).then_some(Range { feature: *feature, low, high })
        }
        (In { feature, levels: a }, In { levels: b, .. }) => {
            let mut levels: Vec<usize> = a.iter().chain(b).copied().collect();
            levels.sort_unstable();
            levels.dedup();
            Some(In { feature: *feature, levels })
        }
        (NotIn { feature, levels: a }, NotIn { levels: b, .. }) => {
            let levels: Vec<usize> = a.iter().copied().filter(|k| b.contains(k)).collect();
            (!levels.is_empty()).then_some(NotIn { feature: *feature, levels })
        }
        (In { feature, levels: a }, NotIn { levels: b, .. }) | (NotIn { levels: b, .. }, In { feature, levels: a }) => {
            let levels: Vec<usize> = b.iter().copied().filter(|k| !a.contains(k)).collect();
            (!levels.is_empty()).then_some(NotIn { feature: *feature, levels })
        }
        _ => return None,
    };
    Some(c)
}

/// True when no row can meet both rules (some feature's conditions exclude each other).
pub fn disjoint(a: &Rule, b: &Rule) -> bool {
    use Condition::{In, NotIn, Range};
    a.conditions.iter().any(|x| {
        b.conditions.iter().filter(|y| y.feature() == x.feature()).any(|y| match (x, y) {
            (Range { low: l1, high: h1, .. }, Range { low: l2, high: h2, .. }) => {
                let below = |h: &Option<f64>, l: &Option<f64>| matches!((h, l), (Some(h), Some(l)) if h <= l);
                below(h1, l2) || below(h2, l1)
            }
            (In { levels: p, .. }, In { levels: q, .. }) => !p.iter().any(|k| q.contains(k)),
            (In { levels: p, .. }, NotIn { levels: q, .. }) | (NotIn { levels: q, .. }, In { levels: p, .. }) => {
                p.iter().all(|k| q.contains(k))
            }
            _ => false,
        })
    })
}

/// Drops, rule by rule and feature by feature, every condition whose removal changes no decision
/// on the training rows; returns how many were dropped.
pub fn drop_conditions(rs: &mut RuleSet, data: &RuleData) -> usize {
    let rows = &data.train;
    let mut filled: Vec<Vec<f64>> = Vec::with_capacity(rows.len());
    let mut buf = Vec::new();
    for i in 0..rows.len() {
        rs.fill(rows.raw.row(i), &mut buf);
        filled.push(buf.clone());
    }
    let (decided, mut which) = decisions(rs, rows);
    let mut dropped = 0;
    for r in 0..rs.rules.len() {
        let mut c = 0;
        while c < rs.rules[r].conditions.len() {
            let mut relaxed = rs.rules[r].clone();
            relaxed.conditions.remove(c);
            let outcome = relaxed.outcome.as_f64();
            let newly: Vec<usize> =
                (0..filled.len()).filter(|&i| which[i] > r && relaxed.matches(&filled[i])).collect();
            if newly.iter().all(|&i| same_decision(rs.task, decided[i], outcome)) {
                for &i in &newly {
                    which[i] = r;
                }
                relaxed.leaf = None;
                rs.rules[r] = relaxed;
                dropped += 1;
            } else {
                c += 1;
            }
        }
    }
    dropped
}

/// A rule without conditions decides every row that reaches it, so it becomes the default and
/// the rules after it (never reached) go. Changes no decision on any row.
pub fn absorb_catch_all(rs: &mut RuleSet) {
    if let Some(i) = rs.rules.iter().position(|r| r.conditions.is_empty()) {
        rs.default = rs.rules[i].outcome;
        rs.rules.truncate(i);
    }
}

/// Removes rules below `min_support` (share of training rows) or `min_confidence` (classification
/// rules; a regression rule has no confidence and is kept) and sets the
/// default to the model's most frequent (mean) decision on the training rows that then reach it.
/// Needs current statistics (score first). Returns the number of rules removed.
pub fn prune(rs: &mut RuleSet, data: &RuleData, min_support: f64, min_confidence: f64) -> usize {
    let before = rs.rules.len();
    rs.rules.retain(|r| r.stats.support_share >= min_support && r.stats.confidence.is_none_or(|c| c >= min_confidence));
    let (_, which) = decisions(rs, &data.train);
    let reaching: Vec<f64> =
        which.iter().zip(&data.train.model).filter(|(w, _)| **w == rs.rules.len()).map(|(_, m)| *m).collect();
    if !reaching.is_empty() {
        rs.default = match rs.task {
            Task::Classification => {
                let mut counts = vec![0usize; rs.classes.len()];
                for &m in &reaching {
                    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                    if let Some(c) = counts.get_mut(m.max(0.0) as usize) {
                        *c += 1;
                    }
                }
                // Most frequent, ties to the lower class index.
                let best =
                    counts.iter().enumerate().max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(&a.0))).map_or(0, |(k, _)| k);
                Outcome::Class { index: best }
            }
            Task::Regression => Outcome::Value { value: reaching.iter().sum::<f64>() / reaching.len() as f64 },
        };
    }
    before - rs.rules.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(feature: usize, low: Option<f64>, high: Option<f64>) -> Condition {
        Condition::Range { feature, low, high }
    }

    #[test]
    fn unions_are_exact_or_refused() {
        let a = [range(0, None, Some(5.0)), range(1, Some(1.0), None)];
        let b = [range(0, Some(5.0), Some(9.0)), range(1, Some(1.0), None)];
        assert_eq!(union(&a, &b), Some(vec![range(0, None, Some(9.0)), range(1, Some(1.0), None)]));
        // A gap between the ranges: no single rule.
        let c = [range(0, Some(6.0), Some(9.0)), range(1, Some(1.0), None)];
        assert_eq!(union(&a, &c), None);
        // Two features differ: no single rule.
        let d = [range(0, Some(5.0), Some(9.0)), range(1, Some(2.0), None)];
        assert_eq!(union(&a, &d), None);
        // Sibling leaves on a one-hot split: the condition disappears.
        let e = [Condition::In { feature: 2, levels: vec![1] }];
        let f = [Condition::NotIn { feature: 2, levels: vec![1] }];
        assert_eq!(union(&e, &f), Some(vec![]));
        let g = [Condition::NotIn { feature: 2, levels: vec![0, 1] }];
        assert_eq!(union(&e, &g), Some(vec![Condition::NotIn { feature: 2, levels: vec![0] }]));
    }

    #[test]
    fn disjointness_is_structural() {
        let rule = |c: Vec<Condition>| Rule {
            conditions: c,
            outcome: Outcome::Class { index: 0 },
            stats: super::super::RuleStats::default(),
            leaf: None,
        };
        assert!(disjoint(&rule(vec![range(0, None, Some(5.0))]), &rule(vec![range(0, Some(5.0), None)])));
        assert!(!disjoint(&rule(vec![range(0, None, Some(5.0))]), &rule(vec![range(0, Some(4.0), None)])));
        assert!(!disjoint(&rule(vec![range(0, None, Some(5.0))]), &rule(vec![range(1, Some(9.0), None)])));
        assert!(disjoint(
            &rule(vec![Condition::In { feature: 1, levels: vec![1] }]),
            &rule(vec![Condition::NotIn { feature: 1, levels: vec![1, 2] }])
        ));
    }
}
