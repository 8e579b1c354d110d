//! Operating windows: for chosen controllable setpoints, the box in which the model gives the
//! wanted outcome with every other feature as it is in the scenario — the limits one would
//! program into a PLC.
//!
//! The setpoints' ranges are cut into cells, and the model's outcome is looked up once per cell:
//! - **trees** (exact): the cells lie between consecutive split thresholds of the tree on each
//!   setpoint; with the other features held, the tree's prediction is constant within a cell,
//!   so one evaluation decides the whole cell and the window's edges are the tree's thresholds;
//! - **other models**: a regular grid of `resolution` settable values per setpoint (41 by
//!   default) between its bounds; the outcome is checked at the grid points only, so the model
//!   could change between two neighbouring points — the window's edges are known to within one
//!   grid spacing, which the result states.
//!
//! The window is grown from the cell of the current setpoints (or, when those do not give the
//! outcome, from the nearest cell that does) one cell at a time, round robin over the setpoints
//! and both sides, for as long as every cell of the new slab gives the outcome. The result is a
//! maximal box (no side can grow) in which every cell was checked, not necessarily the largest
//! such box.

// `operating_window` checks the scenario against the model and looks the named setpoints up with
// `get`; after that rows and domains have one entry per feature, cell coordinates stay below each
// axis' `dims`, and `flatten` maps a cell into the memo it sized.
#![allow(clippy::indexing_slicing)]

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::Want;
use super::regions::tree_thresholds;
use super::scenario::{Scenario, feature_index};
use super::whatif::Planner;
use crate::error::{Error, Result};
use crate::model::pipeline::FeatureKind;
use crate::progress::Progress;

/// Settings of [`Planner::operating_window`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct WindowOptions {
    /// Grid points per setpoint for models other than trees.
    pub resolution: usize,
    /// Most cells (product over the setpoints) the window may look at.
    pub max_cells: usize,
}

impl Default for WindowOptions {
    fn default() -> Self {
        Self { resolution: 41, max_cells: 250_000 }
    }
}

/// The window's limits on one setpoint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WindowLimit {
    /// The feature (model order).
    pub feature: usize,
    /// Its name.
    pub name: String,
    /// Lowest settable value inside the window.
    pub min: f64,
    /// Highest settable value inside the window.
    pub max: f64,
    /// Where the outcome changes below `min`: the tree's threshold (values at or below it are
    /// outside), or the nearest grid point checked outside; `None` when the window reaches the
    /// lower bound.
    pub edge_below: Option<f64>,
    /// Where the outcome changes above `max` (trees: values above it are outside); `None` when
    /// the window reaches the upper bound.
    pub edge_above: Option<f64>,
}

/// A box of setpoints in which the model gives the wanted outcome.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OperatingWindow {
    /// What the window guarantees.
    pub want: Want,
    /// One limit per chosen setpoint; empty when no cell gives the outcome.
    pub limits: Vec<WindowLimit>,
    /// Whether the scenario's own setpoints are inside.
    pub contains_current: bool,
    /// True for trees (checked for every point), false for a grid.
    pub exact: bool,
    /// Grid points per setpoint when not exact.
    pub resolution: Option<usize>,
    /// Model evaluations spent.
    pub evaluations: usize,
    /// A sentence for people.
    pub message: String,
}

/// One setpoint's cells: a representative value per cell and the cells' edges.
struct Cells {
    feature: usize,
    /// The value evaluated for each cell.
    reps: Vec<f64>,
    /// Trees: the thresholds between cells (`reps.len() - 1` of them).
    thresholds: Vec<f64>,
}

