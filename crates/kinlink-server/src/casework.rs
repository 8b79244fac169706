//! Case management through the API: each child case's case file
//! (`kinlink_casework::CaseFile`), the commands that move it on, approvals,
//! tasks and alerts, decisions, and the child-friendly information sheets.
//!
//! Access: every route is `Record(ChildCase, …)` in the route table, so the
//! firewall and the roles apply as to the case itself; a case outside the
//! grant's scope is 404. What a case file shows is reduced by field group in
//! one function, [`view`], with the rules of [`RULES`] (the case file's
//! counterpart of the policy's field classification); a command is refused
//! if it writes a group the grant may not edit ([`command_groups`]) or if
//! the declared purpose has nothing to do with it ([`purpose_allows`]).
//!
//! The rules of case management are the pure crate's: a handler loads the
//! case file, applies one command with "now" from the clock, the deployment's
//! [`CaseworkConfig`] and the guardians' caseloads counted across every
//! stored case file, and stores the result compare-and-swap on the version
//! the client named, with the command in the case file's history and the
//! notices as alerts for the people they are for, in one transaction.

use axum::Json;
use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use kinlink_casework::info::{Sheet, SheetLanguage, Topic};
use kinlink_casework::{
    Actor as CwActor, CaseFile, Caseloads, Command, Context, EntryId, Identification, Notice, Refusal,
    RepresentativeRole, UserId as CwUserId, Verdict,
};
use kinlink_core::{ChildCase, RecordId};
use kinlink_policy::{
    AccessRequest, Action, FieldGroup, FieldGroups, Grant, Purpose, Releasable, Role, authorize,
};
use kinlink_store::{
    CaseCommand, NewAlert, RecordMeta, Records, StoreError, StoredCaseFile, case_files_with_cases,
};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::access::Authorized;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, RecordKey};
use crate::records::{audit_access, context, find, release};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_case_file))
        .routes(routes!(case_file_history))
        .routes(routes!(apply_command))
        .routes(routes!(decide_approval))
        .routes(routes!(pending_approvals))
        .routes(routes!(my_tasks))
        .routes(routes!(decisions))
        .routes(routes!(info_sheet))
}

// ---------------------------------------------------------------------------
// Redaction

use FieldGroup::{CaseStatus, ChildStatements, Contact, Family, Health, Identity, ProtectionConcerns};

/// What a best-interests form or a case plan holds: the child's views,
/// the family, health, risks.
const FORMS: &[FieldGroup] = &[Family, Health, ProtectionConcerns, ChildStatements];

/// The field groups a part of a case file belongs to, by path (object keys
/// joined by dots; arrays are transparent; `past_cycles` read as `cycle`).
/// A part needs its own groups and those of every part around it. A
/// top-level key not listed is withheld from everyone (fail closed).
pub const RULES: &[(&str, &[FieldGroup])] = &[
    ("case_id", &[CaseStatus]),
    ("stage", &[CaseStatus]),
    ("accompaniment", &[CaseStatus]),
    ("sex", &[Identity]),
    ("identified_at", &[CaseStatus]),
    ("registered_at", &[CaseStatus]),
    ("caseworker", &[CaseStatus]),
    ("supervisor", &[CaseStatus]),
    ("age", &[Identity]),
    ("representatives", &[CaseStatus]),
    ("cycle", &[CaseStatus]),
    ("cycle.reunification", &[Family]),
    ("cycle.reunification.child_views", &[ChildStatements]),
    (
        "cycle.reunification.family_assessment.concerns",
        &[ProtectionConcerns],
    ),
    ("cycle.reunification.plan", &[Contact]),
    ("cycle.visits.notes", &[ProtectionConcerns]),
    ("cycle.visits.wellbeing", &[Health]),
    ("cycle.closure.note", &[ProtectionConcerns]),
    ("approvals", &[CaseStatus]),
    ("approvals.subject.form", FORMS),
    ("approvals.subject.plan", FORMS),
    ("approvals.subject.note", &[ProtectionConcerns]),
    ("approvals.outcome.verdict.reason", &[ProtectionConcerns]),
    ("decisions", &[CaseStatus]),
    ("decisions.child_views", &[ChildStatements]),
    ("decisions.options_considered", &[Family, ProtectionConcerns]),
    ("decisions.reasons", &[Family, ProtectionConcerns]),
    ("care", &[CaseStatus]),
    ("care.justification", &[ProtectionConcerns]),
    ("care.notes", &[ProtectionConcerns]),
    ("detentions", &[CaseStatus]),
    ("detentions.centre_name", &[Contact]),
    ("referrals", &[CaseStatus]),
    ("referrals.service", &[Health]),
    ("information", &[CaseStatus]),
    ("complaints", &[CaseStatus]),
    ("complaints.summary", &[ChildStatements]),
    ("complaints.outcome", &[ChildStatements]),
    ("stage_history", &[CaseStatus]),
];

