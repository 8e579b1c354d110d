//! The rules workflow shared by the Rules panel and `glassbox rules|export`, so the window and
//! the command line cannot drift apart: [`prepare`] reads the model's training and held-out
//! rows and extracts one rule per leaf (of the model's tree, or of a surrogate tree for an SVM,
//! with the rows where the surrogate decides otherwise); [`refine`] simplifies and, if asked,
//! rounds the thresholds. Preparing is the slow part and is done once per model; refining runs
//! again whenever the user changes a setting.

use std::sync::Arc;

use super::extract::extract_with_disagreements;
use super::round::{Rounding, RoundingPreview, round_thresholds};
use super::simplify::{SimplifyOptions, simplify};
use super::surrogate::Disagreement;
use super::{RuleData, RuleSet};
use crate::data::Dataset;
use crate::error::Result;
use crate::model::cart::TreeParams;
use crate::model::train::TrainingReport;
use crate::progress::Progress;

/// The depth of the surrogate tree fitted to an SVM unless the user asks for another.
pub const SURROGATE_DEPTH: u16 = 6;

/// Settings of the surrogate tree for a surrogate of `depth` splits (at least 1).
pub fn surrogate_params(depth: u16) -> TreeParams {
    TreeParams { max_depth: Some(depth.max(1)), ..TreeParams::default() }
}

/// What [`prepare`] gives: the rows and the unsimplified rules, shared by every refinement.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// Training and held-out rows with actual values and the model's decisions.
    pub data: Arc<RuleData>,
    /// One rule per leaf, scored, with the extraction step recorded.
    pub base: Arc<RuleSet>,
    /// For a surrogate: the rows where it decides otherwise than the model.
    pub disagreements: Vec<Disagreement>,
}

/// Reads the rows of a training run and extracts one rule per leaf.
///
/// # Errors
/// When the data does not fit the model, the surrogate cannot be fitted, or on a cancel.
pub fn prepare(
    report: &TrainingReport,
    ds: &Dataset,
    surrogate_params: &TreeParams,
    progress: &Progress,
) -> Result<Prepared> {
    progress.set_stage("reading rows");
    let data = RuleData::new(report, ds)?;
    progress.check()?;
    progress.set_stage("extracting");
    let (base, disagreements) = extract_with_disagreements(report, &data, surrogate_params)?;
    progress.check()?;
    Ok(Prepared { data: Arc::new(data), base: Arc::new(base), disagreements })
}

/// What [`refine`] gives.
#[derive(Debug, Clone)]
pub struct Refined {
    /// The simplified rules.
    pub simplified: RuleSet,
    /// The simplified rules with rounded thresholds, when rounding was asked for.
    pub rounded: Option<RoundingPreview>,
}

impl Refined {
    /// The rule set to use: rounded when rounding was asked for, else simplified.
    pub fn rules(&self) -> &RuleSet {
        self.rounded.as_ref().map_or(&self.simplified, |r| &r.rules)
    }
}

/// Simplifies the prepared rules and rounds their thresholds when `rounding` asks for it.
pub fn refine(prepared: &Prepared, options: &SimplifyOptions, rounding: Option<&Rounding>) -> Refined {
    let simplified = simplify(&prepared.base, &prepared.data, options);
    let rounded = rounding
        .filter(|r| r.digits.is_some() || !r.steps.is_empty())
        .map(|r| round_thresholds(&simplified, &prepared.data, r));
    Refined { simplified, rounded }
}
