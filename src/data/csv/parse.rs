//! The parallel parse: blocks of records split into fields by `csv-core` (RFC 4180 quoting) on
//! all cores, every cell handed straight to the column's typing, so no column of strings is
//! built.

// Record and field offsets come from `csv-core` over the same buffers, so every slice stays
// inside them.
#![allow(clippy::indexing_slicing)]

use std::path::Path;

use super::CsvOptions;
use super::scan::{BLOCK_ROWS, is_blank, line_label};
use crate::data::typing::{Cell, Tally};
use crate::error::{Error, Location, Result};

/// The decoded text of a file with the records the scan found, split into fields by `csv-core`.
pub(super) struct Reading<'a> {
    pub(super) text: &'a [u8],
    pub(super) opts: &'a CsvOptions,
    pub(super) block_starts: &'a [usize],
    pub(super) n_rows: usize,
    pub(super) n_fields: usize,
    pub(super) lines: &'a [u32],
    pub(super) path: &'a Path,
}

impl Reading<'_> {
    pub(super) fn reader(&self) -> csv_core::Reader {
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
    pub(super) fn for_each_record(
        &self,
        b: Option<usize>,
        mut each: impl FnMut(usize, Record<'_>) -> Result<()>,
    ) -> Result<()> {
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
    pub(super) fn parse_block(
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
    pub(super) fn column_texts(&self, j: usize) -> Texts {
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
pub(super) struct Texts {
    pub(super) buffer: String,
    /// Offsets into `buffer`. Files are at most 1 GiB, and decoding to UTF-8 at most triples
    /// that, so a column's text stays below 4 GiB.
    pub(super) ends: Vec<u32>,
}

impl Texts {
    pub(super) fn push(&mut self, field: &str) {
        self.buffer.push_str(field);
        self.ends.push(u32::try_from(self.buffer.len()).unwrap_or(u32::MAX));
    }

    pub(super) fn cells(&self) -> impl Iterator<Item = Cell<'_>> {
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
pub(super) struct Record<'r> {
    pub(super) out: &'r [u8],
    pub(super) ends: &'r [usize],
}

impl<'r> Record<'r> {
    pub(super) fn fields(self) -> impl Iterator<Item = &'r str> {
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
pub(super) fn read_record(
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
