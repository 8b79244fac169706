//! Dates in the calendars families use, as the generator needs them.
//!
//! A thin layer over `kinlink-core`'s calendar arithmetic, so the generator
//! writes dates exactly as kinlink reads them (`islamic` is the tabular civil
//! Hijri calendar in both).

use chrono::{Datelike, NaiveDate};
pub use kinlink_core::Calendar;
use kinlink_core::PartialDate;

/// Year, month (1-based; 13 = Pagume in the Ethiopian calendar) and day of
/// a Gregorian date in `cal`.
pub fn from_gregorian(date: NaiveDate, cal: Calendar) -> (i32, u8, u8) {
    match PartialDate::from_gregorian(date, cal) {
        Ok(PartialDate {
            year,
            month: Some(m),
            day: Some(d),
        }) => (year, m, d),
        // Unreachable for the dates we generate (1990..2026); keep Gregorian.
        // chrono's month/day are always in 1..=12 / 1..=31, so the casts are lossless.
        _ => (date.year(), date.month() as u8, date.day() as u8),
    }
}

/// The Gregorian date of `year-month-day` in `cal`, or `None` when that day
/// does not exist in that calendar.
pub fn to_gregorian(year: i32, month: u8, day: u8, cal: Calendar) -> Option<NaiveDate> {
    PartialDate::full(year, month, day)
        .gregorian_interval(cal)
        .ok()
        .map(|i| i.earliest)
}

/// The earliest Gregorian day a partial date cell (`YYYY`, `YYYY-MM`,
/// `YYYY-MM-DD`) in `cal` can denote.
pub fn parse_partial_earliest(s: &str, cal: Calendar) -> Option<NaiveDate> {
    let date: PartialDate = s.parse().ok()?;
    date.gregorian_interval(cal).ok().map(|i| i.earliest)
}

/// The latest Gregorian day a partial date cell in `cal` can denote.
pub fn parse_partial_latest(s: &str, cal: Calendar) -> Option<NaiveDate> {
    let date: PartialDate = s.parse().ok()?;
    date.gregorian_interval(cal).ok().map(|i| i.latest)
}

/// `YYYY`, `YYYY-MM` or `YYYY-MM-DD`.
pub fn format_partial(year: i32, month: Option<u8>, day: Option<u8>) -> String {
    PartialDate {
        year,
        month,
        day: month.and(day),
    }
    .to_string()
}