fn rule(path: &str) -> Option<FieldGroups> {
    RULES
        .iter()
        .find(|(p, _)| *p == path)
        .map(|(_, groups)| FieldGroups::of(groups))
}

fn redact(value: &mut Value, path: &str, readable: FieldGroups) {
    match value {
        Value::Object(map) => {
            map.retain(|key, child| {
                let key = if path.is_empty() && key == "past_cycles" {
                    "cycle"
                } else {
                    key.as_str()
                };
                let child_path = if path.is_empty() {
                    key.to_owned()
                } else {
                    format!("{path}.{key}")
                };
                let needs = match rule(&child_path) {
                    Some(groups) => groups,
                    // Top level: unknown parts are withheld; below, a part
                    // without a rule of its own is its parent's.
                    None if path.is_empty() => return false,
                    None => FieldGroups::NONE,
                };
                if !readable.is_superset(needs) {
                    return false;
                }
                redact(child, &child_path, readable);
                true
            });
        }
        Value::Array(items) => {
            for item in items {
                redact(item, path, readable);
            }
        }
        _ => {}
    }
}

/// A case file as the grant may see it: the parts of groups it may not
/// read are absent. The only way a case file leaves the server.
pub fn view(file: &CaseFile, readable: FieldGroups) -> Result<Map<String, Value>, ApiError> {
    let mut json = serde_json::to_value(file).map_err(|_| ApiError::internal())?;
    redact(&mut json, "", readable);
    match json {
        Value::Object(map) => Ok(map),
        _ => Err(ApiError::internal()),
    }
}

/// The groups a command writes.
fn command_groups(command: &Command) -> FieldGroups {
    let mut groups = FieldGroups::only(CaseStatus);
    let extra: &[FieldGroup] = match command {
        Command::UpdateProfile { .. } | Command::RecordAgeAssessment { .. } => &[Identity],
        Command::SubmitBia { .. } | Command::SubmitCasePlan { .. } | Command::SubmitBid { .. } => FORMS,
        Command::Decide {
            verdict: Verdict::Reject { .. },
            ..
        } => &[ProtectionConcerns],
        Command::RecordFollowUpVisit { .. } => &[ProtectionConcerns, Health],
        Command::RequestClosure { .. } | Command::Reopen { .. } | Command::PlaceInCare { .. } => {
            &[ProtectionConcerns]
        }
        Command::RecordDetention { .. } => &[Contact],
        Command::Refer { .. } => &[Health],
        Command::VerifyRelationship { .. } | Command::AssessFamily { .. } => &[Family, ProtectionConcerns],
        Command::HearChildOnReunification { .. } => &[ChildStatements],
        Command::PlanReunification { .. } => &[Family, Contact],
        Command::LodgeComplaint { .. } | Command::UpdateComplaint { .. } => &[ChildStatements],
        _ => &[],
    };
    for group in extra {
        groups.insert(*group);
    }
    groups
}

/// Whether the declared purpose is a reason to apply this command.
fn purpose_allows(purpose: Purpose, command: &Command) -> bool {
    match purpose {
        Purpose::CaseManagement => true,
        Purpose::BestInterestsProcedure => matches!(
            command,
            Command::StartAssessment
                | Command::SubmitBia { .. }
                | Command::SubmitCasePlan { .. }
                | Command::StartBid
                | Command::SubmitBid { .. }
                | Command::Decide { .. }
                | Command::HearChildOnReunification { .. }
        ),
        Purpose::Tracing => matches!(
            command,
            Command::StartReunification { .. }
                | Command::VerifyRelationship { .. }
                | Command::AssessFamily { .. }
                | Command::HearChildOnReunification { .. }
                | Command::PlanReunification { .. }
        ),
        _ => false,
    }
}

// ---------------------------------------------------------------------------
// Loading and storing

/// The command's name as it is written in JSON (`submit_bia`).
fn command_kind(command: &Command) -> String {
    serde_json::to_value(command)
        .ok()
        .and_then(|v| v.get("command").and_then(Value::as_str).map(str::to_owned))
        .unwrap_or_else(|| "unknown".to_owned())
}

fn parse_file(stored: &StoredCaseFile) -> Result<CaseFile, ApiError> {
    serde_json::from_str(&stored.body).map_err(|_| {
        // Position only: the body is personal data.
        tracing::error!("a stored case file could not be read");
        ApiError::internal()
    })
}

fn encode_file(file: &CaseFile) -> Result<String, ApiError> {
    serde_json::to_string(file).map_err(|_| ApiError::internal())
}

