//! The `glassbox` command, run as a user runs it.

use std::process::Command;

use crate::fixture;

fn glassbox() -> Command {
    Command::new(env!("CARGO_BIN_EXE_glassbox"))
}

#[test]
fn inspect_json_has_the_documented_shape() {
    let out = glassbox().arg("inspect").arg(fixture("datasets/ai4i2020.csv")).arg("--json").output().expect("runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
    assert_eq!(v["rows"], 10_000);
    let cols = v["columns"].as_array().expect("columns");
    assert_eq!(cols.len(), 14);
    let torque = cols.iter().find(|c| c["name"] == "Torque [Nm]").expect("torque");
    for key in ["name", "type", "role", "unit", "missing", "min", "max", "mean", "std", "distinct"] {
        assert!(torque.get(key).is_some(), "missing key {key}");
    }
    assert_eq!(torque["type"], "float");
    assert_eq!(torque["role"], "feature");
    assert_eq!(torque["unit"], "Nm");
    assert_eq!(torque["missing"], 0);
    assert_eq!(torque["min"], 3.8);
    assert_eq!(torque["max"], 76.6);
    let udi = cols.iter().find(|c| c["name"] == "UDI").expect("udi");
    assert_eq!(udi["role"], "id");
    let ty = cols.iter().find(|c| c["name"] == "Type").expect("type");
    assert_eq!(ty["type"], "categorical");
    assert_eq!(ty["levels"], serde_json::json!(["H", "L", "M"]));
    assert_eq!(ty["mean"], serde_json::Value::Null);
}

#[test]
fn inspect_prints_a_readable_table() {
    let out = glassbox().arg("inspect").arg(fixture("datasets/ccpp.csv")).output().expect("runs");
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("9568 rows × 5 columns"), "{text}");
    assert!(text.lines().any(|l| l.contains("PE") && l.contains("target")), "{text}");
}

#[test]
fn inspect_failure_exits_non_zero_with_the_message_on_stderr() {
    let dir = tempfile::tempdir().expect("dir");
    let bad = dir.path().join("ragged.csv");
    std::fs::write(&bad, "a,b\n1,2\n3,4,5\n").expect("write");
    let out = glassbox().arg("inspect").arg(&bad).arg("--json").output().expect("runs");
    assert!(!out.status.success());
    assert!(out.stdout.is_empty());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("line 3") && err.contains("ragged.csv"), "{err}");
}

#[test]
fn inspect_overrides_detection() {
    let out = glassbox()
        .arg("inspect")
        .arg(fixture("formats/latin1_semicolon_decimal_comma.csv"))
        .args(["--delimiter", ";", "--decimal-comma", "--encoding", "latin-1", "--json"])
        .output()
        .expect("runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["columns"][1]["name"], "Temperatur [°C]");
    assert_eq!(v["columns"][1]["max"], 23.0);
}

// ---------------------------------------------------------------- scripts and pipes

/// Runs glassbox with `stdin` as standard input.
fn with_stdin(args: &[&str], stdin: &[u8]) -> std::process::Output {
    use std::io::Write as _;
    let mut child = glassbox()
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("runs");
    let mut input = child.stdin.take().expect("stdin");
    input.write_all(stdin).expect("writes");
    drop(input);
    child.wait_with_output().expect("finishes")
}

#[test]
fn data_is_read_from_standard_input_for_dash() {
    let ccpp = std::fs::read(fixture("datasets/ccpp.csv")).expect("data");
    let out = with_stdin(&["inspect", "-", "--json"], &ccpp);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(v["rows"], 9568);

    let dir = tempfile::tempdir().expect("dir");
    let project = dir.path().join("ccpp.glassbox");
    let p = project.to_str().expect("utf-8");
    let out = with_stdin(&["train", "-", "--target", "PE", "--max-depth", "3", "--out", p], &ccpp);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = with_stdin(&["predict", p, "--data", "-", "--out", "-"], &ccpp);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let csv = String::from_utf8_lossy(&out.stdout);
    assert!(csv.starts_with("row,prediction") && csv.lines().count() == 9569, "{}", &csv[..200.min(csv.len())]);
    // The project knows its data came from a stream and says so when asked for it.
    let out = glassbox().args(["rules", p]).output().expect("runs");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("standard input"));
}

