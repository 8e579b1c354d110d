//! The Data panel: the column list with types and roles, the table (virtualised, so a million
//! rows scroll smoothly), and the selected column's statistics and histogram.

use std::fmt::Write as _;

use egui::{Align, Color32, Layout, RichText, Ui};
use egui_extras::{Column as TableColumn, TableBuilder};
use egui_plot::{Bar, BarChart, Plot};

use super::PanelContext;
use crate::app::command::Command;
use crate::data::{Column, ColumnKind, Dataset, Histogram, Role};

/// Columns the table shows at once; wider datasets are paged so a frame stays cheap.
const COLUMNS_PER_PAGE: usize = 40;

/// A column's histogram and level counts: (column, histogram, counts).
type ColumnSummary = (usize, Histogram, Vec<(usize, usize)>);

/// What the Data panel remembers between frames.
#[derive(Debug, Default)]
pub struct DataPanel {
    /// The column whose details are shown.
    pub selected: Option<usize>,
    /// First column of the visible page of the table.
    pub first_column: usize,
    /// Cached histogram and level counts of the selected column: (column, histogram, counts).
    /// Both walk every row, so they are computed once per selection, not per frame.
    histogram: Option<ColumnSummary>,
    /// Rows to show instead of all, with what they are (a rule's rows, disagreements).
    pub highlight: Option<(String, Vec<usize>)>,
}

impl DataPanel {
    /// Draws the panel for the session's dataset.
    pub fn ui(&mut self, ui: &mut Ui, cx: &mut PanelContext<'_>) {
        let Some(ds) = cx.session.dataset.as_deref() else { return };
        let commands = &mut *cx.commands;
        let Self { selected, first_column, histogram, highlight } = self;
        if selected.is_some_and(|s| s >= ds.n_columns()) {
            *selected = None;
        }
        if *first_column >= ds.n_columns() {
            *first_column = 0;
        }

        egui::Panel::left("data_columns").resizable(true).default_size(330.0).min_size(220.0).show(ui, |ui| {
            columns_ui(ui, ds, selected, commands);
        });
        egui::Panel::right("data_details").resizable(true).default_size(340.0).min_size(260.0).show(ui, |ui| {
            match selected.and_then(|s| ds.columns.get(s).map(|c| (s, c))) {
                Some((s, c)) => {
                    if histogram.as_ref().is_none_or(|(i, ..)| *i != s) {
                        *histogram = Some((s, c.histogram(30, 30), level_counts(c)));
                    }
                    if let Some((_, h, counts)) = histogram.as_ref() {
                        details_ui(ui, c, h, counts);
                    }
                }
                None => {
                    ui.add_space(8.0);
                    ui.label(RichText::new("Select a column to see its statistics.").weak());
                }
            }
        });
        let mut show_all = false;
        egui::CentralPanel::default_margins().show(ui, |ui| {
            if let Some((label, rows)) = highlight.as_ref() {
                ui.horizontal(|ui| {
                    ui.colored_label(ui.visuals().warn_fg_color, format!("Showing {} {label}", rows.len()));
                    if ui.button("Show all rows").clicked() {
                        show_all = true;
                    }
                });
            }
            let rows = highlight.as_ref().map(|(_, r)| r.as_slice());
            table_ui(ui, ds, first_column, selected, rows);
        });
        if show_all {
            *highlight = None;
        }
    }
}

