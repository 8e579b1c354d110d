//! `glassbox train DATA --target COL … --out PROJECT.glassbox [--json]`: train, print the
//! metrics, save the project.

use std::fmt::Write as _;
use std::path::PathBuf;

use clap::{Args, ValueEnum};
use serde_json::{Value, json};

use super::ReadArgs;
use crate::data::Role;
use crate::data::split::SplitMethod;
use crate::metrics::{ClassificationMetrics, CvSummary, RegressionMetrics};
use crate::model::cart::{Criterion, TreeParams};
use crate::model::search::{default_grid, grid_search};
use crate::model::svm::{Gamma, KernelKind, SvmParams};
use crate::model::train::{Evaluation, MissingStrategy, TrainSettings, TrainingReport, train};
use crate::model::{ModelParams, Task};
use crate::project::Project;

/// `tree` or `svm`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ModelArg {
    /// Decision tree.
    Tree,
    /// Support vector machine.
    Svm,
}

/// Arguments of `train`.
#[derive(Debug, Args)]
pub struct TrainArgs {
    /// The data file.
    pub data: PathBuf,
    /// The column to predict.
    #[arg(long)]
    pub target: String,
    /// classification or regression (guessed from the target when left out).
    #[arg(long, value_parser = ["classification", "regression"])]
    pub task: Option<String>,
    /// The learner.
    #[arg(long, value_enum, default_value = "tree")]
    pub model: ModelArg,
    /// Columns to leave out of the features, comma-separated.
    #[arg(long, value_delimiter = ',')]
    pub exclude: Vec<String>,
    /// Tree: maximum depth (0 = unlimited).
    #[arg(long)]
    pub max_depth: Option<u16>,
    /// Tree: fewest rows in a leaf.
    #[arg(long)]
    pub min_samples_leaf: Option<usize>,
    /// Tree: fewest rows to split a node.
    #[arg(long)]
    pub min_samples_split: Option<usize>,
    /// Tree: split criterion (classification).
    #[arg(long, value_parser = ["gini", "entropy", "error"])]
    pub criterion: Option<String>,
    /// SVM: kernel.
    #[arg(long, value_parser = ["rbf", "linear", "poly", "sigmoid"])]
    pub kernel: Option<String>,
    /// SVM: regularisation C.
    #[arg(long)]
    pub c: Option<f64>,
    /// SVM: kernel width, a number or `scale`.
    #[arg(long)]
    pub gamma: Option<String>,
    /// SVM: polynomial degree.
    #[arg(long)]
    pub degree: Option<u32>,
    /// SVM regression: epsilon.
    #[arg(long)]
    pub epsilon: Option<f64>,
    /// SVM: solver tolerance.
    #[arg(long)]
    pub tol: Option<f64>,
    /// SVM: most training rows used (a larger training part is subsampled, stratified for a
    /// classifier); 0, the default, uses every row. Expected fit time on a two-core
    /// workstation: about 0.3 s for 8,000 rows of 8 features, growing as rows^1.9 (25 s at
    /// 80,000) and as the square root of the width, about 3 times that with a classifier's
    /// probability calibration, for each pair of classes. The bar shows the estimate for the
    /// data at hand.
    #[arg(long)]
    pub max_train_rows: Option<usize>,
    /// SVM: megabytes the solver may keep of kernel columns (default 200, as libsvm).
    #[arg(long)]
    pub cache_mb: Option<usize>,
    /// Missing feature values: impute (median/mode) or drop (rows).
    #[arg(long, value_parser = ["impute", "drop"], default_value = "impute")]
    pub missing: String,
    /// How rows are split: random, stratified, ordered (by the timestamp column, or file order).
    #[arg(long, value_parser = ["random", "stratified", "ordered"])]
    pub split: Option<String>,
    /// Share of rows held out for testing.
    #[arg(long, default_value_t = 0.2)]
    pub test_fraction: f64,
    /// k-fold cross-validation on the training part.
    #[arg(long)]
    pub cv: Option<usize>,
    /// Search a small grid of settings by cross-validation first (K folds) and train the best.
    #[arg(long, value_name = "K")]
    pub search: Option<usize>,
    /// Seed of every random choice.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// The project file to write.
    #[arg(long)]
    pub out: PathBuf,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub read: ReadArgs,
}

