//! `glassbox counterfactual PROJECT --row N --want CLASS [--vary COL,...] [--count K] [--json]`:
//! the cheapest changes of a row that make the model give the wanted outcome.

use std::fmt::Write as _;
use std::path::PathBuf;

use clap::Args;
use serde_json::{Map, Value, json};

use super::whatif::{open_project, probabilities_json, value_json};
use crate::model::{Prediction, Task};
use crate::plan::{
    Bound, CfMethod, CfStatus, Constraints, CounterfactualOptions, Counterfactuals, Planner, Scenario, Want,
};

/// Arguments of `counterfactual`.
#[derive(Debug, Args)]
pub struct CounterfactualArgs {
    /// The project file (from `glassbox train`).
    pub project: PathBuf,
    /// The row of the project's data to change (0-based).
    #[arg(long)]
    pub row: usize,
    /// The wanted outcome: a class name (or index) for a classifier; for a regression model a
    /// bound on the prediction: `<=42.5`, `>=450` or `430..450` (ends included).
    #[arg(long, allow_hyphen_values = true)]
    pub want: String,
    /// The features that may change, comma-separated (all features when left out).
    #[arg(long, value_delimiter = ',', value_name = "COL,...")]
    pub vary: Vec<String>,
    /// Bounds of a feature's new value, `COL=LOW..HIGH` (either end may be left out); the
    /// training range otherwise. Repeatable.
    #[arg(long = "bound", value_name = "COL=LOW..HIGH", allow_hyphen_values = true)]
    pub bounds: Vec<String>,
    /// Most counterfactuals listed.
    #[arg(long, default_value_t = 3)]
    pub count: usize,
    /// Use the seeded search even for a tree (which is otherwise solved exactly).
    #[arg(long)]
    pub search: bool,
    /// Most model evaluations the search may spend.
    #[arg(long, default_value_t = 20_000)]
    pub budget: usize,
    /// Seed of the search.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

pub(super) fn run(args: &CounterfactualArgs) -> anyhow::Result<()> {
    let (_, ds, planner) = open_project(&args.project)?;
    let model = planner.model();
    let want = Want::parse(model, &args.want)?;
    let mut scenario = planner.scenario_from_row(&ds, args.row)?;
    let bounds = args.bounds.iter().map(|b| Bound::parse(b)).collect::<Result<Vec<_>, _>>()?;
    let constraints = Constraints { vary: (!args.vary.is_empty()).then(|| args.vary.clone()), bounds };
    scenario.constrain(model, &constraints)?;
    let options = CounterfactualOptions {
        count: args.count.max(1),
        method: if args.search { CfMethod::Search } else { CfMethod::Auto },
        max_evaluations: args.budget.max(1),
        seed: args.seed,
    };
    let bar = super::progress::Reporter::start("searching counterfactuals");
    let result = planner.counterfactuals(&scenario, &want, &options, bar.progress())?;
    drop(bar);
    let now = planner.predict(&scenario.values());
    let answer = Answer { args, planner: &planner, want: &want, scenario: &scenario, result: &result, now: &now };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&json_report(&answer))?);
    } else {
        print!("{}", text_report(&answer));
    }
    if matches!(result.status, CfStatus::NoneWithinBounds | CfStatus::Impossible) {
        eprintln!("note: {}", result.message);
    }
    Ok(())
}

/// What the search found, with what it needs to be reported.
struct Answer<'a> {
    args: &'a CounterfactualArgs,
    planner: &'a Planner,
    want: &'a Want,
    scenario: &'a Scenario,
    result: &'a Counterfactuals,
    now: &'a Prediction,
}

/// The probability of the predicted class, when there are classes.
fn probability_of(value: f64, probabilities: &[f64]) -> Option<f64> {
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    probabilities.get(value.max(0.0) as usize).copied()
}

fn method_name(result: &Counterfactuals) -> &'static str {
    match result.method {
        CfMethod::TreeRegions => "tree_regions",
        _ => "search",
    }
}

fn json_report(a: &Answer<'_>) -> Value {
    let model = a.planner.model();
    let prediction_json = |value: f64| match model.task {
        Task::Classification => Value::String(model.format_prediction(value)),
        Task::Regression => json!(value),
    };
    let status = match a.result.status {
        CfStatus::Found => "found",
        CfStatus::AlreadyWanted => "already_wanted",
        CfStatus::NoneWithinBounds => "none_within_bounds",
        CfStatus::Impossible => "impossible",
    };
    let list: Vec<Value> = a
        .result
        .found
        .iter()
        .map(|c| {
            let changes: Map<String, Value> =
                c.changes.iter().map(|ch| (ch.name.clone(), value_json(a.planner, ch.feature, ch.to))).collect();
            json!({
                "changes": changes,
                "prediction": prediction_json(c.prediction),
                "probability": probability_of(c.prediction, &c.probabilities),
                "probabilities": probabilities_json(model, &c.probabilities),
                "cost": c.cost,
                "n_changed": c.changes.len(),
                "in_envelope": c.in_envelope,
            })
        })
        .collect();
    json!({
        "row": a.args.row,
        "want": a.want.describe(model),
        "status": status,
        "method": method_name(a.result),
        "exact": a.result.exact,
        "evaluations": a.result.evaluations,
        "message": a.result.message,
        "vary": a.scenario.controllable(),
        "original": {
            "prediction": prediction_json(a.now.value),
            "probability": probability_of(a.now.value, &a.now.probabilities),
        },
        "counterfactuals": list,
    })
}

fn text_report(a: &Answer<'_>) -> String {
    let model = a.planner.model();
    let mut out = String::new();
    let _ = write!(out, "row {} gives {}", a.args.row, model.format_prediction(a.now.value));
    if let Some(p) = probability_of(a.now.value, &a.now.probabilities) {
        let _ = write!(out, " (probability {p:.4})");
    }
    let _ = writeln!(out, "; wanted: {}", a.want.describe(model));
    let _ = writeln!(out, "may change: {}", a.scenario.controllable().join(", "));
    for (i, c) in a.result.found.iter().enumerate() {
        let changes: Vec<String> =
            c.changes.iter().map(|ch| format!("{}: {} -> {}", ch.name, ch.from_text, ch.text)).collect();
        let _ = write!(out, "{}. {}  => {}", i + 1, changes.join(", "), c.label);
        if let Some(p) = probability_of(c.prediction, &c.probabilities) {
            let _ = write!(out, " (probability {p:.4})");
        }
        let envelope = if c.in_envelope { "" } else { ", outside the training envelope" };
        let _ = writeln!(out, ", cost {:.3}{envelope}", c.cost);
        let sets: Vec<String> = c.changes.iter().map(|ch| format!("--set \"{}={}\"", ch.name, ch.text)).collect();
        let _ = writeln!(
            out,
            "   check: glassbox whatif {} --row {} {}",
            a.args.project.display(),
            a.args.row,
            sets.join(" ")
        );
    }
    let _ =
        writeln!(out, "{} ({}, {} model evaluations)", a.result.message, method_name(a.result), a.result.evaluations);
    out
}
