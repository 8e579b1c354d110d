//! Test vectors for the exported block, with the outputs the PLC must give for each: the
//! material of the test bench ([`testbench`](super::testbench) describes it once and each target
//! writes it in its own dialect).
//!
//! The vectors are chosen to catch a block that decides otherwise than the model did when it
//! was exported:
//!
//! 1. every leaf (tree) or every rule and the default rule at least once: the first training
//!    row that ends there (a row without missing values first), else a held-out row, else a row
//!    built from the leaf's path or the rule's conditions, the other inputs at their fills;
//! 2. both sides of every threshold at the exact boundary: a row that reaches the comparison
//!    with the input set to the literal's own value (`x <= L` holds, `x > L` fails) and to the
//!    next number above it in the block's precision (the other way); a level test with the
//!    level and with another level. In a rule list, setting the input can let an earlier rule
//!    decide first, so the row is the first one that still reaches the comparison with both
//!    values;
//! 3. each input the logic tests missing (NaN, level code −1), and every input at once;
//! 4. each input the logic tests at its training minimum and maximum and at the next number
//!    outside them (a level code: the first and last level, −2 and one past the last level),
//!    and every input at once at each of these edges. The inputs the logic does not test are
//!    checked only all together, so the number of vectors grows with the logic, not with the
//!    inputs;
//! 5. a sample of held-out rows, evenly spaced.
//!
//! Identical vectors are written once, and none holds an infinity (ST has no literal for one).
//! Expected outputs come from [`BlockLogic`], the block as
//! the PLC runs it (thresholds at their literals' values, comparisons in the inputs' precision),
//! not from the model: at a boundary the two may differ by the literal's rounding, and the PLC
//! must reproduce the block, bit for bit.
//!
//! The SVM's own block has vectors of its own ([`svm_vectors`]): held-out rows, each input missing
//! and at the edges of its range, the model's own outputs expected within the tolerance the block
//! states.

use std::collections::BTreeSet;

use super::ident::comment_text;
use super::plc_eval::{
    BlockLogic, Call, InputCheck, Logic, Node, Outputs, SiteOp, Test, input_checks, inputs_of, round, screen,
};
use super::svm_block::{ExpForm, SvmLogic};
use super::{ExportOptions, ExportPlan, RealType};
use crate::error::{Error, Result};
use crate::model::pipeline::FeatureKind;
use crate::model::{Task, TrainedModel};
use crate::rules::Outcome;

/// Held-out rows in the sample (fewer when there are fewer).
pub const HELD_OUT_SAMPLE: usize = 16;

/// The most vectors one test bench holds (its counters are `INT`).
pub const MAX_VECTORS: usize = 32_767;

/// Where a vector's values came from, or what it checks.
#[derive(Debug, Clone, PartialEq)]
pub enum Purpose {
    /// Reaches a branch (leaf, rule or default rule) of [`BlockLogic::branches`].
    Branch {
        /// The branch.
        branch: usize,
        /// The dataset row it is, if it is one.
        row: Option<usize>,
        /// True for a held-out row, false for a training row (when `row` is given).
        held_out: bool,
    },
    /// Puts one comparison's input at the boundary.
    Boundary {
        /// The comparison, an index into [`BlockLogic::sites`].
        site: usize,
        /// True for the side that is not the constant itself: the next number above a
        /// threshold, or another level than the one compared with.
        beyond: bool,
    },
    /// One input missing, or every input (`None`).
    Missing {
        /// The input.
        feature: Option<usize>,
    },
    /// One input, or every input (`None`), at an edge of its training range or just outside.
    Range {
        /// The input.
        feature: Option<usize>,
        /// Which edge.
        edge: Edge,
    },
    /// A held-out row as it is.
    HeldOut {
        /// Its dataset row.
        row: usize,
    },
}

/// Where an input is put against its training range (a level code: the first or last level,
/// or the unknown codes −2 and one past the last level).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Edge {
    /// The training minimum (the first level).
    Min,
    /// The next value below it (−2).
    BelowMin,
    /// The training maximum (the last level).
    Max,
    /// The next value above it (one past the last level).
    AboveMax,
}

impl Edge {
    /// Every edge.
    pub const ALL: [Self; 4] = [Self::Min, Self::BelowMin, Self::Max, Self::AboveMax];

    /// True for the values outside the range.
    pub fn outside(self) -> bool {
        matches!(self, Self::BelowMin | Self::AboveMax)
    }

