//! `glassbox whatif PROJECT --row N [--set "COL=VALUE"]... [--json]`: a row of the project's
//! data, changed as asked, with the model's prediction, probabilities, SHAP values and the
//! envelope check.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use clap::Args;
use serde_json::{Map, Value, json};

use crate::data::Dataset;
use crate::model::{Output, Task, TrainedModel};
use crate::plan::{Planner, PlannerOptions, Scenario, WhatIf};
use crate::progress::Progress;
use crate::project::Project;

/// Arguments of `whatif`.
#[derive(Debug, Args)]
pub struct WhatifArgs {
    /// The project file (from `glassbox train`).
    pub project: PathBuf,
    /// The row of the project's data to start from (0-based).
    #[arg(long)]
    pub row: usize,
    /// Change a feature: `COL=VALUE` (a number, or the level name for a category); repeatable.
    #[arg(long = "set", value_name = "COL=VALUE", allow_hyphen_values = true)]
    pub set: Vec<String>,
    /// The class whose probability SHAP explains (name or index); by default the second class
    /// of a binary target, the first otherwise.
    #[arg(long)]
    pub class: Option<String>,
    /// Also save the scenario in the project file under this name.
    #[arg(long, value_name = "NAME")]
    pub save_scenario: Option<String>,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

/// The project, its data and a planner for its model.
pub(super) fn open_project(path: &Path) -> anyhow::Result<(Project, Dataset, Planner)> {
    let project = Project::load(path)?;
    let report = project.trained()?;
    let ds = project.load_data(&Progress::new()).map_err(|e| {
        anyhow::anyhow!("{e}; planning needs the project's data (its training rows define the envelope)")
    })?;
    let planner = Planner::new(&report.model, &ds, &report.split.train, &PlannerOptions::default(), &Progress::new())?;
    Ok((project, ds, planner))
}

/// Splits `COL=VALUE` at the last `=`.
pub(super) fn split_assignment(text: &str) -> anyhow::Result<(&str, &str)> {
    text.rsplit_once('=')
        .map(|(c, v)| (c.trim(), v.trim()))
        .filter(|(c, _)| !c.is_empty())
        .ok_or_else(|| crate::cli::usage!("--set takes COL=VALUE, for example --set \"Torque [Nm]=40\"; not '{text}'"))
}

/// A feature value as JSON: the level name for a category, the number otherwise (null when
/// missing).
pub(super) fn value_json(planner: &Planner, j: usize, v: f64) -> Value {
    let is_category = planner.domains().get(j).is_some_and(|d| !d.levels.is_empty());
    if is_category {
        Value::String(planner.format_value(j, v))
    } else {
        serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number)
    }
}

/// Class name → probability.
pub(super) fn probabilities_json(model: &TrainedModel, p: &[f64]) -> Value {
    Value::Object(model.classes.iter().zip(p).map(|(c, q)| (c.clone(), json!(q))).collect())
}

/// The explained output in words.
pub(super) fn output_label(model: &TrainedModel, output: Output) -> String {
    match output {
        Output::Value => model.target.clone(),
        Output::Probability(c) => {
            format!("P({} = {})", model.target, model.classes.get(c).map_or("?", String::as_str))
        }
    }
}

pub(super) fn run(args: &WhatifArgs) -> anyhow::Result<()> {
    let (mut project, ds, mut planner) = open_project(&args.project)?;
    let output = planner.model().output_named(args.class.as_deref())?;
    planner.set_output(output)?;
    let mut scenario: Scenario = planner.scenario_from_row(&ds, args.row)?;
    let original = scenario.values();
    for s in &args.set {
        let (col, value) = split_assignment(s)?;
        scenario.set_text(planner.model(), col, value)?;
    }
    let values = scenario.values();
    let w = planner.what_if(&values, &Progress::new())?;
    let names = planner.model().feature_names();
    // (feature, name, new value, original value) of each feature the assignments changed.
    let changed: Vec<(usize, &str, f64, f64)> = names
        .iter()
        .zip(values.iter().zip(&original))
        .enumerate()
        .filter(|&(_, (_, (&v, &o)))| v != o && !(v.is_nan() && o.is_nan()))
        .map(|(j, (&name, (&v, &o)))| (j, name, v, o))
        .collect();
    let answer = Answer { row: args.row, planner: &planner, output, values: &values, changed: &changed, w: &w };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&json_report(&answer))?);
    } else {
        print!("{}", text_report(&answer));
    }
    if let Some(name) = &args.save_scenario {
        scenario.name.clone_from(name);
        project.scenarios.retain(|s| s.name != *name);
        project.scenarios.push(scenario);
        project.save(&args.project)?;
        eprintln!("saved scenario '{name}' in {}", args.project.display());
    }
    Ok(())
}

