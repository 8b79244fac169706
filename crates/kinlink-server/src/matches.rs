//! The match endpoints: the cases proposed for a tracing request (and the
//! requests a case is proposed for), one match with its history, and its
//! review. Proposals are made by the [`Matcher`](crate::matcher::Matcher) in
//! the background; these endpoints read and review what it stored.
//!
//! Access: the routes are `Record(MatchProposal, List | Read | Update)` in
//! the route table. A match is reached only if the grant's scope covers both
//! of its records, the tracing request and the case (otherwise 404: its
//! existence is not disclosed). A match holds no value of either record:
//! ids, numbers, versions, a score, and per compared field a comparison
//! level and a weight; the fields of a group the grant may not read are left
//! out of the explanation.

use axum::Json;
use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use chrono::Utc;
use kinlink_core::validation::Checker;
use kinlink_core::{
    ChildCase, RecordId, RecordKind, RecordNumber, TracingRequest, TracingStatus, Validated, latest_today,
};
use kinlink_policy::{FieldGroup, FieldGroups, Releasable};
use kinlink_store::{
    ConsentPurpose, MatchId, MatchLabel, MatchReview, MatchStatus, RecordWrite, Records, ReviewDecision,
    StoreError, StoredMatch,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::access::Authorized;
use crate::audit::{self, Outcome};
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, RecordKey};
use crate::matcher::MatchExplanation;
use crate::records::{audit_access, context, find, record_event, release};

/// Times a review is tried again when a record it moves on changed meanwhile.
const REVIEW_ATTEMPTS: usize = 3;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(tracing_request_matches))
        .routes(routes!(case_matches))
        .routes(routes!(get_match))
        .routes(routes!(review_match))
}

/// A record a match refers to, at the version the score was computed from.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct MatchedRecord {
    pub id: RecordId,
    pub number: RecordNumber,
    /// The version the score was computed from.
    pub version: i64,
}

/// A proposed pair: a tracing request and a case that may be the sought child.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct MatchView {
    pub id: MatchId,
    /// Name it in a review; a stale one is refused with 409.
    pub version: i64,
    pub status: MatchStatus,
    /// `match`: probably the child; `possible`: worth a caseworker's look.
    pub label: MatchLabel,
    /// Probably a sibling of the sought child rather than the child (never labelled `match`).
    pub sibling: bool,
    /// Match probability.
    pub score: f64,
    pub request: MatchedRecord,
    pub case: MatchedRecord,
    /// Which of the request's sought children the case may be (index in `sought_children`).
    pub sought_child: u32,
    /// Whether the latest matching still proposes the pair (false once the
    /// records changed so that it no longer does).
    pub proposed: bool,
    pub explanation: MatchExplanation,
    pub reviewed_by: Option<String>,
    pub reviewed_at: Option<chrono::DateTime<Utc>>,
    pub reason: Option<String>,
    pub created_at: chrono::DateTime<Utc>,
    pub updated_at: chrono::DateTime<Utc>,
}

/// The matches of a record, best first: candidates for the child, and
/// probable siblings of the child, listed apart.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct MatchList {
    pub candidates: Vec<MatchView>,
    /// Cases that look like a brother or sister of the sought child: not the
    /// child, but a lead to the family.
    pub possible_siblings: Vec<MatchView>,
}

// A match holds no record: ids, numbers, a score, and levels and weights per
// field (viewed under the grant, see `view`).
impl Releasable for MatchList {}

/// A match and every status it has had.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct MatchDetail {
    #[serde(flatten)]
    pub current: MatchView,
    /// Oldest first: the matcher's proposals and re-openings, and every review.
    pub history: Vec<MatchReview>,
}

impl Releasable for MatchDetail {}

/// A reviewer's decision.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReviewStatus {
    UnderReview,
    Confirmed,
    Rejected,
}

impl From<ReviewStatus> for MatchStatus {
    fn from(status: ReviewStatus) -> Self {
        match status {
            ReviewStatus::UnderReview => MatchStatus::UnderReview,
            ReviewStatus::Confirmed => MatchStatus::Confirmed,
            ReviewStatus::Rejected => MatchStatus::Rejected,
        }
    }
}

