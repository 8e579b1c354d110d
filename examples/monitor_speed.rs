//! Monitoring a million rows: time and peak memory of [`glassbox::monitor::monitor`] beside the
//! time of loading the same file, as one JSON object on stdout.
//!
//! The new data is made here, streamed to `target/bench-data/monitor_ai4i_1m_x14.csv` (kept for
//! later runs): 1,000,000 rows resampled with a fixed generator from the AI4I data
//! (`tests/fixtures/datasets/ai4i2020.csv`), its 14 columns with `Product ID` replaced by a
//! `Time` column (one row every 30 seconds from 1 January 2018, so about 347 days), torque raised
//! by 8 Nm from the middle row on so that there is drift to find. The model is a depth-6 tree
//! trained on the AI4I data itself. Monitoring runs with the default settings and `Time` as the
//! timestamp (periods chosen automatically), the target present, so every part of the report is
//! computed: features, envelope (20,000 checked rows), predictions, rules, bootstrap metrics,
//! periods.
//!
//! Peak memory is the process's peak resident set (`VmHWM`, Linux) after the load and after the
//! first monitoring run.
//!
//! ```text
//! cargo run --release --example monitor_speed
//! ```

// A measuring program: casts turn random numbers into indices.
#![allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]

use std::io::{BufWriter, Write as _};
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context as _;
use clap::Parser;
use glassbox::Progress;
use glassbox::data::{LoadOptions, Role, load_file};
use glassbox::model::ModelParams;
use glassbox::model::cart::TreeParams;
use glassbox::model::train::{TrainSettings, train};
use glassbox::monitor::{MonitorSettings, monitor};
use glassbox::project::{DataRef, Project};
use serde_json::json;

#[derive(Parser)]
#[command(about = "Time and peak memory of monitoring a million rows, as one JSON object")]
struct Args {
    /// Rows of new data to make and monitor.
    #[arg(long, default_value_t = 1_000_000)]
    rows: usize,
    /// The file the rows are written to (reused when it exists).
    #[arg(long, default_value = "target/bench-data/monitor_ai4i_1m_x14.csv")]
    data: PathBuf,
    /// Timed monitoring runs after the first.
    #[arg(long, default_value_t = 2)]
    repeats: usize,
}

fn proc_status_bytes(key: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(key))?;
    let kb: u64 = line.trim_start_matches(key).trim_start_matches(':').split_whitespace().next()?.parse().ok()?;
    Some(kb * 1024)
}

