//! Support vector machines: fitted by the exact solvers of [`smo`] (libsvm's SMO for
//! kernel machines, liblinear's dual coordinate descent for the linear kernel), kept as
//! [`BinarySvm`]: support vectors, their weights and the bias, with the decision function
//! `b + Σ wᵢ K(x, svᵢ)`.
//!
//! What each setting means, as in scikit-learn: a kernel classifier solves `SVC`'s problem
//! (libsvm; `C`, `gamma`, `degree`, `coef0`, `tol` alike), a regressor `SVR`'s (`epsilon` too);
//! a linear classifier solves `LinearSVC(loss="hinge")`'s (liblinear: the bias is regularised
//! like a weight, through a constant feature of value 1), which reaches the same decisions as a
//! linear-kernel `SVC` up to that bias term and is far faster on many rows.
//!
//! Classifiers get probabilities as libsvm gives them: Platt scaling (Platt 1999, with the
//! Newton method of Lin, Lin & Weng 2007, "A note on Platt's probabilistic outputs for support
//! vector machines") fitted on decision values from an internal 5-fold cross-validation, and
//! for more than two classes one-vs-one machines whose pairwise probabilities are coupled by
//! Wu, Lin & Weng 2004 ("Probability estimates for multi-class classification by pairwise
//! coupling", method 2).

// The pairwise coupling works on k×k matrices over 0..k; when fitting, row indices run below
// x.n_rows(), the length of the labels and of the fold splits made from it. Class indices of a
// model's machines are read with `get` in `probabilities`.
#![allow(clippy::indexing_slicing)]

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::smo::{self, Rows, SmoError, SolverOptions, SolverStatus};
use super::svm_eval::{self, ColumnCache};
use crate::data::split::k_folds;
use crate::error::{Error, Result};
use crate::matrix::Matrix;
use crate::progress::Progress;

/// Kernel families.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum KernelKind {
    /// `x · y`.
    Linear,
    /// `exp(−γ ‖x − y‖²)`.
    #[default]
    Rbf,
    /// `(γ x · y + coef0)^degree`.
    Poly,
    /// `tanh(γ x · y + coef0)`.
    Sigmoid,
}

impl KernelKind {
    /// Every kernel, for menus.
    pub const ALL: [Self; 4] = [Self::Rbf, Self::Linear, Self::Poly, Self::Sigmoid];

    /// The name on screen and on the command line.
    pub fn label(self) -> &'static str {
        match self {
            Self::Linear => "linear",
            Self::Rbf => "rbf",
            Self::Poly => "poly",
            Self::Sigmoid => "sigmoid",
        }
    }
}

/// The kernel width: `scale` as scikit-learn defines it, or a number.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Gamma {
    /// `1 / (n_features · Var(X))` over the encoded training matrix.
    #[default]
    Scale,
    /// A fixed value.
    Value(f64),
}

/// Settings of an SVM.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SvmParams {
    /// Kernel family.
    pub kernel: KernelKind,
    /// Regularisation: larger C fits the training rows more closely.
    pub c: f64,
    /// Kernel width (RBF, polynomial, sigmoid).
    pub gamma: Gamma,
    /// Polynomial degree.
    pub degree: u32,
    /// Constant term of the polynomial and sigmoid kernels.
    pub coef0: f64,
    /// Width of the no-penalty tube of a regression SVM.
    pub epsilon: f64,
    /// Stopping tolerance of the solver.
    pub tol: f64,
    /// Most training rows used; a larger training part is subsampled (stratified). `0`, the
    /// default, uses every training row.
    pub max_train_rows: usize,
    /// Bytes the solver may keep of kernel columns (libsvm's cache, 200 MB by default).
    pub cache_mb: usize,
}

impl Default for SvmParams {
    fn default() -> Self {
        Self {
            kernel: KernelKind::Rbf,
            c: 1.0,
            gamma: Gamma::Scale,
            degree: 3,
            coef0: 0.0,
            epsilon: 0.1,
            tol: 1e-3,
            max_train_rows: 0,
            cache_mb: 200,
        }
    }
}

