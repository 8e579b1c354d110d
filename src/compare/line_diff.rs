//! A line diff of two texts (the Structured Text two models export), as a unified diff with
//! three lines of context: what a PLC programmer reviews before loading the new block. The
//! diff is Myers' (the `similar` crate), which finds a shortest edit script, so lines that did
//! not change are never shown as removed and added again.

use serde::{Deserialize, Serialize};
use similar::{ChangeTag, TextDiff};

/// The difference of two texts, line by line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineDiff {
    /// Lines of the first text.
    pub a_lines: usize,
    /// Lines of the second text.
    pub b_lines: usize,
    /// Lines only in the first.
    pub removed: usize,
    /// Lines only in the second.
    pub added: usize,
    /// The unified diff (`--- a`, `+++ b`, `@@` hunks); empty when the texts are equal.
    pub unified: String,
}

impl LineDiff {
    /// True when the texts are equal.
    pub fn is_empty(&self) -> bool {
        self.removed == 0 && self.added == 0
    }
}

/// The line diff from `a` to `b`, whose names head the unified diff.
pub fn diff(a: &str, b: &str, a_name: &str, b_name: &str) -> LineDiff {
    let d = TextDiff::from_lines(a, b);
    let (mut removed, mut added) = (0, 0);
    for change in d.iter_all_changes() {
        match change.tag() {
            ChangeTag::Delete => removed += 1,
            ChangeTag::Insert => added += 1,
            ChangeTag::Equal => {}
        }
    }
    let unified = if removed + added == 0 {
        String::new()
    } else {
        d.unified_diff().context_radius(3).header(a_name, b_name).to_string()
    };
    LineDiff { a_lines: d.old_len(), b_lines: d.new_len(), removed, added, unified }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_moved_threshold_is_one_line_out_and_one_in() {
        let a = "IF Torque <= 60.65 THEN\n  Failure := 0;\nELSE\n  Failure := 1;\nEND_IF;\n";
        let b = "IF Torque <= 58.2 THEN\n  Failure := 0;\nELSE\n  Failure := 1;\nEND_IF;\n";
        let d = diff(a, b, "A", "B");
        assert_eq!((d.a_lines, d.b_lines, d.removed, d.added), (5, 5, 1, 1));
        assert!(d.unified.starts_with("--- A\n+++ B\n@@ -1,4 +1,4 @@\n"), "{}", d.unified);
        assert!(d.unified.contains("-IF Torque <= 60.65 THEN\n+IF Torque <= 58.2 THEN\n"), "{}", d.unified);
        let same = diff(a, a, "A", "B");
        assert!(same.is_empty() && same.unified.is_empty());
    }
}
