//! The Rules panel's export dialog for an SVM, driven through the real app with `egui_kittest`:
//! the SVM's own decision function is checked against the model in a background job of the Rules
//! panel (the frame that asks for it returns without it), then shown with its check, tolerance
//! and cost; formats the engine does not write the block in are disabled; a block computed once
//! is shown again without a new job.

use std::time::{Duration, Instant};

use egui::accesskit::Role;
use egui_kittest::kittest::{NodeT as _, Queryable as _};
use glassbox::app::GlassboxApp;
use glassbox::app::command::Command;
use glassbox::app::jobs::JobKind;
use glassbox::app::panels::Work;
use glassbox::app::panels::export_dialog::{FORMATS, SvmBlockKey, SvmBlockRequest};
use glassbox::app::panels::rules::Request;
use glassbox::data::LoadOptions;
use glassbox::export::{ExportOptions, Format, RealType};
use glassbox::model::ModelParams;
use glassbox::model::svm::SvmParams;
use glassbox::model::train::TrainSettings;

use crate::fixture;
use crate::ui::{app_harness, run_until};

/// The SVM block the dialog is having checked, if any.
fn running(app: &GlassboxApp) -> Option<SvmBlockKey> {
    app.panels.rules.svm_blocks.running().cloned()
}

/// The text of a computed SVM block.
fn block_text(app: &GlassboxApp, key: &SvmBlockKey) -> Option<String> {
    app.panels.rules.svm_blocks.get(key).and_then(|p| p.text.clone().ok())
}

#[test]
fn exports_the_svms_own_decision_function_checked_in_the_background() {
    let mut h = app_harness();
    run_until(&mut h, |a| a.session.dataset.is_some());
    let ctx = h.ctx.clone();
    // 400 rows of a plant's data, and an SVM on them.
    let options = LoadOptions { row_limit: Some(400), ..LoadOptions::default() };
    h.state_mut().apply(&ctx, Command::Load { path: fixture("datasets/plant_cls_head1500.csv"), options });
    run_until(&mut h, |a| !a.is_loading() && a.session.dataset.as_ref().is_some_and(|d| d.n_rows() == 400));
    let settings = TrainSettings {
        target: "failure".into(),
        params: ModelParams::Svm(SvmParams::default()),
        ..TrainSettings::default()
    };
    h.state_mut().apply(&ctx, Command::train(settings));
    run_until(&mut h, |a| a.session.report.is_some() && !a.is_training());
    let report_id = h.state().session.report_id;

    h.get_by_label("Rules & PLC export").click();
    run_until(&mut h, |a| a.panels.rules.result.is_some());
    h.get_by_label("Export to PLC…").click();
    // The window finds its size over a few frames.
    h.run_steps(5);
    // The surrogate tree's block is written at once, as before.
    h.get_by_label_contains("FB_failure: predicts 'failure'");
    h.get_by_label_contains("Logic: a surrogate decision tree");

    // The SVM itself: asked of a job once the choice has settled, never computed in the frame.
    h.get_by_label("the SVM itself (decision function)").click();
    let start = Instant::now();
    while running(h.state()).is_none() {
        assert!(start.elapsed() < Duration::from_secs(20), "the dialog did not ask for the SVM block");
        h.step();
    }
    let key = running(h.state()).expect("asked");
    assert_eq!((key.report_id, key.format), (report_id, Format::StructuredText));
    assert_eq!(key.options.name.as_deref(), Some("FB_failure"));
    assert!(
        block_text(h.state(), &key).is_none(),
        "the frame that asked for the block returned without it: the check runs elsewhere"
    );
    h.get_by_label_contains("will be checked against the model on 400 rows");
    // The request goes to a job of the Rules panel's kind, on its own thread.
    let request = Request::SvmBlock(SvmBlockRequest { key: key.clone(), probe: false });
    let spec = h.state().panels.job(Work::Rules(request), &h.state().session).expect("a job");
    assert_eq!(spec.kind, JobKind::Rules);

    run_until(&mut h, |a| block_text(a, &key).is_some());
    let text = block_text(h.state(), &key).expect("computed");
    assert!(
        text.starts_with("FUNCTION_BLOCK FB_failure") || text.contains("\nFUNCTION_BLOCK FB_failure"),
        "{text:.400}"
    );
    assert!(text.contains("EXP("), "the kernel sums: {text:.3000}");
    assert!(text.contains("lies within 1.0e-"), "the header states the tolerance: {text:.3000}");
    // Shown: the block, its check with the measured deviation and tolerance, and its cost.
    h.get_by_label_contains("FUNCTION_BLOCK FB_failure");
    h.get_by_label_contains("measured on 400 training and held-out rows");
    h.get_by_label_contains("in REAL (tolerance 1e-");
    h.get_by_label_contains("checked on 400 training and held-out rows in REAL arithmetic");
    h.get_by_label_contains("EXP calls");
    h.get_by_label("Save…");
    h.get_by_label("Copy").click();
    h.step();
    let copied = h
        .output()
        .platform_output
        .commands
        .iter()
        .any(|c| matches!(c, egui::OutputCommand::CopyText(t) if t.contains("EXP(")));
    assert!(copied, "Copy puts the block on the clipboard");

    // The formats the engine does not write the block in are disabled; the others are not.
    let formats = h.state().panels.rules.svm_blocks.formats(report_id, &key.options).expect("asked").to_vec();
    assert!(formats.iter().any(|(f, why)| *f == Format::StructuredText && why.is_none()));
    for (format, why) in &formats {
        let (_, name) = FORMATS.iter().find(|(f, _)| f == format).expect("offered");
        let button = h.get_by_role_and_label(Role::Button, name);
        assert_eq!(button.accesskit_node().is_disabled(), why.is_some(), "{name}: {why:?}");
    }

    // A refused format says why on hover, in the engine's words.
    if let Some((format, Some(why))) = formats.iter().find(|(_, why)| why.is_some()) {
        let (_, name) = FORMATS.iter().find(|(f, _)| f == format).expect("offered");
        h.get_by_role_and_label(Role::Button, name).hover();
        h.run_steps(8);
        h.get_by_label(why);
    }

    // With its test bench: what the vectors cover is shown above the text.
    h.get_by_label("ST with test bench").click();
    let bench = SvmBlockKey { format: Format::TestbenchSt, ..key.clone() };
    run_until(&mut h, |a| block_text(a, &bench).is_some());
    let coverage = h.state().panels.rules.svm_blocks.get(&bench).and_then(|p| p.coverage.clone());
    let coverage = coverage.expect("the test bench's coverage");
    assert!(coverage.starts_with("test bench: ") && coverage.contains("held-out rows"), "{coverage}");
    assert!(h.query_all_by_label("Test bench:").next().is_some(), "the coverage line");
    h.get_by_label(&coverage);
    assert!(block_text(h.state(), &bench).is_some_and(|t| t.contains("FUNCTION_BLOCK TB_FB_failure")));

    // The cost report of the same block: another job; going back shows the first at once.
    h.get_by_label("cost report").click();
    run_until(&mut h, |a| {
        a.panels.rules.svm_blocks.running().is_none()
            && block_text(a, &SvmBlockKey { format: Format::Report, ..key.clone() }).is_some()
    });
    h.get_by_label_contains("Cost of the SVM block");
    h.get_by_label("Structured Text").click();
    h.run_steps(2);
    assert!(running(h.state()).is_none(), "a block checked once is not checked again");
    h.get_by_label_contains("measured on 400 training and held-out rows");

    // LREAL: other options, so the engine is asked again which formats it writes them in.
    h.get_by_label("LREAL (64-bit)").click();
    let lreal =
        SvmBlockKey { options: ExportOptions { real_type: RealType::Lreal, ..key.options.clone() }, ..key.clone() };
    run_until(&mut h, |a| block_text(a, &lreal).is_some());
    h.get_by_label_contains("checked on 400 training and held-out rows in LREAL arithmetic");
    let formats = h.state().panels.rules.svm_blocks.formats(report_id, &lreal.options).expect("asked").to_vec();
    for (format, why) in &formats {
        let (_, name) = FORMATS.iter().find(|(f, _)| f == format).expect("offered");
        let button = h.get_by_role_and_label(Role::Button, name);
        assert_eq!(button.accesskit_node().is_disabled(), why.is_some(), "{name}: {why:?}");
    }
    h.get_by_label("REAL (32-bit)").click();
    h.run_steps(2);
    assert!(running(h.state()).is_none());

    // Closed and opened again: the block is there without a new job.
    h.get_by_label("Close window").click();
    h.run_steps(2);
    assert!(h.state().panels.rules.export.is_none());
    h.get_by_label("Export to PLC…").click();
    h.run_steps(5);
    h.get_by_label("the SVM itself (decision function)").click();
    h.run_steps(3);
    assert!(running(h.state()).is_none());
    h.get_by_label_contains("measured on 400 training and held-out rows");
}

