//! The work behind [`super::monitor`]: what is known of the training rows ([`Reference`], built
//! once), then the new rows in one parallel pass (prediction, deciding rule, envelope ranges),
//! the envelope's k-NN check on a seeded sample, the per-feature statistics (each feature's
//! values sorted once for the whole data and once per period), the metrics and the periods.

use std::borrow::Cow;
use std::sync::atomic::{AtomicUsize, Ordering};

use rand::SeedableRng as _;
use rand::rngs::ChaCha8Rng;
use rand::seq::index;
use rayon::prelude::*;

use super::input::NewRows;
use super::stats::{self, Histogram, Sorted};
use super::{
    Bins, ClassShare, EnvelopeDrift, EnvelopeFeature, FeatureDrift, MonitorReport, MonitorSettings, PeriodDrift,
    PeriodFeature, PredictionDrift, QuantileShift, RuleDrift, RuleFiring, TimeInfo, metrics, periods,
};
use crate::data::Dataset;
use crate::error::Result;
use crate::model::pipeline::{FeatureKind, FeatureSpec};
use crate::model::train::TrainingReport;
use crate::model::{ModelParams, Task, TrainedModel};
use crate::plan::{Envelope, PlannerOptions};
use crate::progress::Progress;
use crate::project::Project;
use crate::rules::RuleSet;

/// Rows per work item of the parallel pass.
const CHUNK: usize = 4096;

/// Per row checked by the envelope's k-NN score: the row and, when its combination is unlike the
/// training rows, the feature that differs most from the nearest one.
type Checked = Vec<(usize, Option<usize>)>;

/// A feature's figures on all new rows and per period.
type Compared = (Figures, Vec<Figures>);

/// Quantiles of predicted values reported for a regression model.
const QUANTILES: [f64; 5] = [0.05, 0.25, 0.5, 0.75, 0.95];

/// What one feature looked like in training.
struct FeatureRef {
    spec: FeatureSpec,
    /// Numbers: the training values, sorted.
    sorted: Sorted,
    /// Numbers: the PSI cut points.
    cuts: Vec<f64>,
    /// Training rows per PSI bin (categories: per level, then levels never seen).
    then: Vec<usize>,
    missing: usize,
}

/// A feature's figures on some new rows.
struct Figures {
    psi: f64,
    ks: Option<f64>,
    now: Vec<usize>,
    missing: usize,
    outside: usize,
    total: usize,
    /// Numbers, on all new rows: the median.
    median: Option<f64>,
    /// Numbers, on all new rows: the histogram beside the training values.
    histogram: Option<Histogram>,
}

impl FeatureRef {
    fn new(spec: &FeatureSpec, values: &[f64], bins: usize) -> Self {
        match spec.kind {
            FeatureKind::Numeric => {
                let sorted = Sorted::new(values.iter().copied());
                let cuts = stats::quantile_cuts(sorted.values(), bins);
                let then = stats::bin_counts(&sorted, &cuts);
                let missing = sorted.missing();
                Self { spec: spec.clone(), sorted, cuts, then, missing }
            }
            FeatureKind::Categorical => {
                let (then, missing) = level_counts(values.iter().copied(), spec.levels.len());
                Self { spec: spec.clone(), sorted: Sorted::default(), cuts: Vec::new(), then, missing }
            }
        }
    }

    /// The figures of new values of this feature; with `whole` (all new rows) also the median
    /// and the histogram.
    fn compare(&self, values: impl Iterator<Item = f64>, settings: &MonitorSettings, whole: bool) -> Figures {
        match self.spec.kind {
            FeatureKind::Numeric => {
                let sorted = Sorted::new(values);
                let now = stats::bin_counts(&sorted, &self.cuts);
                let psi = stats::psi(&self.then, &now, (self.missing, sorted.missing()), settings.psi_floor);
                let ks = stats::ks(self.sorted.values(), sorted.values());
                let outside =
                    sorted.count_below(self.spec.min) + sorted.values().len() - sorted.count_at_most(self.spec.max);
                let (missing, total) = (sorted.missing(), sorted.total());
                let (median, histogram) = if whole {
                    (sorted.median(), Histogram::new(&self.sorted, &sorted, settings.histogram_bins))
                } else {
                    (None, None)
                };
                Figures { psi, ks, now, missing, outside, total, median, histogram }
            }
            FeatureKind::Categorical => {
                let mut total = 0;
                let (now, missing) = level_counts(values.inspect(|_| total += 1), self.spec.levels.len());
                let psi = stats::psi(&self.then, &now, (self.missing, missing), settings.psi_floor);
                let outside = now.last().copied().unwrap_or(0);
                Figures { psi, ks: None, now, missing, outside, total, median: None, histogram: None }
            }
        }
    }
}