/// The supervisor of a new case file: a supervisor of the case owner's team
/// (else of their agency), other than the creator if there is one; the
/// creator if nobody else supervises.
async fn supervisor_for(state: &AppState, meta: &RecordMeta) -> Result<String, ApiError> {
    let Some(owner) = meta.owner else {
        return Ok(meta.created_by.clone());
    };
    let mut users = state.accounts.users().await?;
    users.retain(|u| !u.disabled && u.roles.contains(&Role::Supervisor) && u.agency_id == owner.agency);
    let in_team = |u: &&kinlink_store::UserRecord| owner.team.is_some_and(|t| u.teams.contains(&t));
    let pick = users
        .iter()
        .filter(in_team)
        .find(|u| u.id != owner.user)
        .or_else(|| users.iter().find(|u| u.id != owner.user))
        .or_else(|| users.iter().find(|u| u.id == owner.user));
    Ok(pick.map_or_else(|| meta.created_by.clone(), |u| u.username.clone()))
}

/// Open the case file of a case: identified when the case was registered
/// (or, for a case registered after the fact, at the start of the day it
/// records as `recorded_on`, so that deadlines and statistics count from the
/// real identification), by its creator, who is its caseworker. A person registered as a child
/// is treated as one (`claims_to_be_child`). Returns the stored one if the
/// case already has a file.
pub(crate) async fn open_case_file(
    state: &AppState,
    meta: &RecordMeta,
    case: &ChildCase,
    actor: &kinlink_store::Actor,
) -> Result<StoredCaseFile, ApiError> {
    if let Some(stored) = state.store.get_case_file(meta.id).await? {
        return Ok(stored);
    }
    let identified_at = match case.recorded_on {
        Some(day) if day < meta.created_at.date_naive() => day.and_time(chrono::NaiveTime::MIN).and_utc(),
        _ => meta.created_at,
    };
    let file = CaseFile::identify(Identification {
        case_id: meta.id,
        at: identified_at,
        by: CwUserId::new(meta.created_by.clone()),
        caseworker: CwUserId::new(meta.created_by.clone()),
        supervisor: CwUserId::new(supervisor_for(state, meta).await?),
        accompaniment: case.accompaniment,
        sex: case.child.sex,
        claims_to_be_child: true,
    });
    Ok(state
        .store
        .create_case_file(meta.id, &encode_file(&file)?, actor)
        .await?)
}

/// A change of a case's accompaniment or sex, checked against its case file
/// before the case is written: the case file keeps them too (the guardian
/// rules and the detention report depend on them). `None` if nothing
/// changes or the case has no file yet (it is opened with the new values).
/// A change the case management rules refuse (an unaccompanied child left
/// without a guardian) is refused for the case as well.
pub(crate) async fn profile_change(
    state: &AppState,
    auth: &Authorized,
    case_id: RecordId,
    case: &ChildCase,
) -> Result<Option<(i64, CaseFile)>, ApiError> {
    let Some(stored) = state.store.get_case_file(case_id).await? else {
        return Ok(None);
    };
    let mut file = parse_file(&stored)?;
    if file.accompaniment == case.accompaniment && file.sex == case.child.sex {
        return Ok(None);
    }
    let command = Command::UpdateProfile {
        accompaniment: case.accompaniment,
        sex: case.child.sex,
    };
    let caseloads = Caseloads::default();
    let ctx = Context {
        now: Utc::now(),
        config: &state.casework,
        caseloads: &caseloads,
    };
    file.apply(&ctx, &cw_actor(auth), command).map_err(refused)?;
    Ok(Some((stored.version, file)))
}

/// Store a profile change checked by [`profile_change`], after the case was written.
pub(crate) async fn store_profile_change(
    state: &AppState,
    auth: &Authorized,
    (version, file): (i64, CaseFile),
) -> Result<(), ApiError> {
    let command = Command::UpdateProfile {
        accompaniment: file.accompaniment,
        sex: file.sex,
    };
    let command_json = serde_json::to_string(&command).map_err(|_| ApiError::internal())?;
    state
        .store
        .update_case_file(
            file.case_id,
            version,
            &encode_file(&file)?,
            CaseCommand {
                kind: "update_profile",
                body: &command_json,
            },
            &[],
            &auth.actor(),
        )
        .await?;
    Ok(())
}

/// The case `key` in the grant's scope, and its case file (opened if the
/// case has none yet, e.g. a case imported before case files existed).
async fn load(
    state: &AppState,
    auth: &Authorized,
    key: &str,
) -> Result<(RecordMeta, StoredCaseFile, CaseFile), ApiError> {
    let records = Records::<ChildCase>::new(state.store.clone());
    let case = find::<ChildCase>(state.store.as_ref(), &records, auth, key).await?;
    let stored = open_case_file(state, &case.meta, &case.record, &auth.actor()).await?;
    let file = parse_file(&stored)?;
    Ok((case.meta, stored, file))
}

