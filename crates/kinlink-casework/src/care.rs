//! Care arrangements and immigration detention.
//!
//! Family-based care comes first; residential care is a last resort and needs
//! a written justification. Detention is not a care option: recording that a
//! child is detained alerts the supervisor at once and feeds the detention report.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use kinlink_core::validation::Checker;
use kinlink_core::{Accompaniment, Sex};
use serde::{Deserialize, Serialize};

use crate::forms::check_text;
use crate::ids::{EntryId, UserId};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CareType {
    /// With the child's own parents (after reunification).
    Parents,
    /// With relatives or people the child knows.
    Kinship,
    FosterFamily,
    SupervisedIndependentLiving,
    SmallGroupHome,
    /// A last resort: needs a justification.
    ResidentialCare,
}

/// Where and with whom the child lives, from `since` until `ended_at`.
#[serde_with::skip_serializing_none]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CarePlacement {
    pub id: EntryId,
    pub care: CareType,
    pub since: DateTime<Utc>,
    #[serde(default)]
    pub ended_at: Option<DateTime<Utc>>,
    /// Why family-based care is not possible or not in the child's best interests.
    #[serde(default)]
    pub justification: Option<String>,
    #[serde(default)]
    pub notes: Option<String>,
}

impl CarePlacement {
    pub fn check(&self, checker: &mut Checker, path: &str) {
        match (&self.justification, self.care) {
            (None, CareType::ResidentialCare) => checker.fail(
                format!("{path}.justification"),
                "residential care is a last resort: say why family-based care is not suitable",
            ),
            (Some(j), _) => check_text(checker, &format!("{path}.justification"), j),
            (None, _) => {}
        }
        if let Some(n) = &self.notes {
            checker.text(&format!("{path}.notes"), n);
        }
        checker.not_in_future(&format!("{path}.since"), self.since.date_naive());
    }
}

/// A period the child spent in immigration detention.
#[serde_with::skip_serializing_none]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Detention {
    pub id: EntryId,
    /// Name of the detention centre (a place, not a person; it is reported).
    pub centre_name: String,
    pub since: DateTime<Utc>,
    #[serde(default)]
    pub released_at: Option<DateTime<Utc>>,
    pub recorded_by: UserId,
    /// Set when the child was detained while their age assessment was pending.
    #[serde(default)]
    pub during_age_assessment: bool,
}

impl Detention {
    pub fn check(&self, checker: &mut Checker, path: &str) {
        checker.line(&format!("{path}.centre_name"), &self.centre_name, 200);
        checker.not_in_future(&format!("{path}.since"), self.since.date_naive());
    }

    pub fn is_current(&self) -> bool {
        self.released_at.is_none()
    }
}

/// What the detention report needs of one case: counts only, no identities.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DetentionFacts<'a> {
    pub sex: Sex,
    pub accompaniment: Accompaniment,
    pub detentions: &'a [Detention],
}

/// Children in immigration detention during a period, for the public report
/// the texts ask for: numbers by sex, by accompaniment and by centre. A child
/// detained twice counts once in the totals and once per centre.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct DetentionReport {
    pub children: u32,
    pub by_sex: BTreeMap<String, u32>,
    pub accompanied: u32,
    pub unaccompanied_or_separated: u32,
    pub accompaniment_unknown: u32,
    pub by_centre: BTreeMap<String, u32>,
    /// Children detained while their age was being assessed.
    pub during_age_assessment: u32,
}

impl DetentionReport {
    /// Children detained at any moment in `[from, to)`.
    pub fn build<'a>(
        cases: impl IntoIterator<Item = DetentionFacts<'a>>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Self {
        let mut report = DetentionReport::default();
        for case in cases {
            let in_period: Vec<&Detention> = case
                .detentions
                .iter()
                .filter(|d| d.since < to && d.released_at.is_none_or(|r| r > from))
                .collect();
            if in_period.is_empty() {
                continue;
            }
            report.children += 1;
            *report.by_sex.entry(sex_label(case.sex).to_owned()).or_default() += 1;
            match case.accompaniment {
                Accompaniment::Accompanied => report.accompanied += 1,
                Accompaniment::Unaccompanied | Accompaniment::Separated => {
                    report.unaccompanied_or_separated += 1
                }
                Accompaniment::Unknown => report.accompaniment_unknown += 1,
            }
            let mut centres: Vec<&str> = in_period.iter().map(|d| d.centre_name.trim()).collect();
            centres.sort_unstable();
            centres.dedup();
            for centre in centres {
                *report.by_centre.entry(centre.to_owned()).or_default() += 1;
            }
            if in_period.iter().any(|d| d.during_age_assessment) {
                report.during_age_assessment += 1;
            }
        }
        report
    }
}

fn sex_label(sex: Sex) -> &'static str {
    match sex {
        Sex::Female => "female",
        Sex::Male => "male",
        Sex::Other => "other",
        Sex::Unknown => "unknown",
    }
}
