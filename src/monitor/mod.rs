//! Monitoring: is new plant data still like the data the project's model was trained on, and
//! does the model still do as well on it?
//!
//! [`monitor`] compares new rows with the model's training rows (the project's data, rows of its
//! training split) and reports:
//! - **per feature** the population stability index on bins cut at the training quantiles, the
//!   Kolmogorov–Smirnov statistic, the share of new rows outside the training range, the missing
//!   share then and now, a drift level, and the histograms of both (see [`stats`] for the
//!   definitions);
//! - **the envelope** the planning tools judge a scenario by ([`crate::plan::Envelope`]): the
//!   share of new rows outside it and the features that take them out;
//! - **the predictions**: class shares or value quantiles then and now;
//! - **the rules** (the project's saved rule set, else one rule per leaf): how often each decides
//!   training and new rows, and how many new rows it decides outside the region of its own
//!   training rows;
//! - **the metrics** when the new data holds the target, beside the held-out metrics, with
//!   bootstrap intervals and a sentence saying whether the difference is larger than chance;
//! - **per period** (day, week or month of a timestamp column) the same figures, so a time chart
//!   shows when the drift began.
//!
//! **Drift level.** The PSI decides it: *none* below 0.1, *moderate* from 0.1, *major* from 0.25
//! (the thresholds used across industry since Siddiqi 2006; both settable). KS thresholds can be
//! set as well; the level is then the higher of the two verdicts. KS is reported either way: with
//! many rows it finds differences too small to matter, which is why it does not decide by default.
//!
//! New data is read with the project's own read settings ([`read_options_for`]) and matched to the
//! model's features by name, levels by their text; every way it can differ from the training data
//! gets a message naming the column and what differs: a feature without a column or with text
//! where numbers were stops the monitor; a column matched ignoring case, a few unreadable cells,
//! a level never seen, a median that moved by orders of magnitude (units changed?) and the
//! columns ignored get a note. Monitoring never changes the project.
//!
//! Cost: each feature's values are sorted once (then every statistic is a walk or a binary
//! search), the model and the rules run once per row in parallel, and the envelope's k-NN check
//! runs on a seeded sample of at most `envelope_rows` rows within the training ranges (20,000 by
//! default; rows outside a range are outside the envelope whatever their neighbours). See
//! `examples/monitor_speed.rs` for a million rows.

mod evaluate;
mod input;
mod markdown;
mod metrics;
mod periods;
pub mod stats;

use std::fmt::Write as _;
use std::path::Path;

use serde::{Deserialize, Serialize};

pub use metrics::{Estimate, MetricComparison, MetricsComparison, PeriodMetric};
pub use periods::{PeriodChoice, PeriodUnit};
pub use stats::Histogram;

use crate::data::{Dataset, FileFormat, LoadOptions, detect_format};
use crate::error::{Error, Result};
use crate::model::Task;
use crate::model::pipeline::FeatureKind;
use crate::progress::Progress;
use crate::project::Project;

/// How monitoring judges new data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct MonitorSettings {
    /// PSI bins of a numeric feature (cut at the training quantiles k / bins).
    pub bins: usize,
    /// Smallest share a PSI bin counts with (an empty bin would give an infinite term).
    pub psi_floor: f64,
    /// PSI from which drift is moderate.
    pub psi_moderate: f64,
    /// PSI from which drift is major.
    pub psi_major: f64,
    /// KS statistic from which drift is moderate (off by default).
    pub ks_moderate: Option<f64>,
    /// KS statistic from which drift is major (off by default).
    pub ks_major: Option<f64>,
    /// Bins of equal width of the histograms drawn for numeric features.
    pub histogram_bins: usize,
    /// Figures per day, week or month of the timestamp column.
    pub period: PeriodChoice,
    /// The timestamp column (by default the training data's timestamp column).
    pub timestamp: Option<String>,
    /// Most rows within the training ranges whose combination the envelope's k-NN check judges
    /// (a seeded sample when there are more).
    pub envelope_rows: usize,
    /// Bootstrap resamples of the metrics.
    pub resamples: usize,
    /// Coverage of the bootstrap intervals.
    pub confidence: f64,
    /// Seed of every random choice (the envelope sample, the bootstrap).
    pub seed: u64,
}

