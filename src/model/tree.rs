//! Our own view of a fitted decision tree: flat arrays as scikit-learn and `shap` keep them.
//!
//! [`super::cart`] grows trees in this form, [`Tree::from_sklearn_json`] reads scikit-learn's,
//! and TreeSHAP, rules, export and drawing all work on this type.
//! Node 0 is the root. At an internal node `i`, a row goes to `left[i]` when
//! `x[feature[i]] <= threshold[i]`, else to `right[i]`. A row whose feature value is missing
//! (NaN) follows the child with the larger training cover, as the pipeline imputes missing
//! values before a row reaches the tree and this keeps evaluation total.

// Node indices are checked once in `Tree::validate` (run on every fitted, imported or loaded
// tree); after it all arrays share n_nodes and children and features are in range. `validate`
// checks each index before it uses it.
#![allow(clippy::indexing_slicing)]

use serde::{Deserialize, Serialize};

/// Marks "no child" in `left`/`right` (a leaf).
pub const LEAF: usize = usize::MAX;

/// A fitted binary decision tree over encoded features.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tree {
    /// Left child of each node (`x <= threshold`), or [`LEAF`].
    pub left: Vec<usize>,
    /// Right child of each node, or [`LEAF`].
    pub right: Vec<usize>,
    /// Feature tested at each internal node (0 at leaves, unused).
    pub feature: Vec<usize>,
    /// Threshold tested at each internal node (0 at leaves, unused).
    pub threshold: Vec<f64>,
    /// Training rows that reached each node (the cover TreeSHAP weights paths by).
    pub cover: Vec<f64>,
    /// Node outputs, `n_outputs` per node, row-major: class probabilities (the class mix of the
    /// training rows at the node) for a classifier, `[mean]` for a regressor.
    pub values: Vec<f64>,
    /// Outputs per node: the number of classes, or 1 for regression.
    pub n_outputs: usize,
    /// Number of features the tree was fitted on.
    pub n_features: usize,
}

impl Tree {
    /// Number of nodes.
    pub fn n_nodes(&self) -> usize {
        self.left.len()
    }

    /// True at a leaf.
    pub fn is_leaf(&self, node: usize) -> bool {
        self.left.get(node).is_none_or(|&l| l == LEAF)
    }

    /// The output vector of a node.
    pub fn value(&self, node: usize) -> &[f64] {
        let start = node * self.n_outputs;
        self.values.get(start..start + self.n_outputs).unwrap_or_default()
    }

    /// The child a value goes to at an internal node (missing values follow the larger cover).
    #[inline]
    pub fn next(&self, node: usize, x: f64) -> usize {
        let (l, r) = (self.left[node], self.right[node]);
        if x.is_nan() {
            if self.cover[l] >= self.cover[r] { l } else { r }
        } else if x <= self.threshold[node] {
            l
        } else {
            r
        }
    }

    /// The leaf a row ends in.
    pub fn leaf(&self, x: &[f64]) -> usize {
        let mut node = 0;
        while !self.is_leaf(node) {
            node = self.next(node, x.get(self.feature[node]).copied().unwrap_or(f64::NAN));
        }
        node
    }

    /// The nodes a row passes through, root first, leaf last.
    pub fn path(&self, x: &[f64]) -> Vec<usize> {
        let mut node = 0;
        let mut path = vec![0];
        while !self.is_leaf(node) {
            node = self.next(node, x.get(self.feature[node]).copied().unwrap_or(f64::NAN));
            path.push(node);
        }
        path
    }

    /// The output of the leaf a row ends in.
    pub fn predict(&self, x: &[f64]) -> &[f64] {
        self.value(self.leaf(x))
    }

    /// Number of leaves.
    pub fn n_leaves(&self) -> usize {
        self.left.iter().filter(|&&l| l == LEAF).count()
    }

    /// Depth: edges on the longest root-to-leaf path.
    pub fn depth(&self) -> usize {
        let mut depth = vec![0usize; self.n_nodes()];
        let mut max = 0;
        // Children always come after parents in the arrays we build and read.
        for i in 0..self.n_nodes() {
            if !self.is_leaf(i) {
                let child_depth = depth[i] + 1;
                for c in [self.left[i], self.right[i]] {
                    if let Some(d) = depth.get_mut(c) {
                        *d = child_depth;
                        max = max.max(child_depth);
                    }
                }
            }
        }
        max
    }

