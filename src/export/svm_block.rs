//! The SVM's own decision function as a Structured Text function block (`glassbox export
//! --from model`), not a surrogate tree: the inputs checked and filled as every block does them
//! ([`pou`](super::pou)), the encoded row (numbers standardised, categories one-hot), each
//! machine's kernel sum over its support vectors (constant arrays), the bias, Platt's sigmoid,
//! and for more than two classes the pairwise coupling of the machines' probabilities that the
//! model itself predicts with (Wu, Lin & Weng 2004, method 2, as libsvm).
//!
//! The block computes in the order the model does, but in the PLC's arithmetic: `REAL` (32 bits)
//! or `LREAL`. [`SvmLogic::eval`] runs the same statements in either precision, so the export
//! measures on every training and held-out row how far the block's outputs lie from the model's,
//! and states a tolerance from that measurement in its header.
//!
//! Only standard ST is used: `FOR` loops over `DINT` indices, one-dimensional constant arrays,
//! `EXP` and `ABS`; `tanh` (sigmoid kernel) is written as `1 − 2 / (EXP(2u) + 1)`, and a
//! polynomial kernel's whole power as repeated products.
//!
//! [`write_in`] writes the block in PLCopen XML and the three vendor formats too (Logix, which has
//! no `EXP`, computes `e^x` as `2.7182817 ** x`, and its check is measured that way:
//! [`ExpForm`]), and with a test bench whose vectors are held-out rows, the edges of every
//! input's range and missing inputs, expecting the model's own outputs within the stated
//! tolerance ([`svm_vectors`](super::vectors::svm_vectors)).

use std::fmt::Write as _;
use std::ops::{Add, Div, Mul, Sub};
use std::sync::atomic::{AtomicUsize, Ordering as AtomicOrdering};

use rayon::prelude::*;
use serde::Serialize;

use super::ident::comment_text;
use super::literal::{RealType, value_literal};
use super::pou::{Constant, Pou, Var, frame, header};
use super::{Companion, ExportOptions, ExportPlan, Exported, Format};
use crate::error::{Error, Result};
use crate::model::pipeline::FeatureKind;
use crate::model::svm::{BinarySvm, KernelFn, KernelKind, Platt};
use crate::model::train::{Evaluation, TrainingReport};
use crate::model::{Estimator, Prediction, Task, TrainedModel};
use crate::progress::Progress;

/// Names the SVM logic declares (kept free of the inputs' identifiers).
const RESERVED: [&str; 30] = [
    "SV",
    "COEF",
    "SV_START",
    "BIAS",
    "PLATT_A",
    "PLATT_B",
    "PAIR_FIRST",
    "PAIR_SECOND",
    "W",
    "enc",
    "score",
    "f",
    "acc",
    "diff",
    "prob",
    "expo",
    "base",
    "pw",
    "m",
    "i",
    "k",
    "t",
    "j",
    "it",
    "settled",
    "pr",
    "qm",
    "pc",
    "qp",
    "pqp",
];
/// Also declared: the coupling step.
const DELTA: &str = "delta";

/// Lower and upper clamp of a machine's probability before coupling, as the model.
const CLAMP: f64 = 1e-7;

/// One machine of the block.
#[derive(Debug, Clone, PartialEq)]
struct Machine {
    first: usize,
    second: usize,
    bias: f64,
    platt: Option<Platt>,
    /// Its support vectors: rows `start..end` of `sv`.
    start: usize,
    end: usize,
}

/// One encoded input.
#[derive(Debug, Clone, PartialEq)]
struct Encoded {
    feature: usize,
    level: Option<usize>,
    center: f64,
    scale: f64,
}

/// The decision function of an SVM model, as the block computes it.
#[derive(Debug, Clone, PartialEq)]
pub struct SvmLogic {
    task: Task,
    n_classes: usize,
    encoded: Vec<Encoded>,
    kernel: KernelFn,
    machines: Vec<Machine>,
    /// Support vectors, `encoded.len()` values each (empty for a linear kernel).
    sv: Vec<f64>,
    /// Their coefficients.
    coef: Vec<f64>,
    /// A linear kernel's weights, `encoded.len()` per machine.
    weights: Vec<f64>,
    /// A regressor's `Spread`: the held-out RMSE.
    spread: f64,
}

/// Arithmetic the block can run in: `REAL` (`f32`) or `LREAL` (`f64`).
pub trait PlcReal:
    Copy + PartialOrd + Add<Output = Self> + Sub<Output = Self> + Mul<Output = Self> + Div<Output = Self>
{
    /// The literal `x` in this type (the nearest value).
    fn of(x: f64) -> Self;
    /// As `f64`.
    fn get(self) -> f64;
    /// `EXP`.
    fn exp(self) -> Self;
    /// `ABS`.
    fn abs(self) -> Self;
    /// `self ** y`.
    fn pow(self, y: Self) -> Self;
}

/// How the PLC computes `e^x`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ExpForm {
    /// `EXP(x)`, the IEC 61131-3 standard function.
    #[default]
    Exp,
    /// `E ** x` with `E` the `REAL` nearest to e ([`E_REAL`]): Logix has no `EXP`, only the
    /// exponent operator (`docs/plc-targets.md`, section 12).
    PowerOfE,
}

/// The `REAL` nearest to e, as the Logix block writes it (`2.7182817`).
pub const E_REAL: f32 = std::f32::consts::E;

/// `e^x` as the PLC computes it in `form`.
fn exp_in<T: PlcReal>(x: T, form: ExpForm) -> T {
    match form {
        ExpForm::Exp => x.exp(),
        ExpForm::PowerOfE => T::of(f64::from(E_REAL)).pow(x),
    }
}

impl PlcReal for f32 {
    #[allow(clippy::cast_possible_truncation)]
    fn of(x: f64) -> Self {
        x as f32
    }
    fn get(self) -> f64 {
        f64::from(self)
    }
    fn exp(self) -> Self {
        f32::exp(self)
    }
    fn abs(self) -> Self {
        f32::abs(self)
    }
    fn pow(self, y: Self) -> Self {
        self.powf(y)
    }
}

impl PlcReal for f64 {
    fn of(x: f64) -> Self {
        x
    }
    fn get(self) -> f64 {
        self
    }
    fn exp(self) -> Self {
        f64::exp(self)
    }
    fn abs(self) -> Self {
        f64::abs(self)
    }
    fn pow(self, y: Self) -> Self {
        self.powf(y)
    }
}

