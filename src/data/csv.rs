//! Delimited text files: sniffing the dialect, decoding, checking the shape, reading with polars.
//!
//! The file is decoded to UTF-8 first (encoding_rs; detection by BOM, UTF-8 validity and
//! chardetng), then scanned once to find every record and check that each has as many fields as
//! the header — so a ragged row is reported by its line number — and then parsed by polars as
//! text columns, which [`super::typing`] turns into typed columns with row-accurate messages.

// Byte offsets come from scanning the same buffer (memchr hits, the `pos < text.len()` loop
// guard, a BOM checked with `starts_with`), so every slice stays inside it; name indices run
// over 0..names.len().
#![allow(clippy::indexing_slicing)]

use std::borrow::Cow;
use std::io::Cursor;
use std::path::Path;

use polars::prelude::{CsvParseOptions, CsvReadOptions, DataType, Field, PlSmallStr, Schema, SerReader as _};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::typing::{Cell, ColumnContext, build_column};
use super::{Column, Dataset};
use crate::error::{Error, Location, Result};
use crate::progress::Progress;

/// Character encodings a plant file may come in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum TextEncoding {
    /// UTF-8, with or without a byte-order mark.
    #[default]
    Utf8,
    /// Windows-1252, the superset of Latin-1 that Western European Windows PCs write.
    Windows1252,
    /// ISO-8859-15 (Latin-9).
    Latin9,
    /// GBK, the Chinese Windows code page (read as its superset GB18030).
    Gbk,
    /// Shift_JIS, the Japanese Windows code page.
    ShiftJis,
    /// UTF-16, little-endian (Excel's "Unicode text").
    Utf16Le,
    /// UTF-16, big-endian.
    Utf16Be,
}

impl TextEncoding {
    /// Every encoding, in the order the import dialog lists them.
    pub const ALL: [Self; 7] =
        [Self::Utf8, Self::Windows1252, Self::Latin9, Self::Gbk, Self::ShiftJis, Self::Utf16Le, Self::Utf16Be];

    /// The name people know.
    pub fn label(self) -> &'static str {
        match self {
            Self::Utf8 => "UTF-8",
            Self::Windows1252 => "Windows-1252 / Latin-1",
            Self::Latin9 => "ISO-8859-15",
            Self::Gbk => "GBK",
            Self::ShiftJis => "Shift_JIS",
            Self::Utf16Le => "UTF-16 LE",
            Self::Utf16Be => "UTF-16 BE",
        }
    }

    fn encoding(self) -> &'static encoding_rs::Encoding {
        match self {
            Self::Utf8 => encoding_rs::UTF_8,
            Self::Windows1252 => encoding_rs::WINDOWS_1252,
            Self::Latin9 => encoding_rs::ISO_8859_15,
            Self::Gbk => encoding_rs::GB18030,
            Self::ShiftJis => encoding_rs::SHIFT_JIS,
            Self::Utf16Le => encoding_rs::UTF_16LE,
            Self::Utf16Be => encoding_rs::UTF_16BE,
        }
    }

    fn from_encoding(e: &'static encoding_rs::Encoding) -> Self {
        if e == encoding_rs::GBK || e == encoding_rs::GB18030 {
            Self::Gbk
        } else if e == encoding_rs::SHIFT_JIS || e == encoding_rs::EUC_JP {
            Self::ShiftJis
        } else if e == encoding_rs::ISO_8859_15 {
            Self::Latin9
        } else if e == encoding_rs::UTF_8 {
            Self::Utf8
        } else {
            // Every other single-byte guess is closest to what Western plant PCs write.
            Self::Windows1252
        }
    }
}

/// How to read a delimited text file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct CsvOptions {
    /// Field separator: `,`, `;`, tab, `|`.
    pub delimiter: u8,
    /// Quote character, usually `"`; `None` when fields are never quoted.
    pub quote: Option<u8>,
    /// Whether `1,5` means one and a half.
    pub decimal_comma: bool,
    /// Whether the first record names the columns.
    pub has_header: bool,
    /// Character encoding.
    pub encoding: TextEncoding,
    /// Lines to skip before the header (title lines some loggers write).
    pub skip_lines: usize,
}

