//! Field comparisons: each field of two [`MatchRecord`]s is reduced to a
//! small level (an index into the model's m and u tables). Level 0 of every
//! field is "missing on one side", which carries no evidence (weight 0).

use kinlink_core::DateInterval;

use super::record::{Birth, BirthPrecision, DocumentKey, MatchRecord};
use crate::names::{Level, NameKey, TokenMemo, compare_names_with};

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
    /// Identity document numbers (the best-agreeing comparable pair).
    Document,
    /// Street of the last known address.
    Street,
    /// House number of the last known address.
    HouseNumber,
    /// Postcode of the last known address.
    Postcode,
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
        Field::Document,
        Field::Street,
        Field::HouseNumber,
        Field::Postcode,
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
            Field::Document => "document_number",
            Field::Street => "address_street",
            Field::HouseNumber => "address_number",
            Field::Postcode => "postcode",
        }
    }

    /// Names of the levels, index = level (0 is always `missing`).
    pub fn levels(self) -> &'static [&'static str] {
        match self {
            Field::Given | Field::Family | Field::Mother | Field::Father => NameLevel::NAMES,
            Field::Sex | Field::Country | Field::HouseNumber => &["missing", "disagree", "agree"],
            Field::Birth => BirthLevel::NAMES,
            Field::Origin | Field::SeparationPlace | Field::Street => {
                &["missing", "different", "close", "strong"]
            }
            Field::Document | Field::Postcode => &["missing", "different", "one_edit", "exact"],
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
pub const N_FIELDS: usize = 15;

/// Index of the document field and its `exact` level.
const DOCUMENT: usize = 11;
const DOCUMENT_EXACT: u8 = 3;

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
        NameLevel::of_with(a, b, &mut TokenMemo::off())
    }

    /// [`NameLevel::of`], with token comparisons remembered in `memo`.
    pub fn of_with<'t>(a: &'t NameKey, b: &'t NameKey, memo: &mut TokenMemo<'t>) -> NameLevel {
        if a.is_empty() || b.is_empty() {
            return NameLevel::Missing;
        }
        let c = compare_names_with(a, b, memo);
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

fn place_level<'t>(a: &'t NameKey, b: &'t NameKey, memo: &mut TokenMemo<'t>) -> u8 {
    match NameLevel::of_with(a, b, memo) {
        NameLevel::Missing => 0,
        NameLevel::Different | NameLevel::Somewhat => 1,
        NameLevel::Close => 2,
        NameLevel::Strong | NameLevel::Exact => 3,
    }
}

/// Whether two strings are at most one edit apart: a substitution, an
/// insertion or deletion, or two adjacent characters swapped.
pub(crate) fn within_one_edit(a: &str, b: &str) -> bool {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let (short, long) = if a.len() <= b.len() { (&a, &b) } else { (&b, &a) };
    if long.len() - short.len() > 1 {
        return false;
    }
    let prefix = short.iter().zip(long.iter()).take_while(|(x, y)| x == y).count();
    if prefix == short.len() {
        return true;
    }
    if short.len() == long.len() {
        let substituted = short[prefix + 1..] == long[prefix + 1..];
        let swapped = prefix + 1 < short.len()
            && short[prefix] == long[prefix + 1]
            && short[prefix + 1] == long[prefix]
            && short[prefix + 2..] == long[prefix + 2..];
        substituted || swapped
    } else {
        short[prefix..] == long[prefix + 1..]
    }
}

/// Exact, one edit apart, or different; missing when either is unknown.
fn code_level(a: Option<&String>, b: Option<&String>) -> u8 {
    match (a, b) {
        (Some(a), Some(b)) if a == b => 3,
        (Some(a), Some(b)) if within_one_edit(a, b) => 2,
        (Some(_), Some(_)) => 1,
        _ => 0,
    }
}

/// The best agreement between two records' documents. The same number is
/// `exact` whatever the kinds (a UNHCR number noted as "other"); numbers
/// that differ count against a match only for documents of the same kind
/// and issuing country (or a country unknown on a side): a child's passport
/// number says nothing about their birth certificate's.
fn document_level(a: &[DocumentKey], b: &[DocumentKey]) -> u8 {
    let mut best = 0;
    for x in a {
        for y in b {
            let level = if x.number == y.number {
                3
            } else if x.kind == y.kind
                && (x.country.is_none() || y.country.is_none() || x.country == y.country)
            {
                if within_one_edit(&x.number, &y.number) {
                    2
                } else {
                    1
                }
            } else {
                0
            };
            best = best.max(level);
        }
    }
    best
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
fn name_levels<'t>(
    a: &'t MatchRecord,
    b: &'t MatchRecord,
    memo: &mut TokenMemo<'t>,
) -> (NameLevel, NameLevel) {
    let direct_given = NameLevel::of_with(&a.given, &b.given, memo);
    let direct_family = NameLevel::of_with(&a.family, &b.family, memo);
    // Never above `Strong`: the order of the parts is not the recorded one.
    let whole = NameLevel::of_with(&a.name, &b.name, memo).min(NameLevel::Strong);
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
    compare_with(a, b, &mut TokenMemo::off())
}

/// [`compare`], with token comparisons remembered in `memo`: for one record
/// compared with many (a query and its candidates). Same result.
pub fn compare_with<'t>(a: &'t MatchRecord, b: &'t MatchRecord, memo: &mut TokenMemo<'t>) -> Levels {
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
    let (given, family) = name_levels(a, b, memo);
    [
        given as u8,
        family as u8,
        agree(a.sex.as_ref(), b.sex.as_ref()),
        BirthLevel::of(a.birth.as_ref(), b.birth.as_ref()) as u8,
        agree(a.country.as_ref(), b.country.as_ref()),
        place_level(&a.origin, &b.origin, memo),
        place_level(&a.separation_place, &b.separation_place, memo),
        date_level(a.separation_date.as_ref(), b.separation_date.as_ref()),
        NameLevel::of_with(&a.mother, &b.mother, memo) as u8,
        NameLevel::of_with(&a.father, &b.father, memo) as u8,
        languages,
        document_level(&a.documents, &b.documents),
        place_level(&a.street, &b.street, memo),
        agree(a.house_number.as_ref(), b.house_number.as_ref()),
        code_level(a.postcode.as_ref(), b.postcode.as_ref()),
    ]
}

/// Whether a compared pair looks like two siblings rather than one child:
/// the family agrees (family name or a parent's name) but the given name
/// conflicts. Birth is not required to differ: twins share it, and an age
/// estimate widened by the error of age assessment overlaps a sibling's
/// year of birth as easily as the child's own. The same identity document
/// number rules a sibling out: siblings share a family name, parents and an
/// address, never a document (a number one edit away may be a sibling's,
/// issued the same day, so only an exact number counts).
pub fn looks_like_sibling(levels: &Levels) -> bool {
    if levels[DOCUMENT] == DOCUMENT_EXACT {
        return false;
    }
    let strong = NameLevel::Strong as u8;
    let family = levels[1] >= strong || levels[8] >= strong || levels[9] >= strong;
    let given_conflict = levels[0] == NameLevel::Different as u8 || levels[0] == NameLevel::Somewhat as u8;
    family && given_conflict
}
