//! Exports on real data: the exported Structured Text, run by a small interpreter with 32-bit
//! `REAL` arithmetic, decides as the model on every training and held-out row; `blark` parses
//! every ST file and `xmllint` validates every XML file against the PLCopen schema; hostile
//! feature names cannot inject code; the same model gives the same bytes; golden files pin
//! the text.

pub mod st_eval;

use std::path::{Path, PathBuf};
use std::process::Command;

use glassbox::Progress;
use glassbox::data::{Column, ColumnKind, Dataset, LoadOptions};
use glassbox::export::ident::{comment_text, identifiers, is_valid_identifier};
use glassbox::export::{ExportOptions, ExportPlan, Format, RealType, export};
use glassbox::model::cart::TreeParams;
use glassbox::model::pipeline::FeatureKind;
use glassbox::model::svm::SvmParams;
use glassbox::model::train::{TrainSettings, TrainingReport, train};
use glassbox::model::tree::Tree;
use glassbox::model::{ModelParams, Task};
use glassbox::project::{DataRef, Project};
use glassbox::rules::extract::extract;
use glassbox::rules::round::{Rounding, round_thresholds};
use glassbox::rules::score::RuleData;
use glassbox::rules::simplify::{SimplifyOptions, simplify};
use glassbox::rules::{Outcome, RuleSet};
use st_eval::Value;

use crate::fixture;
use crate::rules::{Trained, ai4i, ai4i_with, ccpp, steel};

fn plan(t: &Trained, rules: Option<&RuleSet>) -> ExportPlan {
    ExportPlan::new(&t.report, &t.data, rules, &TreeParams::default(), None).expect("plan")
}

fn options(real_type: RealType) -> ExportOptions {
    ExportOptions { real_type, date: Some("2024-05-06".into()), ..ExportOptions::default() }
}

/// What the exported code must decide for a raw row.
enum Expect<'a> {
    /// The model itself (a tree model exported from its tree).
    Model,
    /// The plan's logic (a surrogate tree or a rule set).
    Plan(&'a ExportPlan),
}

/// Bit `k` set where `flags[k]` (the first 32 inputs).
fn mask(flags: &[bool]) -> u32 {
    flags.iter().take(32).enumerate().filter(|(_, f)| **f).fold(0, |m, (k, _)| m | (1 << k))
}

/// Runs the exported ST on every training and held-out row and checks it against the model (or
/// the plan's own logic): the decision before the validity check on every row, `Valid` against
/// the training ranges, and the outputs (decision or safe default). Returns the rows checked.
fn check_st(t: &Trained, plan: &ExportPlan, opts: &ExportOptions, expect: &Expect<'_>) -> usize {
    let text = export(plan, Format::StructuredText, opts).expect("exports").text;
    let block = st_eval::parse(&text);
    let model = &t.report.model;
    // Inputs in model feature order, REAL/LREAL for numbers and INT for categories.
    assert_eq!(block.inputs.len(), model.n_features());
    for ((_, ty), f) in block.inputs.iter().zip(&model.pipeline.features) {
        let want = match f.kind {
            FeatureKind::Numeric => opts.real_type.keyword(),
            FeatureKind::Categorical => "INT",
        };
        assert_eq!(ty, want, "type of {}", f.name);
    }
    let safe = plan.safe_default(opts).expect("safe default");
    let real = |v: f64| match opts.real_type {
        #[allow(clippy::cast_possible_truncation)]
        RealType::Real => Value::Real(v as f32),
        RealType::Lreal => Value::Lreal(v),
    };
    let as_value = |o: Outcome| match o {
        #[allow(clippy::cast_possible_truncation)]
        Outcome::Class { index } => Value::Int(i64::try_from(index).expect("small")),
        Outcome::Value { value } => real(value),
    };
    let mut checked = 0;
    for (rows, training) in [(&t.data.train, true), (&t.data.test, false)] {
        for i in 0..rows.len() {
            let raw = rows.raw.row(i);
            let env = block.run(raw);
            let (want, want_conf) = match expect {
                Expect::Model => {
                    let p = model.predict_row(raw);
                    match model.task {
                        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                        Task::Classification => {
                            let k = p.value as usize;
                            (Outcome::Class { index: k }, Some(p.probabilities[k]))
                        }
                        Task::Regression => (Outcome::Value { value: p.value }, None),
                    }
                }
                Expect::Plan(plan) => {
                    let (o, c) = plan.decide(raw);
                    (o, Some(c))
                }
            };
            let decision = env["DECISION"];
            assert_eq!(decision, as_value(want), "row {} ({}): decision", rows.dataset_rows[i], t.ds.name);
            // The second output: confidence of a class, spread of a number.
            let (second, local) = match model.task {
                Task::Classification => ("CONFIDENCE", "CERTAINTY"),
                Task::Regression => ("SPREAD", "DEVIATION"),
            };
            if let Some(c) = want_conf {
                assert_eq!(env[local], real(c), "row {}: {second}", rows.dataset_rows[i]);
            }
            // A missing input (NaN; the INT input gets -1) is filled in; Valid: every present
            // input inside its training range, in the PLC's precision.
            let missing: Vec<bool> = raw.iter().map(|x| x.is_nan()).collect();
            let outside: Vec<bool> = plan
                .features
                .iter()
                .zip(raw)
                .map(|(f, &x)| {
                    !x.is_nan()
                        && !match f.kind {
                            FeatureKind::Categorical => x >= 0.0 && x <= f.max,
                            FeatureKind::Numeric => match opts.real_type {
                                #[allow(clippy::cast_possible_truncation)]
                                RealType::Real => (x as f32) >= (f.min as f32) && (x as f32) <= (f.max as f32),
                                RealType::Lreal => x >= f.min && x <= f.max,
                            },
                        }
                })
                .collect();
            let valid = !outside.contains(&true);
            let row = rows.dataset_rows[i];
            assert_eq!(env["VALID"], Value::Bool(valid), "row {row}: Valid");
            assert_eq!(env["IMPUTED"], Value::Bool(missing.contains(&true)), "row {row}: Imputed");
            assert_eq!(env["MISSING"], Value::Dword(mask(&missing)), "row {row}: Missing");
            assert_eq!(env["OUTOFRANGE"], Value::Dword(mask(&outside)), "row {row}: OutOfRange");
            if training {
                assert!(valid, "a training row is inside the training range");
            }
            let (p, c) = if valid { (decision, env[local]) } else { (as_value(safe), real(0.0)) };
            assert_eq!(env["PREDICTION"], p);
            assert_eq!(env[second], c);
            checked += 1;
        }
    }
    checked
}