impl Default for CsvOptions {
    fn default() -> Self {
        Self {
            delimiter: b',',
            quote: Some(b'"'),
            decimal_comma: false,
            has_header: true,
            encoding: TextEncoding::Utf8,
            skip_lines: 0,
        }
    }
}

/// Guesses how to read a delimited text file from its first bytes.
pub fn sniff_csv(head: &[u8]) -> CsvOptions {
    let encoding = detect_encoding(head);
    let text = decode_lossy(head, encoding);
    // Drop a last line that may be cut off.
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).take(200).collect();
    let complete = if lines.len() > 2 { &lines[..lines.len() - 1] } else { &lines[..] };

    let delimiter = [b',', b';', b'\t', b'|']
        .into_iter()
        .map(|d| (d, consistency(complete, d)))
        .max_by(|a, b| a.1.partial_cmp(&b.1).unwrap_or(std::cmp::Ordering::Equal))
        .filter(|(_, score)| *score > 0.0)
        .map_or(b',', |(d, _)| d);

    let fields: Vec<Vec<String>> = complete.iter().map(|l| split_record(l, delimiter, Some(b'"'))).collect();
    let body = fields.get(1..).unwrap_or_default();
    let decimal_comma = delimiter != b',' && {
        let (comma, dot) = body.iter().flatten().fold((0, 0), |(c, d), f| {
            let f = f.trim();
            let numeric = !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit() || b"+-.,eE".contains(&b));
            (c + usize::from(numeric && f.contains(',')), d + usize::from(numeric && f.contains('.')))
        });
        comma > dot
    };
    let has_header = match (fields.first(), fields.get(1)) {
        (Some(first), Some(second)) => {
            let numeric = |s: &str| super::typing::parse_number(s, decimal_comma).is_some();
            // A header has a text where the data below has a number, or is all text.
            first.iter().zip(second).any(|(a, b)| !numeric(a) && numeric(b)) || first.iter().all(|a| !numeric(a))
        }
        _ => true,
    };
    CsvOptions { delimiter, quote: Some(b'"'), decimal_comma, has_header, encoding, skip_lines: 0 }
}

/// How regularly `d` splits the lines: the share of lines whose field count equals the most
/// common count, weighted by that count being more than one.
fn consistency(lines: &[&str], d: u8) -> f64 {
    if lines.is_empty() {
        return 0.0;
    }
    let counts: Vec<usize> = lines.iter().map(|l| split_record(l, d, Some(b'"')).len()).collect();
    let mut freq = std::collections::BTreeMap::new();
    for &c in &counts {
        *freq.entry(c).or_insert(0usize) += 1;
    }
    let Some((&mode, &n)) = freq.iter().max_by_key(|(c, n)| (**n, **c)) else { return 0.0 };
    if mode < 2 {
        return 0.0;
    }
    #[allow(clippy::cast_precision_loss)]
    let share = n as f64 / lines.len() as f64;
    #[allow(clippy::cast_precision_loss)]
    let width = (mode as f64).ln();
    share * (1.0 + width)
}

fn detect_encoding(bytes: &[u8]) -> TextEncoding {
    if bytes.starts_with(&[0xEF, 0xBB, 0xBF]) {
        return TextEncoding::Utf8;
    }
    if bytes.starts_with(&[0xFF, 0xFE]) {
        return TextEncoding::Utf16Le;
    }
    if bytes.starts_with(&[0xFE, 0xFF]) {
        return TextEncoding::Utf16Be;
    }
    match std::str::from_utf8(bytes) {
        Ok(_) => TextEncoding::Utf8,
        // A multi-byte character cut at the end of the sample is still UTF-8.
        Err(e) if e.error_len().is_none() => TextEncoding::Utf8,
        Err(_) => {
            let mut detector = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
            detector.feed(bytes, false);
            TextEncoding::from_encoding(detector.guess(None, chardetng::Utf8Detection::Deny))
        }
    }
}

