//! Scenario tests: one per safeguard, named after it (ARCHITECTURE.md lists them).

use chrono::TimeDelta;
use kinlink_core::{Accompaniment, Sex};

use crate::age::{AgeAssessment, AgeAssessmentMethod, AgeRange, Assessor};
use crate::care::{CareType, DetentionFacts, DetentionReport};
use crate::case::{
    AppointmentEnd, ApprovalKind, CaseFile, ClosureReason, Command, Notice, Refusal, RepresentativeRole,
    Stage, Verdict,
};
use crate::complaint::{Complainant, ComplaintChannel, ComplaintStatus};
use crate::fixtures::*;
use crate::forms::{Discipline, DurableSolution, Heard, OrganisationKind};
use crate::ids::{Actor, UserId};
use crate::info::{Delivery, InformationGiven, SheetLanguage, Topic};
use crate::referral::{Referral, ReferralRecipient, ReferralStatus, ServiceKind, SharingBasis};
use crate::reunification::{FollowUpVisit, ReunificationStep, Wellbeing};
use crate::tasks::{TaskKind, tasks, tasks_for, team_tasks};

fn new_case(accompaniment: Accompaniment) -> CaseFile {
    CaseFile::identify(identification(accompaniment))
}

/// Applies a command expected to be refused, and checks the case did not change.
fn refused(world: &World, case: &mut CaseFile, actor: &Actor, command: Command) -> Refusal {
    let before = case.clone();
    let refusal = world
        .run(case, actor, command)
        .expect_err("command should be refused");
    assert_eq!(*case, before, "a refusal changed the case");
    refusal
}

fn assessment(n: u128, min: u8, max: u8) -> AgeAssessment {
    AgeAssessment {
        id: id(n),
        method: AgeAssessmentMethod::MultidisciplinaryPsychosocialInterview,
        method_details: None,
        assessors: vec![
            Assessor {
                user: UserId::new("psy-1"),
                discipline: Discipline::Psychology,
            },
            Assessor {
                user: UserId::new("sw-1"),
                discipline: Discipline::SocialWork,
            },
        ],
        result: AgeRange {
            min_years: min,
            max_years: max,
            on: t0().date_naive(),
        },
        completed_at: t0(),
    }
}

#[test]
fn guardian_delay_alert() {
    let mut world = World::new();
    let case = new_case(Accompaniment::Unaccompanied);
    let cw = caseworker().user;
    let sup = supervisor().user;

    world.now = hours(23);
    let due = tasks([&case], world.now, &world.config);
    let mine: Vec<_> = tasks_for(&due, &cw)
        .filter(|t| t.kind == TaskKind::GuardianNotAppointed)
        .collect();
    assert_eq!(mine.len(), 1);
    assert!(!mine[0].overdue);
    assert_eq!(mine[0].due, hours(24));
    assert_eq!(
        tasks_for(&due, &sup).count(),
        0,
        "the supervisor is not alerted before the delay"
    );

    world.now = hours(25);
    let due = tasks([&case], world.now, &world.config);
    assert!(tasks_for(&due, &cw).any(|t| t.kind == TaskKind::GuardianNotAppointed && t.overdue));
    assert!(tasks_for(&due, &sup).any(|t| t.kind == TaskKind::GuardianNotAppointed && t.overdue));

    // The delay is configurable.
    world.config.guardian_delay_hours = 48;
    let due = tasks([&case], world.now, &world.config);
    assert!(tasks_for(&due, &cw).all(|t| !t.overdue));

    // Once a guardian is appointed the alert is gone.
    let mut case = case;
    world.ok(&mut case, &caseworker(), appoint_guardian(1));
    let due = tasks([&case], world.now, &world.config);
    assert!(due.iter().all(|t| t.kind != TaskKind::GuardianNotAppointed));
}

#[test]
fn accompanied_child_needs_no_guardian_alert_but_a_representative_to_proceed() {
    let world = World::new();
    let mut case = new_case(Accompaniment::Accompanied);
    world.ok(&mut case, &caseworker(), Command::Register);
    let due = tasks([&case], hours(48), &world.config);
    assert!(due.iter().all(|t| t.kind != TaskKind::GuardianNotAppointed));
    assert_eq!(
        refused(&world, &mut case, &caseworker(), Command::StartAssessment),
        Refusal::WrongStage {
            stage: Stage::Registered
        }
    );
    world.ok(
        &mut case,
        &caseworker(),
        Command::AppointRepresentative {
            id: id(1),
            representative: UserId::new("lawyer-1"),
            role: RepresentativeRole::LegalRepresentative,
            handover_from: None,
            caseload_override_reason: None,
        },
    );
    assert_eq!(case.stage, Stage::GuardianAppointed);
}

#[test]
fn unaccompanied_child_cannot_proceed_with_only_a_legal_representative() {
    let world = World::new();
    let mut case = new_case(Accompaniment::Separated);
    world.ok(&mut case, &caseworker(), Command::Register);
    world.ok(
        &mut case,
        &caseworker(),
        Command::AppointRepresentative {
            id: id(1),
            representative: UserId::new("lawyer-1"),
            role: RepresentativeRole::LegalRepresentative,
            handover_from: None,
            caseload_override_reason: None,
        },
    );
    assert_eq!(case.stage, Stage::Registered);
    world.ok(&mut case, &caseworker(), appoint_guardian(2));
    assert_eq!(case.stage, Stage::GuardianAppointed);
}