#[test]
fn exported_structured_text_decides_as_the_model_on_every_row() {
    for (t, name) in [(ai4i(), "AI4I"), (ccpp(), "CCPP"), (steel(), "steel plates")] {
        let p = plan(t, None);
        assert_eq!((p.fidelity.train.share, p.fidelity.test.share), (1.0, 1.0), "{name}");
        for ty in [RealType::Real, RealType::Lreal] {
            let n = check_st(t, &p, &options(ty), &Expect::Model);
            assert_eq!(n, t.data.train.len() + t.data.test.len());
            eprintln!("{name}: the exported {} code decides as the model on all {n} rows", ty.keyword());
        }
    }
}

/// AI4I 2020 with sensor dropouts of the kind a line has: the tool-wear counter is empty for
/// every 'H' product (a gauge that one line lacks) and the product type is unknown on every
/// 40th run; a tree trained on it.
pub fn ai4i_dropouts() -> &'static Trained {
    static CELL: std::sync::OnceLock<Trained> = std::sync::OnceLock::new();
    CELL.get_or_init(|| {
        let mut ds = crate::rules::load("datasets/ai4i2020.csv");
        let ty = ds.column_index("Type").expect("Type");
        let wear = ds.column_index("Tool wear [min]").expect("wear");
        let high = ds.columns[ty].levels.iter().position(|l| l == "H").expect("level H") as f64;
        for r in 0..ds.n_rows() {
            if ds.columns[ty].values[r] == high {
                ds.columns[wear].values[r] = f64::NAN;
            }
            if r % 40 == 7 {
                ds.columns[ty].values[r] = f64::NAN;
            }
        }
        let features = crate::rules::AI4I_FEATURES.iter().map(|s| (*s).to_owned()).collect();
        crate::rules::fit(
            ds,
            "Machine failure",
            Some(features),
            Task::Classification,
            ModelParams::Tree(TreeParams::default()),
        )
    })
}

