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
