//! What the Plan panel pays per frame and per job, on the AI4I sample (8,000 training rows; the
//! SVM trained on its default stratified sample of 2,000 of them).
//!
//! Measured per call: the fast what-if (prediction, envelope check over 2,000 reference rows,
//! and exact TreeSHAP for the tree), its parts for the SVM, the SVM's KernelSHAP attribution
//! (10-row k-means background, all 62 coalitions of 6 features), a 100-point sweep, and a
//! three-answer counterfactual (exact for the tree, the seeded search for the SVM). Run with
//! `cargo bench --bench plan`.

// Fixed inputs: a failure here is a bug to stop on, not a condition to handle.
#![allow(clippy::expect_used)]

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use glassbox::Progress;
use glassbox::model::ModelParams;
use glassbox::model::svm::SvmParams;
use glassbox::model::train::{TrainSettings, train};
use glassbox::plan::{CounterfactualOptions, Planner, PlannerOptions, Want};

fn bench_plan(c: &mut Criterion) {
    let ds = glassbox::sample::sample_dataset().expect("sample");
    let settings = TrainSettings { target: "Machine failure".into(), ..TrainSettings::default() };
    let tree = train(&ds, &settings, &Progress::new()).expect("tree");
    let svm_settings =
        TrainSettings { params: ModelParams::Svm(SvmParams { c: 50.0, ..SvmParams::default() }), ..settings };
    let svm = train(&ds, &svm_settings, &Progress::new()).expect("svm");
    let planner = |r: &glassbox::model::train::TrainingReport| {
        Planner::new(&r.model, &ds, &r.split.train, &PlannerOptions::default(), &Progress::new()).expect("planner")
    };
    let (tree_planner, svm_planner) = (planner(&tree), planner(&svm));
    // A failing row: the counterfactuals then have work to do.
    let row = (0..ds.n_rows())
        .find(|&r| {
            let s = svm_planner.scenario_from_row(&ds, r).expect("row");
            svm_planner.predict(&s.values()).value == 1.0 && tree_planner.predict(&s.values()).value == 1.0
        })
        .unwrap_or(0);
    let scenario = tree_planner.scenario_from_row(&ds, row).expect("scenario");
    let values = scenario.values();
    let want = Want::Class { class: 0 };
    let cf = CounterfactualOptions::default();

    let mut group = c.benchmark_group("plan");
    group.sample_size(10);
    group.bench_function("planner_new_tree", |b| b.iter(|| black_box(planner(&tree))));
    group.bench_function("tree_what_if_fast", |b| b.iter(|| black_box(tree_planner.what_if_fast(black_box(&values)))));
    group.bench_function("svm_predict", |b| b.iter(|| black_box(svm_planner.predict(black_box(&values)))));
    group.bench_function("svm_envelope", |b| b.iter(|| black_box(svm_planner.check_envelope(black_box(&values)))));
    group.bench_function("svm_what_if_fast", |b| b.iter(|| black_box(svm_planner.what_if_fast(black_box(&values)))));
    group.bench_function("svm_kernel_shap", |b| {
        b.iter(|| black_box(svm_planner.attribution(black_box(&values), &Progress::new()).expect("shap")));
    });
    let torque = 4;
    group.bench_function("svm_sweep_100", |b| b.iter(|| black_box(svm_planner.sweep(&scenario, torque, 100))));
    group.bench_function("tree_counterfactuals_3", |b| {
        b.iter(|| black_box(tree_planner.counterfactuals(&scenario, &want, &cf, &Progress::new()).expect("cf")));
    });
    group.bench_function("svm_counterfactuals_3", |b| {
        b.iter(|| black_box(svm_planner.counterfactuals(&scenario, &want, &cf, &Progress::new()).expect("cf")));
    });
    group.finish();
}

criterion_group!(benches, bench_plan);
criterion_main!(benches);