#[test]
fn export_to_standard_output_survives_a_reader_that_stops_early() {
    use std::io::Read as _;
    let dir = tempfile::tempdir().expect("dir");
    let project = dir.path().join("ai4i.glassbox");
    let p = project.to_str().expect("utf-8");
    let data = fixture("datasets/ai4i2020.csv");
    let trained = glassbox()
        .args(["train", data.to_str().expect("utf-8"), "--target", "Machine failure"])
        .args(["--out", p])
        .output()
        .expect("runs");
    assert!(trained.status.success());
    // `glassbox export … --out - | head -c 40`: the reader goes away after 40 bytes.
    let mut child = glassbox()
        .args(["export", p, "--format", "st", "--out", "-"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("runs");
    let mut head = [0u8; 40];
    child.stdout.take().expect("stdout").read_exact(&mut head).expect("reads the head");
    let out = child.wait_with_output().expect("finishes");
    assert!(String::from_utf8_lossy(&head).starts_with("(*"));
    assert!(out.status.success(), "a closed pipe is not an error: {}", String::from_utf8_lossy(&out.stderr));
    // A project cannot go to a stream.
    let out = glassbox()
        .args(["train", data.to_str().expect("utf-8"), "--target", "Machine failure", "--out", "-"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot write a project file to standard output"));
}

#[test]
fn a_mistyped_command_is_named_with_the_closest_one() {
    let out = glassbox().arg("bogus").output().expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no command or file named 'bogus'"));
    let out = glassbox().args(["expor", "x.glassbox"]).output().expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("did you mean 'export'?"));
}

#[test]
fn no_display_is_one_plain_sentence() {
    if !cfg!(all(unix, not(target_os = "macos"))) {
        return;
    }
    let out = glassbox().env_remove("DISPLAY").env_remove("WAYLAND_DISPLAY").output().expect("runs");
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("no display found") && err.contains("glassbox --help"), "{err}");
    assert!(!err.contains("winit") && !err.contains(".cargo"), "no library internals: {err}");
}

#[test]
fn errors_say_each_thing_once_and_exit_codes_tell_usage_from_failure() {
    let missing = "/nonexistent-folder/plant.csv";
    let out = glassbox().args(["inspect", missing]).output().expect("runs");
    assert_eq!(out.status.code(), Some(1), "a failure of the work");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.matches(missing).count(), 1, "{err}");
    assert_eq!(err.matches("No such file or directory").count(), 1, "{err}");

    let out = glassbox().args(["inspect", "--delimiter", "ab", missing]).output().expect("runs");
    assert_eq!(out.status.code(), Some(2), "a usage error: {}", String::from_utf8_lossy(&out.stderr));
    let out = glassbox().args(["inspect", "--no-such-option"]).output().expect("runs");
    assert_eq!(out.status.code(), Some(2));

    // With --json, a failure is also one JSON object on standard error, with file and line.
    let bad = fixture("bad/quote_chaos.csv");
    let out = glassbox().args(["inspect", bad.to_str().expect("utf-8"), "--json"]).output().expect("runs");
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stderr).expect("one JSON object on stderr");
    assert_eq!(v["error"]["line"], 3, "{v}");
    assert!(v["error"]["file"].as_str().is_some_and(|f| f.ends_with("quote_chaos.csv")), "{v}");
    assert!(v["error"]["message"].as_str().is_some_and(|m| m.contains("follows the closing quote")), "{v}");
    // --help documents the exit codes.
    let help = glassbox().arg("--help").output().expect("runs");
    assert!(String::from_utf8_lossy(&help.stdout).contains("Exit codes: 0 success"));
}