#[test]
fn missing_inputs_are_filled_as_the_model_fills_them() {
    let t = ai4i_dropouts();
    let rows_with_gaps = (0..t.data.train.len())
        .map(|i| t.data.train.raw.row(i))
        .chain((0..t.data.test.len()).map(|i| t.data.test.raw.row(i)))
        .filter(|r| r.iter().any(|x| x.is_nan()))
        .count();
    assert!(rows_with_gaps > 1000, "{rows_with_gaps} rows with a missing input");
    let p = plan(t, None);
    for ty in [RealType::Real, RealType::Lreal] {
        // check_st runs every row, gaps included: the decision is the model's, Imputed and the
        // Missing bits name the gaps, and Valid stays TRUE for them.
        let n = check_st(t, &p, &options(ty), &Expect::Model);
        eprintln!(
            "AI4I with dropouts: {} code decides as the model on all {n} rows, {rows_with_gaps} filled in",
            ty.keyword()
        );
    }
    // The fill is stated in the code as the model's own.
    let text = export(&p, Format::StructuredText, &options(RealType::Lreal)).expect("st").text;
    let wear = &t.report.model.pipeline.features[5];
    assert!(
        wear.fill.is_finite() && text.contains(&format!("LREAL#{}", glassbox::export::literal::format_f64(wear.fill)))
    );
    // The same with a rule set.
    let rs = extract(&t.report, &t.data, &TreeParams::default()).expect("rules");
    let rs = simplify(&rs, &t.data, &SimplifyOptions { min_support: 0.005, ..SimplifyOptions::default() });
    let p = plan(t, Some(&rs));
    check_st(t, &p, &options(RealType::Real), &Expect::Plan(&p));
}

fn ai4i_rules() -> RuleSet {
    let t = ai4i();
    let rs = extract(&t.report, &t.data, &TreeParams::default()).expect("rules");
    let rs = simplify(&rs, &t.data, &SimplifyOptions { min_support: 0.005, ..SimplifyOptions::default() });
    round_thresholds(&rs, &t.data, &Rounding { digits: Some(3), ..Rounding::default() }).rules
}

#[test]
fn exported_rules_decide_as_the_rule_set_on_every_row() {
    let t = ai4i();
    let rs = ai4i_rules();
    let p = plan(t, Some(&rs));
    assert_eq!(p.fidelity, rs.fidelity);
    for ty in [RealType::Real, RealType::Lreal] {
        check_st(t, &p, &options(ty), &Expect::Plan(&p));
    }
    for r in 0..t.data.test.len() {
        let raw = t.data.test.raw.row(r);
        assert_eq!(p.decide(raw).0, rs.decide(raw));
    }
    let text = export(&p, Format::StructuredText, &options(RealType::Real)).expect("st").text;
    assert!(text.contains("ELSIF") && text.contains("(* rule 1 ("), "{text}");
    // CCPP regression with pruned rules.
    let t = ccpp();
    let rs = extract(&t.report, &t.data, &TreeParams::default()).expect("rules");
    let rs = simplify(&rs, &t.data, &SimplifyOptions { min_support: 0.02, ..SimplifyOptions::default() });
    let p = plan(t, Some(&rs));
    check_st(t, &p, &options(RealType::Real), &Expect::Plan(&p));
}

#[test]
fn an_svm_exports_its_surrogate_and_says_so() {
    let t = ai4i_with(ModelParams::Svm(SvmParams { max_train_rows: 300, ..SvmParams::default() }));
    let p = plan(&t, None);
    assert!(p.surrogate);
    check_st(&t, &p, &options(RealType::Real), &Expect::Plan(&p));
    let text = export(&p, Format::StructuredText, &options(RealType::Real)).expect("st").text;
    assert!(text.contains("surrogate decision tree") && text.contains("the SVM itself is not exported"), "{text}");
    assert!(p.fidelity.train.share < 1.0 || p.fidelity.test.share <= 1.0);
}

/// Names a careless exporter would turn into broken or hostile code.
const HOSTILE: [&str; 16] = [
    "IF",
    "END",
    "REAL",
    "Air temperature [K]",
    "Drehzahl (1/min)",
    "温度",
    "2nd stage",
    "a;b",
    "x (* y *)",
    "z *) ; Valid := TRUE; (*",
    "Torque [Nm]",
    "Torque (Nm)",
    "]]> <![CDATA[",
    "Prediction",
    "decision",
    "FB_Target",
];

