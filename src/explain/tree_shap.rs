//! Exact `TreeSHAP` on our [`Tree`]: path-dependent SHAP values, interventional SHAP values against a
//! background set, and SHAP interaction values.
//!
//! # The games being explained
//!
//! A root-to-leaf path tests a set `D` of distinct features; a feature tested more than once is
//! merged into one factor (the "unique path" of Lundberg et al. 2018). For each `d ∈ D` write
//! `z_d` for the product, over the path's edges that test `d`, of the edge's share of its
//! parent's cover (`cover(child) / (cover(left) + cover(right))`), and `o_d(x) ∈ {0, 1}` for
//! whether `x` follows all of those edges. Routing always goes through [`Tree::next`], so a
//! missing value follows the same child as in prediction.
//!
//! - **Path-dependent** (Lundberg, Erion & Lee 2018, "Consistent Individualized Feature
//!   Attribution for Tree Ensembles", the conditional expectation of Algorithm 1): the value of a
//!   coalition `S` is `v(S) = Σ_leaves v_L Π_{d∈D_L∩S} o_d Π_{d∈D_L\S} z_d`, a sum of one product
//!   game per leaf. The base value is `v(∅)`, the cover-weighted mean of the leaves.
//! - **Interventional** (Lundberg et al. 2020, "From local explanations to global understanding
//!   with explainable AI for trees"; Laberge & Pequignot 2022, "Understanding Interventional
//!   `TreeSHAP`: How and Why it Works"): `v(S)` is the mean over background rows `b` of
//!   `f(x_S, b_rest)`. For one leaf and one `b` that is again a product game, with `o_d(b)` in
//!   place of `z_d`.
//! - **Interaction values** (Lundberg et al. 2018, SHAP interaction values, after the Shapley
//!   interaction index of Fujimoto, Kojadinovic & Marichal 2006):
//!   `Φ_ij = Σ_{S⊆M\{i,j}} |S|!(M−|S|−2)! / (2(M−1)!) · [v(S∪ij) − v(S∪i) − v(S∪j) + v(S)]` for
//!   `i ≠ j`, and `Φ_ii = φ_i − Σ_{j≠i} Φ_ij`, as `shap.TreeExplainer.shap_interaction_values`.
//!
//! # How
//!
//! The Shapley value of player `i` in a product game `Π_d (a_d if d ∈ S else b_d)` is, by Owen's
//! multilinear extension (Owen 1972, "Multilinear extensions of games"),
//! `φ_i = (a_i − b_i) ∫₀¹ Π_{d≠i} (b_d + t (a_d − b_d)) dt`, and the interaction index of a pair is
//! `½ (a_i − b_i)(a_j − b_j) ∫₀¹ Π_{d∉{i,j}} (…) dt`. With `a_d = o_d ∈ {0, 1}` a leaf's
//! contribution depends on the row only through the bit pattern `P = {d : o_d(x) = 1}`.
//!
//! - [`Algorithm::Tables`] (the idea of `FastTreeSHAP` v2, Yang 2021, "Fast `TreeSHAP`: Accelerating
//!   SHAP Value Computation for Trees"): for every leaf and every pattern `P` of its path's
//!   features, the leaf's contribution to each feature (or pair) is computed once, in closed form
//!   from the integrals above. The polynomials are kept in a scaled Bernstein basis
//!   (`Σ e_i tⁱ(1−t)^{r−i}`), in which products of the factors have non-negative coefficients
//!   and `∫ tⁱ(1−t)^{m−i} = i!(m−i)!/(m+1)!` are the Shapley weights: nothing cancels. A row then
//!   costs one pass over the nodes (to get every leaf's pattern) and one table row per leaf. The
//!   tables hold `Σ_leaves 2^k·k` numbers (`k`: distinct features on the leaf's path), so they
//!   are only built while `k ≤ 20` and they fit in 64 MiB. For interventional values each leaf's
//!   table sums the background rows' patterns (Laberge & Pequignot's closed form:
//!   `(a−1)!n!/(a+n)!` for each of the `a` features only `x` satisfies, `−a!(n−1)!/(a+n)!` for
//!   each of the `n` features only the background row satisfies).
//! - [`Algorithm::Walk`]: Algorithm 2 of Lundberg et al. 2018 (`EXTEND`, `UNWIND` and the unwound
//!   path sum) per row, for trees whose tables would be too large; interaction values condition
//!   it on each feature being on and off, as `shap` does. Interventional values walk the tree once
//!   per (row, background row) pair, branching where the two rows part on a feature not yet
//!   decided.
//! - [`Algorithm::Auto`] builds tables when they fit and their cost is repaid by the rows asked.
//!
//! The two algorithms agree to about 1e-15. Rows run in parallel with rayon in chunks, each row's
//! numbers are computed by one thread in a fixed order, so results do not depend on the number of
//! threads. Covers are normalised over the two children, so `base + Σφ = f(x)` holds even for
//! covers that do not add up.

// Every entry point runs `check_tree` (Tree::validate: children, features and values in range)
// and `check_columns`; path, pattern and table indices are built here from that tree.
#![allow(clippy::indexing_slicing)]

use std::sync::atomic::{AtomicUsize, Ordering};

use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::explain::ShapValues;
use crate::matrix::Matrix;
use crate::model::tree::Tree;
use crate::progress::Progress;

/// Rows handed to one rayon task; cancellation is checked once per chunk.
const CHUNK_ROWS: usize = 64;
/// Background rows whose leaf patterns are gathered at a time for interventional tables.
const BACKGROUND_CHUNK_ROWS: usize = 1024;
/// Most distinct features on one root-to-leaf path for which tables are built (`2^k` patterns).
const MAX_TABLE_FEATURES: usize = 20;
/// Most numbers all tables of one call may hold (64 MiB of `f64`).
const MAX_TABLE_ENTRIES: usize = 1 << 23;
/// "No feature": the root's pseudo-element in Algorithm 2's path.
const NO_FEATURE: usize = usize::MAX;

/// Which exact algorithm to use. All give the same values up to rounding (about 1e-15).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Algorithm {
    /// Tables when they fit in memory and pay for themselves over the rows asked, else the walk.
    #[default]
    Auto,
    /// Per-leaf tables over the subsets of each path's features (`FastTreeSHAP` v2). Fails with
    /// [`Error::InvalidInput`] when they would not fit.
    Tables,
    /// A walk of the tree per row (Algorithm 2 of Lundberg et al. 2018; for interventional
    /// values, per pair of row and background row). Needs no precomputation.
    Walk,
}

/// The expected output `output` of the tree over its training data: each leaf's value weighted
/// by its cover (path-dependent `TreeSHAP`'s base value, `shap`'s `expected_value`).
///
/// Returns NaN when the tree is inconsistent or has no output `output`.
pub fn expected_value(tree: &Tree, output: usize) -> f64 {
    if check_tree(tree, output).is_err() {
        return f64::NAN;
    }
    Paths::shares(tree, output).expected
}

/// Exact path-dependent SHAP values of output `output` of the tree (a class probability for a
/// classifier, the value for a regressor) for every row of `x`, with [`Algorithm::Auto`].
///
/// The same numbers as `shap.TreeExplainer(model).shap_values(x)` (feature perturbation
/// `tree_path_dependent`); `base_value` is [`expected_value`].
///
/// # Errors
/// When `x` does not have one column per feature of the tree, `output` does not exist, the tree
/// is inconsistent, or the job was cancelled.
pub fn path_dependent(tree: &Tree, x: &Matrix, output: usize, progress: &Progress) -> Result<ShapValues> {
    path_dependent_with(tree, x, output, Algorithm::Auto, progress)
}

/// [`path_dependent`] with a chosen algorithm.
///
/// # Errors
/// As [`path_dependent`], and when [`Algorithm::Tables`] is asked for a tree whose tables would
/// not fit.
pub fn path_dependent_with(
    tree: &Tree,
    x: &Matrix,
    output: usize,
    algorithm: Algorithm,
    progress: &Progress,
) -> Result<ShapValues> {
    check_tree(tree, output)?;
    check_columns(tree, x, "the rows to explain")?;
    let paths = Paths::new(tree, output);
    let m = tree.n_features;
    let entries = paths.table_entries(|k| k);
    let build = paths.table_build_cost();
    let tables = if choose_tables(algorithm, entries, build, paths.walk_cost(), x.n_rows())? {
        Some(Tables::first_order(&paths, progress)?)
    } else {
        None
    };
    let values = for_row_chunks(x.n_rows(), m, progress, |rows, out| {
        if let Some(tables) = &tables {
            tables.add_first_order(&paths.block_patterns(x, rows), out, m);
        } else {
            let mut scratch = WalkScratch::default();
            for (i, phi) in rows.zip(out.chunks_exact_mut(m)) {
                paths.walk(x.row(i), None, phi, &mut scratch);
            }
        }
    })?;
    Ok(ShapValues {
        base_value: paths.expected,
        values: Matrix::from_vec(values, x.n_rows(), m)?,
        predictions: predictions(&paths, x),
    })
}

/// Path-dependent SHAP values of one row: `(base value, one value per feature)`, with
/// `base + Σφ` equal to the tree's output. Uses Algorithm 2 directly (no tables), so it is cheap
/// enough to call on every frame of an interactive view (microseconds for a depth-8 tree).
///
/// # Errors
/// When `x` does not have one value per feature of the tree, `output` does not exist, or the
/// tree is inconsistent.
pub fn path_dependent_row(tree: &Tree, x: &[f64], output: usize) -> Result<(f64, Vec<f64>)> {
    check_tree(tree, output)?;
    if x.len() != tree.n_features {
        return Err(Error::invalid(format!(
            "the row to explain has {} values but the tree was fitted on {} features",
            x.len(),
            tree.n_features
        )));
    }
    let paths = Paths::shares(tree, output);
    let mut phi = vec![0.0; tree.n_features];
    paths.walk(x, None, &mut phi, &mut WalkScratch::default());
    Ok((paths.expected, phi))
}

