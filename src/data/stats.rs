//! Per-column statistics and histograms.

use std::collections::HashSet;
use std::hash::{BuildHasherDefault, Hasher};

use serde::{Deserialize, Serialize};

use super::{Column, ColumnKind};

/// Summary of one column. Numbers are over the non-missing cells; for categorical and text
/// columns `min`/`max`/`mean`/`std` are `None`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ColumnStats {
    /// Non-missing cells.
    pub count: usize,
    /// Missing cells.
    pub missing: usize,
    /// Smallest value.
    pub min: Option<f64>,
    /// Largest value.
    pub max: Option<f64>,
    /// Arithmetic mean.
    pub mean: Option<f64>,
    /// Sample standard deviation (n − 1 in the denominator, as pandas and spreadsheets report).
    pub std: Option<f64>,
    /// Number of distinct non-missing values.
    pub distinct: usize,
}

impl ColumnStats {
    /// Computes the statistics of a column's stored values.
    pub fn compute(values: &[f64], kind: ColumnKind) -> Self {
        let mut count = 0usize;
        let mut sum = 0.0;
        let mut min = f64::INFINITY;
        let mut max = f64::NEG_INFINITY;
        for &v in values {
            if v.is_nan() {
                continue;
            }
            count += 1;
            sum += v;
            min = min.min(v);
            max = max.max(v);
        }
        let missing = values.len() - count;
        let distinct = distinct_count(values);
        if count == 0 || kind.has_levels() {
            return Self { count, missing, distinct, ..Self::default() };
        }
        #[allow(clippy::cast_precision_loss)] // row counts far below 2^52
        let n = count as f64;
        let mean = sum / n;
        let std = if count > 1 {
            let ss: f64 = values.iter().filter(|v| !v.is_nan()).map(|v| (v - mean) * (v - mean)).sum();
            Some((ss / (n - 1.0)).sqrt())
        } else {
            None
        };
        Self { count, missing, min: Some(min), max: Some(max), mean: Some(mean), std, distinct }
    }
}

/// A cheap hasher for the bit patterns of `f64`s (a multiplicative hash, good enough for
/// counting distinct values and much faster than the default SipHash).
#[derive(Default)]
struct BitsHasher(u64);

impl Hasher for BitsHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }
    fn write_u64(&mut self, v: u64) {
        self.0 = (v ^ (v >> 29)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        self.0 ^= self.0 >> 32;
    }
}

fn distinct_count(values: &[f64]) -> usize {
    // -0.0 and 0.0 are the same value.
    let bits = |v: f64| if v == 0.0 { 0.0f64.to_bits() } else { v.to_bits() };
    let mut seen: HashSet<u64, BuildHasherDefault<BitsHasher>> = HashSet::default();
    for &v in values {
        if !v.is_nan() {
            seen.insert(bits(v));
            // A column of mostly different values (an ID, a time) is counted by sorting a
            // copy instead: a set of a million entries takes twice the copy's memory.
            if seen.len() > DISTINCT_BY_HASH {
                let mut all: Vec<u64> = values.iter().filter(|v| !v.is_nan()).map(|&v| bits(v)).collect();
                all.sort_unstable();
                all.dedup();
                return all.len();
            }
        }
    }
    seen.len()
}

/// Distinct values counted with a set; above this, by sorting.
const DISTINCT_BY_HASH: usize = 1 << 16;

/// Counts of values in bins (numeric columns) or per level (categorical, text, boolean).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Histogram {
    /// Bin edges, `counts.len() + 1` of them, for numeric bins; empty for levels.
    pub edges: Vec<f64>,
    /// Labels of the bars for levels; empty for numeric bins.
    pub labels: Vec<String>,
    /// Count per bin or level.
    pub counts: Vec<usize>,
}

impl Column {
    /// A histogram with about `bins` bins (numeric and timestamp columns; integers with a small
    /// range get one bin per value) or one bar per level (categorical, text, boolean; at most
    /// `max_levels` bars, the most frequent, in level order).
    pub fn histogram(&self, bins: usize, max_levels: usize) -> Histogram {
        match self.kind {
            ColumnKind::Categorical | ColumnKind::Text | ColumnKind::Boolean => self.level_histogram(max_levels),
            ColumnKind::Integer | ColumnKind::Float | ColumnKind::Timestamp => self.numeric_histogram(bins),
        }
    }