fn cw_actor(auth: &Authorized) -> CwActor {
    CwActor {
        user: CwUserId::new(auth.caller.username.clone()),
        supervisor: auth.caller.principal.roles.contains(&Role::Supervisor),
    }
}

/// A refusal of case management as a response: 422 with the refusal's code
/// in `reason`, its details (codes, stages, counts; never a value) and the
/// rule in words.
fn refused(refusal: Refusal) -> ApiError {
    let details = serde_json::to_value(&refusal).unwrap_or(Value::Null);
    let code = details
        .get("refusal")
        .and_then(Value::as_str)
        .unwrap_or("refused")
        .to_owned();
    match refusal {
        Refusal::Invalid(errors) => ApiError::refused(&code, "the command has invalid fields", None)
            .with_fields(errors.errors, "command."),
        other => ApiError::refused(&code, other.to_string(), Some(details)),
    }
}

fn notice_alert(notice: &Notice) -> Result<NewAlert, ApiError> {
    let json = serde_json::to_value(notice).map_err(|_| ApiError::internal())?;
    let kind = json
        .get("notice")
        .and_then(Value::as_str)
        .unwrap_or("notice")
        .to_owned();
    let to = match notice {
        Notice::DetentionAlert { to, .. }
        | Notice::ApprovalRequested { to, .. }
        | Notice::ComplaintRouted { to, .. } => to.as_str().to_owned(),
    };
    Ok(NewAlert {
        recipient: to,
        kind,
        notice: json.to_string(),
    })
}

/// Apply `command` to the case `key` at `expected_version` and store it.
async fn run_command(
    state: &AppState,
    auth: &Authorized,
    key: &str,
    expected_version: i64,
    command: Command,
) -> Result<CommandOut, ApiError> {
    let purpose = auth.grant.request().purpose;
    if !purpose_allows(purpose, &command) {
        return Err(ApiError::forbidden(
            "purpose_not_for_command",
            format!(
                "the declared purpose ({}) is not a reason for this step of case management",
                purpose.as_str()
            ),
        ));
    }
    let needs = command_groups(&command);
    if !auth.grant.editable().is_superset(needs) {
        return Err(ApiError::forbidden(
            "field_groups_not_editable",
            format!(
                "this step writes field groups the caller may not edit for this purpose: {}",
                needs.difference(auth.grant.editable())
            ),
        ));
    }
    let (meta, stored, mut file) = load(state, auth, key).await?;
    if stored.version != expected_version {
        return Err(StoreError::Conflict {
            expected: expected_version,
            current: stored.version,
        }
        .into());
    }
    // Guardians' caseloads across every stored case file (only needed to appoint one).
    let caseloads = match &command {
        Command::AppointRepresentative {
            role: RepresentativeRole::Guardian,
            ..
        } => {
            let files = state.store.case_files().await?;
            let parsed = files.iter().map(parse_file).collect::<Result<Vec<_>, _>>()?;
            Caseloads::count(&parsed)
        }
        _ => Caseloads::default(),
    };
    let ctx = Context {
        now: Utc::now(),
        config: &state.casework,
        caseloads: &caseloads,
    };
    let kind = command_kind(&command);
    let command_json = serde_json::to_string(&command).map_err(|_| ApiError::internal())?;
    let notices = file.apply(&ctx, &cw_actor(auth), command).map_err(refused)?;
    let alerts = notices.iter().map(notice_alert).collect::<Result<Vec<_>, _>>()?;
    let updated = state
        .store
        .update_case_file(
            meta.id,
            expected_version,
            &encode_file(&file)?,
            CaseCommand {
                kind: &kind,
                body: &command_json,
            },
            &alerts,
            &auth.actor(),
        )
        .await?;
    // What the caller may read back, for the same purpose.
    let read = authorize(
        &auth.caller.principal,
        AccessRequest::new(auth.grant.request().resource, Action::Read, purpose),
    );
    let case_file = match read {
        Ok(grant) if grant.covers(&context(&meta)) => Some(view(&file, grant.readable())?),
        _ => None,
    };
    Ok(CommandOut {
        case_id: meta.id,
        version: updated.version,
        notices: notices
            .iter()
            .map(|n| serde_json::to_value(n).unwrap_or(Value::Null))
            .collect(),
        case_file,
    })
}

// ---------------------------------------------------------------------------
// Responses

/// A case file as the caller may see it.
#[derive(Serialize, ToSchema)]
pub struct CaseFileOut {
    pub case_id: RecordId,
    /// Name it as `expected_version` in a command; a stale one is refused with 409.
    pub version: i64,
    pub updated_at: DateTime<Utc>,
    pub updated_by: String,
    /// The case file (stage, age, representatives, cycle, approvals,
    /// decisions, care, detentions, referrals, information given,
    /// complaints, stage history), without the parts of withheld groups.
    #[schema(value_type = Object)]
    pub case_file: Map<String, Value>,
    /// Field groups withheld from the caller.
    #[schema(value_type = Vec<String>)]
    pub withheld: FieldGroups,
}

