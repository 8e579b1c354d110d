//! A test bench for the exported block, in the same `.st` file: the function block, then a
//! function block `TB_<name>` that runs every test vector of [`vectors`](super::vectors)
//! through one instance of it and compares every output with the value expected.
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
//! purpose the header lists). Every comparison is exact, `REAL` ones included: the expected values
//! are the literals the block itself assigns, and the inputs are values of the block's type.
//!
//! A missing number is NaN, which ST has no literal for. The bench makes one at run time by
//! dividing a variable holding 0.0 by itself (IEEE 754 gives NaN for 0/0; a variable, so a
//! compiler cannot refuse a constant division by zero). A runtime that stops on floating-point
//! exceptions can run the bench with `WithNaN := FALSE`: the vectors with a NaN input are then
//! skipped and counted in `Skipped`, and `Passed` stays FALSE.

use std::fmt::Write as _;

use super::ident::{MAX_IDENTIFIER_LEN, comment_text};
use super::literal::{RealType, format_f32, format_f64};
use super::pou::{IMPUTED, MISSING, OUT_OF_RANGE, PREDICTION, Pou, VALID, build, mask_names, second_output};
use super::structured_text::render as render_block;
use super::vectors::{HELD_OUT_SAMPLE, Purpose, TestVectors, vectors};
use super::{ExportOptions, ExportPlan, Exported};
use crate::error::{Error, Result};
use crate::model::Task;
use crate::model::pipeline::FeatureKind;

/// Values per line in the constant arrays.
const PER_LINE: usize = 8;

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

/// `name : ARRAY[1..n] OF ty := [...];` with `PER_LINE` values a line.
fn array(out: &mut String, name: &str, ty: &str, values: &[String], comment: &str) {
    let _ = writeln!(out, "    {name} : ARRAY[1..{}] OF {ty} := [ (* {comment} *)", values.len());
    let lines: Vec<String> = values.chunks(PER_LINE).map(|c| format!("        {}", c.join(", "))).collect();
    out.push_str(&lines.join(",\n"));
    out.push_str("\n    ];\n");
}

/// Writes the block and its test bench.
///
/// # Errors
/// A block name the test bench uses itself, or no vectors at all.
pub fn render(plan: &ExportPlan, pou: &Pou, tv: &TestVectors) -> Result<String> {
    let tb = bench_name(&pou.name);
    let n_inputs = plan.features.len();
    let (second, _) = second_output(plan.task);
    let bench = Bench {
        plan,
        pou,
        tv,
        exp_second: format!("Exp{second}"),
        second,
        missing_words: mask_names(MISSING, n_inputs),
        range_words: mask_names(OUT_OF_RANGE, n_inputs),
        nan_inputs: plan
            .features
            .iter()
            .enumerate()
            .filter(|(j, f)| {
                f.kind == FeatureKind::Numeric
                    && tv.vectors.iter().any(|v| v.inputs.get(*j).is_some_and(|x| x.is_nan()))
            })
            .map(|(j, _)| j)
            .collect(),
    };
    let has_digits_after = |p: &str| {
        pou.name.get(..p.len()).is_some_and(|h| h.eq_ignore_ascii_case(p))
            && pou.name.get(p.len()..).is_some_and(|t| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()))
    };
    let clash = NAMES
        .iter()
        .map(|s| (*s).to_owned())
        .chain([bench.exp_second.clone(), "ExpValid".into(), "ExpImputed".into()])
        .chain(bench.missing_words.iter().chain(&bench.range_words).map(|m| format!("Exp{m}")))
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
    if tv.vectors.is_empty() {
        return Err(Error::invalid("there are no test vectors to write"));
    }
    let mut out = render_block(pou);
    out.push('\n');
    header(&mut out, plan, pou, tv, &tb);
    let _ = writeln!(out, "FUNCTION_BLOCK {tb}");
    out.push_str("VAR_INPUT\n");
    out.push_str(
        "    WithNaN : BOOL := TRUE; (* FALSE skips the vectors with a NaN input, for a runtime that stops on a \
         floating-point exception *)\n",
    );
    out.push_str("END_VAR\nVAR_OUTPUT\n");
    out.push_str("    Done : BOOL; (* TRUE once every vector has run *)\n");
    out.push_str("    Passed : BOOL; (* TRUE when every vector ran and gave every expected output *)\n");
    out.push_str("    Failures : INT; (* vectors whose outputs differ from the expected ones *)\n");
    out.push_str(
        "    FirstFailure : INT; (* number of the first failing vector (see the list above); 0 when none *)\n",
    );
    out.push_str("    Skipped : INT; (* vectors skipped because WithNaN is FALSE *)\n");
    out.push_str("END_VAR\nVAR CONSTANT\n");
    bench.constants(&mut out);
    out.push_str("END_VAR\nVAR\n");
    bench.locals(&mut out);
    out.push_str("END_VAR\n\n");
    bench.body(&mut out);
    out.push_str("END_FUNCTION_BLOCK\n");
    Ok(out)
}

