//! A test bench for the exported block: a function block `TB_<name>` that runs every test vector
//! of [`vectors`](super::vectors) through one instance of the block and compares every output
//! with the value expected. The bench is described once ([`Bench`]: its variables, its constant
//! arrays of vectors and expected outputs, its statements with the call of the block as a
//! statement of its own) and each target writes that description in its dialect: the generic
//! `.st` file ([`render_bench`], after the block), a second function block of a TIA Portal source
//! ([`scl`](super::scl)), a TwinCAT object file of its own ([`tcpou`](super::tcpou)), an Add-On
//! Instruction beside the block's in one `.L5X` file ([`l5x`](super::l5x)).
//!
//! ```text
//! FUNCTION_BLOCK TB_FB_Machine_failure
//! VAR_INPUT
//!     WithNaN : BOOL := TRUE;
//! END_VAR
//! VAR_OUTPUT
//!     Done : BOOL; Passed : BOOL; Failures : INT; FirstFailure : INT; Skipped : INT;
//! END_VAR
//! VAR CONSTANT
//!     In1 : ARRAY[1..57] OF INT := [1, 2, …];
//!     ExpPrediction : ARRAY[1..57] OF INT := [0, 1, …];
//! …
//! FOR k := 1 TO 57 DO
//!     Uut(F_Type := In1[k], Air_temperature_K := X2, …);
//!     Same := (Uut.Prediction = ExpPrediction[k]) AND …;
//! ```
//!
//! Called once, it runs them all and sets `Done`, `Passed` (every vector ran and gave every
//! expected output), `Failures` and `FirstFailure` (the number of the first failing vector, whose
//! purpose the header lists). For a tree or a rule set every comparison is exact, `REAL` ones
//! included: the expected values are the literals the block itself assigns, and the inputs are
//! values of the block's type. For the SVM's own block ([`svm_bench`]) the expected outputs are
//! the model's own, the class index compared exactly and the probability (a regression's value)
//! as `ABS(a - b) <= TOL`, the tolerance the block states.
//!
//! A missing number is NaN, which ST has no literal for. The bench makes one at run time by
//! dividing a variable holding 0.0 by itself (IEEE 754 gives NaN for 0/0; a variable, so a
//! compiler cannot refuse a constant division by zero). A runtime that stops on floating-point
//! exceptions can run the bench with `WithNaN := FALSE`: the vectors with a NaN input are then
//! skipped and counted in `Skipped`, and `Passed` stays FALSE.

use std::fmt::Write as _;

use super::ident::{MAX_IDENTIFIER_LEN, comment_text};
use super::literal::{RealType, format_f32, format_f64};
use super::plc_eval::Outputs;
use super::pou::{
    Constant, IMPUTED, MISSING, OUT_OF_RANGE, PREDICTION, Pou, VALID, Var, build, mask_names, second_output,
};
use super::structured_text::{constant, render as render_block};
use super::vectors::{HELD_OUT_SAMPLE, ModelVectors, Purpose, TestVectors, vectors};
use super::{ExportOptions, ExportPlan, Exported};
use crate::error::{Error, Result};
use crate::model::Task;
use crate::model::pipeline::FeatureKind;

/// The test bench's own names (and the prefixes of its arrays), which the block's name must not
/// take.
const NAMES: [&str; 13] = [
    "WithNaN",
    "Done",
    "Passed",
    "Failures",
    "FirstFailure",
    "Skipped",
    "Uut",
    "k",
    "Zero",
    "NaNValue",
    "Same",
    "HasNaN",
    "ExpPrediction",
];

/// The block and its test bench as one `.st` file.
///
/// # Errors
/// As [`build`] and [`vectors`]; a block name the test bench uses itself.
pub fn write(plan: &ExportPlan, options: &ExportOptions) -> Result<Exported> {
    let pou = build(plan, options)?;
    let tv = vectors(plan, options)?;
    let text = render(plan, &pou, &tv)?;
    let mut notes = pou.notes.clone();
    notes.push(summary(&tv));
    Ok(Exported { text, notes })
}

