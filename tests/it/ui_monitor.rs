//! After the model ships, driven through the window: new data with a shifted sensor monitored
//! against the model in the Monitor panel, the model retrained on it, the two versions compared
//! rule by rule, the first one restored; bad new data named without changing the session; an
//! encrypted project and a model-only copy opened; a copy shared and a passphrase set.

use std::path::{Path, PathBuf};

use egui::accesskit::Role;
use egui_kittest::kittest::Queryable as _;
use glassbox::app::Tab;

use crate::fixture;
use crate::ui::{app_harness, run_until};

/// `rows` AI4I rows spread evenly over the file (its air temperature wanders with time), with
/// `f` applied to each row's cells (the file quotes nothing).
fn ai4i_variant(dir: &Path, name: &str, rows: usize, f: impl Fn(&mut Vec<String>)) -> PathBuf {
    let text = std::fs::read_to_string(fixture("datasets/ai4i2020.csv")).expect("AI4I data");
    let mut lines = text.lines();
    let mut header: Vec<String> = lines.next().expect("header").split(',').map(str::to_owned).collect();
    f(&mut header);
    let mut out = header.join(",");
    out.push('\n');
    for line in lines.step_by(10_000 / rows).take(rows) {
        let mut cells: Vec<String> = line.split(',').map(str::to_owned).collect();
        f(&mut cells);
        out.push_str(&cells.join(","));
        out.push('\n');
    }
    let path = dir.join(name);
    std::fs::write(&path, out).expect("write");
    path
}

/// Torque is column 6 of AI4I.
const TORQUE: usize = 6;

fn train_depth_4(h: &mut egui_kittest::Harness<'static, glassbox::app::GlassboxApp>) {
    run_until(h, |a| a.session.dataset.is_some());
    let ctx = h.ctx.clone();
    let tree = glassbox::model::cart::TreeParams { max_depth: Some(4), ..Default::default() };
    let settings = glassbox::model::train::TrainSettings {
        target: "Machine failure".into(),
        params: glassbox::model::ModelParams::Tree(tree),
        ..Default::default()
    };
    h.state_mut().apply(&ctx, glassbox::app::Command::train(settings));
    run_until(h, |a| a.session.report.is_some() && !a.is_training());
}

