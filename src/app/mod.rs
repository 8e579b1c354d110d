//! The desktop face of Glassbox (egui). Only this module and `main.rs` know about egui; every
//! computation is the engine's.

#[allow(clippy::module_inception)]
mod app;
mod chrome;
pub mod command;
mod files;
mod frame_log;
pub mod jobs;
pub mod panels;
pub mod session;
mod share;
pub mod state;
pub mod theme;
pub mod widgets;

use std::path::PathBuf;

pub use app::{GlassboxApp, JobOutput};
pub use command::{CloseChoice, Command, Edit, Message, Severity, Show, Tab};
pub use files::{PendingProject, SaveWhat};

/// Opens the Glassbox window, starting on `file` or on the bundled sample data.
///
/// # Errors
/// When no window can be created (no display, no OpenGL).
pub fn run(file: Option<PathBuf>) -> anyhow::Result<()> {
    let mut viewport = egui::ViewportBuilder::default();
    // The same picture as the Windows `.exe`'s icon (assets/make_icon.py draws both).
    if let Ok(icon) = eframe::icon_data::from_png_bytes(include_bytes!("../../assets/glassbox.png")) {
        viewport = viewport.with_icon(icon);
    }
    let options = eframe::NativeOptions {
        viewport: viewport
            .with_title("Glassbox")
            .with_inner_size([1400.0, 860.0])
            .with_min_inner_size([800.0, 500.0])
            .with_drag_and_drop(true),
        ..eframe::NativeOptions::default()
    };
    eframe::run_native(
        "Glassbox",
        options,
        Box::new(move |cc| Ok(Box::new(GlassboxApp::from_creation_context(cc, file)))),
    )
    .map_err(|e| anyhow::anyhow!("could not open the window: {e}"))
}