/// The list of columns: name, type, role (editable), missing count.
fn columns_ui(ui: &mut Ui, ds: &Dataset, selected: &mut Option<usize>, commands: &mut Vec<Command>) {
    ui.add_space(4.0);
    ui.heading("Columns");
    ui.label(RichText::new(format!("{} rows × {} columns", ds.n_rows(), ds.n_columns())).weak());
    if let Some(t) = ds.target() {
        ui.label(format!("Target: {}", t.name));
    } else {
        ui.colored_label(ui.visuals().warn_fg_color, "No target chosen: set one column's role to target.");
    }
    ui.separator();
    egui::ScrollArea::vertical().id_salt("columns_scroll").auto_shrink([false, false]).show(ui, |ui| {
        egui::Grid::new("columns_grid").striped(true).num_columns(4).spacing([8.0, 4.0]).show(ui, |ui| {
            ui.label(RichText::new("Column").strong());
            ui.label(RichText::new("Type").strong());
            ui.label(RichText::new("Role").strong());
            ui.label(RichText::new("Missing").strong());
            ui.end_row();
            for (i, c) in ds.columns.iter().enumerate() {
                let name = ui.selectable_label(*selected == Some(i), &c.name);
                let name = match &c.note {
                    Some(note) => name.on_hover_text(format!("{}: {note}", c.role.label())),
                    None => name,
                };
                if name.clicked() {
                    *selected = Some(i);
                }
                ui.label(RichText::new(c.kind.label()).color(kind_color(ui, c.kind)));
                let mut role = c.role;
                egui::ComboBox::from_id_salt(("role", i)).selected_text(role.label()).width(90.0).show_ui(ui, |ui| {
                    for r in Role::ALL {
                        ui.selectable_value(&mut role, r, r.label());
                    }
                });
                if role != c.role {
                    commands.push(Command::set_role(i, role));
                }
                let missing = c.stats.missing;
                if missing > 0 {
                    ui.colored_label(ui.visuals().warn_fg_color, missing.to_string());
                } else {
                    ui.label("0");
                }
                ui.end_row();
            }
        });
        if !ds.warnings.is_empty() {
            ui.separator();
            ui.label(RichText::new(format!("{} note(s) from loading", ds.warnings.len())).strong());
            for w in &ds.warnings {
                ui.label(RichText::new(w).color(ui.visuals().warn_fg_color).small());
            }
        }
    });
}

fn kind_color(ui: &Ui, kind: ColumnKind) -> Color32 {
    let dark = ui.visuals().dark_mode;
    match (kind, dark) {
        (ColumnKind::Integer | ColumnKind::Float, true) => Color32::from_rgb(130, 180, 255),
        (ColumnKind::Integer | ColumnKind::Float, false) => Color32::from_rgb(20, 80, 170),
        (ColumnKind::Categorical | ColumnKind::Boolean, true) => Color32::from_rgb(230, 170, 90),
        (ColumnKind::Categorical | ColumnKind::Boolean, false) => Color32::from_rgb(150, 80, 0),
        (ColumnKind::Timestamp, true) => Color32::from_rgb(150, 210, 150),
        (ColumnKind::Timestamp, false) => Color32::from_rgb(30, 110, 30),
        (ColumnKind::Text, _) => ui.visuals().weak_text_color(),
    }
}

/// Statistics and histogram of one column.
fn details_ui(ui: &mut Ui, c: &Column, h: &Histogram, counts: &[(usize, usize)]) {
    ui.add_space(4.0);
    ui.heading(&c.name);
    let mut subtitle = c.kind.label().to_owned();
    if let Some(u) = &c.unit {
        let _ = write!(subtitle, " · unit {u}");
    }
    let _ = write!(subtitle, " · role {}", c.role.label());
    ui.label(RichText::new(subtitle).weak());
    if let Some(note) = &c.note {
        ui.label(RichText::new(note).small().italics());
    }
    ui.separator();
    let s = &c.stats;
    let fmt = |v: Option<f64>| v.map_or_else(|| "–".to_owned(), |v| c.format_value(v));
    let fmt_num = |v: Option<f64>| v.map_or_else(|| "–".to_owned(), format_stat);
    egui::Grid::new("stats_grid").num_columns(2).spacing([16.0, 4.0]).show(ui, |ui| {
        let row = |ui: &mut Ui, k: &str, v: String| {
            ui.label(k);
            ui.with_layout(Layout::right_to_left(Align::Center), |ui| ui.monospace(v));
            ui.end_row();
        };
        row(ui, "Values", s.count.to_string());
        row(ui, "Missing", s.missing.to_string());
        row(ui, "Distinct", s.distinct.to_string());
        if !c.kind.has_levels() {
            let (min, max) = if c.kind == ColumnKind::Timestamp {
                (fmt(s.min), fmt(s.max))
            } else {
                (fmt_num(s.min), fmt_num(s.max))
            };
            row(ui, "Min", min);
            row(ui, "Max", max);
            if c.kind != ColumnKind::Timestamp {
                row(ui, "Mean", fmt_num(s.mean));
                row(ui, "Std", fmt_num(s.std));
            }
        }
    });
    ui.separator();
    histogram_ui(ui, c, h);
    if c.kind.has_levels() {
        ui.separator();
        ui.label(RichText::new(format!("{} levels", c.levels.len())).strong());
        egui::ScrollArea::vertical().id_salt("levels_scroll").max_height(160.0).show(ui, |ui| {
            for &(level, count) in counts.iter().take(200) {
                ui.horizontal(|ui| {
                    ui.label(c.levels.get(level).map_or("", String::as_str));
                    ui.with_layout(Layout::right_to_left(Align::Center), |ui| ui.monospace(count.to_string()));
                });
            }
        });
    }
}