impl Default for MonitorSettings {
    fn default() -> Self {
        Self {
            bins: 10,
            psi_floor: 1e-4,
            psi_moderate: 0.1,
            psi_major: 0.25,
            ks_moderate: None,
            ks_major: None,
            histogram_bins: 20,
            period: PeriodChoice::Auto,
            timestamp: None,
            envelope_rows: 20_000,
            resamples: 1000,
            confidence: 0.95,
            seed: 0,
        }
    }
}

impl MonitorSettings {
    /// Checks the settings make sense together.
    ///
    /// # Errors
    /// A message naming the setting that does not.
    pub fn check(&self) -> Result<()> {
        let bad = |m: String| Err(Error::invalid(m));
        if !(2..=100).contains(&self.bins) {
            return bad(format!("PSI bins must lie between 2 and 100, not {}", self.bins));
        }
        if !(self.psi_floor > 0.0 && self.psi_floor < 0.01) {
            return bad(format!("the PSI floor must lie between 0 and 0.01, not {}", self.psi_floor));
        }
        if !(self.psi_moderate > 0.0 && self.psi_moderate <= self.psi_major && self.psi_major.is_finite()) {
            return bad(format!(
                "PSI thresholds must be positive with moderate ({}) at most major ({})",
                self.psi_moderate, self.psi_major
            ));
        }
        for (name, t) in [("moderate", self.ks_moderate), ("major", self.ks_major)] {
            if let Some(t) = t
                && !(t > 0.0 && t <= 1.0)
            {
                return bad(format!("the KS threshold for {name} drift must lie in (0, 1], not {t}"));
            }
        }
        if let (Some(m), Some(j)) = (self.ks_moderate, self.ks_major)
            && m > j
        {
            return bad(format!("the KS threshold for moderate drift ({m}) is above the one for major drift ({j})"));
        }
        if !(1..=1000).contains(&self.histogram_bins) {
            return bad(format!("histogram bins must lie between 1 and 1000, not {}", self.histogram_bins));
        }
        if self.envelope_rows == 0 {
            return bad("the envelope check needs at least one row (envelope rows > 0)".into());
        }
        if !(10..=100_000).contains(&self.resamples) {
            return bad(format!("bootstrap resamples must lie between 10 and 100,000, not {}", self.resamples));
        }
        if !(self.confidence >= 0.5 && self.confidence < 1.0) {
            return bad(format!("the interval coverage must lie in [0.5, 1), not {}", self.confidence));
        }
        Ok(())
    }

    /// The drift level of a PSI and (for numeric features) a KS statistic.
    pub fn level(&self, psi: f64, ks: Option<f64>) -> DriftLevel {
        let by = |v: f64, moderate: Option<f64>, major: Option<f64>| {
            if major.is_some_and(|t| v >= t) {
                DriftLevel::Major
            } else if moderate.is_some_and(|t| v >= t) {
                DriftLevel::Moderate
            } else {
                DriftLevel::None
            }
        };
        let by_psi = by(psi, Some(self.psi_moderate), Some(self.psi_major));
        let by_ks = ks.map_or(DriftLevel::None, |d| by(d, self.ks_moderate, self.ks_major));
        by_psi.max(by_ks)
    }

    /// Which statistic decides the level, in words.
    pub fn describe_levels(&self) -> String {
        let mut text = format!(
            "drift level by PSI: none below {}, moderate from {}, major from {}",
            self.psi_moderate, self.psi_moderate, self.psi_major
        );
        match (self.ks_moderate, self.ks_major) {
            (None, None) => {}
            (m, j) => {
                let part = |name: &str, t: Option<f64>| t.map(|t| format!("{name} from KS {t}"));
                let parts: Vec<String> = [part("moderate", m), part("major", j)].into_iter().flatten().collect();
                let _ = write!(text, ", or by KS ({}), whichever is higher", parts.join(", "));
            }
        }
        text
    }
}

