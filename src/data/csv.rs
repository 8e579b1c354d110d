//! Delimited text files: sniffing the dialect, decoding, checking the shape, reading the cells.
//!
//! The file is decoded to UTF-8 first (encoding_rs; detection by BOM, UTF-8 validity and
//! chardetng), then scanned once to find every record and check that each has as many fields as
//! the header — so a ragged row is reported by its line number. The records are then split into
//! fields by `csv-core` (quotes and doubled quotes as RFC 4180), in blocks of rows on all cores,
//! and every cell goes straight to [`super::typing`], which reads numbers into the column's
//! values as it goes. No column of strings is built, so a numeric file needs about its own size
//! plus its values in memory; only the columns that turn out to hold text are read a second
//! time, for their levels.

// Byte offsets come from scanning the same buffer (memchr hits, the `pos < text.len()` loop
// guard, a BOM checked with `starts_with`), so every slice stays inside it; name indices run
// over 0..names.len().
#![allow(clippy::indexing_slicing)]

use std::borrow::Cow;
use std::path::Path;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::typing::{Cell, ColumnContext, Tally, finish_column};
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
    /// Byte offset of data records 0, `BLOCK_ROWS`, 2·`BLOCK_ROWS`, …
    block_starts: Vec<usize>,
}

/// Data records parsed together on one thread.
const BLOCK_ROWS: usize = 16_384;

/// Finds every record, checks each has the header's number of fields, and stops after
/// `limit` data records. Blank lines (only spaces and line ends) are skipped.
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
    let mut block_starts = Vec::new();
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
        let (end, fields, newlines, trouble) = if quoted {
            record_quoted(text, pos, opts)
        } else {
            let (end, fields, newlines) = record_plain(text, pos, opts);
            (end, fields, newlines, QuoteTrouble::None)
        };
        let q = char::from(opts.quote.unwrap_or(b'"'));
        match trouble {
            QuoteTrouble::None => {}
            QuoteTrouble::Unclosed => {
                return Err(Error::data(
                    format!("a quote ({q}) that opens a cell here is never closed"),
                    Location::file(path).with_row(format!("line {line}")),
                ));
            }
            QuoteTrouble::AfterClosingQuote(at) => {
                let line_of_it = line + u32::try_from(memchr::memchr_iter(b'\n', &text[pos..at]).count()).unwrap_or(0);
                let what: String = String::from_utf8_lossy(&text[at..(at + 12).min(end)])
                    .chars()
                    .take_while(|c| *c != '\n' && *c != '\r')
                    .collect();
                return Err(Error::data(
                    format!(
                        "text ('{what}') follows the closing quote of a cell; a quoted cell must end at \
                         the delimiter. Quote the whole cell and double any quote inside it ({q}{q})"
                    ),
                    Location::file(path).with_row(format!("line {line_of_it}")),
                ));
            }
        }
        let record = &text[pos..end];
        let blank = is_blank(record);
        line += newlines;
        let record_start = pos;
        pos = end;
        if blank {
            continue;
        }
        if header.is_none() && n_fields == 0 {
            n_fields = fields;
            if opts.has_header {
                let raw = String::from_utf8_lossy(record);
                let raw = raw.trim_end_matches(['\n', '\r']);
                header = Some(split_record(raw, opts.delimiter, opts.quote));
                continue;
            }
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
        if lines.len() % BLOCK_ROWS == 0 {
            block_starts.push(record_start);
        }
        lines.push(start_line);
    }
    Ok(Scan { header, n_fields, lines, block_starts })
}

/// A record of only spaces and line ends, which the scan and the parser both skip.
fn is_blank(record: &[u8]) -> bool {
    record.iter().all(|b| matches!(b, b'\r' | b'\n' | b' '))
}

/// How a data row is found in the file: "line 18" (its first line), or "row 18" past the scan.
fn line_label(lines: &[u32], row: usize) -> String {
    lines.get(row).map_or_else(|| format!("row {}", row + 1), |l| format!("line {l}"))
}

