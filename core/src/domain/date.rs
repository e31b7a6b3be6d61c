//! A calendar date (proleptic Gregorian, no time zone): the day an entry is
//! booked on. An event's booking date is the UTC date of its `recorded_at`
//! until events carry a date of their own (docs/command-step.md). No rule
//! reads a clock: a date comes from an event or from a caller.

use std::fmt;

const MILLIS_PER_DAY: u64 = 86_400_000;

/// A day, as the number of days since 1970-01-01.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date(i64);

impl Date {
    /// The UTC date of an instant given in milliseconds since the Unix epoch.
    pub fn of_unix_millis(millis: u64) -> Date {
        // u64::MAX milliseconds is about 2.1e11 days: it fits an i64.
        Date(i64::try_from(millis / MILLIS_PER_DAY).unwrap_or(i64::MAX))
    }

    /// The date `year-month-day`, if it exists (`2026-02-30` does not).
    pub fn from_ymd(year: i64, month: u32, day: u32) -> Option<Date> {
        if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) || year.unsigned_abs() > 1_000_000 {
            return None;
        }
        // Days since 0000-03-01 of the date, counted in 400-year eras of
        // 146,097 days, with the year starting in March (so the leap day
        // ends it).
        let (y, m) = if month <= 2 { (year - 1, i64::from(month) + 9) } else { (year, i64::from(month) - 3) };
        let era = y.div_euclid(400);
        let year_of_era = y.rem_euclid(400);
        let day_of_year = (153 * m + 2) / 5 + i64::from(day) - 1;
        let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
        Some(Date(era * 146_097 + day_of_era - 719_468))
    }

    /// The date as `(year, month, day)` (the civil calendar from a day
    /// count, as in Howard Hinnant's date algorithms).
    pub fn ymd(self) -> (i64, u32, u32) {
        let days = self.0 + 719_468;
        let era = days.div_euclid(146_097);
        let day_of_era = days.rem_euclid(146_097);
        let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
        let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
        let m = (5 * day_of_year + 2) / 153;
        let day = day_of_year - (153 * m + 2) / 5 + 1;
        let month = if m < 10 { m + 3 } else { m - 9 };
        let year = year_of_era + era * 400 + i64::from(month <= 2);
        (year, u32::try_from(month).unwrap_or(1), u32::try_from(day).unwrap_or(1))
    }
}

fn days_in_month(year: i64, month: u32) -> u32 {
    let leap = year.rem_euclid(4) == 0 && (year.rem_euclid(100) != 0 || year.rem_euclid(400) == 0);
    match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// `YYYY-MM-DD` (ISO 8601).
impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (year, month, day) = self.ymd();
        write!(f, "{year:04}-{month:02}-{day:02}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_utc_day_of_an_instant() {
        assert_eq!(Date::of_unix_millis(0).to_string(), "1970-01-01");
        assert_eq!(Date::of_unix_millis(MILLIS_PER_DAY - 1).to_string(), "1970-01-01");
        assert_eq!(Date::of_unix_millis(MILLIS_PER_DAY).to_string(), "1970-01-02");
        // 2026-12-06T14:07:26Z
        assert_eq!(Date::of_unix_millis(1_796_566_046_000).to_string(), "2026-12-06");
        assert!(Date::of_unix_millis(u64::MAX) > Date::of_unix_millis(0), "no overflow");
    }

    #[test]
    fn only_dates_that_exist() {
        assert_eq!(Date::from_ymd(2026, 12, 6), Some(Date::of_unix_millis(1_796_566_046_000)));
        assert_eq!(Date::from_ymd(2024, 2, 29).map(|d| d.to_string()).as_deref(), Some("2024-02-29"));
        for (y, m, d) in [(2026, 2, 29), (2026, 2, 30), (1900, 2, 29), (2026, 4, 31), (2026, 13, 1), (2026, 0, 1), (2026, 1, 0)] {
            assert_eq!(Date::from_ymd(y, m, d), None, "{y}-{m}-{d}");
        }
        assert!(Date::from_ymd(2000, 2, 29).is_some(), "2000 was a leap year");
    }

    #[test]
    fn every_day_of_four_centuries_goes_there_and_back() {
        let mut previous = None;
        for year in 1900..=2300 {
            for month in 1..=12 {
                for day in 1..=days_in_month(year, month) {
                    let date = Date::from_ymd(year, month, day).unwrap_or_else(|| unreachable!("{year}-{month}-{day}"));
                    assert_eq!(date.ymd(), (year, month, day));
                    if let Some(Date(before)) = previous {
                        assert_eq!(date.0, before + 1, "{date} follows the day before");
                    }
                    previous = Some(date);
                }
            }
        }
    }
}