/// The body of a review.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewRequest {
    /// The match version the decision is based on.
    pub version: i64,
    pub status: ReviewStatus,
    /// Why: required to confirm or reject.
    #[serde(default)]
    pub reason: Option<String>,
}

/// The field group of a compared field, as the policy classifies the record
/// fields it is compared from (`kinlink_policy::classify`): names, sex,
/// birth, origin and languages are identity; separation and parents, family.
/// A field not listed here belongs to no group and is never shown.
fn field_group(field: &str) -> Option<FieldGroup> {
    match field {
        "given_name" | "family_name" | "sex" | "birth" | "country_of_origin" | "place_of_origin"
        | "languages" => Some(FieldGroup::Identity),
        "separation_place" | "separation_date" | "mother_name" | "father_name" => Some(FieldGroup::Family),
        _ => None,
    }
}

/// A stored match as `readable` may see it: the explanation keeps the
/// fields of readable groups only.
pub(crate) fn view(stored: StoredMatch, readable: FieldGroups) -> Result<MatchView, ApiError> {
    let mut explanation: MatchExplanation = serde_json::from_str(&stored.explanation).map_err(|_| {
        // Position only: the explanation holds levels and weights, but stay safe.
        tracing::error!("a stored match explanation could not be read");
        ApiError::internal()
    })?;
    explanation
        .fields
        .retain(|f| field_group(&f.field).is_some_and(|group| readable.contains(group)));
    Ok(MatchView {
        id: stored.id,
        version: stored.version,
        status: stored.status,
        label: stored.label,
        sibling: stored.sibling,
        score: stored.score,
        request: MatchedRecord {
            id: stored.request_id,
            number: stored.request_number,
            version: stored.request_version,
        },
        case: MatchedRecord {
            id: stored.case_id,
            number: stored.case_number,
            version: stored.case_version,
        },
        sought_child: stored.sought_child,
        proposed: stored.proposed,
        explanation,
        reviewed_by: stored.reviewed_by,
        reviewed_at: stored.reviewed_at,
        reason: stored.reason,
        created_at: stored.created_at,
        updated_at: stored.updated_at,
    })
}

/// Everything but proposals that the matcher withdrew before anyone looked.
fn list(stored: Vec<StoredMatch>, readable: FieldGroups) -> Result<MatchList, ApiError> {
    let mut out = MatchList {
        candidates: Vec::new(),
        possible_siblings: Vec::new(),
    };
    for m in stored {
        if m.status == MatchStatus::New && !m.proposed {
            continue;
        }
        let m = view(m, readable)?;
        if m.sibling {
            out.possible_siblings.push(m);
        } else {
            out.candidates.push(m);
        }
    }
    Ok(out)
}

fn no_match() -> ApiError {
    ApiError::not_found("no match with this id")
}

/// Whether the grant's scope covers the record `id` (a missing record is not covered).
async fn covers(
    state: &AppState,
    auth: &Authorized,
    kind: RecordKind,
    id: RecordId,
) -> Result<bool, ApiError> {
    Ok(match state.store.get(kind, id).await? {
        Some(raw) => auth.grant.covers(&context(&raw.meta)),
        None => false,
    })
}

/// Whether the grant's scope covers both records of a match.
async fn in_scope(state: &AppState, auth: &Authorized, stored: &StoredMatch) -> Result<bool, ApiError> {
    Ok(
        covers(state, auth, RecordKind::TracingRequest, stored.request_id).await?
            && covers(state, auth, RecordKind::ChildCase, stored.case_id).await?,
    )
}

/// Whether both records of a match still have a tracing consent or legal
/// basis. Asked on every request, so that a withdrawal hides the record's
/// matches at once, in every server process, before the matcher has
/// withdrawn them.
async fn may_trace(state: &AppState, stored: &StoredMatch) -> Result<bool, ApiError> {
    Ok(state
        .store
        .has_basis(
            RecordKind::TracingRequest,
            stored.request_id,
            ConsentPurpose::Tracing,
        )
        .await?
        && state
            .store
            .has_basis(RecordKind::ChildCase, stored.case_id, ConsentPurpose::Tracing)
            .await?)
}

