//! The command-line face: `glassbox inspect|…`. Parses arguments, calls the engine, prints.
//! Nothing here computes anything the app could not reach through the engine too.

mod compare;
mod counterfactual;
mod explain;
mod export;
mod inspect;
pub mod io;
mod monitor;
mod plan;
mod predict;
pub mod progress;
mod retrain;
mod rules;
mod share;
mod train;
mod whatif;

use std::path::PathBuf;

use clap::Parser;
use clap::{Args, Subcommand};

use crate::data::{CsvOptions, LoadOptions, TextEncoding};

/// A mistake in the arguments (an unknown option value, a malformed range): the command did not
/// start, and `glassbox` exits with code 2, as for the mistakes `clap` finds itself.
#[derive(Debug)]
pub struct UsageError(pub String);

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

/// A [`UsageError`] with a formatted message, as an `anyhow::Error`.
macro_rules! usage {
    ($($arg:tt)*) => {
        anyhow::Error::new($crate::cli::UsageError(format!($($arg)*)))
    };
}
pub(crate) use usage;

/// Returns a [`UsageError`] unless the condition holds.
macro_rules! ensure_usage {
    ($cond:expr, $($arg:tt)*) => {
        if !$cond {
            return Err($crate::cli::usage!($($arg)*));
        }
    };
}
pub(crate) use ensure_usage;

/// Command-line arguments. Without a subcommand the window opens (on `FILE` if given).
#[derive(Debug, Parser)]
#[command(
    name = "glassbox",
    version,
    about = "See why a model decides what it decides, and turn it into PLC code.",
    after_help = "Data files may be `-` for standard input; `--out -` writes text to standard output.\n\n\
                  Exit codes: 0 success; 1 the work failed (bad data, no model, a file that cannot be \
                  written); 2 a usage error (an unknown command or option, a malformed value). With --json, \
                  a failure also prints one JSON object on standard error: \
                  {\"error\": {\"message\": …, \"file\": …, \"line\": …, \"column\": …}}."
)]
pub struct Cli {
    /// What to do; without one, the window opens.
    #[command(subcommand)]
    pub command: Option<Command>,
    /// A data file or project to open in the window.
    pub file: Option<PathBuf>,
    /// No progress bars on standard error.
    #[arg(long, short, global = true)]
    pub quiet: bool,
    /// A file holding the passphrase of encrypted projects (or set `GLASSBOX_PASSPHRASE`).
    #[arg(long, global = true, value_name = "FILE")]
    pub passphrase_file: Option<PathBuf>,
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
    /// Write the model as PLC code (Structured Text, PLCopen XML, TIA Portal, TwinCAT, Studio 5000;
    /// with its test bench on request) or as JSON/CSV.
    Export(export::ExportArgs),
    /// Explain a project's model: SHAP, LIME or permutation importance, written as CSV.
    Explain(Box<explain::ExplainArgs>),
    /// What if a row's values were different: prediction, probabilities, SHAP, envelope.
    Whatif(whatif::WhatifArgs),
    /// The cheapest changes of a row that give a wanted outcome.
    Counterfactual(Box<counterfactual::CounterfactualArgs>),
    /// Score every run of a production plan and write it as CSV.
    Plan(Box<plan::PlanArgs>),
    /// Retrain a project's model with its settings on new data (or with new rows appended).
    Retrain(Box<retrain::RetrainArgs>),
    /// List the model versions a project has held.
    History(retrain::HistoryArgs),
    /// Make an earlier model version current again, as a new project file.
    Restore(retrain::RestoreArgs),
    /// Compare two models on the same rows: metrics, agreement, importance, rules, PLC code.
    Compare(Box<compare::CompareArgs>),
    /// Write a model-only copy of a project (no data, no rows) to send to someone.
    Share(share::ShareArgs),
    /// Write a project encrypted with a passphrase (from --passphrase-file or `GLASSBOX_PASSPHRASE`).
    Encrypt(share::CryptArgs),
    /// Write an encrypted project without its encryption.
    Decrypt(share::CryptArgs),
    /// Compare new data with the project's training data and model: drift, envelope, rules, metrics.
    Monitor(Box<monitor::MonitorArgs>),
    /// Print a completion script for a shell (bash, zsh, fish, powershell, elvish).
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff) to standard output.
    Man,
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
                    (other, _) => {
                        return Err(crate::cli::usage!("--delimiter takes one character or 'tab', not '{other}'"));
                    }
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
        _ => {
            return Err(crate::cli::usage!(
                "unknown encoding '{name}'; use utf-8, windows-1252, iso-8859-15, gbk, shift_jis, utf-16le or utf-16be"
            ));
        }
    })
}

/// Reads a data file (or standard input for `-`) as `read` asks, detecting the rest; returns
/// the options used.
///
/// # Errors
/// When the data cannot be read.
pub fn read_data(path: &std::path::Path, read: &ReadArgs) -> anyhow::Result<(crate::data::Dataset, LoadOptions)> {
    let input = io::read_input(path, read)?;
    Ok((input.dataset, input.options))
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
        Command::Retrain(args) => retrain::run(&args),
        Command::History(args) => retrain::history(&args),
        Command::Restore(args) => retrain::restore(&args),
        Command::Compare(args) => compare::run(&args),
        Command::Share(args) => share::share(&args),
        Command::Encrypt(args) => share::encrypt(&args),
        Command::Decrypt(args) => share::decrypt(&args),
        Command::Monitor(args) => monitor::run(&args),
        Command::Completions { shell } => {
            let mut out = Vec::new();
            clap_complete::generate(shell, &mut <Cli as clap::CommandFactory>::command(), "glassbox", &mut out);
            io::print_text(&String::from_utf8_lossy(&out))
        }
        Command::Man => {
            let mut out = Vec::new();
            clap_mangen::Man::new(<Cli as clap::CommandFactory>::command()).render(&mut out)?;
            io::print_text(&String::from_utf8_lossy(&out))
        }
    }
}

