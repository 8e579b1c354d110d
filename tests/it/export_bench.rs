//! The test bench and the cost report of the exported block. The test bench, run by the
//! test-side interpreter, passes on real models (a tree, a rule set, a regression tree, an SVM's
//! surrogate, data with missing values) and fails, naming the right vector, when an expected
//! value or a threshold is corrupted; its vectors reach every branch and both sides of every
//! threshold of the code as written (counted by the interpreter, not by the exporter). The cost
//! report's operation counts are what the interpreter executes, row by row.

use std::process::Command;

use glassbox::export::cost::{self, CostReport};
use glassbox::export::plc_eval::{BlockLogic, Ops};
use glassbox::export::vectors::{Purpose, TestVector, TestVectors, vectors};
use glassbox::export::{ExportOptions, ExportPlan, Format, RealType, export};
use glassbox::model::cart::TreeParams;
use glassbox::model::svm::SvmParams;
use glassbox::model::{ModelParams, Task};
use glassbox::rules::RuleSet;
use glassbox::rules::extract::extract;
use glassbox::rules::round::{Rounding, round_thresholds};
use glassbox::rules::simplify::{SimplifyOptions, simplify};

use crate::export::ai4i_dropouts;
use crate::export::st_eval::{self, Value};
use crate::rules::{Trained, ai4i, ai4i_with, ccpp};

fn plan(t: &Trained, rules: Option<&RuleSet>) -> ExportPlan {
    ExportPlan::new(&t.report, &t.data, rules, &TreeParams::default(), None).expect("plan")
}

fn options(real_type: RealType) -> ExportOptions {
    ExportOptions { real_type, date: Some("2024-05-06".into()), ..ExportOptions::default() }
}

fn rules_of(t: &Trained, min_support: f64, digits: Option<u32>) -> RuleSet {
    let rs = extract(&t.report, &t.data, &TreeParams::default()).expect("rules");
    let rs = simplify(&rs, &t.data, &SimplifyOptions { min_support, ..SimplifyOptions::default() });
    match digits {
        Some(d) => round_thresholds(&rs, &t.data, &Rounding { digits: Some(d), ..Rounding::default() }).rules,
        None => rs,
    }
}

/// The value an output should hold, in the block's types.
fn expected_value(x: f64, ty: &str) -> Value {
    #[allow(clippy::cast_possible_truncation)]
    match ty {
        "REAL" => Value::Real(x as f32),
        "LREAL" => Value::Lreal(x),
        "INT" => Value::Int(x as i64),
        other => panic!("output type {other}"),
    }
}

/// Replaces element `k` (from 1) of the constant array `name` in a test bench file.
fn corrupt_element(text: &str, name: &str, k: usize, with: impl Fn(&str) -> String) -> String {
    let start = text.find(&format!("    {name} : ARRAY[")).expect("array");
    let open = start + text[start..].find("*)\n").expect("array comment") + 3;
    let close = open + text[open..].find("\n    ];").expect("array end");
    let mut items: Vec<String> = text[open..close].split(',').map(|s| s.trim().to_owned()).collect();
    items[k - 1] = with(&items[k - 1]);
    format!("{}        {}{}", &text[..open], items.join(", "), &text[close..])
}