/// The name of the test bench of block `name`.
pub fn bench_name(name: &str) -> String {
    format!("TB_{}", name.trim_start_matches('_'))
}

/// One sentence on what the vectors cover.
pub fn summary(tv: &TestVectors) -> String {
    let c = &tv.coverage;
    let mut s = format!(
        "test bench: {} vectors; {} of {} leaves or rules reached; {} of {} thresholds checked on both sides of \
         the exact boundary",
        tv.vectors.len(),
        c.branches_covered,
        c.branches,
        c.thresholds_both_sides,
        c.thresholds
    );
    if c.level_tests > 0 {
        let _ = write!(s, ", {} of {} level tests both ways", c.level_tests_both_ways, c.level_tests);
    }
    let _ = write!(
        s,
        "; {} inputs missing, {} out of range; {} held-out rows",
        c.inputs_missing, c.inputs_out_of_range, c.held_out_rows
    );
    if !c.uncovered.is_empty() {
        let _ = write!(s, "; not reached by any vector: {}", c.uncovered.join(", "));
    }
    s
}

/// A number as a typed literal of the block's type.
fn real(x: f64, ty: RealType) -> String {
    match ty {
        #[allow(clippy::cast_possible_truncation)] // vector values are values of REAL already
        RealType::Real => format!("REAL#{}", format_f32(x as f32)),
        RealType::Lreal => format!("LREAL#{}", format_f64(x)),
    }
}

/// A whole number (a class index or a level code) as an `INT` literal.
fn int(x: f64) -> String {
    #[allow(clippy::cast_possible_truncation)] // level codes and class indices are small whole numbers
    let v = x as i64;
    v.to_string()
}

fn boolean(b: bool) -> String {
    if b { "TRUE" } else { "FALSE" }.to_owned()
}

fn dword(m: u32) -> String {
    format!("DWORD#16#{m:08X}")
}

/// The instance of the block under test.
pub const INSTANCE: &str = "Uut";

/// The loop counter: the number of the vector being run (from 1).
pub const INDEX: &str = "k";

/// One scalar variable of the test bench (or the instance of the block, whose type is the
/// block's name).
#[derive(Debug, Clone, PartialEq)]
pub struct BenchVar {
    /// Its identifier.
    pub name: String,
    /// Its generic type (`BOOL`, `INT`, `REAL`, `LREAL`), or the block's name for the instance.
    pub ty: String,
    /// Its initial value as a generic literal (`TRUE`, `REAL#0.0`), if it has one.
    pub init: Option<String>,
    /// What it is, safe for a comment.
    pub comment: String,
}

/// A piece of the test bench's statements.
#[derive(Debug, Clone, PartialEq)]
pub enum Stmt {
    /// Generic Structured Text, whole lines, each ending in a newline.
    Code(String),
    /// The call of the instance with the inputs of the vector: (the block's input, the value
    /// given), in the block's input order; `pad` is the indentation of the call.
    Call {
        /// The indentation.
        pad: String,
        /// The inputs.
        args: Vec<(String, String)>,
    },
}

/// The test bench of a block, described once and written by each dialect: the generic `.st`
/// file ([`render_bench`]), a TIA Portal source, a TwinCAT POU and a Studio 5000 Add-On
/// Instruction. Its arrays hold one element per vector, vector `k` at index `k` (from 1).
#[derive(Debug, Clone, PartialEq)]
pub struct Bench {
    /// `TB_<block>`.
    pub name: String,
    /// The name of the block under test (the type of [`INSTANCE`]).
    pub block: String,
    /// Header comment lines (made safe for a comment when written).
    pub header: Vec<String>,
    /// `WithNaN`.
    pub inputs: Vec<BenchVar>,
    /// `Done`, `Passed`, `Failures`, `FirstFailure`, `Skipped`.
    pub outputs: Vec<BenchVar>,
    /// The vectors and their expected outputs: constant arrays `ARRAY[1..n] OF T`.
    pub arrays: Vec<Constant>,
    /// The instance, the loop counter, `Same`, and what makes a NaN at run time.
    pub locals: Vec<BenchVar>,
    /// The statements.
    pub body: Vec<Stmt>,
    /// Number of vectors.
    pub vectors: usize,
}