fn machine_of(svm: &BinarySvm, sv: &mut Vec<f64>, coef: &mut Vec<f64>, weights: &mut Vec<f64>) -> (usize, usize) {
    if let Some(w) = &svm.linear_weights {
        weights.extend(w);
        return (0, 0);
    }
    let start = coef.len();
    for (r, &c) in svm.coef.iter().enumerate() {
        sv.extend(svm.support.row(r));
        coef.push(c);
    }
    (start, coef.len())
}

impl SvmLogic {
    /// The decision function of `report`'s model.
    ///
    /// # Errors
    /// When the model is not an SVM.
    pub fn new(report: &TrainingReport) -> Result<Self> {
        let model: &TrainedModel = &report.model;
        let encoded = model
            .pipeline
            .encoded
            .iter()
            .map(|e| Encoded { feature: e.feature, level: e.level, center: e.center, scale: e.scale })
            .collect();
        let (mut sv, mut coef, mut weights) = (Vec::new(), Vec::new(), Vec::new());
        let (kernel, n_classes, machines, spread) = match &model.estimator {
            Estimator::SvmClassifier { model: m } => {
                let machines = m
                    .machines
                    .iter()
                    .map(|pm| {
                        let (start, end) = machine_of(&pm.svm, &mut sv, &mut coef, &mut weights);
                        Machine {
                            first: pm.first,
                            second: pm.second,
                            bias: pm.svm.bias,
                            platt: Some(pm.platt),
                            start,
                            end,
                        }
                    })
                    .collect();
                (m.kernel, m.n_classes, machines, 0.0)
            }
            Estimator::SvmRegressor { model: m } => {
                let (start, end) = machine_of(&m.svm, &mut sv, &mut coef, &mut weights);
                let rmse = match &report.evaluation {
                    Evaluation::Regression { metrics, .. } => metrics.rmse,
                    Evaluation::Classification { .. } => 0.0,
                };
                let machine = Machine { first: 0, second: 0, bias: m.svm.bias, platt: None, start, end };
                (m.kernel, 0, vec![machine], rmse)
            }
            Estimator::TreeClassifier { .. } | Estimator::TreeRegressor { .. } => {
                return Err(Error::invalid(
                    "the model is a tree: its block (--from tree) already computes exactly what the model computes",
                ));
            }
        };
        Ok(Self { task: model.task, n_classes, encoded, kernel, machines, sv, coef, weights, spread })
    }

    fn e(&self) -> usize {
        self.encoded.len()
    }

    fn linear(&self) -> bool {
        self.kernel.kind == KernelKind::Linear
    }

    /// Support vectors over all machines.
    pub fn n_support(&self) -> usize {
        self.coef.len()
    }

    /// The block's decision and second output for the filled-in inputs `used` (raw features,
    /// as the block's `_used` locals hold them), in the arithmetic of `T`, statement by
    /// statement as the block computes them.
    pub fn eval<T: PlcReal>(&self, used: &[f64]) -> (f64, f64) {
        self.eval_with::<T>(used, ExpForm::Exp)
    }

    /// [`eval`](Self::eval) with `e^x` computed in `form`, as a target without `EXP` computes it.
    #[allow(clippy::indexing_slicing)] // every index is below a length the constructor fixed
    pub fn eval_with<T: PlcReal>(&self, used: &[f64], form: ExpForm) -> (f64, f64) {
        let e = self.e();
        let zero = T::of(0.0);
        let one = T::of(1.0);
        let enc: Vec<T> = self
            .encoded
            .iter()
            .map(|c| {
                let v = used.get(c.feature).copied().unwrap_or(f64::NAN);
                match c.level {
                    #[allow(clippy::cast_precision_loss)]
                    Some(level) => {
                        if v == level as f64 {
                            one
                        } else {
                            zero
                        }
                    }
                    None => (T::of(v) - T::of(c.center)) / T::of(c.scale),
                }
            })
            .collect();
        let score: Vec<T> = self
            .machines
            .iter()
            .enumerate()
            .map(|(m, machine)| {
                if self.linear() {
                    let mut acc = zero;
                    for k in 0..e {
                        acc = acc + T::of(self.weights[m * e + k]) * enc[k];
                    }
                    return T::of(machine.bias) + acc;
                }
                let mut f = T::of(machine.bias);
                for i in machine.start..machine.end {
                    let sv = &self.sv[i * e..(i + 1) * e];
                    let kernel = self.kernel_value::<T>(&enc, sv, form);
                    f = f + T::of(self.coef[i]) * kernel;
                }
                f
            })
            .collect();
        match self.task {
            Task::Regression => (score.first().map_or(0.0, |s| s.get()), T::of(self.spread).get()),
            Task::Classification => {
                let probs: Vec<T> =
                    self.machines.iter().zip(&score).map(|(m, &s)| platt::<T>(m.platt, s, form)).collect();
                if self.n_classes == 2 {
                    let p = probs.first().copied().unwrap_or(T::of(0.5));
                    let q = one - p;
                    return if p > q { (1.0, p.get()) } else { (0.0, q.get()) };
                }
                self.couple::<T>(&probs)
            }
        }
    }

    /// `K(enc, sv)` as the block computes it.
    fn kernel_value<T: PlcReal>(&self, enc: &[T], sv: &[f64], form: ExpForm) -> T {
        let mut acc = T::of(0.0);
        match self.kernel.kind {
            KernelKind::Rbf => {
                for (&z, &s) in enc.iter().zip(sv) {
                    let diff = z - T::of(s);
                    acc = acc + diff * diff;
                }
                exp_in(T::of(-self.kernel.gamma) * acc, form)
            }
            KernelKind::Poly | KernelKind::Sigmoid | KernelKind::Linear => {
                for (&z, &s) in enc.iter().zip(sv) {
                    acc = acc + z * T::of(s);
                }
                let base = T::of(self.kernel.gamma) * acc + T::of(self.kernel.coef0);
                if self.kernel.kind == KernelKind::Sigmoid {
                    T::of(1.0) - T::of(2.0) / (exp_in(T::of(2.0) * base, form) + T::of(1.0))
                } else {
                    let mut pw = T::of(1.0);
                    for _ in 0..self.degree() {
                        pw = pw * base;
                    }
                    pw
                }
            }
        }
    }

    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // a small whole degree
    fn degree(&self) -> u32 {
        self.kernel.degree.max(0.0) as u32
    }

