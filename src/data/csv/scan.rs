//! The record scan: one pass over the decoded text that finds where every record starts and
//! checks that it has the header's number of fields, so a ragged row or broken quoting is
//! reported by its line before any cell is parsed.

// Byte offsets come from scanning the same buffer (memchr hits, the `pos < text.len()` loop
// guard, a BOM checked with `starts_with`), so every slice stays inside it.
#![allow(clippy::indexing_slicing)]

use std::path::Path;

use super::CsvOptions;
use super::dialect::split_record;
use crate::error::{Error, Location, Result};
use crate::progress::Progress;

/// Records found by [`scan`]: the header fields and, for every data record, the line it
/// starts on.
pub(super) struct Scan {
    pub(super) header: Option<Vec<String>>,
    pub(super) n_fields: usize,
    /// 1-based line number of each data record.
    pub(super) lines: Vec<u32>,
    /// Byte offset of data records 0, `BLOCK_ROWS`, 2·`BLOCK_ROWS`, …
    pub(super) block_starts: Vec<usize>,
}

/// Data records parsed together on one thread.
pub(super) const BLOCK_ROWS: usize = 16_384;

/// Finds every record, checks each has the header's number of fields, and stops after
/// `limit` data records. Blank lines (only spaces and line ends) are skipped.
pub(super) fn scan(
    text: &[u8],
    opts: &CsvOptions,
    limit: Option<usize>,
    path: &Path,
    progress: &Progress,
) -> Result<Scan> {
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
pub(super) fn is_blank(record: &[u8]) -> bool {
    record.iter().all(|b| matches!(b, b'\r' | b'\n' | b' '))
}

/// How a data row is found in the file: "line 18" (its first line), or "row 18" past the scan.
pub(super) fn line_label(lines: &[u32], row: usize) -> String {
    lines.get(row).map_or_else(|| format!("row {}", row + 1), |l| format!("line {l}"))
}

/// End of the record starting at `pos` (after its newline), its field count and newline count,
/// for text without quotes.
pub(super) fn record_plain(text: &[u8], pos: usize, opts: &CsvOptions) -> (usize, usize, u32) {
    let end = memchr::memchr(b'\n', &text[pos..]).map_or(text.len(), |i| pos + i + 1);
    let fields = 1 + memchr::memchr_iter(opts.delimiter, &text[pos..end]).count();
    (end, fields, 1)
}

/// How a record with quotes ended, besides where.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum QuoteTrouble {
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
pub(super) fn record_quoted(text: &[u8], pos: usize, opts: &CsvOptions) -> (usize, usize, u32, QuoteTrouble) {
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
