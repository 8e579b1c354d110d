//! The exported function block as the PLC runs it, evaluated here: the same input checks, the
//! same tree or rule list with every threshold at the value of the literal written for it (a
//! `REAL` literal is a 32-bit number that may lie a little off the model's threshold, see
//! [`literal`](super::literal)), and the same outputs.
//!
//! Inputs are given as the block receives them: numbers already in the block's precision
//! (values of `f32` for `REAL`), NaN for a missing number, level codes for categories (−1 when
//! missing); [`BlockLogic::inputs_of`] turns a raw data row into that. A `REAL` comparison in
//! the PLC compares two `f32` values exactly; widened to `f64` they compare the same way, so
//! evaluating in `f64` here decides as the PLC does, boundary values included.
//!
//! Two things are built on it, which is why it follows the statements [`pou`](super::pou)
//! writes one by one: the expected outputs of the test bench ([`vectors`](super::vectors)),
//! which must be what the PLC computes rather than what the model computes in 64 bits; and the
//! operation counts of the cost report ([`cost`](super::cost), which states the counting rules),
//! taken statement by statement along the way a call goes.

use serde::Serialize;

use super::literal::{RealType, threshold_literal, value_literal};
use super::pou::{MASK_BITS, leaf_rule_number};
use super::{ExportOptions, ExportPlan, LogicSource, RawNode};
use crate::error::{Error, Result};
use crate::model::Task;
use crate::model::pipeline::FeatureKind;
use crate::rules::extract::RawSplit;
use crate::rules::{Condition, Outcome};

/// Operations of one call (or their sum over several), counted by the rules [`cost`](super::cost)
/// states: relational operators, `AND`/`OR`/`NOT` (Boolean or bitwise), arithmetic, stores, and
/// `IF`/`ELSIF` tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Ops {
    /// `<=`, `<`, `>`, `=`, `<>` evaluated.
    pub comparisons: u64,
    /// `AND`, `OR`, `NOT` evaluated, on `BOOL` or on `DWORD` bit masks.
    pub logic: u64,
    /// `+`, `-`, `*`, `/` evaluated (the tree and rule blocks have none).
    pub arithmetic: u64,
    /// Assignments executed.
    pub assignments: u64,
    /// `IF` and `ELSIF` conditions tested (each a conditional jump).
    pub branches: u64,
}

impl Ops {
    /// Every operation counted.
    pub fn total(&self) -> u64 {
        self.comparisons + self.logic + self.arithmetic + self.assignments + self.branches
    }

    /// The sum of two counts.
    pub fn plus(self, o: Self) -> Self {
        Self {
            comparisons: self.comparisons + o.comparisons,
            logic: self.logic + o.logic,
            arithmetic: self.arithmetic + o.arithmetic,
            assignments: self.assignments + o.assignments,
            branches: self.branches + o.branches,
        }
    }

    /// The costlier of two counts by total, then by comparisons.
    pub fn costlier(self, o: Self) -> Self {
        if (o.total(), o.comparisons) > (self.total(), self.comparisons) { o } else { self }
    }

    fn new(comparisons: u64, logic: u64, assignments: u64, branches: u64) -> Self {
        Self { comparisons, logic, arithmetic: 0, assignments, branches }
    }
}

/// How the block checks one input.
#[derive(Debug, Clone, PartialEq)]
pub struct InputCheck {
    /// A number or a level code.
    pub kind: FeatureKind,
    /// The training fill a missing input takes, as the PLC holds it.
    pub fill: f64,
    /// The smallest value inside the training range, as the PLC holds it (0 for a level code).
    pub low: f64,
    /// The largest value inside the training range (the last level code).
    pub high: f64,
    /// Number of levels of a category (0 for a number).
    pub n_levels: usize,
}

/// The operator of a comparison in the logic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum SiteOp {
    /// `x <= threshold` (a tree split, a rule's upper bound).
    AtMost,
    /// `x > threshold` (a rule's lower bound).
    Above,
    /// `x = level` (a rule's `In` condition).
    Equal,
    /// `x <> level` (a tree split on a category, a rule's `NotIn` condition).
    NotEqual,
}