    /// Pairwise coupling of the machines' probabilities, then the most probable class.
    #[allow(clippy::indexing_slicing)] // indices below `n_classes`, checked when the model was read
    fn couple<T: PlcReal>(&self, probs: &[T]) -> (f64, f64) {
        let k = self.n_classes;
        let zero = T::of(0.0);
        let mut pr = vec![zero; k * k];
        for (m, &p) in self.machines.iter().zip(probs) {
            let mut p = p;
            if p < T::of(CLAMP) {
                p = T::of(CLAMP);
            }
            if p > T::of(1.0 - CLAMP) {
                p = T::of(1.0 - CLAMP);
            }
            if m.first < k && m.second < k {
                pr[m.second * k + m.first] = p;
                pr[m.first * k + m.second] = T::of(1.0) - p;
            }
        }
        let mut qm = vec![zero; k * k];
        let mut pc = vec![zero; k];
        for t in 0..k {
            qm[t * k + t] = zero;
            for j in 0..k {
                if j != t {
                    qm[t * k + t] = qm[t * k + t] + pr[j * k + t] * pr[j * k + t];
                    qm[t * k + j] = zero - pr[j * k + t] * pr[t * k + j];
                }
            }
            pc[t] = T::of(1.0 / k as f64);
        }
        let eps = T::of(0.005 / k as f64);
        let mut qp = vec![zero; k];
        let mut settled = false;
        for _ in 0..100.max(k) {
            if settled {
                continue;
            }
            let mut pqp = zero;
            for t in 0..k {
                qp[t] = zero;
                for j in 0..k {
                    qp[t] = qp[t] + qm[t * k + j] * pc[j];
                }
                pqp = pqp + pc[t] * qp[t];
            }
            settled = true;
            for t in 0..k {
                if (qp[t] - pqp).abs() >= eps {
                    settled = false;
                }
            }
            if !settled {
                for t in 0..k {
                    let delta = (pqp - qp[t]) / qm[t * k + t];
                    pc[t] = pc[t] + delta;
                    let one_plus = T::of(1.0) + delta;
                    pqp = (pqp + delta * (delta * qm[t * k + t] + T::of(2.0) * qp[t])) / one_plus / one_plus;
                    for j in 0..k {
                        qp[j] = (qp[j] + delta * qm[t * k + j]) / one_plus;
                        pc[j] = pc[j] / one_plus;
                    }
                }
            }
        }
        let mut best = 0;
        let mut certainty = pc.first().copied().unwrap_or(zero);
        for (t, &p) in pc.iter().enumerate().skip(1) {
            if p > certainty {
                best = t;
                certainty = p;
            }
        }
        (best as f64, certainty.get())
    }
}

/// Platt's sigmoid as the block computes it (the model's stable form).
fn platt<T: PlcReal>(platt: Option<Platt>, f: T, form: ExpForm) -> T {
    let Some(p) = platt else { return T::of(0.5) };
    let expo = T::of(p.a) * f + T::of(p.b);
    if expo >= T::of(0.0) {
        let e = exp_in(T::of(0.0) - expo, form);
        e / (T::of(1.0) + e)
    } else {
        T::of(1.0) / (T::of(1.0) + exp_in(expo, form))
    }
}

/// How far the block's outputs lie from the model's on the rows checked, in one precision.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Deviation {
    /// Largest difference of the second output (classification: the probability of the
    /// predicted class against the model's probability of that class) or of the predicted
    /// value (regression).
    pub largest: f64,
    /// Rows whose predicted class differs from the model's.
    pub class_differences: usize,
    /// Of those, the largest gap between the model's two most probable classes (a difference
    /// is only expected where this gap is within the tolerance).
    pub largest_gap_where_different: f64,
    /// The tolerance the export states: a power of ten at least four times `largest` (at least
    /// 1e-6 for `REAL`, 1e-12 for `LREAL`).
    pub tolerance: f64,
}

/// The check of an SVM block on the training and held-out rows.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SvmCheck {
    /// Rows checked.
    pub rows: usize,
    /// In `REAL` arithmetic.
    pub real: Deviation,
    /// In `LREAL` arithmetic.
    pub lreal: Deviation,
}

/// What one call of the SVM block costs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SvmCost {
    /// Support vectors over all machines.
    pub support_vectors: usize,
    /// Encoded inputs (numbers, and one per category level).
    pub encoded_inputs: usize,
    /// Machines (one per pair of classes).
    pub machines: usize,
    /// Multiply-adds per call (kernel sums, coefficients, Platt; worst case for the coupling).
    pub multiply_adds: usize,
    /// `EXP` calls per call.
    pub exp_calls: usize,
    /// Values in the constant arrays.
    pub constants: usize,
    /// Bytes of the constant arrays (4 per `REAL` or `DINT`, 8 per `LREAL`, 2 per `INT`).
    pub constant_bytes: usize,
    /// Lines of the Structured Text file.
    pub lines: usize,
}

/// The SVM block: the file, the notes, the check and the cost.
#[derive(Debug, Clone, PartialEq)]
pub struct SvmExport {
    /// The `.st` file and notes.
    pub exported: Exported,
    /// The check on the data.
    pub check: SvmCheck,
    /// The cost of a call.
    pub cost: SvmCost,
}

fn tolerance(largest: f64, floor: f64) -> f64 {
    let need = (largest * 4.0).max(floor);
    10f64.powf(need.log10().ceil())
}

/// The filled-in inputs of a raw row, as the block's `_used` locals hold them.
fn used_row(plan: &ExportPlan, raw: &[f64]) -> Vec<f64> {
    plan.features
        .iter()
        .enumerate()
        .map(|(j, f)| {
            let v = raw.get(j).copied().unwrap_or(f64::NAN);
            let missing = v.is_nan() || (f.kind == FeatureKind::Categorical && v == -1.0);
            if missing { f.fill } else { v }
        })
        .collect()
}

