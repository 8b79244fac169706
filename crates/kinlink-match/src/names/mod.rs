//! Name normalisation and comparison across scripts, transliterations and
//! spellings. Pure: no I/O, no global state beyond static tables.
//!
//! A relative looking for a child gives the name as they know it: in
//! Arabic script, Ge'ez or Cyrillic, or in one of many Latin spellings
//! (Mohammed, Muhammad, Mohamed, Maxamed), surname first or last, with or
//! without the grandfather's name. This module turns every name into
//! comparison forms once ([`NameKey::new`]) so that comparing two names is
//! cheap ([`compare_names`], [`Token::compare`]).
//!
//! # Pipeline (per name, once)
//!
//! 1. Unicode: NFKC, lower case, invisible characters removed
//!    ([`fold_case`]); split into words on spaces and punctuation, keeping
//!    Eritrean abbreviations such as `G/Medhin` together.
//! 2. Script per word ([`script_of`], crate `unicode-script`).
//! 3. Per script, a normalised form and a Latin form: Latin accents
//!    stripped ([`fold_latin`]; German ü → ue and ş → sh kept as
//!    alternatives); Arabic script cleaned ([`clean_arabic`]: harakat,
//!    tatweel, alef/yeh/teh marbuta/kaf variants, Persian/Pashto letters,
//!    digits); Cyrillic transliterated two ways (Ukrainian national system
//!    and Russian habit); Ge'ez through `any_ascii` syllables; every other
//!    script through `any_ascii`.
//! 4. Compounds and particles: Abd- compounds to one form, articles
//!    (al-, el-, ar-, as-, ...) and particles (bin, ibn, ould, de, y) dropped,
//!    Eritrean G/ W/ T/ H/ expanded; adjacent tokens joined (Gebre Medhin =
//!    Gebremedhin) as extra candidates.
//! 5. Consonant skeletons with vowel gaps ([`Skeleton`]), one per plausible
//!    reading of ambiguous spellings; Double Metaphone codes (crate
//!    `rphonetic`); nickname groups.
//!
//! # Comparison
//!
//! [`Token::compare`] gives a [`Level`]; [`compare_names`] aligns tokens
//! order-insensitively and gives a [`NameComparison`] with a similarity in
//! [0, 1] and the pairs it made.
//!
//! ```
//! use kinlink_match::names::{compare_names, Level, NameKey};
//!
//! let a = NameKey::new("محمد");
//! let b = NameKey::new("Mohammed");
//! assert_eq!(a.tokens()[0].compare(&b.tokens()[0]), Level::Skeleton);
//!
//! let c = compare_names(&NameKey::new("María José López García"), &NameKey::new("Maria Lopez"));
//! assert!(c.similarity > 0.8);
//! ```

mod align;
mod arabic;
mod compound;
mod cyrillic;
mod ethiopic;
mod jw;
mod key;
mod latin;
pub mod nickname;
mod skeleton;
mod text;
mod token;

pub use align::{
    NameComparison, SURPLUS_WEIGHT, Span, TokenPair, compare_names, compare_names_with, level_score,
};
pub use arabic::{clean_arabic, strip_arabic_marks};
pub use cyrillic::{russian_style, ukrainian_national};
pub use ethiopic::transliterate as transliterate_ethiopic;
pub use jw::jaro_winkler;
pub use key::{MAX_TOKENS, NameKey};
pub use skeleton::{Agreement, Ending, MAX_SKELETON, Skeleton};
pub use text::{TokenScript, fold_case, fold_latin, latin_alternatives, script_of};
pub use token::{CLOSE_JW, Level, SOMEWHAT_JW, Token, TokenInterner, TokenMemo};

/// Compares two single names (e.g. two given names) and returns the best
/// level over their tokens; a convenience over [`NameKey`] for one-off use.
pub fn compare_name_strings(a: &str, b: &str) -> NameComparison {
    compare_names(&NameKey::new(a), &NameKey::new(b))
}

/// A Latin transliteration of `s` in any script, for display and search:
/// Latin folded, Arabic as consonants and long vowels, Cyrillic by the
/// Ukrainian national system, Ge'ez and others through `any_ascii`.
pub fn to_latin(s: &str) -> String {
    NameKey::new(s)
        .tokens()
        .iter()
        .map(Token::latin)
        .collect::<Vec<_>>()
        .join(" ")
}
