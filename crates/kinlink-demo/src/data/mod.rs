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

#[cfg(test)]
mod tests {
    use crate::Origin;
    use crate::noise::script_of;

    #[test]
    fn tables_are_well_formed() {
        for origin in Origin::ALL {
            let d = origin.data();
            let native_script = match origin {
                Origin::Syrian | Origin::Iraqi | Origin::Sudanese | Origin::Afghan => "arabic",
                Origin::Eritrean => "ethiopic",
                Origin::Ukrainian => "cyrillic",
                _ => "latin",
            };
            assert!(
                !d.male.is_empty() && !d.female.is_empty() && !d.places.is_empty() && !d.transit.is_empty()
            );
            assert!(
                d.countries
                    .iter()
                    .all(|c| c.len() == 2 && c.bytes().all(|b| b.is_ascii_uppercase()))
            );
            let names = d.male.iter().chain(d.female).chain(d.family);
            let forms = names
                .map(|n| (n.latin, n.native))
                .chain(d.places.iter().chain(d.transit).map(|p| (p.latin, p.native)));
            for (latin, native) in forms {
                assert!(!latin.is_empty(), "{origin}: {native}");
                for l in latin {
                    assert!(!l.is_empty() && l.trim() == *l, "{origin}: {l:?}");
                    assert!(
                        l.chars()
                            .all(|c| c.is_ascii() || ('\u{00C0}'..='\u{024F}').contains(&c) || c == 'ḥ'),
                        "{origin}: non-Latin letter in {l:?}"
                    );
                }
                if !native.is_empty() {
                    assert_eq!(script_of(native), native_script, "{origin}: {native}");
                }
            }
            for p in d.places {
                assert!(
                    p.country.is_empty() || d.countries.contains(&p.country),
                    "{origin}: {:?}",
                    p.latin
                );
            }
            for n in d.male.iter().chain(d.female) {
                assert!(
                    n.nick.iter().all(|(l, _)| !l.is_empty()),
                    "{origin}: {:?}",
                    n.latin
                );
            }
            // Distinct entries: a repeated name would silently double its weight.
            // (Across lists repeats are real: Ibrahim is a given and a family name.)
            for list in [d.male, d.female, d.family] {
                let mut firsts: Vec<(&str, &str)> = list.iter().map(|n| (n.latin[0], n.native)).collect();
                let before = firsts.len();
                firsts.sort_unstable();
                firsts.dedup();
                assert_eq!(before, firsts.len(), "{origin}: duplicate entry");
            }
        }
    }

    #[test]
    fn arabic_article_marks_are_consistent() {
        for origin in [Origin::Syrian, Origin::Iraqi] {
            for n in origin.data().family {
                let marked = n.latin.iter().filter(|l| l.starts_with("al-")).count();
                assert!(marked == 0 || marked == n.latin.len(), "{:?}", n.latin);
                assert_eq!(marked > 0, n.native.starts_with("ال"), "{:?}", n.latin);
            }
        }
    }
}