    fn level_histogram(&self, max_levels: usize) -> Histogram {
        let labels: Vec<String> =
            if self.kind == ColumnKind::Boolean { vec!["false".into(), "true".into()] } else { self.levels.clone() };
        let mut counts = vec![0usize; labels.len()];
        for &v in &self.values {
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // codes are small non-negative integers
            if v >= 0.0
                && let Some(c) = counts.get_mut(v as usize)
            {
                *c += 1;
            }
        }
        let mut order: Vec<usize> = (0..labels.len()).collect();
        if order.len() > max_levels {
            order.sort_by(|&a, &b| counts.get(b).cmp(&counts.get(a)).then(a.cmp(&b)));
            order.truncate(max_levels);
            order.sort_unstable();
        }
        Histogram {
            edges: Vec::new(),
            labels: order.iter().filter_map(|&i| labels.get(i).cloned()).collect(),
            counts: order.iter().filter_map(|&i| counts.get(i).copied()).collect(),
        }
    }

    fn numeric_histogram(&self, bins: usize) -> Histogram {
        let (Some(min), Some(max)) = (self.stats.min, self.stats.max) else {
            return Histogram { edges: Vec::new(), labels: Vec::new(), counts: Vec::new() };
        };
        let bins = bins.max(1);
        let span = max - min;
        #[allow(clippy::cast_precision_loss, clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let (lo, width, n) = if self.kind == ColumnKind::Integer && span < bins as f64 * 2.0 {
            (min - 0.5, 1.0, span as usize + 1)
        } else if span == 0.0 {
            (min - 0.5, 1.0, 1)
        } else {
            (min, span / bins as f64, bins)
        };
        let mut counts = vec![0usize; n];
        for &v in &self.values {
            if v.is_nan() {
                continue;
            }
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // v >= lo, so non-negative
            let i = (((v - lo) / width) as usize).min(n - 1);
            if let Some(c) = counts.get_mut(i) {
                *c += 1;
            }
        }
        #[allow(clippy::cast_precision_loss)]
        let edges = (0..=n).map(|i| lo + width * i as f64).collect();
        Histogram { edges, labels: Vec::new(), counts }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stats_match_hand_computed_values() {
        let s = ColumnStats::compute(&[1.0, 2.0, f64::NAN, 4.0, 2.0], ColumnKind::Float);
        assert_eq!(s.count, 4);
        assert_eq!(s.missing, 1);
        assert_eq!(s.min, Some(1.0));
        assert_eq!(s.max, Some(4.0));
        assert_eq!(s.mean, Some(2.25));
        // sample variance: (1.5625 + 0.0625 + 3.0625 + 0.0625) / 3 = 1.5833…
        assert!((s.std.unwrap_or_default() - (4.75f64 / 3.0).sqrt()).abs() < 1e-12);
        assert_eq!(s.distinct, 3);
    }

    #[test]
    fn distinct_counts_agree_below_and_above_the_set_limit() {
        assert_eq!(distinct_count(&[0.0, -0.0, 1.0, f64::NAN, 1.0]), 2);
        // Above the limit the count comes from sorting: every value twice, zeros of both signs.
        let n = DISTINCT_BY_HASH * 2;
        let mut values: Vec<f64> = (0..n).map(|i| (i / 2) as f64).collect();
        values.extend([-0.0, 0.0, f64::NAN]);
        assert_eq!(distinct_count(&values), n / 2);
    }

    #[test]
    fn all_missing_column_has_no_numbers() {
        let s = ColumnStats::compute(&[f64::NAN; 3], ColumnKind::Float);
        assert_eq!((s.count, s.missing, s.distinct), (0, 3, 0));
        assert_eq!(s.mean, None);
    }

    #[test]
    fn histogram_counts_every_value_once() {
        let values: Vec<f64> = (0..1000).map(f64::from).collect();
        let c = Column::new("x", ColumnKind::Float, values, Vec::new());
        let h = c.histogram(30, 20);
        assert_eq!(h.counts.iter().sum::<usize>(), 1000);
        assert_eq!(h.edges.len(), 31);
    }
}
