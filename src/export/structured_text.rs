//! IEC 61131-3 Structured Text: one `FUNCTION_BLOCK` with a header comment, `VAR_INPUT` per
//! feature in model order, the outputs `Prediction`, `Confidence` and `Valid`, and the body
//! [`pou`](super::pou) builds.
//!
//! ```text
//! FUNCTION_BLOCK FB_Machine_failure
//! VAR_INPUT
//!     Type : INT; (* 'Type' as a level code: 0 = 'H', 1 = 'L', 2 = 'M' *)
//!     Torque_Nm : REAL; (* 'Torque [Nm]'; training range 3.8 .. 76.6 *)
//! END_VAR
//! …
//! IF Torque_Nm <= REAL#61.65 THEN
//! ```

use std::fmt::Write as _;

use super::pou::{Constant, Pou, Var, build};
use super::{ExportOptions, ExportPlan, Exported};
use crate::error::Result;

/// The Structured Text of `plan`'s function block.
///
/// # Errors
/// As [`build`].
pub fn write(plan: &ExportPlan, options: &ExportOptions) -> Result<Exported> {
    let pou = build(plan, options)?;
    Ok(Exported { text: render(&pou), notes: pou.notes.clone() })
}

/// The header comment, one line per entry.
pub fn header_comment(pou: &Pou) -> String {
    let mut s = String::from("(*\n");
    for line in &pou.header {
        s.push_str("    ");
        s.push_str(line);
        s.push('\n');
    }
    s.push_str("*)\n");
    s
}

fn section(out: &mut String, keyword: &str, vars: &[Var]) {
    out.push_str(keyword);
    out.push('\n');
    for v in vars {
        let _ = writeln!(out, "    {} : {}; (* {} *)", v.name, v.ty, v.comment);
    }
    out.push_str("END_VAR\n");
}

/// The declaration part: the header comment, `FUNCTION_BLOCK` and the variables.
pub fn declaration(pou: &Pou) -> String {
    let mut out = header_comment(pou);
    let _ = writeln!(out, "FUNCTION_BLOCK {}", pou.name);
    section(&mut out, "VAR_INPUT", &pou.inputs);
    section(&mut out, "VAR_OUTPUT", &pou.outputs);
    section(&mut out, "VAR", &pou.locals);
    if !pou.constants.is_empty() {
        out.push_str("VAR CONSTANT\n");
        for c in &pou.constants {
            constant(&mut out, c);
        }
        out.push_str("END_VAR\n");
    }
    out
}

/// Values of a constant array per line.
pub(super) const PER_LINE: usize = 8;

/// `name : ARRAY[..] OF T := [ (* comment *)` then the values, `PER_LINE` a line.
pub(super) fn constant(out: &mut String, c: &Constant) {
    let _ = writeln!(out, "    {} : {} := [ (* {} *)", c.var.name, c.var.ty, c.var.comment);
    let lines: Vec<String> = c.values.chunks(PER_LINE).map(|v| format!("        {}", v.join(", "))).collect();
    out.push_str(&lines.join(",\n"));
    out.push_str("\n    ];\n");
}

/// Writes a built function block as an `.st` file.
pub fn render(pou: &Pou) -> String {
    let mut out = declaration(pou);
    out.push('\n');
    out.push_str(&pou.body);
    out.push_str("END_FUNCTION_BLOCK\n");
    out
}
