//! The SVM's own decision function on the PLC (`export --from model`): the exported Structured
//! Text, run by the test-side interpreter in `REAL` and `LREAL` arithmetic, gives on every row the
//! same bits as the engine's model of the block ([`SvmLogic::eval`]), lies within the tolerance
//! its header states of the model's own probabilities or values, and picks the model's class
//! wherever the model's two most probable classes are further apart than that tolerance; for two
//! classes and seven (pairwise coupling), a regression, and the linear, polynomial and sigmoid
//! kernels; a missing input is filled as the model fills it.

#![allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // class indices held in f64

use rayon::prelude::*;

use glassbox::export::svm_block::{self, SvmLogic};
use glassbox::export::{ExportOptions, ExportPlan, RealType};
use glassbox::model::cart::TreeParams;
use glassbox::model::svm::{KernelKind, SvmParams};
use glassbox::model::{ModelParams, Task};

use crate::export::st_eval::{self, Value};
use crate::rules::{Trained, ai4i_with, fit, load, steel_with};

fn svm(kernel: KernelKind, rows: usize) -> ModelParams {
    ModelParams::Svm(SvmParams { kernel, max_train_rows: rows, ..SvmParams::default() })
}

fn options(real_type: RealType) -> ExportOptions {
    ExportOptions { real_type, date: Some("2024-05-06".into()), ..ExportOptions::default() }
}

fn real(v: Value) -> f64 {
    match v {
        Value::Real(x) => f64::from(x),
        Value::Lreal(x) => x,
        Value::Int(x) => x as f64,
        other => panic!("not a number: {other:?}"),
    }
}

/// Exports `t`'s SVM in both precisions and checks the block on every `step`-th row.
fn check(name: &str, t: &Trained, step: usize) {
    let plan = ExportPlan::new(&t.report, &t.data, None, &TreeParams::default(), None).expect("plan");
    let logic = SvmLogic::new(&t.report).expect("an SVM");
    let model = &t.report.model;
    let rows: Vec<&[f64]> = plan.rows.train.rows().chain(plan.rows.test.rows()).step_by(step).collect();
    for ty in [RealType::Real, RealType::Lreal] {
        let out = svm_block::write(&plan, &t.report, &options(ty)).expect("exports");
        let text = &out.exported.text;
        assert_eq!(text, &svm_block::write(&plan, &t.report, &options(ty)).expect("again").exported.text);
        let dev = match ty {
            RealType::Real => out.check.real,
            RealType::Lreal => out.check.lreal,
        };
        assert!(text.contains(&format!("lies within {:.1e} of the model's", dev.tolerance)), "{name}: {text:.3000}");
        assert!(dev.largest <= dev.tolerance / 4.0, "{name}: {dev:?}");
        let block = st_eval::parse(text);
        let checked: Vec<()> = rows
            .par_iter()
            .map(|raw| {
                let vars = block.run(raw);
                let typed: Vec<f64> = raw
                    .iter()
                    .zip(&plan.features)
                    .map(|(&x, f)| {
                        let x = if x.is_nan() { f.fill } else { x };
                        match ty {
                            #[allow(clippy::cast_possible_truncation)]
                            RealType::Real => f64::from(x as f32),
                            RealType::Lreal => x,
                        }
                    })
                    .collect();
                let (decision, second) = match ty {
                    RealType::Real => logic.eval::<f32>(&typed),
                    RealType::Lreal => logic.eval::<f64>(&typed),
                };
                // The code and the engine's model of it: the same bits.
                let (got, got_second) = (real(vars["DECISION"]), real(vars[second_local(t)]));
                assert_eq!(got, decision, "{name} {ty:?} row {raw:?}");
                assert_eq!(got_second.to_bits(), second.to_bits(), "{name} {ty:?} row {raw:?}");
                // And the model itself, within the stated tolerance.
                let p = model.predict_row(raw);
                match model.task {
                    Task::Regression => assert!((got - p.value).abs() <= dev.tolerance, "{name}: {got} vs {}", p.value),
                    Task::Classification => {
                        let class = got as usize;
                        let mp = p.probabilities[class];
                        assert!((got_second - mp).abs() <= dev.tolerance, "{name}: {got_second} vs {mp}");
                        if got != p.value {
                            let top = p.probabilities[p.value as usize];
                            assert!(
                                top - mp <= 2.0 * dev.tolerance,
                                "{name}: class {got} vs {} ({top} vs {mp})",
                                p.value
                            );
                        }
                    }
                }
            })
            .collect();
        assert_eq!(checked.len(), rows.len());
    }
}

