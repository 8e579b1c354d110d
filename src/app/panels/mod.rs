//! The panels, one file (or folder) each, and what they share.
//!
//! Every panel follows one pattern:
//! - `ui(&mut self, ui, cx)` draws it from the session in [`PanelContext`] and its own view
//!   state, and pushes commands: an `Edit` of the session, `Work` for the background, a `Show`
//!   for another panel;
//! - its `Request` enum names the background work it asks for, and `Request::job` turns a
//!   request into a job (the engine calls, on the job's thread);
//! - `receive` takes the job's result back, checking it is still for the current model.
//!
//! [`Panels`] holds them and routes work, results and events to the right one; the app only
//! talks to [`Panels`]. A new panel is a new file here, a field and a tab in [`Panels`], and a
//! variant in [`Work`] and [`Done`].

// Panel functions are long lists of widgets and read best in one piece; the engine's functions
// stay short (split at their phases), and only this module allows long ones.
#![allow(clippy::too_many_lines)]

pub mod data;
pub mod explain;
pub mod export_dialog;
pub mod import;
pub mod monitor;
pub mod plan;
pub mod rules;
pub mod train;
pub mod tree_view;

use std::time::Duration;

use egui::Ui;

use super::command::{Command, Show, Tab};
use super::jobs::{JobKind, JobSpec};
use super::session::Session;

/// Which kinds of background work are running, as panels need to know.
#[derive(Debug, Clone, Copy, Default)]
pub struct Busy {
    /// One bit per kind.
    kinds: u16,
}

impl Busy {
    fn bit(kind: JobKind) -> u16 {
        1 << match kind {
            JobKind::Load => 0,
            JobKind::Save => 1,
            JobKind::Model => 2,
            JobKind::Explain => 3,
            JobKind::Rules => 4,
            JobKind::Planner => 5,
            JobKind::PlanLive => 6,
            JobKind::PlanWork => 7,
            JobKind::Monitor => 8,
            JobKind::Compare => 9,
        }
    }

    /// The running kinds.
    pub fn of(running: impl IntoIterator<Item = JobKind>) -> Self {
        Self { kinds: running.into_iter().fold(0, |bits, k| bits | Self::bit(k)) }
    }

    /// True while work of `kind` runs.
    pub fn is(&self, kind: JobKind) -> bool {
        self.kinds & Self::bit(kind) != 0
    }
}

/// What a panel gets to draw itself: the session to read, what runs, and where to put commands.
pub struct PanelContext<'a> {
    /// The session (read only; panels change it through `Command::Edit`).
    pub session: &'a Session,
    /// The kinds of work running.
    pub busy: Busy,
    /// Commands for the app to carry out after the frame.
    pub commands: &'a mut Vec<Command>,
}

/// Background work a panel asks for.
#[derive(Debug, Clone, PartialEq)]
pub enum Work {
    /// Training or a settings search.
    Train(train::Request),
    /// Explanations.
    Explain(explain::Request),
    /// Rules.
    Rules(rules::Request),
    /// Planning.
    Plan(plan::Request),
    /// Monitoring, retraining, restoring and comparing versions.
    Monitor(monitor::Request),
}

/// What background work hands back to its panel.
pub enum Done {
    /// From the Train panel's work.
    Train(train::Done),
    /// From the Explain panel's work.
    Explain(explain::Done),
    /// From the Rules panel's work.
    Rules(Box<rules::RulesResult>),
    /// From the Plan panel's work.
    Plan(plan::Done),
    /// From the Monitor panel's work.
    Monitor(monitor::Done),
}

/// Every panel's view state.
pub struct Panels {
    /// The Data panel.
    pub data: data::DataPanel,
    /// The Train panel.
    pub train: train::TrainPanel,
    /// The Explain panel.
    pub explain: explain::ExplainPanel,
    /// The Rules panel.
    pub rules: rules::RulesPanel,
    /// The Plan panel.
    pub plan: plan::PlanPanel,
    /// The Monitor panel.
    pub monitor: monitor::MonitorPanel,
}

