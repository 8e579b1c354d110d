//! Rules from trees and surrogates on real data: exact extraction, simplification and rounding
//! with the fidelity they keep, surrogate rules for an SVM, and the rule set saved in a project.

use std::sync::OnceLock;

use glassbox::Progress;
use glassbox::data::{Column, ColumnKind, Dataset, LoadOptions, load_file};
use glassbox::model::cart::TreeParams;
use glassbox::model::svm::SvmParams;
use glassbox::model::train::{TrainSettings, TrainingReport, train};
use glassbox::model::{ModelParams, Task};
use glassbox::rules::extract::extract;
use glassbox::rules::round::{Rounding, round_thresholds};
use glassbox::rules::score::{RuleData, decisions};
use glassbox::rules::simplify::{SimplifyOptions, simplify};
use glassbox::rules::surrogate::Surrogate;
use glassbox::rules::{RuleSource, from_model_tree};

use crate::fixture;

/// A trained model with its data.
pub struct Trained {
    /// The data.
    pub ds: Dataset,
    /// The training run.
    pub report: TrainingReport,
    /// Training and held-out rows.
    pub data: RuleData,
}

/// The AI4I features a plant engineer would give the model (no IDs, no failure modes).
pub const AI4I_FEATURES: [&str; 6] = [
    "Type",
    "Air temperature [K]",
    "Process temperature [K]",
    "Rotational speed [rpm]",
    "Torque [Nm]",
    "Tool wear [min]",
];

/// Trains `params` on `ds` for `target` and keeps the rows for scoring rules.
pub fn fit(ds: Dataset, target: &str, features: Option<Vec<String>>, task: Task, params: ModelParams) -> Trained {
    let settings =
        TrainSettings { target: target.into(), task: Some(task), features, params, ..TrainSettings::default() };
    let report = train(&ds, &settings, &Progress::new()).expect("trains");
    let data = RuleData::new(&report, &ds).expect("rows");
    Trained { ds, report, data }
}

/// A dataset from `tests/fixtures/`, as the app reads it.
pub fn load(name: &str) -> Dataset {
    load_file(&fixture(name), &LoadOptions::default(), &Progress::new()).expect("loads")
}

/// AI4I 2020, machine failure, with the model given.
pub fn ai4i_with(params: ModelParams) -> Trained {
    let features = AI4I_FEATURES.iter().map(|s| (*s).to_owned()).collect();
    fit(load("datasets/ai4i2020.csv"), "Machine failure", Some(features), Task::Classification, params)
}

/// AI4I 2020 with the default tree (depth 6), trained once.
pub fn ai4i() -> &'static Trained {
    static CELL: OnceLock<Trained> = OnceLock::new();
    CELL.get_or_init(|| ai4i_with(ModelParams::Tree(TreeParams::default())))
}

/// Combined Cycle Power Plant, electrical output (regression), trained once.
pub fn ccpp() -> &'static Trained {
    static CELL: OnceLock<Trained> = OnceLock::new();
    CELL.get_or_init(|| fit(load("datasets/ccpp.csv"), "PE", None, Task::Regression, ModelParams::default()))
}

/// Steel plates faults with the seven 0/1 fault columns joined into one class (multiclass),
/// trained once.
pub fn steel() -> &'static Trained {
    static CELL: OnceLock<Trained> = OnceLock::new();
    CELL.get_or_init(|| steel_with(ModelParams::default()))
}

/// Steel plates with the seven faults as one categorical target, fitted with `params`.
pub fn steel_with(params: ModelParams) -> Trained {
    {
        let ds = load("datasets/steel_plates_faults.csv");
        let faults = ["Pastry", "Z_Scratch", "K_Scatch", "Stains", "Dirtiness", "Bumps", "Other_Faults"];
        let mut levels: Vec<String> = faults.iter().map(|s| (*s).to_owned()).collect();
        levels.sort();
        let codes: Vec<f64> = (0..ds.n_rows())
            .map(|r| {
                let f =
                    faults.iter().find(|f| ds.column(f).expect("fault column").values[r] == 1.0).expect("one fault");
                levels.iter().position(|l| l == f).expect("level") as f64
            })
            .collect();
        let mut columns: Vec<Column> =
            ds.columns.iter().filter(|c| !faults.contains(&c.name.as_str())).cloned().collect();
        let features: Vec<String> = columns.iter().map(|c| c.name.clone()).collect();
        columns.push(Column::new("Fault", ColumnKind::Categorical, codes, levels));
        let ds = Dataset::new("steel", columns).expect("dataset");
        fit(ds, "Fault", Some(features), Task::Classification, params)
    }
}

