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
//!
//! One file per concern, as polars-io splits its reader: `encoding` (detecting and decoding
//! the character set, refusing binary files), `dialect` (sniffing separator, quoting, decimal
//! comma and header), `scan` (finding every record and checking its field count by line) and
//! `parse` (splitting blocks of records with `csv-core` on all cores, each cell straight into
//! its column).

mod dialect;
mod encoding;
mod parse;
mod scan;

use std::path::Path;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

pub use dialect::{sniff_csv, split_record};
pub use encoding::TextEncoding;
use encoding::decode;
use parse::{Reading, Texts};
use scan::{BLOCK_ROWS, Scan, line_label, scan};

use super::naming::{column_names, file_name};
use super::typing::{ColumnContext, Tally, finish_column};
use super::{Column, Dataset};
use crate::error::{Error, Result};
use crate::progress::Progress;

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
