//! New data against the model: which column feeds each feature, in the model's raw feature space
//! (numbers as they are, categories as the index of their training level, −1 for a level the
//! model never saw, `NaN` for missing), the actual target when the data holds it, and the
//! timestamps for periods.
//!
//! New data is a different file from the training data, so it can differ in ways that would make
//! every figure wrong without an error: a column renamed or gone, text where numbers were, a
//! category level never seen. Each is said with the column's name and what differs:
//! - a feature with no column stops the monitor (with the closest column's name); so does a
//!   numeric feature whose cells are mostly text;
//! - a column matched by name ignoring case and surrounding spaces, numbers written with a
//!   decimal comma, a few text cells in a numeric column (read as missing), levels never seen,
//!   target classes the model does not know and the columns that are ignored each get a note.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt::Write as _;

use super::MonitorSettings;
use crate::data::{Column, ColumnKind, Dataset, Role};
use crate::error::{Error, Location, Result};
use crate::model::pipeline::{FeatureKind, FeatureSpec};
use crate::model::{Task, TrainedModel};

/// The new rows in the model's raw feature space, with what else monitoring needs of them.
pub(super) struct NewRows<'a> {
    /// Number of rows.
    pub n_rows: usize,
    /// One column per model feature, in model order.
    pub columns: Vec<Cow<'a, [f64]>>,
    /// The actual class index or value of each row (`NaN` when unknown), when the data holds
    /// the target.
    pub actual: Option<Vec<f64>>,
    /// The timestamp column's name and its values in seconds, when periods are asked for.
    pub times: Option<(String, &'a [f64])>,
}

/// Normalised name for forgiving matches.
fn loose(name: &str) -> String {
    name.trim().to_lowercase()
}

/// The column of `new` named `name`: exactly, else ignoring case and surrounding spaces (with a
/// note).
fn find<'a>(new: &'a Dataset, name: &str, what: &str, notes: &mut Vec<String>) -> Option<&'a Column> {
    if let Some(c) = new.column(name) {
        return Some(c);
    }
    let c = new.columns.iter().find(|c| loose(&c.name) == loose(name))?;
    notes.push(format!("column '{}' is read as the {what} '{name}' (the names differ in case or spaces)", c.name));
    Some(c)
}

/// Reads a cell of text as a number: as written, or with a decimal comma (`12,5`). The second
/// value is true when the comma was needed.
fn parse_number(text: &str) -> Option<(f64, bool)> {
    let t = text.trim();
    if let Ok(v) = t.parse::<f64>() {
        return v.is_finite().then_some((v, false));
    }
    if t.contains(',') && !t.contains('.') {
        let v = t.replacen(',', ".", 1).parse::<f64>().ok()?;
        return v.is_finite().then_some((v, true));
    }
    None
}

/// Up to three examples, quoted and joined.
fn examples<'s>(texts: impl Iterator<Item = &'s str>) -> String {
    texts.take(3).map(|t| format!("'{t}'")).collect::<Vec<_>>().join(", ")
}

/// How many cells hold each code of a text column.
fn code_counts(c: &Column) -> Vec<usize> {
    let mut counts = vec![0usize; c.levels.len()];
    for &v in &c.values {
        if v >= 0.0 {
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // a level code
            if let Some(n) = counts.get_mut(v as usize) {
                *n += 1;
            }
        }
    }
    counts
}

/// A numeric feature's values from a column that arrived as text: cells that read as numbers
/// are kept; the rest are missing, with a note, or an error when they are most of the column.
fn numbers_from_text(c: &Column, notes: &mut Vec<String>) -> std::result::Result<Vec<f64>, String> {
    let parsed: Vec<Option<(f64, bool)>> = c.levels.iter().map(|l| parse_number(l)).collect();
    let counts = code_counts(c);
    let present: usize = counts.iter().sum();
    let numbers: usize = counts.iter().zip(&parsed).filter(|(_, p)| p.is_some()).map(|(n, _)| n).sum();
    let comma: usize =
        counts.iter().zip(&parsed).filter(|(_, p)| p.is_some_and(|(_, comma)| comma)).map(|(n, _)| n).sum();
    let bad_levels =
        || c.levels.iter().zip(&parsed).zip(&counts).filter(|((_, p), n)| p.is_none() && **n > 0).map(|((l, _), _)| l);
    if numbers * 2 < present {
        return Err(format!(
            "column '{}' holds text where the model was trained on numbers (for example {}); check the column \
             or the export settings",
            c.name,
            examples(bad_levels().map(String::as_str))
        ));
    }
    if comma > 0 {
        notes.push(format!(
            "column '{}': {comma} cells are written with a decimal comma (for example {}) and were read as such; \
             the training data used a decimal point",
            c.name,
            examples(c.levels.iter().zip(&parsed).filter(|(_, p)| p.is_some_and(|(_, k)| k)).map(|(l, _)| l.as_str()))
        ));
    }
    if numbers < present {
        notes.push(format!(
            "column '{}' arrived as text: {} of {present} cells are not numbers (for example {}) and count as missing",
            c.name,
            present - numbers,
            examples(bad_levels().map(String::as_str))
        ));
    }
    let value_of: Vec<f64> = parsed.iter().map(|p| p.map_or(f64::NAN, |(v, _)| v)).collect();
    Ok(c.values
        .iter()
        .map(|&v| {
            if v.is_nan() || v < 0.0 {
                return f64::NAN;
            }
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // a level code
            value_of.get(v as usize).copied().unwrap_or(f64::NAN)
        })
        .collect())
}

