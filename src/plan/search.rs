//! The seeded counterfactual search for models whose structure cannot be read (SVMs).
//!
//! It only calls the model, in phases that go from sparse to dense:
//! 1. every controllable feature alone over a grid of 48 settable values (or every allowed
//!    level), so the cheapest one-feature change is found whenever it exists at that
//!    resolution;
//! 2. every pair of controllable features (up to 12 of them) over a 10 × 10 grid;
//! 3. the training rows nearest in cost, with their controllable values copied in (realistic
//!    jumps toward rows the model may already judge as wanted);
//! 4. when fewer than K were found: "growing spheres" (Laugel et al. 2018), random changes of
//!    a random subset of features within a radius growing from 1/8 to all of the bounds, then
//!    uniform samples of the whole box until the budget is spent.
//!
//! Each wanted point is then refined: features are reset to their original value where the
//! outcome holds without them (fewest features changed first), and the changed ones are moved
//! back toward the original by bisection on their step grid, jointly and then one by one, as
//! long as the outcome holds.
//!
//! Deterministic for a seed: random numbers come from one `ChaCha8` stream drawn in a fixed order;
//! only the model calls of a batch run in parallel, and their results are used in batch order.
//! Bounded: at most `max_evaluations` model calls. Cancellable: the progress is checked before
//! every batch and every refinement step.

// Only `Planner::counterfactuals` calls the search, after `Scenario::validate`: rows, settings and
// domains have one entry per model feature, and the knobs' feature indices are taken from them;
// random indices are drawn below the length they index.
#![allow(clippy::indexing_slicing)]

use rand::RngExt as _;
use rand::SeedableRng as _;
use rand::rngs::ChaCha8Rng;
use rayon::prelude::*;

use super::Axis;
use super::Want;
use super::counterfactual::{Candidate, CounterfactualOptions, cost};
use super::regions::level_index;
use super::scenario::Scenario;
use super::whatif::Planner;
use crate::error::Result;
use crate::model::pipeline::FeatureKind;
use crate::progress::Progress;

/// Grid points per feature when it changes alone.
const SINGLE_GRID: usize = 48;
/// Grid points per feature when two change together.
const PAIR_GRID: usize = 10;
/// Most controllable features for which every pair is tried.
const MAX_PAIR_FEATURES: usize = 12;
/// Training rows tried as seeds.
const SEEDS: usize = 64;
/// Samples per radius of the growing spheres.
const SPHERE_SAMPLES: usize = 128;
/// Radii of the growing spheres.
const SPHERE_ROUNDS: usize = 8;

/// A controllable feature and the values it may take.
enum Knob {
    Numeric(Axis),
    Levels(Vec<usize>),
}

struct Searcher<'a> {
    planner: &'a Planner,
    scenario: &'a Scenario,
    want: &'a Want,
    x0: &'a [f64],
    knobs: Vec<(usize, Knob)>,
    budget: usize,
    used: usize,
    progress: &'a Progress,
}

