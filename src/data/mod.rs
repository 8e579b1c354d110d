//! Plant data in, [`Dataset`] out.
//!
//! This is the only module that touches polars (and the spreadsheet reader). Whatever the file
//! format, it hands the rest of the engine a plain [`Dataset`]: one `f64` vector per column
//! (numbers, category codes or timestamps in seconds; `NaN` for a missing cell), with names,
//! units, kinds, roles, category levels and statistics.

mod csv;
mod excel;
mod load;
mod naming;
mod parquet;
mod roles;
pub mod split;
mod stats;
mod timestamp;
mod typing;
mod units;

use serde::{Deserialize, Serialize};

pub use csv::{CsvOptions, TextEncoding, sniff_csv, split_record};
pub use excel::sheet_names;
pub use load::{FileFormat, LoadOptions, MAX_FILE_BYTES, detect_format, load_bytes, load_file};
pub use parquet::write_parquet;
pub use roles::guess_roles;
pub use stats::{ColumnStats, Histogram};
pub use typing::natural_cmp;
pub use units::split_unit;

/// What kind of values a column holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ColumnKind {
    /// Whole numbers.
    Integer,
    /// Real numbers.
    Float,
    /// True/false; stored as 0 and 1.
    Boolean,
    /// A few text levels; stored as the index into `levels`.
    Categorical,
    /// Many distinct texts (names, serial numbers); stored as the index into `levels`.
    Text,
    /// Date and time; stored as seconds since 1970-01-01 00:00 (no time zone).
    Timestamp,
}

impl ColumnKind {
    /// The name shown to people and written by `inspect --json`.
    pub fn label(self) -> &'static str {
        match self {
            Self::Integer => "integer",
            Self::Float => "float",
            Self::Boolean => "boolean",
            Self::Categorical => "categorical",
            Self::Text => "text",
            Self::Timestamp => "timestamp",
        }
    }

    /// True when values are numbers one can order and average.
    pub fn is_numeric(self) -> bool {
        matches!(self, Self::Integer | Self::Float | Self::Boolean)
    }

    /// True when values are codes into `levels`.
    pub fn has_levels(self) -> bool {
        matches!(self, Self::Categorical | Self::Text)
    }
}

/// What a column is for in modelling.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// An input of the model.
    #[default]
    Feature,
    /// What the model predicts (at most one column).
    Target,
    /// Identifies a row (serial number, row counter); never a feature.
    Id,
    /// When the row was recorded; used for ordered splits, never a feature.
    Timestamp,
    /// Left out.
    Ignore,
}

impl Role {
    /// Every role, in the order menus show them.
    pub const ALL: [Self; 5] = [Self::Feature, Self::Target, Self::Id, Self::Timestamp, Self::Ignore];

    /// The name shown to people and written by `inspect --json`.
    pub fn label(self) -> &'static str {
        match self {
            Self::Feature => "feature",
            Self::Target => "target",
            Self::Id => "id",
            Self::Timestamp => "timestamp",
            Self::Ignore => "ignore",
        }
    }
}

/// One column of a dataset.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    /// The name exactly as in the file.
    pub name: String,
    /// The unit parsed from the name (`Torque [Nm]` → `Nm`), if any.
    pub unit: Option<String>,
    /// What kind of values it holds.
    pub kind: ColumnKind,
    /// The values: numbers, codes into `levels`, or seconds; `NaN` where missing.
    pub values: Vec<f64>,
    /// The text levels of a categorical or text column, sorted; empty otherwise.
    pub levels: Vec<String>,
    /// What the column is for.
    pub role: Role,
    /// Summary statistics, computed when the column is built.
    pub stats: ColumnStats,
    /// Why the role was guessed as it is, shown beside it.
    pub note: Option<String>,
}

impl Column {
    /// Builds a column and computes its statistics.
    pub fn new(name: impl Into<String>, kind: ColumnKind, values: Vec<f64>, levels: Vec<String>) -> Self {
        let name = name.into();
        let unit = split_unit(&name).1.map(str::to_owned);
        let stats = ColumnStats::compute(&values, kind);
        Self { name, unit, kind, values, levels, role: Role::Feature, stats, note: None }
    }