    /// The value of an input with `check` at this edge, in the block's precision; `None` when
    /// it has no finite value (a range reaching the largest `REAL`).
    pub fn value(self, logic: &BlockLogic, check: &InputCheck) -> Option<f64> {
        self.value_in(logic.real_type, check)
    }

    /// [`value`](Self::value) for a block in `ty`.
    pub fn value_in(self, ty: RealType, check: &InputCheck) -> Option<f64> {
        let v = match (check.kind, self) {
            (_, Self::Min) => check.low,
            (_, Self::Max) => check.high,
            (FeatureKind::Numeric, Self::BelowMin) => super::plc_eval::next_down(ty, check.low),
            (FeatureKind::Numeric, Self::AboveMax) => super::plc_eval::next_up(ty, check.high),
            (FeatureKind::Categorical, Self::BelowMin) => -2.0,
            (FeatureKind::Categorical, Self::AboveMax) => check.high + 1.0,
        };
        v.is_finite().then_some(v)
    }
}

/// One test vector.
#[derive(Debug, Clone, PartialEq)]
pub struct TestVector {
    /// The inputs as the block receives them, in model feature order: numbers in the block's
    /// precision, NaN for a missing number, level codes (−1 missing) for categories.
    pub inputs: Vec<f64>,
    /// What it checks.
    pub purpose: Purpose,
    /// What it checks, in words safe for a comment.
    pub description: String,
    /// The outputs the block must give.
    pub expected: Outputs,
    /// The branch of [`BlockLogic::branches`] its logic ends in.
    pub branch: usize,
}

impl TestVector {
    /// True when a number input is NaN (the test bench must make a NaN at run time).
    pub fn has_nan(&self) -> bool {
        self.inputs.iter().any(|x| x.is_nan())
    }
}

/// What the vectors cover, counted from what the block did on them.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize)]
pub struct Coverage {
    /// Leaves, or rules and the default rule.
    pub branches: usize,
    /// Of those, how many a vector ends in.
    pub branches_covered: usize,
    /// The branches no vector ends in (a rule no row can reach, shadowed by the rules above it).
    pub uncovered: Vec<String>,
    /// Threshold comparisons in the logic.
    pub thresholds: usize,
    /// Of those, how many are evaluated both at the literal's value and at the next number above.
    pub thresholds_both_sides: usize,
    /// Level-code comparisons in the logic.
    pub level_tests: usize,
    /// Of those, how many are evaluated both true and false.
    pub level_tests_both_ways: usize,
    /// Inputs with a vector where that input is missing.
    pub inputs_missing: usize,
    /// Inputs with a vector where that input is out of range.
    pub inputs_out_of_range: usize,
    /// Held-out rows among the vectors.
    pub held_out_rows: usize,
}

/// The vectors of a block and what they cover.
#[derive(Debug, Clone, PartialEq)]
pub struct TestVectors {
    /// The block's logic the expected outputs come from.
    pub logic: BlockLogic,
    /// The vectors, in the order the test bench runs them.
    pub vectors: Vec<TestVector>,
    /// What they cover.
    pub coverage: Coverage,
}

/// A candidate row: where it came from, its inputs as the block receives them, and the call.
struct Candidate {
    row: usize,
    held_out: bool,
    inputs: Vec<f64>,
    call: Call,
}

