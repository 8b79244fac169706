//! The comparison features of a record as tokens, per [`Feature`].
//!
//! The tokens come from the matching engine's prepared record
//! ([`MatchRecord`]), so they inherit its normalisation and
//! transliteration: an Arabic-script name and its Latin rendering share
//! their consonant skeletons (محمد and Mohammed are both `mhmd`), Cyrillic
//! names are transliterated two ways, Ge'ez through its syllables, Latin
//! names are accent- and case-folded with spelling alternatives. Each
//! feature is hashed with its own key, so equal text in two features never
//! sets the same bits by design; within a feature a tag byte keeps token
//! kinds apart (a street bigram `12` is not house number `12`).

use chrono::Datelike;
use kinlink_core::Sex;
use kinlink_match::link::{BirthPrecision, MatchRecord};
use kinlink_match::names::NameKey;

/// A kind of token, hashed with its own key and its own number of hash
/// functions (its weight, see [`Schema`](crate::Schema)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum Feature {
    /// Bigrams of the spellings of name tokens written in a script that
    /// writes its vowels (folded Latin and its alternatives,
    /// transliterated Cyrillic and Ge'ez), padded at both ends: they tell
    /// Hassan from Hussein. Arabic-script tokens have none (their letters
    /// never meet a Latin spelling's; their skeletons do).
    NameBigram,
    /// Bigrams of the consonant skeletons of every name token, padded: the
    /// same on both sides of a transliteration, partly the same when a
    /// consonant differs.
    SkeletonBigram,
    /// Consonant skeletons of every name token, one per reading: the bridge
    /// between scripts and transliterations.
    NameSkeleton,
    /// Double Metaphone codes of the name tokens written with vowels.
    NamePhonetic,
    /// Skeletons of the given name alone (tells siblings apart).
    Given,
    /// Each calendar year the birth interval touches (at most 4).
    BirthYear,
    /// Two-year windows (year, year + 1) the birth years fall in: a year
    /// off by one still agrees on one window.
    BirthWindow,
    /// Year and month, when known to the month.
    BirthMonth,
    /// Year, month and day, when known to the day.
    BirthDay,
    /// Sex, when known.
    Sex,
    /// Country of origin.
    Country,
    /// Place of origin: skeletons and bigrams of its Latin rendering.
    Origin,
    /// Skeletons of the mother's and father's first names.
    Parents,
    /// Identity document numbers: the whole number and its bigrams.
    Document,
    /// Last known address: street bigrams, house number, postcode.
    Address,
}

impl Feature {
    /// Every feature, in discriminant order.
    pub const ALL: [Feature; 15] = [
        Feature::NameBigram,
        Feature::SkeletonBigram,
        Feature::NameSkeleton,
        Feature::NamePhonetic,
        Feature::Given,
        Feature::BirthYear,
        Feature::BirthWindow,
        Feature::BirthMonth,
        Feature::BirthDay,
        Feature::Sex,
        Feature::Country,
        Feature::Origin,
        Feature::Parents,
        Feature::Document,
        Feature::Address,
    ];

    /// Number of features.
    pub const COUNT: usize = Feature::ALL.len();

    /// A stable label (key derivation and documentation).
    pub fn label(self) -> &'static str {
        match self {
            Feature::NameBigram => "name-bigram",
            Feature::SkeletonBigram => "skeleton-bigram",
            Feature::NameSkeleton => "name-skeleton",
            Feature::NamePhonetic => "name-phonetic",
            Feature::Given => "given",
            Feature::BirthYear => "birth-year",
            Feature::BirthWindow => "birth-window",
            Feature::BirthMonth => "birth-month",
            Feature::BirthDay => "birth-day",
            Feature::Sex => "sex",
            Feature::Country => "country",
            Feature::Origin => "origin",
            Feature::Parents => "parents",
            Feature::Document => "document",
            Feature::Address => "address",
        }
    }
}

/// Most birth years a record contributes (an age estimate spans three).
const MAX_BIRTH_YEARS: usize = 4;

