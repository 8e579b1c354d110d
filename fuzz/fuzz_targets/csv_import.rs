//! Fuzzes the delimited-text import: arbitrary bytes, read with arbitrary import settings.
//!
//! The first four bytes choose the settings (as the import dialog or the command line would);
//! the rest is the file:
//! - byte 0: bit 0 set = explicit settings (else sniffed as on first open); bit 1 = a preview
//!   read (row limit);
//! - byte 1: the delimiter: with bit 7 set any ASCII byte (the command line takes any one
//!   character), else one of `, ; TAB | space :`;
//! - byte 2: bits 0–1 the quote (`"`, `'`, none); bit 2 decimal comma; bit 3 no header;
//! - byte 3: bits 0–2 the encoding; bits 3–4 title lines to skip.
//!
//! Every load must end in a dataset or an error; a dataset must be consistent and survive what
//! the data panel does with it next (roles, statistics, histograms, cell display).

#![no_main]

use std::path::Path;

use glassbox::Progress;
use glassbox::data::{ColumnKind, CsvOptions, FileFormat, LoadOptions, TextEncoding, load_bytes};
use libfuzzer_sys::fuzz_target;

const PREVIEW_ROWS: usize = 50;

fuzz_target!(|data: &[u8]| {
    let Some((head, file)) = data.split_first_chunk::<4>() else { return };
    let [mode, delim, flags, enc] = *head;
    let csv = (mode & 1 == 1).then(|| CsvOptions {
        delimiter: if delim & 0x80 != 0 {
            delim & 0x7F
        } else {
            [b',', b';', b'\t', b'|', b' ', b':'][usize::from(delim) % 6]
        },
        quote: [Some(b'"'), Some(b'\''), None, Some(b'"')][usize::from(flags & 3)],
        decimal_comma: flags & 4 != 0,
        has_header: flags & 8 == 0,
        encoding: TextEncoding::ALL[usize::from(enc & 7) % TextEncoding::ALL.len()],
        skip_lines: usize::from((enc >> 3) & 3),
    });
    let row_limit = (mode & 2 != 0).then_some(PREVIEW_ROWS);
    let opts = LoadOptions { format: Some(FileFormat::Csv), csv, sheet: None, row_limit };

    let Ok(mut ds) = load_bytes(file.to_vec(), Path::new("fuzz.csv"), &opts, &Progress::new()) else { return };

    let n = ds.n_rows();
    assert!(n > 0, "a dataset without rows was returned instead of an error");
    assert!(ds.n_columns() > 0, "a dataset without columns was returned instead of an error");
    if let Some(limit) = row_limit {
        assert!(n <= limit, "a preview of {limit} rows returned {n}");
    }
    for c in &ds.columns {
        assert_eq!(c.values.len(), n, "column '{}' has another length", c.name);
        if c.kind.has_levels() {
            for &v in &c.values {
                assert!(
                    v.is_nan() || (v >= 0.0 && v.fract() == 0.0 && (v as usize) < c.levels.len()),
                    "column '{}' holds code {v} for {} levels",
                    c.name,
                    c.levels.len()
                );
            }
        }
        if c.kind == ColumnKind::Boolean {
            assert!(c.values.iter().all(|&v| v.is_nan() || v == 0.0 || v == 1.0), "boolean column '{}'", c.name);
        }
        let _ = c.histogram(30, 20);
        for row in 0..n.min(20) {
            let _ = c.display_value(row);
        }
    }
    glassbox::data::guess_roles(&mut ds);
    assert!(ds.columns.iter().filter(|c| c.role == glassbox::data::Role::Target).count() <= 1, "two targets");
});