/// Runs the test bench of `p` in the interpreter and checks it passes, that its vectors reach
/// every branch and both sides of every threshold of the block's code, that the block itself
/// gives each vector's expected outputs, and that corrupting an expected value or a threshold
/// makes it fail at the right vector. Returns the vectors.
fn check_bench(name: &str, p: &ExportPlan, opts: &ExportOptions) -> TestVectors {
    let text = export(p, Format::TestbenchSt, opts).expect("test bench").text;
    let program = st_eval::parse_file(&text);
    assert_eq!(program.blocks.len(), 2, "{name}: the block and its test bench");
    let (block, bench) = (&program.blocks[0], &program.blocks[1]);
    assert_eq!(bench.name, format!("TB_{}", block.name));
    let out = program.run(&bench.name, &[]);
    let tv = vectors(p, opts).expect("vectors");
    let n = tv.vectors.len();
    assert_eq!(
        (out["DONE"], out["PASSED"], out["FAILURES"], out["FIRSTFAILURE"], out["SKIPPED"]),
        (Value::Bool(true), Value::Bool(true), Value::Int(0), Value::Int(0), Value::Int(0)),
        "{name}: the test bench fails"
    );

    // Without NaN, the vectors with a NaN input are skipped and Passed is FALSE.
    let with_nan = tv.vectors.iter().filter(|v| v.has_nan()).count();
    assert!(with_nan > 0, "{name}: no vector has a missing number");
    let out = program.run(&bench.name, &[("WithNaN", Value::Bool(false))]);
    assert_eq!(out["SKIPPED"], Value::Int(i64::try_from(with_nan).expect("small")));
    assert_eq!((out["PASSED"], out["FAILURES"]), (Value::Bool(false), Value::Int(0)));

    // The block run on each vector gives the expected outputs, and the vectors reach every
    // `decision :=` and put every threshold comparison at its literal and at the next number above.
    let places = block.places();
    let mut reached = std::collections::BTreeSet::new();
    let mut at = std::collections::BTreeSet::new();
    let mut above = std::collections::BTreeSet::new();
    let next_up = |x: f64| match opts.real_type {
        #[allow(clippy::cast_possible_truncation)]
        RealType::Real => f64::from((x as f32).next_up()),
        RealType::Lreal => x.next_up(),
    };
    let (second, real_kw) = match p.task {
        Task::Classification => ("CONFIDENCE", opts.real_type.keyword()),
        Task::Regression => ("SPREAD", opts.real_type.keyword()),
    };
    let pred_ty = if p.task == Task::Classification { "INT" } else { real_kw };
    for (i, v) in tv.vectors.iter().enumerate() {
        let (env, trace) = block.run_traced(&v.inputs);
        let e = &v.expected;
        let what = format!("{name}: vector {} ({})", i + 1, v.description);
        assert_eq!(env["PREDICTION"], expected_value(e.prediction, pred_ty), "{what}");
        assert_eq!(env[second], expected_value(e.second, real_kw), "{what}");
        assert_eq!(env["VALID"], Value::Bool(e.valid), "{what}");
        assert_eq!(env["IMPUTED"], Value::Bool(e.imputed), "{what}");
        assert_eq!(env["MISSING"], Value::Dword(e.missing[0]), "{what}");
        assert_eq!(env["OUTOFRANGE"], Value::Dword(e.out_of_range[0]), "{what}");
        reached.extend(trace.assignments.iter().copied());
        for (id, x, literal) in trace.comparisons {
            if x == literal {
                at.insert(id);
            }
            if x == next_up(literal) {
                above.insert(id);
            }
        }
    }
    // On the vectors that are data rows, the expected decision is the plan's own (the model's,
    // for a tree), computed in 64 bits from the row as it was.
    let rows = &p.rows;
    let raw_of = |row: usize, held_out: bool| {
        let (m, ids) =
            if held_out { (&rows.test, &rows.test_dataset_rows) } else { (&rows.train, &rows.train_dataset_rows) };
        m.row(ids.iter().position(|&r| r == row).expect("a row of the plan"))
    };
    let mut from_rows = 0;
    for v in &tv.vectors {
        let raw = match v.purpose {
            Purpose::Branch { row: Some(r), held_out, .. } => raw_of(r, held_out),
            Purpose::HeldOut { row } => raw_of(row, true),
            _ => continue,
        };
        if !v.expected.valid {
            continue;
        }
        let (outcome, second) = p.decide(raw);
        assert_eq!(
            expected_value(v.expected.prediction, pred_ty),
            expected_value(outcome.as_f64(), pred_ty),
            "{name}: {}",
            v.description
        );
        assert_eq!(
            expected_value(v.expected.second, real_kw),
            expected_value(second, real_kw),
            "{name}: {}",
            v.description
        );
        from_rows += 1;
    }
    assert!(from_rows >= tv.coverage.branches_covered.min(10), "{name}: {from_rows} vectors from rows");
    let missed: Vec<usize> = places.decisions.iter().filter(|d| !reached.contains(d)).copied().collect();
    assert!(missed.is_empty(), "{name}: {} of {} branches not reached", missed.len(), places.decisions.len());
    assert_eq!(places.decisions.len(), tv.coverage.branches, "{name}: branches");
    let one_side: Vec<_> =
        places.thresholds.iter().filter(|(id, _, _)| !(at.contains(id) && above.contains(id))).collect();
    assert!(one_side.is_empty(), "{name}: thresholds not checked on both sides: {one_side:?}");
    assert_eq!(places.thresholds.len(), tv.coverage.thresholds, "{name}: thresholds");
    let c = &tv.coverage;
    assert_eq!((c.branches_covered, c.thresholds_both_sides), (c.branches, c.thresholds), "{name}: {c:?}");
    assert_eq!(c.level_tests_both_ways, c.level_tests, "{name}: {c:?}");
    assert_eq!((c.inputs_missing, c.inputs_out_of_range), (p.features.len(), p.features.len()), "{name}");
    assert!(c.held_out_rows > 0, "{name}: {c:?}");

    // Corrupting one expected value fails at that vector.
    let k = n / 2 + 1;
    let bad = corrupt_element(&text, "ExpImputed", k, |s| if s == "TRUE" { "FALSE".into() } else { "TRUE".into() });
    let bad = st_eval::parse_file(&bad);
    let out = bad.run(&bench.name, &[]);
    assert_eq!(
        (out["PASSED"], out["FAILURES"], out["FIRSTFAILURE"]),
        (Value::Bool(false), Value::Int(1), Value::Int(i64::try_from(k).expect("small"))),
        "{name}: a corrupted expected value"
    );

    // Moving one threshold literal down by one step fails at a vector that holds that literal.
    let logic = &tv.logic;
    let site = logic
        .sites
        .iter()
        .enumerate()
        .filter(|(_, s)| s.op.is_threshold())
        .find(|(s, _)| {
            let side = |beyond: bool| {
                tv.vectors.iter().find(|v| v.purpose == Purpose::Boundary { site: *s, beyond }).map(|v| &v.expected)
            };
            side(false).is_some() && side(false) != side(true)
        })
        .map(|(_, s)| s.clone())
        .expect("a threshold whose two sides give different outputs");
    let moved = match opts.real_type {
        #[allow(clippy::cast_possible_truncation)]
        RealType::Real => format!("REAL#{}", glassbox::export::literal::format_f32((site.literal as f32).next_down())),
        RealType::Lreal => format!("LREAL#{}", glassbox::export::literal::format_f64(site.literal.next_down())),
    };
    let sym = site.op.symbol();
    let block_end = text.find("END_FUNCTION_BLOCK").expect("end of the block");
    let (head, tail) = text.split_at(block_end);
    let mutated_head = head
        .replace(&format!("{sym} {} THEN", site.text), &format!("{sym} {moved} THEN"))
        .replace(&format!("{sym} {})", site.text), &format!("{sym} {moved})"));
    assert_ne!(mutated_head, head, "{name}: the threshold {} is in the code", site.text);
    let out = st_eval::parse_file(&format!("{mutated_head}{tail}")).run(&bench.name, &[]);
    assert_eq!(out["PASSED"], Value::Bool(false), "{name}: a moved threshold");
    let Value::Int(first) = out["FIRSTFAILURE"] else { panic!("FirstFailure") };
    let failing = &tv.vectors[usize::try_from(first).expect("a vector") - 1];
    assert!(
        failing.inputs.contains(&site.literal),
        "{name}: vector {first} ({}) fails, but holds no {}",
        failing.description,
        site.text
    );
    eprintln!(
        "{name}: the test bench passes ({}); a corrupted expected value fails at vector {k}, threshold {} moved \
         down fails at vector {first}",
        glassbox::export::testbench::summary(&tv),
        site.text
    );
    tv
}

