//! The vendor PLC files: a TIA Portal SCL source (`.scl`), a TwinCAT POU (`.TcPOU`) and a
//! Studio 5000 Add-On Instruction (`.L5X`). Each file's logic is read back out of the file as
//! its tool reads it (XML parsed, CDATA lines joined, `#` prefixes dropped, untyped literals typed
//! by the variable they meet, `DINT` masks read as bit masks), turned into the generic dialect
//! the test-side interpreter runs, and run on every training and held-out row, gaps included:
//! every variable must end as in the generic `.st` block. The bytes are as each tool writes
//! them (byte-order mark, CR LF), the XML is well-formed and shaped as the tool expects, names
//! fit Logix's 40 characters, the same model gives the same bytes, and golden files pin the
//! small model's files (`UPDATE_GOLDEN=1` rewrites them).

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;

use glassbox::Progress;
use glassbox::data::{Column, ColumnKind, Dataset};
use glassbox::export::ident::is_valid_identifier;
use glassbox::export::vectors::vectors;
use glassbox::export::{Companion, ExportOptions, ExportPlan, Format, RealType, export, export_with_testbench};
use glassbox::model::Task;
use glassbox::model::cart::TreeParams;
use glassbox::model::train::{TrainSettings, train};
use glassbox::rules::RuleSet;
use glassbox::rules::extract::extract;
use glassbox::rules::score::RuleData;
use glassbox::rules::simplify::{SimplifyOptions, simplify};

use crate::export::ai4i_dropouts;
use crate::export::st_eval::{self, Program, Value};
use crate::rules::{Trained, ai4i, ccpp, steel};

const BOM: &str = "\u{FEFF}";

fn plan(t: &Trained, rules: Option<&RuleSet>) -> ExportPlan {
    ExportPlan::new(&t.report, &t.data, rules, &TreeParams::default(), None).expect("plan")
}

fn options(real_type: RealType) -> ExportOptions {
    ExportOptions { real_type, date: Some("2024-05-06".into()), ..ExportOptions::default() }
}

/// The text without its byte-order mark and with LF line ends, after checking that the file
/// starts with the mark and ends every line with CR LF (no lone LF, no lone CR) and a final one.
fn vendor_bytes(name: &str, text: &str) -> String {
    let rest = text.strip_prefix(BOM).unwrap_or_else(|| panic!("{name}: no UTF-8 byte-order mark"));
    assert!(!rest.contains(BOM), "{name}: a second byte-order mark");
    let lf = rest.matches('\n').count();
    assert_eq!(lf, rest.matches("\r\n").count(), "{name}: a line ends in LF alone");
    assert_eq!(rest.matches('\r').count(), lf, "{name}: a lone CR");
    assert!(rest.ends_with("\r\n"), "{name}: no final line end");
    rest.replace("\r\n", "\n")
}

/// Declared variables of a generic `.st` text, in order: (name, upper-case type).
fn declarations(st: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut inside = false;
    for line in st.lines() {
        let code = line.split("(*").next().unwrap_or("").trim();
        match code {
            "VAR_INPUT" | "VAR_OUTPUT" | "VAR" | "VAR CONSTANT" => inside = true,
            "END_VAR" => inside = false,
            _ if inside && !code.is_empty() => {
                let (name, ty) = code.trim_end_matches(';').split_once(':').expect("name : type");
                let ty = ty.split(":=").next().unwrap_or("");
                out.push((name.trim().to_owned(), ty.trim().to_ascii_uppercase()));
            }
            _ => {}
        }
    }
    out
}

fn is_ident_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// The header comment lines of a generic `.st` file.
fn header_lines(st: &str) -> Vec<String> {
    let end = st.find("*)").expect("header");
    st[..end].lines().skip(1).map(|l| l.trim().to_owned()).filter(|l| !l.is_empty()).collect()
}

// ---- TIA Portal SCL --------------------------------------------------------------------------

/// The SCL body in the generic dialect: `//` comments dropped, the `#` before each variable
/// dropped after checking that every variable carries one (a bare name is a PLC tag in TIA).
fn scl_body_to_generic(body: &str, declared: &BTreeSet<String>) -> String {
    let c: Vec<char> = body.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < c.len() {
        let prev = out.chars().next_back().unwrap_or(' ');
        if c[i] == '/' && c.get(i + 1) == Some(&'/') {
            while i < c.len() && c[i] != '\n' {
                i += 1;
            }
        } else if c[i] == '#' && is_ident_char(prev) {
            // A typed literal's value (`REAL#-1.5E-7`, `DWORD#16#0000000F`), copied as it is.
            out.push('#');
            i += 1;
            let start = i;
            while i < c.len()
                && (is_ident_char(c[i])
                    || c[i] == '.'
                    || c[i] == '#'
                    || (c[i] == '-' && i == start)
                    || ((c[i] == '-' || c[i] == '+') && matches!(c[i - 1], 'E' | 'e')))
            {
                out.push(c[i]);
                i += 1;
            }
        } else if c[i] == '#' {
            i += 1;
            let start = i;
            while i < c.len() && is_ident_char(c[i]) {
                i += 1;
            }
            let name: String = c[start..i].iter().collect();
            assert!(declared.contains(&name.to_ascii_uppercase()), "#{name} is not a variable of the block");
            out.push_str(&name);
        } else if (c[i].is_ascii_alphabetic() || c[i] == '_') && !is_ident_char(prev) {
            let start = i;
            while i < c.len() && is_ident_char(c[i]) {
                i += 1;
            }
            let word: String = c[start..i].iter().collect();
            assert!(
                c.get(i) == Some(&'#') || !declared.contains(&word.to_ascii_uppercase()),
                "'{word}' is used without '#': TIA would read a PLC tag"
            );
            out.push_str(&word);
        } else {
            out.push(c[i]);
            i += 1;
        }
    }
    out
}

/// An SCL type as the generic dialect spells it: `Real` → `REAL`, `Array[1..5] of Int` →
/// `ARRAY[1..5] OF INT`, a quoted block name → the name (an instance of that block).
fn scl_type(ty: &str) -> String {
    let ty = ty.trim();
    if let Some(name) = ty.strip_prefix('"').and_then(|t| t.strip_suffix('"')) {
        assert!(is_valid_identifier(name), "{name}");
        return name.to_owned();
    }
    if let Some(rest) = ty.strip_prefix("Array[") {
        let (range, element) = rest.split_once("] of ").expect("Array[a..b] of T");
        return format!("ARRAY[{range}] OF {}", scl_type(element));
    }
    assert!(
        ["Real", "LReal", "Int", "Bool", "DWord", "DInt"].contains(&ty),
        "TIA spells types as it exports them: {ty}"
    );
    ty.to_ascii_uppercase()
}

