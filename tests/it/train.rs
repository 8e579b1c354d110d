//! Training from the command line and through the engine, on real data, with bad input.

use std::path::Path;
use std::process::Command;

use glassbox::Progress;
use glassbox::data::{LoadOptions, load_file};
use glassbox::model::train::{TrainSettings, train};
use glassbox::model::{ModelParams, Task};

use crate::fixture;

fn glassbox() -> Command {
    Command::new(env!("CARGO_BIN_EXE_glassbox"))
}

fn run_ok(args: &[&str]) -> String {
    let out = glassbox().args(args).output().expect("runs");
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn run_err(args: &[&str]) -> String {
    let out = glassbox().args(args).output().expect("runs");
    assert!(!out.status.success(), "{args:?} should fail");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn path_str(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

#[test]
fn train_json_has_the_documented_shape_and_is_deterministic() {
    let dir = tempfile::tempdir().expect("dir");
    let data = fixture("datasets/ai4i2020.csv");
    let (a, b) = (dir.path().join("a.glassbox"), dir.path().join("b.glassbox"));
    let args = |out: &Path| {
        vec![
            "train".to_owned(),
            data.display().to_string(),
            "--target".into(),
            "Machine failure".into(),
            "--max-depth".into(),
            "5".into(),
            "--cv".into(),
            "3".into(),
            "--json".into(),
            "--out".into(),
            out.display().to_string(),
        ]
    };
    let a_args = args(&a);
    let json_a = run_ok(&a_args.iter().map(String::as_str).collect::<Vec<_>>());
    let b_args = args(&b);
    let json_b = run_ok(&b_args.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(json_a, json_b, "same data, settings and seed give the same metrics");
    let (pa, pb) = (std::fs::read_to_string(&a).expect("a"), std::fs::read_to_string(&b).expect("b"));
    assert!(pa == pb, "the same project, byte for byte");

    let v: serde_json::Value = serde_json::from_str(&json_a).expect("json");
    assert_eq!(v["task"], "classification");
    assert_eq!(v["model"], "tree");
    let m = &v["metrics"];
    for key in ["accuracy", "balanced_accuracy", "precision", "recall", "f1", "roc_auc"] {
        let x = m[key].as_f64().unwrap_or_else(|| panic!("metrics.{key}"));
        assert!((0.0..=1.0).contains(&x), "{key} = {x}");
    }
    let cm = m["confusion_matrix"].as_array().expect("confusion matrix");
    let total: u64 = cm.iter().flat_map(|r| r.as_array().expect("row")).map(|x| x.as_u64().expect("count")).sum();
    assert_eq!(total, 2000, "20 % of 10,000 rows are test rows");
    // The leaking failure-mode columns and the IDs are not features.
    let features: Vec<&str> = v["features"].as_array().expect("features").iter().filter_map(|f| f.as_str()).collect();
    for not_a_feature in ["UDI", "Product ID", "TWF", "HDF", "PWF", "OSF", "Machine failure"] {
        assert!(!features.contains(&not_a_feature), "{not_a_feature} must not be a feature");
    }
    assert!(v["cv"]["accuracy"]["mean"].is_number() && v["cv"]["accuracy"]["std"].is_number());
    // 3.4 % failures: a tree barely beats "never fails" on accuracy, and says so.
    assert!(
        v["warnings"]
            .as_array()
            .expect("warnings")
            .iter()
            .any(|w| w.as_str().is_some_and(|w| w.contains("always predicting '0'")))
    );
}

#[test]
fn regression_and_svm_from_the_command_line() {
    let dir = tempfile::tempdir().expect("dir");
    let out = dir.path().join("ccpp.glassbox");
    let data = fixture("datasets/ccpp.csv");
    let json = run_ok(&[
        "train",
        path_str(&data),
        "--target",
        "PE",
        "--model",
        "svm",
        "--kernel",
        "rbf",
        "--c",
        "10",
        "--max-train-rows",
        "600",
        "--split",
        "ordered",
        "--json",
        "--out",
        path_str(&out),
    ]);
    let v: serde_json::Value = serde_json::from_str(&json).expect("json");
    assert_eq!(v["task"], "regression");
    assert_eq!(v["model"], "svm");
    // CCPP is nearly linear in AT and V: an RBF SVM on 600 rows still explains most variance.
    assert!(v["metrics"]["r2"].as_f64().expect("r2") > 0.85, "{}", v["metrics"]);
    assert!(v["metrics"]["rmse"].as_f64().expect("rmse") < 8.0);
    assert_eq!(v["split"], "ordered");
    assert_eq!(v["test_rows"], 1914);

    let pred = dir.path().join("pred.csv");
    run_ok(&["predict", path_str(&out), "--data", path_str(&data), "--out", path_str(&pred)]);
    let text = std::fs::read_to_string(&pred).expect("predictions");
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("row,prediction"));
    assert_eq!(lines.count(), 9568);
}

#[test]
fn predict_writes_probabilities_per_class() {
    let dir = tempfile::tempdir().expect("dir");
    let project = dir.path().join("p.glassbox");
    let data = fixture("datasets/steel_plates_faults.csv");
    // Steel plates: the fault columns are one-hot; predict one of them as a binary target.
    run_ok(&[
        "train",
        path_str(&data),
        "--target",
        "Bumps",
        "--exclude",
        "Pastry,Z_Scratch,K_Scatch,Stains,Dirtiness,Other_Faults",
        "--out",
        path_str(&project),
    ]);
    let pred = dir.path().join("pred.csv");
    run_ok(&["predict", path_str(&project), "--data", path_str(&data), "--out", path_str(&pred)]);
    let text = std::fs::read_to_string(&pred).expect("predictions");
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("row,prediction,probability_0,probability_1"));
    for (i, line) in lines.enumerate() {
        let f: Vec<&str> = line.split(',').collect();
        assert_eq!(f[0], i.to_string());
        let (p0, p1): (f64, f64) = (f[2].parse().expect("p0"), f[3].parse().expect("p1"));
        assert!((p0 + p1 - 1.0).abs() < 1e-9);
        assert_eq!(f[1], if p1 > p0 { "1" } else { "0" }, "line {i}");
    }
}

fn settings(target: &str) -> TrainSettings {
    TrainSettings { target: target.into(), ..TrainSettings::default() }
}

fn load(rel: &str) -> glassbox::data::Dataset {
    load_file(&fixture(rel), &LoadOptions::default(), &Progress::new()).expect("loads")
}

fn train_err(csv: &str, s: &TrainSettings) -> String {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("bad.csv");
    std::fs::write(&path, csv).expect("write");
    let mut ds = load_file(&path, &LoadOptions::default(), &Progress::new()).expect("loads");
    // As `glassbox train --target` does: the named column takes the target role.
    if let Some(t) = ds.column_index(&s.target) {
        ds.set_role(t, glassbox::data::Role::Target);
    }
    match train(&ds, s, &Progress::new()) {
        Ok(_) => panic!("training should fail"),
        Err(e) => e.to_string(),
    }
}

fn grid(rows: usize, f: impl Fn(usize) -> String) -> String {
    (0..rows).map(f).collect::<Vec<_>>().join("\n")
}

#[test]
fn bad_targets_and_features_get_clear_messages() {
    // One class.
    let csv = format!("x,y\n{}", grid(30, |i| format!("{},ok", i * 7 % 13)));
    let m = train_err(&csv, &settings("y"));
    assert!(m.contains("only one class (ok)"), "{m}");
    // 500 distinct numeric values asked to be classes.
    let csv = format!("x,y\n{}", grid(600, |i| format!("{},{}", i * 7 % 13, i % 500)));
    let s = TrainSettings { task: Some(Task::Classification), ..settings("y") };
    assert!(train_err(&csv, &s).contains("500 distinct values"));
    // The target as a feature.
    let csv = format!("x,y\n{}", grid(30, |i| format!("{},{}", i * 7 % 13, i % 2)));
    let s = TrainSettings { features: Some(vec!["x".into(), "y".into()]), ..settings("y") };
    assert!(train_err(&csv, &s).contains("'y' is the target and cannot also be a feature"));
    // A misspelled target gets a suggestion.
    let s = settings("Y ");
    assert!(train_err(&csv, &s).contains("did you mean 'y'"));
    // Too few rows.
    let csv = format!("x,y\n{}", grid(6, |i| format!("{},{}", i * 7 % 13, i % 2)));
    assert!(train_err(&csv, &settings("y")).contains("at least 10"));
    // Too few rows for the folds.
    let csv = format!("x,y\n{}", grid(40, |i| format!("{},{}", i * 7 % 13, u8::from(i < 3))));
    let s =
        TrainSettings { cv_folds: Some(5), split: Some(glassbox::data::split::SplitMethod::Random), ..settings("y") };
    let m = train_err(&csv, &s);
    assert!(m.contains("fewer than the 5 folds") || m.contains("missing from the training rows"), "{m}");
    // Text target for regression.
    let csv = format!("x,y\n{}", grid(30, |i| format!("{},{}", i * 7 % 13, ["a", "b"][i % 2])));
    let s = TrainSettings { task: Some(Task::Regression), ..settings("y") };
    assert!(train_err(&csv, &s).contains("choose classification"));
}

#[test]
fn constant_missing_and_non_finite_features_are_handled() {
    // A constant feature and an all-missing feature are left out with a note; NaN/inf cells are
    // missing values that get imputed.
    let csv = format!(
        "x,const,empty,y\n{}",
        grid(60, |i| format!(
            "{},{},,{}",
            if i == 5 {
                "inf".into()
            } else if i == 6 {
                "NaN".into()
            } else {
                i.to_string()
            },
            7,
            u8::from(i > 30)
        ))
    );
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("odd.csv");
    std::fs::write(&path, csv).expect("write");
    let ds = load_file(&path, &LoadOptions::default(), &Progress::new()).expect("loads");
    let s = TrainSettings { features: Some(vec!["x".into(), "const".into(), "empty".into()]), ..settings("y") };
    let r = train(&ds, &s, &Progress::new()).expect("trains");
    assert_eq!(r.model.feature_names(), ["x"]);
    assert!(r.warnings.iter().any(|w| w.contains("'const' has the same value")));
    assert!(r.warnings.iter().any(|w| w.contains("'empty' is empty")));
    // More features than rows: trains, with a warning.
    let header: Vec<String> = (0..30).map(|j| format!("f{j}")).collect();
    let csv = format!(
        "{},y\n{}",
        header.join(","),
        grid(12, |i| format!(
            "{},{}",
            (0..30).map(|j| ((i * 7 + j * 3) % 11).to_string()).collect::<Vec<_>>().join(","),
            i % 2
        ))
    );
    let path = dir.path().join("wide.csv");
    std::fs::write(&path, csv).expect("write");
    let ds = load_file(&path, &LoadOptions::default(), &Progress::new()).expect("loads");
    let r = train(&ds, &settings("y"), &Progress::new()).expect("trains");
    assert!(r.warnings.iter().any(|w| w.contains("more features")), "{:?}", r.warnings);
}

#[test]
fn tree_probabilities_are_class_mixes_and_metrics_match_predictions() {
    let ds = load("datasets/ai4i2020.csv");
    let r = train(&ds, &settings("Machine failure"), &Progress::new()).expect("trains");
    let tree = r.model.tree().expect("a tree");
    // Leaf values are the class mix of the training rows in the leaf, not one-hot.
    let leaves: Vec<usize> = (0..tree.n_nodes()).filter(|&n| tree.is_leaf(n)).collect();
    assert!(leaves.iter().any(|&l| tree.value(l)[1] > 0.0 && tree.value(l)[1] < 1.0));
    // Covers add up: every training row reaches exactly one leaf.
    let total: f64 = leaves.iter().map(|&l| tree.cover[l]).sum();
    assert!((total - r.split.train.len() as f64).abs() < 1e-9);
    // The stored evaluation agrees with a fresh prediction of the test rows.
    let raw = r.model.raw_rows(&ds, &r.split.test).expect("rows");
    let preds = r.model.predict(&raw);
    let glassbox::model::train::Evaluation::Classification { metrics, .. } = &r.evaluation else {
        panic!("classification")
    };
    let correct = preds
        .iter()
        .zip(&r.split.test)
        .filter(|(p, row)| p.value == ds.column("Machine failure").expect("target").values[**row])
        .count();
    assert!((metrics.accuracy - correct as f64 / r.split.test.len() as f64).abs() < 1e-12);
}

/// No silent row cap: by default an SVM trains on every training row (the exact solver takes a
/// fraction of a second on a thousand rows), and its held-out accuracy is scikit-learn's.
#[test]
fn svm_trains_on_every_training_row_by_default() {
    let ds = load("datasets/plant_cls_head1500.csv");
    let s =
        TrainSettings { params: ModelParams::Svm(glassbox::model::svm::SvmParams::default()), ..settings("failure") };
    let r = train(&ds, &s, &Progress::new()).expect("trains");
    assert!(!r.warnings.iter().any(|w| w.contains("sample")), "{:?}", r.warnings);
    let glassbox::model::Estimator::SvmClassifier { model } = &r.model.estimator else { panic!("an SVM") };
    let machine = &model.machines[0];
    // Support vectors are training rows: as many as the solver kept, all from the 1,200.
    assert_eq!(r.split.train.len(), 1200);
    assert!(machine.svm.coef.len() > 100 && machine.svm.coef.len() < 1200, "{}", machine.svm.coef.len());
    let glassbox::model::train::Evaluation::Classification { metrics, .. } = &r.evaluation else {
        panic!("classification")
    };
    assert!(
        metrics.accuracy > metrics.majority_baseline_accuracy,
        "{} vs {}",
        metrics.accuracy,
        metrics.majority_baseline_accuracy
    );
}

#[test]
fn svm_multiclass_one_vs_one_with_probabilities() {
    let ds = load("datasets/steel_industry_energy_head3000.csv");
    let s = TrainSettings {
        params: ModelParams::Svm(glassbox::model::svm::SvmParams { max_train_rows: 400, ..Default::default() }),
        exclude: vec!["Usage_kWh".into(), "CO2(tCO2)".into()],
        ..settings("Load_Type")
    };
    let r = train(&ds, &s, &Progress::new()).expect("trains");
    assert_eq!(r.model.classes, ["Light_Load", "Maximum_Load", "Medium_Load"]);
    let raw = r.model.raw_rows(&ds, &r.split.test[..50]).expect("rows");
    for p in r.model.predict(&raw) {
        assert_eq!(p.probabilities.len(), 3);
        assert!((p.probabilities.iter().sum::<f64>() - 1.0).abs() < 1e-6);
    }
    assert!(r.warnings.iter().any(|w| w.contains("a sample of 400 of the")), "{:?}", r.warnings);
    let glassbox::model::train::Evaluation::Classification { metrics, .. } = &r.evaluation else {
        panic!("classification")
    };
    assert!(
        metrics.accuracy > metrics.majority_baseline_accuracy,
        "{} vs {}",
        metrics.accuracy,
        metrics.majority_baseline_accuracy
    );
}

#[test]
fn grid_search_picks_a_candidate_and_is_deterministic() {
    let ds = load("datasets/concrete_compressive_strength.csv");
    let s = settings("Concrete compressive strength(MPa, megapascals) ");
    let grid = glassbox::model::search::default_grid(&s.params);
    let a = glassbox::model::search::grid_search(&ds, &s, &grid, 3, &Progress::new()).expect("search");
    let b = glassbox::model::search::grid_search(&ds, &s, &grid, 3, &Progress::new()).expect("search");
    assert_eq!(a, b);
    assert_eq!(a.metric, "r2");
    assert_eq!(a.candidates.len(), 12);
    let best = a.candidates[a.best].score.mean;
    assert!(a.candidates.iter().all(|c| c.score.mean <= best));
    assert!(best > 0.6, "a tree explains concrete strength reasonably: r2 {best}");
}

/// An SVM grid fits the costs of each γ as one path over shared kernel columns: a regression
/// candidate scores exactly as it does alone, a classifier within the solver's tolerance.
#[test]
fn an_svm_grid_shares_kernel_columns_without_changing_the_scores() {
    use glassbox::model::ModelParams;
    use glassbox::model::search::{default_grid, grid_search};
    let cases = [
        ("datasets/concrete_compressive_strength.csv", "Concrete compressive strength(MPa, megapascals) ", 0.0),
        ("datasets/plant_cls_head1500.csv", "failure", 0.01),
    ];
    for (file, target, tolerance) in cases {
        let ds = load(file);
        let mut s = settings(target);
        s.params = ModelParams::Svm(glassbox::model::svm::SvmParams::default());
        let grid = default_grid(&s.params);
        let together = grid_search(&ds, &s, &grid, 3, &Progress::new()).expect("search");
        assert_eq!(together.candidates.len(), 9);
        for (candidate, params) in together.candidates.iter().zip(&grid) {
            let alone = grid_search(&ds, &s, std::slice::from_ref(params), 3, &Progress::new()).expect("alone");
            let (a, b) = (candidate.score.mean, alone.candidates[0].score.mean);
            assert!(
                (a - b).abs() <= tolerance,
                "{file} {}: {a} in the grid, {b} alone",
                params.describe(together.task)
            );
        }
    }
}

#[test]
fn train_command_failures_exit_non_zero_with_the_reason() {
    let dir = tempfile::tempdir().expect("dir");
    let out = dir.path().join("x.glassbox");
    let data = fixture("datasets/ai4i2020.csv");
    let err = run_err(&["train", path_str(&data), "--target", "Machine failures", "--out", path_str(&out)]);
    assert!(err.contains("no column 'Machine failures'") && err.contains("did you mean 'Machine failure'"), "{err}");
    let err = run_err(&[
        "train",
        path_str(&data),
        "--target",
        "Machine failure",
        "--exclude",
        "Torqe [Nm]",
        "--out",
        path_str(&out),
    ]);
    assert!(err.contains("'Torqe [Nm]'") && err.contains("Torque [Nm]"), "{err}");
    assert!(!out.exists(), "no project is written when training fails");
}

/// A solver that stops at its iteration cap says so, as libsvm and liblinear warn: the linear
/// SVM on the plant benchmark's overlapping classes runs out of passes before its tolerance.
#[test]
fn an_svm_that_stops_at_its_cap_says_so() {
    let ds = load("datasets/plant_cls_n10000.csv");
    let params = glassbox::model::svm::SvmParams {
        kernel: glassbox::model::svm::KernelKind::Linear,
        ..glassbox::model::svm::SvmParams::default()
    };
    let s = TrainSettings { params: ModelParams::Svm(params), ..settings("failure") };
    let r = train(&ds, &s, &Progress::new()).expect("trains");
    assert_eq!(
        r.warnings.iter().filter(|w| w.contains("linear SVM stopped after 1000 passes")).count(),
        1,
        "one warning for the machine, none for its calibration folds: {:?}",
        r.warnings
    );
}