impl SiteOp {
    /// True for a threshold on a number (`<=`, `>`), false for a level code (`=`, `<>`).
    pub fn is_threshold(self) -> bool {
        matches!(self, Self::AtMost | Self::Above)
    }

    /// The operator as ST writes it.
    pub fn symbol(self) -> &'static str {
        match self {
            Self::AtMost => "<=",
            Self::Above => ">",
            Self::Equal => "=",
            Self::NotEqual => "<>",
        }
    }
}

/// One comparison of an input with a constant written in the block's logic: a threshold or a
/// level code.
#[derive(Debug, Clone, PartialEq)]
pub struct Site {
    /// The feature compared.
    pub feature: usize,
    /// The number the PLC compares with: the threshold literal's value, or the level code.
    pub literal: f64,
    /// The constant as written, e.g. `REAL#61.65` or `2`.
    pub text: String,
    /// The operator.
    pub op: SiteOp,
    /// Where it is: the tree node (tree) or the rule number (rules).
    pub place: usize,
}

/// One test of the logic.
#[derive(Debug, Clone, PartialEq)]
pub enum Test {
    /// A comparison, by its index into [`BlockLogic::sites`].
    Compare(usize),
    /// `TRUE` or `FALSE` written as such.
    Constant(bool),
}

/// A node of the tree as the block writes it.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    /// `IF test THEN left ELSE right`.
    Split {
        /// The test.
        test: Test,
        /// Node taken when it holds.
        left: usize,
        /// Node taken otherwise.
        right: usize,
    },
    /// A leaf: the branch of [`BlockLogic::branches`] it assigns.
    Leaf(usize),
}

/// One condition of a rule: comparisons joined by `AND` (`any` false) or by `OR` (`any` true);
/// no comparisons means the constant `any` stands for (`FALSE` for an empty `OR`, `TRUE` for an
/// empty `AND`).
#[derive(Debug, Clone, PartialEq)]
pub struct Clause {
    /// The comparisons.
    pub tests: Vec<Test>,
    /// Joined by `OR` when true, by `AND` when false.
    pub any: bool,
}

/// The logic after the input checks.
#[derive(Debug, Clone, PartialEq)]
pub enum Logic {
    /// Nested `IF`/`ELSIF`/`ELSE`; node 0 is the root.
    Tree(Vec<Node>),
    /// `IF rule 1 ELSIF rule 2 … ELSE default`: rule `i` assigns branch `i`, the default the
    /// last branch.
    Rules(Vec<Vec<Clause>>),
}

/// One way the logic can end: a leaf, a rule or the default rule.
#[derive(Debug, Clone, PartialEq)]
pub struct Branch {
    /// The rule's number as the Rules panel shows it (from 1); `None` for the default rule.
    pub rule: Option<usize>,
    /// The tree leaf (tree logic).
    pub leaf: Option<usize>,
    /// The decision it assigns, as the PLC holds it (a class index, or a value).
    pub prediction: f64,
    /// The second output it assigns (confidence or spread), as the PLC holds it.
    pub second: f64,
}

impl Branch {
    /// `rule 3, leaf 12`, `rule 3` or `default rule`, as the code comments name it.
    pub fn label(&self) -> String {
        match (self.rule, self.leaf) {
            (Some(k), Some(l)) => format!("rule {k}, leaf {l}"),
            (Some(k), None) => format!("rule {k}"),
            (None, Some(l)) => format!("leaf {l}"),
            (None, None) => "default rule".to_owned(),
        }
    }
}

/// The block's outputs after a call.
#[derive(Debug, Clone, PartialEq)]
pub struct Outputs {
    /// `Prediction`: a class index or a value, as the PLC holds it.
    pub prediction: f64,
    /// `Confidence` or `Spread`.
    pub second: f64,
    /// `Valid`.
    pub valid: bool,
    /// `Imputed`.
    pub imputed: bool,
    /// `Missing`, `Missing2`, …
    pub missing: Vec<u32>,
    /// `OutOfRange`, `OutOfRange2`, …
    pub out_of_range: Vec<u32>,
}

