//! Name, place and route tables per origin.
//!
//! Every entry is a common real name or place; people are made by combining
//! them at random, so no row describes a real individual. Lists are ordered
//! from most to least frequent: the generator draws with Zipf-like weights,
//! so the head (Mohammad, Maria, Kabul...) repeats a lot, as in real caseloads.
//!
//! `latin` spellings are ordered by registrar habit: index 0 is the most
//! common English-style spelling, 1 a French / local-administration style,
//! 2 a scholarly or passport style, later ones rarer forms and abbreviations.
//! `native` is the name in the origin's own script (empty when the origin
//! writes in Latin script, or for Somali the Somali-orthography spelling).

mod afghan;
mod arabic;
mod central_american;
mod congolese;
mod eritrean;
mod somali;
mod ukrainian;

/// One name (or place) with its spellings.
#[derive(Debug)]
pub struct Name {
    /// Latin-script spellings, most common first. Never empty.
    pub latin: &'static [&'static str],
    /// Native-script form; empty when none.
    pub native: &'static str,
    /// Nicknames / short forms as (latin, native) pairs.
    pub nick: &'static [(&'static str, &'static str)],
}

/// A place of origin or a place on the route where children get separated.
#[derive(Debug)]
pub struct Place {
    pub latin: &'static [&'static str],
    pub native: &'static str,
    /// ISO 3166-1 alpha-2 of the country the place is in (for origins that
    /// span several countries); empty = the origin's first country.
    pub country: &'static str,
}

/// Everything the generator needs to know about one origin.
#[derive(Debug)]
pub struct OriginData {
    /// ISO 3166-1 alpha-2 codes; places name theirs when there are several.
    pub countries: &'static [&'static str],
    pub male: &'static [Name],
    pub female: &'static [Name],
    /// Family / clan names. For Arabic names a leading `al-` marks the
    /// article, which registrars write in many ways (see `render`).
    pub family: &'static [Name],
    pub places: &'static [Place],
    /// Where separations happen: borders, camps, crossings.
    pub transit: &'static [Place],
}

/// Builds a [`Name`]: `n!("native"; "Latin1", "Latin2"; ("Nick", "native nick"))`.
macro_rules! n {
    ($native:expr; $($l:expr),+ $(,)?) => {
        $crate::data::Name { native: $native, latin: &[$($l),+], nick: &[] }
    };
    ($native:expr; $($l:expr),+ ; $($k:expr),* $(,)?) => {
        $crate::data::Name { native: $native, latin: &[$($l),+], nick: &[$($k),*] }
    };
}
pub(crate) use n;

/// Builds a [`Place`]: `p!("native"; "Latin1", "Latin2")` or with `@ "CC"` first for the country.
macro_rules! p {
    (@ $cc:expr, $native:expr; $($l:expr),+ $(,)?) => {
        $crate::data::Place { native: $native, latin: &[$($l),+], country: $cc }
    };
    ($native:expr; $($l:expr),+ $(,)?) => {
        $crate::data::Place { native: $native, latin: &[$($l),+], country: "" }
    };
}
pub(crate) use p;

pub use afghan::AFGHAN;
pub use arabic::{IRAQI, SUDANESE, SYRIAN};
pub use central_american::CENTRAL_AMERICAN;
pub use congolese::CONGOLESE;
pub use eritrean::ERITREAN;
pub use somali::SOMALI;
pub use ukrainian::UKRAINIAN;