impl Planner {
    /// The operating window of `features` (names of controllable numeric features) around a
    /// scenario for `want`, the other features held at the scenario's values.
    ///
    /// # Errors
    /// An unknown, fixed or categorical feature, contradictory bounds, too many cells, a wanted
    /// outcome that does not fit the model, or a cancel.
    pub fn operating_window(
        &self,
        scenario: &Scenario,
        features: &[String],
        want: &Want,
        options: &WindowOptions,
        progress: &Progress,
    ) -> Result<OperatingWindow> {
        let model = self.model();
        want.check(model)?;
        scenario.validate(model)?;
        if features.is_empty() {
            return Err(Error::invalid("name at least one setpoint for the operating window"));
        }
        let exact = model.tree().is_some();
        let axes = self.window_axes(scenario, features, options, exact)?;
        let dims: Vec<usize> = axes.iter().map(|a| a.reps.len().max(1)).collect();
        let total = dims.iter().try_fold(1usize, |acc, &n| acc.checked_mul(n)).unwrap_or(usize::MAX);
        if total > options.max_cells {
            return Err(Error::invalid(format!(
                "the window would need {total} cells (more than {}); choose fewer setpoints{}",
                options.max_cells,
                if exact { "" } else { " or a coarser resolution" }
            )));
        }
        let base = scenario.values();
        let mut grid = Grid {
            planner: self,
            want,
            base: &base,
            axes: &axes,
            dims: &dims,
            memo: vec![None; total],
            evaluations: 0,
        };

        // The cell of the current setpoints.
        let start: Vec<usize> = axes
            .iter()
            .map(|a| {
                let v = self.filled(&base)[a.feature];
                if exact {
                    a.thresholds.iter().filter(|&&t| t < v).count()
                } else {
                    a.reps
                        .iter()
                        .enumerate()
                        .min_by(|x, y| (x.1 - v).abs().total_cmp(&(y.1 - v).abs()))
                        .map_or(0, |(i, _)| i)
                }
            })
            .collect();
        let current_ok = want.satisfied(&self.predict(&base));
        let start_ok = grid.check(std::slice::from_ref(&start), progress)?;
        let contains_current = current_ok && start_ok;
        let start = if start_ok {
            start
        } else {
            // Every cell, then the nearest wanted one (normalised distance from the current point).
            let all: Vec<Vec<usize>> = (0..total).map(|i| grid.unflatten(i)).collect();
            grid.evaluate(&all, progress)?;
            let distance = |cell: &[usize]| -> f64 {
                axes.iter()
                    .zip(cell)
                    .map(|(a, &i)| (a.reps[i] - self.filled(&base)[a.feature]).abs() / self.domains()[a.feature].scale)
                    .sum()
            };
            let best = all
                .iter()
                .filter(|c| grid.memo[grid.flatten(c)] == Some(true))
                .min_by(|a, b| distance(a).total_cmp(&distance(b)));
            match best {
                Some(c) => c.clone(),
                None => {
                    return Ok(OperatingWindow {
                        want: want.clone(),
                        limits: Vec::new(),
                        contains_current: false,
                        exact,
                        resolution: (!exact).then_some(options.resolution),
                        evaluations: grid.evaluations,
                        message: format!(
                            "no setting of {} within the bounds gives {} with the other features as they are",
                            features.join(", "),
                            want.describe(model)
                        ),
                    });
                }
            }
        };

        let (lo, hi) = grow(&mut grid, start, progress)?;

        let limits = self.window_limits(&axes, &lo, &hi, scenario, exact);
        let message =
            describe_window(&limits, &want.describe(model), contains_current, (!exact).then_some(options.resolution));
        progress.set(1.0);
        Ok(OperatingWindow {
            want: want.clone(),
            limits,
            contains_current,
            exact,
            resolution: (!exact).then_some(options.resolution),
            evaluations: grid.evaluations,
            message,
        })
    }
    /// One axis of cells per setpoint: for trees the intervals between the tree's thresholds
    /// within the setpoint's bounds, else a grid of `options.resolution` points.
    fn window_axes(
        &self,
        scenario: &Scenario,
        features: &[String],
        options: &WindowOptions,
        exact: bool,
    ) -> Result<Vec<Cells>> {
        let model = self.model();
        let mut axes: Vec<Cells> = Vec::new();
        for name in features {
            let j = feature_index(&model.pipeline.features, name)?;
            let (Some(d), Some(f)) = (self.domains().get(j), scenario.features.get(j)) else {
                return Err(Error::invalid(format!("the scenario has no value for '{name}'")));
            };
            if d.kind == FeatureKind::Categorical {
                return Err(Error::invalid(format!(
                    "'{}' is a category; an operating window is a range of numeric setpoints",
                    d.name
                )));
            }
            if !f.controllable {
                return Err(Error::invalid(format!(
                    "'{}' is fixed in this scenario; mark it controllable first",
                    d.name
                )));
            }
            if axes.iter().any(|a| a.feature == j) {
                return Err(Error::invalid(format!("'{}' is named twice", d.name)));
            }
            let (lo, hi) = (f.lower, f.upper);
            let cells = if exact {
                let thresholds: Vec<f64> =
                    tree_thresholds(model, j).into_iter().filter(|&t| t >= lo && t < hi).collect();
                let mut edges = vec![lo];
                edges.extend(&thresholds);
                edges.push(hi);
                let reps = edges.windows(2).map(|w| f64::midpoint(w[0], w[1])).collect();
                Cells { feature: j, reps, thresholds }
            } else {
                Cells { feature: j, reps: f.axis(d.scale).grid(options.resolution.max(2)), thresholds: Vec::new() }
            };
            axes.push(cells);
        }
        Ok(axes)
    }

    /// Each setpoint's limits in the grown window, with the edges just outside it.
    fn window_limits(
        &self,
        axes: &[Cells],
        lo: &[usize],
        hi: &[usize],
        scenario: &Scenario,
        exact: bool,
    ) -> Vec<WindowLimit> {
        axes.iter()
            .enumerate()
            .map(|(f, a)| {
                let setting = &scenario.features[a.feature];
                let axis = setting.axis(self.domains()[a.feature].scale);
                let (min, max, edge_below, edge_above) = if exact {
                    let below = lo[f].checked_sub(1).and_then(|i| a.thresholds.get(i)).copied();
                    let above = a.thresholds.get(hi[f]).copied();
                    let min = match below {
                        Some(t) => axis.above(t),
                        None => axis.at_least(setting.lower),
                    };
                    let max = axis.at_most(above.unwrap_or(setting.upper));
                    (min.unwrap_or(f64::NAN), max.unwrap_or(f64::NAN), below, above)
                } else {
                    let below = lo[f].checked_sub(1).and_then(|i| a.reps.get(i)).copied();
                    let above = a.reps.get(hi[f] + 1).copied();
                    (a.reps[lo[f]], a.reps[hi[f]], below, above)
                };
                WindowLimit {
                    feature: a.feature,
                    name: self.domains()[a.feature].name.clone(),
                    min,
                    max,
                    edge_below,
                    edge_above,
                }
            })
            .collect()
    }
}