/// Rows per level code (`n_levels` bins, then one for codes outside them) and missing values.
fn level_counts(values: impl Iterator<Item = f64>, n_levels: usize) -> (Vec<usize>, usize) {
    let mut counts = vec![0usize; n_levels + 1];
    let mut missing = 0;
    for v in values {
        if v.is_nan() {
            missing += 1;
            continue;
        }
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // checked in range
        let slot = if v >= 0.0 && v < n_levels as f64 && v.fract() == 0.0 { v as usize } else { n_levels };
        if let Some(c) = counts.get_mut(slot) {
            *c += 1;
        }
    }
    (counts, missing)
}

/// The region of the training rows one rule decides: per feature their range (numbers) or the
/// levels they had (categories).
struct RuleBox {
    low: Vec<f64>,
    high: Vec<f64>,
    levels: Vec<Vec<bool>>,
    any: bool,
}

impl RuleBox {
    fn empty(specs: &[FeatureSpec]) -> Self {
        Self {
            low: vec![f64::INFINITY; specs.len()],
            high: vec![f64::NEG_INFINITY; specs.len()],
            levels: specs.iter().map(|s| vec![false; s.levels.len()]).collect(),
            any: false,
        }
    }

    fn add(&mut self, filled: &[f64]) {
        self.any = true;
        for (j, &v) in filled.iter().enumerate() {
            if let (Some(lo), Some(hi)) = (self.low.get_mut(j), self.high.get_mut(j)) {
                *lo = lo.min(v);
                *hi = hi.max(v);
            }
            if let Some(seen) = self.levels.get_mut(j).and_then(|l| level_slot(l, v)) {
                *seen = true;
            }
        }
    }

    /// Whether a filled raw row lies within the region (every feature within its range, every
    /// category at a level the rule's training rows had).
    fn contains(&self, filled: &[f64], specs: &[FeatureSpec]) -> bool {
        self.any
            && specs.iter().zip(filled).enumerate().all(|(j, (spec, &v))| match spec.kind {
                FeatureKind::Numeric => {
                    self.low.get(j).is_some_and(|&lo| v >= lo) && self.high.get(j).is_some_and(|&hi| v <= hi)
                }
                FeatureKind::Categorical => self.levels.get(j).is_some_and(|l| level_of(l, v).is_some_and(|&s| s)),
            })
    }
}

fn level_index(v: f64, n: usize) -> Option<usize> {
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // checked in range
    (v >= 0.0 && v.fract() == 0.0 && v < n as f64).then_some(v as usize)
}

fn level_slot(levels: &mut [bool], v: f64) -> Option<&mut bool> {
    let i = level_index(v, levels.len())?;
    levels.get_mut(i)
}

fn level_of(levels: &[bool], v: f64) -> Option<&bool> {
    levels.get(level_index(v, levels.len())?)
}

/// Whether a raw value lies outside its feature's training range (or is a level never seen).
fn outside_range(spec: &FeatureSpec, v: f64) -> bool {
    if v.is_nan() {
        return false;
    }
    match spec.kind {
        FeatureKind::Numeric => v < spec.min || v > spec.max,
        FeatureKind::Categorical => level_index(v, spec.levels.len()).is_none(),
    }
}

/// The predictions of the training rows.
enum PredRef {
    Classes { then: Vec<usize> },
    Values { sorted: Sorted, cuts: Vec<f64>, then: Vec<usize>, mean: f64 },
}

/// Everything monitoring needs to know of the training rows, built once.
pub(super) struct Reference<'a> {
    report: &'a TrainingReport,
    features: Vec<FeatureRef>,
    predictions: PredRef,
    rules: RuleSet,
    rule_source: String,
    train_rules: Vec<usize>,
    boxes: Vec<RuleBox>,
    envelope: Envelope,
    training_outside: f64,
    training_rows: usize,
}