/// The matches among `stored` whose other record (`kind`) the grant also covers.
async fn reachable(
    state: &AppState,
    auth: &Authorized,
    stored: Vec<StoredMatch>,
    kind: RecordKind,
) -> Result<Vec<StoredMatch>, ApiError> {
    let mut out = Vec::with_capacity(stored.len());
    for m in stored {
        let other = match kind {
            RecordKind::ChildCase => m.case_id,
            RecordKind::TracingRequest => m.request_id,
        };
        if covers(state, auth, kind, other).await? && may_trace(state, &m).await? {
            out.push(m);
        }
    }
    Ok(out)
}

/// The match `id` if the grant reaches it; 404 alike whether it does not
/// exist or is out of scope.
pub(crate) async fn find_match(
    state: &AppState,
    auth: &Authorized,
    id: MatchId,
) -> Result<StoredMatch, ApiError> {
    let stored = state.store.get_match(id).await?.ok_or_else(no_match)?;
    // A match of a record without a tracing ground is not shown at all.
    if !may_trace(state, &stored).await? {
        return Err(no_match());
    }
    if !in_scope(state, auth, &stored).await? {
        audit::refused(
            state.store.as_ref(),
            record_event(auth, *id.as_uuid(), Outcome::Refused("out_of_scope")),
        )
        .await;
        return Err(no_match());
    }
    Ok(stored)
}

/// The `{match_id}` of a match route: a UUID.
pub struct MatchKey(pub MatchId);

impl<S: Send + Sync> FromRequestParts<S> for MatchKey {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let Path(key) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|_| no_match())?;
        key.parse().map(MatchKey).map_err(|_| no_match())
    }
}

/// Matches of a tracing request
///
/// The cases that may be the children it seeks, best first, each with its
/// probability, label and per-field explanation; probable siblings apart.
/// Proposals are made in the background as records are written: a record
/// written a moment ago may not be matched yet.
#[utoipa::path(get, path = "/api/v1/tracing-requests/{id}/matches", tag = "matches",
    operation_id = "tracing_request_matches",
    params(("id" = String, Path, description = "The request's UUID or its number")),
    responses(
        (status = 200, description = "Its matches", body = MatchList),
        (status = 404, description = "No such tracing request", body = ErrorBody),
        (status = 500, description = "Internal error", body = ErrorBody),
    ))]
async fn tracing_request_matches(
    State(state): State<AppState>,
    auth: Authorized,
    RecordKey(key): RecordKey,
) -> Result<Json<MatchList>, ApiError> {
    let records = Records::new(state.store.clone());
    let request = find::<TracingRequest>(state.store.as_ref(), &records, &auth, &key).await?;
    let stored = state.store.matches_for_request(request.meta.id).await?;
    respond_with_matches(&state, &auth, stored, RecordKind::ChildCase).await
}

/// Matches of a case
///
/// The tracing requests whose sought child this case may be, best first,
/// with explanations; requests that seek a probable sibling apart.
#[utoipa::path(get, path = "/api/v1/cases/{id}/matches", tag = "matches",
    operation_id = "case_matches",
    params(("id" = String, Path, description = "The case's UUID or its number")),
    responses(
        (status = 200, description = "Its matches", body = MatchList),
        (status = 404, description = "No such case", body = ErrorBody),
        (status = 500, description = "Internal error", body = ErrorBody),
    ))]
async fn case_matches(
    State(state): State<AppState>,
    auth: Authorized,
    RecordKey(key): RecordKey,
) -> Result<Json<MatchList>, ApiError> {
    let records = Records::new(state.store.clone());
    let case = find::<ChildCase>(state.store.as_ref(), &records, &auth, &key).await?;
    let stored = state.store.matches_for_case(case.meta.id).await?;
    respond_with_matches(&state, &auth, stored, RecordKind::TracingRequest).await
}

/// The matches of one record as a response: only those whose other record
/// (of kind `other`) the caller may reach, each shown by the groups it may
/// read, and the access audited before anything is sent.
async fn respond_with_matches(
    state: &AppState,
    auth: &Authorized,
    stored: Vec<StoredMatch>,
    other: RecordKind,
) -> Result<Json<MatchList>, ApiError> {
    Ok(release(matches_of(state, auth, stored, other).await?))
}

