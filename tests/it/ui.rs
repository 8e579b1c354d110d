//! The real app driven through its accessibility tree with `egui_kittest`.

use std::time::{Duration, Instant};

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use glassbox::app::GlassboxApp;
use glassbox::app::panels::import::ImportDialog;
use glassbox::app::state::Preferences;

use crate::fixture;

/// Steps the app until `done` holds, letting background jobs finish (at most 60 s: an SVM block's
/// check in a debug build on a loaded machine).
pub(crate) fn run_until(harness: &mut Harness<'_, GlassboxApp>, done: impl Fn(&GlassboxApp) -> bool) {
    let start = Instant::now();
    while !done(harness.state()) {
        assert!(start.elapsed() < Duration::from_secs(60), "timed out waiting for the app");
        harness.step();
        std::thread::sleep(Duration::from_millis(10));
    }
    harness.run_steps(3);
}

pub(crate) fn app_harness() -> Harness<'static, GlassboxApp> {
    let ctx = egui::Context::default();
    let app = GlassboxApp::new(&ctx, Preferences::default(), None);
    let h = Harness::builder().with_size([1400.0, 860.0]).build_ui_state(|ui, app: &mut GlassboxApp| app.show(ui), app);
    // The window's fonts, as the app installs them.
    h.ctx.set_fonts(glassbox::app::theme::font_definitions());
    h
}

#[test]
fn starts_on_the_sample_data() {
    let mut h = app_harness();
    run_until(&mut h, |a| a.session.dataset.is_some());
    h.get_by_label("Data table");
    h.get_by_label("10000 rows × 14 columns");
    assert!(h.query_all_by_label("Machine failure").count() >= 2, "in the column list and the table header");
}

#[test]
fn opens_a_file_through_the_path_box_and_shows_column_statistics() {
    let mut h = app_harness();
    run_until(&mut h, |a| a.session.dataset.is_some());

    let path = fixture("datasets/ccpp.csv");
    h.state_mut().path_box = path.display().to_string();
    h.run_steps(2);
    h.get_by_role_and_label(egui::accesskit::Role::Button, "Open").click();
    run_until(&mut h, |a| a.import.as_ref().is_some_and(ImportDialog::preview_ready));
    h.get_by_label("Preview: first 50 rows, 5 columns");
    h.get_by_role_and_label(egui::accesskit::Role::Button, "Load").click();
    run_until(&mut h, |a| !a.is_loading() && a.session.dataset.as_ref().is_some_and(|d| d.n_rows() == 9568));
    h.get_by_label("9568 rows × 5 columns");

    // Select the AT column in the column list and read its statistics.
    h.get_all_by_label("AT").next().expect("AT in the column list").click();
    h.run_steps(3);
    assert_eq!(h.state().panels.data.selected, Some(0));
    h.get_by_label("Mean");
    // pandas: ccpp AT mean 19.651231187290968, min 1.81, max 37.11
    h.get_by_label("19.65");
    h.get_by_label("1.81");
    h.get_by_label("37.11");
}

#[test]
fn a_bad_file_keeps_the_open_dataset() {
    let mut h = app_harness();
    run_until(&mut h, |a| a.session.dataset.is_some());
    let dir = tempfile::tempdir().expect("dir");
    let bad = dir.path().join("ragged.csv");
    std::fs::write(&bad, "a,b\n1,2\n3,4,5\n").expect("write");
    let ctx = h.ctx.clone();
    h.state_mut()
        .apply(&ctx, glassbox::app::Command::Load { path: bad, options: glassbox::data::LoadOptions::default() });
    run_until(&mut h, |a| !a.is_loading());
    let app = h.state();
    assert_eq!(app.session.dataset.as_ref().map(|d| d.n_rows()), Some(10_000));
    assert!(app.messages.iter().any(|m| m.severity == glassbox::app::Severity::Error && m.text.contains("line 3")));
    h.get_by_label_contains("line 3");
}

#[test]
fn a_missing_path_says_so() {
    let mut h = app_harness();
    run_until(&mut h, |a| a.session.dataset.is_some());
    h.state_mut().path_box = "/no/such/plant.csv".into();
    h.run_steps(2);
    h.get_by_role_and_label(egui::accesskit::Role::Button, "Open").click();
    h.run_steps(3);
    h.get_by_label_contains("there is no such file");
}

