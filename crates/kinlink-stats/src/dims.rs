//! Dimensions and their labels: closed vocabularies only.
//!
//! A released table holds these labels and numbers, nothing else. Every label
//! is an ISO country code, a band, a period, a variant of a fixed enum, or a
//! name the deployment configured (regions) or a facility name (detention
//! centres): never a free-text field of a child's record.

use std::borrow::Cow;
use std::cmp::Ordering;
use std::sync::Arc;

use chrono::{Datelike, NaiveDate};
use kinlink_casework::forms::DurableSolution;
use kinlink_casework::referral::ServiceKind;
use kinlink_core::{Accompaniment, CountryCode, Sex};
use serde::{Serialize, Serializer};

/// What a table can be broken down by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Dimension {
    /// First recorded nationality; `stateless`; or `unknown`.
    Nationality,
    Sex,
    /// Age at the reference date, youngest possible (presumption of minority).
    AgeBand,
    /// Unaccompanied, separated, accompanied, unknown.
    Accompaniment,
    /// Whether `disability` is among the recorded vulnerabilities.
    Disability,
    /// The deployment's region the child is in now (see [`crate::RegionMap`]).
    Region,
    /// Month, quarter or year of the indicator's reference event (see [`crate::Indicator`]).
    Period,
    /// Service a referral went to.
    Service,
    /// Durable solution recommended (BIDs) or implemented (outcomes).
    Solution,
    /// Immigration detention centre (a facility name).
    Centre,
    /// Outcome of a match review.
    MatchOutcome,
    /// Number of children a guardian is responsible for.
    CaseloadBand,
}

impl Dimension {
    pub const fn as_str(self) -> &'static str {
        match self {
            Dimension::Nationality => "nationality",
            Dimension::Sex => "sex",
            Dimension::AgeBand => "age_band",
            Dimension::Accompaniment => "accompaniment",
            Dimension::Disability => "disability",
            Dimension::Region => "region",
            Dimension::Period => "period",
            Dimension::Service => "service",
            Dimension::Solution => "solution",
            Dimension::Centre => "centre",
            Dimension::MatchOutcome => "match_outcome",
            Dimension::CaseloadBand => "caseload_band",
        }
    }

    /// Every label of a small closed vocabulary, so that tables keep the same
    /// shape whatever the data (a category with no one in it shows as 0).
    /// `None` for open-ended vocabularies (countries, regions, periods, centres).
    pub(crate) fn fixed_labels(self) -> Option<Vec<Label>> {
        let labels = match self {
            Dimension::Sex => [Sex::Female, Sex::Male, Sex::Other, Sex::Unknown]
                .map(Label::Sex)
                .to_vec(),
            Dimension::AgeBand => AgeBand::ALL.map(Label::AgeBand).to_vec(),
            Dimension::Accompaniment => [
                Accompaniment::Unaccompanied,
                Accompaniment::Separated,
                Accompaniment::Accompanied,
                Accompaniment::Unknown,
            ]
            .map(Label::Accompaniment)
            .to_vec(),
            Dimension::Disability => [Disability::Recorded, Disability::NotRecorded]
                .map(Label::Disability)
                .to_vec(),
            Dimension::Solution => DurableSolution::ALL.map(Label::Solution).to_vec(),
            Dimension::Service => SERVICES.map(Label::Service).to_vec(),
            Dimension::MatchOutcome => [
                MatchOutcome::Confirmed,
                MatchOutcome::Rejected,
                MatchOutcome::Pending,
            ]
            .map(Label::MatchOutcome)
            .to_vec(),
            Dimension::CaseloadBand => CaseloadBand::ALL.map(Label::CaseloadBand).to_vec(),
            Dimension::Nationality | Dimension::Region | Dimension::Period | Dimension::Centre => {
                return None;
            }
        };
        Some(labels)
    }
}

const SERVICES: [ServiceKind; 7] = [
    ServiceKind::Health,
    ServiceKind::Education,
    ServiceKind::LegalAid,
    ServiceKind::Psychosocial,
    ServiceKind::Shelter,
    ServiceKind::GenderBasedViolence,
    ServiceKind::NationalChildProtection,
];