/// One block of an SCL source (its lines, `FUNCTION_BLOCK` to `END_FUNCTION_BLOCK`) in the
/// generic dialect.
fn scl_block_to_st(lines: &[&str]) -> String {
    let name =
        lines[0].strip_prefix("FUNCTION_BLOCK \"").and_then(|l| l.strip_suffix('"')).expect("FUNCTION_BLOCK \"…\"");
    assert!(is_valid_identifier(name), "{name}");
    assert_eq!(lines[1], "{ S7_Optimized_Access := 'TRUE' }");
    assert_eq!(lines[2], "VERSION : 0.1");
    let begin = lines.iter().position(|l| *l == "BEGIN").expect("BEGIN");
    let end = lines.iter().position(|l| *l == "END_FUNCTION_BLOCK").expect("END_FUNCTION_BLOCK");
    assert_eq!(end, lines.len() - 1, "text after END_FUNCTION_BLOCK");
    let mut decl = format!("FUNCTION_BLOCK {name}\n");
    // A declaration may run over several lines (an array's start values); it ends with `;`.
    let mut pending = String::new();
    for line in &lines[3..begin] {
        if line.trim_start().starts_with("//") {
            assert!(!line.starts_with(' '), "header comments start the line: {line}");
            continue;
        }
        let code = line.split("//").next().unwrap_or("").trim();
        if code.is_empty() {
            continue;
        }
        if pending.is_empty() && matches!(code, "VAR_INPUT" | "VAR_OUTPUT" | "VAR" | "VAR CONSTANT" | "END_VAR") {
            decl.push_str(code);
            decl.push('\n');
            continue;
        }
        pending.push_str(code);
        pending.push(' ');
        if code.ends_with(';') {
            let statement = pending.trim().trim_end_matches(';').to_owned();
            pending.clear();
            let (v, rest) = statement.split_once(':').expect("member : type");
            let (ty, init) = match rest.split_once(":=") {
                Some((t, i)) => (t, Some(i.trim())),
                None => (rest, None),
            };
            let init = init.map(|i| format!(" := {i}")).unwrap_or_default();
            decl.push_str(&format!("    {} : {}{init};\n", v.trim(), scl_type(ty)));
        }
    }
    assert!(pending.is_empty(), "an unfinished declaration: {pending}");
    let declared: BTreeSet<String> = declarations(&decl).into_iter().map(|(n, _)| n.to_ascii_uppercase()).collect();
    let body = lines[begin + 1..end].join("\n");
    assert!(!body.contains("(*"), "SCL comments are //");
    format!("{decl}\n{}\nEND_FUNCTION_BLOCK\n", scl_body_to_generic(&body, &declared))
}

/// An `.scl` file in the generic dialect, after checking its bytes and skeleton: every block of
/// the source, in order.
pub fn scl_to_st(text: &str) -> String {
    let s = vendor_bytes("scl", text);
    let lines: Vec<&str> = s.lines().collect();
    let starts: Vec<usize> =
        lines.iter().enumerate().filter(|(_, l)| l.starts_with("FUNCTION_BLOCK \"")).map(|(i, _)| i).collect();
    assert_eq!(starts.first(), Some(&0), "the source starts with a block");
    let mut out = Vec::new();
    for (k, &start) in starts.iter().enumerate() {
        let mut end = starts.get(k + 1).copied().unwrap_or(lines.len());
        while end > start && lines[end - 1].is_empty() {
            end -= 1;
        }
        out.push(scl_block_to_st(&lines[start..end]));
    }
    out.join("\n")
}

// ---- TwinCAT ---------------------------------------------------------------------------------

fn element<'a, 'i>(node: roxmltree::Node<'a, 'i>, tag: &str) -> roxmltree::Node<'a, 'i> {
    node.children()
        .find(|n| n.has_tag_name(tag))
        .unwrap_or_else(|| panic!("<{}> has no <{tag}>", node.tag_name().name()))
}

/// A `.TcPOU` file in the generic dialect, after checking its bytes and the shape TwinCAT
/// reads.
pub fn tcpou_to_st(text: &str) -> String {
    let s = vendor_bytes("TcPOU", text);
    assert!(s.starts_with("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"));
    let doc = roxmltree::Document::parse(&s).expect("well-formed XML");
    let root = doc.root_element();
    assert!(root.has_tag_name("TcPlcObject"));
    assert_eq!(root.attribute("Version"), Some("1.1.0.1"));
    assert_eq!(root.attribute("ProductVersion"), None);
    let pous: Vec<_> = root.children().filter(roxmltree::Node::is_element).collect();
    assert_eq!(pous.len(), 1);
    let pou = pous[0];
    assert!(pou.has_tag_name("POU"));
    let name = pou.attribute("Name").expect("Name");
    assert_eq!(pou.attribute("SpecialFunc"), Some("None"));
    let id = pou.attribute("Id").expect("Id");
    // A version-5 UUID, lower-case hex in braces: {xxxxxxxx-xxxx-5xxx-[89ab]xxx-xxxxxxxxxxxx}.
    let hex = id.strip_prefix('{').and_then(|i| i.strip_suffix('}')).expect("braces");
    let groups: Vec<&str> = hex.split('-').collect();
    assert_eq!(groups.iter().map(|g| g.len()).collect::<Vec<_>>(), [8, 4, 4, 4, 12], "{id}");
    assert!(hex.chars().all(|c| c == '-' || c.is_ascii_digit() || ('a'..='f').contains(&c)), "{id}");
    assert!(groups[2].starts_with('5') && groups[3].starts_with(['8', '9', 'a', 'b']), "{id}");
    assert!(pou.descendants().all(|n| !n.has_tag_name("LineIds")));
    let declaration = element(pou, "Declaration").text().expect("declaration").replace("\r\n", "\n");
    let st = element(element(pou, "Implementation"), "ST").text().expect("body").replace("\r\n", "\n");
    assert!(declaration.starts_with("(*") && declaration.ends_with("END_VAR"));
    assert!(declaration.contains(&format!("\nFUNCTION_BLOCK {name}\n")));
    format!("{declaration}\n\n{st}\nEND_FUNCTION_BLOCK\n")
}

// ---- PLCopen XML -----------------------------------------------------------------------------

/// A TC6 XML type in the generic dialect: `<REAL />`, or an `<array>` with one dimension.
fn tc6_type(ty: roxmltree::Node<'_, '_>) -> String {
    let t = ty.children().find(roxmltree::Node::is_element).expect("a type");
    if t.has_tag_name("array") {
        let dims: Vec<_> = t.children().filter(|d| d.has_tag_name("dimension")).collect();
        assert_eq!(dims.len(), 1, "one-dimensional arrays");
        let (low, high) = (dims[0].attribute("lower").expect("lower"), dims[0].attribute("upper").expect("upper"));
        format!("ARRAY[{low}..{high}] OF {}", tc6_type(element(t, "baseType")))
    } else {
        t.tag_name().name().to_owned()
    }
}

/// A PLCopen TC6 XML project's one function block in the generic dialect: its variables, with
/// the constants (`localVars constant="true"`) and their initial values, and its ST body.
pub fn plcopen_to_st(text: &str) -> String {
    let doc = roxmltree::Document::parse(text).expect("well-formed XML");
    let pous: Vec<_> = doc.descendants().filter(|n| n.has_tag_name("pou")).collect();
    assert_eq!(pous.len(), 1);
    let pou = pous[0];
    assert_eq!(pou.attribute("pouType"), Some("functionBlock"));
    let name = pou.attribute("name").expect("name");
    let mut decl = format!("FUNCTION_BLOCK {name}\n");
    for list in element(pou, "interface").children().filter(roxmltree::Node::is_element) {
        let keyword = match (list.tag_name().name(), list.attribute("constant")) {
            ("inputVars", None) => "VAR_INPUT",
            ("outputVars", None) => "VAR_OUTPUT",
            ("localVars", None) => "VAR",
            ("localVars", Some("true")) => "VAR CONSTANT",
            other => panic!("a variable list {other:?}"),
        };
        decl.push_str(keyword);
        decl.push('\n');
        for v in list.children().filter(|n| n.has_tag_name("variable")) {
            let ty = tc6_type(element(v, "type"));
            let init = v.children().find(|n| n.has_tag_name("initialValue")).map(|i| {
                let values: Vec<&str> = element(i, "arrayValue")
                    .children()
                    .filter(|n| n.has_tag_name("value"))
                    .map(|n| element(n, "simpleValue").attribute("value").expect("value"))
                    .collect();
                format!(" := [{}]", values.join(", "))
            });
            decl.push_str(&format!("    {} : {ty}{};\n", v.attribute("name").expect("name"), init.unwrap_or_default()));
        }
        decl.push_str("END_VAR\n");
    }
    let st = element(element(element(pou, "body"), "ST"), "p").text().expect("the ST body");
    format!("{decl}\n{st}END_FUNCTION_BLOCK\n")
}