#[test]
fn tree_rules_decide_as_the_tree_on_every_row() {
    for (name, t) in [("ai4i", ai4i()), ("ccpp", ccpp()), ("steel", steel())] {
        let rs = extract(&t.report, &t.data, &TreeParams::default()).expect("rules");
        let tree = t.report.model.tree().expect("a tree");
        assert_eq!(rs.rules.len(), tree.n_leaves(), "{name}: one rule per leaf");
        assert_eq!((rs.fidelity.train.share, rs.fidelity.test.share), (1.0, 1.0), "{name}");
        // Each row meets exactly the rule of the leaf it reaches.
        let mut enc = Vec::new();
        for rows in [&t.data.train, &t.data.test] {
            for i in 0..rows.len() {
                let raw = rows.raw.row(i);
                t.report.model.pipeline.encode_row_into(raw, &mut enc);
                let leaf = tree.leaf(&enc);
                let mut filled = Vec::new();
                rs.fill(raw, &mut filled);
                let matching: Vec<usize> = (0..rs.rules.len()).filter(|&r| rs.rules[r].matches(&filled)).collect();
                assert_eq!(matching.len(), 1, "{name} row {i}: the rules partition the rows");
                assert_eq!(rs.rules[matching[0]].leaf, Some(leaf), "{name} row {i}");
            }
        }
        // Statistics: supports add up; the class mix of a leaf is the tree's.
        assert_eq!(rs.rules.iter().map(|r| r.stats.support).sum::<usize>(), t.data.train.len());
        if t.report.model.task == Task::Classification {
            for r in &rs.rules {
                let leaf = r.leaf.expect("leaf");
                for (a, b) in r.stats.class_mix.iter().zip(tree.value(leaf)) {
                    assert!((a - b).abs() < 1e-12, "{name}: class mix of leaf {leaf}");
                }
            }
        }
    }
}

#[test]
fn categorical_splits_read_as_levels() {
    let rs = from_model_tree(&ai4i().report.model).expect("rules");
    let text = rs.describe().join("\n");
    assert!(text.contains("Torque [Nm]"), "{text}");
    // Ranges are merged per feature: no feature appears twice in one rule.
    for r in &rs.rules {
        let mut f: Vec<usize> = r.conditions.iter().map(glassbox::rules::Condition::feature).collect();
        f.dedup();
        assert_eq!(f.len(), r.conditions.len());
    }
}

#[test]
fn simplification_reports_the_fidelity_of_each_step() {
    let t = ai4i();
    let rs = extract(&t.report, &t.data, &TreeParams::default()).expect("rules");
    let simple = simplify(&rs, &t.data, &SimplifyOptions::default());
    let names: Vec<&str> = simple.steps.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["extract", "merge", "drop conditions"]);
    let merge = &simple.steps[1];
    assert_eq!((merge.fidelity.train.share, merge.fidelity.test.share), (1.0, 1.0), "merging is exact");
    assert!(merge.rules < rs.rules.len(), "sibling leaves with the same class merge");
    let dropped = &simple.steps[2];
    assert_eq!(dropped.fidelity.train.share, 1.0, "dropping keeps every training decision");
    assert!(dropped.conditions < merge.conditions);
    // The stored fidelity is what the rules really do.
    let (train, _) = decisions(&simple, &t.data.train);
    assert!(train.iter().zip(&t.data.train.model).all(|(a, b)| a == b));

    let pruned = simplify(
        &rs,
        &t.data,
        &SimplifyOptions { min_support: 0.01, min_confidence: 0.6, ..SimplifyOptions::default() },
    );
    let last = pruned.steps.last().expect("prune step");
    assert_eq!(last.name, "prune");
    assert!(pruned.rules.len() < simple.rules.len());
    assert!(pruned.rules.iter().all(|r| r.stats.support_share >= 0.01 || r.stats.support == 0));
    eprintln!("AI4I simplification (depth-6 tree, {} leaves):", rs.rules.len());
    for s in &pruned.steps {
        eprintln!("  {:<16} {:>3} rules {:>4} conditions  {}", s.name, s.rules, s.conditions, s.fidelity.describe());
    }
}