/// How far a distribution moved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DriftLevel {
    /// Below the moderate threshold.
    None,
    /// At or above the moderate threshold, below the major one.
    Moderate,
    /// At or above the major threshold.
    Major,
}

impl DriftLevel {
    /// The word shown to people.
    pub fn label(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Moderate => "moderate",
            Self::Major => "major",
        }
    }

    /// The level in words: `no drift`, `moderate drift`, `major drift`.
    pub fn describe(self) -> &'static str {
        match self {
            Self::None => "no drift",
            Self::Moderate => "moderate drift",
            Self::Major => "major drift",
        }
    }
}

/// The PSI bins of a feature (or of the predictions) with their counts then and now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Bins {
    /// Numeric: the cut points; bin `i` holds values in `(cuts[i−1], cuts[i]]`, the first from
    /// −∞, the last to +∞. Empty for categories.
    pub cuts: Vec<f64>,
    /// Categories: the level of each bin, the last for levels never seen. Empty for numbers.
    pub labels: Vec<String>,
    /// Training rows per bin.
    pub then: Vec<usize>,
    /// New rows per bin.
    pub now: Vec<usize>,
    /// Missing values in training (a bin of its own in the PSI when either side has any).
    pub missing_then: usize,
    /// Missing values in the new data.
    pub missing_now: usize,
}

/// One feature's drift.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FeatureDrift {
    /// The feature's name.
    pub name: String,
    /// Number or category.
    pub kind: FeatureKind,
    /// Its unit, when the name gives one.
    pub unit: Option<String>,
    /// Population stability index of the new values against the training values.
    pub psi: f64,
    /// Two-sample Kolmogorov–Smirnov statistic (numbers only).
    pub ks: Option<f64>,
    /// Share of new rows with a value outside the training range (or a level never seen).
    pub outside_range: f64,
    /// Those rows.
    pub outside_range_rows: usize,
    /// Share of training rows with the value missing.
    pub missing_then: f64,
    /// Share of new rows with the value missing.
    pub missing_now: f64,
    /// The drift level (see [`MonitorSettings::level`]).
    pub drift: DriftLevel,
    /// Median of the training values (numbers).
    pub median_then: Option<f64>,
    /// Median of the new values (numbers).
    pub median_now: Option<f64>,
    /// Smallest training value (numbers).
    pub min_then: Option<f64>,
    /// Largest training value (numbers).
    pub max_then: Option<f64>,
    /// The PSI bins.
    pub bins: Bins,
    /// Histograms of both on shared edges of equal width (numbers; categories use `bins`).
    pub histogram: Option<Histogram>,
    /// What looks wrong beyond the figures (a median that moved by orders of magnitude).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// The features that take new rows out of the envelope.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EnvelopeFeature {
    /// The feature.
    pub name: String,
    /// New rows with this feature outside its training range (or at a level never seen).
    pub outside_range_rows: usize,
    /// Checked rows within every range whose combination is unlike the training rows and that
    /// differ most from the nearest training row in this feature.
    pub unlike_rows: usize,
}

/// New rows against the training envelope ([`crate::plan::Envelope`]).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EnvelopeDrift {
    /// Estimated share of new rows outside the envelope: those outside a training range, plus
    /// the rows within every range times the share of checked ones whose combination is unlike
    /// the training rows.
    pub outside: f64,
    /// Share of new rows outside a training range (every row counted).
    pub outside_range: f64,
    /// Share of the checked rows whose combination of values is unlike the training rows.
    pub unlike_checked: f64,
    /// Rows within every range whose combination was checked.
    pub checked_rows: usize,
    /// True when those were a sample of the rows within every range.
    pub sampled: bool,
    /// Share of training rows outside by construction (the envelope's threshold is the 99th
    /// percentile of their own scores).
    pub training_outside: f64,
    /// The features that take rows out, most rows first.
    pub features: Vec<EnvelopeFeature>,
}