#[test]
fn guardian_caseload_limit() {
    let mut world = World::new();
    world.caseloads.set(guardian(), 25);
    let mut case = new_case(Accompaniment::Unaccompanied);
    let max = Refusal::CaseloadLimit { max: 25 };

    assert_eq!(
        refused(&world, &mut case, &caseworker(), appoint_guardian(1)),
        max
    );
    let with_reason = |actor_reason: &str| Command::AppointRepresentative {
        id: id(1),
        representative: guardian(),
        role: RepresentativeRole::Guardian,
        handover_from: None,
        caseload_override_reason: Some(actor_reason.into()),
    };
    // A caseworker cannot override, even with a reason; a supervisor needs one.
    assert_eq!(
        refused(
            &world,
            &mut case,
            &caseworker(),
            with_reason("only Tigrinya speaker")
        ),
        max
    );
    assert_eq!(
        refused(&world, &mut case, &supervisor(), appoint_guardian(1)),
        max
    );
    assert!(matches!(
        refused(&world, &mut case, &supervisor(), with_reason("  ")),
        Refusal::Invalid(_)
    ));
    world.ok(&mut case, &supervisor(), with_reason("only Tigrinya speaker"));
    let appointment = case.active_guardian().expect("appointed");
    assert_eq!(appointment.caseload_before, 25);
    assert_eq!(
        appointment.caseload_override.as_ref().map(|o| o.by.clone()),
        Some(supervisor().user)
    );

    // Below the limit, anyone may appoint; the limit is configurable.
    world.caseloads.set(guardian(), 2);
    let mut other = new_case(Accompaniment::Unaccompanied);
    world.ok(&mut other, &caseworker(), appoint_guardian(1));
    world.config.max_guardian_caseload = 2;
    let mut third = new_case(Accompaniment::Unaccompanied);
    assert_eq!(
        refused(&world, &mut third, &caseworker(), appoint_guardian(1)),
        Refusal::CaseloadLimit { max: 2 }
    );
}

#[test]
fn caseloads_count_active_guardianships_across_cases() {
    let world = World::new();
    let mut a = new_case(Accompaniment::Unaccompanied);
    let mut b = new_case(Accompaniment::Unaccompanied);
    world.ok(&mut a, &caseworker(), appoint_guardian(1));
    world.ok(&mut b, &caseworker(), appoint_guardian(1));
    assert_eq!(crate::Caseloads::count([&a, &b]).of(&guardian()), 2);
    world.ok(
        &mut b,
        &caseworker(),
        Command::AppointRepresentative {
            id: id(2),
            representative: UserId::new("guardian-2"),
            role: RepresentativeRole::Guardian,
            handover_from: Some(id(1)),
            caseload_override_reason: None,
        },
    );
    assert_eq!(crate::Caseloads::count([&a, &b]).of(&guardian()), 1);
}

#[test]
fn guardian_handover_keeps_history_and_never_leaves_the_child_alone() {
    let world = World::new();
    let mut case = new_case(Accompaniment::Unaccompanied);
    world.ok(&mut case, &caseworker(), Command::Register);
    world.ok(&mut case, &caseworker(), appoint_guardian(1));
    assert_eq!(case.stage, Stage::GuardianAppointed);
    assert_eq!(
        refused(
            &world,
            &mut case,
            &caseworker(),
            Command::EndAppointment {
                id: id(1),
                reason: AppointmentEnd::RepresentativeUnavailable
            }
        ),
        Refusal::WouldLeaveUnrepresented
    );
    world.ok(
        &mut case,
        &caseworker(),
        Command::AppointRepresentative {
            id: id(2),
            representative: UserId::new("guardian-2"),
            role: RepresentativeRole::Guardian,
            handover_from: Some(id(1)),
            caseload_override_reason: None,
        },
    );
    assert_eq!(case.representatives.len(), 2);
    assert_eq!(case.representatives[0].end_reason, Some(AppointmentEnd::Handover));
    assert_eq!(case.representatives[0].ended_at, Some(t0()));
    assert_eq!(case.representatives[1].handover_from, Some(id(1)));
    assert_eq!(case.active_guardian().map(|a| a.id), Some(id(2)));
}

#[test]
fn presumption_of_minority() {
    let world = World::new();
    let mut case = new_case(Accompaniment::Unaccompanied);
    assert!(case.age.claims_to_be_child);
    assert!(case.age.presumed_minor(world.now.date_naive()));
    let close_as_adult = |n| Command::RequestClosure {
        approval: id(n),
        reason: ClosureReason::AssessedAsAdult,
        note: "assessment".into(),
    };
    assert_eq!(
        refused(&world, &mut case, &caseworker(), close_as_adult(10)),
        Refusal::PresumedMinor
    );
    // A range reaching below 18: the lower bound holds.
    world.ok(
        &mut case,
        &caseworker(),
        Command::RecordAgeAssessment {
            assessment: assessment(20, 17, 22),
        },
    );
    assert_eq!(
        refused(&world, &mut case, &caseworker(), close_as_adult(10)),
        Refusal::PresumedMinor
    );
    // A new assessment under way keeps the presumption even over an adult result.
    world.ok(&mut case, &caseworker(), Command::RequestAgeAssessment);
    let mut adult = assessment(21, 19, 24);
    adult.completed_at = hours(1);
    let mut pending = case.clone();
    pending.age.assessments.push(adult.clone());
    assert!(pending.age.presumed_minor(world.now.date_naive()));
    world.ok(
        &mut case,
        &caseworker(),
        Command::RecordAgeAssessment { assessment: adult },
    );
    assert!(!case.age.presumed_minor(world.now.date_naive()));
    world.ok(&mut case, &caseworker(), close_as_adult(10));
}

