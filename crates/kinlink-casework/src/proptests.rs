//! Property tests of the state machine. Random command sequences, from random
//! actors at random times, interleaved with steps that push the case along its
//! usual path (so that deep stages are reached, not only the first ones):
//! - no sequence reaches a state that breaks `invariant_violations` (a stage
//!   without its preconditions, a return without a BID, a self-approval...);
//! - every refusal leaves the case exactly as it was.

use chrono::{DateTime, TimeDelta, Utc};
use kinlink_core::{Accompaniment, Sex};
use proptest::prelude::*;

use crate::age::{AgeAssessment, AgeAssessmentMethod, AgeRange, Assessor};
use crate::care::{CarePlacement, CareType};
use crate::case::{
    AppointmentEnd, ApprovalKind, CaseFile, ClosureReason, Command, RepresentativeRole, Stage, Verdict,
};
use crate::complaint::{Complainant, ComplaintChannel, ComplaintStatus};
use crate::fixtures::*;
use crate::forms::{Discipline, DurableSolution, InterpreterUse, OrganisationKind};
use crate::ids::{Actor, EntryId, UserId};
use crate::info::{Delivery, InformationGiven, SheetLanguage, Topic};
use crate::referral::{Referral, ReferralRecipient, ReferralStatus, ServiceKind, SharingBasis};
use crate::reunification::{FollowUpVisit, Wellbeing};

const ACTORS: [(&str, bool); 4] = [("cw-1", false), ("cw-2", false), ("sup-1", true), ("sup-2", true)];

fn actor(i: u8) -> Actor {
    let (user, supervisor) = ACTORS[usize::from(i) % ACTORS.len()];
    Actor {
        user: UserId::new(user),
        supervisor,
    }
}

fn pick<T: Copy>(items: &[T], i: u8) -> T {
    items[usize::from(i) % items.len()]
}

fn rid(i: u8) -> EntryId {
    id(200 + u128::from(i % 8))
}

/// One raw random step: which command, by whom, two small parameters, and
/// whether to spoil the command's data.
#[derive(Clone, Debug)]
struct Raw {
    script: bool,
    kind: u8,
    actor: u8,
    a: u8,
    b: u8,
    flaw: bool,
    hours: u8,
}

fn raw() -> impl Strategy<Value = Raw> {
    (
        prop::bool::weighted(0.5),
        any::<u8>(),
        any::<u8>(),
        any::<u8>(),
        any::<u8>(),
        prop::bool::weighted(0.2),
        0u8..48,
    )
        .prop_map(|(script, kind, actor, a, b, flaw, hours)| Raw {
            script,
            kind,
            actor,
            a,
            b,
            flaw,
            hours,
        })
}

