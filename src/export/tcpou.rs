//! Beckhoff TwinCAT 3: the function block as a PLC object file (`.TcPOU`), the form TwinCAT
//! keeps every POU in, to be added to a PLC project beside its other objects
//! (`docs/plc-targets.md`, section 5).
//!
//! ```text
//! <?xml version="1.0" encoding="utf-8"?>
//! <TcPlcObject Version="1.1.0.1">
//!   <POU Name="FB_Machine_failure" Id="{…}" SpecialFunc="None">
//!     <Declaration><![CDATA[(* header *)
//! FUNCTION_BLOCK FB_Machine_failure
//! VAR_INPUT
//! …
//! END_VAR]]></Declaration>
//!     <Implementation>
//!       <ST><![CDATA[…]]></ST>
//!     </Implementation>
//!   </POU>
//! </TcPlcObject>
//! ```
//!
//! The bytes follow TwinCAT's own files: a UTF-8 byte-order mark and CR LF line ends, in the
//! XML and inside the CDATA alike. The object version is `1.1.0.1`, which TwinCAT builds before
//! 3.1.4024 can load too, with neither `ProductVersion` nor `<LineIds>` (`TcUnit` ships its files
//! that way). The declaration and the body are the generic block's, unchanged: TwinCAT reads
//! the `(* *)` comments and typed literals of IEC 61131-3.
//!
//! The object's `Id` is a name-based UUID (RFC 4122 version 5, SHA-1) of the block's name under
//! [`NAMESPACE`]: the same name gives the same Id, so exports stay byte-identical and a new
//! export of the same block replaces the old object rather than adding a second one.
//!
//! An object file holds one POU (every TwinCAT file read for `docs/plc-targets.md` does, and is
//! named after it), so a test bench ([`write_with_bench`]) is a second object file,
//! `TB_<name>.TcPOU`, to write beside the block's.

use std::fmt::Write as _;

use uuid::Uuid;

use super::dialect::{BOM, crlf};
use super::pou::{Pou, build};
use super::structured_text::declaration;
use super::testbench::{Bench, bench_body, bench_declaration};
use super::{Companion, ExportOptions, ExportPlan, Exported};
use crate::error::Result;

/// The namespace of the object Ids Glassbox writes: a fixed UUID chosen once for this purpose
/// (never change it: every exported block would get a new Id).
pub const NAMESPACE: Uuid = Uuid::from_u128(0x3151_32d1_c453_4aed_b969_2f19_55f6_1ac3);

/// The `.TcPOU` file of `plan`'s function block.
///
/// # Errors
/// As [`build`].
pub fn write(plan: &ExportPlan, options: &ExportOptions) -> Result<Exported> {
    let pou = build(plan, options)?;
    Ok(Exported { text: render(&pou), notes: pou.notes.clone() })
}

/// The `.TcPOU` file of `plan`'s function block and, as a second object file to write beside
/// it, its test bench `TB_<name>` (see [`testbench`](super::testbench)). A TwinCAT object file
/// holds one POU (`docs/plc-targets.md`, section 11), so the bench cannot share the block's file.
///
/// # Errors
/// As [`build`] and [`testbench::tree_bench`](super::testbench::tree_bench).
pub fn write_with_bench(plan: &ExportPlan, options: &ExportOptions) -> Result<(Exported, Companion)> {
    let pou = build(plan, options)?;
    let tv = super::vectors::vectors(plan, options)?;
    let bench = super::testbench::tree_bench(plan, &pou, &tv)?;
    let mut notes = pou.notes.clone();
    notes.push(super::testbench::summary(&tv));
    notes.push(bench_note(&bench));
    Ok((Exported { text: render(&pou), notes }, render_bench(&bench)))
}

/// What the user needs to know to run the bench in TwinCAT.
pub fn bench_note(bench: &Bench) -> String {
    format!(
        "the test bench {0} is an object of its own, {0}.TcPOU (a TwinCAT object file holds one POU): add both \
         files to the PLC project, call {0} once, then read Done, Passed, Failures and FirstFailure",
        bench.name
    )
}

/// The object Id of a block called `name`, as TwinCAT writes Ids: lower-case hex in braces.
pub fn object_id(name: &str) -> String {
    format!("{{{}}}", Uuid::new_v5(&NAMESPACE, name.as_bytes()).hyphenated())
}

/// A TwinCAT object file holding one POU called `name`.
fn object(name: &str, declaration: &str, body: &str) -> String {
    // Names are identifiers (no markup); comments and the body hold no `]]>` (see
    // `ident::comment_text`), so CDATA cannot end early.
    let mut out = String::new();
    out.push(BOM);
    out.push_str("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
    out.push_str("<TcPlcObject Version=\"1.1.0.1\">\n");
    let _ = writeln!(out, "  <POU Name=\"{name}\" Id=\"{}\" SpecialFunc=\"None\">", object_id(name));
    let _ = writeln!(out, "    <Declaration><![CDATA[{}]]></Declaration>", declaration.trim_end_matches('\n'));
    out.push_str("    <Implementation>\n");
    let _ = writeln!(out, "      <ST><![CDATA[{}]]></ST>", body.trim_end_matches('\n'));
    out.push_str("    </Implementation>\n  </POU>\n</TcPlcObject>\n");
    crlf(&out)
}

/// Writes a built function block as a TwinCAT PLC object file.
pub fn render(pou: &Pou) -> String {
    object(&pou.name, &declaration(pou), &pou.body)
}

/// Writes a test bench as a TwinCAT PLC object file of its own, `TB_<name>.TcPOU`, with its
/// declaration and statements in the generic Structured Text the `.st` bench holds.
pub fn render_bench(bench: &Bench) -> Companion {
    Companion {
        file_name: format!("{}.{}", bench.name, super::Format::TcPou.extension()),
        text: object(&bench.name, &bench_declaration(bench), &bench_body(bench)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_name_based_uuids() {
        let id = object_id("FB_Reject");
        assert_eq!(id, object_id("FB_Reject"));
        assert_ne!(id, object_id("FB_Other"));
        assert_eq!(id.len(), 38);
        assert!(id.starts_with('{') && id.ends_with('}') && !id.chars().any(|c| c.is_ascii_uppercase()));
        // Version 5 (name-based, SHA-1), RFC 4122 variant.
        let u = Uuid::parse_str(id.trim_matches(|c| c == '{' || c == '}')).expect("uuid");
        assert_eq!(u.get_version_num(), 5);
        assert_eq!(u.get_variant(), uuid::Variant::RFC4122);
        // Glassbox's namespace, and one Id worked out independently (Python's uuid.uuid5).
        assert_eq!(NAMESPACE.hyphenated().to_string(), "315132d1-c453-4aed-b969-2f1955f61ac3");
        assert_eq!(id, "{314bd65b-a981-5201-bfac-05ad7968908f}");
        // RFC 4122's example: "www.example.com" in the DNS namespace.
        assert_eq!(
            Uuid::new_v5(&Uuid::NAMESPACE_DNS, b"www.example.com").hyphenated().to_string(),
            "2ed6657d-e927-568b-95e1-2665a8aea6a2"
        );
    }
}
