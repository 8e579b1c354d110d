//! The SVM's own decision function on the PLC (`export --from model`): the exported Structured
//! Text, run by the test-side interpreter in `REAL` and `LREAL` arithmetic, gives on every row the
//! same bits as the engine's model of the block ([`SvmLogic::eval`]), lies within the tolerance
//! its header states of the model's own probabilities or values, and picks the model's class
//! wherever the model's two most probable classes are further apart than that tolerance; for two
//! classes and seven (pairwise coupling), a regression, and the linear, polynomial and sigmoid
//! kernels; a missing input is filled as the model fills it.

#![allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // class indices held in f64

use rayon::prelude::*;

use glassbox::export::svm_block::{self, ExpForm, SvmLogic};
use glassbox::export::vectors::{Edge, Purpose};
use glassbox::export::{ExportOptions, ExportPlan, Format, RealType};
use glassbox::model::cart::TreeParams;
use glassbox::model::pipeline::FeatureKind;
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

/// The SVM block in PLCopen XML and the three vendor formats, its logic read back as each tool
/// reads it (the XML validated against the TC6 schema): on every `step`-th row the same bits as
/// the engine's model of the block (for Logix, `e^x` as `2.7182817 ** x`, as that block computes
/// it), within the tolerance it states of the model, and the model's class wherever the model's
/// two most probable classes lie further apart than twice that tolerance.
fn check_formats(name: &str, t: &Trained, step: usize) {
    let plan = ExportPlan::new(&t.report, &t.data, None, &TreeParams::default(), None).expect("plan");
    let logic = SvmLogic::new(&t.report).expect("an SVM");
    let model = &t.report.model;
    let rows: Vec<&[f64]> = plan.rows.train.rows().chain(plan.rows.test.rows()).step_by(step).collect();
    let dir = tempfile::tempdir().expect("dir");
    for (format, ty) in [
        (Format::PlcopenXml, RealType::Real),
        (Format::PlcopenXml, RealType::Lreal),
        (Format::Scl, RealType::Real),
        (Format::Scl, RealType::Lreal),
        (Format::TcPou, RealType::Real),
        (Format::TcPou, RealType::Lreal),
        (Format::L5x, RealType::Real),
    ] {
        let what = format!("{name} {} {}", format.label(), ty.keyword());
        let (svm, companion) = svm_block::write_in(&plan, &t.report, &options(ty), format, false).expect("exports");
        assert!(companion.is_none());
        let text = &svm.exported.text;
        let again = svm_block::write_in(&plan, &t.report, &options(ty), format, false).expect("again");
        assert!(&again.0.exported.text == text, "{what}: two exports differ");
        let generic = match format {
            Format::PlcopenXml => {
                if crate::export::have("xmllint", "apt-get install libxml2-utils") {
                    let path = dir.path().join("svm.xml");
                    std::fs::write(&path, text).expect("write");
                    crate::export::xmllint_ok(&path).unwrap_or_else(|e| panic!("{what}: not valid TC6 XML: {e}"));
                }
                assert!(text.contains("<localVars constant=\"true\">"), "{what}");
                crate::export_vendor::plcopen_to_st(text)
            }
            Format::Scl => crate::export_vendor::scl_to_st(text),
            Format::TcPou => crate::export_vendor::tcpou_to_st(text),
            _ => crate::export_vendor::l5x_to_st(text),
        };
        let form = if format == Format::L5x { ExpForm::PowerOfE } else { ExpForm::Exp };
        let dev = match ty {
            RealType::Real => svm.check.real,
            RealType::Lreal => svm.check.lreal,
        };
        assert!(text.contains(&format!("lies within {:.1e} of the model's", dev.tolerance)), "{what}");
        let block = st_eval::parse(&generic);
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
                            RealType::Real => f64::from(x as f32),
                            RealType::Lreal => x,
                        }
                    })
                    .collect();
                let (decision, second) = match ty {
                    RealType::Real => logic.eval_with::<f32>(&typed, form),
                    RealType::Lreal => logic.eval_with::<f64>(&typed, form),
                };
                let (got, got_second) = (real(vars["DECISION"]), real(vars[second_local(t)]));
                assert_eq!(got, decision, "{what}: row {raw:?}");
                assert_eq!(got_second.to_bits(), second.to_bits(), "{what}: row {raw:?}");
                let p = model.predict_row(raw);
                match model.task {
                    Task::Regression => assert!((got - p.value).abs() <= dev.tolerance, "{what}: {got} vs {}", p.value),
                    Task::Classification => {
                        let mp = p.probabilities[got as usize];
                        assert!((got_second - mp).abs() <= dev.tolerance, "{what}: {got_second} vs {mp}");
                        if got != p.value {
                            let top = p.probabilities[p.value as usize];
                            assert!(top - mp <= 2.0 * dev.tolerance, "{what}: class {got} vs {}", p.value);
                        }
                    }
                }
            })
            .collect();
        eprintln!(
            "{what}: read back, the block gives the engine's bits on {} rows, within {:.0e} of the model",
            checked.len(),
            dev.tolerance
        );
    }
    // The vendor files with their test benches pass in the interpreter.
    let o = options(RealType::Real);
    for format in [Format::Scl, Format::TcPou, Format::L5x] {
        let (svm, companion) = svm_block::write_in(&plan, &t.report, &o, format, true).expect("bench");
        let generic = crate::export_vendor::vendor_bench_to_st(format, &svm.exported.text, companion.as_ref());
        let program = st_eval::parse_file(&generic);
        let bench = program.blocks[1].name.clone();
        assert_eq!(
            bench_result(&program, &bench, true),
            [Value::Bool(true), Value::Bool(true), Value::Int(0), Value::Int(0), Value::Int(0)],
            "{name} {}: the SVM test bench fails",
            format.label()
        );
        eprintln!("{name} {}: the SVM test bench {bench} passes", format.label());
    }
    // Logix takes REAL only; PLCopen XML carries no bench.
    let e = svm_block::write_in(&plan, &t.report, &options(RealType::Lreal), Format::L5x, false).expect_err("LREAL");
    assert!(e.to_string().contains("5380"), "{e}");
    let e = svm_block::write_in(&plan, &t.report, &o, Format::PlcopenXml, true).expect_err("bench in XML");
    assert!(e.to_string().contains("not in PLCopen XML"), "{e}");
}