/// End of the record starting at `pos` (after its newline), its field count and newline count,
/// for text without quotes.
fn record_plain(text: &[u8], pos: usize, opts: &CsvOptions) -> (usize, usize, u32) {
    let end = memchr::memchr(b'\n', &text[pos..]).map_or(text.len(), |i| pos + i + 1);
    let fields = 1 + memchr::memchr_iter(opts.delimiter, &text[pos..end]).count();
    (end, fields, 1)
}

/// How a record with quotes ended, besides where.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum QuoteTrouble {
    None,
    /// Text follows a closing quote at this byte offset (`"Early"x`).
    AfterClosingQuote(usize),
    /// The text ends inside a quoted cell.
    Unclosed,
}

/// The same for text with quotes, read as RFC 4180 and `csv-core` read it: a cell that starts
/// with a quote runs to the next lone quote, delimiters and newlines inside it count for nothing
/// and a doubled quote is one quote; a quote inside an unquoted cell is an ordinary character.
/// Text between a closing quote and the next delimiter is reported, as it means the quoting is
/// broken (and `csv-core` would silently glue it on).
fn record_quoted(text: &[u8], pos: usize, opts: &CsvOptions) -> (usize, usize, u32, QuoteTrouble) {
    #[derive(Clone, Copy)]
    enum State {
        FieldStart,
        Unquoted,
        Quoted,
        /// Just after a quote inside a quoted cell: a second quote, or the cell's end.
        QuoteInQuoted,
    }
    let q = opts.quote.unwrap_or(b'"');
    let mut state = State::FieldStart;
    let mut fields = 1;
    let mut newlines = 0;
    let mut trouble = QuoteTrouble::None;
    let mut i = pos;
    while let Some(&b) = text.get(i) {
        i += 1;
        if b == b'\n' {
            newlines += 1;
            if !matches!(state, State::Quoted) {
                return (i, fields, newlines, trouble);
            }
            continue;
        }
        state = match state {
            State::FieldStart | State::Unquoted if b == opts.delimiter => {
                fields += 1;
                State::FieldStart
            }
            // An opening quote, or the second of a doubled quote inside a quoted cell.
            State::FieldStart | State::QuoteInQuoted if b == q => State::Quoted,
            State::FieldStart | State::Unquoted => State::Unquoted,
            State::Quoted if b == q => State::QuoteInQuoted,
            State::Quoted => State::Quoted,
            State::QuoteInQuoted if b == opts.delimiter => {
                fields += 1;
                State::FieldStart
            }
            State::QuoteInQuoted => {
                if b != b'\r' && trouble == QuoteTrouble::None {
                    trouble = QuoteTrouble::AfterClosingQuote(i - 1);
                }
                State::QuoteInQuoted
            }
        };
    }
    if matches!(state, State::Quoted) {
        trouble = QuoteTrouble::Unclosed;
    }
    (i, fields, newlines.max(1), trouble)
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
    let Scan { lines, block_starts, n_fields, .. } = scan;
    let reading = Reading { text: &text, opts, block_starts: &block_starts, n_rows, n_fields, lines: &lines, path };

    // The first block tells which columns hold text: their cells are kept as text while
    // parsing, for their levels; any other column that turns out to hold text is read again.
    let keep_text: Vec<bool> = {
        let mut scratch: Vec<Vec<f64>> = (0..n_fields).map(|_| vec![0.0; BLOCK_ROWS.min(n_rows)]).collect();
        let mut outputs: Vec<&mut [f64]> = scratch.iter_mut().map(Vec::as_mut_slice).collect();
        let (tallies, _) = reading.parse_block(0, &mut outputs, &vec![false; n_fields])?;
        tallies.iter().map(Tally::looks_textual).collect()
    };

    // Every block of rows fills its part of each column and keeps a tally per column.
    // Zeros come from the allocator already cleared; every row is written by its block.
    let mut values: Vec<Vec<f64>> = (0..n_fields).map(|_| vec![0.0; n_rows]).collect();
    let mut block_outputs: Vec<Vec<&mut [f64]>> =
        (0..block_starts.len()).map(|_| Vec::with_capacity(n_fields)).collect();
    for column in &mut values {
        for (out, chunk) in block_outputs.iter_mut().zip(column.chunks_mut(BLOCK_ROWS)) {
            out.push(chunk);
        }
    }
    let parsing = progress.sub(0.25, 0.8);
    let done = std::sync::atomic::AtomicUsize::new(0);
    let n_blocks = block_outputs.len();
    let blocks = block_outputs
        .into_par_iter()
        .enumerate()
        .map(|(b, mut outputs)| {
            parsing.check()?;
            let parsed = reading.parse_block(b, &mut outputs, &keep_text)?;
            parsing.set_count(done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1, n_blocks);
            Ok(parsed)
        })
        .collect::<Result<Vec<(Vec<Tally>, Vec<Option<Texts>>)>>>()?;
    let mut merged: Vec<Tally> = vec![Tally::default(); n_fields];
    let mut kept: Vec<Vec<Texts>> = (0..n_fields).map(|_| Vec::new()).collect();
    for (tallies, texts) in blocks {
        for (total, t) in merged.iter_mut().zip(tallies) {
            total.merge(t);
        }
        for (column, t) in kept.iter_mut().zip(texts) {
            column.extend(t);
        }
    }

    // A column that turned out to hold text after the first block is read again now, so the
    // file's text can go before the columns are built.
    for (j, (tally, kept)) in merged.iter().zip(&mut kept).enumerate() {
        if tally.looks_textual() && kept.is_empty() {
            kept.push(reading.column_texts(j));
        }
    }
    drop(text);

    progress.set(0.8);
    progress.set_stage("typing columns");
    let row_label = |r: usize| line_label(&lines, r);
    let decimal_comma = opts.decimal_comma;
    let built: Vec<(Column, Vec<String>)> = merged
        .into_par_iter()
        .zip(values.into_par_iter())
        .zip(kept.into_par_iter())
        .zip(names.par_iter())
        .map(|(((tally, values), kept), name)| {
            let ctx = ColumnContext { name, decimal_comma, row_label: &row_label };
            // Numeric columns never ask for their cells again; text columns have them kept.
            finish_column(&ctx, tally, values, || kept.iter().flat_map(Texts::cells))
        })
        .collect();
    let mut columns = Vec::with_capacity(n_fields);
    for (column, w) in built {
        warnings.extend(w);
        columns.push(column);
    }
    let mut ds = Dataset::new(file_name(path), columns)?;
    ds.warnings = warnings;
    Ok(ds)
}

