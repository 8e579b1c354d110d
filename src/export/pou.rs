//! The function block both PLC formats write: its interface, its header comment and its body of
//! Structured Text. [`structured_text`](super::structured_text) puts them in an `.st` file,
//! [`plcopen_xml`](super::plcopen_xml) in a PLCopen project.
//!
//! The body uses a small subset of ST that every IEC 61131-3 compiler accepts: assignments,
//! `IF`/`ELSIF`/`ELSE`, comparisons, `AND`/`OR`/`NOT`, and typed literals. It first checks the
//! inputs: a missing one (a `NaN` number, or level code `-1` for a category) takes the training
//! fill into a local copy, exactly as the model's pipeline fills it, and sets its bit in
//! `Missing`; one outside the training range sets its bit in `OutOfRange`. Then it computes the
//! decision from the copies into two local variables exactly as the model does (on every row,
//! valid or not), and last copies them to the outputs when `Valid` (no input out of range) is
//! TRUE, or the safe default when it is FALSE.

use super::ident::{comment_text, identifier, identifiers, is_valid_identifier};
use super::literal::{Conflict, RealType, threshold_literal, value_literal};
use super::{ExportOptions, ExportPlan, LogicSource, RawNode, parse_date};
use crate::error::{Error, Result};
use crate::model::Task;
use crate::model::pipeline::FeatureKind;
use crate::rules::extract::RawSplit;
use crate::rules::{Condition, Outcome, RuleStats};

/// The first output: the predicted class index (INT) or value.
pub const PREDICTION: &str = "Prediction";
/// The second output of a classifier: the confidence in the predicted class.
pub const CONFIDENCE: &str = "Confidence";
/// The second output of a regressor: the spread (standard deviation) of the training values
/// behind the prediction.
pub const SPREAD: &str = "Spread";
/// The validity output.
pub const VALID: &str = "Valid";
/// Output: TRUE when a missing input was filled in.
pub const IMPUTED: &str = "Imputed";
/// Output: bit `k` set when input `k + 1` was missing (inputs 33 and on: `Missing2`, …).
pub const MISSING: &str = "Missing";
/// Output: bit `k` set when input `k + 1` lay outside its training range (`OutOfRange2`, …).
pub const OUT_OF_RANGE: &str = "OutOfRange";
/// Inputs per bit-mask word.
pub const MASK_BITS: usize = 32;
/// Local: the decision before the validity check.
pub const DECISION: &str = "decision";
/// Local: the confidence before the validity check (classification).
pub const CERTAINTY: &str = "certainty";
/// Local: the spread before the validity check (regression).
pub const SPREAD_LOCAL: &str = "deviation";

/// The names of the bit-mask outputs called `base` for `n` inputs: `base` for inputs 1–32,
/// `base2` for 33–64, and so on (at least one).
pub fn mask_names(base: &str, n: usize) -> Vec<String> {
    (0..n.div_ceil(MASK_BITS).max(1))
        .map(|w| if w == 0 { base.to_owned() } else { format!("{base}{}", w + 1) })
        .collect()
}

/// The `DWORD` literal with bit `bit` set.
fn bit_literal(bit: usize) -> String {
    format!("DWORD#16#{:08X}", 1u64 << (bit % MASK_BITS))
}

/// The names of the block's second output and of the local that holds it before the validity
/// check: `Confidence`/`certainty` for a classifier, `Spread`/`deviation` for a regressor (IEC
/// names ignore case, so the local cannot be `spread`).
pub fn second_output(task: Task) -> (&'static str, &'static str) {
    match task {
        Task::Classification => (CONFIDENCE, CERTAINTY),
        Task::Regression => (SPREAD, SPREAD_LOCAL),
    }
}

/// One declared variable.
#[derive(Debug, Clone, PartialEq)]
pub struct Var {
    /// Its identifier.
    pub name: String,
    /// Its type: `REAL`, `LREAL`, `INT`, `BOOL`.
    pub ty: String,
    /// What it is, safe for a comment (see [`comment_text`]).
    pub comment: String,
}

/// A constant array: its declaration and its values, as literals.
#[derive(Debug, Clone, PartialEq)]
pub struct Constant {
    /// Name, type (`ARRAY[0..n] OF REAL`) and comment.
    pub var: Var,
    /// The values, in order.
    pub values: Vec<String>,
}