fn second_local(t: &Trained) -> &'static str {
    match t.report.model.task {
        Task::Classification => "CERTAINTY",
        Task::Regression => "DEVIATION",
    }
}

/// Whether a block's output `got` is what the bench expects: exactly, or within `tol` in the
/// block's `REAL` arithmetic as the bench compares.
#[allow(clippy::cast_possible_truncation)]
fn as_bench_expects(got: Value, expected: f64, tol: Option<f64>) -> bool {
    match (got, tol) {
        (Value::Real(x), Some(tol)) => (x - expected as f32).abs() <= tol as f32,
        (Value::Real(x), None) => f64::from(x) == expected,
        (Value::Int(x), _) => x as f64 == expected,
        (other, _) => panic!("an output {other:?}"),
    }
}

/// `Done`, `Passed`, `Failures`, `FirstFailure`, `Skipped` of the bench `name` in `program`.
fn bench_result(program: &st_eval::Program, name: &str, with_nan: bool) -> [Value; 5] {
    let out = program.run(name, &[("WithNaN", Value::Bool(with_nan))]);
    [out["DONE"], out["PASSED"], out["FAILURES"], out["FIRSTFAILURE"], out["SKIPPED"]]
}

/// The test bench of `t`'s SVM block (`REAL`): its vectors are held-out rows and every input
/// missing and at the edges of its range, none where the model's two most probable classes lie
/// within twice the tolerance; run by the interpreter it passes, skips the vectors with a NaN
/// without NaN, and with one bias changed fails at the first vector the changed block gets wrong
/// (found here by running the changed block on every vector). Returns the number of vectors.
fn check_bench(name: &str, t: &Trained) -> usize {
    let plan = ExportPlan::new(&t.report, &t.data, None, &TreeParams::default(), None).expect("plan");
    let o = options(RealType::Real);
    let (svm, companion) = svm_block::write_in(&plan, &t.report, &o, Format::TestbenchSt, true).expect("bench");
    assert!(companion.is_none());
    let text = &svm.exported.text;
    // The file starts with the block exactly as `--format st` writes it.
    let st = svm_block::write(&plan, &t.report, &o).expect("block").exported.text;
    assert!(text.starts_with(&st), "{name}: the bench file starts with the block");
    let (_, mv) = svm_block::block_and_vectors(&plan, &t.report, &o).expect("vectors");
    let tol = mv.tolerance;
    assert_eq!(tol, svm.check.real.tolerance);
    // What the vectors hold.
    let model = &t.report.model;
    let n_test = plan.rows.test.n_rows();
    assert!(mv.held_out_rows >= 16.min(n_test), "{name}: {} held-out rows", mv.held_out_rows);
    // Each input missing, and just outside its training range on both sides (those vectors are
    // never left out: the block gives its safe default there).
    let checks = glassbox::export::plc_eval::input_checks(&plan, RealType::Real);
    for (j, c) in checks.iter().enumerate() {
        for edge in [Edge::BelowMin, Edge::AboveMax] {
            let x = edge.value_in(RealType::Real, c).expect("a finite edge");
            assert!(mv.vectors.iter().any(|v| v.inputs[j] == x && !v.expected.valid), "{name}: input {j} at {x}");
        }
        assert!(
            mv.vectors
                .iter()
                .any(|v| v.inputs[j].is_nan() || (c.kind == FeatureKind::Categorical && v.inputs[j] == -1.0)),
            "{name}: input {j} missing"
        );
    }
    let at_edges =
        mv.vectors.iter().filter(|v| matches!(v.purpose, Purpose::Range { edge: Edge::Min | Edge::Max, .. })).count();
    assert!(at_edges >= checks.len(), "{name}: {at_edges} vectors at a training minimum or maximum");
    assert!(mv.vectors.iter().any(|v| v.purpose == Purpose::Missing { feature: None }));
    for v in mv.vectors.iter().filter(|v| v.expected.valid) {
        let used: Vec<f64> = v
            .inputs
            .iter()
            .zip(&plan.features)
            .map(|(&x, f)| if x.is_nan() || (x == -1.0 && f.kind == FeatureKind::Categorical) { f.fill } else { x })
            .collect();
        let p = model.predict_row(&used);
        match model.task {
            Task::Classification => {
                let mut sorted = p.probabilities.clone();
                sorted.sort_by(|a, b| b.total_cmp(a));
                assert!(sorted[0] - sorted[1] > 2.0 * tol, "{name}: a close call kept: {}", v.description);
                assert_eq!(v.expected.prediction, p.value, "{name}: {}", v.description);
            }
            Task::Regression => assert!((v.expected.prediction - p.value).abs() <= tol, "{name}"),
        }
    }
    // Run by the interpreter.
    let program = st_eval::parse_file(text);
    assert_eq!(program.blocks.len(), 2);
    let bench = program.blocks[1].name.clone();
    let n = i64::try_from(mv.vectors.len()).expect("small");
    let with_nan = i64::try_from(mv.vectors.iter().filter(|v| v.has_nan()).count()).expect("small");
    assert!(with_nan > 0, "{name}: no vector with a NaN");
    assert_eq!(
        bench_result(&program, &bench, true),
        [Value::Bool(true), Value::Bool(true), Value::Int(0), Value::Int(0), Value::Int(0)],
        "{name}: the test bench fails"
    );
    assert_eq!(
        bench_result(&program, &bench, false),
        [Value::Bool(true), Value::Bool(false), Value::Int(0), Value::Int(0), Value::Int(with_nan)],
        "{name}"
    );
    // One bias changed (a little for a classifier, so that confident vectors still pass): the
    // bench fails, first at the first vector the changed block gets wrong.
    let at = text.find("    BIAS : ARRAY[").expect("BIAS");
    let start = at + text[at..].find("*)\n        ").expect("values") + 11;
    let end = start + text[start..].find([',', '\n']).expect("first value");
    let bias: f32 = text[start..end].trim_start_matches("REAL#").parse().expect("a REAL");
    let step = if model.task == Task::Classification { 0.01 } else { 0.5 };
    let changed = format!("REAL#{}", glassbox::export::literal::format_f32(bias + step));
    let broken = format!("{}{changed}{}", &text[..start], &text[end..]);
    let block = st_eval::parse(&broken[..broken.find("END_FUNCTION_BLOCK").expect("end") + 19]);
    let (second, pred_tol) = match model.task {
        Task::Classification => ("CONFIDENCE", None),
        Task::Regression => ("SPREAD", Some(tol)),
    };
    let wrong: Vec<usize> = mv
        .vectors
        .iter()
        .enumerate()
        .filter(|(_, v)| {
            let vars = block.run(&v.inputs);
            let e = &v.expected;
            !(as_bench_expects(vars["PREDICTION"], e.prediction, pred_tol)
                && as_bench_expects(vars[second], e.second, Some(tol))
                && vars["VALID"] == Value::Bool(e.valid)
                && vars["IMPUTED"] == Value::Bool(e.imputed)
                && vars["MISSING"] == Value::Dword(e.missing[0])
                && vars["OUTOFRANGE"] == Value::Dword(e.out_of_range[0]))
        })
        .map(|(i, _)| i)
        .collect();
    assert!(!wrong.is_empty(), "{name}: the changed bias changes no output");
    let failures = i64::try_from(wrong.len()).expect("small");
    let first = i64::try_from(wrong[0] + 1).expect("small");
    assert_eq!(
        bench_result(&st_eval::parse_file(&broken), &bench, true),
        [Value::Bool(true), Value::Bool(false), Value::Int(failures), Value::Int(first), Value::Int(0)],
        "{name}: a changed bias"
    );
    eprintln!(
        "{name}: the SVM test bench passes ({n} vectors, {} held-out rows, {with_nan} with a NaN, tolerance {tol:.0e}, \
         {} close calls left out); bias {bias} -> {changed}: {failures} vectors fail, the first is vector {first}",
        mv.held_out_rows, mv.close_calls
    );
    mv.vectors.len()
}