fn hostile() -> &'static Trained {
    static CELL: std::sync::OnceLock<Trained> = std::sync::OnceLock::new();
    CELL.get_or_init(|| {
        use rand::{RngExt as _, SeedableRng as _};
        let mut rng = rand::rngs::ChaCha8Rng::seed_from_u64(7);
        let n = 600;
        let mut cols: Vec<Vec<f64>> = vec![Vec::with_capacity(n); HOSTILE.len()];
        let mut typ = Vec::with_capacity(n);
        let mut target = Vec::with_capacity(n);
        for _ in 0..n {
            for c in &mut cols {
                c.push((rng.random::<f64>() * 100.0).round() / 10.0);
            }
            let k = rng.random_range(0..3usize);
            typ.push(k as f64);
            let row: Vec<f64> = cols.iter().map(|c| c[c.len() - 1]).collect();
            let score = row[0] + row[5] - row[9] + if k == 1 { 3.0 } else { 0.0 } + row[12] * 0.5 - row[14] * 0.3;
            target.push(f64::from(u8::from(score > 5.0)));
        }
        let mut columns: Vec<Column> =
            HOSTILE.iter().zip(cols).map(|(name, v)| Column::new(*name, ColumnKind::Float, v, Vec::new())).collect();
        columns.push(Column::new(
            "Typ (* *)",
            ColumnKind::Categorical,
            typ,
            vec!["A*)".into(), "B (*".into(), "C".into()],
        ));
        columns.push(Column::new("Target", ColumnKind::Integer, target, Vec::new()));
        let ds = Dataset::new("hostile", columns).expect("dataset");
        let mut features: Vec<String> = HOSTILE.iter().map(|s| (*s).to_owned()).collect();
        features.push("Typ (* *)".into());
        let settings = TrainSettings {
            target: "Target".into(),
            task: Some(Task::Classification),
            features: Some(features),
            ..TrainSettings::default()
        };
        let report = train(&ds, &settings, &Progress::new()).expect("trains");
        let data = RuleData::new(&report, &ds).expect("rows");
        Trained { ds, report, data }
    })
}

#[test]
fn hostile_feature_names_cannot_inject_code() {
    let t = hostile();
    let p = plan(t, None);
    let text = export(&p, Format::StructuredText, &options(RealType::Real)).expect("st").text;
    // The interpreter refuses comments holding `(*` and checks declarations are unique.
    let block = st_eval::parse(&text);
    assert_eq!(block.name, "FB_Target");
    let names: Vec<&str> = block.inputs.iter().map(|(n, _)| n.as_str()).collect();
    assert!(names.iter().all(|n| is_valid_identifier(n)), "{names:?}");
    assert!(names.contains(&"FB_Target_2") && names.contains(&"Prediction_2") && names.contains(&"F_IF"), "{names:?}");
    // Every original name is in a comment, defused.
    for name in HOSTILE {
        assert!(text.contains(&comment_text(name)), "{name}");
    }
    assert!(!text.contains("Valid := TRUE; (*"));
    check_st(t, &p, &options(RealType::Real), &Expect::Model);
    let xml = export(&p, Format::PlcopenXml, &options(RealType::Real)).expect("xml").text;
    assert_eq!(xml.matches("]]>").count(), xml.matches("]]></xhtml:p>").count(), "no CDATA section ends early");
}

#[test]
fn identifiers_are_valid_unique_and_comments_closed_for_any_names() {
    use rand::{RngExt as _, SeedableRng as _};
    let pieces = [
        "(*",
        "*)",
        "(",
        ")",
        "*",
        "/",
        "]]>",
        "]",
        ">",
        ";",
        ":=",
        "'",
        "\"",
        "$",
        "#",
        "\n",
        "\t",
        "\u{202E}",
        "\u{0}",
        "温度",
        "Öl",
        "ß",
        "é",
        "μ",
        "°C",
        " ",
        "_",
        "__",
        "1",
        "9x",
        "IF",
        "end",
        "REAL",
        "real_to_int",
        "Valid",
        "Prediction",
        "a",
        "Z",
        "x",
        "-",
        "%",
        "&",
        "<",
        "\u{FFFF}",
        "😀",
        "Ω",
    ];
    let mut rng = rand::rngs::ChaCha8Rng::seed_from_u64(2024);
    for _ in 0..3000 {
        let n = rng.random_range(1..8);
        let names: Vec<String> = (0..n)
            .map(|_| (0..rng.random_range(0..7)).map(|_| pieces[rng.random_range(0..pieces.len())]).collect())
            .collect();
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        let taken = ["Prediction", "Confidence", "Valid", "decision", "certainty", "FB_X"];
        let ids = identifiers(&refs, &taken);
        let mut upper: Vec<String> = ids.iter().map(|s| s.to_ascii_uppercase()).collect();
        upper.extend(taken.iter().map(|s| s.to_ascii_uppercase()));
        let before = upper.len();
        upper.sort();
        upper.dedup();
        assert_eq!(upper.len(), before, "unique ignoring case: {names:?} → {ids:?}");
        for (name, id) in names.iter().zip(&ids) {
            assert!(is_valid_identifier(id), "{name:?} → {id:?}");
            let c = comment_text(name);
            for bad in ["(*", "*)", "/*", "*/", "]]>", "\n", "\u{202E}", "\u{0}", "\u{FFFF}"] {
                assert!(!c.contains(bad), "{name:?} → comment {c:?} holds {bad:?}");
            }
        }
    }
}

