//! Field comparisons: each field of two [`MatchRecord`]s is reduced to a
//! small level (an index into the model's m and u tables). Level 0 of every
//! field is "missing on one side", which carries no evidence (weight 0).

use kinlink_core::DateInterval;

use super::record::{Birth, BirthPrecision, MatchRecord};
use crate::names::{Level, NameKey, compare_names};

/// The compared fields, in comparison-vector order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    /// Given name.
    Given,
    /// Family name, or the whole name when that agrees better.
    Family,
    /// Sex.
    Sex,
    /// Birth interval.
    Birth,
    /// Country of origin.
    Country,
    /// Place of origin.
    Origin,
    /// Separation place.
    SeparationPlace,
    /// Separation date.
    SeparationDate,
    /// Mother's name.
    Mother,
    /// Father's name.
    Father,
    /// Languages (compared only when a country of origin is missing).
    Languages,
}

impl Field {
    /// Every field, in vector order.
    pub const ALL: [Field; N_FIELDS] = [
        Field::Given,
        Field::Family,
        Field::Sex,
        Field::Birth,
        Field::Country,
        Field::Origin,
        Field::SeparationPlace,
        Field::SeparationDate,
        Field::Mother,
        Field::Father,
        Field::Languages,
    ];

    /// Stable name (for explanations and reports).
    pub fn name(self) -> &'static str {
        match self {
            Field::Given => "given_name",
            Field::Family => "family_name",
            Field::Sex => "sex",
            Field::Birth => "birth",
            Field::Country => "country_of_origin",
            Field::Origin => "place_of_origin",
            Field::SeparationPlace => "separation_place",
            Field::SeparationDate => "separation_date",
            Field::Mother => "mother_name",
            Field::Father => "father_name",
            Field::Languages => "languages",
        }
    }

    /// Names of the levels, index = level (0 is always `missing`).
    pub fn levels(self) -> &'static [&'static str] {
        match self {
            Field::Given | Field::Family | Field::Mother | Field::Father => NameLevel::NAMES,
            Field::Sex | Field::Country => &["missing", "disagree", "agree"],
            Field::Birth => BirthLevel::NAMES,
            Field::Origin | Field::SeparationPlace => &["missing", "different", "close", "strong"],
            Field::SeparationDate => &["missing", "far", "within_90_days", "overlap"],
            Field::Languages => &["missing", "disjoint", "overlap"],
        }
    }

    /// Whether agreement on this field gets a term-frequency adjustment.
    pub fn has_tf(self) -> bool {
        matches!(self, Field::Given | Field::Family)
    }
}

/// Number of compared fields.
pub const N_FIELDS: usize = 11;

/// A comparison vector: one level per field.
pub type Levels = [u8; N_FIELDS];

/// Name agreement, from the weakest token pair and the overall similarity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u8)]
pub enum NameLevel {
    /// Empty on one side.
    Missing = 0,
    /// No token connects them.
    Different = 1,
    /// Related but different (Hassan/Hussein), an initial, or many tokens in conflict.
    Somewhat = 2,
    /// Typo-close (Jaro–Winkler).
    Close = 3,
    /// Same skeleton, Double Metaphone or nickname group: the same name in
    /// another script or spelling.
    Strong = 4,
    /// Same after normalisation.
    Exact = 5,
}

impl NameLevel {
    const NAMES: &'static [&'static str] = &["missing", "different", "somewhat", "close", "strong", "exact"];

    /// Compares two names.
    pub fn of(a: &NameKey, b: &NameKey) -> NameLevel {
        if a.is_empty() || b.is_empty() {
            return NameLevel::Missing;
        }
        let c = compare_names(a, b);
        let Some(weakest) = c.weakest() else {
            return NameLevel::Different;
        };
        let level = match weakest {
            Level::Exact | Level::Normalised => NameLevel::Exact,
            Level::Skeleton | Level::Phonetic | Level::Nickname => NameLevel::Strong,
            Level::Close => NameLevel::Close,
            Level::Somewhat | Level::Initial => NameLevel::Somewhat,
            Level::Different => NameLevel::Different,
        };
        // Tokens in conflict (unpaired on both sides) pull the similarity down.
        let cap = if c.similarity < 0.5 {
            NameLevel::Somewhat
        } else if c.similarity < 0.75 {
            NameLevel::Close
        } else {
            NameLevel::Exact
        };
        level.min(cap)
    }
}

/// Birth agreement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u8)]
pub enum BirthLevel {
    /// Unknown on one side.
    Missing = 0,
    /// More than three years apart.
    Far = 1,
    /// One to three years apart.
    Within3Years = 2,
    /// Up to a year apart.
    WithinYear = 3,
    /// Overlapping, at least one side vague (year, estimate, placeholder).
    OverlapBroad = 4,
    /// Overlapping, both sides to the month or closer, not the same day.
    OverlapNarrow = 5,
    /// Both full dates, same day.
    SameDay = 6,
}

