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
//! - Arrays (the SVM's constants, a test bench's vectors) are local tags with `Dimensions` and
//!   default data: an AOI's local tags cannot be constant, and Logix arrays start at 0, so an
//!   array declared from 1 gets an unused element 0; a `BOOL` array has a multiple of 32
//!   elements. Logix has no `EXP`: `EXP(x)` is written `(2.7182817 ** (x))`.
//! - A test bench ([`write_bench_with`]) is an Add-On Instruction that uses the block's: one
//!   file holds both definitions, the block's first (context), the bench's last (target), as
//!   Logix Designer exports an instruction with the ones it uses; the bench calls the block as
//!   `FB(Uut, input, …)`.

use std::borrow::Cow;
use std::fmt::Write as _;

use super::dialect::{self, BOM, Lit, Piece, crlf, fit_identifiers, renamed_note};
use super::ident::xml_escape;
use super::literal::format_f32;
use super::pou::{Pou, Var, build};
use super::testbench::{Bench, BenchVar, INDEX, INSTANCE, Stmt};
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
    let revision = check_options(options, l5x)?;
    let (pou, notes) = fitted(&build(plan, options)?, options)?;
    Ok(Exported { text: render(&pou, revision)?, notes })
}

/// The `.L5X` file of `plan`'s test bench `TB_<name>` (see [`testbench`](super::testbench)): an
/// Add-On Instruction that calls the block's, both definitions in one file, the bench as the
/// target and the block as its context, as Logix Designer exports an instruction with the ones it
/// uses.
///
/// # Errors
/// As [`write_with`]; a bench beyond an Add-On Instruction's limits (512 parameters and local
/// tags, 2 MB of instance data), or a bench name that cannot differ from the block's.
pub fn write_bench_with(plan: &ExportPlan, options: &ExportOptions, l5x: &L5xOptions) -> Result<Exported> {
    let revision = check_options(options, l5x)?;
    let (pou, mut notes) = fitted(&build(plan, options)?, options)?;
    let tv = super::vectors::vectors(plan, options)?;
    let tb = bench_name(&pou.name)?;
    let bench = super::testbench::tree_bench_as(plan, &pou, &tv, &tb)?;
    notes.push(super::testbench::summary(&tv));
    notes.push(bench_note(&bench));
    Ok(Exported { text: render_with_bench(&pou, &bench, revision)?, notes })
}

/// What the user needs to know to run the bench in Logix.
pub fn bench_note(bench: &Bench) -> String {
    format!(
        "the test bench {0} is an Add-On Instruction that uses {1}; the file holds both (import it with Import \
         Add-On Instruction…); create a tag of type {0}, call {0} on it once, then read Done, Passed, Failures \
         and FirstFailure. Making a NaN by Zero / Zero raises a minor fault (type 4, code 4) in Logix; set \
         WithNaN to 0 to skip the vectors that need one",
        bench.name, bench.block
    )
}

/// The bench's name in Logix: `TB_<name>`, cut to 40 characters.
///
/// # Errors
/// When the cut name is the block's own.
pub fn bench_name(block: &str) -> Result<String> {
    let tb = super::testbench::bench_name(block);
    let cut: String = tb.chars().take(MAX_NAME_LEN).collect();
    let cut = cut.trim_end_matches('_').to_owned();
    if cut.eq_ignore_ascii_case(block) {
        return Err(Error::invalid(format!(
            "the test bench of '{block}' would have the block's own name in Studio 5000 (names there have at most \
             40 characters); choose a shorter block name"
        )));
    }
    Ok(cut)
}

/// Checks the options Logix cannot take, and returns the software revision.
pub(super) fn check_options<'a>(options: &ExportOptions, l5x: &'a L5xOptions) -> Result<&'a str> {
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
    Ok(revision)
}

/// A built block with its names fitted to Logix and its size checked, and the notes for the
/// user.
///
/// # Errors
/// A block name the user gave that does not fit, or more than 512 parameters and tags.
pub fn fitted(pou: &Pou, options: &ExportOptions) -> Result<(Pou, Vec<String>)> {
    let (pou, renamed) = fit_identifiers(pou, MAX_NAME_LEN, RESERVED, options.name.is_some(), "Studio 5000")?;
    let members = 2 + pou.inputs.len() + pou.outputs.len() + pou.locals.len() + pou.constants.len();
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
    Ok((pou, notes))
}