/// Runs the block in `T` on the filled-in rows `used` and compares it with the model's
/// predictions `model` of the same rows (in parallel; the largest difference and the count do not
/// depend on the order).
fn deviation<T: PlcReal>(
    logic: &SvmLogic,
    used: &[Vec<f64>],
    model: &[Prediction],
    floor: f64,
    form: ExpForm,
    ticker: &Ticker<'_>,
) -> Deviation {
    // Per row: the difference, and for a changed class the gap between the model's top two.
    let per_row: Vec<(f64, Option<f64>)> = used
        .par_iter()
        .zip(model)
        .map(|(used, p)| {
            if !ticker.tick() {
                return (0.0, None);
            }
            // The PLC's inputs are of the block's type.
            let typed: Vec<f64> = used.iter().map(|&v| T::of(v).get()).collect();
            let (decision, second) = logic.eval_with::<T>(&typed, form);
            match logic.task {
                Task::Regression => ((decision - p.value).abs(), None),
                Task::Classification => {
                    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                    let class = decision as usize;
                    let model_p = p.probabilities.get(class).copied().unwrap_or(0.0);
                    let gap = (decision != p.value).then(|| {
                        let mut sorted = p.probabilities.clone();
                        sorted.sort_by(|a, b| b.total_cmp(a));
                        sorted.first().copied().unwrap_or(0.0) - sorted.get(1).copied().unwrap_or(0.0)
                    });
                    ((second - model_p).abs(), gap)
                }
            }
        })
        .collect();
    let mut d = Deviation { largest: 0.0, class_differences: 0, largest_gap_where_different: 0.0, tolerance: 0.0 };
    for (difference, gap) in per_row {
        d.largest = d.largest.max(difference);
        if let Some(gap) = gap {
            d.class_differences += 1;
            d.largest_gap_where_different = d.largest_gap_where_different.max(gap);
        }
    }
    d.tolerance = tolerance(d.largest, floor);
    d
}

/// Checks the block in both precisions on the plan's training and held-out rows, against the
/// model's predictions of them (computed once).
pub fn check(plan: &ExportPlan, logic: &SvmLogic, model: &TrainedModel) -> SvmCheck {
    check_with(plan, logic, model, ExpForm::Exp)
}

/// [`check`] for a block computing `e^x` in `form`.
pub fn check_with(plan: &ExportPlan, logic: &SvmLogic, model: &TrainedModel, form: ExpForm) -> SvmCheck {
    check_rows(plan, logic, model, form, &Progress::new())
}

/// Counts the rows the check has done across its threads (three passes: the model, the block in
/// `REAL`, the block in `LREAL`) and reports them to `progress` now and then.
struct Ticker<'a> {
    progress: &'a Progress,
    done: AtomicUsize,
    total: usize,
}

impl Ticker<'_> {
    /// One more row done; false once the work was cancelled (the rest is skipped).
    fn tick(&self) -> bool {
        let n = self.done.fetch_add(1, AtomicOrdering::Relaxed) + 1;
        if n.is_multiple_of(512) {
            self.progress.set_count(n, self.total);
        }
        !self.progress.is_cancelled()
    }
}

/// [`check_with`], reporting to `progress`; a cancel stops it early (the figures are then
/// incomplete: the caller checks `progress` and drops them).
fn check_rows(
    plan: &ExportPlan,
    logic: &SvmLogic,
    model: &TrainedModel,
    form: ExpForm,
    progress: &Progress,
) -> SvmCheck {
    let used: Vec<Vec<f64>> =
        plan.rows.train.rows().chain(plan.rows.test.rows()).map(|raw| used_row(plan, raw)).collect();
    let ticker = Ticker { progress, done: AtomicUsize::new(0), total: 3 * used.len() };
    let predictions: Vec<Prediction> = used
        .par_iter()
        .map(|u| {
            if ticker.tick() { model.predict_row(u) } else { Prediction { value: f64::NAN, probabilities: Vec::new() } }
        })
        .collect();
    SvmCheck {
        rows: used.len(),
        real: deviation::<f32>(logic, &used, &predictions, 1e-6, form, &ticker),
        lreal: deviation::<f64>(logic, &used, &predictions, 1e-12, form, &ticker),
    }
}

/// Writes the SVM block of `report`'s model for `plan` (its inputs, rows and facts) as
/// Structured Text.
///
/// # Errors
/// When the model is not an SVM, or as [`pou::build`](super::pou::build) for the name, safe
/// default and date.
pub fn write(plan: &ExportPlan, report: &TrainingReport, options: &ExportOptions) -> Result<SvmExport> {
    write_in(plan, report, options, Format::StructuredText, false).map(|(svm, _)| svm)
}

/// The SVM block of `report`'s model and the vectors of its test bench (for a bench of one's
/// own, e.g. a few of the vectors; see [`testbench::svm_bench`](super::testbench::svm_bench)).
///
/// # Errors
/// As [`write()`].
pub fn block_and_vectors(
    plan: &ExportPlan,
    report: &TrainingReport,
    options: &ExportOptions,
) -> Result<(Pou, super::vectors::ModelVectors)> {
    let logic = SvmLogic::new(report)?;
    let check = check(plan, &logic, &report.model);
    let pou = build(plan, &logic, &check, options)?;
    let tolerance = match options.real_type {
        RealType::Real => check.real.tolerance,
        RealType::Lreal => check.lreal.tolerance,
    };
    let mv = super::vectors::svm_vectors(plan, &logic, &report.model, tolerance, ExpForm::Exp, options)?;
    Ok((pou, mv))
}

/// The formats the SVM block is written in.
pub const FORMATS: [Format; 6] =
    [Format::StructuredText, Format::TestbenchSt, Format::PlcopenXml, Format::Scl, Format::TcPou, Format::L5x];

/// Writes the SVM block of `report`'s model in `format` (one of [`FORMATS`]), with its test
/// bench `TB_<name>` when `testbench` is set (always for [`Format::TestbenchSt`]; not in PLCopen
/// XML): the held-out rows, edges and missing inputs of
/// [`svm_vectors`](super::vectors::svm_vectors), compared with the model's own outputs within the
/// tolerance the block states. Each format spells the one block its way (constant arrays:
/// `VAR CONSTANT` in Structured Text and TwinCAT, `localVars constant="true"` in PLCopen XML,
/// static arrays with start values in SCL, local tags with default values in Logix, whose
/// `e^x` is `2.7182817 ** x`, checked that way). For TwinCAT the bench is a [`Companion`] file.
/// The cost counts the lines of the Structured Text block whatever the format.
///
/// # Errors
/// As [`write()`]; a format not in [`FORMATS`]; a test bench in PLCopen XML; what the format's own
/// writer refuses (Logix: `LREAL`, names, its limits).
pub fn write_in(
    plan: &ExportPlan,
    report: &TrainingReport,
    options: &ExportOptions,
    format: Format,
    testbench: bool,
) -> Result<(SvmExport, Option<Companion>)> {
    write_in_with(plan, report, options, format, testbench, &super::l5x::L5xOptions::default())
}

/// [`write_in`] with the choices of the Logix file.
///
/// # Errors
/// As [`write_in`].
pub fn write_in_with(
    plan: &ExportPlan,
    report: &TrainingReport,
    options: &ExportOptions,
    format: Format,
    testbench: bool,
    l5x: &super::l5x::L5xOptions,
) -> Result<(SvmExport, Option<Companion>)> {
    write_in_progress(plan, report, options, (format, testbench), l5x, &Progress::new())
}

