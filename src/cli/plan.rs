//! `glassbox plan PROJECT PLAN.csv --out SCORED.csv`: scores every run of a production plan
//! (one output row per plan row) and lists what needed attention.

use std::fmt::Write as _;
use std::path::PathBuf;

use clap::Args;

use super::whatif::open_project;
use super::{ReadArgs, read_data};
use crate::model::Task;
use crate::plan::{Bound, Constraints, CounterfactualOptions, PlanSettings, SavedPlan, Want};

/// Arguments of `plan`.
#[derive(Debug, Args)]
pub struct PlanArgs {
    /// The project file (from `glassbox train`).
    pub project: PathBuf,
    /// The plan: one planned run per row, setpoints and conditions as columns (CSV or a
    /// spreadsheet).
    pub plan: PathBuf,
    /// Where to write the scored plan (CSV).
    #[arg(long)]
    pub out: PathBuf,
    /// Flag a run when the probability of the risk class reaches this (classifiers; 0.5 by
    /// default).
    #[arg(long)]
    pub threshold: Option<f64>,
    /// The unwanted class whose probability is the risk (by default the second class of a
    /// two-class target, e.g. failure = 1).
    #[arg(long)]
    pub risk_class: Option<String>,
    /// Flag runs that do not give this outcome instead: a class name, or for a regression model
    /// a bound such as `<=42.5`, `>=450` or `430..450`.
    #[arg(long, allow_hyphen_values = true)]
    pub want: Option<String>,
    /// The features a counterfactual may change, comma-separated (by default the features the
    /// plan has columns for).
    #[arg(long, value_delimiter = ',', value_name = "COL,...")]
    pub vary: Vec<String>,
    /// Bounds of a changed feature, `COL=LOW..HIGH` (either end may be left out). Repeatable.
    #[arg(long = "bound", value_name = "COL=LOW..HIGH", allow_hyphen_values = true)]
    pub bounds: Vec<String>,
    /// Do not propose counterfactuals for flagged runs.
    #[arg(long)]
    pub no_counterfactuals: bool,
    /// Most model evaluations per counterfactual search (models other than trees).
    #[arg(long, default_value_t = 5_000)]
    pub budget: usize,
    /// Seed of the counterfactual search.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Also save the scored plan in the project file.
    #[arg(long)]
    pub save: bool,
    #[command(flatten)]
    pub read: ReadArgs,
}

/// The wanted outcome the arguments ask for (`None`: the default).
fn want_for(args: &PlanArgs, model: &crate::model::TrainedModel) -> anyhow::Result<Option<Want>> {
    let probability_args = args.threshold.is_some() || args.risk_class.is_some();
    if let Some(w) = &args.want {
        crate::cli::ensure_usage!(!probability_args, "use either --want or --threshold/--risk-class, not both");
        return Ok(Some(Want::parse(model, w)?));
    }
    if !probability_args {
        return Ok(None);
    }
    crate::cli::ensure_usage!(
        model.task == Task::Classification,
        "--threshold and --risk-class apply to classifiers; for this regression model give --want with a bound"
    );
    let class = match &args.risk_class {
        Some(c) => match Want::parse(model, c)? {
            Want::Class { class } => class,
            _ => return Err(crate::cli::usage!("--risk-class takes a class name")),
        },
        None if model.classes.len() == 2 => 1,
        None => {
            return Err(crate::cli::usage!(
                "this model has {} classes; name the unwanted one with --risk-class",
                model.classes.len()
            ));
        }
    };
    let limit = args.threshold.unwrap_or(0.5);
    let want = Want::ProbabilityBelow { class, limit };
    want.check(model)?;
    Ok(Some(want))
}

pub(super) fn run(args: &PlanArgs) -> anyhow::Result<()> {
    let (mut project, _, planner) = open_project(&args.project)?;
    let model = planner.model();
    let want = want_for(args, model)?;
    let bounds = args.bounds.iter().map(|b| Bound::parse(b)).collect::<Result<Vec<_>, _>>()?;
    let settings = PlanSettings {
        want,
        constraints: Constraints { vary: (!args.vary.is_empty()).then(|| args.vary.clone()), bounds },
        counterfactuals: !args.no_counterfactuals,
        search: CounterfactualOptions {
            count: 1,
            max_evaluations: args.budget.max(1),
            seed: args.seed,
            ..CounterfactualOptions::default()
        },
        ..PlanSettings::default()
    };
    let (plan, _) = read_data(&args.plan, &args.read)?;
    let bar = super::progress::Reporter::start("scoring the plan");
    let scored = planner.score_plan(&plan, &settings, bar.progress())?;
    drop(bar);
    super::io::write_output(&args.out, &scored.to_csv())?;

    for m in &scored.messages {
        eprintln!("note: {m}");
    }
    let mut out = String::new();
    let flagged = scored.flagged();
    let _ = write!(out, "scored {} runs of {}", scored.runs.len(), args.plan.display());
    match &scored.want_text {
        Some(w) => {
            let _ = writeln!(out, "; {flagged} flagged (wanted: {w})");
        }
        None => {
            let _ = writeln!(
                out,
                "; no run is flagged: give the wanted outcome with --want{}",
                if model.task == Task::Classification { " or --threshold/--risk-class" } else { "" }
            );
        }
    }
    for r in scored.runs.iter().filter(|r| r.flagged) {
        let reasons: Vec<String> = r.reasons.iter().map(ToString::to_string).collect();
        let _ = write!(out, "  row {}: {}", r.row, r.label);
        if let Some(p) = r.risk.or_else(|| r.probability()) {
            let _ = write!(out, " (probability {p:.3})");
        }
        let _ = write!(out, " because {}", reasons.join(", "));
        if let Some(c) = &r.counterfactual {
            let changes: Vec<String> =
                c.changes.iter().map(|ch| format!("{} {} -> {}", ch.name, ch.from_text, ch.text)).collect();
            let _ = write!(out, "; change {} to get {}", changes.join(", "), c.label);
        }
        out.push('\n');
    }
    let _ = writeln!(out, "wrote {}", super::io::shown(&args.out));
    // With the scored plan on standard output, the summary goes to standard error.
    if super::io::is_dash(&args.out) {
        eprint!("{out}");
    } else {
        print!("{out}");
    }

    if args.save {
        let name = args.plan.file_name().map_or_else(|| "plan".to_owned(), |n| n.to_string_lossy().into_owned());
        project.plans.retain(|p| p.name != name);
        project.plans.push(SavedPlan {
            name: name.clone(),
            source: Some(std::fs::canonicalize(&args.plan).unwrap_or_else(|_| args.plan.clone())),
            settings,
            scored,
        });
        project.save(&args.project)?;
        eprintln!("saved the scored plan '{name}' in {}", args.project.display());
    }
    Ok(())
}