impl<'a> Reference<'a> {
    /// Reads the training rows of `report` from the project's data and learns what monitoring
    /// compares with.
    ///
    /// # Errors
    /// The data does not fit the model (a damaged project), the rules cannot be made, a cancel.
    pub(super) fn new(
        project: &Project,
        report: &'a TrainingReport,
        training: &Dataset,
        settings: &MonitorSettings,
        notes: &mut Vec<String>,
        progress: &Progress,
    ) -> Result<Self> {
        let model = &report.model;
        progress.set_stage("reading the training rows");
        let raw = model.raw_rows(training, &report.split.train)?;
        let n = raw.n_rows();
        let specs = &model.pipeline.features;
        let features: Vec<FeatureRef> = specs
            .par_iter()
            .enumerate()
            .map(|(j, spec)| FeatureRef::new(spec, &raw.column(j), settings.bins))
            .collect();
        progress.set(0.2);
        progress.check()?;
        let predicted: Vec<f64> = model.predict(&raw).into_iter().map(|p| p.value).collect();
        let predictions = match model.task {
            Task::Classification => PredRef::Classes { then: class_counts(&predicted, model.classes.len()) },
            Task::Regression => {
                let sorted = Sorted::new(predicted.iter().copied());
                let cuts = stats::quantile_cuts(sorted.values(), settings.bins);
                let then = stats::bin_counts(&sorted, &cuts);
                let mean = mean(sorted.values());
                PredRef::Values { sorted, cuts, then, mean }
            }
        };
        progress.set(0.4);
        progress.check()?;
        progress.set_stage("reading the rules");
        let (rules, rule_source) = rule_set(project, report, training, notes, &progress.sub(0.4, 0.7))?;
        let filled = crate::plan::fill_missing(model, &raw);
        let mut boxes: Vec<RuleBox> = (0..=rules.rules.len()).map(|_| RuleBox::empty(specs)).collect();
        let mut train_rules = Vec::with_capacity(n);
        for row in filled.rows() {
            let r = rules.rule_for_filled(row).unwrap_or(rules.rules.len());
            if let Some(b) = boxes.get_mut(r) {
                b.add(row);
            }
            train_rules.push(r);
        }
        progress.check()?;
        progress.set_stage("learning the training envelope");
        let options = PlannerOptions::default();
        let (_, envelope) = crate::plan::training_envelope(model, &filled, &options)?;
        progress.set(1.0);
        Ok(Self {
            report,
            features,
            predictions,
            rules,
            rule_source,
            train_rules,
            boxes,
            envelope,
            // 1 − 0.99 without the rounding noise of the subtraction.
            training_outside: ((1.0 - options.envelope_quantile) * 1e9).round() / 1e9,
            training_rows: n,
        })
    }

    fn model(&self) -> &TrainedModel {
        &self.report.model
    }

    fn specs(&self) -> &[FeatureSpec] {
        &self.report.model.pipeline.features
    }
}

/// The rule set to follow: the project's saved one when it is for this model, else one rule
/// per leaf of the tree (or of a surrogate tree for an SVM, as `glassbox rules` makes it).
fn rule_set(
    project: &Project,
    report: &TrainingReport,
    training: &Dataset,
    notes: &mut Vec<String>,
    progress: &Progress,
) -> Result<(RuleSet, String)> {
    let model = &report.model;
    if let Some(saved) = &project.rule_set {
        let same = saved.features.len() == model.n_features()
            && saved.features.iter().zip(&model.pipeline.features).all(|(a, b)| a.name == b.name && a.kind == b.kind);
        if same {
            return Ok((saved.clone(), format!("the project's rule set ({} rules)", saved.rules.len())));
        }
        notes
            .push("the project's saved rule set is for other features than its model; the rules are made again".into());
    }
    if model.tree().is_some() {
        let rs = crate::rules::from_model_tree(model)?;
        let text = format!("one rule per leaf of the model's tree ({} rules)", rs.rules.len());
        return Ok((rs, text));
    }
    let depth = crate::rules::compute::SURROGATE_DEPTH;
    let prepared =
        crate::rules::compute::prepare(report, training, &crate::rules::compute::surrogate_params(depth), progress)?;
    let rs = (*prepared.base).clone();
    let kind = match &report.settings.params {
        ModelParams::Svm(_) => "SVM's",
        ModelParams::Tree(_) => "model's",
    };
    let text = format!(
        "one rule per leaf of a surrogate tree (depth {depth}) fitted to the {kind} decisions ({} rules)",
        rs.rules.len()
    );
    Ok((rs, text))
}

fn class_counts(predicted: &[f64], k: usize) -> Vec<usize> {
    let mut counts = vec![0usize; k];
    for &p in predicted {
        if let Some(c) = level_index(p, k).and_then(|i| counts.get_mut(i)) {
            *c += 1;
        }
    }
    counts
}

fn mean(values: &[f64]) -> f64 {
    if values.is_empty() { f64::NAN } else { values.iter().sum::<f64>() / values.len() as f64 }
}

fn share(part: usize, whole: usize) -> f64 {
    if whole == 0 { 0.0 } else { part as f64 / whole as f64 }
}

/// What the pass over the new rows found, one entry per row.
#[derive(Default)]
struct RowResults {
    predicted: Vec<f64>,
    probabilities: Vec<f64>,
    rule: Vec<usize>,
    unseen: Vec<bool>,
    out_of_range: Vec<bool>,
}

impl RowResults {
    fn append(&mut self, mut o: Self) {
        self.predicted.append(&mut o.predicted);
        self.probabilities.append(&mut o.probabilities);
        self.rule.append(&mut o.rule);
        self.unseen.append(&mut o.unseen);
        self.out_of_range.append(&mut o.out_of_range);
    }
}

