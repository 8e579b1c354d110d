//! The Rules panel's "Export to PLC" dialog: the format, the logic and the options; the file as
//! the engine writes it, what the block costs on the PLC, and for a test bench what its vectors
//! cover; then Save or Copy.
//!
//! A tree's or the rules' export takes milliseconds, so its preview is written while the dialog
//! draws. The SVM's own decision function ([`svm_block`]) is measured against the model on every
//! training and held-out row in `REAL` and `LREAL` arithmetic, which takes seconds on large data:
//! it runs as a job of the Rules panel ([`SvmBlockRequest`]), and what comes back is kept per
//! model, format and options ([`SvmBlocks`]), so reopening the dialog or going back to a format
//! shows it at once. Which formats the engine writes the SVM block in is asked of the engine
//! itself (it refuses the others with a reason, shown on the disabled choice).

use std::fmt::Write as _;
use std::sync::Arc;

use egui::{RichText, Ui};

use super::rules::RulesResult;
use crate::app::command::Command;
use crate::app::jobs::{JobKind, JobSpec};
use crate::export::svm_block::{self, SvmExport};
use crate::export::{ExportOptions, ExportPlan, Format, PlanRows, RealType, export};
use crate::model::train::TrainingReport;
use crate::model::{Estimator, Task};
use crate::progress::Progress;
use crate::rules::{RuleData, RuleSet};

/// The formats in the order the dialog offers them, with their names there.
pub const FORMATS: [(Format, &str); 10] = [
    (Format::StructuredText, "Structured Text"),
    (Format::PlcopenXml, "PLCopen XML"),
    (Format::Scl, "TIA Portal SCL"),
    (Format::TcPou, "TwinCAT POU"),
    (Format::L5x, "Studio 5000 AOI"),
    (Format::Json, "JSON rules"),
    (Format::Csv, "CSV rules"),
    (Format::TreeJson, "tree JSON"),
    (Format::TestbenchSt, "ST with test bench"),
    (Format::Report, "cost report"),
];

/// Rows of each part the engine is asked to write a format with, to learn whether it writes the
/// SVM block in it: enough to exercise the block, few enough that asking costs milliseconds.
const PROBE_ROWS: usize = 16;

/// Seconds the SVM block's settings must stay the same before its check starts, so that typing a
/// block name does not start a check per key.
const SETTLE_SECS: f64 = 0.4;

/// Largest preview drawn as one label; a larger one is drawn a line at a time.
const WHOLE_TEXT_BYTES: usize = 64 * 1024;

/// Most SVM blocks kept (each holds its file's text).
const KEPT_BLOCKS: usize = 12;

/// Where the exported logic comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ExportFrom {
    /// The tree itself: the model's, or for an SVM the surrogate tree.
    #[default]
    Tree,
    /// The simplified (and rounded) rule set.
    Rules,
    /// The SVM's own decision function.
    Svm,
}

/// What the dialog shows of one export.
#[derive(Debug, Clone, PartialEq)]
pub struct Preview {
    /// The file's text, or why the engine did not write it.
    pub text: Result<String, String>,
    /// The block's cost on the PLC, in one line (PLC formats).
    pub cost: Option<String>,
    /// What the test bench's vectors cover (ST with test bench).
    pub coverage: Option<String>,
    /// The SVM block's check: how far it lies from the model in `REAL` and `LREAL`.
    pub check: Option<String>,
    /// Everything else the engine said about the export.
    pub notes: Vec<String>,
    /// A second file written beside the first (TwinCAT's test bench: one object per file).
    pub companion: Option<Box<crate::export::Companion>>,
}

impl Default for Preview {
    fn default() -> Self {
        Self { text: Err(String::new()), cost: None, coverage: None, check: None, notes: Vec::new(), companion: None }
    }
}

/// Which SVM block: the model, the format and the options.
#[derive(Debug, Clone, PartialEq)]
pub struct SvmBlockKey {
    /// The model (`Session::report_id`).
    pub report_id: u64,
    /// The format.
    pub format: Format,
    /// The options.
    pub options: ExportOptions,
}

