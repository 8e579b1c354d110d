//! Glassbox's decision trees against scikit-learn's on real datasets.
//!
//! `tests/fixtures/trees/` holds, for five datasets, scikit-learn's trees grown on fixed training
//! rows with several settings (see `make_reference.py` there). Here Glassbox grows its tree with
//! the same settings on the same rows and every row of the dataset is predicted by both. They
//! must agree on every row (class probabilities and leaf means to a relative 1e-9: means summed
//! in another order differ in the last bits), or the test finds the node where the two trees part
//! for that row and checks that the difference is one a correct CART learner may have:
//!
//! - **threshold placement**: the same feature, thresholds at different places between the same
//!   two training values (scikit-learn reads the data as 32-bit floats, so its midpoints differ
//!   from ours in the last digits), so the training rows are divided alike and only a held-out
//!   value between the two thresholds goes another way;
//! - **tie**: two splits that divide the node's training rows differently but improve the
//!   criterion equally (to 1e-12); scikit-learn breaks such ties by a random feature order,
//!   Glassbox by the first feature.
//!
//! Anything else (a worse split, a missed split, another depth) fails with the node, both splits
//! and their improvements.

use std::collections::BTreeMap;

use glassbox::data::{Dataset, LoadOptions, load_file};
use glassbox::matrix::Matrix;
use glassbox::model::cart::{Criterion, TreeParams, fit_classifier, fit_regressor};
use glassbox::model::tree::Tree;
use glassbox::progress::Progress;
use serde::Deserialize;

use crate::fixture;

#[derive(Deserialize)]
struct Fixture {
    dataset: String,
    task: String,
    feature_columns: Vec<usize>,
    target_column: Option<usize>,
    classes: Option<Vec<String>>,
    #[serde(default)]
    y: Option<Vec<usize>>,
    rows: usize,
    train_rows: Vec<usize>,
    cases: Vec<Case>,
}

#[derive(Deserialize)]
struct Case {
    criterion: String,
    max_depth: Option<u16>,
    min_samples_leaf: usize,
    min_samples_split: usize,
    depth: usize,
    n_leaves: usize,
    tree: SkTree,
    leaf_of_row: Vec<usize>,
}

/// scikit-learn's `tree_` arrays.
#[derive(Deserialize)]
struct SkTree {
    feature: Vec<i64>,
    threshold: Vec<Option<f64>>,
    left: Vec<i64>,
    right: Vec<i64>,
    value: Vec<serde_json::Value>,
}

impl SkTree {
    fn is_leaf(&self, node: usize) -> bool {
        self.left[node] < 0
    }
    /// The left child of a split node.
    fn left_of(&self, node: usize) -> usize {
        usize::try_from(self.left[node]).expect("a split node has children")
    }
    fn feature(&self, node: usize) -> usize {
        usize::try_from(self.feature[node]).expect("a split node has a feature")
    }
    /// The child a value goes to: scikit-learn compares the value as a 32-bit float.
    fn next(&self, node: usize, x: f64) -> usize {
        #[allow(clippy::cast_possible_truncation)]
        let x32 = f64::from(x as f32);
        let child = if x32 <= self.threshold[node].expect("threshold") { self.left[node] } else { self.right[node] };
        usize::try_from(child).expect("child")
    }
    fn values(&self, node: usize) -> Vec<f64> {
        match &self.value[node] {
            serde_json::Value::Array(a) => a.iter().map(|v| v.as_f64().expect("number")).collect(),
            v => vec![v.as_f64().expect("number")],
        }
    }
}

/// The task's targets: class indices in scikit-learn's order, or numbers.
enum Target {
    Classes(Vec<usize>, usize),
    Values(Vec<f64>),
}

fn read(name: &str) -> (Fixture, Matrix, Target) {
    let text = std::fs::read_to_string(fixture(&format!("trees/{name}.json"))).expect("fixture");
    let f: Fixture = serde_json::from_str(&text).expect("fixture parses");
    let ds: Dataset =
        load_file(&fixture(&format!("datasets/{}", f.dataset)), &LoadOptions::default(), &Progress::new())
            .expect("loads");
    assert_eq!(ds.n_rows(), f.rows, "{}: row count", f.dataset);
    let mut x = Matrix::zeros(f.rows, f.feature_columns.len());
    for (j, &c) in f.feature_columns.iter().enumerate() {
        let col = &ds.columns[c];
        assert!(col.kind.is_numeric() && col.levels.is_empty(), "{}: column {} is numeric", f.dataset, col.name);
        for (i, &v) in col.values.iter().enumerate() {
            x.set(i, j, v);
        }
    }
    let target = if f.task == "classification" {
        let classes = f.classes.clone().expect("classes");
        let y = match (&f.y, f.target_column) {
            (Some(y), _) => y.clone(),
            (None, Some(t)) => {
                let col = &ds.columns[t];
                (0..f.rows)
                    .map(|i| {
                        let label =
                            col.level(col.values[i]).map_or_else(|| format!("{}", col.values[i]), str::to_owned);
                        classes.iter().position(|c| *c == label).unwrap_or_else(|| panic!("unknown class {label}"))
                    })
                    .collect()
            }
            (None, None) => panic!("no target"),
        };
        Target::Classes(y, classes.len())
    } else {
        Target::Values(ds.columns[f.target_column.expect("target")].values.clone())
    };
    (f, x, target)
}

