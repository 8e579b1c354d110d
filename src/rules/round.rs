//! Plant-friendly thresholds: `Torque [Nm] <= 41.65000000000001` becomes `<= 41.7` (three
//! significant digits) or `<= 40` (a step of 5 for torque). Rounding moves a boundary, so it can
//! change decisions; [`round_thresholds`] returns the rounded rule set with the fidelity before
//! and after and every threshold it moved, for the user to accept or not.
//!
//! On a feature that holds whole numbers only, a threshold first goes down to the whole number
//! below it (`x <= 1551.5` is `x <= 1551` for whole x), which changes nothing.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::score::{Fidelity, RuleData};
use super::{Condition, RuleSet};
use crate::model::pipeline::FeatureSpec;

/// How thresholds are rounded.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Rounding {
    /// Significant digits for every feature without a step of its own.
    pub digits: Option<u32>,
    /// A step per feature, by feature name (thresholds become multiples of it).
    pub steps: BTreeMap<String, f64>,
}

/// One threshold that rounding moved.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ThresholdChange {
    /// Index of the rule.
    pub rule: usize,
    /// Index of the raw feature.
    pub feature: usize,
    /// The threshold before.
    pub from: f64,
    /// The threshold after.
    pub to: f64,
}

/// A rounded rule set, not yet accepted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoundingPreview {
    /// The rounded rules, scored, with the step recorded.
    pub rules: RuleSet,
    /// Fidelity before rounding.
    pub before: Fidelity,
    /// Fidelity after rounding.
    pub after: Fidelity,
    /// Every threshold that moved.
    pub changes: Vec<ThresholdChange>,
}

/// Rounds `v` to `digits` significant digits, returning the shortest decimal of the result.
pub fn round_significant(v: f64, digits: u32) -> f64 {
    if v == 0.0 || !v.is_finite() || digits == 0 {
        return v;
    }
    let d = usize::try_from(digits.saturating_sub(1)).unwrap_or(0);
    format!("{v:.d$e}").parse().unwrap_or(v)
}

/// Rounds `v` to the nearest multiple of `step`, without the binary noise of `k * step`.
pub fn round_to_step(v: f64, step: f64) -> f64 {
    if step.is_nan() || step <= 0.0 || !v.is_finite() {
        return v;
    }
    let k = (v / step).round();
    let raw = k * step;
    // Decimals of the step as written (0.05 → 2), so 3 * 0.1 prints and compares as 0.3.
    let step_text = format!("{step}");
    let decimals = step_text.split_once('.').map_or(0, |(_, f)| f.len());
    format!("{raw:.decimals$}").parse().unwrap_or(raw)
}

/// The rounded value of threshold `t` on feature `spec`, or `t` when no rounding applies.
pub fn round_threshold(t: f64, spec: &FeatureSpec, rounding: &Rounding) -> f64 {
    let t = if spec.integer && t.is_finite() { t.floor() } else { t };
    if let Some(&step) = rounding.steps.get(&spec.name) {
        round_to_step(t, step)
    } else if let Some(d) = rounding.digits {
        round_significant(t, d)
    } else {
        t
    }
}

/// Rounds every range bound of `rs` and scores the result on `data`.
pub fn round_thresholds(rs: &RuleSet, data: &RuleData, rounding: &Rounding) -> RoundingPreview {
    let before = super::score::fidelity(rs, data);
    let mut out = rs.clone();
    let mut changes = Vec::new();
    for (r, rule) in out.rules.iter_mut().enumerate() {
        let mut moved = false;
        for c in &mut rule.conditions {
            let Condition::Range { feature, low, high } = c else { continue };
            let Some(spec) = rs.features.get(*feature) else { continue };
            for bound in [low, high].into_iter().flatten() {
                let to = round_threshold(*bound, spec, rounding);
                if to != *bound {
                    changes.push(ThresholdChange { rule: r, feature: *feature, from: *bound, to });
                    *bound = to;
                    moved = true;
                }
            }
        }
        if moved {
            rule.leaf = None;
        }
    }
    out.score(data);
    let after = out.fidelity.clone();
    let how = match (rounding.digits, rounding.steps.is_empty()) {
        (Some(d), true) => format!("to {d} significant digits"),
        (Some(d), false) => format!("to {d} significant digits and per-feature steps"),
        (None, false) => "to per-feature steps".to_owned(),
        (None, true) => "whole-number features only".to_owned(),
    };
    out.record(
        "round",
        format!(
            "rounded {} thresholds {how}: training fidelity {:.2} % → {:.2} %, held-out {:.2} % → {:.2} %",
            changes.len(),
            before.train.share * 100.0,
            after.train.share * 100.0,
            before.test.share * 100.0,
            after.test.share * 100.0,
        ),
    );
    RoundingPreview { rules: out, before, after, changes }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::pipeline::FeatureKind;

    #[test]
    fn rounding_gives_short_numbers() {
        assert_eq!(round_significant(41.650_000_000_000_01, 3), 41.7);
        assert_eq!(round_significant(1551.5, 2), 1600.0);
        assert_eq!(round_significant(-0.001_234_9, 2), -0.0012);
        assert_eq!(round_to_step(0.299_999_9, 0.1), 0.3);
        assert_eq!(round_to_step(41.65, 5.0), 40.0);
        let spec = FeatureSpec {
            name: "Rotational speed [rpm]".into(),
            unit: Some("rpm".into()),
            kind: FeatureKind::Numeric,
            levels: vec![],
            min: 1168.0,
            max: 2886.0,
            fill: 1503.0,
            integer: true,
        };
        assert_eq!(round_threshold(1551.5, &spec, &Rounding::default()), 1551.0);
        let r = Rounding { digits: Some(3), ..Rounding::default() };
        assert_eq!(round_threshold(1551.5, &spec, &r), 1550.0);
    }
}
