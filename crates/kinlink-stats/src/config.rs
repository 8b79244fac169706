//! Settings of a statistics run: the reference date, the reporting window,
//! deadlines and benchmarks, and the deployment's regions.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::NaiveDate;
use kinlink_casework::referral::ServiceKind;
use kinlink_core::{CountryCode, Place};

use crate::dims::{Granularity, normalise_name};
use crate::error::StatsError;

/// A half-open span of days `[from, to)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    from: NaiveDate,
    to: NaiveDate,
}

impl Window {
    pub fn new(from: NaiveDate, to: NaiveDate) -> Result<Self, StatsError> {
        if to < from {
            return Err(StatsError::InvalidWindow);
        }
        Ok(Self { from, to })
    }
    /// A calendar year.
    pub fn year(year: i32) -> Result<Self, StatsError> {
        let day = |y| NaiveDate::from_ymd_opt(y, 1, 1).ok_or(StatsError::InvalidWindow);
        Self::new(day(year)?, day(year + 1)?)
    }
    pub fn from(&self) -> NaiveDate {
        self.from
    }
    pub fn to(&self) -> NaiveDate {
        self.to
    }
    pub fn contains(&self, day: NaiveDate) -> bool {
        self.from <= day && day < self.to
    }
}

/// The deployment's regions: each a name and the administrative areas (as
/// caseworkers write them) it covers, optionally only in one country. The
/// region dimension only ever shows these names or `unknown`, so free text
/// typed into a location never reaches a release.
#[derive(Clone, Debug, Default)]
pub struct RegionMap {
    regions: Vec<Region>,
}

#[derive(Clone, Debug)]
struct Region {
    name: Arc<str>,
    country: Option<CountryCode>,
    /// Lower-cased, whitespace-normalised.
    areas: Vec<String>,
}

impl RegionMap {
    pub fn new() -> Self {
        Self::default()
    }

    /// Add a region. Its name is configuration, checked like a label.
    pub fn with_region(
        mut self,
        name: &str,
        country: Option<CountryCode>,
        areas: &[&str],
    ) -> Result<Self, StatsError> {
        let name = normalise_name(name);
        let printable = name.chars().all(|c| !c.is_control());
        if name.is_empty() || name.chars().count() > 80 || !printable {
            return Err(StatsError::InvalidRegionName);
        }
        self.regions.push(Region {
            name: name.into(),
            country,
            areas: areas.iter().map(|a| fold(a)).collect(),
        });
        Ok(self)
    }

    /// The region a place is in, by its administrative area (as written or in
    /// its Latin rendering) and country.
    pub fn region_of(&self, place: &Place) -> Option<Arc<str>> {
        let area = place.admin_area.as_ref()?;
        let written: Vec<String> = std::iter::once(area.original.as_str())
            .chain(area.latin.as_deref())
            .map(fold)
            .collect();
        self.regions
            .iter()
            .find(|r| {
                r.country
                    .as_ref()
                    .is_none_or(|c| place.country.as_ref() == Some(c))
                    && r.areas.iter().any(|a| written.contains(a))
            })
            .map(|r| Arc::clone(&r.name))
    }
}

fn fold(text: &str) -> String {
    normalise_name(text).to_lowercase()
}

/// Everything an indicators run needs besides the records.
#[derive(Clone, Debug)]
pub struct StatsConfig {
    /// "As of": ages, caseloads, and whether a deadline has passed are judged on this day (end of day, UTC).
    pub reference_date: NaiveDate,
    /// Only records whose reference event falls in this window count (all, when `None`).
    pub window: Option<Window>,
    pub granularity: Granularity,
    /// A guardian is due this many hours after identification (casework's default, 24).
    pub guardian_deadline_hours: u32,
    /// Days a referral may take to be completed.
    pub referral_benchmark_days: u32,
    /// Per-service benchmarks that override `referral_benchmark_days`.
    pub referral_benchmarks: BTreeMap<ServiceKindKey, u32>,
    /// For noisy releases: the most one child may add to an event table
    /// (referrals, complaints, …); a child's further events are left out of the
    /// noisy counts so that the noise covers any one child.
    pub max_events_per_child: u32,
    pub regions: RegionMap,
}

/// `ServiceKind` is not `Ord`; this orders it for the benchmark map.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct ServiceKindKey(u8);

impl From<ServiceKind> for ServiceKindKey {
    fn from(s: ServiceKind) -> Self {
        Self(s as u8)
    }
}

impl StatsConfig {
    pub fn new(reference_date: NaiveDate) -> Self {
        Self {
            reference_date,
            window: None,
            granularity: Granularity::Year,
            guardian_deadline_hours: 24,
            referral_benchmark_days: 30,
            referral_benchmarks: BTreeMap::new(),
            max_events_per_child: 10,
            regions: RegionMap::default(),
        }
    }

    pub fn benchmark_days(&self, service: ServiceKind) -> u32 {
        self.referral_benchmarks
            .get(&service.into())
            .copied()
            .unwrap_or(self.referral_benchmark_days)
    }
}