/// A function block ready to be written.
#[derive(Debug, Clone, PartialEq)]
pub struct Pou {
    /// The block's name.
    pub name: String,
    /// Header comment lines, each safe for a comment.
    pub header: Vec<String>,
    /// `VAR_INPUT`, in model feature order.
    pub inputs: Vec<Var>,
    /// `VAR_OUTPUT`: prediction, confidence (or spread), validity.
    pub outputs: Vec<Var>,
    /// `VAR`: the inputs as used (missing ones filled in), then the decision before the validity
    /// check.
    pub locals: Vec<Var>,
    /// `VAR CONSTANT`: arrays with their values (the SVM's support vectors and coefficients;
    /// empty for a tree or a rule set).
    pub constants: Vec<Constant>,
    /// The statements, one per line, ending in a newline.
    pub body: String,
    /// The header date as an XML `dateTime`, if one was given.
    pub date: Option<String>,
    /// Notes for the user.
    pub notes: Vec<String>,
}

/// The function block's name: the one asked for (checked), else `FB_` and the target's name.
fn block_name(plan: &ExportPlan, options: &ExportOptions, fixed: &[&str]) -> Result<String> {
    Ok(match &options.name {
        Some(n) => {
            let n = n.trim();
            if !is_valid_identifier(n) {
                return Err(Error::invalid(format!(
                    "'{}' is not a valid IEC 61131-3 name for the function block; try '{}'",
                    comment_text(n),
                    identifier(n)
                )));
            }
            if fixed.iter().any(|f| f.eq_ignore_ascii_case(n)) {
                return Err(Error::invalid(format!(
                    "the function block cannot be called '{n}': a variable has that name"
                )));
            }
            n.to_owned()
        }
        None => format!("FB_{}", identifier(&plan.target)),
    })
}

/// The outputs that say what happened to the inputs: `Imputed` and the bit masks.
fn status_outputs(n: usize) -> Vec<Var> {
    let mut outputs = vec![Var {
        name: IMPUTED.into(),
        ty: "BOOL".into(),
        comment: "TRUE when a missing input took its training fill, as in the model (see Missing)".into(),
    }];
    for (base, what) in
        [(MISSING, "was missing (NaN, or level code -1)"), (OUT_OF_RANGE, "lay outside its training range")]
    {
        for (w, name) in mask_names(base, n).into_iter().enumerate() {
            let first = w * MASK_BITS + 1;
            let last = ((w + 1) * MASK_BITS).min(n.max(1));
            outputs.push(Var {
                name,
                ty: "DWORD".into(),
                comment: format!("bit k set when input {first} + k {what}; inputs {first} .. {last}"),
            });
        }
    }
    outputs
}

