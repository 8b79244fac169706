//! Family reunification, from a confirmed match to the follow-up visits.
//!
//! A match says two records probably describe the same family; it does not say
//! the child should go there. Before reunification: the relationship is
//! verified (and how), the family is assessed as able and willing to care, the
//! child is heard, a BID is made where required, and a date and place are set.

use chrono::{DateTime, NaiveDate, Utc};
use kinlink_core::validation::Checker;
use kinlink_core::{Place, RecordId};
use serde::{Deserialize, Serialize};

use crate::forms::{ChildViews, check_text};
use crate::ids::{EntryId, UserId};

/// A match between the case and a tracing request, confirmed by a person.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfirmedMatch {
    pub tracing_request: RecordId,
    pub confirmed_by: UserId,
    pub confirmed_at: DateTime<Utc>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VerificationMethod {
    Documents,
    /// The child recognised the relative (in person or from a photograph).
    ChildRecognisesRelative,
    /// The relative recognised the child.
    RelativeRecognisesChild,
    /// Independent accounts (child, family, community) agree on details.
    CorroboratingAccounts,
    DnaTest,
    Other,
}

#[serde_with::skip_serializing_none]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RelationshipVerification {
    pub methods: Vec<VerificationMethod>,
    /// Whether the relationship was confirmed.
    pub confirmed: bool,
    pub verified_by: UserId,
    pub verified_at: DateTime<Utc>,
    #[serde(default)]
    pub notes: Option<String>,
}

/// The family's capacity and willingness to care for the child.
#[serde_with::skip_serializing_none]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FamilyAssessment {
    pub able_to_care: bool,
    pub willing_to_care: bool,
    /// Protection concerns found (then a BID is required before reunification).
    #[serde(default)]
    pub concerns: Option<String>,
    pub assessed_by: UserId,
    pub assessed_at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReunificationPlan {
    pub date: NaiveDate,
    pub place: Place,
}

/// A step still missing before the child can be reunified.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReunificationStep {
    RelationshipVerified,
    FamilyAbleAndWilling,
    ChildHeard,
    DateAndPlace,
    BestInterestsDetermination,
}

#[serde_with::skip_serializing_none]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reunification {
    pub confirmed_match: ConfirmedMatch,
    #[serde(default)]
    pub verification: Option<RelationshipVerification>,
    #[serde(default)]
    pub family_assessment: Option<FamilyAssessment>,
    #[serde(default)]
    pub child_views: Option<ChildViews>,
    #[serde(default)]
    pub plan: Option<ReunificationPlan>,
    #[serde(default)]
    pub reunified_at: Option<DateTime<Utc>>,
}

impl Reunification {
    pub fn new(confirmed_match: ConfirmedMatch) -> Self {
        Self {
            confirmed_match,
            verification: None,
            family_assessment: None,
            child_views: None,
            plan: None,
            reunified_at: None,
        }
    }

    /// Whether the family assessment found concerns, which make a BID necessary.
    pub fn concerns_found(&self) -> bool {
        self.family_assessment
            .as_ref()
            .is_some_and(|a| a.concerns.is_some())
    }

    /// Steps missing before reunification, BID aside (the case knows about decisions).
    pub fn missing_steps(&self) -> Vec<ReunificationStep> {
        let mut missing = Vec::new();
        if !self.verification.as_ref().is_some_and(|v| v.confirmed) {
            missing.push(ReunificationStep::RelationshipVerified);
        }
        if !self
            .family_assessment
            .as_ref()
            .is_some_and(|a| a.able_to_care && a.willing_to_care)
        {
            missing.push(ReunificationStep::FamilyAbleAndWilling);
        }
        if self.child_views.is_none() {
            missing.push(ReunificationStep::ChildHeard);
        }
        if self.plan.is_none() {
            missing.push(ReunificationStep::DateAndPlace);
        }
        missing
    }
}

impl RelationshipVerification {
    pub fn check(&self, checker: &mut Checker, path: &str) {
        if self.methods.is_empty() {
            checker.fail(format!("{path}.methods"), "say how the relationship was verified");
        }
        checker.no_duplicates(&format!("{path}.methods"), &self.methods);
        if let Some(n) = &self.notes {
            checker.text(&format!("{path}.notes"), n);
        }
    }
}

impl FamilyAssessment {
    pub fn check(&self, checker: &mut Checker, path: &str) {
        if let Some(c) = &self.concerns {
            check_text(checker, &format!("{path}.concerns"), c);
        }
    }
}

impl ReunificationPlan {
    pub fn check(&mut self, checker: &mut Checker, path: &str) {
        self.place.check(checker, &format!("{path}.place"));
    }
}

/// How the child is doing on a follow-up visit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Wellbeing {
    Well,
    Concerns,
    AtRisk,
}

/// A visit after the solution was implemented.
#[serde_with::skip_serializing_none]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FollowUpVisit {
    pub id: EntryId,
    pub visited_at: DateTime<Utc>,
    pub visited_by: UserId,
    /// The child was spoken to without the family present.
    pub child_seen_alone: bool,
    pub wellbeing: Wellbeing,
    #[serde(default)]
    pub notes: Option<String>,
}
