//! `glassbox compare A.glassbox B.glassbox --data FILE [--json]`: two models on the same rows:
//! metrics side by side, how often they agree and where not, importance side by side, the rule
//! changes (every threshold that moved) and the line diff of their Structured Text.

use std::fmt::Write as _;
use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::{ReadArgs, read_data};
use crate::compare::{CompareOptions, Comparison, RuleChoice, compare};
use crate::explain::permutation::PermutationOptions;
use crate::project::Project;
use crate::rules::compute::SURROGATE_DEPTH;

/// `--rules` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RulesArg {
    /// One rule per leaf of each model's tree (a surrogate tree for an SVM), as `export` writes.
    Tree,
    /// Each project's saved rule set, as `export --from rules` writes.
    Saved,
}

/// Arguments of `compare`.
#[derive(Debug, Args)]
pub struct CompareArgs {
    /// The first project (usually the model in use).
    pub a: PathBuf,
    /// The second project (usually its retrained successor).
    pub b: PathBuf,
    /// The rows both models are run on (with the target column for metrics and importance).
    #[arg(long)]
    pub data: PathBuf,
    /// The rules compared.
    #[arg(long, value_enum, default_value = "tree")]
    pub rules: RulesArg,
    /// Regression: predictions within this distance count as agreeing (default: equal).
    #[arg(long, value_name = "X")]
    pub tolerance: Option<f64>,
    /// Shuffles per feature for the permutation importance.
    #[arg(long, default_value_t = 5)]
    pub repeats: usize,
    /// Seed of the shuffles.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Rows listed where the models disagree (text output; JSON lists every one).
    #[arg(long, value_name = "N", default_value_t = 20)]
    pub show: usize,
    /// Depth of the surrogate tree for an SVM.
    #[arg(long, value_name = "N", default_value_t = SURROGATE_DEPTH)]
    pub surrogate_depth: u16,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub read: ReadArgs,
}

pub(super) fn run(args: &CompareArgs) -> anyhow::Result<()> {
    let a = Project::load(&args.a)?;
    let b = Project::load(&args.b)?;
    let (ds, _) = read_data(&args.data, &args.read)?;
    let tolerance = args.tolerance.unwrap_or(0.0);
    crate::cli::ensure_usage!(tolerance >= 0.0 && tolerance.is_finite(), "--tolerance must be 0 or more");
    let options = CompareOptions {
        rules: match args.rules {
            RulesArg::Tree => RuleChoice::Tree,
            RulesArg::Saved => RuleChoice::Saved,
        },
        surrogate_depth: args.surrogate_depth,
        permutation: PermutationOptions { n_repeats: args.repeats.max(1), seed: args.seed },
        tolerance,
    };
    let bar = super::progress::Reporter::start("comparing");
    let c = compare(&a, &b, &ds, &args.data, &options, bar.progress())?;
    drop(bar);
    if args.json {
        let mut v = serde_json::to_value(&c)?;
        if let Some(o) = v.as_object_mut() {
            o.insert("a".into(), args.a.display().to_string().into());
            o.insert("b".into(), args.b.display().to_string().into());
            o.insert("data".into(), args.data.display().to_string().into());
        }
        return super::io::print_text(&format!("{}\n", serde_json::to_string_pretty(&v)?));
    }
    let described = [describe(&args.a, &a), describe(&args.b, &b)];
    super::io::print_text(&text(args, &described, &c))
}

/// `a.glassbox (version 2, retrained on new data, 2031-05-06T00:00:00Z)`.
fn describe(path: &std::path::Path, p: &Project) -> String {
    let mut p = p.clone();
    p.record_current();
    match p.current_version() {
        Some(v) => format!(
            "{} (version {}, {}, {})",
            path.display(),
            v.number,
            v.origin.describe(),
            v.date.as_deref().unwrap_or("date not recorded")
        ),
        None => path.display().to_string(),
    }
}

fn signed(v: f64) -> String {
    if v >= 0.0 { format!("+{v:.4}") } else { format!("{v:.4}") }
}

