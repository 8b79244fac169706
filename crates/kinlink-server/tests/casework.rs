//! Case management through HTTP: a real server on a local port over a
//! SQLite store, real accounts with roles, API tokens and declared
//! purposes. Commands are built with the case management types and sent as
//! the JSON they serialise to, which is what any client sends. Every person
//! here is synthetic.

mod common;

use chrono::{TimeDelta, Utc};
use common::{CASES, Server, add_user, client};
use kinlink_casework::age::{AgeAssessment, AgeAssessmentMethod, AgeRange, Assessor};
use kinlink_casework::care::CareType;
use kinlink_casework::complaint::{Complainant, ComplaintChannel};
use kinlink_casework::forms::{
    BiaForm, BidForm, CareOption, CasePlan, ChildViews, Discipline, DurableSolution, Heard, InterpreterUse,
    NeedArea, OrganisationKind, Participant, PlanGoal, SolutionOption,
};
use kinlink_casework::info::{Delivery, InformationGiven, SheetLanguage, Topic};
use kinlink_casework::reunification::{
    ConfirmedMatch, FamilyAssessment, FollowUpVisit, RelationshipVerification, ReunificationPlan,
    VerificationMethod, Wellbeing,
};
use kinlink_casework::{
    CaseworkConfig, ClosureReason, Command, DecisionId, EntryId, RepresentativeRole, UserId,
};
use kinlink_core::{LanguageCode, Place, RecordId, WrittenName};
use kinlink_policy::{AgencyType, Role};
use reqwest::StatusCode;
use serde_json::{Value, json};
use uuid::Uuid;

/// Values of the fixtures that must never appear in an error or a refused response.
const PERSONAL: &[&str] = &["Rahimi", "أحمد", "aunt", "Synthetic Centre", "forced recruitment"];

fn entry() -> EntryId {
    EntryId::from_uuid(Uuid::now_v7())
}

fn user(name: &str) -> UserId {
    UserId::new(name)
}

/// A caseworker, in the test supervisor's agency and team.
async fn caseworker(server: &Server, name: &str, purpose: &str) -> reqwest::Client {
    server.client_for(name, &[Role::Caseworker], purpose).await
}

async fn create_case(server: &Server, http: &reqwest::Client, accompaniment: &str) -> String {
    let mut body = (CASES.valid)("Ahmad");
    body["accompaniment"] = json!(accompaniment);
    // Identified now: a past `recorded_on` would date the identification
    // (and every deadline) back to that day.
    if let Some(fields) = body.as_object_mut() {
        fields.remove("recorded_on");
    }
    let reply = server
        .send(http.post(server.url(CASES.collection)).json(&body))
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
    reply.json()["id"].as_str().expect("id").to_owned()
}

async fn case_file(server: &Server, http: &reqwest::Client, id: &str) -> Value {
    let reply = server
        .send(http.get(server.url(&format!("/api/v1/cases/{id}/casework"))))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    reply.json()
}

async fn send(
    server: &Server,
    http: &reqwest::Client,
    id: &str,
    version: i64,
    command: &Command,
) -> common::Reply {
    let body = json!({"expected_version": version, "command": command});
    server
        .send(
            http.post(server.url(&format!("/api/v1/cases/{id}/casework/commands")))
                .json(&body),
        )
        .await
}

/// Apply a step that must succeed; returns the reply's JSON.
async fn step(
    server: &Server,
    http: &reqwest::Client,
    id: &str,
    version: &mut i64,
    command: Command,
) -> Value {
    let label = serde_json::to_value(&command).expect("json")["command"].clone();
    let reply = send(server, http, id, *version, &command).await;
    assert_eq!(reply.status, StatusCode::OK, "{label}: {}", reply.text);
    let out = reply.json();
    assert_eq!(out["version"], *version + 1, "{label}");
    *version += 1;
    out
}

/// Send a step that the rules must refuse with `code`; nothing changes.
async fn refused(
    server: &Server,
    http: &reqwest::Client,
    id: &str,
    version: i64,
    command: Command,
    code: &str,
) -> Value {
    let reply = send(server, http, id, version, &command).await;
    assert_eq!(
        reply.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{code}: {}",
        reply.text
    );
    let body = reply.json();
    assert_eq!(body["error"], "refused", "{}", reply.text);
    assert_eq!(body["reason"], code, "{}", reply.text);
    for value in PERSONAL {
        assert!(!reply.text.contains(value), "{value} in {}", reply.text);
    }
    let after = case_file(server, http, id).await;
    assert_eq!(after["version"], version, "a refused step changed the case");
    body
}