/// The SVM block the dialog asks the Rules panel's job for.
#[derive(Debug, Clone, PartialEq)]
pub struct SvmBlockRequest {
    /// The block.
    pub key: SvmBlockKey,
    /// Also ask the engine which formats it writes the block in (not known yet for these
    /// options).
    pub probe: bool,
}

/// What an SVM block job hands back.
#[derive(Debug, Clone, PartialEq)]
pub struct SvmBlockDone {
    /// The block it is.
    pub key: SvmBlockKey,
    /// When asked: every format, with the engine's reason when it does not write the block in it.
    pub formats: Option<FormatRefusals>,
    /// The block as the dialog shows it.
    pub preview: Preview,
}

/// Every format, with the engine's reason when it does not write the SVM block in it.
pub type FormatRefusals = Vec<(Format, Option<String>)>;

/// The SVM blocks of the current model, kept while the dialog opens and closes.
#[derive(Debug, Default)]
pub struct SvmBlocks {
    /// Per model and options: each format, with the engine's reason when it refuses it.
    formats: Vec<((u64, ExportOptions), FormatRefusals)>,
    /// Per block, oldest first.
    blocks: Vec<(SvmBlockKey, Preview)>,
    /// The block a job is computing.
    running: Option<SvmBlockKey>,
    /// A block whose job ended without a result (cancelled, or failed with a message).
    stopped: Option<SvmBlockKey>,
}

impl SvmBlocks {
    /// Keeps a job's result.
    pub fn insert(&mut self, done: SvmBlockDone) {
        let SvmBlockDone { key, formats, preview } = done;
        if self.running.as_ref() == Some(&key) {
            self.running = None;
        }
        if let Some(formats) = formats {
            let at = (key.report_id, key.options.clone());
            self.formats.retain(|(k, _)| *k != at);
            self.formats.push((at, formats));
            if self.formats.len() > KEPT_BLOCKS {
                self.formats.remove(0);
            }
        }
        self.blocks.retain(|(k, _)| *k != key);
        self.blocks.push((key, preview));
        if self.blocks.len() > KEPT_BLOCKS {
            self.blocks.remove(0);
        }
    }

    /// Forgets the blocks of other models than `report_id`.
    pub fn keep_model(&mut self, report_id: u64) {
        self.formats.retain(|((id, _), _)| *id == report_id);
        self.blocks.retain(|(k, _)| k.report_id == report_id);
    }

    /// The block, once computed.
    pub fn get(&self, key: &SvmBlockKey) -> Option<&Preview> {
        self.blocks.iter().find(|(k, _)| k == key).map(|(_, p)| p)
    }

    /// Every format with the engine's reason when it does not write the block in it, once asked.
    pub fn formats(&self, report_id: u64, options: &ExportOptions) -> Option<&[(Format, Option<String>)]> {
        self.formats.iter().find(|((id, o), _)| *id == report_id && o == options).map(|(_, f)| f.as_slice())
    }

    /// The block a job is computing, if any.
    pub fn running(&self) -> Option<&SvmBlockKey> {
        self.running.as_ref()
    }

    /// Notes, once a frame before anything is asked, whether the job of the running block ended
    /// without handing a result back (`busy`: whether the Rules panel's work still runs).
    pub fn notice_end(&mut self, busy: bool) {
        if !busy && self.running.is_some() {
            self.stopped = self.running.take();
        }
    }
}

/// The job for an SVM block of `report`'s model, exported from `plan` (its inputs, rows and
/// facts). It runs under the Rules panel's kind of work.
pub fn svm_block_job(
    request: SvmBlockRequest,
    plan: Arc<ExportPlan>,
    report: Arc<TrainingReport>,
) -> JobSpec<RulesResult> {
    JobSpec::new(JobKind::Rules, "SVM block", move |p| {
        let SvmBlockRequest { key, probe } = request;
        let formats = if probe { Some(probe_formats(&plan, &report, &key.options, p)?) } else { None };
        // A refused Structured Text block means the options are at fault, whatever the format.
        let refused = formats.as_ref().and_then(|f| {
            let why = |format: Format| f.iter().find(|(g, _)| *g == format).and_then(|(_, why)| why.clone());
            why(Format::StructuredText).or_else(|| why(key.format))
        });
        let preview = match refused {
            Some(why) => Preview { text: Err(why), ..Preview::default() },
            None => {
                let rows = plan.rows.train.n_rows() + plan.rows.test.n_rows();
                p.set_stage(format!("checking it on {rows} rows"));
                match svm_export(&plan, &report, key.format, &key.options, p) {
                    Ok((text, svm)) => svm_preview(text, &svm, plan.task),
                    Err(e) if e.is_cancelled() => return Err(e),
                    Err(e) => Preview { text: Err(e.to_string()), ..Preview::default() },
                }
            }
        };
        p.set(1.0);
        Ok(RulesResult::SvmBlock(SvmBlockDone { key, formats, preview }))
    })
}