/// A kernel with its numbers fixed.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct KernelFn {
    /// Family.
    pub kind: KernelKind,
    /// γ.
    pub gamma: f64,
    /// Polynomial degree.
    pub degree: f64,
    /// Constant term.
    pub coef0: f64,
}

impl KernelFn {
    /// `K(a, b)`.
    #[inline]
    pub fn apply(&self, a: &[f64], b: &[f64]) -> f64 {
        match self.kind {
            KernelKind::Linear => dot(a, b),
            KernelKind::Rbf => {
                let d2: f64 = a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum();
                (-self.gamma * d2).exp()
            }
            KernelKind::Poly => (self.gamma * dot(a, b) + self.coef0).powf(self.degree),
            KernelKind::Sigmoid => (self.gamma * dot(a, b) + self.coef0).tanh(),
        }
    }

    /// The solver's kernel.
    fn solver(&self) -> smo::Kernel {
        match self.kind {
            KernelKind::Linear => smo::Kernel::Linear,
            KernelKind::Rbf => smo::Kernel::Rbf { gamma: self.gamma },
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // a small whole degree
            KernelKind::Poly => {
                smo::Kernel::Poly { gamma: self.gamma, coef0: self.coef0, degree: self.degree.max(0.0) as u32 }
            }
            KernelKind::Sigmoid => smo::Kernel::Sigmoid { gamma: self.gamma, coef0: self.coef0 },
        }
    }

    /// The kernel for `params` on the encoded training matrix `x`.
    pub fn from_params(params: &SvmParams, x: &Matrix) -> Self {
        let gamma = match params.gamma {
            Gamma::Value(g) => g,
            Gamma::Scale => {
                let v = x.as_slice();
                let n = v.len().max(1) as f64;
                let mean = v.iter().sum::<f64>() / n;
                let var = v.iter().map(|a| (a - mean) * (a - mean)).sum::<f64>() / n;
                if var > 0.0 { 1.0 / (x.n_cols().max(1) as f64 * var) } else { 1.0 }
            }
        };
        Self { kind: params.kernel, gamma, degree: f64::from(params.degree), coef0: params.coef0 }
    }
}

#[inline]
fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// One fitted two-class (or regression) machine: `f(x) = bias + Σ coef_i K(x, sv_i)`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BinarySvm {
    /// Support vectors (encoded space).
    pub support: Matrix,
    /// Weight of each support vector.
    pub coef: Vec<f64>,
    /// Bias.
    pub bias: f64,
    /// For a linear kernel, `Σ coef_i sv_i`, so the decision is one dot product.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub linear_weights: Option<Vec<f64>>,
    /// The support vectors feature by feature, for the vectorised decision function.
    #[serde(skip)]
    columns: ColumnCache,
}

impl BinarySvm {
    fn new(support: Matrix, coef: Vec<f64>, bias: f64, kernel: &KernelFn) -> Self {
        let linear_weights = (kernel.kind == KernelKind::Linear).then(|| {
            let mut w = vec![0.0; support.n_cols()];
            for (i, c) in coef.iter().enumerate() {
                for (wj, s) in w.iter_mut().zip(support.row(i)) {
                    *wj += c * s;
                }
            }
            w
        });
        Self { support, coef, bias, linear_weights, columns: ColumnCache::default() }
    }

    /// The decision value of one encoded row.
    #[inline]
    pub fn decision(&self, kernel: &KernelFn, x: &[f64]) -> f64 {
        if let Some(w) = &self.linear_weights {
            return self.bias + dot(w, x);
        }
        svm_eval::decision(kernel, self.columns.get(&self.support), &self.coef, self.bias, x)
    }
}

/// Platt's sigmoid `P(positive | f) = 1 / (1 + exp(a·f + b))`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Platt {
    /// Slope (negative when larger decision values mean "positive").
    pub a: f64,
    /// Offset.
    pub b: f64,
}

impl Platt {
    /// The probability of the positive class for decision value `f`, computed stably.
    pub fn probability(&self, f: f64) -> f64 {
        let z = self.a * f + self.b;
        if z >= 0.0 { (-z).exp() / (1.0 + (-z).exp()) } else { 1.0 / (1.0 + z.exp()) }
    }