/// Nationality as an ISO 3166-1 alpha-2 code (validated), stateless, or unknown.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Nationality {
    Country([u8; 2]),
    Stateless,
    Unknown,
}

impl Nationality {
    /// Only a valid ISO code becomes a label: anything else is `Unknown`, so a
    /// mistyped value can never carry text into a release.
    pub fn from_code(code: &CountryCode) -> Self {
        match code.as_str().as_bytes() {
            [a, b] if code.is_valid() => Nationality::Country([*a, *b]),
            _ => Nationality::Unknown,
        }
    }
}

/// Age bands of the treaty bodies' reporting, plus those 18 or over at the
/// reference date (registered as children, now adults) and unknown.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AgeBand {
    From0To4,
    From5To9,
    From10To14,
    From15To17,
    EighteenOrOver,
    Unknown,
}

impl AgeBand {
    pub const ALL: [AgeBand; 6] = [
        AgeBand::From0To4,
        AgeBand::From5To9,
        AgeBand::From10To14,
        AgeBand::From15To17,
        AgeBand::EighteenOrOver,
        AgeBand::Unknown,
    ];

    pub fn of_age(years: u32) -> Self {
        match years {
            0..=4 => AgeBand::From0To4,
            5..=9 => AgeBand::From5To9,
            10..=14 => AgeBand::From10To14,
            15..=17 => AgeBand::From15To17,
            _ => AgeBand::EighteenOrOver,
        }
    }

    pub const fn as_str(self) -> &'static str {
        match self {
            AgeBand::From0To4 => "0-4",
            AgeBand::From5To9 => "5-9",
            AgeBand::From10To14 => "10-14",
            AgeBand::From15To17 => "15-17",
            AgeBand::EighteenOrOver => "18+",
            AgeBand::Unknown => "unknown",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Disability {
    Recorded,
    NotRecorded,
}

/// How finely the period dimension cuts time.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Granularity {
    Month,
    Quarter,
    #[default]
    Year,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Period {
    Year(i32),
    Quarter(i32, u8),
    Month(i32, u8),
    Unknown,
}

impl Period {
    pub fn of(date: NaiveDate, granularity: Granularity) -> Self {
        let month = u8::try_from(date.month()).unwrap_or(1);
        match granularity {
            Granularity::Year => Period::Year(date.year()),
            Granularity::Quarter => Period::Quarter(date.year(), (month - 1) / 3 + 1),
            Granularity::Month => Period::Month(date.year(), month),
        }
    }
}

/// Outcome of a match review (a proposed match between a tracing request and a child).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchOutcome {
    Confirmed,
    Rejected,
    /// Proposed, not yet reviewed.
    Pending,
}

/// Guardian caseload bands; the default limit in casework is 25.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CaseloadBand {
    From1To5,
    From6To10,
    From11To15,
    From16To20,
    From21To25,
    Over25,
}

impl CaseloadBand {
    pub const ALL: [CaseloadBand; 6] = [
        CaseloadBand::From1To5,
        CaseloadBand::From6To10,
        CaseloadBand::From11To15,
        CaseloadBand::From16To20,
        CaseloadBand::From21To25,
        CaseloadBand::Over25,
    ];

    /// `None` for a caseload of 0 (not a guardian at the reference date).
    pub fn of(children: u32) -> Option<Self> {
        Some(match children {
            0 => return None,
            1..=5 => CaseloadBand::From1To5,
            6..=10 => CaseloadBand::From6To10,
            11..=15 => CaseloadBand::From11To15,
            16..=20 => CaseloadBand::From16To20,
            21..=25 => CaseloadBand::From21To25,
            _ => CaseloadBand::Over25,
        })
    }

    const fn as_str(self) -> &'static str {
        match self {
            CaseloadBand::From1To5 => "1-5",
            CaseloadBand::From6To10 => "6-10",
            CaseloadBand::From11To15 => "11-15",
            CaseloadBand::From16To20 => "16-20",
            CaseloadBand::From21To25 => "21-25",
            CaseloadBand::Over25 => "26+",
        }
    }
}