/// The SVM block in `format` as the engine writes it, with the block's check and cost: the
/// cost report as `glassbox export --from model --format report` writes it, every other format
/// by [`svm_block::write_in`], which refuses those it does not write the block in.
fn svm_export(
    plan: &ExportPlan,
    report: &TrainingReport,
    format: Format,
    options: &ExportOptions,
    progress: &Progress,
) -> crate::Result<(String, SvmExport)> {
    let l5x = crate::export::l5x::L5xOptions::default();
    if format == Format::Report {
        let (svm, _) =
            svm_block::write_in_progress(plan, report, options, (Format::StructuredText, false), &l5x, progress)?;
        return Ok((svm_block::cost_markdown(plan, &svm), svm));
    }
    // Without a test bench of its own, no format writes a second file.
    let (svm, _) = svm_block::write_in_progress(plan, report, options, (format, false), &l5x, progress)?;
    Ok((svm.exported.text.clone(), svm))
}

/// Asks the engine to write the block in every format from a few rows of each part (the check
/// is what takes time, and it does not decide the format), keeping its reason for each refusal.
fn probe_formats(
    plan: &ExportPlan,
    report: &TrainingReport,
    options: &ExportOptions,
    p: &Progress,
) -> crate::Result<FormatRefusals> {
    p.set_stage("asking which formats the SVM block is written in");
    let first = |m: &crate::matrix::Matrix| m.select_rows(&(0..m.n_rows().min(PROBE_ROWS)).collect::<Vec<_>>());
    let few = ExportPlan {
        rows: Arc::new(PlanRows {
            train: first(&plan.rows.train),
            test: first(&plan.rows.test),
            train_dataset_rows: plan.rows.train_dataset_rows.iter().take(PROBE_ROWS).copied().collect(),
            test_dataset_rows: plan.rows.test_dataset_rows.iter().take(PROBE_ROWS).copied().collect(),
        }),
        ..plan.clone()
    };
    let mut out = Vec::with_capacity(Format::ALL.len());
    for format in Format::ALL {
        p.check()?;
        out.push((format, svm_export(&few, report, format, options, &Progress::new()).err().map(|e| e.to_string())));
    }
    Ok(out)
}

/// What the dialog shows of an SVM block: its text, cost and check.
fn svm_preview(text: String, svm: &SvmExport, task: Task) -> Preview {
    let c = &svm.cost;
    let cost = format!(
        "cost per call: {} multiply-adds, {} EXP calls; {} support vectors over {} machine{}, {} encoded inputs; \
         {} bytes of constants",
        c.multiply_adds,
        c.exp_calls,
        c.support_vectors,
        c.machines,
        if c.machines == 1 { "" } else { "s" },
        c.encoded_inputs,
        c.constant_bytes
    );
    let k = &svm.check;
    let mut check = format!(
        "measured on {} training and held-out rows: largest difference from the model {:.2e} in REAL \
         (tolerance {:.0e}), {:.2e} in LREAL (tolerance {:.0e})",
        k.rows, k.real.largest, k.real.tolerance, k.lreal.largest, k.lreal.tolerance,
    );
    if task == Task::Classification {
        let _ = write!(
            check,
            "; the class differs from the model's on {} rows in REAL, {} in LREAL",
            k.real.class_differences, k.lreal.class_differences
        );
    }
    let (coverage, notes) = split_coverage(svm.exported.notes.clone());
    Preview { text: Ok(text), cost: Some(cost), coverage, check: Some(check), notes, companion: None }
}

