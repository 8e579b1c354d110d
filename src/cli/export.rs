//! `glassbox export PROJECT --format st|plcopen|scl|tcpou|l5x|json|csv|tree-json [--name FB_NAME]
//! [--real-type REAL|LREAL] --out FILE`: the model (or its rules) as PLC code or data files.
//! `scl`, `tcpou` and `l5x` are the files TIA Portal, TwinCAT 3 and Studio 5000 import as they
//! stand (an SCL source, a POU object, an Add-On Instruction).
//! `testbench-st` writes the block with its test bench `TB_<name>`; `report` the cost and
//! traceability report (Markdown, or JSON with `--json`; a time per call only with
//! `--ns-per-op`), whose summary every PLC format prints on standard error.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::rules::load;
use crate::export::{ExportOptions, ExportPlan, Format, LogicSource, RealType, export};
use crate::model::Task;
use crate::rules::compute::{SURROGATE_DEPTH, refine, surrogate_params};
use crate::rules::simplify::SimplifyOptions;

/// `--format` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    /// IEC 61131-3 Structured Text.
    St,
    /// PLCopen TC6 XML v2.01.
    Plcopen,
    /// Siemens TIA Portal: an SCL external source (`.scl`).
    Scl,
    /// Beckhoff TwinCAT 3: a POU object file (`.TcPOU`).
    Tcpou,
    /// Rockwell Studio 5000: an Add-On Instruction (`.L5X`, REAL only).
    L5x,
    /// The rule set as JSON.
    Json,
    /// The rule set as CSV.
    Csv,
    /// The tree as JSON arrays.
    TreeJson,
    /// The Structured Text block with its test bench `TB_<name>`, one `.st` file.
    TestbenchSt,
    /// The cost and traceability report: Markdown, or JSON with `--json`.
    Report,
}

/// `--real-type` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RealTypeArg {
    /// 32-bit REAL.
    #[value(name = "REAL", alias = "real")]
    Real,
    /// 64-bit LREAL.
    #[value(name = "LREAL", alias = "lreal")]
    Lreal,
}

/// `--from` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FromArg {
    /// The model's tree (for an SVM, a surrogate tree).
    Tree,
    /// The rule set saved in the project (`glassbox rules --save`), else one simplified now.
    Rules,
    /// The SVM's own decision function (standardisation, support vectors, kernel, bias, Platt
    /// scaling, coupling of the classes), checked on every row; `--format st` or `report`.
    Model,
}

/// Arguments of `export`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The project file (from `glassbox train`).
    pub project: PathBuf,
    /// What to write.
    #[arg(long, value_enum)]
    pub format: FormatArg,
    /// The function block's name (PLC formats); `FB_` and the target's name by default.
    #[arg(long, value_name = "FB_NAME")]
    pub name: Option<String>,
    /// Type of the inputs and real outputs (PLC formats; l5x takes REAL only).
    #[arg(long, value_enum, default_value = "REAL")]
    pub real_type: RealTypeArg,
    /// Where to write.
    #[arg(long)]
    pub out: PathBuf,
    /// Write the tree or the rule set (PLC formats, json, csv).
    #[arg(long, value_enum, default_value = "tree")]
    pub from: FromArg,
    /// The prediction when an input is invalid: a class name or index, or a value (PLC formats).
    #[arg(long, value_name = "VALUE")]
    pub safe_default: Option<String>,
    /// The date the header states, YYYY-MM-DD; `SOURCE_DATE_EPOCH` when set, else not recorded.
    #[arg(long, value_name = "DATE")]
    pub date: Option<String>,
    /// Depth of the surrogate tree for an SVM.
    #[arg(long, value_name = "N", default_value_t = SURROGATE_DEPTH)]
    pub surrogate_depth: u16,
    /// Write the report (`--format report`) as JSON instead of Markdown.
    #[arg(long)]
    pub json: bool,
    /// Nanoseconds one operation takes on your PLC's CPU, for an estimated time per call in the
    /// cost report and summary; no time is estimated without it.
    #[arg(long, value_name = "NS")]
    pub ns_per_op: Option<f64>,
    /// The Logix Designer version an `.L5X` file states (major.minor); it imports into that
    /// version and newer ones. Default 32.02.
    #[arg(long, value_name = "MAJOR.MINOR")]
    pub logix_revision: Option<String>,
}

/// The date from `SOURCE_DATE_EPOCH` (seconds since 1970), the reproducible-builds convention.
fn source_date() -> Option<String> {
    let secs: i64 = std::env::var("SOURCE_DATE_EPOCH").ok()?.trim().parse().ok()?;
    let dt = chrono::DateTime::from_timestamp(secs, 0)?;
    Some(dt.format("%Y-%m-%dT%H:%M:%S").to_string())
}

