//! Deciding what a column holds and turning its cells into values.
//!
//! Every reader (CSV, spreadsheet, Parquet) hands its cells here as [`Cell`]s, so the rules are
//! the same whatever the file: a column is numeric when its cells are numbers, with at most a
//! handful (1 %) of stray texts that are read as missing and reported by row; a timestamp when
//! every text reads as one date format; boolean when it only holds true/false; otherwise its
//! texts become category levels.

use std::collections::HashMap;

use super::timestamp;
use super::{Column, ColumnKind};

/// One cell as a reader sees it.
#[derive(Debug, Clone, Copy)]
pub enum Cell<'a> {
    /// Empty.
    Missing,
    /// A number the file stored as a number.
    Number(f64),
    /// Text, to be read.
    Text(&'a str),
    /// A true/false value the file stored as such.
    Bool(bool),
    /// A date-time the file stored as such, in seconds since 1970.
    Seconds(f64),
}

/// Texts that mean "no value" in plant exports.
const MISSING_TOKENS: &[&str] = &[
    "", "na", "n/a", "nan", "null", "none", "-", "--", "?", "#n/a", "#na", "#null!", "#div/0!", "#value!", "#ref!",
    "#num!", "#name?", "missing",
];

fn is_missing_token(s: &str) -> bool {
    s.len() <= 8 && MISSING_TOKENS.iter().any(|t| s.eq_ignore_ascii_case(t))
}

fn bool_token(s: &str) -> Option<bool> {
    if s.len() > 5 {
        return None;
    }
    match s.to_ascii_lowercase().as_str() {
        "true" | "yes" | "wahr" | "ja" => Some(true),
        "false" | "no" | "falsch" | "nein" => Some(false),
        _ => None,
    }
}

/// `s` without surrounding white space. Most cells have none, and `trim` looks for Unicode
/// spaces, so a cell whose first and last bytes are visible ASCII is returned as it is.
fn trim_cell(s: &str) -> &str {
    let b = s.as_bytes();
    let tidy = b.first().is_some_and(u8::is_ascii_graphic) && b.last().is_some_and(u8::is_ascii_graphic);
    if tidy { s } else { s.trim() }
}

/// Reads a number as plant files write it: `1.5`, `-2e-3`, and `1,5` when `decimal_comma`.
pub fn parse_number(s: &str, decimal_comma: bool) -> Option<f64> {
    let s = trim_cell(s);
    if decimal_comma && s.contains(',') {
        if s.contains('.') {
            return None;
        }
        return s.replacen(',', ".", 1).parse().ok();
    }
    // Rust also reads "inf" and "NaN"; those are handled by the caller as missing.
    s.parse().ok()
}

/// Everything a column builder needs besides the cells.
pub struct ColumnContext<'a> {
    /// Column name, exactly as in the file.
    pub name: &'a str,
    /// Whether `1,5` means one and a half.
    pub decimal_comma: bool,
    /// Turns a 0-based data row into the words a person finds it by ("line 18").
    pub row_label: &'a (dyn Fn(usize) -> String + Sync),
}

/// How many example cells a warning quotes.
const EXAMPLES: usize = 3;

/// What the first pass over a column's cells learns besides the values. A reader that goes
/// through the rows in blocks keeps one per block and merges them in row order.
#[derive(Debug, Clone)]
pub struct Tally {
    numbers: usize,
    bools: usize,
    seconds: usize,
    texts: usize,
    /// The first few texts that are not numbers, with their rows.
    text_examples: Vec<(usize, String)>,
    /// Rows whose number was infinite or NaN.
    non_finite: Vec<usize>,
    integral: bool,
}

impl Default for Tally {
    fn default() -> Self {
        Self {
            numbers: 0,
            bools: 0,
            seconds: 0,
            texts: 0,
            text_examples: Vec::new(),
            non_finite: Vec::new(),
            integral: true,
        }
    }
}