#[test]
fn the_same_model_exports_the_same_bytes() {
    let again = crate::rules::ai4i_with(ModelParams::Tree(TreeParams::default()));
    assert_eq!(again.report.model, ai4i().report.model);
    for format in Format::ALL {
        let a = export(&plan(ai4i(), None), format, &options(RealType::Real)).expect("a").text;
        let b = export(&plan(&again, None), format, &options(RealType::Real)).expect("b").text;
        assert!(a == b, "{} differs between two exports of the same model", format.label());
    }
}

#[test]
fn tree_json_reads_back_as_the_same_tree() {
    for t in [ai4i(), ccpp(), steel()] {
        let p = plan(t, None);
        let text = export(&p, Format::TreeJson, &ExportOptions::default()).expect("json").text;
        let v: serde_json::Value = serde_json::from_str(&text).expect("json");
        for key in [
            "children_left",
            "children_right",
            "feature",
            "threshold",
            "value",
            "n_node_samples",
            "feature_names",
            "class_names",
        ] {
            assert!(v.get(key).is_some(), "{key}");
        }
        let back = Tree::from_sklearn_json(&v).expect("reads");
        let tree = t.report.model.tree().expect("tree");
        assert_eq!((&back.left, &back.right, &back.feature), (&tree.left, &tree.right, &tree.feature));
        assert_eq!(back.threshold, tree.threshold);
        assert_eq!(back.values, tree.values);
        assert_eq!(back.cover, tree.cover);
        assert_eq!(v["feature_names"].as_array().map(Vec::len), Some(t.report.model.pipeline.n_encoded()));
    }
}

#[test]
fn json_and_csv_rule_sets_have_the_documented_shape() {
    let t = ai4i();
    let p = plan(t, Some(&ai4i_rules()));
    let v: serde_json::Value =
        serde_json::from_str(&export(&p, Format::Json, &ExportOptions::default()).expect("json").text).expect("json");
    let rules = v["rules"].as_array().expect("rules");
    assert_eq!(rules.len(), p.rules.rules.len());
    for r in rules {
        assert!(r["conditions"].is_array() && r["outcome"]["class"].is_string());
        assert!(r["support"]["rows"].is_u64() && r["support"]["share"].is_f64() && r["confidence"].is_f64());
    }
    assert!(v["default"]["outcome"]["class"].is_string());
    let csv = export(&p, Format::Csv, &ExportOptions::default()).expect("csv").text;
    assert!(csv.starts_with("rule,conditions,outcome,support_rows"));
    assert_eq!(csv.lines().count(), p.rules.rules.len() + 2);
}

/// True when `tool` can run; otherwise says so loudly, and fails under CI.
pub fn have(tool: &str, install: &str) -> bool {
    let ok = Command::new(tool).arg("--version").output().is_ok_and(|o| o.status.success());
    if !ok {
        assert!(std::env::var_os("CI").is_none(), "{tool} is required in CI ({install})");
        eprintln!(
            "\n*** SKIPPED: `{tool}` is not installed, so exported files were NOT checked with it ({install}) ***\n"
        );
    }
    ok
}

fn schema() -> PathBuf {
    fixture("plc/tc6_xml_v201.xsd")
}

/// Every file the checks below feed to the external tools: (name, ST, XML).
fn exported_files() -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    let rules = ai4i_rules();
    let cases: Vec<(&str, ExportPlan, RealType)> = vec![
        ("ai4i_real", plan(ai4i(), None), RealType::Real),
        ("ai4i_lreal", plan(ai4i(), None), RealType::Lreal),
        ("ai4i_rules", plan(ai4i(), Some(&rules)), RealType::Real),
        ("ccpp", plan(ccpp(), None), RealType::Real),
        ("steel", plan(steel(), None), RealType::Lreal),
        ("hostile", plan(hostile(), None), RealType::Real),
    ];
    for (name, p, ty) in cases {
        let o = options(ty);
        let st = export(&p, Format::StructuredText, &o).expect("st").text;
        let xml = export(&p, Format::PlcopenXml, &o).expect("xml").text;
        // The block with its test bench (a few of its vectors: blark takes minutes on long
        // array initialisers, and the code is the same for any number of vectors).
        let bench = crate::export_bench::short_bench(&p, &o);
        out.push((format!("{name}_testbench"), bench, xml.clone()));
        out.push((name.to_owned(), st, xml));
    }
    out
}

