//! `glassbox monitor PROJECT NEW_DATA [--json] [--out REPORT.md]`: is new data still like the
//! training data, and does the model still do as well on it? Per-feature drift, the envelope,
//! the predictions, the rules, the metrics when the target is there, and the same per period of
//! a timestamp column. The project file is only read.

use std::fmt::Write as _;
use std::io::Read as _;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use clap::{Args, ValueEnum};

use super::ReadArgs;
use super::io::{STDIN_NAME, is_dash};
use crate::data::{Dataset, LoadOptions};
use crate::model::Task;
use crate::monitor::{DriftLevel, MonitorReport, MonitorSettings, PeriodChoice, monitor, read_options_for};
use crate::progress::Progress;
use crate::project::Project;
use crate::rules::score::significant;

/// Periods for `--period`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PeriodArg {
    /// The shortest of day, week and month with enough rows per period.
    Auto,
    /// Per calendar day.
    Day,
    /// Per week, Monday to Sunday.
    Week,
    /// Per calendar month.
    Month,
    /// No figures per period.
    None,
}

/// Arguments of `monitor`.
#[derive(Debug, Args)]
pub struct MonitorArgs {
    /// The project file (from `glassbox train`); it is read, never changed.
    pub project: PathBuf,
    /// The new data: the training data's columns (the target is optional; with it the metrics
    /// are compared). `-` reads standard input.
    pub data: PathBuf,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
    /// Also write the report as Markdown to this file (`-`: standard output).
    #[arg(long, value_name = "REPORT.md")]
    pub out: Option<PathBuf>,
    /// PSI bins per numeric feature, cut at the training quantiles.
    #[arg(long, default_value_t = 10)]
    pub bins: usize,
    /// PSI from which a feature's drift is moderate.
    #[arg(long, default_value_t = 0.1)]
    pub psi_moderate: f64,
    /// PSI from which a feature's drift is major.
    #[arg(long, default_value_t = 0.25)]
    pub psi_major: f64,
    /// Also call drift moderate from this Kolmogorov–Smirnov statistic (off by default; the level
    /// is then the higher of the PSI's and the KS verdict).
    #[arg(long, value_name = "D")]
    pub ks_moderate: Option<f64>,
    /// Also call drift major from this Kolmogorov–Smirnov statistic (off by default).
    #[arg(long, value_name = "D")]
    pub ks_major: Option<f64>,
    /// Figures per period of the timestamp column.
    #[arg(long, value_enum, default_value = "auto")]
    pub period: PeriodArg,
    /// The timestamp column (by default the training data's).
    #[arg(long, value_name = "COL")]
    pub timestamp: Option<String>,
    /// Most rows whose combination of values the envelope's k-NN check judges (a seeded sample
    /// beyond).
    #[arg(long, default_value_t = 20_000)]
    pub envelope_rows: usize,
    /// Bootstrap resamples of the metrics.
    #[arg(long, default_value_t = 1000)]
    pub resamples: usize,
    /// Coverage of the bootstrap intervals.
    #[arg(long, default_value_t = 0.95)]
    pub confidence: f64,
    /// Seed of the envelope sample and the bootstrap.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// How to read the new data; by default as the project's data was read.
    #[command(flatten)]
    pub read: ReadArgs,
}

impl MonitorArgs {
    fn settings(&self) -> MonitorSettings {
        MonitorSettings {
            bins: self.bins,
            psi_moderate: self.psi_moderate,
            psi_major: self.psi_major,
            ks_moderate: self.ks_moderate,
            ks_major: self.ks_major,
            period: match self.period {
                PeriodArg::Auto => PeriodChoice::Auto,
                PeriodArg::Day => PeriodChoice::Day,
                PeriodArg::Week => PeriodChoice::Week,
                PeriodArg::Month => PeriodChoice::Month,
                PeriodArg::None => PeriodChoice::Off,
            },
            timestamp: self.timestamp.clone(),
            envelope_rows: self.envelope_rows,
            resamples: self.resamples,
            confidence: self.confidence,
            seed: self.seed,
            ..MonitorSettings::default()
        }
    }

