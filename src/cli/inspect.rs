//! `glassbox inspect FILE [--json]`: schema, roles and statistics of a data file.

use std::fmt::Write as _;
use std::path::PathBuf;

use clap::Args;
use serde::Serialize;

use super::ReadArgs;
use crate::data::{Column, Dataset};

/// Arguments of `inspect`.
#[derive(Debug, Args)]
pub struct InspectArgs {
    /// The data file (CSV/TSV, Parquet, xlsx/xls).
    pub file: PathBuf,
    /// Print one JSON object instead of a table.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub read: ReadArgs,
}

/// The JSON `inspect --json` prints.
#[derive(Debug, Serialize)]
pub struct InspectReport<'a> {
    /// The file, as given.
    pub file: String,
    /// Data rows.
    pub rows: usize,
    /// One entry per column, in file order.
    pub columns: Vec<ColumnReport<'a>>,
    /// Things read as missing and other notes from loading.
    pub warnings: &'a [String],
}

/// One column in the JSON report.
#[derive(Debug, Serialize)]
pub struct ColumnReport<'a> {
    /// Name exactly as in the file.
    pub name: &'a str,
    /// integer, float, boolean, categorical, text or timestamp.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// feature, target, id, timestamp or ignore.
    pub role: &'static str,
    /// Unit from the name, or null.
    pub unit: Option<&'a str>,
    /// Counts and statistics over the non-missing cells (min, max, mean and sample standard
    /// deviation are null for texts), as the data module computes them.
    #[serde(flatten)]
    pub stats: &'a crate::data::ColumnStats,
    /// Levels of a categorical column (at most 100).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub levels: Option<&'a [String]>,
    /// Why the role was guessed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<&'a str>,
}

impl<'a> ColumnReport<'a> {
    fn new(c: &'a Column) -> Self {
        let levels = (c.kind == crate::data::ColumnKind::Categorical)
            .then(|| c.levels.get(..100).unwrap_or(c.levels.as_slice()));
        Self {
            name: &c.name,
            kind: c.kind.label(),
            role: c.role.label(),
            unit: c.unit.as_deref(),
            stats: &c.stats,
            levels,
            note: c.note.as_deref(),
        }
    }
}

/// Builds the report of a loaded dataset.
pub fn report(file: String, ds: &Dataset) -> InspectReport<'_> {
    InspectReport {
        file,
        rows: ds.n_rows(),
        columns: ds.columns.iter().map(ColumnReport::new).collect(),
        warnings: &ds.warnings,
    }
}

pub(super) fn run(args: &InspectArgs) -> anyhow::Result<()> {
    let (ds, _) = super::read_data(&args.file, &args.read)?;
    let rep = report(args.file.display().to_string(), &ds);
    if args.json {
        println!("{}", serde_json::to_string_pretty(&rep)?);
    } else {
        print!("{}", table(&ds));
    }
    Ok(())
}

fn num(v: Option<f64>) -> String {
    v.map_or_else(String::new, |v| {
        if v != 0.0 && (v.abs() >= 1e6 || v.abs() < 1e-3) {
            format!("{v:.4e}")
        } else {
            let s = format!("{v:.4}");
            s.trim_end_matches('0').trim_end_matches('.').to_owned()
        }
    })
}

/// The human-readable table `inspect` prints.
pub fn table(ds: &Dataset) -> String {
    let mut rows: Vec<[String; 11]> = vec![[
        "#".into(),
        "column".into(),
        "type".into(),
        "role".into(),
        "unit".into(),
        "missing".into(),
        "min".into(),
        "max".into(),
        "mean".into(),
        "std".into(),
        "distinct".into(),
    ]];
    for (i, c) in ds.columns.iter().enumerate() {
        let (min, max) = if c.kind == crate::data::ColumnKind::Timestamp {
            (
                c.stats.min.map(|v| c.format_value(v)).unwrap_or_default(),
                c.stats.max.map(|v| c.format_value(v)).unwrap_or_default(),
            )
        } else {
            (num(c.stats.min), num(c.stats.max))
        };
        rows.push([
            (i + 1).to_string(),
            c.name.clone(),
            c.kind.label().into(),
            c.role.label().into(),
            c.unit.clone().unwrap_or_default(),
            c.stats.missing.to_string(),
            min,
            max,
            num(c.stats.mean),
            num(c.stats.std),
            c.stats.distinct.to_string(),
        ]);
    }
    let mut widths = [0usize; 11];
    for r in &rows {
        for (w, cell) in widths.iter_mut().zip(r) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = format!("{}: {} rows × {} columns\n", ds.name, ds.n_rows(), ds.n_columns());
    for r in &rows {
        let line: Vec<String> = r
            .iter()
            .zip(widths)
            .enumerate()
            .map(|(j, (cell, w))| {
                let pad = w.saturating_sub(cell.chars().count());
                if j >= 5 || j == 0 {
                    format!("{}{cell}", " ".repeat(pad))
                } else {
                    format!("{cell}{}", " ".repeat(pad))
                }
            })
            .collect();
        out.push_str(line.join("  ").trim_end());
        out.push('\n');
    }
    for c in ds.columns.iter().filter(|c| c.kind == crate::data::ColumnKind::Categorical) {
        let shown: Vec<&str> = c.levels.iter().take(20).map(String::as_str).collect();
        let more = if c.levels.len() > 20 { format!(" … ({} levels)", c.levels.len()) } else { String::new() };
        let _ = writeln!(out, "levels of {}: {}{more}", c.name, shown.join(", "));
    }
    for c in ds.columns.iter().filter(|c| c.note.is_some()) {
        let _ = writeln!(out, "{} is {}: {}", c.name, c.role.label(), c.note.as_deref().unwrap_or_default());
    }
    for w in &ds.warnings {
        let _ = writeln!(out, "warning: {w}");
    }
    out
}