impl Bench {
    /// The names the bench declares (not the block's), in declaration order.
    pub fn declared(&self) -> impl Iterator<Item = &str> {
        self.inputs
            .iter()
            .chain(&self.outputs)
            .map(|v| v.name.as_str())
            .chain(self.arrays.iter().map(|a| a.var.name.as_str()))
            .chain(self.locals.iter().map(|v| v.name.as_str()))
    }
}

/// One vector as the bench runs it: the inputs as the block receives them (NaN for a missing
/// number) and the outputs expected.
#[derive(Debug, Clone, Copy)]
pub struct Case<'a> {
    /// The inputs, in the block's input order.
    pub inputs: &'a [f64],
    /// The outputs expected.
    pub expected: &'a Outputs,
}

/// Writes the block and its test bench.
///
/// # Errors
/// A block name the test bench uses itself, or no vectors at all.
pub fn render(plan: &ExportPlan, pou: &Pou, tv: &TestVectors) -> Result<String> {
    let bench = tree_bench(plan, pou, tv)?;
    let mut out = render_block(pou);
    out.push('\n');
    out.push_str(&render_bench(&bench));
    Ok(out)
}

/// The test bench of a tree or rule block: every comparison exact.
///
/// # Errors
/// A block name the test bench uses itself, or no vectors at all.
pub fn tree_bench(plan: &ExportPlan, pou: &Pou, tv: &TestVectors) -> Result<Bench> {
    tree_bench_as(plan, pou, tv, &bench_name(&pou.name))
}

/// [`tree_bench`] with the bench called `tb` (a tool with a short name limit cuts it).
///
/// # Errors
/// As [`tree_bench`].
pub fn tree_bench_as(plan: &ExportPlan, pou: &Pou, tv: &TestVectors, tb: &str) -> Result<Bench> {
    let cases: Vec<Case<'_>> = tv.vectors.iter().map(|v| Case { inputs: &v.inputs, expected: &v.expected }).collect();
    describe(plan, pou, tb, &cases, tv.logic.real_type, None, |tb| header(plan, pou, tv, tb))
}

