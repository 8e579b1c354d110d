//! A rule set as CSV: one line per rule in the order they are tried, the default rule last.
//! Text fields are quoted; a field that a spreadsheet would take for a formula (it starts with
//! `=`, `+`, `@` or a tab) gets a leading `'`. Classification rules carry a confidence;
//! regression rules the mean, standard deviation and interquartile range of their values and
//! the held-out mean absolute error.

use std::fmt::Write as _;

use crate::model::Task;
use crate::rules::{RuleSet, RuleStats};

/// The header line's columns for classification rules.
pub const CLASSIFICATION_COLUMNS: &[&str] = &[
    "rule",
    "conditions",
    "outcome",
    "support_rows",
    "support_share",
    "confidence",
    "model_agreement",
    "held_out_rows",
    "held_out_accuracy",
];

/// The header line's columns for regression rules.
pub const REGRESSION_COLUMNS: &[&str] = &[
    "rule",
    "conditions",
    "outcome",
    "support_rows",
    "support_share",
    "mean",
    "std",
    "iqr",
    "model_agreement",
    "held_out_rows",
    "held_out_mae",
];

fn quote(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '@', '\t', '\r']) { format!("'{s}") } else { s.to_owned() };
    format!("\"{}\"", s.replace('"', "\"\""))
}

fn opt(v: Option<f64>) -> String {
    v.map(|x| format!("{x}")).unwrap_or_default()
}

fn line(out: &mut String, task: Task, id: &str, conditions: &str, outcome: &str, s: &RuleStats) {
    let _ = write!(out, "{id},{},{},{},{},", quote(conditions), quote(outcome), s.support, s.support_share);
    let _ = match task {
        Task::Classification => {
            writeln!(out, "{},{},{},{}", opt(s.confidence), s.fidelity, s.test_support, opt(s.test_accuracy))
        }
        Task::Regression => writeln!(
            out,
            "{},{},{},{},{},{}",
            opt(s.mean),
            opt(s.std),
            opt(s.iqr),
            s.fidelity,
            s.test_support,
            opt(s.test_mae)
        ),
    };
}

/// The rule set as CSV text.
pub fn write(rs: &RuleSet) -> String {
    let columns = match rs.task {
        Task::Classification => CLASSIFICATION_COLUMNS,
        Task::Regression => REGRESSION_COLUMNS,
    };
    let mut out = columns.join(",");
    out.push('\n');
    for (i, r) in rs.rules.iter().enumerate() {
        line(
            &mut out,
            rs.task,
            &(i + 1).to_string(),
            &r.describe_conditions(&rs.features),
            &rs.describe_outcome(r.outcome),
            &r.stats,
        );
    }
    line(&mut out, rs.task, "default", "otherwise", &rs.describe_outcome(rs.default), &rs.default_stats);
    out
}
