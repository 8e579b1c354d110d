//! The one error type of the engine.
//!
//! Every message says what went wrong, where (file, row, column) and, where it helps, what to do;
//! the path comes last so the interesting part is read first. The app and the CLI show these
//! messages to people as they are.

use std::fmt;
use std::path::{Path, PathBuf};

/// Where in the input a problem sits. Each part is optional; `Display` prints only what is known.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Location {
    /// The file, when the input came from one.
    pub path: Option<PathBuf>,
    /// A human-facing row description, already phrased for the source ("line 18", "row 7 of sheet 'Data'").
    pub row: Option<String>,
    /// The column name, exactly as in the file.
    pub column: Option<String>,
}

impl Location {
    /// A location that only names a file.
    pub fn file(path: impl Into<PathBuf>) -> Self {
        Self { path: Some(path.into()), ..Self::default() }
    }

    /// Adds a row description.
    #[must_use]
    pub fn with_row(mut self, row: impl Into<String>) -> Self {
        self.row = Some(row.into());
        self
    }

    /// Adds a column name.
    #[must_use]
    pub fn with_column(mut self, column: impl Into<String>) -> Self {
        self.column = Some(column.into());
        self
    }

    fn is_empty(&self) -> bool {
        self.path.is_none() && self.row.is_none() && self.column.is_none()
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        if let Some(row) = &self.row {
            parts.push(row.clone());
        }
        if let Some(column) = &self.column {
            parts.push(format!("column '{column}'"));
        }
        if let Some(path) = &self.path {
            parts.push(format!("in {}", path.display()));
        }
        f.write_str(&parts.join(", "))
    }
}

/// Everything that can go wrong in the engine.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The operating system refused a file operation.
    #[error("{action} failed: {source} ({})", path.display())]
    Io {
        /// What we tried to do, e.g. "reading the file".
        action: &'static str,
        /// The file involved.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },

    /// The input data is unusable as it stands.
    #[error("{message}{}", located(.location))]
    Data {
        /// What is wrong and what to do about it.
        message: String,
        /// Where it is wrong.
        location: Location,
    },

    /// A setting or argument makes no sense (for example a target that is also a feature).
    #[error("{0}")]
    InvalidInput(String),

    /// The user cancelled the job.
    #[error("cancelled")]
    Cancelled,
}

fn located(location: &Location) -> String {
    if location.is_empty() { String::new() } else { format!(" ({location})") }
}

impl Error {
    /// A data error at a location.
    pub fn data(message: impl Into<String>, location: Location) -> Self {
        Self::Data { message: message.into(), location }
    }

    /// A data error about a whole file.
    pub fn in_file(message: impl Into<String>, path: &Path) -> Self {
        Self::data(message, Location::file(path))
    }

    /// An I/O error with the action and path it concerns.
    pub fn io(action: &'static str, path: &Path, source: std::io::Error) -> Self {
        Self::Io { action, path: path.to_path_buf(), source }
    }

    /// A bad setting or argument.
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::InvalidInput(message.into())
    }

    /// True when the error only reports a user's cancel.
    pub fn is_cancelled(&self) -> bool {
        matches!(self, Self::Cancelled)
    }
}

/// The engine's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_error_names_row_column_and_path_last() {
        let e = Error::data(
            "expected a number, found 'abc'",
            Location::file("plant.csv").with_row("line 18").with_column("Torque [Nm]"),
        );
        assert_eq!(e.to_string(), "expected a number, found 'abc' (line 18, column 'Torque [Nm]', in plant.csv)");
    }
}
