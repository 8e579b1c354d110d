//! Rockwell Studio 5000 Logix Designer: the function block as an Add-On Instruction with one
//! Structured Text routine, in an `.L5X` file to import with *Add-On Instructions → Import
//! Add-On Instruction…* (`docs/plc-targets.md`, section 6).
//!
//! ```text
//! <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
//! <RSLogix5000Content SchemaRevision="1.0" SoftwareRevision="32.02" TargetName="FB_Machine_failure"
//!     TargetType="AddOnInstructionDefinition" …>
//! <Controller Use="Context" Name="Glassbox">
//! <AddOnInstructionDefinitions Use="Context">
//! <AddOnInstructionDefinition Use="Target" Name="FB_Machine_failure" Revision="1.0" …>
//! <Parameters> EnableIn, EnableOut, the inputs, the outputs </Parameters>
//! <LocalTags> the inputs as used, decision, certainty </LocalTags>
//! <Routines><Routine Name="Logic" Type="ST"><STContent>
//! <Line Number="0">
//! <![CDATA[(*]]>
//! </Line>
//! …
//! ```
//!
//! What differs from the generic block, and why:
//! - Logix has no `DWORD`: the bit masks `Missing` and `OutOfRange` are `DINT` (bit 31 is the
//!   sign bit), their constants written in base 16 (`16#00000001`) as Logix exports write them.
//! - Real literals are untyped (`61.65`, `4.0E-7`): no typed literal occurs in any Logix export
//!   we read. The digits are the same shortest round-trip digits as the `REAL#` literals, so a
//!   compiler that reads them as `REAL` holds the same number.
//! - `LREAL` exists only on `CompactLogix` 5380/5480 and `ControlLogix` 5580 (and their
//!   `GuardLogix` versions), so an `LREAL` export is refused: Logix blocks use `REAL`.
//! - Names have at most 40 characters and cannot be `EnableIn`/`EnableOut` (the AOI's own
//!   parameters): longer ones are shortened (see [`dialect::fit_identifiers`]).
//! - The bytes follow Logix exports: a UTF-8 byte-order mark, one element per line; CR LF line
//!   ends as TIA and TwinCAT write them (XML parsers read CR LF and LF alike).
//! - Dates come from the export's date option, never the clock, with 1970-01-01 when none is
//!   given; Studio 5000 replaces an existing AOI on import only when `EditedDate` changed, so
//!   a changed model needs a new date.

use std::borrow::Cow;
use std::fmt::Write as _;

use super::dialect::{self, BOM, Piece, crlf, fit_identifiers, renamed_note};
use super::ident::xml_escape;
use super::pou::{Pou, Var, build};
use super::{ExportOptions, ExportPlan, Exported, RealType};
use crate::error::{Error, Result};

/// Longest Logix name (tags, parameters, AOI names; 1756-PM004, "at most 40 characters").
pub const MAX_NAME_LEN: usize = 40;

/// Names an AOI reserves for its own parameters.
pub const RESERVED: &[&str] = &["EnableIn", "EnableOut"];

/// Most parameters and local tags an AOI may have, together (1756-PM010).
pub const MAX_MEMBERS: usize = 512;

/// Longest description Logix keeps.
pub const MAX_DESCRIPTION: usize = 512;

/// The Logix Designer version written by default: the oldest version among the real exports
/// read for `docs/plc-targets.md`; a file imports into that version and newer ones.
pub const SOFTWARE_REVISION: &str = "32.02";

/// The date written when the export has none: the start of 1970, so exports stay identical.
pub const UNDATED: &str = "1970-01-01T00:00:00";

/// Choices that only the Logix file has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct L5xOptions {
    /// The Logix Designer version the file states (`major.minor`, e.g. `32.02`); the file
    /// imports into that version and newer ones.
    pub software_revision: String,
}

impl Default for L5xOptions {
    fn default() -> Self {
        Self { software_revision: SOFTWARE_REVISION.to_owned() }
    }
}

/// The `.L5X` Add-On Instruction of `plan`'s function block, for Logix Designer
/// [`SOFTWARE_REVISION`].
///
/// # Errors
/// As [`write_with`].
pub fn write(plan: &ExportPlan, options: &ExportOptions) -> Result<Exported> {
    write_with(plan, options, &L5xOptions::default())
}

