//! `glassbox rules PROJECT [--min-support X] [--min-confidence X] [--format text|json|csv]`:
//! the model's decisions as IF–THEN rules, simplified, with the fidelity each step keeps.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};

use crate::data::Dataset;
use crate::model::train::TrainingReport;
use crate::progress::Progress;
use crate::project::Project;
use crate::project::newdata::{Use, check_columns};
use crate::rules::compute::{Prepared, SURROGATE_DEPTH, prepare, refine, surrogate_params};
use crate::rules::round::Rounding;
use crate::rules::score::{RuleData, decisions, same_decision};
use crate::rules::simplify::SimplifyOptions;
use crate::rules::{RuleSet, RuleSource};

/// How `rules` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RulesFormat {
    /// Numbered rules with their statistics.
    Text,
    /// One JSON object with a `rules` array.
    Json,
    /// One line per rule.
    Csv,
}

/// Arguments of `rules`.
#[derive(Debug, Args)]
pub struct RulesArgs {
    /// The project file (from `glassbox train`).
    pub project: PathBuf,
    /// Rules deciding fewer training rows than this go to the default rule: a share (0.01) or a
    /// percentage (1%).
    #[arg(long, value_name = "X")]
    pub min_support: Option<String>,
    /// Rules less pure than this go to the default rule: a share (0.8) or a percentage (80%).
    #[arg(long, value_name = "X")]
    pub min_confidence: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: RulesFormat,
    /// Round thresholds to this many significant digits.
    #[arg(long, value_name = "N")]
    pub digits: Option<u32>,
    /// Round one feature's thresholds to multiples of a step: `--step "Torque [Nm]=5"` (repeatable).
    #[arg(long, value_name = "FEATURE=STEP")]
    pub step: Vec<String>,
    /// One rule per leaf, without merging rules or dropping conditions.
    #[arg(long)]
    pub no_simplify: bool,
    /// Depth of the surrogate tree for an SVM.
    #[arg(long, value_name = "N", default_value_t = SURROGATE_DEPTH)]
    pub surrogate_depth: u16,
    /// Also list the rows where the rules and the model disagree (text format).
    #[arg(long)]
    pub disagreements: bool,
    /// Store the rule set in the project (used by `glassbox export --from rules`).
    #[arg(long)]
    pub save: bool,
    /// Rows to count support and confidence on, instead of the project's training rows: needed
    /// for a model-only copy, which holds none (the file needs the model's columns and target).
    #[arg(long, value_name = "FILE")]
    pub data: Option<PathBuf>,
}

/// A project with its model and its rules prepared, loaded for rules and export.
pub(super) struct Loaded {
    pub project: Project,
    pub report: TrainingReport,
    pub prepared: Prepared,
    /// The file the rows came from when given with `--data` (for the export's header).
    pub rows_from: Option<crate::project::DataRef>,
}

/// Loads a project, its model and its data (checking the data is unchanged), and prepares the
/// rules with a surrogate of `surrogate_depth` for an SVM.
///
/// With `data`, the rules' support and confidence are counted on every row of that file (read as
/// the project's data was) instead of the project's training rows. A model-only copy holds no
/// rows, so it needs `data`.
pub(super) fn load_for(path: &Path, surrogate_depth: u16, data: Option<&Path>) -> anyhow::Result<Loaded> {
    let project = Project::load(path)?;
    let mut report = project.trained()?.clone();
    let mut rows_from = None;
    let ds: Dataset = match data {
        Some(file) => {
            let options = crate::monitor::read_options_for_file(&project, file);
            let ds = crate::data::load_file(file, &options, &Progress::new())?;
            rows_from = Some(crate::project::DataRef::of_file(file, options)?);
            for note in check_columns(&report.model, &ds, file, true, Use::Predicting)? {
                eprintln!("note: {note}");
            }
            // Every row of the file stands for the training rows; none is held out.
            report.split.train = (0..ds.n_rows()).collect();
            report.split.test.clear();
            eprintln!("note: support and confidence are counted on the {} rows of {}", ds.n_rows(), file.display());
            ds
        }
        None if project.copy.is_some() => {
            return Err(crate::cli::usage!(
                "{} is a model-only copy and holds no rows to count the rules' support on: give a data file with \
                 the model's columns and its target with --data FILE",
                path.display()
            ));
        }
        None => project.load_data(&Progress::new())?,
    };
    let prepared = prepare(&report, &ds, &surrogate_params(surrogate_depth), &Progress::new())?;
    Ok(Loaded { project, report, prepared, rows_from })
}

/// Reads `0.05` or `5%` as a share.
pub(super) fn parse_share(flag: &str, text: &str) -> anyhow::Result<f64> {
    let t = text.trim();
    let v = match t.strip_suffix('%') {
        Some(p) => p.trim().parse::<f64>().map(|v| v / 100.0),
        None => t.parse::<f64>(),
    }
    .map_err(|_| crate::cli::usage!("{flag} takes a share such as 0.05 or a percentage such as 5%, not '{text}'"))?;
    if !(0.0..=1.0).contains(&v) {
        return Err(crate::cli::usage!("{flag} must lie between 0 and 1 (or 0% and 100%), not '{text}'"));
    }
    Ok(v)
}

