//! The import dialog: the detected way to read a file, every part overridable, with a live
//! preview of the first rows as Glassbox will read them.

use std::path::PathBuf;

use egui::{RichText, Ui};
use egui_extras::{Column as TableColumn, TableBuilder};

use crate::app::Command;
use crate::app::jobs::{Job, JobOutcome};
use crate::data::{CsvOptions, Dataset, FileFormat, LoadOptions, TextEncoding};

/// Rows the preview shows.
const PREVIEW_ROWS: usize = 50;

/// State of an open import dialog.
pub struct ImportDialog {
    /// The file being imported.
    pub path: PathBuf,
    format: FileFormat,
    options: LoadOptions,
    sheets: Vec<String>,
    preview_job: Option<Job<Dataset>>,
    preview: Option<Result<Dataset, String>>,
    /// The options the current preview was made with.
    previewed: Option<LoadOptions>,
}

impl ImportDialog {
    /// Opens the dialog on `path`, detecting how to read it.
    pub fn new(path: PathBuf) -> Self {
        let head = read_head(&path);
        let format = crate::data::detect_format(&path, head.get(..8).unwrap_or(&head));
        let csv = (format == FileFormat::Csv).then(|| crate::data::sniff_csv(&head));
        let sheets =
            if format == FileFormat::Excel { crate::data::sheet_names(&path).unwrap_or_default() } else { Vec::new() };
        let options = LoadOptions { format: Some(format), csv, sheet: sheets.first().cloned(), row_limit: None };
        Self { path, format, options, sheets, preview_job: None, preview: None, previewed: None }
    }

    /// The options the dialog would load with now.
    pub fn options(&self) -> &LoadOptions {
        &self.options
    }

    /// True once a preview for the current options is shown.
    pub fn preview_ready(&self) -> bool {
        self.preview_job.is_none() && self.preview.is_some() && self.previewed.as_ref() == Some(&self.options)
    }

    /// Draws the dialog; `Load` and `Cancel` become commands.
    pub fn ui(&mut self, ctx: &egui::Context, commands: &mut Vec<Command>) {
        self.update_preview(ctx);
        let title = format!("Import {}", self.path.file_name().map(|n| n.to_string_lossy()).unwrap_or_default());
        let mut open = true;
        let screen = ctx.content_rect();
        egui::Window::new(title)
            .id(egui::Id::unique("import_dialog"))
            .open(&mut open)
            .collapsible(false)
            .resizable(true)
            .default_size([screen.width() * 0.8, screen.height() * 0.75])
            .max_size([screen.width() - 40.0, screen.height() - 60.0])
            .anchor(egui::Align2::CENTER_CENTER, [0.0, 0.0])
            .show(ctx, |ui| self.contents_ui(ui, commands));
        if !open {
            commands.push(Command::CloseImport);
        }
    }

    fn contents_ui(&mut self, ui: &mut Ui, commands: &mut Vec<Command>) {
        let Self { path, format, options, sheets, preview_job, preview, previewed: _ } = self;
        ui.label(RichText::new(path.display().to_string()).weak());
        ui.horizontal(|ui| {
            ui.label("Format:");
            ui.label(
                RichText::new(match format {
                    FileFormat::Csv => "delimited text (CSV)",
                    FileFormat::Parquet => "Parquet",
                    FileFormat::Excel => "spreadsheet",
                })
                .strong(),
            );
        });
        if let Some(csv) = options.csv.as_mut() {
            csv_options_ui(ui, csv);
        }
        if *format == FileFormat::Excel && !sheets.is_empty() {
            ui.horizontal(|ui| {
                ui.label("Sheet:");
                let current = options.sheet.clone().unwrap_or_default();
                egui::ComboBox::from_id_salt("sheet").selected_text(current).show_ui(ui, |ui| {
                    for s in sheets.iter() {
                        ui.selectable_value(&mut options.sheet, Some(s.clone()), s);
                    }
                });
            });
        }
        ui.separator();
        let can_load = matches!(preview, Some(Ok(_))) && preview_job.is_none();
        ui.horizontal(|ui| {
            let load = ui.add_enabled(can_load, egui::Button::new(RichText::new("Load").strong()));
            if load.clicked() || (can_load && ui.input(|i| i.key_pressed(egui::Key::Enter))) {
                commands.push(Command::Load { path: path.clone(), options: options.clone() });
            }
            if ui.button("Cancel").clicked() {
                commands.push(Command::CloseImport);
            }
            if preview_job.is_some() {
                ui.spinner();
                ui.label("reading preview…");
            }
        });
        ui.separator();
        match preview {
            Some(Ok(ds)) => preview_ui(ui, ds),
            Some(Err(message)) => {
                ui.colored_label(ui.visuals().error_fg_color, message.as_str());
            }
            None => {}
        }
    }

