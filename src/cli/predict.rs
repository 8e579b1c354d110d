//! `glassbox predict PROJECT --data FILE --out FILE.csv`: one output row per input row.

use std::fmt::Write as _;
use std::path::PathBuf;

use clap::Args;

use super::{ReadArgs, read_data};
use crate::model::Task;
use crate::project::Project;

/// Arguments of `predict`.
#[derive(Debug, Args)]
pub struct PredictArgs {
    /// The project file (from `glassbox train`).
    pub project: PathBuf,
    /// The rows to predict (same columns as the training data; target not needed).
    #[arg(long)]
    pub data: PathBuf,
    /// Where to write the predictions (CSV).
    #[arg(long)]
    pub out: PathBuf,
    #[command(flatten)]
    pub read: ReadArgs,
}

pub(super) fn run(args: &PredictArgs) -> anyhow::Result<()> {
    let project = Project::load(&args.project)?;
    let report = project.trained()?;
    let model = &report.model;
    let (ds, _) = read_data(&args.data, &args.read)?;
    let rows: Vec<usize> = (0..ds.n_rows()).collect();
    let raw = model.raw_rows(&ds, &rows)?;
    let unknown = raw.as_slice().iter().filter(|&&v| v < 0.0 && v == -1.0).count();
    let preds = model.predict(&raw);
    let mut out = String::with_capacity(preds.len() * 32);
    out.push_str("row,prediction");
    if model.task == Task::Classification {
        for c in &model.classes {
            out.push(',');
            out.push_str(&csv_field(&format!("probability_{c}")));
        }
    }
    out.push('\n');
    for (i, p) in preds.iter().enumerate() {
        let _ = write!(out, "{i},{}", csv_field(&model.format_prediction(p.value)));
        for q in &p.probabilities {
            let _ = write!(out, ",{q}");
        }
        out.push('\n');
    }
    super::io::write_output(&args.out, &out)?;
    let missing = raw.as_slice().iter().filter(|v| v.is_nan()).count();
    if missing > 0 {
        eprintln!("note: {missing} missing feature values were filled with the training median or most frequent level");
    }
    if unknown > 0 {
        eprintln!("note: {unknown} category values were not seen in training; they count as none of the known levels");
    }
    eprintln!("wrote {} predictions to {}", preds.len(), super::io::shown(&args.out));
    Ok(())
}

/// A CSV field, quoted when it holds a comma, quote or line break.
pub fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) { format!("\"{}\"", s.replace('"', "\"\"")) } else { s.to_owned() }
}