impl Releasable for CaseFileOut {}

fn file_out(stored: &StoredCaseFile, file: &CaseFile, grant: &Grant) -> Result<CaseFileOut, ApiError> {
    Ok(CaseFileOut {
        case_id: stored.case_id,
        version: stored.version,
        updated_at: stored.updated_at,
        updated_by: stored.updated_by.clone(),
        case_file: view(file, grant.readable())?,
        withheld: FieldGroups::ALL.difference(grant.readable()),
    })
}

/// What a command did.
#[derive(Serialize, ToSchema)]
pub struct CommandOut {
    pub case_id: RecordId,
    /// The case file's version now.
    pub version: i64,
    /// Who was told what (detention alert, approval requested, complaint
    /// routed); each is also an alert in the recipient's tasks.
    #[schema(value_type = Vec<Object>)]
    pub notices: Vec<Value>,
    /// The case file as the caller may read it (absent if they may not).
    #[schema(value_type = Option<Object>)]
    pub case_file: Option<Map<String, Value>>,
}

impl Releasable for CommandOut {}

/// One command of a case file's history: who, when, for which purpose
/// (the command's content is in the case file).
#[derive(Serialize, ToSchema)]
pub struct CaseEventOut {
    /// The case file's version after the command.
    pub version: i64,
    /// `register`, `submit_bia`, `decide`, ...
    pub command: String,
    pub by: String,
    pub purpose: Option<String>,
    pub at: DateTime<Utc>,
}

#[derive(Serialize, ToSchema)]
pub struct CaseHistoryOut {
    pub case_id: RecordId,
    pub events: Vec<CaseEventOut>,
}

impl Releasable for CaseHistoryOut {}

/// A command and the version it is based on.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommandRequest {
    /// The case file's version the command is based on; a stale one is 409.
    pub expected_version: i64,
    /// One command, tagged by `command`: `register`, `update_profile`,
    /// `appoint_representative`, `end_appointment`, `request_age_assessment`,
    /// `record_age_assessment`, `start_assessment`, `submit_bia`,
    /// `submit_case_plan`, `start_bid`, `submit_bid`, `decide`,
    /// `implement_solution`, `complete_solution`, `record_follow_up_visit`,
    /// `request_closure`, `reopen`, `place_in_care`, `record_detention`,
    /// `record_release`, `refer`, `update_referral`, `start_reunification`,
    /// `verify_relationship`, `assess_family`, `hear_child_on_reunification`,
    /// `plan_reunification`, `complete_reunification`,
    /// `record_information_given`, `lodge_complaint`, `update_complaint`.
    /// Ids of new entries (UUIDs) are minted by the client.
    #[schema(value_type = Object)]
    pub command: Command,
}

/// A supervisor's decision on an approval request.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionRequest {
    pub expected_version: i64,
    /// `{"verdict": "approve"}` or `{"verdict": "reject", "reason": "..."}`.
    #[schema(value_type = Object)]
    pub verdict: Verdict,
}

/// An approval request waiting for a decision.
#[derive(Serialize, ToSchema)]
pub struct PendingApproval {
    pub case_id: RecordId,
    /// The case file's version (name it when deciding).
    pub version: i64,
    #[schema(value_type = String)]
    pub approval: EntryId,
    /// `bia`, `case_plan`, `bid`, `closure`.
    #[schema(value_type = String)]
    pub kind: kinlink_casework::ApprovalKind,
    pub requested_by: String,
    pub requested_at: DateTime<Utc>,
    pub overdue: bool,
}

#[derive(Serialize, ToSchema)]
pub struct PendingApprovals {
    pub approvals: Vec<PendingApproval>,
}

impl Releasable for PendingApprovals {}

/// An alert raised for the caller by a command on a case.
#[derive(Serialize, ToSchema)]
pub struct AlertOut {
    pub id: uuid::Uuid,
    pub case_id: RecordId,
    /// `detention_alert`, `approval_requested`, `complaint_routed`.
    pub kind: String,
    /// The notice: ids, kinds and flags.
    #[schema(value_type = Object)]
    pub notice: Value,
    pub raised_at: DateTime<Utc>,
}

/// The caller's tasks and alerts.
#[derive(Serialize, ToSchema)]
pub struct TasksOut {
    /// The time the tasks were computed at.
    pub now: DateTime<Utc>,
    /// What is due or overdue for the caller, overdue first.
    #[schema(value_type = Vec<Object>)]
    pub mine: Vec<kinlink_casework::Task>,
    /// A supervisor's team: the tasks of the others on the cases they supervise.
    #[schema(value_type = Vec<Object>)]
    pub team: Vec<kinlink_casework::Task>,
    /// Alerts raised for the caller, oldest first.
    pub alerts: Vec<AlertOut>,
}

