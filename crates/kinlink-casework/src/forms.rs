//! Structured forms: best-interests assessment (BIA), case plan and
//! best-interests determination (BID), and the decision a BID produces.
//!
//! Each form is a set of named parts, not a free-text box or an uploaded
//! document: the parts the texts require (the child's views in their own words,
//! the language and interpreter, whether the child was informed in a
//! child-friendly way, family, safety in the country of origin, care options,
//! health, education, integration) cannot be left out.

use chrono::{DateTime, NaiveDate, Utc};
use kinlink_core::validation::Checker;
use kinlink_core::{Accompaniment, LanguageCode, RecordId};
use serde::{Deserialize, Serialize};

use crate::care::CareType;
use crate::ids::{DecisionId, UserId};

/// Free text that must be given: not blank, bounded, no control characters.
pub(crate) fn check_text(checker: &mut Checker, path: &str, text: &str) {
    if text.trim().is_empty() {
        checker.fail(path, "must not be blank");
    } else {
        checker.text(path, text);
    }
}

/// Professional discipline of someone taking part in an assessment or panel.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Discipline {
    SocialWork,
    Psychology,
    Law,
    Health,
    Education,
    ChildProtection,
    Guardianship,
    Other,
}

/// The kind of body someone works for. Immigration authorities take no part
/// in best-interests procedures (GC 22 para. 32(c)) and receive no referrals.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrganisationKind {
    ChildProtectionAuthority,
    GuardianshipService,
    UnitedNationsAgency,
    NonGovernmentalOrganisation,
    HealthService,
    EducationService,
    LegalAidProvider,
    ImmigrationAuthority,
    Other,
}

/// How the child was heard.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Heard {
    /// The child's views, written down in their own words.
    Expressed { in_own_words: String },
    /// The child could not or chose not to express views (age, health, refusal).
    NotExpressed { reason: String },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InterpreterUse {
    /// The child was heard in a language they understand without one.
    NotNeeded,
    Interpreter,
    /// An interpreter familiar with the child's culture and background.
    CulturalMediator,
}

/// The child's views and how they were gathered (GC 22 paras. 34-39).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChildViews {
    pub heard: Heard,
    /// The language the child spoke.
    pub language: LanguageCode,
    pub interpreter: InterpreterUse,
    /// The child was told, in a way they understand, what is being decided and why.
    pub informed_child_friendly: bool,
}

impl ChildViews {
    pub fn check(&mut self, checker: &mut Checker, path: &str) {
        match &self.heard {
            Heard::Expressed { in_own_words } => {
                check_text(checker, &format!("{path}.heard.in_own_words"), in_own_words)
            }
            Heard::NotExpressed { reason } => check_text(checker, &format!("{path}.heard.reason"), reason),
        }
        self.language.normalise();
        if !self.language.is_valid() {
            checker.fail(format!("{path}.language"), "is not an ISO 639-1 language code");
        }
        if !self.informed_child_friendly {
            checker.fail(
                format!("{path}.informed_child_friendly"),
                "the child must be informed in a child-friendly way before their views are recorded",
            );
        }
    }
}

/// Someone who took part in a BIA.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Participant {
    pub user: UserId,
    pub discipline: Discipline,
    pub organisation: OrganisationKind,
}

/// A care option weighed in an assessment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CareOption {
    pub care: CareType,
    pub assessment: String,
}

/// Best-interests assessment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BiaForm {
    pub child_views: ChildViews,
    pub family_situation: String,
    pub safety_and_risks_in_country_of_origin: String,
    pub care_options: Vec<CareOption>,
    pub health: String,
    pub education: String,
    /// Length of stay so far and integration (language, school, friends, community).
    pub length_of_stay_and_integration: String,
    pub participants: Vec<Participant>,
}

impl BiaForm {
    pub fn check(&mut self, checker: &mut Checker, path: &str) {
        self.child_views.check(checker, &format!("{path}.child_views"));
        check_text(
            checker,
            &format!("{path}.family_situation"),
            &self.family_situation,
        );
        check_text(
            checker,
            &format!("{path}.safety_and_risks_in_country_of_origin"),
            &self.safety_and_risks_in_country_of_origin,
        );
        if self.care_options.is_empty() {
            checker.fail(format!("{path}.care_options"), "weigh at least one care option");
        }
        for (i, option) in self.care_options.iter().enumerate() {
            check_text(
                checker,
                &format!("{path}.care_options[{i}].assessment"),
                &option.assessment,
            );
        }
        check_text(checker, &format!("{path}.health"), &self.health);
        check_text(checker, &format!("{path}.education"), &self.education);
        check_text(
            checker,
            &format!("{path}.length_of_stay_and_integration"),
            &self.length_of_stay_and_integration,
        );
        let disciplines: Vec<Discipline> = self.participants.iter().map(|p| p.discipline).collect();
        if distinct(&disciplines) < 2 {
            checker.fail(
                format!("{path}.participants"),
                "a best-interests assessment is multidisciplinary: at least two disciplines",
            );
        }
        check_independent(checker, &format!("{path}.participants"), &self.participants);
    }
}

fn distinct<T: Ord + Copy>(items: &[T]) -> usize {
    let mut v = items.to_vec();
    v.sort_unstable();
    v.dedup();
    v.len()
}

fn check_independent(checker: &mut Checker, path: &str, participants: &[Participant]) {
    for (i, p) in participants.iter().enumerate() {
        if p.organisation == OrganisationKind::ImmigrationAuthority {
            checker.fail(
                format!("{path}[{i}].organisation"),
                "best-interests procedures are independent of immigration authorities",
            );
        }
    }
}