fn random_command(r: &Raw, now: DateTime<Utc>) -> Command {
    let (a, b, flaw) = (r.a, r.b, r.flaw);
    let today = now.date_naive();
    match r.kind % 32 {
        0 => Command::Register,
        1 => Command::UpdateProfile {
            accompaniment: pick(
                &[
                    Accompaniment::Unaccompanied,
                    Accompaniment::Separated,
                    Accompaniment::Accompanied,
                    Accompaniment::Unknown,
                ],
                a,
            ),
            sex: pick(&[Sex::Female, Sex::Male, Sex::Other, Sex::Unknown], b),
        },
        2 => Command::AppointRepresentative {
            id: rid(a),
            representative: UserId::new(pick(
                &["guardian-1", "guardian-2", "guardian-full", "lawyer-1"],
                b,
            )),
            role: pick(
                &[
                    RepresentativeRole::Guardian,
                    RepresentativeRole::LegalRepresentative,
                ],
                a / 8,
            ),
            handover_from: flaw.then(|| rid(b)),
            caseload_override_reason: (b % 3 == 0).then(|| "only speaker of the child's language".into()),
        },
        3 => Command::EndAppointment {
            id: rid(a),
            reason: pick(
                &[
                    AppointmentEnd::ChildRequest,
                    AppointmentEnd::RepresentativeUnavailable,
                ],
                b,
            ),
        },
        4 => Command::RequestAgeAssessment,
        5 => Command::RecordAgeAssessment {
            assessment: AgeAssessment {
                id: rid(a),
                method: AgeAssessmentMethod::MultidisciplinaryPsychosocialInterview,
                method_details: None,
                assessors: [
                    (Discipline::Psychology, "psy-1"),
                    (Discipline::SocialWork, "sw-1"),
                ]
                .into_iter()
                .take(if flaw { 1 } else { 2 })
                .map(|(discipline, user)| Assessor {
                    user: UserId::new(user),
                    discipline,
                })
                .collect(),
                result: AgeRange {
                    min_years: 10 + b % 15,
                    max_years: 13 + b % 15,
                    on: today,
                },
                completed_at: now,
            },
        },
        6 => Command::StartAssessment,
        7 => {
            let mut form = bia_form();
            if flaw {
                form.health = " ".into();
            }
            Command::SubmitBia {
                approval: rid(a),
                form,
            }
        }
        8 => Command::SubmitCasePlan {
            approval: rid(a),
            plan: case_plan(today),
        },
        9 => Command::StartBid,
        10 => {
            let mut form = bid_form(pick(&DurableSolution::ALL, b));
            if flaw {
                form.panel[2].organisation = OrganisationKind::ImmigrationAuthority;
            }
            Command::SubmitBid {
                approval: rid(a),
                decision: decision_id(u128::from(b % 3)),
                form,
            }
        }
        11 => Command::Decide {
            approval: rid(a),
            verdict: Verdict::Approve,
        },
        12 => Command::Decide {
            approval: rid(a),
            verdict: Verdict::Reject {
                reason: if flaw { String::new() } else { "incomplete".into() },
            },
        },
        13 => Command::ImplementSolution {
            solution: pick(&DurableSolution::ALL, a),
            decision: (!flaw).then(|| decision_id(u128::from(b % 3))),
        },
        14 => Command::CompleteSolution,
        15 => Command::RecordFollowUpVisit {
            visit: visit(rid(a), now),
        },
        16 => Command::RequestClosure {
            approval: rid(a),
            reason: pick(
                &[
                    ClosureReason::SolutionSustained,
                    ClosureReason::AssessedAsAdult,
                    ClosureReason::TransferredToAnotherJurisdiction,
                    ClosureReason::Died,
                    ClosureReason::Other,
                ],
                b,
            ),
            note: if flaw { String::new() } else { "note".into() },
        },
        17 => Command::Reopen {
            reason: "new information".into(),
        },
        18 => Command::PlaceInCare {
            placement: CarePlacement {
                id: rid(a),
                care: pick(
                    &[
                        CareType::Parents,
                        CareType::Kinship,
                        CareType::FosterFamily,
                        CareType::SupervisedIndependentLiving,
                        CareType::SmallGroupHome,
                        CareType::ResidentialCare,
                    ],
                    b,
                ),
                since: now,
                ended_at: None,
                justification: (!flaw).then(|| "no family-based placement available".into()),
                notes: None,
            },
        },
        19 => Command::RecordDetention {
            id: rid(a),
            centre_name: "Synthetic Centre".into(),
            since: now,
        },
        20 => Command::RecordRelease { id: rid(a), at: now },
        21 => Command::Refer {
            referral: Referral {
                id: rid(a),
                service: ServiceKind::Psychosocial,
                recipient: ReferralRecipient {
                    organisation: "Synthetic Service".into(),
                    kind: pick(
                        &[
                            OrganisationKind::ImmigrationAuthority,
                            OrganisationKind::HealthService,
                            OrganisationKind::NonGovernmentalOrganisation,
                        ],
                        b,
                    ),
                    other_agency: b % 2 == 0,
                },
                basis: (!flaw).then(|| SharingBasis::LegalBasis {
                    reference: "child protection act, s. 12".into(),
                }),
                status: ReferralStatus::Sent,
                sent_at: now,
                sent_by: UserId::new("cw-1"),
                due: today + TimeDelta::days(7),
                updated_at: None,
            },
        },
        22 => Command::UpdateReferral {
            id: rid(a),
            status: pick(
                &[
                    ReferralStatus::Sent,
                    ReferralStatus::Accepted,
                    ReferralStatus::Declined,
                    ReferralStatus::Done,
                ],
                b,
            ),
        },
        23 => Command::StartReunification {
            confirmed_match: confirmed_match(),
        },
        24 => Command::VerifyRelationship {
            verification: verification(!flaw),
        },
        25 => Command::AssessFamily {
            assessment: family_assessment(flaw.then_some("concerns")),
        },
        26 => Command::HearChildOnReunification { views: views() },
        27 => Command::PlanReunification {
            plan: reunification_plan(),
        },
        28 => Command::CompleteReunification,
        29 => Command::RecordInformationGiven {
            information: InformationGiven {
                id: rid(a),
                topic: pick(&Topic::ALL, a),
                language: pick(&SheetLanguage::ALL, b),
                delivery: Delivery::Printed,
                interpreter: InterpreterUse::NotNeeded,
                given_by: UserId::new("cw-1"),
                given_at: now,
            },
        },
        30 => Command::LodgeComplaint {
            id: rid(a),
            lodged_by: Complainant::Child,
            channel: ComplaintChannel::InPerson,
            routed_to: UserId::new(pick(&["cw-1", "ombuds-1", "guardian-1", "sup-1"], b)),
            summary: "complaint".into(),
        },
        _ => Command::UpdateComplaint {
            id: rid(a),
            status: pick(
                &[
                    ComplaintStatus::UnderReview,
                    ComplaintStatus::Resolved,
                    ComplaintStatus::Withdrawn,
                ],
                b,
            ),
            outcome: (!flaw).then(|| "resolved".into()),
        },
    }
}

