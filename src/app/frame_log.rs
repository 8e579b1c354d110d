//! Frame times written to a file for measurement (`GLASSBOX_FRAME_LOG=FILE`): one line per
//! frame with the seconds since start, the time of the previous frame in milliseconds as eframe
//! measures it (UI code, tessellation and the OpenGL calls — with software OpenGL that includes
//! rasterising the frame on the CPU), the time of this frame's UI code alone, the running jobs
//! and the panel shown. While it is on, the window repaints continuously, so idle frames are
//! measured too. `benches/frame_time.py` drives the app and summarises the log.

use std::io::Write as _;
use std::time::{Duration, Instant};

use super::command::Tab;

struct FrameLog {
    out: std::io::BufWriter<std::fs::File>,
    started: Instant,
    last_flush: Instant,
}

impl FrameLog {
    fn from_env() -> Option<Self> {
        let path = std::env::var_os("GLASSBOX_FRAME_LOG")?;
        let file = std::fs::File::create(path).ok()?;
        Some(Self { out: std::io::BufWriter::new(file), started: Instant::now(), last_flush: Instant::now() })
    }

    fn write(&mut self, cpu_seconds: Option<f32>, ui_time: Duration, jobs: usize, tab: Tab) {
        // A measurement aid: a line that cannot be written is skipped, not worth a message.
        if let Some(cpu) = cpu_seconds {
            let _ = writeln!(
                self.out,
                "{:.4} {:.3} {:.3} {jobs} {}",
                self.started.elapsed().as_secs_f64(),
                f64::from(cpu) * 1000.0,
                ui_time.as_secs_f64() * 1000.0,
                tab.label().replace(' ', "_")
            );
        }
        if self.last_flush.elapsed() > Duration::from_secs(1) {
            let _ = self.out.flush();
            self.last_flush = Instant::now();
        }
    }
}

thread_local! {
    static FRAME_LOG: std::cell::RefCell<Option<FrameLog>> = std::cell::RefCell::new(FrameLog::from_env());
}

/// Records one frame when the log is on (and keeps the window repainting).
pub fn record(ctx: &egui::Context, frame: &eframe::Frame, ui_time: Duration, jobs: usize, tab: Tab) {
    FRAME_LOG.with_borrow_mut(|log| {
        if let Some(log) = log {
            log.write(frame.info().cpu_usage, ui_time, jobs, tab);
            ctx.request_repaint();
        }
    });
}
