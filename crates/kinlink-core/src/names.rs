//! Names exactly as written, in their own script, with an optional Latin rendering.

use serde::{Deserialize, Serialize};
use unicode_script::{Script as UScript, UnicodeScript};

/// A name (or place name) as it was written. `original` is never rewritten,
/// transliterated or case-folded: matching derives its comparison forms
/// elsewhere, and what the child or family wrote is what the record shows.
#[serde_with::skip_serializing_none]
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct WrittenName {
    /// As written, in its own script (Arabic, Persian, Ge'ez, Cyrillic, Latin...).
    #[cfg_attr(feature = "openapi", schema(example = "أحمد"))]
    pub original: String,
    /// A Latin rendering, when the original is in another script.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(example = "Ahmad"))]
    pub latin: Option<String>,
}

impl WrittenName {
    pub fn new(original: impl Into<String>) -> Self {
        Self {
            original: original.into(),
            latin: None,
        }
    }

    pub fn with_latin(original: impl Into<String>, latin: impl Into<String>) -> Self {
        Self {
            original: original.into(),
            latin: Some(latin.into()),
        }
    }

    /// The script most of the letters of `original` are written in.
    pub fn script(&self) -> Script {
        Script::of(&self.original)
    }
}

/// The writing systems kinlink distinguishes; everything else is `Other`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Script {
    Latin,
    /// Arabic script, including Persian, Dari, Pashto and Urdu letters.
    Arabic,
    /// Ge'ez (Ethiopic): Tigrinya, Amharic, Tigre.
    Ethiopic,
    Cyrillic,
    Other,
    /// No letters at all.
    None,
}

impl Script {
    /// The dominant script of `text`, by count of letters.
    pub fn of(text: &str) -> Script {
        let mut counts = [0usize; 5];
        for c in text.chars().filter(|c| c.is_alphabetic()) {
            let slot = match c.script() {
                UScript::Latin => 0,
                UScript::Arabic => 1,
                UScript::Ethiopic => 2,
                UScript::Cyrillic => 3,
                _ => 4,
            };
            counts[slot] += 1;
        }
        let (slot, &count) = counts
            .iter()
            .enumerate()
            .max_by_key(|&(i, n)| (*n, std::cmp::Reverse(i)))
            .unwrap_or((4, &0));
        if count == 0 {
            return Script::None;
        }
        [
            Script::Latin,
            Script::Arabic,
            Script::Ethiopic,
            Script::Cyrillic,
            Script::Other,
        ][slot]
    }
}

/// A person's names. Any part may be missing; cultures differ in which exist
/// (many Afghan and Somali children have no family name, Eritrean children
/// carry their father's given name).
#[serde_with::skip_serializing_none]
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PersonName {
    /// The whole name in one piece, when it is not known which part is which
    /// (a relative's name given as "Fatima Hassan Ali").
    #[serde(default)]
    pub full: Option<WrittenName>,
    #[serde(default)]
    pub given: Option<WrittenName>,
    #[serde(default)]
    pub family: Option<WrittenName>,
    /// Further names: father's and grandfather's names in a name chain, a
    /// second surname, a previous name.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub other: Vec<WrittenName>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub nicknames: Vec<WrittenName>,
}

impl PersonName {
    /// A name known only as one piece of text.
    pub fn full(name: WrittenName) -> Self {
        Self {
            full: Some(name),
            ..Self::default()
        }
    }

    pub fn is_empty(&self) -> bool {
        self.all().next().is_none()
    }

    /// Every name part: the whole name, then given name first.
    pub fn all(&self) -> impl Iterator<Item = &WrittenName> {
        self.full
            .iter()
            .chain(self.given.iter())
            .chain(self.family.iter())
            .chain(self.other.iter())
            .chain(self.nicknames.iter())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_scripts() {
        assert_eq!(Script::of("Ahmad"), Script::Latin);
        assert_eq!(Script::of("José María"), Script::Latin);
        assert_eq!(Script::of("أحمد"), Script::Arabic);
        assert_eq!(Script::of("محمد"), Script::Arabic);
        assert_eq!(
            Script::of("ګل احمد"),
            Script::Arabic,
            "Pashto letters are Arabic script"
        );
        assert_eq!(Script::of("ተስፋይ"), Script::Ethiopic);
        assert_eq!(Script::of("Олександр"), Script::Cyrillic);
        assert_eq!(Script::of("李"), Script::Other);
        assert_eq!(Script::of("  - "), Script::None);
        assert_eq!(Script::of("أحمد (Ali)"), Script::Arabic, "dominant script wins");
        assert_eq!(Script::of("أحمد (Ahmad)"), Script::Latin, "by count of letters");
    }
}