/// Level indices with their counts, most frequent first (ties by name).
fn level_counts(c: &Column) -> Vec<(usize, usize)> {
    let mut counts = vec![0usize; c.levels.len()];
    for &v in &c.values {
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // codes are small non-negative integers
        if v >= 0.0
            && let Some(n) = counts.get_mut(v as usize)
        {
            *n += 1;
        }
    }
    let mut out: Vec<(usize, usize)> = counts.into_iter().enumerate().collect();
    out.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| c.levels.get(a.0).cmp(&c.levels.get(b.0))));
    out
}

/// Four significant digits, no exponent for everyday magnitudes.
pub fn format_stat(v: f64) -> String {
    if v == 0.0 {
        return "0".into();
    }
    let a = v.abs();
    if !(1e-3..1e7).contains(&a) {
        return format!("{v:.3e}");
    }
    #[allow(clippy::cast_possible_truncation)] // log10 of a value in [1e-3, 1e7)
    let digits = (3 - a.log10().floor() as i32).clamp(0, 6);
    #[allow(clippy::cast_sign_loss)]
    let s = format!("{v:.*}", digits as usize);
    if s.contains('.') { s.trim_end_matches('0').trim_end_matches('.').to_owned() } else { s }
}

fn histogram_ui(ui: &mut Ui, c: &Column, h: &Histogram) {
    let color = if ui.visuals().dark_mode { Color32::from_rgb(100, 160, 240) } else { Color32::from_rgb(40, 100, 190) };
    let bars: Vec<Bar> = if h.labels.is_empty() {
        h.counts
            .iter()
            .enumerate()
            .filter_map(|(i, &n)| {
                let (lo, hi) = (*h.edges.get(i)?, *h.edges.get(i + 1)?);
                #[allow(clippy::cast_precision_loss)]
                Some(Bar::new(f64::midpoint(lo, hi), n as f64).width(hi - lo).name(format!(
                    "{} – {}",
                    c.format_value(lo),
                    c.format_value(hi)
                )))
            })
            .collect()
    } else {
        h.counts
            .iter()
            .zip(&h.labels)
            .enumerate()
            .map(|(i, (&n, label))| {
                #[allow(clippy::cast_precision_loss)]
                Bar::new(i as f64, n as f64).width(0.8).name(label.clone())
            })
            .collect()
    };
    let labels = h.labels.clone();
    let title = if labels.is_empty() { "Histogram" } else { "Counts per level" };
    ui.label(RichText::new(title).strong());
    let mut plot = Plot::new(("histogram", &c.name))
        .height(180.0)
        .allow_scroll(false)
        .allow_zoom(false)
        .allow_drag(false)
        .show_grid([false, true])
        .y_axis_label("rows");
    if !labels.is_empty() {
        plot = plot.x_axis_formatter(crate::app::widgets::index_axis(labels));
    }
    plot.show(ui, |p| p.bar_chart(BarChart::new(title, bars).color(color)));
}

