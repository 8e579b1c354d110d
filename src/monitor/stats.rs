//! The drift statistics of one feature: the population stability index (PSI) on bins cut at
//! the training quantiles, the two-sample Kolmogorov–Smirnov statistic, and the histograms a
//! panel overlays.
//!
//! **PSI** (Siddiqi 2006, *Credit Risk Scorecards*, ch. 8; Yurdakul 2018, "Statistical
//! properties of population stability index"): with `e_i` the training share and `a_i` the new
//! share of bin `i`,
//!
//! `PSI = Σ (a_i − e_i) · ln(a_i / e_i)`,
//!
//! where a share below the floor (1e-4 by default) counts as the floor, so an empty bin gives a
//! large but finite term instead of an infinite one; shares are not renormalised after flooring.
//! Numeric bins are cut at the training values at the quantiles k/B, k = 1 … B − 1 (B = 10 by
//! default; the inverted-CDF quantile, so every cut point is a training value), duplicates
//! dropped, so heavily tied values give fewer, uneven bins; a feature with at most B distinct
//! training values (a flag, a setpoint with a few positions) is cut at every one of them
//! instead, one bin per value and one above the largest. Each bin holds `(cut[i−1], cut[i]]`,
//! the first reaching down to −∞ and the last up to +∞, so new values beyond the training range
//! land in the outer bins. A categorical feature has one bin per
//! training level and one for levels never seen. Missing values form one more bin when either
//! side has any, so a sensor that stops reporting shows as drift.
//!
//! Sampling alone makes PSI positive: for B bins and samples of n and m rows its expected value
//! without any drift is about (B − 1)(1/n + 1/m) (the PSI is the symmetrised Kullback–Leibler
//! divergence, whose second-order term is a χ² statistic divided by the sample size).
//! [`psi_noise`] gives that figure so small samples (a day of quarter-hourly rows) are read with
//! care.
//!
//! **KS**: `D = sup_x |F_train(x) − F_new(x)|` over the non-missing values, computed by one walk
//! over both sorted samples (ties advance both sides before the gap is taken, as
//! `scipy.stats.ks_2samp` evaluates it).
//!
//! Cost: each sample is sorted once (n log n); bin counts, histogram counts and KS then cost
//! O(B log n) and O(n + m). The reference side is sorted once and reused for every period.

use serde::{Deserialize, Serialize};

/// The values of one feature, missing ones counted apart and the rest sorted ascending.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Sorted {
    values: Vec<f64>,
    missing: usize,
}

impl Sorted {
    /// Sorts `values`, counting NaN as missing.
    pub fn new(values: impl IntoIterator<Item = f64>) -> Self {
        let mut missing = 0;
        let mut present: Vec<f64> = values
            .into_iter()
            .filter(|v| {
                let keep = !v.is_nan();
                missing += usize::from(!keep);
                keep
            })
            .collect();
        present.sort_unstable_by(f64::total_cmp);
        Self { values: present, missing }
    }

    /// The present values, ascending.
    pub fn values(&self) -> &[f64] {
        &self.values
    }

    /// Number of missing values.
    pub fn missing(&self) -> usize {
        self.missing
    }

    /// Number of values, missing included.
    pub fn total(&self) -> usize {
        self.values.len() + self.missing
    }

    /// Number of present values `<= x`.
    pub fn count_at_most(&self, x: f64) -> usize {
        self.values.partition_point(|&v| v <= x)
    }

    /// Number of present values `< x`.
    pub fn count_below(&self, x: f64) -> usize {
        self.values.partition_point(|&v| v < x)
    }

    /// The median of the present values (the mean of the two middle ones for an even count).
    pub fn median(&self) -> Option<f64> {
        let n = self.values.len();
        if n == 0 {
            return None;
        }
        let at = |i: usize| self.values.get(i).copied();
        if n % 2 == 1 { at(n / 2) } else { Some(f64::midpoint(at(n / 2 - 1)?, at(n / 2)?)) }
    }

    /// Smallest and largest present value.
    pub fn range(&self) -> Option<(f64, f64)> {
        Some((*self.values.first()?, *self.values.last()?))
    }
}

