//! `glassbox export PROJECT --format st|plcopen|scl|tcpou|l5x|json|csv|tree-json [--name FB_NAME]
//! [--real-type REAL|LREAL] [--testbench] --out FILE`: the model (or its rules) as PLC code or
//! data files. `scl`, `tcpou` and `l5x` are the files TIA Portal, TwinCAT 3 and Studio 5000
//! import as they stand (an SCL source, a POU object, an Add-On Instruction).
//! `testbench-st` writes the block with its test bench `TB_<name>`; `--testbench` adds the same
//! bench to `st`, `scl` and `l5x` files, and writes it as a second `.TcPOU` file beside a TwinCAT
//! block (one POU per TwinCAT file). `--from model` writes an SVM's own decision function in any
//! of the PLC formats, with its own test bench on request. `report` writes the cost and
//! traceability report (Markdown, or JSON with `--json`; a time per call only with
//! `--ns-per-op`), whose summary every PLC format prints on standard error.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::rules::load_for;
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
    /// The Structured Text block with its test bench `TB_<name>`, one `.st` file (as `st
    /// --testbench`).
    TestbenchSt,
    /// The cost and traceability report: Markdown, or JSON with `--json`.
    Report,
}

impl FormatArg {
    /// The engine's format.
    fn format(self) -> Format {
        match self {
            Self::St => Format::StructuredText,
            Self::Plcopen => Format::PlcopenXml,
            Self::Scl => Format::Scl,
            Self::Tcpou => Format::TcPou,
            Self::L5x => Format::L5x,
            Self::Json => Format::Json,
            Self::Csv => Format::Csv,
            Self::TreeJson => Format::TreeJson,
            Self::TestbenchSt => Format::TestbenchSt,
            Self::Report => Format::Report,
        }
    }
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
    /// scaling, coupling of the classes), checked on every row; `--format st`, `testbench-st`,
    /// `plcopen`, `scl`, `tcpou`, `l5x` or `report`.
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
    /// Write the tree, the rule set (PLC formats, json, csv) or the SVM itself (PLC formats).
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
    /// Add the test bench `TB_<name>` (st, scl, tcpou, l5x): in the same file, except for
    /// TwinCAT, where it is a second file `TB_<name>.TcPOU` beside the block's (a TwinCAT object
    /// file holds one POU).
    #[arg(long)]
    pub testbench: bool,
    /// Rows to check the block and count the rules' support on, instead of the project's: needed
    /// for a model-only copy, which holds none (the file needs the model's columns and target).
    #[arg(long, value_name = "FILE")]
    pub data: Option<PathBuf>,
}

/// The date from `SOURCE_DATE_EPOCH` (seconds since 1970), the reproducible-builds convention.
fn source_date() -> Option<String> {
    let secs: i64 = std::env::var("SOURCE_DATE_EPOCH").ok()?.trim().parse().ok()?;
    let dt = chrono::DateTime::from_timestamp(secs, 0)?;
    Some(dt.format("%Y-%m-%dT%H:%M:%S").to_string())
}

pub(super) fn run(args: &ExportArgs) -> anyhow::Result<()> {
    let loaded = load_for(&args.project, args.surrogate_depth, args.data.as_deref())?;
    let params = surrogate_params(args.surrogate_depth);
    let rules = match args.from {
        FromArg::Tree | FromArg::Model => None,
        FromArg::Rules => Some(match &loaded.project.rule_set {
            Some(saved) => saved.clone(),
            None => refine(&loaded.prepared, &SimplifyOptions::default(), None).simplified,
        }),
    };
    let data = &loaded.prepared.data;
    let data_ref = loaded.rows_from.as_ref().or(loaded.project.data.as_ref());
    let mut plan = ExportPlan::new(&loaded.report, data, rules.as_ref(), &params, data_ref)?;
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
    let format = args.format.format();
    check_flags(args, format)?;
    if args.from == FromArg::Model {
        return svm_model(args, &plan, &loaded.report, &options, format);
    }
    // Every PLC block goes out with its cost (the report is that cost in full).
    let cost = match format {
        Format::Json | Format::Csv | Format::TreeJson => None,
        _ => Some(crate::export::cost::report(&plan, &options, args.ns_per_op)?),
    };
    let l5x = crate::export::l5x::L5xOptions {
        software_revision: args
            .logix_revision
            .clone()
            .unwrap_or_else(|| crate::export::l5x::SOFTWARE_REVISION.to_owned()),
    };
    let mut companion = None;
    let exported = match (format, &cost) {
        (Format::L5x, _) if args.testbench => crate::export::l5x::write_bench_with(&plan, &options, &l5x)?,
        (_, _) if args.testbench => {
            let (exported, beside) = crate::export::export_with_testbench(&plan, format, &options)?;
            companion = beside;
            exported
        }
        (Format::Report, Some(report)) => crate::export::Exported {
            text: if args.json {
                format!("{}\n", serde_json::to_string_pretty(report)?)
            } else {
                crate::export::cost::markdown(report)
            },
            notes: Vec::new(),
        },
        (Format::L5x, _) => crate::export::l5x::write_with(&plan, &options, &l5x)?,
        _ => export(&plan, format, &options)?,
    };
    let beside = companion.as_ref().map(|c| companion_path(&args.out, c)).transpose()?;
    super::io::write_output(&args.out, &exported.text)?;
    if let (Some(c), Some(path)) = (&companion, &beside) {
        super::io::write_output(path, &c.text)?;
    }
    let what = match (format, plan.logic) {
        (Format::TreeJson, _) => "the tree".to_owned(),
        (Format::Json | Format::Csv, _) => format!("{} rules and the default", plan.rules.rules.len()),
        (_, LogicSource::Tree | LogicSource::Rules) => plan.describe_logic(),
    };
    eprintln!("wrote {} ({}): {what}", super::io::shown(&args.out), format.label());
    if let Some(path) = &beside {
        eprintln!(
            "wrote {} ({}): its test bench, a POU of its own (a TwinCAT object file holds one POU)",
            super::io::shown(path),
            format.label()
        );
    }
    eprintln!("fidelity: {}", plan.fidelity.describe());
    for note in &exported.notes {
        eprintln!("note: {note}");
    }
    if let Some(report) = &cost {
        eprintln!("{}", crate::export::cost::summary(report));
    }
    Ok(())
}

