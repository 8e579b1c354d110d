//! Planning end to end: what-if, counterfactuals (applied back through `whatif --set`), operating
//! windows, sweeps and plan scoring, on real data, for a tree and an SVM, with bad input.

use std::path::{Path, PathBuf};
use std::process::Command;

use glassbox::Progress;
use glassbox::data::{LoadOptions, load_file};
use glassbox::model::Task;
use glassbox::plan::{
    CfMethod, Constraints, CounterfactualOptions, PlanSettings, Planner, PlannerOptions, Want, WindowOptions,
};
use glassbox::project::Project;
use serde_json::Value;

use crate::fixture;

/// Runs the command line with `args`.
pub fn glassbox(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_glassbox")).args(args).output().expect("runs")
}

/// Runs the command line with `args`, which must succeed, and returns its standard output.
pub fn run_ok(args: &[&str]) -> String {
    let out = glassbox(args);
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn run_err(args: &[&str]) -> String {
    let out = glassbox(args);
    assert!(!out.status.success(), "{args:?} should fail");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn json(args: &[&str]) -> Value {
    serde_json::from_str(&run_ok(args)).expect("json")
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// Trains a project on AI4I (`extra` adds model settings) and returns its path.
fn train_ai4i(dir: &Path, name: &str, extra: &[&str]) -> PathBuf {
    let project = dir.join(name);
    let data = fixture("datasets/ai4i2020.csv");
    let mut args = vec!["train", s(&data), "--target", "Machine failure", "--out", s(&project)];
    args.extend_from_slice(extra);
    run_ok(&args);
    project
}

/// The project's planner and data, as the CLI builds them.
fn planner_of(project: &Path) -> (Planner, glassbox::data::Dataset, Vec<usize>) {
    let p = Project::load(project).expect("project");
    let report = p.model.as_ref().expect("model");
    let ds = p.load_data(&Progress::new()).expect("data");
    let planner = Planner::new(&report.model, &ds, &report.split.train, &PlannerOptions::default(), &Progress::new())
        .expect("planner");
    (planner, ds, report.split.test.clone())
}

/// Rows (among `rows`) the model predicts as class `class`.
fn rows_predicted(planner: &Planner, ds: &glassbox::data::Dataset, rows: &[usize], class: f64) -> Vec<usize> {
    let raw = planner.model().raw_rows(ds, rows).expect("rows");
    let preds = planner.model().predict(&raw);
    rows.iter().zip(preds).filter(|(_, p)| p.value == class).map(|(r, _)| *r).collect()
}

/// Applies every counterfactual of a `counterfactual --json` answer through `whatif --set` and
/// checks the prediction is the wanted class.
fn apply_each(project: &Path, row: usize, answer: &Value, check: impl Fn(&Value)) {
    let list = answer["counterfactuals"].as_array().expect("list");
    for cf in list {
        let mut args: Vec<String> =
            vec!["whatif".into(), s(project).into(), "--row".into(), row.to_string(), "--json".into()];
        for (col, v) in cf["changes"].as_object().expect("changes") {
            let text = match v {
                Value::String(t) => t.clone(),
                other => other.to_string(),
            };
            args.push("--set".into());
            args.push(format!("{col}={text}"));
        }
        let w = json(&args.iter().map(String::as_str).collect::<Vec<_>>());
        check(&w);
        assert_eq!(w["prediction"], cf["prediction"], "whatif agrees with the counterfactual: {cf}");
    }
}

#[test]
fn whatif_json_has_the_documented_shape_and_shap_adds_up() {
    let dir = tempfile::tempdir().expect("dir");
    let project = train_ai4i(dir.path(), "tree.glassbox", &["--max-depth", "6"]);
    let w = json(&["whatif", s(&project), "--row", "0", "--json"]);
    for key in ["prediction", "probability", "probabilities", "shap", "in_envelope"] {
        assert!(!w[key].is_null(), "{key} missing: {w}");
    }
    assert!(w["prediction"].is_string(), "a class name");
    let shap = w["shap"].as_object().expect("shap");
    assert_eq!(shap.len(), 7, "one value per feature (Type, five measurements and the RNF flag)");
    let total: f64 =
        w["shap_base"].as_f64().expect("base") + shap.values().map(|v| v.as_f64().expect("φ")).sum::<f64>();
    let p1 = w["probabilities"]["1"].as_f64().expect("P(1)");
    assert!((total - p1).abs() < 1e-9, "base + Σφ = P(failure): {total} vs {p1}");
    let p = w["probability"].as_f64().expect("p");
    assert!((p - w["probabilities"][w["prediction"].as_str().expect("class")].as_f64().expect("p")).abs() < 1e-12);
    assert_eq!(w["in_envelope"], true, "a training row is inside: {}", w["envelope"]);

    // Changed values, a category by its level name, and the envelope reacting.
    let w = json(&[
        "whatif",
        s(&project),
        "--row",
        "0",
        "--set",
        "Type=H",
        "--set",
        "Air temperature [K]=304",
        "--set",
        "Process temperature [K]=306",
        "--json",
    ]);
    assert_eq!(w["values"]["Type"], "H");
    assert_eq!(w["changed"]["Air temperature [K]"], 304.0);
    assert_eq!(w["envelope"]["in_range"], true, "each value is within its training range");
    assert_eq!(w["in_envelope"], false, "but air 2 K below process was never seen: {}", w["envelope"]);

    let e = run_err(&["whatif", s(&project), "--row", "0", "--set", "Torqe [Nm]=40"]);
    assert!(e.contains("Torque [Nm]"), "names the closest feature: {e}");
    let e = run_err(&["whatif", s(&project), "--row", "0", "--set", "Type=Q"]);
    assert!(e.contains("levels: H, L, M"), "{e}");
    let e = run_err(&["whatif", s(&project), "--row", "0", "--set", "Torque [Nm]=lots"]);
    assert!(e.contains("not a number"), "{e}");
    let e = run_err(&["whatif", s(&project), "--row", "10000"]);
    assert!(e.contains("10000 rows"), "{e}");
    let text = run_ok(&["whatif", s(&project), "--row", "0", "--set", "Torque [Nm]=70"]);
    assert!(
        text.contains("Torque [Nm] = 70 (was 42.8)") && text.contains("SHAP values of P(Machine failure = 1)"),
        "{text}"
    );
}

#[test]
fn tree_counterfactuals_are_exact_and_reach_the_outcome_through_whatif() {
    let dir = tempfile::tempdir().expect("dir");
    let project = train_ai4i(dir.path(), "tree.glassbox", &["--max-depth", "8"]);
    let (planner, ds, test_rows) = planner_of(&project);
    let failing = rows_predicted(&planner, &ds, &test_rows, 1.0);
    assert!(failing.len() >= 3, "the tree predicts some failures among the test rows");
    for &row in failing.iter().take(3) {
        let a =
            json(&["counterfactual", s(&project), "--row", &row.to_string(), "--want", "0", "--count", "3", "--json"]);
        assert_eq!(a["status"], "found", "{a}");
        assert_eq!(a["method"], "tree_regions");
        assert_eq!(a["exact"], true);
        let list = a["counterfactuals"].as_array().expect("list");
        assert!(!list.is_empty() && list.len() <= 3);
        // Ranked: fewest changes first, then cost.
        let rank: Vec<(u64, f64)> =
            list.iter().map(|c| (c["n_changed"].as_u64().expect("n"), c["cost"].as_f64().expect("cost"))).collect();
        assert!(rank.windows(2).all(|w| w[0].0 < w[1].0 || (w[0].0 == w[1].0 && w[0].1 <= w[1].1)), "{rank:?}");
        apply_each(&project, row, &a, |w| assert_eq!(w["prediction"], "0", "{w}"));

        // Exact means nothing the search finds is cheaper.
        let scenario = planner.scenario_from_row(&ds, row).expect("scenario");
        let want = Want::Class { class: 0 };
        let exact = planner
            .counterfactuals(
                &scenario,
                &want,
                &CounterfactualOptions { count: 1, ..Default::default() },
                &Progress::new(),
            )
            .expect("exact");
        let searched = planner
            .counterfactuals(
                &scenario,
                &want,
                &CounterfactualOptions { count: 1, method: CfMethod::Search, ..Default::default() },
                &Progress::new(),
            )
            .expect("search");
        let (e, f) = (&exact.found[0], &searched.found[0]);
        assert!(
            e.changes.len() < f.changes.len() || (e.changes.len() == f.changes.len() && e.cost <= f.cost + 1e-9),
            "row {row}: exact {} changes cost {} vs search {} changes cost {}",
            e.changes.len(),
            e.cost,
            f.changes.len(),
            f.cost
        );
    }

    // Only some features may change, within typed bounds; a fixed feature is never touched.
    let row = failing[0].to_string();
    let a = json(&[
        "counterfactual",
        s(&project),
        "--row",
        &row,
        "--want",
        "0",
        "--vary",
        "Torque [Nm],Rotational speed [rpm]",
        "--bound",
        "Rotational speed [rpm]=1300..2000",
        "--json",
    ]);
    for cf in a["counterfactuals"].as_array().expect("list") {
        for (col, v) in cf["changes"].as_object().expect("changes") {
            assert!(col == "Torque [Nm]" || col == "Rotational speed [rpm]", "{col} must stay fixed");
            if col == "Rotational speed [rpm]" {
                let v = v.as_f64().expect("rpm");
                assert!((1300.0..=2000.0).contains(&v) && v.fract() == 0.0, "within bounds and on the 1 rpm grid: {v}");
            }
        }
    }
    apply_each(&project, failing[0], &a, |w| assert_eq!(w["prediction"], "0"));
    let text = run_ok(&["counterfactual", s(&project), "--row", &row, "--want", "0", "--count", "2"]);
    assert!(text.contains("check: glassbox whatif") && text.contains("exact"), "{text}");

    // Contradictory bounds, unknown classes and features: clear messages.
    let e = run_err(&["counterfactual", s(&project), "--row", &row, "--want", "0", "--bound", "Torque [Nm]=60..20"]);
    assert!(e.contains("contradictory bounds for 'Torque [Nm]'"), "{e}");
    let e = run_err(&["counterfactual", s(&project), "--row", &row, "--want", "no failure"]);
    assert!(e.contains("no class 'no failure'") && e.contains("0, 1"), "{e}");
    let e = run_err(&["counterfactual", s(&project), "--row", &row, "--want", "0", "--vary", "Torqe"]);
    assert!(e.contains("did you mean 'Torque [Nm]'"), "{e}");
    // Nothing may change that matters: no counterfactual within bounds, said plainly.
    let a = json(&[
        "counterfactual",
        s(&project),
        "--row",
        &row,
        "--want",
        "0",
        "--vary",
        "Air temperature [K]",
        "--bound",
        "Air temperature [K]=300..300.1",
        "--json",
    ]);
    if a["status"] != "found" {
        assert_eq!(a["status"], "none_within_bounds");
        assert!(a["message"].as_str().expect("message").contains("no change"), "{a}");
        assert!(a["counterfactuals"].as_array().expect("list").is_empty());
    }
}

#[test]
fn svm_counterfactuals_reach_the_outcome_through_whatif_and_are_deterministic() {
    let dir = tempfile::tempdir().expect("dir");
    let project = train_ai4i(dir.path(), "svm.glassbox", &["--model", "svm", "--c", "50", "--max-train-rows", "600"]);
    let (planner, ds, test_rows) = planner_of(&project);
    let failing = rows_predicted(&planner, &ds, &test_rows, 1.0);
    assert!(!failing.is_empty(), "the SVM predicts some failures among the test rows");
    let row = failing[0].to_string();
    let args = ["counterfactual", s(&project), "--row", &row, "--want", "0", "--count", "3", "--seed", "7", "--json"];
    let a = json(&args);
    assert_eq!(a["status"], "found", "{a}");
    assert_eq!(a["method"], "search");
    assert_eq!(a["exact"], false);
    assert!(a["evaluations"].as_u64().expect("evaluations") <= 20_001);
    apply_each(&project, failing[0], &a, |w| assert_eq!(w["prediction"], "0", "{w}"));
    assert_eq!(json(&args), a, "same seed, same answer");

    // The what-if of an SVM explains with KernelSHAP, exactly (every coalition): efficiency holds.
    let w = json(&["whatif", s(&project), "--row", &row, "--json"]);
    assert_eq!(w["shap_method"], "kernel-shap");
    let total: f64 = w["shap_base"].as_f64().expect("base")
        + w["shap"].as_object().expect("shap").values().map(|v| v.as_f64().expect("φ")).sum::<f64>();
    assert!((total - w["probabilities"]["1"].as_f64().expect("p")).abs() < 1e-9);

    // Operating window on a grid, with its resolution stated; every grid point inside is wanted.
    let scenario = planner.scenario_from_row(&ds, failing[0]).expect("scenario");
    let want = Want::Class { class: 0 };
    let features = vec!["Torque [Nm]".to_owned(), "Rotational speed [rpm]".to_owned()];
    let opts = WindowOptions { resolution: 21, ..WindowOptions::default() };
    let win = planner.operating_window(&scenario, &features, &want, &opts, &Progress::new()).expect("window");
    assert!(!win.exact && win.resolution == Some(21), "{win:?}");
    assert!(!win.contains_current, "the row fails, so it is outside the window");
    assert_window_holds(&planner, &scenario.values(), &win, &want, 5);
    assert!(win.message.contains("grid of 21 points"), "{}", win.message);

    // Cancelling stops the search.
    let progress = Progress::new();
    progress.cancel();
    let r = planner.counterfactuals(&scenario, &want, &CounterfactualOptions::default(), &progress);
    assert!(r.is_err_and(|e| e.is_cancelled()));
}

/// Checks a `k × k` grid of settable points inside the window gives the wanted outcome.
fn assert_window_holds(planner: &Planner, base: &[f64], win: &glassbox::plan::OperatingWindow, want: &Want, k: usize) {
    assert!(!win.limits.is_empty(), "{}", win.message);
    let (a, b) = (&win.limits[0], &win.limits[win.limits.len() - 1]);
    for i in 0..k {
        for j in 0..k {
            let t = |l: &glassbox::plan::WindowLimit, i: usize| {
                let v = l.min + (l.max - l.min) * i as f64 / (k - 1) as f64;
                // Stay on the data's grid (0.1 Nm, 1 rpm).
                (v * 10.0).round() / 10.0
            };
            let mut row = base.to_vec();
            row[a.feature] = t(a, i).clamp(a.min, a.max);
            row[b.feature] = t(b, j).clamp(b.min, b.max);
            let p = planner.predict(&row);
            assert!(want.satisfied(&p), "{row:?} inside the window {:?} gives {}", win.limits, p.value);
        }
    }
}

#[test]
fn tree_operating_windows_are_exact_and_sweeps_mark_the_scenario() {
    let dir = tempfile::tempdir().expect("dir");
    let project = train_ai4i(dir.path(), "tree.glassbox", &["--max-depth", "8"]);
    let (planner, ds, test_rows) = planner_of(&project);
    let ok = rows_predicted(&planner, &ds, &test_rows, 0.0);
    let scenario = planner.scenario_from_row(&ds, ok[0]).expect("scenario");
    let want = Want::Class { class: 0 };
    let features = vec!["Torque [Nm]".to_owned(), "Rotational speed [rpm]".to_owned()];
    let win = planner
        .operating_window(&scenario, &features, &want, &WindowOptions::default(), &Progress::new())
        .expect("window");
    assert!(win.exact && win.contains_current, "{win:?}");
    let values = scenario.values();
    for l in &win.limits {
        assert!(l.min <= values[l.feature] && values[l.feature] <= l.max, "{l:?} contains the current setpoint");
        // The edges are the tree's own thresholds: just past one, the cell changes.
        if let Some(t) = l.edge_above {
            assert!(l.max <= t);
        }
    }
    assert_window_holds(&planner, &values, &win, &want, 9);
    let e = planner
        .operating_window(&scenario, &["Type".to_owned()], &want, &WindowOptions::default(), &Progress::new())
        .expect_err("a category");
    assert!(e.to_string().contains("category"));

    // Sweeps: the scenario's own point sits on its ICE curve.
    let torque = planner.model().feature_names().iter().position(|f| *f == "Torque [Nm]").expect("torque");
    let sweep = planner.sweep(&scenario, torque, 50).expect("sweep");
    assert_eq!(sweep.xs.len(), sweep.ys.len());
    assert!(sweep.xs.windows(2).all(|w| w[0] < w[1]));
    let p1 = planner.predict(&values).probabilities[1];
    assert!((sweep.current.1 - p1).abs() < 1e-12);
    let map = planner.heatmap(&scenario, torque, 0, (20, 10), &Progress::new()).expect("heatmap");
    assert_eq!((map.z.n_rows(), map.z.n_cols()), (map.ys.len(), map.xs.len()));
    assert_eq!(map.ys.len(), 3, "Type has three levels");
}

#[test]
fn regression_wants_value_bounds_and_says_when_they_are_impossible() {
    let dir = tempfile::tempdir().expect("dir");
    let project = dir.path().join("ccpp.glassbox");
    let data = fixture("datasets/ccpp.csv");
    run_ok(&["train", s(&data), "--target", "PE", "--max-depth", "8", "--out", s(&project)]);
    let (planner, ds, test_rows) = planner_of(&project);
    assert_eq!(planner.model().task, Task::Regression);
    let raw = planner.model().raw_rows(&ds, &test_rows).expect("rows");
    let preds = planner.model().predict(&raw);
    let (i, _) = preds.iter().enumerate().find(|(_, p)| p.value > 460.0).expect("a high-output row");
    let row = test_rows[i].to_string();
    let a = json(&["counterfactual", s(&project), "--row", &row, "--want", "<=440", "--json"]);
    assert_eq!(a["status"], "found", "{a}");
    apply_each(&project, test_rows[i], &a, |w| {
        assert!(w["prediction"].as_f64().expect("value") <= 440.0, "{w}");
        assert!(w["probability"].is_null());
    });
    let a = json(&["counterfactual", s(&project), "--row", &row, "--want", ">=10000", "--json"]);
    assert_eq!(a["status"], "impossible", "{a}");
    assert!(a["message"].as_str().expect("message").contains("predictions range from"), "{a}");
    let e = run_err(&["counterfactual", s(&project), "--row", &row, "--want", "500..450"]);
    assert!(e.contains("contradictory"), "{e}");
    let e = run_err(&["counterfactual", s(&project), "--row", &row, "--want", "0"]);
    assert!(e.contains("bound"), "{e}");
    let e = run_err(&["counterfactual", s(&project), "--row", &row, "--want", "<440"]);
    assert!(e.contains("<="), "{e}");
}

#[test]
fn the_sample_plan_is_scored_run_by_run_with_counterfactuals_that_clear_the_flags() {
    let dir = tempfile::tempdir().expect("dir");
    let project = train_ai4i(dir.path(), "tree.glassbox", &["--max-depth", "8"]);
    let plan = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("sample_data/production_plan.csv");
    let out = dir.path().join("scored.csv");
    let stdout = run_ok(&["plan", s(&project), s(&plan), "--out", s(&out), "--save"]);
    let text = std::fs::read_to_string(&out).expect("scored");
    let plan_rows = std::fs::read_to_string(&plan).expect("plan").lines().count() - 1;
    let ds = load_file(&out, &LoadOptions::default(), &Progress::new()).expect("scored plan reads back");
    assert_eq!(ds.n_rows(), plan_rows, "one output row per plan row");
    let header = text.lines().next().expect("header");
    for col in
        ["prediction", "probability", "flagged", "reason_1", "reason_3", "in_envelope", "counterfactual", "filled"]
    {
        assert!(header.split(',').any(|h| h == col), "{col} in {header}");
    }
    let flagged = ds.column("flagged").expect("flagged");
    let n_flagged = (0..ds.n_rows()).filter(|&r| flagged.display_value(r) == "true").count();
    assert!(n_flagged >= 2, "the sample plan has risky runs: {stdout}");
    assert!(n_flagged < plan_rows, "and safe ones");
    let filled = ds.column("filled").expect("filled");
    assert!(filled.display_value(0).contains("Process temperature [K]=310.1 (training median)"));

    // Every flagged run's counterfactual clears the flag.
    let p = Project::load(&project).expect("project");
    let saved = p.plans.first().expect("the plan was saved in the project");
    let (planner, _, _) = planner_of(&project);
    let want = saved.scored.want.clone().expect("want");
    assert_eq!(want, Want::ProbabilityBelow { class: 1, limit: 0.5 });
    for run in saved.scored.runs.iter().filter(|r| r.flagged) {
        let cf = run
            .counterfactual
            .as_ref()
            .unwrap_or_else(|| panic!("row {} has a counterfactual: {:?}", run.row, run.notes));
        let p = planner.predict(&cf.values);
        assert!(want.satisfied(&p), "row {}: {:?}", run.row, cf.changes);
        assert!(cf.changes.iter().all(|c| c.name != "Process temperature [K]"), "a filled feature is not a setpoint");
        assert_eq!(run.reasons.len(), 3);
    }
    assert!(stdout.contains("flagged") && stdout.contains("change"), "{stdout}");
}

#[test]
fn a_bad_plan_gets_a_message_per_column_and_cell_and_is_still_scored() {
    let dir = tempfile::tempdir().expect("dir");
    let project = train_ai4i(dir.path(), "tree.glassbox", &["--max-depth", "6"]);
    let plan = fixture("plans/bad_plan.csv");
    let out = dir.path().join("scored.csv");
    let o = glassbox(&["plan", s(&project), s(&plan), "--out", s(&out), "--bound", "Tool wear [min]=200..100"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let notes = String::from_utf8_lossy(&o.stderr).into_owned();
    for expected in [
        "column 'Torqe [Nm]': unknown column",
        "closest: 'Torque [Nm]'",
        "column 'Torque [Nm]': the plan has no column for this feature: every run uses the training median",
        "rename it",
        "column 'Operator': unknown column",
        "column 'Process temperature [K]': the plan has no column",
        "row 1, column 'Rotational speed [rpm]': 'high' is not a number; filled with the training median",
        "row 2, column 'Type': level 'X' was never seen in training",
        "row 2, column 'Rotational speed [rpm]': 'Rotational speed [rpm]' = 9000 is far outside the training range",
        "row 3, column 'Tool wear [min]': the cell is empty; filled with the training median",
        "contradictory bounds for 'Tool wear [min]'",
    ] {
        assert!(notes.contains(expected), "missing «{expected}» in:\n{notes}");
    }
    let ds = load_file(&out, &LoadOptions::default(), &Progress::new()).expect("reads back");
    assert_eq!(ds.n_rows(), 5, "every run scored");
    let prediction = ds.column("prediction").expect("prediction");
    assert!((0..5).all(|r| !prediction.display_value(r).is_empty()));
    assert!(ds.column("notes").expect("notes").display_value(1).contains("'high' is not a number"));

    // A plan with none of the features cannot be scored, and says why.
    let empty = dir.path().join("nothing.csv");
    std::fs::write(&empty, "a,b\n1,2\n").expect("write");
    let e = run_err(&["plan", s(&project), s(&empty), "--out", s(&out)]);
    assert!(e.contains("none of the model's features"), "{e}");
}

#[test]
fn scenarios_are_saved_in_the_project_and_plans_score_through_the_engine() {
    let dir = tempfile::tempdir().expect("dir");
    let project = train_ai4i(dir.path(), "tree.glassbox", &["--max-depth", "5"]);
    run_ok(&["whatif", s(&project), "--row", "3", "--set", "Torque [Nm]=55", "--save-scenario", "more torque"]);
    let p = Project::load(&project).expect("loads");
    assert_eq!(p.scenarios.len(), 1);
    let sc = &p.scenarios[0];
    assert_eq!(sc.name, "more torque");
    let torque = sc.index("Torque [Nm]").expect("torque");
    assert_eq!(sc.features[torque].value, 55.0);
    assert_eq!(sc.features[torque].step, 0.1, "the data's resolution");
    let again = Project::from_bytes(&serde_json::to_vec(&p).expect("json"), &project).expect("round trip");
    assert_eq!(again.scenarios, p.scenarios);

    // Plan scoring through the engine, and a vary list it cannot use: scored, with a message.
    let (planner, _, _) = planner_of(&project);
    let plan = load_file(&fixture("plans/bad_plan.csv"), &LoadOptions::default(), &Progress::new()).expect("plan");
    let scored = planner.score_plan(&plan, &PlanSettings::default(), &Progress::new()).expect("scored");
    assert_eq!(scored.runs.len(), 5);
    assert!(scored.runs.iter().all(|r| r.reasons.len() == 3 && r.values.len() == 7));
    let mut settings = PlanSettings {
        constraints: Constraints { vary: Some(vec!["Torque".into()]), bounds: vec![] },
        ..PlanSettings::default()
    };
    settings.want = Some(Want::ProbabilityBelow { class: 1, limit: 0.01 });
    let strict = planner.score_plan(&plan, &settings, &Progress::new()).expect("scored");
    assert!(
        strict
            .messages
            .iter()
            .any(|m| m.text.contains("no counterfactuals proposed") && m.text.contains("Torque [Nm]"))
    );
}
