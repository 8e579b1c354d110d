//! `glassbox`: without a subcommand the window opens; with one, the engine runs headless.

use std::process::ExitCode;

use clap::Parser as _;

fn main() -> ExitCode {
    let cli = glassbox::cli::Cli::parse();
    let result = match cli.command {
        Some(command) => glassbox::cli::run(command),
        None => glassbox::app::run(cli.file),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
