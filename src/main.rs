//! `glassbox`: without a subcommand the window opens; with one, the engine runs headless.

use std::process::ExitCode;

use clap::Parser as _;

fn main() -> ExitCode {
    let cli = glassbox::cli::Cli::parse();
    let result = match cli.command {
        Some(command) => glassbox::cli::run(command),
        #[cfg(feature = "gui")]
        None => glassbox::app::run(cli.file),
        #[cfg(not(feature = "gui"))]
        None => Err(anyhow::anyhow!(
            "this build of glassbox has no window (built without the `gui` feature); \
             run a subcommand such as `glassbox inspect FILE`, or see `glassbox --help`"
        )),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