/// Exact interventional SHAP values of output `output` for every row of `x` against the rows of
/// `background`, with [`Algorithm::Auto`]: the Shapley values of `v(S) = mean_b f(x_S, b_rest)`
/// (`shap.TreeExplainer(model, background, feature_perturbation="interventional")`, computed in
/// 64-bit floats). `base_value` is the mean output over the background rows.
///
/// # Errors
/// When `x` or `background` does not have one column per feature, `background` has no rows,
/// `output` does not exist, the tree is inconsistent, or the job was cancelled.
pub fn interventional(
    tree: &Tree,
    x: &Matrix,
    background: &Matrix,
    output: usize,
    progress: &Progress,
) -> Result<ShapValues> {
    interventional_with(tree, x, background, output, Algorithm::Auto, progress)
}

/// [`interventional`] with a chosen algorithm.
///
/// # Errors
/// As [`interventional`], and when [`Algorithm::Tables`] is asked for a tree whose tables would
/// not fit.
pub fn interventional_with(
    tree: &Tree,
    x: &Matrix,
    background: &Matrix,
    output: usize,
    algorithm: Algorithm,
    progress: &Progress,
) -> Result<ShapValues> {
    check_tree(tree, output)?;
    check_columns(tree, x, "the rows to explain")?;
    check_columns(tree, background, "the background data")?;
    if background.n_rows() == 0 {
        return Err(Error::invalid("interventional SHAP values need at least one background row"));
    }
    let paths = Paths::new(tree, output);
    let m = tree.n_features;
    let n_bg = background.n_rows();
    let entries = paths.table_entries(|k| k);
    // Building: one pass over the nodes per background row, then each distinct background pattern
    // spread over the patterns it combines with. A walk per row follows a few paths per
    // background row (measured on the depth-8 fixture: tables pay off from about 15 rows).
    let build = (n_bg * tree.n_nodes()) as f64 + 2.0 * paths.table_build_cost();
    let walk = (n_bg * 8 * (paths.max_unique + 2).pow(2)) as f64;
    let tables = if choose_tables(algorithm, entries, build, walk, x.n_rows())? {
        Some(Tables::interventional(&paths, background, progress)?)
    } else {
        None
    };
    let weight = 1.0 / n_bg as f64;
    let coefficients = PairCoefficients::new(paths.max_unique);
    let values = for_row_chunks(x.n_rows(), m, progress, |rows, out| {
        if let Some(tables) = &tables {
            tables.add_first_order(&paths.block_patterns(x, rows), out, m);
        } else {
            let mut scratch = PairScratch::new(m);
            for (i, phi) in rows.zip(out.chunks_exact_mut(m)) {
                for b in background.rows() {
                    paths.pair_walk(x.row(i), b, weight, &coefficients, phi, &mut scratch);
                }
            }
        }
    })?;
    let base_value = background.rows().map(|b| paths.value(tree.leaf(b))).sum::<f64>() * weight;
    Ok(ShapValues { base_value, values: Matrix::from_vec(values, x.n_rows(), m)?, predictions: predictions(&paths, x) })
}

/// Path-dependent SHAP interaction values of output `output`, one `M × M` matrix per row of `x`
/// (`M` features), with [`Algorithm::Auto`], as `shap.TreeExplainer.shap_interaction_values`:
/// off-diagonal entries hold half of each pair's interaction (the matrix is symmetric), the
/// diagonal the main effect `φ_i − Σ_{j≠i} Φ_ij`, so row `i` sums to the SHAP value `φ_i`.
/// The result holds `rows × M²` numbers: explain a selection of rows when `M` is large.
///
/// # Errors
/// When `x` does not have one column per feature of the tree, `output` does not exist, the tree
/// is inconsistent, or the job was cancelled.
pub fn interactions(tree: &Tree, x: &Matrix, output: usize, progress: &Progress) -> Result<Vec<Matrix>> {
    interactions_with(tree, x, output, Algorithm::Auto, progress)
}

/// [`interactions`] with a chosen algorithm.
///
/// # Errors
/// As [`interactions`], and when [`Algorithm::Tables`] is asked for a tree whose tables would
/// not fit.
pub fn interactions_with(
    tree: &Tree,
    x: &Matrix,
    output: usize,
    algorithm: Algorithm,
    progress: &Progress,
) -> Result<Vec<Matrix>> {
    check_tree(tree, output)?;
    check_columns(tree, x, "the rows to explain")?;
    let paths = Paths::new(tree, output);
    let m = tree.n_features;
    let entries = paths.table_entries(|k| k).zip(paths.table_entries(|k| k * k.saturating_sub(1) / 2));
    let entries = entries.and_then(|(a, b)| a.checked_add(b));
    let used = paths.used_features();
    let build = paths.table_build_cost() * (paths.max_unique as f64 / 2.0 + 1.0);
    let walk = paths.walk_cost() * (2 * used.len() + 1) as f64;
    let tables = if choose_tables(algorithm, entries, build, walk, x.n_rows())? {
        Some((Tables::first_order(&paths, progress)?, Tables::pairs(&paths, progress)?))
    } else {
        None
    };
    let values = for_row_chunks(x.n_rows(), m * m, progress, |rows, out| {
        if let Some((first, pairs)) = &tables {
            let patterns = paths.block_patterns(x, rows.clone());
            let mut phi = vec![0.0; rows.len() * m];
            first.add_first_order(&patterns, &mut phi, m);
            pairs.add_pairs(&patterns, out, m);
            for (phi, phi_ij) in phi.chunks_exact(m).zip(out.chunks_exact_mut(m * m)) {
                set_main_effects(phi, phi_ij, m);
            }
        } else {
            let mut phi = vec![0.0; m];
            let mut scratch = WalkScratch::default();
            let (mut on, mut off) = (vec![0.0; m], vec![0.0; m]);
            for (i, phi_ij) in rows.zip(out.chunks_exact_mut(m * m)) {
                let row = x.row(i);
                phi.fill(0.0);
                paths.walk(row, None, &mut phi, &mut scratch);
                for &f in &used {
                    on.fill(0.0);
                    off.fill(0.0);
                    paths.walk(row, Some(Condition { feature: f, on: true }), &mut on, &mut scratch);
                    paths.walk(row, Some(Condition { feature: f, on: false }), &mut off, &mut scratch);
                    let out_row = &mut phi_ij[f * m..(f + 1) * m];
                    for (j, (o, (a, b))) in out_row.iter_mut().zip(on.iter().zip(&off)).enumerate() {
                        if j != f {
                            *o = (a - b) / 2.0;
                        }
                    }
                }
                set_main_effects(&phi, phi_ij, m);
            }
        }
    })?;
    if m == 0 {
        return Ok(vec![Matrix::zeros(0, 0); x.n_rows()]);
    }
    values.chunks_exact(m * m).map(|c| Matrix::from_vec(c.to_vec(), m, m)).collect()
}

/// Sets the diagonal of a row's interaction matrix to `φ_i − Σ_{j≠i} Φ_ij`.
fn set_main_effects(phi: &[f64], phi_ij: &mut [f64], m: usize) {
    for (i, &p) in phi.iter().enumerate() {
        let row = &mut phi_ij[i * m..(i + 1) * m];
        let off_diagonal: f64 = row.iter().enumerate().filter(|&(j, _)| j != i).map(|(_, v)| v).sum();
        row[i] = p - off_diagonal;
    }
}

fn check_tree(tree: &Tree, output: usize) -> Result<()> {
    tree.validate()?;
    if output >= tree.n_outputs {
        return Err(Error::invalid(format!(
            "the tree has no output {output}: it has {} output(s), numbered from 0",
            tree.n_outputs
        )));
    }
    if let Some((i, c)) = tree.cover.iter().enumerate().find(|(_, c)| !(c.is_finite() && **c >= 0.0)) {
        return Err(Error::invalid(format!(
            "inconsistent tree: node {i} has cover {c}; covers must be finite and not negative"
        )));
    }
    Ok(())
}

fn check_columns(tree: &Tree, x: &Matrix, what: &str) -> Result<()> {
    if x.n_cols() == tree.n_features {
        Ok(())
    } else {
        Err(Error::invalid(format!(
            "{what} has {} columns but the tree was fitted on {} features",
            x.n_cols(),
            tree.n_features
        )))
    }
}

/// Decides whether to build tables: always for [`Algorithm::Tables`] (if they fit), never for
/// [`Algorithm::Walk`], and for [`Algorithm::Auto`] when they fit and building them costs less
/// than walking the tree for every row.
fn choose_tables(
    algorithm: Algorithm,
    entries: Option<usize>,
    build_cost: f64,
    walk_cost_per_row: f64,
    n_rows: usize,
) -> Result<bool> {
    let fits = entries.is_some_and(|e| e <= MAX_TABLE_ENTRIES);
    match algorithm {
        Algorithm::Walk => Ok(false),
        Algorithm::Tables if fits => Ok(true),
        Algorithm::Tables => Err(Error::invalid(format!(
            "the TreeSHAP tables for this tree would exceed {} MiB (or a path tests more than \
             {MAX_TABLE_FEATURES} distinct features); use the automatic choice or the tree walk",
            (MAX_TABLE_ENTRIES * 8) >> 20
        ))),
        Algorithm::Auto => Ok(fits && build_cost <= n_rows as f64 * walk_cost_per_row),
    }
}