/// The test bench `tb` of `pou` running `cases`: real outputs compared exactly, or (`within`)
/// as `ABS(a - b) <= within` (a class index always exactly); `header` gives the comment lines.
///
/// # Errors
/// A block name the test bench uses itself, a bench name too long, or no vectors at all.
#[allow(clippy::too_many_lines)] // the bench's declarations and statements, in the order it writes them
pub fn describe(
    plan: &ExportPlan,
    pou: &Pou,
    tb: &str,
    cases: &[Case<'_>],
    ty: RealType,
    within: Option<f64>,
    header: impl FnOnce(&str) -> Vec<String>,
) -> Result<Bench> {
    let n_inputs = plan.features.len();
    let (second, _) = second_output(plan.task);
    let exp_second = format!("Exp{second}");
    let missing_words = mask_names(MISSING, n_inputs);
    let range_words = mask_names(OUT_OF_RANGE, n_inputs);
    let nan_inputs: Vec<usize> = plan
        .features
        .iter()
        .enumerate()
        .filter(|(j, f)| {
            f.kind == FeatureKind::Numeric && cases.iter().any(|v| v.inputs.get(*j).is_some_and(|x| x.is_nan()))
        })
        .map(|(j, _)| j)
        .collect();
    let has_digits_after = |p: &str| {
        pou.name.get(..p.len()).is_some_and(|h| h.eq_ignore_ascii_case(p))
            && pou.name.get(p.len()..).is_some_and(|t| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()))
    };
    let clash = NAMES
        .iter()
        .map(|s| (*s).to_owned())
        .chain([exp_second.clone(), "ExpValid".into(), "ExpImputed".into()])
        .chain(missing_words.iter().chain(&range_words).map(|m| format!("Exp{m}")))
        .any(|s| s.eq_ignore_ascii_case(&pou.name))
        || ["In", "Nan", "X"].into_iter().any(has_digits_after);
    if clash || tb.eq_ignore_ascii_case(&pou.name) {
        return Err(Error::invalid(format!(
            "the function block cannot be called '{}' in a test bench file: the test bench uses that name",
            pou.name
        )));
    }
    if tb.len() > MAX_IDENTIFIER_LEN {
        return Err(Error::invalid(format!(
            "the test bench's name '{tb}' is longer than {MAX_IDENTIFIER_LEN} characters; give the block a shorter \
             name"
        )));
    }
    if cases.is_empty() {
        return Err(Error::invalid("there are no test vectors to write"));
    }
    let real_kw = ty.keyword();
    let n = cases.len();
    let var = |name: &str, ty: &str, init: Option<&str>, comment: &str| BenchVar {
        name: name.to_owned(),
        ty: ty.to_owned(),
        init: init.map(str::to_owned),
        comment: comment.to_owned(),
    };
    let array = |name: &str, ty: &str, values: Vec<String>, comment: &str| Constant {
        var: Var {
            name: name.to_owned(),
            ty: format!("ARRAY[1..{}] OF {ty}", values.len()),
            comment: comment.to_owned(),
        },
        values,
    };

    // The vectors and the expected outputs.
    let mut arrays = Vec::new();
    for (j, (input, f)) in pou.inputs.iter().zip(&plan.features).enumerate() {
        let values: Vec<String> = cases
            .iter()
            .map(|v| {
                let x = v.inputs.get(j).copied().unwrap_or(f64::NAN);
                match f.kind {
                    FeatureKind::Numeric if x.is_nan() => real(0.0, ty),
                    FeatureKind::Numeric => real(x, ty),
                    FeatureKind::Categorical => int(x),
                }
            })
            .collect();
        let what = match f.kind {
            FeatureKind::Numeric => {
                format!("{} ('{}'); where Nan{} is TRUE the bench gives NaN", input.name, f.name, j + 1)
            }
            FeatureKind::Categorical => format!("{} ('{}') as a level code, -1 missing", input.name, f.name),
        };
        arrays.push(array(&format!("In{}", j + 1), &input.ty, values, &comment_text(&what)));
    }
    for &j in &nan_inputs {
        let values: Vec<String> = cases.iter().map(|v| boolean(v.inputs.get(j).is_some_and(|x| x.is_nan()))).collect();
        let name = pou.inputs.get(j).map_or("?", |i| i.name.as_str());
        arrays.push(array(&format!("Nan{}", j + 1), "BOOL", values, &format!("TRUE where {name} is NaN (missing)")));
    }
    if !nan_inputs.is_empty() {
        let values: Vec<String> = cases.iter().map(|v| boolean(v.inputs.iter().any(|x| x.is_nan()))).collect();
        arrays.push(array("HasNaN", "BOOL", values, "TRUE where an input is NaN"));
    }
    let (pred_ty, preds): (&str, Vec<String>) = match plan.task {
        Task::Classification => ("INT", cases.iter().map(|v| int(v.expected.prediction)).collect()),
        Task::Regression => (real_kw, cases.iter().map(|v| real(v.expected.prediction, ty)).collect()),
    };
    arrays.push(array("ExpPrediction", pred_ty, preds, "expected Prediction"));
    let seconds: Vec<String> = cases.iter().map(|v| real(v.expected.second, ty)).collect();
    arrays.push(array(&exp_second, real_kw, seconds, &format!("expected {second}")));
    let valid: Vec<String> = cases.iter().map(|v| boolean(v.expected.valid)).collect();
    arrays.push(array("ExpValid", "BOOL", valid, "expected Valid"));
    let imputed: Vec<String> = cases.iter().map(|v| boolean(v.expected.imputed)).collect();
    arrays.push(array("ExpImputed", "BOOL", imputed, "expected Imputed"));
    for (w, name) in missing_words.iter().enumerate() {
        let values: Vec<String> =
            cases.iter().map(|v| dword(v.expected.missing.get(w).copied().unwrap_or(0))).collect();
        arrays.push(array(&format!("Exp{name}"), "DWORD", values, &format!("expected {name}")));
    }
    for (w, name) in range_words.iter().enumerate() {
        let values: Vec<String> =
            cases.iter().map(|v| dword(v.expected.out_of_range.get(w).copied().unwrap_or(0))).collect();
        arrays.push(array(&format!("Exp{name}"), "DWORD", values, &format!("expected {name}")));
    }

    // The instance under test, the loop counter and the NaN.
    let mut locals = vec![
        var(INSTANCE, &pou.name, None, "the block under test"),
        var(INDEX, "INT", None, "the vector being run"),
        var("Same", "BOOL", None, "TRUE when every output of the vector is as expected"),
    ];
    if !nan_inputs.is_empty() {
        let zero = real(0.0, ty);
        locals.push(var("Zero", real_kw, Some(&zero), "a variable, so that Zero / Zero is computed at run time"));
        locals.push(var("NaNValue", real_kw, Some(&zero), "Zero / Zero: NaN"));
        for &j in &nan_inputs {
            let name = pou.inputs.get(j).map_or("?", |i| i.name.as_str());
            locals.push(var(&format!("X{}", j + 1), real_kw, None, &format!("{name} as given: In{} or NaN", j + 1)));
        }
    }

    // The loop over the vectors.
    let any_nan = !nan_inputs.is_empty();
    let mut body = Vec::new();
    let mut code = String::from("Done := FALSE;\nFailures := 0;\nFirstFailure := 0;\nSkipped := 0;\n");
    if any_nan {
        code.push_str("IF WithNaN THEN\n    NaNValue := Zero / Zero;\nEND_IF;\n");
    }
    let _ = writeln!(code, "FOR k := 1 TO {n} DO");
    let mut depth = 1;
    if any_nan {
        code.push_str("    IF HasNaN[k] AND NOT WithNaN THEN\n        Skipped := Skipped + 1;\n    ELSE\n");
        depth = 2;
    }
    let pad = "    ".repeat(depth);
    for &j in &nan_inputs {
        let _ = writeln!(code, "{pad}X{0} := In{0}[k];", j + 1);
        let _ = writeln!(code, "{pad}IF Nan{}[k] THEN", j + 1);
        let _ = writeln!(code, "{pad}    X{} := NaNValue;", j + 1);
        let _ = writeln!(code, "{pad}END_IF;");
    }
    body.push(Stmt::Code(code));
    let args: Vec<(String, String)> = pou
        .inputs
        .iter()
        .enumerate()
        .map(|(j, input)| {
            let given = if nan_inputs.contains(&j) { format!("X{}", j + 1) } else { format!("In{}[k]", j + 1) };
            (input.name.clone(), given)
        })
        .collect();
    body.push(Stmt::Call { pad: pad.clone(), args });
    let close = |actual: &str, expected: &str| match within {
        Some(tol) => format!("(ABS({actual} - {expected}) <= {})", real(tol, ty)),
        None => format!("({actual} = {expected})"),
    };
    let prediction = format!("{INSTANCE}.{PREDICTION}");
    let mut checks = vec![
        match plan.task {
            Task::Classification => format!("({prediction} = ExpPrediction[k])"),
            Task::Regression => close(&prediction, "ExpPrediction[k]"),
        },
        close(&format!("{INSTANCE}.{second}"), &format!("{exp_second}[k]")),
        format!("({INSTANCE}.{VALID} = ExpValid[k])"),
        format!("({INSTANCE}.{IMPUTED} = ExpImputed[k])"),
    ];
    for m in missing_words.iter().chain(&range_words) {
        checks.push(format!("({INSTANCE}.{m} = Exp{m}[k])"));
    }
    let mut code = String::new();
    let _ = writeln!(code, "{pad}Same := {};", checks.join(&format!("\n{pad}    AND ")));
    let _ = writeln!(code, "{pad}IF NOT Same THEN");
    let _ = writeln!(code, "{pad}    Failures := Failures + 1;");
    let _ = writeln!(code, "{pad}    IF FirstFailure = 0 THEN");
    let _ = writeln!(code, "{pad}        FirstFailure := k;");
    let _ = writeln!(code, "{pad}    END_IF;");
    let _ = writeln!(code, "{pad}END_IF;");
    if any_nan {
        code.push_str("    END_IF;\n");
    }
    code.push_str("END_FOR;\n");
    code.push_str("Passed := (Failures = 0) AND (Skipped = 0);\nDone := TRUE;\n");
    body.push(Stmt::Code(code));

    Ok(Bench {
        name: tb.to_owned(),
        block: pou.name.clone(),
        header: header(tb),
        inputs: vec![var(
            "WithNaN",
            "BOOL",
            Some("TRUE"),
            "FALSE skips the vectors with a NaN input, for a runtime that stops on a floating-point exception",
        )],
        outputs: vec![
            var("Done", "BOOL", None, "TRUE once every vector has run"),
            var("Passed", "BOOL", None, "TRUE when every vector ran and gave every expected output"),
            var("Failures", "INT", None, "vectors whose outputs differ from the expected ones"),
            var("FirstFailure", "INT", None, "number of the first failing vector (see the list above); 0 when none"),
            var("Skipped", "INT", None, "vectors skipped because WithNaN is FALSE"),
        ],
        arrays,
        locals,
        body,
        vectors: n,
    })
}