#[test]
fn changing_a_role_from_the_column_list() {
    let mut h = app_harness();
    run_until(&mut h, |a| a.session.dataset.is_some());
    let ctx = h.ctx.clone();
    h.state_mut().apply(&ctx, glassbox::app::Command::set_role(9, glassbox::data::Role::Target));
    h.run_steps(2);
    let ds = h.state().session.dataset.as_ref().expect("dataset");
    assert_eq!(ds.target().map(|c| c.name.as_str()), Some("TWF"));
    assert_eq!(ds.columns.iter().filter(|c| c.role == glassbox::data::Role::Target).count(), 1);
    h.get_by_label("Target: TWF");
}

#[test]
fn trains_in_the_background_and_shows_an_honest_evaluation() {
    let mut h = app_harness();
    run_until(&mut h, |a| a.session.dataset.is_some());
    h.get_by_label("Train").click();
    h.run_steps(2);
    assert_eq!(h.state().tab, glassbox::app::Tab::Train);
    h.get_by_label("No model yet. Choose a target and settings, then press Train model.");
    h.get_by_role_and_label(egui::accesskit::Role::Button, "Train model").click();
    run_until(&mut h, |a| a.session.report.is_some() && !a.is_training());
    h.get_by_label("Accuracy");
    h.get_by_label("Always-majority accuracy");
    h.get_by_label("96.60 %");
    h.get_by_label("Confusion matrix (rows: actual, columns: predicted)");
    h.get_by_label_contains("judge this model by recall");
    // Lowering the decision threshold moves rows from "predicted 0" to "predicted 1".
    let report = h.state().session.report.clone().expect("report");
    let curves = report.evaluation.binary_curves().expect("binary");
    let at_half = curves.at_threshold.at(0.5);
    let at_low = curves.at_threshold.at(0.1);
    assert!(at_low.get(1, 1) >= at_half.get(1, 1) && at_low.get(0, 1) >= at_half.get(0, 1));
    h.state_mut().panels.train.threshold = 0.1;
    h.run_steps(2);
    h.get_all_by_label(&at_low.get(1, 1).to_string()).next().expect("true positives at 0.1 shown");
    // The tree diagram draws every node with its question.
    h.get_by_label("Tree diagram").click();
    h.run_steps(3);
    let tree = report.model.tree().expect("tree");
    h.get_by_label_contains(&format!("{} nodes, {} leaves", tree.n_nodes(), tree.n_leaves()));
}

#[test]
fn a_training_error_is_shown_and_the_model_kept() {
    let mut h = app_harness();
    run_until(&mut h, |a| a.session.dataset.is_some());
    let ctx = h.ctx.clone();
    let mut settings = glassbox::model::train::TrainSettings { target: "Machine failure".into(), ..Default::default() };
    h.state_mut().apply(&ctx, glassbox::app::Command::train(settings.clone()));
    run_until(&mut h, |a| a.session.report.is_some() && !a.is_training());
    let first = h.state().session.report.clone();
    settings.cv_folds = Some(5000);
    h.state_mut().apply(&ctx, glassbox::app::Command::train(settings));
    run_until(&mut h, |a| !a.is_training());
    assert_eq!(h.state().session.report, first, "a failed run leaves the last model in place");
    h.get_by_label_contains("Training failed");
}

#[test]
fn explains_the_model_globally_and_one_row_locally() {
    let mut h = app_harness();
    run_until(&mut h, |a| a.session.dataset.is_some());
    let ctx = h.ctx.clone();
    let settings = glassbox::model::train::TrainSettings { target: "Machine failure".into(), ..Default::default() };
    h.state_mut().apply(&ctx, glassbox::app::Command::train(settings));
    run_until(&mut h, |a| a.session.report.is_some() && !a.is_training());
    h.get_by_label("Explain").click();
    h.run_steps(2);
    // A tree's TreeSHAP is cheap: the explanations come without a click.
    assert!(h.query_by_label("Compute explanations").is_none());
    run_until(&mut h, |a| a.panels.explain.results.global.is_some());
    h.get_by_label("Mean |SHAP|");
    h.get_by_label_contains("Permutation");
    h.get_by_label("Impurity (tree splits)");
    h.get_by_label_contains("SHAP summary");
    h.get_by_label_contains("strongest interaction");
    // Partial dependence on demand.
    h.get_by_label_contains("Compute for").click();
    run_until(&mut h, |a| a.panels.explain.results.pdp.is_some());
    h.get_by_label_contains("Partial dependence (thick)");
    // One row: a known failure of the sample data (row 50 has Machine failure = 1).
    h.get_by_label("One row").click();
    h.state_mut().panels.explain.row = 50;
    h.run_steps(3);
    h.get_by_label_contains("actual: 1");
    h.get_by_label("SHAP: from the base value to this prediction");
    h.get_by_label("Decision path");
    h.get_by_label("Explain with LIME too").click();
    run_until(&mut h, |a| a.panels.explain.results.local.as_ref().is_some_and(|(r, ..)| *r == 50));
    h.get_by_label_contains("LIME weights (local R²");
}

