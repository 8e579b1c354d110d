//! The SVM's own decision function on the PLC (`export --from model`): the exported Structured
//! Text, run by the test-side interpreter in `REAL` and `LREAL` arithmetic, gives on every row the
//! same bits as the engine's model of the block ([`SvmLogic::eval`]), lies within the tolerance
//! its header states of the model's own probabilities or values, and picks the model's class
//! wherever the model's two most probable classes are further apart than that tolerance; for two
//! classes and seven (pairwise coupling), a regression, and the linear, polynomial and sigmoid
//! kernels; a missing input is filled as the model fills it.

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