fn second_local(t: &Trained) -> &'static str {
    match t.report.model.task {
        Task::Classification => "CERTAINTY",
        Task::Regression => "DEVIATION",
    }
}

#[test]
fn a_two_class_rbf_svm_runs_on_the_plc_as_the_model() {
    let t =
        fit(load("datasets/plant_cls_head1500.csv"), "failure", None, Task::Classification, svm(KernelKind::Rbf, 0));
    check("plant", &t, 1);
}

#[test]
fn a_seven_class_svm_couples_its_machines_on_the_plc_as_the_model() {
    // 21 machines; every third row of the 1,941.
    check("steel", &steel_with(svm(KernelKind::Rbf, 400)), 3);
}

#[test]
fn a_regression_svm_runs_on_the_plc_as_the_model() {
    let t = fit(load("datasets/ccpp.csv"), "PE", None, Task::Regression, svm(KernelKind::Rbf, 400));
    check("ccpp", &t, 20);
}

#[test]
fn every_kernel_and_a_category_run_on_the_plc_as_the_model() {
    // AI4I holds the categorical `Type` (one-hot in the block).
    for kernel in [KernelKind::Linear, KernelKind::Poly, KernelKind::Sigmoid] {
        check(kernel.label(), &ai4i_with(svm(kernel, 300)), 25);
    }
}

#[test]
fn a_missing_input_is_filled_as_the_model_fills_it() {
    let t = ai4i_with(svm(KernelKind::Rbf, 300));
    let plan = ExportPlan::new(&t.report, &t.data, None, &TreeParams::default(), None).expect("plan");
    let out = svm_block::write(&plan, &t.report, &options(RealType::Lreal)).expect("exports");
    let block = st_eval::parse(&out.exported.text);
    for raw in plan.rows.test.rows().take(40) {
        let mut row = raw.to_vec();
        row[3] = f64::NAN; // rotational speed
        let vars = block.run(&row);
        assert_eq!(vars["IMPUTED"], Value::Bool(true));
        assert_eq!(vars["MISSING"], Value::Dword(1 << 3));
        let p = t.report.model.predict_row(&row);
        assert!(
            (real(vars["CERTAINTY"]) - p.probabilities[real(vars["DECISION"]) as usize]).abs()
                <= out.check.lreal.tolerance
        );
    }
}

#[test]
fn a_tree_is_not_exported_as_an_svm() {
    let t = crate::rules::ai4i();
    let err = SvmLogic::new(&t.report).expect_err("a tree");
    assert!(err.to_string().contains("--from tree"), "{err}");
}

#[test]
fn export_command_writes_the_svm_block_and_its_cost() {
    use std::process::Command;
    let dir = tempfile::tempdir().expect("dir");
    let run = |args: &[&str]| Command::new(env!("CARGO_BIN_EXE_glassbox")).args(args).output().expect("runs");
    let project = dir.path().join("svm.glassbox");
    let project = project.to_str().expect("utf-8");
    let data = crate::fixture("datasets/plant_cls_head1500.csv");
    let out = run(&["train", data.to_str().expect("utf-8"), "--target", "failure", "--model", "svm", "--out", project]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let st = dir.path().join("svm.st");
    let out = run(&["export", project, "--from", "model", "--format", "st", "--out", st.to_str().expect("utf-8")]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("checked on 1500 training and held-out rows") && err.contains("EXP calls"), "{err}");
    let text = std::fs::read_to_string(&st).expect("written");
    let block = st_eval::parse(&text);
    assert_eq!(block.inputs.len(), 8);
    let json = dir.path().join("cost.json");
    let out = run(&[
        "export",
        project,
        "--from",
        "model",
        "--format",
        "report",
        "--json",
        "--out",
        json.to_str().expect("utf-8"),
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&json).expect("json")).expect("parses");
    let sv = v["cost"]["support_vectors"].as_u64().expect("support vectors");
    // RBF: one EXP per support vector, one for Platt.
    assert_eq!(v["cost"]["exp_calls"].as_u64(), Some(sv + 1));
    assert_eq!(v["check"]["rows"].as_u64(), Some(1500));
    assert!(v["check"]["real"]["largest"].as_f64().expect("largest") < 1e-4);
    // Other formats, and a tree, are refused with the reason.
    let out = run(&["export", project, "--from", "model", "--format", "l5x", "--out", "x.L5X"]);
    assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("--format st"));
}
