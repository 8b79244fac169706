//! [`MatchRecord`]: one child's identity prepared for matching, computed
//! once per record (name keys, birth interval and its precision, places,
//! parents, languages, blocking keys).

use chrono::{Datelike, NaiveDate};
use kinlink_core::{ChildIdentity, DateInterval, DocumentKind, PersonName, Place, Relation, Sex};

use crate::names::NameKey;

/// Age assessments are often a year or more off: an estimated birth interval
/// is widened by this many days on each side.
pub const AGE_ESTIMATE_SLACK_DAYS: i64 = 365;

/// How precisely the birth date is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BirthPrecision {
    /// A full date.
    Day,
    /// Year and month.
    Month,
    /// Year only.
    Year,
    /// A full date on 1 January: most often a registration stand-in for
    /// "year known", so read as the whole year.
    Placeholder,
    /// From an age estimate, widened by [`AGE_ESTIMATE_SLACK_DAYS`].
    Estimate,
}

/// The birth dates a record allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Birth {
    /// Gregorian span of possible birth days.
    pub interval: DateInterval,
    /// How it was given.
    pub precision: BirthPrecision,
}

impl Birth {
    /// The birth interval of an identity: the date of birth when it can be
    /// read (in its calendar), else the age estimate. `None` when neither can.
    pub fn of(identity: &ChildIdentity) -> Option<Birth> {
        if let Some(date) = &identity.date_of_birth {
            let value = date.value;
            let january_first = value.month == Some(1) && value.day == Some(1);
            let precision = if date.placeholder
                || (january_first && date.calendar == kinlink_core::Calendar::Gregorian)
            {
                BirthPrecision::Placeholder
            } else if value.day.is_some() {
                BirthPrecision::Day
            } else if value.month.is_some() {
                BirthPrecision::Month
            } else {
                BirthPrecision::Year
            };
            let interval = if precision == BirthPrecision::Placeholder {
                kinlink_core::PartialDate::year(value.year).gregorian_interval(date.calendar)
            } else {
                date.interval()
            };
            if let Ok(interval) = interval {
                return Some(Birth { interval, precision });
            }
        }
        let estimate = identity.age_estimate.as_ref()?;
        let interval = estimate.birth_interval().ok()?;
        let slack = chrono::Days::new(AGE_ESTIMATE_SLACK_DAYS as u64);
        Some(Birth {
            interval: DateInterval {
                earliest: interval
                    .earliest
                    .checked_sub_days(slack)
                    .unwrap_or(interval.earliest),
                latest: interval.latest.checked_add_days(slack).unwrap_or(interval.latest),
            },
            precision: BirthPrecision::Estimate,
        })
    }

    /// The calendar years the interval touches (at most `max`, else none:
    /// too vague to block on).
    pub fn years(&self, max: usize) -> Vec<i32> {
        let (a, b) = (self.interval.earliest.year(), self.interval.latest.year());
        if b < a || (b - a) as usize >= max {
            return Vec::new();
        }
        (a..=b).collect()
    }
}

/// An identity document prepared for comparison.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentKey {
    /// What kind of document.
    pub kind: DocumentKind,
    /// The number upper-cased, letters and digits only (no spaces, dashes, slashes, dots).
    pub number: String,
    /// Issuing country (ISO 3166-1 alpha-2, upper case).
    pub country: Option<String>,
}

/// A document number as compared: upper case, letters and digits only.
pub fn normalise_document_number(number: &str) -> String {
    number
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_uppercase)
        .collect()
}

/// A house number or postcode as compared: lower case, letters and digits only.
fn normalise_code(code: Option<&String>) -> Option<String> {
    let out: String = code?
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect();
    (!out.is_empty()).then_some(out)
}

/// Shortest normalised document number used as a blocking key (shorter
/// ones collide by chance).
const MIN_DOCUMENT_KEY_CHARS: usize = 4;

/// One record (a registered child, or the child a tracing request seeks)
/// prepared for comparison. Holds no raw text beyond the name keys'.
#[derive(Debug, Clone)]
pub struct MatchRecord {
    /// The whole name: given, family and other names.
    pub name: NameKey,
    /// Given name alone.
    pub given: NameKey,
    /// Family name alone.
    pub family: NameKey,
    /// Sex, when known (`Other` counts as known).
    pub sex: Option<Sex>,
    /// Birth interval and precision.
    pub birth: Option<Birth>,
    /// Country of origin (ISO 3166-1 alpha-2, upper case).
    pub country: Option<String>,
    /// Place of origin.
    pub origin: NameKey,
    /// Where the child was separated.
    pub separation_place: NameKey,
    /// When the child was separated.
    pub separation_date: Option<DateInterval>,
    /// Mother's name.
    pub mother: NameKey,
    /// Father's name.
    pub father: NameKey,
    /// Languages (ISO 639-1, lower case), sorted.
    pub languages: Vec<String>,
    /// Identity documents, numbers normalised.
    pub documents: Vec<DocumentKey>,
    /// Street of the last known address.
    pub street: NameKey,
    /// House number of the last known address, normalised.
    pub house_number: Option<String>,
    /// Postcode of the last known address, normalised.
    pub postcode: Option<String>,
    /// When the record was made (not compared; kept for callers).
    pub recorded_on: Option<NaiveDate>,
}