/// Runs `work` over chunks of rows in parallel. `work` gets a chunk's row indices and its part of
/// the output (`width` numbers per row, zeroed). Checks for cancellation before every chunk.
fn for_row_chunks<F>(n_rows: usize, width: usize, progress: &Progress, work: F) -> Result<Vec<f64>>
where
    F: Fn(std::ops::Range<usize>, &mut [f64]) + Sync,
{
    progress.check()?;
    let mut out = vec![0.0; n_rows * width];
    if width == 0 {
        return Ok(out);
    }
    let done = AtomicUsize::new(0);
    out.par_chunks_mut(CHUNK_ROWS * width).enumerate().try_for_each(|(c, chunk)| {
        progress.check()?;
        let start = c * CHUNK_ROWS;
        let n = chunk.len() / width;
        work(start..start + n, chunk);
        let finished = done.fetch_add(n, Ordering::Relaxed) + n;
        progress.set_count(finished, n_rows);
        Ok::<(), Error>(())
    })?;
    Ok(out)
}

fn predictions(paths: &Paths<'_>, x: &Matrix) -> Vec<f64> {
    x.rows().map(|r| paths.value(paths.tree.leaf(r))).collect()
}

/// An internal node as the row pass needs it.
#[derive(Debug, Clone, Copy)]
struct Split {
    node: usize,
    feature: usize,
    /// Position of `feature` among the distinct features of the path from the root to `node`.
    slot: usize,
}

/// A leaf and the distinct features of its path, in order of first appearance.
#[derive(Debug, Clone)]
struct LeafPath {
    node: usize,
    value: f64,
    features: Vec<usize>,
    /// `z_d` for each feature of `features`: the product of cover shares of its edges.
    zero: Vec<f64>,
}

/// The tree as root-to-leaf paths for one output: what every algorithm here starts from.
/// (`splits`, `leaves` and `max_unique` are empty in the light form made by `Paths::shares`.)
struct Paths<'t> {
    tree: &'t Tree,
    output: usize,
    /// Each node's share of its parent's cover (1 at the root).
    share: Vec<f64>,
    /// `v(∅)`: each leaf's value times the product of the cover shares on its path.
    expected: f64,
    /// Internal nodes in array order (parents before children).
    splits: Vec<Split>,
    leaves: Vec<LeafPath>,
    /// Most distinct features on one path.
    max_unique: usize,
}

/// Steps of the depth-first walk that collects the paths.
enum PathStep {
    Visit(usize),
    Enter { node: usize, slot: usize },
    Restore { slot: usize, zero: f64 },
    Forget(usize),
}

impl<'t> Paths<'t> {
    /// Only what Algorithm 2 needs (cover shares and the expected value), without the paths:
    /// cheap enough for one row. Expects a tree that passed [`check_tree`].
    fn shares(tree: &'t Tree, output: usize) -> Self {
        let n = tree.n_nodes();
        let mut share = vec![1.0; n];
        // Probability of reaching each node when every split follows the covers.
        let mut reach = vec![1.0; n];
        let mut expected = 0.0;
        for i in 0..n {
            if tree.is_leaf(i) {
                expected += reach[i] * tree.values[i * tree.n_outputs + output];
                continue;
            }
            let (l, r) = (tree.left[i], tree.right[i]);
            let total = tree.cover[l] + tree.cover[r];
            let (sl, sr) = if total > 0.0 { (tree.cover[l] / total, tree.cover[r] / total) } else { (0.5, 0.5) };
            share[l] = sl;
            share[r] = sr;
            reach[l] = reach[i] * sl;
            reach[r] = reach[i] * sr;
        }
        Self { tree, output, share, expected, splits: Vec::new(), leaves: Vec::new(), max_unique: 0 }
    }

    /// The full view, with every root-to-leaf path. Expects a tree that passed [`check_tree`].
    fn new(tree: &'t Tree, output: usize) -> Self {
        let Self { share, expected, .. } = Self::shares(tree, output);
        let n = tree.n_nodes();
        let mut slot = vec![0; n];
        let mut slot_of_feature = vec![usize::MAX; tree.n_features];
        let mut features = Vec::new();
        let mut zero = Vec::new();
        let mut leaves = Vec::new();
        let mut stack = vec![PathStep::Visit(0)];
        while let Some(step) = stack.pop() {
            match step {
                PathStep::Visit(node) if tree.is_leaf(node) => leaves.push(LeafPath {
                    node,
                    value: tree.value(node).get(output).copied().unwrap_or(f64::NAN),
                    features: features.clone(),
                    zero: zero.clone(),
                }),
                PathStep::Visit(node) => {
                    let f = tree.feature[node];
                    let s = if slot_of_feature[f] == usize::MAX {
                        slot_of_feature[f] = features.len();
                        features.push(f);
                        zero.push(1.0);
                        stack.push(PathStep::Forget(f));
                        features.len() - 1
                    } else {
                        slot_of_feature[f]
                    };
                    slot[node] = s;
                    for child in [tree.right[node], tree.left[node]] {
                        stack.push(PathStep::Restore { slot: s, zero: zero[s] });
                        stack.push(PathStep::Enter { node: child, slot: s });
                    }
                }
                PathStep::Enter { node, slot } => {
                    zero[slot] *= share[node];
                    stack.push(PathStep::Visit(node));
                }
                PathStep::Restore { slot, zero: z } => zero[slot] = z,
                PathStep::Forget(f) => {
                    slot_of_feature[f] = usize::MAX;
                    features.pop();
                    zero.pop();
                }
            }
        }
        let splits = (0..n)
            .filter(|&i| !tree.is_leaf(i))
            .map(|node| Split { node, feature: tree.feature[node], slot: slot[node] })
            .collect();
        let max_unique = leaves.iter().map(|l| l.features.len()).max().unwrap_or(0);
        Self { tree, output, share, expected, splits, leaves, max_unique }
    }

    /// The node's value for the explained output.
    #[inline]
    fn value(&self, node: usize) -> f64 {
        self.tree.values[node * self.tree.n_outputs + self.output]
    }

    /// Features tested anywhere in the tree, ascending.
    fn used_features(&self) -> Vec<usize> {
        let mut used: Vec<usize> = self.splits.iter().map(|s| s.feature).collect();
        used.sort_unstable();
        used.dedup();
        used
    }

    /// Numbers in tables holding `per_pattern(k)` numbers per pattern of each leaf, or `None`
    /// when a path has too many distinct features.
    fn table_entries(&self, per_pattern: impl Fn(usize) -> usize) -> Option<usize> {
        self.leaves.iter().try_fold(0usize, |acc, l| {
            let k = l.features.len();
            (k <= MAX_TABLE_FEATURES).then_some(())?;
            acc.checked_add((1usize << k).checked_mul(per_pattern(k))?)
        })
    }

    /// Rough operation count of building the first-order tables.
    fn table_build_cost(&self) -> f64 {
        self.leaves.iter().map(|l| (1u64 << l.features.len().min(62)) as f64 * (3 * l.features.len() + 4) as f64).sum()
    }

    /// Rough cost of Algorithm 2 for one row, in the units of `table_build_cost` (measured:
    /// an operation of the walk takes about four times one of the table build).
    fn walk_cost(&self) -> f64 {
        let leaves: usize = self.leaves.iter().map(|l| (l.features.len() + 2).pow(2)).sum();
        4.0 * (leaves + self.splits.len() * (self.max_unique + 2)) as f64
    }

    /// For every node, the pattern of the path to it: bit `s` is set while `x` followed every
    /// edge so far that tests the path's `s`-th distinct feature. Needs
    /// `max_unique <= MAX_TABLE_FEATURES`.
    #[inline]
    fn leaf_patterns(&self, x: &[f64], pattern: &mut [usize]) {
        debug_assert!(self.max_unique <= MAX_TABLE_FEATURES);
        let tree = self.tree;
        pattern[0] = usize::MAX;
        for &Split { node, feature, slot } in &self.splits {
            let hot = tree.next(node, x[feature]);
            let (l, r) = (tree.left[node], tree.right[node]);
            let cold = if hot == l { r } else { l };
            let p = pattern[node];
            pattern[hot] = p;
            pattern[cold] = p & !(1 << slot);
        }
    }

    /// Every leaf's pattern (in the order of `leaves`) for each of the rows `rows` of `x`, row
    /// after row.
    fn block_patterns(&self, x: &Matrix, rows: std::ops::Range<usize>) -> Vec<usize> {
        let mut node_pattern = vec![0; self.tree.n_nodes()];
        let mut patterns = Vec::with_capacity(rows.len() * self.leaves.len());
        for i in rows {
            self.leaf_patterns(x.row(i), &mut node_pattern);
            patterns.extend(self.leaves.iter().map(|l| node_pattern[l.node] & ((1 << l.features.len()) - 1)));
        }
        patterns
    }

