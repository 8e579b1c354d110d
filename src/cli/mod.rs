//! The command-line face: `glassbox inspect|…`. Parses arguments, calls the engine, prints.
//! Nothing here computes anything the app could not reach through the engine too.

mod counterfactual;
mod explain;
mod export;
mod inspect;
mod plan;
mod predict;
mod rules;
mod train;
mod whatif;

use std::path::PathBuf;

use clap::Parser;
use clap::{Args, Subcommand};

use crate::data::{CsvOptions, LoadOptions, TextEncoding};

/// Command-line arguments. Without a subcommand the window opens (on `FILE` if given).
#[derive(Debug, Parser)]
#[command(name = "glassbox", version, about = "See why a model decides what it decides, and turn it into PLC code.")]
#[command(args_conflicts_with_subcommands = true)]
pub struct Cli {
    /// What to do; without one, the window opens.
    #[command(subcommand)]
    pub command: Option<Command>,
    /// A data file to open in the window.
    pub file: Option<PathBuf>,
}

/// The headless commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print a data file's schema, guessed roles and column statistics.
    Inspect(inspect::InspectArgs),
    /// Train and evaluate a model, print its metrics and save a project file.
    Train(Box<train::TrainArgs>),
    /// Predict rows of a data file with a project's model and write them as CSV.
    Predict(predict::PredictArgs),
    /// Print the model's decisions as IF–THEN rules, simplified, with their fidelity.
    Rules(rules::RulesArgs),
    /// Write the model as PLC code (Structured Text, PLCopen XML) or as JSON/CSV.
    Export(export::ExportArgs),
    /// Explain a project's model: SHAP, LIME or permutation importance, written as CSV.
    Explain(Box<explain::ExplainArgs>),
    /// What if a row's values were different: prediction, probabilities, SHAP, envelope.
    Whatif(whatif::WhatifArgs),
    /// The cheapest changes of a row that give a wanted outcome.
    Counterfactual(Box<counterfactual::CounterfactualArgs>),
    /// Score every run of a production plan and write it as CSV.
    Plan(Box<plan::PlanArgs>),
}

/// How to read a data file; every setting is detected when left out.
#[derive(Debug, Clone, Args, Default)]
pub struct ReadArgs {
    /// Field separator of a text file: ',', ';', 'tab', '|'.
    #[arg(long, value_name = "CHAR")]
    pub delimiter: Option<String>,
    /// Read `1,5` as one and a half.
    #[arg(long)]
    pub decimal_comma: bool,
    /// The text file has no header row.
    #[arg(long)]
    pub no_header: bool,
    /// Text encoding: utf-8, windows-1252 (latin-1), iso-8859-15, gbk, `shift_jis`, utf-16le, utf-16be.
    #[arg(long, value_name = "NAME")]
    pub encoding: Option<String>,
    /// The spreadsheet sheet to read (the first with data by default).
    #[arg(long, value_name = "NAME")]
    pub sheet: Option<String>,
}

impl ReadArgs {
    /// The load options these arguments ask for; detection fills in the rest.
    ///
    /// # Errors
    /// An unknown delimiter or encoding name.
    pub fn load_options(&self, head: &[u8]) -> anyhow::Result<LoadOptions> {
        let any_csv = self.delimiter.is_some() || self.decimal_comma || self.no_header || self.encoding.is_some();
        let csv = if any_csv {
            let mut o: CsvOptions = crate::data::sniff_csv(head);
            if let Some(d) = &self.delimiter {
                o.delimiter = match (d.as_str(), d.as_bytes()) {
                    ("tab" | "\\t" | "\t", _) => b'\t',
                    (_, &[byte]) => byte,
                    (other, _) => anyhow::bail!("--delimiter takes one character or 'tab', not '{other}'"),
                };
            }
            o.decimal_comma |= self.decimal_comma;
            if self.no_header {
                o.has_header = false;
            }
            if let Some(e) = &self.encoding {
                o.encoding = parse_encoding(e)?;
            }
            Some(o)
        } else {
            None
        };
        Ok(LoadOptions { csv, sheet: self.sheet.clone(), ..LoadOptions::default() })
    }
}

fn parse_encoding(name: &str) -> anyhow::Result<TextEncoding> {
    let n = name.to_ascii_lowercase().replace(['-', '_'], "");
    Ok(match n.as_str() {
        "utf8" => TextEncoding::Utf8,
        "windows1252" | "cp1252" | "latin1" | "iso88591" => TextEncoding::Windows1252,
        "iso885915" | "latin9" => TextEncoding::Latin9,
        "gbk" | "gb2312" | "gb18030" | "cp936" => TextEncoding::Gbk,
        "shiftjis" | "sjis" | "cp932" => TextEncoding::ShiftJis,
        "utf16le" | "utf16" => TextEncoding::Utf16Le,
        "utf16be" => TextEncoding::Utf16Be,
        _ => anyhow::bail!(
            "unknown encoding '{name}'; use utf-8, windows-1252, iso-8859-15, gbk, shift_jis, utf-16le or utf-16be"
        ),
    })
}

/// Reads a data file as `read` asks (detecting the rest); returns the options used.
///
/// # Errors
/// When the file cannot be read.
pub fn read_data(path: &std::path::Path, read: &ReadArgs) -> anyhow::Result<(crate::data::Dataset, LoadOptions)> {
    use std::io::Read as _;
    let mut head = vec![0u8; 256 * 1024];
    let n = std::fs::File::open(path).and_then(|mut f| f.read(&mut head)).unwrap_or(0);
    head.truncate(n);
    let opts = read.load_options(&head)?;
    let ds = crate::data::load_file(path, &opts, &crate::progress::Progress::new())?;
    Ok((ds, opts))
}

/// Runs a headless command.
///
/// # Errors
/// Whatever stops the command; `main` prints it on stderr and exits non-zero.
pub fn run(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Inspect(args) => inspect::run(&args),
        Command::Train(args) => train::run(&args),
        Command::Predict(args) => predict::run(&args),
        Command::Rules(args) => rules::run(&args),
        Command::Export(args) => export::run(&args),
        Command::Explain(args) => explain::run(&args),
        Command::Whatif(args) => whatif::run(&args),
        Command::Counterfactual(args) => counterfactual::run(&args),
        Command::Plan(args) => plan::run(&args),
    }
}

/// The whole program: parse the arguments, then run a command or open the window. Shared by
/// `glassbox` and, on Windows, the console twin `glassbox-cli` (see `src/main.rs`).
pub fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Some(command) => run(command),
        #[cfg(feature = "gui")]
        None => crate::app::run(cli.file),
        #[cfg(not(feature = "gui"))]
        None => Err(anyhow::anyhow!(
            "this build of glassbox has no window (built without the `gui` feature); \
             run a subcommand such as `glassbox inspect FILE`, or see `glassbox --help`"
        )),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
