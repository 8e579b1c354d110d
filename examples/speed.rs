//! Glassbox's speed on the benchmark data, as one JSON object on stdout.
//!
//! Measures, in process with `std::time::Instant` (a warm-up run, then the median of several;
//! a step whose warm-up alone exceeds `--slow-secs` is reported from that one run):
//! - a depth-8 classification tree fitted on 80,000 rows × 8 features;
//! - RBF SVC fits (no calibration) on 2,000, 8,000 and 40,000 standardised rows, with the test
//!   accuracy and ROC AUC of each on held-out rows;
//! - the Platt-calibrated two-class SVC (`svm::fit_classifier`, 5 internal folds) on 8,000 rows
//!   beside the plain fit of the same rows;
//! - an RBF ε-SVR on the combined-cycle power plant data (`tests/fixtures/datasets/ccpp.csv`,
//!   first 80 % of rows), with R² on the rest;
//! - a linear-kernel SVC (hinge loss, dual coordinate descent) on 100,000 standardised rows;
//! - path-dependent, interventional (100 background rows) and interaction `TreeSHAP` on the
//!   depth-8 fixture tree over 10,000 rows, on one thread and on all threads;
//! - `KernelSHAP` (k-means-10 background, default `n_samples`) of the 8,000-row SVC's decision
//!   function;
//! - LIME (5,000 samples) of the depth-8 tree's P(class 1) and of the 8,000-row SVC's decision
//!   function;
//! - loading a 1,000,000-row × 14-column CSV: time, the dataset's memory and the peak RSS.
//!
//! The SVM fits are timed on one thread and on all threads. Progress goes to stderr.
//! `benches/compare_python.py` runs this and times the Python tools on the same data and
//! settings; `benches/README.md` explains both.
//!
//! ```text
//! cargo run --release --example speed -- --data-dir ../shared/bench-data
//! ```

// A measurement script: its main runs the steps one after another and reads best in one piece.
#![allow(clippy::too_many_lines)]
// A measuring program: casts turn row counts and random numbers into indices and back.
#![allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
// It reads benchmark data of a known shape, whose rows and columns its indices stay within.
#![allow(clippy::indexing_slicing)]

use std::io::{BufWriter, Write as _};
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context as _, bail};
use clap::Parser;
use glassbox::Progress;
use glassbox::data::{Dataset, LoadOptions, load_file};
use glassbox::explain::kernel_shap::{Background, KernelShapOptions, kernel_shap, kmeans_background};
use glassbox::explain::lime::{LimeExplainer, LimeOptions};
use glassbox::explain::tree_shap::{Algorithm, interactions, interventional, path_dependent_with};
use glassbox::matrix::Matrix;
use glassbox::metrics::{regression_metrics, roc_auc};
use glassbox::model::cart::{self, Criterion, TreeParams};
use glassbox::model::smo;
use glassbox::model::svm::{self, BinarySvm, KernelFn, KernelKind, SvmParams};
use glassbox::model::tree::Tree;
use rayon::prelude::*;
use serde_json::{Value, json};

const TREE_JSON: &str = include_str!("../tests/fixtures/treeshap/tree_cls_depth8.json");
const TARGET: &str = "failure";
const TRAIN_ROWS_10K: usize = 8_000;
/// Training rows of the 100k file for SVC sizes above 8,000; its last 20,000 rows are the test.
const TRAIN_ROWS_100K: usize = 80_000;
const CCPP_FEATURES: [&str; 4] = ["AT", "V", "AP", "RH"];
const CCPP_TARGET: &str = "PE";
const LOAD_ROWS: usize = 1_000_000;

#[derive(Parser)]
#[command(about = "Glassbox's speed on the benchmark data, as one JSON object")]
struct Args {
    /// Folder holding `plant_cls_n10000.csv` and `plant_cls_n100000.csv`.
    #[arg(long, default_value = "../shared/bench-data")]
    data_dir: PathBuf,
    /// The 1,000,000-row × 14-column CSV to load; generated (as `benches/load.rs` does) when absent.
    #[arg(long, default_value = "target/bench-data/plant_1m_x14.csv")]
    load_csv: PathBuf,
    /// Timed runs after the warm-up.
    #[arg(long, default_value_t = 5)]
    repeats: usize,
    /// A step whose warm-up takes longer than this is reported from that one run.
    #[arg(long, default_value_t = 20.0)]
    slow_secs: f64,
    /// Training sizes of the SVC fits, ascending: up to 8,000 the first rows of
    /// `plant_cls_n10000.csv` (tested on its rows 8,000…), above that the first rows of
    /// `plant_cls_n100000.csv` (at most 80,000; tested on its rows 80,000…). Stops after the
    /// first size that takes minutes.
    #[arg(long, value_delimiter = ',', default_value = "2000,8000,40000")]
    svc_rows: Vec<usize>,
    /// The combined-cycle power plant CSV of the `svr` step (columns AT, V, AP, RH and PE);
    /// by default the repository's `tests/fixtures/datasets/ccpp.csv`.
    #[arg(long)]
    ccpp_csv: Option<PathBuf>,
    /// Rows explained per `KernelSHAP` measurement.
    #[arg(long, default_value_t = 10)]
    kernel_shap_rows: usize,
    /// Rows explained per LIME measurement of the tree.
    #[arg(long, default_value_t = 50)]
    lime_tree_rows: usize,
    /// Rows explained per LIME measurement of the SVC.
    #[arg(long, default_value_t = 10)]
    lime_svc_rows: usize,
    /// Steps to skip: `load`, `tree_fit`, `svc`, `svc_calibrated`, `svc_path`, `svr`,
    /// `linear_svc`, `tree_shap`, `kernel_shap`, `lime`.
    #[arg(long, value_delimiter = ',')]
    skip: Vec<String>,
    /// A JSON file for the SVC that `KernelSHAP` and LIME explain (the largest fitted on at most
    /// 8,000 rows): written after the `svc` step, read back when that step is skipped, so those
    /// steps can run without refitting it.
    #[arg(long)]
    svc_cache: Option<PathBuf>,
}