#[test]
fn monitors_new_data_retrains_and_compares_the_versions_rule_by_rule() {
    let dir = tempfile::tempdir().expect("dir");
    // A gearbox that now needs 12 Nm more for the same work: every torque reading moves up.
    let shifted = ai4i_variant(dir.path(), "torque_up.csv", 5000, |cells| {
        if let Ok(v) = cells[TORQUE].parse::<f64>() {
            cells[TORQUE] = format!("{:.1}", v + 12.0);
        }
    });
    let mut h = app_harness();
    train_depth_4(&mut h);
    let first = h.state().session.report.clone().expect("model");

    let ctx = h.ctx.clone();
    h.state_mut().apply(&ctx, glassbox::app::Command::ShowTab(Tab::Monitor));
    h.run_steps(2);
    h.get_by_label("Model versions (1)");
    h.state_mut().panels.monitor.path = shifted.display().to_string();
    h.run_steps(1);
    h.get_by_role_and_label(Role::Button, "Run monitor").click();
    run_until(&mut h, |a| a.panels.monitor.result.is_some());

    // What the panel shows is the engine's report on the same rows.
    let report = h.state().panels.monitor.result.as_ref().map(|m| m.report.clone()).expect("report");
    assert_eq!(report.rows, 5000);
    let torque = report.features.iter().find(|f| f.name == "Torque [Nm]").expect("torque");
    assert_eq!(torque.drift, glassbox::monitor::DriftLevel::Major, "{torque:?}");
    h.get_by_label_contains(&format!("Major drift: Torque [Nm] (PSI {:.3})", torque.psi));
    h.get_by_label_contains("torque_up.csv: 5000 new rows against 8000 training rows");
    assert!(
        report
            .features
            .iter()
            .filter(|f| f.name != "Torque [Nm]")
            .all(|f| f.drift == glassbox::monitor::DriftLevel::None),
        "only torque moved: {:?}",
        report.features.iter().map(|f| (&f.name, f.psi)).collect::<Vec<_>>()
    );
    // The most drifted feature is selected, with its medians then and now.
    let selected = h.state().panels.monitor.selected.and_then(|i| report.features.get(i)).map(|f| f.name.clone());
    assert_eq!(selected.as_deref(), Some("Torque [Nm]"));
    let (then, now) = (torque.median_then.expect("median"), torque.median_now.expect("median"));
    assert!((now - then - 12.0).abs() < 0.5, "medians {then} → {now}");
    let median = |v: f64| glassbox::rules::score::significant(v, 4);
    h.get_by_label(&format!("Median {} → {} Nm", median(then), median(now)));
    // The target is in the new data: the metrics are there with the verdict.
    let metrics = report.metrics.as_ref().expect("metrics");
    h.get_by_label(&metrics.verdict);
    assert!(!h.state().session.dirty || h.state().session.project_path.is_none(), "monitoring changes nothing");

    // Retrain on the new rows alone: the old model stays as version 1.
    h.get_by_role_and_label(Role::Button, "Retrain on this data").click();
    run_until(&mut h, |a| a.session.history().len() == 2 && !a.is_training() && !a.is_loading());
    assert_eq!(h.state().tab, Tab::Monitor);
    let second = h.state().session.report.clone().expect("retrained");
    assert_ne!(second.model, first.model);
    assert!(h.state().session.dirty, "a retrained model is an unsaved change");
    assert_eq!(h.state().session.dataset.as_ref().map(|d| d.n_rows()), Some(5000));
    h.get_by_label("2 (current)");
    h.get_by_label("retrained on new data");

    // Compare version 1 with the current model on the new rows.
    h.get_by_role_and_label(Role::Button, "Compare 1 with current").click();
    run_until(&mut h, |a| a.panels.monitor.comparison.is_some());
    let cmp = h.state().panels.monitor.comparison.as_ref().map(|c| c.comparison.clone()).expect("comparison");
    let moves: Vec<String> =
        cmp.rules.threshold_moves().map(glassbox::compare::rule_diff::ThresholdMove::describe).collect();
    assert!(moves.iter().any(|m| m.starts_with("Torque [Nm]")), "the torque thresholds moved: {moves:?}");
    for m in &moves {
        h.get_by_label(m); // each once, under "Thresholds that moved"
    }
    h.get_by_label_contains(&format!("They decide alike on {} of 5000 rows", cmp.agreement.agree));
    assert!(cmp.structured_text.as_ref().is_some_and(|d| !d.is_empty()), "the PLC code changed");
    // Version 2 was trained on these rows, and the comparison says so.
    let optimistic = "these rows include the ones model B was trained on, so its metrics here are optimistic";
    assert!(cmp.notes.iter().any(|n| n.starts_with(optimistic)), "{:?}", cmp.notes);
    assert!(!cmp.notes.iter().any(|n| n.contains("model A was trained on")), "{:?}", cmp.notes);
    h.get_by_label_contains(optimistic);

    // Restore version 1: its model is current again, as version 3.
    h.get_by_role_and_label(Role::Button, "Restore 1").click();
    run_until(&mut h, |a| a.session.history().len() == 3 && !a.is_loading());
    let restored = h.state().session.report.clone().expect("restored");
    assert_eq!(restored.model, first.model);
    assert_eq!(h.state().session.dataset.as_ref().map(|d| d.n_rows()), Some(10_000), "with the data it was trained on");
    h.get_by_label("3 (current)");
    h.get_by_label("version 1 restored");
}

#[test]
fn new_data_without_a_feature_is_named_and_the_session_kept() {
    let dir = tempfile::tempdir().expect("dir");
    let no_torque = ai4i_variant(dir.path(), "no_torque.csv", 500, |cells| {
        cells.remove(TORQUE);
    });
    let mut h = app_harness();
    train_depth_4(&mut h);
    let model = h.state().session.report.clone().expect("model");
    let ctx = h.ctx.clone();
    h.state_mut().apply(&ctx, glassbox::app::Command::ShowTab(Tab::Monitor));
    h.state_mut().panels.monitor.path = no_torque.display().to_string();
    h.run_steps(2);
    h.get_by_role_and_label(Role::Button, "Run monitor").click();
    run_until(&mut h, |a| a.panels.monitor.note.is_some());
    let note = h.state().panels.monitor.note.clone().unwrap_or_default();
    assert!(note.contains("Torque [Nm]"), "{note}");
    assert!(h.state().panels.monitor.result.is_none());
    assert_eq!(h.state().session.report.as_ref().map(|r| &r.model), Some(&model.model));
    assert_eq!(h.state().session.history().len(), 1);
}

