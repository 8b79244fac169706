//! Synthetic test data: invented people, fixed times, forms that pass validation.

use chrono::{DateTime, NaiveDate, TimeDelta, TimeZone, Utc};
use kinlink_core::{Accompaniment, LanguageCode, Place, RecordId, Sex, WrittenName};
use uuid::Uuid;

use crate::care::{CarePlacement, CareType};
use crate::case::{
    CaseFile, Caseloads, Command, Context, Identification, Notice, Refusal, RepresentativeRole,
};
use crate::config::CaseworkConfig;
use crate::forms::{
    BiaForm, BidForm, CareOption, CasePlan, ChildViews, Discipline, DurableSolution, Heard, InterpreterUse,
    NeedArea, OrganisationKind, Participant, PlanGoal, SolutionOption,
};
use crate::ids::{Actor, DecisionId, EntryId, UserId};
use crate::reunification::{
    ConfirmedMatch, FamilyAssessment, RelationshipVerification, ReunificationPlan, VerificationMethod,
};

pub fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 8, 0, 0)
        .single()
        .expect("valid test time")
}

pub fn hours(h: i64) -> DateTime<Utc> {
    t0() + TimeDelta::hours(h)
}

pub fn id(n: u128) -> EntryId {
    EntryId::from_uuid(Uuid::from_u128(n))
}

pub fn decision_id(n: u128) -> DecisionId {
    DecisionId::from_uuid(Uuid::from_u128(0xD000 + n))
}

pub fn case_id() -> RecordId {
    RecordId::from_uuid(Uuid::from_u128(0xCA5E))
}

pub fn caseworker() -> Actor {
    Actor::caseworker("cw-1")
}
pub fn supervisor() -> Actor {
    Actor::supervisor("sup-1")
}
pub fn other_supervisor() -> Actor {
    Actor::supervisor("sup-2")
}
pub fn guardian() -> UserId {
    UserId::new("guardian-1")
}
pub fn complaints_officer() -> UserId {
    UserId::new("ombuds-1")
}

/// The clock, settings and caseloads a test runs with.
pub struct World {
    pub now: DateTime<Utc>,
    pub config: CaseworkConfig,
    pub caseloads: Caseloads,
}

impl World {
    pub fn new() -> Self {
        Self {
            now: t0(),
            config: CaseworkConfig::default(),
            caseloads: Caseloads::default(),
        }
    }

    pub fn ctx(&self) -> Context<'_> {
        Context {
            now: self.now,
            config: &self.config,
            caseloads: &self.caseloads,
        }
    }

    pub fn run(&self, case: &mut CaseFile, actor: &Actor, command: Command) -> Result<Vec<Notice>, Refusal> {
        case.apply(&self.ctx(), actor, command)
    }

    /// Like `run`, for steps a test expects to succeed.
    pub fn ok(&self, case: &mut CaseFile, actor: &Actor, command: Command) -> Vec<Notice> {
        let label = format!("{command:?}");
        match self.run(case, actor, command) {
            Ok(n) => n,
            Err(e) => panic!("{label} refused: {e}"),
        }
    }
}

pub fn identification(accompaniment: Accompaniment) -> Identification {
    Identification {
        case_id: case_id(),
        at: t0(),
        by: caseworker().user,
        caseworker: caseworker().user,
        supervisor: supervisor().user,
        accompaniment,
        sex: Sex::Female,
        claims_to_be_child: true,
    }
}

pub fn views() -> ChildViews {
    ChildViews {
        heard: Heard::Expressed {
            in_own_words: "I want to live with my aunt and go to school.".into(),
        },
        language: LanguageCode::new("ti"),
        interpreter: InterpreterUse::Interpreter,
        informed_child_friendly: true,
    }
}

fn participant(user: &str, discipline: Discipline, organisation: OrganisationKind) -> Participant {
    Participant {
        user: UserId::new(user),
        discipline,
        organisation,
    }
}

pub fn bia_form() -> BiaForm {
    BiaForm {
        child_views: views(),
        family_situation: "Parents' whereabouts unknown; an aunt may be in the region.".into(),
        safety_and_risks_in_country_of_origin: "Risk of forced recruitment reported in the home area.".into(),
        care_options: vec![CareOption {
            care: CareType::FosterFamily,
            assessment: "A trained foster family speaking the child's language is available.".into(),
        }],
        health: "No acute needs; vaccinations to be checked.".into(),
        education: "Attended school for five years; wants to continue.".into(),
        length_of_stay_and_integration: "Two months in the country; learning the language.".into(),
        participants: vec![
            participant(
                "sw-1",
                Discipline::SocialWork,
                OrganisationKind::ChildProtectionAuthority,
            ),
            participant(
                "psy-1",
                Discipline::Psychology,
                OrganisationKind::NonGovernmentalOrganisation,
            ),
        ],
    }
}