fn bench_section(out: &mut String, keyword: &str, vars: &[BenchVar]) {
    out.push_str(keyword);
    out.push('\n');
    for v in vars {
        let init = v.init.as_ref().map(|i| format!(" := {i}")).unwrap_or_default();
        let _ = writeln!(out, "    {} : {}{init}; (* {} *)", v.name, v.ty, v.comment);
    }
    out.push_str("END_VAR\n");
}

/// The test bench's declaration part in generic Structured Text: the header comment,
/// `FUNCTION_BLOCK` and the variables (what a TwinCAT POU holds as its declaration).
pub fn bench_declaration(bench: &Bench) -> String {
    let mut out = String::from("(*\n");
    for l in &bench.header {
        let _ = writeln!(out, "    {}", comment_text(l));
    }
    out.push_str("*)\n");
    let _ = writeln!(out, "FUNCTION_BLOCK {}", bench.name);
    bench_section(&mut out, "VAR_INPUT", &bench.inputs);
    bench_section(&mut out, "VAR_OUTPUT", &bench.outputs);
    out.push_str("VAR CONSTANT\n");
    for a in &bench.arrays {
        constant(&mut out, a);
    }
    out.push_str("END_VAR\n");
    bench_section(&mut out, "VAR", &bench.locals);
    out
}