/// [`write_in_with`], reporting the check's rows to `progress` and stopping when it is cancelled.
///
/// # Errors
/// As [`write_in`]; `Cancelled` when `progress` was cancelled.
pub fn write_in_progress(
    plan: &ExportPlan,
    report: &TrainingReport,
    options: &ExportOptions,
    (format, testbench): (Format, bool),
    l5x: &super::l5x::L5xOptions,
    progress: &Progress,
) -> Result<(SvmExport, Option<Companion>)> {
    if !FORMATS.contains(&format) {
        return Err(Error::invalid(format!(
            "the SVM block is written as st, testbench-st, plcopen, scl, tcpou or l5x, not as {}",
            format.label()
        )));
    }
    let testbench = testbench || format == Format::TestbenchSt;
    if testbench && format == Format::PlcopenXml {
        return Err(Error::invalid(
            "a test bench is written with the block in st, scl, tcpou or l5x, not in PLCopen XML",
        ));
    }
    let revision = if format == Format::L5x { Some(super::l5x::check_options(options, l5x)?) } else { None };
    let form = if format == Format::L5x { ExpForm::PowerOfE } else { ExpForm::Exp };
    let logic = SvmLogic::new(report)?;
    let check = check_rows(plan, &logic, &report.model, form, progress);
    progress.check()?;
    let pou = build(plan, &logic, &check, options)?;
    let st = super::structured_text::render(&pou);
    let cost = cost(&logic, options.real_type, st.lines().count());
    let dev = match options.real_type {
        RealType::Real => &check.real,
        RealType::Lreal => &check.lreal,
    };
    let mut notes = pou.notes.clone();
    notes.push(format!("checked {}", check_sentence(&logic, &check, dev, options.real_type)));
    // The block as the format names it: SCL and Logix rename what they cannot take.
    let (pou, dialect_notes) = match format {
        Format::Scl => super::scl::fitted(&pou, options)?,
        Format::L5x => super::l5x::fitted(&pou, options)?,
        _ => (pou, Vec::new()),
    };
    notes.extend(dialect_notes);
    match format {
        Format::L5x => {
            notes.push(
                "Logix has no EXP: the block computes e^x as 2.7182817 ** x (e as the nearest REAL), and the check \
                 above was measured that way"
                    .to_owned(),
            );
            notes.push(
                "an Add-On Instruction's local tags cannot be constant in Logix: the support vectors and coefficients \
                 are local tags with default values, copied into every instance (do not write to them)"
                    .to_owned(),
            );
        }
        Format::Scl => notes.push(
            "the support vectors and coefficients are static arrays with start values, kept in the instance data \
             block (do not write to them)"
                .to_owned(),
        ),
        _ => {}
    }
    let bench = if testbench {
        let mv = super::vectors::svm_vectors(plan, &logic, &report.model, dev.tolerance, form, options)?;
        let tb = match format {
            Format::L5x => super::l5x::bench_name(&pou.name)?,
            _ => super::testbench::bench_name(&pou.name),
        };
        let bench = super::testbench::svm_bench(plan, &pou, &mv, &tb)?;
        notes.push(super::testbench::svm_summary(&mv));
        Some(bench)
    } else {
        None
    };
    let mut companion = None;
    let text = match (format, &bench, revision) {
        (Format::StructuredText | Format::TestbenchSt, Some(bench), _) => {
            format!("{st}\n{}", super::testbench::render_bench(bench))
        }
        (Format::PlcopenXml, _, _) => super::plcopen_xml::render(&pou),
        (Format::Scl, Some(bench), _) => {
            notes.push(super::scl::bench_note(bench));
            super::scl::render_with_bench(&pou, bench)
        }
        (Format::Scl, None, _) => super::scl::render(&pou),
        (Format::TcPou, bench, _) => {
            if let Some(bench) = bench {
                notes.push(super::tcpou::bench_note(bench));
                companion = Some(super::tcpou::render_bench(bench));
            }
            super::tcpou::render(&pou)
        }
        (Format::L5x, Some(bench), Some(revision)) => {
            notes.push(super::l5x::bench_note(bench));
            super::l5x::render_with_bench(&pou, bench, revision)?
        }
        (Format::L5x, None, Some(revision)) => super::l5x::render(&pou, revision)?,
        _ => st,
    };
    Ok((SvmExport { exported: Exported { text, notes }, check, cost }, companion))
}

fn check_sentence(logic: &SvmLogic, check: &SvmCheck, dev: &Deviation, ty: RealType) -> String {
    let what = match logic.task {
        Task::Classification => "the probability of the predicted class",
        Task::Regression => "the predicted value",
    };
    let mut s = format!(
        "on {} training and held-out rows in {} arithmetic, {what} lies within {:.1e} of the model's \
         (largest difference {:.2e}; REAL {:.2e}, LREAL {:.2e})",
        check.rows,
        ty.keyword(),
        dev.tolerance,
        dev.largest,
        check.real.largest,
        check.lreal.largest
    );
    if logic.task == Task::Classification {
        let _ = write!(
            s,
            "; the class differs from the model's on {} rows{}",
            dev.class_differences,
            if dev.class_differences > 0 {
                format!(
                    ", each with the model's two most probable classes within {:.1e} of each other",
                    dev.largest_gap_where_different
                )
            } else {
                String::new()
            }
        );
    }
    s
}

fn cost(logic: &SvmLogic, ty: RealType, lines: usize) -> SvmCost {
    let (s, e, m) = (logic.n_support(), logic.e(), logic.machines.len());
    let k = logic.n_classes;
    let kernel_madds = if logic.linear() { m * e } else { s * (e + 1) };
    let platt = if logic.task == Task::Classification { m } else { 0 };
    let coupling = if k > 2 { 100usize.max(k) * (k * k + 3 * k + 2 * k * k) } else { 0 };
    let exp_calls = match logic.kernel.kind {
        KernelKind::Rbf | KernelKind::Sigmoid => s,
        KernelKind::Poly | KernelKind::Linear => 0,
    } + platt;
    let real_bytes = match ty {
        RealType::Real => 4,
        RealType::Lreal => 8,
    };
    let reals = logic.sv.len() + logic.coef.len() + logic.weights.len() + m + 2 * platt;
    let dints = if logic.linear() { 0 } else { m + 1 };
    let ints = if logic.task == Task::Classification { 2 * m } else { 0 };
    SvmCost {
        support_vectors: s,
        encoded_inputs: e,
        machines: m,
        multiply_adds: e + kernel_madds + platt + coupling,
        exp_calls,
        constants: reals + dints + ints,
        constant_bytes: reals * real_bytes + dints * 4 + ints * 2,
        lines,
    }
}