/// The test vectors of `plan`'s block as written with `options`.
///
/// # Errors
/// As [`BlockLogic::new`]; or when more than [`MAX_VECTORS`] vectors would be needed.
pub fn vectors(plan: &ExportPlan, options: &ExportOptions) -> Result<TestVectors> {
    let logic = BlockLogic::new(plan, options)?;
    let candidates = candidates(plan, &logic);
    let bases = Bases::find(&logic, &candidates);
    let mut out: Vec<(Vec<f64>, Purpose)> = Vec::new();
    // 1. Every branch.
    for b in 0..logic.branches.len() {
        match bases.branch.get(b).copied().flatten().and_then(|c| candidates.get(c)) {
            Some(cand) => out.push((
                cand.inputs.clone(),
                Purpose::Branch { branch: b, row: Some(cand.row), held_out: cand.held_out },
            )),
            None => {
                if let Some(inputs) = construct(&logic, b) {
                    out.push((inputs, Purpose::Branch { branch: b, row: None, held_out: false }));
                }
            }
        }
    }
    // 2. Both sides of every comparison, from a row that reaches it.
    boundaries(&logic, &candidates, &mut out);
    // 3. and 4. Missing and out-of-range inputs, on a reference row.
    let reference = candidates
        .first()
        .map_or_else(|| logic.checks.iter().map(|c| c.fill).collect::<Vec<_>>(), |c| c.inputs.clone());
    input_faults(&logic, &reference, &mut out);
    // 5. A sample of held-out rows.
    let test = &plan.rows.test;
    let n_test = test.n_rows();
    let k = HELD_OUT_SAMPLE.min(n_test);
    for i in 0..k {
        let r = i * n_test / k;
        let row = plan.rows.test_dataset_rows.get(r).copied().unwrap_or(r);
        out.push((logic.inputs_of(test.row(r)), Purpose::HeldOut { row }));
    }

    // Each distinct vector once, in the order above.
    let mut seen = BTreeSet::new();
    let mut vectors = Vec::new();
    for (inputs, purpose) in out {
        // ST has no literal for an infinity (a value beyond the REAL range becomes one).
        if inputs.iter().any(|x| x.is_infinite()) {
            continue;
        }
        let key: Vec<u64> = inputs.iter().map(|x| if x.is_nan() { f64::NAN.to_bits() } else { x.to_bits() }).collect();
        if !seen.insert(key) {
            continue;
        }
        let call = logic.call(&inputs);
        let description = describe(plan, &logic, &purpose);
        vectors.push(TestVector { inputs, purpose, description, expected: call.outputs, branch: call.branch });
    }
    if vectors.len() > MAX_VECTORS {
        return Err(Error::invalid(format!(
            "the test bench would need {} vectors, more than {MAX_VECTORS}; export a smaller tree or rule set",
            vectors.len()
        )));
    }
    let coverage = coverage(&logic, &vectors);
    Ok(TestVectors { logic, vectors, coverage })
}

/// The candidate rows vectors start from.
struct Bases {
    /// Per branch, the first candidate ending in it.
    branch: Vec<Option<usize>>,
}

impl Bases {
    fn find(logic: &BlockLogic, candidates: &[Candidate]) -> Self {
        let mut branch = vec![None; logic.branches.len()];
        for (c, cand) in candidates.iter().enumerate() {
            if let Some(slot) = branch.get_mut(cand.call.branch)
                && slot.is_none()
            {
                *slot = Some(c);
            }
        }
        Self { branch }
    }
}

/// Rows tried per comparison as a base for its boundary vectors.
const MAX_TRIES: usize = 4096;

/// Vectors putting each comparison's input at the constant and just beyond it. The rest of the
/// row comes from the first candidate that reaches the comparison with either value (in a rule
/// list, setting the input can make an earlier rule decide first): rows the comparison's own
/// rule decides first, then any row that reaches it, then the vectors so far.
fn boundaries(logic: &BlockLogic, candidates: &[Candidate], out: &mut Vec<(Vec<f64>, Purpose)>) {
    let rules = matches!(logic.logic, Logic::Rules(_));
    for (s, site) in logic.sites.iter().enumerate() {
        let other = if site.op.is_threshold() {
            Some(logic.next_up(site.literal)).filter(|x| x.is_finite())
        } else {
            other_level(logic, site.feature, site.literal)
        };
        let values: Vec<(f64, bool)> =
            [(Some(site.literal), false), (other, true)].into_iter().filter_map(|(v, b)| v.map(|v| (v, b))).collect();
        let with = |base: &[f64], x: f64| {
            let mut v = base.to_vec();
            if let Some(slot) = v.get_mut(site.feature) {
                *slot = x;
            }
            v
        };
        let reaches = |v: &[f64]| logic.call(v).evaluated.iter().any(|e| e.0 == s);
        let evaluates = |c: &Candidate| c.call.evaluated.iter().any(|e| e.0 == s);
        let home = |c: &Candidate| !rules || site.place == c.call.branch + 1;
        let from_rows = candidates
            .iter()
            .filter(|c| evaluates(c) && home(c))
            .chain(candidates.iter().filter(|c| evaluates(c) && !home(c)))
            .map(|c| c.inputs.as_slice());
        let mut tries = from_rows.chain(out.iter().map(|(v, _)| v.as_slice())).take(MAX_TRIES);
        // The first base reaching the comparison with every value, else with the most.
        let mut best: Option<(usize, Vec<f64>)> = None;
        for base in tries.by_ref() {
            let n = values.iter().filter(|(x, _)| reaches(&with(base, *x))).count();
            if n > best.as_ref().map_or(0, |b| b.0) {
                best = Some((n, base.to_vec()));
            }
            if n == values.len() {
                break;
            }
        }
        drop(tries);
        let Some((_, base)) = best else { continue };
        for (value, beyond) in values {
            out.push((with(&base, value), Purpose::Boundary { site: s, beyond }));
        }
    }
}

