//! The window's chrome around the panels: the menu bar with the path box, the tabs, the status
//! bar with running jobs and Cancel, message banners, the dialogs (save, relink a moved data
//! file, recover unsaved work, save before closing), the drop overlay and the first-start screen.

use std::fmt::Write as _;

use egui::{RichText, Ui};

use super::app::GlassboxApp;
use super::command::{CloseChoice, Command, Severity, Tab};
use super::state::ThemeChoice;

impl GlassboxApp {
    /// The File menu: data, projects, sharing, recent files.
    fn file_menu_ui(&self, ui: &mut Ui, commands: &mut Vec<Command>) {
        if ui.button("Open data file…").clicked() {
            commands.push(Command::OpenFileDialog);
        }
        if ui.button("Open project…").clicked() {
            commands.push(Command::OpenProjectDialog);
        }
        ui.menu_button("Open recent project", |ui| {
            if self.prefs.recent_projects.is_empty() {
                ui.label(RichText::new("No recent projects").weak());
            }
            for p in &self.prefs.recent_projects {
                if ui.button(p.display().to_string()).clicked() {
                    commands.push(Command::OpenProject(p.clone()));
                }
            }
        });
        let has_data = self.session.dataset.is_some();
        if ui.add_enabled(has_data, egui::Button::new("Save project").shortcut_text("Ctrl+S")).clicked() {
            commands.push(Command::SaveProject);
        }
        if ui.add_enabled(has_data, egui::Button::new("Save project as…")).clicked() {
            commands.push(Command::SaveProjectAs);
        }
        let has_model = self.session.report.is_some();
        if ui
            .add_enabled(has_model, egui::Button::new("Share a model-only copy…"))
            .on_hover_text("A project file with the model and no plant data, for a colleague or a vendor")
            .clicked()
        {
            commands.push(Command::OpenShareDialog);
        }
        let lock =
            if self.session.is_encrypted() { "Project passphrase (encrypted)…" } else { "Project passphrase…" };
        if ui
            .add_enabled(has_data, egui::Button::new(lock))
            .on_hover_text("Encrypt the project file with a passphrase, change it or remove it")
            .clicked()
        {
            commands.push(Command::OpenPassphraseDialog);
        }
        ui.separator();
        ui.menu_button("Open recent", |ui| {
            if self.prefs.recent_files.is_empty() {
                ui.label(RichText::new("No recent files").weak());
            }
            for r in &self.prefs.recent_files {
                if ui.button(r.path.display().to_string()).clicked() {
                    commands.push(Command::Load { path: r.path.clone(), options: r.options.clone() });
                }
            }
            if !self.prefs.recent_files.is_empty() {
                ui.separator();
                if ui.button("Clear list").clicked() {
                    commands.push(Command::ClearRecent);
                }
            }
        });
        if ui.button("Open sample data (AI4I 2020)").clicked() {
            commands.push(Command::LoadSample);
        }
        ui.separator();
        if ui.button("Quit").clicked() {
            ui.ctx().send_viewport_cmd(egui::ViewportCommand::Close);
        }
    }

