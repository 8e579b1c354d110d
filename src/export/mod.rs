//! What the model decides, written for other tools and for the PLC: IEC 61131-3 Structured Text
//! ([`structured_text`]), the same function block as PLCopen TC6 XML ([`plcopen_xml`]), rule
//! sets as JSON ([`json`]) and CSV ([`csv`]), and the tree itself as JSON ([`tree_json`]). The
//! block also goes out in the files of three engineering tools, each written as the tool
//! writes its own ([`dialect`]): a TIA Portal SCL source ([`scl`]), a TwinCAT POU ([`tcpou`])
//! and a Studio 5000 Add-On Instruction ([`l5x`]). A test bench for the block ([`testbench`],
//! from the vectors of [`vectors`]), described once and written in each of those dialects
//! ([`export_with_testbench`]), and a cost and traceability report ([`cost`]) go with it; both
//! evaluate the block as the PLC runs it ([`plc_eval`]). The SVM's own decision function
//! ([`svm_block`]) is written in the same formats, with a test bench of its own.
//!
//! An [`ExportPlan`] gathers everything an export needs: the decision logic (the model's tree,
//! a surrogate tree for an SVM, or a rule set), the raw features with their training ranges,
//! every value of every feature seen in the training and held-out rows (to choose `REAL`
//! literals that decide as the model does, see [`literal`]), and the facts the header states.
//! Exports are pure functions of the plan and the [`ExportOptions`]: no clock, no hash-map
//! order, so the same model gives the same bytes.

pub mod cost;
pub mod csv;
pub mod dialect;
pub mod ident;
pub mod json;
pub mod l5x;
pub mod literal;
pub mod plc_eval;
pub mod plcopen_xml;
pub mod pou;
pub mod scl;
pub mod structured_text;
pub mod svm_block;
pub mod tcpou;
pub mod testbench;
pub mod tree_json;
pub mod vectors;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::model::cart::TreeParams;
use crate::model::pipeline::{FeatureSpec, Pipeline};
use crate::model::train::TrainingReport;
use crate::model::tree::Tree;
use crate::model::{Task, TrainedModel};
use crate::project::DataRef;
use crate::rules::extract::{RawSplit, from_tree, leaf_outcome, raw_split};
use crate::rules::score::{Agreement, Fidelity, RuleData};
use crate::rules::surrogate::Surrogate;
use crate::rules::{Outcome, RuleSet, RuleSource};
pub use literal::RealType;

/// The export formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    /// IEC 61131-3 Structured Text (`.st`).
    StructuredText,
    /// PLCopen TC6 XML v2.01 (`.xml`).
    PlcopenXml,
    /// Siemens TIA Portal SCL external source (`.scl`, see [`scl`]).
    #[serde(rename = "scl")]
    Scl,
    /// Beckhoff TwinCAT 3 POU object (`.TcPOU`, see [`tcpou`]).
    #[serde(rename = "tcpou")]
    TcPou,
    /// Rockwell Studio 5000 Add-On Instruction (`.L5X`, see [`l5x`]).
    #[serde(rename = "l5x")]
    L5x,
    /// The rule set as JSON.
    Json,
    /// The rule set as CSV, one rule per line.
    Csv,
    /// The tree as JSON arrays (scikit-learn layout).
    TreeJson,
    /// The Structured Text function block with its test bench `TB_<name>` in one `.st` file
    /// (see [`testbench`]).
    TestbenchSt,
    /// The cost and traceability report as Markdown (see [`cost`]).
    Report,
}

impl Format {
    /// Every format, in the order menus show them.
    pub const ALL: [Self; 10] = [
        Self::StructuredText,
        Self::PlcopenXml,
        Self::Scl,
        Self::TcPou,
        Self::L5x,
        Self::Json,
        Self::Csv,
        Self::TreeJson,
        Self::TestbenchSt,
        Self::Report,
    ];