#[test]
fn rounding_shows_the_change_in_fidelity_before_it_is_accepted() {
    let t = ai4i();
    let rs = extract(&t.report, &t.data, &TreeParams::default()).expect("rules");
    let simple = simplify(&rs, &t.data, &SimplifyOptions::default());
    for digits in [4, 3, 2] {
        let preview = round_thresholds(&simple, &t.data, &Rounding { digits: Some(digits), ..Rounding::default() });
        assert_eq!(preview.before, simple.fidelity);
        assert_eq!(preview.after, preview.rules.fidelity);
        assert!(!preview.changes.is_empty());
        eprintln!(
            "AI4I rounding to {digits} significant digits: {} thresholds moved; training {:.2} % → {:.2} %, held-out {:.2} % → {:.2} %",
            preview.changes.len(),
            preview.before.train.share * 100.0,
            preview.after.train.share * 100.0,
            preview.before.test.share * 100.0,
            preview.after.test.share * 100.0
        );
    }
    // A step per feature.
    let mut steps = std::collections::BTreeMap::new();
    steps.insert("Torque [Nm]".to_owned(), 0.5);
    let preview = round_thresholds(&simple, &t.data, &Rounding { digits: None, steps });
    for c in &preview.changes {
        if simple.features[c.feature].name == "Torque [Nm]" {
            assert_eq!((c.to * 2.0).fract(), 0.0, "{c:?}");
        }
    }
}

#[test]
fn svm_rules_come_from_a_surrogate_with_its_fidelity_and_disagreements() {
    let params = SvmParams { max_train_rows: 400, ..SvmParams::default() };
    let t = ai4i_with(ModelParams::Svm(params));
    let s = Surrogate::fit(&t.report.model, &t.data, &TreeParams::default()).expect("surrogate");
    let list = s.disagreements(&t.data, 0.0);
    let disagree = (s.fidelity.train.rows - s.fidelity.train.agree) + (s.fidelity.test.rows - s.fidelity.test.agree);
    assert_eq!(list.len(), disagree, "every disagreeing row is listed");
    for d in list.iter().take(50) {
        assert_ne!(d.model, d.surrogate);
    }
    assert!(s.fidelity.train.share > 0.9, "{:?}", s.fidelity);
    let rs = extract(&t.report, &t.data, &TreeParams::default()).expect("rules");
    assert_eq!(rs.source, RuleSource::Surrogate);
    assert_eq!(rs.fidelity, s.fidelity, "the rules are the surrogate's leaves");
    eprintln!("AI4I SVM surrogate fidelity: {}", rs.fidelity.describe());
}

#[test]
fn a_rule_set_is_saved_in_the_project() {
    let t = ccpp();
    let rs = simplify(
        &extract(&t.report, &t.data, &TreeParams::default()).expect("rules"),
        &t.data,
        &SimplifyOptions::default(),
    );
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("p.glassbox");
    let mut p = glassbox::project::Project::new(None, &t.ds);
    p.rule_set = Some(rs.clone());
    p.save(&path).expect("saves");
    let back = glassbox::project::Project::load(&path).expect("loads");
    assert_eq!(back.rule_set.as_ref(), Some(&rs));
    // It evaluates the same after the round trip.
    let back = back.rule_set.expect("rules");
    for i in 0..t.data.test.len() {
        assert_eq!(back.decide(t.data.test.raw.row(i)), rs.decide(t.data.test.raw.row(i)));
    }
}
