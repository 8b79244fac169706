//! The case file: one child's case management, and the state machine that
//! moves it from identification to closure.
//!
//! Every change is a [`Command`] applied with [`CaseFile::apply`]. A command
//! is either applied whole or refused with a typed [`Refusal`] and the case
//! left exactly as it was (the command runs on a copy that replaces the case
//! only on success). [`CaseFile::invariant_violations`] states, independently
//! of the commands, what must hold in every state; the property tests drive
//! random command sequences against it.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use kinlink_core::validation::Checker;
use kinlink_core::{Accompaniment, RecordId, Sex, ValidationErrors};
use serde::{Deserialize, Serialize};

use crate::age::{AgeAssessment, AgeRecord, PendingAgeAssessment};
use crate::care::{CarePlacement, Detention};
use crate::complaint::{Complainant, Complaint, ComplaintChannel, ComplaintStatus};
use crate::config::CaseworkConfig;
use crate::forms::{
    BestInterestsDecision, BiaForm, BidForm, CasePlan, ChildViews, DurableSolution, OrganisationKind,
    check_text,
};
use crate::ids::{Actor, DecisionId, EntryId, UserId};
use crate::info::{InformationGiven, Sheet, SheetLanguage, Topic, sheet};
use crate::referral::{Referral, ReferralStatus};
use crate::reunification::{
    ConfirmedMatch, FamilyAssessment, FollowUpVisit, RelationshipVerification, Reunification,
    ReunificationPlan, ReunificationStep,
};

/// Where a case stands. The order is the usual path; closure can come from any stage.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    Identified,
    Registered,
    /// A guardian (unaccompanied or separated child) or legal representative is in place.
    GuardianAppointed,
    /// The best-interests assessment is being made.
    Assessment,
    /// Case plan and services.
    CasePlanning,
    BestInterestsDetermination,
    ImplementingSolution,
    FollowUp,
    Closed,
}

impl Stage {
    /// Stages during which the child must have a guardian or representative.
    pub fn needs_representation(self) -> bool {
        (Stage::GuardianAppointed..=Stage::FollowUp).contains(&self)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RepresentativeRole {
    /// For an unaccompanied or separated child.
    Guardian,
    /// Legal representation, for every child.
    LegalRepresentative,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AppointmentEnd {
    /// Handed over to another guardian or representative.
    Handover,
    /// The child asked for someone else.
    ChildRequest,
    /// The representative can no longer act (moved, ill, conflict of interest).
    RepresentativeUnavailable,
    CaseClosed,
}

/// A supervisor allowed a guardian to go beyond the caseload limit, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaseloadOverride {
    pub by: UserId,
    pub reason: String,
}

/// A guardian or legal representative, from appointment to the end of the role.
#[serde_with::skip_serializing_none]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Appointment {
    pub id: EntryId,
    pub representative: UserId,
    pub role: RepresentativeRole,
    pub appointed_at: DateTime<Utc>,
    pub appointed_by: UserId,
    /// Children this guardian already had when appointed (guardians only).
    #[serde(default)]
    pub caseload_before: u32,
    #[serde(default)]
    pub caseload_override: Option<CaseloadOverride>,
    #[serde(default)]
    pub ended_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub end_reason: Option<AppointmentEnd>,
    /// The appointment this one took over from.
    #[serde(default)]
    pub handover_from: Option<EntryId>,
}

impl Appointment {
    pub fn is_active(&self) -> bool {
        self.ended_at.is_none()
    }
}

/// Active guardianships per guardian across all cases, for the caseload limit.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Caseloads(BTreeMap<UserId, u32>);

impl Caseloads {
    pub fn count<'a>(cases: impl IntoIterator<Item = &'a CaseFile>) -> Self {
        let mut counts = BTreeMap::new();
        for case in cases {
            for a in case.representatives.iter().filter(|a| a.is_active()) {
                if a.role == RepresentativeRole::Guardian {
                    *counts.entry(a.representative.clone()).or_insert(0) += 1;
                }
            }
        }
        Self(counts)
    }

    pub fn of(&self, guardian: &UserId) -> u32 {
        self.0.get(guardian).copied().unwrap_or(0)
    }

    pub fn set(&mut self, guardian: UserId, count: u32) {
        self.0.insert(guardian, count);
    }
}

/// Why a case is closed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClosureReason {
    /// The solution held through the follow-up visits.
    SolutionSustained,
    /// An age assessment found the person is an adult, beyond doubt.
    AssessedAsAdult,
    TransferredToAnotherJurisdiction,
    Died,
    Other,
}

/// What an approval request asks a supervisor to approve.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum ApprovalSubject {
    Bia { form: BiaForm },
    CasePlan { plan: CasePlan },
    Bid { decision: DecisionId, form: BidForm },
    Closure { reason: ClosureReason, note: String },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ApprovalKind {
    Bia,
    CasePlan,
    Bid,
    Closure,
}