// ---- Studio 5000 -----------------------------------------------------------------------------

/// Logix ST in the generic dialect: each untyped literal takes the type of the variable it meets
/// (`x <= 61.65` with `x : REAL` reads `REAL#61.65`), base-16 and `0` constants next to a mask
/// read as `DWORD`. A typed literal (`REAL#…`) is refused: Logix is not known to accept them.
fn logix_to_generic(st: &str, types: &BTreeMap<String, String>) -> String {
    let c: Vec<char> = st.chars().collect();
    let mut out = String::new();
    let mut context: Option<&str> = None;
    let mut outer: Vec<Option<&str>> = Vec::new();
    let mut i = 0;
    while i < c.len() {
        if c[i] == '(' && c.get(i + 1) == Some(&'*') {
            let start = i;
            while !(c[i] == '*' && c.get(i + 1) == Some(&')')) {
                i += 1;
            }
            i += 2;
            out.extend(&c[start..i]);
        } else if c[i].is_ascii_alphabetic() || c[i] == '_' {
            let start = i;
            while i < c.len() && is_ident_char(c[i]) {
                i += 1;
            }
            let word: String = c[start..i].iter().collect();
            assert_ne!(c.get(i), Some(&'#'), "a typed literal {word}#… in Logix ST");
            if let Some(ty) = types.get(&word.to_ascii_uppercase()) {
                context = Some(ty.as_str());
            }
            if word.eq_ignore_ascii_case("THEN") {
                context = None;
            }
            out.push_str(&word);
        } else if c[i].is_ascii_digit() || (c[i] == '-' && c.get(i + 1).is_some_and(char::is_ascii_digit)) {
            let start = i;
            i += 1;
            while i < c.len()
                && (c[i].is_ascii_alphanumeric()
                    || c[i] == '.'
                    || c[i] == '#'
                    || ((c[i] == '-' || c[i] == '+') && matches!(c[i - 1], 'E' | 'e')))
            {
                i += 1;
            }
            let lit: String = c[start..i].iter().collect();
            let ty = context.unwrap_or_else(|| panic!("literal {lit} next to no variable"));
            if let Some(hex) = lit.strip_prefix("16#") {
                assert_eq!(ty, "DWORD", "{lit}");
                out.push_str(&format!("DWORD#16#{hex}"));
            } else if lit.contains('.') {
                assert!(ty == "REAL", "a real literal {lit} next to {ty}");
                out.push_str(&format!("REAL#{lit}"));
            } else {
                assert!(!lit.contains(['E', 'e', '#']), "{lit}");
                if ty == "DWORD" {
                    out.push_str(&format!("DWORD#{lit}"));
                } else {
                    out.push_str(&lit);
                }
            }
        } else {
            assert_ne!(c[i], '#', "a '#' outside a based literal in Logix ST");
            match c[i] {
                ';' => context = None,
                // An index does not change what the expression around it compares.
                '[' => outer.push(context),
                ']' => context = outer.pop().flatten(),
                _ => {}
            }
            out.push(c[i]);
            i += 1;
        }
    }
    out
}

/// A value of a Logix tag's default data (L5K or decorated) as a generic literal of `ty`.
fn logix_value(v: &str, ty: &str) -> String {
    match ty {
        "REAL" => {
            let x: f32 = v.parse().unwrap_or_else(|_| panic!("REAL default {v}"));
            format!("REAL#{}", glassbox::export::literal::format_f32(x))
        }
        "BOOL" => match v.trim_start_matches("2#") {
            "1" => "TRUE".to_owned(),
            "0" => "FALSE".to_owned(),
            other => panic!("BOOL default {other}"),
        },
        "DWORD" => {
            let m = match v.strip_prefix("16#") {
                Some(hex) => u32::from_str_radix(&hex.replace('_', ""), 16).expect("hex"),
                None => v.parse::<i32>().expect("DINT mask").cast_unsigned(),
            };
            format!("DWORD#16#{m:08X}")
        }
        "INT" | "DINT" => v.parse::<i64>().unwrap_or_else(|_| panic!("{ty} default {v}")).to_string(),
        other => panic!("default of {other}"),
    }
}

/// A tag's generic type: Logix `DINT` is a mask (`DWORD`) where it shows in base 16, else a
/// `DINT`.
fn logix_generic_type(ty: &str, radix: Option<&str>) -> String {
    match (ty, radix) {
        ("REAL" | "INT" | "BOOL", _) => ty.to_owned(),
        ("DINT", Some("Hex")) => "DWORD".to_owned(),
        ("DINT", _) => "DINT".to_owned(),
        (other, _) => panic!("data type {other}: Logix blocks use REAL, INT, BOOL and DINT"),
    }
}

/// An element's default data, both forms, as generic literals; the two forms must agree.
fn logix_defaults(tag: roxmltree::Node<'_, '_>, ty: &str) -> Vec<String> {
    let l5k = tag.children().find(|d| d.attribute("Format") == Some("L5K")).expect("L5K default");
    let l5k = l5k.text().unwrap_or("").trim();
    let decorated = tag.children().find(|d| d.attribute("Format") == Some("Decorated")).expect("decorated default");
    let (from_l5k, from_decorated): (Vec<String>, Vec<String>) = match l5k.strip_prefix('[') {
        Some(list) => {
            let list = list.strip_suffix(']').expect("L5K array");
            let array = element(decorated, "Array");
            let elements: Vec<_> = array.children().filter(|e| e.has_tag_name("Element")).collect();
            for (k, e) in elements.iter().enumerate() {
                assert_eq!(e.attribute("Index"), Some(format!("[{k}]").as_str()));
            }
            (
                list.split(',').map(|v| logix_value(v, ty)).collect(),
                elements.iter().map(|e| logix_value(e.attribute("Value").expect("Value"), ty)).collect(),
            )
        }
        None => {
            let value = element(decorated, "DataValue").attribute("Value").expect("Value");
            (vec![logix_value(l5k, ty)], vec![logix_value(value, ty)])
        }
    };
    assert_eq!(from_l5k, from_decorated, "the L5K and decorated defaults differ");
    from_l5k
}

/// One Add-On Instruction, as read from an `.L5X` file.
struct Aoi {
    name: String,
    /// Required inputs, in order (the arguments of a call in Logix ST after the instance).
    required: Vec<String>,
    /// Every parameter's generic type, by upper-case name.
    params: BTreeMap<String, String>,
}

/// `Block(Uut, a, b, …)`, Logix's call of an Add-On Instruction, as a generic call
/// `Uut(In1 := a, In2 := b, …)`, for every call of an instruction in `aois` in `st`.
fn logix_calls(st: &str, aois: &[Aoi]) -> String {
    let mut out = st.to_owned();
    for aoi in aois {
        let pattern = format!("{}(", aoi.name);
        while let Some(at) = out.find(&pattern) {
            let open = at + pattern.len();
            let (mut depth, mut close, mut cuts) = (1, open, vec![open]);
            for (i, ch) in out[open..].char_indices() {
                match ch {
                    '(' | '[' => depth += 1,
                    ')' | ']' => depth -= 1,
                    ',' if depth == 1 => cuts.push(open + i + 1),
                    _ => {}
                }
                if depth == 0 {
                    close = open + i;
                    break;
                }
            }
            cuts.push(close + 1);
            let args: Vec<&str> = cuts.windows(2).map(|w| out[w[0]..w[1] - 1].trim()).collect();
            assert_eq!(args.len(), aoi.required.len() + 1, "{}: the instance, then every required input", aoi.name);
            let named: Vec<String> = aoi.required.iter().zip(&args[1..]).map(|(p, a)| format!("{p} := {a}")).collect();
            out = format!("{}{}({}){}", &out[..at], args[0], named.join(", "), &out[close + 1..]);
        }
    }
    out
}