/// The decoded text of a file with the records the scan found, split into fields by `csv-core`.
struct Reading<'a> {
    text: &'a [u8],
    opts: &'a CsvOptions,
    block_starts: &'a [usize],
    n_rows: usize,
    n_fields: usize,
    lines: &'a [u32],
    path: &'a Path,
}

impl Reading<'_> {
    fn reader(&self) -> csv_core::Reader {
        csv_core::ReaderBuilder::new()
            .delimiter(self.opts.delimiter)
            .quoting(self.opts.quote.is_some())
            .quote(self.opts.quote.unwrap_or(b'"'))
            .double_quote(true)
            // Lines end at '\n' as the scan counts them; a '\r' before it is trimmed with the cell.
            .terminator(csv_core::Terminator::Any(b'\n'))
            .build()
    }

    /// Calls `each(row, record)` for the data records of block `b` (all of them when `b` is
    /// `None`).
    fn for_each_record(&self, b: Option<usize>, mut each: impl FnMut(usize, Record<'_>) -> Result<()>) -> Result<()> {
        let (first_row, rows, mut pos) = match b {
            Some(b) => {
                let first = b * BLOCK_ROWS;
                (first, BLOCK_ROWS.min(self.n_rows.saturating_sub(first)), self.block_starts[b])
            }
            None => (0, self.n_rows, self.block_starts.first().copied().unwrap_or(self.text.len())),
        };
        let mut reader = self.reader();
        let mut out = vec![0u8; 4096];
        let mut ends = vec![0usize; self.n_fields + 1];
        let mut row = 0;
        while row < rows && pos < self.text.len() {
            let (consumed, n_ends) = read_record(&mut reader, &self.text[pos..], &mut out, &mut ends);
            let raw = &self.text[pos..pos + consumed];
            pos += consumed;
            if consumed == 0 {
                break;
            }
            if is_blank(raw) {
                continue;
            }
            let at = first_row + row;
            if n_ends != self.n_fields {
                return Err(Error::data(
                    format!("this row has {n_ends} fields where the header has {}; check the quoting", self.n_fields),
                    Location::file(self.path).with_row(line_label(self.lines, at)),
                ));
            }
            each(at, Record { out: &out, ends: &ends[..n_ends] })?;
            row += 1;
        }
        if row < rows {
            return Err(Error::in_file(
                format!("found {} data rows but read {}; check the quoting", self.n_rows, first_row + row),
                self.path,
            ));
        }
        Ok(())
    }

    /// Reads block `b` into `outputs` (this block's part of each column) and tallies each column;
    /// the cells of the columns marked in `keep_text` are also kept as text.
    fn parse_block(
        &self,
        b: usize,
        outputs: &mut [&mut [f64]],
        keep_text: &[bool],
    ) -> Result<(Vec<Tally>, Vec<Option<Texts>>)> {
        let mut tallies = vec![Tally::default(); self.n_fields];
        let mut texts: Vec<Option<Texts>> = keep_text.iter().map(|&k| k.then(Texts::default)).collect();
        let first_row = b * BLOCK_ROWS;
        let decimal_comma = self.opts.decimal_comma;
        self.for_each_record(Some(b), |row, record| {
            for (((field, tally), out), kept) in
                record.fields().zip(&mut tallies).zip(outputs.iter_mut()).zip(&mut texts)
            {
                let cell = if field.is_empty() { Cell::Missing } else { Cell::Text(field) };
                if let Some(slot) = out.get_mut(row - first_row) {
                    *slot = tally.read(row, cell, decimal_comma);
                }
                if let Some(kept) = kept {
                    kept.push(field);
                }
            }
            Ok(())
        })?;
        Ok((tallies, texts))
    }

    /// Every cell of column `j`, read again.
    fn column_texts(&self, j: usize) -> Texts {
        let mut texts = Texts::default();
        // The first pass read these same records, so this one cannot fail.
        let _ = self.for_each_record(None, |_, record| {
            texts.push(record.fields().nth(j).unwrap_or_default());
            Ok(())
        });
        texts
    }
}