async fn decide(
    server: &Server,
    http: &reqwest::Client,
    id: &str,
    version: &mut i64,
    approval: EntryId,
) -> Value {
    let body = json!({"expected_version": *version, "verdict": {"verdict": "approve"}});
    let reply = server
        .send(
            http.post(server.url(&format!("/api/v1/cases/{id}/casework/approvals/{approval}")))
                .json(&body),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    *version += 1;
    reply.json()
}

async fn tasks(server: &Server, http: &reqwest::Client) -> Value {
    let reply = server.send(http.get(server.url("/api/v1/tasks"))).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    reply.json()
}

fn kinds(list: &Value, case: &str) -> Vec<String> {
    list.as_array()
        .expect("a list")
        .iter()
        .filter(|t| t["case_id"] == case)
        .map(|t| {
            t["kind"]["kind"]
                .as_str()
                .or(t["kind"].as_str())
                .unwrap_or_default()
                .to_owned()
        })
        .collect()
}

fn views() -> ChildViews {
    ChildViews {
        heard: Heard::Expressed {
            in_own_words: "I want to live with my aunt and go to school.".into(),
        },
        language: LanguageCode::new("fa"),
        interpreter: InterpreterUse::Interpreter,
        informed_child_friendly: true,
    }
}

fn participant(name: &str, discipline: Discipline, organisation: OrganisationKind) -> Participant {
    Participant {
        user: user(name),
        discipline,
        organisation,
    }
}

fn bia_form() -> BiaForm {
    BiaForm {
        child_views: views(),
        family_situation: "Parents' whereabouts unknown; an aunt may be abroad.".into(),
        safety_and_risks_in_country_of_origin: "Risk of forced recruitment in the home area.".into(),
        care_options: vec![CareOption {
            care: CareType::FosterFamily,
            assessment: "A foster family speaking the child's language is available.".into(),
        }],
        health: "No acute needs.".into(),
        education: "Five years of school; wants to continue.".into(),
        length_of_stay_and_integration: "Two months in the country.".into(),
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

fn case_plan() -> CasePlan {
    let today = Utc::now().date_naive();
    CasePlan {
        goals: vec![PlanGoal {
            need: NeedArea::Education,
            action: "Enrol in the local school.".into(),
            responsible: user("cw-walk"),
            due: today + TimeDelta::days(30),
        }],
        review_on: today + TimeDelta::days(90),
        child_views: views(),
    }
}

fn bid_form(recommended: DurableSolution) -> BidForm {
    let other = if recommended == DurableSolution::LocalIntegration {
        DurableSolution::FamilyReunificationAbroad
    } else {
        DurableSolution::LocalIntegration
    };
    BidForm {
        panel: vec![
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
        ],
        child_views: views(),
        options_considered: vec![
            SolutionOption {
                solution: recommended,
                assessment: "Safe, and what the child wants.".into(),
            },
            SolutionOption {
                solution: other,
                assessment: "Possible, but keeps the child from the aunt.".into(),
            },
        ],
        recommended,
        reasons: "Family-based care with a verified relative who is able and willing.".into(),
    }
}

fn appoint(representative: &str, reason: Option<&str>) -> Command {
    Command::AppointRepresentative {
        id: entry(),
        representative: user(representative),
        role: RepresentativeRole::Guardian,
        handover_from: None,
        caseload_override_reason: reason.map(str::to_owned),
    }
}

/// Walk a case to case planning with an approved BIA and case plan. The
/// caseworker `cw` requests; the test supervisor (the case's supervisor) approves.
async fn to_case_plan(server: &Server, cw: &reqwest::Client, id: &str, version: &mut i64) {
    step(server, cw, id, version, Command::Register).await;
    step(server, cw, id, version, appoint("guardian-1", None)).await;
    step(server, cw, id, version, Command::StartAssessment).await;
    let bia = entry();
    step(
        server,
        cw,
        id,
        version,
        Command::SubmitBia {
            approval: bia,
            form: bia_form(),
        },
    )
    .await;
    decide(server, &server.http, id, version, bia).await;
    let plan = entry();
    step(
        server,
        cw,
        id,
        version,
        Command::SubmitCasePlan {
            approval: plan,
            plan: case_plan(),
        },
    )
    .await;
    decide(server, &server.http, id, version, plan).await;
}

#[tokio::test]
async fn an_unaccompanied_child_from_identification_to_closure_through_the_api() {
    let (server, _) = Server::start().await;
    let walker = add_user(
        &server.accounts,
        "cw-walk",
        ("Child Protection Authority", AgencyType::ChildProtectionAuthority),
        &[Role::Caseworker],
    )
    .await;
    let cw = client(Some(&walker.token), Some("case_management"));
    // The same caseworker, for the best-interests steps.
    let cw_bip = client(Some(&walker.token), Some("best_interests_procedure"));
    let id = create_case(&server, &cw, "unaccompanied").await;

    // Identification: creating the case opened its case file.
    let file = case_file(&server, &cw, &id).await;
    assert_eq!(file["version"], 1);
    assert_eq!(file["case_file"]["stage"], "identified");
    assert_eq!(file["case_file"]["caseworker"], "cw-walk");
    assert_eq!(file["case_file"]["supervisor"], "tester");
    assert_eq!(file["case_file"]["age"]["claims_to_be_child"], true);
    assert_eq!(file["withheld"], json!([]));
    let mut version = 1;

    // Registration, guardian, BIA (approved by the supervisor).
    step(&server, &cw, &id, &mut version, Command::Register).await;
    let out = step(&server, &cw, &id, &mut version, appoint("guardian-1", None)).await;
    assert_eq!(out["case_file"]["stage"], "guardian_appointed");
    step(&server, &cw, &id, &mut version, Command::StartAssessment).await;
    let bia = entry();
    let out = step(
        &server,
        &cw,
        &id,
        &mut version,
        Command::SubmitBia {
            approval: bia,
            form: bia_form(),
        },
    )
    .await;
    assert_eq!(out["notices"][0]["notice"], "approval_requested");
    assert_eq!(out["notices"][0]["to"], "tester");
    // The supervisor sees it waiting, as an approval and in their tasks.
    let reply = server.get("/api/v1/approvals").await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let pending = reply.json();
    assert_eq!(pending["approvals"][0]["approval"], bia.to_string());
    assert_eq!(pending["approvals"][0]["kind"], "bia");
    assert_eq!(pending["approvals"][0]["requested_by"], "cw-walk");
    let mine = tasks(&server, &server.http).await;
    assert!(
        kinds(&mine["mine"], &id).contains(&"approval_waiting".to_owned()),
        "{mine}"
    );
    assert_eq!(mine["alerts"][0]["kind"], "approval_requested", "{mine}");
    // The requester cannot approve their own request (nor is a caseworker a supervisor).
    let reply = server
        .send(
            cw.post(server.url(&format!("/api/v1/cases/{id}/casework/approvals/{bia}")))
                .json(&json!({"expected_version": version, "verdict": {"verdict": "approve"}})),
        )
        .await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", reply.text);
    assert_eq!(reply.json()["reason"], "supervisor_required");
    let out = decide(&server, &server.http, &id, &mut version, bia).await;
    assert_eq!(out["case_file"]["stage"], "case_planning");

    // Case plan (approved).
    let plan = entry();
    step(
        &server,
        &cw,
        &id,
        &mut version,
        Command::SubmitCasePlan {
            approval: plan,
            plan: case_plan(),
        },
    )
    .await;
    decide(&server, &server.http, &id, &mut version, plan).await;

    // BID by a panel of three disciplines, under the best-interests purpose, approved.
    step(&server, &cw_bip, &id, &mut version, Command::StartBid).await;
    let bid = entry();
    let decision = DecisionId::from_uuid(Uuid::now_v7());
    let form = bid_form(DurableSolution::FamilyReunificationAbroad);
    step(
        &server,
        &cw_bip,
        &id,
        &mut version,
        Command::SubmitBid {
            approval: bid,
            decision,
            form,
        },
    )
    .await;
    decide(&server, &server.http, &id, &mut version, bid).await;
    // Not a step of a best-interests procedure: refused for that purpose.
    let reply = send(&server, &cw_bip, &id, version, &Command::RequestAgeAssessment).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN, "{}", reply.text);
    assert_eq!(reply.json()["reason"], "purpose_not_for_command");
    let reply = server
        .send(cw.get(server.url(&format!("/api/v1/cases/{id}/decisions"))))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let decisions = reply.json();
    assert_eq!(decisions["best_interests"][0]["id"], decision.to_string());
    assert_eq!(
        decisions["best_interests"][0]["recommended"],
        "family_reunification_abroad"
    );
    assert_eq!(decisions["best_interests"][0]["approved_by"], "tester");
    assert_eq!(
        decisions["best_interests"][0]["panel"].as_array().map(Vec::len),
        Some(3)
    );
    assert_eq!(decisions["guardianship"][0]["representative"], "guardian-1");

    // The solution, then reunification: verification, family, the child heard, date and place.
    step(
        &server,
        &cw,
        &id,
        &mut version,
        Command::ImplementSolution {
            solution: DurableSolution::FamilyReunificationAbroad,
            decision: Some(decision),
        },
    )
    .await;
    let now = Utc::now();
    step(
        &server,
        &cw,
        &id,
        &mut version,
        Command::StartReunification {
            confirmed_match: ConfirmedMatch {
                tracing_request: RecordId::from_uuid(Uuid::now_v7()),
                confirmed_by: user("tracer-1"),
                confirmed_at: now,
            },
        },
    )
    .await;
    // Not before every step is done.
    let body = refused(
        &server,
        &cw,
        &id,
        version,
        Command::CompleteReunification,
        "reunification_incomplete",
    )
    .await;
    assert!(
        body["details"]["missing"]
            .as_array()
            .is_some_and(|m| m.len() >= 4),
        "{body}"
    );
    let verification = RelationshipVerification {
        methods: vec![
            VerificationMethod::ChildRecognisesRelative,
            VerificationMethod::Documents,
        ],
        confirmed: true,
        verified_by: user("tracer-1"),
        verified_at: now,
        notes: None,
    };
    step(
        &server,
        &cw,
        &id,
        &mut version,
        Command::VerifyRelationship { verification },
    )
    .await;
    let assessment = FamilyAssessment {
        able_to_care: true,
        willing_to_care: true,
        concerns: None,
        assessed_by: user("sw-1"),
        assessed_at: now,
    };
    step(
        &server,
        &cw,
        &id,
        &mut version,
        Command::AssessFamily { assessment },
    )
    .await;
    step(
        &server,
        &cw,
        &id,
        &mut version,
        Command::HearChildOnReunification { views: views() },
    )
    .await;
    let plan = ReunificationPlan {
        date: now.date_naive() + TimeDelta::days(20),
        place: Place {
            locality: Some(WrittenName::new("Synthetic Town")),
            admin_area: None,
            country: None,
            details: None,
        },
    };
    step(
        &server,
        &cw,
        &id,
        &mut version,
        Command::PlanReunification { plan },
    )
    .await;
    let out = step(&server, &cw, &id, &mut version, Command::CompleteReunification).await;
    assert_eq!(out["case_file"]["stage"], "follow_up");

    // Follow-up visits: the first is due (a task), then all three are done.
    let mine = tasks(&server, &cw).await;
    assert!(
        kinds(&mine["mine"], &id).contains(&"follow_up_visit_due".to_owned()),
        "{mine}"
    );
    for _ in 0..3 {
        let visit = FollowUpVisit {
            id: entry(),
            visited_at: Utc::now(),
            visited_by: user("cw-walk"),
            child_seen_alone: true,
            wellbeing: Wellbeing::Well,
            notes: None,
        };
        step(
            &server,
            &cw,
            &id,
            &mut version,
            Command::RecordFollowUpVisit { visit },
        )
        .await;
    }
    let mine = tasks(&server, &cw).await;
    assert!(
        !kinds(&mine["mine"], &id).contains(&"follow_up_visit_due".to_owned()),
        "{mine}"
    );

    // Closure, approved.
    let closure = entry();
    step(
        &server,
        &cw,
        &id,
        &mut version,
        Command::RequestClosure {
            approval: closure,
            reason: ClosureReason::SolutionSustained,
            note: "Living with the aunt; school attended; three visits well.".into(),
        },
    )
    .await;
    let out = decide(&server, &server.http, &id, &mut version, closure).await;
    assert_eq!(out["case_file"]["stage"], "closed");

    // The history is every command, with who and for which purpose.
    let reply = server
        .send(cw.get(server.url(&format!("/api/v1/cases/{id}/casework/history"))))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let history = reply.json();
    let events = history["events"].as_array().expect("events");
    assert_eq!(events.len() as i64, version - 1);
    assert_eq!(events[0]["command"], "register");
    assert_eq!(events[0]["by"], "cw-walk");
    assert_eq!(events[0]["purpose"], "case_management");
    assert_eq!(events.last().expect("last")["command"], "decide");
    assert_eq!(events.last().expect("last")["by"], "tester");
    let closed = case_file(&server, &cw, &id).await;
    let stages: Vec<&str> = closed["case_file"]["stage_history"]
        .as_array()
        .expect("stages")
        .iter()
        .filter_map(|s| s["to"].as_str())
        .collect();
    assert_eq!(
        stages,
        [
            "registered",
            "guardian_appointed",
            "assessment",
            "case_planning",
            "best_interests_determination",
            "implementing_solution",
            "follow_up",
            "closed"
        ]
    );
    server.stop().await;
}

#[tokio::test]
async fn a_stale_version_is_409_and_bad_commands_are_422() {
    let (server, _) = Server::start().await;
    let cw = caseworker(&server, "cw-stale", "case_management").await;
    let id = create_case(&server, &cw, "separated").await;
    let mut version = 1;
    step(&server, &cw, &id, &mut version, Command::Register).await;
    let reply = send(&server, &cw, &id, 1, &Command::RequestAgeAssessment).await;
    assert_eq!(reply.status, StatusCode::CONFLICT, "{}", reply.text);
    assert_eq!(reply.json()["current_version"], 2);
    // Out of order: 422 with the stage, no change.
    let body = refused(&server, &cw, &id, version, Command::StartBid, "wrong_stage").await;
    assert_eq!(body["details"]["stage"], "registered");
    // Not a command at all: 422 naming the field.
    let reply = server
        .send(
            cw.post(server.url(&format!("/api/v1/cases/{id}/casework/commands")))
                .json(&json!({"expected_version": version, "command": {"command": "teleport"}})),
        )
        .await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", reply.text);
    assert_eq!(reply.json()["error"], "invalid_fields");
    // Invalid fields inside a command: their paths, never their values.
    let complaint = Command::LodgeComplaint {
        id: entry(),
        lodged_by: Complainant::Guardian,
        channel: ComplaintChannel::Written,
        routed_to: user("ombuds-x"),
        summary: "Private\u{7}Detail".into(),
    };
    let reply = send(&server, &cw, &id, version, &complaint).await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", reply.text);
    assert_eq!(reply.json()["reason"], "invalid", "{}", reply.text);
    assert_eq!(
        reply.json()["fields"][0]["path"],
        "command.summary",
        "{}",
        reply.text
    );
    assert!(!reply.text.contains("Private"), "{}", reply.text);
    // A case outside the caller's scope is not found.
    let other = server
        .client_for("cw-other-agency-unused", &[Role::Guardian], "case_management")
        .await;
    let reply = server
        .send(other.get(server.url(&format!("/api/v1/cases/{id}/casework"))))
        .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND, "{}", reply.text);
    server.stop().await;
}

/// Safeguard: an unaccompanied or separated child without a guardian after
/// the configured delay is an overdue task for the caseworker and reaches the
/// supervisor; before the delay it is due, for the caseworker only.
#[tokio::test]
async fn guardian_delay_alert() {
    // Delay 0: overdue at once, no waiting.
    let config = CaseworkConfig {
        guardian_delay_hours: 0,
        ..CaseworkConfig::default()
    };
    let (server, _) = Server::start_casework(config).await;
    let cw = caseworker(&server, "cw-delay", "case_management").await;
    let id = create_case(&server, &cw, "unaccompanied").await;
    let mine = tasks(&server, &cw).await;
    let task = mine["mine"]
        .as_array()
        .expect("tasks")
        .iter()
        .find(|t| t["case_id"] == id.as_str() && t["kind"]["kind"] == "guardian_not_appointed")
        .unwrap_or_else(|| panic!("no guardian task: {mine}"));
    assert_eq!(task["overdue"], true);
    assert_eq!(task["assignee"], "cw-delay");
    let sup = tasks(&server, &server.http).await;
    assert!(
        kinds(&sup["mine"], &id).contains(&"guardian_not_appointed".to_owned()),
        "{sup}"
    );
    assert!(
        kinds(&sup["team"], &id).contains(&"guardian_not_appointed".to_owned()),
        "{sup}"
    );
    // Once a guardian is appointed, the alert is gone.
    let mut version = 1;
    step(&server, &cw, &id, &mut version, Command::Register).await;
    step(&server, &cw, &id, &mut version, appoint("guardian-delay", None)).await;
    let mine = tasks(&server, &cw).await;
    assert!(
        !kinds(&mine["mine"], &id).contains(&"guardian_not_appointed".to_owned()),
        "{mine}"
    );
    server.stop().await;

    // The default, 24 hours: due, not overdue, and not yet the supervisor's.
    let (server, _) = Server::start().await;
    let cw = caseworker(&server, "cw-delay", "case_management").await;
    let id = create_case(&server, &cw, "separated").await;
    let mine = tasks(&server, &cw).await;
    let task = mine["mine"]
        .as_array()
        .expect("tasks")
        .iter()
        .find(|t| t["case_id"] == id.as_str() && t["kind"]["kind"] == "guardian_not_appointed")
        .unwrap_or_else(|| panic!("no guardian task: {mine}"));
    assert_eq!(task["overdue"], false);
    let sup = tasks(&server, &server.http).await;
    assert!(
        !kinds(&sup["mine"], &id).contains(&"guardian_not_appointed".to_owned()),
        "{sup}"
    );
    // An accompanied child needs no guardian task.
    let accompanied = create_case(&server, &cw, "accompanied").await;
    let mine = tasks(&server, &cw).await;
    assert!(
        !kinds(&mine["mine"], &accompanied).contains(&"guardian_not_appointed".to_owned()),
        "{mine}"
    );
    server.stop().await;
}

/// Safeguard: a guardian's caseload counts active guardianships across every
/// stored case; beyond the limit only a supervisor, with a reason, appoints.
#[tokio::test]
async fn caseload_limit_counts_every_case_and_yields_only_to_a_supervisor_with_a_reason() {
    let config = CaseworkConfig {
        max_guardian_caseload: 2,
        ..CaseworkConfig::default()
    };
    let (server, _) = Server::start_casework(config).await;
    let cw = caseworker(&server, "cw-load", "case_management").await;
    let mut cases = Vec::new();
    for _ in 0..3 {
        let id = create_case(&server, &cw, "unaccompanied").await;
        let mut version = 1;
        step(&server, &cw, &id, &mut version, Command::Register).await;
        cases.push((id, version));
    }
    for (id, version) in cases.iter_mut().take(2) {
        step(&server, &cw, id, version, appoint("guardian-busy", None)).await;
    }
    let (id, version) = &mut cases[2];
    let body = refused(
        &server,
        &cw,
        id,
        *version,
        appoint("guardian-busy", None),
        "caseload_limit",
    )
    .await;
    assert_eq!(body["details"]["max"], 2);
    // Not even a caseworker with a reason; a supervisor without one neither.
    refused(
        &server,
        &cw,
        id,
        *version,
        appoint("guardian-busy", Some("Only guardian speaking Tigrinya")),
        "caseload_limit",
    )
    .await;
    refused(
        &server,
        &server.http,
        id,
        *version,
        appoint("guardian-busy", None),
        "caseload_limit",
    )
    .await;
    // Another guardian is fine.
    let out = step(
        &server,
        &server.http,
        id,
        version,
        appoint(
            "guardian-busy",
            Some("Only guardian speaking the child's language nearby"),
        ),
    )
    .await;
    let appointment = &out["case_file"]["representatives"][0];
    assert_eq!(appointment["caseload_before"], 2);
    assert_eq!(appointment["caseload_override"]["by"], "tester");
    server.stop().await;
}

fn assessment(min: u8, max: u8) -> AgeAssessment {
    AgeAssessment {
        id: entry(),
        method: AgeAssessmentMethod::MultidisciplinaryPsychosocialInterview,
        method_details: None,
        assessors: vec![
            Assessor {
                user: user("sw-1"),
                discipline: Discipline::SocialWork,
            },
            Assessor {
                user: user("psy-1"),
                discipline: Discipline::Psychology,
            },
        ],
        result: AgeRange {
            min_years: min,
            max_years: max,
            on: Utc::now().date_naive(),
        },
        completed_at: Utc::now(),
    }
}

/// Safeguard: a person who says they are a child is registered as one; in
/// doubt the lower bound holds; the case cannot be closed as an adult's
/// unless even the lower bound is 18.
#[tokio::test]
async fn presumption_of_minority() {
    let (server, _) = Server::start().await;
    let cw = caseworker(&server, "cw-age", "case_management").await;
    let id = create_case(&server, &cw, "unaccompanied").await;
    let file = case_file(&server, &cw, &id).await;
    assert_eq!(file["case_file"]["age"]["claims_to_be_child"], true);
    let mut version = 1;
    step(&server, &cw, &id, &mut version, Command::Register).await;
    let close_as_adult = |approval| Command::RequestClosure {
        approval,
        reason: ClosureReason::AssessedAsAdult,
        note: "Assessment result.".into(),
    };
    // No assessment: a child.
    refused(
        &server,
        &cw,
        &id,
        version,
        close_as_adult(entry()),
        "presumed_minor",
    )
    .await;
    // Pending: still a child.
    step(&server, &cw, &id, &mut version, Command::RequestAgeAssessment).await;
    refused(
        &server,
        &cw,
        &id,
        version,
        close_as_adult(entry()),
        "presumed_minor",
    )
    .await;
    // 17 to 20: the lower bound holds, a child.
    step(
        &server,
        &cw,
        &id,
        &mut version,
        Command::RecordAgeAssessment {
            assessment: assessment(17, 20),
        },
    )
    .await;
    refused(
        &server,
        &cw,
        &id,
        version,
        close_as_adult(entry()),
        "presumed_minor",
    )
    .await;
    // 19 to 23: beyond doubt; closure may be requested (and goes to approval).
    step(
        &server,
        &cw,
        &id,
        &mut version,
        Command::RecordAgeAssessment {
            assessment: assessment(19, 23),
        },
    )
    .await;
    let out = step(&server, &cw, &id, &mut version, close_as_adult(entry())).await;
    assert_eq!(out["notices"][0]["kind"], "closure");
    server.stop().await;
}

/// Safeguard: no return without an approved BID recommending it, and none
/// while an age assessment is pending.
#[tokio::test]
async fn no_return_without_a_bid_recommending_it() {
    let (server, _) = Server::start().await;
    let cw = caseworker(&server, "cw-return", "case_management").await;
    let id = create_case(&server, &cw, "unaccompanied").await;
    let mut version = 1;
    to_case_plan(&server, &cw, &id, &mut version).await;
    let ret = |decision| Command::ImplementSolution {
        solution: DurableSolution::ReturnToCountryOfOrigin,
        decision,
    };
    let body = refused(&server, &cw, &id, version, ret(None), "bid_required").await;
    assert_eq!(body["details"]["solution"], "return_to_country_of_origin");
    // A BID recommending something else does not allow a return.
    step(&server, &cw, &id, &mut version, Command::StartBid).await;
    let bid = entry();
    let decision = DecisionId::from_uuid(Uuid::now_v7());
    let form = bid_form(DurableSolution::LocalIntegration);
    step(
        &server,
        &cw,
        &id,
        &mut version,
        Command::SubmitBid {
            approval: bid,
            decision,
            form,
        },
    )
    .await;
    decide(&server, &server.http, &id, &mut version, bid).await;
    refused(&server, &cw, &id, version, ret(Some(decision)), "bid_required").await;
    refused(&server, &cw, &id, version, ret(None), "bid_required").await;
    // While an age assessment is pending no return can even be proposed.
    step(&server, &cw, &id, &mut version, Command::RequestAgeAssessment).await;
    let form = bid_form(DurableSolution::ReturnToCountryOfOrigin);
    let submit = Command::SubmitBid {
        approval: entry(),
        decision: DecisionId::from_uuid(Uuid::now_v7()),
        form,
    };
    refused(&server, &cw, &id, version, submit, "age_assessment_pending").await;
    // The BID panel may not include an immigration authority.
    let mut form = bid_form(DurableSolution::LocalIntegration);
    form.panel[2].organisation = OrganisationKind::ImmigrationAuthority;
    let submit = Command::SubmitBid {
        approval: entry(),
        decision: DecisionId::from_uuid(Uuid::now_v7()),
        form,
    };
    let reply = send(&server, &cw, &id, version, &submit).await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", reply.text);
    // The recommended solution is implemented with its decision.
    step(
        &server,
        &cw,
        &id,
        &mut version,
        Command::ImplementSolution {
            solution: DurableSolution::LocalIntegration,
            decision: Some(decision),
        },
    )
    .await;
    server.stop().await;
}

/// Safeguard: recording immigration detention alerts the supervisor at once
/// (an alert and a task in their tasks), and is never refused, even while
/// the age is being assessed.
#[tokio::test]
async fn detention_alert_reaches_the_supervisors_tasks() {
    let (server, _) = Server::start().await;
    let cw = caseworker(&server, "cw-detention", "case_management").await;
    let id = create_case(&server, &cw, "unaccompanied").await;
    let mut version = 1;
    step(&server, &cw, &id, &mut version, Command::Register).await;
    step(&server, &cw, &id, &mut version, Command::RequestAgeAssessment).await;
    let detention = entry();
    let out = step(
        &server,
        &cw,
        &id,
        &mut version,
        Command::RecordDetention {
            id: detention,
            centre_name: "Synthetic Centre".into(),
            since: Utc::now() - TimeDelta::hours(2),
        },
    )
    .await;
    assert_eq!(out["notices"][0]["notice"], "detention_alert");
    assert_eq!(out["notices"][0]["to"], "tester");
    assert_eq!(out["notices"][0]["during_age_assessment"], true);
    let sup = tasks(&server, &server.http).await;
    let alert = sup["alerts"]
        .as_array()
        .expect("alerts")
        .iter()
        .find(|a| a["kind"] == "detention_alert" && a["case_id"] == id.as_str())
        .unwrap_or_else(|| panic!("no detention alert: {sup}"));
    assert_eq!(alert["notice"]["detention"], detention.to_string());
    assert!(
        kinds(&sup["mine"], &id).contains(&"child_in_detention".to_owned()),
        "{sup}"
    );
    // The caseworker has the task too, not the supervisor's alert.
    let mine = tasks(&server, &cw).await;
    assert!(
        kinds(&mine["mine"], &id).contains(&"child_in_detention".to_owned()),
        "{mine}"
    );
    assert!(mine["alerts"].as_array().expect("alerts").is_empty(), "{mine}");
    // Released: the task ends, the alert stays on record.
    step(
        &server,
        &cw,
        &id,
        &mut version,
        Command::RecordRelease {
            id: detention,
            at: Utc::now(),
        },
    )
    .await;
    let sup = tasks(&server, &server.http).await;
    assert!(
        !kinds(&sup["mine"], &id).contains(&"child_in_detention".to_owned()),
        "{sup}"
    );
    assert!(!sup["alerts"].as_array().expect("alerts").is_empty());
    server.stop().await;
}

/// Complaints are routed to a designated independent person, who sees them
/// in their tasks; someone working on the case cannot be that person.
#[tokio::test]
async fn complaints_reach_an_independent_person() {
    let (server, _) = Server::start().await;
    let cw = caseworker(&server, "cw-complaint", "case_management").await;
    let ombuds = server
        .client_for(
            "ombuds-1",
            &[Role::DataProtectionOfficer],
            "data_protection_review",
        )
        .await;
    let id = create_case(&server, &cw, "separated").await;
    let mut version = 1;
    step(&server, &cw, &id, &mut version, Command::Register).await;
    let lodge = |routed_to: &str| Command::LodgeComplaint {
        id: entry(),
        lodged_by: Complainant::Child,
        channel: ComplaintChannel::InPerson,
        routed_to: user(routed_to),
        summary: "The child was not told about the guardian.".into(),
    };
    refused(&server, &cw, &id, version, lodge("tester"), "not_independent").await;
    let out = step(&server, &cw, &id, &mut version, lodge("ombuds-1")).await;
    assert_eq!(out["notices"][0]["notice"], "complaint_routed");
    let theirs = tasks(&server, &ombuds).await;
    assert_eq!(theirs["alerts"][0]["kind"], "complaint_routed", "{theirs}");
    assert_eq!(theirs["alerts"][0]["case_id"], id.as_str());
    server.stop().await;
}

/// Information sheets: printable Markdown in the languages written; a
/// missing translation is reported as missing; giving one is recorded.
#[tokio::test]
async fn information_sheets_are_served_or_reported_missing_and_recorded_when_given() {
    let (server, _) = Server::start().await;
    let cw = caseworker(&server, "cw-info", "case_management").await;
    let reply = server
        .send(cw.get(server.url("/api/v1/info-sheets/your_rights/fr")))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert!(
        reply.content_type.starts_with("text/markdown"),
        "{}",
        reply.content_type
    );
    assert!(!reply.text.trim().is_empty());
    // Find a language that is marked missing and check it is reported so.
    let mut missing = None;
    for lang in ["ar", "prs", "ti"] {
        let reply = server
            .send(cw.get(server.url(&format!("/api/v1/info-sheets/asylum/{lang}"))))
            .await;
        if reply.status == StatusCode::NOT_FOUND {
            assert_eq!(reply.json()["error"], "translation_missing", "{}", reply.text);
            missing = Some(lang);
        }
    }
    let missing = missing.expect("the asylum sheet is marked missing in a language");
    let reply = server
        .send(cw.get(server.url("/api/v1/info-sheets/no_such_topic/en")))
        .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    // Giving a sheet is recorded; giving a missing one is refused.
    let id = create_case(&server, &cw, "unaccompanied").await;
    let mut version = 1;
    let given = |language| Command::RecordInformationGiven {
        information: InformationGiven {
            id: entry(),
            topic: Topic::Asylum,
            language,
            delivery: Delivery::ReadAloud,
            interpreter: InterpreterUse::Interpreter,
            given_by: user("cw-info"),
            given_at: Utc::now(),
        },
    };
    let missing_language: SheetLanguage = serde_json::from_value(json!(missing)).expect("language");
    refused(
        &server,
        &cw,
        &id,
        version,
        given(missing_language),
        "sheet_missing",
    )
    .await;
    let out = step(&server, &cw, &id, &mut version, given(SheetLanguage::English)).await;
    assert_eq!(out["case_file"]["information"][0]["language"], "en");
    assert_eq!(out["case_file"]["information"][0]["delivery"], "read_aloud");
    server.stop().await;
}

/// What a case file shows follows the field groups of the grant: a tracing
/// officer tracing sees no forms, no child's words, no detention centre.
#[tokio::test]
async fn case_files_are_redacted_by_field_group() {
    let (server, _) = Server::start().await;
    let cw = caseworker(&server, "cw-redact", "case_management").await;
    let id = create_case(&server, &cw, "unaccompanied").await;
    let mut version = 1;
    step(&server, &cw, &id, &mut version, Command::Register).await;
    step(&server, &cw, &id, &mut version, appoint("guardian-r", None)).await;
    step(&server, &cw, &id, &mut version, Command::StartAssessment).await;
    step(
        &server,
        &cw,
        &id,
        &mut version,
        Command::SubmitBia {
            approval: entry(),
            form: bia_form(),
        },
    )
    .await;
    step(
        &server,
        &cw,
        &id,
        &mut version,
        Command::RecordDetention {
            id: entry(),
            centre_name: "Synthetic Centre".into(),
            since: Utc::now(),
        },
    )
    .await;
    let full = case_file(&server, &cw, &id).await;
    assert!(
        full["case_file"]["approvals"][0]["subject"]["form"].is_object(),
        "{full}"
    );
    assert_eq!(
        full["case_file"]["detentions"][0]["centre_name"],
        "Synthetic Centre"
    );
    let tracer = server
        .client_for("tracer-redact", &[Role::TracingOfficer], "tracing")
        .await;
    let seen = case_file(&server, &tracer, &id).await;
    let text = seen.to_string();
    assert_eq!(seen["case_file"]["stage"], "assessment");
    assert!(
        seen["case_file"]["approvals"][0]["subject"].get("form").is_none(),
        "{seen}"
    );
    assert!(
        seen["case_file"]["detentions"][0].get("centre_name").is_some(),
        "contact is tracing's"
    );
    assert!(!text.contains("forced recruitment"), "{text}");
    assert!(!text.contains("aunt"), "{text}");
    let withheld: Vec<&str> = seen["withheld"]
        .as_array()
        .expect("withheld")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(
        withheld.contains(&"child_statements") && withheld.contains(&"health"),
        "{withheld:?}"
    );
    // Writing a group the grant may not edit is refused (the tracing officer may not record a BIA).
    let reply = send(
        &server,
        &tracer,
        &id,
        version,
        &Command::SubmitBia {
            approval: entry(),
            form: bia_form(),
        },
    )
    .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN, "{}", reply.text);
    server.stop().await;
}