/// Cut points of `bins` PSI bins on ascending `sorted`: every distinct value when there are at
/// most `bins` of them (one bin per value, and one above the largest for new values beyond it),
/// else the values at the quantiles k/`bins` (inverted CDF: the smallest value with at least
/// that share at or below it), without repeats.
pub fn quantile_cuts(sorted: &[f64], bins: usize) -> Vec<f64> {
    let n = sorted.len();
    if n == 0 || bins < 2 {
        return Vec::new();
    }
    let mut distinct: Vec<f64> = Vec::with_capacity(bins + 1);
    for &v in sorted {
        if distinct.last().is_none_or(|&last| v > last) {
            distinct.push(v);
            if distinct.len() > bins {
                break;
            }
        }
    }
    if distinct.len() <= bins {
        return distinct;
    }
    let mut cuts: Vec<f64> = Vec::with_capacity(bins - 1);
    for k in 1..bins {
        // ceil(k n / B) − 1, in integers so that k/B of n lands exactly.
        let at = (k * n).div_ceil(bins).saturating_sub(1);
        if let Some(&v) = sorted.get(at)
            && cuts.last().is_none_or(|&last| v > last)
        {
            cuts.push(v);
        }
    }
    cuts
}

/// Counts of `sorted` in the bins `(cuts[i−1], cuts[i]]` (first from −∞, last to +∞).
pub fn bin_counts(sorted: &Sorted, cuts: &[f64]) -> Vec<usize> {
    let mut counts = Vec::with_capacity(cuts.len() + 1);
    let mut below = 0;
    for &c in cuts {
        let at_most = sorted.count_at_most(c);
        counts.push(at_most - below);
        below = at_most;
    }
    counts.push(sorted.values().len() - below);
    counts
}

/// The PSI of `now` against `then` (see the module documentation), bin by bin with the missing
/// counts as one more bin when either side has any; shares below `floor` count as `floor`.
/// 0 when either side is empty.
pub fn psi(then: &[usize], now: &[usize], missing: (usize, usize), floor: f64) -> f64 {
    let total_then: usize = then.iter().sum::<usize>() + missing.0;
    let total_now: usize = now.iter().sum::<usize>() + missing.1;
    if total_then == 0 || total_now == 0 {
        return 0.0;
    }
    let term = |e: usize, a: usize| {
        let e = (e as f64 / total_then as f64).max(floor);
        let a = (a as f64 / total_now as f64).max(floor);
        (a - e) * (a / e).ln()
    };
    let bins: f64 = then.iter().zip(now).map(|(&e, &a)| term(e, a)).sum();
    let missing_term = if missing.0 + missing.1 > 0 { term(missing.0, missing.1) } else { 0.0 };
    bins + missing_term
}

/// The PSI that sampling alone gives on average for `bins` bins and samples of `n_then` and
/// `n_now` rows: (B − 1)(1/n + 1/m).
pub fn psi_noise(bins: usize, n_then: usize, n_now: usize) -> f64 {
    if n_then == 0 || n_now == 0 {
        return f64::NAN;
    }
    bins.saturating_sub(1) as f64 * (1.0 / n_then as f64 + 1.0 / n_now as f64)
}

/// The two-sample Kolmogorov–Smirnov statistic of two ascending samples; `None` when either is
/// empty.
pub fn ks(a: &[f64], b: &[f64]) -> Option<f64> {
    let (n, m) = (a.len(), b.len());
    if n == 0 || m == 0 {
        return None;
    }
    let (mut i, mut j, mut d) = (0usize, 0usize, 0.0f64);
    while let (Some(&x), Some(&y)) = (a.get(i), b.get(j)) {
        let v = x.min(y);
        i += a.get(i..).map_or(0, |rest| rest.partition_point(|&t| t <= v));
        j += b.get(j..).map_or(0, |rest| rest.partition_point(|&t| t <= v));
        d = d.max((i as f64 / n as f64 - j as f64 / m as f64).abs());
    }
    Some(d)
}

/// Counts of training and new values in bins of equal width, for a panel to overlay.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Histogram {
    /// Bin edges, ascending, one more than the bins; each bin holds `[edge[i], edge[i+1])`, the
    /// last also its right edge.
    pub edges: Vec<f64>,
    /// Training values per bin.
    pub then: Vec<usize>,
    /// New values per bin.
    pub now: Vec<usize>,
}

