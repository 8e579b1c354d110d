//! Has a scenario left the region the model saw in training?
//!
//! Two checks, both shown to the user:
//! - **per feature**: is every value within the training range (and every category a level the
//!   model saw)?
//! - **multivariate**: is the *combination* like the training rows? Each value can lie within
//!   its range while the combination was never seen (in the AI4I data the process temperature
//!   runs about 10 K above the air temperature; a hot-air, cool-process scenario passes both
//!   range checks and is still far from every training row).
//!
//! The multivariate check is the k-nearest-neighbour distance score (Ramaswamy, Rastogi & Shim
//! 2000, "Efficient algorithms for mining outliers from large data sets"): the mean Euclidean
//! distance from the scenario to its k = 5 nearest reference rows, in the raw feature space with
//! numeric features standardised by their training mean and standard deviation and a differing
//! category counting as one standard deviation. It is judged against the same score of every
//! reference row to its own k nearest *other* rows (leave one out): a scenario is outside the
//! envelope when its score exceeds the 99th percentile of the reference rows' scores.
//!
//! Why not Mahalanobis distance (with a robust covariance)? It assumes the data form one
//! ellipsoid. Plant data rarely do: product types and operating modes form separate clusters,
//! and physical relations bend the data (power = torque × speed), so an ellipsoid around all of
//! it contains large empty regions — exactly the places where a model extrapolates. The k-NN
//! score follows any shape, handles categories directly and needs no matrix inversion that
//! collinear sensors would make unstable. Its cost is one pass over the reference rows per
//! scenario: with 2,000 reference rows and 6 features about 12,000 multiply-adds, a few
//! microseconds, cheap enough for every frame of a slider.

// Every per-feature vector is built in `fit` with one entry per feature, `transform` makes rows of
// that length and reference rows have it too, so j indexes them all; `at` is clamped into 0..n.
#![allow(clippy::indexing_slicing)]

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::matrix::Matrix;
use crate::model::pipeline::{FeatureKind, FeatureSpec};

/// A value outside the training range of its feature (or a category level never seen).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RangeIssue {
    /// The feature (model order).
    pub feature: usize,
    /// Its name.
    pub name: String,
    /// The value (a level index for a category, −1 for a level the model never saw).
    pub value: f64,
    /// Smallest training value.
    pub min: f64,
    /// Largest training value.
    pub max: f64,
    /// More than 10 % of the training range beyond it (or an unknown level).
    pub far: bool,
}

impl RangeIssue {
    /// A sentence for people.
    pub fn describe(&self, spec: Option<&FeatureSpec>) -> String {
        let kind = spec.map_or(FeatureKind::Numeric, |s| s.kind);
        if kind == FeatureKind::Categorical {
            let levels = spec.map(|s| s.levels.join(", ")).unwrap_or_default();
            return format!("'{}' has a level the model never saw in training (levels: {levels})", self.name);
        }
        format!(
            "'{}' = {} is {}outside the training range {} to {}",
            self.name,
            crate::data::format_number(self.value),
            if self.far { "far " } else { "" },
            crate::data::format_number(self.min),
            crate::data::format_number(self.max)
        )
    }
}

/// The result of both checks for one scenario.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EnvelopeCheck {
    /// Every value within its training range.
    pub in_range: bool,
    /// The values that are not.
    pub out_of_range: Vec<RangeIssue>,
    /// The scenario's k-NN distance score.
    pub distance: f64,
    /// Scores above this count as outside (the reference rows' 99th percentile).
    pub threshold: f64,
    /// The reference rows' median score, for scale ("typical rows lie at 0.4").
    pub typical: f64,
    /// Share of reference rows whose own score is below this scenario's, in [0, 1].
    pub percentile: f64,
    /// The combination of values is like the training rows (`distance <= threshold`).
    pub near_training: bool,
    /// Both checks pass: the model has seen scenarios like this one.
    pub in_envelope: bool,
}

impl EnvelopeCheck {
    /// One sentence saying why a scenario is outside, or `None` when it is inside.
    pub fn warning(&self, specs: &[FeatureSpec]) -> Option<String> {
        if self.in_envelope {
            return None;
        }
        let mut parts: Vec<String> = self.out_of_range.iter().map(|r| r.describe(specs.get(r.feature))).collect();
        if !self.near_training {
            parts.push(format!(
                "the combination of values is unlike the training rows (distance {:.2} to the nearest ones; \
                 99 % of training rows lie within {:.2}, typically {:.2})",
                self.distance, self.threshold, self.typical
            ));
        }
        Some(format!("outside what the model saw in training: {}; treat the prediction as a guess", parts.join("; ")))
    }
}