/// One category of one dimension. Serialised as its code (`AF`, `female`,
/// `0-4`, `2026-Q1`, …).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Label {
    Nationality(Nationality),
    Sex(Sex),
    AgeBand(AgeBand),
    Accompaniment(Accompaniment),
    Disability(Disability),
    /// A region name from the deployment's configuration, or `None` for unknown.
    Region(Option<Arc<str>>),
    Period(Period),
    Service(ServiceKind),
    Solution(DurableSolution),
    /// A detention facility's name, whitespace-normalised.
    Centre(Arc<str>),
    MatchOutcome(MatchOutcome),
    CaseloadBand(CaseloadBand),
}

impl Label {
    pub fn code(&self) -> Cow<'static, str> {
        match self {
            Label::Nationality(Nationality::Country([a, b])) => {
                Cow::Owned([char::from(*a), char::from(*b)].iter().collect())
            }
            Label::Nationality(Nationality::Stateless) => "stateless".into(),
            Label::Nationality(Nationality::Unknown) => "unknown".into(),
            Label::Sex(s) => match s {
                Sex::Female => "female",
                Sex::Male => "male",
                Sex::Other => "other",
                Sex::Unknown => "unknown",
            }
            .into(),
            Label::AgeBand(b) => b.as_str().into(),
            Label::Accompaniment(a) => match a {
                Accompaniment::Unaccompanied => "unaccompanied",
                Accompaniment::Separated => "separated",
                Accompaniment::Accompanied => "accompanied",
                Accompaniment::Unknown => "unknown",
            }
            .into(),
            Label::Disability(Disability::Recorded) => "disability".into(),
            Label::Disability(Disability::NotRecorded) => "none_recorded".into(),
            Label::Region(Some(name)) => Cow::Owned(name.to_string()),
            Label::Region(None) => "unknown".into(),
            Label::Period(p) => match p {
                Period::Year(y) => Cow::Owned(format!("{y:04}")),
                Period::Quarter(y, q) => Cow::Owned(format!("{y:04}-Q{q}")),
                Period::Month(y, m) => Cow::Owned(format!("{y:04}-{m:02}")),
                Period::Unknown => "unknown".into(),
            },
            Label::Service(s) => match s {
                ServiceKind::Health => "health",
                ServiceKind::Education => "education",
                ServiceKind::LegalAid => "legal_aid",
                ServiceKind::Psychosocial => "psychosocial",
                ServiceKind::Shelter => "shelter",
                ServiceKind::GenderBasedViolence => "gender_based_violence",
                ServiceKind::NationalChildProtection => "national_child_protection",
            }
            .into(),
            Label::Solution(s) => match s {
                DurableSolution::FamilyReunificationInCountry => "family_reunification_in_country",
                DurableSolution::FamilyReunificationAbroad => "family_reunification_abroad",
                DurableSolution::LocalIntegration => "local_integration",
                DurableSolution::ResettlementToThirdCountry => "resettlement",
                DurableSolution::ReturnToCountryOfOrigin => "return",
            }
            .into(),
            Label::Centre(name) => Cow::Owned(name.to_string()),
            Label::MatchOutcome(o) => match o {
                MatchOutcome::Confirmed => "confirmed",
                MatchOutcome::Rejected => "rejected",
                MatchOutcome::Pending => "pending",
            }
            .into(),
            Label::CaseloadBand(b) => b.as_str().into(),
        }
    }

    /// Display order: fixed vocabularies in their declared order, unknowns last,
    /// open vocabularies alphabetically.
    fn sort_key(&self) -> (u8, u64, Cow<'static, str>) {
        let rank = |i: usize| u64::try_from(i).unwrap_or(u64::MAX);
        let fixed = |dim: Dimension| {
            dim.fixed_labels()
                .and_then(|all| all.iter().position(|l| l == self))
                .map_or(u64::MAX, rank)
        };
        match self {
            Label::Nationality(n) => {
                let group = match n {
                    Nationality::Country(_) => 0,
                    Nationality::Stateless => 1,
                    Nationality::Unknown => 2,
                };
                (0, group, self.code())
            }
            Label::Sex(_) => (1, fixed(Dimension::Sex), "".into()),
            Label::AgeBand(_) => (2, fixed(Dimension::AgeBand), "".into()),
            Label::Accompaniment(_) => (3, fixed(Dimension::Accompaniment), "".into()),
            Label::Disability(_) => (4, fixed(Dimension::Disability), "".into()),
            Label::Region(r) => (5, u64::from(r.is_none()), self.code()),
            Label::Period(p) => {
                let year = |y: &i32| u64::try_from(*y).unwrap_or(0) * 10_000;
                let order = match p {
                    Period::Year(y) => year(y),
                    Period::Quarter(y, q) => year(y) + u64::from(*q) * 100,
                    Period::Month(y, m) => year(y) + u64::from(*m),
                    Period::Unknown => u64::MAX,
                };
                (6, order, "".into())
            }
            Label::Service(_) => (7, fixed(Dimension::Service), "".into()),
            Label::Solution(_) => (8, fixed(Dimension::Solution), "".into()),
            Label::Centre(_) => (9, 0, self.code()),
            Label::MatchOutcome(_) => (10, fixed(Dimension::MatchOutcome), "".into()),
            Label::CaseloadBand(_) => (11, fixed(Dimension::CaseloadBand), "".into()),
        }
    }
}

