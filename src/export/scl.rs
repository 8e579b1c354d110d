//! Siemens TIA Portal: the function block as an SCL external source (`.scl`), in the form TIA
//! exports its own blocks, to be added under *External source files* and turned into a block
//! with *Generate blocks from source* (`docs/plc-targets.md`, section 4).
//!
//! ```text
//! FUNCTION_BLOCK "FB_Machine_failure"
//! { S7_Optimized_Access := 'TRUE' }
//! VERSION : 0.1
//! // FB_Machine_failure: predicts 'Machine failure' (classification) from 6 inputs. …
//!    VAR_INPUT
//!       Torque_Nm : Real;   // 'Torque [Nm]'; training range 3.8 .. 76.6
//!    END_VAR
//! …
//! BEGIN
//!     IF #Torque_Nm <> #Torque_Nm THEN
//! ```
//!
//! The bytes follow TIA's exports: a UTF-8 byte-order mark and CR LF line ends; the body indented
//! with a tab; `//` comments;
//! types spelled as TIA spells them (`Real`, `LReal`, `Int`, `Bool`, `DWord`); every reference to
//! a variable of the block prefixed with `#` (without it TIA would look for a PLC tag of that
//! name); typed literals (`REAL#41.65`) and `DWord` constants in base 16 (`DWORD#16#00000000`).
//! The attribute `S7_Optimized_Access` suits S7-1200 and S7-1500; for an S7-300/400 delete that
//! line and export `REAL` (those CPUs have no `LReal`).
//!
//! Constant arrays (the SVM's support vectors, a test bench's vectors) are static arrays with
//! start values: whether TIA takes an array in a `VAR CONSTANT` section was not confirmed. A test
//! bench ([`write_with_bench`]) is a second function block of the same source, after the block,
//! which it holds as a multi-instance (`Uut : "FB_x";`, called `#Uut(Input := …)`, read
//! `#Uut.Prediction`), the form TIA exports its own multi-instances in.

use std::borrow::Cow;
use std::collections::BTreeSet;
use std::fmt::Write as _;

use super::dialect::{self, BOM, Piece, crlf, declared, fit_identifiers, renamed_note};
use super::ident::{MAX_IDENTIFIER_LEN, comment_text};
use super::pou::{Constant, Pou, Var, build};
use super::testbench::{Bench, BenchVar, INSTANCE, Stmt};
use super::{ExportOptions, ExportPlan, Exported, RealType};
use crate::error::Result;

/// Words of TIA's SCL that are not IEC 61131-3 keywords but end or shape a source's
/// declarations (block headers, regions, S7 type names and constant prefixes); a variable is
/// not given one of these names, so that a declaration `BEGIN : Real;` cannot end the
/// declarations early. (Defensive: no Siemens list of reserved words was at hand.)
pub const RESERVED: &[&str] = &[
    "AUTHOR",
    "B",
    "BEGIN",
    "BLOCK_DB",
    "BLOCK_FB",
    "BLOCK_FC",
    "C",
    "COUNTER",
    "DATA_BLOCK",
    "DB_ANY",
    "DTL",
    "DW",
    "END_DATA_BLOCK",
    "END_ORGANIZATION_BLOCK",
    "END_REGION",
    "FAMILY",
    "GOTO",
    "KNOW_HOW_PROTECT",
    "L",
    "LW",
    "NAME",
    "ORGANIZATION_BLOCK",
    "REGION",
    "S5TIME",
    "TIMER",
    "TITLE",
    "VARIANT",
    "VERSION",
    "VOID",
    "W",
];

/// The `.scl` external source of `plan`'s function block.
///
/// # Errors
/// As [`build`].
pub fn write(plan: &ExportPlan, options: &ExportOptions) -> Result<Exported> {
    let (pou, notes) = fitted(&build(plan, options)?, options)?;
    Ok(Exported { text: render(&pou), notes })
}

/// A built block with its names fitted to SCL, and the notes for the user.
///
/// # Errors
/// A block name the user gave that is an SCL word.
pub fn fitted(pou: &Pou, options: &ExportOptions) -> Result<(Pou, Vec<String>)> {
    let (pou, renamed) = fit_identifiers(pou, MAX_IDENTIFIER_LEN, RESERVED, options.name.is_some(), "TIA Portal")?;
    let mut notes = pou.notes.clone();
    notes.extend(renamed_note(&renamed, "TIA Portal", "SCL words"));
    if options.real_type == RealType::Lreal {
        notes.push("LReal needs an S7-1200 or S7-1500; an S7-300/400 has no LReal (export REAL for it).".to_owned());
    }
    Ok((pou, notes))
}