/// The SVC of the `svc` step that `KernelSHAP` and LIME explain: training rows, machine, kernel
/// and scaler.
type FittedSvc = (usize, BinarySvm, KernelFn, (Vec<f64>, Vec<f64>));

/// Wall-clock times of one step.
#[derive(Clone)]
struct Timing {
    runs_secs: Vec<f64>,
    warmup_secs: f64,
}

impl Timing {
    fn median_secs(&self) -> f64 {
        let mut v = self.runs_secs.clone();
        v.sort_by(f64::total_cmp);
        let n = v.len();
        if n % 2 == 1 { v[n / 2] } else { f64::midpoint(v[n / 2 - 1], v[n / 2]) }
    }

    fn to_json(&self) -> Value {
        json!({
            "median_s": self.median_secs(),
            "runs_s": self.runs_secs,
            "warmup_s": self.warmup_secs,
            "single_run": self.runs_secs.len() == 1,
        })
    }
}

/// Runs `f` once to warm up, then `repeats` times; a warm-up slower than `slow_secs` is the
/// only run. Returns the times and the last result.
fn measure<T>(repeats: usize, slow_secs: f64, mut f: impl FnMut() -> anyhow::Result<T>) -> anyhow::Result<(Timing, T)> {
    let start = Instant::now();
    let mut last = f()?;
    let warmup_secs = start.elapsed().as_secs_f64();
    if warmup_secs > slow_secs || repeats == 0 {
        return Ok((Timing { runs_secs: vec![warmup_secs], warmup_secs }, last));
    }
    let mut runs_secs = Vec::with_capacity(repeats);
    for _ in 0..repeats {
        let start = Instant::now();
        last = f()?;
        runs_secs.push(start.elapsed().as_secs_f64());
    }
    Ok((Timing { runs_secs, warmup_secs }, last))
}

/// The times of one step on one thread and on all threads.
struct ThreadTimes {
    one: Timing,
    all: Timing,
}

impl ThreadTimes {
    fn to_json(&self) -> Value {
        json!({
            "threads": all_threads(),
            "1_thread": self.one.to_json(),
            "all_threads": self.all.to_json(),
        })
    }
}

/// [`measure`] on a one-thread pool, then on a pool of all threads (once if they are the same);
/// the result is the last of the all-threads runs.
fn measure_threads<T: Send>(
    repeats: usize,
    slow_secs: f64,
    f: impl Fn() -> anyhow::Result<T> + Sync,
) -> anyhow::Result<(ThreadTimes, T)> {
    let one_pool = pool(1)?;
    let (one, last) = measure(repeats, slow_secs, || one_pool.install(&f))?;
    if all_threads() == 1 {
        return Ok((ThreadTimes { all: one.clone(), one }, last));
    }
    drop(last);
    let all_pool = pool(all_threads())?;
    let (all, last) = measure(repeats, slow_secs, || all_pool.install(&f))?;
    Ok((ThreadTimes { one, all }, last))
}

fn pool(threads: usize) -> anyhow::Result<rayon::ThreadPool> {
    Ok(rayon::ThreadPoolBuilder::new().num_threads(threads).build()?)
}

fn all_threads() -> usize {
    std::thread::available_parallelism().map_or(1, std::num::NonZero::get)
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

/// A `VmXxx:  123 kB` line of `/proc/self/status`, in bytes.
fn proc_status_bytes(key: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(key))?;
    let kb: u64 = line.trim_start_matches(key).trim_start_matches(':').split_whitespace().next()?.parse().ok()?;
    Some(kb * 1024)
}

/// The feature matrix (every column but the target, in file order) and the 0/1 target of rows
/// `rows` of a benchmark file.
fn features_and_target(
    ds: &Dataset,
    rows: std::ops::Range<usize>,
) -> anyhow::Result<(Matrix, Vec<usize>, Vec<String>)> {
    let target = ds.column(TARGET).with_context(|| format!("no column '{TARGET}' in {}", ds.name))?;
    let features: Vec<_> = ds.columns.iter().filter(|c| c.name != TARGET).collect();
    if rows.end > ds.n_rows() {
        bail!("{} has {} rows, fewer than the {} needed", ds.name, ds.n_rows(), rows.end);
    }
    let mut values = Vec::with_capacity(rows.len() * features.len());
    for i in rows.clone() {
        values.extend(features.iter().map(|c| c.values[i]));
    }
    let y = rows.clone().map(|i| usize::from(target.values[i] == 1.0)).collect();
    let names = features.iter().map(|c| c.name.clone()).collect();
    Ok((Matrix::from_vec(values, rows.len(), features.len())?, y, names))
}