    /// Parent of every node (`LEAF` for the root).
    pub fn parents(&self) -> Vec<usize> {
        let mut parent = vec![LEAF; self.n_nodes()];
        for i in 0..self.n_nodes() {
            if !self.is_leaf(i) {
                parent[self.left[i]] = i;
                parent[self.right[i]] = i;
            }
        }
        parent
    }

    /// Positions for drawing: each node's depth and a horizontal slot, leaves at 0, 1, 2, …
    /// from left to right and every internal node centred over its children.
    pub fn layout(&self) -> Vec<(f64, usize)> {
        let n = self.n_nodes();
        let mut pos = vec![(0.0, 0usize); n];
        let mut next_leaf = 0.0;
        // Depth-first, left first, with an explicit stack: (node, depth, children done).
        let mut stack = vec![(0usize, 0usize, false)];
        while let Some((node, depth, done)) = stack.pop() {
            if node >= n {
                continue;
            }
            if self.is_leaf(node) {
                pos[node] = (next_leaf, depth);
                next_leaf += 1.0;
            } else if done {
                let x = f64::midpoint(pos[self.left[node]].0, pos[self.right[node]].0);
                pos[node] = (x, depth);
            } else {
                stack.push((node, depth, true));
                stack.push((self.right[node], depth + 1, false));
                stack.push((self.left[node], depth + 1, false));
            }
        }
        pos
    }

    /// Checks the arrays describe one tree: equal lengths, children in range and after their
    /// parent, every node reached once.
    ///
    /// # Errors
    /// A message saying what is inconsistent.
    pub fn validate(&self) -> crate::Result<()> {
        let n = self.n_nodes();
        let bad = |m: String| Err(crate::Error::invalid(format!("inconsistent tree: {m}")));
        if n == 0 {
            return bad("no nodes".into());
        }
        if self.right.len() != n || self.feature.len() != n || self.threshold.len() != n || self.cover.len() != n {
            return bad("arrays differ in length".into());
        }
        if self.n_outputs == 0 || self.values.len() != n * self.n_outputs {
            return bad("values do not match the node count".into());
        }
        let mut seen = vec![false; n];
        seen[0] = true;
        for i in 0..n {
            let (l, r) = (self.left[i], self.right[i]);
            if (l == LEAF) != (r == LEAF) {
                return bad(format!("node {i} has one child"));
            }
            if l == LEAF {
                continue;
            }
            if l >= n || r >= n || l <= i || r <= i {
                return bad(format!("node {i} has children out of order"));
            }
            if self.feature[i] >= self.n_features {
                return bad(format!("node {i} tests feature {} of {}", self.feature[i], self.n_features));
            }
            for c in [l, r] {
                if std::mem::replace(&mut seen[c], true) {
                    return bad(format!("node {c} has two parents"));
                }
            }
        }
        if let Some(i) = seen.iter().position(|s| !s) {
            return bad(format!("node {i} is not reached"));
        }
        Ok(())
    }

