//! What the exported block costs the PLC, and which rule each branch of its code is: the worst
//! case and the average number of operations per call, instance memory, lines of code and
//! constants, and a table from each rule (as the Rules panel numbers it) to its line in the
//! `.st` file. Written with every PLC export as a summary line, and in full as Markdown or JSON.
//!
//! The operations are counted by following the statements of the block
//! ([`plc_eval`](super::plc_eval)) along the way a call goes — the input checks, then the path
//! through the tree or down the rule list, then the outputs — never by counting text. The rules
//! ([`COUNTING_RULES`]):
//!
//! - a *comparison* is one relational operator evaluated (`<=`, `<`, `>`, `=`, `<>`), the NaN
//!   test `x <> x` and the mask tests of `Imputed` and `Valid` included;
//! - a *logic operation* is one `AND`, `OR` or `NOT` evaluated, on `BOOL` or on a `DWORD` mask;
//!   IEC 61131-3 `AND` and `OR` do not short-circuit, so every comparison of a rule's condition
//!   is evaluated and counted;
//! - an *arithmetic operation* is one `+`, `-`, `*` or `/`; the tree and rule blocks have none;
//! - an *assignment* is one store to a variable;
//! - an *IF test* is one `IF` or `ELSIF` condition tested (a conditional jump); `ELSE` costs
//!   nothing;
//! - *all operations* is their sum; the time estimate multiplies it by the time per operation
//!   the user gives for their CPU (none is assumed).
//!
//! The worst case is the costliest way through each input's check plus the costliest path
//! through the logic: an upper bound every call stays within. The average is over the training
//! rows, given to the block as its inputs (in its precision, missing values as NaN or −1).
//! Instance memory adds the sizes of the inputs, outputs and local variables by IEC type —
//! `BOOL` 1 byte, `INT` 2, `DINT`, `DWORD` and `REAL` 4, `LREAL` 8 — before any padding the
//! vendor's compiler adds for alignment; constants are immediate operands in the code, not
//! instance memory.

use std::fmt::Write as _;

use serde::Serialize;

use super::plc_eval::{BlockLogic, Ops, SiteOp};
use super::pou::{Pou, Var, build};
use super::structured_text::render;
use super::{ExportOptions, ExportPlan, Exported, LogicSource};
use crate::error::{Error, Result};
use crate::model::pipeline::FeatureKind;

/// How the figures are counted, one rule a line (the report repeats them).
pub const COUNTING_RULES: [&str; 8] = [
    "A comparison is one relational operator evaluated (<=, <, >, =, <>), including the NaN test x <> x of each \
     number input and the mask tests of Imputed and Valid.",
    "A logic operation is one AND, OR or NOT evaluated, on BOOL or on a DWORD bit mask. IEC 61131-3 AND and OR do not \
     short-circuit, so every comparison of a rule's condition is evaluated and counted.",
    "An arithmetic operation is one +, -, * or /. Tree and rule blocks have none.",
    "An assignment is one store to a variable; an IF test is one IF or ELSIF condition tested (ELSE costs nothing).",
    "All operations is the sum of the five. The worst case is the costliest way through each input check plus the \
     costliest path through the logic: an upper bound for every call. The average is over the training rows.",
    "Instance memory is the sum of the inputs, outputs and local variables by IEC type: BOOL 1 byte, INT 2, DINT, \
     DWORD and REAL 4, LREAL 8. It is an estimate before the padding a vendor's compiler adds for alignment.",
    "Constants are the literals in the code (thresholds, level codes, the values each branch assigns, fills, range \
     limits, mask bits); they are operands in the code, not instance memory.",
    "No execution time is assumed: an estimate appears only from a time per operation the user gives for their CPU \
     (glassbox export --ns-per-op), and is all operations times that figure.",
];

/// Operation counts averaged over rows.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct AverageOps {
    /// Comparisons.
    pub comparisons: f64,
    /// `AND`/`OR`/`NOT`.
    pub logic: f64,
    /// Arithmetic operations.
    pub arithmetic: f64,
    /// Assignments.
    pub assignments: f64,
    /// `IF`/`ELSIF` tests.
    pub branches: f64,
    /// All operations.
    pub total: f64,
}

/// Instance memory by section.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Memory {
    /// `VAR_INPUT`: variables and bytes.
    pub inputs: (usize, usize),
    /// `VAR_OUTPUT`: variables and bytes.
    pub outputs: (usize, usize),
    /// `VAR`: variables and bytes.
    pub locals: (usize, usize),
    /// All bytes, before vendor padding.
    pub total_bytes: usize,
}

