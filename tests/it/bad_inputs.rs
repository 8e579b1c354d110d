//! Bad inputs end to end: every file in `tests/fixtures/bad/` (and a few large or damaged ones
//! made here in a temporary folder) goes through load → train → explain → rules → export, the
//! way the CLI drives the engine, and must end in a result or a clear error — never a panic.
//!
//! Each case runs inside `catch_unwind`, so one run lists every case that panicked. A table
//! states the expected kind of outcome where it is clear (an error at a given stage whose
//! message says certain words, or a full result); a file missing from the table, or a table
//! entry without a file, fails the test too, so the corpus and the table stay one.

use std::cell::Cell;
use std::fmt::Write as _;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use glassbox::Progress;
use glassbox::data::{Dataset, LoadOptions, Role, load_file};
use glassbox::explain::model::{LocalOptions, Method, explain_rows};
use glassbox::export::{ExportOptions, ExportPlan, Format, export};
use glassbox::model::ModelParams;
use glassbox::model::cart::TreeParams;
use glassbox::model::svm::SvmParams;
use glassbox::model::train::{TrainSettings, TrainingReport, train};
use glassbox::project::{DataRef, MAX_PROJECT_BYTES, Project};
use glassbox::rules::RuleSet;
use glassbox::rules::extract::extract;
use glassbox::rules::score::RuleData;
use glassbox::rules::simplify::{SimplifyOptions, simplify};

use crate::fixture;

/// The steps a case goes through, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    /// Reading the data or project file.
    Load,
    /// Reading a project's data file.
    Data,
    /// Training a small tree.
    Train,
    /// Saving the trained project and reading it back.
    Save,
    /// TreeSHAP on the first rows.
    Explain,
    /// Rules from the tree, simplified.
    Rules,
    /// Every export format, from the tree and from the rules.
    Export,
}

/// How a case ended (when it did not panic).
#[derive(Debug)]
enum Outcome {
    /// Every stage ran; what was made.
    Done(String),
    /// A stage returned an error with this message.
    Failed(Stage, String),
}

/// What a case must end in.
#[derive(Debug, Clone, Copy)]
enum Expect {
    /// Every stage succeeds.
    Works,
    /// An error at this stage whose message holds each of these words (any case).
    Fails(Stage, &'static [&'static str]),
}

use Expect::{Fails, Works};
use Stage::{Data, Export, Load, Train};