/// Row `i` of the new data in the raw feature space, into `row`.
fn fill_row(columns: &[Cow<'_, [f64]>], i: usize, row: &mut [f64]) {
    for (slot, column) in row.iter_mut().zip(columns) {
        *slot = column.get(i).copied().unwrap_or(f64::NAN);
    }
}

/// Predicts every new row, finds the rule that decides it and whether it lies within the
/// training ranges, in parallel blocks of rows (in row order).
fn row_pass(reference: &Reference<'_>, rows: &NewRows<'_>, progress: &Progress) -> Result<RowResults> {
    let model = reference.model();
    let specs = reference.specs();
    let n = rows.n_rows;
    let blocks = n.div_ceil(CHUNK);
    let done = AtomicUsize::new(0);
    let parts: Vec<RowResults> = (0..blocks)
        .into_par_iter()
        .map(|b| -> Result<RowResults> {
            progress.check()?;
            let range = b * CHUNK..((b + 1) * CHUNK).min(n);
            let mut out = RowResults::default();
            let mut row = vec![f64::NAN; specs.len()];
            let mut filled = Vec::with_capacity(specs.len());
            for i in range {
                fill_row(&rows.columns, i, &mut row);
                let p = model.predict_row(&row);
                out.predicted.push(p.value);
                out.probabilities.extend_from_slice(&p.probabilities);
                reference.rules.fill(&row, &mut filled);
                let r = reference.rules.rule_for_filled(&filled).unwrap_or(reference.rules.rules.len());
                out.unseen.push(!reference.boxes.get(r).is_some_and(|bx| bx.contains(&filled, specs)));
                out.rule.push(r);
                out.out_of_range.push(specs.iter().zip(&row).any(|(s, &v)| outside_range(s, v)));
            }
            progress.set_count(done.fetch_add(1, Ordering::Relaxed) + 1, blocks);
            Ok(out)
        })
        .collect::<Result<Vec<_>>>()?;
    let k = model.classes.len();
    let mut all = RowResults {
        predicted: Vec::with_capacity(n),
        probabilities: Vec::with_capacity(n * k),
        rule: Vec::with_capacity(n),
        unseen: Vec::with_capacity(n),
        out_of_range: Vec::with_capacity(n),
    };
    // Each block's buffers are freed as they are moved, so the results are not held twice.
    for p in parts {
        all.append(p);
    }
    Ok(all)
}

/// The envelope's k-NN check on the rows within every training range (a seeded sample of
/// `envelope_rows` when there are more): per checked row, `Some(feature)` (the one that differs
/// most from the nearest training row) when its combination is unlike the training rows.
fn envelope_pass(
    reference: &Reference<'_>,
    rows: &NewRows<'_>,
    out_of_range: &[bool],
    settings: &MonitorSettings,
    progress: &Progress,
) -> Result<(Checked, bool)> {
    let inside: Vec<usize> = out_of_range.iter().enumerate().filter(|(_, o)| !**o).map(|(i, _)| i).collect();
    let sampled = inside.len() > settings.envelope_rows;
    let checked: Vec<usize> = if sampled {
        let mut rng = ChaCha8Rng::seed_from_u64(settings.seed);
        let mut picks = index::sample(&mut rng, inside.len(), settings.envelope_rows).into_vec();
        picks.sort_unstable();
        picks.into_iter().filter_map(|p| inside.get(p).copied()).collect()
    } else {
        inside
    };
    let m = reference.specs().len();
    let done = AtomicUsize::new(0);
    let total = checked.len().div_ceil(256).max(1);
    let results: Vec<(usize, Option<usize>)> = checked
        .par_chunks(256)
        .map(|block| -> Result<Vec<(usize, Option<usize>)>> {
            progress.check()?;
            let mut row = vec![f64::NAN; m];
            let out = block
                .iter()
                .map(|&i| {
                    fill_row(&rows.columns, i, &mut row);
                    let check = reference.envelope.check(&row);
                    let feature = (!check.near_training).then(|| {
                        let gaps = reference.envelope.nearest_gaps(&row);
                        gaps.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1)).map_or(0, |(j, _)| j)
                    });
                    (i, feature)
                })
                .collect();
            progress.set_count(done.fetch_add(1, Ordering::Relaxed) + 1, total);
            Ok(out)
        })
        .collect::<Result<Vec<_>>>()?
        .into_iter()
        .flatten()
        .collect();
    Ok((results, sampled))
}

/// The estimated share of `rows` outside the envelope (see [`EnvelopeDrift::outside`]) and how
/// many of them were checked.
fn outside_share(rows: impl Iterator<Item = usize>, out_of_range: &[bool], unlike: &[Option<bool>]) -> (f64, usize) {
    let (mut n, mut oor) = (0usize, 0usize);
    let (mut checked, mut far) = (0usize, 0usize);
    for i in rows {
        n += 1;
        if out_of_range.get(i).copied().unwrap_or(false) {
            oor += 1;
        } else if let Some(Some(u)) = unlike.get(i) {
            checked += 1;
            far += usize::from(*u);
        }
    }
    let inside = n - oor;
    let estimate = share(oor, n) + share(inside, n) * share(far, checked);
    (estimate, checked)
}