/// A categorical feature's level codes from a new column (levels matched by their text, then
/// ignoring case and spaces; −1 for a level never seen, with a note naming them).
fn codes(spec: &FeatureSpec, c: &Column, notes: &mut Vec<String>) -> Vec<f64> {
    let level_of = |text: &str| -> f64 {
        let exact = spec.levels.iter().position(|l| l == text);
        let loose_match = || spec.levels.iter().position(|l| loose(l) == loose(text));
        exact.or_else(loose_match).map_or(-1.0, |k| k as f64)
    };
    let mut unseen: Vec<(String, usize)> = Vec::new();
    let values: Vec<f64> = if c.kind.has_levels() {
        let map: Vec<f64> = c.levels.iter().map(|l| level_of(l)).collect();
        for ((l, &m), n) in c.levels.iter().zip(&map).zip(code_counts(c)) {
            if m < 0.0 && n > 0 {
                unseen.push((l.clone(), n));
            }
        }
        c.values
            .iter()
            .map(|&v| {
                if v.is_nan() || v < 0.0 {
                    return f64::NAN;
                }
                #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // a level code
                map.get(v as usize).copied().unwrap_or(-1.0)
            })
            .collect()
    } else {
        // Numbers for a categorical feature: the levels are the numbers as text.
        let mut cache: HashMap<u64, f64> = HashMap::new();
        let mut unseen_counts: HashMap<u64, usize> = HashMap::new();
        let values = c
            .values
            .iter()
            .map(|&v| {
                if v.is_nan() {
                    return f64::NAN;
                }
                let code = *cache.entry(v.to_bits()).or_insert_with(|| level_of(&c.format_value(v)));
                if code < 0.0 {
                    *unseen_counts.entry(v.to_bits()).or_default() += 1;
                }
                code
            })
            .collect();
        let mut found: Vec<(f64, usize)> = unseen_counts.into_iter().map(|(b, n)| (f64::from_bits(b), n)).collect();
        found.sort_by(|a, b| a.0.total_cmp(&b.0));
        unseen.extend(found.into_iter().map(|(v, n)| (c.format_value(v), n)));
        values
    };
    if !unseen.is_empty() {
        unseen.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        let listed: Vec<String> = unseen.iter().take(5).map(|(l, n)| format!("'{l}' ({n} rows)")).collect();
        let more = if unseen.len() > 5 { format!(" and {} more", unseen.len() - 5) } else { String::new() };
        notes.push(format!(
            "column '{}' has levels the model never saw: {}{more}; the model treats them as none of its levels \
             (training levels: {})",
            c.name,
            listed.join(", "),
            spec.levels.join(", ")
        ));
    }
    values
}

/// The actual class index or value of each row of the new target column; `None` (with a note)
/// when it cannot give any.
fn actual_values(model: &TrainedModel, c: &Column, notes: &mut Vec<String>) -> Option<Vec<f64>> {
    let values: Vec<f64> = match model.task {
        Task::Regression => {
            if c.kind.has_levels() {
                let mut ignored = Vec::new();
                let v = numbers_from_text(c, &mut ignored);
                match v {
                    Ok(v) => {
                        notes.extend(ignored);
                        v
                    }
                    Err(e) => {
                        notes.push(format!("{e}; it is the target, so there are no metrics on the new data"));
                        return None;
                    }
                }
            } else {
                c.values.clone()
            }
        }
        Task::Classification => {
            let mut cache: HashMap<u64, f64> = HashMap::new();
            let mut unknown: Vec<(String, usize)> = Vec::new();
            let values: Vec<f64> = c
                .values
                .iter()
                .map(|&v| {
                    if v.is_nan() {
                        return f64::NAN;
                    }
                    *cache.entry(v.to_bits()).or_insert_with(|| {
                        let text = c.format_value(v);
                        model.classes.iter().position(|k| *k == text).map_or(f64::NAN, |k| k as f64)
                    })
                })
                .collect();
            for (bits, class) in &cache {
                if class.is_nan() {
                    let v = f64::from_bits(*bits);
                    let n = c.values.iter().filter(|&&x| x.to_bits() == *bits).count();
                    unknown.push((c.format_value(v), n));
                }
            }
            if !unknown.is_empty() {
                unknown.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
                let listed: Vec<String> = unknown.iter().take(5).map(|(l, n)| format!("'{l}' ({n} rows)")).collect();
                notes.push(format!(
                    "the target column '{}' has classes the model does not know: {}; those rows are left out of the \
                     metrics (the model's classes: {})",
                    c.name,
                    listed.join(", "),
                    model.classes.join(", ")
                ));
            }
            values
        }
    };
    if values.iter().all(|v| v.is_nan()) {
        notes.push(format!("the target column '{}' holds no usable value, so there are no metrics", c.name));
        return None;
    }
    Some(values)
}

