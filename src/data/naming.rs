//! Column names as files write them: empty names filled in, duplicates told apart, and the
//! file name datasets are called by. Shared by the CSV, spreadsheet and Parquet readers.

// Name indices run over 0..names.len().
#![allow(clippy::indexing_slicing)]

use std::path::Path;

/// Header names as written, with empty names filled in and duplicates told apart.
pub(super) fn column_names(header: Option<&[String]>, n: usize, warnings: &mut Vec<String>) -> Vec<String> {
    let mut names: Vec<String> = (0..n)
        .map(|i| {
            header.and_then(|h| h.get(i)).filter(|s| !s.trim().is_empty()).cloned().unwrap_or_else(|| {
                if header.is_some() {
                    warnings.push(format!("column {} has no name; it is called 'column {}'", i + 1, i + 1));
                }
                format!("column {}", i + 1)
            })
        })
        .collect();
    // Sets, and a next suffix per name, keep this linear: a header of thousands of equal names
    // (one logger channel repeated) took minutes when every candidate was searched for in the
    // whole list. A suffix passed over once stays taken, so the result is the same.
    let written: std::collections::HashSet<String> = names.iter().cloned().collect();
    let mut seen: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    let mut next_suffix: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for i in 0..names.len() {
        let name = names[i].clone();
        if let Some(&first) = seen.get(&name) {
            let k = next_suffix.entry(name.clone()).or_insert(2);
            let mut candidate = format!("{name} ({k})");
            while seen.contains_key(&candidate) || written.contains(&candidate) {
                *k += 1;
                candidate = format!("{name} ({k})");
            }
            *k += 1;
            warnings.push(format!(
                "columns {} and {} are both named '{name}'; column {} is called '{candidate}' here",
                first + 1,
                i + 1,
                i + 1
            ));
            names[i].clone_from(&candidate);
            seen.insert(candidate, i);
        } else {
            seen.insert(name, i);
        }
    }
    names
}

pub(super) fn file_name(path: &Path) -> String {
    path.file_name().map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned())
}