fn visit(id: EntryId, now: DateTime<Utc>) -> FollowUpVisit {
    FollowUpVisit {
        id,
        visited_at: now,
        visited_by: UserId::new("cw-1"),
        child_seen_alone: true,
        wellbeing: Wellbeing::Well,
        notes: None,
    }
}

/// The next step along the usual path from where the case stands.
fn script_step(case: &CaseFile, n: u128, solution_pick: u8, now: DateTime<Utc>) -> (Actor, Command) {
    let cw = Actor::caseworker("cw-1");
    let fresh = id(1000 + n);
    let pending = |kind| case.pending_approvals().find(|a| a.subject.kind() == kind);
    let approve = |kind| {
        pending(kind).map(|a| {
            let approver = if a.requested_by.as_str() == "sup-1" {
                "sup-2"
            } else {
                "sup-1"
            };
            (
                Actor::supervisor(approver),
                Command::Decide {
                    approval: a.id,
                    verdict: Verdict::Approve,
                },
            )
        })
    };
    match case.stage {
        Stage::Identified => (cw, Command::Register),
        Stage::Registered => (
            cw,
            Command::AppointRepresentative {
                id: fresh,
                representative: UserId::new(format!("guardian-s{n}")),
                role: RepresentativeRole::Guardian,
                handover_from: None,
                caseload_override_reason: None,
            },
        ),
        Stage::GuardianAppointed => (cw, Command::StartAssessment),
        Stage::Assessment => approve(ApprovalKind::Bia).unwrap_or((
            cw,
            Command::SubmitBia {
                approval: fresh,
                form: bia_form(),
            },
        )),
        Stage::CasePlanning => approve(ApprovalKind::CasePlan).unwrap_or_else(|| {
            if case.cycle.case_plan.is_none() {
                (
                    cw,
                    Command::SubmitCasePlan {
                        approval: fresh,
                        plan: case_plan(now.date_naive()),
                    },
                )
            } else {
                (cw, Command::StartBid)
            }
        }),
        Stage::BestInterestsDetermination => approve(ApprovalKind::Bid).unwrap_or_else(|| {
            match case.cycle.bid.and_then(|d| case.decision(d)) {
                Some(d) => (
                    cw,
                    Command::ImplementSolution {
                        solution: d.recommended,
                        decision: Some(d.id),
                    },
                ),
                None => (
                    cw,
                    Command::SubmitBid {
                        approval: fresh,
                        decision: decision_id(100 + n),
                        form: bid_form(pick(&DurableSolution::ALL, solution_pick)),
                    },
                ),
            }
        }),
        Stage::ImplementingSolution => {
            let reunifying = case
                .cycle
                .solution
                .as_ref()
                .is_some_and(|s| s.solution.is_reunification());
            if !reunifying {
                return (cw, Command::CompleteSolution);
            }
            let command = match &case.cycle.reunification {
                None => Command::StartReunification {
                    confirmed_match: confirmed_match(),
                },
                Some(r) if r.verification.as_ref().is_none_or(|v| !v.confirmed) => {
                    if r.verification.is_some() {
                        Command::StartReunification {
                            confirmed_match: confirmed_match(),
                        }
                    } else {
                        Command::VerifyRelationship {
                            verification: verification(true),
                        }
                    }
                }
                Some(r) if r.family_assessment.as_ref().is_none_or(|f| f.concerns.is_some()) => {
                    Command::AssessFamily {
                        assessment: family_assessment(None),
                    }
                }
                Some(r) if r.child_views.is_none() => Command::HearChildOnReunification { views: views() },
                Some(r) if r.plan.is_none() => Command::PlanReunification {
                    plan: reunification_plan(),
                },
                Some(_) => Command::CompleteReunification,
            };
            (cw, command)
        }
        Stage::FollowUp => {
            if case.cycle.visits.len() < 3 {
                (
                    cw,
                    Command::RecordFollowUpVisit {
                        visit: visit(fresh, now),
                    },
                )
            } else {
                approve(ApprovalKind::Closure).unwrap_or((
                    cw,
                    Command::RequestClosure {
                        approval: fresh,
                        reason: ClosureReason::SolutionSustained,
                        note: "sustained".into(),
                    },
                ))
            }
        }
        Stage::Closed => (
            cw,
            Command::Reopen {
                reason: "new information".into(),
            },
        ),
    }
}

