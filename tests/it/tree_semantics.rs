//! What a tree's settings and figures mean, end to end through the command line: `--max-depth N`
//! gives a tree of depth N (scikit-learn's meaning) in the trained project, in `train --json`
//! and in the exported tree; regression trees report squared error, and their rules and exports
//! speak of means, spreads and errors, never of confidence; projects saved before the change
//! open with their trees unchanged and their depth setting migrated.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use glassbox::model::ModelParams;
use glassbox::project::{Project, VERSION};

use crate::fixture;

fn glassbox(args: &[&std::ffi::OsStr]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_glassbox")).args(args).output().expect("runs")
}

fn ok(args: &[&std::ffi::OsStr]) -> String {
    let out = glassbox(args);
    assert!(out.status.success(), "glassbox {args:?} failed:\n{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn os(s: &str) -> &std::ffi::OsStr {
    s.as_ref()
}

/// `glassbox export PROJECT ARGS --out FILE`, and the file's text.
fn export(project: &Path, args: &[&str], dir: &Path) -> String {
    let out = dir.join("exported.txt");
    let mut all = vec![os("export"), project.as_os_str()];
    all.extend(args.iter().map(|a| os(a)));
    all.extend([os("--out"), out.as_os_str()]);
    ok(&all);
    std::fs::read_to_string(&out).expect("the exported file")
}

fn train(data: &Path, target: &str, extra: &[&str], out: &Path) -> serde_json::Value {
    let mut args = vec![os("train"), data.as_os_str(), os("--target"), os(target), os("--json"), os("--out")];
    args.push(out.as_os_str());
    args.extend(extra.iter().map(|a| os(a)));
    serde_json::from_str(&ok(&args)).expect("train --json prints JSON")
}

#[test]
fn max_depth_n_gives_a_tree_of_depth_n_in_every_place_that_reports_it() {
    let dir = tempfile::tempdir().expect("dir");
    let data = fixture("datasets/ai4i2020.csv");
    for n in [3u16, 6, 8] {
        let project = dir.path().join(format!("ai4i_{n}.glassbox"));
        let depth = n.to_string();
        let v = train(&data, "Machine failure", &["--max-depth", &depth, "--min-samples-leaf", "1"], &project);
        assert_eq!(v["params"]["max_depth"], n, "train --json: the setting");
        assert_eq!(v["tree"]["depth"], n, "train --json: the fitted tree");
        let p = Project::load(&project).expect("loads");
        let tree = p.model.as_ref().and_then(|m| m.model.tree()).expect("a tree");
        assert_eq!(tree.depth(), usize::from(n), "the saved tree");
        let exported = export(&project, &["--format", "tree-json"], dir.path());
        let tree_json: serde_json::Value = serde_json::from_str(&exported).expect("tree JSON");
        assert_eq!(exported_depth(&tree_json), usize::from(n), "export --format tree-json");
    }
}

/// Depth of a tree in the `sklearn-tree-v1` form (`children_left`/`children_right`, -1 at leaves).
fn exported_depth(v: &serde_json::Value) -> usize {
    let tree = v.get("tree").unwrap_or(v);
    let left: Vec<i64> =
        tree["children_left"].as_array().expect("children_left").iter().map(|x| x.as_i64().expect("int")).collect();
    let right: Vec<i64> =
        tree["children_right"].as_array().expect("children_right").iter().map(|x| x.as_i64().expect("int")).collect();
    let mut stack = vec![(0usize, 0usize)];
    let mut max = 0;
    while let Some((node, depth)) = stack.pop() {
        max = max.max(depth);
        if left[node] >= 0 {
            stack.push((usize::try_from(left[node]).expect("child"), depth + 1));
            stack.push((usize::try_from(right[node]).expect("child"), depth + 1));
        }
    }
    max
}

#[test]
fn regression_trees_report_squared_error_and_their_rules_never_speak_of_confidence() {
    let dir = tempfile::tempdir().expect("dir");
    let project = dir.path().join("ccpp.glassbox");
    let v = train(&fixture("datasets/ccpp.csv"), "PE", &["--max-depth", "4"], &project);
    assert_eq!(v["task"], "regression");
    assert_eq!(v["params"]["criterion"], "squared_error", "{}", v["params"]);
    assert_eq!(v["tree"]["depth"], 4);

    let p = project.as_os_str();
    let mut texts: Vec<(String, String)> = Vec::new();
    for format in ["text", "json", "csv"] {
        texts.push((format!("rules --format {format}"), ok(&[os("rules"), p, os("--format"), os(format)])));
    }
    for format in ["st", "plcopen", "json", "csv"] {
        texts.push((format!("export --format {format}"), export(&project, &["--format", format], dir.path())));
        texts.push((
            format!("export --from rules --format {format}"),
            export(&project, &["--from", "rules", "--format", format], dir.path()),
        ));
    }
    for (what, text) in &texts {
        assert!(!text.to_lowercase().contains("confidence"), "{what} mentions confidence:\n{text}");
    }
    // What regression rules report instead: mean, spread and held-out error, to the precision
    // of the data (ccpp's PE has two decimals), never a 12-digit number.
    let (_, rules_text) = &texts[0];
    assert!(rules_text.contains("mean ") && rules_text.contains("std ") && rules_text.contains("held-out MAE"));
    for word in rules_text.split([' ', ',', ';', '(', ')', '\n']) {
        if let Some((_, frac)) = word.split_once('.')
            && !frac.is_empty()
            && frac.chars().all(|c| c.is_ascii_digit())
            && word.chars().next().is_some_and(|c| c.is_ascii_digit())
        {
            assert!(frac.len() <= 4, "'{word}' shows more digits than the data carries:\n{rules_text}");
        }
    }
    let st = &texts.iter().find(|(w, _)| w == "export --format st").expect("st").1;
    assert!(st.contains("Spread : REAL"), "the regression block's second output is the spread:\n{st}");
}

/// A project file as version 1 wrote it, with its tree and its recorded depth setting.
fn v1_projects() -> Vec<PathBuf> {
    ["projects/v1_ai4i_tree.glassbox", "projects/v1_ccpp_tree_rules.glassbox"].iter().map(|p| fixture(p)).collect()
}

#[test]
fn projects_saved_before_the_change_keep_their_trees_and_migrate_the_depth_setting() {
    for path in v1_projects() {
        let text = std::fs::read_to_string(&path).expect("golden v1 file");
        let raw: serde_json::Value = serde_json::from_str(&text).expect("JSON");
        assert_eq!(raw["version"], 1, "{}: the golden file is version 1", path.display());
        let recorded = raw["model"]["settings"]["params"]["max_depth"].as_u64().expect("a recorded depth");
        let p = Project::load(&path).expect("a version 1 project opens");
        assert_eq!(p.version, VERSION);
        let report = p.model.as_ref().expect("model");
        let ModelParams::Tree(params) = &report.settings.params else { panic!("a tree") };
        // Version 1 recorded smartcore's level count; its tree has at most one split fewer.
        assert_eq!(params.max_depth.map(u64::from), Some(recorded - 1), "{}", path.display());
        let tree = report.model.tree().expect("tree");
        assert!(tree.depth() <= usize::from(params.max_depth.expect("depth")));
        // The tree itself is untouched: same arrays as in the file.
        let saved_tree = raw["model"]["model"]["estimator"]["tree"].clone();
        assert_eq!(serde_json::to_value(tree).expect("tree JSON"), saved_tree, "{}", path.display());
        // Regression rules of version 1 carried a "confidence"; it is gone.
        if let Some(rs) = &p.rule_set {
            assert!(
                rs.rules.iter().all(|r| r.stats.confidence.is_none() == (rs.task == glassbox::model::Task::Regression))
            );
        }
        // Saved again, it is a current project that reads back the same.
        let dir = tempfile::tempdir().expect("dir");
        let again = dir.path().join("again.glassbox");
        p.save(&again).expect("saves");
        assert_eq!(Project::load(&again).expect("loads"), p);
    }
}
