//! One integration-test binary for the whole of Glassbox (fast to link); a module per area.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::format_push_string,
    clippy::too_many_lines
)] // test code

mod atomic_save;
mod bad_inputs;
mod cli;
mod data;
mod explain;
mod export;
mod export_bench;
mod export_svm;
mod export_vendor;
mod monitor;
mod offline;
mod paths;
mod plan;
mod retrain;
mod rules;
mod svm_agreement;
mod train;
mod tree_agreement;
mod tree_semantics;
mod ui;
mod ui_export;
mod ui_monitor;

use std::path::PathBuf;

/// A file under `tests/fixtures/`.
pub fn fixture(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(rel)
}
