//! Retraining with model history, comparing two models, and projects that leave the plant,
//! end to end through the command line on the bundled data: a tree trained on the first half of
//! AI4I is retrained on all of it, the two are compared (every threshold that moved is named,
//! and the diff agrees with a direct comparison of the two rule sets), the history round-trips
//! and restores the earlier model byte for byte, bad new data is named by column without
//! touching the project, model-only copies hold no rows or paths yet predict the same, and
//! encrypted projects open with their passphrase only.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use glassbox::model::Task;
use glassbox::progress::Progress;
use glassbox::project::Project;
use glassbox::project::crypto::Passphrase;
use glassbox::project::history::Origin;
use glassbox::project::retrain::{RetrainMode, retrain};
use glassbox::rules::{Condition, RuleSet, from_model_tree, number};
use serde_json::Value;

use crate::fixture;

fn glassbox(args: &[&std::ffi::OsStr]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_glassbox"))
        .args(args)
        .env_remove("GLASSBOX_PASSPHRASE")
        .env_remove("SOURCE_DATE_EPOCH")
        .output()
        .expect("runs")
}

fn ok(args: &[&std::ffi::OsStr]) -> String {
    let out = glassbox(args);
    assert!(out.status.success(), "glassbox {args:?} failed:\n{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn err(args: &[&std::ffi::OsStr]) -> String {
    let out = glassbox(args);
    assert!(!out.status.success(), "glassbox {args:?} should fail:\n{}", String::from_utf8_lossy(&out.stdout));
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn os(s: &str) -> &std::ffi::OsStr {
    s.as_ref()
}

/// Writes the header and the data lines `from..to` (0-based, header not counted) of a fixture.
fn rows_of(rel: &str, from: usize, to: usize, out: &Path) -> PathBuf {
    let text = std::fs::read_to_string(fixture(rel)).expect("fixture");
    let mut lines = text.split_inclusive('\n');
    let header = lines.next().expect("header").to_owned();
    let body: String = lines.skip(from).take(to - from).collect();
    std::fs::write(out, header + &body).expect("write");
    out.to_path_buf()
}

/// The failure flags of AI4I say whether the machine failed; left out, the tree splits on the
/// process measurements, whose thresholds move when the data grows.
const AI4I_LEAKS: &str = "TWF,HDF,PWF,OSF,RNF";

fn train(data: &Path, target: &str, extra: &[&str], out: &Path) {
    let mut args = vec![os("train"), data.as_os_str(), os("--target"), os(target), os("--out"), out.as_os_str()];
    args.extend(extra.iter().map(|a| os(a)));
    ok(&args);
}

fn model_bytes(p: &Path) -> Vec<u8> {
    let project = Project::load(p).expect("loads");
    serde_json::to_vec(&project.trained().expect("model").model).expect("json")
}

fn export_st(project: &Path, dir: &Path, name: &str) -> String {
    let out = dir.join(name);
    ok(&[os("export"), project.as_os_str(), os("--format"), os("st"), os("--out"), out.as_os_str()]);
    std::fs::read_to_string(out).expect("exported")
}

/// A JSON number as an index.
fn idx(v: &Value) -> usize {
    usize::try_from(v.as_u64().expect("an index")).expect("fits")
}

/// `(feature, bound, threshold)` of every range condition of a rule.
fn bounds(rs: &RuleSet, rule: usize) -> Vec<(String, &'static str, f64)> {
    let mut out = Vec::new();
    for c in &rs.rules[rule].conditions {
        if let Condition::Range { feature, low, high } = c {
            let name = rs.features[*feature].name.clone();
            if let Some(l) = low {
                out.push((name.clone(), "above", *l));
            }
            if let Some(h) = high {
                out.push((name, "at_most", *h));
            }
        }
    }
    out
}

/// Checks a `compare --json` rule diff against the two rule sets compared directly: pairs cover
/// every rule once, a changed pair lists exactly the bounds that differ, an unchanged pair has
/// none, and every threshold of one set that the other lacks is named as moved or sits in a
/// removed or added rule. Returns the moves as `compare` prints them.
fn check_rule_diff(diff: &Value, a: &RuleSet, b: &RuleSet) -> Vec<String> {
    let indices = |key: &str| -> Vec<usize> {
        diff[key]
            .as_array()
            .expect(key)
            .iter()
            .map(|v| usize::try_from(v.as_u64().expect("index")).expect("usize"))
            .collect()
    };
    let (removed, added) = (indices("removed"), indices("added"));
    let unchanged: Vec<(usize, usize)> =
        diff["unchanged"].as_array().expect("unchanged").iter().map(|p| (idx(&p[0]), idx(&p[1]))).collect();
    let changed = diff["changed"].as_array().expect("changed");
    let pairs: Vec<(usize, usize)> =
        unchanged.iter().copied().chain(changed.iter().map(|c| (idx(&c["a"]), idx(&c["b"])))).collect();
    let mut seen_a: Vec<usize> = pairs.iter().map(|p| p.0).chain(removed.iter().copied()).collect();
    let mut seen_b: Vec<usize> = pairs.iter().map(|p| p.1).chain(added.iter().copied()).collect();
    seen_a.sort_unstable();
    seen_b.sort_unstable();
    assert_eq!(seen_a, (0..a.rules.len()).collect::<Vec<_>>(), "every rule of A once");
    assert_eq!(seen_b, (0..b.rules.len()).collect::<Vec<_>>(), "every rule of B once");

    let direct = |i: usize, j: usize| -> BTreeSet<(String, String, u64, u64)> {
        let (ba, bb) = (bounds(a, i), bounds(b, j));
        let mut moved = BTreeSet::new();
        for (f, bd, v) in &ba {
            let (g, _, w) = bb.iter().find(|(g, bd2, _)| g == f && bd2 == bd).expect("a pair has the same structure");
            assert_eq!(f, g);
            if v != w {
                moved.insert((f.clone(), (*bd).to_owned(), v.to_bits(), w.to_bits()));
            }
        }
        assert_eq!(ba.len(), bb.len(), "a pair has the same structure");
        moved
    };
    let mut moves = Vec::new();
    let mut moved_from: BTreeSet<(String, String, u64)> = BTreeSet::new();
    let mut moved_to: BTreeSet<(String, String, u64)> = BTreeSet::new();
    for c in changed {
        let (i, j) = (idx(&c["a"]), idx(&c["b"]));
        let listed: BTreeSet<(String, String, u64, u64)> = c["thresholds"]
            .as_array()
            .expect("thresholds")
            .iter()
            .map(|t| {
                (
                    t["feature"].as_str().expect("feature").to_owned(),
                    t["bound"].as_str().expect("bound").to_owned(),
                    t["from"].as_f64().expect("from").to_bits(),
                    t["to"].as_f64().expect("to").to_bits(),
                )
            })
            .collect();
        assert_eq!(listed, direct(i, j), "rule A{i} → B{j}: the listed moves are exactly the bounds that differ");
        for (f, bd, from, to) in &listed {
            moved_from.insert((f.clone(), bd.clone(), *from));
            moved_to.insert((f.clone(), bd.clone(), *to));
            let op = if bd == "above" { ">" } else { "<=" };
            moves.push(format!("{f} {op} {} → {}", number(f64::from_bits(*from)), number(f64::from_bits(*to))));
        }
    }
    for &(i, j) in &unchanged {
        assert!(direct(i, j).is_empty(), "unchanged A{i} → B{j} moved a threshold");
        assert_eq!(a.describe_outcome(a.rules[i].outcome), b.describe_outcome(b.rules[j].outcome));
    }
    // Every threshold only one side has is accounted for.
    let all = |rs: &RuleSet| -> BTreeSet<(String, String, u64)> {
        (0..rs.rules.len()).flat_map(|r| bounds(rs, r)).map(|(f, bd, v)| (f, bd.to_owned(), v.to_bits())).collect()
    };
    let (in_a, in_b) = (all(a), all(b));
    for i in 0..a.rules.len() {
        for (f, bd, v) in bounds(a, i) {
            let key = (f.clone(), bd.to_owned(), v.to_bits());
            if !in_b.contains(&key) {
                assert!(
                    removed.contains(&i) || moved_from.contains(&key),
                    "A's threshold {f} {bd} {v} (rule {i}) is gone from B but the diff does not name it"
                );
            }
        }
    }
    for j in 0..b.rules.len() {
        for (f, bd, v) in bounds(b, j) {
            let key = (f.clone(), bd.to_owned(), v.to_bits());
            if !in_a.contains(&key) {
                assert!(
                    added.contains(&j) || moved_to.contains(&key),
                    "B's threshold {f} {bd} {v} (rule {j}) is new but the diff does not name it"
                );
            }
        }
    }
    moves
}

#[test]
fn a_retrained_tree_compares_with_its_predecessor_naming_every_moved_threshold() {
    let dir = tempfile::tempdir().expect("dir");
    let d = dir.path();
    let full = fixture("datasets/ai4i2020.csv");
    let half = rows_of("datasets/ai4i2020.csv", 0, 5000, &d.join("ai4i_first_half.csv"));
    let (a, b) = (d.join("a.glassbox"), d.join("b.glassbox"));
    train(&half, "Machine failure", &["--max-depth", "5", "--exclude", AI4I_LEAKS], &a);
    let a_before = std::fs::read(&a).expect("a");
    let text = ok(&[os("retrain"), a.as_os_str(), os("--data"), full.as_os_str(), os("--out"), b.as_os_str()]);
    assert!(text.contains("version 2") && text.contains("saved"), "{text}");
    assert_eq!(std::fs::read(&a).expect("a"), a_before, "retrain never writes its input");

    let json: Value = serde_json::from_str(&ok(&[
        os("compare"),
        a.as_os_str(),
        b.as_os_str(),
        os("--data"),
        full.as_os_str(),
        os("--json"),
    ]))
    .expect("compare --json");
    let (pa, pb) = (Project::load(&a).expect("a"), Project::load(&b).expect("b"));
    let (ma, mb) = (&pa.trained().expect("a").model, &pb.trained().expect("b").model);
    let (ra, rb) = (from_model_tree(ma).expect("rules a"), from_model_tree(mb).expect("rules b"));
    let moves = check_rule_diff(&json["rules"], &ra, &rb);
    assert!(!moves.is_empty(), "more data moves some threshold of a depth-5 tree");
    let st = &json["structured_text"];
    assert!(st["removed"].as_u64().expect("removed") > 0 && st["unified"].as_str().expect("diff").contains("\n+"));

    // Metrics and agreement agree with the models run directly on every row.
    let ds = glassbox::data::load_file(&full, &glassbox::data::LoadOptions::default(), &Progress::new()).expect("data");
    let rows: Vec<usize> = (0..ds.n_rows()).collect();
    let actual = ds.column("Machine failure").expect("target");
    let predict = |m: &glassbox::model::TrainedModel| -> Vec<String> {
        m.predict(&m.raw_rows(&ds, &rows).expect("raw")).iter().map(|p| m.format_prediction(p.value)).collect()
    };
    let (xa, xb) = (predict(ma), predict(mb));
    let accuracy = |x: &[String]| {
        x.iter().enumerate().filter(|(r, p)| actual.display_value(*r) == **p).count() as f64 / x.len() as f64
    };
    let metric = |name: &str, side: &str| {
        json["metrics"].as_array().expect("metrics").iter().find(|m| m["name"] == name).expect(name)[side]
            .as_f64()
            .expect("value")
    };
    assert!((metric("accuracy", "a") - accuracy(&xa)).abs() < 1e-12);
    assert!((metric("accuracy", "b") - accuracy(&xb)).abs() < 1e-12);
    let disagree: Vec<usize> = (0..rows.len()).filter(|&r| xa[r] != xb[r]).collect();
    assert_eq!(json["agreement"]["agree"].as_u64(), Some((rows.len() - disagree.len()) as u64));
    let listed: Vec<usize> = json["disagreements"].as_array().expect("rows").iter().map(|r| idx(&r["row"])).collect();
    assert_eq!(listed, disagree);
    let importance = json["importance"].as_array().expect("importance");
    assert_eq!(importance.len(), ma.n_features());
    assert!(importance.iter().all(|r| r["a"].is_f64() && r["b"].is_f64()));

    // The text names each move as a PLC programmer reads it.
    let text = ok(&[os("compare"), a.as_os_str(), b.as_os_str(), os("--data"), full.as_os_str()]);
    for m in &moves {
        assert!(text.contains(m.as_str()), "the text does not name '{m}':\n{text}");
    }
    assert!(text.contains("agreement:") && text.contains("--- A") && text.contains("+++ B"), "{text}");
}

#[test]
fn regression_rules_show_moved_thresholds_and_value_changes() {
    let dir = tempfile::tempdir().expect("dir");
    let d = dir.path();
    let full = fixture("datasets/ccpp.csv");
    let half = rows_of("datasets/ccpp.csv", 0, 4000, &d.join("ccpp_first.csv"));
    let (a, b) = (d.join("a.glassbox"), d.join("b.glassbox"));
    train(&half, "PE", &["--max-depth", "4"], &a);
    ok(&[os("retrain"), a.as_os_str(), os("--data"), full.as_os_str(), os("--out"), b.as_os_str()]);
    let json: Value = serde_json::from_str(&ok(&[
        os("compare"),
        a.as_os_str(),
        b.as_os_str(),
        os("--data"),
        full.as_os_str(),
        os("--json"),
        os("--repeats"),
        os("2"),
    ]))
    .expect("json");
    assert_eq!(json["task"], "regression");
    let (pa, pb) = (Project::load(&a).expect("a"), Project::load(&b).expect("b"));
    let ra = from_model_tree(&pa.trained().expect("a").model).expect("rules");
    let rb = from_model_tree(&pb.trained().expect("b").model).expect("rules");
    let moves = check_rule_diff(&json["rules"], &ra, &rb);
    assert!(!moves.is_empty());
    // Regression rules pair on structure alone; their means move with the data.
    assert!(json["rules"]["changed"].as_array().expect("changed").iter().any(|c| c["outcome"]["from"].is_string()));
    assert!(json["agreement"]["mean_abs_difference"].as_f64().expect("mean") > 0.0);
    let names: Vec<&str> =
        json["metrics"].as_array().expect("m").iter().map(|m| m["name"].as_str().expect("n")).collect();
    assert_eq!(names, ["mae", "rmse", "r2"]);
}

#[test]
fn retraining_on_the_same_data_or_on_appended_rows_gives_the_same_model_byte_for_byte() {
    let dir = tempfile::tempdir().expect("dir");
    let d = dir.path();
    let full = rows_of("datasets/ai4i2020.csv", 0, 10_000, &d.join("ai4i_all.csv"));
    let half = rows_of("datasets/ai4i2020.csv", 0, 5000, &d.join("first.csv"));
    let rest = rows_of("datasets/ai4i2020.csv", 5000, 10_000, &d.join("second.csv"));
    let a = d.join("a.glassbox");
    train(&half, "Machine failure", &["--max-depth", "5", "--exclude", AI4I_LEAKS], &a);

    // The same data, settings and seed: the same model and the same PLC code, whatever the date.
    let same = d.join("same.glassbox");
    ok(&[
        os("retrain"),
        a.as_os_str(),
        os("--data"),
        half.as_os_str(),
        os("--out"),
        same.as_os_str(),
        os("--date"),
        os("2031-05-06"),
    ]);
    assert_eq!(model_bytes(&same), model_bytes(&a));
    assert_eq!(export_st(&same, d, "same.st"), export_st(&a, d, "a.st"));
    let p = Project::load(&same).expect("loads");
    assert_eq!(p.history.len(), 2);
    assert_eq!(p.history[1].date.as_deref(), Some("2031-05-06T00:00:00Z"));
    assert_eq!(p.history[0].model_sha256, p.history[1].model_sha256);
    let c: Value = serde_json::from_str(&ok(&[
        os("compare"),
        a.as_os_str(),
        same.as_os_str(),
        os("--data"),
        half.as_os_str(),
        os("--json"),
        os("--repeats"),
        os("1"),
    ]))
    .expect("json");
    assert!(
        c["rules"]["changed"].as_array().expect("c").is_empty()
            && c["rules"]["added"].as_array().expect("a").is_empty()
    );
    assert_eq!(c["structured_text"]["unified"], "", "the same model exports the same Structured Text");
    assert_eq!(c["agreement"]["share"], 1.0);

    // The second half appended to the first is the whole file: the model of the whole file.
    let (whole, appended) = (d.join("whole.glassbox"), d.join("appended.glassbox"));
    ok(&[os("retrain"), a.as_os_str(), os("--data"), full.as_os_str(), os("--out"), whole.as_os_str()]);
    let text = ok(&[
        os("retrain"),
        a.as_os_str(),
        os("--data"),
        rest.as_os_str(),
        os("--append"),
        os("--out"),
        appended.as_os_str(),
    ]);
    assert!(text.contains("first.csv + second.csv"), "{text}");
    assert_eq!(model_bytes(&appended), model_bytes(&whole));
    let p = Project::load(&appended).expect("loads");
    assert_eq!(p.appended.len(), 1);
    assert_eq!(p.history.last().expect("v2").origin, Origin::Retrained { appended: true });
    assert_eq!(p.history.last().expect("v2").data.len(), 2);
    // The appended project reads both files again for its rules (its rows are numbered through both).
    let rules = ok(&[os("rules"), appended.as_os_str()]);
    assert!(rules.contains("Rule 1:"), "{rules}");
    // Its PLC code names both files in its header.
    let st = export_st(&appended, d, "appended.st");
    let data_line = st.lines().find(|l| l.trim_start().starts_with("Data: ")).expect("data line");
    assert!(
        data_line.contains("first.csv, SHA-256 ") && data_line.contains("then the rows of second.csv, SHA-256 "),
        "{data_line}"
    );
    // Moved together with its data, it still finds both files.
    let moved = d.join("moved");
    std::fs::create_dir(&moved).expect("dir");
    for f in ["first.csv", "second.csv", "appended.glassbox"] {
        std::fs::copy(d.join(f), moved.join(f)).expect("copy");
    }
    std::fs::remove_file(d.join("second.csv")).expect("remove");
    ok(&[os("rules"), moved.join("appended.glassbox").as_os_str()]);
}

#[test]
fn history_round_trips_and_restore_gives_back_the_earlier_model_byte_for_byte() {
    let dir = tempfile::tempdir().expect("dir");
    let d = dir.path();
    let full = fixture("datasets/ai4i2020.csv");
    let half = rows_of("datasets/ai4i2020.csv", 0, 5000, &d.join("half.csv"));
    let (a, b, r) = (d.join("a.glassbox"), d.join("b.glassbox"), d.join("r.glassbox"));
    train(&half, "Machine failure", &["--max-depth", "4", "--exclude", AI4I_LEAKS], &a);
    ok(&[os("rules"), a.as_os_str(), os("--save")]);
    let a_rules = Project::load(&a).expect("a").rule_set.expect("saved rules");
    ok(&[os("retrain"), a.as_os_str(), os("--data"), full.as_os_str(), os("--out"), b.as_os_str()]);

    let pb = Project::load(&b).expect("b");
    assert_eq!(pb.history.len(), 2);
    assert_eq!(pb.history[0].origin, Origin::Trained);
    // `train` writes the same project for the same data, settings and seed, so its version
    // carries no date; the retrain records when it was made.
    assert_eq!(pb.history[0].date, None);
    assert!(
        pb.history[1].date.as_deref().is_some_and(|t| t.ends_with('Z') && t.len() == 20),
        "{:?}",
        pb.history[1].date
    );
    assert!(pb.rule_set.is_none(), "the rule set belonged to the earlier model");
    assert_eq!(pb.history[0].rule_set.as_ref(), Some(&a_rules), "and is kept with it");
    // Saved and read again, the history (with the earlier model in it) is the same.
    let again = d.join("again.glassbox");
    pb.save(&again).expect("saves");
    assert_eq!(Project::load(&again).expect("loads"), pb);

    let h: Value = serde_json::from_str(&ok(&[os("history"), b.as_os_str(), os("--json")])).expect("json");
    let versions = h["versions"].as_array().expect("versions");
    assert_eq!(versions.len(), 2);
    assert_eq!(h["current"], 2);
    assert_eq!((versions[0]["restorable"].as_bool(), versions[1]["restorable"].as_bool()), (Some(true), Some(false)));
    assert_eq!(versions[0]["data"][0]["file"], "half.csv");
    assert_eq!(versions[1]["data"][0]["file"], "ai4i2020.csv");
    assert!(versions[0]["metrics"]["accuracy"].is_f64());
    let text = ok(&[os("history"), b.as_os_str()]);
    assert!(text.contains("*   2") && text.contains("+   1") && text.contains("retrained on new data"), "{text}");

    ok(&[os("restore"), b.as_os_str(), os("--version"), os("1"), os("--out"), r.as_os_str()]);
    assert_eq!(model_bytes(&r), model_bytes(&a), "the restored model is the earlier model, byte for byte");
    assert_eq!(export_st(&r, d, "r.st"), export_st(&a, d, "a.st"), "and exports the same PLC code");
    let pr = Project::load(&r).expect("r");
    assert_eq!(pr.history.len(), 3);
    assert_eq!(pr.history[2].origin, Origin::Restored { from: 1 });
    assert_eq!(pr.rule_set.as_ref(), Some(&a_rules));
    assert_eq!(pr.data.as_ref().expect("data").sha256, pb.history[0].data[0].sha256);
    // Version 2 is kept in the restored project and comes back too.
    let back = pr.restore(2, None).expect("restores");
    assert_eq!(back.trained().expect("m").model, pb.trained().expect("m").model);
    let e =
        err(&[os("restore"), r.as_os_str(), os("--version"), os("3"), os("--out"), d.join("x.glassbox").as_os_str()]);
    assert!(e.contains("current model already"), "{e}");
    let e =
        err(&[os("restore"), r.as_os_str(), os("--version"), os("9"), os("--out"), d.join("x.glassbox").as_os_str()]);
    assert!(e.contains("no model version 9") && e.contains("1, 2, 3"), "{e}");
}

#[test]
fn older_project_files_open_with_one_history_entry() {
    for rel in ["projects/v1_ai4i_tree.glassbox", "projects/v1_ccpp_tree_rules.glassbox"] {
        let path = fixture(rel);
        let p = Project::load(&path).expect("opens");
        assert_eq!(p.history.len(), 1, "{rel}");
        let v = &p.history[0];
        assert_eq!((v.number, v.origin, v.date.as_deref()), (1, Origin::Migrated { file_version: 1 }, None));
        assert_eq!(p.current_version().map(|c| c.number), Some(1));
        let report = p.trained().expect("model");
        assert_eq!(v.settings, report.settings);
        assert_eq!((v.train_rows, v.test_rows), (report.split.train.len(), report.split.test.len()));
        assert_eq!(v.data.len(), 1);
        assert!(!p.can_restore(1), "the only version is the current one");
        let text = ok(&[os("history"), path.as_os_str()]);
        assert!(text.contains("version 1 project file"), "{text}");
    }
}

/// The AI4I file with one column changed by `edit(header, cells)`.
fn edited_ai4i(out: &Path, edit: impl Fn(&mut Vec<String>, usize)) -> PathBuf {
    let text = std::fs::read_to_string(fixture("datasets/ai4i2020.csv")).expect("fixture");
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    for (i, line) in lines.iter_mut().enumerate() {
        let mut cells: Vec<String> = line.split(',').map(str::to_owned).collect();
        edit(&mut cells, i);
        *line = cells.join(",");
    }
    std::fs::write(out, lines.join("\n") + "\n").expect("write");
    out.to_path_buf()
}

#[test]
fn bad_new_data_is_named_by_column_and_the_project_is_never_changed() {
    let dir = tempfile::tempdir().expect("dir");
    let d = dir.path();
    let a = d.join("a.glassbox");
    train(&fixture("datasets/ai4i2020.csv"), "Machine failure", &["--max-depth", "4", "--exclude", AI4I_LEAKS], &a);
    let before = std::fs::read(&a).expect("a");
    // Header: UDI,Product ID,Type,Air temperature [K],Process temperature [K],Rotational speed
    // [rpm],Torque [Nm],Tool wear [min],Machine failure,TWF,HDF,PWF,OSF,RNF
    let knm = edited_ai4i(&d.join("knm.csv"), |c, i| {
        if i == 0 {
            c[6] = "Torque [kNm]".into();
        } else {
            let v: f64 = c[6].parse().expect("torque");
            c[6] = format!("{}", v / 1000.0);
        }
    });
    let text = edited_ai4i(&d.join("text.csv"), |c, i| {
        if i > 0 && i % 5 == 0 {
            c[5] = if i % 2 == 0 { "fast".into() } else { "slow".into() };
        }
    });
    let no_wear = edited_ai4i(&d.join("nowear.csv"), |c, _| {
        c.remove(7);
    });
    let cases: [(&Path, &[&str]); 3] = [
        (&knm, &["'Torque [Nm]'", "'Torque [kNm]'", "kNm where the model has Nm"]),
        (&text, &["'Rotational speed [rpm]'", "text where the model has numbers", "'fast'", "data row 5"]),
        (&no_wear, &["'Tool wear [min]' is not in the data"]),
    ];
    for (data, words) in cases {
        for append in [false, true] {
            let out = d.join("out.glassbox");
            let mut args =
                vec![os("retrain"), a.as_os_str(), os("--data"), data.as_os_str(), os("--out"), out.as_os_str()];
            if append {
                args.push(os("--append"));
            }
            let e = err(&args);
            for w in words {
                assert!(e.contains(w), "{}: '{w}' not in: {e}", data.display());
            }
            assert!(!out.exists(), "a failed retrain writes nothing");
            assert_eq!(std::fs::read(&a).expect("a"), before, "a failed retrain leaves the project as it was");
        }
    }
    // Temperatures in °C under the name in K: trained (the values are numbers), with a warning.
    let celsius = edited_ai4i(&d.join("celsius.csv"), |c, i| {
        if i > 0 {
            let v: f64 = c[3].parse().expect("air");
            c[3] = format!("{:.1}", v - 273.15);
        }
    });
    let out = d.join("celsius.glassbox");
    let text = ok(&[os("retrain"), a.as_os_str(), os("--data"), celsius.as_os_str(), os("--out"), out.as_os_str()]);
    assert!(text.contains("note: column 'Air temperature [K]': most new values lie outside"), "{text}");

    // A cancelled retrain stops with nothing to save.
    let p = Project::load(&a).expect("a");
    let progress = Progress::new();
    progress.cancel();
    let e = retrain(
        &p,
        &fixture("datasets/ai4i2020.csv"),
        &glassbox::data::LoadOptions::default(),
        RetrainMode::Replace,
        None,
        &progress,
    )
    .expect_err("cancelled");
    assert!(e.is_cancelled(), "{e}");
}

#[test]
fn a_model_only_copy_holds_no_rows_or_paths_and_predicts_identically() {
    let dir = tempfile::tempdir().expect("dir");
    let plant = dir.path().join("line_7_press_shop");
    std::fs::create_dir(&plant).expect("dir");
    let data = plant.join("ai4i2020.csv");
    std::fs::copy(fixture("datasets/ai4i2020.csv"), &data).expect("copy");
    let p = dir.path().join("p.glassbox");
    train(&data, "Machine failure", &["--max-depth", "5", "--exclude", AI4I_LEAKS], &p);
    ok(&[os("rules"), p.as_os_str(), os("--save")]);
    let (copy, anon) = (dir.path().join("copy.glassbox"), dir.path().join("anon.glassbox"));
    let said = ok(&[os("share"), p.as_os_str(), os("--out"), copy.as_os_str()]);
    assert!(said.contains("left out: the data file"), "{said}");
    let said = ok(&[os("share"), p.as_os_str(), os("--out"), anon.as_os_str(), os("--neutral-names")]);
    assert!(said.contains("F6    Tool wear [min]"), "the key is printed for the sender: {said}");

    let original = Project::load(&p).expect("p");
    let sha = original.data.as_ref().expect("data").sha256.clone();
    let ds = glassbox::data::load_file(&data, &glassbox::data::LoadOptions::default(), &Progress::new()).expect("data");
    let product_ids: Vec<String> = (0..50).map(|r| ds.column("Product ID").expect("ids").display_value(r)).collect();
    for file in [&copy, &anon] {
        let text = std::fs::read_to_string(file).expect("copy");
        for secret in ["line_7_press_shop", "ai4i2020", sha.as_str()] {
            assert!(!text.contains(secret), "{} holds '{secret}'", file.display());
        }
        for id in &product_ids {
            assert!(!text.contains(&format!("\"{id}\"")), "{} holds a product id", file.display());
        }
        let v: Value = serde_json::from_str(&text).expect("json");
        assert_eq!(v["data"], Value::Null);
        assert_eq!(v["model"]["split"]["train"], serde_json::json!([]));
        assert_eq!(v["model"]["split"]["test"], serde_json::json!([]));
        assert_eq!(v["model"]["evaluation"]["y_true"], serde_json::json!([]));
        assert!(v["history"].as_array().expect("history").iter().all(|h| h["data"] == serde_json::json!([])));
    }
    let anon_text = std::fs::read_to_string(&anon).expect("anon");
    for name in [
        "Torque",
        "Rotational speed",
        "Air temperature",
        "Process temperature",
        "Tool wear",
        "[rpm]",
        "UDI",
        "Product ID",
    ] {
        assert!(!anon_text.contains(name), "the neutral copy names '{name}'");
    }

    // Both predict exactly as the original, row for row.
    let m = &original.trained().expect("m").model;
    let rows: Vec<usize> = (0..ds.n_rows()).collect();
    let raw = m.raw_rows(&ds, &rows).expect("raw");
    let expected = m.predict(&raw);
    for file in [&copy, &anon] {
        let c = Project::load(file).expect("opens");
        assert_eq!(c.trained().expect("model").model.predict(&raw), expected, "{}", file.display());
        assert!(c.notices().iter().any(|n| n.contains("this copy holds no data")), "{:?}", c.notices());
    }
    let (p1, p2) = (dir.path().join("p1.csv"), dir.path().join("p2.csv"));
    ok(&[os("predict"), p.as_os_str(), os("--data"), data.as_os_str(), os("--out"), p1.as_os_str()]);
    ok(&[os("predict"), copy.as_os_str(), os("--data"), data.as_os_str(), os("--out"), p2.as_os_str()]);
    assert_eq!(std::fs::read(&p1).expect("p1"), std::fs::read(&p2).expect("p2"));

    // Opening says what is missing; rules need rows to count support on, which a data file gives.
    let e = err(&[os("rules"), copy.as_os_str()]);
    assert!(e.contains("is a model-only copy and holds no rows") && e.contains("--data FILE"), "{e}");
    let rules = |project: &std::path::Path, extra: &[&std::ffi::OsStr]| -> Value {
        let mut args = vec![os("rules"), project.as_os_str(), os("--no-simplify"), os("--format"), os("json")];
        args.extend_from_slice(extra);
        serde_json::from_str(&ok(&args)).expect("json")
    };
    let (from_copy, from_original) = (rules(&copy, &[os("--data"), data.as_os_str()]), rules(&p, &[]));
    let texts = |v: &Value| v["rules"].as_array().expect("rules").iter().map(|r| r["text"].clone()).collect::<Vec<_>>();
    assert_eq!(texts(&from_copy), texts(&from_original), "the same tree, the same rules");
    let support = |v: &Value| {
        v["rules"].as_array().expect("rules").iter().map(|r| r["support"]["rows"].as_u64().expect("n")).sum::<u64>()
    };
    assert_eq!(
        support(&from_copy) + from_copy["default"]["support"]["rows"].as_u64().unwrap_or(0),
        10_000,
        "counted on every row of the file"
    );
    // The PLC block a vendor gets from the copy is the original's, given rows to check it on.
    let (from_p, from_c) = (dir.path().join("p.st"), dir.path().join("c.st"));
    ok(&[os("export"), p.as_os_str(), os("--format"), os("st"), os("--out"), from_p.as_os_str()]);
    let e = err(&[os("export"), copy.as_os_str(), os("--format"), os("st"), os("--out"), from_c.as_os_str()]);
    assert!(e.contains("--data FILE"), "{e}");
    ok(&[
        os("export"),
        copy.as_os_str(),
        os("--format"),
        os("st"),
        os("--data"),
        data.as_os_str(),
        os("--out"),
        from_c.as_os_str(),
    ]);
    let code = |f: &std::path::Path| -> Vec<String> {
        std::fs::read_to_string(f)
            .expect("st")
            .lines()
            .skip_while(|l| !l.starts_with("FUNCTION_BLOCK"))
            .map(|l| l.split("(*").next().unwrap_or("").trim_end().to_owned())
            .filter(|l| !l.trim().is_empty())
            .collect()
    };
    assert_eq!(code(&from_c), code(&from_p), "the same block, header and comments aside");
    assert!(std::fs::read_to_string(&from_c).expect("st").contains("Data: ai4i2020.csv"), "the header names the rows");
    let text = ok(&[os("history"), anon.as_os_str()]);
    assert!(text.contains("holds no data") && text.contains("neutral tags (F1 … F6)"), "{text}");
    // A copy can still be compared with its original on the plant's rows.
    let c: Value = serde_json::from_str(&ok(&[
        os("compare"),
        p.as_os_str(),
        copy.as_os_str(),
        os("--data"),
        data.as_os_str(),
        os("--json"),
        os("--repeats"),
        os("1"),
    ]))
    .expect("json");
    assert_eq!(c["agreement"]["share"], 1.0);
    assert!(c["rules"]["changed"].as_array().expect("changed").is_empty());
}

#[test]
fn encrypted_projects_round_trip_and_refuse_a_wrong_passphrase() {
    let dir = tempfile::tempdir().expect("dir");
    let d = dir.path();
    let data = fixture("datasets/ccpp.csv");
    let p = d.join("p.glassbox");
    train(&data, "PE", &["--max-depth", "3"], &p);
    let original = Project::load(&p).expect("p");

    // Engine: seal, open, refuse.
    let pass = Passphrase::new(b"blue valve 7".to_vec()).expect("pass");
    let mut sealed = original.clone();
    sealed.sealing.0 = Some(std::sync::Arc::new(pass.clone()));
    let e_path = d.join("e.glassbox");
    sealed.save(&e_path).expect("saves");
    let bytes = std::fs::read(&e_path).expect("e");
    assert!(bytes.starts_with(glassbox::project::crypto::MAGIC));
    assert!(!String::from_utf8_lossy(&bytes).contains("glassbox-project"), "the content is not readable");
    let opened = Project::load_with(&e_path, Some(&pass)).expect("opens");
    assert_eq!(opened, original);
    assert!(opened.sealing.is_encrypted(), "saved again, it stays encrypted");
    let wrong = Passphrase::new(b"blue valve 8".to_vec()).expect("pass");
    let e = Project::load_with(&e_path, Some(&wrong)).expect_err("wrong");
    assert!(e.to_string().contains("passphrase does not open this project"), "{e}");
    let e = Project::load_with(&e_path, None).expect_err("none");
    assert!(e.to_string().contains("encrypted: give its passphrase"), "{e}");

    // Command line: passphrase from a file or the environment, never the command line itself.
    let key = d.join("key.txt");
    std::fs::write(&key, "blue valve 7\n").expect("key");
    let bad_key = d.join("bad.txt");
    std::fs::write(&bad_key, "red valve 7\n").expect("key");
    let e2 = d.join("e2.glassbox");
    ok(&[os("encrypt"), p.as_os_str(), os("--out"), e2.as_os_str(), os("--passphrase-file"), key.as_os_str()]);
    let e = err(&[os("history"), e2.as_os_str()]);
    assert!(e.contains("encrypted: give its passphrase") && e.contains("--passphrase-file"), "{e}");
    let e = err(&[os("history"), e2.as_os_str(), os("--passphrase-file"), bad_key.as_os_str()]);
    assert!(e.contains("passphrase does not open this project"), "{e}");
    let rules = ok(&[os("rules"), e2.as_os_str(), os("--save"), os("--passphrase-file"), key.as_os_str()]);
    assert!(rules.contains("Rule 1:"), "{rules}");
    assert!(
        std::fs::read(&e2).expect("e2").starts_with(glassbox::project::crypto::MAGIC),
        "a project opened encrypted is saved encrypted"
    );
    let out = Command::new(env!("CARGO_BIN_EXE_glassbox"))
        .args([os("history"), e2.as_os_str()])
        .env("GLASSBOX_PASSPHRASE", "blue valve 7")
        .output()
        .expect("runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let plain = d.join("plain.glassbox");
    ok(&[os("decrypt"), e2.as_os_str(), os("--out"), plain.as_os_str(), os("--passphrase-file"), key.as_os_str()]);
    let back = Project::load_with(&plain, None).expect("plain");
    assert_eq!(back.trained().expect("m").model, original.trained().expect("m").model);
    assert!(back.rule_set.is_some(), "the rules saved while encrypted are there");
    let e = err(&[os("encrypt"), p.as_os_str(), os("--out"), d.join("x.glassbox").as_os_str()]);
    assert!(e.contains("needs a passphrase"), "{e}");
    // A model-only copy, encrypted for the journey.
    let shared = d.join("shared.glassbox");
    ok(&[
        os("share"),
        p.as_os_str(),
        os("--out"),
        shared.as_os_str(),
        os("--encrypt"),
        os("--passphrase-file"),
        key.as_os_str(),
    ]);
    let c = Project::load_with(&shared, Some(&pass)).expect("opens");
    assert!(c.copy.is_some() && c.data.is_none());
    assert_eq!(c.trained().expect("m").model.task, Task::Regression);
}
