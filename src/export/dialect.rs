//! What the vendor formats ([`scl`](super::scl), [`tcpou`](super::tcpou), [`l5x`](super::l5x))
//! share: the generic body read as a stream of pieces so that a dialect can rewrite variable
//! references, literals and comments without touching anything else; identifiers fitted to a
//! tool's length limit and reserved words; and the bytes the vendor tools themselves write
//! (a UTF-8 byte-order mark, CR LF line ends; see `docs/plc-targets.md`, sections 4 to 6 and 8).
//!
//! Every dialect starts from the one block [`pou::build`](super::pou::build) makes, so every
//! target computes the same thing: only the spelling changes.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};

use super::ident::is_valid_identifier;
use super::pou::{Constant, Pou, Var};
use crate::error::{Error, Result};

/// The UTF-8 byte-order mark TIA Portal, TwinCAT and Studio 5000 put at the start of the files
/// they export (`docs/plc-targets.md`, sections 4 to 6).
pub const BOM: char = '\u{FEFF}';

/// `text` with every line ending in CR LF (a lone LF becomes CR LF, an existing CR LF stays).
pub fn crlf(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 24);
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            out.push_str("\r\n");
        }
        out.push_str(line.strip_suffix('\r').unwrap_or(line));
    }
    out
}

/// One piece of the generic Structured Text body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Piece<'a> {
    /// A `(* … *)` comment: the text between the delimiters.
    Comment(&'a str),
    /// A name: a variable or a keyword.
    Word(&'a str),
    /// A typed literal, split at its first `#`: `REAL#-1.5` is (`REAL`, `-1.5`),
    /// `DWORD#16#0000000F` is (`DWORD`, `16#0000000F`).
    Typed(&'a str, &'a str),
    /// Anything else, as it stands: white space, operators, punctuation, integer literals.
    Other(&'a str),
}

/// The pieces of `src`, in order; joined, they give `src` back.
pub fn pieces(src: &str) -> Vec<Piece<'_>> {
    fn flush<'a>(out: &mut Vec<Piece<'a>>, src: &'a str, from: usize, to: usize) {
        if let Some(s) = src.get(from..to)
            && !s.is_empty()
        {
            out.push(Piece::Other(s));
        }
    }
    let b = src.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    let mut other = 0;
    while let Some(&c) = b.get(i) {
        if c == b'(' && b.get(i + 1) == Some(&b'*') {
            flush(&mut out, src, other, i);
            let end = src.get(i + 2..).and_then(|rest| rest.find("*)")).map_or(src.len(), |e| i + 2 + e);
            out.push(Piece::Comment(src.get(i + 2..end).unwrap_or("")));
            i = (end + 2).min(src.len());
            other = i;
        } else if c.is_ascii_alphabetic() || c == b'_' {
            flush(&mut out, src, other, i);
            let start = i;
            while b.get(i).is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_') {
                i += 1;
            }
            if b.get(i) == Some(&b'#') {
                let value = i + 1;
                i = value;
                if b.get(i) == Some(&b'-') {
                    i += 1;
                }
                // Digits, letters (hex digits, the exponent mark), points and the `#` of a based
                // integer; a sign only straight after an exponent mark.
                while let Some(&d) = b.get(i) {
                    let sign_ok = (d == b'+' || d == b'-') && matches!(b.get(i - 1), Some(b'E' | b'e'));
                    if d.is_ascii_alphanumeric() || d == b'.' || d == b'#' || sign_ok {
                        i += 1;
                    } else {
                        break;
                    }
                }
                out.push(Piece::Typed(src.get(start..value - 1).unwrap_or(""), src.get(value..i).unwrap_or("")));
            } else {
                out.push(Piece::Word(src.get(start..i).unwrap_or("")));
            }
            other = i;
        } else {
            // One whole character (comments aside, the body is ASCII; stay on char boundaries
            // all the same).
            i += src.get(i..).and_then(|s| s.chars().next()).map_or(1, char::len_utf8);
        }
    }
    flush(&mut out, src, other, src.len());
    out
}

