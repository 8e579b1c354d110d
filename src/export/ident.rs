//! IEC 61131-3 identifiers and comments from arbitrary names.
//!
//! Feature names come from column headers: `Air temperature [K]`, `Drehzahl (1/min)`, `温度`,
//! `IF`, `2nd stage`, `a;b`, `x (* y *)`. Each becomes an identifier that every IEC 61131-3
//! compiler accepts — a letter first, then letters, digits and single underscores, no trailing
//! underscore, not a keyword, standard type or standard function name (IEC identifiers ignore
//! case, so neither does the check) — unique among the others and readable: units stay
//! (`Torque_Nm`), common accented letters are spelled out (`Drehzahl_1_per_min`,
//! `Temperatur_Oel` for `Temperatur Öl`), and a name with nothing left becomes `Input_3`.
//!
//! The original name goes into a comment through [`comment_text`], which breaks up every
//! sequence that could end or open a comment (`*)`, `(*`, `/*`, `*/`) or a CDATA section (`]]>`)
//! and drops control and bidirectional-override characters, so no name can inject code.

/// Longest identifier written (several PLC families limit identifier length).
pub const MAX_IDENTIFIER_LEN: usize = 56;

/// Longest cleaned name kept before prefixes and numbering.
const MAX_CLEAN_LEN: usize = 40;

/// Keywords, elementary types, standard functions and function blocks of IEC 61131-3 (3rd
/// edition), the instruction-list operators, and the extensions of the common ST dialects
/// (CODESYS, TwinCAT). A name equal to one of these, ignoring case, is not used as is.
pub const RESERVED: &[&str] = &[
    "ABS",
    "ABSTRACT",
    "ACOS",
    "ACTION",
    "ADD",
    "ADR",
    "ADRINST",
    "AND",
    "AND_THEN",
    "ANDN",
    "ANY",
    "ANY_BIT",
    "ANY_CHAR",
    "ANY_CHARS",
    "ANY_DATE",
    "ANY_DERIVED",
    "ANY_DURATION",
    "ANY_ELEMENTARY",
    "ANY_INT",
    "ANY_MAGNITUDE",
    "ANY_NUM",
    "ANY_REAL",
    "ANY_SIGNED",
    "ANY_STRING",
    "ANY_UNSIGNED",
    "ARRAY",
    "AS",
    "ASIN",
    "AT",
    "ATAN",
    "ATAN2",
    "BIT",
    "BITADR",
    "BOOL",
    "BY",
    "BYTE",
    "CAL",
    "CALC",
    "CALCN",
    "CASE",
    "CHAR",
    "CLASS",
    "CONCAT",
    "CONFIGURATION",
    "CONSTANT",
    "CONTINUE",
    "COS",
    "CTD",
    "CTU",
    "CTUD",
    "D",
    "DATE",
    "DATE_AND_TIME",
    "DELETE",
    "DINT",
    "DIV",
    "DO",
    "DT",
    "DWORD",
    "ELSE",
    "ELSIF",
    "EN",
    "END",
    "END_ACTION",
    "END_CASE",
    "END_CLASS",
    "END_CONFIGURATION",
    "END_FOR",
    "END_FUNCTION",
    "END_FUNCTION_BLOCK",
    "END_IF",
    "END_INTERFACE",
    "END_METHOD",
    "END_NAMESPACE",
    "END_PROGRAM",
    "END_PROPERTY",
    "END_REPEAT",
    "END_RESOURCE",
    "END_STEP",
    "END_STRUCT",
    "END_TRANSITION",
    "END_TYPE",
    "END_UNION",
    "END_VAR",
    "END_WHILE",
    "ENO",
    "EQ",
    "EXIT",
    "EXP",
    "EXPT",
    "EXTENDS",
    "F_EDGE",
    "F_TRIG",
    "FALSE",
    "FINAL",
    "FIND",
    "FOR",
    "FROM",
    "FUNCTION",
    "FUNCTION_BLOCK",
    "GE",
    "GT",
    "IF",
    "IMPLEMENTS",
    "INI",
    "INITIAL_STEP",
    "INSERT",
    "INT",
    "INTERFACE",
    "INTERNAL",
    "INTERVAL",
    "JMP",
    "JMPC",
    "JMPCN",
    "LD",
    "LDATE",
    "LDATE_AND_TIME",
    "LDN",
    "LDT",
    "LE",
    "LEFT",
    "LEN",
    "LIMIT",
    "LINT",
    "LN",
    "LOG",
    "LREAL",
    "LT",
    "LTIME",
    "LTIME_OF_DAY",
    "LTOD",
    "LWORD",
    "MAX",
    "METHOD",
    "MID",
    "MIN",
    "MOD",
    "MOVE",
    "MUL",
    "MUX",
    "NAMESPACE",
    "NE",
    "NON_RETAIN",
    "NOT",
    "NULL",
    "OF",
    "ON",
    "OR",
    "OR_ELSE",
    "ORN",
    "OVERLAP",
    "OVERRIDE",
    "POINTER",
    "PRIORITY",
    "PRIVATE",
    "PROGRAM",
    "PROPERTY",
    "PROTECTED",
    "PUBLIC",
    "R",
    "R_EDGE",
    "R_TRIG",
    "READ_ONLY",
    "READ_WRITE",
    "REAL",
    "REF",
    "REF_TO",
    "REFERENCE",
    "REPEAT",
    "REPLACE",
    "RESOURCE",
    "RET",
    "RETAIN",
    "RETC",
    "RETCN",
    "RETURN",
    "RIGHT",
    "ROL",
    "ROR",
    "RS",
    "S",
    "SEL",
    "SHL",
    "SHR",
    "SIN",
    "SINGLE",
    "SINT",
    "SIZEOF",
    "SQRT",
    "SR",
    "ST",
    "STEP",
    "STN",
    "STRING",
    "STRUCT",
    "SUB",
    "SUPER",
    "T",
    "TAN",
    "TASK",
    "THEN",
    "THIS",
    "TIME",
    "TIME_OF_DAY",
    "TO",
    "TOD",
    "TOF",
    "TON",
    "TP",
    "TRANSITION",
    "TRUE",
    "TRUNC",
    "TYPE",
    "UDINT",
    "UINT",
    "ULINT",
    "UNION",
    "UNTIL",
    "USINT",
    "USING",
    "VAR",
    "VAR_ACCESS",
    "VAR_CONFIG",
    "VAR_EXTERNAL",
    "VAR_GLOBAL",
    "VAR_IN_OUT",
    "VAR_INPUT",
    "VAR_INST",
    "VAR_OUTPUT",
    "VAR_STAT",
    "VAR_TEMP",
    "WCHAR",
    "WHILE",
    "WITH",
    "WORD",
    "WSTRING",
    "XOR",
    "XORN",
];