/// One class's share of the predictions.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClassShare {
    /// The class.
    pub class: String,
    /// Share of training rows predicted as it.
    pub then: f64,
    /// Share of new rows predicted as it.
    pub now: f64,
}

/// A quantile of the predicted values.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QuantileShift {
    /// The quantile, in [0, 1].
    pub q: f64,
    /// On the training rows.
    pub then: f64,
    /// On the new rows.
    pub now: f64,
}

/// The model's predictions then (training rows) and now.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PredictionDrift {
    /// PSI of the predictions (over classes, or bins at the training quantiles of the values).
    pub psi: f64,
    /// Its drift level.
    pub drift: DriftLevel,
    /// Classification: each class's share.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub classes: Vec<ClassShare>,
    /// Regression: quantiles of the predicted values.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub quantiles: Vec<QuantileShift>,
    /// Regression: the mean predicted value on the training rows.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mean_then: Option<f64>,
    /// Regression: the mean predicted value on the new rows.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mean_now: Option<f64>,
}

/// How often one rule decides training and new rows.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RuleFiring {
    /// `rule 3`, or `otherwise` for the default.
    pub rule: String,
    /// The rule as people read it.
    pub text: String,
    /// Training rows it decides (first match).
    pub train_rows: usize,
    /// As a share of the training rows.
    pub train_share: f64,
    /// New rows it decides.
    pub new_rows: usize,
    /// As a share of the new rows.
    pub new_share: f64,
    /// New rows it decides that lie outside the region of its own training rows (a feature
    /// beyond the range, or a level none of them had): rows it never saw.
    pub unseen_rows: usize,
    /// It decided no training row and now decides new ones.
    pub never_fired_in_training: bool,
}

/// The rule set on training and new rows.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RuleDrift {
    /// Where the rules came from.
    pub source: String,
    /// PSI of the shares of rows each rule decides.
    pub psi: f64,
    /// Its drift level.
    pub drift: DriftLevel,
    /// Every rule, then the default.
    pub rules: Vec<RuleFiring>,
    /// New rows decided by a rule outside the region of its training rows.
    pub unseen_rows: usize,
}

/// One feature in one period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PeriodFeature {
    /// The feature.
    pub name: String,
    /// PSI of the period's values against the training values.
    pub psi: f64,
    /// KS statistic (numbers).
    pub ks: Option<f64>,
    /// Share of the period's rows outside the training range.
    pub outside_range: f64,
    /// Share of the period's rows with the value missing.
    pub missing: f64,
    /// Drift level.
    pub drift: DriftLevel,
}

/// The figures of one period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PeriodDrift {
    /// `2018-01-05`, `week of 2018-01-01` or `2018-01`.
    pub label: String,
    /// Start of the period, ISO 8601 (`2018-01-01T00:00:00`).
    pub start: String,
    /// Rows in the period.
    pub rows: usize,
    /// The PSI sampling alone gives for a period of this size (see [`stats::psi_noise`]).
    pub psi_noise: f64,
    /// Every feature's drift in the period.
    pub features: Vec<PeriodFeature>,
    /// Estimated share of the period's rows outside the envelope.
    pub outside_envelope: f64,
    /// Rows of the period whose combination was checked by the envelope's k-NN score.
    pub envelope_checked: usize,
    /// PSI of the period's predictions.
    pub prediction_psi: f64,
    /// Classification: share of each class among the period's predictions (class order).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub class_shares: Vec<f64>,
    /// Regression: the 5th, 50th and 95th percentile of the period's predictions.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub prediction_quantiles: Vec<f64>,
    /// PSI of the shares of the period's rows each rule decides, against the training rows.
    pub rule_psi: f64,
    /// Share of the period's rows each rule decides, in rule order, the default last (the order
    /// of [`RuleDrift::rules`]).
    pub rule_shares: Vec<f64>,
    /// The period's rows decided by a rule outside the region of its own training rows.
    pub rule_unseen_rows: usize,
    /// The period's rows with a known target.
    pub target_rows: usize,
    /// Metrics on those rows.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metrics: Option<Vec<PeriodMetric>>,
}