/// The timestamp column for periods: the one the settings name, else the training data's
/// timestamp column. `None` (with a note where it helps) when there is none to use.
fn timestamps<'a>(
    training: &Dataset,
    new: &'a Dataset,
    settings: &MonitorSettings,
    notes: &mut Vec<String>,
) -> Result<Option<(String, &'a [f64])>> {
    if settings.period == super::PeriodChoice::Off {
        return Ok(None);
    }
    let column = match &settings.timestamp {
        Some(name) => Some(find(new, name, "timestamp column", notes).ok_or_else(|| {
            Error::invalid(format!(
                "the new data has no column '{name}' to take the time from{}",
                crate::model::train::suggest(new, name)
            ))
        })?),
        None => {
            let Some(name) = training.columns.iter().find(|c| c.role == Role::Timestamp).map(|c| c.name.as_str())
            else {
                return Ok(None);
            };
            let found = find(new, name, "timestamp column", notes);
            if found.is_none() {
                notes.push(format!(
                    "the training data's timestamp column '{name}' is not in the new data: no figures per period"
                ));
            }
            found
        }
    };
    let Some(c) = column else { return Ok(None) };
    if c.kind != ColumnKind::Timestamp {
        notes.push(format!(
            "column '{}' does not read as dates and times in the new data ({}): no figures per period",
            c.name,
            c.kind.label()
        ));
        return Ok(None);
    }
    Ok(Some((c.name.clone(), c.values.as_slice())))
}

