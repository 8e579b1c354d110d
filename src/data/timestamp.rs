//! Date and time columns: recognising the format a column uses and reading it as seconds.
//!
//! Plant exports write dates in many ways (`2018-01-13 00:15`, `13/01/2018 00:15`,
//! `13.01.2018`). A column is a timestamp when every sampled value reads with one format; day
//! before month is preferred when both read, as European plant systems write it.

use chrono::{NaiveDate, NaiveDateTime};

/// Formats tried in order. `true` marks a format that has a time part.
const FORMATS: &[(&str, bool)] = &[
    ("%Y-%m-%d %H:%M:%S%.f", true),
    ("%Y-%m-%dT%H:%M:%S%.f", true),
    ("%Y-%m-%d %H:%M", true),
    ("%Y-%m-%dT%H:%M", true),
    ("%Y-%m-%d", false),
    ("%d/%m/%Y %H:%M:%S", true),
    ("%d/%m/%Y %H:%M", true),
    ("%d/%m/%Y", false),
    ("%m/%d/%Y %H:%M:%S", true),
    ("%m/%d/%Y %H:%M", true),
    ("%m/%d/%Y", false),
    ("%d.%m.%Y %H:%M:%S", true),
    ("%d.%m.%Y %H:%M", true),
    ("%d.%m.%Y", false),
    ("%Y/%m/%d %H:%M:%S", true),
    ("%Y/%m/%d %H:%M", true),
    ("%Y/%m/%d", false),
];

/// A date-time format found for a column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimestampFormat {
    pattern: &'static str,
    has_time: bool,
}

impl TimestampFormat {
    /// Seconds since 1970-01-01 00:00 of `text` under this format.
    pub fn parse(self, text: &str) -> Option<f64> {
        let text = text.trim();
        let dt = if self.has_time {
            NaiveDateTime::parse_from_str(text, self.pattern).ok()?
        } else {
            NaiveDate::parse_from_str(text, self.pattern).ok()?.and_hms_opt(0, 0, 0)?
        };
        let utc = dt.and_utc();
        #[allow(clippy::cast_precision_loss)] // seconds since 1970 fit in f64 exactly
        Some(utc.timestamp() as f64 + f64::from(utc.timestamp_subsec_nanos()) * 1e-9)
    }

    /// The chrono pattern, for messages.
    pub fn pattern(self) -> &'static str {
        self.pattern
    }
}

/// The first format under which every sample reads, if any. Samples must look like dates (at
/// least one digit and one separator), so plain numbers are never taken for dates.
pub fn detect(samples: &[&str]) -> Option<TimestampFormat> {
    let mut any = false;
    for s in samples {
        any = true;
        let s = s.trim();
        let has_sep = s.contains(['-', '/', '.']);
        if !has_sep || !s.bytes().any(|b| b.is_ascii_digit()) || s.len() < 6 {
            return None;
        }
    }
    if !any {
        return None;
    }
    FORMATS
        .iter()
        .map(|&(pattern, has_time)| TimestampFormat { pattern, has_time })
        .find(|f| samples.iter().all(|s| f.parse(s).is_some()))
}

/// Formats seconds since 1970 as `YYYY-MM-DD HH:MM:SS`.
pub fn format_seconds(seconds: f64) -> String {
    #[allow(clippy::cast_possible_truncation)] // timestamps in any plausible range fit i64
    let whole = seconds.floor() as i64;
    match chrono::DateTime::from_timestamp(whole, 0) {
        Some(dt) => dt.naive_utc().format("%Y-%m-%d %H:%M:%S").to_string(),
        None => format!("{seconds}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steel_energy_mixed_padding_reads_day_first() {
        let samples = ["1/1/2018 0:15", "13/01/2018 00:15", "2/1/2018 23:45"];
        let f = detect(&samples).expect("a format");
        assert_eq!(f.pattern(), "%d/%m/%Y %H:%M");
        let a = f.parse("2/1/2018 0:15").expect("parses");
        let b = f.parse("1/1/2018 0:15").expect("parses");
        assert_eq!(a - b, 86_400.0);
        assert_eq!(format_seconds(b), "2018-01-01 00:15:00");
    }

    #[test]
    fn numbers_are_not_dates() {
        assert!(detect(&["1.5", "2.25"]).is_none());
        assert!(detect(&["20180101"]).is_none());
    }

    #[test]
    fn iso_with_seconds() {
        let f = detect(&["2024-03-01 12:00:01", "2024-03-01T12:00:02.5"]);
        assert!(f.is_none(), "mixed separators are not one format");
        let f = detect(&["2024-03-01 12:00:01", "2024-03-01 12:00:02.5"]).expect("a format");
        assert_eq!(f.parse("1970-01-01 00:00:02.5"), Some(2.5));
    }
}