    pub(super) fn menu_bar_ui(&mut self, ui: &mut Ui, commands: &mut Vec<Command>) {
        egui::MenuBar::new().ui(ui, |ui| {
            ui.menu_button("File", |ui| self.file_menu_ui(ui, commands));
            ui.menu_button("View", |ui| {
                for (choice, name) in
                    [(ThemeChoice::System, "System theme"), (ThemeChoice::Light, "Light"), (ThemeChoice::Dark, "Dark")]
                {
                    if ui.radio(self.prefs.theme == choice, name).clicked() {
                        commands.push(Command::SetTheme(choice));
                    }
                }
                ui.separator();
                ui.label(RichText::new("Zoom: Ctrl + / Ctrl − / Ctrl 0").weak());
            });
            ui.menu_button("Help", |ui| {
                ui.label(format!("Glassbox {}", env!("CARGO_PKG_VERSION")));
                ui.label("Works offline; never opens a network connection.");
                match &self.cjk_font {
                    Some(p) => ui.label(format!("CJK font: {p}")),
                    None => {
                        ui.label("No CJK font found: Chinese and Japanese names show as boxes. Install Noto Sans CJK.")
                    }
                };
                ui.label("Sample data: AI4I 2020 (S. Matzka, UCI, CC BY 4.0).");
            });
            ui.separator();
            ui.label("Open path:");
            let edit = ui
                .add(
                    egui::TextEdit::singleline(&mut self.path_box)
                        .hint_text("/path/to/plant_data.csv")
                        .desired_width(ui.available_width() - 80.0),
                )
                .labelled_by(ui.label("").id);
            let enter = edit.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
            if (ui.button("Open").clicked() || enter)
                && let Some(path) = crate::paths::parse_user_path(&self.path_box)
            {
                commands.push(Command::OpenPath(path));
            }
        });
    }

    pub(super) fn project_dialogs_ui(&mut self, ctx: &egui::Context, commands: &mut Vec<Command>) {
        if let Some(p) = self.pending_project.as_mut() {
            egui::Window::new("Where is the data?")
                .id(egui::Id::unique("relink_dialog"))
                .collapsible(false)
                .anchor(egui::Align2::CENTER_CENTER, [0.0, 0.0])
                .show(ctx, |ui| {
                    if p.project.copy.is_some() && p.project.data.is_none() {
                        ui.label(format!("{} is a model-only copy: it holds no data.", p.path.display()));
                        ui.label(
                            "Give a data file with the model's columns to work with it (its metrics stay those of the \
                             original project's held-out rows):",
                        );
                    } else {
                        ui.label(format!("The project {} cannot read its data:", p.path.display()));
                        ui.colored_label(ui.visuals().warn_fg_color, &p.problem);
                        ui.label("Give the data file's current location:");
                    }
                    ui.add(egui::TextEdit::singleline(&mut p.new_data).desired_width(480.0));
                    ui.horizontal(|ui| {
                        if ui.button(RichText::new("Open with this file").strong()).clicked()
                            && let Some(path) = crate::paths::parse_user_path(&p.new_data)
                        {
                            commands.push(Command::RelinkData(path));
                        }
                        if ui.button("Cancel").clicked() {
                            commands.push(Command::CancelRelink);
                        }
                    });
                });
        }
        if let Some(p) = self.passphrase_prompt.as_mut() {
            egui::Modal::new(egui::Id::unique("passphrase_prompt")).show(ctx, |ui| {
                ui.heading("Encrypted project");
                let name = p.path.as_ref().map_or_else(
                    || "The unsaved work of the last session".to_owned(),
                    |f| format!("The project {}", f.display()),
                );
                ui.label(format!("{name} is encrypted. Type its passphrase to open it:"));
                let field = ui.add(
                    egui::TextEdit::singleline(&mut *p.text)
                        .password(true)
                        .hint_text("passphrase")
                        .desired_width(360.0),
                );
                if p.text.is_empty() && p.problem.is_none() {
                    field.request_focus();
                }
                if let Some(problem) = &p.problem {
                    ui.colored_label(ui.visuals().error_fg_color, problem);
                }
                ui.label(
                    RichText::new("It stays encrypted with this passphrase when saved. Glassbox never stores it.")
                        .weak(),
                );
                let enter = field.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
                ui.horizontal(|ui| {
                    if ui.button(RichText::new("Open project").strong()).clicked() || enter {
                        commands.push(Command::OpenEncrypted);
                    }
                    if ui.button("Cancel").clicked() {
                        commands.push(Command::CancelPassphrase);
                    }
                });
            });
        }
        if self.recovery_offered {
            egui::Window::new("Recover unsaved work?")
                .id(egui::Id::unique("recovery_dialog"))
                .collapsible(false)
                .anchor(egui::Align2::CENTER_TOP, [0.0, 80.0])
                .show(ctx, |ui| {
                    ui.label("Glassbox did not close cleanly last time, and there is unsaved work from that session.");
                    ui.horizontal(|ui| {
                        if ui.button(RichText::new("Recover").strong()).clicked() {
                            commands.push(Command::Recover);
                        }
                        if ui.button("Discard it").clicked() {
                            commands.push(Command::DiscardRecovery);
                        }
                    });
                });
        }
        if self.close_prompt {
            egui::Modal::new(egui::Id::unique("close_prompt")).show(ctx, |ui| {
                ui.heading("Save changes before closing?");
                ui.label("The model, roles or settings changed since the project was last saved.");
                ui.horizontal(|ui| {
                    if ui.button(RichText::new("Save").strong()).clicked() {
                        commands.push(Command::Close(CloseChoice::Save));
                    }
                    if ui.button("Don't save").clicked() {
                        commands.push(Command::Close(CloseChoice::Discard));
                    }
                    if ui.button("Cancel").clicked() {
                        commands.push(Command::Close(CloseChoice::Cancel));
                    }
                });
            });
        }
    }