/// The expected outcome of every committed file.
const CASES: &[(&str, Expect)] = &[
    // Delimited text.
    ("empty.csv", Fails(Load, &["empty"])),
    ("whitespace_only.csv", Fails(Load, &["empty"])),
    ("bom_only.csv", Fails(Load, &["no data rows"])),
    ("header_only.csv", Fails(Load, &["no data rows"])),
    ("single_cell.csv", Fails(Load, &["no data rows"])),
    ("ragged_rows.csv", Fails(Load, &["line 8", "3 fields", "header has 5"])),
    ("unclosed_quote.csv", Fails(Load, &["line 6"])),
    ("quote_chaos.csv", Fails(Load, &["line 3", "follows the closing quote"])),
    ("nul_bytes.csv", Fails(Load, &["not a text file", "offset 60"])),
    ("binary_garbage.csv", Fails(Load, &["not a text file"])),
    ("png_image.csv", Fails(Load, &["not a text file"])),
    // A lone CR does not end a line, so two rows run together.
    ("mixed_line_endings.csv", Fails(Load, &["line 4", "9 fields"])),
    ("old_mac_line_endings.csv", Fails(Load, &["no data rows"])),
    ("ten_thousand_columns.csv", Works),
    ("single_row.csv", Fails(Train, &["no usable feature"])),
    ("two_rows.csv", Fails(Train, &["at least 10"])),
    ("single_column.csv", Fails(Train, &["no usable feature"])),
    ("duplicate_names.csv", Works),
    ("empty_names.csv", Works),
    ("all_missing_column.csv", Works),
    ("text_in_numeric.csv", Works),
    ("nan_inf_everywhere.csv", Works),
    ("nan_only_numbers.csv", Fails(Train, &["no usable feature"])),
    ("huge_and_tiny_numbers.csv", Works),
    ("latin1.csv", Works),
    ("gbk.csv", Works),
    ("utf16le_bom.csv", Works),
    ("utf16be_bom.csv", Works),
    ("utf16le_no_bom.csv", Fails(Load, &["not a text file"])),
    ("utf16be_no_bom.csv", Fails(Load, &["not a text file"])),
    ("invalid_utf8.csv", Works),
    ("constant_target.csv", Fails(Train, &["only one class"])),
    ("target_all_missing.csv", Fails(Train, &["0 usable rows"])),
    ("constant_features.csv", Fails(Train, &["no usable feature"])),
    ("huge_target_values.csv", Fails(Train, &["finite"])),
    ("large_target_values.csv", Works),
    ("control_characters.csv", Fails(Load, &["control characters"])),
    ("hostile_names.csv", Works),
    ("emoji_and_rtl.csv", Works),
    ("garbage_dates.csv", Works),
    ("headerless_numbers.csv", Works),
    // The trailing comma makes an empty last column, which this test takes as the target.
    ("trailing_delimiters.csv", Fails(Train, &["0 usable rows"])),
    // The comment line is taken for the header.
    ("blank_and_comment_lines.csv", Fails(Load, &["line 3", "header has 1"])),
    ("semicolon_decimal_comma.csv", Works),
    // Parquet.
    ("zero_bytes.parquet", Fails(Load, &["parquet"])),
    ("truncated.parquet", Fails(Load, &["parquet"])),
    ("bad_magic.parquet", Fails(Load, &["parquet"])),
    ("huge_footer_length.parquet", Fails(Load, &["footer"])),
    ("garbage_footer.parquet", Fails(Load, &["parquet"])),
    ("zero_rows.parquet", Fails(Load, &["no rows"])),
    ("nan_inf.parquet", Works),
    ("parquet_named.csv", Works),
    // Spreadsheets.
    ("truncated.xlsx", Fails(Load, &["workbook"])),
    ("not_a_workbook.xlsx", Fails(Load, &["workbook"])),
    ("empty_workbook.xlsx", Fails(Load, &["empty"])),
    ("header_only.xlsx", Fails(Load, &["no data rows"])),
    // Formulas without cached values read as empty cells.
    ("formulas_and_errors.xlsx", Fails(Train, &["no usable feature"])),
    ("broken_sheet_xml.xlsx", Fails(Load, &["could not be read"])),
    ("truncated.xls", Fails(Load, &["workbook"])),
    ("ole_header_only.xls", Fails(Load, &["workbook"])),
    ("text_named.xlsx", Fails(Load, &["workbook"])),
    // Project files.
    ("empty.glassbox", Fails(Load, &["not a readable project"])),
    ("binary.glassbox", Fails(Load, &["not a readable project"])),
    ("truncated.glassbox", Fails(Load, &["not a readable project", "line 57"])),
    ("deep_arrays.glassbox", Fails(Load, &["not a readable project", "recursion"])),
    ("deep_objects.glassbox", Fails(Load, &["not a readable project", "recursion"])),
    ("newer_version.glassbox", Fails(Load, &["newer glassbox", "99"])),
    ("wrong_types.glassbox", Fails(Load, &["version"])),
    ("wrong_role_types.glassbox", Fails(Load, &["damaged"])),
    ("missing_format.glassbox", Fails(Load, &["not a glassbox project"])),
    ("missing_version.glassbox", Fails(Load, &["version"])),
    ("negative_version.glassbox", Fails(Load, &["version"])),
    ("data_nowhere.glassbox", Fails(Data, &["not there", "plant_2019.csv"])),
    ("data_missing_fields.glassbox", Fails(Load, &["damaged", "size"])),
    ("nan_numbers.glassbox", Fails(Load, &["not a readable project"])),
    ("huge_numbers.glassbox", Fails(Load, &["damaged"])),
    ("number_overflow.glassbox", Fails(Load, &["not a readable project", "out of range"])),
    ("utf8_bom.glassbox", Fails(Load, &["not a readable project"])),
    ("utf16.glassbox", Fails(Load, &["not a readable project"])),
    ("not_an_object.glassbox", Fails(Load, &["not a glassbox project"])),
    ("trailing_garbage.glassbox", Fails(Load, &["not a readable project"])),
    // JSON readers keep the last of two equal keys.
    ("duplicate_keys.glassbox", Works),
    ("invalid_model.glassbox", Fails(Load, &["damaged"])),
    ("valid_empty.glassbox", Works),
];