fn decode_lossy(bytes: &[u8], encoding: TextEncoding) -> Cow<'_, str> {
    encoding.encoding().decode_with_bom_removal(bytes).0
}

/// Splits one line into fields (quotes removed, doubled quotes unescaped); for sniffing and
/// headers, not for the bulk of the file.
pub fn split_record(line: &str, delimiter: u8, quote: Option<u8>) -> Vec<String> {
    let d = char::from(delimiter);
    let q = quote.map(char::from);
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut in_quotes = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        if Some(c) == q {
            if in_quotes && chars.peek().copied() == q {
                field.push(c);
                chars.next();
            } else {
                in_quotes = !in_quotes;
            }
        } else if c == d && !in_quotes {
            fields.push(std::mem::take(&mut field));
        } else if c != '\r' || in_quotes {
            field.push(c);
        }
    }
    fields.push(field);
    fields
}

/// Decodes file bytes to UTF-8 text per `encoding`, refusing binary content.
fn decode(bytes: Vec<u8>, encoding: TextEncoding, path: &Path) -> Result<(Vec<u8>, Option<String>)> {
    if encoding == TextEncoding::Utf8 {
        let start = if bytes.starts_with(&[0xEF, 0xBB, 0xBF]) { 3 } else { 0 };
        check_not_binary(&bytes[start..], path)?;
        return match std::str::from_utf8(&bytes[start..]) {
            Ok(_) if start == 0 => Ok((bytes, None)),
            Ok(_) => Ok((bytes[start..].to_vec(), None)),
            Err(e) => {
                let at = start + e.valid_up_to();
                let line = 1 + memchr::memchr_iter(b'\n', &bytes[..at]).count();
                let guess = detect_encoding(&bytes);
                let (text, _, _) = guess.encoding().decode(&bytes);
                let note = format!(
                    "the file is not valid UTF-8 (first bad byte on line {line}); it was read as {}. \
                     Choose another encoding in the import dialog if characters look wrong",
                    guess.label()
                );
                if guess == TextEncoding::Utf8 {
                    return Err(Error::data(
                        "the file is not valid UTF-8 text; choose its encoding in the import dialog",
                        Location::file(path).with_row(format!("line {line}")),
                    ));
                }
                Ok((text.into_owned().into_bytes(), Some(note)))
            }
        };
    }
    if !matches!(encoding, TextEncoding::Utf16Le | TextEncoding::Utf16Be) {
        check_not_binary(&bytes, path)?;
    }
    let (text, _, had_errors) = encoding.encoding().decode(&bytes);
    let note =
        had_errors.then(|| format!("some bytes are not valid {}; they were replaced by '\u{FFFD}'", encoding.label()));
    Ok((text.into_owned().into_bytes(), note))
}

/// Text files have no NUL bytes and few control characters; anything else is refused before it
/// turns into a screen of garbage.
fn check_not_binary(bytes: &[u8], path: &Path) -> Result<()> {
    let head = &bytes[..bytes.len().min(64 * 1024)];
    let controls = head.iter().filter(|&&b| b < 0x09 || (0x0E..0x20).contains(&b)).count();
    if let Some(at) = head.iter().position(|&b| b == 0) {
        return Err(Error::in_file(
            format!(
                "this is not a text file: it holds binary data (a zero byte at offset {at}). \
                 If it is a spreadsheet or Parquet file, give it the .xlsx, .xls or .parquet extension"
            ),
            path,
        ));
    }
    if controls * 100 > head.len().max(1) {
        return Err(Error::in_file("this is not a text file: it holds binary control characters", path));
    }
    Ok(())
}

/// Records found by [`scan`]: the header fields and, for every data record, the line it
/// starts on.
struct Scan {
    header: Option<Vec<String>>,
    n_fields: usize,
    /// 1-based line number of each data record.
    lines: Vec<u32>,
    /// Byte offset where the data records begin.
    data_start: usize,
}