/// The window in words: each setpoint's range, what it gives, and what to know about it.
fn describe_window(limits: &[WindowLimit], want: &str, contains_current: bool, grid: Option<usize>) -> String {
    let fmt = crate::data::format_number;
    let parts: Vec<String> = limits.iter().map(|l| format!("{} ≤ {} ≤ {}", fmt(l.min), l.name, fmt(l.max))).collect();
    format!(
        "{} gives {want}{}{}",
        parts.join(", "),
        if contains_current { "" } else { " (the current setpoints are outside this window)" },
        match grid {
            None => String::new(),
            Some(points) => {
                format!("; checked on a grid of {points} points per setpoint, so edges are known to one grid step")
            }
        }
    )
}

/// Grows the window from the `start` cell round robin, one slab of cells per side at a time,
/// while every cell of the slab gives the wanted outcome; returns its lowest and highest cell.
fn grow(grid: &mut Grid<'_>, start: Vec<usize>, progress: &Progress) -> Result<(Vec<usize>, Vec<usize>)> {
    let dims = grid.dims;
    let (mut lo, mut hi) = (start.clone(), start);
    let mut stuck = vec![[false; 2]; dims.len()];
    loop {
        let mut grew = false;
        for f in 0..dims.len() {
            for side in 0..2 {
                if stuck[f][side] {
                    continue;
                }
                let next = if side == 0 { lo[f].checked_sub(1) } else { Some(hi[f] + 1).filter(|&n| n < dims[f]) };
                let Some(next) = next else {
                    stuck[f][side] = true;
                    continue;
                };
                let slab = slab(&lo, &hi, f, next);
                if grid.check(&slab, progress)? {
                    if side == 0 {
                        lo[f] = next;
                    } else {
                        hi[f] = next;
                    }
                    grew = true;
                } else {
                    stuck[f][side] = true;
                }
            }
        }
        if !grew {
            break;
        }
    }
    Ok((lo, hi))
}

/// The cells of the box `lo..=hi` with dimension `f` set to `at`.
fn slab(lo: &[usize], hi: &[usize], f: usize, at: usize) -> Vec<Vec<usize>> {
    let mut out = vec![Vec::with_capacity(lo.len())];
    for d in 0..lo.len() {
        let range: Vec<usize> = if d == f { vec![at] } else { (lo[d]..=hi[d]).collect() };
        out = out
            .into_iter()
            .flat_map(|prefix| {
                range.iter().map(move |&i| {
                    let mut c = prefix.clone();
                    c.push(i);
                    c
                })
            })
            .collect();
    }
    out
}

/// The cells and what the model says in each, evaluated lazily.
struct Grid<'a> {
    planner: &'a Planner,
    want: &'a Want,
    base: &'a [f64],
    axes: &'a [Cells],
    dims: &'a [usize],
    memo: Vec<Option<bool>>,
    evaluations: usize,
}

impl Grid<'_> {
    fn flatten(&self, cell: &[usize]) -> usize {
        cell.iter().zip(self.dims).fold(0, |acc, (&i, &n)| acc * n + i)
    }

    fn unflatten(&self, mut index: usize) -> Vec<usize> {
        let mut cell = vec![0; self.dims.len()];
        for d in (0..self.dims.len()).rev() {
            cell[d] = index % self.dims[d];
            index /= self.dims[d];
        }
        cell
    }

    /// Evaluates the cells not yet known (in parallel).
    fn evaluate(&mut self, cells: &[Vec<usize>], progress: &Progress) -> Result<()> {
        progress.check()?;
        let todo: Vec<(usize, Vec<f64>)> = cells
            .iter()
            .map(|c| (self.flatten(c), c))
            .filter(|(i, _)| self.memo[*i].is_none())
            .map(|(i, c)| {
                let mut row = self.base.to_vec();
                for (a, &k) in self.axes.iter().zip(c) {
                    row[a.feature] = a.reps[k];
                }
                (i, row)
            })
            .collect();
        let results: Vec<(usize, bool)> = todo
            .par_iter()
            .with_min_len(16)
            .map(|(i, row)| (*i, self.want.satisfied(&self.planner.predict(row))))
            .collect();
        self.evaluations += results.len();
        for (i, ok) in results {
            self.memo[i] = Some(ok);
        }
        Ok(())
    }

    /// True when every cell gives the outcome.
    fn check(&mut self, cells: &[Vec<usize>], progress: &Progress) -> Result<bool> {
        self.evaluate(cells, progress)?;
        Ok(cells.iter().all(|c| self.memo[self.flatten(c)] == Some(true)))
    }
}