/// A tree small enough to keep every case quick.
fn small_tree() -> ModelParams {
    ModelParams::Tree(TreeParams { max_depth: Some(3), ..TreeParams::default() })
}

/// The column a person would most likely predict, with its name: the last number or text
/// column, else the first column.
fn pick_target(ds: &Dataset) -> Option<(usize, String)> {
    let candidate = ds.columns.iter().rposition(|c| c.kind.is_numeric() || c.kind.has_levels());
    let index = candidate.or(if ds.columns.is_empty() { None } else { Some(0) })?;
    Some((index, ds.columns.get(index)?.name.clone()))
}

/// Runs a data file through every stage; `stage` tells a panic where it happened.
fn run_data_file(path: &Path, scratch: &Path, stage: &Cell<Stage>) -> Outcome {
    stage.set(Stage::Load);
    let mut ds = match load_file(path, &LoadOptions::default(), &Progress::new()) {
        Ok(ds) => ds,
        Err(e) => return Outcome::Failed(Stage::Load, e.to_string()),
    };
    stage.set(Stage::Train);
    let Some((target, target_name)) = pick_target(&ds) else {
        return Outcome::Failed(Stage::Train, "the data has no columns".into());
    };
    ds.set_role(target, Role::Target);
    let settings = TrainSettings { target: target_name, params: small_tree(), ..TrainSettings::default() };
    let report = match train(&ds, &settings, &Progress::new()) {
        Ok(r) => r,
        Err(e) => return Outcome::Failed(Stage::Train, e.to_string()),
    };
    // The trained project must survive a save and a load unchanged: work is never lost.
    stage.set(Stage::Save);
    let data_ref = match DataRef::of_file(path, LoadOptions::default()) {
        Ok(d) => d,
        Err(e) => return Outcome::Failed(Stage::Save, e.to_string()),
    };
    let mut project = Project::new(Some(data_ref), &ds);
    project.model = Some(report.clone());
    let saved = scratch.join("case.glassbox");
    if let Err(e) = project.save(&saved) {
        return Outcome::Failed(Stage::Save, e.to_string());
    }
    match Project::load(&saved) {
        Ok(back) if same_json(&back, &project) => {}
        Ok(_) => return Outcome::Failed(Stage::Save, "the project read back differs from the one saved".into()),
        Err(e) => return Outcome::Failed(Stage::Save, format!("a project just saved does not load: {e}")),
    }
    let mut done = format!("{} rows × {} columns; ", ds.n_rows(), ds.n_columns());
    match downstream(&report, &ds, None, stage) {
        Ok(summary) => {
            done.push_str(&summary);
            Outcome::Done(done)
        }
        Err((s, m)) => Outcome::Failed(s, m),
    }
}

/// The same JSON, but for where the data lies relative to the project file, which a save adds.
fn same_json(a: &Project, b: &Project) -> bool {
    let json = |p: &Project| {
        let mut v = serde_json::to_value(p).ok()?;
        if let Some(d) = v.get_mut("data").and_then(serde_json::Value::as_object_mut) {
            d.remove("relative");
        }
        serde_json::to_string(&v).ok()
    };
    matches!((json(a), json(b)), (Some(x), Some(y)) if x == y)
}