/// The firewall: an immigration authority's user (every role, every
/// scope) or anyone declaring immigration enforcement gets nothing from
/// any case management route.
#[tokio::test]
async fn immigration_enforcement_gets_nothing_from_case_management() {
    let (server, _) = Server::start().await;
    let cw = caseworker(&server, "cw-firewall", "case_management").await;
    let id = create_case(&server, &cw, "unaccompanied").await;
    let mut version = 1;
    step(&server, &cw, &id, &mut version, Command::Register).await;
    let approval = entry();
    let officer = add_user(
        &server.accounts,
        "border-officer",
        ("Border Office", AgencyType::ImmigrationAuthority),
        &Role::ALL,
    )
    .await;
    let routes = kinlink_server::access::ROUTES
        .iter()
        .filter(|r| {
            r.path.contains("casework")
                || r.path.contains("decisions")
                || r.path.starts_with("/api/v1/tasks")
                || r.path.starts_with("/api/v1/approvals")
                || r.path.starts_with("/api/v1/info-sheets")
        })
        .collect::<Vec<_>>();
    assert_eq!(routes.len(), 8, "every case management route is tested");
    for route in routes {
        let url = route
            .path
            .replace("{id}", &id)
            .replace("{approval_id}", &approval.to_string())
            .replace("{topic}", "your_rights")
            .replace("{lang}", "en");
        let body = json!({"expected_version": version, "command": {"command": "register"}});
        let attempts = kinlink_policy::Purpose::ALL
            .iter()
            .map(|p| client(Some(&officer.token), Some(p.as_str())))
            .chain([client(Some(&server.user.token), Some("immigration_enforcement"))]);
        for http in attempts {
            let request = if route.method == axum::http::Method::GET {
                http.get(server.url(&url))
            } else {
                http.post(server.url(&url)).json(&body)
            };
            let reply = server.send(request).await;
            assert_eq!(
                reply.status,
                StatusCode::FORBIDDEN,
                "{} {}: {}",
                route.method,
                route.path,
                reply.text
            );
            let reason = reply.json()["reason"].as_str().unwrap_or_default().to_owned();
            assert!(reason.starts_with("firewall_"), "{reason}");
            for value in PERSONAL {
                assert!(!reply.text.contains(value));
            }
        }
    }
    // Nothing was changed by any of it.
    assert_eq!(case_file(&server, &cw, &id).await["version"], version);
    server.stop().await;
}

