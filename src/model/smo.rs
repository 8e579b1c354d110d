//! Exact support vector machine solvers: SMO for kernel C-SVC and ε-SVR, dual coordinate descent
//! for linear C-SVC.
//!
//! # Kernel machines: SMO with second-order working sets
//!
//! Both kernel problems are solved in the common form of Chang & Lin, "LIBSVM: a library for
//! support vector machines" (ACM TIST 2011), section 2–4:
//!
//! ```text
//! min_α  f(α) = ½ αᵀQα + pᵀα    subject to  yᵀα = 0,  0 ≤ α_t ≤ C_t,   Q_st = y_s y_t K(x_s, x_t)
//! ```
//!
//! - C-SVC: one variable per row, `y_t = ±1` the label, `p = −1`, `C_t = C · weight(class)`;
//! - ε-SVR: `2n` variables, `α` (`y = +1`, `p_t = ε − z_t`) then `α*` (`y = −1`,
//!   `p_t = ε + z_t`), all with bound `C`; the machine's coefficient of row `r` is `α_r − α*_r`.
//!
//! Each iteration moves two variables (sequential minimal optimisation). The pair is chosen by
//! WSS 2 of Fan, Chen & Lin, "Working set selection using second order information for training
//! SVM" (JMLR 6, 2005): `i` maximises `−y_t ∇f_t` over `I_up`, `j` minimises `−b²_it / a_it` over
//! the `t ∈ I_low` with `b_it = −y_i∇f_i + y_t∇f_t > 0`, where `a_it = K_ii + K_tt − 2K_it`
//! (replaced by τ = 10⁻¹² when not positive, so indefinite kernels such as the sigmoid still
//! make progress). With `m(α) = max_{I_up} −y∇f` and `M(α) = min_{I_low} −y∇f`, the solver
//! stops when `m(α) − M(α) ≤ tol` (libsvm's `eps`, default 10⁻³).
//!
//! The pair is moved along `α_i += y_i t`, `α_j −= y_j t`, which keeps `yᵀα` fixed; the
//! unconstrained minimiser `t = b_ij / a_ij` is clipped to the box, and a variable whose clip is
//! active is set exactly to its bound.
//!
//! **Shrinking** (Chang & Lin 2011, section 5.1): every `min(l, 1000)` iterations, a variable at a
//! bound whose gradient says it will stay there (`−y_t∇f_t > m(α)` when it is only in `I_low`,
//! `< M(α)` when only in `I_up`) leaves the active set. The gradient of inactive variables is
//! rebuilt from `Ḡ_t = Σ_{α_s = C_s} C_s Q_ts`, kept up to date as variables reach or leave their
//! upper bound: `∇f_t = Ḡ_t + p_t + Σ_{s free} α_s Q_ts`. The whole set is restored once when
//! the gap first falls below `10·tol`, and again whenever the active set is optimal, so the
//! returned solution satisfies the stopping rule on every variable.
//!
//! The **bias** is libsvm's: the mean of `−y_t∇f_t` over free variables, or the midpoint of
//! `[m(α), M(α)]` when no variable is free. The decision function is
//! `f(x) = Σ coef_i K(x_i, x) + bias`, positive for the `+1` label (libsvm's `ρ` is `−bias`).
//! For classifiers this is the sign convention of scikit-learn's public `dual_coef_` and
//! `intercept_` for two classes, with class `+1` the second class.
//!
//! ## Kernel cache
//!
//! Columns of Q are kept in a least-recently-used cache bounded in bytes
//! ([`SolverOptions::cache_bytes`], default 200 MiB as libsvm and scikit-learn; at least two full
//! columns). For classifiers a column is stored in the solver's current order of variables and
//! only over the active set, so shrinking also saves kernel evaluations; when variables are
//! swapped at a shrinking step the cached columns are permuted in one pass each (a column that
//! does not reach a swapped position is cut short there and extended on demand). For regression
//! the cache holds rows of K over all rows and the solver gathers its `2n`-long column from them.
//!
//! Columns are stored as `f32`, as libsvm's `Qfloat`; gradients and α are accumulated in `f64`.
//! Measured against an `f64` cache (release build, one thread, 200 MB): on 64 standardised
//! features × 10,000 rows (RBF, C = 10, 7,700 free support vectors) `f32` took 13 s and `f64`
//! 26 s, because twice as many columns fit and kernel values with many features are dear to
//! recompute; on the 8-feature plant benchmark (8,000 and 40,000 rows) and on 7,654 rows of the
//! power-plant regression the two were equal within the noise of the machine. The rounding to
//! `f32` moves the solution by far less than the stopping tolerance (the agreement test with
//! libsvm, which rounds the same way, bounds the difference).
//!
//! ## Determinism
//!
//! Kernel values are computed one by one, each as the same sequence of operations (a sum over
//! features in order, then the kernel's outer function), whatever the thread or chunk computing
//! it; columns of at least 1,024 entries are filled in parallel with rayon. All
//! reductions (working-set selection, gradient updates, reconstruction) run in a fixed order.
//! The result is therefore bit-identical on any number of threads and for any cache size: the
//! cache changes only which values are recomputed, never their bits.
//!
//! # Linear machines: dual coordinate descent
//!
//! [`fit_linear_svc`] is Algorithm 1 of Hsieh, Chang, Lin, Keerthi & Sundararajan, "A dual
//! coordinate descent method for large-scale linear SVM" (ICML 2008), the method of LIBLINEAR,
//! with its shrinking (section 3.2) and its stopping rule (projected-gradient spread below
//! `tol`). The bias is handled as LIBLINEAR does: every row gets an extra feature of value
//! [`LinearSvcParams::bias_feature`] (1 by default) whose weight, times that value, is the bias,
//! so **the bias is regularised** like the other weights. That is scikit-learn's `LinearSVC`
//! (`dual=True`; [`LinearLoss::Hinge`] is `loss='hinge'`, [`LinearLoss::SquaredHinge`] its
//! default `loss='squared_hinge'`), not `SVC(kernel='linear')`, which is libsvm with an
//! unregularised bias: use [`fit_svc`] with [`Kernel::Linear`] for that. The order in which
//! coordinates are visited is a permutation drawn from [`LinearSvcParams::seed`].
//!
//! # Progress and cancellation
//!
//! The solvers call `progress` with a [`SolverStatus`] every
//! [`SolverOptions::progress_every`] iterations and at least every 100 ms, also inside long
//! gradient reconstructions; returning `false` stops the solver with [`SmoError::Cancelled`].

// Hot loops index the solver's arrays by positions below the active size, which every array has
// at least as entries (all are `l` long, cached columns are extended to the requested length
// before use); bounds are checked once where lengths are established.
#![allow(clippy::indexing_slicing)]

use std::collections::BTreeMap;
use std::fmt;
use std::ops::Range;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use rayon::prelude::*;

// `eˣ` in plain arithmetic (within 2 ulp of the C library), so that the RBF loop over a block of
// kernel values vectorises.
use super::svm_eval::exp;

/// Type of the cached kernel values (libsvm's `Qfloat`); see the module documentation.
type Qfloat = f32;

/// Columns at least this long are computed in parallel (lower in tests, so that small problems
/// take the parallel paths too).
const PARALLEL_MIN_ROWS: usize = if cfg!(test) { 64 } else { 1024 };
/// Per-iteration loops over at least this many active variables are split between threads.
const PARALLEL_LOOP_MIN: usize = if cfg!(test) { 128 } else { 4096 };
/// Variables per parallel task in those loops.
const LOOP_CHUNK: usize = if cfg!(test) { 64 } else { 2048 };
/// Rows per parallel task when filling a column.
const PARALLEL_CHUNK: usize = if cfg!(test) { 32 } else { 256 };
/// Rows whose kernel values are accumulated together (fits in registers and L1).
const BLOCK: usize = 64;
/// Curvature used in place of a non-positive `a_ij` (Fan et al. 2005, section 4).
const TAU: f64 = 1e-12;
/// The longest time between two calls of the progress callback.
const PROGRESS_INTERVAL: Duration = Duration::from_millis(100);
/// Bytes counted for a cached column besides its values.
const COLUMN_OVERHEAD: usize = 64;

// ---------------------------------------------------------------------------------------------
// Public types
// ---------------------------------------------------------------------------------------------

/// A kernel function with its parameters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Kernel {
    /// `x · z`.
    Linear,
    /// `exp(−γ ‖x − z‖²)`.
    Rbf {
        /// γ ≥ 0.
        gamma: f64,
    },
    /// `(γ x · z + coef0)^degree`.
    Poly {
        /// γ ≥ 0.
        gamma: f64,
        /// Constant term.
        coef0: f64,
        /// Exponent.
        degree: u32,
    },
    /// `tanh(γ x · z + coef0)` (not positive semi-definite; the solver copes as libsvm does).
    Sigmoid {
        /// γ ≥ 0.
        gamma: f64,
        /// Constant term.
        coef0: f64,
    },
}

impl Kernel {
    /// `K(a, b)` over the features both slices have. The sum over features runs in order, so
    /// this gives the same bits as the solver's own kernel values.
    pub fn value(&self, a: &[f64], b: &[f64]) -> f64 {
        let term = |x: f64, z: f64| {
            if self.is_distance() {
                let d = x - z;
                d * d
            } else {
                x * z
            }
        };
        // Features two at a time: ((t₀ + t₁) + (t₂ + t₃)) + …, the order of the solver's loops.
        let (a, b) = (&a[..a.len().min(b.len())], &b[..a.len().min(b.len())]);
        let mut acc = 0.0;
        for (pa, pb) in a.chunks(2).zip(b.chunks(2)) {
            acc += match (pa, pb) {
                ([a0, a1], [b0, b1]) => term(*a0, *b0) + term(*a1, *b1),
                _ => term(pa[0], pb[0]),
            };
        }
        self.finish(acc)
    }

    /// The kernel from its accumulated sum: `‖x − z‖²` for the RBF kernel, `x · z` otherwise.
    #[inline]
    fn finish(&self, acc: f64) -> f64 {
        match *self {
            Self::Linear => acc,
            Self::Rbf { gamma } => exp(-gamma * acc),
            // `degree` was checked to fit an i32 when the problem was set up.
            Self::Poly { gamma, coef0, degree } => {
                (gamma * acc + coef0).powi(i32::try_from(degree).unwrap_or(i32::MAX))
            }
            Self::Sigmoid { gamma, coef0 } => (gamma * acc + coef0).tanh(),
        }
    }

    fn is_distance(&self) -> bool {
        matches!(self, Self::Rbf { .. })
    }

    fn validate(&self) -> Result<(), SmoError> {
        let (gamma, coef0, degree) = match *self {
            Self::Linear => return Ok(()),
            Self::Rbf { gamma } => (gamma, 0.0, 0),
            Self::Poly { gamma, coef0, degree } => (gamma, coef0, degree),
            Self::Sigmoid { gamma, coef0 } => (gamma, coef0, 0),
        };
        check_param("gamma", gamma, gamma.is_finite() && gamma >= 0.0)?;
        check_param("coef0", coef0, coef0.is_finite())?;
        check_param("degree", f64::from(degree), i32::try_from(degree).is_ok())
    }
}

/// Training rows: a row-major matrix of finite values, checked once on construction.
#[derive(Debug, Clone, Copy)]
pub struct Rows<'a> {
    values: &'a [f64],
    n: usize,
    d: usize,
}

impl<'a> Rows<'a> {
    /// `n_rows` rows of `n_cols` values each, row after row.
    ///
    /// # Errors
    /// [`SmoError::Empty`] without rows or columns, [`SmoError::Shape`] when `values` has not
    /// `n_rows · n_cols` entries, [`SmoError::NonFiniteValue`] for NaN or infinity.
    pub fn new(values: &'a [f64], n_rows: usize, n_cols: usize) -> Result<Self, SmoError> {
        if n_rows == 0 || n_cols == 0 {
            return Err(SmoError::Empty);
        }
        if n_rows.checked_mul(n_cols) != Some(values.len()) {
            return Err(SmoError::Shape { values: values.len(), n_rows, n_cols });
        }
        if let Some(k) = values.iter().position(|v| !v.is_finite()) {
            return Err(SmoError::NonFiniteValue { row: k / n_cols, col: k % n_cols });
        }
        Ok(Self { values, n: n_rows, d: n_cols })
    }

    /// Number of rows.
    pub fn n_rows(&self) -> usize {
        self.n
    }

    /// Number of columns (features).
    pub fn n_cols(&self) -> usize {
        self.d
    }

    /// Row `i`, if there is one.
    pub fn row(&self, i: usize) -> Option<&'a [f64]> {
        if i >= self.n {
            return None;
        }
        self.values.get(i * self.d..(i + 1) * self.d)
    }
}