/// The test bench's statements in generic Structured Text.
pub fn bench_body(bench: &Bench) -> String {
    let mut out = String::new();
    for s in &bench.body {
        match s {
            Stmt::Code(c) => out.push_str(c),
            Stmt::Call { pad, args } => {
                let args: Vec<String> = args.iter().map(|(a, b)| format!("{a} := {b}")).collect();
                let _ = writeln!(out, "{pad}{INSTANCE}(\n{pad}    {}\n{pad});", args.join(&format!(",\n{pad}    ")));
            }
        }
    }
    out
}

/// The test bench as a generic Structured Text function block.
pub fn render_bench(bench: &Bench) -> String {
    let mut out = bench_declaration(bench);
    out.push('\n');
    out.push_str(&bench_body(bench));
    out.push_str("END_FUNCTION_BLOCK\n");
    out
}

/// The test bench's header comment: what it does, how to read its outputs, what the vectors
/// cover, and every vector's purpose by number.
fn header(plan: &ExportPlan, pou: &Pou, tv: &TestVectors, tb: &str) -> Vec<String> {
    let c = &tv.coverage;
    let real_kw = tv.logic.real_type.keyword();
    let mut lines = vec![
        format!(
            "{tb}: test bench for {}. Generated by Glassbox {} with the block above.",
            pou.name,
            env!("CARGO_PKG_VERSION")
        ),
        format!(
            "Call it once: it runs {} test vectors through one instance of {} and compares every output with the \
             value expected, exactly ({real_kw} values included: the expected ones are the literals the block \
             assigns, and every input is a {real_kw} value).",
            tv.vectors.len(),
            pou.name
        ),
        "Done is TRUE after the run; Passed is TRUE when every vector ran and gave every expected output; Failures \
         counts the vectors that did not, and FirstFailure is the number of the first of them (listed below), 0 when \
         none."
            .to_owned(),
        format!(
            "Expected outputs are what the block computes in {real_kw}, as exported: at a threshold's exact boundary \
             that follows the literal written, which may lie a little off the model's own 64-bit threshold."
        ),
        format!(
            "Coverage: {} of {} {} reached; {} of {} thresholds at their literal's exact value and at the next \
             {real_kw} above it{}; each input the logic tests missing, at its training minimum and maximum and \
             just outside them (a level code at -2 and one past the last level), and every input at once in each \
             of these ways; {} held-out rows (up to {HELD_OUT_SAMPLE}, evenly spaced).",
            c.branches_covered,
            c.branches,
            match plan.logic {
                super::LogicSource::Tree => "leaves",
                super::LogicSource::Rules => "rules (with the default rule)",
            },
            c.thresholds_both_sides,
            c.thresholds,
            if c.level_tests > 0 {
                format!("; {} of {} level tests both ways", c.level_tests_both_ways, c.level_tests)
            } else {
                String::new()
            },
            c.held_out_rows
        ),
        "Missing numbers are NaN, which Structured Text has no literal for: the bench makes one at run time as \
         Zero / Zero (IEEE 754: 0/0 is NaN), from a variable so that no compiler refuses it as a constant \
         division by zero. A runtime that stops on floating-point exceptions needs WithNaN := FALSE, which skips \
         the vectors with a NaN input (Skipped counts them, and Passed stays FALSE)."
            .to_owned(),
    ];
    if !c.uncovered.is_empty() {
        lines.push(format!(
            "Not reached by any vector (no row reaches them; rules above decide those rows): {}.",
            c.uncovered.join(", ")
        ));
    }
    lines.push("Vectors (number: what it checks; the block's branch):".to_owned());
    let list: Vec<String> = tv
        .vectors
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let branch = tv.logic.branches.get(v.branch).map_or_else(|| "?".to_owned(), super::plc_eval::Branch::label);
            match v.purpose {
                Purpose::Branch { .. } => format!("  {}: {}", i + 1, v.description),
                _ => format!("  {}: {}; ends in {branch}", i + 1, v.description),
            }
        })
        .collect();
    listing(&mut lines, &list);
    lines
}

