//! Glassbox: see why a model decides what it decides, and turn it into something a PLC can run.
//!
//! The engine (everything but [`app`] and [`cli`]) knows nothing of the user interface:
//! - [`data`] reads plant data (CSV, Parquet, spreadsheets) into a plain [`data::Dataset`];
//! - [`progress`] lets long jobs report progress and be cancelled;
//! - [`error`] is the one error type.
//!
//! [`app`] (egui) and [`cli`] (the `glassbox` command) are thin faces over it.

pub mod app;
pub mod cli;
pub mod data;
pub mod error;
pub mod explain;
pub mod matrix;
pub mod metrics;
pub mod model;
pub mod progress;
pub mod sample;

pub use error::{Error, Result};
pub use progress::Progress;
