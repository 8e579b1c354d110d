//! One file per panel or dialog.

pub mod data;
pub mod import;