    /// Adds one row's path-dependent SHAP values to `phi` by Algorithm 2 of Lundberg et al. 2018,
    /// optionally conditioned on a feature being on (follows `x`) or off (follows the covers),
    /// as `shap` does for interaction values. The recursion runs on an explicit stack, so deep
    /// trees cannot overflow the thread's stack.
    fn walk(&self, x: &[f64], condition: Option<Condition>, phi: &mut [f64], scratch: &mut WalkScratch) {
        let tree = self.tree;
        let condition_feature = condition.map(|c| c.feature);
        scratch.path.clear();
        scratch.path.push(PathElement::default());
        scratch.calls.clear();
        scratch.calls.push(Call { node: 0, parent: 0, depth: 0, zero: 1.0, one: 1.0, feature: NO_FEATURE, scale: 1.0 });
        while let Some(call) = scratch.calls.pop() {
            // This call's copy of the path sits right after its parent's, as in shap's recursion.
            let start = call.parent + call.depth + 1;
            let end = start + call.depth + 1;
            if scratch.path.len() < end {
                scratch.path.resize(end, PathElement::default());
            }
            scratch.path.copy_within(call.parent..=call.parent + call.depth, start);
            while scratch.inv.len() < call.depth + 2 {
                scratch.inv.push(1.0 / scratch.inv.len() as f64);
            }
            let (path, inv) = (&mut scratch.path[start..end], &scratch.inv[..]);
            let mut depth = call.depth;
            if condition_feature != Some(call.feature) {
                extend(path, depth, call.zero, call.one, call.feature, inv);
            }
            let node = call.node;
            if tree.is_leaf(node) {
                let value = self.value(node) * call.scale;
                // For elements x does not follow (one fraction 0) the unwound sum is one shared
                // sum divided by the element's zero fraction: computed once per leaf.
                let mut cold_sum: Option<f64> = None;
                for i in 1..=depth {
                    let element = path[i];
                    let w = if element.one == 0.0 {
                        *cold_sum.get_or_insert_with(|| cold_unwound_sum(path, depth, inv)) / element.zero
                    } else {
                        unwound_sum(path, depth, i, inv)
                    };
                    phi[element.feature] += w * (element.one - element.zero) * value;
                }
                continue;
            }
            let f = tree.feature[node];
            let hot = tree.next(node, x[f]);
            let cold = if hot == tree.left[node] { tree.right[node] } else { tree.left[node] };
            let (mut incoming_zero, mut incoming_one) = (1.0, 1.0);
            // A feature seen before on this path is unwound and merged with this split.
            if let Some(i) = path[1..=depth].iter().position(|e| e.feature == f).map(|i| i + 1) {
                incoming_zero = path[i].zero;
                incoming_one = path[i].one;
                unwind(path, depth, i, inv);
                depth -= 1;
            }
            let (mut hot_scale, mut cold_scale) = (call.scale, call.scale);
            let mut child_depth = depth + 1;
            let conditioned = condition_feature == Some(f);
            if let Some(Condition { on, .. }) = condition.filter(|_| conditioned) {
                // The conditioned feature never enters the path; it only scales the children.
                child_depth = depth;
                if on {
                    cold_scale = 0.0;
                } else {
                    hot_scale *= self.share[hot];
                    cold_scale *= self.share[cold];
                }
            }
            let hot_zero = self.share[hot] * incoming_zero;
            let cold_zero = self.share[cold] * incoming_zero;
            // A child where the merged feature has zero and one fractions both 0 adds nothing:
            // every coalition's value is 0 there (it also keeps UNWIND from dividing by zero).
            if cold_scale != 0.0 && (conditioned || cold_zero != 0.0) {
                let child = Call {
                    node: cold,
                    parent: start,
                    depth: child_depth,
                    zero: cold_zero,
                    one: 0.0,
                    feature: f,
                    scale: cold_scale,
                };
                scratch.calls.push(child);
            }
            if hot_scale != 0.0 && (conditioned || hot_zero != 0.0 || incoming_one != 0.0) {
                let child = Call {
                    node: hot,
                    parent: start,
                    depth: child_depth,
                    zero: hot_zero,
                    one: incoming_one,
                    feature: f,
                    scale: hot_scale,
                };
                scratch.calls.push(child);
            }
        }
    }

    /// Adds `weight` times the interventional SHAP values of `x` against one background row `b`.
    /// Walks the tree once: where `x` and `b` part on a feature not yet decided on this path,
    /// both sides are explored, with the feature in the coalition (the `x` side) or out of it.
    /// A leaf reached with `a` features on the `x` side and `n` on the `b` side is the game
    /// `1[A ⊆ S, N ∩ S = ∅]`, whose Shapley values are `(a−1)!n!/(a+n)!` on `A` and
    /// `−a!(n−1)!/(a+n)!` on `N` (Laberge & Pequignot 2022).
    fn pair_walk(
        &self,
        x: &[f64],
        background_row: &[f64],
        weight: f64,
        coefficients: &PairCoefficients,
        phi: &mut [f64],
        scratch: &mut PairScratch,
    ) {
        let tree = self.tree;
        scratch.steps.clear();
        scratch.steps.push(PairStep::Visit(0));
        while let Some(step) = scratch.steps.pop() {
            let mut node = match step {
                PairStep::Visit(node) => node,
                PairStep::Branch { node, feature, x_side } => {
                    scratch.side[feature] = if x_side { Side::X } else { Side::Background };
                    (if x_side { &mut scratch.x_features } else { &mut scratch.b_features }).push(feature);
                    scratch.steps.push(PairStep::Undo { feature, x_side });
                    node
                }
                PairStep::Undo { feature, x_side } => {
                    scratch.side[feature] = Side::Free;
                    (if x_side { &mut scratch.x_features } else { &mut scratch.b_features }).pop();
                    continue;
                }
            };
            loop {
                if tree.is_leaf(node) {
                    let (n_x, n_b) = (scratch.x_features.len(), scratch.b_features.len());
                    let v = self.value(node) * weight;
                    if n_x > 0 {
                        let gain = v * coefficients.x_side(n_x, n_b);
                        scratch.x_features.iter().for_each(|&f| phi[f] += gain);
                    }
                    if n_b > 0 {
                        let loss = v * coefficients.background_side(n_x, n_b);
                        scratch.b_features.iter().for_each(|&f| phi[f] -= loss);
                    }
                    break;
                }
                let f = tree.feature[node];
                let (to_x, to_b) = (tree.next(node, x[f]), tree.next(node, background_row[f]));
                if to_x == to_b {
                    node = to_x;
                    continue;
                }
                match scratch.side[f] {
                    Side::X => node = to_x,
                    Side::Background => node = to_b,
                    Side::Free => {
                        scratch.steps.push(PairStep::Branch { node: to_b, feature: f, x_side: false });
                        scratch.steps.push(PairStep::Branch { node: to_x, feature: f, x_side: true });
                        break;
                    }
                }
            }
        }
    }
}

/// Conditioning of Algorithm 2 on one feature, for interaction values.
#[derive(Debug, Clone, Copy)]
struct Condition {
    feature: usize,
    /// On: the feature follows `x`; off: it follows the covers.
    on: bool,
}

/// One element of Algorithm 2's unique path: a feature, its zero and one fractions, and the
/// permutation weight of the subsets of the given size.
#[derive(Debug, Clone, Copy)]
struct PathElement {
    feature: usize,
    zero: f64,
    one: f64,
    weight: f64,
}

impl Default for PathElement {
    fn default() -> Self {
        Self { feature: NO_FEATURE, zero: 0.0, one: 0.0, weight: 0.0 }
    }
}

/// A pending recursive call of Algorithm 2.
#[derive(Debug, Clone, Copy)]
struct Call {
    node: usize,
    /// Start of the caller's path in the scratch buffer.
    parent: usize,
    /// Unique depth of this call (its path gets `depth + 1` elements).
    depth: usize,
    zero: f64,
    one: f64,
    feature: usize,
    /// The condition fraction of shap's recursion.
    scale: f64,
}

/// Reusable buffers of Algorithm 2.
#[derive(Debug, Default)]
struct WalkScratch {
    path: Vec<PathElement>,
    calls: Vec<Call>,
    /// `inv[n] = 1/n` (`inv[0]` unused), as far as the deepest path needs.
    inv: Vec<f64>,
}

/// `EXTEND` of Algorithm 2: adds a feature with its zero and one fractions to the path.
/// `inv[n]` is `1/n`, so that no division sits in the loops.
fn extend(path: &mut [PathElement], depth: usize, zero: f64, one: f64, feature: usize, inv: &[f64]) {
    path[depth] = PathElement { feature, zero, one, weight: if depth == 0 { 1.0 } else { 0.0 } };
    let inv_d1 = inv[depth + 1];
    for i in (0..depth).rev() {
        let w = path[i].weight * inv_d1;
        path[i + 1].weight += one * w * (i + 1) as f64;
        path[i].weight = zero * w * (depth - i) as f64;
    }
}

/// `UNWIND` of Algorithm 2: removes element `index` from the path (the inverse of `EXTEND`).
fn unwind(path: &mut [PathElement], depth: usize, index: usize, inv: &[f64]) {
    let PathElement { zero, one, .. } = path[index];
    let d1 = (depth + 1) as f64;
    if one == 0.0 {
        let scale = d1 / zero;
        for i in (0..depth).rev() {
            path[i].weight *= scale * inv[depth - i];
        }
    } else {
        let scale = d1 / one;
        let zero_scaled = zero * inv[depth + 1];
        let mut next_one = path[depth].weight;
        for i in (0..depth).rev() {
            let w = path[i].weight;
            path[i].weight = next_one * (scale * inv[i + 1]);
            next_one = w - path[i].weight * (zero_scaled * (depth - i) as f64);
        }
    }
    for i in index..depth {
        let PathElement { feature, zero, one, .. } = path[i + 1];
        path[i].feature = feature;
        path[i].zero = zero;
        path[i].one = one;
    }
}

/// The total permutation weight the path would have without element `index`, whose one
/// fraction is not 0.
fn unwound_sum(path: &[PathElement], depth: usize, index: usize, inv: &[f64]) -> f64 {
    let PathElement { zero, one, .. } = path[index];
    debug_assert!(one != 0.0);
    let scale = (depth + 1) as f64 / one;
    let zero_scaled = zero * inv[depth + 1];
    let mut next_one = path[depth].weight;
    let mut total = 0.0;
    for i in (0..depth).rev() {
        let t = next_one * (scale * inv[i + 1]);
        total += t;
        next_one = path[i].weight - t * (zero_scaled * (depth - i) as f64);
    }
    total
}

/// `zero` times the total permutation weight the path would have without an element whose one
/// fraction is 0 (the same for every such element).
fn cold_unwound_sum(path: &[PathElement], depth: usize, inv: &[f64]) -> f64 {
    let total: f64 = (0..depth).map(|i| path[i].weight * inv[depth - i]).sum();
    total * (depth + 1) as f64
}

/// Which side of a (row, background row) pair decides a feature on the current path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    Free,
    X,
    Background,
}

enum PairStep {
    Visit(usize),
    Branch { node: usize, feature: usize, x_side: bool },
    Undo { feature: usize, x_side: bool },
}