/// Runs a project file through every stage it has material for.
fn run_project_file(path: &Path, stage: &Cell<Stage>) -> Outcome {
    stage.set(Stage::Load);
    let project = match Project::load(path) {
        Ok(p) => p,
        Err(e) => return Outcome::Failed(Stage::Load, e.to_string()),
    };
    if project.data.is_none() {
        return Outcome::Done("a project without data".into());
    }
    stage.set(Stage::Data);
    let ds = match project.load_data(&Progress::new()) {
        Ok(ds) => ds,
        Err(e) => return Outcome::Failed(Stage::Data, e.to_string()),
    };
    let Some(report) = &project.model else { return Outcome::Done("a project without a model".into()) };
    match downstream(report, &ds, project.rule_set.as_ref(), stage) {
        Ok(summary) => Outcome::Done(summary),
        Err((s, m)) => Outcome::Failed(s, m),
    }
}

/// Explain, rules and export, each run on its own as `glassbox explain`, `rules` and `export`
/// run (so a damaged model meets every stage); the first error is the outcome. A rule set saved
/// in the project is exported as `export --from rules` does.
fn downstream(
    report: &TrainingReport,
    ds: &Dataset,
    saved_rules: Option<&RuleSet>,
    stage: &Cell<Stage>,
) -> std::result::Result<String, (Stage, String)> {
    let explained = explain_stage(report, ds, stage);
    let rules = rules_stage(report, ds, stage);
    let exported = export_stage(report, ds, saved_rules, stage);
    let (features, n_rules, bytes) = (explained?, rules?, exported?);
    Ok(format!("{features} features, {n_rules} rules, {bytes} export bytes"))
}

/// SHAP values of the first rows (TreeSHAP for a tree, a small KernelSHAP for an SVM); checks
/// that they add up.
fn explain_stage(
    report: &TrainingReport,
    ds: &Dataset,
    stage: &Cell<Stage>,
) -> std::result::Result<usize, (Stage, String)> {
    stage.set(Stage::Explain);
    let model = &report.model;
    let (method, n_rows) = if model.tree().is_some() { (Method::TreeShap, 50) } else { (Method::KernelShap, 3) };
    let options = LocalOptions { method, background: 5, samples: Some(200), ..LocalOptions::default() };
    let rows: Vec<usize> = (0..ds.n_rows().min(n_rows)).collect();
    let shap = explain_rows(model, ds, &rows, &report.split.train, &options, &Progress::new())
        .map_err(|e| (Stage::Explain, e.to_string()))?;
    // TreeSHAP adds up: base value + Σφ = prediction, on every explained row.
    if shap.base_values.len() != shap.rows.len() || shap.predictions.len() != shap.rows.len() {
        return Err((Stage::Explain, "the explanation does not cover every row asked for".into()));
    }
    for (i, (base, prediction)) in shap.base_values.iter().zip(&shap.predictions).enumerate() {
        let total = base + shap.values.row(i).iter().sum::<f64>();
        if (total - prediction).abs() > 1e-6 * prediction.abs().max(1.0) {
            return Err((
                Stage::Explain,
                format!("SHAP values do not add up on row {i}: {total} against {prediction}"),
            ));
        }
    }
    Ok(model.n_features())
}

/// Rules from the tree, simplified, as `glassbox rules` makes them.
fn rules_stage(
    report: &TrainingReport,
    ds: &Dataset,
    stage: &Cell<Stage>,
) -> std::result::Result<usize, (Stage, String)> {
    stage.set(Stage::Rules);
    let fail = |e: glassbox::Error| (Stage::Rules, e.to_string());
    let data = RuleData::new(report, ds).map_err(fail)?;
    let rules = extract(report, &data, &TreeParams::default()).map_err(fail)?;
    Ok(simplify(&rules, &data, &SimplifyOptions::default()).rules.len())
}