/// Takes the test bench's coverage sentence (`testbench::summary`) out of an export's notes.
fn split_coverage(mut notes: Vec<String>) -> (Option<String>, Vec<String>) {
    let at = notes.iter().position(|n| n.starts_with("test bench:"));
    (at.map(|i| notes.remove(i)), notes)
}

/// The dialog's state.
#[derive(Debug, Clone)]
pub struct ExportDialog {
    /// Target format.
    pub format: Format,
    /// Logic source.
    pub from: ExportFrom,
    /// REAL or LREAL.
    pub real_type: RealType,
    /// Function block name.
    pub name: String,
    /// Safe default: a class name or index, or a value (empty = most frequent class / mean).
    pub safe_default: String,
    /// Date stamped in the header (empty = not recorded).
    pub date: String,
    /// Add the test bench `TB_<name>` to a vendor file (SCL, TwinCAT, L5X).
    pub with_bench: bool,
    /// The tree or rules preview and what it was written for.
    preview: Option<(String, Preview)>,
    /// The SVM block wanted and since when (seconds on the UI's clock).
    wanted: Option<(SvmBlockKey, f64)>,
}

impl Default for ExportDialog {
    fn default() -> Self {
        Self {
            format: Format::StructuredText,
            from: ExportFrom::Tree,
            real_type: RealType::Real,
            name: String::new(),
            safe_default: String::new(),
            date: String::new(),
            with_bench: false,
            preview: None,
            wanted: None,
        }
    }
}

/// What the dialog draws from and where its requests go.
pub struct DialogContext<'a> {
    /// The model.
    pub report: &'a TrainingReport,
    /// Its id (`Session::report_id`).
    pub report_id: u64,
    /// The export plan and the rows it was made from, once the rules job has run.
    pub plan: Option<(Arc<ExportPlan>, Arc<RuleData>)>,
    /// The rule set in use.
    pub rules: Option<RuleSet>,
    /// The SVM blocks computed so far.
    pub blocks: &'a mut SvmBlocks,
    /// Whether a new job of the Rules panel may start now (none runs, or only an SVM block's,
    /// which a new one replaces).
    pub can_start: bool,
    /// Commands for the app.
    pub commands: &'a mut Vec<Command>,
}

/// True for a model whose own decision function can be exported (an SVM).
pub fn is_svm(report: &TrainingReport) -> bool {
    matches!(report.model.estimator, Estimator::SvmClassifier { .. } | Estimator::SvmRegressor { .. })
}

impl ExportDialog {
    /// The dialog for `report`'s model, with the block named after its target.
    pub fn new(report: &TrainingReport) -> Self {
        let name = format!(
            "FB_{}",
            crate::export::ident::identifiers(&[report.model.target.as_str()], &[])
                .first()
                .cloned()
                .unwrap_or_else(|| "Model".into())
        );
        Self { name, ..Self::default() }
    }

    /// The options as the engine takes them.
    fn options(&self, report: &TrainingReport) -> ExportOptions {
        let text = self.safe_default.trim();
        // A class may be named as well as numbered.
        let by_name = report.model.classes.iter().position(|c| c == text).map(|k| k as f64);
        ExportOptions {
            name: (!self.name.trim().is_empty()).then(|| self.name.trim().to_owned()),
            real_type: self.real_type,
            safe_default: by_name.or_else(|| text.parse().ok()),
            date: (!self.date.trim().is_empty()).then(|| self.date.trim().to_owned()),
        }
    }

    /// Draws the dialog; returns false once the user closed it.
    pub fn ui(&mut self, ctx: &egui::Context, cx: DialogContext<'_>) -> bool {
        let mut open = true;
        let screen = ctx.content_rect();
        egui::Window::new("Export to PLC")
            .id(egui::Id::unique("export_dialog"))
            .open(&mut open)
            .collapsible(false)
            .default_size([screen.width() * 0.75, screen.height() * 0.75])
            // A long block scrolls inside the dialog, which stays on the screen.
            .max_size([screen.width() * 0.95, screen.height() * 0.9])
            .anchor(egui::Align2::CENTER_CENTER, [0.0, 0.0])
            .show(ctx, |ui| self.contents_ui(ui, cx));
        open
    }