/// The block's variables: inputs in model feature order (with their training ranges or
/// levels in the comments), the outputs, and the locals holding the decision before the
/// validity check.
fn declarations(plan: &ExportPlan, ids: &[String], used: &[String], real: &str) -> (Vec<Var>, Vec<Var>, Vec<Var>) {
    let inputs: Vec<Var> = plan
        .features
        .iter()
        .zip(ids)
        .map(|(f, id)| match f.kind {
            FeatureKind::Numeric => Var {
                name: id.clone(),
                ty: real.to_owned(),
                comment: comment_text(&format!(
                    "'{}'; training range {} .. {}",
                    f.name,
                    crate::rules::number(f.min),
                    crate::rules::number(f.max)
                )),
            },
            FeatureKind::Categorical => Var {
                name: id.clone(),
                ty: "INT".to_owned(),
                comment: comment_text(&format!(
                    "'{}' as a level code: {}",
                    f.name,
                    f.levels.iter().enumerate().map(|(k, l)| format!("{k} = '{l}'")).collect::<Vec<_>>().join(", ")
                )),
            },
        })
        .collect();

    let (prediction_ty, prediction_comment) = match plan.task {
        Task::Classification => (
            "INT",
            format!(
                "predicted '{}' as a class index: {}",
                plan.target,
                plan.classes.iter().enumerate().map(|(k, c)| format!("{k} = '{c}'")).collect::<Vec<_>>().join(", ")
            ),
        ),
        Task::Regression => (real, format!("predicted '{}'", plan.target)),
    };
    let second_comment = match (plan.task, plan.logic) {
        (Task::Classification, LogicSource::Tree) => {
            "the model's probability of the predicted class, 0 .. 1".to_owned()
        }
        (Task::Classification, LogicSource::Rules) => {
            "share of the rule's training rows with the predicted class, 0 .. 1".to_owned()
        }
        (Task::Regression, _) => comment_text(&format!(
            "standard deviation of the training values of '{}' behind the prediction, in its units",
            plan.target
        )),
    };
    let (second, second_local) = second_output(plan.task);
    let mut outputs = vec![
        Var { name: PREDICTION.into(), ty: prediction_ty.into(), comment: comment_text(&prediction_comment) },
        Var { name: second.into(), ty: real.into(), comment: second_comment },
        Var {
            name: VALID.into(),
            ty: "BOOL".into(),
            comment: "FALSE when an input lies outside its training range (see OutOfRange)".into(),
        },
    ];
    outputs.extend(status_outputs(plan.features.len()));
    let mut locals: Vec<Var> = plan
        .features
        .iter()
        .zip(used)
        .map(|(f, u)| Var {
            name: u.clone(),
            ty: match f.kind {
                FeatureKind::Numeric => real.to_owned(),
                FeatureKind::Categorical => "INT".to_owned(),
            },
            comment: comment_text(&format!("'{}' as used: the input, or its training fill when missing", f.name)),
        })
        .collect();
    locals.extend([
        Var {
            name: DECISION.into(),
            ty: prediction_ty.into(),
            comment: "the decision before the validity check".into(),
        },
        Var {
            name: second_local.into(),
            ty: real.into(),
            comment: match plan.task {
                Task::Classification => "the confidence before the validity check",
                Task::Regression => "the spread before the validity check",
            }
            .into(),
        },
    ]);

    (inputs, outputs, locals)
}

/// What every block of a plan shares, whatever its logic: name, variables, the checks of the
/// inputs and the copy of the decision to the outputs.
pub(super) struct Frame {
    pub name: String,
    pub date: Option<String>,
    pub safe: Outcome,
    pub inputs: Vec<Var>,
    pub outputs: Vec<Var>,
    pub locals: Vec<Var>,
    /// The input variable of each feature.
    pub ids: Vec<String>,
    /// The local copy of each input the logic reads (missing inputs filled in).
    pub used: Vec<String>,
    /// The statements that check and copy the inputs.
    pub input_checks: String,
    /// The statements that copy the decision, or the safe default, to the outputs.
    pub output_copy: String,
}

/// The shared parts of `plan`'s block; `reserved` are further names the logic declares.
pub(super) fn frame(plan: &ExportPlan, options: &ExportOptions, reserved: &[&str]) -> Result<Frame> {
    let n = plan.features.len();
    let masks: Vec<String> = [MISSING, OUT_OF_RANGE].iter().flat_map(|b| mask_names(b, n)).collect();
    let mut fixed = vec![PREDICTION, CONFIDENCE, SPREAD, VALID, IMPUTED, DECISION, CERTAINTY, SPREAD_LOCAL];
    fixed.extend(masks.iter().map(String::as_str));
    fixed.extend(reserved);
    let name = block_name(plan, options, &fixed)?;
    let date = options.date.as_deref().map(parse_date).transpose()?;
    let ty = options.real_type;
    let safe = plan.safe_default(options)?;

    let names: Vec<&str> = plan.features.iter().map(|f| f.name.as_str()).collect();
    let mut taken: Vec<&str> = fixed.clone();
    taken.push(&name);
    let ids = identifiers(&names, &taken);
    taken.extend(ids.iter().map(String::as_str));
    let used_names: Vec<String> = ids.iter().map(|id| format!("{id}_used")).collect();
    let used_refs: Vec<&str> = used_names.iter().map(String::as_str).collect();
    let used = identifiers(&used_refs, &taken);

    let (inputs, outputs, locals) = declarations(plan, &ids, &used, ty.keyword());
    let mut body = Body { out: String::new(), ty, plan, ids: &ids, used: &used, conflicts: Vec::new(), moved: 0 };
    body.inputs();
    let input_checks = std::mem::take(&mut body.out);
    body.outputs(safe);
    let output_copy = body.out;
    Ok(Frame { name, date, safe, inputs, outputs, locals, ids, used, input_checks, output_copy })
}

