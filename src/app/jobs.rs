//! Background jobs: an engine function on a named thread, with progress, cancel and a result
//! that comes back over a channel. A panic inside the job becomes a failed job, never a dead
//! window.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc::{Receiver, TryRecvError, sync_channel};
use std::time::{Duration, Instant};

use crate::error::Error;
use crate::progress::Progress;

/// How a finished job ended.
#[derive(Debug)]
pub enum JobOutcome<T> {
    /// It produced its result.
    Done(T),
    /// The engine refused (bad input); the message says why.
    Failed(String),
    /// The user cancelled it.
    Cancelled,
}

/// A job running in the background.
pub struct Job<T> {
    /// What it does, for the status bar ("Loading plant.csv").
    pub title: String,
    /// Its progress and cancel flag.
    pub progress: Progress,
    started: Instant,
    rx: Receiver<JobOutcome<T>>,
}

impl<T: Send + 'static> Job<T> {
    /// Starts `work` on a new thread named after the job; `ctx` is repainted when it ends.
    pub fn spawn(
        title: impl Into<String>,
        ctx: &egui::Context,
        work: impl FnOnce(&Progress) -> crate::Result<T> + Send + 'static,
    ) -> Self {
        let title = title.into();
        let progress = Progress::new();
        let (tx, rx) = sync_channel(1);
        let ctx = ctx.clone();
        let p = progress.clone();
        let thread_name = format!("job: {title}");
        let spawned = std::thread::Builder::new().name(thread_name).spawn(move || {
            let outcome = match catch_unwind(AssertUnwindSafe(|| work(&p))) {
                Ok(Ok(v)) => JobOutcome::Done(v),
                Ok(Err(Error::Cancelled)) => JobOutcome::Cancelled,
                Ok(Err(e)) => JobOutcome::Failed(e.to_string()),
                Err(panic) => {
                    JobOutcome::Failed(format!("internal error (please report it): {}", panic_message(panic.as_ref())))
                }
            };
            // The receiver may be gone if the app dropped the job; nothing to do then.
            let _ = tx.send(outcome);
            ctx.request_repaint();
        });
        let rx = match spawned {
            Ok(_) => rx,
            Err(e) => {
                let (tx, rx) = sync_channel(1);
                let _ = tx.send(JobOutcome::Failed(format!("could not start a thread: {e}")));
                rx
            }
        };
        Self { title, progress, started: Instant::now(), rx }
    }
}

impl<T> Job<T> {
    /// The outcome once the job has ended; `None` while it runs.
    pub fn poll(&self) -> Option<JobOutcome<T>> {
        match self.rx.try_recv() {
            Ok(outcome) => Some(outcome),
            Err(TryRecvError::Empty) => None,
            Err(TryRecvError::Disconnected) => Some(JobOutcome::Failed("the job ended without a result".into())),
        }
    }

    /// Time since the job started.
    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }

    /// Estimated time left, from progress so far (none until there is enough to go on).
    pub fn eta(&self) -> Option<Duration> {
        let f = self.progress.fraction();
        let elapsed = self.elapsed().as_secs_f64();
        (f > 0.02 && elapsed > 0.5).then(|| Duration::from_secs_f64(elapsed * (1.0 - f) / f))
    }
}

/// Which kind of work a job does. A new job replaces a running one of the same kind (a second
/// training run cancels the first), and panels ask whether their kind of work is running.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobKind {
    /// Reading a data file or opening a project.
    Load,
    /// Writing the project.
    Save,
    /// Training or searching settings.
    Model,
    /// Explanations.
    Explain,
    /// Rules.
    Rules,
    /// Learning what planning needs about the training rows.
    Planner,
    /// The live SHAP values of the scenario being edited.
    PlanLive,
    /// Other planning work (sweeps, searches, plan scoring).
    PlanWork,
    /// Monitoring new data.
    Monitor,
    /// Comparing two model versions.
    Compare,
}

/// The function a job runs on its thread.
pub type JobFn<T> = Box<dyn FnOnce(&Progress) -> crate::Result<T> + Send>;