#[test]
fn a_two_class_rbf_svm_runs_on_the_plc_as_the_model() {
    let t =
        fit(load("datasets/plant_cls_head1500.csv"), "failure", None, Task::Classification, svm(KernelKind::Rbf, 0));
    check("plant", &t, 1);
    check_bench("plant", &t);
    check_formats("plant", &t, 5);
    check_progress(&t);
}

/// The check reports its rows as it goes (the window's progress bar) and stops on a cancel.
fn check_progress(t: &Trained) {
    let plan = ExportPlan::new(&t.report, &t.data, None, &TreeParams::default(), None).expect("plan");
    let l5x = glassbox::export::l5x::L5xOptions::default();
    let o = options(RealType::Real);
    let progress = glassbox::Progress::new();
    let (svm, _) = svm_block::write_in_progress(&plan, &t.report, &o, (Format::StructuredText, false), &l5x, &progress)
        .expect("exports");
    assert!(progress.fraction() > 0.5, "{}", progress.fraction());
    let (plain, _) = svm_block::write_in(&plan, &t.report, &o, Format::StructuredText, false).expect("exports");
    assert_eq!(svm.exported.text, plain.exported.text, "the same block with or without progress");
    let cancelled = glassbox::Progress::new();
    cancelled.cancel();
    let e = svm_block::write_in_progress(&plan, &t.report, &o, (Format::StructuredText, false), &l5x, &cancelled)
        .expect_err("cancelled");
    assert!(e.is_cancelled(), "{e}");
}