impl Releasable for TasksOut {}

/// A case's decisions, as the caller may see them.
#[derive(Serialize, ToSchema)]
pub struct DecisionsOut {
    pub case_id: RecordId,
    pub version: i64,
    /// Best-interests determinations, approved (the first-class record
    /// shared across borders later).
    #[schema(value_type = Vec<Object>)]
    pub best_interests: Value,
    /// Every guardian and legal representative appointed, with handovers.
    #[schema(value_type = Vec<Object>)]
    pub guardianship: Value,
    /// Every care placement, with its history.
    #[schema(value_type = Vec<Object>)]
    pub care: Value,
    #[schema(value_type = Vec<String>)]
    pub withheld: FieldGroups,
}

impl Releasable for DecisionsOut {}

// ---------------------------------------------------------------------------
// Handlers

/// A case's case file
///
/// The case file as the caller may see it (parts of withheld field groups
/// are absent). A case registered before case files existed gets one now.
#[utoipa::path(get, path = "/api/v1/cases/{id}/casework", tag = "case management",
    operation_id = "get_case_file",
    params(("id" = String, Path, description = "The case's UUID or its number")),
    responses(
        (status = 200, description = "The case file", body = CaseFileOut),
        (status = 404, description = "No such case", body = ErrorBody),
        (status = 500, description = "Internal error", body = ErrorBody),
    ))]
async fn get_case_file(
    State(state): State<AppState>,
    auth: Authorized,
    RecordKey(key): RecordKey,
) -> Result<Json<CaseFileOut>, ApiError> {
    let (meta, stored, file) = load(&state, &auth, &key).await?;
    let out = file_out(&stored, &file, &auth.grant)?;
    audit_access(state.store.as_ref(), &auth, [*meta.id.as_uuid()]).await?;
    Ok(release(out))
}

/// A case file's history
///
/// Every command applied to the case file, oldest first: which, by whom,
/// when, for which purpose. Append-only.
#[utoipa::path(get, path = "/api/v1/cases/{id}/casework/history", tag = "case management",
    operation_id = "case_file_history",
    params(("id" = String, Path, description = "The case's UUID or its number")),
    responses(
        (status = 200, description = "The history", body = CaseHistoryOut),
        (status = 404, description = "No such case", body = ErrorBody),
        (status = 500, description = "Internal error", body = ErrorBody),
    ))]
async fn case_file_history(
    State(state): State<AppState>,
    auth: Authorized,
    RecordKey(key): RecordKey,
) -> Result<Json<CaseHistoryOut>, ApiError> {
    let (meta, _, _) = load(&state, &auth, &key).await?;
    let events = state
        .store
        .case_file_history(meta.id)
        .await?
        .into_iter()
        .map(|e| CaseEventOut {
            version: e.version,
            command: e.command_kind,
            by: e.actor,
            purpose: e.purpose,
            at: e.at,
        })
        .collect();
    audit_access(state.store.as_ref(), &auth, [*meta.id.as_uuid()]).await?;
    Ok(release(CaseHistoryOut {
        case_id: meta.id,
        events,
    }))
}

/// Apply a case management command
///
/// One step of the case: checked by the case management rules with the
/// time now and the deployment's settings. A refusal is 422 with the rule's
/// code in `reason` (`wrong_stage`, `caseload_limit`, `bid_required`,
/// `presumed_minor`, ...) and its details; a stale `expected_version` is 409.
/// A step writing field groups the caller may not edit, or unrelated to the
/// declared purpose, is 403.
#[utoipa::path(post, path = "/api/v1/cases/{id}/casework/commands", tag = "case management",
    operation_id = "apply_case_command",
    params(("id" = String, Path, description = "The case's UUID or its number")),
    request_body(content = CommandRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "Applied", body = CommandOut),
        (status = 400, description = "Not JSON", body = ErrorBody),
        (status = 404, description = "No such case", body = ErrorBody),
        (status = 409, description = "The case file changed since `expected_version`", body = ErrorBody),
        (status = 422, description = "Refused by the case management rules, or invalid fields", body = ErrorBody),
        (status = 500, description = "Internal error", body = ErrorBody),
    ))]
async fn apply_command(
    State(state): State<AppState>,
    auth: Authorized,
    RecordKey(key): RecordKey,
    ApiJson(body): ApiJson<CommandRequest>,
) -> Result<Json<CommandOut>, ApiError> {
    let out = run_command(&state, &auth, &key, body.expected_version, body.command).await?;
    Ok(release(out))
}