pub(super) fn run(args: &ExportArgs) -> anyhow::Result<()> {
    let loaded = load(&args.project, args.surrogate_depth)?;
    let params = surrogate_params(args.surrogate_depth);
    let rules = match args.from {
        FromArg::Tree | FromArg::Model => None,
        FromArg::Rules => Some(match &loaded.project.rule_set {
            Some(saved) => saved.clone(),
            None => refine(&loaded.prepared, &SimplifyOptions::default(), None).simplified,
        }),
    };
    let data = &loaded.prepared.data;
    let mut plan = ExportPlan::new(&loaded.report, data, rules.as_ref(), &params, loaded.project.data.as_ref())?;
    plan.note_appended(&loaded.project.appended);
    let safe_default = match &args.safe_default {
        None => None,
        Some(text) => Some(match plan.task {
            Task::Classification => match plan.classes.iter().position(|c| c == text.trim()) {
                Some(k) => k as f64,
                None => text.trim().parse::<f64>().map_err(|_| {
                    crate::cli::usage!(
                        "--safe-default '{text}' is not one of the classes ({})",
                        plan.classes.join(", ")
                    )
                })?,
            },
            Task::Regression => {
                text.trim().parse::<f64>().map_err(|_| crate::cli::usage!("--safe-default '{text}' is not a number"))?
            }
        }),
    };
    let options = ExportOptions {
        name: args.name.clone(),
        real_type: match args.real_type {
            RealTypeArg::Real => RealType::Real,
            RealTypeArg::Lreal => RealType::Lreal,
        },
        safe_default,
        date: args.date.clone().or_else(source_date),
    };
    let format = match args.format {
        FormatArg::St => Format::StructuredText,
        FormatArg::Plcopen => Format::PlcopenXml,
        FormatArg::Scl => Format::Scl,
        FormatArg::Tcpou => Format::TcPou,
        FormatArg::L5x => Format::L5x,
        FormatArg::Json => Format::Json,
        FormatArg::Csv => Format::Csv,
        FormatArg::TreeJson => Format::TreeJson,
        FormatArg::TestbenchSt => Format::TestbenchSt,
        FormatArg::Report => Format::Report,
    };
    if args.json && format != Format::Report {
        return Err(crate::cli::usage!("--json applies to --format report only"));
    }
    if args.logix_revision.is_some() && format != Format::L5x {
        return Err(crate::cli::usage!("--logix-revision applies to --format l5x only"));
    }
    if args.from == FromArg::Model {
        return svm_model(args, &plan, &loaded.report, &options, format);
    }
    // Every PLC block goes out with its cost (the report is that cost in full).
    let cost = match format {
        Format::Json | Format::Csv | Format::TreeJson => None,
        _ => Some(crate::export::cost::report(&plan, &options, args.ns_per_op)?),
    };
    let exported = match (format, &cost) {
        (Format::Report, Some(report)) => crate::export::Exported {
            text: if args.json {
                format!("{}\n", serde_json::to_string_pretty(report)?)
            } else {
                crate::export::cost::markdown(report)
            },
            notes: Vec::new(),
        },
        (Format::L5x, _) => {
            let l5x = crate::export::l5x::L5xOptions {
                software_revision: args
                    .logix_revision
                    .clone()
                    .unwrap_or_else(|| crate::export::l5x::SOFTWARE_REVISION.to_owned()),
            };
            crate::export::l5x::write_with(&plan, &options, &l5x)?
        }
        _ => export(&plan, format, &options)?,
    };
    super::io::write_output(&args.out, &exported.text)?;
    let what = match (format, plan.logic) {
        (Format::TreeJson, _) => "the tree".to_owned(),
        (Format::Json | Format::Csv, _) => format!("{} rules and the default", plan.rules.rules.len()),
        (_, LogicSource::Tree | LogicSource::Rules) => plan.describe_logic(),
    };
    eprintln!("wrote {} ({}): {what}", super::io::shown(&args.out), format.label());
    eprintln!("fidelity: {}", plan.fidelity.describe());
    for note in &exported.notes {
        eprintln!("note: {note}");
    }
    if let Some(report) = &cost {
        eprintln!("{}", crate::export::cost::summary(report));
    }
    Ok(())
}

/// `--from model`: the SVM's own decision function as Structured Text, or its cost and check.
fn svm_model(
    args: &ExportArgs,
    plan: &ExportPlan,
    report: &crate::model::train::TrainingReport,
    options: &ExportOptions,
    format: Format,
) -> anyhow::Result<()> {
    if !matches!(format, Format::StructuredText | Format::Report) {
        return Err(crate::cli::usage!(
            "--from model writes Structured Text (--format st) or its cost report (--format report), not {}",
            format.label()
        ));
    }
    let svm = crate::export::svm_block::write(plan, report, options)?;
    let text = match (format, args.json) {
        (Format::Report, true) => {
            format!("{}\n", serde_json::to_string_pretty(&serde_json::json!({"cost": svm.cost, "check": svm.check}))?)
        }
        (Format::Report, false) => crate::export::svm_block::cost_markdown(plan, &svm),
        _ => svm.exported.text.clone(),
    };
    super::io::write_output(&args.out, &text)?;
    eprintln!(
        "wrote {} ({}): the SVM's decision function, {} support vectors",
        super::io::shown(&args.out),
        format.label(),
        svm.cost.support_vectors
    );
    for note in &svm.exported.notes {
        eprintln!("note: {note}");
    }
    eprintln!(
        "cost per call: {} multiply-adds, {} EXP calls; {} bytes of constants",
        svm.cost.multiply_adds, svm.cost.exp_calls, svm.cost.constant_bytes
    );
    Ok(())
}