/// The `.L5X` Add-On Instruction of `plan`'s function block.
///
/// # Errors
/// `LREAL` (see the module documentation), a block name longer than 40 characters, more than
/// 512 parameters and tags, a bad software revision, or anything [`build`] refuses.
pub fn write_with(plan: &ExportPlan, options: &ExportOptions, l5x: &L5xOptions) -> Result<Exported> {
    if options.real_type == RealType::Lreal {
        return Err(Error::invalid(
            "Studio 5000 blocks are exported with REAL: LREAL exists only on CompactLogix 5380/5480 and \
             ControlLogix 5580 controllers (and their GuardLogix versions), not on 5370/5570, and how Logix types \
             an untyped real literal is not documented; export with REAL",
        ));
    }
    let revision = l5x.software_revision.trim();
    let digits = |s: &str| !s.is_empty() && s.len() <= 3 && s.bytes().all(|c| c.is_ascii_digit());
    let valid_revision = revision.split_once('.').is_some_and(|(a, b)| digits(a) && digits(b));
    if !valid_revision {
        return Err(Error::invalid(format!(
            "'{}' is not a Logix Designer version; write it as major.minor, e.g. {SOFTWARE_REVISION}",
            super::ident::comment_text(revision)
        )));
    }
    let pou = build(plan, options)?;
    let (pou, renamed) = fit_identifiers(&pou, MAX_NAME_LEN, RESERVED, options.name.is_some(), "Studio 5000")?;
    let members = 2 + pou.inputs.len() + pou.outputs.len() + pou.locals.len();
    if members > MAX_MEMBERS {
        return Err(Error::invalid(format!(
            "an Add-On Instruction holds at most {MAX_MEMBERS} parameters and local tags; this block needs {members} \
             ({} inputs); export fewer features",
            pou.inputs.len()
        )));
    }
    let mut notes = pou.notes.clone();
    notes.extend(renamed_note(&renamed, "Studio 5000", "names there have at most 40 characters"));
    notes.push(format!(
        "Studio 5000 replaces an existing Add-On Instruction on import only when its EditedDate changed: \
         export a changed model with a new date{}.",
        if pou.date.is_none() { " (this file states 1970-01-01)" } else { "" }
    ));
    Ok(Exported { text: render(&pou, revision)?, notes })
}

/// The Logix type of a generic type (`DWORD` becomes `DINT`) and the radix Logix shows it in.
fn logix_type(ty: &str) -> (&str, &str) {
    match ty {
        "REAL" => ("REAL", "Float"),
        "DWORD" => ("DINT", "Hex"),
        other => (other, "Decimal"),
    }
}

/// The default value in both forms Logix exports write (L5K and decorated).
fn default_data(out: &mut String, ty: &str) {
    let (logix, radix) = logix_type(ty);
    let (l5k, decorated) = match logix {
        "REAL" => ("0.00000000e+000", "0.0"),
        "DINT" => ("0", "16#0000_0000"),
        _ => ("0", "0"),
    };
    let _ = writeln!(out, "<DefaultData Format=\"L5K\">\n<![CDATA[{l5k}]]>\n</DefaultData>");
    let _ = writeln!(
        out,
        "<DefaultData Format=\"Decorated\">\n<DataValue DataType=\"{logix}\" Radix=\"{radix}\" Value=\"{decorated}\"/>\n\
         </DefaultData>"
    );
}

/// A description, cut to the length Logix keeps.
fn description(out: &mut String, text: &str) {
    let text: String = text.chars().take(MAX_DESCRIPTION).collect();
    let _ = writeln!(out, "<Description>\n<![CDATA[{text}]]>\n</Description>");
}

fn parameter(out: &mut String, v: &Var, usage: &str) {
    let (logix, radix) = logix_type(&v.ty);
    let (required, access) = if usage == "Input" { ("true", "Read/Write") } else { ("false", "Read Only") };
    let _ = writeln!(
        out,
        "<Parameter Name=\"{}\" TagType=\"Base\" DataType=\"{logix}\" Usage=\"{usage}\" Radix=\"{radix}\" \
         Required=\"{required}\" Visible=\"true\" ExternalAccess=\"{access}\">",
        v.name
    );
    description(out, &v.comment);
    default_data(out, &v.ty);
    out.push_str("</Parameter>\n");
}

fn local_tag(out: &mut String, v: &Var) {
    let (logix, radix) = logix_type(&v.ty);
    let _ =
        writeln!(out, "<LocalTag Name=\"{}\" DataType=\"{logix}\" Radix=\"{radix}\" ExternalAccess=\"None\">", v.name);
    description(out, &v.comment);
    default_data(out, &v.ty);
    out.push_str("</LocalTag>\n");
}

/// The routine's Structured Text, one line per entry: the header as a comment, then the body in
/// Logix ST (untyped real literals, `DINT` masks in base 16).
pub fn routine_lines(pou: &Pou) -> Vec<String> {
    let mut lines = vec!["(*".to_owned()];
    lines.extend(pou.header.iter().map(|l| format!("    {l}")));
    lines.push(
        "    In Logix: real literals are written without REAL# (the same digits), and Missing and OutOfRange \
         are DINT, as Logix has no DWORD (bit 31 is the sign bit)."
            .to_owned(),
    );
    lines.push("*)".to_owned());
    lines.push(String::new());
    let body = dialect::rewrite(&pou.body, |p| match p {
        Piece::Typed(t, v) if t.eq_ignore_ascii_case("REAL") || t.eq_ignore_ascii_case("LREAL") => Cow::Borrowed(v),
        Piece::Typed(t, v) if t.eq_ignore_ascii_case("DWORD") => match dialect::dword_value(v) {
            Some(0) => Cow::Borrowed("0"),
            Some(x) => Cow::Owned(format!("16#{x:08X}")),
            None => dialect::original(p),
        },
        p => dialect::original(p),
    });
    lines.extend(body.lines().map(str::to_owned));
    lines
}