/// Trains a depth-4 tree on the sample in a window and saves it as `path`; returns the project.
fn saved_project(path: &Path) -> glassbox::project::Project {
    let mut h = app_harness();
    train_depth_4(&mut h);
    let ctx = h.ctx.clone();
    h.state_mut().apply(&ctx, glassbox::app::Command::SaveProjectAs);
    h.state_mut().apply(&ctx, glassbox::app::Command::SaveTo(path.to_path_buf()));
    run_until(&mut h, |a| !a.session.dirty);
    glassbox::project::Project::load(path).expect("saved")
}

#[test]
fn an_encrypted_project_asks_for_its_passphrase_and_stays_encrypted() {
    use glassbox::project::crypto::{Passphrase, is_sealed};
    let dir = tempfile::tempdir().expect("dir");
    let mut project = saved_project(&dir.path().join("plain.glassbox"));
    let sealed = dir.path().join("sealed.glassbox");
    let pass = Passphrase::new(b"night shift 3".to_vec()).expect("passphrase");
    project.sealing = glassbox::project::Sealing(Some(std::sync::Arc::new(pass)));
    project.save(&sealed).expect("saved encrypted");

    let mut h = app_harness();
    run_until(&mut h, |a| a.session.dataset.is_some());
    let ctx = h.ctx.clone();
    h.state_mut().apply(&ctx, glassbox::app::Command::OpenProject(sealed.clone()));
    h.run_steps(2);
    assert!(h.state().passphrase_prompt.is_some(), "the window asks instead of failing");
    h.get_by_label_contains("is encrypted. Type its passphrase to open it");

    // A wrong passphrase brings the prompt back with the reason; the open session is kept.
    *h.state_mut().passphrase_prompt.as_mut().expect("prompt").text = "night shift 4".into();
    h.get_by_role_and_label(Role::Button, "Open project").click();
    run_until(&mut h, |a| !a.is_loading() && a.passphrase_prompt.as_ref().is_some_and(|p| p.problem.is_some()));
    h.get_by_label_contains("the passphrase does not open this project");
    assert!(h.state().session.project_path.is_none());

    *h.state_mut().passphrase_prompt.as_mut().expect("prompt").text = "night shift 3".into();
    h.get_by_role_and_label(Role::Button, "Open project").click();
    run_until(&mut h, |a| !a.is_loading() && a.session.project_path.is_some());
    assert!(h.state().passphrase_prompt.is_none());
    assert_eq!(h.state().session.report.as_ref().map(|r| &r.model), project.model.as_ref().map(|r| &r.model));
    assert!(h.state().session.is_encrypted());

    // Saved again, it is still encrypted under the same passphrase.
    h.state_mut().apply(&ctx, glassbox::app::Command::ShowTab(Tab::Monitor));
    let ctx = h.ctx.clone();
    h.state_mut().apply(&ctx, glassbox::app::Command::SaveProject);
    run_until(&mut h, |a| !a.is_busy());
    let bytes = std::fs::read(&sealed).expect("file");
    assert!(is_sealed(&bytes), "saved encrypted");
    assert!(!String::from_utf8_lossy(&bytes).contains("Machine failure"), "no plain text inside");
}

