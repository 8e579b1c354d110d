//! First guesses of column roles, each with the reason shown beside it.
//!
//! The guesses follow what a process engineer would do by hand: row counters and serial numbers
//! are IDs, dates are timestamps, empty and constant columns are ignored, a column named like an
//! outcome (or else the last one) is the target, and a 0/1 flag that is only ever set when the
//! target is (a failure-mode label such as AI4I's `TWF`) is left out as a leak.

use super::{Column, ColumnKind, Dataset, Role, split_unit};

/// Words that name an identifier column, matched against the whole lower-cased base name.
const ID_NAMES: &[&str] = &["id", "udi", "uid", "uuid", "index", "idx", "row", "row id", "rowid", "serial", "nr", "no"];

/// Words that name an outcome, strongest first.
const TARGET_NAMES: &[&str] = &[
    "target",
    "label",
    "class",
    "y",
    "outcome",
    "machine failure",
    "failure",
    "fault",
    "defect",
    "quality",
    "condition",
    "status",
    "result",
];

/// Guesses every column's role and records the reason in `note`.
pub fn guess_roles(ds: &mut Dataset) {
    let n_rows = ds.n_rows();
    for c in &mut ds.columns {
        let (role, note) = guess_one(c, n_rows);
        c.role = role;
        c.note = note;
    }
    if ds.target().is_none()
        && let Some(c) = guess_target(ds).and_then(|t| ds.columns.get_mut(t))
    {
        c.role = Role::Target;
        c.note = Some("guessed target: named like an outcome, or the last column".into());
    }
    mark_leaks(ds);
}

fn guess_one(c: &Column, n_rows: usize) -> (Role, Option<String>) {
    if c.kind == ColumnKind::Timestamp {
        return (Role::Timestamp, Some("holds dates and times".into()));
    }
    if c.stats.count == 0 {
        return (Role::Ignore, Some("every cell is empty".into()));
    }
    if looks_like_id(c, n_rows) {
        return (Role::Id, Some("identifies rows (name or unique values)".into()));
    }
    if c.stats.distinct <= 1 && n_rows > 1 {
        return (Role::Ignore, Some("the same value in every row".into()));
    }
    (Role::Feature, None)
}

fn looks_like_id(c: &Column, n_rows: usize) -> bool {
    let base = split_unit(&c.name).0.trim().to_lowercase();
    let named = ID_NAMES.contains(&base.as_str())
        || base.ends_with(" id")
        || base.ends_with("_id")
        || base.ends_with("-id")
        || base.starts_with("id_")
        || base.starts_with("id ")
        || c.name.trim().ends_with("ID")
        || base.contains("serial")
        || base.contains("seriennummer");
    let unique = c.stats.distinct == c.stats.count && c.stats.count == n_rows && n_rows > 1;
    match c.kind {
        ColumnKind::Text => named || unique,
        ColumnKind::Integer => (named && c.stats.distinct * 2 > c.stats.count) || (unique && is_counter(&c.values)),
        ColumnKind::Categorical => named && c.stats.distinct * 2 > c.stats.count,
        _ => false,
    }
}

/// True for 1, 2, 3, … (or any start, step 1): a row counter.
fn is_counter(values: &[f64]) -> bool {
    values.iter().zip(values.iter().skip(1)).all(|(a, b)| b - a == 1.0)
}

fn guess_target(ds: &Dataset) -> Option<usize> {
    let candidates: Vec<(usize, &Column)> =
        ds.columns.iter().enumerate().filter(|(_, c)| c.role == Role::Feature && c.kind != ColumnKind::Text).collect();
    for word in TARGET_NAMES {
        let hit = candidates.iter().find(|(_, c)| {
            let base = split_unit(&c.name).0.trim().to_lowercase().replace('_', " ");
            base == *word || (word.len() > 3 && base.split(' ').any(|w| w == *word || w == format!("{word}s")))
        });
        if let Some(&(i, _)) = hit {
            return Some(i);
        }
    }
    candidates.last().map(|&(i, _)| i)
}

/// Marks 0/1 features that are set only in rows where a 0/1 target is set (with at least ten
/// such rows): a failure-mode flag recorded after the fact, which would leak the answer.
fn mark_leaks(ds: &mut Dataset) {
    let Some(t) = ds.columns.iter().find(|c| c.role == Role::Target) else { return };
    if !is_binary(t) {
        return;
    }
    let target_values = t.values.clone();
    let target_name = t.name.clone();
    for c in &mut ds.columns {
        if c.role != Role::Feature || !is_binary(c) {
            continue;
        }
        let set: Vec<usize> = c.values.iter().enumerate().filter(|(_, v)| **v == 1.0).map(|(i, _)| i).collect();
        if set.len() >= 10 && set.iter().all(|&i| target_values.get(i) == Some(&1.0)) {
            c.role = Role::Ignore;
            c.note = Some(format!(
                "possible leak: every row with {} = 1 has {target_name} = 1, so it is likely recorded after the outcome",
                c.name
            ));
        }
    }
}

fn is_binary(c: &Column) -> bool {
    c.kind.is_numeric() && c.stats.distinct == 2 && c.stats.min == Some(0.0) && c.stats.max == Some(1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn col(name: &str, kind: ColumnKind, values: Vec<f64>, levels: Vec<String>) -> Column {
        Column::new(name, kind, values, levels)
    }

    #[test]
    fn ids_targets_and_leaks() {
        let n = 80;
        let udi: Vec<f64> = (1..=n).map(f64::from).collect();
        let product: Vec<String> = (0..n).map(|i| format!("M{i}")).collect();
        let failure: Vec<f64> = (0..n).map(|i| f64::from(u8::from(i % 3 == 0))).collect();
        let twf: Vec<f64> = (0..n).map(|i| f64::from(u8::from(i % 3 == 0 && i % 2 == 0))).collect();
        let torque: Vec<f64> = (0..n).map(|i| f64::from(i) * 1.5).collect();
        let constant = vec![7.0; 80];
        let ds = Dataset::new(
            "t",
            vec![
                col("UDI", ColumnKind::Integer, udi, vec![]),
                col("Product ID", ColumnKind::Text, (0..n).map(f64::from).collect(), product),
                col("Torque [Nm]", ColumnKind::Float, torque, vec![]),
                col("Machine failure", ColumnKind::Integer, failure, vec![]),
                col("TWF", ColumnKind::Integer, twf, vec![]),
                col("Line", ColumnKind::Integer, constant, vec![]),
            ],
        )
        .expect("valid");
        let roles: Vec<Role> = ds.columns.iter().map(|c| c.role).collect();
        assert_eq!(roles, [Role::Id, Role::Id, Role::Feature, Role::Target, Role::Ignore, Role::Ignore]);
        assert!(ds.columns[4].note.as_deref().unwrap_or_default().contains("leak"));
    }
}