/// The cost as Markdown (`glassbox export --from model --format report`).
pub fn cost_markdown(plan: &ExportPlan, export: &SvmExport) -> String {
    let c = &export.cost;
    let mut s = format!("# Cost of the SVM block for '{}'\n\n", plan.target);
    let _ = writeln!(s, "| per call | |\n|---|---|");
    let _ = writeln!(s, "| support vectors | {} |", c.support_vectors);
    let _ = writeln!(s, "| encoded inputs | {} |", c.encoded_inputs);
    let _ = writeln!(s, "| machines | {} |", c.machines);
    let _ = writeln!(s, "| multiply-adds (worst case) | {} |", c.multiply_adds);
    let _ = writeln!(s, "| EXP calls | {} |", c.exp_calls);
    let _ = writeln!(s, "| constant values | {} |", c.constants);
    let _ = writeln!(s, "| constant memory | {} bytes |", c.constant_bytes);
    let _ = writeln!(s, "| lines of Structured Text | {} |", c.lines);
    let _ = writeln!(s, "\n## Check on the data\n");
    for note in &export.exported.notes {
        let _ = writeln!(s, "- {note}");
    }
    s
}

fn real(v: f64, ty: RealType) -> String {
    value_literal(v, ty).text
}

fn array(name: &str, ty: &str, values: Vec<String>, comment: &str) -> Constant {
    let last = values.len().saturating_sub(1);
    Constant {
        var: Var { name: name.into(), ty: format!("ARRAY[0..{last}] OF {ty}"), comment: comment_text(comment) },
        values,
    }
}

fn local(name: &str, ty: &str, comment: &str) -> Var {
    Var { name: name.into(), ty: ty.into(), comment: comment.into() }
}