/// What one call did.
#[derive(Debug, Clone, PartialEq)]
pub struct Call {
    /// The outputs.
    pub outputs: Outputs,
    /// The branch the logic ended in, an index into [`BlockLogic::branches`].
    pub branch: usize,
    /// The operations executed.
    pub ops: Ops,
    /// Every comparison of the logic evaluated: (site, the value compared).
    pub evaluated: Vec<(usize, f64)>,
}

/// The block's logic as the PLC runs it.
#[derive(Debug, Clone, PartialEq)]
pub struct BlockLogic {
    /// `REAL` or `LREAL`.
    pub real_type: RealType,
    /// Classification or regression.
    pub task: Task,
    /// One check per input, in model feature order.
    pub checks: Vec<InputCheck>,
    /// The tree or the rules.
    pub logic: Logic,
    /// Every leaf (tree) or every rule and then the default rule (rules), in code order.
    pub branches: Vec<Branch>,
    /// Every comparison of an input with a constant in the logic, in code order.
    pub sites: Vec<Site>,
    /// `Prediction` when `Valid` is FALSE.
    pub safe_prediction: f64,
}

/// Deepest path followed (a guard; the tree was already checked when the plan was made).
const MAX_STEPS: usize = 4096;

impl Site {
    /// Whether the comparison holds for the value `x` (as the PLC holds it).
    pub fn holds(&self, x: f64) -> bool {
        match self.op {
            SiteOp::AtMost => x <= self.literal,
            SiteOp::Above => x > self.literal,
            SiteOp::Equal => x == self.literal,
            SiteOp::NotEqual => x != self.literal,
        }
    }
}

/// How the block checks each of `plan`'s inputs in `ty`: the same checks for every block of the
/// plan, whatever its logic (tree, rules or the SVM itself).
pub fn input_checks(plan: &ExportPlan, ty: RealType) -> Vec<InputCheck> {
    let real = |v: f64| value_literal(v, ty).value;
    plan.features
        .iter()
        .map(|f| match f.kind {
            FeatureKind::Numeric => {
                InputCheck { kind: f.kind, fill: real(f.fill), low: real(f.min), high: real(f.max), n_levels: 0 }
            }
            FeatureKind::Categorical => InputCheck {
                kind: f.kind,
                fill: f.fill.max(0.0).floor(),
                low: 0.0,
                high: f.levels.len().saturating_sub(1) as f64,
                n_levels: f.levels.len(),
            },
        })
        .collect()
}

/// A raw data row as a block with `checks` in `ty` receives it: numbers rounded to `ty` (NaN
/// stays NaN), category codes with −1 for a missing one.
pub fn inputs_of(checks: &[InputCheck], ty: RealType, raw: &[f64]) -> Vec<f64> {
    checks
        .iter()
        .enumerate()
        .map(|(j, c)| {
            let x = raw.get(j).copied().unwrap_or(f64::NAN);
            match c.kind {
                FeatureKind::Numeric => round(ty, x),
                FeatureKind::Categorical if x.is_nan() => -1.0,
                FeatureKind::Categorical => x,
            }
        })
        .collect()
}

/// `x` in `ty`'s precision.
pub fn round(ty: RealType, x: f64) -> f64 {
    match ty {
        #[allow(clippy::cast_possible_truncation)] // rounding to REAL is the point
        RealType::Real => f64::from(x as f32),
        RealType::Lreal => x,
    }
}

/// The next number above `x` (a value of `ty`) in `ty`.
pub fn next_up(ty: RealType, x: f64) -> f64 {
    match ty {
        #[allow(clippy::cast_possible_truncation)] // x is already a REAL value
        RealType::Real => f64::from((x as f32).next_up()),
        RealType::Lreal => x.next_up(),
    }
}

/// The next number below `x` (a value of `ty`) in `ty`.
pub fn next_down(ty: RealType, x: f64) -> f64 {
    match ty {
        #[allow(clippy::cast_possible_truncation)] // x is already a REAL value
        RealType::Real => f64::from((x as f32).next_down()),
        RealType::Lreal => x.next_down(),
    }
}