/// An `.L5X` file in the generic dialect, after checking its bytes and the shape Studio 5000
/// imports: every Add-On Instruction of the file, the target last.
pub fn l5x_to_st(text: &str) -> String {
    let s = vendor_bytes("L5X", text);
    assert!(s.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"));
    let doc = roxmltree::Document::parse(&s).expect("well-formed XML");
    let root = doc.root_element();
    assert!(root.has_tag_name("RSLogix5000Content"));
    let attr = |n: roxmltree::Node<'_, '_>, a: &str| n.attribute(a).unwrap_or_else(|| panic!("no {a}")).to_owned();
    assert_eq!(attr(root, "SchemaRevision"), "1.0");
    assert_eq!(attr(root, "SoftwareRevision"), "32.02");
    assert_eq!(attr(root, "TargetType"), "AddOnInstructionDefinition");
    assert_eq!(attr(root, "TargetRevision"), "1.0 ");
    assert_eq!(attr(root, "ContainsContext"), "true");
    // `Mon May 06 00:00:00 2024` and `2024-05-06T00:00:00.000Z`.
    let export_date = attr(root, "ExportDate");
    assert!(chrono::NaiveDateTime::parse_from_str(&export_date, "%a %b %d %H:%M:%S %Y").is_ok(), "{export_date}");
    let edited = attr(root, "TargetLastEdited");
    assert!(chrono::NaiveDateTime::parse_from_str(&edited, "%Y-%m-%dT%H:%M:%S%.3fZ").is_ok(), "{edited}");
    let controller = element(root, "Controller");
    assert_eq!(attr(controller, "Use"), "Context");
    let list = element(controller, "AddOnInstructionDefinitions");
    assert_eq!(attr(list, "Use"), "Context");
    let defs: Vec<_> = list.children().filter(roxmltree::Node::is_element).collect();
    // The target last, marked; the instructions it uses before it, unmarked (context), as
    // Logix Designer exports an instruction with its dependencies.
    for (k, d) in defs.iter().enumerate() {
        let expected = if k + 1 == defs.len() { Some("Target") } else { None };
        assert_eq!(d.attribute("Use"), expected, "definition {k}");
    }
    let target = defs.last().expect("a definition");
    assert_eq!(attr(root, "TargetName"), attr(*target, "Name"));
    let mut aois: Vec<Aoi> = Vec::new();
    let mut out = String::new();
    for (k, aoi) in defs.iter().enumerate() {
        // A test bench's own tags start with their defaults (Zero := 0.0); a block's must not
        // rely on them, so they are read without.
        let with_defaults = defs.len() > 1 && k + 1 == defs.len();
        let name = attr(*aoi, "Name");
        assert_eq!(attr(*aoi, "SoftwareRevision"), "v32.02");
        assert_eq!((attr(*aoi, "EditedDate"), attr(*aoi, "CreatedDate")), (edited.clone(), edited.clone()));
        let order: Vec<&str> =
            aoi.children().filter(roxmltree::Node::is_element).map(|n| n.tag_name().name()).collect();
        assert_eq!(order, ["Description", "Parameters", "LocalTags", "Routines"]);
        let mut names = vec![name.clone()];
        let params: Vec<_> = element(*aoi, "Parameters").children().filter(roxmltree::Node::is_element).collect();
        assert_eq!(
            params
                .iter()
                .take(2)
                .map(|p| (attr(*p, "Name"), attr(*p, "Usage"), attr(*p, "Visible")))
                .collect::<Vec<_>>(),
            [
                ("EnableIn".into(), "Input".into(), "false".into()),
                ("EnableOut".into(), "Output".into(), "false".into())
            ]
        );
        let mut inputs = String::from("VAR_INPUT\n");
        let mut outputs = String::from("VAR_OUTPUT\n");
        let mut types: BTreeMap<String, String> = BTreeMap::new();
        let mut me = Aoi { name: name.clone(), required: Vec::new(), params: BTreeMap::new() };
        for p in &params[2..] {
            let n = attr(*p, "Name");
            let ty = logix_generic_type(&attr(*p, "DataType"), p.attribute("Radix"));
            let default = logix_defaults(*p, &ty);
            let line = match (attr(*p, "Usage").as_str(), attr(*p, "Required").as_str()) {
                ("Input", "true") => {
                    me.required.push(n.clone());
                    format!("    {n} : {ty};\n")
                }
                // An input a call may leave out keeps its default.
                ("Input", _) => format!("    {n} : {ty} := {};\n", default[0]),
                ("Output", "false") => format!("    {n} : {ty};\n"),
                (u, r) => panic!("usage {u}, required {r}"),
            };
            if attr(*p, "Usage") == "Input" {
                inputs.push_str(&line);
            } else {
                outputs.push_str(&line);
            }
            me.params.insert(n.to_ascii_uppercase(), ty.clone());
            types.insert(n.to_ascii_uppercase(), ty);
            names.push(n);
        }
        let mut locals = String::from("VAR\n");
        let tags: Vec<_> = element(*aoi, "LocalTags").children().filter(roxmltree::Node::is_element).collect();
        assert!(params.len() + tags.len() <= 512, "an AOI holds at most 512 parameters and local tags");
        for tag in tags {
            assert_eq!(attr(tag, "ExternalAccess"), "None");
            let n = attr(tag, "Name");
            let data_type = attr(tag, "DataType");
            if let Some(used) = aois.iter().find(|a| a.name == data_type) {
                // An instance of an instruction the file defines before this one; it takes that
                // instruction's defaults. Its members' types type the literals next to them.
                assert!(tag.children().all(|d| !d.has_tag_name("DefaultData")));
                locals.push_str(&format!("    {n} : {data_type};\n"));
                types.extend(used.params.clone());
            } else if let Some(dims) = tag.attribute("Dimensions") {
                let ty = logix_generic_type(&data_type, tag.attribute("Radix"));
                let values = logix_defaults(tag, &ty);
                let dims: usize = dims.parse().expect("Dimensions");
                assert_eq!(values.len(), dims, "{n}: {dims} elements");
                if ty == "BOOL" {
                    assert_eq!(dims % 32, 0, "{n}: a BOOL array of {dims}");
                }
                locals.push_str(&format!("    {n} : ARRAY[0..{}] OF {ty} := [{}];\n", dims - 1, values.join(", ")));
                types.insert(n.to_ascii_uppercase(), ty);
            } else {
                let ty = logix_generic_type(&data_type, tag.attribute("Radix"));
                let values = logix_defaults(tag, &ty);
                if with_defaults {
                    locals.push_str(&format!("    {n} : {ty} := {};\n", values[0]));
                } else {
                    locals.push_str(&format!("    {n} : {ty};\n"));
                }
                types.insert(n.to_ascii_uppercase(), ty);
            }
            names.push(n);
        }
        // Names: at most 40 characters, IEC rules, unique ignoring case, none an AOI's own.
        let unique: BTreeSet<String> = names.iter().map(|n| n.to_ascii_uppercase()).collect();
        assert_eq!(unique.len(), names.len(), "{names:?}");
        assert!(!unique.contains("ENABLEIN") && !unique.contains("ENABLEOUT"));
        for n in &names {
            assert!(n.len() <= 40 && is_valid_identifier(n), "'{n}' is not a Logix name");
        }
        for d in aoi.descendants().filter(|n| n.has_tag_name("Description")) {
            assert!(d.text().unwrap_or("").chars().count() <= 512);
        }
        let routine = element(element(*aoi, "Routines"), "Routine");
        assert_eq!((attr(routine, "Name"), attr(routine, "Type")), ("Logic".into(), "ST".into()));
        let mut st = String::new();
        for (k, line) in element(routine, "STContent").children().filter(roxmltree::Node::is_element).enumerate() {
            assert!(line.has_tag_name("Line"));
            assert_eq!(attr(line, "Number"), k.to_string(), "lines are numbered from 0");
            st.push_str(line.text().unwrap_or("").trim_matches('\n'));
            st.push('\n');
        }
        let decl = format!("FUNCTION_BLOCK {name}\n{inputs}END_VAR\n{outputs}END_VAR\n{locals}END_VAR\n");
        let body = logix_calls(&logix_to_generic(&st, &types), &aois);
        out.push_str(&format!("{decl}\n{body}END_FUNCTION_BLOCK\n"));
        aois.push(me);
    }
    out
}

// ---- Running both ----------------------------------------------------------------------------

/// Every training and held-out row.
fn all_rows(t: &Trained) -> Vec<&[f64]> {
    (0..t.data.train.len())
        .map(|i| t.data.train.raw.row(i))
        .chain((0..t.data.test.len()).map(|i| t.data.test.raw.row(i)))
        .collect()
}

/// Runs the generic block and the vendor one (in the generic dialect) on every row and requires
/// every variable to end the same, matched by declaration order (Logix may rename). Returns the
/// rows run.
fn same_as_generic(what: &str, generic: &str, vendor: &str, rows: &[&[f64]]) -> usize {
    let (g_decl, v_decl) = (declarations(generic), declarations(vendor));
    let g_types: Vec<&str> = g_decl.iter().map(|(_, t)| t.as_str()).collect();
    let v_types: Vec<&str> = v_decl.iter().map(|(_, t)| t.as_str()).collect();
    assert_eq!(g_types, v_types, "{what}: declarations differ");
    let (g, v) = (st_eval::parse(generic), st_eval::parse(vendor));
    for raw in rows {
        let (ge, ve) = (g.run(raw), v.run(raw));
        for ((gn, _), (vn, _)) in g_decl.iter().zip(&v_decl) {
            let a: Option<&Value> = ge.get(&gn.to_ascii_uppercase());
            let b: Option<&Value> = ve.get(&vn.to_ascii_uppercase());
            // Bit for bit: a NaN input stays NaN in both, and -0.0 is not 0.0.
            let (sa, sb) = (format!("{a:?}"), format!("{b:?}"));
            assert!(a.is_some() && sa == sb, "{what}: {gn} is {sa} in the .st block, {vn} is {sb}; row {raw:?}");
        }
    }
    rows.len()
}

/// Exports `p` in every vendor format that takes `ty` and checks each against the generic `.st`.
fn check_vendors(what: &str, t: &Trained, p: &ExportPlan, ty: RealType) {
    let o = options(ty);
    let generic = export(p, Format::StructuredText, &o).expect("st").text;
    let rows = all_rows(t);
    let header = header_lines(&generic);
    for (format, read) in
        [(Format::Scl, scl_to_st as fn(&str) -> String), (Format::TcPou, tcpou_to_st), (Format::L5x, l5x_to_st)]
    {
        if format == Format::L5x && ty == RealType::Lreal {
            let e = export(p, format, &o).expect_err("Logix refuses LREAL").to_string();
            assert!(e.contains("5380") && e.contains("5580") && e.contains("REAL"), "{e}");
            continue;
        }
        let text = export(p, format, &o).expect("exports").text;
        // The same header, line for line.
        for line in &header {
            assert!(text.contains(line.as_str()), "{what} {}: header line missing: {line}", format.label());
        }
        let vendor = read(&text);
        let n = same_as_generic(&format!("{what} {}", format.label()), &generic, &vendor, &rows);
        eprintln!("{what}: the {} {} file decides as the .st block on all {n} rows", ty.keyword(), format.label());
    }
}

#[test]
fn vendor_files_compute_what_the_generic_block_computes_on_every_row() {
    for (t, name) in [(ai4i(), "AI4I"), (ccpp(), "CCPP"), (steel(), "steel plates")] {
        let p = plan(t, None);
        check_vendors(name, t, &p, RealType::Real);
        check_vendors(name, t, &p, RealType::Lreal);
    }
    // A rule set instead of the tree.
    let t = ai4i();
    let rs = extract(&t.report, &t.data, &TreeParams::default()).expect("rules");
    let rs = simplify(&rs, &t.data, &SimplifyOptions { min_support: 0.005, ..SimplifyOptions::default() });
    check_vendors("AI4I rules", t, &plan(t, Some(&rs)), RealType::Real);
}

#[test]
fn vendor_files_fill_missing_inputs_as_the_model_does() {
    let t = ai4i_dropouts();
    let gaps = all_rows(t).iter().filter(|r| r.iter().any(|x| x.is_nan())).count();
    assert!(gaps > 1000, "{gaps} rows with a missing input");
    let p = plan(t, None);
    check_vendors("AI4I with dropouts", t, &p, RealType::Real);
    // The NaN test each target keeps: `x <> x`, with the target's own spelling.
    let o = options(RealType::Real);
    let scl = export(&p, Format::Scl, &o).expect("scl").text;
    assert!(scl.contains("IF #Tool_wear_min <> #Tool_wear_min THEN"));
    let l5x = export(&p, Format::L5x, &o).expect("l5x").text;
    assert!(l5x.contains("<![CDATA[IF Tool_wear_min <> Tool_wear_min THEN]]>"));
    assert!(l5x.contains("<![CDATA[IF F_Type = -1 THEN]]>"));
}

/// A model whose names test each tool's limits: longer than Logix's 40 characters (a feature,
/// its `_used` copy, the default block name from the target), an AOI's own parameter name, an
/// SCL word, and names that try to close a comment or a CDATA section.
fn awkward() -> &'static Trained {
    static CELL: std::sync::OnceLock<Trained> = std::sync::OnceLock::new();
    CELL.get_or_init(|| {
        use rand::{RngExt as _, SeedableRng as _};
        let names = [
            "Main drive bearing temperature at the non drive end [°C]",
            "Main drive bearing temperature at the non drive end (°F)",
            "EnableIn",
            "Begin",
            "]]> <![CDATA[",
            "z *) ; Valid := TRUE; (*",
        ];
        let mut rng = rand::rngs::ChaCha8Rng::seed_from_u64(11);
        let n = 400;
        let mut cols: Vec<Vec<f64>> = vec![Vec::with_capacity(n); names.len()];
        let mut target = Vec::with_capacity(n);
        for _ in 0..n {
            for c in &mut cols {
                let v = (rng.random::<f64>() * 100.0).round() / 10.0;
                // Some gaps, so the missing-input path runs too.
                c.push(if rng.random::<f64>() < 0.03 { f64::NAN } else { v });
            }
            let x = |k: usize| cols[k].last().copied().unwrap_or(0.0);
            target.push(f64::from(u8::from(x(0) + x(2) - x(3) + x(5) * 0.5 > 7.0)));
        }
        let mut columns: Vec<Column> =
            names.iter().zip(cols).map(|(name, v)| Column::new(*name, ColumnKind::Float, v, Vec::new())).collect();
        let target_name = "Bearing overheating alarm raised by the condition monitoring system";
        columns.push(Column::new(target_name, ColumnKind::Integer, target, Vec::new()));
        let ds = Dataset::new("awkward", columns).expect("dataset");
        let settings = TrainSettings {
            target: target_name.into(),
            task: Some(Task::Classification),
            features: Some(names.iter().map(|s| (*s).to_owned()).collect()),
            ..TrainSettings::default()
        };
        let report = train(&ds, &settings, &Progress::new()).expect("trains");
        let data = RuleData::new(&report, &ds).expect("rows");
        Trained { ds, report, data }
    })
}