/// A note when a numeric feature's median moved by orders of magnitude (or by 273, Kelvin and
/// degrees Celsius) and now lies outside the training range: the units may have changed.
fn unit_note(spec: &FeatureSpec, then: Option<f64>, now: Option<f64>) -> Option<String> {
    let (then, now) = (then?, now?);
    if now >= spec.min && now <= spec.max {
        return None;
    }
    let shown = |v: f64| crate::rules::score::significant(v, 4);
    let shift = now - then;
    if (shift.abs() - 273.15).abs() < 5.0 && (spec.max - spec.min) < 200.0 {
        return Some(format!(
            "the median moved by {} (from {} to {}): Kelvin and degrees Celsius mixed up?",
            shown(shift),
            shown(then),
            shown(now)
        ));
    }
    if then != 0.0 && now != 0.0 && then.signum() == now.signum() {
        let ratio = now / then;
        let factor = ratio.max(1.0 / ratio);
        if factor >= 9.5 {
            let known: [(f64, &str); 6] = [
                (10.0, "mm and cm, or bar and MPa"),
                (60.0, "minutes and seconds, or hours and minutes"),
                (100.0, "a share and a percentage, or m and cm"),
                (1000.0, "kW and W, kg and g, m and mm, or kPa and Pa"),
                (3600.0, "hours and seconds"),
                (1e6, "MW and W, or MPa and Pa"),
            ];
            let direction = if ratio > 1.0 { "larger" } else { "smaller" };
            let hint = match known.iter().find(|(f, _)| (factor / f - 1.0).abs() < 0.2) {
                Some((f, h)) => format!(", about {} times {direction} (for example {h})", shown(*f)),
                None => format!(", {} times {direction}", shown((factor * 10.0).round() / 10.0)),
            };
            return Some(format!(
                "the median moved from {} to {}{hint}: were the units changed?",
                shown(then),
                shown(now)
            ));
        }
    }
    None
}