impl Tally {
    /// Counts the cell of (0-based data) row `row` and returns the value it stands for if the
    /// column turns out numeric (`NaN` for missing, text and non-finite cells).
    pub fn read(&mut self, row: usize, cell: Cell<'_>, decimal_comma: bool) -> f64 {
        let v = match cell {
            Cell::Missing => f64::NAN,
            Cell::Number(v) => {
                self.numbers += 1;
                v
            }
            Cell::Bool(b) => {
                self.bools += 1;
                f64::from(u8::from(b))
            }
            Cell::Seconds(s) => {
                self.seconds += 1;
                s
            }
            Cell::Text(raw) => {
                let s = trim_cell(raw);
                // No missing token starts with a digit, so most numbers skip the token check.
                let digit_first = s.as_bytes().first().is_some_and(u8::is_ascii_digit);
                if !digit_first && is_missing_token(s) {
                    f64::NAN
                } else if let Some(v) = parse_number(s, decimal_comma) {
                    self.numbers += 1;
                    v
                } else if let Some(b) = bool_token(s) {
                    self.bools += 1;
                    f64::from(u8::from(b))
                } else {
                    self.texts += 1;
                    if self.text_examples.len() < EXAMPLES {
                        self.text_examples.push((row, raw.to_owned()));
                    }
                    f64::NAN
                }
            }
        };
        let v = if v.is_infinite() || (v.is_nan() && matches!(cell, Cell::Number(_))) {
            self.non_finite.push(row);
            self.numbers = self.numbers.saturating_sub(1);
            f64::NAN
        } else {
            v
        };
        if self.integral && !v.is_nan() && (v.fract() != 0.0 || v.abs() > 9.0e15) {
            self.integral = false;
        }
        v
    }

    /// Whether these cells so far would make a text (or true/false) column rather than a
    /// numeric one with a few stray texts.
    pub fn looks_textual(&self) -> bool {
        let stray = self.texts * 100 <= self.numbers && self.numbers > 0 && self.bools == 0;
        (self.texts > 0 || self.bools > 0) && !stray
    }

    /// Adds the tally of the rows that follow this one's.
    pub fn merge(&mut self, later: Tally) {
        self.numbers += later.numbers;
        self.bools += later.bools;
        self.seconds += later.seconds;
        self.texts += later.texts;
        let room = EXAMPLES.saturating_sub(self.text_examples.len());
        self.text_examples.extend(later.text_examples.into_iter().take(room));
        self.non_finite.extend(later.non_finite);
        self.integral &= later.integral;
    }
}

/// Builds a typed column from cells; the second value lists what was read as missing and why.
///
/// `cells` is called up to three times and must yield the same cells each time.
pub fn build_column<'a, I>(ctx: &ColumnContext<'_>, cells: impl Fn() -> I) -> (Column, Vec<String>)
where
    I: Iterator<Item = Cell<'a>>,
{
    let mut tally = Tally::default();
    let values = cells().enumerate().map(|(row, cell)| tally.read(row, cell, ctx.decimal_comma)).collect();
    finish_column(ctx, tally, values, cells)
}