#[test]
fn a_vendor_file_gets_its_test_bench_and_twincat_a_second_file() {
    let mut h = app_harness();
    run_until(&mut h, |a| a.session.dataset.is_some());
    let ctx = h.ctx.clone();
    let tree = glassbox::model::cart::TreeParams { max_depth: Some(3), ..Default::default() };
    let settings =
        TrainSettings { target: "Machine failure".into(), params: ModelParams::Tree(tree), ..TrainSettings::default() };
    h.state_mut().apply(&ctx, Command::train(settings));
    run_until(&mut h, |a| a.session.report.is_some() && !a.is_training());
    h.get_by_label("Rules & PLC export").click();
    run_until(&mut h, |a| a.panels.rules.result.is_some());
    h.get_by_label("Export to PLC…").click();
    h.run_steps(5);
    h.get_by_label("TIA Portal SCL").click();
    h.run_steps(3);
    h.get_by_label_contains("with the test vectors (run it once on the PLC").click();
    h.run_steps(3);
    h.get_by_label_contains("FUNCTION_BLOCK \"TB_FB_Machine_failure\"");
    assert!(h.query_all_by_label("Test bench:").next().is_some(), "the coverage line");
    // TwinCAT keeps one object per file: the bench is a second file to save.
    h.get_by_label("TwinCAT POU").click();
    h.run_steps(3);
    h.get_by_role_and_label(Role::Button, "Save TB_FB_Machine_failure.TcPOU…").click();
    h.run_steps(2);
    let pending = h.state().pending_save.as_ref().map(|(path, _)| path.clone()).unwrap_or_default();
    assert!(pending.ends_with("TB_FB_Machine_failure.TcPOU"), "{pending}");
}