    /// Fits the sigmoid to decision values and labels (Lin, Lin & Weng 2007, Algorithm 1, as
    /// libsvm's `sigmoid_train`), with Platt's smoothed targets.
    pub fn fit(decision: &[f64], positive: &[bool]) -> Self {
        let prior1 = positive.iter().filter(|&&p| p).count() as f64;
        let prior0 = positive.len() as f64 - prior1;
        let (hi, lo) = ((prior1 + 1.0) / (prior1 + 2.0), 1.0 / (prior0 + 2.0));
        let t: Vec<f64> = positive.iter().map(|&p| if p { hi } else { lo }).collect();
        let (max_iter, min_step, sigma, eps) = (100, 1e-10, 1e-12, 1e-5);
        let mut a = 0.0;
        let mut b = ((prior0 + 1.0) / (prior1 + 1.0)).ln();
        let objective = |a: f64, b: f64| -> f64 {
            decision
                .iter()
                .zip(&t)
                .map(|(&f, &ti)| {
                    let z = f * a + b;
                    if z >= 0.0 { ti * z + (1.0 + (-z).exp()).ln() } else { (ti - 1.0) * z + (1.0 + z.exp()).ln() }
                })
                .sum()
        };
        let mut fval = objective(a, b);
        for _ in 0..max_iter {
            let (mut h11, mut h22, mut h21, mut g1, mut g2) = (sigma, sigma, 0.0, 0.0, 0.0);
            for (&f, &ti) in decision.iter().zip(&t) {
                let z = f * a + b;
                let (p, q) = if z >= 0.0 {
                    ((-z).exp() / (1.0 + (-z).exp()), 1.0 / (1.0 + (-z).exp()))
                } else {
                    (1.0 / (1.0 + z.exp()), z.exp() / (1.0 + z.exp()))
                };
                let d2 = p * q;
                h11 += f * f * d2;
                h22 += d2;
                h21 += f * d2;
                let d1 = ti - p;
                g1 += f * d1;
                g2 += d1;
            }
            if g1.abs() < eps && g2.abs() < eps {
                break;
            }
            let det = h11 * h22 - h21 * h21;
            let da = -(h22 * g1 - h21 * g2) / det;
            let db = -(-h21 * g1 + h11 * g2) / det;
            let gd = g1 * da + g2 * db;
            let mut step = 1.0;
            while step >= min_step {
                let (na, nb) = (a + step * da, b + step * db);
                let nf = objective(na, nb);
                if nf < fval + 1e-4 * step * gd {
                    a = na;
                    b = nb;
                    fval = nf;
                    break;
                }
                step /= 2.0;
            }
            if step < min_step {
                break;
            }
        }
        Self { a, b }
    }
}

/// One one-vs-one machine of a classifier: positive decision means class `second`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PairMachine {
    /// The class a negative decision votes for.
    pub first: usize,
    /// The class a positive decision votes for.
    pub second: usize,
    /// The machine.
    pub svm: BinarySvm,
    /// Its probability calibration.
    pub platt: Platt,
}

/// A fitted SVM classifier (one machine for two classes, one per pair for more).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SvcModel {
    /// The kernel.
    pub kernel: KernelFn,
    /// Number of classes.
    pub n_classes: usize,
    /// The one-vs-one machines.
    pub machines: Vec<PairMachine>,
}

impl SvcModel {
    /// The binary decision value (positive favours class 1), or the first pair's for more classes.
    pub fn decision(&self, x: &[f64]) -> f64 {
        self.machines.first().map_or(0.0, |m| m.svm.decision(&self.kernel, x))
    }

    /// Class probabilities of one encoded row.
    pub fn probabilities(&self, x: &[f64]) -> Vec<f64> {
        let k = self.n_classes;
        if k == 2 {
            let p1 = self.machines.first().map_or(0.5, |m| m.platt.probability(m.svm.decision(&self.kernel, x)));
            return vec![1.0 - p1, p1];
        }
        // r[i][j] = P(class i | i or j).
        let mut r = vec![vec![0.0; k]; k];
        for m in &self.machines {
            let p_second = m.platt.probability(m.svm.decision(&self.kernel, x)).clamp(1e-7, 1.0 - 1e-7);
            // Class indices come from the model, which may have been read from a file.
            if let Some(v) = r.get_mut(m.second).and_then(|row| row.get_mut(m.first)) {
                *v = p_second;
            }
            if let Some(v) = r.get_mut(m.first).and_then(|row| row.get_mut(m.second)) {
                *v = 1.0 - p_second;
            }
        }
        couple(&r)
    }

