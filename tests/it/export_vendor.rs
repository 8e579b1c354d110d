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
use glassbox::export::{ExportOptions, ExportPlan, Format, RealType, export};
use glassbox::model::Task;
use glassbox::model::cart::TreeParams;
use glassbox::model::train::{TrainSettings, train};
use glassbox::rules::RuleSet;
use glassbox::rules::extract::extract;
use glassbox::rules::score::RuleData;
use glassbox::rules::simplify::{SimplifyOptions, simplify};

use crate::export::ai4i_dropouts;
use crate::export::st_eval::{self, Value};
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
            "VAR_INPUT" | "VAR_OUTPUT" | "VAR" => inside = true,
            "END_VAR" => inside = false,
            _ if inside && !code.is_empty() => {
                let (name, ty) = code.trim_end_matches(';').split_once(':').expect("name : type");
                out.push((name.trim().to_owned(), ty.trim().to_ascii_uppercase()));
            }
            _ => {}
        }
    }
    out
}

fn upper_types(decls: &[(String, String)]) -> BTreeMap<String, String> {
    decls.iter().map(|(n, t)| (n.to_ascii_uppercase(), t.clone())).collect()
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

/// An `.scl` file in the generic dialect, after checking its bytes and skeleton.
fn scl_to_st(text: &str) -> String {
    let s = vendor_bytes("scl", text);
    let lines: Vec<&str> = s.lines().collect();
    let name =
        lines[0].strip_prefix("FUNCTION_BLOCK \"").and_then(|l| l.strip_suffix('"')).expect("FUNCTION_BLOCK \"…\"");
    assert!(is_valid_identifier(name), "{name}");
    assert_eq!(lines[1], "{ S7_Optimized_Access := 'TRUE' }");
    assert_eq!(lines[2], "VERSION : 0.1");
    let begin = lines.iter().position(|l| *l == "BEGIN").expect("BEGIN");
    let end = lines.iter().position(|l| *l == "END_FUNCTION_BLOCK").expect("END_FUNCTION_BLOCK");
    assert_eq!(end, lines.len() - 1, "text after END_FUNCTION_BLOCK");
    let mut decl = format!("FUNCTION_BLOCK {name}\n");
    for line in &lines[3..begin] {
        let code = line.split("//").next().unwrap_or("").trim();
        if line.trim_start().starts_with("//") {
            assert!(!line.starts_with(' '), "header comments start the line: {line}");
        }
        if code.is_empty() {
            continue;
        }
        if matches!(code, "VAR_INPUT" | "VAR_OUTPUT" | "VAR" | "END_VAR") {
            decl.push_str(code);
        } else {
            let (v, ty) = code.trim_end_matches(';').split_once(':').expect("member : type");
            let ty = ty.trim();
            assert!(
                ["Real", "LReal", "Int", "Bool", "DWord"].contains(&ty),
                "TIA spells types as it exports them: {ty}"
            );
            decl.push_str(&format!("    {} : {};", v.trim(), ty.to_ascii_uppercase()));
        }
        decl.push('\n');
    }
    let declared: BTreeSet<String> = declarations(&decl).into_iter().map(|(n, _)| n.to_ascii_uppercase()).collect();
    let body = lines[begin + 1..end].join("\n");
    assert!(!body.contains("(*"), "SCL comments are //");
    format!("{decl}\n{}\nEND_FUNCTION_BLOCK\n", scl_body_to_generic(&body, &declared))
}

// ---- TwinCAT ---------------------------------------------------------------------------------

fn element<'a, 'i>(node: roxmltree::Node<'a, 'i>, tag: &str) -> roxmltree::Node<'a, 'i> {
    node.children()
        .find(|n| n.has_tag_name(tag))
        .unwrap_or_else(|| panic!("<{}> has no <{tag}>", node.tag_name().name()))
}

/// A `.TcPOU` file in the generic dialect, after checking its bytes and the shape TwinCAT
/// reads.
fn tcpou_to_st(text: &str) -> String {
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

// ---- Studio 5000 -----------------------------------------------------------------------------

/// Logix ST in the generic dialect: each untyped literal takes the type of the variable it meets
/// (`x <= 61.65` with `x : REAL` reads `REAL#61.65`), base-16 and `0` constants next to a mask
/// read as `DWORD`. A typed literal (`REAL#…`) is refused: Logix is not known to accept them.
fn logix_to_generic(st: &str, types: &BTreeMap<String, String>) -> String {
    let c: Vec<char> = st.chars().collect();
    let mut out = String::new();
    let mut context: Option<&str> = None;
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
            if c[i] == ';' {
                context = None;
            }
            out.push(c[i]);
            i += 1;
        }
    }
    out
}