#[test]
fn the_test_bench_passes_in_the_evaluator() {
    let real = options(RealType::Real);
    check_bench("AI4I tree", &plan(ai4i(), None), &real);
    check_bench("AI4I tree, LREAL", &plan(ai4i(), None), &options(RealType::Lreal));
    let rules = rules_of(ai4i(), 0.005, Some(3));
    let tv = check_bench("AI4I rules", &plan(ai4i(), Some(&rules)), &real);
    assert_eq!(tv.coverage.branches, rules.rules.len() + 1);
    check_bench("CCPP regression tree", &plan(ccpp(), None), &real);
    let t = ai4i_with(ModelParams::Svm(SvmParams { max_train_rows: 300, ..SvmParams::default() }));
    let p = plan(&t, None);
    assert!(p.surrogate);
    check_bench("AI4I SVM surrogate", &p, &real);
    let t = ai4i_dropouts();
    check_bench("AI4I with dropouts", &plan(t, None), &real);
    check_bench("AI4I with dropouts, rules", &plan(t, Some(&rules_of(t, 0.005, None))), &real);
}

#[test]
fn test_vectors_are_reproducible_and_reusable() {
    let p = plan(ai4i(), None);
    let o = options(RealType::Real);
    let a = export(&p, Format::TestbenchSt, &o).expect("bench").text;
    let b = export(&p, Format::TestbenchSt, &o).expect("bench").text;
    assert!(a == b, "two exports differ");
    // The file starts with the block exactly as the plain export writes it.
    let st = export(&p, Format::StructuredText, &o).expect("st").text;
    assert!(a.starts_with(&st));
    assert!(a.contains("FUNCTION_BLOCK TB_FB_Machine_failure") && a.contains("NaNValue := Zero / Zero;"));
    // Vectors come with the block's branch; the first ones reach the branches in code order.
    let tv = vectors(&p, &o).expect("vectors");
    for (b, v) in tv.vectors.iter().take(tv.coverage.branches).enumerate() {
        assert!(matches!(v.purpose, Purpose::Branch { branch, .. } if branch == b), "{:?}", v.purpose);
        assert_eq!(v.branch, b);
    }
    // A block named as the bench's own variables is refused, with the reason.
    let clash = ExportOptions { name: Some("Passed".into()), ..o.clone() };
    let e = export(&p, Format::TestbenchSt, &clash).expect_err("clash");
    assert!(e.to_string().contains("the test bench uses that name"), "{e}");
}

