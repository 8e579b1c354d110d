//! `TreeSHAP` speed in rows per second (criterion's throughput): path-dependent, interventional
//! (100 background rows) and interaction values, on one thread and on all threads, for the
//! depth-8 fixture tree (110 leaves) and for a generated depth-20 tree. Each measurement includes
//! building the per-leaf tables. Run with `cargo bench --bench tree_shap`.

// A bench stops at broken fixtures; the generators cast random numbers to indices.
#![allow(clippy::expect_used, clippy::cast_possible_truncation, clippy::cast_sign_loss)]
// The generated trees and rows have the shapes the bench builds, so its indices are in range.
#![allow(clippy::indexing_slicing)]

use std::hint::black_box;

use criterion::{BenchmarkGroup, Criterion, Throughput, criterion_group, criterion_main, measurement::WallTime};
use glassbox::Progress;
use glassbox::explain::tree_shap::{Algorithm, interactions, interventional, path_dependent, path_dependent_with};
use glassbox::matrix::Matrix;
use glassbox::model::tree::{LEAF, Tree};
use rayon::ThreadPool;

const TREE_JSON: &str = include_str!("../tests/fixtures/treeshap/tree_cls_depth8.json");
const REFERENCE_JSON: &str = include_str!("../tests/fixtures/treeshap/shap_ref_cls_depth8.json");
/// Rows explained per iteration (the fixture's 100 rows repeated).
const ROWS: usize = 10_000;

fn matrix(v: &serde_json::Value) -> Matrix {
    let rows: Vec<Vec<f64>> = v
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| r.as_array().expect("a row").iter().map(|x| x.as_f64().expect("a number")).collect())
        .collect();
    Matrix::from_rows(&rows, rows[0].len()).expect("equal rows")
}

fn repeat_rows(x: &Matrix, n: usize) -> Matrix {
    x.select_rows(&(0..n).map(|i| i % x.n_rows()).collect::<Vec<_>>())
}

/// A small linear congruential generator: the same numbers on every machine.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> f64 {
        self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// A tree of depth 20 over `n_features` features in [0, 1): the leftmost path always splits,
/// other nodes split with probability 1/2 (about 200 leaves); covers as a fitted tree's.
fn deep_tree(n_features: usize) -> Tree {
    let mut rng = Lcg(7);
    let mut t = Tree {
        left: vec![LEAF],
        right: vec![LEAF],
        feature: vec![0],
        threshold: vec![0.0],
        cover: vec![1e15],
        values: vec![0.5, 0.5],
        n_outputs: 2,
        n_features,
    };
    let mut open = vec![(0usize, 0usize, true)];
    while let Some((node, depth, spine)) = open.pop() {
        let cover = t.cover[node];
        if depth >= 20 || cover < 2.0 || !(spine || rng.next() < 0.5) {
            let v = rng.next();
            t.values[2 * node..2 * node + 2].copy_from_slice(&[1.0 - v, v]);
            continue;
        }
        t.feature[node] = if spine { depth % n_features } else { (rng.next() * n_features as f64) as usize };
        t.threshold[node] = rng.next();
        let left_cover = ((0.1 + 0.8 * rng.next()) * cover).floor().clamp(1.0, cover - 1.0);
        for (i, child_cover) in [left_cover, cover - left_cover].into_iter().enumerate() {
            let id = t.left.len();
            t.left.push(LEAF);
            t.right.push(LEAF);
            t.feature.push(0);
            t.threshold.push(0.0);
            t.cover.push(child_cover);
            t.values.extend([0.5, 0.5]);
            if i == 0 {
                t.left[node] = id;
            } else {
                t.right[node] = id;
            }
            open.push((id, depth + 1, spine && i == 0));
        }
    }
    t.validate().expect("a valid tree");
    t
}

fn random_rows(seed: u64, n: usize, n_features: usize) -> Matrix {
    let mut rng = Lcg(seed);
    Matrix::from_vec((0..n * n_features).map(|_| rng.next()).collect(), n, n_features).expect("sizes match")
}

/// Benchmarks the three explanations of `tree` on one thread and on all threads.
fn bench_tree(
    group: &mut BenchmarkGroup<'_, WallTime>,
    pools: &[(&str, ThreadPool)],
    tree: &Tree,
    x: &Matrix,
    bg: &Matrix,
) {
    let p = Progress::new();
    let n = x.n_rows() as u64;
    for (threads, pool) in pools {
        group.throughput(Throughput::Elements(n));
        group.bench_function(format!("path_dependent/{threads}"), |b| {
            b.iter(|| pool.install(|| black_box(path_dependent(tree, x, 1, &p).expect("explains"))));
        });
        group.bench_function(format!("interventional_100bg/{threads}"), |b| {
            b.iter(|| pool.install(|| black_box(interventional(tree, x, bg, 1, &p).expect("explains"))));
        });
        group.bench_function(format!("interactions/{threads}"), |b| {
            b.iter(|| pool.install(|| black_box(interactions(tree, x, 1, &p).expect("explains"))));
        });
        // The fallback for trees whose tables would not fit.
        let few = x.select_rows(&(0..1_000).collect::<Vec<_>>());
        group.throughput(Throughput::Elements(few.n_rows() as u64));
        group.bench_function(format!("path_dependent_walk/{threads}"), |b| {
            b.iter(|| {
                pool.install(|| black_box(path_dependent_with(tree, &few, 1, Algorithm::Walk, &p).expect("explains")))
            });
        });
    }
}

fn bench_tree_shap(c: &mut Criterion) {
    let pool = |n| rayon::ThreadPoolBuilder::new().num_threads(n).build().expect("a thread pool");
    let all = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    let pools = [("1_thread", pool(1)), ("all_threads", pool(all))];

    let tree = Tree::from_sklearn_json(&serde_json::from_str(TREE_JSON).expect("JSON")).expect("a tree");
    let reference: serde_json::Value = serde_json::from_str(REFERENCE_JSON).expect("JSON");
    let x = repeat_rows(&matrix(&reference["X_f32"]), ROWS);
    let bg = matrix(&reference["background_X_f32"]);
    let mut group = c.benchmark_group("tree_shap_depth8");
    group.sample_size(10);
    bench_tree(&mut group, &pools, &tree, &x, &bg);
    group.finish();

    let deep = deep_tree(8);
    let mut group = c.benchmark_group("tree_shap_depth20");
    group.sample_size(10);
    bench_tree(&mut group, &pools, &deep, &random_rows(1, ROWS, 8), &random_rows(2, 100, 8));
    group.finish();
}

criterion_group!(benches, bench_tree_shap);
criterion_main!(benches);