#[test]
fn names_fit_each_tool_and_cannot_inject_code() {
    let t = awkward();
    let p = plan(t, None);
    let o = options(RealType::Real);
    let generic = export(&p, Format::StructuredText, &o).expect("st").text;
    let rows = all_rows(t);
    // Logix: every name at most 40 characters (checked in l5x_to_st), EnableIn renamed, and
    // the renamed block computes the same.
    let l5x = export(&p, Format::L5x, &o).expect("l5x");
    assert!(l5x.notes.iter().any(|n| n.contains("names were changed for Studio 5000")), "{:?}", l5x.notes);
    let vendor = l5x_to_st(&l5x.text);
    same_as_generic("awkward l5x", &generic, &vendor, &rows);
    let decls = declarations(&vendor);
    assert!(decls.iter().any(|(n, _)| n == "EnableIn_2"), "{decls:?}");
    // The two long inputs and their copies: four names, each shortened to 40 characters or fewer.
    assert_eq!(decls.iter().filter(|(n, _)| n.starts_with("Main_drive_bearing")).count(), 4, "{decls:?}");
    assert!(generic.contains("Main_drive_bearing_temperature_at_the_no_2 : REAL;"), "longer than 40 in .st");
    let block = vendor.lines().next().expect("block").trim_start_matches("FUNCTION_BLOCK ");
    assert!(block.len() <= 40 && block.starts_with("FB_Bearing"), "{block}");
    // A name the user gives that Logix cannot take is refused, not changed.
    let long = ExportOptions { name: Some("FB_".to_owned() + &"x".repeat(40)), ..o.clone() };
    let e = export(&p, Format::L5x, &long).expect_err("too long").to_string();
    assert!(e.contains("40 characters"), "{e}");
    // SCL: `Begin` would end the declarations; it is renamed.
    let scl = export(&p, Format::Scl, &o).expect("scl").text;
    let vendor = scl_to_st(&scl);
    same_as_generic("awkward scl", &generic, &vendor, &rows);
    assert!(declarations(&vendor).iter().all(|(n, _)| !n.eq_ignore_ascii_case("Begin")));
    same_as_generic(
        "awkward tcpou",
        &generic,
        &tcpou_to_st(&export(&p, Format::TcPou, &o).expect("tcpou").text),
        &rows,
    );
    // No CDATA section ends early and no comment swallows or lets out code (the readers above
    // parsed every file; here the raw text).
    for format in [Format::TcPou, Format::L5x] {
        let text = export(&p, format, &o).expect("xml").text;
        // Every `]]>` closes a CDATA section right before its element's end tag.
        let closing = text.matches("]]></").count() + text.matches("]]>\r\n</").count();
        assert_eq!(text.matches("]]>").count(), closing, "{}: a CDATA section ends early", format.label());
        assert!(!text.contains("Valid := TRUE; (*"));
    }
    // In SCL the name is in `//` comments, which end at the line's end.
    for line in scl.lines().filter(|l| l.contains("Valid := TRUE")) {
        assert!(line.find("//") < line.find("Valid := TRUE"), "{line}");
    }
}