#[test]
fn a_model_only_copy_opens_with_a_data_file_and_says_what_it_lacks() {
    use glassbox::project::share::{CopyOptions, model_only};
    let dir = tempfile::tempdir().expect("dir");
    let project = saved_project(&dir.path().join("full.glassbox"));
    let (copy, _) = model_only(&project, &CopyOptions::default()).expect("copy");
    let copy_path = dir.path().join("copy.glassbox");
    copy.save(&copy_path).expect("saved");

    let mut h = app_harness();
    run_until(&mut h, |a| a.session.dataset.is_some());
    let ctx = h.ctx.clone();
    h.state_mut().apply(&ctx, glassbox::app::Command::OpenProject(copy_path.clone()));
    run_until(&mut h, |a| !a.is_loading() && a.pending_project.is_some());
    h.get_by_label_contains("is a model-only copy: it holds no data.");
    h.state_mut().pending_project.as_mut().expect("pending").new_data =
        fixture("datasets/ai4i2020.csv").display().to_string();
    h.run_steps(1);
    h.get_by_role_and_label(Role::Button, "Open with this file").click();
    run_until(&mut h, |a| !a.is_loading() && a.session.project_path.is_some());
    assert_eq!(h.state().session.project_path.as_deref(), Some(copy_path.as_path()));
    assert_eq!(h.state().session.report.as_ref().map(|r| &r.model), project.model.as_ref().map(|r| &r.model));
    assert_eq!(h.state().session.dataset.as_ref().map(|d| d.n_rows()), Some(10_000));
    h.get_by_label_contains("this copy holds no data");
}

#[test]
fn the_window_shares_a_model_only_copy_and_encrypts_the_project() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("line3.glassbox");
    let project = saved_project(&path);
    let mut h = app_harness();
    run_until(&mut h, |a| a.session.dataset.is_some());
    let ctx = h.ctx.clone();
    h.state_mut().apply(&ctx, glassbox::app::Command::OpenProject(path.clone()));
    run_until(&mut h, |a| !a.is_loading() && a.session.project_path.is_some());

    // A copy with neutral names, written from the File menu's dialog.
    h.state_mut().apply(&ctx, glassbox::app::Command::OpenShareDialog);
    h.run_steps(2);
    let copy_path = dir.path().join("for_vendor.glassbox");
    h.state_mut().share_dialog.as_mut().expect("dialog").path = copy_path.display().to_string();
    h.get_by_label("replace feature names by F1 … Fn (units dropped)").click();
    h.run_steps(1);
    h.get_by_role_and_label(Role::Button, "Write the copy").click();
    run_until(&mut h, |a| !a.is_busy() && a.share_dialog.is_none());
    let copy = glassbox::project::Project::load(&copy_path).expect("the copy opens");
    let info = copy.copy.as_ref().expect("marked as a copy");
    assert!(info.neutral_names && copy.data.is_none());
    let names = copy.model.as_ref().map(|m| m.model.feature_names().join(",")).unwrap_or_default();
    assert!(names.starts_with("F1,F2"), "{names}");
    let text = std::fs::read_to_string(&copy_path).expect("copy text");
    assert!(!text.contains("Torque") && !text.contains("ai4i"), "no feature names or data name in the copy");
    h.get_by_label_contains("Wrote the model-only copy");

    // A passphrase, twice; the next save writes the file encrypted.
    h.state_mut().apply(&ctx, glassbox::app::Command::OpenPassphraseDialog);
    h.run_steps(3);
    {
        let d = h.state_mut().passphrase_dialog.as_mut().expect("dialog");
        *d.text = "line 3 only".into();
        *d.repeat = "line 3 onIy".into();
    }
    h.get_by_role_and_label(Role::Button, "Use this passphrase").click();
    h.run_steps(3);
    assert!(h.state().passphrase_dialog.as_ref().is_some_and(|d| d.problem.is_some()), "two different entries refused");
    {
        let d = h.state_mut().passphrase_dialog.as_mut().expect("dialog");
        *d.text = "line 3 only".into();
        *d.repeat = "line 3 only".into();
    }
    h.get_by_role_and_label(Role::Button, "Use this passphrase").click();
    h.run_steps(2);
    assert!(h.state().session.is_encrypted() && h.state().session.dirty);
    h.state_mut().apply(&ctx, glassbox::app::Command::SaveProject);
    run_until(&mut h, |a| !a.is_busy() && !a.session.dirty);
    assert!(glassbox::project::crypto::is_sealed(&std::fs::read(&path).expect("file")));
    let pass = glassbox::project::crypto::Passphrase::new(b"line 3 only".to_vec()).expect("passphrase");
    let reopened = glassbox::project::Project::load_with(&path, Some(&pass)).expect("opens with the passphrase");
    assert_eq!(reopened.model.as_ref().map(|m| &m.model), project.model.as_ref().map(|m| &m.model));
}