/// Every export format, from the tree and from the simplified rules, as `glassbox export` makes
/// them.
fn export_stage(
    report: &TrainingReport,
    ds: &Dataset,
    saved_rules: Option<&RuleSet>,
    stage: &Cell<Stage>,
) -> std::result::Result<usize, (Stage, String)> {
    stage.set(Stage::Export);
    let fail = |e: glassbox::Error| (Stage::Export, e.to_string());
    let surrogate = TreeParams::default();
    let data = RuleData::new(report, ds).map_err(fail)?;
    let rules = match saved_rules {
        Some(saved) => saved.clone(),
        None => simplify(&extract(report, &data, &surrogate).map_err(fail)?, &data, &SimplifyOptions::default()),
    };
    let mut bytes = 0;
    for from_rules in [None, Some(&rules)] {
        let plan = ExportPlan::new(report, &data, from_rules, &surrogate, None).map_err(fail)?;
        for format in Format::ALL {
            let out = match export(&plan, format, &ExportOptions::default()) {
                Ok(out) => out,
                // Studio 5000's documented limit on an Add-On Instruction's members: a refusal
                // that says so is the right answer for a model with thousands of inputs.
                Err(e) if format == Format::L5x && e.to_string().contains("holds at most 512") => continue,
                Err(e) => return Err((Stage::Export, format!("{}: {e}", format.label()))),
            };
            if out.text.trim().is_empty() {
                return Err((Stage::Export, format!("{} export is empty", format.label())));
            }
            bytes += out.text.len();
        }
    }
    Ok(bytes)
}

/// What a panic said.
fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(no message)".into())
}

/// Runs every case and returns one line per problem (panics, unclear errors, unexpected
/// outcomes), plus a summary of how the cases ended.
fn run_cases(cases: &[(PathBuf, Expect)]) -> (Vec<String>, String) {
    let scratch = tempfile::tempdir().expect("temporary folder");
    let mut problems = Vec::new();
    let mut log = String::new();
    let (mut results, mut errors) = (0, 0);
    for (path, expect) in cases {
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let stage = Cell::new(Stage::Load);
        let is_project = path.extension().is_some_and(|e| e == "glassbox");
        let run = catch_unwind(AssertUnwindSafe(|| {
            if is_project { run_project_file(path, &stage) } else { run_data_file(path, scratch.path(), &stage) }
        }));
        let outcome = match run {
            Ok(o) => o,
            Err(payload) => {
                problems.push(format!("{name}: PANIC during {:?}: {}", stage.get(), panic_message(&*payload)));
                continue;
            }
        };
        match &outcome {
            Outcome::Done(what) => {
                results += 1;
                let _ = writeln!(log, "{name}: result: {what}");
            }
            Outcome::Failed(s, m) => {
                errors += 1;
                let _ = writeln!(log, "{name}: error during {s:?}: {m}");
            }
        }
        if let Some(p) = check(&name, &outcome, *expect) {
            problems.push(p);
        }
    }
    let summary = format!("{} cases: {results} results, {errors} clear errors\n{log}", cases.len());
    (problems, summary)
}

/// Whether an outcome is clear and as expected; the problem if not.
fn check(name: &str, outcome: &Outcome, expect: Expect) -> Option<String> {
    if let Outcome::Failed(stage, message) = outcome {
        if message.trim().is_empty() {
            return Some(format!("{name}: an error without a message during {stage:?}"));
        }
        // A file that cannot be read is named in the message, so people know which one.
        if *stage == Stage::Load && !message.contains(name) {
            return Some(format!("{name}: the error does not name the file: {message}"));
        }
    }
    match (expect, outcome) {
        (Works, Outcome::Done(_)) => None,
        (Works, Outcome::Failed(s, m)) => Some(format!("{name}: expected a result, got an error during {s:?}: {m}")),
        (Fails(want, _), Outcome::Done(what)) => {
            Some(format!("{name}: expected an error during {want:?}, got a result: {what}"))
        }
        (Fails(want, words), Outcome::Failed(s, m)) => {
            let lower = m.to_lowercase();
            let missing: Vec<&str> = words.iter().copied().filter(|w| !lower.contains(&w.to_lowercase())).collect();
            if *s != want || !missing.is_empty() {
                Some(format!("{name}: expected an error during {want:?} saying {words:?}, got during {s:?}: {m}"))
            } else {
                None
            }
        }
    }
}

