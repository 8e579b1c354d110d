//! The sample plant dataset bundled into the binary, so the app opens on real data with no
//! setup: the AI4I 2020 predictive-maintenance data (UCI, CC BY 4.0; see `sample_data/README.md`).

use std::path::Path;

use crate::data::{Dataset, LoadOptions, load_bytes};
use crate::progress::Progress;

/// File name the sample is known by.
pub const SAMPLE_NAME: &str = "ai4i2020.csv";

/// The sample file's bytes.
pub const SAMPLE_CSV: &[u8] = include_bytes!("../sample_data/ai4i2020.csv");

/// File name of the example production plan.
pub const SAMPLE_PLAN_NAME: &str = "production_plan.csv";

/// The example production plan's bytes: 24 planned runs for a machine like the sample's.
pub const SAMPLE_PLAN_CSV: &[u8] = include_bytes!("../sample_data/production_plan.csv");

/// The example production plan as a dataset.
///
/// # Errors
/// Never in practice: the bytes are fixed and tested.
pub fn sample_plan() -> crate::Result<Dataset> {
    let mut ds =
        load_bytes(SAMPLE_PLAN_CSV.to_vec(), Path::new(SAMPLE_PLAN_NAME), &LoadOptions::default(), &Progress::new())?;
    ds.source = None;
    Ok(ds)
}

/// The sample as a dataset.
///
/// # Errors
/// Never in practice: the bytes are fixed and tested.
pub fn sample_dataset() -> crate::Result<Dataset> {
    let mut ds = load_bytes(SAMPLE_CSV.to_vec(), Path::new(SAMPLE_NAME), &LoadOptions::default(), &Progress::new())?;
    ds.source = None;
    ds.name = format!("{SAMPLE_NAME} (sample)");
    Ok(ds)
}