/// Reads `--step FEATURE=STEP` arguments.
pub(super) fn parse_steps(rs: &RuleSet, steps: &[String]) -> anyhow::Result<Rounding> {
    let mut rounding = Rounding::default();
    for s in steps {
        let (name, step) = s
            .rsplit_once('=')
            .ok_or_else(|| crate::cli::usage!("--step takes FEATURE=STEP, such as \"Torque [Nm]=5\""))?;
        let name = name.trim();
        if !rs.features.iter().any(|f| f.name == name) {
            return Err(crate::cli::usage!("--step names '{name}', which is not a feature of the model"));
        }
        let step: f64 =
            step.trim().parse().map_err(|_| crate::cli::usage!("--step for '{name}': '{step}' is not a number"))?;
        if step.is_nan() || step <= 0.0 {
            return Err(crate::cli::usage!("--step for '{name}' must be a positive number"));
        }
        rounding.steps.insert(name.to_owned(), step);
    }
    Ok(rounding)
}

/// The rule set the arguments ask for: extracted, simplified and rounded as asked.
pub(super) fn make_rules(loaded: &Loaded, args: &RulesArgs) -> anyhow::Result<RuleSet> {
    let min_support = args.min_support.as_deref().map(|s| parse_share("--min-support", s)).transpose()?;
    let min_confidence = args.min_confidence.as_deref().map(|s| parse_share("--min-confidence", s)).transpose()?;
    let options = SimplifyOptions {
        merge: !args.no_simplify,
        drop_conditions: !args.no_simplify,
        min_support: min_support.unwrap_or(0.0),
        min_confidence: min_confidence.unwrap_or(0.0),
    };
    let mut rounding = parse_steps(&loaded.prepared.base, &args.step)?;
    rounding.digits = args.digits;
    Ok(refine(&loaded.prepared, &options, Some(&rounding)).rules().clone())
}

pub(super) fn run(args: &RulesArgs) -> anyhow::Result<()> {
    let mut loaded = load_for(&args.project, args.surrogate_depth, args.data.as_deref())?;
    let rs = make_rules(&loaded, args)?;
    let text = match args.format {
        RulesFormat::Json => crate::export::json::write(&rs),
        RulesFormat::Csv => crate::export::csv::write(&rs),
        RulesFormat::Text => text_report(&rs, &loaded.prepared.data, args.disagreements),
    };
    print!("{text}");
    if args.save {
        loaded.project.rule_set = Some(rs);
        loaded.project.save(&args.project)?;
        eprintln!("saved the rule set in {}", args.project.display());
    }
    Ok(())
}

/// The rules as people read them.
fn text_report(rs: &RuleSet, data: &RuleData, list_disagreements: bool) -> String {
    let mut out = String::new();
    let source = match rs.source {
        RuleSource::Tree => "the model's decision tree",
        RuleSource::Surrogate => "a surrogate tree fitted to the model's decisions (the model is not a tree)",
    };
    let _ = writeln!(out, "Rules for '{}' ({}) from {source}.", rs.target, rs.task.label());
    let _ = writeln!(out, "Rules are tried in order; the first whose conditions all hold decides.\n");
    let _ = writeln!(out, "Steps (fidelity: agreement with the model on training / held-out rows):");
    for s in &rs.steps {
        let _ = writeln!(
            out,
            "  {:<16} {:>4} rules {:>5} conditions   training {:>7} %   held-out {:>7} %   {}",
            s.name,
            s.rules,
            s.conditions,
            format!("{:.2}", s.fidelity.train.share * 100.0),
            format!("{:.2}", s.fidelity.test.share * 100.0),
            s.description
        );
    }
    out.push('\n');
    for (i, r) in rs.rules.iter().enumerate() {
        let _ = writeln!(
            out,
            "Rule {}: IF {} THEN {}",
            i + 1,
            r.describe_conditions(&rs.features),
            rs.describe_outcome(r.outcome)
        );
        let _ = writeln!(out, "    {}", rs.describe_stats(&r.stats));
    }
    let _ = writeln!(out, "Default: {}", rs.describe_outcome(rs.default));
    let _ = writeln!(out, "    {}", rs.describe_stats(&rs.default_stats));
    let _ = writeln!(out, "\nFidelity: {}", rs.fidelity.describe());
    let rows = disagreeing_rows(rs, data);
    if rows.is_empty() {
        let _ = writeln!(out, "The rules decide as the model on every training and held-out row.");
    } else if list_disagreements {
        let _ = writeln!(out, "Rows where the rules and the model disagree (data row, counted from 1):");
        for (row, held_out, model, ours) in rows {
            let _ = writeln!(
                out,
                "  row {:>6} ({})  model {}  rules {}",
                row + 1,
                if held_out { "held-out" } else { "training" },
                describe_value(rs, model),
                describe_value(rs, ours)
            );
        }
    } else {
        let _ = writeln!(out, "{} rows disagree with the model; --disagreements lists them.", rows.len());
    }
    out
}

fn describe_value(rs: &RuleSet, v: f64) -> String {
    match rs.task {
        crate::model::Task::Classification =>
        {
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            rs.classes.get(v.max(0.0) as usize).cloned().unwrap_or_else(|| "?".into())
        }
        crate::model::Task::Regression => rs.format_value(v),
    }
}

/// `(dataset row, held out, model, rules)` for every row where they decide differently.
fn disagreeing_rows(rs: &RuleSet, data: &RuleData) -> Vec<(usize, bool, f64, f64)> {
    let mut out = Vec::new();
    for (rows, held_out) in [(&data.train, false), (&data.test, true)] {
        let (ours, _) = decisions(rs, rows);
        for (i, (&o, &m)) in ours.iter().zip(&rows.model).enumerate() {
            if !same_decision(rs.task, o, m) {
                out.push((rows.dataset_rows.get(i).copied().unwrap_or(i), held_out, m, o));
            }
        }
    }
    out
}