    fn contents_ui(&mut self, ui: &mut Ui, cx: DialogContext<'_>) {
        let DialogContext { report, report_id, plan, rules, blocks, can_start, commands } = cx;
        let svm = is_svm(report);
        if !svm && self.from == ExportFrom::Svm {
            self.from = ExportFrom::Tree;
        }
        let options = self.options(report);
        let formats = if self.from == ExportFrom::Svm { blocks.formats(report_id, &options) } else { None };
        let refusal = |f: Format| {
            let why = |f: Format| formats?.iter().find(|(g, _)| *g == f).and_then(|(_, w)| w.clone());
            // When the engine refuses even Structured Text, the options are at fault, not the format.
            if why(Format::StructuredText).is_some() { None } else { why(f) }
        };
        egui::Grid::new("export_grid").num_columns(2).spacing([10.0, 6.0]).show(ui, |ui| {
            ui.label("Format:");
            ui.horizontal(|ui| {
                for (f, name) in FORMATS {
                    let why = refusal(f);
                    let r = ui.add_enabled(why.is_none(), egui::Button::selectable(self.format == f, name));
                    if r.clicked() {
                        self.format = f;
                    }
                    if let Some(why) = why {
                        r.on_disabled_hover_text(why);
                    }
                }
            });
            ui.end_row();
            ui.label("Logic:");
            ui.horizontal(|ui| {
                let tree = if svm { "the surrogate tree" } else { "the tree (exactly the model)" };
                ui.selectable_value(&mut self.from, ExportFrom::Tree, tree);
                ui.selectable_value(&mut self.from, ExportFrom::Rules, "the rules in use");
                if svm {
                    ui.selectable_value(&mut self.from, ExportFrom::Svm, "the SVM itself (decision function)")
                        .on_hover_text(
                            "Exactly what the model computes: scaling, support vectors, kernel, bias and \
                             probabilities; checked against the model on every training and held-out row",
                        );
                }
            });
            ui.end_row();
            ui.label("Number type:");
            ui.horizontal(|ui| {
                ui.selectable_value(&mut self.real_type, RealType::Real, "REAL (32-bit)");
                ui.selectable_value(&mut self.real_type, RealType::Lreal, "LREAL (64-bit)");
            });
            ui.end_row();
            ui.label("Function block:");
            ui.add(egui::TextEdit::singleline(&mut self.name).desired_width(240.0));
            ui.end_row();
            ui.label("Safe default:");
            ui.add(
                egui::TextEdit::singleline(&mut self.safe_default)
                    .hint_text(if report.model.task == Task::Classification {
                        "class name or index (default: most frequent)"
                    } else {
                        "value (default: training mean)"
                    })
                    .desired_width(240.0),
            );
            ui.end_row();
            ui.label("Date in header:");
            ui.add(egui::TextEdit::singleline(&mut self.date).hint_text("YYYY-MM-DD (optional)").desired_width(240.0));
            ui.end_row();
            if self.from != ExportFrom::Svm && matches!(self.format, Format::Scl | Format::TcPou | Format::L5x) {
                ui.label("Test bench:");
                ui.checkbox(
                    &mut self.with_bench,
                    "add TB_ with the test vectors (run it once on the PLC: Passed = TRUE)",
                )
                .on_hover_text(
                    "The same test bench as 'ST with test bench', in this vendor's dialect; TwinCAT gets it as a \
                         second object file",
                );
                ui.end_row();
            }
        });
        if !self.name.is_empty() && !crate::export::ident::is_valid_identifier(&self.name) {
            ui.colored_label(
                ui.visuals().error_fg_color,
                "The name must be an IEC identifier: a letter, then letters, digits or single underscores.",
            );
        }
        // The options may have changed above.
        let options = self.options(report);
        ui.separator();
        if self.from == ExportFrom::Svm {
            let Some((plan, _)) = plan else {
                waiting_ui(ui, "the rules and the export plan are being prepared…");
                return;
            };
            self.svm_ui(ui, report_id, &plan, options, blocks, can_start, commands);
            return;
        }
        self.wanted = None;
        let bench = self.with_bench && matches!(self.format, Format::Scl | Format::TcPou | Format::L5x);
        let key = format!(
            "{:?}|{:?}|{:?}|{:?}|{bench}",
            self.format,
            self.from,
            options,
            rules.as_ref().map(|r| r.steps.len())
        );
        if self.preview.as_ref().is_none_or(|(k, _)| *k != key)
            && let Some((plan, data)) = &plan
        {
            let preview = tree_preview(plan, data, rules.as_ref(), self.from, (self.format, bench), &options);
            self.preview = Some((key, preview));
        }
        match &self.preview {
            Some((_, preview)) => preview_ui(ui, preview, &self.name, self.format, commands),
            None => waiting_ui(ui, "the rules and the export plan are being prepared…"),
        }
    }