#[test]
fn vendor_files_are_byte_stable_and_dated_only_as_asked() {
    let t = ai4i();
    let o = options(RealType::Real);
    for format in [Format::Scl, Format::TcPou, Format::L5x] {
        let a = export(&plan(t, None), format, &o).expect("a").text;
        let b = export(&plan(t, None), format, &o).expect("b").text;
        assert!(a == b, "{}: two exports differ", format.label());
    }
    // Logix dates: from the option, else the fixed epoch; never the clock.
    let dated = export(&plan(t, None), Format::L5x, &o).expect("dated");
    assert!(dated.text.contains("ExportDate=\"Mon May 06 00:00:00 2024\""));
    assert!(dated.text.contains("EditedDate=\"2024-05-06T00:00:00.000Z\""));
    assert!(dated.notes.iter().any(|n| n.contains("EditedDate")));
    let undated = export(&plan(t, None), Format::L5x, &ExportOptions::default()).expect("undated").text;
    assert!(undated.contains("ExportDate=\"Thu Jan 01 00:00:00 1970\""));
    assert!(undated.contains("TargetLastEdited=\"1970-01-01T00:00:00.000Z\""));
    // TwinCAT's Id follows the block's name, not the run.
    let named = |n: &str| {
        let o = ExportOptions { name: Some(n.into()), ..o.clone() };
        let text = export(&plan(t, None), Format::TcPou, &o).expect("tcpou").text;
        let at = text.find(" Id=\"").expect("Id") + 5;
        text[at..at + 38].to_owned()
    };
    assert_eq!(named("FB_A"), named("FB_A"));
    assert_ne!(named("FB_A"), named("FB_B"));
    assert_eq!(Format::L5x.extension(), "L5X");
    assert_eq!(Format::TcPou.extension(), "TcPOU");
    assert_eq!(Format::Scl.label(), "scl");
}

/// The small model of `export::small_model_matches_the_golden_files`, its files pinned as golden
/// files (set `UPDATE_GOLDEN=1` to rewrite them after an intended change, and review the diff).
#[test]
fn small_model_matches_the_vendor_golden_files() {
    let (_, _, p) = crate::export::small_model();
    let o = ExportOptions { name: Some("FB_Reject".into()), ..options(RealType::Real) };
    for (file, format) in [("small.scl", Format::Scl), ("small.TcPOU", Format::TcPou), ("small.L5X", Format::L5x)] {
        crate::export::check_golden(file, &export(&p, format, &o).expect("exports").text);
    }
}