/// The matches of one record as the caller may see them (see
/// [`respond_with_matches`]); the access is audited before they are returned.
pub(crate) async fn matches_of(
    state: &AppState,
    auth: &Authorized,
    stored: Vec<StoredMatch>,
    other: RecordKind,
) -> Result<MatchList, ApiError> {
    let stored = reachable(state, auth, stored, other).await?;
    let ids: Vec<_> = stored.iter().map(|m| *m.id.as_uuid()).collect();
    let out = list(stored, auth.grant.readable())?;
    audit_access(state.store.as_ref(), auth, ids).await?;
    Ok(out)
}

async fn detail(state: &AppState, auth: &Authorized, stored: StoredMatch) -> Result<MatchDetail, ApiError> {
    let history = state.store.match_history(stored.id).await?;
    Ok(MatchDetail {
        current: view(stored, auth.grant.readable())?,
        history,
    })
}

/// A match
///
/// With every status it has had: proposed, reviewed, re-opened.
#[utoipa::path(get, path = "/api/v1/matches/{match_id}", tag = "matches", operation_id = "get_match",
    params(("match_id" = String, Path, description = "The match's UUID")),
    responses(
        (status = 200, description = "The match", body = MatchDetail),
        (status = 404, description = "No such match", body = ErrorBody),
        (status = 500, description = "Internal error", body = ErrorBody),
    ))]
async fn get_match(
    State(state): State<AppState>,
    auth: Authorized,
    MatchKey(id): MatchKey,
) -> Result<Json<MatchDetail>, ApiError> {
    let stored = find_match(&state, &auth, id).await?;
    let out = detail(&state, &auth, stored).await?;
    audit_access(state.store.as_ref(), &auth, [*id.as_uuid()]).await?;
    Ok(release(out))
}

/// Review a match
///
/// `under_review`: someone is looking into it. `rejected`: not the child;
/// the pair is not proposed again unless the request or the case changes.
/// `confirmed`: the case is the sought child; the tracing request and the
/// case move to `verification`. Confirming a confirmed match again records
/// that verification is done: both move on to `family_assessment`. A reason
/// is required to confirm or reject. A stale `version` is refused with 409.
#[utoipa::path(post, path = "/api/v1/matches/{match_id}/review", tag = "matches", operation_id = "review_match",
    params(("match_id" = String, Path, description = "The match's UUID")),
    request_body(content = ReviewRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "Reviewed", body = MatchDetail),
        (status = 400, description = "Not JSON", body = ErrorBody),
        (status = 404, description = "No such match", body = ErrorBody),
        (status = 409, description = "The match changed since `version`", body = ErrorBody),
        (status = 415, description = "Not `application/json`", body = ErrorBody),
        (status = 422, description = "Invalid fields, every one listed", body = ErrorBody),
        (status = 500, description = "Internal error", body = ErrorBody),
    ))]
async fn review_match(
    State(state): State<AppState>,
    auth: Authorized,
    MatchKey(id): MatchKey,
    ApiJson(body): ApiJson<ReviewRequest>,
) -> Result<Json<MatchDetail>, ApiError> {
    let reviewed = review(&state, &auth, id, body).await?;
    Ok(release(detail(&state, &auth, reviewed).await?))
}