    /// The SVM block: shown when computed, else asked for (once its settings have settled) and
    /// waited for.
    #[allow(clippy::too_many_arguments)]
    fn svm_ui(
        &mut self,
        ui: &mut Ui,
        report_id: u64,
        plan: &ExportPlan,
        options: ExportOptions,
        blocks: &mut SvmBlocks,
        can_start: bool,
        commands: &mut Vec<Command>,
    ) {
        let key = SvmBlockKey { report_id, format: self.format, options };
        if let Some(preview) = blocks.get(&key) {
            self.wanted = None;
            preview_ui(ui, preview, &self.name, self.format, commands);
            return;
        }
        let known = blocks.formats(report_id, &key.options).map(<[_]>::to_vec);
        let why = |f: Format| known.as_ref()?.iter().find(|(g, _)| *g == f)?.1.clone();
        if let Some(why) = why(Format::StructuredText).or_else(|| why(key.format)) {
            self.wanted = None;
            ui.colored_label(ui.visuals().error_fg_color, why);
            keep_size(ui);
            return;
        }
        if key.options.name.as_deref().is_some_and(|n| !crate::export::ident::is_valid_identifier(n)) {
            // Said above; nothing to check until the name is one.
            self.wanted = None;
            return;
        }
        let rows = plan.rows.train.n_rows() + plan.rows.test.n_rows();
        if blocks.running.as_ref() == Some(&key) {
            waiting_ui(
                ui,
                &format!(
                    "checking the SVM block against the model on {rows} training and held-out rows, in REAL and \
                     LREAL (in the background; Cancel in the status bar stops it)…"
                ),
            );
            return;
        }
        if blocks.stopped.as_ref() == Some(&key) {
            ui.label("The check of this block stopped before it finished (cancelled, or see the message above).");
            if ui.add_enabled(can_start, egui::Button::new("Check again")).clicked() {
                blocks.stopped = None;
                self.start(key, known.is_none(), blocks, commands);
            }
            keep_size(ui);
            return;
        }
        // Settled: the same block wanted for a moment (typing a name changes it per key).
        let now = ui.input(|i| i.time);
        let since = match &self.wanted {
            Some((k, t)) if *k == key => *t,
            _ => {
                self.wanted = Some((key.clone(), now));
                now
            }
        };
        if can_start && now - since >= SETTLE_SECS {
            self.start(key, known.is_none(), blocks, commands);
        } else {
            ui.ctx().request_repaint_after(std::time::Duration::from_secs_f64(SETTLE_SECS / 2.0));
        }
        waiting_ui(ui, &format!("the SVM block will be checked against the model on {rows} rows…"));
    }

    fn start(&mut self, key: SvmBlockKey, probe: bool, blocks: &mut SvmBlocks, commands: &mut Vec<Command>) {
        self.wanted = None;
        blocks.running = Some(key.clone());
        let request = super::rules::Request::SvmBlock(SvmBlockRequest { key, probe });
        commands.push(Command::Work(super::Work::Rules(request)));
    }
}

