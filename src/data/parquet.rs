//! Parquet files through polars. Columns keep their stored types; texts go through the same
//! typing as CSV cells, so a text column of numbers or dates is recognised as one.

use std::io::Cursor;
use std::path::Path;

use polars::prelude::{DataType, ParquetReader, SerReader as _, TimeUnit};

use super::naming::file_name;
use super::typing::{Cell, ColumnContext, build_column};
use super::{Column, Dataset};
use crate::error::{Error, Result};
use crate::progress::Progress;

/// Reads a Parquet file held in memory.
pub(super) fn read_parquet(bytes: Vec<u8>, limit: Option<usize>, path: &Path, progress: &Progress) -> Result<Dataset> {
    progress.set_stage("reading Parquet");
    let frame = ParquetReader::new(Cursor::new(bytes))
        .with_slice(limit.map(|l| (0, l)))
        .finish()
        .map_err(|e| Error::in_file(format!("the Parquet file could not be read: {e}"), path))?;
    if frame.width() == 0 {
        return Err(Error::in_file("the Parquet file has no columns", path));
    }
    if frame.height() == 0 {
        return Err(Error::in_file("the Parquet file has no rows", path));
    }
    progress.set(0.5);
    progress.set_stage("typing columns");
    let row_label = |r: usize| format!("row {}", r + 1);
    let mut warnings = Vec::new();
    let n = frame.width();
    let mut columns: Vec<Column> = Vec::with_capacity(n);
    for (j, col) in frame.columns().iter().enumerate() {
        progress.check()?;
        let name = col.name().to_string();
        let series = col.as_materialized_series();
        let ctx = ColumnContext { name: &name, decimal_comma: false, row_label: &row_label };
        let unreadable =
            |e: polars::error::PolarsError| Error::in_file(format!("column '{name}' could not be read: {e}"), path);
        let (column, w) = match series.dtype() {
            DataType::String => {
                let s = series.str().map_err(unreadable)?;
                build_column(&ctx, || s.iter().map(|v| v.map_or(Cell::Missing, Cell::Text)))
            }
            DataType::Boolean => {
                let s = series.bool().map_err(unreadable)?;
                build_column(&ctx, || s.iter().map(|v| v.map_or(Cell::Missing, Cell::Bool)))
            }
            dt @ (DataType::Datetime(..) | DataType::Date) => {
                let scale = match dt {
                    DataType::Datetime(TimeUnit::Nanoseconds, _) => 1e-9,
                    DataType::Datetime(TimeUnit::Microseconds, _) => 1e-6,
                    DataType::Datetime(TimeUnit::Milliseconds, _) => 1e-3,
                    _ => 86_400.0,
                };
                let physical = series.to_physical_repr().cast(&DataType::Float64).map_err(unreadable)?;
                let s = physical.f64().map_err(unreadable)?;
                build_column(&ctx, || s.iter().map(|v| v.map_or(Cell::Missing, |v| Cell::Seconds(v * scale))))
            }
            dt if dt.is_primitive_numeric() => {
                let cast = series.cast(&DataType::Float64).map_err(unreadable)?;
                let s = cast.f64().map_err(unreadable)?;
                build_column(&ctx, || s.iter().map(|v| v.map_or(Cell::Missing, Cell::Number)))
            }
            other => {
                let cast = series.cast(&DataType::String).map_err(|_| {
                    Error::in_file(format!("column '{name}' has a type Glassbox cannot use ({other})"), path)
                })?;
                let s = cast.str().map_err(unreadable)?;
                build_column(&ctx, || s.iter().map(|v| v.map_or(Cell::Missing, Cell::Text)))
            }
        };
        warnings.extend(w);
        columns.push(column);
        progress.set_count(j + 1, n);
    }
    let mut ds = Dataset::new(file_name(path), columns)?;
    ds.warnings = warnings;
    Ok(ds)
}

/// Writes a dataset's numeric view as Parquet (used by tests and the sample generator).
///
/// # Errors
/// When polars cannot build or write the frame.
pub fn write_parquet(ds: &Dataset, out: &mut impl std::io::Write) -> Result<()> {
    use polars::prelude::{Column as PlColumn, DataFrame, NamedFrom as _, ParquetWriter, Series};
    let cols: Vec<PlColumn> = ds
        .columns
        .iter()
        .map(|c| {
            if c.kind.has_levels() {
                let texts: Vec<Option<&str>> = c.values.iter().map(|&v| c.level(v)).collect();
                Series::new(c.name.as_str().into(), texts).into()
            } else {
                let vals: Vec<Option<f64>> = c.values.iter().map(|&v| (!v.is_nan()).then_some(v)).collect();
                Series::new(c.name.as_str().into(), vals).into()
            }
        })
        .collect();
    let mut frame =
        DataFrame::new_infer_height(cols).map_err(|e| Error::invalid(format!("cannot build a table: {e}")))?;
    ParquetWriter::new(out).finish(&mut frame).map_err(|e| Error::invalid(format!("cannot write Parquet: {e}")))?;
    Ok(())
}