/// How the rows were split in time.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TimeInfo {
    /// The timestamp column.
    pub column: String,
    /// Day, week or month.
    pub unit: PeriodUnit,
    /// Rows without a time (left out of the periods, counted in the totals).
    pub rows_without_time: usize,
    /// The first period in which a feature's drift is major, if any. Periods with fewer than
    /// 25 rows per PSI bin (a partial first day or week) are passed over when any period has
    /// that many: sampling alone lifts their PSI.
    pub drift_began: Option<String>,
    /// The features with major drift in that period.
    pub drift_began_features: Vec<String>,
}

/// Everything monitoring found.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MonitorReport {
    /// The new data's name (its file name).
    pub data: String,
    /// What the model predicts, in words.
    pub model: String,
    /// The target.
    pub target: String,
    /// Classification or regression.
    pub task: Task,
    /// New rows.
    pub rows: usize,
    /// Training rows compared against.
    pub training_rows: usize,
    /// The settings used.
    pub settings: MonitorSettings,
    /// Which statistic decided the drift levels, in words.
    pub levels: String,
    /// The PSI sampling alone gives for these sizes with the default bins (see
    /// [`stats::psi_noise`]).
    pub psi_noise: f64,
    /// Every feature, in model order.
    pub features: Vec<FeatureDrift>,
    /// The envelope.
    pub envelope: EnvelopeDrift,
    /// The predictions.
    pub predictions: PredictionDrift,
    /// The rules.
    pub rules: RuleDrift,
    /// The metrics, when the new data holds the target.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metrics: Option<MetricsComparison>,
    /// How the rows were split in time, when they were.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time: Option<TimeInfo>,
    /// The figures per period, when a timestamp column is used.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub periods: Option<Vec<PeriodDrift>>,
    /// What the data made worth saying: columns matched loosely or ignored, levels never seen,
    /// units that seem to have changed.
    pub notes: Vec<String>,
}

impl MonitorReport {
    /// The features whose drift is major, in model order.
    pub fn major(&self) -> impl Iterator<Item = &FeatureDrift> {
        self.features.iter().filter(|f| f.drift == DriftLevel::Major)
    }

    /// The report as Markdown.
    pub fn to_markdown(&self) -> String {
        markdown::render(self)
    }
}

/// How to read new data for `project`: as the project's data was read (delimiter, decimal
/// comma, encoding, sheet), so its columns are typed the same way, unless the new file is of
/// another format (`head` is its first bytes); then everything is detected.
pub fn read_options_for(project: &Project, path: &Path, head: &[u8]) -> LoadOptions {
    let Some(saved) = project.data.as_ref().filter(|d| !d.is_sample()).map(|d| &d.options) else {
        return LoadOptions::default();
    };
    let format = detect_format(path, head);
    let recorded = saved.format.or_else(|| saved.csv.as_ref().map(|_| FileFormat::Csv));
    if recorded.is_some_and(|f| f != format) {
        return LoadOptions::default();
    }
    LoadOptions { row_limit: None, ..saved.clone() }
}

/// [`read_options_for`] the file at `path`, reading its first bytes (a file that cannot be read
/// gets the detected settings; reading it then names the problem).
pub fn read_options_for_file(project: &Project, path: &Path) -> LoadOptions {
    use std::io::Read as _;
    let mut head = vec![0u8; 256 * 1024];
    let n = std::fs::File::open(path).and_then(|mut f| f.read(&mut head)).unwrap_or(0);
    head.truncate(n);
    read_options_for(project, path, &head)
}

