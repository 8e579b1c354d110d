//! One file per panel or dialog.

pub mod data;
pub mod explain;
pub mod import;
pub mod plan;
pub mod rules;
pub mod train;
pub mod tree_view;
