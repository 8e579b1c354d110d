//! New data for an existing model: checking that it holds what the model reads, and appending
//! its rows to the project's data.
//!
//! [`check_columns`] compares a dataset with what a model was trained on and names, per column,
//! what differs: a column that is missing (and, when the data has the same quantity under
//! another unit, `Torque [kNm]` for `Torque [Nm]`, says so), text where the model had numbers
//! (with examples and where the first is), numbers where it had categories, a target that
//! cannot be predicted as before. These stop a retrain. Values that mostly lie outside the
//! training range (a sensor in °C where the model knew K) and category levels or classes the
//! model never saw are warnings.
//!
//! [`append_rows`] puts a second dataset under the first, column by column by name: numbers stay
//! numbers, category levels are merged (in the order the reader sorts them) and the codes of both
//! parts renumbered, a column the second part lacks is missing there. The same function joins a
//! project's data files when the project is opened again, so a model trained on appended rows
//! finds exactly those rows.

use std::path::Path;

use crate::data::{Column, ColumnKind, Dataset, split_unit};
use crate::error::{Error, Location, Result};
use crate::model::pipeline::{FeatureKind, FeatureSpec};
use crate::model::{Task, TrainedModel};

/// What a check found that does not stop the work.
pub type Warnings = Vec<String>;

/// How strictly [`check_columns`] treats a category column that now holds numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Use {
    /// The data will train a model: every column must have the kind it had.
    Training,
    /// The data will be predicted: numbers in a category column are matched with the levels by
    /// their text, as predicting does.
    Predicting,
}

/// Checks that `ds` (read from `path`) holds the model's features (and its target, when
/// `target` is true) with the kinds and units the model was trained on.
///
/// # Errors
/// One message naming every column that stops the work and what differs.
pub fn check_columns(model: &TrainedModel, ds: &Dataset, path: &Path, target: bool, usage: Use) -> Result<Warnings> {
    const SHOWN: usize = 6;
    let mut problems: Vec<(String, String)> = Vec::new();
    let mut warnings = Vec::new();
    for spec in &model.pipeline.features {
        let Some(column) = ds.column(&spec.name) else {
            problems.push((spec.name.clone(), missing(&spec.name, spec.unit.as_deref(), ds)));
            continue;
        };
        match (spec.kind, column.kind.has_levels()) {
            (FeatureKind::Numeric, true) => {
                problems.push((spec.name.clone(), text_where_numbers(column)));
            }
            (FeatureKind::Categorical, false) if usage == Use::Training => problems.push((
                spec.name.clone(),
                format!(
                    "column '{}' holds numbers where the model has categories ({})",
                    spec.name,
                    shortlist(&spec.levels)
                ),
            )),
            (FeatureKind::Numeric, false) => warnings.extend(range_warning(spec, column)),
            (FeatureKind::Categorical, _) => {
                let new: Vec<&String> = column.levels.iter().filter(|l| !spec.levels.contains(l)).collect();
                if !new.is_empty() {
                    warnings.push(format!(
                        "column '{}' has categories the model's data did not: {}",
                        spec.name,
                        shortlist(&new)
                    ));
                }
            }
        }
    }
    if target {
        check_target(model, ds, &mut problems, &mut warnings);
    }
    for w in ds.warnings.iter().filter(|w| model.pipeline.features.iter().any(|f| w.contains(&format!("'{}'", f.name))))
    {
        warnings.push(w.clone());
    }
    if problems.is_empty() {
        return Ok(warnings);
    }
    let mut location = Location::file(path);
    if let [(column, _)] = problems.as_slice() {
        location = location.with_column(column.clone());
    }
    let mut text: Vec<String> = problems.iter().take(SHOWN).map(|(_, p)| p.clone()).collect();
    if problems.len() > SHOWN {
        text.push(format!("and {} more", problems.len() - SHOWN));
    }
    Err(Error::data(format!("the data does not fit the model: {}", text.join("; ")), location))
}

/// The target column's problems (missing, text for a number) and warnings (new classes).
fn check_target(model: &TrainedModel, ds: &Dataset, problems: &mut Vec<(String, String)>, warnings: &mut Warnings) {
    let name = &model.target;
    let Some(column) = ds.column(name) else {
        let (_, unit) = split_unit(name);
        problems.push((name.clone(), format!("the target {}", missing(name, unit, ds))));
        return;
    };
    match model.task {
        Task::Regression if column.kind.has_levels() => {
            problems.push((name.clone(), format!("the target {}", text_where_numbers(column))));
        }
        Task::Regression => {}
        Task::Classification => {
            let mut seen: Vec<String> = column
                .values
                .iter()
                .filter(|v| !v.is_nan())
                .map(|&v| column.format_value(v))
                .collect::<std::collections::BTreeSet<_>>()
                .into_iter()
                .collect();
            seen.retain(|c| !model.classes.contains(c));
            if !seen.is_empty() {
                warnings.push(format!(
                    "the target '{name}' has classes the model did not know: {}; a retrained model learns them",
                    shortlist(&seen)
                ));
            }
        }
    }
}