#[test]
fn a_seven_class_svm_couples_its_machines_on_the_plc_as_the_model() {
    // 21 machines; every third row of the 1,941.
    let t = steel_with(svm(KernelKind::Rbf, 400));
    check("steel", &t, 3);
    check_bench("steel", &t);
    check_formats("steel", &t, 15);
}

#[test]
fn a_regression_svm_runs_on_the_plc_as_the_model() {
    let t = fit(load("datasets/ccpp.csv"), "PE", None, Task::Regression, svm(KernelKind::Rbf, 400));
    check("ccpp", &t, 20);
    check_bench("ccpp", &t);
    check_formats("ccpp", &t, 40);
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
    // The block with its test bench: testbench-st, or st with --testbench, the same bytes.
    let bench = dir.path().join("bench.st");
    let also = dir.path().join("also.st");
    for (format, extra, path) in [("testbench-st", None, &bench), ("st", Some("--testbench"), &also)] {
        let mut args = vec!["export", project, "--from", "model", "--format", format, "--date", "2024-05-06"];
        args.extend(extra);
        args.extend(["--out", path.to_str().expect("utf-8")]);
        let out = run(&args);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("test bench:"),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let text = std::fs::read_to_string(&bench).expect("written");
    assert!(text == std::fs::read_to_string(&also).expect("written"), "two exports differ");
    let program = st_eval::parse_file(&text);
    assert_eq!(
        bench_result(&program, "TB_FB_failure", true),
        [Value::Bool(true), Value::Bool(true), Value::Int(0), Value::Int(0), Value::Int(0)]
    );
    // Rule-set formats are refused with the reason.
    let out = run(&["export", project, "--from", "model", "--format", "json", "--out", "x.json"]);
    assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("--format st"));
}