impl BirthLevel {
    const NAMES: &'static [&'static str] = &[
        "missing",
        "far",
        "within_3_years",
        "within_year",
        "overlap_broad",
        "overlap_narrow",
        "same_day",
    ];

    /// Compares two birth intervals (Gregorian, whatever calendar they came in).
    pub fn of(a: Option<&Birth>, b: Option<&Birth>) -> BirthLevel {
        let (Some(a), Some(b)) = (a, b) else {
            return BirthLevel::Missing;
        };
        let gap = a.interval.gap_days(&b.interval);
        if gap > 0 {
            return if gap <= 366 {
                BirthLevel::WithinYear
            } else if gap <= 3 * 366 {
                BirthLevel::Within3Years
            } else {
                BirthLevel::Far
            };
        }
        let precise = |p: BirthPrecision| matches!(p, BirthPrecision::Day | BirthPrecision::Month);
        if a.precision == BirthPrecision::Day && b.precision == BirthPrecision::Day {
            // Overlapping single days: the same day.
            BirthLevel::SameDay
        } else if precise(a.precision)
            && precise(b.precision)
            && a.interval.days().max(b.interval.days()) <= 62
        {
            BirthLevel::OverlapNarrow
        } else {
            BirthLevel::OverlapBroad
        }
    }
}

fn agree<T: PartialEq>(a: Option<&T>, b: Option<&T>) -> u8 {
    match (a, b) {
        (Some(a), Some(b)) if a == b => 2,
        (Some(_), Some(_)) => 1,
        _ => 0,
    }
}

fn place_level(a: &NameKey, b: &NameKey) -> u8 {
    match NameLevel::of(a, b) {
        NameLevel::Missing => 0,
        NameLevel::Different | NameLevel::Somewhat => 1,
        NameLevel::Close => 2,
        NameLevel::Strong | NameLevel::Exact => 3,
    }
}

fn date_level(a: Option<&DateInterval>, b: Option<&DateInterval>) -> u8 {
    match (a, b) {
        (Some(a), Some(b)) => match a.gap_days(b) {
            0 => 3,
            1..=90 => 2,
            _ => 1,
        },
        _ => 0,
    }
}

/// Given and family name levels. The family names are compared, or the
/// whole names when that is better or a side has no family name (name
/// chains, the family name holding the father's name). When the whole
/// names agree but the given names do not, the given name was written in
/// another field (surname first, given and family swapped, the given name
/// among the other names): the given name then counts as the whole names'
/// agreement. A sibling's whole name has a given name of its own, in
/// conflict, so its whole-name agreement stays below `Strong`.
fn name_levels(a: &MatchRecord, b: &MatchRecord) -> (NameLevel, NameLevel) {
    let direct_given = NameLevel::of(&a.given, &b.given);
    let direct_family = NameLevel::of(&a.family, &b.family);
    // Never above `Strong`: the order of the parts is not the recorded one.
    let whole = NameLevel::of(&a.name, &b.name).min(NameLevel::Strong);
    let family = if direct_family == NameLevel::Missing || whole > direct_family {
        whole
    } else {
        direct_family
    };
    let given = if direct_given != NameLevel::Missing && whole == NameLevel::Strong {
        direct_given.max(whole)
    } else {
        direct_given
    };
    (given, family)
}

/// The comparison vector of two records. Symmetric in its arguments except
/// where the names module's alignment is (it is symmetric by design).
pub fn compare(a: &MatchRecord, b: &MatchRecord) -> Levels {
    // Languages stand in for the origin when a country is unknown; with both
    // countries known they would count the same evidence twice.
    let both_countries = a.country.is_some() && b.country.is_some();
    let languages = if both_countries || a.languages.is_empty() || b.languages.is_empty() {
        0
    } else if a.languages.iter().any(|l| b.languages.binary_search(l).is_ok()) {
        2
    } else {
        1
    };
    let (given, family) = name_levels(a, b);
    [
        given as u8,
        family as u8,
        agree(a.sex.as_ref(), b.sex.as_ref()),
        BirthLevel::of(a.birth.as_ref(), b.birth.as_ref()) as u8,
        agree(a.country.as_ref(), b.country.as_ref()),
        place_level(&a.origin, &b.origin),
        place_level(&a.separation_place, &b.separation_place),
        date_level(a.separation_date.as_ref(), b.separation_date.as_ref()),
        NameLevel::of(&a.mother, &b.mother) as u8,
        NameLevel::of(&a.father, &b.father) as u8,
        languages,
    ]
}

/// Whether a compared pair looks like two siblings rather than one child:
/// the family agrees (family name or a parent's name) but the given name
/// conflicts. Birth is not required to differ: twins share it, and an age
/// estimate widened by the error of age assessment overlaps a sibling's
/// year of birth as easily as the child's own.
pub fn looks_like_sibling(levels: &Levels) -> bool {
    let strong = NameLevel::Strong as u8;
    let family = levels[1] >= strong || levels[8] >= strong || levels[9] >= strong;
    let given_conflict = levels[0] == NameLevel::Different as u8 || levels[0] == NameLevel::Somewhat as u8;
    family && given_conflict
}