#[test]
fn age_assessment_pending_blocks_return_and_flags_detention() {
    let world = World::new();
    let mut case = case_with_plan(&world, Accompaniment::Unaccompanied);
    world.ok(&mut case, &caseworker(), Command::StartBid);
    world.ok(&mut case, &caseworker(), Command::RequestAgeAssessment);
    assert!(case.age.assessment_pending());
    let submit_return = Command::SubmitBid {
        approval: id(4),
        decision: decision_id(1),
        form: bid_form(DurableSolution::ReturnToCountryOfOrigin),
    };
    assert_eq!(
        refused(&world, &mut case, &caseworker(), submit_return.clone()),
        Refusal::AgeAssessmentPending
    );

    // A return BID submitted before the assessment was asked for cannot be approved while it runs.
    let mut earlier = case_with_plan(&world, Accompaniment::Unaccompanied);
    world.ok(&mut earlier, &caseworker(), Command::StartBid);
    world.ok(&mut earlier, &caseworker(), submit_return);
    world.ok(&mut earlier, &caseworker(), Command::RequestAgeAssessment);
    assert_eq!(
        refused(&world, &mut earlier, &supervisor(), approve(4)),
        Refusal::AgeAssessmentPending
    );

    // ... nor, with an approved return BID, can the return be implemented.
    let mut approved = case_with_bid(&world, DurableSolution::ReturnToCountryOfOrigin);
    world.ok(&mut approved, &caseworker(), Command::RequestAgeAssessment);
    assert_eq!(
        refused(
            &world,
            &mut approved,
            &caseworker(),
            Command::ImplementSolution {
                solution: DurableSolution::ReturnToCountryOfOrigin,
                decision: Some(decision_id(1)),
            }
        ),
        Refusal::AgeAssessmentPending
    );

    // Detention is recorded (hiding it would hide the child) but flagged.
    let notices = world.ok(
        &mut case,
        &caseworker(),
        Command::RecordDetention {
            id: id(30),
            centre_name: "Synthetic Holding Centre".into(),
            since: t0(),
        },
    );
    assert!(matches!(
        notices.as_slice(),
        [Notice::DetentionAlert {
            during_age_assessment: true,
            ..
        }]
    ));
}

#[test]
fn no_return_without_a_bid_recommending_it() {
    let world = World::new();
    let implement = |decision| Command::ImplementSolution {
        solution: DurableSolution::ReturnToCountryOfOrigin,
        decision,
    };
    let bid_required = Refusal::BidRequired {
        solution: DurableSolution::ReturnToCountryOfOrigin,
    };
    // No BID at all.
    let mut case = case_with_plan(&world, Accompaniment::Unaccompanied);
    assert_eq!(
        refused(&world, &mut case, &caseworker(), implement(None)),
        bid_required
    );
    // Even for an accompanied child.
    let mut accompanied = {
        let mut c = new_case(Accompaniment::Accompanied);
        world.ok(&mut c, &caseworker(), Command::Register);
        c
    };
    assert!(matches!(
        refused(&world, &mut accompanied, &caseworker(), implement(None)),
        Refusal::WrongStage { .. }
    ));
    // A BID recommending something else.
    let mut other = case_with_bid(&world, DurableSolution::LocalIntegration);
    assert_eq!(
        refused(&world, &mut other, &caseworker(), implement(Some(decision_id(1)))),
        bid_required
    );
    assert_eq!(
        refused(&world, &mut other, &caseworker(), implement(None)),
        bid_required
    );
    // A BID that does not exist.
    assert_eq!(
        refused(&world, &mut other, &caseworker(), implement(Some(decision_id(9)))),
        bid_required
    );
    // A BID recommending return.
    let mut ret = case_with_bid(&world, DurableSolution::ReturnToCountryOfOrigin);
    world.ok(&mut ret, &caseworker(), implement(Some(decision_id(1))));
    assert_eq!(ret.stage, Stage::ImplementingSolution);
}

#[test]
fn local_integration_of_an_unaccompanied_child_needs_a_bid_but_in_country_reunification_does_not() {
    let world = World::new();
    let mut case = case_with_plan(&world, Accompaniment::Unaccompanied);
    assert_eq!(
        refused(
            &world,
            &mut case,
            &caseworker(),
            Command::ImplementSolution {
                solution: DurableSolution::LocalIntegration,
                decision: None
            }
        ),
        Refusal::BidRequired {
            solution: DurableSolution::LocalIntegration
        }
    );
    world.ok(
        &mut case,
        &caseworker(),
        Command::ImplementSolution {
            solution: DurableSolution::FamilyReunificationInCountry,
            decision: None,
        },
    );
}