    /// The name on the command line: `st`, `plcopen`, `scl`, `tcpou`, `l5x`, `json`, `csv`,
    /// `tree-json`, `testbench-st`, `report`.
    pub fn label(self) -> &'static str {
        match self {
            Self::StructuredText => "st",
            Self::PlcopenXml => "plcopen",
            Self::Scl => "scl",
            Self::TcPou => "tcpou",
            Self::L5x => "l5x",
            Self::Json => "json",
            Self::Csv => "csv",
            Self::TreeJson => "tree-json",
            Self::TestbenchSt => "testbench-st",
            Self::Report => "report",
        }
    }

    /// The usual file extension.
    pub fn extension(self) -> &'static str {
        match self {
            Self::StructuredText | Self::TestbenchSt => "st",
            Self::Report => "md",
            Self::PlcopenXml => "xml",
            Self::Scl => "scl",
            Self::TcPou => "TcPOU",
            Self::L5x => "L5X",
            Self::Json | Self::TreeJson => "json",
            Self::Csv => "csv",
        }
    }
}

/// Choices of the person exporting.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ExportOptions {
    /// The function block's name; `FB_` and the target's identifier when `None`.
    pub name: Option<String>,
    /// `REAL` or `LREAL` inputs, thresholds and real outputs.
    pub real_type: RealType,
    /// What the prediction output holds when `Valid` is FALSE: a class index or a value. The
    /// most frequent training class (regression: the training mean) when `None`.
    pub safe_default: Option<f64>,
    /// The date the header and the XML file header state (`YYYY-MM-DD` or
    /// `YYYY-MM-DDTHH:MM:SS`); "not recorded" when `None`. Never taken from the clock, so the
    /// same model always exports the same bytes.
    pub date: Option<String>,
}

/// The result of an export.
#[derive(Debug, Clone, PartialEq)]
pub struct Exported {
    /// The file's content.
    pub text: String,
    /// Things worth telling the user (how literals were chosen, what was approximated).
    pub notes: Vec<String>,
}

/// A file an export writes beside the one asked for: TwinCAT keeps each POU in a file of its own,
/// so a TwinCAT block's test bench is a second `.TcPOU` file.
#[derive(Debug, Clone, PartialEq)]
pub struct Companion {
    /// Its file name (no folder), e.g. `TB_FB_Machine_failure.TcPOU`.
    pub file_name: String,
    /// Its content.
    pub text: String,
}

/// Which logic the PLC code is written from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LogicSource {
    /// The tree (the model's own, or the surrogate of an SVM): nested IF/ELSIF/ELSE.
    Tree,
    /// The rule set: IF/ELSIF over the rules, ELSE the default.
    Rules,
}

/// One node of the tree in raw features, as the PLC code follows it.
#[derive(Debug, Clone, PartialEq)]
pub enum RawNode {
    /// An internal node.
    Split {
        /// The test ([`RawSplit::AtMost`] or [`RawSplit::NotLevel`]); left when it holds.
        split: RawSplit,
        /// Node index of the left child.
        left: usize,
        /// Node index of the right child.
        right: usize,
    },
    /// A leaf.
    Leaf {
        /// The leaf's node index in the original tree.
        leaf: usize,
        /// What it decides.
        outcome: Outcome,
        /// The block's second output at this leaf: for a class, the model's probability of it;
        /// for a number, the standard deviation of the leaf's training values (`Spread`).
        second: f64,
    },
}

/// A tree in raw features (one-hot splits turned into `<>` tests, constant splits removed).
#[derive(Debug, Clone, PartialEq)]
pub struct RawTree {
    /// Nodes; the root is node 0.
    pub nodes: Vec<RawNode>,
}

impl RawTree {
    /// Translates `tree` (fitted on `pipeline`); `rules` are its per-leaf rules, scored, for
    /// the spread of each regression leaf.
    ///
    /// # Errors
    /// When the tree does not fit the pipeline.
    pub fn new(tree: &Tree, pipeline: &Pipeline, task: Task, rules: &RuleSet) -> Result<Self> {
        let mut nodes = Vec::with_capacity(tree.n_nodes());
        build_raw(tree, pipeline, task, rules, 0, &mut nodes, 0)?;
        Ok(Self { nodes })
    }

    /// The leaf node a filled-in raw row reaches.
    pub fn leaf_for(&self, filled: &[f64]) -> &RawNode {
        let mut i = 0;
        let mut steps = 0;
        loop {
            let Some(node) = self.nodes.get(i) else { return &self.nodes[0] };
            match node {
                RawNode::Leaf { .. } => return node,
                RawNode::Split { split, left, right } => {
                    let v = |f: &usize| filled.get(*f).copied().unwrap_or(f64::NAN);
                    let go_left = match split {
                        RawSplit::AtMost { feature, threshold } => v(feature) <= *threshold,
                        RawSplit::NotLevel { feature, level } => v(feature) != *level as f64,
                        RawSplit::Always { left, .. } => *left,
                    };
                    i = if go_left { *left } else { *right };
                }
            }
            steps += 1;
            if steps > self.nodes.len() {
                return node;
            }
        }
    }