/// Elementary type names, for the `TYPE_TO_TYPE` conversion functions.
const TYPES: &[&str] = &[
    "BOOL",
    "BYTE",
    "WORD",
    "DWORD",
    "LWORD",
    "SINT",
    "INT",
    "DINT",
    "LINT",
    "USINT",
    "UINT",
    "UDINT",
    "ULINT",
    "REAL",
    "LREAL",
    "TIME",
    "LTIME",
    "DATE",
    "LDATE",
    "TOD",
    "LTOD",
    "DT",
    "LDT",
    "STRING",
    "WSTRING",
    "CHAR",
    "WCHAR",
    "TIME_OF_DAY",
    "DATE_AND_TIME",
    "BCD",
];

/// True when `name` (any case) is reserved: a keyword, a standard name, or a conversion
/// function such as `REAL_TO_INT` or `TRUNC_INT`.
pub fn is_reserved(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    if RESERVED.contains(&upper.as_str()) {
        return true;
    }
    if let Some((a, b)) = upper.split_once("_TO_") {
        return (TYPES.contains(&a) || a == "ANY") && TYPES.contains(&b);
    }
    upper.strip_prefix("TRUNC_").is_some_and(|t| TYPES.contains(&t))
}

/// True when `s` is an identifier Glassbox writes: an ASCII letter first, then letters and
/// digits in groups joined by single underscores, not reserved, not too long.
pub fn is_valid_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic());
    first_ok
        && s.len() <= MAX_IDENTIFIER_LEN
        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !s.contains("__")
        && !s.ends_with('_')
        && !is_reserved(s)
}

