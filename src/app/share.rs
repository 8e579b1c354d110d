//! Sharing and protecting a project from the window: a model-only copy for a colleague or a
//! vendor (no data path, no rows, optional neutral feature names; see
//! [`crate::project::share`]), and the passphrase the project file is encrypted with (set,
//! changed or removed; it applies from the next save).

use std::fmt::Write as _;

use egui::RichText;

use super::app::{GlassboxApp, JobOutput};
use super::command::Command;
use super::jobs::{JobKind, JobSpec};
use crate::project::crypto::Passphrase;
use crate::project::share::{CopyOptions, model_only};

/// The "Share a model-only copy" dialog.
#[derive(Debug, Clone, Default)]
pub struct ShareDialog {
    /// Where to write the copy.
    pub path: String,
    /// What goes in besides the model.
    pub options: CopyOptions,
}

/// The "Project passphrase" dialog (its text is wiped from memory when dropped).
#[derive(Default)]
pub struct PassphraseDialog {
    /// The new passphrase.
    pub text: zeroize::Zeroizing<String>,
    /// The same again.
    pub repeat: zeroize::Zeroizing<String>,
    /// Why the last attempt was refused.
    pub problem: Option<String>,
}

impl GlassboxApp {
    /// Opens the share dialog with a path beside the project (or where it would be saved).
    pub(super) fn open_share_dialog(&mut self) {
        let project = self.session.project_path.clone().unwrap_or_else(|| self.suggested_project_path());
        let stem = project.file_stem().map_or_else(|| "model".to_owned(), |s| s.to_string_lossy().into_owned());
        self.share_dialog = Some(ShareDialog {
            path: project.with_file_name(format!("{stem}_model_only.glassbox")).display().to_string(),
            options: CopyOptions::default(),
        });
    }

    /// Writes the model-only copy the dialog describes, in the background.
    pub(super) fn save_copy(&mut self, ctx: &egui::Context) {
        let Some(d) = self.share_dialog.take() else { return };
        let Some(path) = crate::paths::parse_user_path(&d.path) else {
            self.error("Give the copy a file name".into());
            self.share_dialog = Some(d);
            return;
        };
        let project = self.session.project();
        let options = d.options;
        self.start_job(
            ctx,
            JobSpec::new(JobKind::Save, format!("Writing {}", path.display()), move |_| {
                let (copy, notes) = model_only(&project, &options)?;
                copy.save(&path)?;
                Ok(JobOutput::CopySaved { path, notes })
            }),
        );
    }

    /// Sets the passphrase the dialog holds (or removes it when `remove`).
    pub(super) fn apply_passphrase(&mut self, remove: bool) {
        if remove {
            self.passphrase_dialog = None;
            if self.session.set_passphrase(None) {
                self.info("The project will be saved without encryption from the next save".into());
            }
            return;
        }
        let Some(mut d) = self.passphrase_dialog.take() else { return };
        if *d.text != *d.repeat {
            d.problem = Some("The two passphrases differ; type the same one twice.".into());
            self.passphrase_dialog = Some(d);
            return;
        }
        match Passphrase::new(std::mem::take(&mut *d.text).into_bytes()) {
            Ok(p) => {
                self.session.set_passphrase(Some(p));
                self.info("The project will be saved encrypted with this passphrase (Argon2id and XChaCha20-Poly1305); keep it safe, it cannot be recovered".into());
            }
            Err(e) => {
                d.problem = Some(e.to_string());
                self.passphrase_dialog = Some(d);
            }
        }
    }

    /// Draws the share and passphrase dialogs while they are open.
    pub(super) fn share_dialogs_ui(&mut self, ctx: &egui::Context, commands: &mut Vec<Command>) {
        if let Some(d) = self.share_dialog.as_mut() {
            let mut open = true;
            egui::Window::new("Share a model-only copy")
                .id(egui::Id::unique("share_dialog"))
                .open(&mut open)
                .collapsible(false)
                .anchor(egui::Align2::CENTER_CENTER, [0.0, 0.0])
                .show(ctx, |ui| {
                    ui.label(
                        "The copy keeps the model, its settings, its held-out figures, the rules in use and the \
                         history's descriptions. It leaves out the data file's path and hash, every row of data, \
                         earlier models, and what you do not tick below.",
                    );
                    ui.checkbox(&mut d.options.neutral_names, "replace feature names by F1 … Fn (units dropped)");
                    ui.checkbox(&mut d.options.keep_scenarios, "keep the what-if scenarios (they hold feature values)");
                    ui.checkbox(&mut d.options.keep_plans, "keep the scored production plans (they hold plan rows)");
                    ui.label(
                        RichText::new(
                            "Still in the copy: each feature's training range and median, category levels and, for an \
                             SVM, its support vectors (standardised training rows).",
                        )
                        .weak(),
                    );
                    ui.label("Write to:");
                    ui.add(egui::TextEdit::singleline(&mut d.path).desired_width(480.0));
                    ui.horizontal(|ui| {
                        if ui.button(RichText::new("Write the copy").strong()).clicked() {
                            commands.push(Command::SaveCopy);
                        }
                        if ui.button("Cancel").clicked() {
                            commands.push(Command::CloseShareDialogs);
                        }
                    });
                });
            if !open {
                commands.push(Command::CloseShareDialogs);
            }
        }
        if let Some(d) = self.passphrase_dialog.as_mut() {
            let encrypted = self.session.is_encrypted();
            let mut open = true;
            egui::Window::new("Project passphrase")
                .id(egui::Id::unique("passphrase_dialog"))
                .open(&mut open)
                .collapsible(false)
                .anchor(egui::Align2::CENTER_CENTER, [0.0, 0.0])
                .show(ctx, |ui| {
                    ui.label(if encrypted {
                        "This project is saved encrypted. Give a new passphrase, or remove the encryption."
                    } else {
                        "Encrypt the project file with a passphrase (from the next save). Without it the file cannot \
                         be opened, and it cannot be recovered."
                    });
                    egui::Grid::new("passphrase_grid").num_columns(2).show(ui, |ui| {
                        ui.label("Passphrase:");
                        ui.add(egui::TextEdit::singleline(&mut *d.text).password(true).desired_width(300.0));
                        ui.end_row();
                        ui.label("Again:");
                        ui.add(egui::TextEdit::singleline(&mut *d.repeat).password(true).desired_width(300.0));
                        ui.end_row();
                    });
                    if let Some(p) = &d.problem {
                        ui.colored_label(ui.visuals().error_fg_color, p);
                    }
                    ui.horizontal(|ui| {
                        if ui.button(RichText::new("Use this passphrase").strong()).clicked() {
                            commands.push(Command::SetPassphrase);
                        }
                        if encrypted && ui.button("Remove the encryption").clicked() {
                            commands.push(Command::RemovePassphrase);
                        }
                        if ui.button("Cancel").clicked() {
                            commands.push(Command::CloseShareDialogs);
                        }
                    });
                });
            if !open {
                commands.push(Command::CloseShareDialogs);
            }
        }
    }
}

/// Where a copy was written, for the status bar.
pub fn copy_saved_text(path: &std::path::Path, notes: &[String]) -> String {
    let mut text = format!("Wrote the model-only copy {}", path.display());
    if !notes.is_empty() {
        let _ = write!(text, " ({})", notes.join("; "));
    }
    text
}