impl ApprovalSubject {
    pub fn kind(&self) -> ApprovalKind {
        match self {
            ApprovalSubject::Bia { .. } => ApprovalKind::Bia,
            ApprovalSubject::CasePlan { .. } => ApprovalKind::CasePlan,
            ApprovalSubject::Bid { .. } => ApprovalKind::Bid,
            ApprovalSubject::Closure { .. } => ApprovalKind::Closure,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "verdict", rename_all = "snake_case", deny_unknown_fields)]
pub enum Verdict {
    Approve,
    Reject { reason: String },
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApprovalOutcome {
    pub verdict: Verdict,
    pub by: UserId,
    pub at: DateTime<Utc>,
}

#[serde_with::skip_serializing_none]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApprovalRequest {
    pub id: EntryId,
    pub subject: ApprovalSubject,
    pub requested_by: UserId,
    pub requested_at: DateTime<Utc>,
    #[serde(default)]
    pub outcome: Option<ApprovalOutcome>,
}

impl ApprovalRequest {
    pub fn is_pending(&self) -> bool {
        self.outcome.is_none()
    }
    pub fn is_approved(&self) -> bool {
        matches!(&self.outcome, Some(o) if o.verdict == Verdict::Approve)
    }
}

/// The solution being implemented.
#[serde_with::skip_serializing_none]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SolutionInProgress {
    pub solution: DurableSolution,
    /// The BID that recommended it, when one was made.
    #[serde(default)]
    pub decision: Option<DecisionId>,
    pub started_at: DateTime<Utc>,
    #[serde(default)]
    pub completed_at: Option<DateTime<Utc>>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Closure {
    pub reason: ClosureReason,
    pub note: String,
    /// The approval request that closed the case.
    pub approval: EntryId,
    pub closed_at: DateTime<Utc>,
}

/// One pass through the lifecycle. Reopening a case starts a new cycle, so a
/// reopened case is assessed again rather than riding on old approvals.
#[serde_with::skip_serializing_none]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cycle {
    pub opened_at: DateTime<Utc>,
    /// Approval request whose approved form is the current BIA.
    #[serde(default)]
    pub bia: Option<EntryId>,
    #[serde(default)]
    pub case_plan: Option<EntryId>,
    #[serde(default)]
    pub bid: Option<DecisionId>,
    #[serde(default)]
    pub solution: Option<SolutionInProgress>,
    #[serde(default)]
    pub reunification: Option<Reunification>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub visits: Vec<FollowUpVisit>,
    #[serde(default)]
    pub closure: Option<Closure>,
}

impl Cycle {
    fn new(opened_at: DateTime<Utc>) -> Self {
        Self {
            opened_at,
            bia: None,
            case_plan: None,
            bid: None,
            solution: None,
            reunification: None,
            visits: Vec::new(),
            closure: None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StageChange {
    pub from: Stage,
    pub to: Stage,
    pub at: DateTime<Utc>,
    pub by: UserId,
}

/// What is known when a child is first identified.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Identification {
    pub case_id: RecordId,
    pub at: DateTime<Utc>,
    pub by: UserId,
    pub caseworker: UserId,
    pub supervisor: UserId,
    pub accompaniment: Accompaniment,
    pub sex: Sex,
    /// The person says they are a child: that is enough to be registered as one.
    pub claims_to_be_child: bool,
}

/// One child's case management.
#[serde_with::skip_serializing_none]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaseFile {
    pub case_id: RecordId,
    pub stage: Stage,
    /// Copied from the child's record (phase 2 keeps them in step); the
    /// guardian rules and the detention report depend on them.
    pub accompaniment: Accompaniment,
    pub sex: Sex,
    pub identified_at: DateTime<Utc>,
    #[serde(default)]
    pub registered_at: Option<DateTime<Utc>>,
    pub caseworker: UserId,
    pub supervisor: UserId,
    pub age: AgeRecord,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub representatives: Vec<Appointment>,
    pub cycle: Cycle,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub past_cycles: Vec<Cycle>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub approvals: Vec<ApprovalRequest>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub decisions: Vec<BestInterestsDecision>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub care: Vec<CarePlacement>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub detentions: Vec<Detention>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub referrals: Vec<Referral>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub information: Vec<InformationGiven>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub complaints: Vec<Complaint>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stage_history: Vec<StageChange>,
}

/// Everything outside the case a command may need: the time, the settings,
/// and the guardians' caseloads across all cases.
#[derive(Clone, Copy, Debug)]
pub struct Context<'a> {
    pub now: DateTime<Utc>,
    pub config: &'a CaseworkConfig,
    pub caseloads: &'a Caseloads,
}