/// The SVM's own decision function as ST (a small machine: blark is slow on long initialisers),
/// and the same block with a test bench of a few of its vectors, one with a NaN among them (the
/// same code as the full bench).
fn svm_st_files() -> Vec<(String, String)> {
    let t = ai4i_with(ModelParams::Svm(SvmParams { max_train_rows: 60, ..SvmParams::default() }));
    let p = plan(&t, None);
    let mut files: Vec<(String, String)> = [("svm_real", RealType::Real), ("svm_lreal", RealType::Lreal)]
        .into_iter()
        .map(|(name, ty)| {
            let st = glassbox::export::svm_block::write(&p, &t.report, &options(ty)).expect("svm").exported.text;
            (name.to_owned(), st)
        })
        .collect();
    let (pou, mut mv) =
        glassbox::export::svm_block::block_and_vectors(&p, &t.report, &options(RealType::Real)).expect("vectors");
    let nan = mv.vectors.iter().position(glassbox::export::vectors::ModelVector::has_nan).expect("a NaN vector");
    mv.vectors = mv.vectors.iter().take(3).chain(mv.vectors.get(nan)).cloned().collect();
    let tb = glassbox::export::testbench::bench_name(&pou.name);
    let bench = glassbox::export::testbench::svm_bench(&p, &pou, &mv, &tb).expect("bench");
    let text = format!(
        "{}\n{}",
        glassbox::export::structured_text::render(&pou),
        glassbox::export::testbench::render_bench(&bench)
    );
    // The short bench passes in the interpreter too.
    let out = st_eval::parse_file(&text).run(&tb, &[]);
    assert_eq!((out["PASSED"], out["FAILURES"]), (Value::Bool(true), Value::Int(0)));
    files.push(("svm_testbench".to_owned(), text));
    files
}

/// `blark`, or `python3 -m blark` where pip put no script on the PATH; `None` (loudly, and a
/// failure under CI) when neither runs.
fn blark() -> Option<Vec<String>> {
    for cmd in [vec!["blark".to_owned()], vec!["python3".to_owned(), "-m".to_owned(), "blark".to_owned()]] {
        let ok = Command::new(&cmd[0]).args(&cmd[1..]).arg("--version").output().is_ok_and(|o| o.status.success());
        if ok {
            return Some(cmd);
        }
    }
    let install = "python3 -m pip install blark";
    assert!(std::env::var_os("CI").is_none(), "blark is required in CI ({install})");
    eprintln!("\n*** SKIPPED: `blark` is not installed, so exported ST was NOT parsed ({install}) ***\n");
    None
}

#[test]
fn blark_parses_every_exported_st_file() {
    let Some(blark) = blark() else { return };
    let dir = tempfile::tempdir().expect("dir");
    let files: Vec<(String, PathBuf)> = exported_files()
        .into_iter()
        .map(|(name, st, _)| (name, st))
        .chain(svm_st_files())
        .map(|(name, st)| {
            let path = dir.path().join(format!("{name}.st"));
            std::fs::write(&path, st).expect("write");
            (name, path)
        })
        .collect();
    let children: Vec<(String, std::process::Child)> = files
        .iter()
        .map(|(name, path)| {
            let child = Command::new(&blark[0])
                .args(&blark[1..])
                .arg("parse")
                .arg(path)
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("blark runs");
            (name.clone(), child)
        })
        .collect();
    for (name, child) in children {
        let out = child.wait_with_output().expect("blark finishes");
        assert!(out.status.success(), "blark rejects {name}.st: {}", String::from_utf8_lossy(&out.stderr));
    }
}

pub fn xmllint_ok(path: &Path) -> Result<(), String> {
    let out = Command::new("xmllint").arg("--noout").arg("--schema").arg(schema()).arg(path).output().expect("runs");
    if out.status.success() { Ok(()) } else { Err(String::from_utf8_lossy(&out.stderr).into_owned()) }
}