fn fail_on(problems: &[String], summary: &str) {
    assert!(problems.is_empty(), "{} problem(s):\n{}\n\nall cases:\n{summary}", problems.len(), problems.join("\n"));
}

#[test]
fn every_bad_input_ends_in_a_result_or_a_clear_error() {
    let dir = fixture("bad");
    let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
        .expect("corpus folder")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| !matches!(n.as_str(), "README.md" | "make.py" | ".gitattributes"))
        .collect();
    on_disk.sort();
    let mut listed: Vec<String> = CASES.iter().map(|(n, _)| (*n).to_owned()).collect();
    listed.sort();
    assert_eq!(on_disk, listed, "every file in tests/fixtures/bad/ has exactly one entry in CASES");
    assert!(on_disk.len() >= 50, "the corpus holds at least 50 files, not {}", on_disk.len());
    let cases: Vec<(PathBuf, Expect)> = CASES.iter().map(|(n, e)| (dir.join(n), *e)).collect();
    let (problems, summary) = run_cases(&cases);
    eprintln!("{summary}");
    fail_on(&problems, &summary);
}

/// A small plant table, written here so the damaged projects below have a data file to refer to.
fn plant_csv(rows: usize) -> String {
    let mut text = String::from("Temperature [°C],Pressure (bar),Speed (1/min),Shift,Result\n");
    for i in 0..rows {
        let temp = 20.0 + f64::from(u32::try_from(i * 7 % 13).unwrap_or(0)) * 0.5;
        let speed = 1450 + (i * 11 % 17) * 5;
        let shift = ["Early", "Late", "Night"].iter().cycle().nth(i).unwrap_or(&"Early");
        let result = if temp > 24.0 && speed > 1480 { "NOK" } else { "OK" };
        let _ = writeln!(text, "{temp},{:.3},{speed},{shift},{result}", 1.0 + (i * 3 % 7) as f64 * 0.01);
    }
    text
}

/// Sets the value at a JSON pointer of a saved project.
fn damaged(project: &serde_json::Value, edits: &[(&str, serde_json::Value)]) -> Vec<u8> {
    let mut p = project.clone();
    for (pointer, value) in edits {
        *p.pointer_mut(pointer).unwrap_or_else(|| panic!("the saved project has {pointer}")) = value.clone();
    }
    serde_json::to_vec(&p).expect("json")
}