/// Impurity of a node from its rows' targets, as the criterion defines it.
fn impurity(criterion: &str, target: &Target, rows: &[usize]) -> f64 {
    let n = rows.len() as f64;
    match target {
        Target::Classes(y, k) => {
            let mut counts = vec![0.0; *k];
            for &r in rows {
                counts[y[r]] += 1.0;
            }
            let p = counts.iter().map(|c| c / n);
            match criterion {
                "gini" => 1.0 - p.map(|p| p * p).sum::<f64>(),
                "entropy" => -p.filter(|&p| p > 0.0).map(|p| p * p.log2()).sum::<f64>(),
                c => panic!("criterion {c}"),
            }
        }
        Target::Values(y) => {
            let mean = rows.iter().map(|&r| y[r]).sum::<f64>() / n;
            rows.iter().map(|&r| (y[r] - mean) * (y[r] - mean)).sum::<f64>() / n
        }
    }
}

/// The weighted impurity decrease of dividing `rows` into `left` and the rest.
fn gain(criterion: &str, target: &Target, rows: &[usize], goes_left: impl Fn(usize) -> bool) -> f64 {
    let (l, r): (Vec<usize>, Vec<usize>) = rows.iter().partition(|&&row| goes_left(row));
    if l.is_empty() || r.is_empty() {
        return 0.0;
    }
    let n = rows.len() as f64;
    impurity(criterion, target, rows)
        - l.len() as f64 / n * impurity(criterion, target, &l)
        - r.len() as f64 / n * impurity(criterion, target, &r)
}

/// Why the two trees send a row to different leaves.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Parting {
    /// Same feature and the same division of the training rows; the thresholds differ.
    Threshold { ours: String, theirs: String },
    /// Equally good splits of the node's training rows, chosen differently.
    Tie { ours: String, theirs: String },
    /// A difference no correct learner should make.
    Wrong(String),
}

fn describe_ours(tree: &Tree, node: usize) -> String {
    if tree.is_leaf(node) { "leaf".into() } else { format!("x{} <= {}", tree.feature[node], tree.threshold[node]) }
}

fn describe_theirs(sk: &SkTree, node: usize) -> String {
    if sk.is_leaf(node) {
        "leaf".into()
    } else {
        format!("x{} <= {}", sk.feature(node), sk.threshold[node].expect("threshold"))
    }
}

/// Walks both trees along row `row` to the first node where they differ and says why.
fn parting(case: &Case, tree: &Tree, x: &Matrix, target: &Target, train: &[usize], row: usize) -> Parting {
    let _ = row;
    let sk = &case.tree;
    let (mut a, mut b) = (0usize, 0usize);
    // The training rows at the current node (the same in both trees while they agree).
    let mut rows: Vec<usize> = train.to_vec();
    let mut depth = 0;
    loop {
        let (ours, theirs) = (describe_ours(tree, a), describe_theirs(sk, b));
        let at = format!("node at depth {depth}: ours {ours}, scikit-learn {theirs}");
        match (tree.is_leaf(a), sk.is_leaf(b)) {
            (true, true) => return Parting::Wrong(format!("{at}: same path, different leaf values")),
            (true, false) | (false, true) => {
                let g = if tree.is_leaf(a) {
                    gain(&case.criterion, target, &rows, |r| sk.next(b, x.get(r, sk.feature(b))) == sk.left_of(b))
                } else {
                    gain(&case.criterion, target, &rows, |r| tree.next(a, x.get(r, tree.feature[a])) == tree.left[a])
                };
                return Parting::Wrong(format!("{at}: one tree stops, the other splits with gain {g:e}"));
            }
            (false, false) => {}
        }
        let ours_left = |r: usize| tree.next(a, x.get(r, tree.feature[a])) == tree.left[a];
        let theirs_left = |r: usize| sk.next(b, x.get(r, sk.feature(b))) == sk.left_of(b);
        let same_division = rows.iter().all(|&r| ours_left(r) == theirs_left(r));
        if !same_division {
            let (g_ours, g_theirs) =
                (gain(&case.criterion, target, &rows, ours_left), gain(&case.criterion, target, &rows, theirs_left));
            let scale = g_ours.abs().max(g_theirs.abs()).max(1e-300);
            return if (g_ours - g_theirs).abs() <= 1e-12 * scale.max(1.0) {
                Parting::Tie { ours, theirs }
            } else {
                Parting::Wrong(format!(
                    "{at}: different divisions of the {} training rows, gain {g_ours:.15e} (ours) vs {g_theirs:.15e}",
                    rows.len()
                ))
            };
        }
        let (go_a, go_b) = (ours_left(row), theirs_left(row));
        if go_a != go_b {
            // Same division of the training rows: by the same feature, the thresholds lie
            // between the same two training values; by another feature, the two splits are
            // equally good (a tie that divides the training rows alike).
            return if tree.feature[a] == sk.feature(b) {
                Parting::Threshold { ours, theirs }
            } else {
                Parting::Tie { ours, theirs }
            };
        }
        rows.retain(|&r| ours_left(r) == go_a);
        a = if go_a { tree.left[a] } else { tree.right[a] };
        b = usize::try_from(if go_b { sk.left[b] } else { sk.right[b] }).expect("child");
        depth += 1;
    }
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1e-12)
}