/// The comparison as people read it.
fn text(args: &CompareArgs, described: &[String; 2], c: &Comparison) -> String {
    let mut out = String::new();
    let [a, b] = described;
    let _ = writeln!(out, "A: {a}");
    let _ = writeln!(out, "B: {b}");
    let _ = writeln!(
        out,
        "on {} rows of {} ({} with an actual '{}' both can score)\n",
        c.rows,
        super::io::shown(&args.data),
        c.scored_rows,
        c.target
    );
    if !c.metrics.is_empty() {
        let _ = writeln!(out, "{:<28} {:>10} {:>10} {:>10}", "metric on these rows", "A", "B", "B − A");
        for m in &c.metrics {
            let show = |v: Option<f64>| v.map_or_else(|| "–".to_owned(), |v| format!("{v:.4}"));
            let delta = match (m.a, m.b) {
                (Some(a), Some(b)) => signed(b - a),
                _ => "–".to_owned(),
            };
            let _ = writeln!(out, "{:<28} {:>10} {:>10} {:>10}", m.label, show(m.a), show(m.b), delta);
        }
        out.push('\n');
    }
    let g = &c.agreement;
    let _ =
        write!(out, "agreement: the models decide alike on {} of {} rows ({:.2} %)", g.agree, g.rows, g.share * 100.0);
    if let (Some(mean), Some(max)) = (g.mean_abs_difference, g.max_abs_difference) {
        let _ = write!(out, "; predictions differ by {mean:.4} on average, {max:.4} at most");
    }
    out.push('\n');
    if !c.disagreements.is_empty() {
        let _ = writeln!(
            out,
            "rows where they differ (data row counted from 1{}):",
            if c.disagreements.len() > args.show {
                format!("; the first {} of {}, --json lists all", args.show, c.disagreements.len())
            } else {
                String::new()
            }
        );
        for d in c.disagreements.iter().take(args.show) {
            let _ = write!(out, "  row {:>7}  A {:<12} B {:<12}", d.row + 1, d.a, d.b);
            if let Some(actual) = &d.actual {
                let _ = write!(out, " actual {actual}");
            }
            out.push('\n');
        }
    }
    if !c.importance.is_empty() {
        let _ = writeln!(
            out,
            "\nimportance: drop in {} when the feature is shuffled ({} repeats)",
            c.importance_score, args.repeats
        );
        let _ = writeln!(out, "{:<28} {:>18} {:>18}", "feature", "A", "B");
        for r in &c.importance {
            let show = |m: Option<f64>, s: Option<f64>| match (m, s) {
                (Some(m), Some(s)) => format!("{m:.4} ± {s:.4}"),
                (Some(m), None) => format!("{m:.4}"),
                _ => "not a feature".to_owned(),
            };
            let _ = writeln!(out, "{:<28} {:>18} {:>18}", r.feature, show(r.a, r.a_std), show(r.b, r.b_std));
        }
    }
    out.push_str(&rules_text(c));
    for n in &c.notes {
        let _ = writeln!(out, "note: {n}");
    }
    out
}

/// The rule changes and the Structured Text diff.
fn rules_text(c: &Comparison) -> String {
    let mut out = String::new();
    let d = &c.rules;
    let _ = writeln!(
        out,
        "\nrules (paired by the features and directions they test and their outcome): {} unchanged, {} changed, \
         {} removed, {} added",
        d.unchanged.len(),
        d.changed.len(),
        d.removed.len(),
        d.added.len()
    );
    let rule = |rules: &[String], i: usize| rules.get(i).cloned().unwrap_or_default();
    for ch in &d.changed {
        let _ = writeln!(out, "changed  A{} → B{}: {}", ch.a + 1, ch.b + 1, rule(&d.b_rules, ch.b));
        for t in &ch.thresholds {
            let _ = writeln!(out, "           {}", t.describe());
        }
        for l in &ch.levels {
            let _ = writeln!(out, "           {}", l.describe());
        }
        if let Some(o) = &ch.outcome {
            let _ = writeln!(out, "           outcome {} → {}", o.from, o.to);
        }
    }
    for &i in &d.removed {
        let _ = writeln!(out, "removed  A{}: {}", i + 1, rule(&d.a_rules, i));
    }
    for &j in &d.added {
        let _ = writeln!(out, "added    B{}: {}", j + 1, rule(&d.b_rules, j));
    }
    if let Some(o) = &d.default {
        let _ = writeln!(out, "default  {} → {}", o.from, o.to);
    }
    match &c.structured_text {
        Some(st) if st.is_empty() => {
            let _ = writeln!(out, "\nStructured Text: the same {} lines", st.a_lines);
        }
        Some(st) => {
            let _ = writeln!(
                out,
                "\nStructured Text: {} lines removed, {} added ({} lines in A, {} in B)",
                st.removed, st.added, st.a_lines, st.b_lines
            );
            out.push_str(&st.unified);
            if !st.unified.ends_with('\n') {
                out.push('\n');
            }
        }
        None => {}
    }
    out
}