/// What the input checks every block starts with make of its inputs.
#[derive(Debug, Clone, PartialEq)]
pub struct Screened {
    /// The values the logic reads: the inputs, or their fills where missing.
    pub used: Vec<f64>,
    /// `Valid`: no input out of range.
    pub valid: bool,
    /// `Imputed`: an input was missing.
    pub imputed: bool,
    /// `Missing`, `Missing2`, …
    pub missing: Vec<u32>,
    /// `OutOfRange`, …
    pub out_of_range: Vec<u32>,
}

/// Runs the input checks on inputs as the block receives them (see [`inputs_of`]).
pub fn screen(checks: &[InputCheck], inputs: &[f64]) -> Screened {
    let words = checks.len().div_ceil(MASK_BITS).max(1);
    let mut s = Screened {
        used: Vec::with_capacity(checks.len()),
        valid: true,
        imputed: false,
        missing: vec![0; words],
        out_of_range: vec![0; words],
    };
    for (j, c) in checks.iter().enumerate() {
        let x = inputs.get(j).copied().unwrap_or(f64::NAN);
        let (word, bit) = (j / MASK_BITS, 1u32 << (j % MASK_BITS));
        let is_missing = match c.kind {
            FeatureKind::Numeric => x.is_nan(),
            FeatureKind::Categorical => x == -1.0,
        };
        if is_missing {
            s.used.push(c.fill);
            if let Some(m) = s.missing.get_mut(word) {
                *m |= bit;
            }
        } else {
            s.used.push(x);
            if (x < c.low || x > c.high)
                && let Some(m) = s.out_of_range.get_mut(word)
            {
                *m |= bit;
            }
        }
    }
    s.imputed = s.missing.iter().any(|&m| m != 0);
    s.valid = s.out_of_range.iter().all(|&m| m == 0);
    s
}

impl BlockLogic {
    /// The logic of `plan`'s block as written with `options`.
    ///
    /// # Errors
    /// A bad safe default, or (with `REAL`) a threshold no 32-bit literal can place between two
    /// seen values, as [`pou::build`](super::pou::build) reports it.
    pub fn new(plan: &ExportPlan, options: &ExportOptions) -> Result<Self> {
        let ty = options.real_type;
        let real = |v: f64| value_literal(v, ty).value;
        let safe_prediction = match plan.safe_default(options)? {
            Outcome::Class { index } => index as f64,
            Outcome::Value { value } => real(value),
        };
        let checks = input_checks(plan, ty);
        let mut b = Builder { plan, ty, sites: Vec::new(), branches: Vec::new(), conflicts: 0 };
        let logic = match plan.logic {
            LogicSource::Tree => Logic::Tree(b.tree()?),
            LogicSource::Rules => Logic::Rules(b.rules()),
        };
        if b.conflicts > 0 {
            return Err(Error::invalid(format!(
                "{} thresholds cannot be written as REAL literals that decide as the model does; export with LREAL \
                 inputs instead",
                b.conflicts
            )));
        }
        Ok(Self {
            real_type: ty,
            task: plan.task,
            checks,
            logic,
            branches: b.branches,
            sites: b.sites,
            safe_prediction,
        })
    }

    /// Number of bit-mask words per mask output (`Missing`, `Missing2`, …).
    pub fn mask_words(&self) -> usize {
        self.checks.len().div_ceil(MASK_BITS).max(1)
    }

    /// A raw data row as the block receives it: numbers rounded to the block's precision
    /// (NaN stays NaN), category codes with −1 for a missing one.
    pub fn inputs_of(&self, raw: &[f64]) -> Vec<f64> {
        inputs_of(&self.checks, self.real_type, raw)
    }

    /// A number in the block's precision.
    pub fn round(&self, x: f64) -> f64 {
        round(self.real_type, x)
    }

    /// The next number above `x` in the block's precision.
    pub fn next_up(&self, x: f64) -> f64 {
        next_up(self.real_type, x)
    }

