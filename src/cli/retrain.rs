//! `glassbox retrain PROJECT --data FILE [--append] --out NEW.glassbox`: the project's model
//! retrained with its settings on new data (or on its data with the new rows appended), saved as
//! a new project whose history keeps the earlier model; `glassbox history PROJECT` lists the
//! versions and `glassbox restore PROJECT --version N --out FILE` makes one current again.
//!
//! The input project is never written: the result goes to `--out`, and nothing is written when
//! the work fails.

use std::fmt::Write as _;
use std::path::PathBuf;

use clap::Args;
use serde_json::{Value, json};

use super::ReadArgs;
use crate::project::Project;
use crate::project::history::ModelVersion;
use crate::project::retrain::{RetrainMode, retrain};

/// Arguments of `retrain`.
#[derive(Debug, Args)]
pub struct RetrainArgs {
    /// The project whose model is retrained (it is not changed).
    pub project: PathBuf,
    /// The new data: the same columns as the project's data.
    #[arg(long)]
    pub data: PathBuf,
    /// Append the new rows to the project's data and train on both (the project's data file must
    /// be readable); without it, the model is trained on the new data alone.
    #[arg(long)]
    pub append: bool,
    /// The new project file.
    #[arg(long)]
    pub out: PathBuf,
    /// The date the history records for the new version, YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS (UTC);
    /// `SOURCE_DATE_EPOCH` when set, else now. The model does not depend on it.
    #[arg(long, value_name = "DATE")]
    pub date: Option<String>,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub read: ReadArgs,
}

/// Arguments of `history`.
#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// The project file.
    pub project: PathBuf,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `restore`.
#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// The project file (it is not changed).
    pub project: PathBuf,
    /// The version to make current (`glassbox history` lists them).
    #[arg(long, value_name = "N")]
    pub version: u32,
    /// The new project file.
    #[arg(long)]
    pub out: PathBuf,
    /// The date the history records for the restore (as for `retrain`).
    #[arg(long, value_name = "DATE")]
    pub date: Option<String>,
}

/// The date a new history entry records: `--date`, else `SOURCE_DATE_EPOCH`, else the clock, in
/// UTC as `YYYY-MM-DDTHH:MM:SSZ`.
pub(super) fn recorded_date(date: Option<&str>) -> anyhow::Result<Option<String>> {
    if let Some(d) = date {
        let parsed = crate::export::parse_date(d).map_err(|e| crate::cli::usage!("--date: {e}"))?;
        return Ok(Some(format!("{parsed}Z")));
    }
    Ok(crate::project::history::clock_date())
}

pub(super) fn run(args: &RetrainArgs) -> anyhow::Result<()> {
    super::io::refuse_dash("--out", &args.out, "a project file")?;
    crate::cli::ensure_usage!(
        !super::io::is_dash(&args.data),
        "--data - cannot be retrained on: the new project must be able to read its data again; give a file"
    );
    let date = recorded_date(args.date.as_deref())?;
    let project = Project::load(&args.project)?;
    let input = {
        let mut head = vec![0u8; 256 * 1024];
        let n = std::fs::File::open(&args.data).and_then(|mut f| std::io::Read::read(&mut f, &mut head)).unwrap_or(0);
        head.truncate(n);
        args.read.load_options(&head)?
    };
    let mode = if args.append { RetrainMode::Append } else { RetrainMode::Replace };
    let bar = super::progress::Reporter::start("retraining");
    let done = retrain(&project, &args.data, &input, mode, date, bar.progress())?;
    drop(bar);
    done.project.save(&args.out)?;
    let report = done.project.trained()?;
    let new = done.project.current_version();
    let previous = done.project.history.iter().rev().nth(1);
    if args.json {
        let mut v = super::train::report_json(report);
        if let Some(obj) = v.as_object_mut() {
            obj.insert("version".into(), new.map_or(Value::Null, |n| n.number.into()));
            obj.insert("previous".into(), previous.map_or(Value::Null, version_json));
            obj.insert("notes".into(), done.notes.clone().into());
            obj.insert("out".into(), args.out.display().to_string().into());
        }
        println!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(());
    }
    let mut out = String::new();
    let _ = writeln!(
        out,
        "retrained with the project's settings on {} ({}): version {}",
        new.map_or_else(String::new, ModelVersion::data_names),
        if args.append { "new rows appended to the project's data" } else { "the new data alone" },
        new.map_or(0, |n| n.number)
    );
    out.push_str(&super::train::report_text(report));
    if let (Some(p), Some(n)) = (previous, new) {
        let _ = writeln!(out, "held-out figures, version {} → version {}:", p.number, n.number);
        for f in &n.metrics {
            let before = p.figure(&f.name).map_or_else(|| "–".to_owned(), |v| format!("{v:.4}"));
            let _ = writeln!(out, "  {:<20} {before:>8} → {:.4}", f.name, f.value);
        }
        let _ = writeln!(
            out,
            "(each on its own held-out rows; `glassbox compare` sets both on the same rows, with the rule changes)"
        );
    }
    for note in &done.notes {
        let _ = writeln!(out, "note: {note}");
    }
    let _ = writeln!(out, "saved {}", args.out.display());
    super::io::print_text(&out)
}