pub fn case_plan(today: NaiveDate) -> CasePlan {
    CasePlan {
        goals: vec![PlanGoal {
            need: NeedArea::Education,
            action: "Enrol in the local school.".into(),
            responsible: caseworker().user,
            due: today + TimeDelta::days(30),
        }],
        review_on: today + TimeDelta::days(90),
        child_views: views(),
    }
}

pub fn panel() -> Vec<Participant> {
    vec![
        participant(
            "sw-2",
            Discipline::SocialWork,
            OrganisationKind::ChildProtectionAuthority,
        ),
        participant("law-1", Discipline::Law, OrganisationKind::LegalAidProvider),
        participant(
            "psy-2",
            Discipline::Psychology,
            OrganisationKind::UnitedNationsAgency,
        ),
    ]
}

pub fn bid_form(recommended: DurableSolution) -> BidForm {
    let other = if recommended == DurableSolution::LocalIntegration {
        DurableSolution::FamilyReunificationInCountry
    } else {
        DurableSolution::LocalIntegration
    };
    BidForm {
        panel: panel(),
        child_views: views(),
        options_considered: vec![
            SolutionOption {
                solution: recommended,
                assessment: "Safe, and what the child wants.".into(),
            },
            SolutionOption {
                solution: other,
                assessment: "Possible, but separates the child from family.".into(),
            },
        ],
        recommended,
        reasons: "Family-based care with a verified relative who is able and willing.".into(),
    }
}

pub fn placement(n: u128, care: CareType, justification: Option<&str>) -> CarePlacement {
    CarePlacement {
        id: id(n),
        care,
        since: t0(),
        ended_at: None,
        justification: justification.map(str::to_owned),
        notes: None,
    }
}

pub fn confirmed_match() -> ConfirmedMatch {
    ConfirmedMatch {
        tracing_request: RecordId::from_uuid(Uuid::from_u128(0x7EAC)),
        confirmed_by: UserId::new("tracer-1"),
        confirmed_at: t0(),
    }
}

pub fn verification(confirmed: bool) -> RelationshipVerification {
    RelationshipVerification {
        methods: vec![
            VerificationMethod::ChildRecognisesRelative,
            VerificationMethod::CorroboratingAccounts,
        ],
        confirmed,
        verified_by: UserId::new("tracer-1"),
        verified_at: t0(),
        notes: None,
    }
}

pub fn family_assessment(concerns: Option<&str>) -> FamilyAssessment {
    FamilyAssessment {
        able_to_care: true,
        willing_to_care: true,
        concerns: concerns.map(str::to_owned),
        assessed_by: UserId::new("sw-1"),
        assessed_at: t0(),
    }
}

pub fn reunification_plan() -> ReunificationPlan {
    ReunificationPlan {
        date: t0().date_naive() + TimeDelta::days(20),
        place: Place {
            locality: Some(WrittenName::new("Synthetic Town")),
            admin_area: None,
            country: None,
            details: None,
        },
    }
}

pub fn appoint_guardian(n: u128) -> Command {
    Command::AppointRepresentative {
        id: id(n),
        representative: guardian(),
        role: RepresentativeRole::Guardian,
        handover_from: None,
        caseload_override_reason: None,
    }
}

/// A case walked to case planning with an approved BIA and case plan.
pub fn case_with_plan(world: &World, accompaniment: Accompaniment) -> CaseFile {
    let mut case = CaseFile::identify(identification(accompaniment));
    let cw = caseworker();
    let sup = supervisor();
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
    case
}

pub fn approve(n: u128) -> Command {
    Command::Decide {
        approval: id(n),
        verdict: crate::case::Verdict::Approve,
    }
}

/// A case with an approved BID recommending `solution` (decision 1).
pub fn case_with_bid(world: &World, solution: DurableSolution) -> CaseFile {
    let mut case = case_with_plan(world, Accompaniment::Unaccompanied);
    world.ok(&mut case, &caseworker(), Command::StartBid);
    world.ok(
        &mut case,
        &caseworker(),
        Command::SubmitBid {
            approval: id(4),
            decision: decision_id(1),
            form: bid_form(solution),
        },
    );
    world.ok(&mut case, &supervisor(), approve(4));
    case
}