    /// The next number below `x` in the block's precision.
    pub fn next_down(&self, x: f64) -> f64 {
        next_down(self.real_type, x)
    }

    /// Runs the block on inputs as it receives them (see [`inputs_of`](Self::inputs_of)).
    pub fn call(&self, inputs: &[f64]) -> Call {
        let words = self.mask_words();
        let mut ops = Ops::new(0, 0, 2 * words as u64, 0);
        let mut missing = vec![0u32; words];
        let mut out_of_range = vec![0u32; words];
        let mut used = Vec::with_capacity(self.checks.len());
        for (j, c) in self.checks.iter().enumerate() {
            let x = inputs.get(j).copied().unwrap_or(f64::NAN);
            let (word, bit) = (j / MASK_BITS, 1u32 << (j % MASK_BITS));
            // IF x <> x (or x = -1) THEN
            ops = ops.plus(Ops::new(1, 0, 0, 1));
            let is_missing = match c.kind {
                FeatureKind::Numeric => x.is_nan(),
                FeatureKind::Categorical => x == -1.0,
            };
            if is_missing {
                // used := fill; mask := mask OR bit;
                ops = ops.plus(Ops::new(0, 1, 2, 0));
                used.push(c.fill);
                if let Some(m) = missing.get_mut(word) {
                    *m |= bit;
                }
            } else {
                // used := x; IF (x < low) OR (x > high) THEN
                ops = ops.plus(Ops::new(2, 1, 1, 1));
                used.push(x);
                if x < c.low || x > c.high {
                    // mask := mask OR bit;
                    ops = ops.plus(Ops::new(0, 1, 1, 0));
                    if let Some(m) = out_of_range.get_mut(word) {
                        *m |= bit;
                    }
                }
            }
        }
        // Imputed := (Missing <> 0) OR …; Valid := (OutOfRange = 0) AND …;
        let w = words as u64;
        ops = ops.plus(Ops::new(2 * w, 2 * (w - 1), 2, 0));
        let imputed = missing.iter().any(|&m| m != 0);
        let valid = out_of_range.iter().all(|&m| m == 0);

        let mut evaluated = Vec::new();
        let (branch, logic_ops) = self.decide(&used, &mut evaluated);
        // IF Valid THEN Prediction := …; second := …;
        ops = ops.plus(logic_ops).plus(Ops::new(0, 0, 2, 1));
        let (prediction, second) = match self.branches.get(branch) {
            Some(b) if valid => (b.prediction, b.second),
            _ => (self.safe_prediction, 0.0),
        };
        Call { outputs: Outputs { prediction, second, valid, imputed, missing, out_of_range }, branch, ops, evaluated }
    }

    /// The outcome of a test on the used values, recording the comparison.
    fn test(&self, t: &Test, used: &[f64], evaluated: &mut Vec<(usize, f64)>) -> bool {
        match *t {
            Test::Compare(s) => {
                let Some(site) = self.sites.get(s) else { return false };
                let x = used.get(site.feature).copied().unwrap_or(f64::NAN);
                evaluated.push((s, x));
                site.holds(x)
            }
            Test::Constant(c) => c,
        }
    }

    /// The branch the logic ends in for the used (filled-in) values, and the operations on the
    /// way (tests and the two assignments of the branch).
    fn decide(&self, used: &[f64], evaluated: &mut Vec<(usize, f64)>) -> (usize, Ops) {
        let mut ops = Ops::default();
        match &self.logic {
            Logic::Tree(nodes) => {
                let mut i = 0;
                for _ in 0..MAX_STEPS {
                    match nodes.get(i) {
                        Some(Node::Split { test, left, right }) => {
                            ops = ops.plus(test_ops(test)).plus(Ops::new(0, 0, 0, 1));
                            i = if self.test(test, used, evaluated) { *left } else { *right };
                        }
                        Some(Node::Leaf(b)) => return (*b, ops.plus(Ops::new(0, 0, 2, 0))),
                        None => break,
                    }
                }
                (0, ops)
            }
            Logic::Rules(rules) => {
                for (i, clauses) in rules.iter().enumerate() {
                    ops = ops.plus(rule_ops(clauses)).plus(Ops::new(0, 0, 0, 1));
                    // Every comparison is evaluated: IEC AND/OR do not short-circuit.
                    let mut holds = true;
                    for c in clauses {
                        let results: Vec<bool> = c.tests.iter().map(|t| self.test(t, used, evaluated)).collect();
                        let clause = if c.any { results.contains(&true) } else { !results.contains(&false) };
                        holds &= clause;
                    }
                    if holds {
                        return (i, ops.plus(Ops::new(0, 0, 2, 0)));
                    }
                }
                (rules.len(), ops.plus(Ops::new(0, 0, 2, 0)))
            }
        }
    }