/// Size of the code.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct CodeSize {
    /// Lines of the `.st` file.
    pub lines: usize,
    /// Lines of the body holding a statement (not blank, not only a comment).
    pub statement_lines: usize,
    /// Lines declaring variables, with the section keywords.
    pub declaration_lines: usize,
    /// Lines that are only comment (the header included).
    pub comment_lines: usize,
}

/// The literals of the code.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Constants {
    /// Threshold comparisons (`<=`, `>` against a real literal).
    pub thresholds: usize,
    /// Distinct (input, literal) pairs among them.
    pub distinct_thresholds: usize,
    /// Level codes compared with.
    pub level_codes: usize,
    /// The decision and second output each leaf or rule assigns (two each).
    pub branch_values: usize,
    /// Fills, range limits, mask bits and the missing code of the input checks, and the zero masks.
    pub input_checks: usize,
    /// The safe default and the zero of the second output when `Valid` is FALSE, and `TRUE`/`FALSE`.
    pub other: usize,
    /// All of them.
    pub total: usize,
}

/// A time estimate from the user's time per operation.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct TimeEstimate {
    /// The user's figure, nanoseconds per operation.
    pub ns_per_op: f64,
    /// The worst case, microseconds per call.
    pub worst_us: f64,
    /// The average, microseconds per call.
    pub average_us: Option<f64>,
}

/// One branch of the code and the rule it is.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BranchRow {
    /// The rule's number in the Rules panel; `None` for the default rule.
    pub rule: Option<usize>,
    /// The tree leaf (tree logic).
    pub leaf: Option<usize>,
    /// The line of the `.st` file where the branch's comment is (from 1).
    pub line: Option<usize>,
    /// The conditions that lead there.
    pub conditions: String,
    /// What it decides.
    pub decides: String,
    /// Training rows that end there.
    pub training_rows: usize,
    /// Comparisons on the way there in the logic (input checks not included).
    pub comparisons: u64,
    /// All operations of the logic on the way there, with the branch's assignments.
    pub operations: u64,
}

/// The cost and traceability report of an exported block.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CostReport {
    /// The function block's name.
    pub block: String,
    /// The logic in words.
    pub logic: String,
    /// `REAL` or `LREAL`.
    pub real_type: String,
    /// Number of inputs.
    pub inputs: usize,
    /// The costliest call (an upper bound).
    pub worst: Ops,
    /// Of which the input checks.
    pub worst_input_checks: Ops,
    /// Of which the logic.
    pub worst_logic: Ops,
    /// The average call over the training rows; `None` without training rows.
    pub average: Option<AverageOps>,
    /// Training rows averaged over.
    pub average_rows: usize,
    /// Instance memory.
    pub memory: Memory,
    /// Size of the code.
    pub code: CodeSize,
    /// Literals in the code.
    pub constants: Constants,
    /// A time estimate, only with the user's time per operation.
    pub time: Option<TimeEstimate>,
    /// Every branch and its rule, in code order.
    pub branches: Vec<BranchRow>,
    /// How the figures are counted.
    pub counting_rules: Vec<String>,
}

/// Bytes of a variable of IEC type `ty`; `None` for a type the estimate does not know.
pub fn type_size(ty: &str) -> Option<usize> {
    Some(match ty.to_ascii_uppercase().as_str() {
        "BOOL" | "BYTE" | "SINT" | "USINT" => 1,
        "INT" | "UINT" | "WORD" => 2,
        "DINT" | "UDINT" | "DWORD" | "REAL" => 4,
        "LINT" | "ULINT" | "LWORD" | "LREAL" => 8,
        _ => return None,
    })
}

fn section(vars: &[Var]) -> (usize, usize) {
    (vars.len(), vars.iter().map(|v| type_size(&v.ty).unwrap_or(0)).sum())
}