/// Vectors with each input missing, all missing, and each input at the edges of its range and
/// just outside it.
fn input_faults(logic: &BlockLogic, reference: &[f64], out: &mut Vec<(Vec<f64>, Purpose)>) {
    // One input at a time for the inputs the logic tests (the fill or the edge value then takes
    // a path of its own); every input at once for the bits of the others, so the number of
    // vectors grows with the logic, not with the inputs.
    let tested: BTreeSet<usize> = logic.sites.iter().map(|s| s.feature).collect();
    let missing_value = |kind: FeatureKind| match kind {
        FeatureKind::Numeric => f64::NAN,
        FeatureKind::Categorical => -1.0,
    };
    let with = |j: usize, value: f64| {
        let mut v = reference.to_vec();
        if let Some(x) = v.get_mut(j) {
            *x = value;
        }
        v
    };
    for &j in &tested {
        if let Some(check) = logic.checks.get(j) {
            out.push((with(j, missing_value(check.kind)), Purpose::Missing { feature: Some(j) }));
        }
    }
    out.push((logic.checks.iter().map(|c| missing_value(c.kind)).collect(), Purpose::Missing { feature: None }));
    for &j in &tested {
        let Some(check) = logic.checks.get(j) else { continue };
        for edge in Edge::ALL {
            if let Some(value) = edge.value(logic, check) {
                out.push((with(j, value), Purpose::Range { feature: Some(j), edge }));
            }
        }
    }
    for edge in Edge::ALL {
        let v: Vec<f64> = logic.checks.iter().zip(reference).map(|(c, &x)| edge.value(logic, c).unwrap_or(x)).collect();
        out.push((v, Purpose::Range { feature: None, edge }));
    }
}

/// Training rows, then held-out rows, each as the block receives them with its call; within
/// each part, rows without a missing value first.
fn candidates(plan: &ExportPlan, logic: &BlockLogic) -> Vec<Candidate> {
    let rows = &plan.rows;
    let mut out = Vec::with_capacity(rows.train.n_rows() + rows.test.n_rows());
    for (matrix, dataset_rows, held_out) in
        [(&rows.train, &rows.train_dataset_rows, false), (&rows.test, &rows.test_dataset_rows, true)]
    {
        let mut part: Vec<Candidate> = matrix
            .rows()
            .enumerate()
            .filter_map(|(i, raw)| {
                let inputs = logic.inputs_of(raw);
                if inputs.iter().any(|x| x.is_infinite()) {
                    return None;
                }
                let call = logic.call(&inputs);
                Some(Candidate { row: dataset_rows.get(i).copied().unwrap_or(i), held_out, inputs, call })
            })
            .collect();
        // Stable: the data's order within each group.
        part.sort_by_key(|c| c.call.outputs.imputed);
        out.extend(part);
    }
    out
}

/// A level code other than `level` among the feature's known levels, if there is one.
fn other_level(logic: &BlockLogic, feature: usize, level: f64) -> Option<f64> {
    let check = logic.checks.get(feature)?;
    (0..check.n_levels).map(|k| k as f64).find(|&k| k != level)
}

