//! Projects that leave the plant: `glassbox share PROJECT --out COPY` writes a model-only copy
//! (no data path, no rows; `--neutral-names` for F1 … Fn), `glassbox encrypt` and `glassbox
//! decrypt` put a passphrase on a project file or take it off.
//!
//! A passphrase never comes from the command line itself (it would stay in the shell's history
//! and the process list): `--passphrase-file FILE`, an option of every command, or the
//! `GLASSBOX_PASSPHRASE` environment variable. Every command opens encrypted projects with it,
//! and a project opened so is saved encrypted again.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use clap::Args;

use crate::project::Project;
use crate::project::crypto::{Passphrase, remember, remembered};
use crate::project::share::{CopyOptions, model_only, neutral_tag};

/// The environment variable a passphrase may come from.
pub const PASSPHRASE_VAR: &str = "GLASSBOX_PASSPHRASE";

/// Arguments of `share`.
// Each flag is one yes-or-no choice on the command line.
#[allow(clippy::struct_excessive_bools)]
#[derive(Debug, Args)]
pub struct ShareArgs {
    /// The project to copy (it is not changed).
    pub project: PathBuf,
    /// The model-only copy to write.
    #[arg(long)]
    pub out: PathBuf,
    /// Replace the feature names by neutral tags F1 … Fn (the key is printed, not saved).
    #[arg(long)]
    pub neutral_names: bool,
    /// Keep the what-if scenarios (they hold feature values).
    #[arg(long)]
    pub keep_scenarios: bool,
    /// Keep the scored production plans (they hold plan rows).
    #[arg(long)]
    pub keep_plans: bool,
    /// Encrypt the copy with the passphrase (--passphrase-file or `GLASSBOX_PASSPHRASE`).
    #[arg(long)]
    pub encrypt: bool,
}

/// Arguments of `encrypt` and `decrypt`.
#[derive(Debug, Args)]
pub struct CryptArgs {
    /// The project file (it is not changed).
    pub project: PathBuf,
    /// The file to write.
    #[arg(long)]
    pub out: PathBuf,
}

/// Sets the passphrase every command opens encrypted projects with: from `file`, else from
/// `GLASSBOX_PASSPHRASE`.
pub(super) fn remember_passphrase(file: Option<&Path>) -> anyhow::Result<()> {
    let passphrase = match file {
        Some(f) => Some(Passphrase::from_file(f)?),
        None => match std::env::var_os(PASSPHRASE_VAR) {
            Some(v) if !v.is_empty() => Some(Passphrase::new(v.into_encoded_bytes())?),
            _ => None,
        },
    };
    remember(passphrase);
    Ok(())
}

fn required_passphrase(what: &str) -> anyhow::Result<Passphrase> {
    remembered().ok_or_else(|| {
        crate::cli::usage!(
            "{what} needs a passphrase: give it in a file with --passphrase-file FILE or in the \
             {PASSPHRASE_VAR} environment variable (never on the command line)"
        )
    })
}

pub(super) fn share(args: &ShareArgs) -> anyhow::Result<()> {
    super::io::refuse_dash("--out", &args.out, "a project file")?;
    let project = Project::load(&args.project)?;
    let options = CopyOptions {
        neutral_names: args.neutral_names,
        keep_scenarios: args.keep_scenarios,
        keep_plans: args.keep_plans,
    };
    let (mut copy, notes) = model_only(&project, &options)?;
    if args.encrypt {
        copy.sealing.0 = Some(std::sync::Arc::new(required_passphrase("--encrypt")?));
    }
    copy.save(&args.out)?;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "wrote a model-only copy{} to {}",
        if copy.sealing.is_encrypted() { ", encrypted," } else { "" },
        args.out.display()
    );
    if let Some(info) = &copy.copy {
        let _ = writeln!(out, "left out: {}", info.left_out.join("; "));
    }
    for n in &notes {
        let _ = writeln!(out, "note: {n}");
    }
    if args.neutral_names
        && let Some(report) = &project.model
    {
        let _ = writeln!(out, "key to the neutral names (keep it; it is not in the copy):");
        for (j, name) in report.model.feature_names().iter().enumerate() {
            let _ = writeln!(out, "  {:<5} {name}", neutral_tag(j));
        }
    }
    super::io::print_text(&out)
}

pub(super) fn encrypt(args: &CryptArgs) -> anyhow::Result<()> {
    super::io::refuse_dash("--out", &args.out, "a project file")?;
    let passphrase = required_passphrase("encrypt")?;
    let mut project = Project::load(&args.project)?;
    project.sealing.0 = Some(std::sync::Arc::new(passphrase));
    project.save(&args.out)?;
    super::io::print_text(&format!("wrote {}, encrypted\n", args.out.display()))
}

pub(super) fn decrypt(args: &CryptArgs) -> anyhow::Result<()> {
    super::io::refuse_dash("--out", &args.out, "a project file")?;
    let mut project = Project::load(&args.project)?;
    if !project.sealing.is_encrypted() {
        return Err(anyhow::anyhow!("{} is not encrypted", args.project.display()));
    }
    project.sealing.0 = None;
    project.save(&args.out)?;
    super::io::print_text(&format!("wrote {}, not encrypted\n", args.out.display()))
}