/// Work to run in the background: its kind, its title for the status bar, and the function.
pub struct JobSpec<T> {
    /// What kind of work it is.
    pub kind: JobKind,
    /// Words for the status bar.
    pub title: String,
    /// The work, run on a job thread.
    pub work: JobFn<T>,
}

impl<T: 'static> JobSpec<T> {
    /// A job of `kind` doing `work`.
    pub fn new(
        kind: JobKind,
        title: impl Into<String>,
        work: impl FnOnce(&Progress) -> crate::Result<T> + Send + 'static,
    ) -> Self {
        Self { kind, title: title.into(), work: Box::new(work) }
    }

    /// The same job with its result turned into another type.
    pub fn map<U>(self, f: impl FnOnce(T) -> U + Send + 'static) -> JobSpec<U> {
        let work = self.work;
        JobSpec { kind: self.kind, title: self.title, work: Box::new(move |p| work(p).map(f)) }
    }
}

/// The running jobs, in the order they started.
pub struct Jobs<T> {
    running: Vec<(JobKind, Job<T>)>,
}

impl<T> Default for Jobs<T> {
    fn default() -> Self {
        Self { running: Vec::new() }
    }
}

/// A job that ended: its kind, title, run time and outcome.
pub struct Finished<T> {
    /// Its kind.
    pub kind: JobKind,
    /// Its title.
    pub title: String,
    /// How long it ran.
    pub elapsed: Duration,
    /// How it ended.
    pub outcome: JobOutcome<T>,
}

impl<T: Send + 'static> Jobs<T> {
    /// Starts a job; a running job of the same kind is cancelled first (its result, if it
    /// still comes, is dropped by the panel that asked, which checks what it was for).
    pub fn start(&mut self, ctx: &egui::Context, spec: JobSpec<T>) {
        for (k, job) in &self.running {
            if *k == spec.kind {
                job.progress.cancel();
            }
        }
        let work = spec.work;
        self.running.push((spec.kind, Job::spawn(spec.title, ctx, move |p| work(p))));
    }
}

impl<T> Jobs<T> {
    /// The jobs that ended since the last call.
    pub fn finished(&mut self) -> Vec<Finished<T>> {
        let mut done = Vec::new();
        self.running.retain(|(kind, job)| match job.poll() {
            Some(outcome) => {
                done.push(Finished { kind: *kind, title: job.title.clone(), elapsed: job.elapsed(), outcome });
                false
            }
            None => true,
        });
        done
    }

    /// True while a job of `kind` runs.
    pub fn is_running(&self, kind: JobKind) -> bool {
        self.running.iter().any(|(k, _)| *k == kind)
    }

    /// The running jobs, for the status bar.
    pub fn iter(&self) -> impl Iterator<Item = &Job<T>> {
        self.running.iter().map(|(_, j)| j)
    }

    /// Number of running jobs.
    pub fn len(&self) -> usize {
        self.running.len()
    }

    /// True when nothing runs.
    pub fn is_empty(&self) -> bool {
        self.running.is_empty()
    }

    /// Asks the job at `index` (in [`Jobs::iter`] order) to stop.
    pub fn cancel(&self, index: usize) {
        if let Some((_, job)) = self.running.get(index) {
            job.progress.cancel();
        }
    }
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(ToString::to_string)
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a job panicked".into())
}

/// Runs a job to its end (for tests and headless use of the app state).
#[cfg(test)]
pub fn wait<T>(job: &Job<T>) -> JobOutcome<T> {
    loop {
        if let Some(o) = job.poll() {
            return o;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_a_failed_job() {
        let ctx = egui::Context::default();
        let job: Job<()> = Job::spawn("boom", &ctx, |_| panic!("kaboom"));
        match wait(&job) {
            JobOutcome::Failed(m) => assert!(m.contains("kaboom"), "{m}"),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn cancel_reaches_the_job() {
        let ctx = egui::Context::default();
        let job: Job<()> = Job::spawn("loop", &ctx, |p| {
            loop {
                p.check()?;
                std::thread::sleep(Duration::from_millis(1));
            }
        });
        job.progress.cancel();
        assert!(matches!(wait(&job), JobOutcome::Cancelled));
    }
}