/// Refuses flags that do not apply to `format`.
fn check_flags(args: &ExportArgs, format: Format) -> anyhow::Result<()> {
    if args.json && format != Format::Report {
        return Err(crate::cli::usage!("--json applies to --format report only"));
    }
    if args.logix_revision.is_some() && format != Format::L5x {
        return Err(crate::cli::usage!("--logix-revision applies to --format l5x only"));
    }
    if args.testbench {
        if !matches!(format, Format::StructuredText | Format::Scl | Format::TcPou | Format::L5x) {
            return Err(crate::cli::usage!(
                "--testbench applies to --format st, scl, tcpou or l5x (testbench-st already holds it)"
            ));
        }
        if format == Format::TcPou && super::io::is_dash(&args.out) {
            return Err(crate::cli::usage!(
                "--format tcpou --testbench writes two files (a TwinCAT object file holds one POU); give --out a \
                 file, not -"
            ));
        }
    }
    Ok(())
}

/// Where a companion file goes: beside `out`, under its own name (TwinCAT names each object file
/// after its object).
fn companion_path(out: &std::path::Path, c: &crate::export::Companion) -> anyhow::Result<PathBuf> {
    let path = out.parent().map_or_else(|| PathBuf::from(&c.file_name), |dir| dir.join(&c.file_name));
    if path.file_name() == out.file_name() {
        return Err(crate::cli::usage!(
            "--out {} is the name the test bench's own file takes; name the block's file otherwise",
            super::io::shown(out)
        ));
    }
    Ok(path)
}

/// `--from model`: the SVM's own decision function in a PLC format (with its test bench on
/// request), or its cost and check.
fn svm_model(
    args: &ExportArgs,
    plan: &ExportPlan,
    report: &crate::model::train::TrainingReport,
    options: &ExportOptions,
    format: Format,
) -> anyhow::Result<()> {
    if matches!(format, Format::Json | Format::Csv | Format::TreeJson) {
        return Err(crate::cli::usage!(
            "--from model writes the SVM block (--format st, testbench-st, plcopen, scl, tcpou, l5x) or its cost \
             report (--format report), not {}",
            format.label()
        ));
    }
    let (svm, companion) = match format {
        Format::Report => (crate::export::svm_block::write(plan, report, options)?, None),
        _ => {
            let l5x = crate::export::l5x::L5xOptions {
                software_revision: args
                    .logix_revision
                    .clone()
                    .unwrap_or_else(|| crate::export::l5x::SOFTWARE_REVISION.to_owned()),
            };
            crate::export::svm_block::write_in_with(plan, report, options, format, args.testbench, &l5x)?
        }
    };
    let text = match (format, args.json) {
        (Format::Report, true) => {
            format!("{}\n", serde_json::to_string_pretty(&serde_json::json!({"cost": svm.cost, "check": svm.check}))?)
        }
        (Format::Report, false) => crate::export::svm_block::cost_markdown(plan, &svm),
        _ => svm.exported.text.clone(),
    };
    let beside = companion.as_ref().map(|c| companion_path(&args.out, c)).transpose()?;
    super::io::write_output(&args.out, &text)?;
    if let (Some(c), Some(path)) = (&companion, &beside) {
        super::io::write_output(path, &c.text)?;
    }
    eprintln!(
        "wrote {} ({}): the SVM's decision function, {} support vectors",
        super::io::shown(&args.out),
        format.label(),
        svm.cost.support_vectors
    );
    if let Some(path) = &beside {
        eprintln!(
            "wrote {} ({}): its test bench, a POU of its own (a TwinCAT object file holds one POU)",
            super::io::shown(path),
            format.label()
        );
    }
    for note in &svm.exported.notes {
        eprintln!("note: {note}");
    }
    eprintln!(
        "cost per call: {} multiply-adds, {} EXP calls; {} bytes of constants",
        svm.cost.multiply_adds, svm.cost.exp_calls, svm.cost.constant_bytes
    );
    Ok(())
}