/// A change to a case.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "snake_case", deny_unknown_fields)]
pub enum Command {
    Register,
    UpdateProfile {
        accompaniment: Accompaniment,
        sex: Sex,
    },
    AppointRepresentative {
        id: EntryId,
        representative: UserId,
        role: RepresentativeRole,
        /// End this earlier appointment (handover) in the same step.
        handover_from: Option<EntryId>,
        /// Needed, from a supervisor, when the guardian is at the caseload limit.
        caseload_override_reason: Option<String>,
    },
    EndAppointment {
        id: EntryId,
        reason: AppointmentEnd,
    },
    RequestAgeAssessment,
    RecordAgeAssessment {
        assessment: AgeAssessment,
    },
    StartAssessment,
    SubmitBia {
        approval: EntryId,
        form: BiaForm,
    },
    SubmitCasePlan {
        approval: EntryId,
        plan: CasePlan,
    },
    StartBid,
    SubmitBid {
        approval: EntryId,
        decision: DecisionId,
        form: BidForm,
    },
    Decide {
        approval: EntryId,
        verdict: Verdict,
    },
    ImplementSolution {
        solution: DurableSolution,
        decision: Option<DecisionId>,
    },
    CompleteSolution,
    RecordFollowUpVisit {
        visit: FollowUpVisit,
    },
    RequestClosure {
        approval: EntryId,
        reason: ClosureReason,
        note: String,
    },
    Reopen {
        reason: String,
    },
    PlaceInCare {
        placement: CarePlacement,
    },
    RecordDetention {
        id: EntryId,
        centre_name: String,
        since: DateTime<Utc>,
    },
    RecordRelease {
        id: EntryId,
        at: DateTime<Utc>,
    },
    Refer {
        referral: Referral,
    },
    UpdateReferral {
        id: EntryId,
        status: ReferralStatus,
    },
    StartReunification {
        confirmed_match: ConfirmedMatch,
    },
    VerifyRelationship {
        verification: RelationshipVerification,
    },
    AssessFamily {
        assessment: FamilyAssessment,
    },
    HearChildOnReunification {
        views: ChildViews,
    },
    PlanReunification {
        plan: ReunificationPlan,
    },
    CompleteReunification,
    RecordInformationGiven {
        information: InformationGiven,
    },
    LodgeComplaint {
        id: EntryId,
        lodged_by: Complainant,
        channel: ComplaintChannel,
        routed_to: UserId,
        summary: String,
    },
    UpdateComplaint {
        id: EntryId,
        status: ComplaintStatus,
        outcome: Option<String>,
    },
}

