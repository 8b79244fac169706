//! Exact conversion between Gregorian dates and the calendars families use.
//!
//! `islamic` is the tabular civil Hijri calendar (type II leap years, Friday
//! epoch, CLDR "islamic-civil"): it is deterministic, unlike sighting-based
//! variants, so a reader can convert back exactly.

use chrono::{Datelike, NaiveDate};
use icu_calendar::Date;
use icu_calendar::cal::hijri::{TabularAlgorithmEpoch, TabularAlgorithmLeapYears};
use icu_calendar::cal::{Ethiopian, EthiopianEraStyle, Hijri, Iso, Persian};

/// A calendar as written in the `birth_calendar` column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Calendar {
    Gregorian,
    SolarHijri,
    Ethiopian,
    Islamic,
}

impl Calendar {
    /// The interchange spelling. Gregorian is written as an empty cell by
    /// most registrars, so callers decide whether to spell it out.
    pub fn as_str(self) -> &'static str {
        match self {
            Calendar::Gregorian => "gregorian",
            Calendar::SolarHijri => "solar_hijri",
            Calendar::Ethiopian => "ethiopian",
            Calendar::Islamic => "islamic",
        }
    }

    /// Parses the `birth_calendar` cell; empty means Gregorian.
    pub fn parse(s: &str) -> Option<Calendar> {
        match s {
            "" | "gregorian" => Some(Calendar::Gregorian),
            "solar_hijri" => Some(Calendar::SolarHijri),
            "ethiopian" => Some(Calendar::Ethiopian),
            "islamic" => Some(Calendar::Islamic),
            _ => None,
        }
    }
}

fn hijri() -> Hijri<icu_calendar::cal::hijri::TabularAlgorithm> {
    Hijri::new_tabular(TabularAlgorithmLeapYears::TypeII, TabularAlgorithmEpoch::Friday)
}

/// Year, month (1-based; 13 = Pagume in the Ethiopian calendar) and day of
/// a Gregorian date in `cal`.
pub fn from_gregorian(date: NaiveDate, cal: Calendar) -> (i32, u8, u8) {
    // chrono's month/day are always in 1..=12 / 1..=31, so the casts are lossless.
    let (y, m, d) = (date.year(), date.month() as u8, date.day() as u8);
    if cal == Calendar::Gregorian {
        return (y, m, d);
    }
    let Ok(iso) = Date::try_new_iso(y, m, d) else {
        // Unreachable for chrono dates inside icu's ±9999 range, which is all we generate.
        return (y, m, d);
    };
    match cal {
        Calendar::Gregorian => (y, m, d),
        Calendar::SolarHijri => parts(&iso.to_calendar(Persian::new())),
        Calendar::Ethiopian => parts(&iso.to_calendar(Ethiopian::new())),
        Calendar::Islamic => parts(&iso.to_calendar(hijri())),
    }
}

fn parts<A: icu_calendar::AsCalendar>(d: &Date<A>) -> (i32, u8, u8) {
    // The year as written: AP, Amete Mihret, AH.
    (
        d.year().era_year_or_related_iso(),
        d.month().ordinal,
        d.day_of_month().0,
    )
}

/// The Gregorian date of `year-month-day` in `cal`, or `None` when that day
/// does not exist in that calendar.
pub fn to_gregorian(year: i32, month: u8, day: u8, cal: Calendar) -> Option<NaiveDate> {
    let iso = match cal {
        Calendar::Gregorian => {
            return NaiveDate::from_ymd_opt(year, u32::from(month), u32::from(day));
        }
        Calendar::SolarHijri => Date::try_new_persian(year, month, day).ok()?.to_calendar(Iso),
        Calendar::Ethiopian => Date::try_new_ethiopian(EthiopianEraStyle::AmeteMihret, year, month, day)
            .ok()?
            .to_calendar(Iso),
        Calendar::Islamic => Date::try_new_hijri_with_calendar(year, month, day, hijri())
            .ok()?
            .to_calendar(Iso),
    };
    NaiveDate::from_ymd_opt(
        iso.year().extended_year(),
        u32::from(iso.month().ordinal),
        u32::from(iso.day_of_month().0),
    )
}

/// Parses a partial date cell (`YYYY`, `YYYY-MM`, `YYYY-MM-DD`) in `cal` and
/// returns the earliest Gregorian day it can denote.
pub fn parse_partial_earliest(s: &str, cal: Calendar) -> Option<NaiveDate> {
    let mut it = s.split('-');
    let y: i32 = it.next()?.parse().ok()?;
    let m: u8 = match it.next() {
        Some(t) if t.len() == 2 => t.parse().ok()?,
        Some(_) => return None,
        None => 1,
    };
    let d: u8 = match it.next() {
        Some(t) if t.len() == 2 => t.parse().ok()?,
        Some(_) => return None,
        None => 1,
    };
    if it.next().is_some() || !(1000..=9999).contains(&y) {
        return None;
    }
    to_gregorian(y, m, d, cal)
}