/// The block: shared frame, SVM constants, locals and statements.
#[allow(clippy::too_many_lines)]
fn build(plan: &ExportPlan, logic: &SvmLogic, check: &SvmCheck, options: &ExportOptions) -> Result<Pou> {
    let mut reserved: Vec<&str> = RESERVED.to_vec();
    reserved.push(DELTA);
    let frame = frame(plan, options, &reserved)?;
    let ty = options.real_type;
    let rk = ty.keyword();
    let r = |v: f64| real(v, ty);
    let (e, m_count, k) = (logic.e(), logic.machines.len(), logic.n_classes);
    if e == 0 || m_count == 0 {
        return Err(Error::invalid("the SVM has no inputs or no machine to export"));
    }

    let mut constants = Vec::new();
    if logic.linear() {
        constants.push(array(
            "W",
            rk,
            logic.weights.iter().map(|&w| r(w)).collect(),
            &format!("weights of each machine over the {e} encoded inputs, machine by machine"),
        ));
    } else {
        constants.push(array(
            "SV",
            rk,
            logic.sv.iter().map(|&v| r(v)).collect(),
            &format!("{} support vectors in the encoded space, {e} values each", logic.n_support()),
        ));
        constants.push(array(
            "COEF",
            rk,
            logic.coef.iter().map(|&c| r(c)).collect(),
            "coefficient of each support vector",
        ));
        let mut starts: Vec<String> = logic.machines.iter().map(|m| m.start.to_string()).collect();
        starts.push(logic.machines.last().map_or(0, |m| m.end).to_string());
        constants.push(array("SV_START", "DINT", starts, "first support vector of each machine, then the end"));
    }
    constants.push(array("BIAS", rk, logic.machines.iter().map(|m| r(m.bias)).collect(), "bias of each machine"));
    if plan.task == Task::Classification {
        let platt = |f: fn(&Platt) -> f64| logic.machines.iter().map(|m| r(m.platt.as_ref().map_or(0.0, f))).collect();
        constants.push(array("PLATT_A", rk, platt(|p| p.a), "Platt slope of each machine"));
        constants.push(array("PLATT_B", rk, platt(|p| p.b), "Platt offset of each machine"));
        if k > 2 {
            let ints = |f: fn(&Machine) -> usize| logic.machines.iter().map(|m| f(m).to_string()).collect();
            constants.push(array("PAIR_FIRST", "INT", ints(|m| m.first), "class a negative decision favours"));
            constants.push(array("PAIR_SECOND", "INT", ints(|m| m.second), "class a positive decision favours"));
        }
    }

    let mut locals = frame.locals.clone();
    locals.push(local("enc", &format!("ARRAY[0..{}] OF {rk}", e - 1), "the encoded inputs"));
    locals.push(local("score", &format!("ARRAY[0..{}] OF {rk}", m_count - 1), "decision value of each machine"));
    for (name, what) in [
        ("f", "a machine's decision value"),
        ("acc", "a kernel sum"),
        ("diff", "a difference in the encoded space"),
        ("prob", "a machine's probability"),
        ("expo", "the exponent of Platt's sigmoid"),
        ("base", "the kernel's inner value"),
        ("pw", "a power or tanh of the kernel's inner value"),
    ] {
        locals.push(local(name, rk, what));
    }
    for (name, what) in [("m", "machine"), ("i", "support vector"), ("k", "encoded input")] {
        locals.push(local(name, "DINT", &format!("loop index: {what}")));
    }
    let coupling = plan.task == Task::Classification && k > 2;
    if coupling {
        locals.push(local("pr", &format!("ARRAY[0..{}] OF {rk}", k * k - 1), "pairwise probabilities r(i, j)"));
        locals.push(local("qm", &format!("ARRAY[0..{}] OF {rk}", k * k - 1), "the coupling's matrix Q"));
        locals.push(local("pc", &format!("ARRAY[0..{}] OF {rk}", k - 1), "class probabilities"));
        locals.push(local("qp", &format!("ARRAY[0..{}] OF {rk}", k - 1), "Q times the probabilities"));
        locals.push(local("pqp", rk, "p' Q p"));
        locals.push(local(DELTA, rk, "a coupling step"));
        locals.push(local("t", "INT", "loop index: class"));
        locals.push(local("j", "INT", "loop index: class"));
        locals.push(local("it", "INT", "loop index: coupling iteration"));
        locals.push(local("settled", "BOOL", "TRUE once the coupling has converged"));
    }

    let mut w = Writer { out: frame.input_checks.clone() };
    w.line(
        0,
        "(* The encoded inputs: numbers standardised with the training mean and deviation, categories one-hot. *)",
    );
    for (c, enc) in logic.encoded.iter().enumerate() {
        let used = frame.used.get(enc.feature).map_or("?", String::as_str);
        match enc.level {
            Some(level) => {
                w.line(0, &format!("IF {used} = {level} THEN"));
                w.line(1, &format!("enc[{c}] := {};", r(1.0)));
                w.line(0, "ELSE");
                w.line(1, &format!("enc[{c}] := {};", r(0.0)));
                w.line(0, "END_IF;");
            }
            None => w.line(0, &format!("enc[{c}] := ({used} - {}) / {};", r(enc.center), r(enc.scale))),
        }
    }
    w.line(0, "");
    w.line(0, &format!("(* Decision value of each machine: {}. *)", kernel_text(logic)));
    let d = w.open_for(0, "m", 0, m_count - 1);
    if logic.linear() {
        w.line(d, &format!("acc := {};", r(0.0)));
        let dk = w.open_for(d, "k", 0, e - 1);
        w.line(dk, &format!("acc := acc + W[m * {e} + k] * enc[k];"));
        w.close_for(d, dk);
        w.line(d, "score[m] := BIAS[m] + acc;");
    } else {
        w.line(d, "f := BIAS[m];");
        // One more pass than the machine has support vectors, the last one idle: a compiler
        // that skips a FOR loop whose start equals its end (see docs/plc-targets.md) then still
        // runs every support vector.
        w.line(d, "FOR i := SV_START[m] TO SV_START[m + 1] DO");
        w.line(d + 1, "IF i < SV_START[m + 1] THEN");
        let di = d + 2;
        w.line(di, &format!("acc := {};", r(0.0)));
        let dk = w.open_for(di, "k", 0, e - 1);
        match logic.kernel.kind {
            KernelKind::Rbf => {
                w.line(dk, &format!("diff := enc[k] - SV[i * {e} + k];"));
                w.line(dk, "acc := acc + diff * diff;");
                w.close_for(di, dk);
                w.line(di, &format!("f := f + COEF[i] * EXP({} * acc);", r(-logic.kernel.gamma)));
            }
            KernelKind::Poly | KernelKind::Sigmoid | KernelKind::Linear => {
                w.line(dk, &format!("acc := acc + enc[k] * SV[i * {e} + k];"));
                w.close_for(di, dk);
                w.line(di, &format!("base := {} * acc + {};", r(logic.kernel.gamma), r(logic.kernel.coef0)));
                if logic.kernel.kind == KernelKind::Sigmoid {
                    w.line(di, &format!("pw := {} - {} / (EXP({} * base) + {});", r(1.0), r(2.0), r(2.0), r(1.0)));
                } else {
                    w.line(di, &format!("pw := {};", r(1.0)));
                    let degree = logic.degree() as usize;
                    if degree > 0 {
                        let dp = w.open_for(di, "k", 1, degree);
                        w.line(dp, "pw := pw * base;");
                        w.close_for(di, dp);
                    }
                }
                w.line(di, "f := f + COEF[i] * pw;");
            }
        }
        w.line(d + 1, "END_IF;");
        w.line(d, "END_FOR;");
        w.line(d, "score[m] := f;");
    }
    w.close_for(0, d);
    w.line(0, "");
    let platt_lines = |w: &mut Writer, depth: usize| {
        w.line(depth, "expo := PLATT_A[m] * score[m] + PLATT_B[m];");
        w.line(depth, &format!("IF expo >= {} THEN", r(0.0)));
        w.line(depth + 1, &format!("pw := EXP({} - expo);", r(0.0)));
        w.line(depth + 1, &format!("prob := pw / ({} + pw);", r(1.0)));
        w.line(depth, "ELSE");
        w.line(depth + 1, &format!("prob := {} / ({} + EXP(expo));", r(1.0), r(1.0)));
        w.line(depth, "END_IF;");
    };
    match plan.task {
        Task::Regression => {
            w.line(0, "decision := score[0];");
            w.line(0, &format!("deviation := {}; (* the model's held-out RMSE *)", r(logic.spread)));
        }
        Task::Classification if k == 2 => {
            w.line(0, "(* Platt's sigmoid: the probability of class 1. *)");
            w.line(0, "m := 0;");
            platt_lines(&mut w, 0);
            w.line(0, &format!("IF prob > {} - prob THEN", r(1.0)));
            w.line(1, "decision := 1;");
            w.line(1, "certainty := prob;");
            w.line(0, "ELSE");
            w.line(1, "decision := 0;");
            w.line(1, &format!("certainty := {} - prob;", r(1.0)));
            w.line(0, "END_IF;");
        }
        Task::Classification => {
            w.line(
                0,
                "(* Each machine's probability of its second class (Platt), clamped, into r(i, j) = P(i | i or j). *)",
            );
            w.line(0, &format!("FOR t := 0 TO {} DO", k * k - 1));
            w.line(1, &format!("pr[t] := {};", r(0.0)));
            w.line(0, "END_FOR;");
            let d = w.open_for(0, "m", 0, m_count - 1);
            platt_lines(&mut w, d);
            w.line(d, &format!("IF prob < {} THEN", r(CLAMP)));
            w.line(d + 1, &format!("prob := {};", r(CLAMP)));
            w.line(d, "END_IF;");
            w.line(d, &format!("IF prob > {} THEN", r(1.0 - CLAMP)));
            w.line(d + 1, &format!("prob := {};", r(1.0 - CLAMP)));
            w.line(d, "END_IF;");
            w.line(d, &format!("pr[PAIR_SECOND[m] * {k} + PAIR_FIRST[m]] := prob;"));
            w.line(d, &format!("pr[PAIR_FIRST[m] * {k} + PAIR_SECOND[m]] := {} - prob;", r(1.0)));
            w.close_for(0, d);
            w.line(
                0,
                "(* Pairwise coupling (Wu, Lin & Weng 2004, method 2), as the model computes its probabilities. *)",
            );
            w.line(0, &format!("FOR t := 0 TO {} DO", k - 1));
            w.line(1, &format!("qm[t * {k} + t] := {};", r(0.0)));
            w.line(1, &format!("FOR j := 0 TO {} DO", k - 1));
            w.line(2, "IF j <> t THEN");
            w.line(3, &format!("qm[t * {k} + t] := qm[t * {k} + t] + pr[j * {k} + t] * pr[j * {k} + t];"));
            w.line(3, &format!("qm[t * {k} + j] := {} - pr[j * {k} + t] * pr[t * {k} + j];", r(0.0)));
            w.line(2, "END_IF;");
            w.line(1, "END_FOR;");
            w.line(1, &format!("pc[t] := {};", r(1.0 / k as f64)));
            w.line(0, "END_FOR;");
            w.line(0, "settled := FALSE;");
            w.line(0, &format!("FOR it := 1 TO {} DO", 100.max(k)));
            w.line(1, "IF NOT settled THEN");
            w.line(2, &format!("pqp := {};", r(0.0)));
            w.line(2, &format!("FOR t := 0 TO {} DO", k - 1));
            w.line(3, &format!("qp[t] := {};", r(0.0)));
            w.line(3, &format!("FOR j := 0 TO {} DO", k - 1));
            w.line(4, &format!("qp[t] := qp[t] + qm[t * {k} + j] * pc[j];"));
            w.line(3, "END_FOR;");
            w.line(3, "pqp := pqp + pc[t] * qp[t];");
            w.line(2, "END_FOR;");
            w.line(2, "settled := TRUE;");
            w.line(2, &format!("FOR t := 0 TO {} DO", k - 1));
            w.line(3, &format!("IF ABS(qp[t] - pqp) >= {} THEN", r(0.005 / k as f64)));
            w.line(4, "settled := FALSE;");
            w.line(3, "END_IF;");
            w.line(2, "END_FOR;");
            w.line(2, "IF NOT settled THEN");
            w.line(3, &format!("FOR t := 0 TO {} DO", k - 1));
            w.line(4, &format!("{DELTA} := (pqp - qp[t]) / qm[t * {k} + t];"));
            w.line(4, &format!("pc[t] := pc[t] + {DELTA};"));
            w.line(4, &format!("f := {} + {DELTA};", r(1.0)));
            w.line(4, &format!("pqp := (pqp + {DELTA} * ({DELTA} * qm[t * {k} + t] + {} * qp[t])) / f / f;", r(2.0)));
            w.line(4, &format!("FOR j := 0 TO {} DO", k - 1));
            w.line(5, &format!("qp[j] := (qp[j] + {DELTA} * qm[t * {k} + j]) / f;"));
            w.line(5, "pc[j] := pc[j] / f;");
            w.line(4, "END_FOR;");
            w.line(3, "END_FOR;");
            w.line(2, "END_IF;");
            w.line(1, "END_IF;");
            w.line(0, "END_FOR;");
            w.line(0, "(* The most probable class (the first on ties). *)");
            w.line(0, "decision := 0;");
            w.line(0, "certainty := pc[0];");
            w.line(0, &format!("FOR t := 1 TO {} DO", k - 1));
            w.line(1, "IF pc[t] > certainty THEN");
            w.line(2, "decision := t;");
            w.line(2, "certainty := pc[t];");
            w.line(1, "END_IF;");
            w.line(0, "END_FOR;");
        }
    }
    let mut b = w.out;
    b.push_str(&frame.output_copy);

    let mut outputs = frame.outputs.clone();
    if plan.task == Task::Regression
        && let Some(second) = outputs.get_mut(1)
    {
        second.comment = comment_text(&format!(
            "the model's RMSE on the held-out rows, in the units of '{}' (the same on every call)",
            plan.target
        ));
    }
    let dev = match ty {
        RealType::Real => &check.real,
        RealType::Lreal => &check.lreal,
    };
    let mut lines: Vec<String> = header(plan, options, &frame.name, frame.date.as_deref(), frame.safe)
        .into_iter()
        .filter(|l| !l.starts_with("Logic:") && !l.starts_with("Fidelity:") && !l.starts_with("Numbers:"))
        .collect();
    let at = lines.len().min(4);
    let logic_line = format!(
        "Logic: the SVM's own decision function, not a surrogate: {}; {} support vectors over {e} encoded inputs, \
         {m_count} machine(s){}.",
        kernel_text(logic),
        logic.n_support(),
        match (plan.task, k) {
            (Task::Regression, _) => String::new(),
            (_, 2) => ", Platt's sigmoid for the probability".to_owned(),
            _ => format!(" (one per pair of the {k} classes), Platt's sigmoid each, pairwise coupling"),
        }
    );
    let check_line = format!("Check: computed as this block computes it, {}.", check_sentence(logic, check, dev, ty));
    let numbers_line = format!(
        "Numbers: {rk} inputs and arithmetic; the stated tolerance holds on the rows checked and covers the \
         rounding of {rk} (measured: REAL {:.2e}, LREAL {:.2e}).",
        check.real.largest, check.lreal.largest
    );
    for (offset, l) in [logic_line, check_line, numbers_line].into_iter().enumerate() {
        lines.insert(at + offset, comment_text(&l));
    }
    Ok(Pou {
        name: frame.name,
        header: lines,
        inputs: frame.inputs,
        outputs,
        locals,
        constants,
        body: b,
        date: frame.date,
        notes: Vec::new(),
    })
}