    /// The predicted class of one encoded row: the most probable (ties to the lower index).
    pub fn predict(&self, x: &[f64]) -> usize {
        argmax(&self.probabilities(x))
    }
}

/// Index of the largest value (the first one on ties).
pub fn argmax(v: &[f64]) -> usize {
    v.iter().enumerate().fold((0, f64::NEG_INFINITY), |best, (i, &x)| if x > best.1 { (i, x) } else { best }).0
}

/// Pairwise coupling (Wu, Lin & Weng 2004, method 2; libsvm's `multiclass_probability`).
fn couple(r: &[Vec<f64>]) -> Vec<f64> {
    let k = r.len();
    let mut q = vec![vec![0.0; k]; k];
    for t in 0..k {
        for j in 0..k {
            if j != t {
                q[t][t] += r[j][t] * r[j][t];
                q[t][j] = -r[j][t] * r[t][j];
            }
        }
    }
    let mut p = vec![1.0 / k as f64; k];
    let mut qp = vec![0.0; k];
    let eps = 0.005 / k as f64;
    for _ in 0..100.max(k) {
        let mut pqp = 0.0;
        for t in 0..k {
            qp[t] = (0..k).map(|j| q[t][j] * p[j]).sum();
            pqp += p[t] * qp[t];
        }
        if qp.iter().all(|&v| (v - pqp).abs() < eps) {
            break;
        }
        for t in 0..k {
            let diff = (-qp[t] + pqp) / q[t][t];
            p[t] += diff;
            pqp = (pqp + diff * (diff * q[t][t] + 2.0 * qp[t])) / (1.0 + diff) / (1.0 + diff);
            for j in 0..k {
                qp[j] = (qp[j] + diff * q[t][j]) / (1.0 + diff);
                p[j] /= 1.0 + diff;
            }
        }
    }
    p
}

/// A fitted regression SVM.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SvrModel {
    /// The kernel.
    pub kernel: KernelFn,
    /// The machine.
    pub svm: BinarySvm,
}

impl SvrModel {
    /// The predicted value of one encoded row.
    pub fn predict(&self, x: &[f64]) -> f64 {
        self.svm.decision(&self.kernel, x)
    }
}

/// The error of a path that returned no machine for its one cost (it cannot happen).
fn no_machine() -> Error {
    Error::invalid("the SVM solver returned no machine")
}

/// The engine's error for a solver's.
fn solver_error(e: SmoError) -> Error {
    match e {
        SmoError::Cancelled { .. } => Error::Cancelled,
        other => Error::invalid(format!("the SVM could not be fitted: {other}")),
    }
}

/// The solver's progress callback: answers a cancel within one report (every 1,000 iterations
/// or 100 ms) and, when `report` is set, shows the iterations and the optimality gap, with a
/// fraction from how far the gap has come down towards `tol` on a log scale.
fn reporter(progress: &Progress, tol: f64, report: bool) -> impl FnMut(&SolverStatus) -> bool + Send + '_ {
    let mut first = None;
    let mut best = 0.0f64;
    move |s: &SolverStatus| {
        if progress.is_cancelled() {
            return false;
        }
        if report && s.gap.is_finite() && s.gap > 0.0 {
            let g0 = *first.get_or_insert(s.gap.max(tol * 10.0));
            let f = ((g0 / s.gap).ln() / (g0 / tol).ln()).clamp(0.0, 0.99);
            best = best.max(f);
            progress.set(best);
            progress
                .set_stage(format!("iteration {}, optimality gap {:.1e} (stops at {tol:.0e})", s.iterations, s.gap));
        }
        true
    }
}

/// The rows as the solver reads them.
fn rows(x: &Matrix) -> Result<Rows<'_>> {
    Rows::new(x.as_slice(), x.n_rows(), x.n_cols()).map_err(solver_error)
}

