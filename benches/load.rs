//! Loading a 1,000,000-row × 14-column plant CSV into a `Dataset`.
//!
//! The file is generated once (deterministically) under `target/bench-data/`. Besides the time,
//! the bench prints the dataset's memory against the file's numeric size (rows × columns × 8
//! bytes). Run with `cargo bench --bench load`.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss
)] // a benchmark, not product code

use std::fmt::Write as _;
use std::hint::black_box;
use std::path::PathBuf;

use criterion::{Criterion, criterion_group, criterion_main};
use glassbox::Progress;
use glassbox::data::{LoadOptions, load_file};

const ROWS: usize = 1_000_000;

/// A plant-like table: an id, a categorical type, eleven sensor readings, a 0/1 outcome.
fn make_file() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench-data");
    let path = dir.join("plant_1m_x14.csv");
    if path.exists() {
        return path;
    }
    std::fs::create_dir_all(&dir).expect("bench dir");
    let mut s = String::with_capacity(ROWS * 90);
    s.push_str("UDI,Type,Air temperature [K],Process temperature [K],Rotational speed [rpm],Torque [Nm],Tool wear [min],Vibration [mm/s],Humidity [%],Coolant flow [L/min],Pressure [bar],Power [kW],Current [A],Machine failure\n");
    // A small linear congruential generator keeps the file the same on every machine.
    let mut state: u64 = 0x2545_F491_4F6C_DD1D;
    let mut next = || {
        state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    for i in 0..ROWS {
        let ty = ["L", "M", "H"][(next() * 3.0) as usize % 3];
        let air = 295.0 + next() * 10.0;
        let torque = 40.0 + (next() - 0.5) * 40.0;
        let _ = writeln!(
            s,
            "{},{ty},{:.1},{:.1},{},{:.1},{},{:.3},{:.1},{:.2},{:.3},{:.2},{:.2},{}",
            i + 1,
            air,
            air + 10.0 + next(),
            1200 + (next() * 1600.0) as u32,
            torque,
            (next() * 250.0) as u32,
            next() * 5.0,
            30.0 + next() * 40.0,
            8.0 + next() * 6.0,
            1.0 + next() * 0.05,
            torque * 0.15 + next(),
            10.0 + next() * 5.0,
            u8::from(next() < 0.034)
        );
    }
    std::fs::write(&path, s).expect("write bench file");
    path
}

fn bench_load(c: &mut Criterion) {
    let path = make_file();
    let ds = load_file(&path, &LoadOptions::default(), &Progress::new()).expect("loads");
    let numeric = ds.n_rows() * ds.n_columns() * 8;
    let file = std::fs::metadata(&path).map_or(0, |m| m.len());
    eprintln!(
        "dataset {} rows × {} columns: {:.1} MB in memory, numeric size {:.1} MB (ratio {:.2}); file {:.1} MB",
        ds.n_rows(),
        ds.n_columns(),
        ds.heap_bytes() as f64 / 1e6,
        numeric as f64 / 1e6,
        ds.heap_bytes() as f64 / numeric as f64,
        file as f64 / 1e6
    );
    drop(ds);
    let mut group = c.benchmark_group("load");
    group.sample_size(10);
    group.bench_function("csv_1m_rows_14_cols", |b| {
        b.iter(|| black_box(load_file(&path, &LoadOptions::default(), &Progress::new()).expect("loads")));
    });
    group.finish();
}

criterion_group!(benches, bench_load);
criterion_main!(benches);