/// Settings of the SMO solver shared by [`fit_svc`] and [`fit_svr`].
#[derive(Debug, Clone, PartialEq)]
pub struct SolverOptions {
    /// Stop when the maximal violating pair's gap `m(α) − M(α)` is at most this (libsvm `-e`).
    pub tol: f64,
    /// Bytes the kernel cache may hold (raised to two full columns if smaller).
    pub cache_bytes: usize,
    /// Shrink the active set (libsvm `-h 1`); the result satisfies the same stopping rule
    /// either way.
    pub shrinking: bool,
    /// Most iterations; `None` is libsvm's `max(10⁷, 100 · l)` for `l` variables.
    pub max_iterations: Option<u64>,
    /// Iterations between calls of the progress callback (it is also called every 100 ms).
    pub progress_every: u64,
}

impl Default for SolverOptions {
    fn default() -> Self {
        Self { tol: 1e-3, cache_bytes: 200 << 20, shrinking: true, max_iterations: None, progress_every: 1000 }
    }
}

/// A C-SVC problem: kernel and costs.
#[derive(Debug, Clone, PartialEq)]
pub struct SvcParams {
    /// The kernel.
    pub kernel: Kernel,
    /// Cost of a margin violation.
    pub c: f64,
    /// Multiplier of `c` for rows of the positive class (scikit-learn's `class_weight`).
    pub weight_positive: f64,
    /// Multiplier of `c` for rows of the negative class.
    pub weight_negative: f64,
}

impl SvcParams {
    /// Unweighted classes with cost `c`.
    pub fn new(kernel: Kernel, c: f64) -> Self {
        Self { kernel, c, weight_positive: 1.0, weight_negative: 1.0 }
    }
}

/// An ε-SVR problem.
#[derive(Debug, Clone, PartialEq)]
pub struct SvrParams {
    /// The kernel.
    pub kernel: Kernel,
    /// Cost of a deviation beyond the tube.
    pub c: f64,
    /// Half-width of the tube in which deviations cost nothing.
    pub epsilon: f64,
}

/// Where the solver is, given to the progress callback.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SolverStatus {
    /// Iterations done (epochs for [`fit_linear_svc`]).
    pub iterations: u64,
    /// The most iterations allowed.
    pub max_iterations: u64,
    /// The last measured optimality gap (`m(α) − M(α)` for SMO, the projected-gradient spread for
    /// dual coordinate descent); the solver stops when it reaches `tol`. Infinite before the
    /// first measurement.
    pub gap: f64,
    /// The dual objective (tracked incrementally by SMO; decreasing).
    pub objective: f64,
    /// Variables in the active (unshrunk) set.
    pub active: usize,
}

/// Why a solver stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopReason {
    /// The optimality gap reached the tolerance.
    Converged,
    /// The iteration cap was reached first; the solution is usable but not optimal to `tol`
    /// (libsvm prints a warning in this case).
    IterationLimit,
}

/// A solved kernel machine: `f(x) = Σ dual_coef_k K(x_{support_k}, x) + bias`.
#[derive(Debug, Clone, PartialEq)]
pub struct SvmSolution {
    /// Training-row indices of the support vectors, ascending.
    pub support: Vec<usize>,
    /// `y_i α_i` (C-SVC) or `α_i − α*_i` (ε-SVR) of each support vector.
    pub dual_coef: Vec<f64>,
    /// The constant term (libsvm's `−ρ`); positive decisions favour the `+1` label.
    pub bias: f64,
    /// SMO iterations done.
    pub iterations: u64,
    /// Dual objective `½ αᵀQα + pᵀα` at the solution.
    pub objective: f64,
    /// Final `m(α) − M(α)` over all variables.
    pub gap: f64,
    /// Support vectors whose α is at its upper bound.
    pub n_at_bound: usize,
    /// Whether the tolerance or the iteration cap stopped the solver.
    pub stop: StopReason,
    /// Kernel values computed into the cache for this fit; a later fit of a path
    /// ([`fit_svc_path`], [`fit_svr_path`]) counts only those the earlier fits had not left there.
    pub kernel_values: u64,
}

impl SvmSolution {
    /// The decision value of `x` against the training rows the machine was fitted on: the
    /// straightforward sum, in support-vector order (a reference, not a fast path).
    pub fn decision(&self, kernel: &Kernel, train: Rows<'_>, x: &[f64]) -> f64 {
        let sum: f64 = self
            .support
            .iter()
            .zip(&self.dual_coef)
            .filter_map(|(&r, &c)| train.row(r).map(|row| c * kernel.value(row, x)))
            .sum();
        sum + self.bias
    }
}

/// Loss of the linear classifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LinearLoss {
    /// `max(0, 1 − y f)`: LIBLINEAR's L1-loss SVC, scikit-learn `LinearSVC(loss='hinge')`.
    #[default]
    Hinge,
    /// `max(0, 1 − y f)²`: L2-loss SVC, scikit-learn's default `loss='squared_hinge'`.
    SquaredHinge,
}

/// A linear C-SVC problem for [`fit_linear_svc`]; the defaults are scikit-learn `LinearSVC`'s
/// with `loss='hinge'`.
#[derive(Debug, Clone, PartialEq)]
pub struct LinearSvcParams {
    /// Cost of a margin violation.
    pub c: f64,
    /// Multiplier of `c` for positive rows.
    pub weight_positive: f64,
    /// Multiplier of `c` for negative rows.
    pub weight_negative: f64,
    /// The loss.
    pub loss: LinearLoss,
    /// Value of the extra feature that carries the (regularised) bias, scikit-learn's
    /// `intercept_scaling`; `None` fits no bias.
    pub bias_feature: Option<f64>,
    /// Stop when the projected-gradient spread is at most this (scikit-learn's `tol`).
    pub tol: f64,
    /// Most passes over the rows (scikit-learn's `max_iter`).
    pub max_epochs: u64,
    /// Seed of the order in which rows are visited.
    pub seed: u64,
}

impl Default for LinearSvcParams {
    fn default() -> Self {
        Self {
            c: 1.0,
            weight_positive: 1.0,
            weight_negative: 1.0,
            loss: LinearLoss::Hinge,
            bias_feature: Some(1.0),
            tol: 1e-4,
            max_epochs: 1000,
            seed: 0,
        }
    }
}

/// A solved linear classifier: `f(x) = weights · x + bias`, positive for the `+1` label.
#[derive(Debug, Clone, PartialEq)]
pub struct LinearSolution {
    /// One weight per feature.
    pub weights: Vec<f64>,
    /// Weight of the bias feature times its value (0 without a bias feature).
    pub bias: f64,
    /// Passes over the rows done.
    pub epochs: u64,
    /// Dual objective `½‖ŵ‖² + ½ Σ D_ii α_i² − Σ α_i` (ŵ includes the bias weight).
    pub objective: f64,
    /// Final projected-gradient spread.
    pub gap: f64,
    /// Rows with α > 0.
    pub n_support: usize,
    /// Whether the tolerance or the epoch cap stopped the solver.
    pub stop: StopReason,
}

impl LinearSolution {
    /// `weights · x + bias`.
    pub fn decision(&self, x: &[f64]) -> f64 {
        self.weights.iter().zip(x).fold(0.0, |s, (w, v)| s + w * v) + self.bias
    }
}

/// What can stop a solver.
#[derive(Debug, Clone, PartialEq)]
pub enum SmoError {
    /// No rows or no feature columns.
    Empty,
    /// The value count is not rows × columns.
    Shape {
        /// Values given.
        values: usize,
        /// Rows claimed.
        n_rows: usize,
        /// Columns claimed.
        n_cols: usize,
    },
    /// There is not one label or target per row.
    LabelCount {
        /// Rows.
        n_rows: usize,
        /// Labels or targets given.
        n_labels: usize,
    },
    /// A feature value is NaN or infinite.
    NonFiniteValue {
        /// Row of the value.
        row: usize,
        /// Column of the value.
        col: usize,
    },
    /// A regression target is NaN or infinite.
    NonFiniteTarget {
        /// Row of the target.
        row: usize,
    },
    /// A classifier got rows of one class only.
    OneClass,
    /// A setting is out of its range.
    InvalidParameter {
        /// The setting.
        name: &'static str,
        /// Its value.
        value: f64,
    },
    /// The kernel produced NaN or infinity (for example a polynomial of high degree on large
    /// values).
    NonFiniteKernel,
    /// The fits of one path were given different kernels.
    MixedKernels,
    /// The progress callback asked to stop.
    Cancelled {
        /// Iterations done by then.
        iterations: u64,
    },
}

impl fmt::Display for SmoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => f.write_str("the SVM has no rows or no feature columns to train on"),
            Self::Shape { values, n_rows, n_cols } => {
                write!(f, "the SVM was given {values} values for {n_rows} rows of {n_cols} columns")
            }
            Self::LabelCount { n_rows, n_labels } => {
                write!(f, "the SVM was given {n_labels} labels for {n_rows} rows")
            }
            Self::NonFiniteValue { row, col } => write!(
                f,
                "row {row}, column {col} is not a finite number; remove or fill missing values before training an SVM"
            ),
            Self::NonFiniteTarget { row } => {
                write!(f, "the target of row {row} is not a finite number; remove that row before training an SVM")
            }
            Self::OneClass => f.write_str("an SVM classifier needs rows of both classes to train on"),
            Self::InvalidParameter { name, value } => write!(f, "the SVM setting {name} = {value} is out of range"),
            Self::NonFiniteKernel => f.write_str(
                "the kernel overflowed (not a finite number); standardise the features or lower gamma or the degree",
            ),
            Self::MixedKernels => f.write_str("the fits of one path must share their kernel"),
            Self::Cancelled { iterations } => write!(f, "SVM training was cancelled after {iterations} iterations"),
        }
    }
}

impl std::error::Error for SmoError {}

// ---------------------------------------------------------------------------------------------
// Entry points
// ---------------------------------------------------------------------------------------------

/// Trains a two-class C-SVC: `positive[r]` is true when row `r` has the `+1` label.
///
/// # Errors
/// Bad input (see [`SmoError`]), a kernel overflow, or cancellation by `progress`.
pub fn fit_svc(
    x: Rows<'_>,
    positive: &[bool],
    params: &SvcParams,
    options: &SolverOptions,
    progress: &mut (dyn FnMut(&SolverStatus) -> bool + Send),
) -> Result<SvmSolution, SmoError> {
    fit_svc_path(x, positive, std::slice::from_ref(params), options, progress)?.pop().ok_or(SmoError::Empty)
}

/// Trains two-class C-SVCs on the same rows, labels and kernel for several costs (and class
/// weights), one after the other, with one kernel cache: the columns computed for one cost serve
/// the next, so a grid search over C at a fixed γ computes most kernel columns once instead of
/// once per cost.
///
/// The first fit is exactly [`fit_svc`]'s. Each later one starts from the order of variables the
/// previous fit left (shrinking reorders them, and the cached columns follow that order), so its
/// solution can differ from a fit of its own in rounding and in ties between equally violating
/// pairs: it satisfies the same stopping rule, and its decision values agree within the
/// tolerance that rule allows.
///
/// # Errors
/// Bad input (see [`SmoError`]), costs with different kernels, a kernel overflow, or
/// cancellation by `progress`.
pub fn fit_svc_path(
    x: Rows<'_>,
    positive: &[bool],
    params: &[SvcParams],
    options: &SolverOptions,
    progress: &mut (dyn FnMut(&SolverStatus) -> bool + Send),
) -> Result<Vec<SvmSolution>, SmoError> {
    let n = x.n_rows();
    if positive.len() != n {
        return Err(SmoError::LabelCount { n_rows: n, n_labels: positive.len() });
    }
    if positive.iter().all(|&p| p) || !positive.iter().any(|&p| p) {
        return Err(SmoError::OneClass);
    }
    let Some(first) = params.first() else { return Ok(Vec::new()) };
    first.kernel.validate()?;
    for p in params {
        if p.kernel != first.kernel {
            return Err(SmoError::MixedKernels);
        }
        check_param("c", p.c, p.c.is_finite() && p.c > 0.0)?;
        for (name, w) in [("weight_positive", p.weight_positive), ("weight_negative", p.weight_negative)] {
            check_param(name, w, w.is_finite() && w > 0.0)?;
        }
    }
    options.validate()?;
    let y: Vec<f64> = positive.iter().map(|&p| if p { 1.0 } else { -1.0 }).collect();
    let data = KernelData::new(x, first.kernel);
    let mut q = SvcQ::new(data, y, options.cache_bytes);
    let mut solutions = Vec::with_capacity(params.len());
    for params in params {
        // Start where the cache's columns are: in the order the last fit left the variables.
        let var = q.order.clone();
        let cap = var
            .iter()
            .map(|&r| params.c * if positive[r] { params.weight_positive } else { params.weight_negative })
            .collect();
        let problem = Problem { y: q.y.clone(), p: vec![-1.0; n], cap, var };
        let before = q.data.computed();
        let raw = in_pool(|| Smo::new(&mut q, problem, options, &mut *progress)?.run())?;
        let kernel_values = q.data.computed() - before;
        let mut support = Vec::new();
        let mut dual_coef = Vec::new();
        let mut n_at_bound = 0;
        for (r, &a) in raw.alpha.iter().enumerate() {
            if a > 0.0 {
                support.push(r);
                dual_coef.push(if positive[r] { a } else { -a });
                n_at_bound += usize::from(raw.at_upper[r]);
            }
        }
        solutions.push(finish(&raw, support, dual_coef, n_at_bound, kernel_values)?);
    }
    Ok(solutions)
}

