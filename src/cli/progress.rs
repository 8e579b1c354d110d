//! Progress of long commands (training, explanations over many rows, plan scoring) as a bar on
//! standard error, drawn by `indicatif` while the engine reports through its [`Progress`]. Only
//! when standard error is a terminal and `--quiet` is not given: scripts and logs get no bars.

use std::io::IsTerminal as _;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crate::progress::Progress;

static QUIET: AtomicBool = AtomicBool::new(false);

/// Turns the bars off (`--quiet`).
pub fn set_quiet(quiet: bool) {
    QUIET.store(quiet, Ordering::Relaxed);
}

/// A running command's progress; the bar (if any) ends when it is dropped.
pub struct Reporter {
    progress: Progress,
    done: std::sync::Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Reporter {
    /// Starts reporting the work called `title`.
    pub fn start(title: &str) -> Self {
        let progress = Progress::new();
        let done = std::sync::Arc::new(AtomicBool::new(false));
        let shown = !QUIET.load(Ordering::Relaxed) && std::io::stderr().is_terminal();
        let thread = shown.then(|| {
            let (p, d, title) = (progress.clone(), done.clone(), title.to_owned());
            std::thread::Builder::new().name("progress bar".into()).spawn(move || draw(&p, &d, &title)).ok()
        });
        Self { progress, done, thread: thread.flatten() }
    }

    /// The progress the engine reports to.
    pub fn progress(&self) -> &Progress {
        &self.progress
    }
}

impl Drop for Reporter {
    fn drop(&mut self) {
        self.done.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            // The drawing thread only reads the progress; if it panicked there is nothing to undo.
            let _ = t.join();
        }
    }
}

fn draw(progress: &Progress, done: &AtomicBool, title: &str) {
    let bar = indicatif::ProgressBar::new(1000);
    let style =
        indicatif::ProgressStyle::with_template("{prefix} [{bar:30}] {percent:>3}% {msg} ({elapsed}, ~{eta} left)")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar());
    bar.set_style(style.progress_chars("=> "));
    bar.set_prefix(title.to_owned());
    while !done.load(Ordering::Relaxed) {
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // a fraction times 1000
        bar.set_position((progress.fraction().clamp(0.0, 1.0) * 1000.0) as u64);
        bar.set_message(progress.stage());
        std::thread::sleep(Duration::from_millis(100));
    }
    bar.finish_and_clear();
}