/// Finds every record, checks each has the header's number of fields, and stops after
/// `limit` data records. Blank lines are skipped, as polars skips them.
fn scan(text: &[u8], opts: &CsvOptions, limit: Option<usize>, path: &Path, progress: &Progress) -> Result<Scan> {
    let mut pos = 0usize;
    let mut line: u32 = 1;
    // Skip title lines.
    for _ in 0..opts.skip_lines {
        match memchr::memchr(b'\n', &text[pos..]) {
            Some(i) => {
                pos += i + 1;
                line += 1;
            }
            None => pos = text.len(),
        }
    }
    let quoted = opts.quote.is_some_and(|q| memchr::memchr(q, &text[pos..]).is_some());
    let mut header = None;
    let mut n_fields = 0usize;
    let mut lines = Vec::new();
    let mut data_start = pos;
    let total = text.len().max(1);
    let mut next_report = 0usize;
    while pos < text.len() {
        if limit.is_some_and(|l| lines.len() >= l) {
            break;
        }
        if pos >= next_report {
            progress.set_count(pos, total);
            progress.check()?;
            next_report = pos + (1 << 22);
        }
        let start_line = line;
        let (end, fields, newlines) =
            if quoted { record_quoted(text, pos, opts) } else { record_plain(text, pos, opts) };
        let record = &text[pos..end];
        let blank = record.iter().all(|b| matches!(b, b'\r' | b'\n' | b' '));
        line += newlines;
        let record_start = pos;
        pos = end;
        if blank {
            if header.is_none() && n_fields == 0 {
                data_start = pos;
            }
            continue;
        }
        if header.is_none() && n_fields == 0 {
            n_fields = fields;
            if opts.has_header {
                let raw = String::from_utf8_lossy(record);
                let raw = raw.trim_end_matches(['\n', '\r']);
                header = Some(split_record(raw, opts.delimiter, opts.quote));
                data_start = pos;
                continue;
            }
            data_start = record_start;
        }
        if fields != n_fields {
            let what = if opts.has_header { "the header has" } else { "the first row has" };
            return Err(Error::data(
                format!(
                    "this row has {fields} field{} where {what} {n_fields}; \
                     check the delimiter ('{}') and quoting, or fix the row",
                    if fields == 1 { "" } else { "s" },
                    char::from(opts.delimiter).escape_default()
                ),
                Location::file(path).with_row(format!("line {start_line}")),
            ));
        }
        lines.push(start_line);
    }
    if let Some(q) = opts.quote
        && quoted
        && unbalanced_quotes(text, data_start, q)
    {
        return Err(Error::in_file(
            format!("a quote ({}) opened near the end of the file is never closed", char::from(q)),
            path,
        ));
    }
    Ok(Scan { header, n_fields, lines, data_start })
}

fn unbalanced_quotes(text: &[u8], from: usize, q: u8) -> bool {
    memchr::memchr_iter(q, &text[from..]).count() % 2 == 1
}

/// End of the record starting at `pos` (after its newline), its field count and newline count,
/// for text without quotes.
fn record_plain(text: &[u8], pos: usize, opts: &CsvOptions) -> (usize, usize, u32) {
    let end = memchr::memchr(b'\n', &text[pos..]).map_or(text.len(), |i| pos + i + 1);
    let fields = 1 + memchr::memchr_iter(opts.delimiter, &text[pos..end]).count();
    (end, fields, 1)
}

/// The same for text with quotes: separators and newlines inside quotes do not count.
fn record_quoted(text: &[u8], pos: usize, opts: &CsvOptions) -> (usize, usize, u32) {
    let q = opts.quote.unwrap_or(b'"');
    let mut in_quotes = false;
    let mut fields = 1;
    let mut newlines = 0;
    let mut i = pos;
    while let Some(&b) = text.get(i) {
        i += 1;
        if b == q {
            in_quotes = !in_quotes;
        } else if b == b'\n' {
            newlines += 1;
            if !in_quotes {
                return (i, fields, newlines);
            }
        } else if b == opts.delimiter && !in_quotes {
            fields += 1;
        }
    }
    (i, fields, newlines.max(1))
}