/// Fits one two-class machine on rows `x` with labels `positive` (true = the second class):
/// SMO for a kernel, dual coordinate descent for the linear kernel.
///
/// # Errors
/// When the rows hold only one class or a value that is not a finite number, or the job is
/// cancelled.
pub fn fit_binary(
    x: &Matrix,
    positive: &[bool],
    params: &SvmParams,
    kernel: &KernelFn,
    progress: &Progress,
    report: bool,
) -> Result<BinarySvm> {
    fit_binary_path(x, positive, params, &[params.c], kernel, progress, report)?.pop().ok_or_else(no_machine)
}

/// Fits the machines of several costs `costs` (every other setting from `params`) on the same
/// rows, one after the other: kernel machines share their kernel columns
/// ([`smo::fit_svc_path`]), so a grid over C costs little more than its largest fit.
///
/// # Errors
/// As [`fit_binary`].
pub fn fit_binary_path(
    x: &Matrix,
    positive: &[bool],
    params: &SvmParams,
    costs: &[f64],
    kernel: &KernelFn,
    progress: &Progress,
    report: bool,
) -> Result<Vec<BinarySvm>> {
    if !positive.iter().any(|&p| p) || positive.iter().all(|&p| p) {
        return Err(Error::invalid("an SVM needs rows of both classes to train on"));
    }
    let data = rows(x)?;
    let mut callback = reporter(progress, params.tol, report);
    if kernel.kind == KernelKind::Linear {
        return costs
            .iter()
            .map(|&c| {
                let p =
                    smo::LinearSvcParams { c, loss: smo::LinearLoss::Hinge, tol: params.tol.min(1e-4), ..smo::LinearSvcParams::default() };
                let sol = smo::fit_linear_svc(data, positive, &p, &mut callback).map_err(solver_error)?;
                if sol.stop == smo::StopReason::IterationLimit {
                    progress.note(format!(
                        "the linear SVM stopped after {} passes over the rows before its optimality gap reached {:.0e} \
                         (it was {:.1e}); its decisions are usable but not optimal to that tolerance, as liblinear warns",
                        sol.epochs, p.tol, sol.gap
                    ));
                }
                let w = Matrix::from_rows(std::slice::from_ref(&sol.weights), x.n_cols())?;
                Ok(BinarySvm::new(w, vec![1.0], sol.bias, kernel))
            })
            .collect();
    }
    let per_cost: Vec<smo::SvcParams> = costs.iter().map(|&c| smo::SvcParams::new(kernel.solver(), c)).collect();
    let solutions =
        smo::fit_svc_path(data, positive, &per_cost, &options(params), &mut callback).map_err(solver_error)?;
    Ok(solutions
        .into_iter()
        .map(|sol| {
            note_iteration_limit(&sol, params.tol, progress);
            BinarySvm::new(x.select_rows(&sol.support), sol.dual_coef, sol.bias, kernel)
        })
        .collect())
}

/// `params` for one of `fits` fits that run at the same time: the kernel cache is shared out
/// between those that run at once (at least 16 MB each), so parallel fits never hold more than
/// the setting in all.
pub fn sharing_memory(params: &SvmParams, fits: usize) -> SvmParams {
    let at_once = fits.min(rayon::current_num_threads()).max(1);
    SvmParams { cache_mb: (params.cache_mb / at_once).max(16), ..params.clone() }
}

/// Says so when SMO stopped at its iteration cap before the tolerance, as libsvm warns.
fn note_iteration_limit(sol: &smo::SvmSolution, tol: f64, progress: &Progress) {
    if sol.stop == smo::StopReason::IterationLimit {
        progress.note(format!(
            "the SVM solver stopped after {} iterations before its optimality gap reached {tol:.0e} (it was {:.1e}); \
             its decisions are usable but not optimal to that tolerance, as libsvm warns",
            sol.iterations, sol.gap
        ));
    }
}

/// The solver settings of `params`.
fn options(params: &SvmParams) -> SolverOptions {
    SolverOptions { tol: params.tol, cache_bytes: params.cache_mb.max(1) << 20, ..SolverOptions::default() }
}

/// The held-out rows of one calibration fold with the decision value of each.
type FoldDecisions = Vec<(usize, f64)>;