/// The cells of one column (or of one block of it) as text: one buffer, and for each row where
/// its text ends (an empty cell is missing).
#[derive(Debug, Default)]
struct Texts {
    buffer: String,
    /// Offsets into `buffer`. Files are at most 1 GiB, and decoding to UTF-8 at most triples
    /// that, so a column's text stays below 4 GiB.
    ends: Vec<u32>,
}

impl Texts {
    fn push(&mut self, field: &str) {
        self.buffer.push_str(field);
        self.ends.push(u32::try_from(self.buffer.len()).unwrap_or(u32::MAX));
    }

    fn cells(&self) -> impl Iterator<Item = Cell<'_>> {
        self.ends.iter().scan(0usize, move |start, &end| {
            let end = end as usize;
            let text = self.buffer.get(*start..end).unwrap_or_default();
            *start = end;
            Some(if text.is_empty() { Cell::Missing } else { Cell::Text(text) })
        })
    }
}

/// One record's unescaped fields: the bytes, and where each field ends in them.
#[derive(Clone, Copy)]
struct Record<'r> {
    out: &'r [u8],
    ends: &'r [usize],
}

impl<'r> Record<'r> {
    fn fields(self) -> impl Iterator<Item = &'r str> {
        // The text was valid UTF-8 and only ASCII quotes are taken out of it, so the record is
        // valid UTF-8 too, and its fields end at ASCII delimiters, on character boundaries.
        let used = self.ends.last().copied().unwrap_or(0);
        let record = std::str::from_utf8(self.out.get(..used).unwrap_or_default()).unwrap_or_default();
        self.ends.iter().scan(0usize, move |start, &end| {
            let field = record.get(*start..end).unwrap_or_default();
            *start = end;
            Some(field)
        })
    }
}