/// Reusable buffers of the pair walk.
struct PairScratch {
    side: Vec<Side>,
    x_features: Vec<usize>,
    b_features: Vec<usize>,
    steps: Vec<PairStep>,
}

impl PairScratch {
    fn new(n_features: usize) -> Self {
        Self { side: vec![Side::Free; n_features], x_features: Vec::new(), b_features: Vec::new(), steps: Vec::new() }
    }
}

/// Shapley values of the game `1[A ⊆ S, N ∩ S = ∅]` with `|A| = a`, `|N| = n`:
/// `(a−1)!n!/(a+n)! = 1/(a·C(a+n, a))` for each feature of `A`, minus `1/(n·C(a+n, n))` for each
/// of `N`, tabulated for `a + n ≤ max`.
struct PairCoefficients {
    size: usize,
    x_side: Vec<f64>,
    background_side: Vec<f64>,
}

impl PairCoefficients {
    fn new(max: usize) -> Self {
        let size = max + 1;
        let mut x_side = vec![0.0; size * size];
        let mut background_side = vec![0.0; size * size];
        for a in 0..size {
            for n in 0..size - a {
                if a > 0 {
                    x_side[a * size + n] = 1.0 / (a as f64 * binomial(a + n, a));
                }
                if n > 0 {
                    background_side[a * size + n] = 1.0 / (n as f64 * binomial(a + n, n));
                }
            }
        }
        Self { size, x_side, background_side }
    }

    #[inline]
    fn x_side(&self, a: usize, n: usize) -> f64 {
        self.x_side[a * self.size + n]
    }

    #[inline]
    fn background_side(&self, a: usize, n: usize) -> f64 {
        self.background_side[a * self.size + n]
    }
}

/// `C(n, k)` as a float.
fn binomial(n: usize, k: usize) -> f64 {
    let k = k.min(n - k);
    (1..=k).fold(1.0, |acc, j| acc * (n - k + j) as f64 / j as f64)
}

/// `w(i, m) = i!(m−1−i)!/m!` for `i` in `0..m`: the Shapley weights of `m` players, and
/// `∫₀¹ tⁱ(1−t)^{m−1−i} dt`.
fn shapley_weights(m: usize) -> Vec<f64> {
    (0..m).map(|i| 1.0 / (m as f64 * binomial(m - 1, i))).collect()
}

/// Placement of one leaf's table.
#[derive(Debug, Clone, Copy)]
struct TableLeaf {
    /// Distinct features on the path.
    k: usize,
    /// Start of the leaf's features in `Tables::features`.
    features: usize,
    /// Start of the leaf's `2^k × stride` numbers in `Tables::entries`.
    entries: usize,
    stride: usize,
}

/// Per-leaf contributions for every pattern of the path's features (`FastTreeSHAP` v2).
struct Tables {
    leaves: Vec<TableLeaf>,
    features: Vec<usize>,
    entries: Vec<f64>,
}

/// For every subset `R` of a leaf's `k` path features (as a bit mask): `Π_{d∈R} z_d` and the
/// integrals `J1(R) = ∫ (1−t)^{k−1−|R|} Q_R` and `J2(R) = ∫ (1−t)^{k−2−|R|} Q_R`, where
/// `Q_R(t) = Π_{d∈R} (z_d (1−t) + t)`.
struct SubsetIntegrals {
    zero_product: Vec<f64>,
    j1: Vec<f64>,
    j2: Vec<f64>,
}

impl SubsetIntegrals {
    fn new(zero: &[f64]) -> Self {
        let k = zero.len();
        let n = 1usize << k;
        let mut this = Self { zero_product: vec![0.0; n], j1: vec![0.0; n], j2: vec![0.0; n] };
        let w1 = shapley_weights(k);
        let w2 = shapley_weights(k.saturating_sub(1));
        // polys[l]: Q of the subset chosen among the first l features, in the scaled Bernstein
        // basis (coefficient i of tⁱ(1−t)^{r−i}, r = its degree).
        let mut polys: Vec<Vec<f64>> = (0..=k).map(|_| Vec::with_capacity(k + 1)).collect();
        polys[0].push(1.0);
        this.visit(zero, 0, 0, 1.0, &mut polys, &w1, &w2);
        this
    }

    /// Depth-first over include/exclude decisions for feature `level` onwards (depth ≤ k ≤ 20).
    #[allow(clippy::too_many_arguments)]
    fn visit(
        &mut self,
        zero: &[f64],
        level: usize,
        mask: usize,
        zero_product: f64,
        polys: &mut [Vec<f64>],
        w1: &[f64],
        w2: &[f64],
    ) {
        let k = zero.len();
        if level == k {
            let e = &polys[k];
            let r = e.len() - 1;
            self.zero_product[mask] = zero_product;
            if r < k {
                self.j1[mask] = e.iter().zip(w1).map(|(a, b)| a * b).sum();
            }
            if r + 2 <= k {
                self.j2[mask] = e.iter().zip(w2).map(|(a, b)| a * b).sum();
            }
            return;
        }
        let (done, rest) = polys.split_at_mut(level + 1);
        let (src, dst) = (&done[level], &mut rest[0]);
        dst.clear();
        dst.extend_from_slice(src);
        self.visit(zero, level + 1, mask, zero_product, polys, w1, w2);
        let (done, rest) = polys.split_at_mut(level + 1);
        let (src, dst) = (&done[level], &mut rest[0]);
        let z = zero[level];
        dst.clear();
        dst.push(z * src[0]);
        for i in 1..src.len() {
            dst.push(z * src[i] + src[i - 1]);
        }
        dst.push(src[src.len() - 1]);
        self.visit(zero, level + 1, mask | 1 << level, zero_product * z, polys, w1, w2);
    }
}

impl Tables {
    /// Lays out one table per leaf (`2^k` patterns × `stride(k)` numbers) and fills them in
    /// parallel with `fill(leaf index, leaf, its table)`; each leaf's numbers depend only on the
    /// leaf, so the result does not depend on the threads.
    fn build(
        paths: &Paths<'_>,
        stride: impl Fn(usize) -> usize,
        fill: impl Fn(usize, &LeafPath, &mut [f64]) + Sync,
        progress: &Progress,
    ) -> Result<Self> {
        let mut leaves = Vec::with_capacity(paths.leaves.len());
        let mut features = Vec::new();
        let mut n_entries = 0;
        for leaf in &paths.leaves {
            let k = leaf.features.len();
            leaves.push(TableLeaf { k, features: features.len(), entries: n_entries, stride: stride(k) });
            features.extend_from_slice(&leaf.features);
            n_entries += (1 << k) * stride(k);
        }
        let mut entries = vec![0.0; n_entries];
        let mut blocks = Vec::with_capacity(leaves.len());
        let mut rest = entries.as_mut_slice();
        for leaf in &leaves {
            let (block, tail) = rest.split_at_mut((1 << leaf.k) * leaf.stride);
            blocks.push(block);
            rest = tail;
        }
        blocks.into_par_iter().zip(&paths.leaves).enumerate().try_for_each(|(i, (block, leaf))| {
            progress.check()?;
            fill(i, leaf, block);
            Ok::<(), Error>(())
        })?;
        Ok(Self { leaves, features, entries })
    }

    /// Path-dependent SHAP values: for pattern `P` and `Z(P) = Π_{d∉P} z_d`, feature `s` gets
    /// `v · Z(P) · (1 − z_s) · J1(P∖s)` when `s ∈ P` and `−v · Z(P) · J1(P)` otherwise.
    fn first_order(paths: &Paths<'_>, progress: &Progress) -> Result<Self> {
        let fill = |_: usize, leaf: &LeafPath, out: &mut [f64]| {
            let k = leaf.features.len();
            let full = (1usize << k) - 1;
            let sums = SubsetIntegrals::new(&leaf.zero);
            for (p, row) in out.chunks_exact_mut(k.max(1)).enumerate() {
                let outside = leaf.value * sums.zero_product[full ^ p];
                for (s, o) in row.iter_mut().enumerate() {
                    let bit = 1 << s;
                    *o = if p & bit == 0 {
                        -outside * sums.j1[p]
                    } else {
                        outside * (1.0 - leaf.zero[s]) * sums.j1[p ^ bit]
                    };
                }
            }
        };
        Self::build(paths, |k| k, fill, progress)
    }

    /// Interaction values of pairs `s < t` (in row-major order of the upper triangle):
    /// `½ v Z(P)` times `(1−z_s)(1−z_t) J2(P∖{s,t})`, `−(1−z_s) J2(P∖s)`, `−(1−z_t) J2(P∖t)` or
    /// `J2(P)` as both, only `s`, only `t` or neither are in `P`.
    fn pairs(paths: &Paths<'_>, progress: &Progress) -> Result<Self> {
        let stride = |k: usize| k * k.saturating_sub(1) / 2;
        let fill = |_: usize, leaf: &LeafPath, out: &mut [f64]| {
            let k = leaf.features.len();
            let width = stride(k);
            let full = (1usize << k) - 1;
            if width == 0 {
                return;
            }
            let sums = SubsetIntegrals::new(&leaf.zero);
            let z = &leaf.zero;
            for (p, row) in out.chunks_exact_mut(width).enumerate() {
                let outside = 0.5 * leaf.value * sums.zero_product[full ^ p];
                let mut entries = row.iter_mut();
                for s in 0..k {
                    for t in s + 1..k {
                        let (bs, bt) = (1 << s, 1 << t);
                        let e = match (p & bs != 0, p & bt != 0) {
                            (true, true) => (1.0 - z[s]) * (1.0 - z[t]) * sums.j2[p ^ bs ^ bt],
                            (true, false) => -(1.0 - z[s]) * sums.j2[p ^ bs],
                            (false, true) => -(1.0 - z[t]) * sums.j2[p ^ bt],
                            (false, false) => sums.j2[p],
                        };
                        if let Some(o) = entries.next() {
                            *o = outside * e;
                        }
                    }
                }
            }
        };
        Self::build(paths, stride, fill, progress)
    }