    /// The operations of the input checks along each way one input can go: missing, present
    /// and inside its range, present and outside it.
    pub fn input_check_ways() -> [Ops; 3] {
        [Ops::new(1, 1, 2, 1), Ops::new(3, 1, 1, 2), Ops::new(3, 2, 2, 2)]
    }

    /// The operations outside the inputs' checks and the logic: clearing the masks, `Imputed`,
    /// `Valid`, and the validity check that sets the outputs.
    pub fn fixed_ops(&self) -> Ops {
        let w = self.mask_words() as u64;
        Ops::new(2 * w, 2 * (w - 1), 2 * w + 2 + 2, 1)
    }

    /// The operations of the logic (tests and the branch's assignments) on the way to each
    /// branch, by branch; `None` for a branch the code cannot reach.
    pub fn branch_ops(&self) -> Vec<Option<Ops>> {
        let mut out = vec![None; self.branches.len()];
        match &self.logic {
            Logic::Tree(nodes) => {
                let mut stack = vec![(0usize, Ops::default(), 0usize)];
                while let Some((i, ops, depth)) = stack.pop() {
                    if depth > MAX_STEPS {
                        continue;
                    }
                    match nodes.get(i) {
                        Some(Node::Split { test, left, right }) => {
                            let here = ops.plus(test_ops(test)).plus(Ops::new(0, 0, 0, 1));
                            stack.push((*right, here, depth + 1));
                            stack.push((*left, here, depth + 1));
                        }
                        Some(Node::Leaf(b)) => {
                            if let Some(slot) = out.get_mut(*b) {
                                *slot = Some(ops.plus(Ops::new(0, 0, 2, 0)));
                            }
                        }
                        None => {}
                    }
                }
            }
            Logic::Rules(rules) => {
                let mut ops = Ops::default();
                for (i, clauses) in rules.iter().enumerate() {
                    ops = ops.plus(rule_ops(clauses)).plus(Ops::new(0, 0, 0, 1));
                    if let Some(slot) = out.get_mut(i) {
                        *slot = Some(ops.plus(Ops::new(0, 0, 2, 0)));
                    }
                }
                if let Some(slot) = out.get_mut(rules.len()) {
                    *slot = Some(ops.plus(Ops::new(0, 0, 2, 0)));
                }
            }
        }
        out
    }
}

/// Comparisons of one test.
fn test_ops(t: &Test) -> Ops {
    match t {
        Test::Compare(_) => Ops::new(1, 0, 0, 0),
        Test::Constant(_) => Ops::default(),
    }
}

/// Comparisons and `AND`/`OR` of a rule's condition (without its `IF`/`ELSIF` test).
fn rule_ops(clauses: &[Clause]) -> Ops {
    let mut ops = Ops::new(0, clauses.len().saturating_sub(1) as u64, 0, 0);
    for c in clauses {
        let n = c.tests.iter().filter(|t| !matches!(t, Test::Constant(_))).count() as u64;
        ops = ops.plus(Ops::new(n, n.saturating_sub(1), 0, 0));
    }
    ops
}

/// Builds the logic, with literals chosen as [`pou`](super::pou) chooses them.
struct Builder<'a> {
    plan: &'a ExportPlan,
    ty: RealType,
    sites: Vec<Site>,
    branches: Vec<Branch>,
    conflicts: usize,
}