/// How a character reads in an identifier: itself, a spelled-out form, a separator (`None`).
fn transliterate(c: char) -> Option<&'static str> {
    Some(match c {
        'ä' | 'æ' => "ae",
        'Ä' | 'Æ' => "Ae",
        'ö' | 'œ' => "oe",
        'Ö' | 'Œ' => "Oe",
        'ü' => "ue",
        'Ü' => "Ue",
        'ß' => "ss",
        'à' | 'á' | 'â' | 'ã' | 'å' | 'ā' | 'ą' | 'ă' => "a",
        'À' | 'Á' | 'Â' | 'Ã' | 'Å' | 'Ā' | 'Ą' | 'Ă' => "A",
        'ç' | 'ć' | 'č' => "c",
        'Ç' | 'Ć' | 'Č' => "C",
        'ď' | 'đ' => "d",
        'Ď' | 'Đ' => "D",
        'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ę' | 'ě' => "e",
        'È' | 'É' | 'Ê' | 'Ë' | 'Ē' | 'Ę' | 'Ě' => "E",
        'ğ' => "g",
        'Ğ' => "G",
        'ì' | 'í' | 'î' | 'ï' | 'ī' | 'ı' => "i",
        'Ì' | 'Í' | 'Î' | 'Ï' | 'Ī' | 'İ' => "I",
        'ł' | 'ľ' => "l",
        'Ł' | 'Ľ' => "L",
        'ñ' | 'ń' | 'ň' => "n",
        'Ñ' | 'Ń' | 'Ň' => "N",
        'ò' | 'ó' | 'ô' | 'õ' | 'ø' | 'ō' | 'ő' => "o",
        'Ò' | 'Ó' | 'Ô' | 'Õ' | 'Ø' | 'Ō' | 'Ő' => "O",
        'ř' => "r",
        'Ř' => "R",
        'ś' | 'š' | 'ş' => "s",
        'Ś' | 'Š' | 'Ş' => "S",
        'ť' | 'ţ' => "t",
        'Ť' | 'Ţ' => "T",
        'ù' | 'ú' | 'û' | 'ū' | 'ů' | 'ű' | 'µ' | 'μ' => "u",
        'Ù' | 'Ú' | 'Û' | 'Ū' | 'Ů' | 'Ű' => "U",
        'ý' | 'ÿ' => "y",
        'Ý' | 'Ÿ' => "Y",
        'ź' | 'ż' | 'ž' => "z",
        'Ź' | 'Ż' | 'Ž' => "Z",
        'Ω' => "Ohm",
        '°' => "deg",
        '%' => "pct",
        '‰' => "permille",
        '²' => "2",
        '³' => "3",
        _ => return None,
    })
}

/// The readable part of a name in identifier characters (may be empty), and whether letters
/// were lost on the way (a script the transliteration does not cover).
fn clean(name: &str) -> (String, bool) {
    let mut out = String::new();
    let mut lost = false;
    let mut sep = false;
    let push = |out: &mut String, sep: &mut bool, piece: &str| {
        if *sep && !out.is_empty() {
            out.push('_');
        }
        *sep = false;
        out.push_str(piece);
    };
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            let mut b = [0u8; 4];
            push(&mut out, &mut sep, c.encode_utf8(&mut b));
        } else if c == '/' {
            // `1/min` reads as `1_per_min`.
            sep = true;
            push(&mut out, &mut sep, "per");
            sep = true;
        } else if let Some(t) = transliterate(c) {
            push(&mut out, &mut sep, t);
        } else {
            lost |= c.is_alphabetic();
            sep = true;
        }
    }
    let mut s = out.trim_matches('_').to_owned();
    if s.len() > MAX_CLEAN_LEN {
        // Leave room for a prefix and a numbering suffix (the text is ASCII here).
        s.truncate(MAX_CLEAN_LEN);
        s = s.trim_end_matches('_').to_owned();
    }
    (s, lost)
}

/// The identifier for one name, before uniqueness (`position` is 1-based, for `Input_N`).
fn base_identifier(name: &str, position: usize) -> String {
    let (s, lost) = clean(name);
    let s = if s.is_empty() {
        format!("Input_{position}")
    } else if lost {
        format!("Input_{position}_{s}")
    } else {
        s
    };
    if s.starts_with(|c: char| c.is_ascii_digit()) || is_reserved(&s) { format!("F_{s}") } else { s }
}

