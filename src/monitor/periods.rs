//! Rows by period of their timestamp: day, week (Monday to Sunday) or month, in the timestamps'
//! own clock (no time zone is applied, as the data carries none).
//!
//! Left to choose (`auto`), the period is the shortest of day, week and month in which the
//! median period holds at least 25 rows per PSI bin (250 with the default 10 bins): below that
//! the PSI of an undrifted period from sampling alone, about (bins − 1) / rows, nears the
//! moderate threshold (see [`super::stats::psi_noise`]). A day of quarter-hourly readings (96
//! rows) is therefore read by week.

use std::collections::{BTreeMap, HashMap};

use chrono::{Datelike as _, NaiveDate};
use serde::{Deserialize, Serialize};

/// Which period the figures are given per.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PeriodChoice {
    /// The shortest period with enough rows (see the module documentation), when the data has a
    /// timestamp.
    #[default]
    Auto,
    /// No figures per period.
    Off,
    /// Per calendar day.
    Day,
    /// Per week, Monday to Sunday.
    Week,
    /// Per calendar month.
    Month,
}

/// A period length.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PeriodUnit {
    /// A calendar day.
    Day,
    /// A week, Monday to Sunday.
    Week,
    /// A calendar month.
    Month,
}

impl PeriodUnit {
    /// The word shown to people.
    pub fn label(self) -> &'static str {
        match self {
            Self::Day => "day",
            Self::Week => "week",
            Self::Month => "month",
        }
    }

    /// The first day of the period that holds `date`.
    fn start(self, date: NaiveDate) -> NaiveDate {
        match self {
            Self::Day => date,
            Self::Week => date - chrono::Days::new(u64::from(date.weekday().num_days_from_monday())),
            Self::Month => date.with_day(1).unwrap_or(date),
        }
    }

    /// The period starting on `start`, as people read it.
    fn name(self, start: NaiveDate) -> String {
        match self {
            Self::Day => start.format("%Y-%m-%d").to_string(),
            Self::Week => format!("week of {}", start.format("%Y-%m-%d")),
            Self::Month => start.format("%Y-%m").to_string(),
        }
    }
}

/// The rows of each period, in time order.
pub(super) struct Timeline {
    /// The period length.
    pub unit: PeriodUnit,
    /// Each period's name.
    pub labels: Vec<String>,
    /// Each period's first day, ISO 8601.
    pub starts: Vec<String>,
    /// The rows of each period, ascending.
    pub rows: Vec<Vec<usize>>,
    /// Rows without a readable time.
    pub rows_without_time: usize,
}

/// Days since 1970-01-01 of a time in seconds (within ±5 million years).
fn day_of(seconds: f64) -> Option<i32> {
    if !seconds.is_finite() || seconds.abs() > 1.5e14 {
        return None;
    }
    #[allow(clippy::cast_possible_truncation)] // bounded above: at most 1.7e9 days
    Some((seconds / 86_400.0).floor() as i32)
}

fn date_of(day: i32) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(1970, 1, 1)?.checked_add_signed(chrono::TimeDelta::try_days(i64::from(day))?)
}