/// Parses a partial date cell in `cal` and returns the latest Gregorian day
/// it can denote (the last day of its year or month).
pub fn parse_partial_latest(s: &str, cal: Calendar) -> Option<NaiveDate> {
    let earliest = parse_partial_earliest(s, cal)?;
    let parts: Vec<&str> = s.split('-').collect();
    let y: i32 = parts[0].parse().ok()?;
    let next = match parts.len() {
        1 => to_gregorian(y + 1, 1, 1, cal),
        2 => {
            let m: u8 = parts[1].parse().ok()?;
            to_gregorian(y, m + 1, 1, cal).or_else(|| to_gregorian(y + 1, 1, 1, cal))
        }
        _ => return Some(earliest),
    };
    next?.pred_opt()
}

/// `YYYY`, `YYYY-MM` or `YYYY-MM-DD`.
pub fn format_partial(y: i32, m: Option<u8>, d: Option<u8>) -> String {
    match (m, d) {
        (Some(m), Some(d)) => format!("{y:04}-{m:02}-{d:02}"),
        (Some(m), None) => format!("{y:04}-{m:02}"),
        _ => format!("{y:04}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn g(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("valid test date")
    }

    #[test]
    fn farvardin_1403_is_2024_03_20() {
        assert_eq!(from_gregorian(g(2024, 3, 20), Calendar::SolarHijri), (1403, 1, 1));
        assert_eq!(
            from_gregorian(g(2024, 3, 19), Calendar::SolarHijri),
            (1402, 12, 29)
        );
        assert_eq!(
            to_gregorian(1403, 1, 1, Calendar::SolarHijri),
            Some(g(2024, 3, 20))
        );
    }

    #[test]
    fn meskerem_2017_is_2024_09_11() {
        assert_eq!(from_gregorian(g(2024, 9, 11), Calendar::Ethiopian), (2017, 1, 1));
        assert_eq!(
            to_gregorian(2017, 1, 1, Calendar::Ethiopian),
            Some(g(2024, 9, 11))
        );
        // The day before is in Pagume, the 13th month.
        assert_eq!(from_gregorian(g(2024, 9, 10), Calendar::Ethiopian), (2016, 13, 5));
    }

    #[test]
    fn islamic_civil_known_value() {
        // 1 Muharram 1446 AH in the civil tabular calendar: fixed day
        // 1 + 1445*354 + floor((3 + 11*1446)/30) + 227014 (Reingold & Dershowitz),
        // i.e. 2024-07-08, a day after the Umm al-Qura date.
        assert_eq!(to_gregorian(1446, 1, 1, Calendar::Islamic), Some(g(2024, 7, 8)));
        assert_eq!(from_gregorian(g(2024, 7, 8), Calendar::Islamic), (1446, 1, 1));
    }

    #[test]
    fn round_trips_every_day_2000_2026() {
        let mut d = g(2000, 1, 1);
        while d < g(2026, 1, 1) {
            for cal in [Calendar::SolarHijri, Calendar::Ethiopian, Calendar::Islamic] {
                let (y, m, dd) = from_gregorian(d, cal);
                assert_eq!(to_gregorian(y, m, dd, cal), Some(d), "{cal:?} {d}");
            }
            d = d.succ_opt().expect("in range");
        }
    }

    #[test]
    fn partial_parsing() {
        assert_eq!(
            parse_partial_earliest("1403", Calendar::SolarHijri),
            Some(g(2024, 3, 20))
        );
        assert_eq!(
            parse_partial_earliest("2017-13", Calendar::Ethiopian),
            Some(g(2025, 9, 6))
        );
        assert_eq!(parse_partial_earliest("2017-14", Calendar::Ethiopian), None);
        assert_eq!(parse_partial_earliest("2023-02-30", Calendar::Gregorian), None);
        assert_eq!(parse_partial_earliest("23-02", Calendar::Gregorian), None);
        assert_eq!(format_partial(2016, Some(3), None), "2016-03");
        assert_eq!(
            parse_partial_latest("2016-02", Calendar::Gregorian),
            Some(g(2016, 2, 29))
        );
        assert_eq!(
            parse_partial_latest("2016", Calendar::Gregorian),
            Some(g(2016, 12, 31))
        );
        assert_eq!(
            parse_partial_latest("2016-12", Calendar::Ethiopian),
            Some(g(2024, 9, 5))
        );
        assert_eq!(
            parse_partial_latest("2016-13", Calendar::Ethiopian),
            Some(g(2024, 9, 10))
        );
        assert_eq!(
            parse_partial_latest("1402", Calendar::SolarHijri),
            Some(g(2024, 3, 19))
        );
        assert_eq!(
            parse_partial_latest("2020-05-06", Calendar::Gregorian),
            Some(g(2020, 5, 6))
        );
    }
}