    /// Starts a new preview when the options changed, and collects a finished one.
    fn update_preview(&mut self, ctx: &egui::Context) {
        if let Some(job) = &self.preview_job
            && let Some(outcome) = job.poll()
        {
            self.preview = Some(match outcome {
                JobOutcome::Done(ds) => Ok(ds),
                JobOutcome::Failed(m) => Err(m),
                JobOutcome::Cancelled => Err("preview cancelled".into()),
            });
            self.preview_job = None;
        }
        if self.preview_job.is_none() && self.previewed.as_ref() != Some(&self.options) {
            let mut opts = self.options.clone();
            self.previewed = Some(opts.clone());
            opts.row_limit = Some(PREVIEW_ROWS);
            let path = self.path.clone();
            self.preview_job = Some(Job::spawn("preview", ctx, move |p| crate::data::load_file(&path, &opts, p)));
        }
        if self.preview_job.is_some() {
            ctx.request_repaint_after(std::time::Duration::from_millis(50));
        }
    }
}

fn read_head(path: &std::path::Path) -> Vec<u8> {
    use std::io::Read as _;
    let mut head = vec![0u8; 256 * 1024];
    let n = std::fs::File::open(path).and_then(|mut f| f.read(&mut head)).unwrap_or(0);
    head.truncate(n);
    head
}

fn csv_options_ui(ui: &mut Ui, csv: &mut CsvOptions) {
    egui::Grid::new("csv_options").num_columns(2).spacing([12.0, 6.0]).show(ui, |ui| {
        ui.label("Separator:");
        ui.horizontal(|ui| {
            for (d, name) in
                [(b',', "comma ,"), (b';', "semicolon ;"), (b'\t', "tab"), (b'|', "pipe |"), (b' ', "space")]
            {
                ui.selectable_value(&mut csv.delimiter, d, name);
            }
        });
        ui.end_row();
        ui.label("Decimal mark:");
        ui.horizontal(|ui| {
            ui.selectable_value(&mut csv.decimal_comma, false, "point  1.5");
            ui.selectable_value(&mut csv.decimal_comma, true, "comma  1,5");
        });
        ui.end_row();
        ui.label("Quote:");
        ui.horizontal(|ui| {
            ui.selectable_value(&mut csv.quote, Some(b'"'), "double \"");
            ui.selectable_value(&mut csv.quote, Some(b'\''), "single '");
            ui.selectable_value(&mut csv.quote, None, "none");
        });
        ui.end_row();
        ui.label("Encoding:");
        egui::ComboBox::from_id_salt("encoding").selected_text(csv.encoding.label()).show_ui(ui, |ui| {
            for e in TextEncoding::ALL {
                ui.selectable_value(&mut csv.encoding, e, e.label());
            }
        });
        ui.end_row();
        ui.label("Header:");
        ui.checkbox(&mut csv.has_header, "first row holds the column names");
        ui.end_row();
        ui.label("Skip lines:");
        ui.add(egui::DragValue::new(&mut csv.skip_lines).range(0..=1000).suffix(" before the header"));
        ui.end_row();
    });
}

fn preview_ui(ui: &mut Ui, ds: &Dataset) {
    ui.label(RichText::new(format!("Preview: first {} rows, {} columns", ds.n_rows(), ds.n_columns())).strong());
    for w in ds.warnings.iter().take(5) {
        ui.colored_label(ui.visuals().warn_fg_color, w);
    }
    let row_height = ui.text_style_height(&egui::TextStyle::Body) + 4.0;
    egui::ScrollArea::horizontal().id_salt("preview_h").show(ui, |ui| {
        let n = ds.n_columns().min(60);
        let max_height = ui.available_height() - 8.0;
        TableBuilder::new(ui)
            .id_salt("preview_table")
            .striped(true)
            .max_scroll_height(max_height)
            .columns(TableColumn::initial(110.0).at_least(50.0).clip(true).resizable(true), n)
            .header(row_height * 2.2, |mut header| {
                for c in ds.columns.iter().take(n) {
                    header.col(|ui| {
                        ui.vertical(|ui| {
                            ui.label(RichText::new(&c.name).strong());
                            ui.label(RichText::new(c.kind.label()).small().weak());
                        });
                    });
                }
            })
            .body(|body| {
                body.rows(row_height, ds.n_rows(), |mut row| {
                    let i = row.index();
                    for c in ds.columns.iter().take(n) {
                        row.col(|ui| {
                            ui.label(c.display_value(i));
                        });
                    }
                });
            });
    });
}