/// The tree's or the rules' export, with its cost and, for a test bench, its coverage.
fn tree_preview(
    plan: &ExportPlan,
    data: &RuleData,
    rules: Option<&RuleSet>,
    from: ExportFrom,
    (format, bench): (Format, bool),
    options: &ExportOptions,
) -> Preview {
    let plan = if from == ExportFrom::Rules {
        match rules.map(|rs| plan.with_rules(rs, data)) {
            Some(Ok(p)) => p,
            Some(Err(e)) => return Preview { text: Err(e.to_string()), ..Preview::default() },
            None => return Preview { text: Err("no rules yet".into()), ..Preview::default() },
        }
    } else {
        plan.clone()
    };
    let written = if bench {
        crate::export::export_with_testbench(&plan, format, options)
    } else {
        export(&plan, format, options).map(|e| (e, None))
    };
    match written {
        Ok((e, companion)) => {
            // Every PLC block is shown with its cost (the report is that cost).
            let cost = (!matches!(format, Format::Json | Format::Csv | Format::TreeJson | Format::Report))
                .then(|| crate::export::cost::report(&plan, options, None).ok())
                .flatten()
                .map(|r| crate::export::cost::summary(&r));
            let (coverage, notes) = split_coverage(e.notes);
            Preview { text: Ok(e.text), cost, coverage, check: None, notes, companion: companion.map(Box::new) }
        }
        Err(e) => Preview { text: Err(e.to_string()), ..Preview::default() },
    }
}

fn waiting_ui(ui: &mut Ui, text: &str) {
    ui.horizontal(|ui| {
        ui.spinner();
        ui.label(text);
    });
    keep_size(ui);
}

/// Takes the place of the preview, so that the dialog keeps its size while it has none.
fn keep_size(ui: &mut Ui) {
    ui.allocate_space(ui.available_size());
}

/// The preview: what the export costs and covers, the notes, Save and Copy, then the text.
fn preview_ui(ui: &mut Ui, preview: &Preview, name: &str, format: Format, commands: &mut Vec<Command>) {
    let Preview { text, cost, coverage, check, notes, companion } = preview;
    let text = match text {
        Ok(t) => t,
        Err(e) => {
            ui.colored_label(ui.visuals().error_fg_color, e);
            return;
        }
    };
    for (title, line) in [("Check", check), ("Cost", cost), ("Test bench", coverage)] {
        if let Some(line) = line {
            ui.horizontal_wrapped(|ui| {
                ui.label(RichText::new(format!("{title}:")).strong());
                ui.label(line);
            });
        }
    }
    for n in notes {
        ui.label(RichText::new(n).small().weak());
    }
    ui.horizontal(|ui| {
        if ui.button(RichText::new("Save…").strong()).clicked() {
            let stem = if name.trim().is_empty() { "export" } else { name.trim() };
            commands.push(Command::SaveText { name: format!("{stem}.{}", format.extension()), text: text.clone() });
        }
        // The text without the byte-order mark, as a PLC editor's paste expects.
        if ui
            .button("Copy")
            .on_hover_text("Copy the file's text to the clipboard, to paste into the PLC editor")
            .clicked()
        {
            ui.ctx().copy_text(text.trim_start_matches('\u{feff}').to_owned());
        }
        ui.label(RichText::new(format!("{} lines", text.lines().count())).weak());
        if let Some(c) = companion {
            ui.separator();
            if ui
                .button(format!("Save {}…", c.file_name))
                .on_hover_text("The test bench's own object file, to import beside the block's")
                .clicked()
            {
                commands.push(Command::SaveText { name: c.file_name.clone(), text: c.text.clone() });
            }
        }
    });
    // The vendor files start with a byte-order mark and end lines in CR LF (saved as they are);
    // show their text. A large block (an SVM's support vectors) is drawn a line at a time, only
    // the lines in view; a small one as one label, selectable across lines.
    let shown = text.trim_start_matches('\u{feff}');
    let scroll = egui::ScrollArea::both().id_salt("export_preview").min_scrolled_height(240.0);
    if shown.len() <= WHOLE_TEXT_BYTES {
        scroll.show(ui, |ui| {
            ui.add(egui::Label::new(RichText::new(shown.replace("\r\n", "\n")).monospace()).extend());
        });
        return;
    }
    let row_h = ui.text_style_height(&egui::TextStyle::Monospace);
    scroll.show_rows(ui, row_h, shown.lines().count(), |ui, range| {
        ui.spacing_mut().item_spacing.y = 0.0;
        for line in shown.lines().skip(range.start).take(range.len()) {
            ui.add(egui::Label::new(RichText::new(line).monospace()).extend());
        }
    });
}