/// The operations the interpreter counts running the exported text on each training row.
fn interpreted_ops(p: &ExportPlan, opts: &ExportOptions, logic: &BlockLogic) -> Vec<[u64; 5]> {
    let text = export(p, Format::StructuredText, opts).expect("st").text;
    let block = st_eval::parse(&text);
    p.rows.train.rows().map(|raw| block.run_traced(&logic.inputs_of(raw)).1.ops).collect()
}

fn as_array(o: &Ops) -> [u64; 5] {
    [o.comparisons, o.logic, o.arithmetic, o.assignments, o.branches]
}

#[test]
fn the_cost_report_counts_what_the_block_executes() {
    let rules = rules_of(ai4i(), 0.005, Some(3));
    let cases = [
        ("AI4I tree", plan(ai4i(), None), RealType::Real),
        ("AI4I tree, LREAL", plan(ai4i(), None), RealType::Lreal),
        ("AI4I rules", plan(ai4i(), Some(&rules)), RealType::Real),
        ("CCPP", plan(ccpp(), None), RealType::Real),
        ("AI4I with dropouts", plan(ai4i_dropouts(), None), RealType::Real),
    ];
    for (name, p, ty) in cases {
        let o = options(ty);
        let r: CostReport = cost::report(&p, &o, Some(12.5)).expect("report");
        let logic = BlockLogic::new(&p, &o).expect("logic");
        // Row by row, the counts are what the interpreter executes; the worst case bounds them.
        let counted = interpreted_ops(&p, &o, &logic);
        let mut sum = [0u64; 5];
        for (raw, ops) in p.rows.train.rows().zip(&counted) {
            let ours = logic.call(&logic.inputs_of(raw)).ops;
            assert_eq!(&as_array(&ours), ops, "{name}: operations of a call");
            assert!(ours.total() <= r.worst.total() && ours.comparisons <= r.worst.comparisons, "{name}");
            for k in 0..5 {
                sum[k] += ops[k];
            }
        }
        let n = counted.len() as f64;
        let a = r.average.expect("average");
        assert_eq!(r.average_rows, counted.len());
        for (got, want) in [a.comparisons, a.logic, a.arithmetic, a.assignments, a.branches].iter().zip(sum) {
            assert!((got - want as f64 / n).abs() < 1e-9, "{name}: average {got} against {}", want as f64 / n);
        }
        assert_eq!(r.worst.arithmetic, 0);
        let t = r.time.expect("time");
        assert!((t.worst_us - r.worst.total() as f64 * 12.5 / 1000.0).abs() < 1e-12);
        // Every branch is traced to its line, whose comment names its rule.
        let text = export(&p, Format::StructuredText, &o).expect("st").text;
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(r.branches.iter().map(|b| b.training_rows).sum::<usize>(), p.rows.train.n_rows());
        for b in &r.branches {
            let line = lines[b.line.expect("a line") - 1];
            let label = b.rule.map_or_else(|| "(* default rule:".to_owned(), |k| format!("(* rule {k}"));
            assert!(line.trim_start().starts_with(&label), "{name}: line {:?} is {line}", b.line);
        }
        assert_eq!(r.code.lines, lines.len());
        eprintln!("{name}: {}", cost::summary(&r));
    }
    // Instance memory by IEC type sizes: AI4I has one INT and five REAL inputs.
    let r = cost::report(&plan(ai4i(), None), &options(RealType::Real), None).expect("report");
    assert_eq!((r.memory.inputs, r.memory.outputs, r.memory.locals), ((6, 22), (6, 16), (8, 28)));
    assert_eq!(r.memory.total_bytes, 66);
    assert!(r.time.is_none());
    let r = cost::report(&plan(ai4i(), None), &options(RealType::Lreal), None).expect("report");
    assert_eq!(r.memory.total_bytes, 2 + 40 + (2 + 8 + 1 + 1 + 4 + 4) + (2 + 40 + 2 + 8));
    let md = cost::markdown(&r);
    assert!(md.contains("No time is estimated") && md.contains("| rule | leaf | line |"), "{md}");
    assert!(cost::report(&plan(ai4i(), None), &options(RealType::Real), Some(-1.0)).is_err());
    let md = export(&plan(ai4i(), None), Format::Report, &options(RealType::Real)).expect("report").text;
    eprintln!("{md}");
}