/// Writes `rows` rows resampled from AI4I (see the module documentation), streamed.
fn write_rows(ai4i: &Path, out_path: &Path, rows: usize) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(ai4i).with_context(|| format!("reading {}", ai4i.display()))?;
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().context("no header")?.split(',').collect();
    let source: Vec<Vec<&str>> = lines.filter(|l| !l.is_empty()).map(|l| l.split(',').collect()).collect();
    let col = |name: &str| header.iter().position(|h| *h == name).with_context(|| format!("no column {name}"));
    let (product, torque, udi) = (col("Product ID")?, col("Torque [Nm]")?, col("UDI")?);
    if let Some(dir) = out_path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut out = BufWriter::new(std::fs::File::create(out_path)?);
    let names: Vec<&str> = header.iter().enumerate().map(|(j, h)| if j == product { "Time" } else { h }).collect();
    writeln!(out, "{}", names.join(","))?;
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = || {
        state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    let start = chrono::NaiveDate::from_ymd_opt(2018, 1, 1).and_then(|d| d.and_hms_opt(0, 0, 0)).context("date")?;
    for i in 0..rows {
        let Some(r) = source.get((next() * source.len() as f64) as usize % source.len()) else { continue };
        let time = start + chrono::TimeDelta::seconds(i64::try_from(i)? * 30);
        let cells: Vec<String> = r
            .iter()
            .enumerate()
            .map(|(j, c)| {
                if j == product {
                    time.format("%Y-%m-%d %H:%M:%S").to_string()
                } else if j == udi {
                    (i + 1).to_string()
                } else if j == torque && i >= rows / 2 {
                    format!("{:.1}", c.parse::<f64>().unwrap_or(f64::NAN) + 8.0)
                } else {
                    (*c).to_owned()
                }
            })
            .collect();
        writeln!(out, "{}", cells.join(","))?;
    }
    out.flush()?;
    Ok(())
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let ai4i = root.join("tests/fixtures/datasets/ai4i2020.csv");
    let data = if args.data.is_absolute() { args.data.clone() } else { root.join(&args.data) };
    if !data.exists() {
        eprintln!("writing {} …", data.display());
        write_rows(&ai4i, &data, args.rows)?;
    }

    eprintln!("training the model on {} …", ai4i.display());
    let mut training = load_file(&ai4i, &LoadOptions::default(), &Progress::new())?;
    if let Some(t) = training.column_index("Machine failure") {
        training.set_role(t, Role::Target);
    }
    let settings = TrainSettings {
        target: "Machine failure".into(),
        exclude: ["TWF", "HDF", "PWF", "OSF", "RNF"].map(String::from).to_vec(),
        params: ModelParams::Tree(TreeParams { max_depth: Some(6), ..TreeParams::default() }),
        ..TrainSettings::default()
    };
    let report = train(&training, &settings, &Progress::new())?;
    let mut project = Project::new(Some(DataRef::of_file(&ai4i, LoadOptions::default())?), &training);
    project.model = Some(report);

    let rss_before = proc_status_bytes("VmRSS");
    eprintln!("loading {} …", data.display());
    let t = Instant::now();
    let new = load_file(&data, &LoadOptions::default(), &Progress::new())?;
    let load_secs = t.elapsed().as_secs_f64();
    let hwm_load = proc_status_bytes("VmHWM");

    let settings = MonitorSettings { timestamp: Some("Time".into()), ..MonitorSettings::default() };
    eprintln!("monitoring {} rows …", new.n_rows());
    let t = Instant::now();
    let result = monitor(&project, &training, &new, &settings, &Progress::new())?;
    let first_secs = t.elapsed().as_secs_f64();
    let hwm_monitor = proc_status_bytes("VmHWM");
    let mut runs = vec![first_secs];
    for _ in 0..args.repeats {
        let t = Instant::now();
        let again = monitor(&project, &training, &new, &settings, &Progress::new())?;
        runs.push(t.elapsed().as_secs_f64());
        anyhow::ensure!(again == result, "a second run gave another report");
    }
    let mut sorted = runs.clone();
    sorted.sort_by(f64::total_cmp);
    let median = sorted.get(sorted.len() / 2).copied().unwrap_or(f64::NAN);
    let mb = |b: Option<u64>| b.map(|b| b as f64 / 1e6);
    let out = json!({
        "rows": new.n_rows(),
        "columns": new.n_columns(),
        "file_mb": std::fs::metadata(&data)?.len() as f64 / 1e6,
        "threads": rayon::current_num_threads(),
        "load_s": load_secs,
        "monitor_s": runs,
        "monitor_median_s": median,
        "monitor_over_load": median / load_secs,
        "dataset_heap_mb": new.heap_bytes() as f64 / 1e6,
        "rss_before_load_mb": mb(rss_before),
        "peak_rss_after_load_mb": mb(hwm_load),
        "peak_rss_after_monitor_mb": mb(hwm_monitor),
        "major_drift": result.major().map(|f| f.name.clone()).collect::<Vec<_>>(),
        "envelope_checked_rows": result.envelope.checked_rows,
        "periods": result.periods.as_ref().map_or(0, Vec::len),
        "period_unit": result.time.as_ref().map(|t| t.unit.label()),
        "drift_began": result.time.as_ref().and_then(|t| t.drift_began.clone()),
        "metrics_worse": result.metrics.as_ref().map(|m| m.worse),
    });
    println!("{}", serde_json::to_string_pretty(&out)?);
    Ok(())
}
