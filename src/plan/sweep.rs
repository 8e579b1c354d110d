//! Sweeps: one feature of a scenario over its bounds with the others held (the scenario's ICE
//! curve, Goldstein et al. 2015), and two features as a heatmap of the model's output, each
//! with the scenario's own point marked.
//!
//! Cost: one model call per point. A 100-point sweep is microseconds for a tree and about a
//! millisecond for an SVM; a 50 × 50 heatmap is 2,500 calls (a millisecond for a tree, tens of
//! milliseconds for an SVM: a job).

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::scenario::Scenario;
use super::whatif::Planner;
use crate::error::{Error, Result};
use crate::matrix::Matrix;
use crate::model::Output;
use crate::model::pipeline::FeatureKind;
use crate::progress::Progress;

/// One feature swept.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sweep {
    /// The swept feature (model order).
    pub feature: usize,
    /// Its name.
    pub name: String,
    /// What `ys` are.
    pub output: Output,
    /// The feature's values (level indices for a category), ascending.
    pub xs: Vec<f64>,
    /// The output at each value.
    pub ys: Vec<f64>,
    /// The scenario's own point.
    pub current: (f64, f64),
}

/// Two features swept together.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Heatmap {
    /// The feature along x.
    pub x_feature: usize,
    /// The feature along y.
    pub y_feature: usize,
    /// What `z` holds.
    pub output: Output,
    /// Values along x.
    pub xs: Vec<f64>,
    /// Values along y.
    pub ys: Vec<f64>,
    /// The output, one row per y value and one column per x value.
    pub z: Matrix,
    /// The scenario's own point: x, y, output.
    pub current: (f64, f64, f64),
}

impl Planner {
    /// The values a sweep visits: `points` settable values between the scenario's bounds, or
    /// every level of a category.
    fn sweep_values(&self, scenario: &Scenario, feature: usize, points: usize) -> Result<Vec<f64>> {
        let (Some(d), Some(f)) = (self.domains().get(feature), scenario.features.get(feature)) else {
            return Err(Error::invalid(format!("feature {feature} does not exist")));
        };
        if d.kind == FeatureKind::Categorical {
            return Ok((0..d.levels.len()).map(|k| k as f64).collect());
        }
        if f.lower > f.upper {
            return Err(Error::invalid(format!(
                "contradictory bounds for '{}': the lower bound {} is above the upper bound {}",
                f.name, f.lower, f.upper
            )));
        }
        Ok(f.axis(d.scale).grid(points.max(2)))
    }

    /// The ICE curve of one feature of a scenario for [`Planner::output`].
    ///
    /// # Errors
    /// A feature that does not exist or contradictory bounds.
    pub fn sweep(&self, scenario: &Scenario, feature: usize, points: usize) -> Result<Sweep> {
        let xs = self.sweep_values(scenario, feature, points)?;
        let output = self.output();
        let base = scenario.values();
        let ys: Vec<f64> = xs
            .iter()
            .map(|&v| {
                let mut r = base.clone();
                set(&mut r, feature, v);
                Self::output_of(&self.predict(&r), output)
            })
            .collect();
        let current = (at(&base, feature), Self::output_of(&self.predict(&base), output));
        let name = self.domains().get(feature).map(|d| d.name.clone()).unwrap_or_default();
        Ok(Sweep { feature, name, output, xs, ys, current })
    }

    /// The model's output over a grid of two features of a scenario (the others held).
    ///
    /// # Errors
    /// Features that do not exist or are the same, contradictory bounds, or a cancel.
    pub fn heatmap(
        &self,
        scenario: &Scenario,
        x_feature: usize,
        y_feature: usize,
        points: (usize, usize),
        progress: &Progress,
    ) -> Result<Heatmap> {
        if x_feature == y_feature {
            return Err(Error::invalid("a heatmap needs two different features"));
        }
        let xs = self.sweep_values(scenario, x_feature, points.0)?;
        let ys = self.sweep_values(scenario, y_feature, points.1)?;
        let output = self.output();
        let base = scenario.values();
        let rows: Vec<Vec<f64>> = ys
            .par_iter()
            .map(|&y| {
                progress.check()?;
                Ok(xs
                    .iter()
                    .map(|&x| {
                        let mut r = base.clone();
                        set(&mut r, x_feature, x);
                        set(&mut r, y_feature, y);
                        Self::output_of(&self.predict(&r), output)
                    })
                    .collect())
            })
            .collect::<Result<_>>()?;
        let z = Matrix::from_rows(&rows, xs.len())?;
        let current = (at(&base, x_feature), at(&base, y_feature), Self::output_of(&self.predict(&base), output));
        progress.set(1.0);
        Ok(Heatmap { x_feature, y_feature, output, xs, ys, z, current })
    }
}

/// Value `j` of a row of feature values; NaN when the row is shorter.
fn at(row: &[f64], j: usize) -> f64 {
    row.get(j).copied().unwrap_or(f64::NAN)
}

/// Sets value `j` of a row of feature values, if it has one.
fn set(row: &mut [f64], j: usize, v: f64) {
    if let Some(x) = row.get_mut(j) {
        *x = v;
    }
}
