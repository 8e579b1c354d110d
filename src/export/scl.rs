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

use std::borrow::Cow;
use std::fmt::Write as _;

use super::dialect::{self, BOM, Piece, crlf, declared, fit_identifiers, renamed_note};
use super::ident::MAX_IDENTIFIER_LEN;
use super::pou::{Pou, Var, build};
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
    let pou = build(plan, options)?;
    let (pou, renamed) = fit_identifiers(&pou, MAX_IDENTIFIER_LEN, RESERVED, options.name.is_some(), "TIA Portal")?;
    let mut notes = pou.notes.clone();
    notes.extend(renamed_note(&renamed, "TIA Portal", "SCL words"));
    if options.real_type == RealType::Lreal {
        notes.push("LReal needs an S7-1200 or S7-1500; an S7-300/400 has no LReal (export REAL for it).".to_owned());
    }
    Ok(Exported { text: render(&pou), notes })
}

/// The type as TIA writes it in a declaration.
fn tia_type(ty: &str) -> &str {
    match ty {
        "REAL" => "Real",
        "LREAL" => "LReal",
        "INT" => "Int",
        "BOOL" => "Bool",
        "DWORD" => "DWord",
        "DINT" => "DInt",
        other => other,
    }
}

fn section(out: &mut String, keyword: &str, vars: &[Var]) {
    let _ = writeln!(out, "   {keyword}");
    for v in vars {
        let _ = writeln!(out, "      {} : {};   // {}", v.name, tia_type(&v.ty), v.comment);
    }
    out.push_str("   END_VAR\n\n");
}

/// The body in SCL: `#` before each variable, `//` comments, `DWord` constants in base 16.
pub fn body(pou: &Pou) -> String {
    let vars = declared(pou);
    let mut out = String::with_capacity(pou.body.len() * 5 / 4);
    for line in pou.body.lines() {
        let mut text = dialect::rewrite(line, |p| match p {
            Piece::Word(w) if vars.contains(&w.to_ascii_uppercase()) => Cow::Owned(format!("#{w}")),
            Piece::Typed(t, v) if t.eq_ignore_ascii_case("DWORD") && !v.contains('#') => {
                match dialect::dword_value(v) {
                    Some(x) => Cow::Owned(format!("DWORD#16#{x:08X}")),
                    None => dialect::original(p),
                }
            }
            // A comment closes its line in the generic body; a `//` comment runs to the end.
            Piece::Comment(c) => Cow::Owned(format!("// {}\n", c.trim())),
            p => dialect::original(p),
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

/// Writes a built function block as a TIA Portal external source.
pub fn render(pou: &Pou) -> String {
    let mut out = String::new();
    out.push(BOM);
    let _ = writeln!(out, "FUNCTION_BLOCK \"{}\"", pou.name);
    out.push_str("{ S7_Optimized_Access := 'TRUE' }\n");
    out.push_str("VERSION : 0.1\n");
    for line in &pou.header {
        let _ = writeln!(out, "// {line}");
    }
    section(&mut out, "VAR_INPUT", &pou.inputs);
    section(&mut out, "VAR_OUTPUT", &pou.outputs);
    section(&mut out, "VAR", &pou.locals);
    out.push_str("\nBEGIN\n");
    out.push_str(&body(pou));
    out.push_str("END_FUNCTION_BLOCK\n");
    crlf(&out)
}