/// The report for `plan`'s block as written with `options`; `ns_per_op` is the user's time per
/// operation for their CPU, if given.
///
/// # Errors
/// As [`build`]; a time per operation that is not a positive number.
pub fn report(plan: &ExportPlan, options: &ExportOptions, ns_per_op: Option<f64>) -> Result<CostReport> {
    if let Some(ns) = ns_per_op
        && !(ns.is_finite() && ns > 0.0)
    {
        return Err(Error::invalid(format!(
            "the time per operation must be a positive number of nanoseconds, not {ns}"
        )));
    }
    let pou = build(plan, options)?;
    let logic = BlockLogic::new(plan, options)?;
    let text = render(&pou);

    // Worst case: the costliest way through each input check, the costliest path, the rest.
    let check_worst = BlockLogic::input_check_ways().into_iter().fold(Ops::default(), Ops::costlier);
    let worst_input_checks = (0..logic.checks.len()).fold(Ops::default(), |acc, _| acc.plus(check_worst));
    let per_branch = logic.branch_ops();
    let worst_logic = per_branch.iter().flatten().copied().fold(Ops::default(), Ops::costlier);
    let worst = worst_input_checks.plus(worst_logic).plus(logic.fixed_ops());

    // Average over the training rows, and the rows each branch decides.
    let mut sum = Ops::default();
    let mut rows_per_branch = vec![0usize; logic.branches.len()];
    let train = &plan.rows.train;
    for raw in train.rows() {
        let call = logic.call(&logic.inputs_of(raw));
        sum = sum.plus(call.ops);
        if let Some(r) = rows_per_branch.get_mut(call.branch) {
            *r += 1;
        }
    }
    let n = train.n_rows();
    let average = (n > 0).then(|| {
        let per = |x: u64| x as f64 / n as f64;
        AverageOps {
            comparisons: per(sum.comparisons),
            logic: per(sum.logic),
            arithmetic: per(sum.arithmetic),
            assignments: per(sum.assignments),
            branches: per(sum.branches),
            total: per(sum.total()),
        }
    });

    let inputs = section(&pou.inputs);
    let outputs = section(&pou.outputs);
    let locals = section(&pou.locals);
    let memory = Memory { inputs, outputs, locals, total_bytes: inputs.1 + outputs.1 + locals.1 };
    let code = code_size(&pou, &text);
    let constants = constants(&logic);
    let time = ns_per_op.map(|ns| TimeEstimate {
        ns_per_op: ns,
        worst_us: worst.total() as f64 * ns / 1000.0,
        average_us: average.map(|a| a.total * ns / 1000.0),
    });
    let branches = branch_rows(plan, &logic, &text, &per_branch, &rows_per_branch);
    Ok(CostReport {
        block: pou.name.clone(),
        logic: plan.describe_logic(),
        real_type: options.real_type.keyword().to_owned(),
        inputs: plan.features.len(),
        worst,
        worst_input_checks,
        worst_logic,
        average,
        average_rows: n,
        memory,
        code,
        constants,
        time,
        branches,
        counting_rules: COUNTING_RULES.iter().map(|s| (*s).to_owned()).collect(),
    })
}

/// Lines of the rendered block by kind.
fn code_size(pou: &Pou, text: &str) -> CodeSize {
    let comment_only = |l: &str| {
        let t = l.trim();
        t.starts_with("(*") && t.ends_with("*)")
    };
    let statement_lines = pou.body.lines().filter(|l| !l.trim().is_empty() && !comment_only(l)).count();
    // Three sections, each with its keyword and END_VAR.
    let declaration_lines = pou.inputs.len() + pou.outputs.len() + pou.locals.len() + 6;
    let mut comment_lines = 0;
    let mut in_comment = false;
    for l in text.lines() {
        let t = l.trim();
        if in_comment || t.starts_with("(*") {
            comment_lines += 1;
            in_comment = !t.ends_with("*)");
        }
    }
    CodeSize { lines: text.lines().count(), statement_lines, declaration_lines, comment_lines }
}