/// Trains an ε-SVR on rows `x` with targets `target`.
///
/// # Errors
/// Bad input (see [`SmoError`]), a kernel overflow, or cancellation by `progress`.
pub fn fit_svr(
    x: Rows<'_>,
    target: &[f64],
    params: &SvrParams,
    options: &SolverOptions,
    progress: &mut (dyn FnMut(&SolverStatus) -> bool + Send),
) -> Result<SvmSolution, SmoError> {
    fit_svr_path(x, target, std::slice::from_ref(params), options, progress)?.pop().ok_or(SmoError::Empty)
}

/// Trains ε-SVRs on the same rows, targets and kernel for several costs and tube widths, one
/// after the other, with one kernel cache (rows of K, kept in row order). Every fit starts from
/// the rows' own order, so each solution is bit for bit [`fit_svr`]'s for its settings.
///
/// # Errors
/// Bad input (see [`SmoError`]), settings with different kernels, a kernel overflow, or
/// cancellation by `progress`.
pub fn fit_svr_path(
    x: Rows<'_>,
    target: &[f64],
    params: &[SvrParams],
    options: &SolverOptions,
    progress: &mut (dyn FnMut(&SolverStatus) -> bool + Send),
) -> Result<Vec<SvmSolution>, SmoError> {
    let n = x.n_rows();
    if target.len() != n {
        return Err(SmoError::LabelCount { n_rows: n, n_labels: target.len() });
    }
    if let Some(row) = target.iter().position(|z| !z.is_finite()) {
        return Err(SmoError::NonFiniteTarget { row });
    }
    let Some(first) = params.first() else { return Ok(Vec::new()) };
    first.kernel.validate()?;
    for p in params {
        if p.kernel != first.kernel {
            return Err(SmoError::MixedKernels);
        }
        check_param("c", p.c, p.c.is_finite() && p.c > 0.0)?;
        check_param("epsilon", p.epsilon, p.epsilon.is_finite() && p.epsilon >= 0.0)?;
    }
    options.validate()?;
    let l = 2 * n;
    let data = KernelData::new(x, first.kernel);
    let mut q = SvrQ::new(data, options.cache_bytes);
    let mut solutions = Vec::with_capacity(params.len());
    for params in params {
        q.restore_order();
        let y: Vec<f64> = (0..l).map(|t| if t < n { 1.0 } else { -1.0 }).collect();
        let p: Vec<f64> =
            (0..l).map(|t| if t < n { params.epsilon - target[t] } else { params.epsilon + target[t - n] }).collect();
        let problem = Problem { y, p, cap: vec![params.c; l], var: (0..l).collect() };
        let before = q.data.computed();
        let raw = in_pool(|| Smo::new(&mut q, problem, options, &mut *progress)?.run())?;
        let kernel_values = q.data.computed() - before;
        let mut support = Vec::new();
        let mut dual_coef = Vec::new();
        let mut n_at_bound = 0;
        for r in 0..n {
            let coef = raw.alpha[r] - raw.alpha[r + n];
            if coef != 0.0 {
                support.push(r);
                dual_coef.push(coef);
                n_at_bound += usize::from(raw.at_upper[r] || raw.at_upper[r + n]);
            }
        }
        solutions.push(finish(&raw, support, dual_coef, n_at_bound, kernel_values)?);
    }
    Ok(solutions)
}

fn finish(
    raw: &RawSolution,
    support: Vec<usize>,
    dual_coef: Vec<f64>,
    n_at_bound: usize,
    kernel_values: u64,
) -> Result<SvmSolution, SmoError> {
    if !raw.bias.is_finite() || !raw.objective.is_finite() || dual_coef.iter().any(|c| !c.is_finite()) {
        return Err(SmoError::NonFiniteKernel);
    }
    Ok(SvmSolution {
        support,
        dual_coef,
        bias: raw.bias,
        iterations: raw.iterations,
        objective: raw.objective,
        gap: raw.gap,
        n_at_bound,
        stop: raw.stop,
        kernel_values,
    })
}

/// Runs `f` on a rayon worker thread: the solver's many short parallel loops then split work with
/// the other workers directly instead of each being handed over from an outside thread, which
/// costs tens of microseconds a time.
fn in_pool<R: Send>(f: impl FnOnce() -> R + Send) -> R {
    if rayon::current_thread_index().is_some() { f() } else { rayon::scope(|_| f()) }
}

fn check_param(name: &'static str, value: f64, ok: bool) -> Result<(), SmoError> {
    if ok { Ok(()) } else { Err(SmoError::InvalidParameter { name, value }) }
}

impl SolverOptions {
    fn validate(&self) -> Result<(), SmoError> {
        check_param("tol", self.tol, self.tol.is_finite() && self.tol > 0.0)
    }
}

// ---------------------------------------------------------------------------------------------
// Kernel evaluation
// ---------------------------------------------------------------------------------------------

/// The training rows stored feature by feature (`features[k · n + r]`), so that a column of
/// kernel values is a few passes over contiguous memory the compiler vectorises.
struct KernelData {
    kernel: Kernel,
    features: Vec<f64>,
    n: usize,
    d: usize,
    /// Values computed by [`KernelData::fill`] so far.
    computed: AtomicU64,
}

impl KernelData {
    fn new(x: Rows<'_>, kernel: Kernel) -> Self {
        let (n, d) = (x.n, x.d);
        let mut features = vec![0.0; n * d];
        for (r, row) in x.values.chunks_exact(d).enumerate() {
            for (k, &v) in row.iter().enumerate() {
                features[k * n + r] = v;
            }
        }
        Self { kernel, features, n, d, computed: AtomicU64::new(0) }
    }

    fn computed(&self) -> u64 {
        self.computed.load(Ordering::Relaxed)
    }

    /// `K(row a, row b)`, the same bits as an entry of [`KernelData::fill`].
    fn value(&self, a: usize, b: usize) -> f64 {
        let mut acc = 0.0;
        let mut k = 0;
        while k < self.d {
            let term = |k: usize| {
                let (u, v) = (self.features[k * self.n + a], self.features[k * self.n + b]);
                if self.kernel.is_distance() {
                    let diff = v - u;
                    diff * diff
                } else {
                    v * u
                }
            };
            acc += if k + 1 < self.d { term(k) + term(k + 1) } else { term(k) };
            k += 2;
        }
        self.kernel.finish(acc)
    }

    fn swap(&mut self, p: usize, q: usize) {
        for k in 0..self.d {
            self.features.swap(k * self.n + p, k * self.n + q);
        }
    }

    /// `out[u] = K(r, first + u)`, times `signs[r] · signs[first + u]` when `signs` is given; in
    /// parallel for long ranges.
    fn fill(&self, r: usize, first: usize, out: &mut [Qfloat], signs: Option<&[f64]>) {
        self.computed.fetch_add(u64::try_from(out.len()).unwrap_or(u64::MAX), Ordering::Relaxed);
        if out.len() >= PARALLEL_MIN_ROWS && rayon::current_num_threads() > 1 {
            out.par_chunks_mut(PARALLEL_CHUNK)
                .enumerate()
                .for_each(|(c, chunk)| self.fill_serial(r, first + c * PARALLEL_CHUNK, chunk, signs));
        } else {
            self.fill_serial(r, first, out, signs);
        }
    }