/// Decides the column's kind from the first pass (`tally`, and `values` as [`Tally::read`]
/// returned them, one per row) and builds it. Text columns go through `cells` once or twice
/// more, which must yield the same cells as the first pass.
pub fn finish_column<'a, I>(
    ctx: &ColumnContext<'_>,
    tally: Tally,
    values: Vec<f64>,
    cells: impl Fn() -> I,
) -> (Column, Vec<String>)
where
    I: Iterator<Item = Cell<'a>>,
{
    let Tally { numbers, bools, seconds, texts, text_examples, non_finite, integral } = tally;
    let mut warnings = Vec::new();
    if !non_finite.is_empty() {
        warnings.push(format!(
            "column '{}': {} infinite or NaN value{} read as missing ({})",
            ctx.name,
            non_finite.len(),
            plural(non_finite.len()),
            non_finite.iter().take(EXAMPLES).map(|&r| (ctx.row_label)(r)).collect::<Vec<_>>().join(", ")
        ));
    }

    let text_is_stray = texts * 100 <= numbers && numbers > 0 && bools == 0;
    if seconds > 0 && numbers + bools + texts == 0 {
        return (Column::new(ctx.name, ColumnKind::Timestamp, values, Vec::new()), warnings);
    }
    if texts == 0 && bools == 0 || text_is_stray {
        if texts > 0 {
            warnings.push(format!(
                "column '{}' holds numbers, but {} cell{} {} not: {}; read as missing",
                ctx.name,
                texts,
                plural(texts),
                if texts == 1 { "is" } else { "are" },
                examples(text_examples.iter().map(|(r, t)| (*r, t.as_str())), ctx.row_label)
            ));
        }
        let kind = if integral && numbers > 0 { ColumnKind::Integer } else { ColumnKind::Float };
        return (Column::new(ctx.name, kind, values, Vec::new()), warnings);
    }
    if bools > 0 && numbers == 0 && texts == 0 {
        return (Column::new(ctx.name, ColumnKind::Boolean, values, Vec::new()), warnings);
    }

    // Dates written as text.
    if numbers == 0 && bools == 0 {
        let sample = cells()
            .filter_map(|c| match c {
                Cell::Text(s) if !is_missing_token(s.trim()) => Some(s),
                _ => None,
            })
            .take(1000)
            .collect::<Vec<_>>();
        if let Some(format) = timestamp::detect(&sample) {
            let mut bad: Vec<(usize, &'a str)> = Vec::new();
            let mut bad_count = 0usize;
            let values: Vec<f64> = cells()
                .enumerate()
                .map(|(row, c)| match c {
                    Cell::Text(s) if !is_missing_token(s.trim()) => format.parse(s).unwrap_or_else(|| {
                        bad_count += 1;
                        if bad.len() < EXAMPLES {
                            bad.push((row, s));
                        }
                        f64::NAN
                    }),
                    Cell::Seconds(s) => s,
                    _ => f64::NAN,
                })
                .collect();
            if bad_count > 0 {
                warnings.push(format!(
                    "column '{}' holds dates ({}), but {} cell{} do not read as one: {}; read as missing",
                    ctx.name,
                    format.pattern(),
                    bad_count,
                    plural(bad_count),
                    examples(bad.iter().copied(), ctx.row_label)
                ));
            }
            return (Column::new(ctx.name, ColumnKind::Timestamp, values, Vec::new()), warnings);
        }
    }

    // Categories: every non-missing cell is a level, numbers included as written.
    let (values, levels) = categorise(cells(), ctx.decimal_comma);
    let distinct = levels.len();
    let count = values.iter().filter(|v| !v.is_nan()).count();
    let kind = if distinct <= 50 || (distinct * 20 <= count && distinct <= 1000) {
        ColumnKind::Categorical
    } else {
        ColumnKind::Text
    };
    (Column::new(ctx.name, kind, values, levels), warnings)
}

/// Codes for every cell and the sorted levels they index.
fn categorise<'a>(cells: impl Iterator<Item = Cell<'a>>, decimal_comma: bool) -> (Vec<f64>, Vec<String>) {
    let mut index: HashMap<String, u32> = HashMap::new();
    let mut raw_codes: Vec<Option<u32>> = Vec::new();
    for cell in cells {
        let text: Option<std::borrow::Cow<'a, str>> = match cell {
            Cell::Text(s) => {
                let t = s.trim();
                (!is_missing_token(t)).then_some(std::borrow::Cow::Borrowed(t))
            }
            Cell::Number(v) if v.is_finite() => Some(std::borrow::Cow::Owned(if decimal_comma {
                format!("{v}").replace('.', ",")
            } else {
                format!("{v}")
            })),
            Cell::Bool(b) => Some(std::borrow::Cow::Borrowed(if b { "true" } else { "false" })),
            Cell::Seconds(s) => Some(std::borrow::Cow::Owned(timestamp::format_seconds(s))),
            Cell::Missing | Cell::Number(_) => None,
        };
        let code = text.map(|t| {
            if let Some(&code) = index.get(t.as_ref()) {
                return code;
            }
            let next = u32::try_from(index.len()).unwrap_or(u32::MAX);
            index.insert(t.into_owned(), next);
            next
        });
        raw_codes.push(code);
    }
    let mut levels: Vec<(String, u32)> = index.into_iter().collect();
    levels.sort_by(|a, b| natural_cmp(&a.0, &b.0));
    let mut remap = vec![0u32; levels.len()];
    for (new, (_, old)) in levels.iter().enumerate() {
        if let Some(slot) = remap.get_mut(*old as usize) {
            *slot = u32::try_from(new).unwrap_or(u32::MAX);
        }
    }
    let values = raw_codes
        .into_iter()
        .map(|c| c.and_then(|c| remap.get(c as usize)).map_or(f64::NAN, |&c| f64::from(c)))
        .collect();
    (values, levels.into_iter().map(|(s, _)| s).collect())
}