/// The reference rows and the statistics both checks need.
#[derive(Debug, Clone, PartialEq)]
pub struct Envelope {
    /// Reference rows in the distance space (standardised numbers, category codes as they are).
    reference: Matrix,
    categorical: Vec<bool>,
    centre: Vec<f64>,
    scale: Vec<f64>,
    fill: Vec<f64>,
    names: Vec<String>,
    min: Vec<f64>,
    max: Vec<f64>,
    n_levels: Vec<usize>,
    k: usize,
    /// Leave-one-out scores of the reference rows, ascending.
    scores: Vec<f64>,
    threshold: f64,
}

impl Envelope {
    /// Fits the envelope on raw reference rows (missing values are filled as the pipeline
    /// fills them); `k` neighbours, outside above the `quantile` of the reference scores.
    pub fn fit(specs: &[FeatureSpec], raw: &Matrix, k: usize, quantile: f64) -> Self {
        let m = specs.len();
        let categorical: Vec<bool> = specs.iter().map(|s| s.kind == FeatureKind::Categorical).collect();
        let fill: Vec<f64> = specs.iter().map(|s| s.fill).collect();
        let n = raw.n_rows();
        let mut centre = vec![0.0; m];
        let mut scale = vec![1.0; m];
        for j in 0..m {
            if categorical[j] || n == 0 {
                continue;
            }
            let value = |i: usize| {
                let v = raw.get(i, j);
                if v.is_nan() { fill[j] } else { v }
            };
            let mean = (0..n).map(value).sum::<f64>() / n as f64;
            let var = (0..n).map(|i| (value(i) - mean).powi(2)).sum::<f64>() / n as f64;
            centre[j] = mean;
            scale[j] = if var.sqrt() > 1e-12 { var.sqrt() } else { 1.0 };
        }
        let mut env = Self {
            reference: Matrix::zeros(0, m),
            categorical,
            centre,
            scale,
            fill,
            names: specs.iter().map(|s| s.name.clone()).collect(),
            min: specs.iter().map(|s| s.min).collect(),
            max: specs.iter().map(|s| s.max).collect(),
            n_levels: specs.iter().map(|s| s.levels.len()).collect(),
            k: k.max(1),
            scores: Vec::new(),
            threshold: f64::INFINITY,
        };
        let mut reference = Matrix::zeros(n, m);
        for i in 0..n {
            let z = env.transform(raw.row(i));
            reference.row_mut(i).copy_from_slice(&z);
        }
        env.reference = reference;
        if n >= 2 {
            let k = env.k.min(n - 1);
            let mut scores: Vec<f64> = (0..n)
                .into_par_iter()
                .with_min_len(32)
                .map(|i| env.knn_score(env.reference.row(i), k, Some(i)))
                .collect();
            scores.sort_by(f64::total_cmp);
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            let at = ((quantile.clamp(0.0, 1.0) * n as f64).ceil() as usize).clamp(1, n) - 1;
            env.threshold = scores[at];
            env.scores = scores;
        }
        env
    }

    /// A raw row in the distance space.
    fn transform(&self, raw: &[f64]) -> Vec<f64> {
        (0..self.centre.len())
            .map(|j| {
                let v = raw.get(j).copied().unwrap_or(f64::NAN);
                let v = if v.is_nan() { self.fill[j] } else { v };
                if self.categorical[j] { v } else { (v - self.centre[j]) / self.scale[j] }
            })
            .collect()
    }

    /// Mean distance to the `k` nearest reference rows, leaving out row `skip`.
    fn knn_score(&self, z: &[f64], k: usize, skip: Option<usize>) -> f64 {
        if k == 0 || self.reference.n_rows() == 0 {
            return 0.0;
        }
        // The k smallest squared distances, ascending.
        let mut best: Vec<f64> = Vec::with_capacity(k + 1);
        for (i, r) in self.reference.rows().enumerate() {
            if Some(i) == skip {
                continue;
            }
            let mut d2 = 0.0;
            for j in 0..z.len() {
                let (a, b) = (z[j], r[j]);
                d2 += if self.categorical[j] { f64::from(u8::from(a != b)) } else { (a - b) * (a - b) };
            }
            if best.len() < k || d2 < best[best.len() - 1] {
                let at = best.partition_point(|&x| x <= d2);
                best.insert(at, d2);
                best.truncate(k);
            }
        }
        if best.is_empty() {
            return 0.0;
        }
        best.iter().map(|d| d.sqrt()).sum::<f64>() / best.len() as f64
    }

    /// The k-NN score of a raw row (missing values filled as the pipeline fills them).
    pub fn distance(&self, raw: &[f64]) -> f64 {
        let k = self.k.min(self.reference.n_rows().saturating_sub(1)).max(1);
        self.knn_score(&self.transform(raw), k, None)
    }