#[test]
fn bid_panel_is_multidisciplinary_and_independent_of_immigration() {
    let world = World::new();
    let mut case = case_with_plan(&world, Accompaniment::Unaccompanied);
    world.ok(&mut case, &caseworker(), Command::StartBid);
    let submit = |form| Command::SubmitBid {
        approval: id(4),
        decision: decision_id(1),
        form,
    };
    let paths = |r: Refusal| match r {
        Refusal::Invalid(e) => e.errors.into_iter().map(|f| f.path).collect::<Vec<_>>(),
        other => panic!("expected validation errors, got {other:?}"),
    };

    let mut two = bid_form(DurableSolution::LocalIntegration);
    two.panel.truncate(2);
    assert_eq!(
        paths(refused(&world, &mut case, &caseworker(), submit(two))),
        ["form.panel"]
    );

    let mut same = bid_form(DurableSolution::LocalIntegration);
    for p in &mut same.panel {
        p.discipline = Discipline::SocialWork;
    }
    assert_eq!(
        paths(refused(&world, &mut case, &caseworker(), submit(same))),
        ["form.panel"]
    );

    let mut immigration = bid_form(DurableSolution::LocalIntegration);
    immigration.panel[1].organisation = OrganisationKind::ImmigrationAuthority;
    assert_eq!(
        paths(refused(&world, &mut case, &caseworker(), submit(immigration))),
        ["form.panel[1].organisation"]
    );

    let mut unheard = bid_form(DurableSolution::LocalIntegration);
    unheard.child_views.informed_child_friendly = false;
    unheard.options_considered.truncate(1);
    assert_eq!(
        paths(refused(&world, &mut case, &caseworker(), submit(unheard))),
        [
            "form.child_views.informed_child_friendly",
            "form.options_considered"
        ]
    );

    world.ok(
        &mut case,
        &caseworker(),
        submit(bid_form(DurableSolution::LocalIntegration)),
    );
}

#[test]
fn approvals_need_a_different_supervisor() {
    let world = World::new();
    let mut case = new_case(Accompaniment::Unaccompanied);
    world.ok(&mut case, &caseworker(), Command::Register);
    world.ok(&mut case, &caseworker(), appoint_guardian(1));
    world.ok(&mut case, &caseworker(), Command::StartAssessment);
    // A supervisor submits; they cannot approve their own request.
    let notices = world.ok(
        &mut case,
        &supervisor(),
        Command::SubmitBia {
            approval: id(2),
            form: bia_form(),
        },
    );
    assert!(matches!(
        notices.as_slice(),
        [Notice::ApprovalRequested {
            kind: ApprovalKind::Bia,
            ..
        }]
    ));
    assert_eq!(
        refused(
            &world,
            &mut case,
            &supervisor(),
            Command::SubmitBia {
                approval: id(3),
                form: bia_form()
            }
        ),
        Refusal::ApprovalAlreadyPending {
            kind: ApprovalKind::Bia
        }
    );
    assert_eq!(
        refused(&world, &mut case, &caseworker(), approve(2)),
        Refusal::SupervisorRequired
    );
    assert_eq!(
        refused(&world, &mut case, &supervisor(), approve(2)),
        Refusal::ApproverIsRequester
    );
    // Rejection needs a reason and leaves the stage.
    assert!(matches!(
        refused(
            &world,
            &mut case,
            &other_supervisor(),
            Command::Decide {
                approval: id(2),
                verdict: Verdict::Reject { reason: "".into() }
            }
        ),
        Refusal::Invalid(_)
    ));
    world.ok(
        &mut case,
        &other_supervisor(),
        Command::Decide {
            approval: id(2),
            verdict: Verdict::Reject {
                reason: "Health section incomplete.".into(),
            },
        },
    );
    assert_eq!(case.stage, Stage::Assessment);
    assert_eq!(
        refused(&world, &mut case, &other_supervisor(), approve(2)),
        Refusal::ApprovalAlreadyDecided
    );
    world.ok(
        &mut case,
        &caseworker(),
        Command::SubmitBia {
            approval: id(3),
            form: bia_form(),
        },
    );
    world.ok(&mut case, &other_supervisor(), approve(3));
    assert_eq!(case.stage, Stage::CasePlanning);
}

#[test]
fn approval_waiting_is_a_supervisor_task() {
    let world = World::new();
    let mut case = new_case(Accompaniment::Unaccompanied);
    world.ok(&mut case, &caseworker(), Command::Register);
    world.ok(&mut case, &caseworker(), appoint_guardian(1));
    world.ok(&mut case, &caseworker(), Command::StartAssessment);
    world.ok(
        &mut case,
        &caseworker(),
        Command::SubmitBia {
            approval: id(2),
            form: bia_form(),
        },
    );
    let later = hours(73);
    let team = team_tasks([&case], &supervisor().user, later, &world.config);
    let sup = team.get(&supervisor().user).expect("supervisor's tasks");
    assert!(sup.iter().any(|t| t.overdue
        && t.kind
            == TaskKind::ApprovalWaiting {
                approval: id(2),
                approval_kind: ApprovalKind::Bia
            }));
    let cw = team
        .get(&caseworker().user)
        .expect("caseworker's tasks in the team view");
    assert!(cw.iter().any(|t| t.kind == TaskKind::BiaDue && !t.overdue));
    assert!(team_tasks([&case], &other_supervisor().user, later, &world.config).is_empty());
}