/// The literals of the code, counted from the logic as [`pou`](super::pou) writes it.
fn constants(logic: &BlockLogic) -> Constants {
    let thresholds: Vec<_> = logic.sites.iter().filter(|s| s.op.is_threshold()).collect();
    let mut distinct: Vec<(usize, u64)> = thresholds.iter().map(|s| (s.feature, s.literal.to_bits())).collect();
    distinct.sort_unstable();
    distinct.dedup();
    let level_codes = logic.sites.iter().filter(|s| matches!(s.op, SiteOp::Equal | SiteOp::NotEqual)).count();
    let branch_values = 2 * logic.branches.len();
    // Per input: the missing test's constant (a category's -1; none for x <> x), the fill, the
    // Missing bit, the two range limits and the OutOfRange bit; per mask word, the zero it is
    // cleared to and the zero Imputed or Valid compares it with.
    let per_input: usize = logic
        .checks
        .iter()
        .map(|c| match c.kind {
            FeatureKind::Numeric => 5,
            FeatureKind::Categorical => 6,
        })
        .sum();
    let input_checks = per_input + 4 * logic.mask_words();
    let constant_tests = match &logic.logic {
        super::plc_eval::Logic::Tree(nodes) => nodes
            .iter()
            .filter(|n| matches!(n, super::plc_eval::Node::Split { test: super::plc_eval::Test::Constant(_), .. }))
            .count(),
        super::plc_eval::Logic::Rules(rules) => {
            rules.iter().map(|r| usize::from(r.is_empty()) + r.iter().filter(|c| c.tests.is_empty()).count()).sum()
        }
    };
    let other = 2 + constant_tests;
    Constants {
        thresholds: thresholds.len(),
        distinct_thresholds: distinct.len(),
        level_codes,
        branch_values,
        input_checks,
        other,
        total: thresholds.len() + level_codes + branch_values + input_checks + other,
    }
}

/// The comment that opens branch `label` in the code, as [`pou`](super::pou) writes it.
fn comment_prefix(rule: Option<usize>, leaf: Option<usize>, tree: bool) -> String {
    match (rule, leaf, tree) {
        (Some(k), Some(l), true) => format!("(* rule {k}, leaf {l}:"),
        (None, Some(l), true) => format!("(* leaf {l}"),
        (Some(k), _, false) => format!("(* rule {k} ("),
        _ => "(* default rule:".to_owned(),
    }
}

fn branch_rows(
    plan: &ExportPlan,
    logic: &BlockLogic,
    text: &str,
    per_branch: &[Option<Ops>],
    rows: &[usize],
) -> Vec<BranchRow> {
    let tree = plan.logic == LogicSource::Tree;
    let lines: Vec<&str> = text.lines().collect();
    logic
        .branches
        .iter()
        .enumerate()
        .map(|(i, b)| {
            let prefix = comment_prefix(b.rule, b.leaf, tree);
            let line = lines.iter().position(|l| l.trim_start().starts_with(&prefix)).map(|p| p + 1);
            let rule = b.rule.and_then(|k| k.checked_sub(1)).and_then(|k| plan.rules.rules.get(k));
            let (conditions, outcome) = match rule {
                Some(r) => (r.describe_conditions(&plan.rules.features), r.outcome),
                None if tree => ("?".to_owned(), plan.rules.default),
                None => ("none of the rules above holds".to_owned(), plan.rules.default),
            };
            let ops = per_branch.get(i).copied().flatten().unwrap_or_default();
            BranchRow {
                rule: b.rule,
                leaf: b.leaf,
                line,
                conditions,
                decides: plan.rules.describe_outcome(outcome),
                training_rows: rows.get(i).copied().unwrap_or(0),
                comparisons: ops.comparisons,
                operations: ops.total(),
            }
        })
        .collect()
}

/// The report as Markdown, for `--format report` (no time estimate: that needs the user's
/// figure, see [`report`]).
///
/// # Errors
/// As [`report`].
pub fn write(plan: &ExportPlan, options: &ExportOptions) -> Result<Exported> {
    let r = report(plan, options, None)?;
    Ok(Exported { text: markdown(&r), notes: vec![summary(&r)] })
}

/// One line on the cost, for the messages of every PLC export.
pub fn summary(r: &CostReport) -> String {
    let mut s =
        format!("cost per call: worst case {} comparisons, {} operations", r.worst.comparisons, r.worst.total());
    if let Some(a) = r.average {
        let _ = write!(
            s,
            "; average {:.1} comparisons, {:.1} operations over {} training rows",
            a.comparisons, a.total, r.average_rows
        );
    }
    let _ = write!(s, "; instance memory {} bytes (before vendor padding)", r.memory.total_bytes);
    if let Some(t) = r.time {
        let _ = write!(s, "; about {:.3} µs worst case at {} ns per operation", t.worst_us, t.ns_per_op);
    }
    s
}

/// Text for a Markdown table cell.
fn cell(s: &str) -> String {
    s.replace('\\', "\\\\").replace('|', "\\|").replace(['\n', '\r'], " ")
}