/// Reads the new data file at `path` as [`read_options_for_file`] says.
///
/// # Errors
/// When the file cannot be read (the message names it, the row and the column).
pub fn load_new_data(project: &Project, path: &Path, progress: &Progress) -> Result<Dataset> {
    crate::data::load_file(path, &read_options_for_file(project, path), progress)
}

/// Monitors `new` rows against the training rows of `project`'s model in `training` (the
/// project's data, as [`Project::load_data`] reads it). The project is not changed.
///
/// # Errors
/// Settings that make no sense, a project without a model, new data that does not fit the model
/// (a feature with no column, text where numbers were; the message names the column), or a
/// cancel.
pub fn monitor(
    project: &Project,
    training: &Dataset,
    new: &Dataset,
    settings: &MonitorSettings,
    progress: &Progress,
) -> Result<MonitorReport> {
    settings.check()?;
    let report = project.trained()?;
    let mut notes = Vec::new();
    progress.set_stage("matching the new data to the model");
    let rows = input::read(&report.model, training, new, settings, &mut notes)?;
    progress.check()?;
    let reference = evaluate::Reference::new(project, report, training, settings, &mut notes, &progress.sub(0.0, 0.2))?;
    evaluate::run(&reference, &rows, new, settings, notes, &progress.sub(0.2, 1.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_psi_decides_the_level_unless_ks_thresholds_are_set() {
        let s = MonitorSettings::default();
        assert_eq!(s.level(0.099, Some(0.9)), DriftLevel::None, "KS does not decide by default");
        assert_eq!(s.level(0.1, None), DriftLevel::Moderate);
        assert_eq!(s.level(0.25, None), DriftLevel::Major);
        let ks = MonitorSettings { ks_moderate: Some(0.05), ks_major: Some(0.2), ..MonitorSettings::default() };
        assert_eq!(ks.level(0.01, Some(0.06)), DriftLevel::Moderate);
        assert_eq!(ks.level(0.12, Some(0.3)), DriftLevel::Major, "the higher of the two verdicts");
        assert!(ks.describe_levels().contains("moderate from KS 0.05, major from KS 0.2"), "{}", ks.describe_levels());
        assert!(s.check().is_ok() && ks.check().is_ok());
        let bad = MonitorSettings { psi_moderate: 0.3, ..MonitorSettings::default() };
        assert!(bad.check().is_err_and(|e| e.to_string().contains("moderate (0.3)")));
        let bad = MonitorSettings { ks_moderate: Some(0.5), ks_major: Some(0.2), ..MonitorSettings::default() };
        assert!(bad.check().is_err());
        assert!(MonitorSettings { bins: 1, ..MonitorSettings::default() }.check().is_err());
        assert!(MonitorSettings { confidence: 1.0, ..MonitorSettings::default() }.check().is_err());
    }

    #[test]
    fn new_data_is_read_as_the_projects_data_was_unless_it_is_another_format() {
        let csv =
            crate::data::CsvOptions { delimiter: b';', decimal_comma: true, ..crate::data::CsvOptions::default() };
        let saved = LoadOptions { csv: Some(csv), row_limit: Some(10), ..LoadOptions::default() };
        let project = Project {
            data: Some(crate::project::DataRef {
                path: "plant.csv".into(),
                size: 1,
                sha256: String::new(),
                options: saved.clone(),
                relative: None,
            }),
            ..Project::default()
        };
        let got = read_options_for(&project, Path::new("week_12.csv"), b"a;b\n1,5;2\n");
        assert_eq!(got, LoadOptions { row_limit: None, ..saved }, "the project's settings, without a preview limit");
        let parquet = read_options_for(&project, Path::new("week_12.parquet"), b"PAR1....");
        assert_eq!(parquet, LoadOptions::default(), "another format is detected");
        assert_eq!(read_options_for(&Project::default(), Path::new("x.csv"), b""), LoadOptions::default());
    }
}