/// "column 'X' is not in the data", with the same quantity under another unit or the closest
/// name when there is one.
fn missing(name: &str, unit: Option<&str>, ds: &Dataset) -> String {
    let (base, _) = split_unit(name);
    let same_base = ds.columns.iter().find(|c| {
        let (b, _) = split_unit(&c.name);
        b.trim().eq_ignore_ascii_case(base.trim()) && c.name != name
    });
    match (same_base, unit) {
        (Some(c), Some(unit)) => match c.unit.as_deref() {
            Some(other) => format!(
                "column '{name}' is not in the data, which has '{}': the same quantity in {other} where the model \
                 has {unit}; convert the values to {unit} and name the column '{name}'",
                c.name
            ),
            None => format!(
                "column '{name}' is not in the data, which has '{}' without a unit; if its values are in {unit}, \
                 name it '{name}'",
                c.name
            ),
        },
        (Some(c), None) => format!(
            "column '{name}' is not in the data, which has '{}' (in {}); the model's column has no unit: check the \
             values are in the same unit and name the column '{name}'",
            c.name,
            c.unit.as_deref().unwrap_or("another unit")
        ),
        (None, _) => match crate::model::train::closest(name, ds.columns.iter().map(|c| c.name.as_str())) {
            Some(near) => format!(
                "column '{name}' is not in the data; its closest column is '{near}': rename it if it holds the same"
            ),
            None => format!("column '{name}' is not in the data"),
        },
    }
}

/// "column 'X' holds text where the model has numbers: 'high', 'n.a.' (first in data row 3)".
fn text_where_numbers(column: &Column) -> String {
    let is_number = |t: &str| t.trim().replace(',', ".").parse::<f64>().is_ok();
    let texts: Vec<(usize, &String)> = column.levels.iter().enumerate().filter(|(_, l)| !is_number(l)).collect();
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let first_row = column
        .values
        .iter()
        .position(|&v| !v.is_nan() && v >= 0.0 && texts.iter().any(|(code, _)| *code == v as usize));
    let examples: Vec<String> = texts.iter().take(3).map(|(_, t)| format!("'{t}'")).collect();
    match first_row {
        Some(r) if !examples.is_empty() => format!(
            "column '{}' holds text where the model has numbers: {}{} (first in data row {})",
            column.name,
            examples.join(", "),
            if texts.len() > 3 { format!(" and {} more", texts.len() - 3) } else { String::new() },
            r + 1
        ),
        _ => format!(
            "column '{}' was read as text ({}) where the model has numbers; check its decimal separator",
            column.name,
            column.kind.label()
        ),
    }
}

