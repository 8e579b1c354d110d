//! The monitoring report as Markdown: a summary first, then one section per part with its
//! table, so it reads in a browser, a wiki or a merge request as it is.

use std::fmt::Write as _;

use super::{DriftLevel, MonitorReport};
use crate::model::Task;

/// A share as a percentage with one decimal.
fn percent(v: f64) -> String {
    if v.is_nan() { "–".to_owned() } else { format!("{:.1} %", v * 100.0) }
}

fn fixed(v: f64, decimals: usize) -> String {
    if v.is_finite() { format!("{v:.decimals$}") } else { "–".to_owned() }
}

fn optional(v: Option<f64>, decimals: usize) -> String {
    v.map_or_else(|| "–".to_owned(), |v| fixed(v, decimals))
}

fn number(v: Option<f64>) -> String {
    v.map_or_else(|| "–".to_owned(), |v| crate::rules::score::significant(v, 4))
}

/// A table cell: pipes escaped, line breaks as spaces.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace(['\n', '\r'], " ")
}

fn names(list: &[&str]) -> String {
    if list.is_empty() { "none".to_owned() } else { list.join(", ") }
}

/// Renders the whole report.
#[allow(clippy::too_many_lines)] // one section after another
pub(super) fn render(r: &MonitorReport) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# Monitoring report: {}\n", cell(&r.data));
    let _ = writeln!(out, "{} new rows compared with the {} training rows of {}.\n", r.rows, r.training_rows, r.model);

    out.push_str("## Summary\n\n");
    let major: Vec<&str> = r.major().map(|f| f.name.as_str()).collect();
    let moderate: Vec<&str> =
        r.features.iter().filter(|f| f.drift == DriftLevel::Moderate).map(|f| f.name.as_str()).collect();
    let _ = writeln!(out, "- Features with major drift: {}.", names(&major));
    let _ = writeln!(out, "- Features with moderate drift: {}.", names(&moderate));
    let _ = writeln!(
        out,
        "- Outside the training envelope: {} of the new rows (training rows: {} by construction).",
        percent(r.envelope.outside),
        percent(r.envelope.training_outside)
    );
    let _ = writeln!(out, "- Predictions: PSI {} ({}).", fixed(r.predictions.psi, 3), r.predictions.drift.describe());
    let _ = writeln!(
        out,
        "- Rules: {} new rows are decided by a rule outside the region of its own training rows.",
        r.rules.unseen_rows
    );
    match &r.metrics {
        Some(m) => {
            let _ = writeln!(out, "- Metrics: {}", m.verdict);
        }
        None => out.push_str("- Metrics: the new data has no target values, so only the inputs are compared.\n"),
    }
    if let Some(t) = &r.time {
        match &t.drift_began {
            Some(p) => {
                let _ = writeln!(out, "- Major drift first appears in {p} ({}).", t.drift_began_features.join(", "));
            }
            None => {
                let _ = writeln!(out, "- No {} shows major drift.", t.unit.label());
            }
        }
    }
    out.push('\n');

    if !r.notes.is_empty() {
        out.push_str("## Notes on the data\n\n");
        for n in &r.notes {
            let _ = writeln!(out, "- {n}");
        }
        out.push('\n');
    }

    out.push_str("## Features\n\n");
    let _ = writeln!(
        out,
        "PSI on {} bins cut at the training quantiles (shares below {} count as {}); {}. Sampling alone gives a PSI \
         of about {} at these sizes.\n",
        r.settings.bins,
        r.settings.psi_floor,
        r.settings.psi_floor,
        r.levels,
        fixed(r.psi_noise, 4)
    );
    out.push_str(
        "| Feature | PSI | KS | Outside range | Missing then | Missing now | Median then | Median now | Drift |\n",
    );
    out.push_str("|---|---:|---:|---:|---:|---:|---:|---:|---|\n");
    for f in &r.features {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            cell(&f.name),
            fixed(f.psi, 3),
            optional(f.ks, 3),
            percent(f.outside_range),
            percent(f.missing_then),
            percent(f.missing_now),
            number(f.median_then),
            number(f.median_now),
            if f.drift == DriftLevel::None { "none".to_owned() } else { format!("**{}**", f.drift.label()) }
        );
    }
    out.push('\n');

    out.push_str("## Envelope\n\n");
    let e = &r.envelope;
    let _ = writeln!(
        out,
        "{} of the new rows lie outside a training range; of the {} rows within every range whose combination was \
         checked{}, {} are unlike the training rows (k-nearest-neighbour distance above the 99th percentile of the \
         training rows'). Estimated share outside the envelope: **{}**.\n",
        percent(e.outside_range),
        e.checked_rows,
        if e.sampled { " (a seeded sample)" } else { "" },
        percent(e.unlike_checked),
        percent(e.outside)
    );
    if !e.features.is_empty() {
        out.push_str("| Feature | Rows outside its range | Checked rows unlike training, differing most here |\n");
        out.push_str("|---|---:|---:|\n");
        for f in &e.features {
            let _ = writeln!(out, "| {} | {} | {} |", cell(&f.name), f.outside_range_rows, f.unlike_rows);
        }
        out.push('\n');
    }

    out.push_str("## Predictions\n\n");
    let p = &r.predictions;
    let _ = writeln!(out, "PSI {} ({}).\n", fixed(p.psi, 3), p.drift.describe());
    match r.task {
        Task::Classification => {
            out.push_str("| Class | Training rows | New rows |\n|---|---:|---:|\n");
            for c in &p.classes {
                let _ = writeln!(out, "| {} | {} | {} |", cell(&c.class), percent(c.then), percent(c.now));
            }
        }
        Task::Regression => {
            out.push_str("| Quantile | Training rows | New rows |\n|---|---:|---:|\n");
            for q in &p.quantiles {
                let _ = writeln!(out, "| {} | {} | {} |", fixed(q.q, 2), number(Some(q.then)), number(Some(q.now)));
            }
            let _ = writeln!(out, "| mean | {} | {} |", number(p.mean_then), number(p.mean_now));
        }
    }
    out.push('\n');

    out.push_str("## Rules\n\n");
    let _ = writeln!(
        out,
        "Rules: {}. PSI of the shares of rows each decides: {} ({}). *Unseen* counts the new rows a rule decides \
         that lie outside the region of its own training rows.\n",
        r.rules.source,
        fixed(r.rules.psi, 3),
        r.rules.drift.describe()
    );
    out.push_str("| Rule | Training rows | New rows | Unseen | |\n|---|---:|---:|---:|---|\n");
    for f in &r.rules.rules {
        let flag = if f.never_fired_in_training { " (never fired in training)" } else { "" };
        let _ = writeln!(
            out,
            "| {} | {} ({}) | {} ({}) | {} | {}{flag} |",
            f.rule,
            f.train_rows,
            percent(f.train_share),
            f.new_rows,
            percent(f.new_share),
            f.unseen_rows,
            cell(&f.text)
        );
    }
    out.push('\n');

    if let Some(m) = &r.metrics {
        out.push_str("## Metrics\n\n");
        let _ = writeln!(out, "{}\n", m.verdict);
        let level = crate::rules::score::significant(m.confidence * 100.0, 3);
        let _ = writeln!(
            out,
            "{} held-out rows, {} new rows with the target; {level} % intervals from {} bootstrap resamples of each.\n",
            m.held_out_rows, m.rows, m.resamples
        );
        out.push_str("| Metric | Held-out | New data | Difference | Beyond chance |\n|---|---:|---:|---:|---|\n");
        let est = |e: &super::Estimate| format!("{} [{}, {}]", fixed(e.value, 3), fixed(e.low, 3), fixed(e.high, 3));
        for c in &m.metrics {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} |",
                cell(&c.name),
                est(&c.held_out),
                est(&c.new),
                est(&c.difference),
                if c.beyond_chance { "yes" } else { "no" }
            );
        }
        if m.roc_auc_held_out.is_some() || m.roc_auc_new.is_some() {
            let _ =
                writeln!(out, "| ROC AUC | {} | {} | | |", optional(m.roc_auc_held_out, 3), optional(m.roc_auc_new, 3));
        }
        out.push('\n');
    }

    if let (Some(t), Some(periods)) = (&r.time, &r.periods) {
        let _ = writeln!(out, "## Per {}\n", t.unit.label());
        let _ = writeln!(
            out,
            "By the timestamp column '{}'{}.\n",
            cell(&t.column),
            if t.rows_without_time > 0 {
                format!("; {} rows without a time are in no period", t.rows_without_time)
            } else {
                String::new()
            }
        );
        let first_metric = r.metrics.as_ref().and_then(|m| m.metrics.first()).map(|m| (m.key.clone(), m.name.clone()));
        out.push_str(
            "| Period | Rows | Outside envelope | Prediction PSI | Rule PSI | Rows outside their rule's region | Major \
             drift | Moderate drift |",
        );
        if let Some((_, name)) = &first_metric {
            let _ = write!(out, " {} |", cell(name));
        }
        out.push_str("\n|---|---:|---:|---:|---:|---:|---|---|");
        if first_metric.is_some() {
            out.push_str("---:|");
        }
        out.push('\n');
        for p in periods {
            let at = |level: DriftLevel| {
                let list: Vec<&str> = p.features.iter().filter(|f| f.drift == level).map(|f| f.name.as_str()).collect();
                cell(&names(&list))
            };
            let _ = write!(
                out,
                "| {} | {} | {} | {} | {} | {} | {} | {} |",
                cell(&p.label),
                p.rows,
                percent(p.outside_envelope),
                fixed(p.prediction_psi, 3),
                fixed(p.rule_psi, 3),
                p.rule_unseen_rows,
                at(DriftLevel::Major),
                at(DriftLevel::Moderate)
            );
            if let Some((key, _)) = &first_metric {
                let v = p.metrics.as_ref().and_then(|m| m.iter().find(|x| &x.key == key)).map(|x| x.value);
                let _ = write!(out, " {} |", optional(v, 3));
            }
            out.push('\n');
        }
        out.push('\n');
    }
    out
}