/// The `{approval_id}` of an approval route.
struct ApprovalKey(String, EntryId);

impl<S: Send + Sync> FromRequestParts<S> for ApprovalKey {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let not_found = || ApiError::not_found("no approval request with this id");
        let Path((id, approval)) = Path::<(String, String)>::from_request_parts(parts, state)
            .await
            .map_err(|_| not_found())?;
        let approval = approval.parse::<uuid::Uuid>().map_err(|_| not_found())?;
        Ok(ApprovalKey(id, EntryId::from_uuid(approval)))
    }
}

/// Decide an approval request
///
/// A supervisor other than the requester approves or rejects (with a
/// reason) a BIA, case plan, BID or closure.
#[utoipa::path(post, path = "/api/v1/cases/{id}/casework/approvals/{approval_id}", tag = "case management",
    operation_id = "decide_approval",
    params(
        ("id" = String, Path, description = "The case's UUID or its number"),
        ("approval_id" = String, Path, description = "The approval request's UUID"),
    ),
    request_body(content = DecisionRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "Decided", body = CommandOut),
        (status = 404, description = "No such case", body = ErrorBody),
        (status = 409, description = "The case file changed since `expected_version`", body = ErrorBody),
        (status = 422, description = "Refused (`supervisor_required`, `approver_is_requester`, ...)", body = ErrorBody),
        (status = 500, description = "Internal error", body = ErrorBody),
    ))]
async fn decide_approval(
    State(state): State<AppState>,
    auth: Authorized,
    ApprovalKey(key, approval): ApprovalKey,
    ApiJson(body): ApiJson<DecisionRequest>,
) -> Result<Json<CommandOut>, ApiError> {
    let command = Command::Decide {
        approval,
        verdict: body.verdict,
    };
    let out = run_command(&state, &auth, &key, body.expected_version, command).await?;
    Ok(release(out))
}

/// Every case file the grant reaches, with its case's metadata.
async fn reachable_files(
    state: &AppState,
    auth: &Authorized,
) -> Result<Vec<(RecordMeta, StoredCaseFile, CaseFile)>, ApiError> {
    let mut out = Vec::new();
    for f in case_files_with_cases(state.store.as_ref()).await? {
        if auth.grant.covers(&context(&f.case.meta)) {
            let file = parse_file(&f.file)?;
            out.push((f.case.meta, f.file, file));
        }
    }
    Ok(out)
}

/// Approvals waiting for me
///
/// The approval requests waiting on the cases the caller supervises,
/// oldest first.
#[utoipa::path(get, path = "/api/v1/approvals", tag = "case management",
    operation_id = "pending_approvals",
    responses(
        (status = 200, description = "Pending approval requests", body = PendingApprovals),
        (status = 500, description = "Internal error", body = ErrorBody),
    ))]
async fn pending_approvals(
    State(state): State<AppState>,
    auth: Authorized,
) -> Result<Json<PendingApprovals>, ApiError> {
    let me = CwUserId::new(auth.caller.username.clone());
    let now = Utc::now();
    let mut approvals = Vec::new();
    let mut ids = Vec::new();
    for (meta, stored, file) in reachable_files(&state, &auth).await? {
        if file.supervisor != me {
            continue;
        }
        let before = approvals.len();
        for a in file.pending_approvals() {
            approvals.push(PendingApproval {
                case_id: meta.id,
                version: stored.version,
                approval: a.id,
                kind: a.subject.kind(),
                requested_by: a.requested_by.as_str().to_owned(),
                requested_at: a.requested_at,
                overdue: now > a.requested_at + state.casework.approval_overdue(),
            });
        }
        if approvals.len() > before {
            ids.push(*meta.id.as_uuid());
        }
    }
    approvals.sort_by_key(|a| a.requested_at);
    audit_access(state.store.as_ref(), &auth, ids).await?;
    Ok(release(PendingApprovals { approvals }))
}

/// My tasks and alerts
///
/// What is due or overdue for the caller (guardian not appointed, BIA due,
/// follow-up visit due, approval waiting, child in detention, referral
/// overdue), computed now; a supervisor also sees their team's; and the
/// alerts raised for the caller (detention, approval requested, complaint routed).
#[utoipa::path(get, path = "/api/v1/tasks", tag = "case management",
    operation_id = "my_tasks",
    responses(
        (status = 200, description = "Tasks and alerts", body = TasksOut),
        (status = 500, description = "Internal error", body = ErrorBody),
    ))]
