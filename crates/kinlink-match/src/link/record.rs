//! [`MatchRecord`]: one child's identity prepared for matching, computed
//! once per record (name keys, birth interval and its precision, places,
//! parents, languages, blocking keys).

use chrono::{Datelike, NaiveDate};
use kinlink_core::{ChildIdentity, DateInterval, DocumentKind, PersonName, Place, Relation, Sex};

use crate::names::{MAX_SKELETON, NameKey, TokenInterner};

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
    /// Sorted and deduplicated; built without allocating a string per key.
    pub fn blocking_keys(&self) -> Vec<BlockKey> {
        let mut keys = Vec::new();
        self.blocking_keys_into(&mut keys);
        keys
    }

    /// [`MatchRecord::blocking_keys`] into a reused buffer (cleared first).
    pub fn blocking_keys_into(&self, keys: &mut Vec<BlockKey>) {
        keys.clear();
        let years = self.birth.map_or_else(Vec::new, |b| b.years(6));
        let mut push = |kind: KeyKind, key: &NameKey, first_only: bool, years: Option<&[i32]>| {
            let take = if first_only { 1 } else { key.tokens().len() };
            for t in key.tokens().iter().take(take) {
                for s in t.skeletons() {
                    let text = s.as_str().as_bytes();
                    if text.is_empty() {
                        continue;
                    }
                    let base = BlockKey::new(kind, text, 0);
                    match years {
                        None => keys.push(base),
                        Some(years) => keys.extend(years.iter().map(|&y| base.with_year(y))),
                    }
                }
            }
        };
        push(KeyKind::Given, &self.given, false, None);
        push(KeyKind::GivenYear, &self.given, false, Some(&years));
        push(KeyKind::Family, &self.family, false, None);
        push(KeyKind::Mother, &self.mother, true, None);
        push(KeyKind::Father, &self.father, true, None);
        push(KeyKind::OriginYear, &self.origin, true, Some(&years));
        for d in &self.documents {
            if d.number.chars().count() >= MIN_DOCUMENT_KEY_CHARS {
                keys.push(BlockKey::new(KeyKind::Document, d.number.as_bytes(), 0));
            }
        }
        if let (Some(postcode), Some(house)) = (&self.postcode, &self.house_number) {
            let text = format!("{postcode}:{house}");
            keys.push(BlockKey::new(KeyKind::PostcodeHouse, text.as_bytes(), 0));
        }
        keys.sort_unstable();
        keys.dedup();
    }

    /// Makes the record's name tokens share the interner's copies (see
    /// [`TokenInterner`]): an index of many records then holds each distinct
    /// token once. Comparisons are unchanged. A `NameKey` field added to
    /// the record belongs here and in [`MatchRecord::release`].
    pub fn intern(&mut self, interner: &mut TokenInterner) {
        for key in [
            &mut self.name,
            &mut self.given,
            &mut self.family,
            &mut self.origin,
            &mut self.separation_place,
            &mut self.mother,
            &mut self.father,
            &mut self.street,
        ] {
            key.intern(interner);
        }
    }

    /// Lets the interner drop the tokens only this record still uses.
    pub fn release(&self, interner: &mut TokenInterner) {
        for key in [
            &self.name,
            &self.given,
            &self.family,
            &self.origin,
            &self.separation_place,
            &self.mother,
            &self.father,
            &self.street,
        ] {
            key.release(interner);
        }
    }
}

/// What a blocking key is built on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u8)]
pub enum KeyKind {
    /// A skeleton of the given name.
    Given,
    /// A skeleton of the given name and a year of birth.
    GivenYear,
    /// A skeleton of the family name.
    Family,
    /// The mother's first name's skeleton.
    Mother,
    /// The father's first name's skeleton.
    Father,
    /// The place of origin's first skeleton and a year of birth.
    OriginYear,
    /// A normalised identity document number (its first bytes).
    Document,
    /// The last known address's postcode and house number.
    PostcodeHouse,
}

impl KeyKind {
    /// The field the key is evidence on (given name with and without the
    /// year being one field), for weighted meta-blocking.
    pub fn field(self) -> u8 {
        match self {
            KeyKind::Given | KeyKind::GivenYear => 0,
            KeyKind::Family => 1,
            KeyKind::Mother => 2,
            KeyKind::Father => 3,
            KeyKind::OriginYear => 4,
            KeyKind::Document => 5,
            KeyKind::PostcodeHouse => 6,
        }
    }

    fn prefix(self) -> &'static str {
        match self {
            KeyKind::Given => "g",
            KeyKind::GivenYear => "gy",
            KeyKind::Family => "f",
            KeyKind::Mother => "m",
            KeyKind::Father => "p",
            KeyKind::OriginYear => "oy",
            KeyKind::Document => "d",
            KeyKind::PostcodeHouse => "ph",
        }
    }
}

/// A blocking key: a kind, a consonant skeleton and, for some kinds, a
/// year. Fixed size, no heap; shown as `g:mhmd`, `gy:mhmd:2012`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct BlockKey {
    kind: KeyKind,
    len: u8,
    text: [u8; MAX_SKELETON],
    year: i32,
}

impl BlockKey {
    fn new(kind: KeyKind, text: &[u8], year: i32) -> BlockKey {
        let len = text.len().min(MAX_SKELETON);
        let mut buf = [0u8; MAX_SKELETON];
        buf[..len].copy_from_slice(&text[..len]);
        BlockKey {
            kind,
            len: len as u8,
            text: buf,
            year,
        }
    }

    fn with_year(mut self, year: i32) -> BlockKey {
        self.year = year;
        self
    }

    /// What the key is built on.
    pub fn kind(&self) -> KeyKind {
        self.kind
    }
}

impl std::fmt::Display for BlockKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let text = String::from_utf8_lossy(&self.text[..self.len as usize]);
        match self.kind {
            KeyKind::GivenYear | KeyKind::OriginYear => {
                write!(f, "{}:{text}:{}", self.kind.prefix(), self.year)
            }
            _ => write!(f, "{}:{text}", self.kind.prefix()),
        }
    }
}