    /// Reads a tree in the `sklearn-tree-v1` JSON form (flat arrays `children_left`,
    /// `children_right` with -1 at leaves, `feature`, `threshold`, `value`, `n_node_samples`),
    /// as scikit-learn writes it and as `export --format tree-json` writes it back.
    ///
    /// # Errors
    /// When a field is missing or the arrays do not form a tree.
    pub fn from_sklearn_json(v: &serde_json::Value) -> crate::Result<Self> {
        let bad = |m: &str| crate::Error::invalid(format!("tree JSON: {m}"));
        let ints = |key: &str| -> crate::Result<Vec<i64>> {
            v.get(key)
                .and_then(serde_json::Value::as_array)
                .ok_or_else(|| bad(&format!("no array '{key}'")))?
                .iter()
                .map(|x| x.as_i64().ok_or_else(|| bad(&format!("'{key}' holds a non-integer"))))
                .collect()
        };
        let floats = |key: &str| -> crate::Result<Vec<f64>> {
            v.get(key)
                .and_then(serde_json::Value::as_array)
                .ok_or_else(|| bad(&format!("no array '{key}'")))?
                .iter()
                .map(|x| x.as_f64().ok_or_else(|| bad(&format!("'{key}' holds a non-number"))))
                .collect()
        };
        let child = |c: i64| usize::try_from(c).unwrap_or(LEAF);
        let left: Vec<usize> = ints("children_left")?.into_iter().map(child).collect();
        let right: Vec<usize> = ints("children_right")?.into_iter().map(child).collect();
        let feature: Vec<usize> = ints("feature")?.into_iter().map(|f| usize::try_from(f).unwrap_or(0)).collect();
        let threshold = floats("threshold")?;
        let cover = floats("n_node_samples")?;
        let rows = v.get("value").and_then(serde_json::Value::as_array).ok_or_else(|| bad("no array 'value'"))?;
        let mut values = Vec::new();
        let mut n_outputs = 0;
        for r in rows {
            // Accept [p0, p1] and scikit-learn's [[p0, p1]].
            let r = match r.as_array() {
                Some(a) if a.len() == 1 && a[0].is_array() => &a[0],
                _ => r,
            };
            let a = r.as_array().ok_or_else(|| bad("'value' rows must be arrays"))?;
            n_outputs = a.len();
            for x in a {
                values.push(x.as_f64().ok_or_else(|| bad("'value' holds a non-number"))?);
            }
        }
        let n_features = v
            .get("n_features")
            .and_then(serde_json::Value::as_u64)
            .and_then(|n| usize::try_from(n).ok())
            .or_else(|| v.get("feature_names").and_then(serde_json::Value::as_array).map(Vec::len))
            .unwrap_or_else(|| feature.iter().max().map_or(0, |m| m + 1));
        let mut feature = feature;
        let mut threshold = threshold;
        // The arrays may differ in length here (validate below says so); zip never reads past one.
        for ((&l, f), t) in left.iter().zip(&mut feature).zip(&mut threshold) {
            if l == LEAF {
                *f = 0;
                *t = 0.0;
            }
        }
        let tree = Self { left, right, feature, threshold, cover, values, n_outputs, n_features };
        tree.validate()?;
        Ok(tree)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// x0 <= 0.5 ? (x1 <= 2 ? A : B) : C
    pub fn small_tree() -> Tree {
        Tree {
            left: vec![1, 3, LEAF, LEAF, LEAF],
            right: vec![2, 4, LEAF, LEAF, LEAF],
            feature: vec![0, 1, 0, 0, 0],
            threshold: vec![0.5, 2.0, 0.0, 0.0, 0.0],
            cover: vec![10.0, 6.0, 4.0, 2.0, 4.0],
            values: vec![0.5, 0.5, 0.3, 0.7, 1.0, 0.0, 0.0, 1.0, 0.5, 0.5],
            n_outputs: 2,
            n_features: 2,
        }
    }

    #[test]
    fn routes_rows() {
        let t = small_tree();
        t.validate().expect("valid");
        assert_eq!(t.leaf(&[0.0, 1.0]), 3);
        assert_eq!(t.leaf(&[0.0, 3.0]), 4);
        assert_eq!(t.leaf(&[1.0, 0.0]), 2);
        assert_eq!(t.path(&[0.0, 3.0]), [0, 1, 4]);
        assert_eq!(t.predict(&[1.0, 0.0]), [1.0, 0.0]);
        assert_eq!((t.depth(), t.n_leaves()), (2, 3));
        let layout = t.layout();
        assert_eq!(layout[3], (0.0, 2));
        assert_eq!(layout[4], (1.0, 2));
        assert_eq!(layout[2], (2.0, 1));
        assert_eq!(layout[1], (0.5, 1));
        assert_eq!(layout[0], (1.25, 0));
        // Missing x0 follows the larger cover (node 1, 6 rows).
        assert_eq!(t.leaf(&[f64::NAN, 1.0]), 3);
    }

    #[test]
    fn rejects_broken_trees() {
        let mut t = small_tree();
        t.left[1] = 2;
        assert!(t.validate().is_err());
    }

    #[test]
    fn a_tree_file_with_short_arrays_is_an_error() {
        // Three nodes, but one feature and one threshold: an error, not an index out of range.
        let v = serde_json::json!({
            "children_left": [1, -1, -1],
            "children_right": [2, -1, -1],
            "feature": [0],
            "threshold": [0.5],
            "n_node_samples": [3, 1, 2],
            "value": [[1.0], [1.0], [1.0]],
        });
        let e = Tree::from_sklearn_json(&v).expect_err("arrays of different lengths");
        assert!(e.to_string().contains("differ in length"), "{e}");
    }
}