async fn my_tasks(State(state): State<AppState>, auth: Authorized) -> Result<Json<TasksOut>, ApiError> {
    let me = CwUserId::new(auth.caller.username.clone());
    let now = Utc::now();
    let files = reachable_files(&state, &auth).await?;
    let cases: Vec<&CaseFile> = files.iter().map(|(_, _, f)| f).collect();
    let all = kinlink_casework::tasks(cases.iter().copied(), now, &state.casework);
    let mine: Vec<_> = kinlink_casework::tasks_for(&all, &me).cloned().collect();
    let team = if auth.caller.principal.roles.contains(&Role::Supervisor) {
        kinlink_casework::team_tasks(cases.iter().copied(), &me, now, &state.casework)
            .into_iter()
            .filter(|(assignee, _)| *assignee != me)
            .flat_map(|(_, tasks)| tasks)
            .collect()
    } else {
        Vec::new()
    };
    let in_scope: std::collections::HashSet<RecordId> = files.iter().map(|(m, _, _)| m.id).collect();
    let alerts: Vec<AlertOut> = state
        .store
        .alerts_for(me.as_str())
        .await?
        .into_iter()
        .filter(|a| in_scope.contains(&a.case_id))
        .map(|a| AlertOut {
            id: a.id,
            case_id: a.case_id,
            kind: a.kind,
            notice: serde_json::from_str(&a.notice).unwrap_or(Value::Null),
            raised_at: a.created_at,
        })
        .collect();
    let mut ids: Vec<uuid::Uuid> = mine
        .iter()
        .chain(&team)
        .map(|t| *t.case_id.as_uuid())
        .chain(alerts.iter().map(|a| *a.case_id.as_uuid()))
        .collect();
    ids.sort();
    ids.dedup();
    audit_access(state.store.as_ref(), &auth, ids).await?;
    Ok(release(TasksOut {
        now,
        mine,
        team,
        alerts,
    }))
}

/// A case's decisions
///
/// Best-interests determinations, guardianship (every appointment and
/// handover) and care placements, as first-class records, as the caller may see them.
#[utoipa::path(get, path = "/api/v1/cases/{id}/decisions", tag = "case management",
    operation_id = "case_decisions",
    params(("id" = String, Path, description = "The case's UUID or its number")),
    responses(
        (status = 200, description = "The decisions", body = DecisionsOut),
        (status = 404, description = "No such case", body = ErrorBody),
        (status = 500, description = "Internal error", body = ErrorBody),
    ))]
async fn decisions(
    State(state): State<AppState>,
    auth: Authorized,
    RecordKey(key): RecordKey,
) -> Result<Json<DecisionsOut>, ApiError> {
    let (meta, stored, file) = load(&state, &auth, &key).await?;
    let viewed = view(&file, auth.grant.readable())?;
    let part = |name: &str| viewed.get(name).cloned().unwrap_or(Value::Array(Vec::new()));
    let out = DecisionsOut {
        case_id: meta.id,
        version: stored.version,
        best_interests: part("decisions"),
        guardianship: part("representatives"),
        care: part("care"),
        withheld: FieldGroups::ALL.difference(auth.grant.readable()),
    };
    audit_access(state.store.as_ref(), &auth, [*meta.id.as_uuid()]).await?;
    Ok(release(out))
}

/// An information sheet
///
/// A child-friendly sheet (`your_rights`, `your_guardian`, `family_tracing`,
/// `asylum`, `age_assessment`, `complaints`) in a language (`en`, `fr`, `es`,
/// `ar`, `prs`, `ti`), as Markdown to print. A translation not yet written is
/// 404 `translation_missing`: never machine-invented. Giving a sheet to a
/// child is recorded with the `record_information_given` command.
#[utoipa::path(get, path = "/api/v1/info-sheets/{topic}/{lang}", tag = "case management",
    operation_id = "info_sheet",
    params(
        ("topic" = String, Path, description = "The sheet's topic"),
        ("lang" = String, Path, description = "The language tag"),
    ),
    responses(
        (status = 200, description = "The sheet", content_type = "text/markdown"),
        (status = 404, description = "No such topic or language, or the translation is missing", body = ErrorBody),
    ))]
async fn info_sheet(
    _auth: Authorized,
    Path((topic, lang)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let topic: Topic = serde_json::from_value(Value::String(topic))
        .map_err(|_| ApiError::not_found("no information sheet on this topic"))?;
    let language: SheetLanguage = serde_json::from_value(Value::String(lang))
        .map_err(|_| ApiError::not_found("information sheets are not kept in this language"))?;
    match kinlink_casework::info::sheet(topic, language) {
        Sheet::Available(text) => Ok((
            [
                (header::CONTENT_TYPE, "text/markdown; charset=utf-8"),
                (header::CONTENT_LANGUAGE, language.tag()),
            ],
            text,
        )
            .into_response()),
        Sheet::Missing => Err(ApiError::with_code(
            StatusCode::NOT_FOUND,
            "translation_missing",
            "this sheet is not written in this language yet; give it in another language the child understands",
        )),
    }
}