/// Per-column mean and population standard deviation (`StandardScaler`'s).
fn scaler(x: &Matrix) -> (Vec<f64>, Vec<f64>) {
    let n = x.n_rows().max(1) as f64;
    (0..x.n_cols())
        .map(|j| {
            let col = x.column(j);
            let mean = col.iter().sum::<f64>() / n;
            let var = col.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n;
            (mean, if var > 0.0 { var.sqrt() } else { 1.0 })
        })
        .unzip()
}

fn standardise(x: &Matrix, (mean, std): &(Vec<f64>, Vec<f64>)) -> anyhow::Result<Matrix> {
    let values = x.rows().flat_map(|r| r.iter().zip(mean).zip(std).map(|((v, m), s)| (v - m) / s)).collect();
    Ok(Matrix::from_vec(values, x.n_rows(), x.n_cols())?)
}

/// Accuracy of `score > 0` and ROC AUC of `score` against the labels.
fn accuracy_and_auc(score: &[f64], positive: &[bool]) -> anyhow::Result<(f64, f64)> {
    let hits = score.iter().zip(positive).filter(|&(&s, &p)| (s > 0.0) == p).count();
    Ok((hits as f64 / positive.len().max(1) as f64, roc_auc(positive, score)?))
}

/// The decision values of every row of `x`, in parallel.
fn decisions(model: &BinarySvm, kernel: &KernelFn, x: &Matrix) -> Vec<f64> {
    (0..x.n_rows()).into_par_iter().map(|i| model.decision(kernel, x.row(i))).collect()
}

/// Training rows `0..n` of the SVC benchmark, standardised on themselves, with the test rows of
/// the file they come from (standardised alike).
struct SvcSplit {
    file: &'static str,
    x: Matrix,
    positive: Vec<bool>,
    scale: (Vec<f64>, Vec<f64>),
    test_rows: std::ops::Range<usize>,
    x_test: Matrix,
    positive_test: Vec<bool>,
}

/// Rows `0..n` of the 10k file (tested on its rows 8,000…) up to 8,000 rows, of the 100k file
/// (tested on its rows 80,000…) above that.
fn svc_split(n: usize, small: &Dataset, big: Option<&Dataset>) -> anyhow::Result<SvcSplit> {
    let (file, ds, train_end) = if n <= TRAIN_ROWS_10K {
        ("plant_cls_n10000.csv", small, TRAIN_ROWS_10K)
    } else {
        let big = big.context("plant_cls_n100000.csv is needed for SVC sizes above 8,000")?;
        ("plant_cls_n100000.csv", big, TRAIN_ROWS_100K)
    };
    if n > train_end {
        bail!("an SVC size of {n} rows would overlap the test rows {train_end}… of {file}");
    }
    let (raw, y, _) = features_and_target(ds, 0..n)?;
    let scale = scaler(&raw);
    let x = standardise(&raw, &scale)?;
    let test_rows = train_end..ds.n_rows();
    let (raw_test, y_test, _) = features_and_target(ds, test_rows.clone())?;
    let x_test = standardise(&raw_test, &scale)?;
    Ok(SvcSplit {
        file,
        x,
        positive: y.iter().map(|&c| c == 1).collect(),
        scale,
        test_rows,
        x_test,
        positive_test: y_test.iter().map(|&c| c == 1).collect(),
    })
}

/// Writes the 1,000,000-row × 14-column file `benches/load.rs` writes, byte for byte, streamed
/// so that generating it does not raise the peak memory the load is measured by.
fn write_load_file(path: &Path) -> anyhow::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut out = BufWriter::new(std::fs::File::create(path)?);
    out.write_all(b"UDI,Type,Air temperature [K],Process temperature [K],Rotational speed [rpm],Torque [Nm],Tool wear [min],Vibration [mm/s],Humidity [%],Coolant flow [L/min],Pressure [bar],Power [kW],Current [A],Machine failure\n")?;
    let mut state: u64 = 0x2545_F491_4F6C_DD1D;
    let mut next = || {
        state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    for i in 0..LOAD_ROWS {
        let ty = ["L", "M", "H"][(next() * 3.0) as usize % 3];
        let air = 295.0 + next() * 10.0;
        let torque = 40.0 + (next() - 0.5) * 40.0;
        writeln!(
            out,
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
        )?;
    }
    out.flush()?;
    Ok(())
}