/// The `.scl` source of `plan`'s function block followed by its test bench `TB_<name>`, a second
/// function block in the same source that calls the first as a multi-instance (see
/// [`testbench`](super::testbench)).
///
/// # Errors
/// As [`write()`] and [`testbench::tree_bench`](super::testbench::tree_bench).
pub fn write_with_bench(plan: &ExportPlan, options: &ExportOptions) -> Result<Exported> {
    let (pou, mut notes) = fitted(&build(plan, options)?, options)?;
    let tv = super::vectors::vectors(plan, options)?;
    let bench = super::testbench::tree_bench(plan, &pou, &tv)?;
    notes.push(super::testbench::summary(&tv));
    notes.push(bench_note(&bench));
    Ok(Exported { text: render_with_bench(&pou, &bench), notes })
}

/// What the user needs to know to run the bench in TIA Portal.
pub fn bench_note(bench: &Bench) -> String {
    format!(
        "the test bench {} follows {} in the same source (generate both blocks from it); it holds the vectors as \
         static arrays with start values and the block as a multi-instance; call it once, then read Done, Passed, \
         Failures and FirstFailure",
        bench.name, bench.block
    )
}

/// The type as TIA writes it in a declaration (`Array[0..3] of Real` for an array).
fn tia_type(ty: &str) -> String {
    if let Some((low, high, element)) = dialect::array_type(ty) {
        return format!("Array[{low}..{high}] of {}", tia_type(element));
    }
    match ty {
        "REAL" => "Real",
        "LREAL" => "LReal",
        "INT" => "Int",
        "BOOL" => "Bool",
        "DWORD" => "DWord",
        "DINT" => "DInt",
        other => other,
    }
    .to_owned()
}

fn section(out: &mut String, keyword: &str, vars: &[Var]) {
    let _ = writeln!(out, "   {keyword}");
    for v in vars {
        let _ = writeln!(out, "      {} : {};   // {}", v.name, tia_type(&v.ty), v.comment);
    }
}

/// Values of an array's start value per line.
const PER_LINE: usize = 8;

/// A static array with its start values, `name : Array[a..b] of T := [v, …];   // comment`,
/// `PER_LINE` values a line. (Whether TIA takes an array in a `VAR CONSTANT` section was not
/// confirmed; start values of static arrays are what every S7 CPU keeps.)
fn static_array(out: &mut String, c: &Constant) {
    let lines: Vec<String> = c.values.chunks(PER_LINE).map(|v| v.join(", ")).collect();
    let _ = writeln!(
        out,
        "      {} : {} := [{}];   // {}",
        c.var.name,
        tia_type(&c.var.ty),
        lines.join(",\n         "),
        c.var.comment
    );
}

/// A Structured Text text in SCL: `#` before each name in `vars` (not after a `.`, where it
/// names a member of an instance), `//` comments, `DWord` constants in base 16; each line
/// indented by a tab.
fn code(src: &str, vars: &BTreeSet<String>) -> String {
    let mut out = String::with_capacity(src.len() * 5 / 4);
    for line in src.lines() {
        let mut member = false;
        let mut text = dialect::rewrite(line, |p| {
            let after_point = member;
            member = matches!(p, Piece::Other(o) if o.ends_with('.'));
            match p {
                Piece::Word(w) if !after_point && vars.contains(&w.to_ascii_uppercase()) => Cow::Owned(format!("#{w}")),
                Piece::Typed(t, v) if t.eq_ignore_ascii_case("DWORD") && !v.contains('#') => {
                    match dialect::dword_value(v) {
                        Some(x) => Cow::Owned(format!("DWORD#16#{x:08X}")),
                        None => dialect::original(p),
                    }
                }
                // A comment closes its line in the generic body; a `//` comment runs to the end.
                Piece::Comment(c) => Cow::Owned(format!("// {}\n", c.trim())),
                p => dialect::original(p),
            }
        });
        // A `//` comment that code followed on the same line: the code goes on the next line.
        let indent: String = line.chars().take_while(|c| *c == ' ').collect();
        text = text.trim_end_matches('\n').replace('\n', &format!("\n\t{indent}"));
        if !text.trim().is_empty() {
            out.push('\t');
            out.push_str(text.trim_end());
        }
        out.push('\n');
    }
    out
}