/// Calls `sink(feature, token)` for every token of `record`. A token may
/// come more than once (a Bloom filter ignores repeats). The bytes passed
/// are personal data: hash them, never keep or log them.
pub fn for_each_token(record: &MatchRecord, sink: &mut impl FnMut(Feature, &[u8])) {
    let mut t = Tokens {
        buf: Vec::with_capacity(64),
        sink,
    };
    for token in record.name.tokens() {
        if token.is_vocalised() {
            for form in token.forms() {
                t.bigrams(Feature::NameBigram, b'n', form);
            }
        }
        for s in token.skeletons() {
            t.whole(Feature::NameSkeleton, b's', s.as_str().as_bytes());
            t.bigrams(Feature::SkeletonBigram, b'b', s.as_str());
        }
        for code in token.phonetic_codes() {
            t.whole(Feature::NamePhonetic, b'p', code.as_bytes());
        }
    }
    t.skeletons(Feature::Given, b'g', &record.given, usize::MAX);

    if let Some(birth) = record.birth {
        let years = birth.years(MAX_BIRTH_YEARS);
        for &y in &years {
            t.whole(Feature::BirthYear, b'y', format!("{y}").as_bytes());
        }
        if let (Some(&first), Some(&last)) = (years.first(), years.last()) {
            for w in first - 1..=last {
                t.whole(Feature::BirthWindow, b'w', format!("{w}").as_bytes());
            }
        }
        let d = birth.interval.earliest;
        match birth.precision {
            BirthPrecision::Day => {
                t.whole(
                    Feature::BirthMonth,
                    b'm',
                    format!("{}-{}", d.year(), d.month()).as_bytes(),
                );
                let day = format!("{}-{}-{}", d.year(), d.month(), d.day());
                t.whole(Feature::BirthDay, b'd', day.as_bytes());
            }
            BirthPrecision::Month => {
                t.whole(
                    Feature::BirthMonth,
                    b'm',
                    format!("{}-{}", d.year(), d.month()).as_bytes(),
                );
            }
            BirthPrecision::Year | BirthPrecision::Placeholder | BirthPrecision::Estimate => {}
        }
    }
    if let Some(sex) = record.sex {
        let s: &[u8] = match sex {
            Sex::Female => b"f",
            Sex::Male => b"m",
            Sex::Other | Sex::Unknown => b"o",
        };
        t.whole(Feature::Sex, b'x', s);
    }
    if let Some(c) = &record.country {
        t.whole(Feature::Country, b'c', c.as_bytes());
    }
    for token in record.origin.tokens() {
        for s in token.skeletons() {
            t.whole(Feature::Origin, b's', s.as_str().as_bytes());
        }
        t.bigrams(Feature::Origin, b'b', token.latin());
    }
    t.skeletons(Feature::Parents, b'm', &record.mother, 1);
    t.skeletons(Feature::Parents, b'f', &record.father, 1);
    for doc in &record.documents {
        t.whole(Feature::Document, b'n', doc.number.as_bytes());
        t.bigrams(Feature::Document, b'b', &doc.number);
    }
    for token in record.street.tokens() {
        t.bigrams(Feature::Address, b's', token.latin());
    }
    if let Some(h) = &record.house_number {
        t.whole(Feature::Address, b'h', h.as_bytes());
    }
    if let Some(p) = &record.postcode {
        t.whole(Feature::Address, b'p', p.as_bytes());
        t.bigrams(Feature::Address, b'q', p);
    }
}

/// Every token of `record` as `(feature, bytes)`, for tests and inspection.
pub fn tokens(record: &MatchRecord) -> Vec<(Feature, Vec<u8>)> {
    let mut out = Vec::new();
    for_each_token(record, &mut |f, b| out.push((f, b.to_vec())));
    out
}

struct Tokens<'a, F> {
    buf: Vec<u8>,
    sink: &'a mut F,
}

