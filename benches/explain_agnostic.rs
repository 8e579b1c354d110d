//! Model-agnostic explanations of one row on a model that costs about 10 µs per row.
//!
//! The model is an RBF kernel sum over 1,000 fixed support vectors of 8 features (the shape of
//! an SVM decision function), evaluated row by row. Measured: the model alone on the rows one
//! explanation needs, Kernel SHAP with a 10-row k-means background and the default `n_samples`
//! (8 features: all 254 coalitions, 2,540 model rows), and LIME with 5,000 samples; each on one
//! thread and on the default pool. Run with `cargo bench --bench explain_agnostic`.

// Fixed inputs: a failure here is a bug to stop on, not a condition to handle.
#![allow(clippy::expect_used)]

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use glassbox::Progress;
use glassbox::explain::kernel_shap::{Background, KernelShapOptions, kernel_shap, kmeans_background};
use glassbox::explain::lime::{LimeExplainer, LimeOptions};
use glassbox::matrix::Matrix;
use rand::rngs::ChaCha8Rng;
use rand::{RngExt as _, SeedableRng as _};

const FEATURES: usize = 8;
const SUPPORT_VECTORS: usize = 1000;

/// `b + Σ αᵢ exp(−γ ‖x − svᵢ‖²)`.
struct RbfModel {
    support: Vec<f64>,
    alpha: Vec<f64>,
    gamma: f64,
    bias: f64,
}

impl RbfModel {
    fn new(rng: &mut ChaCha8Rng) -> Self {
        let support = (0..SUPPORT_VECTORS * FEATURES).map(|_| rng.random::<f64>() * 4.0 - 2.0).collect();
        let alpha = (0..SUPPORT_VECTORS).map(|_| rng.random::<f64>() * 2.0 - 1.0).collect();
        Self { support, alpha, gamma: 0.125, bias: 0.1 }
    }

    fn predict(&self, rows: &Matrix) -> Vec<f64> {
        rows.rows()
            .map(|x| {
                let sum: f64 = self
                    .support
                    .chunks_exact(FEATURES)
                    .zip(&self.alpha)
                    .map(|(sv, a)| {
                        let d2: f64 = sv.iter().zip(x).map(|(s, v)| (s - v) * (s - v)).sum();
                        a * (-self.gamma * d2).exp()
                    })
                    .sum();
                self.bias + sum
            })
            .collect()
    }
}

fn data(rng: &mut ChaCha8Rng, n: usize) -> Matrix {
    let values = (0..n * FEATURES).map(|_| rng.random::<f64>() * 4.0 - 2.0).collect();
    Matrix::from_vec(values, n, FEATURES).expect("sizes match")
}

fn on_threads<T: Send>(threads: usize, f: impl FnOnce() -> T + Send) -> T {
    rayon::ThreadPoolBuilder::new().num_threads(threads).build().expect("thread pool").install(f)
}

fn bench_explain(c: &mut Criterion) {
    let mut rng = ChaCha8Rng::seed_from_u64(2024);
    let model = RbfModel::new(&mut rng);
    let predict = |rows: &Matrix| model.predict(rows);
    let training = data(&mut rng, 1000);
    let row = data(&mut rng, 1);
    let (centres, weights) = kmeans_background(&training, 10, 0, &Progress::new()).expect("k-means");
    let background = Background::new(centres, weights).expect("background");
    let lime = LimeExplainer::new(&training, &[]).expect("lime");
    let threads = rayon::current_num_threads();

    let mut group = c.benchmark_group("explain_agnostic");
    group.sample_size(10);
    let shap_rows = data(&mut rng, 2540);
    group.bench_function("model_2540_rows", |b| b.iter(|| black_box(model.predict(&shap_rows))));
    for n_threads in [1, threads] {
        group.bench_function(format!("kernel_shap_1_row_bg10_{n_threads}_threads"), |b| {
            b.iter(|| {
                on_threads(n_threads, || {
                    kernel_shap(&predict, &background, &row, &KernelShapOptions::default(), &Progress::new())
                        .expect("kernel shap")
                })
            });
        });
        group.bench_function(format!("lime_1_row_5000_samples_{n_threads}_threads"), |b| {
            b.iter(|| {
                on_threads(n_threads, || {
                    lime.explain(&predict, &row, &LimeOptions::default(), &Progress::new()).expect("lime")
                })
            });
        });
    }
    group.finish();
}

criterion_group!(benches, bench_explain);
criterion_main!(benches);