/// Inputs that end in branch `b`, built from the tree path or the rule's conditions, the other
/// inputs at their fills; `None` when the built row ends elsewhere (a shadowed rule).
fn construct(logic: &BlockLogic, b: usize) -> Option<Vec<f64>> {
    let mut inputs: Vec<f64> = logic.checks.iter().map(|c| c.fill).collect();
    // Per feature: (exclusive low, inclusive high, required level, excluded levels).
    let n = inputs.len();
    let mut low = vec![f64::NEG_INFINITY; n];
    let mut high = vec![f64::INFINITY; n];
    let mut equal: Vec<Option<f64>> = vec![None; n];
    let mut not: Vec<Vec<f64>> = vec![Vec::new(); n];
    let mut apply = |site: usize, holds: bool| {
        let Some(s) = logic.sites.get(site) else { return };
        let f = s.feature;
        let (Some(lo), Some(hi), Some(eq), Some(ne)) =
            (low.get_mut(f), high.get_mut(f), equal.get_mut(f), not.get_mut(f))
        else {
            return;
        };
        match (s.op, holds) {
            (SiteOp::AtMost, true) | (SiteOp::Above, false) => *hi = hi.min(s.literal),
            (SiteOp::AtMost, false) | (SiteOp::Above, true) => *lo = lo.max(s.literal),
            (SiteOp::Equal, true) | (SiteOp::NotEqual, false) => *eq = Some(s.literal),
            (SiteOp::Equal, false) | (SiteOp::NotEqual, true) => ne.push(s.literal),
        }
    };
    match &logic.logic {
        Logic::Tree(nodes) => {
            // The path from the root: parents of every node.
            let mut parent: Vec<Option<(usize, bool)>> = vec![None; nodes.len()];
            for (i, node) in nodes.iter().enumerate() {
                if let Node::Split { left, right, .. } = node {
                    if let Some(p) = parent.get_mut(*left) {
                        *p = Some((i, true));
                    }
                    if let Some(p) = parent.get_mut(*right) {
                        *p = Some((i, false));
                    }
                }
            }
            let mut at = nodes.iter().position(|n| *n == Node::Leaf(b))?;
            for _ in 0..nodes.len() {
                let Some((p, went_left)) = parent.get(at).copied().flatten() else { break };
                if let Some(Node::Split { test: Test::Compare(s), .. }) = nodes.get(p) {
                    apply(*s, went_left);
                }
                at = p;
            }
        }
        Logic::Rules(rules) => {
            for clause in rules.get(b)? {
                // One comparison of an `OR` clause is enough; every one of an `AND` clause.
                let tests: Vec<&Test> =
                    if clause.any { clause.tests.iter().take(1).collect() } else { clause.tests.iter().collect() };
                for t in tests {
                    if let Test::Compare(s) = t {
                        apply(*s, true);
                    }
                }
            }
        }
    }
    for (j, x) in inputs.iter_mut().enumerate() {
        let (Some(&lo), Some(&hi), Some(eq), Some(ne), Some(check)) =
            (low.get(j), high.get(j), equal.get(j), not.get(j), logic.checks.get(j))
        else {
            continue;
        };
        match check.kind {
            FeatureKind::Numeric => {
                if !(*x > lo && *x <= hi) {
                    *x = if hi.is_finite() { hi } else { logic.next_up(lo) };
                }
            }
            FeatureKind::Categorical => {
                if let Some(level) = eq {
                    *x = *level;
                } else if ne.contains(x) {
                    *x = (0..check.n_levels).map(|k| k as f64).find(|k| !ne.contains(k))?;
                }
            }
        }
    }
    (logic.call(&inputs).branch == b).then_some(inputs)
}

/// A vector's purpose in words (safe for a comment).
fn describe(plan: &ExportPlan, logic: &BlockLogic, purpose: &Purpose) -> String {
    let name = |j: usize| plan.features.get(j).map_or_else(|| format!("input {}", j + 1), |f| format!("'{}'", f.name));
    let number = |x: f64| super::literal::value_literal(x, logic.real_type).text;
    let text = match purpose {
        Purpose::Branch { branch, row, held_out } => {
            let label = logic.branches.get(*branch).map_or_else(|| "?".to_owned(), super::plc_eval::Branch::label);
            match (row, held_out) {
                (Some(r), false) => format!("{label}: training row {r}"),
                (Some(r), true) => format!("{label}: held-out row {r}"),
                (None, _) => format!("{label}: built from its conditions"),
            }
        }
        Purpose::Boundary { site, beyond } => match logic.sites.get(*site) {
            Some(s) => {
                let place = match logic.logic {
                    Logic::Tree(_) => format!("node {}", s.place),
                    Logic::Rules(_) => format!("rule {}", s.place),
                };
                let value = match (s.op.is_threshold(), beyond) {
                    (true, true) => format!("= {}, the next value above {}", number(logic.next_up(s.literal)), s.text),
                    (false, true) => format!("<> {}", s.text),
                    (_, false) => format!("= {}", s.text),
                };
                format!("{} {value} ({place}: x {} {})", name(s.feature), s.op.symbol(), s.text)
            }
            None => "a comparison".to_owned(),
        },
        Purpose::Missing { .. } | Purpose::Range { .. } | Purpose::HeldOut { .. } => {
            describe_input(plan, logic.real_type, &logic.checks, purpose)
        }
    };
    comment_text(&text)
}