impl Histogram {
    /// `bins` bins of equal width over the range both samples span; `None` when both are empty.
    pub fn new(then: &Sorted, now: &Sorted, bins: usize) -> Option<Self> {
        let (lo, hi) = match (then.range(), now.range()) {
            (Some((a, b)), Some((c, d))) => (a.min(c), b.max(d)),
            (Some(r), None) | (None, Some(r)) => r,
            (None, None) => return None,
        };
        let bins = bins.max(1);
        let (lo, hi) = if hi > lo { (lo, hi) } else { (lo - 0.5, hi + 0.5) };
        let width = (hi - lo) / bins as f64;
        let mut edges: Vec<f64> = (0..bins).map(|i| lo + width * i as f64).collect();
        edges.push(hi);
        let counts = |s: &Sorted| -> Vec<usize> {
            edges
                .windows(2)
                .enumerate()
                .map(|(i, w)| {
                    let (a, b) = (w.first().copied().unwrap_or(lo), w.get(1).copied().unwrap_or(hi));
                    let upto = if i + 1 == bins { s.count_at_most(b) } else { s.count_below(b) };
                    upto - s.count_below(a)
                })
                .collect()
        };
        Some(Self { then: counts(then), now: counts(now), edges })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sorted(v: &[f64]) -> Sorted {
        Sorted::new(v.iter().copied())
    }

    #[test]
    fn quantile_cuts_are_training_values_without_repeats() {
        let v: Vec<f64> = (1..=20).map(f64::from).collect();
        // k·20/10 − 1 → the 2nd, 4th, … 18th values.
        assert_eq!(quantile_cuts(&v, 10), [2.0, 4.0, 6.0, 8.0, 10.0, 12.0, 14.0, 16.0, 18.0]);
        // Not a multiple: ceil(k·7/4) − 1 = 1, 3, 5 → values 2, 4, 6.
        let w: Vec<f64> = (1..=7).map(f64::from).collect();
        assert_eq!(quantile_cuts(&w, 4), [2.0, 4.0, 6.0]);
        // Heavy ties: 50 ones then 1 … 50; the quantile cuts collapse onto the repeated value.
        let mut tied = vec![1.0; 50];
        tied.extend((1..=50).map(f64::from));
        tied.sort_by(f64::total_cmp);
        assert_eq!(quantile_cuts(&tied, 4), [1.0, 25.0]);
        // A flag that is 1 in 95 % of rows: a bin per value and one above, so a shift shows.
        let mut flag = vec![0.0; 5];
        flag.extend([1.0; 95]);
        assert_eq!(quantile_cuts(&flag, 10), [0.0, 1.0]);
        let counts = bin_counts(&sorted(&flag), &[0.0, 1.0]);
        assert_eq!(counts, [5, 95, 0]);
        assert_eq!(bin_counts(&sorted(&[0.0, 2.0, f64::NAN]), &[0.0, 1.0]), [1, 0, 1]);
        assert_eq!(quantile_cuts(&[5.0; 10], 10), [5.0], "a constant: its value and what lies above");
    }

    #[test]
    fn psi_by_hand() {
        // Shares 0.5/0.5 then, 0.25/0.75 now:
        // (0.25 − 0.5)·ln(0.25/0.5) + (0.75 − 0.5)·ln(0.75/0.5) = 0.25·ln 2 + 0.25·ln 1.5.
        let expected = 0.25 * 2f64.ln() + 0.25 * 1.5f64.ln();
        assert!((psi(&[50, 50], &[25, 75], (0, 0), 1e-4) - expected).abs() < 1e-15);
        // Identical shares: 0, at any sample sizes.
        assert_eq!(psi(&[10, 30], &[100, 300], (0, 0), 1e-4), 0.0);
        // An empty new bin takes the floor: (1e-4 − 0.5)·ln(1e-4/0.5) + (1 − 0.5)·ln(1/0.5).
        let floored = (1e-4 - 0.5) * (1e-4f64 / 0.5).ln() + 0.5 * 2f64.ln();
        assert!((psi(&[5, 5], &[0, 7], (0, 0), 1e-4) - floored).abs() < 1e-12);
        // Missing values are a bin: 20 % missing now, none then. Shares then 0.5, 0.5, 0 (floor);
        // now 0.4, 0.4, 0.2.
        let m = 2.0 * (-0.1 * (0.4f64 / 0.5).ln()) + (0.2 - 1e-4) * (0.2f64 / 1e-4).ln();
        assert!((psi(&[5, 5], &[4, 4], (0, 2), 1e-4) - m).abs() < 1e-12);
        assert_eq!(psi(&[], &[], (0, 0), 1e-4), 0.0);
        assert!((psi_noise(10, 1000, 1000) - 0.018).abs() < 1e-12);
    }

    #[test]
    fn ks_by_hand_with_ties() {
        // F_a and F_b after each distinct value: 1: 1/3 vs 0; 2: 2/3 vs 1/2; 3: 1 vs 1/2; 4: 1 vs 1.
        assert_eq!(ks(&[1.0, 2.0, 3.0], &[2.0, 4.0]), Some(0.5));
        // Identical samples: 0; disjoint: 1.
        assert_eq!(ks(&[1.0, 1.0, 2.0], &[1.0, 1.0, 2.0]), Some(0.0));
        assert_eq!(ks(&[1.0, 2.0], &[3.0, 4.0]), Some(1.0));
        assert_eq!(ks(&[], &[1.0]), None);
        // A tie across both samples is taken after both sides pass it.
        assert_eq!(ks(&[0.0, 0.0, 1.0, 1.0], &[0.0, 1.0, 1.0, 1.0]), Some(0.25));
    }

    #[test]
    fn histograms_share_edges_and_count_every_value() {
        let a = sorted(&[0.0, 1.0, 2.0, 3.0, f64::NAN]);
        let b = sorted(&[2.0, 4.0]);
        let h = Histogram::new(&a, &b, 4).expect("values");
        assert_eq!(h.edges, [0.0, 1.0, 2.0, 3.0, 4.0]);
        assert_eq!(h.then, [1, 1, 1, 1]);
        assert_eq!(h.now, [0, 0, 1, 1], "4.0 sits on the last edge and counts in the last bin");
        let c = Histogram::new(&sorted(&[7.0]), &sorted(&[7.0]), 3).expect("values");
        assert_eq!(c.then.iter().sum::<usize>(), 1);
        assert_eq!(sorted(&[3.0, 1.0, 2.0, 10.0]).median(), Some(2.5));
    }

    /// KS against `scipy.stats.ks_2samp` and PSI against the same definition written with numpy
    /// (`tests/fixtures/monitor/make_reference.py`), on real and drawn samples with ties, a
    /// shift, missing values and a rare flag.
    #[test]
    fn psi_and_ks_agree_with_the_reference_computed_in_python() {
        #[derive(serde::Deserialize)]
        struct Case {
            name: String,
            train: Vec<Option<f64>>,
            new: Vec<Option<f64>>,
            psi: f64,
            ks: f64,
            cuts: Vec<f64>,
        }
        #[derive(serde::Deserialize)]
        struct Reference {
            bins: usize,
            floor: f64,
            cases: Vec<Case>,
        }
        let reference: Reference =
            serde_json::from_str(include_str!("../../tests/fixtures/monitor/drift_reference.json")).expect("reference");
        assert_eq!(reference.cases.len(), 7);
        for c in &reference.cases {
            let then = Sorted::new(c.train.iter().map(|v| v.unwrap_or(f64::NAN)));
            let now = Sorted::new(c.new.iter().map(|v| v.unwrap_or(f64::NAN)));
            let cuts = quantile_cuts(then.values(), reference.bins);
            assert_eq!(cuts, c.cuts, "{}: cut points", c.name);
            let value = psi(
                &bin_counts(&then, &cuts),
                &bin_counts(&now, &cuts),
                (then.missing(), now.missing()),
                reference.floor,
            );
            assert!((value - c.psi).abs() < 1e-12, "{}: PSI {value} against {}", c.name, c.psi);
            let d = ks(then.values(), now.values()).expect("samples");
            assert!((d - c.ks).abs() < 1e-12, "{}: KS {d} against {}", c.name, c.ks);
        }
    }
}