fn glassbox() -> Command {
    Command::new(env!("CARGO_BIN_EXE_glassbox"))
}

#[test]
fn export_command_writes_the_test_bench_and_the_report() {
    let dir = tempfile::tempdir().expect("dir");
    let project = crate::export::ai4i_project(dir.path());
    let project = project.to_str().expect("utf-8");
    let path = |f: &str| dir.path().join(f).to_str().expect("utf-8").to_owned();
    let run = |args: &[&str]| glassbox().args(args).output().expect("runs");
    // The test bench, twice the same bytes, passing in the interpreter.
    let mut texts = Vec::new();
    for k in 0..2 {
        let out_path = path(&format!("bench{k}.st"));
        let out = run(&["export", project, "--format", "testbench-st", "--date", "2024-05-06", "--out", &out_path]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("test bench:") && stderr.contains("cost per call: worst case"), "{stderr}");
        texts.push(std::fs::read_to_string(&out_path).expect("written"));
    }
    assert!(texts[0] == texts[1], "two exports differ");
    let program = st_eval::parse_file(&texts[0]);
    let out = program.run("TB_FB_Machine_failure", &[]);
    assert_eq!(out["PASSED"], Value::Bool(true));
    // Every PLC format prints the cost summary.
    let out = run(&["export", project, "--format", "st", "--ns-per-op", "20", "--out", &path("block.st")]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stderr.contains("cost per call") && stderr.contains("at 20 ns per operation"),
        "{stderr}"
    );
    // The report as Markdown and as JSON, with the time only from --ns-per-op.
    let out = run(&["export", project, "--format", "report", "--out", &path("cost.md")]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let md = std::fs::read_to_string(path("cost.md")).expect("md");
    assert!(md.starts_with("# Cost and traceability: FB_Machine_failure") && md.contains("No time is estimated"));
    let out =
        run(&["export", project, "--format", "report", "--json", "--ns-per-op", "20", "--out", &path("cost.json")]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path("cost.json")).expect("json")).expect("json");
    let worst = v["worst"]["comparisons"].as_u64().expect("worst comparisons")
        + ["logic", "arithmetic", "assignments", "branches"]
            .iter()
            .map(|k| v["worst"][k].as_u64().expect("n"))
            .sum::<u64>();
    let us = v["time"]["worst_us"].as_f64().expect("time");
    assert!((us - worst as f64 * 20.0 / 1000.0).abs() < 1e-9, "{us} for {worst} operations");
    assert!(v["branches"].as_array().is_some_and(|b| !b.is_empty()) && v["memory"]["total_bytes"] == 66);
    // --json is for the report only.
    let out = run(&["export", project, "--format", "st", "--json", "--out", &path("x.st")]);
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
}