    /// Number of leaves.
    pub fn n_leaves(&self) -> usize {
        self.nodes.iter().filter(|n| matches!(n, RawNode::Leaf { .. })).count()
    }
}

/// Deepest tree the exporters follow (recursion guard; trained trees are far shallower).
const MAX_DEPTH: usize = 512;

fn build_raw(
    tree: &Tree,
    pipeline: &Pipeline,
    task: Task,
    rules: &RuleSet,
    node: usize,
    out: &mut Vec<RawNode>,
    depth: usize,
) -> Result<usize> {
    if depth > MAX_DEPTH {
        return Err(Error::invalid(format!("the tree is deeper than {MAX_DEPTH} levels; export a shallower tree")));
    }
    if tree.is_leaf(node) {
        let outcome = leaf_outcome(task, tree.value(node));
        let second = match outcome {
            Outcome::Class { index } => tree.value(node).get(index).copied().unwrap_or(0.0),
            Outcome::Value { .. } => {
                rules.rules.iter().find(|r| r.leaf == Some(node)).and_then(|r| r.stats.std).unwrap_or(0.0)
            }
        };
        out.push(RawNode::Leaf { leaf: node, outcome, second });
        return Ok(out.len() - 1);
    }
    let split = raw_split(tree, pipeline, node)?;
    if let RawSplit::Always { left, .. } = split {
        let next = if left { tree.left[node] } else { tree.right[node] };
        return build_raw(tree, pipeline, task, rules, next, out, depth + 1);
    }
    let me = out.len();
    out.push(RawNode::Split { split, left: 0, right: 0 });
    let l = build_raw(tree, pipeline, task, rules, tree.left[node], out, depth + 1)?;
    let r = build_raw(tree, pipeline, task, rules, tree.right[node], out, depth + 1)?;
    out[me] = RawNode::Split { split, left: l, right: r };
    Ok(me)
}

/// What the header of an export states.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Facts {
    /// The data file's name (no folder).
    pub data_file: Option<String>,
    /// SHA-256 of the data file.
    pub data_sha256: Option<String>,
    /// The model and its settings in one line.
    pub model: String,
    /// The seed of the training run.
    pub seed: u64,
    /// Training rows.
    pub train_rows: usize,
    /// Held-out rows.
    pub test_rows: usize,
}

/// The rows a plan keeps for the test bench (a sample of held-out rows) and the cost report
/// (the average cost over the training rows).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PlanRows {
    /// The training rows in raw features (a missing value is NaN).
    pub train: crate::matrix::Matrix,
    /// The held-out rows in raw features.
    pub test: crate::matrix::Matrix,
    /// The dataset row of each training row.
    pub train_dataset_rows: Vec<usize>,
    /// The dataset row of each held-out row.
    pub test_dataset_rows: Vec<usize>,
}

/// Everything an export needs, computed once.
#[derive(Debug, Clone, PartialEq)]
pub struct ExportPlan {
    /// Classification or regression.
    pub task: Task,
    /// The target's name.
    pub target: String,
    /// Class names.
    pub classes: Vec<String>,
    /// Raw features, in model order, with the training ranges the exported logic saw (for a
    /// surrogate, every training row).
    pub features: Vec<FeatureSpec>,
    /// The tree: the model's, or the surrogate of an SVM.
    pub tree: Tree,
    /// The encoding the tree was fitted on.
    pub tree_pipeline: Pipeline,
    /// True when `tree` is a surrogate.
    pub surrogate: bool,
    /// The tree in raw features.
    pub raw_tree: RawTree,
    /// The rule set: the one given, or one rule per leaf of the tree; scored.
    pub rules: RuleSet,
    /// Which logic the PLC code follows.
    pub logic: LogicSource,
    /// Agreement of that logic with the model.
    pub fidelity: Fidelity,
    /// Per raw feature, every distinct value seen in the training and held-out rows and the
    /// feature's fill, ascending.
    pub observed: Vec<Vec<f64>>,
    /// Header facts.
    pub facts: Facts,
    /// The training and held-out rows, shared between clones of the plan.
    pub rows: std::sync::Arc<PlanRows>,
}