    /// Interventional SHAP values: each background row's pattern `B` at the leaf (weight
    /// `1/|background|`) adds, for every `x` pattern `P ⊇ (all ∖ B)`, the pair game's values with
    /// `A = all ∖ B` (only `x` satisfies them) and `N = B ∖ P` (only the background row does).
    fn interventional(paths: &Paths<'_>, background: &Matrix, progress: &Progress) -> Result<Self> {
        // How many background rows show each pattern at each leaf, sorted by pattern; gathered a
        // chunk of rows at a time, so memory stays at one chunk plus the distinct patterns.
        let n_leaves = paths.leaves.len();
        let mut counts: Vec<Vec<(usize, usize)>> = vec![Vec::new(); n_leaves];
        let mut column = Vec::new();
        for start in (0..background.n_rows()).step_by(BACKGROUND_CHUNK_ROWS) {
            progress.check()?;
            let rows = start..(start + BACKGROUND_CHUNK_ROWS).min(background.n_rows());
            let patterns = paths.block_patterns(background, rows);
            for (i, leaf_counts) in counts.iter_mut().enumerate() {
                column.clear();
                column.extend(patterns.iter().skip(i).step_by(n_leaves));
                column.sort_unstable();
                merge_counts(leaf_counts, &column);
            }
        }
        let weight = 1.0 / background.n_rows() as f64;
        let coefficients = PairCoefficients::new(paths.max_unique);
        let fill = |leaf_index: usize, leaf: &LeafPath, out: &mut [f64]| {
            let k = leaf.features.len();
            let full = (1usize << k) - 1;
            for &(background_pattern, count) in &counts[leaf_index] {
                let run_weight = leaf.value * weight * count as f64;
                let only_x = full ^ background_pattern;
                let n_x = only_x.count_ones() as usize;
                // Every x pattern that reaches the leaf with this background row: only_x ∪ sub.
                let mut sub = background_pattern;
                loop {
                    let only_b = background_pattern ^ sub;
                    let n_b = only_b.count_ones() as usize;
                    let row = &mut out[(only_x | sub) * k..][..k];
                    if n_x > 0 {
                        let gain = run_weight * coefficients.x_side(n_x, n_b);
                        for_each_bit(only_x, |slot| row[slot] += gain);
                    }
                    if n_b > 0 {
                        let loss = run_weight * coefficients.background_side(n_x, n_b);
                        for_each_bit(only_b, |slot| row[slot] -= loss);
                    }
                    if sub == 0 {
                        break;
                    }
                    sub = (sub - 1) & background_pattern;
                }
            }
        };
        Self::build(paths, |k| k, fill, progress)
    }

    /// Adds, for a block of rows, each leaf's table row for the row's pattern at the leaf
    /// (`patterns` from [`Paths::block_patterns`]) to the row's `m` values in `phi`. Goes leaf by
    /// leaf over the whole block, so a leaf's table is read from memory once per block rather
    /// than once per row; each row still adds the leaves up in the same order.
    fn add_first_order(&self, patterns: &[usize], phi: &mut [f64], m: usize) {
        let n_leaves = self.leaves.len();
        for (i, leaf) in self.leaves.iter().enumerate() {
            let features = &self.features[leaf.features..][..leaf.k];
            for (phi, row_patterns) in phi.chunks_exact_mut(m).zip(patterns.chunks_exact(n_leaves)) {
                let entries = &self.entries[leaf.entries + row_patterns[i] * leaf.stride..][..leaf.k];
                for (&f, &v) in features.iter().zip(entries) {
                    phi[f] += v;
                }
            }
        }
    }

    /// As [`Tables::add_first_order`] for pair interactions, added to both halves of each row's
    /// `m × m` matrix in `phi_ij`.
    fn add_pairs(&self, patterns: &[usize], phi_ij: &mut [f64], m: usize) {
        let n_leaves = self.leaves.len();
        for (i, leaf) in self.leaves.iter().enumerate() {
            let features = &self.features[leaf.features..][..leaf.k];
            for (phi_ij, row_patterns) in phi_ij.chunks_exact_mut(m * m).zip(patterns.chunks_exact(n_leaves)) {
                let mut entries = self.entries[leaf.entries + row_patterns[i] * leaf.stride..][..leaf.stride].iter();
                for (s, &fs) in features.iter().enumerate() {
                    for &ft in &features[s + 1..] {
                        if let Some(&v) = entries.next() {
                            phi_ij[fs * m + ft] += v;
                            phi_ij[ft * m + fs] += v;
                        }
                    }
                }
            }
        }
    }
}

/// Merges the sorted `patterns` into `counts`, a list of (pattern, count) sorted by pattern.
fn merge_counts(counts: &mut Vec<(usize, usize)>, patterns: &[usize]) {
    let mut merged = Vec::with_capacity(counts.len() + patterns.len());
    let mut old = counts.iter().copied().peekable();
    for run in patterns.chunk_by(|a, b| a == b) {
        let pattern = run[0];
        while let Some(earlier) = old.next_if(|&(p, _)| p < pattern) {
            merged.push(earlier);
        }
        let before = old.next_if(|&(p, _)| p == pattern).map_or(0, |(_, c)| c);
        merged.push((pattern, before + run.len()));
    }
    merged.extend(old);
    *counts = merged;
}