/// Builds the function block for `plan`.
///
/// # Errors
/// A block name that is not a valid identifier or clashes with a variable, a bad safe default or
/// date, or (with `REAL`) thresholds no 32-bit literal can place between two seen values.
pub fn build(plan: &ExportPlan, options: &ExportOptions) -> Result<Pou> {
    let frame = frame(plan, options, &[])?;
    let ty = options.real_type;
    let mut body =
        Body { out: frame.input_checks, ty, plan, ids: &frame.ids, used: &frame.used, conflicts: Vec::new(), moved: 0 };
    match plan.logic {
        LogicSource::Tree => body.tree(0, 0)?,
        LogicSource::Rules => body.rules(),
    }
    body.out.push_str(&frame.output_copy);
    if !body.conflicts.is_empty() {
        return Err(conflict_error(plan, &body.conflicts));
    }
    let mut notes = Vec::new();
    if ty == RealType::Real && body.moved > 0 {
        notes.push(format!(
            "{} thresholds were written as the next REAL below the nearest one, so that no value seen in the data \
             changes branch",
            body.moved
        ));
    }
    let header = header(plan, options, &frame.name, frame.date.as_deref(), frame.safe);
    Ok(Pou {
        name: frame.name,
        header,
        inputs: frame.inputs,
        outputs: frame.outputs,
        locals: frame.locals,
        constants: Vec::new(),
        body: body.out,
        date: frame.date,
        notes,
    })
}

/// The header comment lines.
pub(super) fn header(
    plan: &ExportPlan,
    options: &ExportOptions,
    name: &str,
    date: Option<&str>,
    safe: Outcome,
) -> Vec<String> {
    let f = &plan.facts;
    let real = options.real_type.keyword();
    let mut lines = vec![
        format!(
            "{name}: predicts '{}' ({}) from {} inputs. Generated by Glassbox {}.",
            plan.target,
            plan.task.label(),
            plan.features.len(),
            env!("CARGO_PKG_VERSION")
        ),
        format!("Model: {}; seed {}.", f.model, f.seed),
        format!(
            "Data: {}{}; {} training rows, {} held-out rows.",
            f.data_file.as_deref().unwrap_or("file not recorded"),
            f.data_sha256.as_deref().map(|h| format!(", SHA-256 {h}")).unwrap_or_default(),
            f.train_rows,
            f.test_rows
        ),
        format!("Date: {}.", date.map_or("not recorded", |d| d.strip_suffix("T00:00:00").unwrap_or(d))),
        format!("Logic: {}.", plan.describe_logic()),
        format!(
            "Fidelity: decides as the model on {:.2} % of the training rows ({}) and {:.2} % of the held-out rows ({}).",
            plan.fidelity.train.share * 100.0,
            plan.fidelity.train.rows,
            plan.fidelity.test.share * 100.0,
            plan.fidelity.test.rows
        ),
    ];
    if plan.logic == LogicSource::Rules {
        for s in &plan.rules.steps {
            lines.push(format!("  step '{}': {}", s.name, s.description));
        }
    }
    lines.push(match options.real_type {
        RealType::Real => "Numbers: REAL inputs; each threshold is a typed REAL literal chosen so that the 32-bit \
                           comparison takes the model's branch for every value in the training and held-out rows."
            .to_owned(),
        RealType::Lreal => "Numbers: LREAL inputs; thresholds are the model's own 64-bit values.".to_owned(),
    });
    let safe_text = match safe {
        Outcome::Class { index } => {
            format!("{index} ('{}')", plan.classes.get(index).map_or("?", String::as_str))
        }
        Outcome::Value { value } => value_literal(value, options.real_type).text,
    };
    let (second, _) = second_output(plan.task);
    lines.push(format!(
        "Missing inputs: a NaN number, or level code -1 for a category, takes its training fill (median or most \
         frequent level, given beside each input) as the model does; {IMPUTED} is then TRUE and the input's bit \
         is set in {MISSING} (bit 0 = first input, in declaration order{}).",
        if plan.features.len() > MASK_BITS { "; inputs 33 .. 64 in Missing2, and so on" } else { "" }
    ));
    lines.push(format!(
        "{VALID} is FALSE when an input lies outside its training range{} or a level code is unknown (its bit is \
         set in {OUT_OF_RANGE}); then {PREDICTION} = {safe_text} and {second} = 0.0.",
        if options.real_type == RealType::Real { " (to REAL precision)" } else { "" }
    ));
    if plan.task == Task::Classification {
        lines.push(format!(
            "Classes: {}.",
            plan.classes.iter().enumerate().map(|(k, c)| format!("{k} = '{c}'")).collect::<Vec<_>>().join(", ")
        ));
    }
    lines.push(format!(
        "Inputs, in the model's feature order, are {real} except categories (INT level codes); the original \
         names are in the comments beside them."
    ));
    lines.iter().map(|l| comment_text(l)).collect()
}

