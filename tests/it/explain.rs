//! Explanations end to end: the CLI on a trained project, and cross-checks between methods.

use std::path::Path;
use std::process::Command;

use glassbox::Progress;
use glassbox::data::{LoadOptions, Role, load_file};
use glassbox::explain::model::{LocalOptions, Method, explain_rows, impurity_importance};
use glassbox::model::train::{TrainSettings, train};

use crate::fixture;

fn glassbox(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_glassbox")).args(args).output().expect("runs");
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8")
}

fn read_csv(path: &Path) -> (Vec<String>, Vec<Vec<f64>>) {
    let text = std::fs::read_to_string(path).expect("csv");
    let mut lines = text.lines();
    let header = lines.next().expect("header").split(',').map(str::to_owned).collect();
    let rows = lines.map(|l| l.split(',').map(|v| v.parse().expect("number")).collect()).collect();
    (header, rows)
}

#[test]
fn explain_command_writes_shap_that_adds_up() {
    let dir = tempfile::tempdir().expect("dir");
    let project = dir.path().join("ai4i.glassbox");
    let data = fixture("datasets/ai4i2020.csv");
    glassbox(&["train", s(&data), "--target", "Machine failure", "--max-depth", "6", "--out", s(&project)]);
    for method in ["tree-shap", "interventional-shap", "kernel-shap", "lime"] {
        let out = dir.path().join(format!("{method}.csv"));
        let rows = if method == "tree-shap" { "0..10000" } else { "100..130" };
        glassbox(&[
            "explain",
            s(&project),
            "--method",
            method,
            "--rows",
            rows,
            "--background",
            "20",
            "--seed",
            "3",
            "--out",
            s(&out),
        ]);
        let (header, values) = read_csv(&out);
        assert_eq!(&header[..3], ["row", "prediction", "base_value"], "{method}");
        assert_eq!(header[3..].len(), 7, "{method}: one column per feature, named as in the data: {header:?}");
        assert!(header.contains(&"Torque [Nm]".to_owned()));
        let first: f64 = if method == "tree-shap" { 0.0 } else { 100.0 };
        assert_eq!(values[0][0], first);
        if method != "lime" {
            for r in &values {
                let sum: f64 = r[2] + r[3..].iter().sum::<f64>();
                assert!((sum - r[1]).abs() < 1e-9, "{method} row {}: base + Σφ = {sum}, prediction {}", r[0], r[1]);
            }
        }
        // Same seed, same numbers.
        let again = dir.path().join(format!("{method}-again.csv"));
        glassbox(&[
            "explain",
            s(&project),
            "--method",
            method,
            "--rows",
            rows,
            "--background",
            "20",
            "--seed",
            "3",
            "--out",
            s(&again),
        ]);
        assert!(std::fs::read(&out).expect("a") == std::fs::read(&again).expect("b"), "{method} is deterministic");
    }
    let out = dir.path().join("perm.csv");
    glassbox(&["explain", s(&project), "--method", "permutation", "--out", s(&out)]);
    let text = std::fs::read_to_string(&out).expect("perm");
    assert!(text.starts_with("feature,importance_mean,importance_std,baseline_score\n"));
    assert_eq!(text.lines().count(), 8);
    let torque = text.lines().find(|l| l.starts_with("Torque [Nm],")).expect("torque row");
    let mean: f64 = torque.split(',').nth(1).expect("mean").parse().expect("number");
    assert!(mean > 0.0, "shuffling torque must cost accuracy: {torque}");
}

#[test]
fn kernel_shap_with_full_enumeration_equals_interventional_tree_shap() {
    // With every coalition enumerated KernelSHAP is the exact interventional Shapley value, so on
    // a tree with numeric features (no one-hot groups) the two methods must agree.
    let mut ds = load_file(&fixture("datasets/ccpp.csv"), &LoadOptions::default(), &Progress::new()).expect("loads");
    let t = ds.column_index("PE").expect("PE");
    ds.set_role(t, Role::Target);
    let r = train(&ds, &TrainSettings { target: "PE".into(), ..TrainSettings::default() }, &Progress::new())
        .expect("trains");
    let rows: Vec<usize> = (0..25).collect();
    let background: Vec<usize> = r.split.train[..12].to_vec();
    let opts = |method| LocalOptions { method, background: 12, seed: 1, ..LocalOptions::default() };
    let kernel =
        explain_rows(&r.model, &ds, &rows, &background, &opts(Method::KernelShap), &Progress::new()).expect("kernel");
    let tree = explain_rows(&r.model, &ds, &rows, &background, &opts(Method::InterventionalShap), &Progress::new())
        .expect("tree");
    assert!((kernel.base_values[0] - tree.base_values[0]).abs() < 1e-9);
    for i in 0..rows.len() {
        for j in 0..4 {
            let (a, b) = (kernel.values.get(i, j), tree.values.get(i, j));
            assert!((a - b).abs() < 1e-8, "row {i} feature {j}: kernel {a} vs tree {b}");
        }
    }
    // Impurity importance: AT dominates the power output of a combined-cycle plant.
    let imp = impurity_importance(&r.model).expect("tree");
    assert!((imp.iter().sum::<f64>() - 1.0).abs() < 1e-12);
    let at = r.model.feature_names().iter().position(|f| *f == "AT").expect("AT");
    assert!(imp.iter().all(|&v| v <= imp[at]), "{imp:?}");
}

#[test]
fn categorical_features_are_reported_as_one_feature() {
    let ds = load_file(&fixture("datasets/ai4i2020.csv"), &LoadOptions::default(), &Progress::new()).expect("loads");
    let r =
        train(&ds, &TrainSettings { target: "Machine failure".into(), ..TrainSettings::default() }, &Progress::new())
            .expect("trains");
    assert!(r.model.pipeline.n_encoded() > r.model.n_features(), "Type is one-hot encoded");
    let rows: Vec<usize> = (0..200).collect();
    let ex =
        explain_rows(&r.model, &ds, &rows, &r.split.train, &LocalOptions::default(), &Progress::new()).expect("shap");
    assert_eq!(ex.values.n_cols(), r.model.n_features());
    assert_eq!(ex.features[0], "Type");
    for i in 0..rows.len() {
        let sum: f64 = ex.base_values[i] + ex.values.row(i).iter().sum::<f64>();
        assert!((sum - ex.predictions[i]).abs() < 1e-9);
    }
}