/// Grows Glassbox's trees for every case of a fixture and compares them with scikit-learn's.
fn agree(name: &str) {
    let (f, x, target) = read(name);
    let xt = x.select_rows(&f.train_rows);
    let mut report = Vec::new();
    let mut failures = Vec::new();
    for case in &f.cases {
        let params = TreeParams {
            criterion: match case.criterion.as_str() {
                "entropy" => Criterion::Entropy,
                _ => Criterion::Gini,
            },
            max_depth: case.max_depth,
            min_samples_leaf: case.min_samples_leaf,
            min_samples_split: case.min_samples_split,
        };
        let tree = match &target {
            Target::Classes(y, k) => {
                let yt: Vec<usize> = f.train_rows.iter().map(|&r| y[r]).collect();
                fit_classifier(&xt, &yt, *k, &params, &Progress::new()).expect("fits")
            }
            Target::Values(y) => {
                let yt: Vec<f64> = f.train_rows.iter().map(|&r| y[r]).collect();
                fit_regressor(&xt, &yt, &params, &Progress::new()).expect("fits")
            }
        };
        let label = format!(
            "{name} {} max_depth {:?} leaf {} split {}",
            case.criterion, case.max_depth, case.min_samples_leaf, case.min_samples_split
        );
        if let Some(d) = case.max_depth {
            assert!(tree.depth() <= usize::from(d), "{label}: depth {} exceeds the maximum", tree.depth());
        }
        let mut partings: BTreeMap<Parting, Vec<usize>> = BTreeMap::new();
        for row in 0..f.rows {
            let ours = tree.predict(x.row(row));
            let theirs = case.tree.values(case.leaf_of_row[row]);
            let same = ours.len() == theirs.len() && ours.iter().zip(&theirs).all(|(a, b)| close(*a, *b));
            if !same {
                partings.entry(parting(case, &tree, &x, &target, &f.train_rows, row)).or_default().push(row);
            }
        }
        let parted: usize = partings.values().map(Vec::len).sum();
        let mut line = format!(
            "{label}: depth {} / {} (scikit-learn), leaves {} / {}, rows predicted alike {} of {}",
            tree.depth(),
            case.depth,
            tree.n_leaves(),
            case.n_leaves,
            f.rows - parted,
            f.rows
        );
        for (why, rows) in &partings {
            let shown: Vec<String> = rows.iter().take(5).map(ToString::to_string).collect();
            line.push_str(&format!("\n    {} rows ({}…): {why:?}", rows.len(), shown.join(", ")));
            if let Parting::Wrong(_) = why {
                failures.push(format!("{label}: {why:?} ({} rows)", rows.len()));
            }
        }
        if partings.is_empty() {
            assert_eq!(tree.depth(), case.depth, "{label}: same predictions, other depth");
        }
        report.push(line);
    }
    eprintln!("{}", report.join("\n"));
    assert!(
        failures.is_empty(),
        "the trees part for reasons other than ties and threshold placement:\n{}",
        failures.join("\n")
    );
}

#[test]
fn ai4i_classification_trees_agree_with_scikit_learn() {
    agree("ai4i");
}

#[test]
fn steel_fault_trees_with_seven_classes_agree_with_scikit_learn() {
    agree("steel_faults");
}

#[test]
fn steel_energy_load_type_trees_agree_with_scikit_learn() {
    agree("steel_energy");
}

#[test]
fn ccpp_regression_trees_agree_with_scikit_learn() {
    agree("ccpp");
}

#[test]
fn concrete_regression_trees_agree_with_scikit_learn() {
    agree("concrete");
}