#[test]
fn completions_and_the_manual_page_come_from_the_argument_definitions() {
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let out = glassbox().args(["completions", shell]).output().expect("runs");
        assert!(out.status.success(), "{shell}");
        let text = String::from_utf8_lossy(&out.stdout);
        // fish names long options without their dashes (`-l max-depth`).
        assert!(text.contains("counterfactual") && text.contains("max-depth"), "{shell} completion lacks commands");
    }
    let out = glassbox().arg("man").output().expect("runs");
    let man = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success() && man.contains(".TH glassbox 1") && man.contains("Exit codes"), "{man}");
}

#[test]
fn progress_bars_stay_off_standard_error_when_it_is_not_a_terminal() {
    let dir = tempfile::tempdir().expect("dir");
    let project = dir.path().join("p.glassbox");
    let data = fixture("datasets/concrete_compressive_strength.csv");
    let out = glassbox()
        .args(["train", data.to_str().expect("utf-8"), "--target", "Concrete compressive strength(MPa, megapascals) "])
        .args(["--out", project.to_str().expect("utf-8")])
        .output()
        .expect("runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(!String::from_utf8_lossy(&out.stderr).contains("training ["), "no bar in a log");
    let quiet = glassbox().args(["--quiet", "inspect", data.to_str().expect("utf-8")]).output().expect("runs");
    assert!(quiet.status.success());
}

/// The SVM issue's end-to-end check: `train --model svm` uses all 8,000 training rows of the
/// plant benchmark and reaches scikit-learn's held-out accuracy and ROC AUC within 0.005.
#[test]
fn svm_training_reaches_scikit_learn_on_every_row() {
    let dir = tempfile::tempdir().expect("dir");
    let project = dir.path().join("svm.glassbox");
    let data = fixture("datasets/plant_cls_n10000.csv");
    let out = glassbox()
        .args(["train", data.to_str().expect("utf-8"), "--target", "failure", "--model", "svm"])
        .args(["--split", "ordered", "--json", "--out", project.to_str().expect("utf-8")])
        .output()
        .expect("runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let reference: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(fixture("svm/plant_n10000_sklearn.json")).expect("reference"))
            .expect("json");
    assert_eq!(v["train_rows"], 8000);
    assert_eq!(v["warnings"].as_array().map(Vec::len), Some(0), "{}", v["warnings"]);
    for (ours, theirs) in [("accuracy", "accuracy"), ("roc_auc", "roc_auc")] {
        let a = v["metrics"][ours].as_f64().expect("metric");
        let b = reference[theirs].as_f64().expect("reference");
        assert!((a - b).abs() <= 0.005, "{ours}: Glassbox {a:.4}, scikit-learn {b:.4}");
    }
}

/// On a terminal, a long command draws its bar on standard error (run under `script`, which gives
/// the program a pseudo-terminal); `--quiet` silences it.
#[test]
fn progress_bars_show_on_a_terminal_unless_quiet() {
    if std::process::Command::new("script").arg("--version").output().is_err() {
        assert!(std::env::var_os("CI").is_none(), "`script` (bsdutils) is needed under CI");
        eprintln!("SKIPPED: progress_bars_show_on_a_terminal_unless_quiet needs `script` (bsdutils)");
        return;
    }
    let dir = tempfile::tempdir().expect("dir");
    let data = fixture("datasets/plant_cls_n10000.csv");
    let exe = env!("CARGO_BIN_EXE_glassbox");
    let run = |quiet: &str| {
        let project = dir.path().join(format!("p{}.glassbox", quiet.len()));
        let cmd = format!(
            "'{exe}' {quiet} train '{}' --target failure --model svm --split ordered --out '{}' >/dev/null",
            data.display(),
            project.display()
        );
        let out = std::process::Command::new("script").args(["-qec", &cmd, "/dev/null"]).output().expect("runs");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let shown = run("");
    assert!(shown.contains("training an SVM on 8000 rows"), "no bar on a terminal: {shown:?}");
    let quiet = run("--quiet");
    assert!(!quiet.contains("training an SVM"), "a bar despite --quiet: {quiet:?}");
}