#[test]
fn bia_due_task_becomes_overdue() {
    let world = World::new();
    let mut case = new_case(Accompaniment::Unaccompanied);
    world.ok(&mut case, &caseworker(), Command::Register);
    let due = tasks([&case], t0() + TimeDelta::days(31), &world.config);
    assert!(due.iter().any(|t| t.kind == TaskKind::BiaDue && t.overdue));
}

#[test]
fn detention_alert_and_report() {
    let mut world = World::new();
    let mut case = new_case(Accompaniment::Unaccompanied);
    let notices = world.ok(
        &mut case,
        &caseworker(),
        Command::RecordDetention {
            id: id(30),
            centre_name: "Synthetic Holding Centre".into(),
            since: t0(),
        },
    );
    assert_eq!(
        notices,
        vec![Notice::DetentionAlert {
            to: supervisor().user,
            case_id: case_id(),
            detention: id(30),
            during_age_assessment: false,
        }]
    );
    let due = tasks([&case], hours(1), &world.config);
    assert!(tasks_for(&due, &supervisor().user).any(|t| matches!(t.kind, TaskKind::ChildInDetention { .. })));

    let mut accompanied = new_case(Accompaniment::Accompanied);
    accompanied.sex = Sex::Male;
    world.ok(
        &mut accompanied,
        &caseworker(),
        Command::RecordDetention {
            id: id(31),
            centre_name: "Other Centre".into(),
            since: t0(),
        },
    );
    world.now = hours(2);
    world.ok(
        &mut accompanied,
        &caseworker(),
        Command::RecordRelease {
            id: id(31),
            at: hours(2),
        },
    );
    let never = new_case(Accompaniment::Unaccompanied);
    let facts = [&case, &accompanied, &never].map(|c| DetentionFacts {
        sex: c.sex,
        accompaniment: c.accompaniment,
        detentions: &c.detentions,
    });
    let report = DetentionReport::build(facts.clone(), t0(), hours(24));
    assert_eq!(report.children, 2);
    assert_eq!(report.by_sex.get("female"), Some(&1));
    assert_eq!(report.by_sex.get("male"), Some(&1));
    assert_eq!((report.accompanied, report.unaccompanied_or_separated), (1, 1));
    assert_eq!(report.by_centre.get("Synthetic Holding Centre"), Some(&1));
    assert_eq!(report.by_centre.get("Other Centre"), Some(&1));
    // After the release, only the child still detained counts.
    let later = DetentionReport::build(facts, hours(3), hours(24));
    assert_eq!(later.children, 1);
    // Released: no more alert.
    let due = tasks([&accompanied], hours(3), &world.config);
    assert!(
        due.iter()
            .all(|t| !matches!(t.kind, TaskKind::ChildInDetention { .. }))
    );
}

#[test]
fn residential_care_is_a_last_resort() {
    let world = World::new();
    let mut case = new_case(Accompaniment::Unaccompanied);
    world.ok(
        &mut case,
        &caseworker(),
        Command::PlaceInCare {
            placement: placement(40, CareType::FosterFamily, None),
        },
    );
    let err = refused(
        &world,
        &mut case,
        &caseworker(),
        Command::PlaceInCare {
            placement: placement(41, CareType::ResidentialCare, None),
        },
    );
    assert!(matches!(err, Refusal::Invalid(e) if e.errors[0].path == "placement.justification"));
    let mut residential = placement(
        41,
        CareType::ResidentialCare,
        Some("Foster placement broke down; no family available."),
    );
    residential.since = hours(5);
    world.ok(
        &mut case,
        &caseworker(),
        Command::PlaceInCare {
            placement: residential,
        },
    );
    assert_eq!(case.care.len(), 2);
    assert_eq!(case.care[0].ended_at, Some(hours(5)));
    assert_eq!(
        case.current_care().map(|c| c.care),
        Some(CareType::ResidentialCare)
    );
}

fn referral(n: u128, kind: OrganisationKind, other_agency: bool, basis: Option<SharingBasis>) -> Referral {
    Referral {
        id: id(n),
        service: ServiceKind::LegalAid,
        recipient: ReferralRecipient {
            organisation: "Synthetic Legal Aid".into(),
            kind,
            other_agency,
        },
        basis,
        status: ReferralStatus::Sent,
        sent_at: t0(),
        sent_by: caseworker().user,
        due: t0().date_naive() + TimeDelta::days(7),
        updated_at: None,
    }
}