fn person_key(name: &PersonName) -> NameKey {
    let parts: Vec<&str> = name
        .full
        .iter()
        .chain(name.given.iter())
        .chain(name.family.iter())
        .chain(name.other.iter())
        .map(|w| w.original.as_str())
        .collect();
    NameKey::new(&parts.join(" "))
}

fn place_key(place: Option<&Place>) -> NameKey {
    let text = place
        .and_then(|p| p.locality.as_ref().or(p.admin_area.as_ref()))
        .map_or("", |w| w.original.as_str());
    NameKey::new(text)
}

impl MatchRecord {
    /// Prepares an identity. For a tracing request the identity is the
    /// sought child; its family members are the inquirer and the other parent.
    pub fn new(identity: &ChildIdentity, recorded_on: Option<NaiveDate>) -> MatchRecord {
        let names = &identity.names;
        let written = |w: &Option<kinlink_core::WrittenName>| {
            NameKey::new(w.as_ref().map_or("", |w| w.original.as_str()))
        };
        let parent = |relation: Relation| {
            identity
                .relative(relation)
                .map_or_else(|| NameKey::new(""), |m| person_key(&m.names))
        };
        let mut languages: Vec<String> = identity
            .languages
            .iter()
            .map(|l| l.as_str().trim().to_ascii_lowercase())
            .filter(|l| !l.is_empty())
            .collect();
        languages.sort();
        languages.dedup();
        let documents = identity
            .documents
            .iter()
            .map(|d| DocumentKey {
                kind: d.kind,
                number: normalise_document_number(&d.number),
                country: d
                    .issuing_country
                    .as_ref()
                    .map(|c| c.as_str().trim().to_ascii_uppercase())
                    .filter(|c| !c.is_empty()),
            })
            .filter(|d| !d.number.is_empty())
            .collect();
        let address = identity.last_address.as_ref();
        MatchRecord {
            name: person_key(names),
            given: written(&names.given),
            family: written(&names.family),
            sex: match identity.sex {
                Sex::Unknown => None,
                s => Some(s),
            },
            birth: Birth::of(identity),
            country: identity
                .country_of_origin
                .as_ref()
                .map(|c| c.as_str().trim().to_ascii_uppercase())
                .filter(|c| !c.is_empty()),
            origin: place_key(identity.place_of_origin.as_ref()),
            separation_place: place_key(identity.separation.as_ref().and_then(|s| s.place.as_ref())),
            separation_date: identity
                .separation
                .as_ref()
                .and_then(|s| s.date.as_ref())
                .and_then(|d| d.interval().ok()),
            mother: parent(Relation::Mother),
            father: parent(Relation::Father),
            languages,
            documents,
            street: NameKey::new(address.and_then(|a| a.street.as_deref()).unwrap_or("")),
            house_number: normalise_code(address.and_then(|a| a.house_number.as_ref())),
            postcode: normalise_code(address.and_then(|a| a.postcode.as_ref())),
            recorded_on,
        }
    }

    /// Blocking keys: records sharing a key are compared. Several keys are
    /// OR-ed so that one field written differently does not hide a match.
    pub fn blocking_keys(&self) -> Vec<String> {
        let mut keys = Vec::new();
        let skeletons = |key: &NameKey, first_only: bool| -> Vec<String> {
            let take = if first_only { 1 } else { key.tokens().len() };
            let mut out: Vec<String> = key
                .tokens()
                .iter()
                .take(take)
                .flat_map(|t| t.skeletons().iter().map(|s| s.as_str().to_owned()))
                .filter(|s| !s.is_empty())
                .collect();
            out.sort();
            out.dedup();
            out
        };
        let given = skeletons(&self.given, false);
        let years = self.birth.map_or_else(Vec::new, |b| b.years(6));
        for g in &given {
            keys.push(format!("g:{g}"));
            for y in &years {
                keys.push(format!("gy:{g}:{y}"));
            }
        }
        for f in skeletons(&self.family, false) {
            keys.push(format!("f:{f}"));
        }
        for m in skeletons(&self.mother, true) {
            keys.push(format!("m:{m}"));
        }
        for f in skeletons(&self.father, true) {
            keys.push(format!("p:{f}"));
        }
        for p in skeletons(&self.origin, true) {
            for y in &years {
                keys.push(format!("oy:{p}:{y}"));
            }
        }
        for d in &self.documents {
            if d.number.chars().count() >= MIN_DOCUMENT_KEY_CHARS {
                keys.push(format!("d:{}", d.number));
            }
        }
        if let (Some(postcode), Some(house)) = (&self.postcode, &self.house_number) {
            keys.push(format!("ph:{postcode}:{house}"));
        }
        keys.sort();
        keys.dedup();
        keys
    }
}