    /// The value of row `row` as people read it: a number, a level, a timestamp or empty.
    pub fn display_value(&self, row: usize) -> String {
        let Some(&v) = self.values.get(row) else { return String::new() };
        self.format_value(v)
    }

    /// Formats one stored value of this column as people read it.
    pub fn format_value(&self, v: f64) -> String {
        if v.is_nan() {
            return String::new();
        }
        match self.kind {
            ColumnKind::Categorical | ColumnKind::Text => level_of(&self.levels, v).unwrap_or_default().to_owned(),
            ColumnKind::Boolean => if v == 0.0 { "false" } else { "true" }.to_owned(),
            ColumnKind::Timestamp => timestamp::format_seconds(v),
            ColumnKind::Integer => format!("{v:.0}"),
            ColumnKind::Float => format_number(v),
        }
    }

    /// The level of a code, for categorical and text columns.
    pub fn level(&self, code: f64) -> Option<&str> {
        level_of(&self.levels, code)
    }
}

fn level_of(levels: &[String], code: f64) -> Option<&str> {
    if code.is_nan() || code < 0.0 {
        return None;
    }
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // checked non-negative above
    levels.get(code as usize).map(String::as_str)
}

/// Shortest text that reads back as the same `f64`.
pub fn format_number(v: f64) -> String {
    if v.is_nan() { String::new() } else { format!("{v}") }
}

/// A table of plant data, ready for the engine.
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset {
    /// Short name shown in the title bar (usually the file name).
    pub name: String,
    /// The file it came from, if any.
    pub source: Option<std::path::PathBuf>,
    /// The columns in file order.
    pub columns: Vec<Column>,
    /// Things worth knowing about the load that did not stop it (cells read as missing, …).
    pub warnings: Vec<String>,
    n_rows: usize,
}

impl Dataset {
    /// Builds a dataset from columns of equal length and guesses their roles.
    ///
    /// # Errors
    /// When the columns differ in length, there are none, or two share a name.
    pub fn new(name: impl Into<String>, columns: Vec<Column>) -> crate::Result<Self> {
        let n_rows = columns.first().map_or(0, |c| c.values.len());
        if let Some(c) = columns.iter().find(|c| c.values.len() != n_rows) {
            return Err(crate::Error::invalid(format!(
                "column '{}' has {} values where the others have {n_rows}",
                c.name,
                c.values.len()
            )));
        }
        let mut ds = Self { name: name.into(), source: None, columns, warnings: Vec::new(), n_rows };
        guess_roles(&mut ds);
        Ok(ds)
    }

    /// Number of rows.
    pub fn n_rows(&self) -> usize {
        self.n_rows
    }

    /// Number of columns.
    pub fn n_columns(&self) -> usize {
        self.columns.len()
    }

    /// The column with this exact name.
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }

    /// Index of the column with this exact name.
    pub fn column_index(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.name == name)
    }

    /// The target column, if one has the role.
    pub fn target(&self) -> Option<&Column> {
        self.columns.iter().find(|c| c.role == Role::Target)
    }

    /// Sets a column's role, keeping at most one target (a new target demotes the old one to
    /// feature).
    pub fn set_role(&mut self, column: usize, role: Role) {
        if role == Role::Target {
            for c in &mut self.columns {
                if c.role == Role::Target {
                    c.role = Role::Feature;
                }
            }
        }
        if let Some(c) = self.columns.get_mut(column) {
            c.role = role;
            c.note = None;
        }
    }

    /// Columns with the feature role, in file order.
    pub fn features(&self) -> impl Iterator<Item = (usize, &Column)> {
        self.columns.iter().enumerate().filter(|(_, c)| c.role == Role::Feature)
    }

    /// Bytes held by the column values and levels (what a loaded dataset costs in memory).
    pub fn heap_bytes(&self) -> usize {
        self.columns
            .iter()
            .map(|c| {
                c.values.capacity() * std::mem::size_of::<f64>()
                    + c.levels.iter().map(|l| l.capacity() + std::mem::size_of::<String>()).sum::<usize>()
                    + c.name.capacity()
            })
            .sum()
    }
}