/// Why a command was refused. Messages name the rule, never a person's data.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, thiserror::Error)]
#[serde(tag = "refusal", rename_all = "snake_case")]
pub enum Refusal {
    #[error("not possible while the case is at stage {stage:?}")]
    WrongStage { stage: Stage },
    #[error(
        "an unaccompanied or separated child needs a guardian (an accompanied child a guardian or legal representative) first"
    )]
    RepresentationMissing,
    #[error("this would leave the child without a guardian or representative; appoint one with a handover")]
    WouldLeaveUnrepresented,
    #[error("this person already holds this role for the child")]
    AlreadyAppointed,
    #[error(
        "the guardian has reached the caseload limit of {max}; only a supervisor, with a reason, may exceed it"
    )]
    CaseloadLimit { max: u32 },
    #[error("only a supervisor may do this")]
    SupervisorRequired,
    #[error("the approver must be someone other than the person who asked for approval")]
    ApproverIsRequester,
    #[error("a {kind:?} approval is already waiting")]
    ApprovalAlreadyPending { kind: ApprovalKind },
    #[error("this approval request was already decided")]
    ApprovalAlreadyDecided,
    #[error("an age assessment is pending: no return can be decided until it is done")]
    AgeAssessmentPending,
    #[error("an age assessment is already pending")]
    AgeAssessmentAlreadyPending,
    #[error(
        "the person is presumed a child: closing as an adult needs an assessment whose lower bound is 18"
    )]
    PresumedMinor,
    #[error("{solution:?} needs an approved best-interests determination that recommends it")]
    BidRequired { solution: DurableSolution },
    #[error("a case plan approved by a supervisor is needed first")]
    CasePlanMissing,
    #[error("the follow-up visits are not all done ({done} of {required})")]
    FollowUpIncomplete { done: u32, required: u32 },
    #[error("reunification cannot go ahead yet; missing: {missing:?}")]
    ReunificationIncomplete { missing: Vec<ReunificationStep> },
    #[error("no reunification is in progress")]
    NoReunification,
    #[error("a reunification is already in progress")]
    ReunificationInProgress,
    #[error("complete a family reunification with the reunification step")]
    UseCompleteReunification,
    #[error("data never goes to immigration enforcement (firewall)")]
    Firewall,
    #[error("a referral to another agency needs consent or a documented legal basis")]
    NoSharingBasis,
    #[error("status cannot change from {from} to {to}")]
    StatusChange { from: String, to: String },
    #[error("no {what} with this id in the case")]
    NotFound { what: &'static str },
    #[error("an entry with this id already exists")]
    DuplicateId,
    #[error("the sheet is not written in this language")]
    SheetMissing { topic: Topic, language: SheetLanguage },
    #[error("a complaint goes to an independent person, not someone working on the case")]
    NotIndependent,
    #[error("only the person the complaint was routed to can update it")]
    NotTheRecipient,
    #[error("{0}")]
    Invalid(#[from] ValidationErrors),
}

/// Something to tell someone now, produced by a command.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "notice", rename_all = "snake_case")]
pub enum Notice {
    /// A child is in immigration detention: the supervisor is alerted at once.
    DetentionAlert {
        to: UserId,
        case_id: RecordId,
        detention: EntryId,
        during_age_assessment: bool,
    },
    ApprovalRequested {
        to: UserId,
        case_id: RecordId,
        approval: EntryId,
        kind: ApprovalKind,
    },
    ComplaintRouted {
        to: UserId,
        case_id: RecordId,
        complaint: EntryId,
    },
}

fn validate(ctx: &Context<'_>, check: impl FnOnce(&mut Checker)) -> Result<(), Refusal> {
    let mut checker = Checker::new(ctx.now.date_naive());
    check(&mut checker);
    checker.finish().map_err(Refusal::Invalid)
}

fn require_supervisor(actor: &Actor) -> Result<(), Refusal> {
    if actor.supervisor {
        Ok(())
    } else {
        Err(Refusal::SupervisorRequired)
    }
}

impl CaseFile {
    /// Open a case for a child just identified. A person who says they are a
    /// child is registered as one: appearance is not a reason to refuse.
    pub fn identify(identification: Identification) -> Self {
        let at = identification.at;
        Self {
            case_id: identification.case_id,
            stage: Stage::Identified,
            accompaniment: identification.accompaniment,
            sex: identification.sex,
            identified_at: at,
            registered_at: None,
            caseworker: identification.caseworker,
            supervisor: identification.supervisor,
            age: AgeRecord {
                claims_to_be_child: identification.claims_to_be_child,
                pending: None,
                assessments: Vec::new(),
            },
            representatives: Vec::new(),
            cycle: Cycle::new(at),
            past_cycles: Vec::new(),
            approvals: Vec::new(),
            decisions: Vec::new(),
            care: Vec::new(),
            detentions: Vec::new(),
            referrals: Vec::new(),
            information: Vec::new(),
            complaints: Vec::new(),
            stage_history: Vec::new(),
        }
    }

    /// Whether the child is unaccompanied or separated, or nobody knows yet
    /// (then they are protected as if they were).
    pub fn needs_guardian(&self) -> bool {
        self.accompaniment != Accompaniment::Accompanied
    }

    pub fn active_representatives(&self) -> impl Iterator<Item = &Appointment> {
        self.representatives.iter().filter(|a| a.is_active())
    }

    pub fn active_guardian(&self) -> Option<&Appointment> {
        self.active_representatives()
            .find(|a| a.role == RepresentativeRole::Guardian)
    }

    /// A guardian for an unaccompanied or separated child; a guardian or legal
    /// representative for an accompanied one.
    pub fn is_represented(&self) -> bool {
        if self.needs_guardian() {
            self.active_guardian().is_some()
        } else {
            self.active_representatives().next().is_some()
        }
    }

    pub fn approval(&self, id: EntryId) -> Option<&ApprovalRequest> {
        self.approvals.iter().find(|a| a.id == id)
    }

    pub fn pending_approvals(&self) -> impl Iterator<Item = &ApprovalRequest> {
        self.approvals.iter().filter(|a| a.is_pending())
    }

    pub fn decision(&self, id: DecisionId) -> Option<&BestInterestsDecision> {
        self.decisions.iter().find(|d| d.id == id)
    }

    pub fn current_detention(&self) -> Option<&Detention> {
        self.detentions.iter().find(|d| d.is_current())
    }

    pub fn current_care(&self) -> Option<&CarePlacement> {
        self.care.iter().find(|c| c.ended_at.is_none())
    }

    /// Apply `command` as `actor`. On refusal the case is unchanged.
    pub fn apply(
        &mut self,
        ctx: &Context<'_>,
        actor: &Actor,
        command: Command,
    ) -> Result<Vec<Notice>, Refusal> {
        let mut next = self.clone();
        let notices = next.execute(ctx, actor, command)?;
        *self = next;
        Ok(notices)
    }

    fn move_to(&mut self, to: Stage, ctx: &Context<'_>, actor: &Actor) {
        if self.stage != to {
            self.stage_history.push(StageChange {
                from: self.stage,
                to,
                at: ctx.now,
                by: actor.user.clone(),
            });
            self.stage = to;
        }
    }

    /// A registered child moves on as soon as representation is in place.
    fn advance_if_represented(&mut self, ctx: &Context<'_>, actor: &Actor) {
        if self.stage == Stage::Registered && self.is_represented() {
            self.move_to(Stage::GuardianAppointed, ctx, actor);
        }
    }

    fn expect_stage(&self, allowed: &[Stage]) -> Result<(), Refusal> {
        if allowed.contains(&self.stage) {
            Ok(())
        } else {
            Err(Refusal::WrongStage { stage: self.stage })
        }
    }

    fn open(&self) -> Result<(), Refusal> {
        if self.stage == Stage::Closed {
            Err(Refusal::WrongStage { stage: self.stage })
        } else {
            Ok(())
        }
    }

    fn entry_ids(&self) -> impl Iterator<Item = EntryId> + '_ {
        let visits = std::iter::once(&self.cycle)
            .chain(&self.past_cycles)
            .flat_map(|c| c.visits.iter().map(|v| v.id));
        self.representatives
            .iter()
            .map(|a| a.id)
            .chain(self.approvals.iter().map(|a| a.id))
            .chain(self.age.assessments.iter().map(|a| a.id))
            .chain(self.care.iter().map(|c| c.id))
            .chain(self.detentions.iter().map(|d| d.id))
            .chain(self.referrals.iter().map(|r| r.id))
            .chain(self.information.iter().map(|i| i.id))
            .chain(self.complaints.iter().map(|c| c.id))
            .chain(visits)
    }

    fn fresh(&self, id: EntryId) -> Result<(), Refusal> {
        if self.entry_ids().any(|e| e == id) {
            Err(Refusal::DuplicateId)
        } else {
            Ok(())
        }
    }

    fn request_approval(
        &mut self,
        ctx: &Context<'_>,
        actor: &Actor,
        id: EntryId,
        subject: ApprovalSubject,
    ) -> Result<Vec<Notice>, Refusal> {
        self.fresh(id)?;
        let kind = subject.kind();
        if self.pending_approvals().any(|a| a.subject.kind() == kind) {
            return Err(Refusal::ApprovalAlreadyPending { kind });
        }
        self.approvals.push(ApprovalRequest {
            id,
            subject,
            requested_by: actor.user.clone(),
            requested_at: ctx.now,
            outcome: None,
        });
        Ok(vec![Notice::ApprovalRequested {
            to: self.supervisor.clone(),
            case_id: self.case_id,
            approval: id,
            kind,
        }])
    }

    /// The reunification of the current cycle that is still under way.
    fn reunification_in_progress(&mut self) -> Result<&mut Reunification, Refusal> {
        match &mut self.cycle.reunification {
            Some(r) if r.reunified_at.is_none() => Ok(r),
            _ => Err(Refusal::NoReunification),
        }
    }

    /// Whether `solution` may be implemented on `decision`.
    fn check_solution(&self, solution: DurableSolution, decision: Option<DecisionId>) -> Result<(), Refusal> {
        if solution == DurableSolution::ReturnToCountryOfOrigin && self.age.assessment_pending() {
            return Err(Refusal::AgeAssessmentPending);
        }
        let needs_bid = solution.requires_bid(self.accompaniment)
            || (solution.is_reunification()
                && self
                    .cycle
                    .reunification
                    .as_ref()
                    .is_some_and(Reunification::concerns_found));
        match decision {
            Some(id) => {
                // Only a decision of this cycle, recommending this very solution.
                let recommends = self.cycle.bid == Some(id)
                    && self.decision(id).is_some_and(|d| d.recommended == solution);
                if recommends {
                    Ok(())
                } else {
                    Err(Refusal::BidRequired { solution })
                }
            }
            None if needs_bid => Err(Refusal::BidRequired { solution }),
            None => Ok(()),
        }
    }

    fn execute(
        &mut self,
        ctx: &Context<'_>,
        actor: &Actor,
        command: Command,
    ) -> Result<Vec<Notice>, Refusal> {
        let now = ctx.now;
        match command {
            Command::Register => {
                self.expect_stage(&[Stage::Identified])?;
                self.registered_at = Some(now);
                self.move_to(Stage::Registered, ctx, actor);
                self.advance_if_represented(ctx, actor);
            }
            Command::UpdateProfile { accompaniment, sex } => {
                self.open()?;
                self.accompaniment = accompaniment;
                self.sex = sex;
                if self.stage.needs_representation() && !self.is_represented() {
                    return Err(Refusal::WouldLeaveUnrepresented);
                }
                self.advance_if_represented(ctx, actor);
            }
            Command::AppointRepresentative {
                id,
                representative,
                role,
                handover_from,
                caseload_override_reason,
            } => {
                self.open()?;
                self.fresh(id)?;
                if self
                    .active_representatives()
                    .any(|a| a.representative == representative && a.role == role)
                {
                    return Err(Refusal::AlreadyAppointed);
                }
                let caseload_before = match role {
                    RepresentativeRole::Guardian => ctx.caseloads.of(&representative),
                    RepresentativeRole::LegalRepresentative => 0,
                };
                let caseload_override = if role == RepresentativeRole::Guardian
                    && caseload_before >= ctx.config.max_guardian_caseload
                {
                    let max = ctx.config.max_guardian_caseload;
                    let reason = caseload_override_reason.ok_or(Refusal::CaseloadLimit { max })?;
                    require_supervisor(actor).map_err(|_| Refusal::CaseloadLimit { max })?;
                    validate(ctx, |c| check_text(c, "caseload_override_reason", &reason))?;
                    Some(CaseloadOverride {
                        by: actor.user.clone(),
                        reason,
                    })
                } else {
                    None
                };
                if let Some(previous) = handover_from {
                    let old = self
                        .representatives
                        .iter_mut()
                        .find(|a| a.id == previous && a.is_active())
                        .ok_or(Refusal::NotFound {
                            what: "active appointment",
                        })?;
                    old.ended_at = Some(now);
                    old.end_reason = Some(AppointmentEnd::Handover);
                }
                self.representatives.push(Appointment {
                    id,
                    representative,
                    role,
                    appointed_at: now,
                    appointed_by: actor.user.clone(),
                    caseload_before,
                    caseload_override,
                    ended_at: None,
                    end_reason: None,
                    handover_from,
                });
                if self.stage.needs_representation() && !self.is_represented() {
                    return Err(Refusal::WouldLeaveUnrepresented);
                }
                self.advance_if_represented(ctx, actor);
            }
            Command::EndAppointment { id, reason } => {
                self.open()?;
                let appointment = self
                    .representatives
                    .iter_mut()
                    .find(|a| a.id == id && a.is_active())
                    .ok_or(Refusal::NotFound {
                        what: "active appointment",
                    })?;
                appointment.ended_at = Some(now);
                appointment.end_reason = Some(reason);
                if self.stage.needs_representation() && !self.is_represented() {
                    return Err(Refusal::WouldLeaveUnrepresented);
                }
            }
            Command::RequestAgeAssessment => {
                self.open()?;
                if self.age.assessment_pending() {
                    return Err(Refusal::AgeAssessmentAlreadyPending);
                }
                self.age.pending = Some(PendingAgeAssessment {
                    requested_at: now,
                    requested_by: actor.user.clone(),
                });
            }
            Command::RecordAgeAssessment { assessment } => {
                self.open()?;
                self.fresh(assessment.id)?;
                validate(ctx, |c| assessment.check(c, "assessment"))?;
                self.age.pending = None;
                self.age.assessments.push(assessment);
            }
            Command::StartAssessment => {
                self.expect_stage(&[Stage::GuardianAppointed])?;
                if !self.is_represented() {
                    return Err(Refusal::RepresentationMissing);
                }
                self.move_to(Stage::Assessment, ctx, actor);
            }
            Command::SubmitBia { approval, mut form } => {
                self.expect_stage(&[Stage::Assessment])?;
                validate(ctx, |c| form.check(c, "form"))?;
                return self.request_approval(ctx, actor, approval, ApprovalSubject::Bia { form });
            }
            Command::SubmitCasePlan { approval, mut plan } => {
                self.expect_stage(&[Stage::CasePlanning])?;
                validate(ctx, |c| plan.check(c, "plan"))?;
                return self.request_approval(ctx, actor, approval, ApprovalSubject::CasePlan { plan });
            }
            Command::StartBid => {
                self.expect_stage(&[Stage::CasePlanning])?;
                if self.cycle.case_plan.is_none() {
                    return Err(Refusal::CasePlanMissing);
                }
                self.move_to(Stage::BestInterestsDetermination, ctx, actor);
            }
            Command::SubmitBid {
                approval,
                decision,
                mut form,
            } => {
                self.expect_stage(&[Stage::BestInterestsDetermination])?;
                validate(ctx, |c| form.check(c, "form"))?;
                if self.decision(decision).is_some() {
                    return Err(Refusal::DuplicateId);
                }
                if form.recommended == DurableSolution::ReturnToCountryOfOrigin
                    && self.age.assessment_pending()
                {
                    return Err(Refusal::AgeAssessmentPending);
                }
                return self.request_approval(ctx, actor, approval, ApprovalSubject::Bid { decision, form });
            }
            Command::Decide { approval, verdict } => {
                require_supervisor(actor)?;
                let request = self.approval(approval).ok_or(Refusal::NotFound {
                    what: "approval request",
                })?;
                if !request.is_pending() {
                    return Err(Refusal::ApprovalAlreadyDecided);
                }
                if request.requested_by == actor.user {
                    return Err(Refusal::ApproverIsRequester);
                }
                let request = request.clone();
                if let Verdict::Reject { reason } = &verdict {
                    validate(ctx, |c| check_text(c, "verdict.reason", reason))?;
                } else {
                    self.approve(ctx, actor, &request)?;
                }
                if let Some(r) = self.approvals.iter_mut().find(|a| a.id == approval) {
                    r.outcome = Some(ApprovalOutcome {
                        verdict,
                        by: actor.user.clone(),
                        at: now,
                    });
                }
            }
            Command::ImplementSolution { solution, decision } => {
                self.expect_stage(&[Stage::CasePlanning, Stage::BestInterestsDetermination])?;
                if self.cycle.case_plan.is_none() {
                    return Err(Refusal::CasePlanMissing);
                }
                self.check_solution(solution, decision)?;
                self.cycle.solution = Some(SolutionInProgress {
                    solution,
                    decision,
                    started_at: now,
                    completed_at: None,
                });
                self.move_to(Stage::ImplementingSolution, ctx, actor);
            }
            Command::CompleteSolution => {
                self.expect_stage(&[Stage::ImplementingSolution])?;
                let solution = self
                    .cycle
                    .solution
                    .as_mut()
                    .ok_or(Refusal::WrongStage { stage: self.stage })?;
                if solution.solution.is_reunification() {
                    return Err(Refusal::UseCompleteReunification);
                }
                solution.completed_at = Some(now);
                self.move_to(Stage::FollowUp, ctx, actor);
            }
            Command::RecordFollowUpVisit { visit } => {
                self.expect_stage(&[Stage::FollowUp])?;
                self.fresh(visit.id)?;
                validate(ctx, |c| {
                    c.not_in_future("visit.visited_at", visit.visited_at.date_naive());
                    if let Some(n) = &visit.notes {
                        c.text("visit.notes", n);
                    }
                })?;
                self.cycle.visits.push(visit);
            }
            Command::RequestClosure {
                approval,
                reason,
                note,
            } => {
                self.open()?;
                validate(ctx, |c| check_text(c, "note", &note))?;
                self.check_closure(ctx, reason)?;
                return self.request_approval(
                    ctx,
                    actor,
                    approval,
                    ApprovalSubject::Closure { reason, note },
                );
            }
            Command::Reopen { reason } => {
                self.expect_stage(&[Stage::Closed])?;
                validate(ctx, |c| check_text(c, "reason", &reason))?;
                let finished = std::mem::replace(&mut self.cycle, Cycle::new(now));
                self.past_cycles.push(finished);
                self.move_to(Stage::Registered, ctx, actor);
                self.advance_if_represented(ctx, actor);
            }
            Command::PlaceInCare { placement } => {
                self.open()?;
                self.fresh(placement.id)?;
                validate(ctx, |c| placement.check(c, "placement"))?;
                if let Some(current) = self.care.iter_mut().find(|c| c.ended_at.is_none()) {
                    current.ended_at = Some(placement.since.max(current.since));
                }
                self.care.push(placement);
            }
            Command::RecordDetention {
                id,
                centre_name,
                since,
            } => {
                // Never refused for age or stage reasons: refusing would hide a
                // detained child from the supervisor and from the report.
                self.fresh(id)?;
                let detention = Detention {
                    id,
                    centre_name,
                    since,
                    released_at: None,
                    recorded_by: actor.user.clone(),
                    during_age_assessment: self.age.assessment_pending(),
                };
                validate(ctx, |c| detention.check(c, "detention"))?;
                let during_age_assessment = detention.during_age_assessment;
                self.detentions.push(detention);
                return Ok(vec![Notice::DetentionAlert {
                    to: self.supervisor.clone(),
                    case_id: self.case_id,
                    detention: id,
                    during_age_assessment,
                }]);
            }
            Command::RecordRelease { id, at } => {
                let detention = self
                    .detentions
                    .iter_mut()
                    .find(|d| d.id == id && d.is_current())
                    .ok_or(Refusal::NotFound {
                        what: "current detention",
                    })?;
                if at < detention.since || at > now {
                    return Err(Refusal::Invalid(ValidationErrors {
                        errors: vec![kinlink_core::FieldError {
                            path: "at".into(),
                            message: "must be between the start of detention and now".into(),
                        }],
                    }));
                }
                detention.released_at = Some(at);
            }
            Command::Refer { referral } => {
                self.open()?;
                self.fresh(referral.id)?;
                if referral.recipient.kind == OrganisationKind::ImmigrationAuthority {
                    return Err(Refusal::Firewall);
                }
                if referral.recipient.other_agency && referral.basis.is_none() {
                    return Err(Refusal::NoSharingBasis);
                }
                if referral.status != ReferralStatus::Sent {
                    return Err(Refusal::StatusChange {
                        from: "none".into(),
                        to: format!("{:?}", referral.status),
                    });
                }
                validate(ctx, |c| referral.check(c, "referral"))?;
                self.referrals.push(referral);
            }
            Command::UpdateReferral { id, status } => {
                let referral = self
                    .referrals
                    .iter_mut()
                    .find(|r| r.id == id)
                    .ok_or(Refusal::NotFound { what: "referral" })?;
                if !referral.status.can_become(status) {
                    return Err(Refusal::StatusChange {
                        from: format!("{:?}", referral.status),
                        to: format!("{status:?}"),
                    });
                }
                referral.status = status;
                referral.updated_at = Some(now);
            }
            Command::StartReunification { confirmed_match } => {
                self.open()?;
                // A reunification may start again only after the last one ended
                // in a relationship found not to hold.
                if let Some(r) = &self.cycle.reunification {
                    let disproved = r.verification.as_ref().is_some_and(|v| !v.confirmed);
                    if r.reunified_at.is_some() || !disproved {
                        return Err(Refusal::ReunificationInProgress);
                    }
                }
                self.cycle.reunification = Some(Reunification::new(confirmed_match));
            }
            Command::VerifyRelationship { verification } => {
                self.open()?;
                validate(ctx, |c| verification.check(c, "verification"))?;
                self.reunification_in_progress()?.verification = Some(verification);
            }
            Command::AssessFamily { assessment } => {
                self.open()?;
                validate(ctx, |c| assessment.check(c, "assessment"))?;
                self.reunification_in_progress()?.family_assessment = Some(assessment);
            }
            Command::HearChildOnReunification { mut views } => {
                self.open()?;
                validate(ctx, |c| views.check(c, "views"))?;
                self.reunification_in_progress()?.child_views = Some(views);
            }
            Command::PlanReunification { mut plan } => {
                self.open()?;
                validate(ctx, |c| plan.check(c, "plan"))?;
                self.reunification_in_progress()?.plan = Some(plan);
            }
            Command::CompleteReunification => {
                self.expect_stage(&[Stage::ImplementingSolution])?;
                let (solution, decision) = match &self.cycle.solution {
                    Some(s) if s.solution.is_reunification() => (s.solution, s.decision),
                    _ => return Err(Refusal::WrongStage { stage: self.stage }),
                };
                let missing = self.reunification_in_progress()?.missing_steps();
                if !missing.is_empty() {
                    return Err(Refusal::ReunificationIncomplete { missing });
                }
                // Concerns found after the solution was chosen still need a BID.
                if let Err(Refusal::BidRequired { .. }) = self.check_solution(solution, decision) {
                    return Err(Refusal::ReunificationIncomplete {
                        missing: vec![ReunificationStep::BestInterestsDetermination],
                    });
                }
                self.reunification_in_progress()?.reunified_at = Some(now);
                if let Some(s) = &mut self.cycle.solution {
                    s.completed_at = Some(now);
                }
                self.move_to(Stage::FollowUp, ctx, actor);
            }
            Command::RecordInformationGiven { information } => {
                self.open()?;
                self.fresh(information.id)?;
                if sheet(information.topic, information.language) == Sheet::Missing {
                    return Err(Refusal::SheetMissing {
                        topic: information.topic,
                        language: information.language,
                    });
                }
                validate(ctx, |c| {
                    c.not_in_future("information.given_at", information.given_at.date_naive())
                })?;
                self.information.push(information);
            }
            Command::LodgeComplaint {
                id,
                lodged_by,
                channel,
                routed_to,
                summary,
            } => {
                self.fresh(id)?;
                let involved = routed_to == self.caseworker
                    || routed_to == self.supervisor
                    || self.representatives.iter().any(|a| a.representative == routed_to);
                if involved {
                    return Err(Refusal::NotIndependent);
                }
                validate(ctx, |c| check_text(c, "summary", &summary))?;
                self.complaints.push(Complaint {
                    id,
                    lodged_by,
                    channel,
                    lodged_at: now,
                    recorded_by: actor.user.clone(),
                    routed_to: routed_to.clone(),
                    summary,
                    status: ComplaintStatus::Received,
                    outcome: None,
                    updated_at: None,
                });
                return Ok(vec![Notice::ComplaintRouted {
                    to: routed_to,
                    case_id: self.case_id,
                    complaint: id,
                }]);
            }
            Command::UpdateComplaint { id, status, outcome } => {
                let complaint = self
                    .complaints
                    .iter_mut()
                    .find(|c| c.id == id)
                    .ok_or(Refusal::NotFound { what: "complaint" })?;
                if complaint.routed_to != actor.user {
                    return Err(Refusal::NotTheRecipient);
                }
                if !complaint.status.can_become(status) {
                    return Err(Refusal::StatusChange {
                        from: format!("{:?}", complaint.status),
                        to: format!("{status:?}"),
                    });
                }
                let outcome_needed = status == ComplaintStatus::Resolved;
                let check_outcome = |c: &mut Checker| match &outcome {
                    Some(o) => check_text(c, "outcome", o),
                    None if outcome_needed => c.fail("outcome", "say how the complaint was resolved"),
                    None => {}
                };
                validate(ctx, check_outcome)?;
                complaint.status = status;
                complaint.outcome = outcome;
                complaint.updated_at = Some(now);
            }
        }
        Ok(Vec::new())
    }

    fn check_closure(&self, ctx: &Context<'_>, reason: ClosureReason) -> Result<(), Refusal> {
        match reason {
            ClosureReason::SolutionSustained => {
                self.expect_stage(&[Stage::FollowUp])?;
                let required = u32::try_from(ctx.config.follow_up_visit_days.len()).unwrap_or(u32::MAX);
                let done = u32::try_from(self.cycle.visits.len()).unwrap_or(u32::MAX);
                if done < required {
                    return Err(Refusal::FollowUpIncomplete { done, required });
                }
            }
            ClosureReason::AssessedAsAdult => {
                if self.age.presumed_minor(ctx.now.date_naive()) {
                    return Err(Refusal::PresumedMinor);
                }
            }
            ClosureReason::TransferredToAnotherJurisdiction | ClosureReason::Died | ClosureReason::Other => {}
        }
        Ok(())
    }

    /// Carry out what an approved request asked for, re-checking that it still can be.
    fn approve(
        &mut self,
        ctx: &Context<'_>,
        actor: &Actor,
        request: &ApprovalRequest,
    ) -> Result<(), Refusal> {
        match &request.subject {
            ApprovalSubject::Bia { .. } => {
                self.expect_stage(&[Stage::Assessment])?;
                self.cycle.bia = Some(request.id);
                self.move_to(Stage::CasePlanning, ctx, actor);
            }
            ApprovalSubject::CasePlan { .. } => {
                self.expect_stage(&[Stage::CasePlanning])?;
                self.cycle.case_plan = Some(request.id);
            }
            ApprovalSubject::Bid { decision, form } => {
                self.expect_stage(&[Stage::BestInterestsDetermination])?;
                if form.recommended == DurableSolution::ReturnToCountryOfOrigin
                    && self.age.assessment_pending()
                {
                    return Err(Refusal::AgeAssessmentPending);
                }
                self.decisions.push(BestInterestsDecision {
                    id: *decision,
                    case_id: self.case_id,
                    panel: form.panel.clone(),
                    child_views: form.child_views.clone(),
                    options_considered: form.options_considered.clone(),
                    recommended: form.recommended,
                    reasons: form.reasons.clone(),
                    submitted_by: request.requested_by.clone(),
                    submitted_at: request.requested_at,
                    approved_by: actor.user.clone(),
                    approved_at: ctx.now,
                });
                self.cycle.bid = Some(*decision);
            }
            ApprovalSubject::Closure { reason, note } => {
                self.open()?;
                self.check_closure(ctx, *reason)?;
                self.cycle.closure = Some(Closure {
                    reason: *reason,
                    note: note.clone(),
                    approval: request.id,
                    closed_at: ctx.now,
                });
                for a in self.representatives.iter_mut().filter(|a| a.is_active()) {
                    a.ended_at = Some(ctx.now);
                    a.end_reason = Some(AppointmentEnd::CaseClosed);
                }
                // Other requests cannot be decided on a closed case.
                for other in self
                    .approvals
                    .iter_mut()
                    .filter(|a| a.is_pending() && a.id != request.id)
                {
                    other.outcome = Some(ApprovalOutcome {
                        verdict: Verdict::Reject {
                            reason: "case closed".into(),
                        },
                        by: actor.user.clone(),
                        at: ctx.now,
                    });
                }
                self.move_to(Stage::Closed, ctx, actor);
            }
        }
        Ok(())
    }
}
