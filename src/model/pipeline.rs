//! What happens to a row between the data and the model: missing values filled, categories
//! one-hot encoded, numbers standardised (SVMs). Fitted on the training rows only and stored
//! with the model, so a prediction later goes through exactly the same steps.
//!
//! Rows come in the *raw feature space*: one value per model feature, in the model's feature
//! order — numbers as they are, categories as the index of their level, `NaN` when missing.
//! The pipeline turns them into the *encoded space* the estimator was fitted on.

use serde::{Deserialize, Serialize};

use crate::data::{Column, ColumnKind};
use crate::matrix::Matrix;

/// How a feature enters the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FeatureKind {
    /// A number (including 0/1 flags and timestamps in seconds).
    Numeric,
    /// One of a few levels; one-hot encoded.
    Categorical,
}

/// One model input as the user knows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeatureSpec {
    /// Column name, exactly as in the data.
    pub name: String,
    /// Unit from the name, if any.
    pub unit: Option<String>,
    /// Number or category.
    pub kind: FeatureKind,
    /// Levels of a categorical feature (the codes index into them).
    pub levels: Vec<String>,
    /// Smallest value seen in training (numeric) or 0.
    pub min: f64,
    /// Largest value seen in training (numeric) or the last level code.
    pub max: f64,
    /// What a missing value is replaced by: the training median (numeric) or most frequent
    /// level (categorical).
    pub fill: f64,
    /// True when the column holds integers only (setpoints with a resolution of one).
    pub integer: bool,
}

impl FeatureSpec {
    /// A numeric feature with its training range and the value a missing input takes.
    pub fn numeric(name: &str, unit: Option<&str>, min: f64, max: f64, fill: f64) -> Self {
        Self {
            name: name.to_owned(),
            unit: unit.map(str::to_owned),
            kind: FeatureKind::Numeric,
            levels: Vec::new(),
            min,
            max,
            fill,
            integer: false,
        }
    }

    /// A categorical feature with its levels and the code a missing input takes.
    pub fn categorical(name: &str, levels: &[&str], fill: f64) -> Self {
        Self {
            name: name.to_owned(),
            unit: None,
            kind: FeatureKind::Categorical,
            levels: levels.iter().map(|&l| l.to_owned()).collect(),
            min: 0.0,
            max: levels.len().saturating_sub(1) as f64,
            fill,
            integer: false,
        }
    }

    /// A feature described from a data column, with statistics over `rows`.
    pub fn from_column(c: &Column, rows: &[usize]) -> Self {
        let kind = if c.kind.has_levels() { FeatureKind::Categorical } else { FeatureKind::Numeric };
        let mut values: Vec<f64> =
            rows.iter().filter_map(|&r| c.values.get(r).copied()).filter(|v| !v.is_nan()).collect();
        let (min, max, fill) = if values.is_empty() {
            (0.0, 0.0, 0.0)
        } else if kind == FeatureKind::Categorical {
            let mut counts = vec![0usize; c.levels.len().max(1)];
            for &v in &values {
                #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                if let Some(n) = counts.get_mut(v as usize) {
                    *n += 1;
                }
            }
            let mode = counts.iter().enumerate().max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(&a.0))).map_or(0, |(i, _)| i);
            #[allow(clippy::cast_precision_loss)]
            (0.0, (c.levels.len().max(1) - 1) as f64, mode as f64)
        } else {
            values.sort_by(f64::total_cmp);
            // `values` is not empty here; the upper middle of an even count pairs with the one before.
            let n = values.len();
            let at = |i: usize| values.get(i).copied().unwrap_or(f64::NAN);
            let median = if n % 2 == 1 { at(n / 2) } else { f64::midpoint(at(n / 2 - 1), at(n / 2)) };
            (at(0), at(n - 1), median)
        };
        Self {
            name: c.name.clone(),
            unit: c.unit.clone(),
            kind,
            levels: if kind == FeatureKind::Categorical { c.levels.clone() } else { Vec::new() },
            min,
            max,
            fill,
            integer: matches!(c.kind, ColumnKind::Integer | ColumnKind::Boolean),
        }
    }

    /// A value as people read it: the level for a category, the number otherwise.
    pub fn format_value(&self, v: f64) -> String {
        if v.is_nan() {
            return "missing".into();
        }
        match self.kind {
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            FeatureKind::Categorical => {
                self.levels.get(v.max(0.0) as usize).cloned().unwrap_or_else(|| format!("level {v}"))
            }
            FeatureKind::Numeric => crate::data::format_number(v),
        }
    }

    /// The name with its unit in brackets, for labels.
    pub fn label(&self) -> String {
        self.name.clone()
    }
}

/// One column of the encoded space.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EncodedColumn {
    /// The raw feature it comes from.
    pub feature: usize,
    /// For a one-hot column, the level it is 1 for.
    pub level: Option<usize>,
    /// Readable name: the feature name, or `Type = L` for a one-hot column.
    pub name: String,
    /// Subtracted before scaling (0 when not standardised).
    pub center: f64,
    /// Divided by after centering (1 when not standardised).
    pub scale: f64,
}

/// The fitted preprocessing of one model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Pipeline {
    /// The raw features, in model order.
    pub features: Vec<FeatureSpec>,
    /// The encoded columns, in estimator order.
    pub encoded: Vec<EncodedColumn>,
    /// Whether numeric columns are standardised (zero mean, unit variance on training rows).
    pub standardize: bool,
}