/// Appends the list of vectors to the header `lines`, up to a budget: matiec's scanner reads a
/// run of comments between two blocks as one token into a 16 KB buffer and stops on a longer
/// one, so the list stops at the budget and says where.
fn listing(lines: &mut Vec<String>, list: &[String]) {
    let mut used: usize = lines.iter().map(|l| l.len() + 5).sum();
    let mut shown = 0;
    for l in list {
        if used + l.len() + 5 > COMMENT_BUDGET {
            break;
        }
        used += l.len() + 5;
        shown += 1;
    }
    lines.extend(list.iter().take(shown).cloned());
    if shown < list.len() {
        lines.push(format!(
            "  Vectors {} .. {} (held-out rows and further checks) are not listed: some compilers read the comments \
             before a block as one token of at most 16 KB.",
            shown + 1,
            list.len()
        ));
    }
}

/// The test bench of the SVM's own block ([`svm_vectors`](super::vectors::svm_vectors)): the
/// class index compared exactly, `Confidence` (a regression's `Prediction` and `Spread`) as
/// `ABS(a - b) <= tolerance`, as the PLC's arithmetic differs from the model's in the last bits.
///
/// # Errors
/// As [`describe`].
pub fn svm_bench(plan: &ExportPlan, pou: &Pou, mv: &ModelVectors, tb: &str) -> Result<Bench> {
    let cases: Vec<Case<'_>> = mv.vectors.iter().map(|v| Case { inputs: &v.inputs, expected: &v.expected }).collect();
    describe(plan, pou, tb, &cases, mv.real_type, Some(mv.tolerance), |tb| svm_header(plan, pou, mv, tb))
}