/// `src` with each piece replaced by what `f` makes of it.
pub fn rewrite<'a>(src: &'a str, mut f: impl FnMut(Piece<'a>) -> Cow<'a, str>) -> String {
    let mut out = String::with_capacity(src.len() + src.len() / 8);
    for p in pieces(src) {
        out.push_str(&f(p));
    }
    out
}

/// The text of a piece as it stands in the source.
pub fn original(p: Piece<'_>) -> Cow<'_, str> {
    match p {
        Piece::Comment(c) => Cow::Owned(format!("(*{c}*)")),
        Piece::Word(w) | Piece::Other(w) => Cow::Borrowed(w),
        Piece::Typed(t, v) => Cow::Owned(format!("{t}#{v}")),
    }
}

/// Every variable of the block, in declaration order: inputs, outputs, locals, constants.
pub fn variables(pou: &Pou) -> impl Iterator<Item = &Var> {
    pou.inputs.iter().chain(&pou.outputs).chain(&pou.locals).chain(pou.constants.iter().map(|c| &c.var))
}

/// The upper-case names of the block's variables (identifiers ignore case in every target).
pub fn declared(pou: &Pou) -> BTreeSet<String> {
    variables(pou).map(|v| v.name.to_ascii_uppercase()).collect()
}

/// The value of a `DWORD` literal's text after `DWORD#`: `16#0000000F` or a decimal `0`.
pub fn dword_value(text: &str) -> Option<u32> {
    match text.split_once('#') {
        Some(("16", hex)) => u32::from_str_radix(&hex.replace('_', ""), 16).ok(),
        Some(_) => None,
        None => text.parse().ok(),
    }
}

/// The bounds and element type of an array type `ARRAY[low..high] OF T`, as the generic block
/// and the test bench declare them; `None` for any other type.
pub fn array_type(ty: &str) -> Option<(i64, i64, &str)> {
    let rest = ty.strip_prefix("ARRAY[")?;
    let (range, rest) = rest.split_once(']')?;
    let (low, high) = range.split_once("..")?;
    let element = rest.trim().strip_prefix("OF ")?.trim();
    Some((low.trim().parse().ok()?, high.trim().parse().ok()?, element))
}

/// A generic literal read back: what an initial value or an array element holds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Lit {
    /// `REAL#…` (the `f32` widened) or `LREAL#…`.
    Real(f64),
    /// A whole number (`INT`, `DINT`).
    Int(i64),
    /// `TRUE` or `FALSE`.
    Bool(bool),
    /// `DWORD#…`.
    Dword(u32),
}

/// The value of a generic literal: `REAL#1.5`, `LREAL#…`, `DWORD#16#0000000F`, `TRUE`, `-3`.
pub fn literal(text: &str) -> Option<Lit> {
    let t = text.trim();
    if t.eq_ignore_ascii_case("TRUE") {
        return Some(Lit::Bool(true));
    }
    if t.eq_ignore_ascii_case("FALSE") {
        return Some(Lit::Bool(false));
    }
    match t.split_once('#') {
        Some((ty, v)) if ty.eq_ignore_ascii_case("REAL") => v.parse::<f32>().ok().map(|x| Lit::Real(f64::from(x))),
        Some((ty, v)) if ty.eq_ignore_ascii_case("LREAL") => v.parse::<f64>().ok().map(Lit::Real),
        Some((ty, v)) if ty.eq_ignore_ascii_case("DWORD") => dword_value(v).map(Lit::Dword),
        Some(_) => None,
        None => t.parse().ok().map(Lit::Int),
    }
}

/// True when `name` is one a tool with these limits accepts: a Glassbox identifier (see
/// [`is_valid_identifier`]) of at most `max_len` characters, not one of `reserved` (any case).
fn fits(name: &str, max_len: usize, reserved: &[&str]) -> bool {
    is_valid_identifier(name) && name.len() <= max_len && !reserved.iter().any(|r| r.eq_ignore_ascii_case(name))
}