#[test]
fn referrals_respect_consent_and_the_firewall() {
    let world = World::new();
    let mut case = new_case(Accompaniment::Unaccompanied);
    let consent = Some(SharingBasis::Consent {
        consent_ref: "consent-1".into(),
    });
    assert_eq!(
        refused(
            &world,
            &mut case,
            &caseworker(),
            Command::Refer {
                referral: referral(50, OrganisationKind::ImmigrationAuthority, true, consent.clone())
            }
        ),
        Refusal::Firewall
    );
    assert_eq!(
        refused(
            &world,
            &mut case,
            &caseworker(),
            Command::Refer {
                referral: referral(50, OrganisationKind::LegalAidProvider, true, None)
            }
        ),
        Refusal::NoSharingBasis
    );
    world.ok(
        &mut case,
        &caseworker(),
        Command::Refer {
            referral: referral(50, OrganisationKind::LegalAidProvider, true, consent),
        },
    );
    world.ok(
        &mut case,
        &caseworker(),
        Command::Refer {
            referral: referral(51, OrganisationKind::HealthService, false, None),
        },
    );
    let update = |status| Command::UpdateReferral { id: id(50), status };
    assert!(matches!(
        refused(&world, &mut case, &caseworker(), update(ReferralStatus::Done)),
        Refusal::StatusChange { .. }
    ));
    world.ok(&mut case, &caseworker(), update(ReferralStatus::Accepted));
    // Overdue referrals show up as tasks.
    let due = tasks([&case], t0() + TimeDelta::days(8), &world.config);
    assert!(
        due.iter()
            .any(|t| t.kind == TaskKind::ReferralOverdue { referral: id(50) } && t.overdue)
    );
    world.ok(&mut case, &caseworker(), update(ReferralStatus::Done));
    let due = tasks([&case], t0() + TimeDelta::days(8), &world.config);
    assert!(
        due.iter()
            .all(|t| t.kind != TaskKind::ReferralOverdue { referral: id(50) })
    );
}

#[test]
fn reunification_needs_verification_family_assessment_views_and_plan() {
    let world = World::new();
    let mut case = case_with_plan(&world, Accompaniment::Unaccompanied);
    let cw = caseworker();
    world.ok(
        &mut case,
        &cw,
        Command::StartReunification {
            confirmed_match: confirmed_match(),
        },
    );
    world.ok(
        &mut case,
        &cw,
        Command::ImplementSolution {
            solution: DurableSolution::FamilyReunificationInCountry,
            decision: None,
        },
    );
    assert_eq!(
        refused(&world, &mut case, &cw, Command::CompleteReunification),
        Refusal::ReunificationIncomplete {
            missing: vec![
                ReunificationStep::RelationshipVerified,
                ReunificationStep::FamilyAbleAndWilling,
                ReunificationStep::ChildHeard,
                ReunificationStep::DateAndPlace,
            ]
        }
    );
    assert_eq!(
        refused(&world, &mut case, &cw, Command::CompleteSolution),
        Refusal::UseCompleteReunification
    );
    world.ok(
        &mut case,
        &cw,
        Command::VerifyRelationship {
            verification: verification(true),
        },
    );
    world.ok(
        &mut case,
        &cw,
        Command::AssessFamily {
            assessment: family_assessment(Some("Overcrowded housing; a relative with a violent record.")),
        },
    );
    world.ok(
        &mut case,
        &cw,
        Command::HearChildOnReunification { views: views() },
    );
    world.ok(
        &mut case,
        &cw,
        Command::PlanReunification {
            plan: reunification_plan(),
        },
    );
    // Concerns found: a BID is needed before reunification.
    assert_eq!(
        refused(&world, &mut case, &cw, Command::CompleteReunification),
        Refusal::ReunificationIncomplete {
            missing: vec![ReunificationStep::BestInterestsDetermination]
        }
    );
    world.ok(
        &mut case,
        &cw,
        Command::AssessFamily {
            assessment: family_assessment(None),
        },
    );
    world.ok(&mut case, &cw, Command::CompleteReunification);
    assert_eq!(case.stage, Stage::FollowUp);
}

#[test]
fn a_disproved_match_allows_a_new_reunification() {
    let world = World::new();
    let mut case = new_case(Accompaniment::Unaccompanied);
    let start = Command::StartReunification {
        confirmed_match: confirmed_match(),
    };
    world.ok(&mut case, &caseworker(), start.clone());
    assert_eq!(
        refused(&world, &mut case, &caseworker(), start.clone()),
        Refusal::ReunificationInProgress
    );
    world.ok(
        &mut case,
        &caseworker(),
        Command::VerifyRelationship {
            verification: verification(false),
        },
    );
    world.ok(&mut case, &caseworker(), start);
}

#[test]
fn information_sheets_given_are_recorded_only_when_they_exist() {
    let world = World::new();
    let mut case = new_case(Accompaniment::Unaccompanied);
    let given = |language| Command::RecordInformationGiven {
        information: InformationGiven {
            id: id(60),
            topic: Topic::YourGuardian,
            language,
            delivery: Delivery::ReadAloud,
            interpreter: crate::forms::InterpreterUse::NotNeeded,
            given_by: caseworker().user,
            given_at: t0(),
        },
    };
    assert_eq!(
        refused(&world, &mut case, &caseworker(), given(SheetLanguage::Tigrinya)),
        Refusal::SheetMissing {
            topic: Topic::YourGuardian,
            language: SheetLanguage::Tigrinya
        }
    );
    world.ok(&mut case, &caseworker(), given(SheetLanguage::French));
    assert_eq!(case.information[0].language, SheetLanguage::French);
    assert_eq!(case.information[0].given_by, caseworker().user);
}