    /// Each feature's squared difference (in the distance space) between a raw row and its
    /// nearest reference row: which features make a combination unlike the training rows.
    pub fn nearest_gaps(&self, raw: &[f64]) -> Vec<f64> {
        let z = self.transform(raw);
        let gap = |r: &[f64], j: usize| {
            let (a, b) = (z[j], r[j]);
            if self.categorical[j] { f64::from(u8::from(a != b)) } else { (a - b) * (a - b) }
        };
        let nearest = self
            .reference
            .rows()
            .map(|r| ((0..z.len()).map(|j| gap(r, j)).sum::<f64>(), r))
            .min_by(|a, b| a.0.total_cmp(&b.0));
        match nearest {
            Some((_, r)) => (0..z.len()).map(|j| gap(r, j)).collect(),
            None => vec![0.0; z.len()],
        }
    }

    /// The values of a raw row outside their training range.
    pub fn range_issues(&self, raw: &[f64]) -> Vec<RangeIssue> {
        let mut out = Vec::new();
        for j in 0..self.names.len() {
            let v = raw.get(j).copied().unwrap_or(f64::NAN);
            if v.is_nan() {
                continue;
            }
            let (min, max) = (self.min[j], self.max[j]);
            let issue = if self.categorical[j] {
                #[allow(clippy::cast_precision_loss)]
                let unknown = v < 0.0 || v >= self.n_levels[j] as f64;
                unknown.then_some(true)
            } else if v < min || v > max {
                let margin = 0.1 * (max - min).abs();
                Some(v < min - margin || v > max + margin)
            } else {
                None
            };
            if let Some(far) = issue {
                out.push(RangeIssue { feature: j, name: self.names[j].clone(), value: v, min, max, far });
            }
        }
        out
    }

    /// Both checks for a raw row.
    pub fn check(&self, raw: &[f64]) -> EnvelopeCheck {
        let out_of_range = self.range_issues(raw);
        let distance = self.distance(raw);
        let near_training = distance <= self.threshold;
        let typical = self.scores.get(self.scores.len() / 2).copied().unwrap_or(0.0);
        let below = self.scores.partition_point(|&s| s < distance);
        let percentile = if self.scores.is_empty() { 0.0 } else { below as f64 / self.scores.len() as f64 };
        EnvelopeCheck {
            in_range: out_of_range.is_empty(),
            in_envelope: out_of_range.is_empty() && near_training,
            out_of_range,
            distance,
            threshold: self.threshold,
            typical,
            percentile,
            near_training,
        }
    }

    /// Number of reference rows.
    pub fn n_reference(&self) -> usize {
        self.reference.n_rows()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(name: &str, min: f64, max: f64) -> FeatureSpec {
        FeatureSpec {
            name: name.into(),
            unit: None,
            kind: FeatureKind::Numeric,
            levels: vec![],
            min,
            max,
            fill: f64::midpoint(min, max),
            integer: false,
        }
    }

    #[test]
    fn a_combination_never_seen_is_outside_while_each_value_is_in_range() {
        // Two strongly related features on a line y = x + 10 with a little noise.
        let rows: Vec<[f64; 2]> = (0..400)
            .map(|i| {
                let x = f64::from(i) / 40.0;
                let noise = (f64::from(i) * 0.37).sin() * 0.05;
                [x, x + 10.0 + noise]
            })
            .collect();
        let raw = Matrix::from_rows(&rows, 2).expect("rows");
        let env = Envelope::fit(&[spec("x", 0.0, 10.0), spec("y", 10.0, 20.0)], &raw, 5, 0.99);
        let on_line = env.check(&[5.0, 15.0]);
        assert!(on_line.in_envelope, "{on_line:?}");
        let off_line = env.check(&[9.0, 11.0]);
        assert!(off_line.in_range, "each value is within its range");
        assert!(!off_line.near_training && !off_line.in_envelope, "{off_line:?}");
        assert!(off_line.percentile > 0.99);
        let far = env.check(&[30.0, 40.0]);
        assert!(far.out_of_range.iter().all(|r| r.far) && far.out_of_range.len() == 2);
        assert!(far.warning(&[spec("x", 0.0, 10.0), spec("y", 10.0, 20.0)]).is_some_and(|w| w.contains("far outside")));
        // About 1 % of the reference rows themselves score above the threshold.
        assert!(env.scores.iter().filter(|&&s| s > env.threshold).count() <= 4);
    }

    #[test]
    fn the_gaps_to_the_nearest_training_row_name_the_feature_that_differs() {
        // A 20 × 20 grid; a row above it differs from its nearest neighbour (5, 19) in y only.
        let rows: Vec<[f64; 2]> = (0..400).map(|i| [f64::from(i % 20), f64::from(i / 20)]).collect();
        let raw = Matrix::from_rows(&rows, 2).expect("rows");
        let env = Envelope::fit(&[spec("x", 0.0, 19.0), spec("y", 0.0, 19.0)], &raw, 5, 0.99);
        let gaps = env.nearest_gaps(&[5.0, 40.0]);
        assert_eq!(gaps[0], 0.0);
        assert!(gaps[1] > 1.0, "{gaps:?}");
    }
}