impl<F: FnMut(Feature, &[u8])> Tokens<'_, F> {
    fn whole(&mut self, feature: Feature, tag: u8, text: &[u8]) {
        if text.is_empty() {
            return;
        }
        self.buf.clear();
        self.buf.push(tag);
        self.buf.extend_from_slice(text);
        (self.sink)(feature, &self.buf);
    }

    /// Bigrams of `text` padded with `_` at both ends (`_m`, `mo`, … `d_`),
    /// as clkhash does: the padding marks first and last letters.
    fn bigrams(&mut self, feature: Feature, tag: u8, text: &str) {
        if text.is_empty() {
            return;
        }
        let mut prev = '_';
        for c in text.chars().chain(std::iter::once('_')) {
            self.buf.clear();
            self.buf.push(tag);
            let mut tmp = [0u8; 4];
            self.buf.extend_from_slice(prev.encode_utf8(&mut tmp).as_bytes());
            self.buf.extend_from_slice(c.encode_utf8(&mut tmp).as_bytes());
            (self.sink)(feature, &self.buf);
            prev = c;
        }
    }

    fn skeletons(&mut self, feature: Feature, tag: u8, key: &NameKey, max_tokens: usize) {
        for token in key.tokens().iter().take(max_tokens) {
            for s in token.skeletons() {
                self.whole(feature, tag, s.as_str().as_bytes());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kinlink_core::{Calendar, CalendarDate, ChildIdentity, PartialDate, PersonName, WrittenName};

    fn record(given: &str, birth: Option<PartialDate>) -> MatchRecord {
        let identity = ChildIdentity {
            names: PersonName {
                given: Some(WrittenName::new(given)),
                ..PersonName::default()
            },
            date_of_birth: birth.map(|b| CalendarDate::new(b, Calendar::Gregorian)),
            ..ChildIdentity::default()
        };
        MatchRecord::new(&identity, None)
    }

    fn of(r: &MatchRecord, feature: Feature) -> Vec<String> {
        let mut v: Vec<String> = tokens(r)
            .into_iter()
            .filter(|(f, _)| *f == feature)
            .map(|(_, t)| String::from_utf8_lossy(&t).into_owned())
            .collect();
        v.sort();
        v.dedup();
        v
    }

    #[test]
    fn bigrams_are_padded_and_tagged() {
        let r = record("Ali", None);
        assert_eq!(of(&r, Feature::NameBigram), ["n_a", "nal", "ni_", "nli"]);
        // Arabic script writes no vowels: skeletons, no spelling bigrams.
        let r = record("علي", None);
        assert!(of(&r, Feature::NameBigram).is_empty());
        assert!(!of(&r, Feature::NameSkeleton).is_empty());
        assert!(!of(&r, Feature::SkeletonBigram).is_empty());
    }

    #[test]
    fn birth_tokens_follow_the_precision() {
        let day = record("Ali", Some(PartialDate::full(2014, 3, 5)));
        assert_eq!(of(&day, Feature::BirthYear), ["y2014"]);
        assert_eq!(of(&day, Feature::BirthWindow), ["w2013", "w2014"]);
        assert_eq!(of(&day, Feature::BirthMonth), ["m2014-3"]);
        assert_eq!(of(&day, Feature::BirthDay), ["d2014-3-5"]);
        let month = record("Ali", Some(PartialDate::year_month(2014, 3)));
        assert_eq!(of(&month, Feature::BirthMonth), ["m2014-3"]);
        assert!(of(&month, Feature::BirthDay).is_empty());
        let year = record("Ali", Some(PartialDate::year(2014)));
        assert_eq!(of(&year, Feature::BirthYear), ["y2014"]);
        assert!(of(&year, Feature::BirthMonth).is_empty());
        // A year off by one still shares a window.
        let next = record("Ali", Some(PartialDate::year(2015)));
        assert_eq!(of(&next, Feature::BirthWindow), ["w2014", "w2015"]);
        assert!(of(&record("Ali", None), Feature::BirthYear).is_empty());
    }

    #[test]
    fn every_feature_has_a_distinct_label() {
        let mut labels: Vec<&str> = Feature::ALL.iter().map(|f| f.label()).collect();
        labels.sort();
        labels.dedup();
        assert_eq!(labels.len(), Feature::COUNT);
        for (i, f) in Feature::ALL.iter().enumerate() {
            assert_eq!(*f as usize, i);
        }
    }
}