    // The cache stores f32 on purpose (see the module documentation).
    #[allow(clippy::cast_possible_truncation)]
    fn fill_serial(&self, r: usize, first: usize, out: &mut [Qfloat], signs: Option<&[f64]>) {
        let mut acc = [0.0f64; BLOCK];
        let distance = self.kernel.is_distance();
        for (b, chunk) in out.chunks_mut(BLOCK).enumerate() {
            let start = first + b * BLOCK;
            let acc = &mut acc[..chunk.len()];
            acc.fill(0.0);
            // Features two at a time, in the order of `Kernel::value`.
            let mut k = 0;
            while k < self.d {
                let column = &self.features[k * self.n..(k + 1) * self.n];
                let (x0, values0) = (column[r], &column[start..start + acc.len()]);
                if k + 1 < self.d {
                    let column = &self.features[(k + 1) * self.n..(k + 2) * self.n];
                    let (x1, values1) = (column[r], &column[start..start + acc.len()]);
                    for ((a, &v0), &v1) in acc.iter_mut().zip(values0).zip(values1) {
                        *a += if distance {
                            let (d0, d1) = (v0 - x0, v1 - x1);
                            d0 * d0 + d1 * d1
                        } else {
                            v0 * x0 + v1 * x1
                        };
                    }
                } else {
                    for (a, &v0) in acc.iter_mut().zip(values0) {
                        *a += if distance {
                            let d0 = v0 - x0;
                            d0 * d0
                        } else {
                            v0 * x0
                        };
                    }
                }
                k += 2;
            }
            if let Kernel::Rbf { gamma } = self.kernel {
                // The same expression as `Kernel::finish`, in a loop the compiler vectorises.
                for a in acc.iter_mut() {
                    *a = exp(-gamma * *a);
                }
            } else {
                for a in acc.iter_mut() {
                    *a = self.kernel.finish(*a);
                }
            }
            match signs {
                Some(s) => {
                    let sr = s[r];
                    for ((o, &k), &st) in chunk.iter_mut().zip(acc.iter()).zip(&s[start..start + acc.len()]) {
                        *o = (if st == sr { k } else { -k }) as Qfloat;
                    }
                }
                None => {
                    for (o, &k) in chunk.iter_mut().zip(acc.iter()) {
                        *o = k as Qfloat;
                    }
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Column cache
// ---------------------------------------------------------------------------------------------

/// Columns by slot, evicted least recently used first when the byte budget is reached.
struct ColumnCache {
    columns: Vec<Vec<Qfloat>>,
    /// Last use of each slot's column; 0 when the slot holds nothing.
    stamps: Vec<u64>,
    /// Stamp → slot, oldest first.
    lru: BTreeMap<u64, usize>,
    clock: u64,
    used_bytes: usize,
    budget_bytes: usize,
}

impl ColumnCache {
    fn new(slots: usize, budget_bytes: usize, full_len: usize) -> Self {
        let two_columns = 2 * (full_len * size_of::<Qfloat>() + COLUMN_OVERHEAD);
        Self {
            columns: vec![Vec::new(); slots],
            stamps: vec![0; slots],
            lru: BTreeMap::new(),
            clock: 0,
            used_bytes: 0,
            budget_bytes: budget_bytes.max(two_columns),
        }
    }

    fn cached_len(&self, slot: usize) -> usize {
        self.columns[slot].len()
    }

    fn column(&self, slot: usize) -> &[Qfloat] {
        &self.columns[slot]
    }

    fn bytes(column: &Vec<Qfloat>) -> usize {
        if column.capacity() == 0 { 0 } else { column.capacity() * size_of::<Qfloat>() + COLUMN_OVERHEAD }
    }

    fn touch(&mut self, slot: usize) {
        if self.stamps[slot] != 0 {
            self.lru.remove(&self.stamps[slot]);
        }
        self.clock += 1;
        self.stamps[slot] = self.clock;
        self.lru.insert(self.clock, slot);
    }

    fn remove(&mut self, slot: usize) {
        self.used_bytes -= Self::bytes(&self.columns[slot]);
        self.columns[slot] = Vec::new();
        self.lru.remove(&self.stamps[slot]);
        self.stamps[slot] = 0;
    }

    /// Makes `slot` hold at least `len` values, computing the missing ones with
    /// `fill(first, out)`; never evicts `slot` or `pinned`.
    fn ensure(&mut self, slot: usize, len: usize, pinned: usize, fill: impl FnOnce(usize, &mut [Qfloat])) {
        let have = self.columns[slot].len();
        if have < len {
            let old_bytes = Self::bytes(&self.columns[slot]);
            let new_bytes = len * size_of::<Qfloat>() + COLUMN_OVERHEAD;
            while self.used_bytes - old_bytes + new_bytes > self.budget_bytes {
                let victim = self.lru.values().copied().find(|&s| s != slot && s != pinned);
                let Some(victim) = victim else { break };
                self.remove(victim);
            }
            let column = &mut self.columns[slot];
            if have == 0 {
                // Zeroed memory straight from the allocator, without writing it first.
                *column = vec![0.0; len];
            } else {
                column.reserve_exact(len - have);
                column.resize(len, 0.0);
            }
            fill(have, &mut column[have..]);
            self.used_bytes = self.used_bytes - old_bytes + Self::bytes(&self.columns[slot]);
        }
        self.touch(slot);
    }

    /// Follows the solver's swaps of variables `(p, q)`, `p < q`, applied in order: slots move
    /// with their variable, and each column's entries are permuted likewise (a column that holds
    /// `p` but not `q` is cut at `p`, the first entry it no longer knows).
    fn apply_swaps(&mut self, swaps: &[(usize, usize)]) {
        if swaps.is_empty() {
            return;
        }
        for &(p, q) in swaps {
            self.columns.swap(p, q);
            self.stamps.swap(p, q);
            for s in [p, q] {
                if self.stamps[s] != 0 {
                    self.lru.insert(self.stamps[s], s);
                }
            }
        }
        self.columns.par_iter_mut().with_min_len(64).filter(|c| !c.is_empty()).for_each(|column| {
            for &(p, q) in swaps {
                if q < column.len() {
                    column.swap(p, q);
                } else if p < column.len() {
                    column.truncate(p);
                }
            }
        });
        for slot in 0..self.columns.len() {
            if self.stamps[slot] != 0 && self.columns[slot].is_empty() {
                self.lru.remove(&self.stamps[slot]);
                self.stamps[slot] = 0;
                self.columns[slot] = Vec::new();
            }
        }
        self.used_bytes = self.columns.iter().map(Self::bytes).sum();
    }
}

/// The matrix Q seen by the solver, in the solver's current order of variables ("positions").
trait QMatrix: Sync {
    /// `Q_tt` for every position.
    fn diagonal(&self) -> Vec<f64>;
    /// Column `i` of Q over positions `0..len` (the slice may be longer).
    fn column(&mut self, i: usize, len: usize) -> &[Qfloat];
    /// Columns `i` and `j` over positions `0..len`.
    fn columns(&mut self, i: usize, j: usize, len: usize) -> (&[Qfloat], &[Qfloat]);
    /// How many leading entries of column `i` can be had without computing a kernel value.
    fn cached_len(&self, i: usize) -> usize;
    /// `Q_ab`, rounded as the cache rounds it.
    fn value(&self, a: usize, b: usize) -> f64;
    /// Follows the solver's swaps of positions.
    fn apply_swaps(&mut self, swaps: &[(usize, usize)]);
}

/// A matrix lent to one fit of a path.
impl<T: QMatrix> QMatrix for &mut T {
    fn diagonal(&self) -> Vec<f64> {
        (**self).diagonal()
    }

    fn column(&mut self, i: usize, len: usize) -> &[Qfloat] {
        (**self).column(i, len)
    }

    fn columns(&mut self, i: usize, j: usize, len: usize) -> (&[Qfloat], &[Qfloat]) {
        (**self).columns(i, j, len)
    }

    fn cached_len(&self, i: usize) -> usize {
        (**self).cached_len(i)
    }

    fn value(&self, a: usize, b: usize) -> f64 {
        (**self).value(a, b)
    }

    fn apply_swaps(&mut self, swaps: &[(usize, usize)]) {
        (**self).apply_swaps(swaps);
    }
}

/// C-SVC: `Q_st = y_s y_t K_st`, columns cached by position over the active prefix.
struct SvcQ {
    data: KernelData,
    y: Vec<f64>,
    /// Position → row, following the solver's swaps (kept from one fit of a path to the next).
    order: Vec<usize>,
    cache: ColumnCache,
}

impl SvcQ {
    fn new(data: KernelData, y: Vec<f64>, cache_bytes: usize) -> Self {
        let n = data.n;
        Self { data, y, order: (0..n).collect(), cache: ColumnCache::new(n, cache_bytes, n) }
    }

    fn ensure(&mut self, i: usize, len: usize, pinned: usize) {
        let Self { data, y, cache, .. } = self;
        cache.ensure(i, len, pinned, |first, out| data.fill(i, first, out, Some(y)));
    }
}

impl QMatrix for SvcQ {
    fn diagonal(&self) -> Vec<f64> {
        (0..self.data.n).map(|t| self.data.value(t, t)).collect()
    }

    fn column(&mut self, i: usize, len: usize) -> &[Qfloat] {
        self.ensure(i, len, i);
        self.cache.column(i)
    }

    fn columns(&mut self, i: usize, j: usize, len: usize) -> (&[Qfloat], &[Qfloat]) {
        self.ensure(i, len, j);
        self.ensure(j, len, i);
        (self.cache.column(i), self.cache.column(j))
    }

    fn cached_len(&self, i: usize) -> usize {
        self.cache.cached_len(i)
    }

    #[allow(clippy::cast_possible_truncation)]
    fn value(&self, a: usize, b: usize) -> f64 {
        let k = self.data.value(a, b) as Qfloat;
        f64::from(if self.y[a] == self.y[b] { k } else { -k })
    }

    fn apply_swaps(&mut self, swaps: &[(usize, usize)]) {
        for &(p, q) in swaps {
            self.data.swap(p, q);
            self.y.swap(p, q);
            self.order.swap(p, q);
        }
        self.cache.apply_swaps(swaps);
    }
}

/// ε-SVR: `2n` variables over `n` rows; rows of K are cached whole (in row order) and the
/// solver's columns are gathered from them into two buffers.
struct SvrQ {
    data: KernelData,
    /// Position → training row.
    row: Vec<usize>,
    /// Position → `+1` (α) or `−1` (α*).
    sign: Vec<f64>,
    cache: ColumnCache,
    buffers: [Vec<Qfloat>; 2],
    /// `(position, length)` each buffer holds.
    held: [Option<(usize, usize)>; 2],
}

impl SvrQ {
    fn new(data: KernelData, cache_bytes: usize) -> Self {
        let n = data.n;
        let l = 2 * n;
        Self {
            row: (0..l).map(|t| t % n).collect(),
            sign: (0..l).map(|t| if t < n { 1.0 } else { -1.0 }).collect(),
            cache: ColumnCache::new(n, cache_bytes, n),
            buffers: [vec![0.0; l], vec![0.0; l]],
            held: [None, None],
            data,
        }
    }

    /// Back to the rows' own order for a new fit; the cached rows of K stay valid.
    fn restore_order(&mut self) {
        let n = self.data.n;
        for (t, (row, sign)) in self.row.iter_mut().zip(&mut self.sign).enumerate() {
            *row = t % n;
            *sign = if t < n { 1.0 } else { -1.0 };
        }
        self.held = [None, None];
    }

    fn gather(&mut self, buffer: usize, i: usize, len: usize) {
        if matches!(self.held[buffer], Some((h, hl)) if h == i && hl >= len) {
            return;
        }
        let Self { data, row, sign, cache, buffers, held } = self;
        let r = row[i];
        let n = data.n;
        cache.ensure(r, n, r, |first, out| data.fill(r, first, out, None));
        let k = cache.column(r);
        let si = sign[i];
        let copy = |(out, (rows, signs)): (&mut [Qfloat], (&[usize], &[f64]))| {
            for ((out, &rt), &st) in out.iter_mut().zip(rows).zip(signs) {
                let v = k[rt];
                *out = if st == si { v } else { -v };
            }
        };
        let (out, rows, signs) = (&mut buffers[buffer][..len], &row[..len], &sign[..len]);
        if parallel_loop(len) {
            out.par_chunks_mut(LOOP_CHUNK)
                .zip(rows.par_chunks(LOOP_CHUNK).zip(signs.par_chunks(LOOP_CHUNK)))
                .for_each(copy);
        } else {
            copy((out, (rows, signs)));
        }
        held[buffer] = Some((i, len));
    }
}

impl QMatrix for SvrQ {
    fn diagonal(&self) -> Vec<f64> {
        self.row.iter().map(|&r| self.data.value(r, r)).collect()
    }

    fn column(&mut self, i: usize, len: usize) -> &[Qfloat] {
        self.gather(0, i, len);
        &self.buffers[0]
    }

    fn columns(&mut self, i: usize, j: usize, len: usize) -> (&[Qfloat], &[Qfloat]) {
        self.gather(0, i, len);
        self.gather(1, j, len);
        (&self.buffers[0], &self.buffers[1])
    }

    fn cached_len(&self, i: usize) -> usize {
        if self.cache.cached_len(self.row[i]) > 0 { self.row.len() } else { 0 }
    }

    #[allow(clippy::cast_possible_truncation)]
    fn value(&self, a: usize, b: usize) -> f64 {
        let k = self.data.value(self.row[a], self.row[b]) as Qfloat;
        f64::from(if self.sign[a] == self.sign[b] { k } else { -k })
    }

    fn apply_swaps(&mut self, swaps: &[(usize, usize)]) {
        for &(p, q) in swaps {
            self.row.swap(p, q);
            self.sign.swap(p, q);
        }
        self.held = [None, None];
    }
}

// ---------------------------------------------------------------------------------------------
// The SMO solver
// ---------------------------------------------------------------------------------------------

/// The problem's vectors, by position at the start of the solver.
struct Problem {
    y: Vec<f64>,
    p: Vec<f64>,
    cap: Vec<f64>,
    /// Variable index of each position (the identity, or the order a previous fit of a path
    /// left; `y`, `p` and `cap` are given in that order).
    var: Vec<usize>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Bound {
    Lower,
    Free,
    Upper,
}

impl Bound {
    fn of(alpha: f64, cap: f64) -> Self {
        if alpha >= cap {
            Self::Upper
        } else if alpha <= 0.0 {
            Self::Lower
        } else {
            Self::Free
        }
    }
}

/// Flag of `I_up` in [`Smo::member`].
const UP: u8 = 1;
/// Flag of `I_low` in [`Smo::member`].
const LOW: u8 = 2;

fn member_flags(y: f64, b: Bound) -> u8 {
    let (up, low) = membership(y, b);
    (u8::from(up) * UP) | (u8::from(low) * LOW)
}

/// Whether a variable with label `y` and bound state `b` is in `I_up` and in `I_low`.
#[inline]
fn membership(y: f64, b: Bound) -> (bool, bool) {
    if y > 0.0 { (b != Bound::Upper, b != Bound::Lower) } else { (b != Bound::Lower, b != Bound::Upper) }
}

/// The largest score seen and where; ties go to the smaller position, so the result does not
/// depend on how a range was split.
#[derive(Debug, Clone, Copy)]
struct Best {
    score: f64,
    at: Option<usize>,
}

impl Best {
    fn max(self, other: Self) -> Self {
        match (self.at, other.at) {
            (None, _) => other,
            (_, None) => self,
            (Some(a), Some(b)) => {
                if other.score > self.score || (other.score == self.score && b < a) {
                    other
                } else {
                    self
                }
            }
        }
    }
}

/// Whether a loop over `len` positions is worth splitting between threads.
fn parallel_loop(len: usize) -> bool {
    len >= PARALLEL_LOOP_MIN && rayon::current_num_threads() > 1
}

/// `scan` over `0..end`, or over chunks of it in parallel whose results `combine` merges (it must
/// be associative and commutative, so that the split does not change the result).
fn chunked<T: Send>(
    end: usize,
    scan: impl Fn(Range<usize>) -> T + Sync + Send,
    combine: impl Fn(T, T) -> T + Sync + Send,
) -> T {
    if parallel_loop(end) {
        let chunks = end.div_ceil(LOOP_CHUNK);
        (0..chunks)
            .into_par_iter()
            .map(|c| scan(c * LOOP_CHUNK..((c + 1) * LOOP_CHUNK).min(end)))
            .reduce_with(combine)
            .unwrap_or_else(|| scan(0..0))
    } else {
        scan(0..end)
    }
}

/// Calls the progress callback often enough for a prompt cancel.
struct Monitor<'a> {
    callback: &'a mut (dyn FnMut(&SolverStatus) -> bool + Send),
    every: u64,
    last: Instant,
}

impl<'a> Monitor<'a> {
    fn new(callback: &'a mut (dyn FnMut(&SolverStatus) -> bool + Send), every: u64) -> Self {
        Self { callback, every: every.max(1), last: Instant::now() }
    }

    fn due(&self, iterations: u64) -> bool {
        iterations.is_multiple_of(self.every) || self.last.elapsed() >= PROGRESS_INTERVAL
    }

    fn report(&mut self, status: &SolverStatus) -> Result<(), SmoError> {
        self.last = Instant::now();
        if (self.callback)(status) { Ok(()) } else { Err(SmoError::Cancelled { iterations: status.iterations }) }
    }
}

/// The solver's result by variable index.
struct RawSolution {
    alpha: Vec<f64>,
    at_upper: Vec<bool>,
    bias: f64,
    objective: f64,
    gap: f64,
    iterations: u64,
    stop: StopReason,
}

/// SMO state; every per-variable vector is in position order, positions `0..active` active.
struct Smo<'m, Q: QMatrix> {
    q: Q,
    l: usize,
    active: usize,
    y: Vec<f64>,
    p: Vec<f64>,
    cap: Vec<f64>,
    diag: Vec<f64>,
    var: Vec<usize>,
    alpha: Vec<f64>,
    bound: Vec<Bound>,
    /// `I_up` and `I_low` membership of each position ([`UP`], [`LOW`]), from `y` and `bound`.
    member: Vec<u8>,
    grad: Vec<f64>,
    /// `Ḡ_t = Σ_{α_s = C_s} C_s Q_ts`, kept only when shrinking.
    grad_bar: Vec<f64>,
    tol: f64,
    shrinking: bool,
    max_iterations: u64,
    iterations: u64,
    objective: f64,
    gap: f64,
    monitor: Monitor<'m>,
}

impl<'m, Q: QMatrix> Smo<'m, Q> {
    fn new(
        q: Q,
        problem: Problem,
        options: &SolverOptions,
        progress: &'m mut (dyn FnMut(&SolverStatus) -> bool + Send),
    ) -> Result<Self, SmoError> {
        let l = problem.y.len();
        let diag = q.diagonal();
        if diag.iter().any(|d| !d.is_finite()) {
            return Err(SmoError::NonFiniteKernel);
        }
        let l64 = u64::try_from(l).unwrap_or(u64::MAX);
        let y_member = problem.y.iter().map(|&y| member_flags(y, Bound::Lower)).collect();
        Ok(Self {
            q,
            l,
            active: l,
            grad: problem.p.clone(),
            grad_bar: vec![0.0; l],
            y: problem.y,
            p: problem.p,
            cap: problem.cap,
            diag,
            var: problem.var,
            alpha: vec![0.0; l],
            bound: vec![Bound::Lower; l],
            member: y_member,
            tol: options.tol,
            shrinking: options.shrinking,
            max_iterations: options.max_iterations.unwrap_or_else(|| 10_000_000u64.max(l64.saturating_mul(100))),
            iterations: 0,
            objective: 0.0,
            gap: f64::INFINITY,
            monitor: Monitor::new(progress, options.progress_every),
        })
    }

    fn status(&self) -> SolverStatus {
        SolverStatus {
            iterations: self.iterations,
            max_iterations: self.max_iterations,
            gap: self.gap,
            objective: self.objective,
            active: self.active,
        }
    }

    fn check_in(&mut self) -> Result<(), SmoError> {
        if self.monitor.due(self.iterations) {
            let status = self.status();
            self.monitor.report(&status)?;
        }
        Ok(())
    }

    fn run(mut self) -> Result<RawSolution, SmoError> {
        let interval = self.l.min(1000);
        let mut countdown = interval;
        let mut unshrunk = false;
        let mut stop = StopReason::Converged;
        loop {
            if self.iterations >= self.max_iterations {
                stop = StopReason::IterationLimit;
                break;
            }
            if self.shrinking {
                countdown -= 1;
                if countdown == 0 {
                    countdown = interval;
                    self.shrink(&mut unshrunk)?;
                }
            }
            self.check_in()?;
            let pair = match self.select() {
                Some(pair) => pair,
                None if self.active < self.l => {
                    // Optimal on the active set: restore the whole set and look again.
                    self.reconstruct_gradient()?;
                    self.active = self.l;
                    let Some(pair) = self.select() else { break };
                    countdown = 1;
                    pair
                }
                None => break,
            };
            self.step(pair.0, pair.1);
            self.iterations += 1;
        }
        if self.active < self.l {
            self.reconstruct_gradient()?;
            self.active = self.l;
        }
        let (m, _, big_m) = self.extremes(self.l);
        let objective = 0.5 * (0..self.l).map(|t| self.alpha[t] * (self.grad[t] + self.p[t])).sum::<f64>();
        let bias = self.bias();
        let mut alpha = vec![0.0; self.l];
        let mut at_upper = vec![false; self.l];
        for t in 0..self.l {
            alpha[self.var[t]] = self.alpha[t];
            at_upper[self.var[t]] = self.bound[t] == Bound::Upper;
        }
        Ok(RawSolution { alpha, at_upper, bias, objective, gap: m - big_m, iterations: self.iterations, stop })
    }

    /// `m(α)`, the position attaining it, and `M(α)` over positions `0..end`.
    fn extremes(&self, end: usize) -> (f64, Option<usize>, f64) {
        let (y, grad, member) = (&self.y, &self.grad, &self.member);
        let scan = |range: Range<usize>| {
            let mut best = Best { score: f64::NEG_INFINITY, at: None };
            let mut big_m = f64::INFINITY;
            for t in range {
                let v = -y[t] * grad[t];
                let (up, low) = (member[t] & UP != 0, member[t] & LOW != 0);
                if up && v > best.score {
                    best = Best { score: v, at: Some(t) };
                }
                if low && v < big_m {
                    big_m = v;
                }
            }
            (best, big_m)
        };
        let (best, big_m) = chunked(end, scan, |(a, am), (b, bm)| (a.max(b), am.min(bm)));
        (best.score, best.at, big_m)
    }

    /// WSS 2 over the active set; `None` when the stopping rule holds there.
    fn select(&mut self) -> Option<(usize, usize)> {
        let active = self.active;
        let (m, i, big_m) = self.extremes(active);
        self.gap = m - big_m;
        let i = i?;
        if self.gap <= self.tol {
            return None;
        }
        let qi = self.q.column(i, active);
        let (y, grad, member, diag) = (&self.y, &self.grad, &self.member, &self.diag);
        let (yi, di) = (y[i], diag[i]);
        // The best `j` has the largest `b² / a`, found as the maximum of that score.
        let scan = |range: Range<usize>| {
            let mut best = Best { score: f64::NEG_INFINITY, at: None };
            for t in range {
                let low = member[t] & LOW != 0;
                let b = m + y[t] * grad[t];
                if low && b > 0.0 {
                    let k_it = yi * y[t] * f64::from(qi[t]);
                    let a = di + diag[t] - 2.0 * k_it;
                    let score = (b * b) / if a > 0.0 { a } else { TAU };
                    if score > best.score {
                        best = Best { score, at: Some(t) };
                    }
                }
            }
            best
        };
        let best = chunked(active, scan, Best::max);
        best.at.map(|j| (i, j))
    }

    /// Moves `α_i` up along `y_i` and `α_j` down along `y_j` as far as the two-variable
    /// subproblem and the box allow, then updates the gradients.
    fn step(&mut self, i: usize, j: usize) {
        let active = self.active;
        let (yi, yj) = (self.y[i], self.y[j]);
        let (old_i, old_j) = (self.alpha[i], self.alpha[j]);
        let (qi, qj) = self.q.columns(i, j, active);
        let q_ij = f64::from(qi[j]);
        let curvature = self.diag[i] + self.diag[j] - 2.0 * yi * yj * q_ij;
        let b = -yi * self.grad[i] + yj * self.grad[j];
        let room_i = if yi > 0.0 { self.cap[i] - old_i } else { old_i };
        let room_j = if yj > 0.0 { old_j } else { self.cap[j] - old_j };
        let t = (b / if curvature > 0.0 { curvature } else { TAU }).min(room_i).min(room_j);
        let new_i = if t >= room_i { if yi > 0.0 { self.cap[i] } else { 0.0 } } else { old_i + yi * t };
        let new_j = if t >= room_j { if yj > 0.0 { 0.0 } else { self.cap[j] } } else { old_j - yj * t };
        let (di, dj) = (new_i - old_i, new_j - old_j);
        self.objective += self.grad[i] * di
            + self.grad[j] * dj
            + 0.5 * (self.diag[i] * di * di + self.diag[j] * dj * dj)
            + q_ij * di * dj;
        let update = |(g, (a, c)): (&mut [f64], (&[Qfloat], &[Qfloat]))| {
            for ((g, &a), &c) in g.iter_mut().zip(a).zip(c) {
                *g += f64::from(a) * di + f64::from(c) * dj;
            }
        };
        let (grad, qi, qj) = (&mut self.grad[..active], &qi[..active], &qj[..active]);
        if parallel_loop(active) {
            grad.par_chunks_mut(LOOP_CHUNK)
                .zip(qi.par_chunks(LOOP_CHUNK).zip(qj.par_chunks(LOOP_CHUNK)))
                .for_each(update);
        } else {
            update((grad, (qi, qj)));
        }
        self.alpha[i] = new_i;
        self.alpha[j] = new_j;
        for t in [i, j] {
            let was_upper = self.bound[t] == Bound::Upper;
            self.bound[t] = Bound::of(self.alpha[t], self.cap[t]);
            self.member[t] = member_flags(self.y[t], self.bound[t]);
            let is_upper = self.bound[t] == Bound::Upper;
            if self.shrinking && was_upper != is_upper {
                let l = self.l;
                let c = if is_upper { self.cap[t] } else { -self.cap[t] };
                let column = self.q.column(t, l);
                for (gb, &v) in self.grad_bar.iter_mut().zip(&column[..l]) {
                    *gb += c * f64::from(v);
                }
            }
        }
    }

    /// Section 5.1 of Chang & Lin (2011): drops from the active set the variables at a bound
    /// that the current gradient says will stay there; restores everything once when the gap
    /// first falls below `10·tol`.
    fn shrink(&mut self, unshrunk: &mut bool) -> Result<(), SmoError> {
        let (m, _, big_m) = self.extremes(self.active);
        if !*unshrunk && m - big_m <= 10.0 * self.tol {
            *unshrunk = true;
            self.reconstruct_gradient()?;
            self.active = self.l;
        }
        let shrinkable = |s: &Self, t: usize| {
            let v = -s.y[t] * s.grad[t];
            match membership(s.y[t], s.bound[t]) {
                (false, true) => v > m,
                (true, false) => v < big_m,
                _ => false,
            }
        };
        let mut swaps = Vec::new();
        let (mut lo, mut hi) = (0, self.active);
        while lo < hi {
            if !shrinkable(self, lo) {
                lo += 1;
                continue;
            }
            hi -= 1;
            while hi > lo && shrinkable(self, hi) {
                hi -= 1;
            }
            if hi > lo {
                self.swap(lo, hi);
                swaps.push((lo, hi));
                lo += 1;
            }
        }
        self.active = lo;
        self.q.apply_swaps(&swaps);
        Ok(())
    }

    fn swap(&mut self, p: usize, q: usize) {
        self.y.swap(p, q);
        self.p.swap(p, q);
        self.cap.swap(p, q);
        self.diag.swap(p, q);
        self.var.swap(p, q);
        self.alpha.swap(p, q);
        self.bound.swap(p, q);
        self.member.swap(p, q);
        self.grad.swap(p, q);
        self.grad_bar.swap(p, q);
    }

    /// Recomputes the gradient of the inactive positions: `∇f_t = Ḡ_t + p_t + Σ_{s free} α_s Q_ts`.
    ///
    /// Either by columns of the free variables (cheap when they are cached long enough) or row
    /// by row for the inactive variables; both add the same rounded `Q_ts` in the same order,
    /// so the result does not depend on the choice (or on the cache).
    fn reconstruct_gradient(&mut self) -> Result<(), SmoError> {
        let (active, l) = (self.active, self.l);
        if active == l {
            return Ok(());
        }
        self.reset_inactive_gradient();
        let free: Vec<usize> = (0..active).filter(|&t| self.bound[t] == Bound::Free).collect();
        let by_columns: usize = free.iter().map(|&s| l - self.q.cached_len(s).min(l)).sum();
        let by_rows = (l - active) * free.len();
        // Extending cached columns also serves the iterations to come, so it may cost a little more.
        if by_columns <= 2 * by_rows { self.add_free_by_columns(&free) } else { self.add_free_by_rows(&free) }
    }

    /// `∇f_t = Ḡ_t + p_t` for the inactive positions, before the free variables are added.
    fn reset_inactive_gradient(&mut self) {
        for t in self.active..self.l {
            self.grad[t] = self.grad_bar[t] + self.p[t];
        }
    }

    fn report_if_due(&mut self) -> Result<(), SmoError> {
        if self.monitor.last.elapsed() >= PROGRESS_INTERVAL {
            let status = self.status();
            self.monitor.report(&status)?;
        }
        Ok(())
    }

    /// Adds `α_s Q_ts` to the inactive gradients column by column of the free variables `s`.
    fn add_free_by_columns(&mut self, free: &[usize]) -> Result<(), SmoError> {
        let (active, l) = (self.active, self.l);
        for &s in free {
            self.report_if_due()?;
            let a = self.alpha[s];
            let column = self.q.column(s, l);
            for (g, &v) in self.grad[active..l].iter_mut().zip(&column[active..l]) {
                *g += a * f64::from(v);
            }
        }
        Ok(())
    }

    /// Adds the same terms row by row of the inactive variables, in parallel, without the cache.
    fn add_free_by_rows(&mut self, free: &[usize]) -> Result<(), SmoError> {
        let (active, l) = (self.active, self.l);
        // Batches of about a million kernel values between progress checks.
        let batch = (1 << 20) / free.len().max(1) + 1;
        let mut start = active;
        while start < l {
            let end = (start + batch).min(l);
            let (q, alpha) = (&self.q, &self.alpha);
            self.grad[start..end].par_iter_mut().with_min_len(16).enumerate().for_each(|(k, g)| {
                for &s in free {
                    *g += alpha[s] * q.value(start + k, s);
                }
            });
            start = end;
            self.report_if_due()?;
        }
        Ok(())
    }

    /// libsvm's bias: the mean of `−y_t∇f_t` over free variables, else the middle of
    /// `[max over I_up, min over I_low]` of the bounded ones.
    fn bias(&self) -> f64 {
        let (mut sum, mut count) = (0.0, 0usize);
        let (mut lo, mut hi) = (f64::NEG_INFINITY, f64::INFINITY);
        for t in 0..self.l {
            let v = -self.y[t] * self.grad[t];
            if self.bound[t] == Bound::Free {
                sum += v;
                count += 1;
            } else {
                let (up, low) = membership(self.y[t], self.bound[t]);
                if up {
                    lo = lo.max(v);
                }
                if low {
                    hi = hi.min(v);
                }
            }
        }
        if count > 0 {
            sum / count as f64
        } else if lo.is_finite() && hi.is_finite() {
            0.5 * (lo + hi)
        } else if lo.is_finite() {
            lo
        } else if hi.is_finite() {
            hi
        } else {
            0.0
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Linear SVM by dual coordinate descent
// ---------------------------------------------------------------------------------------------

/// Trains a linear C-SVC by dual coordinate descent (Hsieh et al. 2008, Algorithm 1 with the
/// shrinking of section 3.2), as LIBLINEAR and scikit-learn's `LinearSVC(dual=True)` do; see
/// the module documentation for the regularised bias.
///
/// # Errors
/// Bad input (see [`SmoError`]) or cancellation by `progress`.
pub fn fit_linear_svc(
    x: Rows<'_>,
    positive: &[bool],
    params: &LinearSvcParams,
    progress: &mut (dyn FnMut(&SolverStatus) -> bool + Send),
) -> Result<LinearSolution, SmoError> {
    let n = x.n_rows();
    if positive.len() != n {
        return Err(SmoError::LabelCount { n_rows: n, n_labels: positive.len() });
    }
    if positive.iter().all(|&p| p) || !positive.iter().any(|&p| p) {
        return Err(SmoError::OneClass);
    }
    check_param("c", params.c, params.c.is_finite() && params.c > 0.0)?;
    for (name, w) in [("weight_positive", params.weight_positive), ("weight_negative", params.weight_negative)] {
        check_param(name, w, w.is_finite() && w > 0.0)?;
    }
    check_param("tol", params.tol, params.tol.is_finite() && params.tol > 0.0)?;
    let bias_feature = params.bias_feature.unwrap_or(0.0);
    check_param("bias_feature", bias_feature, bias_feature.is_finite())?;

    let mut dcd = Dcd::new(x, positive, params, bias_feature);
    let mut rng = SplitMix64(params.seed);
    let (mut pg_max_old, mut pg_min_old) = (f64::INFINITY, f64::NEG_INFINITY);
    let mut monitor = Monitor::new(progress, 10);
    let mut epochs = 0;
    let mut gap = f64::INFINITY;
    let mut stop = StopReason::IterationLimit;
    while epochs < params.max_epochs {
        if monitor.due(epochs) {
            let status = SolverStatus {
                iterations: epochs,
                max_iterations: params.max_epochs,
                gap,
                objective: dcd.objective(),
                active: dcd.active,
            };
            monitor.report(&status)?;
        }
        for k in (1..dcd.active).rev() {
            dcd.order.swap(k, rng.below(k + 1));
        }
        let (pg_max, pg_min) = dcd.epoch(pg_max_old, pg_min_old);
        epochs += 1;
        gap = pg_max - pg_min;
        if gap <= params.tol {
            if dcd.active == n {
                stop = StopReason::Converged;
                break;
            }
            dcd.active = n;
            pg_max_old = f64::INFINITY;
            pg_min_old = f64::NEG_INFINITY;
            continue;
        }
        pg_max_old = if pg_max <= 0.0 { f64::INFINITY } else { pg_max };
        pg_min_old = if pg_min >= 0.0 { f64::NEG_INFINITY } else { pg_min };
    }
    let objective = dcd.objective();
    if !objective.is_finite() {
        return Err(SmoError::NonFiniteKernel);
    }
    Ok(LinearSolution {
        bias: dcd.w_bias * bias_feature,
        epochs,
        objective,
        gap,
        n_support: dcd.alpha.iter().filter(|&&a| a > 0.0).count(),
        stop,
        weights: dcd.w,
    })
}

/// State of dual coordinate descent: the dual variables, the primal weights they make up, and
/// the visiting order whose prefix `0..active` is the unshrunk set.
struct Dcd<'a> {
    x: Rows<'a>,
    y: Vec<f64>,
    /// Upper bound of each α (infinite for the squared hinge).
    upper: Vec<f64>,
    /// The diagonal term `D_ii` of the dual (0 for the hinge, `1 / (2 C_i)` for its square).
    diag: Vec<f64>,
    /// `Q_ii = ‖x_i‖² + bias_feature² + D_ii`.
    qd: Vec<f64>,
    bias_feature: f64,
    w: Vec<f64>,
    w_bias: f64,
    alpha: Vec<f64>,
    order: Vec<usize>,
    active: usize,
}

impl<'a> Dcd<'a> {
    fn new(x: Rows<'a>, positive: &[bool], params: &LinearSvcParams, bias_feature: f64) -> Self {
        let n = x.n_rows();
        let cost = |i: usize| params.c * if positive[i] { params.weight_positive } else { params.weight_negative };
        // L1 loss: box [0, C], no diagonal term; L2 loss: no upper bound, diagonal 1/(2C).
        let (upper, diag): (Vec<f64>, Vec<f64>) = (0..n)
            .map(|i| match params.loss {
                LinearLoss::Hinge => (cost(i), 0.0),
                LinearLoss::SquaredHinge => (f64::INFINITY, 0.5 / cost(i)),
            })
            .unzip();
        let qd = x
            .values
            .chunks_exact(x.d)
            .zip(&diag)
            .map(|(row, dd)| row.iter().fold(0.0, |s, v| s + v * v) + bias_feature * bias_feature + dd)
            .collect();
        Self {
            x,
            y: positive.iter().map(|&p| if p { 1.0 } else { -1.0 }).collect(),
            upper,
            diag,
            qd,
            bias_feature,
            w: vec![0.0; x.d],
            w_bias: 0.0,
            alpha: vec![0.0; n],
            order: (0..n).collect(),
            active: n,
        }
    }

    /// Dual objective `½‖ŵ‖² + ½ Σ D_ii α_i² − Σ α_i`.
    fn objective(&self) -> f64 {
        let ww = self.w.iter().fold(self.w_bias * self.w_bias, |s, v| s + v * v);
        let extra = self.alpha.iter().zip(&self.diag).fold(0.0, |s, (a, dd)| s + dd * a * a - 2.0 * a);
        0.5 * (ww + extra)
    }

    /// One pass over the active rows in `order`, shrinking those at a bound whose projected
    /// gradient lies beyond the previous pass's extremes; returns this pass's extremes of the
    /// projected gradient.
    fn epoch(&mut self, pg_max_old: f64, pg_min_old: f64) -> (f64, f64) {
        let d = self.x.d;
        let (mut pg_max, mut pg_min) = (f64::NEG_INFINITY, f64::INFINITY);
        let mut s = 0;
        while s < self.active {
            let i = self.order[s];
            let xi = &self.x.values[i * d..(i + 1) * d];
            let wx = self.w.iter().zip(xi).fold(self.w_bias * self.bias_feature, |acc, (a, b)| acc + a * b);
            let g = self.y[i] * wx - 1.0 + self.diag[i] * self.alpha[i];
            let pg = if self.alpha[i] == 0.0 {
                if g > pg_max_old {
                    self.active -= 1;
                    self.order.swap(s, self.active);
                    continue;
                }
                g.min(0.0)
            } else if self.alpha[i] == self.upper[i] {
                if g < pg_min_old {
                    self.active -= 1;
                    self.order.swap(s, self.active);
                    continue;
                }
                g.max(0.0)
            } else {
                g
            };
            pg_max = pg_max.max(pg);
            pg_min = pg_min.min(pg);
            if pg.abs() > 1e-12 {
                let old = self.alpha[i];
                self.alpha[i] = (old - g / self.qd[i]).max(0.0).min(self.upper[i]);
                let delta = (self.alpha[i] - old) * self.y[i];
                for (wj, &v) in self.w.iter_mut().zip(xi) {
                    *wj += delta * v;
                }
                self.w_bias += delta * self.bias_feature;
            }
            s += 1;
        }
        (pg_max, pg_min)
    }
}

/// `SplitMix64` (Steele, Lea & Flood 2014): a small seeded generator for the visiting order.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..bound` (Lemire's multiply-shift; the bias is below 2⁻³² for our sizes).
    #[allow(clippy::cast_possible_truncation)]
    fn below(&mut self, bound: usize) -> usize {
        ((u128::from(self.next()) * bound as u128) >> 64) as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Uniform numbers in [0, 1) from a seed.
    fn uniform(seed: u64, count: usize) -> Vec<f64> {
        let mut rng = SplitMix64(seed);
        (0..count).map(|_| (rng.next() >> 11) as f64 / (1u64 << 53) as f64).collect()
    }

    /// Two separable clouds in 2-D: +1 around (2, 2), −1 around (−2, −2).
    fn separable(n: usize) -> (Vec<f64>, Vec<bool>) {
        let u = uniform(1, 2 * n);
        let positive: Vec<bool> = (0..n).map(|i| i % 2 == 0).collect();
        let x = (0..n)
            .flat_map(|i| {
                let centre = if positive[i] { 2.0 } else { -2.0 };
                [centre + 2.0 * u[2 * i] - 1.0, centre + 2.0 * u[2 * i + 1] - 1.0]
            })
            .collect();
        (x, positive)
    }

    /// XOR: positive where the two coordinates have the same sign.
    fn xor(n: usize, seed: u64) -> (Vec<f64>, Vec<bool>) {
        let u = uniform(seed, 2 * n);
        let x: Vec<f64> = u.iter().map(|v| 4.0 * v - 2.0).collect();
        let positive = (0..n).map(|i| (x[2 * i] > 0.0) == (x[2 * i + 1] > 0.0)).collect();
        (x, positive)
    }

    /// XOR with every 20th label flipped: many bounded and free support vectors.
    fn noisy_xor(n: usize, seed: u64) -> (Vec<f64>, Vec<bool>) {
        let (x, positive) = xor(n, seed);
        (x, positive.iter().enumerate().map(|(i, &p)| if i % 20 == 0 { !p } else { p }).collect())
    }

    /// `y = 2x + 0.5 + noise` on [−1, 1].
    fn line(n: usize) -> (Vec<f64>, Vec<f64>) {
        let u = uniform(3, n);
        let x: Vec<f64> = (0..n).map(|i| 2.0 * i as f64 / (n - 1) as f64 - 1.0).collect();
        let y = x.iter().zip(&u).map(|(v, e)| 2.0 * v + 0.5 + 0.1 * (e - 0.5)).collect();
        (x, y)
    }

    fn quiet() -> impl FnMut(&SolverStatus) -> bool + Send {
        |_| true
    }

    /// `m(α) − M(α)` recomputed in `f64` from a solution's decision values.
    fn kkt_gap(s: &SvmSolution, kernel: &Kernel, x: Rows<'_>, y: Option<&[bool]>, z: &[f64], c: f64, eps: f64) -> f64 {
        let coef = |r: usize| s.support.binary_search(&r).map_or(0.0, |k| s.dual_coef[k]);
        let (mut m, mut big_m) = (f64::NEG_INFINITY, f64::INFINITY);
        let mut visit = |v: f64, y: f64, alpha: f64| {
            let b = Bound::of(alpha, c);
            let (up, low) = membership(y, b);
            if up {
                m = m.max(v);
            }
            if low {
                big_m = big_m.min(v);
            }
        };
        for r in 0..x.n_rows() {
            let f = s.decision(kernel, x, x.row(r).unwrap_or_default()) - s.bias;
            match y {
                Some(labels) => {
                    let yr = if labels[r] { 1.0 } else { -1.0 };
                    // −y∇f = y − (f − b) for ∇f_t = y_t (f_t − b) − 1.
                    visit(yr - f, yr, coef(r).abs());
                }
                None => {
                    let beta = coef(r);
                    visit(-(f + eps - z[r]), 1.0, beta.max(0.0));
                    visit(-f + eps + z[r], -1.0, (-beta).max(0.0));
                }
            }
        }
        m - big_m
    }

    #[test]
    fn separable_classes_get_a_unit_margin() {
        let (x, positive) = separable(40);
        let rows = Rows::new(&x, 40, 2).unwrap();
        let params = SvcParams::new(Kernel::Linear, 10.0);
        let s = fit_svc(rows, &positive, &params, &SolverOptions::default(), &mut quiet()).unwrap();
        assert_eq!(s.stop, StopReason::Converged);
        assert!(s.support.windows(2).all(|w| w[0] < w[1]));
        for r in 0..40 {
            let f = s.decision(&params.kernel, rows, rows.row(r).unwrap_or_default());
            assert!((f > 0.0) == positive[r], "row {r}: {f}");
            assert!(f.abs() >= 1.0 - 1e-3 - 1e-6, "row {r} inside the margin: {f}");
        }
        for (&r, &c) in s.support.iter().zip(&s.dual_coef) {
            let f = s.decision(&params.kernel, rows, rows.row(r).unwrap_or_default());
            assert!((c > 0.0) == positive[r]);
            assert!((f.abs() - 1.0).abs() <= 1e-3 + 1e-6, "support vector {r} off the margin: {f}");
        }
        assert!(kkt_gap(&s, &params.kernel, rows, Some(&positive), &[], 10.0, 0.0) <= 1e-3 * 1.01);
    }

    #[test]
    fn rbf_learns_xor_and_meets_the_stopping_rule() {
        let n = 300;
        let (x, positive) = xor(n, 5);
        let rows = Rows::new(&x, n, 2).unwrap();
        for shrinking in [true, false] {
            let params = SvcParams::new(Kernel::Rbf { gamma: 1.0 }, 10.0);
            let options = SolverOptions { shrinking, ..SolverOptions::default() };
            let s = fit_svc(rows, &positive, &params, &options, &mut quiet()).unwrap();
            let correct = (0..n)
                .filter(|&r| (s.decision(&params.kernel, rows, rows.row(r).unwrap_or_default()) > 0.0) == positive[r])
                .count();
            assert!(correct >= 290, "{correct} of {n}");
            let gap = kkt_gap(&s, &params.kernel, rows, Some(&positive), &[], 10.0, 0.0);
            assert!(gap <= 1e-3 * 1.01, "shrinking {shrinking}: gap {gap}");
            assert!((s.gap - gap).abs() < 1e-4, "reported gap {} vs {gap}", s.gap);
        }
    }

    #[test]
    fn svr_fits_a_line_within_its_tube() {
        let n = 80;
        let (x, y) = line(n);
        let rows = Rows::new(&x, n, 1).unwrap();
        let params = SvrParams { kernel: Kernel::Linear, c: 10.0, epsilon: 0.1 };
        let s = fit_svr(rows, &y, &params, &SolverOptions::default(), &mut quiet()).unwrap();
        assert_eq!(s.stop, StopReason::Converged);
        for r in 0..n {
            let f = s.decision(&params.kernel, rows, &[x[r]]);
            assert!((f - y[r]).abs() <= 0.1 + 1e-3 + 1e-6, "row {r}: {f} vs {}", y[r]);
        }
        // The slope of w = Σ β_i x_i is close to 2.
        let slope: f64 = s.support.iter().zip(&s.dual_coef).map(|(&r, b)| b * x[r]).sum();
        assert!((slope - 2.0).abs() < 0.1, "slope {slope}");
        let gap = kkt_gap(&s, &params.kernel, rows, None, &y, 10.0, 0.1);
        assert!(gap <= 1e-3 * 1.01, "gap {gap}");
    }

    #[test]
    fn rbf_svr_meets_the_stopping_rule() {
        let n = 200;
        let u = uniform(9, n);
        let x: Vec<f64> = u.iter().map(|v| 6.0 * v - 3.0).collect();
        let z: Vec<f64> = x.iter().map(|v| v.sin()).collect();
        let rows = Rows::new(&x, n, 1).unwrap();
        let params = SvrParams { kernel: Kernel::Rbf { gamma: 0.5 }, c: 5.0, epsilon: 0.05 };
        let s = fit_svr(rows, &z, &params, &SolverOptions::default(), &mut quiet()).unwrap();
        let gap = kkt_gap(&s, &params.kernel, rows, None, &z, 5.0, 0.05);
        assert!(gap <= 1e-3 * 1.01, "gap {gap}");
        for r in 0..n {
            let f = s.decision(&params.kernel, rows, &[x[r]]);
            assert!((f - z[r]).abs() < 0.05 + 0.01, "row {r}");
        }
    }

    #[test]
    fn objective_decreases_monotonically() {
        let n = 200;
        let (x, positive) = xor(n, 7);
        let rows = Rows::new(&x, n, 2).unwrap();
        let mut seen = Vec::new();
        let options = SolverOptions { progress_every: 1, ..SolverOptions::default() };
        let params = SvcParams::new(Kernel::Rbf { gamma: 2.0 }, 100.0);
        let s = fit_svc(rows, &positive, &params, &options, &mut |st: &SolverStatus| {
            seen.push(st.objective);
            true
        })
        .unwrap();
        assert!(seen.len() as u64 >= s.iterations, "{} reports for {} iterations", seen.len(), s.iterations);
        assert!(seen.windows(2).all(|w| w[1] <= w[0]), "the objective rose");
        // The running objective matches the one recomputed at the end.
        let last = seen.last().copied().unwrap_or_default();
        assert!((last - s.objective).abs() <= 1e-6 * s.objective.abs(), "{last} vs {}", s.objective);
        // And the one recomputed from the coefficients in f64.
        let half_ww: f64 = s
            .support
            .iter()
            .zip(&s.dual_coef)
            .map(|(&r, b)| b * (s.decision(&params.kernel, rows, rows.row(r).unwrap_or_default()) - s.bias))
            .sum::<f64>()
            * 0.5;
        let exact = half_ww - s.dual_coef.iter().map(|b| b.abs()).sum::<f64>();
        assert!((exact - s.objective).abs() <= 1e-5 * exact.abs(), "{exact} vs {}", s.objective);
    }

    /// A C-SVC (noisy XOR, C = 100: thousands of iterations, shrinking, columns cut at swaps) and
    /// an ε-SVR, solved on a pool of `threads` threads.
    fn solve_in_pool(threads: usize, shrinking: bool, cache_bytes: usize) -> (SvmSolution, SvmSolution) {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        pool.install(|| {
            let n = 600;
            let (x, positive) = noisy_xor(n, 3);
            let rows = Rows::new(&x, n, 2).unwrap();
            let options = SolverOptions { cache_bytes, shrinking, ..SolverOptions::default() };
            let svc =
                fit_svc(rows, &positive, &SvcParams::new(Kernel::Rbf { gamma: 3.0 }, 100.0), &options, &mut quiet())
                    .unwrap();
            let z: Vec<f64> = (0..n).map(|r| x[2 * r].sin() * x[2 * r + 1]).collect();
            let params = SvrParams { kernel: Kernel::Rbf { gamma: 0.7 }, c: 10.0, epsilon: 0.02 };
            let svr = fit_svr(rows, &z, &params, &options, &mut quiet()).unwrap();
            (svc, svr)
        })
    }

    fn same_bits(a: &SvmSolution, b: &SvmSolution) -> bool {
        a.support == b.support
            && a.iterations == b.iterations
            && a.bias.to_bits() == b.bias.to_bits()
            && a.objective.to_bits() == b.objective.to_bits()
            && a.dual_coef.iter().zip(&b.dual_coef).all(|(x, y)| x.to_bits() == y.to_bits())
    }

    #[test]
    fn both_gradient_reconstructions_give_the_same_bits() {
        let n = 600;
        let (x, positive) = noisy_xor(n, 3);
        let rows = Rows::new(&x, n, 2).unwrap();
        let y: Vec<f64> = positive.iter().map(|&p| if p { 1.0 } else { -1.0 }).collect();
        let cap = vec![100.0; n];
        let q = SvcQ::new(KernelData::new(rows, Kernel::Rbf { gamma: 3.0 }), y.clone(), 1);
        let problem = Problem { y, p: vec![-1.0; n], cap, var: (0..n).collect() };
        let options = SolverOptions::default();
        let mut progress = quiet();
        let mut smo = Smo::new(q, problem, &options, &mut progress).unwrap();
        let mut unshrunk = false;
        // Run until a shrink leaves a good part inactive while some variables are free.
        for iteration in 1..=3000 {
            let Some((i, j)) = smo.select() else { break };
            smo.step(i, j);
            if iteration % 300 == 0 {
                smo.shrink(&mut unshrunk).unwrap();
            }
        }
        let free: Vec<usize> = (0..smo.active).filter(|&t| smo.bound[t] == Bound::Free).collect();
        assert!(smo.active < n && !free.is_empty(), "active {}, free {}", smo.active, free.len());
        smo.reset_inactive_gradient();
        smo.add_free_by_rows(&free).unwrap();
        let by_rows = smo.grad.clone();
        smo.reset_inactive_gradient();
        smo.add_free_by_columns(&free).unwrap();
        assert!(by_rows.iter().zip(&smo.grad).all(|(a, b)| a.to_bits() == b.to_bits()));
        // And both equal the gradient computed from scratch, up to the f32 rounding of Q.
        for t in smo.active..n {
            let exact: f64 =
                (0..n).map(|s| smo.alpha[s] * smo.y[t] * smo.y[s] * smo.q.data.value(t, s)).sum::<f64>() - 1.0;
            assert!((exact - smo.grad[t]).abs() < 1e-4, "{t}: {exact} vs {}", smo.grad[t]);
        }
    }

    #[test]
    fn same_bits_on_one_and_two_threads() {
        let one = solve_in_pool(1, true, 200 << 20);
        let two = solve_in_pool(2, true, 200 << 20);
        assert!(same_bits(&one.0, &two.0), "C-SVC differs between 1 and 2 threads");
        assert!(same_bits(&one.1, &two.1), "ε-SVR differs between 1 and 2 threads");
    }

    #[test]
    fn cache_size_does_not_change_the_bits() {
        // One byte is raised to two columns: columns are evicted, cut at swaps and rebuilt.
        let big = solve_in_pool(2, true, 200 << 20);
        let tiny = solve_in_pool(2, true, 1);
        assert!(same_bits(&big.0, &tiny.0), "C-SVC depends on the cache size");
        assert!(same_bits(&big.1, &tiny.1), "ε-SVR depends on the cache size");
    }

    #[test]
    fn shrinking_changes_the_path_not_the_answer() {
        let (on, off) = (solve_in_pool(2, true, 200 << 20), solve_in_pool(2, false, 200 << 20));
        let n = 600;
        let (x, _) = noisy_xor(n, 3);
        let rows = Rows::new(&x, n, 2).unwrap();
        for (a, b, kernel) in [(&on.0, &off.0, Kernel::Rbf { gamma: 3.0 }), (&on.1, &off.1, Kernel::Rbf { gamma: 0.7 })]
        {
            for r in 0..n {
                let row = rows.row(r).unwrap_or_default();
                let (fa, fb) = (a.decision(&kernel, rows, row), b.decision(&kernel, rows, row));
                assert!((fa - fb).abs() < 0.05, "row {r}: {fa} vs {fb}");
            }
            assert!((a.objective - b.objective).abs() < 1e-3 * a.objective.abs());
        }
    }

    #[test]
    fn a_path_over_costs_reuses_columns_and_meets_every_stopping_rule() {
        let n = 600;
        let (x, positive) = noisy_xor(n, 3);
        let rows = Rows::new(&x, n, 2).unwrap();
        let kernel = Kernel::Rbf { gamma: 3.0 };
        let options = SolverOptions::default();
        let costs = [0.1, 1.0, 10.0, 100.0];
        let params: Vec<SvcParams> = costs.iter().map(|&c| SvcParams::new(kernel, c)).collect();
        let path = fit_svc_path(rows, &positive, &params, &options, &mut quiet()).unwrap();
        assert_eq!(path.len(), costs.len());
        let alone: Vec<SvmSolution> =
            params.iter().map(|p| fit_svc(rows, &positive, p, &options, &mut quiet()).unwrap()).collect();
        // The first fit of a path is the fit alone.
        assert!(same_bits(&path[0], &alone[0]));
        let (mut reused, mut fresh) = (0, 0);
        for ((p, a), &c) in path.iter().zip(&alone).zip(&costs) {
            let gap = kkt_gap(p, &kernel, rows, Some(&positive), &[], c, 0.0);
            assert!(gap <= 1e-3 * 1.01, "C = {c}: gap {gap}");
            for r in 0..n {
                let row = rows.row(r).unwrap_or_default();
                let (fp, fa) = (p.decision(&kernel, rows, row), a.decision(&kernel, rows, row));
                assert!((fp - fa).abs() < 0.05, "C = {c}, row {r}: {fp} vs {fa}");
            }
            assert!((p.objective - a.objective).abs() <= 1e-3 * a.objective.abs(), "C = {c}");
            reused += p.kernel_values;
            fresh += a.kernel_values;
        }
        // Columns cached by the smaller costs serve the larger ones.
        assert!(reused * 2 < fresh, "the path computed {reused} kernel values, the fits alone {fresh}");

        // ε-SVR paths start each fit from the rows' order: the same bits as each fit alone.
        let z: Vec<f64> = (0..n).map(|r| x[2 * r].sin() * x[2 * r + 1]).collect();
        let params: Vec<SvrParams> =
            costs.iter().map(|&c| SvrParams { kernel: Kernel::Rbf { gamma: 0.7 }, c, epsilon: 0.02 }).collect();
        let path = fit_svr_path(rows, &z, &params, &options, &mut quiet()).unwrap();
        let (mut reused, mut fresh) = (0, 0);
        for (p, params) in path.iter().zip(&params) {
            let alone = fit_svr(rows, &z, params, &options, &mut quiet()).unwrap();
            assert!(same_bits(p, &alone), "ε-SVR C = {}", params.c);
            reused += p.kernel_values;
            fresh += alone.kernel_values;
        }
        // Rows of K computed for one cost serve the next (how many a fit needs depends on how its
        // gradient is rebuilt, which depends on the threads; the bits do not).
        assert!(reused < fresh, "the path computed {reused} kernel values, the fits alone {fresh}");
        assert!(path.iter().skip(1).all(|p| p.kernel_values < path[0].kernel_values), "{path:?}");

        // One kernel per path.
        let mixed = [SvcParams::new(kernel, 1.0), SvcParams::new(Kernel::Linear, 1.0)];
        assert_eq!(fit_svc_path(rows, &positive, &mixed, &options, &mut quiet()).unwrap_err(), SmoError::MixedKernels);
    }

    #[test]
    fn every_kernel_gives_the_same_bits_in_the_cache_and_in_value() {
        // Three features: a pair and a single one in the accumulation.
        let x: Vec<f64> = uniform(13, 450).iter().map(|v| 4.0 * v - 2.0).collect();
        let rows = Rows::new(&x, 150, 3).unwrap();
        for kernel in [
            Kernel::Linear,
            Kernel::Rbf { gamma: 0.8 },
            Kernel::Poly { gamma: 0.5, coef0: 1.0, degree: 3 },
            Kernel::Sigmoid { gamma: 0.3, coef0: -0.2 },
        ] {
            let data = KernelData::new(rows, kernel);
            let mut column = vec![0.0; 150];
            data.fill(17, 0, &mut column, None);
            for (t, &v) in column.iter().enumerate() {
                let exact = kernel.value(rows.row(17).unwrap_or_default(), rows.row(t).unwrap_or_default());
                assert_eq!(data.value(17, t).to_bits(), exact.to_bits(), "{kernel:?} {t}");
                #[allow(clippy::cast_possible_truncation)]
                let stored = exact as Qfloat;
                assert_eq!(v.to_bits(), stored.to_bits(), "{kernel:?} {t}");
            }
        }
    }

    #[test]
    fn cancel_and_the_iteration_cap() {
        let n = 300;
        let (x, positive) = xor(n, 19);
        let rows = Rows::new(&x, n, 2).unwrap();
        let params = SvcParams::new(Kernel::Rbf { gamma: 1.0 }, 10.0);
        let options = SolverOptions { progress_every: 10, ..SolverOptions::default() };
        let mut seen = Vec::new();
        let result = fit_svc(rows, &positive, &params, &options, &mut |st: &SolverStatus| {
            seen.push(st.iterations);
            st.iterations < 20
        });
        assert!(matches!(result, Err(SmoError::Cancelled { iterations: 20 })), "{result:?}");
        // Every 10 iterations; a slow machine may add calls at the 100 ms interval.
        assert!([0, 10, 20].iter().all(|i| seen.contains(i)) && seen.last() == Some(&20), "{seen:?}");
        let capped = SolverOptions { max_iterations: Some(5), ..SolverOptions::default() };
        let s = fit_svc(rows, &positive, &params, &capped, &mut quiet()).unwrap();
        assert_eq!((s.stop, s.iterations), (StopReason::IterationLimit, 5));
        assert!(s.gap > 1e-3);
        let linear = LinearSvcParams { max_epochs: 1000, ..LinearSvcParams::default() };
        let result = fit_linear_svc(rows, &positive, &linear, &mut |_| false);
        assert!(matches!(result, Err(SmoError::Cancelled { iterations: 0 })), "{result:?}");
    }

    #[test]
    fn bad_input_is_an_error_not_a_panic() {
        let x = [0.0, 1.0, 2.0, 3.0];
        assert_eq!(Rows::new(&[], 0, 2).err(), Some(SmoError::Empty));
        assert_eq!(Rows::new(&x, 2, 0).err(), Some(SmoError::Empty));
        assert!(matches!(Rows::new(&x, 3, 2), Err(SmoError::Shape { .. })));
        assert_eq!(
            Rows::new(&[0.0, f64::NAN, 1.0, 2.0], 2, 2).err(),
            Some(SmoError::NonFiniteValue { row: 0, col: 1 })
        );
        let rows = Rows::new(&x, 2, 2).unwrap();
        assert_eq!(rows.row(2), None);
        let opts = SolverOptions::default();
        let params = SvcParams::new(Kernel::Linear, 1.0);
        assert_eq!(fit_svc(rows, &[true, true], &params, &opts, &mut quiet()).err(), Some(SmoError::OneClass));
        assert!(matches!(fit_svc(rows, &[true], &params, &opts, &mut quiet()), Err(SmoError::LabelCount { .. })));
        let bad_c = SvcParams::new(Kernel::Linear, 0.0);
        assert!(matches!(
            fit_svc(rows, &[true, false], &bad_c, &opts, &mut quiet()),
            Err(SmoError::InvalidParameter { name: "c", .. })
        ));
        let bad_gamma = SvcParams::new(Kernel::Rbf { gamma: f64::NAN }, 1.0);
        assert!(matches!(
            fit_svc(rows, &[true, false], &bad_gamma, &opts, &mut quiet()),
            Err(SmoError::InvalidParameter { name: "gamma", .. })
        ));
        let bad_tol = SolverOptions { tol: 0.0, ..SolverOptions::default() };
        assert!(matches!(
            fit_svc(rows, &[true, false], &params, &bad_tol, &mut quiet()),
            Err(SmoError::InvalidParameter { name: "tol", .. })
        ));
        let svr = SvrParams { kernel: Kernel::Linear, c: 1.0, epsilon: 0.1 };
        assert_eq!(
            fit_svr(rows, &[1.0, f64::INFINITY], &svr, &opts, &mut quiet()).err(),
            Some(SmoError::NonFiniteTarget { row: 1 })
        );
        let huge = [1e200, 1e200, -1e200, 1e200];
        let huge_rows = Rows::new(&huge, 2, 2).unwrap();
        let poly = SvcParams::new(Kernel::Poly { gamma: 1.0, coef0: 0.0, degree: 3 }, 1.0);
        assert_eq!(
            fit_svc(huge_rows, &[true, false], &poly, &opts, &mut quiet()).err(),
            Some(SmoError::NonFiniteKernel)
        );
        assert!(!SmoError::OneClass.to_string().is_empty());
        // Degenerate but valid: two rows, identical rows with opposite labels (a_ij = 0), a tube
        // wide enough for no support vector, and no iterations at all.
        let s = fit_svc(rows, &[true, false], &params, &opts, &mut quiet()).unwrap();
        assert_eq!(s.support, [0, 1]);
        let same = [1.0, 2.0, 1.0, 2.0, 1.0, 2.0];
        let same_rows = Rows::new(&same, 3, 2).unwrap();
        let rbf = SvcParams::new(Kernel::Rbf { gamma: 1.0 }, 2.0);
        let s = fit_svc(same_rows, &[true, false, true], &rbf, &opts, &mut quiet()).unwrap();
        assert_eq!(s.stop, StopReason::Converged);
        assert!(s.decision(&rbf.kernel, same_rows, &same[..2]).is_finite());
        let wide = SvrParams { kernel: Kernel::Linear, c: 1.0, epsilon: 100.0 };
        let s = fit_svr(rows, &[1.0, 2.0], &wide, &opts, &mut quiet()).unwrap();
        assert!(s.support.is_empty() && (-99.0..=101.0).contains(&s.bias), "{s:?}");
        let none = SolverOptions { max_iterations: Some(0), ..SolverOptions::default() };
        let s = fit_svc(rows, &[true, false], &params, &none, &mut quiet()).unwrap();
        assert_eq!((s.stop, s.iterations, s.support.len()), (StopReason::IterationLimit, 0, 0));
        // A single row is a valid regression problem.
        let one = Rows::new(&x[..2], 1, 2).unwrap();
        let s = fit_svr(one, &[3.0], &svr, &opts, &mut quiet()).unwrap();
        assert!((s.decision(&svr.kernel, one, &x[..2]) - 3.0).abs() <= 0.1 + 1e-3);
    }

    /// Primal objective of a linear classifier (bias regularised through its feature).
    fn linear_primal(s: &LinearSolution, x: Rows<'_>, positive: &[bool], p: &LinearSvcParams) -> f64 {
        let feature = p.bias_feature.unwrap_or(0.0);
        let wb = if feature == 0.0 { 0.0 } else { s.bias / feature };
        let ww = s.weights.iter().fold(wb * wb, |a, w| a + w * w);
        let loss: f64 = (0..x.n_rows())
            .map(|r| {
                let y = if positive[r] { 1.0 } else { -1.0 };
                let slack = (1.0 - y * s.decision(x.row(r).unwrap_or_default())).max(0.0);
                p.c * if p.loss == LinearLoss::Hinge { slack } else { slack * slack }
            })
            .sum();
        0.5 * ww + loss
    }

    #[test]
    fn dual_coordinate_descent_closes_the_duality_gap() {
        let n = 500;
        let (x, positive) = xor(n, 23);
        // Make it linearly learnable: the label follows x₀ + 0.5 x₁ with some overlap.
        let positive: Vec<bool> =
            (0..n).map(|r| x[2 * r] + 0.5 * x[2 * r + 1] + if positive[r] { 0.3 } else { -0.3 } > 0.0).collect();
        let rows = Rows::new(&x, n, 2).unwrap();
        for loss in [LinearLoss::Hinge, LinearLoss::SquaredHinge] {
            let p = LinearSvcParams { loss, c: 2.0, tol: 1e-6, max_epochs: 100_000, ..LinearSvcParams::default() };
            let s = fit_linear_svc(rows, &positive, &p, &mut quiet()).unwrap();
            assert_eq!(s.stop, StopReason::Converged, "{loss:?}");
            let primal = linear_primal(&s, rows, &positive, &p);
            // The dual objective is stored as a minimum, so primal + objective is the gap.
            let gap = primal + s.objective;
            assert!((-1e-9..=1e-4 * primal).contains(&gap), "{loss:?}: primal {primal}, gap {gap}");
            let again = fit_linear_svc(rows, &positive, &p, &mut quiet()).unwrap();
            assert_eq!(s, again, "same seed, same solution");
            let other = LinearSvcParams { seed: 99, ..p.clone() };
            let reseeded = fit_linear_svc(rows, &positive, &other, &mut quiet()).unwrap();
            for r in 0..n {
                let row = rows.row(r).unwrap_or_default();
                assert!((s.decision(row) - reseeded.decision(row)).abs() < 1e-2, "{loss:?} row {r}");
            }
        }
        let no_bias = LinearSvcParams { bias_feature: None, ..LinearSvcParams::default() };
        let s = fit_linear_svc(rows, &positive, &no_bias, &mut quiet()).unwrap();
        assert_eq!(s.bias, 0.0);
    }
}