fn bench_load(args: &Args) -> anyhow::Result<Value> {
    if !args.load_csv.exists() {
        eprintln!("writing {} …", args.load_csv.display());
        write_load_file(&args.load_csv)?;
    }
    let file_bytes = std::fs::metadata(&args.load_csv)?.len();
    let rss_before = proc_status_bytes("VmRSS");
    let hwm_before = proc_status_bytes("VmHWM");
    eprintln!("load: {} …", args.load_csv.display());
    let start = Instant::now();
    let ds = load_file(&args.load_csv, &LoadOptions::default(), &Progress::new())?;
    let first_secs = start.elapsed().as_secs_f64();
    // The peak of the first load, before repeated loads (or anything else) can raise it.
    let hwm_after = proc_status_bytes("VmHWM");
    let (rows, cols, heap) = (ds.n_rows(), ds.n_columns(), ds.heap_bytes());
    drop(ds);
    let (timing, _) = measure(args.repeats, args.slow_secs, || {
        Ok(load_file(&args.load_csv, &LoadOptions::default(), &Progress::new())?.n_rows())
    })?;
    let numeric = rows * cols * 8;
    let mb = |b: Option<u64>| b.map(|b| b as f64 / 1e6);
    Ok(json!({
        "file_mb": file_bytes as f64 / 1e6,
        "rows": rows,
        "columns": cols,
        "first_load_s": first_secs,
        "time": timing.to_json(),
        "heap_mb": heap as f64 / 1e6,
        "numeric_mb": numeric as f64 / 1e6,
        "heap_over_numeric": heap as f64 / numeric as f64,
        "rss_before_mb": mb(rss_before),
        "peak_rss_before_mb": mb(hwm_before),
        "peak_rss_after_first_load_mb": mb(hwm_after),
        "peak_rss_over_numeric": hwm_after.map(|h| h as f64 / numeric as f64),
        "peak_rss_increase_over_numeric": hwm_after.zip(rss_before).map(|(h, r)| h.saturating_sub(r) as f64 / numeric as f64),
    }))
}

fn bench_tree_fit(args: &Args, big: &Dataset) -> anyhow::Result<Value> {
    let (x, y, _) = features_and_target(big, 0..80_000)?;
    // scikit-learn's defaults, for a like-for-like fit.
    let params =
        TreeParams { criterion: Criterion::Gini, max_depth: Some(8), min_samples_leaf: 1, min_samples_split: 2 };
    eprintln!("tree fit: 80,000 rows, depth 8 …");
    let (timing, tree) = measure(args.repeats, args.slow_secs, || {
        Ok(cart::fit_classifier(&x, &y, 2, &params, &glassbox::progress::Progress::new())?)
    })?;
    Ok(json!({
        "rows": x.n_rows(),
        "features": x.n_cols(),
        "max_depth": 8,
        "min_samples_leaf": 1,
        "min_samples_split": 2,
        "time": timing.to_json(),
        "tree_depth": tree.depth(),
        "tree_leaves": tree.n_leaves(),
    }))
}

/// One SVC fit per size, ascending; returns the measurements and the SVC that `KernelSHAP` and
/// LIME explain (the largest fitted on at most 8,000 rows) with its scaler and kernel.
fn bench_svc(args: &Args, small: &Dataset, big: Option<&Dataset>) -> anyhow::Result<(Value, Option<FittedSvc>)> {
    let mut sizes = Vec::new();
    let mut explained = None;
    let params = SvmParams::default();
    for &n in &args.svc_rows {
        let split = svc_split(n, small, big)?;
        let kernel = KernelFn::from_params(&params, &split.x);
        eprintln!("SVC fit: {n} rows …");
        let (times, model) = measure_threads(args.repeats.min(3), args.slow_secs, || {
            Ok(svm::fit_binary(&split.x, &split.positive, &params, &kernel, &Progress::new(), false)?)
        })?;
        let (train_accuracy, _) = accuracy_and_auc(&decisions(&model, &kernel, &split.x), &split.positive)?;
        let (test_accuracy, test_auc) =
            accuracy_and_auc(&decisions(&model, &kernel, &split.x_test), &split.positive_test)?;
        eprintln!(
            "  {:.3} s on 1 thread, {:.3} s on {}; {} support vectors; test acc. {test_accuracy:.4}, AUC {test_auc:.4}",
            times.one.median_secs(),
            times.all.median_secs(),
            all_threads(),
            model.coef.len()
        );
        let mut value = times.to_json();
        if let Value::Object(o) = &mut value {
            o.insert("rows".to_owned(), json!(n));
            o.insert("file".to_owned(), json!(split.file));
            o.insert("n_support".to_owned(), json!(model.coef.len()));
            o.insert("gamma".to_owned(), json!(kernel.gamma));
            o.insert("train_accuracy".to_owned(), json!(train_accuracy));
            o.insert("test_rows".to_owned(), json!([split.test_rows.start, split.test_rows.end]));
            o.insert("test_accuracy".to_owned(), json!(test_accuracy));
            o.insert("test_auc".to_owned(), json!(test_auc));
        }
        sizes.push(value);
        let minutes = times.all.median_secs() > 60.0;
        if n <= TRAIN_ROWS_10K {
            explained = Some((n, model, kernel, split.scale));
        }
        if minutes {
            break;
        }
    }
    let value = json!({
        "kernel": "rbf",
        "c": params.c,
        "tol": params.tol,
        "cache_mb": params.cache_mb,
        "gamma": "scale",
        "standardised": true,
        "calibrated": false,
        "sizes": sizes,
    });
    Ok((value, explained))
}