impl TrainArgs {
    fn params(&self) -> anyhow::Result<ModelParams> {
        Ok(match self.model {
            ModelArg::Tree => {
                let mut p = TreeParams::default();
                if let Some(d) = self.max_depth {
                    p.max_depth = (d > 0).then_some(d);
                }
                if let Some(v) = self.min_samples_leaf {
                    p.min_samples_leaf = v;
                }
                if let Some(v) = self.min_samples_split {
                    p.min_samples_split = v;
                }
                if let Some(c) = &self.criterion {
                    p.criterion = match c.as_str() {
                        "entropy" => Criterion::Entropy,
                        "error" => Criterion::ClassificationError,
                        _ => Criterion::Gini,
                    };
                }
                ModelParams::Tree(p)
            }
            ModelArg::Svm => {
                let mut p = SvmParams::default();
                if let Some(k) = &self.kernel {
                    p.kernel = match k.as_str() {
                        "linear" => KernelKind::Linear,
                        "poly" => KernelKind::Poly,
                        "sigmoid" => KernelKind::Sigmoid,
                        _ => KernelKind::Rbf,
                    };
                }
                if let Some(c) = self.c {
                    crate::cli::ensure_usage!(c > 0.0 && c.is_finite(), "--c must be a positive number");
                    p.c = c;
                }
                if let Some(g) = &self.gamma {
                    p.gamma = if g == "scale" {
                        Gamma::Scale
                    } else {
                        let v: f64 = g
                            .parse()
                            .map_err(|_| crate::cli::usage!("--gamma takes a number or 'scale', not '{g}'"))?;
                        crate::cli::ensure_usage!(v > 0.0 && v.is_finite(), "--gamma must be positive");
                        Gamma::Value(v)
                    };
                }
                if let Some(d) = self.degree {
                    p.degree = d;
                }
                if let Some(e) = self.epsilon {
                    p.epsilon = e;
                }
                if let Some(t) = self.tol {
                    p.tol = t;
                }
                if let Some(m) = self.max_train_rows {
                    p.max_train_rows = m;
                }
                if let Some(m) = self.cache_mb {
                    crate::cli::ensure_usage!(m > 0, "--cache-mb must be at least 1");
                    p.cache_mb = m;
                }
                ModelParams::Svm(p)
            }
        })
    }
}

pub(super) fn run(args: &TrainArgs) -> anyhow::Result<()> {
    super::io::refuse_dash("--out", &args.out, "a project file")?;
    let input = super::io::read_input(&args.data, &args.read)?;
    let mut ds = input.dataset;
    let target = ds.column_index(&args.target).ok_or_else(|| {
        anyhow::anyhow!("the data has no column '{}'{}", args.target, crate::model::train::suggest(&ds, &args.target))
    })?;
    ds.set_role(target, Role::Target);
    let settings = TrainSettings {
        target: args.target.clone(),
        task: args.task.as_deref().map(|t| if t == "regression" { Task::Regression } else { Task::Classification }),
        features: None,
        exclude: args.exclude.iter().map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).collect(),
        params: args.params()?,
        missing: if args.missing == "drop" { MissingStrategy::DropRows } else { MissingStrategy::Impute },
        split: args.split.as_deref().map(|s| match s {
            "random" => SplitMethod::Random,
            "stratified" => SplitMethod::Stratified,
            _ => SplitMethod::Ordered,
        }),
        test_fraction: args.test_fraction,
        cv_folds: args.cv,
        seed: args.seed,
    };
    let mut settings = settings;
    let mut search_note = None;
    if let Some(k) = args.search {
        let bar = super::progress::Reporter::start("searching settings");
        let result = grid_search(&ds, &settings, &default_grid(&settings.params), k, bar.progress())?;
        drop(bar);
        if let Some(c) = result.candidates.get(result.best) {
            let best = &c.params;
            search_note = Some(format!(
                "grid search ({} candidates, {k}-fold {}): best {} ({} {:.4} ± {:.4})",
                result.candidates.len(),
                result.metric,
                best.describe(result.task),
                result.metric,
                c.score.mean,
                c.score.std
            ));
            settings.params = best.clone();
        }
    }
    let bar = super::progress::Reporter::start(&training_title(&ds, &settings));
    let report = train(&ds, &settings, bar.progress())?;
    drop(bar);
    let mut project = Project::new(Some(input.data_ref), &ds);
    project.model = Some(report.clone());
    project.save(&args.out)?;
    if args.json {
        let mut v = report_json(&report);
        if let (Some(note), Some(obj)) = (&search_note, v.as_object_mut()) {
            obj.insert("search".into(), Value::String(note.clone()));
        }
        println!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        if let Some(note) = &search_note {
            println!("{note}");
        }
        print!("{}", report_text(&report));
        println!("saved {}", args.out.display());
    }
    Ok(())
}

/// The progress bar's title: for an SVM, with the rows it trains on and the expected time.
fn training_title(ds: &crate::data::Dataset, settings: &TrainSettings) -> String {
    let crate::model::ModelParams::Svm(p) = &settings.params else { return "training".to_owned() };
    let (rows, secs) = crate::model::train::svm_fit_estimate(ds, settings, p);
    format!("training an SVM on {rows} rows (expected about {secs:.0} s)")
}

/// The JSON `train --json` prints.
pub fn report_json(r: &TrainingReport) -> Value {
    let metrics = match &r.evaluation {
        Evaluation::Classification { metrics, .. } => classification_json(metrics, r.model.classes.len()),
        Evaluation::Regression { metrics, .. } => regression_json(metrics),
    };
    let mut v = json!({
        "task": r.model.task.label(),
        "model": r.settings.params.kind_label(),
        "params": r.settings.params.settings_json(r.model.task),
        "target": r.model.target,
        "features": r.model.feature_names(),
        "classes": r.model.classes,
        "split": r.settings.split.map(SplitMethod::label),
        "train_rows": r.split.train.len(),
        "test_rows": r.split.test.len(),
        "seed": r.settings.seed,
        "metrics": metrics,
        "warnings": r.warnings,
    });
    if let (Some(cv), Some(obj)) = (&r.cv, v.as_object_mut()) {
        obj.insert("cv".into(), cv_json(cv));
    }
    if let (Some(tree), Some(obj)) = (r.model.tree(), v.as_object_mut()) {
        obj.insert("tree".into(), json!({ "depth": tree.depth(), "leaves": tree.n_leaves(), "nodes": tree.n_nodes() }));
    }
    v
}