    /// A small dialog with the path to save to (typed, or picked with the system dialog).
    pub(super) fn save_dialog_ui(&mut self, ctx: &egui::Context, commands: &mut Vec<Command>) {
        let Some((path, _)) = self.pending_save.as_mut() else { return };
        let mut open = true;
        egui::Window::new("Save")
            .id(egui::Id::unique("save_dialog"))
            .open(&mut open)
            .collapsible(false)
            .anchor(egui::Align2::CENTER_CENTER, [0.0, 0.0])
            .show(ctx, |ui| {
                ui.label("Save to:");
                ui.add(egui::TextEdit::singleline(path).desired_width(480.0));
                ui.horizontal(|ui| {
                    if ui.button(RichText::new("Save").strong()).clicked()
                        && let Some(p) = crate::paths::parse_user_path(path)
                    {
                        commands.push(Command::SaveTo(p));
                    }
                    if ui.button("Cancel").clicked() {
                        commands.push(Command::CancelSave);
                    }
                });
            });
        if !open {
            commands.push(Command::CancelSave);
        }
    }

    pub(super) fn tabs_ui(&self, ui: &mut Ui, commands: &mut Vec<Command>) {
        egui::Panel::top("tabs").show(ui, |ui| {
            ui.horizontal(|ui| {
                for t in Tab::ALL {
                    let text = RichText::new(t.label()).size(15.0);
                    let text = if self.tab == t { text.strong() } else { text };
                    if ui.selectable_label(self.tab == t, text).clicked() {
                        commands.push(Command::ShowTab(t));
                    }
                }
                // The next step, for someone who has just opened data.
                if self.session.report.is_none() && self.tab != Tab::Train && !self.is_training() {
                    ui.separator();
                    let target = self.session.dataset.as_ref().and_then(|d| d.target()).map(|c| c.name.clone());
                    let text = match target {
                        Some(t) => format!("Next: train a model that predicts '{t}' (Train tab)"),
                        None => "Next: choose the column to predict (give it the target role)".to_owned(),
                    };
                    if ui.link(text).clicked() {
                        commands.push(Command::ShowTab(Tab::Train));
                    }
                }
            });
        });
    }