impl ExportPlan {
    /// Names in the header the data files whose rows were appended to the first (a project
    /// retrained with new rows), each with its SHA-256, after the first file.
    pub fn note_appended(&mut self, appended: &[DataRef]) {
        if appended.is_empty() {
            return;
        }
        let name = |d: &DataRef| {
            d.path.file_name().map_or_else(|| "file not recorded".to_owned(), |n| n.to_string_lossy().into_owned())
        };
        let mut text = self.facts.data_file.clone().unwrap_or_else(|| "file not recorded".to_owned());
        if let Some(hash) = self.facts.data_sha256.take() {
            text = format!("{text}, SHA-256 {hash}");
        }
        for d in appended {
            text = format!("{text}, then the rows of {}, SHA-256 {}", name(d), d.sha256);
        }
        self.facts.data_file = Some(text);
    }

    /// A plan for `report`'s model on its data: the PLC code follows `rules` when given, else the
    /// tree (for an SVM, a surrogate tree fitted with `surrogate_params`).
    ///
    /// # Errors
    /// When the rule set is for other features, or the tree cannot be read in raw features.
    pub fn new(
        report: &TrainingReport,
        data: &RuleData,
        rules: Option<&RuleSet>,
        surrogate_params: &TreeParams,
        data_ref: Option<&DataRef>,
    ) -> Result<Self> {
        let model = &report.model;
        let (tree, tree_pipeline, surrogate) = match model.tree() {
            Some(t) => (t.clone(), model.pipeline.clone(), false),
            None => {
                let s = Surrogate::fit(model, data, surrogate_params)?;
                (s.tree, s.pipeline, true)
            }
        };
        let source = if surrogate { RuleSource::Surrogate } else { RuleSource::Tree };
        let mut leaf_rules = from_tree(&tree, &tree_pipeline, model.task, &model.target, &model.classes, source)?;
        leaf_rules.score(data);
        leaf_rules.record("extract", format!("one rule per leaf: {} rules", leaf_rules.rules.len()));
        let raw_tree = RawTree::new(&tree, &tree_pipeline, model.task, &leaf_rules)?;
        let (rules, logic, fidelity) = match rules {
            Some(given) => {
                check_features(model, given)?;
                let mut given = given.clone();
                given.score(data);
                let fidelity = given.fidelity.clone();
                (given, LogicSource::Rules, fidelity)
            }
            None => {
                let fidelity = tree_fidelity(&raw_tree, &leaf_rules, data);
                (leaf_rules, LogicSource::Tree, fidelity)
            }
        };
        let observed = (0..model.n_features())
            .map(|j| {
                let mut v: Vec<f64> = data
                    .train
                    .raw
                    .rows()
                    .chain(data.test.raw.rows())
                    .filter_map(|r| r.get(j).copied())
                    .filter(|x| !x.is_nan())
                    .collect();
                // A missing input takes the fill, which the PLC's comparisons must also place right.
                v.extend(tree_pipeline.features.get(j).map(|f| f.fill));
                v.sort_by(f64::total_cmp);
                v.dedup();
                v
            })
            .collect();
        let facts = Facts {
            data_file: data_ref.and_then(|d| d.path.file_name()).map(|n| n.to_string_lossy().into_owned()),
            data_sha256: data_ref.map(|d| d.sha256.clone()),
            model: report.settings.params.describe(model.task),
            seed: report.settings.seed,
            train_rows: data.train.len(),
            test_rows: data.test.len(),
        };
        Ok(Self {
            task: model.task,
            target: model.target.clone(),
            classes: model.classes.clone(),
            features: tree_pipeline.features.clone(),
            tree,
            tree_pipeline,
            surrogate,
            raw_tree,
            rules,
            logic,
            fidelity,
            observed,
            facts,
            rows: std::sync::Arc::new(PlanRows {
                train: data.train.raw.clone(),
                test: data.test.raw.clone(),
                train_dataset_rows: data.train.dataset_rows.clone(),
                test_dataset_rows: data.test.dataset_rows.clone(),
            }),
        })
    }