/// The two-class classifier with Platt calibration (`svm::fit_classifier`: the machine plus five
/// internal cross-validation fits) beside the plain fit of the same 8,000 rows.
fn bench_svc_calibrated(args: &Args, small: &Dataset) -> anyhow::Result<Value> {
    let split = svc_split(TRAIN_ROWS_10K, small, None)?;
    let params = SvmParams::default();
    let kernel = KernelFn::from_params(&params, &split.x);
    let classes: Vec<usize> = split.positive.iter().map(|&p| usize::from(p)).collect();
    eprintln!("SVC fit, plain and Platt-calibrated: {} rows …", split.x.n_rows());
    let (plain, _) = measure_threads(args.repeats.min(3), args.slow_secs, || {
        Ok(svm::fit_binary(&split.x, &split.positive, &params, &kernel, &Progress::new(), false)?)
    })?;
    let (calibrated, model) = measure_threads(args.repeats.min(3), args.slow_secs, || {
        Ok(svm::fit_classifier(&split.x, &classes, 2, &params, 0, &Progress::new())?)
    })?;
    let p1: Vec<f64> =
        (0..split.x_test.n_rows()).into_par_iter().map(|i| model.probabilities(split.x_test.row(i))[1]).collect();
    let hits = (0..split.x_test.n_rows())
        .filter(|&i| (model.predict(split.x_test.row(i)) == 1) == split.positive_test[i])
        .count();
    let test_auc = roc_auc(&split.positive_test, &p1)?;
    let ratio = |c: &Timing, p: &Timing| c.median_secs() / p.median_secs();
    eprintln!(
        "  calibrated {:.3} s / plain {:.3} s on 1 thread, {:.3} / {:.3} s on {}",
        calibrated.one.median_secs(),
        plain.one.median_secs(),
        calibrated.all.median_secs(),
        plain.all.median_secs(),
        all_threads()
    );
    let platt = model.machines.first().map(|m| json!({"a": m.platt.a, "b": m.platt.b}));
    Ok(json!({
        "rows": split.x.n_rows(),
        "file": split.file,
        "kernel": "rbf",
        "c": params.c,
        "tol": params.tol,
        "gamma": "scale",
        "internal_folds": 5,
        "seed": 0,
        "calibrated": calibrated.to_json(),
        "plain": plain.to_json(),
        "calibrated_over_plain": {
            "1_thread": ratio(&calibrated.one, &plain.one),
            "all_threads": ratio(&calibrated.all, &plain.all),
        },
        "platt": platt,
        "test_rows": [split.test_rows.start, split.test_rows.end],
        "test_accuracy": hits as f64 / split.x_test.n_rows().max(1) as f64,
        "test_auc_probability": test_auc,
    }))
}

/// The three costs of the search grid (C 0.1, 1, 10 at γ = `scale`) on the same 8,000 rows: as
/// one path sharing its kernel columns (`svm::fit_binary_path`, as the grid search fits them)
/// and as three fits of their own. The decision values of both are compared on the test rows.
fn bench_svc_path(args: &Args, small: &Dataset) -> anyhow::Result<Value> {
    let split = svc_split(TRAIN_ROWS_10K, small, None)?;
    let params = SvmParams::default();
    let kernel = KernelFn::from_params(&params, &split.x);
    let costs = [0.1, 1.0, 10.0];
    eprintln!("SVC fits at C {costs:?}: {} rows, as one path and one by one …", split.x.n_rows());
    let (path, on_path) = measure_threads(args.repeats.min(3), args.slow_secs, || {
        Ok(svm::fit_binary_path(&split.x, &split.positive, &params, &costs, &kernel, &Progress::new(), false)?)
    })?;
    let (alone, one_by_one) = measure_threads(args.repeats.min(3), args.slow_secs, || {
        costs
            .iter()
            .map(|&c| {
                let p = SvmParams { c, ..params.clone() };
                Ok(svm::fit_binary(&split.x, &split.positive, &p, &kernel, &Progress::new(), false)?)
            })
            .collect::<anyhow::Result<Vec<_>>>()
    })?;
    let largest_difference: Vec<f64> = on_path
        .iter()
        .zip(&one_by_one)
        .map(|(a, b)| {
            (0..split.x_test.n_rows())
                .map(|i| (a.decision(&kernel, split.x_test.row(i)) - b.decision(&kernel, split.x_test.row(i))).abs())
                .fold(0.0, f64::max)
        })
        .collect();
    eprintln!(
        "  path {:.3} s / one by one {:.3} s on 1 thread, {:.3} / {:.3} s on {}",
        path.one.median_secs(),
        alone.one.median_secs(),
        path.all.median_secs(),
        alone.all.median_secs(),
        all_threads()
    );
    Ok(json!({
        "rows": split.x.n_rows(),
        "file": split.file,
        "kernel": "rbf",
        "gamma": "scale",
        "costs": costs,
        "tol": params.tol,
        "cache_mb": params.cache_mb,
        "path": path.to_json(),
        "one_by_one": alone.to_json(),
        "largest_test_decision_difference": largest_difference,
    }))
}

/// The named columns of rows `rows`, as a matrix.
fn columns(ds: &Dataset, names: &[&str], rows: std::ops::Range<usize>) -> anyhow::Result<Matrix> {
    let cols = names
        .iter()
        .map(|n| ds.column(n).with_context(|| format!("no column '{n}' in {}", ds.name)))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let values = rows.clone().flat_map(|i| cols.iter().map(move |c| c.values[i])).collect();
    Ok(Matrix::from_vec(values, rows.len(), names.len())?)
}