impl Searcher<'_> {
    fn remaining(&self) -> usize {
        self.budget.saturating_sub(self.used)
    }

    /// Evaluates rows in parallel (as many as the budget allows); returns the wanted ones.
    fn wanted(&mut self, mut rows: Vec<Vec<f64>>) -> Result<Vec<Vec<f64>>> {
        self.progress.check()?;
        rows.truncate(self.remaining());
        let ok: Vec<bool> =
            rows.par_iter().with_min_len(16).map(|r| self.want.satisfied(&self.planner.predict(r))).collect();
        self.used += rows.len();
        self.progress.set_count(self.used, self.budget);
        Ok(rows.into_iter().zip(ok).filter_map(|(r, ok)| ok.then_some(r)).collect())
    }

    /// One evaluation (for refinement); `None` when the budget is spent.
    fn test(&mut self, row: &[f64]) -> Result<Option<bool>> {
        self.progress.check()?;
        if self.remaining() == 0 {
            return Ok(None);
        }
        self.used += 1;
        Ok(Some(self.want.satisfied(&self.planner.predict(row))))
    }

    fn values(knob: &Knob, n: usize) -> Vec<f64> {
        match knob {
            Knob::Numeric(axis) => axis.grid(n),
            Knob::Levels(levels) => levels.iter().map(|&k| k as f64).collect(),
        }
    }

    fn singles(&self) -> Vec<Vec<f64>> {
        let mut rows = Vec::new();
        for (j, knob) in &self.knobs {
            for v in Self::values(knob, SINGLE_GRID) {
                if v != self.x0[*j] {
                    let mut r = self.x0.to_vec();
                    r[*j] = v;
                    rows.push(r);
                }
            }
        }
        rows
    }

    fn pairs(&self) -> Vec<Vec<f64>> {
        let mut rows = Vec::new();
        if self.knobs.len() > MAX_PAIR_FEATURES {
            return rows;
        }
        for (a, (ja, ka)) in self.knobs.iter().enumerate() {
            for (jb, kb) in self.knobs.iter().skip(a + 1) {
                for va in Self::values(ka, PAIR_GRID) {
                    for vb in Self::values(kb, PAIR_GRID) {
                        if va != self.x0[*ja] && vb != self.x0[*jb] {
                            let mut r = self.x0.to_vec();
                            r[*ja] = va;
                            r[*jb] = vb;
                            rows.push(r);
                        }
                    }
                }
            }
        }
        rows
    }

    /// Training rows with their controllable values copied in, cheapest first.
    fn seeds(&self) -> Vec<Vec<f64>> {
        let reference = &self.planner.reference;
        let mut hybrids: Vec<(f64, Vec<f64>)> = reference
            .rows()
            .map(|t| {
                let mut r = self.x0.to_vec();
                for (j, knob) in &self.knobs {
                    let v = t[*j];
                    match knob {
                        Knob::Numeric(axis) => {
                            if let Some(s) = axis.snap(v) {
                                r[*j] = s;
                            }
                        }
                        Knob::Levels(levels) => {
                            if level_index(v, usize::MAX).is_some_and(|k| levels.contains(&k)) {
                                r[*j] = v;
                            }
                        }
                    }
                }
                (cost(self.planner, self.scenario, self.x0, &r).0, r)
            })
            .filter(|(c, _)| *c > 0.0)
            .collect();
        hybrids.sort_by(|a, b| a.0.total_cmp(&b.0));
        hybrids.dedup_by(|a, b| a.1 == b.1);
        hybrids.into_iter().take(SEEDS).map(|(_, r)| r).collect()
    }

    fn random_row(&self, rng: &mut ChaCha8Rng, radius: f64) -> Vec<f64> {
        let mut r = self.x0.to_vec();
        let n = self.knobs.len();
        let mut chosen: Vec<bool> = (0..n).map(|_| rng.random::<f64>() < 0.5).collect();
        if !chosen.iter().any(|&c| c) {
            chosen[rng.random_range(0..n)] = true;
        }
        for (i, (j, knob)) in self.knobs.iter().enumerate() {
            if !chosen[i] {
                continue;
            }
            match knob {
                Knob::Numeric(axis) => {
                    let width = (axis.upper - axis.lower) * radius;
                    let v = self.x0[*j] + (2.0 * rng.random::<f64>() - 1.0) * width;
                    if let Some(s) = axis.snap(v) {
                        r[*j] = s;
                    }
                }
                Knob::Levels(levels) => {
                    if !levels.is_empty() {
                        r[*j] = levels[rng.random_range(0..levels.len())] as f64;
                    }
                }
            }
        }
        r
    }

    /// Moves a wanted row back toward the original while the outcome holds.
    fn refine(&mut self, mut x: Vec<f64>) -> Result<Vec<f64>> {
        for _ in 0..3 {
            let before = x.clone();
            self.sparsify(&mut x)?;
            self.shrink_jointly(&mut x)?;
            let numeric: Vec<(usize, _)> = self
                .knobs
                .iter()
                .filter_map(|(j, knob)| if let Knob::Numeric(axis) = knob { Some((*j, *axis)) } else { None })
                .collect();
            for (j, axis) in numeric {
                if x[j] != self.x0[j] {
                    self.shrink_one(&mut x, j, &axis)?;
                }
            }
            if x == before || self.remaining() == 0 {
                break;
            }
        }
        Ok(x)
    }

    /// Resets changed features to their original values where the outcome still holds,
    /// trying the costliest change first.
    fn sparsify(&mut self, x: &mut [f64]) -> Result<()> {
        let domains = self.planner.domains();
        let mut changed: Vec<(f64, usize)> = (0..x.len())
            .filter(|&j| x[j] != self.x0[j])
            .map(|j| {
                let d = &domains[j];
                let c = if d.kind == FeatureKind::Categorical { 1.0 } else { (x[j] - self.x0[j]).abs() / d.scale };
                (c, j)
            })
            .collect();
        changed.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        if changed.len() < 2 {
            return Ok(());
        }
        for (_, j) in changed {
            let keep = x[j];
            x[j] = self.x0[j];
            if x == self.x0 {
                x[j] = keep;
                continue;
            }
            match self.test(x)? {
                Some(true) => {}
                _ => x[j] = keep,
            }
        }
        Ok(())
    }

    /// Bisection along the segment from the original row to `x` over all changed numbers.
    fn shrink_jointly(&mut self, x: &mut [f64]) -> Result<()> {
        let moving: Vec<(usize, Axis)> = self
            .knobs
            .iter()
            .filter_map(|(j, k)| match k {
                Knob::Numeric(a) if x[*j] != self.x0[*j] => Some((*j, *a)),
                _ => None,
            })
            .collect();
        if moving.len() < 2 {
            return Ok(());
        }
        let target = x.to_vec();
        let (mut lo, mut hi) = (0.0_f64, 1.0_f64);
        let mut best = target.clone();
        for _ in 0..12 {
            let t = f64::midpoint(lo, hi);
            let mut r = target.clone();
            for (j, axis) in &moving {
                if let Some(v) = axis.snap(self.x0[*j] + t * (target[*j] - self.x0[*j])) {
                    r[*j] = v;
                }
            }
            match self.test(&r)? {
                Some(true) => {
                    hi = t;
                    best = r;
                }
                Some(false) => lo = t,
                None => break,
            }
        }
        x.copy_from_slice(&best);
        Ok(())
    }

    /// Bisection of one feature between its original value and its value in `x`.
    fn shrink_one(&mut self, x: &mut [f64], j: usize, axis: &Axis) -> Result<()> {
        let (mut near, mut far) = (self.x0[j], x[j]);
        for _ in 0..40 {
            let Some(mid) = axis.snap(f64::midpoint(near, far)) else { break };
            if mid == near || mid == far {
                // Adjacent grid values: try the one next to `near` once more.
                break;
            }
            let keep = x[j];
            x[j] = mid;
            match self.test(x)? {
                Some(true) => far = mid,
                Some(false) => {
                    x[j] = keep;
                    near = mid;
                }
                None => {
                    x[j] = keep;
                    break;
                }
            }
        }
        x[j] = far;
        Ok(())
    }
}