#[test]
fn complaints_go_to_an_independent_person() {
    let world = World::new();
    let mut case = new_case(Accompaniment::Unaccompanied);
    world.ok(&mut case, &caseworker(), appoint_guardian(1));
    let lodge = |routed_to: UserId| Command::LodgeComplaint {
        id: id(70),
        lodged_by: Complainant::Child,
        channel: ComplaintChannel::InPerson,
        routed_to,
        summary: "Not allowed to call my brother.".into(),
    };
    for involved in [caseworker().user, supervisor().user, guardian()] {
        assert_eq!(
            refused(&world, &mut case, &caseworker(), lodge(involved)),
            Refusal::NotIndependent
        );
    }
    let notices = world.ok(&mut case, &caseworker(), lodge(complaints_officer()));
    assert!(
        matches!(notices.as_slice(), [Notice::ComplaintRouted { to, .. }] if *to == complaints_officer())
    );
    let update = |status, outcome: Option<&str>| Command::UpdateComplaint {
        id: id(70),
        status,
        outcome: outcome.map(str::to_owned),
    };
    assert_eq!(
        refused(
            &world,
            &mut case,
            &caseworker(),
            update(ComplaintStatus::UnderReview, None)
        ),
        Refusal::NotTheRecipient
    );
    let officer = Actor {
        user: complaints_officer(),
        supervisor: false,
    };
    world.ok(&mut case, &officer, update(ComplaintStatus::UnderReview, None));
    assert!(matches!(
        refused(
            &world,
            &mut case,
            &officer,
            update(ComplaintStatus::Resolved, None)
        ),
        Refusal::Invalid(_)
    ));
    world.ok(
        &mut case,
        &officer,
        update(ComplaintStatus::Resolved, Some("Daily calls arranged.")),
    );
    assert_eq!(case.complaints[0].status, ComplaintStatus::Resolved);
}

#[test]
fn errors_never_echo_personal_values() {
    let world = World::new();
    let mut case = new_case(Accompaniment::Unaccompanied);
    world.ok(&mut case, &caseworker(), Command::Register);
    world.ok(&mut case, &caseworker(), appoint_guardian(1));
    world.ok(&mut case, &caseworker(), Command::StartAssessment);
    let secret = "Zewdi Synthetic";
    let mut form = bia_form();
    form.child_views.heard = Heard::Expressed {
        in_own_words: format!("{secret}\u{7}"),
    };
    form.family_situation = format!("{secret} {}", "x".repeat(10_001));
    let refusal = refused(
        &world,
        &mut case,
        &caseworker(),
        Command::SubmitBia {
            approval: id(2),
            form,
        },
    );
    let text = refusal.to_string();
    assert!(text.contains("form.child_views.heard.in_own_words"), "{text}");
    assert!(text.contains("form.family_situation"), "{text}");
    assert!(!text.contains("Zewdi"), "{text}");
    let json = serde_json_string(&refusal);
    assert!(!json.contains("Zewdi"), "{json}");
}

fn serde_json_string<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).expect("serialisable")
}

#[test]
fn decisions_have_a_stable_json_shape() {
    let world = World::new();
    let case = case_with_bid(&world, DurableSolution::FamilyReunificationAbroad);
    let decision = serde_json::to_value(&case.decisions[0]).expect("serialisable");
    let expected = serde_json::json!({
        "id": "00000000-0000-0000-0000-00000000d001",
        "case_id": "00000000-0000-0000-0000-00000000ca5e",
        "panel": [
            {"user": "sw-2", "discipline": "social_work", "organisation": "child_protection_authority"},
            {"user": "law-1", "discipline": "law", "organisation": "legal_aid_provider"},
            {"user": "psy-2", "discipline": "psychology", "organisation": "united_nations_agency"}
        ],
        "child_views": {
            "heard": {"kind": "expressed", "in_own_words": "I want to live with my aunt and go to school."},
            "language": "ti",
            "interpreter": "interpreter",
            "informed_child_friendly": true
        },
        "options_considered": [
            {"solution": "family_reunification_abroad", "assessment": "Safe, and what the child wants."},
            {"solution": "local_integration", "assessment": "Possible, but separates the child from family."}
        ],
        "recommended": "family_reunification_abroad",
        "reasons": "Family-based care with a verified relative who is able and willing.",
        "submitted_by": "cw-1",
        "submitted_at": "2026-03-02T08:00:00Z",
        "approved_by": "sup-1",
        "approved_at": "2026-03-02T08:00:00Z"
    });
    assert_eq!(decision, expected);
    // And it reads back.
    let back: crate::forms::BestInterestsDecision = serde_json::from_value(expected).expect("reads back");
    assert_eq!(back, case.decisions[0]);
}

#[test]
fn case_file_round_trips_through_json() {
    let world = World::new();
    let case = case_with_bid(&world, DurableSolution::ReturnToCountryOfOrigin);
    let json = serde_json::to_string(&case).expect("serialisable");
    let back: CaseFile = serde_json::from_str(&json).expect("reads back");
    assert_eq!(back, case);
}

