//! PLCopen TC6 XML v2.01: a project holding the one function block, in the form the Beremiz,
//! OpenPLC and CODESYS importers read — the ST body as `<ST><xhtml:p><![CDATA[…]]></xhtml:p></ST>`,
//! and the skeleton the schema requires (`fileHeader`, `contentHeader` with `coordinateInfo`,
//! `types` with `dataTypes` and `pous`, `instances` with `configurations`).
//!
//! Variable names are identifiers (ASCII, no markup); every other text is escaped or, inside
//! CDATA, free of `]]>` (see [`comment_text`](super::ident::comment_text)).

use std::fmt::Write as _;

use super::ident::xml_escape;
use super::pou::{Constant, Pou, Var, build};
use super::structured_text::header_comment;
use super::{ExportOptions, ExportPlan, Exported};
use crate::error::Result;

/// The namespace of TC6 XML v2.01.
pub const NAMESPACE: &str = "http://www.plcopen.org/xml/tc6_0201";

/// The `creationDateTime` written when no date is given (the schema requires one; a fixed value
/// keeps exports byte-identical).
pub const UNDATED: &str = "1970-01-01T00:00:00";

/// The PLCopen XML project of `plan`'s function block.
///
/// # Errors
/// As [`build`].
pub fn write(plan: &ExportPlan, options: &ExportOptions) -> Result<Exported> {
    let pou = build(plan, options)?;
    Ok(Exported { text: render(&pou), notes: pou.notes.clone() })
}

/// A type as TC6 XML writes it: `<REAL />`, or for `ARRAY[a..b] OF T`
/// `<array><dimension lower="a" upper="b" /><baseType><T /></baseType></array>`.
fn type_xml(ty: &str) -> String {
    match super::dialect::array_type(ty) {
        Some((low, high, element)) => format!(
            "<array><dimension lower=\"{low}\" upper=\"{high}\" /><baseType>{}</baseType></array>",
            type_xml(element)
        ),
        None => format!("<{} />", xml_escape(ty)),
    }
}

fn variable(out: &mut String, v: &Var, values: Option<&[String]>) {
    let _ = writeln!(out, "            <variable name=\"{}\">", xml_escape(&v.name));
    let _ = writeln!(out, "              <type>{}</type>", type_xml(&v.ty));
    if let Some(values) = values {
        // The initial value of a constant array: one simple value per element, the literals of
        // the Structured Text block.
        out.push_str("              <initialValue>\n                <arrayValue>\n");
        for value in values {
            let _ = writeln!(out, "                  <value><simpleValue value=\"{}\" /></value>", xml_escape(value));
        }
        out.push_str("                </arrayValue>\n              </initialValue>\n");
    }
    let _ = writeln!(out, "              <documentation><xhtml:p><![CDATA[{}]]></xhtml:p></documentation>", v.comment);
    let _ = writeln!(out, "            </variable>");
}

fn vars(out: &mut String, element: &str, vars: &[Var]) {
    let _ = writeln!(out, "          <{element}>");
    for v in vars {
        variable(out, v, None);
    }
    let _ = writeln!(out, "          </{element}>");
}

/// The block's constants (the SVM's support vectors and coefficients), as
/// `<localVars constant="true">` with their initial values: `VAR CONSTANT` in TC6 XML.
fn constants(out: &mut String, constants: &[Constant]) {
    if constants.is_empty() {
        return;
    }
    out.push_str("          <localVars constant=\"true\">\n");
    for c in constants {
        variable(out, &c.var, Some(&c.values));
    }
    out.push_str("          </localVars>\n");
}

/// Writes a built function block as a PLCopen XML project.
pub fn render(pou: &Pou) -> String {
    let date = pou.date.as_deref().unwrap_or(UNDATED);
    let name = xml_escape(&pou.name);
    let mut out = String::new();
    out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<project xmlns=\"{NAMESPACE}\" xmlns:xhtml=\"http://www.w3.org/1999/xhtml\" \
         xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\">"
    );
    let _ = writeln!(
        out,
        "  <fileHeader companyName=\"Glassbox\" productName=\"Glassbox\" productVersion=\"{}\" \
         creationDateTime=\"{date}\" />",
        env!("CARGO_PKG_VERSION")
    );
    let _ = writeln!(out, "  <contentHeader name=\"{name}\" modificationDateTime=\"{date}\">");
    out.push_str("    <coordinateInfo>\n");
    for part in ["fbd", "ld", "sfc"] {
        let _ = writeln!(out, "      <{part}><scaling x=\"1\" y=\"1\" /></{part}>");
    }
    out.push_str("    </coordinateInfo>\n  </contentHeader>\n");
    out.push_str("  <types>\n    <dataTypes />\n    <pous>\n");
    let _ = writeln!(out, "      <pou name=\"{name}\" pouType=\"functionBlock\">");
    out.push_str("        <interface>\n");
    vars(&mut out, "inputVars", &pou.inputs);
    vars(&mut out, "outputVars", &pou.outputs);
    vars(&mut out, "localVars", &pou.locals);
    constants(&mut out, &pou.constants);
    out.push_str("        </interface>\n");
    out.push_str("        <body>\n          <ST>\n            <xhtml:p><![CDATA[");
    out.push_str(&header_comment(pou));
    out.push_str(&pou.body);
    out.push_str("]]></xhtml:p>\n          </ST>\n        </body>\n");
    out.push_str("        <documentation><xhtml:p><![CDATA[");
    out.push_str(&pou.header.join("\n"));
    out.push_str("]]></xhtml:p></documentation>\n");
    out.push_str("      </pou>\n    </pous>\n  </types>\n");
    out.push_str("  <instances>\n    <configurations />\n  </instances>\n</project>\n");
    out
}
