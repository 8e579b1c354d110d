//! `glassbox explain PROJECT --method … --out FILE.csv`: SHAP, LIME or permutation importance.

use std::fmt::Write as _;
use std::path::PathBuf;

use clap::Args;

use super::predict::csv_field;
use super::{ReadArgs, read_data};
use crate::explain::model::{LocalOptions, Method, explain_rows, permutation};
use crate::explain::permutation::PermutationOptions;
use crate::progress::Progress;
use crate::project::Project;

/// Arguments of `explain`.
#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// The project file (from `glassbox train`).
    pub project: PathBuf,
    /// tree-shap, interventional-shap, kernel-shap, lime or permutation.
    #[arg(long, value_parser = ["tree-shap", "interventional-shap", "kernel-shap", "lime", "permutation"])]
    pub method: String,
    /// Rows to explain from this file instead of the project's data.
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// Rows A..B (0-based, B excluded); all rows when left out (permutation: the test rows).
    #[arg(long, value_name = "A..B")]
    pub rows: Option<String>,
    /// Background size: sampled training rows (interventional SHAP, default 100) or k-means
    /// centres of them (KernelSHAP, default 10).
    #[arg(long)]
    pub background: Option<usize>,
    /// KernelSHAP coalitions per row (default 2·M + 2048) or LIME samples (default 5000).
    #[arg(long)]
    pub samples: Option<usize>,
    /// Seed of every random choice.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// The class whose probability is explained (name or index); by default the second class of
    /// a binary target, the first otherwise.
    #[arg(long)]
    pub class: Option<String>,
    /// Permutation repeats.
    #[arg(long, default_value_t = 5)]
    pub repeats: usize,
    /// Where to write the values (CSV).
    #[arg(long)]
    pub out: PathBuf,
    #[command(flatten)]
    pub read: ReadArgs,
}

/// Parses `A..B` into a range of row indices.
fn parse_rows(text: &str, n_rows: usize) -> anyhow::Result<Vec<usize>> {
    let (a, b) = text.split_once("..").ok_or_else(|| crate::cli::usage!("--rows takes A..B, for example 0..100"))?;
    let a: usize = if a.trim().is_empty() {
        0
    } else {
        a.trim().parse().map_err(|_| crate::cli::usage!("--rows: '{a}' is not a row number"))?
    };
    let b: usize = if b.trim().is_empty() {
        n_rows
    } else {
        b.trim().parse().map_err(|_| crate::cli::usage!("--rows: '{b}' is not a row number"))?
    };
    crate::cli::ensure_usage!(a < b, "--rows {text} selects no rows");
    crate::cli::ensure_usage!(b <= n_rows, "--rows {text} goes past the last row ({n_rows} rows, 0..{n_rows})");
    Ok((a..b).collect())
}

pub(super) fn run(args: &ExplainArgs) -> anyhow::Result<()> {
    let project = Project::load(&args.project)?;
    let report = project.trained()?;
    let model = &report.model;
    let output = model.output_named(args.class.as_deref())?;
    // The project's data gives the background (training rows); --data the rows to explain.
    let project_data = project.load_data(&Progress::new());
    let (ds, background_rows) = match (&args.data, project_data) {
        (Some(path), Ok(pds)) => {
            let (ds, _) = read_data(path, &args.read)?;
            // Background rows must come from one dataset: explain on a merged view is not
            // possible, so use the explained file's own rows as the background.
            drop(pds);
            let n = ds.n_rows();
            (ds, (0..n).collect::<Vec<_>>())
        }
        (Some(path), Err(_)) => {
            let (ds, _) = read_data(path, &args.read)?;
            let n = ds.n_rows();
            (ds, (0..n).collect())
        }
        (None, Ok(pds)) => (pds, report.split.train.clone()),
        (None, Err(e)) => return Err(anyhow::anyhow!("{e}; give the rows to explain with --data FILE")),
    };
    let rows = match &args.rows {
        Some(r) => parse_rows(r, ds.n_rows())?,
        None if args.method == "permutation" && args.data.is_none() => report.split.test.clone(),
        None => (0..ds.n_rows()).collect(),
    };
    let bar = super::progress::Reporter::start("explaining");
    let progress = bar.progress();
    let mut out = String::new();
    if args.method == "permutation" {
        let opts = PermutationOptions { n_repeats: args.repeats.max(1), seed: args.seed };
        let imp = permutation(model, &ds, &rows, &opts, progress)?;
        out.push_str("feature,importance_mean,importance_std,baseline_score\n");
        for ((name, mean), std) in model.feature_names().iter().zip(&imp.mean).zip(&imp.std) {
            let _ = writeln!(out, "{},{mean},{std},{}", csv_field(name), imp.baseline);
        }
    } else {
        let method = Method::ALL.into_iter().find(|m| m.label() == args.method).unwrap_or(Method::TreeShap);
        let default_background = if method == Method::KernelShap { 10 } else { 100 };
        let opts = LocalOptions {
            method,
            output: Some(output),
            background: args.background.unwrap_or(default_background),
            samples: args.samples,
            seed: args.seed,
        };
        let ex = explain_rows(model, &ds, &rows, &background_rows, &opts, progress)?;
        out.push_str("row,prediction,base_value");
        for f in &ex.features {
            out.push(',');
            out.push_str(&csv_field(f));
        }
        out.push('\n');
        let rows = ex.rows.iter().zip(&ex.predictions).zip(&ex.base_values).zip(ex.values.rows());
        for (((r, prediction), base), values) in rows {
            let _ = write!(out, "{r},{prediction},{base}");
            for v in values {
                let _ = write!(out, ",{v}");
            }
            out.push('\n');
        }
    }
    super::io::write_output(&args.out, &out)?;
    eprintln!("wrote {} to {}", args.method, super::io::shown(&args.out));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::parse_rows;

    #[test]
    fn row_ranges() {
        assert_eq!(parse_rows("2..5", 10).expect("ok"), [2, 3, 4]);
        assert_eq!(parse_rows("..2", 10).expect("ok"), [0, 1]);
        assert_eq!(parse_rows("8..", 10).expect("ok"), [8, 9]);
        assert!(parse_rows("5..5", 10).is_err());
        assert!(parse_rows("0..11", 10).is_err());
        assert!(parse_rows("a..b", 10).is_err());
    }
}