/// Reads delimited text into a dataset. `limit` stops after that many data rows (previews).
pub(super) fn read_csv(
    bytes: Vec<u8>,
    opts: &CsvOptions,
    limit: Option<usize>,
    path: &Path,
    progress: &Progress,
) -> Result<Dataset> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(Error::in_file("the file is empty", path));
    }
    progress.set_stage("decoding");
    let (text, encoding_note) = decode(bytes, opts.encoding, path)?;
    progress.set_stage("checking rows");
    let scan = scan(&text, opts, limit, path, &progress.sub(0.0, 0.25))?;
    let n_rows = scan.lines.len();
    if n_rows == 0 {
        return Err(Error::in_file(
            if scan.header.is_some() { "the file has a header but no data rows" } else { "the file has no data rows" },
            path,
        ));
    }

    let mut warnings: Vec<String> = encoding_note.into_iter().collect();
    let names = column_names(scan.header.as_deref(), scan.n_fields, &mut warnings);

    progress.set_stage("parsing");
    progress.check()?;
    let schema: Schema =
        (0..scan.n_fields).map(|i| Field::new(PlSmallStr::from(format!("c{i}")), DataType::String)).collect();
    let data = text.get(scan.data_start..).unwrap_or_default();
    let parse = CsvParseOptions::default()
        .with_separator(opts.delimiter)
        .with_quote_char(opts.quote)
        .with_missing_is_null(true)
        .with_truncate_ragged_lines(false);
    let frame = CsvReadOptions::default()
        .with_has_header(false)
        .with_schema(Some(std::sync::Arc::new(schema)))
        .with_parse_options(parse)
        .with_n_rows(Some(n_rows))
        .with_rechunk(true)
        .into_reader_with_file_handle(Cursor::new(data))
        .finish()
        .map_err(|e| Error::in_file(format!("the file could not be parsed: {e}"), path))?;
    drop(text);
    if frame.height() != n_rows {
        return Err(Error::in_file(
            format!("found {} data rows but the parser read {}; check the quoting", n_rows, frame.height()),
            path,
        ));
    }
    progress.set(0.5);
    progress.set_stage("typing columns");

    let lines = scan.lines;
    let row_label = move |r: usize| lines.get(r).map_or_else(|| format!("row {}", r + 1), |l| format!("line {l}"));
    let decimal_comma = opts.decimal_comma;
    let done = std::sync::atomic::AtomicUsize::new(0);
    let n_columns = names.len();
    let typing = progress.sub(0.5, 1.0);
    let built: Vec<Result<(Column, Vec<String>)>> = frame
        .into_columns()
        .into_par_iter()
        .zip(names.par_iter())
        .map(|(series, name)| {
            typing.check()?;
            let strings = series
                .str()
                .map_err(|e| Error::in_file(format!("column '{name}' could not be read as text: {e}"), path))?;
            let ctx = ColumnContext { name, decimal_comma, row_label: &row_label };
            let out = build_column(&ctx, || strings.iter().map(|s| s.map_or(Cell::Missing, Cell::Text)));
            let d = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
            typing.set_count(d, n_columns);
            Ok(out)
        })
        .collect();
    let mut columns = Vec::with_capacity(n_columns);
    for b in built {
        let (column, w) = b?;
        warnings.extend(w);
        columns.push(column);
    }
    let mut ds = Dataset::new(file_name(path), columns)?;
    ds.warnings = warnings;
    Ok(ds)
}