/// Large files made here rather than committed, and projects whose trained model was damaged
/// after saving (as a disk error, a hand edit or another program could).
fn generated_cases(dir: &Path) -> Vec<(PathBuf, Expect)> {
    use serde_json::json;
    let mut cases = Vec::new();
    let mut add = |name: &str, bytes: &[u8], expect: Expect| {
        let path = dir.join(name);
        std::fs::write(&path, bytes).expect("write case");
        cases.push((path, expect));
    };

    // A 1 MB field in the middle of an otherwise ordinary file.
    let mut text = plant_csv(40).replacen("Shift", "Remark", 1);
    let field = "x".repeat(1 << 20);
    text = text.replacen("Late", &field, 1);
    add("huge_field_1mb.csv", text.as_bytes(), Works);
    // A 2 MB line of fields on line 4.
    let (long_line, short) = ("1,".repeat(1 << 20), plant_csv(40));
    let lines: Vec<&str> =
        short.lines().enumerate().map(|(i, l)| if i == 3 { long_line.as_str() } else { l }).collect();
    add("very_long_line.csv", lines.join("\n").as_bytes(), Fails(Load, &["line 4"]));
    // A valid project carrying a 30 MB string.
    let mut big = serde_json::to_value(Project::default()).expect("json");
    big.as_object_mut().expect("an object").insert("notes".into(), json!("ü".repeat(15 << 20)));
    add("huge_string.glassbox", &serde_json::to_vec(&big).expect("json"), Works);

    // A trained project on a data file beside it, then damaged copies of it.
    let data = dir.join("plant.csv");
    std::fs::write(&data, plant_csv(60)).expect("data");
    let mut ds = load_file(&data, &LoadOptions::default(), &Progress::new()).expect("plant data loads");
    let target = ds.column_index("Result").expect("target");
    ds.set_role(target, Role::Target);
    let settings = TrainSettings { target: "Result".into(), params: small_tree(), ..TrainSettings::default() };
    let report = train(&ds, &settings, &Progress::new()).expect("trains");
    let mut project = Project::new(Some(DataRef::of_file(&data, LoadOptions::default()).expect("ref")), &ds);
    project.model = Some(report);
    let good = serde_json::to_value(&project).expect("json");
    let tree = "/model/model/estimator/tree";
    add("trained.glassbox", &serde_json::to_vec(&good).expect("json"), Works);
    let cases_of_damage: [(&str, Vec<(String, serde_json::Value)>); 12] = [
        ("tree_cycle", vec![(format!("{tree}/left/1"), json!(0))]),
        ("tree_self_loop", vec![(format!("{tree}/right/0"), json!(0))]),
        ("tree_child_out_of_range", vec![(format!("{tree}/right/0"), json!(1_000_000))]),
        ("tree_feature_out_of_range", vec![(format!("{tree}/feature/0"), json!(1_000_000))]),
        ("tree_short_thresholds", vec![(format!("{tree}/threshold"), json!([24.75]))]),
        ("tree_short_cover", vec![(format!("{tree}/cover"), json!([]))]),
        ("tree_short_values", vec![(format!("{tree}/values"), json!([0.5]))]),
        ("tree_no_outputs", vec![(format!("{tree}/n_outputs"), json!(0))]),
        ("tree_null_threshold", vec![(format!("{tree}/threshold/0"), json!(null))]),
        ("no_features", vec![("/model/model/pipeline/features".into(), json!([]))]),
        ("encoded_feature_out_of_range", vec![("/model/model/pipeline/encoded/0/feature".into(), json!(99))]),
        ("split_rows_out_of_range", vec![("/model/split/train/0".into(), json!(1_000_000_000))]),
    ];
    // The same with an SVM and with a saved rule set.
    let svm_settings = TrainSettings { params: ModelParams::Svm(SvmParams::default()), ..settings };
    let mut svm_project = project.clone();
    svm_project.model = Some(train(&ds, &svm_settings, &Progress::new()).expect("SVM trains"));
    let svm = serde_json::to_value(&svm_project).expect("json");
    add("trained_svm.glassbox", &serde_json::to_vec(&svm).expect("json"), Works);
    let rules = {
        let report = project.model.as_ref().expect("model");
        let data = RuleData::new(report, &ds).expect("rows");
        simplify(&extract(report, &data, &TreeParams::default()).expect("rules"), &data, &SimplifyOptions::default())
    };
    let mut with_rules = project.clone();
    with_rules.rule_set = Some(rules);
    let with_rules = serde_json::to_value(&with_rules).expect("json");
    add("trained_with_rules.glassbox", &serde_json::to_vec(&with_rules).expect("json"), Works);
    let machine = "/model/model/estimator/model/machines/0";
    let svm_damage: [(&str, &str, serde_json::Value); 4] = [
        ("svm_support_shape", "/svm/support/n_rows", json!(1000)),
        ("svm_coef_longer", "/svm/coef", json!(vec![0.5; 1000])),
        ("svm_class_out_of_range", "/second", json!(7)),
        ("svm_support_width", "/svm/support/n_cols", json!(1)),
    ];
    for (name, pointer, value) in svm_damage {
        let full = format!("{machine}{pointer}");
        let edit = [(full.as_str(), value)];
        add(&format!("{name}.glassbox"), &damaged(&svm, &edit), Fails(Load, &["damaged"]));
    }
    let rule_damage: [(&str, &str, serde_json::Value); 3] = [
        ("rule_feature_out_of_range", "/rule_set/rules/0/conditions/0/feature", json!(99)),
        ("rule_class_out_of_range", "/rule_set/default/index", json!(99)),
        ("rule_features_missing", "/rule_set/features", json!([])),
    ];
    for (name, pointer, value) in rule_damage {
        add(&format!("{name}.glassbox"), &damaged(&with_rules, &[(pointer, value)]), Fails(Export, &["rule"]));
    }
    for (name, edits) in &cases_of_damage {
        let edits: Vec<(&str, serde_json::Value)> = edits.iter().map(|(p, v)| (p.as_str(), v.clone())).collect();
        let expect = if *name == "split_rows_out_of_range" {
            Fails(Data, &["damaged", "row 1000000001", "60 rows"])
        } else {
            Fails(Load, &["damaged"])
        };
        add(&format!("{name}.glassbox"), &damaged(&good, &edits), expect);
    }

    // Files over the size limits, made sparse so they cost no disk space.
    let sparse = |name: &str, len: u64| {
        let path = dir.join(name);
        std::fs::File::create(&path).and_then(|f| f.set_len(len)).expect("sparse file");
        path
    };
    cases.push((sparse("oversized.glassbox", MAX_PROJECT_BYTES + 1), Fails(Load, &["MB"])));
    cases.push((sparse("oversized.csv", glassbox::data::MAX_FILE_BYTES + 1), Fails(Load, &["GB"])));
    cases
}