/// The virtualised table of values.
fn table_ui(
    ui: &mut Ui,
    ds: &Dataset,
    first_column: &mut usize,
    selected: &mut Option<usize>,
    only_rows: Option<&[usize]>,
) {
    let n_cols = ds.n_columns();
    ui.horizontal(|ui| {
        ui.heading("Data table");
        ui.label(RichText::new(format!("{} rows", ds.n_rows())).weak());
        if n_cols > COLUMNS_PER_PAGE {
            ui.separator();
            if ui.add_enabled(*first_column > 0, egui::Button::new("< Previous columns")).clicked() {
                *first_column = first_column.saturating_sub(COLUMNS_PER_PAGE);
            }
            ui.label(format!("{}–{} of {n_cols}", *first_column + 1, (*first_column + COLUMNS_PER_PAGE).min(n_cols)));
            if ui.add_enabled(*first_column + COLUMNS_PER_PAGE < n_cols, egui::Button::new("Next columns >")).clicked()
            {
                *first_column += COLUMNS_PER_PAGE;
            }
        }
    });
    let visible: Vec<_> = ds.columns.iter().enumerate().skip(*first_column).take(COLUMNS_PER_PAGE).collect();
    let row_height = ui.text_style_height(&egui::TextStyle::Body) + 4.0;
    let number_width = ui.fonts_mut(|f| f.glyph_width(&egui::TextStyle::Monospace.resolve(ui.style()), '0'))
        * (ds.n_rows().max(1).ilog10() as f32 + 2.0);
    egui::ScrollArea::horizontal().id_salt(("table_hscroll", &ds.name, ds.n_rows())).show(ui, |ui| {
        // Keyed by the dataset: another file starts at its first row with fresh column widths,
        // the same file reopens where it was left.
        let mut table = TableBuilder::new(ui)
            .id_salt(("data_table", &ds.name, ds.n_rows(), ds.n_columns()))
            .striped(true)
            .resizable(true)
            .cell_layout(Layout::right_to_left(Align::Center))
            .column(TableColumn::exact(number_width.max(32.0)));
        for &(_, c) in &visible {
            let w = (c.name.chars().count() as f32 * 7.5).clamp(70.0, 220.0);
            table = table.column(TableColumn::initial(w).at_least(50.0).clip(true));
        }
        table
            .header(row_height + 6.0, |mut header| {
                header.col(|ui| {
                    ui.label(RichText::new("row").weak());
                });
                for &(j, c) in &visible {
                    header.col(|ui| {
                        let text = RichText::new(&c.name).strong();
                        let text = if c.role == Role::Target { text.underline() } else { text };
                        let r = ui.selectable_label(*selected == Some(j), text).on_hover_text(format!(
                            "{} · {}{}",
                            c.kind.label(),
                            c.role.label(),
                            c.unit.as_ref().map(|u| format!(" · {u}")).unwrap_or_default()
                        ));
                        if r.clicked() {
                            *selected = Some(j);
                        }
                    });
                }
            })
            .body(|body| {
                let n_shown = only_rows.map_or(ds.n_rows(), <[usize]>::len);
                body.rows(row_height, n_shown, |mut row| {
                    let i = only_rows.map_or(row.index(), |r| r.get(row.index()).copied().unwrap_or(0));
                    row.col(|ui| {
                        ui.label(RichText::new(i.to_string()).weak().monospace());
                    });
                    for &(_, c) in &visible {
                        row.col(|ui| {
                            let v = c.values.get(i).copied().unwrap_or(f64::NAN);
                            if v.is_nan() {
                                ui.label(RichText::new("–").weak());
                            } else if c.kind.has_levels() || c.kind == ColumnKind::Timestamp {
                                ui.with_layout(Layout::left_to_right(Align::Center), |ui| {
                                    ui.label(c.format_value(v));
                                });
                            } else {
                                ui.monospace(c.format_value(v));
                            }
                        });
                    }
                });
            });
    });
}

#[cfg(test)]
mod tests {
    use super::format_stat;

    #[test]
    fn stats_read_well() {
        assert_eq!(format_stat(39.986_91), "39.99");
        assert_eq!(format_stat(1_538.776_1), "1539");
        assert_eq!(format_stat(0.033_9), "0.0339");
        assert_eq!(format_stat(12_987_692.0), "1.299e7");
        assert_eq!(format_stat(300.0), "300");
    }
}