/// Runs the search from filled-in row `x0`; returns refined candidates (unranked) and the model
/// evaluations spent.
pub(crate) fn search(
    planner: &Planner,
    scenario: &Scenario,
    want: &Want,
    x0: &[f64],
    options: &CounterfactualOptions,
    progress: &Progress,
) -> Result<(Vec<Candidate>, usize)> {
    let knobs: Vec<(usize, Knob)> = scenario
        .features
        .iter()
        .enumerate()
        .filter(|(_, f)| f.controllable)
        .filter_map(|(j, f)| {
            let d = planner.domains().get(j)?;
            Some((
                j,
                match d.kind {
                    FeatureKind::Numeric => Knob::Numeric(f.axis(d.scale)),
                    FeatureKind::Categorical => {
                        Knob::Levels((0..d.levels.len()).filter(|&k| f.allows_level(k)).collect())
                    }
                },
            ))
        })
        .collect();
    let count = options.count.max(1);
    let mut s =
        Searcher { planner, scenario, want, x0, knobs, budget: options.max_evaluations.max(1), used: 0, progress };
    if s.knobs.is_empty() {
        return Ok((Vec::new(), 0));
    }
    let mut found: Vec<Vec<f64>> = Vec::new();
    let singles = s.singles();
    found.extend(s.wanted(singles)?);
    let pairs = s.pairs();
    found.extend(s.wanted(pairs)?);
    let seeds = s.seeds();
    found.extend(s.wanted(seeds)?);
    let mut rng = ChaCha8Rng::seed_from_u64(options.seed);
    if found.len() < count {
        for round in 1..=SPHERE_ROUNDS {
            #[allow(clippy::cast_precision_loss)]
            let radius = round as f64 / SPHERE_ROUNDS as f64;
            let batch: Vec<Vec<f64>> = (0..SPHERE_SAMPLES).map(|_| s.random_row(&mut rng, radius)).collect();
            found.extend(s.wanted(batch)?);
            if found.len() >= count || s.remaining() == 0 {
                break;
            }
        }
    }
    // Nothing yet: spend what is left of the budget on the whole box, keeping some for refining.
    while found.is_empty() && s.remaining() > SPHERE_SAMPLES * 2 {
        let batch: Vec<Vec<f64>> = (0..SPHERE_SAMPLES).map(|_| s.random_row(&mut rng, 1.0)).collect();
        found.extend(s.wanted(batch)?);
    }

    // Refine the best few of each set of changed features.
    let mut ranked: Vec<Candidate> = found
        .into_iter()
        .map(|values| {
            let (c, changed) = cost(planner, scenario, x0, &values);
            Candidate { values, changed, cost: c }
        })
        .collect();
    ranked.sort_by(|a, b| a.changed.len().cmp(&b.changed.len()).then(a.cost.total_cmp(&b.cost)));
    let mut per_set: Vec<(Vec<usize>, usize)> = Vec::new();
    let mut to_refine: Vec<Candidate> = Vec::new();
    for c in ranked {
        if to_refine.len() >= 6 * count {
            break;
        }
        let slot = if let Some(i) = per_set.iter().position(|(set, _)| *set == c.changed) {
            i
        } else {
            per_set.push((c.changed.clone(), 0));
            per_set.len() - 1
        };
        if per_set[slot].1 < 2 {
            per_set[slot].1 += 1;
            to_refine.push(c);
        }
    }
    let mut out = Vec::with_capacity(to_refine.len());
    for c in to_refine {
        let values = s.refine(c.values)?;
        let (cst, changed) = cost(planner, scenario, x0, &values);
        out.push(Candidate { values, changed, cost: cst });
    }
    Ok((out, s.used))
}