/// The statements of the block, a line at a time.
struct Writer {
    out: String,
}

impl Writer {
    fn line(&mut self, depth: usize, text: &str) {
        for _ in 0..depth {
            self.out.push_str("    ");
        }
        self.out.push_str(text);
        self.out.push('\n');
    }

    /// Opens `FOR var := first TO last` at `depth` and returns the depth of its body; a single
    /// pass is written as `var := first;` without a loop (a compiler may skip a loop whose start
    /// equals its end, see docs/plc-targets.md).
    fn open_for(&mut self, depth: usize, var: &str, first: usize, last: usize) -> usize {
        if first == last {
            self.line(depth, &format!("{var} := {first};"));
            depth
        } else {
            self.line(depth, &format!("FOR {var} := {first} TO {last} DO"));
            depth + 1
        }
    }

    /// Closes what [`Writer::open_for`] opened at `depth` (its body at `body`).
    fn close_for(&mut self, depth: usize, body: usize) {
        if body > depth {
            self.line(depth, "END_FOR;");
        }
    }
}

fn kernel_text(logic: &SvmLogic) -> String {
    let g = crate::rules::number(logic.kernel.gamma);
    let c0 = crate::rules::number(logic.kernel.coef0);
    match logic.kernel.kind {
        KernelKind::Linear => "linear kernel, bias + w . enc".to_owned(),
        KernelKind::Rbf => format!("RBF kernel, bias + sum of coef * EXP(-{g} * |enc - sv|^2)"),
        KernelKind::Poly => {
            format!("polynomial kernel, bias + sum of coef * ({g} * enc . sv + {c0})^{}", logic.degree())
        }
        KernelKind::Sigmoid => format!("sigmoid kernel, bias + sum of coef * tanh({g} * enc . sv + {c0})"),
    }
}