/// Runs the steps, checking both properties after each; returns the deepest stage reached.
fn run_steps(steps: &[Raw], accompaniment: Accompaniment) -> Result<Stage, TestCaseError> {
    let mut world = World::new();
    world
        .caseloads
        .set(UserId::new("guardian-full"), world.config.max_guardian_caseload);
    let mut case = CaseFile::identify(identification(accompaniment));
    let mut deepest = case.stage;
    for (n, step) in steps.iter().enumerate() {
        world.now += TimeDelta::hours(i64::from(step.hours));
        let (who, command) = if step.script {
            script_step(&case, n as u128, step.b, world.now)
        } else {
            (actor(step.actor), random_command(step, world.now))
        };
        let before = case.clone();
        let label = format!("{command:?}");
        if let Err(refusal) = world.run(&mut case, &who, command) {
            prop_assert_eq!(&case, &before, "refused {} ({}) changed the case", label, refusal);
        }
        let violations = case.invariant_violations(&world.config);
        prop_assert!(violations.is_empty(), "after {}: {:?}", label, violations);
        if case.stage != Stage::Closed {
            deepest = deepest.max(case.stage);
        } else if deepest < Stage::Closed {
            deepest = Stage::Closed;
        }
    }
    Ok(deepest)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn no_command_sequence_breaks_an_invariant_and_refusals_change_nothing(
        steps in prop::collection::vec(raw(), 1..120),
        accompaniment in prop::sample::select(vec![
            Accompaniment::Unaccompanied,
            Accompaniment::Separated,
            Accompaniment::Accompanied,
            Accompaniment::Unknown,
        ]),
    ) {
        run_steps(&steps, accompaniment)?;
    }
}

/// The scripted steps alone take a case all the way round, for every solution:
/// without this, the property test could silently stop reaching deep stages.
#[test]
fn script_reaches_closure_for_every_solution() {
    for solution in 0..5u8 {
        let steps: Vec<Raw> = (0..40)
            .map(|_| Raw {
                script: true,
                kind: 0,
                actor: 0,
                a: 0,
                b: solution,
                flaw: false,
                hours: 24,
            })
            .collect();
        let deepest = run_steps(&steps, Accompaniment::Unaccompanied).expect("properties hold");
        assert_eq!(deepest, Stage::Closed, "solution {solution}");
    }
}