/// A what-if answer with what it needs to be reported.
struct Answer<'a> {
    row: usize,
    planner: &'a Planner,
    output: Output,
    values: &'a [f64],
    /// (feature, name, new value, original value) of each changed feature.
    changed: &'a [(usize, &'a str, f64, f64)],
    w: &'a WhatIf,
}

fn json_report(a: &Answer<'_>) -> Value {
    let (model, w) = (a.planner.model(), a.w);
    let attribution = w.attribution.as_ref();
    let mut features = Map::new();
    let mut shap = Map::new();
    for (j, (name, &v)) in model.feature_names().iter().zip(a.values).enumerate() {
        features.insert((*name).to_owned(), value_json(a.planner, j, v));
        if let Some(at) = attribution {
            shap.insert((*name).to_owned(), json!(at.values.get(j)));
        }
    }
    let changes: Map<String, Value> =
        a.changed.iter().map(|&(j, name, v, _)| (name.to_owned(), value_json(a.planner, j, v))).collect();
    let prediction = match model.task {
        Task::Classification => Value::String(w.label.clone()),
        Task::Regression => json!(w.prediction),
    };
    json!({
        "row": a.row,
        "values": features,
        "changed": changes,
        "prediction": prediction,
        "probability": w.probability(),
        "probabilities": probabilities_json(model, &w.probabilities),
        "explained": output_label(model, a.output),
        "shap_base": attribution.map(|at| at.base),
        "shap": shap,
        "shap_method": attribution.map(|at| at.method.label()),
        "in_envelope": w.envelope.in_envelope,
        "envelope": {
            "in_range": w.envelope.in_range,
            "out_of_range": w.envelope.out_of_range.iter().map(|r| r.name.clone()).collect::<Vec<_>>(),
            "near_training": w.envelope.near_training,
            "distance": w.envelope.distance,
            "threshold": serde_json::Number::from_f64(w.envelope.threshold).map_or(Value::Null, Value::Number),
            "typical": w.envelope.typical,
        },
        "warning": w.envelope.warning(&model.pipeline.features),
    })
}

fn text_report(a: &Answer<'_>) -> String {
    let (model, w, planner) = (a.planner.model(), a.w, a.planner);
    let mut out = String::new();
    let _ = write!(out, "row {}", a.row);
    if !a.changed.is_empty() {
        let parts: Vec<String> = a
            .changed
            .iter()
            .map(|&(j, name, v, o)| {
                format!("{name} = {} (was {})", planner.format_value(j, v), planner.format_value(j, o))
            })
            .collect();
        let _ = write!(out, " with {}", parts.join(", "));
    }
    out.push('\n');
    match model.task {
        Task::Classification => {
            let _ = writeln!(out, "prediction: {} (probability {:.4})", w.label, w.probability().unwrap_or(f64::NAN));
            let probs: Vec<String> =
                model.classes.iter().zip(&w.probabilities).map(|(c, p)| format!("{c} = {p:.4}")).collect();
            let _ = writeln!(out, "probabilities: {}", probs.join(", "));
        }
        Task::Regression => {
            let _ = writeln!(out, "prediction: {} = {}", model.target, w.label);
        }
    }
    let e = &w.envelope;
    let _ = writeln!(
        out,
        "envelope: {} (distance to the nearest training rows {:.3}; 99 % of training rows lie within {:.3})",
        if e.in_envelope { "inside" } else { "OUTSIDE" },
        e.distance,
        e.threshold
    );
    if let Some(warning) = e.warning(&model.pipeline.features) {
        let _ = writeln!(out, "warning: {warning}");
    }
    if let Some(at) = &w.attribution {
        let names = model.feature_names();
        let _ = writeln!(
            out,
            "SHAP values of {} ({}), base {:.4}:",
            output_label(model, a.output),
            at.method.label(),
            at.base
        );
        // (feature, SHAP value), largest magnitude first.
        let mut order: Vec<(usize, f64)> = at.values.iter().copied().enumerate().collect();
        order.sort_by(|x, y| y.1.abs().total_cmp(&x.1.abs()).then(x.0.cmp(&y.0)));
        let width = names.iter().map(|n| n.chars().count()).max().unwrap_or(0) + 12;
        for (j, phi) in order {
            let name = names.get(j).copied().unwrap_or("?");
            let value = a.values.get(j).copied().unwrap_or(f64::NAN);
            let label = format!("{name} = {}", planner.format_value(j, value));
            let _ = writeln!(out, "  {label:<width$} {phi:+.4}");
        }
    }
    out
}
