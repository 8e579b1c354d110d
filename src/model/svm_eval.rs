//! The SVM decision function `b + Σ wᵢ K(x, svᵢ)`, laid out so the processor can evaluate it in
//! vector instructions.
//!
//! The support vectors are kept feature by feature ([`SupportColumns`]): the kernel of one row
//! against every support vector is then a few passes over contiguous memory, which the compiler
//! vectorises. The RBF kernel needs one `exp` per support vector, and the C library's `exp` is a
//! call the compiler cannot vectorise, so [`exp`] is written here in plain arithmetic (Cody–Waite
//! range reduction and a degree-13 Taylor polynomial in Estrin's scheme, within 2 ulp of the C library's result on
//! the kernel's range). Support vectors go in blocks of 32 whose partial sums stay in registers,
//! and the weighted sum at the end adds 32 running sums in a fixed order, so the result is the
//! same number on every machine and on every code path.
//!
//! On x86-64 the same code is also compiled with AVX2 and with AVX-512 enabled, and the widest
//! the processor has is chosen at run time; all give bit-identical results (a test checks), as
//! none uses fused multiply-adds. Every decision value in Glassbox goes through here, so a prediction, a
//! SHAP value and a what-if scenario all see the same number for the same row.

// The `unsafe` blocks call the AVX2 and AVX-512 builds of `decision` after checking the processor
// has the feature.
#![allow(unsafe_code)]
// `inline(always)` puts the kernel loops and `exp` inside each processor-specific build, which is
// what makes those builds use their wider instructions.
#![allow(clippy::inline_always)]
// The row loop indexes support-vector columns of the length the columns were built with, and the
// fixed-size lane arrays with indices below their length.
#![allow(clippy::indexing_slicing)]

use std::sync::OnceLock;

use super::svm::{KernelFn, KernelKind};
use crate::matrix::Matrix;

/// Support vectors stored feature by feature: `values[k · n + i]` is feature k of vector i.
#[derive(Debug, Clone)]
pub struct SupportColumns {
    values: Vec<f64>,
    n_support: usize,
    n_features: usize,
}

impl SupportColumns {
    /// The transposed copy of `support` (one support vector per row).
    pub fn new(support: &Matrix) -> Self {
        let (n_support, n_features) = (support.n_rows(), support.n_cols());
        let mut values = vec![0.0; n_support * n_features];
        for (i, row) in support.rows().enumerate() {
            for (k, &v) in row.iter().enumerate() {
                values[k * n_support + i] = v;
            }
        }
        Self { values, n_support, n_features }
    }
}

/// A [`SupportColumns`] built on first use. It is derived from the support vectors, so it takes
/// no part in comparisons and is never saved.
#[derive(Clone, Default)]
pub struct ColumnCache(OnceLock<SupportColumns>);

impl ColumnCache {
    /// The columns of `support`, built the first time they are asked for.
    pub fn get(&self, support: &Matrix) -> &SupportColumns {
        self.0.get_or_init(|| SupportColumns::new(support))
    }
}

impl PartialEq for ColumnCache {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl std::fmt::Debug for ColumnCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.get().is_some() { "ColumnCache(built)" } else { "ColumnCache(empty)" })
    }
}

/// `bias + Σ coef_i K(x, sv_i)`. `x` has one value per feature of `columns`, `coef` one weight
/// per support vector; a shorter `x` uses only its features, extra weights are ignored.
pub fn decision(kernel: &KernelFn, columns: &SupportColumns, coef: &[f64], bias: f64, x: &[f64]) -> f64 {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512f") {
            // SAFETY: the processor running this was just found to support AVX-512F, the only
            // feature `decision_avx512` is compiled for.
            return unsafe { decision_avx512(kernel, columns, coef, bias, x) };
        }
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: as above, for AVX2 and `decision_avx2`.
            return unsafe { decision_avx2(kernel, columns, coef, bias, x) };
        }
    }
    decision_portable(kernel, columns, coef, bias, x)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