/// The purpose of a vector that puts inputs at an edge, missing, or a held-out row, in words
/// (not yet safe for a comment).
fn describe_input(plan: &ExportPlan, ty: RealType, checks: &[InputCheck], purpose: &Purpose) -> String {
    let name = |j: usize| plan.features.get(j).map_or_else(|| format!("input {}", j + 1), |f| format!("'{}'", f.name));
    let number = |x: f64| super::literal::value_literal(x, ty).text;
    match purpose {
        Purpose::Missing { feature: Some(j) } => format!("{} missing", name(*j)),
        Purpose::Missing { feature: None } => "every input missing".to_owned(),
        Purpose::Range { feature, edge } => {
            let place = match edge {
                Edge::Min => "at its training minimum (first level)",
                Edge::BelowMin => "just below its training minimum (level code -2)",
                Edge::Max => "at its training maximum (last level)",
                Edge::AboveMax => "just above its training maximum (one past the last level)",
            };
            match feature.and_then(|j| checks.get(j).map(|c| (j, c))) {
                Some((j, check)) => {
                    let v = match (check.kind, edge.value_in(ty, check)) {
                        (FeatureKind::Numeric, Some(x)) => number(x),
                        (FeatureKind::Categorical, Some(x)) => format!("level code {x}"),
                        (_, None) => "?".to_owned(),
                    };
                    format!("{} = {v}, {place}", name(j))
                }
                None => format!("every input {place}"),
            }
        }
        Purpose::HeldOut { row } => format!("held-out row {row}"),
        Purpose::Branch { .. } | Purpose::Boundary { .. } => String::new(),
    }
}

/// Held-out rows in the sample of an SVM block's test bench (fewer when there are fewer).
pub const SVM_HELD_OUT_SAMPLE: usize = 32;

/// One vector of the test bench of the SVM's own block.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelVector {
    /// The inputs as the block receives them (see [`TestVector::inputs`]).
    pub inputs: Vec<f64>,
    /// What it checks: a held-out row, an input missing or at an edge of its range.
    pub purpose: Purpose,
    /// What it checks and what it expects, in words safe for a comment.
    pub description: String,
    /// The outputs expected: the model's own decision and probability (regression: value) for
    /// the inputs as the block receives them, or the safe default when an input is out of range.
    pub expected: Outputs,
}

impl ModelVector {
    /// True when a number input is NaN.
    pub fn has_nan(&self) -> bool {
        self.inputs.iter().any(|x| x.is_nan())
    }
}

/// The vectors of the test bench of the SVM's own block.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelVectors {
    /// `REAL` or `LREAL`.
    pub real_type: RealType,
    /// The tolerance the block states: `Confidence` (regression: `Prediction`) is compared as
    /// `ABS(a - b) <= tolerance`.
    pub tolerance: f64,
    /// The vectors, in the order the bench runs them.
    pub vectors: Vec<ModelVector>,
    /// Candidates left out because the model's two most probable classes lie within twice the
    /// tolerance there (the block may then pick the other class, rightly).
    pub close_calls: usize,
    /// Candidates left out because the block, as the engine runs it in the PLC's arithmetic,
    /// lies beyond the tolerance there (none on the rows the block was measured on).
    pub beyond: usize,
    /// Held-out rows among the vectors.
    pub held_out_rows: usize,
}

/// What becomes of a candidate vector.
enum Verdict {
    /// Kept, with these expected outputs.
    Keep(Outputs),
    /// The model's two most probable classes lie within twice the tolerance.
    Close,
    /// The block's arithmetic lies beyond the tolerance.
    Beyond,
}

/// What a candidate vector of the SVM block is judged by.
struct Judge<'a> {
    plan: &'a ExportPlan,
    logic: &'a SvmLogic,
    model: &'a TrainedModel,
    checks: &'a [InputCheck],
    ty: RealType,
    tolerance: f64,
    form: ExpForm,
    /// `Prediction` when an input is out of range.
    safe: f64,
}

impl Judge<'_> {
    /// `|a - b| <= tolerance` as the bench computes it, in its type.
    #[allow(clippy::cast_possible_truncation)] // the comparison the bench makes, in REAL
    fn within(&self, a: f64, b: f64) -> bool {
        match self.ty {
            RealType::Real => ((a as f32) - (b as f32)).abs() <= self.tolerance as f32,
            RealType::Lreal => (a - b).abs() <= self.tolerance,
        }
    }

    /// Keeps a vector with the model's outputs, or says why not.
    fn verdict(&self, inputs: &[f64]) -> Verdict {
        let s = screen(self.checks, inputs);
        let mut out = Outputs {
            prediction: self.safe,
            second: 0.0,
            valid: s.valid,
            imputed: s.imputed,
            missing: s.missing.clone(),
            out_of_range: s.out_of_range.clone(),
        };
        if !s.valid {
            return Verdict::Keep(out);
        }
        let (decision, second) = match self.ty {
            RealType::Real => self.logic.eval_with::<f32>(&s.used, self.form),
            RealType::Lreal => self.logic.eval_with::<f64>(&s.used, self.form),
        };
        let p = self.model.predict_row(&s.used);
        match self.plan.task {
            Task::Classification => {
                let mut sorted = p.probabilities.clone();
                sorted.sort_by(|a, b| b.total_cmp(a));
                let gap = sorted.first().copied().unwrap_or(0.0) - sorted.get(1).copied().unwrap_or(0.0);
                if gap <= 2.0 * self.tolerance {
                    return Verdict::Close;
                }
                #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // a class index
                let probability = round(self.ty, p.probabilities.get(p.value as usize).copied().unwrap_or(0.0));
                if decision != p.value || !self.within(second, probability) {
                    return Verdict::Beyond;
                }
                out.prediction = p.value;
                out.second = probability;
            }
            Task::Regression => {
                let value = round(self.ty, p.value);
                if !self.within(decision, value) {
                    return Verdict::Beyond;
                }
                out.prediction = value;
                out.second = second;
            }
        }
        Verdict::Keep(out)
    }
}