/// A name for `name` that fits the limits and is not in `taken` (upper case): its start,
/// shortened, then `_2`, `_3`, … until it is free; a local copy keeps its `_used` ending.
fn shorten(name: &str, max_len: usize, reserved: &[&str], taken: &BTreeSet<String>) -> Result<String> {
    let (stem, suffix) = match name.strip_suffix("_used") {
        Some(stem) if !stem.is_empty() => (stem, "_used"),
        _ => (name, ""),
    };
    for n in 1..10_000usize {
        let tail = if n == 1 { suffix.to_owned() } else { format!("_{n}{suffix}") };
        let room = max_len.saturating_sub(tail.len());
        let start: String = stem.chars().take(room).collect();
        let candidate = format!("{}{tail}", start.trim_end_matches('_'));
        if fits(&candidate, max_len, reserved) && !taken.contains(&candidate.to_ascii_uppercase()) {
            return Ok(candidate);
        }
    }
    Err(Error::invalid(format!("no identifier of at most {max_len} characters is free for '{name}'")))
}

/// The block with every identifier that a tool with these limits would refuse renamed: longer
/// than `max_len`, or equal (ignoring case) to one of `reserved`. Declarations, the body (outside
/// comments) and the header's opening `name:` change together; the original feature names stay
/// in the comments. A block name the user gave (`name_given`) is never changed: one that does
/// not fit is an error naming the limit. Returns the renamed block and the pairs (old, new).
///
/// # Errors
/// A given block name that does not fit.
pub fn fit_identifiers(
    pou: &Pou,
    max_len: usize,
    reserved: &[&str],
    name_given: bool,
    tool: &str,
) -> Result<(Pou, Vec<(String, String)>)> {
    let all: Vec<&str> = std::iter::once(pou.name.as_str()).chain(variables(pou).map(|v| v.name.as_str())).collect();
    let mut taken: BTreeSet<String> =
        all.iter().filter(|n| fits(n, max_len, reserved)).map(|n| n.to_ascii_uppercase()).collect();
    let mut renamed = Vec::new();
    let mut map = BTreeMap::new();
    for (k, name) in all.iter().enumerate() {
        if fits(name, max_len, reserved) {
            continue;
        }
        if k == 0 && name_given {
            return Err(Error::invalid(format!(
                "'{name}' cannot name the block in {tool}: names there have at most {max_len} characters and \
                 cannot be {}; choose a shorter name",
                reserved.join(", ")
            )));
        }
        let new = shorten(name, max_len, reserved, &taken)?;
        taken.insert(new.to_ascii_uppercase());
        map.insert(name.to_ascii_uppercase(), new.clone());
        renamed.push(((*name).to_owned(), new));
    }
    if renamed.is_empty() {
        return Ok((pou.clone(), renamed));
    }
    let rename = |s: &str| map.get(&s.to_ascii_uppercase()).cloned().unwrap_or_else(|| s.to_owned());
    let vars = |vs: &[Var]| -> Vec<Var> { vs.iter().map(|v| Var { name: rename(&v.name), ..v.clone() }).collect() };
    let body = rewrite(&pou.body, |p| match p {
        Piece::Word(w) => match map.get(&w.to_ascii_uppercase()) {
            Some(new) => Cow::Owned(new.clone()),
            None => Cow::Borrowed(w),
        },
        p => original(p),
    });
    let name = rename(&pou.name);
    let mut header = pou.header.clone();
    if let Some(first) = header.first_mut()
        && let Some(rest) = first.strip_prefix(&format!("{}:", pou.name))
    {
        *first = format!("{name}:{rest}");
    }
    let out = Pou {
        name,
        header,
        inputs: vars(&pou.inputs),
        outputs: vars(&pou.outputs),
        locals: vars(&pou.locals),
        constants: pou
            .constants
            .iter()
            .map(|c| Constant { var: Var { name: rename(&c.var.name), ..c.var.clone() }, values: c.values.clone() })
            .collect(),
        body,
        date: pou.date.clone(),
        notes: pou.notes.clone(),
    };
    Ok((out, renamed))
}