/// Matches the new data to the model; see the module documentation for what is refused and
/// what is noted.
///
/// # Errors
/// No rows, a feature with no column, a numeric feature that arrived as text or dates, or a
/// `--timestamp` column that does not exist.
pub(super) fn read<'a>(
    model: &TrainedModel,
    training: &Dataset,
    new: &'a Dataset,
    settings: &MonitorSettings,
    notes: &mut Vec<String>,
) -> Result<NewRows<'a>> {
    let location = || new.source.as_ref().map(Location::file).unwrap_or_default();
    if new.n_rows() == 0 {
        return Err(Error::data("the new data has no rows", location()));
    }
    notes.extend(new.warnings.iter().map(|w| format!("reading the new data: {w}")));
    let mut problems: Vec<(String, String)> = Vec::new();
    let mut columns: Vec<Cow<'a, [f64]>> = Vec::with_capacity(model.n_features());
    let mut used: Vec<&str> = Vec::new();
    for spec in &model.pipeline.features {
        let Some(c) = find(new, &spec.name, "feature", notes) else {
            let names = || new.columns.iter().map(|c| c.name.as_str());
            // "Torque" for "Torque [Nm]": the name without its unit is tried too.
            let stem = spec.name.split(['[', '(']).next().unwrap_or_default().trim();
            let hint = crate::model::train::closest(&spec.name, names())
                .or_else(|| (!stem.is_empty()).then(|| crate::model::train::closest(stem, names())).flatten())
                .map(|h| format!(" (closest column: '{h}')"))
                .unwrap_or_default();
            problems.push((spec.name.clone(), format!("no column '{}'{hint}", spec.name)));
            columns.push(Cow::Owned(Vec::new()));
            continue;
        };
        used.push(&c.name);
        let trained_kind = training.column(&spec.name).map(|t| t.kind);
        let values: Cow<'a, [f64]> = match spec.kind {
            FeatureKind::Numeric if c.kind == ColumnKind::Timestamp && trained_kind != Some(ColumnKind::Timestamp) => {
                problems.push((
                    c.name.clone(),
                    format!("column '{}' holds dates where the model was trained on numbers", c.name),
                ));
                Cow::Owned(Vec::new())
            }
            FeatureKind::Numeric if c.kind.has_levels() => match numbers_from_text(c, notes) {
                Ok(v) => Cow::Owned(v),
                Err(e) => {
                    problems.push((c.name.clone(), e));
                    Cow::Owned(Vec::new())
                }
            },
            FeatureKind::Numeric => Cow::Borrowed(c.values.as_slice()),
            FeatureKind::Categorical => Cow::Owned(codes(spec, c, notes)),
        };
        columns.push(values);
    }
    if let Some((column, _)) = problems.first() {
        let list: Vec<&str> = problems.iter().map(|(_, p)| p.as_str()).collect();
        return Err(Error::data(
            format!(
                "the new data does not fit the model: {}; monitoring needs every feature the model reads, as it was \
                 trained",
                list.join("; ")
            ),
            location().with_column(column.clone()),
        ));
    }
    let target = find(new, &model.target, "target", notes);
    let actual = target.and_then(|c| actual_values(model, c, notes));
    if let Some(c) = target {
        used.push(&c.name);
    }
    let times = timestamps(training, new, settings, notes)?;
    if let Some((name, _)) = &times {
        used.push(name);
    }
    let ignored: Vec<&Column> = new.columns.iter().filter(|c| !used.contains(&c.name.as_str())).collect();
    if !ignored.is_empty() {
        let names: Vec<String> = ignored.iter().map(|c| format!("'{}'", c.name)).collect();
        let mut note = format!("ignored columns (not features of the model): {}", names.join(", "));
        let unknown: Vec<String> = ignored
            .iter()
            .filter(|c| training.column(&c.name).is_none())
            .map(|c| {
                let hint = crate::model::train::closest(&c.name, training.columns.iter().map(|t| t.name.as_str()))
                    .map(|h| format!(" (closest: '{h}')"))
                    .unwrap_or_default();
                format!("'{}'{hint}", c.name)
            })
            .collect();
        if !unknown.is_empty() {
            let _ = write!(note, "; not in the training data at all: {}", unknown.join(", "));
        }
        notes.push(note);
    }
    Ok(NewRows { n_rows: new.n_rows(), columns, actual, times })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_read_as_written_or_with_a_decimal_comma() {
        assert_eq!(parse_number(" 12.5 "), Some((12.5, false)));
        assert_eq!(parse_number("12,5"), Some((12.5, true)));
        assert_eq!(parse_number("1.234,5"), None);
        assert_eq!(parse_number("high"), None);
        assert_eq!(parse_number("inf"), None);
    }

    #[test]
    fn text_in_a_numeric_column_is_missing_with_a_note_or_an_error_when_it_is_most_of_it() {
        let levels: Vec<String> = ["1,5", "2", "ERR"].map(String::from).to_vec();
        let c = Column::new("Flow [m3/h]", ColumnKind::Categorical, vec![0.0, 1.0, 1.0, 2.0, f64::NAN], levels);
        let mut notes = Vec::new();
        let v = numbers_from_text(&c, &mut notes).expect("mostly numbers");
        assert_eq!(v[..3], [1.5, 2.0, 2.0]);
        assert!(v[3].is_nan() && v[4].is_nan(), "'ERR' and the empty cell are missing");
        assert!(notes.iter().any(|n| n.contains("decimal comma") && n.contains("'1,5'")), "{notes:?}");
        assert!(notes.iter().any(|n| n.contains("1 of 4 cells are not numbers") && n.contains("'ERR'")), "{notes:?}");
        let words =
            Column::new("Flow [m3/h]", ColumnKind::Categorical, vec![0.0, 1.0, 0.0], vec!["high".into(), "low".into()]);
        let e = numbers_from_text(&words, &mut notes).expect_err("text");
        assert!(e.contains("'Flow [m3/h]'") && e.contains("'high'"), "{e}");
    }

    #[test]
    fn unseen_levels_become_minus_one_and_are_named() {
        let spec = FeatureSpec::categorical("Type", &["H", "L", "M"], 1.0);
        let c = Column::new(
            "Type",
            ColumnKind::Categorical,
            vec![0.0, 1.0, 2.0, 2.0, f64::NAN],
            ["L", "X", "m"].map(String::from).to_vec(),
        );
        let mut notes = Vec::new();
        let v = codes(&spec, &c, &mut notes);
        assert_eq!(v[..4], [1.0, -1.0, 2.0, 2.0], "'m' matches 'M' ignoring case");
        assert!(v[4].is_nan());
        assert!(notes.iter().any(|n| n.contains("'X' (1 rows)") && n.contains("H, L, M")), "{notes:?}");
        let numeric = FeatureSpec::categorical("Mode", &["1", "2"], 0.0);
        let c = Column::new("Mode", ColumnKind::Integer, vec![1.0, 2.0, 3.0], Vec::new());
        assert_eq!(codes(&numeric, &c, &mut notes), [0.0, 1.0, -1.0]);
    }
}