/// A version as `history --json` lists it (without the stored model).
fn version_json(v: &ModelVersion) -> Value {
    json!({
        "number": v.number,
        "date": v.date,
        "origin": v.origin,
        "origin_text": v.origin.describe(),
        "data": v.data.iter().map(|d| json!({
            "file": d.path.file_name().map(|n| n.to_string_lossy().into_owned()),
            "sha256": d.sha256,
            "size": d.size,
        })).collect::<Vec<_>>(),
        "model": v.settings.params.kind_label(),
        "settings": v.settings.params.settings_json(v.settings.task.unwrap_or(crate::model::Task::Classification)),
        "seed": v.settings.seed,
        "train_rows": v.train_rows,
        "test_rows": v.test_rows,
        "metrics": v.metrics.iter().map(|f| (f.name.clone(), Value::from(f.value))).collect::<serde_json::Map<_, _>>(),
        "model_sha256": v.model_sha256,
    })
}

pub(super) fn history(args: &HistoryArgs) -> anyhow::Result<()> {
    let mut project = Project::load(&args.project)?;
    project.record_current();
    let current = project.current_version().map(|v| v.number);
    if args.json {
        let versions: Vec<Value> = project
            .history
            .iter()
            .map(|v| {
                let mut j = version_json(v);
                if let Some(o) = j.as_object_mut() {
                    o.insert("current".into(), (Some(v.number) == current).into());
                    o.insert("restorable".into(), project.can_restore(v.number).into());
                }
                j
            })
            .collect();
        let v = json!({ "versions": versions, "current": current, "notices": project.notices() });
        println!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(());
    }
    let mut out = String::new();
    for n in project.notices() {
        let _ = writeln!(out, "note: {n}");
    }
    if project.history.is_empty() {
        let _ = writeln!(out, "{} holds no model yet", args.project.display());
        return super::io::print_text(&out);
    }
    let _ = writeln!(out, "Model versions of {} (* current, + can be restored):", args.project.display());
    for v in &project.history {
        let mark = if Some(v.number) == current {
            '*'
        } else if project.can_restore(v.number) {
            '+'
        } else {
            ' '
        };
        let task = v.settings.task.unwrap_or(crate::model::Task::Classification);
        let _ = writeln!(
            out,
            "{mark} {:>3}  {}  {}",
            v.number,
            v.date.as_deref().unwrap_or("date not recorded"),
            v.origin.describe()
        );
        let _ = writeln!(
            out,
            "       data {} ({} training rows, {} held out); {}; seed {}",
            v.data_names(),
            v.train_rows,
            v.test_rows,
            v.settings.params.describe(task),
            v.settings.seed
        );
        let figures: Vec<String> = v.metrics.iter().map(|f| format!("{} {:.4}", f.name, f.value)).collect();
        let hash: String = v.model_sha256.chars().take(12).collect();
        let _ = writeln!(out, "       {}; model {hash}", figures.join(", "));
    }
    super::io::print_text(&out)
}

pub(super) fn restore(args: &RestoreArgs) -> anyhow::Result<()> {
    super::io::refuse_dash("--out", &args.out, "a project file")?;
    let date = recorded_date(args.date.as_deref())?;
    let project = Project::load(&args.project)?;
    let restored = project.restore(args.version, date)?;
    restored.save(&args.out)?;
    let number = restored.current_version().map_or(0, |v| v.number);
    super::io::print_text(&format!(
        "restored version {} as version {number}; saved {}\n",
        args.version,
        args.out.display()
    ))
}