/// Fits a two-class machine and its Platt calibration on decision values from an internal
/// 5-fold cross-validation (fewer folds for tiny data), as libsvm does, for each cost of
/// `costs` (every fold fits the costs as one path).
fn fit_calibrated_path(
    x: &Matrix,
    positive: &[bool],
    params: &SvmParams,
    costs: &[f64],
    kernel: &KernelFn,
    seed: u64,
    progress: &Progress,
) -> Result<Vec<(BinarySvm, Platt)>> {
    // The machine itself reports; the calibration folds (in parallel) only answer a cancel.
    let svms = fit_binary_path(x, positive, params, costs, kernel, &progress.sub(0.0, 0.5), true)?;
    progress.set_stage("calibrating probabilities (5 internal folds)");
    let classes: Vec<usize> = positive.iter().map(|&p| usize::from(p)).collect();
    let minority = classes.iter().filter(|&&c| c == 1).count().min(classes.iter().filter(|&&c| c == 0).count());
    let folds = 5.min(minority).min(x.n_rows() / 2);
    // Decision values by cost, then by row.
    let mut dec = vec![vec![0.0; x.n_rows()]; svms.len()];
    if folds >= 2 {
        let folds = k_folds(x.n_rows(), folds, Some(&classes), seed)?;
        let fold_params = sharing_memory(params, folds.len());
        let per_fold: Vec<Result<Vec<FoldDecisions>>> = folds
            .par_iter()
            .map(|split| {
                let xt = x.select_rows(&split.train);
                let yt: Vec<bool> = split.train.iter().map(|&i| positive[i]).collect();
                let machines = fit_binary_path(&xt, &yt, &fold_params, costs, kernel, &progress.muted(), false)?;
                Ok(machines
                    .iter()
                    .map(|m| split.test.iter().map(|&i| (i, m.decision(kernel, x.row(i)))).collect())
                    .collect())
            })
            .collect();
        for fold in per_fold {
            for (dec, values) in dec.iter_mut().zip(fold?) {
                for (i, d) in values {
                    if let Some(slot) = dec.get_mut(i) {
                        *slot = d;
                    }
                }
            }
        }
    } else {
        for (dec, svm) in dec.iter_mut().zip(&svms) {
            for (i, d) in dec.iter_mut().enumerate() {
                *d = svm.decision(kernel, x.row(i));
            }
        }
    }
    Ok(svms.into_iter().zip(dec).map(|(svm, dec)| (svm, Platt::fit(&dec, positive))).collect())
}

/// Fits a classifier on encoded rows `x` with classes `y` in `0..n_classes`.
///
/// # Errors
/// When a class pair cannot be fitted or the job is cancelled.
pub fn fit_classifier(
    x: &Matrix,
    y: &[usize],
    n_classes: usize,
    params: &SvmParams,
    seed: u64,
    progress: &Progress,
) -> Result<SvcModel> {
    fit_classifier_path(x, y, n_classes, params, &[params.c], seed, progress)?.pop().ok_or_else(no_machine)
}

/// Fits a classifier for each cost of `costs` (every other setting from `params`), sharing the
/// kernel columns of each pair of classes between the costs (see [`fit_binary_path`]).
///
/// # Errors
/// As [`fit_classifier`].
pub fn fit_classifier_path(
    x: &Matrix,
    y: &[usize],
    n_classes: usize,
    params: &SvmParams,
    costs: &[f64],
    seed: u64,
    progress: &Progress,
) -> Result<Vec<SvcModel>> {
    let kernel = KernelFn::from_params(params, x);
    let pairs: Vec<(usize, usize)> = (0..n_classes).flat_map(|i| (i + 1..n_classes).map(move |j| (i, j))).collect();
    let mut machines = vec![Vec::with_capacity(pairs.len()); costs.len()];
    for (done, &(i, j)) in pairs.iter().enumerate() {
        progress.check()?;
        let rows: Vec<usize> = (0..x.n_rows()).filter(|&r| y[r] == i || y[r] == j).collect();
        let xs = x.select_rows(&rows);
        let positive: Vec<bool> = rows.iter().map(|&r| y[r] == j).collect();
        let part = progress.sub(done as f64 / pairs.len() as f64, (done + 1) as f64 / pairs.len() as f64);
        let fitted = fit_calibrated_path(&xs, &positive, params, costs, &kernel, seed, &part)
            .map_err(|e| Error::invalid(format!("classes {i} and {j}: {e}")))?;
        for (machines, (svm, platt)) in machines.iter_mut().zip(fitted) {
            machines.push(PairMachine { first: i, second: j, svm, platt });
        }
        progress.set_count(done + 1, pairs.len());
    }
    Ok(machines.into_iter().map(|machines| SvcModel { kernel, n_classes, machines }).collect())
}