fn train_sample(h: &mut Harness<'static, GlassboxApp>) {
    run_until(h, |a| a.session.dataset.is_some());
    let ctx = h.ctx.clone();
    let settings = glassbox::model::train::TrainSettings { target: "Machine failure".into(), ..Default::default() };
    h.state_mut().apply(&ctx, glassbox::app::Command::train(settings));
    run_until(h, |a| a.session.report.is_some() && !a.is_training());
}

#[test]
fn saves_and_reopens_a_project() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("session.glassbox");
    let mut h = app_harness();
    run_until(&mut h, |a| a.session.dataset.is_some());
    let ctx = h.ctx.clone();
    let tree = glassbox::model::cart::TreeParams { max_depth: Some(4), ..Default::default() };
    let settings = glassbox::model::train::TrainSettings {
        target: "Machine failure".into(),
        params: glassbox::model::ModelParams::Tree(tree.clone()),
        seed: 7,
        ..Default::default()
    };
    h.state_mut().apply(&ctx, glassbox::app::Command::train(settings));
    run_until(&mut h, |a| a.session.report.is_some() && !a.is_training());
    assert!(h.state().session.dirty, "a new model is an unsaved change");
    let ctx = h.ctx.clone();
    h.state_mut().apply(&ctx, glassbox::app::Command::SaveProjectAs);
    assert!(h.state().pending_save.is_some());
    h.state_mut().apply(&ctx, glassbox::app::Command::SaveTo(path.clone()));
    run_until(&mut h, |a| !a.session.dirty);
    assert_eq!(h.state().session.project_path.as_deref(), Some(path.as_path()));
    let saved = glassbox::project::Project::load(&path).expect("a valid project");
    assert!(saved.data.as_ref().is_some_and(glassbox::project::DataRef::is_sample));
    assert_eq!(saved.model.as_ref().map(|m| m.model.target.as_str()), Some("Machine failure"));

    // A fresh window opens it with its model.
    let mut h2 = app_harness();
    run_until(&mut h2, |a| a.session.dataset.is_some());
    let ctx2 = h2.ctx.clone();
    h2.state_mut().apply(&ctx2, glassbox::app::Command::OpenProject(path.clone()));
    run_until(&mut h2, |a| a.session.project_path.is_some() && !a.is_loading());
    assert_eq!(h2.state().session.report.as_deref().map(|r| &r.model), saved.model.as_ref().map(|r| &r.model));
    assert!(!h2.state().session.dirty);
    // The Train panel shows the settings the model was trained with, ready to train again.
    let panel = &h2.state().panels.train;
    assert!(!panel.use_svm && panel.tree == tree && panel.seed == 7);
}

