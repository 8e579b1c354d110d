//! Glassbox: see why a model decides what it decides, and turn it into something a PLC can run.
//!
//! The engine (everything but [`app`] and [`cli`]) knows nothing of the user interface:
//! - [`data`] reads plant data (CSV, Parquet, spreadsheets) into a plain [`data::Dataset`];
//! - [`progress`] lets long jobs report progress and be cancelled;
//! - [`model`] trains decision trees (CART) and SVMs and evaluates them with [`metrics`];
//! - [`explain`] says why a model decides what it decides;
//! - [`monitor`] checks new data against a project's model (drift, envelope, rules, metrics);
//! - [`project`] saves and opens the work;
//! - [`compare`] sets two models side by side: metrics, agreement, importance, rules and PLC code;
//! - [`error`] is the one error type.
//!
//! [`app`] (egui) and [`cli`] (the `glassbox` command) are thin faces over it.

#[cfg(feature = "gui")]
pub mod app;
pub mod cli;
pub mod compare;
pub mod data;
pub mod error;
pub mod explain;
// The raw export tree is built node by node from a validated tree, so its indices are in range.
#[allow(clippy::indexing_slicing)]
pub mod export;
// The accessors index by (i, j) that callers keep below the shape; `from_vec` and
// deserialisation check that the data fits the shape.
#[allow(clippy::indexing_slicing)]
pub mod matrix;
pub mod metrics;
pub mod model;
pub mod monitor;
pub mod numeric;
pub mod paths;
pub mod plan;
pub mod progress;
// Reading the data file to hash it slices its buffer by what `read` returned, at most its length.
#[allow(clippy::indexing_slicing)]
pub mod project;
pub mod rules;
pub mod sample;

pub use error::{Error, Result};
pub use progress::Progress;