/// Reads one record from `input` with `csv-core`, growing the buffers as needed: the bytes it
/// took (0 at the end of the input) and the number of fields (`ends` holds where each ends in
/// `out`).
fn read_record(
    reader: &mut csv_core::Reader,
    input: &[u8],
    out: &mut Vec<u8>,
    ends: &mut Vec<usize>,
) -> (usize, usize) {
    use csv_core::ReadRecordResult;
    let (mut taken, mut written, mut n_ends) = (0, 0, 0);
    loop {
        let (result, nin, nout, nend) = reader.read_record(&input[taken..], &mut out[written..], &mut ends[n_ends..]);
        taken += nin;
        written += nout;
        n_ends += nend;
        match result {
            ReadRecordResult::InputEmpty => {}
            ReadRecordResult::OutputFull => out.resize(out.len() * 2, 0),
            ReadRecordResult::OutputEndsFull => ends.resize(ends.len() * 2, 0),
            ReadRecordResult::Record | ReadRecordResult::End => return (taken, n_ends),
        }
    }
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
    use crate::data::ColumnKind;
    use std::fmt::Write as _;

    fn read(text: &str) -> Result<Dataset> {
        let opts = sniff_csv(text.as_bytes());
        read_csv(text.as_bytes().to_vec(), &opts, None, Path::new("t.csv"), &Progress::new())
    }

    #[test]
    fn quoted_cells_read_as_rfc_4180_says() {
        let text = "Part,Note,Width [mm]\r\n\
                    A,\"plain, with comma\",1.5\r\n\
                    \r\n\
                    B,12\" pipe,2\r\n\
                    C,\"say \"\"hi\"\"\",3\r\n\
                    D,\"two\nlines\",4\r\n\
                    E,,5";
        let ds = read(text).expect("reads");
        assert_eq!(ds.n_rows(), 5);
        let note = ds.column("Note").expect("column");
        let shown: Vec<String> = (0..5).map(|r| note.display_value(r)).collect();
        assert_eq!(shown, ["plain, with comma", "12\" pipe", "say \"hi\"", "two\nlines", ""]);
        let width = ds.column("Width [mm]").expect("column");
        assert_eq!(width.values, [1.5, 2.0, 3.0, 4.0, 5.0]);
        assert_eq!(width.kind, ColumnKind::Float);
    }

    #[test]
    fn broken_quoting_is_reported_by_line() {
        let err = read("a,b\n1,\"x\"y\n2,z\n").expect_err("broken");
        assert!(err.to_string().contains("line 2") && err.to_string().contains("closing quote"), "{err}");
        let err = read("a,b\n1,x\n2,\"open\n3,y\n").expect_err("unclosed");
        assert!(err.to_string().contains("line 3") && err.to_string().contains("never closed"), "{err}");
    }

    #[test]
    fn many_blocks_keep_row_order_and_report_the_right_line() {
        let mut text = String::from("id,value,flag\n");
        for i in 0..(2 * BLOCK_ROWS + 17) {
            let flag = if i == BLOCK_ROWS + 5 { "oops" } else { "1" };
            let _ = writeln!(text, "{i},{}.25,{flag}", i * 3);
        }
        let ds = read(&text).expect("reads");
        assert_eq!(ds.n_rows(), 2 * BLOCK_ROWS + 17);
        let value = ds.column("value").expect("column");
        assert!(value.values.iter().enumerate().all(|(i, &v)| v == (i * 3) as f64 + 0.25));
        assert!(ds.column("flag").expect("column").values[BLOCK_ROWS + 5].is_nan());
        let line = BLOCK_ROWS + 5 + 2;
        assert!(ds.warnings.iter().any(|w| w.contains(&format!("line {line} 'oops'"))), "{:?}", ds.warnings);
    }

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