impl PartialOrd for Label {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Label {
    fn cmp(&self, other: &Self) -> Ordering {
        self.sort_key().cmp(&other.sort_key())
    }
}

impl Serialize for Label {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.code())
    }
}

/// Whole years from `born` to `on` (0 if `on` is not after `born`).
pub(crate) fn whole_years(born: NaiveDate, on: NaiveDate) -> Option<u32> {
    if on < born {
        return None;
    }
    let mut years = on.year() - born.year();
    if (on.month(), on.day()) < (born.month(), born.day()) {
        years -= 1;
    }
    u32::try_from(years).ok()
}

/// Collapse runs of whitespace and trim, so "Centre  A " and "Centre A" are one facility.
pub(crate) fn normalise_name(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn age_bands_follow_the_treaty_bands() {
        assert_eq!(AgeBand::of_age(0), AgeBand::From0To4);
        assert_eq!(AgeBand::of_age(4), AgeBand::From0To4);
        assert_eq!(AgeBand::of_age(5), AgeBand::From5To9);
        assert_eq!(AgeBand::of_age(14), AgeBand::From10To14);
        assert_eq!(AgeBand::of_age(15), AgeBand::From15To17);
        assert_eq!(AgeBand::of_age(17), AgeBand::From15To17);
        assert_eq!(AgeBand::of_age(18), AgeBand::EighteenOrOver);
    }

    #[test]
    fn periods_and_their_codes() {
        let d = NaiveDate::from_ymd_opt(2026, 5, 17).expect("date");
        assert_eq!(Label::Period(Period::of(d, Granularity::Year)).code(), "2026");
        assert_eq!(
            Label::Period(Period::of(d, Granularity::Quarter)).code(),
            "2026-Q2"
        );
        assert_eq!(Label::Period(Period::of(d, Granularity::Month)).code(), "2026-05");
    }

    #[test]
    fn invalid_country_codes_become_unknown() {
        assert_eq!(
            Nationality::from_code(&CountryCode::new("af")),
            Nationality::Country(*b"AF")
        );
        assert_eq!(
            Nationality::from_code(&CountryCode::new("ZZ")),
            Nationality::Unknown
        );
        assert_eq!(
            Nationality::from_code(&CountryCode::new("Ahmad")),
            Nationality::Unknown
        );
    }

    #[test]
    fn whole_years_counts_birthdays() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).expect("date");
        assert_eq!(whole_years(d(2010, 6, 1), d(2026, 5, 31)), Some(15));
        assert_eq!(whole_years(d(2010, 6, 1), d(2026, 6, 1)), Some(16));
        assert_eq!(whole_years(d(2027, 1, 1), d(2026, 6, 1)), None);
    }
}