/// What an SVM block's vector checks and expects, in words safe for a comment.
fn describe_model_vector(
    plan: &ExportPlan,
    ty: RealType,
    checks: &[InputCheck],
    purpose: &Purpose,
    expected: &Outputs,
) -> String {
    let number = |x: f64| super::literal::value_literal(x, ty).text;
    let what = describe_input(plan, ty, checks, purpose);
    let expects = match (expected.valid, plan.task) {
        (false, _) => "out of range: the safe default".to_owned(),
        (true, Task::Classification) => {
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // a class index
            let class = plan.classes.get(expected.prediction as usize).map_or("?", String::as_str);
            format!("class {} ('{class}'), probability {}", expected.prediction, number(expected.second))
        }
        (true, Task::Regression) => number(expected.prediction),
    };
    comment_text(&format!("{what}; expects {expects}"))
}

/// The test vectors of the SVM's own block: held-out rows sampled evenly (up to
/// [`SVM_HELD_OUT_SAMPLE`], each the first row of its stretch that qualifies), then on a reference
/// row each input missing, at its training minimum and maximum and just outside them, and every
/// input at once in each of these ways. The expected outputs are the model's own; a candidate is
/// left out where the model's two most probable classes lie within twice `tolerance`, or where
/// the block (run as [`SvmLogic::eval_with`] runs it in the PLC's arithmetic, `e^x` in `form`)
/// lies beyond `tolerance` of the model.
///
/// # Errors
/// A bad safe default, or more than [`MAX_VECTORS`] vectors.
pub fn svm_vectors(
    plan: &ExportPlan,
    logic: &SvmLogic,
    model: &TrainedModel,
    tolerance: f64,
    form: ExpForm,
    options: &ExportOptions,
) -> Result<ModelVectors> {
    let ty = options.real_type;
    let checks = input_checks(plan, ty);
    let safe = match plan.safe_default(options)? {
        Outcome::Class { index } => index as f64,
        Outcome::Value { value } => round(ty, value),
    };
    let judge = Judge { plan, logic, model, checks: &checks, ty, tolerance, form, safe };
    let (mut close_calls, mut beyond) = (0, 0);
    let mut kept: Vec<(Vec<f64>, Purpose, Outputs)> = Vec::new();
    let mut seen = BTreeSet::new();
    let mut consider = |inputs: Vec<f64>, purpose: Purpose| -> bool {
        if inputs.iter().any(|x| x.is_infinite()) {
            return false;
        }
        let key: Vec<u64> = inputs.iter().map(|x| if x.is_nan() { f64::NAN.to_bits() } else { x.to_bits() }).collect();
        if seen.contains(&key) {
            return true;
        }
        match judge.verdict(&inputs) {
            Verdict::Keep(out) => {
                seen.insert(key);
                kept.push((inputs, purpose, out));
                true
            }
            Verdict::Close => {
                close_calls += 1;
                false
            }
            Verdict::Beyond => {
                beyond += 1;
                false
            }
        }
    };
    // Held-out rows, evenly spaced: the first row of each stretch that qualifies.
    let test = &plan.rows.test;
    let n_test = test.n_rows();
    let k = SVM_HELD_OUT_SAMPLE.min(n_test);
    let mut reference: Option<Vec<f64>> = None;
    for i in 0..k {
        for r in i * n_test / k..(i + 1) * n_test / k {
            let inputs = inputs_of(&checks, ty, test.row(r));
            let row = plan.rows.test_dataset_rows.get(r).copied().unwrap_or(r);
            if consider(inputs.clone(), Purpose::HeldOut { row }) {
                let complete = screen(&checks, &inputs);
                if reference.is_none() && complete.valid && !complete.imputed {
                    reference = Some(inputs);
                }
                break;
            }
        }
    }
    // Each input, then every input, missing and at the edges of its range.
    let reference = reference.unwrap_or_else(|| checks.iter().map(|c| c.fill).collect());
    let missing_value = |kind: FeatureKind| match kind {
        FeatureKind::Numeric => f64::NAN,
        FeatureKind::Categorical => -1.0,
    };
    let with = |j: usize, value: f64| {
        let mut v = reference.clone();
        if let Some(x) = v.get_mut(j) {
            *x = value;
        }
        v
    };
    for (j, check) in checks.iter().enumerate() {
        consider(with(j, missing_value(check.kind)), Purpose::Missing { feature: Some(j) });
        for edge in Edge::ALL {
            if let Some(value) = edge.value_in(ty, check) {
                consider(with(j, value), Purpose::Range { feature: Some(j), edge });
            }
        }
    }
    consider(checks.iter().map(|c| missing_value(c.kind)).collect(), Purpose::Missing { feature: None });
    for edge in Edge::ALL {
        let v: Vec<f64> = checks.iter().zip(&reference).map(|(c, &x)| edge.value_in(ty, c).unwrap_or(x)).collect();
        consider(v, Purpose::Range { feature: None, edge });
    }
    if kept.len() > MAX_VECTORS {
        return Err(Error::invalid(format!(
            "the test bench would need {} vectors, more than {MAX_VECTORS}",
            kept.len()
        )));
    }
    let vectors: Vec<ModelVector> = kept
        .into_iter()
        .map(|(inputs, purpose, expected)| {
            let description = describe_model_vector(plan, ty, &checks, &purpose, &expected);
            ModelVector { inputs, purpose, description, expected }
        })
        .collect();
    let held_out_rows = vectors.iter().filter(|v| matches!(v.purpose, Purpose::HeldOut { .. })).count();
    Ok(ModelVectors { real_type: ty, tolerance, vectors, close_calls, beyond, held_out_rows })
}