#[test]
fn reopened_case_is_assessed_again() {
    let world = World::new();
    let mut case = case_with_plan(&world, Accompaniment::Unaccompanied);
    world.ok(
        &mut case,
        &caseworker(),
        Command::RequestClosure {
            approval: id(80),
            reason: ClosureReason::TransferredToAnotherJurisdiction,
            note: "Transferred with the child.".into(),
        },
    );
    world.ok(&mut case, &supervisor(), approve(80));
    assert_eq!(case.stage, Stage::Closed);
    assert!(case.active_representatives().next().is_none());
    assert!(matches!(
        refused(&world, &mut case, &caseworker(), Command::StartAssessment),
        Refusal::WrongStage { .. }
    ));
    world.ok(
        &mut case,
        &caseworker(),
        Command::Reopen {
            reason: "Transfer did not happen.".into(),
        },
    );
    assert_eq!(case.stage, Stage::Registered);
    assert_eq!(case.past_cycles.len(), 1);
    assert!(case.cycle.bia.is_none());
    world.ok(&mut case, &caseworker(), appoint_guardian(81));
    assert_eq!(case.stage, Stage::GuardianAppointed);
}

/// The whole path an unaccompanied child takes: identification, registration,
/// guardian, BIA, case plan, BID, reunification abroad, follow-up, closure.
#[test]
fn walk_from_identification_to_closure_after_reunification() {
    let mut world = World::new();
    let cw = caseworker();
    let sup = supervisor();
    let mut case = new_case(Accompaniment::Unaccompanied);
    assert_eq!(case.stage, Stage::Identified);
    world.ok(&mut case, &cw, Command::Register);
    world.ok(&mut case, &cw, appoint_guardian(1));
    world.ok(&mut case, &cw, Command::StartAssessment);
    world.ok(
        &mut case,
        &cw,
        Command::SubmitBia {
            approval: id(2),
            form: bia_form(),
        },
    );
    world.ok(&mut case, &sup, approve(2));
    world.ok(
        &mut case,
        &cw,
        Command::SubmitCasePlan {
            approval: id(3),
            plan: case_plan(world.now.date_naive()),
        },
    );
    world.ok(&mut case, &sup, approve(3));
    world.ok(
        &mut case,
        &cw,
        Command::StartReunification {
            confirmed_match: confirmed_match(),
        },
    );
    world.ok(
        &mut case,
        &cw,
        Command::VerifyRelationship {
            verification: verification(true),
        },
    );
    world.ok(
        &mut case,
        &cw,
        Command::AssessFamily {
            assessment: family_assessment(None),
        },
    );
    world.ok(
        &mut case,
        &cw,
        Command::HearChildOnReunification { views: views() },
    );
    world.ok(
        &mut case,
        &cw,
        Command::PlanReunification {
            plan: reunification_plan(),
        },
    );
    world.ok(&mut case, &cw, Command::StartBid);
    world.ok(
        &mut case,
        &cw,
        Command::SubmitBid {
            approval: id(4),
            decision: decision_id(1),
            form: bid_form(DurableSolution::FamilyReunificationAbroad),
        },
    );
    world.ok(&mut case, &sup, approve(4));
    world.ok(
        &mut case,
        &cw,
        Command::ImplementSolution {
            solution: DurableSolution::FamilyReunificationAbroad,
            decision: Some(decision_id(1)),
        },
    );
    world.now = hours(24 * 20);
    world.ok(&mut case, &cw, Command::CompleteReunification);
    assert_eq!(case.stage, Stage::FollowUp);

    let close = Command::RequestClosure {
        approval: id(90),
        reason: ClosureReason::SolutionSustained,
        note: "Settled with the family.".into(),
    };
    assert_eq!(
        refused(&world, &mut case, &cw, close.clone()),
        Refusal::FollowUpIncomplete { done: 0, required: 3 }
    );
    for (n, days) in [14, 90, 180].into_iter().enumerate() {
        let due_at = hours(24 * 20) + TimeDelta::days(days);
        let due = tasks([&case], due_at + TimeDelta::hours(1), &world.config);
        let number = u32::try_from(n + 1).expect("small");
        assert!(
            due.iter()
                .any(|t| t.kind == TaskKind::FollowUpVisitDue { number } && t.overdue && t.due == due_at),
            "visit {number} due"
        );
        world.now = due_at;
        world.ok(
            &mut case,
            &cw,
            Command::RecordFollowUpVisit {
                visit: FollowUpVisit {
                    id: id(100 + n as u128),
                    visited_at: due_at,
                    visited_by: cw.user.clone(),
                    child_seen_alone: true,
                    wellbeing: Wellbeing::Well,
                    notes: None,
                },
            },
        );
    }
    world.ok(&mut case, &cw, close);
    world.ok(&mut case, &sup, approve(90));
    assert_eq!(case.stage, Stage::Closed);
    let stages: Vec<Stage> = case.stage_history.iter().map(|c| c.to).collect();
    assert_eq!(
        stages,
        [
            Stage::Registered,
            Stage::GuardianAppointed,
            Stage::Assessment,
            Stage::CasePlanning,
            Stage::BestInterestsDetermination,
            Stage::ImplementingSolution,
            Stage::FollowUp,
            Stage::Closed
        ]
    );
    assert!(case.invariant_violations(&world.config).is_empty());
    assert!(tasks([&case], world.now, &world.config).is_empty());
}