fn decision_avx512(kernel: &KernelFn, columns: &SupportColumns, coef: &[f64], bias: f64, x: &[f64]) -> f64 {
    decision_body(kernel, columns, coef, bias, x)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn decision_avx2(kernel: &KernelFn, columns: &SupportColumns, coef: &[f64], bias: f64, x: &[f64]) -> f64 {
    decision_body(kernel, columns, coef, bias, x)
}

fn decision_portable(kernel: &KernelFn, columns: &SupportColumns, coef: &[f64], bias: f64, x: &[f64]) -> f64 {
    decision_body(kernel, columns, coef, bias, x)
}

#[inline(always)]
fn decision_body(kernel: &KernelFn, columns: &SupportColumns, coef: &[f64], bias: f64, x: &[f64]) -> f64 {
    let (gamma, coef0, degree) = (kernel.gamma, kernel.coef0, kernel.degree);
    let sum = match kernel.kind {
        KernelKind::Rbf => weighted_sum(
            columns,
            coef,
            x,
            |a, s| {
                let t = a - s;
                t * t
            },
            |d2| exp(-gamma * d2),
        ),
        KernelKind::Linear => weighted_sum(columns, coef, x, |a, s| a * s, |v| v),
        KernelKind::Poly => weighted_sum(columns, coef, x, |a, s| a * s, |v| (gamma * v + coef0).powf(degree)),
        KernelKind::Sigmoid => weighted_sum(columns, coef, x, |a, s| a * s, |v| (gamma * v + coef0).tanh()),
    };
    bias + sum
}

/// Support vectors handled together: their partial sums stay in vector registers while the
/// features are added in.
const BLOCK: usize = 32;

/// `Σ_i coef_i · finish(Σ_k term(x_k, sv_ik))`, in blocks of [`BLOCK`] support vectors. The
/// weighted values go to `BLOCK` running sums added pairwise at the end (the rest after them, in
/// order): a fixed order, whatever the vector width.
#[inline(always)]
fn weighted_sum(
    columns: &SupportColumns,
    coef: &[f64],
    x: &[f64],
    term: impl Fn(f64, f64) -> f64,
    finish: impl Fn(f64) -> f64,
) -> f64 {
    let n = columns.n_support;
    let used = n.min(coef.len());
    let x = &x[..x.len().min(columns.n_features)];
    let mut lanes = [0.0_f64; BLOCK];
    let blocks = used / BLOCK;
    for block in 0..blocks {
        let start = block * BLOCK;
        let mut acc = [0.0_f64; BLOCK];
        for (k, &xk) in x.iter().enumerate() {
            let col: &[f64; BLOCK] =
                columns.values[k * n + start..k * n + start + BLOCK].try_into().unwrap_or(&[0.0; BLOCK]);
            for l in 0..BLOCK {
                acc[l] += term(xk, col[l]);
            }
        }
        let c: &[f64; BLOCK] = coef[start..start + BLOCK].try_into().unwrap_or(&[0.0; BLOCK]);
        for l in 0..BLOCK {
            lanes[l] += c[l] * finish(acc[l]);
        }
    }
    let mut tail = 0.0;
    for i in blocks * BLOCK..used {
        let mut acc = 0.0;
        for (k, &xk) in x.iter().enumerate() {
            acc += term(xk, columns.values[k * n + i]);
        }
        tail += coef[i] * finish(acc);
    }
    let mut width = BLOCK;
    while width > 1 {
        width /= 2;
        for l in 0..width {
            lanes[l] += lanes[l + width];
        }
    }
    lanes[0] + tail
}

/// `e^x` in plain arithmetic, so that loops over it vectorise. Within 2 ulp of the C library's
/// `exp` for results above 2^−1022; smaller results are 0 (the C library returns subnormals down
/// to 2^−1074 there), x above 709.78 gives +∞ and NaN gives NaN.
#[inline(always)]
pub fn exp(x: f64) -> f64 {
    // 1.5 · 2^52: adding it rounds to an integer, which then sits in the low bits.
    const SHIFT: f64 = 6_755_399_441_055_744.0;
    // ln 2 split so that n · LN2_HI is exact for |n| < 2^11 (Cody & Waite).
    const LN2_HI: f64 = f64::from_bits(0x3FE6_2E42_FEE0_0000);
    const LN2_LO: f64 = f64::from_bits(0x3DEA_39EF_3579_3C76);
    let clamped = x.clamp(-708.0, 709.0);
    let shifted = clamped * std::f64::consts::LOG2_E + SHIFT;
    let n = shifted - SHIFT;
    let r = (clamped - n * LN2_HI) - n * LN2_LO;
    // Σ_{k≤13} r^k / k! by Estrin's scheme: pairs, then pairs of pairs, so the chain of dependent
    // operations is short and several values are in flight at once.
    let r2 = r * r;
    let r4 = r2 * r2;
    let r8 = r4 * r4;
    let q0 = 1.0 + r;
    let q1 = 1.0 / 2.0 + r * (1.0 / 6.0);
    let q2 = 1.0 / 24.0 + r * (1.0 / 120.0);
    let q3 = 1.0 / 720.0 + r * (1.0 / 5_040.0);
    let q4 = 1.0 / 40_320.0 + r * (1.0 / 362_880.0);
    let q5 = 1.0 / 3_628_800.0 + r * (1.0 / 39_916_800.0);
    let q6 = 1.0 / 479_001_600.0 + r * (1.0 / 6_227_020_800.0);
    let p = (q0 + q1 * r2 + (q2 + q3 * r2) * r4) + ((q4 + q5 * r2) + q6 * r4) * r8;
    // 2^n from the integer in the low bits of `shifted` (n lies in −1022..=1023 after clamping).
    let exponent = shifted.to_bits().wrapping_sub(SHIFT.to_bits()).wrapping_add(1023) << 52;
    let y = p * f64::from_bits(exponent);
    if x < -708.39 {
        0.0
    } else if x > 709.78 {
        f64::INFINITY
    } else if x.is_nan() {
        x
    } else {
        y
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::ChaCha8Rng;
    use rand::{RngExt as _, SeedableRng as _};

    fn ulps(a: f64, b: f64) -> u64 {
        a.to_bits().abs_diff(b.to_bits())
    }

    #[test]
    fn exp_is_within_two_ulp_of_the_c_library() {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let mut worst = 0;
        for _ in 0..200_000 {
            let x: f64 = rng.random_range(-708.0..709.0);
            worst = worst.max(ulps(exp(x), x.exp()));
        }
        for _ in 0..200_000 {
            // The RBF kernel's usual range.
            let x: f64 = rng.random_range(-40.0..0.0);
            worst = worst.max(ulps(exp(x), x.exp()));
        }
        assert!(worst <= 2, "worst difference {worst} ulp");
        assert_eq!(exp(0.0), 1.0);
        assert_eq!(exp(-0.0), 1.0);
        assert!(ulps(exp(1.0), std::f64::consts::E) <= 1);
        assert_eq!(exp(-800.0), 0.0);
        assert_eq!(exp(f64::NEG_INFINITY), 0.0);
        assert_eq!(exp(710.0), f64::INFINITY);
        assert!(exp(f64::NAN).is_nan());
    }

    fn svm(kind: KernelKind, n_support: usize, n_features: usize) -> (KernelFn, Matrix, Vec<f64>, Vec<Vec<f64>>) {
        let mut rng = ChaCha8Rng::seed_from_u64(11);
        let values = (0..n_support * n_features).map(|_| rng.random_range(-2.0..2.0)).collect();
        let support = Matrix::from_vec(values, n_support, n_features).expect("shape");
        let coef = (0..n_support).map(|_| rng.random_range(-1.0..1.0)).collect();
        let rows = (0..50).map(|_| (0..n_features).map(|_| rng.random_range(-3.0..3.0)).collect()).collect();
        (KernelFn { kind, gamma: 0.3, degree: 3.0, coef0: 0.5 }, support, coef, rows)
    }

    #[test]
    fn decision_agrees_with_the_kernel_definition() {
        for kind in KernelKind::ALL {
            let (kernel, support, coef, rows) = svm(kind, 301, 7);
            let columns = SupportColumns::new(&support);
            for x in &rows {
                let direct: f64 =
                    0.25 + coef.iter().zip(support.rows()).map(|(c, s)| c * kernel.apply(x, s)).sum::<f64>();
                let fast = decision(&kernel, &columns, &coef, 0.25, x);
                assert!((fast - direct).abs() <= 1e-12 * direct.abs().max(1.0), "{kind:?}: {fast} vs {direct}");
            }
        }
    }

    #[test]
    fn both_code_paths_give_the_same_bits() {
        for kind in KernelKind::ALL {
            let (kernel, support, coef, rows) = svm(kind, 97, 5);
            let columns = SupportColumns::new(&support);
            for x in &rows {
                let portable = decision_portable(&kernel, &columns, &coef, -0.5, x).to_bits();
                assert_eq!(decision(&kernel, &columns, &coef, -0.5, x).to_bits(), portable, "{kind:?}");
                #[cfg(target_arch = "x86_64")]
                if std::arch::is_x86_feature_detected!("avx2") {
                    // SAFETY: the processor supports AVX2.
                    let avx2 = unsafe { decision_avx2(&kernel, &columns, &coef, -0.5, x) };
                    assert_eq!(avx2.to_bits(), portable, "{kind:?} with AVX2");
                }
            }
        }
    }
}