/// The rows of each period of `times` (seconds); `None` when periods are off or no row has a
/// time.
pub(super) fn timeline(times: &[f64], choice: PeriodChoice, bins: usize) -> Option<Timeline> {
    let days: Vec<Option<i32>> = times.iter().map(|&t| day_of(t)).collect();
    let mut day_counts: BTreeMap<i32, usize> = BTreeMap::new();
    for d in days.iter().flatten() {
        *day_counts.entry(*d).or_default() += 1;
    }
    if day_counts.is_empty() {
        return None;
    }
    // Period start of every distinct day, per unit.
    let starts_for = |unit: PeriodUnit| -> BTreeMap<i32, NaiveDate> {
        day_counts.keys().filter_map(|&d| Some((d, unit.start(date_of(d)?)))).collect()
    };
    let unit = match choice {
        PeriodChoice::Off => return None,
        PeriodChoice::Day => PeriodUnit::Day,
        PeriodChoice::Week => PeriodUnit::Week,
        PeriodChoice::Month => PeriodUnit::Month,
        PeriodChoice::Auto => {
            let enough = 25 * bins;
            [PeriodUnit::Day, PeriodUnit::Week]
                .into_iter()
                .find(|&u| {
                    let mut per: BTreeMap<NaiveDate, usize> = BTreeMap::new();
                    for (d, s) in starts_for(u) {
                        *per.entry(s).or_default() += day_counts.get(&d).copied().unwrap_or(0);
                    }
                    let mut counts: Vec<usize> = per.into_values().collect();
                    counts.sort_unstable();
                    counts.get(counts.len() / 2).is_some_and(|&m| m >= enough)
                })
                .unwrap_or(PeriodUnit::Month)
        }
    };
    let start_of_day = starts_for(unit);
    let distinct: Vec<NaiveDate> = {
        let mut s: Vec<NaiveDate> = start_of_day.values().copied().collect();
        s.sort_unstable();
        s.dedup();
        s
    };
    let index_of: HashMap<i32, usize> =
        start_of_day.iter().filter_map(|(&d, s)| Some((d, distinct.binary_search(s).ok()?))).collect();
    let mut rows: Vec<Vec<usize>> = vec![Vec::new(); distinct.len()];
    let mut rows_without_time = 0;
    for (i, d) in days.iter().enumerate() {
        match d.and_then(|d| index_of.get(&d)).and_then(|&p| rows.get_mut(p)) {
            Some(list) => list.push(i),
            None => rows_without_time += 1,
        }
    }
    Some(Timeline {
        unit,
        labels: distinct.iter().map(|&s| unit.name(s)).collect(),
        starts: distinct.iter().map(|s| s.format("%Y-%m-%dT00:00:00").to_string()).collect(),
        rows,
        rows_without_time,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seconds(y: i32, m: u32, d: u32, h: u32) -> f64 {
        let dt = NaiveDate::from_ymd_opt(y, m, d).and_then(|x| x.and_hms_opt(h, 0, 0)).expect("date");
        #[allow(clippy::cast_precision_loss)]
        let s = dt.and_utc().timestamp() as f64;
        s
    }

    #[test]
    fn rows_fall_in_their_day_week_and_month() {
        // Sunday 31 Dec 2017, Monday 1 Jan 2018, Sunday 7 Jan, Monday 8 Jan, Thursday 1 Feb.
        let t = [
            seconds(2017, 12, 31, 23),
            seconds(2018, 1, 1, 0),
            seconds(2018, 1, 7, 12),
            f64::NAN,
            seconds(2018, 1, 8, 6),
            seconds(2018, 2, 1, 6),
        ];
        let days = timeline(&t, PeriodChoice::Day, 10).expect("days");
        assert_eq!(days.labels, ["2017-12-31", "2018-01-01", "2018-01-07", "2018-01-08", "2018-02-01"]);
        assert_eq!(days.rows_without_time, 1);
        let weeks = timeline(&t, PeriodChoice::Week, 10).expect("weeks");
        assert_eq!(
            weeks.labels,
            ["week of 2017-12-25", "week of 2018-01-01", "week of 2018-01-08", "week of 2018-01-29"]
        );
        assert_eq!(weeks.rows, [vec![0], vec![1, 2], vec![4], vec![5]]);
        let months = timeline(&t, PeriodChoice::Month, 10).expect("months");
        assert_eq!(months.labels, ["2017-12", "2018-01", "2018-02"]);
        assert_eq!(months.starts[1], "2018-01-01T00:00:00");
        assert!(timeline(&t, PeriodChoice::Off, 10).is_none());
        assert!(timeline(&[f64::NAN], PeriodChoice::Day, 10).is_none());
    }

    #[test]
    fn auto_takes_the_shortest_period_with_enough_rows() {
        // Quarter-hourly rows for 60 days: 96 a day, 672 a week.
        let t: Vec<f64> = (0..96 * 60).map(|i| seconds(2018, 1, 1, 0) + f64::from(i) * 900.0).collect();
        assert_eq!(timeline(&t, PeriodChoice::Auto, 10).expect("periods").unit, PeriodUnit::Week);
        assert_eq!(timeline(&t, PeriodChoice::Auto, 3).expect("periods").unit, PeriodUnit::Day);
        assert_eq!(timeline(&t, PeriodChoice::Auto, 100).expect("periods").unit, PeriodUnit::Month);
    }
}