/// A note listing renamed identifiers, for the user.
pub fn renamed_note(renamed: &[(String, String)], tool: &str, why: &str) -> Option<String> {
    if renamed.is_empty() {
        return None;
    }
    let list: Vec<String> = renamed.iter().take(8).map(|(a, b)| format!("{a} → {b}")).collect();
    Some(format!(
        "{} names were changed for {tool} ({why}): {}{}",
        renamed.len(),
        list.join(", "),
        if renamed.len() > 8 { ", …" } else { "" }
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pieces_give_the_source_back_and_split_literals() {
        let src = "(* a (x) *)\nIF Torque_Nm <> Torque_Nm THEN\n    m := m OR DWORD#16#0000000F;\n    \
                   x := REAL#-4.5E-7; y := LREAL#1.0E+20; k := -1; (* 温度 *)\nEND_IF;\n";
        let p = pieces(src);
        let back: String = p.iter().map(|p| original(*p)).collect();
        assert_eq!(back, src);
        assert!(p.contains(&Piece::Comment(" a (x) ")));
        assert!(p.contains(&Piece::Typed("DWORD", "16#0000000F")));
        assert!(p.contains(&Piece::Typed("REAL", "-4.5E-7")));
        assert!(p.contains(&Piece::Typed("LREAL", "1.0E+20")));
        assert!(p.contains(&Piece::Word("Torque_Nm")));
        assert!(p.contains(&Piece::Comment(" 温度 ")));
        assert_eq!(dword_value("16#0000000F"), Some(15));
        assert_eq!(dword_value("0"), Some(0));
    }

    #[test]
    fn array_types_and_literals_read_back() {
        assert_eq!(array_type("ARRAY[1..57] OF INT"), Some((1, 57, "INT")));
        assert_eq!(array_type("ARRAY[0..3] OF REAL"), Some((0, 3, "REAL")));
        assert_eq!(array_type("REAL"), None);
        assert_eq!(literal("REAL#0.1"), Some(Lit::Real(f64::from(0.1f32))));
        assert_eq!(literal("LREAL#0.1"), Some(Lit::Real(0.1)));
        assert_eq!(literal("DWORD#16#80000000"), Some(Lit::Dword(0x8000_0000)));
        assert_eq!((literal("TRUE"), literal("-2")), (Some(Lit::Bool(true)), Some(Lit::Int(-2))));
        assert_eq!(literal("TIME#5s"), None);
    }

    #[test]
    fn crlf_ends_every_line_once() {
        assert_eq!(crlf("a\nb\r\nc\n"), "a\r\nb\r\nc\r\n");
        assert_eq!(crlf("x"), "x");
    }

    #[test]
    fn long_and_reserved_names_are_fitted_and_stay_unique() {
        let var = |n: &str| Var { name: n.into(), ty: "REAL".into(), comment: String::new() };
        let long = "Very_long_sensor_name_from_a_plant_historian_tag";
        let pou = Pou {
            name: "FB_X".into(),
            header: vec!["FB_X: predicts".into()],
            inputs: vec![var(long), var(&format!("{long}_2")), var("EnableIn")],
            outputs: vec![var("Prediction")],
            locals: vec![var(&format!("{long}_used"))],
            constants: Vec::new(),
            body: format!("(* {long} *)\n{long}_used := {long};\nPrediction := EnableIn;\n"),
            date: None,
            notes: Vec::new(),
        };
        let (fitted, renamed) = fit_identifiers(&pou, 40, &["EnableIn", "EnableOut"], false, "Logix").expect("fits");
        assert_eq!(renamed.len(), 4);
        let names: Vec<&str> = variables(&fitted).map(|v| v.name.as_str()).collect();
        assert!(names.iter().all(|n| n.len() <= 40 && is_valid_identifier(n)), "{names:?}");
        let unique: BTreeSet<String> = names.iter().map(|n| n.to_ascii_uppercase()).collect();
        assert_eq!(unique.len(), names.len());
        // Inputs, the output, then the local copy (which keeps its `_used` ending).
        assert!(names[4].ends_with("_used") && names[2] == "EnableIn_2", "{names:?}");
        // The comment keeps the original; code uses the new names.
        assert!(fitted.body.starts_with(&format!("(* {long} *)\n{} := {};", names[4], names[0])), "{}", fitted.body);
        let block = "FB_a_name_far_longer_than_forty_characters_x";
        let given = Pou { name: block.into(), header: vec![format!("{block}: predicts")], ..pou };
        assert!(fit_identifiers(&given, 40, &[], true, "Logix").is_err());
        let (f, _) = fit_identifiers(&given, 40, &[], false, "Logix").expect("fits");
        assert!(f.name.len() <= 40 && f.header[0].starts_with(&format!("{}:", f.name)));
    }
}