    /// The same plan with the PLC code following `rules` (scored on `data`) instead; cheap, as
    /// the tree, ranges and observed values are reused.
    ///
    /// # Errors
    /// When the rule set is for other features.
    pub fn with_rules(&self, rules: &RuleSet, data: &RuleData) -> Result<Self> {
        if rules.features.len() != self.features.len()
            || rules.features.iter().zip(&self.features).any(|(a, b)| a.name != b.name)
        {
            return Err(Error::invalid("the rule set was made for other features than this model's"));
        }
        let mut given = rules.clone();
        given.score(data);
        let mut plan = self.clone();
        plan.fidelity = given.fidelity.clone();
        plan.rules = given;
        plan.logic = LogicSource::Rules;
        Ok(plan)
    }

    /// The decision of the exported logic for a raw row, with its second output (confidence of
    /// a class, spread of a number; see [`pou::second_output`]), evaluated in
    /// 64-bit floating point (what the PLC computes with `LREAL`, and with `REAL` for every seen
    /// value). Missing values take the training fill, as in the model.
    pub fn decide(&self, raw: &[f64]) -> (Outcome, f64) {
        let mut filled = Vec::with_capacity(self.features.len());
        self.rules.fill(raw, &mut filled);
        match self.logic {
            LogicSource::Tree => match self.raw_tree.leaf_for(&filled) {
                RawNode::Leaf { outcome, second, .. } => (*outcome, *second),
                RawNode::Split { .. } => (self.rules.default, 0.0),
            },
            LogicSource::Rules => match self.rules.rule_for_filled(&filled).and_then(|i| self.rules.rules.get(i)) {
                Some(r) => (r.outcome, self.second_output(&r.stats)),
                None => (self.rules.default, self.second_output(&self.rules.default_stats)),
            },
        }
    }

    /// A rule's value of the block's second output: its confidence for a class, the standard
    /// deviation of its training values for a number.
    pub fn second_output(&self, stats: &crate::rules::RuleStats) -> f64 {
        match self.task {
            Task::Classification => stats.confidence.unwrap_or(0.0),
            Task::Regression => stats.std.unwrap_or(0.0),
        }
    }

    /// The prediction output when inputs are invalid: the option, else the root's decision.
    ///
    /// # Errors
    /// A class index that is not a class.
    pub fn safe_default(&self, options: &ExportOptions) -> Result<Outcome> {
        match (self.task, options.safe_default) {
            (Task::Classification, Some(v)) => {
                if v < 0.0 || v.fract() != 0.0 || v >= self.classes.len() as f64 {
                    return Err(Error::invalid(format!(
                        "the safe default must be a class index from 0 to {} (or a class name)",
                        self.classes.len().saturating_sub(1)
                    )));
                }
                #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                Ok(Outcome::Class { index: v as usize })
            }
            (Task::Regression, Some(v)) if v.is_finite() => Ok(Outcome::Value { value: v }),
            (Task::Regression, Some(_)) => Err(Error::invalid("the safe default must be a finite number")),
            (task, None) => Ok(leaf_outcome(task, self.tree.value(0))),
        }
    }

    /// A short description of the logic, for headers and messages.
    pub fn describe_logic(&self) -> String {
        match (self.logic, self.surrogate) {
            (LogicSource::Tree, false) => {
                format!("the model's decision tree ({} leaves) as nested IF/ELSIF/ELSE", self.raw_tree.n_leaves())
            }
            (LogicSource::Tree, true) => format!(
                "a surrogate decision tree ({} leaves) fitted to the SVM's decisions, as nested IF/ELSIF/ELSE; \
                 the SVM itself is not exported",
                self.raw_tree.n_leaves()
            ),
            (LogicSource::Rules, _) => format!(
                "{} rules tried in order (IF/ELSIF), then the default rule (ELSE){}",
                self.rules.rules.len(),
                if self.surrogate { "; the rules imitate the SVM, which is not exported itself" } else { "" }
            ),
        }
    }
}

/// The agreement of the raw tree with the model (it is the model for a tree model, so this is
/// a check of the translation; for a surrogate it is the surrogate's fidelity).
fn tree_fidelity(raw_tree: &RawTree, rules: &RuleSet, data: &RuleData) -> Fidelity {
    let decide_all = |rows: &crate::rules::Rows| -> Vec<f64> {
        let mut filled = Vec::new();
        rows.raw
            .rows()
            .map(|r| {
                rules.fill(r, &mut filled);
                match raw_tree.leaf_for(&filled) {
                    RawNode::Leaf { outcome, .. } => outcome.as_f64(),
                    RawNode::Split { .. } => f64::NAN,
                }
            })
            .collect()
    };
    Fidelity {
        train: Agreement::compare(data.task, &decide_all(&data.train), &data.train.model),
        test: Agreement::compare(data.task, &decide_all(&data.test), &data.test.model),
    }
}