/// Runs the monitor on matched new rows (see [`super::monitor`]).
///
/// # Errors
/// A cancel, or a metric that cannot be computed.
#[allow(clippy::too_many_lines)] // one pass through the report's parts, in order
pub(super) fn run(
    reference: &Reference<'_>,
    rows: &NewRows<'_>,
    new: &Dataset,
    settings: &MonitorSettings,
    mut notes: Vec<String>,
    progress: &Progress,
) -> Result<MonitorReport> {
    let model = reference.model();
    let specs = reference.specs();
    let n = rows.n_rows;

    progress.set_stage("predicting the new rows");
    let results = row_pass(reference, rows, &progress.sub(0.0, 0.45))?;
    progress.set_stage("checking the envelope");
    let (checked, sampled) = envelope_pass(reference, rows, &results.out_of_range, settings, &progress.sub(0.45, 0.7))?;
    let mut unlike: Vec<Option<bool>> = vec![None; n];
    for (i, f) in &checked {
        if let Some(slot) = unlike.get_mut(*i) {
            *slot = Some(f.is_some());
        }
    }

    let timeline = rows.times.as_ref().and_then(|(_, t)| periods::timeline(t, settings.period, settings.bins));
    progress.set_stage("comparing the features");
    let period_rows: &[Vec<usize>] = timeline.as_ref().map_or(&[], |t| t.rows.as_slice());
    let feature_progress = progress.sub(0.7, 0.9);
    let done = AtomicUsize::new(0);
    let compared: Vec<Compared> = reference
        .features
        .par_iter()
        .zip(rows.columns.par_iter())
        .map(|(f, column)| -> Result<Compared> {
            feature_progress.check()?;
            let whole = f.compare(column.iter().copied(), settings, true);
            let per: Vec<Figures> = period_rows
                .iter()
                .map(|p| f.compare(p.iter().map(|&i| column.get(i).copied().unwrap_or(f64::NAN)), settings, false))
                .collect();
            feature_progress.set_count(done.fetch_add(1, Ordering::Relaxed) + 1, specs.len());
            Ok((whole, per))
        })
        .collect::<Result<Vec<_>>>()?;

    let features: Vec<FeatureDrift> = reference
        .features
        .iter()
        .zip(&compared)
        .map(|(f, (fig, _))| {
            let numeric = f.spec.kind == FeatureKind::Numeric;
            let median_then = f.sorted.median().filter(|_| numeric);
            let median_now = fig.median;
            let note = if numeric { unit_note(&f.spec, median_then, median_now) } else { None };
            if let Some(text) = &note {
                notes.push(format!("column '{}': {text}", f.spec.name));
            }
            let mut labels = Vec::new();
            if !numeric {
                labels.clone_from(&f.spec.levels);
                labels.push("(levels never seen)".to_owned());
            }
            FeatureDrift {
                name: f.spec.name.clone(),
                kind: f.spec.kind,
                unit: f.spec.unit.clone(),
                psi: fig.psi,
                ks: fig.ks,
                outside_range: share(fig.outside, fig.total),
                outside_range_rows: fig.outside,
                missing_then: share(f.missing, reference.training_rows),
                missing_now: share(fig.missing, fig.total),
                drift: settings.level(fig.psi, fig.ks),
                median_then,
                median_now,
                min_then: numeric.then_some(f.spec.min),
                max_then: numeric.then_some(f.spec.max),
                bins: Bins {
                    cuts: f.cuts.clone(),
                    labels,
                    then: f.then.clone(),
                    now: fig.now.clone(),
                    missing_then: f.missing,
                    missing_now: fig.missing,
                },
                histogram: fig.histogram.clone(),
                note,
            }
        })
        .collect();

    let (outside, checked_rows) = outside_share(0..n, &results.out_of_range, &unlike);
    let mut envelope_features: Vec<EnvelopeFeature> = features
        .iter()
        .map(|f| EnvelopeFeature { name: f.name.clone(), outside_range_rows: f.outside_range_rows, unlike_rows: 0 })
        .collect();
    for (_, f) in &checked {
        if let Some(e) = f.and_then(|j| envelope_features.get_mut(j)) {
            e.unlike_rows += 1;
        }
    }
    let unlike_total = checked.iter().filter(|(_, f)| f.is_some()).count();
    envelope_features.retain(|e| e.outside_range_rows + e.unlike_rows > 0);
    envelope_features.sort_by_key(|e| std::cmp::Reverse(e.outside_range_rows + e.unlike_rows));
    let envelope = EnvelopeDrift {
        outside,
        outside_range: share(results.out_of_range.iter().filter(|o| **o).count(), n),
        unlike_checked: share(unlike_total, checked_rows),
        checked_rows,
        sampled,
        training_outside: reference.training_outside,
        features: envelope_features,
    };

    let predictions = prediction_drift(reference, &results.predicted, settings);
    let rules = rule_drift(reference, &results, settings);
    progress.set(0.92);
    progress.set_stage("comparing the metrics");
    let metrics = match &rows.actual {
        Some(actual) => {
            metrics::compare(reference.report, actual, &results.predicted, &results.probabilities, settings)?
        }
        None => None,
    };
    if rows.actual.is_some() && metrics.is_none() {
        notes.push("no new row has both a known target and a prediction, so there are no metrics".into());
    }
    progress.check()?;

    let train_rule_counts = rule_counts(reference.rules.rules.len() + 1, reference.train_rules.iter().copied());
    let (time, period_list) = match (&timeline, &rows.times) {
        (Some(t), Some((column, _))) => {
            let list: Vec<PeriodDrift> = t
                .rows
                .iter()
                .enumerate()
                .map(|(p, prow)| {
                    let pf: Vec<PeriodFeature> = features
                        .iter()
                        .zip(&compared)
                        .filter_map(|(f, (_, per))| {
                            let fig = per.get(p)?;
                            Some(PeriodFeature {
                                name: f.name.clone(),
                                psi: fig.psi,
                                ks: fig.ks,
                                outside_range: share(fig.outside, fig.total),
                                missing: share(fig.missing, fig.total),
                                drift: settings.level(fig.psi, fig.ks),
                            })
                        })
                        .collect();
                    let (outside_envelope, envelope_checked) =
                        outside_share(prow.iter().copied(), &results.out_of_range, &unlike);
                    let predicted: Vec<f64> = prow.iter().filter_map(|&i| results.predicted.get(i).copied()).collect();
                    let (prediction_psi, class_shares, prediction_quantiles) =
                        period_predictions(reference, &predicted, settings);
                    let (rule_psi, rule_shares, rule_unseen_rows) =
                        period_rules(&train_rule_counts, &results, prow, settings);
                    let (target_rows, pmetrics) = rows
                        .actual
                        .as_ref()
                        .and_then(|a| {
                            let actual: Vec<f64> =
                                prow.iter().map(|&i| a.get(i).copied().unwrap_or(f64::NAN)).collect();
                            metrics::point_values(model.task, &model.classes, &actual, &predicted)
                        })
                        .map_or((0, None), |(r, m)| (r, Some(m)));
                    PeriodDrift {
                        label: t.labels.get(p).cloned().unwrap_or_default(),
                        start: t.starts.get(p).cloned().unwrap_or_default(),
                        rows: prow.len(),
                        psi_noise: stats::psi_noise(settings.bins, reference.training_rows, prow.len()),
                        features: pf,
                        outside_envelope,
                        envelope_checked,
                        prediction_psi,
                        class_shares,
                        prediction_quantiles,
                        rule_psi,
                        rule_shares,
                        rule_unseen_rows,
                        target_rows,
                        metrics: pmetrics,
                    }
                })
                .collect();
            // A period too small for its PSI to be read on its own (a partial first day or week)
            // does not mark the start when a full one can.
            let enough = 25 * settings.bins;
            let major = |p: &&PeriodDrift| p.features.iter().any(|f| f.drift == super::DriftLevel::Major);
            let began = list
                .iter()
                .filter(|p| p.rows >= enough)
                .find(major)
                .or_else(|| (!list.iter().any(|p| p.rows >= enough)).then(|| list.iter().find(major)).flatten());
            let small = list.iter().filter(|p| p.rows < enough).count();
            if small > 0 {
                notes.push(format!(
                    "{small} of {} periods have fewer than {} rows; sampling alone gives them a PSI of about \
                     (bins − 1) / rows (see each period's psi_noise), so read their drift levels with care",
                    list.len(),
                    enough
                ));
            }
            let time = TimeInfo {
                column: column.clone(),
                unit: t.unit,
                rows_without_time: t.rows_without_time,
                drift_began: began.map(|p| p.label.clone()),
                drift_began_features: began
                    .map(|p| {
                        p.features
                            .iter()
                            .filter(|f| f.drift == super::DriftLevel::Major)
                            .map(|f| f.name.clone())
                            .collect()
                    })
                    .unwrap_or_default(),
            };
            (Some(time), Some(list))
        }
        _ => (None, None),
    };
    if let Some(t) = &time
        && t.rows_without_time > 0
    {
        notes.push(format!(
            "{} rows have no time in '{}': they count in the totals but in no period",
            t.rows_without_time, t.column
        ));
    }
    progress.set(1.0);
    Ok(MonitorReport {
        data: new.name.clone(),
        model: format!("{} predicting '{}'", describe_model(reference.report), model.target),
        target: model.target.clone(),
        task: model.task,
        rows: n,
        training_rows: reference.training_rows,
        settings: settings.clone(),
        levels: settings.describe_levels(),
        psi_noise: stats::psi_noise(settings.bins, reference.training_rows, n),
        features,
        envelope,
        predictions,
        rules,
        metrics,
        time,
        periods: period_list,
        notes,
    })
}