/// Valid, unique identifiers for `names`, in order. `taken` holds identifiers already in use
/// (outputs, locals, the block's own name); none of the results equals one of them, ignoring
/// case. A name keeps its cleaned form when that is free, else gets `_2`, `_3`, ….
pub fn identifiers(names: &[&str], taken: &[&str]) -> Vec<String> {
    let mut used: std::collections::BTreeSet<String> = taken.iter().map(|t| t.to_ascii_uppercase()).collect();
    let mut out = Vec::with_capacity(names.len());
    for (i, name) in names.iter().enumerate() {
        let base = base_identifier(name, i + 1);
        let mut candidate = base.clone();
        let mut n = 2usize;
        while used.contains(&candidate.to_ascii_uppercase()) || !is_valid_identifier(&candidate) {
            candidate = format!("{base}_{n}");
            if !is_valid_identifier(&candidate) {
                candidate = format!("Input_{}_{n}", i + 1);
            }
            n += 1;
        }
        used.insert(candidate.to_ascii_uppercase());
        out.push(candidate);
    }
    out
}

/// One identifier from a name (a suggestion for a block name, for example).
pub fn identifier(name: &str) -> String {
    identifiers(&[name], &[]).pop().unwrap_or_else(|| "Input_1".to_owned())
}

/// Text that is safe inside an ST block comment, an XML CDATA section and XML text: every
/// `(*`, `*)`, `/*` and `*/` gets a space in the middle, `]]>` becomes `]] >`, and control
/// characters, bidirectional overrides and characters XML forbids become spaces. What is left
/// reads as the original.
pub fn comment_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        let c = if is_unsafe_char(c) { ' ' } else { c };
        let last = out.chars().next_back();
        let breaks = match (last, c) {
            (Some('(' | '/'), '*') | (Some('*'), ')' | '/') => true,
            (Some(']'), '>') => out.ends_with("]]"),
            _ => false,
        };
        if breaks {
            out.push(' ');
        }
        out.push(c);
    }
    out
}

/// Control characters, the Unicode bidirectional controls (which can make code read otherwise
/// than it compiles), and the non-characters XML 1.0 does not allow.
fn is_unsafe_char(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
        || matches!(c, '\u{2028}' | '\u{2029}' | '\u{FFFE}' | '\u{FFFF}')
}

/// Escapes text for XML content and attribute values.
pub fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if is_unsafe_char(c) => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plant_names_become_readable_identifiers() {
        let names = [
            "Air temperature [K]",
            "Drehzahl (1/min)",
            "温度",
            "温度 [°C]",
            "IF",
            "end",
            "REAL",
            "2nd stage pressure",
            "a;b",
            "x (* y *)",
            "Torque [Nm]",
            "Torque (Nm)",
            "Temperatur Öl",
            "Valid",
            "real_to_int",
        ];
        let ids = identifiers(&names, &["Prediction", "Confidence", "Valid"]);
        assert_eq!(
            ids,
            [
                "Air_temperature_K",
                "Drehzahl_1_per_min",
                "Input_3",
                "Input_4_degC",
                "F_IF",
                "F_end",
                "F_REAL",
                "F_2nd_stage_pressure",
                "a_b",
                "x_y",
                "Torque_Nm",
                "Torque_Nm_2",
                "Temperatur_Oel",
                "Valid_2",
                "F_real_to_int",
            ]
        );
        assert!(ids.iter().all(|i| is_valid_identifier(i)));
    }

    #[test]
    fn comments_cannot_be_closed_or_opened_from_inside() {
        assert_eq!(comment_text("x (* y *) z"), "x ( * y * ) z");
        assert_eq!(comment_text("a*)b"), "a* )b");
        assert_eq!(comment_text("(*)"), "( * )");
        assert_eq!(comment_text("]]>"), "]] >");
        assert_eq!(comment_text("a\nb\u{202E}c"), "a b c");
        assert_eq!(comment_text("温度 [°C]"), "温度 [°C]");
    }
}