fn conflict_error(plan: &ExportPlan, conflicts: &[(usize, Conflict)]) -> Error {
    let list: Vec<String> = conflicts
        .iter()
        .take(5)
        .map(|(j, c)| {
            format!(
                "'{}' at {}: the values {} and {} are the same REAL",
                plan.features.get(*j).map_or("?", |f| f.name.as_str()),
                crate::rules::number(c.threshold),
                crate::rules::number(c.below),
                crate::rules::number(c.above)
            )
        })
        .collect();
    Error::invalid(format!(
        "{} thresholds cannot be written as REAL literals that decide as the model does ({}{}); \
         export with LREAL inputs instead",
        conflicts.len(),
        list.join("; "),
        if conflicts.len() > 5 { "; …" } else { "" }
    ))
}

/// Writes the statements.
struct Body<'a> {
    out: String,
    ty: RealType,
    plan: &'a ExportPlan,
    ids: &'a [String],
    /// The local copies the logic reads (missing inputs filled in).
    used: &'a [String],
    conflicts: Vec<(usize, Conflict)>,
    /// Thresholds written as another REAL than the nearest.
    moved: usize,
}

impl Body<'_> {
    fn line(&mut self, depth: usize, text: &str) {
        for _ in 0..depth {
            self.out.push_str("    ");
        }
        self.out.push_str(text);
        self.out.push('\n');
    }

    /// The input variable of `feature`.
    fn input(&self, feature: usize) -> &str {
        self.ids.get(feature).map_or("Input", String::as_str)
    }

    /// The local the logic reads for `feature`: the input, or its fill when missing.
    fn id(&self, feature: usize) -> &str {
        self.used.get(feature).map_or("Input", String::as_str)
    }

    /// The literal for `x <= t` on `feature`, recording a conflict.
    fn threshold(&mut self, feature: usize, t: f64) -> String {
        let seen = self.plan.observed.get(feature).map_or(&[][..], Vec::as_slice);
        match threshold_literal(t, seen, self.ty) {
            Ok(l) => {
                #[allow(clippy::cast_possible_truncation)]
                if self.ty == RealType::Real && l.value != f64::from(t as f32) {
                    self.moved += 1;
                }
                l.text
            }
            Err(c) => {
                self.conflicts.push((feature, c));
                "0.0".to_owned()
            }
        }
    }

    /// Checks every input: a missing one takes its fill and sets its `Missing` bit, one outside
    /// its training range sets its `OutOfRange` bit; then `Imputed` and `Valid`.
    fn inputs(&mut self) {
        let n = self.plan.features.len();
        let missing = mask_names(MISSING, n);
        let out = mask_names(OUT_OF_RANGE, n);
        self.line(
            0,
            "(* Inputs: a missing one (NaN fails every comparison, so x <> x holds; a category's code -1) takes its \
             training fill, as in the model; one outside its training range is flagged. *)",
        );
        for m in missing.iter().chain(&out) {
            self.line(0, &format!("{m} := DWORD#0;"));
        }
        for (j, f) in self.plan.features.iter().enumerate() {
            let (x, u) = (self.input(j).to_owned(), self.id(j).to_owned());
            let (m, o, bit) = (&missing[j / MASK_BITS], &out[j / MASK_BITS], bit_literal(j));
            let (is_missing, fill, outside) = match f.kind {
                FeatureKind::Numeric => (
                    format!("{x} <> {x}"),
                    value_literal(f.fill, self.ty).text,
                    format!(
                        "({x} < {}) OR ({x} > {})",
                        value_literal(f.min, self.ty).text,
                        value_literal(f.max, self.ty).text
                    ),
                ),
                FeatureKind::Categorical => {
                    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // a level index, not negative
                    let fill = (f.fill.max(0.0) as usize).to_string();
                    (format!("{x} = -1"), fill, format!("({x} < 0) OR ({x} > {})", f.levels.len().saturating_sub(1)))
                }
            };
            self.line(0, &format!("IF {is_missing} THEN"));
            self.line(1, &format!("{u} := {fill};"));
            self.line(1, &format!("{m} := {m} OR {bit};"));
            self.line(0, "ELSE");
            self.line(1, &format!("{u} := {x};"));
            self.line(1, &format!("IF {outside} THEN"));
            self.line(2, &format!("{o} := {o} OR {bit};"));
            self.line(1, "END_IF;");
            self.line(0, "END_IF;");
        }
        let any = |names: &[String], op: &str, join: &str| {
            names.iter().map(|m| format!("({m} {op} DWORD#0)")).collect::<Vec<_>>().join(join)
        };
        self.line(0, &format!("{IMPUTED} := {};", any(&missing, "<>", " OR ")));
        self.line(0, &format!("{VALID} := {};", any(&out, "=", " AND ")));
        self.line(0, "");
    }

    fn assign(&mut self, depth: usize, outcome: Outcome, second: f64) {
        let decided = match outcome {
            Outcome::Class { index } => index.to_string(),
            Outcome::Value { value } => value_literal(value, self.ty).text,
        };
        self.line(depth, &format!("{DECISION} := {decided};"));
        let c = value_literal(second, self.ty).text;
        let (_, local) = second_output(self.plan.task);
        self.line(depth, &format!("{local} := {c};"));
    }

    fn stats_comment(&self, stats: &RuleStats, label: &str) -> String {
        format!("(* {} *)", comment_text(&format!("{label}: {}", self.plan.rules.describe_stats(stats))))
    }

    fn split_condition(&mut self, split: RawSplit) -> String {
        match split {
            RawSplit::AtMost { feature, threshold } => {
                let lit = self.threshold(feature, threshold);
                format!("{} <= {lit}", self.id(feature))
            }
            RawSplit::NotLevel { feature, level } => format!("{} <> {level}", self.id(feature)),
            RawSplit::Always { left, .. } => if left { "TRUE" } else { "FALSE" }.to_owned(),
        }
    }

    /// Node `node` at `depth`; a right child that splits again continues as ELSIF.
    fn tree(&mut self, node: usize, depth: usize) -> Result<()> {
        if depth > super::MAX_DEPTH {
            return Err(Error::invalid("the tree is too deep to export"));
        }
        let Some(n) = self.plan.raw_tree.nodes.get(node).cloned() else {
            return Err(Error::invalid("the tree refers to a node it does not have"));
        };
        match n {
            RawNode::Leaf { leaf, outcome, second } => self.leaf(depth, leaf, outcome, second),
            RawNode::Split { split, left, right } => {
                let cond = self.split_condition(split);
                self.line(depth, &format!("IF {cond} THEN"));
                self.tree(left, depth + 1)?;
                let mut next = right;
                loop {
                    match self.plan.raw_tree.nodes.get(next).cloned() {
                        Some(RawNode::Split { split, left, right }) => {
                            let cond = self.split_condition(split);
                            self.line(depth, &format!("ELSIF {cond} THEN"));
                            self.tree(left, depth + 1)?;
                            next = right;
                        }
                        _ => {
                            self.line(depth, "ELSE");
                            self.tree(next, depth + 1)?;
                            break;
                        }
                    }
                }
                self.line(depth, "END_IF;");
            }
        }
        Ok(())
    }

    fn leaf(&mut self, depth: usize, leaf: usize, outcome: Outcome, second: f64) {
        let stats = self.plan.rules.rules.iter().find(|r| r.leaf == Some(leaf)).map(|r| r.stats.clone());
        // The leaf's number among the one-rule-per-leaf rules, as the Rules panel numbers them
        // with merging and dropping conditions switched off (and as the cost report lists them).
        let label = match leaf_rule_number(self.plan, leaf) {
            Some(k) => format!("rule {k}, leaf {leaf}"),
            None => format!("leaf {leaf}"),
        };
        let comment = match stats {
            Some(s) if self.plan.logic == LogicSource::Tree => self.stats_comment(&s, &label),
            _ => format!("(* {label} *)"),
        };
        self.line(depth, &comment);
        self.assign(depth, outcome, second);
    }

    fn condition(&mut self, c: &Condition) -> String {
        match c {
            Condition::Range { feature, low, high } => {
                let id = self.id(*feature).to_owned();
                let mut parts = Vec::new();
                if let Some(l) = low {
                    let lit = self.threshold(*feature, *l);
                    parts.push(format!("({id} > {lit})"));
                }
                if let Some(h) = high {
                    let lit = self.threshold(*feature, *h);
                    parts.push(format!("({id} <= {lit})"));
                }
                if parts.is_empty() { "TRUE".to_owned() } else { parts.join(" AND ") }
            }
            Condition::In { feature, levels } => {
                let id = self.id(*feature);
                if levels.is_empty() {
                    "FALSE".to_owned()
                } else {
                    format!("({})", levels.iter().map(|k| format!("{id} = {k}")).collect::<Vec<_>>().join(" OR "))
                }
            }
            Condition::NotIn { feature, levels } => {
                let id = self.id(*feature);
                if levels.is_empty() {
                    "TRUE".to_owned()
                } else {
                    format!("({})", levels.iter().map(|k| format!("{id} <> {k}")).collect::<Vec<_>>().join(" AND "))
                }
            }
        }
    }

    fn rules(&mut self) {
        let rs = &self.plan.rules;
        let n = rs.rules.len();
        for (i, rule) in rs.rules.iter().enumerate() {
            let conds: Vec<String> = rule.conditions.iter().map(|c| self.condition(c)).collect();
            let cond = if conds.is_empty() { "TRUE".to_owned() } else { conds.join(" AND ") };
            let kw = if i == 0 { "IF" } else { "ELSIF" };
            self.line(0, &format!("{kw} {cond} THEN"));
            let c = self
                .stats_comment(&rule.stats, &format!("rule {} ({})", i + 1, rule.describe_conditions(&rs.features)));
            self.line(1, &c);
            let second = self.plan.second_output(&rule.stats);
            self.assign(1, rule.outcome, second);
        }
        let default_stats = rs.default_stats.clone();
        let default = rs.default;
        if n > 0 {
            self.line(0, "ELSE");
        }
        let depth = usize::from(n > 0);
        let c = self.stats_comment(&default_stats, "default rule");
        self.line(depth, &c);
        let second = self.plan.second_output(&default_stats);
        self.assign(depth, default, second);
        if n > 0 {
            self.line(0, "END_IF;");
        }
    }

    fn outputs(&mut self, safe: Outcome) {
        self.line(0, "");
        self.line(0, &format!("IF {VALID} THEN"));
        self.line(1, &format!("{PREDICTION} := {DECISION};"));
        let (second, local) = second_output(self.plan.task);
        self.line(1, &format!("{second} := {local};"));
        self.line(0, "ELSE");
        let safe_text = match safe {
            Outcome::Class { index } => index.to_string(),
            Outcome::Value { value } => value_literal(value, self.ty).text,
        };
        self.line(1, &format!("{PREDICTION} := {safe_text};"));
        let zero = value_literal(0.0, self.ty).text;
        self.line(1, &format!("{second} := {zero};"));
        self.line(0, "END_IF;");
    }
}

/// The number (from 1) of the rule that describes tree leaf `leaf` when the block follows the
/// tree: its place among the one-rule-per-leaf rules, which are in leaf order. `None` when the
/// block follows a rule set, or no rule describes the leaf.
pub fn leaf_rule_number(plan: &ExportPlan, leaf: usize) -> Option<usize> {
    if plan.logic != LogicSource::Tree {
        return None;
    }
    plan.rules.rules.iter().position(|r| r.leaf == Some(leaf)).map(|i| i + 1)
}