    fn any_read_setting(&self) -> bool {
        let r = &self.read;
        r.delimiter.is_some() || r.decimal_comma || r.no_header || r.encoding.is_some() || r.sheet.is_some()
    }
}

/// Reads the new data as the project's data was read, unless the arguments say otherwise.
fn read_new(args: &MonitorArgs, project: &Project, progress: &Progress) -> anyhow::Result<Dataset> {
    let options = |head: &[u8], path: &Path| -> anyhow::Result<LoadOptions> {
        if args.any_read_setting() { args.read.load_options(head) } else { Ok(read_options_for(project, path, head)) }
    };
    if is_dash(&args.data) {
        let mut bytes = Vec::new();
        std::io::stdin()
            .read_to_end(&mut bytes)
            .map_err(|e| anyhow::anyhow!("reading the new data from {STDIN_NAME} failed: {e}"))?;
        let opts = options(bytes.get(..256 * 1024).unwrap_or(&bytes), Path::new(STDIN_NAME))?;
        return Ok(crate::data::load_bytes(bytes, Path::new(STDIN_NAME), &opts, progress)?);
    }
    let mut head = vec![0u8; 256 * 1024];
    let n = std::fs::File::open(&args.data).and_then(|mut f| f.read(&mut head)).unwrap_or(0);
    head.truncate(n);
    let opts = options(&head, &args.data)?;
    Ok(crate::data::load_file(&args.data, &opts, progress)?)
}

pub(super) fn run(args: &MonitorArgs) -> anyhow::Result<()> {
    if args.json && args.out.as_deref().is_some_and(is_dash) {
        return Err(crate::cli::usage!(
            "--json and --out - would both write to standard output; give --out a file name"
        ));
    }
    let settings = args.settings();
    settings.check().map_err(|e| crate::cli::usage!("{e}"))?;
    let project = Project::load(&args.project)?;
    project.trained()?;
    let bar = super::progress::Reporter::start("monitoring");
    let progress = bar.progress();
    progress.set_stage("reading the project's data");
    let training = project
        .load_data(&progress.sub(0.0, 0.1))
        .context("monitoring compares the new data with the model's training rows, so it needs the project's data")?;
    progress.set_stage("reading the new data");
    let new = read_new(args, &project, &progress.sub(0.1, 0.35))?;
    let report = monitor(&project, &training, &new, &settings, &progress.sub(0.35, 1.0))?;
    drop(bar);

    for n in &report.notes {
        eprintln!("note: {n}");
    }
    let markdown_to_stdout = args.out.as_deref().is_some_and(is_dash);
    if args.json {
        let json = serde_json::to_string_pretty(&report)?;
        super::io::print_text(&format!("{json}\n"))?;
    } else if markdown_to_stdout {
        eprint!("{}", summary(&report));
    } else {
        super::io::print_text(&summary(&report))?;
    }
    if let Some(out) = &args.out {
        super::io::write_output(out, &report.to_markdown())?;
        if !markdown_to_stdout {
            eprintln!("wrote the report to {}", super::io::shown(out));
        }
    }
    Ok(())
}

fn percent(v: f64) -> String {
    format!("{:.1} %", v * 100.0)
}