/// The whole program: parse the arguments, then run a command or open the window, and exit
/// with 0 on success, 1 when the work failed, 2 for a usage error. Shared by `glassbox` and, on
/// Windows, the console twin `glassbox-cli` (see `src/main.rs`).
pub fn main() -> std::process::ExitCode {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let json = args.iter().any(|a| a == "--json");
    if let Some(e) = unknown_first_argument(&args) {
        return fail(&e, json);
    }
    let cli = match Cli::try_parse_from(&args) {
        Ok(cli) => cli,
        Err(e) => {
            // --help and --version print and exit 0; mistakes exit 2, with clap's message.
            let _ = e.print();
            return std::process::ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(2));
        }
    };
    progress::set_quiet(cli.quiet);
    if let Err(e) = share::remember_passphrase(cli.passphrase_file.as_deref()) {
        return fail(&e, json);
    }
    let result = match cli.command {
        Some(command) => run(command),
        #[cfg(feature = "gui")]
        None => open_window(cli.file),
        #[cfg(not(feature = "gui"))]
        None => Err(usage!(
            "this build of glassbox has no window (built without the `gui` feature); \
             run a subcommand such as `glassbox inspect FILE`, or see `glassbox --help`"
        )),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => fail(&e, json),
    }
}

/// The names `glassbox` takes as its first argument.
fn command_names() -> Vec<String> {
    let cmd = <Cli as clap::CommandFactory>::command();
    cmd.get_subcommands().map(|c| c.get_name().to_owned()).chain(["help".to_owned()]).collect()
}

/// A first argument that is neither a command, an option, nor a file to open: a mistyped
/// command, named with the closest real one.
fn unknown_first_argument(args: &[std::ffi::OsString]) -> Option<anyhow::Error> {
    let first = args.get(1)?.to_str()?;
    if first.starts_with('-') || std::path::Path::new(first).exists() {
        return None;
    }
    let names = command_names();
    if names.iter().any(|n| n == first) {
        return None;
    }
    let hint = crate::model::train::closest(first, names.iter().map(String::as_str))
        .map(|c| format!("; did you mean '{c}'?"))
        .unwrap_or_default();
    Some(usage!("no command or file named '{first}'{hint} (`glassbox --help` lists the commands)"))
}

/// Opens the window, or says in one sentence why it cannot and what to do instead.
#[cfg(feature = "gui")]
fn open_window(file: Option<PathBuf>) -> anyhow::Result<()> {
    let no_display = cfg!(all(unix, not(target_os = "macos")))
        && std::env::var_os("DISPLAY").is_none_or(|d| d.is_empty())
        && std::env::var_os("WAYLAND_DISPLAY").is_none_or(|d| d.is_empty());
    let hint = "use the command line instead: `glassbox --help` lists the commands, e.g. `glassbox inspect FILE`";
    if no_display {
        return Err(anyhow::anyhow!(
            "no display found (neither DISPLAY nor WAYLAND_DISPLAY is set), so the window cannot open; {hint}"
        ));
    }
    crate::app::run(file)
        .map_err(|_| anyhow::anyhow!("the window could not open (no usable display or OpenGL driver); {hint}"))
}

/// The message of an error chain with each part once: a cause already quoted in the message
/// above it (an operating-system reason, a path) is not repeated.
pub fn error_text(e: &anyhow::Error) -> String {
    let mut text = e.to_string();
    for cause in e.chain().skip(1) {
        let c = cause.to_string();
        if !text.contains(&c) {
            text.push_str(": ");
            text.push_str(&c);
        }
    }
    text
}

/// The JSON object a failure prints with `--json`: the message and, where known, the file,
/// line (or row) and column.
pub fn error_json(e: &anyhow::Error) -> serde_json::Value {
    let mut error = serde_json::Map::new();
    error.insert("message".into(), error_text(e).into());
    let engine = e.chain().find_map(|c| c.downcast_ref::<crate::Error>());
    match engine {
        Some(crate::Error::Data { location, .. }) => {
            if let Some(p) = &location.path {
                error.insert("file".into(), p.display().to_string().into());
            }
            if let Some(r) = &location.row {
                let number = r
                    .split_whitespace()
                    .find_map(|w| w.trim_matches(|c: char| !c.is_ascii_digit()).parse::<u64>().ok());
                error.insert("line".into(), number.map_or_else(|| r.clone().into(), Into::into));
            }
            if let Some(c) = &location.column {
                error.insert("column".into(), c.clone().into());
            }
        }
        Some(crate::Error::Io { path, .. }) => {
            error.insert("file".into(), path.display().to_string().into());
        }
        _ => {}
    }
    error.insert("usage".into(), e.downcast_ref::<UsageError>().is_some().into());
    serde_json::json!({ "error": error })
}

/// Reports a failure on standard error (as text, and as JSON with `--json`) and gives its exit code.
fn fail(e: &anyhow::Error, json: bool) -> std::process::ExitCode {
    if json {
        eprintln!("{}", error_json(e));
    } else {
        eprintln!("error: {}", error_text(e));
    }
    if e.downcast_ref::<UsageError>().is_some() {
        std::process::ExitCode::from(2)
    } else {
        std::process::ExitCode::FAILURE
    }
}