fn ops_row(out: &mut String, label: &str, o: &Ops) {
    let _ = writeln!(
        out,
        "| {label} | {} | {} | {} | {} | {} | {} |",
        o.comparisons,
        o.logic,
        o.arithmetic,
        o.assignments,
        o.branches,
        o.total()
    );
}

/// The report as Markdown.
pub fn markdown(r: &CostReport) -> String {
    let mut out = format!("# Cost and traceability: {}\n\n", r.block);
    let _ = writeln!(out, "Logic: {}. Inputs: {} ({} for numbers).\n", cell(&r.logic), r.inputs, r.real_type);
    out.push_str("## Operations per call\n\n");
    out.push_str("| | comparisons | AND/OR/NOT | arithmetic | assignments | IF tests | all operations |\n");
    out.push_str("|---|---:|---:|---:|---:|---:|---:|\n");
    ops_row(&mut out, "worst case", &r.worst);
    ops_row(&mut out, "… of which input checks", &r.worst_input_checks);
    ops_row(&mut out, "… of which the logic", &r.worst_logic);
    if let Some(a) = r.average {
        let _ = writeln!(
            out,
            "| average over {} training rows | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} |",
            r.average_rows, a.comparisons, a.logic, a.arithmetic, a.assignments, a.branches, a.total
        );
    }
    out.push('\n');
    match r.time {
        Some(t) => {
            let _ = writeln!(
                out,
                "Estimated time per call at {} ns per operation (the figure given for the CPU): worst case {:.3} µs{}. \
                 An estimate: real times depend on the compiler, the cache and the task's other work.\n",
                t.ns_per_op,
                t.worst_us,
                t.average_us.map(|a| format!(", average {a:.3} µs")).unwrap_or_default()
            );
        }
        None => out.push_str(
            "No time is estimated: give the time one operation takes on your CPU (`glassbox export … --format report \
             --ns-per-op N`) to get one.\n\n",
        ),
    }
    out.push_str("## Instance memory\n\n| section | variables | bytes |\n|---|---:|---:|\n");
    for (name, (vars, bytes)) in
        [("VAR_INPUT", r.memory.inputs), ("VAR_OUTPUT", r.memory.outputs), ("VAR", r.memory.locals)]
    {
        let _ = writeln!(out, "| {name} | {vars} | {bytes} |");
    }
    let _ = writeln!(
        out,
        "| total | {} | {} |\n\nBOOL 1 byte, INT 2, DINT/DWORD/REAL 4, LREAL 8: an estimate before the padding the vendor's \
         compiler adds for alignment.\n",
        r.memory.inputs.0 + r.memory.outputs.0 + r.memory.locals.0,
        r.memory.total_bytes
    );
    out.push_str("## Code\n\n");
    let c = &r.code;
    let _ = writeln!(
        out,
        "- lines of the `.st` file: {} ({} statements, {} declarations, {} comment lines)",
        c.lines, c.statement_lines, c.declaration_lines, c.comment_lines
    );
    let k = &r.constants;
    let _ = writeln!(
        out,
        "- constants: {} ({} thresholds, {} of them distinct; {} level codes; {} values the branches assign; {} in the \
         input checks; {} other)\n",
        k.total, k.thresholds, k.distinct_thresholds, k.level_codes, k.branch_values, k.input_checks, k.other
    );
    out.push_str("## Traceability\n\n");
    out.push_str(
        "Each branch of the code opens with a comment naming its rule as the Rules panel numbers it (for a tree, the \
         rules one per leaf, as the panel shows them with merging and dropping conditions switched off).\n\n",
    );
    out.push_str("| rule | leaf | line | conditions | decides | training rows | comparisons | operations |\n");
    out.push_str("|---|---:|---:|---|---|---:|---:|---:|\n");
    for b in &r.branches {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {} |",
            b.rule.map_or_else(|| "default".to_owned(), |k| k.to_string()),
            b.leaf.map_or_else(|| "–".to_owned(), |l| l.to_string()),
            b.line.map_or_else(|| "–".to_owned(), |l| l.to_string()),
            cell(&b.conditions),
            cell(&b.decides),
            b.training_rows,
            b.comparisons,
            b.operations
        );
    }
    out.push_str(
        "\nComparisons and operations of a branch count the logic on the way there (the tests tried and the branch's \
         two assignments), not the input checks.\n\n",
    );
    out.push_str("## How the figures are counted\n\n");
    for rule in &r.counting_rules {
        let _ = writeln!(out, "- {rule}");
    }
    out
}