/// The report as a few lines of text for a terminal.
#[allow(clippy::too_many_lines)] // one part after another
fn summary(r: &MonitorReport) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "monitored {} rows of {} against {} ({} training rows)",
        r.rows, r.data, r.model, r.training_rows
    );
    let _ = writeln!(out, "{} (sampling alone gives about {:.4} here)\n", r.levels, r.psi_noise);
    let width = r.features.iter().map(|f| f.name.chars().count()).max().unwrap_or(7).max(7);
    let _ = writeln!(
        out,
        "{:<width$}  {:>7}  {:>6}  {:>8}  {:>17}  drift",
        "feature", "PSI", "KS", "outside", "missing then→now"
    );
    for f in &r.features {
        let ks = f.ks.map_or_else(|| "–".to_owned(), |d| format!("{d:.3}"));
        let missing = format!("{} → {}", percent(f.missing_then), percent(f.missing_now));
        let _ = writeln!(
            out,
            "{:<width$}  {:>7.3}  {:>6}  {:>8}  {:>17}  {}",
            f.name,
            f.psi,
            ks,
            percent(f.outside_range),
            missing,
            f.drift.label()
        );
    }
    out.push('\n');
    let e = &r.envelope;
    let _ = write!(
        out,
        "envelope: {} of the new rows outside (training rows: {} by construction); {} outside a training range",
        percent(e.outside),
        percent(e.training_outside),
        percent(e.outside_range)
    );
    let top: Vec<String> = e
        .features
        .iter()
        .take(4)
        .map(|f| format!("{} ({} out of range, {} unlike)", f.name, f.outside_range_rows, f.unlike_rows))
        .collect();
    if !top.is_empty() {
        let _ = write!(out, "; taken out by {}", top.join(", "));
    }
    out.push('\n');
    let p = &r.predictions;
    let _ = write!(out, "predictions: PSI {:.3} ({})", p.psi, p.drift.describe());
    match r.task {
        Task::Classification => {
            let shares: Vec<String> =
                p.classes.iter().map(|c| format!("{} {} → {}", c.class, percent(c.then), percent(c.now))).collect();
            let _ = writeln!(out, "; {}", shares.join(", "));
        }
        Task::Regression => {
            let median = p.quantiles.iter().find(|q| q.q == 0.5);
            if let Some(q) = median {
                let _ = write!(out, "; median {} → {}", significant(q.then, 4), significant(q.now, 4));
            }
            out.push('\n');
        }
    }
    let fresh: Vec<&str> =
        r.rules.rules.iter().filter(|f| f.never_fired_in_training).map(|f| f.rule.as_str()).collect();
    let _ = write!(
        out,
        "rules: PSI {:.3} ({}) over {}; {} new rows decided outside their rule's training region",
        r.rules.psi,
        r.rules.drift.describe(),
        r.rules.source,
        r.rules.unseen_rows
    );
    if !fresh.is_empty() {
        let _ = write!(out, "; firing now but never in training: {}", fresh.join(", "));
    }
    out.push('\n');
    match &r.metrics {
        Some(m) => {
            let _ = writeln!(out, "metrics: {}", m.verdict);
        }
        None => out.push_str("metrics: none (the new data has no target values)\n"),
    }
    if let (Some(t), Some(periods)) = (&r.time, &r.periods) {
        let _ = writeln!(out, "\nper {} of '{}':", t.unit.label(), t.column);
        let lw = periods.iter().map(|p| p.label.chars().count()).max().unwrap_or(6);
        for p in periods {
            let major: Vec<&str> =
                p.features.iter().filter(|f| f.drift == DriftLevel::Major).map(|f| f.name.as_str()).collect();
            let moderate: Vec<&str> =
                p.features.iter().filter(|f| f.drift == DriftLevel::Moderate).map(|f| f.name.as_str()).collect();
            let _ = write!(out, "  {:<lw$}  {:>7} rows  outside {:>7}", p.label, p.rows, percent(p.outside_envelope));
            if !major.is_empty() {
                let _ = write!(out, "  major: {}", major.join(", "));
            }
            if !moderate.is_empty() {
                let _ = write!(out, "  moderate: {}", moderate.join(", "));
            }
            if let Some(m) = p.metrics.as_ref().and_then(|m| m.first()) {
                let _ = write!(out, "  {} {:.3}", m.key, m.value);
            }
            out.push('\n');
        }
        match &t.drift_began {
            Some(b) => {
                let _ = writeln!(out, "major drift first in {b}: {}", t.drift_began_features.join(", "));
            }
            None => {
                let _ = writeln!(out, "no {} shows major drift", t.unit.label());
            }
        }
    }
    out
}