fn describe_model(report: &TrainingReport) -> String {
    match &report.settings.params {
        ModelParams::Tree(_) => "a decision tree".into(),
        ModelParams::Svm(_) => "an SVM".into(),
    }
}

/// The predictions' drift over all new rows.
fn prediction_drift(reference: &Reference<'_>, predicted: &[f64], settings: &MonitorSettings) -> PredictionDrift {
    let model = reference.model();
    match &reference.predictions {
        PredRef::Classes { then } => {
            let now = class_counts(predicted, model.classes.len());
            let psi = stats::psi(then, &now, (0, 0), settings.psi_floor);
            let (total_then, total_now) = (then.iter().sum(), now.iter().sum());
            PredictionDrift {
                psi,
                drift: settings.level(psi, None),
                classes: model
                    .classes
                    .iter()
                    .zip(then.iter().zip(&now))
                    .map(|(c, (&a, &b))| ClassShare {
                        class: c.clone(),
                        then: share(a, total_then),
                        now: share(b, total_now),
                    })
                    .collect(),
                quantiles: Vec::new(),
                mean_then: None,
                mean_now: None,
            }
        }
        PredRef::Values { sorted, cuts, then, mean: mean_then } => {
            let now_sorted = Sorted::new(predicted.iter().copied());
            let now = stats::bin_counts(&now_sorted, cuts);
            let psi = stats::psi(then, &now, (sorted.missing(), now_sorted.missing()), settings.psi_floor);
            PredictionDrift {
                psi,
                drift: settings.level(psi, None),
                classes: Vec::new(),
                quantiles: QUANTILES
                    .iter()
                    .map(|&q| QuantileShift {
                        q,
                        then: crate::numeric::percentile_sorted(sorted.values(), q * 100.0),
                        now: crate::numeric::percentile_sorted(now_sorted.values(), q * 100.0),
                    })
                    .collect(),
                mean_then: Some(*mean_then),
                mean_now: Some(mean(now_sorted.values())),
            }
        }
    }
}

/// A period's prediction PSI, class shares (classification) and 5/50/95th percentiles
/// (regression).
fn period_predictions(
    reference: &Reference<'_>,
    predicted: &[f64],
    settings: &MonitorSettings,
) -> (f64, Vec<f64>, Vec<f64>) {
    match &reference.predictions {
        PredRef::Classes { then } => {
            let now = class_counts(predicted, then.len());
            let total: usize = now.iter().sum();
            (
                stats::psi(then, &now, (0, 0), settings.psi_floor),
                now.iter().map(|&c| share(c, total)).collect(),
                Vec::new(),
            )
        }
        PredRef::Values { sorted, cuts, then, .. } => {
            let now_sorted = Sorted::new(predicted.iter().copied());
            let now = stats::bin_counts(&now_sorted, cuts);
            let psi = stats::psi(then, &now, (sorted.missing(), now_sorted.missing()), settings.psi_floor);
            let q = [5.0, 50.0, 95.0].map(|q| crate::numeric::percentile_sorted(now_sorted.values(), q)).to_vec();
            (psi, Vec::new(), q)
        }
    }
}

/// How often each rule decides training and new rows.
/// How many of `rules` (rule indices) each of `slots` rules decides.
fn rule_counts(slots: usize, rules: impl Iterator<Item = usize>) -> Vec<usize> {
    let mut counts = vec![0usize; slots];
    for r in rules {
        if let Some(c) = counts.get_mut(r) {
            *c += 1;
        }
    }
    counts
}