/// ε-SVR (RBF, C = 1, ε = 0.1, γ = `scale`) on the first 80 % of the power plant rows, features
/// standardised on them, target raw; R² on the remaining rows.
fn bench_svr(args: &Args, path: &Path) -> anyhow::Result<Value> {
    let ds = load_file(path, &LoadOptions::default(), &Progress::new())
        .with_context(|| format!("reading {}", path.display()))?;
    let n = ds.n_rows();
    let n_train = n * 4 / 5;
    let raw = columns(&ds, &CCPP_FEATURES, 0..n_train)?;
    let scale = scaler(&raw);
    let x = standardise(&raw, &scale)?;
    let x_test = standardise(&columns(&ds, &CCPP_FEATURES, n_train..n)?, &scale)?;
    let target = &ds.column(CCPP_TARGET).with_context(|| format!("no column '{CCPP_TARGET}' in {}", ds.name))?.values;
    let (y, y_test) = target.split_at(n_train);
    let params = SvmParams { c: 1.0, epsilon: 0.1, ..SvmParams::default() };
    eprintln!("SVR fit: {n_train} rows …");
    let (times, model) = measure_threads(args.repeats.min(3), args.slow_secs, || {
        Ok(svm::fit_regressor(&x, y, &params, &Progress::new())?)
    })?;
    let predict = |m: &Matrix| (0..m.n_rows()).into_par_iter().map(|i| model.predict(m.row(i))).collect::<Vec<_>>();
    let train_r2 = regression_metrics(y, &predict(&x))?.r2;
    let test_r2 = regression_metrics(y_test, &predict(&x_test))?.r2;
    eprintln!(
        "  {:.3} s on 1 thread, {:.3} s on {}; {} support vectors; test R² {test_r2:.4}",
        times.one.median_secs(),
        times.all.median_secs(),
        all_threads(),
        model.svm.coef.len()
    );
    let mut value = times.to_json();
    if let Value::Object(o) = &mut value {
        for (k, v) in [
            ("file", json!(path.file_name().map(|f| f.to_string_lossy().into_owned()))),
            ("features", json!(CCPP_FEATURES)),
            ("target", json!(CCPP_TARGET)),
            ("train_rows", json!([0, n_train])),
            ("test_rows", json!([n_train, n])),
            ("kernel", json!("rbf")),
            ("c", json!(params.c)),
            ("epsilon", json!(params.epsilon)),
            ("tol", json!(params.tol)),
            ("gamma", json!("scale")),
            ("gamma_value", json!(model.kernel.gamma)),
            ("n_support", json!(model.svm.coef.len())),
            ("train_r2", json!(train_r2)),
            ("test_r2", json!(test_r2)),
        ] {
            o.insert(k.to_owned(), v);
        }
    }
    Ok(value)
}

/// A linear-kernel SVC through `svm::fit_binary` (`LinearSVC(loss="hinge")`'s problem, dual
/// coordinate descent) on every row of the 100k file, standardised, C = 1.
fn bench_linear_svc(args: &Args, big: &Dataset) -> anyhow::Result<Value> {
    let (raw, y, _) = features_and_target(big, 0..big.n_rows())?;
    let x = standardise(&raw, &scaler(&raw))?;
    let positive: Vec<bool> = y.iter().map(|&c| c == 1).collect();
    let params = SvmParams { kernel: KernelKind::Linear, c: 1.0, tol: 1e-4, ..SvmParams::default() };
    let kernel = KernelFn::from_params(&params, &x);
    eprintln!("linear SVC fit: {} rows …", x.n_rows());
    let (times, model) = measure_threads(args.repeats.min(3), args.slow_secs, || {
        Ok(svm::fit_binary(&x, &positive, &params, &kernel, &Progress::new(), false)?)
    })?;
    let (train_accuracy, train_auc) = accuracy_and_auc(&decisions(&model, &kernel, &x), &positive)?;
    // The solver's own account of the same fit (same settings, same seed), untimed: epochs run
    // and whether the tolerance or the epoch cap stopped it.
    let solver =
        smo::LinearSvcParams { c: params.c, loss: smo::LinearLoss::Hinge, tol: params.tol, ..Default::default() };
    let sol = smo::fit_linear_svc(
        smo::Rows::new(x.as_slice(), x.n_rows(), x.n_cols())?,
        &positive,
        &solver,
        &mut |_: &smo::SolverStatus| true,
    )?;
    let same = model.linear_weights.as_deref() == Some(sol.weights.as_slice()) && model.bias == sol.bias;
    eprintln!(
        "  {:.3} s on 1 thread, {:.3} s on {}; {} epochs ({:?}); training accuracy {train_accuracy:.4}",
        times.one.median_secs(),
        times.all.median_secs(),
        all_threads(),
        sol.epochs,
        sol.stop
    );
    let mut value = times.to_json();
    if let Value::Object(o) = &mut value {
        for (k, v) in [
            ("rows", json!(x.n_rows())),
            ("file", json!("plant_cls_n100000.csv")),
            ("loss", json!("hinge")),
            ("c", json!(params.c)),
            ("tol", json!(solver.tol)),
            ("max_epochs", json!(solver.max_epochs)),
            ("bias_feature", json!(solver.bias_feature)),
            ("epochs", json!(sol.epochs)),
            ("converged", json!(sol.stop == smo::StopReason::Converged)),
            ("final_gap", json!(sol.gap)),
            ("dual_objective", json!(sol.objective)),
            ("n_support", json!(sol.n_support)),
            ("solver_matches_fit_binary", json!(same)),
            ("train_accuracy", json!(train_accuracy)),
            ("train_auc", json!(train_auc)),
        ] {
            o.insert(k.to_owned(), v);
        }
    }
    Ok(value)
}

fn rows_per_sec(rows: usize, t: &Timing) -> f64 {
    rows as f64 / t.median_secs()
}

