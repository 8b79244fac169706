//! Child-friendly information sheets and the record of which was given.
//!
//! The sheets are data files under `info/<topic>/<language>.md`, compiled in.
//! A sheet not yet written in a language is a file starting with
//! [`MISSING_MARKER`]: never a machine translation. A test fails if any topic
//! lacks a file in any language.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::forms::InterpreterUse;
use crate::ids::{EntryId, UserId};

/// First line of a sheet file whose translation is still to be written.
pub const MISSING_MARKER: &str = "<!-- kinlink:translation-missing -->";

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Topic {
    YourRights,
    YourGuardian,
    FamilyTracing,
    Asylum,
    AgeAssessment,
    Complaints,
}

impl Topic {
    pub const ALL: [Topic; 6] = [
        Topic::YourRights,
        Topic::YourGuardian,
        Topic::FamilyTracing,
        Topic::Asylum,
        Topic::AgeAssessment,
        Topic::Complaints,
    ];

    /// Directory name under `info/`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Topic::YourRights => "your_rights",
            Topic::YourGuardian => "your_guardian",
            Topic::FamilyTracing => "family_tracing",
            Topic::Asylum => "asylum",
            Topic::AgeAssessment => "age_assessment",
            Topic::Complaints => "complaints",
        }
    }
}

/// Languages sheets are kept in. Tags are BCP 47: Dari has no ISO 639-1 code
/// of its own (it would be `fa`, shared with Iranian Persian), hence `prs`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum SheetLanguage {
    #[serde(rename = "en")]
    English,
    #[serde(rename = "fr")]
    French,
    #[serde(rename = "es")]
    Spanish,
    #[serde(rename = "ar")]
    Arabic,
    #[serde(rename = "prs")]
    Dari,
    #[serde(rename = "ti")]
    Tigrinya,
}

impl SheetLanguage {
    pub const ALL: [SheetLanguage; 6] = [
        SheetLanguage::English,
        SheetLanguage::French,
        SheetLanguage::Spanish,
        SheetLanguage::Arabic,
        SheetLanguage::Dari,
        SheetLanguage::Tigrinya,
    ];

    pub const fn tag(self) -> &'static str {
        match self {
            SheetLanguage::English => "en",
            SheetLanguage::French => "fr",
            SheetLanguage::Spanish => "es",
            SheetLanguage::Arabic => "ar",
            SheetLanguage::Dari => "prs",
            SheetLanguage::Tigrinya => "ti",
        }
    }

    /// Written right to left (for printing).
    pub const fn is_rtl(self) -> bool {
        matches!(self, SheetLanguage::Arabic | SheetLanguage::Dari)
    }
}

/// A sheet in one language: its text, or the fact that it is not written yet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sheet {
    Available(&'static str),
    Missing,
}

macro_rules! sheet_files {
    ($($topic:ident / $dir:literal : [$($lang:ident $tag:literal),*]),* $(,)?) => {
        /// Every sheet file, compiled in: `(topic, language, file contents)`.
        pub const SHEET_FILES: &[(Topic, SheetLanguage, &str)] = &[
            $($(
                (Topic::$topic, SheetLanguage::$lang, include_str!(concat!("../info/", $dir, "/", $tag, ".md"))),
            )*)*
        ];
    };
}

sheet_files! {
    YourRights / "your_rights": [English "en", French "fr", Spanish "es", Arabic "ar", Dari "prs", Tigrinya "ti"],
    YourGuardian / "your_guardian": [English "en", French "fr", Spanish "es", Arabic "ar", Dari "prs", Tigrinya "ti"],
    FamilyTracing / "family_tracing": [English "en", French "fr", Spanish "es", Arabic "ar", Dari "prs", Tigrinya "ti"],
    Asylum / "asylum": [English "en", French "fr", Spanish "es", Arabic "ar", Dari "prs", Tigrinya "ti"],
    AgeAssessment / "age_assessment": [English "en", French "fr", Spanish "es", Arabic "ar", Dari "prs", Tigrinya "ti"],
    Complaints / "complaints": [English "en", French "fr", Spanish "es", Arabic "ar", Dari "prs", Tigrinya "ti"],
}