/// Header names as written, with empty names filled in and duplicates told apart.
pub(super) fn column_names(header: Option<&[String]>, n: usize, warnings: &mut Vec<String>) -> Vec<String> {
    let mut names: Vec<String> = (0..n)
        .map(|i| {
            header.and_then(|h| h.get(i)).filter(|s| !s.trim().is_empty()).cloned().unwrap_or_else(|| {
                if header.is_some() {
                    warnings.push(format!("column {} has no name; it is called 'column {}'", i + 1, i + 1));
                }
                format!("column {}", i + 1)
            })
        })
        .collect();
    // Sets, and a next suffix per name, keep this linear: a header of thousands of equal names
    // (one logger channel repeated) took minutes when every candidate was searched for in the
    // whole list. A suffix passed over once stays taken, so the result is the same.
    let written: std::collections::HashSet<String> = names.iter().cloned().collect();
    let mut seen: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    let mut next_suffix: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for i in 0..names.len() {
        let name = names[i].clone();
        if let Some(&first) = seen.get(&name) {
            let k = next_suffix.entry(name.clone()).or_insert(2);
            let mut candidate = format!("{name} ({k})");
            while seen.contains_key(&candidate) || written.contains(&candidate) {
                *k += 1;
                candidate = format!("{name} ({k})");
            }
            *k += 1;
            warnings.push(format!(
                "columns {} and {} are both named '{name}'; column {} is called '{candidate}' here",
                first + 1,
                i + 1,
                i + 1
            ));
            names[i].clone_from(&candidate);
            seen.insert(candidate, i);
        } else {
            seen.insert(name, i);
        }
    }
    names
}

pub(super) fn file_name(path: &Path) -> String {
    path.file_name().map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_semicolon_and_decimal_comma() {
        let o = sniff_csv("Zeit;Temp [°C];Druck\n1;20,5;1,01\n2;21,0;1,02\n3;21,5;1,00\n".as_bytes());
        assert_eq!(o.delimiter, b';');
        assert!(o.decimal_comma);
        assert!(o.has_header);
    }

    #[test]
    fn sniffs_tabs_and_plain_commas() {
        assert_eq!(sniff_csv(b"a\tb\n1.5\t2\n3\t4\n").delimiter, b'\t');
        let o = sniff_csv(b"a,b,c\n1.5,2,3\n3,4,5\n");
        assert_eq!(o.delimiter, b',');
        assert!(!o.decimal_comma);
    }

    #[test]
    fn detects_headerless_files() {
        assert!(!sniff_csv(b"1,2,3\n4,5,6\n7,8,9\n").has_header);
    }

    #[test]
    fn detects_latin1() {
        let bytes = b"Temperatur,Gr\xf6\xdfe\n1,2\n3,4\n";
        assert_eq!(sniff_csv(bytes).encoding, TextEncoding::Windows1252);
    }

    #[test]
    fn split_handles_quotes() {
        assert_eq!(split_record(r#"a,"b,c","d""e""#, b',', Some(b'"')), ["a", "b,c", "d\"e"]);
    }

    #[test]
    fn duplicate_names_are_told_apart() {
        let mut w = Vec::new();
        let header = ["T".to_owned(), "T".to_owned(), String::new()];
        let names = column_names(Some(&header), 3, &mut w);
        assert_eq!(names, ["T", "T (2)", "column 3"]);
        assert_eq!(w.len(), 2);
    }

    #[test]
    fn duplicate_names_skip_names_the_file_uses_and_scale_to_wide_headers() {
        let header: Vec<String> = ["a", "a", "a (2)", "a", "a (3)"].map(String::from).into();
        let names = column_names(Some(&header), 5, &mut Vec::new());
        assert_eq!(names, ["a", "a (4)", "a (2)", "a (5)", "a (3)"]);
        // Found by fuzzing: thousands of equal names took minutes.
        let header = vec!["x".to_owned(); 20_000];
        let names = column_names(Some(&header), header.len(), &mut Vec::new());
        assert_eq!(names.iter().collect::<std::collections::HashSet<_>>().len(), 20_000);
        assert_eq!(names[19_999], "x (20000)");
    }
}