/// The rules on one period's rows: the PSI of the shares each rule decides against training,
/// those shares (rule order, the default last), and the rows decided by a rule outside the region
/// of its training rows.
fn period_rules(
    train_counts: &[usize],
    results: &RowResults,
    rows: &[usize],
    settings: &MonitorSettings,
) -> (f64, Vec<f64>, usize) {
    let now = rule_counts(train_counts.len(), rows.iter().filter_map(|&i| results.rule.get(i).copied()));
    let unseen = rows.iter().filter(|&&i| results.unseen.get(i).copied().unwrap_or(false)).count();
    let psi = stats::psi(train_counts, &now, (0, 0), settings.psi_floor);
    (psi, now.iter().map(|&c| share(c, rows.len())).collect(), unseen)
}

fn rule_drift(reference: &Reference<'_>, results: &RowResults, settings: &MonitorSettings) -> RuleDrift {
    let rs = &reference.rules;
    let slots = rs.rules.len() + 1;
    let mut then = vec![0usize; slots];
    for &r in &reference.train_rules {
        if let Some(c) = then.get_mut(r) {
            *c += 1;
        }
    }
    let mut now = vec![0usize; slots];
    let mut unseen = vec![0usize; slots];
    for (&r, &u) in results.rule.iter().zip(&results.unseen) {
        if let Some(c) = now.get_mut(r) {
            *c += 1;
        }
        if u && let Some(c) = unseen.get_mut(r) {
            *c += 1;
        }
    }
    let psi = stats::psi(&then, &now, (0, 0), settings.psi_floor);
    let (n_then, n_now) = (reference.training_rows, results.rule.len());
    let lines = rs.describe();
    let rules = (0..slots)
        .map(|r| {
            let (a, b, u) = (
                then.get(r).copied().unwrap_or(0),
                now.get(r).copied().unwrap_or(0),
                unseen.get(r).copied().unwrap_or(0),
            );
            RuleFiring {
                rule: if r < rs.rules.len() { format!("rule {}", r + 1) } else { "otherwise".to_owned() },
                text: lines.get(r).cloned().unwrap_or_default(),
                train_rows: a,
                train_share: share(a, n_then),
                new_rows: b,
                new_share: share(b, n_now),
                unseen_rows: u,
                never_fired_in_training: a == 0 && b > 0,
            }
        })
        .collect();
    RuleDrift {
        source: reference.rule_source.clone(),
        psi,
        drift: settings.level(psi, None),
        rules,
        unseen_rows: unseen.iter().sum(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outside_share_counts_ranges_exactly_and_estimates_the_rest() {
        // 10 rows: 2 outside a range; of the 8 inside, 4 checked, 1 of them unlike.
        let oor = [true, true, false, false, false, false, false, false, false, false];
        let mut unlike = vec![None; 10];
        unlike[2] = Some(true);
        unlike[3] = Some(false);
        unlike[4] = Some(false);
        unlike[5] = Some(false);
        let rows: Vec<usize> = (0..10).collect();
        let (share, checked) = outside_share(rows.into_iter(), &oor, &unlike);
        assert_eq!(checked, 4);
        assert!((share - (0.2 + 0.8 * 0.25)).abs() < 1e-12);
    }

    #[test]
    fn a_unit_change_is_named() {
        let spec = FeatureSpec::numeric("Power [kW]", Some("kW"), 10.0, 90.0, 50.0);
        let note = unit_note(&spec, Some(50.0), Some(50_000.0)).expect("note");
        assert!(note.contains("1000 times larger") && note.contains("kW and W"), "{note}");
        let kelvin = FeatureSpec::numeric("Air temperature [K]", Some("K"), 295.0, 305.0, 300.0);
        let note = unit_note(&kelvin, Some(300.0), Some(26.9)).expect("note");
        assert!(note.contains("Kelvin"), "{note}");
        assert!(unit_note(&spec, Some(50.0), Some(80.0)).is_none(), "within the range: no note");
        assert!(unit_note(&spec, Some(50.0), Some(120.0)).is_none(), "a modest move is drift, not units");
    }

    #[test]
    fn rule_regions_hold_their_training_rows_only() {
        let specs =
            vec![FeatureSpec::numeric("x", None, 0.0, 10.0, 5.0), FeatureSpec::categorical("t", &["a", "b"], 0.0)];
        let mut b = RuleBox::empty(&specs);
        assert!(!b.contains(&[1.0, 0.0], &specs), "a rule without training rows saw nothing");
        b.add(&[1.0, 0.0]);
        b.add(&[3.0, 0.0]);
        assert!(b.contains(&[2.0, 0.0], &specs));
        assert!(!b.contains(&[4.0, 0.0], &specs));
        assert!(!b.contains(&[2.0, 1.0], &specs), "level 'b' was not among its rows");
        assert!(!b.contains(&[2.0, -1.0], &specs), "nor a level never seen");
    }
}