/// The sheet on `topic` in `language`.
pub fn sheet(topic: Topic, language: SheetLanguage) -> Sheet {
    SHEET_FILES
        .iter()
        .find(|(t, l, _)| *t == topic && *l == language)
        .map_or(Sheet::Missing, |(_, _, text)| {
            if text.trim_start().starts_with(MISSING_MARKER) {
                Sheet::Missing
            } else {
                Sheet::Available(text)
            }
        })
}

/// How a sheet was given.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Delivery {
    /// Printed and handed over, then talked through.
    Printed,
    /// Read aloud and explained.
    ReadAloud,
    /// Shown on a screen or sent to the child's phone.
    Digital,
}

/// Which sheet the child was given, in which language, how and by whom.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InformationGiven {
    pub id: EntryId,
    pub topic: Topic,
    pub language: SheetLanguage,
    pub delivery: Delivery,
    /// Whether someone interpreted the sheet into the child's language.
    pub interpreter: InterpreterUse,
    pub given_by: UserId,
    pub given_at: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    /// Every topic exists in every language as a file: either a written sheet
    /// or one explicitly marked missing. Reads the directory itself, so a file
    /// deleted, renamed or left empty fails here.
    #[test]
    fn every_topic_has_a_file_in_every_language() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("info");
        let mut problems = Vec::new();
        for topic in Topic::ALL {
            for language in SheetLanguage::ALL {
                let path = root.join(topic.as_str()).join(format!("{}.md", language.tag()));
                match std::fs::read_to_string(&path) {
                    Err(_) => problems.push(format!("{}/{}: no file", topic.as_str(), language.tag())),
                    Ok(text) if text.trim().is_empty() => {
                        problems.push(format!("{}/{}: empty", topic.as_str(), language.tag()))
                    }
                    Ok(text) => {
                        let missing = text.trim_start().starts_with(MISSING_MARKER);
                        // A written sheet needs a title and some substance.
                        if !missing && (!text.starts_with("# ") || text.split_whitespace().count() < 60) {
                            problems.push(format!("{}/{}: too short", topic.as_str(), language.tag()));
                        }
                    }
                }
            }
        }
        assert!(problems.is_empty(), "{problems:#?}");
    }

    #[test]
    fn no_stray_sheet_files() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("info");
        let known_dirs: Vec<&str> = Topic::ALL.iter().map(|t| t.as_str()).collect();
        let known_files: Vec<String> = SheetLanguage::ALL
            .iter()
            .map(|l| format!("{}.md", l.tag()))
            .collect();
        for dir in std::fs::read_dir(&root).expect("info directory") {
            let dir = dir.expect("entry");
            let name = dir.file_name().to_string_lossy().into_owned();
            assert!(
                known_dirs.contains(&name.as_str()),
                "unknown topic directory {name}"
            );
            for file in std::fs::read_dir(dir.path()).expect("topic directory") {
                let file = file.expect("entry").file_name().to_string_lossy().into_owned();
                assert!(known_files.contains(&file), "unknown language file {name}/{file}");
            }
        }
    }

    #[test]
    fn compiled_table_covers_every_topic_and_language() {
        for topic in Topic::ALL {
            for language in SheetLanguage::ALL {
                let count = SHEET_FILES
                    .iter()
                    .filter(|(t, l, _)| *t == topic && *l == language)
                    .count();
                assert_eq!(count, 1, "{topic:?} {language:?}");
            }
        }
    }

    #[test]
    fn written_and_missing_sheets_are_told_apart() {
        assert!(matches!(
            sheet(Topic::YourRights, SheetLanguage::English),
            Sheet::Available(t) if t.starts_with("# Your rights")
        ));
        assert_eq!(sheet(Topic::YourRights, SheetLanguage::Tigrinya), Sheet::Missing);
    }
}