fn bench_tree_shap(args: &Args, tree: &Tree, x: &Matrix, background: &Matrix) -> anyhow::Result<Value> {
    let p = Progress::new();
    let n = x.n_rows();
    let mut out = serde_json::Map::new();
    for (label, threads) in [("1_thread", 1), ("all_threads", all_threads())] {
        let pool = pool(threads)?;
        eprintln!("TreeSHAP on {threads} thread(s) …");
        let (path, _) = measure(args.repeats, args.slow_secs, || {
            Ok(pool.install(|| path_dependent_with(tree, x, 1, Algorithm::Auto, &p))?)
        })?;
        let walk_rows = x.select_rows(&(0..n.min(2_000)).collect::<Vec<_>>());
        let (walk, _) = measure(args.repeats, args.slow_secs, || {
            Ok(pool.install(|| path_dependent_with(tree, &walk_rows, 1, Algorithm::Walk, &p))?)
        })?;
        let (intervention, _) =
            measure(args.repeats, args.slow_secs, || Ok(pool.install(|| interventional(tree, x, background, 1, &p))?))?;
        let (interaction, _) =
            measure(args.repeats, args.slow_secs, || Ok(pool.install(|| interactions(tree, x, 1, &p))?))?;
        out.insert(
            label.to_owned(),
            json!({
                "threads": threads,
                "path_dependent_rows_per_s": rows_per_sec(n, &path),
                "path_dependent": path.to_json(),
                "path_dependent_walk_rows_per_s": rows_per_sec(walk_rows.n_rows(), &walk),
                "path_dependent_walk_rows": walk_rows.n_rows(),
                "interventional_rows_per_s": rows_per_sec(n, &intervention),
                "interventional": intervention.to_json(),
                "interactions_rows_per_s": rows_per_sec(n, &interaction),
                "interactions": interaction.to_json(),
            }),
        );
    }
    out.insert("rows".to_owned(), json!(n));
    out.insert("background_rows".to_owned(), json!(background.n_rows()));
    out.insert("tree_leaves".to_owned(), json!(tree.n_leaves()));
    out.insert("tree_depth".to_owned(), json!(tree.depth()));
    out.insert("output".to_owned(), json!("P(failure = 1)"));
    Ok(Value::Object(out))
}