#[test]
fn export_command_writes_the_vendor_files() {
    let dir = tempfile::tempdir().expect("dir");
    let project = crate::export::ai4i_project(dir.path());
    let project = project.to_str().expect("utf-8");
    let run = |args: &[&str]| Command::new(env!("CARGO_BIN_EXE_glassbox")).args(args).output().expect("runs");
    for (format, ext, read) in
        [("scl", "scl", scl_to_st as fn(&str) -> String), ("tcpou", "TcPOU", tcpou_to_st), ("l5x", "L5X", l5x_to_st)]
    {
        let mut bytes = Vec::new();
        for k in 0..2 {
            let out_path = dir.path().join(format!("FB_Failure{k}.{ext}"));
            let out = run(&[
                "export",
                project,
                "--format",
                format,
                "--name",
                "FB_Failure",
                "--date",
                "2024-05-06",
                "--out",
                out_path.to_str().expect("utf-8"),
            ]);
            assert!(out.status.success(), "{format}: {}", String::from_utf8_lossy(&out.stderr));
            bytes.push(std::fs::read(&out_path).expect("written"));
        }
        assert!(bytes[0] == bytes[1], "{format}: two exports differ");
        let text = String::from_utf8(bytes.swap_remove(0)).expect("UTF-8");
        assert!(text.contains("FB_Failure") && text.contains("SHA-256 53d0e7b7"), "{format}");
        let block = st_eval::parse(&read(&text));
        assert_eq!(block.name, "FB_Failure");
        assert_eq!(block.inputs.len(), 6);
    }
    let out_path = dir.path().join("lreal.L5X");
    let out = run(&[
        "export",
        project,
        "--format",
        "l5x",
        "--real-type",
        "LREAL",
        "--out",
        out_path.to_str().expect("utf-8"),
    ]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("5380") && err.contains("export with REAL"), "{err}");
    assert!(!out_path.exists());
    // The Logix Designer version the file states, checked before anything is written.
    let out_path = dir.path().join("v35.L5X");
    let path = out_path.to_str().expect("utf-8");
    let out = run(&["export", project, "--format", "l5x", "--logix-revision", "35.11", "--out", path]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = std::fs::read_to_string(&out_path).expect("written");
    assert!(text.contains("SoftwareRevision=\"35.11\"") && text.contains("SoftwareRevision=\"v35.11\""), "{text:.600}");
    for (format, revision, says) in [("l5x", "thirty-two", "major.minor"), ("scl", "35.11", "--format l5x only")] {
        let out_path = dir.path().join(format!("bad.{format}"));
        let path = out_path.to_str().expect("utf-8");
        let out = run(&["export", project, "--format", format, "--logix-revision", revision, "--out", path]);
        assert!(!out.status.success() && !out_path.exists(), "{format} {revision}");
        assert!(String::from_utf8_lossy(&out.stderr).contains(says), "{}", String::from_utf8_lossy(&out.stderr));
    }
}

// ---- Test benches ----------------------------------------------------------------------------

/// Both blocks of a vendor file with its test bench (and the bench's own file for TwinCAT), read
/// as each tool reads them, in the generic dialect.
pub fn vendor_bench_to_st(format: Format, text: &str, companion: Option<&Companion>) -> String {
    match format {
        Format::Scl => scl_to_st(text),
        Format::TcPou => {
            let c = companion.expect("the bench's own file");
            let bench = tcpou_to_st(&c.text);
            let name = bench.lines().find_map(|l| l.strip_prefix("FUNCTION_BLOCK ")).expect("bench name");
            assert_eq!(c.file_name, format!("{name}.TcPOU"), "TwinCAT names the file after its POU");
            format!("{}\n{bench}", tcpou_to_st(text))
        }
        Format::L5x => l5x_to_st(text),
        other => panic!("no vendor bench in {}", other.label()),
    }
}

/// `Done`, `Passed`, `Failures`, `FirstFailure` and `Skipped` after one call of the bench.
fn bench_outputs(program: &Program, bench: &str, with_nan: bool) -> (bool, bool, i64, i64, i64) {
    let out = program.run(bench, &[("WithNaN", Value::Bool(with_nan))]);
    let (Value::Bool(done), Value::Bool(passed)) = (out["DONE"], out["PASSED"]) else { panic!("Done, Passed") };
    let (Value::Int(failures), Value::Int(first), Value::Int(skipped)) =
        (out["FAILURES"], out["FIRSTFAILURE"], out["SKIPPED"])
    else {
        panic!("Failures, FirstFailure, Skipped")
    };
    (done, passed, failures, first, skipped)
}

/// The two blocks of a bench file, parsed: (program, block name, bench name).
fn parse_bench(generic: &str) -> (Program, String, String) {
    let program = st_eval::parse_file(generic);
    assert_eq!(program.blocks.len(), 2, "the block and its test bench");
    let (block, bench) = (program.blocks[0].name.clone(), program.blocks[1].name.clone());
    assert!(bench.starts_with("TB_"), "{bench}");
    (program, block, bench)
}

/// Runs each vendor file's test bench in the interpreter: it passes, with NaN and without.
fn check_vendor_benches(what: &str, p: &ExportPlan, o: &ExportOptions) {
    let tv = vectors(p, o).expect("vectors");
    let with_nan = i64::try_from(tv.vectors.iter().filter(|v| v.has_nan()).count()).expect("small");
    assert!(with_nan > 0, "{what}: no vector with a missing number");
    for format in [Format::Scl, Format::TcPou, Format::L5x] {
        let (exported, companion) = export_with_testbench(p, format, o).expect("exports");
        assert_eq!(companion.is_some(), format == Format::TcPou, "{what} {}", format.label());
        // The same bytes twice.
        let again = export_with_testbench(p, format, o).expect("again");
        assert!(again.0.text == exported.text && again.1 == companion, "{what} {}: two exports differ", format.label());
        let generic = vendor_bench_to_st(format, &exported.text, companion.as_ref());
        let (program, _, bench) = parse_bench(&generic);
        assert_eq!(
            bench_outputs(&program, &bench, true),
            (true, true, 0, 0, 0),
            "{what} {}: the test bench fails",
            format.label()
        );
        // Without NaN, the vectors that need one are skipped, and Passed stays FALSE.
        assert_eq!(bench_outputs(&program, &bench, false), (true, false, 0, 0, with_nan), "{what} {}", format.label());
        eprintln!(
            "{what}: the {} test bench {bench} passes in the interpreter ({} vectors, {with_nan} with a NaN)",
            format.label(),
            tv.vectors.len()
        );
    }
}

#[test]
fn vendor_test_benches_pass_in_the_evaluator() {
    let o = options(RealType::Real);
    check_vendor_benches("AI4I tree", &plan(ai4i(), None), &o);
    check_vendor_benches("AI4I with dropouts", &plan(ai4i_dropouts(), None), &o);
    check_vendor_benches("CCPP regression tree", &plan(ccpp(), None), &o);
    let t = ai4i();
    let rs = extract(&t.report, &t.data, &TreeParams::default()).expect("rules");
    let rs = simplify(&rs, &t.data, &SimplifyOptions { min_support: 0.005, ..SimplifyOptions::default() });
    check_vendor_benches("AI4I rules", &plan(t, Some(&rs)), &o);
    // SCL and TwinCAT take LREAL as well.
    let lreal = options(RealType::Lreal);
    for format in [Format::Scl, Format::TcPou] {
        let (exported, companion) = export_with_testbench(&plan(ai4i(), None), format, &lreal).expect("LREAL");
        let (program, _, bench) = parse_bench(&vendor_bench_to_st(format, &exported.text, companion.as_ref()));
        assert_eq!(bench_outputs(&program, &bench, true), (true, true, 0, 0, 0), "LREAL {}", format.label());
    }
    // Names longer than Logix's 40 characters: the bench's name is cut, and it still passes.
    let awkward = plan(awkward(), None);
    let (exported, _) = export_with_testbench(&awkward, Format::L5x, &o).expect("l5x");
    let (program, block, bench) = parse_bench(&l5x_to_st(&exported.text));
    assert!(bench.len() <= 40 && block.len() <= 40 && bench != block, "{block}, {bench}");
    assert_eq!(bench_outputs(&program, &bench, true), (true, true, 0, 0, 0));
}

/// The literal of `site` moved down by one step of `ty`, as the generic dialect writes it.
fn moved_literal(literal: f64, ty: RealType) -> String {
    match ty {
        #[allow(clippy::cast_possible_truncation)]
        RealType::Real => format!("REAL#{}", glassbox::export::literal::format_f32((literal as f32).next_down())),
        RealType::Lreal => format!("LREAL#{}", glassbox::export::literal::format_f64(literal.next_down())),
    }
}

/// `text` with the threshold `from` replaced by `to` wherever the block compares with it.
fn move_threshold(text: &str, sym: &str, from: &str, to: &str) -> String {
    text.replace(&format!("{sym} {from} THEN"), &format!("{sym} {to} THEN"))
        .replace(&format!("{sym} {from})"), &format!("{sym} {to})"))
}

#[test]
fn a_broken_block_fails_the_vendor_test_benches_at_the_right_vector() {
    let p = plan(ai4i(), None);
    let o = options(RealType::Real);
    let tv = vectors(&p, &o).expect("vectors");
    // A threshold whose two sides give different outputs.
    let site = tv
        .logic
        .sites
        .iter()
        .enumerate()
        .filter(|(_, s)| s.op.is_threshold())
        .find(|(s, _)| {
            let side = |beyond: bool| {
                tv.vectors
                    .iter()
                    .find(|v| v.purpose == glassbox::export::vectors::Purpose::Boundary { site: *s, beyond })
                    .map(|v| &v.expected)
            };
            side(false).is_some() && side(false) != side(true)
        })
        .map(|(_, s)| s.clone())
        .expect("a threshold whose two sides give different outputs");
    let sym = site.op.symbol();
    let moved = moved_literal(site.literal, RealType::Real);
    // The generic bench with the same change: where it first fails, and how often.
    let st = export(&p, Format::TestbenchSt, &o).expect("bench").text;
    let block_end = st.find("END_FUNCTION_BLOCK").expect("end of the block");
    let broken = format!("{}{}", move_threshold(&st[..block_end], sym, &site.text, &moved), &st[block_end..]);
    let (program, _, bench) = parse_bench(&broken);
    let (done, passed, failures, first, _) = bench_outputs(&program, &bench, true);
    assert!(done && !passed && failures > 0 && first > 0, "{failures} failures, first {first}");
    let failing = &tv.vectors[usize::try_from(first).expect("a vector") - 1];
    assert!(failing.inputs.contains(&site.literal), "vector {first} holds no {}", site.text);
    for format in [Format::Scl, Format::TcPou, Format::L5x] {
        let (exported, companion) = export_with_testbench(&p, format, &o).expect("exports");
        // Logix writes the literal untyped.
        let (from, to) = if format == Format::L5x {
            (site.text.trim_start_matches("REAL#").to_owned(), moved.trim_start_matches("REAL#").to_owned())
        } else {
            (site.text.clone(), moved.clone())
        };
        let text = move_threshold(&exported.text, sym, &from, &to);
        assert_ne!(text, exported.text, "{}: the threshold {from} is in the block", format.label());
        let (program, _, bench) = parse_bench(&vendor_bench_to_st(format, &text, companion.as_ref()));
        assert_eq!(
            bench_outputs(&program, &bench, true),
            (true, false, failures, first, 0),
            "{}: a threshold moved from {from} to {to}",
            format.label()
        );
        eprintln!(
            "{}: threshold {from} moved to {to}: {failures} vectors fail, the first is vector {first} ({})",
            format.label(),
            failing.description
        );
    }
}

/// A model with `n` numeric inputs, each tested by its tree, on made-up rows.
fn wide(n: usize) -> Trained {
    use rand::{RngExt as _, SeedableRng as _};
    let mut rng = rand::rngs::ChaCha8Rng::seed_from_u64(5);
    let rows = 300;
    let cols: Vec<Vec<f64>> = (0..n).map(|_| (0..rows).map(|_| rng.random::<f64>()).collect()).collect();
    let target: Vec<f64> =
        (0..rows).map(|r| f64::from(u8::from(cols.iter().take(8).map(|c| c[r]).sum::<f64>() > 4.0))).collect();
    let names: Vec<String> = (0..n).map(|j| format!("Sensor {j}")).collect();
    let mut columns: Vec<Column> =
        names.iter().zip(cols).map(|(name, v)| Column::new(name.as_str(), ColumnKind::Float, v, Vec::new())).collect();
    columns.push(Column::new("Alarm", ColumnKind::Integer, target, Vec::new()));
    let ds = Dataset::new("wide", columns).expect("dataset");
    let settings = TrainSettings {
        target: "Alarm".into(),
        task: Some(Task::Classification),
        features: Some(names),
        ..TrainSettings::default()
    };
    let report = train(&ds, &settings, &Progress::new()).expect("trains");
    let data = RuleData::new(&report, &ds).expect("rows");
    Trained { ds, report, data }
}

#[test]
fn a_test_bench_beyond_an_add_on_instructions_limits_is_refused() {
    // 200 inputs: the block fits in 512 parameters and tags, its bench (an array per input and
    // one per input that can be NaN) does not.
    let t = wide(200);
    let p = plan(&t, None);
    let o = options(RealType::Real);
    export(&p, Format::L5x, &o).expect("the block itself fits");
    let e = export_with_testbench(&p, Format::L5x, &o).expect_err("the bench does not").to_string();
    assert!(e.contains("at most 512") && e.contains("test bench"), "{e}");
    // The other tools have no such limit.
    export_with_testbench(&p, Format::Scl, &o).expect("scl");
    // A format without a bench says which have one.
    let e = export_with_testbench(&p, Format::Json, &o).expect_err("json").to_string();
    assert!(e.contains("st, scl, tcpou or l5x"), "{e}");
}

#[test]
fn export_command_writes_the_vendor_test_benches() {
    let dir = tempfile::tempdir().expect("dir");
    let project = crate::export::ai4i_project(dir.path());
    let project = project.to_str().expect("utf-8");
    let run = |args: &[&str]| Command::new(env!("CARGO_BIN_EXE_glassbox")).args(args).output().expect("runs");
    let path = |f: &str| dir.path().join(f).to_str().expect("utf-8").to_owned();
    for (format, file) in [("scl", "FB_Failure.scl"), ("l5x", "FB_Failure.L5X"), ("tcpou", "FB_Failure.TcPOU")] {
        let args =
            ["export", project, "--format", format, "--testbench", "--name", "FB_Failure", "--date", "2024-05-06"];
        let out = run(&[&args[..], &["--out", &path(file)]].concat());
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{format}: {stderr}");
        assert!(stderr.contains("test bench: 131 vectors"), "{stderr}");
        let text = std::fs::read_to_string(path(file)).expect("written");
        let companion = (format == "tcpou").then(|| {
            // The bench's own file, beside the block's, named after its POU; the message names it.
            assert!(stderr.contains("TB_FB_Failure.TcPOU"), "{stderr}");
            Companion {
                file_name: "TB_FB_Failure.TcPOU".into(),
                text: std::fs::read_to_string(path("TB_FB_Failure.TcPOU")).expect("the bench's file"),
            }
        });
        let f = match format {
            "scl" => Format::Scl,
            "l5x" => Format::L5x,
            _ => Format::TcPou,
        };
        let (program, block, bench) = parse_bench(&vendor_bench_to_st(f, &text, companion.as_ref()));
        assert_eq!((block.as_str(), bench.as_str()), ("FB_Failure", "TB_FB_Failure"));
        assert_eq!(bench_outputs(&program, &bench, true), (true, true, 0, 0, 0), "{format}");
    }
    // --testbench is for the PLC formats that carry one; TwinCAT's two files need a real --out.
    for (format, out_path, says) in [
        ("json", path("x.json"), "--testbench applies to"),
        ("plcopen", path("x.xml"), "--testbench applies to"),
        ("tcpou", "-".to_owned(), "writes two files"),
    ] {
        let out = run(&["export", project, "--format", format, "--testbench", "--out", &out_path]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{format}: {stderr}");
        assert!(stderr.contains(says), "{stderr}");
    }
}