/// An area of the child's needs a case plan addresses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NeedArea {
    Care,
    Health,
    Education,
    Psychosocial,
    LegalStatus,
    FamilyTracing,
    Safety,
    Other,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanGoal {
    pub need: NeedArea,
    pub action: String,
    pub responsible: UserId,
    pub due: NaiveDate,
}

/// The case plan: what will be done, by whom, by when.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CasePlan {
    pub goals: Vec<PlanGoal>,
    pub review_on: NaiveDate,
    /// The child took part in making the plan.
    pub child_views: ChildViews,
}

impl CasePlan {
    pub fn check(&mut self, checker: &mut Checker, path: &str) {
        if self.goals.is_empty() {
            checker.fail(format!("{path}.goals"), "a plan needs at least one goal");
        }
        for (i, goal) in self.goals.iter().enumerate() {
            check_text(checker, &format!("{path}.goals[{i}].action"), &goal.action);
        }
        if self.review_on < checker.today() {
            checker.fail(format!("{path}.review_on"), "is in the past");
        }
        self.child_views.check(checker, &format!("{path}.child_views"));
    }
}

/// A durable solution (GC 22 para. 32(j)).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DurableSolution {
    FamilyReunificationInCountry,
    FamilyReunificationAbroad,
    LocalIntegration,
    ResettlementToThirdCountry,
    ReturnToCountryOfOrigin,
}

impl DurableSolution {
    pub const ALL: [DurableSolution; 5] = [
        DurableSolution::FamilyReunificationInCountry,
        DurableSolution::FamilyReunificationAbroad,
        DurableSolution::LocalIntegration,
        DurableSolution::ResettlementToThirdCountry,
        DurableSolution::ReturnToCountryOfOrigin,
    ];

    /// Whether this solution may only be implemented on a BID that recommends it.
    /// Anything that takes the child across a border needs one; so does any
    /// solution for a child without their parents or usual caregivers, unless it
    /// is reunification within the country (then a BID is needed only when the
    /// family assessment found concerns, see `Reunification`).
    pub fn requires_bid(self, accompaniment: Accompaniment) -> bool {
        match self {
            DurableSolution::ReturnToCountryOfOrigin
            | DurableSolution::ResettlementToThirdCountry
            | DurableSolution::FamilyReunificationAbroad => true,
            DurableSolution::LocalIntegration => accompaniment != Accompaniment::Accompanied,
            DurableSolution::FamilyReunificationInCountry => false,
        }
    }

    pub fn is_reunification(self) -> bool {
        matches!(
            self,
            DurableSolution::FamilyReunificationInCountry | DurableSolution::FamilyReunificationAbroad
        )
    }
}

/// A BID panel member.
pub type PanelMember = Participant;

/// An option the BID panel weighed, with its assessment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SolutionOption {
    pub solution: DurableSolution,
    pub assessment: String,
}

/// Smallest BID panel.
pub const MIN_BID_PANEL: usize = 3;

/// Best-interests determination, as submitted for approval.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BidForm {
    pub panel: Vec<PanelMember>,
    pub child_views: ChildViews,
    /// At least two: a determination weighs options.
    pub options_considered: Vec<SolutionOption>,
    pub recommended: DurableSolution,
    pub reasons: String,
}

impl BidForm {
    pub fn check(&mut self, checker: &mut Checker, path: &str) {
        let panel_path = format!("{path}.panel");
        let disciplines: Vec<Discipline> = self.panel.iter().map(|p| p.discipline).collect();
        if self.panel.len() < MIN_BID_PANEL || distinct(&disciplines) < MIN_BID_PANEL {
            checker.fail(
                &panel_path,
                format!("a BID panel needs at least {MIN_BID_PANEL} members from different disciplines"),
            );
        }
        let users: Vec<&UserId> = self.panel.iter().map(|p| &p.user).collect();
        checker.no_duplicates(&panel_path, &users);
        check_independent(checker, &panel_path, &self.panel);
        self.child_views.check(checker, &format!("{path}.child_views"));
        if self.options_considered.len() < 2 {
            checker.fail(format!("{path}.options_considered"), "weigh at least two options");
        }
        let solutions: Vec<DurableSolution> = self.options_considered.iter().map(|o| o.solution).collect();
        checker.no_duplicates(&format!("{path}.options_considered"), &solutions);
        for (i, option) in self.options_considered.iter().enumerate() {
            check_text(
                checker,
                &format!("{path}.options_considered[{i}].assessment"),
                &option.assessment,
            );
        }
        if !solutions.contains(&self.recommended) {
            checker.fail(
                format!("{path}.recommended"),
                "must be one of the options considered",
            );
        }
        check_text(checker, &format!("{path}.reasons"), &self.reasons);
    }
}

/// An approved best-interests determination: a first-class record with its own
/// id and a stable JSON shape, because it will be shared across borders with
/// the authorities that implement it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BestInterestsDecision {
    pub id: DecisionId,
    /// The child case the decision is about.
    pub case_id: RecordId,
    pub panel: Vec<PanelMember>,
    pub child_views: ChildViews,
    pub options_considered: Vec<SolutionOption>,
    pub recommended: DurableSolution,
    pub reasons: String,
    pub submitted_by: UserId,
    pub submitted_at: DateTime<Utc>,
    pub approved_by: UserId,
    pub approved_at: DateTime<Utc>,
}