/// The test bench file of `p` with a few of its vectors, one with a NaN input among them: the
/// same code as the full one, for tools that take long over long array initialisers (blark).
pub fn short_bench(p: &ExportPlan, opts: &ExportOptions) -> String {
    let pou = glassbox::export::pou::build(p, opts).expect("block");
    let mut tv = vectors(p, opts).expect("vectors");
    let nan = tv.vectors.iter().position(TestVector::has_nan).expect("a vector with a NaN");
    let keep: Vec<_> = tv.vectors.iter().take(4).chain(tv.vectors.get(nan)).cloned().collect();
    tv.vectors = keep;
    glassbox::export::testbench::render(p, &pou, &tv).expect("test bench")
}

#[test]
fn the_input_checks_every_block_shares_give_what_the_tree_block_gives() {
    // `plc_eval::screen`, which the SVM block's vectors take their Valid, Imputed and masks from,
    // against the tree block's own call, on every row of AI4I with sensor gaps.
    let p = plan(ai4i_dropouts(), None);
    let o = options(RealType::Real);
    let logic = BlockLogic::new(&p, &o).expect("logic");
    let checks = glassbox::export::plc_eval::input_checks(&p, RealType::Real);
    assert_eq!(checks, logic.checks);
    let mut imputed = 0;
    for raw in p.rows.train.rows().chain(p.rows.test.rows()) {
        let inputs = glassbox::export::plc_eval::inputs_of(&checks, RealType::Real, raw);
        assert_eq!(
            inputs.iter().map(|x| x.to_bits()).collect::<Vec<_>>(),
            logic.inputs_of(raw).iter().map(|x| x.to_bits()).collect::<Vec<_>>()
        );
        let s = glassbox::export::plc_eval::screen(&checks, &inputs);
        let call = logic.call(&inputs).outputs;
        assert_eq!(
            (s.valid, s.imputed, &s.missing, &s.out_of_range),
            (call.valid, call.imputed, &call.missing, &call.out_of_range)
        );
        imputed += usize::from(s.imputed);
    }
    assert!(imputed > 1000, "{imputed} rows with a gap");
}
