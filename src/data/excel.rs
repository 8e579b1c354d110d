//! Spreadsheets (`.xlsx`, `.xlsm`, `.xls`, `.ods`) through calamine.
//!
//! The first sheet that holds data is read unless a sheet is named. The first non-empty row is
//! the header; cells keep the type the spreadsheet gave them (numbers stay numbers, dates become
//! timestamps), and row numbers in messages are the ones the spreadsheet shows.

use std::io::Cursor;
use std::path::Path;

use calamine::{Data, Reader as _};

use super::naming::{column_names, file_name};
use super::typing::{Cell, ColumnContext, build_column};
use super::{Column, Dataset};
use crate::error::{Error, Result};
use crate::progress::Progress;

/// Reads one sheet of a workbook held in memory.
pub(super) fn read_excel(
    bytes: Vec<u8>,
    sheet: Option<&str>,
    limit: Option<usize>,
    path: &Path,
    progress: &Progress,
) -> Result<Dataset> {
    progress.set_stage("opening workbook");
    let mut book = calamine::open_workbook_auto_from_rs(Cursor::new(bytes))
        .map_err(|e| Error::in_file(format!("the workbook could not be opened: {e}"), path))?;
    let names = book.sheet_names();
    if names.is_empty() {
        return Err(Error::in_file("the workbook has no sheets", path));
    }
    let wanted: Vec<String> = match sheet {
        Some(s) => {
            if !names.iter().any(|n| n == s) {
                return Err(Error::in_file(
                    format!("the workbook has no sheet '{s}' (sheets: {})", names.join(", ")),
                    path,
                ));
            }
            vec![s.to_owned()]
        }
        None => names.clone(),
    };
    progress.check()?;
    let mut chosen = None;
    for name in &wanted {
        let range = book
            .worksheet_range(name)
            .map_err(|e| Error::in_file(format!("sheet '{name}' could not be read: {e}"), path))?;
        if !range.is_empty() {
            chosen = Some((name.clone(), range));
            break;
        }
    }
    let Some((sheet_name, range)) = chosen else {
        return Err(Error::in_file("every sheet of the workbook is empty", path));
    };
    progress.set(0.5);
    progress.set_stage("typing columns");

    let (row0, col0) = range.start().unwrap_or((0, 0));
    let rows: Vec<&[Data]> = range.rows().collect();
    // The first row with a value is the header; the rows after it are the body.
    let mut from_header = rows.iter().enumerate().skip_while(|(_, r)| r.iter().all(|c| *c == Data::Empty));
    let Some((header_at, header_row)) = from_header.next() else {
        return Err(Error::in_file(format!("sheet '{sheet_name}' is empty"), path));
    };
    let header: Vec<String> = header_row.iter().map(cell_text).collect();
    let mut body: Vec<&[Data]> = from_header.map(|(_, r)| *r).collect();
    // Trailing empty rows are formatting, not data.
    while body.last().is_some_and(|r| r.iter().all(|c| *c == Data::Empty)) {
        body.pop();
    }
    if let Some(l) = limit {
        body.truncate(l);
    }
    if body.is_empty() {
        return Err(Error::in_file(format!("sheet '{sheet_name}' has a header but no data rows"), path));
    }
    // Columns to the right without a header and without data are formatting too.
    let n_fields = header
        .iter()
        .enumerate()
        .rev()
        .find(|&(j, h)| !h.trim().is_empty() || body.iter().any(|r| r.get(j).is_some_and(|c| *c != Data::Empty)))
        .map_or(0, |(j, _)| j + 1);
    let mut warnings = Vec::new();
    let names = column_names(header.get(..n_fields), n_fields, &mut warnings);
    let first_data_row = row0 as usize + header_at + 2; // 1-based spreadsheet row of body[0]
    let row_label = move |r: usize| format!("row {} of sheet '{sheet_name}'", first_data_row + r);
    let _ = col0;

    let mut columns: Vec<Column> = Vec::with_capacity(n_fields);
    for (j, name) in names.iter().enumerate() {
        progress.check()?;
        let ctx = ColumnContext { name, decimal_comma: false, row_label: &row_label };
        let (column, w) = build_column(&ctx, || body.iter().map(move |r| r.get(j).map_or(Cell::Missing, to_cell)));
        warnings.extend(w);
        columns.push(column);
        progress.set_count(j + 1, n_fields);
    }
    let mut ds = Dataset::new(file_name(path), columns)?;
    ds.warnings = warnings;
    Ok(ds)
}

fn to_cell(d: &Data) -> Cell<'_> {
    match d {
        Data::Int(i) => {
            #[allow(clippy::cast_precision_loss)] // spreadsheet integers are doubles to begin with
            Cell::Number(*i as f64)
        }
        Data::Float(f) => Cell::Number(*f),
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => Cell::Text(s),
        Data::Bool(b) => Cell::Bool(*b),
        Data::DateTime(dt) if dt.is_duration() => Cell::Number(dt.as_f64() * 86_400.0),
        Data::DateTime(dt) => dt.as_datetime().map_or(Cell::Missing, |n| {
            let u = n.and_utc();
            #[allow(clippy::cast_precision_loss)]
            Cell::Seconds(u.timestamp() as f64 + f64::from(u.timestamp_subsec_millis()) / 1000.0)
        }),
        Data::Error(_) | Data::Empty => Cell::Missing,
    }
}

fn cell_text(d: &Data) -> String {
    match d {
        Data::Empty => String::new(),
        other => other.to_string(),
    }
}

/// The sheet names of a workbook, in workbook order.
///
/// # Errors
/// When the file cannot be read or is not a workbook.
pub fn sheet_names(path: &Path) -> Result<Vec<String>> {
    let bytes = std::fs::read(path).map_err(|e| Error::io("reading the file", path, e))?;
    let book = calamine::open_workbook_auto_from_rs(Cursor::new(bytes))
        .map_err(|e| Error::in_file(format!("the workbook could not be opened: {e}"), path))?;
    Ok(book.sheet_names())
}