#[test]
fn a_moved_data_file_is_asked_for_and_a_changed_one_is_named() {
    let dir = tempfile::tempdir().expect("dir");
    let data = dir.path().join("plates.csv");
    std::fs::copy(fixture("datasets/steel_plates_faults.csv"), &data).expect("copy");
    let project = dir.path().join("plates.glassbox");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_glassbox"))
        .args(["train", data.to_str().expect("utf-8"), "--target", "Bumps", "--out", project.to_str().expect("utf-8")])
        .output()
        .expect("runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let moved = dir.path().join("moved.csv");
    std::fs::rename(&data, &moved).expect("move");

    let mut h = app_harness();
    run_until(&mut h, |a| a.session.dataset.is_some());
    let ctx = h.ctx.clone();
    h.state_mut().apply(&ctx, glassbox::app::Command::OpenProject(project.clone()));
    run_until(&mut h, |a| a.pending_project.is_some());
    h.run_steps(2);
    h.get_by_label("Where is the data?");
    h.get_by_label_contains("not there any more");
    // The 10,000-row sample stays open meanwhile.
    assert_eq!(h.state().session.dataset.as_ref().map(|d| d.n_rows()), Some(10_000));
    h.state_mut().apply(&ctx, glassbox::app::Command::RelinkData(moved.clone()));
    run_until(&mut h, |a| a.session.project_path.is_some() && !a.is_loading());
    assert_eq!(h.state().session.dataset.as_ref().map(|d| d.n_rows()), Some(1941));
    assert!(h.state().session.report.is_some());

    // Changed content: opening says so before anything is recomputed.
    let mut text = std::fs::read_to_string(&moved).expect("read");
    let first_row = text.lines().nth(1).expect("row").to_owned();
    text.push_str(&first_row);
    text.push('\n');
    std::fs::write(&moved, text).expect("write");
    let mut saved = glassbox::project::Project::load(&project).expect("loads");
    if let Some(d) = saved.data.as_mut() {
        d.path = moved.clone();
    }
    saved.save(&project).expect("saves");
    let mut h = app_harness();
    run_until(&mut h, |a| a.session.dataset.is_some());
    let ctx = h.ctx.clone();
    h.state_mut().apply(&ctx, glassbox::app::Command::OpenProject(project));
    run_until(&mut h, |a| a.pending_project.is_some());
    h.run_steps(2);
    h.get_by_label_contains("data file changed since the project was saved");
}

#[test]
fn unsaved_work_is_recovered_after_a_crash() {
    let dir = tempfile::tempdir().expect("dir");
    let recovery = dir.path().join("recovery.glassbox");
    let mut h = app_harness();
    h.state_mut().set_recovery_path(Some(recovery.clone()));
    h.state_mut().autosave_interval = Duration::from_millis(100);
    train_sample(&mut h);
    // Autosave runs now and then while there are unsaved changes; wait for it.
    let start = Instant::now();
    while !recovery.exists() {
        assert!(start.elapsed() < Duration::from_secs(20), "no recovery file written");
        h.step();
        std::thread::sleep(Duration::from_millis(200));
    }
    std::thread::sleep(Duration::from_millis(300));
    drop(h); // the "crash": the window goes away without a clean exit

    let mut h = app_harness();
    h.state_mut().set_recovery_path(Some(recovery.clone()));
    run_until(&mut h, |a| a.session.dataset.is_some());
    assert!(h.state().recovery_offered);
    h.run_steps(2);
    h.get_by_label("Recover unsaved work?");
    h.get_by_label("Recover").click();
    run_until(&mut h, |a| a.session.report.is_some() && !a.is_loading());
    assert!(h.state().session.dirty, "recovered work is unsaved until saved");
}

#[test]
fn reads_the_model_as_rules_and_exports_them_for_a_plc() {
    let dir = tempfile::tempdir().expect("dir");
    let mut h = app_harness();
    train_sample(&mut h);
    h.get_by_label("Rules & PLC export").click();
    run_until(&mut h, |a| a.panels.rules.result.is_some());
    h.get_by_label("IF");
    h.get_by_label("otherwise (default)");
    h.get_by_label_contains("Agreement with the model:");
    let rules = h.state().panels.rules.rules().expect("rules").clone();
    assert!(!rules.rules.is_empty());

    // Show the rows of the first rule in the data table: the table filters to exactly them.
    h.get_by_label("1").click();
    h.run_steps(2);
    assert_eq!(h.state().panels.rules.selected, Some(0));
    h.get_by_label("Show rule 1's rows in the data table").click();
    h.run_steps(3);
    let highlighted = h.state().panels.data.highlight.as_ref().map(|(_, rows)| rows.len());
    assert_eq!(highlighted, Some(rules.rules[0].stats.support + rules.rules[0].stats.test_support));

    // Rounding shows the fidelity before and after; accepting it puts the rounded rules in use.
    h.get_by_label("Rules & PLC export").click();
    h.run_steps(2);
    h.state_mut().panels.rules.digits = Some(2);
    run_until(&mut h, |a| a.panels.rules.result.as_ref().is_some_and(|r| r.rounding.is_some()));
    h.get_by_label_contains("Fidelity after:");
    h.get_by_label("Accept rounding").click();
    h.run_steps(2);
    assert!(h.state().panels.rules.accepted_rounding.is_some());

    // The export dialog previews Structured Text generated by the engine, byte for byte.
    h.get_by_label("Export to PLC…").click();
    h.run_steps(3);
    h.get_by_label_contains("FUNCTION_BLOCK FB_Machine_failure");
    h.get_by_label("PLCopen XML").click();
    h.run_steps(3);
    h.get_by_label_contains("<pou name=\"FB_Machine_failure\"");
    // Copy puts the file's text on the clipboard for the PLC editor.
    h.get_by_label("Copy").click();
    h.step();
    let copied: Vec<String> = h
        .output()
        .platform_output
        .commands
        .iter()
        .filter_map(|c| match c {
            egui::OutputCommand::CopyText(t) => Some(t.clone()),
            _ => None,
        })
        .collect();
    assert!(copied.iter().any(|t| t.starts_with("<?xml") && t.contains("FB_Machine_failure")), "{copied:?}");
    h.get_by_label("Save…").click();
    h.run_steps(2);
    let path = dir.path().join("fb.xml");
    let ctx = h.ctx.clone();
    h.state_mut().apply(&ctx, glassbox::app::Command::SaveTo(path.clone()));
    let xml = std::fs::read_to_string(&path).expect("saved");
    assert!(xml.starts_with("<?xml") && xml.contains("FB_Machine_failure"), "{}", &xml[..200.min(xml.len())]);
}

#[test]
fn plans_with_scenarios_counterfactuals_and_a_production_plan() {
    let mut h = app_harness();
    train_sample(&mut h);
    h.get_by_label("Plan").click();
    run_until(&mut h, |a| a.panels.plan.planner.is_some());
    h.run_steps(3);
    // The median scenario is there, with a live prediction and an exact waterfall.
    assert_eq!(h.state().session.scenarios.len(), 1);
    h.get_by_label_contains("Prediction:");
    h.get_by_label_contains("exact TreeSHAP");

    // A known failure (row 50): its scenario predicts failure; a counterfactual reaches "0" and
    // applying it gives a new scenario the model predicts as "0".
    h.state_mut().panels.plan.new_row = 50;
    h.get_by_label("Add").click();
    h.run_steps(3);
    assert_eq!(h.state().session.scenarios.len(), 2);
    assert_eq!(h.state().session.scenarios[1].name, "row 50");
    let planner = h.state().panels.plan.planner.as_ref().map(|(_, p)| p.clone()).expect("planner");
    let row50 = h.state().session.scenarios[1].values();
    assert_eq!(planner.predict(&row50).value, 1.0, "row 50 is a predicted failure");
    h.state_mut().panels.plan.want_class = 0;
    h.get_by_label("Find").click();
    run_until(&mut h, |a| a.panels.plan.counterfactuals.is_some());
    let found = h.state().panels.plan.counterfactuals.as_ref().map_or(0, |(_, c)| c.found.len());
    assert!(found >= 1, "at least one counterfactual");
    h.query_all_by_label("Apply").next().expect("an Apply button").click();
    h.run_steps(3);
    let applied = h.state().session.scenarios.last().expect("scenario").values();
    assert_eq!(planner.predict(&applied).value, 0.0, "the applied counterfactual gives the wanted class");
    assert!(h.state().session.dirty, "scenarios are part of the project");

    // Side by side.
    h.get_by_label("Compare scenarios").click();
    h.state_mut().panels.plan.compare = vec![false, true, true];
    h.run_steps(3);
    h.get_by_label("top reasons (SHAP)");

    // The example plan, scored with a flag per risky run.
    h.get_by_label("Production plan").click();
    h.run_steps(2);
    h.get_by_label("Score the example plan").click();
    run_until(&mut h, |a| !a.session.plans.is_empty());
    let plan = h.state().session.plans.last().expect("plan").clone();
    assert_eq!(plan.scored.runs.len(), 24);
    h.get_by_label_contains("24 runs,");
    let project = h.state().session.project();
    assert_eq!(project.plans.len(), 1);
    assert_eq!(project.scenarios.len(), 3);
}