/// The case file keeps the case's accompaniment and sex in step: an edit of
/// the case changes them, and one the rules refuse (an unaccompanied child
/// left with only a lawyer) is refused for the case too.
#[tokio::test]
async fn editing_the_case_keeps_its_case_file_in_step() {
    let (server, _) = Server::start().await;
    let cw = caseworker(&server, "cw-profile", "case_management").await;
    let id = create_case(&server, &cw, "accompanied").await;
    let mut version = 1;
    step(&server, &cw, &id, &mut version, Command::Register).await;
    let lawyer = Command::AppointRepresentative {
        id: entry(),
        representative: user("lawyer-1"),
        role: RepresentativeRole::LegalRepresentative,
        handover_from: None,
        caseload_override_reason: None,
    };
    let out = step(&server, &cw, &id, &mut version, lawyer).await;
    assert_eq!(out["case_file"]["stage"], "guardian_appointed");
    let put = |record_version: i64, accompaniment: &str| {
        let mut record = (CASES.valid)("Ahmad");
        record["accompaniment"] = json!(accompaniment);
        cw.put(server.url(&format!("/api/v1/cases/{id}")))
            .json(&json!({"version": record_version, "record": record}))
    };
    // Unaccompanied with only a legal representative: refused, nothing written.
    let reply = server.send(put(1, "unaccompanied")).await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", reply.text);
    assert_eq!(reply.json()["reason"], "would_leave_unrepresented");
    let case = server
        .send(cw.get(server.url(&format!("/api/v1/cases/{id}"))))
        .await;
    assert_eq!(case.json()["version"], 1);
    // With a guardian appointed too, the change goes through to both.
    step(&server, &cw, &id, &mut version, appoint("guardian-profile", None)).await;
    let reply = server.send(put(1, "separated")).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let file = case_file(&server, &cw, &id).await;
    assert_eq!(file["case_file"]["accompaniment"], "separated");
    assert_eq!(file["version"], version + 1);
    server.stop().await;
}