#[test]
fn large_and_damaged_inputs_end_in_a_result_or_a_clear_error() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let cases = generated_cases(dir.path());
    let (problems, summary) = run_cases(&cases);
    eprintln!("{summary}");
    fail_on(&problems, &summary);
}

/// Thousands of small random texts made of the characters that steer a CSV reader (delimiters,
/// quotes, line ends, spaces, digits, letters) each end in a dataset or an error, never a panic;
/// and a dataset always has as many values per column as rows.
#[test]
fn random_delimited_text_never_panics() {
    const ALPHABET: &[u8] = b",,;\t\"\"\n\n\r 1234567890.-eaNx";
    let mut state = 0x9E37_79B9_7F4A_7C15_u64;
    let mut next = move || {
        // xorshift64*: a fixed sequence, so a failure reproduces.
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        state.wrapping_mul(0x2545_F491_4F6C_DD1D)
    };
    let path = Path::new("random.csv");
    let mut failures = Vec::new();
    for case in 0..3000 {
        let len = usize::try_from(next() % 200).unwrap_or(0);
        let bytes: Vec<u8> =
            (0..len).map(|_| ALPHABET[usize::try_from(next() % ALPHABET.len() as u64).unwrap_or(0)]).collect();
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            glassbox::data::load_bytes(bytes.clone(), path, &LoadOptions::default(), &Progress::new())
        }));
        match outcome {
            Err(_) => failures.push(format!("case {case} panicked on {:?}", String::from_utf8_lossy(&bytes))),
            Ok(Ok(ds)) => {
                if let Some(c) = ds.columns.iter().find(|c| c.values.len() != ds.n_rows()) {
                    failures.push(format!(
                        "case {case}: column '{}' has {} values for {} rows",
                        c.name,
                        c.values.len(),
                        ds.n_rows()
                    ));
                }
            }
            Ok(Err(_)) => {}
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