/// Calls `f` with the index of every set bit of `mask`, lowest first.
#[inline]
fn for_each_bit(mut mask: usize, mut f: impl FnMut(usize)) {
    while mask != 0 {
        f(mask.trailing_zeros() as usize);
        mask &= mask - 1;
    }
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::*;
    use crate::model::tree::LEAF;

    const TREE_JSON: &str = include_str!("../../tests/fixtures/treeshap/tree_cls_depth8.json");
    const REFERENCE_JSON: &str = include_str!("../../tests/fixtures/treeshap/shap_ref_cls_depth8.json");
    const TOLERANCE: f64 = 1e-9;
    const ALGORITHMS: [Algorithm; 2] = [Algorithm::Tables, Algorithm::Walk];

    fn fixture() -> (Tree, Value) {
        let tree = Tree::from_sklearn_json(&serde_json::from_str(TREE_JSON).unwrap()).unwrap();
        (tree, serde_json::from_str(REFERENCE_JSON).unwrap())
    }

    fn numbers(v: &Value) -> Vec<f64> {
        v.as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect()
    }

    fn matrix(v: &Value) -> Matrix {
        let rows: Vec<Vec<f64>> = v.as_array().unwrap().iter().map(numbers).collect();
        Matrix::from_rows(&rows, rows[0].len()).unwrap()
    }

    fn max_diff(a: &[f64], b: &[f64]) -> f64 {
        assert_eq!(a.len(), b.len());
        a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f64::max)
    }

    fn assert_close(a: &[f64], b: &[f64], tolerance: f64, what: &str) {
        // `f64::max` would skip a NaN.
        assert!(a.iter().chain(b).all(|v| v.is_finite()), "{what}: not finite");
        let d = max_diff(a, b);
        assert!(d <= tolerance, "{what}: max difference {d:e} > {tolerance:e}");
    }

    /// The rows repeated until there are `n`.
    fn repeat_rows(x: &Matrix, n: usize) -> Matrix {
        let idx: Vec<usize> = (0..n).map(|i| i % x.n_rows()).collect();
        x.select_rows(&idx)
    }

    /// A tiny linear congruential generator: uniform numbers in [0, 1).
    struct Lcg(u64);

    impl Lcg {
        fn next(&mut self) -> f64 {
            self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            (self.0 >> 11) as f64 / (1u64 << 53) as f64
        }

        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // a number in [0, n)
        fn below(&mut self, n: usize) -> usize {
            ((self.next() * n as f64) as usize).min(n - 1)
        }
    }

    /// A random tree over `n_features` features in [0, 1) that reaches `depth` (its leftmost
    /// path always splits) and elsewhere splits with probability `p`; two outputs, integer
    /// covers that add up, as a fitted tree's.
    fn random_tree(seed: u64, depth: usize, n_features: usize, p: f64) -> Tree {
        let mut rng = Lcg(seed);
        let mut t = Tree {
            left: vec![LEAF],
            right: vec![LEAF],
            feature: vec![0],
            threshold: vec![0.0],
            cover: vec![1e15],
            values: vec![0.5, 0.5],
            n_outputs: 2,
            n_features,
        };
        // (node, depth, on the leftmost path)
        let mut open = vec![(0usize, 0usize, true)];
        while let Some((node, d, spine)) = open.pop() {
            let cover = t.cover[node];
            if d >= depth || cover < 2.0 || !(spine || rng.next() < p) {
                let v = rng.next();
                t.values[2 * node] = 1.0 - v;
                t.values[2 * node + 1] = v;
                continue;
            }
            // The leftmost path cycles through the features, so long paths test many of them.
            t.feature[node] = if spine { d % n_features } else { rng.below(n_features) };
            t.threshold[node] = rng.next();
            let left_cover = ((0.1 + 0.8 * rng.next()) * cover).floor().clamp(1.0, cover - 1.0);
            for (c, child_cover) in [left_cover, cover - left_cover].into_iter().enumerate() {
                let id = t.left.len();
                t.left.push(LEAF);
                t.right.push(LEAF);
                t.feature.push(0);
                t.threshold.push(0.0);
                t.cover.push(child_cover);
                t.values.extend([0.5, 0.5]);
                if c == 0 {
                    t.left[node] = id;
                } else {
                    t.right[node] = id;
                }
                open.push((id, d + 1, spine && c == 0));
            }
        }
        t.validate().unwrap();
        t
    }

    /// Random rows in [0, 1) with about 5 % missing values.
    fn random_rows(seed: u64, n: usize, n_features: usize) -> Matrix {
        let mut rng = Lcg(seed);
        let data = (0..n * n_features).map(|_| if rng.next() < 0.05 { f64::NAN } else { rng.next() }).collect();
        Matrix::from_vec(data, n, n_features).unwrap()
    }

    /// x0 <= 0.5 ? (x1 <= 0.3 ? (x2 <= 0.5 ? 0.5 : 3.0) : 1.0)
    ///           : (x0 <= 0.8 ? (x1 <= 0.6 ? -1.0 : 2.5) : -2.0)
    /// with x0 tested twice on a path, one output, covers that add up.
    fn hand_tree() -> Tree {
        Tree {
            left: vec![1, 3, 5, 7, LEAF, 9, LEAF, LEAF, LEAF, LEAF, LEAF],
            right: vec![2, 4, 6, 8, LEAF, 10, LEAF, LEAF, LEAF, LEAF, LEAF],
            feature: vec![0, 1, 0, 2, 0, 1, 0, 0, 0, 0, 0],
            threshold: vec![0.5, 0.3, 0.8, 0.5, 0.0, 0.6, 0.0, 0.0, 0.0, 0.0, 0.0],
            cover: vec![100.0, 60.0, 40.0, 35.0, 25.0, 30.0, 10.0, 20.0, 15.0, 12.0, 18.0],
            values: vec![0.0, 0.0, 0.0, 0.0, 1.0, 0.0, -2.0, 0.5, 3.0, -1.0, 2.5],
            n_outputs: 1,
            n_features: 3,
        }
    }

    fn hand_rows() -> Matrix {
        let rows = [
            [0.2, 0.1, 0.4],
            [0.2, 0.1, 0.9],
            [0.2, 0.7, 0.4],
            [0.6, 0.5, 0.0],
            [0.6, 0.9, 0.0],
            [0.9, 0.0, 1.0],
            [0.5, 0.3, 0.5],
            [f64::NAN, 0.1, 0.9],
            [0.7, f64::NAN, f64::NAN],
        ];
        Matrix::from_rows(&rows, 3).unwrap()
    }

    // ---- brute force: every coalition, straight from the definitions ----

    /// Path-dependent `v(S)`: follow `x` on features in `S`, split by cover elsewhere
    /// (Algorithm 1 of Lundberg et al. 2018).
    fn conditional_expectation(tree: &Tree, x: &[f64], coalition: usize, node: usize, output: usize) -> f64 {
        if tree.is_leaf(node) {
            return tree.value(node)[output];
        }
        let f = tree.feature[node];
        if coalition & (1 << f) != 0 {
            return conditional_expectation(tree, x, coalition, tree.next(node, x[f]), output);
        }
        let (l, r) = (tree.left[node], tree.right[node]);
        let total = tree.cover[l] + tree.cover[r];
        (tree.cover[l] * conditional_expectation(tree, x, coalition, l, output)
            + tree.cover[r] * conditional_expectation(tree, x, coalition, r, output))
            / total
    }

    /// Interventional `v(S)`: mean over the background of `f(x_S, b_rest)`.
    fn interventional_expectation(tree: &Tree, x: &[f64], background: &Matrix, coalition: usize, output: usize) -> f64 {
        let mut z = vec![0.0; x.len()];
        let total: f64 = background
            .rows()
            .map(|b| {
                for (j, zj) in z.iter_mut().enumerate() {
                    *zj = if coalition & (1 << j) != 0 { x[j] } else { b[j] };
                }
                tree.predict(&z)[output]
            })
            .sum();
        total / background.n_rows() as f64
    }

    fn factorial(n: usize) -> f64 {
        (1..=n).map(|i| i as f64).product()
    }

    /// Shapley values and interaction indices of the game `v` over `m` players.
    fn brute_force(m: usize, v: impl Fn(usize) -> f64) -> (Vec<f64>, Vec<f64>) {
        let values: Vec<f64> = (0..1usize << m).map(&v).collect();
        let mut phi = vec![0.0; m];
        let mut phi_ij = vec![0.0; m * m];
        for s in 0..1usize << m {
            let size = s.count_ones() as usize;
            for i in (0..m).filter(|i| s & (1 << i) == 0) {
                phi[i] += factorial(size) * factorial(m - size - 1) / factorial(m) * (values[s | 1 << i] - values[s]);
                for j in (0..m).filter(|&j| j != i && s & (1 << j) == 0) {
                    let w = factorial(size) * factorial(m - size - 2) / (2.0 * factorial(m - 1));
                    let delta = values[s | 1 << i | 1 << j] - values[s | 1 << i] - values[s | 1 << j] + values[s];
                    phi_ij[i * m + j] += w * delta;
                }
            }
        }
        for i in 0..m {
            let off: f64 = (0..m).filter(|&j| j != i).map(|j| phi_ij[i * m + j]).sum();
            phi_ij[i * m + i] = phi[i] - off;
        }
        (phi, phi_ij)
    }

    fn all_algorithms_match_brute_force(tree: &Tree, x: &Matrix, background: &Matrix, output: usize) {
        let m = tree.n_features;
        let p = Progress::new();
        for algorithm in ALGORITHMS {
            let pd = path_dependent_with(tree, x, output, algorithm, &p).unwrap();
            let iv = interventional_with(tree, x, background, output, algorithm, &p).unwrap();
            let ia = interactions_with(tree, x, output, algorithm, &p).unwrap();
            for (i, row) in x.rows().enumerate() {
                let (phi, phi_ij) = brute_force(m, |s| conditional_expectation(tree, row, s, 0, output));
                assert_close(pd.values.row(i), &phi, 1e-12, &format!("{algorithm:?} path-dependent row {i}"));
                assert_close(ia[i].as_slice(), &phi_ij, 1e-12, &format!("{algorithm:?} interactions row {i}"));
                let (phi, _) = brute_force(m, |s| interventional_expectation(tree, row, background, s, output));
                assert_close(iv.values.row(i), &phi, 1e-12, &format!("{algorithm:?} interventional row {i}"));
            }
            let base = conditional_expectation(tree, x.row(0), 0, 0, output);
            assert!((pd.base_value - base).abs() < 1e-12);
            let base = interventional_expectation(tree, x.row(0), background, 0, output);
            assert!((iv.base_value - base).abs() < 1e-12);
        }
    }

    // ---- references computed by shap ----

    #[test]
    fn path_dependent_matches_shap_for_both_classes() {
        let (tree, r) = fixture();
        let x = matrix(&r["X_f32"]);
        let cases = [(1, "shap_values", "expected_value"), (0, "shap_values_class0", "expected_value_class0")];
        for (output, values, base) in cases {
            let want = matrix(&r[values]);
            let want_base = r[base].as_f64().unwrap();
            assert!((expected_value(&tree, output) - want_base).abs() < TOLERANCE);
            for algorithm in ALGORITHMS {
                let got = path_dependent_with(&tree, &x, output, algorithm, &Progress::new()).unwrap();
                assert!((got.base_value - want_base).abs() < TOLERANCE, "{algorithm:?} base {}", got.base_value);
                assert_close(
                    got.values.as_slice(),
                    want.as_slice(),
                    TOLERANCE,
                    &format!("{algorithm:?} class {output}"),
                );
                if output == 1 {
                    assert_close(&got.predictions, &numbers(&r["prediction"]), TOLERANCE, "predictions");
                }
            }
            for (i, row) in x.rows().enumerate() {
                let (base, phi) = path_dependent_row(&tree, row, output).unwrap();
                assert!((base - want_base).abs() < TOLERANCE);
                assert_close(&phi, want.row(i), TOLERANCE, &format!("single row {i}"));
            }
        }
    }

    #[test]
    fn interventional_matches_exact_reference() {
        let (tree, r) = fixture();
        let x = matrix(&r["X_f32"]);
        let background = matrix(&r["background_X_f32"]);
        let want = matrix(&r["interventional_shap_values"]);
        let want_base = r["interventional_expected_value"].as_f64().unwrap();
        for algorithm in ALGORITHMS {
            let got = interventional_with(&tree, &x, &background, 1, algorithm, &Progress::new()).unwrap();
            assert!((got.base_value - want_base).abs() < TOLERANCE, "{algorithm:?} base {}", got.base_value);
            assert_close(got.values.as_slice(), want.as_slice(), TOLERANCE, &format!("{algorithm:?}"));
            assert_close(&got.predictions, &numbers(&r["prediction"]), TOLERANCE, "predictions");
        }
    }

    #[test]
    fn interactions_match_shap() {
        let (tree, r) = fixture();
        let x = matrix(&r["X_f32"]).select_rows(&(0..20).collect::<Vec<_>>());
        let want: Vec<Matrix> = r["interaction_values"].as_array().unwrap().iter().map(matrix).collect();
        assert_eq!(want.len(), 20);
        for algorithm in ALGORITHMS {
            let got = interactions_with(&tree, &x, 1, algorithm, &Progress::new()).unwrap();
            assert_eq!(got.len(), 20);
            for (i, (g, w)) in got.iter().zip(&want).enumerate() {
                assert_close(g.as_slice(), w.as_slice(), TOLERANCE, &format!("{algorithm:?} row {i}"));
            }
        }
    }

    // ---- invariants ----

    /// `base + Σφ = f(x)` for SHAP values, and each interaction row sums to `φ_i`.
    fn assert_efficiency(tree: &Tree, x: &Matrix, background: &Matrix, output: usize, algorithms: &[Algorithm]) {
        let p = Progress::new();
        for &algorithm in algorithms {
            let pd = path_dependent_with(tree, x, output, algorithm, &p).unwrap();
            let iv = interventional_with(tree, x, background, output, algorithm, &p).unwrap();
            let ia = interactions_with(tree, x, output, algorithm, &p).unwrap();
            for (i, row) in x.rows().enumerate() {
                let f = tree.predict(row)[output];
                assert_eq!(pd.predictions[i].to_bits(), f.to_bits());
                let sum = pd.base_value + pd.values.row(i).iter().sum::<f64>();
                assert!((sum - f).abs() < 1e-12, "{algorithm:?} path-dependent row {i}: {sum} vs {f}");
                let sum = iv.base_value + iv.values.row(i).iter().sum::<f64>();
                assert!((sum - f).abs() < 1e-12, "{algorithm:?} interventional row {i}: {sum} vs {f}");
                let m = tree.n_features;
                let row_sums: Vec<f64> = (0..m).map(|a| ia[i].row(a).iter().sum()).collect();
                assert_close(&row_sums, pd.values.row(i), 1e-12, "interaction rows sum to φ");
                for a in 0..m {
                    for b in 0..m {
                        assert!((ia[i].get(a, b) - ia[i].get(b, a)).abs() < 1e-12, "symmetry");
                    }
                }
            }
        }
    }

    #[test]
    fn efficiency_holds_on_hand_made_fixture_and_deep_trees() {
        let x = hand_rows();
        assert_efficiency(&hand_tree(), &x, &x, 0, &ALGORITHMS);
        let (tree, r) = fixture();
        let x = matrix(&r["X"]).select_rows(&(0..30).collect::<Vec<_>>());
        assert_efficiency(&tree, &x, &matrix(&r["background_X"]), 1, &ALGORITHMS);
        let deep = random_tree(7, 20, 9, 0.5);
        assert!(deep.depth() >= 20);
        let x = random_rows(8, 20, 9);
        assert_efficiency(&deep, &x, &random_rows(9, 15, 9), 1, &ALGORITHMS);
    }

    #[test]
    fn brute_force_shapley_values_agree() {
        let x = hand_rows();
        all_algorithms_match_brute_force(&hand_tree(), &x, &x, 0);
        let tree = random_tree(3, 9, 6, 0.7);
        all_algorithms_match_brute_force(&tree, &random_rows(4, 6, 6), &random_rows(5, 7, 6), 1);
    }

    #[test]
    fn tables_agree_with_the_walk() {
        let (tree, r) = fixture();
        let fixture_x = matrix(&r["X"]);
        let deep = random_tree(11, 20, 9, 0.5);
        let p = Progress::new();
        let cases = [
            (&tree, fixture_x.clone(), matrix(&r["background_X"])),
            (&deep, random_rows(12, 60, 9), random_rows(13, 40, 9)),
        ];
        for (t, x, background) in cases {
            let run = |a| path_dependent_with(t, &x, 1, a, &p).unwrap();
            assert_close(
                run(Algorithm::Tables).values.as_slice(),
                run(Algorithm::Walk).values.as_slice(),
                1e-12,
                "path-dependent",
            );
            let run = |a| interventional_with(t, &x, &background, 1, a, &p).unwrap();
            assert_close(
                run(Algorithm::Tables).values.as_slice(),
                run(Algorithm::Walk).values.as_slice(),
                1e-12,
                "interventional",
            );
            let run = |a| interactions_with(t, &x, 1, a, &p).unwrap();
            for (a, b) in run(Algorithm::Tables).iter().zip(&run(Algorithm::Walk)) {
                assert_close(a.as_slice(), b.as_slice(), 1e-12, "interactions");
            }
        }
    }

    #[test]
    fn too_many_path_features_fall_back_to_the_walk() {
        // 30 features and depth 26: some path tests more than 20 distinct features.
        let tree = random_tree(21, 26, 30, 0.3);
        let paths = Paths::new(&tree, 1);
        assert!(paths.max_unique > MAX_TABLE_FEATURES, "{}", paths.max_unique);
        let x = random_rows(22, 5, 30);
        let p = Progress::new();
        assert!(path_dependent_with(&tree, &x, 1, Algorithm::Tables, &p).is_err());
        let auto = path_dependent(&tree, &x, 1, &p).unwrap();
        let walk = path_dependent_with(&tree, &x, 1, Algorithm::Walk, &p).unwrap();
        assert_eq!(auto, walk);
        assert_efficiency(&tree, &x, &random_rows(23, 5, 30), 1, &[Algorithm::Auto, Algorithm::Walk]);
    }

    #[test]
    fn background_patterns_are_counted_across_chunks() {
        let mut counts = vec![(1, 2), (4, 1)];
        merge_counts(&mut counts, &[0, 1, 1, 3, 4, 9]);
        assert_eq!(counts, [(0, 1), (1, 4), (3, 1), (4, 2), (9, 1)]);
        // 2,500 background rows (the reference's 100, 25 times): three chunks, same values.
        let (tree, r) = fixture();
        let x = matrix(&r["X_f32"]);
        let background = matrix(&r["background_X_f32"]);
        let p = Progress::new();
        let want = interventional_with(&tree, &x, &background, 1, Algorithm::Tables, &p).unwrap();
        let got = interventional_with(&tree, &x, &repeat_rows(&background, 2_500), 1, Algorithm::Tables, &p).unwrap();
        assert_close(got.values.as_slice(), want.values.as_slice(), 1e-12, "repeated background");
        assert!((got.base_value - want.base_value).abs() < 1e-12);
    }

    #[test]
    fn results_do_not_depend_on_the_number_of_threads() {
        let (tree, r) = fixture();
        let x = repeat_rows(&matrix(&r["X"]), 500);
        let background = matrix(&r["background_X"]);
        let pool = |n| rayon::ThreadPoolBuilder::new().num_threads(n).build().unwrap();
        let (one, two) = (pool(1), pool(2));
        for algorithm in ALGORITHMS {
            let run = || {
                let p = Progress::new();
                (
                    path_dependent_with(&tree, &x, 1, algorithm, &p).unwrap(),
                    interventional_with(&tree, &x, &background, 1, algorithm, &p).unwrap(),
                    interactions_with(&tree, &x.select_rows(&(0..150).collect::<Vec<_>>()), 1, algorithm, &p).unwrap(),
                )
            };
            assert!(one.install(run) == two.install(run), "{algorithm:?}");
        }
    }

    #[test]
    fn cancelled_jobs_stop() {
        let (tree, r) = fixture();
        let x = matrix(&r["X"]);
        let p = Progress::new();
        p.cancel();
        for algorithm in [Algorithm::Auto, Algorithm::Tables, Algorithm::Walk] {
            assert!(path_dependent_with(&tree, &x, 1, algorithm, &p).is_err_and(|e| e.is_cancelled()));
            assert!(interventional_with(&tree, &x, &x, 1, algorithm, &p).is_err_and(|e| e.is_cancelled()));
            assert!(interactions_with(&tree, &x, 1, algorithm, &p).is_err_and(|e| e.is_cancelled()));
        }
    }

    #[test]
    fn progress_reaches_the_end() {
        let (tree, r) = fixture();
        let p = Progress::new();
        path_dependent(&tree, &repeat_rows(&matrix(&r["X"]), 300), 1, &p).unwrap();
        assert!((p.fraction() - 1.0).abs() < 1e-12);
    }

    #[test]
    fn rejects_bad_inputs() {
        let tree = hand_tree();
        let p = Progress::new();
        let x = hand_rows();
        let narrow = Matrix::zeros(2, 2);
        assert!(path_dependent(&tree, &narrow, 0, &p).is_err());
        assert!(path_dependent(&tree, &x, 1, &p).is_err());
        assert!(path_dependent_row(&tree, &[0.0, 1.0], 0).is_err());
        assert!(interventional(&tree, &x, &narrow, 0, &p).is_err());
        assert!(interventional(&tree, &x, &Matrix::zeros(0, 3), 0, &p).is_err());
        assert!(interactions(&tree, &narrow, 0, &p).is_err());
        assert!(expected_value(&tree, 1).is_nan());
        let mut broken = tree.clone();
        broken.cover[3] = f64::NAN;
        assert!(path_dependent(&broken, &x, 0, &p).is_err());
        broken.cover[3] = 35.0;
        broken.left[2] = 1;
        assert!(path_dependent(&broken, &x, 0, &p).is_err());
    }

    #[test]
    fn empty_inputs_and_single_leaf_trees() {
        let tree = hand_tree();
        let p = Progress::new();
        let none = path_dependent(&tree, &Matrix::zeros(0, 3), 0, &p).unwrap();
        assert_eq!((none.values.n_rows(), none.predictions.len()), (0, 0));
        let stump = Tree {
            left: vec![LEAF],
            right: vec![LEAF],
            feature: vec![0],
            threshold: vec![0.0],
            cover: vec![5.0],
            values: vec![0.25],
            n_outputs: 1,
            n_features: 2,
        };
        let x = Matrix::from_rows(&[[1.0, 2.0]], 2).unwrap();
        for algorithm in ALGORITHMS {
            let s = path_dependent_with(&stump, &x, 0, algorithm, &p).unwrap();
            assert_eq!((s.base_value, s.values.row(0), s.predictions[0]), (0.25, &[0.0, 0.0][..], 0.25));
            let s = interventional_with(&stump, &x, &x, 0, algorithm, &p).unwrap();
            assert_eq!(s.values.row(0), [0.0, 0.0]);
            assert_eq!(interactions_with(&stump, &x, 0, algorithm, &p).unwrap()[0].as_slice(), [0.0; 4]);
        }
    }

    #[test]
    fn uneven_and_zero_covers_keep_efficiency() {
        // Children covers that do not add up to the parent's, and a child nobody reached.
        let mut tree = hand_tree();
        tree.cover = vec![90.0, 70.0, 41.0, 35.0, 0.0, 30.0, 10.0, 20.0, 15.0, 0.0, 18.0];
        let x = hand_rows();
        assert_efficiency(&tree, &x, &x, 0, &ALGORITHMS);
        all_algorithms_match_brute_force(&tree, &x, &x, 0);
    }
}