/// Orders texts so embedded numbers compare by value: `M2` < `M10`.
pub fn natural_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    let (mut ai, mut bi) = (a.chars().peekable(), b.chars().peekable());
    loop {
        match (ai.peek().copied(), bi.peek().copied()) {
            (None, None) => return a.cmp(b),
            (None, Some(_)) => return std::cmp::Ordering::Less,
            (Some(_), None) => return std::cmp::Ordering::Greater,
            (Some(x), Some(y)) if x.is_ascii_digit() && y.is_ascii_digit() => {
                let mut na = String::new();
                while let Some(c) = ai.peek().copied().filter(char::is_ascii_digit) {
                    na.push(c);
                    ai.next();
                }
                let mut nb = String::new();
                while let Some(c) = bi.peek().copied().filter(char::is_ascii_digit) {
                    nb.push(c);
                    bi.next();
                }
                let (ta, tb) = (na.trim_start_matches('0'), nb.trim_start_matches('0'));
                let ord = ta.len().cmp(&tb.len()).then_with(|| ta.cmp(tb));
                if ord != std::cmp::Ordering::Equal {
                    return ord;
                }
            }
            (Some(x), Some(y)) => {
                if x != y {
                    return x.cmp(&y);
                }
                ai.next();
                bi.next();
            }
        }
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

fn examples<'a>(
    cells: impl IntoIterator<Item = (usize, &'a str)>,
    row_label: &(dyn Fn(usize) -> String + Sync),
) -> String {
    cells
        .into_iter()
        .map(|(row, text)| {
            let shown: String = text.chars().take(40).collect();
            format!("{} '{}'", row_label(row), shown)
        })
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn column(cells: &[&str]) -> (Column, Vec<String>) {
        let label = |r: usize| format!("line {}", r + 2);
        let ctx = ColumnContext { name: "x", decimal_comma: false, row_label: &label };
        build_column(&ctx, || cells.iter().map(|s| Cell::Text(s)))
    }

    #[test]
    fn integers_floats_and_missing() {
        let (c, w) = column(&["1", "2", "", "NA", "4"]);
        assert_eq!(c.kind, ColumnKind::Integer);
        assert_eq!(c.stats.missing, 2);
        assert!(w.is_empty());
        let (c, _) = column(&["1.5", "2"]);
        assert_eq!(c.kind, ColumnKind::Float);
    }

    #[test]
    fn a_stray_text_cell_becomes_missing_and_is_reported_by_line() {
        let mut cells: Vec<String> = (0..200).map(|i| format!("{i}.5")).collect();
        cells[17] = "abc".into();
        let refs: Vec<&str> = cells.iter().map(String::as_str).collect();
        let (c, w) = column(&refs);
        assert_eq!(c.kind, ColumnKind::Float);
        assert!(c.values[17].is_nan());
        assert_eq!(w.len(), 1);
        assert!(w[0].contains("line 19 'abc'"), "{}", w[0]);
    }

    #[test]
    fn texts_become_sorted_levels() {
        let (c, _) = column(&["M", "L", "H", "L"]);
        assert_eq!(c.kind, ColumnKind::Categorical);
        assert_eq!(c.levels, ["H", "L", "M"]);
        assert_eq!(c.values, [2.0, 1.0, 0.0, 1.0]);
    }

    #[test]
    fn decimal_comma() {
        assert_eq!(parse_number("1,5", true), Some(1.5));
        assert_eq!(parse_number("1,5", false), None);
        assert_eq!(parse_number("-2e-3", true), Some(-0.002));
    }

    #[test]
    fn infinity_is_missing_with_a_warning() {
        let (c, w) = column(&["1", "inf", "3"]);
        assert_eq!(c.stats.missing, 1);
        assert!(w[0].contains("line 3"), "{}", w[0]);
    }

    #[test]
    fn natural_order() {
        let mut v = vec!["M10", "M2", "L"];
        v.sort_by(|a, b| natural_cmp(a, b));
        assert_eq!(v, ["L", "M2", "M10"]);
    }
}