/// The body in SCL: `#` before each variable, `//` comments, `DWord` constants in base 16.
pub fn body(pou: &Pou) -> String {
    code(&pou.body, &declared(pou))
}

/// The block's text, LF line ends, no byte-order mark.
fn block_text(pou: &Pou) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "FUNCTION_BLOCK \"{}\"", pou.name);
    out.push_str("{ S7_Optimized_Access := 'TRUE' }\n");
    out.push_str("VERSION : 0.1\n");
    for line in &pou.header {
        let _ = writeln!(out, "// {line}");
    }
    section(&mut out, "VAR_INPUT", &pou.inputs);
    out.push_str("   END_VAR\n\n");
    section(&mut out, "VAR_OUTPUT", &pou.outputs);
    out.push_str("   END_VAR\n\n");
    section(&mut out, "VAR", &pou.locals);
    for c in &pou.constants {
        static_array(&mut out, c);
    }
    out.push_str("   END_VAR\n\n");
    out.push_str("\nBEGIN\n");
    out.push_str(&body(pou));
    out.push_str("END_FUNCTION_BLOCK\n");
    out
}

/// Writes a built function block as a TIA Portal external source.
pub fn render(pou: &Pou) -> String {
    let mut out = String::new();
    out.push(BOM);
    out.push_str(&block_text(pou));
    crlf(&out)
}

fn bench_vars(out: &mut String, keyword: &str, vars: &[BenchVar], bench: &Bench) {
    let _ = writeln!(out, "   {keyword}");
    for v in vars {
        // The instance of the block is a multi-instance: its type is the block, quoted.
        let ty = if v.ty == bench.block { format!("\"{}\"", v.ty) } else { tia_type(&v.ty) };
        let init = v.init.as_ref().map(|i| format!(" := {i}")).unwrap_or_default();
        let _ = writeln!(out, "      {} : {ty}{init};   // {}", v.name, v.comment);
    }
}

/// The test bench as a second function block of the source (LF line ends).
fn bench_text(bench: &Bench) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "FUNCTION_BLOCK \"{}\"", bench.name);
    out.push_str("{ S7_Optimized_Access := 'TRUE' }\n");
    out.push_str("VERSION : 0.1\n");
    for line in &bench.header {
        let _ = writeln!(out, "// {}", comment_text(line));
    }
    bench_vars(&mut out, "VAR_INPUT", &bench.inputs, bench);
    out.push_str("   END_VAR\n\n");
    bench_vars(&mut out, "VAR_OUTPUT", &bench.outputs, bench);
    out.push_str("   END_VAR\n\n");
    bench_vars(&mut out, "VAR", &bench.locals, bench);
    for a in &bench.arrays {
        static_array(&mut out, a);
    }
    out.push_str("   END_VAR\n\n");
    out.push_str("\nBEGIN\n");
    let vars: BTreeSet<String> = bench.declared().map(str::to_ascii_uppercase).collect();
    for s in &bench.body {
        match s {
            Stmt::Code(c) => out.push_str(&code(c, &vars)),
            Stmt::Call { pad, args } => {
                // Formal parameters are the block's own names: no `#` before them.
                let args: Vec<String> =
                    args.iter().map(|(formal, given)| format!("{formal} := {}", code(given, &vars).trim())).collect();
                let _ = writeln!(
                    out,
                    "\t{pad}#{INSTANCE}({});",
                    args.join(&format!(",\n\t{pad}{}", " ".repeat(INSTANCE.len() + 2)))
                );
            }
        }
    }
    out.push_str("END_FUNCTION_BLOCK\n");
    out
}

/// The block and its test bench as one TIA Portal external source: the block first, as a
/// source must declare a block before a block that uses it.
pub fn render_with_bench(pou: &Pou, bench: &Bench) -> String {
    let mut out = String::new();
    out.push(BOM);
    out.push_str(&block_text(pou));
    out.push('\n');
    out.push_str(&bench_text(bench));
    crlf(&out)
}