impl Pipeline {
    /// Fits the pipeline on `raw` training rows (raw feature space).
    pub fn fit(features: Vec<FeatureSpec>, raw: &Matrix, standardize: bool) -> Self {
        let mut encoded = Vec::new();
        for (j, f) in features.iter().enumerate() {
            match f.kind {
                FeatureKind::Numeric => {
                    let (center, scale) = if standardize { mean_std(raw, j, f.fill) } else { (0.0, 1.0) };
                    encoded.push(EncodedColumn { feature: j, level: None, name: f.name.clone(), center, scale });
                }
                FeatureKind::Categorical => {
                    for (k, level) in f.levels.iter().enumerate() {
                        encoded.push(EncodedColumn {
                            feature: j,
                            level: Some(k),
                            name: format!("{} = {level}", f.name),
                            center: 0.0,
                            scale: 1.0,
                        });
                    }
                }
            }
        }
        Self { features, encoded, standardize }
    }

    /// Number of raw features.
    pub fn n_features(&self) -> usize {
        self.features.len()
    }

    /// Number of encoded columns.
    pub fn n_encoded(&self) -> usize {
        self.encoded.len()
    }

    /// Encodes one raw row into `out` (cleared first). Missing values take the training fill;
    /// an unknown level gives all-zero one-hot columns.
    pub fn encode_row_into(&self, raw: &[f64], out: &mut Vec<f64>) {
        out.clear();
        for e in &self.encoded {
            let Some(f) = self.features.get(e.feature) else {
                out.push(0.0);
                continue;
            };
            let v = raw.get(e.feature).copied().unwrap_or(f64::NAN);
            let v = if v.is_nan() { f.fill } else { v };
            out.push(match e.level {
                #[allow(clippy::cast_precision_loss)]
                Some(k) => f64::from(u8::from(v == k as f64)),
                None => (v - e.center) / e.scale,
            });
        }
    }

    /// Encodes rows of the raw feature space.
    pub fn encode(&self, raw: &Matrix) -> Matrix {
        let mut out = Matrix::zeros(raw.n_rows(), self.n_encoded());
        let mut buf = Vec::with_capacity(self.n_encoded());
        for i in 0..raw.n_rows() {
            self.encode_row_into(raw.row(i), &mut buf);
            out.row_mut(i).copy_from_slice(&buf);
        }
        out
    }

    /// The encoded columns that belong to each raw feature (several for a one-hot category),
    /// for summing attributions back to the feature a person knows.
    pub fn groups(&self) -> Vec<Vec<usize>> {
        let mut groups = vec![Vec::new(); self.n_features()];
        for (i, e) in self.encoded.iter().enumerate() {
            if let Some(g) = groups.get_mut(e.feature) {
                g.push(i);
            }
        }
        groups
    }

    /// Sums values over each feature's encoded columns (encoded space → raw features).
    pub fn sum_groups(&self, encoded_values: &[f64]) -> Vec<f64> {
        let mut out = vec![0.0; self.n_features()];
        for (e, v) in self.encoded.iter().zip(encoded_values) {
            if let Some(o) = out.get_mut(e.feature) {
                *o += v;
            }
        }
        out
    }

    /// A threshold on encoded column `col` expressed in the raw unit (undoes standardisation).
    pub fn raw_threshold(&self, col: usize, t: f64) -> f64 {
        self.encoded.get(col).map_or(t, |e| t * e.scale + e.center)
    }
}

/// Mean and standard deviation (population) of column `j` with missing values at `fill`.
fn mean_std(raw: &Matrix, j: usize, fill: f64) -> (f64, f64) {
    let n = raw.n_rows();
    if n == 0 {
        return (0.0, 1.0);
    }
    let value = |i: usize| {
        let v = raw.get(i, j);
        if v.is_nan() { fill } else { v }
    };
    let mean = (0..n).map(value).sum::<f64>() / n as f64;
    let var = (0..n).map(|i| (value(i) - mean).powi(2)).sum::<f64>() / n as f64;
    let std = var.sqrt();
    // A constant column stays as it is rather than dividing by zero.
    (mean, if std > 1e-12 { std } else { 1.0 })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn specs() -> Vec<FeatureSpec> {
        vec![
            FeatureSpec::numeric("Torque [Nm]", Some("Nm"), 10.0, 30.0, 20.0),
            FeatureSpec::categorical("Type", &["H", "L", "M"], 1.0),
        ]
    }

    #[test]
    fn encodes_imputes_and_standardises() {
        let raw = Matrix::from_rows(&[[10.0, 0.0], [30.0, 2.0], [f64::NAN, f64::NAN]], 2).expect("valid");
        let p = Pipeline::fit(specs(), &raw, true);
        assert_eq!(p.n_encoded(), 4);
        assert_eq!(p.encoded[2].name, "Type = L");
        let e = p.encode(&raw);
        // Mean of 10, 30, 20 (filled) is 20; population std sqrt(200/3).
        let s = (200.0f64 / 3.0).sqrt();
        assert!((e.get(0, 0) - (-10.0 / s)).abs() < 1e-12);
        assert_eq!(&e.row(0)[1..], [1.0, 0.0, 0.0]);
        assert_eq!(&e.row(2)[1..], [0.0, 1.0, 0.0], "missing level takes the mode");
        assert!((p.raw_threshold(0, e.get(1, 0)) - 30.0).abs() < 1e-12);
        assert_eq!(p.groups(), vec![vec![0], vec![1, 2, 3]]);
        assert_eq!(p.sum_groups(&[1.0, 0.5, 0.25, 0.25]), vec![1.0, 1.0]);
    }
}