fn classification_json(m: &ClassificationMetrics, n_classes: usize) -> Value {
    let n = m.confusion.n_classes;
    let confusion: Vec<Vec<usize>> = (0..n).map(|a| (0..n).map(|p| m.confusion.get(a, p)).collect()).collect();
    let mut v = json!({
        "accuracy": m.accuracy,
        "balanced_accuracy": m.balanced_accuracy,
        "precision": m.precision,
        "recall": m.recall,
        "f1": m.f1,
        "confusion_matrix": confusion,
        "majority_baseline_accuracy": m.majority_baseline_accuracy,
        "per_class": m.per_class,
        "macro_avg": m.macro_avg,
        "weighted_avg": m.weighted_avg,
    });
    if let Some(obj) = v.as_object_mut() {
        if n_classes == 2 {
            obj.insert("roc_auc".into(), m.roc_auc.map_or(Value::Null, Value::from));
            obj.insert("average_precision".into(), m.average_precision.map_or(Value::Null, Value::from));
        } else if let Some(auc) = m.roc_auc {
            obj.insert("roc_auc_ovr".into(), Value::from(auc));
        }
    }
    v
}

fn regression_json(m: &RegressionMetrics) -> Value {
    json!({ "mae": m.mae, "rmse": m.rmse, "r2": m.r2 })
}

fn cv_json(cv: &CvSummary) -> Value {
    let mut obj = serde_json::Map::new();
    obj.insert("folds".into(), Value::from(cv.n_folds));
    for (name, s) in &cv.metrics {
        obj.insert(name.clone(), json!({ "mean": s.mean, "std": s.std }));
    }
    Value::Object(obj)
}

/// The text `train` prints.
pub fn report_text(r: &TrainingReport) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} of '{}' with {} on {} features; {} training rows, {} test rows ({} split)",
        r.model.task.label(),
        r.model.target,
        r.settings.params.describe(r.model.task),
        r.model.n_features(),
        r.split.train.len(),
        r.split.test.len(),
        r.settings.split.map_or("?", SplitMethod::label)
    );
    if let Some(tree) = r.model.tree() {
        let _ = writeln!(out, "tree: depth {}, {} leaves", tree.depth(), tree.n_leaves());
    }
    match &r.evaluation {
        Evaluation::Classification { metrics: m, .. } => {
            let which = match r.model.classes.get(1) {
                Some(positive) if r.model.classes.len() == 2 => format!("class '{positive}'"),
                _ => "macro average".to_owned(),
            };
            let mut line = |name: String, v: f64| {
                let _ = writeln!(out, "{name:<34} {v:.4}");
            };
            line("test accuracy".into(), m.accuracy);
            line("balanced accuracy".into(), m.balanced_accuracy);
            line(format!("precision ({which})"), m.precision);
            line(format!("recall ({which})"), m.recall);
            line(format!("F1 ({which})"), m.f1);
            if let Some(auc) = m.roc_auc {
                line(if r.model.classes.len() == 2 { "ROC AUC".into() } else { "ROC AUC (one-vs-rest)".into() }, auc);
            }
            line("accuracy of always the majority".into(), m.majority_baseline_accuracy);
            let _ = writeln!(out, "confusion matrix (rows: actual, columns: predicted)");
            let w = r.model.classes.iter().map(|c| c.chars().count()).max().unwrap_or(1).max(6);
            let _ = write!(out, "{:>w$} ", "");
            for c in &r.model.classes {
                let _ = write!(out, "{c:>w$} ");
            }
            out.push('\n');
            for (a, name) in r.model.classes.iter().enumerate() {
                let _ = write!(out, "{name:>w$} ");
                for p in 0..r.model.classes.len() {
                    let _ = write!(out, "{:>w$} ", m.confusion.get(a, p));
                }
                out.push('\n');
            }
        }
        Evaluation::Regression { metrics: m, .. } => {
            let _ = writeln!(out, "test MAE    {:.6}", m.mae);
            let _ = writeln!(out, "test RMSE   {:.6}", m.rmse);
            let _ = writeln!(out, "test R²     {:.6}", m.r2);
        }
    }
    if let Some(cv) = &r.cv {
        let _ = writeln!(out, "{}-fold cross-validation on the training rows:", cv.n_folds);
        for (name, s) in &cv.metrics {
            let _ = writeln!(out, "  {name:<26} {:.4} ± {:.4}", s.mean, s.std);
        }
    }
    for w in &r.warnings {
        let _ = writeln!(out, "warning: {w}");
    }
    out
}