/// Fits a regression SVM (ε-SVR) on encoded rows `x` with values `y`.
///
/// # Errors
/// When a value is not a finite number, or the job is cancelled.
pub fn fit_regressor(x: &Matrix, y: &[f64], params: &SvmParams, progress: &Progress) -> Result<SvrModel> {
    fit_regressor_path(x, y, params, &[params.c], progress)?.pop().ok_or_else(no_machine)
}

/// Fits a regression SVM for each cost of `costs` (every other setting from `params`), sharing
/// the kernel's rows between them; each is bit for bit the machine [`fit_regressor`] gives.
///
/// # Errors
/// As [`fit_regressor`].
pub fn fit_regressor_path(
    x: &Matrix,
    y: &[f64],
    params: &SvmParams,
    costs: &[f64],
    progress: &Progress,
) -> Result<Vec<SvrModel>> {
    let kernel = KernelFn::from_params(params, x);
    let per_cost: Vec<smo::SvrParams> =
        costs.iter().map(|&c| smo::SvrParams { kernel: kernel.solver(), c, epsilon: params.epsilon }).collect();
    let mut callback = reporter(progress, params.tol, true);
    let solutions = smo::fit_svr_path(rows(x)?, y, &per_cost, &options(params), &mut callback).map_err(solver_error)?;
    Ok(solutions
        .into_iter()
        .map(|sol| {
            note_iteration_limit(&sol, params.tol, progress);
            SvrModel { kernel, svm: BinarySvm::new(x.select_rows(&sol.support), sol.dual_coef, sol.bias, &kernel) }
        })
        .collect())
}