/// An `.L5X` file in the generic dialect, after checking its bytes and the shape Studio 5000
/// imports.
fn l5x_to_st(text: &str) -> String {
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
    let aoi = element(element(controller, "AddOnInstructionDefinitions"), "AddOnInstructionDefinition");
    assert_eq!(attr(aoi, "Use"), "Target");
    let name = attr(aoi, "Name");
    assert_eq!(attr(root, "TargetName"), name);
    assert_eq!(attr(aoi, "SoftwareRevision"), "v32.02");
    assert_eq!((attr(aoi, "EditedDate"), attr(aoi, "CreatedDate")), (edited.clone(), edited));
    let order: Vec<&str> = aoi.children().filter(roxmltree::Node::is_element).map(|n| n.tag_name().name()).collect();
    assert_eq!(order, ["Description", "Parameters", "LocalTags", "Routines"]);
    let mut names = vec![name.clone()];
    let logix_to_st = |ty: &str| match ty {
        "REAL" | "INT" | "BOOL" => ty.to_owned(),
        "DINT" => "DWORD".to_owned(),
        other => panic!("data type {other}: Logix blocks use REAL, INT, BOOL and DINT"),
    };
    let params: Vec<_> = element(aoi, "Parameters").children().filter(roxmltree::Node::is_element).collect();
    assert_eq!(
        params.iter().take(2).map(|p| (attr(*p, "Name"), attr(*p, "Usage"), attr(*p, "Visible"))).collect::<Vec<_>>(),
        [("EnableIn".into(), "Input".into(), "false".into()), ("EnableOut".into(), "Output".into(), "false".into())]
    );
    let mut inputs = String::from("VAR_INPUT\n");
    let mut outputs = String::from("VAR_OUTPUT\n");
    for p in &params[2..] {
        let (n, ty) = (attr(*p, "Name"), attr(*p, "DataType"));
        let default = p.children().find(|d| d.attribute("Format") == Some("Decorated")).expect("decorated default");
        assert_eq!(element(default, "DataValue").attribute("DataType"), Some(ty.as_str()));
        let line = format!("    {n} : {};\n", logix_to_st(&ty));
        match attr(*p, "Usage").as_str() {
            "Input" => inputs.push_str(&line),
            "Output" => outputs.push_str(&line),
            u => panic!("usage {u}"),
        }
        names.push(n);
    }
    let mut locals = String::from("VAR\n");
    let tags: Vec<_> = element(aoi, "LocalTags").children().filter(roxmltree::Node::is_element).collect();
    assert!(params.len() + tags.len() <= 512, "an AOI holds at most 512 parameters and local tags");
    for tag in tags {
        assert_eq!(attr(tag, "ExternalAccess"), "None");
        let n = attr(tag, "Name");
        locals.push_str(&format!("    {n} : {};\n", logix_to_st(&attr(tag, "DataType"))));
        names.push(n);
    }
    // Names: at most 40 characters, IEC rules, unique ignoring case, none an AOI's own.
    let unique: BTreeSet<String> = names.iter().map(|n| n.to_ascii_uppercase()).collect();
    assert_eq!(unique.len(), names.len(), "{names:?}");
    assert!(!unique.contains("ENABLEIN") && !unique.contains("ENABLEOUT"));
    for n in &names {
        assert!(n.len() <= 40 && is_valid_identifier(n), "'{n}' is not a Logix name");
    }
    for d in doc.descendants().filter(|n| n.has_tag_name("Description")) {
        assert!(d.text().unwrap_or("").chars().count() <= 512);
    }
    let routine = element(element(aoi, "Routines"), "Routine");
    assert_eq!((attr(routine, "Name"), attr(routine, "Type")), ("Logic".into(), "ST".into()));
    let mut st = String::new();
    for (k, line) in element(routine, "STContent").children().filter(roxmltree::Node::is_element).enumerate() {
        assert!(line.has_tag_name("Line"));
        assert_eq!(attr(line, "Number"), k.to_string(), "lines are numbered from 0");
        st.push_str(line.text().unwrap_or("").trim_matches('\n'));
        st.push('\n');
    }
    let decl = format!("FUNCTION_BLOCK {name}\n{inputs}END_VAR\n{outputs}END_VAR\n{locals}END_VAR\n");
    let types = upper_types(&declarations(&decl));
    format!("{decl}\n{}END_FUNCTION_BLOCK\n", logix_to_generic(&st, &types))
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