impl Default for Panels {
    fn default() -> Self {
        Self {
            data: data::DataPanel::default(),
            train: train::TrainPanel::default(),
            explain: explain::ExplainPanel::default(),
            rules: rules::RulesPanel::default(),
            plan: plan::PlanPanel::new(),
            monitor: monitor::MonitorPanel::default(),
        }
    }
}

impl Panels {
    /// Draws the panel of `tab`.
    pub fn ui(&mut self, tab: Tab, ui: &mut Ui, cx: &mut PanelContext<'_>) {
        match tab {
            Tab::Data => self.data.ui(ui, cx),
            Tab::Train => self.train.ui(ui, cx),
            Tab::Explain => self.explain.ui(ui, cx),
            Tab::Rules => self.rules.ui(ui, cx),
            Tab::Plan => self.plan.ui(ui, cx),
            Tab::Monitor => self.monitor.ui(ui, cx),
        }
    }

    /// The job that carries out `work` on the session, or `None` when there is nothing to
    /// work on (no data or no model).
    pub fn job(&self, work: Work, session: &Session) -> Option<JobSpec<Done>> {
        Some(match work {
            Work::Train(r) => r.job(session)?.map(Done::Train),
            Work::Explain(r) => r.job(session)?.map(Done::Explain),
            Work::Rules(r) => self.rules.job(r, session)?.map(|r| Done::Rules(Box::new(r))),
            Work::Plan(r) => self.plan.job(r, session)?.map(Done::Plan),
            Work::Monitor(r) => self.monitor.job(r, session)?.map(Done::Monitor),
        })
    }

    /// Hands a finished job's result to its panel; returns a message for the status bar.
    pub fn receive(
        &mut self,
        done: Done,
        elapsed: Duration,
        session: &Session,
        commands: &mut Vec<Command>,
    ) -> Option<String> {
        match done {
            Done::Train(d) => self.train.receive(d, elapsed, commands),
            Done::Explain(d) => self.explain.receive(d, elapsed, session),
            Done::Rules(r) => self.rules.receive(*r, session, commands),
            Done::Plan(d) => self.plan.receive(d, session, commands),
            Done::Monitor(d) => self.monitor.receive(d, elapsed, session, commands),
        }
    }

    /// Tells the panel whose work of `kind` failed.
    pub fn failed(&mut self, kind: JobKind, message: &str) {
        if matches!(kind, JobKind::Planner | JobKind::PlanLive | JobKind::PlanWork) {
            self.plan.note = Some(message.to_owned());
        }
        if matches!(kind, JobKind::Monitor | JobKind::Compare) {
            self.monitor.failed(message);
        }
    }

    /// Has a panel show something another asked for.
    pub fn show(&mut self, show: Show) {
        match show {
            Show::Rows { label, rows } => self.data.highlight = Some((label, rows)),
            Show::PlanFile(path) => self.plan.score_file(&path),
            Show::MonitorFile(path) => self.monitor.monitor_file(&path),
        }
    }

    /// The session was replaced (new data, an opened project): every panel starts afresh,
    /// keeping only settings a user would expect to keep (training settings).
    pub fn session_replaced(&mut self, session: &Session) {
        self.data = data::DataPanel::default();
        self.data.selected =
            session.dataset.as_ref().and_then(|ds| ds.columns.iter().position(|c| c.role == crate::data::Role::Target));
        self.explain = explain::ExplainPanel::default();
        self.rules = rules::RulesPanel::default();
        self.plan = plan::PlanPanel::new();
        self.train = train::TrainPanel::default();
        self.monitor.session_replaced();
        if let Some(r) = &session.report {
            self.train.adopt(&r.settings);
        }
    }

    /// A new model replaced the old one: results derived from it are dropped.
    pub fn model_replaced(&mut self) {
        self.explain.results = explain::ExplainResults::default();
        self.plan.model_replaced();
    }
}