impl Builder<'_> {
    fn site(&mut self, feature: usize, t: f64, op: SiteOp, place: usize) -> Test {
        let seen = self.plan.observed.get(feature).map_or(&[][..], Vec::as_slice);
        match threshold_literal(t, seen, self.ty) {
            Ok(l) => {
                self.sites.push(Site { feature, literal: l.value, text: l.text, op, place });
                Test::Compare(self.sites.len() - 1)
            }
            Err(_) => {
                self.conflicts += 1;
                Test::Constant(false)
            }
        }
    }

    fn level(&mut self, feature: usize, level: usize, op: SiteOp, place: usize) -> Test {
        self.sites.push(Site { feature, literal: level as f64, text: level.to_string(), op, place });
        Test::Compare(self.sites.len() - 1)
    }

    fn branch(&mut self, rule: Option<usize>, leaf: Option<usize>, outcome: Outcome, second: f64) -> usize {
        let prediction = match outcome {
            Outcome::Class { index } => index as f64,
            Outcome::Value { value } => value_literal(value, self.ty).value,
        };
        let second = value_literal(second, self.ty).value;
        self.branches.push(Branch { rule, leaf, prediction, second });
        self.branches.len() - 1
    }

    /// The tree's nodes, at the raw tree's indices, with sites and branches in the order the
    /// code writes them (depth first, left before right).
    fn tree(&mut self) -> Result<Vec<Node>> {
        let raw = &self.plan.raw_tree.nodes;
        let mut nodes = vec![Node::Leaf(0); raw.len()];
        let mut stack = vec![0usize];
        let mut steps = 0;
        while let Some(i) = stack.pop() {
            steps += 1;
            if steps > raw.len() + 1 {
                return Err(Error::invalid("the tree refers to a node more than once"));
            }
            let Some(node) = raw.get(i) else {
                return Err(Error::invalid("the tree refers to a node it does not have"));
            };
            let built = match node {
                RawNode::Leaf { leaf, outcome, second } => {
                    let rule = leaf_rule_number(self.plan, *leaf);
                    Node::Leaf(self.branch(rule, Some(*leaf), *outcome, *second))
                }
                RawNode::Split { split, left, right } => {
                    let test = match *split {
                        RawSplit::AtMost { feature, threshold } => self.site(feature, threshold, SiteOp::AtMost, i),
                        RawSplit::NotLevel { feature, level } => self.level(feature, level, SiteOp::NotEqual, i),
                        RawSplit::Always { left, .. } => Test::Constant(left),
                    };
                    stack.push(*right);
                    stack.push(*left);
                    Node::Split { test, left: *left, right: *right }
                }
            };
            if let Some(slot) = nodes.get_mut(i) {
                *slot = built;
            }
        }
        Ok(nodes)
    }

    fn rules(&mut self) -> Vec<Vec<Clause>> {
        let plan = self.plan;
        let rs = &plan.rules;
        let mut out = Vec::with_capacity(rs.rules.len());
        for (i, rule) in rs.rules.iter().enumerate() {
            let clauses = rule
                .conditions
                .iter()
                .map(|c| match c {
                    Condition::Range { feature, low, high } => {
                        let mut tests = Vec::new();
                        if let Some(l) = low {
                            tests.push(self.site(*feature, *l, SiteOp::Above, i + 1));
                        }
                        if let Some(h) = high {
                            tests.push(self.site(*feature, *h, SiteOp::AtMost, i + 1));
                        }
                        Clause { tests, any: false }
                    }
                    Condition::In { feature, levels } => Clause {
                        tests: levels.iter().map(|&k| self.level(*feature, k, SiteOp::Equal, i + 1)).collect(),
                        any: true,
                    },
                    Condition::NotIn { feature, levels } => Clause {
                        tests: levels.iter().map(|&k| self.level(*feature, k, SiteOp::NotEqual, i + 1)).collect(),
                        any: false,
                    },
                })
                .collect();
            out.push(clauses);
            self.branch(Some(i + 1), None, rule.outcome, plan.second_output(&rule.stats));
        }
        self.branch(None, None, rs.default, plan.second_output(&rs.default_stats));
        out
    }
}