/// The dates Logix writes, from a date option's `YYYY-MM-DDTHH:MM:SS`: ISO 8601 with
/// milliseconds and `Z`, and the `ExportDate` form (`Mon May 06 00:00:00 2024`).
fn dates(date: Option<&str>) -> Result<(String, String)> {
    let d = date.unwrap_or(UNDATED);
    let t = chrono::NaiveDateTime::parse_from_str(d, "%Y-%m-%dT%H:%M:%S")
        .map_err(|_| Error::invalid(format!("'{d}' is not a date; write YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS")))?;
    Ok((t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(), t.format("%a %b %d %H:%M:%S %Y").to_string()))
}

/// Writes a built (and fitted) function block as an `.L5X` Add-On Instruction for Logix
/// Designer `revision`.
///
/// # Errors
/// A date that is not `YYYY-MM-DDTHH:MM:SS`.
pub fn render(pou: &Pou, revision: &str) -> Result<String> {
    let (edited, export_date) = dates(pou.date.as_deref())?;
    let name = xml_escape(&pou.name);
    let revision = xml_escape(revision);
    let mut out = String::new();
    out.push(BOM);
    out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n");
    let _ = writeln!(
        out,
        "<RSLogix5000Content SchemaRevision=\"1.0\" SoftwareRevision=\"{revision}\" TargetName=\"{name}\" \
         TargetType=\"AddOnInstructionDefinition\" TargetRevision=\"1.0 \" TargetLastEdited=\"{edited}\" \
         ContainsContext=\"true\" ExportDate=\"{export_date}\" ExportOptions=\"References NoRawData L5KData \
         DecoratedData Context Dependencies ForceProtectedEncoding AllProjDocTrans\">"
    );
    out.push_str("<Controller Use=\"Context\" Name=\"Glassbox\">\n<DataTypes Use=\"Context\"/>\n");
    out.push_str("<AddOnInstructionDefinitions Use=\"Context\">\n");
    let _ = writeln!(
        out,
        "<AddOnInstructionDefinition Use=\"Target\" Name=\"{name}\" Revision=\"1.0\" ExecutePrescan=\"false\" \
         ExecutePostscan=\"false\" ExecuteEnableInFalse=\"false\" CreatedDate=\"{edited}\" CreatedBy=\"Glassbox\" \
         EditedDate=\"{edited}\" EditedBy=\"Glassbox\" SoftwareRevision=\"v{revision}\">"
    );
    description(&mut out, pou.header.first().map_or("", String::as_str));
    out.push_str("<Parameters>\n");
    for (n, usage, what) in [("EnableIn", "Input", "Enable Input"), ("EnableOut", "Output", "Enable Output")] {
        let _ = writeln!(
            out,
            "<Parameter Name=\"{n}\" TagType=\"Base\" DataType=\"BOOL\" Usage=\"{usage}\" Radix=\"Decimal\" \
             Required=\"false\" Visible=\"false\" ExternalAccess=\"Read Only\">"
        );
        description(&mut out, &format!("{what} - System Defined Parameter"));
        out.push_str("</Parameter>\n");
    }
    for v in &pou.inputs {
        parameter(&mut out, v, "Input");
    }
    for v in &pou.outputs {
        parameter(&mut out, v, "Output");
    }
    out.push_str("</Parameters>\n<LocalTags>\n");
    for v in &pou.locals {
        local_tag(&mut out, v);
    }
    out.push_str("</LocalTags>\n<Routines>\n<Routine Name=\"Logic\" Type=\"ST\">\n<STContent>\n");
    for (i, line) in routine_lines(pou).iter().enumerate() {
        let _ = writeln!(out, "<Line Number=\"{i}\">\n<![CDATA[{line}]]>\n</Line>");
    }
    out.push_str("</STContent>\n</Routine>\n</Routines>\n</AddOnInstructionDefinition>\n");
    out.push_str("</AddOnInstructionDefinitions>\n</Controller>\n</RSLogix5000Content>\n");
    Ok(crlf(&out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_take_the_logix_forms() {
        let (iso, export) = dates(Some("2024-05-06T00:00:00")).expect("date");
        assert_eq!(iso, "2024-05-06T00:00:00.000Z");
        assert_eq!(export, "Mon May 06 00:00:00 2024");
        let (iso, export) = dates(None).expect("epoch");
        assert_eq!((iso.as_str(), export.as_str()), ("1970-01-01T00:00:00.000Z", "Thu Jan 01 00:00:00 1970"));
    }
}