/// The Logix type of a generic type (`DWORD` becomes `DINT`) and the radix Logix shows it in.
fn logix_type(ty: &str) -> (&str, &str) {
    match ty {
        "REAL" => ("REAL", "Float"),
        "DWORD" => ("DINT", "Hex"),
        other => (other, "Decimal"),
    }
}

/// A `REAL` as L5K data writes it: nine significant digits, a three-digit exponent
/// (`6.16500015e+001`), enough to read back as the same `REAL`.
fn l5k_real(x: f32) -> String {
    let s = format!("{x:.8e}");
    let (mantissa, exp) = s.split_once('e').unwrap_or((&s, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    format!("{mantissa}e{}{:03}", if exp < 0 { '-' } else { '+' }, exp.unsigned_abs())
}

/// A `REAL` as a decorated value: the shortest digits (`61.65`), or the L5K form where that
/// needs an exponent, as Logix exports write both.
fn decorated_real(x: f32) -> String {
    let short = format_f32(x);
    if short.contains('E') { l5k_real(x) } else { short }
}

/// A value in the L5K form (`in_array`: a `BOOL` element is written `2#1`, as in arrays).
fn l5k_value(lit: Lit, in_array: bool) -> String {
    match lit {
        #[allow(clippy::cast_possible_truncation)] // the value of a REAL literal
        Lit::Real(x) => l5k_real(x as f32),
        Lit::Int(v) => v.to_string(),
        Lit::Bool(b) => format!("{}{}", if in_array { "2#" } else { "" }, u8::from(b)),
        #[allow(clippy::cast_possible_wrap)] // a DINT holds the mask's bits
        Lit::Dword(m) => (m as i32).to_string(),
    }
}

/// A value in the decorated form, in `radix`.
fn decorated_value(lit: Lit, radix: &str) -> String {
    match lit {
        #[allow(clippy::cast_possible_truncation)] // the value of a REAL literal
        Lit::Real(x) => decorated_real(x as f32),
        Lit::Int(v) => v.to_string(),
        Lit::Bool(b) => u8::from(b).to_string(),
        Lit::Dword(m) if radix == "Hex" => format!("16#{:04X}_{:04X}", m >> 16, m & 0xFFFF),
        #[allow(clippy::cast_possible_wrap)] // a DINT holds the mask's bits
        Lit::Dword(m) => (m as i32).to_string(),
    }
}

/// The zero of a generic type.
fn zero(ty: &str) -> Lit {
    match ty {
        "REAL" | "LREAL" => Lit::Real(0.0),
        "BOOL" => Lit::Bool(false),
        "DWORD" => Lit::Dword(0),
        _ => Lit::Int(0),
    }
}

/// The default value in both forms Logix exports write (L5K and decorated).
fn default_data(out: &mut String, ty: &str, value: Lit) {
    let (logix, radix) = logix_type(ty);
    let _ = writeln!(out, "<DefaultData Format=\"L5K\">\n<![CDATA[{}]]>\n</DefaultData>", l5k_value(value, false));
    let _ = writeln!(
        out,
        "<DefaultData Format=\"Decorated\">\n<DataValue DataType=\"{logix}\" Radix=\"{radix}\" Value=\"{}\"/>\n\
         </DefaultData>",
        decorated_value(value, radix)
    );
}

/// An array's default values in both forms.
fn array_data(out: &mut String, ty: &str, values: &[Lit]) {
    let (logix, radix) = logix_type(ty);
    let l5k: Vec<String> = values.iter().map(|v| l5k_value(*v, true)).collect();
    let _ = writeln!(out, "<DefaultData Format=\"L5K\">\n<![CDATA[[{}]]]>\n</DefaultData>", l5k.join(","));
    let _ = writeln!(
        out,
        "<DefaultData Format=\"Decorated\">\n<Array DataType=\"{logix}\" Dimensions=\"{}\" Radix=\"{radix}\">",
        values.len()
    );
    for (i, v) in values.iter().enumerate() {
        let _ = writeln!(out, "<Element Index=\"[{i}]\" Value=\"{}\"/>", decorated_value(*v, radix));
    }
    out.push_str("</Array>\n</DefaultData>\n");
}

/// A description, cut to the length Logix keeps.
fn description(out: &mut String, text: &str) {
    let text: String = text.chars().take(MAX_DESCRIPTION).collect();
    let _ = writeln!(out, "<Description>\n<![CDATA[{text}]]>\n</Description>");
}

/// A parameter: an input (`required` or not) or an output, with its default value.
fn parameter(out: &mut String, v: &Var, usage: &str, required: bool, default: Lit) {
    let (logix, radix) = logix_type(&v.ty);
    let access = if usage == "Input" { "Read/Write" } else { "Read Only" };
    let _ = writeln!(
        out,
        "<Parameter Name=\"{}\" TagType=\"Base\" DataType=\"{logix}\" Usage=\"{usage}\" Radix=\"{radix}\" \
         Required=\"{required}\" Visible=\"true\" ExternalAccess=\"{access}\">",
        v.name
    );
    description(out, &v.comment);
    default_data(out, &v.ty, default);
    out.push_str("</Parameter>\n");
}

/// A local tag: a scalar with its default, or a one-dimensional array (Logix arrays start at
/// 0, so an array declared from 1 gets an unused element 0; a `BOOL` array has a multiple of 32
/// elements, as Logix keeps them in 32-bit words) with `values` (zeros when `None`).
fn local_tag(out: &mut String, v: &Var, values: Option<&[String]>, init: Option<&str>) {
    if let Some((low, high, element)) = dialect::array_type(&v.ty) {
        let (logix, radix) = logix_type(element);
        let mut data: Vec<Lit> = vec![zero(element); usize::try_from(low.max(0)).unwrap_or(0)];
        match values {
            Some(values) => data.extend(values.iter().map(|t| dialect::literal(t).unwrap_or(zero(element)))),
            None => data.extend(std::iter::repeat_n(zero(element), usize::try_from(high - low + 1).unwrap_or(0))),
        }
        if element == "BOOL" {
            data.resize(data.len().div_ceil(32).max(1) * 32, Lit::Bool(false));
        }
        let _ = writeln!(
            out,
            "<LocalTag Name=\"{}\" DataType=\"{logix}\" Dimensions=\"{}\" Radix=\"{radix}\" ExternalAccess=\"None\">",
            v.name,
            data.len()
        );
        let unused = if low > 0 { " Element 0 is not used: Logix arrays start at 0." } else { "" };
        description(out, &format!("{}{unused}", v.comment));
        array_data(out, element, &data);
    } else {
        let (logix, radix) = logix_type(&v.ty);
        let _ = writeln!(
            out,
            "<LocalTag Name=\"{}\" DataType=\"{logix}\" Radix=\"{radix}\" ExternalAccess=\"None\">",
            v.name
        );
        description(out, &v.comment);
        default_data(out, &v.ty, init.and_then(dialect::literal).unwrap_or(zero(&v.ty)));
    }
    out.push_str("</LocalTag>\n");
}

/// `src` with every call `EXP(x)` written `(2.7182817 ** (x))`: Logix ST has no `EXP`, only the
/// exponent operator `**` (`docs/plc-targets.md`, section 12), and e as the nearest `REAL`.
fn exp_as_power(src: &str) -> String {
    let e = format_f32(super::svm_block::E_REAL);
    let mut out = String::with_capacity(src.len());
    let mut rest = src;
    while let Some(at) = rest.find("EXP(") {
        let before = rest.get(..at).unwrap_or("");
        let word_before = before.chars().next_back().is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
        let after = rest.get(at + 4..).unwrap_or("");
        if word_before {
            out.push_str(rest.get(..at + 4).unwrap_or(""));
            rest = after;
            continue;
        }
        // The argument ends where its parenthesis closes.
        let mut depth = 1usize;
        let close = after.char_indices().find_map(|(i, c)| {
            match c {
                '(' => depth += 1,
                ')' => depth -= 1,
                _ => {}
            }
            (depth == 0).then_some(i)
        });
        let Some(close) = close else { break };
        out.push_str(before);
        let _ = write!(out, "({e} ** ({}))", after.get(..close).unwrap_or(""));
        rest = after.get(close + 1..).unwrap_or("");
    }
    out.push_str(rest);
    out
}

/// Generic Structured Text in Logix ST: real literals untyped, `DWORD` constants as `DINT` in
/// base 16, `EXP(x)` as `2.7182817 ** x`.
fn logix_code(src: &str) -> String {
    let src = exp_as_power(src);
    dialect::rewrite(&src, |p| match p {
        Piece::Typed(t, v) if t.eq_ignore_ascii_case("REAL") || t.eq_ignore_ascii_case("LREAL") => Cow::Borrowed(v),
        Piece::Typed(t, v) if t.eq_ignore_ascii_case("DWORD") => match dialect::dword_value(v) {
            Some(0) => Cow::Borrowed("0"),
            Some(x) => Cow::Owned(format!("16#{x:08X}")),
            None => dialect::original(p),
        },
        p => dialect::original(p),
    })
}

/// What the routine's opening comment says about Logix.
const LOGIX_NOTE: &str = "In Logix: real literals are written without REAL# (the same digits), and Missing and \
                          OutOfRange are DINT, as Logix has no DWORD (bit 31 is the sign bit).";

/// The routine's Structured Text, one line per entry: the header as a comment, then the body in
/// Logix ST (untyped real literals, `DINT` masks in base 16).
pub fn routine_lines(pou: &Pou) -> Vec<String> {
    let mut lines = vec!["(*".to_owned()];
    lines.extend(pou.header.iter().map(|l| format!("    {l}")));
    lines.push(format!("    {LOGIX_NOTE}"));
    if pou.body.contains("EXP(") {
        lines.push(
            "    Logix has no EXP: e^x is written 2.7182817 ** x (e as the nearest REAL), and the check above was \
             measured computing it that way."
                .to_owned(),
        );
    }
    lines.push("*)".to_owned());
    lines.push(String::new());
    lines.extend(logix_code(&pou.body).lines().map(str::to_owned));
    lines
}

/// The test bench's routine: its header as a comment, then its statements in Logix ST, the
/// block called as an Add-On Instruction (`FB(Uut, input, …)`: the instance, then the required
/// inputs in their order).
pub fn bench_routine_lines(bench: &Bench) -> Vec<String> {
    let mut lines = vec!["(*".to_owned()];
    lines.extend(bench.header.iter().map(|l| format!("    {}", super::ident::comment_text(l))));
    lines.push(format!(
        "    {LOGIX_NOTE} The vector arrays start at 0 with element 0 unused, so that element k holds vector k; \
         the loop counter {INDEX} is a DINT."
    ));
    lines.push("*)".to_owned());
    lines.push(String::new());
    for s in &bench.body {
        match s {
            Stmt::Code(c) => lines.extend(logix_code(c).lines().map(str::to_owned)),
            Stmt::Call { pad, args } => {
                let given: Vec<String> = args.iter().map(|(_, g)| logix_code(g)).collect();
                lines.push(format!("{pad}{}({INSTANCE},", bench.block));
                let last = given.len().saturating_sub(1);
                for (i, g) in given.iter().enumerate() {
                    lines.push(format!("{pad}    {g}{}", if i == last { ");" } else { "," }));
                }
            }
        }
    }
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

/// The file's opening: the XML declaration, the content element naming `target`, the context
/// controller, up to the list of definitions.
fn open(target: &str, revision: &str, edited: &str, export_date: &str) -> String {
    let name = xml_escape(target);
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
    out
}

fn close(mut out: String) -> String {
    out.push_str("</AddOnInstructionDefinitions>\n</Controller>\n</RSLogix5000Content>\n");
    crlf(&out)
}

/// An `AddOnInstructionDefinition` element's opening tag and description; `target` marks the
/// file's target (`Use="Target"`); the instructions it uses carry no `Use`, inside the context
/// list, as Logix Designer exports them.
fn definition_open(out: &mut String, name: &str, target: bool, description_text: &str, revision: &str, edited: &str) {
    let _ = writeln!(
        out,
        "<AddOnInstructionDefinition {}Name=\"{}\" Revision=\"1.0\" ExecutePrescan=\"false\" \
         ExecutePostscan=\"false\" ExecuteEnableInFalse=\"false\" CreatedDate=\"{edited}\" CreatedBy=\"Glassbox\" \
         EditedDate=\"{edited}\" EditedBy=\"Glassbox\" SoftwareRevision=\"v{}\">",
        if target { "Use=\"Target\" " } else { "" },
        xml_escape(name),
        xml_escape(revision)
    );
    description(out, description_text);
    out.push_str("<Parameters>\n");
    for (n, usage, what) in [("EnableIn", "Input", "Enable Input"), ("EnableOut", "Output", "Enable Output")] {
        let _ = writeln!(
            out,
            "<Parameter Name=\"{n}\" TagType=\"Base\" DataType=\"BOOL\" Usage=\"{usage}\" Radix=\"Decimal\" \
             Required=\"false\" Visible=\"false\" ExternalAccess=\"Read Only\">"
        );
        description(out, &format!("{what} - System Defined Parameter"));
        out.push_str("</Parameter>\n");
    }
}

/// The routine `Logic` with `lines`, and the end of the definition.
fn definition_close(out: &mut String, lines: &[String]) {
    out.push_str("</LocalTags>\n<Routines>\n<Routine Name=\"Logic\" Type=\"ST\">\n<STContent>\n");
    for (i, line) in lines.iter().enumerate() {
        let _ = writeln!(out, "<Line Number=\"{i}\">\n<![CDATA[{line}]]>\n</Line>");
    }
    out.push_str("</STContent>\n</Routine>\n</Routines>\n</AddOnInstructionDefinition>\n");
}

/// The block's definition.
fn block_definition(out: &mut String, pou: &Pou, target: bool, revision: &str, edited: &str) {
    definition_open(out, &pou.name, target, pou.header.first().map_or("", String::as_str), revision, edited);
    for v in &pou.inputs {
        parameter(out, v, "Input", true, zero(&v.ty));
    }
    for v in &pou.outputs {
        parameter(out, v, "Output", false, zero(&v.ty));
    }
    out.push_str("</Parameters>\n<LocalTags>\n");
    for v in &pou.locals {
        local_tag(out, v, None, None);
    }
    for c in &pou.constants {
        local_tag(out, &c.var, Some(&c.values), None);
    }
    definition_close(out, &routine_lines(pou));
}

/// Bytes of instance data a variable of generic type `ty` takes (an estimate: 4 for `REAL`
/// and `DINT`, 2 for `INT`, a bit for a `BOOL` array element, 1 for a `BOOL`).
fn data_bytes(ty: &str) -> usize {
    match dialect::array_type(ty) {
        Some((low, high, element)) => {
            let n = usize::try_from(high + 1).unwrap_or(0).max(usize::try_from(low).unwrap_or(0));
            match element {
                "BOOL" => n.div_ceil(32) * 4,
                "INT" => n * 2,
                _ => n * 4,
            }
        }
        None => match ty {
            "BOOL" => 1,
            "INT" => 2,
            _ => 4,
        },
    }
}

/// Most bytes of data one Add-On Instruction instance may hold (1756-PM010).
pub const MAX_INSTANCE_BYTES: usize = 2 * 1024 * 1024;

/// The test bench's definition; the block's instance is a local tag of the block's type, left
/// to take the block's own defaults.
fn bench_definition(out: &mut String, bench: &Bench, revision: &str, edited: &str) {
    let first = bench.header.first().map(|l| super::ident::comment_text(l)).unwrap_or_default();
    definition_open(out, &bench.name, true, &first, revision, edited);
    let scalar = |v: &BenchVar| Var { name: v.name.clone(), ty: v.ty.clone(), comment: v.comment.clone() };
    for v in &bench.inputs {
        let default = v.init.as_deref().and_then(dialect::literal).unwrap_or(zero(&v.ty));
        parameter(out, &scalar(v), "Input", false, default);
    }
    for v in &bench.outputs {
        parameter(out, &scalar(v), "Output", false, zero(&v.ty));
    }
    out.push_str("</Parameters>\n<LocalTags>\n");
    for v in &bench.locals {
        if v.ty == bench.block {
            let _ = writeln!(
                out,
                "<LocalTag Name=\"{}\" DataType=\"{}\" ExternalAccess=\"None\">",
                v.name,
                xml_escape(&v.ty)
            );
            description(out, &v.comment);
            out.push_str("</LocalTag>\n");
        } else {
            let ty = if v.name == INDEX { "DINT" } else { v.ty.as_str() };
            local_tag(out, &Var { ty: ty.to_owned(), ..scalar(v) }, None, v.init.as_deref());
        }
    }
    for a in &bench.arrays {
        local_tag(out, &a.var, Some(&a.values), None);
    }
    definition_close(out, &bench_routine_lines(bench));
}

/// Writes a built (and fitted) function block as an `.L5X` Add-On Instruction for Logix
/// Designer `revision`.
///
/// # Errors
/// A date that is not `YYYY-MM-DDTHH:MM:SS`.
pub fn render(pou: &Pou, revision: &str) -> Result<String> {
    let (edited, export_date) = dates(pou.date.as_deref())?;
    let mut out = open(&pou.name, revision, &edited, &export_date);
    block_definition(&mut out, pou, true, revision, &edited);
    Ok(close(out))
}

/// Writes a block and its test bench as one `.L5X` file whose target is the bench: the block's
/// definition first (the context the bench uses), then the bench's.
///
/// # Errors
/// A date that is not `YYYY-MM-DDTHH:MM:SS`; a bench beyond an Add-On Instruction's limits.
pub fn render_with_bench(pou: &Pou, bench: &Bench, revision: &str) -> Result<String> {
    let members = 2 + bench.inputs.len() + bench.outputs.len() + bench.locals.len() + bench.arrays.len();
    if members > MAX_MEMBERS {
        return Err(Error::invalid(format!(
            "an Add-On Instruction holds at most {MAX_MEMBERS} parameters and local tags; the test bench needs \
             {members} ({} inputs, each with its array of vectors); export fewer features",
            pou.inputs.len()
        )));
    }
    let block_bytes: usize = pou
        .inputs
        .iter()
        .chain(&pou.outputs)
        .chain(&pou.locals)
        .chain(pou.constants.iter().map(|c| &c.var))
        .map(|v| data_bytes(&v.ty))
        .sum();
    let bench_bytes: usize = bench
        .inputs
        .iter()
        .chain(&bench.outputs)
        .chain(&bench.locals)
        .filter(|v| v.ty != bench.block)
        .map(|v| data_bytes(&v.ty))
        .chain(bench.arrays.iter().map(|a| data_bytes(&a.var.ty)))
        .sum();
    if block_bytes + bench_bytes > MAX_INSTANCE_BYTES {
        return Err(Error::invalid(format!(
            "the test bench would hold about {} bytes of data ({} vectors), more than the {MAX_INSTANCE_BYTES} an \
             Add-On Instruction instance may hold in Logix; export a smaller tree or fewer features",
            block_bytes + bench_bytes,
            bench.vectors
        )));
    }
    let (edited, export_date) = dates(pou.date.as_deref())?;
    let mut out = open(&bench.name, revision, &edited, &export_date);
    block_definition(&mut out, pou, false, revision, &edited);
    bench_definition(&mut out, bench, revision, &edited);
    Ok(close(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exp_becomes_a_power_of_e() {
        assert_eq!(
            exp_as_power("f := f + COEF[i] * EXP(REAL#-0.5 * acc);"),
            "f := f + COEF[i] * (2.7182817 ** (REAL#-0.5 * acc));"
        );
        assert_eq!(
            exp_as_power("prob := x / (y + EXP(expo - (a * b)));"),
            "prob := x / (y + (2.7182817 ** (expo - (a * b))));"
        );
        assert_eq!(exp_as_power("MYEXP(x) + NOEXP"), "MYEXP(x) + NOEXP");
    }

    #[test]
    fn reals_take_the_logix_forms() {
        // As R3's exports write them (docs/plc-targets.md, section 11).
        assert_eq!(l5k_real(0.0), "0.00000000e+000");
        assert_eq!(l5k_real(2.718_281_7), "2.71828175e+000");
        assert_eq!(l5k_real(-1.5e-7), "-1.50000005e-007");
        assert_eq!(l5k_real(f32::MAX), "3.40282347e+038");
        assert_eq!(decorated_real(61.65), "61.65");
        assert_eq!(decorated_real(0.0), "0.0");
        assert_eq!(decorated_real(1.5e38), "1.50000000e+038");
        assert_eq!(decorated_value(Lit::Dword(0x8000_0001), "Hex"), "16#8000_0001");
        assert_eq!(l5k_value(Lit::Dword(0x8000_0000), false), "-2147483648");
        assert_eq!(l5k_value(Lit::Bool(true), true), "2#1");
        // Every REAL reads back from its L5K form.
        for x in [61.65f32, 1.0e-30, 3.0e38, -7.25, 0.1] {
            assert_eq!(l5k_real(x).parse::<f32>().ok(), Some(x));
        }
    }

    #[test]
    fn dates_take_the_logix_forms() {
        let (iso, export) = dates(Some("2024-05-06T00:00:00")).expect("date");
        assert_eq!(iso, "2024-05-06T00:00:00.000Z");
        assert_eq!(export, "Mon May 06 00:00:00 2024");
        let (iso, export) = dates(None).expect("epoch");
        assert_eq!((iso.as_str(), export.as_str()), ("1970-01-01T00:00:00.000Z", "Thu Jan 01 00:00:00 1970"));
    }
}