    pub(super) fn status_bar_ui(&self, ui: &mut Ui, commands: &mut Vec<Command>) {
        ui.horizontal(|ui| {
            if !self.jobs.is_empty() {
                for (i, job) in self.jobs.iter().enumerate() {
                    let f = job.progress.fraction();
                    ui.label(&job.title);
                    let stage = job.progress.stage();
                    let mut text = format!("{stage} {:.0} %", f * 100.0);
                    if let Some(eta) = job.eta() {
                        let _ = write!(text, " · about {} s left", eta.as_secs() + 1);
                    }
                    #[allow(clippy::cast_possible_truncation)]
                    ui.add(egui::ProgressBar::new(f as f32).text(text).desired_width(300.0));
                    if ui.button("Cancel").clicked() {
                        commands.push(Command::CancelJob(i));
                    }
                    ui.separator();
                }
            } else if let Some(m) = self.messages.iter().rev().find(|m| m.severity == Severity::Info) {
                ui.label(&m.text);
            } else {
                ui.label("Ready");
            }
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                if let Some(ds) = &self.session.dataset {
                    ui.label(RichText::new(&ds.name).strong());
                }
            });
        });
    }

    pub(super) fn messages_ui(&self, ui: &mut Ui, commands: &mut Vec<Command>) {
        for (i, m) in self.messages.iter().enumerate().filter(|(_, m)| m.severity == Severity::Error) {
            egui::Frame::new()
                .fill(ui.visuals().error_fg_color.gamma_multiply(0.15))
                .inner_margin(egui::Margin::symmetric(10, 6))
                .show(ui, |ui| {
                    ui.horizontal(|ui| {
                        if ui.button("Close").on_hover_text("Close this message").clicked() {
                            commands.push(Command::Dismiss(i));
                        }
                        ui.colored_label(ui.visuals().error_fg_color, &m.text);
                    });
                });
        }
    }

    pub(super) fn drop_overlay(ctx: &egui::Context) {
        if ctx.input(|i| i.raw.hovered_files.is_empty()) {
            return;
        }
        let painter = ctx.layer_painter(egui::LayerId::new(egui::Order::Foreground, egui::Id::unique("drop_overlay")));
        let rect = ctx.content_rect();
        painter.rect_filled(rect, 0.0, egui::Color32::from_black_alpha(160));
        painter.text(
            rect.center(),
            egui::Align2::CENTER_CENTER,
            "Drop the file to open it",
            egui::FontId::proportional(28.0),
            egui::Color32::WHITE,
        );
    }

    /// What the window shows before any data is open: what Glassbox does and the ways to start.
    pub(super) fn welcome_ui(&self, ui: &mut Ui, commands: &mut Vec<Command>) {
        egui::CentralPanel::default_margins().show(ui, |ui| {
            ui.vertical_centered(|ui| {
                ui.add_space((ui.available_height() * 0.18).max(12.0));
                if self.is_loading() {
                    ui.spinner();
                    ui.label("Opening…");
                    return;
                }
                ui.heading(RichText::new("Glassbox").size(30.0).strong());
                ui.label(
                    RichText::new("See why a model decides what it decides, and turn it into something a PLC can run.")
                        .size(16.0),
                );
                ui.add_space(18.0);
                let big = |text: &str| egui::Button::new(RichText::new(text).size(16.0)).min_size([260.0, 34.0].into());
                if ui.add(big("Open plant data…")).on_hover_text("CSV, TSV, Parquet, Excel or ODS").clicked() {
                    commands.push(Command::OpenFileDialog);
                }
                if ui.add(big("Open a project…")).on_hover_text("A .glassbox file saved earlier").clicked() {
                    commands.push(Command::OpenProjectDialog);
                }
                if ui.add(big("Try the sample data (AI4I 2020)")).clicked() {
                    commands.push(Command::LoadSample);
                }
                ui.add_space(12.0);
                ui.label(
                    RichText::new(
                        "You can also drop a file on this window, or type its path in the Open path box above \
                         (for desktops without a file dialog).",
                    )
                    .weak(),
                );
                if let Some(r) = self.prefs.recent_files.first() {
                    ui.add_space(12.0);
                    if ui.link(format!("Reopen {}", r.path.display())).clicked() {
                        commands.push(Command::Load { path: r.path.clone(), options: r.options.clone() });
                    }
                }
                ui.add_space(12.0);
                ui.label(RichText::new("Works offline: Glassbox never opens a network connection.").small().weak());
            });
        });
    }
}