/// Rough fit time in seconds on a two-core workstation (release build), from the solver's
/// measured times on the 8-feature plant benchmark (0.3 s at 8,000 rows, 25 s at 80,000: time
/// grows about as rows^1.9), scaled by the square root of the width, for each pair of classes,
/// with the five calibration fits of a classifier (each on four fifths of the rows, two at a
/// time).
pub fn estimate_fit_secs(n_rows: usize, n_cols: usize, n_pairs: usize, calibrated: bool) -> f64 {
    let base = 0.3 * (n_rows as f64 / 8000.0).powf(1.9) * (n_cols.max(1) as f64 / 8.0).sqrt();
    let per_pair = if calibrated { base * (1.0 + 5.0 * 0.8f64.powf(1.9) / 2.0) } else { base };
    per_pair * n_pairs.max(1) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn two_moons(n: usize) -> (Matrix, Vec<bool>) {
        let mut rows = Vec::new();
        let mut y = Vec::new();
        for i in 0..n {
            let t = i as f64 / n as f64 * std::f64::consts::PI;
            let wobble = ((i * 7919) % 13) as f64 / 13.0 * 0.3;
            if i % 2 == 0 {
                rows.push([t.cos() + wobble, t.sin() - wobble]);
                y.push(false);
            } else {
                rows.push([1.0 - t.cos() - wobble, 0.5 - t.sin() + wobble]);
                y.push(true);
            }
        }
        (Matrix::from_rows(&rows, 2).expect("rows"), y)
    }

    /// Every kernel reproduces the solver's own decision values through [`BinarySvm`].
    #[test]
    fn binary_machine_keeps_the_solution() {
        let (x, y) = two_moons(120);
        for kind in KernelKind::ALL {
            let kernel = KernelFn { kind, gamma: 0.5, degree: 3.0, coef0: 1.0 };
            let params = SvmParams { kernel: kind, ..SvmParams::default() };
            let ours = fit_binary(&x, &y, &params, &kernel, &Progress::new(), false).expect("fits");
            let correct = (0..x.n_rows()).filter(|&i| (ours.decision(&kernel, x.row(i)) > 0.0) == y[i]).count();
            if kind != KernelKind::Sigmoid {
                assert!(correct >= 90, "{kind:?}: {correct} of 120");
            }
            if kind == KernelKind::Linear {
                continue;
            }
            let sol = smo::fit_svc(
                rows(&x).expect("rows"),
                &y,
                &smo::SvcParams::new(kernel.solver(), 1.0),
                &SolverOptions::default(),
                &mut |_: &SolverStatus| true,
            )
            .expect("fits");
            for i in 0..x.n_rows() {
                let want = sol.decision(&kernel.solver(), rows(&x).expect("rows"), x.row(i));
                assert!((ours.decision(&kernel, x.row(i)) - want).abs() < 1e-9, "{kind:?} row {i}");
            }
        }
    }

    #[test]
    fn a_cancelled_fit_stops_with_cancelled() {
        let (x, y) = two_moons(400);
        let progress = Progress::new();
        progress.cancel();
        let kernel = KernelFn { kind: KernelKind::Rbf, gamma: 0.5, degree: 3.0, coef0: 0.0 };
        let r = fit_binary(&x, &y, &SvmParams::default(), &kernel, &progress, true);
        assert!(matches!(r, Err(Error::Cancelled)), "{r:?}");
    }

    #[test]
    fn rbf_classifier_learns_and_is_calibrated() {
        let (x, y) = two_moons(200);
        let classes: Vec<usize> = y.iter().map(|&p| usize::from(p)).collect();
        let params = SvmParams { c: 10.0, ..SvmParams::default() };
        let m = fit_classifier(&x, &classes, 2, &params, 1, &Progress::new()).expect("fits");
        let correct = (0..x.n_rows()).filter(|&i| m.predict(x.row(i)) == classes[i]).count();
        assert!(correct >= 180, "{correct} of 200");
        for i in 0..x.n_rows() {
            let p = m.probabilities(x.row(i));
            assert!((p[0] + p[1] - 1.0).abs() < 1e-12 && p[1] > 0.0 && p[1] < 1.0);
        }
        assert!(m.machines[0].platt.a < 0.0, "larger decision means class 1");
    }

    #[test]
    fn pairwise_coupling_agrees_with_consistent_pairs() {
        // Pairwise probabilities derived from p = (0.5, 0.3, 0.2) are recovered.
        let p = [0.5, 0.3, 0.2];
        let mut r = vec![vec![0.0; 3]; 3];
        for i in 0..3 {
            for j in 0..3 {
                if i != j {
                    r[i][j] = p[i] / (p[i] + p[j]);
                }
            }
        }
        let q = couple(&r);
        for k in 0..3 {
            assert!((q[k] - p[k]).abs() < 1e-3, "{q:?}");
        }
    }

    #[test]
    fn platt_matches_libsvm_behaviour_on_separable_scores() {
        let dec = [-2.0, -1.5, -1.0, -0.5, 0.5, 1.0, 1.5, 2.0, -0.2, 0.2];
        let pos = [false, false, false, false, true, true, true, true, true, false];
        let p = Platt::fit(&dec, &pos);
        assert!(p.a < 0.0);
        assert!(p.probability(2.0) > 0.8 && p.probability(-2.0) < 0.2);
    }

    #[test]
    fn regression_svm_fits_a_line() {
        let rows: Vec<[f64; 1]> = (0..60).map(|i| [f64::from(i) / 30.0 - 1.0]).collect();
        let y: Vec<f64> = rows.iter().map(|r| 2.0 * r[0] + 0.5).collect();
        let x = Matrix::from_rows(&rows, 1).expect("rows");
        let params = SvmParams { kernel: KernelKind::Linear, c: 10.0, epsilon: 0.01, ..SvmParams::default() };
        let m = fit_regressor(&x, &y, &params, &Progress::new()).expect("fits");
        for (i, r) in rows.iter().enumerate() {
            assert!((m.predict(r) - y[i]).abs() < 0.05, "row {i}: {} vs {}", m.predict(r), y[i]);
        }
    }
}