#[test]
fn xmllint_validates_every_exported_xml_file_against_the_plcopen_schema() {
    if !have("xmllint", "apt-get install libxml2-utils") {
        return;
    }
    let dir = tempfile::tempdir().expect("dir");
    for (name, st, xml) in exported_files() {
        let path = dir.path().join(format!("{name}.xml"));
        std::fs::write(&path, &xml).expect("write");
        xmllint_ok(&path).unwrap_or_else(|e| panic!("{name}.xml is not valid TC6 XML: {e}"));
        // The body importers read is the ST body, in the xhtml:p CDATA form.
        let start = xml.find("<ST>\n            <xhtml:p><![CDATA[").expect("ST body") + 35;
        let end = start + xml[start..].find("]]></xhtml:p>").expect("end of body");
        let body = &xml[start..end];
        let st_body = &st[st.find("\n\n").expect("declarations end") + 2..st.find("END_FUNCTION_BLOCK").expect("end")];
        assert!(body.ends_with(st_body), "{name}: the XML body is the ST body");
    }
}

/// A small made-up model (three inputs, a depth-3 tree) whose exports are pinned as golden
/// files: its training run, rows and export plan.
pub fn small_model() -> (TrainingReport, RuleData, ExportPlan) {
    let n = 80;
    let temp: Vec<f64> = (0..n).map(|i| 20.0 + f64::from(i % 17) * 1.5).collect();
    let pressure: Vec<f64> = (0..n).map(|i| 1.0 + f64::from((i * 7) % 13) * 0.25).collect();
    let mode: Vec<f64> = (0..n).map(|i| f64::from(i % 2)).collect();
    let reject: Vec<f64> = (0..usize::try_from(n).expect("n"))
        .map(|i| f64::from(u8::from(temp[i] > 38.0 || (mode[i] == 1.0 && pressure[i] > 3.0))))
        .collect();
    let ds = Dataset::new(
        "small",
        vec![
            Column::new("Temperature [°C]", ColumnKind::Float, temp, Vec::new()),
            Column::new("Pressure (bar)", ColumnKind::Float, pressure, Vec::new()),
            Column::new("Mode", ColumnKind::Categorical, mode, vec!["auto".into(), "manual".into()]),
            Column::new("Reject", ColumnKind::Integer, reject, Vec::new()),
        ],
    )
    .expect("dataset");
    let settings = TrainSettings {
        target: "Reject".into(),
        task: Some(Task::Classification),
        features: Some(vec!["Temperature [°C]".into(), "Pressure (bar)".into(), "Mode".into()]),
        params: ModelParams::Tree(TreeParams {
            max_depth: Some(3),
            min_samples_leaf: 2,
            min_samples_split: 4,
            ..TreeParams::default()
        }),
        ..TrainSettings::default()
    };
    let report = train(&ds, &settings, &Progress::new()).expect("trains");
    let data = RuleData::new(&report, &ds).expect("rows");
    let p = ExportPlan::new(&report, &data, None, &TreeParams::default(), None).expect("plan");
    (report, data, p)
}

/// Compares `text` with the golden file `export/<file>` byte for byte (`UPDATE_GOLDEN=1`
/// rewrites it after an intended change; review the diff).
pub fn check_golden(file: &str, text: &str) {
    let path = fixture(&format!("export/{file}"));
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::create_dir_all(path.parent().expect("folder")).expect("folder");
        std::fs::write(&path, text).expect("write golden");
        return;
    }
    let golden = std::fs::read(&path)
        .unwrap_or_else(|e| panic!("{file}: {e}; run with UPDATE_GOLDEN=1 to create the golden files"));
    assert!(
        golden == text.as_bytes(),
        "{file} differs from the golden file; if intended, rerun with UPDATE_GOLDEN=1:\n{text}"
    );
}

/// A small model whose exports are pinned as golden files (set `UPDATE_GOLDEN=1` to rewrite them
/// after an intended change, and review the diff).
#[test]
fn small_model_matches_the_golden_files() {
    let (report, data, p) = small_model();
    let o = ExportOptions { name: Some("FB_Reject".into()), ..options(RealType::Real) };
    let rs = simplify(&p.rules, &data, &SimplifyOptions::default());
    let p_rules = ExportPlan::new(&report, &data, Some(&rs), &TreeParams::default(), None).expect("plan");
    for (file, text) in [
        ("small.st", export(&p, Format::StructuredText, &o).expect("st").text),
        ("small.xml", export(&p, Format::PlcopenXml, &o).expect("xml").text),
        ("small_rules.st", export(&p_rules, Format::StructuredText, &o).expect("st").text),
        ("small_rules.json", export(&p_rules, Format::Json, &o).expect("json").text),
        ("small_rules.csv", export(&p_rules, Format::Csv, &o).expect("csv").text),
    ] {
        check_golden(file, &text);
    }
}