/// Refuses a rule set made for other features or another target.
fn check_features(model: &TrainedModel, rules: &RuleSet) -> Result<()> {
    let ours: Vec<&str> = model.feature_names();
    let theirs: Vec<&str> = rules.features.iter().map(|f| f.name.as_str()).collect();
    if ours != theirs || rules.task != model.task || rules.classes != model.classes || rules.target != model.target {
        return Err(Error::invalid(
            "the rule set was made for another model (other features, target or classes); extract the rules again",
        ));
    }
    // A saved rule set may have been damaged: PLC code must not test a feature or name a class
    // the model does not have.
    let outcome_ok = |o: Outcome| match (rules.task, o) {
        (Task::Classification, Outcome::Class { index }) => index < rules.classes.len(),
        (Task::Regression, Outcome::Value { .. }) => true,
        _ => false,
    };
    let rule_ok = |r: &crate::rules::Rule| {
        outcome_ok(r.outcome) && r.conditions.iter().all(|c| c.feature() < rules.features.len())
    };
    if let Some(i) = rules.rules.iter().position(|r| !rule_ok(r)) {
        return Err(Error::invalid(format!(
            "rule {} of the rule set tests a feature or decides a class the model does not have; extract the rules again",
            i + 1
        )));
    }
    if !outcome_ok(rules.default) {
        return Err(Error::invalid(
            "the rule set's default decides a class the model does not have; extract the rules again",
        ));
    }
    Ok(())
}

/// Writes `plan` in `format`.
///
/// # Errors
/// A bad option (block name, safe default, date), or — for `REAL` — a threshold no 32-bit
/// literal can place between two seen values (the message names them; use `LREAL`).
pub fn export(plan: &ExportPlan, format: Format, options: &ExportOptions) -> Result<Exported> {
    match format {
        Format::StructuredText => structured_text::write(plan, options),
        Format::PlcopenXml => plcopen_xml::write(plan, options),
        Format::Scl => scl::write(plan, options),
        Format::TcPou => tcpou::write(plan, options),
        Format::L5x => l5x::write(plan, options),
        Format::Json => Ok(Exported { text: json::write(&plan.rules), notes: Vec::new() }),
        Format::Csv => Ok(Exported { text: csv::write(&plan.rules), notes: Vec::new() }),
        Format::TreeJson => tree_json::write(plan),
        Format::TestbenchSt => testbench::write(plan, options),
        Format::Report => cost::write(plan, options),
    }
}

/// Writes `plan`'s block in `format` with its test bench `TB_<name>` (see [`testbench`]): in the
/// same file for Structured Text, SCL and L5X, in a [`Companion`] file for TwinCAT.
///
/// # Errors
/// A format that has no test bench, or as the format's writer.
pub fn export_with_testbench(
    plan: &ExportPlan,
    format: Format,
    options: &ExportOptions,
) -> Result<(Exported, Option<Companion>)> {
    match format {
        Format::StructuredText | Format::TestbenchSt => Ok((testbench::write(plan, options)?, None)),
        Format::Scl => Ok((scl::write_with_bench(plan, options)?, None)),
        Format::TcPou => tcpou::write_with_bench(plan, options).map(|(e, c)| (e, Some(c))),
        Format::L5x => Ok((l5x::write_bench_with(plan, options, &l5x::L5xOptions::default())?, None)),
        other => Err(Error::invalid(format!(
            "a test bench is written with the block in st, scl, tcpou or l5x, not in {}",
            other.label()
        ))),
    }
}

/// Checks a date option and returns it as an XML `dateTime` (`YYYY-MM-DDTHH:MM:SS`).
///
/// # Errors
/// When it is neither `YYYY-MM-DD` nor `YYYY-MM-DDTHH:MM:SS`.
pub fn parse_date(date: &str) -> Result<String> {
    let d = date.trim();
    if chrono::NaiveDateTime::parse_from_str(d, "%Y-%m-%dT%H:%M:%S").is_ok() {
        return Ok(d.to_owned());
    }
    if chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").is_ok() {
        return Ok(format!("{d}T00:00:00"));
    }
    Err(Error::invalid(format!("'{date}' is not a date; write YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS")))
}