/// One sentence on the vectors of an SVM block's test bench.
pub fn svm_summary(mv: &ModelVectors) -> String {
    let mut s = format!(
        "test bench: {} vectors ({} held-out rows; each input missing, at its training minimum and maximum and \
         just outside them; every input at once); Confidence, or a regression's Prediction, compared within {:.1e}",
        mv.vectors.len(),
        mv.held_out_rows,
        mv.tolerance
    );
    if mv.close_calls > 0 {
        let _ = write!(
            s,
            "; {} candidate rows left out, where the model's two most probable classes lie within {:.1e}",
            mv.close_calls,
            2.0 * mv.tolerance
        );
    }
    if mv.beyond > 0 {
        let _ = write!(s, "; {} left out where the block lies beyond the tolerance", mv.beyond);
    }
    s
}

/// The header comment of an SVM block's test bench.
fn svm_header(plan: &ExportPlan, pou: &Pou, mv: &ModelVectors, tb: &str) -> Vec<String> {
    let real_kw = mv.real_type.keyword();
    let tol = super::literal::value_literal(mv.tolerance, mv.real_type).text;
    let (second, _) = second_output(plan.task);
    let mut lines = vec![
        format!(
            "{tb}: test bench for {}, the SVM's own decision function. Generated by Glassbox {} with the block \
             above.",
            pou.name,
            env!("CARGO_PKG_VERSION")
        ),
        format!(
            "Call it once: it runs {} test vectors through one instance of {} and compares every output with the \
             model's own: {}, {second} within {tol} (ABS(a - b) <= {tol}, the tolerance the block states), as the \
             {real_kw} arithmetic of the PLC differs from the model's in the last bits; Valid, Imputed and the masks \
             exactly.",
            mv.vectors.len(),
            pou.name,
            match plan.task {
                Task::Classification => "the class index exactly",
                Task::Regression => "Prediction within the same tolerance",
            }
        ),
        "Done is TRUE after the run; Passed is TRUE when every vector ran and gave every expected output; Failures \
         counts the vectors that did not, and FirstFailure is the number of the first of them (listed below), 0 when \
         none."
            .to_owned(),
        format!(
            "Vectors: {} held-out rows, evenly spaced (the first row of each stretch that qualifies); each input \
             missing, at its training minimum and maximum and just outside them; every input at once in each of \
             these ways. Rows where the model's two most probable classes lie within twice the tolerance are left \
             out ({} candidates), as the block may rightly pick the other class there.",
            mv.held_out_rows, mv.close_calls
        ),
        "Missing numbers are NaN, which Structured Text has no literal for: the bench makes one at run time as \
         Zero / Zero (IEEE 754: 0/0 is NaN), from a variable so that no compiler refuses it as a constant \
         division by zero. A runtime that stops on floating-point exceptions needs WithNaN := FALSE, which skips \
         the vectors with a NaN input (Skipped counts them, and Passed stays FALSE)."
            .to_owned(),
        "Vectors (number: what it checks; what the model decides):".to_owned(),
    ];
    let list: Vec<String> =
        mv.vectors.iter().enumerate().map(|(i, v)| format!("  {}: {}", i + 1, v.description)).collect();
    listing(&mut lines, &list);
    lines
}

/// Bytes of comment the test bench's header may hold (matiec's scanner buffer is 16 KB).
const COMMENT_BUDGET: usize = 12_000;