/// A warning when the middle half of a column's values lies outside the range the model was
/// trained on: the mark of another unit or another sensor.
fn range_warning(spec: &FeatureSpec, column: &Column) -> Option<String> {
    let mut values: Vec<f64> = column.values.iter().copied().filter(|v| v.is_finite()).collect();
    if values.is_empty() || !(spec.min.is_finite() && spec.max.is_finite()) || spec.max <= spec.min {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let at = |q: f64| {
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let i = ((values.len() - 1) as f64 * q).round() as usize;
        values.get(i).copied().unwrap_or(f64::NAN)
    };
    let (q1, median, q3) = (at(0.25), at(0.5), at(0.75));
    (q1 > spec.max || q3 < spec.min).then(|| {
        format!(
            "column '{}': most new values lie outside the range the model was trained on ({} to {}); they lie \
             around {} ({} to {} for the middle half). Check the unit and the sensor",
            spec.name,
            crate::rules::number(spec.min),
            crate::rules::number(spec.max),
            crate::rules::number(median),
            crate::rules::number(q1),
            crate::rules::number(q3)
        )
    })
}

fn shortlist<S: AsRef<str>>(items: &[S]) -> String {
    let shown: Vec<&str> = items.iter().take(8).map(AsRef::as_ref).collect();
    let more = items.len().saturating_sub(shown.len());
    if more > 0 { format!("{} and {more} more", shown.join(", ")) } else { shown.join(", ") }
}

/// The rows of `more` under those of `first`, column by column by name, in `first`'s column
/// order and with its roles; notes say which columns one part lacks.
///
/// # Errors
/// When the joined columns cannot form a dataset (they always have equal lengths here).
pub fn append_rows(first: &Dataset, more: &Dataset) -> Result<(Dataset, Warnings)> {
    let mut notes = Vec::new();
    let mut columns = Vec::with_capacity(first.columns.len());
    for a in &first.columns {
        let column = match more.column(&a.name) {
            Some(b) => join(a, b),
            None => {
                notes.push(format!("column '{}' is not in the appended data; its cells are missing there", a.name));
                let mut values = a.values.clone();
                values.resize(first.n_rows() + more.n_rows(), f64::NAN);
                Column::new(a.name.clone(), a.kind, values, a.levels.clone())
            }
        };
        columns.push(column);
    }
    for b in more.columns.iter().filter(|b| first.column(&b.name).is_none()) {
        notes.push(format!("column '{}' of the appended data is not in the project's data and is left out", b.name));
    }
    let mut ds = Dataset::new(format!("{} + {}", first.name, more.name), columns)?;
    for (c, a) in ds.columns.iter_mut().zip(&first.columns) {
        c.role = a.role;
        c.note.clone_from(&a.note);
    }
    ds.source.clone_from(&first.source);
    ds.warnings = first.warnings.iter().chain(&more.warnings).cloned().collect();
    Ok((ds, notes))
}

/// One column of `a`'s rows followed by `b`'s.
fn join(a: &Column, b: &Column) -> Column {
    let numeric = |k: ColumnKind| k.is_numeric();
    if a.kind == b.kind && !a.kind.has_levels() {
        return Column::new(a.name.clone(), a.kind, a.values.iter().chain(&b.values).copied().collect(), Vec::new());
    }
    if numeric(a.kind) && numeric(b.kind) {
        let kind = if a.kind == ColumnKind::Float || b.kind == ColumnKind::Float {
            ColumnKind::Float
        } else {
            ColumnKind::Integer
        };
        return Column::new(a.name.clone(), kind, a.values.iter().chain(&b.values).copied().collect(), Vec::new());
    }
    // Levels of both parts (a part without levels contributes its values as text), merged and
    // sorted as the reader sorts them, every code renumbered.
    let texts = |c: &Column| -> Vec<Option<String>> {
        c.values.iter().map(|&v| (!v.is_nan()).then(|| c.format_value(v))).collect()
    };
    let (ta, tb) = (texts(a), texts(b));
    let mut levels: Vec<String> = ta.iter().chain(&tb).flatten().cloned().collect();
    levels.sort_by(|x, y| crate::data::natural_cmp(x, y));
    levels.dedup();
    let values = ta
        .iter()
        .chain(&tb)
        .map(|t| {
            t.as_ref()
                .and_then(|t| levels.binary_search_by(|l| crate::data::natural_cmp(l, t)).ok())
                .map_or(f64::NAN, |i| i as f64)
        })
        .collect();
    let kind = if a.kind == ColumnKind::Categorical && b.kind == ColumnKind::Categorical {
        ColumnKind::Categorical
    } else {
        ColumnKind::Text
    };
    Column::new(a.name.clone(), kind, values, levels)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ds(columns: Vec<Column>) -> Dataset {
        Dataset::new("t", columns).expect("dataset")
    }

    #[test]
    fn appending_merges_levels_and_keeps_numbers() {
        let a = ds(vec![
            Column::new("Torque [Nm]", ColumnKind::Float, vec![1.5, 2.5], Vec::new()),
            Column::new("Type", ColumnKind::Categorical, vec![0.0, 1.0], vec!["L".into(), "M".into()]),
            Column::new("Count", ColumnKind::Integer, vec![1.0, 2.0], Vec::new()),
        ]);
        let b = ds(vec![
            Column::new("Type", ColumnKind::Categorical, vec![0.0, 1.0, f64::NAN], vec!["H".into(), "M".into()]),
            Column::new("Torque [Nm]", ColumnKind::Integer, vec![3.0, 4.0, 5.0], Vec::new()),
            Column::new("Extra", ColumnKind::Float, vec![0.0, 0.0, 0.0], Vec::new()),
        ]);
        let (c, notes) = append_rows(&a, &b).expect("appends");
        assert_eq!(c.n_rows(), 5);
        let torque = c.column("Torque [Nm]").expect("torque");
        assert_eq!(torque.kind, ColumnKind::Float);
        assert_eq!(torque.values, [1.5, 2.5, 3.0, 4.0, 5.0]);
        let ty = c.column("Type").expect("type");
        assert_eq!(ty.levels, ["H", "L", "M"]);
        let shown: Vec<String> = (0..5).map(|r| ty.display_value(r)).collect();
        assert_eq!(shown, ["L", "M", "H", "M", ""]);
        assert!(c.column("Count").expect("count").values[2..].iter().all(|v| v.is_nan()));
        assert!(c.column("Extra").is_none());
        assert_eq!(notes.len(), 2, "{notes:?}");
    }
}