/// What `vectors` cover, from the block's own calls on them.
fn coverage(logic: &BlockLogic, vectors: &[TestVector]) -> Coverage {
    let n_sites = logic.sites.len();
    let mut at = vec![false; n_sites];
    let mut beyond = vec![false; n_sites];
    let mut hit = vec![false; logic.branches.len()];
    let mut missing = BTreeSet::new();
    let mut outside = BTreeSet::new();
    for v in vectors {
        let call = logic.call(&v.inputs);
        if let Some(h) = hit.get_mut(call.branch) {
            *h = true;
        }
        for (s, x) in call.evaluated {
            let Some(site) = logic.sites.get(s) else { continue };
            let (a, b) = if site.op.is_threshold() {
                (x == site.literal, x == logic.next_up(site.literal))
            } else {
                (site.holds(x), !site.holds(x))
            };
            if a && let Some(f) = at.get_mut(s) {
                *f = true;
            }
            if b && let Some(f) = beyond.get_mut(s) {
                *f = true;
            }
        }
        for j in 0..logic.checks.len() {
            let bit = 1u32 << (j % super::pou::MASK_BITS);
            let word = j / super::pou::MASK_BITS;
            if v.expected.missing.get(word).is_some_and(|m| m & bit != 0) {
                missing.insert(j);
            }
            if v.expected.out_of_range.get(word).is_some_and(|m| m & bit != 0) {
                outside.insert(j);
            }
        }
    }
    let both = |threshold: bool| {
        logic
            .sites
            .iter()
            .enumerate()
            .filter(|(s, site)| {
                site.op.is_threshold() == threshold && at.get(*s) == Some(&true) && beyond.get(*s) == Some(&true)
            })
            .count()
    };
    Coverage {
        branches: logic.branches.len(),
        branches_covered: hit.iter().filter(|h| **h).count(),
        uncovered: logic.branches.iter().zip(&hit).filter(|(_, h)| !**h).map(|(b, _)| b.label()).collect(),
        thresholds: logic.sites.iter().filter(|s| s.op.is_threshold()).count(),
        thresholds_both_sides: both(true),
        level_tests: logic.sites.iter().filter(|s| !s.op.is_threshold()).count(),
        level_tests_both_ways: both(false),
        inputs_missing: missing.len(),
        inputs_out_of_range: outside.len(),
        held_out_rows: vectors.iter().filter(|v| matches!(v.purpose, Purpose::HeldOut { .. })).count(),
    }
}