/// Review a match (the API's and the web page's): a reason to confirm or
/// reject, the version checked, and on a confirmation the records' tracing
/// status moved on in the same transaction.
pub(crate) async fn review(
    state: &AppState,
    auth: &Authorized,
    id: MatchId,
    body: ReviewRequest,
) -> Result<StoredMatch, ApiError> {
    let status = MatchStatus::from(body.status);
    let reason = body.reason.as_deref().map(str::trim).filter(|r| !r.is_empty());
    let mut checker = Checker::new(latest_today(Utc::now()));
    if reason.is_none() && matches!(status, MatchStatus::Confirmed | MatchStatus::Rejected) {
        checker.fail("reason", "is required to confirm or reject a match");
    }
    if let Some(reason) = reason {
        checker.text("reason", reason);
    }
    checker.finish().map_err(|e| ApiError::validation(e, ""))?;
    let decision = ReviewDecision { status, reason };
    // The store appends the review's audit entries in its transaction.
    let actor = auth.actor();
    let mut attempt = 0;
    loop {
        attempt += 1;
        let current = find_match(state, auth, id).await?;
        if current.version != body.version {
            return Err(StoreError::Conflict {
                expected: body.version,
                current: current.version,
            }
            .into());
        }
        let writes = if status == MatchStatus::Confirmed {
            status_moves(state, &current).await?
        } else {
            Vec::new()
        };
        match state
            .store
            .review_match(id, body.version, decision, &actor, &writes)
            .await
        {
            Ok(reviewed) => {
                if !writes.is_empty() {
                    state.matcher.notify();
                }
                return Ok(reviewed);
            }
            // The match or a record changed meanwhile: look again (a changed
            // match is then refused above with its version).
            Err(StoreError::Conflict { .. }) if attempt < REVIEW_ATTEMPTS => {}
            Err(StoreError::MatchNotFound) => return Err(no_match()),
            Err(e) => return Err(e.into()),
        }
    }
}

/// The tracing status after a confirmation: the first starts verification;
/// confirming a confirmed match again records that verification is done.
fn next_status(status: TracingStatus, already_confirmed: bool) -> TracingStatus {
    match (status, already_confirmed) {
        (TracingStatus::Open | TracingStatus::InProgress, false) => TracingStatus::Verification,
        (TracingStatus::Verification, true) => TracingStatus::FamilyAssessment,
        (status, _) => status,
    }
}

/// The request and case versions a confirmation writes (none when their
/// status is past the step already).
async fn status_moves(state: &AppState, current: &StoredMatch) -> Result<Vec<RecordWrite>, ApiError> {
    let already_confirmed = current.status == MatchStatus::Confirmed;
    let today = latest_today(Utc::now());
    let mut writes = Vec::new();
    let request = Records::<TracingRequest>::new(state.store.clone())
        .get(current.request_id)
        .await?
        .ok_or_else(ApiError::internal)?;
    let next = next_status(request.record.status, already_confirmed);
    if next != request.record.status {
        let mut record = request.record;
        record.status = next;
        writes.push(RecordWrite {
            kind: kinlink_core::RecordKind::TracingRequest,
            id: request.meta.id,
            expected_version: request.meta.version,
            body: revalidated(record, today)?,
        });
    }
    let case = Records::<ChildCase>::new(state.store.clone())
        .get(current.case_id)
        .await?
        .ok_or_else(ApiError::internal)?;
    let next = next_status(case.record.tracing_status, already_confirmed);
    if next != case.record.tracing_status {
        let mut record = case.record;
        record.tracing_status = next;
        writes.push(RecordWrite {
            kind: kinlink_core::RecordKind::ChildCase,
            id: case.meta.id,
            expected_version: case.meta.version,
            body: revalidated(record, today)?,
        });
    }
    Ok(writes)
}

/// A stored record with its status moved on, checked like any other write.
fn revalidated<T: kinlink_core::Record>(record: T, today: chrono::NaiveDate) -> Result<String, ApiError> {
    let record = Validated::new(record, today).map_err(|e| {
        // Paths and messages only: no values.
        tracing::error!(error = %e, "a stored record no longer validates; its status was not moved on");
        ApiError::internal()
    })?;
    serde_json::to_string(record.as_ref()).map_err(|_| ApiError::internal())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_confirmation_starts_verification_and_a_second_ends_it() {
        use TracingStatus::*;
        assert_eq!(next_status(Open, false), Verification);
        assert_eq!(next_status(InProgress, false), Verification);
        assert_eq!(next_status(Verification, false), Verification);
        assert_eq!(next_status(Verification, true), FamilyAssessment);
        assert_eq!(next_status(Open, true), Open);
        assert_eq!(next_status(Reunified, false), Reunified);
        assert_eq!(next_status(NotRequired, true), NotRequired);
    }
}