fn glassbox() -> Command {
    Command::new(env!("CARGO_BIN_EXE_glassbox"))
}

fn run(args: &[&str]) -> std::process::Output {
    glassbox().args(args).output().expect("runs")
}

/// A project file for AI4I with the default tree, made through the engine.
pub fn ai4i_project(dir: &Path) -> PathBuf {
    let t = ai4i();
    let data = fixture("datasets/ai4i2020.csv");
    let mut p = Project::new(Some(DataRef::of_file(&data, LoadOptions::default()).expect("data")), &t.ds);
    p.model = Some(t.report.clone());
    let path = dir.join("ai4i.glassbox");
    p.save(&path).expect("saves");
    path
}

#[test]
fn rules_command_prints_rules_as_text_json_and_csv() {
    let dir = tempfile::tempdir().expect("dir");
    let project = ai4i_project(dir.path());
    let project = project.to_str().expect("utf-8");
    let out = run(&["rules", project, "--format", "json"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
    let rules = v["rules"].as_array().expect("a rules array");
    assert!(!rules.is_empty());
    for r in rules {
        for key in ["conditions", "outcome", "support", "confidence"] {
            assert!(r.get(key).is_some(), "rule without {key}: {r}");
        }
    }
    let out = run(&["rules", project, "--min-support", "1%", "--min-confidence", "0.6", "--digits", "3"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("Rule 1: IF") && text.contains("prune") && text.contains("round"), "{text}");
    eprintln!("{text}");
    let out = run(&["rules", project, "--format", "csv"]);
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("rule,conditions,outcome"));
    let out = run(&["rules", project, "--min-support", "7"]);
    assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("--min-support"));
    // Saved rules are what `export --from rules` writes.
    let out = run(&["rules", project, "--min-support", "0.01", "--save", "--format", "json"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let saved: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let json_out = dir.path().join("rules.json");
    let out =
        run(&["export", project, "--from", "rules", "--format", "json", "--out", json_out.to_str().expect("utf-8")]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let exported: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json_out).expect("read")).expect("json");
    assert_eq!(exported["rules"], saved["rules"]);
}

#[test]
fn export_command_writes_every_format_reproducibly() {
    let dir = tempfile::tempdir().expect("dir");
    let project = ai4i_project(dir.path());
    let project = project.to_str().expect("utf-8");
    for (format, ext) in [("st", "st"), ("plcopen", "xml"), ("json", "json"), ("csv", "csv"), ("tree-json", "json")] {
        let mut texts = Vec::new();
        for k in 0..2 {
            let out_path = dir.path().join(format!("out{k}_{format}.{ext}"));
            let out = run(&[
                "export",
                project,
                "--format",
                format,
                "--name",
                "FB_Failure",
                "--date",
                "2024-05-06",
                "--out",
                out_path.to_str().expect("utf-8"),
            ]);
            assert!(out.status.success(), "{format}: {}", String::from_utf8_lossy(&out.stderr));
            texts.push(std::fs::read(&out_path).expect("written"));
            if format == "plcopen" && k == 0 && have("xmllint", "apt-get install libxml2-utils") {
                xmllint_ok(&out_path).unwrap_or_else(|e| panic!("{e}"));
            }
        }
        assert!(texts[0] == texts[1], "{format}: two exports differ");
    }
    let st_path = dir.path().join("out0_st.st");
    let st = std::fs::read_to_string(&st_path).expect("st");
    assert!(
        st.contains("FUNCTION_BLOCK FB_Failure") && st.contains("SHA-256 53d0e7b7") && st.contains("Date: 2024-05-06.")
    );
    let block = st_eval::parse(&st);
    let names: Vec<&str> = block.inputs.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        ["F_Type", "Air_temperature_K", "Process_temperature_K", "Rotational_speed_rpm", "Torque_Nm", "Tool_wear_min"]
    );
    let out_path = dir.path().join("lreal.st");
    let out =
        run(&["export", project, "--format", "st", "--real-type", "LREAL", "--out", out_path.to_str().expect("utf-8")]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(std::fs::read_to_string(&out_path).expect("st").contains("Torque_Nm : LREAL;"));
    let out =
        run(&["export", project, "--format", "st", "--name", "my block", "--out", out_path.to_str().expect("utf-8")]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("try 'my_block'"));
    let out =
        run(&["export", project, "--format", "st", "--safe-default", "1", "--out", out_path.to_str().expect("utf-8")]);
    assert!(out.status.success());
    assert!(std::fs::read_to_string(&out_path).expect("st").contains("Prediction := 1;"));
}