/// Times `f` (which explains `rows` rows) on one thread and on all threads; milliseconds per row.
fn per_row_ms(args: &Args, rows: usize, f: impl Fn() -> anyhow::Result<()> + Sync) -> anyhow::Result<Value> {
    let mut out = serde_json::Map::new();
    for (label, threads) in [("1_thread", 1), ("all_threads", all_threads())] {
        let pool = pool(threads)?;
        let (t, ()) = measure(args.repeats.min(3), args.slow_secs, || pool.install(&f))?;
        out.insert(format!("{label}_ms_per_row"), json!(t.median_secs() * 1e3 / rows as f64));
        out.insert(label.to_owned(), t.to_json());
    }
    out.insert("rows".to_owned(), json!(rows));
    Ok(Value::Object(out))
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let skip = |step: &str| args.skip.iter().any(|s| s == step);
    let mut report = serde_json::Map::new();
    report.insert("threads".to_owned(), json!(all_threads()));
    report.insert("load_average_start".to_owned(), json!(load_average()));

    // First, so the peak RSS it reports is the load's and not an earlier step's.
    if !skip("load") {
        report.insert("load_csv".to_owned(), bench_load(&args)?);
    }

    let small_path = args.data_dir.join("plant_cls_n10000.csv");
    let small = load_file(&small_path, &LoadOptions::default(), &Progress::new())
        .with_context(|| format!("reading {}", small_path.display()))?;
    let (x_small, _, names) = features_and_target(&small, 0..small.n_rows())?;
    let (x_train, _, _) = features_and_target(&small, 0..TRAIN_ROWS_10K)?;
    let (x_test, _, _) = features_and_target(&small, TRAIN_ROWS_10K..small.n_rows())?;
    report.insert("features".to_owned(), json!(names));

    let need_big =
        !skip("tree_fit") || !skip("linear_svc") || (!skip("svc") && args.svc_rows.iter().any(|&n| n > TRAIN_ROWS_10K));
    let big = if need_big {
        let big_path = args.data_dir.join("plant_cls_n100000.csv");
        Some(
            load_file(&big_path, &LoadOptions::default(), &Progress::new())
                .with_context(|| format!("reading {}", big_path.display()))?,
        )
    } else {
        None
    };

    if !skip("tree_fit")
        && let Some(big) = &big
    {
        report.insert("tree_fit".to_owned(), bench_tree_fit(&args, big)?);
    }

    let tree = Tree::from_sklearn_json(&serde_json::from_str(TREE_JSON)?)?;
    if !skip("tree_shap") {
        // The fixture's background: rows 100..199 (the 1k file is a prefix of the 10k one).
        let background = x_small.select_rows(&(100..200).collect::<Vec<_>>());
        report.insert("tree_shap".to_owned(), bench_tree_shap(&args, &tree, &x_small, &background)?);
    }

    let svc: Option<FittedSvc> = if skip("svc") {
        match &args.svc_cache {
            Some(path) if path.exists() => {
                let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
                Some(serde_json::from_str(&text).with_context(|| format!("reading {}", path.display()))?)
            }
            _ => None,
        }
    } else {
        let (value, explained) = bench_svc(&args, &small, big.as_ref())?;
        report.insert("svc_fit".to_owned(), value);
        if let (Some(path), Some(fitted)) = (&args.svc_cache, &explained) {
            std::fs::write(path, serde_json::to_string(fitted)?)
                .with_context(|| format!("writing {}", path.display()))?;
        }
        explained
    };

    if !skip("svc_calibrated") {
        report.insert("svc_calibrated".to_owned(), bench_svc_calibrated(&args, &small)?);
    }
    if !skip("svc_path") {
        report.insert("svc_path".to_owned(), bench_svc_path(&args, &small)?);
    }
    if !skip("svr") {
        let path = args
            .ccpp_csv
            .clone()
            .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/datasets/ccpp.csv"));
        report.insert("svr".to_owned(), bench_svr(&args, &path)?);
    }
    if !skip("linear_svc")
        && let Some(big) = &big
    {
        report.insert("linear_svc".to_owned(), bench_linear_svc(&args, big)?);
    }

    if !skip("kernel_shap")
        && let Some((n_train, model, kernel, scale)) = &svc
    {
        let train = standardise(&x_small.select_rows(&(0..*n_train).collect::<Vec<_>>()), scale)?;
        let rows = standardise(&x_test.select_rows(&(0..args.kernel_shap_rows).collect::<Vec<_>>()), scale)?;
        let (centres, weights) = kmeans_background(&train, 10, 0, &Progress::new())?;
        let background = Background::new(centres, weights)?;
        let decision = |m: &Matrix| m.rows().map(|r| model.decision(kernel, r)).collect::<Vec<_>>();
        let options = KernelShapOptions::default();
        eprintln!("KernelSHAP: {} rows …", rows.n_rows());
        let mut value = per_row_ms(&args, rows.n_rows(), || {
            kernel_shap(&decision, &background, &rows, &options, &Progress::new())?;
            Ok(())
        })?;
        // What one explanation costs in model calls alone: the coalition rows it evaluates.
        let m = rows.n_cols();
        let coalitions = (2 * m + 2048).min((1usize << m) - 2);
        let synthetic = Matrix::from_vec(
            (0..coalitions * background.rows().n_rows()).flat_map(|i| rows.row(i % rows.n_rows()).to_vec()).collect(),
            coalitions * background.rows().n_rows(),
            m,
        )?;
        let (model_time, _) = measure(args.repeats, args.slow_secs, || Ok(decision(&synthetic)))?;
        if let Value::Object(o) = &mut value {
            o.insert("svc_train_rows".to_owned(), json!(n_train));
            o.insert("n_support".to_owned(), json!(model.coef.len()));
            o.insert("background".to_owned(), json!("k-means, 10 centres"));
            o.insert("coalitions_per_row".to_owned(), json!(coalitions));
            o.insert("output".to_owned(), json!("SVC decision function"));
            o.insert("model_only_ms_per_row_1_thread".to_owned(), json!(model_time.median_secs() * 1e3));
        }
        report.insert("kernel_shap".to_owned(), value);
    }

    if !skip("lime") {
        let mut lime = serde_json::Map::new();
        let options = LimeOptions::default();
        let explainer = LimeExplainer::new(&x_train, &[])?;
        let rows = x_test.select_rows(&(0..args.lime_tree_rows).collect::<Vec<_>>());
        let tree_p1 =
            |m: &Matrix| m.rows().map(|r| tree.predict(r).get(1).copied().unwrap_or(f64::NAN)).collect::<Vec<_>>();
        eprintln!("LIME on the tree: {} rows …", rows.n_rows());
        let mut value = per_row_ms(&args, rows.n_rows(), || {
            explainer.explain(&tree_p1, &rows, &options, &Progress::new())?;
            Ok(())
        })?;
        if let Value::Object(o) = &mut value {
            o.insert("output".to_owned(), json!("P(failure = 1) of the depth-8 fixture tree"));
        }
        lime.insert("tree".to_owned(), value);
        if let Some((n_train, model, kernel, scale)) = &svc {
            let train = standardise(&x_small.select_rows(&(0..*n_train).collect::<Vec<_>>()), scale)?;
            let explainer = LimeExplainer::new(&train, &[])?;
            let rows = standardise(&x_test.select_rows(&(0..args.lime_svc_rows).collect::<Vec<_>>()), scale)?;
            let decision = |m: &Matrix| m.rows().map(|r| model.decision(kernel, r)).collect::<Vec<_>>();
            eprintln!("LIME on the SVC: {} rows …", rows.n_rows());
            let mut value = per_row_ms(&args, rows.n_rows(), || {
                explainer.explain(&decision, &rows, &options, &Progress::new())?;
                Ok(())
            })?;
            if let Value::Object(o) = &mut value {
                o.insert("svc_train_rows".to_owned(), json!(n_train));
                o.insert("output".to_owned(), json!("SVC decision function"));
            }
            lime.insert("svc".to_owned(), value);
        }
        lime.insert("n_samples".to_owned(), json!(options.n_samples));
        report.insert("lime".to_owned(), Value::Object(lime));
    }

    report.insert("load_average_end".to_owned(), json!(load_average()));
    println!("{}", serde_json::to_string_pretty(&Value::Object(report))?);
    Ok(())
}