/// What the test bench's declarations and body are written from.
struct Bench<'a> {
    plan: &'a ExportPlan,
    pou: &'a Pou,
    tv: &'a TestVectors,
    /// `Confidence` or `Spread`.
    second: &'static str,
    /// The array of its expected values.
    exp_second: String,
    /// `Missing`, `Missing2`, …
    missing_words: Vec<String>,
    /// `OutOfRange`, …
    range_words: Vec<String>,
    /// Number inputs that are NaN in some vector.
    nan_inputs: Vec<usize>,
}

impl Bench<'_> {
    fn ty(&self) -> RealType {
        self.tv.logic.real_type
    }

    /// The vectors and expected outputs as constant arrays.
    fn constants(&self, out: &mut String) {
        let (ty, vs) = (self.ty(), &self.tv.vectors[..]);
        let real_kw = ty.keyword();
        for (j, (input, f)) in self.pou.inputs.iter().zip(&self.plan.features).enumerate() {
            let values: Vec<String> = vs
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
            array(out, &format!("In{}", j + 1), &input.ty, &values, &comment_text(&what));
        }
        for &j in &self.nan_inputs {
            let values: Vec<String> = vs.iter().map(|v| boolean(v.inputs.get(j).is_some_and(|x| x.is_nan()))).collect();
            let name = self.pou.inputs.get(j).map_or("?", |i| i.name.as_str());
            array(out, &format!("Nan{}", j + 1), "BOOL", &values, &format!("TRUE where {name} is NaN (missing)"));
        }
        if !self.nan_inputs.is_empty() {
            let values: Vec<String> = vs.iter().map(|v| boolean(v.has_nan())).collect();
            array(out, "HasNaN", "BOOL", &values, "TRUE where an input is NaN");
        }
        let (pred_ty, preds): (&str, Vec<String>) = match self.plan.task {
            Task::Classification => ("INT", vs.iter().map(|v| int(v.expected.prediction)).collect()),
            Task::Regression => (real_kw, vs.iter().map(|v| real(v.expected.prediction, ty)).collect()),
        };
        array(out, "ExpPrediction", pred_ty, &preds, "expected Prediction");
        let seconds: Vec<String> = vs.iter().map(|v| real(v.expected.second, ty)).collect();
        array(out, &self.exp_second, real_kw, &seconds, &format!("expected {}", self.second));
        let valid: Vec<String> = vs.iter().map(|v| boolean(v.expected.valid)).collect();
        array(out, "ExpValid", "BOOL", &valid, "expected Valid");
        let imputed: Vec<String> = vs.iter().map(|v| boolean(v.expected.imputed)).collect();
        array(out, "ExpImputed", "BOOL", &imputed, "expected Imputed");
        for (w, name) in self.missing_words.iter().enumerate() {
            let values: Vec<String> =
                vs.iter().map(|v| dword(v.expected.missing.get(w).copied().unwrap_or(0))).collect();
            array(out, &format!("Exp{name}"), "DWORD", &values, &format!("expected {name}"));
        }
        for (w, name) in self.range_words.iter().enumerate() {
            let values: Vec<String> =
                vs.iter().map(|v| dword(v.expected.out_of_range.get(w).copied().unwrap_or(0))).collect();
            array(out, &format!("Exp{name}"), "DWORD", &values, &format!("expected {name}"));
        }
    }

    /// The instance under test, the loop counter and the NaN.
    fn locals(&self, out: &mut String) {
        let ty = self.ty();
        let real_kw = ty.keyword();
        let _ = writeln!(out, "    Uut : {}; (* the block under test *)", self.pou.name);
        out.push_str("    k : INT; (* the vector being run *)\n");
        out.push_str("    Same : BOOL; (* TRUE when every output of the vector is as expected *)\n");
        if !self.nan_inputs.is_empty() {
            let zero = real(0.0, ty);
            let _ = writeln!(
                out,
                "    Zero : {real_kw} := {zero}; (* a variable, so that Zero / Zero is computed at run time *)"
            );
            let _ = writeln!(out, "    NaNValue : {real_kw} := {zero}; (* Zero / Zero: NaN *)");
            for &j in &self.nan_inputs {
                let name = self.pou.inputs.get(j).map_or("?", |i| i.name.as_str());
                let _ = writeln!(out, "    X{} : {real_kw}; (* {name} as given: In{} or NaN *)", j + 1, j + 1);
            }
        }
    }

    /// The loop over the vectors.
    fn body(&self, out: &mut String) {
        let any_nan = !self.nan_inputs.is_empty();
        out.push_str("Done := FALSE;\nFailures := 0;\nFirstFailure := 0;\nSkipped := 0;\n");
        if any_nan {
            out.push_str("IF WithNaN THEN\n    NaNValue := Zero / Zero;\nEND_IF;\n");
        }
        let _ = writeln!(out, "FOR k := 1 TO {} DO", self.tv.vectors.len());
        let mut depth = 1;
        if any_nan {
            out.push_str("    IF HasNaN[k] AND NOT WithNaN THEN\n        Skipped := Skipped + 1;\n    ELSE\n");
            depth = 2;
        }
        let pad = "    ".repeat(depth);
        for &j in &self.nan_inputs {
            let _ = writeln!(out, "{pad}X{0} := In{0}[k];", j + 1);
            let _ = writeln!(out, "{pad}IF Nan{}[k] THEN", j + 1);
            let _ = writeln!(out, "{pad}    X{} := NaNValue;", j + 1);
            let _ = writeln!(out, "{pad}END_IF;");
        }
        let args: Vec<String> = self
            .pou
            .inputs
            .iter()
            .enumerate()
            .map(|(j, input)| {
                if self.nan_inputs.contains(&j) {
                    format!("{} := X{}", input.name, j + 1)
                } else {
                    format!("{} := In{}[k]", input.name, j + 1)
                }
            })
            .collect();
        let _ = writeln!(out, "{pad}Uut(\n{pad}    {}\n{pad});", args.join(&format!(",\n{pad}    ")));
        let mut checks = vec![
            format!("(Uut.{PREDICTION} = ExpPrediction[k])"),
            format!("(Uut.{} = {}[k])", self.second, self.exp_second),
            format!("(Uut.{VALID} = ExpValid[k])"),
            format!("(Uut.{IMPUTED} = ExpImputed[k])"),
        ];
        for m in self.missing_words.iter().chain(&self.range_words) {
            checks.push(format!("(Uut.{m} = Exp{m}[k])"));
        }
        let _ = writeln!(out, "{pad}Same := {};", checks.join(&format!("\n{pad}    AND ")));
        let _ = writeln!(out, "{pad}IF NOT Same THEN");
        let _ = writeln!(out, "{pad}    Failures := Failures + 1;");
        let _ = writeln!(out, "{pad}    IF FirstFailure = 0 THEN");
        let _ = writeln!(out, "{pad}        FirstFailure := k;");
        let _ = writeln!(out, "{pad}    END_IF;");
        let _ = writeln!(out, "{pad}END_IF;");
        if any_nan {
            out.push_str("    END_IF;\n");
        }
        out.push_str("END_FOR;\n");
        out.push_str("Passed := (Failures = 0) AND (Skipped = 0);\nDone := TRUE;\n");
    }
}

/// The test bench's header comment: what it does, how to read its outputs, what the vectors
/// cover, and every vector's purpose by number.
fn header(out: &mut String, plan: &ExportPlan, pou: &Pou, tv: &TestVectors, tb: &str) {
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
    // matiec's scanner reads a run of comments between two blocks as one token into a 16 KB
    // buffer and stops on a longer one, so the list stops at a budget and says where.
    let mut used: usize = lines.iter().map(|l| l.len() + 5).sum();
    let mut shown = 0;
    for l in &list {
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
    out.push_str("(*\n");
    for l in lines {
        let _ = writeln!(out, "    {}", comment_text(&l));
    }
    out.push_str("*)\n");
}

/// Bytes of comment the test bench's header may hold (matiec's scanner buffer is 16 KB).
const COMMENT_BUDGET: usize = 12_000;
