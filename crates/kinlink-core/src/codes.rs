//! ISO codes for countries (3166-1 alpha-2) and languages (639-1).
//!
//! Both are plain text on the wire so that a bad code is reported by
//! validation with its field path, together with every other problem in the
//! record, rather than failing the whole document at the first one.

use std::fmt;

use serde::{Deserialize, Serialize};

/// ISO 3166-1 alpha-2 country code, e.g. `AF`, `SY`, `ER`. Stored upper-case.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(value_type = String, example = "AF"))]
#[serde(transparent)]
pub struct CountryCode(String);

impl CountryCode {
    pub fn new(code: impl Into<String>) -> Self {
        Self(code.into().trim().to_ascii_uppercase())
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    pub fn is_valid(&self) -> bool {
        self.0.len() == 2 && celes::Country::from_alpha2(&self.0).is_ok()
    }
    /// Upper-case it, as stored.
    pub fn normalise(&mut self) {
        self.0 = self.0.trim().to_ascii_uppercase();
    }
}

impl fmt::Display for CountryCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// ISO 639-1 language code, e.g. `ar`, `fa`, `ps`, `ti`, `so`, `uk`. Stored lower-case.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(value_type = String, example = "ps"))]
#[serde(transparent)]
pub struct LanguageCode(String);

impl LanguageCode {
    pub fn new(code: impl Into<String>) -> Self {
        Self(code.into().trim().to_ascii_lowercase())
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    pub fn is_valid(&self) -> bool {
        isolang::Language::from_639_1(&self.0).is_some()
    }
    pub fn normalise(&mut self) {
        self.0 = self.0.trim().to_ascii_lowercase();
    }
}

impl fmt::Display for LanguageCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn country_codes() {
        for ok in ["AF", "sy", " er ", "SO", "UA", "CD", "HN", "GT", "SV"] {
            assert!(CountryCode::new(ok).is_valid(), "{ok}");
        }
        for bad in ["", "A", "AFG", "XX", "ZZ", "1A"] {
            assert!(!CountryCode::new(bad).is_valid(), "{bad}");
        }
    }

    #[test]
    fn language_codes() {
        for ok in [
            "ar", "fa", "ps", "ti", "so", "uk", "ru", "es", "fr", "ln", "sw", "AR",
        ] {
            assert!(LanguageCode::new(ok).is_valid(), "{ok}");
        }
        for bad in ["", "a", "ara", "xx", "zz"] {
            assert!(!LanguageCode::new(bad).is_valid(), "{bad}");
        }
    }
}
